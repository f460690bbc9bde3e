/*
 * trade.c — a trade between an order's maker and a taker, as a sans-IO
 * state machine (docs/protocol.md §11). The state is the last step done;
 * each step belongs to one side, and a side may take its step only when
 * the one before it is done:
 *
 *   1 PROPOSE (taker) 2 ACCEPT (maker) 3 PSBT (maker) 4 UPDATE (taker)
 *   5 MAKER_SIGN (maker) 6 TAKER_SIGN (taker) 7 BROADCAST (maker)
 *
 * REJECT (maker, instead of 2) and CANCEL (either) end a trade early; a
 * step not done within its timeout ends it too, and the side that gives up
 * says so with a CANCEL. Messages the peer has not answered are kept and
 * sent again, so loss only delays. Two final messages that cross resolve
 * the same way on both sides: the higher of the two states by `rank`.
 *
 *   body    = u8 version (1) | u8 step | trade id (32) | sender key (32) |
 *             the step's fields
 *   message = body | Ed25519 signature over "starling-trade/1" || SHA-256(body)
 *   trade id = SHA-256("starling-trade-id/1" || order id || taker key || nonce)
 */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define VERSION 1
#define HEAD (2 + SL_TRADE_ID_BYTES + SL_PUBLIC_KEY_BYTES)
#define PENDING_MAX 4
#define SAVE_MAGIC 0x54 /* 'T' */
#define SAVE_VERSION 1
static const char DOMAIN[] = "starling-trade/1";
static const char ID_DOMAIN[] = "starling-trade-id/1";

typedef struct blob {
  uint8_t *p;
  size_t n;
} blob;

struct sl_trade {
  sl_trade_config cfg;
  const sl_identity *me;
  sl_trade_info info;
  uint8_t nonce[SL_TRADE_NONCE_BYTES];
  int sent_step, peer_step;  /* the last progress step each side took */
  int accepted;              /* maker_out is set */
  uint64_t sent_at;          /* when pending last went out */
  blob psbt;                 /* the PSBT agreed so far (what the wallet acts on) */
  blob created;              /* the maker's funding PSBT: its inputs must stay */
  blob own;                  /* maker: its signed PSBT, combined with the taker's */
  blob pending[PENDING_MAX]; /* sent since the peer last took a step */
  size_t npending, out_next; /* out_next: the first not yet handed out */
};

void sl_trade_config_default(sl_trade_config *c) {
  c->step_timeout_ms = 30000;
  c->resend_ms = 5000;
  c->skew_ms = 120000;
  c->psbt_max = SL_TRADE_PSBT_MAX;
}

/* ------------------------------------------------------------- the steps */

static bool terminal(int state) { return state >= SL_TRADE_COMPLETED; }

/* Which side takes a step: SL_TRADE_MAKER, SL_TRADE_TAKER, or -1 (either). */
static int owner(int step) {
  switch (step) {
  case SL_TRADE_STEP_PROPOSE:
  case SL_TRADE_STEP_UPDATE:
  case SL_TRADE_STEP_TAKER_SIGN:
    return SL_TRADE_TAKER;
  case SL_TRADE_STEP_CANCEL:
    return -1;
  default:
    return SL_TRADE_MAKER;
  }
}

int sl_trade_frame_type(int step) {
  static const uint8_t types[] = {0,
                                  SL_FRAME_TRADE_PROPOSE,
                                  SL_FRAME_TRADE_ACCEPT,
                                  SL_FRAME_PSBT_CREATE,
                                  SL_FRAME_PSBT_UPDATE,
                                  SL_FRAME_PSBT_SIGN,
                                  SL_FRAME_TRADE_SIGNATURE,
                                  SL_FRAME_PSBT_BROADCAST,
                                  SL_FRAME_TRADE_REJECT,
                                  SL_FRAME_TRADE_CANCEL};
  return step >= 1 && step <= SL_TRADE_STEP_CANCEL ? types[step] : 0;
}

/* Two final states that crossed resolve to the higher: a broadcast
 * transaction outranks everything, a failure outranks a cancel. */
static int rank(int state) {
  switch (state) {
  case SL_TRADE_CANCELED:
    return 1;
  case SL_TRADE_REJECTED:
    return 2;
  case SL_TRADE_EXPIRED:
    return 3;
  case SL_TRADE_FAILED:
    return 4;
  case SL_TRADE_COMPLETED:
    return 5;
  default:
    return 0;
  }
}

static int last_step(const sl_trade *t) {
  return t->sent_step > t->peer_step ? t->sent_step : t->peer_step;
}

static int my_role(const sl_trade *t) { return t->info.role; }

static const uint8_t *peer_key(const sl_trade *t) {
  return my_role(t) == SL_TRADE_MAKER ? t->info.taker : t->info.maker;
}

static int want(const sl_trade *t) {
  if (terminal(t->info.state)) return SL_TRADE_WANT_NOTHING;
  int next = last_step(t) + 1;
  if (owner(next) != my_role(t)) return SL_TRADE_WANT_NOTHING;
  switch (next) {
  case SL_TRADE_STEP_ACCEPT:
    return SL_TRADE_WANT_DECISION;
  case SL_TRADE_STEP_PSBT:
    return SL_TRADE_WANT_PSBT;
  case SL_TRADE_STEP_UPDATE:
    return SL_TRADE_WANT_UPDATE;
  case SL_TRADE_STEP_BROADCAST:
    return SL_TRADE_WANT_BROADCAST;
  default:
    return SL_TRADE_WANT_SIGNATURE;
  }
}

