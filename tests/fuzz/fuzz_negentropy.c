/* fuzz_negentropy.c — reconciliation messages from the network. Whatever
 * the bytes, a server and a client (after its first message) answer with
 * a message or a code, never read past the input, never write past the
 * frame limit, and report as "have" only ids this side holds. ("need"
 * may name an id we hold when a lying peer lists it in another range's
 * list: fetching it is harmless, the book already has it.) */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define ITEMS 96
#define FRAME SL_NEG_MIN_FRAME

static sl_neg_item items[ITEMS];

static void setup(void) {
  static bool done;
  if (done) return;
  if (sl_init() != 0) abort();
  for (int k = 0; k < ITEMS; k++) {
    items[k].ts = 1000 + (uint64_t)k / 4; /* shared timestamps: prefixes in bounds */
    memset(items[k].id, 0, sizeof items[k].id);
    items[k].id[0] = (uint8_t)(k * 37);
    items[k].id[1] = (uint8_t)k;
  }
  done = true;
}

static bool ours(const uint8_t *id, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (!memcmp(items[k].id, id, 32)) return true;
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  size_t n = size ? data[0] % (ITEMS + 1) : 0; /* how many of the items this side holds */
  const uint8_t *msg = size ? data + 1 : data;
  size_t len = size ? size - 1 : 0;
  sl_neg *server = NULL, *client = NULL;
  if (sl_neg_new(&server, items, n, FRAME) != 0 || sl_neg_new(&client, items, n, FRAME) != 0)
    abort();
  const uint8_t *out;
  size_t out_len;
  int rc = sl_neg_reconcile(server, msg, len, &out, &out_len);
  if (rc == 0 && (out_len > FRAME || out_len < 1)) abort();
  if (rc > 0) abort(); /* only an initiator is ever done */
  if (sl_neg_initiate(client, &out, &out_len) != 0) abort();
  rc = sl_neg_reconcile(client, msg, len, &out, &out_len);
  if (rc == 0 && out_len > FRAME) abort();
  size_t nh;
  const uint8_t *have = sl_neg_have(client, &nh);
  for (size_t k = 0; k < nh; k++)
    if (!ours(have + 32 * k, n)) abort();
  sl_neg_free(server);
  sl_neg_free(client);
  return 0;
}
