/* test_trade.c — the trade state machine: a whole trade between a maker
 * and a taker, every refusal, the early endings (reject, cancel, timeouts,
 * endings that cross), save and load at every step, and a model-based run
 * of thousands of seeds over a link that drops, duplicates, delays and
 * reorders: both sides end, within their timeouts, in the same state. */
#include "check.h"
#include "trade_util.h"

#include <sodium.h>

#define NOW (TRADE_T0 + 1000)

static sl_identity *maker_id, *taker_id, *stranger_id;
static sl_order order;
static sl_trade_output maker_out, taker_out;
static sl_trade_config cfg;
static const uint8_t nonce[SL_TRADE_NONCE_BYTES] = {1, 2, 3};

static void make_order(void) {
  memset(&order, 0, sizeof order);
  order.kind = SL_ORDER_CREATE;
  strcpy(order.base, "BTC");
  strcpy(order.quote, "USDT");
  order.side = SL_ORDER_ASK;
  order.price = 9000000;
  order.amount = 100000;
  order.min_fill = 1000;
  order.created_ms = TRADE_T0;
  order.expires_ms = TRADE_T0 + 3600000;
  order.seq = 1;
  uint8_t wire[SL_ORDER_MAX_BYTES];
  size_t len;
  CHECK_EQ(sl_order_seal(&order, maker_id, wire, sizeof wire, &len), 0);
}

typedef struct wire {
  uint8_t *p;
  size_t n;
  int type;
} wire;

/* The next message a trade sends (copied), or n == 0. */
static wire out_of(sl_trade *t) {
  wire w = {NULL, 0, 0};
  const uint8_t *p;
  if (sl_trade_next(t, &w.type, &p, &w.n)) {
    w.p = malloc(w.n);
    memcpy(w.p, p, w.n);
  }
  return w;
}

static int state(const sl_trade *t) { return sl_trade_info_of(t)->state; }
static int wants(const sl_trade *t) { return sl_trade_info_of(t)->want; }

/* Carries every queued message from a to b; returns the last result. */
static int carry(sl_trade *a, sl_trade *b, uint64_t now) {
  int rc = 0;
  for (wire w = out_of(a); w.n; w = out_of(a)) {
    CHECK_EQ(w.type, sl_trade_frame_type(w.p[1]));
    rc = sl_trade_receive(b, w.p, w.n, now);
    free(w.p);
  }
  return rc;
}

/* The taker proposes; the maker's machine starts from the proposal. */
static void start(sl_trade **m, sl_trade **t, uint64_t amount) {
  CHECK_EQ(sl_trade_propose(t, &cfg, taker_id, &order, amount, &taker_out, nonce, NOW), 0);
  wire w = out_of(*t);
  CHECK_EQ(w.type, SL_FRAME_TRADE_PROPOSE);
  sl_trade_head h;
  CHECK_EQ(sl_trade_peek(w.p, w.n, &h), 0);
  CHECK(h.step == SL_TRADE_STEP_PROPOSE && !memcmp(h.order, order.id, 32));
  CHECK_EQ(sl_trade_incoming(m, &cfg, maker_id, &order, order.amount, w.p, w.n, NOW), 0);
  free(w.p);
}

/* Whatever the side wants, done by its wallet. */
static int act(sl_trade *t, uint64_t now) {
  uint8_t p[1024];
  int w = wants(t), role = sl_trade_info_of(t)->role;
  if (w == SL_TRADE_WANT_DECISION) return sl_trade_accept(t, &maker_out, now);
  if (w == SL_TRADE_WANT_BROADCAST) {
    uint8_t txid[32];
    memset(txid, 0x7d, 32);
    return sl_trade_give_txid(t, txid, now);
  }
  if (w == SL_TRADE_WANT_NOTHING) return 1;
  size_t n = wallet_psbt(w, role, &maker_out, &taker_out, 0, p);
  return sl_trade_give_psbt(t, p, n, now);
}

