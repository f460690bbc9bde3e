/* hub.c — the signaling + relay hub's state machine. The host feeds it
 * socket events and performs the outputs it queues; all policy (auth,
 * rooms, forwarding, relay paths, limits, keepalive) lives here so it is
 * tested natively and under sanitizers. Every rejection is answered with
 * an error carrying a stable code and counted in the metrics. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* js-glue/hub.js reads sl_hub_output as six 32-bit words on wasm32. */
#if UINTPTR_MAX == 0xffffffffu
_Static_assert(offsetof(sl_hub_output, conn) == 0 && offsetof(sl_hub_output, kind) == 4 &&
                   offsetof(sl_hub_output, data) == 8 && offsetof(sl_hub_output, len) == 12 &&
                   offsetof(sl_hub_output, close_code) == 16 &&
                   offsetof(sl_hub_output, from) == 20 && sizeof(sl_hub_output) == 24,
               "js-glue/hub.js reads sl_hub_output at these offsets");
#endif

enum conn_state { AWAIT_TOKEN, AWAIT_PROOF, READY, CLOSED };

/* peer-joined / peer-left about one connection: this many go out at once,
 * then one a second, each carrying the net change since the last. */
#define NOTICE_BURST 4
#define NOTICE_RATE 1.0

typedef struct bucket {
  double tokens, last_ms;
  bool started;
} bucket;

typedef struct ip_entry {
  bucket connects, auths;
  unsigned open; /* connections currently open from this address */
} ip_entry;

typedef struct conn {
  uint32_t id;
  int state;
  bool remote; /* a peer on another instance (SL_HUB_CLUSTER): no socket here */
  char ip[64];
  double opened_ms, last_seen_ms, last_ping_ms, last_rate_error_ms, last_binary_error_ms;
  bucket messages, relay_records; /* separate: a dropped record would break a session */
  bucket membership;              /* join/leave: each one fans out to a whole room */
  bucket notices;                 /* peer-joined/peer-left bursts about this connection */
  bool notice_pending;            /* rooms changed since the last notice went out */
  uint8_t nonce[SL_HUB_NONCE_BYTES];
  uint8_t pk[32];
  char peer_id[SL_PEER_ID_BYTES];
  char user_id[SL_JWT_USER_ID_MAX + 1];
  unsigned nrooms, ntold;
  char (*rooms)[SL_ROOM_MAX + 1]; /* max_rooms_per_client entries */
  char (*told)[SL_ROOM_MAX + 1];  /* the rooms the others were last told it is in */
} conn;

typedef struct room {
  uint32_t *members;
  unsigned count, cap;
} room;

typedef struct relay_path {
  uint32_t a, b; /* a < b */
  double bytes, opened_ms;
  char session[32]; /* base64url of 16 random bytes */
} relay_path;

typedef struct output {
  uint32_t conn, from;
  int kind, close_code;
  uint8_t *data;
  size_t len;
} output;

/* Rejection reasons, in the order of the metrics' labels. */
static const char *const reasons[] = {"AUTH_REQUIRED",
                                      "AUTH_TIMEOUT",
                                      "AUTH_PROOF_INVALID",
                                      "ALREADY_AUTHENTICATED",
                                      "SESSION_REPLACED",
                                      "RATE_LIMITED",
                                      "HUB_FULL",
                                      "MESSAGE_TOO_LARGE",
                                      "MESSAGE_MALFORMED",
                                      "MESSAGE_TYPE",
                                      "MESSAGE_FIELD",
                                      "ROOM_LIMIT",
                                      "ROOM_FULL",
                                      "NOT_IN_ROOM",
                                      "PEER_NOT_FOUND",
                                      "RELAY_BAD_FRAME",
                                      "RELAY_NOT_OPEN",
                                      "RELAY_LIMIT",
                                      "STALE",
                                      "SLOW_CONSUMER",
                                      "JWT_TOO_LARGE",
                                      "JWT_MALFORMED",
                                      "JWT_ALGORITHM",
                                      "JWT_SIGNATURE",
                                      "JWT_EXPIRED",
                                      "JWT_NOT_YET_VALID",
                                      "JWT_AUDIENCE",
                                      "JWT_ISSUER",
                                      "JWT_CLAIMS",
                                      "INTERNAL"};
#define NREASONS (sizeof reasons / sizeof reasons[0])

struct sl_hub {
  double settings[SL_HUB_SETTING_COUNT];
  int jwt_alg;
  uint8_t *jwt_secret;
  size_t jwt_secret_len;
  uint8_t jwt_issuer_pk[32];
  char *jwt_audience, *jwt_issuer;

  conn **conns; /* index = id; NULL when free */
  uint32_t nconns_cap;
  unsigned open_count, ready_count, remote_count;
  sl__map peers;  /* peer id -> conn */
  sl__map rooms;  /* name -> room */
  sl__map ips;    /* address -> ip_entry */
  sl__map relays; /* "a:b" -> relay_path */

  output *queue;
  size_t qhead, qlen, qcap;
  uint8_t *last_popped;

  double messages_in, messages_out, relayed_bytes, connections_total, delivered_in;
  double rejections[NREASONS];
  int failed;      /* latched SL_ENOMEM: an output could not be queued (sl_hub_status) */
  uint32_t acting; /* the local connection whose input is being handled (output.from) */
};

/* ------------------------------------------------------------ settings */

static const double defaults[SL_HUB_SETTING_COUNT] = {[SL_HUB_MAX_MESSAGE] = 65536,
                                                      [SL_HUB_MAX_ROOMS_PER_CLIENT] = 16,
                                                      [SL_HUB_MAX_PEERS_PER_ROOM] = 1024,
                                                      [SL_HUB_MAX_CONNECTIONS] = 20000,
                                                      [SL_HUB_AUTH_TIMEOUT_MS] = 10000,
                                                      [SL_HUB_PING_INTERVAL_MS] = 30000,
                                                      [SL_HUB_STALE_MS] = 60000,
                                                      [SL_HUB_MSG_RATE] = 100,
                                                      [SL_HUB_MSG_BURST] = 400,
                                                      [SL_HUB_CONNECT_RATE] = 20,
                                                      [SL_HUB_CONNECT_BURST] = 100,
                                                      [SL_HUB_AUTH_RATE] = 20,
                                                      [SL_HUB_AUTH_BURST] = 100,
                                                      [SL_HUB_RELAY_MAX_BYTES] = 64.0 * 1024 * 1024,
                                                      [SL_HUB_RELAY_MAX_MS] = 600000,
                                                      [SL_HUB_JWT_SKEW_S] = 60,
                                                      [SL_HUB_RELAY_RATE] = 2000,
                                                      [SL_HUB_RELAY_BURST] = 4000,
                                                      [SL_HUB_JOIN_RATE] = 2,
                                                      [SL_HUB_JOIN_BURST] = 20,
                                                      [SL_HUB_CLUSTER] = 0};

/* The largest value each setting takes: every one is finite, and counts
 * stay far below what a double holds exactly or the hub could allocate. */
