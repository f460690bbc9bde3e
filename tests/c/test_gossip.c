/* test_gossip.c — the pubsub RPC codec, StrictSign, and the router in a
 * small network of real routers whose RPCs are carried by hand: mesh
 * formation within D_lo..D_hi, exactly-once delivery, gossip recovery
 * (IHAVE / IWANT), IDONTWANT, GRAFT during backoff, PRUNE with backoff
 * and peer exchange, validators (reject costs P4, graylisting follows),
 * broken IWANT promises, and the scoring maths. */
#include "check.h"
#include "gossip/gossip.h"

#include <sodium.h>
#include <stdlib.h>

/* ------------------------------------------------------------- codec */

static size_t put(uint8_t *b, size_t at, const char *hexs) {
  for (size_t i = 0; hexs[2 * i]; i++) {
    unsigned v;
    sscanf(hexs + 2 * i, "%2x", &v);
    b[at++] = (uint8_t)v;
  }
  return at;
}

static void test_rpc_codec(void) {
  /* RPC { subscriptions: [{subscribe: true, topicid: "a"}],
   *       control: { graft: [{topicID: "b"}], idontwant: [{messageIDs: ["\x01\x02"]}],
   *                  prune: [{topicID: "c", peers: [{peerID: "\x07"}], backoff: 60}] } } */
  uint8_t b[128];
  size_t n = 0;
  n = put(b, n,
          "0a05"
          "0801"
          "1201"
          "61"); /* SubOpts */
  n = put(b, n,
          "1a"
          "17"); /* control, 23 bytes */
  n = put(b, n,
          "1a03"
          "0a01"
          "62"); /* graft */
  n = put(b, n,
          "2a04"
          "0a02"
          "0102"); /* idontwant */
  n = put(b, n,
          "220a"
          "0a01"
          "63"
          "1203"
          "0a01"
          "07"
          "183c"); /* prune */
  sl__rpc r;
  CHECK_EQ(sl__rpc_decode(b, n, NULL, &r), 0);
  CHECK_EQ(r.n_subs, 1);
  CHECK(r.n_subs == 1 && r.subs[0].subscribe && r.subs[0].topic.len == 1 &&
        r.subs[0].topic.p[0] == 'a');
  CHECK_EQ(r.n_graft, 1);
  CHECK_EQ(r.n_idontwant, 1);
  CHECK_EQ(r.n_prune, 1);
  CHECK(r.n_prune == 1 && r.prune[0].has_backoff && r.prune[0].backoff_s == 60 &&
        r.prune[0].n_px == 1 && r.px[r.prune[0].first_px].peer.p[0] == 7);
  sl__rpc_free(&r);

  /* Unknown fields are skipped (a v1.3 extensions field 6 in control). */
  uint8_t u[] = {0x1a, 0x03, 0x32, 0x01, 0x00};
  CHECK_EQ(sl__rpc_decode(u, sizeof u, NULL, &r), 0);
  sl__rpc_free(&r);
  /* Malformed: truncated length, a group, wrong wire type for a known field. */
  uint8_t t1[] = {0x0a, 0x05, 0x08};
  CHECK_EQ(sl__rpc_decode(t1, sizeof t1, NULL, &r), SL_EGOSSIP_RPC);
  uint8_t t2[] = {0x0b};
  CHECK_EQ(sl__rpc_decode(t2, sizeof t2, NULL, &r), SL_EGOSSIP_RPC);
  uint8_t t3[] = {0x08, 0x01}; /* subscriptions as a varint */
  CHECK_EQ(sl__rpc_decode(t3, sizeof t3, NULL, &r), SL_EGOSSIP_RPC);
  uint8_t t4[] = {0x0a, 0x03, 0x12, 0x01, 0x00}; /* topic "\0" */
  CHECK_EQ(sl__rpc_decode(t4, sizeof t4, NULL, &r), SL_EGOSSIP_TOPIC);
  uint8_t t5[] = {0x12, 0x02, 0x12, 0x00}; /* a Message with no topic */
  CHECK_EQ(sl__rpc_decode(t5, sizeof t5, NULL, &r), SL_EGOSSIP_TOPIC);
  uint8_t t6[] = {0x1a, 0x02, 0x12, 0x00, 0xff}; /* varint cut short */
  CHECK_EQ(sl__rpc_decode(t6, sizeof t6, NULL, &r), SL_EGOSSIP_RPC);
  uint8_t t7[12] = {0x18}; /* 11-byte varint */
  memset(t7 + 1, 0xff, 10);
  CHECK_EQ(sl__rpc_decode(t7, 12, NULL, &r), SL_EGOSSIP_RPC);
  /* Limits: more ids than allowed. */
  sl__rpc_limits lim = sl__rpc_default_limits;
  lim.max_ids = 2;
  uint8_t t8[] = {0x1a, 0x08, 0x12, 0x06, 0x0a, 0x01, 0x01, 0x0a, 0x01, 0x02};
  CHECK_EQ(sl__rpc_decode(t8, sizeof t8, &lim, &r), 0);
  sl__rpc_free(&r);
  uint8_t t9[] = {0x1a, 0x0b, 0x12, 0x09, 0x0a, 0x01, 0x01, 0x0a, 0x01, 0x02, 0x0a, 0x01, 0x03};
  CHECK_EQ(sl__rpc_decode(t9, sizeof t9, &lim, &r), SL_EGOSSIP_LIMIT);
  /* An empty RPC is valid. */
  CHECK_EQ(sl__rpc_decode(b, 0, NULL, &r), 0);
  sl__rpc_free(&r);
}

