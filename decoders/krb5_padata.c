/* krb5_padata.c - krbflow's own DER reading of Kerberos pieces: PA-DATA
 * values, KRB-ERROR e-data and the fallback skim (see krb5_padata.h).
 *
 * Normative references: RFC 4120 §5.2 (basic types), §5.2.7 (PA-DATA,
 * ETYPE-INFO, ETYPE-INFO2), §5.3-§5.9 (messages), §5.9.1 (e-data as
 * METHOD-DATA / TYPED-DATA); MS-SFU §2.2.1 (PA-FOR-USER), §2.2.2
 * (PA-S4U-X509-USER); MS-KILE §2.2.1 (KERB-EXT-ERROR), §2.2.2
 * (KERB-ERROR-DATA), §2.2.3 (KERB-PA-PAC-REQUEST), §2.2.10 (PA-PAC-OPTIONS);
 * draft-ietf-cat-user2user (TGT-REQ/TGT-REP).
 *
 * Accepted subset: what der.h reads (definite lengths, low and high tag
 * numbers).  Elements are read in order; unknown context tags inside a
 * SEQUENCE are skipped (ASN.1 extensibility), but an element that is
 * present and malformed makes its decoder return false.
 */
#include "krb5_padata.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

void kf_krb5_event_once(struct kf_events *ev, enum kf_event e)
{
	if (!ev)
		return;
	for (unsigned i = 0; i < ev->n; i++)
		if (ev->ev[i] == (uint16_t)e)
			return;
	kf_events_add(ev, e);
}

void kf_krb5_list_add(int32_t *list, uint8_t *n, unsigned cap, int32_t v, struct kf_events *ev)
{
	if (*n >= cap) {
		kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
		return;
	}
	list[(*n)++] = v;
}

bool kf_krb5_text_append(char *dst, size_t cap, struct kf_span s)
{
	size_t len = strnlen(dst, cap);
	if (len >= cap) /* caller broke the contract; keep the buffer terminated */
		len = cap - 1;
	for (size_t i = 0; i < s.n; i++) {
		if (len + 1 >= cap) {
			dst[len] = '\0';
			return false;
		}
		uint8_t b = s.p[i];
		dst[len++] = (b >= 0x20 && b <= 0x7e) ? (char)b : '?';
	}
	dst[len] = '\0';
	return true;
}

