/* check_text.c - the shared printable-string helper (decoders/base/text.c):
 * whether it says a string was cut, and the UTF-8 conversion.  The UTF-16LE
 * and Latin-1 conversions are tabled in check_ntlmssp.c (t_strings), through
 * kf_ntlm_string. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "testutil.h"

START_TEST(t_cut_flag)
{
	char buf[4];
	bool cut = true;
	/* "AB" fits in 4 with its NUL: not cut */
	ck_assert_uint_eq(kf_text_utf16le(kf_span_make("A\0B\0", 4), buf, sizeof buf, &cut), 2);
	ck_assert(!cut);
	/* "ABCD" does not */
	ck_assert_uint_eq(kf_text_utf16le(kf_span_make("A\0B\0C\0D\0", 8), buf, sizeof buf, &cut), 3);
	ck_assert(cut);
	ck_assert_str_eq(buf, "ABC");
	/* exactly cap - 1 bytes: not cut */
	ck_assert_uint_eq(kf_text_latin1(kf_span_make("xyz", 3), buf, sizeof buf, &cut), 3);
	ck_assert(!cut);
	ck_assert_uint_eq(kf_text_latin1(kf_span_make("xyzw", 4), buf, sizeof buf, &cut), 3);
	ck_assert(cut);
	/* a 2-byte character that would end at the NUL's place is left out */
	ck_assert_uint_eq(kf_text_latin1(kf_span_make("xy\xe9", 3), buf, sizeof buf, &cut), 2);
	ck_assert(cut);
	/* cap 0: nothing written; cut when there was something to write */
	char c = 'q';
	ck_assert_uint_eq(kf_text_utf16le(kf_span_make("A\0", 2), &c, 0, &cut), 0);
	ck_assert(cut);
	ck_assert_int_eq(c, 'q');
	ck_assert_uint_eq(kf_text_latin1(kf_span_make("", 0), &c, 0, &cut), 0);
	ck_assert(!cut);
	/* NULL cut pointer is allowed */
	ck_assert_uint_eq(kf_text_utf16le(kf_span_make("A\0B\0C\0D\0", 8), buf, sizeof buf, NULL), 3);
	/* an empty string is never cut */
	ck_assert_uint_eq(kf_text_utf16le(kf_span_make(NULL, 0), buf, 1, &cut), 0);
	ck_assert(!cut);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* UTF-8 in (kpasswd result strings): well-formed sequences pass, every byte
 * that does not start one is a '?', controls are '?' as everywhere. */
static const struct {
	const char *name;
	const char *in;
	size_t n;
	size_t cap;
	const char *want;
	bool cut;
} utf8_rows[] = {
	{ "ascii", "Password changed", 16, 64, "Password changed", false },
	{ "newline", "too short.\nPlease", 17, 64, "too short.?Please", false },
	{ "two-byte", "J\xc3\xa9r\xc3\xb4me", 8, 64, "J\xc3\xa9r\xc3\xb4me", false },
	{ "three-byte", "\xe2\x82\xac", 3, 64, "\xe2\x82\xac", false },
	{ "four-byte", "\xf0\x9f\x98\x80", 4, 64, "\xf0\x9f\x98\x80", false },
	{ "max", "\xf4\x8f\xbf\xbf", 4, 64, "\xf4\x8f\xbf\xbf", false },
	{ "above-max", "\xf4\x90\x80\x80", 4, 64, "????", false },
	{ "overlong-2", "\xc0\xaf", 2, 64, "??", false },
	{ "overlong-3", "\xe0\x80\xaf", 3, 64, "???", false },
	{ "overlong-4", "\xf0\x80\x80\xaf", 4, 64, "????", false },
	{ "surrogate", "\xed\xa0\x80", 3, 64, "???", false },
	{ "lone-continuation",
	  "a\x80"
	  "b",
	  3, 64, "a?b", false },
	{ "cut-sequence", "a\xe2\x82", 3, 64, "a??", false },
	{ "bad-continuation", "\xe2\x28\xa1", 3, 64, "?(?", false },
	{ "lead-f5", "\xf5\x80\x80\x80", 4, 64, "????", false },
	{ "c1-control", "\xc2\x85", 2, 64, "?", false },
	{ "nul", "a\0b", 3, 64, "a?b", false },
	{ "fits-exactly", "abc", 3, 4, "abc", false },
	{ "cut", "abcd", 4, 4, "abc", true },
	{ "no-split", "a\xe2\x82\xac", 4, 4, "a", true },
	{ "empty", "", 0, 1, "", false },
};
#define N_UTF8 (sizeof utf8_rows / sizeof utf8_rows[0])

START_TEST(t_utf8)
{
	char *buf = malloc(utf8_rows[_i].cap); /* exact size: ASan sees a write past it */
	bool cut = !utf8_rows[_i].cut;
	size_t w =
		kf_text_utf8(kf_span_make(utf8_rows[_i].in, utf8_rows[_i].n), buf, utf8_rows[_i].cap, &cut);
	ck_assert_msg(strcmp(buf, utf8_rows[_i].want) == 0, "%s: got '%s'", utf8_rows[_i].name, buf);
	ck_assert_uint_eq(w, strlen(utf8_rows[_i].want));
	ck_assert_msg(cut == utf8_rows[_i].cut, "%s: cut %d", utf8_rows[_i].name, cut);
	free(buf);
	char c = 'q';
	ck_assert_uint_eq(kf_text_utf8(kf_span_make(utf8_rows[_i].in, utf8_rows[_i].n), &c, 0, &cut), 0);
	ck_assert_int_eq(c, 'q');
	ck_assert(cut == (utf8_rows[_i].n > 0));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");
	tcase_add_test(tc, t_cut_flag);
	tcase_add_loop_test(tc, t_utf8, 0, (int)N_UTF8);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
