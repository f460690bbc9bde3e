/*
 * negentropy.c — range-based set reconciliation, wire-compatible with
 * Negentropy protocol version 1 (docs/protocol.md §9.4), sans-IO: a set
 * of (timestamp, 32-byte id) items in, messages in and out, and the ids
 * each side lacks.
 *
 * The initiator (client) sends a message covering the whole universe; the
 * other side answers range by range: equal fingerprints are skipped,
 * different ones are split into 16 buckets (or listed when small), and
 * id lists are answered with the receiver's own list. The client learns
 * what it has that the server lacks (have) and the reverse (need).
 *
 * Fingerprints are the sum of the ids mod 2^256 (little-endian), then the
 * count, hashed. Sums are kept as prefix sums over the sorted items, so a
 * range's fingerprint costs one subtraction and one hash: a round costs
 * O(ranges) hashes however large the set.
 */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_BASE 0x60 /* versions are 0x60 + n; we speak 0x61 */
#define VERSION_LAST 0x6f
#define BUCKETS 16
#define FP_BYTES 16
#define INF UINT64_MAX
#define FRAME_SLACK 200 /* room kept for the closing range, as the reference does */
#define RANGE_MAX 2048  /* one range's answer, at most: 16 fingerprints or 31 ids */

enum { MODE_SKIP = 0, MODE_FINGERPRINT = 1, MODE_IDLIST = 2 };

typedef struct bound {
  uint64_t ts;
  uint8_t id[SL_NEG_ID_BYTES]; /* zero past len */
  size_t len;
} bound;

struct sl_neg {
  sl_neg_item *items;
  uint8_t (*sums)[32]; /* sums[i]: ids of items[0..i) added mod 2^256 */
  size_t n;
  size_t frame_limit;
  size_t leaf; /* ranges of fewer items are listed, not split */
  unsigned rounds, max_rounds;
  bool initiator;
  uint64_t last_in, last_out; /* timestamp deltas restart in every message */
  sl__pbw out;
  uint8_t (*have)[32], (*need)[32];
  size_t n_have, n_need, cap_have, cap_need;
  uint8_t (*theirs)[32]; /* scratch: a received id list, sorted */
  size_t cap_theirs;
};

/* ------------------------------------------------------------- encoding */

/* Negentropy's varints put the most significant 7 bits first. */
static void put_varint(sl__pbw *w, uint64_t v) {
  uint8_t b[10];
  size_t k = sizeof b;
  b[--k] = v & 0x7f;
  while (v >>= 7)
    b[--k] = 0x80 | (v & 0x7f);
  sl__pbw_raw(w, b + k, sizeof b - k);
}

typedef struct reader {
  const uint8_t *p, *end;
  int failed;
} reader;

static uint64_t get_varint(reader *r) {
  uint64_t v = 0;
  for (;;) {
    if (r->p == r->end || v >> 57) { /* truncated, or past 64 bits */
      r->failed = SL_ESYNC_MALFORMED;
      return 0;
    }
    uint8_t b = *r->p++;
    v = v << 7 | (b & 0x7f);
    if (!(b & 0x80)) return v;
  }
}

static const uint8_t *get_bytes(reader *r, size_t n) {
  if ((size_t)(r->end - r->p) < n) {
    r->failed = SL_ESYNC_MALFORMED;
    return NULL;
  }
  const uint8_t *p = r->p;
  r->p += n;
  return p;
}

static void put_bound(sl_neg *g, const bound *b) {
  if (b->ts == INF) {
    put_varint(&g->out, 0);
    g->last_out = INF;
  } else {
    put_varint(&g->out, b->ts - g->last_out + 1);
    g->last_out = b->ts;
  }
  put_varint(&g->out, b->len);
  sl__pbw_raw(&g->out, b->id, b->len);
}

