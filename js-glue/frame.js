// frame.js — [u32 BE length][u8 type][payload] frames (C core: src/frame).
import { wasm, heap, slot, slotPtr, check, toBytes, Scratch, errorFor, finalizer } from './core.js';
import { FrameError, StarlingError } from './errors.js';
import { ERRNO } from './errno.js';

/** Frame type numbers (see docs/protocol.md). */
export const FrameType = Object.freeze({
  DATA: 0x01, FILE_CHUNK: 0x02, FILE_META: 0x03, PRESENCE: 0x04, ACK: 0x05,
  PING: 0x06, PONG: 0x07, DISCONNECT: 0x08, BATCH: 0x09,
  GOSSIP: 0x20, SIGNAL: 0x21,
  ORDER_CREATE: 0x30, ORDER_CANCEL: 0x31, ORDER_UPDATE: 0x32, ORDERBOOK_REQUEST: 0x33,
  ORDERBOOK_RESPONSE: 0x34, ORDER_KEEPALIVE: 0x35, ORDERBOOK_SYNC: 0x36,
  TRADE_PROPOSE: 0x40, TRADE_ACCEPT: 0x41, TRADE_REJECT: 0x42, TRADE_CANCEL: 0x43,
  TRADE_SIGNATURE: 0x44,
  PSBT_CREATE: 0x50, PSBT_UPDATE: 0x51, PSBT_SIGN: 0x52, PSBT_FINALIZE: 0x53, PSBT_BROADCAST: 0x54,
  TIP_META: 0x60,
});

export const FRAME_HEADER_BYTES = 5;
export const DEFAULT_MAX_PAYLOAD = 256 * 1024;
const ABSOLUTE_MAX_PAYLOAD = 64 * 1024 * 1024;
const PIECE = 256 * 1024;      // input copied into wasm at most this much at a time
const MAX_BATCH = 4096;        // frame descriptors per decode call

// Known types as a lookup table. Encoding is five header bytes, so it stays
// in JS: a wasm call per frame would cost more than the work. The table is
// checked against the C core's sl_frame_type_known() in tests/js/frame.test.js.
const KNOWN_TYPE = new Uint8Array(256);
for (const t of Object.values(FrameType)) KNOWN_TYPE[t] = 1;

/** Validates one frame's type and payload; returns the payload bytes. */
function frameBytes(type, payload) {
  const bytes = payload === undefined ? EMPTY : payload instanceof Uint8Array ? payload : toBytes(payload, 'payload');
  if (!Number.isInteger(type) || type < 0 || type > 255 || !KNOWN_TYPE[type]) throw errorFor(ERRNO.EFRAME_TYPE, FrameError);
  if (bytes.length > ABSOLUTE_MAX_PAYLOAD) throw errorFor(ERRNO.EFRAME_TOO_LARGE, FrameError);
  return bytes;
}

/** Writes header and payload at out[o]; returns the offset after it. */
function writeFrame(out, o, type, bytes) {
  const length = bytes.length + 1;
  out[o] = length >>> 24;
  out[o + 1] = (length >>> 16) & 0xff;
  out[o + 2] = (length >>> 8) & 0xff;
  out[o + 3] = length & 0xff;
  out[o + 4] = type;
  out.set(bytes, o + FRAME_HEADER_BYTES);
  return o + FRAME_HEADER_BYTES + bytes.length;
}

/** Encodes one frame. payload: Uint8Array, ArrayBuffer or string (UTF-8). */
export function encodeFrame(type, payload) {
  const bytes = frameBytes(type, payload);
  const out = new Uint8Array(FRAME_HEADER_BYTES + bytes.length);
  writeFrame(out, 0, type, bytes);
  return out;
}
const EMPTY = new Uint8Array(0);

/**
 * Encodes many frames into one contiguous buffer: what a stream writer
 * wants, and far cheaper than one allocation per frame.
 * @param {Iterable<{type: number, payload?: Uint8Array|ArrayBuffer|string}>} frames
 */
