// Handshake and session: a full exchange, and every attack is refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Identity, Handshake, HandshakeError, SessionError, RECORD_MAX_PLAINTEXT } from '../../js-glue/index.js';

let alice, bob;
before(async () => {
  await init();
  alice = Identity.generate();
  bob = Identity.generate();
});

const text = (b) => new TextDecoder().decode(b);

function handshake({ prologueA = 'fp-a|fp-b', prologueB = prologueA, expectB } = {}) {
  const a = new Handshake({ identity: alice, initiator: true, prologue: prologueA, remotePeerId: expectB });
  const b = new Handshake({ identity: bob, initiator: false, prologue: prologueB });
  return { a, b };
}

function complete() {
  const { a, b } = handshake();
  b.readMessage(a.writeMessage());
  a.readMessage(b.writeMessage());
  b.readMessage(a.writeMessage());
  return { a: a.split(), b: b.split() };
}

test('full handshake: identities learned, payloads carried, sessions agree', () => {
  const { a, b } = handshake({ expectB: undefined });
  assert.equal(a.wantsWrite, true);
  assert.equal(b.wantsWrite, false);
  assert.deepEqual(b.readMessage(a.writeMessage()), new Uint8Array(0));
  assert.equal(text(a.readMessage(b.writeMessage('hello from bob'))), 'hello from bob');
  assert.equal(a.remotePeerId, bob.peerId);
  assert.equal(text(b.readMessage(a.writeMessage('hello from alice'))), 'hello from alice');
  assert.equal(b.remotePeerId, alice.peerId);
  assert.ok(a.complete && b.complete);
  assert.deepEqual(a.handshakeHash, b.handshakeHash);
  const sa = a.split();
  const sb = b.split();
  assert.equal(sa.remotePeerId, bob.peerId);
  for (let i = 0; i < 200; i++) {
    const msg = crypto.getRandomValues(new Uint8Array((i * 97) % RECORD_MAX_PLAINTEXT));
    const [w, r] = i % 3 ? [sa, sb] : [sb, sa];
    const rec = w.encrypt(msg);
    assert.equal(rec.length, msg.length + 16);
    assert.deepEqual(r.decrypt(rec), msg);
  }
  assert.throws(() => a.writeMessage(), (e) => e.code === 'BAD_STATE'); // split freed it
});

test('message 1 carries no payload', () => {
  const { a } = handshake();
  assert.throws(() => a.writeMessage('too early'), (e) => e instanceof HandshakeError && e.code === 'INVALID_ARGUMENT');
});

test('a different prologue (swapped fingerprints) fails the handshake', () => {
  const { a, b } = handshake({ prologueA: 'fp-a|fp-b', prologueB: 'fp-a|fp-evil' });
  b.readMessage(a.writeMessage());
  assert.throws(() => a.readMessage(b.writeMessage()), (e) => e.code === 'HANDSHAKE_DECRYPT');
  assert.throws(() => a.readMessage(new Uint8Array(100)), (e) => e.code === 'HANDSHAKE_FAILED');
});

test('an unexpected remote identity is refused', () => {
  const stranger = Identity.generate();
  const { a, b } = handshake({ expectB: stranger.peerId });
  b.readMessage(a.writeMessage());
  assert.throws(() => a.readMessage(b.writeMessage()), (e) => e.code === 'HANDSHAKE_UNEXPECTED_PEER');
  stranger.free();
});

test('tampered handshake messages are refused at every position', () => {
  for (let pos = 0; pos < 180; pos += 11) {
    const { a, b } = handshake();
    b.readMessage(a.writeMessage());
    const m2 = b.writeMessage();
    m2[pos % m2.length] ^= 0x20;
    assert.throws(() => a.readMessage(m2), HandshakeError);
    a.free();
    b.free();
  }
  const { a, b } = handshake();
  assert.throws(() => b.readMessage(new Uint8Array(31)), (e) => e.code === 'HANDSHAKE_SHORT');
  a.free();
});

test('low-order ephemeral keys are refused', () => {
  const { a, b } = handshake();
  a.writeMessage();
  assert.throws(() => a.readMessage(new Uint8Array(32 + 48 + 16 + 120)), (e) => e.code === 'HANDSHAKE_LOW_ORDER');
  b.readMessage(new Uint8Array(32)); // an all-zero e: refused when b computes ee
  assert.throws(() => b.writeMessage(), (e) => e.code === 'HANDSHAKE_LOW_ORDER');
});

test('tamper, replay, reordering and truncation of records are refused', () => {
  const cases = {
    tamper: (s, r1) => { r1[3] ^= 1; return [r1]; },
    replay: (s, r1) => [r1, r1],
    reorder: (s, r1, r2) => [r2, r1],
    truncate: (s, r1) => [r1.subarray(0, r1.length - 1)],
    short: (s, r1) => [r1.subarray(0, 15)],
    oversize: () => [new Uint8Array(16385)],
  };
  for (const [name, attack] of Object.entries(cases)) {
    const { a, b } = complete();
    const r1 = a.encrypt('first');
    const r2 = a.encrypt('second');
    const records = attack(b, r1, r2);
    assert.throws(() => { for (const r of records) b.decrypt(r); }, SessionError, name);
    // Failure is final: even the correct next record is refused now.
    assert.throws(() => b.decrypt(r1), (e) => e.code === 'SESSION_FAILED', name);
  }
});

test('record size limit is 16 KiB including the tag', () => {
  const { a, b } = complete();
  const rec = a.encrypt(new Uint8Array(RECORD_MAX_PLAINTEXT));
  assert.equal(rec.length, 16384);
  assert.equal(b.decrypt(rec).length, RECORD_MAX_PLAINTEXT);
  assert.throws(() => a.encrypt(new Uint8Array(RECORD_MAX_PLAINTEXT + 1)), (e) => e.code === 'SESSION_TOO_LARGE');
});

test('each handshake uses a fresh static key', () => {
  // The same identity, twice: message 2's encrypted static key differs.
  const seen = new Set();
  for (let i = 0; i < 3; i++) {
    const { a, b } = handshake();
    b.readMessage(a.writeMessage());
    seen.add(Buffer.from(b.writeMessage().subarray(32, 80)).toString('hex'));
  }
  assert.equal(seen.size, 3);
});

test('the identity may be freed once the handshake exists', () => {
  const temp = Identity.generate();
  const peerId = temp.peerId;
  const a = new Handshake({ identity: temp, initiator: true });
  temp.free();
  const b = new Handshake({ identity: bob, initiator: false });
  b.readMessage(a.writeMessage());
  a.readMessage(b.writeMessage());
  b.readMessage(a.writeMessage());
  assert.equal(b.remotePeerId, peerId);
});
