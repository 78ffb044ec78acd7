/* check_krb5.c - Kerberos message decoding (decoders/krb5_codec.c,
 * krb5_padata.c, krb5_names.c): RFC 4120 §5, MS-SFU §2.2, MS-KILE §2.2.
 *
 * Valid vectors are built at run time: whole messages with libkrb5's own
 * exported encoders (encode_krb5_*), PA-DATA and e-data contents as DER
 * written out from the ASN.1 modules of RFC 4120, MS-SFU and MS-KILE with
 * the small builder below.  No bytes come from captures.
 */
#include <check.h>
#include <krb5/krb5.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/events.h"
#include "base/limits.h"
#include "krb5.h"
#include "krb5_padata.h"
#include "testutil.h"

/* libkrb5 exports these; they are declared only in its private k5-int.h. */
krb5_error_code encode_krb5_as_req(const krb5_kdc_req *, krb5_data **);
krb5_error_code encode_krb5_tgs_req(const krb5_kdc_req *, krb5_data **);
krb5_error_code encode_krb5_as_rep(const krb5_kdc_rep *, krb5_data **);
krb5_error_code encode_krb5_tgs_rep(const krb5_kdc_rep *, krb5_data **);
krb5_error_code encode_krb5_ap_req(const krb5_ap_req *, krb5_data **);
krb5_error_code encode_krb5_ap_rep(const krb5_ap_rep *, krb5_data **);
krb5_error_code encode_krb5_error(const krb5_error *, krb5_data **);
krb5_error_code encode_krb5_cred(const krb5_cred *, krb5_data **);

/* ------------------------------------------------------------ DER builder */

typedef struct {
	uint8_t b[4096];
	size_t n;
} B;

static B raw(const void *p, size_t n)
{
	B r;
	ck_assert_uint_le(n, sizeof r.b);
	memcpy(r.b, p, n);
	r.n = n;
	return r;
}

static B str(const char *s) { return raw(s, strlen(s)); }

static B cat(int count, ...)
{
	B r;
	r.n = 0;
	va_list ap;
	va_start(ap, count);
	for (int i = 0; i < count; i++) {
		B x = va_arg(ap, B);
		ck_assert_uint_le(r.n + x.n, sizeof r.b);
		memcpy(r.b + r.n, x.b, x.n);
		r.n += x.n;
	}
	va_end(ap);
	return r;
}

static B tlv(uint8_t id, B c)
{
	B r;
	size_t h = 0;
	r.b[h++] = id;
	if (c.n < 0x80) {
		r.b[h++] = (uint8_t)c.n;
	} else if (c.n < 0x100) {
		r.b[h++] = 0x81;
		r.b[h++] = (uint8_t)c.n;
	} else {
		r.b[h++] = 0x82;
		r.b[h++] = (uint8_t)(c.n >> 8);
		r.b[h++] = (uint8_t)c.n;
	}
	ck_assert_uint_le(h + c.n, sizeof r.b);
	memcpy(r.b + h, c.b, c.n);
	r.n = h + c.n;
	return r;
}

static B ctx(int n, B c) { return tlv((uint8_t)(0xa0 | n), c); }
static B seq(B c) { return tlv(0x30, c); }
static B gstr(const char *s) { return tlv(0x1b, str(s)); }
static B octets(B c) { return tlv(0x04, c); }

static B integer(int64_t v)
{
	uint8_t t[9];
	int n = 8;
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
	int s = 0;
	while (s < 7 && ((t[s] == 0 && !(t[s + 1] & 0x80)) || (t[s] == 0xff && (t[s + 1] & 0x80))))
		s++;
	return tlv(0x02, raw(t + s, (size_t)(n - s)));
}

static B bits32(uint32_t v)
{
	uint8_t t[5] = { 0, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return tlv(0x03, raw(t, 5));
}

static B principal(int32_t type, const char *c1, const char *c2)
{
	B names = c2 ? cat(2, gstr(c1), gstr(c2)) : gstr(c1);
	return seq(cat(2, ctx(0, integer(type)), ctx(1, seq(names))));
}

static B le32x3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t v[3] = { a, b, c };
	uint8_t t[12];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			t[4 * i + j] = (uint8_t)(v[i] >> (8 * j));
	return raw(t, 12);
}

/* PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING } */
static B padata(int32_t type, B value) { return seq(cat(2, ctx(1, integer(type)), ctx(2, octets(value)))); }

/* ---------------------------------------------------- libkrb5 structures */

static krb5_data kd(const void *p, size_t n)
{
	krb5_data d;
	d.magic = KV5M_DATA;
	d.length = (unsigned int)n;
	d.data = (char *)(uintptr_t)p;
	return d;
}

static krb5_data kds(const char *s) { return kd(s, strlen(s)); }

struct princ {
	krb5_principal_data p;
	krb5_data comp[3];
};

static krb5_principal mkprinc(struct princ *pp, int32_t type, const char *realm, const char *c1,
			      const char *c2)
{
	memset(pp, 0, sizeof *pp);
	pp->p.magic = KV5M_PRINCIPAL;
	pp->p.realm = kds(realm);
	pp->p.type = type;
	pp->p.data = pp->comp;
	if (c1)
		pp->comp[pp->p.length++] = kds(c1);
	if (c2)
		pp->comp[pp->p.length++] = kds(c2);
	return &pp->p;
}

static uint8_t cipher[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };

static void mkticket(krb5_ticket *t, struct princ *sp, const char *realm, const char *c1, const char *c2,
		     krb5_enctype etype, krb5_kvno kvno)
{
	memset(t, 0, sizeof *t);
	t->magic = KV5M_TICKET;
	t->server = mkprinc(sp, KRB5_NT_SRV_INST, realm, c1, c2);
	t->enc_part.magic = KV5M_ENC_DATA;
	t->enc_part.enctype = etype;
	t->enc_part.kvno = kvno;
	t->enc_part.ciphertext = kd(cipher, sizeof cipher);
}

/* Copy an encoder's output and free it.  Call as take(encode(x, &out), &out):
 * the pointer to out is read after the encoder ran, whatever the order in
 * which the arguments were evaluated. */
static B take(krb5_error_code rc, krb5_data **d)
{
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(*d);
	B r = raw((*d)->data, (*d)->length);
	krb5_free_data(NULL, *d);
	*d = NULL;
	return r;
}

/* AP-REQ for PA-TGS-REQ / the AP-REQ vector. */
static B ap_req_bytes(const char *c1, const char *c2, krb5_enctype etype, krb5_kvno kvno, krb5_flags options)
{
	struct princ sp;
	krb5_ticket t;
	krb5_ap_req ap;
	krb5_data *out = NULL;
	mkticket(&t, &sp, "EXAMPLE.COM", c1, c2, etype, kvno);
	memset(&ap, 0, sizeof ap);
	ap.magic = KV5M_AP_REQ;
	ap.ap_options = options;
	ap.ticket = &t;
	ap.authenticator.magic = KV5M_ENC_DATA;
	ap.authenticator.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	ap.authenticator.ciphertext = kd(cipher, sizeof cipher);
	krb5_error_code rc = encode_krb5_ap_req(&ap, &out);
	return take(rc, &out);
}

