/*
 * book.c — one pair's orderbook, sans-IO: opened order messages and the
 * time in; the book, matches and removal events out.
 *
 * Convergence is the design rule: two peers that received the same
 * messages, in any order, hold the same book. So priority within a price
 * is the maker's created time (then the id), not arrival; a cancel that
 * arrives before its order leaves a tombstone that refuses the order
 * later; an update records which order it replaced, so the replaced one
 * arriving late stays out, and of two updates of one order the higher
 * seq wins wherever it arrives first. Rate and open-order caps are the
 * exception (they are about what a peer is willing to hold).
 *
 * Structures: orders live in a pool of nodes, linked per price level in
 * priority order; each side is a sorted array of levels (bids high to
 * low, asks low to high); 32-byte ids and maker keys are found through
 * one open-addressing table type.
 */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define TOMBSTONE_LIFE_MS SL_ORDER_MAX_LIFE_MS /* a cancel of an order we never saw */

/* ------------------------------------------------- 32-byte keyed table */

/* Eight bytes a slot, so a table of a million orders' ids is 8 MB and
 * most lookups cost one cache miss. */
typedef struct slot {
  uint32_t tag; /* the key's hash: most probes end here, without touching the key */
  uint32_t val; /* NIL: an empty slot */
} slot;

/* Keys are not copied into the table: key(ctx, val) finds a value's key
 * where it lives (the order's node, the mark, the maker). */
typedef const uint8_t *(*key_fn)(const void *ctx, uint32_t val);

typedef struct tab {
  slot *slots;
  size_t cap, n; /* cap a power of two, n <= cap / 2 */
  unsigned bits; /* cap == 1 << bits */
  uint64_t mult; /* odd, drawn per table: the hash is secret */
  key_fn key;
  const void *ctx;
} tab;

/* Ids are SHA-256 outputs and maker keys are public keys, but both are
 * cheap to grind: with a hash known in advance, a peer could make its
 * orders' ids all land in one run of slots and turn every lookup into a
 * walk of the book. Multiply-shift of the first 8 bytes with a secret odd
 * multiplier is a universal hash, so the slots an id lands in cannot be
 * aimed at (and sharing 8 bytes with another id costs 2^64 tries). */
static uint32_t tag_of(const tab *t, const uint8_t k[32]) {
  uint64_t x;
  memcpy(&x, k, 8);
  return (uint32_t)((x * t->mult) >> 32);
}

/* The home slot is the tag's top bits: doubling the table splits a run. */
static size_t home_of(unsigned bits, uint32_t tag) { return (size_t)(tag >> (32 - bits)); }

static tab tab_new(key_fn key, const void *ctx) {
  tab t = {.key = key, .ctx = ctx};
  randombytes_buf(&t.mult, sizeof t.mult);
  t.mult |= 1;
  return t;
}

static bool same(const tab *t, size_t s, uint32_t tag, const uint8_t k[32]) {
  return t->slots[s].tag == tag && !memcmp(t->key(t->ctx, t->slots[s].val), k, 32);
}

static uint32_t tab_get(const tab *t, const uint8_t k[32]) {
  if (!t->cap) return NIL;
  uint32_t tag = tag_of(t, k);
  for (size_t s = home_of(t->bits, tag);; s = (s + 1) & (t->cap - 1)) {
    if (t->slots[s].val == NIL) return NIL;
    if (same(t, s, tag, k)) return t->slots[s].val;
  }
}

static int tab_grow(tab *t) {
  unsigned bits = t->cap ? t->bits + 1 : 6;
  if (bits > 31) return SL_ENOMEM; /* the home is the tag's top bits */
  size_t cap = (size_t)1 << bits;
  slot *v = malloc(cap * sizeof *v);
  if (!v) return SL_ENOMEM;
  memset(v, 0xff, cap * sizeof *v); /* every val NIL */
  for (size_t s = 0; s < t->cap; s++) {
    if (t->slots[s].val == NIL) continue;
    size_t j = home_of(bits, t->slots[s].tag);
    while (v[j].val != NIL)
      j = (j + 1) & (cap - 1);
    v[j] = t->slots[s];
  }
  free(t->slots);
  t->slots = v;
  t->cap = cap;
  t->bits = bits;
  return 0;
}

