/*
 * sync.c — one peer's orderbook sync session with another, sans-IO:
 * ORDERBOOK frames and the time in, frames out (docs/protocol.md §9.4).
 *
 * The initiator reconciles its book's sync set with the peer's by
 * Negentropy v1 (NEG_OPEN, NEG ...); along the way it asks for what it
 * lacks (WANT, answered with ORDERS) and offers what the peer lacks
 * (OFFER, which the peer answers with a WANT). Every order that arrives
 * must have been asked for. Peers that opt out page through a snapshot
 * instead (ORDERBOOK_REQUEST / ORDERBOOK_RESPONSE).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Initiator: NEG_OPEN, then NEG_QUERY; responder: NEG_REPLY. Distinct ops
 * let both peers reconcile at once over one link. */
enum {
  OP_NEG_OPEN = 1,
  OP_NEG_QUERY = 2,
  OP_NEG_REPLY = 3,
  OP_OFFER = 4,
  OP_WANT = 5,
  OP_ORDERS = 6,
  OP_DONE = 7
};

#define PAIR_MAX (2 * SL_ORDER_ASSET_MAX + 1)
#define LIST_MAX 1000 /* ids in one OFFER or WANT, orders in one page */

typedef struct outframe {
  int type;
  uint8_t *bytes;
  size_t len;
} outframe;

/* An id asked for, and whether it came (the id first: sorted and
 * searched by its bytes). */
typedef struct asked_id {
  uint8_t id[32];
  bool got;
} asked_id;

struct sl_booksync {
  sl_book *book;
  sl_booksync_config cfg;
  char pair[PAIR_MAX + 1];
  size_t pair_len;
  sl_neg *client, *server;
  asked_id *asked; /* ids we asked for, sorted */
  size_t n_asked, cap_asked, waiting;
  bool snapshot_pending;
  sl_neg_item *snap; /* the sync set we page through for the peer, sorted */
  size_t n_snap;
  outframe *out; /* a FIFO: out[head_out .. head_out + n_out) */
  size_t n_out, head_out, cap_out;
  uint8_t *handed;        /* the frame last handed out: freed by the next call */
  uint8_t (*applied)[32]; /* orders the last receive added to the book */
  size_t n_applied, cap_applied;
  sl_booksync_stats stats;
};

void sl_booksync_config_default(sl_booksync_config *c) {
  if (!c) return;
  c->frame_limit = 200000;
  c->max_rounds = SL_NEG_DEFAULT_ROUNDS;
  c->max_asked = 200000;
  c->skew_ms = 120000;
  c->leaf = 4;
}

/* ------------------------------------------------------------- messages */

/* An order message from a peer, checked and applied. Live deltas must be
 * fresh (created within the skew of now); synced ones may be old but not
 * from the future, and must not have expired. */
int sl_book_receive(sl_book *b, const uint8_t *msg, size_t len, uint64_t now_ms, uint64_t skew_ms,
                    int synced, uint8_t id[SL_ORDER_ID_BYTES]) {
  if (!b || (!msg && len)) return SL_EINVAL;
  sl_order o;
  int rc = sl_order_open(msg, len, &o);
  if (rc) return rc;
  if (id) memcpy(id, o.id, SL_ORDER_ID_BYTES);
  if (synced) {
    rc = sl__order_check_age(&o, now_ms, skew_ms);
    return rc ? rc : sl__book_apply_synced(b, &o, msg, len, now_ms);
  }
  rc = sl_order_check_time(&o, now_ms, skew_ms);
  return rc ? rc : sl_book_apply(b, &o, msg, len, now_ms);
}

/* Refusals that say the sender is at fault (as against caps, replays and
 * races, which honest peers cause too). */
static bool peer_fault(int rc) {
  return rc == SL_EORDER_MALFORMED || rc == SL_EORDER_SIGNATURE || rc == SL_EORDER_PAIR ||
         rc == SL_EORDER_RANGE || rc == SL_EORDER_SKEW;
}

/* ---------------------------------------------------------------- output */

/* Frames are at most a frame limit plus one order: this caps any writer. */
#define FRAME_MAX (2 * SL_NEG_MAX_MESSAGE)

