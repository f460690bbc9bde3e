/* router.c — the GossipSub v1.2 router: peers and their subscriptions,
 * the mesh per topic (GRAFT / PRUNE, backoff, D_score / D_out selection,
 * opportunistic grafting), fanout, gossip (IHAVE / IWANT with promises),
 * the message cache and seen cache, IDONTWANT, peer exchange, and the
 * application's validators. Sans-IO: the host passes the time and drains
 * events (see starling.h). Outgoing control and messages for a peer are
 * gathered during one input call and leave as one RPC at its end. */
#include "gossip.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOPICS 4096
#define HEX_BYTES (2 * SL_GOSSIP_MAX_ID + 1)
/* Own seqnos are (ms << 20 | counter): monotonic across restarts, and
 * their time part lets receivers refuse replays older than the seen cache. */
#define SEQNO_TIME_SHIFT 20
#define REPLAY_SKEW_MS 120000u
#define DAY_MS 86400000u

/* --------------------------------------------------------------- helpers */

static uint64_t rng_next(sl_gossip *g) { /* splitmix64 */
  uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static size_t rng_below(sl_gossip *g, size_t n) { return n ? (size_t)(rng_next(g) % n) : 0; }

static void shuffle(sl_gossip *g, uint32_t *v, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = rng_below(g, i);
    uint32_t t = v[i - 1];
    v[i - 1] = v[j];
    v[j] = t;
  }
}

static bool idx_add(sl_gossip *g, sl__idx *x, uint32_t v) {
  if (x->n == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 8;
    uint32_t *nv = realloc(x->v, cap * sizeof *nv);
    if (!nv) {
      g->failed = SL_ENOMEM;
      return false;
    }
    x->v = nv;
    x->cap = cap;
  }
  x->v[x->n++] = v;
  return true;
}

static bool idx_has(const sl__idx *x, uint32_t v) {
  for (size_t i = 0; i < x->n; i++)
    if (x->v[i] == v) return true;
  return false;
}

static size_t idx_count(const sl__idx *x, uint32_t v) {
  size_t c = 0;
  for (size_t i = 0; i < x->n; i++)
    c += x->v[i] == v;
  return c;
}

static bool idx_remove(sl__idx *x, uint32_t v) {
  for (size_t i = 0; i < x->n; i++)
    if (x->v[i] == v) {
      x->v[i] = x->v[--x->n];
      return true;
    }
  return false;
}

static void idx_free(sl__idx *x) {
  free(x->v);
  memset(x, 0, sizeof *x);
}

static void hex(const uint8_t *id, size_t len, char out[HEX_BYTES]) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[id[i] >> 4];
    out[2 * i + 1] = digits[id[i] & 15];
  }
  out[2 * len] = '\0';
}

static bool topic_name_ok(const char *t) {
  if (!t) return false;
  size_t n = 0;
  while (n <= SL_GOSSIP_MAX_TOPIC && t[n])
    n++;
  return n >= 1 && n <= SL_GOSSIP_MAX_TOPIC;
}

/* A topic from an RPC (1..256 bytes, no NUL: checked by the decoder) as a C string. */
static void topic_cstr(const sl__bytes *b, char out[SL_GOSSIP_MAX_TOPIC + 1]) {
  memcpy(out, b->p, b->len);
  out[b->len] = '\0';
}

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* ---------------------------------------------------------------- events */

/* Queues an event; strings and id are copied, `data` is copied unless
 * `take` (then it is a malloc'd buffer the queue now owns). */
static void emit(sl_gossip *g, int kind, int code, uint32_t handle, const char *peer,
                 const char *topic, const char *author, const uint8_t *id, size_t id_len,
                 const uint8_t *data, size_t len, bool take) {
  if (g->failed) {
    if (take) free((void *)(uintptr_t)data);
    return;
  }
  size_t lp = peer ? strlen(peer) + 1 : 0, lt = topic ? strlen(topic) + 1 : 0,
         la = author ? strlen(author) + 1 : 0;
  size_t total = lp + lt + la + id_len + (take ? 0 : len);
  uint8_t *blob = total ? malloc(total) : NULL;
  if (total && !blob) goto oom;
  if (sl__fifo_reserve((void **)&g->events, sizeof *g->events, &g->ev_head, g->ev_count, &g->ev_cap,
                       64) != 0) {
    free(blob);
    goto oom;
  }
  sl__event *e = &g->events[g->ev_head + g->ev_count++];
  memset(e, 0, sizeof *e);
  e->ev.kind = kind;
  e->ev.code = code;
  e->ev.handle = handle;
  uint8_t *at = blob;
#define PUT(field, src, n)                                                                         \
  if (n) {                                                                                         \
    memcpy(at, src, n);                                                                            \
    e->ev.field = (void *)at;                                                                      \
    at += n;                                                                                       \
  }
  PUT(peer, peer, lp);
  PUT(topic, topic, lt);
  PUT(author, author, la);
  PUT(id, id, id_len);
#undef PUT
  e->ev.id_len = (uint32_t)id_len;
  e->ev.len = (uint32_t)len;
  if (take) {
    e->ev.data = data;
    e->owned_data = (void *)(uintptr_t)data;
  } else if (len) {
    memcpy(at, data, len);
    e->ev.data = at;
  }
  e->owned = blob;
  return;
oom:
  if (take) free((void *)(uintptr_t)data);
  g->failed = SL_ENOMEM;
}

int sl_gossip_next(sl_gossip *g, sl_gossip_event *ev) {
  free(g->ev_last);
  free(g->ev_last_data);
  g->ev_last = g->ev_last_data = NULL;
  if (!g->ev_count) return 0;
  sl__event *e = &g->events[g->ev_head++];
  g->ev_count--;
  *ev = e->ev;
  g->ev_last = e->owned;
  g->ev_last_data = e->owned_data;
  if (!g->ev_count) g->ev_head = 0;
  return 1;
}

/* ----------------------------------------------------------------- peers */

static uint32_t peer_find(const sl_gossip *g, const char *id) {
  if (!id) return SL__NONE;
  uintptr_t v = (uintptr_t)sl__map_get(&g->peer_index, id);
  return v ? (uint32_t)(v - 1) : SL__NONE;
}

static sl__peer *peer_at(sl_gossip *g, uint32_t i) { return &g->peers[i]; }

static double score_of(sl_gossip *g, uint32_t i) { return sl__score(g, &g->peers[i]); }

static void refuse(sl_gossip *g, uint32_t i, int code, const char *topic) {
  sl__peer *p = peer_at(g, i);
  g->stats.refused++;
  /* Counted always, reported at most 8 times a heartbeat per peer so a
   * flood cannot flood the host too. */
  if (p->refused_events++ < 8)
    emit(g, SL_GOSSIP_REFUSED, code, 0, p->id, topic, NULL, NULL, 0, NULL, 0, false);
}

static void penalise(sl_gossip *g, uint32_t i, double amount) {
  peer_at(g, i)->behaviour_penalty += amount;
}

static bool in_backoff(const sl_gossip *g, const sl__peer *p, uint32_t topic) {
  for (size_t i = 0; i < p->n_backoff; i++)
    if (p->backoff[i].topic == topic) return p->backoff[i].until_ms > g->now_ms;
  return false;
}

static void set_backoff(sl_gossip *g, sl__peer *p, uint32_t topic, uint64_t until) {
  for (size_t i = 0; i < p->n_backoff; i++)
    if (p->backoff[i].topic == topic) {
      if (until > p->backoff[i].until_ms) p->backoff[i].until_ms = until;
      return;
    }
  if (p->n_backoff == p->cap_backoff) {
    size_t cap = p->cap_backoff ? p->cap_backoff * 2 : 4;
    sl__backoff *b = realloc(p->backoff, cap * sizeof *b);
    if (!b) {
      g->failed = SL_ENOMEM;
      return;
    }
    p->backoff = b;
    p->cap_backoff = cap;
  }
  p->backoff[p->n_backoff++] = (sl__backoff){topic, until};
}

/* ------------------------------------------------------------ topics */

static uint32_t topic_find(const sl_gossip *g, const char *name) {
  uintptr_t v = (uintptr_t)sl__map_get(&g->topic_index, name);
  return v ? (uint32_t)(v - 1) : SL__NONE;
}

/* The topic's index, created if needed (SL__NONE past MAX_TOPICS or on
 * ENOMEM). May move g->topics. */
static uint32_t topic_get(sl_gossip *g, const char *name) {
  uint32_t t = topic_find(g, name);
  if (t != SL__NONE) return t;
  size_t slot = g->n_topics;
  for (size_t i = 0; i < g->n_topics; i++)
    if (!g->topics[i].name) {
      slot = i;
      break;
    }
  if (slot == g->n_topics) {
    if (g->n_topics >= MAX_TOPICS) return SL__NONE;
    sl__topic *nt = realloc(g->topics, (g->n_topics + 1) * sizeof *nt);
    if (!nt) {
      g->failed = SL_ENOMEM;
      return SL__NONE;
    }
    g->topics = nt;
    g->n_topics++;
  }
  sl__topic *tp = &g->topics[slot];
  memset(tp, 0, sizeof *tp);
  tp->name = dupstr(name);
  if (!tp->name || sl__map_put(&g->topic_index, name, (void *)(uintptr_t)(slot + 1)) != 0) {
    free(tp->name);
    tp->name = NULL;
    g->failed = SL_ENOMEM;
    return SL__NONE;
  }
  return (uint32_t)slot;
}