static void test_whole_trade(void) {
  sl_trade *m, *t;
  start(&m, &t, 5000);
  const sl_trade_info *mi = sl_trade_info_of(m), *ti = sl_trade_info_of(t);
  CHECK(!memcmp(mi->id, ti->id, 32));
  CHECK_EQ(mi->role, SL_TRADE_MAKER);
  CHECK_EQ(mi->amount, 5000);
  CHECK_EQ(ti->want, SL_TRADE_WANT_NOTHING);
  int expect_m[] = {SL_TRADE_ACCEPTED,     SL_TRADE_MAKER_PSBT_SENT, SL_TRADE_MAKER_PSBT_SENT,
                    SL_TRADE_MAKER_SIGNED, SL_TRADE_MAKER_SIGNED,    SL_TRADE_COMPLETED};
  int steps = 0;
  uint64_t now = NOW;
  while (state(m) < SL_TRADE_COMPLETED || state(t) < SL_TRADE_COMPLETED) {
    sl_trade *who = wants(m) ? m : t;
    if (!wants(who)) break;
    int before = state(who);
    CHECK_EQ(act(who, now += 100), 0);
    CHECK(state(who) > before);
    CHECK_EQ(carry(who, who == m ? t : m, now), 0);
    if (who == m && steps < 6) CHECK_EQ(state(m), expect_m[steps]);
    steps++;
  }
  CHECK_EQ(steps, 6); /* accept, PSBT, update, two signatures, broadcast */
  CHECK_EQ(state(m), SL_TRADE_COMPLETED);
  CHECK_EQ(state(t), SL_TRADE_COMPLETED);
  CHECK(!memcmp(mi->txid, ti->txid, 32) && ti->txid[0] == 0x7d);
  CHECK_EQ(sl_trade_wake(m), UINT64_MAX);
  /* What the maker broadcast carries both parties' signatures. */
  size_t n;
  const uint8_t *p = sl_trade_psbt(m, &n);
  sl_psbt *ps;
  CHECK_EQ(sl_psbt_parse(p, n, &ps), 0);
  CHECK(sl_psbt_input_at(ps, 0)->partial_sigs == 1 && sl_psbt_input_at(ps, 1)->partial_sigs == 1);
  sl_psbt_free(ps);
  CHECK_EQ(ti->maker_out.value, maker_out.value);
  sl_trade_free(m);
  sl_trade_free(t);
}

/* A message signed by `who` for the trade, of any step and fields. */
static wire forge(const sl_identity *who, const uint8_t trade[32], int step, const uint8_t *f,
                  size_t fn) {
  wire w = {malloc(66 + fn + 64), 66 + fn, 0};
  w.p[0] = 1;
  w.p[1] = (uint8_t)step;
  memcpy(w.p + 2, trade, 32);
  memcpy(w.p + 34, sl_identity_public_key(who), 32);
  memcpy(w.p + 66, f, fn);
  uint8_t d[16 + 32];
  memcpy(d, "starling-trade/1", 16);
  crypto_hash_sha256(d + 16, w.p, 66 + fn);
  CHECK_EQ(sl_identity_sign(who, d, sizeof d, w.p + 66 + fn), 0);
  w.n += 64;
  return w;
}

