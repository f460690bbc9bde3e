// chromium.js — `npm run bench`: the connectivity figures where users run
// the library. Two pages of one headless Chromium (Debian's, through
// playwright-core): encrypted Starling sessions through a real hub vs a
// bare RTCDataChannel between the same two pages, measured in this run:
// throughput with 64 KiB and 1 KiB messages, and setup time (hub join to
// session ready vs bare RTCPeerConnection connect). Prints ratios.
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startHub } from '../js-glue/hub.js';
import { staticHandler } from '../scripts/dev-server.js';
import { fmt, ratioTable } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const N = Number(process.env.SETUP_ROUNDS ?? 20);
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

const hub = await startHub({
  jwtSecret: 'chromium-bench-secret-0123456789abcdef', dev: true,
  messageRate: 1e5, messageBurst: 1e5, relayRate: 1e5, relayBurst: 1e5,
  requestHandler: staticHandler({ '/': join(root, 'bench/pages'), '/js-glue/': join(root, 'js-glue'), '/dist/': join(root, 'dist') }),
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns'],
});
const context = await browser.newContext(); // one context: the pages share a BroadcastChannel
const [a, b] = await Promise.all([context.newPage(), context.newPage()]);
await Promise.all([a, b].map(async (p) => {
  await p.goto(`${hub.httpUrl}/chromium.html`);
  await p.waitForFunction(() => window.benchReady);
}));

const bareConnect = async () => (await Promise.all([a.evaluate(() => window.bench.bareConnect(true)), b.evaluate(() => window.bench.bareConnect(false))]))[0];
let rooms = 0;
const starlingConnect = async () => {
  const room = `bench-${rooms++}`;
  return (await Promise.all([a.evaluate((r) => window.bench.starlingConnect(r), room), b.evaluate((r) => window.bench.starlingConnect(r), room)]))[0];
};

const { rows, row } = ratioTable();
let path = null;
for (const [size, total] of [[64 * 1024, 64 * MiB], [1024, 16 * MiB]]) {
  let bare = 0, ours = 0;
  for (let i = 0; i < 3; i++) { // best of 3: loopback numbers are noisy
    await bareConnect();
    bare = Math.max(bare, await a.evaluate(([s, t]) => window.bench.bareSend(s, t), [size, total]));
    path = (await starlingConnect()).path;
    ours = Math.max(ours, await a.evaluate(([s, t]) => window.bench.starlingSend(s, t), [size, total]));
  }
  row(`encrypted throughput, ${size / 1024} KiB messages (Chromium, ${path})`, ours, 'bare RTCDataChannel', bare, undefined, 'MB/s');
}

const bareSetup = [];
const oursSetup = [];
for (let i = 0; i < N; i++) {
  bareSetup.push(await bareConnect());
  oursSetup.push((await starlingConnect()).ms);
}
const setupRows = [['p50', 0.5], ['p95', 0.95]].map(([name, q]) => ({
  what: `setup ${name} (n=${N})`, starling: `${fmt(quantile(oursSetup, q))} ms`, bareWebRTC: `${fmt(quantile(bareSetup, q))} ms`,
  ratio: `${fmt(quantile(oursSetup, q) / quantile(bareSetup, q), 2)}x (time: lower is better)`,
}));

console.log(`\nStarling in Chromium ${browser.version()}: two pages, hub on 127.0.0.1 (setup: hub join to session ready, with the Noise handshake, vs a bare RTCPeerConnection connect signalled between the pages directly)\n`);
console.table(rows);
console.table(setupRows);
await Promise.all([a, b].map((p) => p.evaluate(() => window.bench.closeAll())));
await browser.close();
await hub.close();
process.exit(0);
