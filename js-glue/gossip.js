// gossip.js — the C core's GossipSub v1.2 router (src/gossip/) for any
// transport. The router is sans-IO: the host adds peers, hands it each RPC
// it receives, and gets the RPCs to send through the `send` callback; the
// time comes from tick() (start() runs a timer). Messages, peer exchange
// offers, refusals and graylisting come out as events. Validators run here
// (they may be async); their verdicts go back to C, which times them out.
import { wasm, heap, slot, slotPtr, check, errorFor, cString, Scratch, finalizer } from './core.js';
import { StarlingError } from './errors.js';
import { ERRNO } from './errno.js';

/** enum sl_gossip_event_kind (starling.h). */
export const GOSSIP_EVENT = { SEND: 1, VALIDATE: 2, MESSAGE: 3, PEER_EXCHANGE: 4, REFUSED: 5, GRAYLISTED: 6 };
/** enum sl_gossip_verdict. */
export const VERDICT = { accept: 0, reject: 1, ignore: 2 };
/** Option keys of sl_wasm_gossip_new (src/wasm/bindings.c), in order. */
export const OPTION = [
  'D', 'Dlo', 'Dhi', 'Dlazy', 'Dscore', 'Dout', 'heartbeatMs', 'seenTtlMs', 'fanoutTtlMs',
  'pruneBackoffMs', 'floodPublish', 'contentId', 'maxMessageBytes', 'idontwantThreshold',
  'validationTimeoutMs', 'maxRpcBytes', 'acceptPxThreshold',
];
const STATS = [
  'rpcsIn', 'rpcsOut', 'bytesIn', 'bytesOut', 'published', 'delivered', 'forwarded', 'duplicates',
  'refused', 'rejected', 'ignored', 'ihaveOut', 'iwantOut', 'graftOut', 'pruneOut', 'idontwantOut',
  'iwantServed', 'promisesBroken', 'heartbeats',
];
const EVENT_BYTES = 40; // sl_gossip_event in wasm32 (pinned by _Static_assert in bindings.c)
const LIST_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

let shared = null;
function scratch() {
  shared ??= { ev: new Scratch(EVENT_BYTES), a: new Scratch(256), b: new Scratch(256), data: new Scratch(0), list: new Scratch(LIST_BYTES), stats: new Scratch(8 * 32) };
  return shared;
}

/** A NUL-terminated UTF-8 copy of s in the given scratch buffer. */
function cstr(s, buf) {
  const bytes = encoder.encode(String(s));
  const at = buf.reserve(bytes.length + 1);
  const h = heap();
  h.set(bytes, at);
  h[at + bytes.length] = 0;
  return at;
}

function topicName(topic) {
  if (typeof topic !== 'string' || !topic.length || encoder.encode(topic).length > 256 || topic.includes('\0')) {
    throw new StarlingError('GOSSIP_TOPIC_INVALID', 'topic must be a string of 1 to 256 UTF-8 bytes without NUL');
  }
  return topic;
}

/** data's bytes copied into the shared scratch buffer: [pointer, length]. */
function putData(data) {
  const bytes = bytesOf(data);
  const at = scratch().data.reserve(bytes.length);
  heap().set(bytes, at);
  return [at, bytes.length];
}

function bytesOf(data) {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('data must be a Uint8Array, ArrayBuffer or string');
}

/**
 * A GossipSub v1.2 router over a transport of the application's choice.
 * `send(peerId, rpc)` is called with each RPC (a Uint8Array: one libp2p
 * pubsub RPC) to deliver to that peer, in order; what arrives from a peer
 * goes to `receive(peerId, rpc)`.
 */
/** 53 random bits. The seed also keys the router's hash tables, so it
 *  comes from the platform's CSPRNG: where an id lands must not be guessable. */
function randomSeed() {
  const w = globalThis.crypto.getRandomValues(new Uint32Array(2));
  return (w[0] & 0x1fffff) * 2 ** 32 + w[1];
}

export class GossipRouter extends EventTarget {
  #ptr = 0;
  #send;
  #validators = new Map();
  #timer = null;
  #clock;
  #draining = false;