/* Sets k's value (k must be findable through t->key once v is stored). */
static int tab_put(tab *t, const uint8_t k[32], uint32_t v) {
  if ((t->n + 1) * 2 > t->cap) {
    int rc = tab_grow(t);
    if (rc) return rc;
  }
  uint32_t tag = tag_of(t, k);
  size_t s = home_of(t->bits, tag);
  while (t->slots[s].val != NIL && !same(t, s, tag, k))
    s = (s + 1) & (t->cap - 1);
  if (t->slots[s].val == NIL) t->n++;
  t->slots[s] = (slot){tag, v};
  return 0;
}

/* Linear probing's deletion: shift later entries of the run back. */
static void tab_del(tab *t, const uint8_t k[32]) {
  if (!t->cap) return;
  uint32_t tag = tag_of(t, k);
  size_t s = home_of(t->bits, tag);
  while (t->slots[s].val != NIL && !same(t, s, tag, k))
    s = (s + 1) & (t->cap - 1);
  if (t->slots[s].val == NIL) return;
  t->slots[s].val = NIL;
  t->n--;
  for (size_t j = (s + 1) & (t->cap - 1); t->slots[j].val != NIL; j = (j + 1) & (t->cap - 1)) {
    size_t home = home_of(t->bits, t->slots[j].tag);
    /* Move j into the hole at s unless its home lies cyclically in (s, j]. */
    bool stays = s <= j ? (home > s && home <= j) : (home > s || home <= j);
    if (stays) continue;
    t->slots[s] = t->slots[j];
    t->slots[j].val = NIL;
    s = j;
  }
}

static void tab_free(tab *t) {
  free(t->slots);
  t->slots = NULL;
  t->cap = t->n = 0;
}

/* ---------------------------------------------------------------- state */

/* An order as the book keeps it: what priority, matching and expiry
 * need, and the message's bytes (for get and for peers that sync). */
typedef struct node {
  uint8_t id[SL_ORDER_ID_BYTES];
  uint64_t price, amount, remaining, min_fill, created_ms, expires_ms, seq;
  uint8_t *wire; /* the signed message, or NULL when the caller gave none */
  uint16_t wire_len;
  uint8_t side, kind;
  uint32_t prev, next, maker;
  bool used;
} node;

#define CHUNK 4096

static node *node_at(const struct sl_book *b, uint32_t i);

typedef struct level {
  uint64_t price, amount;
  uint32_t head, tail, count;
} level;

typedef struct side_levels {
  level *v;
  size_t n, cap;
} side_levels;

typedef struct maker_state {
  uint8_t key[32];
  uint32_t open;
  uint64_t last_seen;
  double tokens;
  uint64_t tokens_at;
} maker_state;

/* A cancelled id (until its order would have expired), or an order an
 * update replaced (with the winning update's seq). Each keeps the message
 * that made it (the cancel, or the winning update): peers that sync get
 * it, so a replaced or cancelled order stays out on their side too. */
typedef struct mark {
  uint8_t id[32];  /* the order marked */
  uint8_t msg[32]; /* the id of the message that made the mark */
  uint64_t until, seq, msg_created;
  uint8_t *wire; /* that message, or NULL when the caller gave none */
  uint16_t wire_len;
  uint32_t maker; /* the maker whose message made the mark */
} mark;

typedef struct marks {
  mark *v;
  size_t n, cap;
  tab index;  /* by the order marked */
  tab by_msg; /* by the message that made the mark */
} marks;

struct sl_book {
  char base[SL_ORDER_ASSET_MAX + 1], quote[SL_ORDER_ASSET_MAX + 1];
  sl_book_limits lim;
  node **chunks; /* nodes in chunks of CHUNK: they never move, and growing copies nothing */
  size_t n_nodes, n_chunks, cap_chunks, count;
  uint32_t free_list;
  tab by_id;
  side_levels sides[2];
  maker_state *makers;
  size_t n_makers, cap_makers;
  tab maker_index;
  marks cancelled, replaced;
  sl_book_removal *removed;
  size_t n_removed, head_removed, cap_removed;
  int failed;
};

static node *node_at(const sl_book *b, uint32_t i) { return &b->chunks[i / CHUNK][i % CHUNK]; }

static const uint8_t *node_key(const void *ctx, uint32_t i) { return node_at(ctx, i)->id; }
static const uint8_t *maker_key(const void *ctx, uint32_t i) {
  return ((const sl_book *)ctx)->makers[i].key;
}
static const uint8_t *mark_key(const void *ctx, uint32_t i) {
  return ((const marks *)ctx)->v[i].id;
}
static const uint8_t *mark_msg_key(const void *ctx, uint32_t i) {
  return ((const marks *)ctx)->v[i].msg;
}

