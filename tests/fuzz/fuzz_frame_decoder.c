/* fuzz_frame_decoder.c — libFuzzer target: the streaming frame decoder fed
 * arbitrary bytes in arbitrary chunk sizes. Invariants: no crash, no leak,
 * buffering bounded by one frame, payload lengths within the cap. */
#include "internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t max_payload = 1 + (size_t)data[0] * 64; /* small caps reach the limit checks */
  size_t chunk = 1 + data[1] % 32;
  data += 2, size -= 2;
  sl_frame_decoder *dec = NULL;
  if (sl_frame_decoder_new(&dec, max_payload) != 0) abort();
  size_t pos = 0;
  while (pos < size) {
    size_t n = size - pos < chunk ? size - pos : chunk, off = 0;
    while (off < n) {
      size_t used = 0;
      sl_frame f;
      int rc = sl_frame_decoder_push(dec, data + pos + off, n - off, &used, &f);
      if (used > n - off) abort();
      off += used;
      if (sl_frame_decoder_buffered(dec) > SL_FRAME_HEADER_BYTES + max_payload) abort();
      if (rc < 0) goto done;
      if (rc == 0) break;
      if (f.len > max_payload || !sl_frame_type_known(f.type)) abort();
    }
    pos += n;
  }
done:
  sl_frame_decoder_free(dec);
  return 0;
}