static void test_proposals_refused(void) {
  sl_trade *m = NULL, *t = NULL;
  CHECK_EQ(sl_trade_propose(&t, &cfg, maker_id, &order, 5000, &taker_out, nonce, NOW),
           SL_ETRADE_SENDER); /* one's own order */
  CHECK_EQ(sl_trade_propose(&t, &cfg, taker_id, &order, 999, &taker_out, nonce, NOW),
           SL_ETRADE_AMOUNT); /* under the minimum fill */
  CHECK_EQ(sl_trade_propose(&t, &cfg, taker_id, &order, 5000, &taker_out, nonce, order.expires_ms),
           SL_ETRADE_EXPIRED);
  CHECK_EQ(sl_trade_propose(&t, &cfg, taker_id, &order, 5000, &taker_out, nonce, NOW), 0);
  wire w = out_of(t);
  const uint64_t left = 4000;
  CHECK_EQ(sl_trade_incoming(&m, &cfg, maker_id, &order, left, w.p, w.n, NOW), SL_ETRADE_AMOUNT);
  CHECK_EQ(sl_trade_incoming(&m, &cfg, stranger_id, &order, 9000, w.p, w.n, NOW),
           SL_ETRADE_AMOUNT); /* not our order */
  CHECK_EQ(sl_trade_incoming(&m, &cfg, maker_id, &order, 9000, w.p, w.n, NOW + 120001),
           SL_ETRADE_EXPIRED); /* outside the clock window */
  CHECK_EQ(sl_trade_incoming(&m, &cfg, maker_id, &order, 9000, w.p, w.n - 1, NOW),
           SL_ETRADE_MALFORMED);
  w.p[w.n - 1] ^= 1;
  CHECK_EQ(sl_trade_incoming(&m, &cfg, maker_id, &order, 9000, w.p, w.n, NOW), SL_ETRADE_SIGNATURE);
  w.p[w.n - 1] ^= 1;
  w.p[66 + 64] ^= 1; /* the nonce: the trade id no longer follows */
  CHECK_EQ(sl_trade_incoming(&m, &cfg, maker_id, &order, 9000, w.p, w.n, NOW), SL_ETRADE_ID);
  w.p[66 + 64] ^= 1;
  CHECK(m == NULL);
  CHECK_EQ(sl_trade_incoming(&m, &cfg, maker_id, &order, 9000, w.p, w.n, NOW), 0);
  /* The proposal again is a duplicate; a third party's message is refused. */
  CHECK_EQ(sl_trade_receive(m, w.p, w.n, NOW), SL_TRADE_DUPLICATE);
  const uint8_t *id = sl_trade_info_of(m)->id;
  uint8_t out[23 + 8];
  out[0] = 22;
  memcpy(out + 1, maker_out.script, 22);
  memset(out + 23, 0, 8);
  wire x = forge(stranger_id, id, SL_TRADE_STEP_ACCEPT, out, sizeof out);
  CHECK_EQ(sl_trade_receive(t, x.p, x.n, NOW), SL_ETRADE_SENDER);
  free(x.p);
  x = forge(taker_id, id, SL_TRADE_STEP_ACCEPT, out, sizeof out); /* the taker's own step */
  CHECK_EQ(sl_trade_receive(m, x.p, x.n, NOW), SL_ETRADE_SENDER);
  free(x.p);
  uint8_t other[32] = {9};
  x = forge(maker_id, other, SL_TRADE_STEP_ACCEPT, out, sizeof out);
  CHECK_EQ(sl_trade_receive(t, x.p, x.n, NOW), SL_ETRADE_ID);
  free(x.p);
  x = forge(maker_id, id, SL_TRADE_STEP_ACCEPT, out, 5);
  CHECK_EQ(sl_trade_receive(t, x.p, x.n, NOW), SL_ETRADE_MALFORMED);
  free(x.p);
  x = forge(maker_id, id, SL_TRADE_STEP_BROADCAST, other, 32); /* nothing was signed yet */
  CHECK_EQ(sl_trade_receive(t, x.p, x.n, NOW), SL_ETRADE_STEP);
  free(x.p);
  uint8_t bad_end[4] = {SL_TRADE_COMPLETED, 0, 0, 0}; /* a cancel may not claim completion */
  x = forge(maker_id, id, SL_TRADE_STEP_CANCEL, bad_end, 4);
  CHECK_EQ(sl_trade_receive(t, x.p, x.n, NOW), SL_ETRADE_MALFORMED);
  free(x.p);
  CHECK_EQ(sl_trade_receive(t, NULL, 0, NOW), SL_ETRADE_MALFORMED);
  CHECK_EQ(state(t), SL_TRADE_PROPOSED);
  /* Out of place: the maker's PSBT before its acceptance. */
  CHECK_EQ(sl_trade_accept(m, &maker_out, NOW), 0);
  CHECK_EQ(sl_trade_accept(m, &maker_out, NOW), SL_ETRADE_STATE);
  CHECK_EQ(sl_trade_reject(m, "late", NOW), SL_ETRADE_STATE);
  wire accept = out_of(m);
  CHECK_EQ(act(m, NOW), 0);
  wire psbt = out_of(m);
  CHECK_EQ(sl_trade_receive(t, psbt.p, psbt.n, NOW), SL_ETRADE_STEP);
  CHECK_EQ(sl_trade_receive(t, accept.p, accept.n, NOW), 0);
  CHECK_EQ(sl_trade_receive(t, accept.p, accept.n, NOW), SL_TRADE_DUPLICATE);
  CHECK_EQ(sl_trade_receive(t, psbt.p, psbt.n, NOW), 0);
  CHECK_EQ(state(t), SL_TRADE_MAKER_PSBT_SENT);
  CHECK_EQ(sl_trade_give_txid(t, other, NOW), SL_ETRADE_STATE);
  /* The wallet's own PSBT is checked too: one paying the maker less is
   * refused and nothing changes. */
  uint8_t p[1024];
  size_t n = wallet_psbt(SL_TRADE_WANT_UPDATE, SL_TRADE_TAKER, &maker_out, &taker_out, 1, p);
  CHECK_EQ(sl_trade_give_psbt(t, p, n, NOW), SL_ETRADE_TERMS);
  CHECK_EQ(sl_trade_give_psbt(t, p, 10, NOW), SL_EPSBT_MALFORMED);
  CHECK_EQ(state(t), SL_TRADE_MAKER_PSBT_SENT);
  free(accept.p);
  free(psbt.p);
  free(w.p);
  sl_trade_free(m);
  sl_trade_free(t);
}

