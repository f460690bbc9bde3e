// Fallback, relay, reconnect and delivery across path changes, over real
// WebRTC (node-datachannel) and a real hub on 127.0.0.1. A forced relay is
// `iceTransportPolicy: 'relay'` with no TURN server: ICE can never connect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RTCPeerConnection as NodeRTCPeerConnection } from 'node-datachannel/polyfill';
import { init, Identity, createPeer } from '../../js-glue/index.js';
import { startHub } from '../../js-glue/hub.js';
import { hs256, claimsFor } from './helpers/jwt.js';
import { startTap } from './helpers/ws-tap.js';
import { within, once, until } from './helpers/wait.js';

const SECRET = 'relay-test-secret-0123456789abcdef012';
const HUB_LIMITS = { jwtSecret: SECRET, messageRate: 1000, messageBurst: 2000 };
const created = [];
const hubs = [];
before(() => init());
after(async () => {
  await Promise.all(created.map((p) => p.close()));
  await Promise.all(hubs.map((h) => h.close()));
});

async function hub(opts = {}) {
  const h = await startHub({ ...HUB_LIMITS, ...opts });
  hubs.push(h);
  return h;
}

async function newPeer(hubUrl, opts = {}) {
  const identity = Identity.generate();
  const peer = await createPeer({ hubUrl, token: hs256(claimsFor(identity), SECRET), identity, ...opts });
  created.push(peer);
  return peer;
}

async function pair(hubUrl, room, opts = {}) {
  const list = [await newPeer(hubUrl, opts), await newPeer(hubUrl, opts)];
  // Sorted: a is the offerer (smaller id).
  list.sort((x, y) => (x.peerId < y.peerId ? -1 : 1));
  return list;
}

function inbox(peer) {
  const got = [];
  peer.addEventListener('message', (e) => got.push(e.detail.data));
  return got;
}

async function connect(a, b, room, path) {
  const ready = [once(a, 'peer:connect', (d) => d.peerId === b.peerId), once(b, 'peer:connect', (d) => d.peerId === a.peerId)];
  a.join(room);
  b.join(room);
  const details = await within(30000, Promise.all(ready), () => `connect stalled: ${JSON.stringify([a.metrics(), b.metrics()])}`);
  if (path) details.forEach((d) => assert.equal(d.path, path));
}

const MARKER = 'PLAINTEXT-MARKER-7f3a';

test('forced relay: the fallback event fires, 1,000 messages each way arrive in order, and the hub never sees the plaintext', { timeout: 120000 }, async () => {
  const h = await hub();
  const tap = await startTap(h.url);
  const [a, b] = await pair(tap.url, 'relay', { iceTransportPolicy: 'relay', directTimeoutMs: 1500 });
  const fallbacks = [once(a, 'connection:fallback'), once(b, 'connection:fallback')];
  await connect(a, b, 'relay', 'relay');
  const [fa, fb] = await Promise.all(fallbacks);
  assert.equal(fa.peerId, b.peerId);
  assert.equal(fb.peerId, a.peerId);
  assert.equal(fa.reason, 'timeout');

  const inA = inbox(a);
  const inB = inbox(b);
  const big = new Uint8Array(randomBytes(256 * 1024 - 5));
  big.set(new TextEncoder().encode(MARKER), 1000);
  const msg = (i) => (i % 250 === 0 ? big : `${MARKER} ${i}`);
  await within(60000, Promise.all([
    Promise.all(Array.from({ length: 1000 }, (_, i) => a.send(b.peerId, msg(i)))),
    Promise.all(Array.from({ length: 1000 }, (_, i) => b.send(a.peerId, msg(i)))),
  ]), () => `relay exchange stalled: ${JSON.stringify([a.metrics(), b.metrics(), inA.length, inB.length])}`);
  for (const got of [inA, inB]) {
    assert.equal(got.length, 1000);
    got.forEach((m, i) => (i % 250 === 0 ? assert.deepEqual(m, big) : assert.equal(m, `${MARKER} ${i}`)));
  }
  assert.equal(a.metrics().connections.relay, 1);
  assert.equal(a.metrics().relay.messagesIn, 1000);
  assert.ok(a.metrics().relay.bytesOut > 1024 * 1024);

  const relayed = tap.frames.filter((f) => f.binary);
  const relayedBytes = relayed.reduce((n, f) => n + f.data.length, 0);
  assert.ok(relayedBytes > 2 * 1024 * 1024, `the exchange went through the hub (${relayedBytes} bytes)`);
  const marker = Buffer.from(MARKER);
  for (const f of tap.frames) assert.equal(f.data.indexOf(marker), -1, `a ${f.binary ? 'relayed' : 'signaling'} frame carried the plaintext`);
  await Promise.all([a.close(), b.close()]);
  await tap.close();
});