  constructor({ identity, send, seed, now, clock = () => Date.now(), ...options } = {}) {
    super();
    if (!identity?._ptr) throw new TypeError('GossipRouter needs { identity }: an Identity');
    if (typeof send !== 'function') throw new TypeError('GossipRouter needs { send(peerId, rpc) }');
    this.#send = send;
    this.#clock = clock;
    const pairs = [];
    for (const [k, v] of Object.entries(options)) {
      const key = OPTION.indexOf(k);
      if (key < 0) throw new TypeError(`unknown gossip option ${k} (known: ${OPTION.join(', ')})`);
      const n = typeof v === 'boolean' ? Number(v) : v;
      if (!Number.isFinite(n) || n < 0) throw new RangeError(`gossip option ${k} must be a finite number >= 0`);
      pairs.push(key, n);
    }
    const m = wasm();
    const optPtr = m._malloc(8 * pairs.length + 8);
    try {
      m.HEAPF64.set(pairs, optPtr >> 3);
      const s = seed ?? randomSeed();
      check(m._sl_wasm_gossip_new(slotPtr(0), identity._ptr, optPtr, pairs.length / 2, s, now ?? clock()));
    } finally {
      m._free(optPtr);
    }
    this.#ptr = slot(0);
    this.identity = identity; // the router signs with it: keep it alive
    finalizer.register(this, { free: '_sl_gossip_free', ptr: this.#ptr }, this);
  }

  #live() {
    if (!this.#ptr) throw new StarlingError('CLOSED', 'the gossip router is closed');
    return this.#ptr;
  }

  /** A link to peerId is up (outbound: we dialled it). */
  addPeer(peerId, { outbound = false } = {}) {
    check(wasm()._sl_gossip_add_peer(this.#live(), cstr(peerId, scratch().a), outbound ? 1 : 0));
    this.#drain();
  }

  removePeer(peerId) {
    const rc = wasm()._sl_gossip_remove_peer(this.#live(), cstr(peerId, scratch().a));
    if (rc < 0 && rc !== ERRNO.EGOSSIP_UNKNOWN_PEER) throw errorFor(rc);
    this.#drain();
  }

  /** One RPC from peerId. Hostile or malformed input is refused (a
   * `refused` event, and the peer's score), never thrown. */
  receive(peerId, rpc) {
    const [at, len] = putData(rpc);
    const rc = wasm()._sl_gossip_receive(this.#live(), cstr(peerId, scratch().a), at, len);
    this.#drain();
    if (rc === ERRNO.EGOSSIP_UNKNOWN_PEER || rc === ERRNO.ENOMEM) throw errorFor(rc);
  }

  subscribe(topic) {
    check(wasm()._sl_gossip_subscribe(this.#live(), cstr(topicName(topic), scratch().a)));
    this.#drain();
  }

  unsubscribe(topic) {
    check(wasm()._sl_gossip_unsubscribe(this.#live(), cstr(topicName(topic), scratch().a)));
    this.#drain();
  }

  /**
   * fn(message) returns 'accept' | 'reject' | 'ignore' (or a promise of one).
   * Only 'reject' costs the forwarding peer score; a validator that throws
   * or answers nothing rejects nothing: it counts as 'ignore'. One
   * validator per topic; null removes it.
   */
  addValidator(topic, fn) {
    if (fn !== null && typeof fn !== 'function') throw new TypeError('a validator is a function');
    topicName(topic);
    if (fn) this.#validators.set(topic, fn); else this.#validators.delete(topic);
    check(wasm()._sl_gossip_set_validation(this.#live(), cstr(topic, scratch().a), fn ? 1 : 0));
  }

  /**
   * Signs and sends data on topic. Resolves to { id (hex), recipients };
   * throws GOSSIP_NO_PEERS when no peer could receive it, unless
   * allowNoPeers (then the message waits in the cache for gossip).
   */
  publish(topic, data, { allowNoPeers = false } = {}) {
    const s = scratch();
    const [at, len] = putData(data);
    const idAt = s.b.reserve(64 + 8);
    const rc = wasm()._sl_gossip_publish(this.#live(), cstr(topicName(topic), s.a), at, len,
      allowNoPeers ? 1 : 0, idAt, idAt + 64, slotPtr(0));
    const recipients = slot(0);
    if (rc < 0) {
      this.#drain();
      throw errorFor(rc);
    }
    const idLen = wasm().HEAPU32[(idAt + 64) >> 2];
    const id = toHex(heap().subarray(idAt, idAt + idLen));
    this.#drain();
    return { id, recipients };
  }

  /** Advances time: validation timeouts, and the heartbeat when due. */
  tick(now = this.#clock()) {
    wasm()._sl_wasm_gossip_tick(this.#live(), now);
    this.#drain();
  }

  /** Runs tick() every intervalMs (default 100) until stop() or close(). */
  start(intervalMs = 100) {
    this.stop();
    this.#timer = setInterval(() => this.tick(), intervalMs);
    this.#timer.unref?.();
    return this;
  }

  stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** P5, the application's own score for a peer (kept across reconnects). */
  setAppScore(peerId, score) {
    check(wasm()._sl_gossip_set_app_score(this.#live(), cstr(peerId, scratch().a), score));
  }

  /** The signed peer record (a libp2p Envelope) of a connected peer,
   * offered to others in peer exchange when we prune them. */
  setPeerRecord(peerId, envelope) {
    const [at, len] = putData(envelope);
    check(wasm()._sl_gossip_set_peer_record(this.#live(), cstr(peerId, scratch().a), at, len));
  }

  /** Connected peers in the order a connection manager should drop them:
   * lowest score first, leaving out the last mesh member of any topic we
   * subscribe to. */
  pruneOrder() { return this.#list((out, cap) => wasm()._sl_gossip_prune_order(this.#live(), out, cap)); }

  score(peerId) { return wasm()._sl_wasm_gossip_score(this.#live(), cstr(peerId, scratch().a)); }

  getTopics() { return this.#list((out, cap) => wasm()._sl_gossip_topics(this.#live(), out, cap)); }

  getSubscribers(topic) {
    const t = cstr(topicName(topic), scratch().a);
    return this.#list((out, cap) => wasm()._sl_gossip_subscribers(this.#live(), t, out, cap));
  }

  getMeshPeers(topic) {
    const t = cstr(topicName(topic), scratch().a);
    return this.#list((out, cap) => wasm()._sl_gossip_mesh(this.#live(), t, out, cap));
  }

  /** Counters since creation (rpcs, bytes, messages, control, heartbeats). */
  stats() {
    const s = scratch().stats;
    const n = wasm()._sl_wasm_gossip_stats(this.#live(), s.ptr);
    const f64 = wasm().HEAPF64;
    const out = {};
    STATS.forEach((k, i) => { if (i < n) out[k] = f64[(s.ptr >> 3) + i]; });
    return out;
  }

  close() {
    this.stop();
    if (!this.#ptr) return;
    finalizer.unregister(this);
    wasm()._sl_gossip_free(this.#ptr);
    this.#ptr = 0;
  }

  [Symbol.dispose]() { this.close(); }

  #list(fill) {
    const buf = scratch().list;
    const n = check(fill(buf.ptr, buf.size));
    const out = [];
    let at = buf.ptr;
    for (let i = 0; i < n; i++) {
      const s = cString(at);
      out.push(s);
      at += encoder.encode(s).length + 1;
    }
    return out;
  }

  // Turns the router's queued events into sends and DOM events. Events
  // are copied out before anything runs, so handlers may call back in.
  #drain() {
    if (this.#draining || !this.#ptr) return;
    this.#draining = true;
    try {
      const m = wasm();
      const ev = scratch().ev.ptr;
      while (this.#ptr && m._sl_gossip_next(this.#ptr, ev) === 1) {
        const u32 = m.HEAPU32;
        const w = ev >> 2;
        const kind = u32[w];
        const str = (p) => (p ? cString(p) : null);
        const bytes = (p, n) => (p && n ? heap().slice(p, p + n) : new Uint8Array(0));
        const e = {
          kind, code: m.HEAP32[w + 1], handle: u32[w + 2], peer: str(u32[w + 4]), topic: str(u32[w + 5]),
          author: str(u32[w + 6]), id: toHex(heap().subarray(u32[w + 7], u32[w + 7] + u32[w + 3])),
          data: bytes(u32[w + 8], u32[w + 9]),
        };
        this.#dispatch(e);
      }
    } finally {
      this.#draining = false;
    }
  }

  #dispatch(e) {
    switch (e.kind) {
      case GOSSIP_EVENT.SEND:
        this.#send(e.peer, e.data);
        break;
      case GOSSIP_EVENT.VALIDATE:
        this.#validate(e);
        break;
      case GOSSIP_EVENT.MESSAGE:
        this.#emit('message', { topic: e.topic, from: e.author, id: e.id, data: e.data, peer: e.peer });
        break;
      case GOSSIP_EVENT.PEER_EXCHANGE:
        this.#emit('peer-exchange', { peerId: e.author, via: e.peer, topic: e.topic, record: e.data });
        break;
      case GOSSIP_EVENT.REFUSED:
        this.#emit('refused', { peerId: e.peer, code: cString(wasm()._sl_errname(e.code)), topic: e.topic });
        break;
      case GOSSIP_EVENT.GRAYLISTED:
        this.#emit('graylisted', { peerId: e.peer });
        break;
      default:
        break;
    }
  }

  #emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  #validate(e) {
    const fn = this.#validators.get(e.topic);
    const answer = (verdict) => {
      if (!this.#ptr) return;
      const v = VERDICT[verdict] ?? VERDICT.ignore;
      wasm()._sl_gossip_validated(this.#ptr, e.handle, v); // ESTATE: it timed out already
      this.#drain();
    };
    let result;
    try {
      result = fn ? fn({ topic: e.topic, from: e.author, id: e.id, data: e.data, peer: e.peer }) : 'accept';
    } catch {
      result = 'ignore';
    }
    if (result && typeof result.then === 'function') {
      result.then(answer, () => answer('ignore'));
    } else {
      queueMicrotask(() => answer(result)); // not inside this drain: C is mid-event
    }
  }
}