void sl_book_limits_default(sl_book_limits *l) {
  if (!l) return;
  l->max_orders = 100000;
  l->max_open_per_maker = 100;
  l->maker_rate = 20;
  l->maker_burst = 100;
  l->maker_silence_ms = 90000;
}

int sl_book_new(sl_book **out, const char *base, const char *quote, const sl_book_limits *lim) {
  if (!out || !base || !quote) return SL_EINVAL;
  *out = NULL;
  size_t bl = strlen(base), ql = strlen(quote);
  if (!bl || !ql || bl > SL_ORDER_ASSET_MAX || ql > SL_ORDER_ASSET_MAX) return SL_EORDER_PAIR;
  sl_book *b = calloc(1, sizeof *b);
  if (!b) return SL_ENOMEM;
  memcpy(b->base, base, bl + 1);
  memcpy(b->quote, quote, ql + 1);
  if (lim)
    b->lim = *lim;
  else
    sl_book_limits_default(&b->lim);
  b->free_list = NIL;
  b->by_id = tab_new(node_key, b);
  b->maker_index = tab_new(maker_key, b);
  for (marks *ms = &b->cancelled; ms <= &b->replaced; ms++) {
    ms->index = tab_new(mark_key, ms);
    ms->by_msg = tab_new(mark_msg_key, ms);
  }
  *out = b;
  return 0;
}

void sl_book_free(sl_book *b) {
  if (!b) return;
  for (uint32_t i = 0; i < b->n_nodes; i++)
    if (node_at(b, i)->used) free(node_at(b, i)->wire);
  for (size_t c = 0; c < b->n_chunks; c++)
    free(b->chunks[c]);
  free(b->chunks);
  tab_free(&b->by_id);
  for (int s = 0; s < 2; s++)
    free(b->sides[s].v);
  free(b->makers);
  tab_free(&b->maker_index);
  for (marks *ms = &b->cancelled; ms <= &b->replaced; ms++) {
    for (size_t i = 0; i < ms->n; i++)
      free(ms->v[i].wire);
    free(ms->v);
    tab_free(&ms->index);
    tab_free(&ms->by_msg);
  }
  free(b->removed);
  free(b);
}

/* --------------------------------------------------------------- makers */

static uint32_t maker_of(sl_book *b, const uint8_t key[32], uint64_t now) {
  uint32_t m = tab_get(&b->maker_index, key);
  if (m != NIL) return m;
  maker_state *v = sl__grow(b->makers, &b->cap_makers, b->n_makers + 1, sizeof *v);
  if (!v) return NIL;
  b->makers = v;
  m = (uint32_t)b->n_makers;
  memset(&v[m], 0, sizeof v[m]);
  memcpy(v[m].key, key, 32);
  if (tab_put(&b->maker_index, key, m) != 0) return NIL;
  b->n_makers++;
  v[m].tokens = b->lim.maker_burst;
  v[m].tokens_at = now;
  v[m].last_seen = now;
  return m;
}

/* A token bucket per maker: one message costs one token. */
static bool maker_spend(sl_book *b, uint32_t m, uint64_t now) {
  maker_state *k = &b->makers[m];
  if (now > k->tokens_at) {
    k->tokens += (double)(now - k->tokens_at) * b->lim.maker_rate / 1000.0;
    if (k->tokens > b->lim.maker_burst) k->tokens = b->lim.maker_burst;
    k->tokens_at = now;
  }
  if (k->tokens < 1) return false;
  k->tokens -= 1;
  return true;
}

/* ---------------------------------------------------------------- marks */

static mark *mark_get(marks *ms, const uint8_t id[32]) {
  uint32_t i = tab_get(&ms->index, id);
  return i == NIL ? NULL : &ms->v[i];
}

static mark *mark_add(marks *ms, const uint8_t id[32]) {
  mark *v = sl__grow(ms->v, &ms->cap, ms->n + 1, sizeof *v);
  if (!v) return NULL;
  ms->v = v;
  mark *k = &v[ms->n];
  memset(k, 0, sizeof *k);
  memcpy(k->id, id, 32);
  if (tab_put(&ms->index, id, (uint32_t)ms->n) != 0) return NULL;
  ms->n++;
  return k;
}

