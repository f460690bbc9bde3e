/* map.c — a small open-addressing hash map from C strings to pointers,
 * for the hub's rooms, peers and per-IP state and the gossip router's
 * peers, topics and message ids. Keys are copied; values are
 * borrowed. Deleted slots become tombstones. When live keys plus
 * tombstones reach 1/2 load the table is rebuilt at a size taken from the
 * live count alone, so it grows with what is in it, not with every key
 * ever inserted (a hub sees millions of connections come and go). */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A unique non-NULL address that no key can have. */
static char sl__map_tombstone;
#define TOMBSTONE (&sl__map_tombstone)

/* Where a key lands must not be known outside: room names and ids are
 * the network's choice, and against a public hash (FNV-1a, as this map
 * used) a client can make thousands of keys share one run of slots and
 * turn every lookup into a walk of the map. */
static size_t hash(const sl__map *m, const char *s) {
  uint8_t h[crypto_shorthash_BYTES];
  crypto_shorthash(h, (const unsigned char *)s, strlen(s), m->hash_key);
  uint64_t v;
  memcpy(&v, h, sizeof v);
  return (size_t)v;
}

void sl__map_init(sl__map *m, const uint8_t hash_key[16]) {
  memset(m, 0, sizeof *m);
  memcpy(m->hash_key, hash_key, sizeof m->hash_key);
}

/* Frees the table; the map stays usable, with its hash key. */
void sl__map_free(sl__map *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] && m->keys[i] != TOMBSTONE) free(m->keys[i]);
  free(m->keys);
  free(m->values);
  m->keys = NULL;
  m->values = NULL;
  m->cap = m->count = m->used = 0;
}

/* Slot holding key, or (if absent) the first free slot on its probe path. */
static size_t find(const sl__map *m, const char *key, bool *found) {
  size_t mask = m->cap - 1, i = hash(m, key) & mask, free_slot = SIZE_MAX;
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

/* The capacity for `live` keys: a power of two at most 1/4 full, so
 * `live` more inserts fit before the next rebuild. */
static size_t cap_for(size_t live) {
  size_t cap = 16;
  while (cap < live * 4)
    cap *= 2;
  return cap;
}

/* Rebuilds at `cap` slots without tombstones; the map is unchanged on failure. */
static int rehash(sl__map *m, size_t cap) {
  sl__map fresh = *m;
  fresh.keys = calloc(cap, sizeof(char *));
  fresh.values = calloc(cap, sizeof(void *));
  fresh.cap = cap;
  fresh.count = fresh.used = 0;
  if (!fresh.keys || !fresh.values) {
    free(fresh.keys);
    free(fresh.values);
    return SL_ENOMEM;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i] || m->keys[i] == TOMBSTONE) continue;
    bool found;
    size_t j = find(&fresh, m->keys[i], &found);
    fresh.keys[j] = m->keys[i];
    fresh.values[j] = m->values[i];
    fresh.count++;
    fresh.used++;
  }
  free(m->keys);
  free(m->values);
  *m = fresh;
  return 0;
}

int sl__map_compact(sl__map *m) {
  if (m->count == 0) {
    sl__map_free(m);
    return 0;
  }
  size_t want = cap_for(m->count);
  bool oversized = m->cap > 16 && m->count * 8 < m->cap;
  bool tombstoned = (m->used - m->count) * 4 > m->cap;
  return oversized || tombstoned ? rehash(m, want) : 0;
}

void *sl__map_get(const sl__map *m, const char *key) {
  if (!m->cap) return NULL;
  bool found;
  size_t i = find(m, key, &found);
  return found ? m->values[i] : NULL;
}

int sl__map_put(sl__map *m, const char *key, void *value) {
  if ((m->used + 1) * 2 > m->cap && rehash(m, cap_for(m->count + 1)) != 0) return SL_ENOMEM;
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

size_t sl__map_longest_run(const sl__map *m) {
  size_t best = 0, run = 0;
  /* Twice round, so a run that wraps past the end is counted whole. */
  for (size_t k = 0; k < 2 * m->cap; k++) {
    run = m->keys[k & (m->cap - 1)] ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best < m->cap ? best : m->cap;
}
