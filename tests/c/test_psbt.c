/* test_psbt.c — PSBT parsing against the test vectors of BIP 174 and
 * BIP 370, read from the BIPs themselves (tests/vectors/psbt): every
 * invalid case is refused, every valid one parses, and BIP 370's lock time
 * determination gives the listed lock time (or none). Then the fields of
 * one v0 and one v2 PSBT, and truncations of every valid case. */
#include "check.h"
#include "internal.h"

typedef enum { NONE, INVALID, VALID, LOCKTIME, WORKFLOW } section;

static size_t unhex(const char *s, size_t n, uint8_t *out) {
  size_t k = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    unsigned v;
    if (sscanf(s + i, "%2x", &v) != 1) break;
    out[k++] = (uint8_t)v;
  }
  return k;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  s[fread(s, 1, (size_t)n, f)] = 0;
  fclose(f);
  return s;
}

typedef struct tally {
  int invalid, valid, locktimes, combined;
} tally;

/* The last two PSBTs of the workflow cases, for the combiner's. */
typedef struct recent {
  uint8_t *b[2];
  size_t n[2];
} recent;

static void remember(recent *r, const uint8_t *b, size_t n) {
  free(r->b[0]);
  r->b[0] = r->b[1];
  r->n[0] = r->n[1];
  r->b[1] = malloc(n);
  memcpy(r->b[1], b, n);
  r->n[1] = n;
}

/* A PSBT's maps, each pair's bytes as one record, sorted within its map
 * and the maps separated: equal for two PSBTs with the same pairs in any
 * order. Writes the records' bytes to out; returns how many. (The
 * vectors' keys are under 253 bytes and values under 64 KiB.) */
static size_t canonical(const uint8_t *b, size_t n, uint8_t *out) {
  typedef struct rec {
    const uint8_t *p;
    size_t n;
  } rec;
  static rec recs[4096];
  size_t pos = 5, len = 0, k = 0;
  while (pos < n) {
    size_t start = pos, kl = b[pos++];
    if (kl == 0) {
      for (size_t i = 1; i < k; i++) /* insertion sort: maps are small */
        for (size_t j = i; j; j--) {
          const rec *a = &recs[j - 1], *c = &recs[j];
          if (a->n < c->n || (a->n == c->n && memcmp(a->p, c->p, c->n) <= 0)) break;
          rec x = recs[j];
          recs[j] = recs[j - 1];
          recs[j - 1] = x;
        }
      for (size_t i = 0; i < k; i++) {
        memcpy(out + len, recs[i].p, recs[i].n);
        len += recs[i].n;
      }
      out[len++] = 0;
      k = 0;
      continue;
    }
    pos += kl;
    size_t vl = b[pos++];
    if (vl == 0xfd) {
      vl = (size_t)b[pos] | (size_t)b[pos + 1] << 8;
      pos += 2;
    }
    pos += vl;
    recs[k++] = (rec){b + start, pos - start};
  }
  return len;
}

/* BIP 174's combiner cases, in either order of the two PSBTs before:
 * "orders keys lexicographically" gives exactly the listed bytes (our
 * combiner's order); the other case (Bitcoin Core's output, whose partial
 * signatures follow key hashes) the same pairs in each map. */
static void check_combined(const recent *r, const uint8_t *want, size_t n, bool exact, tally *t) {
  static uint8_t x[1 << 20], y[1 << 20];
  for (int order = 0; order < 2; order++) {
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK_EQ(
        sl_psbt_combine(r->b[order], r->n[order], r->b[1 - order], r->n[1 - order], &out, &len), 0);
    CHECK_EQ(len, n);
    if (out && len == n && exact) {
      CHECK(!memcmp(out, want, n));
    } else if (out && len == n) {
      size_t cx = canonical(out, len, x), cy = canonical(want, n, y);
      CHECK(cx == cy && !memcmp(x, y, cx));
    }
    free(out);
  }
  t->combined++;
}

static void check_case(section sec, long long want_lock, const char *name, const uint8_t *b,
                       size_t n, tally *t) {
  sl_psbt *p = NULL;
  int rc = sl_psbt_parse(b, n, &p);
  if (sec == INVALID) {
    if (rc == 0) fprintf(stderr, "accepted an invalid PSBT: %s\n", name);
    CHECK(rc < 0);
    t->invalid++;
  } else {
    if (rc != 0) fprintf(stderr, "refused a valid PSBT (%s): %s\n", sl_errname(rc), name);
    CHECK_EQ(rc, 0);
    t->valid++;
    if (sec == LOCKTIME && p) {
      uint32_t lock = 0;
      int lrc = sl_psbt_locktime(p, &lock);
      if (want_lock < 0)
        CHECK_EQ(lrc, SL_EPSBT_LOCKTIME);
      else
        CHECK(lrc == 0 && lock == (uint32_t)want_lock);
      t->locktimes++;
    }
    /* Every truncation of a valid PSBT is refused, never read past. */
    for (size_t cut = 0; p && cut < n; cut += 1 + n / 64) {
      sl_psbt *q = NULL;
      CHECK(sl_psbt_parse(b, cut, &q) < 0);
    }
  }
  sl_psbt_free(p);
}

/* Walks a BIP's "Test Vectors" section: "The following are invalid/valid
 * PSBTs", "* Case: ...", "** Bytes in Hex: <pre>...</pre>"; BIP 370's lock
 * time cases under "should be computed to be N" / "cannot be computed". */
