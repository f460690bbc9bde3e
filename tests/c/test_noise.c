/* test_noise.c — Noise XX against the cacophony/snow vectors, the libp2p
 * handshake layer, and the transport session. */
#include "check.h"
#include "internal.h"
#include "util.h"

#include <sodium.h>

static const char *vectors_dir = "tests/vectors";

/* ------------------------------------------------------------ vectors */

static void run_vector(const cJSON *v) {
  size_t n, ip_len, rp_len;
  uint8_t *is = json_hex(v, "init_static", &n), *ie = json_hex(v, "init_ephemeral", &n);
  uint8_t *rs = json_hex(v, "resp_static", &n), *re = json_hex(v, "resp_ephemeral", &n);
  uint8_t *ip = json_hex(v, "init_prologue", &ip_len), *rp = json_hex(v, "resp_prologue", &rp_len);
  sl__noise_xx init, resp;
  sl__noise_init(&init, true, ip, ip_len, is);
  sl__noise_init(&resp, false, rp, rp_len, rs);
  sl__noise_set_ephemeral(&init, ie);
  sl__noise_set_ephemeral(&resp, re);

  sl_session *s_init = NULL, *s_resp = NULL;
  const cJSON *m;
  int i = 0;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(v, "messages")) {
    size_t plen, clen, got = 0;
    uint8_t *payload = json_hex(m, "payload", &plen), *ct = json_hex(m, "ciphertext", &clen);
    uint8_t out[1024], back[1024];
    bool from_init = i % 2 == 0;
    if (i < 3) {
      sl__noise_xx *w = from_init ? &init : &resp, *r = from_init ? &resp : &init;
      CHECK_EQ(sl__noise_write(w, payload, plen, out, sizeof out, &got), 0);
      CHECK_EQ(got, clen);
      CHECK_MEM(out, ct, clen);
      CHECK_EQ(sl__noise_read(r, ct, clen, back, sizeof back, &got), 0);
      CHECK_EQ(got, plen);
      CHECK_MEM(back, payload, plen);
      if (i == 2) {
        const char *hh = json_str(v, "handshake_hash");
        if (*hh) {
          uint8_t *h = hex_decode(hh, &n);
          CHECK_MEM(init.h, h, 32);
          CHECK_MEM(resp.h, h, 32);
          free(h);
        }
        uint8_t k1[32], k2[32];
        sl__noise_split(&init, k1, k2);
        CHECK_EQ(sl__session_new(&s_init, k1, k2), 0);
        sl__noise_split(&resp, k1, k2);
        CHECK_EQ(sl__session_new(&s_resp, k1, k2), 0);
      }
    } else {
      /* Transport: message 3 is the responder's (XX ends on the initiator). */
      bool transport_from_init = (i % 2) == 0;
      sl_session *w = transport_from_init ? s_init : s_resp,
                 *r = transport_from_init ? s_resp : s_init;
      CHECK_EQ(sl_session_encrypt(w, payload, plen, out, sizeof out, &got), 0);
      CHECK_EQ(got, clen);
      CHECK_MEM(out, ct, clen);
      CHECK_EQ(sl_session_decrypt(r, ct, clen, back, sizeof back, &got), 0);
      CHECK_MEM(back, payload, plen);
    }
    free(payload);
    free(ct);
    i++;
  }
  CHECK(i >= 3);
  sl_session_free(s_init);
  sl_session_free(s_resp);
  free(is), free(ie), free(rs), free(re), free(ip), free(rp);
}

static void test_vectors(void) {
  cJSON *root = load_json(vectors_dir, "noise/noise_xx_25519_chachapoly_sha256.json");
  CHECK(root != NULL);
  if (!root) return;
  int count = 0;
  const cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors")) {
    CHECK(strcmp(json_str(v, "protocol_name"), "Noise_XX_25519_ChaChaPoly_SHA256") == 0);
    run_vector(v);
    count++;
  }
  CHECK(count >= 2);
  cJSON_Delete(root);
}

/* ------------------------------------------------- libp2p handshake */

typedef struct {
  sl_identity *ida, *idb;
  sl_handshake *a, *b; /* a initiates */
} pair;

