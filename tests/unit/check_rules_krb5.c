/* check_rules_krb5.c - the KDC-side rules (rules_reach.c, rules_etype.c,
 * rules_kdc_errors.c) on fact lists: clock-skew, weak-etype,
 * udp-fragmentation and the named KDC/AP errors (principal-unknown, preauth-failed, client-revoked, key-expired, ...). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "krb5.h"
#include "krb5_decrypt.h"
#include "rulefix.h"
#include "testutil.h"

#define CL "10.0.0.10:40000"
#define CL2 "10.0.0.11:40000"
#define KDC "10.0.0.2:88"
#define KDC2 "10.0.0.3:88"
#define WEB "10.0.0.20:80"
#define WEBC "10.0.0.10:50000"

#define OPT_FORWARDABLE (0x80000000u >> 1)
#define OPT_FORWARDED (0x80000000u >> 2)
#define OPT_RENEW (0x80000000u >> 30)
#define OPT_CNAME_IN_ADDL (0x80000000u >> 14)

#define T0 1700000000ll /* fixture time of frame 0, seconds */

static const int32_t etypes_mit[] = { 18, 17, 20, 19, 16, 23, 25, 26 };
static const int32_t etypes_rc4[] = { 23 };

static void set_etypes(struct kf_result *r, struct kf_message *m, const int32_t *e, size_t n)
{
	m->krb.etypes = kf_arena_zalloc(&r->arena, n * sizeof(int32_t));
	memcpy(m->krb.etypes, e, n * sizeof(int32_t));
	m->krb.n_etypes = (uint8_t)n;
}

static struct kf_message *as_req(struct kf_result *r, uint64_t f, const char *src, const char *dst,
				 const char *cname, const char *sname)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_AS_REQ, src, dst);
	m->krb.cname = cname;
	m->krb.crealm = "LAB.TEST";
	m->krb.realm = "LAB.TEST";
	m->krb.sname = sname;
	set_etypes(r, m, etypes_mit, 8);
	return m;
}

static struct kf_message *tgs_req(struct kf_result *r, uint64_t f, const char *src, const char *dst,
				  const char *sname)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_TGS_REQ, src, dst);
	m->krb.sname = sname;
	m->krb.realm = "LAB.TEST";
	m->krb.has_kdc_options = true;
	m->krb.kdc_options = OPT_FORWARDABLE;
	m->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
	set_etypes(r, m, etypes_mit, 8);
	return m;
}

/* A KRB-ERROR answering the request in frame req (of type req_type). */
static struct kf_message *err(struct kf_result *r, uint64_t f, uint64_t req, int req_type, const char *src,
			      const char *dst, int32_t code)
{
	struct kf_message *q = NULL;
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].frame == req && r->messages[i].type == req_type)
			q = &r->messages[i];
	struct kf_message *m = fx_krb(r, f, KF_KRB_ERROR, src, dst);
	m->krb.error_code = code;
	if (q) {
		m->krb.cname = q->krb.cname;
		m->krb.crealm = q->krb.cname ? "LAB.TEST" : NULL;
		m->krb.sname = q->krb.sname;
		m->krb.realm = q->krb.realm;
		m->carrier = q->carrier;
		m->transport = q->transport;
		m->connection = q->connection;
	}
	m->krb.has_stime = true;
	m->krb.stime = T0 + (int64_t)(f / 1000);
	m->krb.susec = (int32_t)((f % 1000) * 1000);
	fx_link(r, req, req_type, f, KF_KRB_ERROR);
	return m;
}

static struct kf_message *as_rep(struct kf_result *r, uint64_t f, uint64_t req, const char *src,
				 const char *dst, const char *cname, int32_t etype)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_AS_REP, src, dst);
	m->krb.cname = cname;
	m->krb.crealm = "LAB.TEST";
	m->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", etype, 1);
	m->krb.has_enc_etype = true;
	m->krb.enc_etype = 18;
	fx_link(r, req, KF_KRB_AS_REQ, f, KF_KRB_AS_REP);
	return m;
}

static struct kf_message *tgs_rep(struct kf_result *r, uint64_t f, uint64_t req, const char *src,
				  const char *dst, const char *sname, int32_t etype)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_TGS_REP, src, dst);
	m->krb.cname = "alice";
	m->krb.crealm = "LAB.TEST";
	m->krb.ticket = fx_ticket(r, sname, "LAB.TEST", etype, 2);
	fx_link(r, req, KF_KRB_TGS_REQ, f, KF_KRB_TGS_REP);
	return m;
}

/* A good login: PREAUTH_REQUIRED, AS-REP (frames f..f+3). */
static void login(struct kf_result *r, uint64_t f, const char *cl)
{
	as_req(r, f, cl, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, f + 1, f, KF_KRB_AS_REQ, KDC, cl, 25);
	as_req(r, f + 2, cl, KDC, "alice", "krbtgt/LAB.TEST");
	as_rep(r, f + 3, f + 2, KDC, cl, "alice", 18);
}

static size_t errors_of_group(const struct kf_result *r) { return fx_count(r, NULL, KF_SEV_ERROR); }

/* ---- benign errors --------------------------------------------------------- */

START_TEST(t_healthy_login_no_finding)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "HTTP/web.lab.test");
	tgs_rep(r, 6, 5, KDC, CL, "HTTP/web.lab.test", 18);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_preauth_required_alone_no_finding)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 25);
	as_req(r, 3, CL, KDC, "bob", "krbtgt/LAB.TEST");
	err(r, 4, 3, KF_KRB_AS_REQ, KDC, CL, 91);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- the KDC and AP errors: cause, severity, confidence, subject ------------ */

/* f is of cause, at severity sev, certain (every finding of these rules
 * rests on an error the capture shows). */
static void kdc_assert(const struct kf_finding *f, const char *cause, int sev)
{
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->cause, cause);
	ck_assert_int_eq(f->severity, sev);
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
}

/* The member k of f's subject, comma-joined ("" when empty). */
static const char *subj(const struct kf_finding *f, enum kf_subject_kind k)
{
	static char buf[1024];
	buf[0] = '\0';
	for (unsigned i = 0; i < f->subject.n[k]; i++) {
		strcat(buf, i ? "," : "");
		strcat(buf, f->subject.v[k][i]);
	}
	return buf;
}

/* f's evidence frames, comma-joined. */
static const char *frames_of(const struct kf_finding *f)
{
	static char buf[512];
	size_t n = 0;
	for (size_t i = 0; i < f->n_frames && n + 24 < sizeof buf; i++) {
		char d[21];
		size_t k = 0;
		for (uint64_t v = f->frames[i]; k == 0 || v; v /= 10)
			d[k++] = (char)('0' + v % 10);
		if (i)
			buf[n++] = ',';
		while (k)
			buf[n++] = d[--k];
	}
	buf[n] = '\0';
	return buf;
}

/* A login of user from cl refused with code (frames f, f+1), NTSTATUS nt
 * when not 0. */
static struct kf_message *login_refused(struct kf_result *r, uint64_t f, const char *cl, const char *user,
					int32_t code, uint32_t nt)
{
	as_req(r, f, cl, KDC, user, "krbtgt/LAB.TEST");
	struct kf_message *e = err(r, f + 1, f, KF_KRB_AS_REQ, KDC, cl, code);
	e->krb.has_ntstatus = nt != 0;
	e->krb.ntstatus = nt;
	return e;
}

/* f's subject: client, user, service, server and kdc, each comma-joined. */
static void kdc_assert_subject(const struct kf_finding *f, const char *client, const char *user,
			       const char *service, const char *server, const char *kdc)
{
	ck_assert_str_eq(subj(f, KF_SUBJECT_CLIENT), client);
	ck_assert_str_eq(subj(f, KF_SUBJECT_USER), user);
	ck_assert_str_eq(subj(f, KF_SUBJECT_SERVICE), service);
	ck_assert_str_eq(subj(f, KF_SUBJECT_SERVER), server);
	ck_assert_str_eq(subj(f, KF_SUBJECT_KDC), kdc);
}

/* ---- principal-unknown ------------------------------------------------------- */

START_TEST(t_pu_spn_grouped)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "HTTP/nosuch.lab.test");
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 7)->krb.cname = "alice";
	tgs_req(r, 7, CL, KDC, "HTTP/nosuch.lab.test");
	err(r, 8, 7, KF_KRB_TGS_REQ, KDC, CL, 7)->krb.cname = "alice";
	fx_finish(r);
	fx_run(r, "principal-unknown");
	ck_assert_uint_eq(fx_count(r, "principal-unknown", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "principal-unknown");
	kdc_assert(f, "spn-unregistered", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "HTTP/nosuch.lab.test@LAB.TEST", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "5,6,7,8");
	/* wording: the count of refusals is computed, and the remediation names the
	 * commands to run (setspn -S to register the SPN, -Q to find it) */
	ck_assert(contains(f->summary, "2 times"));
	ck_assert(contains(f->remediation, "setspn -S HTTP/nosuch.lab.test"));
	ck_assert(contains(f->remediation, "setspn -Q"));
	fx_free(r);
}
END_TEST

START_TEST(t_pu_user_and_spn_separate)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "HTTP/nosuch.lab.test");
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 7);
	tgs_req(r, 7, CL, KDC, "HTTP/other.lab.test");
	err(r, 8, 7, KF_KRB_TGS_REQ, KDC, CL, 7);
	as_req(r, 13, CL, KDC, "mallory", "krbtgt/LAB.TEST");
	err(r, 14, 13, KF_KRB_AS_REQ, KDC, CL, 6);
	fx_finish(r);
	fx_run(r, "principal-unknown");
	ck_assert_uint_eq(fx_count(r, "principal-unknown", KF_SEV_ERROR), 3);
	kdc_assert(&r->findings[0], "spn-unregistered", KF_SEV_ERROR);
	ck_assert_str_eq(subj(&r->findings[1], KF_SUBJECT_SERVICE), "HTTP/other.lab.test@LAB.TEST");
	const struct kf_finding *f = &r->findings[2];
	kdc_assert(f, "user-unknown", KF_SEV_ERROR);
	/* a login's krbtgt is not what the failure concerns */
	kdc_assert_subject(f, "10.0.0.10", "mallory@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "13,14");
	fx_free(r);
}
END_TEST

START_TEST(t_pu_recovered)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "HTTP/web.lab.test");
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 7);
	tgs_req(r, 7, CL, KDC2, "HTTP/web.lab.test");
	tgs_rep(r, 8, 7, KDC2, CL, "HTTP/web.lab.test", 18);
	fx_finish(r);
	fx_run(r, "principal-unknown");
	ck_assert_uint_eq(fx_count(r, "principal-unknown", 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_pu_dns_update_is_info)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "DNS/z.arin.net");
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 7);
	fx_finish(r);
	fx_run(r, "principal-unknown");
	ck_assert_uint_eq(fx_count(r, "principal-unknown", KF_SEV_INFO), 1);
	ck_assert_uint_eq(errors_of_group(r), 0);
	const struct kf_finding *f = fx_find(r, "principal-unknown");
	kdc_assert(f, "dns-update-spn", KF_SEV_INFO);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "DNS/z.arin.net@LAB.TEST", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "5,6");
	fx_free(r);
}
END_TEST