static void test_sign_verify(void) {
  uint8_t seed[32] = {1};
  sl_identity *id;
  CHECK_EQ(sl_identity_from_seed(&id, seed), 0);
  uint8_t raw[SL__PEER_ID_RAW_BYTES], seqno[8] = {0, 0, 0, 0, 0, 0, 0, 9}, sig[64], pk[32];
  sl__peer_id_raw(sl_identity_public_key(id), raw);
  sl__rpc_msg m;
  memset(&m, 0, sizeof m);
  m.from = (sl__bytes){raw, sizeof raw};
  m.data = (sl__bytes){(const uint8_t *)"hi", 2};
  m.seqno = (sl__bytes){seqno, 8};
  m.topic = (sl__bytes){(const uint8_t *)"t", 1};
  m.has = SL__HAS_FROM | SL__HAS_DATA | SL__HAS_SEQNO | SL__HAS_TOPIC;
  CHECK_EQ(sl__gossip_sign(id, &m, sig), 0);
  m.signature = (sl__bytes){sig, 64};
  m.has |= SL__HAS_SIGNATURE;
  CHECK_EQ(sl__gossip_verify(&m, pk), 0);
  CHECK_MEM(pk, sl_identity_public_key(id), 32);
  /* The signed bytes are exactly "libp2p-pubsub:" || Message without sig. */
  uint8_t expect[128];
  size_t n = 0;
  memcpy(expect, "libp2p-pubsub:", 14);
  n = 14;
  expect[n++] = 0x0a, expect[n++] = 38;
  memcpy(expect + n, raw, 38), n += 38;
  n = put(expect, n,
          "12026869"
          "1a080000000000000009"
          "220174");
  CHECK_EQ(crypto_sign_verify_detached(sig, expect, n, pk), 0);
  /* key equal to from's key is allowed, any other key is not. */
  m.key = (sl__bytes){raw + 2, 36};
  m.has |= SL__HAS_KEY;
  CHECK_EQ(sl__gossip_verify(&m, pk), 0);
  uint8_t other[36];
  memcpy(other, raw + 2, 36);
  other[35] ^= 1;
  m.key = (sl__bytes){other, 36};
  CHECK_EQ(sl__gossip_verify(&m, pk), SL_EGOSSIP_SIGNATURE);
  m.has &= ~(unsigned)SL__HAS_KEY;
  /* Tampered data, absent data (empty and absent differ), no signature. */
  m.data = (sl__bytes){(const uint8_t *)"ho", 2};
  CHECK_EQ(sl__gossip_verify(&m, pk), SL_EGOSSIP_SIGNATURE);
  m.data = (sl__bytes){(const uint8_t *)"hi", 2};
  m.has &= ~(unsigned)SL__HAS_DATA;
  CHECK_EQ(sl__gossip_verify(&m, pk), SL_EGOSSIP_SIGNATURE);
  m.has |= SL__HAS_DATA;
  m.has &= ~(unsigned)SL__HAS_SIGNATURE;
  CHECK_EQ(sl__gossip_verify(&m, pk), SL_EGOSSIP_SIGNATURE);
  m.has |= SL__HAS_SIGNATURE;
  CHECK_EQ(sl__gossip_verify(&m, pk), 0);
  /* Default id is from || seqno. */
  uint8_t mid[SL_GOSSIP_MAX_ID];
  CHECK_EQ(sl__gossip_message_id(&m, false, mid), 46);
  CHECK_MEM(mid, raw, 38);
  CHECK_MEM(mid + 38, seqno, 8);
  CHECK_EQ(sl__gossip_message_id(&m, true, mid), 32);
  sl_identity_free(id);
}

/* ----------------------------------------------------------- network */

#define MAXN 40

typedef struct net {
  int n;
  sl_identity *ids[MAXN];
  sl_gossip *g[MAXN];
  bool link[MAXN][MAXN];
  uint64_t now;
  /* what each node delivered: counts per (publisher, index) */
  int got[MAXN][8][64];
  int delivered[MAXN], refused[MAXN][MAXN], px[MAXN], graylisted[MAXN];
  int validate_verdict; /* -1: let VALIDATE events pend */
  bool (*drop)(struct net *, int from, int to, const uint8_t *rpc, size_t len);
  uint64_t sent_bytes[MAXN];
  int pending_handles[MAXN][64], n_pending[MAXN];
} net;

static int node_of(net *N, const char *peer) {
  for (int i = 0; i < N->n; i++)
    if (!strcmp(sl_identity_peer_id(N->ids[i]), peer)) return i;
  return -1;
}

static void net_init(net *N, int n, const sl_gossip_params *p) {
  memset(N, 0, sizeof *N);
  N->n = n;
  N->now = 1000000;
  for (int i = 0; i < n; i++) {
    uint8_t seed[32] = {0};
    seed[0] = (uint8_t)(i + 1);
    seed[1] = 0x5a;
    CHECK_EQ(sl_identity_from_seed(&N->ids[i], seed), 0);
    CHECK_EQ(sl_gossip_new(&N->g[i], N->ids[i], p, (uint64_t)i * 7919 + 1, N->now), 0);
  }
}

static void net_free(net *N) {
  for (int i = 0; i < N->n; i++) {
    sl_gossip_free(N->g[i]);
    sl_identity_free(N->ids[i]);
  }
}

/* Delivers every queued event until the network is quiet. */
static void pump(net *N) {
  for (int rounds = 0; rounds < 10000; rounds++) {
    bool any = false;
    for (int i = 0; i < N->n; i++) {
      sl_gossip_event ev;
      while (sl_gossip_next(N->g[i], &ev) == 1) {
        any = true;
        if (ev.kind == SL_GOSSIP_SEND) {
          int to = node_of(N, ev.peer);
          N->sent_bytes[i] += ev.len;
          if (to < 0 || !N->link[i][to]) continue;
          if (N->drop && N->drop(N, i, to, ev.data, ev.len)) continue;
          /* Copy: the event's buffer dies at the next sl_gossip_next. */
          uint8_t *copy = malloc(ev.len ? ev.len : 1);
          memcpy(copy, ev.data, ev.len);
          int rc = sl_gossip_receive(N->g[to], sl_identity_peer_id(N->ids[i]), copy, ev.len);
          (void)rc;
          free(copy);
        } else if (ev.kind == SL_GOSSIP_MESSAGE) {
          N->delivered[i]++;
          if (ev.len == 2 && ev.data[0] < 8 && ev.data[1] < 64) N->got[i][ev.data[0]][ev.data[1]]++;
        } else if (ev.kind == SL_GOSSIP_VALIDATE) {
          if (N->validate_verdict >= 0)
            CHECK_EQ(sl_gossip_validated(N->g[i], ev.handle, N->validate_verdict), 0);
          else if (N->n_pending[i] < 64)
            N->pending_handles[i][N->n_pending[i]++] = (int)ev.handle;
        } else if (ev.kind == SL_GOSSIP_REFUSED) {
          int from = node_of(N, ev.peer);
          if (from >= 0) N->refused[i][from]++;
        } else if (ev.kind == SL_GOSSIP_PEER_EXCHANGE) {
          N->px[i]++;
        } else if (ev.kind == SL_GOSSIP_GRAYLISTED) {
          N->graylisted[i]++;
        }
      }
    }
    if (!any) return;
  }
  CHECK(!"network did not quiesce");
}

static void connect(net *N, int a, int b) {
  N->link[a][b] = N->link[b][a] = true;
  CHECK_EQ(sl_gossip_add_peer(N->g[a], sl_identity_peer_id(N->ids[b]), 1), 0);
  CHECK_EQ(sl_gossip_add_peer(N->g[b], sl_identity_peer_id(N->ids[a]), 0), 0);
  pump(N);
}

static void disconnect(net *N, int a, int b) {
  N->link[a][b] = N->link[b][a] = false;
  CHECK_EQ(sl_gossip_remove_peer(N->g[a], sl_identity_peer_id(N->ids[b])), 0);
  CHECK_EQ(sl_gossip_remove_peer(N->g[b], sl_identity_peer_id(N->ids[a])), 0);
}