static void pair_new(pair *p, const char *pro_a, const char *pro_b) {
  CHECK_EQ(sl_identity_generate(&p->ida), 0);
  CHECK_EQ(sl_identity_generate(&p->idb), 0);
  CHECK_EQ(sl_handshake_new(&p->a, p->ida, 1, (const uint8_t *)pro_a, strlen(pro_a)), 0);
  CHECK_EQ(sl_handshake_new(&p->b, p->idb, 0, (const uint8_t *)pro_b, strlen(pro_b)), 0);
}

static void pair_free(pair *p) {
  sl_handshake_free(p->a);
  sl_handshake_free(p->b);
  sl_identity_free(p->ida);
  sl_identity_free(p->idb);
}

/* Moves one message from w to r; returns the reader's result. */
static int step(sl_handshake *w, sl_handshake *r, const char *payload, char *got_payload) {
  uint8_t msg[1024], out[1024];
  size_t len = 0, plen = 0;
  size_t n = payload ? strlen(payload) : 0;
  int rc = sl_handshake_write(w, (const uint8_t *)payload, n, msg, sizeof msg, &len);
  if (rc) return rc;
  rc = sl_handshake_read(r, msg, len, out, sizeof out, &plen);
  if (rc == 0 && got_payload) {
    memcpy(got_payload, out, plen);
    got_payload[plen] = '\0';
  }
  return rc;
}

static void test_handshake(void) {
  pair p;
  pair_new(&p, "fp-a|fp-b", "fp-a|fp-b");
  char got[64];
  CHECK(sl_handshake_wants_write(p.a));
  CHECK(!sl_handshake_wants_write(p.b));
  CHECK_EQ(step(p.a, p.b, NULL, got), 0);
  CHECK_EQ(step(p.b, p.a, "from responder", got), 0);
  CHECK(strcmp(got, "from responder") == 0);
  uint8_t pk[32];
  CHECK_EQ(sl_handshake_remote_public_key(p.a, pk), 0);
  CHECK_MEM(pk, sl_identity_public_key(p.idb), 32);
  CHECK_EQ(sl_handshake_remote_public_key(p.b, pk), SL_ESTATE);
  CHECK_EQ(step(p.a, p.b, "from initiator", got), 0);
  CHECK(strcmp(got, "from initiator") == 0);
  CHECK_EQ(sl_handshake_remote_public_key(p.b, pk), 0);
  CHECK_MEM(pk, sl_identity_public_key(p.ida), 32);
  CHECK(sl_handshake_complete(p.a) && sl_handshake_complete(p.b));
  uint8_t ha[32], hb[32];
  CHECK_EQ(sl_handshake_hash(p.a, ha), 0);
  CHECK_EQ(sl_handshake_hash(p.b, hb), 0);
  CHECK_MEM(ha, hb, 32);

  sl_session *sa = NULL, *sb = NULL;
  CHECK_EQ(sl_handshake_split(p.a, &sa), 0);
  CHECK_EQ(sl_handshake_split(p.b, &sb), 0);
  sl_session *again = NULL;
  CHECK_EQ(sl_handshake_split(p.b, &again), SL_ESTATE); /* only once */
  CHECK(again == NULL);
  uint8_t rec[SL_RECORD_MAX_BYTES], pt[SL_RECORD_MAX_BYTES];
  size_t rlen, plen;
  for (int i = 0; i < 100; i++) {
    char msg[32];
    int mlen = snprintf(msg, sizeof msg, "message %d", i);
    sl_session *w = i % 2 ? sb : sa, *r = i % 2 ? sa : sb;
    CHECK_EQ(sl_session_encrypt(w, (uint8_t *)msg, (size_t)mlen, rec, sizeof rec, &rlen), 0);
    CHECK_EQ(sl_session_decrypt(r, rec, rlen, pt, sizeof pt, &plen), 0);
    CHECK_EQ(plen, (size_t)mlen);
    CHECK_MEM(pt, msg, plen);
  }
  sl_session_free(sa);
  sl_session_free(sb);
  pair_free(&p);
}

