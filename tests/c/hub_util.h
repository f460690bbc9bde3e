/* hub_util.h — what the hub tests say as a client (the auth-proof
 * answering the challenge found in everything the hub sent that client)
 * and read from it (a metric). */
#ifndef SL_TEST_HUB_UTIL_H
#define SL_TEST_HUB_UTIL_H

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The value of the metrics sample `name` (with its labels and the space
 * before the value) in h's /metrics text, or -1 when there is none. */
static inline double hub_metric(sl_hub *h, const char *name) {
  char *text = NULL;
  size_t len = 0;
  if (sl_hub_metrics(h, &text, &len) != 0) return -1;
  char line[160];
  snprintf(line, sizeof line, "\n%s", name); /* the sample, not its # HELP line */
  const char *at = text ? strstr(text, line) : NULL;
  double v = at ? strtod(at + strlen(line), NULL) : -1;
  free(text);
  return v;
}

#endif