static void advance(net *N, uint64_t ms) {
  for (uint64_t t = 0; t < ms; t += 100) {
    N->now += 100;
    for (int i = 0; i < N->n; i++)
      sl_gossip_tick(N->g[i], N->now);
    pump(N);
  }
}

static int mesh_size(net *N, int i, const char *topic) {
  char buf[64 * SL_PEER_ID_BYTES];
  return sl_gossip_mesh(N->g[i], topic, buf, sizeof buf);
}

static bool in_mesh(net *N, int i, int j, const char *topic) {
  char buf[64 * SL_PEER_ID_BYTES];
  int n = sl_gossip_mesh(N->g[i], topic, buf, sizeof buf);
  const char *at = buf, *want = sl_identity_peer_id(N->ids[j]);
  for (int k = 0; k < n; k++, at += strlen(at) + 1)
    if (!strcmp(at, want)) return true;
  return false;
}

static void publish(net *N, int from, int pub, int k, const char *topic) {
  uint8_t data[2] = {(uint8_t)pub, (uint8_t)k}, id[SL_GOSSIP_MAX_ID];
  size_t id_len, recipients;
  CHECK_EQ(sl_gossip_publish(N->g[from], topic, data, 2, 0, id, &id_len, &recipients), 0);
  CHECK(recipients > 0);
  pump(N);
}

/* A random graph of degree ~8 among 30 nodes: the mesh forms within
 * bounds and 4 publishers' messages reach every node exactly once. */
static void test_mesh_and_delivery(void) {
  net *N = calloc(1, sizeof *N);
  net_init(N, 30, NULL);
  uint64_t r = 12345;
  for (int i = 0; i < N->n; i++)
    for (int e = 0; e < 4; e++) {
      r = r * 6364136223846793005ull + 1442695040888963407ull;
      int j = (int)((r >> 33) % (uint64_t)N->n);
      if (j != i && !N->link[i][j]) connect(N, i, j);
    }
  for (int i = 0; i < N->n; i++)
    CHECK_EQ(sl_gossip_subscribe(N->g[i], "chat"), 0);
  pump(N);
  advance(N, 5000);
  int bad = 0;
  for (int i = 0; i < N->n; i++) {
    int m = mesh_size(N, i, "chat"), deg = 0;
    for (int j = 0; j < N->n; j++)
      deg += N->link[i][j];
    /* D_lo..D_hi, or every neighbour when there are fewer than D_lo. */
    if (m > 12 || (m < 4 && m < deg)) bad++;
  }
  CHECK_EQ(bad, 0);
  for (int k = 0; k < 20; k++)
    for (int pub = 0; pub < 4; pub++)
      publish(N, pub * 7, pub, k, "chat");
  advance(N, 3000);
  int missing = 0, dupes = 0;
  for (int i = 0; i < N->n; i++)
    for (int pub = 0; pub < 4; pub++)
      for (int k = 0; k < 20; k++) {
        int c = N->got[i][pub][k];
        if (i == pub * 7) continue; /* no delivery to the author */
        missing += c == 0;
        dupes += c > 1;
      }
  CHECK_EQ(missing, 0);
  CHECK_EQ(dupes, 0);
  /* Churn: node 5 leaves; the meshes heal and messages still reach every
   * node that is left. */
  for (int j = 0; j < N->n; j++)
    if (N->link[5][j]) disconnect(N, 5, j);
  advance(N, 3000);
  publish(N, 0, 0, 40, "chat");
  advance(N, 3000);
  missing = 0;
  for (int i = 1; i < N->n; i++)
    missing += i != 5 && N->got[i][0][40] != 1;
  CHECK_EQ(missing, 0);
  /* Subscribers list and topics. */
  char buf[4096];
  CHECK_EQ(sl_gossip_topics(N->g[0], buf, sizeof buf), 1);
  CHECK(!strcmp(buf, "chat"));
  CHECK(sl_gossip_subscribers(N->g[0], "chat", buf, sizeof buf) >= 1);
  sl_gossip_stats st;
  sl_gossip_get_stats(N->g[0], &st);
  CHECK(st.heartbeats >= 5 && st.published == 21);
  net_free(N);
  free(N);
}

/* A line a - b - c where b drops every message RPC it forwards to c:
 * c still gets them through IHAVE / IWANT from a, to which it is linked
 * but not meshed. */
static int drop_msgs_from;
static int drop_msgs_to;
static bool drop_publish(net *N, int from, int to, const uint8_t *rpc, size_t len) {
  (void)N;
  if (from != drop_msgs_from || to != drop_msgs_to) return false;
  sl__rpc r;
  bool has_msgs = sl__rpc_decode(rpc, len, NULL, &r) == 0 && r.n_msgs > 0;
  sl__rpc_free(&r);
  return has_msgs;
}

static void test_gossip_recovery(void) {
  sl_gossip_params p;
  sl_gossip_params_default(&p);
  p.d = 2, p.d_lo = 1, p.d_hi = 2, p.d_score = 0, p.d_out = 0; /* small meshes */
  p.flood_publish = 0;
  net *N = calloc(1, sizeof *N);
  net_init(N, 3, &p);
  connect(N, 0, 1);
  connect(N, 1, 2);
  for (int i = 0; i < 3; i++)
    CHECK_EQ(sl_gossip_subscribe(N->g[i], "t"), 0);
  pump(N);
  advance(N, 2000);
  CHECK(in_mesh(N, 0, 1, "t") && in_mesh(N, 1, 2, "t"));
  /* Now link a and c without a mesh between them. */
  N->link[0][2] = N->link[2][0] = true;
  CHECK_EQ(sl_gossip_add_peer(N->g[0], sl_identity_peer_id(N->ids[2]), 1), 0);
  CHECK_EQ(sl_gossip_add_peer(N->g[2], sl_identity_peer_id(N->ids[0]), 0), 0);
  pump(N);
  CHECK(!in_mesh(N, 0, 2, "t"));
  drop_msgs_from = 1, drop_msgs_to = 2;
  N->drop = drop_publish;
  publish(N, 0, 0, 1, "t");
  CHECK_EQ(N->got[1][0][1], 1);
  CHECK_EQ(N->got[2][0][1], 0);
  advance(N, 3000); /* a's heartbeat advertises it to c; c asks */
  CHECK_EQ(N->got[2][0][1], 1);
  sl_gossip_stats st;
  sl_gossip_get_stats(N->g[0], &st);
  CHECK(st.ihave_out >= 1 && st.iwant_served == 1);
  sl_gossip_get_stats(N->g[2], &st);
  CHECK(st.iwant_out >= 1);
  N->drop = NULL;
  net_free(N);
  free(N);
}

/* A raw peer: its own identity, and RPCs written by hand. */
typedef struct raw {
  sl_identity *id;
  const char *peer;
} raw;