/* The message that made (or now makes) mark k: replaces the one before.
 * Only a mark with its message is indexed by it: one without (the caller
 * kept no bytes) has nothing to serve to a peer. */
static int mark_set_msg(marks *ms, mark *k, const sl_order *o, const uint8_t *wire, size_t len) {
  uint32_t i = (uint32_t)(k - ms->v);
  if (k->wire) {
    tab_del(&ms->by_msg, k->msg);
    free(k->wire);
    k->wire = NULL;
    k->wire_len = 0;
  }
  memcpy(k->msg, o->id, 32);
  k->msg_created = o->created_ms;
  if (!wire || !len) return 0;
  if (!(k->wire = malloc(len))) return SL_ENOMEM;
  memcpy(k->wire, wire, len);
  k->wire_len = (uint16_t)len;
  return tab_put(&ms->by_msg, k->msg, i);
}

static void marks_expire(marks *ms, uint64_t now) {
  for (size_t i = 0; i < ms->n;) {
    if (ms->v[i].until > now) {
      i++;
      continue;
    }
    tab_del(&ms->index, ms->v[i].id);
    if (ms->v[i].wire) tab_del(&ms->by_msg, ms->v[i].msg);
    free(ms->v[i].wire);
    if (i != ms->n - 1) {
      ms->v[i] = ms->v[ms->n - 1];
      /* Existing keys moved to a new index: no growth, no failure. */
      (void)tab_put(&ms->index, ms->v[i].id, (uint32_t)i);
      if (ms->v[i].wire) (void)tab_put(&ms->by_msg, ms->v[i].msg, (uint32_t)i);
    }
    ms->n--;
  }
}

/* ------------------------------------------------------ levels and nodes */

/* Does price a come before price b on this side? */
static bool better(int side, uint64_t a, uint64_t b) {
  return side == SL_ORDER_BID ? a > b : a < b;
}

/* The index of price's level, or where it would go (*found false). */
static size_t level_find(const side_levels *sl, int side, uint64_t price, bool *found) {
  size_t lo = 0, hi = sl->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sl->v[mid].price == price) {
      *found = true;
      return mid;
    }
    if (better(side, sl->v[mid].price, price))
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

/* Within a level: earlier created first, then the smaller id. */
static bool before(const node *a, const node *b) {
  if (a->created_ms != b->created_ms) return a->created_ms < b->created_ms;
  return memcmp(a->id, b->id, 32) < 0;
}

static uint32_t node_alloc(sl_book *b) {
  if (b->free_list != NIL) {
    uint32_t i = b->free_list;
    b->free_list = node_at(b, i)->next;
    return i;
  }
  if (b->n_nodes == b->n_chunks * CHUNK) {
    node **v = sl__grow(b->chunks, &b->cap_chunks, b->n_chunks + 1, sizeof *v);
    if (!v) return NIL;
    b->chunks = v;
    if (!(v[b->n_chunks] = malloc(CHUNK * sizeof **v))) return NIL;
    b->n_chunks++;
  }
  return (uint32_t)b->n_nodes++;
}

static int insert(sl_book *b, const sl_order *o, const uint8_t *wire, size_t wire_len, uint32_t m) {
  side_levels *sl = &b->sides[o->side];
  bool found;
  size_t li = level_find(sl, o->side, o->price, &found);
  if (!found) {
    level *v = sl__grow(sl->v, &sl->cap, sl->n + 1, sizeof *v);
    if (!v) return SL_ENOMEM;
    sl->v = v;
    memmove(&v[li + 1], &v[li], (sl->n - li) * sizeof *v);
    v[li] = (level){o->price, 0, NIL, NIL, 0};
    sl->n++;
  }
  uint32_t i = node_alloc(b);
  if (i == NIL) return SL_ENOMEM;
  node *n = node_at(b, i);
  memset(n, 0, sizeof *n);
  memcpy(n->id, o->id, SL_ORDER_ID_BYTES);
  n->price = o->price;
  n->amount = n->remaining = o->amount;
  n->min_fill = o->min_fill;
  n->created_ms = o->created_ms;
  n->expires_ms = o->expires_ms;
  n->seq = o->seq;
  n->side = (uint8_t)o->side;
  n->kind = (uint8_t)o->kind;
  n->maker = m;
  if (wire && wire_len) {
    if (!(n->wire = malloc(wire_len))) goto oom;
    memcpy(n->wire, wire, wire_len);
    n->wire_len = (uint16_t)wire_len;
  }
  if (tab_put(&b->by_id, o->id, i) != 0) goto oom;
  n->used = true;
  level *lv = &sl->v[li];
  /* From the tail back: new orders are usually the latest. */
  uint32_t after = lv->tail;
  while (after != NIL && before(n, node_at(b, after)))
    after = node_at(b, after)->prev;
  n->prev = after;
  n->next = after == NIL ? lv->head : node_at(b, after)->next;
  if (n->next != NIL)
    node_at(b, n->next)->prev = i;
  else
    lv->tail = i;
  if (after != NIL)
    node_at(b, after)->next = i;
  else
    lv->head = i;
  lv->amount += n->remaining;
  lv->count++;
  b->makers[m].open++;
  b->count++;
  return 0;
oom:
  free(n->wire);
  n->next = b->free_list;
  b->free_list = i;
  return SL_ENOMEM;
}

