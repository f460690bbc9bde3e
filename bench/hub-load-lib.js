// hub-load-lib.js — the load generator shared by bench/hub-load.js (one
// hub vs the PeerJS server) and bench/hub-cluster.js (hubs on Redis):
// server processes, Starling clients that authenticate and join a room
// per pair, and a measuring round of forwarded signalling messages.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { hs256, claimsFor } from '../tests/js/helpers/jwt.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const SECRET = randomBytes(32).toString('base64url');
export const token = (id) => hs256(claimsFor(id, {}, 3600), SECRET);

export function startServer(script, args = []) {
  const child = spawn(process.execPath, [`${here}/servers/${script}`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, bad) => {
    child.stdout.once('data', (d) => ok({ child, port: JSON.parse(d.toString()).port }));
    child.once('exit', (code) => bad(new Error(`${script} exited ${code}`)));
  });
}

/** Opens sockets in waves (the OS accept queue is finite) and runs `ready` on each. */
export async function openAll(n, open) {
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
export const OFFER_PREFIX = { starling: Buffer.from('{"type":"offer",'), peerjs: Buffer.from('{"type":"OFFER",') };
export const isOffer = (data, prefix) => data.length > prefix.length && prefix.equals(data.subarray(0, prefix.length));
export function countDelivery(c) {
  c.received++;
  c.onMessage?.();
}

// --- Starling: auth + challenge + join a room per pair ---
export async function starlingClient(port, i, ids) {
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
export const starlingOffer = (partner) => Buffer.from(JSON.stringify({ type: 'offer', to: partner.id.peerId, payload: { sdp: 'v=0 load' } }));

/**
 * One measuring round: every client sends perClient messages to its pair,
 * `burst` of them per socket write (the generator corks its socket), and
 * the round ends when all have arrived. Returns forwarded messages/s.
 */
export async function round(clients, burst, perClient) {
  const expected = clients.length * perClient;
  let received = 0;
  for (const c of clients) c.received = 0;
  const done = new Promise((ok) => { for (const c of clients) c.onMessage = () => { if (++received === expected) ok(); }; });
  let timer;
  const timeout = new Promise((ok) => { timer = setTimeout(ok, 60000); });
  const t0 = performance.now();
  for (let k = 0; k < perClient; k += burst) {
    for (let i = 0; i < clients.length; i++) {
      const socket = clients[i].ws._socket; // ws's net.Socket: cork so a burst is one write
      socket.cork();
      for (let j = k; j < Math.min(perClient, k + burst); j++) clients[i].ws.send(clients[i].offer, { binary: false });
      socket.uncork();
    }
  }
  await Promise.race([done, timeout]);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (received < expected) throw new Error(`only ${received}/${expected} messages arrived within 60 s`);
  return received / seconds;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
