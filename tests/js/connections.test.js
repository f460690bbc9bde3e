// The connection manager with real parts (hub, node-datachannel, Noise):
// below the low water mark a peer dials peers it discovered through gossip
// (signalled through the mesh) and stops at the mark; above the high mark
// it says goodbye to the lowest-scored links it can spare, never the last
// mesh peer of a subscribed topic nor a peer in one of its rooms; the hard
// cap refuses dials; bad options are refused before anything connects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../../js-glue/index.js';
import { peerFixture } from './helpers/peers.js';
import { within, until, once } from './helpers/wait.js';

const fx = peerFixture('connections-test-secret-0123456789abcdef', { directTimeoutMs: 5000 });
const { makePeer } = fx;

const ids = (p) => p.connections().map((c) => c.peerId).sort();
const pause = (ms) => new Promise((ok) => setTimeout(ok, ms));

test('below the low mark: dials peers found through gossip, up to the mark and no further', { timeout: 90000 }, async () => {
  // A shares a room with B only; B is in a room with C, D, E, F. A learns
  // of the other four from their announcements and, with low = 3, opens
  // direct sessions to two of them through B.
  const a = await makePeer({ connections: { low: 3, high: 8, intervalMs: 300 } });
  const b = await makePeer();
  const others = [];
  for (let i = 0; i < 4; i++) others.push(await makePeer());
  a.join('pair');
  b.join('pair');
  b.join('group');
  for (const p of others) p.join('group');
  await within(40000, until(() => a.connections().length === 3), () => `A has ${a.connections().length}: ${JSON.stringify(a.metrics().connectionManager)}`);
  await pause(2000); // more checks run: A stays at the mark
  assert.equal(a.connections().length, 3);
  assert.ok(a.connections().every((c) => c.path === 'direct'));
  const m = a.metrics();
  assert.ok(m.connectionManager.dials >= 2, JSON.stringify(m.connectionManager));
  assert.ok(m.signalling.meshDials >= 2);
  assert.ok(b.metrics().signalling.forwarded >= 4, 'B forwarded the signalling');
  assert.equal(b.metrics().discovery.records.received, 5, 'each link carried its peer\'s signed record');
  const dialled = ids(a).filter((id) => id !== b.peerId);
  assert.ok(dialled.every((id) => others.some((p) => p.peerId === id)));
  // The dialled peers carry messages like any other.
  const target = others.find((p) => p.peerId === dialled[0]);
  const got = once(target, 'message', (d) => d.from === a.peerId);
  await a.send(target.peerId, 'hi from the connection manager');
  assert.equal((await got).data, 'hi from the connection manager');
  await Promise.all([a, b, ...others].map((p) => p.close()));
});

test('above the high mark: the lowest-scored spare links go, the last mesh peer of a topic stays', { timeout: 90000 }, async () => {
  // X meets four peers in a room, then leaves the room: the four direct
  // links stay, no longer protected by a room. Only P4 shares topic
  // "rare" with X, and P1 has a low application score. Lowering the high
  // mark to 3 drops P1; lowering it to 1 leaves P4 alone.
  const x = await makePeer({ connections: { low: 0, high: 4, intervalMs: 300 } });
  const ps = [];
  for (let i = 0; i < 4; i++) ps.push(await makePeer({ connections: false }));
  for (const p of [x, ...ps]) p.join('room');
  await within(30000, until(() => x.connections().length === 4), () => `X has ${x.connections().length}`);
  x.pubsub.subscribe('rare');
  ps[3].pubsub.subscribe('rare');
  await within(10000, until(() => x.pubsub.getMeshPeers('rare').includes(ps[3].peerId)), () => 'no mesh on rare');
  x.pubsub.setAppScore(ps[0].peerId, -100);
  x.connectionManager.high = 1;
  await pause(1000);
  assert.equal(x.connections().length, 4, 'room links are never pruned');
  x.connectionManager.high = 3;
  const seen = once(ps[0], 'peer:disconnect', (d) => d.peerId === x.peerId);
  x.leave('room');
  await within(20000, until(() => x.connections().length === 3), () => `X has ${JSON.stringify(x.connections())}`);
  assert.ok(!ids(x).includes(ps[0].peerId), 'the lowest score went first');
  await within(10000, seen, () => 'P1 did not see X go');
  x.connectionManager.high = 1;
  await within(20000, until(() => x.connections().length === 1), () => `X has ${JSON.stringify(x.connections())}`);
  assert.deepEqual(ids(x), [ps[3].peerId], 'the last mesh peer of "rare" stays');
  assert.equal(x.metrics().connectionManager.pruned, 3);
  await pause(1000); // and it stays that way
  assert.deepEqual(ids(x), [ps[3].peerId]);
  await Promise.all([x, ...ps].map((p) => p.close()));
});

test('the hard cap refuses dials; bad water marks are refused before connecting', { timeout: 60000 }, async () => {
  const a = await makePeer({ connections: { low: 0, high: 1, max: 1 } });
  const b = await makePeer();
  a.join('cap');
  b.join('cap');
  await within(20000, until(() => a.connections().length === 1), () => 'no link');
  await assert.rejects(a.dial(Identity.generate().peerId), { code: 'CONNECTION_LIMIT' });
  const sockets = () => Number(/^starling_hub_connections (\d+)/m.exec(fx.hub.metrics())[1]);
  const before = sockets();
  for (const bad of [{ low: 5, high: 4 }, { high: 10, max: 5 }, { low: -1 }, { low: 1.5 }]) {
    await assert.rejects(makePeer({ connections: bad }), RangeError, JSON.stringify(bad));
  }
  await within(5000, until(() => sockets() === before), () => `a refused peer stayed connected: ${sockets()} > ${before}`);
  await Promise.all([a, b].map((p) => p.close()));
});
