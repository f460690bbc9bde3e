/* pb.c — the protobuf wire format, just enough for libp2p's messages (the
 * pubsub RPC, peer discovery, signed peer records). Hand-written rather
 * than generated (docs/building.md says why): the reader is zero-copy, a
 * field's bytes point into the input, and every length is checked against
 * what remains before anything is read. The writer grows one buffer and
 * latches its first failure, so a builder checks once at the end. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Protobuf's varints are at most 10 bytes (64 bits). A 10th byte above 1
 * would overflow and is refused, as are truncated varints. */
static size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v) {
  uint64_t acc = 0;
  for (size_t i = 0; i < 10 && p + i < end; i++) {
    uint8_t b = p[i];
    if (i == 9 && b > 1) return 0;
    acc |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = acc;
      return i + 1;
    }
  }
  return 0;
}

int sl__pb_next(sl__pb *r, sl__pb_field *f) {
  if (r->p >= r->end) return 0;
  uint64_t tag;
  size_t n = get_varint(r->p, r->end, &tag);
  if (!n || tag >> 3 == 0 || tag >> 3 > UINT32_MAX) return -1;
  r->p += n;
  f->num = (uint32_t)(tag >> 3);
  f->wire = (unsigned)(tag & 7);
  f->u = 0;
  f->bytes = NULL;
  f->len = 0;
  switch (f->wire) {
  case SL__PB_VARINT:
    n = get_varint(r->p, r->end, &f->u);
    if (!n) return -1;
    r->p += n;
    return 1;
  case SL__PB_I64:
  case SL__PB_I32: {
    size_t w = f->wire == SL__PB_I64 ? 8 : 4;
    if ((size_t)(r->end - r->p) < w) return -1;
    for (size_t i = 0; i < w; i++)
      f->u |= (uint64_t)r->p[i] << (8 * i);
    r->p += w;
    return 1;
  }
  case SL__PB_LEN: {
    uint64_t len;
    n = get_varint(r->p, r->end, &len);
    if (!n || len > (uint64_t)(r->end - r->p - (ptrdiff_t)n)) return -1;
    f->bytes = r->p + n;
    f->len = (size_t)len;
    r->p += n + (size_t)len;
    return 1;
  }
  default:
    return -1; /* groups (3, 4) and the reserved types 6, 7 */
  }
}

size_t sl__pb_varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t sl__pb_bytes_len(uint32_t field, size_t len) {
  return sl__pb_varint_len((uint64_t)field << 3) + sl__pb_varint_len(len) + len;
}

/* Room for `more` bytes, doubling; latches failure past max or on ENOMEM. */
static bool reserve(sl__pbw *w, size_t more) {
  if (w->failed) return false;
  if (more > w->max - w->len || w->len > w->max) {
    w->failed = SL_EBUFSIZE;
    return false;
  }
  if (w->len + more <= w->cap) return true;
  size_t cap = w->cap ? w->cap : 256;
  while (cap < w->len + more)
    cap *= 2;
  uint8_t *b = realloc(w->buf, cap);
  if (!b) {
    w->failed = SL_ENOMEM;
    return false;
  }
  w->buf = b;
  w->cap = cap;
  return true;
}

void sl__pbw_init(sl__pbw *w, size_t max) {
  memset(w, 0, sizeof *w);
  w->max = max;
}

void sl__pbw_free(sl__pbw *w) {
  free(w->buf);
  sl__pbw_init(w, w->max);
}

void sl__pbw_raw(sl__pbw *w, const void *p, size_t len) {
  if (!len || !reserve(w, len)) return;
  memcpy(w->buf + w->len, p, len);
  w->len += len;
}

void sl__pbw_u32be(sl__pbw *w, uint32_t v) {
  uint8_t b[4];
  sl__put_u32be(b, v);
  sl__pbw_raw(w, b, 4);
}

void sl__pbw_u64be(sl__pbw *w, uint64_t v) {
  uint8_t b[8];
  sl__put_u64be(b, v);
  sl__pbw_raw(w, b, 8);
}

void sl__pbw_varint(sl__pbw *w, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (uint8_t)v;
  sl__pbw_raw(w, tmp, n);
}

void sl__pbw_uint(sl__pbw *w, uint32_t field, uint64_t v) {
  sl__pbw_varint(w, (uint64_t)field << 3 | SL__PB_VARINT);
  sl__pbw_varint(w, v);
}

void sl__pbw_bytes(sl__pbw *w, uint32_t field, const void *p, size_t len) {
  sl__pbw_varint(w, (uint64_t)field << 3 | SL__PB_LEN);
  sl__pbw_varint(w, len);
  sl__pbw_raw(w, p, len);
}

void sl__pbw_header(sl__pbw *w, uint32_t field, size_t len) {
  sl__pbw_varint(w, (uint64_t)field << 3 | SL__PB_LEN);
  sl__pbw_varint(w, len);
}