static int get_bound(sl_neg *g, reader *r, bound *b) {
  uint64_t v = get_varint(r);
  if (r->failed) return r->failed;
  if (v == 0 || g->last_in == INF) {
    b->ts = INF;
  } else {
    if (v - 1 >= INF - g->last_in) return SL_ESYNC_MALFORMED; /* would pass infinity */
    b->ts = g->last_in + (v - 1);
  }
  g->last_in = b->ts;
  uint64_t len = get_varint(r);
  if (r->failed) return r->failed;
  if (len > SL_NEG_ID_BYTES) return SL_ESYNC_MALFORMED;
  const uint8_t *id = get_bytes(r, (size_t)len);
  if (!id) return r->failed;
  memset(b->id, 0, sizeof b->id);
  memcpy(b->id, id, (size_t)len);
  b->len = (size_t)len;
  return 0;
}

/* ------------------------------------------------------------ the items */

int sl__neg_item_cmp(const void *a, const void *b) {
  const sl_neg_item *x = a, *y = b;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  return memcmp(x->id, y->id, SL_NEG_ID_BYTES);
}

/* Is the item below the bound? (A bound's id is zero-padded.) */
static bool below(const sl_neg_item *it, const bound *b) {
  if (it->ts != b->ts) return it->ts < b->ts;
  return memcmp(it->id, b->id, SL_NEG_ID_BYTES) < 0;
}

static int bound_cmp(const bound *a, const bound *b) {
  if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
  return memcmp(a->id, b->id, SL_NEG_ID_BYTES);
}

