// gossip.js — the gossip benchmark of issue #8, in one run: js-libp2p 3
// with its GossipSub (@libp2p/gossipsub 17, the successor of
// @chainsafe/libp2p-gossipsub 14 for js-libp2p 3) over @libp2p/memory,
// beside Starling's router (wasm) over an in-memory transport, in the same
// process, topology and load. Not a test: it asserts nothing.
//
// 50 nodes, each linked to at least 12 random others (the same seeded graph
// for both); 5 publishers; 256 B and 16 KiB messages. Reported: delivery
// ratio, copies received per node per message, and CPU time per delivered
// message (the process's user + system time while the messages travel).
// Then the heartbeat at 50 peers and 10 topics, for both.
import './polyfill.js';
import { createLibp2p } from 'libp2p';
import { memory } from '@libp2p/memory';
import { plaintext } from '@libp2p/plaintext';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { gossipsub } from '@libp2p/gossipsub';
import { multiaddr } from '@multiformats/multiaddr';
import { init, Identity, GossipRouter } from '../js-glue/index.js';
import { fmt } from './report.js';

const N = 50;
const DEGREE = 12;
const PUBLISHERS = 5;
const TOPIC = 'bench';
const LOADS = [{ size: 256, each: 100 }, { size: 16 * 1024, each: 30 }];
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A seeded random graph: every node has at least DEGREE neighbours. */
function graph(n, degree, seed = 7) {
  let s = seed;
  const rnd = () => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 31; };
  const adj = Array.from({ length: n }, () => new Set());
  const edges = [];
  for (let i = 0; i < n; i++) {
    while (adj[i].size < degree) {
      const j = Math.floor(rnd() * n);
      if (j === i || adj[i].has(j)) continue;
      adj[i].add(j); adj[j].add(i);
      edges.push([i, j]);
    }
  }
  return edges;
}

function cpuMs() { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }

async function waitFor(pred, ms) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(20);
  return pred();
}

/** Publishes the load and measures it; `stack` knows how to publish and count. */
async function measure(stack, { size, each }) {
  const expected = each * PUBLISHERS * (N - 1);
  const before = stack.counts();
  const cpu0 = cpuMs();
  for (let k = 0; k < each; k++) {
    for (let p = 0; p < PUBLISHERS; p++) {
      const data = new Uint8Array(size);
      new DataView(data.buffer).setUint32(0, k * PUBLISHERS + p);
      await stack.publish(p, data);
    }
    await sleep(size > 1024 ? 20 : 5); // a steady stream, not one burst
  }
  await waitFor(() => stack.counts().delivered - before.delivered >= expected, 30000);
  await sleep(300); // late duplicates
  const cpu = cpuMs() - cpu0;
  const after = stack.counts();
  const delivered = after.delivered - before.delivered;
  return {
    delivery: delivered / expected,
    copies: (after.copies - before.copies) / Math.max(1, delivered),
    cpuPerMsgUs: (cpu * 1000) / Math.max(1, delivered),
  };
}

// ----------------------------------------------------------------- js-libp2p

async function libp2pStack(edges, topics = [TOPIC]) {
  const run = Math.random().toString(36).slice(2, 8);
  const nodes = [];
  for (let i = 0; i < N; i++) {
    nodes.push(await createLibp2p({
      addresses: { listen: [`/memory/gs-${run}-${i}`] },
      transports: [memory()],
      connectionEncrypters: [plaintext()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: 200 },
      services: { identify: identify(), pubsub: gossipsub({ emitSelf: false, allowPublishToZeroTopicPeers: true }) },
    }));
  }
  let delivered = 0;
  let copies = 0;
  const heartbeats = nodes.map(() => []); // per node, ms
  for (const [i, n] of nodes.entries()) {
    const gs = n.services.pubsub;
    gs.addEventListener('message', (e) => { if (e.detail.topic === TOPIC) delivered++; });
    const rpcIn = gs.handleReceivedRpc.bind(gs);
    gs.handleReceivedRpc = (from, rpc) => {
      for (const m of rpc.messages ?? []) if (m.topic === TOPIC) copies++;
      return rpcIn(from, rpc);
    };
    const beat = gs.heartbeat.bind(gs);
    gs.heartbeat = async () => {
      const t = performance.now();
      await beat();
      heartbeats[i].push(performance.now() - t);
    };
  }
  await Promise.all(edges.map(([a, b]) => nodes[a].dial(multiaddr(`/memory/gs-${run}-${b}`))));
  for (const n of nodes) for (const t of topics) n.services.pubsub.subscribe(t);
  return {
    nodes,
    heartbeats,
    ready: () => waitFor(() => nodes.every((n) => n.services.pubsub.getMeshPeers(topics[0]).length >= 4), 20000),
    publish: (p, data) => nodes[p].services.pubsub.publish(TOPIC, data),
    counts: () => ({ delivered, copies }),
    stop: () => Promise.all(nodes.map((n) => n.stop())),
  };
}

// ------------------------------------------------------------------ Starling

/** Routers joined by an in-memory transport: RPCs are delivered in order,
 * a macrotask later, like a stream's data events. */
