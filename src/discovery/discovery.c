/* discovery.c — what peers say about themselves, in libp2p's formats:
 *
 * - the announcement of pubsub peer discovery, published on the topic
 *   "_peer-discovery._p2p._pubsub": Peer { bytes publicKey = 1; repeated
 *   bytes addrs = 2; }, publicKey the protobuf PublicKey, addrs binary
 *   multiaddrs;
 * - the signed peer record carried by peer exchange (RFC 0002/0003): an
 *   Envelope { publicKey = 1; payloadType = 2; payload = 3; signature = 5 }
 *   whose payload is PeerRecord { peer_id = 1; seq = 2; repeated
 *   AddressInfo { multiaddr = 1 } addresses = 3 }, signed over the
 *   varint-length-prefixed domain "libp2p-peer-record", payload type
 *   (multicodec 0x0301) and payload.
 *
 * Address lists cross this API as text: '\n'-separated in, NUL-separated
 * out (addresses in protocols we do not read are skipped on the way out:
 * another implementation may announce more than we dial). */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t pubkey_prefix[4] = {0x08, 0x01, 0x12, 0x20}; /* Ed25519, 32 bytes */
static const char record_domain[] = "libp2p-peer-record";
static const uint8_t record_type[2] = {0x03, 0x01};

/* The protobuf PublicKey's key; false unless it is an Ed25519 key. */
static bool public_key(const uint8_t *p, size_t len, uint8_t pk[32]) {
  if (len != 36 || memcmp(p, pubkey_prefix, 4) != 0) return false;
  memcpy(pk, p + 4, 32);
  return true;
}

/* Each '\n'-separated multiaddr of `addrs` as field `field` of w, inside
 * a nested AddressInfo when `wrap`. */
static int write_addrs(sl__pbw *w, uint32_t field, bool wrap, const char *addrs) {
  size_t n = 0;
  for (const char *p = addrs; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len) {
      uint8_t bin[SL_MULTIADDR_MAX_BYTES];
      size_t blen = 0;
      int rc = sl_multiaddr_from_string(p, len, bin, sizeof bin, &blen);
      if (rc) return rc;
      if (++n > SL_DISCOVERY_MAX_ADDRS) return SL_EINVAL;
      if (wrap) sl__pbw_header(w, field, sl__pb_bytes_len(1, blen));
      sl__pbw_bytes(w, wrap ? 1 : field, bin, blen);
    }
    p += len + (nl ? 1 : 0);
  }
  return 0;
}

/* Appends one binary multiaddr, as text, to the NUL-separated list in
 * out; skipped (returns 0) if it is not one we read. */
static int read_addr(const uint8_t *bin, size_t len, char *out, size_t cap, size_t *pos,
                     int *count) {
  char text[SL_MULTIADDR_MAX_TEXT + 1];
  int n = sl_multiaddr_to_string(bin, len, text, sizeof text);
  if (n < 0) return 0;
  if (*pos + (size_t)n + 1 > cap) return SL_EBUFSIZE;
  memcpy(out + *pos, text, (size_t)n + 1);
  *pos += (size_t)n + 1;
  (*count)++;
  return 0;
}

int sl_discovery_encode(const uint8_t pk[32], const char *addrs, uint8_t *out, size_t cap,
                        size_t *len) {
  if (!pk || !out || !len) return SL_EINVAL;
  *len = 0;
  sl__pbw w;
  sl__pbw_init(&w, SL_DISCOVERY_MAX_BYTES);
  sl__pbw_header(&w, 1, 36);
  sl__pbw_raw(&w, pubkey_prefix, 4);
  sl__pbw_raw(&w, pk, 32);
  int rc = write_addrs(&w, 2, false, addrs);
  if (!rc && w.failed) rc = w.failed;
  if (!rc && w.len > cap) rc = SL_EBUFSIZE;
  if (!rc) {
    memcpy(out, w.buf, w.len);
    *len = w.len;
  }
  sl__pbw_free(&w);
  return rc;
}