/* A topic nobody uses any more gives its slot back. */
static void topic_maybe_free(sl_gossip *g, uint32_t t) {
  sl__topic *tp = &g->topics[t];
  if (!tp->name || tp->subscribed || tp->validate || tp->has_params || tp->fanout_last_ms ||
      tp->peers.n || tp->mesh.n || tp->n_cached)
    return;
  for (size_t i = 0; i < g->n_peers; i++) {
    sl__peer *p = &g->peers[i];
    for (size_t j = 0; j < p->n_stats; j++)
      if (p->stats[j].topic == t) p->stats[j--] = p->stats[--p->n_stats];
    for (size_t j = 0; j < p->n_backoff; j++)
      if (p->backoff[j].topic == t) p->backoff[j--] = p->backoff[--p->n_backoff];
  }
  sl__map_remove(&g->topic_index, tp->name);
  free(tp->name);
  idx_free(&tp->peers);
  idx_free(&tp->mesh);
  idx_free(&tp->fanout);
  memset(tp, 0, sizeof *tp);
}

/* ----------------------------------------------------------- output */

static size_t pending_bytes(const sl__peer *p) {
  return p->out_subs.len + p->out_msgs.len +
         (p->out_ctl.len ? sl__pb_bytes_len(3, p->out_ctl.len) : 0);
}

static void flush_peer(sl_gossip *g, uint32_t i) {
  sl__peer *p = peer_at(g, i);
  p->dirty = false;
  size_t total = pending_bytes(p);
  if (!total) return;
  sl__pbw w;
  sl__pbw_init(&w, total);
  sl__pbw_raw(&w, p->out_subs.buf, p->out_subs.len);
  sl__pbw_raw(&w, p->out_msgs.buf, p->out_msgs.len);
  if (p->out_ctl.len) sl__pbw_bytes(&w, 3, p->out_ctl.buf, p->out_ctl.len);
  int failed = w.failed || p->out_subs.failed || p->out_msgs.failed || p->out_ctl.failed;
  p->out_subs.len = p->out_msgs.len = p->out_ctl.len = 0;
  p->out_subs.failed = p->out_msgs.failed = p->out_ctl.failed = 0;
  if (failed) {
    sl__pbw_free(&w);
    g->failed = SL_ENOMEM;
    return;
  }
  g->stats.rpcs_out++;
  g->stats.bytes_out += w.len;
  emit(g, SL_GOSSIP_SEND, 0, 0, p->id, NULL, NULL, NULL, 0, w.buf, w.len, true);
}

/* The peer's pending RPC, with room for `need` more bytes: the RPC so far
 * leaves first when it would pass max_rpc_bytes. */
static sl__peer *room(sl_gossip *g, uint32_t i, size_t need) {
  sl__peer *p = peer_at(g, i);
  if (pending_bytes(p) + need + 8 > g->p.max_rpc_bytes) flush_peer(g, i);
  if (!p->dirty) {
    p->dirty = true;
    idx_add(g, &g->dirty, i);
  }
  return p;
}

static void flush_all(sl_gossip *g) {
  for (size_t k = 0; k < g->dirty.n; k++)
    flush_peer(g, g->dirty.v[k]);
  g->dirty.n = 0;
}

static void out_sub(sl_gossip *g, uint32_t i, const char *topic, bool subscribe) {
  size_t tl = strlen(topic), inner = 2 + sl__pb_bytes_len(2, tl);
  sl__peer *p = room(g, i, sl__pb_bytes_len(1, inner));
  sl__pbw_header(&p->out_subs, 1, inner);
  sl__pbw_uint(&p->out_subs, 1, subscribe);
  sl__pbw_bytes(&p->out_subs, 2, topic, tl);
}

static void out_msg(sl_gossip *g, uint32_t i, const sl__cached *c) {
  sl__peer *p = room(g, i, sl__pb_bytes_len(2, c->msg_len));
  sl__pbw_bytes(&p->out_msgs, 2, c->msg, c->msg_len);
}

static void out_topic_ctl(sl_gossip *g, uint32_t i, uint32_t field, const char *topic) {
  size_t tl = strlen(topic), inner = sl__pb_bytes_len(1, tl);
  sl__peer *p = room(g, i, sl__pb_bytes_len(field, inner));
  sl__pbw_header(&p->out_ctl, field, inner);
  sl__pbw_bytes(&p->out_ctl, 1, topic, tl);
}

/* IHAVE (field 1: topic, ids in field 2), IWANT (2) and IDONTWANT (5): ids in field 1. */
static void out_ids(sl_gossip *g, uint32_t i, uint32_t field, const char *topic,
                    const sl__bytes *ids, size_t n) {
  uint32_t id_field = topic ? 2 : 1;
  size_t inner = topic ? sl__pb_bytes_len(1, strlen(topic)) : 0;
  for (size_t k = 0; k < n; k++)
    inner += sl__pb_bytes_len(id_field, ids[k].len);
  sl__peer *p = room(g, i, sl__pb_bytes_len(field, inner));
  sl__pbw_header(&p->out_ctl, field, inner);
  if (topic) sl__pbw_bytes(&p->out_ctl, 1, topic, strlen(topic));
  for (size_t k = 0; k < n; k++)
    sl__pbw_bytes(&p->out_ctl, id_field, ids[k].p, ids[k].len);
}

static void send_graft(sl_gossip *g, uint32_t i, uint32_t t) {
  out_topic_ctl(g, i, 3, g->topics[t].name);
  g->stats.graft_out++;
}

/* PRUNE with the backoff we will honour ourselves, and (px) up to
 * prune_peers other subscribers with their signed records. */
static void send_prune(sl_gossip *g, uint32_t i, uint32_t t, bool px, uint32_t backoff_ms) {
  sl__topic *tp = &g->topics[t];
  uint32_t cand[64];
  size_t n = 0;
  if (px) {
    /* A random sample of the topic's peers, scored only until enough are
     * found: a heartbeat that prunes many peers at once (a burst of
     * GRAFTs) would otherwise score every subscriber for every PRUNE. */
    size_t m = 0;
    for (size_t k = 0; k < tp->peers.n && m < 64; k++)
      if (tp->peers.v[k] != i) cand[m++] = tp->peers.v[k];
    shuffle(g, cand, m);
    for (size_t k = 0; k < m && n < (size_t)g->p.prune_peers; k++)
      if (score_of(g, cand[k]) >= 0) cand[n++] = cand[k];
  }
  size_t tl = strlen(tp->name), inner = sl__pb_bytes_len(1, tl);
  size_t info_len[64];
  for (size_t k = 0; k < n; k++) {
    const sl__peer *q = &g->peers[cand[k]];
    info_len[k] = sl__pb_bytes_len(1, SL__PEER_ID_RAW_BYTES) +
                  (q->record_len ? sl__pb_bytes_len(2, q->record_len) : 0);
    inner += sl__pb_bytes_len(2, info_len[k]);
  }
  uint64_t backoff_s = (backoff_ms + 999) / 1000;
  inner += 1 + sl__pb_varint_len(backoff_s);
  sl__peer *p = room(g, i, sl__pb_bytes_len(4, inner));
  sl__pbw_header(&p->out_ctl, 4, inner);
  sl__pbw_bytes(&p->out_ctl, 1, tp->name, tl);
  for (size_t k = 0; k < n; k++) {
    const sl__peer *q = &g->peers[cand[k]];
    sl__pbw_header(&p->out_ctl, 2, info_len[k]);
    sl__pbw_bytes(&p->out_ctl, 1, q->raw_id, sizeof q->raw_id);
    if (q->record_len) sl__pbw_bytes(&p->out_ctl, 2, q->record, q->record_len);
  }
  sl__pbw_uint(&p->out_ctl, 3, backoff_s);
  set_backoff(g, p, t, g->now_ms + backoff_ms);
  g->stats.prune_out++;
}

/* -------------------------------------------------------------- mesh */

static void mesh_add(sl_gossip *g, uint32_t t, uint32_t i) {
  if (!idx_add(g, &g->topics[t].mesh, i)) return;
  sl__topic_stats *s = sl__stats_get(g, peer_at(g, i), t, true);
  if (s) {
    s->in_mesh = true;
    s->mesh_active = false;
    s->graft_ms = g->now_ms;
  }
}

/* Leaving the mesh short of deliveries costs the P3b penalty. */
static void mesh_remove(sl_gossip *g, uint32_t t, uint32_t i) {
  if (!idx_remove(&g->topics[t].mesh, i)) return;
  sl__topic_stats *s = sl__stats_get(g, peer_at(g, i), t, false);
  if (!s) return;
  const sl_gossip_topic_params *tp = sl__topic_params(g, t);
  if (s->mesh_active && s->mesh_deliveries < tp->mesh_deliveries_threshold) {
    double deficit = tp->mesh_deliveries_threshold - s->mesh_deliveries;
    s->mesh_failure += deficit * deficit;
  }
  s->in_mesh = s->mesh_active = false;
}

/* Subscribers of t we may graft: connected, not in mesh or backoff, score >= min. */
static size_t candidates(sl_gossip *g, uint32_t t, const sl__idx *exclude, double min,
                         bool outbound_only, uint32_t *out, size_t cap) {
  const sl__topic *tp = &g->topics[t];
  size_t n = 0;
  for (size_t k = 0; k < tp->peers.n && n < cap; k++) {
    uint32_t i = tp->peers.v[k];
    const sl__peer *p = &g->peers[i];
    if (idx_has(exclude, i) || in_backoff(g, p, t) || (outbound_only && !p->outbound)) continue;
    if (score_of(g, i) >= min) out[n++] = i;
  }
  shuffle(g, out, n);
  return n;
}

/* ----------------------------------------------------------------- cache */

static void cached_free(sl_gossip *g, sl__cached *c) {
  if (!c) return;
  if (c->topic < g->n_topics && g->topics[c->topic].n_cached) g->topics[c->topic].n_cached--;
  idx_free(&c->served);
  idx_free(&c->advertised);
  free(c->msg);
  free(c->key);
  free(c);
}

