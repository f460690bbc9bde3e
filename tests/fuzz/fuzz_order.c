/* fuzz_order.c — order messages from the network. Whatever the bytes,
 * decoding returns a code and never reads past the input. When the bytes
 * decode, the encoding is canonical (the body re-encodes to the same
 * bytes), opening them fails only on the signature, and the same fields
 * sealed by a fixed maker open again to the same order. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static sl_identity *fixed(void) {
  static sl_identity *id;
  if (!id) {
    uint8_t seed[32] = {7};
    if (sl_init() != 0 || sl_identity_from_seed(&id, seed) != 0) abort();
  }
  return id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sl_identity *id = fixed();
  sl_order o, back;
  size_t body = 0;
  if (sl__order_decode(data, size, &o, &body) != 0) {
    if (sl_order_open(data, size, &back) == 0) abort(); /* open never accepts what decode refuses */
    return 0;
  }
  uint8_t again[SL_ORDER_MAX_BYTES];
  if (sl__order_body(&o, again) != body || memcmp(again, data, body) != 0) abort();
  int rc = sl_order_open(data, size, &back);
  if (rc != 0 && rc != SL_EORDER_SIGNATURE) abort();
  uint8_t msg[SL_ORDER_MAX_BYTES];
  size_t len = 0;
  if (sl_order_seal(&o, id, msg, sizeof msg, &len) != 0) abort();
  if (len != size || sl_order_open(msg, len, &back) != 0) abort();
  if (back.kind != o.kind || back.price != o.price || back.amount != o.amount ||
      back.seq != o.seq || back.data_len != o.data_len || memcmp(back.id, o.id, 32) != 0)
    abort();
  return 0;
}
