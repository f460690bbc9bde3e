/* test_frame.c — frame encoder and streaming decoder. */
#include "check.h"
#include "internal.h"

static size_t encode(unsigned type, const uint8_t *p, size_t n, uint8_t *out) {
  size_t len = 0;
  int rc = sl_frame_encode(type, p, n, out, n + 5, &len);
  CHECK_EQ(rc, 0);
  return len;
}

static void test_encode(void) {
  uint8_t out[16];
  size_t len = 0;
  const uint8_t p[3] = {0xaa, 0xbb, 0xcc};
  CHECK_EQ(sl_frame_encode(SL_FRAME_DATA, p, 3, out, sizeof out, &len), 0);
  const uint8_t expected[8] = {0, 0, 0, 4, 1, 0xaa, 0xbb, 0xcc};
  CHECK_EQ(len, 8);
  CHECK_MEM(out, expected, 8);
  CHECK_EQ(sl_frame_encode(0x7f, p, 3, out, sizeof out, &len), SL_EFRAME_TYPE);
  CHECK_EQ(sl_frame_encode(0x00, p, 3, out, sizeof out, &len), SL_EFRAME_TYPE);
  CHECK_EQ(sl_frame_encode(SL_FRAME_ACK, p, 3, out, 7, &len), SL_EBUFSIZE);
  CHECK_EQ(sl_frame_encode(SL_FRAME_PING, NULL, 0, out, 5, &len), 0);
  CHECK_EQ(len, 5);
  CHECK(sl_frame_type_known(SL_FRAME_TIP_META));
  CHECK(!sl_frame_type_known(0x0a));
  CHECK(!sl_frame_type_known(0x61));
}

/* Builds a stream of frames with varied sizes (including 0). */
static size_t build_stream(uint8_t *buf, size_t count) {
  static const unsigned types[] = {0x01, 0x02, 0x05, 0x09, 0x21, 0x35, 0x44, 0x54, 0x60};
  size_t pos = 0;
  for (size_t i = 0; i < count; i++) {
    uint8_t payload[300];
    size_t n = (i * 37) % sizeof payload;
    for (size_t j = 0; j < n; j++)
      payload[j] = (uint8_t)(i + j);
    pos += encode(types[i % 9], payload, n, buf + pos);
  }
  return pos;
}

/* Decodes buf fed in chunks of `step` bytes; checks every frame. */
static void decode_in_chunks(const uint8_t *buf, size_t len, size_t step, size_t count) {
  sl_frame_decoder *dec = NULL;
  CHECK_EQ(sl_frame_decoder_new(&dec, 0), 0);
  size_t seen = 0, pos = 0;
  int ok = 1;
  while (pos < len) {
    size_t chunk = len - pos < step ? len - pos : step, off = 0;
    while (off < chunk) {
      size_t used = 0;
      sl_frame f;
      int rc = sl_frame_decoder_push(dec, buf + pos + off, chunk - off, &used, &f);
      off += used;
      if (rc < 0) ok = 0;
      if (rc != 1) break;
      size_t n = (seen * 37) % 300;
      if (f.len != n) ok = 0;
      for (size_t j = 0; j < n && ok; j++)
        if (f.payload[j] != (uint8_t)(seen + j)) ok = 0;
      seen++;
    }
    pos += chunk;
  }
  CHECK(ok);
  CHECK_EQ(seen, count);
  CHECK_EQ(sl_frame_decoder_buffered(dec), 0);
  sl_frame_decoder_free(dec);
}

static void test_chunking(void) {
  static uint8_t buf[64 * 1024];
  size_t len = build_stream(buf, 120);
  for (size_t step = 1; step <= 40; step++)
    decode_in_chunks(buf, len, step, 120);
  decode_in_chunks(buf, len, 1000, 120);
  decode_in_chunks(buf, len, len, 120);
}

static int push_all(sl_frame_decoder *dec, const uint8_t *d, size_t n, int *frames) {
  size_t pos = 0;
  *frames = 0;
  while (pos < n) {
    size_t used = 0;
    sl_frame f;
    int rc = sl_frame_decoder_push(dec, d + pos, n - pos, &used, &f);
    pos += used;
    if (rc < 0) return rc;
    if (rc == 0) break;
    (*frames)++;
  }
  return 0;
}

