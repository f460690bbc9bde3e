/* test_jwt.c — hub token verification: both algorithms, and every way a
 * token can be wrong gets its own code. Tokens are built here with
 * libsodium so each field can be bent independently. */
#include "check.h"
#include "internal.h"
#include "jwt_util.h"

#include <sodium.h>
#include <stdio.h>

#define NOW 1700000000LL
static uint8_t secret[32], issuer_sk[64], issuer_pk[32], client_pk[32];
static char client_pk_b64[64];

static sl_jwt_config hs_config(void) {
  sl_jwt_config c = {
      .alg = SL_JWT_HS256, .secret = secret, .secret_len = sizeof secret, .skew_seconds = 60};
  return c;
}

static const char *last_problem; /* claims.problem of the last verify() */

static int verify(const sl_jwt_config *c, const char *token) {
  sl_jwt_claims claims;
  int rc = sl_jwt_verify(c, token, strlen(token), NOW, &claims);
  last_problem = claims.problem;
  return rc;
}

static const char *claims_json(const char *extra) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "{\"userId\":\"alice\",\"publicKey\":\"%s\",\"exp\":%lld%s}",
           client_pk_b64, NOW + 300, extra);
  return buf;
}

static void test_valid(void) {
  sl_jwt_config c = hs_config();
  sl_jwt_claims claims;
  const char *t = make("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims_json(",\"iat\":1700000000"),
                       SL_JWT_HS256, secret);
  CHECK_EQ(sl_jwt_verify(&c, t, strlen(t), NOW, &claims), 0);
  CHECK(strcmp(claims.user_id, "alice") == 0);
  CHECK_MEM(claims.public_key, client_pk, 32);
  CHECK_EQ(claims.expires, NOW + 300);

  sl_jwt_config e = {.alg = SL_JWT_EDDSA, .skew_seconds = 60};
  memcpy(e.issuer_public_key, issuer_pk, 32);
  static char eddsa[16384];
  snprintf(eddsa, sizeof eddsa, "%s",
           make("{\"alg\":\"EdDSA\"}", claims_json(""), SL_JWT_EDDSA, issuer_sk));
  CHECK_EQ(verify(&e, eddsa), 0);
  /* The same claims signed with HS256 are refused by an EdDSA hub, and vice versa. */
  CHECK_EQ(verify(&e, make("{\"alg\":\"HS256\"}", claims_json(""), SL_JWT_HS256, secret)),
           SL_EJWT_ALG);
  CHECK_EQ(verify(&c, eddsa), SL_EJWT_ALG);
}

static void test_algorithm(void) {
  sl_jwt_config c = hs_config();
  char h[256], p[1024], none_token[2048];
  b64((const uint8_t *)"{\"alg\":\"none\"}", 14, h, sizeof h);
  const char *claims = claims_json("");
  b64((const uint8_t *)claims, strlen(claims), p, sizeof p);
  snprintf(none_token, sizeof none_token, "%s.%s.", h, p);
  CHECK_EQ(verify(&c, none_token), SL_EJWT_ALG); /* an unsigned token */
  CHECK_EQ(verify(&c, make("{\"alg\":\"none\"}", claims, SL_JWT_HS256, secret)), SL_EJWT_ALG);
  CHECK_EQ(verify(&c, make("{\"alg\":\"hs256\"}", claims, SL_JWT_HS256, secret)), SL_EJWT_ALG);
  CHECK_EQ(verify(&c, make("{\"typ\":\"JWT\"}", claims, SL_JWT_HS256, secret)), SL_EJWT_ALG);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\",\"crit\":[\"x\"]}", claims, SL_JWT_HS256, secret)),
           SL_EJWT_MALFORMED);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\",\"alg\":\"none\"}", claims, SL_JWT_HS256, secret)),
           SL_EJWT_MALFORMED);
  uint8_t wrong[32] = {1};
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", claims, SL_JWT_HS256, wrong)), SL_EJWT_SIGNATURE);
}

