/* check_base64.c - strict base64 for HTTP authentication tokens
 * (decoders/base/base64.c, RFC 4648 §4 and §3.5). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "testutil.h"

/* A real "WWW-Authenticate: Negotiate" token (NegTokenResp carrying a
 * Kerberos AP-REP) from samples/web-healthy-401first.pcap frame 15. */
static const char real_krb_resp[] =
	"oYG3MIG0oAMKAQChCwYJKoZIhvcSAQICooGfBIGcYIGZBgkqhkiG9xIBAgICAG+BiTCBhqADAgEFoQMCAQ+iejB4"
	"oAMCARKicQRvE/I9RC7tm4tswAqdLqtmekb18zPCrSB5Z3qOh703+1NB1zaDO8yuFg053BTQ/sKZFdcJaiAK51Dc"
	"PQMDXA2l4GeQjZO0mCVw/RXm/DA5mWYsjwAr1W+eJ8n6FGmQT16MCwPJoIla393yrOCPgUlJ";

struct valid {
	const char *name;
	const char *b64;
	const char *hex; /* expected decoding */
};

static const struct valid valids[] = {
	/* RFC 4648 §10 test vectors, padded and unpadded */
	{ "empty", "", "" },
	{ "f", "Zg==", "66" },
	{ "fo", "Zm8=", "666f" },
	{ "foo", "Zm9v", "666f6f" },
	{ "foob", "Zm9vYg==", "666f6f62" },
	{ "fooba", "Zm9vYmE=", "666f6f6261" },
	{ "foobar", "Zm9vYmFy", "666f6f626172" },
	{ "f-nopad", "Zg", "66" },
	{ "fo-nopad", "Zm8", "666f" },
	{ "fooba-nopad", "Zm9vYmE", "666f6f6261" },
	/* the two characters beyond the alphanumerics, and the extremes */
	{ "plus-slash", "+/+/", "fbffbf" },
	{ "zero-ones", "AP//", "00ffff" },
	{ "all-zero", "AAAAAA==", "00000000" },
};
#define N_VALID (sizeof valids / sizeof valids[0])

START_TEST(t_valid)
{
	const struct valid *v = &valids[_i];
	uint8_t want[64], out[64];
	size_t want_n = kf_test_hex(v->hex, want, sizeof want);
	size_t len = 999;
	ck_assert_msg(kf_base64_decode(kf_span_make(v->b64, strlen(v->b64)), out, sizeof out, &len),
		      "%s rejected", v->name);
	ck_assert_uint_eq(len, want_n);
	ck_assert(memcmp(out, want, want_n) == 0);
	ck_assert_uint_ge(kf_base64_decoded_max(strlen(v->b64)), want_n);
}
END_TEST

/* Each row is rejected; the caller (HTTP token path) raises BASE64_INVALID. */
struct bad {
	const char *name;
	const char *b64;
	size_t n; /* 0: strlen */
};

static const struct bad bads[] = {
	{ "one-char", "Z", 0 },
	{ "five-chars", "Zm9vY", 0 },
	{ "space-inside", "Zm9v Yg==", 0 },
	{ "leading-space", " Zm9v", 0 },
	{ "trailing-crlf", "Zm9v\r\n", 0 },
	{ "tab", "Zm9v\tYmFy", 0 },
	{ "url-safe-minus", "-_-_", 0 },
	{ "url-safe-underscore", "Zm9_", 0 },
	{ "pad-in-middle", "Zg==Zg==", 0 },
	{ "pad-then-data", "Zm=v", 0 },
	{ "three-pads", "Z===", 0 },
	{ "only-pads", "====", 0 },
	{ "single-pad", "=", 0 },
	{ "partial-padding", "Zg=", 0 },
	{ "extra-padding", "Zg===", 0 },
	{ "pad-after-full-group", "Zm9v====", 0 },
	{ "pad-wrong-count", "Zm8==", 0 },
	{ "nonzero-4-bits", "Zh==", 0 },
	{ "nonzero-2-bits", "Zm9=", 0 },
	{ "nonzero-bits-nopad", "Zh", 0 },
	{ "high-byte", "Zm9\xff", 0 },
	{ "nul-byte", "Zm\0v", 4 },
	{ "star", "Zm9*", 0 },
};
#define N_BAD (sizeof bads / sizeof bads[0])

