/* base_mult.c — the curve operations of the browser module without
 * libsodium's precomputed base-point table. That table is 30 KB of data
 * that hardly compresses (about 25 KB of the module's 128 KB gzipped
 * budget), and libsodium links it with any X25519 use: its X25519 goes
 * through an implementation struct that holds the base-point function
 * too. So the browser module has its own X25519 (RFC 7748's ladder, on
 * 10 limbs of 25.5 bits) and multiplies Ed25519's base point as any other
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

/* GF(2^255 - 19), two ways. The ladder works in 10 signed limbs of 26
 * and 25 bits alternately (radix 2^25.5): a product is 100 64-bit
 * multiplications, where 16 limbs of 16 bits took 256, and the ladder is
 * what a handshake spends its time on in the browser. The final encoding
 * goes through 16 limbs of 16 bits, where full reduction is simplest. */
typedef int64_t fe[16];
typedef int64_t fe10[10];

/* Where each of the 10 limbs starts, in bits, and its width. */
static const int LIMB_POS[10] = {0, 26, 51, 77, 102, 128, 153, 179, 204, 230};
static int limb_bits(int i) { return i & 1 ? 25 : 26; }

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

/* Swaps n limbs of p and q when b is 1, in constant time. */
static void limbs_cswap(int64_t *p, int64_t *q, int n, int64_t b) {
  int64_t mask = -b;
  for (int i = 0; i < n; i++) {
    int64_t t = mask & (p[i] ^ q[i]);
    p[i] ^= t;
    q[i] ^= t;
  }
}

static void fe10_add(fe10 o, const fe10 a, const fe10 b) {
  for (int i = 0; i < 10; i++)
    o[i] = a[i] + b[i];
}

static void fe10_sub(fe10 o, const fe10 a, const fe10 b) {
  for (int i = 0; i < 10; i++)
    o[i] = a[i] - b[i];
}

/* Each limb to within half its width (rounding, signed); what passes the
 * top wraps as 2^255 = 19. Twice round limb 0, which takes the wrap. */
static void fe10_carry(fe10 h) {
  for (int i = 0; i < 11; i++) {
    int k = i % 10, w = limb_bits(k);
    int64_t c = (h[k] + ((int64_t)1 << (w - 1))) >> w;
    h[k] -= c * ((int64_t)1 << w);
    if (k < 9)
      h[k + 1] += c;
    else
      h[0] += 19 * c;
  }
}

/* h = f g. Limbs i and j meet at limb i + j, times 19 when that passes
 * limb 9 (2^255 = 19), and times 2 when both are odd (25-bit limbs: their
 * positions add up to one bit short of the limb they land in), which for
 * j = k - i means k even and i odd. Inputs up to 2^27 a limb (sums or
 * differences of carried values) keep every sum below 2^63. */
static void fe10_mul(fe10 h, const fe10 f, const fe10 g) {
  int64_t f2[10], g19[10], t[10];
  for (int i = 0; i < 10; i++) {
    f2[i] = i & 1 ? 2 * f[i] : f[i];
    g19[i] = 19 * g[i];
  }
  for (int k = 0; k < 10; k++) {
    const int64_t *fk = k & 1 ? f : f2;
    int64_t s = 0;
    for (int i = 0; i <= k; i++)
      s += fk[i] * g[k - i];
    for (int i = k + 1; i < 10; i++)
      s += fk[i] * g19[k + 10 - i];
    t[k] = s;
  }
  fe10_carry(t);
  memcpy(h, t, sizeof t);
}

/* h = f^2: as fe10_mul, but each product f_i f_j with i != j once,
 * doubled (55 multiplications): for limb k the pairs i < j with i + j = k,
 * then those with i + j = k + 10 (times 19), and the squares on the way. */
