/* test_book.c — one pair's book: price-time priority (the maker's time,
 * then the id), depth, matching (partial fills, limits, minimum fills,
 * no self-trade), fills, cancels and their tombstones, updates and what
 * they replace, expiry and silent makers, caps, and the design rule: the
 * same messages in any order give the same book — also when one book
 * learns them through reconciliation of its sync set with another. */
#include "check.h"
#include "internal.h"

#define T0 1764676800000ull

static sl_identity *makers[4];

static sl_order msg(int who, int kind, int side, uint64_t price, uint64_t amount, uint64_t created,
                    uint64_t seq) {
  sl_order o;
  memset(&o, 0, sizeof o);
  o.kind = kind;
  strcpy(o.base, "BTC");
  strcpy(o.quote, "USDT");
  o.side = side;
  o.price = price;
  o.amount = amount;
  o.created_ms = created;
  o.expires_ms = created + 3600000;
  o.seq = seq;
  uint8_t buf[SL_ORDER_MAX_BYTES];
  size_t len;
  CHECK_EQ(sl_order_seal(&o, makers[who], buf, sizeof buf, &len), 0);
  return o;
}

static sl_order order(int who, int side, uint64_t price, uint64_t amount, uint64_t created) {
  static uint64_t seq = 1;
  return msg(who, SL_ORDER_CREATE, side, price, amount, created, seq++);
}

static sl_order cancel(int who, const sl_order *of, uint64_t seq) {
  sl_order c;
  memset(&c, 0, sizeof c);
  c.kind = SL_ORDER_CANCEL;
  memcpy(c.target, of->id, 32);
  c.created_ms = of->created_ms + 1;
  c.seq = seq;
  uint8_t buf[SL_ORDER_MAX_BYTES];
  size_t len;
  CHECK_EQ(sl_order_seal(&c, makers[who], buf, sizeof buf, &len), 0);
  return c;
}

static sl_order update(int who, const sl_order *of, uint64_t price, uint64_t seq) {
  sl_order u = *of;
  u.kind = SL_ORDER_UPDATE;
  u.price = price;
  u.seq = seq;
  u.created_ms = of->created_ms + 2;
  memcpy(u.target, of->id, 32);
  uint8_t buf[SL_ORDER_MAX_BYTES];
  size_t len;
  CHECK_EQ(sl_order_seal(&u, makers[who], buf, sizeof buf, &len), 0);
  return u;
}

static sl_book *new_book(void) {
  sl_book *b = NULL;
  CHECK_EQ(sl_book_new(&b, "BTC", "USDT", NULL), 0);
  return b;
}

static int removed(sl_book *b, const sl_order *o) {
  sl_book_removal r;
  int reason = 0;
  while (sl_book_next_removed(b, &r) == 1)
    if (!memcmp(r.id, o->id, 32)) reason = r.reason;
  return reason;
}