static const double maxima[SL_HUB_SETTING_COUNT] = {[SL_HUB_MAX_MESSAGE] = 16.0 * 1024 * 1024,
                                                    [SL_HUB_MAX_ROOMS_PER_CLIENT] = 1024,
                                                    [SL_HUB_MAX_PEERS_PER_ROOM] = 1 << 20,
                                                    [SL_HUB_MAX_CONNECTIONS] = 1 << 24,
                                                    [SL_HUB_AUTH_TIMEOUT_MS] = 3600e3,
                                                    [SL_HUB_PING_INTERVAL_MS] = 3600e3,
                                                    [SL_HUB_STALE_MS] = 3600e3,
                                                    [SL_HUB_MSG_RATE] = 1e6,
                                                    [SL_HUB_MSG_BURST] = 1e6,
                                                    [SL_HUB_CONNECT_RATE] = 1e6,
                                                    [SL_HUB_CONNECT_BURST] = 1e6,
                                                    [SL_HUB_AUTH_RATE] = 1e6,
                                                    [SL_HUB_AUTH_BURST] = 1e6,
                                                    [SL_HUB_RELAY_MAX_BYTES] = 1e15,
                                                    [SL_HUB_RELAY_MAX_MS] = 30 * 86400e3,
                                                    [SL_HUB_JWT_SKEW_S] = SL_JWT_MAX_SKEW,
                                                    [SL_HUB_RELAY_RATE] = 1e6,
                                                    [SL_HUB_RELAY_BURST] = 1e6,
                                                    [SL_HUB_JOIN_RATE] = 1e6,
                                                    [SL_HUB_JOIN_BURST] = 1e6,
                                                    [SL_HUB_CLUSTER] = 1};
static const double minima[SL_HUB_SETTING_COUNT] = {
    [SL_HUB_MAX_MESSAGE] = 256,      [SL_HUB_MAX_ROOMS_PER_CLIENT] = 1,
    [SL_HUB_MAX_PEERS_PER_ROOM] = 1, [SL_HUB_MAX_CONNECTIONS] = 1,
    [SL_HUB_PING_INTERVAL_MS] = 100, [SL_HUB_STALE_MS] = 100,
    [SL_HUB_MSG_BURST] = 1,          [SL_HUB_CONNECT_BURST] = 1,
    [SL_HUB_AUTH_BURST] = 1,         [SL_HUB_RELAY_BURST] = 1,
    [SL_HUB_JOIN_BURST] = 1};

#define SET(h, k) ((h)->settings[k])

int sl_hub_new(sl_hub **out) {
  if (!out) return SL_EINVAL;
  sl_hub *h = calloc(1, sizeof *h);
  if (!h) return SL_ENOMEM;
  memcpy(h->settings, defaults, sizeof defaults);
  sl__map *maps[] = {&h->peers, &h->rooms, &h->ips, &h->relays};
  for (size_t k = 0; k < sizeof maps / sizeof *maps; k++) {
    uint8_t key[16];
    randombytes_buf(key, sizeof key); /* where a room name lands is the hub's secret */
    sl__map_init(maps[k], key);
  }
  *out = h;
  return 0;
}

int sl_hub_set(sl_hub *hub, int setting, double value) {
  if (!hub || setting <= 0 || setting >= SL_HUB_SETTING_COUNT || hub->nconns_cap) return SL_EINVAL;
  if (!isfinite(value) || value < minima[setting] || value > maxima[setting]) return SL_EINVAL;
  hub->settings[setting] = value;
  return 0;
}

int sl_hub_setting_range(int setting, double *min, double *max) {
  if (setting <= 0 || setting >= SL_HUB_SETTING_COUNT || !min || !max) return SL_EINVAL;
  *min = minima[setting];
  *max = maxima[setting];
  return 0;
}

static int set_string(char **dst, const char *value) {
  free(*dst);
  *dst = NULL;
  if (!value) return 0;
  size_t n = strlen(value) + 1;
  if (!(*dst = malloc(n))) return SL_ENOMEM;
  memcpy(*dst, value, n);
  return 0;
}

int sl_hub_set_jwt_hs256(sl_hub *hub, const uint8_t *secret, size_t len) {
  if (!hub || !secret || len < 32) return SL_EINVAL;
  uint8_t *copy = malloc(len);
  if (!copy) return SL_ENOMEM;
  memcpy(copy, secret, len);
  if (hub->jwt_secret) sodium_memzero(hub->jwt_secret, hub->jwt_secret_len);
  free(hub->jwt_secret);
  hub->jwt_secret = copy;
  hub->jwt_secret_len = len;
  hub->jwt_alg = SL_JWT_HS256;
  return 0;
}

int sl_hub_set_jwt_eddsa(sl_hub *hub, const uint8_t pk[32]) {
  if (!hub || !pk || !crypto_core_ed25519_is_valid_point(pk)) return SL_EINVAL;
  memcpy(hub->jwt_issuer_pk, pk, 32);
  hub->jwt_alg = SL_JWT_EDDSA;
  return 0;
}

int sl_hub_set_jwt_audience(sl_hub *hub, const char *aud) {
  return hub ? set_string(&hub->jwt_audience, aud) : SL_EINVAL;
}
int sl_hub_set_jwt_issuer(sl_hub *hub, const char *iss) {
  return hub ? set_string(&hub->jwt_issuer, iss) : SL_EINVAL;
}

/* -------------------------------------------------------------- output */

/* An output that cannot be queued (out of memory) would leave the host and
 * the hub disagreeing about a connection, so the failure is latched and
 * reported by sl_hub_status: the host stops serving rather than run on
 * with a lost close or a gap in a relayed Noise stream. */
static void push_output(sl_hub *h, uint32_t c, int kind, uint8_t *data, size_t len, int code) {
  if (sl__fifo_reserve((void **)&h->queue, sizeof *h->queue, &h->qhead, h->qlen, &h->qcap, 64) !=
      0) {
    free(data);
    h->failed = SL_ENOMEM;
    return;
  }
  h->queue[h->qhead + h->qlen++] = (output){c, h->acting, kind, code, data, len};
  if (kind == SL_HUB_SEND_TEXT || kind == SL_HUB_SEND_BINARY) h->messages_out++;
}

/* A cluster output about local client c (only with SL_HUB_CLUSTER). */
static void cluster_event(sl_hub *h, const conn *c, int kind, const char *text) {
  if (!SET(h, SL_HUB_CLUSTER) || c->remote) return;
  if (kind == SL_HUB_CONNECT_FROM || kind == SL_HUB_AUTH_FROM) text = c->ip;
  size_t tlen = text ? strlen(text) : 0, extra = kind == SL_HUB_PEER_UP ? 32 : 0;
  uint8_t *data = malloc(extra + tlen + 1);
  if (!data) {
    h->failed = SL_ENOMEM;
    return;
  }
  if (extra) memcpy(data, c->pk, 32);
  if (tlen) memcpy(data + extra, text, tlen);
  push_output(h, c->id, kind, data, extra + tlen, 0);
}

static void send_text(sl_hub *h, uint32_t c, char *json, size_t len) {
  if (json)
    push_output(h, c, SL_HUB_SEND_TEXT, (uint8_t *)json, len, 0);
  else
    h->failed = SL_ENOMEM; /* a builder could not allocate the message */
}

int sl_hub_status(const sl_hub *hub) { return hub ? hub->failed : SL_EINVAL; }

static int reason_index(const char *code) {
  for (size_t i = 0; i < NREASONS; i++)
    if (strcmp(reasons[i], code) == 0) return (int)i;
  return (int)NREASONS - 1;
}

/* An error for c; `peer` (or NULL) is the peer it concerns. */
static void send_error_about(sl_hub *h, conn *c, const char *code, const char *message,
                             const char *id, const char *peer) {
  char *json = NULL;
  size_t len = 0;
  h->rejections[reason_index(code)]++;
  if (sl_signal_build_error(code, message, id && *id ? id : NULL, peer, &json, &len) == 0)
    send_text(h, c->id, json, len);
}

static void send_error(sl_hub *h, conn *c, const char *code, const char *message, const char *id) {
  send_error_about(h, c, code, message, id, NULL);
}