/* msg is the encoded Message; its data field is msg[data_off, +data_len). */
static sl__cached *cached_new(sl_gossip *g, const uint8_t *id, size_t id_len, const char *key,
                              uint32_t t, const uint8_t *msg, size_t msg_len, size_t data_off,
                              size_t data_len) {
  sl__cached *c = calloc(1, sizeof *c);
  if (c) {
    c->key = dupstr(key);
    c->msg = malloc(msg_len ? msg_len : 1);
  }
  if (!c || !c->key || !c->msg) {
    if (c) free(c->key), free(c->msg);
    free(c);
    g->failed = SL_ENOMEM;
    return NULL;
  }
  memcpy(c->id, id, id_len);
  c->id_len = id_len;
  c->topic = t;
  memcpy(c->msg, msg, msg_len);
  c->msg_len = msg_len;
  c->data_off = data_off;
  c->data_len = data_len;
  g->topics[t].n_cached++;
  return c;
}

/* Into the newest window; the cache owns it from here. */
static void cache_put(sl_gossip *g, sl__cached *c) {
  size_t w = 0;
  if (g->window_n[w] == g->window_cap[w]) {
    size_t cap = g->window_cap[w] ? g->window_cap[w] * 2 : 64;
    sl__cached **nw = realloc(g->windows[w], cap * sizeof *nw);
    if (!nw) goto fail;
    g->windows[w] = nw;
    g->window_cap[w] = cap;
  }
  if (sl__map_put(&g->cache, c->key, c) != 0) goto fail;
  g->windows[w][g->window_n[w]++] = c;
  return;
fail:
  g->failed = SL_ENOMEM;
  cached_free(g, c);
}

static void cache_shift(sl_gossip *g) {
  size_t last = (size_t)g->p.mcache_len - 1;
  for (size_t k = 0; k < g->window_n[last]; k++) {
    sl__cached *c = g->windows[last][k];
    sl__map_remove(&g->cache, c->key);
    cached_free(g, c);
  }
  sl__cached **old = g->windows[last];
  size_t old_cap = g->window_cap[last];
  memmove(g->windows + 1, g->windows, last * sizeof *g->windows);
  memmove(g->window_n + 1, g->window_n, last * sizeof *g->window_n);
  memmove(g->window_cap + 1, g->window_cap, last * sizeof *g->window_cap);
  g->windows[0] = old;
  g->window_n[0] = 0;
  g->window_cap[0] = old_cap;
  sl__map_compact(&g->cache);
}

/* ------------------------------------------------------------------ seen */

static sl__seen *seen_add(sl_gossip *g, const char *key, uint64_t expire_ms) {
  sl__seen *s = calloc(1, sizeof *s);
  if (s) s->key = dupstr(key);
  if (!s || !s->key || sl__map_put(&g->seen, key, s) != 0) {
    if (s) free(s->key);
    free(s);
    g->failed = SL_ENOMEM;
    return NULL;
  }
  s->first_ms = g->now_ms;
  s->expire_ms = expire_ms;
  /* A list in the order added: expiry walks it from the head (seen_expire). */
  if (g->seen_tail)
    g->seen_tail->next = s;
  else
    g->seen_head = s;
  g->seen_tail = s;
  return s;
}

static void seen_expire(sl_gossip *g) {
  /* Pops from the head while expired; an entry held longer (pending, or a
   * future-dated expiry) stops the walk until it too is due, which keeps
   * every entry at least its own lifetime. */
  while (g->seen_head && g->seen_head->expire_ms <= g->now_ms &&
         g->seen_head->state != SL__SEEN_PENDING) {
    sl__seen *s = g->seen_head;
    g->seen_head = s->next;
    if (!g->seen_head) g->seen_tail = NULL;
    sl__map_remove(&g->seen, s->key);
    free(s->key);
    free(s);
  }
  sl__map_compact(&g->seen);
}

/* ------------------------------------------------------------ lifecycle */

void sl_gossip_params_default(sl_gossip_params *p) {
  memset(p, 0, sizeof *p);
  p->d = 6, p->d_lo = 4, p->d_hi = 12, p->d_score = 4, p->d_out = 2, p->d_lazy = 6;
  p->heartbeat_ms = 1000, p->fanout_ttl_ms = 60000, p->seen_ttl_ms = 120000;
  p->prune_backoff_ms = 60000, p->unsubscribe_backoff_ms = 10000, p->iwant_followup_ms = 3000;
  p->mcache_len = 5, p->mcache_gossip = 3;
  p->max_ihave_len = 5000, p->max_ihave_messages = 10, p->max_idontwant = 5000;
  p->gossip_retransmission = 3, p->prune_peers = 16;
  p->opportunistic_graft_ticks = 60, p->opportunistic_graft_peers = 2;
  p->max_peer_topics = 128;
  p->idontwant_threshold = 1024;
  p->max_message_bytes = 128 * 1024;
  p->max_rpc_bytes = SL_FRAME_DEFAULT_MAX_PAYLOAD;
  p->max_pending = 1024, p->validation_timeout_ms = 5000;
  p->retain_score_ms = 600000;
  p->flood_publish = 1;
  p->gossip_threshold = -10, p->publish_threshold = -50, p->graylist_threshold = -80;
  p->accept_px_threshold = 10, p->opportunistic_graft_threshold = 1;
  p->behaviour_penalty_weight = -10, p->behaviour_penalty_threshold = 1;
  p->behaviour_penalty_decay = 0.99;
  p->app_specific_weight = 1;
  p->topic_score_cap = 50;
  sl_gossip_topic_params *t = &p->topic;
  t->topic_weight = 1;
  t->time_in_mesh_weight = 0.01, t->time_in_mesh_quantum_ms = 1000, t->time_in_mesh_cap = 3600;
  t->first_deliveries_weight = 1, t->first_deliveries_decay = 0.99, t->first_deliveries_cap = 20;
  /* P3 and P3b are off by default: a topic's expected message rate is the
   * application's knowledge, and a wrong threshold prunes honest peers. */
  t->mesh_deliveries_weight = 0, t->mesh_deliveries_decay = 0.97, t->mesh_deliveries_cap = 100;
  t->mesh_deliveries_threshold = 1, t->mesh_deliveries_window_ms = 10;
  t->mesh_deliveries_activation_ms = 5000;
  t->mesh_failure_weight = 0, t->mesh_failure_decay = 0.97;
  t->invalid_deliveries_weight = -10, t->invalid_deliveries_decay = 0.99;
}

static bool params_ok(const sl_gossip_params *p) {
  return p->d_lo >= 1 && p->d_lo <= p->d && p->d <= p->d_hi && p->d_hi <= 1000 && p->d_score >= 0 &&
         p->d_score <= p->d && p->d_out >= 0 && p->d_out < p->d_lo && p->d_lazy >= 0 &&
         p->heartbeat_ms >= 10 && p->mcache_len >= 1 && p->mcache_len <= 64 &&
         p->mcache_gossip >= 0 && p->mcache_gossip <= p->mcache_len && p->max_ihave_len >= 0 &&
         p->max_ihave_messages >= 0 && p->max_idontwant >= 0 && p->gossip_retransmission >= 1 &&
         p->prune_peers >= 0 && p->prune_peers <= 64 && p->max_peer_topics >= 1 &&
         p->max_message_bytes >= 1 && p->max_rpc_bytes >= p->max_message_bytes + 1024 &&
         p->max_rpc_bytes <= SL_FRAME_ABSOLUTE_MAX_PAYLOAD && p->opportunistic_graft_ticks >= 1 &&
         p->seen_ttl_ms >= p->heartbeat_ms && p->graylist_threshold <= p->publish_threshold &&
         p->publish_threshold <= p->gossip_threshold && p->gossip_threshold <= 0;
}

/* The hash key of map k, from the seed (so a seed still replays a run
 * exactly) through SipHash keyed by the seed (a PRF, and the maps' own
 * hash: nothing more in the module), so the rng's outputs, which peers
 * may come to guess from its choices, say nothing about it. */
static void map_key(uint64_t seed, size_t k, uint8_t key[16]) {
  uint8_t prf_key[crypto_shorthash_KEYBYTES] = {0};
  memcpy(prf_key, &seed, 8);
  prf_key[8] = (uint8_t)k;
  crypto_shorthash(key, (const unsigned char *)"map-key-0", 9, prf_key);
  crypto_shorthash(key + 8, (const unsigned char *)"map-key-1", 9, prf_key);
}

int sl_gossip_new(sl_gossip **out, const sl_identity *id, const sl_gossip_params *p, uint64_t seed,
                  uint64_t now_ms) {
  if (!out || !id) return SL_EINVAL;
  *out = NULL;
  sl_gossip_params def;
  if (!p) {
    sl_gossip_params_default(&def);
    p = &def;
  }
  if (!params_ok(p)) return SL_EINVAL;
  sl_gossip *g = calloc(1, sizeof *g);
  if (!g) return SL_ENOMEM;
  g->id = id;
  g->p = *p;
  g->rng = seed;
  g->now_ms = now_ms;
  g->next_heartbeat_ms = now_ms + p->heartbeat_ms;
  g->seqno = now_ms << SEQNO_TIME_SHIFT;
  sl__peer_id_raw(sl_identity_public_key(id), g->raw_id);
  sl__map *maps[] = {&g->peer_index, &g->topic_index, &g->cache,
                     &g->seen,       &g->pending,     &g->promises};
  for (size_t k = 0; k < sizeof maps / sizeof *maps; k++) {
    uint8_t key[16];
    map_key(seed, k, key);
    sl__map_init(maps[k], key);
  }
  map_key(seed, sizeof maps / sizeof *maps, g->dont_send_key); /* every peer's IDONTWANT ids */
  size_t w = (size_t)p->mcache_len;
  g->windows = calloc(w, sizeof *g->windows);
  g->window_n = calloc(w, sizeof *g->window_n);
  g->window_cap = calloc(w, sizeof *g->window_cap);
  if (!g->windows || !g->window_n || !g->window_cap) {
    sl_gossip_free(g);
    return SL_ENOMEM;
  }
  *out = g;
  return 0;
}

static void peer_clear(sl__peer *p) {
  idx_free(&p->topics);
  free(p->stats);
  free(p->backoff);
  free(p->record);
  sl__map_free(&p->dont_send);
  sl__pbw_free(&p->out_subs);
  sl__pbw_free(&p->out_msgs);
  sl__pbw_free(&p->out_ctl);
  memset(p, 0, sizeof *p);
}

