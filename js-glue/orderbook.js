// orderbook.js — one trading pair's book, held by the C core (src/orderbook/):
// signed orders in, price-time priority, matching and removal events out.
// An Orderbook works on its own (no network); peer.orderbook(pair) adds
// gossip deltas and sync (market.js). Prices and amounts are integers in
// minor units: BigInt here, u64 in C, never floating point.
import { wasm, heap, slot, slotPtr, check, errorFor, cString, Scratch, finalizer, toBytes, hex, putU64, getU64 } from './core.js';
import { StarlingError } from './errors.js';

const ORDER_BYTES = 448; // sl_wasm_order (src/internal.h), offsets pinned there
const OFF = { price: 0, amount: 8, minFill: 16, created: 24, expires: 32, seq: 40, remaining: 48, kind: 56, side: 60, id: 64, maker: 96, target: 128, base: 160, quote: 173, dataLen: 186, data: 188 };
const MSG_MAX = 512;   // SL_ORDER_MAX_BYTES
const DATA_MAX = 256;  // SL_ORDER_DATA_MAX
const DAY_MS = 24 * 3600 * 1000;
const U64_MAX = (1n << 64n) - 1n;

/** enum sl_order_kind / sl_order_side / sl_book_reason (starling.h). */
export const KIND = { create: 1, cancel: 2, update: 3 };
const KIND_NAME = { 1: 'create', 2: 'cancel', 3: 'update' };
const SIDE = { bid: 0, buy: 0, ask: 1, sell: 1 };
const SIDE_NAME = ['bid', 'ask'];
export const REMOVAL = { 1: 'cancelled', 2: 'expired', 3: 'replaced', 4: 'filled', 5: 'maker-gone' };

function idBytes(id) {
  if (id instanceof Uint8Array && id.length === 32) return id;
  if (typeof id === 'string' && /^[0-9a-f]{64}$/i.test(id)) return Uint8Array.from(id.match(/../g), (h) => parseInt(h, 16));
  throw new TypeError('an order id is 64 hex characters (or 32 bytes)');
}

/** An integer amount in minor units: bigint, safe integer or decimal string. */
export function units(v, name, { zero = false } = {}) {
  let n;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^[0-9]+$/.test(v)) n = BigInt(v);
  else throw new TypeError(`${name} must be an integer in minor units (bigint, safe integer or decimal string), not ${typeof v === 'number' ? v : typeof v}`);
  if (n < (zero ? 0n : 1n) || n > U64_MAX) throw new RangeError(`${name} must be ${zero ? '0' : '1'} to 2^64-1`);
  return n;
}

function sideOf(side) {
  const s = SIDE[side];
  if (s === undefined) throw new TypeError(`side must be 'bid' or 'ask' (or 'buy' / 'sell'), not ${side}`);
  return s;
}

/** The pair as [base, quote] from 'BASE-QUOTE'. */
export function parsePair(pair) {
  const m = typeof pair === 'string' && /^([A-Z0-9]{1,12})-([A-Z0-9]{1,12})$/.exec(pair);
  if (!m || m[1] === m[2]) throw new StarlingError('ORDER_PAIR', `a pair is 'BASE-QUOTE', two different ids of 1-12 of A-Z and 0-9 (got ${pair})`);
  return [m[1], m[2]];
}

function putString(at, s) {
  const h = heap();
  for (let k = 0; k < s.length; k++) h[at + k] = s.charCodeAt(k);
  h[at + s.length] = 0;
}
function getString(at) {
  const h = heap();
  let s = '';
  for (let k = at; h[k]; k++) s += String.fromCharCode(h[k]);
  return s;
}

let shared = null;
function scratch() {
  shared ??= { order: new Scratch(ORDER_BYTES), msg: new Scratch(MSG_MAX), id: new Scratch(64), list: new Scratch(32 * 1024), misc: new Scratch(256) };
  return shared;
}