START_TEST(t_pu_account_name_is_warning)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "Administrator");
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 7);
	fx_finish(r);
	fx_run(r, "principal-unknown");
	ck_assert_uint_eq(fx_count(r, "principal-unknown", KF_SEV_WARNING), 1);
	const struct kf_finding *f = fx_find(r, "principal-unknown");
	kdc_assert(f, "account-name-without-spn", KF_SEV_WARNING);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "Administrator@LAB.TEST", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "5,6");
	/* wording: the remediation names the command that shows the account's SPNs */
	ck_assert(contains(f->remediation, "setspn -L Administrator lists"));
	fx_free(r);
}
END_TEST

/* A root cause from another group takes the generic finding. */
START_TEST(t_pu_other_clients_separate)
{
	struct kf_result *r = fx_new();
	tgs_req(r, 5, CL, KDC, "HTTP/nosuch.lab.test");
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 7);
	tgs_req(r, 7, CL2, KDC, "HTTP/nosuch.lab.test");
	err(r, 8, 7, KF_KRB_TGS_REQ, KDC, CL2, 7);
	fx_finish(r);
	fx_run(r, "principal-unknown");
	ck_assert_uint_eq(fx_count(r, "principal-unknown", KF_SEV_ERROR), 2);
	fx_free(r);
}
END_TEST

/* ---- preauth-failed ------------------------------------------------------------ */

START_TEST(t_preauth_failed)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	as_req(r, 9, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 10, 9, KF_KRB_AS_REQ, KDC, CL, 25);
	login_refused(r, 11, CL, "alice", 24, 0xC000006Au);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 1);
	ck_assert_uint_eq(fx_count(r, "preauth-failed", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "preauth-failed");
	kdc_assert(f, "wrong-password", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "11,12");
	/* wording: the NTSTATUS the KDC sent is shown; no other member carries it */
	ck_assert(contains(f->summary, "0xC000006A"));
	fx_free(r);
}
END_TEST

START_TEST(t_preauth_failed_then_right_password)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 24);
	as_req(r, 3, CL, KDC, "alice", "krbtgt/LAB.TEST");
	as_rep(r, 4, 3, KDC, CL, "alice", 18);
	fx_finish(r);
	fx_run(r, "preauth-failed");
	ck_assert_uint_eq(fx_count(r, "preauth-failed", 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_preauth_bad_integrity_mit)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 31);
	/* the same code from a web service is ap-err-modified's, not ours */
	struct kf_message *q = fx_http(r, 10, KF_KRB_AP_REQ, 1, WEBC, WEB);
	q->krb.ticket = fx_ticket(r, "HTTP/web.lab.test", "LAB.TEST", 18, 1);
	struct kf_message *e = fx_http(r, 11, KF_KRB_ERROR, 1, WEB, WEBC);
	e->krb.error_code = 31;
	fx_link(r, 10, KF_KRB_AP_REQ, 11, KF_KRB_ERROR);
	fx_finish(r);
	fx_run(r, "preauth-failed");
	ck_assert_uint_eq(fx_count(r, "preauth-failed", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "preauth-failed");
	kdc_assert(f, "wrong-password-bad-integrity", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "1,2");
	fx_free(r);
	/* (a fresh result: kf_rules_run_only leaves r->findings alone when a
	 * run keeps none) */
	r = fx_new();
	struct kf_message *q2 = fx_http(r, 10, KF_KRB_AP_REQ, 1, WEBC, WEB);
	q2->krb.ticket = fx_ticket(r, "HTTP/web.lab.test", "LAB.TEST", 18, 1);
	fx_http(r, 11, KF_KRB_ERROR, 1, WEB, WEBC)->krb.error_code = 31;
	fx_link(r, 10, KF_KRB_AP_REQ, 11, KF_KRB_ERROR);
	fx_finish(r);
	fx_run(r, "preauth-failed");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_run(r, "generic-kdc-error");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- client-revoked / key-expired -------------------------------------------------- */

START_TEST(t_client_revoked_variants)
{
	struct kf_result *r = fx_new();
	login_refused(r, 1, CL, "lockme", 18, 0);
	login_refused(r, 3, CL, "dave", 18, 0xC0000072u);
	login_refused(r, 5, CL, "frank", 18, 0xC0000234u);
	fx_finish(r);
	fx_run(r, "client-revoked");
	ck_assert_uint_eq(fx_count(r, "client-revoked", KF_SEV_ERROR), 3);
	/* Samba's lock-out carries no NTSTATUS: the capture cannot tell */
	kdc_assert(&r->findings[0], "undetermined", KF_SEV_ERROR);
	kdc_assert_subject(&r->findings[0], "10.0.0.10", "lockme@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(&r->findings[0]), "1,2");
	/* wording: the remediations name the command to run */
	ck_assert(contains(r->findings[0].remediation, "Unlock-ADAccount"));
	kdc_assert(&r->findings[1], "account-disabled", KF_SEV_ERROR);
	ck_assert_str_eq(subj(&r->findings[1], KF_SUBJECT_USER), "dave@LAB.TEST");
	ck_assert_str_eq(frames_of(&r->findings[1]), "3,4");
	ck_assert(contains(r->findings[1].remediation, "Enable-ADAccount"));
	kdc_assert(&r->findings[2], "account-locked-out", KF_SEV_ERROR);
	ck_assert_str_eq(subj(&r->findings[2], KF_SUBJECT_USER), "frank@LAB.TEST");
	fx_free(r);
}
END_TEST

START_TEST(t_key_expired_despite_changepw)
{
	struct kf_result *r = fx_new();
	login_refused(r, 1, CL, "erin", 23, 0xC0000224u);
	/* the client then gets a ticket to change the password: not a recovery */
	as_req(r, 3, CL, KDC, "erin", "kadmin/changepw");
	as_rep(r, 4, 3, KDC, CL, "erin", 18);
	fx_finish(r);
	fx_run(r, "key-expired");
	ck_assert_uint_eq(fx_count(r, "key-expired", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "key-expired");
	kdc_assert(f, "must-change-password", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "erin@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "1,2");
	fx_free(r);
}
END_TEST

/* ---- etype-nosupp and weak-etype ---------------------------------------------------- */

START_TEST(t_nosupp_service_rc4_only)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "HTTP/rc4only.lab.test");
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 14);
	fx_finish(r);
	fx_run(r, "etype-nosupp");
	ck_assert_uint_eq(fx_count(r, "etype-nosupp", KF_SEV_ERROR), 1);
	const struct kf_finding *n = fx_find(r, "etype-nosupp");
	kdc_assert(n, "service-key-types", KF_SEV_ERROR);
	kdc_assert_subject(n, "10.0.0.10", "alice@LAB.TEST", "HTTP/rc4only.lab.test@LAB.TEST", "",
			   "10.0.0.2");
	ck_assert_str_eq(frames_of(n), "5,6");
	/* wording: the etypes the client offered are listed; no member carries them */
	ck_assert(contains(n->summary, "aes256-cts-hmac-sha1-96"));
	fx_run(r, "weak-etype");
	ck_assert_uint_eq(fx_count(r, "weak-etype", KF_SEV_WARNING), 1);
	const struct kf_finding *f = fx_find(r, "weak-etype");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(f->cause, "no-common-etype");
	ck_assert(fx_has_frame(f, 5) && fx_has_frame(f, 6));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/rc4only.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	fx_free(r);
}
END_TEST

START_TEST(t_nosupp_as_with_aes_is_not_weak)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "nokey", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 14);
	fx_finish(r);
	fx_run(r, "weak-etype");
	ck_assert_uint_eq(fx_count(r, "weak-etype", 0), 0);
	fx_run(r, "etype-nosupp");
	ck_assert_uint_eq(fx_count(r, "etype-nosupp", KF_SEV_ERROR), 1);
	fx_free(r);
}
END_TEST

START_TEST(t_nosupp_recovered)
{
	struct kf_result *r = fx_new();
	struct kf_message *q = as_req(r, 1, CL, KDC, "des", "krbtgt/LAB.TEST");
	set_etypes(r, q, etypes_rc4, 1);
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 14);
	as_req(r, 3, CL, KDC, "des", "krbtgt/LAB.TEST");
	as_rep(r, 4, 3, KDC, CL, "des", 18);
	fx_finish(r);
	fx_run(r, "etype-nosupp");
	ck_assert_uint_eq(fx_count(r, "etype-nosupp", 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_weak_client_offers_only_rc4)
{
	struct kf_result *r = fx_new();
	struct kf_message *q = as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	set_etypes(r, q, etypes_rc4, 1);
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 14);
	fx_finish(r);
	fx_run(r, "weak-etype");
	ck_assert_uint_eq(fx_count(r, "weak-etype", KF_SEV_WARNING), 1);
	const struct kf_finding *f = fx_find(r, "weak-etype");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "1,2");
	ck_assert_str_eq(f->cause, "client-offers-only-weak");
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "krbtgt/LAB.TEST@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_weak_rc4_ticket)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	tgs_req(r, 5, CL, KDC, "HTTP/rc4.lab.test");
	tgs_rep(r, 6, 5, KDC, CL, "HTTP/rc4.lab.test", 23);
	struct kf_message *ap = fx_http(r, 10, KF_KRB_AP_REQ, 1, WEBC, WEB);
	ap->krb.ticket = fx_ticket(r, "HTTP/rc4.lab.test", "LAB.TEST", 23, 2);
	tgs_req(r, 11, CL, KDC, "host/des.lab.test");
	tgs_rep(r, 12, 11, KDC, CL, "host/des.lab.test", 3);
	fx_finish(r);
	fx_run(r, "weak-etype");
	ck_assert_uint_eq(fx_count(r, "weak-etype", KF_SEV_WARNING), 1);
	const struct kf_finding *f = fx_find(r, "weak-etype");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 6) && fx_has_frame(f, 10) && fx_has_frame(f, 12));
	/* wording: the weak etype is named (no member carries it), and the
	 * remediation names the attribute to set */
	ck_assert(contains(f->summary, "rc4-hmac"));
	ck_assert(contains(f->remediation, "msDS-SupportedEncryptionTypes"));
	ck_assert_str_eq(f->cause, "weak-ticket");
	ck_assert_uint_eq(f->subject.n[KF_SUBJECT_SERVICE], 2);
	ck_assert(fx_subject_has(f, KF_SUBJECT_SERVICE, "HTTP/rc4.lab.test@LAB.TEST") &&
		  fx_subject_has(f, KF_SUBJECT_SERVICE, "host/des.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	fx_free(r);
}
END_TEST

START_TEST(t_weak_rc4_offered_among_aes_is_fine)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL); /* offers 18,17,...,23: RC4 among AES */
	tgs_req(r, 5, CL, KDC, "HTTP/web.lab.test");
	tgs_rep(r, 6, 5, KDC, CL, "HTTP/web.lab.test", 18);
	fx_finish(r);
	fx_run(r, "weak-etype");
	ck_assert_uint_eq(fx_count(r, "weak-etype", 0), 0);
	fx_free(r);
}
END_TEST

