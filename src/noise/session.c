/* session.c — Noise transport: one record per channel message, 64-bit
 * counter nonces, ChaCha20-Poly1305 with empty associated data. Any
 * decryption failure is final, because with strict counters the stream can
 * never resynchronise (and an attacker must not get retries). */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct sl_session {
  uint8_t send_key[32], recv_key[32];
  uint64_t send_n, recv_n;
  bool failed;
};

/* 2^64 - 1 is reserved by the Noise spec. */
#define NONCE_LIMIT UINT64_MAX

int sl__session_new(sl_session **out, const uint8_t send_key[32], const uint8_t recv_key[32]) {
  sl_session *s = calloc(1, sizeof *s);
  if (!s) return SL_ENOMEM;
  memcpy(s->send_key, send_key, 32);
  memcpy(s->recv_key, recv_key, 32);
  *out = s;
  return 0;
}

void sl__session_set_send_nonce(sl_session *s, uint64_t n) { s->send_n = n; }

void sl_session_free(sl_session *s) {
  if (!s) return;
  sodium_memzero(s, sizeof *s);
  free(s);
}

static int fail(sl_session *s, int code) {
  s->failed = true;
  sodium_memzero(s->send_key, 32);
  sodium_memzero(s->recv_key, 32);
  return code;
}

int sl_session_encrypt(sl_session *s, const uint8_t *pt, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len) {
  static const uint8_t empty[1];
  if (!s || !out || !out_len || (!pt && len)) return SL_EINVAL;
  if (s->failed) return SL_ESESSION_FAILED;
  if (len > SL_RECORD_MAX_PLAINTEXT) return SL_ESESSION_TOO_LARGE;
  if (cap < len + SL_RECORD_TAG_BYTES) return SL_EBUFSIZE;
  if (s->send_n == NONCE_LIMIT) return SL_ESESSION_NONCE;
  sl__aead_encrypt(s->send_key, s->send_n++, NULL, 0, pt ? pt : empty, len, out);
  *out_len = len + SL_RECORD_TAG_BYTES;
  return 0;
}

int sl_session_decrypt(sl_session *s, const uint8_t *rec, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len) {
  if (!s || !rec || !out_len || (!out && cap)) return SL_EINVAL;
  if (s->failed) return SL_ESESSION_FAILED;
  if (len > SL_RECORD_MAX_BYTES) return fail(s, SL_ESESSION_TOO_LARGE);
  if (len < SL_RECORD_TAG_BYTES) return fail(s, SL_ESESSION_SHORT);
  if (cap < len - SL_RECORD_TAG_BYTES) return SL_EBUFSIZE;
  if (s->recv_n == NONCE_LIMIT) return fail(s, SL_ESESSION_NONCE);
  static uint8_t sink[1];
  int rc = sl__aead_decrypt(s->recv_key, s->recv_n, NULL, 0, rec, len, out ? out : sink);
  if (rc != 0) return fail(s, SL_ESESSION_DECRYPT);
  s->recv_n++;
  *out_len = len - SL_RECORD_TAG_BYTES;
  return 0;
}