static void test_times(void) {
  sl_jwt_config c = hs_config();
  char p[512];
  snprintf(p, sizeof p, "{\"userId\":\"a\",\"publicKey\":\"%s\"}", client_pk_b64);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", p, SL_JWT_HS256, secret)), SL_EJWT_EXPIRED);
  long long cases[][2] = {{NOW - 61, SL_EJWT_EXPIRED}, {NOW - 60, 0}, {NOW, 0}};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "{\"userId\":\"a\",\"publicKey\":\"%s\",\"exp\":%lld}", client_pk_b64,
             cases[i][0]);
    CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", p, SL_JWT_HS256, secret)), cases[i][1]);
  }
  char extra[64];
  snprintf(extra, sizeof extra, ",\"nbf\":%lld", NOW + 61);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", claims_json(extra), SL_JWT_HS256, secret)),
           SL_EJWT_NOT_YET_VALID);
  snprintf(extra, sizeof extra, ",\"nbf\":%lld", NOW + 59);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", claims_json(extra), SL_JWT_HS256, secret)), 0);
  snprintf(extra, sizeof extra, ",\"iat\":%lld", NOW + 3600);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", claims_json(extra), SL_JWT_HS256, secret)),
           SL_EJWT_NOT_YET_VALID);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", claims_json(",\"nbf\":\"soon\""), SL_JWT_HS256,
                           secret)),
           SL_EJWT_MALFORMED);
  /* A second exp later in the object must not win. */
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", claims_json(",\"exp\":1"), SL_JWT_HS256, secret)),
           SL_EJWT_MALFORMED);
  sl_jwt_config wide = hs_config();
  wide.skew_seconds = 61;
  CHECK_EQ(verify(&wide, make("{\"alg\":\"HS256\"}", claims_json(""), SL_JWT_HS256, secret)),
           SL_EINVAL);
}

static void test_audience_issuer(void) {
  sl_jwt_config c = hs_config();
  c.audience = "starling-hub";
  c.issuer = "https://auth.example";
  const char *h = "{\"alg\":\"HS256\"}";
  CHECK_EQ(
      verify(&c, make(h, claims_json(",\"aud\":\"starling-hub\",\"iss\":\"https://auth.example\""),
                      SL_JWT_HS256, secret)),
      0);
  CHECK_EQ(
      verify(&c,
             make(h,
                  claims_json(",\"aud\":[\"x\",\"starling-hub\"],\"iss\":\"https://auth.example\""),
                  SL_JWT_HS256, secret)),
      0);
  CHECK_EQ(verify(&c, make(h, claims_json(",\"aud\":\"other\",\"iss\":\"https://auth.example\""),
                           SL_JWT_HS256, secret)),
           SL_EJWT_AUDIENCE);
  CHECK_EQ(
      verify(&c, make(h, claims_json(",\"iss\":\"https://auth.example\""), SL_JWT_HS256, secret)),
      SL_EJWT_AUDIENCE);
  CHECK_EQ(verify(&c, make(h, claims_json(",\"aud\":\"starling-hub\",\"iss\":\"https://evil\""),
                           SL_JWT_HS256, secret)),
           SL_EJWT_ISSUER);
  CHECK_EQ(verify(&c, make(h, claims_json(",\"aud\":\"starling-hub\""), SL_JWT_HS256, secret)),
           SL_EJWT_ISSUER);
}