void kf_krb5_addr_format(int32_t addr_type, struct kf_span a, char *out, size_t cap)
{
	if (cap == 0)
		return;
	out[0] = '\0';
	if (addr_type == 2 && a.n == 4) { /* ADDRTYPE_INET */
		snprintf(out, cap, "%u.%u.%u.%u", a.p[0], a.p[1], a.p[2], a.p[3]);
		return;
	}
	if (addr_type == 24 && a.n == 16) { /* ADDRTYPE_INET6 */
		char buf[INET6_ADDRSTRLEN];
		if (inet_ntop(AF_INET6, a.p, buf, sizeof buf))
			snprintf(out, cap, "%s", buf);
		return;
	}
	if (addr_type == 20) { /* ADDRTYPE_NETBIOS: 16 bytes, space padded */
		size_t n = a.n;
		while (n > 0 && (a.p[n - 1] == ' ' || a.p[n - 1] == '\0'))
			n--;
		(void)kf_krb5_text_append(out, cap, kf_span_make(a.p, n));
		return;
	}
	int w = snprintf(out, cap, "addrtype-%d:", (int)addr_type);
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0, o = (w > 0 ? (size_t)w : 0); i < a.n && o + 3 <= cap; i++) {
		out[o++] = hex[a.p[i] >> 4];
		out[o++] = hex[a.p[i] & 15];
		out[o] = '\0';
	}
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned mo, unsigned d)
{
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (mo + (mo > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

bool kf_krb5_time_parse(struct kf_span v, int64_t *out)
{
	/* YYYYMMDDHHMMSS[.f...]Z */
	if (v.n < 15 || v.p[v.n - 1] != 'Z')
		return false;
	unsigned d[14];
	for (int i = 0; i < 14; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		d[i] = v.p[i] - '0';
	}
	for (size_t i = 14; i + 1 < v.n; i++)
		if (!(i == 14 ? v.p[i] == '.' : (v.p[i] >= '0' && v.p[i] <= '9')))
			return false;
	unsigned year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
	unsigned mon = d[4] * 10 + d[5], day = d[6] * 10 + d[7];
	unsigned hh = d[8] * 10 + d[9], mm = d[10] * 10 + d[11], ss = d[12] * 10 + d[13];
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return false;
	*out = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return true;
}

/* One TLV filling `tlv` exactly, of the given class and tag. */
static bool expect(struct kf_span tlv, uint8_t cls, uint32_t tag, struct kf_span *val)
{
	struct kf_cur c = kf_cur_make(tlv);
	struct kf_der_tlv t;
	if (!kf_der_read(&c, &t) || t.cls != cls || t.tag != tag || kf_cur_left(&c) != 0)
		return false;
	*val = t.value;
	return true;
}

/* Open a SEQUENCE filling `tlv` exactly. */
static bool open_seq(struct kf_span tlv, struct kf_cur *seq)
{
	struct kf_span v;
	if (!expect(tlv, KF_DER_UNIVERSAL, KF_DER_SEQUENCE, &v))
		return false;
	*seq = kf_cur_make(v);
	return true;
}

/* The next element of a SEQUENCE when it is [n]: *inner is its contents
 * (one TLV).  Leaves the cursor alone otherwise. */
static bool field(struct kf_cur *seq, uint32_t n, struct kf_span *inner)
{
	struct kf_cur w;
	if (!kf_der_read_if(seq, KF_DER_CONTEXT, n, &w))
		return false;
	*inner = kf_cur_rest(&w);
	return true;
}

static bool int_of(struct kf_span tlv, int64_t *v)
{
	struct kf_span val;
	return expect(tlv, KF_DER_UNIVERSAL, KF_DER_INTEGER, &val) && kf_der_int(val, v);
}

static bool int32_of(struct kf_span tlv, int32_t *v)
{
	int64_t x;
	if (!int_of(tlv, &x) || x < INT32_MIN || x > INT32_MAX)
		return false;
	*v = (int32_t)x;
	return true;
}

/* UInt32 (RFC 4120 §5.2.4); Windows writes some as negative 4-byte
 * INTEGERs, so the signed range is accepted and reinterpreted. */
static bool uint32_of(struct kf_span tlv, uint32_t *v)
{
	int64_t x;
	if (!int_of(tlv, &x) || x < INT32_MIN || x > (int64_t)UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool bits_of(struct kf_span tlv, uint32_t *v)
{
	struct kf_span val;
	return expect(tlv, KF_DER_UNIVERSAL, KF_DER_BIT_STRING, &val) && kf_der_bits32(val, v);
}

static bool time_of(struct kf_span tlv, int64_t *v)
{
	struct kf_span val;
	return expect(tlv, KF_DER_UNIVERSAL, KF_DER_GENERALIZED, &val) && kf_krb5_time_parse(val, v);
}

static bool octets_of(struct kf_span tlv, struct kf_span *v)
{
	return expect(tlv, KF_DER_UNIVERSAL, KF_DER_OCTET_STRING, v);
}

/* ------------------------------------------------------ basic Kerberos types */

bool kf_krb5_der_string(struct kf_span tlv, char *out, size_t cap, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(tlv);
	struct kf_der_tlv t;
	if (cap)
		out[0] = '\0';
	if (!kf_der_read(&c, &t) || kf_cur_left(&c) != 0 || t.cls != KF_DER_UNIVERSAL || t.constructed)
		return false;
	switch (t.tag) {
	case KF_DER_GENERAL_STRING: /* KerberosString, RFC 4120 §5.2.1 */
	case KF_DER_UTF8_STRING:
	case KF_DER_IA5_STRING:
	case KF_DER_OCTET_STRING: /* ETYPE-INFO salt, Windows oddities */
	case 19:                  /* PrintableString */
	case 26: /* VisibleString */ break;
	default: return false;
	}
	if (!kf_krb5_text_append(out, cap, t.value))
		kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
	return true;
}

bool kf_krb5_der_principal(struct kf_span tlv, char *out, size_t cap, int32_t *name_type,
			   struct kf_events *ev)
{
	struct kf_cur seq, names;
	struct kf_span f;
	if (cap)
		out[0] = '\0';
	if (!open_seq(tlv, &seq) || !field(&seq, 0, &f) || !int32_of(f, name_type) || !field(&seq, 1, &f) ||
	    !open_seq(f, &names))
		return false;
	unsigned ncomp = 0;
	bool cut = false;
	while (kf_cur_left(&names) > 0) {
		struct kf_der_tlv t;
		if (!kf_der_read(&names, &t))
			return false;
		if (t.cls != KF_DER_UNIVERSAL || t.constructed)
			return false;
		if (cut)
			continue;
		if (ncomp == KF_LIMIT_PRINC_COMPONENTS) {
			cut = true;
			kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
			continue;
		}
		if (ncomp > 0 && !kf_krb5_text_append(out, cap, kf_span_make("/", 1)))
			cut = true;
		if (!cut && !kf_krb5_text_append(out, cap, t.value))
			cut = true;
		if (cut)
			kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
		ncomp++;
	}
	return true;
}

bool kf_krb5_der_enc_data(struct kf_span tlv, int32_t *etype, bool *has_kvno, uint32_t *kvno)
{
	struct kf_cur seq;
	struct kf_span f, cipher;
	*has_kvno = false;
	if (!open_seq(tlv, &seq) || !field(&seq, 0, &f) || !int32_of(f, etype))
		return false;
	if (field(&seq, 1, &f)) {
		if (!uint32_of(f, kvno))
			return false;
		*has_kvno = true;
	}
	return field(&seq, 2, &f) && octets_of(f, &cipher);
}

bool kf_krb5_der_ticket(struct kf_span tlv, struct kf_krb_ticket *t, struct kf_events *ev)
{
	struct kf_span body, f;
	struct kf_cur seq;
	int64_t vno;
	int32_t nt;
	memset(t, 0, sizeof *t);
	if (!expect(tlv, KF_DER_APPLICATION, 1, &body) || !open_seq(body, &seq) || !field(&seq, 0, &f) ||
	    !int_of(f, &vno) || !field(&seq, 1, &f) ||
	    !kf_krb5_der_string(f, t->realm, sizeof t->realm, ev) || !field(&seq, 2, &f) ||
	    !kf_krb5_der_principal(f, t->sname, sizeof t->sname, &nt, ev) || !field(&seq, 3, &f) ||
	    !kf_krb5_der_enc_data(f, &t->etype, &t->has_kvno, &t->kvno)) {
		memset(t, 0, sizeof *t);
		return false;
	}
	t->present = true;
	return true;
}

bool kf_krb5_der_ap_req(struct kf_span tlv, uint32_t *ap_options, struct kf_krb_ticket *t,
			int32_t *auth_etype, struct kf_events *ev)
{
	struct kf_span body, f;
	struct kf_cur seq;
	int64_t pvno, mt;
	bool has_kvno;
	uint32_t kvno;
	if (!expect(tlv, KF_DER_APPLICATION, KF_KRB_AP_REQ, &body) || !open_seq(body, &seq) ||
	    !field(&seq, 0, &f) || !int_of(f, &pvno) || !field(&seq, 1, &f) || !int_of(f, &mt) ||
	    !field(&seq, 2, &f) || !bits_of(f, ap_options) || !field(&seq, 3, &f) ||
	    !kf_krb5_der_ticket(f, t, ev) || !field(&seq, 4, &f) ||
	    !kf_krb5_der_enc_data(f, auth_etype, &has_kvno, &kvno))
		return false;
	return true;
}

/* ------------------------------------------------------------------ PA-DATA */

static void set_s4u_user(struct kf_krb_msg *m, const char *user, const char *realm, struct kf_events *ev)
{
	if (m->has_s4u_user) /* PA-FOR-USER and PA-S4U-X509-USER name the same user */
		return;
	m->s4u_user[0] = '\0';
	bool ok = kf_krb5_text_append(m->s4u_user, sizeof m->s4u_user, kf_span_make(user, strlen(user))) &&
		  kf_krb5_text_append(m->s4u_user, sizeof m->s4u_user, kf_span_make("@", 1)) &&
		  kf_krb5_text_append(m->s4u_user, sizeof m->s4u_user, kf_span_make(realm, strlen(realm)));
	if (!ok)
		kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
	m->has_s4u_user = true;
}

/* PA-FOR-USER-ENC (MS-SFU §2.2.1): userName [0], userRealm [1], cksum [2],
 * auth-package [3]; only the first two are read. */
static bool pa_for_user(struct kf_span v, struct kf_krb_msg *m, struct kf_events *ev)
{
	struct kf_cur seq;
	struct kf_span f;
	char user[KF_LIMIT_NAME], realm[KF_LIMIT_NAME];
	int32_t nt;
	if (!open_seq(v, &seq) || !field(&seq, 0, &f) ||
	    !kf_krb5_der_principal(f, user, sizeof user, &nt, ev) || !field(&seq, 1, &f) ||
	    !kf_krb5_der_string(f, realm, sizeof realm, ev))
		return false;
	set_s4u_user(m, user, realm, ev);
	return true;
}

/* PA-S4U-X509-USER (MS-SFU §2.2.2): user-id [0] S4UUserID { nonce [0],
 * cname [1] OPTIONAL, crealm [2], subject-certificate [3] OPTIONAL,
 * options [4] OPTIONAL }, checksum [1].  With no cname (certificate only)
 * there is no user name to report. */
static bool pa_s4u_x509_user(struct kf_span v, struct kf_krb_msg *m, struct kf_events *ev)
{
	struct kf_cur seq, uid;
	struct kf_span f;
	uint32_t nonce;
	char user[KF_LIMIT_NAME], realm[KF_LIMIT_NAME];
	int32_t nt;
	bool has_cname = false;
	if (!open_seq(v, &seq) || !field(&seq, 0, &f) || !open_seq(f, &uid) || !field(&uid, 0, &f) ||
	    !uint32_of(f, &nonce))
		return false;
	if (field(&uid, 1, &f)) {
		if (!kf_krb5_der_principal(f, user, sizeof user, &nt, ev))
			return false;
		has_cname = true;
	}
	if (!field(&uid, 2, &f) || !kf_krb5_der_string(f, realm, sizeof realm, ev))
		return false;
	if (has_cname)
		set_s4u_user(m, user, realm, ev);
	return true;
}

/* PA-PAC-OPTIONS ::= SEQUENCE { options [0] PAC-OPTIONS-FLAGS } (MS-KILE §2.2.10). */
static bool pa_pac_options(struct kf_span v, struct kf_krb_msg *m)
{
	struct kf_cur seq;
	struct kf_span f;
	uint32_t bits;
	if (!open_seq(v, &seq) || !field(&seq, 0, &f) || !bits_of(f, &bits))
		return false;
	m->has_pac_options = true;
	m->pac_options = bits;
	return true;
}

/* KERB-PA-PAC-REQUEST ::= SEQUENCE { include-pac [0] BOOLEAN } (MS-KILE §2.2.3). */
static bool pa_pac_request(struct kf_span v, struct kf_krb_msg *m)
{
	struct kf_cur seq;
	struct kf_span f, b;
	if (!open_seq(v, &seq) || !field(&seq, 0, &f) || !expect(f, KF_DER_UNIVERSAL, 1 /* BOOLEAN */, &b) ||
	    b.n != 1)
		return false;
	m->has_pac_request = true;
	m->pac_request = b.p[0] != 0;
	return true;
}

/* ETYPE-INFO2 (RFC 4120 §5.2.7.5) or ETYPE-INFO (§5.2.7.4): SEQUENCE OF
 * { etype [0], salt [1] OPTIONAL, s2kparams [2] OPTIONAL (INFO2 only) }. */
static bool etype_info(struct kf_span v, struct kf_krb_msg *m, struct kf_events *ev)
{
	struct kf_cur seq;
	if (!open_seq(v, &seq))
		return false;
	while (kf_cur_left(&seq) > 0) {
		struct kf_der_tlv t;
		struct kf_cur e;
		struct kf_span f;
		struct kf_krb_etype_info ei;
		memset(&ei, 0, sizeof ei);
		if (!kf_der_read(&seq, &t) || t.cls != KF_DER_UNIVERSAL || t.tag != KF_DER_SEQUENCE)
			return false;
		e = kf_cur_make(t.value);
		if (!field(&e, 0, &f) || !int32_of(f, &ei.etype))
			return false;
		if (field(&e, 1, &f)) {
			if (!kf_krb5_der_string(f, ei.salt, sizeof ei.salt, ev))
				return false;
			ei.has_salt = true;
		}
		if (m->n_etype_info >= KF_LIMIT_ETYPE_INFO) {
			kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
			continue;
		}
		m->etype_info[m->n_etype_info++] = ei;
	}
	return true;
}

/* KERB-EXT-ERROR (MS-KILE §2.2.1): little-endian status, reserved, flags. */
static bool ext_error(struct kf_span v, struct kf_krb_msg *m)
{
	if (v.n != 12)
		return false;
	struct kf_cur c = kf_cur_make(v);
	m->ntstatus = kf_cur_le32(&c);
	m->has_ntstatus = true;
	return true;
}

void kf_krb5_padata_value(enum kf_krb5_pa_ctx ctx, int32_t type, struct kf_span value, struct kf_krb_msg *m,
			  struct kf_events *ev)
{
	bool ok = true;
	switch (type) {
	case 1: { /* PA-TGS-REQ: an AP-REQ */
		uint32_t apo = 0;
		int32_t auth_etype = 0;
		struct kf_krb_ticket t;
		memset(&t, 0, sizeof t);
		ok = kf_krb5_der_ap_req(value, &apo, &t, &auth_etype, ev);
		if (ok && !m->ticket.present) {
			m->ticket = t;
			m->has_ap_options = true;
			m->ap_options = apo;
		}
		break;
	}
	case 3: /* PA-PW-SALT: Windows puts KERB-EXT-ERROR here in KRB-ERRORs */
		if (ctx == KF_KRB5_PA_ERROR && value.n == 12) {
			struct kf_cur c = kf_cur_make(value);
			uint32_t status = kf_cur_le32(&c);
			/* A real salt is text; an NTSTATUS of warning or error
			 * severity has a top byte of 0x80-0xFF. */
			if (status & 0x80000000u)
				ok = ext_error(value, m);
		}
		break;
	case 11: /* PA-ETYPE-INFO */
	case 19: /* PA-ETYPE-INFO2 */
		if (ctx != KF_KRB5_PA_REQUEST)
			ok = etype_info(value, m, ev);
		break;
	case 128: ok = pa_pac_request(value, m); break;
	case 129: ok = pa_for_user(value, m, ev); break;
	case 130: ok = pa_s4u_x509_user(value, m, ev); break;
	case 167: ok = pa_pac_options(value, m); break;
	default: break;
	}
	if (!ok)
		kf_events_add(ev, KF_EV_KRB_PADATA_MALFORMED);
}

/* SEQUENCE OF PA-DATA { padata-type [1] Int32, padata-value [2] OCTET STRING }:
 * types appended to list, values decoded.  False when the sequence itself is
 * malformed (entries read so far are kept). */
static bool padata_seq(struct kf_span tlv, enum kf_krb5_pa_ctx ctx, int32_t *list, uint8_t *n,
		       struct kf_krb_msg *m, struct kf_events *ev)
{
	struct kf_cur seq;
	if (!open_seq(tlv, &seq))
		return false;
	while (kf_cur_left(&seq) > 0) {
		struct kf_der_tlv t;
		struct kf_cur e;
		struct kf_span f, val;
		int32_t type;
		if (!kf_der_read(&seq, &t) || t.cls != KF_DER_UNIVERSAL || t.tag != KF_DER_SEQUENCE)
			return false;
		e = kf_cur_make(t.value);
		if (!field(&e, 1, &f) || !int32_of(f, &type) || !field(&e, 2, &f) || !octets_of(f, &val))
			return false;
		kf_krb5_list_add(list, n, KF_LIMIT_PADATA, type, ev);
		kf_krb5_padata_value(ctx, type, val, m, ev);
	}
	return true;
}

void kf_krb5_edata(struct kf_span e_data, struct kf_krb_msg *m, struct kf_events *ev)
{
	struct kf_cur seq;
	uint8_t cls;
	bool cons;
	uint32_t tag;
	bool ok = false;
	if (open_seq(e_data, &seq) && kf_der_peek(&seq, &cls, &cons, &tag)) {
		if (cls == KF_DER_UNIVERSAL && tag == KF_DER_SEQUENCE) {
			/* SEQUENCE OF SEQUENCE: PA-DATA starts with [1], TYPED-DATA with [0] */
			struct kf_cur first = seq, inner;
			struct kf_der_tlv t;
			if (kf_der_read(&first, &t)) {
				inner = kf_cur_make(t.value);
				if (kf_der_peek(&inner, &cls, &cons, &tag) && cls == KF_DER_CONTEXT &&
				    tag == 1) {
					ok = padata_seq(e_data, KF_KRB5_PA_ERROR, m->edata_padata,
							&m->n_edata_padata, m, ev);
				} else if (cls == KF_DER_CONTEXT && tag == 0) {
					ok = true;
					while (ok && kf_cur_left(&seq) > 0) {
						struct kf_cur td;
						struct kf_span f;
						int32_t type;
						ok = kf_der_read_if(&seq, KF_DER_UNIVERSAL, KF_DER_SEQUENCE,
								    &td) &&
						     field(&td, 0, &f) && int32_of(f, &type);
						if (ok)
							kf_krb5_list_add(m->edata_padata, &m->n_edata_padata,
									 KF_LIMIT_PADATA, type, ev);
					}
				}
			}
		} else if (cls == KF_DER_CONTEXT && tag == 1) {
			/* KERB-ERROR-DATA (MS-KILE §2.2.2) */
			struct kf_span f, val;
			int64_t dtype;
			ok = field(&seq, 1, &f) && int_of(f, &dtype);
			if (ok && field(&seq, 2, &f)) {
				ok = octets_of(f, &val);
				if (ok && dtype == 3) /* KERB_ERR_TYPE_EXTENDED */
					ok = ext_error(val, m);
			}
		}
	}
	if (!ok)
		kf_events_add(ev, KF_EV_KRB_PADATA_MALFORMED);
}

/* --------------------------------------------------------------- the skim */

/* Read the next TLV header without requiring its contents to be present:
 * *inner covers what is there, *cut says whether it was cut short. */
static bool next_lenient(struct kf_cur *c, uint8_t *cls, uint32_t *tag, struct kf_cur *inner, bool *cut)
{
	struct kf_cur h = *c;
	uint8_t id = kf_cur_u8(&h);
	uint8_t l0 = kf_cur_u8(&h);
	size_t len = 0;
	if (!kf_cur_ok(&h) || (id & 0x1f) == 0x1f || l0 == 0x80 || l0 > 0x84)
		return false;
	if (l0 < 0x80) {
		len = l0;
	} else {
		for (unsigned i = 0; i < (l0 & 0x7fu); i++)
			len = (len << 8) | kf_cur_u8(&h);
		if (!kf_cur_ok(&h))
			return false;
	}
	*cls = (uint8_t)(id >> 6);
	*tag = id & 0x1fu;
	*cut = len > kf_cur_left(&h);
	*inner = kf_cur_sub(&h, *cut ? kf_cur_left(&h) : len);
	*c = h;
	return true;
}

static void set_str(struct kf_span tlv, char *out, size_t cap, bool *has, struct kf_events *ev, bool *ok)
{
	if (kf_krb5_der_string(tlv, out, cap, ev))
		*has = true;
	else
		*ok = false;
}

static void set_name(struct kf_span tlv, char *out, size_t cap, int32_t *nt, bool *has, struct kf_events *ev,
		     bool *ok)
{
	if (kf_krb5_der_principal(tlv, out, cap, nt, ev))
		*has = true;
	else
		*ok = false;
}

static void set_time(struct kf_span tlv, int64_t *out, bool *has, bool *ok)
{
	if (time_of(tlv, out))
		*has = true;
	else
		*ok = false;
}

static void set_enc_etype(struct kf_span tlv, struct kf_krb_msg *m, bool *ok)
{
	bool hk;
	uint32_t kvno;
	if (kf_krb5_der_enc_data(tlv, &m->enc_etype, &hk, &kvno))
		m->has_enc_etype = true;
	else
		*ok = false;
}

static void add_ticket(struct kf_span tlv, struct kf_krb_msg *m, struct kf_events *ev, bool *ok)
{
	struct kf_krb_ticket t;
	if (!kf_krb5_der_ticket(tlv, &t, ev)) {
		*ok = false;
		return;
	}
	if (m->n_additional_tickets >= KF_LIMIT_ADDL_TICKETS) {
		kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
		return;
	}
	m->additional_tickets[m->n_additional_tickets++] = t;
}

/* KDC-REQ-BODY (RFC 4120 §5.4.1), possibly cut short. */
static bool skim_req_body(struct kf_cur body, struct kf_krb_msg *m, struct kf_events *ev)
{
	bool ok = true;
	while (ok && kf_cur_left(&body) > 0) {
		uint8_t cls;
		uint32_t tag;
		struct kf_cur in;
		bool cut;
		if (!next_lenient(&body, &cls, &tag, &in, &cut) || cls != KF_DER_CONTEXT)
			return false;
		struct kf_span v = kf_cur_rest(&in);
		struct kf_cur seq;
		switch (tag) {
		case 0:
			m->has_kdc_options = bits_of(v, &m->kdc_options);
			ok = m->has_kdc_options;
			break;
		case 1: set_name(v, m->cname, sizeof m->cname, &m->cname_type, &m->has_cname, ev, &ok); break;
		case 2: set_str(v, m->realm, sizeof m->realm, &m->has_realm, ev, &ok); break;
		case 3: set_name(v, m->sname, sizeof m->sname, &m->sname_type, &m->has_sname, ev, &ok); break;
		case 4: set_time(v, &m->from, &m->has_from, &ok); break;
		case 5: set_time(v, &m->till, &m->has_till, &ok); break;
		case 6: set_time(v, &m->rtime, &m->has_rtime, &ok); break;
		case 7:
			m->has_nonce = uint32_of(v, &m->nonce);
			ok = m->has_nonce;
			break;
		case 8:
			if (!open_seq(v, &seq)) {
				ok = false;
				break;
			}
			while (ok && kf_cur_left(&seq) > 0) {
				struct kf_der_tlv t;
				int32_t e;
				ok = kf_der_read(&seq, &t) && t.cls == KF_DER_UNIVERSAL &&
				     t.tag == KF_DER_INTEGER;
				if (ok) {
					int64_t x;
					ok = kf_der_int(t.value, &x) && x >= INT32_MIN && x <= INT32_MAX;
					e = (int32_t)x;
					if (ok && m->n_etypes < KF_LIMIT_ETYPES)
						m->etypes[m->n_etypes++] = e;
					else if (ok)
						kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
				}
			}
			break;
		case 9:
			if (!open_seq(v, &seq)) {
				ok = false;
				break;
			}
			while (ok && kf_cur_left(&seq) > 0) {
				struct kf_cur ha;
				struct kf_span f, a;
				int32_t at;
				ok = kf_der_read_if(&seq, KF_DER_UNIVERSAL, KF_DER_SEQUENCE, &ha) &&
				     field(&ha, 0, &f) && int32_of(f, &at) && field(&ha, 1, &f) &&
				     octets_of(f, &a);
				if (!ok)
					break;
				if (m->n_addresses >= KF_LIMIT_ADDRESSES) {
					kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
					continue;
				}
				kf_krb5_addr_format(at, a, m->addresses[m->n_addresses],
						    sizeof m->addresses[0]);
				m->n_addresses++;
			}
			break;
		case 11:
			if (!open_seq(v, &seq)) {
				ok = false;
				break;
			}
			while (ok && kf_cur_left(&seq) > 0) {
				struct kf_der_tlv t;
				const uint8_t *start = seq.p;
				ok = kf_der_read(&seq, &t);
				if (ok)
					add_ticket(kf_span_make(start, t.header_len + t.value.n), m, ev, &ok);
			}
			break;
		default: /* [10] enc-authorization-data, extensions */ break;
		}
		if (cut)
			return false;
	}
	return ok;
}

bool kf_krb5_skim(struct kf_span body, struct kf_krb_msg *m, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(body), seq;
	uint8_t cls;
	uint32_t tag;
	bool cut, ok = true;
	int t = m->type;
	bool kdc_req = t == KF_KRB_AS_REQ || t == KF_KRB_TGS_REQ;
	if (!next_lenient(&c, &cls, &tag, &seq, &cut) || cls != KF_DER_UNIVERSAL || tag != KF_DER_SEQUENCE)
		return false;
	if (cut || kf_cur_left(&c) != 0)
		ok = false;
	while (kf_cur_left(&seq) > 0) {
		struct kf_cur in;
		bool fcut;
		if (!next_lenient(&seq, &cls, &tag, &in, &fcut) || cls != KF_DER_CONTEXT)
			return false;
		/* KDC-REQ numbers its fields from 1 (RFC 4120 §5.4.1) */
		uint32_t f = kdc_req ? tag - 1 : tag;
		if (kdc_req && tag == 0)
			f = 99;
		if (kdc_req && f == 3) { /* req-body, walked even when cut short */
			struct kf_cur rb;
			uint8_t c2;
			uint32_t t2;
			bool rcut;
			if (!next_lenient(&in, &c2, &t2, &rb, &rcut) || c2 != KF_DER_UNIVERSAL ||
			    t2 != KF_DER_SEQUENCE || !skim_req_body(rb, m, ev) || rcut)
				ok = false;
			/* the body's one realm is the client's only in an AS-REQ */
			if (t == KF_KRB_AS_REQ && m->has_cname && m->has_realm) {
				memcpy(m->crealm, m->realm, sizeof m->crealm);
				m->has_crealm = true;
			}
			if (fcut)
				return false;
			continue;
		}
		if (fcut)
			return false;
		struct kf_span v = kf_cur_rest(&in);
		int64_t x;
		if (f == 0) { /* pvno everywhere */
			if (int_of(v, &x) && x >= 0 && x < 256)
				m->pvno = (int)x;
			else
				ok = false;
			continue;
		}
		if (f == 1) /* msg-type */
			continue;
		switch (t) {
		case KF_KRB_AS_REQ:
		case KF_KRB_TGS_REQ:
			if (f == 2 && !padata_seq(v, KF_KRB5_PA_REQUEST, m->padata, &m->n_padata, m, ev))
				ok = false;
			break;
		case KF_KRB_AS_REP:
		case KF_KRB_TGS_REP:
			if (f == 2 && !padata_seq(v, KF_KRB5_PA_REPLY, m->padata, &m->n_padata, m, ev))
				ok = false;
			else if (f == 3)
				set_str(v, m->crealm, sizeof m->crealm, &m->has_crealm, ev, &ok);
			else if (f == 4)
				set_name(v, m->cname, sizeof m->cname, &m->cname_type, &m->has_cname, ev,
					 &ok);
			else if (f == 5 && !kf_krb5_der_ticket(v, &m->ticket, ev))
				ok = false;
			else if (f == 6)
				set_enc_etype(v, m, &ok);
			break;
		case KF_KRB_AP_REQ:
			if (f == 2) {
				m->has_ap_options = bits_of(v, &m->ap_options);
				ok = ok && m->has_ap_options;
			} else if (f == 3 && !kf_krb5_der_ticket(v, &m->ticket, ev)) {
				ok = false;
			} else if (f == 4) {
				set_enc_etype(v, m, &ok);
			}
			break;
		case KF_KRB_AP_REP:
			if (f == 2)
				set_enc_etype(v, m, &ok);
			break;
		case KF_KRB_PRIV:
			if (f == 3)
				set_enc_etype(v, m, &ok);
			break;
		case KF_KRB_CRED:
			if (f == 2) {
				struct kf_cur tk;
				if (!open_seq(v, &tk)) {
					ok = false;
					break;
				}
				while (kf_cur_left(&tk) > 0) {
					struct kf_der_tlv tt;
					const uint8_t *start = tk.p;
					if (!kf_der_read(&tk, &tt)) {
						ok = false;
						break;
					}
					if (m->n_cred_tickets == 0 &&
					    !kf_krb5_der_ticket(
						    kf_span_make(start, tt.header_len + tt.value.n),
						    &m->ticket, ev))
						ok = false;
					if (m->n_cred_tickets < UINT8_MAX)
						m->n_cred_tickets++;
				}
			} else if (f == 3) {
				set_enc_etype(v, m, &ok);
			}
			break;
		case KF_KRB_TGT_REQ: /* KERB-TGT-REQUEST: server-name [2], realm [3] */
			if (f == 2)
				set_name(v, m->sname, sizeof m->sname, &m->sname_type, &m->has_sname, ev,
					 &ok);
			else if (f == 3)
				set_str(v, m->realm, sizeof m->realm, &m->has_realm, ev, &ok);
			break;
		case KF_KRB_TGT_REP: /* KERB-TGT-REPLY: ticket [2] */
			if (f == 2 && !kf_krb5_der_ticket(v, &m->ticket, ev))
				ok = false;
			break;
		case KF_KRB_ERROR:
			switch (f) {
			case 2: set_time(v, &m->ctime, &m->has_ctime, &ok); break;
			case 3:
			case 5: {
				int32_t us;
				if (!int32_of(v, &us))
					ok = false;
				else if (f == 3)
					m->cusec = us;
				else
					m->susec = us;
				break;
			}
			case 4: set_time(v, &m->stime, &m->has_stime, &ok); break;
			case 6:
				if (!int32_of(v, &m->error_code))
					ok = false;
				break;
			case 7: set_str(v, m->crealm, sizeof m->crealm, &m->has_crealm, ev, &ok); break;
			case 8:
				set_name(v, m->cname, sizeof m->cname, &m->cname_type, &m->has_cname, ev,
					 &ok);
				break;
			case 9: set_str(v, m->realm, sizeof m->realm, &m->has_realm, ev, &ok); break;
			case 10:
				set_name(v, m->sname, sizeof m->sname, &m->sname_type, &m->has_sname, ev,
					 &ok);
				break;
			case 11: set_str(v, m->e_text, sizeof m->e_text, &m->has_e_text, ev, &ok); break;
			case 12: {
				struct kf_span ed;
				if (octets_of(v, &ed)) {
					m->has_e_data = true;
					if (ed.n > 0)
						kf_krb5_edata(ed, m, ev);
				} else {
					ok = false;
				}
				break;
			}
			default: break;
			}
			break;
		default: /* KRB-SAFE: nothing krbflow reports */ break;
		}
	}
	return ok;
}
