/* fuzz_psbt.c — PSBTs from the network. Whatever the bytes, parsing
 * returns a code and never reads past the input; a PSBT that parses has
 * the version it says, inputs and outputs that can all be read, scripts
 * inside the parsed copy, and parses again from the same bytes; combined
 * with itself it gives a PSBT that parses to the same shape. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sl_psbt *p = NULL;
  if (sl_psbt_parse(data, size, &p) != 0) return 0;
  int v = sl_psbt_version(p);
  if (v != 0 && v != 2) abort();
  uint64_t sum = 0;
  for (size_t k = 0; k < sl_psbt_input_count(p); k++)
    sum += sl_psbt_input_at(p, k)->prev_index;
  for (size_t k = 0; k < sl_psbt_output_count(p); k++) {
    const sl_psbt_output *o = sl_psbt_output_at(p, k);
    if (o->script_len > size) abort();
    for (size_t b = 0; b < o->script_len; b++)
      sum += o->script[b];
  }
  uint32_t lock;
  int rc = sl_psbt_locktime(p, &lock);
  if (rc != 0 && rc != SL_EPSBT_LOCKTIME) abort();
  sl_psbt *again = NULL;
  if (sl_psbt_parse(data, size, &again) != 0) abort();
  sl_psbt_free(again);
  uint8_t *both = NULL;
  size_t both_len = 0;
  if (sl_psbt_combine(data, size, data, size, &both, &both_len) != 0) abort();
  if (sl_psbt_parse(both, both_len, &again) != 0 || sl_psbt_version(again) != v ||
      sl_psbt_input_count(again) != sl_psbt_input_count(p) ||
      sl_psbt_output_count(again) != sl_psbt_output_count(p))
    abort();
  sl_psbt_free(again);
  free(both);
  sl_psbt_free(p);
  (void)sum;
  return 0;
}