/* The counterparty's PSBT breaks the terms: refused, both end Failed. */
static void cheat(uint64_t short_by, bool drop_maker_input, bool other_tx) {
  sl_trade *m, *t;
  start(&m, &t, 5000);
  CHECK_EQ(act(m, NOW), 0);
  CHECK_EQ(act(m, NOW), 0);
  CHECK_EQ(carry(m, t, NOW), 0);
  uint8_t p[1024];
  size_t n;
  if (drop_maker_input) {
    static const uint8_t only_taker[1] = {0xb2};
    const sl_trade_output *outs[2] = {&taker_out, &maker_out};
    n = swap_psbt(p, only_taker, 1, outs, 2, 0);
  } else {
    n = wallet_psbt(SL_TRADE_WANT_UPDATE, SL_TRADE_TAKER, &maker_out, &taker_out,
                    other_tx ? 0 : short_by, p);
  }
  if (other_tx) { /* a good update, then a signature over another transaction */
    CHECK_EQ(sl_trade_give_psbt(t, p, n, NOW), 0);
    CHECK_EQ(carry(t, m, NOW), 0);
    CHECK_EQ(act(m, NOW), 0);
    CHECK_EQ(carry(m, t, NOW), 0);
    n = wallet_psbt(SL_TRADE_WANT_SIGNATURE, SL_TRADE_TAKER, &maker_out, &taker_out, 0, p);
    p[60] ^= 1; /* inside the first outpoint's txid */
  }
  int step = other_tx ? SL_TRADE_STEP_TAKER_SIGN : SL_TRADE_STEP_UPDATE;
  uint8_t f[1028];
  sl__put_u32be(f, (uint32_t)n);
  memcpy(f + 4, p, n);
  wire x = forge(taker_id, sl_trade_info_of(m)->id, step, f, n + 4);
  CHECK_EQ(sl_trade_receive(m, x.p, x.n, NOW), SL_ETRADE_TERMS);
  CHECK_EQ(state(m), SL_TRADE_FAILED);
  CHECK_EQ(sl_trade_info_of(m)->reason, SL_ETRADE_TERMS);
  CHECK_EQ(carry(m, t, NOW), 0);
  CHECK_EQ(state(t), SL_TRADE_FAILED);
  CHECK_EQ(sl_trade_info_of(t)->reason, SL_ETRADE_TERMS);
  free(x.p);
  sl_trade_free(m);
  sl_trade_free(t);
}