export function encodeFrames(frames) {
  const list = Array.isArray(frames) ? frames : [...frames];
  const payloads = new Array(list.length);
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    payloads[i] = frameBytes(list[i].type, list[i].payload);
    total += FRAME_HEADER_BYTES + payloads[i].length;
  }
  const out = new Uint8Array(total);
  for (let i = 0, o = 0; i < list.length; i++) o = writeFrame(out, o, list[i].type, payloads[i]);
  return out;
}

/** Streaming decoder: push() chunks of any size, get whole frames back. */
export class FrameDecoder {
  #ptr;
  #input = new Scratch(0);
  #desc = new Scratch(0);

  constructor({ maxPayload = DEFAULT_MAX_PAYLOAD } = {}) {
    if (!Number.isInteger(maxPayload) || maxPayload < 1 || maxPayload > ABSOLUTE_MAX_PAYLOAD) {
      throw new RangeError(`maxPayload must be an integer in 1..${ABSOLUTE_MAX_PAYLOAD}`);
    }
    const m = wasm();
    check(m._sl_frame_decoder_new(slotPtr(0), maxPayload), FrameError);
    this.#ptr = slot(0);
    this.maxPayload = maxPayload;
    finalizer.register(this, { free: '_sl_frame_decoder_free', ptr: this.#ptr, scratch: [this.#input, this.#desc] }, this);
  }

  /** Returns the frames completed by this chunk, in order. Throws FrameError
   * (with .frames holding those decoded before the error); after an error
   * the decoder stays failed. */
  push(chunk) {
    if (!this.#ptr) throw new StarlingError('BAD_STATE', 'decoder has been freed');
    const bytes = toBytes(chunk, 'chunk');
    const frames = [];
    for (let off = 0; off < bytes.length; off += PIECE) {
      this.#pushPiece(bytes.subarray(off, off + PIECE), frames);
    }
    return frames;
  }

  #pushPiece(piece, frames) {
    const m = wasm();
    const inPtr = this.#input.reserve(piece.length);
    const descPtr = this.#desc.reserve(MAX_BATCH * 12);
    heap().set(piece, inPtr);
    // One copy of the piece on the JS side; frames that lie wholly inside
    // it become views of that copy (cheaper than a slice per frame).
    // new Uint8Array(x) copies and gives a plain Uint8Array even for a
    // Buffer (whose slice() is a view, and whose species is Buffer).
    const copy = new Uint8Array(piece);
    let pos = 0;
    do {
      const n = m._sl_wasm_frame_decode_batch(this.#ptr, inPtr + pos, piece.length - pos, descPtr,
        MAX_BATCH, slotPtr(0), slotPtr(1));
      const count = n < 0 ? slot(1) : n;
      pos += slot(0);
      const h = heap();
      const d = m.HEAPU32;
      for (let i = 0, w = descPtr >> 2; i < count; i++, w += 3) {
        const at = d[w + 1] - inPtr;
        const len = d[w + 2];
        const inPiece = at >= 0 && at + len <= piece.length;
        frames.push({ type: d[w], payload: inPiece ? copy.subarray(at, at + len) : h.slice(d[w + 1], d[w + 1] + len) });
      }
      if (n < 0) throw errorFor(n, FrameError, frames);
      if (n === 0 && pos < piece.length) break; // defensive: no progress
    } while (pos < piece.length);
  }

  /** @internal the C decoder, for the link's one-call receive path (delivery.js). */
  get _ptr() {
    if (!this.#ptr) throw new StarlingError('BAD_STATE', 'decoder has been freed');
    return this.#ptr;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered() { return this.#ptr ? wasm()._sl_frame_decoder_buffered(this.#ptr) : 0; }

  free() {
    if (!this.#ptr) return;
    const m = wasm();
    finalizer.unregister(this);
    m._sl_frame_decoder_free(this.#ptr);
    for (const s of [this.#input, this.#desc]) if (s.ptr) m._free(s.ptr);
    this.#ptr = 0;
  }
  close() { this.free(); }
  [Symbol.dispose]() { this.free(); }
}