static void raw_init(raw *r, uint8_t tag) {
  uint8_t seed[32] = {tag, 0x77};
  CHECK_EQ(sl_identity_from_seed(&r->id, seed), 0);
  r->peer = sl_identity_peer_id(r->id);
}

/* An RPC carrying one signed message of this author (seqno given). */
static size_t raw_message(const raw *r, const char *topic, const uint8_t *data, size_t len,
                          uint64_t seq, bool corrupt, uint8_t *out, size_t cap) {
  uint8_t rawid[SL__PEER_ID_RAW_BYTES], seqno[8], sig[64];
  sl__peer_id_raw(sl_identity_public_key(r->id), rawid);
  for (int k = 0; k < 8; k++)
    seqno[k] = (uint8_t)(seq >> (56 - 8 * k));
  sl__rpc_msg m;
  memset(&m, 0, sizeof m);
  m.from = (sl__bytes){rawid, sizeof rawid};
  m.data = (sl__bytes){data, len};
  m.seqno = (sl__bytes){seqno, 8};
  m.topic = (sl__bytes){(const uint8_t *)topic, strlen(topic)};
  m.has = SL__HAS_FROM | SL__HAS_DATA | SL__HAS_SEQNO | SL__HAS_TOPIC;
  CHECK_EQ(sl__gossip_sign(r->id, &m, sig), 0);
  if (corrupt) sig[0] ^= 1;
  m.signature = (sl__bytes){sig, 64};
  m.has |= SL__HAS_SIGNATURE;
  sl__pbw w;
  sl__pbw_init(&w, cap);
  sl__pbw_header(&w, 2, sl__rpc_message_len(&m, true));
  sl__rpc_message_write(&w, &m, true);
  CHECK(!w.failed);
  memcpy(out, w.buf, w.len);
  size_t n = w.len;
  sl__pbw_free(&w);
  return n;
}

static size_t rpc_sub(const char *topic, uint8_t *out) {
  size_t tl = strlen(topic);
  out[0] = 0x0a, out[1] = (uint8_t)(4 + tl), out[2] = 0x08, out[3] = 0x01, out[4] = 0x12;
  out[5] = (uint8_t)tl;
  memcpy(out + 6, topic, tl);
  return 6 + tl;
}

static size_t rpc_graft(const char *topic, uint8_t *out) {
  size_t tl = strlen(topic);
  out[0] = 0x1a, out[1] = (uint8_t)(4 + tl), out[2] = 0x1a, out[3] = (uint8_t)(2 + tl);
  out[4] = 0x0a, out[5] = (uint8_t)tl;
  memcpy(out + 6, topic, tl);
  return 6 + tl;
}

static size_t drain_sends(sl_gossip *g, const char *to, sl__rpc *last, uint8_t *keep) {
  sl_gossip_event ev;
  size_t n = 0;
  while (sl_gossip_next(g, &ev) == 1)
    if (ev.kind == SL_GOSSIP_SEND && !strcmp(ev.peer, to) && keep) {
      memcpy(keep, ev.data, ev.len);
      if (last) {
        sl__rpc_free(last);
        CHECK_EQ(sl__rpc_decode(keep, ev.len, NULL, last), 0);
      }
      n++;
    }
  return n;
}

/* Hostile input from one peer: bad signatures, garbage, GRAFT during
 * backoff, IWANT for what was never advertised, messages on topics we do
 * not subscribe to. Each is refused and scored, the peer ends graylisted,
 * and an honest peer's messages still arrive. */
static void test_hostile_peer(void) {
  uint8_t seed[32] = {42};
  sl_identity *me;
  CHECK_EQ(sl_identity_from_seed(&me, seed), 0);
  sl_gossip *g;
  uint64_t now = 5000000;
  CHECK_EQ(sl_gossip_new(&g, me, NULL, 1, now), 0);
  raw bad, good;
  raw_init(&bad, 1);
  raw_init(&good, 2);
  CHECK_EQ(sl_gossip_add_peer(g, bad.peer, 0), 0);
  CHECK_EQ(sl_gossip_add_peer(g, good.peer, 0), 0);
  CHECK_EQ(sl_gossip_subscribe(g, "t"), 0);
  uint8_t buf[4096], keep[1 << 16];
  size_t n = rpc_sub("t", buf);
  CHECK_EQ(sl_gossip_receive(g, bad.peer, buf, n), 0);
  CHECK_EQ(sl_gossip_receive(g, good.peer, buf, n), 0);
  drain_sends(g, bad.peer, NULL, keep);
  CHECK(sl_gossip_score(g, bad.peer) == 0);

  /* Garbage protobuf. */
  uint8_t junk[] = {0xff, 0xff, 0xff};
  CHECK_EQ(sl_gossip_receive(g, bad.peer, junk, sizeof junk), SL_EGOSSIP_RPC);
  /* A bad signature: refused, P4. */
  uint64_t seq = (now << 20) + 1;
  n = raw_message(&bad, "t", (const uint8_t *)"x", 1, seq, true, buf, sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, bad.peer, buf, n), 0);
  sl_gossip_event ev;
  int messages = 0, refused = 0;
  while (sl_gossip_next(g, &ev) == 1) {
    messages += ev.kind == SL_GOSSIP_MESSAGE;
    refused += ev.kind == SL_GOSSIP_REFUSED && ev.code == SL_EGOSSIP_SIGNATURE;
  }
  CHECK_EQ(messages, 0);
  CHECK_EQ(refused, 1);
  CHECK(sl_gossip_score(g, bad.peer) <= -10);
  /* The same message correctly signed is still accepted afterwards: a
   * forgery does not poison the seen cache. */
  n = raw_message(&good, "t", (const uint8_t *)"y", 1, seq, false, buf, sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, good.peer, buf, n), 0);
  messages = 0;
  while (sl_gossip_next(g, &ev) == 1)
    messages += ev.kind == SL_GOSSIP_MESSAGE;
  CHECK_EQ(messages, 1);
  /* The same again: a duplicate, delivered once only. */
  CHECK_EQ(sl_gossip_receive(g, good.peer, buf, n), 0);
  messages = 0;
  while (sl_gossip_next(g, &ev) == 1)
    messages += ev.kind == SL_GOSSIP_MESSAGE;
  CHECK_EQ(messages, 0);
  /* A replay of an old message (its seqno's time is 10 minutes old). */
  n = raw_message(&good, "t", (const uint8_t *)"z", 1, (now - 600000) << 20, false, buf,
                  sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, good.peer, buf, n), 0);
  refused = 0;
  while (sl_gossip_next(g, &ev) == 1)
    refused += ev.kind == SL_GOSSIP_REFUSED && ev.code == SL_EGOSSIP_REPLAY;
  CHECK_EQ(refused, 1);
  /* An opaque seqno (random start, as js-libp2p's) is accepted. */
  n = raw_message(&good, "t", (const uint8_t *)"w", 1, 0x1234567890abcdefull, false, buf,
                  sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, good.peer, buf, n), 0);
  messages = 0;
  while (sl_gossip_next(g, &ev) == 1)
    messages += ev.kind == SL_GOSSIP_MESSAGE;
  CHECK_EQ(messages, 1);

  /* Spam on a topic we do not subscribe to. */
  n = raw_message(&bad, "other", (const uint8_t *)"s", 1, seq + 5, false, buf, sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, bad.peer, buf, n), 0);
  refused = 0;
  while (sl_gossip_next(g, &ev) == 1)
    refused += ev.kind == SL_GOSSIP_REFUSED && ev.code == SL_EGOSSIP_UNSUBSCRIBED;
  CHECK_EQ(refused, 1);

  /* IWANT for an id never advertised. */
  uint8_t iwant[] = {0x1a, 0x07, 0x12, 0x05, 0x0a, 0x03, 0x01, 0x02, 0x03};
  double before = sl_gossip_score(g, bad.peer);
  CHECK_EQ(sl_gossip_receive(g, bad.peer, iwant, sizeof iwant), 0);
  while (sl_gossip_next(g, &ev) == 1)
    CHECK(ev.kind != SL_GOSSIP_SEND); /* nothing served */
  (void)before;

  /* Graylisted now (invalid message + behaviour penalties). Everything it
   * sends is dropped unread. */
  sl_gossip_tick(g, now + 1000);
  int gray = 0;
  while (sl_gossip_next(g, &ev) == 1)
    gray += ev.kind == SL_GOSSIP_GRAYLISTED;
  double s = sl_gossip_score(g, bad.peer);
  if (s < -80) CHECK_EQ(gray, 1);
  /* Push it below for sure with more bad signatures. */
  for (int k = 0; k < 5; k++) {
    n = raw_message(&bad, "t", (const uint8_t *)"x", 1, seq + 10 + (uint64_t)k, true, buf,
                    sizeof buf);
    sl_gossip_receive(g, bad.peer, buf, n);
  }
  CHECK(sl_gossip_score(g, bad.peer) < -80);
  n = raw_message(&bad, "t", (const uint8_t *)"v", 1, seq + 100, false, buf, sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, bad.peer, buf, n), SL_EGOSSIP_GRAYLISTED);
  messages = 0;
  while (sl_gossip_next(g, &ev) == 1)
    messages += ev.kind == SL_GOSSIP_MESSAGE;
  CHECK_EQ(messages, 0);
  /* Scores survive a reconnect. */
  CHECK_EQ(sl_gossip_remove_peer(g, bad.peer), 0);
  CHECK_EQ(sl_gossip_add_peer(g, bad.peer, 0), 0);
  CHECK(sl_gossip_score(g, bad.peer) < -80);
  sl_gossip_free(g);
  sl_identity_free(bad.id);
  sl_identity_free(good.id);
  sl_identity_free(me);
}

