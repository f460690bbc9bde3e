/* test_wycheproof.c — the crypto primitives the session relies on, against
 * Project Wycheproof: X25519, Ed25519, ChaCha20-Poly1305, HKDF, HMAC. */
#include "check.h"
#include "internal.h"
#include "util.h"

#include <sodium.h>

static const char *vectors_dir = "tests/vectors";
typedef void (*case_fn)(const cJSON *group, const cJSON *test, int *ok);

/* Runs fn over every test of a Wycheproof file; one CHECK per case. */
static void run_file(const char *name, case_fn fn, int min_cases) {
  char rel[256];
  snprintf(rel, sizeof rel, "wycheproof/%s", name);
  cJSON *root = load_json(vectors_dir, rel);
  CHECK(root != NULL);
  if (!root) return;
  int cases = 0;
  const cJSON *g, *t;
  cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(root, "testGroups")) {
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests")) {
      int ok = 0;
      fn(g, t, &ok);
      if (!ok) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "tcId");
        fprintf(stderr, "%s: tcId %d failed (%s)\n", name, id ? id->valueint : -1,
                json_str(t, "comment"));
      }
      CHECK(ok);
      cases++;
    }
  }
  CHECK(cases >= min_cases);
  cJSON_Delete(root);
}

static const char *result(const cJSON *t) { return json_str(t, "result"); }

static void x25519_case(const cJSON *g, const cJSON *t, int *ok) {
  (void)g;
  size_t pl, kl, sl;
  uint8_t *pub = json_hex(t, "public", &pl), *priv = json_hex(t, "private", &kl);
  uint8_t *shared = json_hex(t, "shared", &sl), out[32];
  int rc = (pl == 32 && kl == 32) ? sl__x25519(out, priv, pub) : SL_EINVAL;
  bool zero = json_has_flag(t, "ZeroSharedSecret");
  if (strcmp(result(t), "valid") == 0)
    *ok = rc == 0 && sl == 32 && memcmp(out, shared, 32) == 0;
  else if (zero)
    *ok = rc == SL_EHS_LOW_ORDER;
  else if (strcmp(result(t), "acceptable") == 0)
    *ok = rc != 0 || memcmp(out, shared, 32) == 0;
  else
    *ok = rc != 0;
  /* The browser module's own ladder (sl__x25519_small; natively the line
   * above is libsodium's) gives the same bytes wherever a secret is
   * expected, and refuses the same small-order points. */
  uint8_t out2[32];
  if (pl == 32 && kl == 32 && sl == 32) {
    int rc2 = sl__x25519_small(out2, priv, pub);
    if (zero)
      *ok = *ok && rc2 == -1;
    else if (rc == 0)
      *ok = *ok && rc2 == 0 && memcmp(out2, shared, 32) == 0;
  }
  free(pub), free(priv), free(shared);
}

static void ed25519_case(const cJSON *g, const cJSON *t, int *ok) {
  size_t pl, ml, sl;
  const cJSON *key = cJSON_GetObjectItemCaseSensitive(g, "publicKey");
  uint8_t *pk = json_hex(key, "pk", &pl), *msg = json_hex(t, "msg", &ml),
          *sig = json_hex(t, "sig", &sl);
  int rc = (pl == 32 && sl == 64) ? sl_verify(pk, msg, ml, sig) : SL_EINVAL;
  *ok = strcmp(result(t), "valid") == 0 ? rc == 0 : rc != 0;
  free(pk), free(msg), free(sig);
}

static void aead_case(const cJSON *g, const cJSON *t, int *ok) {
  (void)g;
  size_t kl, il, al, ml, cl, tl;
  uint8_t *key = json_hex(t, "key", &kl), *iv = json_hex(t, "iv", &il),
          *aad = json_hex(t, "aad", &al);
  uint8_t *msg = json_hex(t, "msg", &ml), *ct = json_hex(t, "ct", &cl),
          *tag = json_hex(t, "tag", &tl);
  bool valid = strcmp(result(t), "valid") == 0;
  if (kl != 32 || il != 12 || tl != 16) {
    *ok = !valid; /* sizes the IETF construction cannot take */
  } else {
    uint8_t *sealed = malloc(cl + tl), *opened = malloc(ml + 1);
    memcpy(sealed, ct, cl);
    memcpy(sealed + cl, tag, tl);
    unsigned long long olen = 0;
    int rc = crypto_aead_chacha20poly1305_ietf_decrypt(opened, &olen, NULL, sealed, cl + tl, aad,
                                                       al, iv, key);
    if (valid) {
      uint8_t *enc = malloc(ml + 16);
      crypto_aead_chacha20poly1305_ietf_encrypt(enc, NULL, msg, ml, aad, al, NULL, iv, key);
      *ok = rc == 0 && olen == ml && memcmp(opened, msg, ml) == 0 &&
            memcmp(enc, sealed, cl + tl) == 0;
      free(enc);
    } else {
      *ok = rc != 0;
    }
    free(sealed), free(opened);
  }
  free(key), free(iv), free(aad), free(msg), free(ct), free(tag);
}

