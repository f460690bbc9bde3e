/* payload.c — libp2p's NoiseHandshakePayload, a tiny protobuf:
 *   bytes identity_key = 1;  (protobuf PublicKey: 08 01 12 20 <32 bytes>)
 *   bytes identity_sig = 2;  (64-byte Ed25519 signature)
 *   bytes data = 3;          (application bytes; libp2p's old early-data field)
 *   NoiseExtensions extensions = 4;  (skipped: we announce none)
 * Hand-written because it is four fields and the parser must be strict on
 * hostile input: every length is checked against what remains. */
#include "internal.h"

#include <string.h>

static const uint8_t ed25519_key_prefix[4] = {0x08, 0x01, 0x12, 0x20};

static size_t put_varint(uint8_t *out, size_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

/* Reads a varint of at most 5 bytes (values < 2^32, plenty for 64 KiB
 * messages). Returns bytes used, or 0 if malformed or truncated. */
static size_t get_varint(const uint8_t *in, size_t len, uint32_t *v) {
  uint64_t acc = 0;
  for (size_t i = 0; i < len && i < 5; i++) {
    acc |= (uint64_t)(in[i] & 0x7f) << (7 * i);
    if (!(in[i] & 0x80)) {
      if (acc > UINT32_MAX) return 0;
      *v = (uint32_t)acc;
      return i + 1;
    }
  }
  return 0;
}

int sl__payload_encode(const uint8_t pk[32], const uint8_t sig[64], const uint8_t *data,
                       size_t data_len, uint8_t *out, size_t cap) {
  uint8_t vbuf[10];
  size_t vlen = put_varint(vbuf, data_len);
  size_t need = 2 + 36 + 2 + 64 + (data_len ? 1 + vlen + data_len : 0);
  if (cap < need) return SL_EBUFSIZE;
  size_t pos = 0;
  out[pos++] = 0x0a; /* field 1, length-delimited */
  out[pos++] = 36;
  memcpy(out + pos, ed25519_key_prefix, 4);
  memcpy(out + pos + 4, pk, 32);
  pos += 36;
  out[pos++] = 0x12; /* field 2 */
  out[pos++] = 64;
  memcpy(out + pos, sig, 64);
  pos += 64;
  if (data_len) {
    out[pos++] = 0x1a; /* field 3 */
    memcpy(out + pos, vbuf, vlen);
    pos += vlen;
    memcpy(out + pos, data, data_len);
    pos += data_len;
  }
  return (int)pos;
}

/* Skips a field's value of a given wire type; returns bytes or 0 if bad. */
static size_t skip_value(unsigned wire, const uint8_t *in, size_t len) {
  uint32_t v;
  size_t n;
  switch (wire) {
  case 0:
    return get_varint(in, len, &v);
  case 1:
    return len >= 8 ? 8 : 0;
  case 5:
    return len >= 4 ? 4 : 0;
  case 2:
    n = get_varint(in, len, &v);
    return (n && v <= len - n) ? n + v : 0;
  default:
    return 0; /* groups (3, 4) and reserved types are not accepted */
  }
}

int sl__payload_decode(const uint8_t *in, size_t len, sl__payload *out) {
  memset(out, 0, sizeof *out);
  bool have_key = false, have_sig = false;
  size_t pos = 0;
  while (pos < len) {
    uint32_t tag;
    size_t n = get_varint(in + pos, len - pos, &tag);
    if (!n || (tag >> 3) == 0) return SL_EHS_PAYLOAD;
    pos += n;
    unsigned field = tag >> 3, wire = tag & 7;
    if (field >= 1 && field <= 3) {
      uint32_t flen;
      if (wire != 2) return SL_EHS_PAYLOAD;
      n = get_varint(in + pos, len - pos, &flen);
      if (!n || flen > len - pos - n) return SL_EHS_PAYLOAD;
      const uint8_t *v = in + pos + n;
      pos += n + flen;
      if (field == 1) {
        if (flen != 36 || memcmp(v, ed25519_key_prefix, 4) != 0) return SL_EHS_PAYLOAD;
        memcpy(out->pk, v + 4, 32);
        have_key = true;
      } else if (field == 2) {
        if (flen != 64) return SL_EHS_PAYLOAD;
        memcpy(out->sig, v, 64);
        have_sig = true;
      } else {
        out->data = v;
        out->data_len = flen;
      }
    } else {
      n = skip_value(wire, in + pos, len - pos);
      if (!n) return SL_EHS_PAYLOAD;
      pos += n;
    }
  }
  return (have_key && have_sig) ? 0 : SL_EHS_PAYLOAD;
}
