/* fifo.c — room in growable arrays: plain ones, and ones used as FIFOs
 * (see internal.h). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int sl__fifo_reserve(void **buf, size_t elem_size, size_t *head, size_t count, size_t *cap,
                     size_t initial) {
  if (*head + count < *cap) return 0;
  if (*head > 0) { /* compact before growing */
    memmove(*buf, (char *)*buf + *head * elem_size, count * elem_size);
    *head = 0;
    return 0;
  }
  size_t grown = *cap ? *cap * 2 : initial;
  void *bigger = realloc(*buf, grown * elem_size);
  if (!bigger) return SL_ENOMEM;
  *buf = bigger;
  *cap = grown;
  return 0;
}

void *sl__grow(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return p;
  size_t c = *cap ? *cap * 2 : 16;
  while (c < need)
    c *= 2;
  void *q = realloc(p, c * size);
  if (q) *cap = c;
  return q;
}
