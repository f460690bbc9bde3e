/* fuzz_hub.c — libFuzzer target: the hub state machine as a whole. Each
 * input is a fresh hub (small limits, so the limit paths are reachable)
 * with two clients already authenticated and in room "r" and one that is
 * not, driven by a sequence of events:
 *   [op][conn][u16 BE len][len bytes]   (ops that take no bytes use len as
 *                                         a number: tick advances len*100 ms)
 * ops: 0 text, 1 binary, 2 relay record to the other client (the harness
 * writes the header), 3 relay-open to the other client, 4 tick, 5 close,
 * 6 open a new connection in that slot, 7 join "r", and, as if from
 * another instance (the hub runs with SL_HUB_CLUSTER and a remote peer in
 * room "r"): 8 a text message delivered to that slot's client, 9 a binary
 * one, 10 relay-ready from the remote peer (opens a mirrored path).
 * After every event each output must be well formed: text parses as a JSON
 * object, binary is a relay frame, close has a code. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../c/jwt_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WALL 1700000000.0
#define SLOTS 4

static sl_identity *ids[2];
static const char *tokens[2];
static uint8_t secret[32] = {9};

static void init_once(void) {
  if (ids[0]) return;
  if (sl_init() != 0) abort();
  for (int i = 0; i < 2; i++) {
    uint8_t seed[32] = {(uint8_t)(i + 1)};
    char pk[64], claims[256];
    if (sl_identity_from_seed(&ids[i], seed) != 0) abort();
    b64(sl_identity_public_key(ids[i]), 32, pk, sizeof pk);
    snprintf(claims, sizeof claims, "{\"userId\":\"u%d\",\"publicKey\":\"%s\",\"exp\":%.0f}", i, pk,
             WALL + 3600);
    const char *t = make("{\"alg\":\"HS256\"}", claims, SL_JWT_HS256, secret);
    char *copy = malloc(strlen(t) + 1);
    if (!copy) abort();
    tokens[i] = strcpy(copy, t);
  }
}

/* Drains the hub's outputs, checking each; remembers the last challenge
 * nonce text so a login can answer it. */
static void drain(sl_hub *hub, char *nonce, size_t nonce_cap) {
  sl_hub_output o;
  while (sl_hub_next_output(hub, &o)) {
    if (o.kind == SL_HUB_SEND_TEXT) {
      if (!o.data || !o.len) abort();
      cJSON *j = cJSON_ParseWithLength((const char *)o.data, o.len);
      if (!cJSON_IsObject(j)) abort();
      const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(p, "nonce");
      if (nonce && cJSON_IsString(n) && strlen(n->valuestring) < nonce_cap)
        strcpy(nonce, n->valuestring);
      cJSON_Delete(j);
    } else if (o.kind == SL_HUB_SEND_BINARY) {
      if (!o.data || o.len < SL_RELAY_HEADER_BYTES || o.data[0] != SL_RELAY_KIND_RECORD) abort();
    } else if (o.kind >= SL_HUB_PEER_UP && o.kind <= SL_HUB_AUTH_FROM) {
      if (o.kind != SL_HUB_PEER_DOWN && (!o.data || !o.len)) abort();
    } else if (o.kind != SL_HUB_CLOSE || o.close_code < 1000) {
      abort();
    }
  }
}

static void text(sl_hub *hub, uint32_t conn, const char *msg, double now) {
  (void)sl_hub_text(hub, conn, msg, strlen(msg), now, WALL);
}