static void put_u16(sl__pbw *w, size_t v) {
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  sl__pbw_raw(w, b, 2);
}

/* A payload: its op (0: none, for the snapshot frames) and the pair. */
static sl__pbw begin(const sl_booksync *s, int op) {
  sl__pbw w;
  sl__pbw_init(&w, FRAME_MAX);
  uint8_t head[2] = {(uint8_t)op, (uint8_t)s->pair_len};
  sl__pbw_raw(&w, op ? head : head + 1, op ? 2 : 1);
  sl__pbw_raw(&w, s->pair, s->pair_len);
  return w;
}

/* Queues w's bytes as a frame (the queue owns them from here). */
static int emit(sl_booksync *s, int type, sl__pbw *w) {
  int rc = w->failed;
  if (!rc)
    rc = sl__fifo_reserve((void **)&s->out, sizeof *s->out, &s->head_out, s->n_out, &s->cap_out, 8);
  if (rc) {
    sl__pbw_free(w);
    return rc;
  }
  s->out[s->head_out + s->n_out++] = (outframe){type, w->buf, w->len};
  s->stats.bytes_out += w->len;
  return 0;
}

/* An id list (OFFER or WANT), in frames of at most LIST_MAX ids. */
static int emit_ids(sl_booksync *s, int op, const uint8_t *ids, size_t n) {
  for (size_t at = 0; at < n; at += LIST_MAX) {
    size_t k = n - at < LIST_MAX ? n - at : LIST_MAX;
    sl__pbw w = begin(s, op);
    put_u16(&w, k);
    sl__pbw_raw(&w, ids + 32 * at, 32 * k);
    int rc = emit(s, SL_FRAME_ORDERBOOK_SYNC, &w);
    if (rc) return rc;
  }
  return 0;
}

/* ------------------------------------------------------------ asked ids */

static int id_cmp(const void *a, const void *b) { return memcmp(a, b, 32); }

static asked_id *find_asked(const sl_booksync *s, const uint8_t id[32]) {
  return s->n_asked ? bsearch(id, s->asked, s->n_asked, sizeof *s->asked, id_cmp) : NULL;
}

static bool asked_for(const sl_booksync *s, const uint8_t id[32]) { return find_asked(s, id); }

/* Adds the ids of want[0..*n) not already awaited to the asked list, and
 * keeps only those in want (*n shrinks): an id is asked for once, however
 * many reconciliations (ours, and the peer's offers) find it missing. */
static int ask(sl_booksync *s, uint8_t (*want)[32], size_t *n) {
  if (!*n) return 0;
  size_t keep = 0; /* what arrived already leaves the list */
  for (size_t i = 0; i < s->n_asked; i++)
    if (!s->asked[i].got) s->asked[keep++] = s->asked[i];
  s->n_asked = keep;
  qsort(want, *n, 32, id_cmp);
  size_t fresh = 0;
  for (size_t k = 0; k < *n; k++)
    if ((!k || memcmp(want[k - 1], want[k], 32)) && !asked_for(s, want[k]))
      memmove(want[fresh++], want[k], 32);
  *n = fresh;
  if (s->n_asked + fresh > s->cfg.max_asked) return SL_ESYNC_LIMIT;
  asked_id *v = sl__grow(s->asked, &s->cap_asked, s->n_asked + fresh, sizeof *v);
  if (!v) return SL_ENOMEM;
  s->asked = v;
  for (size_t k = 0; k < fresh; k++) {
    memcpy(v[s->n_asked + k].id, want[k], 32);
    v[s->n_asked + k].got = false;
  }
  s->n_asked += fresh;
  qsort(s->asked, s->n_asked, sizeof *s->asked, id_cmp);
  s->waiting = s->n_asked;
  return 0;
}

/* Ticks id off the asked list; false when it was never asked for (or
 * came already). */
static bool take_asked(sl_booksync *s, const uint8_t id[32]) {
  asked_id *hit = find_asked(s, id);
  if (!hit || hit->got) return false;
  hit->got = true;
  if (--s->waiting == 0) s->n_asked = 0;
  return true;
}

