/* fuzz.h - what every fuzz target shares (STYLE.md 21c, 22).
 *
 * Each tests/fuzz/fuzz_<t>.c defines LLVMFuzzerTestOneInput.  Built with
 * KRBFLOW_FUZZ=ON (clang) it links libFuzzer as fuzz_<t>; always it links
 * replay_main.c as replay_<t>, which CTest runs over the committed corpus.
 *
 * FUZZ_CHECK states a property the decoder promises (a span stays inside the
 * input, a string is NUL-terminated within its array, a count within its
 * cap): when it does not hold the input is a finding, so the target aborts
 * and libFuzzer keeps it as a crash.
 */
#ifndef KF_FUZZ_H
#define KF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);        \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

/* A non-empty span lies inside [base, base + n). */
static inline int fuzz_span_inside(struct kf_span s, const uint8_t *base, size_t n)
{
	if (s.n == 0)
		return 1;
	if (!s.p || !base)
		return 0;
	uintptr_t p = (uintptr_t)s.p, b = (uintptr_t)base;
	return p >= b && p - b <= n && s.n <= n - (p - b);
}

/* A fixed-size char array holds a NUL-terminated string. */
#define FUZZ_CSTR(arr) FUZZ_CHECK(memchr((arr), '\0', sizeof(arr)) != NULL)

/* Touch every byte of a span so ASan sees a read of it. */
static inline unsigned fuzz_touch(struct kf_span s)
{
	unsigned x = 0;
	for (size_t i = 0; i < s.n; i++)
		x += s.p[i];
	return x;
}

#endif
