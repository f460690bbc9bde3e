/* test_hub_cluster.c — two hub instances (SL_HUB_CLUSTER) joined by a
 * router that does what js-glue/hub-cluster.js does over Redis: cluster
 * outputs become remote connections on the other instance, outputs to a
 * remote connection are delivered on its own instance. A client on each
 * meets in a room, signals and relays; limits hold on both sides; a peer
 * that moves to the other instance replaces its old session. */
#include "check.h"
#include "hub_util.h"
#include "internal.h"
#include "jwt_util.h"

#define WALL 1700000000.0
#define MAX_CONNS 64
static uint8_t secret[32];
static double now_ms = 1000;
static sl_hub *hubs[2];

/* remote_of[i][local conn on i] = its remote id on the other instance;
 * local_of[i][remote conn on i] = the local conn on the other instance. */
static uint32_t remote_of[2][MAX_CONNS], local_of[2][MAX_CONNS];

typedef struct client {
  sl_identity *id;
  int hub;
  uint32_t conn;
  char log[32768];
  uint8_t last_binary[128];
  size_t last_binary_len;
  int closed;
} client;
static client clients[4];

static client *client_on(int hub, uint32_t conn) {
  for (int i = 0; i < 4; i++)
    if (clients[i].hub == hub && clients[i].conn == conn && clients[i].id) return &clients[i];
  return NULL;
}

static void pump_one(int i);

/* Routes every queued output of both hubs until both are quiet. */
static void pump(void) {
  for (int round = 0; round < 16; round++) {
    pump_one(0);
    pump_one(1);
  }
}

static void to_client(int i, const sl_hub_output *o) {
  client *c = client_on(i, o->conn);
  if (!c) return;
  if (o->kind == SL_HUB_SEND_TEXT) {
    strncat(c->log, (const char *)o->data, sizeof c->log - strlen(c->log) - 2);
    strcat(c->log, "\n");
  } else if (o->kind == SL_HUB_SEND_BINARY) {
    c->last_binary_len = o->len < sizeof c->last_binary ? o->len : sizeof c->last_binary;
    memcpy(c->last_binary, o->data, c->last_binary_len);
  } else if (o->kind == SL_HUB_CLOSE) {
    c->closed = o->close_code;
  }
}

static void pump_one(int i) {
  int j = 1 - i;
  sl_hub_output o;
  while (sl_hub_next_output(hubs[i], &o)) {
    CHECK(o.conn < MAX_CONNS);
    if (o.conn >= MAX_CONNS) continue;
    switch (o.kind) {
    case SL_HUB_PEER_UP: {
      CHECK(o.len > 32);
      int r = sl_hub_remote_open(hubs[j], o.data, now_ms);
      CHECK(r > 0 && r < MAX_CONNS);
      if (r > 0 && r < MAX_CONNS) {
        remote_of[i][o.conn] = (uint32_t)r;
        local_of[j][r] = o.conn;
      }
      break;
    }
    case SL_HUB_JOINED:
    case SL_HUB_LEFT: {
      char room[80];
      snprintf(room, sizeof room, "%.*s", (int)o.len, (const char *)o.data);
      int rc = o.kind == SL_HUB_JOINED
                   ? sl_hub_remote_join(hubs[j], remote_of[i][o.conn], room, now_ms)
                   : sl_hub_remote_leave(hubs[j], remote_of[i][o.conn], room, now_ms);
      CHECK_EQ(rc, 0);
      break;
    }
    case SL_HUB_PEER_DOWN:
      sl_hub_closed(hubs[j], remote_of[i][o.conn], now_ms);
      remote_of[i][o.conn] = 0;
      break;
    case SL_HUB_CONNECT_FROM:
    case SL_HUB_AUTH_FROM: {
      char ip[80];
      snprintf(ip, sizeof ip, "%.*s", (int)o.len, (const char *)o.data);
      CHECK_EQ(sl_hub_remote_load(hubs[j], ip, o.kind == SL_HUB_CONNECT_FROM,
                                  o.kind == SL_HUB_AUTH_FROM, now_ms),
               0);
      break;
    }
    default:
      if (local_of[i][o.conn]) { /* a remote connection: deliver on its instance */
        if (o.kind == SL_HUB_CLOSE) {
          sl_hub_closed(hubs[i], o.conn, now_ms);
          local_of[i][o.conn] = 0;
          break;
        }
        uint32_t from = remote_of[i][o.from]; /* the sender, as the other instance knows it */
        CHECK(from != 0);
        CHECK_EQ(sl_hub_deliver(hubs[j], from, local_of[i][o.conn], o.kind == SL_HUB_SEND_BINARY,
                                o.data, o.len, now_ms),
                 0);
      } else {
        to_client(i, &o);
      }
    }
  }
}

