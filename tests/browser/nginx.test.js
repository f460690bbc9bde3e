// WSS behind nginx, with the configuration docs/deploy.md shows
// (docs/deploy/nginx-starling.conf, run as is but for the values it marks
// as yours): a throwaway CA and certificate, nginx terminating TLS in
// front of a hub, two Node peers (trusting the CA through
// NODE_EXTRA_CA_CERTS) and two Chromium pages (trusting the CA's key)
// dial wss:// through it and connect. Also: /metrics is refused to
// addresses outside the allow list, and paths the hub does not publish
// are not proxied.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { staticHandler } from '../../scripts/dev-server.js';
import { startHub } from '../../js-glue/hub.js';
import { makeCertificates } from '../js/helpers/tls.js';
import { startNginx } from '../js/helpers/servers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'nginx-test-jwt-secret-0123456789abcdef';
let tmp, tls, hub, nginx, browser, wssUrl, port;

const freePort = () => new Promise((ok) => { const s = netServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'starling-nginx-'));
  tls = makeCertificates(tmp, { dns: ['localhost'], ips: ['127.0.0.1'] });
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
  mkdirSync(join(tmp, 'pkg'));
  execFileSync('tar', ['-xzf', join(tmp, tarball), '-C', join(tmp, 'pkg'), '--strip-components=1']);
  // Pages and dev tokens come from the hub's own HTTP port; the WebSocket goes through nginx.
  hub = await startHub({ jwtSecret: SECRET, dev: true, requestHandler: staticHandler({ '/pkg/': join(tmp, 'pkg'), '/test/': join(root, 'tests/browser/page') }) });
  port = await freePort();
  nginx = await startNginx({ dir: tmp, listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${hub.port}`, serverName: 'localhost', chain: tls.chain, key: tls.key });
  wssUrl = `wss://localhost:${port}/signaling`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns',
      `--ignore-certificate-errors-spki-list=${tls.caSpki}`],
  });
});

after(async () => {
  await browser?.close();
  nginx?.stop();
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** GET over TLS trusting only the test CA, from a chosen local address. */
function get(path, localAddress = '127.0.0.1') {
  return new Promise((ok, bad) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'localhost', ca: readFileSync(tls.ca), localAddress }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode));
    });
    req.on('error', bad);
    req.end();
  });
}

test('nginx: TLS with the test CA, /health proxied, /metrics only for the allow list, nothing else', async () => {
  assert.equal(await get('/health'), 200);
  assert.equal(await get('/metrics'), 200, '127.0.0.1 is on the allow list');
  assert.equal(await get('/metrics', '127.0.0.2'), 403, 'any other address is refused');
  assert.equal(await get('/dev/token'), 404, 'the dev endpoint is not published');
  // Without the test CA the certificate is refused: TLS is real.
  await assert.rejects(new Promise((ok, bad) => request({ host: '127.0.0.1', port, path: '/health', servername: 'localhost' }, ok).on('error', bad).end()),
    (err) => /self-signed|unable to (get|verify)/i.test(err.message));
});

test('two Node peers dial wss:// through nginx and exchange messages', async () => {
  const room = `nginx-${process.pid}`;
  const run = (name) => new Promise((ok) => {
    const child = spawn(process.execPath, [join(root, 'tests/js/fixtures/net-peer.mjs')], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.ca, HUB_URL: wssUrl, JWT_SECRET: SECRET, ROOM: room, NAME: name, ROUNDS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.once('exit', (code) => ok({ code, out, err }));
  });
  const [a, b] = await Promise.all([run('A'), run('B')]);
  for (const [side, other, r] of [['A', 'B', a], ['B', 'A', b]]) {
    // The fixture ends itself with SIGKILL; its last line says how it went.
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.at(-1), { done: true }, `${side}: ${r.out}\n${r.err}`);
    const rounds = lines.slice(0, -1);
    assert.deepEqual(rounds.map((x) => x.received), [`${other} 0`, `${other} 1`]);
    assert.ok(rounds.every((x) => ['direct', 'relay'].includes(x.path)));
  }
});

test('two Chromium pages dial wss:// through nginx and connect over WebRTC', async () => {
  const room = `nginx-pages-${process.pid}`;
  const pages = await Promise.all([browser.newPage(), browser.newPage()]);
  const errors = [];
  for (const p of pages) p.on('pageerror', (e) => errors.push(e.message));
  await Promise.all(pages.map((p) => p.goto(`${hub.httpUrl}/test/peer.html?n=20&room=${room}&hub=${encodeURIComponent(wssUrl)}`)));
  const results = await Promise.all(pages.map(async (p) => {
    await p.waitForFunction(() => window.__result, null, { timeout: 30000 });
    return p.evaluate(() => window.__result);
  }));
  assert.deepEqual(errors, []);
  for (const r of results) {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.path, 'direct');
    assert.equal(r.received, 20);
    assert.ok(r.inOrder);
  }
  await Promise.all(pages.map((p) => p.close()));
});