static void queue_removal(sl_book *b, const uint8_t id[32], int reason) {
  if (b->head_removed == b->n_removed) b->head_removed = b->n_removed = 0;
  sl_book_removal *v = sl__grow(b->removed, &b->cap_removed, b->n_removed + 1, sizeof *v);
  if (!v) {
    b->failed = SL_ENOMEM;
    return;
  }
  b->removed = v;
  memcpy(v[b->n_removed].id, id, 32);
  v[b->n_removed++].reason = reason;
}

static void remove_node(sl_book *b, uint32_t i, int reason) {
  node *n = node_at(b, i);
  side_levels *sl = &b->sides[n->side];
  bool found;
  size_t li = level_find(sl, n->side, n->price, &found);
  level *lv = &sl->v[li];
  if (n->prev != NIL)
    node_at(b, n->prev)->next = n->next;
  else
    lv->head = n->next;
  if (n->next != NIL)
    node_at(b, n->next)->prev = n->prev;
  else
    lv->tail = n->prev;
  lv->amount -= n->remaining;
  if (--lv->count == 0) {
    memmove(&sl->v[li], &sl->v[li + 1], (sl->n - li - 1) * sizeof *lv);
    sl->n--;
  }
  b->makers[n->maker].open--;
  b->count--;
  tab_del(&b->by_id, n->id);
  queue_removal(b, n->id, reason);
  free(n->wire);
  n->wire = NULL;
  n->used = false;
  n->next = b->free_list;
  b->free_list = i;
}

/* ---------------------------------------------------------------- apply */

static int apply_cancel(sl_book *b, const sl_order *o, const uint8_t *wire, size_t len,
                        uint32_t m) {
  uint32_t i = tab_get(&b->by_id, o->target);
  if (i != NIL && node_at(b, i)->maker != m) return SL_EORDER_UNKNOWN; /* not theirs to cancel */
  mark *k = mark_get(&b->cancelled, o->target);
  if (k) return 1; /* cancelled already */
  if (!(k = mark_add(&b->cancelled, o->target))) return SL_ENOMEM;
  k->maker = m;
  k->until = i != NIL ? node_at(b, i)->expires_ms : o->created_ms + TOMBSTONE_LIFE_MS;
  int rc = mark_set_msg(&b->cancelled, k, o, wire, len);
  if (i != NIL) remove_node(b, i, SL_BOOK_CANCELLED);
  return rc;
}

/* An update replaces its target: remember it (the target may arrive
 * later), and of two updates of one target keep the higher seq. */
static int apply_replacement(sl_book *b, const sl_order *o, const uint8_t *wire, size_t len,
                             uint32_t m) {
  uint32_t t = tab_get(&b->by_id, o->target);
  if (t != NIL && node_at(b, t)->maker != m) return SL_EORDER_UNKNOWN;
  mark *k = mark_get(&b->replaced, o->target);
  if (k && k->maker == m) {
    if (k->seq >= o->seq) return SL_EORDER_STALE;
    uint32_t older = tab_get(&b->by_id, k->msg);
    if (older != NIL) remove_node(b, older, SL_BOOK_REPLACED);
  } else if (!k && !(k = mark_add(&b->replaced, o->target))) {
    return SL_ENOMEM;
  }
  k->maker = m;
  k->seq = o->seq;
  k->until = o->expires_ms > o->created_ms + TOMBSTONE_LIFE_MS ? o->expires_ms
                                                               : o->created_ms + TOMBSTONE_LIFE_MS;
  int rc = mark_set_msg(&b->replaced, k, o, wire, len);
  if (t != NIL) remove_node(b, t, SL_BOOK_REPLACED);
  return rc;
}

