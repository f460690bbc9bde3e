/* jwt.c — JSON Web Token verification for hub authentication (RFC 7519,
 * HS256 per RFC 7518, EdDSA/Ed25519 per RFC 8037). Deliberately narrow:
 * one configured algorithm, compact serialisation only, no "crit", no key
 * ids; every claim the hub relies on is checked here. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Decodes unpadded base64url into a malloc'd buffer (NUL-terminated for
 * JSON parsing). NULL on bad input. */
static uint8_t *b64url_decode(const char *in, size_t len, size_t *out_len) {
  size_t cap = len / 4 * 3 + 3;
  uint8_t *out = malloc(cap + 1);
  if (!out) return NULL;
  const char *end = NULL;
  if (sodium_base642bin(out, cap, in, len, NULL, out_len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != in + len) {
    free(out);
    return NULL;
  }
  out[*out_len] = 0;
  return out;
}

/* A JSON object, strictly parsed (src/core/json.c). */
static cJSON *parse_object(const uint8_t *json, size_t len) {
  cJSON *root = sl__json_parse_strict((const char *)json, len);
  if (root && !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

static const char *alg_name(int alg) { return alg == SL_JWT_HS256 ? "HS256" : "EdDSA"; }

static int check_header(const sl_jwt_config *cfg, const cJSON *header) {
  const cJSON *alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
  if (!cJSON_IsString(alg) || strcmp(alg->valuestring, alg_name(cfg->alg)) != 0) return SL_EJWT_ALG;
  if (cJSON_GetObjectItemCaseSensitive(header, "crit")) return SL_EJWT_MALFORMED;
  const cJSON *typ = cJSON_GetObjectItemCaseSensitive(header, "typ");
  if (typ && !(cJSON_IsString(typ) && strcmp(typ->valuestring, "JWT") == 0))
    return SL_EJWT_MALFORMED;
  return 0;
}

static int check_signature(const sl_jwt_config *cfg, const char *signed_part, size_t signed_len,
                           const uint8_t *sig, size_t sig_len) {
  if (cfg->alg == SL_JWT_HS256) {
    uint8_t mac[32];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, cfg->secret, cfg->secret_len);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)signed_part, signed_len);
    crypto_auth_hmacsha256_final(&st, mac);
    int ok = sig_len == 32 && sodium_memcmp(mac, sig, 32) == 0;
    sodium_memzero(&st, sizeof st);
    return ok ? 0 : SL_EJWT_SIGNATURE;
  }
  if (sig_len != 64) return SL_EJWT_SIGNATURE;
  return crypto_sign_verify_detached(sig, (const uint8_t *)signed_part, signed_len,
                                     cfg->issuer_public_key) == 0
             ? 0
             : SL_EJWT_SIGNATURE;
}

/* A NumericDate claim: absent -> 1 (and *v untouched), bad -> -1, ok -> 0. */
static int numeric_claim(const cJSON *payload, const char *name, int64_t *v) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(payload, name);
  if (!c) return 1;
  if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 1e15) return -1;
  *v = (int64_t)c->valuedouble;
  return 0;
}

static int check_times(const sl_jwt_config *cfg, const cJSON *payload, int64_t now, int64_t *exp) {
  int64_t skew = cfg->skew_seconds, nbf = 0, iat = 0;
  if (numeric_claim(payload, "exp", exp) != 0 || now > *exp + skew) return SL_EJWT_EXPIRED;
  int r = numeric_claim(payload, "nbf", &nbf);
  if (r < 0) return SL_EJWT_MALFORMED;
  if (r == 0 && nbf > now + skew) return SL_EJWT_NOT_YET_VALID;
  r = numeric_claim(payload, "iat", &iat);
  if (r < 0) return SL_EJWT_MALFORMED;
  if (r == 0 && iat > now + skew) return SL_EJWT_NOT_YET_VALID;
  return 0;
}

