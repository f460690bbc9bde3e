// createPeer over real WebRTC (node-datachannel) through a real hub on
// 127.0.0.1: peers meet in a room, open direct data channels, run Noise
// with the DTLS fingerprints as prologue, and exchange messages that
// arrive intact, in order, once; send() resolves on the receiver's ACK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { init, Identity, createPeer } from '../../js-glue/index.js';
import { startHub } from '../../js-glue/hub.js';
import { hs256, claimsFor } from './helpers/jwt.js';
import { within } from './helpers/wait.js';

const SECRET = 'peer-test-secret-0123456789abcdef0123';
let hub;
const created = [];
before(async () => {
  await init();
  hub = await startHub({ jwtSecret: SECRET, messageRate: 1000, messageBurst: 2000 });
});
after(async () => {
  await Promise.all(created.map((p) => p.close())); // also after a failed test
  await hub?.close();
});

const token = (id) => hs256(claimsFor(id), SECRET);

async function peers(n, room) {
  const list = [];
  for (let i = 0; i < n; i++) {
    const identity = Identity.generate();
    list.push(await createPeer({ hubUrl: hub.url, token: token(identity), identity }));
    created.push(list.at(-1));
  }
  const paths = [];
  const connected = list.map((p) => new Promise((ok) => {
    const seen = new Set();
    // No assertion in the listener: a throw there would surface only as a stall.
    p.addEventListener('peer:connect', (e) => { paths.push(e.detail.path); seen.add(e.detail.peerId); if (seen.size === n - 1) ok(); });
  }));
  const errors = [];
  list.forEach((p) => p.addEventListener('peer:error', (e) => errors.push(e.detail)));
  list.forEach((p) => p.join(room));
  await within(20000, Promise.all(connected), () => `connect stalled: ${JSON.stringify({ errors, paths, metrics: list.map((p) => p.metrics().connections) })}`);
  assert.deepEqual(new Set(paths), new Set(['direct']));
  return list;
}

function inbox(peer) {
  const got = new Map();
  peer.addEventListener('message', (e) => {
    if (!got.has(e.detail.from)) got.set(e.detail.from, []);
    got.get(e.detail.from).push(e.detail.data);
  });
  return got;
}

test('two peers connect directly and exchange 1,000 messages each way, in order, including 256 KiB ones', { timeout: 120000 }, async () => {
  const [a, b] = await peers(2, 'pair');
  const inA = inbox(a);
  const inB = inbox(b);
  const big = new Uint8Array(randomBytes(256 * 1024 - 5));
  const msg = (i) => (i % 250 === 0 ? big : `message ${i}`);
  await Promise.all([
    Promise.all(Array.from({ length: 1000 }, (_, i) => a.send(b.peerId, msg(i)))),
    Promise.all(Array.from({ length: 1000 }, (_, i) => b.send(a.peerId, msg(i)))),
  ]);
  for (const [got, from] of [[inB, a.peerId], [inA, b.peerId]]) {
    const list = got.get(from);
    assert.equal(list.length, 1000);
    list.forEach((m, i) => (i % 250 === 0 ? assert.deepEqual(m, big) : assert.equal(m, `message ${i}`)));
  }
  const m = a.metrics();
  assert.equal(m.connections.direct, 1);
  assert.equal(m.messagesOut, 1000);
  assert.equal(m.messagesIn, 1000);
  await a.close();
  await b.close();
});

async function meshOnce(room) {
  const list = await peers(3, room);
  const boxes = list.map(inbox);
  await within(20000, Promise.all(list.flatMap((p) => list.filter((q) => q !== p).map((q) => Promise.all(Array.from({ length: 100 }, (_, i) => p.send(q.peerId, `${i}`)))))),
    () => `sends stalled: ${JSON.stringify(list.map((p, i) => ({ metrics: p.metrics(), got: [...boxes[i].values()].map((v) => v.length) })))}`);
  list.forEach((p, i) => {
    for (const q of list) if (q !== p) assert.deepEqual(boxes[i].get(q.peerId), Array.from({ length: 100 }, (_, k) => `${k}`));
  });
  await Promise.all(list.map((p) => p.close()));
}

