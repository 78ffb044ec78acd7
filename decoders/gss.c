/* gss.c - GSS-API token framing, SPNEGO negotiation tokens, mechanism names.
 *
 * Normative references: RFC 2743 §3.1 (InitialContextToken: [APPLICATION 0]
 * IMPLICIT SEQUENCE { thisMech OID, innerContextToken ANY }); RFC 4121 §4.1
 * (Kerberos mech tokens: 2-byte TOK_ID before the KRB_AP_REQ / KRB_AP_REP /
 * KRB_ERROR); RFC 4178 §4.2 (NegotiationToken ::= CHOICE { negTokenInit [0],
 * negTokenResp [1] }); MS-SPNG §2.2.1 (NegTokenInit2: negHints [3],
 * mechListMIC [4], mechTypes optional); RFC 4559 §4 (HTTP Negotiate).
 *
 * Accepted subset: what der.h reads (definite lengths).  SEQUENCE fields
 * must appear in increasing tag order (DER); unknown higher context tags are
 * skipped (the "..." extension marker).  Every [n] EXPLICIT wrapper holds
 * exactly one element, and bytes after the last element of a constructed
 * value are an error.  An ENUMERATED negState outside 0..3 is kept but makes
 * the token malformed.  Nothing recurses.
 */
#include "gss.h"

#include <stdio.h>
#include <string.h>

#include "base/der.h"

/* ------------------------------------------------------------ mechanisms */

