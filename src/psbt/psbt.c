/*
 * psbt.c — Partially Signed Bitcoin Transactions, versions 0 (BIP 174) and
 * 2 (BIP 370): parsing and validation, sans-IO. The core never holds
 * Bitcoin keys; it reads what a counterparty sends and checks it.
 *
 *   psbt = "psbt" 0xff | global map | input map * n | output map * m
 *   map  = (key-value)* 0x00
 *   key-value = compact size | key (compact-size type, key data) |
 *               compact size | value
 *
 * Checked: the magic, every length against the bytes there, duplicate
 * keys in a map, the key and value shapes of every known type, the
 * fields each version requires and forbids, and (v0) the unsigned
 * transaction: legacy serialisation, empty scriptSigs, its input and
 * output counts giving the number of maps.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 4096 /* key-value pairs in one map */

/* Key types (BIP 174 / 370). */
enum {
  G_UNSIGNED_TX = 0x00,
  G_XPUB = 0x01,
  G_TX_VERSION = 0x02,
  G_FALLBACK_LOCKTIME = 0x03,
  G_INPUT_COUNT = 0x04,
  G_OUTPUT_COUNT = 0x05,
  G_TX_MODIFIABLE = 0x06,
  G_VERSION = 0xfb,
  PROPRIETARY = 0xfc,
};
enum {
  I_NON_WITNESS_UTXO = 0x00,
  I_WITNESS_UTXO = 0x01,
  I_PARTIAL_SIG = 0x02,
  I_SIGHASH_TYPE = 0x03,
  I_REDEEM_SCRIPT = 0x04,
  I_WITNESS_SCRIPT = 0x05,
  I_BIP32_DERIVATION = 0x06,
  I_FINAL_SCRIPTSIG = 0x07,
  I_FINAL_SCRIPTWITNESS = 0x08,
  I_PREVIOUS_TXID = 0x0e,
  I_OUTPUT_INDEX = 0x0f,
  I_SEQUENCE = 0x10,
  I_REQUIRED_TIME_LOCKTIME = 0x11,
  I_REQUIRED_HEIGHT_LOCKTIME = 0x12,
};
enum {
  O_REDEEM_SCRIPT = 0x00,
  O_WITNESS_SCRIPT = 0x01,
  O_BIP32_DERIVATION = 0x02,
  O_AMOUNT = 0x03,
  O_SCRIPT = 0x04,
};

#define LOCKTIME_THRESHOLD 500000000u

/* ---------------------------------------------------------------- reading */

/* Bitcoin's compact size: 1, 3, 5 or 9 bytes, little-endian. */
static bool compact(sl__reader *r, uint64_t *v) {
  const uint8_t *b;
  if (!sl__take(r, 1, &b)) return false;
  size_t n = *b < 0xfd ? 0 : *b == 0xfd ? 2 : *b == 0xfe ? 4 : 8;
  if (!n) {
    *v = *b;
    return true;
  }
  const uint8_t *x;
  if (!sl__take(r, n, &x)) return false;
  *v = 0;
  for (size_t k = n; k--;)
    *v = *v << 8 | x[k];
  return true;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p + 4) << 32 | le32(p); }

/* A byte string with its compact-size length, all of it there. */
static bool bytes(sl__reader *r, const uint8_t **p, size_t *n) {
  uint64_t len;
  if (!compact(r, &len) || len > (uint64_t)(r->end - r->p)) return false;
  *n = (size_t)len;
  return sl__take(r, *n, p);
}

typedef struct kv {
  uint64_t type;
  const uint8_t *key, *keydata, *value; /* key: all of it, for duplicates */
  size_t key_len, keydata_len, value_len;
  bool second; /* the combiner: from its second PSBT */
} kv;

