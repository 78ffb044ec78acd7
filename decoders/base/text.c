/* text.c - printable UTF-8 from UTF-16LE or Latin-1 (see text.h). */
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

size_t kf_text_latin1(struct kf_span s, char *buf, size_t cap, bool *cut)
{
	if (cap == 0) {
		if (cut)
			*cut = s.n > 0;
		return 0;
	}
	size_t o = 0;
	for (size_t i = 0; i < s.n; i++)
		if (!put_cp(buf, cap, &o, s.p[i]))
			return finish(buf, o, true, cut);
	return finish(buf, o, false, cut);
}

size_t kf_text_utf16le(struct kf_span s, char *buf, size_t cap, bool *cut)
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
		if (s.n - i < 2) { /* odd trailing byte */
			cp = '?';
			i = s.n;
		} else {
			uint16_t u = (uint16_t)(s.p[i] | (s.p[i + 1] << 8));
			i += 2;
			cp = u;
			if (u >= 0xd800 && u <= 0xdbff) {
				uint16_t lo = s.n - i >= 2 ? (uint16_t)(s.p[i] | (s.p[i + 1] << 8)) : 0;
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000u + (((uint32_t)u - 0xd800u) << 10) + (lo - 0xdc00u);
					i += 2;
				} else {
					cp = '?';
				}
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				cp = '?';
			}
		}
		if (!put_cp(buf, cap, &o, cp))
			return finish(buf, o, true, cut);
	}
	return finish(buf, o, false, cut);
}
