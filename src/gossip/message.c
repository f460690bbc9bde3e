/* message.c — libp2p pubsub's message signing (StrictSign) and ids.
 *
 * The signature is by the author's Ed25519 key over "libp2p-pubsub:" and
 * the Message's protobuf encoding without its signature and key fields.
 * The verifier re-encodes the fields it received in canonical order, as
 * js-libp2p and go-libp2p do, so a peer that sent them in another order
 * fails to verify. `key` is omitted: an Ed25519 peer id embeds its key. */
#include "gossip.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char sign_prefix[] = "libp2p-pubsub:";
#define PREFIX_LEN (sizeof sign_prefix - 1)

/* prefix || Message-without-signature into a fresh buffer. */
static uint8_t *signed_bytes(const sl__rpc_msg *m, size_t *len) {
  sl__pbw w;
  sl__pbw_init(&w, PREFIX_LEN + sl__rpc_message_len(m, false));
  sl__pbw_raw(&w, sign_prefix, PREFIX_LEN);
  sl__rpc_message_write(&w, m, false);
  if (w.failed) {
    sl__pbw_free(&w);
    return NULL;
  }
  *len = w.len;
  return w.buf;
}

int sl__gossip_verify(const sl__rpc_msg *m, uint8_t pk[32]) {
  if ((m->has & (SL__HAS_FROM | SL__HAS_SEQNO | SL__HAS_SIGNATURE)) !=
          (SL__HAS_FROM | SL__HAS_SEQNO | SL__HAS_SIGNATURE) ||
      m->seqno.len != 8 || m->signature.len != 64)
    return SL_EGOSSIP_SIGNATURE;
  if (sl__peer_id_raw_key(m->from.p, m->from.len, pk) != 0) return SL_EGOSSIP_SIGNATURE;
  if (m->has & SL__HAS_KEY) {
    /* Allowed when it is the protobuf PublicKey from embeds. */
    if (m->key.len != 36 || memcmp(m->key.p, m->from.p + 2, 36) != 0) return SL_EGOSSIP_SIGNATURE;
  }
  size_t len;
  uint8_t *buf = signed_bytes(m, &len);
  if (!buf) return SL_ENOMEM;
  int ok = crypto_sign_verify_detached(m->signature.p, buf, len, pk) == 0;
  free(buf);
  return ok ? 0 : SL_EGOSSIP_SIGNATURE;
}

int sl__gossip_sign(const sl_identity *id, const sl__rpc_msg *m, uint8_t sig[64]) {
  size_t len;
  uint8_t *buf = signed_bytes(m, &len);
  if (!buf) return SL_ENOMEM;
  sl_identity_sign(id, buf, len, sig);
  free(buf);
  return 0;
}

size_t sl__gossip_message_id(const sl__rpc_msg *m, bool content_id, uint8_t *out) {
  if (content_id) {
    crypto_hash_sha256(out, m->data.p ? m->data.p : (const uint8_t *)"", m->data.len);
    return crypto_hash_sha256_BYTES;
  }
  /* Callers verify first, so from is 38 bytes and seqno 8 (46 <= MAX_ID). */
  memcpy(out, m->from.p, m->from.len);
  memcpy(out + m->from.len, m->seqno.p, m->seqno.len);
  return m->from.len + m->seqno.len;
}
