// A hostile gossip peer with real parts (hub, node-datachannel, Noise):
// X has no router of its own and writes raw pubsub RPCs, encoded with
// js-libp2p-gossipsub's protobuf codec, into GOSSIP frames on its link to
// the victim V. Malformed protobuf, an oversized RPC, IHAVE floods past
// the caps, IWANT for messages never advertised, GRAFT during a backoff,
// bad signatures and spam on a topic V does not subscribe to: each is
// refused with its code and costs score, X ends graylisted, and the honest
// peer H keeps delivering to V throughout, with V's memory bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RPC } from '@chainsafe/libp2p-gossipsub/message';
import { peerIdFromString } from '@libp2p/peer-id';
import { KIND } from '../../js-glue/delivery.js';
import { heap } from '../../js-glue/core.js';
import { peerFixture } from './helpers/peers.js';
import { within, until, once } from './helpers/wait.js';

const TOPIC = 'market';
const { makePeer } = peerFixture('hostile-test-secret-0123456789abcdef01', { connections: false });

const rpc = ({ subscriptions = [], messages = [], ...control }) => RPC.encode({
  subscriptions, messages,
  control: { ihave: [], iwant: [], graft: [], prune: [], idontwant: [], ...control },
});

test('peers speaking raw hostile RPCs are refused, scored and graylisted; honest delivery goes on', { timeout: 120000 }, async () => {
  const v = await makePeer({ gossip: { maxRpcBytes: 64 * 1024, maxMessageBytes: 32 * 1024 } });
  const h = await makePeer();
  // No router of their own: every RPC they send is written by hand.
  const x = await makePeer({ gossip: false });
  const y = await makePeer({ gossip: false });
  for (const p of [v, h, x, y]) p.join('arena');
  await within(20000, until(() => v.connections().length === 3 && x.connections().length === 3 && y.connections().length === 3), () => 'links stalled');
  v.pubsub.subscribe(TOPIC);
  h.pubsub.subscribe(TOPIC);

  /** A hostile peer's handle: raw sends to V, and V's refusals of it. */
  const hostile = (p) => {
    const link = p._link(v.peerId);
    const refusals = [];
    v.addEventListener('gossip:refused', (e) => { if (e.detail.peerId === p.peerId) refusals.push(e.detail); });
    return {
      send: (bytes) => assert.ok(link.sendQuiet(bytes, KIND.GOSSIP), 'the link took the frame'),
      refused: async (step, code, topic) => {
        await within(5000, until(() => refusals.some((r) => r.code === code && (topic === undefined || r.topic === topic))),
          () => `${step}: no ${code} refusal (score ${v.pubsub.score(p.peerId)}): ${JSON.stringify(refusals)}`);
        refusals.length = 0;
      },
      score: () => v.pubsub.score(p.peerId),
    };
  };
  const X = hostile(x);
  const Y = hostile(y);

  // The honest publisher, all along: 60 messages, one every 100 ms.
  await within(10000, until(() => h.pubsub.getMeshPeers(TOPIC).includes(v.peerId)), () => 'no honest mesh');
  const honest = new Map();
  v.addEventListener('gossip:message', (e) => {
    if (e.detail.from === h.peerId && e.detail.topic === TOPIC) honest.set(e.detail.id, (honest.get(e.detail.id) ?? 0) + 1);
  });
  const publishing = (async () => {
    for (let n = 0; n < 60; n++) {
      await h.pubsub.publish(TOPIC, `honest ${n}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  })();
  publishing.catch(() => {}); // awaited below; not unhandled if a step above fails first
  const heapBefore = heap().length;

  // X: the gossip control paths, then forged messages.
  X.send(rpc({ subscriptions: [{ subscribe: true, topic: TOPIC }] }));
  await within(5000, until(() => v.pubsub.getSubscribers(TOPIC).includes(x.peerId)), () => 'X did not subscribe');
  const iwantBefore = v.metrics().gossip.iwantOut;
  for (let k = 0; k < 40; k++) {
    X.send(rpc({ ihave: [{ topicID: TOPIC, messageIDs: Array.from({ length: 500 }, () => randomBytes(46)) }] }));
  }
  await X.refused('IHAVE flood', 'GOSSIP_LIMIT'); // past 10 IHAVEs a heartbeat
  const asked = v.metrics().gossip.iwantOut - iwantBefore;
  X.send(rpc({ iwant: [{ messageIDs: [randomBytes(46), randomBytes(46)] }] }));
  await X.refused('IWANT never advertised', 'GOSSIP_LIMIT');
  X.send(rpc({ prune: [{ topicID: TOPIC, peers: [], backoff: 60 }] }));
  X.send(rpc({ graft: [{ topicID: TOPIC }] }));
  await X.refused('GRAFT in backoff', 'GOSSIP_LIMIT', TOPIC);
  assert.ok(X.score() < 0, `X's score fell: ${X.score()}`);

  const from = peerIdFromString(x.peerId).toMultihash().bytes;
  // seqno: the time in ms << 20 plus a counter, 8 bytes big-endian, as ours.
  let counter = 0n;
  const seqno = () => new Uint8Array(new BigUint64Array([(BigInt(Date.now()) << 20n) + counter++]).buffer).reverse();
  const forged = (topic) => ({ from, seqno: seqno(), topic, data: randomBytes(16), signature: randomBytes(64) });
  X.send(rpc({ messages: [forged('not-ours')] }));
  await X.refused('spam off our topics', 'GOSSIP_UNSUBSCRIBED', 'not-ours');
  const gray = once(v, 'gossip:graylisted', (d) => d.peerId === x.peerId);
  X.send(rpc({ messages: [forged(TOPIC)] }));
  await X.refused('bad signature', 'GOSSIP_SIGNATURE', TOPIC);
  for (let k = 0; k < 12; k++) X.send(rpc({ messages: [forged(TOPIC)] }));
  await within(10000, gray, () => `X not graylisted at score ${X.score()}`);
  assert.ok(X.score() < -80);
  X.send(rpc({ subscriptions: [{ subscribe: true, topic: 'other' }] }));
  await X.refused('after graylisting', 'GOSSIP_GRAYLISTED');
  assert.ok(!v.pubsub.getMeshPeers(TOPIC).includes(x.peerId), 'X is out of the mesh');

  // Y: bytes that are not an RPC, and RPCs past the size cap.
  const grayY = once(v, 'gossip:graylisted', (d) => d.peerId === y.peerId);
  Y.send(Uint8Array.of(0xff, 0xff, 0xff));
  await Y.refused('malformed protobuf', 'GOSSIP_RPC_MALFORMED');
  Y.send(rpc({ messages: [{ topic: TOPIC, data: new Uint8Array(100 * 1024) }] }));
  await Y.refused('oversized RPC', 'GOSSIP_LIMIT');
  for (let k = 0; k < 4; k++) Y.send(randomBytes(64 * 1024 + 1));
  await within(10000, grayY, () => `Y not graylisted at score ${Y.score()}`);

  // V asked X for what X advertised (bounded), X never delivered: broken promises.
  assert.ok(asked > 0 && asked <= 10 * 500, `IWANT ids asked: ${asked}`);
  await within(15000, until(() => v.metrics().gossip.promisesBroken > 0), () => JSON.stringify(v.metrics().gossip));

  // The honest peer's 60 messages all arrived, once each, and it kept its standing.
  await publishing;
  await within(10000, until(() => honest.size === 60), () => `honest delivery ${honest.size}/60`);
  assert.ok([...honest.values()].every((n) => n === 1));
  assert.ok(v.pubsub.score(h.peerId) >= 0, 'the honest peer is not penalised');
  const grown = heap().length - heapBefore;
  assert.ok(grown <= 16 * 1024 * 1024, `wasm memory grew by ${grown} bytes`);
});
