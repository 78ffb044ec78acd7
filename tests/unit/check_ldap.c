/* check_ldap.c - the LDAP decoder (decoders/ldap.c) on messages built
 * element by element from RFC 4511 (ldapfix.c): simple and SASL binds,
 * bind responses with AD's diagnostic, StartTLS, other operations, every
 * prefix of every vector, indefinite and huge lengths, kf_ldap_peek, AD's
 * data codes and the name tables.  The carrier: check_ldap_carrier.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ldap.h"
#include "ldapfix.h"
#include "testutil.h"

static bool inside(struct kf_span s, const uint8_t *base, size_t n)
{
	if (s.n == 0)
		return true;
	return s.p >= base && s.p <= base + n && s.n <= (size_t)(base + n - s.p);
}

/* Decode an exact-size heap copy of b (ASan sees a read past the end);
 * every span must lie inside it.  The copy lives until the next call. */
static uint8_t *copy;

static bool dec(const struct sb *b, struct kf_ldap_msg *m, struct kf_events *ev)
{
	free(copy);
	uint8_t *p = copy = malloc(b->n ? b->n : 1);
	ck_assert_ptr_nonnull(p);
	if (b->n)
		memcpy(p, b->p, b->n);
	memset(ev, 0, sizeof *ev);
	bool ok = kf_ldap_decode(kf_span_make(p, b->n), m, ev);
	ck_assert(inside(m->name, p, b->n));
	ck_assert(inside(m->mechanism, p, b->n));
	ck_assert(inside(m->credentials, p, b->n));
	ck_assert(inside(m->diagnostic, p, b->n));
	ck_assert(inside(m->matched_dn, p, b->n));
	ck_assert(inside(m->server_creds, p, b->n));
	ck_assert(inside(m->oid, p, b->n));
	/* the peek agrees on the length and the op of any whole message */
	struct kf_ldap_peek pk;
	if (ok && kf_ldap_peek(kf_span_make(p, b->n), &pk) == 1) {
		ck_assert_uint_eq(pk.total, b->n);
		ck_assert_uint_eq(pk.message_id, m->message_id);
		ck_assert_uint_eq(pk.op_tag & 0x1fu, m->op);
	}
	return ok;
}

static bool span_is(struct kf_span s, const char *text)
{
	return s.n == strlen(text) && memcmp(s.p, text, s.n) == 0;
}

/* Every prefix of b decodes without a crash, and none as a whole bind. */
static void prefixes(const struct sb *b)
{
	for (size_t n = 0; n < b->n; n++) {
		struct sb cut = { 0 };
		sb_put(&cut, b->p, n);
		struct kf_ldap_msg m;
		struct kf_events ev;
		bool ok = dec(&cut, &m, &ev);
		ck_assert(!ok || !m.body_ok || n == b->n);
		sb_free(&cut);
	}
}

START_TEST(t_simple_bind)
{
	struct sb b = { 0 };
	ldap_bind_simple(&b, 7, "cn=admin,dc=lab,dc=test", "Secret-Pw1");
	struct kf_ldap_msg m;
	struct kf_events ev;
	ck_assert(dec(&b, &m, &ev));
	ck_assert(m.body_ok);
	ck_assert_uint_eq(m.message_id, 7);
	ck_assert_uint_eq(m.op, KF_LDAP_BIND_REQUEST);
	ck_assert_uint_eq(m.version, 3);
	ck_assert_int_eq(m.auth, KF_LDAP_AUTH_SIMPLE);
	ck_assert(m.simple_password);
	ck_assert(span_is(m.name, "cn=admin,dc=lab,dc=test"));
	ck_assert_uint_eq(m.credentials.n, 0); /* the password is not handed out */
	ck_assert_uint_eq(m.mechanism.n, 0);
	prefixes(&b);
	sb_free(&b);

	ldap_bind_simple(&b, 8, "", ""); /* anonymous */
	ck_assert(dec(&b, &m, &ev));
	ck_assert_int_eq(m.auth, KF_LDAP_AUTH_SIMPLE);
	ck_assert(!m.simple_password);
	sb_free(&b);
}
END_TEST

