/* der.c - DER TLV reader (X.690).  See der.h for the accepted subset. */
#include "der.h"

bool kf_der_read(struct kf_cur *c, struct kf_der_tlv *out)
{
	out->indefinite = false;
	if (!kf_cur_has(c, 2)) {
		kf_cur_fail(c);
		return false;
	}
	uint8_t id = kf_cur_u8(c);
	out->cls = (uint8_t)(id >> 6);
	out->constructed = (id & 0x20) != 0;
	uint32_t tag = id & 0x1f;
	size_t hdr = 1;
	if (tag == 0x1f) {
		tag = 0;
		for (int i = 0;; i++) {
			uint8_t b = kf_cur_u8(c);
			hdr++;
			if (!kf_cur_ok(c) || i >= 3) {
				kf_cur_fail(c);
				return false;
			}
			tag = (tag << 7) | (b & 0x7f);
			if (!(b & 0x80))
				break;
		}
	}
	out->tag = tag;

	uint8_t l0 = kf_cur_u8(c);
	hdr++;
	size_t len;
	if (l0 < 0x80) {
		len = l0;
	} else if (l0 == 0x80) {
		out->indefinite = true;
		kf_cur_fail(c);
		return false;
	} else {
		unsigned nb = l0 & 0x7f;
		if (nb > 4) {
			kf_cur_fail(c);
			return false;
		}
		len = 0;
		for (unsigned i = 0; i < nb; i++)
			len = (len << 8) | kf_cur_u8(c);
		hdr += nb;
	}
	if (!kf_cur_ok(c))
		return false;
	out->value = kf_cur_bytes(c, len);
	out->header_len = hdr;
	return kf_cur_ok(c);
}

bool kf_der_peek(const struct kf_cur *c, uint8_t *cls, bool *constructed, uint32_t *tag)
{
	struct kf_cur tmp = *c;
	struct kf_der_tlv t;
	if (!kf_der_read(&tmp, &t))
		return false;
	*cls = t.cls;
	*constructed = t.constructed;
	*tag = t.tag;
	return true;
}

bool kf_der_read_if(struct kf_cur *c, uint8_t cls, uint32_t tag, struct kf_cur *inner)
{
	struct kf_cur tmp = *c;
	struct kf_der_tlv t;
	if (!kf_der_read(&tmp, &t) || t.cls != cls || t.tag != tag)
		return false;
	*c = tmp;
	*inner = kf_cur_make(t.value);
	return true;
}

bool kf_der_int(struct kf_span v, int64_t *out)
{
	if (v.n == 0 || v.n > 8)
		return false;
	/* sign-extend from the first octet */
	uint64_t u = (v.p[0] & 0x80) ? ~(uint64_t)0 : 0;
	for (size_t i = 0; i < v.n; i++)
		u = (u << 8) | v.p[i];
	*out = (int64_t)u;
	return true;
}

bool kf_der_bits32(struct kf_span v, uint32_t *out)
{
	if (v.n < 1 || v.p[0] > 7)
		return false;
	uint32_t bits = 0;
	for (size_t i = 1; i < 5; i++)
		bits = (bits << 8) | (i < v.n ? v.p[i] : 0);
	*out = bits;
	return true;
}

bool kf_der_ctx_int(struct kf_cur *fields, uint32_t n, int64_t *out)
{
	struct kf_cur wrap;
	struct kf_der_tlv t;
	if (!kf_der_read_if(fields, KF_DER_CONTEXT, n, &wrap))
		return false;
	if (!kf_der_read(&wrap, &t) || t.cls != KF_DER_UNIVERSAL || t.tag != KF_DER_INTEGER)
		return false;
	return kf_der_int(t.value, out);
}