/* --------------------------------------------------------------- session */

int sl_booksync_new(sl_booksync **out, sl_book *b, const sl_booksync_config *cfg) {
  if (!out || !b) return SL_EINVAL;
  *out = NULL;
  sl_booksync *s = calloc(1, sizeof *s);
  if (!s) return SL_ENOMEM;
  s->book = b;
  if (cfg)
    s->cfg = *cfg;
  else
    sl_booksync_config_default(&s->cfg);
  if (s->cfg.frame_limit < SL_NEG_MIN_FRAME) s->cfg.frame_limit = SL_NEG_MIN_FRAME;
  if (s->cfg.frame_limit > SL_NEG_MAX_MESSAGE) s->cfg.frame_limit = SL_NEG_MAX_MESSAGE;
  const char *base = sl__book_base(b), *quote = sl__book_quote(b);
  size_t bl = strlen(base), ql = strlen(quote); /* each at most SL_ORDER_ASSET_MAX */
  memcpy(s->pair, base, bl);
  s->pair[bl] = '-';
  memcpy(s->pair + bl + 1, quote, ql + 1);
  s->pair_len = bl + 1 + ql;
  *out = s;
  return 0;
}

static void drop_client(sl_booksync *s) {
  sl_neg_free(s->client);
  s->client = NULL;
}

void sl_booksync_free(sl_booksync *s) {
  if (!s) return;
  drop_client(s);
  sl_neg_free(s->server);
  for (size_t i = 0; i < s->n_out; i++)
    free(s->out[s->head_out + i].bytes);
  free(s->out);
  free(s->handed);
  free(s->asked);
  free(s->snap);
  free(s->applied);
  free(s);
}

/* The book's sync set as it is now, in an array the caller frees. */
static int sync_set(const sl_booksync *s, sl_neg_item **out, size_t *n) {
  *n = sl_book_items(s->book, NULL, 0);
  if (!(*out = malloc((*n ? *n : 1) * sizeof **out))) return SL_ENOMEM;
  *n = sl_book_items(s->book, *out, *n);
  return 0;
}

/* A reconciler over the book's sync set as it is now. */
static int reconciler(sl_booksync *s, sl_neg **out) {
  sl_neg_item *items;
  size_t n;
  int rc = sync_set(s, &items, &n);
  if (rc) return rc;
  rc = sl_neg_new(out, items, n, s->cfg.frame_limit);
  free(items);
  if (!rc) {
    sl_neg_set_max_rounds(*out, s->cfg.max_rounds);
    sl_neg_set_leaf(*out, s->cfg.leaf);
  }
  return rc;
}

int sl_booksync_start(sl_booksync *s, int snapshot) {
  if (!s) return SL_EINVAL;
  if (snapshot) {
    sl__pbw w = begin(s, 0);
    sl__pbw_raw(&w, (const uint8_t[]){0}, 1); /* no cursor: the first page */
    s->snapshot_pending = true;
    s->stats.rounds++;
    return emit(s, SL_FRAME_ORDERBOOK_REQUEST, &w);
  }
  drop_client(s);
  int rc = reconciler(s, &s->client);
  if (rc) return rc;
  const uint8_t *msg;
  size_t len;
  if ((rc = sl_neg_initiate(s->client, &msg, &len)) != 0) return rc;
  s->stats.done = 0;
  sl__pbw w = begin(s, OP_NEG_OPEN);
  sl__pbw_raw(&w, msg, len);
  return emit(s, SL_FRAME_ORDERBOOK_SYNC, &w);
}

/* ------------------------------------------------------------- receiving */

static bool r_u16(sl__reader *r, size_t *v) {
  const uint8_t *b;
  if (!sl__take(r, 2, &b)) return false;
  *v = (size_t)b[0] << 8 | b[1];
  return true;
}

/* The pair that opens every payload must be this book's. */
static int check_pair(const sl_booksync *s, sl__reader *r) {
  const uint8_t *n, *p;
  if (!sl__take(r, 1, &n) || !sl__take(r, *n, &p)) return SL_ESYNC_MALFORMED;
  if (*n != s->pair_len || memcmp(p, s->pair, s->pair_len)) return SL_EORDER_PAIR;
  return 0;
}

