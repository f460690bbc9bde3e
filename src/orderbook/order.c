/*
 * order.c — signed orderbook messages in their one canonical encoding
 * (docs/protocol.md §9). Every integer is big-endian and of fixed width,
 * strings carry a length byte, and nothing is optional except what the
 * kind says, so one message has exactly one encoding: what is signed and
 * hashed is the bytes on the wire, never a re-serialisation.
 *
 *   body = u8 version (1) | u8 kind | maker key (32) | kind's fields
 *   create / update:
 *     u8 len | base | u8 len | quote | u8 side | u64 price | u64 amount |
 *     u64 min fill | u64 created | u64 expires | u64 seq |
 *     (update: the replaced order's id, 32) | u16 len | data
 *   cancel:
 *     the cancelled order's id (32) | u64 created | u64 seq
 *   message = body | Ed25519 signature over "starling-order/1" || body
 *   id = SHA-256(body)
 */
#include "internal.h"

#include <sodium.h>
#include <string.h>

#define VERSION 1
static const char DOMAIN[] = "starling-order/1";
#define DOMAIN_LEN (sizeof DOMAIN - 1)

/* The length of a NUL-terminated asset id within its array (the array's
 * size when it has no NUL: then too long). */
static size_t asset_len(const char a[SL_ORDER_ASSET_MAX + 1]) {
  const char *z = memchr(a, 0, SL_ORDER_ASSET_MAX + 1);
  return z ? (size_t)(z - a) : SL_ORDER_ASSET_MAX + 1;
}

static bool asset_ok(const char *a, size_t n) {
  if (n < 1 || n > SL_ORDER_ASSET_MAX) return false;
  for (size_t k = 0; k < n; k++)
    if (!((a[k] >= 'A' && a[k] <= 'Z') || (a[k] >= '0' && a[k] <= '9'))) return false;
  return true;
}

/* The rules that need no clock: a pair of two different asset ids, a
 * side, positive price and amount, a minimum fill within the amount, an
 * application field within its cap. */
static int shape(const sl_order *o) {
  if (o->kind == SL_ORDER_CANCEL) return 0;
  if (o->kind != SL_ORDER_CREATE && o->kind != SL_ORDER_UPDATE) return SL_EORDER_MALFORMED;
  size_t bl = asset_len(o->base), ql = asset_len(o->quote);
  if (!asset_ok(o->base, bl) || !asset_ok(o->quote, ql) || !strcmp(o->base, o->quote))
    return SL_EORDER_PAIR;
  if (o->side != SL_ORDER_BID && o->side != SL_ORDER_ASK) return SL_EORDER_MALFORMED;
  if (!o->price || !o->amount || o->min_fill > o->amount) return SL_EORDER_RANGE;
  if (o->data_len > SL_ORDER_DATA_MAX) return SL_EORDER_RANGE;
  return 0;
}

static size_t body_len(const sl_order *o) {
  size_t n = 2 + SL_PUBLIC_KEY_BYTES;
  if (o->kind == SL_ORDER_CANCEL) return n + SL_ORDER_ID_BYTES + 16;
  n += 1 + strlen(o->base) + 1 + strlen(o->quote) + 1 + 6 * 8 + 2 + o->data_len;
  return o->kind == SL_ORDER_UPDATE ? n + SL_ORDER_ID_BYTES : n;
}

