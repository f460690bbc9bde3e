/* fuzz_signal.c — libFuzzer target: the signaling parser on arbitrary
 * text; anything it accepts must rebuild into a message it accepts again. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    if (sl_init() != 0) abort();
    ready = 1;
  }
  sl_signal *m = NULL;
  if (sl_signal_parse((const char *)data, size, 4096, &m) != 0) return 0;
  if (m->type < SL_SIG_AUTH || m->type > SL_SIG_PONG) abort();
  if (m->type != SL_SIG_AUTH && m->type != SL_SIG_AUTH_PROOF) {
    char *out = NULL;
    size_t len = 0;
    int rc = sl_signal_build(m->type, NULL, m->to[0] ? m->to : NULL, m->room[0] ? m->room : NULL,
                             m->id[0] ? m->id : NULL, m->payload, &out, &len);
    if (rc != 0) abort();
    sl_signal *again = NULL;
    if (sl_signal_parse(out, len, 0, &again) != 0) abort();
    sl_signal_free(again);
    free(out);
  }
  sl_signal_free(m);
  return 0;
}