int sl_hub_next_output(sl_hub *hub, sl_hub_output *out) {
  free(hub->last_popped);
  hub->last_popped = NULL;
  if (!hub->qlen) return 0;
  output o = hub->queue[hub->qhead++];
  hub->qlen--;
  if (!hub->qlen) hub->qhead = 0;
  hub->last_popped = o.data;
  *out = (sl_hub_output){o.conn, o.kind, o.data, o.len, o.close_code, o.from};
  return 1;
}

/* --------------------------------------------------------- rate limits */

static bool take(bucket *b, double rate, double burst, double now) {
  if (!b->started) { /* a new bucket starts full */
    b->started = true;
    b->tokens = burst;
    b->last_ms = now;
  }
  double t = b->tokens + (now - b->last_ms) * rate / 1000.0;
  b->tokens = t > burst ? burst : t;
  b->last_ms = now;
  if (b->tokens < 1) return false;
  b->tokens -= 1;
  return true;
}

static ip_entry *ip_for(sl_hub *h, const char *ip) {
  ip_entry *e = sl__map_get(&h->ips, ip);
  if (e) return e;
  e = calloc(1, sizeof *e);
  if (e && sl__map_put(&h->ips, ip, e) != 0) {
    free(e);
    e = NULL;
  }
  return e;
}

/* ---------------------------------------------------------- connections */

static conn *conn_get(const sl_hub *h, uint32_t id) {
  conn *c = id < h->nconns_cap ? h->conns[id] : NULL;
  return c && c->state != CLOSED ? c : NULL;
}

static int conn_slot(sl_hub *h) {
  for (uint32_t i = 1; i < h->nconns_cap; i++)
    if (!h->conns[i]) return (int)i;
  uint32_t cap = h->nconns_cap ? h->nconns_cap * 2 : 64;
  conn **bigger = realloc(h->conns, cap * sizeof *bigger);
  if (!bigger) return SL_ENOMEM;
  memset(bigger + h->nconns_cap, 0, (cap - h->nconns_cap) * sizeof *bigger);
  int slot = h->nconns_cap ? (int)h->nconns_cap : 1;
  h->conns = bigger;
  h->nconns_cap = cap;
  return slot;
}

static void leave_room(sl_hub *h, conn *c, unsigned idx);
static void announce(sl_hub *h, conn *c);
static void drop_relays(sl_hub *h, uint32_t id);

/* Ends a connection's membership everywhere and queues the close. Before
 * authentication the close code is SL_HUB_CLOSE_UNAUTHENTICATED, so the
 * host can cut such sockets short instead of lingering on them. */
static void close_conn(sl_hub *h, conn *c, int code) {
  if (code == SL_HUB_CLOSE_POLICY && c->state != READY) code = SL_HUB_CLOSE_UNAUTHENTICATED;
  if (c->state == CLOSED) return;
  while (c->nrooms)
    leave_room(h, c, c->nrooms - 1);
  announce(h, c); /* a closed connection's peer-left is never held back */
  drop_relays(h, c->id);
  if (c->state == READY) {
    if (sl__map_get(&h->peers, c->peer_id) == c) sl__map_remove(&h->peers, c->peer_id);
    if (!c->remote) h->ready_count--;
    cluster_event(h, c, SL_HUB_PEER_DOWN, NULL);
  }
  c->state = CLOSED;
  if (c->remote) { /* no socket, no address; the close tells the host to forget it */
    h->remote_count--;
  } else {
    ip_entry *e = sl__map_get(&h->ips, c->ip);
    if (e && e->open) e->open--;
    h->open_count--;
  }
  push_output(h, c->id, SL_HUB_CLOSE, NULL, 0, code);
}

/* A peer that moved between instances (its hub died, or it dialled
 * another): its old connection goes without a peer-left, because the new
 * one re-joins the same rooms at once; a peer-left in between would make
 * every member drop its session with it. */
static void quiet_close(sl_hub *h, conn *c) {
  c->ntold = 0; /* nothing to take back: announce() stays silent */
  c->notice_pending = false;
  while (c->nrooms)
    leave_room(h, c, c->nrooms - 1);
  close_conn(h, c, SL_HUB_CLOSE_POLICY);
}

static void fail_conn(sl_hub *h, conn *c, const char *code, const char *message) {
  send_error(h, c, code, message, NULL);
  close_conn(h, c, SL_HUB_CLOSE_POLICY);
}

/* A connection in a free slot of the table (local or remote). */
static conn *new_conn(sl_hub *h) {
  int slot = conn_slot(h);
  if (slot < 0) return NULL;
  conn *c = calloc(1, sizeof *c);
  size_t max_rooms = (size_t)SET(h, SL_HUB_MAX_ROOMS_PER_CLIENT);
  char(*rooms)[SL_ROOM_MAX + 1] = calloc(max_rooms, sizeof *rooms);
  char(*told)[SL_ROOM_MAX + 1] = calloc(max_rooms, sizeof *told);
  if (!c || !rooms || !told) {
    free(c);
    free(rooms);
    free(told);
    return NULL;
  }
  c->id = (uint32_t)slot;
  c->rooms = rooms;
  c->told = told;
  h->conns[slot] = c;
  return c;
}

int sl_hub_open(sl_hub *hub, const char *ip, double now) {
  if (!hub || !ip) return SL_EINVAL;
  conn *c = new_conn(hub);
  if (!c) return SL_ENOMEM;
  int slot = (int)c->id;
  hub->acting = c->id;
  snprintf(c->ip, sizeof c->ip, "%s", ip);
  c->opened_ms = c->last_seen_ms = c->last_ping_ms = now;
  hub->open_count++;
  hub->connections_total++;
  ip_entry *e = ip_for(hub, c->ip);
  if (e) e->open++;
  cluster_event(hub, c, SL_HUB_CONNECT_FROM, NULL);
  if (!e || !take(&e->connects, SET(hub, SL_HUB_CONNECT_RATE), SET(hub, SL_HUB_CONNECT_BURST), now))
    fail_conn(hub, c, "RATE_LIMITED", "too many connections from this address");
  else if (hub->open_count > SET(hub, SL_HUB_MAX_CONNECTIONS))
    fail_conn(hub, c, "HUB_FULL", "the hub is at its connection limit");
  return slot;
}

static void free_conn(sl_hub *h, conn *c) {
  h->conns[c->id] = NULL;
  free(c->rooms);
  free(c->told);
  sodium_memzero(c, sizeof *c);
  free(c);
}

void sl_hub_closed(sl_hub *hub, uint32_t id, double now) {
  (void)now;
  hub->acting = id;
  conn *c = id < hub->nconns_cap ? hub->conns[id] : NULL;
  if (!c) return;
  if (c->state != CLOSED) {
    close_conn(hub, c, 1000);
    /* The socket is gone: its queued close needs no action, but the host
     * ignores outputs for unknown connections anyway. */
  }
  free_conn(hub, c);
}

/* ---------------------------------------------------------------- rooms */

static void broadcast(sl_hub *h, room *r, uint32_t except, int type, const char *from,
                      const char *name) {
  for (unsigned i = 0; i < r->count; i++) {
    if (r->members[i] == except) continue;
    const conn *m = conn_get(h, r->members[i]);
    if (m && m->remote) continue; /* its own instance tells it */
    char *json = NULL;
    size_t len = 0;
    if (sl_signal_build(type, from, NULL, name, NULL, NULL, &json, &len) == 0)
      send_text(h, r->members[i], json, len);
  }
}

