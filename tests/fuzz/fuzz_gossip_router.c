/* fuzz_gossip_router.c — libFuzzer target: one router fed arbitrary RPC
 * sequences from four peers, plus subscriptions, GRAFT / PRUNE, IHAVE /
 * IWANT / IDONTWANT, validly and badly signed messages, publishes,
 * verdicts, ticks, disconnects and reconnects, each chosen by the input.
 * After every step: no message is delivered twice, a verdict is asked for
 * at most once per message, pending validations stay under max_pending,
 * every SEND is a well-formed RPC to a connected peer within
 * max_rpc_bytes. After every heartbeat: no mesh is above D_hi, and the
 * caches stay within their bounds. */
#include "gossip/gossip.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEERS 4
#define SEEN_MAX 4096

static sl_identity *ids[PEERS + 1];
static uint8_t delivered[SEEN_MAX][SL_GOSSIP_MAX_ID];
static size_t n_delivered;
static bool connected[PEERS];
static const char *topics[3] = {"a", "b", SL_GOSSIP_DISCOVERY_TOPIC};

static void setup(void) {
  if (ids[0]) return;
  if (sl_init() != 0) abort();
  for (int i = 0; i <= PEERS; i++) {
    uint8_t seed[32] = {(uint8_t)(i + 1), 0x33};
    if (sl_identity_from_seed(&ids[i], seed) != 0) abort();
  }
}

static void note_delivery(const sl_gossip_event *ev) {
  for (size_t k = 0; k < n_delivered; k++)
    if (!memcmp(delivered[k], ev->id, ev->id_len)) abort(); /* twice */
  if (n_delivered < SEEN_MAX) memcpy(delivered[n_delivered++], ev->id, ev->id_len);
}

static uint32_t handles[64];
static size_t n_handles;

static void drain(sl_gossip *g) {
  sl_gossip_event ev;
  while (sl_gossip_next(g, &ev) == 1) {
    switch (ev.kind) {
    case SL_GOSSIP_SEND: {
      bool known = false;
      for (int i = 0; i < PEERS; i++)
        if (!strcmp(ev.peer, sl_identity_peer_id(ids[i + 1]))) known = connected[i];
      if (!known || ev.len > g->p.max_rpc_bytes) abort();
      sl__rpc r;
      if (sl__rpc_decode(ev.data, ev.len, NULL, &r) != 0) abort();
      sl__rpc_free(&r);
      break;
    }
    case SL_GOSSIP_MESSAGE:
      note_delivery(&ev);
      break;
    case SL_GOSSIP_VALIDATE:
      if (n_handles < 64) handles[n_handles++] = ev.handle;
      break;
    default:
      break;
    }
  }
  if (g->pending.count > g->p.max_pending) abort();
}

static void check_heartbeat(sl_gossip *g) {
  for (size_t t = 0; t < g->n_topics; t++)
    if (g->topics[t].name && g->topics[t].mesh.n > (size_t)g->p.d_hi) abort();
  for (size_t i = 0; i < g->n_peers; i++)
    if (g->peers[i].dont_send.count > (size_t)g->p.max_idontwant * (size_t)(g->p.mcache_len + 2))
      abort();
}

/* A signed message by ids[author] (0 = the router's own key: a loop). */
static size_t message(int author, const char *topic, uint64_t seq, const uint8_t *body, size_t len,
                      bool corrupt, uint8_t *out, size_t cap) {
  uint8_t raw[SL__PEER_ID_RAW_BYTES], seqno[8], sig[64];
  sl__peer_id_raw(sl_identity_public_key(ids[author]), raw);
  for (int k = 0; k < 8; k++)
    seqno[k] = (uint8_t)(seq >> (56 - 8 * k));
  sl__rpc_msg m;
  memset(&m, 0, sizeof m);
  m.from = (sl__bytes){raw, sizeof raw};
  m.data = (sl__bytes){body, len};
  m.seqno = (sl__bytes){seqno, 8};
  m.topic = (sl__bytes){(const uint8_t *)topic, strlen(topic)};
  m.has = SL__HAS_FROM | SL__HAS_DATA | SL__HAS_SEQNO | SL__HAS_TOPIC;
  if (sl__gossip_sign(ids[author], &m, sig) != 0) abort();
  if (corrupt) sig[5] ^= 0x10;
  m.signature = (sl__bytes){sig, 64};
  m.has |= SL__HAS_SIGNATURE;
  sl__pbw w;
  sl__pbw_init(&w, cap);
  sl__pbw_header(&w, 2, sl__rpc_message_len(&m, true));
  sl__rpc_message_write(&w, &m, true);
  size_t n = w.failed ? 0 : w.len;
  if (n) memcpy(out, w.buf, n);
  sl__pbw_free(&w);
  return n;
}

/* A control RPC with one entry of `field` (1 IHAVE, 2 IWANT, 3 GRAFT,
 * 4 PRUNE, 5 IDONTWANT) for topic and/or a message id of author/seq. */