/* ------------------------------------------------------------- vectors */

#define TILL_2037 2136422885 /* 20370913024805Z, what Windows clients ask for */

static B v_as_req(void)
{
	struct princ cp, sp;
	krb5_kdc_req r;
	krb5_pa_data pa1, pa2, *pa[3] = { &pa1, &pa2, NULL };
	B pacreq = seq(ctx(0, tlv(0x01, raw("\xff", 1))));
	krb5_enctype et[] = { 18, 17, 23, -135 };
	uint8_t ip[4] = { 192, 0, 2, 1 };
	krb5_address a1 = { KV5M_ADDRESS, ADDRTYPE_INET, 4, ip };
	krb5_address a2 = { KV5M_ADDRESS, ADDRTYPE_NETBIOS, 16, (krb5_octet *)"CLIENT01        " };
	krb5_address *addrs[] = { &a1, &a2, NULL };
	krb5_data *out = NULL;

	memset(&r, 0, sizeof r);
	pa1 = (krb5_pa_data){ KV5M_PA_DATA, 2, sizeof cipher, cipher };
	pa2 = (krb5_pa_data){ KV5M_PA_DATA, 128, (unsigned)pacreq.n, pacreq.b };
	r.magic = KV5M_KDC_REQ;
	r.msg_type = KRB5_AS_REQ;
	r.padata = pa;
	r.kdc_options = KDC_OPT_FORWARDABLE | KDC_OPT_RENEWABLE | KDC_OPT_CANONICALIZE | KDC_OPT_RENEWABLE_OK;
	r.client = mkprinc(&cp, KRB5_NT_PRINCIPAL, "EXAMPLE.COM", "alice", NULL);
	r.server = mkprinc(&sp, KRB5_NT_SRV_INST, "EXAMPLE.COM", "krbtgt", "EXAMPLE.COM");
	r.till = TILL_2037;
	r.rtime = TILL_2037;
	r.nonce = (krb5_int32)0xDEADBEEFu;
	r.nktypes = 4;
	r.ktype = et;
	r.addresses = addrs;
	return take(encode_krb5_as_req(&r, &out), &out);
}

/* TGS-REQ for S4U2Self+S4U2Proxy: PA-TGS-REQ, PA-FOR-USER, PA-PAC-OPTIONS,
 * cname-in-addl-tkt and an additional (evidence) ticket. */
static B v_tgs_req(void)
{
	struct princ sp, ap2;
	krb5_kdc_req r;
	krb5_ticket second;
	krb5_ticket *seconds[] = { &second, NULL };
	B apreq = ap_req_bytes("krbtgt", "EXAMPLE.COM", 18, 2, 0);
	/* PA-FOR-USER-ENC (MS-SFU §2.2.1) */
	B foruser = seq(cat(4, ctx(0, principal(10, "alice", NULL)), ctx(1, gstr("EXAMPLE.COM")),
			    ctx(2, seq(cat(2, ctx(0, integer(-138)), ctx(1, octets(raw(cipher, 8)))))),
			    ctx(3, gstr("Kerberos"))));
	/* PA-PAC-OPTIONS (MS-KILE §2.2.10): branch-aware + RBCD */
	B pacopt = seq(ctx(0, bits32(0x50000000u)));
	krb5_pa_data p1 = { KV5M_PA_DATA, 1, (unsigned)apreq.n, apreq.b };
	krb5_pa_data p2 = { KV5M_PA_DATA, 129, (unsigned)foruser.n, foruser.b };
	krb5_pa_data p3 = { KV5M_PA_DATA, 167, (unsigned)pacopt.n, pacopt.b };
	krb5_pa_data *pa[] = { &p1, &p2, &p3, NULL };
	krb5_enctype et[] = { 18, 23 };
	krb5_data *out = NULL;

	memset(&r, 0, sizeof r);
	r.magic = KV5M_KDC_REQ;
	r.msg_type = KRB5_TGS_REQ;
	r.padata = pa;
	r.kdc_options = KDC_OPT_FORWARDABLE | KDC_OPT_CNAME_IN_ADDL_TKT | KDC_OPT_CANONICALIZE;
	r.server = mkprinc(&sp, KRB5_NT_SRV_HST, "EXAMPLE.COM", "HTTP", "web.example.com");
	r.till = TILL_2037;
	r.nonce = 0x01020304;
	r.nktypes = 2;
	r.ktype = et;
	mkticket(&second, &ap2, "EXAMPLE.COM", "svc", "app.example.com", 23, 5);
	r.second_ticket = seconds;
	return take(encode_krb5_tgs_req(&r, &out), &out);
}

/* TGS-REQ for S4U2Self by certificate: PA-TGS-REQ + PA-S4U-X509-USER. */
static B v_tgs_req_x509(void)
{
	struct princ sp;
	krb5_kdc_req r;
	B apreq = ap_req_bytes("krbtgt", "EXAMPLE.COM", 18, 2, 0);
	/* PA-S4U-X509-USER (MS-SFU §2.2.2) */
	B uid = seq(cat(4, ctx(0, integer(12345)), ctx(1, principal(1, "bob", NULL)),
			ctx(2, gstr("EXAMPLE.COM")), ctx(4, bits32(0x20000000u))));
	B x509 = seq(cat(2, ctx(0, uid),
			 ctx(1, seq(cat(2, ctx(0, integer(16)), ctx(1, octets(raw(cipher, 8))))))));
	krb5_pa_data p1 = { KV5M_PA_DATA, 1, (unsigned)apreq.n, apreq.b };
	krb5_pa_data p2 = { KV5M_PA_DATA, 130, (unsigned)x509.n, x509.b };
	krb5_pa_data *pa[] = { &p1, &p2, NULL };
	krb5_enctype et[] = { 18 };
	krb5_data *out = NULL;

	memset(&r, 0, sizeof r);
	r.magic = KV5M_KDC_REQ;
	r.msg_type = KRB5_TGS_REQ;
	r.padata = pa;
	r.kdc_options = KDC_OPT_FORWARDABLE;
	r.server = mkprinc(&sp, KRB5_NT_UNKNOWN, "EXAMPLE.COM", "websvc", NULL);
	r.till = TILL_2037;
	r.nonce = 7;
	r.nktypes = 1;
	r.ktype = et;
	return take(encode_krb5_tgs_req(&r, &out), &out);
}

static B etype_info2(void)
{
	return seq(cat(2, seq(cat(2, ctx(0, integer(18)), ctx(1, gstr("EXAMPLE.COMalice")))),
		       seq(ctx(0, integer(23)))));
}