static int check_audience_issuer(const sl_jwt_config *cfg, const cJSON *payload) {
  if (cfg->audience) {
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(payload, "aud"), *a;
    bool found = cJSON_IsString(aud) && strcmp(aud->valuestring, cfg->audience) == 0;
    if (cJSON_IsArray(aud)) {
      cJSON_ArrayForEach(a, aud) {
        if (cJSON_IsString(a) && strcmp(a->valuestring, cfg->audience) == 0) found = true;
      }
    }
    if (!found) return SL_EJWT_AUDIENCE;
  }
  if (cfg->issuer) {
    const cJSON *iss = cJSON_GetObjectItemCaseSensitive(payload, "iss");
    if (!cJSON_IsString(iss) || strcmp(iss->valuestring, cfg->issuer) != 0) return SL_EJWT_ISSUER;
  }
  return 0;
}

/* On failure, *problem names the claim at fault and why: "JWT_CLAIMS"
 * alone leaves a token issuer guessing. */
static int read_identity_claims(const cJSON *payload, sl_jwt_claims *claims, const char **problem) {
  const cJSON *user = cJSON_GetObjectItemCaseSensitive(payload, "userId");
  const cJSON *key = cJSON_GetObjectItemCaseSensitive(payload, "publicKey");
  size_t ulen = cJSON_IsString(user) ? strlen(user->valuestring) : 0;
  if (!cJSON_IsString(user) || ulen == 0 || ulen > SL_JWT_USER_ID_MAX) {
    *problem = "the userId claim must be a string of 1 to 128 bytes";
    return SL_EJWT_CLAIMS;
  }
  if (!cJSON_IsString(key)) {
    *problem = "the publicKey claim is missing or not a string";
    return SL_EJWT_CLAIMS;
  }
  size_t klen = 0;
  uint8_t *pk = b64url_decode(key->valuestring, strlen(key->valuestring), &klen);
  int rc = 0;
  if (!pk || klen != 32) {
    *problem =
        "the publicKey claim must be 32 bytes in base64url without padding (not standard base64)";
    rc = SL_EJWT_CLAIMS;
  } else if (!crypto_core_ed25519_is_valid_point(pk)) {
    *problem = "the publicKey claim is not a valid Ed25519 public key";
    rc = SL_EJWT_CLAIMS;
  } else {
    memcpy(claims->user_id, user->valuestring, ulen + 1);
    memcpy(claims->public_key, pk, 32);
  }
  free(pk);
  return rc;
}

/* RFC 7518 3.2: an HS256 key must be at least as long as the hash. */
static int check_config(const sl_jwt_config *cfg) {
  if (cfg->skew_seconds > SL_JWT_MAX_SKEW) return SL_EINVAL;
  if (cfg->alg == SL_JWT_HS256) return cfg->secret && cfg->secret_len >= 32 ? 0 : SL_EINVAL;
  return cfg->alg == SL_JWT_EDDSA ? 0 : SL_EINVAL;
}

int sl_jwt_verify(const sl_jwt_config *cfg, const char *token, size_t len, int64_t now,
                  sl_jwt_claims *claims) {
  if (!cfg || !claims || (!token && len) || check_config(cfg) != 0) return SL_EINVAL;
  memset(claims, 0, sizeof *claims);
  if (len > (cfg->max_token ? cfg->max_token : SL_JWT_MAX_TOKEN_DEFAULT)) return SL_EJWT_TOO_LARGE;
  const char *dot1 = token ? memchr(token, '.', len) : NULL;
  const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
    return SL_EJWT_MALFORMED;
  size_t hlen, plen, slen;
  uint8_t *h = b64url_decode(token, (size_t)(dot1 - token), &hlen);
  uint8_t *p = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
  uint8_t *sig = b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &slen);
  cJSON *header = h ? parse_object(h, hlen) : NULL;
  cJSON *payload = p ? parse_object(p, plen) : NULL;
  int rc = (!header || !payload || !sig) ? SL_EJWT_MALFORMED : check_header(cfg, header);
  /* The signature is checked before any claim is believed. */
  if (rc == 0) rc = check_signature(cfg, token, (size_t)(dot2 - token), sig, slen);
  if (rc == 0) rc = check_times(cfg, payload, now, &claims->expires);
  if (rc == 0) rc = check_audience_issuer(cfg, payload);
  const char *problem = NULL;
  if (rc == 0) rc = read_identity_claims(payload, claims, &problem);
  cJSON_Delete(header);
  cJSON_Delete(payload);
  free(h), free(p), free(sig);
  if (rc != 0) memset(claims, 0, sizeof *claims);
  claims->problem = problem;
  return rc;
}