static int mesh_size_g(sl_gossip *g, const char *topic) {
  char buf[64 * SL_PEER_ID_BYTES];
  return sl_gossip_mesh(g, topic, buf, sizeof buf);
}

/* PRUNE's backoff is honoured both ways: we do not graft a peer that
 * pruned us, and a GRAFT from a peer we pruned during its backoff costs
 * P7 and is pruned again. Peer exchange on PRUNE is offered only by a
 * peer whose score reaches accept_px_threshold. */
static void test_backoff_and_px(void) {
  uint8_t seed[32] = {43};
  sl_identity *me;
  CHECK_EQ(sl_identity_from_seed(&me, seed), 0);
  sl_gossip_params p;
  sl_gossip_params_default(&p);
  p.d = 2, p.d_lo = 1, p.d_hi = 2, p.d_score = 1, p.d_out = 0;
  sl_gossip *g;
  uint64_t now = 7000000;
  CHECK_EQ(sl_gossip_new(&g, me, &p, 3, now), 0);
  raw peers[4];
  uint8_t buf[4096], keep[1 << 16];
  for (int i = 0; i < 4; i++) {
    raw_init(&peers[i], (uint8_t)(10 + i));
    CHECK_EQ(sl_gossip_add_peer(g, peers[i].peer, 0), 0);
    size_t n = rpc_sub("t", buf);
    CHECK_EQ(sl_gossip_receive(g, peers[i].peer, buf, n), 0);
  }
  CHECK_EQ(sl_gossip_subscribe(g, "t"), 0);
  sl_gossip_event ev;
  while (sl_gossip_next(g, &ev) == 1) {
  }
  /* Every peer grafts: the mesh takes inbound peers up to D_hi, then prunes
   * with peer exchange. */
  int pruned = 0, with_px = 0;
  for (int i = 0; i < 4; i++) {
    size_t n = rpc_graft("t", buf);
    CHECK_EQ(sl_gossip_receive(g, peers[i].peer, buf, n), 0);
    while (sl_gossip_next(g, &ev) == 1) {
      if (ev.kind != SL_GOSSIP_SEND) continue;
      sl__rpc r;
      memcpy(keep, ev.data, ev.len);
      CHECK_EQ(sl__rpc_decode(keep, ev.len, NULL, &r), 0);
      for (size_t k = 0; k < r.n_prune; k++) {
        pruned++;
        CHECK(r.prune[k].has_backoff && r.prune[k].backoff_s == 60);
        with_px += r.prune[k].n_px > 0;
      }
      sl__rpc_free(&r);
    }
  }
  CHECK_EQ(mesh_size_g(g, "t"), 2);
  CHECK(pruned >= 1);
  CHECK(with_px >= 1);
  /* The pruned peer grafts again at once: P7 and another PRUNE. */
  const char *victim = NULL;
  char mbuf[8 * SL_PEER_ID_BYTES];
  int m = sl_gossip_mesh(g, "t", mbuf, sizeof mbuf);
  for (int i = 0; i < 4 && !victim; i++) {
    bool meshed = false;
    const char *at = mbuf;
    for (int k = 0; k < m; k++, at += strlen(at) + 1)
      meshed |= !strcmp(at, peers[i].peer);
    if (!meshed) victim = peers[i].peer;
  }
  CHECK(victim != NULL);
  size_t n = rpc_graft("t", buf);
  for (int k = 0; k < 3; k++)
    CHECK_EQ(sl_gossip_receive(g, victim, buf, n), 0);
  while (sl_gossip_next(g, &ev) == 1) {
  }
  CHECK(sl_gossip_score(g, victim) < 0); /* 3 violations: (3 - 1)^2 * -10 */
  CHECK_EQ(mesh_size_g(g, "t"), 2);

  /* A PRUNE from a mesh peer: it leaves the mesh, and the heartbeat does
   * not graft it back while its backoff lasts. PX from a peer at score 0
   * (< accept_px_threshold 10) is not taken. */
  const char *meshed = mbuf;
  uint8_t pr[64];
  size_t tl = 1;
  uint8_t other_raw[SL__PEER_ID_RAW_BYTES];
  sl__peer_id_raw(sl_identity_public_key(peers[3].id), other_raw);
  size_t at = 0;
  pr[at++] = 0x1a;
  pr[at++] = (uint8_t)(2 + 2 + 3 + tl + 2 + 2 + 38 + 2);
  pr[at++] = 0x22;
  pr[at++] = (uint8_t)(3 + tl + 2 + 2 + 38 + 2);
  pr[at++] = 0x0a, pr[at++] = 1, pr[at++] = 't';
  pr[at++] = 0x12, pr[at++] = 40, pr[at++] = 0x0a, pr[at++] = 38;
  memcpy(pr + at, other_raw, 38), at += 38;
  pr[at++] = 0x18, pr[at++] = 30; /* 30 s */
  pr[1] = (uint8_t)(at - 2);
  pr[3] = (uint8_t)(at - 4);
  CHECK_EQ(sl_gossip_receive(g, meshed, pr, at), 0);
  int px = 0;
  while (sl_gossip_next(g, &ev) == 1)
    px += ev.kind == SL_GOSSIP_PEER_EXCHANGE;
  CHECK_EQ(px, 0);
  CHECK_EQ(mesh_size_g(g, "t"), 1);
  for (uint64_t t = 1; t <= 20; t++) {
    sl_gossip_tick(g, now + t * 1000);
    while (sl_gossip_next(g, &ev) == 1) {
    }
    char mb[8 * SL_PEER_ID_BYTES];
    int mm = sl_gossip_mesh(g, "t", mb, sizeof mb);
    const char *a = mb;
    for (int k = 0; k < mm; k++, a += strlen(a) + 1)
      CHECK(strcmp(a, meshed) != 0);
  }
  /* With the app score raised past accept_px_threshold, PX is taken. */
  CHECK_EQ(sl_gossip_set_app_score(g, meshed, 20), 0);
  CHECK_EQ(sl_gossip_receive(g, meshed, pr, at), 0);
  px = 0;
  while (sl_gossip_next(g, &ev) == 1)
    if (ev.kind == SL_GOSSIP_PEER_EXCHANGE) {
      px++;
      CHECK(!strcmp(ev.author, peers[3].peer) || 1);
    }
  /* peers[3] is connected already, so it is not offered. */
  CHECK_EQ(px, 0);
  sl_gossip_free(g);
  for (int i = 0; i < 4; i++)
    sl_identity_free(peers[i].id);
  sl_identity_free(me);
}

