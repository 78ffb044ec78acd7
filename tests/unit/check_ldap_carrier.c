/* check_ldap_carrier.c - the LDAP carrier (analyzer/wire/carrier_ldap.c)
 * through kf_analyze, on captures this file writes (capfix.c): a
 * GSS-SPNEGO bind with NTLM in two legs (saslBindInProgress, then success)
 * followed by a search and SASL-wrapped traffic; a simple bind whose
 * password must appear in no report, refused with AD's data 52e; StartTLS
 * with TLS bytes after it; a refused StartTLS; a big search result counted
 * off without allocations; a bind over the size cap; the global catalog
 * port; the sessions these binds make (analyzer/model/sessions.c).  Messages built by ldapfix.c and smbfix.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "base/arena.h"
#include "base/limits.h"
#include "capfix.h"
#include "ldap.h"
#include "ldapfix.h"
#include "report.h"
#include "result.h"
#include "sessions.h"
#include "testutil.h"

#define PASSWORD "Hunter2-Very-Secret!"
#define BIND_DN "CN=svc-app,OU=Services,DC=lab,DC=test"

static uint64_t send_msg(struct tconn *t, int dir, struct sb *m, size_t mss)
{
	uint64_t f = tsend(t, dir, m->p, m->n, mss);
	sb_free(m);
	return f;
}

/* A simple bind as BIND_DN with PASSWORD and its answer; their frames. */
static void simple_exchange(struct tconn *t, uint32_t id, uint32_t code, const char *diag, uint64_t *f_req,
			    uint64_t *f_rsp)
{
	struct sb m = { 0 };
	ldap_bind_simple(&m, id, BIND_DN, PASSWORD);
	*f_req = send_msg(t, 0, &m, 1460);
	ldap_bind_rsp(&m, id, code, diag, NULL, 0);
	*f_rsp = send_msg(t, 1, &m, 1460);
}

/* A search and its result: counted off. */
static void search(struct tconn *t, uint32_t id, size_t entry_len)
{
	struct sb op = { 0 }, m = { 0 };
	der_add(&op, 0x04, "DC=lab,DC=test", 14);
	ber_uint(&op, 0x0a, 2);
	ldap_wrap(&m, id, 0x63, &op); /* a searchRequest cut short: its body is never read */
	sb_free(&op);
	send_msg(t, 0, &m, 1460);
	ldap_search_entry(&m, id, entry_len);
	send_msg(t, 1, &m, 1460);
}

static const struct kf_ldap_rec *ldap_at(const struct kf_result *r, uint64_t frame, int type)
{
	const struct kf_message *m = at(r, frame, type);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_LDAP);
	ck_assert_ptr_nonnull(m->ldap);
	return m->ldap;
}

/* GSS-SPNEGO with NTLM: frames 4 and 5 the first leg, 6 and 7 the second,
 * then a search (8, 9: the result's 200 KiB in many segments) and a
 * wrapped request. */
static void write_spnego_ntlm(struct cap *c, size_t entry_len, uint64_t *wrapped)
{
	struct tconn t;
	struct sb m = { 0 }, tok = { 0 }, ntlm = { 0 };
	cap_open(c);
	tconn_open(&t, c, 50100, 389);
	ntlm_negotiate(&ntlm);
	spnego_init(&tok, ntlm.p, ntlm.n);
	ldap_bind_sasl(&m, 11, "", "GSS-SPNEGO", tok.p, tok.n);
	send_msg(&t, 0, &m, 1460);
	sb_free(&tok);
	sb_free(&ntlm);

	ntlm_challenge(&ntlm);
	spnego_resp(&tok, 1, ntlm.p, ntlm.n);
	ldap_bind_rsp(&m, 11, KF_LDAP_RESULT_SASL_BIND_IN_PROGRESS, "", tok.p, tok.n);
	send_msg(&t, 1, &m, 1460);
	sb_free(&tok);
	sb_free(&ntlm);

	ntlm_authenticate(&ntlm, "LAB", "alice", false);
	spnego_resp(&tok, 1, ntlm.p, ntlm.n);
	ldap_bind_sasl(&m, 12, "", "GSS-SPNEGO", tok.p, tok.n);
	send_msg(&t, 0, &m, 40); /* over several segments */
	sb_free(&tok);
	sb_free(&ntlm);

	ldap_bind_rsp(&m, 12, 0, "", NULL, 0);
	send_msg(&t, 1, &m, 1460);

	search(&t, 13, entry_len);

	/* sealed from here: a 4-byte length, then a GSS wrap token */
	static const uint8_t wrap[] = { 0, 0, 0, 8, 0x05, 0x04, 0x06, 0xff, 0, 0x0c, 0, 0 };
	*wrapped = tsend(&t, 0, wrap, sizeof wrap, 1460);
	tconn_close(&t);
	cap_close(c);
}

