/* bench_book.c — the orderbook benchmark of issue #9: the same seeded
 * sequence of operations (60 % place, 30 % cancel, 10 % taker match) run
 * natively (bench_core's bookOpsPerSec) and as wasm in Node (bench_book,
 * built with the wasm module), so bench/run.js prints both beside
 * nodejs-order-book running the same sequence (bench/book-js.js mirrors
 * the generator). */
#define _POSIX_C_SOURCE 199309L
#include "bench_book.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Book operations a second: a seeded sequence of `ops` (60 %
 * place, 30 % cancel, 10 % taker match) as issue #9 asks of the wasm
 * build. Orders are made beforehand (ids random, not signed: the book
 * takes opened orders), so only the book is timed. A cancel names a
 * placed order that may have been filled since (a tombstone then). */
static uint64_t next(uint64_t *r) {
  *r = *r * 6364136223846793005ull + 1442695040888963407ull;
  return *r >> 33;
}

/* The operations' inputs, compact: what an application would hold. */
typedef struct book_input {
  uint8_t id[32];
  uint64_t price, amount;
  uint8_t side, maker;
} book_input;

double sl_bench_book(size_t ops) {
  enum { MAKERS = 64 };
  book_input *in = calloc(ops, sizeof *in);
  uint32_t *live = malloc(ops * sizeof *live);
  if (!in || !live) exit(1);
  uint64_t r = 42;
  for (size_t k = 0; k < ops; k++) {
    in[k].side = (uint8_t)(next(&r) & 1);
    /* Bids 1000-1099, asks 1100-1199: orders rest, as in a book that does
     * not match on its own; takers take. */
    in[k].price = (in[k].side ? 1100 : 1000) + next(&r) % 100;
    in[k].amount = 1 + next(&r) % 100;
    for (int b = 0; b < 32; b += 4) {
      uint32_t v = (uint32_t)next(&r);
      memcpy(in[k].id + b, &v, 4);
    }
    in[k].maker = (uint8_t)(next(&r) % MAKERS);
  }
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  lim.max_orders = (uint32_t)ops;
  lim.max_open_per_maker = (uint32_t)ops;
  lim.maker_burst = (uint32_t)ops;
  sl_book *b;
  if (sl_book_new(&b, "BTC", "USDT", &lim) != 0) exit(1);
  static sl_order o, cancel; /* opened messages, as the network layer hands them over */
  o.kind = SL_ORDER_CREATE;
  strcpy(o.base, "BTC");
  strcpy(o.quote, "USDT");
  cancel.kind = SL_ORDER_CANCEL;
  sl_book_fill fills[16];
  size_t placed = 0, n_live = 0, matched = 0;
  double t = bench_now();
  for (size_t k = 0; k < ops; k++) {
    uint32_t dice = (uint32_t)(next(&r) % 10);
    if (dice < 6 || n_live == 0) {
      const book_input *x = &in[placed];
      memcpy(o.id, x->id, 32);
      o.maker[0] = x->maker;
      o.side = x->side;
      o.price = x->price;
      o.amount = x->amount;
      o.created_ms = 1000000 + placed;
      o.expires_ms = o.created_ms + 3600000;
      o.seq = placed;
      if (sl_book_apply(b, &o, NULL, 0, 1000000) == 0) live[n_live++] = (uint32_t)placed;
      placed++;
    } else if (dice < 9) {
      size_t j = next(&r) % n_live;
      const book_input *x = &in[live[j]];
      cancel.maker[0] = x->maker;
      memcpy(cancel.target, x->id, 32);
      cancel.created_ms = 1000000;
      if (sl_book_apply(b, &cancel, NULL, 0, 1000000) != 0) exit(1);
      live[j] = live[--n_live];
    } else {
      /* A taker: what it would fill, then filled (as a matching engine's
       * market order does). */
      int side = (int)(next(&r) & 1);
      uint64_t amount = 1 + next(&r) % 300;
      size_t n = sl_book_match(b, side, amount, 0, NULL, fills, 16);
      for (size_t f = 0; f < n; f++)
        if (sl_book_filled(b, fills[f].id, fills[f].amount) != 0) exit(1);
      matched += n;
    }
  }
  double dt = bench_now() - t;
  sl_book_removal rm;
  while (sl_book_next_removed(b, &rm) == 1) {
  }
  sl_book_free(b);
  free(in);
  free(live);
  (void)matched;
  return ops / dt;
}

