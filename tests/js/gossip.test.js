// The C core's GossipSub router through the wasm glue: routers over an
// in-memory transport (delivery, validators, the API's errors), and
// interop with js-libp2p: @chainsafe/libp2p-gossipsub's own protobuf codec
// decodes every RPC we send and every control type it encodes acts on our
// router; a message js-libp2p signs verifies in ours, and ours passes
// js-libp2p's StrictSign validation.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Identity, GossipRouter, sealPeerRecord, openPeerRecord } from '../../js-glue/index.js';
import { RPC } from '@chainsafe/libp2p-gossipsub/message';
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

// js-libp2p's own signing and StrictSign validation (not in the package's
// exports map, so imported by path).
const raw = await import(new URL('../../node_modules/@chainsafe/libp2p-gossipsub/dist/src/utils/buildRawMessage.js', import.meta.url));
const { PublishConfigType } = await import(new URL('../../node_modules/@chainsafe/libp2p-gossipsub/dist/src/types.js', import.meta.url));

before(() => init());

const hex = (b) => Buffer.from(b).toString('hex');

/** n routers on a manual clock; RPCs travel through a queue drained by flush(). */
function network(n, opts = {}) {
  let now = 1_700_000_000_000;
  const queue = [];
  const routers = [];
  const ids = Array.from({ length: n }, (_, i) => Identity.fromSeed(new Uint8Array(32).fill(i + 1)));
  const byId = new Map();
  for (let i = 0; i < n; i++) {
    const r = new GossipRouter({
      identity: ids[i], seed: i + 1, now, clock: () => now, ...opts,
      send: (to, rpc) => queue.push([ids[i].peerId, to, rpc]),
    });
    r.got = [];
    r.addEventListener('message', (e) => r.got.push(e.detail));
    routers.push(r);
    byId.set(ids[i].peerId, r);
  }
  const flush = () => {
    for (let guard = 0; queue.length && guard < 1e6; guard++) {
      const [from, to, rpc] = queue.shift();
      byId.get(to)?.receive(from, rpc);
    }
  };
  const link = (a, b) => {
    routers[a].addPeer(ids[b].peerId, { outbound: true });
    routers[b].addPeer(ids[a].peerId);
    flush();
  };
  const advance = (ms) => {
    for (let t = 0; t < ms; t += 100) {
      now += 100;
      for (const r of routers) r.tick(now);
      flush();
    }
  };
  return { routers, ids, flush, link, advance, close: () => routers.forEach((r) => r.close()) };
}

test('a ring of 8 routers: meshes form and every message reaches every subscriber once', () => {
  const net = network(8);
  for (let i = 0; i < 8; i++) { net.link(i, (i + 1) % 8); net.link(i, (i + 3) % 8); }
  for (const r of net.routers) r.subscribe('chat');
  net.flush();
  net.advance(3000);
  for (const r of net.routers) {
    assert.deepEqual(r.getTopics(), ['chat']);
    assert.ok(r.getMeshPeers('chat').length >= 2, 'mesh peers');
    assert.ok(r.getSubscribers('chat').length >= 2, 'subscribers');
  }
  const published = [];
  for (let k = 0; k < 25; k++) {
    for (const p of [0, 5]) published.push(net.routers[p].publish('chat', `m${p}-${k}`).id);
    net.flush();
  }
  net.advance(2000);
  for (let i = 0; i < 8; i++) {
    const ids = net.routers[i].got.map((m) => m.id);
    const own = i === 0 || i === 5 ? 25 : 0;
    assert.equal(ids.length, 50 - own, `router ${i} received each message once`);
    assert.equal(new Set(ids).size, ids.length);
  }
  const m = net.routers[3].got[0];
  assert.equal(m.topic, 'chat');
  assert.ok([net.ids[0].peerId, net.ids[5].peerId].includes(m.from));
  assert.match(m.id, /^[0-9a-f]{92}$/, 'id = from (38 bytes) || seqno (8), hex');
  const s = net.routers[0].stats();
  assert.equal(s.published, 25);
  assert.ok(s.heartbeats >= 3);
  net.close();
});

