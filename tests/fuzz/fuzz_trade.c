/* fuzz_trade.c — a maker's and a taker's trade driven by a script of
 * operations: honest wallet steps, deliveries, messages with fuzzed fields
 * signed by the counterparty (so that every parser behind the signature is
 * reached), raw bytes, ticks, cancels and fuzzed PSBTs from the wallet.
 * Whatever happens: no crash, no state going back, and a save loads back
 * to the same bytes. Raw input also goes to the peek and load parsers. */
#include "../c/trade_util.h"

#include <sodium.h>
#include <stdlib.h>

static sl_identity *ids[2];
static sl_order order;
static sl_trade_output outs[2]; /* the maker's, the taker's */

static void setup(void) {
  if (ids[0]) return;
  uint8_t seed[32] = {1};
  if (sl_init() != 0 || sl_identity_from_seed(&ids[0], seed) != 0) abort();
  seed[0] = 2;
  if (sl_identity_from_seed(&ids[1], seed) != 0) abort();
  memset(&order, 0, sizeof order);
  order.kind = SL_ORDER_CREATE;
  strcpy(order.base, "BTC");
  strcpy(order.quote, "USDT");
  order.price = 100;
  order.amount = 100000;
  order.created_ms = TRADE_T0;
  order.expires_ms = TRADE_T0 + 3600000;
  uint8_t wire[SL_ORDER_MAX_BYTES];
  size_t len;
  if (sl_order_seal(&order, ids[0], wire, sizeof wire, &len) != 0) abort();
  outs[0] = trade_out(0x11, 400000);
  outs[1] = trade_out(0x22, 5000);
}

typedef struct script {
  const uint8_t *p, *end;
} script;

static size_t take_len(script *s, const uint8_t **bytes) {
  if (s->end - s->p < 2) {
    s->p = s->end;
    return 0;
  }
  size_t n = (size_t)s->p[0] << 8 | s->p[1];
  s->p += 2;
  if (n > (size_t)(s->end - s->p)) n = (size_t)(s->end - s->p);
  *bytes = s->p;
  s->p += n;
  return n;
}

static void deliver(sl_trade *from, sl_trade *to, uint64_t now) {
  int type;
  const uint8_t *m;
  size_t n;
  while (sl_trade_next(from, &type, &m, &n))
    (void)sl_trade_receive(to, m, n, now);
}

static void honest(sl_trade *t, uint64_t now) {
  const sl_trade_info *i = sl_trade_info_of(t);
  uint8_t p[1024];
  if (i->want == SL_TRADE_WANT_DECISION) {
    (void)sl_trade_accept(t, &outs[0], now);
  } else if (i->want == SL_TRADE_WANT_BROADCAST) {
    uint8_t txid[32] = {5};
    (void)sl_trade_give_txid(t, txid, now);
  } else if (i->want) {
    /* To the terms the trade holds: fuzzed messages may have changed them. */
    size_t n = wallet_psbt(i->want, i->role, &i->maker_out, &i->taker_out, 0, p);
    (void)sl_trade_give_psbt(t, p, n, now);
  }
}

/* fields = step | the step's fields; signed by `who` for trade `id`. */
static void forged(sl_trade *to, const sl_identity *who, const uint8_t *f, size_t n, uint64_t now) {
  if (!n) return;
  uint8_t *m = malloc(66 + n - 1 + 64);
  m[0] = 1;
  m[1] = f[0];
  memcpy(m + 2, sl_trade_info_of(to)->id, 32);
  memcpy(m + 34, sl_identity_public_key(who), 32);
  memcpy(m + 66, f + 1, n - 1);
  uint8_t d[48];
  memcpy(d, "starling-trade/1", 16);
  crypto_hash_sha256(d + 16, m, 66 + n - 1);
  if (sl_identity_sign(who, d, sizeof d, m + 66 + n - 1) != 0) abort();
  (void)sl_trade_receive(to, m, 66 + n - 1 + 64, now);
  free(m);
}

static const int RANK[] = {0, 0, 0, 0, 0, 0, 0, 5, 2, 4, 1, 3};

static void check(sl_trade *t, int *last, const sl_identity *me) {
  int s = sl_trade_info_of(t)->state;
  if (*last >= SL_TRADE_COMPLETED ? s != *last && RANK[s] <= RANK[*last] : s < *last) abort();
  *last = s;
  uint8_t *a, *b;
  size_t an, bn;
  sl_trade *back;
  if (sl_trade_save(t, &a, &an) != 0 || sl_trade_load(&back, NULL, me, a, an) != 0 ||
      sl_trade_save(back, &b, &bn) != 0 || an != bn || memcmp(a, b, an) != 0)
    abort();
  free(a);
  free(b);
  sl_trade_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  sl_trade_head h;
  (void)sl_trade_peek(data, size, &h);
  sl_trade *loaded;
  if (sl_trade_load(&loaded, NULL, ids[0], data, size) == 0) sl_trade_free(loaded);
  uint64_t now = TRADE_T0 + 1000;
  sl_trade *t[2] = {NULL, NULL}; /* maker, taker */
  static const uint8_t nonce[16] = {1};
  if (sl_trade_propose(&t[1], NULL, ids[1], &order, 5000, &outs[1], nonce, now) != 0) abort();
  int type;
  const uint8_t *m;
  size_t n;
  if (!sl_trade_next(t[1], &type, &m, &n) ||
      sl_trade_incoming(&t[0], NULL, ids[0], &order, order.amount, m, n, now) != 0)
    abort();
  int last[2] = {0, 0};
  script s = {data, data + size};
  while (s.p < s.end) {
    uint8_t op = *s.p++;
    int k = op >> 3 & 1; /* the side the operation is about */
    const uint8_t *b = NULL;
    size_t bn;
    switch (op & 7) {
    case 0:
    case 1:
      honest(t[op & 1], now);
      break;
    case 2:
    case 3:
      deliver(t[op & 1], t[!(op & 1)], now);
      break;
    case 4:
      bn = take_len(&s, &b);
      forged(t[k], ids[!k], b, bn, now);
      break;
    case 5:
      bn = take_len(&s, &b);
      (void)sl_trade_receive(t[k], b, bn, now);
      break;
    case 6:
      bn = take_len(&s, &b);
      now += (uint64_t)bn * 1000 + 1;
      sl_trade_tick(t[k], now);
      break;
    default:
      bn = take_len(&s, &b);
      if (op & 16)
        (void)sl_trade_cancel(t[k], NULL, now);
      else
        (void)sl_trade_give_psbt(t[k], b, bn, now);
    }
    check(t[0], &last[0], ids[0]);
    check(t[1], &last[1], ids[1]);
  }
  sl_trade_free(t[0]);
  sl_trade_free(t[1]);
  return 0;
}