START_TEST(t_malformed)
{
	const struct bad *b = &bads[_i];
	size_t n = b->n ? b->n : strlen(b->b64);
	char *p = malloc(n ? n : 1); /* exact size: ASan catches overreads */
	memcpy(p, b->b64, n);
	uint8_t out[64];
	size_t len = 12345;
	ck_assert_msg(!kf_base64_decode(kf_span_make(p, n), out, sizeof out, &len), "%s accepted", b->name);
	ck_assert_uint_eq(len, 12345); /* untouched on failure */
	free(p);
}
END_TEST

START_TEST(t_capacity)
{
	uint8_t out[8];
	size_t len;
	ck_assert(kf_base64_decode(kf_span_make("Zm9vYmFy", 8), out, 6, &len));
	ck_assert_uint_eq(len, 6);
	ck_assert(!kf_base64_decode(kf_span_make("Zm9vYmFy", 8), out, 5, &len));
	ck_assert(kf_base64_decode(kf_span_make("Zm9vYg", 6), out, 4, &len));
	ck_assert(!kf_base64_decode(kf_span_make("Zm9vYg", 6), out, 3, &len));
	ck_assert(kf_base64_decode(kf_span_make("", 0), NULL, 0, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(kf_base64_decoded_max(0), 3);
	ck_assert_uint_eq(kf_base64_decoded_max(8), 9);
}
END_TEST

START_TEST(t_real_token)
{
	size_t n = strlen(real_krb_resp);
	uint8_t *out = malloc(kf_base64_decoded_max(n));
	size_t len = 0;
	ck_assert(kf_base64_decode(kf_span_make(real_krb_resp, n), out, kf_base64_decoded_max(n), &len));
	ck_assert_uint_eq(len, 186);
	/* NegTokenResp [1], SEQUENCE, negState [0] ENUMERATED 0 */
	static const uint8_t head[] = { 0xa1, 0x81, 0xb7, 0x30, 0x81, 0xb4, 0xa0, 0x03, 0x0a, 0x01, 0x00 };
	ck_assert(memcmp(out, head, sizeof head) == 0);
	free(out);
}
END_TEST

/* Every prefix of every valid string: never reads past its end; when a
 * prefix happens to be valid base64 its decoding is a prefix of the whole. */
static void sweep(const char *b64)
{
	size_t n = strlen(b64);
	uint8_t *full = malloc(kf_base64_decoded_max(n));
	size_t full_n = 0;
	ck_assert(kf_base64_decode(kf_span_make(b64, n), full, kf_base64_decoded_max(n), &full_n));
	for (size_t k = 0; k < n; k++) {
		char *p = malloc(k ? k : 1);
		memcpy(p, b64, k);
		size_t cap = kf_base64_decoded_max(k);
		uint8_t *out = malloc(cap);
		size_t len = 0;
		if (kf_base64_decode(kf_span_make(p, k), out, cap, &len)) {
			ck_assert_uint_le(len, full_n);
			ck_assert(len == 0 || memcmp(out, full, len) == 0);
		}
		free(out);
		free(p);
	}
	free(full);
}

START_TEST(t_truncation) { sweep(valids[_i].b64); }
END_TEST

START_TEST(t_truncation_real) { sweep(real_krb_resp); }
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("base64");
	tcase_add_loop_test(tc, t_valid, 0, (int)N_VALID);
	tcase_add_loop_test(tc, t_malformed, 0, (int)N_BAD);
	tcase_add_test(tc, t_capacity);
	tcase_add_test(tc, t_real_token);
	tcase_add_loop_test(tc, t_truncation, 0, (int)N_VALID);
	tcase_add_test(tc, t_truncation_real);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