static void test_priority_and_depth(void) {
  sl_book *b = new_book();
  sl_order b1 = order(0, SL_ORDER_BID, 100, 5, T0 + 2), b2 = order(1, SL_ORDER_BID, 101, 3, T0 + 3),
           b3 = order(2, SL_ORDER_BID, 100, 7, T0 + 1);
  sl_order a1 = order(0, SL_ORDER_ASK, 105, 4, T0 + 5), a2 = order(1, SL_ORDER_ASK, 103, 2, T0 + 6);
  const sl_order *all[] = {&b1, &b2, &b3, &a1, &a2};
  for (int k = 0; k < 5; k++)
    CHECK_EQ(sl_book_apply(b, all[k], NULL, 0, T0), 0);
  CHECK_EQ(sl_book_count(b), 5);
  CHECK_EQ(sl_book_apply(b, &b1, NULL, 0, T0), 1); /* known already */
  /* Bids: 101, then 100 by the maker's time (b3 before b1). */
  CHECK(!memcmp(sl_book_at(b, SL_ORDER_BID, 0), b2.id, 32));
  CHECK(!memcmp(sl_book_at(b, SL_ORDER_BID, 1), b3.id, 32));
  CHECK(!memcmp(sl_book_at(b, SL_ORDER_BID, 2), b1.id, 32));
  CHECK(sl_book_at(b, SL_ORDER_BID, 3) == NULL);
  CHECK(!memcmp(sl_book_at(b, SL_ORDER_ASK, 0), a2.id, 32));
  sl_book_level lv[4];
  CHECK_EQ(sl_book_depth(b, SL_ORDER_BID, lv, 4), 2);
  CHECK_EQ(lv[0].price, 101);
  CHECK_EQ(lv[1].price, 100);
  CHECK_EQ(lv[1].amount, 12);
  CHECK_EQ(lv[1].orders, 2);
  CHECK_EQ(sl_book_depth(b, SL_ORDER_ASK, lv, 1), 1);
  CHECK_EQ(lv[0].price, 103);
  /* Same price and time: the smaller id first. */
  sl_order t1 = order(3, SL_ORDER_ASK, 110, 1, T0 + 9), t2 = order(3, SL_ORDER_ASK, 110, 1, T0 + 9);
  CHECK_EQ(sl_book_apply(b, &t2, NULL, 0, T0), 0);
  CHECK_EQ(sl_book_apply(b, &t1, NULL, 0, T0), 0);
  const sl_order *first = memcmp(t1.id, t2.id, 32) < 0 ? &t1 : &t2;
  CHECK(!memcmp(sl_book_at(b, SL_ORDER_ASK, 2), first->id, 32));
  /* Wrong pair, expired. */
  sl_order other = b1;
  strcpy(other.quote, "EUR");
  CHECK_EQ(sl_book_apply(b, &other, NULL, 0, T0), SL_EORDER_PAIR);
  CHECK_EQ(sl_book_apply(b, &b1, NULL, 0, b1.expires_ms), SL_EORDER_EXPIRED);
  sl_book_free(b);
}

/* With its message kept, an order comes back whole, and its bytes open. */
static void test_messages(void) {
  sl_book *b = new_book();
  sl_order o;
  memset(&o, 0, sizeof o);
  o.kind = SL_ORDER_CREATE;
  strcpy(o.base, "BTC");
  strcpy(o.quote, "USDT");
  o.side = SL_ORDER_BID;
  o.price = 100;
  o.amount = 3;
  o.created_ms = T0;
  o.expires_ms = T0 + 60000;
  o.seq = 1;
  memcpy(o.data, "payout", 6);
  o.data_len = 6;
  uint8_t wire[SL_ORDER_MAX_BYTES];
  size_t len;
  CHECK_EQ(sl_order_seal(&o, makers[0], wire, sizeof wire, &len), 0);
  sl_order opened;
  CHECK_EQ(sl_order_open(wire, len, &opened), 0);
  CHECK_EQ(sl_book_apply(b, &opened, wire, len, T0), 0);
  memset(wire, 0, sizeof wire); /* the book kept its own copy */
  sl_order got;
  CHECK_EQ(sl_book_get(b, o.id, &got), 0);
  CHECK_EQ(got.data_len, 6);
  CHECK(!memcmp(got.data, "payout", 6));
  CHECK(!memcmp(got.signature, o.signature, 64));
  const uint8_t *m;
  size_t mlen;
  CHECK_EQ(sl_book_message(b, o.id, &m, &mlen), 0);
  CHECK_EQ(mlen, len);
  CHECK_EQ(sl_order_open(m, mlen, &got), 0);
  CHECK_EQ(sl_book_apply(b, &opened, wire, SL_ORDER_MAX_BYTES + 1, T0), SL_EINVAL);
  sl_book_free(b);
}