static void pending_free(sl_gossip *g, sl__pending *pd) {
  cached_free(g, pd->msg);
  idx_free(&pd->also_from);
  free(pd);
}

void sl_gossip_free(sl_gossip *g) {
  if (!g) return;
  for (size_t i = 0; i < g->n_peers; i++)
    peer_clear(&g->peers[i]);
  free(g->peers);
  const char *k;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&g->pending, pos, &k, &v));)
    pending_free(g, v);
  for (size_t w = 0; g->windows && w < (size_t)g->p.mcache_len; w++) {
    for (size_t j = 0; j < g->window_n[w]; j++)
      cached_free(g, g->windows[w][j]);
    free(g->windows[w]);
  }
  for (size_t t = 0; t < g->n_topics; t++) {
    free(g->topics[t].name);
    idx_free(&g->topics[t].peers);
    idx_free(&g->topics[t].mesh);
    idx_free(&g->topics[t].fanout);
  }
  free(g->topics);
  free(g->windows);
  free(g->window_n);
  free(g->window_cap);
  for (sl__seen *s = g->seen_head, *n; s; s = n) {
    n = s->next;
    free(s->key);
    free(s);
  }
  for (size_t pos = 0; (pos = sl__map_next(&g->promises, pos, &k, &v));)
    free(v);
  for (size_t e = 0; e < g->ev_count; e++) {
    free(g->events[g->ev_head + e].owned);
    free(g->events[g->ev_head + e].owned_data);
  }
  free(g->events);
  free(g->ev_last);
  free(g->ev_last_data);
  idx_free(&g->dirty);
  sl__map_free(&g->peer_index);
  sl__map_free(&g->topic_index);
  sl__map_free(&g->cache);
  sl__map_free(&g->seen);
  sl__map_free(&g->pending);
  sl__map_free(&g->promises);
  free(g);
}

/* ----------------------------------------------------------- peers, API */

int sl_gossip_add_peer(sl_gossip *g, const char *peer_id, int outbound) {
  uint8_t pk[32];
  if (!g || !peer_id || sl__peer_id_decode(peer_id, strlen(peer_id), pk) != 0) return SL_EINVAL;
  if (g->failed) return g->failed;
  uint32_t i = peer_find(g, peer_id);
  if (i == SL__NONE) {
    size_t slot = g->n_peers;
    for (size_t k = 0; k < g->n_peers; k++)
      if (!g->peers[k].used) {
        slot = k;
        break;
      }
    if (slot == g->n_peers) {
      sl__peer *np = realloc(g->peers, (g->n_peers + 1) * sizeof *np);
      if (!np) return SL_ENOMEM;
      g->peers = np;
      g->n_peers++;
    }
    sl__peer *p = &g->peers[slot];
    memset(p, 0, sizeof *p);
    if (sl__map_put(&g->peer_index, peer_id, (void *)(uintptr_t)(slot + 1)) != 0) {
      if (slot == g->n_peers - 1) g->n_peers--;
      return SL_ENOMEM;
    }
    strcpy(p->id, peer_id);
    sl__peer_id_raw(pk, p->raw_id);
    p->used = true;
    sl__map_init(&p->dont_send, g->dont_send_key);
    sl__pbw_init(&p->out_subs, g->p.max_rpc_bytes);
    sl__pbw_init(&p->out_msgs, g->p.max_rpc_bytes);
    sl__pbw_init(&p->out_ctl, g->p.max_rpc_bytes);
    i = (uint32_t)slot;
  }
  sl__peer *p = peer_at(g, i);
  if (p->connected) return 0;
  p->connected = true;
  p->outbound = outbound != 0;
  for (size_t t = 0; t < g->n_topics; t++)
    if (g->topics[t].name && g->topics[t].subscribed) out_sub(g, i, g->topics[t].name, true);
  flush_all(g);
  return g->failed;
}

static void forget_topics(sl_gossip *g, uint32_t i) {
  for (uint32_t t = 0; t < g->n_topics; t++) {
    if (!g->topics[t].name) continue;
    mesh_remove(g, t, i);
    idx_remove(&g->topics[t].peers, i);
    idx_remove(&g->topics[t].fanout, i);
  }
  peer_at(g, i)->topics.n = 0;
}

int sl_gossip_remove_peer(sl_gossip *g, const char *peer_id) {
  if (!g) return SL_EINVAL;
  uint32_t i = peer_find(g, peer_id);
  if (i == SL__NONE || !g->peers[i].connected) return SL_EGOSSIP_UNKNOWN_PEER;
  forget_topics(g, i);
  sl__peer *p = peer_at(g, i);
  p->connected = false;
  p->gone_ms = g->now_ms;
  p->out_subs.len = p->out_msgs.len = p->out_ctl.len = 0;
  sl__map_free(&p->dont_send);
  const char *k;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&g->promises, pos, &k, &v));)
    if (((sl__promise *)v)->peer == i) free(sl__map_remove(&g->promises, k));
  return 0;
}

/* ------------------------------------------------------------- receiving */

static void handle_sub(sl_gossip *g, uint32_t i, const sl__rpc_sub *s) {
  char name[SL_GOSSIP_MAX_TOPIC + 1];
  topic_cstr(&s->topic, name);
  uint32_t t = s->subscribe ? topic_get(g, name) : topic_find(g, name);
  if (t == SL__NONE) {
    if (s->subscribe) refuse(g, i, SL_EGOSSIP_LIMIT, name);
    return;
  }
  sl__peer *p = peer_at(g, i);
  if (s->subscribe) {
    if (idx_has(&p->topics, t)) return;
    if (p->topics.n >= (size_t)g->p.max_peer_topics) {
      refuse(g, i, SL_EGOSSIP_LIMIT, name);
      penalise(g, i, 1);
      topic_maybe_free(g, t);
      return;
    }
    if (idx_add(g, &p->topics, t)) idx_add(g, &g->topics[t].peers, i);
  } else if (idx_remove(&p->topics, t)) {
    mesh_remove(g, t, i);
    idx_remove(&g->topics[t].peers, i);
    idx_remove(&g->topics[t].fanout, i);
    topic_maybe_free(g, t);
  }
}

static void forward(sl_gossip *g, const sl__cached *c, uint32_t source, const sl__idx *also) {
  sl__topic *tp = &g->topics[c->topic];
  for (size_t k = 0; k < tp->mesh.n; k++) {
    uint32_t j = tp->mesh.v[k];
    if (j == source || (also && idx_has(also, j))) continue;
    if (sl__map_get(&g->peers[j].dont_send, c->key)) continue;
    out_msg(g, j, c);
    g->stats.forwarded++;
  }
}

static void deliver(sl_gossip *g, sl__cached *c, uint32_t source, const sl__idx *also,
                    const char *author) {
  g->stats.delivered++;
  /* P2 and P3 count valid messages only: the first to bring it. */
  if (source != SL__NONE) {
    sl__topic_stats *st = sl__stats_get(g, peer_at(g, source), c->topic, true);
    const sl_gossip_topic_params *tp = sl__topic_params(g, c->topic);
    if (st && st->first_deliveries < tp->first_deliveries_cap) st->first_deliveries += 1;
    if (st && st->in_mesh && st->mesh_deliveries < tp->mesh_deliveries_cap)
      st->mesh_deliveries += 1;
  }
  emit(g, SL_GOSSIP_MESSAGE, 0, 0, source == SL__NONE ? NULL : g->peers[source].id,
       g->topics[c->topic].name, author, c->id, c->id_len, c->msg + c->data_off, c->data_len,
       false);
  forward(g, c, source, also);
  cache_put(g, c);
}

static void invalid_delivery(sl_gossip *g, uint32_t i, uint32_t t) {
  if (i == SL__NONE || t == SL__NONE) return;
  sl__topic_stats *s = sl__stats_get(g, peer_at(g, i), t, true);
  if (s) s->invalid += 1;
}

/* A duplicate: counts toward mesh deliveries when near-first, costs P4
 * when the message was rejected, and is never sent back to this peer. */
static void duplicate(sl_gossip *g, uint32_t i, sl__seen *s, const char *key) {
  g->stats.duplicates++;
  sl__pending *pd = NULL;
  sl__cached *c = sl__map_get(&g->cache, key);
  if (s->state == SL__SEEN_PENDING) {
    pd = s->pending;
    if (pd && pd->source != i && !idx_has(&pd->also_from, i)) idx_add(g, &pd->also_from, i);
    return;
  }
  if (s->state == SL__SEEN_REJECTED && c) invalid_delivery(g, i, c->topic);
  if (s->state == SL__SEEN_ACCEPTED && c) {
    sl__topic_stats *st = sl__stats_get(g, peer_at(g, i), c->topic, false);
    const sl_gossip_topic_params *tp = sl__topic_params(g, c->topic);
    if (st && st->in_mesh && (double)(g->now_ms - s->first_ms) <= tp->mesh_deliveries_window_ms &&
        st->mesh_deliveries < tp->mesh_deliveries_cap)
      st->mesh_deliveries += 1;
  }
}

static uint64_t seqno_of(const sl__rpc_msg *m) {
  uint64_t v = 0;
  for (size_t k = 0; k < 8; k++)
    v = v << 8 | m->seqno.p[k];
  return v;
}

/* The seen cache catches copies while it remembers them. A seqno whose
 * top bits are a time near ours (Starling's own, see SEQNO_TIME_SHIFT) is
 * also held to the skew window, and its seen entry outlives that window,
 * so a copy replayed later is refused too. Other authors' seqnos (random
 * starts, as js-libp2p's) are opaque and have only the seen cache. */
