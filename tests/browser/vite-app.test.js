// Packaging for browser apps, tried as a new user would: examples/vite-app
// installed from the packed tarball into a fresh project and built with
// Vite. The build must print no warning at all (no Node module pulled into
// the browser graph), the install must not bring node-datachannel or ws,
// and the built app must run in Chromium: it joins a room on a real hub
// and exchanges messages with a Node peer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildViteApp } from '../../scripts/vite-app.js';
import { staticHandler } from '../../scripts/dev-server.js';
import { startHub } from '../../js-glue/hub.js';
import { init, Identity, createPeer } from '../../js-glue/index.js';
import { hs256, claimsFor } from '../js/helpers/jwt.js';
import { within, until } from '../js/helpers/wait.js';

const SECRET = 'vite-app-test-secret-0123456789abcdef';
let tmp, built, hub, browser, node;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'starling-vite-'));
  built = await buildViteApp(tmp);
  await init();
  hub = await startHub({ jwtSecret: SECRET, dev: true, requestHandler: staticHandler({ '/': built.dist }) });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
});

after(async () => {
  await node?.close();
  await browser?.close();
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('vite build of the packed package: no warnings, no Node-only packages installed or bundled', () => {
  assert.deepEqual(built.warnings, [], `vite printed:\n${built.warnings.join('\n')}`);
  assert.deepEqual(built.installed, ['starling'], 'installing starling brings no other package (node-datachannel and ws are optional peers)');
  const js = built.files.filter((f) => f.name.endsWith('.js'));
  assert.equal(js.length, 1, `one JS chunk: ${built.files.map((f) => f.name).join(', ')}`);
  const code = readFileSync(join(built.dist, 'assets', js[0].name), 'utf8');
  for (const nodeOnly of ['node-datachannel', 'node:fs', 'node:os', 'require("crypto")', 'WebSocketServer']) {
    assert.ok(!code.includes(nodeOnly), `the bundle does not mention ${nodeOnly}`);
  }
  assert.ok(built.files.some((f) => f.name.endsWith('.wasm')), 'the core ships as a .wasm asset');
  console.log(`vite app: ${built.files.map((f) => `${f.name} ${(f.gzip / 1024).toFixed(1)} KB gz`).join(', ')}; total ${(built.gzip / 1024).toFixed(1)} KB gz`);
});

test('the built app runs in Chromium and talks to a Node peer through the hub', async () => {
  const identity = Identity.generate();
  node = await createPeer({ hubUrl: hub.url, token: hs256(claimsFor(identity), SECRET), identity });
  const heard = [];
  node.addEventListener('message', (e) => heard.push(e.detail));
  node.addEventListener('peer:connect', (e) => node.send(e.detail.peerId, 'hello from node').catch(() => {}));
  node.join('vite-app');

  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${hub.httpUrl}/index.html?hub=${encodeURIComponent(hub.url)}`);
  await page.waitForFunction(() => window.starlingApp?.received.length > 0 || window.starlingApp?.error, null, { timeout: 30000 });
  const state = await page.evaluate(() => window.starlingApp);
  assert.equal(state.error, null);
  assert.deepEqual(errors, []);
  assert.deepEqual(state.received.map((m) => [m.from, m.data]), [[node.peerId, 'hello from node']]);
  assert.deepEqual(state.connected.map((c) => c.peerId), [node.peerId]);
  await within(10000, until(() => heard.length > 0), () => `node heard ${JSON.stringify(heard)}`);
  assert.equal(heard[0].from, state.peerId);
  assert.equal(heard[0].data, `hello from ${state.peerId}`);
  assert.match(await page.textContent('#log'), /hello from node/);
  await page.close();
});
