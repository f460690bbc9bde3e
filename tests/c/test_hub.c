/* test_hub.c — the hub state machine driven like its host drives it:
 * auth and challenge, rooms, forwarding with `from` rewritten, relay
 * framing and limits, rate limits, timers, and metrics. */
#include "check.h"
#include "hub_util.h"
#include "internal.h"
#include "jwt_util.h"

#define WALL 1700000000.0
static uint8_t secret[32];

typedef struct client {
  sl_identity *id;
  uint32_t conn;
  char log[65536]; /* everything the hub sent, one message a line */
  int closed;
  uint8_t last_binary[64];
  size_t last_binary_len;
} client;

static client clients[8];
static sl_hub *hub;
static double now_ms = 1000;

/* Routes queued outputs to the clients' logs. */
static void pump(void) {
  sl_hub_output o;
  while (sl_hub_next_output(hub, &o)) {
    for (int i = 0; i < 8; i++) {
      client *c = &clients[i];
      if (c->conn != o.conn) continue;
      if (o.kind == SL_HUB_SEND_TEXT) {
        strncat(c->log, (const char *)o.data, sizeof c->log - strlen(c->log) - 2);
        strcat(c->log, "\n");
      } else if (o.kind == SL_HUB_SEND_BINARY) {
        c->last_binary_len = o.len < sizeof c->last_binary ? o.len : sizeof c->last_binary;
        memcpy(c->last_binary, o.data, c->last_binary_len);
      } else {
        c->closed = o.close_code;
      }
    }
  }
}

static void text(client *c, const char *msg) {
  CHECK_EQ(sl_hub_text(hub, c->conn, msg, strlen(msg), now_ms, WALL), 0);
  pump();
}

static const char *token_for(const sl_identity *id, const char *extra) {
  char pk[64], payload[512];
  b64(sl_identity_public_key(id), 32, pk, sizeof pk);
  snprintf(payload, sizeof payload, "{\"userId\":\"u\",\"publicKey\":\"%s\",\"exp\":%.0f%s}", pk,
           WALL + 300, extra);
  return make("{\"alg\":\"HS256\"}", payload, SL_JWT_HS256, secret);
}

static void open_client(client *c) {
  memset(c->log, 0, sizeof c->log);
  c->closed = 0;
  if (!c->id) CHECK_EQ(sl_identity_generate(&c->id), 0);
  int conn = sl_hub_open(hub, "127.0.0.1", now_ms);
  CHECK(conn > 0);
  c->conn = (uint32_t)conn;
  pump();
}

/* Answers the challenge found in the log. */
static void prove(client *c, const sl_identity *signer) {
  char proof[200];
  CHECK_EQ(hub_proof(c->log, signer, proof, sizeof proof), 0);
  text(c, proof);
}

static void login(client *c) {
  char auth[2048];
  open_client(c);
  snprintf(auth, sizeof auth, "{\"type\":\"auth\",\"payload\":{\"token\":\"%s\"}}",
           token_for(c->id, ""));
  text(c, auth);
  CHECK(strstr(c->log, "\"type\":\"challenge\"") != NULL);
  prove(c, c->id);
  CHECK(strstr(c->log, "\"type\":\"authenticated\"") != NULL);
  CHECK(strstr(c->log, sl_identity_peer_id(c->id)) != NULL);
  memset(c->log, 0, sizeof c->log);
}

static void new_hub(void) {
  sl_hub_free(hub);
  CHECK_EQ(sl_hub_new(&hub), 0);
  CHECK_EQ(sl_hub_set_jwt_hs256(hub, secret, sizeof secret), 0);
  for (int i = 0; i < 8; i++)
    clients[i].conn = 0;
}