/* Is this order out because of a mark (cancelled, or replaced by its own
 * maker's update)? */
static int marked_out(sl_book *b, const sl_order *o, uint32_t m) {
  const mark *c = mark_get(&b->cancelled, o->id);
  if (c && c->maker == m) return SL_EORDER_CANCELLED;
  const mark *r = mark_get(&b->replaced, o->id);
  if (r && r->maker == m) return SL_EORDER_STALE;
  return 0;
}

/* metered: the message costs its maker a token (live messages do; synced
 * ones were asked for, so their number is ours to bound, and one book may
 * fetch the same maker's thousand orders from several peers at once). */
static int apply(sl_book *b, const sl_order *o, const uint8_t *wire, size_t wire_len,
                 uint64_t now_ms, bool metered) {
  if (!b || !o || (!wire && wire_len) || wire_len > SL_ORDER_MAX_BYTES) return SL_EINVAL;
  if (b->failed) return b->failed;
  if (o->kind != SL_ORDER_CANCEL) {
    if (strcmp(o->base, b->base) || strcmp(o->quote, b->quote)) return SL_EORDER_PAIR;
    if (o->expires_ms <= now_ms) return SL_EORDER_EXPIRED;
    if (tab_get(&b->by_id, o->id) != NIL) return 1;
  }
  uint32_t m = tab_get(&b->maker_index, o->maker);
  /* Makers and marks are bounded like orders: a flood of fresh keys or
   * of cancels for unknown ids cannot grow the book without end. */
  if (m == NIL && b->n_makers >= b->lim.max_orders) return SL_EORDER_LIMIT;
  if (m == NIL && (m = maker_of(b, o->maker, now_ms)) == NIL) return SL_ENOMEM;
  if (metered && !maker_spend(b, m, now_ms)) return SL_EORDER_LIMIT;
  b->makers[m].last_seen = now_ms > b->makers[m].last_seen ? now_ms : b->makers[m].last_seen;
  if (o->kind == SL_ORDER_CANCEL) {
    if (b->cancelled.n >= 2 * (size_t)b->lim.max_orders && !mark_get(&b->cancelled, o->target))
      return SL_EORDER_LIMIT;
    return apply_cancel(b, o, wire, wire_len, m);
  }
  /* An update whose target rests here takes its place; anything else adds
   * an order, within the caps. */
  bool swap = o->kind == SL_ORDER_UPDATE && tab_get(&b->by_id, o->target) != NIL;
  if (!swap && (b->makers[m].open >= b->lim.max_open_per_maker || b->count >= b->lim.max_orders))
    return SL_EORDER_LIMIT;
  if (o->kind == SL_ORDER_UPDATE && !swap && !mark_get(&b->replaced, o->target) &&
      b->replaced.n >= 2 * (size_t)b->lim.max_orders)
    return SL_EORDER_LIMIT;
  /* An update replaces its target even when the update itself is out
   * (cancelled, or beaten by a higher seq): otherwise the target would
   * rest on the peers that saw the cancel first and not on the others. */
  int rc = o->kind == SL_ORDER_UPDATE ? apply_replacement(b, o, wire, wire_len, m) : 0;
  int out = marked_out(b, o, m);
  if (out) return out;
  if (rc) return rc;
  return insert(b, o, wire, wire_len, m);
}

int sl_book_apply(sl_book *b, const sl_order *o, const uint8_t *wire, size_t wire_len,
                  uint64_t now_ms) {
  return apply(b, o, wire, wire_len, now_ms, true);
}

int sl__book_apply_synced(sl_book *b, const sl_order *o, const uint8_t *wire, size_t wire_len,
                          uint64_t now_ms) {
  return apply(b, o, wire, wire_len, now_ms, false);
}

void sl_book_keepalive(sl_book *b, const uint8_t key[SL_PUBLIC_KEY_BYTES], uint64_t now_ms) {
  if (!b || !key) return;
  uint32_t m = tab_get(&b->maker_index, key);
  if (m != NIL && now_ms > b->makers[m].last_seen) b->makers[m].last_seen = now_ms;
}

