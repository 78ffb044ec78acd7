/* text.c - printable UTF-8 from UTF-16LE, Latin-1 or UTF-8 (see text.h). */
#include "text.h"

#include <stdint.h>
#include <string.h>

/* Append one code point as UTF-8 if it fits (with the NUL); printable only. */
static bool put_cp(char *buf, size_t cap, size_t *o, uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		cp = '?';
	uint8_t tmp[4];
	size_t n;
	if (cp < 0x80) {
		tmp[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (uint8_t)(0xc0 | (cp >> 6));
		tmp[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (uint8_t)(0xe0 | (cp >> 12));
		tmp[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (uint8_t)(0xf0 | (cp >> 18));
		tmp[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (n >= cap - *o) /* leave room for the NUL */
		return false;
	memcpy(buf + *o, tmp, n);
	*o += n;
	return true;
}

static size_t finish(char *buf, size_t o, bool stopped, bool *cut)
{
	buf[o] = '\0';
	if (cut)
		*cut = stopped;
	return o;
}

/* One character of an encoding: the code point at the start of p[0..n)
 * (n >= 1) in *cp, '?' when the bytes there are not one; returns the bytes
 * it took (at least 1). */
typedef size_t (*next_cp_fn)(const uint8_t *p, size_t n, uint32_t *cp);

/* s converted character by character; see text.h for cap and *cut. */
static size_t convert(struct kf_span s, char *buf, size_t cap, bool *cut, next_cp_fn next)
{
	if (cap == 0) {
		if (cut)
			*cut = s.n > 0;
		return 0;
	}
	size_t o = 0;
	size_t i = 0;
	while (i < s.n) {
		uint32_t cp;
		i += next(s.p + i, s.n - i, &cp);
		if (!put_cp(buf, cap, &o, cp))
			return finish(buf, o, true, cut);
	}
	return finish(buf, o, false, cut);
}

static size_t next_latin1(const uint8_t *p, size_t n, uint32_t *cp)
{
	(void)n;
	*cp = p[0];
	return 1;
}

static size_t next_utf16le(const uint8_t *p, size_t n, uint32_t *cp)
{
	if (n < 2) { /* odd trailing byte */
		*cp = '?';
		return n;
	}
	uint16_t u = (uint16_t)(p[0] | (p[1] << 8));
	*cp = u;
	if (u >= 0xd800 && u <= 0xdbff) {
		uint16_t lo = n >= 4 ? (uint16_t)(p[2] | (p[3] << 8)) : 0;
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			*cp = 0x10000u + (((uint32_t)u - 0xd800u) << 10) + (lo - 0xdc00u);
			return 4;
		}
		*cp = '?';
	} else if (u >= 0xdc00 && u <= 0xdfff) {
		*cp = '?';
	}
	return 2;
}

/* A well-formed UTF-8 sequence (RFC 3629), or '?' for its first byte. */
static size_t next_utf8(const uint8_t *p, size_t n, uint32_t *cp)
{
	static const uint32_t lead_bits[5] = { 0, 0, 0x1f, 0x0f, 0x07 };
	static const uint32_t smallest[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint8_t b = p[0];
	size_t len;
	*cp = '?';
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return 1; /* a continuation byte, or a lead byte UTF-8 never uses */
	if (n < len)
		return 1;
	uint32_t v = b & lead_bits[len];
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 1;
		v = (v << 6) | (p[i] & 0x3fu);
	}
	if (v < smallest[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 1;
	*cp = v;
	return len;
}

size_t kf_text_latin1(struct kf_span s, char *buf, size_t cap, bool *cut)
{
	return convert(s, buf, cap, cut, next_latin1);
}

size_t kf_text_utf16le(struct kf_span s, char *buf, size_t cap, bool *cut)
{
	return convert(s, buf, cap, cut, next_utf16le);
}

size_t kf_text_utf8(struct kf_span s, char *buf, size_t cap, bool *cut)
{
	return convert(s, buf, cap, cut, next_utf8);
}