static B v_as_rep(void)
{
	struct princ cp, sp;
	krb5_kdc_rep r;
	krb5_ticket t;
	B ei2 = etype_info2();
	krb5_pa_data p1 = { KV5M_PA_DATA, 19, (unsigned)ei2.n, ei2.b };
	krb5_pa_data *pa[] = { &p1, NULL };
	krb5_data *out = NULL;

	memset(&r, 0, sizeof r);
	r.magic = KV5M_KDC_REP;
	r.msg_type = KRB5_AS_REP;
	r.padata = pa;
	r.client = mkprinc(&cp, KRB5_NT_PRINCIPAL, "EXAMPLE.COM", "alice", NULL);
	mkticket(&t, &sp, "EXAMPLE.COM", "krbtgt", "EXAMPLE.COM", 18, 2);
	r.ticket = &t;
	r.enc_part.magic = KV5M_ENC_DATA;
	r.enc_part.enctype = 18;
	r.enc_part.kvno = 3;
	r.enc_part.ciphertext = kd(cipher, sizeof cipher);
	return take(encode_krb5_as_rep(&r, &out), &out);
}

static B v_tgs_rep(void)
{
	struct princ cp, sp;
	krb5_kdc_rep r;
	krb5_ticket t;
	krb5_data *out = NULL;

	memset(&r, 0, sizeof r);
	r.magic = KV5M_KDC_REP;
	r.msg_type = KRB5_TGS_REP;
	r.client = mkprinc(&cp, KRB5_NT_PRINCIPAL, "EXAMPLE.COM", "alice", NULL);
	mkticket(&t, &sp, "EXAMPLE.COM", "HTTP", "web.example.com", 23, 7);
	r.ticket = &t;
	r.enc_part.magic = KV5M_ENC_DATA;
	r.enc_part.enctype = 17;
	r.enc_part.ciphertext = kd(cipher, sizeof cipher);
	return take(encode_krb5_tgs_rep(&r, &out), &out);
}

static B mkerror(int32_t code, B edata, const char *text, bool with_client)
{
	struct princ cp, sp;
	krb5_error e;
	krb5_data *out = NULL;
	memset(&e, 0, sizeof e);
	e.magic = KV5M_ERROR;
	e.stime = 1700000000;
	e.susec = 123456;
	e.error = (krb5_ui_4)code;
	if (with_client)
		e.client = mkprinc(&cp, KRB5_NT_PRINCIPAL, "EXAMPLE.COM", "alice", NULL);
	e.server = mkprinc(&sp, KRB5_NT_SRV_INST, "EXAMPLE.COM", "krbtgt", "EXAMPLE.COM");
	if (text)
		e.text = kd(text, strlen(text) + 1); /* with its NUL, as Windows sends it */
	e.e_data = kd(edata.b, edata.n);
	return take(encode_krb5_error(&e, &out), &out);
}

/* KDC_ERR_PREAUTH_REQUIRED with METHOD-DATA e-data (RFC 4120 §5.9.1, §5.2.7.5). */
static B v_err_preauth(void)
{
	B md = seq(cat(3, padata(2, raw("", 0)), padata(19, etype_info2()), padata(16, raw("", 0))));
	return mkerror(25, md, NULL, true);
}

/* KDC_ERR_POLICY with Windows KERB-ERROR-DATA / KERB-EXT-ERROR (MS-KILE §2.2.1-2). */
static B v_err_ext(void)
{
	B ed = seq(cat(2, ctx(1, integer(3)), ctx(2, octets(le32x3(0xC000040Bu, 0, 1)))));
	return mkerror(12, ed, "constrained delegation refused", false);
}

/* KDC_ERR_CLIENT_REVOKED with KERB-EXT-ERROR inside PA-PW-SALT of METHOD-DATA. */
static B v_err_pwsalt(void)
{
	B md = seq(cat(2, padata(3, le32x3(0xC0000234u, 0, 1)), padata(19, etype_info2())));
	return mkerror(18, md, NULL, true);
}

static B v_ap_req(void) { return ap_req_bytes("HTTP", "web.example.com", 18, 4, AP_OPTS_MUTUAL_REQUIRED); }

static B v_ap_rep(void)
{
	krb5_ap_rep r;
	krb5_data *out = NULL;
	memset(&r, 0, sizeof r);
	r.magic = KV5M_AP_REP;
	r.enc_part.magic = KV5M_ENC_DATA;
	r.enc_part.enctype = 18;
	r.enc_part.ciphertext = kd(cipher, sizeof cipher);
	return take(encode_krb5_ap_rep(&r, &out), &out);
}

static B v_cred(void)
{
	struct princ s1, s2;
	krb5_ticket t1, t2;
	krb5_ticket *tk[] = { &t1, &t2, NULL };
	krb5_cred c;
	krb5_data *out = NULL;
	mkticket(&t1, &s1, "EXAMPLE.COM", "krbtgt", "EXAMPLE.COM", 18, 2);
	mkticket(&t2, &s2, "EXAMPLE.COM", "HTTP", "web.example.com", 17, 9);
	memset(&c, 0, sizeof c);
	c.magic = KV5M_CRED;
	c.tickets = tk;
	c.enc_part.magic = KV5M_ENC_DATA;
	c.enc_part.enctype = 0;
	c.enc_part.ciphertext = kd(cipher, sizeof cipher);
	return take(encode_krb5_cred(&c, &out), &out);
}

/* KERB-TGT-REQUEST (draft-ietf-cat-user2user §4; [APPLICATION 16]). */
static B v_tgt_req(void)
{
	B body = seq(cat(4, ctx(0, integer(5)), ctx(1, integer(16)),
			 ctx(2, principal(2, "host", "srv.example.com")), ctx(3, gstr("EXAMPLE.COM"))));
	return tlv(0x70, body);
}

/* ------------------------------------------------------- valid vectors */

struct vec {
	const char *name;
	B (*build)(void);
	int type;
};

static const struct vec vecs[] = {
	{ "as-req", v_as_req, KF_KRB_AS_REQ },
	{ "tgs-req", v_tgs_req, KF_KRB_TGS_REQ },
	{ "tgs-req-x509", v_tgs_req_x509, KF_KRB_TGS_REQ },
	{ "as-rep", v_as_rep, KF_KRB_AS_REP },
	{ "tgs-rep", v_tgs_rep, KF_KRB_TGS_REP },
	{ "err-preauth", v_err_preauth, KF_KRB_ERROR },
	{ "err-ext", v_err_ext, KF_KRB_ERROR },
	{ "err-pwsalt", v_err_pwsalt, KF_KRB_ERROR },
	{ "ap-req", v_ap_req, KF_KRB_AP_REQ },
	{ "ap-rep", v_ap_rep, KF_KRB_AP_REP },
	{ "cred", v_cred, KF_KRB_CRED },
	{ "tgt-req", v_tgt_req, KF_KRB_TGT_REQ },
};
#define N_VECS (sizeof vecs / sizeof vecs[0])

