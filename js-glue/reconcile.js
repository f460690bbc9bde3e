// reconcile.js — the core's Negentropy v1 reconciler (src/reconcile/) for
// any set of (timestamp, 32-byte id) items. The orderbook's sync uses it
// inside C; this wrapper serves tests, benchmarks and applications that
// reconcile sets of their own.
import { wasm, heap, slot, slotPtr, check, errorFor, finalizer, toBytes, putU64 } from './core.js';

const ITEM_BYTES = 40; // sl_neg_item: u64 ts, 32-byte id

function ids(at, n) {
  const h = heap();
  return Array.from({ length: n }, (_, k) => h.slice(at + 32 * k, at + 32 * k + 32));
}

export class Reconciler {
  #ptr = 0;
  /**
   * items: [{ timestamp (number or bigint, below 2^64-1), id (32 bytes) }]
   * frameLimit: bytes per message (0: none, else >= 4096); leaf: ranges
   * of fewer items are listed rather than split (default 32, as the
   * reference; any value >= 2 is valid Negentropy v1).
   */
  constructor(items, { frameLimit = 0, maxRounds = 0, leaf = 0 } = {}) {
    const m = wasm();
    const at = m._malloc(ITEM_BYTES * Math.max(items.length, 1));
    try {
      items.forEach((it, k) => {
        const ts = BigInt(it.timestamp);
        const p = at + ITEM_BYTES * k;
        putU64(p, ts);
        const id = toBytes(it.id, 'id');
        if (id.length !== 32) throw new TypeError('an item id is 32 bytes');
        heap().set(id, p + 8);
      });
      check(m._sl_neg_new(slotPtr(0), at, items.length, frameLimit));
    } finally {
      m._free(at);
    }
    this.#ptr = slot(0);
    if (maxRounds) m._sl_neg_set_max_rounds(this.#ptr, maxRounds);
    if (leaf) m._sl_neg_set_leaf(this.#ptr, leaf);
    finalizer.register(this, { free: '_sl_neg_free', ptr: this.#ptr }, this);
  }

  /** The initiator's first message. */
  initiate() {
    check(wasm()._sl_neg_initiate(this.#ptr, slotPtr(0), slotPtr(1)));
    return heap().slice(slot(0), slot(0) + slot(1));
  }

  /** A message from the other side: { reply (null when the initiator is
   * done), have, need } (ids, the initiator only). Throws SYNC_* codes. */
  reconcile(message) {
    const m = wasm();
    const bytes = toBytes(message, 'message');
    const at = m._malloc(Math.max(bytes.length, 1));
    let rc;
    try {
      heap().set(bytes, at);
      rc = m._sl_neg_reconcile(this.#ptr, at, bytes.length, slotPtr(0), slotPtr(1));
    } finally {
      m._free(at);
    }
    if (rc < 0) throw errorFor(rc);
    const reply = rc === 0 ? heap().slice(slot(0), slot(0) + slot(1)) : null;
    const haveAt = m._sl_neg_have(this.#ptr, slotPtr(2));
    const have = ids(haveAt, slot(2));
    const needAt = m._sl_neg_need(this.#ptr, slotPtr(2));
    return { reply, have, need: ids(needAt, slot(2)) };
  }

  free() {
    if (!this.#ptr) return;
    finalizer.unregister(this);
    wasm()._sl_neg_free(this.#ptr);
    this.#ptr = 0;
  }
}