/* The session's AEAD (sl__chachapoly: the wasm SIMD ChaCha20 in the wasm
 * build) over every case; and the Noise nonce layout (4 zero bytes + LE
 * counter) through sl__aead where a case's nonce has that shape. */
static void noise_nonce_case(const cJSON *g, const cJSON *t, int *ok) {
  (void)g;
  size_t kl, il, al, ml, cl, tl;
  uint8_t *key = json_hex(t, "key", &kl), *iv = json_hex(t, "iv", &il),
          *aad = json_hex(t, "aad", &al);
  uint8_t *msg = json_hex(t, "msg", &ml), *ct = json_hex(t, "ct", &cl),
          *tag = json_hex(t, "tag", &tl);
  *ok = 1;
  if (kl == 32 && il == 12 && tl == 16) {
    uint8_t *sealed = malloc(cl + 16), *opened = malloc(ml + 1);
    memcpy(sealed, ct, cl);
    memcpy(sealed + cl, tag, 16);
    int rc = sl__chachapoly_decrypt(key, iv, aad, al, sealed, cl + 16, opened);
    if (strcmp(result(t), "valid") == 0) {
      uint8_t *enc = malloc(ml + 16);
      sl__chachapoly_encrypt(key, iv, aad, al, msg, ml, enc);
      *ok = rc == 0 && memcmp(opened, msg, ml) == 0 && memcmp(enc, sealed, cl + 16) == 0;
      free(enc);
    } else {
      *ok = rc != 0;
    }
    free(sealed), free(opened);
  }
  if (*ok && kl == 32 && il == 12 && tl == 16 && strcmp(result(t), "valid") == 0 && !iv[0] &&
      !iv[1] && !iv[2] && !iv[3]) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
      n = n << 8 | iv[4 + i];
    uint8_t *out = malloc(ml + 16), *back = malloc(ml + 1);
    sl__aead_encrypt(key, n, aad, al, msg, ml, out);
    *ok = memcmp(out, ct, cl) == 0 && memcmp(out + cl, tag, 16) == 0 &&
          sl__aead_decrypt(key, n, aad, al, out, ml + 16, back) == 0 && memcmp(back, msg, ml) == 0;
    free(out), free(back);
  }
  free(key), free(iv), free(aad), free(msg), free(ct), free(tag);
}

static void hkdf_case(const cJSON *g, const cJSON *t, int *ok) {
  (void)g;
  size_t il, sl, nl, ol;
  uint8_t *ikm = json_hex(t, "ikm", &il), *salt = json_hex(t, "salt", &sl),
          *info = json_hex(t, "info", &nl);
  uint8_t *okm = json_hex(t, "okm", &ol);
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(t, "size");
  size_t n = (size_t)(size ? size->valuedouble : 0);
  uint8_t *out = malloc(n ? n : 1);
  int rc = sl__hkdf_sha256(salt, sl, ikm, il, info, nl, out, n);
  *ok = strcmp(result(t), "valid") == 0 ? rc == 0 && ol == n && memcmp(out, okm, n) == 0 : rc != 0;
  free(ikm), free(salt), free(info), free(okm), free(out);
}

static void hmac_case(const cJSON *g, const cJSON *t, int *ok) {
  size_t kl, ml, tl;
  uint8_t *key = json_hex(t, "key", &kl), *msg = json_hex(t, "msg", &ml),
          *tag = json_hex(t, "tag", &tl);
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(g, "tagSize");
  size_t tag_bytes = (size_t)(ts ? ts->valueint : 256) / 8;
  uint8_t mac[32];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key, kl);
  crypto_auth_hmacsha256_update(&st, msg, ml);
  crypto_auth_hmacsha256_final(&st, mac);
  bool match = tl == tag_bytes && tag_bytes <= 32 && memcmp(mac, tag, tag_bytes) == 0;
  *ok = strcmp(result(t), "valid") == 0 ? match : !match;
  free(key), free(msg), free(tag);
}

int main(int argc, char **argv) {
  if (argc > 1) vectors_dir = argv[1];
  if (sl_init() != 0) return 1;
  run_file("x25519_test.json", x25519_case, 500);
  run_file("ed25519_test.json", ed25519_case, 150);
  run_file("chacha20_poly1305_test.json", aead_case, 300);
  run_file("chacha20_poly1305_test.json", noise_nonce_case, 300);
  run_file("hkdf_sha256_test.json", hkdf_case, 80);
  run_file("hmac_sha256_test.json", hmac_case, 170);
  return check_summary("wycheproof");
}
