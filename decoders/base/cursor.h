/* cursor.h - bounds-checked reader over untrusted bytes with a sticky error.
 *
 * After the first failed read every reader returns 0 (or an empty span) and
 * the cursor stays failed; decoders check kf_cur_ok() once at the end instead
 * of after every field.  err_line holds the source line of the first failure,
 * which --debug-decode prints to make triage fast.
 */
#ifndef KF_CURSOR_H
#define KF_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

struct kf_cur {
	const uint8_t *p;
	size_t n;
	uint16_t err;      /* 0 while every read so far fitted */
	uint16_t err_line; /* __LINE__ of the first failure, for --debug-decode */
};

static inline struct kf_cur kf_cur_make(struct kf_span s)
{
	struct kf_cur c = { s.p, s.n, 0, 0 };
	return c;
}

static inline bool kf_cur_ok(const struct kf_cur *c) { return c->err == 0; }
static inline size_t kf_cur_left(const struct kf_cur *c) { return c->err ? 0 : c->n; }

#define kf_cur_fail(c) kf_cur_fail_at((c), __LINE__)
static inline void kf_cur_fail_at(struct kf_cur *c, int line)
{
	if (!c->err) {
		c->err = 1;
		c->err_line = (uint16_t)line;
	}
	c->n = 0;
}

/* True (and consumes nothing) when n more bytes are available. */
static inline bool kf_cur_has(const struct kf_cur *c, size_t n) { return !c->err && n <= c->n; }

static inline uint8_t kf_cur_u8(struct kf_cur *c)
{
	if (!kf_cur_has(c, 1)) {
		kf_cur_fail(c);
		return 0;
	}
	uint8_t v = c->p[0];
	c->p += 1;
	c->n -= 1;
	return v;
}

static inline uint16_t kf_cur_be16(struct kf_cur *c)
{
	if (!kf_cur_has(c, 2)) {
		kf_cur_fail(c);
		return 0;
	}
	uint16_t v = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	c->n -= 2;
	return v;
}

static inline uint32_t kf_cur_be32(struct kf_cur *c)
{
	if (!kf_cur_has(c, 4)) {
		kf_cur_fail(c);
		return 0;
	}
	uint32_t v =
		((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) | c->p[3];
	c->p += 4;
	c->n -= 4;
	return v;
}

static inline uint16_t kf_cur_le16(struct kf_cur *c)
{
	if (!kf_cur_has(c, 2)) {
		kf_cur_fail(c);
		return 0;
	}
	uint16_t v = (uint16_t)(c->p[0] | (c->p[1] << 8));
	c->p += 2;
	c->n -= 2;
	return v;
}

static inline uint32_t kf_cur_le32(struct kf_cur *c)
{
	if (!kf_cur_has(c, 4)) {
		kf_cur_fail(c);
		return 0;
	}
	uint32_t v = (uint32_t)c->p[0] | ((uint32_t)c->p[1] << 8) | ((uint32_t)c->p[2] << 16) |
		     ((uint32_t)c->p[3] << 24);
	c->p += 4;
	c->n -= 4;
	return v;
}

/* Borrow the next n bytes as a span (empty span on failure). */
static inline struct kf_span kf_cur_bytes(struct kf_cur *c, size_t n)
{
	struct kf_span s = { 0, 0 };
	if (!kf_cur_has(c, n)) {
		kf_cur_fail(c);
		return s;
	}
	s.p = c->p;
	s.n = n;
	c->p += n;
	c->n -= n;
	return s;
}

static inline void kf_cur_skip(struct kf_cur *c, size_t n) { (void)kf_cur_bytes(c, n); }

/* A sub-cursor over the next n bytes; the parent moves past them.  The child
 * cannot read beyond its own end (narrow before you descend). */
static inline struct kf_cur kf_cur_sub(struct kf_cur *c, size_t n) { return kf_cur_make(kf_cur_bytes(c, n)); }

/* The rest of the cursor as a span (consumes it). */
static inline struct kf_span kf_cur_rest(struct kf_cur *c) { return kf_cur_bytes(c, kf_cur_left(c)); }

/* Bytes [off, off+n) of base, written in the form that cannot overflow.
 * Returns false (out untouched) when the range does not fit. */
static inline bool kf_span_slice_at(struct kf_span base, size_t off, size_t n, struct kf_span *out)
{
	if (off > base.n || n > base.n - off)
		return false;
	out->p = base.p + off;
	out->n = n;
	return true;
}

#endif