test('peer exchange carries signed peer records: a pruned peer learns the others with their addresses', () => {
  // Router 0 keeps at most 2 mesh peers; five others graft it, so it
  // prunes three, offering the rest with the records it was given.
  const net = network(6, { D: 2, Dlo: 1, Dhi: 2, Dscore: 1, Dout: 0, Dlazy: 2, acceptPxThreshold: 0 });
  for (let i = 1; i < 6; i++) net.link(0, i);
  for (let i = 1; i < 6; i++) {
    const addrs = [`/ip4/10.0.0.${i}/tcp/443/wss/p2p-circuit/p2p/${net.ids[i].peerId}`, `/webrtc/p2p/${net.ids[i].peerId}`];
    net.routers[0].setPeerRecord(net.ids[i].peerId, sealPeerRecord(net.ids[i], 1000 + i, addrs));
  }
  assert.throws(() => net.routers[0].setPeerRecord(net.ids[1].peerId, new Uint8Array(5000)), { code: 'INVALID_ARGUMENT' });
  const offered = [];
  for (let i = 1; i < 6; i++) net.routers[i].addEventListener('peer-exchange', (e) => offered.push({ to: i, ...e.detail }));
  for (const r of net.routers) r.subscribe('t');
  net.flush();
  net.advance(3000);
  assert.ok(net.routers[0].getMeshPeers('t').length <= 2);
  assert.ok(offered.length > 0, 'someone was pruned with peer exchange');
  for (const o of offered) {
    assert.equal(o.via, net.ids[0].peerId);
    assert.notEqual(o.peerId, net.ids[o.to].peerId, 'a peer is not offered itself');
    const rec = openPeerRecord(o.record);
    assert.equal(rec.peerId, o.peerId, 'the record is the offered peer\'s own');
    assert.equal(rec.multiaddrs[0], `/ip4/10.0.0.${net.ids.findIndex((id) => id.peerId === o.peerId)}/tcp/443/wss/p2p-circuit/p2p/${o.peerId}`);
  }
  net.close();
});

test('pruneOrder: lowest score first, never the last mesh peer of a subscribed topic', () => {
  const net = network(4);
  for (let i = 1; i < 4; i++) net.link(0, i);
  for (const r of net.routers) r.subscribe('a');
  net.routers[0].subscribe('b');
  net.routers[3].subscribe('b');
  net.flush();
  net.advance(2000);
  net.routers[0].setAppScore(net.ids[2].peerId, -5);
  assert.deepEqual(net.routers[0].pruneOrder(), [net.ids[2].peerId, net.ids[1].peerId]);
  net.close();
});

test('validators: reject is not forwarded and costs score; async answers work; a throw ignores', async () => {
  const net = network(3);
  net.link(0, 1);
  net.link(1, 2);
  for (const r of net.routers) r.subscribe('v');
  net.flush();
  net.advance(2000);
  const seen = [];
  net.routers[1].addValidator('v', async (msg) => {
    seen.push(msg.data[0]);
    await new Promise((r) => setTimeout(r, 5));
    return msg.data[0] === 1 ? 'reject' : 'accept';
  });
  net.routers[2].addValidator('v', () => { throw new Error('validator bug'); });
  net.routers[0].publish('v', Uint8Array.of(1));
  net.flush();
  await new Promise((r) => setTimeout(r, 20));
  net.flush();
  assert.deepEqual(seen, [1]);
  assert.equal(net.routers[1].got.length, 0);
  assert.equal(net.routers[2].got.length, 0, 'a rejected message is not forwarded');
  assert.ok(net.routers[1].score(net.ids[0].peerId) < -9, 'reject costs P4');
  net.routers[0].publish('v', Uint8Array.of(2));
  net.flush();
  await new Promise((r) => setTimeout(r, 20));
  net.flush();
  assert.equal(net.routers[1].got.length, 1);
  assert.equal(net.routers[2].got.length, 0, 'a throwing validator ignores');
  assert.ok(net.routers[2].score(net.ids[1].peerId) >= 0, 'ignore costs nothing');
  net.close();
});

