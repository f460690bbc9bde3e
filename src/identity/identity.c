/* identity.c — Ed25519 identities and libp2p peer ids. */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct sl_identity {
  uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  char peer_id[SL_PEER_ID_BYTES];
};

/* protobuf PublicKey{Type: Ed25519, Data: 32 bytes} inside an identity
 * multihash (code 0x00, length 0x24 = 36). */
static const uint8_t peer_id_prefix[6] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20};
#define PEER_ID_RAW_BYTES SL__PEER_ID_RAW_BYTES
_Static_assert(sizeof peer_id_prefix + 32 == SL__PEER_ID_RAW_BYTES, "peer id bytes");

void sl__peer_id_raw(const uint8_t pk[32], uint8_t raw[SL__PEER_ID_RAW_BYTES]) {
  memcpy(raw, peer_id_prefix, sizeof peer_id_prefix);
  memcpy(raw + sizeof peer_id_prefix, pk, 32);
}

int sl__peer_id_raw_key(const uint8_t *raw, size_t len, uint8_t pk[32]) {
  if (len != PEER_ID_RAW_BYTES || memcmp(raw, peer_id_prefix, sizeof peer_id_prefix) != 0)
    return SL_EPEERID;
  memcpy(pk, raw + sizeof peer_id_prefix, 32);
  return 0;
}

int sl_peer_id_from_public_key(const uint8_t pk[32], char out[SL_PEER_ID_BYTES]) {
  if (!pk || !out) return SL_EINVAL;
  uint8_t raw[PEER_ID_RAW_BYTES];
  sl__peer_id_raw(pk, raw);
  int n = sl__base58_encode(raw, sizeof raw, out, SL_PEER_ID_BYTES - 1);
  if (n < 0) return n;
  out[n] = '\0';
  return 0;
}

int sl__peer_id_decode(const char *str, size_t len, uint8_t pk[32]) {
  if (!str || !pk) return SL_EINVAL;
  if (len != SL_PEER_ID_BYTES - 1) return SL_EPEERID;
  uint8_t raw[PEER_ID_RAW_BYTES + 8];
  int n = sl__base58_decode(str, len, raw, sizeof raw);
  if (n != (int)PEER_ID_RAW_BYTES) return SL_EPEERID;
  if (memcmp(raw, peer_id_prefix, sizeof peer_id_prefix) != 0) return SL_EPEERID;
  memcpy(pk, raw + sizeof peer_id_prefix, 32);
  return 0;
}

int sl_peer_id_to_public_key(const char *str, size_t len, uint8_t pk[32]) {
  uint8_t key[32];
  int rc = sl__peer_id_decode(str, len, key);
  if (rc != 0) return rc;
  /* Rejects non-canonical encodings and small-order points, which no honest
   * key generator produces and which make signatures meaningless. */
  if (!crypto_core_ed25519_is_valid_point(key)) return SL_EPUBKEY;
  memcpy(pk, key, 32);
  return 0;
}

static int identity_finish(sl_identity *id, sl_identity **out) {
  int rc = sl_peer_id_from_public_key(id->pk, id->peer_id);
  if (rc != 0) {
    sl_identity_free(id);
    return rc;
  }
  *out = id;
  return 0;
}

int sl_identity_from_seed(sl_identity **out, const uint8_t seed[SL_SEED_BYTES]) {
  if (!out || !seed) return SL_EINVAL;
  *out = NULL;
  sl_identity *id = calloc(1, sizeof *id);
  if (!id) return SL_ENOMEM;
  sl__ed25519_keypair(id->pk, id->sk, seed);
  return identity_finish(id, out);
}

int sl_identity_generate(sl_identity **out) {
  uint8_t seed[SL_SEED_BYTES];
  randombytes_buf(seed, sizeof seed);
  int rc = sl_identity_from_seed(out, seed);
  sodium_memzero(seed, sizeof seed);
  return rc;
}

void sl_identity_free(sl_identity *id) {
  if (!id) return;
  sodium_memzero(id, sizeof *id);
  free(id);
}

const uint8_t *sl_identity_public_key(const sl_identity *id) { return id->pk; }
const char *sl_identity_peer_id(const sl_identity *id) { return id->peer_id; }
void sl_identity_seed(const sl_identity *id, uint8_t seed[SL_SEED_BYTES]) {
  crypto_sign_ed25519_sk_to_seed(seed, id->sk);
}

int sl_identity_sign(const sl_identity *id, const uint8_t *msg, size_t len, uint8_t sig[64]) {
  static const uint8_t empty[1];
  if (!id || !sig || (!msg && len)) return SL_EINVAL;
  if (!msg) msg = empty; /* libsodium may pass msg to memcpy even for len 0 */
  sl__ed25519_sign(sig, msg, len, id->sk);
  return 0;
}

int sl_verify(const uint8_t pk[32], const uint8_t *msg, size_t len, const uint8_t sig[64]) {
  static const uint8_t empty[1];
  if (!pk || !sig || (!msg && len)) return SL_EINVAL;
  if (!msg) msg = empty;
  return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : SL_EHS_SIGNATURE;
}