static struct kf_krb_msg msg;
static struct kf_events ev;

static bool decode(B b)
{
	memset(&ev, 0, sizeof ev);
	return kf_krb5_decode(kf_span_make(b.b, b.n), &msg, &ev);
}

static bool has_ev(enum kf_event e)
{
	for (unsigned i = 0; i < ev.n; i++)
		if (ev.ev[i] == (uint16_t)e)
			return true;
	return false;
}

START_TEST(t_as_req)
{
	ck_assert(decode(v_as_req()));
	ck_assert_int_eq(msg.type, KF_KRB_AS_REQ);
	ck_assert(msg.complete);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(msg.pvno, 5);
	ck_assert(msg.has_cname && msg.has_crealm && msg.has_sname && msg.has_realm);
	ck_assert_str_eq(msg.cname, "alice");
	ck_assert_str_eq(msg.crealm, "EXAMPLE.COM");
	ck_assert_str_eq(msg.sname, "krbtgt/EXAMPLE.COM");
	ck_assert_str_eq(msg.realm, "EXAMPLE.COM");
	ck_assert_int_eq(msg.cname_type, 1);
	ck_assert_int_eq(msg.sname_type, 2);
	ck_assert(msg.has_kdc_options);
	ck_assert_uint_eq(msg.kdc_options, 0x40810010u);
	ck_assert(msg.has_nonce);
	ck_assert_uint_eq(msg.nonce, 0xDEADBEEFu);
	ck_assert(!msg.has_from);
	ck_assert(msg.has_till && msg.has_rtime);
	ck_assert_int_eq(msg.till, TILL_2037);
	ck_assert_int_eq(msg.rtime, TILL_2037);
	ck_assert_uint_eq(msg.n_etypes, 4);
	ck_assert_int_eq(msg.etypes[0], 18);
	ck_assert_int_eq(msg.etypes[3], -135);
	ck_assert_uint_eq(msg.n_addresses, 2);
	ck_assert_str_eq(msg.addresses[0], "192.0.2.1");
	ck_assert_str_eq(msg.addresses[1], "CLIENT01");
	ck_assert_uint_eq(msg.n_padata, 2);
	ck_assert_int_eq(msg.padata[0], 2);
	ck_assert_int_eq(msg.padata[1], 128);
	ck_assert(msg.has_pac_request && msg.pac_request);
	ck_assert(!msg.ticket.present);
	ck_assert(!msg.has_s4u_user);
}
END_TEST

START_TEST(t_tgs_req)
{
	ck_assert(decode(v_tgs_req()));
	ck_assert_int_eq(msg.type, KF_KRB_TGS_REQ);
	ck_assert(msg.complete);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert(!msg.has_cname && !msg.has_crealm);
	ck_assert_str_eq(msg.sname, "HTTP/web.example.com");
	ck_assert_str_eq(msg.realm, "EXAMPLE.COM");
	ck_assert_uint_eq(msg.kdc_options, 0x40030000u);
	ck_assert_str_eq(kf_krb5_kdc_option_name(14), "cname-in-addl-tkt");
	ck_assert(msg.kdc_options & (0x80000000u >> 14));
	ck_assert_uint_eq(msg.n_padata, 3);
	ck_assert_int_eq(msg.padata[0], 1);
	ck_assert_int_eq(msg.padata[1], 129);
	ck_assert_int_eq(msg.padata[2], 167);
	/* PA-TGS-REQ's ticket */
	ck_assert(msg.ticket.present);
	ck_assert_str_eq(msg.ticket.sname, "krbtgt/EXAMPLE.COM");
	ck_assert_str_eq(msg.ticket.realm, "EXAMPLE.COM");
	ck_assert_int_eq(msg.ticket.etype, 18);
	ck_assert(msg.ticket.has_kvno);
	ck_assert_uint_eq(msg.ticket.kvno, 2);
	ck_assert(msg.has_ap_options);
	ck_assert_uint_eq(msg.ap_options, 0);
	/* S4U */
	ck_assert(msg.has_s4u_user);
	ck_assert_str_eq(msg.s4u_user, "alice@EXAMPLE.COM");
	ck_assert(msg.has_pac_options);
	ck_assert_uint_eq(msg.pac_options, 0x50000000u);
	ck_assert_str_eq(kf_krb5_pac_option_name(3), "resource-based-constrained-delegation");
	/* evidence ticket */
	ck_assert_uint_eq(msg.n_additional_tickets, 1);
	ck_assert(msg.additional_tickets[0].present);
	ck_assert_str_eq(msg.additional_tickets[0].sname, "svc/app.example.com");
	ck_assert_int_eq(msg.additional_tickets[0].etype, 23);
	ck_assert_uint_eq(msg.additional_tickets[0].kvno, 5);
	ck_assert_uint_eq(msg.n_etypes, 2);
}
END_TEST

START_TEST(t_tgs_req_x509)
{
	ck_assert(decode(v_tgs_req_x509()));
	ck_assert(msg.complete);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert(msg.has_s4u_user);
	ck_assert_str_eq(msg.s4u_user, "bob@EXAMPLE.COM");
	ck_assert_str_eq(msg.sname, "websvc");
	ck_assert_int_eq(msg.padata[1], 130);
	ck_assert_str_eq(kf_krb5_padata_name(130), "PA-S4U-X509-USER");
}
END_TEST

START_TEST(t_as_rep)
{
	ck_assert(decode(v_as_rep()));
	ck_assert_int_eq(msg.type, KF_KRB_AS_REP);
	ck_assert(msg.complete);
	ck_assert_str_eq(msg.cname, "alice");
	ck_assert_str_eq(msg.crealm, "EXAMPLE.COM");
	ck_assert(!msg.has_sname);
	ck_assert(msg.ticket.present);
	ck_assert_str_eq(msg.ticket.sname, "krbtgt/EXAMPLE.COM");
	ck_assert_int_eq(msg.ticket.etype, 18);
	ck_assert_uint_eq(msg.ticket.kvno, 2);
	ck_assert(msg.has_enc_etype);
	ck_assert_int_eq(msg.enc_etype, 18);
	ck_assert_uint_eq(msg.n_padata, 1);
	ck_assert_int_eq(msg.padata[0], 19);
	ck_assert_uint_eq(msg.n_etype_info, 2);
	ck_assert_int_eq(msg.etype_info[0].etype, 18);
	ck_assert(msg.etype_info[0].has_salt);
	ck_assert_str_eq(msg.etype_info[0].salt, "EXAMPLE.COMalice");
	ck_assert_int_eq(msg.etype_info[1].etype, 23);
	ck_assert(!msg.etype_info[1].has_salt);
}
END_TEST