/** The order view at `at` as a plain object. */
function readOrder(at, peerIdOf) {
  const h = heap();
  const kind = KIND_NAME[wasm().HEAP32[(at + OFF.kind) >> 2]];
  const maker = h.slice(at + OFF.maker, at + OFF.maker + 32);
  const o = {
    id: hex(h.subarray(at + OFF.id, at + OFF.id + 32)),
    kind,
    maker: peerIdOf(maker),
    makerKey: hex(maker),
    createdAt: Number(getU64(at + OFF.created)),
    seq: getU64(at + OFF.seq),
  };
  if (kind === 'cancel') {
    o.target = hex(h.subarray(at + OFF.target, at + OFF.target + 32));
    return o;
  }
  Object.assign(o, {
    pair: `${getString(at + OFF.base)}-${getString(at + OFF.quote)}`,
    side: SIDE_NAME[wasm().HEAP32[(at + OFF.side) >> 2]],
    price: getU64(at + OFF.price),
    amount: getU64(at + OFF.amount),
    remaining: getU64(at + OFF.remaining),
    minFill: getU64(at + OFF.minFill),
    expiresAt: Number(getU64(at + OFF.expires)),
    data: h.slice(at + OFF.data, at + OFF.data + (h[at + OFF.dataLen] | h[at + OFF.dataLen + 1] << 8)),
    replaces: kind === 'update' ? hex(h.subarray(at + OFF.target, at + OFF.target + 32)) : null,
  });
  return o;
}

/** Opens a signed order message without a book: the order, or throws. */
export function openOrder(message) {
  const s = scratch();
  const bytes = toBytes(message, 'message');
  if (bytes.length > MSG_MAX) throw errorFor(-110);
  const at = s.msg.reserve(bytes.length);
  heap().set(bytes, at);
  check(wasm()._sl_wasm_order_open(at, bytes.length, s.order.reserve(ORDER_BYTES)));
  return readOrder(s.order.ptr, peerIdOfKey);
}

const peerIds = new Map(); // maker key hex -> peer id: makers are few, lookups many
function peerIdOfKey(key) {
  const k = hex(key);
  let id = peerIds.get(k);
  if (id) return id;
  const m = wasm();
  const s = scratch();
  s.misc.reserve(128);
  heap().set(key, s.misc.ptr);
  const out = s.misc.ptr + 32;
  id = m._sl_peer_id_from_public_key(s.misc.ptr, out) === 0 ? cString(out) : k;
  if (peerIds.size > 10000) peerIds.clear();
  peerIds.set(k, id);
  return id;
}

/**
 * One pair's orderbook. Events: 'order:added' (detail: the order),
 * 'order:removed' ({ id, reason }: cancelled, expired, replaced, filled,
 * maker-gone).
 */
export class Orderbook extends EventTarget {
  #ptr = 0;
  #clock;
  #seq = 0n;
  #timer = null;

