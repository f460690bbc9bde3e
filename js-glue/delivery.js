// delivery.js — the C delivery machine (src/link/delivery.c) for one link:
// sequence numbers, coalesced ACKs, resend after a path change, dedupe and
// the priority queue live in C; this file moves bytes across the boundary
// once per record each way and turns the machine's events into objects.
// A received record is decrypted, decoded and delivered in one wasm call
// (its plaintext never leaves wasm); only delivered payloads are copied out.
import { wasm, heap, slot, slotPtr, check, errorFor, Scratch } from './core.js';
import { RECORD_MAX_BYTES, RECORD_MAX_PLAINTEXT } from './noise.js';

/** enum sl_delivery_event_kind (starling.h). */
export const EVENT = { MESSAGE: 1, SENT: 2, FAILED: 3, PRESENCE: 4, DISCONNECT: 5, WRITE: 6, TIMER: 7, OUT_OF_ORDER: 8 };
/** enum sl_delivery_kind: what a message is. */
export const KIND = { BYTES: 0, TEXT: 1, GOSSIP: 0x20, SIGNAL: 0x21, ORDERBOOK_REQUEST: 0x33, ORDERBOOK_RESPONSE: 0x34, ORDERBOOK_SYNC: 0x36 };
const EVENT_BYTES = 24; // sl_delivery_event: int kind, u32 arg, ptr data, u32 len, double ms
const MAX_EVENTS = 256; // drained per call

// One set of buffers serves every link: calls never interleave.
let buffers = null;
function scratch() {
  buffers ??= {
    record: new Scratch(RECORD_MAX_BYTES + 1),
    plain: new Scratch(RECORD_MAX_PLAINTEXT),
    out: new Scratch(RECORD_MAX_BYTES),
    events: new Scratch(EVENT_BYTES * MAX_EVENTS),
    body: new Scratch(0),
  };
  return buffers;
}

const decoder = new TextDecoder();

export class Delivery {
  #ptr;

  /** maxHeldBytes: message bytes held (queued, in flight, to resend) at most. */
  constructor(maxHeldBytes) {
    check(wasm()._sl_delivery_new(slotPtr(0), maxHeldBytes));
    this.#ptr = slot(0);
  }

  /** Queues a copy of body (kind: KIND); returns its handle. Throws QUEUE_FULL past the cap. */
  send(body, kind, high) {
    const m = wasm();
    const b = scratch().body;
    const at = b.reserve(body.length);
    heap().set(body, at);
    const rc = m._sl_delivery_send(this.#ptr, at, body.length, kind, high ? 1 : 0, slotPtr(0));
    if (rc < 0) throw errorFor(rc);
    return slot(0);
  }

  /** The next encrypted record for the active path (session: its Noise
   * session), or null when nothing is due. */
  write(session) { return this.#record(wasm()._sl_wasm_path_write, session); }

  /** The goodbye record (a due ACK, then DISCONNECT), or null mid-frame. */
  goodbye(session) { return this.#record(wasm()._sl_wasm_path_goodbye, session); }

  #record(fn, session) {
    const s = scratch();
    const rc = fn(session._ptr, this.#ptr, s.plain.ptr, s.out.ptr, slotPtr(0));
    if (rc < 0) throw errorFor(rc);
    return rc === 1 ? heap().slice(s.out.ptr, s.out.ptr + slot(0)) : null;
  }

  /** One record received on a path (session, decoder: the path's); throws
   * on a record or frame the path cannot accept. */
  receive(session, frameDecoder, record) {
    const s = scratch();
    const len = Math.min(record.length, RECORD_MAX_BYTES + 1); // oversize: C rejects by length
    heap().set(record.subarray(0, len), s.record.ptr);
    const rc = wasm()._sl_wasm_path_receive(session._ptr, frameDecoder._ptr, this.#ptr, s.record.ptr, len, s.plain.ptr);
    if (rc < 0) throw errorFor(rc);
  }

  /** The queued events as objects, payloads copied out (so they stay valid
   * whatever the handlers do next). */
  events() {
    const m = wasm();
    const base = scratch().events.ptr;
    const out = [];
    for (;;) {
      const n = m._sl_wasm_delivery_drain(this.#ptr, base, MAX_EVENTS);
      if (n < 0) throw errorFor(n); // out of memory: the link closes
      const h = heap();
      const u32 = m.HEAPU32;
      for (let i = 0, w = base >> 2; i < n; i++, w += EVENT_BYTES / 4) {
        const kind = u32[w];
        const ev = { kind, arg: u32[w + 1] };
        if (kind === EVENT.MESSAGE || kind === EVENT.PRESENCE) {
          const at = u32[w + 2];
          const len = u32[w + 3];
          ev.len = len;
          ev.data = kind === EVENT.PRESENCE || ev.arg === KIND.TEXT ? decoder.decode(h.subarray(at, at + len)) : h.slice(at, at + len);
        } else if (kind === EVENT.TIMER) {
          ev.ms = m.HEAPF64[(base + i * EVENT_BYTES + 16) >> 3];
        }
        out.push(ev);
      }
      if (n < MAX_EVENTS) return out;
    }
  }

  /** A path now carries data; returns how many messages will be resent. */
  activate() { return wasm()._sl_delivery_activate(this.#ptr); }
  deactivate() { return wasm()._sl_delivery_deactivate(this.#ptr); }
  setPresence(bytes) {
    const b = scratch().body;
    const at = b.reserve(bytes.length);
    heap().set(bytes, at);
    check(wasm()._sl_delivery_set_presence(this.#ptr, at, bytes.length));
  }
  timer() { wasm()._sl_delivery_timer(this.#ptr); }
  ackNow() { wasm()._sl_delivery_ack_now(this.#ptr); }
  /** Fails every held message (FAILED events); returns how many. */
  close() { return this.#ptr ? wasm()._sl_delivery_close(this.#ptr) : 0; }
  get idle() { return !this.#ptr || wasm()._sl_delivery_idle(this.#ptr) === 1; }
  get heldBytes() { return this.#ptr ? wasm()._sl_delivery_held_bytes(this.#ptr) : 0; }
  get received() { return this.#ptr ? wasm()._sl_delivery_received(this.#ptr) >>> 0 : 0; }
  /** @internal tests: both ends as if many messages had passed. */
  setSequence(nextSeq, received) { wasm()._sl_delivery_set_sequence(this.#ptr, nextSeq >>> 0, received >>> 0); }

  free() {
    if (!this.#ptr) return;
    wasm()._sl_delivery_free(this.#ptr);
    this.#ptr = 0;
  }
}