/* ---- AP errors and the rest ------------------------------------------------------- */

static void http_ap_error(struct kf_result *r, uint64_t f, int32_t code, const char *sname)
{
	struct kf_message *q = fx_http(r, f, KF_KRB_AP_REQ, 1, WEBC, WEB);
	q->krb.ticket = fx_ticket(r, sname, "LAB.TEST", 18, 1);
	struct kf_message *e = fx_http(r, f + 1, KF_KRB_ERROR, 1, WEB, WEBC);
	e->krb.error_code = code;
	fx_link(r, f, KF_KRB_AP_REQ, f + 1, KF_KRB_ERROR);
}

START_TEST(t_ticket_expired_from_service)
{
	struct kf_result *r = fx_new();
	http_ap_error(r, 10, 32, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run(r, "ticket-expired");
	ck_assert_uint_eq(fx_count(r, "ticket-expired", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "ticket-expired");
	kdc_assert(f, "expired-service-ticket", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "", "HTTP/web.lab.test@LAB.TEST", "10.0.0.20:80", "");
	ck_assert_str_eq(frames_of(f), "10,11");
	fx_free(r);
}
END_TEST

START_TEST(t_ticket_expired_recovered)
{
	struct kf_result *r = fx_new();
	/* at the KDC: expired TGT, new login, then the ticket */
	tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 32);
	login(r, 3, CL);
	tgs_req(r, 7, CL, KDC, "HTTP/web.lab.test");
	tgs_rep(r, 8, 7, KDC, CL, "HTTP/web.lab.test", 18);
	/* at the service: rejected, then accepted with an AP-REP */
	http_ap_error(r, 10, 32, "HTTP/web.lab.test");
	struct kf_message *q = fx_http(r, 12, KF_KRB_AP_REQ, 1, WEBC, WEB);
	q->krb.ticket = fx_ticket(r, "HTTP/web.lab.test", "LAB.TEST", 18, 1);
	fx_http(r, 13, KF_KRB_AP_REP, 1, WEB, WEBC);
	fx_link(r, 12, KF_KRB_AP_REQ, 13, KF_KRB_AP_REP);
	fx_finish(r);
	fx_run(r, "ticket-expired");
	ck_assert_uint_eq(fx_count(r, "ticket-expired", 0), 0);
	fx_free(r);
}
END_TEST

/* A fresh ticket of the same kind within 30 s ends it (issue 18): a new TGT
 * after a KDC's 32, a new service ticket after a service's 32; another
 * service's ticket does not. */
START_TEST(t_ticket_expired_fresh_ticket)
{
	struct kf_result *r = fx_new();
	tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 32);
	login(r, 3, CL); /* the capture ends before the next TGS-REQ */
	fx_finish(r);
	fx_run(r, "ticket-expired");
	ck_assert_uint_eq(fx_count(r, "ticket-expired", 0), 0);
	fx_free(r);

	for (int other = 0; other < 2; other++) {
		r = fx_new();
		http_ap_error(r, 10, 32, "HTTP/web.lab.test");
		tgs_req(r, 12, CL, KDC, other ? "HTTP/other.lab.test" : "HTTP/web.lab.test");
		tgs_rep(r, 13, 12, KDC, CL, other ? "HTTP/other.lab.test" : "HTTP/web.lab.test", 18);
		fx_finish(r);
		fx_run(r, "ticket-expired");
		ck_assert_uint_eq(fx_count(r, "ticket-expired", 0), other ? 1 : 0);
		fx_free(r);
	}
}
END_TEST

/* A Windows KDC's TKT_EXPIRED carrying STATUS_TIME_DIFFERENCE_AT_DC: the
 * clocks, not the ticket (issue 18): a clock-skew finding, which takes the
 * ticket-expired one in. The same error without that status stays
 * ticket-expired. */
START_TEST(t_ticket_expired_time_difference)
{
	for (int nt = 0; nt < 2; nt++) {
		struct kf_result *r = fx_new();
		tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
		struct kf_message *e = err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 32);
		e->krb.has_ntstatus = nt;
		e->krb.ntstatus = nt ? 0xC0000133u : 0;
		fx_finish(r);
		fx_run_all(r);
		ck_assert_uint_eq(fx_count(r, "clock-skew", 0), nt ? 1 : 0);
		ck_assert_uint_eq(fx_count(r, "ticket-expired", 0), nt ? 0 : 1);
		if (nt) {
			const struct kf_finding *f = fx_find(r, "clock-skew");
			ck_assert_msg(contains(f->summary, "STATUS_TIME_DIFFERENCE_AT_DC"), "%s", f->summary);
			ck_assert(strcmp(frames_of(f), "1,2") == 0);
		}
		fx_free(r);
	}
}
END_TEST

START_TEST(t_nyv_not_us_policy)
{
	struct kf_result *r = fx_new();
	http_ap_error(r, 10, 33, "HTTP/web.lab.test");
	http_ap_error(r, 20, 35, "HTTP/other.lab.test");
	login(r, 30, CL);
	tgs_req(r, 40, CL, KDC, "cifs/fs.lab.test");
	err(r, 41, 40, KF_KRB_TGS_REQ, KDC, CL, 12);
	fx_finish(r);
	fx_run(r, "ticket-not-yet-valid");
	ck_assert_uint_eq(fx_count(r, "ticket-not-yet-valid", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "ticket-not-yet-valid");
	kdc_assert(f, "undetermined", KF_SEV_ERROR);
	/* the client's story (its login, frame 30) names the user */
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "HTTP/web.lab.test@LAB.TEST", "10.0.0.20:80",
			   "");
	ck_assert_str_eq(frames_of(f), "10,11");
	fx_run(r, "not-us");
	ck_assert_uint_eq(fx_count(r, "not-us", KF_SEV_ERROR), 1);
	f = fx_find(r, "not-us");
	kdc_assert(f, "undetermined", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "HTTP/other.lab.test@LAB.TEST", "10.0.0.20:80",
			   "");
	ck_assert_str_eq(frames_of(f), "20,21");
	fx_run(r, "policy");
	ck_assert_uint_eq(fx_count(r, "policy", KF_SEV_ERROR), 1);
	f = fx_find(r, "policy");
	kdc_assert(f, "undetermined", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "cifs/fs.lab.test@LAB.TEST", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "40,41");
	fx_free(r);
}
END_TEST

START_TEST(t_badoption_plain_and_delegation)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	/* a renewal refused: ours */
	struct kf_message *q = tgs_req(r, 5, CL, KDC, "krbtgt/LAB.TEST");
	q->krb.kdc_options = OPT_RENEW;
	err(r, 6, 5, KF_KRB_TGS_REQ, KDC, CL, 13)->krb.e_text = "TICKET NOT RENEWABLE";
	/* a forwarded-TGT request refused: missing-forwarded-tgt's */
	q = tgs_req(r, 7, CL, KDC, "krbtgt/LAB.TEST");
	q->krb.kdc_options = OPT_FORWARDABLE | OPT_FORWARDED;
	err(r, 8, 7, KF_KRB_TGS_REQ, KDC, CL, 13);
	/* S4U2Proxy refused: s4u-denied's */
	q = tgs_req(r, 9, CL2, KDC, "HTTP/db.lab.test");
	q->krb.kdc_options = OPT_FORWARDABLE | OPT_CNAME_IN_ADDL;
	q->krb.n_addl = 1;
	q->krb.addl = fx_ticket(r, "HTTP/front.lab.test", "LAB.TEST", 18, 2);
	err(r, 10, 9, KF_KRB_TGS_REQ, KDC, CL2, 13);
	fx_finish(r);
	fx_run(r, "badoption");
	ck_assert_uint_eq(fx_count(r, "badoption", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "badoption");
	kdc_assert(f, "renewal-refused", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "krbtgt/LAB.TEST@LAB.TEST", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "5,6");
	/* wording: the KDC's own e-text is quoted; no member carries it */
	ck_assert(contains(f->summary, "TICKET NOT RENEWABLE"));
	/* all rules: the S4U refusal is s4u-denied's alone */
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "badoption", 0), 1);
	ck_assert_uint_eq(fx_count(r, "generic-kdc-error", 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_wrong_realm)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 68);
	fx_finish(r);
	fx_run(r, "wrong-realm");
	ck_assert_uint_eq(fx_count(r, "wrong-realm", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "wrong-realm");
	kdc_assert(f, "referral-not-followed", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "1,2");
	fx_free(r);

	r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 68);
	as_req(r, 3, CL, KDC2, "alice", "krbtgt/OTHER.TEST");
	as_rep(r, 4, 3, KDC2, CL, "alice", 18);
	fx_finish(r);
	fx_run(r, "wrong-realm");
	ck_assert_uint_eq(fx_count(r, "wrong-realm", 0), 0);
	fx_free(r);
}
END_TEST

START_TEST(t_generic_kdc_error)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 60)->krb.e_text = "internal";
	as_req(r, 3, CL2, KDC, "bob", "krbtgt/LAB.TEST");
	err(r, 4, 3, KF_KRB_AS_REQ, KDC, CL2, 52); /* udp-fragmentation's */
	fx_finish(r);
	fx_run(r, "generic-kdc-error");
	ck_assert_uint_eq(fx_count(r, "generic-kdc-error", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "generic-kdc-error");
	/* KRB_ERR_GENERIC: the reason is the KDC's own */
	kdc_assert(f, "undetermined", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "alice@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "1,2");
	/* wording: with no cause to tell, the KDC's own e-text is all there is */
	ck_assert(contains(f->summary, "internal"));
	fx_free(r);
}
END_TEST

START_TEST(t_principal_not_unique)
{
	struct kf_result *r = fx_new();
	tgs_req(r, 1, CL, KDC, "HTTP/dup.lab.test");
	err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 8);
	fx_finish(r);
	fx_run(r, "principal-not-unique");
	ck_assert_uint_eq(fx_count(r, "principal-not-unique", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "principal-not-unique");
	kdc_assert(f, "duplicate-spn", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "", "HTTP/dup.lab.test@LAB.TEST", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), "1,2");
	fx_free(r);
}
END_TEST

/* The KDC-error causes and the catalogue's rows (their tests close the file). */
static TCase *kdc_error_causes(void);

/* ---- clock-skew ---------------------------------------------------------------- */

