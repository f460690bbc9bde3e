// trades.js — peer.trades: trades between an order's maker and a taker
// (docs/protocol.md §11). The state machine is the core's (src/trade/);
// this file carries its messages over the links, keeps time for it, and
// asks the application's wallet for what only a wallet can do: fund,
// update, sign and broadcast PSBTs. The core never holds Bitcoin keys.
import { wasm, heap, slot, slotPtr, check, errorFor, toBytes, finalizer, hex, putU64, getU64 } from './core.js';
import { Identity } from './identity.js';
import { StarlingError } from './errors.js';
import { defaultStorage } from './storage.js';
import { Reputation } from './reputation.js';

export const TRADE_STATES = [null, 'proposed', 'accepted', 'maker-psbt-sent', 'taker-psbt-sent', 'maker-signed',
  'taker-signed', 'completed', 'rejected', 'failed', 'canceled', 'expired'];
const WANTS = ['nothing', 'decision', 'psbt', 'update', 'signature', 'broadcast'];
const ENDED = 7; // states from COMPLETED on are final
/** Frame types (= delivery kinds) of trade and tip messages. */
export const TRADE_FRAMES = new Set([0x40, 0x41, 0x42, 0x43, 0x44, 0x50, 0x51, 0x52, 0x53, 0x54, 0x60]); // 0x60: TIP_META
const INFO_NUMS = 13, INFO_BYTES = 640;
// What only a faulty or hostile peer sends. A proposal on an order that just went, or for more than
// is left, is a race another taker can cause: refused, not held against anyone.
const FAULTS = new Set(['TRADE_MALFORMED', 'TRADE_SIGNATURE', 'TRADE_SENDER', 'TRADE_ID']);

const unhex = (s) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));

function bytesOf(v, what) {
  if (typeof v === 'string') {
    if (!/^([0-9a-f]{2})*$/i.test(v)) throw new TypeError(`${what} must be bytes or hex`);
    return unhex(v.toLowerCase());
  }
  return toBytes(v, what);
}