static void test_handshake_state_errors(void) {
  pair p;
  pair_new(&p, "x", "x");
  uint8_t msg[512], out[512];
  size_t len, plen;
  CHECK_EQ(sl_handshake_write(p.b, NULL, 0, msg, sizeof msg, &len), SL_ESTATE);
  CHECK_EQ(sl_handshake_read(p.a, msg, 32, out, sizeof out, &plen), SL_ESTATE);
  sl_session *s = NULL;
  CHECK_EQ(sl_handshake_split(p.a, &s), SL_ESTATE);
  CHECK_EQ(sl_handshake_write(p.a, (const uint8_t *)"early", 5, msg, sizeof msg, &len), SL_EINVAL);
  CHECK_EQ(sl_handshake_write(p.a, NULL, 0, msg, 10, &len), SL_EBUFSIZE);
  CHECK_EQ(sl_handshake_write(p.a, NULL, 0, msg, sizeof msg, &len), 0);
  CHECK_EQ(sl_handshake_write(p.a, NULL, 0, msg, sizeof msg, &len), SL_ESTATE);
  uint8_t h[32];
  CHECK_EQ(sl_handshake_hash(p.a, h), SL_ESTATE);
  /* Short message 1 */
  CHECK_EQ(sl_handshake_read(p.b, msg, 31, out, sizeof out, &plen), SL_EHS_SHORT);
  CHECK(sl_handshake_failed(p.b));
  CHECK_EQ(sl_handshake_read(p.b, msg, len, out, sizeof out, &plen), SL_EHS_FAILED);
  pair_free(&p);
}

/* Flipping any byte of message 2 or 3 fails the handshake. */
static void test_handshake_tamper(void) {
  for (int which = 1; which <= 2; which++) {
    for (size_t pos = 0; pos < 200; pos += 7) {
      pair p;
      pair_new(&p, "pro", "pro");
      uint8_t msg[1024], out[1024];
      size_t len, plen;
      int rc = 0;
      for (int m = 0; m <= which && rc == 0; m++) {
        sl_handshake *w = m % 2 ? p.b : p.a, *r = m % 2 ? p.a : p.b;
        CHECK_EQ(sl_handshake_write(w, NULL, 0, msg, sizeof msg, &len), 0);
        if (m == which) msg[pos % len] ^= 0x40;
        rc = sl_handshake_read(r, msg, len, out, sizeof out, &plen);
      }
      CHECK(rc == SL_EHS_DECRYPT || rc == SL_EHS_LOW_ORDER);
      pair_free(&p);
    }
  }
}

static void test_prologue_mismatch(void) {
  pair p;
  pair_new(&p, "fingerprint-a|fingerprint-b", "fingerprint-a|fingerprint-X");
  CHECK_EQ(step(p.a, p.b, NULL, NULL), 0);
  CHECK_EQ(step(p.b, p.a, NULL, NULL), SL_EHS_DECRYPT);
  pair_free(&p);
}

static void test_expected_peer(void) {
  pair p;
  pair_new(&p, "", "");
  sl_identity *other = NULL;
  CHECK_EQ(sl_identity_generate(&other), 0);
  CHECK_EQ(sl_handshake_expect_remote(p.a, sl_identity_public_key(other)), 0);
  CHECK_EQ(step(p.a, p.b, NULL, NULL), 0);
  CHECK_EQ(step(p.b, p.a, NULL, NULL), SL_EHS_PEER);
  sl_identity_free(other);
  pair_free(&p);
}

/* Low-order ephemeral keys in message 1 or 2 are refused. */
static void test_low_order(void) {
  static const uint8_t zero_point[32] = {0};
  pair p;
  pair_new(&p, "", "");
  uint8_t out[512], msg[512];
  size_t plen, len;
  CHECK_EQ(sl_handshake_read(p.b, zero_point, 32, out, sizeof out, &plen), 0);
  CHECK_EQ(sl_handshake_write(p.b, NULL, 0, msg, sizeof msg, &len), SL_EHS_LOW_ORDER);
  CHECK(sl_handshake_failed(p.b));
  pair_free(&p);

  pair_new(&p, "", "");
  CHECK_EQ(sl_handshake_write(p.a, NULL, 0, msg, sizeof msg, &len), 0);
  uint8_t forged[32 + 48 + 16 + 200] = {0}; /* e = 0 (low order) */
  CHECK_EQ(sl_handshake_read(p.a, forged, sizeof forged, out, sizeof out, &plen), SL_EHS_LOW_ORDER);
  pair_free(&p);
}

/* A responder whose payload signs a different static key is rejected, as
 * is a payload that is not a NoiseHandshakePayload. Built on the raw layer. */