static bool clocks_are(const struct kf_finding *f, const char *a, const char *b)
{
	return f->clocks[0] && f->clocks[1] && !strcmp(f->clocks[0], a) && !strcmp(f->clocks[1], b);
}

START_TEST(t_skew_kdc_estimated_from_till)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 25);
	struct kf_message *q = as_req(r, 3, CL, KDC, "alice", "krbtgt/LAB.TEST");
	q->krb.has_till = true;
	q->krb.till = T0 + 86400 - 600; /* 24 h by a clock 10 min slow */
	err(r, 4, 3, KF_KRB_AS_REQ, KDC, CL, 37);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 1);
	ck_assert_uint_eq(fx_count(r, "clock-skew", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "clock-skew");
	ck_assert_str_eq(frames_of(f), "3,4");
	/* wording: the skew is computed (estimated from till); the remediation
	 * names the commands that set the clock */
	ck_assert(contains(f->summary, "client clock about 10 min behind the KDC"));
	ck_assert(clocks_are(f, "client", "kdc") && f->has_offset && f->offset_s == -600);
	ck_assert(contains(f->remediation, "w32tm /resync"));
	ck_assert(contains(f->remediation, "chrony"));
	ck_assert_str_eq(f->cause, "client-clock");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, NULL));
	fx_free(r);
}
END_TEST

/* MIT's KDC writes the request's nonce into ctime: not a time. The offset
 * then comes from elsewhere (here: nothing), never "decades". */
START_TEST(t_skew_ctime_is_nonce)
{
	struct kf_result *r = fx_new();
	struct kf_message *q = tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	q->krb.has_nonce = true;
	q->krb.nonce = 1234567890u;
	struct kf_message *e = err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 37);
	e->krb.has_ctime = true;
	e->krb.ctime = 1234567890; /* 2009-02-13: the nonce, not a clock */
	fx_finish(r);
	fx_run(r, "clock-skew");
	const struct kf_finding *f = fx_find(r, "clock-skew");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(!contains(f->summary, "days") && !contains(f->explanation, "ctime"), "%s / %s",
		      f->summary, f->explanation);
	/* the client's clock is off (the KDC agrees with the capture), by how much is not seen */
	ck_assert(clocks_are(f, "client", "kdc") && !f->has_offset);
	fx_free(r);
}
END_TEST

START_TEST(t_skew_kdc_with_ctime)
{
	struct kf_result *r = fx_new();
	tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	struct kf_message *e = err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 37);
	e->krb.has_ctime = true;
	e->krb.ctime = e->krb.stime + 420; /* the client says 7 min later */
	e->krb.cusec = e->krb.susec;
	fx_finish(r);
	fx_run(r, "clock-skew");
	const struct kf_finding *f = fx_find(r, "clock-skew");
	ck_assert_ptr_nonnull(f);
	/* wording: the skew is computed, from ctime (the request gives no till) */
	ck_assert(contains(f->summary, "7 min ahead of the KDC"));
	ck_assert(clocks_are(f, "client", "kdc") && f->has_offset && f->offset_s == 420);
	ck_assert_str_eq(f->cause, "client-clock"); /* the KDC's stime agrees with the capture */
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "1,2");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/web.lab.test@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_skew_service)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	struct kf_message *q = fx_http(r, 14, KF_KRB_AP_REQ, 1, WEBC, WEB);
	q->krb.ticket = fx_ticket(r, "HTTP/skew.lab.test", "LAB.TEST", 18, 1);
	struct kf_message *e = fx_http(r, 15, KF_KRB_ERROR, 1, WEB, WEBC);
	e->krb.error_code = 37;
	e->krb.sname = "HTTP/skew.lab.test";
	e->krb.realm = "LAB.TEST";
	e->krb.has_stime = true;
	e->krb.stime = T0 + 600; /* frame 15 is at T0 + 15 ms */
	fx_link(r, 14, KF_KRB_AP_REQ, 15, KF_KRB_ERROR);
	fx_finish(r);
	fx_run(r, "clock-skew");
	ck_assert_uint_eq(fx_count(r, "clock-skew", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "clock-skew");
	/* wording: the skew is computed */
	ck_assert(contains(f->summary, "service clock 10 min ahead of the KDC"));
	ck_assert(clocks_are(f, "service", "kdc") && f->has_offset && f->offset_s == 600);
	ck_assert_str_eq(frames_of(f), "14,15");
	ck_assert_str_eq(f->cause, "service-clock");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/skew.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, NULL));
	fx_free(r);
}
END_TEST

START_TEST(t_skew_recovered_is_info)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "pc$", "krbtgt/LAB.TEST");
	struct kf_message *e = err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 37);
	e->krb.stime += 3 * 3600;
	as_req(r, 3, CL, KDC, "pc$", "krbtgt/LAB.TEST");
	as_rep(r, 4, 3, KDC, CL, "pc$", 18);
	fx_finish(r);
	fx_run(r, "clock-skew");
	ck_assert_uint_eq(fx_count(r, "clock-skew", KF_SEV_INFO), 1);
	const struct kf_finding *f = fx_find(r, "clock-skew");
	/* wording: the skew is computed */
	ck_assert(contains(f->summary, "KDC clock 3 h ahead"));
	ck_assert(clocks_are(f, "kdc", "capture") && f->has_offset && f->offset_s == 3 * 3600);
	ck_assert_str_eq(f->cause, "kdc-clock");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "1,2"); /* not the retry that worked */
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "pc$@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_skew_none_without_error)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	fx_finish(r);
	fx_run(r, "clock-skew");
	ck_assert_uint_eq(fx_count(r, "clock-skew", 0), 0);
	fx_free(r);
}
END_TEST

/* ---- udp-fragmentation ------------------------------------------------------------ */

static struct kf_message *tcp(struct kf_message *m, uint32_t conn)
{
	m->transport = KF_TRANSPORT_TCP;
	m->connection = conn;
	return m;
}

START_TEST(t_udp_too_big_tcp_retry)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "carol", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 52);
	tcp(as_req(r, 3, CL, KDC, "carol", "krbtgt/LAB.TEST"), 1);
	tcp(as_rep(r, 4, 3, KDC, CL, "carol", 18), 1);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 1);
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", KF_SEV_INFO), 1);
	const struct kf_finding *f = fx_find(r, "udp-fragmentation");
	ck_assert_str_eq(frames_of(f), "1,2,3,4");
	/* wording: the remediation names the setting */
	ck_assert(contains(f->remediation, "udp_preference_limit"));
	ck_assert_str_eq(f->cause, "response-too-big-tcp-retry");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "carol@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_udp_too_big_no_retry)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "carol", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 52);
	r->last_ts_us = r->messages[1].ts_us + 20000000; /* capture runs 20 s more */
	fx_finish(r);
	fx_run(r, "udp-fragmentation");
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "udp-fragmentation");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(f->cause, "response-too-big-no-retry");
	ck_assert(fx_has_frame(f, 1) && fx_has_frame(f, 2));
	fx_free(r);

	r = fx_new();
	as_req(r, 1, CL, KDC, "carol", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 52);
	r->last_ts_us = r->messages[1].ts_us; /* the capture ends with the error */
	fx_finish(r);
	fx_run(r, "udp-fragmentation");
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", KF_SEV_WARNING), 1);
	/* the capture cannot tell whether the client retried over TCP */
	f = fx_find(r, "udp-fragmentation");
	ck_assert_str_eq(f->cause, "undetermined");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	fx_free(r);
}
END_TEST

START_TEST(t_udp_fragmented_complete)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "carol", "krbtgt/LAB.TEST");
	struct kf_message *m = as_rep(r, 3, 1, KDC, CL, "carol", 18);
	m->ip_fragments = 2;
	m->first_frame = 2;
	fx_finish(r);
	fx_run(r, "udp-fragmentation");
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", KF_SEV_INFO), 1);
	const struct kf_finding *f = fx_find(r, "udp-fragmentation");
	ck_assert_str_eq(frames_of(f), "2,3");
	ck_assert_str_eq(f->cause, "fragments-reassembled");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "carol@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	fx_free(r);
}
END_TEST

START_TEST(t_udp_fragments_lost_then_tcp)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "carol", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 25);
	as_req(r, 3, CL, KDC, "carol", "krbtgt/LAB.TEST");
	struct kf_tevent *t = fx_tevent(r, KF_TEV_FRAG_INCOMPLETE, 4, CL, KDC);
	t->from_kdc = true;
	tcp(as_req(r, 8, CL, KDC, "carol", "krbtgt/LAB.TEST"), 1);
	tcp(as_rep(r, 12, 8, KDC, CL, "carol", 18), 1);
	fx_finish(r);
	fx_run(r, "udp-fragmentation");
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "udp-fragmentation");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	/* the TCP retry that worked is evidence (and makes it certain) */
	ck_assert_str_eq(frames_of(f), "3,4,8,12");
	ck_assert_str_eq(f->cause, "reply-fragments-lost");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "carol@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_udp_fragments_lost_no_retry)
{
	struct kf_result *r = fx_new();
	as_req(r, 3, CL, KDC, "carol", "krbtgt/LAB.TEST");
	struct kf_tevent *t = fx_tevent(r, KF_TEV_FRAG_INCOMPLETE, 4, CL, KDC);
	t->from_kdc = true;
	fx_finish(r);
	fx_run(r, "udp-fragmentation");
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "udp-fragmentation");
	/* no TCP retry: likely, on the request and the lost fragments alone */
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(f->cause, "reply-fragments-lost");
	ck_assert_str_eq(frames_of(f), "3,4");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	fx_free(r);
}
END_TEST

START_TEST(t_udp_plain_no_finding)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	fx_finish(r);
	fx_run(r, "udp-fragmentation");
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", 0), 0);
	fx_free(r);
}
END_TEST

/* ---- causes and subjects of kdc-unreachable, clock-skew, udp-fragmentation, weak-etype ---- */

/* The rows of the rules of rules_reach.c, rules_etype.c and
 * rules_http_token.c list exactly the causes docs/rules.md describes (the
 * HTTP ones' findings are tested in check_rules_http.c). */
START_TEST(t_reach_etype_http_token_causes_listed)
{
	static const char *const want[][8] = {
		{ "kdc-unreachable", "failover", "tcp-reset", "icmp-unreachable", "fragments-lost",
		  "syn-unanswered", "no-reply", NULL },
		{ "clock-skew", "client-clock", "kdc-clock", "service-clock", "undetermined", NULL },
		{ "udp-fragmentation", "reply-fragments-lost", "request-fragments-lost",
		  "response-too-big-no-retry", "undetermined", "response-too-big-tcp-retry",
		  "fragments-reassembled", NULL },
		{ "weak-etype", "weak-ticket", "weak-user-key", "client-offers-only-weak", "no-common-etype",
		  NULL },
		{ "auth-loop", "authorization-refused", "ticket-rejected", "undetermined", NULL },
		{ "token-too-large", "kerberos-token-too-large", "header-too-large", NULL },
		{ "request-based-kerberos", "ap-req-every-request", NULL },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct kf_rule *rule = kf_rule_find(want[i][0]);
		ck_assert_ptr_nonnull(rule);
		size_t n = 0;
		for (const char *const *c = rule->info.causes; c && *c; c++)
			n++;
		size_t k = 1;
		for (; want[i][k]; k++)
			ck_assert(kf_rule_cause_listed(&rule->info, want[i][k]));
		ck_assert_uint_eq(n, k - 1);
	}
}
END_TEST