static int replay_check(const sl_gossip *g, const sl__rpc_msg *m, uint64_t *expire) {
  uint64_t ts = seqno_of(m) >> SEQNO_TIME_SHIFT, now = g->now_ms;
  *expire = now + g->p.seen_ttl_ms;
  if (ts + DAY_MS < now || ts > now + DAY_MS) return 0; /* not a time */
  if (ts + REPLAY_SKEW_MS < now || ts > now + REPLAY_SKEW_MS) return SL_EGOSSIP_REPLAY;
  if (ts + REPLAY_SKEW_MS + g->p.heartbeat_ms > *expire)
    *expire = ts + REPLAY_SKEW_MS + g->p.heartbeat_ms;
  return 0;
}

static void handle_msg(sl_gossip *g, uint32_t i, const sl__rpc_msg *m) {
  char name[SL_GOSSIP_MAX_TOPIC + 1];
  topic_cstr(&m->topic, name);
  uint32_t t = topic_find(g, name);
  if (t == SL__NONE || !g->topics[t].subscribed) {
    refuse(g, i, SL_EGOSSIP_UNSUBSCRIBED, name);
    penalise(g, i, 0.25);
    return;
  }
  if (m->data.len > g->p.max_message_bytes) {
    refuse(g, i, SL_EGOSSIP_LIMIT, name);
    invalid_delivery(g, i, t);
    return;
  }
  /* Shape before the id: from || seqno needs both. */
  if ((m->has & (SL__HAS_FROM | SL__HAS_SEQNO | SL__HAS_SIGNATURE)) !=
          (SL__HAS_FROM | SL__HAS_SEQNO | SL__HAS_SIGNATURE) ||
      m->from.len != SL__PEER_ID_RAW_BYTES || m->seqno.len != 8) {
    refuse(g, i, SL_EGOSSIP_SIGNATURE, name);
    invalid_delivery(g, i, t);
    return;
  }
  /* Our own messages come back through the mesh: never delivered to us. */
  if (!memcmp(m->from.p, g->raw_id, sizeof g->raw_id)) return;
  uint8_t id[SL_GOSSIP_MAX_ID];
  size_t id_len = sl__gossip_message_id(m, g->p.content_id, id);
  char key[HEX_BYTES];
  hex(id, id_len, key);
  sl__seen *s = sl__map_get(&g->seen, key);
  if (s) {
    duplicate(g, i, s, key);
    return;
  }
  /* Verified before it is marked seen, so a forged copy cannot make us
   * drop the real one. */
  uint8_t pk[32];
  int rc = sl__gossip_verify(m, pk);
  uint64_t expire = 0;
  if (rc == 0) rc = replay_check(g, m, &expire);
  if (rc) {
    refuse(g, i, rc, name);
    invalid_delivery(g, i, t);
    return;
  }
  if (!(s = seen_add(g, key, expire))) return;
  sl__promise *pr = sl__map_remove(&g->promises, key);
  free(pr);
  /* v1.2: tell the mesh at once, before validation, for large messages. */
  if (m->data.len >= g->p.idontwant_threshold) {
    const sl__bytes one = {id, id_len};
    sl__topic *tpc = &g->topics[t];
    for (size_t k = 0; k < tpc->mesh.n; k++)
      if (tpc->mesh.v[k] != i) {
        out_ids(g, tpc->mesh.v[k], 5, NULL, &one, 1);
        g->stats.idontwant_out++;
      }
  }
  size_t data_off = m->data.len ? (size_t)(m->data.p - m->raw.p) : 0;
  sl__cached *c = cached_new(g, id, id_len, key, t, m->raw.p, m->raw.len, data_off, m->data.len);
  if (!c) return;
  char author[SL_PEER_ID_BYTES];
  if (sl_peer_id_from_public_key(pk, author) != 0) author[0] = '\0';
  if (!g->topics[t].validate) {
    s->state = SL__SEEN_ACCEPTED;
    deliver(g, c, i, NULL, author);
    return;
  }
  if (g->pending.count >= g->p.max_pending) {
    s->state = SL__SEEN_IGNORED; /* not penalised: the backlog is ours */
    g->stats.ignored++;
    cached_free(g, c);
    return;
  }
  sl__pending *pd = calloc(1, sizeof *pd);
  char hk[16];
  if (!pd) goto oom;
  pd->handle = ++g->next_handle ? g->next_handle : ++g->next_handle;
  pd->deadline_ms = g->now_ms + g->p.validation_timeout_ms;
  pd->seen = s;
  pd->msg = c;
  pd->source = i;
  strcpy(pd->author, author);
  sl__utoa(pd->handle, hk);
  if (sl__map_put(&g->pending, hk, pd) != 0) goto oom;
  s->pending = pd;
  emit(g, SL_GOSSIP_VALIDATE, 0, pd->handle, g->peers[i].id, name, author, id, id_len, m->data.p,
       m->data.len, false);
  return;
oom:
  free(pd);
  cached_free(g, c);
  s->state = SL__SEEN_IGNORED;
  g->failed = SL_ENOMEM;
}

static void handle_ihave(sl_gossip *g, uint32_t i, const sl__rpc *rpc) {
  sl__peer *p = peer_at(g, i);
  if (!rpc->n_ihave || score_of(g, i) < g->p.gossip_threshold) return;
  sl__bytes want[256];
  size_t n = 0;
  for (size_t h = 0; h < rpc->n_ihave; h++) {
    if (++p->ihave_in > (unsigned)g->p.max_ihave_messages) {
      if (p->ihave_in == (unsigned)g->p.max_ihave_messages + 1)
        refuse(g, i, SL_EGOSSIP_LIMIT, NULL);
      break;
    }
    const sl__rpc_ihave *ih = &rpc->ihave[h];
    char name[SL_GOSSIP_MAX_TOPIC + 1];
    topic_cstr(&ih->topic, name);
    uint32_t t = topic_find(g, name);
    if (t == SL__NONE || !g->topics[t].subscribed) continue;
    for (size_t k = 0; k < ih->count; k++) {
      if (p->iasked >= (unsigned)g->p.max_ihave_len) break;
      const sl__bytes *id = &rpc->ihave_ids[ih->first + k];
      char key[HEX_BYTES];
      hex(id->p, id->len, key);
      if (sl__map_get(&g->seen, key) || sl__map_get(&g->promises, key)) continue;
      /* Several promises per IWANT: each id asked is tracked, and each
       * one not delivered in time is a broken promise. */
      sl__promise *pr = malloc(sizeof *pr);
      if (!pr) {
        g->failed = SL_ENOMEM;
        return;
      }
      pr->peer = i;
      pr->deadline_ms = g->now_ms + g->p.iwant_followup_ms;
      if (sl__map_put(&g->promises, key, pr) != 0) {
        free(pr);
        g->failed = SL_ENOMEM;
        return;
      }
      p->iasked++;
      want[n++] = *id;
      if (n == 256) {
        out_ids(g, i, 2, NULL, want, n);
        g->stats.iwant_out++;
        n = 0;
      }
    }
  }
  if (n) {
    out_ids(g, i, 2, NULL, want, n);
    g->stats.iwant_out++;
  }
}

static void handle_iwant(sl_gossip *g, uint32_t i, const sl__rpc *rpc) {
  if (!rpc->n_iwant || score_of(g, i) < g->p.gossip_threshold) return;
  size_t unadvertised = 0;
  for (size_t k = 0; k < rpc->n_iwant; k++) {
    char key[HEX_BYTES];
    hex(rpc->iwant_ids[k].p, rpc->iwant_ids[k].len, key);
    sl__cached *c = sl__map_get(&g->cache, key);
    if (!c || !idx_has(&c->advertised, i)) {
      unadvertised++;
      continue;
    }
    if (idx_count(&c->served, i) >= (size_t)g->p.gossip_retransmission) continue;
    idx_add(g, &c->served, i);
    out_msg(g, i, c);
    g->stats.iwant_served++;
  }
  if (unadvertised) {
    refuse(g, i, SL_EGOSSIP_LIMIT, NULL);
    penalise(g, i, 1);
  }
}

static void handle_graft(sl_gossip *g, uint32_t i, const sl__rpc *rpc) {
  for (size_t k = 0; k < rpc->n_graft; k++) {
    char name[SL_GOSSIP_MAX_TOPIC + 1];
    topic_cstr(&rpc->graft[k], name);
    uint32_t t = topic_find(g, name);
    if (t == SL__NONE || !g->topics[t].subscribed) {
      /* Not a topic of ours: nothing to prune with a backoff for. */
      continue;
    }
    sl__peer *p = peer_at(g, i);
    if (idx_has(&g->topics[t].mesh, i)) continue;
    if (!idx_has(&p->topics, t)) continue; /* a mesh is made of subscribers */
    if (in_backoff(g, p, t)) {
      /* Grafting during a backoff we asked for is a protocol violation. */
      penalise(g, i, 1);
      refuse(g, i, SL_EGOSSIP_LIMIT, name);
      send_prune(g, i, t, false, g->p.prune_backoff_ms);
      continue;
    }
    double sc = score_of(g, i);
    if (sc < 0) {
      send_prune(g, i, t, false, g->p.prune_backoff_ms);
      continue;
    }
    if (g->topics[t].mesh.n >= (size_t)g->p.d_hi && !p->outbound) {
      send_prune(g, i, t, true, g->p.prune_backoff_ms);
      continue;
    }
    mesh_add(g, t, i);
  }
}

