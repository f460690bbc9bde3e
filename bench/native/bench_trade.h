/* bench_trade.h — the trade benchmark (bench_trade.c). */
#ifndef SL_BENCH_TRADE_H
#define SL_BENCH_TRADE_H

#include "internal.h"

/* Receives every message of `trades` whole trades; returns messages a
 * second (0 if one was refused) and the messages of one trade. */
double sl_bench_trade(size_t trades, size_t *messages_per_trade);

#endif
