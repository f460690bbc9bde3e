/* test_numbers.c — the browser module's number printing and parsing for
 * cJSON (src/wasm/numbers.c), built natively under other names: integers
 * exact both ways, decimals on the exact fast path exact (far exponents
 * within a few ulps), every printed
 * value valid JSON that parses back within an ulp or two. */
#define strtod numbers_strtod
#define sscanf numbers_sscanf
#define siprintf numbers_siprintf
#define __small_sprintf numbers_small_sprintf
#include "../../src/wasm/numbers.c"

#include "check.h"

#include <float.h>

static double parse(const char *s, size_t *used) {
  char *end;
  double d = numbers_strtod(s, &end);
  *used = (size_t)(end - s);
  return d;
}

static void test_parse(void) {
  size_t n;
  CHECK(parse("0", &n) == 0 && n == 1);
  CHECK(parse("-12,", &n) == -12 && n == 3);
  CHECK(parse("9007199254740992", &n) == 9007199254740992.0);
  CHECK(parse("1.5", &n) == 1.5);
  CHECK(parse("123.456e-2", &n) == 1.23456 && n == 10);
  CHECK(parse("1e22", &n) == 1e22);
  CHECK(parse("2.5E+3", &n) == 2500);
  CHECK(parse("1e", &n) == 1 && n == 1); /* an exponent without digits is not part of it */
  CHECK(parse("x", &n) == 0 && n == 0);
  CHECK(parse("-", &n) == 0 && n == 0);
  CHECK(isinf(parse("1e400", &n)));
  CHECK(parse("1e-400", &n) == 0);
  double d;
  CHECK_EQ(numbers_sscanf("42.25", "%lg", &d), 1);
  CHECK(d == 42.25);
  CHECK_EQ(numbers_sscanf("nope", "%lg", &d), 0);
}

static void round_trip(double d, int digits) {
  char buf[64];
  numbers_siprintf(buf, digits == 15 ? "%1.15g" : "%1.17g", d);
  size_t n;
  double back = parse(buf, &n);
  CHECK_EQ(n, strlen(buf));
  double err = fabs(back - d), tol = fabs(d) * 4 * DBL_EPSILON * (digits == 15 ? 100 : 1);
  if (err > tol) fprintf(stderr, "%.17g printed as %s\n", d, buf);
  CHECK(err <= tol);
}

static void test_print(void) {
  char buf[64];
  CHECK_EQ(numbers_siprintf(buf, "%d", -2147483647 - 1), 11);
  CHECK(!strcmp(buf, "-2147483648"));
  numbers_small_sprintf(buf, "%1.15g", 1234567.0);
  CHECK(!strcmp(buf, "1234567"));
  numbers_small_sprintf(buf, "%1.15g", 0.1);
  CHECK(!strcmp(buf, "1e-1"));
  numbers_small_sprintf(buf, "%1.15g", -2.5e-300); /* far exponents: within a few ulps */
  CHECK(!strcmp(buf, "-2.5e-300"));
  numbers_small_sprintf(buf, "%1.17g", 6.25e-5);
  CHECK(!strcmp(buf, "6.25e-5"));
  numbers_siprintf(buf, "null");
  CHECK(!strcmp(buf, "null"));
  CHECK_EQ(numbers_siprintf(buf, "%s", "x"), -1);
  double v[] = {0.1,           1.0 / 3,       3.14159,   6.02214076e23, 1.7976931348623157e308,
                5e-324 * 1e10, 123456789.125, -0.000123, 1e21,          4503599627370497.5};
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
    round_trip(v[k], 15);
    round_trip(v[k], 17);
  }
}

int main(void) {
  test_parse();
  test_print();
  return check_summary("numbers");
}
