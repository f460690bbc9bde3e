/* test_hub_session.c — the peer's hub session against the real hub state
 * machine, in process: auth with the signed challenge, rooms, signals,
 * failures; and the URL policy (wss anywhere, ws only to loopback). */
#include "check.h"
#include "internal.h"
#include "jwt_util.h"

#define WALL 1700000000.0
static uint8_t secret[32];
static sl_hub *hub;

typedef struct peer {
  sl_identity *id;
  sl_hub_session *s;
  uint32_t conn;
  char signals[8192];
  char failed[64];
  char errors[1024]; /* SL_HUBS_ERROR data (JSON), one after another */
  int authenticated;
} peer;

/* Moves messages both ways until nothing is left to move. */
static void settle(peer *peers, int n) {
  for (int moved = 1; moved;) {
    moved = 0;
    for (int i = 0; i < n; i++) {
      sl_hub_session_event ev;
      while (sl_hub_session_next(peers[i].s, &ev)) {
        moved = 1;
        if (ev.kind == SL_HUBS_SEND)
          CHECK_EQ(sl_hub_text(hub, peers[i].conn, ev.data, ev.len, 1000, WALL), 0);
        if (ev.kind == SL_HUBS_AUTHENTICATED) peers[i].authenticated = 1;
        if (ev.kind == SL_HUBS_SIGNAL)
          strncat(peers[i].signals, ev.data,
                  sizeof peers[i].signals - strlen(peers[i].signals) - 1);
        if (ev.kind == SL_HUBS_FAILED)
          snprintf(peers[i].failed, sizeof peers[i].failed, "%s", ev.data);
        if (ev.kind == SL_HUBS_ERROR)
          strncat(peers[i].errors, ev.data, sizeof peers[i].errors - strlen(peers[i].errors) - 1);
      }
    }
    sl_hub_output o;
    while (sl_hub_next_output(hub, &o)) {
      moved = 1;
      for (int i = 0; i < n; i++)
        if (peers[i].conn == o.conn && o.kind == SL_HUB_SEND_TEXT)
          (void)sl_hub_session_text(peers[i].s, (const char *)o.data, o.len);
    }
  }
}

static void connect_peer(peer *p, const uint8_t *key) {
  memset(p, 0, sizeof *p);
  CHECK_EQ(sl_identity_generate(&p->id), 0);
  char pk[64], claims[256];
  b64(sl_identity_public_key(p->id), 32, pk, sizeof pk);
  snprintf(claims, sizeof claims, "{\"userId\":\"u\",\"publicKey\":\"%s\",\"exp\":%.0f}", pk,
           WALL + 60);
  CHECK_EQ(sl_hub_session_new(&p->s, p->id, make("{\"alg\":\"HS256\"}", claims, SL_JWT_HS256, key)),
           0);
  p->conn = (uint32_t)sl_hub_open(hub, "127.0.0.1", 1000);
  sl_hub_session_opened(p->s);
}

static void free_peer(peer *p) {
  sl_hub_session_free(p->s);
  sl_identity_free(p->id);
}

