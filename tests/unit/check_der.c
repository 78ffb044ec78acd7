/* check_der.c - the DER TLV reader (decoders/base/der.c, X.690 §8.1). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/der.h"
#include "testutil.h"

struct row {
	const char *name;
	const char *hex;
	bool ok; /* kf_der_read succeeds */
	uint8_t cls;
	bool constructed;
	uint32_t tag;
	size_t value_len;
	size_t header_len;
	bool indefinite;
	size_t left; /* bytes left in the cursor after the read */
};

static const struct row rows[] = {
	/* valid */
	{ "integer", "02 01 05", true, KF_DER_UNIVERSAL, false, 2, 1, 2, false, 0 },
	{ "empty-seq", "30 00", true, KF_DER_UNIVERSAL, true, 16, 0, 2, false, 0 },
	{ "seq+next", "30 03 02 01 05 04 00", true, KF_DER_UNIVERSAL, true, 16, 3, 2, false, 2 },
	{ "app-10", "6a 02 30 00", true, KF_DER_APPLICATION, true, 10, 2, 2, false, 0 },
	{ "ctx-3", "a3 03 02 01 01", true, KF_DER_CONTEXT, true, 3, 3, 2, false, 0 },
	{ "private", "c1 00", true, KF_DER_PRIVATE, false, 1, 0, 2, false, 0 },
	{ "long-1", "04 81 01 aa", true, KF_DER_UNIVERSAL, false, 4, 1, 3, false, 0 },
	{ "long-2", "04 82 00 02 aa bb", true, KF_DER_UNIVERSAL, false, 4, 2, 4, false, 0 },
	{ "long-4", "04 84 00 00 00 01 aa", true, KF_DER_UNIVERSAL, false, 4, 1, 6, false, 0 },
	{ "high-tag-31", "9f 1f 00", true, KF_DER_CONTEXT, false, 31, 0, 3, false, 0 },
	{ "high-tag-2byte", "bf 81 00 00", true, KF_DER_CONTEXT, true, 128, 0, 4, false, 0 },
	{ "high-tag-3byte", "5f 81 80 00 00", true, KF_DER_APPLICATION, false, 16384, 0, 5, false, 0 },
	/* malformed */
	{ "empty", "", false, 0, false, 0, 0, 0, false, 0 },
	{ "id-only", "02", false, 0, false, 0, 0, 0, false, 0 },
	{ "short-value", "02 02 01", false, 0, false, 0, 0, 0, false, 0 },
	{ "indefinite", "30 80 02 01 05 00 00", false, 0, false, 0, 0, 0, true, 0 },
	{ "5-len-octets", "04 85 00 00 00 00 01 aa", false, 0, false, 0, 0, 0, false, 0 },
	{ "len-octets-cut", "04 82 00", false, 0, false, 0, 0, 0, false, 0 },
	{ "huge-len", "04 84 ff ff ff ff aa", false, 0, false, 0, 0, 0, false, 0 },
	{ "high-tag-cut", "9f 81", false, 0, false, 0, 0, 0, false, 0 },
	{ "high-tag-4byte", "9f 81 81 81 01 00", false, 0, false, 0, 0, 0, false, 0 },
};
#define N_ROWS (sizeof rows / sizeof rows[0])

START_TEST(t_table)
{
	const struct row *r = &rows[_i];
	uint8_t buf[64];
	size_t n = kf_test_hex(r->hex, buf, sizeof buf);
	struct kf_cur c = kf_cur_make(kf_span_make(buf, n));
	struct kf_der_tlv t;
	memset(&t, 0xee, sizeof t);
	bool ok = kf_der_read(&c, &t);
	ck_assert_msg(ok == r->ok, "%s: ok=%d", r->name, ok);
	ck_assert_msg(t.indefinite == r->indefinite, "%s: indefinite=%d", r->name, t.indefinite);
	if (!ok) {
		ck_assert_msg(!kf_cur_ok(&c), "%s: cursor not failed", r->name);
		ck_assert_uint_eq(kf_cur_left(&c), 0);
		ck_assert_uint_ne(c.err_line, 0);
		return;
	}
	ck_assert(kf_cur_ok(&c));
	ck_assert_uint_eq(t.cls, r->cls);
	ck_assert(t.constructed == r->constructed);
	ck_assert_uint_eq(t.tag, r->tag);
	ck_assert_uint_eq(t.value.n, r->value_len);
	ck_assert_uint_eq(t.header_len, r->header_len);
	ck_assert_ptr_eq(t.value.p, buf + r->header_len);
	ck_assert_uint_eq(kf_cur_left(&c), r->left);
}
END_TEST

/* Every proper prefix of a valid element fails and leaves a failed cursor. */
START_TEST(t_truncation)
{
	const struct row *r = &rows[_i];
	if (!r->ok)
		return;
	uint8_t buf[64];
	size_t n = kf_test_hex(r->hex, buf, sizeof buf) - r->left;
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? k : 1); /* exact size: ASan catches overreads */
		memcpy(p, buf, k);
		struct kf_cur c = kf_cur_make(kf_span_make(p, k));
		struct kf_der_tlv t;
		ck_assert_msg(!kf_der_read(&c, &t), "%s: prefix %zu accepted", r->name, k);
		ck_assert(!kf_cur_ok(&c));
		free(p);
	}
}
END_TEST