START_TEST(t_tgs_rep)
{
	ck_assert(decode(v_tgs_rep()));
	ck_assert_int_eq(msg.type, KF_KRB_TGS_REP);
	ck_assert(msg.complete);
	ck_assert_str_eq(msg.cname, "alice");
	ck_assert_str_eq(msg.ticket.sname, "HTTP/web.example.com");
	ck_assert_int_eq(msg.ticket.etype, 23);
	ck_assert_uint_eq(msg.ticket.kvno, 7);
	ck_assert_int_eq(msg.enc_etype, 17);
	ck_assert_uint_eq(msg.n_padata, 0);
}
END_TEST

START_TEST(t_err_preauth)
{
	ck_assert(decode(v_err_preauth()));
	ck_assert_int_eq(msg.type, KF_KRB_ERROR);
	ck_assert(msg.complete);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(msg.error_code, 25);
	ck_assert_str_eq(kf_krb5_error_name(msg.error_code), "KDC_ERR_PREAUTH_REQUIRED");
	ck_assert(msg.has_stime);
	ck_assert_int_eq(msg.stime, 1700000000);
	ck_assert_int_eq(msg.susec, 123456);
	ck_assert(!msg.has_ctime);
	ck_assert_str_eq(msg.cname, "alice");
	ck_assert_str_eq(msg.crealm, "EXAMPLE.COM");
	ck_assert_str_eq(msg.sname, "krbtgt/EXAMPLE.COM");
	ck_assert_str_eq(msg.realm, "EXAMPLE.COM");
	ck_assert(!msg.has_e_text);
	ck_assert(msg.has_e_data);
	ck_assert_uint_eq(msg.n_edata_padata, 3);
	ck_assert_int_eq(msg.edata_padata[0], 2);
	ck_assert_int_eq(msg.edata_padata[1], 19);
	ck_assert_int_eq(msg.edata_padata[2], 16);
	ck_assert_uint_eq(msg.n_etype_info, 2);
	ck_assert_str_eq(msg.etype_info[0].salt, "EXAMPLE.COMalice");
	ck_assert(!msg.has_ntstatus);
}
END_TEST

START_TEST(t_err_ext)
{
	ck_assert(decode(v_err_ext()));
	ck_assert(msg.complete);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(msg.error_code, 12);
	ck_assert_str_eq(kf_krb5_error_name(12), "KDC_ERR_POLICY");
	ck_assert(!msg.has_cname && !msg.has_crealm);
	ck_assert(msg.has_e_text);
	ck_assert_str_eq(msg.e_text, "constrained delegation refused");
	ck_assert(msg.has_ntstatus);
	ck_assert_uint_eq(msg.ntstatus, 0xC000040Bu);
	ck_assert_str_eq(kf_krb5_ntstatus_name(msg.ntstatus), "STATUS_CROSSREALM_DELEGATION_FAILURE");
	ck_assert_uint_eq(msg.n_edata_padata, 0);
}
END_TEST

START_TEST(t_err_pwsalt)
{
	ck_assert(decode(v_err_pwsalt()));
	ck_assert(msg.complete);
	ck_assert_int_eq(msg.error_code, 18);
	ck_assert(msg.has_ntstatus);
	ck_assert_uint_eq(msg.ntstatus, 0xC0000234u);
	ck_assert_str_eq(kf_krb5_ntstatus_name(msg.ntstatus), "STATUS_ACCOUNT_LOCKED_OUT");
	ck_assert_uint_eq(msg.n_edata_padata, 2);
	ck_assert_uint_eq(msg.n_etype_info, 2);
}
END_TEST

START_TEST(t_ap_req)
{
	ck_assert(decode(v_ap_req()));
	ck_assert_int_eq(msg.type, KF_KRB_AP_REQ);
	ck_assert(msg.complete);
	ck_assert(msg.has_ap_options);
	ck_assert_uint_eq(msg.ap_options, 0x20000000u);
	ck_assert_str_eq(kf_krb5_ap_option_name(2), "mutual-required");
	ck_assert_str_eq(msg.ticket.sname, "HTTP/web.example.com");
	ck_assert_str_eq(msg.ticket.realm, "EXAMPLE.COM");
	ck_assert_uint_eq(msg.ticket.kvno, 4);
	ck_assert_int_eq(msg.enc_etype, 18);
}
END_TEST

START_TEST(t_ap_rep)
{
	ck_assert(decode(v_ap_rep()));
	ck_assert_int_eq(msg.type, KF_KRB_AP_REP);
	ck_assert(msg.complete);
	ck_assert(msg.has_enc_etype);
	ck_assert_int_eq(msg.enc_etype, 18);
}
END_TEST

START_TEST(t_cred)
{
	ck_assert(decode(v_cred()));
	ck_assert_int_eq(msg.type, KF_KRB_CRED);
	ck_assert(msg.complete);
	ck_assert_uint_eq(msg.n_cred_tickets, 2);
	ck_assert_str_eq(msg.ticket.sname, "krbtgt/EXAMPLE.COM");
	ck_assert_int_eq(msg.ticket.etype, 18);
	ck_assert(msg.has_enc_etype);
	ck_assert_int_eq(msg.enc_etype, 0);
}
END_TEST

START_TEST(t_tgt_req)
{
	ck_assert(decode(v_tgt_req()));
	ck_assert_int_eq(msg.type, KF_KRB_TGT_REQ);
	ck_assert(msg.complete);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(msg.pvno, 5);
	ck_assert_str_eq(msg.sname, "host/srv.example.com");
	ck_assert_str_eq(msg.realm, "EXAMPLE.COM");
}
END_TEST

