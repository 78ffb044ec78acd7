/* span.h - a borrowed view of bytes: pointer plus length, never owned. */
#ifndef KF_SPAN_H
#define KF_SPAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct kf_span {
	const uint8_t *p;
	size_t n;
};

static inline struct kf_span kf_span_make(const void *p, size_t n)
{
	struct kf_span s = { (const uint8_t *)p, n };
	return s;
}

static inline int kf_span_eq_str(struct kf_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

#endif