static void test_auth(void) {
  new_hub();
  client *a = &clients[0];
  login(a);
  /* Wrong first message, bad token, failed challenge: each closes with its code. */
  client *b = &clients[1];
  open_client(b);
  text(b, "{\"type\":\"join\",\"room\":\"x\"}");
  CHECK(strstr(b->log, "AUTH_REQUIRED") && b->closed);
  open_client(b);
  text(b, "{\"type\":\"auth\",\"payload\":{\"token\":\"e30.e30.e30\"}}");
  CHECK(strstr(b->log, "JWT_ALGORITHM") && b->closed);
  open_client(b);
  char auth[2048];
  snprintf(auth, sizeof auth, "{\"type\":\"auth\",\"payload\":{\"token\":\"%s\"}}",
           token_for(b->id, ""));
  text(b, auth);
  prove(b, a->id); /* signed by someone else */
  CHECK(strstr(b->log, "AUTH_PROOF_INVALID") && b->closed);
  open_client(b);
  text(b, "not json");
  CHECK(strstr(b->log, "MESSAGE_MALFORMED") && b->closed);
  /* Auth deadline. */
  open_client(b);
  now_ms += 10001;
  sl_hub_tick(hub, now_ms);
  pump();
  CHECK(strstr(b->log, "AUTH_TIMEOUT") && b->closed);
  CHECK(!a->closed);
  text(a, "{\"type\":\"ping\",\"id\":\"p1\"}");
  CHECK(strstr(a->log, "{\"type\":\"pong\",\"id\":\"p1\"}") != NULL);
}

static void test_rooms_and_forwarding(void) {
  new_hub();
  client *a = &clients[0], *b = &clients[1], *c = &clients[2];
  login(a), login(b), login(c);
  text(a, "{\"type\":\"join\",\"room\":\"lobby\",\"id\":\"j1\"}");
  CHECK(strstr(
            a->log,
            "\"type\":\"peer-list\",\"room\":\"lobby\",\"id\":\"j1\",\"payload\":{\"peers\":[]}") !=
        NULL);
  text(b, "{\"type\":\"join\",\"room\":\"lobby\"}");
  CHECK(strstr(b->log, sl_identity_peer_id(a->id)) != NULL); /* b's peer-list names a */
  CHECK(strstr(a->log, "peer-joined") && strstr(a->log, sl_identity_peer_id(b->id)));
  /* Forwarding rewrites from; a spoofed from is ignored. */
  char msg[512];
  snprintf(msg, sizeof msg,
           "{\"type\":\"offer\",\"from\":\"%s\",\"to\":\"%s\",\"payload\":{\"sdp\":\"x\"}}",
           sl_identity_peer_id(c->id), sl_identity_peer_id(b->id));
  memset(b->log, 0, sizeof b->log);
  text(a, msg);
  char expect[512];
  snprintf(expect, sizeof expect,
           "{\"type\":\"offer\",\"from\":\"%s\",\"to\":\"%s\",\"payload\":{\"sdp\":\"x\"}}",
           sl_identity_peer_id(a->id), sl_identity_peer_id(b->id));
  CHECK(strstr(b->log, expect) != NULL);
  /* c shares no room with b: not reachable. */
  snprintf(msg, sizeof msg, "{\"type\":\"offer\",\"to\":\"%s\",\"payload\":{}}",
           sl_identity_peer_id(b->id));
  text(c, msg);
  CHECK(strstr(c->log, "PEER_NOT_FOUND") != NULL);
  CHECK(!c->closed);
  text(c, "{\"type\":\"leave\",\"room\":\"lobby\"}");
  CHECK(strstr(c->log, "NOT_IN_ROOM") != NULL);
  /* Leaving and disconnecting tell the others. */
  memset(a->log, 0, sizeof a->log);
  sl_hub_closed(hub, b->conn, now_ms);
  pump();
  CHECK(strstr(a->log, "peer-left") && strstr(a->log, sl_identity_peer_id(b->id)));
  /* Room limits. */
  for (int i = 0; i < 17; i++) { /* the 17th is one too many */
    snprintf(msg, sizeof msg, "{\"type\":\"join\",\"room\":\"r%d\"}", i);
    text(c, msg);
  }
  CHECK(strstr(c->log, "ROOM_LIMIT") != NULL);
  text(a, "{\"type\":\"join\"}");
  CHECK(strstr(a->log, "MESSAGE_FIELD") != NULL && !a->closed);
  text(a, "{\"type\":\"teleport\"}");
  CHECK(strstr(a->log, "MESSAGE_TYPE") != NULL && !a->closed);
}

