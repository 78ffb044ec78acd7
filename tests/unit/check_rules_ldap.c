/* check_rules_ldap.c - ldap-bind-failed on fact lists: each cause from the
 * result code and AD's data code, the user the bind spoke for, grouping of
 * repeats, and the near misses that must stay silent (success, a SASL step,
 * a Kerberos error inside the bind, a bind retried successfully). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "ldap.h"
#include "rulefix.h"
#include "rules.h"
#include "testutil.h"

#define C "10.0.0.10:50000"
#define DC "10.0.0.2:389"

static struct kf_message *ldap_msg(struct kf_result *r, uint64_t f, int type, uint32_t conn, const char *src,
				   const char *dst)
{
	struct kf_message *m = fx_msg(r, f, KF_CARRIER_LDAP, type, src, dst);
	m->transport = KF_TRANSPORT_TCP;
	m->connection = conn;
	return m;
}

/* A bindRequest in frame f: mechanism "simple" (with a password when dn is
 * set) or a SASL one. */
static struct kf_message *bind_req(struct kf_result *r, uint64_t f, uint32_t conn, const char *mech,
				   const char *dn)
{
	struct kf_message *q = ldap_msg(r, f, KF_MSG_LDAP_REQUEST, conn, C, DC);
	q->ldap = kf_arena_zalloc(&r->arena, sizeof *q->ldap);
	q->ldap->operation = KF_LDAP_BIND_REQUEST;
	q->ldap->message_id = (uint32_t)f;
	q->ldap->mechanism = mech;
	q->ldap->bind_dn = dn;
	q->ldap->simple_password = dn && !strcmp(mech, "simple");
	return q;
}

/* Its bindResponse in frame f. */
static struct kf_message *bind_resp(struct kf_result *r, uint64_t f, uint32_t conn, uint64_t req, uint32_t rc,
				    uint32_t ad, const char *diag)
{
	struct kf_message *p = ldap_msg(r, f, KF_MSG_LDAP_RESPONSE, conn, DC, C);
	p->ldap = kf_arena_zalloc(&r->arena, sizeof *p->ldap);
	p->ldap->operation = KF_LDAP_BIND_RESPONSE;
	p->ldap->message_id = (uint32_t)req;
	p->ldap->has_result = true;
	p->ldap->result_code = rc;
	p->ldap->ad_data_code = ad;
	p->ldap->diagnostic = diag;
	fx_link(r, req, KF_MSG_LDAP_REQUEST, f, KF_MSG_LDAP_RESPONSE);
	return p;
}

/* One simple bind as dn answered rc/ad; the cause ldap-bind-failed names (NULL: none). */
static const char *simple_cause(uint32_t rc, uint32_t ad, const char *dn, int *sev)
{
	struct kf_result *r = fx_new();
	bind_req(r, 10, 1, "simple", dn);
	bind_resp(r, 11, 1, 10, rc, ad,
		  "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error");
	fx_finish(r);
	fx_run(r, "ldap-bind-failed");
	const struct kf_finding *f = fx_find(r, "ldap-bind-failed");
	static char cause[64];
	cause[0] = 0;
	if (f) {
		snprintf(cause, sizeof cause, "%s", f->cause);
		*sev = f->severity;
		ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 11));
	}
	fx_free(r);
	return f ? cause : NULL;
}