static size_t write_body(const sl_order *o, uint8_t *p) {
  size_t at = 0;
  p[at++] = VERSION;
  p[at++] = (uint8_t)o->kind;
  memcpy(p + at, o->maker, SL_PUBLIC_KEY_BYTES);
  at += SL_PUBLIC_KEY_BYTES;
  if (o->kind == SL_ORDER_CANCEL) {
    memcpy(p + at, o->target, SL_ORDER_ID_BYTES);
    at += SL_ORDER_ID_BYTES;
    sl__put_u64be(p + at, o->created_ms);
    sl__put_u64be(p + at + 8, o->seq);
    return at + 16;
  }
  for (int k = 0; k < 2; k++) {
    const char *a = k ? o->quote : o->base;
    size_t n = strlen(a);
    p[at++] = (uint8_t)n;
    memcpy(p + at, a, n);
    at += n;
  }
  p[at++] = (uint8_t)o->side;
  const uint64_t v[6] = {o->price, o->amount, o->min_fill, o->created_ms, o->expires_ms, o->seq};
  for (int k = 0; k < 6; k++, at += 8)
    sl__put_u64be(p + at, v[k]);
  if (o->kind == SL_ORDER_UPDATE) {
    memcpy(p + at, o->target, SL_ORDER_ID_BYTES);
    at += SL_ORDER_ID_BYTES;
  }
  p[at++] = (uint8_t)(o->data_len >> 8);
  p[at++] = (uint8_t)o->data_len;
  if (o->data_len) memcpy(p + at, o->data, o->data_len);
  return at + o->data_len;
}

/* "starling-order/1" || body: what the maker signs. Returns its length. */
static size_t prefixed(const uint8_t *body, size_t n,
                       uint8_t out[DOMAIN_LEN + SL_ORDER_MAX_BYTES]) {
  memcpy(out, DOMAIN, DOMAIN_LEN);
  memcpy(out + DOMAIN_LEN, body, n);
  return DOMAIN_LEN + n;
}

static int domain_sign(const sl_identity *id, const uint8_t *body, size_t n, uint8_t sig[64]) {
  uint8_t buf[DOMAIN_LEN + SL_ORDER_MAX_BYTES];
  return sl_identity_sign(id, buf, prefixed(body, n, buf), sig);
}

static int domain_verify(const uint8_t pk[32], const uint8_t *body, size_t n,
                         const uint8_t sig[64]) {
  uint8_t buf[DOMAIN_LEN + SL_ORDER_MAX_BYTES];
  return sl_verify(pk, buf, prefixed(body, n, buf), sig) == 0 ? 0 : SL_EORDER_SIGNATURE;
}

int sl_order_seal(sl_order *o, const sl_identity *id, uint8_t *out, size_t cap, size_t *len) {
  if (!o || !id || !out || !len) return SL_EINVAL;
  int rc = shape(o);
  if (rc) return rc;
  memcpy(o->maker, sl_identity_public_key(id), SL_PUBLIC_KEY_BYTES);
  size_t n = body_len(o);
  if (n + SL_SIGNATURE_BYTES > cap) return SL_EBUFSIZE;
  write_body(o, out);
  if ((rc = domain_sign(id, out, n, o->signature)) != 0) return rc;
  memcpy(out + n, o->signature, SL_SIGNATURE_BYTES);
  crypto_hash_sha256(o->id, out, n);
  *len = n + SL_SIGNATURE_BYTES;
  return 0;
}

/* A reader over the message that fails once, for good, on a short read. */
typedef struct reader {
  const uint8_t *p;
  size_t len, at;
  bool bad;
} reader;

static const uint8_t *take(reader *r, size_t n) {
  if (r->bad || r->len - r->at < n) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *p = r->p + r->at;
  r->at += n;
  return p;
}

static uint64_t take_u64(reader *r) {
  const uint8_t *p = take(r, 8);
  return p ? sl__get_u64be(p) : 0;
}

static void take_asset(reader *r, char *out) {
  const uint8_t *n = take(r, 1);
  if (!n || *n > SL_ORDER_ASSET_MAX) {
    r->bad = true;
    return;
  }
  const uint8_t *a = take(r, *n);
  if (!a) return;
  memcpy(out, a, *n);
  out[*n] = '\0';
  if (memchr(a, 0, *n)) r->bad = true; /* a NUL inside would not re-encode the same */
}

