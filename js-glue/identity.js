// identity.js — Ed25519 identities and libp2p peer ids (C core: src/identity).
import { wasm, heap, slot, slotPtr, check, cString, toBytes, take, put, Scratch, finalizer, errorFor } from './core.js';
import { StarlingError } from './errors.js';
import { ERRNO } from './errno.js';

const SEED_BYTES = 32;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const PEER_ID_LENGTH = 52;

let msgScratch = null;
let keyScratch = null; // pk(32) | sig(64) | peer id (53)
function scratch() {
  if (!msgScratch) {
    msgScratch = new Scratch(4096);
    keyScratch = new Scratch(32 + 64 + 64);
  }
  return keyScratch.ptr;
}

function fixedBytes(value, n, what) {
  const b = toBytes(value, what);
  if (typeof value === 'string' || b.length !== n) throw new TypeError(`${what} must be ${n} bytes`);
  return b;
}

export class Identity {
  #ptr;
  #peerId;
  #publicKey;

  /** @private use Identity.generate() or Identity.fromSeed() */
  constructor(ptr) {
    this.#ptr = ptr;
    const m = wasm();
    this.#peerId = cString(m._sl_identity_peer_id(ptr));
    this.#publicKey = take(m._sl_identity_public_key(ptr), PUBLIC_KEY_BYTES);
    finalizer.register(this, { free: '_sl_identity_free', ptr }, this);
  }

  /** A new random identity (randomness from crypto.getRandomValues). */
  static generate() {
    check(wasm()._sl_identity_generate(slotPtr(0)));
    return new Identity(slot(0));
  }

  /** Deterministic identity from a 32-byte seed the application persisted. */
  static fromSeed(seed) {
    const s = fixedBytes(seed, SEED_BYTES, 'seed');
    const base = scratch();
    put(base, s);
    const rc = wasm()._sl_identity_from_seed(slotPtr(0), base);
    heap().fill(0, base, base + SEED_BYTES);
    check(rc);
    return new Identity(slot(0));
  }

  #live() {
    if (!this.#ptr) throw new StarlingError('BAD_STATE', 'identity has been freed');
    return this.#ptr;
  }

  /** libp2p peer id string ("12D3KooW…", 52 characters). */
  get peerId() { return this.#peerId; }
  /** The Ed25519 public key (a copy). */
  get publicKey() { return this.#publicKey.slice(); }
  /** The 32-byte seed, to persist the identity (a copy; keep it secret). */
  get seed() {
    const base = scratch();
    wasm()._sl_identity_seed(this.#live(), base);
    const out = take(base, SEED_BYTES);
    heap().fill(0, base, base + SEED_BYTES);
    return out;
  }

  /** Detached Ed25519 signature (64 bytes) over bytes. */
  sign(bytes) {
    const msg = toBytes(bytes, 'bytes');
    const m = wasm();
    const sp = scratch(); // first: it creates msgScratch too
    const mp = msgScratch.reserve(msg.length);
    put(mp, msg);
    check(m._sl_identity_sign(this.#live(), mp, msg.length, sp));
    return take(sp, SIGNATURE_BYTES);
  }

  /** true if signature is a valid Ed25519 signature by publicKey over bytes. */
  static verify(publicKey, bytes, signature) {
    const pk = fixedBytes(publicKey, PUBLIC_KEY_BYTES, 'publicKey');
    const msg = toBytes(bytes, 'bytes');
    const sig = toBytes(signature, 'signature');
    if (sig.length !== SIGNATURE_BYTES) return false;
    const m = wasm();
    const base = scratch(); // first: it creates msgScratch too
    const mp = msgScratch.reserve(msg.length);
    put(mp, msg);
    put(base, pk);
    put(base + 32, sig);
    return m._sl_verify(base, mp, msg.length, base + 32) === 0;
  }

  /** The libp2p peer id of an Ed25519 public key. */
  static peerIdFromPublicKey(publicKey) {
    const pk = fixedBytes(publicKey, PUBLIC_KEY_BYTES, 'publicKey');
    const base = scratch();
    put(base, pk);
    check(wasm()._sl_peer_id_from_public_key(base, base + 96));
    return cString(base + 96);
  }

  /** Parses a peer id back to its public key; throws StarlingError
   * (code PEER_ID_INVALID or PUBLIC_KEY_INVALID) on anything else. */
  static publicKeyFromPeerId(peerId) {
    if (typeof peerId !== 'string') throw new TypeError('peerId must be a string');
    const bytes = new TextEncoder().encode(peerId);
    if (bytes.length !== PEER_ID_LENGTH) throw errorFor(ERRNO.EPEERID);
    const base = scratch();
    put(base + 96, bytes);
    check(wasm()._sl_peer_id_to_public_key(base + 96, bytes.length, base));
    return take(base, PUBLIC_KEY_BYTES);
  }

  /** @internal pointer for the handshake binding. */
  get _ptr() { return this.#live(); }

  /** Wipes the secret key. The identity is unusable afterwards. */
  free() {
    if (!this.#ptr) return;
    finalizer.unregister(this);
    wasm()._sl_identity_free(this.#ptr);
    this.#ptr = 0;
  }
  [Symbol.dispose]() { this.free(); }
}
