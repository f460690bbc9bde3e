// cluster-lab.js — a real redis-server and hub processes (`starling hub
// --redis`) on loopback, for tests/js/cluster.test.js and
// bench/hub-cluster.js.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const CLUSTER_SECRET = 'cluster-test-jwt-secret-0123456789abcdef';

// Servers this process started die with it, even when a test times out.
const started = new Set();
const killAll = () => { for (const proc of started) try { proc.kill('SIGKILL'); } catch { /* gone */ } };
process.once('exit', killAll);
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => { killAll(); process.exit(1); });
const track = (proc) => { started.add(proc); proc.once('exit', () => started.delete(proc)); return proc; };

export const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); });
});

/** redis-server on port (no persistence): { port, url, stop() }. */
export async function startRedis(port) {
  port ??= await freePort();
  const proc = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  await new Promise((ok, bad) => {
    const t = setInterval(() => { if (/Ready to accept connections/.test(out)) { clearInterval(t); ok(); } }, 20);
    proc.once('exit', (code) => { clearInterval(t); bad(new Error(`redis-server exited ${code}: ${out}`)); });
  });
  return {
    port, url: `redis://127.0.0.1:${port}`, proc,
    stop: (signal = 'SIGKILL') => new Promise((ok) => { if (proc.exitCode !== null || proc.signalCode) return ok(); proc.once('exit', ok); proc.kill(signal); }),
  };
}

/** A hub process on Redis: { url, httpUrl, proc, kill(signal) }. */
export async function startHubProcess(redisUrl, extraArgs = []) {
  const proc = track(spawn(process.execPath, [`${root}/bin/starling.js`, 'hub', '--port', '0', '--redis', redisUrl, ...extraArgs], {
    env: { ...process.env, JWT_SECRET: CLUSTER_SECRET }, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((ok, bad) => {
    proc.stdout.on('data', (d) => { out += d; const m = /listening: (ws:\/\/\S+)/.exec(out); if (m) ok(m[1]); });
    proc.once('exit', (code) => bad(new Error(`hub exited ${code}: ${out}${err}`)));
  });
  return {
    url, httpUrl: url.replace(/^ws/, 'http'), proc, log: () => out + err,
    kill: (signal = 'SIGKILL') => new Promise((ok) => { if (proc.exitCode !== null || proc.signalCode) return ok(); proc.once('exit', ok); proc.kill(signal); }),
  };
}

export async function health(hub) {
  return (await fetch(`${hub.httpUrl}/health`)).json();
}

export async function metric(hub, name) {
  const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}
