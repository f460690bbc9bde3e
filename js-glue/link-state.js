// link-state.js — the C connection state machine (src/link/link.c) as a JS
// object: the link reports what happens to its paths, and reads back the
// actions to perform (start an attempt, ask for a relay, close or activate
// a path, arm a timer). Numbers mirror the enums in starling.h.
import { wasm, slot, slotPtr, check } from './core.js';

export const PATH = { DIRECT: 1, RELAY: 2 };
export const REASON = { TIMEOUT: 1, ICE_FAILED: 2, PATH_CLOSED: 3, REMOTE_FAILED: 4, HUB_CLOSED: 5, OTHER: 6, DIRECT_UNAVAILABLE: 7 };
export const ACTION = {
  START_DIRECT: 1, REPORT_BROKEN: 2, REQUEST_RELAY: 3, START_RELAY: 4, CLOSE_PATH: 5,
  ACTIVATE: 6, DEACTIVATE: 7, FALLBACK: 8, SET_TIMER: 9,
};

/** A path error's code as the state machine's reason. */
export function reasonOf(err) {
  return { DIRECT_TIMEOUT: REASON.TIMEOUT, ICE_FAILED: REASON.ICE_FAILED, PATH_CLOSED: REASON.PATH_CLOSED,
    REMOTE_FAILED: REASON.REMOTE_FAILED, HUB_CLOSED: REASON.HUB_CLOSED }[err?.code] ?? REASON.OTHER;
}

const ACTION_BYTES = 16; // sl_link_action: int kind, int arg, double ms

export class LinkState {
  #ptr;
  #out;

  constructor(offerer, directRetryMs) {
    const m = wasm();
    check(m._sl_link_new(slotPtr(0), offerer ? 1 : 0, directRetryMs));
    this.#ptr = slot(0);
    this.#out = m._malloc(ACTION_BYTES);
  }

  /** The next queued action as { kind, arg, ms }, or null. */
  next() {
    const m = wasm();
    const rc = this.#ptr ? m._sl_link_next(this.#ptr, this.#out) : 0;
    if (rc < 0) check(rc); // out of memory: throws, and the link closes
    if (rc !== 1) return null;
    const w = this.#out >> 2;
    return { kind: m.HEAP32[w], arg: m.HEAP32[w + 1], ms: m.HEAPF64[(this.#out + 8) >> 3] };
  }

  setHub(open) { wasm()._sl_link_set_hub(this.#ptr, open ? 1 : 0); }
  start() { wasm()._sl_link_start(this.#ptr); }
  present() { wasm()._sl_link_present(this.#ptr); }
  offer(attempt) { return wasm()._sl_link_offer(this.#ptr, attempt) === 1; }
  relayReady() { wasm()._sl_link_relay_ready(this.#ptr); }
  pathReady(path) { wasm()._sl_link_path_ready(this.#ptr, path); }
  pathFailed(path, reason) { wasm()._sl_link_path_failed(this.#ptr, path, reason); }
  hubLost() { wasm()._sl_link_hub_lost(this.#ptr); }
  timer(kind) { wasm()._sl_link_timer(this.#ptr, kind); }

  free() {
    if (!this.#ptr) return;
    const m = wasm();
    m._sl_link_free(this.#ptr);
    m._free(this.#out);
    this.#ptr = 0;
  }
}
