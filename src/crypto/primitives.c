/* primitives.c — thin, checked wrappers over libsodium used by Noise. */
#include "internal.h"

#include <sodium.h>
#include <string.h>

int sl__hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len) {
  if (out_len > 255u * 32u) return SL_EINVAL;
  uint8_t prk[32], t[32];
  crypto_auth_hmacsha256_state st;
  /* Extract: an absent salt is HashLen zero bytes (RFC 5869 2.2); HMAC pads
   * any key shorter than the block with zeros, so an empty key is the same. */
  static const uint8_t no_salt[1];
  crypto_auth_hmacsha256_init(&st, salt_len ? salt : no_salt, salt_len);
  if (ikm_len) crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
  crypto_auth_hmacsha256_final(&st, prk);
  size_t done = 0;
  for (uint8_t i = 1; done < out_len; i++) {
    crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
    if (i > 1) crypto_auth_hmacsha256_update(&st, t, sizeof t);
    if (info_len) crypto_auth_hmacsha256_update(&st, info, info_len);
    crypto_auth_hmacsha256_update(&st, &i, 1);
    crypto_auth_hmacsha256_final(&st, t);
    size_t take = out_len - done < 32 ? out_len - done : 32;
    memcpy(out + done, t, take);
    done += take;
  }
  sodium_memzero(prk, sizeof prk);
  sodium_memzero(t, sizeof t);
  sodium_memzero(&st, sizeof st);
  return 0;
}

int sl__x25519(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32]) {
  /* crypto_scalarmult fails when the result is all zero, i.e. pk has low
   * order: such a "shared secret" is known to everyone. */
  if (sl__x25519_raw(shared, sk, pk) != 0) {
    sodium_memzero(shared, 32);
    return SL_EHS_LOW_ORDER;
  }
  return 0;
}

static void noise_nonce(uint64_t n, uint8_t nonce[12]) {
  memset(nonce, 0, 4);
  for (int i = 0; i < 8; i++)
    nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

void sl__aead_encrypt(const uint8_t key[32], uint64_t n, const uint8_t *ad, size_t ad_len,
                      const uint8_t *pt, size_t len, uint8_t *out) {
  uint8_t nonce[12];
  noise_nonce(n, nonce);
  sl__chachapoly_encrypt(key, nonce, ad, ad_len, pt, len, out);
}

int sl__aead_decrypt(const uint8_t key[32], uint64_t n, const uint8_t *ad, size_t ad_len,
                     const uint8_t *ct, size_t len, uint8_t *out) {
  uint8_t nonce[12];
  if (len < 16) return SL_ESESSION_SHORT;
  noise_nonce(n, nonce);
  return sl__chachapoly_decrypt(key, nonce, ad, ad_len, ct, len, out);
}