static void enter(sl_trade *t, int state, uint64_t now) {
  t->info.state = state;
  t->info.state_ms = now;
  t->info.step = last_step(t);
  t->info.want = want(t);
  t->info.deadline_ms = terminal(state) ? UINT64_MAX : now + t->cfg.step_timeout_ms;
}

/* -------------------------------------------------------------- messages */

static void blob_free(blob *b) {
  free(b->p);
  b->p = NULL;
  b->n = 0;
}

static int blob_set(blob *b, const uint8_t *p, size_t n) {
  uint8_t *c = malloc(n ? n : 1);
  if (!c) return SL_ENOMEM;
  if (n) memcpy(c, p, n);
  free(b->p);
  b->p = c;
  b->n = n;
  return 0;
}

static void put_output(sl__pbw *w, const sl_trade_output *o) {
  uint8_t n = (uint8_t)o->script_len;
  sl__pbw_raw(w, &n, 1);
  sl__pbw_raw(w, o->script, o->script_len);
  sl__pbw_u64be(w, o->value);
}

static sl__pbw begin(const sl_trade *t, int step) {
  sl__pbw w;
  sl__pbw_init(&w, HEAD + t->cfg.psbt_max + 512);
  uint8_t h[2] = {VERSION, (uint8_t)step};
  sl__pbw_raw(&w, h, 2);
  sl__pbw_raw(&w, t->info.id, SL_TRADE_ID_BYTES);
  sl__pbw_raw(&w, sl_identity_public_key(t->me), SL_PUBLIC_KEY_BYTES);
  return w;
}

/* What a signature covers: the domain and the body's hash (a PSBT body
 * can be large; the hash spares a copy of it). */
static void signed_digest(const uint8_t *body, size_t n, uint8_t out[sizeof DOMAIN - 1 + 32]) {
  memcpy(out, DOMAIN, sizeof DOMAIN - 1);
  crypto_hash_sha256(out + sizeof DOMAIN - 1, body, n);
}

static void drop_pending(sl_trade *t) {
  while (t->npending)
    blob_free(&t->pending[--t->npending]);
  t->out_next = 0;
}

/* Signs the message and queues it. A final message replaces what was
 * pending: the peer needs nothing else from us any more. */
static int finish(sl_trade *t, sl__pbw *w, bool final, uint64_t now) {
  uint8_t d[sizeof DOMAIN - 1 + 32], sig[SL_SIGNATURE_BYTES];
  if (!w->failed) {
    signed_digest(w->buf, w->len, d);
    if (sl_identity_sign(t->me, d, sizeof d, sig) != 0) w->failed = SL_EINVAL;
  }
  sl__pbw_raw(w, sig, sizeof sig);
  if (w->failed) {
    int rc = w->failed;
    sl__pbw_free(w);
    return rc;
  }
  if (final) drop_pending(t);
  if (t->npending == PENDING_MAX) { /* cannot happen with 7 steps; stay bounded anyway */
    blob_free(&t->pending[0]);
    memmove(t->pending, t->pending + 1, (PENDING_MAX - 1) * sizeof(blob));
    t->npending--;
    if (t->out_next) t->out_next--;
  }
  t->pending[t->npending++] = (blob){w->buf, w->len};
  t->sent_at = now;
  return 0;
}

/* A message, split and verified: its step, sender and fields. */
typedef struct msg {
  int step;
  const uint8_t *trade, *sender;
  sl__reader fields;
} msg;

static int split(const uint8_t *in, size_t len, msg *m) {
  if (!in || len < HEAD + SL_SIGNATURE_BYTES || in[0] != VERSION) return SL_ETRADE_MALFORMED;
  m->step = in[1];
  if (m->step < SL_TRADE_STEP_PROPOSE || m->step > SL_TRADE_STEP_CANCEL) return SL_ETRADE_MALFORMED;
  m->trade = in + 2;
  m->sender = in + 2 + SL_TRADE_ID_BYTES;
  m->fields = (sl__reader){in + HEAD, in + len - SL_SIGNATURE_BYTES};
  return 0;
}

static int verify(const uint8_t *in, size_t len, const msg *m) {
  uint8_t d[sizeof DOMAIN - 1 + 32];
  signed_digest(in, len - SL_SIGNATURE_BYTES, d);
  return sl_verify(m->sender, d, sizeof d, in + len - SL_SIGNATURE_BYTES) == 0
             ? 0
             : SL_ETRADE_SIGNATURE;
}

static bool take_u64(sl__reader *r, uint64_t *v) {
  const uint8_t *p;
  if (!sl__take(r, 8, &p)) return false;
  *v = sl__get_u64be(p);
  return true;
}

