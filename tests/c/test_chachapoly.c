/* test_chachapoly.c — the session AEAD against libsodium's
 * crypto_aead_chacha20poly1305_ietf, byte for byte, over many lengths
 * (every tail size around the 256-byte SIMD stride), with and without
 * associated data; and every single-bit tamper is refused. Natively both
 * sides are libsodium; the wasm build runs the SIMD ChaCha20. */
#include "check.h"
#include "internal.h"

#include <sodium.h>

static void check_length(size_t len, size_t ad_len) {
  uint8_t key[32], nonce[12], ad[64];
  static uint8_t pt[20000], ours[20016], theirs[20016], back[20000];
  randombytes_buf(key, sizeof key);
  randombytes_buf(nonce, sizeof nonce);
  randombytes_buf(ad, sizeof ad);
  randombytes_buf(pt, len);
  sl__chachapoly_encrypt(key, nonce, ad, ad_len, pt, len, ours);
  crypto_aead_chacha20poly1305_ietf_encrypt(theirs, NULL, pt, len, ad, ad_len, NULL, nonce, key);
  CHECK_MEM(ours, theirs, len + 16);
  CHECK_EQ(sl__chachapoly_decrypt(key, nonce, ad, ad_len, ours, len + 16, back), 0);
  CHECK_MEM(back, pt, len);
}

static void test_matches_libsodium(void) {
  for (size_t len = 0; len <= 1100; len++)
    check_length(len, len % 3 ? 0 : len % 40);
  const size_t big[] = {4095, 4096, 16368, 16384, 20000};
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
    check_length(big[i], 13);
}

static void test_in_place(void) {
  uint8_t key[32] = {1}, nonce[12] = {2};
  static uint8_t buf[1000 + 16], copy[1000], expect[1000 + 16];
  randombytes_buf(buf, 1000);
  memcpy(copy, buf, 1000);
  crypto_aead_chacha20poly1305_ietf_encrypt(expect, NULL, copy, 1000, NULL, 0, NULL, nonce, key);
  sl__chachapoly_encrypt(key, nonce, NULL, 0, buf, 1000, buf);
  CHECK_MEM(buf, expect, 1016);
  CHECK_EQ(sl__chachapoly_decrypt(key, nonce, NULL, 0, buf, 1016, buf), 0);
  CHECK_MEM(buf, copy, 1000);
}

static void test_tamper(void) {
  uint8_t key[32] = {3}, nonce[12] = {4}, ad[5] = {5}, pt[300] = {6}, ct[316], out[300];
  sl__chachapoly_encrypt(key, nonce, ad, sizeof ad, pt, sizeof pt, ct);
  int refused = 0;
  for (size_t bit = 0; bit < sizeof ct * 8; bit += 3) {
    ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    refused += sl__chachapoly_decrypt(key, nonce, ad, sizeof ad, ct, sizeof ct, out) ==
               SL_ESESSION_DECRYPT;
    ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  CHECK_EQ(refused, (sizeof ct * 8 + 2) / 3);
  ad[0] ^= 1;
  CHECK_EQ(sl__chachapoly_decrypt(key, nonce, ad, sizeof ad, ct, sizeof ct, out),
           SL_ESESSION_DECRYPT);
  CHECK_EQ(sl__chachapoly_decrypt(key, nonce, ad, sizeof ad, ct, 15, out), SL_ESESSION_SHORT);
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_matches_libsodium();
  test_in_place();
  test_tamper();
  return check_summary("chachapoly");
}