int sl_discovery_decode(const uint8_t *in, size_t len, uint8_t pk[32], char *addrs, size_t cap) {
  if ((!in && len) || !pk || !addrs || !cap) return SL_EINVAL;
  addrs[0] = 0;
  if (len > SL_DISCOVERY_MAX_BYTES) return SL_EDISCOVERY;
  sl__pb r = sl__pb_reader(in, len);
  sl__pb_field f;
  bool has_key = false;
  size_t pos = 0, seen = 0;
  int count = 0, rc;
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (f.num == 1 || f.num == 2) {
      if (f.wire != 2) return SL_EDISCOVERY;
    } else {
      continue; /* unknown fields are skipped, as protobuf wants */
    }
    if (f.num == 1) {
      if (!public_key(f.bytes, f.len, pk)) return SL_EDISCOVERY;
      has_key = true;
    } else {
      if (++seen > SL_DISCOVERY_MAX_ADDRS) return SL_EDISCOVERY;
      if ((rc = read_addr(f.bytes, f.len, addrs, cap, &pos, &count)) != 0) return rc;
    }
  }
  if (rc < 0 || !has_key) return SL_EDISCOVERY;
  return count;
}

/* ---------------------------------------------------------- peer records */

/* varint(len) || bytes, for the signed data. */
static void prefixed(sl__pbw *w, const void *p, size_t len) {
  sl__pbw_varint(w, len);
  sl__pbw_raw(w, p, len);
}

/* What the envelope's signature covers. */
static uint8_t *signed_data(const uint8_t *payload, size_t len, size_t *out_len) {
  sl__pbw w;
  sl__pbw_init(&w, 64 + len);
  prefixed(&w, record_domain, sizeof record_domain - 1);
  prefixed(&w, record_type, sizeof record_type);
  prefixed(&w, payload, len);
  if (w.failed) {
    sl__pbw_free(&w);
    return NULL;
  }
  *out_len = w.len;
  return w.buf;
}

int sl_peer_record_seal(const sl_identity *id, uint64_t seq, const char *addrs, uint8_t *out,
                        size_t cap, size_t *len) {
  if (!id || !out || !len) return SL_EINVAL;
  *len = 0;
  const uint8_t *pk = sl_identity_public_key(id);
  uint8_t raw[SL__PEER_ID_RAW_BYTES];
  sl__peer_id_raw(pk, raw);
  sl__pbw rec, env;
  sl__pbw_init(&rec, SL_PEER_RECORD_MAX_BYTES);
  sl__pbw_init(&env, SL_PEER_RECORD_MAX_BYTES);
  sl__pbw_bytes(&rec, 1, raw, sizeof raw);
  sl__pbw_uint(&rec, 2, seq);
  int rc = write_addrs(&rec, 3, true, addrs);
  if (!rc && rec.failed) rc = rec.failed;
  size_t slen = 0;
  uint8_t *sdata = rc ? NULL : signed_data(rec.buf, rec.len, &slen);
  if (!rc && !sdata) rc = SL_ENOMEM;
  if (!rc) {
    uint8_t sig[64];
    sl_identity_sign(id, sdata, slen, sig);
    sl__pbw_header(&env, 1, 36);
    sl__pbw_raw(&env, pubkey_prefix, 4);
    sl__pbw_raw(&env, pk, 32);
    sl__pbw_bytes(&env, 2, record_type, sizeof record_type);
    sl__pbw_bytes(&env, 3, rec.buf, rec.len);
    sl__pbw_bytes(&env, 5, sig, sizeof sig);
    rc = env.failed;
  }
  if (!rc && env.len > cap) rc = SL_EBUFSIZE;
  if (!rc) {
    memcpy(out, env.buf, env.len);
    *len = env.len;
  }
  free(sdata);
  sl__pbw_free(&rec);
  sl__pbw_free(&env);
  return rc;
}

