/* test_identity.c — Ed25519 identities, signatures, libp2p peer ids. */
#include "check.h"
#include "internal.h"
#include "util.h"

#include <sodium.h>

/* RFC 8032, section 7.1, TEST 1. */
static const char *rfc8032_seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *rfc8032_pk = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *rfc8032_sig = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
                                 "fb8821590a33bacc61e39701cf9b46b"
                                 "d25bf5f0595bbe24655141438e7a100b";

static void test_rfc8032(void) {
  size_t n;
  uint8_t *seed = hex_decode(rfc8032_seed, &n), *pk = hex_decode(rfc8032_pk, &n);
  uint8_t *sig_expected = hex_decode(rfc8032_sig, &n);
  sl_identity *id = NULL;
  CHECK_EQ(sl_identity_from_seed(&id, seed), 0);
  CHECK_MEM(sl_identity_public_key(id), pk, 32);
  uint8_t sig[64], seed_out[32];
  CHECK_EQ(sl_identity_sign(id, NULL, 0, sig), 0);
  CHECK_MEM(sig, sig_expected, 64);
  CHECK_EQ(sl_verify(pk, NULL, 0, sig), 0);
  sl_identity_seed(id, seed_out);
  CHECK_MEM(seed_out, seed, 32);
  sl_identity_free(id);
  free(seed);
  free(pk);
  free(sig_expected);
}

static void test_sign_verify(void) {
  sl_identity *a = NULL, *b = NULL;
  CHECK_EQ(sl_identity_generate(&a), 0);
  CHECK_EQ(sl_identity_generate(&b), 0);
  CHECK(memcmp(sl_identity_public_key(a), sl_identity_public_key(b), 32) != 0);
  const uint8_t msg[] = "starling";
  uint8_t sig[64];
  CHECK_EQ(sl_identity_sign(a, msg, sizeof msg, sig), 0);
  CHECK_EQ(sl_verify(sl_identity_public_key(a), msg, sizeof msg, sig), 0);
  CHECK_EQ(sl_verify(sl_identity_public_key(b), msg, sizeof msg, sig), SL_EHS_SIGNATURE);
  sig[10] ^= 1;
  CHECK_EQ(sl_verify(sl_identity_public_key(a), msg, sizeof msg, sig), SL_EHS_SIGNATURE);
  CHECK_EQ(sl_identity_sign(NULL, msg, 1, sig), SL_EINVAL);
  sl_identity_free(a);
  sl_identity_free(b);
  sl_identity_free(NULL);
}

static void test_peer_id_roundtrip(void) {
  for (int i = 0; i < 200; i++) {
    uint8_t seed[32], pk[32];
    for (int j = 0; j < 32; j++)
      seed[j] = (uint8_t)(i * 31 + j * 7);
    sl_identity *id = NULL;
    CHECK_EQ(sl_identity_from_seed(&id, seed), 0);
    const char *pid = sl_identity_peer_id(id);
    CHECK_EQ(strlen(pid), 52);
    CHECK(strncmp(pid, "12D3KooW", 8) == 0);
    CHECK_EQ(sl_peer_id_to_public_key(pid, strlen(pid), pk), 0);
    CHECK_MEM(pk, sl_identity_public_key(id), 32);
    sl_identity_free(id);
  }
}

static void test_peer_id_rejects(void) {
  sl_identity *id = NULL;
  uint8_t seed[32] = {1}, pk[32];
  CHECK_EQ(sl_identity_from_seed(&id, seed), 0);
  char pid[SL_PEER_ID_BYTES];
  strcpy(pid, sl_identity_peer_id(id));
  CHECK_EQ(sl_peer_id_to_public_key(pid, 51, pk), SL_EPEERID);
  CHECK_EQ(sl_peer_id_to_public_key("", 0, pk), SL_EPEERID);
  char bad[SL_PEER_ID_BYTES];
  strcpy(bad, pid);
  bad[20] = '0'; /* not in the base58 alphabet */
  CHECK_EQ(sl_peer_id_to_public_key(bad, 52, pk), SL_EPEERID);
  bad[20] = 'l';
  CHECK_EQ(sl_peer_id_to_public_key(bad, 52, pk), SL_EPEERID);
  /* A secp256k1-style prefix (Type 2) must not parse as Ed25519. */
  uint8_t raw[38] = {0x00, 0x24, 0x08, 0x02, 0x12, 0x20};
  char enc[64];
  int n = sl__base58_encode(raw, sizeof raw, enc, sizeof enc);
  CHECK(n > 0);
  CHECK_EQ(sl_peer_id_to_public_key(enc, (size_t)n, pk), SL_EPEERID);
  /* A well-formed id wrapping a small-order point is refused. */
  uint8_t identity_point[32] = {1};
  char low[SL_PEER_ID_BYTES];
  CHECK_EQ(sl_peer_id_from_public_key(identity_point, low), 0);
  CHECK_EQ(sl_peer_id_to_public_key(low, 52, pk), SL_EPUBKEY);
  /* Every single-character change is either rejected or a different key. */
  uint8_t original[32];
  memcpy(original, sl_identity_public_key(id), 32);
  for (int i = 0; i < 52; i++) {
    strcpy(bad, pid);
    bad[i] = bad[i] == 'z' ? 'y' : 'z';
    int rc = sl_peer_id_to_public_key(bad, 52, pk);
    CHECK(rc != 0 || memcmp(pk, original, 32) != 0);
  }
  sl_identity_free(id);
}