/* The skim alone must read the same fields libkrb5 does. */
START_TEST(t_skim_matches)
{
	static const struct {
		B (*build)(void);
		int type;
	} cases[] = {
		{ v_as_req, KF_KRB_AS_REQ }, { v_tgs_req, KF_KRB_TGS_REQ }, { v_as_rep, KF_KRB_AS_REP },
		{ v_err_ext, KF_KRB_ERROR }, { v_ap_req, KF_KRB_AP_REQ },   { v_cred, KF_KRB_CRED },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		B b = cases[i].build();
		ck_assert(decode(b));
		struct kf_krb_msg lib = msg;
		struct kf_krb_msg sk;
		struct kf_events e2 = { 0 };
		memset(&sk, 0, sizeof sk);
		sk.type = cases[i].type;
		size_t hdr = b.b[1] < 0x80 ? 2 : 2 + (b.b[1] & 0x7f);
		ck_assert(kf_krb5_skim(kf_span_make(b.b + hdr, b.n - hdr), &sk, &e2));
		ck_assert_str_eq(sk.cname, lib.cname);
		ck_assert_str_eq(sk.crealm, lib.crealm);
		ck_assert_str_eq(sk.sname, lib.sname);
		ck_assert_str_eq(sk.realm, lib.realm);
		ck_assert_uint_eq(sk.kdc_options, lib.kdc_options);
		ck_assert_uint_eq(sk.nonce, lib.nonce);
		ck_assert_int_eq(sk.till, lib.till);
		ck_assert_uint_eq(sk.n_etypes, lib.n_etypes);
		ck_assert_uint_eq(sk.n_addresses, lib.n_addresses);
		if (lib.n_addresses)
			ck_assert_str_eq(sk.addresses[1], lib.addresses[1]);
		ck_assert_uint_eq(sk.n_padata, lib.n_padata);
		ck_assert_str_eq(sk.ticket.sname, lib.ticket.sname);
		ck_assert_uint_eq(sk.ticket.kvno, lib.ticket.kvno);
		ck_assert_int_eq(sk.error_code, lib.error_code);
		ck_assert_int_eq(sk.stime, lib.stime);
		ck_assert_uint_eq(sk.ntstatus, lib.ntstatus);
		ck_assert_str_eq(sk.s4u_user, lib.s4u_user);
		ck_assert_uint_eq(sk.n_additional_tickets, lib.n_additional_tickets);
		ck_assert_int_eq(sk.enc_etype, lib.enc_etype);
		ck_assert_uint_eq(sk.ap_options, lib.ap_options);
		ck_assert_uint_eq(sk.n_cred_tickets, lib.n_cred_tickets);
		ck_assert_uint_eq(sk.n_etype_info, lib.n_etype_info);
	}
}
END_TEST

/* ----------------------------------------------------- malformed inputs */

static B cut_tail(B b, size_t n)
{
	b.n -= n;
	return b;
}

static B m_empty(void) { return raw("", 0); }
static B m_one(void) { return raw("\x6a", 1); }
static B m_http(void) { return str("GET / HTTP/1.1\r\n"); }
static B m_ticket_tag(void) { return tlv(0x61, seq(ctx(0, integer(5)))); }
static B m_len5(void) { return raw("\x6a\x85\x00\x00\x00\x00\x10\x30", 8); }
static B m_not_seq(void) { return tlv(0x6a, integer(5)); }
static B m_indefinite(void) { return raw("\x6a\x80\x30\x80\x00\x00\x00\x00", 8); }
static B m_trailing(void) { return cat(2, v_as_req(), raw("\x00\x00", 2)); }
/* KRB-ERROR missing required fields: libkrb5 refuses, the skim finds [6]. */
static B m_err_skeleton(void)
{
	return tlv(0x7e, seq(cat(3, ctx(0, integer(5)), ctx(1, integer(30)), ctx(6, integer(7)))));
}
/* A whole KRB-ERROR but pvno 4: libkrb5 refuses, the skim reads all. */
static B m_err_pvno4(void)
{
	B b = v_err_ext();
	/* a0 03 02 01 05 follows the 30 xx header */
	for (size_t i = 0; i + 4 < b.n; i++)
		if (!memcmp(b.b + i, "\xa0\x03\x02\x01\x05", 5)) {
			b.b[i + 4] = 4;
			break;
		}
	return b;
}
static B m_err_bad_edata(void) { return mkerror(25, raw("\x01\x02\x03", 3), NULL, true); }
static B m_err_short_ext(void)
{
	return mkerror(12, seq(cat(2, ctx(1, integer(3)), ctx(2, octets(raw("\x0b\x04\x00\xc0", 4))))), NULL,
		       false);
}
static B m_tgs_cut(void) { return cut_tail(v_tgs_req(), 10); }
static B m_tgs_bad_foruser(void)
{
	struct princ sp;
	krb5_kdc_req r;
	krb5_pa_data p1 = { KV5M_PA_DATA, 129, 3, (krb5_octet *)"\x30\x05\x00" };
	krb5_pa_data p2 = { KV5M_PA_DATA, 1, 4, (krb5_octet *)"\x6e\x02\x30\x00" };
	krb5_pa_data *pa[] = { &p1, &p2, NULL };
	krb5_enctype et[] = { 18 };
	krb5_data *out = NULL;
	memset(&r, 0, sizeof r);
	r.magic = KV5M_KDC_REQ;
	r.msg_type = KRB5_TGS_REQ;
	r.padata = pa;
	r.server = mkprinc(&sp, 2, "EXAMPLE.COM", "cifs", "fs.example.com");
	r.till = TILL_2037;
	r.nktypes = 1;
	r.ktype = et;
	return take(encode_krb5_tgs_req(&r, &out), &out);
}
static B m_long_name(void)
{
	static char longc[400];
	memset(longc, 'a', sizeof longc - 1);
	struct princ cp, sp;
	krb5_kdc_req r;
	krb5_enctype et[] = { 18 };
	krb5_data *out = NULL;
	memset(&r, 0, sizeof r);
	r.magic = KV5M_KDC_REQ;
	r.msg_type = KRB5_AS_REQ;
	r.client = mkprinc(&cp, 1, "EXAMPLE.COM", longc, NULL);
	r.server = mkprinc(&sp, 2, "EXAMPLE.COM", "krbtgt\x01", "EXAMPLE.COM");
	r.till = TILL_2037;
	r.nktypes = 1;
	r.ktype = et;
	return take(encode_krb5_as_req(&r, &out), &out);
}

enum check_field { CF_NONE, CF_ERROR_CODE, CF_PVNO, CF_SNAME, CF_NAMES };

struct bad {
	const char *name;
	B (*build)(void);
	bool ret;
	int type;
	bool complete;
	enum kf_event event; /* must be raised (KF_EV_NONE: no event required) */
	enum check_field check;
	int64_t value;
};

