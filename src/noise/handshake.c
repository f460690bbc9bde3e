/* handshake.c — libp2p's Noise handshake on top of the raw XX state:
 * messages 2 and 3 carry a NoiseHandshakePayload binding the fresh X25519
 * static key to the Ed25519 identity. */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char static_key_prefix[] = "noise-libp2p-static-key:";
#define PREFIX_LEN (sizeof static_key_prefix - 1)
#define PAYLOAD_FIXED 104       /* identity_key and identity_sig fields */
#define PAYLOAD_DATA_OVERHEAD 6 /* data field tag + varint length */

struct sl_handshake {
  sl__noise_xx noise;
  /* Our identity key and its signature over our fresh static key, made at
   * creation: the handshake never needs the identity's secret afterwards. */
  uint8_t id_pk[32];
  uint8_t id_sig[64];
  uint8_t remote_pk[32];
  uint8_t expected_pk[32];
  uint8_t hash[32];
  bool have_remote, have_expected, failed, split_done;
};

/* Signs "noise-libp2p-static-key:" || our X25519 static public key. */
static void sign_static_key(const sl_identity *id, const uint8_t s_pk[32], uint8_t sig[64]) {
  uint8_t msg[PREFIX_LEN + 32];
  memcpy(msg, static_key_prefix, PREFIX_LEN);
  memcpy(msg + PREFIX_LEN, s_pk, 32);
  (void)sl_identity_sign(id, msg, sizeof msg, sig);
}

int sl_handshake_new(sl_handshake **out, const sl_identity *id, int initiator,
                     const uint8_t *prologue, size_t prologue_len) {
  if (!out || !id || (!prologue && prologue_len)) return SL_EINVAL;
  *out = NULL;
  sl_handshake *hs = calloc(1, sizeof *hs);
  if (!hs) return SL_ENOMEM;
  uint8_t static_sk[32];
  randombytes_buf(static_sk, sizeof static_sk); /* fresh per session */
  sl__noise_init(&hs->noise, initiator != 0, prologue, prologue_len, static_sk);
  sodium_memzero(static_sk, sizeof static_sk);
  memcpy(hs->id_pk, sl_identity_public_key(id), 32);
  sign_static_key(id, hs->noise.s_pk, hs->id_sig);
  *out = hs;
  return 0;
}

void sl_handshake_free(sl_handshake *hs) {
  if (!hs) return;
  sodium_memzero(hs, sizeof *hs);
  free(hs);
}

int sl_handshake_expect_remote(sl_handshake *hs, const uint8_t pk[32]) {
  if (!hs || !pk) return SL_EINVAL;
  memcpy(hs->expected_pk, pk, 32);
  hs->have_expected = true;
  return 0;
}

int sl_handshake_complete(const sl_handshake *hs) { return hs->noise.step == 3 && !hs->failed; }
int sl_handshake_failed(const sl_handshake *hs) { return hs->failed; }
int sl_handshake_wants_write(const sl_handshake *hs) {
  return !hs->failed && sl__noise_my_turn(&hs->noise);
}

static int fail(sl_handshake *hs, int code) {
  hs->failed = true;
  sl__noise_wipe(&hs->noise);
  return code;
}

static int verify_static_key(const sl__payload *p, const uint8_t rs[32]) {
  uint8_t msg[PREFIX_LEN + 32];
  memcpy(msg, static_key_prefix, PREFIX_LEN);
  memcpy(msg + PREFIX_LEN, rs, 32);
  return sl_verify(p->pk, msg, sizeof msg, p->sig) == 0 ? 0 : SL_EHS_SIGNATURE;
}

