/* base_mult.c — the curve operations of the browser module without
 * libsodium's precomputed base-point table. That table is 30 KB of data
 * that hardly compresses (about 25 KB of the module's 128 KB gzipped
 * budget), and libsodium links it with any X25519 use: its X25519 goes
 * through an implementation struct that holds the base-point function
 * too. So the browser module has its own X25519 (RFC 7748's ladder, on
 * 16 limbs of 16 bits) and multiplies Ed25519's base point as any other
 * point (libsodium's constant-time variable-base multiplication). Signing
 * and key agreement cost more there; verification nothing. Natively
 * libsodium's own functions are used; the tests check that both give the
 * same bytes. Ed25519 is deterministic (RFC 8032 5.1.6):
 *   h = SHA-512(seed), a = clamp(h[0..32]), A = aB
 *   r = SHA-512(h[32..64] || M) mod L, R = rB
 *   S = (r + SHA-512(R || A || M) a) mod L, signature = R || S */
#include "internal.h"

#include <sodium.h>
#include <string.h>

/* The base point's encoding: y = 4/5, x positive. */
static const uint8_t ED_BASE[32] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
static const uint8_t X_BASE[32] = {9};

/* GF(2^255 - 19) in 16 signed limbs of 16 bits (radix 2^16). */
typedef int64_t fe[16];

/* Limbs back to 16 bits; what passes the top wraps as 2^256 = 38. */
static void fe_carry(fe o) {
  for (int i = 0; i < 16; i++) {
    int64_t c = o[i] >> 16; /* floor, also for negative limbs */
    o[i] -= c * 65536;
    if (i < 15)
      o[i + 1] += c;
    else
      o[0] += 38 * c;
  }
}

/* Swaps p and q when b is 1, in constant time. */
static void fe_cswap(fe p, fe q, int64_t b) {
  int64_t mask = -b;
  for (int i = 0; i < 16; i++) {
    int64_t t = mask & (p[i] ^ q[i]);
    p[i] ^= t;
    q[i] ^= t;
  }
}

static void fe_add(fe o, const fe a, const fe b) {
  for (int i = 0; i < 16; i++)
    o[i] = a[i] + b[i];
}

static void fe_sub(fe o, const fe a, const fe b) {
  for (int i = 0; i < 16; i++)
    o[i] = a[i] - b[i];
}

static void fe_mul(fe o, const fe a, const fe b) {
  int64_t t[31] = {0};
  for (int i = 0; i < 16; i++)
    for (int j = 0; j < 16; j++)
      t[i + j] += a[i] * b[j];
  for (int i = 0; i < 15; i++)
    t[i] += 38 * t[i + 16];
  for (int i = 0; i < 16; i++)
    o[i] = t[i];
  fe_carry(o);
  fe_carry(o);
}

/* a^(p - 2) = 1/a: p - 2 has every bit of 254..0 set but bits 4 and 2. */
static void fe_invert(fe o, const fe a) {
  fe c;
  memcpy(c, a, sizeof c);
  for (int i = 253; i >= 0; i--) {
    fe_mul(c, c, c);
    if (i != 2 && i != 4) fe_mul(c, c, a);
  }
  memcpy(o, c, sizeof c);
}

static void fe_unpack(fe o, const uint8_t in[32]) {
  for (int i = 0; i < 16; i++)
    o[i] = in[2 * i] + ((int64_t)in[2 * i + 1] << 8);
  o[15] &= 0x7fff; /* RFC 7748: the top bit of u is ignored */
}

/* The canonical encoding: fully reduced below p. */
static void fe_pack(uint8_t out[32], const fe n) {
  fe t, m;
  memcpy(t, n, sizeof t);
  fe_carry(t);
  fe_carry(t);
  fe_carry(t);
  for (int pass = 0; pass < 2; pass++) { /* t - p, kept when it does not borrow */
    m[0] = t[0] - 0xffed;
    for (int i = 1; i < 15; i++) {
      m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
      m[i - 1] &= 0xffff;
    }
    m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
    int64_t borrow = (m[15] >> 16) & 1;
    m[14] &= 0xffff;
    fe_cswap(t, m, 1 - borrow);
  }
  for (int i = 0; i < 16; i++) {
    out[2 * i] = (uint8_t)t[i];
    out[2 * i + 1] = (uint8_t)(t[i] >> 8);
  }
}

