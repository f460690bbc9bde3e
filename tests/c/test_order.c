/* test_order.c — signed orderbook messages: the canonical encoding (a
 * pinned vector), seal and open for create, update and cancel, the id as
 * SHA-256 of the body, every byte of a message covered by the signature,
 * the shape rules with their reason codes, and the time checks. */
#include "check.h"
#include "internal.h"

#include <sodium.h>

static sl_identity *maker(uint8_t tag) {
  uint8_t seed[32] = {0};
  seed[0] = tag;
  sl_identity *id = NULL;
  CHECK_EQ(sl_identity_from_seed(&id, seed), 0);
  return id;
}

static sl_order sample(void) {
  sl_order o;
  memset(&o, 0, sizeof o);
  o.kind = SL_ORDER_CREATE;
  strcpy(o.base, "BTC");
  strcpy(o.quote, "USDT");
  o.side = SL_ORDER_ASK;
  o.price = 6500000000000ull; /* 65,000.00000000 USDT in minor units */
  o.amount = 150000000;       /* 1.5 BTC in satoshi */
  o.min_fill = 10000000;
  o.created_ms = 1764676800000ull;
  o.expires_ms = o.created_ms + 3600000;
  o.seq = 7;
  memcpy(o.data, "bc1qpayout", 10);
  o.data_len = 10;
  return o;
}

static void hexs(const uint8_t *p, size_t n, char *out) {
  for (size_t k = 0; k < n; k++)
    sprintf(out + 2 * k, "%02x", p[k]);
}

static void test_vector(void) {
  sl_identity *id = maker(1);
  sl_order o = sample();
  uint8_t msg[SL_ORDER_MAX_BYTES];
  size_t len = 0;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), 0);
  /* 2 + 32 + (1+3) + (1+4) + 1 + 48 + 2 + 10 = 104 body bytes, + 64 */
  CHECK_EQ(len, 168);
  CHECK_EQ(msg[0], 1);
  CHECK_EQ(msg[1], SL_ORDER_CREATE);
  CHECK(!memcmp(msg + 2, sl_identity_public_key(id), 32));
  CHECK_EQ(msg[34], 3);
  CHECK(!memcmp(msg + 35, "BTC", 3));
  CHECK_EQ(msg[38], 4);
  CHECK(!memcmp(msg + 39, "USDT", 4));
  CHECK_EQ(msg[43], SL_ORDER_ASK);
  static const uint8_t price[8] = {0x00, 0x00, 0x05, 0xe9, 0x66, 0x30, 0xe8, 0x00};
  CHECK(!memcmp(msg + 44, price, 8)); /* 6500000000000, big-endian */
  CHECK_EQ(msg[92], 0);
  CHECK_EQ(msg[93], 10);
  CHECK(!memcmp(msg + 94, "bc1qpayout", 10));
  uint8_t h[32];
  crypto_hash_sha256(h, msg, len - 64);
  CHECK(!memcmp(h, o.id, 32));
  /* Ed25519 is deterministic: this message, and so its id, is pinned. */
  char idhex[65];
  hexs(o.id, 32, idhex);
  CHECK(!strcmp(idhex, "435ffdc69294f9cea42116cb7ce6ca541faee790d55ec49e24a3b9d78dd9e634"));
  sl_identity_free(id);
}