static void test_match_and_fill(void) {
  sl_book *b = new_book();
  sl_order a1 = order(0, SL_ORDER_ASK, 100, 5, T0 + 1), a2 = order(1, SL_ORDER_ASK, 100, 5, T0 + 2),
           a3 = order(2, SL_ORDER_ASK, 102, 10, T0 + 3), mine = order(3, SL_ORDER_ASK, 99, 50, T0);
  a2.min_fill = 4; /* set after sealing: the book trusts what it is given */
  const sl_order *all[] = {&a1, &a2, &a3, &mine};
  for (int k = 0; k < 4; k++)
    CHECK_EQ(sl_book_apply(b, all[k], NULL, 0, T0), 0);
  sl_book_fill f[8];
  const uint8_t *taker = sl_identity_public_key(makers[3]);
  /* Buy 12 at up to 102: a1 5, a2 5, a3 2; our own ask at 99 skipped. */
  CHECK_EQ(sl_book_match(b, SL_ORDER_BID, 12, 102, taker, f, 8), 3);
  CHECK(!memcmp(f[0].id, a1.id, 32) && f[0].amount == 5 && f[0].price == 100);
  CHECK(!memcmp(f[1].id, a2.id, 32) && f[1].amount == 5);
  CHECK(!memcmp(f[2].id, a3.id, 32) && f[2].amount == 2 && f[2].price == 102);
  /* A limit of 100 stops before a3. */
  CHECK_EQ(sl_book_match(b, SL_ORDER_BID, 12, 100, taker, f, 8), 2);
  /* Buy 7: a1 5, then a2 would get 2 < its min fill 4: skipped; a3 2. */
  CHECK_EQ(sl_book_match(b, SL_ORDER_BID, 7, 0, taker, f, 8), 2);
  CHECK(!memcmp(f[1].id, a3.id, 32) && f[1].amount == 2);
  /* Without a taker key, the 99 ask comes first. */
  CHECK_EQ(sl_book_match(b, SL_ORDER_BID, 1, 0, NULL, f, 8), 1);
  CHECK(!memcmp(f[0].id, mine.id, 32));
  /* Selling to bids: none. */
  CHECK_EQ(sl_book_match(b, SL_ORDER_ASK, 5, 0, NULL, f, 8), 0);
  CHECK_EQ(sl_book_count(b), 4); /* matching changes nothing */
  /* Fills: a partial one, then the rest. */
  CHECK_EQ(sl_book_filled(b, a1.id, 2), 0);
  CHECK_EQ(sl_book_remaining(b, a1.id), 3);
  sl_book_level lv[4];
  CHECK_EQ(sl_book_depth(b, SL_ORDER_ASK, lv, 4), 3);
  CHECK_EQ(lv[1].amount, 8);
  CHECK_EQ(sl_book_filled(b, a1.id, 4), SL_EORDER_RANGE);
  CHECK_EQ(sl_book_filled(b, a1.id, 3), 0);
  CHECK_EQ(removed(b, &a1), SL_BOOK_FILLED);
  sl_order got;
  CHECK_EQ(sl_book_get(b, a1.id, &got), SL_EORDER_UNKNOWN);
  CHECK_EQ(sl_book_filled(b, a1.id, 1), SL_EORDER_UNKNOWN);
  sl_book_free(b);
}