static void leave_room(sl_hub *h, conn *c, unsigned idx) {
  const char *name = c->rooms[idx];
  room *r = sl__map_get(&h->rooms, name);
  if (r) {
    for (unsigned i = 0; i < r->count; i++) {
      if (r->members[i] == c->id) {
        r->members[i] = r->members[--r->count];
        break;
      }
    }
    if (r->count == 0) {
      sl__map_remove(&h->rooms, name);
      free(r->members);
      free(r);
    }
  }
  memmove(c->rooms[idx], c->rooms[c->nrooms - 1], sizeof c->rooms[idx]);
  c->nrooms--;
}

static int index_of(char (*list)[SL_ROOM_MAX + 1], unsigned n, const char *name) {
  for (unsigned i = 0; i < n; i++)
    if (strcmp(list[i], name) == 0) return (int)i;
  return -1;
}

static int room_index(const conn *c, const char *name) {
  return index_of(c->rooms, c->nrooms, name);
}

/* Tells each room what changed in c's membership since it was last told:
 * peer-left where c left, peer-joined where it joined. A leave and a
 * rejoin in between cancel out, so a flapping member costs its rooms
 * nothing. */
static void announce(sl_hub *h, conn *c) {
  for (unsigned i = 0; i < c->ntold; i++) {
    room *r = room_index(c, c->told[i]) < 0 ? sl__map_get(&h->rooms, c->told[i]) : NULL;
    if (r) broadcast(h, r, c->id, SL_SIG_PEER_LEFT, c->peer_id, c->told[i]);
  }
  for (unsigned i = 0; i < c->nrooms; i++) {
    room *r =
        index_of(c->told, c->ntold, c->rooms[i]) < 0 ? sl__map_get(&h->rooms, c->rooms[i]) : NULL;
    if (r) broadcast(h, r, c->id, SL_SIG_PEER_JOINED, c->peer_id, c->rooms[i]);
  }
  if (c->nrooms) memcpy(c->told, c->rooms, c->nrooms * sizeof *c->rooms);
  c->ntold = c->nrooms;
  c->notice_pending = false;
}

/* Membership notices go out at once within a small burst; past it they
 * wait for the tick, which sends only the net change (a room of N members
 * turns each notice into N messages). */
static void membership_changed(sl_hub *h, conn *c, double now) {
  if (!c->notice_pending && take(&c->notices, NOTICE_RATE, NOTICE_BURST, now))
    announce(h, c);
  else
    c->notice_pending = true;
}

static void send_peer_list(sl_hub *h, conn *c, const char *name, const room *r, const char *id) {
  cJSON *payload = cJSON_CreateObject();
  cJSON *peers = payload ? cJSON_AddArrayToObject(payload, "peers") : NULL;
  for (unsigned i = 0; peers && i < r->count; i++) {
    conn *m = conn_get(h, r->members[i]);
    if (m && m != c) cJSON_AddItemToArray(peers, cJSON_CreateString(m->peer_id));
  }
  char *pj = payload ? cJSON_PrintUnformatted(payload) : NULL;
  cJSON_Delete(payload);
  char *json = NULL;
  size_t len = 0;
  if (pj && sl_signal_build(SL_SIG_PEER_LIST, NULL, NULL, name, id, pj, &json, &len) == 0)
    send_text(h, c->id, json, len);
  free(pj);
}

/* Makes c a member of the room `name` (c is not one yet). Returns NULL,
 * or the code of the rule that refused it. */
static const char *add_member(sl_hub *h, conn *c, const char *name, room **out) {
  room *r = sl__map_get(&h->rooms, name);
  bool created = false;
  if (c->nrooms >= SET(h, SL_HUB_MAX_ROOMS_PER_CLIENT)) return "ROOM_LIMIT";
  if (r && r->count >= SET(h, SL_HUB_MAX_PEERS_PER_ROOM)) return "ROOM_FULL";
  if (!r) {
    r = calloc(1, sizeof *r);
    if (!r || sl__map_put(&h->rooms, name, r) != 0) {
      free(r);
      return "INTERNAL";
    }
    created = true;
  }
  if (r->count == r->cap) {
    unsigned cap = r->cap ? r->cap * 2 : 8;
    uint32_t *mem = realloc(r->members, cap * sizeof *mem);
    if (!mem) {
      if (created) { /* an empty room must not stay behind */
        sl__map_remove(&h->rooms, name);
        free(r);
      }
      return "INTERNAL";
    }
    r->members = mem;
    r->cap = cap;
  }
  r->members[r->count++] = c->id;
  memcpy(c->rooms[c->nrooms++], name, strlen(name) + 1);
  *out = r;
  return NULL;
}

static void join(sl_hub *h, conn *c, const sl_signal *m, double now) {
  room *r = sl__map_get(&h->rooms, m->room);
  if (room_index(c, m->room) >= 0) { /* idempotent: answer with the list again */
    if (r) send_peer_list(h, c, m->room, r, m->id);
    return;
  }
  const char *refused = add_member(h, c, m->room, &r);
  if (refused) {
    send_error(h, c, refused,
               strcmp(refused, "ROOM_LIMIT") == 0  ? "too many rooms joined"
               : strcmp(refused, "ROOM_FULL") == 0 ? "room is full"
                                                   : "out of memory",
               m->id);
    return;
  }
  send_peer_list(h, c, m->room, r, m->id);
  cluster_event(h, c, SL_HUB_JOINED, m->room);
  membership_changed(h, c, now);
}

static void leave(sl_hub *h, conn *c, const sl_signal *m, double now) {
  int idx = room_index(c, m->room);
  if (idx < 0) {
    send_error(h, c, "NOT_IN_ROOM", "not a member of that room", m->id);
    return;
  }
  leave_room(h, c, (unsigned)idx);
  cluster_event(h, c, SL_HUB_LEFT, m->room);
  membership_changed(h, c, now);
}

/* The peer `to`, if it shares a room with c (presence is not revealed
 * to strangers). */
static conn *reachable_peer(const sl_hub *h, const conn *c, const char *to) {
  conn *d = sl__map_get(&h->peers, to);
  if (!d || d == c) return NULL;
  for (unsigned i = 0; i < c->nrooms; i++)
    if (room_index(d, c->rooms[i]) >= 0) return d;
  return NULL;
}

static void forward(sl_hub *h, conn *c, const sl_signal *m) {
  conn *d = reachable_peer(h, c, m->to);
  if (!d) {
    send_error(h, c, "PEER_NOT_FOUND", "no such peer in your rooms", m->id);
    return;
  }
  /* The receiver trusts `room` as much as `from`: it must be a room both share. */
  if (m->room[0] && (room_index(c, m->room) < 0 || room_index(d, m->room) < 0)) {
    send_error(h, c, "NOT_IN_ROOM", "room must be one you share with the peer", m->id);
    return;
  }
  char *json = NULL;
  size_t len = 0;
  if (sl__signal_build_trusted(m->type, c->peer_id, m->to, m->room[0] ? m->room : NULL,
                               m->id[0] ? m->id : NULL, m->payload, &json, &len) == 0)
    send_text(h, d->id, json, len);
}

/* --------------------------------------------------------------- relay */

static void relay_key(uint32_t a, uint32_t b, char key[24]) {
  snprintf(key, 24, "%u:%u", a < b ? a : b, a < b ? b : a);
}

