// peer.pubsub over real links: a real hub on 127.0.0.1, real WebRTC
// (node-datachannel), real Noise sessions; GOSSIP frames ride each link's
// delivery stream. Twelve peers in three overlapping rooms, so that some
// share no room (and no link) with some publishers: their messages can
// only come through the mesh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { init, Identity, createPeer, DISCOVERY_TOPIC } from '../../js-glue/index.js';
import { startHub } from '../../js-glue/hub.js';
import { hs256, claimsFor } from './helpers/jwt.js';
import { within, until } from './helpers/wait.js';

const SECRET = 'pubsub-test-secret-0123456789abcdef01';
const TOPIC = 'chat/general';
let hub;
const created = [];
before(async () => {
  await init();
  hub = await startHub({ jwtSecret: SECRET, messageRate: 5000, messageBurst: 10000 });
});
after(async () => {
  await Promise.all(created.map((p) => p.close()));
  await hub?.close();
});

const token = (id) => hs256(claimsFor(id), SECRET);

async function makePeer(opts = {}) {
  const identity = Identity.generate();
  const p = await createPeer({ hubUrl: hub.url, token: token(identity), identity, ...opts });
  created.push(p);
  return p;
}

/** Waits until every peer has a link to each peer it shares a room with. */
async function linked(list, rooms) {
  const want = list.map((p, i) => {
    const mine = rooms.filter((r) => r.includes(i));
    return new Set(mine.flat().filter((j) => j !== i).map((j) => list[j].peerId));
  });
  await within(30000, until(() => list.every((p, i) => [...want[i]].every((id) => p.connections().some((c) => c.peerId === id)))),
    () => `links stalled: ${JSON.stringify(list.map((p) => p.connections().length))}`);
  return want;
}

test('12 peers in 3 rooms: 1,000 messages from 4 publishers reach every subscriber exactly once, across rooms through the mesh', { timeout: 180000 }, async () => {
  const list = [];
  for (let i = 0; i < 12; i++) list.push(await makePeer());
  // A ring of rooms: 0-4, 4-8, 8-11 + 0. Peer 2 shares no room with peer 6.
  const rooms = [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8], [8, 9, 10, 11, 0]];
  rooms.forEach((members, r) => members.forEach((i) => list[i].join(`room-${r}`)));
  const neighbours = await linked(list, rooms);
  assert.ok(!neighbours[2].has(list[6].peerId), 'peer 2 and peer 6 share no room');

  const inbox = list.map(() => new Map()); // message id -> { count, from, data }
  list.forEach((p, i) => {
    p.pubsub.subscribe(TOPIC);
    p.addEventListener('gossip:message', (e) => {
      const { id, from, data, topic } = e.detail;
      if (topic !== TOPIC) return;
      const seen = inbox[i].get(id);
      if (seen) seen.count++;
      else inbox[i].set(id, { count: 1, from, text: new TextDecoder().decode(data) });
    });
  });
  // Every link's subscription is known and every mesh has formed.
  await within(20000, until(() => list.every((p, i) => p.pubsub.getSubscribers(TOPIC).length === neighbours[i].size && p.pubsub.getMeshPeers(TOPIC).length > 0)),
    () => `mesh stalled: ${JSON.stringify(list.map((p) => [p.pubsub.getSubscribers(TOPIC).length, p.pubsub.getMeshPeers(TOPIC).length]))}`);
  for (const p of list) assert.deepEqual(p.pubsub.getTopics(), [DISCOVERY_TOPIC, TOPIC]);

  const publishers = [0, 3, 6, 9];
  const sent = new Map(); // id -> author index
  for (let n = 0; n < 250; n++) {
    for (const i of publishers) {
      const { id, recipients } = await list[i].pubsub.publish(TOPIC, `m${n} from ${i}`);
      assert.ok(recipients > 0);
      sent.set(id, i);
    }
    if (n % 25 === 24) await new Promise((ok) => setTimeout(ok, 20)); // let the links drain
  }
  assert.equal(sent.size, 1000);
  const expected = (i) => [...sent.values()].filter((a) => a !== i).length;
  await within(60000, until(() => list.every((_, i) => inbox[i].size === expected(i))),
    () => `delivery stalled: ${JSON.stringify(list.map((_, i) => `${inbox[i].size}/${expected(i)}`))}`);
  await new Promise((ok) => setTimeout(ok, 1500)); // room for late duplicates to show
  list.forEach((p, i) => {
    assert.equal(inbox[i].size, expected(i), `peer ${i} got every message`);
    for (const [id, m] of inbox[i]) {
      assert.equal(m.count, 1, `peer ${i} got ${id} once`);
      assert.equal(m.from, list[sent.get(id)].peerId);
      assert.match(m.text, new RegExp(` from ${sent.get(id)}$`));
    }
  });
  // Peer 2 got peer 6's messages without a link to it: relayed by the mesh.
  assert.equal([...inbox[2].values()].filter((m) => m.from === list[6].peerId).length, 250);
  const g = list[2].metrics().gossip;
  assert.ok(g.delivered >= 1000 && g.rpcsIn > 0 && g.heartbeats > 0, JSON.stringify(g));
  assert.equal(g.dropped, 0);
  // Discovery ran on the side: peer 2 learned of peer 6 from its announcement.
  assert.equal(list[2].discovery.get(list[6].peerId)?.how, 'gossip');
});

test('publish rejects with GOSSIP_NO_PEERS when nobody subscribes, unless allowNoPeers', async () => {
  const p = await makePeer();
  p.pubsub.subscribe('lonely');
  await assert.rejects(p.pubsub.publish('lonely', 'hello?'), { code: 'GOSSIP_NO_PEERS' });
  const r = await p.pubsub.publish('lonely', 'hello?', { allowNoPeers: true });
  assert.equal(r.recipients, 0);
  assert.match(r.id, /^[0-9a-f]{92}$/);
});

test('gossip: false leaves pubsub out', async () => {
  const p = await makePeer({ gossip: false });
  assert.equal(p.pubsub, null);
  assert.equal(p.metrics().gossip, null);
});
