/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Minimal assertion helpers for the plain-C firmware tests (CTest label unit). */
#ifndef PRU_TEST_H
#define PRU_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pru_test_failures;
static int pru_test_checks;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		pru_test_checks++;                                                   \
		if (!(cond)) {                                                       \
			pru_test_failures++;                                         \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,       \
				__LINE__, #cond);                                    \
		}                                                                    \
	} while (0)

#define CHECK_EQ(a, b)                                                               \
	do {                                                                         \
		long long va_ = (long long)(a), vb_ = (long long)(b);                \
		pru_test_checks++;                                                   \
		if (va_ != vb_) {                                                    \
			pru_test_failures++;                                         \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n",    \
				__FILE__, __LINE__, #a, #b, va_, vb_);               \
		}                                                                    \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
	do {                                                                         \
		long long va_ = (long long)(a), vb_ = (long long)(b);                \
		long long d_ = va_ > vb_ ? va_ - vb_ : vb_ - va_;                    \
		pru_test_checks++;                                                   \
		if (d_ > (long long)(tol)) {                                         \
			pru_test_failures++;                                         \
			fprintf(stderr, "%s:%d: |%s - %s| <= %s failed: %lld vs %lld\n", \
				__FILE__, __LINE__, #a, #b, #tol, va_, vb_);         \
		}                                                                    \
	} while (0)

#define RUN(test)                                                                    \
	do {                                                                         \
		int before_ = pru_test_failures;                                     \
		test();                                                              \
		printf("%s %s\n", pru_test_failures == before_ ? "PASS" : "FAIL", #test); \
	} while (0)

static inline int pru_test_done(void)
{
	printf("%d checks, %d failures\n", pru_test_checks, pru_test_failures);
	return pru_test_failures ? 1 : 0;
}

#endif
