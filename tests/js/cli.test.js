// The `starling` command as a user meets it: help, bad flags and settings,
// a port in use, dev mode. Each failure is one `starling:` line and a
// non-zero exit, never a stack trace or a process that does not exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/starling.js', import.meta.url));
const SECRET = 'cli-secret-cli-secret-cli-secret-!!';

/** Runs the CLI; resolves { code, out, err } or, with `until`, kills it once stdout matches. */
function run(args, env = {}, until = null) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000); // a hang fails the test, not the suite
    child.stdout.on('data', (d) => { out += d; if (until?.test(out)) child.kill('SIGTERM'); });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
  });
}

test('--help shows the defaults and the environment the hub reads', async () => {
  const { code, out } = await run(['--help']);
  assert.equal(code, 0);
  for (const s of ['9090', '127.0.0.1', 'HOST', 'SIGNALING_PORT', 'JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_AUDIENCE', 'JWT_ISSUER', '--dev']) assert.ok(out.includes(s), s);
});

test('usage and configuration errors: one starling: line, exit 2', async () => {
  const cases = [
    [['hub', '--bogus'], { JWT_SECRET: SECRET }, /^starling: .*--bogus/],
    [['hub', '--port', 'abc'], { JWT_SECRET: SECRET }, /^starling: --port must be a number/],
    [['hub', '--port', '70000'], { JWT_SECRET: SECRET }, /^starling: --port/],
    [['hub'], {}, /^starling: set JWT_SECRET/],
    [['hub'], { JWT_SECRET: SECRET, JWT_PUBLIC_KEY: 'A'.repeat(43) }, /^starling: set exactly one/],
    [['hub'], { JWT_SECRET: 'short' }, /^starling: .*at least 32 bytes/],
    [['serve'], {}, /^starling: unknown command/],
  ];
  for (const [args, env, re] of cases) {
    const { code, err } = await run(args, env);
    assert.equal(code, 2, `${args.join(' ')}: ${err}`);
    assert.match(err.trim(), re);
    assert.equal(err.trim().split('\n').length, 1, err);
  }
});

test('a port in use: starling: ADDRESS_IN_USE, exit 1', async () => {
  const taken = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => taken.once('listening', r));
  try {
    const { code, err } = await run(['hub', '--port', String(taken.address().port)], { JWT_SECRET: SECRET });
    assert.equal(code, 1);
    assert.match(err.trim(), /^starling: ADDRESS_IN_USE: /);
  } finally {
    taken.close();
  }
});

test('--dev starts a hub with a token endpoint (a random secret when none is set)', async () => {
  const { out, code } = await run(['hub', '--dev', '--port', '0'], {}, /dev\/token/);
  assert.equal(code, 0); // SIGTERM closes the hub and exits cleanly
  assert.match(out, /listening: ws:\/\/127\.0\.0\.1:\d+/);
  assert.match(out, /POST http:\/\/127\.0\.0\.1:\d+\/dev\/token/);
});