static const struct bad bads[] = {
	{ "empty", m_empty, false, KF_KRB_NONE, false, KF_EV_KRB_NOT_KERBEROS, CF_NONE, 0 },
	{ "one-byte", m_one, false, KF_KRB_NONE, false, KF_EV_KRB_NOT_KERBEROS, CF_NONE, 0 },
	{ "http", m_http, false, KF_KRB_NONE, false, KF_EV_KRB_NOT_KERBEROS, CF_NONE, 0 },
	{ "ticket-tag", m_ticket_tag, false, KF_KRB_NONE, false, KF_EV_KRB_NOT_KERBEROS, CF_NONE, 0 },
	{ "5-length-octets", m_len5, false, KF_KRB_NONE, false, KF_EV_KRB_NOT_KERBEROS, CF_NONE, 0 },
	{ "not-sequence", m_not_seq, false, KF_KRB_NONE, false, KF_EV_KRB_NOT_KERBEROS, CF_NONE, 0 },
	{ "indefinite", m_indefinite, true, KF_KRB_AS_REQ, false, KF_EV_DER_INDEFINITE_LENGTH, CF_NONE, 0 },
	{ "trailing", m_trailing, true, KF_KRB_AS_REQ, true, KF_EV_KRB_TRAILING_BYTES, CF_SNAME, 0 },
	{ "err-skeleton", m_err_skeleton, true, KF_KRB_ERROR, false, KF_EV_KRB_DECODE_FAILED, CF_ERROR_CODE,
	  7 },
	{ "err-pvno4", m_err_pvno4, true, KF_KRB_ERROR, false, KF_EV_KRB_DECODE_FAILED, CF_PVNO, 4 },
	{ "err-bad-edata", m_err_bad_edata, true, KF_KRB_ERROR, true, KF_EV_KRB_PADATA_MALFORMED,
	  CF_ERROR_CODE, 25 },
	{ "err-short-ext", m_err_short_ext, true, KF_KRB_ERROR, true, KF_EV_KRB_PADATA_MALFORMED,
	  CF_ERROR_CODE, 12 },
	{ "tgs-cut", m_tgs_cut, true, KF_KRB_TGS_REQ, false, KF_EV_KRB_DECODE_FAILED, CF_SNAME, 0 },
	{ "tgs-bad-padata", m_tgs_bad_foruser, true, KF_KRB_TGS_REQ, true, KF_EV_KRB_PADATA_MALFORMED,
	  CF_NONE, 0 },
	{ "long-name", m_long_name, true, KF_KRB_AS_REQ, true, KF_EV_KRB_FIELD_TRUNCATED, CF_NAMES, 0 },
};
#define N_BADS (sizeof bads / sizeof bads[0])

START_TEST(t_malformed)
{
	const struct bad *b = &bads[_i];
	bool ret = decode(b->build());
	ck_assert_msg(ret == b->ret, "%s: returned %d", b->name, ret);
	ck_assert_msg(msg.type == b->type, "%s: type %d", b->name, msg.type);
	ck_assert_msg(msg.complete == b->complete, "%s: complete %d", b->name, msg.complete);
	if (b->event != KF_EV_NONE)
		ck_assert_msg(has_ev(b->event), "%s: no event %s", b->name, kf_event_code(b->event));
	switch (b->check) {
	case CF_ERROR_CODE: ck_assert_int_eq(msg.error_code, b->value); break;
	case CF_PVNO:
		ck_assert_int_eq(msg.pvno, b->value);
		ck_assert_uint_eq(msg.ntstatus, 0xC000040Bu); /* the skim reads e-data too */
		ck_assert_str_eq(msg.sname, "krbtgt/EXAMPLE.COM");
		break;
	case CF_SNAME:
		ck_assert(msg.has_sname && msg.has_realm);
		ck_assert_str_eq(msg.realm, "EXAMPLE.COM");
		ck_assert(strchr(msg.sname, '/') != NULL);
		break;
	case CF_NAMES:
		ck_assert_uint_eq(strlen(msg.cname), KF_LIMIT_NAME - 1);
		ck_assert_str_eq(msg.sname, "krbtgt?/EXAMPLE.COM");
		break;
	case CF_NONE: break;
	}
	if (_i == 13) { /* tgs-bad-padata: types still listed, nothing invented */
		ck_assert_uint_eq(msg.n_padata, 2);
		ck_assert_int_eq(msg.padata[0], 129);
		ck_assert(!msg.has_s4u_user);
		ck_assert(!msg.ticket.present);
	}
}
END_TEST

/* ----------------------------------------- truncation and corruption */

static void assert_sane(const struct kf_krb_msg *m)
{
	ck_assert_uint_lt(strnlen(m->cname, sizeof m->cname), sizeof m->cname);
	ck_assert_uint_lt(strnlen(m->sname, sizeof m->sname), sizeof m->sname);
	ck_assert_uint_lt(strnlen(m->realm, sizeof m->realm), sizeof m->realm);
	ck_assert_uint_lt(strnlen(m->crealm, sizeof m->crealm), sizeof m->crealm);
	ck_assert_uint_lt(strnlen(m->e_text, sizeof m->e_text), sizeof m->e_text);
	ck_assert_uint_lt(strnlen(m->s4u_user, sizeof m->s4u_user), sizeof m->s4u_user);
	ck_assert_uint_lt(strnlen(m->ticket.sname, sizeof m->ticket.sname), sizeof m->ticket.sname);
	ck_assert_uint_le(m->n_etypes, KF_LIMIT_ETYPES);
	ck_assert_uint_le(m->n_padata, KF_LIMIT_PADATA);
	ck_assert_uint_le(m->n_edata_padata, KF_LIMIT_PADATA);
	ck_assert_uint_le(m->n_addresses, KF_LIMIT_ADDRESSES);
	ck_assert_uint_le(m->n_additional_tickets, KF_LIMIT_ADDL_TICKETS);
	ck_assert_uint_le(m->n_etype_info, KF_LIMIT_ETYPE_INFO);
	for (unsigned i = 0; i < m->n_addresses; i++)
		ck_assert_uint_lt(strnlen(m->addresses[i], sizeof m->addresses[i]), sizeof m->addresses[i]);
}

START_TEST(t_truncation)
{
	B b = vecs[_i].build();
	for (size_t n = 0; n < b.n; n++) {
		struct kf_events e = { 0 };
		/* a copy of exactly n bytes, so ASan sees any read past the end */
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, b.b, n);
		bool r = kf_krb5_decode(kf_span_make(p, n), &msg, &e);
		ck_assert_msg(!msg.complete, "%s: prefix %zu complete", vecs[_i].name, n);
		if (r) {
			ck_assert_int_eq(msg.type, vecs[_i].type);
			ck_assert_uint_gt(e.n, 0);
		}
		assert_sane(&msg);
		free(p);
	}
}
END_TEST

START_TEST(t_corruption)
{
	static const uint8_t vals[] = { 0x00, 0x7f, 0x80, 0x81, 0x84, 0xff };
	B b = vecs[_i].build();
	for (size_t pos = 0; pos < b.n; pos++) {
		for (size_t k = 0; k < sizeof vals + 1; k++) {
			uint8_t *p = malloc(b.n);
			memcpy(p, b.b, b.n);
			p[pos] = k < sizeof vals ? vals[k] : (uint8_t)(p[pos] ^ 0x01);
			struct kf_events e = { 0 };
			bool r = kf_krb5_decode(kf_span_make(p, b.n), &msg, &e);
			if (r)
				ck_assert_ptr_nonnull(kf_krb5_type_name(msg.type));
			else
				ck_assert_int_eq(msg.type, KF_KRB_NONE);
			assert_sane(&msg);
			free(p);
		}
	}
}
END_TEST

