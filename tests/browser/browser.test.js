// Chromium (Debian's, driven by playwright-core): the packed npm package
// loads in a page served on localhost, runs a handshake and an encrypted
// round trip; the demo page reaches "secure session up".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { staticHandler } from '../../scripts/dev-server.js';
import { startHub } from '../../js-glue/hub.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let tmp, server, browser;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'starling-browser-'));
  // Test what users get: the tarball npm would publish, unpacked.
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
  mkdirSync(join(tmp, 'pkg'));
  execFileSync('tar', ['-xzf', join(tmp, tarball), '-C', join(tmp, 'pkg'), '--strip-components=1']);
  // The hub serves the pages too (as `npm start` does), so the page's
  // WebSocket and /dev/token requests are same-origin.
  server = await startHub({
    jwtSecret: 'browser-test-secret-0123456789abcdef',
    dev: true,
    requestHandler: staticHandler({
      '/pkg/': join(tmp, 'pkg'),
      '/test/': join(root, 'tests/browser/page'),
      '/': join(root, 'web'), '/js-glue/': join(root, 'js-glue'), '/dist/': join(root, 'dist'),
    }),
  });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // Host candidates as plain addresses (not mDNS names) so loopback ICE works headless.
      '--disable-features=WebRtcHideLocalIpsWithMdns'], // playwright uses a fresh profile dir
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function resultOf(page, expr, ms = 20000) {
  await page.waitForFunction(expr, null, { timeout: ms });
  return page.evaluate(expr);
}

test('packed package: handshake and encrypted round trip in Chromium', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.httpUrl}/test/index.html`);
  const r = await resultOf(page, () => window.__result);
  assert.equal(r.error, undefined, r.error);
  assert.match(r.alice, /^12D3KooW/);
  assert.notEqual(r.alice, r.bob);
  assert.ok(r.bobSawAlice);
  assert.equal(r.early, 'to bob');
  assert.ok(r.roundTrip);
  assert.equal(r.reply, 'pong');
  assert.equal(r.replay, 'SESSION_DECRYPT');
  assert.equal(r.frame, 'framed');
  assert.ok(r.signatureOk);
  assert.deepEqual(errors, []);
  await page.close();
});

test('demo page reaches a secure session and decrypts what is sent', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.httpUrl}/index.html`);
  assert.equal(await resultOf(page, () => document.body.dataset.ready), 'true');
  await page.fill('#message', 'browser says hi');
  await page.click('#send button');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('browser says hi'));
  mkdirSync(join(root, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(root, 'test-results', 'demo.png') });
  await page.close();
});

test('packed package: the page dials the hub with the browser WebSocket and joins a room', async () => {
  const pages = [];
  const results = [];
  for (let i = 0; i < 2; i++) { // two separate browser contexts, like two users
    const context = await browser.newContext();
    const page = await context.newPage();
    pages.push(context);
    await page.goto(`${server.httpUrl}/test/hub.html?room=shared`);
    results.push(await resultOf(page, () => window.__result));
  }
  for (const r of results) {
    assert.equal(r.error, undefined, r.error);
    assert.ok(r.confirmed);
    assert.equal(r.insecure, 'HUB_URL_INSECURE');
  }
  assert.deepEqual(results[0].peers, []);
  assert.deepEqual(results[1].peers, [results[0].peerId]);
  for (const c of pages) await c.close();
});

test('two pages connect through the hub over real RTCPeerConnection and exchange encrypted messages', async () => {
  const contexts = [await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  const logs = [];
  pages.forEach((p, i) => {
    p.on('console', (m) => logs.push(`${i}: ${m.text()}`));
    p.on('pageerror', (e) => logs.push(`${i}: ${e.message}`));
  });
  await Promise.all(pages.map((p) => p.goto(`${server.httpUrl}/test/peer.html?room=webrtc-pages&n=50`)));
  const results = await Promise.all(pages.map((p) => resultOf(p, () => window.__result, 30000)))
    .catch(async (err) => {
      const stages = await Promise.all(pages.map((p) => p.evaluate(() => `${window.__stage} ${JSON.stringify(window.__pcs)}`)));
      throw new Error(`${err.message}\nstages: ${JSON.stringify(stages)}\npage logs:\n${logs.join('\n')}`);
    });
  for (const r of results) {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.path, 'direct');
    assert.equal(r.received, 50);
    assert.ok(r.inOrder);
  }
  for (const c of contexts) await c.close();
});
