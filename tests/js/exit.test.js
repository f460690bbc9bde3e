// A process that churns through a few hundred peers over real WebRTC and
// then calls process.exit() must exit cleanly, every time. libdatachannel's
// threads still running at exit once aborted the process (pthread_mutex_lock
// assertion) in about 1 run of 3; peer.js now runs node-datachannel's
// cleanup() at exit. Each run is a fresh child process, several runs at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/churn-exit.mjs', import.meta.url));
const RUNS = Number(process.env.STARLING_CHURN_RUNS ?? 6);
const AT_ONCE = 3;

function run() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, '6', '25'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

test(`${RUNS} processes of 300 peers each exit with code 0`, { timeout: 240_000 }, async () => {
  const results = [];
  for (let i = 0; i < RUNS; i += AT_ONCE) {
    results.push(...await Promise.all(Array.from({ length: Math.min(AT_ONCE, RUNS - i) }, run)));
  }
  for (const [i, r] of results.entries()) {
    assert.equal(r.signal, null, `run ${i} was killed by ${r.signal}: ${r.err.slice(-2000)}`);
    assert.equal(r.code, 0, `run ${i} exited with ${r.code}: ${r.err.slice(-2000)}`);
    assert.match(r.out, /exiting/, `run ${i} did not reach process.exit()`);
    assert.doesNotMatch(r.err, /Assertion|Aborted|terminate called/, `run ${i}`);
  }
});
