/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void wd_assert_close_impl(double a, double b, double rtol, double atol, const char *ea,
                          const char *eb, const char *file, int line)
{
    double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    if (!(fabs(a - b) <= atol + rtol * scale))
        {
            print_error("%s = %.17g and %s = %.17g differ by %.3g (rtol %g, atol %g)\n", ea, a,
                           eb, b, fabs(a - b), rtol, atol);
            _fail(file, line);
        }
}

const char *wd_test_suite_dir(void)
{
    const char *dir = getenv("WANDEL_SD_TEST_MODELS");
    if (!dir || !*dir)
        dir = "../shared/sd-test-models";
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("conformance suite not found at %s (set WANDEL_SD_TEST_MODELS); skipping\n", dir);
        return NULL;
    }
    return dir;
}

const char *wd_test_tmpfile(const char *suffix, const char *text)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    const char *tmp = getenv("TMPDIR");
    snprintf(p, 256, "%s/wandel-test-XXXXXX%s", tmp && *tmp ? tmp : "/tmp", suffix);
    int fd = mkstemps(p, (int)strlen(suffix));
    if (fd < 0)
        return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return p;
}

void wd_assert_contains_impl(const char *haystack, const char *needle, const char *file, int line)
{
    if (!haystack || !strstr(haystack, needle)) {
        print_error("expected to find \"%s\" in:\n%s\n", needle, haystack ? haystack : "(null)");
        _fail(file, line);
    }
}
