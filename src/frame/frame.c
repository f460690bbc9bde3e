/* frame.c — [u32 BE length][u8 type][payload] encoder and streaming decoder.
 *
 * The decoder never trusts a length before checking it: the 5-byte header
 * is assembled first (it may arrive split across chunks), its type and
 * length are validated, and only then is a buffer of exactly that size
 * allocated. When a whole frame sits in the caller's chunk and nothing is
 * buffered, the payload is returned in place without copying. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int sl_frame_type_known(unsigned type) {
  if (type >= SL_FRAME_DATA && type <= SL_FRAME_BATCH) return 1;
  if (type == SL_FRAME_GOSSIP || type == SL_FRAME_SIGNAL) return 1;
  if (type >= SL_FRAME_ORDER_CREATE && type <= SL_FRAME_ORDERBOOK_SYNC) return 1;
  if (type >= SL_FRAME_TRADE_PROPOSE && type <= SL_FRAME_TRADE_SIGNATURE) return 1;
  if (type >= SL_FRAME_PSBT_CREATE && type <= SL_FRAME_PSBT_BROADCAST) return 1;
  return type == SL_FRAME_TIP_META;
}

int sl_frame_encode(unsigned type, const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                    size_t *out_len) {
  if (!out || !out_len || (!payload && len)) return SL_EINVAL;
  if (!sl_frame_type_known(type)) return SL_EFRAME_TYPE;
  if (len > SL_FRAME_ABSOLUTE_MAX_PAYLOAD) return SL_EFRAME_TOO_LARGE;
  if (cap < SL_FRAME_HEADER_BYTES || cap - SL_FRAME_HEADER_BYTES < len) return SL_EBUFSIZE;
  sl__put_u32be(out, (uint32_t)len + 1);
  out[4] = (uint8_t)type;
  /* memmove: the wasm glue places the payload at out + 5 to save a copy. */
  if (len) memmove(out + SL_FRAME_HEADER_BYTES, payload, len);
  *out_len = SL_FRAME_HEADER_BYTES + len;
  return 0;
}

struct sl_frame_decoder {
  size_t max_payload;
  uint8_t header[SL_FRAME_HEADER_BYTES];
  size_t header_have; /* 0..5 */
  uint8_t *body;      /* payload being assembled; exactly body_need bytes */
  size_t body_need, body_have;
  int error; /* sticky once the stream has lost its framing */
};

int sl_frame_decoder_new(sl_frame_decoder **out, size_t max_payload) {
  if (!out) return SL_EINVAL;
  *out = NULL;
  if (max_payload == 0) max_payload = SL_FRAME_DEFAULT_MAX_PAYLOAD;
  if (max_payload > SL_FRAME_ABSOLUTE_MAX_PAYLOAD) return SL_EINVAL;
  sl_frame_decoder *dec = calloc(1, sizeof *dec);
  if (!dec) return SL_ENOMEM;
  dec->max_payload = max_payload;
  *out = dec;
  return 0;
}

void sl_frame_decoder_free(sl_frame_decoder *dec) {
  if (!dec) return;
  free(dec->body);
  free(dec);
}

size_t sl_frame_decoder_buffered(const sl_frame_decoder *dec) {
  /* A delivered frame's body lingers until the next push; it is not "held". */
  return dec->header_have == SL_FRAME_HEADER_BYTES ? SL_FRAME_HEADER_BYTES + dec->body_have
                                                   : dec->header_have;
}

static int fail(sl_frame_decoder *dec, int code) {
  dec->error = code;
  free(dec->body);
  dec->body = NULL;
  dec->header_have = dec->body_have = dec->body_need = 0;
  return code;
}

/* Validates a complete header; returns payload length or a negative code. */
static long check_header(const sl_frame_decoder *dec, const uint8_t *h) {
  uint32_t length = sl__get_u32be(h);
  if (length == 0) return SL_EFRAME_EMPTY;
  if (length - 1 > dec->max_payload) return SL_EFRAME_TOO_LARGE;
  if (!sl_frame_type_known(h[4])) return SL_EFRAME_TYPE;
  return (long)(length - 1);
}

static void emit(sl_frame_decoder *dec, uint8_t type, const uint8_t *payload, size_t len,
                 sl_frame *frame) {
  frame->type = type;
  frame->payload = payload;
  frame->len = len;
  dec->header_have = 0;
}

int sl_frame_decoder_push(sl_frame_decoder *dec, const uint8_t *data, size_t len, size_t *consumed,
                          sl_frame *frame) {
  if (!dec || !consumed || !frame || (!data && len)) return SL_EINVAL;
  *consumed = 0;
  if (dec->error) return SL_EFRAME_FAILED;

  /* Previous call returned a buffered frame: release it now. */
  if (dec->body && dec->body_have == dec->body_need && dec->header_have == 0) {
    free(dec->body);
    dec->body = NULL;
    dec->body_have = dec->body_need = 0;
  }

  size_t pos = 0;
  if (dec->header_have < SL_FRAME_HEADER_BYTES) {
    /* Fast path: a whole frame inside this chunk with nothing buffered. */
    if (dec->header_have == 0 && len >= SL_FRAME_HEADER_BYTES) {
      long plen = check_header(dec, data);
      if (plen < 0) return fail(dec, (int)plen);
      if (len - SL_FRAME_HEADER_BYTES >= (size_t)plen) {
        *consumed = SL_FRAME_HEADER_BYTES + (size_t)plen;
        emit(dec, data[4], data + SL_FRAME_HEADER_BYTES, (size_t)plen, frame);
        return 1;
      }
    }
    size_t take = SL_FRAME_HEADER_BYTES - dec->header_have;
    if (take > len) take = len;
    if (take) memcpy(dec->header + dec->header_have, data, take);
    dec->header_have += take;
    pos = take;
    if (dec->header_have < SL_FRAME_HEADER_BYTES) {
      *consumed = pos;
      return 0;
    }
    long plen = check_header(dec, dec->header);
    if (plen < 0) {
      *consumed = pos;
      return fail(dec, (int)plen);
    }
    dec->body_need = (size_t)plen;
    dec->body_have = 0;
    if (plen > 0) {
      dec->body = malloc((size_t)plen);
      if (!dec->body) {
        *consumed = pos;
        return fail(dec, SL_ENOMEM);
      }
    }
  }

  size_t take = dec->body_need - dec->body_have;
  if (take > len - pos) take = len - pos;
  if (take) memcpy(dec->body + dec->body_have, data + pos, take);
  dec->body_have += take;
  pos += take;
  *consumed = pos;
  if (dec->body_have < dec->body_need) return 0;
  /* The body stays allocated until the next call so the frame can point at it. */
  emit(dec, dec->header[4], dec->body ? dec->body : dec->header, dec->body_need, frame);
  return 1;
}