static void test_bad_signature_and_payload(void) {
  for (int variant = 0; variant < 3; variant++) {
    sl_identity *ia = NULL, *ib = NULL;
    CHECK_EQ(sl_identity_generate(&ia), 0);
    CHECK_EQ(sl_identity_generate(&ib), 0);
    sl_handshake *a = NULL;
    CHECK_EQ(sl_handshake_new(&a, ia, 1, NULL, 0), 0);
    uint8_t static_sk[32], msg[1024], out[1024], payload[256];
    randombytes_buf(static_sk, 32);
    sl__noise_xx resp;
    sl__noise_init(&resp, false, NULL, 0, static_sk);
    size_t len, plen;
    CHECK_EQ(sl_handshake_write(a, NULL, 0, msg, sizeof msg, &len), 0);
    CHECK_EQ(sl__noise_read(&resp, msg, len, out, sizeof out, &plen), 0);
    uint8_t sig[64] = {0};
    if (variant == 0) { /* signature over the wrong key */
      uint8_t m[24 + 32];
      memcpy(m, "noise-libp2p-static-key:", 24);
      randombytes_buf(m + 24, 32);
      CHECK_EQ(sl_identity_sign(ib, m, sizeof m, sig), 0);
    }
    int n = sl__payload_encode(sl_identity_public_key(ib), sig, NULL, 0, payload, sizeof payload);
    if (variant == 2) n = 10; /* truncated protobuf */
    CHECK_EQ(sl__noise_write(&resp, payload, (size_t)n, msg, sizeof msg, &len), 0);
    int rc = sl_handshake_read(a, msg, len, out, sizeof out, &plen);
    CHECK_EQ(rc, variant == 2 ? SL_EHS_PAYLOAD : SL_EHS_SIGNATURE);
    CHECK(sl_handshake_failed(a));
    sl_handshake_free(a);
    sl_identity_free(ia);
    sl_identity_free(ib);
  }
}