static bool take_output(sl__reader *r, sl_trade_output *o) {
  const uint8_t *n, *s;
  if (!sl__take(r, 1, &n) || *n < 1 || *n > SL_TRADE_SCRIPT_MAX || !sl__take(r, *n, &s))
    return false;
  memcpy(o->script, s, *n);
  o->script_len = *n;
  return take_u64(r, &o->value);
}

static bool take_psbt(sl__reader *r, size_t max, const uint8_t **p, size_t *n) {
  const uint8_t *l;
  if (!sl__take(r, 4, &l)) return false;
  *n = sl__get_u32be(l);
  return *n <= max && sl__take(r, *n, p);
}

static bool at_end(const sl__reader *r) { return r->p == r->end; }

int sl_trade_peek(const uint8_t *in, size_t len, sl_trade_head *out) {
  msg m;
  if (!out || split(in, len, &m)) return SL_ETRADE_MALFORMED;
  memset(out, 0, sizeof *out);
  out->step = m.step;
  memcpy(out->trade, m.trade, SL_TRADE_ID_BYTES);
  memcpy(out->sender, m.sender, SL_PUBLIC_KEY_BYTES);
  const uint8_t *order;
  if (m.step == SL_TRADE_STEP_PROPOSE) {
    if (!sl__take(&m.fields, SL_ORDER_ID_BYTES, &order)) return SL_ETRADE_MALFORMED;
    memcpy(out->order, order, SL_ORDER_ID_BYTES);
  }
  return 0;
}

/* -------------------------------------------------------------- creation */

static void trade_id(const uint8_t order[32], const uint8_t taker[32], const uint8_t nonce[16],
                     uint8_t out[32]) {
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  crypto_hash_sha256_update(&h, (const uint8_t *)ID_DOMAIN, sizeof ID_DOMAIN - 1);
  crypto_hash_sha256_update(&h, order, SL_ORDER_ID_BYTES);
  crypto_hash_sha256_update(&h, taker, SL_PUBLIC_KEY_BYTES);
  crypto_hash_sha256_update(&h, nonce, SL_TRADE_NONCE_BYTES);
  crypto_hash_sha256_final(&h, out);
}

static bool output_ok(const sl_trade_output *o) {
  return o && o->script_len >= 1 && o->script_len <= SL_TRADE_SCRIPT_MAX;
}

static int make(sl_trade **out, const sl_trade_config *cfg, const sl_identity *me, int role) {
  sl_trade *t = calloc(1, sizeof *t);
  if (!t) return SL_ENOMEM;
  if (cfg)
    t->cfg = *cfg;
  else
    sl_trade_config_default(&t->cfg);
  if (!t->cfg.step_timeout_ms || !t->cfg.resend_ms || t->cfg.psbt_max > SL_PSBT_MAX_BYTES) {
    free(t);
    return SL_EINVAL;
  }
  t->me = me;
  t->info.role = role;
  *out = t;
  return 0;
}

/* The order rules a proposal must meet: the maker's live order, the
 * amount within [min fill, remaining]. */
static int check_order(const sl_order *o, const uint8_t maker[32], uint64_t amount,
                       uint64_t remaining, uint64_t now) {
  if (o->kind != SL_ORDER_CREATE && o->kind != SL_ORDER_UPDATE) return SL_EINVAL;
  if (memcmp(o->maker, maker, SL_PUBLIC_KEY_BYTES)) return SL_ETRADE_AMOUNT;
  if (now >= o->expires_ms) return SL_ETRADE_EXPIRED;
  if (!amount || amount < o->min_fill || amount > remaining) return SL_ETRADE_AMOUNT;
  return 0;
}

int sl_trade_propose(sl_trade **out, const sl_trade_config *cfg, const sl_identity *me,
                     const sl_order *order, uint64_t amount, const sl_trade_output *taker_out,
                     const uint8_t nonce[SL_TRADE_NONCE_BYTES], uint64_t now) {
  if (!out || !me || !order || !nonce || !output_ok(taker_out)) return SL_EINVAL;
  const uint8_t *self = sl_identity_public_key(me);
  if (!memcmp(self, order->maker, SL_PUBLIC_KEY_BYTES)) return SL_ETRADE_SENDER;
  int rc = check_order(order, order->maker, amount, order->amount, now);
  if (rc) return rc;
  sl_trade *t;
  if ((rc = make(&t, cfg, me, SL_TRADE_TAKER)) != 0) return rc;
  sl_trade_info *i = &t->info;
  memcpy(i->order_id, order->id, SL_ORDER_ID_BYTES);
  memcpy(i->maker, order->maker, SL_PUBLIC_KEY_BYTES);
  memcpy(i->taker, self, SL_PUBLIC_KEY_BYTES);
  memcpy(t->nonce, nonce, SL_TRADE_NONCE_BYTES);
  trade_id(i->order_id, i->taker, nonce, i->id);
  i->amount = amount;
  i->created_ms = now;
  i->taker_out = *taker_out;
  sl__pbw w = begin(t, SL_TRADE_STEP_PROPOSE);
  sl__pbw_raw(&w, i->order_id, SL_ORDER_ID_BYTES);
  sl__pbw_raw(&w, i->maker, SL_PUBLIC_KEY_BYTES);
  sl__pbw_raw(&w, nonce, SL_TRADE_NONCE_BYTES);
  sl__pbw_u64be(&w, amount);
  sl__pbw_u64be(&w, now);
  put_output(&w, taker_out);
  if ((rc = finish(t, &w, false, now)) != 0) {
    sl_trade_free(t);
    return rc;
  }
  t->sent_step = SL_TRADE_STEP_PROPOSE;
  enter(t, SL_TRADE_PROPOSED, now);
  *out = t;
  return 0;
}

