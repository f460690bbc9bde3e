/* chachapoly.c — ChaCha20-Poly1305 (RFC 8439) for the session layer.
 *
 * Natively this is libsodium's AEAD. In the wasm build ChaCha20 is the
 * bottleneck (about 80 % of the AEAD's time, and libsodium 1.0.18 has no
 * wasm SIMD path), so there the keystream comes from a 4-block wasm SIMD
 * ChaCha20 below while Poly1305, the tag check and the one-block
 * Poly1305 key still come from libsodium. tests/c/test_chachapoly.c checks
 * it against libsodium byte for byte; the Wycheproof and Noise vectors run
 * through it in the wasm test build. */
#include "internal.h"

#include <sodium.h>
#include <string.h>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#define ROTL(v, n) wasm_v128_or(wasm_i32x4_shl((v), (n)), wasm_u32x4_shr((v), 32 - (n)))
/* Rotations by whole bytes are one byte shuffle instead of three ops. */
#define ROTL16(v) wasm_i8x16_shuffle((v), (v), 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)
#define ROTL8(v) wasm_i8x16_shuffle((v), (v), 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14)
#define QR(a, b, c, d)                                                                             \
  do {                                                                                             \
    x[a] = wasm_i32x4_add(x[a], x[b]);                                                             \
    x[d] = ROTL16(wasm_v128_xor(x[d], x[a]));                                                      \
    x[c] = wasm_i32x4_add(x[c], x[d]);                                                             \
    x[b] = ROTL(wasm_v128_xor(x[b], x[c]), 12);                                                    \
    x[a] = wasm_i32x4_add(x[a], x[b]);                                                             \
    x[d] = ROTL8(wasm_v128_xor(x[d], x[a]));                                                       \
    x[c] = wasm_i32x4_add(x[c], x[d]);                                                             \
    x[b] = ROTL(wasm_v128_xor(x[b], x[c]), 7);                                                     \
  } while (0)

static uint32_t load32_le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Four consecutive blocks (counter .. counter+3), lane i = block i; the
 * 256 keystream bytes are XORed into src -> dst (which may alias). */
static void chacha20_x4(const uint32_t state[16], uint32_t counter, const uint8_t *src,
                        uint8_t *dst) {
  v128_t x[16];
  const v128_t ctr =
      wasm_i32x4_add(wasm_i32x4_splat((int32_t)counter), wasm_i32x4_make(0, 1, 2, 3));
  for (int i = 0; i < 16; i++)
    x[i] = wasm_i32x4_splat((int32_t)state[i]);
  x[12] = ctr;
  for (int r = 0; r < 10; r++) {
    QR(0, 4, 8, 12);
    QR(1, 5, 9, 13);
    QR(2, 6, 10, 14);
    QR(3, 7, 11, 15);
    QR(0, 5, 10, 15);
    QR(1, 6, 11, 12);
    QR(2, 7, 8, 13);
    QR(3, 4, 9, 14);
  }
  /* Re-splatting the input is cheaper than keeping 16 more vectors live. */
  for (int i = 0; i < 16; i++)
    x[i] = wasm_i32x4_add(x[i], i == 12 ? ctr : wasm_i32x4_splat((int32_t)state[i]));
  /* Transpose each group of four words so every block's 16 bytes are contiguous. */
  for (int g = 0; g < 4; g++) {
    v128_t a = x[4 * g], b = x[4 * g + 1], c = x[4 * g + 2], d = x[4 * g + 3];
    v128_t t0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
    v128_t t2 = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
    v128_t blk[4] = {wasm_i64x2_shuffle(t0, t2, 0, 2), wasm_i64x2_shuffle(t0, t2, 1, 3),
                     wasm_i64x2_shuffle(t1, t3, 0, 2), wasm_i64x2_shuffle(t1, t3, 1, 3)};
    for (int k = 0; k < 4; k++) {
      size_t off = 64 * (size_t)k + 16 * (size_t)g;
      wasm_v128_store(dst + off, wasm_v128_xor(wasm_v128_load(src + off), blk[k]));
    }
  }
}