static void test_cancel_and_update(void) {
  sl_book *b = new_book();
  sl_order o = order(0, SL_ORDER_BID, 100, 5, T0);
  CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0), 0);
  sl_order theirs = cancel(1, &o, 1);
  CHECK_EQ(sl_book_apply(b, &theirs, NULL, 0, T0), SL_EORDER_UNKNOWN); /* not their order */
  sl_order c = cancel(0, &o, 2);
  CHECK_EQ(sl_book_apply(b, &c, NULL, 0, T0), 0);
  CHECK_EQ(removed(b, &o), SL_BOOK_CANCELLED);
  CHECK_EQ(sl_book_apply(b, &c, NULL, 0, T0), 1);
  CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0), SL_EORDER_CANCELLED); /* its tombstone */
  /* A cancel that arrives before its order. */
  sl_order late = order(0, SL_ORDER_ASK, 120, 1, T0);
  sl_order early = cancel(0, &late, 3);
  CHECK_EQ(sl_book_apply(b, &early, NULL, 0, T0), 0);
  CHECK_EQ(sl_book_apply(b, &late, NULL, 0, T0), SL_EORDER_CANCELLED);
  /* Updates: the target goes (REPLACED), the update rests. */
  sl_order p = order(1, SL_ORDER_ASK, 130, 2, T0);
  CHECK_EQ(sl_book_apply(b, &p, NULL, 0, T0), 0);
  sl_order u1 = update(1, &p, 129, 10), u2 = update(1, &p, 128, 11);
  CHECK_EQ(sl_book_apply(b, &u1, NULL, 0, T0), 0);
  CHECK_EQ(removed(b, &p), SL_BOOK_REPLACED);
  sl_order got;
  CHECK_EQ(sl_book_get(b, u1.id, &got), 0);
  CHECK_EQ(got.price, 129);
  CHECK_EQ(got.kind, SL_ORDER_UPDATE);
  CHECK_EQ(sl_book_apply(b, &p, NULL, 0, T0), SL_EORDER_STALE); /* replaced: stays out */
  CHECK_EQ(sl_book_apply(b, &u2, NULL, 0, T0), 0);              /* higher seq: takes over */
  CHECK_EQ(removed(b, &u1), SL_BOOK_REPLACED);
  CHECK_EQ(sl_book_apply(b, &u1, NULL, 0, T0), SL_EORDER_STALE); /* lower seq: refused */
  CHECK_EQ(sl_book_count(b), 1);
  CHECK_EQ(sl_book_get(b, sl_book_at(b, SL_ORDER_ASK, 0), &got), 0);
  CHECK_EQ(got.price, 128);
  sl_order foreign = update(2, &u2, 1, 50);
  CHECK_EQ(sl_book_apply(b, &foreign, NULL, 0, T0), SL_EORDER_UNKNOWN); /* not theirs to replace */
  sl_book_free(b);
}

static void test_expiry_and_silence(void) {
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  sl_book *b = NULL;
  CHECK_EQ(sl_book_new(&b, "BTC", "USDT", &lim), 0);
  sl_order o = order(0, SL_ORDER_BID, 100, 5, T0), q = order(1, SL_ORDER_BID, 99, 5, T0);
  o.expires_ms = T0 + 30000;
  CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0), 0);
  CHECK_EQ(sl_book_apply(b, &q, NULL, 0, T0), 0);
  sl_book_tick(b, T0 + 29999);
  CHECK_EQ(sl_book_count(b), 2);
  sl_book_tick(b, T0 + 30000);
  CHECK_EQ(removed(b, &o), SL_BOOK_EXPIRED);
  CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0 + 30000), SL_EORDER_EXPIRED);
  /* Maker 1 keeps alive; then falls silent for 90 s. */
  sl_book_keepalive(b, sl_identity_public_key(makers[1]), T0 + 60000);
  sl_book_tick(b, T0 + 120000);
  CHECK_EQ(sl_book_count(b), 1);
  sl_book_tick(b, T0 + 150000);
  CHECK_EQ(removed(b, &q), SL_BOOK_MAKER_GONE);
  CHECK_EQ(sl_book_count(b), 0);
  sl_book_free(b);
}

/* Ids that share their first 8 bytes (the bytes the book's tables hash)
 * all land in one run of slots: the tables must still tell them apart by
 * the whole id, through placing, lookups and the deletions that shift a
 * run back. (Such ids cost 2^64 tries each to make; this is the worst
 * case, not a likely one.) */
