/* bench_book.h — the orderbook benchmark (bench_book.c). */
#ifndef SL_BENCH_BOOK_H
#define SL_BENCH_BOOK_H

#include "internal.h"

/* Runs ops operations of the seeded sequence; returns operations a second. */
double sl_bench_book(size_t ops);

typedef struct sl_bench_sync_result {
  double bytes, snapshot_bytes; /* both directions, frame payloads */
  int round_trips, snapshot_round_trips;
  unsigned received;
  int same; /* the books' digests agree afterwards */
} sl_bench_sync_result;

/* Two books of n signed orders, one lacking `missing` of them spread over
 * the set: reconciliation's bytes and round trips, and a whole snapshot's. */
void sl_bench_sync(size_t n, size_t missing, sl_bench_sync_result *out);

#endif
