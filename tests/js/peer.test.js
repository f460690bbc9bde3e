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
  const connected = list.map((p) => new Promise((ok) => {
    const seen = new Set();
    p.addEventListener('peer:connect', (e) => { assert.equal(e.detail.path, 'direct'); seen.add(e.detail.peerId); if (seen.size === n - 1) ok(); });
  }));
  const errors = [];
  list.forEach((p) => p.addEventListener('peer:error', (e) => errors.push(e.detail)));
  list.forEach((p) => p.join(room));
  await within(20000, Promise.all(connected), () => `connect stalled: ${JSON.stringify({ errors, metrics: list.map((p) => p.metrics().connections) })}`);
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
// attempt and the offerer retries at once (link.js), so it must pass
// directly, with no test-level retry.
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