/* Run rule id alone over r (finished here); its first finding, which must exist. */
static const struct kf_finding *run_one(struct kf_result *r, const char *id)
{
	fx_finish(r);
	fx_run(r, id);
	const struct kf_finding *f = fx_find(r, id);
	ck_assert_ptr_nonnull(f);
	return f;
}

#define DEAD "10.0.0.99:88"

/* An AS-REQ for alice to the dead KDC in frame f, with its UDP event. */
static void unanswered(struct kf_result *r, uint64_t f)
{
	as_req(r, f, CL, DEAD, "alice", "krbtgt/LAB.TEST");
	fx_tevent(r, KF_TEV_UDP_NO_REPLY, f, CL, DEAD)->request_frame = f;
}

START_TEST(t_unreach_no_reply)
{
	struct kf_result *r = fx_new();
	unanswered(r, 1);
	unanswered(r, 3);
	fx_finish(r);
	fx_run(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, "kdc-unreachable", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "kdc-unreachable");
	ck_assert_str_eq(f->cause, "no-reply");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(frames_of(f), "1,3");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.99"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "krbtgt/LAB.TEST@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_unreach_syn_unanswered)
{
	struct kf_result *r = fx_new();
	unanswered(r, 1);
	struct kf_tevent *t = fx_tevent(r, KF_TEV_TCP_NO_ANSWER, 2, "10.0.0.10:40002", DEAD);
	t->transport = KF_TRANSPORT_TCP;
	t->count = 3;
	const struct kf_finding *f = run_one(r, "kdc-unreachable");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "syn-unanswered");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	/* wording: the SYNs are counted from the event (one frame for three) */
	ck_assert(contains(f->summary, "3 TCP SYNs never answered"));
	ck_assert_str_eq(frames_of(f), "1,2");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.99"));
	fx_free(r);
}
END_TEST

/* Refusals: a reset (with an ICMP unreachable too) and an ICMP unreachable alone. */
START_TEST(t_unreach_refused)
{
	struct kf_result *r = fx_new();
	unanswered(r, 1);
	fx_tevent(r, KF_TEV_ICMP_UNREACHABLE, 2, CL, DEAD);
	fx_tevent(r, KF_TEV_TCP_RESET, 3, "10.0.0.10:40002", DEAD)->transport = KF_TRANSPORT_TCP;
	const struct kf_finding *f = run_one(r, "kdc-unreachable");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "tcp-reset");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "1,2,3");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.99"));
	/* wording: a refusal is certain, the remediation must not hedge */
	ck_assert(!contains(f->remediation, "Likely"));
	fx_free(r);

	r = fx_new();
	as_req(r, 1, CL, DEAD, "alice", "krbtgt/LAB.TEST");
	fx_tevent(r, KF_TEV_ICMP_UNREACHABLE, 2, CL, DEAD);
	f = run_one(r, "kdc-unreachable");
	ck_assert_str_eq(f->cause, "icmp-unreachable");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.99") &&
		  fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	fx_free(r);
}
END_TEST

/* The KDC's reply was sent, in IP fragments that never all arrived. */
START_TEST(t_unreach_fragments_lost)
{
	struct kf_result *r = fx_new();
	unanswered(r, 1);
	fx_tevent(r, KF_TEV_FRAG_INCOMPLETE, 2, CL, DEAD)->from_kdc = true;
	const struct kf_finding *f = run_one(r, "kdc-unreachable");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "fragments-lost");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "1,2");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.99"));
	/* wording: the remediation names the setting */
	ck_assert(contains(f->remediation, "udp_preference_limit"));
	fx_free(r);
}
END_TEST

/* Another KDC answered afterwards: a warning, certain or likely as the dead one refused or kept silent. */
START_TEST(t_unreach_failover)
{
	struct kf_result *r = fx_new();
	unanswered(r, 1);
	as_req(r, 5, CL, KDC, "alice", "krbtgt/LAB.TEST");
	as_rep(r, 6, 5, KDC, CL, "alice", 18);
	fx_finish(r);
	fx_run(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, "kdc-unreachable", 0), 1);
	const struct kf_finding *f = fx_find(r, "kdc-unreachable");
	ck_assert_int_eq(f->severity, KF_SEV_WARNING);
	ck_assert_str_eq(f->cause, "failover");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(frames_of(f), "1"); /* not the other KDC's answer */
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.99"));
	fx_free(r);

	r = fx_new();
	unanswered(r, 1);
	fx_tevent(r, KF_TEV_ICMP_UNREACHABLE, 2, CL, DEAD);
	as_req(r, 5, CL, KDC, "alice", "krbtgt/LAB.TEST");
	as_rep(r, 6, 5, KDC, CL, "alice", 18);
	f = run_one(r, "kdc-unreachable");
	ck_assert_str_eq(f->cause, "failover");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN); /* refused */
	ck_assert_int_eq(f->severity, KF_SEV_WARNING);
	ck_assert_str_eq(frames_of(f), "1,2");
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.99"));
	fx_free(r);
}
END_TEST

/* ---- kdc-unreachable: a KDC that answered, then stopped (issue 18, item 2) ---- */

#define S(x) (1700000000000000ull + (uint64_t)((x)*1000000.0)) /* fixture time at x s */

/* An outage fixture: the KDC answers alice's AS exchange (frames 1-2, at 0 s),
 * and the capture runs until end_s. */
static struct kf_result *outage_base(double end_s)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST")->ts_us = S(0);
	as_rep(r, 2, 1, KDC, CL, "alice", 18)->ts_us = S(0.001);
	r->have_ts = true;
	r->first_ts_us = S(0);
	r->last_ts_us = S(end_s);
	return r;
}

/* A TGS-REQ for HTTP/web to kdc in frame f at s seconds; unanswered: its UDP event. */
static struct kf_message *outage_req(struct kf_result *r, uint64_t f, double s, const char *kdc,
				     bool unanswered)
{
	struct kf_message *m = tgs_req(r, f, CL, kdc, "HTTP/web.lab.test");
	m->ts_us = S(s);
	if (unanswered) {
		struct kf_tevent *t = fx_tevent(r, KF_TEV_UDP_NO_REPLY, f, CL, kdc);
		t->ts_us = S(s);
		t->request_frame = f;
	}
	return m;
}

/* UDP: three requests over 11 s without a reply, then the KDC answers again at
 * 20 s: an outage from frame 3 to frame 7 (error, likely, no-reply). */
START_TEST(t_outage_udp)
{
	struct kf_result *r = outage_base(25);
	outage_req(r, 3, 1, KDC, true);
	outage_req(r, 4, 5, KDC, true);
	outage_req(r, 5, 12, KDC, true);
	outage_req(r, 6, 20, KDC, false);
	tgs_rep(r, 7, 6, KDC, CL, "HTTP/web.lab.test", 18)->ts_us = S(20.001);
	const struct kf_finding *f = run_one(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, "kdc-unreachable", 0), 1);
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(f->cause, "no-reply");
	ck_assert_str_eq(frames_of(f), "3,4,5,7");
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/web.lab.test@LAB.TEST"));
	ck_assert_msg(contains(f->summary, "for 19 s: 3 requests without a reply"), "%s", f->summary);
	ck_assert_msg(contains(f->explanation, "frame 3, 1.000 s into the capture") &&
			      contains(f->explanation, "last in frame 5, 12.000 s") &&
			      contains(f->explanation, "next Kerberos message is in frame 7, 20.001 s"),
		      "%s", f->explanation);
	fx_free(r);
}
END_TEST

/* No finding at all (r freed). */
static void outage_silent(struct kf_result *r)
{
	fx_finish(r);
	fx_run(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}

/* Healthy near-misses stay silent: a pause under 10 s before the reply; one
 * lost request and, much later, a request answered at once; two lost requests
 * at the end of a capture that stops within 10 s of the first. */
START_TEST(t_outage_near_misses)
{
	struct kf_result *r = outage_base(30);
	outage_req(r, 3, 1, KDC, true);
	outage_req(r, 4, 2, KDC, true);
	outage_req(r, 5, 9.5, KDC, false);
	tgs_rep(r, 6, 5, KDC, CL, "HTTP/web.lab.test", 18)->ts_us = S(10.9);
	outage_silent(r);

	r = outage_base(90);
	outage_req(r, 3, 1, KDC, true);
	outage_req(r, 4, 60, KDC, false);
	tgs_rep(r, 5, 4, KDC, CL, "HTTP/web.lab.test", 18)->ts_us = S(60.002);
	outage_silent(r);

	for (int end_s = 9; end_s <= 15; end_s += 6) {
		r = outage_base(end_s);
		outage_req(r, 3, 1, KDC, true);
		outage_req(r, 4, 3, KDC, true);
		if (end_s == 9) {
			outage_silent(r);
			continue;
		}
		/* the capture goes on to 15 s: an outage of at least 14 s */
		const struct kf_finding *f = run_one(r, "kdc-unreachable");
		ck_assert_msg(contains(f->summary, "for at least 14 s"), "%s", f->summary);
		ck_assert_msg(contains(f->explanation, "until the capture ends"), "%s", f->explanation);
		fx_free(r);
	}
}
END_TEST

/* Run kdc-unreachable over r: its one finding, as w says, whose summary
 * holds words. */
static const struct kf_finding *outage_expect(struct kf_result *r, const struct fx_want *w, const char *words)
{
	fx_finish(r);
	fx_run(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, "kdc-unreachable", 0), 1);
	const struct kf_finding *f = fx_expect(r, w);
	ck_assert_msg(contains(f->summary, words), "%s", f->summary);
	return f;
}

/* A hung KDC answers the queued requests late (after the client gave up):
 * the late replies are no answer in time; refusals (RST) count as attempts
 * (likely: nothing shows the user's step failing). */
