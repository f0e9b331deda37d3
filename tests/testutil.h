/* testutil.h: helpers shared by the cmocka test binaries. */
#ifndef WD_TESTUTIL_H
#define WD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* cmocka has no floating-point equality: |a-b| <= atol + rtol*max(|a|,|b|). */
#define assert_close(a, b, rtol, atol) \
    wd_assert_close_impl((a), (b), (rtol), (atol), #a, #b, __FILE__, __LINE__)
void wd_assert_close_impl(double a, double b, double rtol, double atol, const char *ea,
                          const char *eb, const char *file, int line);

/* Directory of the conformance suite: $WANDEL_SD_TEST_MODELS or
 * ../shared/sd-test-models; NULL (with a line saying so on stdout) when it is
 * absent, so that a test can skip. */
const char *wd_test_suite_dir(void);

/* Writes text to a fresh temporary file with the given suffix; returns its
 * path (static storage per call slot, up to 8 live paths). */
const char *wd_test_tmpfile(const char *suffix, const char *text);

/* Asserts that haystack contains needle, printing both when it does not. */
#define assert_contains(haystack, needle) \
    wd_assert_contains_impl((haystack), (needle), __FILE__, __LINE__)
void wd_assert_contains_impl(const char *haystack, const char *needle, const char *file,
                             int line);

#endif