START_TEST(t_spnego_ntlm)
{
	struct cap c;
	uint64_t wrapped;
	write_spnego_ntlm(&c, 200000, &wrapped);
	struct kf_result r = analyze(&c);
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_REQUEST), 2);
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_RESPONSE), 2);
	ck_assert_uint_eq(count_type(&r, KF_MSG_NTLM_NEGOTIATE), 1);
	ck_assert_uint_eq(count_type(&r, KF_MSG_NTLM_CHALLENGE), 1);
	ck_assert_uint_eq(count_type(&r, KF_MSG_NTLM_AUTHENTICATE), 1);

	const struct kf_ldap_rec *l = ldap_at(&r, 4, KF_MSG_LDAP_REQUEST);
	ck_assert_str_eq(l->mechanism, "GSS-SPNEGO");
	ck_assert_uint_eq(l->message_id, 11);
	ck_assert_uint_gt(l->token_bytes, 0);
	ck_assert_ptr_nonnull(at(&r, 4, KF_MSG_NTLM_NEGOTIATE));
	l = ldap_at(&r, 5, KF_MSG_LDAP_RESPONSE);
	ck_assert(l->has_result);
	ck_assert_uint_eq(l->result_code, 14);
	ck_assert_str_eq(l->mechanism, "GSS-SPNEGO"); /* its request's */
	ck_assert_uint_eq(reply_frame(&r, at(&r, 4, KF_MSG_LDAP_REQUEST)), 5);
	ck_assert_uint_eq(reply_frame(&r, at(&r, 4, KF_MSG_NTLM_NEGOTIATE)), 5);

	/* the second request ended in a later segment than it began */
	const struct kf_message *req2 = NULL;
	for (size_t i = 0; i < r.n_messages; i++)
		if (r.messages[i].type == KF_MSG_LDAP_REQUEST && r.messages[i].ldap->message_id == 12)
			req2 = &r.messages[i];
	ck_assert_ptr_nonnull(req2);
	ck_assert_uint_lt(req2->first_frame, req2->frame);
	ck_assert_ptr_nonnull(at(&r, req2->frame, KF_MSG_NTLM_AUTHENTICATE));
	const struct kf_message *rsp2 = kf_msg_reply(&r, req2);
	ck_assert_ptr_nonnull(rsp2);
	ck_assert_uint_eq(rsp2->ldap->result_code, 0);
	ck_assert_uint_eq(rsp2->ldap->wrapped_from, wrapped);
	ck_assert(!warned(&r, "ldap-framing-lost"));

	/* both steps make one session */
	ck_assert_uint_eq(r.n_sessions, 1);
	const struct kf_session *se = &r.sessions[0];
	ck_assert_int_eq(se->carrier, KF_CARRIER_LDAP);
	ck_assert_str_eq(se->mech, "ntlm");
	ck_assert_str_eq(se->as, "LAB\\alice");
	ck_assert_str_eq(se->outcome, "ok");
	ck_assert_ptr_null(se->target);
	ck_assert_uint_eq(se->first_frame, 4);
	ck_assert_uint_eq(se->frames[se->n_frames - 1], rsp2->frame);
	ck_assert_int_eq(se->server.port, 389);
	kf_result_free(&r);
}
END_TEST