START_TEST(t_sasl_bind)
{
	static const uint8_t tok[] = { 0x60, 0x03, 0x06, 0x01, 0x00 };
	struct sb b = { 0 };
	ldap_bind_sasl(&b, 1440128865u, "", "GSS-SPNEGO", tok, sizeof tok);
	struct kf_ldap_msg m;
	struct kf_events ev;
	ck_assert(dec(&b, &m, &ev));
	ck_assert(m.body_ok);
	ck_assert_uint_eq(m.message_id, 1440128865u);
	ck_assert_int_eq(m.auth, KF_LDAP_AUTH_SASL);
	ck_assert(span_is(m.mechanism, "GSS-SPNEGO"));
	ck_assert_uint_eq(m.credentials.n, sizeof tok);
	ck_assert_mem_eq(m.credentials.p, tok, sizeof tok);
	prefixes(&b);
	sb_free(&b);

	ldap_bind_sasl(&b, 2, "", "EXTERNAL", NULL, 0);
	ck_assert(dec(&b, &m, &ev));
	ck_assert(span_is(m.mechanism, "EXTERNAL"));
	ck_assert_uint_eq(m.credentials.n, 0);
	sb_free(&b);
}
END_TEST

START_TEST(t_sicily_bind)
{
	static const uint8_t ntlm[] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0 };
	struct sb op = { 0 }, b = { 0 };
	ber_uint(&op, 0x02, 3);
	der_add(&op, 0x04, "", 0);
	der_add(&op, 0x8a, ntlm, sizeof ntlm);
	ldap_wrap(&b, 3, 0x60, &op);
	struct kf_ldap_msg m;
	struct kf_events ev;
	ck_assert(dec(&b, &m, &ev));
	ck_assert_int_eq(m.auth, KF_LDAP_AUTH_SICILY);
	ck_assert_uint_eq(m.credentials.n, sizeof ntlm);
	sb_free(&op);
	sb_free(&b);

	/* the answer: the CHALLENGE in matchedDN, handed out as the server's token */
	static const uint8_t chal[] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 2, 0, 0, 0 };
	ber_uint(&op, 0x0a, 0);
	der_add(&op, 0x04, chal, sizeof chal);
	der_add(&op, 0x04, "", 0);
	ldap_wrap(&b, 3, 0x61, &op);
	ck_assert(dec(&b, &m, &ev));
	ck_assert_uint_eq(m.server_creds.n, sizeof chal);
	ck_assert_uint_eq(m.matched_dn.n, 0);
	sb_free(&op);
	sb_free(&b);
}
END_TEST

START_TEST(t_bind_response)
{
	struct sb b = { 0 };
	ldap_bind_rsp(&b, 66, 49, AD_BAD_PASSWORD_DIAG, NULL, 0);
	struct kf_ldap_msg m;
	struct kf_events ev;
	ck_assert(dec(&b, &m, &ev));
	ck_assert_uint_eq(m.op, KF_LDAP_BIND_RESPONSE);
	ck_assert(m.has_result);
	ck_assert_uint_eq(m.result_code, 49);
	ck_assert(span_is(m.diagnostic, AD_BAD_PASSWORD_DIAG));
	ck_assert(m.has_ad_data);
	ck_assert_uint_eq(m.ad_data_code, 0x52e);
	ck_assert_uint_eq(m.server_creds.n, 0);
	prefixes(&b);
	sb_free(&b);

	static const uint8_t creds[] = { 0xa1, 0x03, 0x30, 0x01, 0x00 };
	ldap_bind_rsp(&b, 65, 14, "", creds, sizeof creds);
	ck_assert(dec(&b, &m, &ev));
	ck_assert_uint_eq(m.result_code, KF_LDAP_RESULT_SASL_BIND_IN_PROGRESS);
	ck_assert(!m.has_ad_data);
	ck_assert_uint_eq(m.server_creds.n, sizeof creds);
	sb_free(&b);
}
END_TEST

