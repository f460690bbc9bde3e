// noise.js — libp2p-compatible Noise XX handshake and the transport session
// (C core: src/noise).
import { wasm, heap, slot, slotPtr, check, toBytes, take, put, Scratch, finalizer, errorFor } from './core.js';
import { HandshakeError, SessionError, StarlingError } from './errors.js';
import { Identity } from './identity.js';
import { ERRNO } from './errno.js';

export const RECORD_MAX_BYTES = 16384;
export const RECORD_TAG_BYTES = 16;
export const RECORD_MAX_PLAINTEXT = RECORD_MAX_BYTES - RECORD_TAG_BYTES;
const NOISE_MAX_MESSAGE = 65535;
const HANDSHAKE_OVERHEAD = 256;

let hsScratch = null;

export class Handshake {
  #ptr;
  #remotePeerId = null;
  #remotePublicKey = null;

  /**
   * @param {object} opts
   * @param {Identity} opts.identity  our signing identity (used at construction only)
   * @param {boolean} opts.initiator  true for the side that sends message 1
   * @param {Uint8Array|string} [opts.prologue]  bytes both sides bind (e.g. DTLS fingerprints)
   * @param {string} [opts.remotePeerId]  if set, any other remote identity fails the handshake
   */
  constructor({ identity, initiator, prologue = new Uint8Array(0), remotePeerId } = {}) {
    if (!(identity instanceof Identity)) throw new TypeError('identity must be an Identity');
    if (typeof initiator !== 'boolean') throw new TypeError('initiator must be true or false');
    const pro = toBytes(prologue, 'prologue');
    const m = wasm();
    hsScratch ??= new Scratch(NOISE_MAX_MESSAGE + HANDSHAKE_OVERHEAD);
    const p = hsScratch.reserve(pro.length);
    put(p, pro);
    check(m._sl_handshake_new(slotPtr(0), identity._ptr, initiator ? 1 : 0, p, pro.length), HandshakeError);
    this.#ptr = slot(0);
    finalizer.register(this, { free: '_sl_handshake_free', ptr: this.#ptr }, this);
    if (remotePeerId !== undefined) {
      const pk = Identity.publicKeyFromPeerId(remotePeerId);
      put(hsScratch.ptr, pk);
      check(m._sl_handshake_expect_remote(this.#ptr, hsScratch.ptr), HandshakeError);
    }
    this.initiator = initiator;
  }

  #live() {
    if (!this.#ptr) throw new StarlingError('BAD_STATE', 'handshake has been freed or split');
    return this.#ptr;
  }

  /** Produces our next handshake message. Message 1 takes no payload. */
  writeMessage(payload = new Uint8Array(0)) {
    const ptr = this.#live();
    const bytes = toBytes(payload, 'payload');
    if (bytes.length > NOISE_MAX_MESSAGE) throw errorFor(ERRNO.EHS_TOO_LARGE, HandshakeError);
    const m = wasm();
    const cap = bytes.length + HANDSHAKE_OVERHEAD;
    const base = hsScratch.reserve(bytes.length + cap);
    put(base, bytes);
    check(m._sl_handshake_write(ptr, base, bytes.length, base + bytes.length, cap, slotPtr(0)), HandshakeError);
    return take(base + bytes.length, slot(0));
  }

  /** Consumes the peer's next message and returns the payload it carried. */
  readMessage(message) {
    const ptr = this.#live();
    const bytes = toBytes(message, 'message');
    const m = wasm();
    if (bytes.length > NOISE_MAX_MESSAGE) {
      // Let C record the failure so the handshake is dead, as for any bad input.
      check(m._sl_handshake_read(ptr, hsScratch.ptr, NOISE_MAX_MESSAGE + 1, 0, 0, slotPtr(0)), HandshakeError);
    }
    const base = hsScratch.reserve(2 * bytes.length + 1);
    put(base, bytes);
    const out = base + bytes.length;
    check(m._sl_handshake_read(ptr, base, bytes.length, out, bytes.length + 1, slotPtr(0)), HandshakeError);
    const payload = take(out, slot(0));
    this.#learnRemote();
    return payload;
  }

  #learnRemote() {
    if (this.#remotePeerId) return;
    const p = hsScratch.ptr;
    if (wasm()._sl_handshake_remote_public_key(this.#ptr, p) !== 0) return;
    this.#remotePublicKey = take(p, 32);
    this.#remotePeerId = Identity.peerIdFromPublicKey(this.#remotePublicKey);
  }

  /** true once all three messages have been processed. */
  get complete() { return !!this.#ptr && wasm()._sl_handshake_complete(this.#ptr) === 1; }
  /** true when it is our turn to call writeMessage(). */
  get wantsWrite() { return !!this.#ptr && wasm()._sl_handshake_wants_write(this.#ptr) === 1; }
  /** The remote's verified peer id, once its identity message arrived. */
  get remotePeerId() { return this.#remotePeerId; }
  get remotePublicKey() { return this.#remotePublicKey?.slice() ?? null; }
  /** The Noise handshake hash (channel binding), once complete. */
  get handshakeHash() {
    const p = hsScratch.ptr;
    check(wasm()._sl_handshake_hash(this.#live(), p), HandshakeError);
    return take(p, 32);
  }

  /** Finishes the handshake: returns the transport Session and frees this object. */
  split() {
    const ptr = this.#live();
    const m = wasm();
    check(m._sl_handshake_split(ptr, slotPtr(0)), HandshakeError);
    const session = new Session(slot(0), this.#remotePeerId);
    this.free();
    return session;
  }

  free() {
    if (!this.#ptr) return;
    finalizer.unregister(this);
    wasm()._sl_handshake_free(this.#ptr);
    this.#ptr = 0;
  }
  [Symbol.dispose]() { this.free(); }
}

let recScratch = null;

/** Noise transport: records of at most 16 KiB, decrypted in order, once. */
export class Session {
  #ptr;

  /** @private obtained from Handshake.split() */
  constructor(ptr, remotePeerId) {
    this.#ptr = ptr;
    this.remotePeerId = remotePeerId;
    recScratch ??= new Scratch(2 * RECORD_MAX_BYTES + 64);
    finalizer.register(this, { free: '_sl_session_free', ptr }, this);
  }

  #live() {
    if (!this.#ptr) throw new StarlingError('BAD_STATE', 'session has been freed');
    return this.#ptr;
  }

  /** @internal the C session, for the link's one-call record paths (delivery.js). */
  get _ptr() { return this.#live(); }

  /** Encrypts up to 16,368 bytes into one record (plaintext + 16-byte tag). */
  encrypt(plaintext) {
    const ptr = this.#live();
    const pt = toBytes(plaintext, 'plaintext');
    if (pt.length > RECORD_MAX_PLAINTEXT) throw errorFor(ERRNO.ESESSION_TOO_LARGE, SessionError);
    const base = recScratch.ptr;
    const out = base + RECORD_MAX_BYTES;
    heap().set(pt, base);
    check(wasm()._sl_session_encrypt(ptr, base, pt.length, out, RECORD_MAX_BYTES + 32, slotPtr(0)), SessionError);
    return heap().slice(out, out + pt.length + RECORD_TAG_BYTES);
  }

  /** Decrypts the next record. Any failure (tampering, replay, reordering,
   * truncation) throws SessionError and ends the session. */
  decrypt(record) {
    const ptr = this.#live();
    const rec = toBytes(record, 'record');
    const m = wasm();
    const base = recScratch.ptr;
    const out = base + RECORD_MAX_BYTES + 32;
    const len = Math.min(rec.length, RECORD_MAX_BYTES + 1); // oversize: C rejects by length
    heap().set(rec.subarray(0, len), base);
    check(m._sl_session_decrypt(ptr, base, rec.length > RECORD_MAX_BYTES ? RECORD_MAX_BYTES + 1 : len,
      out, RECORD_MAX_BYTES, slotPtr(0)), SessionError);
    return heap().slice(out, out + slot(0));
  }

  free() {
    if (!this.#ptr) return;
    finalizer.unregister(this);
    wasm()._sl_session_free(this.#ptr);
    this.#ptr = 0;
  }
  close() { this.free(); }
  [Symbol.dispose]() { this.free(); }
}
