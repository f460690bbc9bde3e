// The packed tarball, installed into a fresh project, works in Node through
// the package name and its exports map (what users get from npm).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'starling-pkg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('npm pack -> npm install -> import "starling" in Node', () => {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
  const tarball = join(dir, out.trim().split('\n').pop());
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  for (const f of ['package/js-glue/index.js', 'package/js-glue/index.d.ts', 'package/dist/starling_core.mjs', 'package/dist/starling_core.wasm',
    'package/js-glue/hub.js', 'package/js-glue/hub.d.ts', 'package/dist/starling_hub.wasm', 'package/bin/starling.js']) {
    assert.ok(listing.includes(f), `${f} is in the tarball`);
  }
  assert.ok(!listing.includes('package/src/'), 'C sources are not shipped');
  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, stdio: 'pipe' });
  writeFileSync(join(app, 'main.js'), `
    import { init, Identity, Handshake } from 'starling';
    import { createRequire } from 'node:module';
    await init();
    const a = Identity.generate(), b = Identity.generate();
    const x = new Handshake({ identity: a, initiator: true }), y = new Handshake({ identity: b, initiator: false });
    y.readMessage(x.writeMessage()); x.readMessage(y.writeMessage()); y.readMessage(x.writeMessage());
    const s = x.split(), r = y.split();
    const wasmPath = createRequire(import.meta.url).resolve('starling/starling.wasm');
    console.log(new TextDecoder().decode(r.decrypt(s.encrypt('installed ok'))), wasmPath.endsWith('.wasm'));
  `);
  const result = execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8' }).trim();
  assert.equal(result, 'installed ok true');
});

test('the README\'s first hour: examples/two-peers.js against `starling hub --dev`, from the installed package', async () => {
  const app = join(dir, 'app');
  execFileSync('cp', [join(root, 'examples/two-peers.js'), app]);
  const { spawn, spawnSync } = await import('node:child_process');
  // ws and node-datachannel are optional peers (browser apps do not need
  // them): without them the hub says what to install instead of crashing.
  const bare = spawnSync(process.execPath, [join(app, 'node_modules/starling/bin/starling.js'), 'hub', '--dev', '--port', '0'], { encoding: 'utf8', timeout: 20000 });
  assert.notEqual(bare.status, 0);
  assert.match(bare.stderr, /MISSING_DEPENDENCY.*npm install ws/);
  const devDeps = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `ws@${devDeps.ws}`, `node-datachannel@${devDeps['node-datachannel']}`], { cwd: app, stdio: 'pipe' });
  const hub = spawn(process.execPath, [join(app, 'node_modules/starling/bin/starling.js'), 'hub', '--dev', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      hub.stdout.on('data', (d) => { out += d; const m = out.match(/listening: (ws:\/\/\S+)/); if (m) resolve(m[1]); });
      hub.once('exit', (code) => reject(new Error(`hub exited ${code}`)));
    });
    const out = execFileSync(process.execPath, ['two-peers.js', url], { cwd: app, encoding: 'utf8', timeout: 60000 });
    assert.match(out, /bob connected to 12D3KooW.* over the (direct|relay) path/);
    assert.match(out, /alice got "hello from bob"/);
    assert.match(out, /bob got "hello from alice"/);
  } finally {
    hub.kill('SIGTERM');
  }
});
