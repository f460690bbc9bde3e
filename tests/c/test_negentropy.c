/* test_negentropy.c — range-based set reconciliation (Negentropy v1):
 * pinned bytes of the simplest messages, the differences found for empty
 * sets, one side empty, identical sets, scattered differences with shared
 * timestamps, one difference in a million, smaller leaves, every message within a frame
 * limit, and refusals of malformed, out-of-order, oversized and
 * never-converging input. Interop with an independent implementation is
 * in tests/js/negentropy.test.js. */
#include "check.h"
#include "internal.h"

#include <sodium.h>

static uint64_t rng_state;

static uint64_t rnd(void) { /* splitmix64: fast, seeded, enough for test ids */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void random_item(sl_neg_item *it, uint64_t ts) {
  it->ts = ts;
  for (int k = 0; k < 4; k++) {
    uint64_t v = rnd();
    memcpy(it->id + 8 * k, &v, 8);
  }
}

typedef struct outcome {
  int rc;
  unsigned rounds;
  size_t have, need, bytes, largest;
  bool have_ok, need_ok; /* every id reported lies on the right side */
} outcome;

/* Is id among items? (A linear scan would be too slow for a million.) */
static int cmp_id(const void *a, const void *b) { return memcmp(a, b, 32); }

static uint8_t (*sorted_ids(const sl_neg_item *v, size_t n))[32] {
  uint8_t(*ids)[32] = malloc((n ? n : 1) * 32);
  for (size_t k = 0; k < n; k++)
    memcpy(ids[k], v[k].id, 32);
  qsort(ids, n, 32, cmp_id);
  return ids;
}

static bool holds(uint8_t (*ids)[32], size_t n, const uint8_t *id) {
  return n && bsearch(id, ids, n, 32, cmp_id) != NULL;
}

/* Ids reported across rounds (a frame limit may report one twice). */
typedef struct idset {
  uint8_t (*v)[32];
  size_t n, cap;
} idset;

static void idset_add(idset *s, const uint8_t *ids, size_t n) {
  if (!n) return;
  if (s->n + n > s->cap) {
    s->cap = (s->n + n) * 2;
    s->v = realloc(s->v, s->cap * 32);
  }
  memcpy(s->v[s->n], ids, n * 32);
  s->n += n;
}

static size_t idset_distinct(idset *s) {
  if (!s->n) return 0;
  qsort(s->v, s->n, 32, cmp_id);
  size_t d = 1;
  for (size_t k = 1; k < s->n; k++)
    d += memcmp(s->v[k - 1], s->v[k], 32) != 0;
  free(s->v);
  return d;
}

/* Runs a whole reconciliation, client a and server b, and counts the
 * distinct ids each side was found to lack. */
static outcome reconcile_leaf(const sl_neg_item *a, size_t na, const sl_neg_item *b, size_t nb,
                              size_t frame, size_t leaf) {
  outcome o = {.have_ok = true, .need_ok = true};
  sl_neg *client = NULL, *server = NULL;
  CHECK_EQ(sl_neg_new(&client, a, na, frame), 0);
  CHECK_EQ(sl_neg_new(&server, b, nb, frame), 0);
  sl_neg_set_max_rounds(client, 1000); /* small frames take many rounds */
  sl_neg_set_max_rounds(server, 1000);
  sl_neg_set_leaf(client, leaf);
  sl_neg_set_leaf(server, leaf);
  uint8_t(*ia)[32] = sorted_ids(a, na), (*ib)[32] = sorted_ids(b, nb);
  idset have = {0}, need = {0};
  const uint8_t *msg;
  size_t len;
  o.rc = sl_neg_initiate(client, &msg, &len);
  while (o.rc == 0) {
    o.bytes += len;
    o.largest = len > o.largest ? len : o.largest;
    const uint8_t *reply;
    size_t rlen;
    if ((o.rc = sl_neg_reconcile(server, msg, len, &reply, &rlen)) != 0) break;
    o.bytes += rlen;
    o.largest = rlen > o.largest ? rlen : o.largest;
    o.rounds++;
    o.rc = sl_neg_reconcile(client, reply, rlen, &msg, &len);
    size_t nh, nn;
    const uint8_t *h = sl_neg_have(client, &nh), *n = sl_neg_need(client, &nn);
    for (size_t k = 0; k < nh; k++)
      o.have_ok &= holds(ia, na, h + 32 * k) && !holds(ib, nb, h + 32 * k);
    for (size_t k = 0; k < nn; k++)
      o.need_ok &= holds(ib, nb, n + 32 * k) && !holds(ia, na, n + 32 * k);
    idset_add(&have, h, nh);
    idset_add(&need, n, nn);
  }
  o.have = idset_distinct(&have);
  o.need = idset_distinct(&need);
  free(ia);
  free(ib);
  sl_neg_free(client);
  sl_neg_free(server);
  return o;
}

static outcome reconcile(const sl_neg_item *a, size_t na, const sl_neg_item *b, size_t nb,
                         size_t frame) {
  return reconcile_leaf(a, na, b, nb, frame, 0);
}

static void test_pinned_bytes(void) {
  sl_neg *g = NULL;
  CHECK_EQ(sl_neg_new(&g, NULL, 0, 0), 0);
  const uint8_t *msg;
  size_t len;
  CHECK_EQ(sl_neg_initiate(g, &msg, &len), 0);
  /* version, bound (infinity: 0; no prefix), IdList, 0 ids */
  static const uint8_t empty[] = {0x61, 0x00, 0x00, 0x02, 0x00};
  CHECK_EQ(len, sizeof empty);
  CHECK_MEM(msg, empty, sizeof empty);
  CHECK_EQ(sl_neg_initiate(g, &msg, &len), SL_ESTATE);
  sl_neg_free(g);

  /* One item: its id in the list. Timestamps go out as deltas + 1. */
  sl_neg_item it = {.ts = 300};
  memset(it.id, 0xab, 32);
  sl_neg *s = NULL;
  CHECK_EQ(sl_neg_new(&s, &it, 1, 0), 0);
  /* Fingerprint of everything below ts 300 (nothing), then the rest: a
   * server with the item answers the first with a skip and lists the item
   * for the second. The bound 300 is 301 = 0x82 0x2d in MSB-first varint. */
  uint8_t q[64] = {0x61, 0x82, 0x2d, 0x00, 0x01};
  uint8_t zero[33] = {0}, h[32];
  crypto_hash_sha256(h, zero, 33); /* sum 0 || count 0 */
  memcpy(q + 5, h, 16);
  static const uint8_t tail[] = {0x00, 0x00, 0x02, 0x00}; /* infinity, IdList, none */
  memcpy(q + 21, tail, sizeof tail);
  CHECK_EQ(sl_neg_reconcile(s, q, 25, &msg, &len), 0);
  static const uint8_t want[] = {0x61, 0x82, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01};
  CHECK_EQ(len, sizeof want + 32);
  CHECK_MEM(msg, want, sizeof want);
  CHECK_MEM(msg + sizeof want, it.id, 32);
  sl_neg_free(s);
}

static void test_small_sets(void) {
  rng_state = 1;
  sl_neg_item v[3000];
  for (size_t k = 0; k < 3000; k++)
    random_item(&v[k], 1000 + k / 3); /* three items a millisecond: prefixes in bounds */

  outcome o = reconcile(NULL, 0, NULL, 0, 0);
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.have + o.need, 0);
  CHECK_EQ(o.rounds, 1);

  o = reconcile(NULL, 0, v, 3000, 0); /* client empty */
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.need, 3000);
  CHECK_EQ(o.have, 0);
  CHECK(o.need_ok);

  o = reconcile(v, 3000, NULL, 0, 0); /* server empty */
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.have, 3000);
  CHECK_EQ(o.need, 0);
  CHECK(o.have_ok);

  o = reconcile(v, 3000, v, 3000, 0); /* identical: one round of 16 fingerprints */
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.have + o.need, 0);
  CHECK_EQ(o.rounds, 1);

  /* Scattered differences: client lacks every 7th, server every 11th. */
  static sl_neg_item a[3000], b[3000];
  size_t na = 0, nb = 0, lack_a = 0, lack_b = 0;
  for (size_t k = 0; k < 3000; k++) {
    if (k % 7)
      a[na++] = v[k];
    else
      lack_a++;
    if (k % 11)
      b[nb++] = v[k];
    else
      lack_b++;
  }
  size_t both = 0; /* lacking on both sides: nobody has them */
  for (size_t k = 0; k < 3000; k += 77)
    both++;
  o = reconcile(a, na, b, nb, 0);
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.need, lack_a - both);
  CHECK_EQ(o.have, lack_b - both);
  CHECK(o.have_ok && o.need_ok);
}