static void test_shared_prefixes(void) {
  enum { N = 1500 };
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  lim.max_open_per_maker = N;
  lim.maker_burst = 2 * N;
  sl_book *b = NULL;
  CHECK_EQ(sl_book_new(&b, "BTC", "USDT", &lim), 0);
  sl_order o;
  memset(&o, 0, sizeof o);
  o.kind = SL_ORDER_CREATE;
  strcpy(o.base, "BTC");
  strcpy(o.quote, "USDT");
  memcpy(o.maker, sl_identity_public_key(makers[0]), 32);
  o.expires_ms = T0 + 3600000;
  static uint8_t ids[N][32];
  for (uint32_t k = 0; k < N; k++) {
    memset(ids[k], 0xa5, 8);
    ids[k][8] = (uint8_t)k;
    ids[k][31] = (uint8_t)(k >> 8);
    memcpy(o.id, ids[k], 32);
    o.side = k % 2;
    o.price = 100 + k % 7;
    o.amount = 1 + k;
    o.created_ms = T0 + k;
    CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0), 0);
  }
  CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0), 1); /* the last one, known */
  sl_order c;
  memset(&c, 0, sizeof c);
  c.kind = SL_ORDER_CANCEL;
  memcpy(c.maker, o.maker, 32);
  c.created_ms = T0;
  for (uint32_t k = 0; k < N; k += 3) {
    memcpy(c.target, ids[k], 32);
    CHECK_EQ(sl_book_apply(b, &c, NULL, 0, T0), 0);
  }
  size_t resting = 0;
  for (uint32_t k = 0; k < N; k++) {
    bool gone = k % 3 == 0;
    CHECK_EQ(sl_book_remaining(b, ids[k]), gone ? 0 : 1 + k);
    resting += !gone;
    memcpy(o.id, ids[k], 32);
    o.amount = 1 + k;
    if (gone) CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0), SL_EORDER_CANCELLED); /* tombstones too */
  }
  CHECK_EQ(sl_book_count(b), resting);
  sl_book_free(b);
}

static void test_caps(void) {
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  lim.max_open_per_maker = 3;
  lim.maker_burst = 5;
  lim.maker_rate = 1;
  sl_book *b = NULL;
  CHECK_EQ(sl_book_new(&b, "BTC", "USDT", &lim), 0);
  for (int k = 0; k < 3; k++) {
    sl_order o = order(0, SL_ORDER_BID, 100 + (uint64_t)k, 1, T0);
    CHECK_EQ(sl_book_apply(b, &o, NULL, 0, T0), 0);
  }
  sl_order more = order(0, SL_ORDER_BID, 90, 1, T0);
  CHECK_EQ(sl_book_apply(b, &more, NULL, 0, T0), SL_EORDER_LIMIT); /* 3 open orders */
  /* Maker 1 sends cancels (no open-order cap): 5 pass, the 6th is past
   * the rate, and one more passes a second later. */
  for (int k = 0; k < 5; k++) {
    sl_order c = cancel(1, &more, 10 + (uint64_t)k);
    c.target[0] ^= (uint8_t)(k + 1); /* distinct unknown targets */
    CHECK_EQ(sl_book_apply(b, &c, NULL, 0, T0), 0);
  }
  sl_order c6 = cancel(1, &more, 20);
  CHECK_EQ(sl_book_apply(b, &c6, NULL, 0, T0), SL_EORDER_LIMIT);
  CHECK_EQ(sl_book_apply(b, &c6, NULL, 0, T0 + 1000), 0);
  sl_book_free(b);
  /* Cancels of ids never seen leave marks: bounded at twice max_orders,
   * as are updates of unknown orders (they add an order each). */
  lim.max_orders = 4;
  lim.max_open_per_maker = 100;
  lim.maker_burst = 100;
  CHECK_EQ(sl_book_new(&b, "BTC", "USDT", &lim), 0);
  sl_order any = order(2, SL_ORDER_BID, 1, 1, T0);
  for (int k = 0; k < 9; k++) {
    sl_order c = cancel(2, &any, 100 + (uint64_t)k);
    c.target[1] ^= (uint8_t)(k + 1);
    CHECK_EQ(sl_book_apply(b, &c, NULL, 0, T0), k < 8 ? 0 : SL_EORDER_LIMIT);
  }
  for (int k = 0; k < 5; k++) {
    sl_order u = update(2, &any, 2 + (uint64_t)k, 200 + (uint64_t)k);
    u.target[2] ^= (uint8_t)(k + 1); /* unknown targets: each adds an order */
    CHECK_EQ(sl_book_apply(b, &u, NULL, 0, T0), k < 4 ? 0 : SL_EORDER_LIMIT);
  }
  CHECK_EQ(sl_book_count(b), 4);
  sl_book_free(b);
  CHECK_EQ(sl_book_new(&b, "", "USDT", NULL), SL_EORDER_PAIR);
}