static uint64_t distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

int sl_trade_incoming(sl_trade **out, const sl_trade_config *cfg, const sl_identity *me,
                      const sl_order *order, uint64_t remaining, const uint8_t *in, size_t len,
                      uint64_t now) {
  if (!out || !me || !order) return SL_EINVAL;
  msg m;
  int rc = split(in, len, &m);
  if (rc) return rc;
  if (m.step != SL_TRADE_STEP_PROPOSE) return SL_ETRADE_STEP;
  const uint8_t *order_id, *maker, *nonce;
  uint64_t amount, created;
  sl_trade_output taker_out;
  if (!sl__take(&m.fields, SL_ORDER_ID_BYTES, &order_id) ||
      !sl__take(&m.fields, SL_PUBLIC_KEY_BYTES, &maker) ||
      !sl__take(&m.fields, SL_TRADE_NONCE_BYTES, &nonce) || !take_u64(&m.fields, &amount) ||
      !take_u64(&m.fields, &created) || !take_output(&m.fields, &taker_out) || !at_end(&m.fields))
    return SL_ETRADE_MALFORMED;
  uint8_t id[SL_TRADE_ID_BYTES];
  trade_id(order_id, m.sender, nonce, id);
  if (memcmp(id, m.trade, SL_TRADE_ID_BYTES)) return SL_ETRADE_ID;
  if ((rc = verify(in, len, &m)) != 0) return rc;
  const uint8_t *self = sl_identity_public_key(me);
  if (memcmp(maker, self, SL_PUBLIC_KEY_BYTES) || memcmp(order_id, order->id, SL_ORDER_ID_BYTES))
    return SL_ETRADE_AMOUNT;
  if (!memcmp(m.sender, self, SL_PUBLIC_KEY_BYTES)) return SL_ETRADE_SENDER;
  if ((rc = check_order(order, self, amount, remaining, now)) != 0) return rc;
  sl_trade_config c;
  if (cfg)
    c = *cfg;
  else
    sl_trade_config_default(&c);
  if (distance(created, now) > c.skew_ms) return SL_ETRADE_EXPIRED;
  sl_trade *t;
  if ((rc = make(&t, &c, me, SL_TRADE_MAKER)) != 0) return rc;
  sl_trade_info *i = &t->info;
  memcpy(i->id, id, SL_TRADE_ID_BYTES);
  memcpy(i->order_id, order_id, SL_ORDER_ID_BYTES);
  memcpy(i->maker, self, SL_PUBLIC_KEY_BYTES);
  memcpy(i->taker, m.sender, SL_PUBLIC_KEY_BYTES);
  memcpy(t->nonce, nonce, SL_TRADE_NONCE_BYTES);
  i->amount = amount;
  i->created_ms = created;
  i->taker_out = taker_out;
  t->peer_step = SL_TRADE_STEP_PROPOSE;
  enter(t, SL_TRADE_PROPOSED, now);
  *out = t;
  return 0;
}

void sl_trade_free(sl_trade *t) {
  if (!t) return;
  blob_free(&t->psbt);
  blob_free(&t->created);
  blob_free(&t->own);
  for (size_t k = 0; k < t->npending; k++)
    blob_free(&t->pending[k]);
  free(t);
}

/* ------------------------------------------------------------ the ending */

static void set_text(sl_trade *t, const uint8_t *p, size_t n) {
  if (n > SL_TRADE_TEXT_MAX) n = SL_TRADE_TEXT_MAX;
  if (n) memcpy(t->info.text, p, n);
  t->info.text[n] = '\0';
}

/* We end the trade: REJECT or CANCEL (with the state it ends in, our
 * reason and a text) goes to the peer and stays pending for resends. */
static int end_here(sl_trade *t, int state, int reason, const char *text, uint64_t now) {
  int step = state == SL_TRADE_REJECTED ? SL_TRADE_STEP_REJECT : SL_TRADE_STEP_CANCEL;
  const char *z = text ? memchr(text, 0, SL_TRADE_TEXT_MAX) : NULL;
  size_t n = !text ? 0 : z ? (size_t)(z - text) : SL_TRADE_TEXT_MAX;
  sl__pbw w = begin(t, step);
  uint8_t f[3] = {(uint8_t)state, (uint8_t)((unsigned)-reason >> 8), (uint8_t)-reason};
  sl__pbw_raw(&w, f, 3);
  uint8_t l = (uint8_t)n;
  sl__pbw_raw(&w, &l, 1);
  sl__pbw_raw(&w, text, n);
  int rc = finish(t, &w, true, now);
  if (rc) return rc;
  t->info.reason = reason;
  set_text(t, (const uint8_t *)text, n);
  enter(t, state, now);
  return 0;
}

