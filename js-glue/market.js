// market.js — peer.orderbook(pair): an Orderbook kept in step with every
// peer of the pair. Deltas (orders, updates, cancels, keep-alives) travel on
// the gossip topic starling/orderbook/<BASE>-<QUOTE>/1 and are validated by
// the book before they are forwarded; on connect and every 60 s each link
// reconciles the two books (the C sync session, sl_booksync: Negentropy over
// ORDERBOOK frames, or the paginated snapshot for peers that opt out).
import { wasm, heap, slot, slotPtr, check, errorFor, Scratch } from './core.js';
import { Orderbook } from './orderbook.js';
import { KIND } from './delivery.js';
import { StarlingError } from './errors.js';
import { Identity } from './identity.js';

const SYNC_EVERY_MS = 60000;
const KEEPALIVE_EVERY_MS = 30000;
const KEEPALIVE = new Uint8Array([0]); // a topic message that is not an order: the maker is here
const FRAME_MAX = 256 * 1024;
// Refusals that mean the sender is at fault (not caps, races or replays).
const FAULTS = new Set(['ORDER_MALFORMED', 'ORDER_SIGNATURE', 'ORDER_PAIR', 'ORDER_RANGE', 'ORDER_SKEW',
  'SYNC_MALFORMED', 'SYNC_RANGE', 'SYNC_ROUNDS', 'SYNC_LIMIT', 'SYNC_UNASKED', 'SYNC_VERSION']);
const FAULT_SCORE = -10; // the gossip app score one fault costs

export const orderbookTopic = (pair) => `starling/orderbook/${pair}/1`;

let buf = null;
const scratch = () => (buf ??= new Scratch(FRAME_MAX));