static void text(client *c, const char *msg) {
  CHECK_EQ(sl_hub_text(hubs[c->hub], c->conn, msg, strlen(msg), now_ms, WALL), 0);
  pump();
}

static void login(client *c, int hub) {
  char pk[64], payload[512], auth[17000];
  if (!c->id) CHECK_EQ(sl_identity_generate(&c->id), 0);
  memset(c->log, 0, sizeof c->log);
  c->hub = hub;
  c->closed = 0;
  c->last_binary_len = 0;
  int conn = sl_hub_open(hubs[hub], "127.0.0.1", now_ms);
  CHECK(conn > 0);
  c->conn = (uint32_t)conn;
  b64(sl_identity_public_key(c->id), 32, pk, sizeof pk);
  snprintf(payload, sizeof payload, "{\"userId\":\"u\",\"publicKey\":\"%s\",\"exp\":%.0f}", pk,
           WALL + 300);
  snprintf(auth, sizeof auth, "{\"type\":\"auth\",\"payload\":{\"token\":\"%s\"}}",
           make("{\"alg\":\"HS256\"}", payload, SL_JWT_HS256, secret));
  text(c, auth);
  char proof[200];
  CHECK_EQ(hub_proof(c->log, c->id, proof, sizeof proof), 0);
  text(c, proof);
  CHECK(strstr(c->log, "\"type\":\"authenticated\"") != NULL);
  memset(c->log, 0, sizeof c->log);
}

static void new_cluster(void) {
  for (int i = 0; i < 2; i++) {
    sl_hub_free(hubs[i]);
    CHECK_EQ(sl_hub_new(&hubs[i]), 0);
    CHECK_EQ(sl_hub_set_jwt_hs256(hubs[i], secret, sizeof secret), 0);
    CHECK_EQ(sl_hub_set(hubs[i], SL_HUB_CLUSTER, 1), 0);
  }
  memset(remote_of, 0, sizeof remote_of);
  memset(local_of, 0, sizeof local_of);
  for (int i = 0; i < 4; i++)
    clients[i].conn = 0;
}

static void test_rooms_and_signals(void) {
  new_cluster();
  client *a = &clients[0], *b = &clients[1];
  login(a, 0);
  login(b, 1);
  CHECK_EQ(hub_metric(hubs[0], "starling_hub_remote_peers "), 1);
  CHECK_EQ(hub_metric(hubs[1], "starling_hub_remote_peers "), 1);
  text(a, "{\"type\":\"join\",\"room\":\"r\"}");
  text(b, "{\"type\":\"join\",\"room\":\"r\"}");
  /* b's peer list names a (on the other instance); a hears b joined. */
  CHECK(strstr(b->log, "peer-list") && strstr(b->log, sl_identity_peer_id(a->id)));
  CHECK(strstr(a->log, "peer-joined") && strstr(a->log, sl_identity_peer_id(b->id)));
  /* A signal crosses with `from` set by a's hub. */
  char msg[512], from[96];
  snprintf(msg, sizeof msg, "{\"type\":\"offer\",\"to\":\"%s\",\"payload\":{\"sdp\":\"x\"}}",
           sl_identity_peer_id(b->id));
  text(a, msg);
  snprintf(from, sizeof from, "\"from\":\"%s\"", sl_identity_peer_id(a->id));
  CHECK(strstr(b->log, "\"type\":\"offer\"") && strstr(b->log, from));
  /* Not in a shared room: refused on a's instance, nothing crosses. */
  text(b, "{\"type\":\"leave\",\"room\":\"r\"}");
  CHECK(strstr(a->log, "peer-left") != NULL);
  memset(b->log, 0, sizeof b->log);
  text(a, msg);
  CHECK(strstr(a->log, "PEER_NOT_FOUND") != NULL);
  CHECK(strstr(b->log, "offer") == NULL);
  /* b goes away: a's instance forgets it. */
  text(b, "{\"type\":\"join\",\"room\":\"r\"}");
  sl_hub_closed(hubs[1], b->conn, now_ms);
  pump();
  CHECK_EQ(hub_metric(hubs[0], "starling_hub_remote_peers "), 0);
  CHECK(strstr(a->log, "peer-left") != NULL);
}