/* The design rule: any arrival order of the same messages gives the same
 * book. */
static void list(sl_book *b, uint8_t out[][32], size_t *n) {
  *n = 0;
  for (int side = 0; side < 2; side++)
    for (size_t k = 0; sl_book_at(b, side, k); k++)
      memcpy(out[(*n)++], sl_book_at(b, side, k), 32);
}

static void test_convergence(void) {
  enum { N = 120 };
  static sl_order msgs[N];
  uint64_t r = 99;
  size_t n = 0;
  for (int k = 0; k < 60; k++) {
    r = r * 6364136223846793005ull + 1;
    msgs[n++] = order((int)(r >> 60) & 3, (int)(r >> 40) & 1, 90 + (r >> 33) % 20,
                      1 + (r >> 20) % 9, T0 + (r >> 50) % 1000);
  }
  for (int k = 0; k < 60; k++) {
    r = r * 6364136223846793005ull + 1;
    const sl_order *of = &msgs[(r >> 33) % 60];
    int who = 0;
    while (memcmp(sl_identity_public_key(makers[who]), of->maker, 32))
      who++;
    msgs[n++] = (r >> 40) & 1 ? cancel(who, of, 1000 + (uint64_t)k)
                              : update(who, of, 80 + (r >> 20) % 30, 1000 + (uint64_t)k);
  }
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  lim.maker_burst = 1000;
  static uint8_t first[N][32], other[N][32];
  size_t n_first = 0;
  for (int trial = 0; trial < 8; trial++) {
    sl_book *b = NULL;
    CHECK_EQ(sl_book_new(&b, "BTC", "USDT", &lim), 0);
    size_t order_of[N];
    for (size_t k = 0; k < N; k++)
      order_of[k] = k;
    for (size_t k = N; trial && k > 1; k--) {
      r = r * 6364136223846793005ull + 1;
      size_t j = (r >> 33) % k, t = order_of[k - 1];
      order_of[k - 1] = order_of[j];
      order_of[j] = t;
    }
    for (size_t k = 0; k < N; k++)
      (void)sl_book_apply(b, &msgs[order_of[k]], NULL, 0, T0);
    size_t m;
    list(b, trial ? other : first, trial ? &m : &n_first);
    if (trial) {
      CHECK_EQ(m, n_first);
      CHECK(!memcmp(first, other, m * 32));
    }
    sl_book_free(b);
  }
  CHECK(n_first > 10);
}

/* A message with its signed bytes, as the network carries it. */
typedef struct wired {
  sl_order o;
  uint8_t wire[SL_ORDER_MAX_BYTES];
  size_t len;
} wired;

static wired wire_of(int who, sl_order o) {
  wired w = {.o = o};
  CHECK_EQ(sl_order_seal(&w.o, makers[who], w.wire, sizeof w.wire, &w.len), 0);
  return w;
}

static int apply_wired(sl_book *b, const wired *w) {
  sl_order o;
  CHECK_EQ(sl_order_open(w->wire, w->len, &o), 0);
  return sl_book_apply(b, &o, w->wire, w->len, T0);
}

/* Reconciles b's sync set (client) with a's (server) and applies to b
 * every message it lacked, fetched from a by id. Returns how many. */