/* ChaCha20 (IETF) XOR starting at block counter 1, as the AEAD needs. */
static void chacha20_xor_from_1(uint8_t *dst, const uint8_t *src, size_t len,
                                const uint8_t nonce[12], const uint8_t key[32]) {
  uint32_t st[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; i++)
    st[4 + i] = load32_le(key + 4 * i);
  for (int i = 0; i < 3; i++)
    st[13 + i] = load32_le(nonce + 4 * i);
  uint32_t counter = 1;
  size_t pos = 0;
  for (; len - pos >= 256; pos += 256, counter += 4)
    chacha20_x4(st, counter, src + pos, dst + pos);
  if (pos < len) {
    uint8_t tmp[256];
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, src + pos, len - pos);
    chacha20_x4(st, counter, tmp, tmp);
    memcpy(dst + pos, tmp, len - pos);
    sodium_memzero(tmp, sizeof tmp);
  }
  sodium_memzero(st, sizeof st);
}

static void poly1305_tag(uint8_t tag[16], const uint8_t *ad, size_t ad_len, const uint8_t *ct,
                         size_t ct_len, const uint8_t nonce[12], const uint8_t key[32]) {
  static const uint8_t zeros[16];
  uint8_t poly_key[32], lens[16];
  crypto_stream_chacha20_ietf(poly_key, sizeof poly_key, nonce, key); /* block 0 */
  crypto_onetimeauth_poly1305_state st;
  crypto_onetimeauth_poly1305_init(&st, poly_key);
  if (ad_len) crypto_onetimeauth_poly1305_update(&st, ad, ad_len);
  crypto_onetimeauth_poly1305_update(&st, zeros, (16 - ad_len % 16) % 16);
  if (ct_len) crypto_onetimeauth_poly1305_update(&st, ct, ct_len);
  crypto_onetimeauth_poly1305_update(&st, zeros, (16 - ct_len % 16) % 16);
  for (int i = 0; i < 8; i++) {
    lens[i] = (uint8_t)((uint64_t)ad_len >> (8 * i));
    lens[8 + i] = (uint8_t)((uint64_t)ct_len >> (8 * i));
  }
  crypto_onetimeauth_poly1305_update(&st, lens, sizeof lens);
  crypto_onetimeauth_poly1305_final(&st, tag);
  sodium_memzero(poly_key, sizeof poly_key);
  sodium_memzero(&st, sizeof st);
}

void sl__chachapoly_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                            size_t ad_len, const uint8_t *pt, size_t len, uint8_t *out) {
  chacha20_xor_from_1(out, pt, len, nonce, key);
  poly1305_tag(out + len, ad, ad_len, out, len, nonce, key);
}

int sl__chachapoly_decrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                           size_t ad_len, const uint8_t *ct, size_t len, uint8_t *out) {
  if (len < 16) return SL_ESESSION_SHORT;
  uint8_t tag[16];
  poly1305_tag(tag, ad, ad_len, ct, len - 16, nonce, key);
  /* Verify before decrypting: nothing unauthenticated is ever written. */
  if (crypto_verify_16(tag, ct + len - 16) != 0) return SL_ESESSION_DECRYPT;
  chacha20_xor_from_1(out, ct, len - 16, nonce, key);
  return 0;
}

#else /* libsodium's AEAD as is */

void sl__chachapoly_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                            size_t ad_len, const uint8_t *pt, size_t len, uint8_t *out) {
  crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, len, ad, ad_len, NULL, nonce, key);
}

int sl__chachapoly_decrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                           size_t ad_len, const uint8_t *ct, size_t len, uint8_t *out) {
  if (len < 16) return SL_ESESSION_SHORT;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, len, ad, ad_len, nonce, key) !=
      0)
    return SL_ESESSION_DECRYPT;
  return 0;
}
#endif
