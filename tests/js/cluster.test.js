// Hubs that scale out on Redis: a real redis-server and two or three hub
// processes (`starling hub --redis`), peers spread across them. Checked:
// a room, signalling and the relay across instances; an instance killed
// mid-exchange (its peers move to another hub and every message arrives
// exactly once, in order); a burst sent across instances in one turn
// (one batch on Redis) arrives whole and in order, also when its sender
// leaves right after it; a challenge answered on one instance is not
// accepted by another; Redis restarted (reported in /health and
// /metrics, and the hubs recover).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createServer } from 'node:net';
import { init, Identity, createPeer } from '../../js-glue/index.js';
import { hs256, claimsFor } from './helpers/jwt.js';
import { login } from './helpers/raw-client.js';
import { within, until } from './helpers/wait.js';
import { startRedis, startHubProcess, health, metric, CLUSTER_SECRET } from './helpers/cluster-lab.js';
import { startHub } from '../../js-glue/hub.js';

const cleanup = [];
after(async () => { for (const fn of cleanup.reverse()) await fn(); });

async function peer(hubUrl, opts = {}, identity = Identity.generate()) {
  const p = await createPeer({ hubUrl, identity, token: hs256(claimsFor(identity), CLUSTER_SECRET), gossip: false, ...opts });
  cleanup.push(() => p.close());
  return p;
}
const connected = (p, peerId) => new Promise((ok) => {
  if (p.connections().some((c) => c.peerId === peerId)) return ok();
  p.addEventListener('peer:connect', (e) => { if (e.detail.peerId === peerId) ok(e.detail); });
});
// The hub relay only: ICE may use no candidate without TURN, so the session falls back at once.
const RELAY_ONLY = { iceTransportPolicy: 'relay', directTimeoutMs: 500 };

await init();
const redis = await startRedis();
cleanup.push(() => redis.stop());
const hubs = await Promise.all([0, 1, 2].map(() => startHubProcess(redis.url)));
for (const h of hubs) cleanup.push(() => h.kill());

test('startHub refuses a bad redis option, and rejects when Redis does not answer, leaving nothing running', async () => {
  await assert.rejects(startHub({ jwtSecret: CLUSTER_SECRET, redis: 'http://127.0.0.1:6379' }), (err) => err.code === 'INVALID_OPTION');
  const closed = await new Promise((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
  await assert.rejects(startHub({ jwtSecret: CLUSTER_SECRET, redis: `redis://127.0.0.1:${closed}` }), (err) => err.code === 'REDIS_UNREACHABLE');
});

test('two peers on different instances meet in a room, signal (WebRTC) and relay', async () => {
  const a = await peer(hubs[0].url);
  const b = await peer(hubs[1].url);
  a.join('cross');
  b.join('cross');
  const [ca] = await within(20000, Promise.all([connected(a, b.peerId), connected(b, a.peerId)]), () => 'no direct session across instances');
  assert.equal(ca?.path ?? a.connections()[0].path, 'direct', 'offer, answer and candidates crossed instances');
  const heard = new Promise((ok) => b.addEventListener('message', (e) => ok(e.detail.data), { once: true }));
  await a.send(b.peerId, 'over webrtc');
  assert.equal(await heard, 'over webrtc');

  const c = await peer(hubs[1].url, RELAY_ONLY);
  const d = await peer(hubs[2].url, RELAY_ONLY);
  c.join('relayed');
  d.join('relayed');
  const [cc] = await within(20000, Promise.all([connected(c, d.peerId), connected(d, c.peerId)]), () => 'no relayed session across instances');
  assert.equal(cc.path, 'relay');
  const got = [];
  d.addEventListener('message', (e) => got.push(e.detail.data));
  await Promise.all(Array.from({ length: 50 }, (_, i) => c.send(d.peerId, `r${i}`)));
  await within(10000, until(() => got.length === 50), () => `got ${got.length}`);
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `r${i}`));
  assert.ok(await metric(hubs[1], 'starling_hub_cluster_published_total') > 0);
  assert.ok(await metric(hubs[2], 'starling_hub_delivered_total') > 0);
  assert.equal((await health(hubs[0])).redis, 'ok');
});

