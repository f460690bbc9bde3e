/* gossip_sim.c — a deterministic simulator of the gossip network: the real
 * router (src/gossip/) in N simulated peers, joined by links with a latency
 * distribution and loss, under churn, on one simulated clock. Everything
 * random comes from --seed, so a run repeats exactly; only the heartbeat's
 * CPU cost (measured on the real clock) varies.
 *
 * It reports, for messages from a few publishers: the delivery ratio to
 * peers online throughout a message's delivery window, latency p50/p99 in
 * ms and in hops, copies received per peer per message, control bytes per
 * peer per second, and the heartbeat's cost. `--check` makes it a test:
 * exit 1 if delivery is below --min-delivery or a router ever delivered a
 * message twice. See docs/simulator.md. */
#define _POSIX_C_SOURCE 199309L
#include "gossip/gossip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOPIC "sim"
#define WINDOW_MS 10000  /* a message's delivery window */
#define STEP_MS 5        /* simulated time advances in steps of this */
#define TICK_MS 100      /* routers are ticked this often (as the JS glue does) */
#define OFFLINE_MS 30000 /* a churned peer comes back after this */
#define LOW_WATER 4      /* the connection manager's low mark */
#define CM_EVERY_MS 5000 /* ... checked this often */

typedef struct opts {
  int peers, degree, publishers, size, extra_topics;
  double seconds, warmup, loss, churn, rate, min_delivery;
  uint64_t seed;
  int lat_min, lat_max;
  int check, json;
} opts;

/* ------------------------------------------------------------ randomness */

static uint64_t rng_state;
static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd01() * n); }

/* --------------------------------------------------------- the network */

typedef struct link {
  uint32_t a, b;
  int latency_ms;
  uint64_t last_at[2]; /* per direction: links deliver in order */
  int alive;
} link;

typedef struct flight {
  uint64_t at, seq;
  uint32_t link, to, from;
  uint8_t *rpc;
  uint32_t len;
} flight;

typedef struct peer {
  char id[SL_PEER_ID_BYTES];
  sl_identity *identity;
  sl_gossip *g;
  int online;
  uint64_t session_start, back_at, next_cm;
  uint32_t *links; /* ids of its links, alive or not yet compacted */
  size_t n_links, cap_links;
} peer;

typedef struct message {
  uint32_t publisher;
  uint64_t at;
} message;

typedef struct sim {
  opts o;
  peer *peers;
  link *links;
  size_t n_links, cap_links;
  flight *heap;
  size_t n_heap, cap_heap;
  uint64_t seq, now, start;
  uint32_t *index; /* open addressing: peer id hash -> peer index + 1 */
  size_t index_cap;
  message *msgs;
  size_t n_msgs, cap_msgs;
  int32_t *delivered_ms; /* [msg * peers + peer]: ms after publish, -1 = not */
  uint8_t *hops;         /* same shape */
  /* totals */
  uint64_t app_duplicates, control_bytes;
  uint64_t rpcs_lost, heartbeats, churned;
  double heartbeat_seconds;
  sl_gossip_stats retired; /* stats of routers that went offline */
  /* offline log: when each peer's sessions ended (to judge eligibility) */
  uint64_t *went_offline; /* [peer] last time it went offline, 0 = never */
} sim;

/* The core's sl__grow; the simulator stops when memory runs out. */
static void *grow(void *p, size_t *cap, size_t need, size_t size) {
  void *q = sl__grow(p, cap, need, size);
  if (!q) {
    fprintf(stderr, "gossip_sim: out of memory\n");
    exit(2);
  }
  return q;
}

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static void index_put(sim *S, uint32_t i) {
  size_t k = hash_str(S->peers[i].id) & (S->index_cap - 1);
  while (S->index[k])
    k = (k + 1) & (S->index_cap - 1);
  S->index[k] = i + 1;
}

