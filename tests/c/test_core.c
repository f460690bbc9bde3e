/* test_core.c — the core's shared helpers: the string map's capacity
 * follows its live keys, keys made to collide under a public hash do not
 * pile up in it, and network JSON is parsed strictly. */
#include "check.h"
#include "internal.h"

#include <cjson/cJSON.h>
#include <sodium.h>

static void test_map_follows_live_keys(void) {
  sl__map m;
  const uint8_t hash_key[16] = {1};
  sl__map_init(&m, hash_key);
  int v = 1;
  char key[32];
  /* A million insert/remove pairs with nothing left: the table stays small. */
  for (int i = 0; i < 1000000; i++) {
    snprintf(key, sizeof key, "k%d", i);
    CHECK_EQ(sl__map_put(&m, key, &v), 0);
    CHECK(sl__map_remove(&m, key) == &v);
  }
  CHECK_EQ(m.count, 0);
  CHECK(m.cap <= 16);
  /* A burst, then most of it gone: compaction sizes the table from what is left. */
  for (int i = 0; i < 100000; i++) {
    snprintf(key, sizeof key, "b%d", i);
    CHECK_EQ(sl__map_put(&m, key, &v), 0);
  }
  CHECK(m.cap >= 200000);
  const char *k;
  void *val;
  int seen = 0;
  for (size_t pos = 0;
       (pos = sl__map_next(&m, pos, &k, &val)) != 0;) { /* removal while iterating */
    if (strcmp(k, "b7") != 0) sl__map_remove(&m, k);
    seen++;
  }
  CHECK_EQ(seen, 100000);
  CHECK_EQ(m.count, 1);
  CHECK_EQ(sl__map_compact(&m), 0);
  CHECK(m.cap <= 16);
  CHECK(sl__map_get(&m, "b7") == &v);
  CHECK(sl__map_get(&m, "b8") == NULL);
  sl__map_remove(&m, "b7");
  CHECK_EQ(sl__map_compact(&m), 0);
  CHECK_EQ(m.cap, 0);
  CHECK(sl__map_get(&m, "b7") == NULL);
  CHECK_EQ(sl__map_put(&m, "again", &v), 0); /* usable after being emptied */
  CHECK(sl__map_get(&m, "again") == &v);
  sl__map_free(&m);
}

static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  while (*s)
    h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

/* Room names as a client would pick them against a public hash (FNV-1a,
 * which this map once used): all share their low 12 bits, so in the
 * 4,096-slot table they end up in they would make one run of 1,500, and
 * every lookup of one of them, or of anything landing near them, would
 * walk it. Under the map's keyed hash they spread like any other
 * names. */
static void test_map_keyed_hash(void) {
  enum { N = 1500 };
  static char names[N][24];
  size_t n = 0;
  for (uint32_t i = 0; n < N; i++) {
    snprintf(names[n], sizeof names[n], "room-%u", i);
    if ((fnv1a(names[n]) & 0xfff) == 0x234) n++;
  }
  int v = 1;
  uint8_t hash_key[16];
  randombytes_buf(hash_key, sizeof hash_key);
  sl__map m;
  sl__map_init(&m, hash_key);
  for (size_t k = 0; k < N; k++)
    CHECK_EQ(sl__map_put(&m, names[k], &v), 0);
  CHECK_EQ(m.cap, 4096); /* the table those names were made for */
  size_t run = sl__map_longest_run(&m);
  CHECK(run < 64);
  if (run >= 64) fprintf(stderr, "longest run %zu of %zu slots\n", run, m.cap);
  for (size_t k = 0; k < N; k++)
    CHECK(sl__map_get(&m, names[k]) == &v);
  sl__map_free(&m);
}

static int parses(const char *json) {
  cJSON *root = sl__json_parse_strict(json, strlen(json));
  cJSON_Delete(root);
  return root != NULL;
}

static void test_strict_json(void) {
  CHECK(parses("{\"a\":1,\"b\":[{\"a\":2},{\"a\":3}]}"));
  CHECK(parses("{\"a\":1} \n\t"));
  CHECK(!parses("{\"a\":1}x"));
  CHECK(!parses("{\"a\":1},\"from\":\"x\"}"));
  CHECK(!parses("{\"a\":1,\"a\":2}"));
  CHECK(!parses("{\"p\":{\"x\":1,\"y\":{\"z\":1,\"z\":1}}}")); /* nested */
  CHECK(!parses("[{\"k\":1,\"k\":1}]"));                       /* inside an array */
  CHECK(!parses("{\"a\":\"\\u0000\"}"));
  CHECK(!parses(""));
  /* A large object: duplicates found by sorting, and none reported falsely. */
  char big[40000];
  size_t n = 0;
  big[n++] = '{';
  for (int i = 0; i < 2000; i++)
    n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", i ? "," : "", i, i);
  big[n++] = '}';
  big[n] = 0;
  CHECK(parses(big));
  snprintf(big + n - 1, sizeof big - n + 1, ",\"k1234\":0}");
  CHECK(!parses(big));
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_map_follows_live_keys();
  test_map_keyed_hash();
  test_strict_json();
  return check_summary("core");
}
