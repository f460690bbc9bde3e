// hub-load.js — the hub under load from this process on loopback, against
// the PeerJS server under the same generator. Each server runs in its own
// process. Measures: clients held concurrently (all authenticated), setup
// time, and signaling messages per second forwarded between pairs.
// Usage: node bench/hub-load.js [clients=2000] [messagesPerClient=50]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { init, Identity } from '../js-glue/index.js';
import { hs256, claimsFor } from '../tests/js/helpers/jwt.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLIENTS = Number(process.argv[2] ?? 2000);
const PER_CLIENT = Number(process.argv[3] ?? 50);
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

// --- Starling: auth + challenge + join a room per pair ---
async function starlingClient(port, i, ids) {
  const id = ids[i];
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const c = { ws, id, received: 0 };
  await new Promise((ok, bad) => {
    ws.on('error', bad);
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.type === 'challenge') {
        const sig = id.sign(Buffer.concat([Buffer.from('starling-hub-challenge:'), Buffer.from(m.payload.nonce, 'base64url')]));
        ws.send(JSON.stringify({ type: 'auth-proof', payload: { signature: Buffer.from(sig).toString('base64url') } }));
      } else if (m.type === 'authenticated') {
        ws.send(JSON.stringify({ type: 'join', room: `pair-${i >> 1}` }));
      } else if (m.type === 'peer-list') {
        ok();
      } else if (m.type === 'offer') {
        c.received++;
        c.onMessage?.();
      } else if (m.type === 'error') {
        bad(new Error(m.payload.code));
      }
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', payload: { token: token(id) } })));
  });
  return c;
}
const starlingSend = (c, partner) => c.ws.send(JSON.stringify({ type: 'offer', to: partner.id.peerId, payload: { sdp: 'v=0 load' } }));

// --- PeerJS: id + token in the URL, OPEN, then OFFER {dst, payload} ---
async function peerjsClient(port, i) {
  const id = `peer-${i}-${randomBytes(4).toString('hex')}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=t${i}`);
  const c = { ws, id, received: 0 };
  await new Promise((ok, bad) => {
    ws.on('error', bad);
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.type === 'OPEN') ok();
      else if (m.type === 'OFFER') { c.received++; c.onMessage?.(); }
      else if (m.type === 'ERROR' || m.type === 'ID-TAKEN') bad(new Error(m.type));
    });
  });
  return c;
}
const peerjsSend = (c, partner) => c.ws.send(JSON.stringify({ type: 'OFFER', dst: partner.id, payload: { sdp: 'v=0 load' } }));

async function run(name, port, open, send) {
  const t0 = performance.now();
  const clients = await openAll(CLIENTS, open);
  const setupS = (performance.now() - t0) / 1000;
  const held = clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
  const expected = clients.length * PER_CLIENT;
  let received = 0;
  const done = new Promise((ok) => { for (const c of clients) c.onMessage = () => { if (++received === expected) ok(); }; });
  const t1 = performance.now();
  for (let k = 0; k < PER_CLIENT; k++) for (let i = 0; i < clients.length; i++) send(clients[i], clients[i ^ 1]);
  const timeout = new Promise((ok) => setTimeout(ok, 60000));
  await Promise.race([done, timeout]);
  const seconds = (performance.now() - t1) / 1000;
  for (const c of clients) c.ws.terminate();
  return { name, held, setupS, rate: received / seconds, received, expected };
}

const ids = Array.from({ length: CLIENTS }, () => Identity.generate());
const results = [];
for (const [name, script, args, open, send] of [
  ['starling hub', 'starling-hub.js', [SECRET], (port) => (i) => starlingClient(port, i, ids), starlingSend],
  ['PeerJS server', 'peerjs.js', [], (port) => (i) => peerjsClient(port, i), peerjsSend],
]) {
  const { child, port } = await startServer(script, args);
  try {
    results.push(await run(name, port, open(port), send));
  } finally {
    child.kill();
  }
}
const [ours, peerjs] = results;
console.log(`\nHub load: ${CLIENTS} clients on loopback, ${PER_CLIENT} forwarded signaling messages each (one process per server)\n`);
console.table(results.map((r) => ({ server: r.name, 'clients held': r.held, 'setup s': r.setupS.toFixed(2), 'messages/s': Math.round(r.rate), delivered: `${r.received}/${r.expected}` })));
console.log(`clients held: ${ours.held} (goal >= 2000: ${ours.held >= 2000 ? 'met' : 'NOT met'}); ` +
  `message rate vs PeerJS: ${(ours.rate / peerjs.rate).toFixed(2)}x (goal >= 1.0x: ${ours.rate >= peerjs.rate ? 'met' : 'NOT met'})`);
console.log('Setup is not like for like: Starling verifies a JWT and an Ed25519 challenge per client; PeerJS checks nothing.');