static void test_claims(void) {
  sl_jwt_config c = hs_config();
  const char *h = "{\"alg\":\"HS256\"}";
  char p[1024], long_user[200];
  memset(long_user, 'u', 129);
  long_user[129] = 0;
  const char *bad_users[] = {"", "\"userId\":\"\",",
                             "\"userId\":7,"}; /* missing, empty, not a string */
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "{%s\"publicKey\":\"%s\",\"exp\":9999999999}", bad_users[i],
             client_pk_b64);
    CHECK_EQ(verify(&c, make(h, p, SL_JWT_HS256, secret)), SL_EJWT_CLAIMS);
  }
  snprintf(p, sizeof p, "{\"userId\":\"%s\",\"publicKey\":\"%s\",\"exp\":9999999999}", long_user,
           client_pk_b64);
  CHECK_EQ(verify(&c, make(h, p, SL_JWT_HS256, secret)), SL_EJWT_CLAIMS);
  const char *keys[] = {"AAAA", "not base64!",
                        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* small-order point */};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "{\"userId\":\"a\",\"publicKey\":\"%s\",\"exp\":9999999999}", keys[i]);
    CHECK_EQ(verify(&c, make(h, p, SL_JWT_HS256, secret)), SL_EJWT_CLAIMS);
    CHECK(last_problem && strstr(last_problem, "publicKey"));
  }
  /* A standard-base64 key (with '+' and '/') is named as such. */
  snprintf(p, sizeof p, "{\"userId\":\"a\",\"publicKey\":\"%s\",\"exp\":9999999999}",
           "ab+/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  CHECK_EQ(verify(&c, make(h, p, SL_JWT_HS256, secret)), SL_EJWT_CLAIMS);
  CHECK(last_problem && strstr(last_problem, "base64url"));
  snprintf(p, sizeof p, "{\"publicKey\":\"%s\",\"exp\":9999999999}", client_pk_b64);
  CHECK_EQ(verify(&c, make(h, p, SL_JWT_HS256, secret)), SL_EJWT_CLAIMS);
  CHECK(last_problem && strstr(last_problem, "userId"));
  CHECK_EQ(verify(&c, make(h, claims_json(""), SL_JWT_HS256, secret)), 0);
  CHECK(last_problem == NULL);
}

static void test_malformed(void) {
  sl_jwt_config c = hs_config();
  static char good[16384], t[16384 + 2];
  snprintf(good, sizeof good, "%s",
           make("{\"alg\":\"HS256\"}", claims_json(""), SL_JWT_HS256, secret));
  const char *cases[] = {"", ".", "..", "a.b", "a.b.c.d", "!!!.abc.def", "e30.W10.e30"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_EQ(verify(&c, cases[i]), SL_EJWT_MALFORMED);
  CHECK_EQ(verify(&c, "e30.e30.e30"), SL_EJWT_ALG); /* {} header: no alg */
  snprintf(t, sizeof t, "%s=", good);               /* padding is not base64url-no-pad */
  CHECK_EQ(verify(&c, t), SL_EJWT_MALFORMED);
  CHECK_EQ(verify(&c, make("[\"alg\",\"HS256\"]", claims_json(""), SL_JWT_HS256, secret)),
           SL_EJWT_MALFORMED);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"} x", claims_json(""), SL_JWT_HS256, secret)),
           SL_EJWT_MALFORMED);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}", claims_json(""),
                           SL_JWT_HS256, secret)),
           SL_EJWT_MALFORMED);
  char p[1024];
  snprintf(p, sizeof p,
           "{\"userId\":\"alice\\u0000admin\",\"publicKey\":\"%s\",\"exp\":9999999999}",
           client_pk_b64);
  CHECK_EQ(verify(&c, make("{\"alg\":\"HS256\"}", p, SL_JWT_HS256, secret)), SL_EJWT_MALFORMED);
  /* Flipping any character of a good token never verifies. */
  size_t len = strlen(good);
  int refused = 0;
  for (size_t i = 0; i < len; i++) {
    memcpy(t, good, len + 1);
    t[i] = t[i] == 'A' ? 'B' : 'A';
    refused += verify(&c, t) != 0;
  }
  CHECK_EQ(refused, (long long)len);
  /* Size cap, checked before anything is decoded. */
  static char huge[5000];
  memset(huge, 'a', sizeof huge - 1);
  CHECK_EQ(verify(&c, huge), SL_EJWT_TOO_LARGE);
  sl_jwt_config small = hs_config();
  small.max_token = 64;
  CHECK_EQ(verify(&small, good), SL_EJWT_TOO_LARGE);
  sl_jwt_config bad = hs_config();
  bad.secret_len = 16;
  CHECK_EQ(verify(&bad, good), SL_EINVAL);
}

int main(void) {
  if (sl_init() != 0) return 1;
  randombytes_buf(secret, sizeof secret);
  crypto_sign_keypair(issuer_pk, issuer_sk);
  uint8_t sk[64];
  crypto_sign_keypair(client_pk, sk);
  b64(client_pk, 32, client_pk_b64, sizeof client_pk_b64);
  test_valid();
  test_algorithm();
  test_times();
  test_audience_issuer();
  test_claims();
  test_malformed();
  return check_summary("jwt");
}
