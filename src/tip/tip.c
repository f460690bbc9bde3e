/*
 * tip.c — TIP_META messages (docs/protocol.md §12): a meta-transaction
 * {from, to, amount, token, nonce, deadline, chainId} as EIP-712 typed
 * data (JSON), signed by the application's wallet, inside an envelope
 * signed by the sender's identity. The core checks the envelope, the size,
 * the clock, the deadline and replays; the wallet's signature is the
 * application's (and its relayer's) to verify: the core has no secp256k1.
 *
 *   body    = u8 version (1) | sender key (32) | u64 sent ms |
 *             u32 length | typed data (JSON) | u8 length | wallet signature
 *   message = body | Ed25519 signature over "starling-tip/1" || SHA-256(body)
 *
 * Replays: per sender, the highest nonce seen and which of the 64 below it
 * were seen (updated only after every check passed). Senders are bounded
 * (the least recently heard go first), so memory is too.
 */
#include "internal.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define VERSION 1
#define HEAD (1 + SL_PUBLIC_KEY_BYTES + 8 + 4)
static const char DOMAIN[] = "starling-tip/1";

typedef struct sender {
  uint8_t key[SL_PUBLIC_KEY_BYTES];
  uint64_t top;  /* the highest nonce seen */
  uint64_t seen; /* bit k: nonce top - k was seen */
  uint64_t heard;
} sender;

struct sl_tips {
  sl_tips_config cfg;
  sender *senders;
  size_t n, cap;
};

void sl_tips_config_default(sl_tips_config *c) {
  c->skew_ms = 120000;
  c->max_bytes = SL_TIP_MAX_BYTES;
  c->max_senders = 10000;
}

int sl_tips_new(sl_tips **out, const sl_tips_config *cfg) {
  if (!out) return SL_EINVAL;
  sl_tips *t = calloc(1, sizeof *t);
  if (!t) return SL_ENOMEM;
  if (cfg)
    t->cfg = *cfg;
  else
    sl_tips_config_default(&t->cfg);
  if (!t->cfg.max_senders || t->cfg.max_bytes > SL_TIP_MAX_BYTES) {
    free(t);
    return SL_EINVAL;
  }
  *out = t;
  return 0;
}

void sl_tips_free(sl_tips *t) {
  if (!t) return;
  free(t->senders);
  free(t);
}

static void digest(const uint8_t *body, size_t n, uint8_t out[sizeof DOMAIN - 1 + 32]) {
  memcpy(out, DOMAIN, sizeof DOMAIN - 1);
  crypto_hash_sha256(out + sizeof DOMAIN - 1, body, n);
}

int sl_tip_seal(const sl_identity *id, const char *meta, size_t meta_len, const uint8_t *wallet_sig,
                size_t sig_len, uint64_t now_ms, uint8_t **out, size_t *len) {
  if (!id || !meta || !out || !len || (!wallet_sig && sig_len) || sig_len > SL_TIP_SIG_MAX)
    return SL_EINVAL;
  size_t n = HEAD + meta_len + 1 + sig_len;
  if (n + SL_SIGNATURE_BYTES > SL_TIP_MAX_BYTES) return SL_ETIP_SIZE;
  uint8_t *m = malloc(n + SL_SIGNATURE_BYTES);
  if (!m) return SL_ENOMEM;
  m[0] = VERSION;
  memcpy(m + 1, sl_identity_public_key(id), SL_PUBLIC_KEY_BYTES);
  sl__put_u64be(m + 33, now_ms);
  sl__put_u32be(m + 41, (uint32_t)meta_len);
  memcpy(m + HEAD, meta, meta_len);
  m[HEAD + meta_len] = (uint8_t)sig_len;
  if (sig_len) memcpy(m + HEAD + meta_len + 1, wallet_sig, sig_len);
  uint8_t d[sizeof DOMAIN - 1 + 32];
  digest(m, n, d);
  if (sl_identity_sign(id, d, sizeof d, m + n) != 0) {
    free(m);
    return SL_EINVAL;
  }
  *out = m;
  *len = n + SL_SIGNATURE_BYTES;
  return 0;
}

/* A uint256 field as JSON gives it (a decimal string or a number) that
 * fits 64 bits. */
static bool field_u64(const cJSON *msg, const char *name, uint64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, name);
  if (cJSON_IsNumber(v)) {
    if (!(v->valuedouble >= 0 && v->valuedouble <= 9007199254740991.0) ||
        v->valuedouble != (double)(uint64_t)v->valuedouble)
      return false;
    *out = (uint64_t)v->valuedouble;
    return true;
  }
  if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > 20) return false;
  uint64_t x = 0;
  for (const char *c = v->valuestring; *c; c++) {
    if (*c < '0' || *c > '9') return false;
    uint64_t d = (uint64_t)(*c - '0');
    if (x > (UINT64_MAX - d) / 10) return false;
    x = x * 10 + d;
  }
  *out = x;
  return true;
}

