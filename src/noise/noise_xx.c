/* noise_xx.c — Noise_XX_25519_ChaChaPoly_SHA256, raw payloads.
 *
 *   -> e
 *   <- e, ee, s, es
 *   -> s, se
 *
 * Follows the Noise spec (rev 34) sections 5.1–5.3 literally so the
 * cacophony/snow vectors apply. Every DH result is checked for low order. */
#include "internal.h"

#include <sodium.h>
#include <string.h>

static const char protocol_name[] = "Noise_XX_25519_ChaChaPoly_SHA256";

static void mix_hash(sl__noise_xx *st, const uint8_t *data, size_t len) {
  crypto_hash_sha256_state hs;
  crypto_hash_sha256_init(&hs);
  crypto_hash_sha256_update(&hs, st->h, 32);
  if (len) crypto_hash_sha256_update(&hs, data, len);
  crypto_hash_sha256_final(&hs, st->h);
}

static void mix_key(sl__noise_xx *st, const uint8_t ikm[32]) {
  uint8_t out[64];
  (void)sl__hkdf_sha256(st->ck, 32, ikm, 32, NULL, 0, out, sizeof out);
  memcpy(st->ck, out, 32);
  memcpy(st->c.k, out + 32, 32);
  st->c.n = 0;
  st->c.has_key = true;
  sodium_memzero(out, sizeof out);
}

static int mix_dh(sl__noise_xx *st, const uint8_t sk[32], const uint8_t pk[32]) {
  uint8_t shared[32];
  int rc = sl__x25519(shared, sk, pk);
  if (rc == 0) mix_key(st, shared);
  sodium_memzero(shared, sizeof shared);
  return rc;
}

/* out gets len (+16 once keyed) bytes. */
static size_t encrypt_and_hash(sl__noise_xx *st, const uint8_t *pt, size_t len, uint8_t *out) {
  size_t n = len;
  if (st->c.has_key) {
    sl__aead_encrypt(st->c.k, st->c.n++, st->h, 32, pt, len, out);
    n += 16;
  } else if (len) {
    memmove(out, pt, len);
  }
  mix_hash(st, out, n);
  return n;
}

static int decrypt_and_hash(sl__noise_xx *st, const uint8_t *ct, size_t len, uint8_t *out) {
  if (st->c.has_key) {
    if (sl__aead_decrypt(st->c.k, st->c.n, st->h, 32, ct, len, out) != 0) return SL_EHS_DECRYPT;
    st->c.n++;
  } else if (len) {
    memmove(out, ct, len);
  }
  mix_hash(st, ct, len);
  return 0;
}

void sl__noise_init(sl__noise_xx *st, bool initiator, const uint8_t *prologue, size_t prologue_len,
                    const uint8_t static_sk[32]) {
  memset(st, 0, sizeof *st);
  memcpy(st->h, protocol_name, 32); /* name is exactly HASHLEN: used as is */
  memcpy(st->ck, st->h, 32);
  mix_hash(st, prologue, prologue_len);
  memcpy(st->s_sk, static_sk, 32);
  sl__x25519_base(st->s_pk, st->s_sk);
  st->initiator = initiator;
}

void sl__noise_set_ephemeral(sl__noise_xx *st, const uint8_t e_sk[32]) {
  memcpy(st->e_sk, e_sk, 32);
  sl__x25519_base(st->e_pk, st->e_sk);
  st->e_injected = true;
}

bool sl__noise_my_turn(const sl__noise_xx *st) {
  if (st->step >= 3) return false;
  return (st->step % 2 == 0) == st->initiator;
}

static void new_ephemeral(sl__noise_xx *st) {
  if (st->e_injected) return;
  randombytes_buf(st->e_sk, 32);
  sl__x25519_base(st->e_pk, st->e_sk);
}

/* Bytes a message of this step adds around its payload. */
static size_t step_overhead(int step) {
  switch (step) {
  case 0:
    return 32; /* e */
  case 1:
    return 32 + 48 + 16; /* e, s (encrypted), payload tag */
  default:
    return 48 + 16; /* s (encrypted), payload tag */
  }
}

int sl__noise_write(sl__noise_xx *st, const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                    size_t *out_len) {
  if (!sl__noise_my_turn(st)) return SL_ESTATE;
  size_t need = step_overhead(st->step) + len;
  if (need > SL_NOISE_MAX_MESSAGE) return SL_EHS_TOO_LARGE;
  if (cap < need) return SL_EBUFSIZE;
  size_t pos = 0;
  int rc = 0;
  if (st->step == 0 || st->step == 1) { /* e */
    new_ephemeral(st);
    memcpy(out, st->e_pk, 32);
    mix_hash(st, st->e_pk, 32);
    pos = 32;
  }
  if (st->step == 1) {
    if ((rc = mix_dh(st, st->e_sk, st->re)) != 0) return rc; /* ee */
    pos += encrypt_and_hash(st, st->s_pk, 32, out + pos);    /* s */
    if ((rc = mix_dh(st, st->s_sk, st->re)) != 0) return rc; /* es */
  } else if (st->step == 2) {
    pos += encrypt_and_hash(st, st->s_pk, 32, out + pos);    /* s */
    if ((rc = mix_dh(st, st->s_sk, st->re)) != 0) return rc; /* se */
  }
  pos += encrypt_and_hash(st, payload, len, out + pos);
  st->step++;
  *out_len = pos;
  return 0;
}

int sl__noise_read(sl__noise_xx *st, const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                   size_t *out_len) {
  if (st->step >= 3 || sl__noise_my_turn(st)) return SL_ESTATE;
  if (len > SL_NOISE_MAX_MESSAGE) return SL_EHS_TOO_LARGE;
  size_t overhead = step_overhead(st->step);
  if (len < overhead) return SL_EHS_SHORT;
  size_t plen = len - overhead;
  if (cap < plen) return SL_EBUFSIZE;
  size_t pos = 0;
  int rc;
  if (st->step == 0 || st->step == 1) { /* e */
    memcpy(st->re, msg, 32);
    mix_hash(st, st->re, 32);
    pos = 32;
  }
  if (st->step == 1) {
    if ((rc = mix_dh(st, st->e_sk, st->re)) != 0) return rc; /* ee */
    if ((rc = decrypt_and_hash(st, msg + pos, 48, st->rs)) != 0) return rc;
    pos += 48;
    if ((rc = mix_dh(st, st->e_sk, st->rs)) != 0) return rc; /* es */
  } else if (st->step == 2) {
    if ((rc = decrypt_and_hash(st, msg + pos, 48, st->rs)) != 0) return rc;
    pos += 48;
    if ((rc = mix_dh(st, st->e_sk, st->rs)) != 0) return rc; /* se */
  }
  if ((rc = decrypt_and_hash(st, msg + pos, len - pos, out)) != 0) return rc;
  st->step++;
  *out_len = plen;
  return 0;
}

void sl__noise_split(sl__noise_xx *st, uint8_t send_key[32], uint8_t recv_key[32]) {
  uint8_t out[64];
  (void)sl__hkdf_sha256(st->ck, 32, NULL, 0, NULL, 0, out, sizeof out);
  /* First key encrypts initiator -> responder. */
  memcpy(st->initiator ? send_key : recv_key, out, 32);
  memcpy(st->initiator ? recv_key : send_key, out + 32, 32);
  sodium_memzero(out, sizeof out);
}

void sl__noise_wipe(sl__noise_xx *st) { sodium_memzero(st, sizeof *st); }