START_TEST(t_starttls)
{
	struct sb b = { 0 };
	ldap_starttls_req(&b, 1);
	struct kf_ldap_msg m;
	struct kf_events ev;
	ck_assert(dec(&b, &m, &ev));
	ck_assert_uint_eq(m.op, KF_LDAP_EXTENDED_REQUEST);
	ck_assert(m.starttls);
	prefixes(&b);
	sb_free(&b);
	ldap_starttls_rsp(&b, 1, 0, 1);
	ck_assert(dec(&b, &m, &ev));
	ck_assert_uint_eq(m.op, KF_LDAP_EXTENDED_RESPONSE);
	ck_assert(m.starttls);
	ck_assert_uint_eq(m.result_code, 0);
	sb_free(&b);
	ldap_starttls_rsp(&b, 1, 2, 0);
	ck_assert(dec(&b, &m, &ev));
	ck_assert(!m.starttls);
	ck_assert_uint_eq(m.result_code, 2);
	sb_free(&b);

	/* another extended operation (Who am I?) is not StartTLS */
	struct sb op = { 0 };
	der_add(&op, 0x80, "1.3.6.1.4.1.4203.1.11.3", 23);
	ldap_wrap(&b, 2, 0x77, &op);
	ck_assert(dec(&b, &m, &ev));
	ck_assert(!m.starttls);
	sb_free(&op);
	sb_free(&b);
}
END_TEST

START_TEST(t_other_ops)
{
	struct sb b = { 0 }, op = { 0 };
	ldap_wrap(&b, 9, 0x42, &op); /* unbindRequest: [APPLICATION 2] NULL */
	struct kf_ldap_msg m;
	struct kf_events ev;
	ck_assert(dec(&b, &m, &ev));
	ck_assert_uint_eq(m.op, 2);
	ck_assert(!m.body_ok);
	ck_assert_ptr_null(kf_ldap_op_name(m.op));
	sb_free(&b);
	ldap_search_entry(&b, 10, 300);
	ck_assert(dec(&b, &m, &ev));
	ck_assert_uint_eq(m.op, 4);
	sb_free(&b);
}
END_TEST

START_TEST(t_malformed)
{
	struct kf_ldap_msg m;
	struct kf_events ev;
	struct sb b = { 0 };
	/* indefinite outer length */
	sb_put(&b, "\x30\x80\x02\x01\x01\x42\x00\x00\x00", 9);
	ck_assert(!dec(&b, &m, &ev));
	ck_assert(kf_test_has_event(&ev, KF_EV_LDAP_INDEFINITE_LENGTH));
	sb_free(&b);
	/* indefinite op length */
	sb_put(&b, "\x30\x07\x02\x01\x01\x60\x80\x00\x00", 9);
	ck_assert(!dec(&b, &m, &ev));
	ck_assert(kf_test_has_event(&ev, KF_EV_LDAP_INDEFINITE_LENGTH));
	sb_free(&b);
	/* a length of 4 GiB - 1, and one of five octets */
	sb_put(&b, "\x30\x84\xff\xff\xff\xff\x02\x01\x01\x60\x00", 11);
	ck_assert(!dec(&b, &m, &ev));
	sb_free(&b);
	sb_put(&b, "\x30\x85\x01\x00\x00\x00\x00\x02\x01\x01", 10);
	ck_assert(!dec(&b, &m, &ev));
	sb_free(&b);
	/* no messageID, a negative one, an op that is not APPLICATION */
	sb_put(&b, "\x30\x02\x60\x00", 4);
	ck_assert(!dec(&b, &m, &ev));
	ck_assert(kf_test_has_event(&ev, KF_EV_LDAP_MALFORMED));
	sb_free(&b);
	sb_put(&b, "\x30\x05\x02\x01\xff\x60\x00", 7);
	ck_assert(!dec(&b, &m, &ev));
	sb_free(&b);
	sb_put(&b, "\x30\x05\x02\x01\x01\x30\x00", 7);
	ck_assert(!dec(&b, &m, &ev));
	sb_free(&b);
	/* a bindRequest without a version: id and op read, body not */
	sb_put(&b, "\x30\x07\x02\x01\x05\x60\x02\x04\x00", 9);
	ck_assert(dec(&b, &m, &ev));
	ck_assert(!m.body_ok);
	ck_assert_uint_eq(m.message_id, 5);
	ck_assert(kf_test_has_event(&ev, KF_EV_LDAP_MALFORMED));
	sb_free(&b);
	/* a bindResponse whose resultCode is an INTEGER, not ENUMERATED */
	sb_put(&b, "\x30\x0d\x02\x01\x05\x61\x08\x02\x01\x00\x04\x00\x04\x00", 15);
	ck_assert(dec(&b, &m, &ev));
	ck_assert(!m.body_ok && !m.has_result);
	sb_free(&b);
	/* SASL credentials that are not an OCTET STRING */
	sb_put(&b, "\x30\x14\x02\x01\x01\x60\x0f\x02\x01\x03\x04\x00\xa3\x08\x04\x04NTLM\x30\x00", 22);
	ck_assert(dec(&b, &m, &ev));
	ck_assert(!m.body_ok);
	sb_free(&b);
}
END_TEST