test('publish errors and argument checks', () => {
  const net = network(1);
  const r = net.routers[0];
  assert.throws(() => r.publish('t', 'x'), { code: 'GOSSIP_NO_PEERS' });
  const { id, recipients } = r.publish('t', 'x', { allowNoPeers: true });
  assert.equal(recipients, 0);
  assert.equal(id.length, 92);
  assert.throws(() => r.publish('', 'x'), { code: 'GOSSIP_TOPIC_INVALID' });
  assert.throws(() => r.publish('t', new Uint8Array(200_000), { allowNoPeers: true }), { code: 'GOSSIP_LIMIT' });
  assert.throws(() => r.receive(net.ids[0].peerId, new Uint8Array(0)), { code: 'GOSSIP_UNKNOWN_PEER' });
  assert.throws(() => new GossipRouter({ identity: net.ids[0], send() {}, Dlo: 9 }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new GossipRouter({ identity: net.ids[0], send() {}, bogus: 1 }), /unknown gossip option/);
  r.close();
  assert.throws(() => r.subscribe('t'), { code: 'CLOSED' });
});

/** A js-libp2p identity and a router peer speaking raw RPC through RPC.encode. */
async function libp2pPeer() {
  const privateKey = await generateKeyPair('Ed25519');
  const peerId = peerIdFromPrivateKey(privateKey);
  const publishConfig = { type: PublishConfigType.Signing, author: peerId, key: publicKeyToProtobuf(privateKey.publicKey), privateKey };
  return { privateKey, peerId, id: peerId.toString(), publishConfig };
}

function routerWith(remoteId, opts = {}) {
  const me = Identity.fromSeed(new Uint8Array(32).fill(99));
  const sent = [];
  const r = new GossipRouter({ identity: me, seed: 7, now: 1e12, clock: () => 1e12, send: (to, rpc) => sent.push({ to, rpc: RPC.decode(rpc) }), ...opts });
  r.got = [];
  r.refused = [];
  r.addEventListener('message', (e) => r.got.push(e.detail));
  r.addEventListener('refused', (e) => r.refused.push(e.detail));
  r.addPeer(remoteId, { outbound: true });
  return { r, me, sent };
}

test('interop: js-libp2p signs, our router verifies; we sign, js-libp2p StrictSign validates', async () => {
  const lp = await libp2pPeer();
  const { r, me, sent } = routerWith(lp.id);
  r.subscribe('interop');
  r.receive(lp.id, RPC.encode({ subscriptions: [{ subscribe: true, topic: 'interop' }], messages: [] }));
  // Theirs in ours.
  const built = await raw.buildRawMessage(lp.publishConfig, 'interop', Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3));
  assert.ok(built.raw.key, 'js-libp2p sets key; StrictSign lets it match from');
  r.receive(lp.id, RPC.encode({ subscriptions: [], messages: [built.raw] }));
  assert.equal(r.got.length, 1);
  assert.equal(r.got[0].from, lp.id);
  assert.deepEqual([...r.got[0].data], [1, 2, 3]);
  assert.equal(r.got[0].id, hex(built.raw.from) + hex(built.raw.seqno), 'default id = from || seqno');
  // A bit flipped in their signature: refused.
  const forged = { ...built.raw, seqno: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 42), signature: built.raw.signature.slice() };
  forged.signature[10] ^= 1;
  r.receive(lp.id, RPC.encode({ subscriptions: [], messages: [forged] }));
  assert.equal(r.got.length, 1);
  assert.ok(r.refused.some((x) => x.code === 'GOSSIP_SIGNATURE'));
  // Ours in theirs: the message we publish passes js-libp2p's StrictSign check.
  sent.length = 0;
  const { id } = r.publish('interop', 'from starling');
  const rpc = sent.find((s) => s.to === lp.id && s.rpc.messages.length)?.rpc;
  assert.ok(rpc, 'the publish reached the js-libp2p peer');
  const msg = rpc.messages[0];
  const v = await raw.validateToRawMessage('StrictSign', msg);
  assert.equal(v.valid, true, `js-libp2p validation: ${v.error}`);
  assert.equal(v.message.from.toString(), me.peerId);
  assert.equal(new TextDecoder().decode(v.message.data), 'from starling');
  assert.equal(id, hex(msg.from) + hex(msg.seqno));
  assert.equal(msg.key, undefined, 'key omitted: the Ed25519 peer id embeds it');
  // Tampering with our message fails their validation.
  const bad = { ...msg, data: new TextEncoder().encode('from mallory') };
  assert.equal((await raw.validateToRawMessage('StrictSign', bad)).valid, false);
  r.close();
});