START_TEST(t_outage_late_and_refused)
{
	struct kf_result *r = outage_base(40);
	for (uint64_t k = 0; k < 3; k++)
		outage_req(r, 3 + k, 1 + 6.5 * (double)k, KDC, false);
	for (uint64_t k = 0; k < 3; k++)
		tgs_rep(r, 6 + k, 3 + k, KDC, CL, "HTTP/web.lab.test", 18)->ts_us = S(30);
	outage_expect(r,
		      &(struct fx_want){ .rule = "kdc-unreachable",
					 .cause = "no-reply",
					 .sev = KF_SEV_ERROR,
					 .conf = KF_CONF_LIKELY,
					 .frames = "3,4,5,6" },
		      "for 29 s: 3 answered only after more than 1 s");
	fx_free(r);

	/* the client's ICMP port unreachable for a late reply is no refusal: a later
	 * outage starts at its first request, not at that ICMP */
	r = outage_base(60);
	outage_req(r, 3, 1, KDC, false);
	tgs_rep(r, 4, 3, KDC, CL, "HTTP/web.lab.test", 18)->ts_us = S(5);
	fx_tevent(r, KF_TEV_ICMP_UNREACHABLE, 5, CL, KDC)->ts_us = S(5.0001);
	outage_req(r, 6, 40, KDC, true);
	outage_req(r, 7, 45, KDC, true);
	outage_expect(r,
		      &(struct fx_want){ .rule = "kdc-unreachable",
					 .cause = "no-reply",
					 .sev = KF_SEV_ERROR,
					 .conf = KF_CONF_LIKELY,
					 .frames = "6,7" },
		      "for at least 20 s: 2 requests without a reply");
	fx_free(r);

	r = outage_base(20);
	for (uint64_t k = 0; k < 3; k++) {
		outage_req(r, 3 + 2 * k, 1 + 6.0 * (double)k, KDC, true);
		fx_tevent(r, KF_TEV_TCP_RESET, 4 + 2 * k, CL, KDC)->ts_us = S(1.01 + 6.0 * (double)k);
	}
	outage_expect(r,
		      &(struct fx_want){ .rule = "kdc-unreachable",
					 .cause = "tcp-reset",
					 .sev = KF_SEV_ERROR,
					 .conf = KF_CONF_LIKELY },
		      "3 TCP connections refused (RST)");
	fx_free(r);
}
END_TEST

/* Another KDC gives the client its ticket during the outage: warning
 * (failover); another client's ticket from it is no failover for this one. */
START_TEST(t_outage_failover)
{
	for (int other_client = 0; other_client < 2; other_client++) {
		const char *cl = other_client ? CL2 : CL;
		struct kf_result *r = outage_base(20);
		outage_req(r, 3, 1, KDC, true);
		tgs_req(r, 4, cl, KDC2, "HTTP/web.lab.test")->ts_us = S(2);
		tgs_rep(r, 5, 4, KDC2, cl, "HTTP/web.lab.test", 18)->ts_us = S(2.001);
		outage_req(r, 6, 12, KDC, true);
		struct fx_want w = { .rule = "kdc-unreachable",
				     .cause = "failover",
				     .sev = KF_SEV_WARNING,
				     .conf = KF_CONF_LIKELY,
				     .frames = "3,6",
				     .kdc = "10.0.0.2" };
		if (other_client) {
			w.cause = "no-reply";
			w.sev = KF_SEV_ERROR;
		}
		const struct kf_finding *f =
			outage_expect(r, &w, "stopped answering Kerberos (port 88) for at least 19 s");
		/* failover: stop listing the dead KDC; none: list more than one */
		ck_assert_msg(contains(f->remediation,
				       other_client ? "so that they fail over" : "stop waiting for it"),
			      "%s", f->remediation);
		fx_free(r);
	}
}
END_TEST

/* The user's step fails in the capture: HTTP 401 Negotiate and no ticket
 * ever presented after: certain.  A ticket presented later: likely. */
START_TEST(t_outage_visible_failure)
{
	for (int later_ticket = 0; later_ticket < 2; later_ticket++) {
		struct kf_result *r = outage_base(40);
		struct kf_message *q = fx_http(r, 3, KF_MSG_HTTP_REQUEST, 1, WEBC, WEB);
		q->ts_us = S(0.5);
		fx_http_rec(r, q);
		struct kf_message *h = fx_http(r, 4, KF_MSG_HTTP_RESPONSE, 1, WEB, WEBC);
		h->ts_us = S(0.6);
		fx_http_rec(r, h)->status = 401;
		fx_link(r, 3, KF_MSG_HTTP_REQUEST, 4, KF_MSG_HTTP_RESPONSE);
		outage_req(r, 5, 1, KDC, true);
		outage_req(r, 6, 5, KDC, true);
		outage_req(r, 7, 15, KDC, true);
		if (later_ticket)
			fx_http(r, 8, KF_KRB_AP_REQ, 2, "10.0.0.10:50001", WEB)->ts_us = S(30);
		const struct kf_finding *f = run_one(r, "kdc-unreachable");
		ck_assert_int_eq(f->severity, KF_SEV_ERROR);
		if (later_ticket) {
			ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
			ck_assert(!fx_has_frame(f, 4));
		} else {
			ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
			ck_assert(fx_has_frame(f, 4));
			ck_assert_msg(
				contains(f->explanation, "10.0.0.20 port 80 answered HTTP 401 in frame 4"),
				"%s", f->explanation);
		}
		fx_free(r);
	}
}
END_TEST

/* A skew error without stime: the clocks differ, which one is off is not told. */
START_TEST(t_skew_undetermined)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 37)->krb.has_stime = false;
	const struct kf_finding *f = run_one(r, "clock-skew");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "undetermined");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	/* wording: the capture cannot tell which clock is off, and says so */
	ck_assert(contains(f->summary, "differ by more than the tolerance"));
	ck_assert(clocks_are(f, "client", "kdc") && !f->has_offset);
	ck_assert_str_eq(frames_of(f), "1,2");
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	fx_free(r);
}
END_TEST

/* The sender's clock against the capture's, with no KDC to compare with;
 * with ctime, the sender's stime still says which side is off. */
START_TEST(t_skew_sender_vs_capture)
{
	struct kf_result *r = fx_new();
	struct kf_message *q = fx_http(r, 14, KF_KRB_AP_REQ, 1, WEBC, WEB);
	q->krb.ticket = fx_ticket(r, "HTTP/skew.lab.test", "LAB.TEST", 18, 1);
	struct kf_message *e = fx_http(r, 15, KF_KRB_ERROR, 1, WEB, WEBC);
	e->krb.error_code = 37;
	e->krb.sname = "HTTP/skew.lab.test";
	e->krb.realm = "LAB.TEST";
	e->krb.has_stime = true;
	e->krb.stime = T0 - 600;
	fx_link(r, 14, KF_KRB_AP_REQ, 15, KF_KRB_ERROR);
	const struct kf_finding *f = run_one(r, "clock-skew");
	ck_assert_str_eq(f->cause, "service-clock");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "14,15");
	/* wording: the skew is computed, against the capture's clock */
	ck_assert(contains(f->summary, "service clock 10 min behind the capture's clock"));
	ck_assert(clocks_are(f, "service", "capture") && f->has_offset && f->offset_s == -600);
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	fx_free(r);

	r = fx_new();
	tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	e = err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 37);
	e->krb.stime += 600; /* the KDC 10 min ahead of the capture */
	e->krb.has_ctime = true;
	e->krb.ctime = e->krb.stime - 600;
	e->krb.cusec = e->krb.susec;
	f = run_one(r, "clock-skew");
	ck_assert_str_eq(f->cause, "kdc-clock");
	ck_assert_str_eq(frames_of(f), "1,2");
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	/* wording: the skew is computed (from ctime) */
	ck_assert(contains(f->summary, "10 min behind the KDC"));
	ck_assert(clocks_are(f, "client", "kdc") && f->has_offset && f->offset_s == -600);
	fx_free(r);
}
END_TEST

/* The KDC agrees with the capture, the client's request gives no end time to estimate from. */
START_TEST(t_skew_client_unmeasured)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	err(r, 2, 1, KF_KRB_AS_REQ, KDC, CL, 37);
	const struct kf_finding *f = run_one(r, "clock-skew");
	ck_assert_str_eq(f->cause, "client-clock");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "1,2");
	/* wording: the capture cannot tell by how much, and says so */
	ck_assert(contains(f->summary, "client clock off from the KDC by more than the tolerance"));
	ck_assert(clocks_are(f, "client", "kdc") && !f->has_offset);
	fx_free(r);
}
END_TEST

/* Times that are no measure (issue 18, item 5): a ctime 40 days from stime
 * is not the client's clock; a KDC clock in 1970 and a capture clock in 1970
 * name the clocks without an offset. */
START_TEST(t_skew_offset_implausible)
{
	struct kf_result *r = fx_new();
	tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	struct kf_message *e = err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 37);
	e->krb.has_ctime = true;
	e->krb.ctime = e->krb.stime + 40 * 86400;
	const struct kf_finding *f = run_one(r, "clock-skew");
	/* ctime ignored: the KDC agrees with the capture, the client is off, amount unseen */
	ck_assert_str_eq(f->cause, "client-clock");
	ck_assert(clocks_are(f, "client", "kdc") && !f->has_offset);
	ck_assert_msg(!contains(f->summary, " d "), "%s", f->summary);
	fx_free(r);

	r = fx_new();
	tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	e = err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 37);
	e->krb.stime = 86400; /* 1970-01-02: a KDC whose clock was never set */
	f = run_one(r, "clock-skew");
	ck_assert_str_eq(f->cause, "kdc-clock");
	ck_assert(clocks_are(f, "kdc", "capture") && !f->has_offset);
	ck_assert_msg(contains(f->summary, "the KDC's clock and the capture's disagree"), "%s", f->summary);
	fx_free(r);

	/* near-miss: 20 days is still a measure (another KDC agrees with the
	 * capture's clock: alone, a KDC that far off makes the capture's clock
	 * implausible and no clock is named, check_rules_clock.c) */
	r = fx_new();
	tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	e = err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 37);
	e->krb.stime += 20 * 86400;
	as_req(r, 3, CL, KDC2, "alice", "krbtgt/LAB.TEST");
	err(r, 4, 3, KF_KRB_AS_REQ, KDC2, CL, 25);
	f = run_one(r, "clock-skew");
	ck_assert(clocks_are(f, "kdc", "capture") && f->has_offset && f->offset_s == 20 * 86400);
	fx_free(r);
}
END_TEST

/* With --keytab the TGS-REQ's authenticator opens: its ctime is the
 * client's clock, so the offset is measured (issue 18, item 5); an
 * authenticator that did not open leaves it unmeasured. */
