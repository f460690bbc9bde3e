/* multiaddr.c — the multiaddrs Starling announces and reads, text to
 * binary and back: /ip4, /tcp, /udp, /dns, /dns4, /dns6, /tls, /ws, /wss,
 * /quic-v1, /p2p, /p2p-circuit, /webrtc, /webrtc-direct. Binary form: per
 * component an unsigned varint protocol code, then the value (fixed size,
 * or a varint length and bytes). Anything else, in either form, is
 * refused: an address we cannot read is one we cannot dial. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VAR = -1 };

typedef struct proto {
  const char *name;
  uint32_t code;
  int size; /* value bytes; 0: no value; VAR: length-prefixed */
} proto;

static const proto protos[] = {
    {"ip4", 4, 4},      {"tcp", 6, 2},     {"udp", 273, 2},         {"dns", 53, VAR},
    {"dns4", 54, VAR},  {"dns6", 55, VAR}, {"p2p-circuit", 290, 0}, {"webrtc-direct", 280, 0},
    {"webrtc", 281, 0}, {"p2p", 421, VAR}, {"tls", 448, 0},         {"quic-v1", 461, 0},
    {"ws", 477, 0},     {"wss", 478, 0},
};
#define NPROTOS (sizeof protos / sizeof protos[0])
#define VALUE_MAX 255 /* a DNS name's limit */
#define P2P_MAX 64    /* a peer id multihash: 38 bytes for Ed25519, 34 for SHA-256 */

static const proto *by_name(const char *s, size_t len) {
  for (size_t i = 0; i < NPROTOS; i++)
    if (strlen(protos[i].name) == len && memcmp(protos[i].name, s, len) == 0) return &protos[i];
  return NULL;
}

static const proto *by_code(uint64_t code) {
  for (size_t i = 0; i < NPROTOS; i++)
    if (protos[i].code == code) return &protos[i];
  return NULL;
}

/* A decimal number of at most `digits` digits, at most max. */
static bool number(const char *s, size_t len, size_t digits, unsigned max, unsigned *out) {
  if (!len || len > digits) return false;
  unsigned v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = v;
  return v <= max;
}

static bool ip4_from_text(const char *s, size_t len, uint8_t out[4]) {
  size_t at = 0;
  for (int part = 0; part < 4; part++) {
    size_t end = at;
    while (end < len && s[end] != '.')
      end++;
    unsigned v;
    if (!number(s + at, end - at, 3, 255, &v)) return false;
    out[part] = (uint8_t)v;
    if (part < 3 && end == len) return false;
    at = end + 1;
  }
  return at == len + 1;
}

/* Writes one component's value (from text) into w. */
static bool value_from_text(sl__pbw *w, const proto *p, const char *s, size_t len) {
  uint8_t buf[VALUE_MAX];
  unsigned v;
  switch (p->code) {
  case 4:
    if (!ip4_from_text(s, len, buf)) return false;
    sl__pbw_raw(w, buf, 4);
    return true;
  case 6:
  case 273:
    if (!number(s, len, 5, 65535, &v)) return false;
    buf[0] = (uint8_t)(v >> 8);
    buf[1] = (uint8_t)v;
    sl__pbw_raw(w, buf, 2);
    return true;
  case 421: {
    int n = sl__base58_decode(s, len, buf, P2P_MAX);
    if (n <= 0) return false;
    sl__pbw_varint(w, (uint64_t)n);
    sl__pbw_raw(w, buf, (size_t)n);
    return true;
  }
  default: /* dns names: printable, no '/' (the text form's separator) */
    if (!len || len > VALUE_MAX) return false;
    for (size_t i = 0; i < len; i++)
      if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f) return false;
    sl__pbw_varint(w, len);
    sl__pbw_raw(w, s, len);
    return true;
  }
}