static void test_base58(void) {
  char out[64];
  uint8_t back[64];
  const uint8_t zeros[3] = {0, 0, 0};
  CHECK_EQ(sl__base58_encode(zeros, 3, out, sizeof out), 3);
  CHECK(memcmp(out, "111", 3) == 0);
  const uint8_t hello[] = "hello world";
  int n = sl__base58_encode(hello, 11, out, sizeof out);
  CHECK_EQ(n, 15);
  CHECK(memcmp(out, "StV1DL6CwTryKyV", 15) == 0);
  CHECK_EQ(sl__base58_decode(out, (size_t)n, back, sizeof back), 11);
  CHECK_MEM(back, hello, 11);
  CHECK_EQ(sl__base58_encode(hello, 11, out, 5), SL_EBUFSIZE);
  CHECK_EQ(sl__base58_decode("111", 3, back, sizeof back), 3);
  CHECK(back[0] == 0 && back[1] == 0 && back[2] == 0);
  CHECK_EQ(sl__base58_decode("StV1DL6CwTryKyV", 15, back, 10), SL_EBUFSIZE);
}

/* Decoding works in groups of digits: every length, with leading zero
 * bytes and with the largest digit values, must still round-trip. */
static void test_base58_roundtrip(void) {
  uint8_t raw[100], back[100];
  char enc[160];
  for (size_t len = 0; len <= sizeof raw; len++) {
    for (int pattern = 0; pattern < 3; pattern++) {
      randombytes_buf(raw, len);
      if (pattern == 1) memset(raw, 0xff, len);
      if (pattern == 2 && len > 2) raw[0] = raw[1] = 0;
      int n = sl__base58_encode(raw, len, enc, sizeof enc);
      CHECK(n >= 0);
      if (n < 0) return;
      CHECK_EQ(sl__base58_decode(enc, (size_t)n, back, sizeof back), (int)len);
      CHECK_MEM(back, raw, len);
    }
  }
}

static void test_errors(void) {
  CHECK(strcmp(sl_errname(SL_EFRAME_TYPE), "FRAME_UNKNOWN_TYPE") == 0);
  CHECK(strcmp(sl_strerror(12345), "unknown error") == 0);
  CHECK(strcmp(sl_errname(12345), "UNKNOWN") == 0);
  for (int c = 0; c > -50; c--)
    CHECK(sl_strerror(c) != NULL && sl_errname(c) != NULL);
}

/* The browser module's table-free base-point multiplications give the
 * same keys and signatures as libsodium's, byte for byte. */
static void test_small_base_mult(void) {
  uint8_t seed[32], m[300], pk[32], sk[64], pk2[32], sk2[64], sig[64], sig2[64];
  for (int k = 0; k < 300; k++) {
    randombytes_buf(seed, sizeof seed);
    randombytes_buf(m, sizeof m);
    if (k == 0) memset(seed, 0, sizeof seed);
    if (k == 1) memset(seed, 0xff, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    sl__ed25519_keypair_small(pk2, sk2, seed);
    CHECK_MEM(pk, pk2, 32);
    CHECK_MEM(sk, sk2, 64);
    size_t n = (size_t)k % sizeof m;
    crypto_sign_detached(sig, NULL, m, n, sk);
    sl__ed25519_sign_small(sig2, m, n, sk);
    CHECK_MEM(sig, sig2, 64);
    CHECK_EQ(crypto_sign_verify_detached(sig2, m, n, pk), 0);
    crypto_scalarmult_base(pk, seed);
    sl__x25519_base_small(pk2, seed);
    CHECK_MEM(pk, pk2, 32);
    /* Any u, also off the curve (on the twist) and not canonical. */
    uint8_t u[32], out[32], out2[32];
    randombytes_buf(u, sizeof u);
    if (k % 3 == 0) memset(u + 1, 0xff, 31);
    int rc = crypto_scalarmult(out, sk, u);
    CHECK_EQ(sl__x25519_small(out2, sk, u), rc);
    if (rc == 0) CHECK_MEM(out, out2, 32);
  }
  /* Small-order points give zero, refused by both. */
  static const uint8_t small[][32] = {{0}, {1}, {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}};
  for (size_t k = 0; k < sizeof small / sizeof small[0]; k++) {
    uint8_t out[32];
    CHECK_EQ(crypto_scalarmult(out, seed, small[k]), -1);
    CHECK_EQ(sl__x25519_small(out, seed, small[k]), -1);
  }
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_rfc8032();
  test_sign_verify();
  test_peer_id_roundtrip();
  test_peer_id_rejects();
  test_base58();
  test_base58_roundtrip();
  test_errors();
  test_small_base_mult();
  return check_summary("identity");
}
