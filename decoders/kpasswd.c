/* kpasswd.c - kpasswd (Kerberos password change / set) messages: framing,
 * the clear parts of KRB-PRIV and KRB-ERROR, results.
 *
 * Normative references: RFC 3244 §2 (request and reply layout, result
 * codes), RFC 4120 §5.7.1 (KRB-PRIV), §5.9.1 (KRB-ERROR), §5.2.9
 * (EncryptedData), §7.2.2 (the TCP record mark, which the carrier strips).
 *
 * Accepted subset: the length field must equal the input's size (a UDP
 * payload or a TCP record is one message).  The AP part and the part after it
 * must each be exactly one DER element (der.h's subset) of class APPLICATION,
 * constructed, with the tag expected there and nothing after it.  Inside a
 * KRB-PRIV only enc-part [3] is read; inside a KRB-ERROR only error-code [6]
 * and e-data [12]; the other fields must be context-tagged and are skipped
 * unread, in any order (a repeated one is damage).  An input that fails the
 * header checks but is exactly one [APPLICATION 30] element with a readable
 * error-code is a bare KRB-ERROR.  Nesting is fixed (at most four levels), nothing recurses.
 */
#include "kpasswd.h"

#include <string.h>

#include "base/cursor.h"
#include "base/der.h"

#define HEADER_LEN 6u
#define AD_POLICY_LEN 30u

enum { APP_AP_REQ = 14, APP_AP_REP = 15, APP_KRB_PRIV = 21, APP_KRB_ERROR = 30 };

#define ENC_FIELDS 3u    /* EncryptedData: etype [0], kvno [1], cipher [2] */
#define PRIV_FIELDS 4u   /* KRB-PRIV: pvno [0], msg-type [1], enc-part [3] */
#define ERROR_FIELDS 13u /* KRB-ERROR: pvno [0] ... e-data [12] */

static bool refuse(struct kf_kpasswd_msg *m, struct kf_events *ev, const char *why)
{
	m->kind = KF_KPASSWD_NONE;
	m->why = why;
	kf_events_add(ev, KF_EV_KPASSWD_MALFORMED);
	return false;
}

/* The first damage inside a framed message: one event, one reason. */
static void incomplete(struct kf_kpasswd_msg *m, struct kf_events *ev, enum kf_event e, const char *why)
{
	if (m->complete) {
		kf_events_add(ev, e);
		m->why = why;
	}
	m->complete = false;
}

/* s is exactly one constructed APPLICATION element: its tag and contents. */
static bool one_app_element(struct kf_span s, uint32_t *tag, struct kf_span *contents, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	struct kf_der_tlv t;
	if (!kf_der_read(&c, &t)) {
		if (t.indefinite)
			kf_events_add(ev, KF_EV_DER_INDEFINITE_LENGTH);
		return false;
	}
	if (kf_cur_left(&c) != 0 || t.cls != KF_DER_APPLICATION || !t.constructed)
		return false;
	*tag = t.tag;
	*contents = t.value;
	return true;
}

/* wrap is exactly one UNIVERSAL element of the given tag: its contents. */
static bool inner(struct kf_span wrap, uint32_t tag, struct kf_span *out)
{
	struct kf_cur c = kf_cur_make(wrap);
	struct kf_der_tlv t;
	if (!kf_der_read(&c, &t) || kf_cur_left(&c) != 0 || t.cls != KF_DER_UNIVERSAL || t.tag != tag)
		return false;
	*out = t.value;
	return true;
}

/* The fields of a SEQUENCE whose contents are seq: field [n] (n < nmax) in
 * v[n] (the EXPLICIT wrapper's contents), has[n] set.  False when an element
 * is not a constructed context tag or a field repeats. */
static bool read_fields(struct kf_span seq, struct kf_span *v, bool *has, unsigned nmax)
{
	struct kf_cur c = kf_cur_make(seq);
	while (kf_cur_left(&c) > 0) {
		struct kf_der_tlv t;
		if (!kf_der_read(&c, &t) || t.cls != KF_DER_CONTEXT || !t.constructed)
			return false;
		if (t.tag >= nmax)
			continue;
		if (has[t.tag])
			return false;
		has[t.tag] = true;
		v[t.tag] = t.value;
	}
	return kf_cur_ok(&c);
}