static void relay_ready(sl_hub *h, const relay_path *p, conn *to, const conn *other) {
  char payload[256], *json = NULL;
  size_t len = 0;
  snprintf(payload, sizeof payload, "{\"sessionId\":\"%s\",\"maxBytes\":%.0f,\"maxSeconds\":%.0f}",
           p->session, SET(h, SL_HUB_RELAY_MAX_BYTES), SET(h, SL_HUB_RELAY_MAX_MS) / 1000);
  if (sl_signal_build(SL_SIG_RELAY_READY, other->peer_id, to->peer_id, NULL, NULL, payload, &json,
                      &len) == 0)
    send_text(h, to->id, json, len);
}

/* The relay path between c and d, made if there is none (NULL: out of
 * memory). Its limits run from the first open: re-opening does not reset
 * them. */
static relay_path *path_between(sl_hub *h, const conn *c, const conn *d, double now) {
  char key[24];
  relay_key(c->id, d->id, key);
  relay_path *p = sl__map_get(&h->relays, key);
  if (p) return p;
  p = calloc(1, sizeof *p);
  if (!p || sl__map_put(&h->relays, key, p) != 0) {
    free(p);
    return NULL;
  }
  p->a = c->id < d->id ? c->id : d->id;
  p->b = c->id < d->id ? d->id : c->id;
  p->opened_ms = now;
  return p;
}

static void relay_open(sl_hub *h, conn *c, const sl_signal *m, double now) {
  conn *d = reachable_peer(h, c, m->to);
  if (!d) {
    send_error(h, c, "PEER_NOT_FOUND", "no such peer in your rooms", m->id);
    return;
  }
  relay_path *p = path_between(h, c, d, now);
  if (!p) {
    send_error(h, c, "INTERNAL", "out of memory", m->id);
    return;
  }
  /* A fresh session id on every open: a peer that sees a new id knows the
   * other end restarted the relayed handshake. */
  uint8_t sid[16];
  randombytes_buf(sid, sizeof sid);
  sodium_bin2base64(p->session, sizeof p->session, sid, sizeof sid,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  relay_ready(h, p, c, d);
  relay_ready(h, p, d, c);
}

static void drop_relays(sl_hub *h, uint32_t id) {
  const char *key;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&h->relays, pos, &key, &v)) != 0;) {
    relay_path *p = v;
    if (p->a == id || p->b == id) {
      sl__map_remove(&h->relays, key);
      free(p);
    }
  }
}

/* Ends one relay path; each end learns which peer's path it was. */
static void relay_limit(sl_hub *h, conn *c, conn *d, const char *key, relay_path *p,
                        const char *why) {
  send_error_about(h, c, "RELAY_LIMIT", why, NULL, d->peer_id);
  send_error_about(h, d, "RELAY_LIMIT", why, NULL, c->peer_id);
  sl__map_remove(&h->relays, key);
  free(p);
}

/* A refused binary message: counted every time, answered at most once a
 * second (a flood of bad frames must not turn into a flood of replies). */
static void binary_error(sl_hub *h, conn *c, const char *code, const char *message, double now) {
  if (now - c->last_binary_error_ms < 1000 && c->last_binary_error_ms > 0) {
    h->rejections[reason_index(code)]++;
    return;
  }
  c->last_binary_error_ms = now;
  send_error(h, c, code, message, NULL);
}

int sl_hub_binary(sl_hub *hub, uint32_t id, const uint8_t *data, size_t len, double now) {
  conn *c = conn_get(hub, id);
  if (!c || c->remote || (!data && len)) return c ? SL_EINVAL : 0;
  hub->acting = id;
  hub->messages_in++;
  c->last_seen_ms = now;
  if (c->state != READY) {
    fail_conn(hub, c, "AUTH_REQUIRED", "authenticate before relaying");
    return 0;
  }
  /* Every binary message takes a token, valid or not. */
  bool within_rate =
      take(&c->relay_records, SET(hub, SL_HUB_RELAY_RATE), SET(hub, SL_HUB_RELAY_BURST), now);
  if (len < SL_RELAY_HEADER_BYTES || data[0] != SL_RELAY_KIND_RECORD ||
      len - SL_RELAY_HEADER_BYTES > SL_RECORD_MAX_BYTES) {
    binary_error(hub, c, "RELAY_BAD_FRAME",
                 "relay frames are [1][32-byte peer key][record <= 16 KiB]", now);
    return 0;
  }
  char to[SL_PEER_ID_BYTES];
  conn *d = sl_peer_id_from_public_key(data + 1, to) == 0 ? reachable_peer(hub, c, to) : NULL;
  if (!d) {
    binary_error(hub, c, "PEER_NOT_FOUND", "no such peer in your rooms", now);
    return 0;
  }
  char key[24];
  relay_key(c->id, d->id, key);
  relay_path *p = sl__map_get(&hub->relays, key);
  if (!p) {
    binary_error(hub, c, "RELAY_NOT_OPEN", "send relay-open first", now);
    return 0;
  }
  /* Records are a Noise stream: dropping one would break the session
   * silently, so a sender over its record rate loses the whole path (and
   * learns why) rather than a single record. */
  if (!within_rate) {
    relay_limit(hub, c, d, key, p, "relay record rate limit reached");
    return 0;
  }
  if (now - p->opened_ms > SET(hub, SL_HUB_RELAY_MAX_MS)) {
    relay_limit(hub, c, d, key, p, "relay path time limit reached");
    return 0;
  }
  if (p->bytes + (double)len > SET(hub, SL_HUB_RELAY_MAX_BYTES)) {
    relay_limit(hub, c, d, key, p, "relay path data limit reached");
    return 0;
  }
  uint8_t *copy = malloc(len);
  if (!copy) {
    hub->failed = SL_ENOMEM;
    return SL_ENOMEM;
  }
  memcpy(copy, data, len);
  memcpy(copy + 1, c->pk, 32); /* the destination becomes the source */
  p->bytes += (double)len;
  hub->relayed_bytes += (double)len;
  push_output(hub, d->id, SL_HUB_SEND_BINARY, copy, len, 0);
  return 0;
}

/* ---------------------------------------------------------------- auth */

