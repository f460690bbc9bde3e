// Discovery and mesh signalling with real parts: a real hub, real WebRTC
// (node-datachannel), real Noise. A and C share no hub room; B is in
// both. A learns of C through C's gossiped announcement; then the hub is
// killed, and A dials C with the offer, answer and candidates forwarded
// by B as SIGNAL frames. The session that opens is direct and carries
// messages both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity, DISCOVERY_TOPIC, sealPeerRecord } from '../../js-glue/index.js';
import { KIND } from '../../js-glue/delivery.js';
import { startHub } from '../../js-glue/hub.js';
import { peerFixture } from './helpers/peers.js';
import { within, until, once } from './helpers/wait.js';

const SECRET = 'mesh-test-secret-0123456789abcdef0123';
// The dials here are the test's own: no connection manager.
const fx = peerFixture(SECRET, { directTimeoutMs: 5000, connections: false });
const makePeer = () => fx.makePeer();

const connectedTo = (p, id) => p.connections().some((c) => c.peerId === id);

test('a peer found through gossip is dialled through a common peer after the hub is gone', { timeout: 90000 }, async () => {
  const [a, b, c] = [await makePeer(), await makePeer(), await makePeer()];
  const found = once(a, 'peer:discovery', (d) => d.peerId === c.peerId);
  a.join('left');
  b.join('left');
  b.join('right');
  c.join('right');
  await within(20000, until(() => connectedTo(a, b.peerId) && connectedTo(b, c.peerId)), () => 'links did not open');
  assert.ok(!connectedTo(a, c.peerId), 'A and C share no room');

  const d = await within(20000, found, () => `C was not discovered: ${JSON.stringify(a.discovery.list())}`);
  assert.equal(d.how, 'gossip');
  assert.deepEqual(d.multiaddrs, [`/ip4/127.0.0.1/tcp/${new URL(fx.hub.url).port}/ws/p2p-circuit/p2p/${c.peerId}`, `/webrtc/p2p/${c.peerId}`]);
  assert.ok(a.pubsub.getTopics().includes(DISCOVERY_TOPIC));
  assert.equal(a.discovery.get(c.peerId).via, b.peerId, 'the announcement came through B');

  await fx.hub.close();
  fx.hub = null;
  await within(10000, until(() => !a.metrics().hub.connected && !c.metrics().hub.connected), () => 'hub still up');

  await within(30000, a.dial(c.peerId), () => `dial stalled: ${JSON.stringify({ a: a.metrics().signalling, b: b.metrics().signalling })}`);
  const conn = a.connections().find((x) => x.peerId === c.peerId);
  assert.deepEqual({ peerId: conn.peerId, path: conn.path }, { peerId: c.peerId, path: 'direct' });
  assert.equal(conn.candidates.local, 'host', 'loopback: the pair is made of host (or peer-reflexive) candidates');
  assert.ok(b.metrics().signalling.forwarded >= 2, JSON.stringify(b.metrics().signalling));

  const gotC = once(c, 'message', (m) => m.from === a.peerId);
  const gotA = once(a, 'message', (m) => m.from === c.peerId);
  await a.send(c.peerId, 'hello C, without a hub');
  await c.send(a.peerId, 'hello A');
  assert.equal((await gotC).data, 'hello C, without a hub');
  assert.equal((await gotA).data, 'hello A');
});

test('mesh signalling refuses what it cannot use: bad frames, unknown routes, and unknown peers to dial', { timeout: 60000 }, async () => {
  fx.hub = await startHub({ jwtSecret: SECRET });
  const [a, b] = [await makePeer(), await makePeer()];
  const someoneElse = sealPeerRecord(Identity.generate(), 1, []);
  a.discovery.ownRecord = () => someoneElse;
  a.join('pair');
  b.join('pair');
  await within(20000, until(() => connectedTo(a, b.peerId) && connectedTo(b, a.peerId)), () => 'no link');
  await within(5000, until(() => b.metrics().discovery.records.refused === 1), () => JSON.stringify(b.metrics().discovery));
  assert.equal(b.metrics().discovery.records.received, 0);
  const link = a._link(b.peerId);
  const before = b.metrics().signalling.refused;
  const enc = (o) => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));
  for (const bad of ['not json', { type: 'offer' }, { to: 'x', from: 'y', type: 'offer' }, { to: a.peerId, type: 'hack' }, { to: Identity.generate().peerId, type: 'offer', payload: {} }, 'x'.repeat(20000)]) {
    link.sendQuiet(enc(bad), KIND.SIGNAL);
  }
  await within(5000, until(() => b.metrics().signalling.refused - before === 6), () => `refused ${b.metrics().signalling.refused - before}`);
  assert.equal(b.metrics().signalling.forwarded, 0);
  // A sent a signed peer record of someone else when the link opened:
  // refused. Its own is taken, once; a second one and a mangled one are not.
  const hexOf = (u8) => Buffer.from(u8).toString('hex');
  link.sendQuiet(enc({ type: 'record', payload: { envelope: hexOf(sealPeerRecord(a.identity, 2, [])) } }), KIND.SIGNAL);
  link.sendQuiet(enc({ type: 'record', payload: { envelope: hexOf(sealPeerRecord(a.identity, 3, [])) } }), KIND.SIGNAL);
  link.sendQuiet(enc({ type: 'record', payload: { envelope: 'zz' } }), KIND.SIGNAL);
  await within(5000, until(() => b.metrics().signalling.refused - before === 8), () => `refused ${b.metrics().signalling.refused - before}`);
  assert.deepEqual(b.metrics().discovery.records, { received: 1, refused: 1 });
  await assert.rejects(a.dial(Identity.generate().peerId, { timeoutMs: 1500 }), { code: 'DIAL_TIMEOUT' });
  const lone = await makePeer();
  await assert.rejects(lone.dial(a.peerId), { code: 'PEER_NOT_DISCOVERED' });
});