/* The first index in [lo, hi) not below b. */
static size_t lower_bound(const sl_neg *g, size_t lo, size_t hi, const bound *b) {
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (below(&g->items[mid], b))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static void add256(uint8_t acc[32], const uint8_t x[32]) {
  unsigned carry = 0;
  for (int k = 0; k < 32; k++) {
    carry += (unsigned)acc[k] + x[k];
    acc[k] = (uint8_t)carry;
    carry >>= 8;
  }
}

static void fingerprint(const sl_neg *g, size_t lo, size_t hi, uint8_t fp[FP_BYTES]) {
  uint8_t buf[32 + 10];
  unsigned borrow = 0;
  for (int k = 0; k < 32; k++) { /* sums[hi] - sums[lo] mod 2^256 */
    int d = (int)g->sums[hi][k] - (int)g->sums[lo][k] - (int)borrow;
    borrow = d < 0;
    buf[k] = (uint8_t)(d + (borrow ? 256 : 0));
  }
  sl__pbw w;
  sl__pbw_init(&w, 10);
  put_varint(&w, hi - lo);
  size_t n = w.failed ? 0 : w.len;
  if (n) memcpy(buf + 32, w.buf, n);
  sl__pbw_free(&w);
  uint8_t h[32];
  crypto_hash_sha256(h, buf, 32 + n);
  memcpy(fp, h, FP_BYTES);
}

/* ------------------------------------------------------------- lifecycle */

int sl_neg_new(sl_neg **out, const sl_neg_item *items, size_t n, size_t frame_limit) {
  if (!out || (!items && n) || (frame_limit && frame_limit < SL_NEG_MIN_FRAME)) return SL_EINVAL;
  *out = NULL;
  sl_neg *g = calloc(1, sizeof *g);
  if (!g) return SL_ENOMEM;
  g->items = malloc((n ? n : 1) * sizeof *g->items);
  g->sums = malloc((n + 1) * sizeof *g->sums);
  if (!g->items || !g->sums) {
    sl_neg_free(g);
    return SL_ENOMEM;
  }
  if (n) memcpy(g->items, items, n * sizeof *items);
  qsort(g->items, n, sizeof *g->items, sl__neg_item_cmp);
  memset(g->sums[0], 0, 32);
  for (size_t k = 0; k < n; k++) {
    if (g->items[k].ts == INF || (k && !sl__neg_item_cmp(&g->items[k - 1], &g->items[k]))) {
      sl_neg_free(g); /* infinity is reserved; an item twice would skew the sums */
      return SL_EINVAL;
    }
    memcpy(g->sums[k + 1], g->sums[k], 32);
    add256(g->sums[k + 1], g->items[k].id);
  }
  g->n = n;
  g->frame_limit = frame_limit;
  g->max_rounds = SL_NEG_DEFAULT_ROUNDS;
  g->leaf = 2 * BUCKETS;
  /* A range's answer is written, then taken back if it overfilled the
   * frame: the buffer has room for one range beyond the limit. */
  sl__pbw_init(&g->out, frame_limit ? frame_limit + RANGE_MAX : SIZE_MAX);
  *out = g;
  return 0;
}

void sl_neg_free(sl_neg *g) {
  if (!g) return;
  sl__pbw_free(&g->out);
  free(g->items);
  free(g->sums);
  free(g->have);
  free(g->need);
  free(g->theirs);
  free(g);
}

void sl_neg_set_max_rounds(sl_neg *g, unsigned rounds) {
  if (g) g->max_rounds = rounds ? rounds : SL_NEG_DEFAULT_ROUNDS;
}

void sl_neg_set_leaf(sl_neg *g, size_t leaf) {
  if (g) g->leaf = leaf >= 2 ? leaf : 2 * BUCKETS;
}

size_t sl_neg_size(const sl_neg *g) { return g ? g->n : 0; }

/* --------------------------------------------------------------- output */

static bool past_limit(const sl_neg *g, size_t len) {
  return g->frame_limit && len > g->frame_limit - FRAME_SLACK;
}

static void put_fingerprint_range(sl_neg *g, const bound *upper, size_t lo, size_t hi) {
  uint8_t fp[FP_BYTES];
  fingerprint(g, lo, hi, fp);
  put_bound(g, upper);
  put_varint(&g->out, MODE_FINGERPRINT);
  sl__pbw_raw(&g->out, fp, sizeof fp);
}

/* The shortest bound that separates items[k - 1] from items[k]. */
static bound between(const sl_neg *g, size_t k) {
  const sl_neg_item *prev = &g->items[k - 1], *cur = &g->items[k];
  bound b = {.ts = cur->ts};
  if (prev->ts != cur->ts) return b;
  size_t shared = 0;
  while (shared < SL_NEG_ID_BYTES - 1 && prev->id[shared] == cur->id[shared])
    shared++;
  b.len = shared + 1;
  memcpy(b.id, cur->id, b.len);
  return b;
}

/* Our answer for a range whose fingerprints differ: the ids when few,
 * else fingerprints of 16 buckets covering it (buckets of one item when
 * the range has fewer than 16). */
static void split(sl_neg *g, size_t lo, size_t hi, const bound *upper) {
  size_t count = hi - lo;
  if (count < g->leaf) {
    put_bound(g, upper);
    put_varint(&g->out, MODE_IDLIST);
    put_varint(&g->out, count);
    for (size_t k = lo; k < hi; k++)
      sl__pbw_raw(&g->out, g->items[k].id, SL_NEG_ID_BYTES);
    return;
  }
  size_t buckets = count < BUCKETS ? count : BUCKETS;
  size_t per = count / buckets, extra = count % buckets, at = lo;
  for (size_t k = 0; k < buckets; k++) {
    size_t next = at + per + (k < extra);
    bound b = next == hi ? *upper : between(g, next);
    put_fingerprint_range(g, &b, at, next);
    at = next;
  }
}

static void put_skip(sl_neg *g, const bound *b) {
  put_bound(g, b);
  put_varint(&g->out, MODE_SKIP);
}

static void start_message(sl_neg *g) {
  g->out.len = 0;
  g->out.failed = 0;
  g->last_in = g->last_out = 0;
  uint8_t v = SL_NEG_VERSION;
  sl__pbw_raw(&g->out, &v, 1);
}

static int finish(sl_neg *g, const uint8_t **msg, size_t *len) {
  if (g->out.failed) return g->out.failed == SL_EBUFSIZE ? SL_ESYNC_LIMIT : g->out.failed;
  *msg = g->out.buf;
  *len = g->out.len;
  return 0;
}

int sl_neg_initiate(sl_neg *g, const uint8_t **msg, size_t *len) {
  if (!g || !msg || !len) return SL_EINVAL;
  if (g->initiator) return SL_ESTATE;
  g->initiator = true;
  g->rounds = 0;
  start_message(g);
  bound inf = {.ts = INF};
  split(g, 0, g->n, &inf); /* at most 16 ranges or 31 ids: under any frame limit */
  return finish(g, msg, len);
}

/* ------------------------------------------------------------ id lists */

static int id_cmp(const void *a, const void *b) { return memcmp(a, b, SL_NEG_ID_BYTES); }

static int push_id(uint8_t (**v)[32], size_t *n, size_t *cap, const uint8_t id[32]) {
  uint8_t(*p)[32] = sl__grow(*v, cap, *n + 1, 32);
  if (!p) return SL_ENOMEM;
  *v = p;
  memcpy(p[(*n)++], id, 32);
  return 0;
}

/* The client's base case: our items in [lo, hi) against their list. */
static int compare_lists(sl_neg *g, const uint8_t *ids, size_t count, size_t lo, size_t hi) {
  if (count > g->cap_theirs) {
    void *p = realloc(g->theirs, count * 32);
    if (!p) return SL_ENOMEM;
    g->theirs = p;
    g->cap_theirs = count;
  }
  if (count) memcpy(g->theirs, ids, count * 32);
  if (count > 1) qsort(g->theirs, count, 32, id_cmp);
  size_t uniq = 0; /* a list naming an id twice counts it once */
  for (size_t k = 0; k < count; k++)
    if (!uniq || memcmp(g->theirs[uniq - 1], g->theirs[k], 32))
      memmove(g->theirs[uniq++], g->theirs[k], 32);
  /* Theirs that we hold too are ticked off; the rest is what we need. */
  uint8_t *seen = calloc(uniq ? uniq : 1, 1);
  if (!seen) return SL_ENOMEM;
  int rc = 0;
  for (size_t k = lo; k < hi && !rc; k++) {
    uint8_t(*hit)[32] = uniq ? bsearch(g->items[k].id, g->theirs, uniq, 32, id_cmp) : NULL;
    if (hit)
      seen[hit - g->theirs] = 1;
    else
      rc = push_id(&g->have, &g->n_have, &g->cap_have, g->items[k].id);
  }
  for (size_t k = 0; k < uniq && !rc; k++)
    if (!seen[k]) rc = push_id(&g->need, &g->n_need, &g->cap_need, g->theirs[k]);
  free(seen);
  return rc;
}

/* The server's base case: our own ids of [lo, *hi), as many as the frame
 * allows. Returns true when the list stopped short: *hi is then where,
 * and the message must end there. */
static bool answer_list(sl_neg *g, size_t lo, size_t *hi, const bound *upper) {
  size_t room = SIZE_MAX, count = *hi - lo;
  if (g->frame_limit) {
    size_t used = g->out.len + 2 * (10 + 1 + SL_NEG_ID_BYTES) + 10; /* two bounds, mode, count */
    room = past_limit(g, used) ? 0 : (g->frame_limit - FRAME_SLACK - used) / SL_NEG_ID_BYTES;
  }
  bound end = *upper;
  bool short_list = count > room;
  if (short_list) {
    count = room;
    end = (bound){.ts = g->items[lo + count].ts, .len = SL_NEG_ID_BYTES};
    memcpy(end.id, g->items[lo + count].id, SL_NEG_ID_BYTES);
    *hi = lo + count;
  }
  put_bound(g, &end);
  put_varint(&g->out, MODE_IDLIST);
  put_varint(&g->out, count);
  for (size_t k = lo; k < lo + count; k++)
    sl__pbw_raw(&g->out, g->items[k].id, SL_NEG_ID_BYTES);
  return short_list;
}

/* --------------------------------------------------------------- rounds */

typedef struct cursor {
  bound prev;
  size_t prev_index;
  size_t written; /* our index at the last bound written out */
  bool skip;      /* a skip range is pending: written only if something follows */
} cursor;

static void flush_skip(sl_neg *g, cursor *c) {
  if (!c->skip) return;
  c->skip = false;
  put_skip(g, &c->prev);
  c->written = c->prev_index;
}

/* One received range, answered into g->out. *upper gets where it ended
 * in our items; 1 when the answer filled the frame (the message ends). */
static int range(sl_neg *g, reader *r, cursor *c, const bound *cur, size_t *upper) {
  uint64_t mode = get_varint(r);
  if (r->failed) return r->failed;
  size_t lo = c->prev_index, hi = lower_bound(g, c->prev_index, g->n, cur);
  *upper = hi;
  if (mode == MODE_SKIP) {
    c->skip = true;
  } else if (mode == MODE_FINGERPRINT) {
    const uint8_t *theirs = get_bytes(r, FP_BYTES);
    if (!theirs) return r->failed;
    uint8_t ours[FP_BYTES];
    fingerprint(g, lo, hi, ours);
    if (!memcmp(theirs, ours, FP_BYTES)) {
      c->skip = true;
    } else {
      flush_skip(g, c);
      split(g, lo, hi, cur);
    }
  } else if (mode == MODE_IDLIST) {
    uint64_t count = get_varint(r);
    if (r->failed) return r->failed;
    if (count > (uint64_t)(r->end - r->p) / SL_NEG_ID_BYTES) return SL_ESYNC_MALFORMED;
    const uint8_t *ids = get_bytes(r, (size_t)count * SL_NEG_ID_BYTES);
    if (g->initiator) {
      c->skip = true;
      return compare_lists(g, ids, (size_t)count, lo, hi);
    }
    flush_skip(g, c);
    return answer_list(g, lo, upper, cur) ? 1 : 0;
  } else {
    return SL_ESYNC_MALFORMED;
  }
  return 0;
}

int sl_neg_reconcile(sl_neg *g, const uint8_t *in, size_t len, const uint8_t **msg,
                     size_t *out_len) {
  if (!g || (!in && len) || !msg || !out_len) return SL_EINVAL;
  g->n_have = g->n_need = 0;
  *msg = NULL;
  *out_len = 0;
  if (++g->rounds > g->max_rounds) return SL_ESYNC_ROUNDS;
  if (len > SL_NEG_MAX_MESSAGE) return SL_ESYNC_LIMIT;
  if (!len) return SL_ESYNC_MALFORMED;
  reader r = {in, in + len, 0};
  uint8_t version = *r.p++;
  if (version < VERSION_BASE || version > VERSION_LAST) return SL_ESYNC_MALFORMED;
  start_message(g);
  if (version != SL_NEG_VERSION) {
    /* A server names the version it speaks (its one-byte reply); a client
     * that asked for ours has nothing to fall back to. */
    return g->initiator ? SL_ESYNC_VERSION : finish(g, msg, out_len);
  }
  cursor c = {.prev = {0}};
  while (r.p < r.end) {
    if (c.prev.ts == INF) return SL_ESYNC_RANGE; /* nothing lies past infinity */
    bound cur;
    int rc = get_bound(g, &r, &cur);
    if (rc) return rc;
    if (bound_cmp(&cur, &c.prev) < 0) return SL_ESYNC_RANGE;
    size_t mark = g->out.len, written = c.written, hi;
    if ((rc = range(g, &r, &c, &cur, &hi)) < 0) return rc;
    bound inf = {.ts = INF};
    if (rc == 1) { /* an id list cut short: the rest is one fingerprint */
      put_fingerprint_range(g, &inf, hi, g->n);
      break;
    }
    if (past_limit(g, g->out.len)) {
      /* Full: drop this range's answer and hand back everything from the
       * last bound written as one fingerprint, reconciled in a later round. */
      g->out.len = mark;
      put_fingerprint_range(g, &inf, written, g->n);
      break;
    }
    if (g->out.len > mark) c.written = hi; /* an answer ends at this range's bound */
    c.prev = cur;
    c.prev_index = hi;
  }
  int rc = finish(g, msg, out_len);
  if (rc) return rc;
  if (g->initiator && *out_len == 1) { /* nothing left to ask: done */
    *msg = NULL;
    *out_len = 0;
    return 1;
  }
  return 0;
}

const uint8_t *sl_neg_have(const sl_neg *g, size_t *n) {
  if (n) *n = g ? g->n_have : 0;
  return g && g->n_have ? g->have[0] : NULL;
}

const uint8_t *sl_neg_need(const sl_neg *g, size_t *n) {
  if (n) *n = g ? g->n_need : 0;
  return g && g->n_need ? g->need[0] : NULL;
}