START_TEST(t_skew_by_authenticator)
{
	for (int opened = 0; opened < 2; opened++) {
		struct kf_result *r = fx_new();
		struct kf_message *q = tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
		q->dec = kf_arena_zalloc(&r->arena, sizeof *q->dec);
		q->dec->auth = kf_arena_zalloc(&r->arena, sizeof *q->dec->auth);
		q->dec->auth->status = opened ? KF_OPEN_OK : KF_OPEN_NO_KEY;
		q->dec->auth->ctime = (int64_t)(q->ts_us / 1000000) + 600; /* 10 min ahead */
		err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 37);
		const struct kf_finding *f = run_one(r, "clock-skew");
		ck_assert_str_eq(f->cause, "client-clock");
		ck_assert(clocks_are(f, "client", "kdc"));
		if (opened) {
			ck_assert(f->has_offset && f->offset_s == 600);
			ck_assert_msg(contains(f->summary, "10 min ahead of the KDC"), "%s", f->summary);
			ck_assert(contains(f->explanation, "opened with the keytab"));
		} else {
			ck_assert(!f->has_offset);
			ck_assert(contains(f->explanation, "--keytab with the krbtgt key"));
		}
		/* a TGS-REQ refused: the client has its TGT */
		ck_assert(contains(f->explanation, "has a TGT but gets no service ticket"));
		fx_free(r);
	}
}
END_TEST

/* The client's request never arrived whole at the KDC. */
START_TEST(t_udp_request_fragments_lost)
{
	struct kf_result *r = fx_new();
	fx_tevent(r, KF_TEV_FRAG_INCOMPLETE, 4, CL, KDC);
	tcp(as_req(r, 8, CL, KDC, "carol", "krbtgt/LAB.TEST"), 1);
	tcp(as_rep(r, 9, 8, KDC, CL, "carol", 18), 1);
	fx_finish(r);
	fx_run(r, "udp-fragmentation");
	ck_assert_uint_eq(fx_count(r, "udp-fragmentation", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "udp-fragmentation");
	ck_assert_str_eq(f->cause, "request-fragments-lost");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "4,8,9");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	fx_free(r);
}
END_TEST

/* An AS reply under the user's RC4 key, although the ticket is AES. */
START_TEST(t_weak_user_key)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "old", "krbtgt/LAB.TEST");
	as_rep(r, 2, 1, KDC, CL, "old", 18)->krb.enc_etype = 23;
	fx_finish(r);
	fx_run(r, "weak-etype");
	ck_assert_uint_eq(fx_count(r, "weak-etype", KF_SEV_WARNING), 1);
	const struct kf_finding *f = fx_find(r, "weak-etype");
	ck_assert_str_eq(f->cause, "weak-user-key");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(frames_of(f), "2");
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "old@LAB.TEST") &&
		  fx_subject_is(f, KF_SUBJECT_KDC, "10.0.0.2"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, NULL));
	fx_free(r);
}
END_TEST

/* Kerberoasting's shape: a TGS-REQ offering only RC4, answered with an RC4
 * ticket: the client's offer explains the ticket. */
START_TEST(t_weak_offer_explains_ticket)
{
	struct kf_result *r = fx_new();
	login(r, 1, CL);
	set_etypes(r, tgs_req(r, 5, CL, KDC, "HTTP/svc.lab.test"), etypes_rc4, 1);
	tgs_rep(r, 6, 5, KDC, CL, "HTTP/svc.lab.test", 23);
	const struct kf_finding *f = run_one(r, "weak-etype");
	ck_assert_str_eq(f->cause, "client-offers-only-weak");
	ck_assert_int_eq(f->severity, KF_SEV_WARNING);
	ck_assert_str_eq(frames_of(f), "5,6");
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/svc.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_krb5");
	TCase *a = tcase_create("kdc-errors");
	tcase_add_test(a, t_healthy_login_no_finding);
	tcase_add_test(a, t_preauth_required_alone_no_finding);
	tcase_add_test(a, t_pu_spn_grouped);
	tcase_add_test(a, t_pu_user_and_spn_separate);
	tcase_add_test(a, t_pu_recovered);
	tcase_add_test(a, t_pu_dns_update_is_info);
	tcase_add_test(a, t_pu_account_name_is_warning);
	tcase_add_test(a, t_pu_other_clients_separate);
	tcase_add_test(a, t_preauth_failed);
	tcase_add_test(a, t_preauth_failed_then_right_password);
	tcase_add_test(a, t_preauth_bad_integrity_mit);
	tcase_add_test(a, t_client_revoked_variants);
	tcase_add_test(a, t_key_expired_despite_changepw);
	tcase_add_test(a, t_nosupp_recovered);
	tcase_add_test(a, t_ticket_expired_from_service);
	tcase_add_test(a, t_ticket_expired_recovered);
	tcase_add_test(a, t_ticket_expired_fresh_ticket);
	tcase_add_test(a, t_ticket_expired_time_difference);
	tcase_add_test(a, t_nyv_not_us_policy);
	tcase_add_test(a, t_badoption_plain_and_delegation);
	tcase_add_test(a, t_wrong_realm);
	tcase_add_test(a, t_generic_kdc_error);
	tcase_add_test(a, t_principal_not_unique);
	suite_add_tcase(s, a);
	suite_add_tcase(s, kdc_error_causes());
	TCase *b = tcase_create("weak-etype");
	tcase_add_test(b, t_nosupp_service_rc4_only);
	tcase_add_test(b, t_nosupp_as_with_aes_is_not_weak);
	tcase_add_test(b, t_weak_client_offers_only_rc4);
	tcase_add_test(b, t_weak_rc4_ticket);
	tcase_add_test(b, t_weak_rc4_offered_among_aes_is_fine);
	tcase_add_test(b, t_weak_user_key);
	tcase_add_test(b, t_weak_offer_explains_ticket);
	suite_add_tcase(s, b);
	TCase *c = tcase_create("clock-skew");
	tcase_add_test(c, t_skew_kdc_estimated_from_till);
	tcase_add_test(c, t_skew_kdc_with_ctime);
	tcase_add_test(c, t_skew_by_authenticator);
	tcase_add_test(c, t_skew_ctime_is_nonce);
	tcase_add_test(c, t_skew_service);
	tcase_add_test(c, t_skew_recovered_is_info);
	tcase_add_test(c, t_skew_none_without_error);
	tcase_add_test(c, t_skew_undetermined);
	tcase_add_test(c, t_skew_sender_vs_capture);
	tcase_add_test(c, t_skew_client_unmeasured);
	tcase_add_test(c, t_skew_offset_implausible);
	suite_add_tcase(s, c);
	TCase *d = tcase_create("udp-fragmentation");
	tcase_add_test(d, t_udp_too_big_tcp_retry);
	tcase_add_test(d, t_udp_too_big_no_retry);
	tcase_add_test(d, t_udp_fragmented_complete);
	tcase_add_test(d, t_udp_fragments_lost_then_tcp);
	tcase_add_test(d, t_udp_fragments_lost_no_retry);
	tcase_add_test(d, t_udp_plain_no_finding);
	tcase_add_test(d, t_udp_request_fragments_lost);
	suite_add_tcase(s, d);
	TCase *e = tcase_create("kdc-unreachable");
	tcase_add_test(e, t_reach_etype_http_token_causes_listed);
	tcase_add_test(e, t_unreach_no_reply);
	tcase_add_test(e, t_unreach_syn_unanswered);
	tcase_add_test(e, t_unreach_refused);
	tcase_add_test(e, t_unreach_fragments_lost);
	tcase_add_test(e, t_unreach_failover);
	tcase_add_test(e, t_outage_udp);
	tcase_add_test(e, t_outage_near_misses);
	tcase_add_test(e, t_outage_late_and_refused);
	tcase_add_test(e, t_outage_failover);
	tcase_add_test(e, t_outage_visible_failure);
	suite_add_tcase(s, e);
	return kf_test_run(s);
}

/* ---- the KDC-error rules: every cause they list ---------------------------------- */

/* One error answering the request in frame 1 (of type req_type, offering
 * only RC4 when rc4_only; 0: no request in the capture), run through rule
 * alone, and what its finding must say. */
struct one_error {
	const char *rule;
	int req_type;
	int32_t code;
	bool rc4_only;
	const char *cause, *user, *service, *frames;
};