/* Authenticates identity i on a new connection and joins room "r". */
static uint32_t login(sl_hub *hub, int i, double now) {
  char msg[4096], nonce[64] = "";
  int conn = sl_hub_open(hub, "127.0.0.1", now);
  if (conn <= 0) abort();
  snprintf(msg, sizeof msg, "{\"type\":\"auth\",\"payload\":{\"token\":\"%s\"}}", tokens[i]);
  text(hub, (uint32_t)conn, msg, now);
  drain(hub, nonce, sizeof nonce);
  uint8_t challenge[sizeof SL_HUB_CHALLENGE_PREFIX - 1 + SL_HUB_NONCE_BYTES], sig[64];
  size_t n = 0;
  memcpy(challenge, SL_HUB_CHALLENGE_PREFIX, sizeof SL_HUB_CHALLENGE_PREFIX - 1);
  if (sodium_base642bin(challenge + sizeof SL_HUB_CHALLENGE_PREFIX - 1, SL_HUB_NONCE_BYTES, nonce,
                        strlen(nonce), NULL, &n, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      n != SL_HUB_NONCE_BYTES || sl_identity_sign(ids[i], challenge, sizeof challenge, sig) != 0)
    abort();
  char sig64[100];
  b64(sig, sizeof sig, sig64, sizeof sig64);
  snprintf(msg, sizeof msg, "{\"type\":\"auth-proof\",\"payload\":{\"signature\":\"%s\"}}", sig64);
  text(hub, (uint32_t)conn, msg, now);
  text(hub, (uint32_t)conn, "{\"type\":\"join\",\"room\":\"r\"}", now);
  drain(hub, NULL, 0);
  return (uint32_t)conn;
}

static sl_hub *new_hub(void) {
  sl_hub *hub = NULL;
  if (sl_hub_new(&hub) != 0 || sl_hub_set_jwt_hs256(hub, secret, sizeof secret) != 0 ||
      sl_hub_set(hub, SL_HUB_CLUSTER, 1) != 0)
    abort();
  static const struct {
    int setting;
    double value;
  } limits[] = {{SL_HUB_MAX_MESSAGE, 1024},     {SL_HUB_MAX_ROOMS_PER_CLIENT, 2},
                {SL_HUB_MAX_PEERS_PER_ROOM, 3}, {SL_HUB_MAX_CONNECTIONS, 6},
                {SL_HUB_MSG_BURST, 40},         {SL_HUB_RELAY_BURST, 40},
                {SL_HUB_RELAY_MAX_BYTES, 4096}, {SL_HUB_RELAY_MAX_MS, 5000}};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
    if (sl_hub_set(hub, limits[i].setting, limits[i].value) != 0) abort();
  return hub;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init_once();
  sl_hub *hub = new_hub();
  double now = 1000;
  uint32_t conns[SLOTS] = {login(hub, 0, now), login(hub, 1, now), 0, 0};
  int opened = sl_hub_open(hub, "10.0.0.1", now);
  conns[2] = opened > 0 ? (uint32_t)opened : 0;
  static const uint8_t remote_key[32] = {7, 7, 7};
  int remote = sl_hub_remote_open(hub, remote_key, now);
  if (remote > 0) (void)sl_hub_remote_join(hub, (uint32_t)remote, "r", now);
  drain(hub, NULL, 0);

  uint8_t record[SL_RELAY_HEADER_BYTES + 1024];
  char msg[256];
  for (size_t pos = 0; pos + 4 <= size;) {
    int op = data[pos] % 11, slot = data[pos + 1] % SLOTS;
    size_t len = (size_t)data[pos + 2] << 8 | data[pos + 3];
    pos += 4;
    size_t take = op <= 2 || op == 8 || op == 9 ? (len < size - pos ? len : size - pos) : 0;
    const uint8_t *bytes = data + pos;
    pos += take;
    uint32_t c = conns[slot];
    int other = slot == 0 ? 1 : 0; /* the logged-in client that is not this one */
    switch (op) {
    case 0:
      (void)sl_hub_text(hub, c, (const char *)bytes, take, now, WALL);
      break;
    case 1:
      (void)sl_hub_binary(hub, c, bytes, take, now);
      break;
    case 2:
      record[0] = SL_RELAY_KIND_RECORD;
      memcpy(record + 1, sl_identity_public_key(ids[other]), 32);
      if (take > sizeof record - SL_RELAY_HEADER_BYTES)
        take = sizeof record - SL_RELAY_HEADER_BYTES;
      memcpy(record + SL_RELAY_HEADER_BYTES, bytes, take);
      (void)sl_hub_binary(hub, c, record, SL_RELAY_HEADER_BYTES + take, now);
      break;
    case 3:
      snprintf(msg, sizeof msg, "{\"type\":\"relay-open\",\"to\":\"%s\"}",
               sl_identity_peer_id(ids[other]));
      text(hub, c, msg, now);
      break;
    case 4:
      now += (double)len * 100;
      sl_hub_tick(hub, now);
      break;
    case 5:
      sl_hub_closed(hub, c, now);
      break;
    case 6: {
      int id = sl_hub_open(hub, slot & 1 ? "10.0.0.2" : "127.0.0.1", now);
      if (id > 0) conns[slot] = (uint32_t)id;
      break;
    }
    case 8:
    case 9:
      (void)sl_hub_deliver(hub, (uint32_t)remote, c, op == 9, bytes, take, now);
      break;
    case 10:
      (void)sl_hub_deliver(
          hub, (uint32_t)remote, c, 0,
          (const uint8_t *)"{\"type\":\"relay-ready\",\"payload\":{\"sessionId\":\"s\"}}", 50, now);
      break;
    default:
      text(hub, c, "{\"type\":\"join\",\"room\":\"r\"}", now);
      break;
    }
    drain(hub, NULL, 0);
  }
  sl_hub_free(hub);
  return 0;
}