static void test_payload_parser(void) {
  uint8_t pk[32] = {9}, sig[64] = {7}, buf[256];
  sl__payload p;
  int n = sl__payload_encode(pk, sig, (const uint8_t *)"hi", 2, buf, sizeof buf);
  CHECK(n > 0);
  CHECK_EQ(sl__payload_decode(buf, (size_t)n, &p), 0);
  CHECK_EQ(p.data_len, 2);
  CHECK_MEM(p.pk, pk, 32);
  /* Unknown fields of every wire type are skipped. */
  uint8_t ext[300];
  memcpy(ext, buf, (size_t)n);
  size_t m = (size_t)n;
  const uint8_t extras[] = {0x22, 0x02, 0x0a, 0x00, /* field 4, extensions */
                            0x28, 0x96, 0x01,       /* field 5 varint */
                            0x31, 1,    2,    3,    4, 5, 6, 7, 8, 0x3d, 1, 2, 3, 4};
  memcpy(ext + m, extras, sizeof extras);
  m += sizeof extras;
  CHECK_EQ(sl__payload_decode(ext, m, &p), 0);
  /* Every truncation is an error, never an over-read. */
  for (size_t cut = 0; cut < (size_t)n; cut++) {
    int rc = sl__payload_decode(buf, cut, &p);
    /* Cutting exactly after the two required fields leaves a valid payload. */
    CHECK(cut == 104 ? rc == 0 : rc == SL_EHS_PAYLOAD);
  }
  const uint8_t group[] = {0x0b};
  CHECK_EQ(sl__payload_decode(group, 1, &p), SL_EHS_PAYLOAD);
  const uint8_t long_varint[] = {0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK_EQ(sl__payload_decode(long_varint, sizeof long_varint, &p), SL_EHS_PAYLOAD);
}

/* ----------------------------------------------------------- session */

static void session_pair(sl_session **a, sl_session **b) {
  uint8_t k1[32], k2[32];
  randombytes_buf(k1, 32);
  randombytes_buf(k2, 32);
  CHECK_EQ(sl__session_new(a, k1, k2), 0);
  CHECK_EQ(sl__session_new(b, k2, k1), 0);
}

static void test_session_attacks(void) {
  sl_session *a, *b;
  uint8_t r1[64], r2[64], pt[64];
  size_t l1, l2, plen;
  /* replay */
  session_pair(&a, &b);
  CHECK_EQ(sl_session_encrypt(a, (const uint8_t *)"one", 3, r1, sizeof r1, &l1), 0);
  CHECK_EQ(sl_session_decrypt(b, r1, l1, pt, sizeof pt, &plen), 0);
  CHECK_EQ(sl_session_decrypt(b, r1, l1, pt, sizeof pt, &plen), SL_ESESSION_DECRYPT);
  CHECK_EQ(sl_session_decrypt(b, r1, l1, pt, sizeof pt, &plen), SL_ESESSION_FAILED);
  sl_session_free(a), sl_session_free(b);
  /* reorder */
  session_pair(&a, &b);
  CHECK_EQ(sl_session_encrypt(a, (const uint8_t *)"one", 3, r1, sizeof r1, &l1), 0);
  CHECK_EQ(sl_session_encrypt(a, (const uint8_t *)"two", 3, r2, sizeof r2, &l2), 0);
  CHECK_EQ(sl_session_decrypt(b, r2, l2, pt, sizeof pt, &plen), SL_ESESSION_DECRYPT);
  sl_session_free(a), sl_session_free(b);
  /* tamper and truncation */
  session_pair(&a, &b);
  CHECK_EQ(sl_session_encrypt(a, (const uint8_t *)"one", 3, r1, sizeof r1, &l1), 0);
  CHECK_EQ(sl_session_decrypt(b, r1, l1 - 1, pt, sizeof pt, &plen), SL_ESESSION_DECRYPT);
  sl_session_free(a), sl_session_free(b);
  session_pair(&a, &b);
  CHECK_EQ(sl_session_encrypt(a, (const uint8_t *)"one", 3, r1, sizeof r1, &l1), 0);
  CHECK_EQ(sl_session_decrypt(b, r1, 15, pt, sizeof pt, &plen), SL_ESESSION_SHORT);
  sl_session_free(a), sl_session_free(b);
  session_pair(&a, &b);
  CHECK_EQ(sl_session_encrypt(a, (const uint8_t *)"one", 3, r1, sizeof r1, &l1), 0);
  r1[0] ^= 1;
  CHECK_EQ(sl_session_decrypt(b, r1, l1, pt, sizeof pt, &plen), SL_ESESSION_DECRYPT);
  sl_session_free(a), sl_session_free(b);
}

static void test_session_limits(void) {
  sl_session *a, *b;
  session_pair(&a, &b);
  static uint8_t big[SL_RECORD_MAX_BYTES + 16], rec[SL_RECORD_MAX_BYTES + 32];
  size_t len, plen;
  CHECK_EQ(sl_session_encrypt(a, big, SL_RECORD_MAX_PLAINTEXT, rec, sizeof rec, &len), 0);
  CHECK_EQ(len, SL_RECORD_MAX_BYTES);
  CHECK_EQ(sl_session_decrypt(b, rec, len, big, sizeof big, &plen), 0);
  CHECK_EQ(plen, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(sl_session_encrypt(a, big, SL_RECORD_MAX_PLAINTEXT + 1, rec, sizeof rec, &len),
           SL_ESESSION_TOO_LARGE);
  CHECK_EQ(sl_session_encrypt(a, big, 10, rec, 20, &len), SL_EBUFSIZE);
  CHECK_EQ(sl_session_decrypt(b, rec, SL_RECORD_MAX_BYTES + 1, big, sizeof big, &plen),
           SL_ESESSION_TOO_LARGE);
  /* Empty records are legal (a keep-alive). */
  sl_session_free(a), sl_session_free(b);
  session_pair(&a, &b);
  CHECK_EQ(sl_session_encrypt(a, NULL, 0, rec, sizeof rec, &len), 0);
  CHECK_EQ(len, 16);
  CHECK_EQ(sl_session_decrypt(b, rec, len, big, sizeof big, &plen), 0);
  CHECK_EQ(plen, 0);
  /* The last nonce is reserved. */
  sl__session_set_send_nonce(a, UINT64_MAX - 1);
  CHECK_EQ(sl_session_encrypt(a, big, 1, rec, sizeof rec, &len), 0);
  CHECK_EQ(sl_session_encrypt(a, big, 1, rec, sizeof rec, &len), SL_ESESSION_NONCE);
  sl_session_free(a), sl_session_free(b);
}

int main(int argc, char **argv) {
  if (argc > 1) vectors_dir = argv[1];
  if (sl_init() != 0) return 1;
  test_vectors();
  test_handshake();
  test_handshake_state_errors();
  test_handshake_tamper();
  test_prologue_mismatch();
  test_expected_peer();
  test_low_order();
  test_bad_signature_and_payload();
  test_payload_parser();
  test_session_attacks();
  test_session_limits();
  return check_summary("noise");
}
