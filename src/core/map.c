/* map.c — a small open-addressing hash map from C strings to pointers,
 * for the hub's rooms, peers and per-IP state. Keys are copied; values are
 * borrowed. Deleted slots become tombstones; the table grows at 1/2 load
 * (counting tombstones) so probes stay short. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A unique non-NULL address that no key can have. */
static char sl__map_tombstone;
#define TOMBSTONE (&sl__map_tombstone)

static uint32_t hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

void sl__map_init(sl__map *m) { memset(m, 0, sizeof *m); }

void sl__map_free(sl__map *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] && m->keys[i] != TOMBSTONE) free(m->keys[i]);
  free(m->keys);
  free(m->values);
  memset(m, 0, sizeof *m);
}

/* Slot holding key, or (if absent) the first free slot on its probe path. */
static size_t find(const sl__map *m, const char *key, bool *found) {
  size_t mask = m->cap - 1, i = hash(key) & mask, free_slot = SIZE_MAX;
  for (;; i = (i + 1) & mask) {
    char *k = m->keys[i];
    if (!k) {
      *found = false;
      return free_slot != SIZE_MAX ? free_slot : i;
    }
    if (k == TOMBSTONE) {
      if (free_slot == SIZE_MAX) free_slot = i;
    } else if (strcmp(k, key) == 0) {
      *found = true;
      return i;
    }
  }
}

static int grow(sl__map *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  sl__map bigger = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(void *)), cap, 0, 0};
  if (!bigger.keys || !bigger.values) {
    free(bigger.keys);
    free(bigger.values);
    return SL_ENOMEM;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i] || m->keys[i] == TOMBSTONE) continue;
    bool found;
    size_t j = find(&bigger, m->keys[i], &found);
    bigger.keys[j] = m->keys[i];
    bigger.values[j] = m->values[i];
    bigger.count++;
    bigger.used++;
  }
  free(m->keys);
  free(m->values);
  *m = bigger;
  return 0;
}

void *sl__map_get(const sl__map *m, const char *key) {
  if (!m->cap) return NULL;
  bool found;
  size_t i = find(m, key, &found);
  return found ? m->values[i] : NULL;
}

int sl__map_put(sl__map *m, const char *key, void *value) {
  if ((m->used + 1) * 2 > m->cap && grow(m) != 0) return SL_ENOMEM;
  bool found;
  size_t i = find(m, key, &found);
  if (!found) {
    size_t n = strlen(key) + 1;
    char *copy = malloc(n);
    if (!copy) return SL_ENOMEM;
    memcpy(copy, key, n);
    if (!m->keys[i]) m->used++;
    m->keys[i] = copy;
    m->count++;
  }
  m->values[i] = value;
  return 0;
}

void *sl__map_remove(sl__map *m, const char *key) {
  if (!m->cap) return NULL;
  bool found;
  size_t i = find(m, key, &found);
  if (!found) return NULL;
  void *v = m->values[i];
  free(m->keys[i]);
  m->keys[i] = TOMBSTONE;
  m->values[i] = NULL;
  m->count--;
  return v;
}

size_t sl__map_next(const sl__map *m, size_t pos, const char **key, void **value) {
  for (size_t i = pos; i < m->cap; i++) {
    if (m->keys[i] && m->keys[i] != TOMBSTONE) {
      *key = m->keys[i];
      *value = m->values[i];
      return i + 1;
    }
  }
  return 0;
}