static void handle_prune(sl_gossip *g, uint32_t i, const sl__rpc *rpc) {
  for (size_t k = 0; k < rpc->n_prune; k++) {
    const sl__rpc_prune *pr = &rpc->prune[k];
    char name[SL_GOSSIP_MAX_TOPIC + 1];
    topic_cstr(&pr->topic, name);
    uint32_t t = topic_find(g, name);
    if (t == SL__NONE) continue;
    mesh_remove(g, t, i);
    uint64_t backoff = pr->has_backoff ? pr->backoff_s : g->p.prune_backoff_ms / 1000;
    if (backoff > 3600) backoff = 3600; /* an hour at most: a peer cannot exile us for ever */
    set_backoff(g, peer_at(g, i), t, g->now_ms + backoff * 1000);
    if (!pr->n_px || score_of(g, i) < g->p.accept_px_threshold) continue;
    size_t offered = 0;
    for (size_t x = 0; x < pr->n_px && offered < (size_t)g->p.prune_peers; x++) {
      const sl__rpc_px *px = &rpc->px[pr->first_px + x];
      uint8_t pk[32];
      char id[SL_PEER_ID_BYTES];
      if (sl__peer_id_raw_key(px->peer.p, px->peer.len, pk) != 0 ||
          sl_peer_id_from_public_key(pk, id) != 0)
        continue;
      uint32_t j = peer_find(g, id);
      if (!memcmp(px->peer.p, g->raw_id, sizeof g->raw_id) ||
          (j != SL__NONE && g->peers[j].connected))
        continue;
      emit(g, SL_GOSSIP_PEER_EXCHANGE, 0, 0, g->peers[i].id, name, id, NULL, 0, px->record.p,
           px->record.len, false);
      offered++;
    }
  }
}

static void handle_idontwant(sl_gossip *g, uint32_t i, const sl__rpc *rpc) {
  sl__peer *p = peer_at(g, i);
  for (size_t k = 0; k < rpc->n_idontwant; k++) {
    if (p->idontwant_in >= (unsigned)g->p.max_idontwant) return;
    p->idontwant_in++;
    char key[HEX_BYTES];
    hex(rpc->idontwant_ids[k].p, rpc->idontwant_ids[k].len, key);
    if (sl__map_put(&p->dont_send, key, (void *)(uintptr_t)(g->heartbeats + 1)) != 0) {
      g->failed = SL_ENOMEM;
      return;
    }
  }
}

int sl_gossip_receive(sl_gossip *g, const char *peer_id, const uint8_t *buf, size_t len) {
  if (!g || (!buf && len)) return SL_EINVAL;
  if (g->failed) return g->failed;
  uint32_t i = peer_find(g, peer_id);
  if (i == SL__NONE || !g->peers[i].connected) return SL_EGOSSIP_UNKNOWN_PEER;
  g->stats.rpcs_in++;
  g->stats.bytes_in += len;
  int rc = 0;
  if (score_of(g, i) < g->p.graylist_threshold) {
    rc = SL_EGOSSIP_GRAYLISTED;
    refuse(g, i, rc, NULL);
    goto out;
  }
  if (len > g->p.max_rpc_bytes) {
    rc = SL_EGOSSIP_LIMIT;
    refuse(g, i, rc, NULL);
    penalise(g, i, 1);
    goto out;
  }
  sl__rpc rpc;
  if ((rc = sl__rpc_decode(buf, len, NULL, &rpc)) != 0) {
    if (rc == SL_ENOMEM) return rc;
    refuse(g, i, rc, NULL);
    penalise(g, i, 1);
    goto out;
  }
  for (size_t k = 0; k < rpc.n_subs; k++)
    handle_sub(g, i, &rpc.subs[k]);
  handle_idontwant(g, i, &rpc);
  for (size_t k = 0; k < rpc.n_msgs; k++)
    handle_msg(g, i, &rpc.msgs[k]);
  handle_ihave(g, i, &rpc);
  handle_iwant(g, i, &rpc);
  handle_graft(g, i, &rpc);
  handle_prune(g, i, &rpc);
  sl__rpc_free(&rpc);
out:
  flush_all(g);
  return g->failed ? g->failed : rc;
}

/* -------------------------------------------------------- subscriptions */

int sl_gossip_subscribe(sl_gossip *g, const char *topic) {
  if (!g || !topic_name_ok(topic)) return g ? SL_EGOSSIP_TOPIC : SL_EINVAL;
  if (g->failed) return g->failed;
  uint32_t t = topic_get(g, topic);
  if (t == SL__NONE) return g->failed ? g->failed : SL_EGOSSIP_LIMIT;
  sl__topic *tp = &g->topics[t];
  if (tp->subscribed) return 0;
  tp->subscribed = true;
  /* The mesh starts from the fanout peers, then other subscribers. */
  for (size_t k = 0; k < tp->fanout.n && tp->mesh.n < (size_t)g->p.d; k++) {
    uint32_t i = tp->fanout.v[k];
    if (!in_backoff(g, &g->peers[i], t) && score_of(g, i) >= 0) mesh_add(g, t, i);
  }
  tp->fanout.n = 0;
  tp->fanout_last_ms = 0;
  uint32_t cand[1024];
  size_t n = candidates(g, t, &tp->mesh, 0, false, cand, 1024);
  for (size_t k = 0; k < n && g->topics[t].mesh.n < (size_t)g->p.d; k++)
    mesh_add(g, t, cand[k]);
  for (size_t i = 0; i < g->n_peers; i++)
    if (g->peers[i].connected) out_sub(g, (uint32_t)i, topic, true);
  for (size_t k = 0; k < g->topics[t].mesh.n; k++)
    send_graft(g, g->topics[t].mesh.v[k], t);
  flush_all(g);
  return g->failed;
}

int sl_gossip_unsubscribe(sl_gossip *g, const char *topic) {
  if (!g || !topic) return SL_EINVAL;
  if (g->failed) return g->failed;
  uint32_t t = topic_find(g, topic);
  if (t == SL__NONE || !g->topics[t].subscribed) return 0;
  g->topics[t].subscribed = false;
  for (size_t i = 0; i < g->n_peers; i++)
    if (g->peers[i].connected) out_sub(g, (uint32_t)i, topic, false);
  while (g->topics[t].mesh.n) {
    uint32_t i = g->topics[t].mesh.v[0];
    send_prune(g, i, t, false, g->p.unsubscribe_backoff_ms);
    mesh_remove(g, t, i);
  }
  flush_all(g);
  topic_maybe_free(g, t);
  return g->failed;
}

int sl_gossip_set_validation(sl_gossip *g, const char *topic, int on) {
  if (!g || !topic_name_ok(topic)) return g ? SL_EGOSSIP_TOPIC : SL_EINVAL;
  uint32_t t = on ? topic_get(g, topic) : topic_find(g, topic);
  if (t == SL__NONE) return on ? (g->failed ? g->failed : SL_EGOSSIP_LIMIT) : 0;
  g->topics[t].validate = on != 0;
  if (!on) topic_maybe_free(g, t);
  return 0;
}

int sl_gossip_set_topic_params(sl_gossip *g, const char *topic, const sl_gossip_topic_params *tp) {
  if (!g || !tp || !topic_name_ok(topic)) return SL_EINVAL;
  uint32_t t = topic_get(g, topic);
  if (t == SL__NONE) return g->failed ? g->failed : SL_EGOSSIP_LIMIT;
  g->topics[t].params = *tp;
  g->topics[t].has_params = true;
  return 0;
}

/* --------------------------------------------------------------- publish */

int sl_gossip_publish(sl_gossip *g, const char *topic, const uint8_t *data, size_t len,
                      int allow_no_peers, uint8_t *id_out, size_t *id_len_out, size_t *recipients) {
  if (!g || (!data && len)) return SL_EINVAL;
  if (!topic_name_ok(topic)) return SL_EGOSSIP_TOPIC;
  if (g->failed) return g->failed;
  if (len > g->p.max_message_bytes) return SL_EGOSSIP_LIMIT;
  if (recipients) *recipients = 0;
  uint32_t t = topic_get(g, topic);
  if (t == SL__NONE) return g->failed ? g->failed : SL_EGOSSIP_LIMIT;
  uint64_t seq = g->now_ms << SEQNO_TIME_SHIFT;
  g->seqno = seq > g->seqno ? seq : g->seqno + 1;
  uint8_t seqno[8], sig[64];
  for (int k = 0; k < 8; k++)
    seqno[k] = (uint8_t)(g->seqno >> (56 - 8 * k));
  sl__rpc_msg m;
  memset(&m, 0, sizeof m);
  m.from = (sl__bytes){g->raw_id, sizeof g->raw_id};
  m.data = (sl__bytes){data, len};
  m.seqno = (sl__bytes){seqno, 8};
  m.topic = (sl__bytes){(const uint8_t *)topic, strlen(topic)};
  m.has = SL__HAS_FROM | SL__HAS_DATA | SL__HAS_SEQNO | SL__HAS_TOPIC;
  if (sl__gossip_sign(g->id, &m, sig) != 0) return SL_ENOMEM;
  m.signature = (sl__bytes){sig, 64};
  m.has |= SL__HAS_SIGNATURE;
  sl__pbw w;
  sl__pbw_init(&w, sl__rpc_message_len(&m, true));
  sl__rpc_message_write(&w, &m, true);
  if (w.failed) {
    sl__pbw_free(&w);
    return SL_ENOMEM;
  }
  uint8_t id[SL_GOSSIP_MAX_ID];
  size_t id_len = sl__gossip_message_id(&m, g->p.content_id, id);
  char key[HEX_BYTES];
  hex(id, id_len, key);

  /* Recipients: every subscriber above the publish threshold (flood
   * publishing), else the mesh, else the fanout. */
  sl__topic *tp = &g->topics[t];
  uint32_t to[1024];
  size_t n = 0;
  if (g->p.flood_publish) {
    for (size_t k = 0; k < tp->peers.n && n < 1024; k++)
      if (score_of(g, tp->peers.v[k]) >= g->p.publish_threshold) to[n++] = tp->peers.v[k];
  } else if (tp->subscribed) {
    for (size_t k = 0; k < tp->mesh.n; k++)
      to[n++] = tp->mesh.v[k];
  } else {
    if (!tp->fanout.n) {
      n = candidates(g, t, &tp->fanout, g->p.publish_threshold, false, to, 1024);
      if (n > (size_t)g->p.d) n = (size_t)g->p.d;
      for (size_t k = 0; k < n; k++)
        idx_add(g, &g->topics[t].fanout, to[k]);
    }
    tp = &g->topics[t];
    n = 0;
    for (size_t k = 0; k < tp->fanout.n; k++)
      to[n++] = tp->fanout.v[k];
  }
  if (!tp->subscribed) tp->fanout_last_ms = g->now_ms ? g->now_ms : 1;
  if (!n && !allow_no_peers) {
    sl__pbw_free(&w);
    topic_maybe_free(g, t);
    return SL_EGOSSIP_NO_PEERS;
  }
  sl__seen *s = seen_add(g, key, g->now_ms + g->p.seen_ttl_ms);
  /* Our encoding puts data right after from (sl__rpc_message_write). */
  size_t data_off = sl__pb_bytes_len(1, sizeof g->raw_id) + sl__pb_bytes_len(2, len) - len;
  sl__cached *c = s ? cached_new(g, id, id_len, key, t, w.buf, w.len, data_off, len) : NULL;
  sl__pbw_free(&w);
  if (!c) return g->failed ? g->failed : SL_ENOMEM;
  s->state = SL__SEEN_ACCEPTED;
  for (size_t k = 0; k < n; k++)
    out_msg(g, to[k], c);
  cache_put(g, c);
  g->stats.published++;
  flush_all(g);
  if (id_out) memcpy(id_out, id, id_len);
  if (id_len_out) *id_len_out = id_len;
  if (recipients) *recipients = n;
  return g->failed;
}

