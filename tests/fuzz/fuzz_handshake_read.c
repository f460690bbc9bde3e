/* fuzz_handshake_read.c — libFuzzer target: the handshake reader at each
 * step (message 1 at the responder, 2 at the initiator, 3 at the responder
 * after a real exchange) and the NoiseHandshakePayload parser directly.
 * The first input byte picks the mode. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sl_identity *ida, *idb;

static void setup(void) {
  if (ida) return;
  uint8_t seed[32] = {1};
  if (sl_init() != 0 || sl_identity_from_seed(&ida, seed) != 0) abort();
  seed[0] = 2;
  if (sl_identity_from_seed(&idb, seed) != 0) abort();
}

static void must(int rc) {
  if (rc != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  if (size < 1) return 0;
  unsigned mode = data[0] % 4;
  data++, size--;
  if (mode == 0) {
    sl__payload p;
    int rc = sl__payload_decode(data, size, &p);
    if (rc == 0 && p.data_len > size) abort();
    return 0;
  }
  sl_handshake *a = NULL, *b = NULL;
  uint8_t msg[1024], out[SL_NOISE_MAX_MESSAGE + 1];
  size_t len, plen;
  must(sl_handshake_new(&a, ida, 1, NULL, 0));
  must(sl_handshake_new(&b, idb, 0, NULL, 0));
  sl_handshake *reader = b;
  if (mode >= 2) {
    must(sl_handshake_write(a, NULL, 0, msg, sizeof msg, &len));
    reader = a;
  }
  if (mode == 3) {
    must(sl_handshake_read(b, msg, len, out, sizeof out, &plen));
    must(sl_handshake_write(b, NULL, 0, msg, sizeof msg, &len));
    must(sl_handshake_read(a, msg, len, out, sizeof out, &plen));
    reader = b;
  }
  int rc = sl_handshake_read(reader, data, size, out, sizeof out, &plen);
  if (rc == 0 && plen > size) abort();
  if (rc != 0 && !sl_handshake_failed(reader) && rc != SL_ESTATE) abort();
  sl_handshake_free(a);
  sl_handshake_free(b);
  return 0;
}
