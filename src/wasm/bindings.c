/* bindings.c — the few helpers the JS glue needs beyond the public API.
 * Everything else is exported as is (see CMakeLists.txt). The boundary is
 * kept narrow and batched where calls are hot: one decode call handles a
 * whole chunk of frames. */
#include "internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Decodes as many frames as possible from data[0..len). For each frame it
 * writes three u32 words to desc: type, payload pointer, payload length.
 * Stops after max_frames, after a frame whose payload lives in the
 * decoder's own buffer (it is released by the next push), or at the end of
 * the input. *consumed gets the input bytes used. Returns the number of
 * frames, or a negative code; on error *frames_before gets the count of
 * frames decoded before it (their descriptors are valid). */
int sl_wasm_frame_decode_batch(sl_frame_decoder *dec, const uint8_t *data, size_t len,
                               uint32_t *desc, size_t max_frames, size_t *consumed,
                               size_t *frames_before) {
  size_t pos = 0, count = 0;
  *frames_before = 0;
  while (count < max_frames) {
    size_t used = 0;
    sl_frame f;
    int rc = sl_frame_decoder_push(dec, data + pos, len - pos, &used, &f);
    pos += used;
    if (rc < 0) {
      *consumed = pos;
      *frames_before = count;
      return rc;
    }
    if (rc == 0) break;
    desc[3 * count] = f.type;
    desc[3 * count + 1] = (uint32_t)(uintptr_t)f.payload;
    desc[3 * count + 2] = (uint32_t)f.len;
    count++;
    bool in_place = f.payload >= data && f.payload < data + len;
    if (!in_place && f.len) break;
    if (pos == len) break;
  }
  *consumed = pos;
  return (int)count;
}

/* The hot path of a link, one boundary crossing per record each way. */

/* One record from a path: decrypts it (the plaintext stays in wasm, in
 * plain: SL_RECORD_MAX_PLAINTEXT bytes), decodes its frames and hands each
 * to the delivery machine. The host then drains the machine's events,
 * which carry only the delivered payloads. 0 or a negative code (the
 * path is over). */
int sl_wasm_path_receive(sl_session *s, sl_frame_decoder *dec, sl_delivery *d, const uint8_t *rec,
                         size_t len, uint8_t *plain) {
  size_t n = 0;
  int rc = sl_session_decrypt(s, rec, len, plain, SL_RECORD_MAX_PLAINTEXT, &n);
  for (size_t pos = 0; rc >= 0 && pos < n;) {
    size_t used = 0;
    sl_frame f;
    rc = sl_frame_decoder_push(dec, plain + pos, n - pos, &used, &f);
    pos += used;
    if (rc == 1) rc = sl_delivery_frame(d, f.type, f.payload, f.len);
    if (rc == 0 && used == 0) break;
  }
  return rc < 0 ? rc : 0;
}

/* Encrypts the n bytes a delivery call (rc) put in plain: 1 with
 * *out_len set, 0 if there were none, or a negative code. */
static int seal(sl_session *s, int rc, const uint8_t *plain, size_t n, uint8_t *out,
                size_t *out_len) {
  if (rc < 0 || n == 0) return rc;
  rc = sl_session_encrypt(s, plain, n, out, SL_RECORD_MAX_BYTES, out_len);
  return rc < 0 ? rc : 1;
}

/* The next record for the active path: the delivery machine's plaintext,
 * encrypted (out: SL_RECORD_MAX_BYTES). */
int sl_wasm_path_write(sl_session *s, sl_delivery *d, uint8_t *plain, uint8_t *out,
                       size_t *out_len) {
  size_t n = 0;
  *out_len = 0;
  return seal(s, sl_delivery_write(d, plain, SL_RECORD_MAX_PLAINTEXT, &n), plain, n, out, out_len);
}

/* The goodbye record (a due ACK, then DISCONNECT), as sl_wasm_path_write. */
int sl_wasm_path_goodbye(sl_session *s, sl_delivery *d, uint8_t *plain, uint8_t *out,
                         size_t *out_len) {
  size_t n = 0;
  *out_len = 0;
  return seal(s, sl_delivery_goodbye(d, plain, SL_RECORD_MAX_PLAINTEXT, &n), plain, n, out,
              out_len);
}

/* Up to max events into evs; the count, or SL_ENOMEM. */
int sl_wasm_delivery_drain(sl_delivery *d, sl_delivery_event *evs, size_t max) {
  size_t n = 0;
  for (; n < max; n++) {
    int rc = sl_delivery_next(d, &evs[n]);
    if (rc < 0) return rc;
    if (rc == 0) break;
  }
  return (int)n;
}