/* n seeded items a millisecond apart from ts0 in *v, and in *a the same
 * but every `every`-th; returns how many *a holds. */
static size_t two_sets(uint64_t seed, size_t n, uint64_t ts0, size_t every, sl_neg_item **v,
                       sl_neg_item **a) {
  rng_state = seed;
  *v = malloc(n * sizeof **v);
  *a = malloc(n * sizeof **a);
  size_t na = 0;
  for (size_t k = 0; k < n; k++) {
    random_item(&(*v)[k], ts0 + k);
    if (k % every) (*a)[na++] = (*v)[k];
  }
  return na;
}

/* A frame limit holds for every message, and the sides still agree. */
static void test_frame_limit(void) {
  size_t n = 20000;
  sl_neg_item *v, *a;
  size_t na = two_sets(2, n, 5000, 4, &v, &a); /* 5,000 differences: 160 KB of ids */
  outcome o = reconcile(a, na, v, n, SL_NEG_MIN_FRAME);
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.need, n - na);
  CHECK(o.need_ok);
  CHECK(o.largest <= SL_NEG_MIN_FRAME);
  CHECK(o.rounds > 30); /* 160 KB of ids through 4 KB frames */
  printf("frame limit 4096, 5,000 of 20,000 missing: %u rounds, %zu bytes\n", o.rounds, o.bytes);

  o = reconcile(v, n, a, na, SL_NEG_MIN_FRAME); /* the other way round */
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.have, n - na);
  CHECK(o.have_ok);
  CHECK(o.largest <= SL_NEG_MIN_FRAME);
  CHECK_EQ(sl_neg_new(&(sl_neg *){NULL}, v, n, SL_NEG_MIN_FRAME - 1), SL_EINVAL);
  free(v);
  free(a);
}