/** The first RTCPeerConnection each peer makes can never connect; later ones can. */
function failingFirst() {
  let made = 0;
  return class extends NodeRTCPeerConnection {
    constructor(config) { super(made++ === 0 ? { ...config, iceTransportPolicy: 'relay' } : config); }
  };
}

test('after a fallback the direct path is retried in the background and traffic moves back, every message exactly once', { timeout: 120000 }, async () => {
  const h = await hub();
  const identities = [Identity.generate(), Identity.generate()];
  const [a, b] = await Promise.all(identities.map((identity) => createPeer({ hubUrl: h.url, token: hs256(claimsFor(identity), SECRET), identity,
    RTCPeerConnection: failingFirst(), directTimeoutMs: 1000, directRetryMs: 1500 })));
  created.push(a, b);
  const paths = [];
  a.addEventListener('connection:path', (e) => paths.push(e.detail.path));
  const backToDirect = once(a, 'connection:path', (d) => d.path === 'direct');
  await connect(a, b, 'move', 'relay');
  const inB = inbox(b);
  // b acknowledges nothing while relayed, so everything a sends there is
  // still in flight at the switch and must be resent on the direct path
  // (and delivered once: b drops the copies it already has).
  // (b writes nothing at all while relayed: its ACKs wait in the delivery
  // machine, and the direct path's activation sends the cumulative one.)
  const bLink = b._link(a.peerId);
  const pump = bLink.pump;
  bLink.pump = async () => {};
  b.addEventListener('connection:path', (e) => { if (e.detail.path === 'direct') bLink.pump = pump; });
  // Keep sending while the path changes underneath.
  const sends = [];
  let i = 0;
  const sender = setInterval(() => { for (let k = 0; k < 20; k++) sends.push(a.send(b.peerId, `m${i++}`)); }, 20);
  await within(30000, backToDirect, () => `never moved back: ${JSON.stringify(a.metrics())}`);
  const sentBeforeSwitch = i;
  await within(30000, until(() => inB.length >= sentBeforeSwitch + 100), () => `no traffic after the switch: ${inB.length}`);
  clearInterval(sender);
  await within(30000, Promise.all(sends), () => `sends stalled: ${JSON.stringify(a.metrics())}`);
  assert.deepEqual(paths.slice(0, 2), ['relay', 'direct']);
  assert.equal(inB.length, i);
  inB.forEach((m, k) => assert.equal(m, `m${k}`));
  assert.equal(a.metrics().connections.direct, 1);
  assert.ok(a.metrics().resent > 0, `nothing was resent at the switch (${sentBeforeSwitch} sent before it)`);
  await Promise.all([a.close(), b.close()]);
});

async function restartExchange(path) {
  const h = await hub();
  const port = h.port;
  const opts = path === 'relay' ? { iceTransportPolicy: 'relay', directTimeoutMs: 1000 } : {};
  const [a, b] = await pair(h.url, `restart-${path}`, { ...opts, reconnectDelaysMs: [300, 600, 1200] });
  await connect(a, b, `restart-${path}`, path);
  const inA = inbox(a);
  const inB = inbox(b);
  const sends = [];
  let n = 0;
  const burst = () => { for (let k = 0; k < 25; k++, n++) sends.push(a.send(b.peerId, `a${n}`), b.send(a.peerId, `b${n}`)); };
  burst();
  const down = [once(a, 'hub:disconnect'), once(b, 'hub:disconnect')];
  await h.close();
  await Promise.all(down);
  burst(); // handed over while the hub is down
  await Promise.all([once(a, 'hub:error'), once(b, 'hub:error')]); // a reconnect attempt failed meanwhile
  burst();
  const up = [once(a, 'hub:connect'), once(b, 'hub:connect')];
  const again = await startHub({ ...HUB_LIMITS, port });
  hubs.push(again);
  await within(20000, Promise.all(up), () => 'no reconnect');
  burst();
  await within(40000, Promise.all(sends), () => `sends stalled: ${JSON.stringify([a.metrics(), b.metrics(), inA.length, inB.length])}`);
  assert.equal(inB.length, n);
  assert.equal(inA.length, n);
  inB.forEach((m, k) => assert.equal(m, `a${k}`));
  inA.forEach((m, k) => assert.equal(m, `b${k}`));
  const m = a.metrics();
  assert.equal(m.hub.connected, true);
  assert.equal(m.hub.disconnects, 1);
  await Promise.all([a.close(), b.close()]);
  return m;
}