/* The typed data's message: the seven fields, nonce, deadline and chain id
 * read as numbers. */
static int read_meta(const char *json, size_t len, sl_tip *out) {
  cJSON *root = sl__json_parse_strict(json, len);
  if (!root) return SL_ETIP_MALFORMED;
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
  int rc = SL_ETIP_MALFORMED;
  static const char *const strings[] = {"from", "to", "token"};
  bool ok =
      cJSON_IsObject(msg) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "primaryType"));
  for (int k = 0; ok && k < 3; k++)
    ok = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(msg, strings[k]));
  uint64_t amount;
  if (ok && field_u64(msg, "nonce", &out->nonce) && field_u64(msg, "deadline", &out->deadline_s) &&
      field_u64(msg, "chainId", &out->chain_id) &&
      (field_u64(msg, "amount", &amount) ||
       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(msg, "amount"))))
    rc = 0;
  cJSON_Delete(root);
  return rc;
}

static sender *find(sl_tips *t, const uint8_t key[32]) {
  for (size_t k = 0; k < t->n; k++)
    if (!memcmp(t->senders[k].key, key, 32)) return &t->senders[k];
  return NULL;
}

/* 0 if the nonce is new for this sender (not replayed, not too old). */
static int nonce_fresh(const sender *s, uint64_t nonce) {
  if (!s || nonce > s->top) return 0;
  uint64_t back = s->top - nonce;
  if (back >= 64 || (s->seen >> back & 1)) return SL_ETIP_REPLAY;
  return 0;
}

static int remember(sl_tips *t, sender *s, const uint8_t key[32], uint64_t nonce, uint64_t now) {
  if (!s) {
    if (t->n == t->cfg.max_senders) { /* the least recently heard makes room */
      size_t old = 0;
      for (size_t k = 1; k < t->n; k++)
        if (t->senders[k].heard < t->senders[old].heard) old = k;
      t->senders[old] = t->senders[--t->n];
    }
    sender *grown = sl__grow(t->senders, &t->cap, t->n + 1, sizeof *t->senders);
    if (!grown) return SL_ENOMEM;
    t->senders = grown;
    s = &t->senders[t->n++];
    memcpy(s->key, key, 32);
    s->top = nonce;
    s->seen = 1;
  } else if (nonce > s->top) {
    uint64_t shift = nonce - s->top;
    s->seen = shift >= 64 ? 1 : (s->seen << shift) | 1;
    s->top = nonce;
  } else {
    s->seen |= 1ull << (s->top - nonce);
  }
  s->heard = now;
  return 0;
}

int sl_tips_receive(sl_tips *t, const uint8_t *in, size_t len, uint64_t now_ms, sl_tip *out) {
  if (!t || !out || (!in && len)) return SL_EINVAL;
  memset(out, 0, sizeof *out);
  if (len > t->cfg.max_bytes) return SL_ETIP_SIZE;
  if (len < HEAD + 1 + SL_SIGNATURE_BYTES || in[0] != VERSION) return SL_ETIP_MALFORMED;
  size_t meta_len = sl__get_u32be(in + 41), body = len - SL_SIGNATURE_BYTES;
  if (meta_len > body - HEAD - 1) return SL_ETIP_MALFORMED;
  size_t sig_len = in[HEAD + meta_len];
  if (HEAD + meta_len + 1 + sig_len != body || sig_len > SL_TIP_SIG_MAX) return SL_ETIP_MALFORMED;
  uint8_t d[sizeof DOMAIN - 1 + 32];
  digest(in, body, d);
  if (sl_verify(in + 1, d, sizeof d, in + body) != 0) return SL_ETIP_SIGNATURE;
  uint64_t sent = sl__get_u64be(in + 33);
  if ((sent > now_ms ? sent - now_ms : now_ms - sent) > t->cfg.skew_ms) return SL_ETIP_SKEW;
  int rc = read_meta((const char *)in + HEAD, meta_len, out);
  if (rc) return rc;
  if (out->deadline_s > UINT64_MAX / 1000 || out->deadline_s * 1000 <= now_ms)
    return SL_ETIP_EXPIRED;
  sender *s = find(t, in + 1);
  if ((rc = nonce_fresh(s, out->nonce)) != 0) return rc;
  if ((rc = remember(t, s, in + 1, out->nonce, now_ms)) != 0) return rc;
  memcpy(out->sender, in + 1, 32);
  out->sent_ms = sent;
  out->meta = (const char *)in + HEAD;
  out->meta_len = meta_len;
  out->signature = in + HEAD + meta_len + 1;
  out->signature_len = sig_len;
  return 0;
}