static void on_auth(sl_hub *h, conn *c, const sl_signal *m, double now, double wall_s) {
  ip_entry *e = ip_for(h, c->ip);
  cluster_event(h, c, SL_HUB_AUTH_FROM, NULL);
  if (!e || !take(&e->auths, SET(h, SL_HUB_AUTH_RATE), SET(h, SL_HUB_AUTH_BURST), now)) {
    fail_conn(h, c, "RATE_LIMITED", "too many authentication attempts from this address");
    return;
  }
  if (!h->jwt_alg) {
    fail_conn(h, c, "INTERNAL", "hub has no JWT key configured");
    return;
  }
  sl_jwt_config cfg = {.alg = h->jwt_alg,
                       .secret = h->jwt_secret,
                       .secret_len = h->jwt_secret_len,
                       .audience = h->jwt_audience,
                       .issuer = h->jwt_issuer,
                       .skew_seconds = (unsigned)SET(h, SL_HUB_JWT_SKEW_S)};
  memcpy(cfg.issuer_public_key, h->jwt_issuer_pk, 32);
  sl_jwt_claims claims;
  int rc = sl_jwt_verify(&cfg, m->token, strlen(m->token), (int64_t)wall_s, &claims);
  if (rc != 0) {
    fail_conn(h, c, sl_errname(rc), claims.problem ? claims.problem : sl_strerror(rc));
    return;
  }
  memcpy(c->pk, claims.public_key, 32);
  memcpy(c->user_id, claims.user_id, sizeof c->user_id);
  randombytes_buf(c->nonce, sizeof c->nonce);
  c->state = AWAIT_PROOF;
  char nonce64[64], payload[128], *json = NULL;
  size_t len = 0;
  sodium_bin2base64(nonce64, sizeof nonce64, c->nonce, sizeof c->nonce,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  snprintf(payload, sizeof payload, "{\"nonce\":\"%s\"}", nonce64);
  if (sl_signal_build(SL_SIG_CHALLENGE, NULL, NULL, NULL, m->id[0] ? m->id : NULL, payload, &json,
                      &len) == 0)
    send_text(h, c->id, json, len);
}

static void on_proof(sl_hub *h, conn *c, const sl_signal *m) {
  uint8_t signed_msg[sizeof SL_HUB_CHALLENGE_PREFIX - 1 + SL_HUB_NONCE_BYTES];
  memcpy(signed_msg, SL_HUB_CHALLENGE_PREFIX, sizeof SL_HUB_CHALLENGE_PREFIX - 1);
  memcpy(signed_msg + sizeof SL_HUB_CHALLENGE_PREFIX - 1, c->nonce, SL_HUB_NONCE_BYTES);
  if (sl_verify(c->pk, signed_msg, sizeof signed_msg, m->signature) != 0) {
    fail_conn(h, c, "AUTH_PROOF_INVALID",
              "challenge signature does not match the token's publicKey");
    return;
  }
  if (sl_peer_id_from_public_key(c->pk, c->peer_id) != 0) {
    fail_conn(h, c, "INTERNAL", "peer id");
    return;
  }
  conn *old = sl__map_get(&h->peers, c->peer_id);
  if (old && old->remote) /* it moved here: see quiet_close */
    quiet_close(h, old);
  else if (old)
    fail_conn(h, old, "SESSION_REPLACED", "the same identity connected again");
  if (sl__map_put(&h->peers, c->peer_id, c) != 0) {
    fail_conn(h, c, "INTERNAL", "out of memory");
    return;
  }
  c->state = READY;
  h->ready_count++;
  cJSON *payload = cJSON_CreateObject();
  char *pj = NULL, *json = NULL;
  size_t len = 0;
  if (payload && cJSON_AddStringToObject(payload, "peerId", c->peer_id) &&
      cJSON_AddStringToObject(payload, "userId", c->user_id))
    pj = cJSON_PrintUnformatted(payload);
  cJSON_Delete(payload);
  if (pj && sl_signal_build(SL_SIG_AUTHENTICATED, NULL, NULL, NULL, m->id[0] ? m->id : NULL, pj,
                            &json, &len) == 0)
    send_text(h, c->id, json, len);
  free(pj);
  cluster_event(h, c, SL_HUB_PEER_UP, c->peer_id);
}

/* ---------------------------------------------------------------- text */

static void on_message(sl_hub *h, conn *c, const sl_signal *m, double now, double wall_s) {
  if (c->state == AWAIT_TOKEN) {
    if (m->type != SL_SIG_AUTH) {
      fail_conn(h, c, "AUTH_REQUIRED", "the first message must be auth");
      return;
    }
    {
      on_auth(h, c, m, now, wall_s);
      return;
    }
  }
  if (c->state == AWAIT_PROOF) {
    if (m->type != SL_SIG_AUTH_PROOF) {
      fail_conn(h, c, "AUTH_REQUIRED", "answer the challenge first");
      return;
    }
    {
      on_proof(h, c, m);
      return;
    }
  }
  char *json = NULL;
  size_t len = 0;
  switch (m->type) {
  case SL_SIG_AUTH:
  case SL_SIG_AUTH_PROOF: {
    send_error(h, c, "ALREADY_AUTHENTICATED", "already authenticated", m->id);
    return;
  }
  case SL_SIG_JOIN:
  case SL_SIG_LEAVE:
    /* Each membership change fans out to a whole room: a tighter budget. */
    if (!take(&c->membership, SET(h, SL_HUB_JOIN_RATE), SET(h, SL_HUB_JOIN_BURST), now)) {
      send_error(h, c, "RATE_LIMITED", "join/leave rate limit exceeded; message dropped", m->id);
      return;
    }
    if (m->type == SL_SIG_JOIN)
      join(h, c, m, now);
    else
      leave(h, c, m, now);
    return;
  case SL_SIG_OFFER:
  case SL_SIG_ANSWER:
  case SL_SIG_ICE_CANDIDATE: {
    forward(h, c, m);
    return;
  }
  case SL_SIG_RELAY_OPEN: {
    relay_open(h, c, m, now);
    return;
  }
  case SL_SIG_PING:
    if (sl_signal_build(SL_SIG_PONG, NULL, NULL, NULL, m->id[0] ? m->id : NULL, NULL, &json,
                        &len) == 0)
      send_text(h, c->id, json, len);
    return;
  default:
    return; /* pong: liveness only */
  }
}

int sl_hub_text(sl_hub *hub, uint32_t id, const char *text, size_t len, double now, double wall_s) {
  conn *c = conn_get(hub, id);
  if (!c || c->remote || (!text && len)) return c ? SL_EINVAL : 0;
  hub->acting = id;
  hub->messages_in++;
  c->last_seen_ms = now;
  if (!take(&c->messages, SET(hub, SL_HUB_MSG_RATE), SET(hub, SL_HUB_MSG_BURST), now)) {
    if (c->state != READY) {
      fail_conn(hub, c, "RATE_LIMITED", "message rate limit exceeded");
    } else if (now - c->last_rate_error_ms >= 1000) {
      c->last_rate_error_ms = now;
      send_error(hub, c, "RATE_LIMITED", "message rate limit exceeded; message dropped", NULL);
    }
    return 0;
  }
  sl_signal *m = NULL;
  int rc = sl_signal_parse(text, len, (size_t)SET(hub, SL_HUB_MAX_MESSAGE), &m);
  if (rc != 0) {
    if (c->state != READY)
      fail_conn(hub, c, sl_errname(rc), sl_strerror(rc));
    else
      send_error(hub, c, sl_errname(rc), sl_strerror(rc), NULL);
    return 0;
  }
  on_message(hub, c, m, now, wall_s);
  sl_signal_free(m);
  return 0;
}

/* ---------------------------------------------------------------- tick */

void sl_hub_tick(sl_hub *hub, double now) {
  hub->acting = 0;
  for (uint32_t i = 1; i < hub->nconns_cap; i++) {
    conn *c = conn_get(hub, i);
    if (!c) continue;
    if (c->remote) { /* no socket here: only its coalesced notices to our clients */
      if (c->notice_pending && take(&c->notices, NOTICE_RATE, NOTICE_BURST, now)) announce(hub, c);
      continue;
    }
    if (c->state != READY) {
      if (now - c->opened_ms >= SET(hub, SL_HUB_AUTH_TIMEOUT_MS))
        fail_conn(hub, c, "AUTH_TIMEOUT", "authentication did not finish in time");
      continue;
    }
    if (now - c->last_seen_ms >= SET(hub, SL_HUB_STALE_MS)) {
      fail_conn(hub, c, "STALE", "no message within the keepalive window");
      continue;
    }
    if (c->notice_pending && take(&c->notices, NOTICE_RATE, NOTICE_BURST, now)) announce(hub, c);
    if (now - c->last_ping_ms >= SET(hub, SL_HUB_PING_INTERVAL_MS)) {
      char *json = NULL;
      size_t len = 0;
      c->last_ping_ms = now;
      if (sl_signal_build(SL_SIG_PING, NULL, NULL, NULL, NULL, NULL, &json, &len) == 0)
        send_text(hub, c->id, json, len);
    }
  }
  /* Forget addresses with nothing open whose buckets have refilled. */
  const char *key;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&hub->ips, pos, &key, &v)) != 0;) {
    ip_entry *e = v;
    if (!e->open && now - e->connects.last_ms > 60000 && now - e->auths.last_ms > 60000) {
      sl__map_remove(&hub->ips, key);
      free(e);
    }
  }
  /* Tables follow their live size: a burst of connections or rooms must
   * not leave every later scan walking its high-water mark. */
  sl__map *maps[] = {&hub->peers, &hub->rooms, &hub->ips, &hub->relays};
  for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
    if (sl__map_compact(maps[i]) != 0) hub->failed = SL_ENOMEM;
}