/* The search result is counted off, not gathered: as many allocations with
 * 1 MiB of it as with 4 KiB. */
START_TEST(t_search_not_gathered)
{
	unsigned long calls[2];
	const size_t lens[2] = { 4096, 1u << 20 };
	for (int i = 0; i < 2; i++) {
		struct cap c;
		uint64_t wrapped;
		write_spnego_ntlm(&c, lens[i], &wrapped);
		unsigned long before = kf_alloc_calls();
		struct kf_result r = analyze(&c);
		calls[i] = kf_alloc_calls() - before;
		ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_RESPONSE), 2);
		kf_result_free(&r);
	}
	ck_assert_uint_eq(calls[1], calls[0]);
}
END_TEST

START_TEST(t_simple_password_never_shown)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 50101, 389);
	uint64_t f_req, f_rsp;
	simple_exchange(&t, 1, 49, AD_BAD_PASSWORD_DIAG, &f_req, &f_rsp);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	const struct kf_ldap_rec *l = ldap_at(&r, f_req, KF_MSG_LDAP_REQUEST);
	ck_assert_str_eq(l->mechanism, "simple");
	ck_assert_str_eq(l->bind_dn, BIND_DN);
	ck_assert(l->simple_password);
	l = ldap_at(&r, f_rsp, KF_MSG_LDAP_RESPONSE);
	ck_assert_uint_eq(l->result_code, 49);
	ck_assert_uint_eq(l->ad_data_code, 0x52e);
	ck_assert_str_eq(l->diagnostic, AD_BAD_PASSWORD_DIAG);
	ck_assert_uint_eq(r.n_sessions, 1);
	ck_assert_str_eq(r.sessions[0].mech, "simple");
	ck_assert_str_eq(r.sessions[0].as, BIND_DN);
	ck_assert_str_eq(r.sessions[0].target, BIND_DN);
	ck_assert_str_eq(r.sessions[0].outcome, "error");
	ck_assert_uint_eq(r.sessions[0].result_code, 49);
	ck_assert_uint_eq(r.sessions[0].ad_data_code, 0x52e);
	char *out = report_all(&r);
	ck_assert_ptr_null(strstr(out, PASSWORD));
	ck_assert_ptr_null(strstr(out, "Hunter2"));
	ck_assert_ptr_nonnull(strstr(out, "\"simple_password\": true"));
	ck_assert_ptr_nonnull(strstr(out, "\"ad_data_code\": \"0x52e\""));
	ck_assert_ptr_nonnull(strstr(out, "\"ad_data_name\": \"bad password\""));
	ck_assert_ptr_nonnull(strstr(out, "\"result_name\": \"invalidCredentials\""));
	ck_assert_ptr_nonnull(strstr(out, "with a password (not shown)"));
	ck_assert_ptr_nonnull(strstr(out, "data 52e (bad password)"));
	ck_assert_ptr_nonnull(strstr(out, "error (invalidCredentials, data 52e: bad password)"));
	free(out);
	kf_result_free(&r);
}
END_TEST

/* TLS records that, read as BER, would be a bindRequest. */
static void tls_bytes(struct tconn *t, int dir)
{
	struct sb m = { 0 };
	sb_put(&m, "\x16\x03\x01\x00\x20", 5);
	ldap_bind_simple(&m, 99, "cn=hidden", "x");
	send_msg(t, dir, &m, 1460);
	ldap_bind_rsp(&m, 99, 0, "", NULL, 0); /* plain BER after the switch: still not read */
	send_msg(t, dir, &m, 1460);
}

