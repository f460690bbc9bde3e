/* numbers.c — the browser module's own sprintf, sscanf and strtod, for the
 * one user they have there: cJSON's number printing (LLVM turns its
 * sprintf calls into siprintf and __small_sprintf, musl's names for
 * printf without long double) ("%d", "%1.15g",
 * "%1.17g", then "%lg" to check the round trip) and parsing. Linked into
 * dist/starling_core.wasm only (the hub and the tests keep musl's): musl's
 * versions bring its long-double float formatting and scanning, about
 * 8 KB gzipped, for numbers that in signaling are small integers.
 *
 * Integers up to 2^53 and decimals with up to 19 significant digits and
 * exponents within ±22 parse exactly (the classic exact fast path); other
 * values are within a few ulps. Printing writes integers exactly and other
 * values with the requested significant digits. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int siprintf(char *restrict out, const char *restrict fmt, ...);
int __small_sprintf(char *restrict out, const char *restrict fmt, ...);
int sscanf(const char *restrict s, const char *restrict fmt, ...);

static const double exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double scale(double m, int e) {
  while (e > 22) {
    m *= 1e22;
    e -= 22;
  }
  while (e < -22) {
    m /= 1e22;
    e += 22;
  }
  return e >= 0 ? m * exact[e] : m / exact[-e];
}

/* strtod's end pointer points into its const input: C's own signature. */
static char *unconst(const char *p) {
  char *q;
  memcpy(&q, &p, sizeof q);
  return q;
}

double strtod(const char *restrict s, char **restrict end) {
  const char *p = s;
  bool neg = *p == '-';
  if (*p == '-' || *p == '+') p++;
  uint64_t m = 0;
  int e = 0, digits = 0;
  const char *start = p;
  for (; *p >= '0' && *p <= '9'; p++, digits++)
    if (m < 1000000000000000000ull)
      m = m * 10 + (uint64_t)(*p - '0');
    else
      e++; /* digits past 19 only scale */
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++, digits++)
      if (m < 1000000000000000000ull) {
        m = m * 10 + (uint64_t)(*p - '0');
        e--;
      }
  }
  if (!digits) {
    if (end) *end = unconst(s);
    return 0;
  }
  if ((*p == 'e' || *p == 'E') && p > start) {
    const char *q = p + 1;
    bool eneg = *q == '-';
    if (*q == '-' || *q == '+') q++;
    if (*q >= '0' && *q <= '9') {
      int x = 0;
      for (; *q >= '0' && *q <= '9'; q++)
        if (x < 10000) x = x * 10 + (*q - '0');
      e += eneg ? -x : x;
      p = q;
    }
  }
  if (end) *end = unconst(p);
  double v = scale((double)m, e);
  return neg ? -v : v;
}

/* d with `digits` significant digits: plain for integers below 1e17,
 * d.ddde±x otherwise. */
static int format_g(char *out, double d, int digits) {
  char *o = out;
  if (d < 0) {
    *o++ = '-';
    d = -d;
  }
  if (d == 0 || (d == floor(d) && d < 1e17)) {
    uint64_t v = (uint64_t)d;
    char t[20];
    int n = 0;
    do
      t[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
      *o++ = t[--n];
    *o = 0;
    return (int)(o - out);
  }
  int e = (int)floor(log10(d));
  double m = scale(d, -e); /* m in [1, 10) up to rounding */
  if (m >= 10) {
    m /= 10;
    e++;
  } else if (m < 1) {
    m *= 10;
    e--;
  }
  uint64_t sig = (uint64_t)(m * exact[digits - 1] + 0.5); /* digits <= 17 */
  if (sig >= (uint64_t)exact[digits]) {
    sig /= 10;
    e++;
  }
  char t[20];
  int n = 0;
  for (int k = 0; k < digits; k++, sig /= 10)
    t[n++] = (char)('0' + sig % 10);
  int keep = n; /* drop trailing zeros of the fraction */
  while (keep > 1 && t[n - keep] == '0')
    keep--;
  *o++ = t[n - 1];
  if (keep > 1) *o++ = '.';
  for (int k = n - 2; k >= n - keep; k--)
    *o++ = t[k];
  *o++ = 'e';
  *o++ = e < 0 ? '-' : '+';
  int ae = e < 0 ? -e : e;
  if (ae >= 100) *o++ = (char)('0' + ae / 100);
  if (ae >= 10) *o++ = (char)('0' + ae / 10 % 10);
  *o++ = (char)('0' + ae % 10);
  *o = 0;
  return (int)(o - out);
}

static int format(char *out, const char *fmt, va_list ap) {
  int n;
  if (!strcmp(fmt, "%d")) {
    int v = va_arg(ap, int);
    n = format_g(out, (double)v, 17);
  } else if (!strcmp(fmt, "%1.15g") || !strcmp(fmt, "%1.17g")) {
    double d = va_arg(ap, double);
    n = isfinite(d) ? format_g(out, d, fmt[4] == '5' ? 15 : 17) : 0;
    if (!isfinite(d)) out[0] = 0;
  } else if (!strchr(fmt, '%')) {
    n = (int)strlen(fmt);
    memcpy(out, fmt, (size_t)n + 1);
  } else {
    out[0] = 0; /* a format nothing in the module uses */
    n = -1;
  }
  return n;
}

int siprintf(char *restrict out, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = format(out, fmt, ap);
  va_end(ap);
  return n;
}

int __small_sprintf(char *restrict out, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = format(out, fmt, ap);
  va_end(ap);
  return n;
}

int sscanf(const char *restrict s, const char *restrict fmt, ...) {
  if (strcmp(fmt, "%lg")) return 0;
  va_list ap;
  va_start(ap, fmt);
  double *d = va_arg(ap, double *);
  char *end;
  *d = strtod(s, &end);
  va_end(ap);
  return end != s;
}
