/* test_booksync.c — two books syncing through their sessions' frames:
 * reconciliation brings both to the same digest (orders, cancels and
 * updates either side lacked) in a few rounds, each message once when both
 * sides start at once; the snapshot fallback pages
 * a book of 2,500 orders; refusals for orders nobody asked for, a foreign
 * pair, malformed payloads and replies outside a session; and the
 * messages a live delta must pass (fresh, signed, this pair). */
#include "check.h"
#include "internal.h"

#define T0 1764676800000ull
#define NOW (T0 + 60000)

static sl_identity *makers[3];

typedef struct wired {
  uint8_t wire[SL_ORDER_MAX_BYTES];
  size_t len;
  sl_order o;
} wired;

static wired make(int who, int kind, int side, uint64_t price, uint64_t created,
                  const uint8_t *target) {
  wired w;
  memset(&w.o, 0, sizeof w.o);
  w.o.kind = kind;
  strcpy(w.o.base, "BTC");
  strcpy(w.o.quote, "USDT");
  w.o.side = side;
  w.o.price = price;
  w.o.amount = 1000 + price % 7;
  w.o.created_ms = created;
  w.o.expires_ms = created + 3600000;
  w.o.seq = created;
  if (target) memcpy(w.o.target, target, 32);
  CHECK_EQ(sl_order_seal(&w.o, makers[who], w.wire, sizeof w.wire, &w.len), 0);
  return w;
}

static sl_book *book(void) {
  sl_book_limits l;
  sl_book_limits_default(&l);
  l.max_open_per_maker = 100000; /* three makers place thousands here */
  l.maker_rate = 1000000;
  l.maker_burst = 1000000;
  sl_book *b = NULL;
  CHECK_EQ(sl_book_new(&b, "BTC", "USDT", &l), 0);
  return b;
}

static int put(sl_book *b, const wired *w) {
  return sl_book_receive(b, w->wire, w->len, NOW, 120000, 1, NULL);
}

/* Carries frames both ways until both sessions are quiet; returns the
 * number of frames. */
static size_t pump(sl_booksync *a, sl_booksync *b) {
  size_t frames = 0;
  for (bool moved = true; moved;) {
    moved = false;
    sl_booksync *from[2] = {a, b}, *to[2] = {b, a};
    for (int k = 0; k < 2; k++) {
      int type;
      const uint8_t *p;
      size_t len;
      while (sl_booksync_next(from[k], &type, &p, &len)) {
        CHECK_EQ(sl_booksync_receive(to[k], type, p, len, NOW), 0);
        moved = true;
        frames++;
      }
    }
  }
  return frames;
}

static void same_digest(const sl_book *a, const sl_book *b) {
  uint8_t da[32], db[32];
  sl_book_digest(a, da);
  sl_book_digest(b, db);
  CHECK_MEM(da, db, 32);
}

static void test_reconcile(void) {
  sl_book *a = book(), *b = book();
  static wired w[3000];
  for (int k = 0; k < 3000; k++) /* prices cross no spread: nothing here matches */
    w[k] = make(k % 3, SL_ORDER_CREATE, k % 2, k % 2 ? 60000 + k : 50000 - k, T0 + k, NULL);
  for (int k = 0; k < 3000; k++) {
    if (k % 10 != 1) CHECK_EQ(put(a, &w[k]), 0); /* a lacks 300 */
    if (k % 10 != 2) CHECK_EQ(put(b, &w[k]), 0); /* b lacks another 300 */
  }
  /* b cancels one that a holds; a updates one that b holds. */
  wired c = make(0, SL_ORDER_CANCEL, 0, 0, T0 + 5000, w[3].o.id);
  wired u = make(1, SL_ORDER_UPDATE, 1, 61234, T0 + 5001, w[4].o.id);
  CHECK_EQ(put(b, &c), 0);
  CHECK_EQ(put(a, &u), 0);
  sl_booksync *sa = NULL, *sb = NULL;
  CHECK_EQ(sl_booksync_new(&sa, a, NULL), 0);
  CHECK_EQ(sl_booksync_new(&sb, b, NULL), 0);
  /* Both start at once (as on connect): each id is asked for once. */
  CHECK_EQ(sl_booksync_start(sa, 0), 0);
  CHECK_EQ(sl_booksync_start(sb, 0), 0);
  pump(sa, sb);
  same_digest(a, b);
  CHECK_EQ(sl_book_count(a),
           3000 - 1); /* all orders, less the cancelled; the update replaced one */
  const sl_booksync_stats *st = sl_booksync_stats_of(sa);
  CHECK(st->done);
  CHECK(st->rounds <= 4);
  CHECK_EQ(st->received, 300 + 1);                       /* b's 300 and its cancel */
  CHECK_EQ(sl_booksync_stats_of(sb)->received, 300 + 1); /* a's 300 and its update */
  CHECK_EQ(sl_booksync_waiting(sa), 0);
  CHECK(st->bytes_in < 3000 * 168 / 2); /* a fifth differs: still half a snapshot's bytes */

  /* In sync now: another round moves no orders. */
  uint32_t before = st->received;
  CHECK_EQ(sl_booksync_start(sb, 0), 0);
  pump(sa, sb);
  CHECK_EQ(sl_booksync_stats_of(sb)->received, 301);
  CHECK_EQ(st->received, before);
  CHECK(sl_booksync_stats_of(sb)->done);
  sl_booksync_free(sa);
  sl_booksync_free(sb);
  sl_book_free(a);
  sl_book_free(b);
}