int sl_multiaddr_from_string(const char *text, size_t text_len, uint8_t *out, size_t cap,
                             size_t *len) {
  if (!text || !out || !len) return SL_EINVAL;
  *len = 0;
  if (!text_len || text[0] != '/' || text_len > SL_MULTIADDR_MAX_TEXT) return SL_EMULTIADDR;
  sl__pbw w;
  sl__pbw_init(&w, SL_MULTIADDR_MAX_BYTES);
  size_t at = 1;
  bool ok = true;
  while (ok && at < text_len) {
    size_t end = at;
    while (end < text_len && text[end] != '/')
      end++;
    const proto *p = by_name(text + at, end - at);
    at = end + 1;
    if (!p) {
      ok = false;
      break;
    }
    sl__pbw_varint(&w, p->code);
    if (p->size == 0) continue;
    end = at;
    while (end < text_len && text[end] != '/')
      end++;
    ok = at <= text_len && value_from_text(&w, p, text + at, end - at);
    at = end + 1;
  }
  /* "/ip4/1.2.3.4/" (a trailing slash) and "/" are not multiaddrs. */
  if (text[text_len - 1] == '/') ok = false;
  int rc = !ok ? SL_EMULTIADDR : w.failed == SL_ENOMEM ? SL_ENOMEM : w.failed ? SL_EMULTIADDR : 0;
  if (rc == 0 && w.len > cap) rc = SL_EBUFSIZE;
  if (rc == 0) {
    memcpy(out, w.buf, w.len);
    *len = w.len;
  }
  sl__pbw_free(&w);
  return rc;
}

/* Reads an unsigned varint of at most 32 bits in its minimal encoding
 * (multiformats forbids padded ones: one address, one form); false when
 * malformed. */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 35 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return *v <= 0xffffffffu && (shift == 0 || b != 0);
  }
  return false;
}

/* Appends s (n bytes) to out if it fits. */
static bool put(char *out, size_t cap, size_t *pos, const char *s, size_t n) {
  if (*pos + n >= cap) return false;
  memcpy(out + *pos, s, n);
  *pos += n;
  out[*pos] = 0;
  return true;
}

/* 0, SL_EMULTIADDR for a value its protocol does not allow, SL_EBUFSIZE. */
static int value_to_text(const proto *p, const uint8_t *v, size_t n, char *out, size_t cap,
                         size_t *pos) {
  char buf[VALUE_MAX * 2];
  int len;
  switch (p->code) {
  case 4:
    len = 0;
    for (int k = 0; k < 4; k++) {
      if (k) buf[len++] = '.';
      len += (int)sl__utoa(v[k], buf + len);
    }
    break;
  case 6:
  case 273:
    len = (int)sl__utoa((unsigned)v[0] << 8 | v[1], buf);
    break;
  case 421:
    len = sl__base58_encode(v, n, buf, sizeof buf);
    break;
  default:
    for (size_t i = 0; i < n; i++)
      if (v[i] <= ' ' || v[i] >= 0x7f || v[i] == '/') return SL_EMULTIADDR;
    memcpy(buf, v, n);
    len = (int)n;
    break;
  }
  if (len <= 0) return SL_EMULTIADDR;
  return put(out, cap, pos, buf, (size_t)len) ? 0 : SL_EBUFSIZE;
}

int sl_multiaddr_to_string(const uint8_t *bytes, size_t len, char *out, size_t cap) {
  if (!bytes || !out || !cap) return SL_EINVAL;
  out[0] = 0;
  if (!len || len > SL_MULTIADDR_MAX_BYTES) return SL_EMULTIADDR;
  const uint8_t *p = bytes, *end = bytes + len;
  size_t pos = 0;
  while (p < end) {
    uint64_t code, n;
    if (!varint(&p, end, &code)) return SL_EMULTIADDR;
    const proto *pr = by_code(code);
    if (!pr) return SL_EMULTIADDR;
    if (!put(out, cap, &pos, "/", 1) || !put(out, cap, &pos, pr->name, strlen(pr->name)))
      return SL_EBUFSIZE;
    if (pr->size == 0) continue;
    if (pr->size == VAR) {
      if (!varint(&p, end, &n) || n == 0 || n > (pr->code == 421 ? P2P_MAX : VALUE_MAX))
        return SL_EMULTIADDR;
    } else {
      n = (uint64_t)pr->size;
    }
    if ((size_t)(end - p) < n) return SL_EMULTIADDR;
    if (!put(out, cap, &pos, "/", 1)) return SL_EBUFSIZE;
    int rc = value_to_text(pr, p, (size_t)n, out, cap, &pos);
    if (rc) return rc;
    p += n;
  }
  return pos <= SL_MULTIADDR_MAX_TEXT ? (int)pos : SL_EMULTIADDR;
}