static size_t control(int field, const char *topic, int author, uint64_t seq, uint8_t *out) {
  sl__pbw inner, w;
  sl__pbw_init(&inner, 1024);
  uint8_t id[46];
  sl__peer_id_raw(sl_identity_public_key(ids[author]), id);
  for (int k = 0; k < 8; k++)
    id[38 + k] = (uint8_t)(seq >> (56 - 8 * k));
  if (field == 1 || field == 3 || field == 4) sl__pbw_bytes(&inner, 1, topic, strlen(topic));
  if (field == 1) sl__pbw_bytes(&inner, 2, id, sizeof id);
  if (field == 2 || field == 5) sl__pbw_bytes(&inner, 1, id, sizeof id);
  if (field == 4) sl__pbw_uint(&inner, 3, seq & 0xffff);
  sl__pbw_init(&w, 2048);
  sl__pbw_varint(&w, 3 << 3 | 2);
  sl__pbw_varint(&w, sl__pb_bytes_len((uint32_t)field, inner.len));
  sl__pbw_bytes(&w, (uint32_t)field, inner.buf, inner.len);
  size_t n = w.len;
  memcpy(out, w.buf, n);
  sl__pbw_free(&inner);
  sl__pbw_free(&w);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  sl_gossip_params p;
  sl_gossip_params_default(&p);
  p.d = 3, p.d_lo = 2, p.d_hi = 4, p.d_score = 1, p.d_out = 1, p.max_pending = 8;
  p.idontwant_threshold = 8;
  sl_gossip *g;
  uint64_t now = 1700000000000ull;
  if (sl_gossip_new(&g, ids[0], &p, 1, now) != 0) abort();
  n_delivered = n_handles = 0;
  memset(connected, 0, sizeof connected);
  uint64_t start = now;
  uint8_t buf[4096];
  size_t pos = 0;
  while (pos + 3 <= size) {
    uint8_t op = data[pos], a = data[pos + 1], b = data[pos + 2];
    pos += 3;
    int peer = a % PEERS;
    const char *pid = sl_identity_peer_id(ids[peer + 1]), *topic = topics[b % 3];
    uint64_t seq = ((start + (b & 0xf0) * 1000ull) << 20) + (a >> 2);
    size_t n = 0;
    switch (op % 12) {
    case 0: /* connect / disconnect */
      if (!connected[peer]) {
        if (sl_gossip_add_peer(g, pid, b & 1) != 0) abort();
        connected[peer] = true;
      } else {
        if (sl_gossip_remove_peer(g, pid) != 0) abort();
        connected[peer] = false;
      }
      break;
    case 1: { /* raw bytes from the input */
      size_t len = b < size - pos ? b : size - pos;
      if (connected[peer]) (void)sl_gossip_receive(g, pid, data + pos, len);
      pos += len;
      break;
    }
    case 2: /* subscribe / unsubscribe message */
      buf[0] = 0x0a;
      buf[2] = 0x08, buf[3] = (b >> 4) & 1, buf[4] = 0x12, buf[5] = (uint8_t)strlen(topic);
      memcpy(buf + 6, topic, strlen(topic));
      buf[1] = (uint8_t)(4 + strlen(topic));
      n = 6 + strlen(topic);
      break;
    case 3: /* a message, valid or not, by any author */
      n = message((a >> 4) % (PEERS + 1), topic, seq, &b, 1, (a & 8) != 0, buf, sizeof buf);
      break;
    case 4:
    case 5:
      n = control(1 + b % 5, topic, (a >> 4) % (PEERS + 1), seq, buf);
      break;
    case 6:
      if (sl_gossip_subscribe(g, topic) != 0) abort();
      break;
    case 7:
      if (sl_gossip_unsubscribe(g, topic) != 0) abort();
      break;
    case 8: {
      uint8_t id[SL_GOSSIP_MAX_ID];
      size_t id_len, r;
      int rc = sl_gossip_publish(g, topic, &b, 1, a & 1, id, &id_len, &r);
      if (rc != 0 && rc != SL_EGOSSIP_NO_PEERS) abort();
      break;
    }
    case 9:
      if (n_handles) {
        uint32_t h = handles[a % n_handles];
        int rc = sl_gossip_validated(g, h, b % 3);
        if (rc != 0 && rc != SL_ESTATE) abort();
        n_handles--;
        handles[a % (n_handles + 1)] = handles[n_handles];
      }
      break;
    case 10:
      if (sl_gossip_set_validation(g, topic, b & 1) != 0) abort();
      break;
    case 11: { /* time: up to 2.5 s; the run stays inside the seen cache's 120 s */
      uint64_t before = g->heartbeats;
      if (now - start < 100000) now += (uint64_t)b * 10;
      sl_gossip_tick(g, now);
      drain(g);
      if (g->heartbeats != before) check_heartbeat(g);
      break;
    }
    }
    if (n && connected[peer]) (void)sl_gossip_receive(g, pid, buf, n);
    drain(g);
    if (g->failed) abort();
  }
  sl_gossip_free(g);
  return 0;
}