/** { script, value }: an output the trade's transaction pays. */
function output(terms, what) {
  if (!terms || typeof terms !== 'object') throw new TypeError(`${what} must be { script, value }`);
  const script = bytesOf(terms.script, `${what}.script`);
  if (script.length < 1 || script.length > 128) throw new RangeError(`${what}.script must be 1 to 128 bytes`);
  const value = Number(terms.value);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what}.value must be a whole number of satoshi`);
  return { script, value };
}

/** Copies bytes into fresh wasm memory; the caller frees. */
function copyIn(bytes) {
  const m = wasm();
  const at = m._malloc(Math.max(bytes.length, 1));
  if (!at) throw new StarlingError('OUT_OF_MEMORY', 'wasm allocation failed');
  heap().set(bytes, at);
  return at;
}

function withBytes(list, fn) {
  const ptrs = list.map(copyIn);
  try { return fn(...ptrs); } finally { for (const p of ptrs) wasm()._free(p); }
}

/** A u64 in fresh wasm memory; the caller frees. */
function u64(v) {
  const at = wasm()._malloc(8);
  putU64(at, BigInt(v));
  return at;
}

/** One trade, as the core's machine sees it. Use peer.trades to make one. */
export class Trade {
  #ptr;
  #trades;
  /** @type {{ state: string, at: number, reason: string | null }[]} */
  history = [];

  /** @internal */
  constructor(trades, ptr) {
    this.#trades = trades;
    this.#ptr = ptr;
    finalizer?.register(this, { free: '_sl_trade_free', ptr }, this);
    this.#read();
    this.history.push({ state: this.state, at: this.stateAt, reason: this.reason });
  }

  #read() {
    const m = wasm();
    const nums = m._malloc(8 * INFO_NUMS), bytes = m._malloc(INFO_BYTES);
    try {
      m._sl_wasm_trade_info(this.#ptr, nums, bytes);
      const n = Array.from(m.HEAPF64.subarray(nums >> 3, (nums >> 3) + INFO_NUMS));
      const h = heap();
      const b = (o, l) => h.slice(bytes + o, bytes + o + l);
      /** 'maker' or 'taker': our side. */
      this.role = n[0] === 0 ? 'maker' : 'taker';
      this.state = TRADE_STATES[n[1]];
      /** What our side must do next: 'nothing', 'decision', 'psbt', 'update', 'signature', 'broadcast'. */
      this.want = WANTS[n[2]];
      this.reason = n[3] ? errorFor(n[3]).code : null;
      this.step = n[4];
      this.createdAt = n[5];
      this.stateAt = n[6];
      this.deadline = n[7] < 0 ? null : n[7];
      this.id = hex(b(0, 32));
      this.orderId = hex(b(32, 32));
      this.makerKey = b(64, 32);
      this.takerKey = b(96, 32);
      this.txid = n[1] === ENDED ? hex(b(128, 32)) : null;
      this.amount = getU64(bytes + 160);
      this.makerOutput = n[10] ? { script: b(168, n[10]), value: n[8] } : null;
      this.takerOutput = { script: b(296, n[11]), value: n[9] };
      this.text = n[12] ? new TextDecoder().decode(b(424, n[12])) : null;
      /** The counterparty's peer id. */
      this.peerId = Identity.peerIdFromPublicKey(this.role === 'maker' ? this.takerKey : this.makerKey);
    } finally {
      m._free(nums);
      m._free(bytes);
    }
  }

  /** Whether the trade has ended (completed, rejected, failed, canceled, expired). */
  get ended() { return TRADE_STATES.indexOf(this.state) >= ENDED; }

  /** The PSBT the wallet acts on now (or the combined one, at the broadcast). */
  get psbt() {
    const m = wasm();
    const p = m._sl_trade_psbt(this.#live(), slotPtr(0));
    return p ? heap().slice(p, p + slot(0)) : null;
  }

  #live() {
    if (!this.#ptr) throw new StarlingError('CLOSED', 'the trade was freed');
    return this.#ptr;
  }

  /** @internal runs fn on the machine, then sends and reports what changed. */
  _do(fn) {
    const rc = fn(wasm(), this.#live());
    this.#trades._settle(this);
    return rc;
  }

  /** @internal */ _ptr() { return this.#live(); }

  /** @internal after the machine moved: read it again; true if the state changed. */
  _refresh() {
    const before = this.state;
    this.#read();
    if (this.state === before) return false;
    this.history.push({ state: this.state, at: this.stateAt, reason: this.reason });
    return true;
  }

  /** Maker: accepts, to be paid `terms` ({ script, value }; default: the wallet's `payout(trade)`). */
  async accept(terms) {
    const out = output(terms ?? await this.#trades.wallet?.payout?.(this), 'terms');
    withBytes([out.script], (s) => check(this._do((m, t) => m._sl_wasm_trade_accept(t, s, out.script.length, out.value, Date.now()))));
  }

  /** Maker: rejects the proposal, with a reason the taker sees. */
  reject(reason = '') { this.#end(1, reason); }

  /** Either side, until it has given its signatures. */
  cancel(reason = '') { this.#end(0, reason); }

  /** @internal true once we ended it ourselves (reject, cancel). */
  _endedHere = false;

  #end(reject, reason) {
    this._endedHere = true;
    const text = new TextEncoder().encode(`${reason}`.slice(0, 200));
    const z = new Uint8Array(text.length + 1);
    z.set(text);
    withBytes([z], (p) => check(this._do((m, t) => m._sl_wasm_trade_end(t, reject, p, Date.now()))));
  }

  /** The trade as bytes: what storage keeps to resume it. */
  save() {
    const m = wasm();
    check(m._sl_trade_save(this.#live(), slotPtr(0), slotPtr(1)));
    const at = slot(0), n = slot(1);
    const out = heap().slice(at, at + n);
    m._free(at);
    return out;
  }

  /** Frees the machine (the trade stays readable, no longer moves). */
  free() {
    if (!this.#ptr) return;
    finalizer?.unregister(this);
    wasm()._sl_trade_free(this.#ptr);
    this.#ptr = 0;
  }
}

/**
 * peer.trades: proposes trades on orders of the peer's books, answers
 * proposals on our own orders, runs the wallet at each step, and emits
 * `trade:update` { id, state, reason, trade } on every change.
 */
export class Trades extends EventTarget {
  #peer;
  #opts;
  #trades = new Map(); // id -> Trade
  #timer = null;
  #wake = Infinity;
  #busy = new Set(); // trades whose wallet is at work

  /** @internal use createPeer({ wallet, trades }) */
  constructor(peer, opts = {}) {
    super();
    this.#peer = peer;
    this.#opts = opts;
    this.wallet = opts.wallet ?? null;
    /** Where trades are saved (resolves to the storage object). */
    this.storage = defaultStorage(opts.storage, peer.peerId);
    this.storage.catch(() => {}); // reported where used
    // A peer that restarted lost what it had received from us.
    peer.addEventListener('peer:restart', (e) => this.peerUp(e.detail.peerId));
    /** What we think of other peers (peer.reputation(peerId) reads it). */
    this.reputation = new Reputation({
      ...opts.reputation,
      save: (bytes) => { this.storage.then((st) => st.saveMeta?.('reputation', bytes)).catch(() => {}); },
    });
    this.storage.then((st) => st.loadMeta?.('reputation')).then((b) => b && this.reputation.load(b)).catch(() => {});
    this.cfg = [opts.stepTimeoutMs ?? 0, opts.resendMs ?? 0, opts.skewMs ?? 0];
  }

  #cfg() {
    const m = wasm();
    const at = m._malloc(24);
    m.HEAPF64.set(this.cfg, at >> 3);
    return at;
  }

  /** The trades we know, newest first. */
  list() { return [...this.#trades.values()].sort((a, b) => b.createdAt - a.createdAt); }

  get(id) { return this.#trades.get(id) ?? null; }

  /**
   * Taker: proposes to take `amount` (base units) of an order in one of
   * our books, to be paid `terms` ({ script, value }). Returns the trade.
   */
  propose(orderId, amount, terms) {
    const found = this.#peer._findOrder(orderId);
    if (!found) throw new StarlingError('ORDER_UNKNOWN', `no book of ours holds order ${orderId}`);
    if (this.reputation.refuses(found.order.maker)) throw new StarlingError('PEER_REFUSED', `${found.order.maker}'s reputation is below the refuse threshold`);
    const out = output(terms, 'terms');
    const units = typeof amount === 'bigint' ? amount : Number.isSafeInteger(amount) ? BigInt(amount) : NaN;
    if (typeof units !== 'bigint' || units <= 0n || units >= 1n << 64n) throw new RangeError('amount must be a positive whole number of base units (bigint or safe integer)');
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const m = wasm();
    const cfg = this.#cfg(), amt = u64(units);
    try {
      withBytes([found.message, out.script, nonce], (om, s, n) => check(m._sl_wasm_trade_propose(slotPtr(0), cfg, this.#peer.identity._ptr,
        om, found.message.length, amt, s, out.script.length, out.value, n, Date.now())));
    } finally {
      m._free(cfg);
      m._free(amt);
    }
    return this.#adopt(slot(0));
  }

  /** Resumes the trades saved in storage (after a reload or a restart). */
  async restore() {
    const back = [];
    for (const bytes of await (await this.storage).loadAll()) {
      const m = wasm();
      const cfg = this.#cfg();
      let rc;
      try {
        rc = withBytes([bytes], (p) => m._sl_wasm_trade_load(slotPtr(0), cfg, this.#peer.identity._ptr, p, bytes.length));
      } finally {
        m._free(cfg);
      }
      if (rc < 0) continue; // another identity's, or damaged: left in storage
      const t = new Trade(this, slot(0));
      if (this.#trades.has(t.id)) { t.free(); continue; }
      back.push(this.#adopt(t));
    }
    return back;
  }

  #adopt(ptrOrTrade) {
    const t = ptrOrTrade instanceof Trade ? ptrOrTrade : new Trade(this, ptrOrTrade);
    this.#trades.set(t.id, t);
    this._settle(t, true);
    return t;
  }

  /** @internal a trade frame from a link. */
  receive(peerId, kind, payload) {
    if (this.reputation.bans(peerId)) return; // banned: nothing it sends is read
    withBytes([payload], (p) => this.#receive(peerId, p, payload.length)); // one copy into wasm for every use
  }

  #receive(peerId, p, len) {
    const m = wasm();
    const head = m._malloc(4 + 32 * 3);
    let step, tradeId, orderId;
    try {
      const rc = m._sl_trade_peek(p, len, head);
      if (rc < 0) { this.#fault(peerId, rc); return; }
      step = m.HEAP32[head >> 2];
      tradeId = hex(heap().subarray(head + 4, head + 36));
      orderId = hex(heap().subarray(head + 68, head + 100));
    } finally {
      m._free(head);
    }
    const t = this.#trades.get(tradeId);
    if (t) {
      if (t.peerId !== peerId) return; // another peer replaying a trade's message: not theirs to move
      const rc = t._do((mm, tp) => mm._sl_wasm_trade_receive(tp, p, len, Date.now()));
      if (rc < 0) this.#fault(peerId, rc, t);
      return;
    }
    if (step !== 1) return; // a trade we do not hold (ended and forgotten, or never ours)
    const found = this.#peer._findOrder(orderId);
    if (!found) { this.dispatchEvent(new CustomEvent('refused', { detail: { peerId, code: 'ORDER_UNKNOWN', id: tradeId } })); return; }
    const cfg = this.#cfg(), rem = u64(found.order.remaining);
    let rc;
    try {
      rc = withBytes([found.message], (om) => m._sl_wasm_trade_incoming(slotPtr(0), cfg, this.#peer.identity._ptr,
        om, found.message.length, rem, p, len, Date.now()));
    } finally {
      m._free(cfg);
      m._free(rem);
    }
    if (rc < 0) { this.#fault(peerId, rc); return; }
    const trade = new Trade(this, slot(0));
    if (trade.peerId !== peerId) { trade.free(); return; } // relayed from someone else: answer only its author
    if (this.reputation.refuses(peerId)) { // refused: rejected before the application sees it
      this.#trades.set(trade.id, trade);
      trade.reject('reputation');
      return;
    }
    this.#adopt(trade);
  }

  /** A peer sent what it should not have: reported, and (for what only a
   * faulty or hostile peer sends) held against its reputation. Steps out
   * of place and late messages are what a lossy link produces: no fault. */
  #fault(peerId, rc, trade = null) {
    const err = errorFor(rc);
    if (err.code === 'TRADE_TERMS' || err.code.startsWith('PSBT_')) this.reputation.record(peerId, 'terms');
    else if (FAULTS.has(err.code)) this.reputation.record(peerId, 'invalid');
    this.dispatchEvent(new CustomEvent('refused', { detail: { peerId, code: err.code, id: trade?.id ?? null } }));
  }

  /** @internal after the machine moved (or its time came): tick it, send
   * what it queued, persist, report, run the wallet, re-arm the timer. */
  _settle(t, fresh = false) {
    const m = wasm();
    const next = m._sl_wasm_trade_tick(t._ptr(), Date.now());
    const link = this.#peer._link(t.peerId);
    while (m._sl_trade_next(t._ptr(), slotPtr(0), slotPtr(1), slotPtr(2))) {
      const type = slot(0), at = slot(1), n = slot(2);
      link?.send(heap().slice(at, at + n), type, 'high').catch(() => { /* the machine sends it again */ });
    }
    const wantBefore = t.want, endedBefore = t.ended;
    if (t._refresh() || fresh) {
      if (t.ended && !endedBefore && !fresh) this.#judge(t, wantBefore);
      const bytes = t.save();
      const state = t.state;
      this.storage.then((s) => s.save(t.id, bytes))
        .then(() => this.dispatchEvent(new CustomEvent('saved', { detail: { id: t.id, state } })))
        .catch((error) => this.dispatchEvent(new CustomEvent('storage-error', { detail: { id: t.id, error } })));
      this.dispatchEvent(new CustomEvent('trade:update', { detail: { id: t.id, state: t.state, reason: t.reason, trade: t } }));
      this.#work(t);
    }
    if (next >= 0 && next < this.#wake) {
      clearTimeout(this.#timer);
      this.#wake = next;
      this.#timer = setTimeout(() => this.#tickAll(), Math.max(0, next - Date.now()));
      this.#timer.unref?.();
    }
  }

  /** How the trade ended, held for or against the counterparty. */
  #judge(t, wantBefore) {
    const r = this.reputation;
    if (t.state === 'completed') {
      r.record(t.peerId, 'completed');
      if (t.role === 'maker') this.#filled(t);
    }
    else if (t.reason === 'TRADE_TIMEOUT' && wantBefore === 'nothing') r.record(t.peerId, 'timeout'); // we were waiting on them
    else if (t.state === 'canceled' && !t._endedHere && t.step >= 2) r.record(t.peerId, 'canceled');
  }

  /** Maker: the order rests with what is left (an update every peer of the
   * pair gets), or goes (a cancel) when nothing is. */
  #filled(t) {
    const found = this.#peer._findOrder(t.orderId);
    if (!found) return;
    const left = found.order.remaining - t.amount;
    try {
      if (left > 0n && left >= found.order.minFill) found.book.update(t.orderId, { amount: left });
      else found.book.cancel(t.orderId);
    } catch (error) {
      this.dispatchEvent(new CustomEvent('wallet-error', { detail: { id: t.id, step: 'order', error } }));
    }
  }

  /** The wallet's part of the step the trade waits for, if ours. */
  async #work(t) {
    if (this.#busy.has(t.id) || !this.wallet) return;
    const want = t.want;
    if (want === 'nothing' || want === 'decision') return;
    this.#busy.add(t.id);
    try {
      if (want === 'broadcast') {
        const txid = bytesOf(await this.wallet.broadcast(t.psbt, { trade: t }), 'txid');
        if (txid.length !== 32) throw new TypeError('broadcast() must return the 32-byte txid');
        withBytes([txid], (p) => check(t._do((mm, tp) => mm._sl_wasm_trade_give_txid(tp, p, Date.now()))));
      } else {
        const call = want === 'psbt' ? this.wallet.fundPsbt?.(null, { trade: t })
          : want === 'update' ? this.wallet.fundPsbt?.(t.psbt, { trade: t })
            : this.wallet.signPsbt(t.psbt, { trade: t });
        const psbt = toBytes(await call, 'psbt');
        if (t.want !== want) return; // the trade moved on (or ended) meanwhile
        withBytes([psbt], (p) => check(t._do((mm, tp) => mm._sl_wasm_trade_give_psbt(tp, p, psbt.length, Date.now()))));
      }
    } catch (err) {
      this.dispatchEvent(new CustomEvent('wallet-error', { detail: { id: t.id, step: want, error: err } }));
    } finally {
      this.#busy.delete(t.id);
    }
  }

  #tickAll() {
    this.#wake = Infinity;
    this.#timer = null;
    for (const t of this.#trades.values()) if (!t.ended) this._settle(t);
  }

  /** @internal the link to peerId is up (again): what the peer has not answered goes now. */
  peerUp(peerId) {
    for (const t of this.#trades.values()) {
      if (t.ended || t.peerId !== peerId) continue;
      wasm()._sl_wasm_trade_resend(t._ptr(), Date.now());
      this._settle(t);
    }
  }

  close() {
    clearTimeout(this.#timer);
    for (const t of this.#trades.values()) t.free();
  }
}

/** BIP 174's Combiner (the core's): one PSBT with every pair of both; PSBT_MISMATCH for two transactions. */
export function combinePsbt(a, b) {
  const x = toBytes(a, 'a'), y = toBytes(b, 'b');
  const m = wasm();
  return withBytes([x, y], (pa, pb) => {
    check(m._sl_psbt_combine(pa, x.length, pb, y.length, slotPtr(0), slotPtr(1)));
    const at = slot(0), n = slot(1);
    const out = heap().slice(at, at + n);
    m._free(at);
    return out;
  });
}

/**
 * Parses a PSBT (BIP 174 or 370) and checks it pays each output
 * ({ script, value }: the outputs to that script add up to at least the
 * value): the check the core makes of a counterparty's PSBT. Throws
 * PSBT_* when the bytes are not a valid PSBT.
 */
export function psbtPays(psbt, outputs) {
  const bytes = toBytes(psbt, 'psbt');
  const outs = outputs.map((o, k) => output(o, `outputs[${k}]`));
  const m = wasm();
  return withBytes([bytes, ...outs.map((o) => o.script)], (p, ...scripts) => {
    check(m._sl_psbt_parse(p, bytes.length, slotPtr(0)));
    const ps = slot(0);
    try {
      return outs.every((o, k) => m._sl_wasm_psbt_pays(ps, scripts[k], o.script.length, o.value) === 1);
    } finally {
      m._sl_psbt_free(ps);
    }
  });
}

/**
 * A PSBT's fields as the core reads them (throws PSBT_* when invalid):
 * { version, txVersion, inputs: [{ txid (hex, as shown by explorers),
 * index, sequence, amount (witness UTXO, bigint or null), partialSigs }],
 * outputs: [{ script, amount (bigint) }] }.
 */
export function psbtInfo(psbt) {
  const bytes = toBytes(psbt, 'psbt');
  const m = wasm();
  return withBytes([bytes], (p) => {
    check(m._sl_psbt_parse(p, bytes.length, slotPtr(0)));
    const ps = slot(0);
    try {
      const h = heap(), dv = new DataView(h.buffer);
      const inputs = [], outputs = [];
      for (let k = 0, n = m._sl_psbt_input_count(ps); k < n; k++) {
        const at = m._sl_psbt_input_at(ps, k);
        inputs.push({
          txid: Array.from(h.slice(at, at + 32)).reverse().map((x) => x.toString(16).padStart(2, '0')).join(''),
          index: dv.getUint32(at + 32, true), sequence: dv.getUint32(at + 36, true),
          amount: h[at + 55] ? dv.getBigUint64(at + 56, true) : null, partialSigs: dv.getUint32(at + 64, true),
        });
      }
      for (let k = 0, n = m._sl_psbt_output_count(ps); k < n; k++) {
        const at = m._sl_psbt_output_at(ps, k);
        const script = dv.getUint32(at + 8, true), len = dv.getUint32(at + 12, true);
        outputs.push({ script: h.slice(script, script + len), amount: dv.getBigUint64(at, true) });
      }
      return { version: m._sl_psbt_version(ps), txVersion: m._sl_psbt_tx_version(ps) >>> 0, inputs, outputs };
    } finally {
      m._sl_psbt_free(ps);
    }
  });
}
