/* trade_util.h — what the trade tests and the trade fuzzer share: an order
 * to trade on, the two outputs of the terms, and a wallet that builds
 * version 0 PSBTs of the swap (the maker's input, the taker's input, both
 * outputs), signed on the inputs asked for. */
#ifndef SL_TRADE_UTIL_H
#define SL_TRADE_UTIL_H

#include "internal.h"

#include <string.h>

#define TRADE_T0 1764676800000ull

static inline void put_le(uint8_t *p, uint64_t v, int n) {
  for (int k = 0; k < n; k++)
    p[k] = (uint8_t)(v >> (8 * k));
}

/* A swap's PSBT: inputs (txid byte, vout) from `ins`, outputs paying
 * `outs`; input k carries a partial signature when bit k of `signed_by`
 * is set. Returns the length (out needs 1024 bytes). */
static inline size_t swap_psbt(uint8_t *out, const uint8_t *ins, size_t nin,
                               const sl_trade_output *const *outs, size_t nout,
                               unsigned signed_by) {
  size_t at = 0;
  memcpy(out, "psbt\xff", 5);
  at = 5;
  uint8_t tx[512];
  size_t n = 0;
  put_le(tx, 2, 4);
  n = 4;
  tx[n++] = (uint8_t)nin;
  for (size_t k = 0; k < nin; k++) {
    memset(tx + n, ins[k], 32);
    put_le(tx + n + 32, k, 4);
    tx[n + 36] = 0; /* empty scriptSig */
    put_le(tx + n + 37, 0xffffffffu, 4);
    n += 41;
  }
  tx[n++] = (uint8_t)nout;
  for (size_t k = 0; k < nout; k++) {
    put_le(tx + n, outs[k]->value, 8);
    tx[n + 8] = (uint8_t)outs[k]->script_len;
    memcpy(tx + n + 9, outs[k]->script, outs[k]->script_len);
    n += 9 + outs[k]->script_len;
  }
  put_le(tx + n, 0, 4);
  n += 4;
  out[at++] = 1; /* key: PSBT_GLOBAL_UNSIGNED_TX */
  out[at++] = 0;
  out[at++] = (uint8_t)(n < 253 ? n : 253);
  if (n >= 253) {
    put_le(out + at, n, 2);
    at += 2;
  }
  memcpy(out + at, tx, n);
  at += n;
  out[at++] = 0;
  for (size_t k = 0; k < nin; k++) {
    if (signed_by >> k & 1) {
      out[at++] = 34; /* key: PSBT_IN_PARTIAL_SIG | a compressed public key */
      out[at++] = 2;
      out[at++] = 2;
      memset(out + at, 0x40 + (int)k, 32);
      at += 32;
      out[at++] = 8; /* a stand-in signature: the core never checks it */
      memset(out + at, 0x30 + (int)k, 8);
      at += 8;
    }
    out[at++] = 0;
  }
  for (size_t k = 0; k < nout; k++)
    out[at++] = 0;
  return at;
}

static inline sl_trade_output trade_out(uint8_t tag, uint64_t value) {
  sl_trade_output o;
  memset(&o, 0, sizeof o);
  o.script_len = 22; /* P2WPKH: OP_0 <20 bytes> */
  o.script[0] = 0;
  o.script[1] = 20;
  memset(o.script + 2, tag, 20);
  o.value = value;
  return o;
}

/* The wallet's PSBT for a want: the maker funds (its input), the taker
 * adds its input, each signs its own. `short_by` pays the maker's output
 * less (a cheating taker). */
static inline size_t wallet_psbt(int want, int role, const sl_trade_output *maker_out,
                                 const sl_trade_output *taker_out, uint64_t short_by,
                                 uint8_t out[1024]) {
  static const uint8_t ins[2] = {0xa1, 0xb2};
  sl_trade_output m = *maker_out;
  m.value -= short_by < m.value ? short_by : 0;
  const sl_trade_output *outs[2] = {taker_out, &m};
  if (want == SL_TRADE_WANT_PSBT) return swap_psbt(out, ins, 1, outs, 2, 0);
  if (want == SL_TRADE_WANT_UPDATE) return swap_psbt(out, ins, 2, outs, 2, 0);
  return swap_psbt(out, ins, 2, outs, 2, role == SL_TRADE_MAKER ? 1u : 2u);
}

#endif