static size_t sync_from(sl_book *b, const sl_book *a) {
  sl_neg_item ia[16], ib[16];
  size_t na = sl_book_items(a, ia, 16), nb = sl_book_items(b, ib, 16);
  CHECK(na <= 16 && nb <= 16);
  sl_neg *client = NULL, *server = NULL;
  CHECK_EQ(sl_neg_new(&client, ib, nb, 0), 0);
  CHECK_EQ(sl_neg_new(&server, ia, na, 0), 0);
  const uint8_t *m, *r;
  size_t len, rlen, fetched = 0;
  int rc = sl_neg_initiate(client, &m, &len);
  while (rc == 0) {
    CHECK_EQ(sl_neg_reconcile(server, m, len, &r, &rlen), 0);
    rc = sl_neg_reconcile(client, r, rlen, &m, &len);
    size_t nn;
    const uint8_t *need = sl_neg_need(client, &nn);
    for (size_t k = 0; k < nn; k++, fetched++) {
      const uint8_t *wire;
      size_t wl;
      CHECK_EQ(sl_book_sync_message(a, need + 32 * k, &wire, &wl), 0);
      sl_order o;
      CHECK_EQ(sl_order_open(wire, wl, &o), 0);
      (void)sl_book_apply(b, &o, wire, wl, T0);
    }
  }
  CHECK_EQ(rc, 1);
  sl_neg_free(client);
  sl_neg_free(server);
  return fetched;
}

static void test_sync_set(void) {
  wired o = wire_of(0, order(0, SL_ORDER_ASK, 200, 4, T0 + 10));
  wired u = wire_of(0, update(0, &o.o, 210, 50));
  wired c = wire_of(0, cancel(0, &u.o, 51));
  wired keep = wire_of(1, order(1, SL_ORDER_BID, 150, 2, T0 + 11));
  for (int first_cancel = 0; first_cancel < 2; first_cancel++) {
    sl_book *a = new_book(), *b = new_book();
    CHECK_EQ(apply_wired(a, &o), 0);
    CHECK_EQ(apply_wired(a, &u), 0);
    CHECK_EQ(apply_wired(a, &c), 0);
    CHECK_EQ(apply_wired(a, &keep), 0);
    CHECK_EQ(apply_wired(b, &o), 0); /* b was away for the update and the cancel */
    /* a's set: the resting bid, the cancel, and the update (it replaced o
     * and no longer rests) — not o, which a dropped. */
    sl_neg_item items[8];
    CHECK_EQ(sl_book_items(a, items, 8), 3);
    const uint8_t *wm;
    size_t wl;
    CHECK_EQ(sl_book_sync_message(a, u.o.id, &wm, &wl), 0);
    CHECK_EQ(wl, u.len);
    CHECK_EQ(sl_book_sync_message(a, o.o.id, &wm, &wl), SL_EORDER_UNKNOWN);
    if (first_cancel) CHECK_EQ(apply_wired(b, &c), 0); /* the cancel first: u arrives cancelled */
    CHECK_EQ(sync_from(b, a), first_cancel ? 2 : 3);
    CHECK_EQ(sl_book_remaining(b, o.o.id), 0); /* replaced, even by an update that was cancelled */
    CHECK_EQ(sl_book_count(b), 1);
    uint8_t da[32], db[32];
    sl_book_digest(a, da);
    sl_book_digest(b, db);
    CHECK_MEM(da, db, 32);
    /* ... and a refuses o when b offers it back. */
    CHECK_EQ(apply_wired(a, &o), SL_EORDER_STALE);
    sl_book_digest(a, da);
    CHECK_MEM(da, db, 32);
    uint8_t ids[64];
    CHECK_EQ(sl_book_list(b, SL_ORDER_BID, ids, 2), 1);
    CHECK_MEM(ids, keep.o.id, 32);
    CHECK_EQ(sl_book_list(b, SL_ORDER_ASK, ids, 2), 0);
    sl_book_free(a);
    sl_book_free(b);
  }
}

int main(void) {
  if (sl_init() != 0) return 1;
  for (int k = 0; k < 4; k++) {
    uint8_t seed[32] = {0};
    seed[0] = (uint8_t)(0x40 + k);
    CHECK_EQ(sl_identity_from_seed(&makers[k], seed), 0);
  }
  test_priority_and_depth();
  test_messages();
  test_match_and_fill();
  test_cancel_and_update();
  test_expiry_and_silence();
  test_caps();
  test_shared_prefixes();
  test_convergence();
  test_sync_set();
  for (int k = 0; k < 4; k++)
    sl_identity_free(makers[k]);
  return check_summary("book");
}
