/* fuzz_book.c — a book fed arbitrary sequences of creates, updates,
 * cancels, fills, matches and ticks from four makers. After each step the
 * book must hold together: levels strictly ordered, each level's amount
 * and count equal to its orders', the count matching what is listed,
 * every listed id found, matches within what rests, and the open-order
 * cap respected. Orders are sealed once per input shape, so inputs
 * explore the book, not the signature. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 512
#define KEEP 64

static sl_identity *makers[4];

static void setup(void) {
  if (makers[0]) return;
  if (sl_init() != 0) abort();
  for (int k = 0; k < 4; k++) {
    uint8_t seed[32] = {0};
    seed[0] = (uint8_t)(k + 1);
    if (sl_identity_from_seed(&makers[k], seed) != 0) abort();
  }
}

static void check(const sl_book *b) {
  size_t total = 0;
  for (int side = 0; side < 2; side++) {
    static sl_book_level lv[MAX_LEVELS];
    size_t n = sl_book_depth(b, side, lv, MAX_LEVELS);
    size_t k = 0;
    for (size_t li = 0; li < n; li++) {
      bool ordered = side == SL_ORDER_BID ? lv[li].price < lv[li - (li ? 1 : 0)].price
                                          : lv[li].price > lv[li - (li ? 1 : 0)].price;
      if (li && !ordered) abort();
      uint64_t amount = 0;
      for (uint32_t j = 0; j < lv[li].orders; j++, k++) {
        const uint8_t *id = sl_book_at(b, side, k);
        sl_order o;
        if (!id || sl_book_get(b, id, &o) != 0 || o.price != lv[li].price || o.side != side)
          abort();
        amount += sl_book_remaining(b, id);
      }
      if (!lv[li].orders || amount != lv[li].amount) abort();
    }
    if (sl_book_at(b, side, k)) abort();
    total += k;
  }
  if (total != sl_book_count(b)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  lim.max_open_per_maker = 16;
  lim.max_orders = 48;
  sl_book *b = NULL;
  if (sl_book_new(&b, "BTC", "USDT", &lim) != 0) abort();
  static uint8_t ids[KEEP][32];
  static int owner[KEEP];
  size_t n_ids = 0;
  uint64_t now = 1000000, seq = 1;
  for (size_t at = 0; at + 4 <= size; at += 4) {
    const uint8_t *op = data + at;
    int who = op[1] & 3;
    sl_order o;
    memset(&o, 0, sizeof o);
    uint8_t wire[SL_ORDER_MAX_BYTES];
    size_t len = 0;
    const uint8_t *target = n_ids ? ids[op[2] % n_ids] : NULL;
    switch (op[0] % 7) {
    case 0: /* create */
    case 1: /* update of a known order (as its maker, or as another) */
      o.kind = op[0] % 7 == 1 && target ? SL_ORDER_UPDATE : SL_ORDER_CREATE;
      strcpy(o.base, "BTC");
      strcpy(o.quote, "USDT");
      o.side = op[1] >> 7;
      o.price = 100 + (op[2] & 15);
      o.amount = 1 + (op[3] & 31);
      o.min_fill = (uint64_t)(op[3] >> 5) <= o.amount ? (uint64_t)(op[3] >> 5) : 0;
      o.created_ms = now - (op[1] & 0x70);
      o.expires_ms = o.created_ms + 1000 + (uint64_t)op[3] * 100;
      o.seq = seq++;
      if (o.kind == SL_ORDER_UPDATE) memcpy(o.target, target, 32);
      if (sl_order_seal(&o, makers[who], wire, sizeof wire, &len) != 0) abort();
      if (sl_book_apply(b, &o, wire, len, now) == 0 && n_ids < KEEP) {
        owner[n_ids] = who;
        memcpy(ids[n_ids++], o.id, 32);
      }
      break;
    case 2: /* cancel */
      if (!target) break;
      o.kind = SL_ORDER_CANCEL;
      memcpy(o.target, target, 32);
      o.created_ms = now;
      o.seq = seq++;
      if (sl_order_seal(&o, makers[op[3] & 1 ? who : owner[op[2] % n_ids]], wire, sizeof wire,
                        &len) != 0)
        abort();
      (void)sl_book_apply(b, &o, wire, len, now);
      break;
    case 3: { /* fill part or all of what rests */
      if (!target) break;
      uint64_t rest = sl_book_remaining(b, target);
      int rc = sl_book_filled(b, target, rest ? 1 + op[3] % rest : 1);
      if (rest && rc != 0) abort();
      if (!rest && rc != SL_EORDER_UNKNOWN) abort();
      break;
    }
    case 4: { /* a taker's match never offers more than rests, or own orders */
      sl_book_fill f[32];
      uint64_t want = 1 + op[3];
      size_t n = sl_book_match(b, op[1] & 1, want, op[2] & 1 ? 100 + (op[2] >> 4) : 0,
                               sl_identity_public_key(makers[who]), f, 32);
      uint64_t got = 0;
      for (size_t k = 0; k < n; k++) {
        sl_order m;
        if (sl_book_get(b, f[k].id, &m) != 0 || f[k].amount > sl_book_remaining(b, f[k].id) ||
            !f[k].amount || !memcmp(m.maker, sl_identity_public_key(makers[who]), 32))
          abort();
        got += f[k].amount;
      }
      if (got > want) abort();
      break;
    }
    case 5: /* time passes */
      now += (uint64_t)op[2] * 100 + op[3];
      sl_book_tick(b, now);
      break;
    default: /* a keep-alive */
      sl_book_keepalive(b, sl_identity_public_key(makers[who]), now);
      break;
    }
    sl_book_removal r;
    while (sl_book_next_removed(b, &r) == 1)
      if (r.reason < SL_BOOK_CANCELLED || r.reason > SL_BOOK_MAKER_GONE) abort();
    if (sl_book_count(b) > lim.max_orders) abort();
    check(b);
  }
  sl_book_free(b);
  return 0;
}