static int note_applied(sl_booksync *s, const uint8_t id[32]) {
  uint8_t(*v)[32] = sl__grow(s->applied, &s->cap_applied, s->n_applied + 1, 32);
  if (!v) return SL_ENOMEM;
  s->applied = v;
  memcpy(v[s->n_applied++], id, 32);
  return 0;
}

/* (u16 len, message)* after a u16 count: each applied when it was asked
 * for (asked: the WANT list; or any, for a snapshot page). The first
 * fault is returned after the rest were tried. */
static int take_orders(sl_booksync *s, sl__reader *r, bool any, uint64_t now, sl_neg_item *last) {
  size_t count;
  if (!r_u16(r, &count) || count > LIST_MAX) return SL_ESYNC_MALFORMED;
  int fault = 0;
  for (size_t k = 0; k < count; k++) {
    size_t len;
    const uint8_t *msg;
    if (!r_u16(r, &len) || !sl__take(r, len, &msg)) return fault ? fault : SL_ESYNC_MALFORMED;
    sl_order o;
    int rc = sl_order_open(msg, len, &o);
    if (!rc && last) {
      last->ts = o.created_ms;
      memcpy(last->id, o.id, 32);
    }
    if (!rc && !any && !take_asked(s, o.id)) rc = SL_ESYNC_UNASKED;
    if (!rc) rc = sl_book_receive(s->book, msg, len, now, s->cfg.skew_ms, 1, NULL);
    if (rc == 0) {
      s->stats.received++;
      if ((rc = note_applied(s, o.id)) != 0) return rc;
    } else if (rc < 0) {
      s->stats.refused++;
      if (!fault && (peer_fault(rc) || rc == SL_ESYNC_UNASKED)) fault = rc;
    }
  }
  if (r->p != r->end) return fault ? fault : SL_ESYNC_MALFORMED;
  return fault;
}

/* ORDERS for the ids in a WANT: as many frames as the frame limit needs. */
static int serve(sl_booksync *s, sl__reader *r) {
  size_t count;
  const uint8_t *ids;
  if (!r_u16(r, &count) || count > LIST_MAX || !sl__take(r, 32 * count, &ids) || r->p != r->end)
    return SL_ESYNC_MALFORMED;
  size_t k = 0;
  while (k < count) {
    sl__pbw w = begin(s, OP_ORDERS);
    size_t count_at = w.len, n = 0;
    put_u16(&w, 0);
    for (; k < count; k++) {
      const uint8_t *msg;
      size_t len;
      if (sl_book_sync_message(s->book, ids + 32 * k, &msg, &len) != 0) continue; /* gone */
      if (n && w.len + 2 + len > s->cfg.frame_limit) break;
      put_u16(&w, len);
      sl__pbw_raw(&w, msg, len);
      n++;
      s->stats.sent++;
    }
    if (!n) {
      sl__pbw_free(&w);
      break;
    }
    if (!w.failed) {
      w.buf[count_at] = (uint8_t)(n >> 8);
      w.buf[count_at + 1] = (uint8_t)n;
    }
    int rc = emit(s, SL_FRAME_ORDERBOOK_SYNC, &w);
    if (rc) return rc;
  }
  return 0;
}

/* An OFFER: we want those we do not hold. */
static int offered(sl_booksync *s, sl__reader *r) {
  size_t count;
  const uint8_t *ids;
  if (!r_u16(r, &count) || count > LIST_MAX || !sl__take(r, 32 * count, &ids) || r->p != r->end)
    return SL_ESYNC_MALFORMED;
  uint8_t(*want)[32] = malloc((count ? count : 1) * 32);
  if (!want) return SL_ENOMEM;
  size_t n = 0;
  for (size_t k = 0; k < count; k++) {
    const uint8_t *msg;
    size_t len;
    if (sl_book_sync_message(s->book, ids + 32 * k, &msg, &len) != 0)
      memcpy(want[n++], ids + 32 * k, 32);
  }
  int rc = ask(s, want, &n);
  if (!rc) rc = emit_ids(s, OP_WANT, want[0], n);
  free(want);
  return rc;
}

