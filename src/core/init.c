/* init.c — one-time set-up of libsodium and, in wasm, its random source. */
#include "starling.h"

#include <sodium.h>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

/* libsodium's own wasm random source probes window/self and then calls
 * require('crypto'), which does not exist in ESM under Node. Web Crypto's
 * getRandomValues exists in browsers, workers and Node 20 alike. It fills
 * at most 65536 bytes a call. */
EM_JS(void, sl_js_random_fill, (uint8_t * buf, size_t len), {
  var view = HEAPU8.subarray(buf, buf + len);
  for (var off = 0; off < len; off += 65536)
    globalThis.crypto.getRandomValues(view.subarray(off, Math.min(len, off + 65536)));
});

static const char *sl_random_name(void) { return "starling-webcrypto"; }
static uint32_t sl_random_u32(void) {
  uint32_t v;
  sl_js_random_fill((uint8_t *)&v, sizeof v);
  return v;
}
static void sl_random_buf(void *buf, size_t len) { sl_js_random_fill(buf, len); }

static randombytes_implementation sl_webcrypto_random = {
    .implementation_name = sl_random_name,
    .random = sl_random_u32,
    .stir = NULL,
    .uniform = NULL, /* libsodium derives uniform() from random() */
    .buf = sl_random_buf,
    .close = NULL,
};
#endif

int sl_init(void) {
  static int done;
  if (done) return 0;
#ifdef __EMSCRIPTEN__
  if (randombytes_set_implementation(&sl_webcrypto_random) != 0) return SL_ECRYPTO;
#endif
  if (sodium_init() < 0) return SL_ECRYPTO;
  done = 1;
  return 0;
}