static void test_endings(void) {
  sl_trade *m, *t;
  /* Rejected, with the maker's text. */
  start(&m, &t, 5000);
  CHECK_EQ(sl_trade_reject(m, "out of stock", NOW), 0);
  CHECK_EQ(carry(m, t, NOW), 0);
  CHECK(state(m) == SL_TRADE_REJECTED && state(t) == SL_TRADE_REJECTED);
  CHECK(!strcmp(sl_trade_info_of(t)->text, "out of stock"));
  CHECK_EQ(sl_trade_info_of(t)->reason, SL_ETRADE_REJECTED);
  CHECK_EQ(sl_trade_cancel(t, NULL, NOW), SL_ETRADE_STATE);
  sl_trade_free(m);
  sl_trade_free(t);
  /* Cancelled by the taker mid-way; the maker may not cancel once signed. */
  start(&m, &t, 5000);
  for (int k = 0; k < 2; k++)
    CHECK_EQ(act(m, NOW), 0);
  CHECK_EQ(carry(m, t, NOW), 0);
  CHECK_EQ(sl_trade_cancel(t, "changed my mind", NOW), 0);
  CHECK_EQ(carry(t, m, NOW), 0);
  CHECK(state(m) == SL_TRADE_CANCELED && state(t) == SL_TRADE_CANCELED);
  sl_trade_free(m);
  sl_trade_free(t);
  start(&m, &t, 5000);
  for (int k = 0; k < 4; k++) {
    CHECK_EQ(act(wants(m) ? m : t, NOW), 0);
    CHECK_EQ(carry(m, t, NOW), 0);
    CHECK_EQ(carry(t, m, NOW), 0);
  }
  CHECK_EQ(state(m), SL_TRADE_MAKER_SIGNED);
  CHECK_EQ(sl_trade_cancel(m, NULL, NOW), SL_ETRADE_STATE);
  /* The taker then goes silent: the maker gives up at the timeout and
   * says so; the taker ends the same way. */
  uint64_t wake = sl_trade_wake(m);
  CHECK_EQ(wake, NOW + cfg.resend_ms); /* the signatures go again first */
  sl_trade_tick(m, wake);
  wire again = out_of(m);
  CHECK_EQ(again.type, SL_FRAME_PSBT_SIGN);
  CHECK_EQ(sl_trade_receive(t, again.p, again.n, wake), SL_TRADE_DUPLICATE);
  free(again.p);
  sl_trade_tick(m, NOW + cfg.step_timeout_ms);
  CHECK_EQ(state(m), SL_TRADE_FAILED);
  CHECK_EQ(sl_trade_info_of(m)->reason, SL_ETRADE_TIMEOUT);
  CHECK_EQ(carry(m, t, NOW + cfg.step_timeout_ms), 0);
  CHECK_EQ(state(t), SL_TRADE_FAILED);
  sl_trade_free(m);
  sl_trade_free(t);
  /* A maker that never decides: both sides' proposals expire. */
  start(&m, &t, 5000);
  sl_trade_tick(t, NOW + cfg.step_timeout_ms);
  sl_trade_tick(m, NOW + cfg.step_timeout_ms);
  CHECK(state(m) == SL_TRADE_EXPIRED && state(t) == SL_TRADE_EXPIRED);
  CHECK_EQ(carry(m, t, NOW + cfg.step_timeout_ms), SL_TRADE_DUPLICATE); /* crossed: the same */
  CHECK_EQ(state(t), SL_TRADE_EXPIRED);
  sl_trade_free(m);
  sl_trade_free(t);
  /* Endings that cross resolve the same way on both sides: a reject and a
   * cancel give Rejected; a timeout and the broadcast give Completed. */
  start(&m, &t, 5000);
  CHECK_EQ(sl_trade_reject(m, NULL, NOW), 0);
  CHECK_EQ(sl_trade_cancel(t, NULL, NOW), 0);
  CHECK_EQ(carry(m, t, NOW), 0);
  CHECK_EQ(carry(t, m, NOW), SL_TRADE_DUPLICATE);
  CHECK(state(m) == SL_TRADE_REJECTED && state(t) == SL_TRADE_REJECTED);
  sl_trade_free(m);
  sl_trade_free(t);
  start(&m, &t, 5000);
  while (state(m) != SL_TRADE_TAKER_SIGNED) {
    CHECK_EQ(act(wants(m) ? m : t, NOW), 0);
    CHECK_EQ(carry(m, t, NOW), 0);
    CHECK_EQ(carry(t, m, NOW), 0);
  }
  sl_trade_tick(t, NOW + cfg.step_timeout_ms);
  CHECK_EQ(state(t), SL_TRADE_FAILED);
  CHECK_EQ(act(m, NOW + 1000), 0); /* the broadcast */
  CHECK_EQ(carry(m, t, NOW + 1000), 0);
  CHECK_EQ(carry(t, m, NOW + 1000), SL_TRADE_DUPLICATE);
  CHECK(state(m) == SL_TRADE_COMPLETED && state(t) == SL_TRADE_COMPLETED);
  sl_trade_free(m);
  sl_trade_free(t);
  cheat(1, false, false);
  cheat(0, true, false);
  cheat(0, false, true);
}

