// hub-cluster.js — `npm run bench`: hubs that scale out on Redis. The same
// load generator (bench/hub-load-lib.js) against one hub process (no
// Redis) and against three hub processes on one redis-server, clients
// spread across them: clients held and signalling messages forwarded per
// second, with every pair split across two instances (each message
// crosses Redis) and with pairs kept on one instance (the cost of being
// in a cluster at all). The anchor is the single hub, measured in this run.
// Usage: node bench/hub-cluster.js [clients=1500] [messagesPerClient=40] [rounds=3]
import WebSocket from 'ws';
import { init, Identity } from '../js-glue/index.js';
import { SECRET, startServer, openAll, starlingClient, starlingOffer, round, median } from './hub-load-lib.js';
import { startRedis } from '../tests/js/helpers/cluster-lab.js';
import { fmt } from './report.js';

const CLIENTS = Number(process.argv[2] ?? 1500) & ~1;
const PER_CLIENT = Number(process.argv[3] ?? 40);
const ROUNDS = Number(process.argv[4] ?? 3);
await init();
const ids = Array.from({ length: CLIENTS }, () => Identity.generate());

/** Holds the clients, client i on ports[place(i)]; returns { held, setupS, clients }. */
async function hold(ports, place) {
  const t0 = performance.now();
  const clients = await openAll(CLIENTS, (i) => starlingClient(ports[place(i)], i, ids));
  for (let i = 0; i < clients.length; i++) clients[i].offer = starlingOffer(clients[i ^ 1]);
  const setupS = (performance.now() - t0) / 1000;
  return { clients, setupS, held: clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length };
}

async function measure(name, ports, place, settleMs) {
  const side = await hold(ports, place);
  await new Promise((ok) => setTimeout(ok, settleMs)); // joins reach the other instances
  const rates = { 1: [], 10: [] };
  for (const burst of [1, 10]) for (let r = 0; r < ROUNDS; r++) rates[burst].push(await round(side.clients, burst, PER_CLIENT));
  for (const c of side.clients) c.ws.terminate();
  return { name, held: side.held, setupS: side.setupS, one: median(rates[1]), ten: median(rates[10]) };
}

const children = [];
let redis;
const results = [];
try {
  const single = await startServer('starling-hub.js', [SECRET]);
  children.push(single.child);
  results.push(await measure('1 hub, no Redis', [single.port], () => 0, 0));
  single.child.kill();

  redis = await startRedis();
  const hubs = await Promise.all([0, 1, 2].map(() => startServer('starling-hub.js', [SECRET, redis.url])));
  children.push(...hubs.map((h) => h.child));
  const ports = hubs.map((h) => h.port);
  // Pair (2k, 2k+1): split puts its two ends on different instances, together on the same one.
  results.push(await measure('3 hubs on Redis, every pair split', ports, (i) => ((i >> 1) + (i & 1)) % 3, 1500));
  results.push(await measure('3 hubs on Redis, pairs together', ports, (i) => (i >> 1) % 3, 1500));
} finally {
  for (const c of children) c.kill();
  await redis?.stop();
}
const base = results[0];
console.log(`\nHubs on Redis: ${CLIENTS} clients, ${PER_CLIENT} forwarded signalling messages each per round, median of ${ROUNDS} rounds; anchor: one hub without Redis, this run (loopback, 2-core machine: the generator, redis-server and the hubs share it)\n`);
console.table(results.map((r) => ({
  setup: r.name, 'clients held': r.held, 'setup s': fmt(r.setupS, 2),
  'msg/s, 1 per write': Math.round(r.one), 'vs 1 hub': `${fmt(r.one / base.one, 2)}x`,
  'msg/s, bursts of 10': Math.round(r.ten), 'vs 1 hub ': `${fmt(r.ten / base.ten, 2)}x`,
})));
console.log('The split rows are the cross-instance share\'s cost: every message goes hub -> Redis -> hub. On one machine, three hubs compete with the generator and Redis for two cores; on separate machines they would not.');
process.exit(0);