START_TEST(t_ldap_bind_causes)
{
	static const struct {
		uint32_t rc, ad;
		const char *dn, *cause;
		int sev;
	} v[] = {
		{ 49, 0x52e, "CN=alice,CN=Users,DC=ad,DC=lab,DC=test", "bad-password", KF_SEV_ERROR },
		{ 49, 0x525, "nobody@ad.lab.test", "no-such-user", KF_SEV_ERROR },
		{ 49, 0, "cn=admin,dc=lab,dc=test", "invalid-credentials", KF_SEV_ERROR },
		{ 49, 0x533, "dave@ad.lab.test", "account-disabled", KF_SEV_ERROR },
		{ 49, 0x701, "frank@ad.lab.test", "account-expired", KF_SEV_ERROR },
		{ 49, 0x775, "lockme@ad.lab.test", "account-locked-out", KF_SEV_ERROR },
		{ 49, 0x532, "erin@ad.lab.test", "password-expired", KF_SEV_ERROR },
		{ 49, 0x773, "gina@ad.lab.test", "password-expired", KF_SEV_ERROR },
		{ 49, 0x530, "alice@ad.lab.test", "account-restriction", KF_SEV_ERROR },
		{ 49, 0x531, "alice@ad.lab.test", "account-restriction", KF_SEV_ERROR },
		{ 8, 0, "alice@ad.lab.test", "signing-required", KF_SEV_ERROR },
		{ 49, 0x80090346u, "alice@ad.lab.test", "channel-binding-required", KF_SEV_ERROR },
		{ 7, 0, "alice@ad.lab.test", "mechanism-not-supported", KF_SEV_ERROR },
		{ 13, 0, "alice@ad.lab.test", "mechanism-not-supported", KF_SEV_ERROR },
		{ 48, 0, NULL, "anonymous-refused", KF_SEV_INFO },
		{ 53, 0, "alice@ad.lab.test", "other", KF_SEV_ERROR },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int sev = -1;
		const char *c = simple_cause(v[i].rc, v[i].ad, v[i].dn, &sev);
		ck_assert_msg(c && !strcmp(c, v[i].cause), "row %zu: %s, want %s", i, c ? c : "(none)",
			      v[i].cause);
		ck_assert_int_eq(sev, v[i].sev);
	}
}
END_TEST

/* The words: who, from where, the result and AD's data code, the diagnostic. */
START_TEST(t_ldap_bind_words)
{
	struct kf_result *r = fx_new();
	bind_req(r, 10, 1, "simple", "svc-app@ad.lab.test");
	bind_resp(r, 11, 1, 10, 49, 0x52e,
		  "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, v4563");
	fx_finish(r);
	fx_run(r, "ldap-bind-failed");
	const struct kf_finding *f = fx_find(r, "ldap-bind-failed");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(contains(f->summary, "10.0.0.2") && contains(f->summary, "svc-app@ad.lab.test") &&
			      contains(f->summary, "invalidCredentials (49)") &&
			      contains(f->summary, "AD data 52e (bad password)"),
		      "%s", f->summary);
	ck_assert_msg(contains(f->explanation, "simple bind as svc-app@ad.lab.test") &&
			      contains(f->explanation, "frame 10") &&
			      contains(f->explanation, "data 52e, v4563"),
		      "%s", f->explanation);
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "svc-app@ad.lab.test"));
	ck_assert(fx_subject_has(f, KF_SUBJECT_SERVER, "10.0.0.2:389"));
	fx_free(r);
}
END_TEST

/* A GSS-SPNEGO bind carrying NTLM: the user is the AUTHENTICATE's. */
START_TEST(t_ldap_bind_sasl_ntlm_user)
{
	struct kf_result *r = fx_new();
	struct kf_message *a = ldap_msg(r, 10, KF_MSG_NTLM_AUTHENTICATE, 1, C, DC);
	a->ntlm = kf_arena_zalloc(&r->arena, sizeof *a->ntlm);
	a->ntlm->user = "alice";
	a->ntlm->domain = "ADLAB";
	a->ntlm->ntlmv2 = true;
	bind_req(r, 10, 1, "GSS-SPNEGO", NULL);
	bind_resp(r, 11, 1, 10, 49, 0x775,
		  "8009030C: LdapErr: DSID-0C0906B5, comment: AcceptSecurityContext error, data 775, v4563");
	fx_finish(r);
	fx_run(r, "ldap-bind-failed");
	const struct kf_finding *f = fx_find(r, "ldap-bind-failed");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->cause, "account-locked-out");
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "ADLAB\\alice"));
	ck_assert_msg(contains(f->explanation, "GSS-SPNEGO bind (NTLM) as ADLAB\\alice"), "%s",
		      f->explanation);
	fx_free(r);
}
END_TEST

/* 52e to an NTLMv1 AUTHENTICATE: NTLMv1 refused is named first; NTLMv2: a bad password. */
START_TEST(t_ldap_bind_ntlmv1)
{
	for (int v2 = 0; v2 < 2; v2++) {
		struct kf_result *r = fx_new();
		struct kf_message *a = ldap_msg(r, 10, KF_MSG_NTLM_AUTHENTICATE, 1, C, DC);
		a->ntlm = kf_arena_zalloc(&r->arena, sizeof *a->ntlm);
		a->ntlm->user = "alice";
		a->ntlm->domain = "ADLAB";
		a->ntlm->ntlmv2 = v2;
		bind_req(r, 10, 1, "NTLM", NULL);
		bind_resp(r, 11, 1, 10, 49, 0x52e, NULL);
		fx_finish(r);
		fx_run(r, "ldap-bind-failed");
		const struct kf_finding *f = fx_find(r, "ldap-bind-failed");
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f->cause, v2 ? "bad-password" : "ntlmv1-refused");
		fx_free(r);
	}
}
END_TEST