/* Saved and loaded after every step, both sides still complete. */
static sl_trade *reload(sl_trade *t, const sl_identity *me) {
  uint8_t *b;
  size_t n;
  CHECK_EQ(sl_trade_save(t, &b, &n), 0);
  sl_trade *back = NULL;
  CHECK_EQ(sl_trade_load(&back, &cfg, stranger_id, b, n), SL_ETRADE_SENDER);
  CHECK_EQ(sl_trade_load(&back, &cfg, me, b, n - 1), SL_ETRADE_MALFORMED);
  CHECK_EQ(sl_trade_load(&back, &cfg, me, b, n), 0);
  uint8_t *b2;
  size_t n2;
  CHECK_EQ(sl_trade_save(back, &b2, &n2), 0);
  CHECK(n2 == n && !memcmp(b, b2, n)); /* nothing lost */
  free(b);
  free(b2);
  sl_trade_free(t);
  return back;
}

static void test_save_load(void) {
  sl_trade *m, *t;
  start(&m, &t, 5000);
  for (int k = 0; k < 6; k++) {
    sl_trade *who = wants(m) ? m : t;
    CHECK_EQ(act(who, NOW), 0);
    m = reload(m, maker_id);
    t = reload(t, taker_id);
    /* What was pending goes out again after a load: duplicates are fine. */
    carry(m, t, NOW);
    carry(t, m, NOW);
  }
  CHECK(state(m) == SL_TRADE_COMPLETED && state(t) == SL_TRADE_COMPLETED);
  sl_trade_free(m);
  sl_trade_free(t);
}

/* ------------------------------------------------------- the model run */

static uint64_t rng;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}
static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

typedef struct flight {
  uint64_t at;
  int to; /* 0 maker, 1 taker */
  wire w;
} flight;

typedef struct side {
  sl_trade *t;
  int last_state;
  int last_want;
  uint64_t act_at, cancel_at;
} side;

typedef struct model {
  side s[2];
  flight *air;
  size_t nair, cap;
  unsigned drop, dup; /* per mille */
  uint64_t max_delay;
  int cheat;
  uint64_t now;
  unsigned dropped;
} model;

/* How long the application or wallet takes: mostly quick, sometimes slow,
 * now and then past the step timeout. */
static uint64_t think(void) {
  unsigned r = rnd() % 100;
  if (r < 80) return rnd_below(2000);
  if (r < 95) return 2000 + rnd_below(18000);
  return 20000 + rnd_below(25000);
}

static void send_all(model *md, int from) {
  for (wire w = out_of(md->s[from].t); w.n; w = out_of(md->s[from].t)) {
    int copies = rnd() % 1000 < md->dup ? 2 : 1;
    for (int c = 0; c < copies; c++) {
      if (rnd() % 1000 < md->drop) {
        md->dropped++;
        continue;
      }
      if (md->nair == md->cap) {
        md->cap = md->cap ? 2 * md->cap : 16;
        md->air = realloc(md->air, md->cap * sizeof *md->air);
      }
      wire copy = w;
      copy.p = malloc(w.n);
      memcpy(copy.p, w.p, w.n);
      md->air[md->nair++] = (flight){md->now + rnd_below(md->max_delay + 1), !from, copy};
    }
    free(w.p);
  }
}

/* After anything happened to a side: it never goes back, it is not open
 * past its deadline once ticked, and a new want gets a time for the
 * wallet to act. */
static bool observe(model *md, int k, bool ticked) {
  side *s = &md->s[k];
  if (!s->t) return true;
  const sl_trade_info *i = sl_trade_info_of(s->t);
  static const int rank[] = {0, 0, 0, 0, 0, 0, 0, 5, 2, 4, 1, 3}; /* by state, as trade.c */
  bool ok = s->last_state >= SL_TRADE_COMPLETED && i->state != s->last_state
                ? rank[i->state] > rank[s->last_state] /* endings that crossed: only up */
                : i->state >= s->last_state;
  if (i->want != s->last_want || i->state != s->last_state)
    s->act_at = i->want ? md->now + think() : UINT64_MAX;
  s->last_state = i->state;
  s->last_want = i->want;
  /* Open past its timeout: never. */
  return ok && (i->state >= SL_TRADE_COMPLETED || i->deadline_ms > md->now ||
                (!ticked && i->deadline_ms == md->now));
}