void sl_book_tick(sl_book *b, uint64_t now_ms) {
  if (!b) return;
  for (uint32_t i = 0; i < b->n_nodes; i++) {
    node *n = node_at(b, i);
    if (!n->used) continue;
    if (n->expires_ms <= now_ms)
      remove_node(b, i, SL_BOOK_EXPIRED);
    else if (b->makers[n->maker].last_seen + b->lim.maker_silence_ms <= now_ms)
      remove_node(b, i, SL_BOOK_MAKER_GONE);
  }
  marks_expire(&b->cancelled, now_ms);
  marks_expire(&b->replaced, now_ms);
}

int sl_book_next_removed(sl_book *b, sl_book_removal *out) {
  if (!b || !out || b->head_removed == b->n_removed) return 0;
  *out = b->removed[b->head_removed++];
  return 1;
}

/* --------------------------------------------------------------- queries */

int sl_book_get(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], sl_order *out) {
  uint32_t i = b && id && out ? tab_get(&b->by_id, id) : NIL;
  if (i == NIL) return b && id && out ? SL_EORDER_UNKNOWN : SL_EINVAL;
  const node *n = node_at(b, i);
  size_t body;
  if (n->wire && sl__order_decode(n->wire, n->wire_len, out, &body) == 0) return 0;
  /* Kept without its message: the fields the book has. */
  memset(out, 0, sizeof *out);
  out->kind = n->kind;
  memcpy(out->maker, b->makers[n->maker].key, 32);
  memcpy(out->base, b->base, sizeof out->base);
  memcpy(out->quote, b->quote, sizeof out->quote);
  out->side = n->side;
  out->price = n->price;
  out->amount = n->amount;
  out->min_fill = n->min_fill;
  out->created_ms = n->created_ms;
  out->expires_ms = n->expires_ms;
  out->seq = n->seq;
  memcpy(out->id, n->id, 32);
  return 0;
}

int sl_book_message(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], const uint8_t **msg,
                    size_t *len) {
  uint32_t i = b && id && msg && len ? tab_get(&b->by_id, id) : NIL;
  if (i == NIL || !node_at(b, i)->wire)
    return b && id && msg && len ? SL_EORDER_UNKNOWN : SL_EINVAL;
  *msg = node_at(b, i)->wire;
  *len = node_at(b, i)->wire_len;
  return 0;
}

uint64_t sl_book_remaining(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES]) {
  uint32_t i = b && id ? tab_get(&b->by_id, id) : NIL;
  return i == NIL ? 0 : node_at(b, i)->remaining;
}

size_t sl_book_count(const sl_book *b) { return b ? b->count : 0; }

const char *sl__book_base(const sl_book *b) { return b->base; }
const char *sl__book_quote(const sl_book *b) { return b->quote; }

const uint8_t *sl_book_at(const sl_book *b, int side, size_t k) {
  if (!b || (side != SL_ORDER_BID && side != SL_ORDER_ASK)) return NULL;
  const side_levels *sl = &b->sides[side];
  for (size_t li = 0; li < sl->n; li++) {
    if (k >= sl->v[li].count) {
      k -= sl->v[li].count;
      continue;
    }
    uint32_t i = sl->v[li].head;
    while (k--)
      i = node_at(b, i)->next;
    return node_at(b, i)->id;
  }
  return NULL;
}

size_t sl_book_depth(const sl_book *b, int side, sl_book_level *out, size_t max) {
  if (!b || !out || (side != SL_ORDER_BID && side != SL_ORDER_ASK)) return 0;
  const side_levels *sl = &b->sides[side];
  size_t n = sl->n < max ? sl->n : max;
  for (size_t li = 0; li < n; li++)
    out[li] = (sl_book_level){sl->v[li].price, sl->v[li].amount, sl->v[li].count};
  return n;
}

size_t sl_book_match(const sl_book *b, int taker_side, uint64_t amount, uint64_t limit,
                     const uint8_t taker[SL_PUBLIC_KEY_BYTES], sl_book_fill *out, size_t cap) {
  if (!b || !out || (taker_side != SL_ORDER_BID && taker_side != SL_ORDER_ASK)) return 0;
  int side = taker_side == SL_ORDER_BID ? SL_ORDER_ASK : SL_ORDER_BID;
  const side_levels *sl = &b->sides[side];
  size_t n = 0;
  for (size_t li = 0; li < sl->n && amount && n < cap; li++) {
    uint64_t price = sl->v[li].price;
    if (limit && better(side, limit, price)) break; /* past the taker's limit */
    for (uint32_t i = sl->v[li].head; i != NIL && amount && n < cap; i = node_at(b, i)->next) {
      const node *o = node_at(b, i);
      if (taker && !memcmp(b->makers[o->maker].key, taker, 32)) continue; /* not with oneself */
      uint64_t take = o->remaining < amount ? o->remaining : amount;
      /* A partial fill may not go below the order's minimum; what is left
       * of an order smaller than its minimum goes whole or not at all. */
      uint64_t floor = o->min_fill < o->remaining ? o->min_fill : o->remaining;
      if (take < floor) continue;
      memcpy(out[n].id, o->id, 32);
      out[n].price = price;
      out[n].amount = take;
      n++;
      amount -= take;
    }
  }
  return n;
}