static void test_relay(void) {
  new_hub();
  client *a = &clients[0], *b = &clients[1];
  login(a), login(b);
  text(a, "{\"type\":\"join\",\"room\":\"r\"}");
  text(b, "{\"type\":\"join\",\"room\":\"r\"}");
  uint8_t frame[33 + 20];
  frame[0] = SL_RELAY_KIND_RECORD;
  memcpy(frame + 1, sl_identity_public_key(b->id), 32);
  memset(frame + 33, 0xab, 20);
  CHECK_EQ(sl_hub_binary(hub, a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(strstr(a->log, "RELAY_NOT_OPEN") != NULL);
  char msg[256];
  snprintf(msg, sizeof msg, "{\"type\":\"relay-open\",\"to\":\"%s\"}", sl_identity_peer_id(b->id));
  text(a, msg);
  CHECK(strstr(a->log, "relay-ready") && strstr(b->log, "relay-ready") &&
        strstr(b->log, "sessionId"));
  CHECK_EQ(sl_hub_binary(hub, a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK_EQ(b->last_binary_len, sizeof frame);
  CHECK_MEM(b->last_binary + 1, sl_identity_public_key(a->id),
            32); /* destination became the source */
  CHECK_MEM(b->last_binary + 33, frame + 33, 20);
  frame[0] = 9;
  now_ms += 1000; /* binary errors are answered at most once a second */
  CHECK_EQ(sl_hub_binary(hub, a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(strstr(a->log, "RELAY_BAD_FRAME") != NULL);
  /* Data limit, reported to both ends. */
  new_hub();
  CHECK_EQ(sl_hub_set(hub, SL_HUB_RELAY_MAX_BYTES, 100), 0);
  login(a), login(b);
  text(a, "{\"type\":\"join\",\"room\":\"r\"}");
  text(b, "{\"type\":\"join\",\"room\":\"r\"}");
  text(a, msg);
  frame[0] = SL_RELAY_KIND_RECORD;
  for (int i = 0; i < 3; i++)
    CHECK_EQ(sl_hub_binary(hub, a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(strstr(a->log, "RELAY_LIMIT") && strstr(b->log, "RELAY_LIMIT"));
  /* Each end learns which path ended: the error names the other end. */
  char from[96];
  snprintf(from, sizeof from, "\"from\":\"%s\"", sl_identity_peer_id(b->id));
  CHECK(strstr(a->log, from) != NULL);
  snprintf(from, sizeof from, "\"from\":\"%s\"", sl_identity_peer_id(a->id));
  CHECK(strstr(b->log, from) != NULL);
  /* Record rate: over it, the path ends (a dropped record would break the
   * session silently); ordinary messages do not count against it. */
  new_hub();
  CHECK_EQ(sl_hub_set(hub, SL_HUB_RELAY_RATE, 1), 0);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_RELAY_BURST, 2), 0);
  login(a), login(b);
  text(a, "{\"type\":\"join\",\"room\":\"r\"}");
  text(b, "{\"type\":\"join\",\"room\":\"r\"}");
  text(a, msg);
  for (int i = 0; i < 2; i++)
    CHECK_EQ(sl_hub_binary(hub, a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(!strstr(a->log, "RELAY_LIMIT"));
  CHECK_EQ(sl_hub_binary(hub, a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(strstr(a->log, "relay record rate") && strstr(b->log, "RELAY_LIMIT"));
  /* A second relay-open hands out a fresh session id (a new handshake). */
  text(a, msg);
  text(a, msg);
  const char *first = strstr(b->log, "\"sessionId\":\"");
  const char *second = first ? strstr(first + 1, "\"sessionId\":\"") : NULL;
  CHECK(first != NULL && second != NULL);
  if (first && second) CHECK(strncmp(first, second, 35) != 0);
}

static void test_limits_and_metrics(void) {
  new_hub();
  CHECK_EQ(sl_hub_set(hub, SL_HUB_MSG_RATE, 1), 0);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_MSG_BURST, 5), 0);
  client *a = &clients[0];
  login(a);
  for (int i = 0; i < 10; i++)
    text(a, "{\"type\":\"ping\"}");
  CHECK(strstr(a->log, "RATE_LIMITED") != NULL && !a->closed);
  /* Keepalive: a ping after the interval, a drop after the stale window. */
  memset(a->log, 0, sizeof a->log);
  now_ms += 30000;
  sl_hub_tick(hub, now_ms);
  pump();
  CHECK(strstr(a->log, "{\"type\":\"ping\"}") != NULL);
  now_ms += 30001;
  sl_hub_tick(hub, now_ms);
  pump();
  CHECK(strstr(a->log, "STALE") && a->closed);
  char *m = NULL;
  size_t len = 0;
  CHECK_EQ(sl_hub_metrics(hub, &m, &len), 0);
  CHECK(strstr(m, "starling_hub_rejections_total{reason=\"RATE_LIMITED\"}") != NULL);
  CHECK(strstr(m, "starling_hub_rejections_total{reason=\"STALE\"} 1") != NULL);
  CHECK(strstr(m, "starling_hub_connections 0") != NULL);
  free(m);
  /* Per-address connection rate. */
  new_hub();
  CHECK_EQ(sl_hub_set(hub, SL_HUB_CONNECT_BURST, 3), 0);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_CONNECT_RATE, 0.001), 0);
  for (int i = 0; i < 4; i++)
    open_client(&clients[i]);
  CHECK(!clients[2].closed && strstr(clients[3].log, "RATE_LIMITED") && clients[3].closed);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_MSG_RATE, 5), SL_EINVAL); /* settings are fixed once serving */
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

/* Hostile input: each case was reproduced against the hub on loopback. */
static void test_hostile(void) {
  new_hub();
  client *a = &clients[0], *b = &clients[1], *c = &clients[2];
  login(a), login(b), login(c);
  /* A flood of bad binary frames: counted, answered once a second. */
  uint8_t junk = 7;
  for (int i = 0; i < 5000; i++)
    CHECK_EQ(sl_hub_binary(hub, a->conn, &junk, 1, now_ms), 0);
  pump();
  CHECK_EQ(count(a->log, "RELAY_BAD_FRAME"), 1);
  CHECK_EQ(hub_metric(hub, "starling_hub_rejections_total{reason=\"RELAY_BAD_FRAME\"} "), 5000);
  now_ms += 1000;
  CHECK_EQ(sl_hub_binary(hub, a->conn, &junk, 1, now_ms), 0);
  pump();
  CHECK_EQ(count(a->log, "RELAY_BAD_FRAME"), 2);
  /* A forwarded message may only name a room both ends share. */
  text(a, "{\"type\":\"join\",\"room\":\"lobby\"}");
  text(b, "{\"type\":\"join\",\"room\":\"lobby\"}");
  text(c, "{\"type\":\"join\",\"room\":\"admins\"}");
  text(a, "{\"type\":\"join\",\"room\":\"mine\"}");
  char msg[512];
  memset(b->log, 0, sizeof b->log);
  const char *rooms[] = {"admins", "mine"};
  for (int i = 0; i < 2; i++) {
    snprintf(msg, sizeof msg, "{\"type\":\"offer\",\"room\":\"%s\",\"to\":\"%s\",\"payload\":{}}",
             rooms[i], sl_identity_peer_id(b->id));
    memset(a->log, 0, sizeof a->log);
    text(a, msg);
    CHECK(strstr(a->log, "NOT_IN_ROOM") != NULL);
  }
  CHECK(strstr(b->log, "offer") == NULL);
  snprintf(msg, sizeof msg, "{\"type\":\"offer\",\"room\":\"lobby\",\"to\":\"%s\",\"payload\":{}}",
           sl_identity_peer_id(b->id));
  text(a, msg);
  CHECK(strstr(b->log, "\"room\":\"lobby\"") != NULL);
  /* Duplicate keys and trailing bytes: a second "from" or "to" that the
   * receiver's JSON.parse would prefer never gets through. */
  const char *bp = sl_identity_peer_id(b->id), *cp = sl_identity_peer_id(c->id);
  char spoofs[3][512];
  snprintf(spoofs[0], 512, "{\"type\":\"offer\",\"to\":\"%s\",\"to\":\"%s\",\"payload\":{}}", bp,
           cp);
  snprintf(spoofs[1], 512,
           "{\"type\":\"offer\",\"to\":\"%s\",\"payload\":{\"sdp\":\"x\",\"sdp\":\"y\"}}", bp);
  snprintf(spoofs[2], 512,
           "{\"type\":\"offer\",\"to\":\"%s\",\"payload\":{\"sdp\":\"x\"}},\"from\":\"%s\"}", bp,
           cp);
  for (int i = 0; i < 3; i++) {
    memset(a->log, 0, sizeof a->log);
    memset(b->log, 0, sizeof b->log);
    text(a, spoofs[i]);
    CHECK(strstr(a->log, "MESSAGE_MALFORMED") != NULL);
    CHECK(b->log[0] == 0);
  }
  /* Membership changes have their own, tighter budget. */
  memset(a->log, 0, sizeof a->log);
  memset(b->log, 0, sizeof b->log);
  for (int i = 0; i < 100; i++)
    text(a, i % 2 ? "{\"type\":\"join\",\"room\":\"lobby\"}"
                  : "{\"type\":\"leave\",\"room\":\"lobby\"}");
  CHECK(count(b->log, "peer-left") + count(b->log, "peer-joined") <= 20);
  CHECK(strstr(a->log, "join/leave rate limit") != NULL && !a->closed);
  /* A client that does not read: the host reports it, the hub closes it. */
  sl_hub_overflow(hub, c->conn);
  pump();
  CHECK_EQ(c->closed, SL_HUB_CLOSE_SLOW_CONSUMER);
  CHECK_EQ(hub_metric(hub, "starling_hub_rejections_total{reason=\"SLOW_CONSUMER\"} "), 1);
  /* A relay record the host could not deliver ends its path for both ends. */
  now_ms += 1000;
  snprintf(msg, sizeof msg, "{\"type\":\"relay-open\",\"to\":\"%s\"}", sl_identity_peer_id(b->id));
  text(a, msg);
  CHECK_EQ(hub_metric(hub, "starling_hub_relay_paths "), 1);
  uint8_t frame[33 + 8] = {SL_RELAY_KIND_RECORD};
  memcpy(frame + 1, sl_identity_public_key(a->id), 32); /* as the host sees it: the source's key */
  CHECK_EQ(sl_hub_relay_stalled(hub, b->conn, frame, sizeof frame), 0);
  pump();
  CHECK(strstr(a->log, "not reading") && strstr(b->log, "RELAY_LIMIT"));
  CHECK_EQ(hub_metric(hub, "starling_hub_relay_paths "), 0);
  /* Refusals before authentication carry their own close code. */
  client *d = &clients[3];
  open_client(d);
  text(d, "{\"type\":\"join\",\"room\":\"x\"}");
  CHECK_EQ(d->closed, SL_HUB_CLOSE_UNAUTHENTICATED);
  CHECK_EQ(sl_hub_status(hub), 0);
}

/* A member that leaves and rejoins fast costs its room only the net
 * change: a few notices at once, then at most one per tick. */
static void test_membership_coalescing(void) {
  new_hub();
  client *a = &clients[0], *b = &clients[1];
  login(a), login(b);
  text(a, "{\"type\":\"join\",\"room\":\"lobby\"}");
  memset(a->log, 0, sizeof a->log);
  text(b, "{\"type\":\"join\",\"room\":\"lobby\"}"); /* notice 1 of the burst */
  CHECK_EQ(count(a->log, "peer-joined"), 1);
  for (int i = 0; i < 9; i++) { /* 18 changes (within the join budget), ending in the room */
    text(b, "{\"type\":\"leave\",\"room\":\"lobby\"}");
    text(b, "{\"type\":\"join\",\"room\":\"lobby\"}");
  }
  /* The burst's other three went out (left, joined, left); the rest wait. */
  CHECK_EQ(count(a->log, "peer-joined"), 2);
  CHECK_EQ(count(a->log, "peer-left"), 2);
  now_ms += 1000;
  sl_hub_tick(hub, now_ms);
  pump();
  CHECK_EQ(count(a->log, "peer-joined"), 3); /* the net change: b is in lobby */
  CHECK_EQ(count(a->log, "peer-left"), 2);
  now_ms += 1000;
  sl_hub_tick(hub, now_ms);
  pump();
  CHECK_EQ(count(a->log, "peer-joined") + count(a->log, "peer-left"), 5); /* nothing pending */
  /* After a quiet second a notice goes out at once again; the next waits. */
  text(b, "{\"type\":\"leave\",\"room\":\"lobby\"}");
  CHECK_EQ(count(a->log, "peer-left"), 3);
  text(b, "{\"type\":\"join\",\"room\":\"lobby\"}");
  CHECK_EQ(count(a->log, "peer-joined"), 3);
  now_ms += 1000;
  sl_hub_tick(hub, now_ms);
  pump();
  CHECK_EQ(count(a->log, "peer-joined"), 4);
  /* A connection that closes with a change pending is still reported gone. */
  text(b, "{\"type\":\"leave\",\"room\":\"lobby\"}");
  CHECK_EQ(count(a->log, "peer-left"), 3);
  sl_hub_closed(hub, b->conn, now_ms);
  pump();
  CHECK_EQ(count(a->log, "peer-left"), 4);
  CHECK_EQ(count(a->log, "peer-joined"), 4);
}

static void test_settings(void) {
  new_hub();
  double inf = 1.0 / 0.0, nan = 0.0 / 0.0;
  CHECK_EQ(sl_hub_set(hub, SL_HUB_RELAY_MAX_BYTES, inf), SL_EINVAL);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_RELAY_MAX_BYTES, nan), SL_EINVAL);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_MSG_RATE, -1), SL_EINVAL);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_MAX_ROOMS_PER_CLIENT, 0), SL_EINVAL);
  CHECK_EQ(sl_hub_set(hub, SL_HUB_STALE_MS, 1e300), SL_EINVAL);
  for (int k = 1; k < SL_HUB_SETTING_COUNT; k++) {
    double lo = -1, hi = -1;
    CHECK_EQ(sl_hub_setting_range(k, &lo, &hi), 0);
    CHECK(lo >= 0 && hi > lo && hi < 1e16);
    CHECK_EQ(sl_hub_set(hub, k, lo), 0);
    CHECK_EQ(sl_hub_set(hub, k, hi), 0);
    CHECK_EQ(sl_hub_set(hub, k, hi * 2 + 1), SL_EINVAL);
  }
  double lo, hi;
  CHECK_EQ(sl_hub_setting_range(SL_HUB_SETTING_COUNT, &lo, &hi), SL_EINVAL);
  /* Metrics with every reason and counter at its widest still come out whole. */
  CHECK(hub_metric(hub, "starling_hub_rejections_total{reason=\"INTERNAL\"} ") == 0);
}

int main(void) {
  if (sl_init() != 0) return 1;
  randombytes_buf(secret, sizeof secret);
  test_auth();
  test_rooms_and_forwarding();
  test_relay();
  test_limits_and_metrics();
  test_hostile();
  test_settings();
  test_membership_coalescing();
  sl_hub_free(hub);
  for (int i = 0; i < 8; i++)
    sl_identity_free(clients[i].id);
  return check_summary("hub");
}
