/* test_signal.c — signaling codec: each client type's required fields,
 * the size cap, hostile shapes, and the builders' output. */
#include "check.h"
#include "internal.h"

#include <sodium.h>
#include <stdio.h>

static char peer[SL_PEER_ID_BYTES];

static int parse(const char *text, sl_signal **m) {
  return sl_signal_parse(text, strlen(text), 0, m);
}

static int parse_rc(const char *text) {
  sl_signal *m = NULL;
  int rc = parse(text, &m);
  sl_signal_free(m);
  return rc;
}

static void test_valid(void) {
  sl_signal *m = NULL;
  char buf[1024];
  CHECK_EQ(parse("{\"type\":\"auth\",\"payload\":{\"token\":\"a.b.c\"}}", &m), 0);
  CHECK_EQ(m->type, SL_SIG_AUTH);
  CHECK(strcmp(m->token, "a.b.c") == 0);
  CHECK(m->payload == NULL); /* secrets are not kept as forwardable JSON */
  sl_signal_free(m);

  uint8_t sig[64];
  char sig64[100];
  memset(sig, 7, sizeof sig);
  sodium_bin2base64(sig64, sizeof sig64, sig, 64, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  snprintf(buf, sizeof buf, "{\"type\":\"auth-proof\",\"payload\":{\"signature\":\"%s\"}}", sig64);
  CHECK_EQ(parse(buf, &m), 0);
  CHECK_MEM(m->signature, sig, 64);
  sl_signal_free(m);

  CHECK_EQ(
      parse("{\"type\":\"join\",\"room\":\"lobby/eu-1\",\"id\":\"r1\",\"from\":\"spoofed\"}", &m),
      0);
  CHECK(strcmp(m->room, "lobby/eu-1") == 0 && strcmp(m->id, "r1") == 0);
  sl_signal_free(m);

  snprintf(
      buf, sizeof buf,
      "{\"type\":\"offer\",\"to\":\"%s\",\"payload\":{\"sdp\":\"v=0\\r\\n\",\"type\":\"offer\"}}",
      peer);
  CHECK_EQ(parse(buf, &m), 0);
  CHECK(strcmp(m->to, peer) == 0);
  CHECK(strcmp(m->payload, "{\"sdp\":\"v=0\\r\\n\",\"type\":\"offer\"}") == 0);
  sl_signal_free(m);

  snprintf(buf, sizeof buf, "  {\"type\":\"relay-open\",\"to\":\"%s\"}\n", peer);
  CHECK_EQ(parse(buf, &m), 0);
  sl_signal_free(m);
  CHECK_EQ(parse_rc("{\"type\":\"ping\"}"), 0);
}

static void test_invalid(void) {
  char buf[1024];
  const char *malformed[] = {"",
                             "[]",
                             "\"auth\"",
                             "{",
                             "{\"type\":1}",
                             "{} {}",
                             "{\"type\":\"ping\"} x",
                             "{\"type\":\"ping\",\"type\":\"join\"}",
                             "null",
                             "{\"type\":\"leave\",\"room\":\"x\\u0000y\"}"};
  for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
    CHECK_EQ(parse_rc(malformed[i]), SL_ESIG_MALFORMED);
  const char *types[] = {"{\"type\":\"nope\"}", "{\"type\":\"challenge\"}", "{\"type\":\"error\"}",
                         "{\"type\":\"\"}"};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    CHECK_EQ(parse_rc(types[i]), SL_ESIG_TYPE);
  const char *fields[] = {"{\"type\":\"auth\"}",
                          "{\"type\":\"auth\",\"payload\":{\"token\":\"\"}}",
                          "{\"type\":\"auth\",\"payload\":{\"token\":5}}",
                          "{\"type\":\"auth-proof\",\"payload\":{\"signature\":\"AAAA\"}}",
                          "{\"type\":\"join\"}",
                          "{\"type\":\"join\",\"room\":\"\"}",
                          "{\"type\":\"join\",\"room\":\"has space\"}",
                          "{\"type\":\"join\",\"room\":7}",
                          "{\"type\":\"offer\",\"payload\":{}}",
                          "{\"type\":\"offer\",\"to\":\"12D3KooWnot-a-peer\",\"payload\":{}}",
                          "{\"type\":\"ping\",\"id\":{}}"};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    CHECK_EQ(parse_rc(fields[i]), SL_ESIG_FIELD);
  snprintf(buf, sizeof buf, "{\"type\":\"answer\",\"to\":\"%s\"}", peer); /* no payload */
  CHECK_EQ(parse_rc(buf), SL_ESIG_FIELD);
  char room[80];
  memset(room, 'r', 65);
  room[65] = 0;
  snprintf(buf, sizeof buf, "{\"type\":\"join\",\"room\":\"%s\"}", room);
  CHECK_EQ(parse_rc(buf), SL_ESIG_FIELD);
  static char big[6000];
  int k = snprintf(big, sizeof big, "{\"type\":\"auth\",\"payload\":{\"token\":\"");
  memset(big + k, 'a', 5000);
  snprintf(big + k + 5000, sizeof big - (size_t)k - 5000, "\"}}");
  CHECK_EQ(parse_rc(big), SL_EJWT_TOO_LARGE);
  /* Size cap before parsing; deep nesting is bounded by cJSON's limit. */
  sl_signal *m = NULL;
  CHECK_EQ(sl_signal_parse("{\"type\":\"ping\"}", 15, 10, &m), SL_ESIG_TOO_LARGE);
  static char deep[3000];
  size_t n = 0;
  n += (size_t)sprintf(deep, "{\"type\":\"ping\",\"payload\":");
  for (int i = 0; i < 1200; i++)
    deep[n++] = '[';
  for (int i = 0; i < 1200; i++)
    deep[n++] = ']';
  deep[n++] = '}';
  CHECK_EQ(sl_signal_parse(deep, n, 0, &m), SL_ESIG_MALFORMED);
}

static void test_build(void) {
  char *s = NULL;
  size_t len = 0;
  CHECK_EQ(sl_signal_build(SL_SIG_PEER_JOINED, peer, NULL, "lobby", NULL, NULL, &s, &len), 0);
  char expect[256];
  snprintf(expect, sizeof expect, "{\"type\":\"peer-joined\",\"from\":\"%s\",\"room\":\"lobby\"}",
           peer);
  CHECK(strcmp(s, expect) == 0);
  CHECK_EQ(len, strlen(expect));
  free(s);
  CHECK_EQ(sl_signal_build(SL_SIG_OFFER, peer, peer, NULL, "7", "{\"sdp\":\"x\"}", &s, &len), 0);
  /* The hub's own output parses back as the client message it forwards. */
  sl_signal *m = NULL;
  CHECK_EQ(sl_signal_parse(s, len, 0, &m), 0);
  CHECK(m && strcmp(m->payload, "{\"sdp\":\"x\"}") == 0 && strcmp(m->id, "7") == 0);
  sl_signal_free(m);
  free(s);
  CHECK_EQ(sl_signal_build(SL_SIG_OFFER, NULL, NULL, NULL, NULL, "{bad", &s, &len), SL_EINVAL);
  CHECK_EQ(sl_signal_build(SL_SIG_OFFER, NULL, NULL, NULL, NULL, "{},\"from\":\"x\"", &s, &len),
           SL_EINVAL);
  /* Control characters are escaped as \u00XX. */
  CHECK_EQ(sl_signal_build(SL_SIG_PEER_JOINED, "a\x01\x1f", NULL, "lobby", NULL, NULL, &s, &len),
           0);
  CHECK(s && strstr(s, "\"from\":\"a\\u0001\\u001f\"") != NULL);
  free(s);
  CHECK_EQ(sl_signal_build(99, NULL, NULL, NULL, NULL, NULL, &s, &len), SL_EINVAL);
  CHECK_EQ(sl_signal_build_error("ROOM_FULL", "room \"x\" is full", "id-1", NULL, &s, &len), 0);
  CHECK(strcmp(s, "{\"type\":\"error\",\"id\":\"id-1\",\"payload\":{\"code\":\"ROOM_FULL\","
                  "\"message\":\"room \\\"x\\\" is full\"}}") == 0);
  free(s);
  CHECK(strcmp(sl_signal_type_name(SL_SIG_ICE_CANDIDATE), "ice-candidate") == 0);
  CHECK(sl_signal_type_name(0) == NULL);
}

int main(void) {
  if (sl_init() != 0) return 1;
  sl_identity *id = NULL;
  if (sl_identity_generate(&id) != 0) return 1;
  strcpy(peer, sl_identity_peer_id(id));
  sl_identity_free(id);
  test_valid();
  test_invalid();
  test_build();
  return check_summary("signal");
}
