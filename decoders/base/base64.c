/* base64.c - strict base64 decoding for HTTP authentication tokens.
 *
 * Normative reference: RFC 4648 §4 (the standard alphabet; '=' padding).
 * RFC 4559 §4 carries SPNEGO tokens in "Negotiate <base64>" headers.
 *
 * Accepted subset: the standard alphabet only; either no padding at all or
 * exactly the padding that completes the last 4-character group; the unused
 * low bits of a final partial group must be zero (RFC 4648 §3.5, so each
 * token has exactly one spelling).  Whitespace, '-'/'_' and a lone final
 * character (6 bits, not a byte) are rejected.  The caller raises
 * BASE64_INVALID; this module has no event sink.
 */
#include "base64.h"

/* 0..63 for alphabet characters, 64 for '=', 0xff for everything else. */
static uint8_t b64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return (uint8_t)(ch - 'A');
	if (ch >= 'a' && ch <= 'z')
		return (uint8_t)(ch - 'a' + 26);
	if (ch >= '0' && ch <= '9')
		return (uint8_t)(ch - '0' + 52);
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	if (ch == '=')
		return 64;
	return 0xff;
}

bool kf_base64_decode(struct kf_span s, uint8_t *out, size_t cap, size_t *len)
{
	size_t data = s.n;
	/* Padding: only at the end, at most two, and only to complete a group. */
	size_t pad = 0;
	while (data > 0 && s.p[data - 1] == '=' && pad < 3) {
		data--;
		pad++;
	}
	if (pad > 0 && (pad > 2 || s.n % 4 != 0))
		return false;
	size_t rem = data % 4;
	if (rem == 1)
		return false;
	if (pad > 0 && pad != 4 - rem)
		return false;

	size_t need = data / 4 * 3 + (rem ? rem - 1 : 0);
	if (need > cap)
		return false;

	size_t o = 0;
	uint32_t acc = 0;
	unsigned nacc = 0;
	for (size_t i = 0; i < data; i++) {
		uint8_t v = b64_value(s.p[i]);
		if (v > 63) /* also rejects '=' before the padding */
			return false;
		acc = (acc << 6) | v;
		if (++nacc == 4) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
			nacc = 0;
		}
	}
	if (nacc == 2) {
		if (acc & 0xf)
			return false;
		out[o++] = (uint8_t)(acc >> 4);
	} else if (nacc == 3) {
		if (acc & 0x3)
			return false;
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	}
	*len = o;
	return true;
}