static void read_fields(reader *r, sl_order *o) {
  take_asset(r, o->base);
  take_asset(r, o->quote);
  const uint8_t *side = take(r, 1);
  o->side = side ? *side : -1;
  o->price = take_u64(r);
  o->amount = take_u64(r);
  o->min_fill = take_u64(r);
  o->created_ms = take_u64(r);
  o->expires_ms = take_u64(r);
  o->seq = take_u64(r);
  if (o->kind == SL_ORDER_UPDATE) {
    const uint8_t *t = take(r, SL_ORDER_ID_BYTES);
    if (t) memcpy(o->target, t, SL_ORDER_ID_BYTES);
  }
  const uint8_t *dl = take(r, 2);
  size_t n = dl ? (size_t)dl[0] << 8 | dl[1] : 0;
  if (n > SL_ORDER_DATA_MAX) {
    r->bad = true;
    return;
  }
  const uint8_t *d = take(r, n);
  if (d && n) memcpy(o->data, d, n);
  o->data_len = n;
}

int sl__order_decode(const uint8_t *in, size_t len, sl_order *o, size_t *body) {
  if ((!in && len) || !o) return SL_EINVAL;
  memset(o, 0, sizeof *o);
  if (len < 2 + SL_PUBLIC_KEY_BYTES + SL_SIGNATURE_BYTES || len > SL_ORDER_MAX_BYTES)
    return SL_EORDER_MALFORMED;
  reader r = {in, len - SL_SIGNATURE_BYTES, 0, false};
  const uint8_t *head = take(&r, 2);
  if (!head || head[0] != VERSION) return SL_EORDER_MALFORMED;
  o->kind = head[1];
  if (o->kind != SL_ORDER_CREATE && o->kind != SL_ORDER_UPDATE && o->kind != SL_ORDER_CANCEL)
    return SL_EORDER_MALFORMED;
  const uint8_t *maker = take(&r, SL_PUBLIC_KEY_BYTES);
  if (!maker) return SL_EORDER_MALFORMED;
  memcpy(o->maker, maker, SL_PUBLIC_KEY_BYTES);
  if (o->kind == SL_ORDER_CANCEL) {
    const uint8_t *t = take(&r, SL_ORDER_ID_BYTES);
    if (t) memcpy(o->target, t, SL_ORDER_ID_BYTES);
    o->created_ms = take_u64(&r);
    o->seq = take_u64(&r);
  } else {
    read_fields(&r, o);
  }
  if (r.bad || r.at != r.len) return SL_EORDER_MALFORMED; /* one encoding: no trailing bytes */
  int rc = shape(o);
  if (rc) return rc;
  memcpy(o->signature, in + r.len, SL_SIGNATURE_BYTES);
  crypto_hash_sha256(o->id, in, r.len);
  *body = r.len;
  return 0;
}

size_t sl__order_body(const sl_order *o, uint8_t out[SL_ORDER_MAX_BYTES]) {
  return write_body(o, out);
}

int sl_order_open(const uint8_t *in, size_t len, sl_order *o) {
  size_t body = 0;
  int rc = sl__order_decode(in, len, o, &body);
  if (rc) return rc;
  return domain_verify(o->maker, in, body, o->signature);
}

/* created within [lo, hi]; an order not expired at now, living at most 24 h. */
static int check_window(const sl_order *o, uint64_t lo, uint64_t hi, uint64_t now_ms) {
  if (!o) return SL_EINVAL;
  if (o->created_ms < lo || o->created_ms > hi) return SL_EORDER_SKEW;
  if (o->kind == SL_ORDER_CANCEL) return 0;
  if (o->expires_ms <= now_ms || o->expires_ms <= o->created_ms ||
      o->expires_ms - o->created_ms > SL_ORDER_MAX_LIFE_MS)
    return SL_EORDER_EXPIRED;
  return 0;
}

int sl_order_check_time(const sl_order *o, uint64_t now_ms, uint64_t skew_ms) {
  return check_window(o, now_ms > skew_ms ? now_ms - skew_ms : 0, now_ms + skew_ms, now_ms);
}

int sl__order_check_age(const sl_order *o, uint64_t now_ms, uint64_t skew_ms) {
  return check_window(o, 0, now_ms + skew_ms, now_ms);
}
