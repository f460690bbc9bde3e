/* test_tip.c — TIP_META: seal and receive; every refusal (malformed
 * envelope and typed data, forged envelope, size, clock, deadline,
 * replays and the nonce window); memory bounded by the sender cap. */
#include "check.h"
#include "internal.h"

#define NOW 1764676800000ull

static sl_identity *alice, *bob;

static int send_tip(sl_tips *t, const sl_identity *who, uint64_t nonce, uint64_t deadline_s,
                    uint64_t sent, uint64_t now) {
  char meta[512];
  char n[24], d[24];
  sl__utoa((uint32_t)nonce, n);
  snprintf(d, sizeof d, "%llu", (unsigned long long)deadline_s);
  snprintf(
      meta, sizeof meta,
      "{\"domain\":{\"name\":\"Tips\",\"version\":\"1\",\"chainId\":1},\"primaryType\":\"Tip\","
      "\"message\":{\"from\":\"0xaa\",\"to\":\"0xbb\",\"amount\":\"1000000\",\"token\":\"0xcc\","
      "\"nonce\":\"%s\",\"deadline\":%s,\"chainId\":\"1\"}}",
      n, d);
  uint8_t sig[65] = {1}, *m;
  size_t len;
  CHECK_EQ(sl_tip_seal(who, meta, strlen(meta), sig, sizeof sig, sent, &m, &len), 0);
  sl_tip tip;
  int rc = sl_tips_receive(t, m, len, now, &tip);
  if (rc == 0) {
    CHECK_EQ(tip.nonce, nonce);
    CHECK_EQ(tip.deadline_s, deadline_s);
    CHECK_EQ(tip.chain_id, 1);
    CHECK_EQ(tip.signature_len, 65);
    CHECK(tip.meta_len == strlen(meta) && !memcmp(tip.meta, meta, tip.meta_len));
    CHECK_MEM(tip.sender, sl_identity_public_key(who), 32);
  }
  free(m);
  return rc;
}

static void test_tips(void) {
  sl_tips *t;
  CHECK_EQ(sl_tips_new(&t, NULL), 0);
  uint64_t later = NOW / 1000 + 600;
  CHECK_EQ(send_tip(t, alice, 5, later, NOW, NOW), 0);
  CHECK_EQ(send_tip(t, alice, 5, later, NOW, NOW), SL_ETIP_REPLAY); /* the same again */
  CHECK_EQ(send_tip(t, bob, 5, later, NOW, NOW), 0);                /* nonces are per sender */
  CHECK_EQ(send_tip(t, alice, 3, later, NOW, NOW), 0);              /* below, inside the window */
  CHECK_EQ(send_tip(t, alice, 3, later, NOW, NOW), SL_ETIP_REPLAY);
  CHECK_EQ(send_tip(t, alice, 100, later, NOW, NOW), 0);
  CHECK_EQ(send_tip(t, alice, 36, later, NOW, NOW), SL_ETIP_REPLAY); /* 64 below the newest */
  CHECK_EQ(send_tip(t, alice, 37, later, NOW, NOW), 0);
  CHECK_EQ(send_tip(t, alice, 101, NOW / 1000, NOW, NOW), SL_ETIP_EXPIRED);
  CHECK_EQ(send_tip(t, alice, 101, later, NOW - 120001, NOW), SL_ETIP_SKEW);
  CHECK_EQ(send_tip(t, alice, 101, later, NOW, NOW), 0); /* refusals did not burn the nonce */
  /* The envelope: forged, truncated, trailing bytes, oversized. */
  const char *meta = "{\"primaryType\":\"Tip\",\"message\":{}}";
  uint8_t *m;
  size_t len;
  sl_tip tip;
  CHECK_EQ(sl_tip_seal(alice, meta, strlen(meta), NULL, 0, NOW, &m, &len), 0);
  CHECK_EQ(sl_tips_receive(t, m, len, NOW, &tip), SL_ETIP_MALFORMED); /* no fields */
  m[len - 1] ^= 1;
  CHECK_EQ(sl_tips_receive(t, m, len, NOW, &tip), SL_ETIP_SIGNATURE);
  CHECK_EQ(sl_tips_receive(t, m, len - 70, NOW, &tip), SL_ETIP_MALFORMED);
  m[41] = 0xff; /* the typed data's length past the end */
  CHECK_EQ(sl_tips_receive(t, m, len, NOW, &tip), SL_ETIP_MALFORMED);
  free(m);
  CHECK_EQ(sl_tips_receive(t, NULL, 0, NOW, &tip), SL_ETIP_MALFORMED);
  char *big = calloc(1, SL_TIP_MAX_BYTES + 1);
  memset(big, ' ', SL_TIP_MAX_BYTES - 1);
  CHECK_EQ(sl_tip_seal(alice, big, SL_TIP_MAX_BYTES - 1, NULL, 0, NOW, &m, &len), SL_ETIP_SIZE);
  CHECK_EQ(sl_tips_receive(t, (const uint8_t *)big, SL_TIP_MAX_BYTES + 1, NOW, &tip), SL_ETIP_SIZE);
  free(big);
  sl_tips_free(t);
  /* Senders past the cap: the least recently heard is forgotten. */
  sl_tips_config c;
  sl_tips_config_default(&c);
  c.max_senders = 1;
  CHECK_EQ(sl_tips_new(&t, &c), 0);
  CHECK_EQ(send_tip(t, alice, 1, later, NOW, NOW), 0);
  CHECK_EQ(send_tip(t, bob, 1, later, NOW, NOW + 1), 0);
  CHECK_EQ(send_tip(t, bob, 1, later, NOW, NOW + 2), SL_ETIP_REPLAY);
  sl_tips_free(t);
}

int main(void) {
  if (sl_init() != 0) return 1;
  uint8_t seed[SL_SEED_BYTES] = {1};
  CHECK_EQ(sl_identity_from_seed(&alice, seed), 0);
  seed[0] = 2;
  CHECK_EQ(sl_identity_from_seed(&bob, seed), 0);
  test_tips();
  sl_identity_free(alice);
  sl_identity_free(bob);
  return check_summary("tip");
}