/* A Negentropy message: the responder answers; the initiator asks for
 * what it needs, offers what it has, and goes on or finishes. */
static int negentropy(sl_booksync *s, int op, sl__reader *r) {
  const uint8_t *in = r->p, *msg;
  size_t len = (size_t)(r->end - r->p), out_len;
  int rc;
  if (op == OP_NEG_OPEN) {
    sl_neg_free(s->server); /* a new session: the set as it is now */
    s->server = NULL;
    if ((rc = reconciler(s, &s->server)) != 0) return rc;
  }
  bool mine = op == OP_NEG_REPLY;
  sl_neg *g = mine ? s->client : s->server;
  if (!g) return SL_ESTATE; /* a reply to nothing, or a query outside a session */
  rc = sl_neg_reconcile(g, in, len, &msg, &out_len);
  if (rc < 0) {
    if (mine) drop_client(s);
    return rc;
  }
  if (rc == 0) {
    sl__pbw w = begin(s, mine ? OP_NEG_QUERY : OP_NEG_REPLY);
    sl__pbw_raw(&w, msg, out_len);
    if ((rc = emit(s, SL_FRAME_ORDERBOOK_SYNC, &w)) != 0) return rc;
  }
  if (!mine) return 0;
  s->stats.rounds++;
  size_t nh, nn;
  const uint8_t *have = sl_neg_have(g, &nh), *need = sl_neg_need(g, &nn);
  uint8_t(*want)[32] = malloc((nn ? nn : 1) * 32);
  if (!want) return SL_ENOMEM;
  size_t n = 0;
  for (size_t k = 0; k < nn; k++) {
    const uint8_t *id = need + 32 * k, *m;
    size_t ml;
    if (sl_book_sync_message(s->book, id, &m, &ml) != 0) memcpy(want[n++], id, 32);
  }
  rc = ask(s, want, &n);
  if (!rc) rc = emit_ids(s, OP_WANT, want[0], n);
  free(want);
  if (!rc) rc = emit_ids(s, OP_OFFER, have, nh);
  if (rc) return rc;
  if (out_len == 0) { /* agreed: the responder may let go */
    drop_client(s);
    s->stats.done = 1;
    sl__pbw w = begin(s, OP_DONE);
    return emit(s, SL_FRAME_ORDERBOOK_SYNC, &w);
  }
  return 0;
}

/* A snapshot page request: up to LIST_MAX messages after the cursor, in
 * sync-set order. */
static int snapshot_page(sl_booksync *s, sl__reader *r) {
  const uint8_t *has, *cur = NULL;
  if (!sl__take(r, 1, &has) || (*has && !sl__take(r, 40, &cur)) || r->p != r->end || *has > 1)
    return SL_ESYNC_MALFORMED;
  /* The first page takes a sorted snapshot of the sync set; later pages
   * read on from the cursor in it (no re-sort per page). */
  if (!cur || !s->snap) {
    free(s->snap);
    s->snap = NULL;
    int rc = sync_set(s, &s->snap, &s->n_snap);
    if (rc) return rc;
    qsort(s->snap, s->n_snap, sizeof *s->snap, sl__neg_item_cmp);
  }
  size_t k = 0, hi = s->n_snap;
  if (cur) { /* the first item after the cursor */
    sl_neg_item after = {.ts = sl__get_u64be(cur)};
    memcpy(after.id, cur + 8, 32);
    while (k < hi) {
      size_t mid = k + (hi - k) / 2;
      if (sl__neg_item_cmp(&s->snap[mid], &after) <= 0)
        k = mid + 1;
      else
        hi = mid;
    }
  }
  sl__pbw w = begin(s, 0);
  size_t more_at = w.len, count_at = w.len + 1, count = 0;
  sl__pbw_raw(&w, (const uint8_t[]){0}, 1);
  put_u16(&w, 0);
  for (; k < s->n_snap && count < LIST_MAX; k++) {
    const uint8_t *msg;
    size_t len;
    if (sl_book_sync_message(s->book, s->snap[k].id, &msg, &len) != 0) continue; /* gone since */
    if (count && w.len + 2 + len > s->cfg.frame_limit) break;
    put_u16(&w, len);
    sl__pbw_raw(&w, msg, len);
    count++;
    s->stats.sent++;
  }
  bool more = k < s->n_snap;
  if (!more) { /* the last page: let the snapshot go */
    free(s->snap);
    s->snap = NULL;
    s->n_snap = 0;
  }
  if (!w.failed) {
    w.buf[more_at] = more;
    w.buf[count_at] = (uint8_t)(count >> 8);
    w.buf[count_at + 1] = (uint8_t)count;
  }
  return emit(s, SL_FRAME_ORDERBOOK_RESPONSE, &w);
}