/* The next pair, or 0 at the map's separator. */
static int next_kv(sl__reader *r, kv *out) {
  const uint8_t *key;
  size_t key_len;
  if (!bytes(r, &key, &key_len)) return SL_EPSBT_MALFORMED;
  if (!key_len) return 0;
  sl__reader k = {key, key + key_len};
  if (!compact(&k, &out->type)) return SL_EPSBT_MALFORMED;
  out->key = key;
  out->key_len = key_len;
  out->keydata = k.p;
  out->keydata_len = (size_t)(k.end - k.p);
  if (!bytes(r, &out->value, &out->value_len)) return SL_EPSBT_MALFORMED;
  return 1;
}

/* ------------------------------------------------------------- the result */

struct sl_psbt {
  int version;
  uint32_t tx_version, fallback_locktime, tx_modifiable;
  bool has_fallback;
  size_t n_inputs, n_outputs;
  sl_psbt_input *inputs;
  sl_psbt_output *outputs;
  uint8_t *raw; /* a copy of the input: scripts point into it */
  size_t raw_len;
};

void sl_psbt_free(sl_psbt *p) {
  if (!p) return;
  free(p->inputs);
  free(p->outputs);
  free(p->raw);
  free(p);
}

/* ----------------------------------------------------------------- shapes */

/* A public key as key data: 33 bytes (02/03) or 65 (04). */
static bool pubkey(const uint8_t *k, size_t n) {
  return (n == 33 && (k[0] == 2 || k[0] == 3)) || (n == 65 && k[0] == 4);
}

/* Every key of a map differs from the others. */
static bool unique(const kv *v, size_t n) {
  for (size_t a = 0; a < n; a++)
    for (size_t b = a + 1; b < n; b++)
      if (v[a].key_len == v[b].key_len && !memcmp(v[a].key, v[b].key, v[a].key_len)) return false;
  return true;
}

/* Reads one map into v (up to MAX_KEYS pairs); *n gets how many. */
static int read_map(sl__reader *r, kv *v, size_t *n) {
  *n = 0;
  for (;;) {
    if (*n == MAX_KEYS) return SL_EPSBT_MALFORMED;
    int rc = next_kv(r, &v[*n]);
    if (rc < 0) return rc;
    if (rc == 0) break;
    (*n)++;
  }
  return unique(v, *n) ? 0 : SL_EPSBT_DUPLICATE;
}

/* ------------------------------------------------------- the unsigned tx */

/* A v0 PSBT's unsigned transaction: legacy serialisation (no witness
 * marker), every scriptSig empty, nothing after the lock time. Its
 * inputs' outpoints and sequences and its outputs go to p. */
static int unsigned_tx(const uint8_t *tx, size_t len, sl_psbt *p) {
  sl__reader r = {tx, tx + len};
  const uint8_t *b;
  if (!sl__take(&r, 4, &b)) return SL_EPSBT_TX;
  p->tx_version = le32(b);
  if (r.end - r.p >= 2 && r.p[0] == 0 && r.p[1] == 1)
    return SL_EPSBT_TX; /* witness serialisation */
  uint64_t n_in, n_out;
  if (!compact(&r, &n_in) || n_in > (uint64_t)(r.end - r.p) / 41) return SL_EPSBT_TX;
  p->inputs = calloc(n_in ? n_in : 1, sizeof *p->inputs);
  if (!p->inputs) return SL_ENOMEM;
  p->n_inputs = (size_t)n_in;
  for (size_t k = 0; k < n_in; k++) {
    const uint8_t *out, *script, *seq;
    size_t slen;
    if (!sl__take(&r, 36, &out) || !bytes(&r, &script, &slen) || !sl__take(&r, 4, &seq))
      return SL_EPSBT_TX;
    if (slen) return SL_EPSBT_TX; /* unsigned means empty scriptSigs */
    memcpy(p->inputs[k].prev_txid, out, 32);
    p->inputs[k].prev_index = le32(out + 32);
    p->inputs[k].sequence = le32(seq);
  }
  if (!compact(&r, &n_out) || n_out > (uint64_t)(r.end - r.p) / 9) return SL_EPSBT_TX;
  p->outputs = calloc(n_out ? n_out : 1, sizeof *p->outputs);
  if (!p->outputs) return SL_ENOMEM;
  p->n_outputs = (size_t)n_out;
  for (size_t k = 0; k < n_out; k++) {
    const uint8_t *amount;
    if (!sl__take(&r, 8, &amount) || !bytes(&r, &p->outputs[k].script, &p->outputs[k].script_len))
      return SL_EPSBT_TX;
    p->outputs[k].amount = le64(amount);
  }
  if (!sl__take(&r, 4, &b) || r.p != r.end) return SL_EPSBT_TX;
  p->fallback_locktime = le32(b);
  p->has_fallback = true;
  return 0;
}