static void test_snapshot(void) {
  sl_book *a = book(), *b = book();
  static wired w[2500];
  for (int k = 0; k < 2500; k++) {
    w[k] = make(k % 3, SL_ORDER_CREATE, k % 2, k % 2 ? 60000 + k : 50000 - k, T0 + k / 2, NULL);
    CHECK_EQ(put(a, &w[k]), 0);
  }
  sl_booksync *sa = NULL, *sb = NULL;
  CHECK_EQ(sl_booksync_new(&sa, a, NULL), 0);
  CHECK_EQ(sl_booksync_new(&sb, b, NULL), 0);
  CHECK_EQ(sl_booksync_start(sb, 1), 0);
  pump(sa, sb);
  same_digest(a, b);
  CHECK_EQ(sl_booksync_stats_of(sb)->received, 2500);
  CHECK(sl_booksync_stats_of(sb)->rounds >= 3); /* pages of at most 1,000 */
  CHECK(sl_booksync_stats_of(sb)->done);
  sl_booksync_free(sa);
  sl_booksync_free(sb);
  sl_book_free(a);
  sl_book_free(b);
}

static size_t frame(uint8_t *out, int op, const char *pair) {
  size_t n = 0, pl = strlen(pair);
  if (op) out[n++] = (uint8_t)op;
  out[n++] = (uint8_t)pl;
  memcpy(out + n, pair, pl);
  return n + pl;
}

static void test_refusals(void) {
  sl_book *b = book();
  sl_booksync *s = NULL;
  CHECK_EQ(sl_booksync_new(&s, b, NULL), 0);
  wired o = make(0, SL_ORDER_CREATE, 0, 100, NOW - 1000, NULL);
  uint8_t f[1024];
  size_t n = frame(f, 6 /* ORDERS */, "BTC-USDT");
  f[n++] = 0;
  f[n++] = 1;
  f[n++] = (uint8_t)(o.len >> 8);
  f[n++] = (uint8_t)o.len;
  memcpy(f + n, o.wire, o.len);
  n += o.len;
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_SYNC, f, n, NOW), SL_ESYNC_UNASKED);
  CHECK_EQ(sl_book_count(b), 0);
  CHECK_EQ(sl_booksync_stats_of(s)->refused, 1);
  /* A truncated list: malformed. */
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_SYNC, f, n - 1, NOW), SL_ESYNC_MALFORMED);
  size_t m = frame(f, 6, "ETH-USDT");
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_SYNC, f, m, NOW), SL_EORDER_PAIR);
  m = frame(f, 3 /* NEG_REPLY */, "BTC-USDT");
  f[m++] = 0x61;
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_SYNC, f, m, NOW), SL_ESTATE);
  m = frame(f, 99, "BTC-USDT");
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_SYNC, f, m, NOW), SL_ESYNC_MALFORMED);
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_SYNC, f, 0, NOW), SL_ESYNC_MALFORMED);
  /* A WANT of more than 1,000 ids. */
  m = frame(f, 5, "BTC-USDT");
  f[m++] = 0x03;
  f[m++] = 0xe9;
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_SYNC, f, m, NOW), SL_ESYNC_MALFORMED);
  /* A snapshot page nobody asked for. */
  m = frame(f, 0, "BTC-USDT");
  f[m++] = 0;
  f[m++] = 0;
  f[m++] = 0;
  CHECK_EQ(sl_booksync_receive(s, SL_FRAME_ORDERBOOK_RESPONSE, f, m, NOW), SL_ESYNC_UNASKED);

  /* Live deltas: fresh and signed; synced ones may be old. */
  CHECK_EQ(sl_book_receive(b, o.wire, o.len, NOW, 120000, 0, NULL), 0);
  wired old = make(1, SL_ORDER_CREATE, 0, 101, NOW - 600000, NULL);
  CHECK_EQ(sl_book_receive(b, old.wire, old.len, NOW, 120000, 0, NULL), SL_EORDER_SKEW);
  CHECK_EQ(sl_book_receive(b, old.wire, old.len, NOW, 120000, 1, NULL), 0);
  wired future = make(1, SL_ORDER_CREATE, 0, 102, NOW + 600000, NULL);
  CHECK_EQ(sl_book_receive(b, future.wire, future.len, NOW, 120000, 1, NULL), SL_EORDER_SKEW);
  wired stale = make(1, SL_ORDER_CREATE, 0, 103, NOW - 3600000, NULL); /* expired at NOW */
  CHECK_EQ(sl_book_receive(b, stale.wire, stale.len, NOW, 120000, 1, NULL), SL_EORDER_EXPIRED);
  o.wire[o.len - 1] ^= 1;
  CHECK_EQ(sl_book_receive(b, o.wire, o.len, NOW, 120000, 0, NULL), SL_EORDER_SIGNATURE);
  sl_booksync_free(s);
  sl_book_free(b);
}

int main(void) {
  if (sl_init() != 0) return 1;
  for (int k = 0; k < 3; k++) {
    uint8_t seed[32] = {(uint8_t)(k + 40)};
    CHECK_EQ(sl_identity_from_seed(&makers[k], seed), 0);
  }
  test_reconcile();
  test_snapshot();
  test_refusals();
  for (int k = 0; k < 3; k++)
    sl_identity_free(makers[k]);
  return check_summary("booksync");
}
