/* bench_core.c — native reference numbers for bench/run.js: the same
 * operations the wasm build is measured on, printed as one JSON object. */
#define _POSIX_C_SOURCE 199309L
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void must(int rc) {
  if (rc != 0) {
    fprintf(stderr, "bench: %s\n", sl_strerror(rc));
    exit(1);
  }
}

/* MB/s of encrypt + decrypt of 16 KiB records (plaintext bytes). */
static double bench_session(void) {
  uint8_t k1[32] = {1}, k2[32] = {2};
  sl_session *a, *b;
  must(sl__session_new(&a, k1, k2));
  must(sl__session_new(&b, k2, k1));
  static uint8_t pt[SL_RECORD_MAX_PLAINTEXT], rec[SL_RECORD_MAX_BYTES], back[SL_RECORD_MAX_BYTES];
  size_t n;
  int iters = 20000;
  double t = now();
  for (int i = 0; i < iters; i++) {
    must(sl_session_encrypt(a, pt, sizeof pt, rec, sizeof rec, &n));
    must(sl_session_decrypt(b, rec, n, back, sizeof back, &n));
  }
  double dt = now() - t;
  sl_session_free(a);
  sl_session_free(b);
  return (double)iters * sizeof pt / dt / 1e6;
}

static void bench_sign_verify(double *signs, double *verifies) {
  sl_identity *id;
  uint8_t seed[32] = {3}, msg[64] = {0}, sig[64];
  must(sl_identity_from_seed(&id, seed));
  int iters = 20000;
  double t = now();
  for (int i = 0; i < iters; i++)
    must(sl_identity_sign(id, msg, sizeof msg, sig));
  *signs = iters / (now() - t);
  t = now();
  for (int i = 0; i < iters / 2; i++)
    must(sl_verify(sl_identity_public_key(id), msg, sizeof msg, sig));
  *verifies = (iters / 2) / (now() - t);
  sl_identity_free(id);
}

static double bench_handshakes(void) {
  sl_identity *ia, *ib;
  uint8_t seed[32] = {4};
  must(sl_identity_from_seed(&ia, seed));
  seed[0] = 5;
  must(sl_identity_from_seed(&ib, seed));
  int iters = 1000;
  uint8_t msg[512], out[512];
  size_t len, plen;
  double t = now();
  for (int i = 0; i < iters; i++) {
    sl_handshake *a, *b;
    must(sl_handshake_new(&a, ia, 1, NULL, 0));
    must(sl_handshake_new(&b, ib, 0, NULL, 0));
    for (int m = 0; m < 3; m++) {
      sl_handshake *w = m % 2 ? b : a, *r = m % 2 ? a : b;
      must(sl_handshake_write(w, NULL, 0, msg, sizeof msg, &len));
      must(sl_handshake_read(r, msg, len, out, sizeof out, &plen));
    }
    sl_session *sa, *sb;
    must(sl_handshake_split(a, &sa));
    must(sl_handshake_split(b, &sb));
    sl_session_free(sa), sl_session_free(sb);
    sl_handshake_free(a), sl_handshake_free(b);
  }
  double dt = now() - t;
  sl_identity_free(ia), sl_identity_free(ib);
  return iters / dt;
}

/* Seconds to encode then decode a million 100-byte frames. */
static double bench_frames(void) {
  const size_t count = 1000000, plen = 100, flen = plen + SL_FRAME_HEADER_BYTES;
  uint8_t *stream = malloc(count * flen), payload[100];
  memset(payload, 7, sizeof payload);
  size_t n, sum = 0;
  double t = now();
  for (size_t i = 0; i < count; i++)
    must(sl_frame_encode(SL_FRAME_DATA, payload, plen, stream + i * flen, flen, &n));
  sl_frame_decoder *dec;
  must(sl_frame_decoder_new(&dec, 0));
  for (size_t pos = 0; pos < count * flen;) {
    size_t used;
    sl_frame f;
    int rc = sl_frame_decoder_push(dec, stream + pos, count * flen - pos, &used, &f);
    pos += used;
    if (rc == 1) sum += f.len;
  }
  double dt = now() - t;
  sl_frame_decoder_free(dec);
  free(stream);
  if (sum != count * plen) exit(1);
  return dt;
}

/* Book operations a second: the same seeded sequence of 1,000,000 (60 %
 * place, 30 % cancel, 10 % taker match) as issue #9 asks of the wasm
 * build. Orders are made beforehand (ids random, not signed: the book
 * takes opened orders), so only the book is timed. */
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

static double bench_book(void) {
  enum { OPS = 1000000, MAKERS = 64 };
  book_input *in = calloc(OPS, sizeof *in);
  uint32_t *live = malloc(OPS * sizeof *live);
  if (!in || !live) exit(1);
  uint64_t r = 42;
  for (size_t k = 0; k < OPS; k++) {
    in[k].side = (uint8_t)(next(&r) & 1);
    in[k].price = 1000 + next(&r) % 200;
    in[k].amount = 1 + next(&r) % 100;
    for (int b = 0; b < 32; b += 4) {
      uint32_t v = (uint32_t)next(&r);
      memcpy(in[k].id + b, &v, 4);
    }
    in[k].maker = (uint8_t)(next(&r) % MAKERS);
  }
  sl_book_limits lim;
  sl_book_limits_default(&lim);
  lim.max_orders = OPS;
  lim.max_open_per_maker = OPS;
  lim.maker_burst = OPS;
  sl_book *b;
  must(sl_book_new(&b, "BTC", "USDT", &lim));
  static sl_order o, cancel; /* opened messages, as the network layer hands them over */
  o.kind = SL_ORDER_CREATE;
  strcpy(o.base, "BTC");
  strcpy(o.quote, "USDT");
  cancel.kind = SL_ORDER_CANCEL;
  sl_book_fill fills[16];
  size_t placed = 0, n_live = 0, matched = 0;
  double t = now();
  for (size_t k = 0; k < OPS; k++) {
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
      must(sl_book_apply(b, &cancel, NULL, 0, 1000000));
      live[j] = live[--n_live];
    } else {
      matched += sl_book_match(b, (int)(next(&r) & 1), 1 + next(&r) % 300, 0, NULL, fills, 16);
    }
  }
  double dt = now() - t;
  sl_book_removal rm;
  while (sl_book_next_removed(b, &rm) == 1) {
  }
  sl_book_free(b);
  free(in);
  free(live);
  (void)matched;
  return OPS / dt;
}

int main(void) {
  must(sl_init());
  double signs, verifies;
  double session = bench_session();
  bench_sign_verify(&signs, &verifies);
  double hs = bench_handshakes();
  double frames = bench_frames();
  double book = bench_book();
  printf(
      "{\"sessionMBps\":%.1f,\"signPerSec\":%.0f,\"verifyPerSec\":%.0f,\"handshakesPerSec\":%.0f,"
      "\"framesMillionSec\":%.4f,\"bookOpsPerSec\":%.0f}\n",
      session, signs, verifies, hs, frames, book);
  return 0;
}