static uint32_t index_get(const sim *S, const char *id) {
  size_t k = hash_str(id) & (S->index_cap - 1);
  while (S->index[k]) {
    if (!strcmp(S->peers[S->index[k] - 1].id, id)) return S->index[k] - 1;
    k = (k + 1) & (S->index_cap - 1);
  }
  return UINT32_MAX;
}

/* The min-heap of RPCs in flight, by arrival time then sending order. */
static int before(const flight *x, const flight *y) {
  return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

static void heap_push(sim *S, flight f) {
  S->heap = grow(S->heap, &S->cap_heap, S->n_heap + 1, sizeof *S->heap);
  size_t k = S->n_heap++;
  while (k > 0 && before(&f, &S->heap[(k - 1) / 2])) {
    S->heap[k] = S->heap[(k - 1) / 2];
    k = (k - 1) / 2;
  }
  S->heap[k] = f;
}

static flight heap_pop(sim *S) {
  flight top = S->heap[0], last = S->heap[--S->n_heap];
  size_t k = 0;
  for (;;) {
    size_t c = 2 * k + 1;
    if (c >= S->n_heap) break;
    if (c + 1 < S->n_heap && before(&S->heap[c + 1], &S->heap[c])) c++;
    if (!before(&S->heap[c], &last)) break;
    S->heap[k] = S->heap[c];
    k = c;
  }
  if (S->n_heap) S->heap[k] = last;
  return top;
}

static uint32_t link_between(const sim *S, uint32_t a, uint32_t b) {
  const peer *p = &S->peers[a];
  for (size_t k = 0; k < p->n_links; k++) {
    const link *l = &S->links[p->links[k]];
    if (l->alive && (l->a == b || l->b == b)) return p->links[k];
  }
  return UINT32_MAX;
}

static void must(int rc, const char *what) {
  if (rc != 0) {
    fprintf(stderr, "gossip_sim: %s: %s\n", what, sl_strerror(rc));
    exit(2);
  }
}

/* ------------------------------------------------------- router output */

/* Bytes of an RPC that are not published messages: control and
 * subscriptions. */
static void count_rpc(sim *S, const uint8_t *rpc, size_t len) {
  sl__rpc r;
  if (sl__rpc_decode(rpc, len, NULL, &r) != 0) return;
  size_t msg = 0;
  for (size_t k = 0; k < r.n_msgs; k++)
    msg += 1 + sl__pb_varint_len(r.msgs[k].raw.len) + r.msgs[k].raw.len;
  S->control_bytes += len - msg;
  sl__rpc_free(&r);
}

static void on_message(sim *S, uint32_t at, const sl_gossip_event *ev) {
  if (ev->len < 8 || !ev->topic || strcmp(ev->topic, TOPIC)) return;
  uint64_t m = 0;
  for (int k = 0; k < 8; k++)
    m = m << 8 | ev->data[k];
  if (m >= S->n_msgs) return;
  size_t slot = m * (size_t)S->o.peers + at;
  uint64_t since = S->now - S->msgs[m].at;
  if (S->delivered_ms[slot] >= 0 &&
      S->msgs[m].at + (uint64_t)S->delivered_ms[slot] >= S->peers[at].session_start) {
    S->app_duplicates++; /* delivered twice in one session: a router bug */
    return;
  }
  S->delivered_ms[slot] = (int32_t)since;
  uint32_t from = ev->peer ? index_get(S, ev->peer) : UINT32_MAX;
  uint8_t h = 1;
  if (from != UINT32_MAX) {
    size_t fs = m * (size_t)S->o.peers + from;
    if (from == S->msgs[m].publisher)
      h = 1;
    else if (S->delivered_ms[fs] >= 0 && S->hops[fs] < 255)
      h = (uint8_t)(S->hops[fs] + 1);
  }
  S->hops[slot] = h;
}

static void drain(sim *S, uint32_t i) {
  peer *p = &S->peers[i];
  sl_gossip_event ev;
  while (p->g && sl_gossip_next(p->g, &ev) == 1) {
    if (ev.kind == SL_GOSSIP_MESSAGE) {
      on_message(S, i, &ev);
    } else if (ev.kind == SL_GOSSIP_SEND) {
      uint32_t to = index_get(S, ev.peer);
      uint32_t l = to == UINT32_MAX ? UINT32_MAX : link_between(S, i, to);
      if (l == UINT32_MAX) continue;
      count_rpc(S, ev.data, ev.len);
      if (rnd01() < S->o.loss) {
        S->rpcs_lost++;
        continue;
      }
      link *lk = &S->links[l];
      int dir = lk->a == i ? 0 : 1;
      uint64_t at = S->now + (uint64_t)lk->latency_ms + rnd_below(5);
      if (at < lk->last_at[dir]) at = lk->last_at[dir];
      lk->last_at[dir] = at;
      uint8_t *copy = malloc(ev.len ? ev.len : 1);
      if (!copy) exit(2);
      memcpy(copy, ev.data, ev.len);
      heap_push(S, (flight){at, S->seq++, l, to, i, copy, ev.len});
    } else if (ev.kind == SL_GOSSIP_VALIDATE) {
      must(sl_gossip_validated(p->g, ev.handle, SL_GOSSIP_ACCEPT), "validated");
    }
  }
}

/* ------------------------------------------------------------- topology */

static void connect_peers(sim *S, uint32_t a, uint32_t b) {
  S->links = grow(S->links, &S->cap_links, S->n_links + 1, sizeof *S->links);
  uint32_t l = (uint32_t)S->n_links++;
  /* One-way latency, uniform over the span, fixed per link (plus 0-4 ms
   * of jitter per RPC that never reorders a link). A wider or skewed
   * spread makes first arrivals take more, shorter hops. */
  int lat = S->o.lat_min + (int)rnd_below((uint32_t)(S->o.lat_max - S->o.lat_min + 1));
  S->links[l] = (link){a, b, lat, {0, 0}, 1};
  for (int k = 0; k < 2; k++) {
    peer *p = &S->peers[k ? b : a];
    p->links = grow(p->links, &p->cap_links, p->n_links + 1, sizeof *p->links);
    p->links[p->n_links++] = l;
  }
  must(sl_gossip_add_peer(S->peers[a].g, S->peers[b].id, 1), "add_peer");
  must(sl_gossip_add_peer(S->peers[b].g, S->peers[a].id, 0), "add_peer");
  drain(S, a);
  drain(S, b);
}

static size_t degree(const sim *S, uint32_t i) {
  size_t n = 0;
  const peer *p = &S->peers[i];
  for (size_t k = 0; k < p->n_links; k++)
    n += S->links[p->links[k]].alive;
  return n;
}

/* Dials random online peers until i has `want` links (a few tries each). */
static void dial_some(sim *S, uint32_t i, size_t want) {
  for (int tries = 0; degree(S, i) < want && tries < 50; tries++) {
    uint32_t j = rnd_below((uint32_t)S->o.peers);
    if (j == i || !S->peers[j].online || link_between(S, i, j) != UINT32_MAX) continue;
    connect_peers(S, i, j);
  }
}

static void compact_links(peer *p, const link *links) {
  size_t w = 0;
  for (size_t k = 0; k < p->n_links; k++)
    if (links[p->links[k]].alive) p->links[w++] = p->links[k];
  p->n_links = w;
}

static void add_stats(sl_gossip_stats *to, const sl_gossip_stats *s) {
  uint64_t *t = &to->rpcs_in;
  const uint64_t *f = &s->rpcs_in;
  for (size_t k = 0; k < sizeof *s / sizeof(uint64_t); k++)
    t[k] += f[k];
}

static void start_router(sim *S, uint32_t i) {
  peer *p = &S->peers[i];
  must(sl_gossip_new(&p->g, p->identity, NULL, rnd(), S->now), "gossip_new");
  must(sl_gossip_subscribe(p->g, TOPIC), "subscribe");
  for (int t = 0; t < S->o.extra_topics; t++) {
    char name[32];
    snprintf(name, sizeof name, "extra-%d", t);
    must(sl_gossip_subscribe(p->g, name), "subscribe");
  }
  p->online = 1;
  p->session_start = S->now;
  p->next_cm = S->now + CM_EVERY_MS + rnd_below(CM_EVERY_MS);
}

static void go_offline(sim *S, uint32_t i) {
  peer *p = &S->peers[i];
  for (size_t k = 0; k < p->n_links; k++) {
    link *l = &S->links[p->links[k]];
    if (!l->alive) continue;
    l->alive = 0;
    uint32_t other = l->a == i ? l->b : l->a;
    must(sl_gossip_remove_peer(S->peers[other].g, p->id), "remove_peer");
    compact_links(&S->peers[other], S->links);
    drain(S, other);
  }
  p->n_links = 0;
  sl_gossip_stats st;
  sl_gossip_get_stats(p->g, &st);
  add_stats(&S->retired, &st);
  sl_gossip_free(p->g);
  p->g = NULL;
  p->online = 0;
  p->back_at = S->now + OFFLINE_MS;
  S->went_offline[i] = S->now;
  S->churned++;
}

/* ----------------------------------------------------------------- run */

static void publish(sim *S, uint32_t i) {
  S->msgs = grow(S->msgs, &S->cap_msgs, S->n_msgs + 1, sizeof *S->msgs);
  uint64_t m = S->n_msgs++;
  S->msgs[m] = (message){i, S->now};
  uint8_t data[1 << 16];
  size_t n = (size_t)S->o.size < sizeof data ? (size_t)S->o.size : sizeof data;
  if (n < 8) n = 8;
  memset(data, 0x5a, n);
  for (int k = 0; k < 8; k++)
    data[k] = (uint8_t)(m >> (56 - 8 * k));
  uint8_t id[SL_GOSSIP_MAX_ID];
  size_t id_len, recipients;
  int rc = sl_gossip_publish(S->peers[i].g, TOPIC, data, n, 1, id, &id_len, &recipients);
  if (rc != 0) must(rc, "publish");
  drain(S, i);
}

static void deliver_due(sim *S) {
  while (S->n_heap && S->heap[0].at <= S->now) {
    flight f = heap_pop(S);
    if (S->links[f.link].alive && S->peers[f.to].g) {
      /* Refusals are the router's business; running out of memory is ours. */
      int rc = sl_gossip_receive(S->peers[f.to].g, S->peers[f.from].id, f.rpc, f.len);
      if (rc == SL_ENOMEM) must(rc, "receive");
      drain(S, f.to);
    }
    free(f.rpc);
  }
}

static double elapsed(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void tick_all(sim *S) {
  for (int i = 0; i < S->o.peers; i++) {
    peer *p = &S->peers[i];
    if (!p->g) continue;
    sl_gossip_stats before, after;
    sl_gossip_get_stats(p->g, &before);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sl_gossip_tick(p->g, S->now);
    double dt = elapsed(&t0);
    sl_gossip_get_stats(p->g, &after);
    if (after.heartbeats > before.heartbeats) {
      S->heartbeats++;
      S->heartbeat_seconds += dt;
    }
    drain(S, (uint32_t)i);
  }
}

static void churn_and_manage(sim *S, double *churn_debt, uint64_t publish_end) {
  /* Churn: N * churn per minute leave (publishers stay, so the message
   * count is fixed); each comes back OFFLINE_MS later and dials anew. */
  if (S->now % 1000 == 0 && S->now < publish_end) {
    *churn_debt += S->o.peers * S->o.churn / 60.0;
    while (*churn_debt >= 1) {
      *churn_debt -= 1;
      for (int tries = 0; tries < 20; tries++) {
        uint32_t i = rnd_below((uint32_t)S->o.peers);
        if (i < (uint32_t)S->o.publishers || !S->peers[i].online) continue;
        go_offline(S, i);
        break;
      }
    }
  }
  for (int i = 0; i < S->o.peers; i++) {
    peer *p = &S->peers[i];
    if (!p->online && p->back_at && p->back_at <= S->now) {
      start_router(S, (uint32_t)i);
      dial_some(S, (uint32_t)i, (size_t)S->o.degree);
    } else if (p->online && p->next_cm <= S->now) {
      p->next_cm = S->now + CM_EVERY_MS;
      if (degree(S, (uint32_t)i) < LOW_WATER) dial_some(S, (uint32_t)i, LOW_WATER);
    }
  }
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static int32_t pct(int32_t *v, size_t n, double q) {
  if (!n) return 0;
  size_t k = (size_t)(q * (double)(n - 1) + 0.5);
  return v[k];
}

static int report(sim *S) {
  /* Eligible: online for the whole window in one session. */
  size_t eligible = 0, got = 0;
  size_t cap = S->n_msgs * (size_t)S->o.peers;
  int32_t *lat = malloc((cap ? cap : 1) * sizeof *lat),
          *hop = malloc((cap ? cap : 1) * sizeof *hop);
  if (!lat || !hop) exit(2);
  for (size_t m = 0; m < S->n_msgs; m++) {
    uint64_t t = S->msgs[m].at;
    for (int i = 0; i < S->o.peers; i++) {
      const peer *p = &S->peers[i];
      if ((uint32_t)i == S->msgs[m].publisher) continue;
      /* Its last session began before t and lasted past the window. */
      bool whole = p->session_start <= t && (p->online || S->went_offline[i] >= t + WINDOW_MS);
      if (!whole) continue;
      eligible++;
      size_t slot = m * (size_t)S->o.peers + (size_t)i;
      int32_t d = S->delivered_ms[slot];
      if (d >= 0 && d <= WINDOW_MS) {
        lat[got] = d;
        hop[got] = S->hops[slot];
        got++;
      }
    }
  }
  qsort(lat, got, sizeof *lat, cmp_i32);
  qsort(hop, got, sizeof *hop, cmp_i32);
  sl_gossip_stats total = S->retired;
  for (int i = 0; i < S->o.peers; i++) {
    if (!S->peers[i].g) continue;
    sl_gossip_stats st;
    sl_gossip_get_stats(S->peers[i].g, &st);
    add_stats(&total, &st);
  }
  double delivery = eligible ? (double)got / (double)eligible : 0;
  double copies =
      total.delivered ? (double)(total.delivered + total.duplicates) / (double)total.delivered : 0;
  double secs = (double)(S->now - S->start) / 1000.0;
  double ctl = (double)S->control_bytes / (double)S->o.peers / secs;
  double hb_us = S->heartbeats ? S->heartbeat_seconds * 1e6 / (double)S->heartbeats : 0;
  if (S->o.json) {
    printf("{\"peers\":%d,\"messages\":%zu,\"eligible\":%zu,\"delivered\":%zu,\"delivery\":%.6f,"
           "\"latencyP50Ms\":%d,\"latencyP99Ms\":%d,\"hopsP50\":%d,\"hopsP99\":%d,"
           "\"copiesPerMessage\":%.3f,\"controlBytesPerPeerPerSecond\":%.1f,"
           "\"heartbeatUs\":%.1f,\"duplicatesDelivered\":%llu,\"churned\":%llu,"
           "\"rpcsLost\":%llu,\"simulatedSeconds\":%.0f}\n",
           S->o.peers, S->n_msgs, eligible, got, delivery, pct(lat, got, 0.5), pct(lat, got, 0.99),
           pct(hop, got, 0.5), pct(hop, got, 0.99), copies, ctl, hb_us,
           (unsigned long long)S->app_duplicates, (unsigned long long)S->churned,
           (unsigned long long)S->rpcs_lost, secs);
  } else {
    printf("gossip_sim: %d peers, %zu messages of %d B, %.0f s simulated, loss %.1f %%, churn "
           "%.0f %%/min (%llu left and came back)\n",
           S->o.peers, S->n_msgs, S->o.size, secs, S->o.loss * 100, S->o.churn * 100,
           (unsigned long long)S->churned);
    printf("  delivery          %.4f %% (%zu of %zu)\n", delivery * 100, got, eligible);
    printf("  latency           p50 %d ms, p99 %d ms\n", pct(lat, got, 0.5), pct(lat, got, 0.99));
    printf("  hops              p50 %d, p99 %d\n", pct(hop, got, 0.5), pct(hop, got, 0.99));
    printf("  copies/peer/msg   %.2f\n", copies);
    printf("  control bytes     %.0f B per peer per second\n", ctl);
    printf("  heartbeat         %.1f us (native, mean over %llu)\n", hb_us,
           (unsigned long long)S->heartbeats);
    printf("  delivered twice   %llu\n", (unsigned long long)S->app_duplicates);
  }
  free(lat);
  free(hop);
  if (!S->o.check) return 0;
  int bad = delivery < S->o.min_delivery || S->app_duplicates > 0 || got == 0;
  if (bad)
    fprintf(stderr, "gossip_sim: FAILED: delivery %.5f (min %.5f), %llu delivered twice\n",
            delivery, S->o.min_delivery, (unsigned long long)S->app_duplicates);
  return bad;
}

static int run(const opts *o) {
  sim *S = calloc(1, sizeof *S);
  if (!S) return 2;
  S->o = *o;
  rng_state = o->seed * 0x9E3779B97F4A7C15ull + 1;
  S->start = S->now = 1700000000000ull;
  S->peers = calloc((size_t)o->peers, sizeof *S->peers);
  S->went_offline = calloc((size_t)o->peers, sizeof *S->went_offline);
  S->index_cap = 1;
  while (S->index_cap < (size_t)o->peers * 4)
    S->index_cap *= 2;
  S->index = calloc(S->index_cap, sizeof *S->index);
  if (!S->peers || !S->went_offline || !S->index) return 2;
  for (int i = 0; i < o->peers; i++) {
    uint8_t seed[32] = {0};
    for (int k = 0; k < 8; k++)
      seed[k] = (uint8_t)((o->seed + (uint64_t)i * 0x100000001b3ull) >> (8 * k));
    seed[8] = (uint8_t)i, seed[9] = (uint8_t)(i >> 8), seed[10] = 0x51;
    must(sl_identity_from_seed(&S->peers[i].identity, seed), "identity");
    snprintf(S->peers[i].id, sizeof S->peers[i].id, "%s",
             sl_identity_peer_id(S->peers[i].identity));
    index_put(S, (uint32_t)i);
    /* Routers start over the first second: heartbeats fall out of step. */
    S->now = S->start + (uint64_t)rnd_below(1000) / STEP_MS * STEP_MS;
    start_router(S, (uint32_t)i);
  }
  S->now = S->start + 1000;
  for (int i = 0; i < o->peers; i++)
    dial_some(S, (uint32_t)i, (size_t)o->degree);

  uint64_t publish_from = S->start + (uint64_t)(o->warmup * 1000);
  uint64_t publish_end = publish_from + (uint64_t)(o->seconds * 1000);
  uint64_t end = publish_end + WINDOW_MS;
  double interval = 1000.0 / o->rate;
  uint64_t *next_pub = calloc((size_t)o->publishers, sizeof *next_pub);
  size_t max_msgs = (size_t)(o->seconds * o->rate + 2) * (size_t)o->publishers;
  S->delivered_ms = malloc(max_msgs * (size_t)o->peers * sizeof *S->delivered_ms);
  S->hops = calloc(max_msgs * (size_t)o->peers, 1);
  if (!next_pub || !S->delivered_ms || !S->hops) return 2;
  memset(S->delivered_ms, 0xff, max_msgs * (size_t)o->peers * sizeof *S->delivered_ms);
  for (int k = 0; k < o->publishers; k++)
    next_pub[k] = publish_from + (uint64_t)(interval * k / o->publishers);
  double churn_debt = 0;
  for (; S->now < end; S->now += STEP_MS) {
    deliver_due(S);
    if (S->now % TICK_MS == 0) tick_all(S);
    churn_and_manage(S, &churn_debt, publish_end);
    for (int k = 0; k < o->publishers && S->now < publish_end; k++) {
      if (next_pub[k] > S->now || S->n_msgs >= max_msgs) continue;
      publish(S, (uint32_t)k);
      next_pub[k] += (uint64_t)interval;
    }
  }
  int rc = report(S);
  while (S->n_heap)
    free(heap_pop(S).rpc);
  for (int i = 0; i < o->peers; i++) {
    sl_gossip_free(S->peers[i].g);
    sl_identity_free(S->peers[i].identity);
    free(S->peers[i].links);
  }
  free(next_pub);
  free(S->delivered_ms);
  free(S->hops);
  free(S->msgs);
  free(S->heap);
  free(S->links);
  free(S->index);
  free(S->went_offline);
  free(S->peers);
  free(S);
  return rc;
}

static void usage(void) {
  fprintf(
      stderr,
      "usage: gossip_sim [--peers N] [--degree K] [--seconds S] [--warmup S] [--loss P]\n"
      "                  [--churn P] [--publishers N] [--rate R] [--size B] [--topics N]\n"
      "                  [--latency MIN,MAX] [--seed N] [--check [--min-delivery P]] [--json]\n");
}

int main(int argc, char **argv) {
  opts o = {.peers = 1000,
            .degree = 6,
            .publishers = 5,
            .size = 256,
            .extra_topics = 0,
            .seconds = 60,
            .warmup = 10,
            .loss = 0.01,
            .churn = 0.10,
            .rate = 1,
            .min_delivery = 0.999,
            .seed = 1,
            .lat_min = 20,
            .lat_max = 120};
  for (int k = 1; k < argc; k++) {
    const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
    if (!strcmp(a, "--check"))
      o.check = 1;
    else if (!strcmp(a, "--json"))
      o.json = 1;
    else if (!v)
      return usage(), 2;
    else if (!strcmp(a, "--peers"))
      o.peers = atoi(v), k++;
    else if (!strcmp(a, "--degree"))
      o.degree = atoi(v), k++;
    else if (!strcmp(a, "--seconds"))
      o.seconds = atof(v), k++;
    else if (!strcmp(a, "--warmup"))
      o.warmup = atof(v), k++;
    else if (!strcmp(a, "--loss"))
      o.loss = atof(v), k++;
    else if (!strcmp(a, "--churn"))
      o.churn = atof(v), k++;
    else if (!strcmp(a, "--publishers"))
      o.publishers = atoi(v), k++;
    else if (!strcmp(a, "--rate"))
      o.rate = atof(v), k++;
    else if (!strcmp(a, "--size"))
      o.size = atoi(v), k++;
    else if (!strcmp(a, "--topics"))
      o.extra_topics = atoi(v), k++;
    else if (!strcmp(a, "--seed"))
      o.seed = strtoull(v, NULL, 10), k++;
    else if (!strcmp(a, "--min-delivery"))
      o.min_delivery = atof(v), k++;
    else if (!strcmp(a, "--latency") && sscanf(v, "%d,%d", &o.lat_min, &o.lat_max) == 2)
      k++;
    else
      return usage(), 2;
  }
  if (o.peers < 2 || o.peers > 100000 || o.degree < 1 || o.publishers < 1 ||
      o.publishers > o.peers || o.rate <= 0 || o.seconds <= 0 || o.loss < 0 || o.loss >= 1 ||
      o.churn < 0 || o.lat_min < 1 || o.lat_max < o.lat_min || o.size < 8 || o.size > 65536)
    return usage(), 2;
  if (sl_init() != 0) return 2;
  return run(&o);
}
