/* fuzz_tip.c — TIP_META from the network. The input goes to the receiver
 * as it is, and (to reach the typed-data parser behind the envelope's
 * signature) as the typed data of a tip sealed by a fixed sender. Either
 * way: a code, no crash, and what passes points inside the message. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sl_identity *id;
  static sl_tips *tips;
  if (!id) {
    uint8_t seed[32] = {9};
    if (sl_init() != 0 || sl_identity_from_seed(&id, seed) != 0 || sl_tips_new(&tips, NULL) != 0)
      abort();
  }
  const uint64_t now = 1764676800000ull;
  sl_tip tip;
  (void)sl_tips_receive(tips, data, size, now, &tip);
  uint8_t *m;
  size_t len;
  static const uint8_t sig[65] = {1};
  if (sl_tip_seal(id, (const char *)data, size, sig, sizeof sig, now, &m, &len) != 0) return 0;
  if (sl_tips_receive(tips, m, len, now, &tip) == 0 &&
      (tip.meta != (const char *)m + 45 || tip.meta_len != size || tip.signature_len != 65))
    abort();
  free(m);
  return 0;
}
