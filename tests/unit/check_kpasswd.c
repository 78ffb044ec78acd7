/* check_kpasswd.c - kpasswd messages (decoders/kpasswd.c): RFC 3244 §2
 * framing, the clear parts of KRB-PRIV and KRB-ERROR, results, names.
 *
 * The valid vectors are real messages from samples/kpasswd.pcap (MIT kpasswd
 * 1.20 against MIT kadmind); hand-built ones (set-password, a bare KRB-ERROR,
 * an Active Directory policy result, a KRB-PRIV with a kvno) are put together
 * below from RFC 3244 / RFC 4120 with a small DER writer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/events.h"
#include "kpasswd.h"
#include "krb5.h"
#include "testutil.h"

/* ------------------------------------------------------------ vectors */

/* samples/kpasswd.pcap frame 8: the request of (a), a successful change over TCP (record mark
 * removed): AP-REQ for kadmin/changepw + KRB-PRIV */
static const char real_tcp_req[] =
	"02a80001023e6e82023a30820236a003020105a10302010ea20703050000000000a3820184618201803082017ca00302"
	"0105a10a1b084c41422e54455354a21d301ba003020101a11430121b066b61646d696e1b086368616e67657077a38201"
	"4830820144a003020112a103020101a282013604820132245d368ffa469529b93fdf2dd04f7eb383c97538b4eaa47313"
	"a3584595dd0395f2e50a3a13323763b15937d9506ef40ec8fdffdd5a12149d46e1c1a604a65d350a3b90caf7e724f9c3"
	"fdcafb6e91bd8a2e4b09777c625c348838938cf5be7a6cd499349307b5b465bf9279bfb35c0471ef2ce7abc88e50cb2c"
	"90698387592bd9290019358c2789b9a0d7108bccd5788f159c7a06399d7ab36fa493b4ad59a3e0b549f9e1a54e1d9419"
	"893f163964b63b3124d720004901b29f59e8014436fb9fbcf01b6be4b95756256a383f9189c52c2bb5cc95f560b81e05"
	"4abbeecfc09bf760ec5e8e7dc41a6f9fcbf77c7dc6fe6e0cfe3e54f88ac18268cb91b3345c536e50a4247e87b7de5175"
	"aca481e2dd6647d746d8c0fbcaef23452c2eaf9fc2f176c77bef5ea8e03310d177034cb678c2a6fe20a48198308195a0"
	"03020112a2818d04818afa316121fdf9e21f0e1a6bc9d1c5551d2d622c283b9a05461f2a489177827c1f19a109820128"
	"e598829d76738ec7a1682fc99596790668f8521d2927c08c5f24194ceeeed867518a4b0bc44bdf87362ddb619319af51"
	"1532ba8927597576db792a6f427a0adb42202ba881bb191e9e4326ba00b75b6bfcf8f4885aadf053f270429d97edbb00"
	"331cf74e75623060a003020105a103020115a3543052a003020112a24b04495897f6ad82dbc705e11e486c2fed62200a"
	"31bb1b61bab8cdbeef09573fbb9461e172a411e66525846c5bcc185bb392d8fcbeab73cafe77be68e9deb311523f93b1"
	"0eb18c667b632dd2";

/* samples/kpasswd.pcap frame 10: its reply: AP-REP + KRB-PRIV (result KRB5_KPASSWD_SUCCESS
 * inside, encrypted) */
static const char real_tcp_rep_ok[] =
	"00ec0001008c6f8189308186a003020105a10302010fa27a3078a003020112a271046f02a37182f1598024ee9b1e6f57"
	"6c82a1535ecc11d32eedee39d9aa3126a4f78f92f6896d3660da947d81a48668d4194e71926a6ae7d5816f5c5938b170"
	"338269f3fcf9c7ec8e503b96db15986210598dc266a44476011ae134621a531ecc1866fd8b8fc5370531082e2510ed53"
	"236375583056a003020105a103020115a34a3048a003020112a241043fcacdd37c6a71068dbd4f51d6be5e89cac22f35"
	"62efb8d644b39fc373ee29295d5a3378daee500cc4e9671e1ee3ac440e26018e3b6f4e85526b498ee4fa18c1";

/* samples/kpasswd.pcap frame 28: the reply of (c), a new password shorter than the policy
 * allows: AP-REP + KRB-PRIV (KRB5_KPASSWD_SOFTERROR inside, encrypted) */