  /**
   * @param {object} o
   * @param {string} o.pair 'BASE-QUOTE', e.g. 'BTC-USDT'
   * @param {Identity} [o.identity] signs place / cancel / update
   * @param {() => number} [o.clock] ms since the epoch (default Date.now)
   * @param {number} [o.skewMs] how far a live order's created time may be from now (120000)
   * @param {object} [o.limits] { maxOrders, maxOpenPerMaker, makerRate, makerBurst, makerSilenceMs }
   */
  constructor({ pair, identity = null, clock = () => Date.now(), skewMs = 120000, limits = {} } = {}) {
    super();
    const [base, quote] = parsePair(pair);
    const known = ['maxOrders', 'maxOpenPerMaker', 'makerRate', 'makerBurst', 'makerSilenceMs'];
    for (const [k, v] of Object.entries(limits)) {
      if (!known.includes(k)) throw new TypeError(`unknown orderbook limit ${k} (known: ${known.join(', ')})`);
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`orderbook limit ${k} must be a positive integer`);
    }
    if (identity !== null && !identity?._ptr) throw new TypeError('identity must be an Identity');
    this.pair = pair;
    this.identity = identity;
    this.#clock = clock;
    this.skewMs = skewMs;
    const m = wasm();
    const s = scratch();
    const lim = s.misc.reserve(128);
    m.HEAPF64.set(known.map((k) => limits[k] ?? 0), lim >> 3);
    putString(lim + 48, base);
    putString(lim + 64, quote);
    check(m._sl_wasm_book_new(slotPtr(0), lim + 48, lim + 64, lim));
    this.#ptr = slot(0);
    finalizer.register(this, { free: '_sl_book_free', ptr: this.#ptr }, this);
  }

  /** @internal */ get _ptr() { return this.#live(); }

  #live() {
    if (!this.#ptr) throw new StarlingError('CLOSED', 'the orderbook is closed');
    return this.#ptr;
  }

  #nextSeq() {
    const floor = BigInt(this.#clock()) * 1000n; // rises across restarts too
    this.#seq = this.#seq + 1n > floor ? this.#seq + 1n : floor;
    return this.#seq;
  }

  #seal(fields) {
    if (!this.identity) throw new StarlingError('NO_IDENTITY', 'this orderbook has no identity to sign with');
    const m = wasm();
    const s = scratch();
    const at = s.order.reserve(ORDER_BYTES);
    heap().fill(0, at, at + ORDER_BYTES);
    for (const [k, off] of [['price', OFF.price], ['amount', OFF.amount], ['minFill', OFF.minFill], ['created', OFF.created], ['expires', OFF.expires], ['seq', OFF.seq]]) putU64(at + off, fields[k] ?? 0n);
    m.HEAP32[(at + OFF.kind) >> 2] = fields.kind;
    m.HEAP32[(at + OFF.side) >> 2] = fields.side ?? 0;
    if (fields.target) heap().set(fields.target, at + OFF.target);
    const [base, quote] = parsePair(this.pair);
    putString(at + OFF.base, base);
    putString(at + OFF.quote, quote);
    const data = fields.data ?? new Uint8Array(0);
    heap()[at + OFF.dataLen] = data.length & 0xff;
    heap()[at + OFF.dataLen + 1] = data.length >> 8;
    heap().set(data, at + OFF.data);
    const out = s.msg.reserve(MSG_MAX);
    check(m._sl_wasm_order_seal(this.identity._ptr, at, out, MSG_MAX, slotPtr(0)));
    return heap().slice(out, out + slot(0));
  }

  /** Applies our own message; throws what the book refused. Returns the
   * order now resting (null for a cancel). */
  #applyOwn(message) {
    const r = this.#apply(toBytes(message, 'message'), false);
    if (r.error) throw r.error;
    return r.order;
  }