/* An INTEGER field that fits in [lo, hi]. */
static bool int_field(struct kf_span wrap, int64_t lo, int64_t hi, int64_t *out)
{
	struct kf_span v;
	return inner(wrap, KF_DER_INTEGER, &v) && kf_der_int(v, out) && *out >= lo && *out <= hi;
}

/* EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL,
 * cipher [2] OCTET STRING }.  A kvno is taken as the 32 bits sent, whether
 * encoded as unsigned or (as some encoders do above 2^31) negative. */
static bool read_enc(struct kf_span wrap, struct kf_kpasswd_enc *enc)
{
	struct kf_span seq, v[ENC_FIELDS], cipher;
	bool has[ENC_FIELDS] = { false };
	int64_t x;
	if (!inner(wrap, KF_DER_SEQUENCE, &seq) || !read_fields(seq, v, has, ENC_FIELDS) || !has[0] ||
	    !has[2] || !int_field(v[0], INT32_MIN, INT32_MAX, &x))
		return false;
	enc->etype = (int32_t)x;
	if (has[1]) {
		if (!int_field(v[1], INT32_MIN, UINT32_MAX, &x))
			return false;
		enc->has_kvno = true;
		enc->kvno = (uint32_t)x;
	}
	if (!inner(v[2], KF_DER_OCTET_STRING, &cipher))
		return false;
	enc->cipher_len = cipher.n;
	enc->present = true;
	return true;
}

/* The contents of [APPLICATION 21]: SEQUENCE { ..., enc-part [3] }. */
static void read_priv(struct kf_span contents, struct kf_kpasswd_msg *m, struct kf_events *ev)
{
	struct kf_span seq, v[PRIV_FIELDS];
	bool has[PRIV_FIELDS] = { false };
	if (!inner(contents, KF_DER_SEQUENCE, &seq) || !read_fields(seq, v, has, PRIV_FIELDS) || !has[3] ||
	    !read_enc(v[3], &m->priv_enc))
		incomplete(m, ev, KF_EV_KPASSWD_MALFORMED, "the KRB-PRIV's enc-part could not be read");
}

/* The contents of [APPLICATION 30]: error-code [6] and e-data [12].  False
 * (nothing recorded) when the error-code cannot be read; damage after it
 * makes the message incomplete. */
static bool read_error(struct kf_span contents, struct kf_kpasswd_msg *m, struct kf_events *ev)
{
	struct kf_span seq, v[ERROR_FIELDS];
	bool has[ERROR_FIELDS] = { false };
	int64_t code;
	if (!inner(contents, KF_DER_SEQUENCE, &seq) || !read_fields(seq, v, has, ERROR_FIELDS) || !has[6] ||
	    !int_field(v[6], INT32_MIN, INT32_MAX, &code))
		return false;
	m->has_error_code = true;
	m->error_code = (int32_t)code;
	if (!has[12])
		return true;
	if (!inner(v[12], KF_DER_OCTET_STRING, &m->e_data)) {
		incomplete(m, ev, KF_EV_KPASSWD_MALFORMED, "the KRB-ERROR's e-data is not an OCTET STRING");
		return true;
	}
	m->has_e_data = true;
	if (!kf_kpasswd_result_decode(m->e_data, &m->result))
		incomplete(m, ev, KF_EV_KPASSWD_RESULT_MALFORMED,
			   "the KRB-ERROR's e-data is shorter than a result code");
	return true;
}

/* A reply that is only a KRB-ERROR, without the kpasswd header.  Without
 * the header to vouch for it, it must at least have a readable error-code. */
static bool decode_bare(struct kf_span s, struct kf_kpasswd_msg *m, struct kf_events *ev)
{
	uint32_t tag;
	struct kf_span contents;
	if (!one_app_element(s, &tag, &contents, ev) || tag != APP_KRB_ERROR)
		return refuse(m, ev, "neither a header whose length matches nor a bare KRB-ERROR");
	m->length = 0;
	m->version = 0;
	m->error = s;
	if (!read_error(contents, m, ev))
		return refuse(m, ev, "a bare KRB-ERROR whose error-code cannot be read");
	m->kind = KF_KPASSWD_REPLY;
	return true;
}