/* ------------------------------------------------------------ validation */

static void settle(sl_gossip *g, sl__pending *pd, int verdict) {
  char hk[16];
  sl__utoa(pd->handle, hk);
  sl__map_remove(&g->pending, hk);
  sl__cached *c = pd->msg;
  pd->msg = NULL;
  pd->seen->pending = NULL;
  if (verdict == SL_GOSSIP_ACCEPT) {
    pd->seen->state = SL__SEEN_ACCEPTED;
    deliver(g, c, pd->source, &pd->also_from, pd->author);
  } else if (verdict == SL_GOSSIP_REJECT) {
    /* The source and every peer that forwarded it meanwhile pay P4. */
    pd->seen->state = SL__SEEN_REJECTED;
    g->stats.rejected++;
    if (pd->source < g->n_peers && g->peers[pd->source].used)
      invalid_delivery(g, pd->source, c->topic);
    for (size_t k = 0; k < pd->also_from.n; k++)
      invalid_delivery(g, pd->also_from.v[k], c->topic);
    if (g->peers[pd->source].connected)
      refuse(g, pd->source, SL_EGOSSIP_INVALID, g->topics[c->topic].name);
    cached_free(g, c);
  } else {
    pd->seen->state = SL__SEEN_IGNORED;
    g->stats.ignored++;
    cached_free(g, c);
  }
  pending_free(g, pd);
}

int sl_gossip_validated(sl_gossip *g, uint32_t handle, int verdict) {
  if (!g || verdict < SL_GOSSIP_ACCEPT || verdict > SL_GOSSIP_IGNORE) return SL_EINVAL;
  char hk[16];
  sl__utoa(handle, hk);
  sl__pending *pd = sl__map_get(&g->pending, hk);
  if (!pd) return SL_ESTATE; /* unknown, or timed out already */
  settle(g, pd, verdict);
  flush_all(g);
  return g->failed;
}

/* ------------------------------------------------------------- heartbeat */

/* Scores for sorting mesh members (computed once per heartbeat step). */
typedef struct scored {
  uint32_t i;
  double s;
} scored;

static int cmp_scored(const void *a, const void *b) {
  double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
  return x < y ? 1 : x > y ? -1 : 0;
}

static void prune_mesh_peer(sl_gossip *g, uint32_t t, uint32_t i, bool px) {
  send_prune(g, i, t, px, g->p.prune_backoff_ms);
  mesh_remove(g, t, i);
}

/* The mesh of t with each member's score, best first (equal scores in a
 * random order). NULL on ENOMEM (latched). */
static scored *mesh_by_score(sl_gossip *g, uint32_t t) {
  const sl__idx *mesh = &g->topics[t].mesh;
  size_t n = mesh->n;
  scored *sc = malloc((n ? n : 1) * sizeof *sc);
  if (!sc) {
    g->failed = SL_ENOMEM;
    return NULL;
  }
  for (size_t k = 0; k < n; k++)
    sc[k] = (scored){mesh->v[k], score_of(g, mesh->v[k])};
  for (size_t k = n; k > 1; k--) {
    size_t j = rng_below(g, k);
    scored x = sc[k - 1];
    sc[k - 1] = sc[j];
    sc[j] = x;
  }
  qsort(sc, n, sizeof *sc, cmp_scored);
  return sc;
}

/* Grafts candidates in order until `count` were added or the list ends. */
static void graft_some(sl_gossip *g, uint32_t t, const uint32_t *cand, size_t n, size_t count) {
  for (size_t k = 0; k < n && k < count; k++) {
    mesh_add(g, t, cand[k]);
    send_graft(g, cand[k], t);
  }
}

/* v1.1's mesh maintenance for one subscribed topic. */
static void maintain_mesh(sl_gossip *g, uint32_t t) {
  const sl_gossip_params *P = &g->p;
  sl__topic *tp = &g->topics[t];
  /* Negative scores leave, without peer exchange. */
  for (size_t k = 0; k < tp->mesh.n;) {
    uint32_t i = tp->mesh.v[k];
    if (score_of(g, i) < 0)
      prune_mesh_peer(g, t, i, false);
    else
      k++;
  }
  uint32_t cand[1024];
  if (tp->mesh.n < (size_t)P->d_lo) {
    size_t n = candidates(g, t, &tp->mesh, 0, false, cand, 1024);
    graft_some(g, t, cand, n, (size_t)P->d - tp->mesh.n);
  }
  if (tp->mesh.n > (size_t)P->d_hi) {
    /* Keep the D_score best, then a random fill to D, with at least D_out
     * outbound peers among the kept. */
    size_t n = tp->mesh.n;
    scored *sc = mesh_by_score(g, t);
    if (!sc) return;
    for (size_t k = n; k > (size_t)P->d_score + 1; k--) { /* the rest in random order */
      size_t j = (size_t)P->d_score + rng_below(g, k - (size_t)P->d_score);
      scored x = sc[k - 1];
      sc[k - 1] = sc[j];
      sc[j] = x;
    }
    size_t keep = (size_t)P->d, outbound = 0;
    for (size_t k = 0; k < keep; k++)
      outbound += g->peers[sc[k].i].outbound;
    for (size_t k = keep; k < n && outbound < (size_t)P->d_out; k++) {
      if (!g->peers[sc[k].i].outbound) continue;
      /* Swap an outbound peer in for the last inbound one kept. */
      for (size_t r = keep; r-- > 0;)
        if (!g->peers[sc[r].i].outbound) {
          scored x = sc[r];
          sc[r] = sc[k];
          sc[k] = x;
          outbound++;
          break;
        }
    }
    for (size_t k = keep; k < n; k++)
      prune_mesh_peer(g, t, sc[k].i, true);
    free(sc);
  }
  if (tp->mesh.n >= (size_t)P->d_lo) {
    size_t outbound = 0;
    for (size_t k = 0; k < tp->mesh.n; k++)
      outbound += g->peers[tp->mesh.v[k]].outbound;
    if (outbound < (size_t)P->d_out) {
      size_t n = candidates(g, t, &tp->mesh, 0, true, cand, 1024);
      graft_some(g, t, cand, n, (size_t)P->d_out - outbound);
    }
  }
  /* Opportunistic grafting: a mesh whose median score is poor takes in a
   * few better-scored peers. */
  if (g->heartbeats % (uint64_t)P->opportunistic_graft_ticks == 0 && tp->mesh.n > 1) {
    scored *sc = mesh_by_score(g, t);
    if (!sc) return;
    double median = sc[tp->mesh.n / 2].s;
    free(sc);
    if (median < P->opportunistic_graft_threshold) {
      size_t n = candidates(g, t, &tp->mesh, median + 1e-9, false, cand, 1024);
      graft_some(g, t, cand, n, (size_t)P->opportunistic_graft_peers);
    }
  }
}

static void maintain_fanout(sl_gossip *g, uint32_t t) {
  sl__topic *tp = &g->topics[t];
  if (g->now_ms - tp->fanout_last_ms > g->p.fanout_ttl_ms) {
    tp->fanout.n = 0;
    tp->fanout_last_ms = 0;
    return;
  }
  for (size_t k = 0; k < tp->fanout.n;) {
    uint32_t i = tp->fanout.v[k];
    if (!idx_has(&tp->peers, i) || score_of(g, i) < g->p.publish_threshold)
      tp->fanout.v[k] = tp->fanout.v[--tp->fanout.n];
    else
      k++;
  }
  if (tp->fanout.n < (size_t)g->p.d) {
    uint32_t cand[1024];
    size_t n = candidates(g, t, &tp->fanout, g->p.publish_threshold, false, cand, 1024);
    for (size_t k = 0; k < n && tp->fanout.n < (size_t)g->p.d; k++)
      idx_add(g, &tp->fanout, cand[k]);
  }
}

/* IHAVE for the ids of the last mcache_gossip windows to D_lazy peers
 * outside the mesh (or fanout) whose score allows gossip. */
