// nat-lab.js — the NAT test bed: the namespaces of netns.js with, in the
// public one, a hub (the `starling hub` command) behind nginx on
// wss://203.0.113.1/signaling and coturn on 203.0.113.1:3478, all started
// from the files docs/deploy.md shows. Peers run as Node processes
// (fixtures/net-peer.mjs) inside the peer namespaces. Used by
// tests/js/nat.test.js and bench/nat.js.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NS, PUBLIC_IP, build, teardown, setNat, unavailable } from './netns.js';
import { makeCertificates } from './tls.js';
import { startNginx, startCoturn, waitForPort } from './servers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const HUB_PORT = 9090;
export { unavailable, setNat, NS };

/** Builds the topology and starts coturn, the hub and nginx in it. */
// If the test process goes (a timeout, ^C), its namespaces and servers go too.
let current = null;
const abandon = () => { if (current) stopLab(current); };
process.once('exit', abandon);
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => { abandon(); process.exit(1); });

export async function startLab() {
  const dir = mkdtempSync(join(tmpdir(), 'starling-nat-'));
  const jwtSecret = 'nat-lab-jwt-secret-0123456789abcdef';
  const turnSecret = 'nat-lab-turn-secret-0123456789';
  const procs = [];
  const lab = { dir, jwtSecret, hubUrl: `wss://${PUBLIC_IP}/signaling`, procs };
  current = lab;
  try {
    build();
    lab.tls = makeCertificates(dir, { dns: ['hub.starling.test'], ips: [PUBLIC_IP] });
    procs.push(await startCoturn({ dir, ns: NS.pub, ip: PUBLIC_IP, secret: turnSecret }));
    const hub = spawn('ip', ['netns', 'exec', NS.pub, process.execPath, join(root, 'bin/starling.js'), 'hub',
      '--host', '127.0.0.1', '--port', String(HUB_PORT), '--turn-url', `stun:${PUBLIC_IP}:3478`, '--turn-url', `turn:${PUBLIC_IP}:3478`], {
      env: { ...process.env, JWT_SECRET: jwtSecret, TURN_SECRET: turnSecret }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let hubLog = '';
    hub.stdout.on('data', (d) => { hubLog += d; });
    hub.stderr.on('data', (d) => { hubLog += d; });
    procs.push({ stop: () => hub.kill('SIGTERM'), log: () => hubLog });
    await waitForPort(NS.pub, '127.0.0.1', HUB_PORT);
    procs.push(await startNginx({ dir, ns: NS.pub, listen: `${PUBLIC_IP}:443`, upstream: `127.0.0.1:${HUB_PORT}`, serverName: 'hub.starling.test', chain: lab.tls.chain, key: lab.tls.key }));
    return lab;
  } catch (err) {
    stopLab(lab);
    throw err;
  }
}

export function stopLab(lab) {
  if (current === lab) current = null;
  for (const p of lab.procs.splice(0).reverse()) { try { p.stop(); } catch { /* gone */ } }
  teardown();
  rmSync(lab.dir, { recursive: true, force: true });
}

/** Runs fixtures/net-peer.mjs in namespace ns; resolves to its JSON lines. */
function peerProcess(lab, ns, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(root, 'tests/js/fixtures/net-peer.mjs')], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: lab.tls.ca, HUB_URL: lab.hubUrl, JWT_SECRET: lab.jwtSecret, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lab.procs.push({ stop: () => child.kill('SIGKILL'), log: () => '' }); // gone with the lab
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.once('exit', () => {
      let lines;
      try {
        lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      } catch (e) {
        return reject(new Error(`${env.NAME}: unreadable output (${e.message}): ${out}\n${err}`));
      }
      // The process ends itself with SIGKILL (see net-peer.mjs): its last line says how it went.
      const done = lines.at(-1)?.done === true;
      const rounds = lines.filter((l) => !('done' in l));
      resolve({ code: done ? 0 : 1, rounds, stderr: err, stalled: rounds.some((r) => /^STALLED/.test(r.error ?? '')) });
    });
  });
}

let caseCount = 0;
/**
 * Two peers, A (behind NAT A) and B (behind NAT B), meet `rounds` times.
 * opts: { rounds, policyA, policyB, directTimeoutMs, settleMs }. Resolves to { a, b }:
 * each side's rounds as net-peer.mjs reports them.
 */
export async function meet(lab, { rounds = 1, policyA = 'all', policyB = 'all', directTimeoutMs = 10000, settleMs = 2500 } = {}) {
  const room = `nat-${process.pid}-${++caseCount}`;
  const common = { ROOM: room, ROUNDS: String(rounds), DIRECT_TIMEOUT_MS: String(directTimeoutMs), SETTLE_MS: String(settleMs) };
  const run = (suffix) => Promise.all([
    peerProcess(lab, NS.a, { ...common, ROOM: room + suffix, NAME: 'A', ICE_POLICY: policyA }),
    peerProcess(lab, NS.b, { ...common, ROOM: room + suffix, NAME: 'B', ICE_POLICY: policyB }),
  ]);
  let [a, b] = await run('');
  // A side whose WebRTC stack stalled (a libdatachannel deadlock, not a
  // NAT outcome) gets the case run once more, and says so.
  if (a.stalled || b.stalled) {
    console.log(`# nat-lab: a peer process stalled (${a.stalled ? 'A' : 'B'}); the case runs again`);
    [a, b] = await run('-again');
  }
  return { a, b };
}

/** Runs fn(ns) text from inside a namespace: an HTTPS GET through nginx. */
export function httpsStatus(lab, ns, path) {
  return new Promise((resolve) => {
    const code = `fetch('https://${PUBLIC_IP}${path}').then(r => console.log(r.status), e => console.log('error ' + e.cause?.code))`;
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { env: { ...process.env, NODE_EXTRA_CA_CERTS: lab.tls.ca } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.once('exit', () => resolve(out.trim()));
  });
}
