// hub-client.js — a peer's connection to the hub. JS owns the WebSocket;
// the C core's sans-IO hub session (src/peer/hub_session.c) runs the
// protocol over it (auth, the signed challenge, rooms, strict parsing of
// every hub message). Relay records never enter wasm here: a binary
// message is checked by its header and handed on as a view. This class
// turns the session's events into a promise and EventTarget events. See
// docs/api.md.
import { wasm, heap, slot, slotPtr, check, errorFor, cString, Scratch } from './core.js';
import { StarlingError } from './errors.js';
import { Identity } from './identity.js';
import { ERRNO } from './errno.js';
import { webSocketClass } from './platform-node.js';

/** enum sl_hub_session_event_kind (starling.h). */
export const SESSION_EVENT = { SEND: 1, AUTHENTICATED: 2, SIGNAL: 3, ERROR: 4, FAILED: 5 };
const EVENT_BYTES = 12; // sl_hub_session_event on wasm32: int kind, char *data, size_t len
const RELAY_KIND_RECORD = 1; // relay frames: [u8 kind][32-byte Ed25519 key][record]
const RELAY_HEADER_BYTES = 33;
const RECORD_MAX_BYTES = 16384;
/** enum sl_signal_type values the application may send. */
const SIGNAL_TYPES = { offer: 5, answer: 6, 'ice-candidate': 7, 'relay-open': 8 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let scratch = null;
let eventSlot = 0;

/** Copies strings into wasm memory as NUL-terminated UTF-8, one after
 * another in a shared scratch buffer; returns their pointers. */
function cstrings(...texts) {
  const parts = texts.map((t) => encoder.encode(`${t}\0`));
  scratch ??= new Scratch(4096);
  let at = scratch.reserve(parts.reduce((n, p) => n + p.length, 0));
  const ptrs = [];
  for (const p of parts) {
    heap().set(p, at);
    ptrs.push(at);
    at += p.length;
  }
  return ptrs;
}

export class HubConnection extends EventTarget {
  #session;
  #ws;
  #settle;
  /** The peer id the hub confirmed. */
  peerId = null;
  /** The hub URL this connection dialled. */
  url = null;
  /** The last ice-servers payload the hub sent (TURN credentials), or null.
   * Kept here because it follows "authenticated" at once, before whoever
   * awaited connectHub() can listen for it. */
  iceServers = null;

  /** @private use connectHub() */
  constructor(session, ws, settle) {
    super();
    this.#session = session;
    this.#ws = ws;
    this.#settle = settle;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { if (this.#session) { wasm()._sl_hub_session_opened(this.#session); this.#flush(); } };
    ws.onmessage = (e) => this.#message(e.data);
    ws.onerror = () => this.#fail(new StarlingError('HUB_UNREACHABLE', 'could not connect to the hub'));
    ws.onclose = (e) => {
      this.#fail(new StarlingError('HUB_CLOSED', `the hub closed the connection (${e.code})`));
      const wasOpen = !!this.#session;
      this.#release();
      if (wasOpen) this.dispatchEvent(new CustomEvent('hub:disconnect', { detail: { code: e.code } }));
    };
  }

  #message(data) {
    if (!this.#session) return;
    const m = wasm();
    if (typeof data !== 'string') {
      // Relay frames count only once authenticated and well formed; the hub
      // never sends anything else as binary, so the rest is dropped.
      const frame = new Uint8Array(data);
      if (m._sl_hub_session_authenticated(this.#session) !== 1 || frame.length < RELAY_HEADER_BYTES
        || frame[0] !== RELAY_KIND_RECORD || frame.length - RELAY_HEADER_BYTES > RECORD_MAX_BYTES) return;
      this.dispatchEvent(new CustomEvent('relay', { detail: { sourceKey: frame.subarray(1, RELAY_HEADER_BYTES), record: frame.subarray(RELAY_HEADER_BYTES) } }));
      return;
    }
    const bytes = encoder.encode(data);
    scratch ??= new Scratch(4096);
    const at = scratch.reserve(bytes.length + 1);
    heap().set(bytes, at);
    heap()[at + bytes.length] = 0;
    const rc = m._sl_hub_session_text(this.#session, at, bytes.length);
    // A hub message this side could not use is reported like the hub's own errors.
    if (rc < 0 && rc !== ERRNO.EHUB_AUTH) {
      this.dispatchEvent(new CustomEvent('hub:error', { detail: { code: cString(m._sl_errname(rc)), message: cString(m._sl_strerror(rc)) } }));
    }
    this.#flush();
  }

  /** Sends what the session queued; turns the rest into events. */
  #flush() {
    const m = wasm();
    eventSlot ||= m._malloc(EVENT_BYTES);
    while (this.#session && m._sl_hub_session_next(this.#session, eventSlot) === 1) {
      const w = eventSlot >> 2;
      const kind = m.HEAP32[w];
      const at = m.HEAPU32[w + 1];
      const text = decoder.decode(heap().subarray(at, at + m.HEAPU32[w + 2]));
      if (kind === SESSION_EVENT.SEND) {
        if (this.#ws.readyState === 1) this.#ws.send(text);
      } else {
        this.#event(kind, text);
      }
    }
  }

  #event(kind, data) {
    if (kind === SESSION_EVENT.AUTHENTICATED) {
      this.peerId = data;
      this.#settle?.resolve(this);
      this.#settle = null;
      this.dispatchEvent(new CustomEvent('hub:connect', { detail: { peerId: data } }));
    } else if (kind === SESSION_EVENT.SIGNAL) {
      let message;
      try { message = JSON.parse(data); } catch { return; }
      if (message.type === 'ice-servers') this.iceServers = message.payload ?? null;
      this.dispatchEvent(new CustomEvent('signal', { detail: message }));
      if (message.type === 'peer-joined' || message.type === 'peer-left' || message.type === 'peer-list') {
        this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
      }
    } else if (kind === SESSION_EVENT.ERROR) {
      // data: the error message, {"type":"error","from"?,"id"?,"payload":{"code","message"}}
      let msg = {};
      try { msg = JSON.parse(data); } catch { /* the session only queues JSON here */ }
      const { code = 'UNKNOWN', message = '' } = msg.payload ?? {};
      this.dispatchEvent(new CustomEvent('hub:error', { detail: { code, message, peerId: msg.from, id: msg.id } }));
    } else if (kind === SESSION_EVENT.FAILED) {
      this.#fail(new StarlingError(data, `the hub refused authentication: ${data}`));
      this.#ws.close(1000, 'authentication failed');
    }
  }

  #fail(err) {
    this.#settle?.reject(err);
    this.#settle = null;
  }

  #live() {
    if (!this.#session) throw new StarlingError('BAD_STATE', 'hub connection is closed');
    return this.#session;
  }

  #room(room, leave) {
    const session = this.#live();
    if (typeof room !== 'string') throw new TypeError('room must be a string');
    const m = wasm();
    const [p] = cstrings(room);
    check(leave ? m._sl_hub_session_leave(session, p) : m._sl_hub_session_join(session, p));
    this.#flush();
  }

  /**
   * Sends a signaling message to another peer through the hub (it arrives
   * as a `signal` event with `from` set by the hub).
   * @param {'offer'|'answer'|'ice-candidate'|'relay-open'} type
   * @param {string} to  peer id
   * @param {object} [payload]  required for offer/answer/ice-candidate
   */
  signal(type, to, payload) {
    const session = this.#live();
    const code = SIGNAL_TYPES[type];
    if (!code) throw new TypeError(`signal type must be one of ${Object.keys(SIGNAL_TYPES).join(', ')}`);
    if (typeof to !== 'string') throw new TypeError('to must be a peer id string');
    const [p, body] = payload === undefined ? [...cstrings(to), 0] : cstrings(to, JSON.stringify(payload));
    check(wasm()._sl_hub_session_signal(session, code, p, body));
    this.#flush();
  }

  /**
   * Sends one encrypted record to a peer on an open relay path (after
   * `relay-ready`). The hub only ever sees the record's ciphertext.
   * @param {Uint8Array} publicKey  the peer's Ed25519 key (32 bytes)
   * @param {Uint8Array} record  at most 16 KiB
   */
  relay(publicKey, record) {
    const session = this.#live();
    if (wasm()._sl_hub_session_authenticated(session) !== 1 || this.#ws.readyState !== 1) throw new StarlingError('BAD_STATE', 'hub connection is not ready');
    if (record.length > RECORD_MAX_BYTES) throw new StarlingError('SESSION_TOO_LARGE', 'record above 16 KiB');
    const frame = new Uint8Array(RELAY_HEADER_BYTES + record.length);
    frame[0] = RELAY_KIND_RECORD;
    frame.set(publicKey, 1);
    frame.set(record, RELAY_HEADER_BYTES);
    this.#ws.send(frame);
  }

  /** Bytes written to the hub socket but not yet sent. */
  get bufferedAmount() { return this.#session ? this.#ws.bufferedAmount : 0; }

  /** true until the connection closed. */
  get open() { return !!this.#session; }

  /** Joins a room; the hub answers with a `peer-list` event. */
  join(room) { this.#room(room, false); }
  /** Leaves a room. */
  leave(room) { this.#room(room, true); }

  #release() {
    if (!this.#session) return;
    wasm()._sl_hub_session_free(this.#session);
    this.#session = 0;
  }

  /** Closes the connection. */
  close() {
    if (this.#ws.readyState <= 1) this.#ws.close(1000, 'bye');
    this.#release();
  }
}

/**
 * Dials the hub and authenticates. Resolves once the hub confirmed our
 * identity; rejects with a StarlingError whose code says why (JWT_EXPIRED,
 * AUTH_PROOF_INVALID, HUB_URL_INSECURE, HUB_UNREACHABLE, ...).
 * @param {{ hubUrl: string, token: string, identity: Identity, allowInsecure?: boolean, timeoutMs?: number }} opts
 */
export async function connectHub({ hubUrl, token, identity, allowInsecure = false, timeoutMs = 10000 }) {
  if (typeof hubUrl !== 'string' || typeof token !== 'string') throw new TypeError('hubUrl and token must be strings');
  if (!(identity instanceof Identity)) throw new TypeError('identity must be an Identity');
  const m = wasm();
  const [url] = cstrings(hubUrl);
  check(m._sl_hub_url_check(url, allowInsecure ? 1 : 0)); // refuse before loading `ws` or dialling
  const WebSocketClass = await webSocketClass();
  const [tok] = cstrings(token);
  check(m._sl_hub_session_new(slotPtr(0), identity._ptr, tok));
  const session = slot(0);
  let ws;
  try {
    ws = new WebSocketClass(hubUrl);
  } catch (err) {
    m._sl_hub_session_free(session);
    throw errorFor(ERRNO.EURL); // the URL check passed, yet this WebSocket refuses it
  }
  let settle;
  const ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  const conn = new HubConnection(session, ws, settle);
  conn.url = hubUrl;
  const timer = setTimeout(() => settle.reject(new StarlingError('HUB_TIMEOUT', `no authentication within ${timeoutMs} ms`)), timeoutMs);
  try {
    return await ready;
  } catch (err) {
    conn.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