int sl_trade_reject(sl_trade *t, const char *text, uint64_t now) {
  if (!t) return SL_EINVAL;
  if (want(t) != SL_TRADE_WANT_DECISION) return SL_ETRADE_STATE;
  return end_here(t, SL_TRADE_REJECTED, SL_ETRADE_REJECTED, text, now);
}

/* Until our signatures are out: after that the peer may hold a signed
 * transaction, and only a timeout or the broadcast ends the trade. */
static bool may_cancel(const sl_trade *t) {
  if (terminal(t->info.state)) return false;
  int signed_step =
      my_role(t) == SL_TRADE_MAKER ? SL_TRADE_STEP_MAKER_SIGN : SL_TRADE_STEP_TAKER_SIGN;
  return t->sent_step < signed_step;
}

int sl_trade_cancel(sl_trade *t, const char *text, uint64_t now) {
  if (!t) return SL_EINVAL;
  if (!may_cancel(t)) return SL_ETRADE_STATE;
  return end_here(t, SL_TRADE_CANCELED, SL_ETRADE_CANCELED, text, now);
}

void sl_trade_tick(sl_trade *t, uint64_t now) {
  if (!t || terminal(t->info.state)) return;
  if (now >= t->info.deadline_ms) {
    int state = t->info.state == SL_TRADE_PROPOSED ? SL_TRADE_EXPIRED : SL_TRADE_FAILED;
    if (end_here(t, state, SL_ETRADE_TIMEOUT, "timeout", now) != 0) {
      /* No memory for the message: end here anyway, the peer times out too. */
      t->info.reason = SL_ETRADE_TIMEOUT;
      enter(t, state, now);
    }
    return;
  }
  if (t->npending && now >= t->sent_at + t->cfg.resend_ms) {
    t->out_next = 0;
    t->sent_at = now;
  }
}

void sl_trade_resend(sl_trade *t, uint64_t now) {
  if (!t || !t->npending || terminal(t->info.state)) return;
  t->out_next = 0;
  t->sent_at = now;
}

uint64_t sl_trade_wake(const sl_trade *t) {
  if (!t || terminal(t->info.state)) return UINT64_MAX;
  uint64_t w = t->info.deadline_ms;
  if (t->npending && t->sent_at + t->cfg.resend_ms < w) w = t->sent_at + t->cfg.resend_ms;
  return w;
}

int sl_trade_next(sl_trade *t, int *frame_type, const uint8_t **out, size_t *len) {
  if (!t || !frame_type || !out || !len || t->out_next >= t->npending) return 0;
  const blob *b = &t->pending[t->out_next++];
  *frame_type = sl_trade_frame_type(b->p[1]);
  *out = b->p;
  *len = b->n;
  return 1;
}

const sl_trade_info *sl_trade_info_of(const sl_trade *t) { return t ? &t->info : NULL; }

const uint8_t *sl_trade_psbt(const sl_trade *t, size_t *len) {
  if (!t || !len) return NULL;
  *len = t->psbt.n;
  return t->psbt.p;
}

/* ---------------------------------------------------------------- PSBTs */

/* Same outpoint: the 32-byte txid and the index. */
static bool has_input(const sl_psbt *p, const sl_psbt_input *in) {
  for (size_t k = 0; k < sl_psbt_input_count(p); k++) {
    const sl_psbt_input *x = sl_psbt_input_at(p, k);
    if (x->prev_index == in->prev_index && !memcmp(x->prev_txid, in->prev_txid, 32)) return true;
  }
  return false;
}

/* Does this PSBT, for the step about to be taken, keep to the terms? It
 * pays both outputs; an update keeps every input of the maker's funding
 * PSBT; a signed PSBT is the transaction that was updated. The combined
 * PSBT of the signing steps comes back in *combined when asked for. */
static int check_psbt(const sl_trade *t, int step, const uint8_t *in, size_t len, const blob *with,
                      uint8_t **combined, size_t *combined_len) {
  if (len > t->cfg.psbt_max) return SL_ETRADE_TERMS;
  sl_psbt *p;
  int rc = sl_psbt_parse(in, len, &p);
  if (rc) return rc;
  const sl_trade_output *o[2] = {&t->info.maker_out, &t->info.taker_out};
  for (int k = 0; k < 2 && !rc; k++)
    if (!sl_psbt_pays(p, o[k]->script, o[k]->script_len, o[k]->value)) rc = SL_ETRADE_TERMS;
  if (!rc && step == SL_TRADE_STEP_UPDATE) {
    sl_psbt *c;
    rc = sl_psbt_parse(t->created.p, t->created.n, &c);
    for (size_t k = 0; !rc && k < sl_psbt_input_count(c); k++)
      if (!has_input(p, sl_psbt_input_at(c, k))) rc = SL_ETRADE_TERMS;
    sl_psbt_free(c);
  }
  sl_psbt_free(p);
  if (rc || step < SL_TRADE_STEP_MAKER_SIGN) return rc;
  uint8_t *out = NULL;
  size_t n = 0;
  rc = sl_psbt_combine(in, len, with->p, with->n, &out, &n);
  if (rc == SL_EPSBT_MISMATCH) return SL_ETRADE_TERMS;
  if (rc) return rc;
  if (combined) {
    *combined = out;
    *combined_len = n;
  } else {
    free(out);
  }
  return 0;
}