/* ------------------------------------------------------------------- maps */

static int u32_value(const kv *e, uint32_t *out) {
  if (e->keydata_len) return SL_EPSBT_KEY;
  if (e->value_len != 4) return SL_EPSBT_VALUE;
  *out = le32(e->value);
  return 0;
}

static int count_value(const kv *e, uint64_t *out) {
  sl__reader c = {e->value, e->value + e->value_len};
  if (e->keydata_len) return SL_EPSBT_KEY;
  if (!compact(&c, out) || c.p != c.end) return SL_EPSBT_VALUE;
  return 0;
}

/* Key data that must be empty: the type is the whole key. */
#define BARE(e) ((e)->keydata_len == 0)
#define SEEN(t) (1u << (t))

/* The global map: the version, and the transaction's shape (v0: from the
 * unsigned tx; v2: from its own fields). */
static int global(const kv *v, size_t n, sl_psbt *p, uint64_t *n_in, uint64_t *n_out) {
  const kv *tx = NULL;
  uint32_t seen = 0, version = 0;
  for (size_t k = 0; k < n; k++) {
    const kv *e = &v[k];
    int rc = 0;
    switch (e->type) {
    case G_UNSIGNED_TX:
      if (!BARE(e)) return SL_EPSBT_KEY;
      tx = e;
      break;
    case G_XPUB: /* key: the 78-byte extended key; value: fingerprint and path */
      if (e->keydata_len != 78) return SL_EPSBT_KEY;
      if (!e->value_len || e->value_len % 4) return SL_EPSBT_VALUE;
      break;
    case G_TX_VERSION:
      rc = u32_value(e, &p->tx_version);
      break;
    case G_FALLBACK_LOCKTIME:
      rc = u32_value(e, &p->fallback_locktime);
      p->has_fallback = true;
      break;
    case G_INPUT_COUNT:
      rc = count_value(e, n_in);
      break;
    case G_OUTPUT_COUNT:
      rc = count_value(e, n_out);
      break;
    case G_TX_MODIFIABLE:
      if (!BARE(e)) return SL_EPSBT_KEY;
      if (e->value_len != 1) return SL_EPSBT_VALUE;
      p->tx_modifiable = e->value[0];
      break;
    case G_VERSION:
      rc = u32_value(e, &version);
      break;
    default:
      break; /* proprietary and unknown types pass through */
    }
    if (rc) return rc;
    if (e->type <= G_TX_MODIFIABLE) seen |= SEEN(e->type);
  }
  const uint32_t v2_only = SEEN(G_TX_VERSION) | SEEN(G_FALLBACK_LOCKTIME) | SEEN(G_INPUT_COUNT) |
                           SEEN(G_OUTPUT_COUNT) | SEEN(G_TX_MODIFIABLE);
  const uint32_t v2_required = SEEN(G_TX_VERSION) | SEEN(G_INPUT_COUNT) | SEEN(G_OUTPUT_COUNT);
  if (version == 0) {
    if (!tx || (seen & v2_only)) return SL_EPSBT_VERSION;
    p->version = 0;
    int rc = unsigned_tx(tx->value, tx->value_len, p);
    *n_in = p->n_inputs;
    *n_out = p->n_outputs;
    return rc;
  }
  if (version != 2 || tx || (seen & v2_required) != v2_required) return SL_EPSBT_VERSION;
  p->version = 2;
  return 0;
}