int sl_handshake_write(sl_handshake *hs, const uint8_t *payload, size_t len, uint8_t *out,
                       size_t cap, size_t *out_len) {
  if (!hs || !out || !out_len || (!payload && len)) return SL_EINVAL;
  if (hs->failed) return SL_EHS_FAILED;
  if (!sl__noise_my_turn(&hs->noise)) return SL_ESTATE;
  if (hs->noise.step == 0) {
    /* Message 1 travels before any key exists: no application bytes. */
    if (len) return SL_EINVAL;
    return sl__noise_write(&hs->noise, NULL, 0, out, cap, out_len);
  }
  if (len > SL_NOISE_MAX_MESSAGE) return SL_EHS_TOO_LARGE;
  size_t inner_cap = PAYLOAD_FIXED + PAYLOAD_DATA_OVERHEAD + len;
  uint8_t *inner = malloc(inner_cap);
  if (!inner) return SL_ENOMEM;
  int n = sl__payload_encode(hs->id_pk, hs->id_sig, payload, len, inner, inner_cap);
  int rc = n < 0 ? n : sl__noise_write(&hs->noise, inner, (size_t)n, out, cap, out_len);
  sodium_memzero(inner, inner_cap);
  free(inner);
  /* Size errors leave the state untouched; anything else is final. */
  if (rc != 0 && rc != SL_EBUFSIZE && rc != SL_EHS_TOO_LARGE) return fail(hs, rc);
  if (rc == 0 && hs->noise.step == 3) memcpy(hs->hash, hs->noise.h, 32);
  return rc;
}

static int check_remote(sl_handshake *hs, const uint8_t *plain, size_t plen, uint8_t *payload_out,
                        size_t cap, size_t *payload_len) {
  sl__payload p;
  int rc = sl__payload_decode(plain, plen, &p);
  if (rc == 0) rc = verify_static_key(&p, hs->noise.rs);
  if (rc == 0 && hs->have_expected && sodium_memcmp(p.pk, hs->expected_pk, 32) != 0)
    rc = SL_EHS_PEER;
  if (rc == 0 && p.data_len > cap) rc = SL_EBUFSIZE;
  if (rc != 0) return rc;
  memcpy(hs->remote_pk, p.pk, 32);
  hs->have_remote = true;
  if (p.data_len) memcpy(payload_out, p.data, p.data_len);
  *payload_len = p.data_len;
  return 0;
}

int sl_handshake_read(sl_handshake *hs, const uint8_t *msg, size_t len, uint8_t *payload_out,
                      size_t cap, size_t *payload_len) {
  if (!hs || !msg || !payload_len || (!payload_out && cap)) return SL_EINVAL;
  if (hs->failed) return SL_EHS_FAILED;
  if (hs->noise.step >= 3 || sl__noise_my_turn(&hs->noise)) return SL_ESTATE;
  if (len > SL_NOISE_MAX_MESSAGE) return fail(hs, SL_EHS_TOO_LARGE);
  uint8_t *plain = malloc(len ? len : 1);
  if (!plain) return SL_ENOMEM;
  size_t plen = 0;
  int step = hs->noise.step;
  int rc = sl__noise_read(&hs->noise, msg, len, plain, len, &plen);
  if (rc == 0 && step == 0) {
    if (plen) rc = SL_EHS_PAYLOAD; /* libp2p sends nothing in message 1 */
    *payload_len = 0;
  } else if (rc == 0) {
    rc = check_remote(hs, plain, plen, payload_out, cap, payload_len);
  }
  sodium_memzero(plain, len ? len : 1);
  free(plain);
  if (rc != 0) return fail(hs, rc);
  if (hs->noise.step == 3) memcpy(hs->hash, hs->noise.h, 32);
  return 0;
}

int sl_handshake_remote_public_key(const sl_handshake *hs, uint8_t pk[32]) {
  if (!hs || !pk) return SL_EINVAL;
  if (!hs->have_remote || hs->failed) return SL_ESTATE;
  memcpy(pk, hs->remote_pk, 32);
  return 0;
}

int sl_handshake_hash(const sl_handshake *hs, uint8_t out[32]) {
  if (!hs || !out) return SL_EINVAL;
  if (!sl_handshake_complete(hs)) return SL_ESTATE;
  memcpy(out, hs->hash, 32);
  return 0;
}

int sl_handshake_split(sl_handshake *hs, sl_session **out) {
  if (!hs || !out) return SL_EINVAL;
  *out = NULL;
  if (hs->failed) return SL_EHS_FAILED;
  if (hs->split_done || hs->noise.step != 3) return SL_ESTATE;
  uint8_t send_key[32], recv_key[32];
  sl__noise_split(&hs->noise, send_key, recv_key);
  int rc = sl__session_new(out, send_key, recv_key);
  sodium_memzero(send_key, sizeof send_key);
  sodium_memzero(recv_key, sizeof recv_key);
  if (rc != 0) return rc;
  sl__noise_wipe(&hs->noise);
  hs->noise.step = 3; /* keep "complete" true after wiping the keys */
  hs->split_done = true;
  return 0;
}