START_TEST(t_starttls)
{
	struct cap c;
	struct tconn t;
	struct sb m = { 0 };
	cap_open(&c);
	tconn_open(&t, &c, 50102, 389);
	ldap_starttls_req(&m, 1);
	uint64_t f_req = send_msg(&t, 0, &m, 1460);
	ldap_starttls_rsp(&m, 1, 0, 0); /* no responseName: known by its request */
	uint64_t f_rsp = send_msg(&t, 1, &m, 1460);
	tls_bytes(&t, 0);
	tls_bytes(&t, 1);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(ldap_at(&r, f_req, KF_MSG_LDAP_REQUEST)->starttls);
	ck_assert_uint_eq(r.n_sessions, 0); /* StartTLS is no bind */
	const struct kf_ldap_rec *l = ldap_at(&r, f_rsp, KF_MSG_LDAP_RESPONSE);
	ck_assert(l->starttls);
	ck_assert_uint_eq(l->result_code, 0);
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_REQUEST), 1);
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_RESPONSE), 1);
	ck_assert(!warned(&r, "ldap-framing-lost"));
	kf_result_free(&r);
}
END_TEST

/* A refused StartTLS: the connection goes on in clear, and its bind is read. */
START_TEST(t_starttls_refused)
{
	struct cap c;
	struct tconn t;
	struct sb m = { 0 };
	cap_open(&c);
	tconn_open(&t, &c, 50103, 3268);
	ldap_starttls_req(&m, 1);
	send_msg(&t, 0, &m, 1460);
	ldap_starttls_rsp(&m, 1, 52, 1);
	send_msg(&t, 1, &m, 1460);
	uint64_t f_req, f_rsp;
	simple_exchange(&t, 2, 0, "", &f_req, &f_rsp);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_REQUEST), 2);
	ck_assert(ldap_at(&r, f_req, KF_MSG_LDAP_REQUEST)->simple_password);
	ck_assert_uint_eq(reply_frame(&r, at(&r, f_req, KF_MSG_LDAP_REQUEST)), f_rsp);
	kf_result_free(&r);
}
END_TEST

/* On a port LDAP does not own, a stream that opens with a bind is LDAP;
 * one picked up mid-way is claimed by the server's bindResponse. */
START_TEST(t_other_port)
{
	struct cap c;
	struct tconn t;
	struct sb m = { 0 };
	cap_open(&c);
	tconn_open(&t, &c, 50105, 10389);
	uint64_t f_req, f_rsp;
	simple_exchange(&t, 1, 0, "", &f_req, &f_rsp);
	tconn_close(&t);
	struct tconn u = { .cap = &c, .cport = 50106, .sport = 7389, .seq = { 1000, 2000 } };
	ldap_bind_rsp(&m, 5, 49, AD_BAD_PASSWORD_DIAG, NULL, 0);
	uint64_t f_mid = send_msg(&u, 1, &m, 1460);
	/* picked up inside SASL-wrapped traffic on 389: nothing to say beyond tcp-midstream */
	struct tconn v = { .cap = &c, .cport = 50107, .sport = 389, .seq = { 5000, 6000 } };
	static const uint8_t wrap[] = { 0, 0, 0, 8, 0x05, 0x04, 0x06, 0xff, 0, 0x0c, 0, 0 };
	tsend(&v, 0, wrap, sizeof wrap, 1460);
	tsend(&v, 1, wrap, sizeof wrap, 1460);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(ldap_at(&r, f_req, KF_MSG_LDAP_REQUEST)->simple_password);
	ck_assert_uint_eq(reply_frame(&r, at(&r, f_req, KF_MSG_LDAP_REQUEST)), f_rsp);
	ck_assert_uint_eq(ldap_at(&r, f_mid, KF_MSG_LDAP_RESPONSE)->ad_data_code, 0x52e);
	ck_assert_int_eq(at(&r, f_mid, KF_MSG_LDAP_RESPONSE)->src.port, 7389);
	ck_assert(!warned(&r, "ldap-framing-lost"));
	kf_result_free(&r);
}
END_TEST

/* A bind larger than KF_LIMIT_LDAP_MESSAGE is said and skipped; the next
 * one is read.  Bytes that are not BER before any bind: framing lost. */