/* ------------------------------------------------------------------ gossip */

/* The router's options from JS: (key, value) pairs of doubles, keys in
 * this order (js-glue/gossip.js OPTION mirrors it). uint64_t arguments
 * become doubles: the module is built without BigInt. */
enum {
  OPT_D,
  OPT_D_LO,
  OPT_D_HI,
  OPT_D_LAZY,
  OPT_D_SCORE,
  OPT_D_OUT,
  OPT_HEARTBEAT_MS,
  OPT_SEEN_TTL_MS,
  OPT_FANOUT_TTL_MS,
  OPT_PRUNE_BACKOFF_MS,
  OPT_FLOOD_PUBLISH,
  OPT_CONTENT_ID,
  OPT_MAX_MESSAGE_BYTES,
  OPT_IDONTWANT_THRESHOLD,
  OPT_VALIDATION_TIMEOUT_MS,
  OPT_MAX_RPC_BYTES,
  OPT_ACCEPT_PX_THRESHOLD,
  OPT_COUNT
};

static int set_option(sl_gossip_params *p, int key, double v) {
  if (v != v || v < 0 || v > 4294967295.0) return SL_EINVAL;
  int i = (int)v;
  uint32_t u = (uint32_t)v;
  switch (key) {
  case OPT_D:
    p->d = i;
    break;
  case OPT_D_LO:
    p->d_lo = i;
    break;
  case OPT_D_HI:
    p->d_hi = i;
    break;
  case OPT_D_LAZY:
    p->d_lazy = i;
    break;
  case OPT_D_SCORE:
    p->d_score = i;
    break;
  case OPT_D_OUT:
    p->d_out = i;
    break;
  case OPT_HEARTBEAT_MS:
    p->heartbeat_ms = u;
    break;
  case OPT_SEEN_TTL_MS:
    p->seen_ttl_ms = u;
    break;
  case OPT_FANOUT_TTL_MS:
    p->fanout_ttl_ms = u;
    break;
  case OPT_PRUNE_BACKOFF_MS:
    p->prune_backoff_ms = u;
    break;
  case OPT_FLOOD_PUBLISH:
    p->flood_publish = i != 0;
    break;
  case OPT_CONTENT_ID:
    p->content_id = i != 0;
    break;
  case OPT_MAX_MESSAGE_BYTES:
    p->max_message_bytes = u;
    break;
  case OPT_IDONTWANT_THRESHOLD:
    p->idontwant_threshold = u;
    break;
  case OPT_VALIDATION_TIMEOUT_MS:
    p->validation_timeout_ms = u;
    break;
  case OPT_MAX_RPC_BYTES:
    p->max_rpc_bytes = u;
    break;
  case OPT_ACCEPT_PX_THRESHOLD:
    p->accept_px_threshold = v;
    break;
  default:
    return SL_EINVAL;
  }
  return 0;
}

int sl_wasm_gossip_new(sl_gossip **out, const sl_identity *id, const double *opts, size_t n,
                       double seed, double now_ms) {
  sl_gossip_params p;
  sl_gossip_params_default(&p);
  for (size_t k = 0; k + 1 < 2 * n; k += 2) {
    int rc = set_option(&p, (int)opts[k], opts[k + 1]);
    if (rc) return rc;
  }
  return sl_gossip_new(out, id, &p, (uint64_t)seed, (uint64_t)now_ms);
}

void sl_wasm_gossip_tick(sl_gossip *g, double now_ms) { sl_gossip_tick(g, (uint64_t)now_ms); }

double sl_wasm_gossip_score(sl_gossip *g, const char *peer_id) {
  return sl_gossip_score(g, peer_id);
}

/* The stats as doubles, in struct order (19 of them). */
int sl_wasm_gossip_stats(const sl_gossip *g, double *out) {
  sl_gossip_stats s;
  sl_gossip_get_stats(g, &s);
  const uint64_t *v = &s.rpcs_in;
  size_t n = sizeof s / sizeof(uint64_t);
  for (size_t k = 0; k < n; k++)
    out[k] = (double)v[k];
  return (int)n;
}