// This test used to stall about one run in five: libdatachannel sometimes
// fails setRemoteDescription ("Got a remote candidate without ICE
// transport") on a fresh connection. The answerer now reports a broken
// attempt and the offerer retries at once (the C link state machine,
// src/link/link.c), so it must pass directly, with no test-level retry.
test('three peers form a mesh and each reaches the other two', { timeout: 90000 }, async () => {
  await meshOnce('trio');
});

test('send() refuses never-met peers and oversized messages with codes; a closing peer is seen leaving', async () => {
  const [a, b] = await peers(2, 'limits');
  await assert.rejects(a.send(Identity.generate().peerId, 'x'), (e) => e.code === 'PEER_NOT_CONNECTED');
  await assert.rejects(a.send(b.peerId, new Uint8Array(256 * 1024)), (e) => e.code === 'FRAME_TOO_LARGE');
  const gone = new Promise((ok) => a.addEventListener('peer:disconnect', (e) => ok(e.detail.peerId)));
  await b.close();
  assert.equal(await gone, b.peerId);
  await a.close();
});

test('a delivered message is never reported as failed when the receiver closes right after delivery', { timeout: 120000 }, async () => {
  // Each timing closes the receiver at a different point of the delayed-ACK window.
  const closeAt = [
    (f) => f(), (f) => queueMicrotask(f), (f) => setTimeout(f, 0), (f) => setTimeout(f, 1), (f) => setTimeout(f, 3),
    (f) => setTimeout(f, 5), (f) => setTimeout(f, 8), (f) => setImmediate(f),
  ];
  const failures = [];
  for (const [i, when] of closeAt.entries()) {
    const [sender, receiver] = await peers(2, `close-race-${i}`);
    let delivered = 0;
    receiver.addEventListener('message', () => { delivered++; when(() => receiver.close()); });
    const outcomes = await Promise.allSettled([sender.send(receiver.peerId, `m${i}`), sender.send(receiver.peerId, new Uint8Array(100000))]);
    outcomes.forEach((o, k) => { if (o.status === 'rejected' && delivered > k) failures.push(`timing ${i} message ${k}: ${o.reason.code}`); });
    await Promise.all([sender.close(), receiver.close()]);
  }
  assert.deepEqual(failures, []);
});

test('close() waits, bounded, for the ACKs of what was just sent', { timeout: 60000 }, async () => {
  const [a, b] = await peers(2, 'close-waits');
  const got = inbox(b);
  const sends = Array.from({ length: 50 }, (_, i) => a.send(b.peerId, `last words ${i}`));
  await a.close();
  const outcomes = await Promise.allSettled(sends);
  assert.deepEqual(outcomes.map((o) => o.status), outcomes.map(() => 'fulfilled'));
  assert.equal(got.get(a.peerId)?.length, 50);
  await b.close();
});

test('send() copies its bytes: reusing the buffer at once changes nothing delivered', { timeout: 60000 }, async () => {
  const [a, b] = await peers(2, 'copy');
  const got = inbox(b);
  const buf = Uint8Array.of(1, 2, 3, 4);
  const sent = a.send(b.peerId, buf);
  buf.fill(9);
  await sent;
  assert.deepEqual([...got.get(a.peerId)[0]], [1, 2, 3, 4]);
});

test('sequence numbers wrap past 2^32 - 1: delivered once, in order, every send() resolves', { timeout: 60000 }, async () => {
  const [a, b] = await peers(2, 'wrap');
  const got = inbox(b);
  await a.send(b.peerId, 'before');
  // Both ends as if 2^32 - 3 messages had passed: the next ones cross the wrap.
  a._link(b.peerId).delivery.setSequence(2 ** 32 - 2, a._link(b.peerId).delivery.received);
  b._link(a.peerId).delivery.setSequence(1, 2 ** 32 - 3); // b has sent nothing
  const sends = Array.from({ length: 6 }, (_, i) => a.send(b.peerId, `w${i}`));
  await within(10000, Promise.all(sends), () => `sends across the wrap did not resolve; got ${JSON.stringify(got.get(a.peerId))}`);
  assert.deepEqual(got.get(a.peerId), ['before', 'w0', 'w1', 'w2', 'w3', 'w4', 'w5']);
  assert.equal(b._link(a.peerId).delivery.received, 3);
});
