/*  selftest.h - check macro for the *_test self-tests in common/
 *
 *  Counts instead of asserting, so the self-tests still check when the build
 *  defines NDEBUG, and one failure does not hide the next.
 */
#ifndef NPO_SELFTEST_H
#define NPO_SELFTEST_H

#include <stdio.h>
#include <stdbool.h>

extern int npo_selftest_failed;   /* defined in common/selftest.c */
extern int npo_selftest_passed;

#define SELFTEST_CHECK(cond) do { \
    if (cond) \
        npo_selftest_passed++; \
    else { \
        npo_selftest_failed++; \
        fprintf (stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    } \
} while (0)

#endif
