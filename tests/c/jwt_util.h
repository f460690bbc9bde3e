/* jwt_util.h — builds JWTs for the C tests with libsodium, so every field
 * (and the signature) can be bent independently. */
#ifndef SL_TEST_JWT_UTIL_H
#define SL_TEST_JWT_UTIL_H

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "starling.h"

static inline void b64(const uint8_t *in, size_t len, char *out, size_t cap) {
  sodium_bin2base64(out, cap, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* header/payload are JSON text; alg picks the signature (key: 32-byte HMAC
 * secret or 64-byte Ed25519 secret key). Returns a static buffer. */
static inline const char *make(const char *header, const char *payload, int alg,
                               const uint8_t *key) {
  static char token[16384];
  char h[4096], p[8192];
  b64((const uint8_t *)header, strlen(header), h, sizeof h);
  b64((const uint8_t *)payload, strlen(payload), p, sizeof p);
  int n = snprintf(token, sizeof token, "%s.%s", h, p);
  uint8_t sig[64];
  size_t sig_len = 32;
  if (alg == SL_JWT_HS256) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)token, (size_t)n);
    crypto_auth_hmacsha256_final(&st, sig);
  } else {
    crypto_sign_detached(sig, NULL, (const uint8_t *)token, (size_t)n, key);
    sig_len = 64;
  }
  char s[128];
  b64(sig, sig_len, s, sizeof s);
  snprintf(token + n, sizeof token - (size_t)n, ".%s", s);
  return token;
}

#endif
