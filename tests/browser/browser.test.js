// Chromium (Debian's, driven by playwright-core): the packed npm package
// loads in a page served on localhost, runs a handshake and an encrypted
// round trip; the chat demo connects two tabs (direct, and relayed); two
// pages connect over real RTCPeerConnection, and over the relay when ICE
// cannot connect; two pages and two Node peers form one gossip mesh;
// the demo's topic view finds a peer in another room through gossip,
// dials it through the tab in between, and chats on the topic; the demo's
// orderbook view shows the same book as a Node peer of the network.
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
import { init, Identity, createPeer } from '../../js-glue/index.js';
import { hs256, claimsFor } from '../js/helpers/jwt.js';
import { within, until } from '../js/helpers/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let tmp, server, browser;
const SECRET = 'browser-test-secret-0123456789abcdef';

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'starling-browser-'));
  // Test what users get: the tarball npm would publish, unpacked.
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
  mkdirSync(join(tmp, 'pkg'));
  execFileSync('tar', ['-xzf', join(tmp, tarball), '-C', join(tmp, 'pkg'), '--strip-components=1']);
  // The hub serves the pages too (as `npm start` does), so the page's
  // WebSocket and /dev/token requests are same-origin.
  await init();
  server = await startHub({
    jwtSecret: SECRET,
    dev: true,
    requestHandler: staticHandler({
      '/pkg/': join(tmp, 'pkg'),
      '/test/': join(root, 'tests/browser/page'),
      '/': join(root, 'web'), '/js-glue/': join(root, 'js-glue'), '/dist/': join(root, 'dist'), '/vendor/': join(root, 'build/demo'),
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

test('chat demo: two tabs (separate contexts) see each other as direct peers and chat; screenshot kept', async () => {
  const contexts = [await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  for (const p of pages) await p.goto(`${server.httpUrl}/index.html?room=demo-test`);
  for (const p of pages) await p.waitForFunction(() => document.body.dataset.peers === '1', null, { timeout: 30000 });
  for (const p of pages) assert.equal(await p.textContent('#peers .path'), 'direct');
  await pages[0].fill('#message', 'hello from tab one');
  await pages[0].click('#send button');
  await pages[1].waitForFunction(() => document.getElementById('chat').textContent.includes('hello from tab one'), null, { timeout: 10000 });
  await pages[1].fill('#message', 'and back from tab two');
  await pages[1].click('#send button');
  await pages[0].waitForFunction(() => document.getElementById('chat').textContent.includes('and back from tab two'), null, { timeout: 10000 });
  await pages[0].waitForFunction(() => document.getElementById('log').textContent.includes('delivered to'), null, { timeout: 10000 });
  mkdirSync(join(root, 'test-results'), { recursive: true });
  await pages[0].screenshot({ path: join(root, 'test-results', 'demo-two-peers.png'), fullPage: true });
  for (const c of contexts) await c.close();
});

test('chat demo with ?relay=1 shows the relay path and still chats', async () => {
  const contexts = [await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  for (const p of pages) await p.goto(`${server.httpUrl}/index.html?room=demo-relay&relay=1`);
  for (const p of pages) await p.waitForFunction(() => document.body.dataset.peers === '1', null, { timeout: 30000 });
  for (const p of pages) assert.equal(await p.textContent('#peers .path'), 'relay');
  await pages[0].fill('#message', 'relayed hello');
  await pages[0].click('#send button');
  await pages[1].waitForFunction(() => document.getElementById('chat').textContent.includes('relayed hello'), null, { timeout: 10000 });
  assert.match(await pages[1].textContent('#log'), /falling back to the relay/);
  await pages[1].screenshot({ path: join(root, 'test-results', 'demo-relay.png'), fullPage: true });
  for (const c of contexts) await c.close();
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

async function twoPages(query) {
  const contexts = [await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  const logs = [];
  pages.forEach((p, i) => {
    p.on('console', (m) => logs.push(`${i}: ${m.text()}`));
    p.on('pageerror', (e) => logs.push(`${i}: ${e.message}`));
  });
  await Promise.all(pages.map((p) => p.goto(`${server.httpUrl}/test/peer.html?${query}`)));
  const results = await Promise.all(pages.map((p) => resultOf(p, () => window.__result, 30000)))
    .catch(async (err) => {
      const stages = await Promise.all(pages.map((p) => p.evaluate(() => `${window.__stage} ${JSON.stringify(window.__pcs)}`)));
      throw new Error(`${err.message}\nstages: ${JSON.stringify(stages)}\npage logs:\n${logs.join('\n')}`);
    });
  for (const c of contexts) await c.close();
  return results;
}

test('two pages connect through the hub over real RTCPeerConnection and exchange encrypted messages', async () => {
  for (const r of await twoPages('room=webrtc-pages&n=50')) {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.path, 'direct');
    assert.equal(r.fallback, null);
    assert.equal(r.received, 50);
    assert.ok(r.inOrder);
  }
});

test('two pages whose ICE cannot connect fall back to the hub relay and exchange encrypted messages', async () => {
  for (const r of await twoPages('room=relay-pages&n=50&relay=1')) {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.path, 'relay');
    assert.ok(['timeout', 'direct-unavailable'].includes(r.fallback), r.fallback); // the side that did not time out first says so
    assert.equal(r.received, 50);
    assert.equal(r.relayMessagesIn, 50);
    assert.ok(r.inOrder);
  }
});

test('two pages and two Node peers in one gossip mesh: every member hears every other, across rooms', { timeout: 90000 }, async () => {
  // A chain of rooms: page 1 - node 1 - node 2 - page 2. The pages share
  // no room with each other: what they hear of each other crossed the mesh.
  const topic = 'browser/mesh';
  const nodes = [];
  for (const rooms of [['g-a', 'g-b'], ['g-b', 'g-c']]) {
    const identity = Identity.generate();
    const p = await createPeer({ hubUrl: server.url, token: hs256(claimsFor(identity), SECRET), identity });
    p.pubsub.subscribe(topic);
    for (const r of rooms) p.join(r);
    nodes.push(p);
  }
  const heardByNodes = nodes.map(() => new Set());
  nodes.forEach((p, i) => p.addEventListener('gossip:message', (e) => {
    if (e.detail.topic === topic) heardByNodes[i].add(new TextDecoder().decode(e.detail.data).split(' #')[0]);
  }));
  const publishing = setInterval(() => nodes.forEach((p, i) => p.pubsub.publish(topic, `node${i + 1} #x`).catch(() => {})), 300);
  const contexts = [await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  const errors = [];
  pages.forEach((p) => p.on('pageerror', (e) => errors.push(e.message)));
  await pages[0].goto(`${server.httpUrl}/test/gossip.html?name=page1&room=g-a&topic=${topic}&expect=page2,node1,node2`);
  await pages[1].goto(`${server.httpUrl}/test/gossip.html?name=page2&room=g-c&topic=${topic}&expect=page1,node1,node2`);
  try {
    const results = await Promise.all(pages.map((p) => resultOf(p, () => window.__result, 60000)));
    for (const r of results) assert.equal(r.error, undefined, r.error);
    assert.equal(results[0].heard.page2, results[1].peerId, 'page 1 heard page 2, signed by page 2');
    assert.equal(results[1].heard.page1, results[0].peerId);
    assert.equal(results[0].heard.node2, nodes[1].peerId);
    await within(20000, until(() => heardByNodes.every((h) => h.has('page1') && h.has('page2'))), () => `the Node peers heard ${JSON.stringify(heardByNodes.map((h) => [...h]))}`);
    // Discovery ran beside it: page 1 learned of page 2 from its announcement.
    await pages[0].waitForFunction((id) => window.__peer.discovery.list().some((d) => d.peerId === id && d.how === 'gossip'), results[1].peerId, { timeout: 20000 });
    assert.deepEqual(errors, []);
  } finally {
    clearInterval(publishing);
    for (const c of contexts) await c.close();
    await Promise.all(nodes.map((p) => p.close()));
  }
});

test('demo topic view: a tab finds a peer of another room through gossip, dials it through the tab between them, and chats on the topic; screenshot kept', { timeout: 90000 }, async () => {
  const contexts = [await browser.newContext(), await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  const rooms = ['topic-a', 'topic-a,topic-b', 'topic-b'];
  for (const [i, p] of pages.entries()) await p.goto(`${server.httpUrl}/index.html?room=${rooms[i]}&topic=demo/topic`);
  const third = await pages[2].evaluate(() => document.getElementById('me').textContent);
  // Tab 1 learns of tab 3 through gossip, and its connection manager
  // (below 4 peers) dials it through tab 2: two direct peers.
  await pages[0].waitForFunction((id) => [...document.querySelectorAll('#discovered li')].some((li) => li.textContent.includes('gossip') && li.textContent.includes(id)), third, { timeout: 40000 });
  await pages[0].waitForFunction(() => document.body.dataset.peers === '2', null, { timeout: 40000 });
  await pages[0].waitForFunction(() => Number(document.body.dataset.mesh) >= 1, null, { timeout: 20000 });
  await pages[2].waitForFunction(() => Number(document.body.dataset.mesh) >= 1, null, { timeout: 20000 });
  await pages[0].fill('#gossip-message', 'hello topic, from tab one');
  await pages[0].click('#publish button');
  for (const p of pages.slice(1)) {
    await p.waitForFunction(() => document.getElementById('gossip').textContent.includes('hello topic, from tab one'), null, { timeout: 15000 });
  }
  assert.match(await pages[0].textContent('#log'), /published on demo\/topic to \d+ peer/);
  mkdirSync(join(root, 'test-results'), { recursive: true });
  await pages[0].screenshot({ path: join(root, 'test-results', 'demo-topic.png'), fullPage: true });
  for (const c of contexts) await c.close();
});

test('demo orderbook view: two tabs and a Node peer hold the same book; orders placed and cancelled in one show in all; screenshot kept', { timeout: 90000 }, async () => {
  const identity = Identity.generate();
  const node = await createPeer({ hubUrl: server.url, token: hs256(claimsFor(identity), SECRET), identity });
  const nodeBook = node.orderbook('BTC-USDT');
  nodeBook.place({ side: 'bid', price: 6_400_000n, amount: 20_000n });
  nodeBook.place({ side: 'ask', price: 6_600_000n, amount: 15_000n });
  node.join('book-room');
  const contexts = [await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  const errors = [];
  pages.forEach((p) => p.on('pageerror', (e) => errors.push(e.message)));
  const orders = (p, n) => p.waitForFunction((k) => document.body.dataset.orders === String(k), n, { timeout: 30000 });
  try {
    await pages[0].goto(`${server.httpUrl}/index.html?room=book-room`);
    await orders(pages[0], 2); // the Node peer's two orders, reconciled on connect
    await pages[1].goto(`${server.httpUrl}/index.html?room=book-room`);
    await orders(pages[1], 2);
    // Tab 1 places a bid: a gossip delta to the other tab and the Node peer.
    await pages[0].selectOption('#side', 'bid');
    await pages[0].fill('#price', '6450000');
    await pages[0].fill('#amount', '5000');
    await pages[0].click('#place button');
    await orders(pages[1], 3);
    await within(15000, until(() => nodeBook.size === 3), () => `node book: ${nodeBook.size}`);
    const best = nodeBook.bestBid;
    assert.equal(best.price, 6_450_000n, 'the tab\'s bid is the best bid everywhere');
    assert.equal(best.maker, await pages[0].evaluate(() => window.__book.identity.peerId));
    // Tab 2 places an ask; tab 1 cancels its bid.
    await pages[1].selectOption('#side', 'ask');
    await pages[1].fill('#price', '6550000');
    await pages[1].fill('#amount', '7000');
    await pages[1].click('#place button');
    await orders(pages[0], 4);
    await pages[0].click('#bids tr.mine button');
    for (const p of pages) await orders(p, 3);
    await within(15000, until(() => nodeBook.size === 3 && nodeBook.bestBid.price === 6_400_000n), () => `node book: ${nodeBook.size}`);
    for (const p of pages) assert.equal(await p.evaluate(() => document.body.dataset.digest), nodeBook.digest(), 'the page shows the same book');
    assert.match(await pages[0].textContent('#asks'), /6550000/);
    assert.deepEqual(errors, []);
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await pages[0].screenshot({ path: join(root, 'test-results', 'demo-orderbook.png'), fullPage: true });
  } finally {
    for (const c of contexts) await c.close();
    await node.close();
  }
});

test('demo trade view: one tab takes the other\'s order, the trade completes with real PSBTs, the taker reloaded mid-trade resumes it from IndexedDB; a tip is sent and shown; screenshots kept', { timeout: 120000 }, async () => {
  const contexts = [await browser.newContext(), await browser.newContext()];
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  const errors = [];
  pages.forEach((p) => p.on('pageerror', (e) => errors.push(e.message)));
  const waitState = (p, s) => p.waitForFunction((x) => (document.body.dataset.tradeStates ?? '').split(',')[0] === x, s, { timeout: 45000 });
  try {
    // The maker tab signs at once; the taker's wallet takes 2.5 s to sign, a window to reload in.
    await pages[0].goto(`${server.httpUrl}/index.html?room=trade-room&pair=ETH-BTC`);
    await pages[0].waitForFunction(() => document.body.dataset.ready === 'true');
    await pages[1].goto(`${server.httpUrl}/index.html?room=trade-room&pair=ETH-BTC&signDelay=2500`);
    await pages[1].waitForFunction(() => document.body.dataset.ready === 'true');
    await pages[0].selectOption('#side', 'ask');
    await pages[0].fill('#price', '5000000');
    await pages[0].fill('#amount', '3000');
    await pages[0].click('#place button');
    await pages[1].waitForSelector('#asks button.take', { timeout: 30000 });
    await pages[1].click('#asks button.take');
    // The taker holds the maker's signatures and is signing its own: reload it now.
    await waitState(pages[1], 'maker-signed');
    await pages[1].reload();
    await pages[1].waitForFunction(() => document.body.dataset.ready === 'true');
    await waitState(pages[1], 'completed');
    await waitState(pages[0], 'completed');
    const log = await pages[1].textContent('#log');
    assert.match(log, /resumed 1 trade\(s\) from IndexedDB/);
    assert.match(await pages[1].textContent('#trades'), /taker .*: maker-signed → taker-signed → completed txid/, 'resumed where it was saved');
    assert.match(await pages[0].textContent('#trades'), /maker .*taker-signed → completed txid/);
    // The maker's wallet finalized and extracted a transaction paying both tabs.
    const tx = await pages[0].evaluate(() => window.__peer.trades.list()[0].txid);
    assert.match(tx, /^[0-9a-f]{64}$/);
    assert.equal(await pages[1].evaluate(() => window.__peer.trades.list()[0].txid), tx);
    // A tip from the maker's tab shows on the taker's.
    await pages[0].waitForFunction(() => window.__peer.connections().length > 0);
    await pages[0].click('#tip');
    await pages[1].waitForFunction(() => document.body.dataset.tips === '1', null, { timeout: 20000 });
    assert.match(await pages[1].textContent('#tips'), /tipped 1000000/);
    assert.deepEqual(errors, []);
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await pages[0].screenshot({ path: join(root, 'test-results', 'demo-trade-maker.png'), fullPage: true });
    await pages[1].screenshot({ path: join(root, 'test-results', 'demo-trade-taker.png'), fullPage: true });
  } finally {
    for (const c of contexts) await c.close();
  }
});
