/* bindings.c — the few helpers the JS glue needs beyond the public API.
 * Everything else is exported as is (see CMakeLists.txt). The boundary is
 * kept narrow and batched where calls are hot: one decode call handles a
 * whole chunk of frames. */
#include "internal.h"

#include <stdlib.h>

/* Decodes as many frames as possible from data[0..len). For each frame it
 * writes three u32 words to desc: type, payload pointer, payload length.
 * Stops after max_frames, after a frame whose payload lives in the
 * decoder's own buffer (it is released by the next push), or at the end of
 * the input. *consumed gets the input bytes used. Returns the number of
 * frames, or a negative code; on error *frames_before gets the count of
 * frames decoded before it (their descriptors are valid). */
int sl_wasm_frame_decode_batch(sl_frame_decoder *dec, const uint8_t *data, size_t len,
                               uint32_t *desc, size_t max_frames, size_t *consumed,
                               size_t *frames_before) {
  size_t pos = 0, count = 0;
  *frames_before = 0;
  while (count < max_frames) {
    size_t used = 0;
    sl_frame f;
    int rc = sl_frame_decoder_push(dec, data + pos, len - pos, &used, &f);
    pos += used;
    if (rc < 0) {
      *consumed = pos;
      *frames_before = count;
      return rc;
    }
    if (rc == 0) break;
    desc[3 * count] = f.type;
    desc[3 * count + 1] = (uint32_t)(uintptr_t)f.payload;
    desc[3 * count + 2] = (uint32_t)f.len;
    count++;
    bool in_place = f.payload >= data && f.payload < data + len;
    if (!in_place && f.len) break;
    if (pos == len) break;
  }
  *consumed = pos;
  return (int)count;
}
