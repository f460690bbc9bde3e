// hub-client.js — a peer's connection to the hub. The C core dials it
// through the Emscripten WebSocket API and runs the protocol (auth, the
// signed challenge, rooms); this class turns its events into a promise and
// EventTarget events. See docs/api.md.
import { wasm, put, check, errorFor, Scratch, setHubEventHandler } from './core.js';
import { StarlingError } from './errors.js';
import { Identity } from './identity.js';

const AUTHENTICATED = 2;
const SIGNAL = 3;
const ERROR = 4;
const FAILED = 5;
const CLOSED = 100;
const SOCKET_ERROR = 101;
const RELAY = 102;

const links = new Map(); // C link pointer -> HubConnection
/** enum sl_signal_type values the application may send. */
const SIGNAL_TYPES = { offer: 5, answer: 6, 'ice-candidate': 7, 'relay-open': 8 };
let scratch = null;

// Routes C events (Module.onHubEvent, see core.js) to their connection.
setHubEventHandler((link, kind, data) => links.get(link)?._event(kind, data));

/** Installs the `ws` client as globalThis.WebSocket in Node when none exists. */
async function ensureWebSocket() {
  if (typeof globalThis.WebSocket === 'function') return;
  const { WebSocket } = await import('ws');
  globalThis.WebSocket = WebSocket;
}

/** NUL-terminated UTF-8, for C. */
function cstr(text) {
  scratch ??= new Scratch(4096);
  return new TextEncoder().encode(`${text}\0`);
}

export class HubConnection extends EventTarget {
  #link;
  #settle;
  /** The peer id the hub confirmed. */
  peerId = null;

  /** @private use connectHub() */
  constructor(link, settle) {
    super();
    this.#link = link;
    this.#settle = settle;
    links.set(link, this);
  }

  /** @internal */
  _event(kind, data) {
    if (kind === AUTHENTICATED) {
      this.peerId = data;
      this.#settle?.resolve(this);
      this.#settle = null;
      this.dispatchEvent(new CustomEvent('hub:connect', { detail: { peerId: data } }));
    } else if (kind === SIGNAL) {
      let message;
      try { message = JSON.parse(data); } catch { return; }
      this.dispatchEvent(new CustomEvent('signal', { detail: message }));
      if (message.type === 'peer-joined' || message.type === 'peer-left' || message.type === 'peer-list') {
        this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
      }
    } else if (kind === RELAY) {
      // data: [32-byte source key][record], already copied out of wasm memory.
      this.dispatchEvent(new CustomEvent('relay', { detail: { sourceKey: data.subarray(0, 32), record: data.subarray(32) } }));
    } else if (kind === ERROR) {
      // data: the error message, {"type":"error","from"?,"id"?,"payload":{"code","message"}}
      let m = {};
      try { m = JSON.parse(data); } catch { /* the C side only sends JSON here */ }
      const { code = 'UNKNOWN', message = '' } = m.payload ?? {};
      this.dispatchEvent(new CustomEvent('hub:error', { detail: { code, message, peerId: m.from, id: m.id } }));
    } else if (kind === FAILED) {
      this.#fail(new StarlingError(data, `the hub refused authentication: ${data}`));
    } else if (kind === SOCKET_ERROR) {
      this.#fail(new StarlingError('HUB_UNREACHABLE', 'could not connect to the hub'));
    } else if (kind === CLOSED) {
      this.#fail(new StarlingError('HUB_CLOSED', `the hub closed the connection (${data})`));
      this.dispatchEvent(new CustomEvent('hub:disconnect', { detail: { code: Number(data) } }));
      this.#release();
    }
  }

  #fail(err) {
    this.#settle?.reject(err);
    this.#settle = null;
  }

  #room(room, leave) {
    if (!this.#link) throw new StarlingError('BAD_STATE', 'hub connection is closed');
    if (typeof room !== 'string') throw new TypeError('room must be a string');
    const m = wasm();
    const bytes = cstr(room);
    const p = scratch.reserve(bytes.length);
    put(p, bytes);
    check(m._sl_wasm_hub_join(this.#link, p, leave ? 1 : 0));
  }

  /**
   * Sends a signaling message to another peer through the hub (it arrives
   * as a `signal` event with `from` set by the hub).
   * @param {'offer'|'answer'|'ice-candidate'|'relay-open'} type
   * @param {string} to  peer id
   * @param {object} [payload]  required for offer/answer/ice-candidate
   */
  signal(type, to, payload) {
    if (!this.#link) throw new StarlingError('BAD_STATE', 'hub connection is closed');
    const code = SIGNAL_TYPES[type];
    if (!code) throw new TypeError(`signal type must be one of ${Object.keys(SIGNAL_TYPES).join(', ')}`);
    if (typeof to !== 'string') throw new TypeError('to must be a peer id string');
    const m = wasm();
    const toBytes = cstr(to);
    const body = payload === undefined ? null : cstr(JSON.stringify(payload));
    const p = m._malloc(toBytes.length + (body?.length ?? 0));
    put(p, toBytes);
    if (body) put(p + toBytes.length, body);
    const rc = m._sl_wasm_hub_signal(this.#link, code, p, body ? p + toBytes.length : 0);
    m._free(p);
    check(rc);
  }

  /**
   * Sends one encrypted record to a peer on an open relay path (after
   * `relay-ready`). The hub only ever sees the record's ciphertext.
   * @param {Uint8Array} publicKey  the peer's Ed25519 key (32 bytes)
   * @param {Uint8Array} record  at most 16 KiB
   */
  relay(publicKey, record) {
    if (!this.#link) throw new StarlingError('BAD_STATE', 'hub connection is closed');
    const m = wasm();
    const p = m._malloc(32 + record.length);
    put(p, publicKey);
    put(p + 32, record);
    const rc = m._sl_wasm_hub_relay(this.#link, p, p + 32, record.length);
    m._free(p);
    check(rc);
  }

  /** Bytes written to the hub socket but not yet sent. */
  get bufferedAmount() { return this.#link ? wasm()._sl_wasm_hub_buffered(this.#link) : 0; }

  /** true until the connection closed. */
  get open() { return !!this.#link; }

  /** Joins a room; the hub answers with a `peer-list` event. */
  join(room) { this.#room(room, false); }
  /** Leaves a room. */
  leave(room) { this.#room(room, true); }

  #release() {
    if (!this.#link) return;
    links.delete(this.#link);
    wasm()._sl_wasm_hub_free(this.#link);
    this.#link = 0;
  }

  /** Closes the connection. */
  close() { this.#release(); }
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
  const url = cstr(hubUrl);
  const policy = scratch.reserve(url.length);
  put(policy, url);
  check(m._sl_hub_url_check(policy, allowInsecure ? 1 : 0)); // refuse before loading `ws` or dialling
  await ensureWebSocket();
  const tok = cstr(token);
  const up = m._malloc(url.length + tok.length);
  put(up, url);
  put(up + url.length, tok);
  const link = m._sl_wasm_hub_dial(identity._ptr, up, up + url.length, allowInsecure ? 1 : 0);
  m._free(up);
  if (link < 0) throw errorFor(link);
  let settle;
  const ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  const conn = new HubConnection(link, settle);
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
