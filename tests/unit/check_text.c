/* check_text.c - the shared printable-string helper (decoders/base/text.c):
 * whether it says a string was cut.  The conversions themselves are tabled
 * in check_ntlmssp.c (t_strings), through kf_ntlm_string. */
#include <check.h>
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

static Suite *suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");
	tcase_add_test(tc, t_cut_flag);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return kf_test_run(suite());
}
