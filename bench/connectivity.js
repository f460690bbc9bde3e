// connectivity.js — `npm run bench`, part 2: Starling peers over real
// loopback WebRTC (node-datachannel) and through a real hub, against the
// bare data channel measured in this same run. Prints ratios; asserts
// nothing. Both ends run in this one process, for Starling and for the
// anchor alike.
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { init, Identity, createPeer } from '../js-glue/index.js';
import { startHub } from '../js-glue/hub.js';
import { hs256, claimsFor } from '../tests/js/helpers/jwt.js';
import { fmt, ratioTable } from './report.js';

const SECRET = 'bench-secret-0123456789abcdef0123456789';
const MiB = 1024 * 1024;
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

await init();
const hub = await startHub({ jwtSecret: SECRET, messageRate: 1e5, messageBurst: 1e5, relayRate: 1e5, relayBurst: 1e5, relayMaxBytes: 1024 * MiB });

// ------------------------------------------------------- bare WebRTC

/** Two RTCPeerConnections signalled in process; resolves with both channels open. */
async function barePair() {
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {});
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {});
  const ca = a.createDataChannel('bare', { ordered: true });
  const cb = new Promise((ok) => { b.ondatachannel = (e) => ok(e.channel); });
  const open = new Promise((ok) => { ca.onopen = ok; });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  const [channelB] = await Promise.all([cb, open]);
  channelB.binaryType = 'arraybuffer';
  return { a, b, ca, cb: channelB, close: () => { a.close(); b.close(); } };
}

async function bareSetupMs() {
  const t0 = performance.now();
  const p = await barePair();
  const ms = performance.now() - t0;
  p.close();
  return ms;
}

/** Sends `total` bytes as `size`-byte messages with the same 1 MiB / 256 KiB backpressure Starling uses. */
async function bareThroughput(size, total) {
  const p = await barePair();
  const msg = new Uint8Array(size);
  let got = 0;
  const done = new Promise((ok) => { p.cb.onmessage = (e) => { got += e.data.byteLength; if (got >= total) ok(); }; });
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += size) {
    if (p.ca.bufferedAmount > MiB) await new Promise((ok) => { const t = setInterval(() => { if (p.ca.bufferedAmount <= 256 * 1024) { clearInterval(t); ok(); } }, 1); });
    p.ca.send(msg);
  }
  await done;
  const s = (performance.now() - t0) / 1000;
  p.close();
  return total / s / 1e6;
}

// ----------------------------------------------------------- Starling

let rooms = 0;
async function starlingPair(opts = {}) {
  const peers = await Promise.all([0, 1].map(async () => {
    const identity = Identity.generate();
    return createPeer({ hubUrl: hub.url, token: hs256(claimsFor(identity), SECRET), identity, ...opts });
  }));
  const room = `bench-${rooms++}`;
  const t0 = performance.now();
  const connected = peers.map((p) => new Promise((ok) => p.addEventListener('peer:connect', (e) => ok(e.detail), { once: true })));
  peers.forEach((p) => p.join(room));
  const details = await Promise.all(connected);
  return { peers, path: details[0].path, setupMs: performance.now() - t0, close: () => Promise.all(peers.map((p) => p.close())) };
}

/** Sends `total` bytes as `size`-byte messages, keeping at most 4 MiB unacknowledged; time until all acknowledged. */
async function starlingThroughput(size, total, opts) {
  const pair = await starlingPair(opts);
  const [a, b] = pair.peers;
  const msg = new Uint8Array(size);
  const window = 4 * MiB;
  let outstanding = 0;
  let release = null;
  const t0 = performance.now();
  const all = [];
  for (let sent = 0; sent < total; sent += size) {
    while (outstanding + size > window) await new Promise((ok) => { release = ok; });
    outstanding += size;
    all.push(a.send(b.peerId, msg).then(() => { outstanding -= size; release?.(); release = null; }));
  }
  await Promise.all(all);
  const s = (performance.now() - t0) / 1000;
  const path = pair.path;
  await pair.close();
  return { mbps: total / s / 1e6, path };
}

const { rows, row } = ratioTable();

// Throughput: best of 3 for each side (loopback numbers are noisy).
const best = async (fn) => { let m = 0; for (let i = 0; i < 3; i++) m = Math.max(m, await fn()); return m; };
for (const [size, total, goal] of [[64 * 1024, 64 * MiB, 0.8], [1024, 16 * MiB, 0.6]]) {
  const bare = await best(() => bareThroughput(size, total));
  const ours = await best(async () => (await starlingThroughput(size, total)).mbps);
  row(`encrypted throughput, ${size / 1024} KiB messages (direct)`, ours, 'bare data channel', bare, goal, 'MB/s');
}

// Setup: hub join to session ready, vs a bare in-process WebRTC connect.
// libdatachannel's connects are bimodal on loopback: most take a few ms,
// some wait about 1 s for a retransmission inside the stack (bare pairs
// too), so the share of slow connects is printed beside the quantiles.
const N = 30;
const SLOW_MS = 500;
const bareSetup = [];
const oursSetup = [];
for (let i = 0; i < N; i++) {
  bareSetup.push(await bareSetupMs());
  const pair = await starlingPair();
  oursSetup.push(pair.setupMs);
  await pair.close();
}
const setupRows = [['p50', 0.5], ['p95', 0.95]].map(([name, q]) => ({
  what: `setup ${name} (n=${N})`, starling: `${fmt(quantile(oursSetup, q))} ms`, bareWebRTC: `${fmt(quantile(bareSetup, q))} ms`,
  ratio: `${fmt(quantile(oursSetup, q) / quantile(bareSetup, q), 2)}x (time: lower is better)`,
}));
const slowShare = (xs) => `${xs.filter((x) => x >= SLOW_MS).length}/${xs.length}`;
setupRows.push({ what: `connects over ${SLOW_MS} ms (the ~1 s mode)`, starling: slowShare(oursSetup), bareWebRTC: slowShare(bareSetup), ratio: '' });

// Relay: iceTransportPolicy 'relay' with no TURN server, so the hub carries it.
const relay = await starlingThroughput(64 * 1024, 32 * MiB, { iceTransportPolicy: 'relay', directTimeoutMs: 500 });
const direct64 = await starlingThroughput(64 * 1024, 32 * MiB);
row('relay throughput through the hub, 64 KiB messages', relay.mbps, 'Starling direct', direct64.mbps, undefined, 'MB/s');

console.log('\nStarling connectivity (node-datachannel on loopback, hub on 127.0.0.1, both ends in one process)\n');
console.table(rows);
console.table(setupRows);
console.log(`relay run used the ${relay.path} path; setup includes the Noise handshake and the hub's signaling round trips.`);
await hub.close();
process.exit(0);
