// hub-load.js — the hub under load from this process on loopback, against
// the PeerJS server under the same generator. Each server runs in its own
// process. Measures: clients held concurrently (all authenticated), setup
// time, and signaling messages per second forwarded between pairs.
// Usage: node bench/hub-load.js [clients=2000] [messagesPerClient=50] [rounds=3]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { init, Identity } from '../js-glue/index.js';
import { hs256, claimsFor } from '../tests/js/helpers/jwt.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLIENTS = Number(process.argv[2] ?? 2000);
const PER_CLIENT = Number(process.argv[3] ?? 50);
const ROUNDS = Number(process.argv[4] ?? 3);
const SECRET = randomBytes(32).toString('base64url');
await init();

function startServer(script, args = []) {
  const child = spawn(process.execPath, [`${here}/servers/${script}`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, bad) => {
    child.stdout.once('data', (d) => ok({ child, port: JSON.parse(d.toString()).port }));
    child.once('exit', (code) => bad(new Error(`${script} exited ${code}`)));
  });
}

const token = (id) => hs256(claimsFor(id, {}, 3600), SECRET);

/** Opens sockets in waves (the OS accept queue is finite) and runs `ready` on each. */
async function openAll(n, open) {
  const clients = [];
  for (let i = 0; i < n; i += 200) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, k) => open(i + k)))));
  }
  return clients;
}

// The generator must cost less per message than the servers it loads, or
// it measures itself: each client's message is encoded once, and while a
// round runs a delivery is counted from the message's fixed prefix (both
// servers put "type" first) instead of parsing it.
const OFFER_PREFIX = { starling: Buffer.from('{"type":"offer",'), peerjs: Buffer.from('{"type":"OFFER",') };
const isOffer = (data, prefix) => data.length > prefix.length && prefix.equals(data.subarray(0, prefix.length));
function countDelivery(c) {
  c.received++;
  c.onMessage?.();
}

// --- Starling: auth + challenge + join a room per pair ---
async function starlingClient(port, i, ids) {
  const id = ids[i];
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const c = { ws, id, received: 0 };
  await new Promise((ok, bad) => {
    ws.on('error', bad);
    ws.on('message', (data) => {
      if (isOffer(data, OFFER_PREFIX.starling)) return countDelivery(c);
      const m = JSON.parse(data);
      if (m.type === 'challenge') {
        const sig = id.sign(Buffer.concat([Buffer.from('starling-hub-challenge:'), Buffer.from(m.payload.nonce, 'base64url')]));
        ws.send(JSON.stringify({ type: 'auth-proof', payload: { signature: Buffer.from(sig).toString('base64url') } }));
      } else if (m.type === 'authenticated') {
        ws.send(JSON.stringify({ type: 'join', room: `pair-${i >> 1}` }));
      } else if (m.type === 'peer-list') {
        ok();
      } else if (m.type === 'error') {
        bad(new Error(m.payload.code));
      }
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', payload: { token: token(id) } })));
  });
  return c;
}
const starlingOffer = (partner) => Buffer.from(JSON.stringify({ type: 'offer', to: partner.id.peerId, payload: { sdp: 'v=0 load' } }));

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

/**
 * One measuring round: every client sends PER_CLIENT messages to its pair,
 * `burst` of them per socket write (the generator corks its socket), and
 * the round ends when all have arrived. Returns forwarded messages/s.
 */
async function round(clients, burst) {
  const expected = clients.length * PER_CLIENT;
  let received = 0;
  for (const c of clients) c.received = 0;
  const done = new Promise((ok) => { for (const c of clients) c.onMessage = () => { if (++received === expected) ok(); }; });
  let timer;
  const timeout = new Promise((ok) => { timer = setTimeout(ok, 60000); });
  const t0 = performance.now();
  for (let k = 0; k < PER_CLIENT; k += burst) {
    for (let i = 0; i < clients.length; i++) {
      const socket = clients[i].ws._socket; // ws's net.Socket: cork so a burst is one write
      socket.cork();
      for (let j = k; j < Math.min(PER_CLIENT, k + burst); j++) clients[i].ws.send(clients[i].offer, { binary: false });
      socket.uncork();
    }
  }
  await Promise.race([done, timeout]);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (received < expected) throw new Error(`only ${received}/${expected} messages arrived within 60 s`);
  return received / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
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
    for (let r = 0; r < ROUNDS; r++) for (const side of sides) side.rates[burst].push(await round(side.clients, burst));
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