static void deliver(model *md, const flight *f) {
  side *s = &md->s[f->to];
  if (!s->t) { /* the maker's trade starts from the first proposal it gets */
    if (f->w.p[1] != SL_TRADE_STEP_PROPOSE) return;
    CHECK_EQ(
        sl_trade_incoming(&s->t, &cfg, maker_id, &order, order.amount, f->w.p, f->w.n, md->now), 0);
    s->last_state = 0;
    return;
  }
  int rc = sl_trade_receive(s->t, f->w.p, f->w.n, md->now);
  /* Nothing a faithful peer sends over this link is refused, except what
   * reaches a trade that has ended or comes ahead of its step. */
  CHECK(rc >= 0 || rc == SL_ETRADE_STATE || rc == SL_ETRADE_STEP ||
        (md->cheat && rc == SL_ETRADE_TERMS));
}

static void act_model(model *md, int k) {
  side *s = &md->s[k];
  s->act_at = UINT64_MAX;
  const sl_trade_info *i = sl_trade_info_of(s->t);
  uint8_t p[1024];
  if (i->want == SL_TRADE_WANT_DECISION) {
    unsigned r = rnd() % 100;
    CHECK_EQ(r < 88 ? sl_trade_accept(s->t, &maker_out, md->now)
                    : sl_trade_reject(s->t, "no", md->now),
             0);
  } else if (i->want == SL_TRADE_WANT_BROADCAST) {
    uint8_t txid[32] = {7};
    CHECK_EQ(sl_trade_give_txid(s->t, txid, md->now), 0);
  } else if (i->want) {
    uint64_t short_by = md->cheat && i->want == SL_TRADE_WANT_UPDATE ? 1 : 0;
    size_t n = wallet_psbt(i->want, i->role, &maker_out, &taker_out, short_by, p);
    int rc = sl_trade_give_psbt(s->t, p, n, md->now);
    if (short_by) { /* the cheat's own check refuses it: it sends it anyway, by hand */
      CHECK_EQ(rc, SL_ETRADE_TERMS);
      uint8_t f[1028];
      sl__put_u32be(f, (uint32_t)n);
      memcpy(f + 4, p, n);
      wire x = forge(taker_id, i->id, SL_TRADE_STEP_UPDATE, f, n + 4);
      md->air = realloc(md->air, (md->nair + 1) * sizeof *md->air);
      md->cap = md->nair + 1;
      md->air[md->nair++] = (flight){md->now + rnd_below(md->max_delay + 1), 0, x};
    } else {
      CHECK_EQ(rc, 0);
    }
  }
}

typedef struct tally {
  unsigned runs, agreed_lossy, lossy, completed, failed, timeouts_ok, bad;
} tally;

