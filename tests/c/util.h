/* util.h — helpers shared by the C tests: hex, files, JSON vectors. */
#ifndef SL_TEST_UTIL_H
#define SL_TEST_UTIL_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes hex into a malloc'd buffer (at least 1 byte); *len gets the size. */
static inline uint8_t *hex_decode(const char *hex, size_t *len) {
  size_t n = strlen(hex) / 2;
  uint8_t *out = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) v = 0;
    out[i] = (uint8_t)v;
  }
  *len = n;
  return out;
}

static inline char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  size_t got = fread(buf, 1, (size_t)n, f);
  buf[got] = '\0';
  fclose(f);
  return buf;
}

/* Parses dir/name as JSON; NULL (and a message) on failure. */
static inline cJSON *load_json(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char *text = read_file(path);
  if (!text) return NULL;
  cJSON *json = cJSON_Parse(text);
  free(text);
  if (!json) fprintf(stderr, "cannot parse %s\n", path);
  return json;
}

static inline const char *json_str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static inline uint8_t *json_hex(const cJSON *obj, const char *key, size_t *len) {
  return hex_decode(json_str(obj, key), len);
}

static inline int json_has_flag(const cJSON *test, const char *flag) {
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(test, "flags")) {
    if (cJSON_IsString(f) && strcmp(f->valuestring, flag) == 0) return 1;
  }
  return 0;
}

#endif
