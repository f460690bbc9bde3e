/* bench_core.c — native reference numbers for bench/run.js: the same
 * operations the wasm build is measured on, printed as one JSON object. */
#define _POSIX_C_SOURCE 199309L
#include "bench_book.h"
#include "bench_trade.h"

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

int main(void) {
  must(sl_init());
  double signs, verifies;
  double session = bench_session();
  bench_sign_verify(&signs, &verifies);
  double hs = bench_handshakes();
  double frames = bench_frames();
  double book = sl_bench_book(1000000);
  sl_bench_sync_result s1, s2;
  sl_bench_sync(100000, 1000, &s1); /* 1 % */
  sl_bench_sync(100000, 10, &s2);   /* 0.01 % */
  printf(
      "{\"sessionMBps\":%.1f,\"signPerSec\":%.0f,\"verifyPerSec\":%.0f,\"handshakesPerSec\":%.0f,"
      "\"framesMillionSec\":%.4f,\"bookOpsPerSec\":%.0f,\"sync\":[",
      session, signs, verifies, hs, frames, book);
  const sl_bench_sync_result *sr[2] = {&s1, &s2};
  for (int k = 0; k < 2; k++)
    printf("%s{\"missing\":%s,\"bytes\":%.0f,\"roundTrips\":%d,\"received\":%u,\"same\":%d,"
           "\"snapshotBytes\":%.0f,\"snapshotRoundTrips\":%d}",
           k ? "," : "", k ? "0.0001" : "0.01", sr[k]->bytes, sr[k]->round_trips, sr[k]->received,
           sr[k]->same, sr[k]->snapshot_bytes, sr[k]->snapshot_round_trips);
  size_t per = 0;
  double trade = sl_bench_trade(4000, &per);
  printf("],\"tradeMessagesPerSec\":%.0f}\n", trade);
  return 0;
}
