// The orderbook across a network, with real parts: a real hub, real WebRTC
// (node-datachannel), gossip deltas and reconciliation over ORDERBOOK
// frames. Twenty peers in four overlapping rooms; five makers place, update
// and cancel 10,000 orders; every book ends with the same digest. A peer
// that joins late syncs the whole book; two halves that diverge while
// split converge once the links come back; a maker that goes silent has
// its orders removed everywhere. Timings are reported, not asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerFixture } from './helpers/peers.js';
import { within, until, once } from './helpers/wait.js';

const SECRET = 'orderbook-net-test-secret-0123456789ab';
// The topology is the test's: rooms only, no connection manager dials.
// A mesh degree of 4 (not 6) halves the copies this one process carries.
const fx = peerFixture(SECRET, { directTimeoutMs: 5000, connections: false, discovery: false, gossip: { D: 4, Dlo: 3, Dhi: 6, Dlazy: 4 } });
const PAIR = 'BTC-USDT';
// Five makers send 10,000 messages in seconds: caps to match, the same on
// every peer. Silence: 30 s (keep-alives every 10 s), so the test can wait
// it out; shorter, and twenty peers' timers in one busy process slip past it.
const BOOK = { limits: { makerRate: 5000, makerBurst: 5000, maxOpenPerMaker: 5000, makerSilenceMs: 30000 } };

// Room r holds peers 5r..5r+4; peer 5r also joins room r-1: a ring of
// rooms. Rooms 0 and 1 (peers 0-9) are one half, rooms 2 and 3 the other.
const rooms = (k) => [`market-${Math.floor(k / 5)}`, ...(k % 5 === 0 ? [`market-${(Math.floor(k / 5) + 3) % 4}`] : [])];
const allSame = (books) => books.every((b) => b.digest() === books[0].digest());
const describe = (books) => () => JSON.stringify(books.map((b) => [b.size, b.digest().slice(0, 8)]));

/** What one book holds that another does not, for a failure message. */
function difference(a, b) {
  const ids = (bk) => new Set(bk.bids().concat(bk.asks()).map((o) => o.id));
  const A = ids(a), B = ids(b);
  const only = (x, y, bk) => [...x].filter((id) => !y.has(id)).slice(0, 3).map((id) => { const o = bk.get(id); return { id: id.slice(0, 8), kind: o.kind, replaces: o.replaces?.slice(0, 8), otherHasMessage: !!(bk === a ? b : a).message(id) }; });
  const remaining = [...A].filter((id) => B.has(id) && a.get(id).remaining !== b.get(id).remaining).length;
  return JSON.stringify({ onlyFirst: only(A, B, a), onlySecond: only(B, A, b), remainingDiffers: remaining });
}

let seed = 12345;
const rnd = (n) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;

/** One maker's next operation: 60 % place, 25 % update, 15 % cancel. */
function operate(book, mine) {
  const r = rnd(100);
  if (r < 60 || mine.length < 20) {
    const side = rnd(2) ? 'bid' : 'ask';
    const price = side === 'bid' ? 6_400_000 - rnd(50_000) : 6_500_000 + rnd(50_000); // never crossing
    mine.push(book.place({ side, price, amount: 1000 + rnd(100_000), expiresIn: 3_600_000 }).id);
  } else if (r < 85) {
    const k = rnd(mine.length);
    mine[k] = book.update(mine[k], { price: book.get(mine[k]).price + 1n }).id;
  } else {
    const k = rnd(mine.length);
    book.cancel(mine[k]);
    mine.splice(k, 1);
  }
}

