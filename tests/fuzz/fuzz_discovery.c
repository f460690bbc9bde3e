/* fuzz_discovery.c — the parsers of what peers say about themselves: a
 * binary multiaddr, a pubsub peer discovery announcement, a signed peer
 * record, and a text multiaddr. The first byte picks the parser. Beyond
 * not crashing: a binary multiaddr that prints must parse back to the
 * same bytes, and every address a decoder returns must parse as text. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void each_parses(const char *list, int n) {
  for (int i = 0; i < n; i++) {
    uint8_t bin[SL_MULTIADDR_MAX_BYTES];
    size_t len = 0;
    if (sl_multiaddr_from_string(list, strlen(list), bin, sizeof bin, &len) != 0) abort();
    list += strlen(list) + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) ready = sl_init() == 0;
  if (size < 1) return 0;
  uint8_t which = data[0];
  data++, size--;
  static char text[SL_DISCOVERY_MAX_BYTES * 4];
  uint8_t pk[32];
  int n;
  switch (which % 4) {
  case 0: {
    n = sl_multiaddr_to_string(data, size, text, sizeof text);
    if (n >= 0) {
      uint8_t back[SL_MULTIADDR_MAX_BYTES];
      size_t len = 0;
      if (sl_multiaddr_from_string(text, (size_t)n, back, sizeof back, &len) != 0) abort();
      if (len != size || memcmp(back, data, size) != 0) abort();
    }
    break;
  }
  case 1:
    n = sl_discovery_decode(data, size, pk, text, sizeof text);
    if (n > SL_DISCOVERY_MAX_ADDRS) abort();
    if (n > 0) each_parses(text, n);
    break;
  case 2: {
    uint64_t seq;
    n = sl_peer_record_open(data, size, pk, &seq, text, sizeof text);
    if (n > SL_DISCOVERY_MAX_ADDRS) abort();
    if (n > 0) each_parses(text, n);
    break;
  }
  default: {
    uint8_t bin[SL_MULTIADDR_MAX_BYTES];
    size_t len = 0;
    if (sl_multiaddr_from_string((const char *)data, size, bin, sizeof bin, &len) == 0) {
      n = sl_multiaddr_to_string(bin, len, text, sizeof text);
      if (n < 0) abort();
    }
    break;
  }
  }
  return 0;
}