static int psbt_message(sl_trade *t, int step, const uint8_t *p, size_t n, uint64_t now) {
  sl__pbw w = begin(t, step);
  sl__pbw_u32be(&w, (uint32_t)n);
  sl__pbw_raw(&w, p, n);
  int rc = finish(t, &w, false, now);
  if (rc) return rc;
  t->sent_step = step;
  enter(t, step, now); /* the state after step s is s (SL_TRADE_PROPOSED is 1) */
  return 0;
}

int sl_trade_give_psbt(sl_trade *t, const uint8_t *in, size_t len, uint64_t now) {
  if (!t || (!in && len)) return SL_EINVAL;
  int w = want(t);
  if (w != SL_TRADE_WANT_PSBT && w != SL_TRADE_WANT_UPDATE && w != SL_TRADE_WANT_SIGNATURE)
    return SL_ETRADE_STATE;
  int step = last_step(t) + 1;
  uint8_t *combined = NULL;
  size_t n = 0;
  /* The taker's signatures go out combined with the maker's; the maker
   * keeps its own to combine with the taker's when they come. */
  bool combine = step == SL_TRADE_STEP_TAKER_SIGN;
  int rc = check_psbt(t, step, in, len, &t->psbt, combine ? &combined : NULL, &n);
  if (rc) return rc;
  const uint8_t *send = combine ? combined : in;
  size_t send_len = combine ? n : len;
  if (step == SL_TRADE_STEP_PSBT) rc = blob_set(&t->created, in, len);
  if (!rc && step == SL_TRADE_STEP_MAKER_SIGN) rc = blob_set(&t->own, in, len);
  if (!rc && step != SL_TRADE_STEP_MAKER_SIGN) rc = blob_set(&t->psbt, send, send_len);
  if (!rc) rc = psbt_message(t, step, send, send_len, now);
  free(combined);
  return rc;
}

int sl_trade_accept(sl_trade *t, const sl_trade_output *maker_out, uint64_t now) {
  if (!t || !output_ok(maker_out)) return SL_EINVAL;
  if (want(t) != SL_TRADE_WANT_DECISION) return SL_ETRADE_STATE;
  sl__pbw w = begin(t, SL_TRADE_STEP_ACCEPT);
  put_output(&w, maker_out);
  int rc = finish(t, &w, false, now);
  if (rc) return rc;
  t->info.maker_out = *maker_out;
  t->accepted = 1;
  t->sent_step = SL_TRADE_STEP_ACCEPT;
  enter(t, SL_TRADE_ACCEPTED, now);
  return 0;
}

int sl_trade_give_txid(sl_trade *t, const uint8_t txid[32], uint64_t now) {
  if (!t || !txid) return SL_EINVAL;
  if (want(t) != SL_TRADE_WANT_BROADCAST) return SL_ETRADE_STATE;
  sl__pbw w = begin(t, SL_TRADE_STEP_BROADCAST);
  sl__pbw_raw(&w, txid, 32);
  int rc = finish(t, &w, true, now);
  if (rc) return rc;
  memcpy(t->info.txid, txid, 32);
  t->sent_step = SL_TRADE_STEP_BROADCAST;
  enter(t, SL_TRADE_COMPLETED, now);
  return 0;
}

/* ------------------------------------------------------------ receiving */

/* The peer took a step: what we had sent before it has been seen, so it
 * need not go again (what was never handed out still will). */
static void peer_moved(sl_trade *t, int step) {
  size_t gone = t->out_next;
  for (size_t k = 0; k < gone; k++)
    blob_free(&t->pending[k]);
  memmove(t->pending, t->pending + gone, (t->npending - gone) * sizeof(blob));
  t->npending -= gone;
  t->out_next = 0;
  t->peer_step = step;
}

/* The peer ended the trade, in `state`: ours ends the same way (or the
 * higher of the two, when ours had ended already and the two crossed). */
static int peer_ended(sl_trade *t, int state, int reason, const uint8_t *text, size_t n,
                      uint64_t now) {
  if (terminal(t->info.state) && rank(state) <= rank(t->info.state)) return SL_TRADE_DUPLICATE;
  if (!terminal(t->info.state)) drop_pending(t); /* the peer wants nothing more */
  t->info.reason = reason;
  set_text(t, text, n);
  enter(t, state, now);
  return 0;
}