static int snapshot_received(sl_booksync *s, sl__reader *r, uint64_t now) {
  const uint8_t *more;
  if (!s->snapshot_pending) return SL_ESYNC_UNASKED;
  if (!sl__take(r, 1, &more) || *more > 1) return SL_ESYNC_MALFORMED;
  sl_neg_item last = {0};
  int rc = take_orders(s, r, true, now, &last);
  if (rc == SL_ESYNC_MALFORMED || !*more) {
    s->snapshot_pending = false;
    s->stats.done = !rc;
    return rc;
  }
  sl__pbw w = begin(s, 0); /* the next page */
  sl__pbw_raw(&w, (const uint8_t[]){1}, 1);
  sl__pbw_u64be(&w, last.ts);
  sl__pbw_raw(&w, last.id, 32);
  s->stats.rounds++;
  int erc = emit(s, SL_FRAME_ORDERBOOK_REQUEST, &w);
  return rc ? rc : erc;
}

int sl_booksync_receive(sl_booksync *s, int type, const uint8_t *payload, size_t len,
                        uint64_t now_ms) {
  if (!s || (!payload && len)) return SL_EINVAL;
  s->n_applied = 0;
  s->stats.bytes_in += len;
  sl__reader r = {payload, payload + len};
  const uint8_t *op = NULL;
  if (type == SL_FRAME_ORDERBOOK_SYNC && !sl__take(&r, 1, &op)) return SL_ESYNC_MALFORMED;
  int rc = check_pair(s, &r);
  if (rc) return rc;
  if (type == SL_FRAME_ORDERBOOK_REQUEST) return snapshot_page(s, &r);
  if (type == SL_FRAME_ORDERBOOK_RESPONSE) return snapshot_received(s, &r, now_ms);
  if (type != SL_FRAME_ORDERBOOK_SYNC) return SL_EINVAL;
  switch (*op) {
  case OP_NEG_OPEN:
  case OP_NEG_QUERY:
  case OP_NEG_REPLY:
    return negentropy(s, *op, &r);
  case OP_OFFER:
    return offered(s, &r);
  case OP_WANT:
    return serve(s, &r);
  case OP_ORDERS:
    return take_orders(s, &r, false, now_ms, NULL);
  case OP_DONE:
    if (r.p != r.end) return SL_ESYNC_MALFORMED;
    sl_neg_free(s->server);
    s->server = NULL;
    return 0;
  default:
    return SL_ESYNC_MALFORMED;
  }
}

int sl_booksync_next(sl_booksync *s, int *type, const uint8_t **payload, size_t *len) {
  if (!s || !type || !payload || !len) return 0;
  free(s->handed); /* the frame handed out last time was valid until now */
  s->handed = NULL;
  if (!s->n_out) return 0;
  outframe *f = &s->out[s->head_out++];
  s->n_out--;
  s->handed = f->bytes;
  *type = f->type;
  *payload = f->bytes;
  *len = f->len;
  return 1;
}

const uint8_t *sl_booksync_applied(const sl_booksync *s, size_t *n) {
  if (n) *n = s ? s->n_applied : 0;
  return s && s->n_applied ? s->applied[0] : NULL;
}

size_t sl_booksync_waiting(const sl_booksync *s) { return s ? s->waiting : 0; }

const sl_booksync_stats *sl_booksync_stats_of(const sl_booksync *s) { return s ? &s->stats : NULL; }