  /**
   * Signs and adds an order. side 'bid' | 'ask'; price, amount, minFill
   * integers in minor units; expiresIn ms (default 1 h, at most 24 h);
   * data: up to 256 bytes for the application (e.g. a payout address).
   * Returns the order, with `message` (its signed bytes).
   */
  place({ side, price, amount, minFill = 0, expiresIn = 3600 * 1000, data } = {}) {
    const fields = this.#orderFields({ side, price, amount, minFill, expiresIn, data });
    const message = this.#seal({ kind: KIND.create, ...fields });
    return { ...this.#applyOwn(message), message };
  }

  #orderFields({ side, price, amount, minFill, expiresIn, data }) {
    if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0 || expiresIn > DAY_MS) throw new RangeError('expiresIn must be 1 ms to 24 h');
    const bytes = data === undefined ? new Uint8Array(0) : toBytes(data, 'data');
    if (bytes.length > DATA_MAX) throw new RangeError(`data holds at most ${DATA_MAX} bytes`);
    const a = units(amount, 'amount');
    const f = units(minFill, 'minFill', { zero: true });
    if (f > a) throw new RangeError('minFill must not exceed amount');
    const now = BigInt(this.#clock());
    return { side: sideOf(side), price: units(price, 'price'), amount: a, minFill: f, created: now, expires: now + BigInt(expiresIn), seq: this.#nextSeq(), data: bytes };
  }

  /** Signs and applies a cancel of one of our orders; returns its message. */
  cancel(id) {
    const target = idBytes(id);
    const mine = this.get(id);
    if (!mine) throw new StarlingError('ORDER_UNKNOWN', `no order ${hex(target)} in this book`);
    const message = this.#seal({ kind: KIND.cancel, target, created: BigInt(this.#clock()), seq: this.#nextSeq() });
    this.#applyOwn(message);
    return { id: openOrder(message).id, target: hex(target), message };
  }

  /** Replaces one of our orders by a new one with `changes` (price,
   * amount, minFill, expiresIn, data; the side stays). Returns the new order. */
  update(id, changes = {}) {
    const old = this.get(id);
    if (!old) throw new StarlingError('ORDER_UNKNOWN', `no order ${id} in this book`);
    const fields = this.#orderFields({
      side: old.side, price: changes.price ?? old.price, amount: changes.amount ?? old.remaining,
      minFill: changes.minFill ?? (old.minFill > (changes.amount ?? old.remaining) ? 0n : old.minFill),
      expiresIn: changes.expiresIn ?? Math.max(1, Math.min(DAY_MS, old.expiresAt - this.#clock())),
      data: changes.data ?? old.data,
    });
    const message = this.#seal({ kind: KIND.update, target: idBytes(id), ...fields });
    return { ...this.#applyOwn(message), message };
  }

  /**
   * A signed message from elsewhere (another peer, storage). Never throws
   * on bad input: { ok: true, id, applied, added } (applied: it changed
   * the book, a cancel too; false when it was here already; added: an
   * order now rests) or { ok: false, id, error } with the reason
   * (error.code, e.g. ORDER_SIGNATURE, ORDER_SKEW; id null when the
   * message did not open).
   * synced: the message comes from a sync, so it may be old.
   */
  receive(message, { synced = false } = {}) {
    let bytes;
    try { bytes = toBytes(message, 'message'); } catch (error) { return { ok: false, error }; }
    const { rc, id, order, error } = this.#apply(bytes, synced);
    if (error) return { ok: false, id, error };
    return { ok: true, id, applied: rc === 0, added: !!order };
  }

  /** One message into the book: { rc, id, order (now resting, or null), error }. */
  #apply(bytes, synced) {
    if (bytes.length > MSG_MAX) return { id: null, order: null, error: errorFor(-110) };
    const s = scratch();
    const at = s.msg.reserve(bytes.length);
    heap().set(bytes, at);
    const idAt = s.id.reserve(32);
    heap().fill(0, idAt, idAt + 32);
    const rc = wasm()._sl_wasm_book_receive(this.#live(), at, bytes.length, this.#clock(), this.skewMs, synced ? 1 : 0, idAt);
    const raw = heap().subarray(idAt, idAt + 32);
    const id = raw.some((b) => b) ? hex(raw) : null;
    this.drain();
    if (rc < 0) return { rc, id, order: null, error: errorFor(rc) };
    const order = rc === 0 ? this.get(id) : null;
    if (order) this.emit('order:added', order);
    return { rc, id, order, error: null };
  }

  /** @internal */ emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  /** @internal removal events the core queued. */
  drain() {
    const m = wasm();
    const at = scratch().misc.reserve(64);
    while (m._sl_book_next_removed(this.#ptr, at) === 1) {
      const id = hex(heap().subarray(at, at + 32));
      this.emit('order:removed', { id, reason: REMOVAL[m.HEAP32[(at + 32) >> 2]] ?? 'unknown' });
    }
  }

  /** The order with this id, or null. */
  get(id) {
    const s = scratch();
    const idAt = s.id.reserve(32);
    heap().set(idBytes(id), idAt);
    const at = s.order.reserve(ORDER_BYTES);
    const rc = wasm()._sl_wasm_book_get(this.#live(), idAt, at);
    return rc === 0 ? readOrder(at, peerIdOfKey) : null;
  }

  /** The signed message of an order or tombstone we hold, or null. */
  message(id) {
    const s = scratch();
    const idAt = s.id.reserve(32);
    heap().set(idBytes(id), idAt);
    const rc = wasm()._sl_book_sync_message(this.#live(), idAt, slotPtr(0), slotPtr(1));
    return rc === 0 ? heap().slice(slot(0), slot(0) + slot(1)) : null;
  }

  #ids(side) {
    const m = wasm();
    const s = scratch();
    let n = m._sl_book_list(this.#live(), side, s.list.ptr, s.list.size / 32);
    if (n * 32 > s.list.size) {
      s.list.reserve(n * 32);
      n = m._sl_book_list(this.#ptr, side, s.list.ptr, n);
    }
    const h = heap();
    const out = [];
    for (let k = 0; k < n; k++) out.push(hex(h.subarray(s.list.ptr + 32 * k, s.list.ptr + 32 * k + 32)));
    return out;
  }

  /** Resting bids, best first (price, then time). */
  bids() { return this.#ids(0).map((id) => this.get(id)); }
  /** Resting asks, best first. */
  asks() { return this.#ids(1).map((id) => this.get(id)); }
  get bestBid() { const id = this.#ids(0)[0]; return id ? this.get(id) : null; }
  get bestAsk() { const id = this.#ids(1)[0]; return id ? this.get(id) : null; }
  best() { return { bid: this.bestBid, ask: this.bestAsk }; }
  get size() { return wasm()._sl_book_count(this.#live()); }

  /** Aggregated levels: { bids: [{ price, amount, orders }], asks } (n per side). */
  depth(n = 10) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('depth(n): n must be a non-negative integer');
    const m = wasm();
    const out = {};
    for (const [name, side] of [['bids', 0], ['asks', 1]]) {
      const at = scratch().list.reserve(24 * Math.max(n, 1));
      const k = m._sl_book_depth(this.#live(), side, at, n);
      out[name] = Array.from({ length: k }, (_, i) => ({ price: getU64(at + 24 * i), amount: getU64(at + 24 * i + 8), orders: m.HEAPU32[(at + 24 * i + 16) >> 2] }));
    }
    return out;
  }

  /**
   * The resting orders a taker's order would fill, in priority order:
   * side is the taker's ('bid' buys from asks); limitPrice 0 takes any
   * price; the taker's own orders (maker key or this book's identity) are
   * skipped. Returns [{ id, price, amount }]. The book is not changed.
   */
  match(side, amount, limitPrice = 0, { maxFills = 1000, taker } = {}) {
    const m = wasm();
    const s = scratch();
    const at = s.misc.reserve(64);
    putU64(at, units(amount, 'amount'));
    putU64(at + 8, units(limitPrice, 'limitPrice', { zero: true }));
    let takerAt = 0;
    const key = taker ?? (this.identity ? this.identity.publicKey : null);
    if (key) { takerAt = at + 16; heap().set(key instanceof Uint8Array ? key : idBytes(key), takerAt); }
    const out = s.list.reserve(48 * maxFills);
    const n = m._sl_wasm_book_match(this.#live(), sideOf(side), at, takerAt, out, maxFills);
    const h = heap();
    return Array.from({ length: n }, (_, i) => ({ id: hex(h.subarray(out + 48 * i, out + 48 * i + 32)), price: getU64(out + 48 * i + 32), amount: getU64(out + 48 * i + 40) }));
  }

  /** Records that amount of an order traded (it rests with less, or goes: 'filled'). */
  filled(id, amount) {
    const s = scratch();
    const at = s.misc.reserve(64);
    heap().set(idBytes(id), at);
    putU64(at + 32, units(amount, 'amount'));
    check(wasm()._sl_wasm_book_filled(this.#live(), at, at + 32));
    this.drain();
  }

  /** SHA-256 (hex) over both sides in priority order with what remains:
   * equal digests, equal books. */
  digest() {
    const at = scratch().id.reserve(32);
    wasm()._sl_book_digest(this.#live(), at);
    return hex(heap().subarray(at, at + 32));
  }

  /** A maker was heard from (their orders stay past the silence limit). */
  keepalive(maker, now = this.#clock()) {
    const at = scratch().id.reserve(32);
    heap().set(maker instanceof Uint8Array ? maker : idBytes(maker), at);
    wasm()._sl_wasm_book_keepalive(this.#live(), at, now);
  }

  /** Sweeps expired orders and silent makers' orders (events follow). */
  tick(now = this.#clock()) {
    wasm()._sl_wasm_book_tick(this.#live(), now);
    this.drain();
  }

  /** Runs tick() every intervalMs (default 1000) until close(). */
  start(intervalMs = 1000) {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.tick(), intervalMs);
    this.#timer.unref?.();
    return this;
  }

  close() {
    clearInterval(this.#timer);
    if (!this.#ptr) return;
    finalizer.unregister(this);
    wasm()._sl_book_free(this.#ptr);
    this.#ptr = 0;
  }
}
