/* bench_trade.c — trade messages validated per second: every message of a
 * whole trade (proposal, acceptance, the four PSBT steps, the broadcast),
 * each received by its side in the state it arrives in (restored from a
 * save taken just before). Receiving is what a peer does for every
 * message: parse, check the signature, the step and the PSBT's terms,
 * combine. Built natively (bench_core) and by Emscripten (bench_trade.cjs). */
#define _POSIX_C_SOURCE 199309L
#include "bench_trade.h"

#include "../../tests/c/trade_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct recorded {
  uint8_t *before; /* the receiver, saved; NULL: the proposal (a new trade) */
  size_t before_len;
  uint8_t *msg;
  size_t len;
  int to; /* 0 maker, 1 taker */
} recorded;

typedef struct fixture {
  sl_identity *ids[2];
  sl_order order;
  sl_trade_output outs[2];
  recorded r[8];
  size_t n;
} fixture;

/* The side's next messages, recorded with the other side saved first. */
static int record(fixture *f, sl_trade *from, sl_trade *to, int to_role) {
  int type;
  const uint8_t *m;
  size_t len;
  while (sl_trade_next(from, &type, &m, &len)) {
    recorded *r = &f->r[f->n++];
    if (sl_trade_save(to, &r->before, &r->before_len) != 0) return -1;
    r->msg = malloc(len);
    memcpy(r->msg, m, len);
    r->len = len;
    r->to = to_role;
    if (sl_trade_receive(to, r->msg, len, TRADE_T0 + 1000) != 0) return -1;
  }
  return 0;
}

static int act(fixture *f, sl_trade *t) {
  const sl_trade_info *i = sl_trade_info_of(t);
  uint8_t p[1024];
  if (i->want == SL_TRADE_WANT_DECISION) return sl_trade_accept(t, &f->outs[0], TRADE_T0 + 1000);
  if (i->want == SL_TRADE_WANT_BROADCAST) {
    uint8_t txid[32] = {1};
    return sl_trade_give_txid(t, txid, TRADE_T0 + 1000);
  }
  size_t n = wallet_psbt(i->want, i->role, &f->outs[0], &f->outs[1], 0, p);
  return sl_trade_give_psbt(t, p, n, TRADE_T0 + 1000);
}

static int build(fixture *f) {
  uint8_t seed[32] = {1};
  if (sl_identity_from_seed(&f->ids[0], seed) != 0) return -1;
  seed[0] = 2;
  if (sl_identity_from_seed(&f->ids[1], seed) != 0) return -1;
  sl_order *o = &f->order;
  o->kind = SL_ORDER_CREATE;
  strcpy(o->base, "BTC");
  strcpy(o->quote, "USDT");
  o->price = 100;
  o->amount = 100000;
  o->created_ms = TRADE_T0;
  o->expires_ms = TRADE_T0 + 3600000;
  uint8_t wire[SL_ORDER_MAX_BYTES];
  size_t len;
  if (sl_order_seal(o, f->ids[0], wire, sizeof wire, &len) != 0) return -1;
  f->outs[0] = trade_out(0x11, 400000);
  f->outs[1] = trade_out(0x22, 5000);
  static const uint8_t nonce[16] = {1};
  sl_trade *m = NULL, *t = NULL;
  if (sl_trade_propose(&t, NULL, f->ids[1], o, 5000, &f->outs[1], nonce, TRADE_T0 + 1000) != 0)
    return -1;
  int type;
  const uint8_t *p;
  if (!sl_trade_next(t, &type, &p, &len)) return -1;
  recorded *r = &f->r[f->n++];
  r->msg = malloc(len);
  memcpy(r->msg, p, len);
  r->len = len;
  if (sl_trade_incoming(&m, NULL, f->ids[0], o, o->amount, p, len, TRADE_T0 + 1000) != 0) return -1;
  int rc = 0;
  while (!rc && sl_trade_info_of(m)->state < SL_TRADE_COMPLETED) {
    bool maker = sl_trade_info_of(m)->want != SL_TRADE_WANT_NOTHING;
    sl_trade *who = maker ? m : t;
    rc = act(f, who);
    if (!rc) rc = record(f, who, maker ? t : m, maker ? 1 : 0);
  }
  sl_trade_free(m);
  sl_trade_free(t);
  return rc;
}

double sl_bench_trade(size_t trades, size_t *messages_per_trade) {
  fixture f;
  memset(&f, 0, sizeof f);
  if (build(&f) != 0) return 0;
  *messages_per_trade = f.n;
  double t0 = now_s();
  size_t ok = 0;
  for (size_t k = 0; k < trades; k++) {
    for (size_t j = 0; j < f.n; j++) {
      recorded *r = &f.r[j];
      sl_trade *x = NULL;
      if (!r->before) {
        ok += sl_trade_incoming(&x, NULL, f.ids[0], &f.order, f.order.amount, r->msg, r->len,
                                TRADE_T0 + 1000) == 0;
      } else if (sl_trade_load(&x, NULL, f.ids[r->to], r->before, r->before_len) == 0) {
        ok += sl_trade_receive(x, r->msg, r->len, TRADE_T0 + 1000) == 0;
      }
      sl_trade_free(x);
    }
  }
  double dt = now_s() - t0;
  for (size_t j = 0; j < f.n; j++) {
    free(f.r[j].before);
    free(f.r[j].msg);
  }
  sl_identity_free(f.ids[0]);
  sl_identity_free(f.ids[1]);
  return ok == trades * f.n ? (double)ok / dt : 0;
}

#ifdef SL_BENCH_TRADE_MAIN
#include <stdio.h>

int main(int argc, char **argv) {
  if (sl_init() != 0) return 1;
  size_t trades = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 2000, per = 0;
  double rate = sl_bench_trade(trades, &per);
  printf("{\"tradeMessagesPerSec\":%.0f,\"messagesPerTrade\":%zu}\n", rate, per);
  return rate > 0 ? 0 : 1;
}
#endif