static const char real_tcp_rep_policy[] =
	"014b0001008c6f8189308186a003020105a10302010fa27a3078a003020112a271046fb4d4f71af9ba243593369094bb"
	"18a32ae662cdd91ff86123384070e5aa347784254cfbb60fbfd64308be2c0f4f13857fd88520d2a4ff5994231a985b0b"
	"48508a0cfcd2d1d9d7bff4e936f06bb730b1a5b8fa570b3aa884bc64139f49d6cd35883defa33bac13db73df295e4660"
	"fe7a7581b63081b3a003020105a103020115a381a63081a3a003020112a2819b048198ad0f308a67673f2de001b50e40"
	"59679a9d0024411d395993fab4808885199e08cf2715d4bd072c6474c5e10b2ace1f7bdfa8b9214662230d8d4f4df5bd"
	"ccc0e75f27bd35b18556ea6b0208d6268e5427607e0a60909201431904c10be16618efe7534a15800bcd39b4ab3876be"
	"5c55f4da62d7600f7979ebae3556dd02f39c2ce24cc95f8643396a37245658665678117e5f4e1e2f134e0a";

/* samples/kpasswd.pcap frame 40: the reply of (d), the same exchange over UDP: the datagram's
 * payload */
static const char real_udp_rep_ok[] =
	"00ec0001008c6f8189308186a003020105a10302010fa27a3078a003020112a271046fcc3974f1ec04d19d8769ddcacf"
	"b390bb42cd8de0b1bcdf674f3638244fdfdfc25dba047e8ab5f12465245aa796253aa315f09f6406136de5f39ec97006"
	"f61774659af94348be649b4bcfcc2edb41976fcc6ab6172c99f64a046d24df1a1efa241e629dbb3ab660d95b757a6d3d"
	"a26b75583056a003020105a103020115a34a3048a003020112a241043f8db0ede8e7964b151e84a4dab9117ad7a296e7"
	"c0a8480f19349da28156eb3b19828a9e5bf70079718cf986d5dd4a725487bff78ea15b62a85b961de2dea1f5";

/* samples/kpasswd.pcap frame 50: the reply of (e), kadmind's clock 10 minutes ahead: AP length 0
 * + KRB-ERROR (KRB_ERR_GENERIC) whose e-data is result 3 "Failed reading application request" */
static const char real_tcp_rep_error[] =
	"0084000100007e7c307aa003020105a10302011ea411180f32303236313230373135333134355aa503020100a6030201"
	"3ca90a1b084c41422e54455354aa1d301ba003020101a11430121b066b61646d696e1b086368616e67657077ac260424"
	"00034661696c65642072656164696e67206170706c69636174696f6e2072657175657374";

/* The KRB-ERROR of real_tcp_rep_error without its e-data [12]: the contents
 * of its SEQUENCE, pvno [0] to sname [10]. */
static const char error_fields[] =
	"a003020105a10302011ea411180f32303236313230373135333134355aa503020100a60302013ca90a1b084c41422e"
	"54455354aa1d301ba003020101a11430121b066b61646d696e1b086368616e67657077";

/* ------------------------------------------------------------ helpers */

struct vec {
	uint8_t b[1024];
	size_t n;
};

static void put(struct vec *v, const void *p, size_t n)
{
	ck_assert_uint_le(n, sizeof v->b - v->n);
	memcpy(v->b + v->n, p, n);
	v->n += n;
}

static void put_hex(struct vec *v, const char *hex)
{
	uint8_t tmp[sizeof v->b];
	put(v, tmp, kf_test_hex(hex, tmp, sizeof tmp));
}

static struct vec from_hex(const char *hex)
{
	struct vec v = { .n = 0 };
	put_hex(&v, hex);
	return v;
}

/* DER: tag, definite length, contents */
static struct vec wrap(uint8_t tag, struct vec in)
{
	struct vec v = { .n = 0 };
	uint8_t h[4] = { tag };
	size_t hn = 2;
	if (in.n < 0x80) {
		h[1] = (uint8_t)in.n;
	} else if (in.n < 0x100) {
		h[1] = 0x81, h[2] = (uint8_t)in.n, hn = 3;
	} else {
		h[1] = 0x82, h[2] = (uint8_t)(in.n >> 8), h[3] = (uint8_t)in.n, hn = 4;
	}
	put(&v, h, hn);
	put(&v, in.b, in.n);
	return v;
}

/* A kpasswd message: header, AP part, body (length field computed). */
static struct vec frame(uint16_t version, struct vec ap, struct vec body)
{
	struct vec v = { .n = 0 };
	size_t n = 6 + ap.n + body.n;
	uint8_t h[6] = { (uint8_t)(n >> 8), (uint8_t)n,           (uint8_t)(version >> 8),
			 (uint8_t)version,  (uint8_t)(ap.n >> 8), (uint8_t)ap.n };
	put(&v, h, sizeof h);
	put(&v, ap.b, ap.n);
	put(&v, body.b, body.n);
	return v;
}