static void run_model(uint64_t seed, tally *ty) {
  model md;
  memset(&md, 0, sizeof md);
  rng = seed * 0x9E3779B97F4A7C15ull + 1;
  bool lossy = rnd() % 2;
  md.drop = lossy ? 50 + rnd_below(300) : 0;
  md.dup = rnd_below(300);
  md.max_delay = lossy ? rnd_below(8000) : rnd_below(3000);
  md.cheat = rnd() % 20 == 0;
  md.now = NOW;
  for (int k = 0; k < 2; k++) {
    md.s[k].act_at = UINT64_MAX;
    md.s[k].cancel_at = rnd() % 10 == 0 ? NOW + rnd_below(60000) : UINT64_MAX;
  }
  CHECK_EQ(sl_trade_propose(&md.s[1].t, &cfg, taker_id, &order, 5000, &taker_out, nonce, NOW), 0);
  bool ok = observe(&md, 1, true);
  send_all(&md, 1);
  for (int guard = 0; guard < 100000; guard++) {
    /* The next event: a delivery, a wallet, a cancel, or a trade's wake. */
    uint64_t next = UINT64_MAX;
    for (size_t k = 0; k < md.nair; k++)
      if (md.air[k].at < next) next = md.air[k].at;
    for (int k = 0; k < 2; k++) {
      side *s = &md.s[k];
      if (!s->t) continue;
      if (s->act_at < next) next = s->act_at;
      if (s->cancel_at < next) next = s->cancel_at;
      if (sl_trade_wake(s->t) < next) next = sl_trade_wake(s->t);
    }
    if (next == UINT64_MAX) break;
    md.now = next;
    for (size_t k = 0; k < md.nair;) {
      if (md.air[k].at > md.now) {
        k++;
        continue;
      }
      flight f = md.air[k];
      md.air[k] = md.air[--md.nair];
      deliver(&md, &f);
      free(f.w.p);
    }
    for (int k = 0; k < 2; k++) {
      side *s = &md.s[k];
      if (!s->t) continue;
      ok = observe(&md, k, false) && ok;
      if (s->cancel_at <= md.now) {
        s->cancel_at = UINT64_MAX;
        int rc = sl_trade_cancel(s->t, "bye", md.now);
        CHECK(rc == 0 || rc == SL_ETRADE_STATE); /* refused once signed or ended */
      }
      if (s->act_at <= md.now) act_model(&md, k);
      sl_trade_tick(s->t, md.now);
      ok = observe(&md, k, true) && ok;
      send_all(&md, k);
    }
  }
  side *m = &md.s[0], *t = &md.s[1];
  const sl_trade_info *ti = sl_trade_info_of(t->t);
  const sl_trade_info *mi = m->t ? sl_trade_info_of(m->t) : NULL;
  bool ended = ti->state >= SL_TRADE_COMPLETED && (!mi || mi->state >= SL_TRADE_COMPLETED);
  /* A maker that never heard the proposal has nothing to agree with. */
  bool same = !mi || mi->state == ti->state;
  const sl_trade_info *done = ti->state == SL_TRADE_COMPLETED ? mi : ti;
  bool completed_alone =
      mi && (ti->state == SL_TRADE_COMPLETED || mi->state == SL_TRADE_COMPLETED) && !same &&
      !(done->state == SL_TRADE_FAILED && done->reason == SL_ETRADE_TIMEOUT);
  ty->runs++;
  if (md.dropped) {
    ty->lossy++;
    ty->agreed_lossy += same;
  }
  ty->completed += ti->state == SL_TRADE_COMPLETED;
  ty->failed += ti->state == SL_TRADE_FAILED;
  /* Both end; without loss both end the same way. With loss a final
   * message can be lost for good, but a completed trade is never seen on
   * the other side as anything but completed or given up at a timeout. */
  bool good = ok && ended && (md.dropped ? !completed_alone : same);
  if (md.cheat && mi && mi->state != SL_TRADE_EXPIRED && mi->state != SL_TRADE_REJECTED &&
      mi->state != SL_TRADE_CANCELED)
    good = good && mi->state == SL_TRADE_FAILED; /* a cheat never completes */
  if (!good && ty->bad++ < 5)
    fprintf(stderr, "model seed %llu: maker %d (%d) taker %d (%d) dropped %u ok %d\n",
            (unsigned long long)seed, mi ? mi->state : 0, mi ? mi->reason : 0, ti->state,
            ti->reason, md.dropped, ok);
  for (size_t k = 0; k < md.nair; k++)
    free(md.air[k].w.p);
  free(md.air);
  sl_trade_free(m->t);
  sl_trade_free(t->t);
}

static void test_model(void) {
#ifdef __EMSCRIPTEN__
  const unsigned seeds = 500;
#else
  const unsigned seeds = 3000;
#endif
  tally ty;
  memset(&ty, 0, sizeof ty);
  for (unsigned s = 1; s <= seeds; s++)
    run_model(s, &ty);
  CHECK_EQ(ty.bad, 0);
  CHECK(ty.completed > seeds / 3); /* the runs reach the end, not only timeouts */
  CHECK(ty.failed > 0);
  printf("model: %u seeds, %u completed, %u failed; %u lossy runs, %u ended the same way\n",
         ty.runs, ty.completed, ty.failed, ty.lossy, ty.agreed_lossy);
}

int main(void) {
  if (sl_init() != 0) return 1;
  uint8_t seed[SL_SEED_BYTES] = {1};
  CHECK_EQ(sl_identity_from_seed(&maker_id, seed), 0);
  seed[0] = 2;
  CHECK_EQ(sl_identity_from_seed(&taker_id, seed), 0);
  seed[0] = 3;
  CHECK_EQ(sl_identity_from_seed(&stranger_id, seed), 0);
  sl_trade_config_default(&cfg);
  make_order();
  maker_out = trade_out(0x11, 450000000);
  taker_out = trade_out(0x22, 5000);
  test_whole_trade();
  test_proposals_refused();
  test_endings();
  test_save_load();
  test_model();
  sl_identity_free(maker_id);
  sl_identity_free(taker_id);
  sl_identity_free(stranger_id);
  return check_summary("trade");
}