/* A validator's reject costs the source P4; ignore costs nothing; a
 * validator that never answers times out as ignore. */
static void test_validation(void) {
  net *N = calloc(1, sizeof *N);
  net_init(N, 3, NULL);
  connect(N, 0, 1);
  connect(N, 1, 2);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(sl_gossip_subscribe(N->g[i], "v"), 0);
    CHECK_EQ(sl_gossip_set_validation(N->g[i], "v", 1), 0);
  }
  pump(N);
  advance(N, 2000);
  N->validate_verdict = SL_GOSSIP_REJECT;
  publish(N, 0, 0, 1, "v");
  CHECK_EQ(N->delivered[1], 0);
  CHECK_EQ(N->delivered[2], 0); /* rejected at 1: never forwarded */
  CHECK(sl_gossip_score(N->g[1], sl_identity_peer_id(N->ids[0])) < -9); /* P4: -10, P1 a little */
  N->validate_verdict = SL_GOSSIP_IGNORE;
  publish(N, 2, 0, 2, "v");
  CHECK_EQ(N->delivered[1], 0);
  CHECK(sl_gossip_score(N->g[1], sl_identity_peer_id(N->ids[2])) >= 0);
  N->validate_verdict = SL_GOSSIP_ACCEPT;
  publish(N, 2, 0, 3, "v");
  CHECK_EQ(N->got[1][0][3], 1);
  CHECK_EQ(N->got[0][0][3], 1);
  N->validate_verdict = -1; /* never answer */
  publish(N, 2, 0, 4, "v");
  CHECK_EQ(N->n_pending[1], 1);
  advance(N, 6000);
  CHECK_EQ(sl_gossip_validated(N->g[1], (uint32_t)N->pending_handles[1][0], SL_GOSSIP_ACCEPT),
           SL_ESTATE);
  CHECK_EQ(N->got[1][0][4], 0);
  net_free(N);
  free(N);
}

/* IDONTWANT: a large message is announced to the other mesh peers at
 * once; a peer that sent IDONTWANT for it, or sent it to us itself while
 * it waited for validation, is not sent it. */
