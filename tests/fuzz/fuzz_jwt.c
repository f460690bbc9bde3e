/* fuzz_jwt.c — libFuzzer target: the hub's JWT verifier on arbitrary
 * tokens, under both algorithms. Nothing may crash or leak, and a token
 * that verifies must carry sane claims. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  static uint8_t secret[32] = "starling-fuzz-secret-32-bytes!!";
  if (!ready) {
    if (sl_init() != 0) abort();
    ready = 1;
  }
  sl_jwt_config cfg = {.alg = SL_JWT_HS256,
                       .secret = secret,
                       .secret_len = 32,
                       .skew_seconds = 60,
                       .audience = "hub",
                       .issuer = "iss"};
  sl_jwt_claims claims;
  for (int alg = SL_JWT_HS256; alg <= SL_JWT_EDDSA; alg++) {
    cfg.alg = alg;
    int rc = sl_jwt_verify(&cfg, (const char *)data, size, 1700000000, &claims);
    if (rc == 0 && (claims.user_id[0] == 0 || strlen(claims.user_id) > SL_JWT_USER_ID_MAX)) abort();
    if (rc > 0) abort();
  }
  return 0;
}