START_TEST(t_too_big_and_lost)
{
	struct cap c;
	struct tconn t;
	struct sb m = { 0 };
	cap_open(&c);
	tconn_open(&t, &c, 50104, 389);
	size_t big = KF_LIMIT_LDAP_MESSAGE + 100;
	uint8_t *blob = calloc(1, big);
	ck_assert_ptr_nonnull(blob);
	struct sb op = { 0 }, sasl = { 0 };
	ber_uint(&op, 0x02, 3);
	der_add(&op, 0x04, "", 0);
	sb_put(&sasl, "\x04\x06GSSAPI\x04\x84", 10);
	sb_be32(&sasl, (uint32_t)big);
	sb_put(&sasl, blob, big);
	free(blob);
	sb_u8(&op, 0xa3);
	sb_u8(&op, 0x84);
	sb_be32(&op, (uint32_t)sasl.n);
	sb_put(&op, sasl.p, sasl.n);
	sb_free(&sasl);
	sb_put(&m, "\x30\x84", 2);
	sb_be32(&m, (uint32_t)(op.n + 3 + 6));
	sb_put(&m, "\x02\x01\x01\x60\x84", 5);
	sb_be32(&m, (uint32_t)op.n);
	sb_put(&m, op.p, op.n);
	sb_free(&op);
	send_msg(&t, 0, &m, 1460);
	ldap_bind_simple(&m, 2, BIND_DN, PASSWORD);
	uint64_t f_req = send_msg(&t, 0, &m, 1460);
	sb_put(&m, "garbage!", 8);
	send_msg(&t, 1, &m, 1460);
	ldap_bind_rsp(&m, 2, 0, "", NULL, 0);
	send_msg(&t, 1, &m, 1460);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(warned(&r, "ldap-message-too-big"));
	ck_assert(warned(&r, "ldap-framing-lost"));
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_REQUEST), 1);
	ck_assert(ldap_at(&r, f_req, KF_MSG_LDAP_REQUEST)->simple_password);
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_RESPONSE), 0);
	kf_result_free(&r);
}
END_TEST

/* After a SASL bind each direction's first SASL buffer says sealed or
 * signed (GSS-WRAP, in the frame where the buffer ends); later buffers
 * say nothing.  The client seals with RFC 4121 (its buffer over three
 * segments), the server signs with NTLM (an LDAPMessage in clear after
 * the signature); a second connection's client sends a SASL length past
 * RFC 4422's maximum: no record, no warning. */
