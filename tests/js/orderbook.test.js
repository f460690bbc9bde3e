// The JS Orderbook over the C book: signed orders placed, updated and
// cancelled with events; BigInt amounts both ways; priority, depth and
// matching (partial fills, minimum fills, own orders skipped); messages
// from elsewhere refused with their codes, never thrown; expiry by tick;
// and, with real peers, a book that opted out of reconciliation pages
// through the snapshot instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity, Orderbook, openOrder, orderbookTopic } from '../../js-glue/index.js';
import { peerFixture } from './helpers/peers.js';
import { within, until, once } from './helpers/wait.js';

const fx = peerFixture('orderbook-js-test-secret-0123456789ab', { connections: false, discovery: false });

function events(book) {
  const seen = [];
  book.addEventListener('order:added', (e) => seen.push(['added', e.detail.id]));
  book.addEventListener('order:removed', (e) => seen.push([e.detail.reason, e.detail.id]));
  return seen;
}

test('place, update, cancel: signed messages, events, BigInt amounts, priority and depth', () => {
  let now = 1_764_676_800_000;
  const maker = new Orderbook({ pair: 'BTC-USDT', identity: Identity.generate(), clock: () => now });
  const seen = events(maker);
  const a = maker.place({ side: 'bid', price: 6_500_000_000_000n, amount: 150_000_000n, minFill: 10_000_000, data: 'bc1qpayout' });
  now += 5;
  const b = maker.place({ side: 'bid', price: '6500000000000', amount: 1000 });
  const c = maker.place({ side: 'bid', price: 6_600_000_000_000n, amount: 7 });
  assert.equal(typeof a.price, 'bigint');
  assert.equal(a.remaining, 150_000_000n);
  assert.equal(new TextDecoder().decode(a.data), 'bc1qpayout');
  assert.equal(openOrder(a.message).id, a.id, 'the message opens to the same order');
  assert.deepEqual(maker.bids().map((o) => o.id), [c.id, a.id, b.id], 'best price first, then the earlier');
  assert.deepEqual(maker.depth(5).bids, [{ price: 6_600_000_000_000n, amount: 7n, orders: 1 }, { price: 6_500_000_000_000n, amount: 150_001_000n, orders: 2 }]);
  const u = maker.update(a.id, { price: 6_400_000_000_000n });
  assert.equal(u.replaces, a.id);
  assert.equal(maker.get(a.id), null);
  const cancel = maker.cancel(c.id);
  assert.equal(cancel.target, c.id);
  assert.equal(maker.bestBid.id, b.id);
  assert.deepEqual(seen.map(([kind]) => kind), ['added', 'added', 'added', 'replaced', 'added', 'cancelled']);
  assert.throws(() => maker.cancel(c.id), { code: 'ORDER_UNKNOWN' });
  assert.throws(() => maker.place({ side: 'bid', price: 1.5, amount: 1 }), TypeError);
  assert.throws(() => maker.place({ side: 'bid', price: 1, amount: 0 }), RangeError);
  assert.throws(() => maker.place({ side: 'up', price: 1, amount: 1 }), TypeError);
  assert.throws(() => maker.place({ side: 'bid', price: 1, amount: 1, expiresIn: 25 * 3600 * 1000 }), RangeError);
  assert.throws(() => new Orderbook({ pair: 'btc-usdt' }), { code: 'ORDER_PAIR' });
  assert.throws(() => new Orderbook({ pair: 'BTC-USDT', limits: { maxOrders: -1 } }), RangeError);
  assert.equal(orderbookTopic('BTC-USDT'), 'starling/orderbook/BTC-USDT/1');

  // Expiry is driven by the tick time.
  const short = maker.place({ side: 'ask', price: 7_000_000_000_000n, amount: 1, expiresIn: 1000 });
  now += 1000;
  maker.tick();
  assert.equal(maker.get(short.id), null);
  assert.deepEqual(seen.at(-1), ['expired', short.id]);
  maker.close();
  assert.throws(() => maker.size, { code: 'CLOSED' });
});