/* The finding's cause (for the caller's tally), after asserting the case. */
static const char *one_error_is(const struct one_error *c)
{
	struct kf_result *r = fx_new();
	struct kf_message *q = NULL;
	if (c->req_type == KF_KRB_AS_REQ)
		q = as_req(r, 1, CL, KDC, "alice", "krbtgt/LAB.TEST");
	else if (c->req_type == KF_KRB_TGS_REQ)
		q = tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test");
	if (q && c->rc4_only)
		set_etypes(r, q, etypes_rc4, 1);
	if (q) {
		err(r, 2, 1, c->req_type, KDC, CL, c->code);
	} else {
		struct kf_message *e = fx_krb(r, 2, KF_KRB_ERROR, KDC, CL);
		e->krb.error_code = c->code;
		e->krb.sname = "HTTP/web.lab.test";
		e->krb.realm = "LAB.TEST";
	}
	fx_finish(r);
	fx_run(r, c->rule);
	ck_assert_uint_eq(fx_count(r, c->rule, 0), 1);
	const struct kf_finding *f = fx_find(r, c->rule);
	kdc_assert(f, c->cause, KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", c->user, c->service, "", "10.0.0.2");
	ck_assert_str_eq(frames_of(f), c->frames);
	const char *cause = f->cause;
	fx_free(r);
	return cause;
}

#define SVC "HTTP/web.lab.test@LAB.TEST"

/* The causes a lone error decides from its request (or its absence). */
START_TEST(t_one_error_causes)
{
	static const struct one_error want[] = {
		{ "principal-not-unique", KF_KRB_AS_REQ, 8, false, "duplicate-upn", "alice@LAB.TEST", "",
		  "1,2" },
		/* without the request the capture does not say whose name it is */
		{ "principal-not-unique", 0, 8, false, "undetermined", "", SVC, "2" },
		/* ETYPE_NOSUPP: the offer, the user's keys or the service's */
		{ "etype-nosupp", KF_KRB_AS_REQ, 14, true, "only-weak-offered", "alice@LAB.TEST", "", "1,2" },
		{ "etype-nosupp", KF_KRB_AS_REQ, 14, false, "user-key-types", "alice@LAB.TEST", "", "1,2" },
		{ "etype-nosupp", KF_KRB_TGS_REQ, 14, false, "service-key-types", "", SVC, "1,2" },
		{ "etype-nosupp", 0, 14, false, "undetermined", "", SVC, "2" },
		/* a KDC's TKT_EXPIRED: the TGT a TGS-REQ presented (a service's:
		 * t_ticket_expired_from_service) */
		{ "ticket-expired", KF_KRB_TGS_REQ, 32, false, "expired-tgt", "", SVC, "1,2" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		one_error_is(&want[i]);
}
END_TEST

/* CLIENT_REVOKED: the reason by NTSTATUS (disabled, locked out and none in
 * t_client_revoked_variants). */
START_TEST(t_client_revoked_by_ntstatus)
{
	static const struct {
		uint32_t nt;
		const char *cause;
	} want[] = {
		{ 0xC0000193u, "account-expired" },         { 0xC000006Fu, "logon-hours" },
		{ 0xC0000070u, "workstation-not-allowed" }, { 0xC000006Eu, "account-restriction" },
		{ 0xC0000071u, "password-expired" },        { 0xC0000413u, "logon-not-allowed" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct kf_result *r = fx_new();
		login_refused(r, 1, CL, "dave", 18, want[i].nt);
		fx_finish(r);
		fx_run(r, "client-revoked");
		const struct kf_finding *f = fx_find(r, "client-revoked");
		kdc_assert(f, want[i].cause, KF_SEV_ERROR);
		kdc_assert_subject(f, "10.0.0.10", "dave@LAB.TEST", "", "", "10.0.0.2");
		ck_assert_str_eq(frames_of(f), "1,2");
		fx_free(r);
	}
}
END_TEST

START_TEST(t_key_expired_expired_or_undetermined)
{
	struct kf_result *r = fx_new();
	login_refused(r, 1, CL, "erin", 23, 0xC0000071u);
	/* MIT says neither (expired, or flagged to change) in an NTSTATUS */
	login_refused(r, 3, CL2, "fred", 23, 0)->krb.e_text = "CLIENT KEY EXPIRED";
	fx_finish(r);
	fx_run(r, "key-expired");
	ck_assert_uint_eq(fx_count(r, "key-expired", 0), 2);
	kdc_assert(&r->findings[0], "password-expired", KF_SEV_ERROR);
	kdc_assert_subject(&r->findings[0], "10.0.0.10", "erin@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(&r->findings[0]), "1,2");
	kdc_assert(&r->findings[1], "undetermined", KF_SEV_ERROR);
	kdc_assert_subject(&r->findings[1], "10.0.0.11", "fred@LAB.TEST", "", "", "10.0.0.2");
	ck_assert_str_eq(frames_of(&r->findings[1]), "3,4");
	fx_free(r);
}
END_TEST

/* BADOPTION: the option refused, from the request's KDC options (renew in
 * t_badoption_plain_and_delegation). */
START_TEST(t_badoption_by_option)
{
	static const struct {
		uint32_t opts;
		const char *cause;
	} want[] = {
		{ OPT_FORWARDABLE | 0x1u, "validate-refused" },
		{ OPT_FORWARDABLE | 0x8u, "user-to-user-refused" },
		{ OPT_FORWARDABLE, "undetermined" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct kf_result *r = fx_new();
		tgs_req(r, 1, CL, KDC, "HTTP/web.lab.test")->krb.kdc_options = want[i].opts;
		err(r, 2, 1, KF_KRB_TGS_REQ, KDC, CL, 13);
		fx_finish(r);
		fx_run(r, "badoption");
		const struct kf_finding *f = fx_find(r, "badoption");
		kdc_assert(f, want[i].cause, KF_SEV_ERROR);
		kdc_assert_subject(f, "10.0.0.10", "", "HTTP/web.lab.test@LAB.TEST", "", "10.0.0.2");
		ck_assert_str_eq(frames_of(f), "1,2");
		fx_free(r);
	}
}
END_TEST

/* generic-kdc-error: the cause by code, every cause it lists. */
START_TEST(t_generic_cause_by_code)
{
	static const struct {
		int32_t code;
		const char *cause;
	} want[] = {
		{ 1, "client-expired" },
		{ 2, "service-expired" },
		{ 3, "bad-protocol-version" },
		{ 4, "old-master-key" },
		{ 5, "old-master-key" },
		{ 9, "null-key" },
		{ 10, "cannot-postdate" },
		{ 11, "never-valid" },
		{ 15, "checksum-type-unsupported" },
		{ 16, "padata-type-unsupported" },
		{ 17, "transited-type-unsupported" },
		{ 19, "service-revoked" },
		{ 20, "tgt-revoked" },
		{ 21, "client-not-yet-valid" },
		{ 22, "service-not-yet-valid" },
		{ 26, "server-nomatch" },
		{ 27, "user-to-user-only" },
		{ 28, "transited-policy" },
		{ 29, "service-unavailable" },
		{ 34, "replay" },
		{ 36, "ticket-client-mismatch" },
		{ 38, "address-mismatch" },
		{ 39, "protocol-mismatch" },
		{ 40, "protocol-mismatch" },
		{ 42, "out-of-order" },
		{ 45, "service-key-missing" },
		{ 46, "mutual-auth-failed" },
		{ 47, "message-check-failed" },
		{ 48, "method-required" },
		{ 49, "message-check-failed" },
		{ 50, "message-check-failed" },
		{ 60, "undetermined" },
		{ 61, "field-too-long" },
		{ 62, "pkinit-failed" },
		{ 76, "pkinit-failed" },
		{ 67, "no-tgt-for-user-to-user" },
		{ 69, "user-to-user-required" },
		{ 90, "preauth-expired" },
		{ 93, "unknown-critical-fast-option" },
		{ 43, "unknown-code" },
		{ 94, "unknown-code" },
	};
	const struct kf_rule_info *info = &kf_rule_find("generic-kdc-error")->info;
	bool reached[64] = { false };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct one_error c = { "generic-kdc-error",
				       KF_KRB_TGS_REQ,
				       want[i].code,
				       false,
				       want[i].cause,
				       "",
				       SVC,
				       "1,2" };
		const char *cause = one_error_is(&c);
		for (size_t k = 0; info->causes[k]; k++)
			reached[k] |= strcmp(info->causes[k], cause) == 0;
	}
	for (size_t c = 0; info->causes[c]; c++)
		ck_assert_msg(reached[c], "cause %s not reached", info->causes[c]);
}
END_TEST

/* A service's KRB_ERR_GENERIC (kpasswd.pcap: the password-change service on
 * port 464): the server, not a KDC, with the user of the client's story. */
START_TEST(t_generic_from_a_service)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, CL, KDC, "pat", "kadmin/changepw");
	as_rep(r, 2, 1, KDC, CL, "pat", 18);
	struct kf_message *q = fx_msg(r, 10, KF_CARRIER_KPASSWD, KF_KRB_AP_REQ, WEBC, "10.0.0.2:464");
	q->krb.ticket = fx_ticket(r, "kadmin/changepw", "LAB.TEST", 18, 1);
	fx_msg(r, 11, KF_CARRIER_KPASSWD, KF_KRB_ERROR, "10.0.0.2:464", WEBC)->krb.error_code = 60;
	fx_link(r, 10, KF_KRB_AP_REQ, 11, KF_KRB_ERROR);
	fx_finish(r);
	fx_run(r, "generic-kdc-error");
	ck_assert_uint_eq(fx_count(r, "generic-kdc-error", 0), 1);
	const struct kf_finding *f = fx_find(r, "generic-kdc-error");
	kdc_assert(f, "undetermined", KF_SEV_ERROR);
	kdc_assert_subject(f, "10.0.0.10", "pat@LAB.TEST", "kadmin/changepw@LAB.TEST", "10.0.0.2:464", "");
	ck_assert_str_eq(frames_of(f), "10,11");
	fx_free(r);
}
END_TEST

/* ---- the catalogue's rows are the table's (rules_kdc_errors.def) -------------------- */

struct kdc_table_cause {
	const char *id;
	int16_t codes[16];
};
struct kdc_table_rule {
	const char *id;
	enum kf_severity severity;
	enum kf_rule_class cls;
	uint64_t window_us;
	const char *title;
	struct kdc_table_cause causes[48];
};

/* clang-format off */
#define KDC_LIST(...) __VA_ARGS__
#define KDC_RULE(name, id, severity, cls, window, title, claims) { id, severity, cls, window, title, {
#define KDC_CAUSE(id, codes, ...) { id, { KDC_LIST codes } },
#define KDC_END { NULL, { 0 } } } },
static const struct kdc_table_rule kdc_table[] = {
#include "rules_kdc_errors.def"
};
#undef KDC_RULE
#undef KDC_CAUSE
#undef KDC_END
/* clang-format on */

START_TEST(t_kdc_catalogue_is_the_table)
{
	size_t n, rows = sizeof kdc_table / sizeof kdc_table[0];
	const struct kf_rule_info *const *all = kf_rule_catalogue(&n);
	ck_assert_uint_eq(kf_rules_kdc_errors_count, rows);
	size_t k = 0;
	while (k < n && strcmp(all[k]->id, kdc_table[0].id) != 0)
		k++;
	ck_assert_uint_le(k + rows, n);
	for (size_t i = 0; i < rows; i++) {
		const struct kdc_table_rule *t = &kdc_table[i];
		const struct kf_rule_info *c = all[k + i];
		ck_assert_ptr_eq(c, &kf_rules_kdc_errors[i].info);
		ck_assert_str_eq(c->id, t->id);
		ck_assert_int_eq(c->severity, t->severity);
		ck_assert_int_eq(c->cls, t->cls);
		ck_assert(c->window_us == t->window_us);
		ck_assert_str_eq(c->title, t->title);
		ck_assert_ptr_nonnull(t->causes[0].id);
		size_t j = 0;
		for (; t->causes[j].id; j++) {
			ck_assert_ptr_nonnull(c->causes[j]);
			ck_assert_str_eq(c->causes[j], t->causes[j].id);
			ck_assert(kf_rule_cause_listed(c, t->causes[j].id));
			for (size_t q = 0; q < j; q++)
				ck_assert_msg(strcmp(t->causes[q].id, t->causes[j].id) != 0,
					      "%s: cause %s twice", t->id, t->causes[j].id);
		}
		ck_assert_ptr_null(c->causes[j]);
	}
	/* a code belongs to one rule */
	for (size_t i = 0; i < rows; i++)
		for (size_t a = 0; kdc_table[i].causes[a].id; a++)
			for (size_t x = 0; x < 16 && kdc_table[i].causes[a].codes[x]; x++)
				for (size_t j = i + 1; j < rows; j++)
					for (size_t b = 0; kdc_table[j].causes[b].id; b++)
						for (size_t y = 0; y < 16 && kdc_table[j].causes[b].codes[y];
						     y++)
							ck_assert_msg(kdc_table[i].causes[a].codes[x] !=
									      kdc_table[j].causes[b].codes[y],
								      "code %d: %s and %s",
								      kdc_table[i].causes[a].codes[x],
								      kdc_table[i].id, kdc_table[j].id);
}
END_TEST

static TCase *kdc_error_causes(void)
{
	TCase *t = tcase_create("kdc-error-causes");
	tcase_add_test(t, t_one_error_causes);
	tcase_add_test(t, t_client_revoked_by_ntstatus);
	tcase_add_test(t, t_key_expired_expired_or_undetermined);
	tcase_add_test(t, t_badoption_by_option);
	tcase_add_test(t, t_generic_cause_by_code);
	tcase_add_test(t, t_generic_from_a_service);
	tcase_add_test(t, t_kdc_catalogue_is_the_table);
	return t;
}