/** One link's sync session for one book (C: sl_booksync). */
class SyncSession {
  #ptr;
  constructor(book) {
    check(wasm()._sl_booksync_new(slotPtr(0), book._ptr, 0));
    this.#ptr = slot(0);
    this.reported = true; // a 'sync' event was emitted for the last agreement
  }
  start(snapshot) { check(wasm()._sl_booksync_start(this.#ptr, snapshot ? 1 : 0)); this.reported = false; }
  receive(kind, payload, now) {
    const at = scratch().reserve(payload.length);
    heap().set(payload, at);
    return wasm()._sl_wasm_booksync_receive(this.#ptr, kind, at, payload.length, now);
  }
  /** Frames to send: [{ kind, payload }]. */
  drain() {
    const m = wasm();
    const out = [];
    while (m._sl_booksync_next(this.#ptr, slotPtr(0), slotPtr(1), slotPtr(2))) {
      out.push({ kind: slot(0), payload: heap().slice(slot(1), slot(1) + slot(2)) });
    }
    return out;
  }
  applied() {
    const m = wasm();
    const at = m._sl_booksync_applied(this.#ptr, slotPtr(0));
    const n = slot(0);
    const h = heap();
    return Array.from({ length: n }, (_, k) => h.slice(at + 32 * k, at + 32 * k + 32));
  }
  get waiting() { return wasm()._sl_booksync_waiting(this.#ptr); }
  stats() {
    const m = wasm();
    const at = scratch().reserve(64);
    m._sl_wasm_booksync_stats(this.#ptr, at);
    const v = m.HEAPF64.slice(at >> 3, (at >> 3) + 7);
    return { bytesIn: v[0], bytesOut: v[1], rounds: v[2], received: v[3], sent: v[4], refused: v[5], done: v[6] === 1 };
  }
  free() { if (this.#ptr) wasm()._sl_booksync_free(this.#ptr); this.#ptr = 0; }
}

/**
 * A book on the network. Events besides Orderbook's: 'sync' ({ peerId,
 * received, sent, bytes, rounds }) when a reconciliation with a peer has
 * agreed and everything asked for arrived; 'refused' ({ peerId, code })
 * for a delta or sync message a peer should not have sent (it also costs
 * that peer gossip score).
 */
export class NetworkOrderbook extends Orderbook {
  #market;
  #sessions = new Map(); // peer id -> SyncSession
  #timers = [];
  #snapshot;
  #mine = new Set(); // our resting orders: keep-alives go out while there are any

  /** @internal created by peer.orderbook(). */
  constructor(market, pair, { sync = 'negentropy', ...options } = {}) {
    super({ ...options, pair, identity: market.peer.identity });
    if (sync !== 'negentropy' && sync !== 'snapshot') throw new TypeError("sync must be 'negentropy' or 'snapshot'");
    this.#market = market;
    this.#snapshot = sync === 'snapshot';
    this.topic = orderbookTopic(pair);
    const pubsub = market.peer.pubsub;
    pubsub.addValidator(this.topic, (msg) => this.#validate(msg));
    pubsub.subscribe(this.topic);
    this.start(1000);
    this.#timers.push(setInterval(() => this.syncAll(), SYNC_EVERY_MS));
    // Keep-alives come three times within the silence limit (peers drop a
    // maker's orders after it): every 30 s by default.
    const silenceMs = options.limits?.makerSilenceMs ?? 90000;
    this.#timers.push(setInterval(() => this.#keepalive(), Math.min(KEEPALIVE_EVERY_MS, silenceMs / 3)));
    for (const t of this.#timers) t.unref?.();
    // Ours: placed here, or come back by sync after a restart.
    this.addEventListener('order:added', (e) => { if (e.detail.maker === this.identity?.peerId) this.#mine.add(e.detail.id); });
    this.addEventListener('order:removed', (e) => this.#mine.delete(e.detail.id));
    this.syncAll();
  }

  place(opts) { return this.#publish(super.place(opts)); }
  update(id, changes) { return this.#publish(super.update(id, changes)); }
  cancel(id) { return this.#publish(super.cancel(id)); }

  #publish(result) {
    this.#market.peer.pubsub.publish(this.topic, result.message, { allowNoPeers: true }).catch(() => {});
    return result;
  }

  #keepalive() {
    if (!this.#mine.size) return;
    this.keepalive(this.identity.publicKey); // our own orders stay in our own book too
    this.#market.peer.pubsub.publish(this.topic, KEEPALIVE, { allowNoPeers: true }).catch(() => {});
  }

  /** A gossip message on the topic, before it is forwarded. */
  #validate({ data, from }) {
    const key = this.#market.keyOf(from);
    if (data.length === 1 && data[0] === 0) { // a keep-alive: signed by `from` through gossip
      if (key) this.keepalive(key);
      return 'accept';
    }
    const r = this.receive(data);
    if (r.ok) {
      if (key) this.keepalive(key);
      return r.applied ? 'accept' : 'ignore'; // forwarded once, when it first changed the book
    }
    return FAULTS.has(r.error.code) ? 'reject' : 'ignore';
  }

  #session(peerId) {
    let s = this.#sessions.get(peerId);
    if (!s) this.#sessions.set(peerId, (s = new SyncSession(this)));
    return s;
  }

  /** Starts a reconciliation with one peer (or a snapshot transfer). */
  sync(peerId) {
    const link = this.#market.peer._link(peerId);
    if (!link?.everConnected || link.closed) throw new StarlingError('NOT_CONNECTED', `no link to ${peerId}`);
    const s = this.#session(peerId);
    s.start(this.#snapshot);
    this.#flush(peerId, s);
  }

  /** Reconciles with every connected peer. */
  syncAll() {
    for (const peerId of this.#market.connectedPeers()) {
      try { this.sync(peerId); } catch { /* the link went away meanwhile */ }
    }
  }

  /** @internal an ORDERBOOK frame for this pair from peerId. */
  onFrame(peerId, kind, payload) {
    const s = this.#session(peerId);
    const rc = s.receive(kind, payload, Date.now());
    for (const id of s.applied()) {
      const o = this.get(id);
      if (o) this.emit('order:added', o);
    }
    this.drain();
    if (rc < 0) {
      const err = errorFor(rc);
      this.emit('refused', { peerId, code: err.code });
      if (FAULTS.has(err.code)) this.#market.penalise(peerId);
    }
    this.#flush(peerId, s);
    const st = s.stats();
    if (!s.reported && st.done && s.waiting === 0) {
      s.reported = true;
      this.emit('sync', { peerId, received: st.received, sent: st.sent, bytes: st.bytesIn + st.bytesOut, rounds: st.rounds });
    }
  }

  #flush(peerId, s) {
    const link = this.#market.peer._link(peerId);
    for (const f of s.drain()) link?.sendQuiet(f.payload, f.kind);
  }

  /** @internal the link to peerId closed. */
  peerGone(peerId) {
    this.#sessions.get(peerId)?.free();
    this.#sessions.delete(peerId);
  }

  /** Sync counters with one peer (or null). */
  syncStats(peerId) { return this.#sessions.get(peerId)?.stats() ?? null; }

  close() {
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sessions.values()) s.free();
    this.#sessions.clear();
    this.#market.forget(this);
    try {
      this.#market.peer.pubsub?.unsubscribe(this.topic);
      this.#market.peer.pubsub?.addValidator(this.topic, null);
    } catch { /* the peer is closing */ }
    super.close();
  }
}

/** @internal peer.market: the peer's books by pair, and frame routing. */
export class Market {
  #books = new Map();
  #penalties = new Map();
  #keys = new Map(); // peer id -> Ed25519 key (or null)

  constructor(peer) {
    this.peer = peer;
    peer.addEventListener('peer:connect', (e) => {
      for (const b of this.#books.values()) try { b.sync(e.detail.peerId); } catch { /* gone again */ }
    });
    peer.addEventListener('peer:disconnect', (e) => {
      for (const b of this.#books.values()) b.peerGone(e.detail.peerId);
    });
  }

  book(pair, options) {
    let b = this.#books.get(pair);
    if (!b) {
      if (!this.peer.pubsub) throw new StarlingError('NO_PUBSUB', 'peer.orderbook() needs gossip (createPeer without gossip: false)');
      b = new NetworkOrderbook(this, pair, options);
      this.#books.set(pair, b);
    }
    return b;
  }

  /** An order in one of our books, with its signed message: { order, message, book }, or null. */
  findOrder(id) {
    for (const book of this.#books.values()) {
      const order = book.get(id);
      if (order) return { order, message: book.message(id), book };
    }
    return null;
  }

  forget(book) { if (this.#books.get(book.pair) === book) this.#books.delete(book.pair); }

  connectedPeers() { return this.peer.connectedPeers(); }

  /** A peer id's key, remembered: every gossip message on a book asks. */
  keyOf(peerId) {
    let key = this.#keys.get(peerId);
    if (key === undefined) {
      try { key = Identity.publicKeyFromPeerId(peerId); } catch { key = null; }
      if (this.#keys.size >= 10000) this.#keys.clear();
      this.#keys.set(peerId, key);
    }
    return key;
  }

  /** A peer sent what it should not have: it costs gossip score. */
  penalise(peerId) {
    const n = (this.#penalties.get(peerId) ?? 0) + 1;
    this.#penalties.set(peerId, n);
    try { this.peer.pubsub?.setAppScore(peerId, FAULT_SCORE * n); } catch { /* not a gossip peer */ }
    this.peer.trades?.reputation.record(peerId, 'gossip');
  }

  /** @internal an ORDERBOOK frame from a link: routed by the pair it names. */
  receive(peerId, kind, payload) {
    const at = kind === KIND.ORDERBOOK_SYNC ? 1 : 0; // SYNC frames open with their op
    const n = payload[at];
    if (n === undefined || payload.length < at + 1 + n) { this.penalise(peerId); return; }
    const pair = String.fromCharCode(...payload.subarray(at + 1, at + 1 + n));
    this.#books.get(pair)?.onFrame(peerId, kind, payload);
  }

  close() {
    for (const b of [...this.#books.values()]) b.close();
  }
}