int sl_book_filled(sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], uint64_t amount) {
  uint32_t i = b && id ? tab_get(&b->by_id, id) : NIL;
  if (i == NIL) return b && id ? SL_EORDER_UNKNOWN : SL_EINVAL;
  node *n = node_at(b, i);
  if (!amount || amount > n->remaining) return SL_EORDER_RANGE;
  if (amount == n->remaining) {
    remove_node(b, i, SL_BOOK_FILLED);
    return 0;
  }
  bool found;
  side_levels *sl = &b->sides[n->side];
  size_t li = level_find(sl, n->side, n->price, &found);
  sl->v[li].amount -= amount;
  n->remaining -= amount;
  return 0;
}

/* ----------------------------------------------------------------- sync */

static void add_item(sl_neg_item *out, size_t cap, size_t *n, uint64_t ts, const uint8_t id[32]) {
  if (*n < cap) {
    out[*n].ts = ts;
    memcpy(out[*n].id, id, 32);
  }
  (*n)++;
}

size_t sl_book_items(const sl_book *b, sl_neg_item *out, size_t cap) {
  size_t n = 0;
  if (!b || (!out && cap)) return 0;
  for (uint32_t i = 0; i < b->n_nodes; i++) {
    const node *o = node_at(b, i);
    if (o->used && o->wire) add_item(out, cap, &n, o->created_ms, o->id);
  }
  for (const marks *ms = &b->cancelled; ms <= &b->replaced; ms++)
    for (size_t i = 0; i < ms->n; i++) {
      const mark *k = &ms->v[i];
      /* A winning update that still rests is already among the orders. */
      if (k->wire && tab_get(&b->by_id, k->msg) == NIL)
        add_item(out, cap, &n, k->msg_created, k->msg);
    }
  return n;
}

int sl_book_sync_message(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], const uint8_t **msg,
                         size_t *len) {
  if (!b || !id || !msg || !len) return SL_EINVAL;
  if (sl_book_message(b, id, msg, len) == 0) return 0;
  for (const marks *ms = &b->cancelled; ms <= &b->replaced; ms++) {
    uint32_t i = tab_get(&ms->by_msg, id);
    if (i != NIL && ms->v[i].wire) {
      *msg = ms->v[i].wire;
      *len = ms->v[i].wire_len;
      return 0;
    }
  }
  return SL_EORDER_UNKNOWN;
}

size_t sl_book_list(const sl_book *b, int side, uint8_t *ids, size_t cap) {
  if (!b || (!ids && cap) || (side != SL_ORDER_BID && side != SL_ORDER_ASK)) return 0;
  const side_levels *sl = &b->sides[side];
  size_t n = 0;
  for (size_t li = 0; li < sl->n; li++)
    for (uint32_t i = sl->v[li].head; i != NIL; i = node_at(b, i)->next, n++)
      if (n < cap) memcpy(ids + 32 * n, node_at(b, i)->id, 32);
  return n;
}

void sl_book_digest(const sl_book *b, uint8_t out[32]) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  for (int side = 0; b && side < 2; side++) {
    const side_levels *sl = &b->sides[side];
    for (size_t li = 0; li < sl->n; li++)
      for (uint32_t i = sl->v[li].head; i != NIL; i = node_at(b, i)->next) {
        uint8_t rec[33 + 8];
        rec[0] = (uint8_t)side;
        memcpy(rec + 1, node_at(b, i)->id, 32);
        uint64_t r = node_at(b, i)->remaining;
        sl__put_u32be(rec + 33, (uint32_t)(r >> 32));
        sl__put_u32be(rec + 37, (uint32_t)r);
        crypto_hash_sha256_update(&st, rec, sizeof rec);
      }
  }
  crypto_hash_sha256_final(&st, out);
}