test('hub killed and restarted mid-exchange: direct sessions keep flowing, peers re-join, every message exactly once', { timeout: 120000 }, async () => {
  const m = await restartExchange('direct');
  assert.equal(m.connections.direct, 1);
});

test('hub killed and restarted mid-exchange on the relay path: held messages are resent after the relay returns, exactly once', { timeout: 120000 }, async () => {
  const m = await restartExchange('relay');
  assert.equal(m.connections.relay, 1);
});

test('the outbound queue is bounded: send() rejects with QUEUE_FULL and metrics count it; high priority goes first', { timeout: 60000 }, async () => {
  const h = await hub();
  // No direct path for 2 s: messages wait in the queue until the relay opens.
  const [a, b] = await pair(h.url, 'queue', { maxQueueBytes: 100000, iceTransportPolicy: 'relay', directTimeoutMs: 2000 });
  const inB = inbox(b);
  a.join('queue');
  b.join('queue');
  await within(2000, new Promise((ok) => { const t = setInterval(() => { if (a.metrics().connections.pending === 1) { clearInterval(t); ok(); } }, 2); }), () => 'never met');
  const first = a.send(b.peerId, new Uint8Array(60000));
  await assert.rejects(a.send(b.peerId, new Uint8Array(60000)), (e) => e.code === 'QUEUE_FULL');
  const urgent = a.send(b.peerId, 'urgent', { priority: 'high' });
  await within(30000, Promise.all([first, urgent]), () => JSON.stringify(a.metrics()));
  assert.equal(inB[0], 'urgent');
  assert.equal(inB[1].length, 60000);
  assert.equal(a.metrics().queue.rejected, 1);
  assert.equal(a.metrics().queue.heldBytes, 0);
  await Promise.all([a.close(), b.close()]);
});

test('presence: setPresence reaches connected peers as a presence event', { timeout: 60000 }, async () => {
  const h = await hub();
  const [a, b] = await pair(h.url, 'presence');
  await connect(a, b, 'presence', 'direct');
  const seen = once(b, 'presence');
  a.setPresence('away');
  assert.deepEqual(await seen, { peerId: a.peerId, status: 'away' });
  assert.throws(() => a.setPresence('x'.repeat(2000)), TypeError);
  await Promise.all([a.close(), b.close()]);
});

test('RELAY_LIMIT ends only the relay path that hit it: the other peer keeps its path, and every message arrives once', { timeout: 120000 }, async () => {
  const MiB = 1024 * 1024;
  const h = await hub({ relayMaxBytes: 2 * MiB });
  const opts = { iceTransportPolicy: 'relay', directTimeoutMs: 1000 };
  const [a, b] = await pair(h.url, 'limit', opts);
  const c = await newPeer(h.url, opts);
  await connect(a, b, 'limit', 'relay');
  const aMeetsC = [once(a, 'peer:connect', (d) => d.peerId === c.peerId), once(c, 'peer:connect', (d) => d.peerId === a.peerId)];
  c.join('limit');
  await within(30000, Promise.all(aMeetsC), () => `a-c stalled: ${JSON.stringify([a.metrics(), c.metrics()])}`);

  const pathChanges = [];
  const limits = [];
  a.addEventListener('connection:path', (e) => pathChanges.push(e.detail.peerId));
  a.addEventListener('hub:error', (e) => { if (e.detail.code === 'RELAY_LIMIT') limits.push(e.detail.peerId); });
  const inB = inbox(b);
  const chunk = (i) => new Uint8Array(64 * 1024).fill(i & 255);
  await within(60000, Promise.all(Array.from({ length: 48 }, (_, i) => a.send(b.peerId, chunk(i)))), () => `sends stalled: ${JSON.stringify(a.metrics())}`);
  assert.ok(limits.length >= 1, 'the 3 MiB exchange went past the 2 MiB path limit');
  assert.ok(limits.every((id) => id === b.peerId), 'RELAY_LIMIT names the other end of the path that ended');
  assert.ok(pathChanges.includes(b.peerId), 'the a-b relay path restarted');
  assert.ok(!pathChanges.includes(c.peerId), 'the a-c relay path was left alone');
  assert.equal(inB.length, 48);
  inB.forEach((m, i) => assert.equal(m[0], i & 255, `message ${i} once and in order`));
  const inC = inbox(c);
  await a.send(c.peerId, 'still here');
  assert.deepEqual(inC, ['still here']);
});
