/* init.c — one-time set-up of libsodium and, in wasm, its random source. */
#include "starling.h"

#include <sodium.h>

/* Randomness in the wasm builds: libsodium 1.0.18 under Emscripten draws
 * every random byte from Module.getRandomValue() and ignores
 * randombytes_set_implementation(), so the source is chosen by the JS glue
 * (js-glue/random.js: Web Crypto's getRandomValues). The C tests built
 * for Node use libsodium's own probe, which finds Node's crypto module. */

int sl_init(void) {
  static int done;
  if (done) return 0;
  if (sodium_init() < 0) return SL_ECRYPTO;
  done = 1;
  return 0;
}