/* X25519(k, u) by RFC 7748's Montgomery ladder; the scalar is clamped. */
static void x25519_ladder(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]) {
  static const fe a24 = {0xdb41, 1}; /* 121665 */
  uint8_t k[32];
  memcpy(k, scalar, 32);
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  fe x1, x2 = {1}, z2 = {0}, x3, z3 = {1}, a, aa, b, bb, e, c, d, da, cb;
  fe_unpack(x1, u);
  memcpy(x3, x1, sizeof x3);
  int64_t swap = 0;
  for (int t = 254; t >= 0; t--) {
    int64_t bit = (k[t >> 3] >> (t & 7)) & 1;
    swap ^= bit;
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);
    swap = bit;
    fe_add(a, x2, z2);
    fe_mul(aa, a, a);
    fe_sub(b, x2, z2);
    fe_mul(bb, b, b);
    fe_sub(e, aa, bb);
    fe_add(c, x3, z3);
    fe_sub(d, x3, z3);
    fe_mul(da, d, a);
    fe_mul(cb, c, b);
    fe_add(x3, da, cb);
    fe_mul(x3, x3, x3);
    fe_sub(z3, da, cb);
    fe_mul(z3, z3, z3);
    fe_mul(z3, z3, x1);
    fe_mul(x2, aa, bb);
    fe_mul(z2, a24, e);
    fe_add(z2, z2, aa);
    fe_mul(z2, z2, e);
  }
  fe_cswap(x2, x3, swap);
  fe_cswap(z2, z3, swap);
  fe_invert(z2, z2);
  fe_mul(x2, x2, z2);
  fe_pack(out, x2);
  sodium_memzero(k, sizeof k);
}

/* -1 when the result is all zero (u of small order), as libsodium. */
int sl__x25519_small(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]) {
  x25519_ladder(out, sk, pk);
  return sodium_is_zero(out, 32) ? -1 : 0;
}

void sl__x25519_base_small(uint8_t pk[32], const uint8_t sk[32]) { x25519_ladder(pk, sk, X_BASE); }

void sl__ed25519_keypair_small(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]) {
  uint8_t h[64];
  crypto_hash_sha512(h, seed, 32);
  /* Clamps h[0..32] as Ed25519 does; fails only for a zero result, which
   * a clamped scalar (at least 2^254) times the base point cannot give. */
  if (crypto_scalarmult_ed25519(pk, h, ED_BASE) != 0) memset(pk, 0, 32);
  memcpy(sk, seed, 32);
  memcpy(sk + 32, pk, 32);
  sodium_memzero(h, sizeof h);
}

static void hash_reduce(uint8_t out[32], const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
                        const uint8_t *m, size_t mn) {
  crypto_hash_sha512_state st;
  uint8_t wide[64];
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, a, an);
  if (bn) crypto_hash_sha512_update(&st, b, bn);
  crypto_hash_sha512_update(&st, m, mn);
  crypto_hash_sha512_final(&st, wide);
  crypto_core_ed25519_scalar_reduce(out, wide);
  sodium_memzero(wide, sizeof wide);
}

void sl__ed25519_sign_small(uint8_t sig[64], const uint8_t *m, size_t n, const uint8_t sk[64]) {
  uint8_t h[64], r[32], k[32], ka[32];
  crypto_hash_sha512(h, sk, 32);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  hash_reduce(r, h + 32, 32, NULL, 0, m, n);
  /* r is reduced: below L, so the multiplication takes it as it is. It
   * fails only for r = 0 (a SHA-512 output that is a multiple of L), whose
   * R would be the identity: encoded as libsodium does, y = 1. */
  if (crypto_scalarmult_ed25519_noclamp(sig, r, ED_BASE) != 0) {
    memset(sig, 0, 32);
    sig[0] = 1;
  }
  hash_reduce(k, sig, 32, sk + 32, 32, m, n);
  crypto_core_ed25519_scalar_mul(ka, k, h);
  crypto_core_ed25519_scalar_add(sig + 32, ka, r);
  sodium_memzero(h, sizeof h);
  sodium_memzero(r, sizeof r);
  sodium_memzero(ka, sizeof ka);
}

int sl__x25519_raw(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]) {
#ifdef __EMSCRIPTEN__
  return sl__x25519_small(out, sk, pk);
#else
  return crypto_scalarmult(out, sk, pk);
#endif
}

void sl__x25519_base(uint8_t pk[32], const uint8_t sk[32]) {
#ifdef __EMSCRIPTEN__
  sl__x25519_base_small(pk, sk);
#else
  crypto_scalarmult_base(pk, sk);
#endif
}

void sl__ed25519_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]) {
#ifdef __EMSCRIPTEN__
  sl__ed25519_keypair_small(pk, sk, seed);
#else
  crypto_sign_seed_keypair(pk, sk, seed);
#endif
}

void sl__ed25519_sign(uint8_t sig[64], const uint8_t *m, size_t n, const uint8_t sk[64]) {
#ifdef __EMSCRIPTEN__
  sl__ed25519_sign_small(sig, m, n, sk);
#else
  crypto_sign_detached(sig, NULL, m, n, sk);
#endif
}