static void test_errors(void) {
  sl_frame_decoder *dec = NULL;
  int frames;
  CHECK_EQ(sl_frame_decoder_new(&dec, 16), 0);
  const uint8_t empty[5] = {0, 0, 0, 0, 1};
  CHECK_EQ(push_all(dec, empty, 5, &frames), SL_EFRAME_EMPTY);
  CHECK_EQ(push_all(dec, empty, 5, &frames), SL_EFRAME_FAILED); /* sticky */
  sl_frame_decoder_free(dec);

  CHECK_EQ(sl_frame_decoder_new(&dec, 16), 0);
  const uint8_t big[5] = {0, 0, 0, 18, 1}; /* 17-byte payload > cap 16 */
  CHECK_EQ(push_all(dec, big, 5, &frames), SL_EFRAME_TOO_LARGE);
  CHECK_EQ(sl_frame_decoder_buffered(dec), 0);
  sl_frame_decoder_free(dec);

  /* The length is checked from the header alone, before any body byte. */
  CHECK_EQ(sl_frame_decoder_new(&dec, 0), 0);
  const uint8_t huge[5] = {0xff, 0xff, 0xff, 0xff, 1};
  size_t used;
  sl_frame f;
  CHECK_EQ(sl_frame_decoder_push(dec, huge, 3, &used, &f), 0);
  CHECK_EQ(sl_frame_decoder_push(dec, huge + 3, 2, &used, &f), SL_EFRAME_TOO_LARGE);
  sl_frame_decoder_free(dec);

  CHECK_EQ(sl_frame_decoder_new(&dec, 0), 0);
  const uint8_t unknown[6] = {0, 0, 0, 2, 0x7e, 0};
  CHECK_EQ(push_all(dec, unknown, 6, &frames), SL_EFRAME_TYPE);
  sl_frame_decoder_free(dec);

  CHECK_EQ(sl_frame_decoder_new(&dec, SL_FRAME_ABSOLUTE_MAX_PAYLOAD + 1), SL_EINVAL);
  CHECK(dec == NULL);
}

static void test_cap_boundary(void) {
  static uint8_t buf[2 * (SL_FRAME_DEFAULT_MAX_PAYLOAD + 5)],
      payload[SL_FRAME_DEFAULT_MAX_PAYLOAD + 1];
  sl_frame_decoder *dec = NULL;
  int frames;
  size_t len = 0;
  CHECK_EQ(sl_frame_encode(SL_FRAME_FILE_CHUNK, payload, SL_FRAME_DEFAULT_MAX_PAYLOAD, buf,
                           sizeof buf, &len),
           0);
  CHECK_EQ(sl_frame_decoder_new(&dec, 0), 0);
  CHECK_EQ(push_all(dec, buf, len, &frames), 0);
  CHECK_EQ(frames, 1);
  sl_frame_decoder_free(dec);
  CHECK_EQ(sl_frame_encode(SL_FRAME_FILE_CHUNK, payload, SL_FRAME_DEFAULT_MAX_PAYLOAD + 1, buf,
                           sizeof buf, &len),
           0);
  CHECK_EQ(sl_frame_decoder_new(&dec, 0), 0);
  CHECK_EQ(push_all(dec, buf, len, &frames), SL_EFRAME_TOO_LARGE);
  sl_frame_decoder_free(dec);
}

/* Buffering never exceeds one frame however the bytes arrive. */
static void test_bounded_buffer(void) {
  static uint8_t buf[4 * 1029];
  sl_frame_decoder *dec = NULL;
  uint8_t payload[1024] = {0};
  size_t len = 0, total = 0;
  for (int i = 0; i < 4; i++) {
    CHECK_EQ(sl_frame_encode(SL_FRAME_DATA, payload, sizeof payload, buf + total,
                             sizeof buf - total, &len),
             0);
    total += len;
  }
  CHECK_EQ(sl_frame_decoder_new(&dec, 1024), 0);
  size_t max_buffered = 0;
  for (size_t pos = 0; pos < total; pos++) {
    size_t used;
    sl_frame f;
    CHECK(sl_frame_decoder_push(dec, buf + pos, 1, &used, &f) >= 0);
    if (sl_frame_decoder_buffered(dec) > max_buffered)
      max_buffered = sl_frame_decoder_buffered(dec);
  }
  CHECK(max_buffered <= 1024 + 5);
  sl_frame_decoder_free(dec);
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_encode();
  test_chunking();
  test_errors();
  test_cap_boundary();
  test_bounded_buffer();
  return check_summary("frame");
}