/* An ending message: REJECT, CANCEL or BROADCAST. */
static int receive_end(sl_trade *t, const msg *m, uint64_t now) {
  sl__reader r = m->fields;
  if (m->step == SL_TRADE_STEP_BROADCAST) {
    const uint8_t *txid;
    if (!sl__take(&r, 32, &txid) || !at_end(&r)) return SL_ETRADE_MALFORMED;
    /* Only once our signatures went: before that no transaction exists. */
    if (t->sent_step < SL_TRADE_STEP_TAKER_SIGN) return SL_ETRADE_STEP;
    if (t->info.state == SL_TRADE_COMPLETED) return SL_TRADE_DUPLICATE;
    memcpy(t->info.txid, txid, 32);
    t->peer_step = SL_TRADE_STEP_BROADCAST;
    return peer_ended(t, SL_TRADE_COMPLETED, 0, NULL, 0, now);
  }
  const uint8_t *f, *text;
  if (!sl__take(&r, 4, &f) || !sl__take(&r, f[3], &text) || !at_end(&r) || f[3] > SL_TRADE_TEXT_MAX)
    return SL_ETRADE_MALFORMED;
  int state = f[0], reason = -(int)((unsigned)f[1] << 8 | f[2]);
  if (m->step == SL_TRADE_STEP_REJECT) {
    if (state != SL_TRADE_REJECTED) return SL_ETRADE_MALFORMED;
    if (t->peer_step >= SL_TRADE_STEP_ACCEPT || t->sent_step > SL_TRADE_STEP_PROPOSE)
      return SL_ETRADE_STEP; /* the maker accepted already */
  } else if (state != SL_TRADE_CANCELED && state != SL_TRADE_FAILED && state != SL_TRADE_EXPIRED) {
    return SL_ETRADE_MALFORMED;
  }
  return peer_ended(t, state, reason, text, f[3], now);
}

/* A progress step of the peer's, the one the trade is waiting for. */
static int receive_step(sl_trade *t, const msg *m, uint64_t now) {
  sl__reader r = m->fields;
  if (m->step == SL_TRADE_STEP_ACCEPT) {
    sl_trade_output o;
    if (!take_output(&r, &o) || !at_end(&r)) return SL_ETRADE_MALFORMED;
    t->info.maker_out = o;
    t->accepted = 1;
    peer_moved(t, m->step);
    enter(t, SL_TRADE_ACCEPTED, now);
    return 0;
  }
  const uint8_t *p;
  size_t n;
  if (!take_psbt(&r, t->cfg.psbt_max, &p, &n) || !at_end(&r)) return SL_ETRADE_MALFORMED;
  /* The maker combines the taker's signatures with its own. */
  const blob *with = m->step == SL_TRADE_STEP_TAKER_SIGN ? &t->own : &t->psbt;
  uint8_t *combined = NULL;
  size_t cn = 0;
  int rc = check_psbt(t, m->step, p, n, with, &combined, &cn);
  if (rc) {
    /* The counterparty signed a PSBT that breaks the terms: the trade
     * cannot go on. Both sides end Failed; the caller scores the peer. */
    int e = end_here(t, SL_TRADE_FAILED, rc, "PSBT refused", now);
    return e ? e : rc;
  }
  bool keep_combined = m->step == SL_TRADE_STEP_TAKER_SIGN;
  if (m->step == SL_TRADE_STEP_PSBT) rc = blob_set(&t->created, p, n);
  if (!rc) rc = keep_combined ? blob_set(&t->psbt, combined, cn) : blob_set(&t->psbt, p, n);
  free(combined);
  if (rc) return rc;
  peer_moved(t, m->step);
  enter(t, m->step, now);
  return 0;
}

int sl_trade_receive(sl_trade *t, const uint8_t *in, size_t len, uint64_t now) {
  if (!t) return SL_EINVAL;
  msg m;
  int rc = split(in, len, &m);
  if (rc) return rc;
  if (memcmp(m.trade, t->info.id, SL_TRADE_ID_BYTES)) return SL_ETRADE_ID;
  if (memcmp(m.sender, peer_key(t), SL_PUBLIC_KEY_BYTES) ||
      (owner(m.step) != -1 && owner(m.step) == my_role(t)))
    return SL_ETRADE_SENDER;
  if ((rc = verify(in, len, &m)) != 0) return rc;
  bool ending = m.step == SL_TRADE_STEP_BROADCAST || m.step >= SL_TRADE_STEP_REJECT;
  if (!ending && m.step <= t->peer_step)
    rc = SL_TRADE_DUPLICATE;
  else if (ending)
    rc = receive_end(t, &m, now);
  else if (terminal(t->info.state))
    rc = SL_ETRADE_STATE;
  else if (m.step != last_step(t) + 1)
    rc = SL_ETRADE_STEP;
  else
    rc = receive_step(t, &m, now);
  /* An ended trade answers a peer that has not heard: our final message
   * goes again, at most once a fifth of the resend interval. */
  if (terminal(t->info.state) && rc != 0 && t->npending &&
      now >= t->sent_at + t->cfg.resend_ms / 5) {
    t->out_next = 0;
    t->sent_at = now;
  }
  return rc;
}

/* ----------------------------------------------------------- persistence */

static void put_blob(sl__pbw *w, const blob *b) {
  sl__pbw_u32be(w, (uint32_t)b->n);
  sl__pbw_raw(w, b->p, b->n);
}

