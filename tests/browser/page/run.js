// Runs in Chromium against the packed package mounted at /pkg/: loads the
// wasm next to the module, then a handshake and an encrypted round trip.
import { init, Identity, Handshake, FrameDecoder, encodeFrame, FrameType, SessionError } from '/pkg/js-glue/index.js';

async function run() {
  await init();
  const alice = Identity.generate();
  const bob = Identity.generate();
  const a = new Handshake({ identity: alice, initiator: true, prologue: 'browser', remotePeerId: bob.peerId });
  const b = new Handshake({ identity: bob, initiator: false, prologue: 'browser' });
  b.readMessage(a.writeMessage());
  a.readMessage(b.writeMessage('to alice'));
  const early = new TextDecoder().decode(b.readMessage(a.writeMessage('to bob')));
  const ab = a.split();
  const ba = b.split();
  const big = crypto.getRandomValues(new Uint8Array(16368));
  const back = ab.decrypt(ba.encrypt(ba.decrypt(ab.encrypt(big))));
  const roundTrip = back.length === big.length && back.every((x, i) => x === big[i]);
  const reply = new TextDecoder().decode(ab.decrypt(ba.encrypt('pong')));
  const replayed = ab.encrypt('once');
  ba.decrypt(replayed);
  let replay = 'accepted';
  try { ba.decrypt(replayed); } catch (e) { replay = e instanceof SessionError ? e.code : String(e); }
  const frames = new FrameDecoder().push(encodeFrame(FrameType.DATA, 'framed'));
  return {
    alice: alice.peerId, bob: bob.peerId, bobSawAlice: b.remotePeerId === alice.peerId,
    early, roundTrip, reply, replay, frame: new TextDecoder().decode(frames[0].payload),
    signatureOk: Identity.verify(alice.publicKey, 'x', alice.sign('x')),
  };
}
run().then((r) => { window.__result = r; }, (e) => { window.__result = { error: `${e.name} ${e.code ?? ''} ${e.message}` }; });