/* Smaller leaves: fewer ids sent per difference, the same differences. */
static void test_leaf(void) {
  size_t n = 50000;
  sl_neg_item *v, *a;
  size_t na = two_sets(5, n, 1000, 100, &v, &a); /* 1 % missing */
  outcome ref = reconcile(a, na, v, n, 200000);
  outcome small = reconcile_leaf(a, na, v, n, 200000, 4);
  CHECK_EQ(small.rc, 1);
  CHECK(small.need_ok);
  CHECK_EQ(ref.need, n - na);
  CHECK_EQ(small.need, n - na);
  printf("1 %% of 50,000 missing: leaf 32 %zu bytes in %u rounds, leaf 4 %zu bytes in %u rounds\n",
         ref.bytes, ref.rounds, small.bytes, small.rounds);
  CHECK(small.bytes < ref.bytes);
  CHECK(small.rounds <= ref.rounds + 1);
  free(v);
  free(a);
}

/* One difference in a million costs a few rounds of a few KB. */
static void test_one_in_a_million(void) {
  rng_state = 3;
  size_t n = 1000000;
  sl_neg_item *v = malloc(n * sizeof *v);
  for (size_t k = 0; k < n; k++)
    random_item(&v[k], 1764676800000ull + k / 4);
  outcome o = reconcile(v, n - 1, v, n, 60000); /* the client lacks the newest */
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.need, 1);
  CHECK_EQ(o.have, 0);
  CHECK(o.need_ok);
  CHECK(o.rounds <= 5); /* log16 of a million, then the list */
  CHECK(o.bytes < 20000);

  sl_neg_item tmp = v[0]; /* and one in the middle, lacking on the server */
  v[0] = v[n / 2];
  v[n / 2] = tmp;
  o = reconcile(v, n, v + 1, n - 1, 60000);
  CHECK_EQ(o.rc, 1);
  CHECK_EQ(o.have, 1);
  CHECK_EQ(o.need, 0);
  CHECK(o.have_ok);
  free(v);
}

static int server_says(const uint8_t *q, size_t len) {
  sl_neg *s = NULL;
  CHECK_EQ(sl_neg_new(&s, NULL, 0, 0), 0);
  const uint8_t *msg;
  size_t out;
  int rc = sl_neg_reconcile(s, q, len, &msg, &out);
  sl_neg_free(s);
  return rc;
}