static tally run_bip(const char *path) {
  tally t = {0};
  char *text = slurp(path);
  CHECK(text != NULL);
  if (!text) return t;
  section sec = NONE;
  recent last = {{NULL, NULL}, {0, 0}};
  bool combiner_next = false, exact = false;
  long long lock = 0;
  const char *name = "";
  char *line = strstr(text, "==Test Vectors==");
  uint8_t *buf = malloc(1 << 20);
  for (char *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    if (strstr(line, "following are invalid PSBTs")) sec = INVALID;
    if (strstr(line, "following are valid PSBTs") || strstr(line, "Fails Signer checks"))
      sec = VALID;
    if (strstr(line, "should be computed to be")) {
      sec = LOCKTIME;
      lock = atoll(strstr(line, "to be ") + 6);
    }
    if (strstr(line, "cannot be computed")) {
      sec = LOCKTIME;
      lock = -1;
    }
    if (strstr(line, "private keys in the tests below")) sec = WORKFLOW;
    if (!strncmp(line, "==Rationale", 11)) sec = NONE;
    if (sec == WORKFLOW && strstr(line, "combiner") && strstr(line, "must")) {
      combiner_next = true;
      exact = strstr(line, "lexicographically") != NULL;
    }
    if (!strncmp(line, "* Case: ", 8)) name = line + 8;
    const char *hex = strstr(line, "Bytes in Hex: <pre>");
    if (hex && sec != NONE) {
      hex += strlen("Bytes in Hex: <pre>");
      const char *end = strstr(hex, "</pre>");
      size_t n = unhex(hex, end ? (size_t)(end - hex) : strlen(hex), buf);
      if (sec != WORKFLOW)
        check_case(sec, lock, name, buf, n, &t);
      else if (combiner_next)
        check_combined(&last, buf, n, exact, &t);
      if (sec == WORKFLOW) remember(&last, buf, n);
      combiner_next = false;
    }
  }
  free(last.b[0]);
  free(last.b[1]);
  free(buf);
  free(text);
  return t;
}

/* The fields of BIP 370's "required fields only" case and BIP 174's first
 * valid one. */
static void test_fields(void) {
  static const char v2[] =
      "70736274ff01020402000000010401010105010201fb040200000000010e200b0ad921419c1c8719735d72dc739f"
      "9ea9e0638d1fe4c1eef0f9944084815fc8010f0400000000000103080008af2f000000000104160014c430f64c"
      "4756da310dbd1a085572ef299926272c00010308bbdeb0b00000000001041600143a91ea1e4aeccc10e7c52fa3"
      "62e07a53a4e4db2300";
  uint8_t b[512];
  size_t n = unhex(v2, strlen(v2), b);
  sl_psbt *p = NULL;
  CHECK_EQ(sl_psbt_parse(b, n, &p), 0);
  CHECK_EQ(sl_psbt_version(p), 2);
  CHECK_EQ(sl_psbt_tx_version(p), 2);
  CHECK_EQ(sl_psbt_input_count(p), 1);
  CHECK_EQ(sl_psbt_output_count(p), 2);
  const sl_psbt_input *in = sl_psbt_input_at(p, 0);
  CHECK(in && in->prev_txid[0] == 0x0b && in->prev_index == 0 && in->sequence == 0xffffffffu);
  const sl_psbt_output *o = sl_psbt_output_at(p, 0);
  CHECK(o && o->amount == 800000000ull && o->script_len == 22 && o->script[0] == 0);
  CHECK(sl_psbt_output_at(p, 2) == NULL);
  uint32_t lock = 1;
  CHECK_EQ(sl_psbt_locktime(p, &lock), 0);
  CHECK_EQ(lock, 0);
  /* The terms: what an output script is paid. */
  CHECK_EQ(sl_psbt_pays(p, o->script, o->script_len, 800000000ull), 1);
  CHECK_EQ(sl_psbt_pays(p, o->script, o->script_len, 800000001ull), 0);
  CHECK_EQ(sl_psbt_pays(p, o->script, o->script_len - 1, 1), 0);
  /* Another transaction does not combine with it. */
  uint8_t *comb = NULL;
  size_t comb_len;
  uint8_t other[512];
  memcpy(other, b, n);
  other[n - 30] ^= 1; /* inside the second output's script */
  CHECK_EQ(sl_psbt_combine(b, n, other, n, &comb, &comb_len), SL_EPSBT_MISMATCH);
  CHECK(comb == NULL);
  CHECK_EQ(sl_psbt_combine(b, n, b, n, &comb, &comb_len), 0); /* with itself: itself */
  CHECK(comb_len == n && !memcmp(comb, b, n));
  free(comb);
  sl_psbt_free(p);
  CHECK_EQ(sl_psbt_parse(NULL, 0, &p), SL_EPSBT_MALFORMED);
  CHECK_EQ(sl_psbt_parse(b, 4, &p), SL_EPSBT_MALFORMED);
  b[n - 1] = 1; /* a byte past the last map's separator */
  CHECK(sl_psbt_parse(b, n, &p) < 0);
}

int main(int argc, char **argv) {
  if (sl_init() != 0) return 1;
  const char *dir = argc > 1 ? argv[1] : "tests/vectors";
  char path[512];
  snprintf(path, sizeof path, "%s/psbt/bip-0174.mediawiki", dir);
  tally t174 = run_bip(path);
  snprintf(path, sizeof path, "%s/psbt/bip-0370.mediawiki", dir);
  tally t370 = run_bip(path);
  printf(
      "BIP 174: %d invalid, %d valid, %d combined; BIP 370: %d invalid, %d valid, %d lock times\n",
      t174.invalid, t174.valid, t174.combined, t370.invalid, t370.valid, t370.locktimes);
  CHECK_EQ(t174.combined, 2);
  CHECK(t174.invalid == 20 && t174.valid == 14); /* the cases the BIPs list */
  CHECK(t370.invalid == 24 && t370.valid == 23 && t370.locktimes == 10);
  test_fields();
  return check_summary("psbt");
}