static void fe10_sq(fe10 h, const fe10 f) {
  int64_t f2[10], f19[10], t[10];
  for (int i = 0; i < 10; i++) {
    f2[i] = i & 1 ? 2 * f[i] : f[i];
    f19[i] = 19 * f[i];
  }
  for (int k = 0; k < 10; k++) {
    const int64_t *fk = k & 1 ? f : f2; /* both odd only when k is even */
    int64_t s = 0;
    for (int i = 0; 2 * i < k; i++)
      s += 2 * (fk[i] * f[k - i]);
    for (int i = k + 1; 2 * i < k + 10; i++)
      s += 2 * (fk[i] * f19[k + 10 - i]);
    if (!(k & 1)) {
      s += fk[k / 2] * f[k / 2];
      if (k <= 8) s += fk[(k + 10) / 2] * f19[(k + 10) / 2];
    }
    t[k] = s;
  }
  fe10_carry(t);
  memcpy(h, t, sizeof t);
}

/* a^(p - 2) = 1/a: p - 2 has every bit of 254..0 set but bits 4 and 2. */
static void fe10_invert(fe10 o, const fe10 a) {
  fe10 c;
  memcpy(c, a, sizeof c);
  for (int i = 253; i >= 0; i--) {
    fe10_sq(c, c);
    if (i != 2 && i != 4) fe10_mul(c, c, a);
  }
  memcpy(o, c, sizeof c);
}

static void fe10_unpack(fe10 o, const uint8_t in[32]) {
  uint8_t b[40] = {0};
  memcpy(b, in, 32);
  b[31] &= 0x7f; /* RFC 7748: the top bit of u is ignored */
  for (int i = 0; i < 10; i++) {
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--)
      v = v << 8 | b[LIMB_POS[i] / 8 + k];
    o[i] = (int64_t)((v >> (LIMB_POS[i] % 8)) & (((uint64_t)1 << limb_bits(i)) - 1));
  }
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
    limbs_cswap(t, m, 16, 1 - borrow);
  }
  for (int i = 0; i < 16; i++) {
    out[2 * i] = (uint8_t)t[i];
    out[2 * i + 1] = (uint8_t)(t[i] >> 8);
  }
}

/* Carried 10-limb values (each within 2^26) moved to 16-bit limbs: a limb
 * starting r bits into a 16-bit limb adds h * 2^r there (below 2^42),
 * which fe_carry spreads. */
static void fe10_pack(uint8_t out[32], const fe10 h) {
  fe t = {0};
  for (int i = 0; i < 10; i++)
    t[LIMB_POS[i] / 16] += h[i] * ((int64_t)1 << (LIMB_POS[i] % 16));
  fe_pack(out, t);
}

/* X25519(k, u) by RFC 7748's Montgomery ladder; the scalar is clamped. */
static void x25519_ladder(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]) {
  static const fe10 a24 = {121665};
  uint8_t k[32];
  memcpy(k, scalar, 32);
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  fe10 x1, x2 = {1}, z2 = {0}, x3, z3 = {1}, a, aa, b, bb, e, c, d, da, cb;
  fe10_unpack(x1, u);
  memcpy(x3, x1, sizeof x3);
  int64_t swap = 0;
  for (int t = 254; t >= 0; t--) {
    int64_t bit = (k[t >> 3] >> (t & 7)) & 1;
    swap ^= bit;
    limbs_cswap(x2, x3, 10, swap);
    limbs_cswap(z2, z3, 10, swap);
    swap = bit;
    fe10_add(a, x2, z2);
    fe10_sq(aa, a);
    fe10_sub(b, x2, z2);
    fe10_sq(bb, b);
    fe10_sub(e, aa, bb);
    fe10_add(c, x3, z3);
    fe10_sub(d, x3, z3);
    fe10_mul(da, d, a);
    fe10_mul(cb, c, b);
    fe10_add(x3, da, cb);
    fe10_sq(x3, x3);
    fe10_sub(z3, da, cb);
    fe10_sq(z3, z3);
    fe10_mul(z3, z3, x1);
    fe10_mul(x2, aa, bb);
    fe10_mul(z2, a24, e);
    fe10_add(z2, z2, aa);
    fe10_mul(z2, z2, e);
  }
  limbs_cswap(x2, x3, 10, swap);
  limbs_cswap(z2, z3, 10, swap);
  fe10_invert(z2, z2);
  fe10_mul(x2, x2, z2);
  fe10_pack(out, x2);
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