test('receive: the same messages give the same book on another peer; bad input gets a code, never a throw', () => {
  const makerId = Identity.generate();
  const maker = new Orderbook({ pair: 'ETH-BTC', identity: makerId });
  const other = new Orderbook({ pair: 'ETH-BTC' });
  const msgs = [maker.place({ side: 'ask', price: 5_000_000n, amount: 30n }).message, maker.place({ side: 'ask', price: 5_100_000n, amount: 2n }).message];
  const ask = maker.asks()[0];
  msgs.push(maker.update(ask.id, { amount: 25n }).message);
  // Backwards: the update first; its target then arrives replaced already.
  const results = msgs.reverse().map((m) => other.receive(m));
  assert.deepEqual(results.map((r) => r.ok || r.error.code), [true, true, 'ORDER_STALE']);
  assert.equal(other.digest(), maker.digest());
  assert.deepEqual(other.receive(msgs[1]), { ok: true, id: openOrder(msgs[1]).id, applied: false, added: false }, 'a duplicate');
  const tampered = msgs[1].slice();
  tampered[tampered.length - 1] ^= 1; // the signature
  assert.equal(other.receive(tampered).error.code, 'ORDER_SIGNATURE');
  assert.equal(other.receive(new Uint8Array(3)).error.code, 'ORDER_MALFORMED');
  assert.equal(other.receive(new Uint8Array(3)).id, null);
  assert.equal(other.receive(new Orderbook({ pair: 'BTC-USDT', identity: makerId }).place({ side: 'bid', price: 1, amount: 1 }).message).error.code, 'ORDER_PAIR');
  const stale = new Orderbook({ pair: 'ETH-BTC', identity: makerId, clock: () => Date.now() - 600_000 });
  assert.equal(other.receive(stale.place({ side: 'bid', price: 1, amount: 1 }).message).error.code, 'ORDER_SKEW');
  assert.equal(other.receive(stale.place({ side: 'bid', price: 2, amount: 1 }).message, { synced: true }).ok, true, 'old is fine when synced');
  assert.equal(other.receive('not bytes at all').ok, false);
  for (const b of [maker, other, stale]) b.close();
});

test('match: priority, partial and minimum fills, limit price, own orders skipped; filled() takes from the book', () => {
  const me = Identity.generate();
  const book = new Orderbook({ pair: 'BTC-USDT', identity: me });
  // Orders created in the same millisecond rank by id; a clock that steps
  // keeps a1 ahead of a2 whatever the machine's speed.
  let t = Date.now();
  const them = new Orderbook({ pair: 'BTC-USDT', identity: Identity.generate(), clock: () => (t += 1) });
  const a1 = them.place({ side: 'ask', price: 100, amount: 5 });
  const a2 = them.place({ side: 'ask', price: 100, amount: 10, minFill: 4 });
  const a3 = them.place({ side: 'ask', price: 101, amount: 50 });
  const mine = book.place({ side: 'ask', price: 99, amount: 1000 });
  for (const o of [a1, a2, a3]) book.receive(o.message);
  assert.deepEqual(book.match('bid', 7n, 100n).map((f) => [f.id, f.amount]), [[a1.id, 5n]], 'a2 would fill 2, under its minimum');
  assert.deepEqual(book.match('bid', 20n, 100n).map((f) => [f.id, f.amount]), [[a1.id, 5n], [a2.id, 10n]], 'the limit stops at 100; my ask at 99 is skipped');
  assert.deepEqual(book.match('bid', 20n).map((f) => f.price), [100n, 100n, 101n], 'no limit');
  assert.equal(book.match('bid', 1n, 0, { taker: Identity.generate().publicKey })[0].id, mine.id, 'another taker gets my ask first');
  book.filled(a3.id, 20n);
  assert.equal(book.get(a3.id).remaining, 30n);
  book.filled(a1.id, 5n);
  assert.equal(book.get(a1.id), null);
  assert.throws(() => book.filled(a2.id, 11n), { code: 'ORDER_RANGE' });
  book.close();
  them.close();
});

test('a book that opts out of reconciliation pages through the snapshot', { timeout: 60000 }, async () => {
  const [a, b] = [await fx.makePeer(), await fx.makePeer()];
  const book = a.orderbook('BTC-USDT', { limits: { maxOpenPerMaker: 3000, makerRate: 5000, makerBurst: 5000 } });
  for (let k = 0; k < 2500; k++) book.place({ side: k % 2 ? 'bid' : 'ask', price: k % 2 ? 1000 + k : 10_000 + k, amount: 1 + k });
  const snap = b.orderbook('BTC-USDT', { sync: 'snapshot', limits: { maxOpenPerMaker: 3000 } });
  const synced = once(snap, 'sync', (d) => d.peerId === a.peerId);
  a.join('snap');
  b.join('snap');
  const s = await within(30000, synced, () => `snapshot stalled at ${snap.size}`);
  assert.equal(s.received, 2500);
  assert.ok(s.rounds >= 3, 'pages of at most 1,000');
  await within(10000, until(() => snap.digest() === book.digest()), () => `${snap.size} of ${book.size}`);
  assert.throws(() => a.orderbook('BTC-USDT', { sync: 'everything' }).sync('nobody'), { code: 'NOT_CONNECTED' });
  assert.throws(() => b.orderbook('BAD'), { code: 'ORDER_PAIR' });
});