/* KRB-ERROR (error_fields' fields) with e-data [12] holding edata_hex, or
 * none when edata_hex is NULL. */
static struct vec krb_error(const char *edata_hex)
{
	struct vec fields = from_hex(error_fields);
	if (edata_hex) {
		struct vec ed = wrap(0xac, wrap(0x04, from_hex(edata_hex)));
		put(&fields, ed.b, ed.n);
	}
	return wrap(0x7e, wrap(0x30, fields));
}

/* KRB-PRIV whose EncryptedData is etype 18, kvno_hex (the INTEGER's
 * contents, or NULL for none) and an 8-byte cipher. */
static struct vec krb_priv(const char *kvno_hex)
{
	struct vec enc = from_hex("a003020112");
	if (kvno_hex) {
		struct vec k = wrap(0xa1, wrap(0x02, from_hex(kvno_hex)));
		put(&enc, k.b, k.n);
	}
	struct vec c = wrap(0xa2, wrap(0x04, from_hex("0102030405060708")));
	put(&enc, c.b, c.n);
	struct vec fields = from_hex("a003020105a103020115");
	struct vec e = wrap(0xa3, wrap(0x30, enc));
	put(&fields, e.b, e.n);
	return wrap(0x75, wrap(0x30, fields));
}

/* bytes [from, to) of a real vector */
static struct vec slice(const char *hex, size_t from, size_t to)
{
	struct vec all = from_hex(hex), v = { .n = 0 };
	ck_assert_uint_le(to, all.n);
	put(&v, all.b + from, to - from);
	return v;
}

/* An exact-size heap copy, so ASan sees a read past the end. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	memcpy(c, p, n);
	return c;
}

/* Decode v (from an exact-size copy) expecting a complete message without
 * events; spans are checked to lie inside the copy, then made relative to v. */
static struct kf_kpasswd_msg decode_ok(const struct vec *v)
{
	uint8_t *p = exact(v->b, v->n);
	struct kf_kpasswd_msg m;
	struct kf_events ev = { 0 };
	ck_assert_msg(kf_kpasswd_decode(kf_span_make(p, v->n), &m, &ev), "refused: %s", m.why);
	ck_assert_msg(m.complete, "incomplete: %s", m.why);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_ptr_null(m.why);
	struct kf_span *spans[] = { &m.ap, &m.priv, &m.error, &m.e_data, &m.result.string };
	for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		if (spans[i]->n == 0)
			continue;
		ck_assert(spans[i]->p >= p && spans[i]->p + spans[i]->n <= p + v->n);
		spans[i]->p = v->b + (spans[i]->p - p);
	}
	free(p);
	return m;
}

/* offset of span s inside v */
static size_t off(const struct vec *v, struct kf_span s) { return (size_t)(s.p - v->b); }

/* What the header of a framed message said, and where the AP part is. */
static void expect_frame(const struct vec *v, const struct kf_kpasswd_msg *m, int kind, size_t length,
			 int ap_type, size_t ap_n)
{
	ck_assert_int_eq(m->kind, kind);
	ck_assert(m->framed);
	ck_assert_uint_eq(m->length, length);
	ck_assert_uint_eq(m->version, KF_KPASSWD_V_CHANGE);
	ck_assert_int_eq(m->ap_type, ap_type);
	ck_assert_uint_eq(m->ap.n, ap_n);
	if (ap_n)
		ck_assert_uint_eq(off(v, m->ap), 6);
}

/* ------------------------------------------------------ real messages */

START_TEST(t_real_request)
{
	struct vec v = from_hex(real_tcp_req);
	struct kf_kpasswd_msg m = decode_ok(&v);
	expect_frame(&v, &m, KF_KPASSWD_REQUEST, 680, 14, 574);
	ck_assert_str_eq(kf_kpasswd_version_name(m.version), "change-password");
	ck_assert_uint_eq(off(&v, m.priv), 580);
	ck_assert_uint_eq(m.priv.n, 100);
	ck_assert(m.priv_enc.present);
	ck_assert_int_eq(m.priv_enc.etype, 18);
	ck_assert(!m.priv_enc.has_kvno);
	ck_assert_uint_eq(m.priv_enc.cipher_len, 73);
	ck_assert_uint_eq(m.error.n, 0);
	ck_assert(!m.has_error_code && !m.has_e_data && !m.result.present);

	/* The AP-REQ goes on to the Kerberos decoder as it is. */
	struct kf_krb_msg k;
	ck_assert(kf_krb5_decode(m.ap, &k, NULL));
	ck_assert_int_eq(k.type, KF_KRB_AP_REQ);
	ck_assert(k.complete);
	ck_assert(k.ticket.present);
	ck_assert_str_eq(k.ticket.sname, "kadmin/changepw");
	ck_assert_str_eq(k.ticket.realm, "LAB.TEST");
	ck_assert(k.ticket.has_kvno);
	ck_assert_uint_eq(k.ticket.kvno, 1);
}
END_TEST