test('an instance killed mid-exchange: its peers move to another hub, every message arrives exactly once', async () => {
  const extra = await startHubProcess(redis.url);
  cleanup.push(() => extra.kill());
  // b, which stays, has the smaller id: it is the side that asks for relay
  // paths, and must learn that a's went with a's hub.
  const [idB, idA] = [Identity.generate(), Identity.generate()].sort((x, y) => (x.peerId < y.peerId ? -1 : 1));
  const a = await peer([extra.url, hubs[0].url], RELAY_ONLY, idA); // on `extra` until it dies
  const b = await peer(hubs[1].url, RELAY_ONLY, idB);
  a.join('failover');
  b.join('failover');
  await within(20000, Promise.all([connected(a, b.peerId), connected(b, a.peerId)]), () => 'no session');
  const got = [];
  b.addEventListener('message', (e) => got.push(e.detail.data));
  const N = 300;
  const sends = [];
  for (let i = 0; i < N; i++) {
    sends.push(a.send(b.peerId, `m${i}`));
    if (i === 100) await extra.kill('SIGKILL'); // mid-exchange, no goodbye
    if (i % 20 === 0) await new Promise((ok) => setTimeout(ok, 5));
  }
  await within(60000, until(() => got.length >= N), () => `b has ${got.length} of ${N}; a's hub ${a.hubUrl}`);
  await Promise.all(sends);
  await new Promise((ok) => setTimeout(ok, 300)); // a duplicate would arrive now
  assert.equal(got.length, N, 'no duplicate');
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => `m${i}`), 'in order, none missing');
  assert.equal(a.hubUrl, hubs[0].url, 'a moved to the next hub');
});

test('a burst across instances arrives whole and in order, before its sender is seen to leave', async () => {
  const [ida, idb] = [Identity.generate(), Identity.generate()];
  const a = await login(hubs[0].url, ida, hs256(claimsFor(ida), CLUSTER_SECRET));
  const b = await login(hubs[1].url, idb, hs256(claimsFor(idb), CLUSTER_SECRET));
  a.send({ type: 'join', room: 'burst' });
  await a.next((m) => m.type === 'peer-list');
  b.send({ type: 'join', room: 'burst' });
  await b.next((m) => m.type === 'peer-list');
  await a.next((m) => m.type === 'peer-joined' && m.from === idb.peerId, 10000);
  const published = await metric(hubs[0], 'starling_hub_cluster_published_total');
  const publishes = await metric(hubs[0], 'starling_hub_cluster_publishes_total');
  // 300 offers (within the burst limit of 400), then a leave that the hub
  // reads in the same turn: the leave is announced on Redis at once, so the
  // offers batched before it must go first, or instance 1 would refuse them.
  for (let i = 0; i < 300; i++) a.send({ type: 'offer', to: idb.peerId, payload: { n: i } });
  a.send({ type: 'leave', room: 'burst' });
  a.ws.close();
  const got = [];
  for (;;) {
    const m = await b.next((x) => x.type === 'offer' || (x.type === 'peer-left' && x.from === ida.peerId), 10000);
    if (m.type === 'peer-left') break;
    assert.equal(m.from, ida.peerId);
    got.push(m.payload.n);
  }
  assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => i), 'every offer, in order, before peer-left');
  assert.equal(await metric(hubs[0], 'starling_hub_cluster_published_total') - published, 300);
  const batches = await metric(hubs[0], 'starling_hub_cluster_publishes_total') - publishes;
  assert.ok(batches >= 1 && batches <= 100, `300 messages took ${batches} publishes: batched per turn`);
  b.ws.close();
});

