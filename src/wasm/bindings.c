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

/* The hot path of a link, one boundary crossing per record each way. */

/* One record from a path: decrypts it (the plaintext stays in wasm, in
 * plain: SL_RECORD_MAX_PLAINTEXT bytes), decodes its frames and hands each
 * to the delivery machine. The host then drains the machine's events,
 * which carry only the delivered payloads. 0 or a negative code (the
 * path is over). */
int sl_wasm_path_receive(sl_session *s, sl_frame_decoder *dec, sl_delivery *d, const uint8_t *rec,
                         size_t len, uint8_t *plain) {
  size_t n = 0;
  int rc = sl_session_decrypt(s, rec, len, plain, SL_RECORD_MAX_PLAINTEXT, &n);
  for (size_t pos = 0; rc >= 0 && pos < n;) {
    size_t used = 0;
    sl_frame f;
    rc = sl_frame_decoder_push(dec, plain + pos, n - pos, &used, &f);
    pos += used;
    if (rc == 1) rc = sl_delivery_frame(d, f.type, f.payload, f.len);
    if (rc == 0 && used == 0) break;
  }
  return rc < 0 ? rc : 0;
}

/* Encrypts the n bytes a delivery call (rc) put in plain: 1 with
 * *out_len set, 0 if there were none, or a negative code. */
static int seal(sl_session *s, int rc, const uint8_t *plain, size_t n, uint8_t *out,
                size_t *out_len) {
  if (rc < 0 || n == 0) return rc;
  rc = sl_session_encrypt(s, plain, n, out, SL_RECORD_MAX_BYTES, out_len);
  return rc < 0 ? rc : 1;
}

/* The next record for the active path: the delivery machine's plaintext,
 * encrypted (out: SL_RECORD_MAX_BYTES). */
int sl_wasm_path_write(sl_session *s, sl_delivery *d, uint8_t *plain, uint8_t *out,
                       size_t *out_len) {
  size_t n = 0;
  *out_len = 0;
  return seal(s, sl_delivery_write(d, plain, SL_RECORD_MAX_PLAINTEXT, &n), plain, n, out, out_len);
}

/* The goodbye record (a due ACK, then DISCONNECT), as sl_wasm_path_write. */
int sl_wasm_path_goodbye(sl_session *s, sl_delivery *d, uint8_t *plain, uint8_t *out,
                         size_t *out_len) {
  size_t n = 0;
  *out_len = 0;
  return seal(s, sl_delivery_goodbye(d, plain, SL_RECORD_MAX_PLAINTEXT, &n), plain, n, out,
              out_len);
}

/* Up to max events into evs; the count, or SL_ENOMEM. */
int sl_wasm_delivery_drain(sl_delivery *d, sl_delivery_event *evs, size_t max) {
  size_t n = 0;
  for (; n < max; n++) {
    int rc = sl_delivery_next(d, &evs[n]);
    if (rc < 0) return rc;
    if (rc == 0) break;
  }
  return (int)n;
}