/* ------------------------------------------------------- slow consumers */

int sl_hub_overflow(sl_hub *hub, uint32_t id) {
  conn *c = conn_get(hub, id);
  if (!c || c->remote) return 0;
  hub->acting = id;
  hub->rejections[reason_index("SLOW_CONSUMER")]++;
  close_conn(hub, c, SL_HUB_CLOSE_SLOW_CONSUMER); /* no error text: it could not be read anyway */
  return 0;
}

int sl_hub_relay_stalled(sl_hub *hub, uint32_t id, const uint8_t *record, size_t len) {
  conn *d = conn_get(hub, id);
  if (!d || d->remote || !record || len < SL_RELAY_HEADER_BYTES) return 0;
  hub->acting = id;
  char from[SL_PEER_ID_BYTES];
  if (sl_peer_id_from_public_key(record + 1, from) != 0) return 0;
  conn *c = sl__map_get(&hub->peers, from);
  if (!c || c->state != READY) return 0;
  char key[24];
  relay_key(c->id, d->id, key);
  relay_path *p = sl__map_get(&hub->relays, key);
  if (p) relay_limit(hub, c, d, key, p, "relay path stalled: the receiver is not reading");
  return 0;
}

/* ------------------------------------------------------------- cluster */

int sl_hub_remote_open(sl_hub *hub, const uint8_t public_key[32], double now) {
  char peer_id[SL_PEER_ID_BYTES];
  if (!hub || !public_key || !SET(hub, SL_HUB_CLUSTER)) return SL_EINVAL;
  if (sl_peer_id_from_public_key(public_key, peer_id) != 0) return SL_EPUBKEY;
  conn *old = sl__map_get(&hub->peers, peer_id);
  if (old && old->remote) return (int)old->id;
  if (old) { /* it moved to another instance: see quiet_close */
    send_error(hub, old, "SESSION_REPLACED", "the same identity connected again", NULL);
    quiet_close(hub, old);
  }
  conn *c = new_conn(hub);
  if (!c) return SL_ENOMEM;
  if (sl__map_put(&hub->peers, peer_id, c) != 0) {
    free_conn(hub, c);
    return SL_ENOMEM;
  }
  c->remote = true;
  c->state = READY;
  memcpy(c->pk, public_key, 32);
  memcpy(c->peer_id, peer_id, sizeof peer_id);
  c->opened_ms = c->last_seen_ms = now;
  hub->remote_count++;
  return (int)c->id;
}

static conn *remote_get(const sl_hub *hub, uint32_t id) {
  conn *c = hub ? conn_get(hub, id) : NULL;
  return c && c->remote ? c : NULL;
}

int sl_hub_remote_join(sl_hub *hub, uint32_t id, const char *name, double now) {
  conn *c = remote_get(hub, id);
  room *r = NULL;
  if (!c || !name || !sl__room_name_valid(name)) return SL_EINVAL;
  if (room_index(c, name) >= 0) return 0;
  if (add_member(hub, c, name, &r)) return SL_ESTATE;
  membership_changed(hub, c, now);
  return 0;
}

int sl_hub_remote_leave(sl_hub *hub, uint32_t id, const char *name, double now) {
  conn *c = remote_get(hub, id);
  if (!c || !name) return SL_EINVAL;
  int idx = room_index(c, name);
  if (idx < 0) return 0;
  leave_room(hub, c, (unsigned)idx);
  membership_changed(hub, c, now);
  return 0;
}

/* Takes n tokens as n calls of take() would, without refusing anything. */
static void drain(bucket *b, unsigned n, double rate, double burst, double now) {
  if (!n) return;
  (void)take(b, rate, burst, now); /* refill (and start) the bucket, and take one */
  b->tokens = b->tokens > n - 1 ? b->tokens - (n - 1) : 0;
}

int sl_hub_remote_load(sl_hub *hub, const char *ip, unsigned connects, unsigned auths, double now) {
  if (!hub || !ip || !SET(hub, SL_HUB_CLUSTER)) return SL_EINVAL;
  if (!connects && !auths) return 0;
  ip_entry *e = ip_for(hub, ip);
  if (!e) return SL_ENOMEM;
  drain(&e->connects, connects, SET(hub, SL_HUB_CONNECT_RATE), SET(hub, SL_HUB_CONNECT_BURST), now);
  drain(&e->auths, auths, SET(hub, SL_HUB_AUTH_RATE), SET(hub, SL_HUB_AUTH_BURST), now);
  return 0;
}

int sl_hub_remote_moved(sl_hub *hub, uint32_t id) {
  conn *r = remote_get(hub, id);
  if (!r) return SL_EINVAL;
  const char *key;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&hub->relays, pos, &key, &v)) != 0;) {
    relay_path *p = v;
    if (p->a != id && p->b != id) continue;
    conn *mine = conn_get(hub, p->a == id ? p->b : p->a);
    hub->acting = mine ? mine->id : 0;
    if (mine)
      send_error_about(hub, mine, "RELAY_LIMIT", "the peer moved to another hub", NULL, r->peer_id);
    sl__map_remove(&hub->relays, key);
    free(p);
  }
  return 0;
}

/* Our side of a relay path that `from`'s instance opened (relay-ready). */
static void mirror_relay(sl_hub *h, conn *to, conn *from, const cJSON *payload, double now) {
  const cJSON *sid = cJSON_GetObjectItemCaseSensitive(payload, "sessionId");
  if (!cJSON_IsString(sid) || strlen(sid->valuestring) >= sizeof((relay_path *)0)->session) return;
  relay_path *p = path_between(h, to, from, now);
  if (!p) {
    h->failed = SL_ENOMEM;
    return;
  }
  memcpy(p->session, sid->valuestring, strlen(sid->valuestring) + 1);
}

static void deliver_text(sl_hub *h, conn *to, conn *from, const uint8_t *data, size_t len,
                         double now) {
  cJSON *root = sl__json_parse_strict((const char *)data, len);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
  if (!cJSON_IsObject(root) || !cJSON_IsString(type)) { /* never passed on to our client */
    h->rejections[reason_index("MESSAGE_MALFORMED")]++;
    cJSON_Delete(root);
    return;
  }
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
  if (strcmp(type->valuestring, "relay-ready") == 0) {
    mirror_relay(h, to, from, payload, now);
  } else if (strcmp(type->valuestring, "error") == 0) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(payload, "code");
    char key[24];
    relay_key(to->id, from->id, key);
    relay_path *p = sl__map_get(&h->relays, key);
    if (p && cJSON_IsString(code) && strcmp(code->valuestring, "RELAY_LIMIT") == 0) {
      sl__map_remove(&h->relays, key); /* the other instance ended the path */
      free(p);
    }
  }
  cJSON_Delete(root);
  uint8_t *copy = malloc(len + 1);
  if (!copy) {
    h->failed = SL_ENOMEM;
    return;
  }
  memcpy(copy, data, len);
  copy[len] = 0;
  push_output(h, to->id, SL_HUB_SEND_TEXT, copy, len, 0);
}

