// Interop with js-libp2p's Noise (@chainsafe/libp2p-noise 17): its
// handshake state machine talks to ours message by message, both ways,
// then transport records cross in both directions. This is the evidence
// that Starling's handshake is byte-compatible with libp2p's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Uint8ArrayList } from 'uint8arraylist';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { init, Identity, Handshake } from '../../js-glue/index.js';

// Not in the package's exports map, so imported by file URL.
const internal = (f) => import(new URL(`../../node_modules/@chainsafe/libp2p-noise/dist/src/${f}`, import.meta.url));
const { performHandshakeInitiator, performHandshakeResponder } = await internal('performHandshake.js');
const { wrapCrypto } = await internal('crypto.js');
const noiseCrypto = wrapCrypto(defaultCrypto);

before(() => init());

const log = Object.assign(() => {}, { enabled: false, trace() {}, error() {} });
const prologue = new TextEncoder().encode('fingerprint-a|fingerprint-b');
const bytes = (x) => new Uint8Array(x instanceof Uint8Array ? x : x.subarray()); // plain copy (not Buffer)

/** A message channel between their code (async read/write) and ours. */
function channel() {
  const toUs = [];
  const toThem = [];
  let wake = null;
  return {
    toUs,
    sendToThem(msg) { toThem.push(msg); wake?.(); },
    connection: {
      async write(msg) { toUs.push(bytes(msg)); },
      async read() {
        while (!toThem.length) await new Promise((r) => { wake = r; });
        return new Uint8ArrayList(toThem.shift());
      },
    },
  };
}

async function theirSide(initiator, seed, ch) {
  const privateKey = await generateKeyPairFromSeed('Ed25519', seed);
  const args = { log, connection: ch.connection, crypto: noiseCrypto, privateKey, prologue, s: defaultCrypto.generateX25519KeyPair() };
  const result = (initiator ? performHandshakeInitiator : performHandshakeResponder)(args);
  return { peerId: peerIdFromPrivateKey(privateKey).toString(), result };
}

const tick = () => new Promise((r) => setImmediate(r));
async function next(ch) {
  for (let i = 0; i < 1000 && !ch.toUs.length; i++) await tick();
  assert.ok(ch.toUs.length, 'libp2p-noise sent nothing');
  return ch.toUs.shift();
}

async function exchange(ours, theirs) {
  for (let i = 0; i < 20; i++) {
    const msg = crypto.getRandomValues(new Uint8Array(1 + i * 700));
    assert.deepEqual(bytes(theirs.decrypt(ours.encrypt(msg))), msg);
    assert.deepEqual(ours.decrypt(bytes(theirs.encrypt(msg))), msg);
  }
}

test('libp2p-noise initiator <-> Starling responder', async () => {
  const me = Identity.generate();
  const ch = channel();
  const them = await theirSide(true, new Uint8Array(32).fill(9), ch);
  const hs = new Handshake({ identity: me, initiator: false, prologue });
  hs.readMessage(await next(ch));                 // -> e
  ch.sendToThem(hs.writeMessage('extra bytes libp2p ignores'));  // <- e, ee, s, es
  hs.readMessage(await next(ch));                 // -> s, se
  const theirs = await them.result;
  assert.equal(hs.remotePeerId, them.peerId);
  assert.deepEqual(theirs.payload.identityKey.subarray(4), me.publicKey);
  await exchange(hs.split(), theirs);
});

test('Starling initiator <-> libp2p-noise responder', async () => {
  const me = Identity.generate();
  const ch = channel();
  const them = await theirSide(false, new Uint8Array(32).fill(10), ch);
  const hs = new Handshake({ identity: me, initiator: true, prologue });
  ch.sendToThem(hs.writeMessage());               // -> e
  hs.readMessage(await next(ch));                 // <- e, ee, s, es
  assert.equal(hs.remotePeerId, them.peerId);
  ch.sendToThem(hs.writeMessage());               // -> s, se
  const theirs = await them.result;
  assert.deepEqual(theirs.payload.identityKey.subarray(4), me.publicKey);
  await exchange(hs.split(), theirs);
});

test('libp2p-noise refuses a handshake under a different prologue', async () => {
  const me = Identity.generate();
  const ch = channel();
  const them = await theirSide(true, new Uint8Array(32).fill(11), ch);
  const hs = new Handshake({ identity: me, initiator: false, prologue: 'another path' });
  hs.readMessage(await next(ch));
  ch.sendToThem(hs.writeMessage());
  await assert.rejects(them.result);
});
