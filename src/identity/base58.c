/* base58.c — base58btc (Bitcoin alphabet) for peer ids. Inputs are tiny
 * (38 bytes), so schoolbook conversion is enough; decoding works in 32-bit
 * limbs because the hub runs it per message. */
#include "internal.h"

#include <string.h>

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
#define SL__B58_MAX_IN 128 /* bytes; peer ids are 38 */

int sl__base58_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  if (len > SL__B58_MAX_IN) return SL_EINVAL;
  uint8_t digits[SL__B58_MAX_IN * 138 / 100 + 1]; /* log(256)/log(58) < 1.38 */
  size_t ndigits = 0, zeros = 0;
  while (zeros < len && in[zeros] == 0)
    zeros++;
  for (size_t i = zeros; i < len; i++) {
    unsigned carry = in[i];
    for (size_t j = 0; j < ndigits; j++) {
      carry += (unsigned)digits[j] << 8;
      digits[j] = (uint8_t)(carry % 58);
      carry /= 58;
    }
    while (carry) {
      digits[ndigits++] = (uint8_t)(carry % 58);
      carry /= 58;
    }
  }
  size_t total = zeros + ndigits;
  if (total > cap) return SL_EBUFSIZE;
  memset(out, '1', zeros);
  for (size_t i = 0; i < ndigits; i++)
    out[zeros + i] = alphabet[digits[ndigits - 1 - i]];
  return (int)total;
}

/* The alphabet's value of one character, or -1 (no table walk: decoding
 * peer ids is on the hub's per-message path). */
static int digit_value(char ch) {
  int c = (unsigned char)ch;
  if (c >= '1' && c <= '9') return c - '1';
  if (c >= 'A' && c <= 'H') return c - 'A' + 9;
  if (c >= 'J' && c <= 'N') return c - 'J' + 17;
  if (c >= 'P' && c <= 'Z') return c - 'P' + 22;
  if (c >= 'a' && c <= 'k') return c - 'a' + 33;
  if (c >= 'm' && c <= 'z') return c - 'm' + 44;
  return -1;
}

/* Digits are taken five at a time (58^5 < 2^32) into little-endian 32-bit
 * limbs: a fifth of the passes of a digit-at-a-time conversion, which
 * matters because the hub checks the peer id of every message it routes. */
int sl__base58_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  if (len > SL__B58_MAX_IN * 2) return SL_EPEERID;
  uint32_t limbs[SL__B58_MAX_IN * 2 / 4 + 1]; /* 256 digits < 1500 bits */
  size_t nlimbs = 0, zeros = 0;
  while (zeros < len && in[zeros] == '1')
    zeros++;
  for (size_t i = zeros; i < len;) {
    uint32_t group = 0, scale = 1;
    for (int k = 0; k < 5 && i < len; k++, i++) {
      int v = digit_value(in[i]);
      if (v < 0) return SL_EPEERID;
      group = group * 58 + (uint32_t)v;
      scale *= 58;
    }
    uint64_t carry = group;
    for (size_t j = 0; j < nlimbs; j++) {
      carry += (uint64_t)limbs[j] * scale;
      limbs[j] = (uint32_t)carry;
      carry >>= 32;
    }
    if (carry) limbs[nlimbs++] = (uint32_t)carry; /* < 2^32: one limb at most */
  }
  size_t nbytes = nlimbs * 4;
  /* nbytes is 0 when no limb was written, so no unset limb is read. */
  // cppcheck-suppress uninitvar
  while (nbytes && !(limbs[(nbytes - 1) / 4] >> (8 * ((nbytes - 1) % 4)) & 0xff))
    nbytes--;
  size_t total = zeros + nbytes;
  if (total > cap) return SL_EBUFSIZE;
  memset(out, 0, zeros);
  for (size_t i = 0; i < nbytes; i++) {
    size_t b = nbytes - 1 - i; /* byte index from the least significant end */
    out[zeros + i] = (uint8_t)(limbs[b / 4] >> (8 * (b % 4)));
  }
  return (int)total;
}