START_TEST(t_sticky)
{
	uint8_t buf[] = { 0x02, 0x05, 0x01 };
	struct kf_cur c = kf_cur_make(kf_span_make(buf, sizeof buf));
	struct kf_der_tlv t;
	ck_assert(!kf_der_read(&c, &t));
	uint16_t line = c.err_line;
	ck_assert_uint_eq(kf_cur_u8(&c), 0);
	ck_assert_uint_eq(c.err_line, line); /* first failure is kept */
	ck_assert(!kf_der_read(&c, &t));
}
END_TEST

START_TEST(t_read_if_peek)
{
	uint8_t buf[32];
	size_t n = kf_test_hex("a1 03 02 01 07 a2 03 02 01 08", buf, sizeof buf);
	struct kf_cur c = kf_cur_make(kf_span_make(buf, n)), in;
	uint8_t cls;
	bool cons;
	uint32_t tag;
	ck_assert(kf_der_peek(&c, &cls, &cons, &tag));
	ck_assert_uint_eq(cls, KF_DER_CONTEXT);
	ck_assert(cons);
	ck_assert_uint_eq(tag, 1);
	ck_assert_uint_eq(kf_cur_left(&c), n); /* peek consumes nothing */
	ck_assert(!kf_der_read_if(&c, KF_DER_CONTEXT, 2, &in));
	ck_assert(kf_cur_ok(&c));
	ck_assert_uint_eq(kf_cur_left(&c), n); /* mismatch leaves the cursor */
	int64_t v;
	ck_assert(!kf_der_ctx_int(&c, 0, &v));
	ck_assert(kf_der_ctx_int(&c, 1, &v));
	ck_assert_int_eq(v, 7);
	ck_assert(kf_der_read_if(&c, KF_DER_CONTEXT, 2, &in));
	ck_assert_uint_eq(kf_cur_left(&in), 3);
	ck_assert_uint_eq(kf_cur_left(&c), 0);
	/* a malformed element is a mismatch too, and the cursor stays usable */
	uint8_t bad[] = { 0xa1, 0x09, 0x02 };
	struct kf_cur b = kf_cur_make(kf_span_make(bad, sizeof bad));
	ck_assert(!kf_der_read_if(&b, KF_DER_CONTEXT, 1, &in));
	ck_assert(kf_cur_ok(&b));
	ck_assert(!kf_der_peek(&b, &cls, &cons, &tag));
	/* [n] holding something other than an INTEGER */
	uint8_t notint[] = { 0xa0, 0x02, 0x04, 0x00 };
	struct kf_cur d = kf_cur_make(kf_span_make(notint, sizeof notint));
	ck_assert(!kf_der_ctx_int(&d, 0, &v));
}
END_TEST

START_TEST(t_int)
{
	int64_t v;
	ck_assert(kf_der_int(kf_span_make("\x05", 1), &v));
	ck_assert_int_eq(v, 5);
	ck_assert(kf_der_int(kf_span_make("\xff", 1), &v));
	ck_assert_int_eq(v, -1);
	ck_assert(kf_der_int(kf_span_make("\x00\x80", 2), &v));
	ck_assert_int_eq(v, 128);
	ck_assert(kf_der_int(kf_span_make("\xde\xad\xbe\xef", 4), &v));
	ck_assert_int_eq(v, (int64_t)(int32_t)0xDEADBEEFu);
	ck_assert(kf_der_int(kf_span_make("\x00\xde\xad\xbe\xef", 5), &v));
	ck_assert_int_eq(v, 0xDEADBEEFLL);
	ck_assert(kf_der_int(kf_span_make("\x7f\xff\xff\xff\xff\xff\xff\xff", 8), &v));
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert(!kf_der_int(kf_span_make("", 0), &v));
	ck_assert(!kf_der_int(kf_span_make("\x00\x01\x02\x03\x04\x05\x06\x07\x08", 9), &v));
}
END_TEST

START_TEST(t_bits)
{
	uint32_t v;
	ck_assert(kf_der_bits32(kf_span_make("\x00\x40\x81\x00\x10", 5), &v));
	ck_assert_uint_eq(v, 0x40810010u);
	ck_assert(kf_der_bits32(kf_span_make("\x07\x80", 2), &v)); /* short: zero filled */
	ck_assert_uint_eq(v, 0x80000000u);
	ck_assert(kf_der_bits32(kf_span_make("\x00\x01\x02\x03\x04\x05", 6), &v)); /* long: first 32 */
	ck_assert_uint_eq(v, 0x01020304u);
	ck_assert(kf_der_bits32(kf_span_make("\x00", 1), &v));
	ck_assert_uint_eq(v, 0);
	ck_assert(!kf_der_bits32(kf_span_make("", 0), &v));
	ck_assert(!kf_der_bits32(kf_span_make("\x08\x00", 2), &v)); /* > 7 unused bits */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("der");
	TCase *tc = tcase_create("der");
	tcase_add_loop_test(tc, t_table, 0, (int)N_ROWS);
	tcase_add_loop_test(tc, t_truncation, 0, (int)N_ROWS);
	tcase_add_test(tc, t_sticky);
	tcase_add_test(tc, t_read_if_peek);
	tcase_add_test(tc, t_int);
	tcase_add_test(tc, t_bits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