/* Three failures of one user: one finding, three times, every frame. */
START_TEST(t_ldap_bind_grouped)
{
	struct kf_result *r = fx_new();
	for (uint32_t k = 0; k < 3; k++) {
		uint64_t f = 10 + 100000 * k; /* 100 s apart: no recovery in between anyway */
		bind_req(r, f, k + 1, "simple", "svc@ad.lab.test");
		bind_resp(r, f + 1, k + 1, f, 49, 0x52e, NULL);
	}
	fx_finish(r);
	fx_run(r, "ldap-bind-failed");
	ck_assert_uint_eq(fx_count(r, "ldap-bind-failed", 0), 1);
	const struct kf_finding *f = fx_find(r, "ldap-bind-failed");
	ck_assert_msg(contains(f->summary, "(3 times)"), "%s", f->summary);
	ck_assert(fx_has_frame(f, 200010) && fx_has_frame(f, 200011));
	fx_free(r);
}
END_TEST

START_TEST(t_ldap_bind_near_misses)
{
	/* success, and a SASL step (saslBindInProgress) that succeeds next */
	struct kf_result *r = fx_new();
	bind_req(r, 10, 1, "simple", "alice@ad.lab.test");
	bind_resp(r, 11, 1, 10, 0, 0, NULL);
	bind_req(r, 20, 2, "GSSAPI", NULL);
	bind_resp(r, 21, 2, 20, 14, 0, NULL);
	bind_req(r, 22, 2, "GSSAPI", NULL);
	bind_resp(r, 23, 2, 22, 0, 0, NULL);
	fx_finish(r);
	fx_run(r, "ldap-bind-failed");
	ck_assert_uint_eq(fx_count(r, "ldap-bind-failed", 0), 0);
	fx_free(r);

	/* a Kerberos error inside the bind: the Kerberos rules name it */
	r = fx_new();
	bind_req(r, 10, 1, "GSS-SPNEGO", NULL);
	struct kf_message *e = ldap_msg(r, 11, KF_KRB_ERROR, 1, DC, C);
	e->krb.error_code = 37; /* KRB_AP_ERR_SKEW */
	bind_resp(r, 11, 1, 10, 49, 0, NULL);
	fx_finish(r);
	fx_run(r, "ldap-bind-failed");
	ck_assert_uint_eq(fx_count(r, "ldap-bind-failed", 0), 0);
	fx_free(r);

	/* a retyped password that works 5 s later: recovered; 60 s later: not */
	for (int late = 0; late < 2; late++) {
		r = fx_new();
		bind_req(r, 10, 1, "simple", "alice@ad.lab.test");
		bind_resp(r, 11, 1, 10, 49, 0x52e, NULL);
		uint64_t f = late ? 60000 : 5000;
		bind_req(r, f, 2, "simple", "ALICE@ad.lab.test");
		bind_resp(r, f + 1, 2, f, 0, 0, NULL);
		fx_finish(r);
		fx_run(r, "ldap-bind-failed");
		ck_assert_uint_eq(fx_count(r, "ldap-bind-failed", 0), late ? 1 : 0);
		fx_free(r);
	}

	/* another user's success is no recovery */
	r = fx_new();
	bind_req(r, 10, 1, "simple", "alice@ad.lab.test");
	bind_resp(r, 11, 1, 10, 49, 0x52e, NULL);
	bind_req(r, 20, 2, "simple", "bob@ad.lab.test");
	bind_resp(r, 21, 2, 20, 0, 0, NULL);
	fx_finish(r);
	fx_run(r, "ldap-bind-failed");
	ck_assert_uint_eq(fx_count(r, "ldap-bind-failed", 0), 1);
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_ldap");
	TCase *tc = tcase_create("ldap-bind-failed");
	tcase_add_test(tc, t_ldap_bind_causes);
	tcase_add_test(tc, t_ldap_bind_words);
	tcase_add_test(tc, t_ldap_bind_sasl_ntlm_user);
	tcase_add_test(tc, t_ldap_bind_ntlmv1);
	tcase_add_test(tc, t_ldap_bind_grouped);
	tcase_add_test(tc, t_ldap_bind_near_misses);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
