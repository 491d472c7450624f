/*  selftest.c - the counters the self-tests (SELFTEST_CHECK) add to
 */
#include "selftest.h"

int npo_selftest_failed = 0;
int npo_selftest_passed = 0;