typedef struct envelope {
  const uint8_t *type, *payload, *sig;
  size_t type_len, payload_len, sig_len;
} envelope;

static int parse_envelope(const uint8_t *in, size_t len, uint8_t pk[32], envelope *e) {
  sl__pb r = sl__pb_reader(in, len);
  sl__pb_field f;
  bool has_key = false;
  int rc;
  memset(e, 0, sizeof *e);
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (f.num != 1 && f.num != 2 && f.num != 3 && f.num != 5) continue;
    if (f.wire != 2) return SL_EPEER_RECORD;
    switch (f.num) {
    case 1:
      if (!public_key(f.bytes, f.len, pk)) return SL_EPEER_RECORD;
      has_key = true;
      break;
    case 2:
      e->type = f.bytes, e->type_len = f.len;
      break;
    case 3:
      e->payload = f.bytes, e->payload_len = f.len;
      break;
    default:
      e->sig = f.bytes, e->sig_len = f.len;
      break;
    }
  }
  if (rc < 0 || !has_key || !e->payload || e->sig_len != 64) return SL_EPEER_RECORD;
  if (e->type_len != sizeof record_type || memcmp(e->type, record_type, sizeof record_type) != 0)
    return SL_EPEER_RECORD;
  return 0;
}

static int verify_envelope(const uint8_t pk[32], const envelope *e) {
  size_t slen = 0;
  uint8_t *sdata = signed_data(e->payload, e->payload_len, &slen);
  if (!sdata) return SL_ENOMEM;
  int ok = crypto_sign_verify_detached(e->sig, sdata, slen, pk) == 0;
  free(sdata);
  return ok ? 0 : SL_EPEER_RECORD;
}

/* The PeerRecord: its peer id must be the envelope's key. */
static int parse_record(const envelope *e, const uint8_t pk[32], uint64_t *seq, char *addrs,
                        size_t cap) {
  sl__pb r = sl__pb_reader(e->payload, e->payload_len);
  sl__pb_field f;
  bool has_id = false;
  size_t pos = 0, seen = 0;
  int count = 0, rc;
  *seq = 0;
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (f.num == 2) {
      if (f.wire != 0) return SL_EPEER_RECORD;
      *seq = f.u;
    } else if (f.num == 1 || f.num == 3) {
      if (f.wire != 2) return SL_EPEER_RECORD;
      if (f.num == 1) {
        uint8_t key[32];
        if (sl__peer_id_raw_key(f.bytes, f.len, key) != 0 || memcmp(key, pk, 32) != 0)
          return SL_EPEER_RECORD;
        has_id = true;
        continue;
      }
      if (++seen > SL_DISCOVERY_MAX_ADDRS) return SL_EPEER_RECORD;
      sl__pb inner = sl__pb_reader(f.bytes, f.len);
      sl__pb_field a;
      int irc;
      while ((irc = sl__pb_next(&inner, &a)) == 1) {
        if (a.num != 1) continue;
        if (a.wire != 2) return SL_EPEER_RECORD;
        if ((rc = read_addr(a.bytes, a.len, addrs, cap, &pos, &count)) != 0) return rc;
      }
      if (irc < 0) return SL_EPEER_RECORD;
    }
  }
  if (rc < 0 || !has_id) return SL_EPEER_RECORD;
  return count;
}

int sl_peer_record_open(const uint8_t *in, size_t len, uint8_t pk[32], uint64_t *seq, char *addrs,
                        size_t cap) {
  if ((!in && len) || !pk || !seq || !addrs || !cap) return SL_EINVAL;
  addrs[0] = 0;
  if (len > SL_PEER_RECORD_MAX_BYTES) return SL_EPEER_RECORD;
  envelope e;
  int rc = parse_envelope(in, len, pk, &e);
  if (rc) return rc;
  if ((rc = verify_envelope(pk, &e)) != 0) return rc;
  rc = parse_record(&e, pk, seq, addrs, cap);
  if (rc < 0) addrs[0] = 0;
  return rc;
}