int sl_trade_save(const sl_trade *t, uint8_t **out, size_t *len) {
  if (!t || !out || !len) return SL_EINVAL;
  const sl_trade_info *i = &t->info;
  sl__pbw w;
  sl__pbw_init(&w, SIZE_MAX);
  uint8_t h[8] = {SAVE_MAGIC,           SAVE_VERSION,          (uint8_t)i->role,
                  (uint8_t)i->state,    (uint8_t)t->sent_step, (uint8_t)t->peer_step,
                  (uint8_t)t->accepted, (uint8_t)t->npending};
  sl__pbw_raw(&w, h, sizeof h);
  sl__pbw_u32be(&w, (uint32_t)-i->reason);
  sl__pbw_raw(&w, i->id, SL_TRADE_ID_BYTES);
  sl__pbw_raw(&w, i->order_id, SL_ORDER_ID_BYTES);
  sl__pbw_raw(&w, i->maker, SL_PUBLIC_KEY_BYTES);
  sl__pbw_raw(&w, i->taker, SL_PUBLIC_KEY_BYTES);
  sl__pbw_raw(&w, t->nonce, SL_TRADE_NONCE_BYTES);
  sl__pbw_raw(&w, i->txid, 32);
  const uint64_t v[5] = {i->amount, i->created_ms, i->state_ms, i->deadline_ms, t->sent_at};
  for (int k = 0; k < 5; k++)
    sl__pbw_u64be(&w, v[k]);
  put_output(&w, &i->taker_out);
  if (t->accepted) put_output(&w, &i->maker_out);
  uint8_t tl = (uint8_t)strlen(i->text);
  sl__pbw_raw(&w, &tl, 1);
  sl__pbw_raw(&w, i->text, tl);
  put_blob(&w, &t->psbt);
  put_blob(&w, &t->created);
  put_blob(&w, &t->own);
  for (size_t k = 0; k < t->npending; k++)
    put_blob(&w, &t->pending[k]);
  if (w.failed) {
    sl__pbw_free(&w);
    return SL_ENOMEM;
  }
  *out = w.buf;
  *len = w.len;
  return 0;
}

static bool take_blob(sl__reader *r, blob *b) {
  const uint8_t *l, *p;
  if (!sl__take(r, 4, &l) || !sl__take(r, sl__get_u32be(l), &p)) return false;
  return blob_set(b, p, sl__get_u32be(l)) == 0;
}

static bool load_fields(sl_trade *t, sl__reader *r) {
  sl_trade_info *i = &t->info;
  const uint8_t *h, *p, *tl;
  if (!sl__take(r, 8, &h) || h[0] != SAVE_MAGIC || h[1] != SAVE_VERSION || h[2] > 1 ||
      h[3] < SL_TRADE_PROPOSED || h[3] > SL_TRADE_EXPIRED || h[4] > SL_TRADE_STEP_BROADCAST ||
      h[5] > SL_TRADE_STEP_BROADCAST || h[6] > 1 || h[7] > PENDING_MAX)
    return false;
  i->role = h[2];
  i->state = h[3];
  t->sent_step = h[4];
  t->peer_step = h[5];
  t->accepted = h[6];
  size_t npending = h[7];
  if (!sl__take(r, 4, &p)) return false;
  i->reason = -(int)(sl__get_u32be(p) & 0xffff);
  uint8_t *fixed[] = {i->id, i->order_id, i->maker, i->taker, t->nonce, i->txid};
  const size_t sizes[] = {32, 32, 32, 32, SL_TRADE_NONCE_BYTES, 32};
  for (int k = 0; k < 6; k++) {
    if (!sl__take(r, sizes[k], &p)) return false;
    memcpy(fixed[k], p, sizes[k]);
  }
  uint64_t *v[5] = {&i->amount, &i->created_ms, &i->state_ms, &i->deadline_ms, &t->sent_at};
  for (int k = 0; k < 5; k++)
    if (!take_u64(r, v[k])) return false;
  if (!take_output(r, &i->taker_out)) return false;
  if (t->accepted && !take_output(r, &i->maker_out)) return false;
  if (!sl__take(r, 1, &tl) || *tl > SL_TRADE_TEXT_MAX || !sl__take(r, *tl, &p)) return false;
  set_text(t, p, *tl);
  if (!take_blob(r, &t->psbt) || !take_blob(r, &t->created) || !take_blob(r, &t->own)) return false;
  for (; t->npending < npending; t->npending++) {
    if (!take_blob(r, &t->pending[t->npending])) return false;
    if (t->pending[t->npending].n < HEAD) {
      t->npending++;
      return false;
    }
  }
  i->step = last_step(t);
  i->want = want(t);
  return at_end(r);
}

int sl_trade_load(sl_trade **out, const sl_trade_config *cfg, const sl_identity *me,
                  const uint8_t *in, size_t len) {
  if (!out || !me || (!in && len)) return SL_EINVAL;
  sl_trade *t;
  int rc = make(&t, cfg, me, 0);
  if (rc) return rc;
  sl__reader r = {in, in + len};
  if (!load_fields(t, &r)) {
    sl_trade_free(t);
    return SL_ETRADE_MALFORMED;
  }
  const uint8_t *self = t->info.role == SL_TRADE_MAKER ? t->info.maker : t->info.taker;
  if (memcmp(self, sl_identity_public_key(me), SL_PUBLIC_KEY_BYTES)) {
    sl_trade_free(t);
    return SL_ETRADE_SENDER;
  }
  /* Whatever was pending goes out again at once: the link it went on
   * before the restart is gone. */
  t->out_next = 0;
  *out = t;
  return 0;
}