START_TEST(t_peek)
{
	struct kf_ldap_peek pk;
	struct sb b = { 0 };
	ldap_bind_sasl(&b, 300, "", "GSSAPI", (const uint8_t *)"xx", 2);
	for (size_t n = 0; n < 18 && n < b.n; n++) {
		int k = kf_ldap_peek(kf_span_make(b.p, n), &pk);
		ck_assert_int_ge(k, 0);
		if (k == 1) {
			ck_assert_uint_eq(pk.total, b.n);
			ck_assert_uint_eq(pk.message_id, 300);
			ck_assert_uint_eq(pk.op_tag, 0x60);
		}
	}
	ck_assert_int_eq(kf_ldap_peek(kf_span_make(b.p, b.n), &pk), 1);
	sb_free(&b);
	ldap_search_entry(&b, 1, 1u << 20);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make(b.p, 16), &pk), 1);
	ck_assert_uint_eq(pk.total, b.n);
	ck_assert_uint_eq(pk.op_tag, 0x64);
	sb_free(&b);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make((const uint8_t *)"\x00\x00\x01\x00", 4), &pk), -1);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make((const uint8_t *)"\x16\x03\x01", 3), &pk), -1);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make((const uint8_t *)"\x30\x80", 2), &pk), -1);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make((const uint8_t *)"\x30\x05\x04", 3), &pk), -1);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make((const uint8_t *)"\x30\x05\x02\x01\x01\x04", 6), &pk), -1);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make((const uint8_t *)"\x30\x84\x00", 3), &pk), 0);
	/* the longest header: 4-octet lengths and a 5-octet id, the op at byte 18 */
	static const uint8_t longest[] = { 0x30, 0x84, 0, 0,    0,    13,   0x02, 0x84, 0, 0,
					   0,    5,    0, 0xff, 0xff, 0xff, 0xff, 0x42, 0 };
	ck_assert_int_eq(kf_ldap_peek(kf_span_make(longest, 17), &pk), 0);
	ck_assert_int_eq(kf_ldap_peek(kf_span_make(longest, 18), &pk), 1);
	ck_assert_uint_eq(pk.message_id, 0xffffffffu);
	ck_assert_uint_eq(pk.total, sizeof longest);
}
END_TEST

