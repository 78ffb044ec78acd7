/* fuzz_der.c - DER TLV reading (decoders/base/der.c) and the OID printer:
 * walks the input as nested TLVs down to KF_LIMIT_DER_DEPTH, reading every
 * primitive the way the Kerberos and SPNEGO decoders do. */
#include "fuzz.h"

#include "base/der.h"
#include "base/limits.h"
#include "gss.h"

static const uint8_t *g_base;
static size_t g_size;

static void walk(struct kf_cur c, unsigned depth)
{
	while (kf_cur_left(&c) > 0) {
		uint8_t cls = 0;
		bool cons = false;
		uint32_t tag = 0;
		bool peeked = kf_der_peek(&c, &cls, &cons, &tag);
		size_t before = kf_cur_left(&c);
		struct kf_der_tlv t;
		memset(&t, 0, sizeof t);
		if (!kf_der_read(&c, &t)) {
			FUZZ_CHECK(!kf_cur_ok(&c));
			return;
		}
		FUZZ_CHECK(peeked && t.cls == cls && t.constructed == cons && t.tag == tag);
		FUZZ_CHECK(fuzz_span_inside(t.value, g_base, g_size));
		FUZZ_CHECK(t.header_len + t.value.n == before - kf_cur_left(&c));
		(void)fuzz_touch(t.value);
		if (t.constructed) {
			if (depth + 1 < KF_LIMIT_DER_DEPTH)
				walk(kf_cur_make(t.value), depth + 1);
			/* the [n] EXPLICIT INTEGER shortcut over the same fields */
			struct kf_cur f = kf_cur_make(t.value);
			int64_t iv;
			for (uint32_t n = 0; n < 4; n++)
				(void)kf_der_ctx_int(&f, n, &iv);
			continue;
		}
		if (t.cls != KF_DER_UNIVERSAL)
			continue;
		int64_t iv;
		uint32_t bits;
		char oid[128];
		switch (t.tag) {
		case KF_DER_INTEGER:
		case KF_DER_ENUMERATED: (void)kf_der_int(t.value, &iv); break;
		case KF_DER_BIT_STRING: (void)kf_der_bits32(t.value, &bits); break;
		case KF_DER_OID:
			if (kf_oid_to_string(t.value, oid, sizeof oid))
				FUZZ_CSTR(oid);
			(void)kf_oid_to_string(t.value, oid, 8); /* too small: must fail cleanly */
			(void)kf_mech_from_oid(t.value);
			break;
		default: break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_base = data;
	g_size = size;
	struct kf_span s = kf_span_make(data, size);
	walk(kf_cur_make(s), 0);

	/* kf_der_read_if with a class/tag taken from the first byte: on a
	 * mismatch the cursor must be left untouched. */
	if (size > 0) {
		struct kf_cur c = kf_cur_make(s);
		struct kf_cur inner;
		uint8_t cls = (uint8_t)(data[0] >> 6);
		uint32_t tag = data[0] & 0x1f;
		if (kf_der_read_if(&c, cls, tag, &inner))
			FUZZ_CHECK(fuzz_span_inside(kf_span_make(inner.p, inner.n), data, size));
		else if (kf_cur_ok(&c))
			FUZZ_CHECK(c.p == data && c.n == size);
	}
	/* whole input as primitive contents */
	int64_t iv;
	uint32_t bits;
	(void)kf_der_int(s, &iv);
	(void)kf_der_bits32(s, &bits);
	return 0;
}
