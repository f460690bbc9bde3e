// hub-load.js — the hub under load from this process on loopback, against
// the PeerJS server under the same generator. Each server runs in its own
// process. Measures: clients held concurrently (all authenticated), setup
// time, and signaling messages per second forwarded between pairs.
// Usage: node bench/hub-load.js [clients=2000] [messagesPerClient=50] [rounds=3]
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { init, Identity } from '../js-glue/index.js';
import { SECRET, OFFER_PREFIX, startServer, openAll, isOffer, countDelivery, starlingClient, starlingOffer, round, median } from './hub-load-lib.js';

const CLIENTS = Number(process.argv[2] ?? 2000);
const PER_CLIENT = Number(process.argv[3] ?? 50);
const ROUNDS = Number(process.argv[4] ?? 3);
await init();

// --- PeerJS: id + token in the URL, OPEN, then OFFER {dst, payload} ---
async function peerjsClient(port, i) {
  const id = `peer-${i}-${randomBytes(4).toString('hex')}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=t${i}`);
  const c = { ws, id, received: 0 };
  await new Promise((ok, bad) => {
    ws.on('error', bad);
    ws.on('message', (data) => {
      if (isOffer(data, OFFER_PREFIX.peerjs)) return countDelivery(c);
      const m = JSON.parse(data);
      if (m.type === 'OPEN') ok();
      else if (m.type === 'ERROR' || m.type === 'ID-TAKEN') bad(new Error(m.type));
    });
  });
  return c;
}
const peerjsOffer = (partner) => Buffer.from(JSON.stringify({ type: 'OFFER', dst: partner.id, payload: { sdp: 'v=0 load' } }));

/** Opens CLIENTS clients and reports how many are held (open and authenticated). */
async function hold(name, port, open, offerTo) {
  const t0 = performance.now();
  const clients = await openAll(CLIENTS, open(port));
  for (let i = 0; i < clients.length; i++) clients[i].offer = offerTo(clients[i ^ 1]);
  const setupS = (performance.now() - t0) / 1000;
  return { name, clients, setupS, held: clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length };
}

const ids = Array.from({ length: CLIENTS }, () => Identity.generate());
const servers = [
  ['starling hub', 'starling-hub.js', [SECRET], (port) => (i) => starlingClient(port, i, ids), starlingOffer],
  ['PeerJS server', 'peerjs.js', [], (port) => (i) => peerjsClient(port, i), peerjsOffer],
];
// Both servers stay up with their clients held, and measuring rounds
// alternate between them, so drift on the machine hits both alike.
const children = [];
try {
  const sides = [];
  for (const [name, script, args, open, offerTo] of servers) {
    const { child, port } = await startServer(script, args);
    children.push(child);
    sides.push({ ...(await hold(name, port, open, offerTo)), rates: { 1: [], 10: [] } });
  }
  for (const burst of [1, 10]) {
    for (let r = 0; r < ROUNDS; r++) for (const side of sides) side.rates[burst].push(await round(side.clients, burst, PER_CLIENT));
  }
  const [ours, peerjs] = sides;
  console.log(`\nHub load: ${CLIENTS} clients per server on loopback, ${PER_CLIENT} forwarded signaling messages per client per round, ` +
    `median of ${ROUNDS} alternating rounds (one process per server, one generator process)\n`);
  console.table(sides.map((s) => ({
    server: s.name, 'clients held': s.held, 'setup s': s.setupS.toFixed(2),
    'msg/s, 1 per write': Math.round(median(s.rates[1])), 'msg/s, bursts of 10': Math.round(median(s.rates[10])),
  })));
  const ratio = (b) => median(ours.rates[b]) / median(peerjs.rates[b]);
  console.log(`clients held: ${ours.held} (goal >= 2000: ${ours.held >= 2000 ? 'met' : 'NOT met'})`);
  console.log(`message rate vs PeerJS, one message per write: ${ratio(1).toFixed(2)}x (goal >= 1.0x: ${ratio(1) >= 1 ? 'met' : 'NOT met'})`);
  console.log(`message rate vs PeerJS, bursts of 10 per write (as trickled ICE candidates arrive): ${ratio(10).toFixed(2)}x`);
  console.log('Setup is not like for like: Starling verifies a JWT and an Ed25519 challenge per client; PeerJS checks nothing.');
  for (const s of sides) for (const c of s.clients) c.ws.terminate();
} finally {
  for (const child of children) child.kill();
}