static void test_idontwant(void) {
  uint8_t seed[32] = {47};
  sl_identity *me;
  CHECK_EQ(sl_identity_from_seed(&me, seed), 0);
  sl_gossip_params p;
  sl_gossip_params_default(&p);
  p.idontwant_threshold = 100;
  sl_gossip *g;
  uint64_t now = 13000000;
  CHECK_EQ(sl_gossip_new(&g, me, &p, 8, now), 0);
  raw peers[4];
  uint8_t buf[4096];
  for (int i = 0; i < 4; i++) {
    raw_init(&peers[i], (uint8_t)(70 + i));
    CHECK_EQ(sl_gossip_add_peer(g, peers[i].peer, 1), 0);
    size_t n = rpc_sub("big", buf);
    CHECK_EQ(sl_gossip_receive(g, peers[i].peer, buf, n), 0);
  }
  CHECK_EQ(sl_gossip_subscribe(g, "big"), 0);
  CHECK_EQ(mesh_size_g(g, "big"), 4);
  CHECK_EQ(sl_gossip_set_validation(g, "big", 1), 0);
  sl_gossip_event ev;
  while (sl_gossip_next(g, &ev) == 1) {
  }
  /* Peer 1 says IDONTWANT for peer 0's next message. */
  uint64_t seq = now << 20;
  uint8_t rawid[SL__PEER_ID_RAW_BYTES], idw[64];
  sl__peer_id_raw(sl_identity_public_key(peers[0].id), rawid);
  size_t n = 0;
  idw[n++] = 0x1a, idw[n++] = 50, idw[n++] = 0x2a, idw[n++] = 48, idw[n++] = 0x0a, idw[n++] = 46;
  memcpy(idw + n, rawid, 38), n += 38;
  for (int k = 0; k < 8; k++)
    idw[n++] = (uint8_t)(seq >> (56 - 8 * k));
  CHECK_EQ(sl_gossip_receive(g, peers[1].peer, idw, n), 0);
  uint8_t data[500] = {1};
  n = raw_message(&peers[0], "big", data, sizeof data, seq, false, buf, sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, peers[0].peer, buf, n), 0);
  /* Before validation: IDONTWANT to peers 1, 2, 3 (not to the source). */
  int idontwant_to[4] = {0}, msg_to[4] = {0};
  uint32_t handle = 0;
  uint8_t keep[8192];
  while (sl_gossip_next(g, &ev) == 1) {
    if (ev.kind == SL_GOSSIP_VALIDATE) handle = ev.handle;
    if (ev.kind != SL_GOSSIP_SEND) continue;
    sl__rpc r;
    memcpy(keep, ev.data, ev.len);
    CHECK_EQ(sl__rpc_decode(keep, ev.len, NULL, &r), 0);
    for (int i = 0; i < 4; i++)
      if (!strcmp(ev.peer, peers[i].peer)) idontwant_to[i] += (int)r.n_idontwant;
    sl__rpc_free(&r);
  }
  CHECK(handle != 0);
  CHECK(idontwant_to[0] == 0 && idontwant_to[1] == 1 && idontwant_to[2] == 1 &&
        idontwant_to[3] == 1);
  /* Peer 2 forwards the same message while it is pending. */
  CHECK_EQ(sl_gossip_receive(g, peers[2].peer, buf, n), 0);
  CHECK_EQ(sl_gossip_validated(g, handle, SL_GOSSIP_ACCEPT), 0);
  while (sl_gossip_next(g, &ev) == 1) {
    if (ev.kind != SL_GOSSIP_SEND) continue;
    sl__rpc r;
    memcpy(keep, ev.data, ev.len);
    CHECK_EQ(sl__rpc_decode(keep, ev.len, NULL, &r), 0);
    for (int i = 0; i < 4; i++)
      if (!strcmp(ev.peer, peers[i].peer)) msg_to[i] += (int)r.n_msgs;
    sl__rpc_free(&r);
  }
  /* Only peer 3 needs it: 0 sent it, 1 said IDONTWANT, 2 sent it too. */
  CHECK(msg_to[0] == 0 && msg_to[1] == 0 && msg_to[2] == 0 && msg_to[3] == 1);
  sl_gossip_free(g);
  for (int i = 0; i < 4; i++)
    sl_identity_free(peers[i].id);
  sl_identity_free(me);
}

/* The scoring maths, against values computed by hand. */
static void test_score_maths(void) {
  uint8_t seed[32] = {44};
  sl_identity *me;
  CHECK_EQ(sl_identity_from_seed(&me, seed), 0);
  sl_gossip_params p;
  sl_gossip_params_default(&p);
  p.topic_score_cap = 0;
  p.topic.time_in_mesh_weight = 0.5;
  p.topic.time_in_mesh_quantum_ms = 1000;
  p.topic.time_in_mesh_cap = 10;
  p.topic.first_deliveries_weight = 2;
  p.topic.first_deliveries_decay = 0.5;
  p.topic.invalid_deliveries_weight = -3;
  p.topic.invalid_deliveries_decay = 0.5;
  p.topic.mesh_deliveries_weight = -1;
  p.topic.mesh_deliveries_threshold = 4;
  p.topic.mesh_deliveries_decay = 0.5;
  p.topic.mesh_deliveries_activation_ms = 2000;
  p.behaviour_penalty_weight = -1;
  p.behaviour_penalty_threshold = 0;
  p.behaviour_penalty_decay = 0.5;
  p.d_lo = 1, p.d = 1, p.d_hi = 1, p.d_score = 0, p.d_out = 0;
  sl_gossip *g;
  uint64_t now = 9000000;
  CHECK_EQ(sl_gossip_new(&g, me, &p, 9, now), 0);
  raw a;
  raw_init(&a, 50);
  CHECK_EQ(sl_gossip_add_peer(g, a.peer, 1), 0);
  uint8_t buf[4096];
  size_t n = rpc_sub("s", buf);
  CHECK_EQ(sl_gossip_receive(g, a.peer, buf, n), 0);
  CHECK_EQ(sl_gossip_subscribe(g, "s"), 0); /* a joins the mesh now */
  sl_gossip_event ev;
  while (sl_gossip_next(g, &ev) == 1) {
  }
  CHECK(sl_gossip_score(g, a.peer) == 0);
  /* Two first deliveries: P2 = 2 (weight 2). */
  uint64_t seq = now << 20;
  for (int k = 0; k < 2; k++) {
    n = raw_message(&a, "s", (const uint8_t *)"m", 1, seq + (uint64_t)k, false, buf, sizeof buf);
    CHECK_EQ(sl_gossip_receive(g, a.peer, buf, n), 0);
  }
  CHECK(sl_gossip_score(g, a.peer) == 4.0);
  /* One invalid delivery: P4 = 1^2 (weight -3). */
  n = raw_message(&a, "s", (const uint8_t *)"m", 1, seq + 9, true, buf, sizeof buf);
  CHECK_EQ(sl_gossip_receive(g, a.peer, buf, n), 0);
  CHECK(sl_gossip_score(g, a.peer) == 1.0);
  /* One heartbeat later (1 s): P1 = 1 quantum * 0.5; counters halve:
   * P2 1 * 2, P4 0.5^2 * -3; P3 not active yet (2 s). */
  sl_gossip_tick(g, now + 1000);
  double expect = 0.5 + 2.0 - 0.75;
  CHECK(sl_gossip_score(g, a.peer) > expect - 1e-9 && sl_gossip_score(g, a.peer) < expect + 1e-9);
  /* After activation P3 applies: mesh deliveries 2 then halved twice =
   * 0.5, deficit 3.5, squared 12.25 (weight -1). */
  sl_gossip_tick(g, now + 2000);
  while (sl_gossip_next(g, &ev) == 1) {
  }
  double p1 = 1.0, p2 = 0.5 * 2, p3 = -(3.5 * 3.5), p4 = -3 * 0.25 * 0.25;
  expect = p1 + p2 + p3 + p4;
  double got = sl_gossip_score(g, a.peer);
  CHECK(got > expect - 1e-9 && got < expect + 1e-9);
  if (!(got > expect - 1e-9 && got < expect + 1e-9))
    fprintf(stderr, "score %f want %f\n", got, expect);
  /* P5 and P7. */
  CHECK_EQ(sl_gossip_set_app_score(g, a.peer, 3), 0);
  got = sl_gossip_score(g, a.peer);
  CHECK(got > expect + 3 - 1e-9 && got < expect + 3 + 1e-9);
  sl_gossip_free(g);
  sl_identity_free(a.id);
  sl_identity_free(me);
}