/* a on instance 0 and b on instance 1 share room "r"; a opens a relay path to b. */
static void relay_between(client *a, client *b) {
  login(a, 0);
  login(b, 1);
  text(a, "{\"type\":\"join\",\"room\":\"r\"}");
  text(b, "{\"type\":\"join\",\"room\":\"r\"}");
  char open[256];
  snprintf(open, sizeof open, "{\"type\":\"relay-open\",\"to\":\"%s\"}",
           sl_identity_peer_id(b->id));
  text(a, open);
}

static void test_relay_across(void) {
  new_cluster();
  CHECK_EQ(sl_hub_set(hubs[0], SL_HUB_RELAY_MAX_BYTES, 300), 0);
  CHECK_EQ(sl_hub_set(hubs[1], SL_HUB_RELAY_MAX_BYTES, 300), 0);
  client *a = &clients[0], *b = &clients[1];
  relay_between(a, b);
  const char *sa = strstr(a->log, "\"sessionId\":\""), *sb = strstr(b->log, "\"sessionId\":\"");
  CHECK(sa && sb);
  if (sa && sb) CHECK(strncmp(sa, sb, 36) == 0); /* the same path on both ends */
  uint8_t frame[33 + 40];
  frame[0] = SL_RELAY_KIND_RECORD;
  memset(frame + 33, 0xcd, 40);
  /* a -> b: the destination key becomes the source key. */
  memcpy(frame + 1, sl_identity_public_key(b->id), 32);
  CHECK_EQ(sl_hub_binary(hubs[0], a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK_EQ(b->last_binary_len, sizeof frame);
  CHECK_MEM(b->last_binary + 1, sl_identity_public_key(a->id), 32);
  /* b -> a: accepted by b's instance because the relay-ready opened its side. */
  memcpy(frame + 1, sl_identity_public_key(a->id), 32);
  CHECK_EQ(sl_hub_binary(hubs[1], b->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK_EQ(a->last_binary_len, sizeof frame);
  CHECK_MEM(a->last_binary + 1, sl_identity_public_key(b->id), 32);
  CHECK(!strstr(b->log, "RELAY_NOT_OPEN"));
  /* Both directions count on both instances: the 300-byte limit ends the
   * path after 4 records in all, whichever side sends them. */
  memcpy(frame + 1, sl_identity_public_key(b->id), 32);
  CHECK_EQ(sl_hub_binary(hubs[0], a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  memcpy(frame + 1, sl_identity_public_key(a->id), 32);
  CHECK_EQ(sl_hub_binary(hubs[1], b->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(!strstr(a->log, "RELAY_LIMIT") && !strstr(b->log, "RELAY_LIMIT"));
  CHECK_EQ(sl_hub_binary(hubs[1], b->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(strstr(a->log, "RELAY_LIMIT") && strstr(b->log, "RELAY_LIMIT"));
  CHECK_EQ(hub_metric(hubs[0], "starling_hub_relay_paths "), 0);
  CHECK_EQ(hub_metric(hubs[1], "starling_hub_relay_paths "), 0);
  /* A record now is refused on b's own instance. */
  memset(b->log, 0, sizeof b->log);
  now_ms += 2000;
  CHECK_EQ(sl_hub_binary(hubs[1], b->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(strstr(b->log, "RELAY_NOT_OPEN") != NULL);
}

static void test_moves_and_bad_calls(void) {
  new_cluster();
  client *a = &clients[0], *b = &clients[1];
  login(a, 0);
  login(b, 1);
  text(a, "{\"type\":\"join\",\"room\":\"r\"}");
  text(b, "{\"type\":\"join\",\"room\":\"r\"}");
  /* a logs in again on instance 1 (its hub died, say): the old session
   * on instance 0 is replaced, and b sees a still in the room. */
  client *a2 = &clients[2];
  a2->id = a->id;
  login(a2, 1);
  CHECK(strstr(a->log, "SESSION_REPLACED") != NULL);
  text(a2, "{\"type\":\"join\",\"room\":\"r\"}");
  char msg[512];
  snprintf(msg, sizeof msg, "{\"type\":\"offer\",\"to\":\"%s\",\"payload\":{\"sdp\":\"y\"}}",
           sl_identity_peer_id(b->id));
  memset(b->log, 0, sizeof b->log);
  text(a2, msg);
  CHECK(strstr(b->log, "\"type\":\"offer\"") != NULL);
  a2->id = NULL; /* owned by a */
  /* Host mistakes are refused, not trusted. */
  client *d = &clients[3];
  login(d, 0);
  CHECK_EQ(sl_hub_remote_join(hubs[0], d->conn, "r", now_ms), SL_EINVAL); /* local, not remote */
  CHECK_EQ(sl_hub_deliver(hubs[0], 0, a->conn, 0, (const uint8_t *)"{}", 2, now_ms), SL_EINVAL);
  uint8_t bad_key[32] = {0};
  CHECK(sl_hub_remote_open(hubs[0], bad_key, now_ms) < 0 ||
        sl_hub_remote_open(hubs[0], bad_key, now_ms) > 0);
  sl_hub *plain = NULL;
  CHECK_EQ(sl_hub_new(&plain), 0);
  CHECK_EQ(sl_hub_remote_open(plain, sl_identity_public_key(b->id), now_ms), SL_EINVAL);
  sl_hub_free(plain);
}

/* A peer that moves to another instance: paths through its old one end
 * for the other end, and a record for a path the receiving instance does
 * not have ends the sender's side too. */
static void test_moved_paths(void) {
  new_cluster();
  client *a = &clients[0], *b = &clients[1];
  relay_between(a, b);
  CHECK_EQ(hub_metric(hubs[0], "starling_hub_relay_paths "), 1);
  CHECK_EQ(hub_metric(hubs[1], "starling_hub_relay_paths "), 1);
  /* Instance 1 learns that a moved: b's path ends, naming a. */
  CHECK_EQ(sl_hub_remote_moved(hubs[1], remote_of[0][a->conn]), 0);
  pump();
  char from[96];
  snprintf(from, sizeof from, "\"from\":\"%s\"", sl_identity_peer_id(a->id));
  CHECK(strstr(b->log, "RELAY_LIMIT") && strstr(b->log, from));
  CHECK_EQ(hub_metric(hubs[1], "starling_hub_relay_paths "), 0);
  /* a, still with a path on instance 0, sends: instance 1 has none, so
   * a's side ends as well instead of its records vanishing. */
  uint8_t frame[33 + 8] = {SL_RELAY_KIND_RECORD};
  memcpy(frame + 1, sl_identity_public_key(b->id), 32);
  CHECK_EQ(sl_hub_binary(hubs[0], a->conn, frame, sizeof frame, now_ms), 0);
  pump();
  CHECK(strstr(a->log, "RELAY_LIMIT") != NULL);
  CHECK_EQ(hub_metric(hubs[0], "starling_hub_relay_paths "), 0);
  CHECK_EQ(b->last_binary_len, 0);
  CHECK_EQ(sl_hub_remote_moved(hubs[1], b->conn), SL_EINVAL); /* b is local there */
}

/* An address's connect budget is the cluster's, not each instance's. */
static void test_address_limits(void) {
  new_cluster();
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(sl_hub_set(hubs[i], SL_HUB_CONNECT_BURST, 4), 0);
    CHECK_EQ(sl_hub_set(hubs[i], SL_HUB_CONNECT_RATE, 0.001), 0);
  }
  int refused = 0;
  for (int k = 0; k < 6; k++) { /* alternating instances, one address */
    int conn = sl_hub_open(hubs[k & 1], "192.0.2.7", now_ms);
    CHECK(conn > 0);
    sl_hub_output o;
    while (sl_hub_next_output(hubs[k & 1], &o)) {
      if (o.kind == SL_HUB_SEND_TEXT && strstr((const char *)o.data, "RATE_LIMITED")) refused++;
      if (o.kind == SL_HUB_CONNECT_FROM)
        CHECK_EQ(sl_hub_remote_load(hubs[1 - (k & 1)], "192.0.2.7", 1, 0, now_ms), 0);
    }
  }
  CHECK_EQ(refused, 2); /* 4 in all, not 4 on each */
  CHECK_EQ(sl_hub_remote_load(hubs[0], "192.0.2.8", 0, 0, now_ms), 0);
  sl_hub *plain = NULL;
  CHECK_EQ(sl_hub_new(&plain), 0);
  CHECK_EQ(sl_hub_remote_load(plain, "192.0.2.8", 1, 1, now_ms), SL_EINVAL);
  sl_hub_free(plain);
}

int main(void) {
  if (sl_init() != 0) return 1;
  randombytes_buf(secret, sizeof secret);
  test_rooms_and_signals();
  test_relay_across();
  test_moves_and_bad_calls();
  test_moved_paths();
  test_address_limits();
  for (int i = 0; i < 2; i++)
    sl_hub_free(hubs[i]);
  for (int i = 0; i < 4; i++)
    sl_identity_free(clients[i].id);
  return check_summary("hub_cluster");
}