test('interop: every control type, encoded by js-libp2p-gossipsub, acts on our router; ours decode in theirs', async () => {
  const lp = await libp2pPeer();
  const { r, sent } = routerWith(lp.id, { idontwantThreshold: 4 });
  // Our hello (subscriptions) decodes in their codec.
  r.subscribe('c');
  const hello = sent.find((s) => s.rpc.subscriptions.length)?.rpc;
  assert.deepEqual(hello.subscriptions, [{ subscribe: true, topic: 'c' }]);
  // SUBSCRIBE + GRAFT from them: they join our mesh.
  r.receive(lp.id, RPC.encode({ subscriptions: [{ subscribe: true, topic: 'c' }], messages: [], control: { ihave: [], iwant: [], graft: [{ topicID: 'c' }], prune: [], idontwant: [] } }));
  assert.deepEqual(r.getMeshPeers('c'), [lp.id]);
  // IHAVE from them: we answer with IWANT for the id.
  sent.length = 0;
  const wanted = Uint8Array.from({ length: 46 }, (_, i) => i);
  r.receive(lp.id, RPC.encode({ subscriptions: [], messages: [], control: { ihave: [{ topicID: 'c', messageIDs: [wanted] }], iwant: [], graft: [], prune: [], idontwant: [] } }));
  const iwant = sent.flatMap((s) => s.rpc.control?.iwant ?? []);
  assert.equal(iwant.length, 1);
  assert.deepEqual([...iwant[0].messageIDs[0]], [...wanted]);
  // IDONTWANT from them for our next message: it is not sent to them.
  sent.length = 0;
  // PRUNE from them with a backoff and peer exchange: they leave the mesh.
  const other = await libp2pPeer();
  r.receive(lp.id, RPC.encode({ subscriptions: [], messages: [], control: { ihave: [], iwant: [], graft: [], prune: [{ topicID: 'c', peers: [{ peerID: other.peerId.toMultihash().bytes }], backoff: 30 }], idontwant: [] } }));
  assert.deepEqual(r.getMeshPeers('c'), []);
  // A GRAFT inside that backoff is a violation: they are pruned again and scored.
  sent.length = 0;
  r.receive(lp.id, RPC.encode({ subscriptions: [], messages: [], control: { ihave: [], iwant: [], graft: [{ topicID: 'c' }], prune: [], idontwant: [] } }));
  const prune = sent.flatMap((s) => s.rpc.control?.prune ?? []);
  assert.equal(prune.length, 1);
  assert.equal(prune[0].topicID, 'c');
  assert.equal(Number(prune[0].backoff), 60, 'our PRUNE carries the backoff we honour (60 s)');
  assert.deepEqual(r.getMeshPeers('c'), []);
  // IWANT from them for a message we advertised: served. Build it: our
  // message goes into the cache, the heartbeat advertises it (they are
  // not in our mesh now), they ask.
  const { id } = r.publish('c', 'cached', { allowNoPeers: true });
  sent.length = 0;
  r.tick(1e12 + 1000);
  const ihave = sent.flatMap((s) => s.rpc.control?.ihave ?? []);
  assert.ok(ihave.some((h) => h.topicID === 'c' && h.messageIDs.some((m) => hex(m) === id)), 'IHAVE decodes in their codec');
  sent.length = 0;
  r.receive(lp.id, RPC.encode({ subscriptions: [], messages: [], control: { ihave: [], iwant: [{ messageIDs: [Buffer.from(id, 'hex')] }], graft: [], prune: [], idontwant: [] } }));
  const served = sent.flatMap((s) => s.rpc.messages);
  assert.equal(served.length, 1);
  assert.equal(new TextDecoder().decode(served[0].data), 'cached');
  // IDONTWANT: we send it to mesh peers for large messages; it decodes in their codec.
  const lp2 = await libp2pPeer();
  r.addPeer(lp2.id);
  r.receive(lp2.id, RPC.encode({ subscriptions: [{ subscribe: true, topic: 'c' }], messages: [], control: { ihave: [], iwant: [], graft: [{ topicID: 'c' }], prune: [], idontwant: [] } }));
  const lp3 = await libp2pPeer();
  r.addPeer(lp3.id);
  r.receive(lp3.id, RPC.encode({ subscriptions: [{ subscribe: true, topic: 'c' }], messages: [] }));
  sent.length = 0;
  const big = await raw.buildRawMessage(lp3.publishConfig, 'c', new Uint8Array(64), new Uint8Array(64));
  r.receive(lp3.id, RPC.encode({ subscriptions: [], messages: [big.raw] }));
  const idw = sent.filter((s) => s.to === lp2.id).flatMap((s) => s.rpc.control?.idontwant ?? []);
  assert.equal(idw.length, 1);
  assert.equal(hex(idw[0].messageIDs[0]), hex(big.raw.from) + hex(big.raw.seqno));
  // Malformed bytes are refused with a code, never thrown.
  r.receive(lp.id, Uint8Array.of(0xff, 0xff, 0xff));
  assert.ok(r.refused.some((x) => x.code === 'GOSSIP_RPC_MALFORMED'));
  r.close();
});
