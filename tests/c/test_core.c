/* test_core.c — the core's shared helpers: the string map's capacity
 * follows its live keys, and network JSON is parsed strictly. */
#include "check.h"
#include "internal.h"

#include <cjson/cJSON.h>

static void test_map_follows_live_keys(void) {
  sl__map m;
  sl__map_init(&m);
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
  test_map_follows_live_keys();
  test_strict_json();
  return check_summary("core");
}