#ifdef SL_BENCH_BOOK_MAIN
#include <stdio.h>

int main(int argc, char **argv) {
  if (sl_init() != 0) return 1;
  size_t ops = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1000000;
  printf("{\"bookOpsPerSec\":%.0f}\n", sl_bench_book(ops));
  return 0;
}
#endif

/* ------------------------------------------------------------------ sync */

/* Carries frames between two sessions until both are quiet; returns the
 * round trips (one per turn from the first session to the second and
 * back in which anything moved). */
static int pump(sl_booksync *a, sl_booksync *b, uint64_t now) {
  int trips = 0;
  for (bool moved = true; moved;) {
    moved = false;
    sl_booksync *from[2] = {a, b}, *to[2] = {b, a};
    bool turn = false;
    for (int k = 0; k < 2; k++) {
      int type;
      const uint8_t *p;
      size_t len;
      while (sl_booksync_next(from[k], &type, &p, &len)) {
        if (sl_booksync_receive(to[k], type, p, len, now) < 0) exit(1);
        moved = turn = true;
      }
    }
    trips += turn;
  }
  return trips;
}

static sl_book *bench_book_new(size_t n) {
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  lim.max_orders = (uint32_t)n * 2;
  lim.max_open_per_maker = (uint32_t)n * 2;
  sl_book *b;
  if (sl_book_new(&b, "BTC", "USDT", &lim) != 0) exit(1);
  return b;
}

void sl_bench_sync(size_t n, size_t missing, sl_bench_sync_result *out) {
  enum { MAKERS = 16 };
  const uint64_t now = 1764676800000ull;
  sl_identity *makers[MAKERS];
  for (int k = 0; k < MAKERS; k++) {
    uint8_t seed[32] = {(uint8_t)k, 0x5b};
    if (sl_identity_from_seed(&makers[k], seed) != 0) exit(1);
  }
  sl_book *a = bench_book_new(n), *b = bench_book_new(n), *empty = bench_book_new(n);
  uint64_t r = 7;
  for (size_t k = 0; k < n; k++) {
    sl_order o;
    memset(&o, 0, sizeof o);
    o.kind = SL_ORDER_CREATE;
    strcpy(o.base, "BTC");
    strcpy(o.quote, "USDT");
    o.side = (int)(next(&r) & 1);
    o.price = (o.side ? 1100 : 1000) + next(&r) % 100;
    o.amount = 1 + next(&r) % 1000;
    o.created_ms = now - 3600000 + k; /* the last hour, a millisecond apart */
    o.expires_ms = o.created_ms + 7200000;
    o.seq = k;
    uint8_t wire[SL_ORDER_MAX_BYTES];
    size_t len;
    if (sl_order_seal(&o, makers[k % MAKERS], wire, sizeof wire, &len) != 0) exit(1);
    /* Opened orders straight into the books: sealing made them valid. */
    if (sl__book_apply_synced(a, &o, wire, len, now) != 0) exit(1);
    bool lacks = missing && k % (n / missing) == 0; /* spread over the whole set */
    if (!lacks && sl__book_apply_synced(b, &o, wire, len, now) != 0) exit(1);
  }
  sl_booksync *sa, *sb, *se;
  if (sl_booksync_new(&sa, a, NULL) || sl_booksync_new(&sb, b, NULL) ||
      sl_booksync_new(&se, empty, NULL))
    exit(1);
  if (sl_booksync_start(sb, 0) != 0) exit(1);
  out->round_trips = pump(sb, sa, now);
  const sl_booksync_stats *st = sl_booksync_stats_of(sb);
  out->bytes = (double)(st->bytes_in + st->bytes_out);
  out->received = st->received;
  uint8_t da[32], db[32];
  sl_book_digest(a, da);
  sl_book_digest(b, db);
  out->same = !memcmp(da, db, 32);
  if (sl_booksync_start(se, 1) != 0) exit(1); /* the snapshot, from nothing */
  out->snapshot_round_trips = pump(se, sa, now);
  out->snapshot_bytes =
      (double)(sl_booksync_stats_of(se)->bytes_in + sl_booksync_stats_of(se)->bytes_out);
  sl_booksync_free(sa);
  sl_booksync_free(sb);
  sl_booksync_free(se);
  sl_book_free(a);
  sl_book_free(b);
  sl_book_free(empty);
  for (int k = 0; k < MAKERS; k++)
    sl_identity_free(makers[k]);
}
