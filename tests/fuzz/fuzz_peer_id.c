/* fuzz_peer_id.c — libFuzzer target: peer id parsing (base58 + multihash +
 * protobuf key + curve check). A parsed key must re-encode to the input. */
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
  uint8_t pk[32];
  if (sl_peer_id_to_public_key((const char *)data, size, pk) != 0) return 0;
  char again[SL_PEER_ID_BYTES];
  if (sl_peer_id_from_public_key(pk, again) != 0) abort();
  if (size != 52 || memcmp(again, data, 52) != 0) abort();
  return 0;
}
