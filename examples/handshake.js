// Two identities run the Noise handshake and exchange encrypted records.
// Run: node examples/handshake.js   (after `npm run build`)
import { init, Identity, Handshake } from '../js-glue/index.js';

await init();
const alice = Identity.generate();
const bob = Identity.generate();
console.log('alice', alice.peerId);
console.log('bob  ', bob.peerId);

// Both sides must use the same prologue: in Starling it binds the path
// (the two DTLS fingerprints, or the relay session id).
const prologue = 'example-path';
const a = new Handshake({ identity: alice, initiator: true, prologue, remotePeerId: bob.peerId });
const b = new Handshake({ identity: bob, initiator: false, prologue });
b.readMessage(a.writeMessage());                 // -> e
a.readMessage(b.writeMessage());                 // <- e, ee, s, es (+ Bob's identity)
b.readMessage(a.writeMessage());                 // -> s, se (+ Alice's identity)
console.log('bob authenticated', b.remotePeerId === alice.peerId ? 'alice' : 'someone else!');

const toBob = a.split();
const atBob = b.split();
const record = toBob.encrypt('meet at the usual place');
console.log(`record of ${record.length} bytes ->`, new TextDecoder().decode(atBob.decrypt(record)));
for (const x of [toBob, atBob, alice, bob]) x.free();
