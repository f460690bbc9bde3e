/* base58.c — base58btc (Bitcoin alphabet) for peer ids. Inputs are tiny
 * (38 bytes), so the quadratic schoolbook conversion is the simple choice. */
#include "internal.h"

#include <string.h>

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
#define SL__B58_MAX_IN 128 /* bytes; peer ids are 38 */

int sl__base58_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  if (len > SL__B58_MAX_IN) return SL_EINVAL;
  uint8_t digits[SL__B58_MAX_IN * 138 / 100 + 1]; /* log(256)/log(58) < 1.38 */
  size_t ndigits = 0, zeros = 0;
  while (zeros < len && in[zeros] == 0) zeros++;
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
  for (size_t i = 0; i < ndigits; i++) out[zeros + i] = alphabet[digits[ndigits - 1 - i]];
  return (int)total;
}

static int digit_value(char c) {
  const char *p = c ? strchr(alphabet, c) : NULL;
  return p ? (int)(p - alphabet) : -1;
}

int sl__base58_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  if (len > SL__B58_MAX_IN * 2) return SL_EPEERID;
  uint8_t bytes[SL__B58_MAX_IN * 2];
  size_t nbytes = 0, zeros = 0;
  while (zeros < len && in[zeros] == '1') zeros++;
  for (size_t i = zeros; i < len; i++) {
    int v = digit_value(in[i]);
    if (v < 0) return SL_EPEERID;
    unsigned carry = (unsigned)v;
    for (size_t j = 0; j < nbytes; j++) {
      carry += (unsigned)bytes[j] * 58;
      bytes[j] = (uint8_t)carry;
      carry >>= 8;
    }
    while (carry) {
      bytes[nbytes++] = (uint8_t)carry;
      carry >>= 8;
    }
  }
  size_t total = zeros + nbytes;
  if (total > cap) return SL_EBUFSIZE;
  memset(out, 0, zeros);
  for (size_t i = 0; i < nbytes; i++) out[zeros + i] = bytes[nbytes - 1 - i];
  return (int)total;
}