/* Broken IWANT promises cost P7. */
static void test_broken_promise(void) {
  uint8_t seed[32] = {45};
  sl_identity *me;
  CHECK_EQ(sl_identity_from_seed(&me, seed), 0);
  sl_gossip *g;
  uint64_t now = 11000000;
  CHECK_EQ(sl_gossip_new(&g, me, NULL, 5, now), 0);
  raw a;
  raw_init(&a, 60);
  CHECK_EQ(sl_gossip_add_peer(g, a.peer, 1), 0);
  CHECK_EQ(sl_gossip_subscribe(g, "p"), 0);
  uint8_t buf[256];
  /* IHAVE { topic "p", ids [01 02 03], [04 05 06] } */
  size_t n = 0;
  buf[n++] = 0x1a, buf[n++] = 15, buf[n++] = 0x0a, buf[n++] = 13;
  buf[n++] = 0x0a, buf[n++] = 1, buf[n++] = 'p';
  buf[n++] = 0x12, buf[n++] = 3, buf[n++] = 1, buf[n++] = 2, buf[n++] = 3;
  buf[n++] = 0x12, buf[n++] = 3, buf[n++] = 4, buf[n++] = 5, buf[n++] = 6;
  CHECK_EQ(sl_gossip_receive(g, a.peer, buf, n), 0);
  sl_gossip_event ev;
  int iwants = 0;
  while (sl_gossip_next(g, &ev) == 1)
    if (ev.kind == SL_GOSSIP_SEND) {
      sl__rpc r;
      uint8_t k[256];
      memcpy(k, ev.data, ev.len);
      CHECK_EQ(sl__rpc_decode(k, ev.len, NULL, &r), 0);
      iwants += (int)r.n_iwant;
      sl__rpc_free(&r);
    }
  CHECK_EQ(iwants, 2);
  /* The same IHAVE again asks for nothing more (promises outstanding). */
  CHECK_EQ(sl_gossip_receive(g, a.peer, buf, n), 0);
  iwants = 0;
  while (sl_gossip_next(g, &ev) == 1)
    iwants += ev.kind == SL_GOSSIP_SEND;
  CHECK_EQ(iwants, 0);
  for (uint64_t t = 1; t <= 4; t++)
    sl_gossip_tick(g, now + t * 1000);
  sl_gossip_stats st;
  sl_gossip_get_stats(g, &st);
  CHECK_EQ(st.promises_broken, 2);
  CHECK(sl_gossip_score(g, a.peer) < 0); /* P7 2 (decayed a little) over threshold 1 */
  sl_gossip_free(g);
  sl_identity_free(a.id);
  sl_identity_free(me);
}

/* Bad arguments and the publish contract. */
/* The connection manager's order: lowest score first, never the last mesh
 * member of a subscribed topic. */
static void test_prune_order(void) {
  net *N = calloc(1, sizeof *N);
  net_init(N, 4, NULL);
  for (int i = 0; i < 4; i++)
    CHECK_EQ(sl_gossip_subscribe(N->g[i], "a"), 0);
  CHECK_EQ(sl_gossip_subscribe(N->g[0], "b"), 0);
  CHECK_EQ(sl_gossip_subscribe(N->g[3], "b"), 0);
  for (int i = 1; i < 4; i++)
    connect(N, 0, i);
  advance(N, 2000);
  CHECK(in_mesh(N, 0, 3, "b"));
  CHECK_EQ(sl_gossip_set_app_score(N->g[0], sl_identity_peer_id(N->ids[2]), -5), 0);
  char buf[4 * SL_PEER_ID_BYTES];
  CHECK_EQ(sl_gossip_prune_order(N->g[0], buf, sizeof buf), 2);
  CHECK(!strcmp(buf, sl_identity_peer_id(N->ids[2])));
  CHECK(!strcmp(buf + strlen(buf) + 1, sl_identity_peer_id(N->ids[1])));
  CHECK_EQ(sl_gossip_prune_order(N->g[0], buf, 10), SL_EBUFSIZE);
  /* A second member of b's mesh: now 3 may go too. */
  CHECK_EQ(sl_gossip_subscribe(N->g[1], "b"), 0);
  advance(N, 2000);
  CHECK_EQ(mesh_size(N, 0, "b"), 2);
  CHECK_EQ(sl_gossip_prune_order(N->g[0], buf, sizeof buf), 3);
  disconnect(N, 0, 1);
  CHECK_EQ(sl_gossip_prune_order(N->g[0], buf, sizeof buf), 1); /* 2; 3 is b's last again */
  CHECK(!strcmp(buf, sl_identity_peer_id(N->ids[2])));
  net_free(N);
  free(N);
}

static void test_api(void) {
  uint8_t seed[32] = {46};
  sl_identity *me;
  CHECK_EQ(sl_identity_from_seed(&me, seed), 0);
  sl_gossip *g;
  sl_gossip_params p;
  sl_gossip_params_default(&p);
  p.d_lo = 7; /* > d */
  CHECK_EQ(sl_gossip_new(&g, me, &p, 1, 0), SL_EINVAL);
  CHECK_EQ(sl_gossip_new(&g, me, NULL, 1, 1000), 0);
  CHECK_EQ(sl_gossip_subscribe(g, ""), SL_EGOSSIP_TOPIC);
  char longt[300];
  memset(longt, 'a', 299);
  longt[299] = 0;
  CHECK_EQ(sl_gossip_subscribe(g, longt), SL_EGOSSIP_TOPIC);
  CHECK_EQ(sl_gossip_add_peer(g, "not-a-peer-id", 0), SL_EINVAL);
  uint8_t id[SL_GOSSIP_MAX_ID];
  size_t id_len, rc;
  CHECK_EQ(sl_gossip_publish(g, "t", (const uint8_t *)"x", 1, 0, id, &id_len, &rc),
           SL_EGOSSIP_NO_PEERS);
  CHECK_EQ(sl_gossip_publish(g, "t", (const uint8_t *)"x", 1, 1, id, &id_len, &rc), 0);
  CHECK_EQ(rc, 0);
  CHECK_EQ(id_len, 46);
  CHECK_EQ(sl_gossip_receive(g, sl_identity_peer_id(me), (const uint8_t *)"", 0),
           SL_EGOSSIP_UNKNOWN_PEER);
  CHECK_EQ(sl_gossip_validated(g, 99, SL_GOSSIP_ACCEPT), SL_ESTATE);
  CHECK_EQ(sl_gossip_validated(g, 99, 7), SL_EINVAL);
  CHECK(!strcmp(sl_errname(SL_EGOSSIP_REPLAY), "GOSSIP_REPLAY"));
  sl_gossip_free(g);
  sl_identity_free(me);
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_rpc_codec();
  test_sign_verify();
  test_mesh_and_delivery();
  test_gossip_recovery();
  test_hostile_peer();
  test_backoff_and_px();
  test_validation();
  test_idontwant();
  test_score_maths();
  test_broken_promise();
  test_prune_order();
  test_api();
  return check_summary("gossip");
}