START_TEST(t_probe)
{
	struct sb b = { 0 };
	ldap_bind_sasl(&b, 1, "", "GSSAPI", (const uint8_t *)"xx", 2);
	ck_assert_int_eq(kf_ldap_probe_bind(kf_span_make(b.p, b.n)), 1);
	ck_assert_int_eq(kf_ldap_probe_bind(kf_span_make(b.p, 9)), 0); /* the version not yet in */
	sb_free(&b);
	ldap_bind_rsp(&b, 1, 49, AD_BAD_PASSWORD_DIAG, NULL, 0);
	ck_assert_int_eq(kf_ldap_probe_bind(kf_span_make(b.p, b.n)), 2);
	sb_free(&b);
	ldap_starttls_req(&b, 1); /* only binds open a stream */
	ck_assert_int_eq(kf_ldap_probe_bind(kf_span_make(b.p, b.n)), 0);
	sb_free(&b);
	struct sb op = { 0 };
	ber_uint(&op, 0x02, 7); /* no LDAP version */
	der_add(&op, 0x04, "", 0);
	der_add(&op, 0x80, "", 0);
	ldap_wrap(&b, 1, 0x60, &op);
	ck_assert_int_eq(kf_ldap_probe_bind(kf_span_make(b.p, b.n)), 0);
	sb_free(&op);
	sb_free(&b);
	/* an SNMP GetRequest: a BER SEQUENCE and an INTEGER, but no APPLICATION op */
	static const uint8_t snmp[] = { 0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06,
					'p',  'u',  'b',  'l',  'i',  'c',  0xa0 };
	ck_assert_int_eq(kf_ldap_probe_bind(kf_span_make(snmp, sizeof snmp)), 0);
}
END_TEST

static uint32_t ad(const char *diag, bool *found)
{
	uint32_t code = 0;
	*found = kf_ldap_ad_data(kf_span_make((const uint8_t *)diag, strlen(diag)), &code);
	return code;
}

START_TEST(t_ad_data)
{
	bool f;
	ck_assert_uint_eq(ad(AD_BAD_PASSWORD_DIAG, &f), 0x52e);
	ck_assert(f);
	ck_assert_uint_eq(
		ad("8009030C: LdapErr: DSID-0C0906B5, comment: AcceptSecurityContext error, data 775, v4563",
		   &f),
		0x775);
	ck_assert(f);
	ck_assert_uint_eq(ad("..., data 525", &f), 0x525); /* at the end */
	ck_assert(f);
	ad("the database is busy", &f);
	ck_assert(!f);
	ad("data xyz, v1", &f);
	ck_assert(!f);
	ad("data 52ez", &f);
	ck_assert(!f);
	ad("", &f);
	ck_assert(!f);
	ck_assert_str_eq(kf_ldap_ad_data_name(0x52e), "bad password");
	ck_assert_str_eq(kf_ldap_ad_data_name(0x525), "no such user");
	ck_assert_str_eq(kf_ldap_ad_data_name(0x775), "account locked out");
	ck_assert_ptr_null(kf_ldap_ad_data_name(0x1));
	ck_assert_str_eq(kf_ldap_result_name(49), "invalidCredentials");
	ck_assert_str_eq(kf_ldap_result_name(14), "saslBindInProgress");
	ck_assert_str_eq(kf_ldap_result_name(8), "strongerAuthRequired");
	ck_assert_ptr_null(kf_ldap_result_name(9999));
	ck_assert_str_eq(kf_ldap_op_name(KF_LDAP_EXTENDED_RESPONSE), "extendedResponse");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ldap");
	TCase *tc = tcase_create("decode");
	tcase_add_test(tc, t_simple_bind);
	tcase_add_test(tc, t_sasl_bind);
	tcase_add_test(tc, t_sicily_bind);
	tcase_add_test(tc, t_bind_response);
	tcase_add_test(tc, t_starttls);
	tcase_add_test(tc, t_other_ops);
	tcase_add_test(tc, t_malformed);
	tcase_add_test(tc, t_peek);
	tcase_add_test(tc, t_probe);
	tcase_add_test(tc, t_ad_data);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