_Static_assert(sizeof(sl_gossip_stats) == 19 * sizeof(uint64_t), "stats are 19 counters");
_Static_assert(sizeof(void *) != 4 || sizeof(sl_gossip_event) == 40, "JS reads 40-byte events");
_Static_assert(sizeof(void *) != 4 || offsetof(sl_gossip_event, peer) == 16, "event.peer at 16");
_Static_assert(sizeof(void *) != 4 || offsetof(sl_gossip_event, len) == 36, "event.len at 36");

/* seq as a double: JS numbers carry it without BigInt (exact to 2^53). */
int sl_wasm_peer_record_seal(const sl_identity *id, double seq, const char *addrs, uint8_t *out,
                             size_t cap, size_t *len) {
  if (!(seq >= 0 && seq <= 9007199254740992.0)) return SL_EINVAL;
  return sl_peer_record_seal(id, (uint64_t)seq, addrs, out, cap, len);
}

/* ------------------------------------------------------------- orderbook */

_Static_assert(offsetof(sl_wasm_order, kind) == 56, "kind at 56");
_Static_assert(offsetof(sl_wasm_order, id) == 64, "id at 64");
_Static_assert(offsetof(sl_wasm_order, base) == 160, "base at 160");
_Static_assert(offsetof(sl_wasm_order, data_len) == 186, "data_len at 186");
_Static_assert(offsetof(sl_wasm_order, data) == 188, "data at 188");

static void view_of(const sl_order *o, uint64_t remaining, sl_wasm_order *v) {
  memset(v, 0, sizeof *v);
  v->price = o->price;
  v->amount = o->amount;
  v->min_fill = o->min_fill;
  v->created_ms = o->created_ms;
  v->expires_ms = o->expires_ms;
  v->seq = o->seq;
  v->remaining = remaining;
  v->kind = o->kind;
  v->side = o->side;
  memcpy(v->id, o->id, 32);
  memcpy(v->maker, o->maker, 32);
  memcpy(v->target, o->target, 32);
  memcpy(v->base, o->base, sizeof v->base);
  memcpy(v->quote, o->quote, sizeof v->quote);
  v->data_len = (uint16_t)o->data_len;
  memcpy(v->data, o->data, o->data_len);
}

/* Seals the fields of *v with the identity; v->id and v->maker get the
 * result. */
int sl_wasm_order_seal(const sl_identity *id, sl_wasm_order *v, uint8_t *out, size_t cap,
                       size_t *len) {
  sl_order o;
  memset(&o, 0, sizeof o);
  o.kind = v->kind;
  o.side = v->side;
  memcpy(o.base, v->base, sizeof o.base);
  memcpy(o.quote, v->quote, sizeof o.quote);
  o.price = v->price;
  o.amount = v->amount;
  o.min_fill = v->min_fill;
  o.created_ms = v->created_ms;
  o.expires_ms = v->expires_ms;
  o.seq = v->seq;
  memcpy(o.target, v->target, 32);
  if (v->data_len > SL_ORDER_DATA_MAX) return SL_EORDER_RANGE;
  o.data_len = v->data_len;
  memcpy(o.data, v->data, v->data_len);
  int rc = sl_order_seal(&o, id, out, cap, len);
  if (!rc) view_of(&o, o.amount, v);
  return rc;
}

int sl_wasm_order_open(const uint8_t *msg, size_t len, sl_wasm_order *v) {
  sl_order o;
  int rc = sl_order_open(msg, len, &o);
  if (!rc) view_of(&o, o.amount, v);
  return rc;
}

int sl_wasm_book_get(const sl_book *b, const uint8_t *id, sl_wasm_order *v) {
  sl_order o;
  int rc = sl_book_get(b, id, &o);
  if (!rc) view_of(&o, sl_book_remaining(b, id), v);
  return rc;
}

int sl_wasm_book_receive(sl_book *b, const uint8_t *msg, size_t len, double now_ms, double skew_ms,
                         int synced, uint8_t *id) {
  return sl_book_receive(b, msg, len, (uint64_t)now_ms, (uint64_t)skew_ms, synced, id);
}

void sl_wasm_book_tick(sl_book *b, double now_ms) { sl_book_tick(b, (uint64_t)now_ms); }

void sl_wasm_book_keepalive(sl_book *b, const uint8_t *key, double now_ms) {
  sl_book_keepalive(b, key, (uint64_t)now_ms);
}

/* limits: max_orders, max_open_per_maker, maker_rate, maker_burst,
 * maker_silence_ms as doubles (0 keeps the default). */
