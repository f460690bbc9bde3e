/* fuzz_booksync.c — ORDERBOOK frames from the network. Whatever the
 * bytes (the first picks the frame type), a sync session over a small book
 * answers with a code, never reads past the payload, keeps what it waits
 * for bounded, and leaves the book consistent (its sync set lists only
 * messages it can serve). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define NOW 1764676860000ull

static sl_book *fresh_book(void) {
  static sl_identity *maker;
  static uint8_t wire[8][SL_ORDER_MAX_BYTES];
  static size_t len[8];
  if (!maker) {
    uint8_t seed[32] = {9};
    if (sl_init() != 0 || sl_identity_from_seed(&maker, seed) != 0) abort();
    for (int k = 0; k < 8; k++) {
      sl_order o;
      memset(&o, 0, sizeof o);
      o.kind = SL_ORDER_CREATE;
      strcpy(o.base, "BTC");
      strcpy(o.quote, "USDT");
      o.side = k % 2;
      o.price = 100 + (uint64_t)k;
      o.amount = 10;
      o.created_ms = NOW - 1000 * (uint64_t)k;
      o.expires_ms = NOW + 3600000;
      o.seq = (uint64_t)k;
      if (sl_order_seal(&o, maker, wire[k], sizeof wire[k], &len[k]) != 0) abort();
    }
  }
  sl_book *b = NULL;
  if (sl_book_new(&b, "BTC", "USDT", NULL) != 0) abort();
  for (int k = 0; k < 8; k++)
    if (sl_book_receive(b, wire[k], len[k], NOW, 120000, 1, NULL) != 0) abort();
  return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int types[] = {SL_FRAME_ORDERBOOK_SYNC, SL_FRAME_ORDERBOOK_REQUEST,
                              SL_FRAME_ORDERBOOK_RESPONSE};
  sl_book *b = fresh_book();
  sl_booksync *s = NULL;
  if (sl_booksync_new(&s, b, NULL) != 0) abort();
  if (size && (data[0] & 0x80) && sl_booksync_start(s, data[0] & 0x40 ? 1 : 0) != 0) abort();
  int type = types[(size ? data[0] : 0) % 3];
  const uint8_t *p = size ? data + 1 : data;
  size_t len = size ? size - 1 : 0;
  (void)sl_booksync_receive(s, type, p, len, NOW);
  if (sl_booksync_waiting(s) > 1000) abort(); /* one frame asks for at most 1,000 */
  int t;
  const uint8_t *out;
  size_t out_len;
  while (sl_booksync_next(s, &t, &out, &out_len))
    if (out_len > 60000 + SL_ORDER_MAX_BYTES) abort();
  size_t n = sl_book_items(b, NULL, 0);
  sl_neg_item *items = malloc((n ? n : 1) * sizeof *items);
  n = sl_book_items(b, items, n);
  for (size_t k = 0; k < n; k++) {
    const uint8_t *m;
    size_t ml;
    if (sl_book_sync_message(b, items[k].id, &m, &ml) != 0) abort();
  }
  free(items);
  sl_booksync_free(s);
  sl_book_free(b);
  return 0;
}