static void emit_gossip(sl_gossip *g, uint32_t t) {
  sl__topic *tp = &g->topics[t];
  size_t total = 0;
  for (size_t w = 0; w < (size_t)g->p.mcache_gossip; w++)
    for (size_t k = 0; k < g->window_n[w]; k++)
      total += g->windows[w][k]->topic == t;
  if (!total) return;
  sl__cached **ids = malloc(total * sizeof *ids);
  sl__bytes *idb = malloc(total * sizeof *idb);
  uint32_t *peers = malloc((tp->peers.n + 1) * sizeof *peers);
  if (!ids || !idb || !peers) {
    free(ids);
    free(idb);
    free(peers);
    g->failed = SL_ENOMEM;
    return;
  }
  size_t n = 0;
  for (size_t w = 0; w < (size_t)g->p.mcache_gossip; w++)
    for (size_t k = 0; k < g->window_n[w]; k++)
      if (g->windows[w][k]->topic == t) ids[n++] = g->windows[w][k];
  size_t np = 0;
  const sl__idx *skip = tp->subscribed ? &tp->mesh : &tp->fanout;
  for (size_t k = 0; k < tp->peers.n; k++) {
    uint32_t i = tp->peers.v[k];
    if (!idx_has(skip, i) && score_of(g, i) >= g->p.gossip_threshold) peers[np++] = i;
  }
  shuffle(g, peers, np);
  size_t targets = np < (size_t)g->p.d_lazy ? np : (size_t)g->p.d_lazy;
  size_t per = n < (size_t)g->p.max_ihave_len ? n : (size_t)g->p.max_ihave_len;
  for (size_t k = 0; k < targets; k++) {
    if (per < n) { /* a different random subset for each peer */
      for (size_t x = 0; x < per; x++) {
        size_t j = x + rng_below(g, n - x);
        sl__cached *c = ids[x];
        ids[x] = ids[j];
        ids[j] = c;
      }
    }
    for (size_t x = 0; x < per; x++) {
      if (!idx_has(&ids[x]->advertised, peers[k])) idx_add(g, &ids[x]->advertised, peers[k]);
      idb[x] = (sl__bytes){ids[x]->id, ids[x]->id_len};
    }
    out_ids(g, peers[k], 1, tp->name, idb, per);
    g->stats.ihave_out++;
  }
  free(ids);
  free(idb);
  free(peers);
}

static void expire_promises(sl_gossip *g) {
  const char *k;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&g->promises, pos, &k, &v));) {
    sl__promise *pr = v;
    if (pr->deadline_ms > g->now_ms) continue;
    if (pr->peer < g->n_peers && g->peers[pr->peer].connected) {
      penalise(g, pr->peer, 1);
      g->stats.promises_broken++;
    }
    free(sl__map_remove(&g->promises, k));
  }
  sl__map_compact(&g->promises);
}

static void peers_housekeeping(sl_gossip *g) {
  for (size_t i = 0; i < g->n_peers; i++) {
    sl__peer *p = &g->peers[i];
    if (!p->used) continue;
    if (!p->connected && g->now_ms - p->gone_ms >= g->p.retain_score_ms) {
      sl__map_remove(&g->peer_index, p->id);
      peer_clear(p);
      continue;
    }
    for (size_t k = 0; k < p->n_backoff;)
      if (p->backoff[k].until_ms + g->p.heartbeat_ms < g->now_ms)
        p->backoff[k] = p->backoff[--p->n_backoff];
      else
        k++;
    p->ihave_in = p->iasked = p->idontwant_in = p->refused_events = 0;
    /* IDONTWANT ids are kept for as long as the message could be in flight. */
    const char *k;
    void *v;
    for (size_t pos = 0; (pos = sl__map_next(&p->dont_send, pos, &k, &v));)
      if ((uint64_t)(uintptr_t)v + (uint64_t)g->p.mcache_len < g->heartbeats)
        sl__map_remove(&p->dont_send, k);
    sl__map_compact(&p->dont_send);
    bool gray = p->connected && sl__score(g, p) < g->p.graylist_threshold;
    if (gray && !p->graylisted)
      emit(g, SL_GOSSIP_GRAYLISTED, 0, 0, p->id, NULL, NULL, NULL, 0, NULL, 0, false);
    p->graylisted = gray;
  }
}

static void heartbeat(sl_gossip *g) {
  g->heartbeats++;
  g->stats.heartbeats++;
  for (uint32_t t = 0; t < g->n_topics; t++) {
    if (!g->topics[t].name) continue;
    if (g->topics[t].subscribed) {
      maintain_mesh(g, t);
    } else if (g->topics[t].fanout_last_ms) {
      maintain_fanout(g, t);
    }
    if (g->topics[t].subscribed || g->topics[t].fanout_last_ms) emit_gossip(g, t);
  }
  expire_promises(g);
  cache_shift(g);
  seen_expire(g);
  sl__score_decay(g);
  peers_housekeeping(g);
  for (uint32_t t = 0; t < g->n_topics; t++)
    topic_maybe_free(g, t);
  sl__map_compact(&g->pending);
}

void sl_gossip_tick(sl_gossip *g, uint64_t now_ms) {
  if (!g || now_ms < g->now_ms) return; /* time never goes back */
  g->now_ms = now_ms;
  const char *k;
  void *v;
  for (size_t pos = 0; (pos = sl__map_next(&g->pending, pos, &k, &v));)
    if (((sl__pending *)v)->deadline_ms <= now_ms) settle(g, v, SL_GOSSIP_IGNORE);
  if (now_ms >= g->next_heartbeat_ms) {
    heartbeat(g);
    g->next_heartbeat_ms += g->p.heartbeat_ms;
    if (g->next_heartbeat_ms <= now_ms) g->next_heartbeat_ms = now_ms + g->p.heartbeat_ms;
  }
  flush_all(g);
}

/* ----------------------------------------------------------- inspection */

int sl_gossip_set_app_score(sl_gossip *g, const char *peer_id, double score) {
  uint32_t i = g ? peer_find(g, peer_id) : SL__NONE;
  if (i == SL__NONE) return g ? SL_EGOSSIP_UNKNOWN_PEER : SL_EINVAL;
  if (score != score || score > 1e9 || score < -1e9) return SL_EINVAL;
  g->peers[i].app_score = score;
  return 0;
}

int sl_gossip_set_peer_record(sl_gossip *g, const char *peer_id, const uint8_t *env, size_t len) {
  uint32_t i = g ? peer_find(g, peer_id) : SL__NONE;
  if (i == SL__NONE) return g ? SL_EGOSSIP_UNKNOWN_PEER : SL_EINVAL;
  if ((!env && len) || len > 4096) return SL_EINVAL;
  uint8_t *copy = len ? malloc(len) : NULL;
  if (len && !copy) return SL_ENOMEM;
  if (len) memcpy(copy, env, len);
  free(g->peers[i].record);
  g->peers[i].record = copy;
  g->peers[i].record_len = len;
  return 0;
}

double sl_gossip_score(sl_gossip *g, const char *peer_id) {
  uint32_t i = g ? peer_find(g, peer_id) : SL__NONE;
  return i == SL__NONE ? 0 : score_of(g, i);
}

void sl_gossip_get_stats(const sl_gossip *g, sl_gossip_stats *out) {
  if (g && out) *out = g->stats;
}

/* The ids of peers v[0..n), NUL-separated into out; n or SL_EBUFSIZE. */
static int write_ids(const sl_gossip *g, const uint32_t *v, size_t n, char *out, size_t cap) {
  size_t at = 0;
  for (size_t k = 0; k < n; k++) {
    const char *id = g->peers[v[k]].id;
    size_t len = strlen(id) + 1;
    if (at + len > cap) return SL_EBUFSIZE;
    memcpy(out + at, id, len);
    at += len;
  }
  return (int)n;
}

static int list_peers(const sl_gossip *g, const sl__idx *x, char *out, size_t cap) {
  return write_ids(g, x->v, x->n, out, cap);
}

int sl_gossip_mesh(const sl_gossip *g, const char *topic, char *out, size_t cap) {
  if (!g || !topic || (!out && cap)) return SL_EINVAL;
  uint32_t t = topic_find(g, topic);
  return t == SL__NONE ? 0 : list_peers(g, &g->topics[t].mesh, out, cap);
}

int sl_gossip_subscribers(const sl_gossip *g, const char *topic, char *out, size_t cap) {
  if (!g || !topic || (!out && cap)) return SL_EINVAL;
  uint32_t t = topic_find(g, topic);
  return t == SL__NONE ? 0 : list_peers(g, &g->topics[t].peers, out, cap);
}

int sl_gossip_topics(const sl_gossip *g, char *out, size_t cap) {
  if (!g || (!out && cap)) return SL_EINVAL;
  size_t at = 0;
  int n = 0;
  for (size_t t = 0; t < g->n_topics; t++) {
    if (!g->topics[t].name || !g->topics[t].subscribed) continue;
    size_t len = strlen(g->topics[t].name) + 1;
    if (at + len > cap) return SL_EBUFSIZE;
    memcpy(out + at, g->topics[t].name, len);
    at += len;
    n++;
  }
  return n;
}

/* Is i the only mesh member of a topic we subscribe to? */
static bool last_mesh_path(const sl_gossip *g, uint32_t i) {
  for (size_t t = 0; t < g->n_topics; t++) {
    const sl__idx *mesh = &g->topics[t].mesh;
    if (g->topics[t].name && g->topics[t].subscribed && mesh->n == 1 && mesh->v[0] == i)
      return true;
  }
  return false;
}

static int cmp_scored_up(const void *a, const void *b) { return cmp_scored(b, a); }

int sl_gossip_prune_order(sl_gossip *g, char *out, size_t cap) {
  if (!g || (!out && cap)) return SL_EINVAL;
  scored *sc = malloc((g->n_peers ? g->n_peers : 1) * sizeof *sc);
  if (!sc) return SL_ENOMEM;
  size_t n = 0;
  for (uint32_t i = 0; i < g->n_peers; i++)
    if (g->peers[i].used && g->peers[i].connected && !last_mesh_path(g, i))
      sc[n++] = (scored){i, score_of(g, i)};
  qsort(sc, n, sizeof *sc, cmp_scored_up);
  uint32_t *order = malloc((n ? n : 1) * sizeof *order);
  int rc = order ? 0 : SL_ENOMEM;
  for (size_t k = 0; order && k < n; k++)
    order[k] = sc[k].i;
  if (order) rc = write_ids(g, order, n, out, cap);
  free(order);
  free(sc);
  return rc;
}

int sl_gossip_is_subscribed(const sl_gossip *g, const char *topic) {
  uint32_t t = g && topic ? topic_find(g, topic) : SL__NONE;
  return t != SL__NONE && g->topics[t].subscribed;
}
