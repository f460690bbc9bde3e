/* fuzz_hub_session.c — libFuzzer target: hub -> peer messages fed to the
 * peer's hub session, split at newlines into a conversation. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sl_identity *id;
  if (!id) {
    uint8_t seed[32] = {7};
    if (sl_init() != 0 || sl_identity_from_seed(&id, seed) != 0) abort();
  }
  sl_hub_session *s = NULL;
  if (sl_hub_session_new(&s, id, "a.b.c") != 0) abort();
  sl_hub_session_opened(s);
  const char *text = (const char *)data;
  for (size_t pos = 0; pos < size;) {
    const char *nl = memchr(text + pos, '\n', size - pos);
    size_t len = nl ? (size_t)(nl - (text + pos)) : size - pos;
    (void)sl_hub_session_text(s, text + pos, len);
    sl_hub_session_event ev;
    while (sl_hub_session_next(s, &ev))
      if (!ev.data || strlen(ev.data) != ev.len) abort();
    pos += len + 1;
  }
  (void)sl_hub_session_join(s, "room");
  sl_hub_session_free(s);
  return 0;
}