static void test_with_hub(void) {
  CHECK_EQ(sl_hub_new(&hub), 0);
  CHECK_EQ(sl_hub_set_jwt_hs256(hub, secret, sizeof secret), 0);
  peer peers[3];
  connect_peer(&peers[0], secret);
  connect_peer(&peers[1], secret);
  CHECK_EQ(sl_hub_session_join(peers[0].s, "lobby"), SL_ESTATE); /* not yet authenticated */
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_OFFER, "x", "{}"), SL_ESTATE);
  settle(peers, 2);
  CHECK(peers[0].authenticated && peers[1].authenticated);
  CHECK(sl_hub_session_authenticated(peers[0].s));
  CHECK_EQ(sl_hub_session_join(peers[0].s, "lobby"), 0);
  settle(peers, 2);
  CHECK_EQ(sl_hub_session_join(peers[1].s, "lobby"), 0);
  settle(peers, 2);
  CHECK(strstr(peers[1].signals, "\"type\":\"peer-list\"") &&
        strstr(peers[1].signals, sl_identity_peer_id(peers[0].id)));
  CHECK(strstr(peers[0].signals, "\"type\":\"peer-joined\""));
  CHECK_EQ(sl_hub_session_join(peers[0].s, "bad room"), SL_ESIG_FIELD);
  /* Signals reach the other peer with `from` set by the hub. */
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_OFFER, sl_identity_peer_id(peers[1].id),
                                 "{\"sdp\":\"v=0\"}"),
           0);
  CHECK_EQ(
      sl_hub_session_signal(peers[0].s, SL_SIG_RELAY_OPEN, sl_identity_peer_id(peers[1].id), NULL),
      0);
  settle(peers, 2);
  CHECK(strstr(peers[1].signals, "\"type\":\"offer\",\"from\":\"") &&
        strstr(peers[1].signals, "\"payload\":{\"sdp\":\"v=0\"}"));
  CHECK(strstr(peers[1].signals, "relay-ready") && strstr(peers[0].signals, "relay-ready"));
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_OFFER, "not-a-peer", "{}"), SL_ESIG_FIELD);
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_OFFER, sl_identity_peer_id(peers[1].id), "[1]"),
           SL_ESIG_FIELD);
  /* The application's payload cannot smuggle top-level keys (a second "from"). */
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_OFFER, sl_identity_peer_id(peers[1].id),
                                 "{\"sdp\":\"x\"},\"from\":\"spoofed\""),
           SL_ESIG_FIELD);
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_OFFER, sl_identity_peer_id(peers[1].id),
                                 "{\"sdp\":\"x\",\"sdp\":\"y\"}"),
           SL_ESIG_FIELD);
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_OFFER, sl_identity_peer_id(peers[1].id), NULL),
           SL_ESIG_FIELD);
  CHECK_EQ(sl_hub_session_signal(peers[0].s, SL_SIG_JOIN, sl_identity_peer_id(peers[1].id), NULL),
           SL_ESIG_TYPE);
  /* A hub error after auth arrives whole: code, message and, where the hub
   * names one, the peer it concerns. */
  CHECK_EQ(sl_hub_session_leave(peers[0].s, "elsewhere"), 0);
  settle(peers, 2);
  CHECK(strstr(peers[0].errors, "{\"type\":\"error\"") &&
        strstr(peers[0].errors, "\"code\":\"NOT_IN_ROOM\"") &&
        strstr(peers[0].errors, "\"message\":\""));
  CHECK_EQ(sl_hub_session_leave(peers[1].s, "lobby"), 0);
  settle(peers, 2);
  CHECK(strstr(peers[0].signals, "\"type\":\"peer-left\""));
  /* A token signed with another secret: the failure is reported with its code. */
  uint8_t wrong[32] = {9};
  connect_peer(&peers[2], wrong);
  settle(peers, 3);
  CHECK(strcmp(peers[2].failed, "JWT_SIGNATURE") == 0);
  CHECK(!peers[2].authenticated);
  CHECK_EQ(sl_hub_session_text(peers[2].s, "{\"type\":\"ping\"}", 15), SL_EHUB_AUTH);
  for (int i = 0; i < 3; i++)
    free_peer(&peers[i]);
  sl_hub_free(hub);
}

static void test_hostile_hub(void) {
  sl_identity *id = NULL;
  sl_hub_session *s = NULL;
  CHECK_EQ(sl_identity_generate(&id), 0);
  CHECK_EQ(sl_hub_session_new(&s, id, "t.o.k"), 0);
  const char *bad[] = {
      "",
      "[]",
      "{\"type\":7}",
      "{\"type\":\"challenge\",\"payload\":{\"nonce\":\"short\"}}",
      "{\"type\":\"authenticated\",\"payload\":{\"peerId\":\"12D3KooWsomeoneelse\"}}",
      "{\"type\":\"offer\",\"payload\":\"a\\u0000b\"}",
      "{\"type\":\"ping\"} trailing",
      "{\"type\":\"ping\",\"type\":\"error\"}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    CHECK(sl_hub_session_text(s, bad[i], strlen(bad[i])) < 0);
  CHECK(!sl_hub_session_authenticated(s));
  /* Signals before authentication are not handed to the peer logic. */
  CHECK_EQ(sl_hub_session_text(s, "{\"type\":\"offer\",\"payload\":{}}", 29), 0);
  sl_hub_session_event ev;
  CHECK_EQ(sl_hub_session_next(s, &ev), 0);
  sl_hub_session_free(s);
  sl_identity_free(id);
}

static void test_urls(void) {
  const char *ok[] = {
      "wss://hub.example.com/signaling", "wss://[2001:db8::1]:443/", "ws://127.0.0.1:9090",
      "ws://localhost:8080/x",           "ws://[::1]:9000",          "ws://127.10.0.3"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    CHECK_EQ(sl_hub_url_check(ok[i], 0), 0);
  const char *insecure[] = {"ws://hub.example.com", "ws://10.0.0.1:80", "ws://127.0.0.1.evil.com",
                            "ws://localhost.evil:1"};
  for (size_t i = 0; i < sizeof insecure / sizeof *insecure; i++) {
    CHECK_EQ(sl_hub_url_check(insecure[i], 0), SL_EINSECURE);
    CHECK_EQ(sl_hub_url_check(insecure[i], 1), 0);
  }
  const char *invalid[] = {"http://hub",         "wss://",   "ws:///path", "hub.example.com",
                           "wss://user:pw@hub/", "ws://[::1"};
  for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
    CHECK_EQ(sl_hub_url_check(invalid[i], 1), SL_EURL);
}

int main(void) {
  if (sl_init() != 0) return 1;
  randombytes_buf(secret, sizeof secret);
  test_with_hub();
  test_hostile_hub();
  test_urls();
  return check_summary("hub_session");
}