static void test_roundtrip(void) {
  sl_identity *id = maker(2);
  uint8_t msg[SL_ORDER_MAX_BYTES];
  size_t len = 0;
  sl_order o = sample(), back;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), 0);
  CHECK_EQ(sl_order_open(msg, len, &back), 0);
  CHECK(!memcmp(&o.id, back.id, 32));
  CHECK(!strcmp(back.base, "BTC") && !strcmp(back.quote, "USDT"));
  CHECK_EQ(back.side, SL_ORDER_ASK);
  CHECK_EQ(back.price, o.price);
  CHECK_EQ(back.amount, o.amount);
  CHECK_EQ(back.min_fill, o.min_fill);
  CHECK_EQ(back.created_ms, o.created_ms);
  CHECK_EQ(back.expires_ms, o.expires_ms);
  CHECK_EQ(back.seq, 7);
  CHECK_EQ(back.data_len, 10);
  CHECK(!memcmp(back.data, "bc1qpayout", 10));
  CHECK(!memcmp(back.maker, sl_identity_public_key(id), 32));
  uint8_t body[SL_ORDER_MAX_BYTES];
  CHECK_EQ(sl__order_body(&back, body), len - 64);
  CHECK(!memcmp(body, msg, len - 64));

  /* An update names the order it replaces. */
  sl_order u = sample();
  u.kind = SL_ORDER_UPDATE;
  u.seq = 8;
  u.price -= 100;
  memcpy(u.target, o.id, 32);
  CHECK_EQ(sl_order_seal(&u, id, msg, sizeof msg, &len), 0);
  CHECK_EQ(len, 168 + 32);
  CHECK_EQ(sl_order_open(msg, len, &back), 0);
  CHECK_EQ(back.kind, SL_ORDER_UPDATE);
  CHECK(!memcmp(back.target, o.id, 32));
  CHECK(memcmp(back.id, o.id, 32) != 0);

  /* A cancel: maker, target, created, seq. */
  sl_order c;
  memset(&c, 0, sizeof c);
  c.kind = SL_ORDER_CANCEL;
  memcpy(c.target, o.id, 32);
  c.created_ms = o.created_ms + 5;
  c.seq = 9;
  CHECK_EQ(sl_order_seal(&c, id, msg, sizeof msg, &len), 0);
  CHECK_EQ(len, 2 + 32 + 32 + 16 + 64);
  CHECK_EQ(sl_order_open(msg, len, &back), 0);
  CHECK_EQ(back.kind, SL_ORDER_CANCEL);
  CHECK(!memcmp(back.target, o.id, 32));
  CHECK_EQ(back.seq, 9);
  CHECK_EQ(sl_order_check_time(&back, c.created_ms, SL_ORDER_SKEW_MS), 0);
  CHECK_EQ(sl_order_seal(&c, id, msg, 100, &len), SL_EBUFSIZE);
  sl_identity_free(id);
}

/* Every byte is covered: flipping any bit of any byte never opens. */
static void test_tamper(void) {
  sl_identity *id = maker(3);
  uint8_t msg[SL_ORDER_MAX_BYTES], bad[SL_ORDER_MAX_BYTES];
  size_t len = 0;
  sl_order o = sample(), back;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), 0);
  int opened = 0;
  for (size_t k = 0; k < len; k++)
    for (int bit = 0; bit < 8; bit++) {
      memcpy(bad, msg, len);
      bad[k] ^= (uint8_t)(1 << bit);
      opened += sl_order_open(bad, len, &back) == 0;
    }
  CHECK_EQ(opened, 0);
  CHECK_EQ(sl_order_open(msg, len - 1, &back), SL_EORDER_MALFORMED);
  memcpy(bad, msg, len);
  bad[len] = 0;
  CHECK_EQ(sl_order_open(bad, len + 1, &back), SL_EORDER_MALFORMED); /* trailing byte */
  CHECK_EQ(sl_order_open(msg, 10, &back), SL_EORDER_MALFORMED);
  CHECK_EQ(sl_order_open(NULL, 0, &back), SL_EORDER_MALFORMED);
  /* Another key in the maker field: the signature is not theirs. */
  sl_identity *other = maker(4);
  memcpy(bad, msg, len);
  memcpy(bad + 2, sl_identity_public_key(other), 32);
  CHECK_EQ(sl_order_open(bad, len, &back), SL_EORDER_SIGNATURE);
  /* A NUL inside an asset id: refused as malformed (it would not
   * re-encode to the same bytes), before any signature work. */
  memcpy(bad, msg, len);
  bad[37] = 0;
  CHECK_EQ(sl_order_open(bad, len, &back), SL_EORDER_MALFORMED);
  /* Lower case in an asset id: the pair's rule. */
  memcpy(bad, msg, len);
  bad[37] = 'c';
  CHECK_EQ(sl_order_open(bad, len, &back), SL_EORDER_PAIR);
  /* A version we do not know. */
  memcpy(bad, msg, len);
  bad[0] = 2;
  CHECK_EQ(sl_order_open(bad, len, &back), SL_EORDER_MALFORMED);
  sl_identity_free(other);
  sl_identity_free(id);
}