int sl_wasm_book_new(sl_book **out, const char *base, const char *quote, const double *limits) {
  sl_book_limits l;
  sl_book_limits_default(&l);
  if (limits[0] > 0) l.max_orders = (uint32_t)limits[0];
  if (limits[1] > 0) l.max_open_per_maker = (uint32_t)limits[1];
  if (limits[2] > 0) l.maker_rate = (uint32_t)limits[2];
  if (limits[3] > 0) l.maker_burst = (uint32_t)limits[3];
  if (limits[4] > 0) l.maker_silence_ms = (uint64_t)limits[4];
  return sl_book_new(out, base, quote, &l);
}

/* amounts[0] the amount, amounts[1] the limit price (u64 in memory). */
size_t sl_wasm_book_match(const sl_book *b, int taker_side, const uint64_t *amounts,
                          const uint8_t *taker, sl_book_fill *out, size_t cap) {
  return sl_book_match(b, taker_side, amounts[0], amounts[1], taker, out, cap);
}

int sl_wasm_book_filled(sl_book *b, const uint8_t *id, const uint64_t *amount) {
  return sl_book_filled(b, id, *amount);
}

_Static_assert(sizeof(sl_book_fill) == 48, "JS reads 48-byte fills");
_Static_assert(sizeof(sl_book_level) == 24, "JS reads 24-byte levels");
_Static_assert(sizeof(sl_book_removal) == 36, "JS reads 36-byte removals");
_Static_assert(sizeof(sl_neg_item) == 40, "JS writes 40-byte items");

int sl_wasm_booksync_receive(sl_booksync *s, int type, const uint8_t *p, size_t len,
                             double now_ms) {
  return sl_booksync_receive(s, type, p, len, (uint64_t)now_ms);
}

/* bytes in, bytes out, rounds, received, sent, refused, done. */
void sl_wasm_booksync_stats(const sl_booksync *s, double *out) {
  const sl_booksync_stats *st = sl_booksync_stats_of(s);
  out[0] = (double)st->bytes_in;
  out[1] = (double)st->bytes_out;
  out[2] = st->rounds;
  out[3] = st->received;
  out[4] = st->sent;
  out[5] = st->refused;
  out[6] = st->done;
}

/* ------------------------------------------------------------------ trades */

/* cfg: step timeout, resend interval, proposal skew in ms (0 keeps the default). */
static void trade_config(const double *cfg, sl_trade_config *c) {
  sl_trade_config_default(c);
  if (cfg && cfg[0] > 0) c->step_timeout_ms = (uint64_t)cfg[0];
  if (cfg && cfg[1] > 0) c->resend_ms = (uint64_t)cfg[1];
  if (cfg && cfg[2] > 0) c->skew_ms = (uint64_t)cfg[2];
}

static int trade_output(const uint8_t *script, size_t len, double value, sl_trade_output *o) {
  if (!script || len < 1 || len > SL_TRADE_SCRIPT_MAX || !(value >= 0) ||
      value > 9007199254740991.0)
    return SL_EINVAL;
  memset(o, 0, sizeof *o);
  memcpy(o->script, script, len);
  o->script_len = len;
  o->value = (uint64_t)value;
  return 0;
}

/* The order travels as its signed message; amount is a u64 in memory. */
int sl_wasm_trade_propose(sl_trade **out, const double *cfg, const sl_identity *me,
                          const uint8_t *order_msg, size_t order_len, const uint64_t *amount,
                          const uint8_t *script, size_t script_len, double value,
                          const uint8_t *nonce, double now_ms) {
  sl_trade_config c;
  sl_order o;
  sl_trade_output to;
  trade_config(cfg, &c);
  int rc = sl_order_open(order_msg, order_len, &o);
  if (!rc) rc = trade_output(script, script_len, value, &to);
  if (!rc) rc = sl_trade_propose(out, &c, me, &o, *amount, &to, nonce, (uint64_t)now_ms);
  return rc;
}

int sl_wasm_trade_incoming(sl_trade **out, const double *cfg, const sl_identity *me,
                           const uint8_t *order_msg, size_t order_len, const uint64_t *remaining,
                           const uint8_t *msg, size_t len, double now_ms) {
  sl_trade_config c;
  sl_order o;
  trade_config(cfg, &c);
  int rc = sl_order_open(order_msg, order_len, &o);
  if (!rc) rc = sl_trade_incoming(out, &c, me, &o, *remaining, msg, len, (uint64_t)now_ms);
  return rc;
}

int sl_wasm_trade_load(sl_trade **out, const double *cfg, const sl_identity *me, const uint8_t *in,
                       size_t len) {
  sl_trade_config c;
  trade_config(cfg, &c);
  return sl_trade_load(out, &c, me, in, len);
}