/* An input map. Fields of v2 are refused in v0, and required in v2. */
static int input(const kv *v, size_t n, sl_psbt *p, sl_psbt_input *in) {
  uint32_t seen = 0;
  for (size_t k = 0; k < n; k++) {
    const kv *e = &v[k];
    int rc = 0;
    switch (e->type) {
    case I_NON_WITNESS_UTXO:
    case I_REDEEM_SCRIPT:
    case I_WITNESS_SCRIPT:
    case I_FINAL_SCRIPTSIG:
    case I_FINAL_SCRIPTWITNESS:
      if (!BARE(e)) return SL_EPSBT_KEY;
      break;
    case I_WITNESS_UTXO: {
      sl__reader w = {e->value, e->value + e->value_len};
      const uint8_t *amount, *script;
      size_t slen;
      if (!BARE(e)) return SL_EPSBT_KEY;
      if (!sl__take(&w, 8, &amount) || !bytes(&w, &script, &slen) || w.p != w.end)
        return SL_EPSBT_VALUE;
      in->has_witness_utxo = true;
      in->witness_amount = le64(amount);
      break;
    }
    case I_PARTIAL_SIG:
      if (!pubkey(e->keydata, e->keydata_len)) return SL_EPSBT_KEY;
      if (!e->value_len) return SL_EPSBT_VALUE;
      in->partial_sigs++;
      break;
    case I_SIGHASH_TYPE:
      rc = u32_value(e, &in->sighash);
      in->has_sighash = true;
      break;
    case I_BIP32_DERIVATION:
      if (!pubkey(e->keydata, e->keydata_len)) return SL_EPSBT_KEY;
      if (!e->value_len || e->value_len % 4) return SL_EPSBT_VALUE;
      break;
    case I_PREVIOUS_TXID:
      if (!BARE(e)) return SL_EPSBT_KEY;
      if (e->value_len != 32) return SL_EPSBT_VALUE;
      memcpy(in->prev_txid, e->value, 32);
      break;
    case I_OUTPUT_INDEX:
      rc = u32_value(e, &in->prev_index);
      break;
    case I_SEQUENCE:
      rc = u32_value(e, &in->sequence);
      break;
    case I_REQUIRED_TIME_LOCKTIME:
      rc = u32_value(e, &in->time_locktime);
      if (!rc && in->time_locktime < LOCKTIME_THRESHOLD) rc = SL_EPSBT_VALUE;
      in->has_time_locktime = true;
      break;
    case I_REQUIRED_HEIGHT_LOCKTIME:
      rc = u32_value(e, &in->height_locktime);
      if (!rc && (!in->height_locktime || in->height_locktime >= LOCKTIME_THRESHOLD))
        rc = SL_EPSBT_VALUE;
      in->has_height_locktime = true;
      break;
    default:
      break;
    }
    if (rc) return rc;
    if (e->type <= I_REQUIRED_HEIGHT_LOCKTIME) seen |= SEEN(e->type);
  }
  const uint32_t v2_only = SEEN(I_PREVIOUS_TXID) | SEEN(I_OUTPUT_INDEX) | SEEN(I_SEQUENCE) |
                           SEEN(I_REQUIRED_TIME_LOCKTIME) | SEEN(I_REQUIRED_HEIGHT_LOCKTIME);
  const uint32_t v2_required = SEEN(I_PREVIOUS_TXID) | SEEN(I_OUTPUT_INDEX);
  if (p->version == 0) return seen & v2_only ? SL_EPSBT_VERSION : 0;
  if ((seen & v2_required) != v2_required) return SL_EPSBT_VERSION;
  if (!(seen & SEEN(I_SEQUENCE))) in->sequence = 0xffffffffu; /* v2's default */
  return 0;
}

