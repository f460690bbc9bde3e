/* hub_util.h — what the hub tests say as a client: the auth-proof answering
 * the challenge found in everything the hub sent that client. */
#ifndef SL_TEST_HUB_UTIL_H
#define SL_TEST_HUB_UTIL_H

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "jwt_util.h"
#include "starling.h"

/* Writes into proof the auth-proof for the last-seen challenge in log,
 * signed by signer. Returns 0, or -1 when log holds no usable nonce. */
static inline int hub_proof(const char *log, const sl_identity *signer, char *proof, size_t cap) {
  const char *n = strstr(log, "\"nonce\":\"");
  uint8_t msg[sizeof SL_HUB_CHALLENGE_PREFIX - 1 + SL_HUB_NONCE_BYTES], sig[64];
  size_t len = 0;
  if (!n) return -1;
  memcpy(msg, SL_HUB_CHALLENGE_PREFIX, sizeof SL_HUB_CHALLENGE_PREFIX - 1);
  if (sodium_base642bin(msg + sizeof SL_HUB_CHALLENGE_PREFIX - 1, SL_HUB_NONCE_BYTES, n + 9, 43,
                        NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != SL_HUB_NONCE_BYTES || sl_identity_sign(signer, msg, sizeof msg, sig) != 0)
    return -1;
  char sig64[100];
  b64(sig, sizeof sig, sig64, sizeof sig64);
  snprintf(proof, cap, "{\"type\":\"auth-proof\",\"payload\":{\"signature\":\"%s\"}}", sig64);
  return 0;
}

#endif
