/* json.c — the one way network JSON is parsed. cJSON alone is too lenient
 * for input that decides who said what: it accepts trailing bytes after
 * the value and keeps duplicate member names (JavaScript's JSON.parse then
 * keeps the last one, so `{"from":"a","from":"b"}` means different things
 * to the hub and to the peer that receives it). */
#include "internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

bool sl__json_has_nul_escape(const char *text, size_t len) {
  for (size_t i = 0; i + 6 <= len; i++)
    if (text[i] == '\\' && (text[i + 1] == 'u' || text[i + 1] == 'U') &&
        memcmp(text + i + 2, "0000", 4) == 0)
      return true;
  return false;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Small objects compare pairwise; large ones sort their names, so a
 * hostile 64 KiB object with thousands of members stays O(n log n). */
static bool object_has_duplicates(const cJSON *obj) {
  size_t n = 0;
  for (const cJSON *c = obj->child; c; c = c->next)
    n++;
  if (n < 2) return false;
  if (n <= 16) {
    for (const cJSON *a = obj->child; a; a = a->next)
      for (const cJSON *b = a->next; b; b = b->next)
        if (strcmp(a->string, b->string) == 0) return true;
    return false;
  }
  const char **names = malloc(n * sizeof *names);
  if (!names) return true; /* cannot check: refuse */
  size_t i = 0;
  for (const cJSON *c = obj->child; c; c = c->next)
    names[i++] = c->string;
  qsort(names, n, sizeof *names, by_name);
  bool dup = false;
  for (i = 1; i < n && !dup; i++)
    dup = strcmp(names[i - 1], names[i]) == 0;
  free(names);
  return dup;
}

/* Recursive into objects and arrays; cJSON's nesting limit (1000) bounds the depth. */
static bool tree_has_duplicates(const cJSON *node) {
  for (; node; node = node->next) {
    if (cJSON_IsObject(node) && object_has_duplicates(node)) return true;
    if ((cJSON_IsObject(node) || cJSON_IsArray(node)) && tree_has_duplicates(node->child))
      return true;
  }
  return false;
}

cJSON *sl__json_parse_strict(const char *text, size_t len) {
  if (!text || sl__json_has_nul_escape(text, len)) return NULL;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!root) return NULL;
  while (end && end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
    end++;
  if (end != text + len || tree_has_duplicates(root)) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}