test('twenty peers, five makers, 10,000 orders: every book ends the same; late joiner, split and silent maker', { timeout: 600000 }, async (t) => {
  const peers = [];
  for (let k = 0; k < 20; k++) peers.push(await fx.makePeer());
  const books = peers.map((p) => p.orderbook(PAIR, BOOK));
  peers.forEach((p, k) => rooms(k).forEach((room) => p.join(room)));
  const links = () => peers.reduce((n, p) => n + p.connections().length, 0);
  await within(60000, until(() => peers.every((p) => p.connections().length >= 4) && meshed(peers)), () => `links: ${links()}`);

  // --- 10,000 operations from five makers, in bursts the event loop can carry.
  const makers = [0, 4, 8, 12, 16];
  const mine = makers.map(() => []);
  const started = Date.now();
  for (let op = 0; op < 10000; op++) {
    const m = op % makers.length;
    operate(books[makers[m]], mine[m]);
    if (op % 50 === 49) await new Promise((ok) => setTimeout(ok, 5));
  }
  const lastChange = Date.now();
  await within(180000, until(() => allSame(books)), describe(books));
  const converged = Date.now();
  const size = books[0].size;
  assert.ok(size > 1000, `the book holds ${size} orders`);
  assert.equal(size, mine.reduce((n, v) => n + v.length, 0), 'every resting order of every maker, nothing else');
  t.diagnostic(`10,000 operations in ${lastChange - started} ms; converged ${converged - lastChange} ms after the last change; ${size} orders rest, digest ${books[0].digest().slice(0, 16)}`);

  // --- A peer joining late syncs the whole book over its links.
  const late = await fx.makePeer();
  const lateBook = late.orderbook(PAIR, BOOK);
  const synced = once(lateBook, 'sync');
  late.join('market-1');
  const s = await within(60000, synced, () => `late peer: ${lateBook.size} orders`);
  await within(60000, until(() => lateBook.digest() === books[0].digest()), () => `late peer holds ${lateBook.size} of ${size}: ${difference(lateBook, books[0])}`);
  t.diagnostic(`late joiner: first sync ${JSON.stringify(s)}`);
  assert.ok(s.received > 0 && s.rounds >= 1 && s.bytes > 0);

  // --- Split: the bridges leave the rooms that joined the halves and say
  // goodbye to the links across (a direct link outlives its room); each
  // half changes on its own, and the halves differ.
  const halfA = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]; // rooms market-0 and market-1
  const bridges = [[0, 'market-3'], [10, 'market-1']];
  const everyone = [...peers, late]; // the late peer sits in market-1: half A
  const inA = (p) => p === late || halfA.includes(peers.indexOf(p));
  const byId = new Map(everyone.map((p) => [p.peerId, p]));
  const across = (p) => p.connections().filter((c) => inA(byId.get(c.peerId)) !== inA(p)).map((c) => c.peerId);
  const crossing = () => everyone.flatMap((p) => across(p).map((id) => `${p.peerId.slice(-4)}-${id.slice(-4)}`));
  for (const [k, room] of bridges) {
    peers[k].leave(room);
    await Promise.all(across(peers[k]).map(async (id) => {
      const link = peers[k]._link(id);
      await link.leave(500).catch(() => {});
      link.close(new Error('split'));
    }));
  }
  await within(30000, until(() => crossing().length === 0), () => `halves still linked: ${crossing()}`);
  for (let op = 0; op < 200; op++) operate(books[op % 2 ? 4 : 12], mine[op % 2 ? 1 : 3]); // one maker on each side
  const a = [...halfA.map((k) => books[k]), lateBook], b = books.filter((_, k) => !halfA.includes(k));
  await within(60000, until(() => allSame(a) && allSame(b)), () => `halves: ${describe(a)()} | ${describe(b)()}`);
  assert.notEqual(a[0].digest(), b[0].digest(), 'the halves diverged');

  // --- Heal: the bridges come back; reconciliation on connect joins the halves.
  const healStarted = Date.now();
  for (const [k, room] of bridges) peers[k].join(room);
  await within(120000, until(() => allSame(books) && lateBook.digest() === books[0].digest()), describe(books));
  t.diagnostic(`split healed in ${Date.now() - healStarted} ms`);
  assert.equal(books[0].size, mine.reduce((n, v) => n + v.length, 0));

  // --- A maker goes silent: its orders go everywhere after makerSilenceMs.
  const silent = peers[16];
  const theirs = mine[4].length;
  assert.ok(theirs > 0);
  const closed = Date.now();
  await silent.close();
  const rest = books.filter((_, k) => k !== 16);
  await within(90000, until(() => rest.every((bk) => bk.bids().concat(bk.asks()).every((o) => o.maker !== silent.peerId))), describe(rest));
  await within(30000, until(() => allSame(rest)), describe(rest));
  t.diagnostic(`a silent maker's ${theirs} orders were gone everywhere ${Date.now() - closed} ms after it went quiet`);
  assert.equal(rest[0].size, mine.slice(0, 4).reduce((n, v) => n + v.length, 0), 'the silent maker\'s orders, and only those, are gone');
});

/** Every peer has a gossip mesh for the book's topic. */
function meshed(peers) {
  return peers.every((p) => p.pubsub.getMeshPeers(`starling/orderbook/${PAIR}/1`).length > 0);
}
