// discovery-codec.js — libp2p's formats for what peers say about
// themselves, encoded and checked in C (src/discovery/): multiaddrs, the
// pubsub peer discovery announcement Peer { publicKey, addrs }, and
// signed peer records (Envelope, domain "libp2p-peer-record"). Address
// lists cross the boundary as text.
import { wasm, heap, slot, slotPtr, check, errorFor, Scratch, cString } from './core.js';
import { ERRNO } from './errno.js';
import { Identity } from './identity.js';

const MULTIADDR_MAX_BYTES = 256;
const MULTIADDR_MAX_TEXT = 2048;
const MAX_ADDRS = 16;          // SL_DISCOVERY_MAX_ADDRS
const MESSAGE_MAX = 8192;      // SL_DISCOVERY_MAX_BYTES, SL_PEER_RECORD_MAX_BYTES
const LIST_MAX = MAX_ADDRS * (MULTIADDR_MAX_TEXT + 1);

/** The pubsub peer discovery topic (libp2p's default). */
export const DISCOVERY_TOPIC = '_peer-discovery._p2p._pubsub';

const encoder = new TextEncoder();
let buffers = null;
function scratch() {
  buffers ??= { in: new Scratch(MESSAGE_MAX + 1), out: new Scratch(MESSAGE_MAX), text: new Scratch(LIST_MAX), key: new Scratch(40) };
  return buffers;
}

/** s as a NUL-terminated string in buf; its pointer and byte length. */
function putText(s, buf) {
  const bytes = encoder.encode(s);
  const at = buf.reserve(bytes.length + 1);
  heap().set(bytes, at);
  heap()[at + bytes.length] = 0;
  return [at, bytes.length];
}

function putBytes(bytes, buf) {
  const at = buf.reserve(bytes.length);
  heap().set(bytes, at);
  return at;
}

function addrList(addrs) {
  if (!Array.isArray(addrs) || addrs.some((a) => typeof a !== 'string' || a.includes('\n'))) {
    throw new TypeError('multiaddrs must be an array of strings');
  }
  return addrs.join('\n');
}

/** n NUL-separated strings at ptr. */
function readList(ptr, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const s = cString(ptr);
    out.push(s);
    ptr += encoder.encode(s).length + 1;
  }
  return out;
}

/** A text multiaddr's binary form; throws MULTIADDR_INVALID. */
export function multiaddrToBytes(text) {
  const s = scratch();
  const [at, len] = putText(String(text), s.text);
  check(wasm()._sl_multiaddr_from_string(at, len, s.out.ptr, MULTIADDR_MAX_BYTES, slotPtr(0)));
  return heap().slice(s.out.ptr, s.out.ptr + slot(0));
}

/** A binary multiaddr's text form; throws MULTIADDR_INVALID. */
export function multiaddrFromBytes(bytes) {
  const s = scratch();
  if (bytes.length > MULTIADDR_MAX_BYTES) throw errorFor(ERRNO.EMULTIADDR);
  const at = putBytes(bytes, s.in);
  check(wasm()._sl_multiaddr_to_string(at, bytes.length, s.text.ptr, MULTIADDR_MAX_TEXT + 1));
  return cString(s.text.ptr);
}

/** Our announcement: Peer { publicKey, addrs }. */
export function encodeAnnouncement(identity, multiaddrs) {
  const s = scratch();
  const [list] = putText(addrList(multiaddrs), s.text);
  const key = putBytes(identity.publicKey, s.key);
  check(wasm()._sl_discovery_encode(key, list, s.out.ptr, MESSAGE_MAX, slotPtr(0)));
  return heap().slice(s.out.ptr, s.out.ptr + slot(0));
}

/** { peerId, multiaddrs } of an announcement (addresses in protocols we
 * do not read are left out); throws DISCOVERY_MALFORMED. */
export function decodeAnnouncement(bytes) {
  const s = scratch();
  if (bytes.length > MESSAGE_MAX) throw errorFor(ERRNO.EDISCOVERY);
  const at = putBytes(bytes, s.in);
  const n = check(wasm()._sl_discovery_decode(at, bytes.length, s.key.ptr, s.text.ptr, LIST_MAX));
  const peerId = Identity.peerIdFromPublicKey(heap().slice(s.key.ptr, s.key.ptr + 32));
  return { peerId, multiaddrs: readList(s.text.ptr, n) };
}

/** This identity's signed peer record of its addresses. */
export function sealPeerRecord(identity, seq, multiaddrs) {
  const s = scratch();
  const [list] = putText(addrList(multiaddrs), s.text);
  check(wasm()._sl_wasm_peer_record_seal(identity._ptr, seq, list, s.out.ptr, MESSAGE_MAX, slotPtr(0)));
  return heap().slice(s.out.ptr, s.out.ptr + slot(0));
}

/** { peerId, seq, multiaddrs } of a signed peer record whose signature
 * and peer id check out; throws PEER_RECORD_INVALID. */
export function openPeerRecord(bytes) {
  const s = scratch();
  if (bytes.length > MESSAGE_MAX) throw errorFor(ERRNO.EPEER_RECORD);
  const at = putBytes(bytes, s.in);
  const seqAt = s.key.ptr + 32;
  const n = check(wasm()._sl_peer_record_open(at, bytes.length, s.key.ptr, seqAt, s.text.ptr, LIST_MAX));
  const u32 = wasm().HEAPU32;
  const seq = u32[seqAt >> 2] + u32[(seqAt >> 2) + 1] * 2 ** 32;
  const peerId = Identity.peerIdFromPublicKey(heap().slice(s.key.ptr, s.key.ptr + 32));
  return { peerId, seq, multiaddrs: readList(s.text.ptr, n) };
}