static void test_shape(void) {
  sl_identity *id = maker(5);
  uint8_t msg[SL_ORDER_MAX_BYTES];
  size_t len = 0;
  sl_order o = sample();
  strcpy(o.base, "btc");
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_PAIR);
  o = sample();
  strcpy(o.quote, "BTC");
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_PAIR);
  o = sample();
  o.base[0] = '\0';
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_PAIR);
  o = sample();
  memset(o.base, 'A', sizeof o.base); /* 13 letters, no NUL */
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_PAIR);
  o = sample();
  o.price = 0;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_RANGE);
  o = sample();
  o.amount = 0;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_RANGE);
  o = sample();
  o.min_fill = o.amount + 1;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_RANGE);
  o = sample();
  o.data_len = SL_ORDER_DATA_MAX + 1;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_RANGE);
  o = sample();
  o.side = 2;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_MALFORMED);
  o = sample();
  o.kind = 9;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), SL_EORDER_MALFORMED);
  /* The largest message fits the cap: 12-letter assets, 256 bytes of data, an update. */
  o = sample();
  o.kind = SL_ORDER_UPDATE;
  strcpy(o.base, "ABCDEFGHIJKL");
  strcpy(o.quote, "0123456789AB");
  o.data_len = SL_ORDER_DATA_MAX;
  CHECK_EQ(sl_order_seal(&o, id, msg, sizeof msg, &len), 0);
  CHECK(len <= SL_ORDER_MAX_BYTES);
  sl_order back;
  CHECK_EQ(sl_order_open(msg, len, &back), 0);
  CHECK_EQ(back.data_len, SL_ORDER_DATA_MAX);
  CHECK(!strcmp(sl_errname(SL_EORDER_STALE), "ORDER_STALE"));
  sl_identity_free(id);
}

static void test_time(void) {
  sl_order o = sample();
  uint64_t now = o.created_ms;
  CHECK_EQ(sl_order_check_time(&o, now, SL_ORDER_SKEW_MS), 0);
  CHECK_EQ(sl_order_check_time(&o, now + SL_ORDER_SKEW_MS, SL_ORDER_SKEW_MS), 0);
  CHECK_EQ(sl_order_check_time(&o, now + SL_ORDER_SKEW_MS + 1, SL_ORDER_SKEW_MS), SL_EORDER_SKEW);
  CHECK_EQ(sl_order_check_time(&o, now - SL_ORDER_SKEW_MS - 1, SL_ORDER_SKEW_MS), SL_EORDER_SKEW);
  o.expires_ms = o.created_ms + SL_ORDER_MAX_LIFE_MS;
  CHECK_EQ(sl_order_check_time(&o, now, SL_ORDER_SKEW_MS), 0);
  o.expires_ms++;
  CHECK_EQ(sl_order_check_time(&o, now, SL_ORDER_SKEW_MS), SL_EORDER_EXPIRED);
  o.expires_ms = now;
  CHECK_EQ(sl_order_check_time(&o, now, SL_ORDER_SKEW_MS), SL_EORDER_EXPIRED);
  /* A long-lived order seen later than its skew window is judged on
   * expiry by the book, not here: check_time is for live messages. */
  CHECK_EQ(sl_order_check_time(NULL, now, 0), SL_EINVAL);
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_vector();
  test_roundtrip();
  test_tamper();
  test_shape();
  test_time();
  return check_summary("order");
}