function starlingStack(edges, topics = [TOPIC]) {
  const ids = Array.from({ length: N }, (_, i) => Identity.fromSeed(new Uint8Array(32).fill(i + 11)));
  const byId = new Map();
  const queue = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const [from, to, rpc] of queue.splice(0)) byId.get(to)?.receive(from, rpc);
  };
  const routers = ids.map((identity, i) => {
    const r = new GossipRouter({
      identity, seed: i + 1,
      send: (to, rpc) => {
        queue.push([identity.peerId, to, rpc]);
        if (!scheduled) { scheduled = true; setImmediate(flush); }
      },
    });
    byId.set(identity.peerId, r);
    return r;
  });
  let delivered = 0;
  for (const r of routers) r.addEventListener('message', (e) => { if (e.detail.topic === TOPIC) delivered++; });
  for (const [a, b] of edges) {
    routers[a].addPeer(ids[b].peerId, { outbound: true });
    routers[b].addPeer(ids[a].peerId);
  }
  for (const r of routers) for (const t of topics) r.subscribe(t);
  for (const r of routers) r.start(100);
  return {
    routers,
    ready: () => waitFor(() => routers.every((r) => r.getMeshPeers(topics[0]).length >= 4), 20000),
    publish: async (p, data) => { routers[p].publish(TOPIC, data); },
    counts: () => {
      let copies = 0;
      for (const r of routers) { const s = r.stats(); copies += s.delivered + s.duplicates; }
      return { delivered, copies };
    },
    stop: async () => { for (const r of routers) r.close(); },
  };
}

// --------------------------------------------------------------------- run

await init();
const edges = graph(N, DEGREE);
const results = [];

const js = await libp2pStack(edges);
const jsReady = await js.ready();
await sleep(1500);
const jsRuns = [];
for (const load of LOADS) jsRuns.push(await measure(js, load));
await js.stop();

const ours = starlingStack(edges);
const oursReady = await ours.ready();
await sleep(1500);
const oursRuns = [];
for (const load of LOADS) oursRuns.push(await measure(ours, load));
await ours.stop();

LOADS.forEach((load, k) => {
  const a = oursRuns[k];
  const b = jsRuns[k];
  const label = load.size >= 1024 ? `${load.size / 1024} KiB` : `${load.size} B`;
  results.push({
    what: `${label} x ${load.each * PUBLISHERS}`,
    'delivery (ours / js)': `${fmt(a.delivery * 100, 2)} % / ${fmt(b.delivery * 100, 2)} %`,
    'copies per node per msg (ours / js)': `${fmt(a.copies, 2)} / ${fmt(b.copies, 2)}${load.size >= 1024 ? ` (goal <= 2.0: ${a.copies <= 2 ? 'met' : 'NOT met'})` : ''}`,
    'CPU us per delivered msg (ours / js)': `${fmt(a.cpuPerMsgUs)} / ${fmt(b.cpuPerMsgUs)}`,
    'CPU ratio': `${fmt(a.cpuPerMsgUs / b.cpuPerMsgUs, 2)}x (goal <= 0.5x: ${a.cpuPerMsgUs / b.cpuPerMsgUs <= 0.5 ? 'met' : 'NOT met'})`,
  });
});
console.log(`\ngossip: ${N} nodes, >= ${DEGREE} random links each, ${PUBLISHERS} publishers (meshes formed: ours ${oursReady}, js-libp2p ${jsReady})`);
console.table(results);

// --------------------------------------------- heartbeat: 50 peers, 10 topics

const TOPICS = Array.from({ length: 10 }, (_, i) => `hb-${i}`);
const star = Array.from({ length: N - 1 }, (_, i) => [0, i + 1]);

const jsStar = await libp2pStack(star, TOPICS);
await jsStar.ready().catch(() => false);
jsStar.heartbeats[0].length = 0;
await sleep(10500);
// node 0 is the centre of the star: the one with 49 peers
const jsBeats = jsStar.heartbeats[0].slice().sort((x, y) => x - y);
await jsStar.stop();

const oursStar = starlingStack(star, TOPICS);
for (const r of oursStar.routers) r.stop();
const centre = oursStar.routers[0];
const beats = [];
let clock = Date.now();
for (let k = 0; k < 400; k++) {
  await sleep(0); // let RPCs flow
  clock += 100;
  const before = centre.stats().heartbeats;
  const t = performance.now();
  centre.tick(clock);
  const dt = performance.now() - t;
  if (centre.stats().heartbeats > before) beats.push(dt);
  for (const r of oursStar.routers.slice(1)) r.tick(clock);
}
beats.sort((x, y) => x - y);
await oursStar.stop();
const p50 = (v) => v[Math.floor(v.length / 2)] ?? NaN;
const max = (v) => v[v.length - 1] ?? NaN;
console.log(`\nheartbeat, 49 peers x 10 topics (goal <= 1 ms in wasm): ours p50 ${fmt(p50(beats), 3)} ms, max ${fmt(max(beats), 3)} ms over ${beats.length} (${max(beats) <= 1 ? 'met' : 'NOT met'}); `
  + `js-libp2p: p50 ${fmt(p50(jsBeats), 3)} ms, max ${fmt(max(jsBeats), 3)} ms over ${jsBeats.length} `
  + `(ratio of p50s ${fmt(p50(beats) / p50(jsBeats), 2)}x)`);
process.exit(0);