static int output(const kv *v, size_t n, const sl_psbt *p, sl_psbt_output *out) {
  uint32_t seen = 0;
  for (size_t k = 0; k < n; k++) {
    const kv *e = &v[k];
    switch (e->type) {
    case O_REDEEM_SCRIPT:
    case O_WITNESS_SCRIPT:
      if (!BARE(e)) return SL_EPSBT_KEY;
      break;
    case O_BIP32_DERIVATION:
      if (!pubkey(e->keydata, e->keydata_len)) return SL_EPSBT_KEY;
      if (!e->value_len || e->value_len % 4) return SL_EPSBT_VALUE;
      break;
    case O_AMOUNT:
      if (!BARE(e)) return SL_EPSBT_KEY;
      if (e->value_len != 8) return SL_EPSBT_VALUE;
      out->amount = le64(e->value);
      break;
    case O_SCRIPT:
      if (!BARE(e)) return SL_EPSBT_KEY;
      out->script = e->value;
      out->script_len = e->value_len;
      break;
    default:
      break;
    }
    if (e->type <= O_SCRIPT) seen |= SEEN(e->type);
  }
  const uint32_t v2 = SEEN(O_AMOUNT) | SEEN(O_SCRIPT);
  if (p->version == 0) return seen & v2 ? SL_EPSBT_VERSION : 0;
  return (seen & v2) == v2 ? 0 : SL_EPSBT_VERSION;
}

/* ------------------------------------------------------------------ parse */

static const uint8_t MAGIC[5] = {'p', 's', 'b', 't', 0xff};

static int parse(sl_psbt *p, kv *scratch) {
  sl__reader r = {p->raw, p->raw + p->raw_len};
  const uint8_t *magic;
  if (!sl__take(&r, sizeof MAGIC, &magic) || memcmp(magic, MAGIC, sizeof MAGIC))
    return SL_EPSBT_MALFORMED;
  size_t n;
  int rc = read_map(&r, scratch, &n);
  uint64_t n_in = 0, n_out = 0;
  if (rc || (rc = global(scratch, n, p, &n_in, &n_out)) != 0) return rc;
  /* Every map takes at least its separator byte: more maps than bytes
   * left is a lie, found before anything is allocated for it. */
  if (n_in > (uint64_t)(r.end - r.p) || n_out > (uint64_t)(r.end - r.p) - n_in)
    return SL_EPSBT_MALFORMED;
  if (p->version == 2) {
    p->inputs = calloc(n_in ? n_in : 1, sizeof *p->inputs);
    p->outputs = calloc(n_out ? n_out : 1, sizeof *p->outputs);
    if (!p->inputs || !p->outputs) return SL_ENOMEM;
    p->n_inputs = (size_t)n_in;
    p->n_outputs = (size_t)n_out;
  }
  for (size_t k = 0; k < p->n_inputs; k++)
    if ((rc = read_map(&r, scratch, &n)) != 0 || (rc = input(scratch, n, p, &p->inputs[k])) != 0)
      return rc;
  for (size_t k = 0; k < p->n_outputs; k++)
    if ((rc = read_map(&r, scratch, &n)) != 0 || (rc = output(scratch, n, p, &p->outputs[k])) != 0)
      return rc;
  return r.p == r.end ? 0 : SL_EPSBT_MALFORMED;
}