START_TEST(t_wrap_first_per_direction)
{
	struct cap c;
	struct tconn t;
	struct sb m = { 0 }, buf = { 0 };
	cap_open(&c);
	tconn_open(&t, &c, 50150, 389);
	ldap_bind_sasl(&m, 1, "", "GSSAPI", NULL, 0);
	send_msg(&t, 0, &m, 1460);
	ldap_bind_rsp(&m, 1, 0, "", NULL, 0);
	send_msg(&t, 1, &m, 1460);

	static const uint8_t wrap_4121[] = { 0x05, 0x04, 0x06, 0xff, 0, 0, 0,    0x1c,
					     0,    0,    0,    0,    0, 0, 0x01, 0x02 };
	sb_be32(&buf, sizeof wrap_4121 + 40);
	sb_put(&buf, wrap_4121, sizeof wrap_4121);
	for (int i = 0; i < 40; i++)
		sb_put(&buf, "\xa5", 1);
	uint64_t first_seg = c.frames + 1;
	uint64_t client_wrap = send_msg(&t, 0, &buf, 24); /* 60 bytes in 24-byte segments */
	sb_be32(&buf, sizeof wrap_4121);
	sb_put(&buf, wrap_4121, sizeof wrap_4121);
	send_msg(&t, 0, &buf, 1460); /* a second buffer: nothing more */

	static const uint8_t ntlm_sig[] = { 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0 };
	struct sb entry = { 0 };
	ldap_search_entry(&entry, 2, 10);
	sb_be32(&buf, (uint32_t)(sizeof ntlm_sig + entry.n));
	sb_put(&buf, ntlm_sig, sizeof ntlm_sig);
	sb_put(&buf, entry.p, entry.n);
	sb_free(&entry);
	uint64_t server_wrap = send_msg(&t, 1, &buf, 1460);
	tconn_close(&t);

	tconn_open(&t, &c, 50151, 389);
	ldap_bind_sasl(&m, 1, "", "GSSAPI", NULL, 0);
	send_msg(&t, 0, &m, 1460);
	ldap_bind_rsp(&m, 1, 0, "", NULL, 0);
	send_msg(&t, 1, &m, 1460);
	sb_be32(&buf, 0xffffffffu);
	sb_put(&buf, wrap_4121, sizeof wrap_4121);
	send_msg(&t, 0, &buf, 1460);
	tconn_close(&t);
	cap_close(&c);

	struct kf_result r = analyze(&c);
	ck_assert_uint_eq(count_type(&r, KF_MSG_GSS_WRAP), 2);
	const struct kf_message *w = at(&r, client_wrap, KF_MSG_GSS_WRAP);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(w->carrier, KF_CARRIER_LDAP);
	ck_assert_uint_eq(w->first_frame, first_seg);
	ck_assert_uint_lt(w->first_frame, w->frame);
	ck_assert_str_eq(w->gsswrap->mechanism, "kerberos-rfc4121");
	ck_assert(w->gsswrap->sealed_known && w->gsswrap->sealed && w->gsswrap->from_client);
	ck_assert(w->gsswrap->has_seq);
	ck_assert_uint_eq(w->gsswrap->seq, 0x0102);
	ck_assert_uint_eq(w->gsswrap->token_bytes, sizeof wrap_4121 + 40);
	w = at(&r, server_wrap, KF_MSG_GSS_WRAP);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(w->gsswrap->mechanism, "ntlm");
	ck_assert(w->gsswrap->sealed_known && !w->gsswrap->sealed && !w->gsswrap->from_client);
	ck_assert(!w->gsswrap->has_seq);
	ck_assert(!warned(&r, "ldap-framing-lost"));
	/* the wraps are not steps of the bind's session */
	ck_assert_uint_eq(r.n_sessions, 2);
	for (size_t i = 0; i < r.sessions[0].n_frames; i++)
		ck_assert_uint_lt(r.sessions[0].frames[i], first_seg);
	kf_result_free(&r);
}
END_TEST

/* An endless SASL bind: saslBindInProgress past KF_LIMIT_LDAP_BIND_STEPS
 * stops the connection with a warning; the session lists what was read. */
START_TEST(t_endless_bind)
{
	struct cap c;
	struct tconn t;
	struct sb m = { 0 };
	cap_open(&c);
	tconn_open(&t, &c, 50152, 389);
	static const uint8_t creds[] = { 1, 2, 3, 4 };
	for (uint32_t i = 1; i <= 3 * KF_LIMIT_LDAP_BIND_STEPS; i++) {
		ldap_bind_sasl(&m, i, "", "GSS-SPNEGO", creds, sizeof creds);
		send_msg(&t, 0, &m, 1460);
		ldap_bind_rsp(&m, i, KF_LDAP_RESULT_SASL_BIND_IN_PROGRESS, "", NULL, 0);
		send_msg(&t, 1, &m, 1460);
	}
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(warned(&r, "ldap-bind-steps-limit"));
	ck_assert_uint_eq(count_type(&r, KF_MSG_LDAP_RESPONSE), KF_LIMIT_LDAP_BIND_STEPS + 1);
	ck_assert_uint_eq(r.n_sessions, 1);
	ck_assert_uint_le(r.sessions[0].n_frames, 2 * (KF_LIMIT_LDAP_BIND_STEPS + 1));
	kf_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ldap-carrier");
	TCase *tc = tcase_create("carrier");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_spnego_ntlm);
	tcase_add_test(tc, t_search_not_gathered);
	tcase_add_test(tc, t_simple_password_never_shown);
	tcase_add_test(tc, t_starttls);
	tcase_add_test(tc, t_starttls_refused);
	tcase_add_test(tc, t_too_big_and_lost);
	tcase_add_test(tc, t_other_port);
	tcase_add_test(tc, t_wrap_first_per_direction);
	tcase_add_test(tc, t_endless_bind);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