static const struct {
	enum kf_mech mech;
	const char *name;
	const uint8_t *oid;
	size_t oid_len;
} mech_table[] = {
	/* 1.2.840.113554.1.2.2 */
	{ KF_MECH_KRB5, "kerberos", (const uint8_t *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02", 9 },
	/* 1.2.840.48018.1.2.2 */
	{ KF_MECH_MS_KRB5, "ms-kerberos", (const uint8_t *)"\x2a\x86\x48\x82\xf7\x12\x01\x02\x02", 9 },
	/* 1.3.6.1.4.1.311.2.2.10 */
	{ KF_MECH_NTLMSSP, "ntlmssp", (const uint8_t *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a", 10 },
	/* 1.3.6.1.4.1.311.2.2.30 */
	{ KF_MECH_NEGOEX, "negoex", (const uint8_t *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x1e", 10 },
	/* 1.3.6.1.5.5.2 */
	{ KF_MECH_SPNEGO, "spnego", (const uint8_t *)"\x2b\x06\x01\x05\x05\x02", 6 },
	/* 1.3.6.1.5.2.5 */
	{ KF_MECH_IAKERB, "iakerb", (const uint8_t *)"\x2b\x06\x01\x05\x02\x05", 6 },
	/* 1.2.840.113554.1.2.2.3 */
	{ KF_MECH_KRB5_U2U, "kerberos-u2u", (const uint8_t *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x03", 10 },
};
#define N_MECHS (sizeof mech_table / sizeof mech_table[0])

const char *kf_mech_name(enum kf_mech m)
{
	for (size_t i = 0; i < N_MECHS; i++)
		if (mech_table[i].mech == m)
			return mech_table[i].name;
	return NULL;
}

enum kf_mech kf_mech_from_oid(struct kf_span oid)
{
	for (size_t i = 0; i < N_MECHS; i++)
		if (oid.n == mech_table[i].oid_len && memcmp(oid.p, mech_table[i].oid, oid.n) == 0)
			return mech_table[i].mech;
	return KF_MECH_UNKNOWN;
}

static bool is_krb5_mech(enum kf_mech m)
{
	return m == KF_MECH_KRB5 || m == KF_MECH_MS_KRB5 || m == KF_MECH_KRB5_U2U || m == KF_MECH_IAKERB;
}

const char *kf_oid_to_string(struct kf_span oid, char *buf, size_t len)
{
	if (len == 0)
		return NULL;
	buf[0] = '\0';
	if (oid.n == 0 || (oid.p[oid.n - 1] & 0x80))
		return NULL;
	size_t o = 0;
	bool first = true;
	size_t i = 0;
	while (i < oid.n) {
		/* X.690 §8.19.2: base-128 subidentifier, no leading 0x80 octet. */
		if (oid.p[i] == 0x80)
			goto out_invalid;
		uint64_t v = 0;
		for (;;) {
			if (v > (UINT64_MAX >> 7))
				goto out_invalid;
			v = (v << 7) | (oid.p[i] & 0x7f);
			if (!(oid.p[i++] & 0x80))
				break;
		}
		int w;
		if (first) {
			/* X.690 §8.19.4: the first subidentifier packs two arcs. */
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
			w = snprintf(buf + o, len - o, "%u.%llu", a, (unsigned long long)(v - 40u * a));
			first = false;
		} else {
			w = snprintf(buf + o, len - o, ".%llu", (unsigned long long)v);
		}
		if (w < 0 || (size_t)w >= len - o)
			goto out_invalid;
		o += (size_t)w;
	}
	return buf;

out_invalid:
	buf[0] = '\0';
	return NULL;
}

/* ----------------------------------------------------------- classifying */

enum kf_token_kind kf_token_classify(struct kf_span s)
{
	if (s.n == 0)
		return KF_TOKEN_UNKNOWN;
	if (s.n >= 8 && memcmp(s.p, "NTLMSSP\0", 8) == 0)
		return KF_TOKEN_NTLMSSP;
	switch (s.p[0]) {
	case 0x60: return KF_TOKEN_GSS_FRAMED;
	case 0xa0: return KF_TOKEN_SPNEGO_INIT;
	case 0xa1: return KF_TOKEN_SPNEGO_RESP;
	/* [APPLICATION n] constructed: RFC 4120 §5.10 message types. */
	case 0x6a: /* AS-REQ */
	case 0x6b: /* AS-REP */
	case 0x6c: /* TGS-REQ */
	case 0x6d: /* TGS-REP */
	case 0x6e: /* AP-REQ */
	case 0x6f: /* AP-REP */
	case 0x76: /* KRB-CRED */
	case 0x7e: /* KRB-ERROR */ return KF_TOKEN_KRB5_RAW;
	default: return KF_TOKEN_UNKNOWN;
	}
}

/* ------------------------------------------------------- GSS framing */

/* Raise the specific DER event (if any) and the module's own. */
static void der_fail(struct kf_events *ev, const struct kf_der_tlv *t, enum kf_event module_ev)
{
	if (t->indefinite)
		kf_events_add(ev, KF_EV_DER_INDEFINITE_LENGTH);
	kf_events_add(ev, module_ev);
}

bool kf_gss_unwrap(struct kf_span s, struct kf_gss_token *t, struct kf_events *ev)
{
	memset(t, 0, sizeof *t);
	struct kf_cur c = kf_cur_make(s);
	struct kf_der_tlv outer, oid;
	outer.indefinite = false;
	if (!kf_der_read(&c, &outer)) {
		der_fail(ev, &outer, KF_EV_GSS_MALFORMED);
		return false;
	}
	if (outer.cls != KF_DER_APPLICATION || !outer.constructed || outer.tag != 0) {
		kf_events_add(ev, KF_EV_GSS_MALFORMED);
		return false;
	}
	struct kf_cur in = kf_cur_make(outer.value);
	if (!kf_der_read(&in, &oid)) {
		der_fail(ev, &oid, KF_EV_GSS_MALFORMED);
		return false;
	}
	if (oid.cls != KF_DER_UNIVERSAL || oid.constructed || oid.tag != KF_DER_OID || oid.value.n == 0) {
		kf_events_add(ev, KF_EV_GSS_MALFORMED);
		return false;
	}
	t->mech_oid = oid.value;
	t->mech = kf_mech_from_oid(oid.value);
	t->inner = kf_cur_rest(&in);

	bool ok = true;
	if (is_krb5_mech(t->mech)) {
		struct kf_cur k = kf_cur_make(t->inner);
		uint16_t id = kf_cur_be16(&k);
		if (kf_cur_ok(&k)) {
			t->has_tok_id = true;
			t->tok_id = id;
			t->krb_msg = kf_span_make(k.p, k.n);
		} else {
			ok = false;
		}
	}
	/* The token is the whole span: anything after the framed element is junk. */
	if (kf_cur_left(&c) != 0)
		ok = false;
	if (!ok)
		kf_events_add(ev, KF_EV_GSS_MALFORMED);
	return ok;
}

/* --------------------------------------------------------------- SPNEGO */

const char *kf_neg_state_name(int state)
{
	switch (state) {
	case KF_NEG_ACCEPT_COMPLETED: return "accept-completed";
	case KF_NEG_ACCEPT_INCOMPLETE: return "accept-incomplete";
	case KF_NEG_REJECT: return "reject";
	case KF_NEG_REQUEST_MIC: return "request-mic";
	default: return NULL;
	}
}

/* Walks a SEQUENCE of [n] EXPLICIT fields in increasing tag order. */
struct fields {
	struct kf_cur c;
	int64_t last_tag;
	bool bad;
	bool indefinite;
};

/* Next field: its tag and a cursor over the single element inside it.
 * False at the end of the SEQUENCE or on damage (f->bad). */
static bool next_field(struct fields *f, uint32_t *tag, struct kf_der_tlv *elem)
{
	if (f->bad || kf_cur_left(&f->c) == 0)
		return false;
	struct kf_der_tlv w;
	w.indefinite = false;
	if (!kf_der_read(&f->c, &w) || w.cls != KF_DER_CONTEXT || !w.constructed ||
	    (int64_t)w.tag <= f->last_tag) {
		f->indefinite = w.indefinite;
		f->bad = true;
		return false;
	}
	f->last_tag = w.tag;
	struct kf_cur in = kf_cur_make(w.value);
	elem->indefinite = false;
	if (!kf_der_read(&in, elem) || kf_cur_left(&in) != 0) {
		f->indefinite = elem->indefinite;
		f->bad = true;
		return false;
	}
	*tag = w.tag;
	return true;
}

static bool is_universal(const struct kf_der_tlv *t, uint32_t tag, bool constructed)
{
	return t->cls == KF_DER_UNIVERSAL && t->tag == tag && t->constructed == constructed;
}

static bool decode_mech_list(struct kf_span list, struct kf_spnego *sp, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(list);
	while (kf_cur_left(&c) > 0) {
		struct kf_der_tlv o;
		if (!kf_der_read(&c, &o) || !is_universal(&o, KF_DER_OID, false) || o.value.n == 0)
			return false;
		if (sp->n_mech_types >= KF_LIMIT_SPNEGO_MECHS) {
			if (!sp->mech_types_truncated)
				kf_events_add(ev, KF_EV_TOKEN_LIST_TRUNCATED);
			sp->mech_types_truncated = true;
			continue;
		}
		sp->mech_type_oids[sp->n_mech_types] = o.value;
		sp->mech_types[sp->n_mech_types] = kf_mech_from_oid(o.value);
		sp->n_mech_types++;
	}
	return kf_cur_ok(&c);
}

static bool decode_neg_hints(struct kf_span v, struct kf_spnego *sp)
{
	struct fields f = { kf_cur_make(v), -1, false, false };
	uint32_t tag;
	struct kf_der_tlv e;
	sp->has_neg_hints = true;
	while (next_field(&f, &tag, &e)) {
		if (tag == 0) { /* hintName GeneralString */
			if (!is_universal(&e, KF_DER_GENERAL_STRING, false))
				return false;
			sp->has_hint_name = true;
			sp->hint_name = e.value;
		}
		/* hintAddress [1] and later extensions: skipped */
	}
	return !f.bad;
}

/* NegTokenInit (RFC 4178 §4.2.1) and NegTokenInit2 (MS-SPNG §2.2.1). */
static bool decode_init(struct kf_span seq, struct kf_spnego *sp, struct kf_events *ev, bool *indef)
{
	struct fields f = { kf_cur_make(seq), -1, false, false };
	uint32_t tag;
	struct kf_der_tlv e;
	sp->is_init = true;
	while (next_field(&f, &tag, &e)) {
		switch (tag) {
		case 0: /* mechTypes MechTypeList */
			if (!is_universal(&e, KF_DER_SEQUENCE, true) || !decode_mech_list(e.value, sp, ev))
				return false;
			break;
		case 1: /* reqFlags ContextFlags */
			if (!is_universal(&e, KF_DER_BIT_STRING, false) ||
			    !kf_der_bits32(e.value, &sp->req_flags))
				return false;
			sp->has_req_flags = true;
			break;
		case 2: /* mechToken */
			if (!is_universal(&e, KF_DER_OCTET_STRING, false))
				return false;
			sp->has_mech_token = true;
			sp->mech_token = e.value;
			break;
		case 3: /* mechListMIC (RFC 4178) or negHints (MS-SPNG), told apart by type */
			if (is_universal(&e, KF_DER_OCTET_STRING, false)) {
				sp->has_mech_list_mic = true;
			} else if (is_universal(&e, KF_DER_SEQUENCE, true)) {
				if (!decode_neg_hints(e.value, sp))
					return false;
			} else {
				return false;
			}
			break;
		case 4: /* mechListMIC after negHints (MS-SPNG) */
			if (!is_universal(&e, KF_DER_OCTET_STRING, false))
				return false;
			sp->has_mech_list_mic = true;
			break;
		default: break;
		}
	}
	*indef = f.indefinite;
	return !f.bad;
}

/* NegTokenResp (RFC 4178 §4.2.2). */
static bool decode_resp(struct kf_span seq, struct kf_spnego *sp, bool *indef)
{
	struct fields f = { kf_cur_make(seq), -1, false, false };
	uint32_t tag;
	struct kf_der_tlv e;
	sp->is_init = false;
	bool ok = true;
	while (next_field(&f, &tag, &e)) {
		switch (tag) {
		case 0: { /* negState ENUMERATED */
			int64_t v;
			if (!is_universal(&e, KF_DER_ENUMERATED, false) || !kf_der_int(e.value, &v))
				return false;
			sp->has_neg_state = true;
			sp->neg_state = (v >= INT32_MIN && v <= INT32_MAX) ? (int)v : -1;
			if (v < KF_NEG_ACCEPT_COMPLETED || v > KF_NEG_REQUEST_MIC)
				ok = false; /* keep going: the other fields still say something */
			break;
		}
		case 1: /* supportedMech */
			if (!is_universal(&e, KF_DER_OID, false) || e.value.n == 0)
				return false;
			sp->has_supported_mech = true;
			sp->supported_mech_oid = e.value;
			sp->supported_mech = kf_mech_from_oid(e.value);
			break;
		case 2: /* responseToken */
			if (!is_universal(&e, KF_DER_OCTET_STRING, false))
				return false;
			sp->has_response_token = true;
			sp->response_token = e.value;
			break;
		case 3: /* mechListMIC */
			if (!is_universal(&e, KF_DER_OCTET_STRING, false))
				return false;
			sp->has_mech_list_mic = true;
			break;
		default: break;
		}
	}
	*indef = f.indefinite;
	return ok && !f.bad;
}

bool kf_spnego_decode(struct kf_span s, struct kf_spnego *sp, struct kf_events *ev)
{
	memset(sp, 0, sizeof *sp);
	struct kf_span body = s;
	if (kf_token_classify(s) == KF_TOKEN_GSS_FRAMED) {
		struct kf_gss_token t;
		struct kf_events gev = { 0 };
		if (!kf_gss_unwrap(s, &t, &gev) || t.mech != KF_MECH_SPNEGO) {
			for (unsigned i = 0; i < gev.n; i++)
				if (gev.ev[i] == KF_EV_DER_INDEFINITE_LENGTH)
					kf_events_add(ev, KF_EV_DER_INDEFINITE_LENGTH);
			kf_events_add(ev, KF_EV_SPNEGO_MALFORMED);
			return false;
		}
		body = t.inner;
	}

	struct kf_cur c = kf_cur_make(body);
	struct kf_der_tlv choice, seq;
	bool indef = false, ok = false;
	choice.indefinite = false;
	seq.indefinite = false;
	if (!kf_der_read(&c, &choice)) {
		indef = choice.indefinite;
		goto out_event;
	}
	if (choice.cls != KF_DER_CONTEXT || !choice.constructed || choice.tag > 1 || kf_cur_left(&c) != 0)
		goto out_event;
	struct kf_cur in = kf_cur_make(choice.value);
	if (!kf_der_read(&in, &seq)) {
		indef = seq.indefinite;
		goto out_event;
	}
	if (!is_universal(&seq, KF_DER_SEQUENCE, true) || kf_cur_left(&in) != 0)
		goto out_event;
	if (choice.tag == 0)
		ok = decode_init(seq.value, sp, ev, &indef);
	else
		ok = decode_resp(seq.value, sp, &indef);
	if (ok)
		return true;

out_event:
	if (indef)
		kf_events_add(ev, KF_EV_DER_INDEFINITE_LENGTH);
	kf_events_add(ev, KF_EV_SPNEGO_MALFORMED);
	return false;
}

/* ------------------------------------------------ per-message tokens */

const char *kf_gss_perm_mech_name(enum kf_gss_perm_mech m)
{
	switch (m) {
	case KF_GSS_PERM_KRB5_4121: return "kerberos-rfc4121";
	case KF_GSS_PERM_KRB5_1964: return "kerberos-rfc1964";
	case KF_GSS_PERM_NTLM: return "ntlm";
	default: return NULL;
	}
}

/* RFC 4121 §4.2.6: TOK_ID, Flags, then filler 0xff up to SND_SEQ (MIC:
 * five bytes) or one filler byte, EC and RRC (Wrap). */
static bool perm_4121(struct kf_cur *c, struct kf_gss_perm *p)
{
	uint16_t id = kf_cur_be16(c);
	p->wrap = id == 0x0504;
	p->flags = kf_cur_u8(c);
	if (p->flags & ~0x07u)
		return false; /* reserved flag bits are zero */
	if (p->wrap) {
		if (kf_cur_u8(c) != 0xff)
			return false;
		p->ec = kf_cur_be16(c);
		p->rrc = kf_cur_be16(c);
	} else {
		for (int i = 0; i < 5; i++)
			if (kf_cur_u8(c) != 0xff)
				return false;
	}
	uint32_t hi = kf_cur_be32(c), lo = kf_cur_be32(c);
	if (!kf_cur_ok(c))
		return false;
	p->mech = KF_GSS_PERM_KRB5_4121;
	p->sent_by_acceptor = p->flags & KF_GSS_4121_SENT_BY_ACCEPTOR;
	p->acceptor_subkey = p->flags & KF_GSS_4121_ACCEPTOR_SUBKEY;
	p->sealed_known = true;
	p->sealed = p->wrap && (p->flags & KF_GSS_4121_SEALED);
	p->has_seq = true;
	p->seq = (uint64_t)hi << 32 | lo;
	return true;
}

/* RFC 1964 §1.2: [APPLICATION 0] { krb5 OID, TOK_ID, SGN_ALG, SEAL_ALG
 * (Wrap) or filler (MIC), filler }.  The outer length covers the whole
 * token, which the caller may not have: it is read, not checked against
 * the prefix. */
static bool perm_1964(struct kf_cur *c, struct kf_gss_perm *p)
{
	if (kf_cur_u8(c) != 0x60)
		return false;
	uint8_t len0 = kf_cur_u8(c);
	if (len0 & 0x80) {
		unsigned n = len0 & 0x7fu;
		if (n == 0 || n > 4)
			return false;
		kf_cur_skip(c, n);
	}
	if (kf_cur_u8(c) != 0x06)
		return false;
	uint8_t oid_len = kf_cur_u8(c);
	struct kf_span oid = kf_cur_bytes(c, oid_len);
	if (!kf_cur_ok(c) || !is_krb5_mech(kf_mech_from_oid(oid)))
		return false;
	uint16_t id = kf_cur_be16(c);
	if (id != 0x0101 && id != 0x0201)
		return false;
	p->wrap = id == 0x0201;
	p->sgn_alg = kf_cur_le16(c);
	p->seal_alg = kf_cur_le16(c);
	uint16_t filler = kf_cur_be16(c);
	if (!kf_cur_ok(c) || filler != 0xffff)
		return false;
	if (!p->wrap && p->seal_alg != KF_GSS_1964_SEAL_NONE)
		return false; /* a MIC's second field is filler */
	p->mech = KF_GSS_PERM_KRB5_1964;
	p->sealed_known = true;
	p->sealed = p->wrap && p->seal_alg != KF_GSS_1964_SEAL_NONE;
	return true;
}

bool kf_gss_perm_decode(struct kf_span prefix, struct kf_gss_perm *p)
{
	memset(p, 0, sizeof *p);
	struct kf_cur c = kf_cur_make(prefix);
	bool ok = false;
	if (prefix.n >= 2 && (prefix.p[1] == 0x04) && (prefix.p[0] == 0x04 || prefix.p[0] == 0x05)) {
		ok = perm_4121(&c, p);
	} else if (prefix.n >= 1 && prefix.p[0] == 0x60) {
		ok = perm_1964(&c, p);
	} else if (prefix.n >= KF_GSS_NTLM_SIGNATURE_LEN) {
		ok = kf_cur_le32(&c) == 1; /* NTLMSSP_MESSAGE_SIGNATURE Version */
		kf_cur_skip(&c, KF_GSS_NTLM_SIGNATURE_LEN - 4);
		if (ok)
			p->mech = KF_GSS_PERM_NTLM;
	}
	if (!ok || !kf_cur_ok(&c)) {
		memset(p, 0, sizeof *p);
		return false;
	}
	p->header_len = prefix.n - kf_cur_left(&c);
	return true;
}