int sl_psbt_parse(const uint8_t *in, size_t len, sl_psbt **out) {
  if (!out || (!in && len)) return SL_EINVAL;
  *out = NULL;
  if (len > SL_PSBT_MAX_BYTES) return SL_EPSBT_MALFORMED;
  sl_psbt *p = calloc(1, sizeof *p);
  kv *scratch = malloc(MAX_KEYS * sizeof *scratch);
  if (!p || !scratch || !(p->raw = malloc(len ? len : 1))) {
    free(scratch);
    sl_psbt_free(p);
    return SL_ENOMEM;
  }
  if (len) memcpy(p->raw, in, len);
  p->raw_len = len;
  int rc = parse(p, scratch);
  free(scratch);
  if (rc) {
    sl_psbt_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

int sl_psbt_version(const sl_psbt *p) { return p ? p->version : SL_EINVAL; }
uint32_t sl_psbt_tx_version(const sl_psbt *p) { return p ? p->tx_version : 0; }
size_t sl_psbt_input_count(const sl_psbt *p) { return p ? p->n_inputs : 0; }
size_t sl_psbt_output_count(const sl_psbt *p) { return p ? p->n_outputs : 0; }

const sl_psbt_input *sl_psbt_input_at(const sl_psbt *p, size_t k) {
  return p && k < p->n_inputs ? &p->inputs[k] : NULL;
}

const sl_psbt_output *sl_psbt_output_at(const sl_psbt *p, size_t k) {
  return p && k < p->n_outputs ? &p->outputs[k] : NULL;
}

/* BIP 370's lock time: with no input asking for one, the fallback (or 0);
 * else heights when every input that asks can be satisfied by a height
 * (the largest), else times when every one can by a time (the largest);
 * else none can satisfy all (SL_EPSBT_LOCKTIME). */
int sl_psbt_locktime(const sl_psbt *p, uint32_t *out) {
  if (!p || !out) return SL_EINVAL;
  if (p->version == 0) {
    *out = p->fallback_locktime; /* the unsigned tx's own */
    return 0;
  }
  bool any = false, by_height = true, by_time = true;
  uint32_t height = 0, time = 0;
  for (size_t k = 0; k < p->n_inputs; k++) {
    const sl_psbt_input *in = &p->inputs[k];
    if (!in->has_height_locktime && !in->has_time_locktime) continue;
    any = true;
    by_height = by_height && in->has_height_locktime;
    by_time = by_time && in->has_time_locktime;
    if (in->has_height_locktime && in->height_locktime > height) height = in->height_locktime;
    if (in->has_time_locktime && in->time_locktime > time) time = in->time_locktime;
  }
  if (!any)
    *out = p->has_fallback ? p->fallback_locktime : 0;
  else if (by_height)
    *out = height;
  else if (by_time)
    *out = time;
  else
    return SL_EPSBT_LOCKTIME;
  return 0;
}

/* --------------------------------------------------------------- terms */

int sl_psbt_pays(const sl_psbt *p, const uint8_t *script, size_t script_len, uint64_t amount) {
  if (!p || (!script && script_len)) return SL_EINVAL;
  uint64_t paid = 0; /* several outputs to one script add up */
  for (size_t k = 0; k < p->n_outputs; k++) {
    const sl_psbt_output *o = &p->outputs[k];
    if (o->script_len == script_len && !memcmp(o->script, script, script_len)) {
      if (o->amount > UINT64_MAX - paid) return 1;
      paid += o->amount;
    }
  }
  return paid >= amount;
}

/* ------------------------------------------------------------- combiner */

/* Every map of a parsed PSBT as key-value pairs (global, inputs, outputs). */
typedef struct maps {
  kv *pairs;
  size_t *start, n_maps, n_pairs; /* map k is pairs[start[k] .. start[k + 1]) */
} maps;

static void maps_free(maps *m) {
  free(m->pairs);
  free(m->start);
}

static int maps_of(const sl_psbt *p, bool second, maps *m) {
  size_t n_maps = 1 + p->n_inputs + p->n_outputs, cap = 0;
  m->start = malloc((n_maps + 1) * sizeof *m->start);
  m->n_maps = n_maps;
  m->n_pairs = 0;
  if (!m->start) return SL_ENOMEM;
  sl__reader r = {p->raw + sizeof MAGIC, p->raw + p->raw_len};
  for (size_t k = 0; k < n_maps; k++) {
    m->start[k] = m->n_pairs;
    for (;;) {
      kv *v = sl__grow(m->pairs, &cap, m->n_pairs + 1, sizeof *v);
      if (!v) return SL_ENOMEM;
      m->pairs = v;
      int rc = next_kv(&r, &m->pairs[m->n_pairs]);
      if (rc < 0) return rc; /* cannot happen: it parsed */
      if (rc == 0) break;
      m->pairs[m->n_pairs++].second = second;
    }
  }
  m->start[n_maps] = m->n_pairs;
  return 0;
}

/* Keys in lexicographic order of their bytes (a prefix first). */
static int key_cmp(const void *x, const void *y) {
  const kv *a = *(const kv *const *)x, *b = *(const kv *const *)y;
  size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
  int c = memcmp(a->key, b->key, n);
  if (c) return c;
  return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

static void put_compact(sl__pbw *w, uint64_t v) {
  uint8_t b[9];
  size_t n;
  if (v < 0xfd) {
    b[0] = (uint8_t)v;
    n = 1;
  } else {
    size_t width = v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
    b[0] = width == 2 ? 0xfd : width == 4 ? 0xfe : 0xff;
    for (size_t k = 0; k < width; k++)
      b[1 + k] = (uint8_t)(v >> (8 * k));
    n = 1 + width;
  }
  sl__pbw_raw(w, b, n);
}

/* Do the two describe the same transaction? */
static bool same_tx(const sl_psbt *a, const sl_psbt *b) {
  if (a->version != b->version || a->tx_version != b->tx_version || a->n_inputs != b->n_inputs ||
      a->n_outputs != b->n_outputs)
    return false;
  for (size_t k = 0; k < a->n_inputs; k++)
    if (memcmp(a->inputs[k].prev_txid, b->inputs[k].prev_txid, 32) ||
        a->inputs[k].prev_index != b->inputs[k].prev_index)
      return false;
  for (size_t k = 0; k < a->n_outputs; k++) {
    const sl_psbt_output *x = &a->outputs[k], *y = &b->outputs[k];
    if (x->amount != y->amount || x->script_len != y->script_len ||
        memcmp(x->script, y->script, x->script_len))
      return false;
  }
  return true;
}

/* BIP 174's Combiner: every key-value pair of either, each key once (a's
 * value when both have a key), keys of each map in lexicographic order. */
static int combine(const sl_psbt *a, const sl_psbt *b, sl__pbw *w) {
  maps ma = {0}, mb = {0};
  int rc = maps_of(a, false, &ma);
  if (!rc) rc = maps_of(b, true, &mb);
  const kv **order = rc ? NULL : malloc((ma.n_pairs + mb.n_pairs + 1) * sizeof *order);
  if (!rc && !order) rc = SL_ENOMEM;
  if (!rc) sl__pbw_raw(w, MAGIC, sizeof MAGIC);
  for (size_t k = 0; !rc && k < ma.n_maps; k++) {
    size_t n = 0;
    for (size_t i = ma.start[k]; i < ma.start[k + 1]; i++)
      order[n++] = &ma.pairs[i];
    for (size_t i = mb.start[k]; i < mb.start[k + 1]; i++)
      order[n++] = &mb.pairs[i];
    qsort(order, n, sizeof *order, key_cmp);
    /* Neither map repeats a key, so equal keys come in twos, one of each:
     * the pair from a is written. */
    for (size_t i = 0; i < n; i++) {
      const kv *e = order[i];
      if (i + 1 < n && !key_cmp(&order[i], &order[i + 1])) {
        e = e->second ? order[i + 1] : e;
        i++;
      }
      put_compact(w, e->key_len);
      sl__pbw_raw(w, e->key, e->key_len);
      put_compact(w, e->value_len);
      sl__pbw_raw(w, e->value, e->value_len);
    }
    sl__pbw_raw(w, (const uint8_t[]){0}, 1);
  }
  free(order);
  maps_free(&ma);
  maps_free(&mb);
  return rc ? rc : w->failed;
}

int sl_psbt_combine(const uint8_t *x, size_t x_len, const uint8_t *y, size_t y_len, uint8_t **out,
                    size_t *out_len) {
  if (!out || !out_len) return SL_EINVAL;
  *out = NULL;
  *out_len = 0;
  sl_psbt *a = NULL, *b = NULL;
  int rc = sl_psbt_parse(x, x_len, &a);
  if (!rc) rc = sl_psbt_parse(y, y_len, &b);
  if (!rc && !same_tx(a, b)) rc = SL_EPSBT_MISMATCH;
  sl__pbw w;
  sl__pbw_init(&w, 2 * (size_t)SL_PSBT_MAX_BYTES);
  if (!rc) rc = combine(a, b, &w);
  sl_psbt_free(a);
  sl_psbt_free(b);
  if (rc) {
    sl__pbw_free(&w);
    return rc;
  }
  *out = w.buf; /* the caller frees it */
  *out_len = w.len;
  return 0;
}