START_TEST(t_probe)
{
	B b = v_as_req();
	ck_assert(kf_krb5_probe(kf_span_make(b.b, b.n)));
	ck_assert(kf_krb5_probe(kf_span_make(b.b, 6)));
	B e = v_err_ext();
	ck_assert(kf_krb5_probe(kf_span_make(e.b, e.n)));
	ck_assert(!kf_krb5_probe(kf_span_make("GET /", 5)));
	ck_assert(!kf_krb5_probe(kf_span_make("\x6a", 1)));
	ck_assert(!kf_krb5_probe(kf_span_make("\x6a\x05\x02\x01\x05", 5)));
	ck_assert(!kf_krb5_probe(kf_span_make("\x61\x05\x30\x03", 4))); /* Ticket, not a message */
	ck_assert(!kf_krb5_probe(kf_span_make("\x6a\x84\x7f\xff\xff\xff\x30", 7))); /* > record cap */
}
END_TEST

START_TEST(t_names)
{
	ck_assert_str_eq(kf_krb5_type_name(KF_KRB_TGS_REP), "TGS-REP");
	ck_assert_str_eq(kf_krb5_type_name(KF_KRB_ERROR), "KRB-ERROR");
	ck_assert_str_eq(kf_krb5_type_name(KF_KRB_TGT_REQ), "TGT-REQ");
	ck_assert_ptr_null(kf_krb5_type_name(1));
	ck_assert_str_eq(kf_krb5_etype_name(18), "aes256-cts-hmac-sha1-96");
	ck_assert_str_eq(kf_krb5_etype_name(20), "aes256-cts-hmac-sha384-192");
	ck_assert_str_eq(kf_krb5_etype_name(23), "rc4-hmac");
	ck_assert_str_eq(kf_krb5_etype_name(-133), "rc4-hmac-old");
	ck_assert_str_eq(kf_krb5_etype_name(-128), "rc4-md4");
	ck_assert_ptr_null(kf_krb5_etype_name(99));
	ck_assert_str_eq(kf_krb5_error_name(7), "KDC_ERR_S_PRINCIPAL_UNKNOWN");
	ck_assert_str_eq(kf_krb5_error_name(41), "KRB_AP_ERR_MODIFIED");
	ck_assert_str_eq(kf_krb5_error_name(52), "KRB_ERR_RESPONSE_TOO_BIG");
	ck_assert_str_eq(kf_krb5_error_name(60), "KRB_ERR_GENERIC");
	ck_assert_str_eq(kf_krb5_error_name(85), "KRB_AP_ERR_IAKERB_KDC_NOT_FOUND");
	ck_assert_str_eq(kf_krb5_error_name(93), "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS");
	ck_assert_ptr_null(kf_krb5_error_name(30));
	ck_assert_str_eq(kf_krb5_padata_name(1), "PA-TGS-REQ");
	ck_assert_str_eq(kf_krb5_padata_name(19), "PA-ETYPE-INFO2");
	ck_assert_str_eq(kf_krb5_padata_name(167), "PA-PAC-OPTIONS");
	ck_assert_str_eq(kf_krb5_padata_name(147), "PA_PKINIT_KX");
	ck_assert_ptr_null(kf_krb5_padata_name(4));
	ck_assert_str_eq(kf_krb5_kdc_option_name(1), "forwardable");
	ck_assert_str_eq(kf_krb5_kdc_option_name(15), "canonicalize");
	ck_assert_str_eq(kf_krb5_kdc_option_name(27), "renewable-ok");
	ck_assert_ptr_null(kf_krb5_kdc_option_name(7));
	ck_assert_ptr_null(kf_krb5_kdc_option_name(32));
	ck_assert_str_eq(kf_krb5_ap_option_name(1), "use-session-key");
	ck_assert_str_eq(kf_krb5_pac_option_name(0), "claims");
	ck_assert_ptr_null(kf_krb5_pac_option_name(4));
	ck_assert_str_eq(kf_krb5_ntstatus_name(0xC000006Au), "STATUS_WRONG_PASSWORD");
	ck_assert_str_eq(kf_krb5_ntstatus_name(0xC0000133u), "STATUS_TIME_DIFFERENCE_AT_DC");
	ck_assert_str_eq(kf_krb5_ntstatus_name(0), "STATUS_SUCCESS");
	ck_assert_ptr_null(kf_krb5_ntstatus_name(0xC0001234u));
}
END_TEST

START_TEST(t_helpers)
{
	char buf[8] = "";
	ck_assert(kf_krb5_text_append(buf, sizeof buf, kf_span_make("ab\x01", 3)));
	ck_assert_str_eq(buf, "ab?");
	ck_assert(!kf_krb5_text_append(buf, sizeof buf, kf_span_make("defghij", 7)));
	ck_assert_str_eq(buf, "ab?defg");
	int64_t t;
	ck_assert(kf_krb5_time_parse(kf_span_make("19700101000000Z", 15), &t));
	ck_assert_int_eq(t, 0);
	ck_assert(kf_krb5_time_parse(kf_span_make("20370913024805Z", 15), &t));
	ck_assert_int_eq(t, TILL_2037);
	ck_assert(kf_krb5_time_parse(kf_span_make("21000101000000Z", 15), &t));
	ck_assert_int_eq(t, 4102444800LL);
	ck_assert(!kf_krb5_time_parse(kf_span_make("20371313024805Z", 15), &t));
	ck_assert(!kf_krb5_time_parse(kf_span_make("2037091302480Z", 14), &t));
	char a[48];
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	kf_krb5_addr_format(24, kf_span_make(v6, 16), a, sizeof a);
	ck_assert_str_eq(a, "2001:db8::1");
	kf_krb5_addr_format(99, kf_span_make("\x01\xab", 2), a, sizeof a);
	ck_assert_str_eq(a, "addrtype-99:01ab");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("krb5");
	TCase *tc = tcase_create("valid");
	tcase_add_test(tc, t_as_req);
	tcase_add_test(tc, t_tgs_req);
	tcase_add_test(tc, t_tgs_req_x509);
	tcase_add_test(tc, t_as_rep);
	tcase_add_test(tc, t_tgs_rep);
	tcase_add_test(tc, t_err_preauth);
	tcase_add_test(tc, t_err_ext);
	tcase_add_test(tc, t_err_pwsalt);
	tcase_add_test(tc, t_ap_req);
	tcase_add_test(tc, t_ap_rep);
	tcase_add_test(tc, t_cred);
	tcase_add_test(tc, t_tgt_req);
	tcase_add_test(tc, t_skim_matches);
	tcase_add_test(tc, t_probe);
	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_helpers);
	suite_add_tcase(s, tc);

	TCase *bad = tcase_create("malformed");
	tcase_add_loop_test(bad, t_malformed, 0, (int)N_BADS);
	tcase_add_loop_test(bad, t_truncation, 0, (int)N_VECS);
	tcase_add_loop_test(bad, t_corruption, 0, (int)N_VECS);
	tcase_set_timeout(bad, 120);
	suite_add_tcase(s, bad);
	return s;
}

int main(void) { return kf_test_run(suite()); }