static void test_bad_input(void) {
  sl_neg_item dup[2] = {{.ts = 1}, {.ts = 1}};
  sl_neg *g = NULL;
  CHECK_EQ(sl_neg_new(&g, dup, 2, 0), SL_EINVAL);
  sl_neg_item inf = {.ts = UINT64_MAX};
  CHECK_EQ(sl_neg_new(&g, &inf, 1, 0), SL_EINVAL);

  /* Another version: a server answers with the one it speaks. */
  sl_neg *s = NULL;
  CHECK_EQ(sl_neg_new(&s, NULL, 0, 0), 0);
  const uint8_t v2[] = {0x62, 0x00, 0x00};
  const uint8_t *msg;
  size_t len;
  CHECK_EQ(sl_neg_reconcile(s, v2, sizeof v2, &msg, &len), 0);
  CHECK_EQ(len, 1);
  CHECK_EQ(msg[0], SL_NEG_VERSION);
  sl_neg_free(s);
  /* ... and a client that hears it gives up with a code. */
  sl_neg *c = NULL;
  CHECK_EQ(sl_neg_new(&c, NULL, 0, 0), 0);
  CHECK_EQ(sl_neg_initiate(c, &msg, &len), 0);
  CHECK_EQ(sl_neg_reconcile(c, (const uint8_t[]){0x62}, 1, &msg, &len), SL_ESYNC_VERSION);
  sl_neg_free(c);

  CHECK_EQ(server_says((const uint8_t[]){0x00}, 1), SL_ESYNC_MALFORMED); /* not a version */
  CHECK_EQ(server_says(NULL, 0), SL_ESYNC_MALFORMED);
  CHECK_EQ(server_says((const uint8_t[]){0x61, 0x85}, 2), SL_ESYNC_MALFORMED); /* truncated */
  CHECK_EQ(server_says((const uint8_t[]){0x61, 0x00, 0x00, 0x03}, 4), SL_ESYNC_MALFORMED);
  CHECK_EQ(server_says((const uint8_t[]){0x61, 0x00, 0x21}, 3),
           SL_ESYNC_MALFORMED); /* 33-byte prefix */
  /* An id list claiming more ids than the message holds allocates nothing. */
  CHECK_EQ(server_says((const uint8_t[]){0x61, 0x00, 0x00, 0x02, 0x8f, 0xff, 0xff, 0x7f}, 8),
           SL_ESYNC_MALFORMED);
  /* A varint past 64 bits. */
  uint8_t big[16] = {0x61};
  memset(big + 1, 0xff, 14);
  big[15] = 0x01;
  CHECK_EQ(server_says(big, sizeof big), SL_ESYNC_MALFORMED);
  /* Ranges after infinity, and a bound below the one before. */
  CHECK_EQ(server_says((const uint8_t[]){0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, 7),
           SL_ESYNC_RANGE);
  CHECK_EQ(server_says((const uint8_t[]){0x61, 0x05, 0x01, 0x09, 0x00, 0x01, 0x01, 0x01, 0x00}, 9),
           SL_ESYNC_RANGE);
  /* A timestamp delta that would pass infinity. */
  CHECK_EQ(server_says((const uint8_t[]){0x61, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0x7f, 0x00, 0x00, 0x81, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00},
                       25),
           SL_ESYNC_MALFORMED);
  /* Oversized messages are refused before they are read. */
  uint8_t *huge = calloc(SL_NEG_MAX_MESSAGE + 1, 1);
  huge[0] = 0x61;
  CHECK_EQ(server_says(huge, SL_NEG_MAX_MESSAGE + 1), SL_ESYNC_LIMIT);
  free(huge);
}

/* A server whose fingerprints never agree: the client stops at its round
 * limit instead of splitting forever. */
static void test_never_converges(void) {
  rng_state = 4;
  sl_neg_item v[100];
  for (size_t k = 0; k < 100; k++)
    random_item(&v[k], 10 + k);
  sl_neg *c = NULL;
  CHECK_EQ(sl_neg_new(&c, v, 100, 0), 0);
  sl_neg_set_max_rounds(c, 10);
  const uint8_t *msg;
  size_t len;
  CHECK_EQ(sl_neg_initiate(c, &msg, &len), 0);
  /* Always "everything, with a fingerprint that matches nothing". */
  uint8_t liar[1 + 2 + 1 + 16] = {0x61, 0x00, 0x00, 0x01};
  memset(liar + 4, 0x5a, 16);
  int rc = 0;
  unsigned rounds = 0;
  while (rc == 0 && rounds < 100) {
    rc = sl_neg_reconcile(c, liar, sizeof liar, &msg, &len);
    rounds++;
  }
  CHECK_EQ(rc, SL_ESYNC_ROUNDS);
  CHECK_EQ(rounds, 11);
  sl_neg_free(c);
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_pinned_bytes();
  test_small_sets();
  test_frame_limit();
  test_one_in_a_million();
  test_leaf();
  test_bad_input();
  test_never_converges();
  return check_summary("negentropy");
}