/* A relay record from `from` (remote) for `to`: it counts against the
 * path's limits here as it did on the sender's instance. */
static void deliver_record(sl_hub *h, conn *to, conn *from, const uint8_t *data, size_t len,
                           double now) {
  char key[24];
  relay_key(to->id, from->id, key);
  relay_path *p = sl__map_get(&h->relays, key);
  if (!p) { /* ended here (the peer moved to this instance, say): the sender's side ends too */
    send_error_about(h, from, "RELAY_LIMIT", "the relay path is not open on the receiving hub",
                     NULL, to->peer_id);
    return;
  }
  if (len < SL_RELAY_HEADER_BYTES || data[0] != SL_RELAY_KIND_RECORD ||
      memcmp(data + 1, from->pk, 32) != 0) {
    h->rejections[reason_index("RELAY_BAD_FRAME")]++;
    return;
  }
  if (now - p->opened_ms > SET(h, SL_HUB_RELAY_MAX_MS)) {
    relay_limit(h, from, to, key, p, "relay path time limit reached");
    return;
  }
  if (p->bytes + (double)len > SET(h, SL_HUB_RELAY_MAX_BYTES)) {
    relay_limit(h, from, to, key, p, "relay path data limit reached");
    return;
  }
  uint8_t *copy = malloc(len);
  if (!copy) {
    h->failed = SL_ENOMEM;
    return;
  }
  memcpy(copy, data, len);
  p->bytes += (double)len;
  h->relayed_bytes += (double)len;
  push_output(h, to->id, SL_HUB_SEND_BINARY, copy, len, 0);
}

int sl_hub_deliver(sl_hub *hub, uint32_t from, uint32_t to, int binary, const uint8_t *data,
                   size_t len, double now) {
  conn *f = remote_get(hub, from);
  conn *t = hub ? conn_get(hub, to) : NULL;
  if (!f || !t || t->remote || t->state != READY || (!data && len)) return SL_EINVAL;
  hub->acting = to;
  hub->delivered_in++;
  if (binary)
    deliver_record(hub, t, f, data, len, now);
  else
    deliver_text(hub, t, f, data, len, now);
  return 0;
}

/* ------------------------------------------------------------- metrics */

int sl_hub_authenticated(const sl_hub *hub, uint32_t id) {
  const conn *c = hub ? conn_get(hub, id) : NULL;
  return c && c->state == READY;
}

/* Appends to a growing buffer; on failure *s is freed and set to NULL. */
__attribute__((format(printf, 4, 5))) static void emit(char **s, size_t *cap, size_t *n,
                                                       const char *fmt, ...) {
  if (!*s) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(*s + *n, *cap - *n, fmt, ap);
    va_end(ap);
    if (w < 0) break;
    if ((size_t)w < *cap - *n) {
      *n += (size_t)w;
      return;
    }
    char *bigger = realloc(*s, *cap * 2 + (size_t)w);
    if (!bigger) break;
    *s = bigger;
    *cap = *cap * 2 + (size_t)w;
  }
  free(*s);
  *s = NULL;
}

int sl_hub_metrics(const sl_hub *hub, char **out, size_t *out_len) {
  if (!hub || !out) return SL_EINVAL;
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
#define EMIT(...) emit(&s, &cap, &n, __VA_ARGS__)
  EMIT("# HELP starling_hub_connections Open WebSocket connections.\n# TYPE "
       "starling_hub_connections gauge\n");
  EMIT("starling_hub_connections %u\n", hub->open_count);
  EMIT("# HELP starling_hub_authenticated Authenticated connections.\n# TYPE "
       "starling_hub_authenticated gauge\n");
  EMIT("starling_hub_authenticated %u\n", hub->ready_count);
  EMIT("# HELP starling_hub_remote_peers Peers on other instances known here (cluster).\n"
       "# TYPE starling_hub_remote_peers gauge\n");
  EMIT("starling_hub_remote_peers %u\n", hub->remote_count);
  EMIT("# HELP starling_hub_delivered_total Messages from other instances handed to our "
       "clients.\n# TYPE starling_hub_delivered_total counter\n");
  EMIT("starling_hub_delivered_total %.0f\n", hub->delivered_in);
  EMIT("# HELP starling_hub_rooms Rooms with at least one member.\n# TYPE starling_hub_rooms "
       "gauge\n");
  EMIT("starling_hub_rooms %zu\n", hub->rooms.count);
  EMIT(
      "# HELP starling_hub_relay_paths Open relay paths.\n# TYPE starling_hub_relay_paths gauge\n");
  EMIT("starling_hub_relay_paths %zu\n", hub->relays.count);
  EMIT("# HELP starling_hub_failed 1 once the hub could not queue an output (out of memory).\n"
       "# TYPE starling_hub_failed gauge\n");
  EMIT("starling_hub_failed %d\n", hub->failed ? 1 : 0);
  EMIT("# HELP starling_hub_connections_total Connections accepted.\n# TYPE "
       "starling_hub_connections_total counter\n");
  EMIT("starling_hub_connections_total %.0f\n", hub->connections_total);
  EMIT("# HELP starling_hub_messages_received_total Messages received.\n"
       "# TYPE starling_hub_messages_received_total counter\n");
  EMIT("starling_hub_messages_received_total %.0f\n", hub->messages_in);
  EMIT("# HELP starling_hub_messages_sent_total Messages sent.\n# TYPE "
       "starling_hub_messages_sent_total counter\n");
  EMIT("starling_hub_messages_sent_total %.0f\n", hub->messages_out);
  EMIT("# HELP starling_hub_relayed_bytes_total Bytes forwarded on relay paths.\n"
       "# TYPE starling_hub_relayed_bytes_total counter\n");
  EMIT("starling_hub_relayed_bytes_total %.0f\n", hub->relayed_bytes);
  EMIT("# HELP starling_hub_rejections_total Requests refused, by reason.\n"
       "# TYPE starling_hub_rejections_total counter\n");
  for (size_t i = 0; i < NREASONS; i++)
    EMIT("starling_hub_rejections_total{reason=\"%s\"} %.0f\n", reasons[i], hub->rejections[i]);
#undef EMIT
  if (!s) return SL_ENOMEM;
  *out = s;
  if (out_len) *out_len = n;
  return 0;
}

/* ---------------------------------------------------------------- free */

void sl_hub_free(sl_hub *hub) {
  if (!hub) return;
  for (uint32_t i = 1; i < hub->nconns_cap; i++)
    if (hub->conns[i]) free_conn(hub, hub->conns[i]);
  free(hub->conns);
  const char *key;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&hub->rooms, pos, &key, &v)) != 0;) {
    free(((room *)v)->members);
    free(v);
  }
  for (size_t pos = 0; (pos = sl__map_next(&hub->ips, pos, &key, &v)) != 0;)
    free(v);
  for (size_t pos = 0; (pos = sl__map_next(&hub->relays, pos, &key, &v)) != 0;)
    free(v);
  sl__map_free(&hub->peers);
  sl__map_free(&hub->rooms);
  sl__map_free(&hub->ips);
  sl__map_free(&hub->relays);
  for (size_t i = 0; i < hub->qlen; i++)
    free(hub->queue[hub->qhead + i].data);
  free(hub->queue);
  free(hub->last_popped);
  if (hub->jwt_secret) sodium_memzero(hub->jwt_secret, hub->jwt_secret_len);
  free(hub->jwt_secret);
  free(hub->jwt_audience);
  free(hub->jwt_issuer);
  free(hub);
}