test("a challenge answered on one instance is not accepted by another", async () => {
  const identity = Identity.generate();
  const token = hs256(claimsFor(identity), CLUSTER_SECRET);
  const dial = (url) => new Promise((ok, bad) => {
    const ws = new WebSocket(url);
    const inbox = [];
    let wake = () => {};
    ws.on('message', (d) => { inbox.push(JSON.parse(d.toString())); wake(); });
    ws.on('open', () => ok({ ws, next: async () => { while (!inbox.length) await new Promise((r) => { wake = r; }); return inbox.shift(); } }));
    ws.on('error', bad);
  });
  const sign = (nonce) => {
    const msg = new Uint8Array([...new TextEncoder().encode('starling-hub-challenge:'), ...Buffer.from(nonce, 'base64url')]);
    return Buffer.from(identity.sign(msg)).toString('base64url');
  };
  const one = await dial(hubs[0].url);
  one.ws.send(JSON.stringify({ type: 'auth', payload: { token } }));
  const c1 = await one.next();
  assert.equal(c1.type, 'challenge');
  const proof = sign(c1.payload.nonce);
  one.ws.send(JSON.stringify({ type: 'auth-proof', payload: { signature: proof } }));
  assert.equal((await one.next()).type, 'authenticated');
  // The same token and the same answer on another instance: a fresh nonce there, so refused.
  const two = await dial(hubs[1].url);
  two.ws.send(JSON.stringify({ type: 'auth', payload: { token } }));
  const c2 = await two.next();
  assert.notEqual(c2.payload.nonce, c1.payload.nonce);
  two.ws.send(JSON.stringify({ type: 'auth-proof', payload: { signature: proof } }));
  const refused = await two.next();
  assert.equal(refused.type, 'error');
  assert.equal(refused.payload.code, 'AUTH_PROOF_INVALID');
  one.ws.close();
  two.ws.close();
});

test("an address's connect limit is the cluster's, not each instance's", async () => {
  // Two more instances, in process, with a budget of 4 connections per address.
  const limits = { jwtSecret: CLUSTER_SECRET, redis: redis.url, redisPrefix: `limits-${process.pid}`, connectBurst: 4, connectRate: 0.01, onError: () => {} };
  const [x, y] = [await startHub(limits), await startHub(limits)];
  cleanup.push(() => x.close(), () => y.close());
  const open = (url) => new Promise((ok) => {
    const ws = new WebSocket(url);
    let refused = false;
    ws.on('message', (d) => { if (JSON.parse(d.toString()).payload?.code === 'RATE_LIMITED') refused = true; });
    ws.on('close', () => ok(refused));
    ws.on('error', () => {});
    setTimeout(() => ws.close(), 400);
  });
  const first = await Promise.all([open(x.url), open(x.url), open(x.url)]);
  assert.deepEqual(first, [false, false, false]);
  const second = await Promise.all([open(y.url), open(y.url), open(y.url)]); // y has seen x's three
  assert.equal(second.filter(Boolean).length, 2, 'one more in the cluster, not four more on y');
});

test('Redis restarted: the hubs report it, keep their own clients, and recover when it returns', async () => {
  const a = await peer(hubs[0].url, RELAY_ONLY);
  a.join('outage');
  await redis.stop('SIGKILL');
  await within(15000, (async () => { while ((await health(hubs[0])).redis !== 'down') await new Promise((ok) => setTimeout(ok, 100)); })(), () => 'health never said redis down');
  const h = await health(hubs[0]);
  assert.equal(h.status, 'degraded');
  assert.equal(await metric(hubs[0], 'starling_hub_redis_up'), 0);
  // Same port, empty: the hubs must republish what they hold.
  const again = await startRedis(redis.port);
  cleanup.push(() => again.stop());
  await within(20000, (async () => { for (const hub of hubs) while ((await health(hub)).redis !== 'ok') await new Promise((ok) => setTimeout(ok, 100)); })(), () => 'a hub never reconnected to redis');
  assert.equal(await metric(hubs[0], 'starling_hub_redis_up'), 1);
  // A peer arriving on another instance now finds `a` (learnt from the republished state).
  const b = await peer(hubs[2].url, RELAY_ONLY);
  b.join('outage');
  await within(20000, Promise.all([connected(a, b.peerId), connected(b, a.peerId)]), () => 'no session after redis came back');
  const heard = new Promise((ok) => a.addEventListener('message', (e) => ok(e.detail.data), { once: true }));
  await b.send(a.peerId, 'after the outage');
  assert.equal(await heard, 'after the outage');
});