bool kf_kpasswd_decode(struct kf_span s, struct kf_kpasswd_msg *m, struct kf_events *ev)
{
	memset(m, 0, sizeof *m);
	m->complete = true;
	struct kf_cur c = kf_cur_make(s);
	m->length = kf_cur_be16(&c);
	m->version = kf_cur_be16(&c);
	uint16_t ap_len = kf_cur_be16(&c);
	bool header_ok = kf_cur_ok(&c) && m->length == s.n;
	/* 0x7e: a constructed [APPLICATION 30], i.e. a KRB-ERROR on its own
	 * (a framed message starting so would be at least 32256 bytes long). */
	if (!header_ok && s.n > 0 && s.p[0] == 0x7e)
		return decode_bare(s, m, ev);
	if (!kf_cur_ok(&c))
		return refuse(m, ev, "shorter than the 6-byte header");
	if (m->length != s.n)
		return refuse(m, ev, "the length field differs from the message's size");
	struct kf_span ap = kf_cur_bytes(&c, ap_len);
	if (!kf_cur_ok(&c))
		return refuse(m, ev, "the AP length runs past the end");
	struct kf_span rest = kf_cur_rest(&c);

	uint32_t tag;
	struct kf_span contents;
	if (ap.n > 0) {
		if (!one_app_element(ap, &tag, &contents, ev) || (tag != APP_AP_REQ && tag != APP_AP_REP))
			return refuse(m, ev, "the AP part is not one AP-REQ or AP-REP");
		m->ap = ap;
		m->ap_type = (int)tag;
	}
	if (rest.n == 0)
		return refuse(m, ev, "nothing follows the AP part");
	if (!one_app_element(rest, &tag, &contents, ev) || (tag != APP_KRB_PRIV && tag != APP_KRB_ERROR))
		return refuse(m, ev, "what follows the AP part is not one KRB-PRIV or KRB-ERROR");
	if (m->ap_type == APP_AP_REQ && tag == APP_KRB_ERROR)
		return refuse(m, ev, "an AP-REQ followed by a KRB-ERROR");

	m->kind = m->ap_type == APP_AP_REQ ? KF_KPASSWD_REQUEST : KF_KPASSWD_REPLY;
	m->framed = true;
	if (tag == APP_KRB_PRIV) {
		m->priv = rest;
		read_priv(contents, m, ev);
	} else {
		m->error = rest;
		if (!read_error(contents, m, ev))
			incomplete(m, ev, KF_EV_KPASSWD_MALFORMED,
				   "the KRB-ERROR's error-code could not be read");
	}
	return true;
}

static uint64_t be64(struct kf_cur *c)
{
	uint64_t hi = kf_cur_be32(c);
	uint64_t lo = kf_cur_be32(c);
	return (hi << 32) | lo;
}

bool kf_kpasswd_result_decode(struct kf_span data, struct kf_kpasswd_result *r)
{
	memset(r, 0, sizeof *r);
	struct kf_cur c = kf_cur_make(data);
	r->code = kf_cur_be16(&c);
	if (!kf_cur_ok(&c))
		return false;
	r->present = true;
	r->string = kf_cur_rest(&c);
	if (r->string.n == AD_POLICY_LEN && r->string.p[0] == 0 && r->string.p[1] == 0) {
		struct kf_cur p = kf_cur_make(r->string);
		kf_cur_skip(&p, 2);
		r->policy.min_length = kf_cur_be32(&p);
		r->policy.history = kf_cur_be32(&p);
		r->policy.properties = kf_cur_be32(&p);
		r->policy.max_age = be64(&p);
		r->policy.min_age = be64(&p);
		r->ad_policy = kf_cur_ok(&p);
	}
	return true;
}

const char *kf_kpasswd_result_name(uint16_t code)
{
	static const char *const names[] = {
		"KRB5_KPASSWD_SUCCESS",     "KRB5_KPASSWD_MALFORMED",           "KRB5_KPASSWD_HARDERROR",
		"KRB5_KPASSWD_AUTHERROR",   "KRB5_KPASSWD_SOFTERROR",           "KRB5_KPASSWD_ACCESSDENIED",
		"KRB5_KPASSWD_BAD_VERSION", "KRB5_KPASSWD_INITIAL_FLAG_NEEDED",
	};
	return code < sizeof names / sizeof names[0] ? names[code] : NULL;
}

const char *kf_kpasswd_version_name(uint16_t version)
{
	switch (version) {
	case KF_KPASSWD_V_CHANGE: return "change-password";
	case KF_KPASSWD_V_SET: return "set-password";
	default: return NULL;
	}
}