int sl_wasm_trade_accept(sl_trade *t, const uint8_t *script, size_t len, double value,
                         double now_ms) {
  sl_trade_output o;
  int rc = trade_output(script, len, value, &o);
  return rc ? rc : sl_trade_accept(t, &o, (uint64_t)now_ms);
}

int sl_wasm_trade_end(sl_trade *t, int reject, const char *text, double now_ms) {
  return reject ? sl_trade_reject(t, text, (uint64_t)now_ms)
                : sl_trade_cancel(t, text, (uint64_t)now_ms);
}

int sl_wasm_trade_give_psbt(sl_trade *t, const uint8_t *p, size_t len, double now_ms) {
  return sl_trade_give_psbt(t, p, len, (uint64_t)now_ms);
}

int sl_wasm_trade_give_txid(sl_trade *t, const uint8_t *txid, double now_ms) {
  return sl_trade_give_txid(t, txid, (uint64_t)now_ms);
}

int sl_wasm_trade_receive(sl_trade *t, const uint8_t *msg, size_t len, double now_ms) {
  return sl_trade_receive(t, msg, len, (uint64_t)now_ms);
}

void sl_wasm_trade_resend(sl_trade *t, double now_ms) { sl_trade_resend(t, (uint64_t)now_ms); }

/* Ticks, then returns when the trade next needs a tick (-1: never). */
double sl_wasm_trade_tick(sl_trade *t, double now_ms) {
  sl_trade_tick(t, (uint64_t)now_ms);
  uint64_t w = sl_trade_wake(t);
  return w == UINT64_MAX ? -1 : (double)w;
}

/* nums: role, state, want, reason, step, created, state entered,
 * deadline (-1: none), maker value, taker value, maker script length,
 * taker script length, text length. bytes: id, order id, maker, taker,
 * txid (32 each), amount (u64, 8), maker script, taker script (128 each),
 * text (200). */
void sl_wasm_trade_info(const sl_trade *t, double *nums, uint8_t *bytes) {
  const sl_trade_info *i = sl_trade_info_of(t);
  const double n[13] = {i->role,
                        i->state,
                        i->want,
                        i->reason,
                        i->step,
                        (double)i->created_ms,
                        (double)i->state_ms,
                        i->deadline_ms == UINT64_MAX ? -1 : (double)i->deadline_ms,
                        (double)i->maker_out.value,
                        (double)i->taker_out.value,
                        (double)i->maker_out.script_len,
                        (double)i->taker_out.script_len,
                        (double)strlen(i->text)};
  memcpy(nums, n, sizeof n);
  const uint8_t *b[5] = {i->id, i->order_id, i->maker, i->taker, i->txid};
  for (int k = 0; k < 5; k++)
    memcpy(bytes + 32 * k, b[k], 32);
  memcpy(bytes + 160, &i->amount, 8);
  memcpy(bytes + 168, i->maker_out.script, SL_TRADE_SCRIPT_MAX);
  memcpy(bytes + 296, i->taker_out.script, SL_TRADE_SCRIPT_MAX);
  memcpy(bytes + 424, i->text, strlen(i->text));
}

int sl_wasm_psbt_pays(const sl_psbt *p, const uint8_t *script, size_t len, double value) {
  return sl_psbt_pays(p, script, len, (uint64_t)value);
}

/* ------------------------------------------------------------------- tips */

_Static_assert(sizeof(void *) != 4 || sizeof(sl_tip) == 80, "JS reads an 80-byte sl_tip");
_Static_assert(sizeof(void *) != 4 || offsetof(sl_tip, meta) == 64, "meta at 64");

int sl_wasm_tip_seal(const sl_identity *id, const char *meta, size_t meta_len, const uint8_t *sig,
                     size_t sig_len, double now_ms, uint8_t **out, size_t *len) {
  return sl_tip_seal(id, meta, meta_len, sig, sig_len, (uint64_t)now_ms, out, len);
}

int sl_wasm_tips_receive(sl_tips *t, const uint8_t *msg, size_t len, double now_ms, sl_tip *out) {
  return sl_tips_receive(t, msg, len, (uint64_t)now_ms, out);
}

_Static_assert(sizeof(void *) != 4 || sizeof(sl_psbt_input) == 72, "JS reads 72-byte inputs");
_Static_assert(sizeof(void *) != 4 || sizeof(sl_psbt_output) == 16, "JS reads 16-byte outputs");
