// hub-abuse.js — the hub under each attack of issue #12, one at a time,
// beside two honest clients. For each case a fresh hub process starts with
// its default limits (only the per-address connect and auth budgets are
// raised, since every client here comes from 127.0.0.1), the attacker runs
// in a process of its own, and the honest pair measures round trips through
// the hub the whole time. Reports the hub's peak RSS (VmHWM) and the
// honest latency p50/p99, as ratios to the goals: RSS under 300 MB, p99
// under 50 ms. Not a test: it asserts nothing.
// Usage: node bench/hub-abuse.js [seconds per case = 5] [case ...]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { init, Identity } from '../js-glue/index.js';
import { hs256, claimsFor } from '../tests/js/helpers/jwt.js';
import { fmt } from './report.js';

const self = fileURLToPath(import.meta.url);
const RSS_GOAL_MB = 300;
const P99_GOAL_MS = 50;
const ROUND_TRIP_EVERY_MS = 20;

// ------------------------------------------------------------- clients

/** Opens a socket to the hub, authenticates as a fresh identity; resolves
 * with { ws, peerId, onText } once authenticated. Messages after that go
 * to onText(raw string) if set. */
async function client(url, secret) {
  const id = Identity.generate();
  const ws = new WebSocket(url);
  const c = { ws, peerId: id.peerId, onText: null };
  await new Promise((ok, bad) => {
    ws.once('error', bad);
    ws.on('message', (data, binary) => {
      if (binary) return;
      const text = data.toString();
      if (c.ready) return c.onText?.(text);
      const m = JSON.parse(text);
      if (m.type === 'challenge') {
        const nonce = Buffer.from(m.payload.nonce, 'base64url');
        const sig = id.sign(Buffer.concat([Buffer.from('starling-hub-challenge:'), nonce]));
        ws.send(JSON.stringify({ type: 'auth-proof', payload: { signature: Buffer.from(sig).toString('base64url') } }));
      } else if (m.type === 'authenticated') {
        c.ready = true;
        ok();
      } else if (m.type === 'error') bad(new Error(`auth: ${m.payload.code}`));
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', payload: { token: hs256(claimsFor(id, {}, 3600), secret) } })));
  });
  return c;
}

/** Joins room; resolves on the peer-list. */
function join(c, room) {
  return new Promise((ok) => {
    const prev = c.onText;
    c.onText = (t) => { if (t.includes('"peer-list"')) { c.onText = prev; ok(); } };
    c.ws.send(JSON.stringify({ type: 'join', room }));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------- attacks
// Each runs in the attacker process until killed. `room` is the honest
// pair's room.

const attacks = {
  /** Nothing: the baseline. */
  async none() {},

  /** 1-byte binary messages after auth, as fast as the socket takes them. */
  async 'binary-flood'({ url, secret }) {
    const c = await client(url, secret);
    const one = new Uint8Array([7]);
    for (;;) {
      while (c.ws.bufferedAmount < 1 << 20) c.ws.send(one);
      await sleep(1);
    }
  },

  /** A member of the busy room that never reads, and an accomplice within
   * the hub's limits: 60 KB offers at 95/s and a relay path at full rate,
   * re-opened whenever the hub closes it. */
  async 'slow-reader'({ url, secret, room }) {
    const sleeper = await client(url, secret);
    const accomplice = await client(url, secret);
    await join(sleeper, room);
    await join(accomplice, room);
    sleeper.ws._socket.pause();
    setInterval(() => sleeper.ws.send('{"type":"ping"}'), 10_000);
    const key = Buffer.from(Identity.publicKeyFromPeerId(sleeper.peerId));
    const record = Buffer.concat([Buffer.from([1]), key, randomBytes(16 * 1024)]);
    const open = () => accomplice.ws.send(JSON.stringify({ type: 'relay-open', to: sleeper.peerId }));
    accomplice.onText = (t) => { if (t.includes('RELAY_LIMIT')) open(); };
    open();
    const offer = JSON.stringify({ type: 'offer', to: sleeper.peerId, payload: { sdp: 'x'.repeat(60_000) } });
    for (;;) {
      for (let i = 0; i < 19; i++) accomplice.ws.send(offer);
      for (let i = 0; i < 400 && accomplice.ws.bufferedAmount < 4 << 20; i++) accomplice.ws.send(record);
      await sleep(200);
    }
  },

  /** Half-sent HTTP upgrade requests, re-opened as the hub cuts them. */
  async 'half-open'({ port }) {
    let open = 0;
    const one = () => {
      open++;
      const s = tcpConnect(port, '127.0.0.1');
      s.on('error', () => {});
      s.resume();
      s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
      s.once('close', () => { open--; });
    };
    for (;;) {
      while (open < 5000) one();
      await sleep(50);
    }
  },

  /** Sockets that upgrade, then send half of a 200 KB frame before auth. */
  async 'preauth-half-frame'({ port }) {
    let open = 0;
    const header = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 3, 0x0d, 0x40, 1, 2, 3, 4]); // masked, 200,000 bytes
    const half = Buffer.concat([header, randomBytes(100_000)]);
    const one = () => {
      open++;
      const s = tcpConnect(port, '127.0.0.1');
      s.on('error', () => {});
      s.resume();
      s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      s.write(half);
      s.once('close', () => { open--; });
    };
    for (;;) {
      while (open < 2000) one();
      await sleep(50);
    }
  },

  /** A 300-member room; one member leaves and rejoins at 100 messages/s. */
  async 'fan-out'({ url, secret, room }) {
    const members = [];
    for (let i = 0; i < 298; i += 50) {
      members.push(...await Promise.all(Array.from({ length: Math.min(50, 298 - i) }, () => client(url, secret))));
    }
    for (const m of members) await join(m, room);
    const flapper = members.pop();
    for (let i = 0; ; i++) {
      flapper.ws.send(JSON.stringify({ type: i % 2 ? 'join' : 'leave', room }));
      await sleep(10);
    }
  },
};

// ------------------------------------------------------------- driver

function startHub(secret) {
  const script = `
    import { startHub } from ${JSON.stringify(new URL('../js-glue/hub.js', import.meta.url).href)};
    const hub = await startHub({ jwtSecret: process.argv[1], connectRate: 1e4, connectBurst: 1e4, authRate: 1e4, authBurst: 1e4 });
    console.log(JSON.stringify({ port: hub.port }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, secret], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, bad) => {
    child.stdout.once('data', (d) => ok({ child, port: JSON.parse(d.toString()).port }));
    child.once('exit', (code) => bad(new Error(`hub exited ${code}`)));
  });
}

const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** Honest round trips (offer x -> y) until `until`; returns latencies in ms. */
async function honestLoad(x, y, until) {
  const samples = [];
  let pending = null;
  y.onText = (t) => {
    const m = /"t":([\d.]+)/.exec(t);
    if (m && pending && Number(m[1]) === pending.t) pending.done();
  };
  while (performance.now() < until) {
    const t = performance.now();
    await new Promise((done) => {
      pending = { t, done };
      x.ws.send(JSON.stringify({ type: 'offer', to: y.peerId, payload: { t } }));
    });
    samples.push(performance.now() - t);
    await sleep(Math.max(0, ROUND_TRIP_EVERY_MS - (performance.now() - t)));
  }
  return samples;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function runCase(name, seconds) {
  const secret = randomBytes(32).toString('base64url');
  const hub = await startHub(secret);
  const url = `ws://127.0.0.1:${hub.port}`;
  const room = 'busy';
  const [x, y] = [await client(url, secret), await client(url, secret)];
  await join(x, room);
  await join(y, room);
  const attacker = spawn(process.execPath, [self, '--attack', name, String(hub.port), secret, room], { stdio: ['ignore', 'inherit', 'inherit'] });
  await sleep(500); // let the attack build up
  const samples = (await honestLoad(x, y, performance.now() + seconds * 1000)).sort((a, b) => a - b);
  const rss = peakRssMb(hub.child.pid);
  attacker.kill('SIGKILL');
  x.ws.terminate();
  y.ws.terminate();
  hub.child.kill('SIGKILL');
  return { name, rss, p50: pct(samples, 0.5), p99: pct(samples, 0.99), n: samples.length };
}

if (process.argv[2] === '--attack') {
  const [, , , name, port, secret, room] = process.argv;
  await init();
  await attacks[name]({ url: `ws://127.0.0.1:${port}`, port: Number(port), secret, room });
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const names = process.argv.length > 3 ? process.argv.slice(3) : Object.keys(attacks);
  await init();
  console.log(`\nhub under attack (${seconds} s each, fresh hub per case, honest round trip every ${ROUND_TRIP_EVERY_MS} ms)`);
  console.log('case                  peak RSS    ×goal   honest p50   p99       ×goal   samples');
  for (const name of names) {
    const r = await runCase(name, seconds);
    console.log(`${r.name.padEnd(22)}${fmt(r.rss).padStart(6)} MB  ${(r.rss / RSS_GOAL_MB).toFixed(2).padStart(6)}   ${r.p50.toFixed(1).padStart(7)} ms ${r.p99.toFixed(1).padStart(7)} ms  ${(r.p99 / P99_GOAL_MS).toFixed(2).padStart(6)}   ${r.n}`);
  }
  console.log(`(×goal: RSS / ${RSS_GOAL_MB} MB and p99 / ${P99_GOAL_MS} ms; below 1 meets the goal)`);
  process.exit(0);
}