START_TEST(t_real_replies)
{
	static const struct {
		const char *hex;
		size_t n, priv_n, cipher;
	} rows[] = {
		{ real_tcp_rep_ok, 236, 90, 63 },
		{ real_tcp_rep_policy, 331, 185, 152 },
		{ real_udp_rep_ok, 236, 90, 63 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct vec v = from_hex(rows[i].hex);
		struct kf_kpasswd_msg m = decode_ok(&v);
		expect_frame(&v, &m, KF_KPASSWD_REPLY, rows[i].n, 15, 140);
		ck_assert_uint_eq(off(&v, m.priv), 146);
		ck_assert_uint_eq(m.priv.n, rows[i].priv_n);
		ck_assert(m.priv_enc.present);
		ck_assert_int_eq(m.priv_enc.etype, 18);
		ck_assert(!m.priv_enc.has_kvno);
		ck_assert_uint_eq(m.priv_enc.cipher_len, rows[i].cipher);
		ck_assert(!m.result.present); /* encrypted: not readable here */
		struct kf_krb_msg k;
		ck_assert(kf_krb5_decode(m.ap, &k, NULL));
		ck_assert_int_eq(k.type, KF_KRB_AP_REP);
	}
}
END_TEST

START_TEST(t_real_error)
{
	struct vec v = from_hex(real_tcp_rep_error);
	struct kf_kpasswd_msg m = decode_ok(&v);
	expect_frame(&v, &m, KF_KPASSWD_REPLY, 132, 0, 0);
	ck_assert_uint_eq(m.priv.n, 0);
	ck_assert(!m.priv_enc.present);
	ck_assert_uint_eq(off(&v, m.error), 6);
	ck_assert_uint_eq(m.error.n, 126);
	ck_assert(m.has_error_code);
	ck_assert_int_eq(m.error_code, 60); /* MIT kadmind: KRB_ERR_GENERIC whatever went wrong */
	ck_assert(m.has_e_data);
	ck_assert_uint_eq(off(&v, m.e_data), 96);
	ck_assert_uint_eq(m.e_data.n, 36);
	ck_assert(m.result.present);
	ck_assert_uint_eq(m.result.code, KF_KPASSWD_AUTHERROR);
	ck_assert_str_eq(kf_kpasswd_result_name(m.result.code), "KRB5_KPASSWD_AUTHERROR");
	ck_assert(kf_span_eq_str(m.result.string, "Failed reading application request"));
	ck_assert(!m.result.ad_policy);

	struct kf_krb_msg k;
	ck_assert(kf_krb5_decode(m.error, &k, NULL));
	ck_assert_int_eq(k.type, KF_KRB_ERROR);
	ck_assert_int_eq(k.error_code, 60);
	ck_assert_str_eq(k.sname, "kadmin/changepw");
	ck_assert(k.has_stime);
}
END_TEST

/* ------------------------------------------------- hand-built messages */

/* RFC 3244 set-password: version 0xff80, same layout (the KRB-PRIV holds
 * ChangePasswdData, which is encrypted and not looked at). */
START_TEST(t_set_password)
{
	struct vec v = from_hex(real_tcp_req);
	v.b[2] = 0xff;
	v.b[3] = 0x80;
	struct kf_kpasswd_msg m = decode_ok(&v);
	ck_assert_int_eq(m.kind, KF_KPASSWD_REQUEST);
	ck_assert_uint_eq(m.version, KF_KPASSWD_V_SET);
	ck_assert_str_eq(kf_kpasswd_version_name(m.version), "set-password");
	/* any other version is reported, not judged */
	v.b[2] = 0x00;
	v.b[3] = 0x07;
	m = decode_ok(&v);
	ck_assert_uint_eq(m.version, 7);
	ck_assert_ptr_null(kf_kpasswd_version_name(m.version));
}
END_TEST

/* A KRB-ERROR without the kpasswd header (Windows answers so). */
START_TEST(t_bare_error)
{
	struct vec v = slice(real_tcp_rep_error, 6, 132);
	struct kf_kpasswd_msg m = decode_ok(&v);
	ck_assert_int_eq(m.kind, KF_KPASSWD_REPLY);
	ck_assert(!m.framed);
	ck_assert_uint_eq(m.length, 0);
	ck_assert_uint_eq(m.version, 0);
	ck_assert_uint_eq(off(&v, m.error), 0);
	ck_assert_uint_eq(m.error.n, 126);
	ck_assert_int_eq(m.error_code, 60);
	ck_assert_uint_eq(m.result.code, 3);
	ck_assert(kf_span_eq_str(m.result.string, "Failed reading application request"));

	/* without e-data: complete, no result */
	v = krb_error(NULL);
	m = decode_ok(&v);
	ck_assert(!m.framed);
	ck_assert(m.has_error_code);
	ck_assert(!m.has_e_data);
	ck_assert(!m.result.present);
}
END_TEST

/* Results as Windows sends them for a policy refusal: code 4 and the
 * 30-byte AD policy block (minimum length 7, history 24, complexity on,
 * maximum age 42 days, minimum age 1 day, in 100 ns units). */
START_TEST(t_ad_policy)
{
	static const char policy[] = "0004"
				     "0000"
				     "00000007"
				     "00000018"
				     "00000001"
				     "00002100f5598000"
				     "000000c92a69c000";
	struct vec v = frame(1, (struct vec){ .n = 0 }, krb_error(policy));
	struct kf_kpasswd_msg m = decode_ok(&v);
	ck_assert(m.framed);
	ck_assert_int_eq(m.kind, KF_KPASSWD_REPLY);
	ck_assert_uint_eq(m.result.code, KF_KPASSWD_SOFTERROR);
	ck_assert_str_eq(kf_kpasswd_result_name(m.result.code), "KRB5_KPASSWD_SOFTERROR");
	ck_assert(m.result.ad_policy);
	ck_assert_uint_eq(m.result.string.n, 30);
	ck_assert_uint_eq(m.result.policy.min_length, 7);
	ck_assert_uint_eq(m.result.policy.history, 24);
	ck_assert_uint_eq(m.result.policy.properties, 1);
	ck_assert_uint_eq(m.result.policy.max_age, 42ull * 86400 * 10000000);
	ck_assert_uint_eq(m.result.policy.min_age, 86400ull * 10000000);

	/* 30 bytes that do not start with two zeros: text */
	struct kf_kpasswd_result r;
	struct vec t = from_hex("0004"
				"41414141414141414141414141414141414141414141414141414141414141");
	ck_assert(kf_kpasswd_result_decode(kf_span_make(t.b, 32), &r));
	ck_assert(!r.ad_policy);
	/* 31 bytes starting with zeros: not the block either */
	struct vec z = from_hex("0004"
				"00000000000000000000000000000000000000000000000000000000000000");
	ck_assert(kf_kpasswd_result_decode(kf_span_make(z.b, z.n), &r));
	ck_assert_uint_eq(r.string.n, 31);
	ck_assert(!r.ad_policy);
	/* the code alone: an empty string */
	ck_assert(kf_kpasswd_result_decode(kf_span_make(z.b, 2), &r));
	ck_assert(r.present);
	ck_assert_uint_eq(r.code, 4);
	ck_assert_uint_eq(r.string.n, 0);
	/* one byte: no result */
	ck_assert(!kf_kpasswd_result_decode(kf_span_make(z.b, 1), &r));
	ck_assert(!r.present);
}
END_TEST

/* A KRB-PRIV's kvno, unsigned or as the negative INTEGER some encoders
 * write above 2^31; a reply with an AP-REP. */
START_TEST(t_priv_kvno)
{
	struct vec ap = slice(real_tcp_rep_ok, 6, 146);
	struct vec v = frame(1, ap, krb_priv("05"));
	struct kf_kpasswd_msg m = decode_ok(&v);
	ck_assert_int_eq(m.kind, KF_KPASSWD_REPLY);
	ck_assert(m.priv_enc.has_kvno);
	ck_assert_uint_eq(m.priv_enc.kvno, 5);
	ck_assert_uint_eq(m.priv_enc.cipher_len, 8);

	v = frame(1, ap, krb_priv("00ffffffff"));
	m = decode_ok(&v);
	ck_assert_uint_eq(m.priv_enc.kvno, 0xffffffffu);
	v = frame(1, ap, krb_priv("80000001"));
	m = decode_ok(&v);
	ck_assert_uint_eq(m.priv_enc.kvno, 0x80000001u);
	/* 2^32 does not fit: the KRB-PRIV cannot be read */
	v = frame(1, ap, krb_priv("0100000000"));
	struct kf_events ev = { 0 };
	ck_assert(kf_kpasswd_decode(kf_span_make(v.b, v.n), &m, &ev));
	ck_assert(!m.complete);
	ck_assert(!m.priv_enc.present);
	ck_assert(kf_test_has_event(&ev, KF_EV_KPASSWD_MALFORMED));

	/* a KRB-PRIV after an empty AP part: a reply that cannot be opened,
	 * reported as it is */
	v = frame(1, (struct vec){ .n = 0 }, krb_priv(NULL));
	m = decode_ok(&v);
	ck_assert_int_eq(m.kind, KF_KPASSWD_REPLY);
	ck_assert_int_eq(m.ap_type, 0);
	ck_assert(m.priv_enc.present);
	/* an AP-REP followed by a KRB-ERROR: a reply too */
	v = frame(1, ap, krb_error("0002"));
	m = decode_ok(&v);
	ck_assert_int_eq(m.kind, KF_KPASSWD_REPLY);
	ck_assert_int_eq(m.ap_type, 15);
	ck_assert_uint_eq(m.result.code, KF_KPASSWD_HARDERROR);
}
END_TEST

/* ---------------------------------------------------------- malformed */

/* Each row (testutil.h) must be refused with its event and
 * KPASSWD_MALFORMED. */
#define KEEP KF_TEST_KEEP

static const struct kf_test_bad bads[] = {
	{ "empty", real_tcp_rep_ok, 0, "", 0, KF_EV_KPASSWD_MALFORMED },
	{ "one-byte", real_tcp_rep_ok, 0, "", 1, KF_EV_KPASSWD_MALFORMED },
	{ "header-cut", real_tcp_rep_ok, 0, "0005", 5, KF_EV_KPASSWD_MALFORMED },
	{ "length-plus-one", real_tcp_rep_ok, 0, "00ed", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "length-minus-one", real_tcp_rep_ok, 0, "00eb", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "length-zero", real_tcp_rep_ok, 0, "0000", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "length-ffff", real_tcp_rep_ok, 0, "ffff", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-len-past-end", real_tcp_rep_ok, 4, "00e7", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-len-huge", real_tcp_rep_ok, 4, "ffff", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-len-all", real_tcp_rep_ok, 4, "00e6", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-len-short", real_tcp_rep_ok, 4, "008b", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-len-long", real_tcp_rep_ok, 4, "008d", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-universal", real_tcp_rep_ok, 6, "30", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-context", real_tcp_rep_ok, 6, "af", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-krb-cred", real_tcp_rep_ok, 6, "76", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-primitive", real_tcp_rep_ok, 6, "4f", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-indefinite", real_tcp_rep_ok, 7, "80", KEEP, KF_EV_DER_INDEFINITE_LENGTH },
	{ "ap-length-5-octets", real_tcp_rep_ok, 7, "85", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "ap-high-tag", real_tcp_rep_ok, 6, "7f", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "req-ap-cut", real_tcp_req, 8, "023b", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "nothing-after-ap", real_tcp_rep_ok, 0, "0092", 146, KF_EV_KPASSWD_MALFORMED },
	{ "rest-ap-rep", real_tcp_rep_ok, 146, "6f", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "rest-krb-cred", real_tcp_rep_ok, 146, "76", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "rest-universal", real_tcp_rep_ok, 146, "30", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "rest-primitive", real_tcp_rep_ok, 146, "55", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "rest-trailing-byte", real_tcp_rep_ok, 147, "57", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "rest-overrun", real_tcp_rep_ok, 147, "59", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "rest-long-length", real_tcp_rep_ok, 147, "84", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "rest-indefinite", real_tcp_rep_ok, 147, "80", KEEP, KF_EV_DER_INDEFINITE_LENGTH },
	{ "error-ap-len-one", real_tcp_rep_error, 4, "0001", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "error-overrun", real_tcp_rep_error, 7, "7d", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "error-trailing-byte", real_tcp_rep_error, 6, "7e7b", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "not-kpasswd", real_tcp_rep_ok, 0, "474554202f20485454502f312e310d0a", 16,
	  KF_EV_KPASSWD_MALFORMED },
};
#define N_BAD (sizeof bads / sizeof bads[0])

/* Decode the row's bytes: refused (framing) or accepted but incomplete
 * (damage inside), with the row's event. */
static void check_row(const struct kf_test_bad *b, bool refused)
{
	size_t n;
	uint8_t *p = kf_test_bad_input(b, &n);
	struct kf_kpasswd_msg m;
	struct kf_events ev = { 0 };
	bool ok = kf_kpasswd_decode(kf_span_make(p, n), &m, &ev);
	ck_assert_msg(ok != refused, "%s: %s (%s)", b->name, ok ? "accepted" : "refused", m.why);
	ck_assert_ptr_nonnull(m.why);
	ck_assert_msg(kf_test_has_event(&ev, b->ev), "%s: missing %s", b->name, kf_event_code(b->ev));
	if (refused) {
		ck_assert_int_eq(m.kind, KF_KPASSWD_NONE);
		ck_assert_msg(kf_test_has_event(&ev, KF_EV_KPASSWD_MALFORMED), "%s: no kpasswd-malformed",
			      b->name);
		ck_assert(!kf_kpasswd_decode(kf_span_make(p, n), &m, NULL)); /* NULL sink allowed */
	} else {
		ck_assert_int_eq(m.kind, KF_KPASSWD_REPLY);
		ck_assert_msg(!m.complete, "%s complete", b->name);
		ck_assert_uint_eq(ev.n, 1);
	}
	free(p);
}

START_TEST(t_malformed) { check_row(&bads[_i], true); }
END_TEST

/* Well framed, damaged inside: accepted, incomplete, one event. */
static const struct kf_test_bad damaged[] = {
	{ "priv-set", real_tcp_rep_ok, 148, "31", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-no-enc-part", real_tcp_rep_ok, 160, "a4", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-repeated-field", real_tcp_rep_ok, 160, "a1", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-universal-field", real_tcp_rep_ok, 160, "30", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-primitive-field", real_tcp_rep_ok, 160, "83", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-enc-not-seq", real_tcp_rep_ok, 162, "31", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-etype-octets", real_tcp_rep_ok, 166, "04", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-no-etype", real_tcp_rep_ok, 164, "a3", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-no-cipher", real_tcp_rep_ok, 169, "a3", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-cipher-bits", real_tcp_rep_ok, 171, "03", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "priv-field-overrun", real_tcp_rep_ok, 161, "4b", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "error-set", real_tcp_rep_error, 8, "31", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "error-no-code", real_tcp_rep_error, 44, "a7", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "error-code-octets", real_tcp_rep_error, 46, "04", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "error-edata-utf8", real_tcp_rep_error, 94, "0c", KEEP, KF_EV_KPASSWD_MALFORMED },
	{ "error-fields-overrun", real_tcp_rep_error, 93, "25", KEEP, KF_EV_KPASSWD_MALFORMED },
};
#define N_DAMAGED (sizeof damaged / sizeof damaged[0])

START_TEST(t_damaged) { check_row(&damaged[_i], false); }
END_TEST

/* Hand-built damage: e-data too short for a result, an AP-REQ followed by
 * a KRB-ERROR, bare [APPLICATION 30] elements that are not KRB-ERRORs. */
START_TEST(t_hand_malformed)
{
	struct kf_kpasswd_msg m;
	struct kf_events ev = { 0 };

	struct vec v = frame(1, (struct vec){ .n = 0 }, krb_error("04"));
	ck_assert(kf_kpasswd_decode(kf_span_make(v.b, v.n), &m, &ev));
	ck_assert(!m.complete);
	ck_assert(m.has_e_data);
	ck_assert(!m.result.present);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert(kf_test_has_event(&ev, KF_EV_KPASSWD_RESULT_MALFORMED));

	kf_events_clear(&ev);
	v = frame(1, (struct vec){ .n = 0 }, krb_error(""));
	ck_assert(kf_kpasswd_decode(kf_span_make(v.b, v.n), &m, &ev));
	ck_assert(!m.complete);
	ck_assert(kf_test_has_event(&ev, KF_EV_KPASSWD_RESULT_MALFORMED));

	kf_events_clear(&ev);
	v = frame(1, slice(real_tcp_req, 6, 580), krb_error("0001"));
	ck_assert(!kf_kpasswd_decode(kf_span_make(v.b, v.n), &m, &ev));
	ck_assert(kf_test_has_event(&ev, KF_EV_KPASSWD_MALFORMED));
	ck_assert_uint_eq(m.ap.n, 574); /* read before the damage: kept */

	static const char *const bare_bad[] = {
		"7e00",               /* nothing inside */
		"7e023000",           /* no error-code */
		"7e073005a603040100", /* error-code not an INTEGER */
	};
	for (size_t i = 0; i < sizeof bare_bad / sizeof bare_bad[0]; i++) {
		kf_events_clear(&ev);
		v = from_hex(bare_bad[i]);
		ck_assert_msg(!kf_kpasswd_decode(kf_span_make(v.b, v.n), &m, &ev), "%s accepted",
			      bare_bad[i]);
		ck_assert(kf_test_has_event(&ev, KF_EV_KPASSWD_MALFORMED));
		ck_assert_int_eq(m.kind, KF_KPASSWD_NONE);
	}
	/* a bare KRB-ERROR with a byte after it */
	kf_events_clear(&ev);
	v = krb_error("0003");
	put_hex(&v, "00");
	ck_assert(!kf_kpasswd_decode(kf_span_make(v.b, v.n), &m, &ev));
}
END_TEST

/* ---------------------------------------------------------- truncation */

static const char *const valids[] = {
	real_tcp_req, real_tcp_rep_ok, real_tcp_rep_policy, real_udp_rep_ok, real_tcp_rep_error,
};
#define N_VALID (sizeof valids / sizeof valids[0])

/* Every proper prefix of every valid message is refused with an event,
 * both as cut (the length field then disagrees) and with the length field
 * rewritten to the prefix's size (so the checks behind it are reached); the
 * same for the KRB-ERROR alone, as a bare reply. */
static void sweep(const struct vec *full, bool fix_length, bool bare)
{
	for (size_t k = 0; k <= full->n; k++) {
		uint8_t *p = exact(full->b, k);
		if (fix_length && k >= 2) {
			p[0] = (uint8_t)(k >> 8);
			p[1] = (uint8_t)k;
		}
		struct kf_kpasswd_msg m;
		struct kf_events ev = { 0 };
		bool ok = kf_kpasswd_decode(kf_span_make(p, k), &m, &ev);
		if (k == full->n) {
			ck_assert_msg(ok && m.complete, "whole message refused: %s", m.why);
			ck_assert(m.framed == !bare);
		} else {
			ck_assert_msg(!ok, "prefix %zu of %zu accepted (fix %d, bare %d)", k, full->n,
				      fix_length, bare);
			ck_assert_uint_ge(ev.n, 1);
		}
		free(p);
	}
}

START_TEST(t_truncation)
{
	struct vec v = from_hex(valids[_i]);
	sweep(&v, false, false);
	sweep(&v, true, false);
	if (_i == N_VALID - 1) {
		struct vec e = slice(valids[_i], 6, v.n);
		sweep(&e, false, true);
	}
}
END_TEST

/* --------------------------------------------------------------- names */

START_TEST(t_names)
{
	static const char *const want[] = {
		"KRB5_KPASSWD_SUCCESS",     "KRB5_KPASSWD_MALFORMED",           "KRB5_KPASSWD_HARDERROR",
		"KRB5_KPASSWD_AUTHERROR",   "KRB5_KPASSWD_SOFTERROR",           "KRB5_KPASSWD_ACCESSDENIED",
		"KRB5_KPASSWD_BAD_VERSION", "KRB5_KPASSWD_INITIAL_FLAG_NEEDED",
	};
	for (uint16_t c = 0; c < 8; c++)
		ck_assert_str_eq(kf_kpasswd_result_name(c), want[c]);
	ck_assert_ptr_null(kf_kpasswd_result_name(8));
	ck_assert_ptr_null(kf_kpasswd_result_name(0xffff));
	ck_assert_str_eq(kf_kpasswd_version_name(1), "change-password");
	ck_assert_str_eq(kf_kpasswd_version_name(0xff80), "set-password");
	ck_assert_ptr_null(kf_kpasswd_version_name(0));
	ck_assert_ptr_null(kf_kpasswd_version_name(2));
	ck_assert_str_eq(kf_event_code(KF_EV_KPASSWD_MALFORMED), "kpasswd-malformed");
	ck_assert_str_eq(kf_event_code(KF_EV_KPASSWD_RESULT_MALFORMED), "kpasswd-result-malformed");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kpasswd");
	TCase *tc = tcase_create("kpasswd");
	tcase_add_test(tc, t_real_request);
	tcase_add_test(tc, t_real_replies);
	tcase_add_test(tc, t_real_error);
	tcase_add_test(tc, t_set_password);
	tcase_add_test(tc, t_bare_error);
	tcase_add_test(tc, t_ad_policy);
	tcase_add_test(tc, t_priv_kvno);
	tcase_add_loop_test(tc, t_malformed, 0, (int)N_BAD);
	tcase_add_loop_test(tc, t_damaged, 0, (int)N_DAMAGED);
	tcase_add_test(tc, t_hand_malformed);
	tcase_add_loop_test(tc, t_truncation, 0, (int)N_VALID);
	tcase_add_test(tc, t_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
