/* check_rules_engine.c - the rule engine itself: ordering, precedence of
 * root causes over generic findings, the per-rule cap, recovered errors,
 * the windows rules declare, and kdc-unreachable on fact lists. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "krb5.h"
#include "rulefix.h"
#include "testutil.h"

#define C "10.0.0.10:40000"
#define KDC "10.0.0.2:88"

/* Test rules: a root cause on frames 1-2, a generic one on 2-3 and 9, a
 * plain one on 5, and one that adds more findings than the cap.  The root
 * cause and the generic finding it takes concern different clients and users. */
static void emit(struct kf_rule_ctx *ctx, enum kf_severity sev, enum kf_confidence conf, const char *cause,
		 const uint64_t *f, size_t n, const struct kf_subject_b *subject, const char *summary,
		 const char *fix)
{
	struct kf_finding_in in = { .severity = sev,
				    .confidence = conf,
				    .cause = cause,
				    .frames = f,
				    .n_frames = n,
				    .subject = subject,
				    .summary = summary,
				    .explanation = "why",
				    .remediation = fix };
	kf_finding_emit(ctx, &in);
}
static void who(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const char *client, const char *user)
{
	memset(b, 0, sizeof *b);
	kf_subject_add(ctx, b, KF_SUBJECT_CLIENT, client);
	kf_subject_add(ctx, b, KF_SUBJECT_USER, user);
	kf_subject_add(ctx, b, KF_SUBJECT_USER, user); /* a repeat is kept once */
}
static void run_root(struct kf_rule_ctx *ctx)
{
	uint64_t f[] = { 2, 1 };
	struct kf_subject_b b;
	who(ctx, &b, "10.0.0.12", "zoe@LAB.TEST");
	emit(ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, "root-cause", f, 2, &b, "root", "fix");
}
static void run_generic(struct kf_rule_ctx *ctx)
{
	uint64_t a[] = { 3, 2 }, c[] = { 9 };
	struct kf_subject_b b;
	who(ctx, &b, "10.0.0.11", "alice@LAB.TEST");
	emit(ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, "generic-cause", a, 2, &b, "generic on 2-3", NULL);
	who(ctx, &b, "10.0.0.13", "bob@LAB.TEST");
	emit(ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, "generic-cause", c, 1, &b, "generic on 9", NULL);
}
static void run_plain(struct kf_rule_ctx *ctx)
{
	uint64_t f[] = { 5, 5, 0 };
	emit(ctx, KF_SEV_INFO, KF_CONF_LIKELY, "undetermined", f, 3, NULL, NULL, NULL);
}
static void run_many(struct kf_rule_ctx *ctx)
{
	for (uint64_t i = 0; i < KF_LIMIT_FINDINGS_PER_RULE + 5; i++) {
		uint64_t f = 100 + i;
		emit(ctx, KF_SEV_WARNING, KF_CONF_CERTAIN, "many", &f, 1, NULL, "many", NULL);
	}
}

static const char *const root_causes[] = { "root-cause", NULL };
static const char *const generic_causes[] = { "generic-cause", NULL };
static const char *const plain_causes[] = { "undetermined", NULL };
static const char *const many_causes[] = { "many", NULL };
static const struct kf_rule r_root = { { "t-root", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
					 "root title", root_causes },
				       run_root };
static const struct kf_rule r_generic = { { "t-generic", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_WINDOW_WHOLE,
					    "generic", generic_causes },
					  run_generic };
static const struct kf_rule r_plain = { { "t-plain", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
					  "plain title", plain_causes },
					run_plain };
static const struct kf_rule r_many = {
	{ "t-many", KF_SEV_WARNING, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE, "many", many_causes }, run_many
};

START_TEST(t_precedence_and_order)
{
	struct kf_result *r = fx_new();
	const struct kf_rule *rules[] = { &r_plain, &r_generic, &r_root };
	ck_assert_int_eq(kf_rules_run_only(r, rules, 3), KF_OK);
	/* the generic finding on 2-3 joined the root cause; the one on 9 stays */
	ck_assert_uint_eq(r->n_findings, 3);
	ck_assert_str_eq(r->findings[0].rule, "t-root");
	ck_assert_uint_eq(r->findings[0].n_frames, 3);
	ck_assert_uint_eq(r->findings[0].frames[0], 1);
	ck_assert_uint_eq(r->findings[0].frames[2], 3);
	ck_assert_str_eq(r->findings[1].rule, "t-plain");
	ck_assert_str_eq(r->findings[1].summary, "plain title"); /* NULL summary: the rule's title */
	ck_assert_uint_eq(r->findings[1].n_frames, 1);           /* 5 once; frame 0 is no frame */
	ck_assert_int_eq(r->findings[1].confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(r->findings[2].rule, "t-generic");
	ck_assert_uint_eq(r->findings[2].frames[0], 9);
	ck_assert_ptr_null(r->findings[2].remediation);
	/* causes as decided, each listed for its rule */
	ck_assert_str_eq(r->findings[0].cause, "root-cause");
	ck_assert_str_eq(r->findings[1].cause, "undetermined");
	ck_assert_str_eq(r->findings[2].cause, "generic-cause");
	ck_assert(kf_rule_cause_listed(&r_root.info, r->findings[0].cause));
	ck_assert(!kf_rule_cause_listed(&r_root.info, "generic-cause"));
	ck_assert(!kf_rule_cause_listed(&r_root.info, NULL));
	/* the root cause concerns whom the generic finding it took concerned too,
	 * sorted, each once; the generic one on 9 keeps its own */
	const struct kf_subject *sj = &r->findings[0].subject;
	ck_assert_uint_eq(sj->n[KF_SUBJECT_CLIENT], 2);
	ck_assert_str_eq(sj->v[KF_SUBJECT_CLIENT][0], "10.0.0.11");
	ck_assert_str_eq(sj->v[KF_SUBJECT_CLIENT][1], "10.0.0.12");
	ck_assert_uint_eq(sj->n[KF_SUBJECT_USER], 2);
	ck_assert_str_eq(sj->v[KF_SUBJECT_USER][0], "alice@LAB.TEST");
	ck_assert_str_eq(sj->v[KF_SUBJECT_USER][1], "zoe@LAB.TEST");
	ck_assert_uint_eq(sj->n[KF_SUBJECT_KDC], 0);
	ck_assert_uint_eq(r->findings[2].subject.n[KF_SUBJECT_USER], 1);
	ck_assert_str_eq(r->findings[2].subject.v[KF_SUBJECT_USER][0], "bob@LAB.TEST");
	/* no subject given and no message in its frames: nothing known */
	for (unsigned k = 0; k < KF_SUBJECT__COUNT; k++)
		ck_assert_uint_eq(r->findings[1].subject.n[k], 0);
	ck_assert_str_eq(kf_subject_kind_name(KF_SUBJECT_SERVICE), "service");
	fx_free(r);
}
END_TEST

START_TEST(t_cap_counts_the_rest)
{
	struct kf_result *r = fx_new();
	const struct kf_rule *rules[] = { &r_many };
	ck_assert_int_eq(kf_rules_run_only(r, rules, 1), KF_OK);
	ck_assert_uint_eq(r->n_findings, KF_LIMIT_FINDINGS_PER_RULE);
	ck_assert_uint_eq(r->findings_dropped, 5);
	fx_free(r);
}
END_TEST

START_TEST(t_severity_names)
{
	ck_assert_int_eq(kf_severity_from_name("warning"), KF_SEV_WARNING);
	ck_assert_int_eq(kf_severity_from_name("error"), KF_SEV_ERROR);
	ck_assert_int_eq(kf_severity_from_name("info"), KF_SEV_INFO);
	ck_assert_int_eq(kf_severity_from_name("fatal"), 0);
	ck_assert_str_eq(kf_severity_name(KF_SEV_ERROR), "error");
	size_t n;
	const struct kf_rule_info *const *all = kf_rule_catalogue(&n);
	ck_assert_uint_ge(n, 3);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(all[i]->id, all[j]->id) != 0, "rule id %s twice", all[i]->id);
}
END_TEST

/* Every rule of the catalogue declares its window; a few are the constants
 * their code uses (rules_common.c and rules.c wait KF_RULE_RECOVERY_US for
 * a recovery; the others compare across the capture). */
START_TEST(t_rule_windows)
{
	size_t n;
	const struct kf_rule_info *const *all = kf_rule_catalogue(&n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(all[i]->window_us != 0, "rule %s declares no window", all[i]->id);
	static const struct {
		const char *id;
		uint64_t window_us;
	} want[] = {
		{ "principal-unknown", KF_RULE_RECOVERY_US },
		{ "generic-kdc-error", KF_RULE_RECOVERY_US },
		{ "s4u-denied", KF_RULE_RECOVERY_US },
		{ "ap-err-modified", KF_RULE_RECOVERY_US },
		{ "weak-etype", KF_RULE_RECOVERY_US },
		{ "kdc-unreachable", KF_RULE_WINDOW_WHOLE },
		{ "clock-skew", KF_RULE_WINDOW_WHOLE },
		{ "missing-forwarded-tgt", KF_RULE_WINDOW_WHOLE },
		{ "ntlm-fallback", KF_RULE_WINDOW_WHOLE },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct kf_rule *rule = kf_rule_find(want[i].id);
		ck_assert_ptr_nonnull(rule);
		ck_assert_msg(rule->info.window_us == want[i].window_us, "rule %s: window %llu", want[i].id,
			      (unsigned long long)rule->info.window_us);
	}
}
END_TEST

/* The declared window is the one the code waits: an error followed by the
 * same request made good 1 s inside the window is recovered (no finding),
 * 1 s outside it is not.  principal-unknown recovers through
 * kf_rule_error_recovered, s4u-denied through kf_error_recovered. */
START_TEST(t_recovery_window)
{
	static const char *const ids[] = { "principal-unknown", "s4u-denied" };
	for (size_t k = 0; k < 2; k++) {
		uint64_t w = kf_rule_find(ids[k])->info.window_us;
		bool outside = _i == 1;
		struct kf_result *r = fx_new();
		struct kf_message *m = fx_krb(r, 1, KF_KRB_TGS_REQ, C, KDC);
		m->krb.sname = "HTTP/web.lab.test";
		if (k == 1)
			m->krb.s4u_user = "alice";
		struct kf_message *err = fx_krb(r, 2, KF_KRB_ERROR, KDC, C);
		err->krb.error_code = k == 0 ? 7 : 13;
		m = fx_krb(r, 3, KF_KRB_TGS_REQ, "10.0.0.10:40001", KDC);
		m->krb.sname = "HTTP/web.lab.test";
		m->ts_us = err->ts_us + (outside ? w + 1000000 : w - 1000000);
		fx_krb(r, 4, KF_KRB_TGS_REP, KDC, "10.0.0.10:40001")->ts_us = m->ts_us + 1000;
		fx_link(r, 1, KF_KRB_TGS_REQ, 2, KF_KRB_ERROR);
		fx_link(r, 3, KF_KRB_TGS_REQ, 4, KF_KRB_TGS_REP);
		fx_finish(r);
		fx_run(r, ids[k]);
		ck_assert_msg(fx_count(r, ids[k], 0) == (outside ? 1u : 0u),
			      "%s, recovery %s the window: %zu findings", ids[k],
			      outside ? "outside" : "inside", fx_count(r, ids[k], 0));
		fx_free(r);
	}
}
END_TEST

/* PREAUTH_REQUIRED then a good AS exchange: recovered. A principal-unknown
 * never followed by success: not recovered. */
START_TEST(t_error_recovered)
{
	struct kf_result *r = fx_new();
	struct kf_message *m = fx_krb(r, 1, KF_KRB_AS_REQ, C, KDC);
	m->krb.cname = "alice";
	fx_krb(r, 2, KF_KRB_ERROR, KDC, C)->krb.error_code = 25;
	m = fx_krb(r, 3, KF_KRB_AS_REQ, "10.0.0.10:40001", KDC);
	m->krb.cname = "alice";
	fx_krb(r, 4, KF_KRB_AS_REP, KDC, "10.0.0.10:40001");
	m = fx_krb(r, 5, KF_KRB_TGS_REQ, "10.0.0.10:40002", KDC);
	m->krb.sname = "HTTP/nosuch";
	fx_krb(r, 6, KF_KRB_ERROR, KDC, "10.0.0.10:40002")->krb.error_code = 7;
	fx_link(r, 1, KF_KRB_AS_REQ, 2, KF_KRB_ERROR);
	fx_link(r, 3, KF_KRB_AS_REQ, 4, KF_KRB_AS_REP);
	fx_link(r, 5, KF_KRB_TGS_REQ, 6, KF_KRB_ERROR);
	fx_finish(r);
	ck_assert(kf_error_recovered(r, kf_msg_at(r, 2, KF_KRB_ERROR)));
	ck_assert(!kf_error_recovered(r, kf_msg_at(r, 6, KF_KRB_ERROR)));
	ck_assert_ptr_eq(kf_msg_reply(r, kf_msg_at(r, 5, -1)), kf_msg_at(r, 6, -1));
	ck_assert_ptr_eq(kf_msg_request(r, kf_msg_at(r, 4, -1)), kf_msg_at(r, 3, -1));
	fx_free(r);
}
END_TEST

/* kdc-unreachable: silence (likely), refusal (certain), failover (warning),
 * and a KDC that answered something (no finding). */
START_TEST(t_kdc_unreachable)
{
	struct kf_result *r = fx_new();
	fx_krb(r, 1, KF_KRB_AS_REQ, C, "10.0.0.99:88");
	fx_tevent(r, KF_TEV_UDP_NO_REPLY, 1, C, "10.0.0.99:88");
	fx_tevent(r, KF_TEV_ICMP_UNREACHABLE, 2, C, "10.0.0.98:88");
	fx_finish(r);
	fx_run(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, "kdc-unreachable", KF_SEV_ERROR), 2);
	const struct kf_finding *f = fx_find(r, "kdc-unreachable");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_str_eq(f->cause, "no-reply");
	ck_assert_uint_eq(f->subject.n[KF_SUBJECT_KDC], 1);
	ck_assert_str_eq(f->subject.v[KF_SUBJECT_KDC][0], "10.0.0.99");
	ck_assert_int_eq(r->findings[1].confidence, KF_CONF_CERTAIN);
	ck_assert_str_eq(r->findings[1].cause, "icmp-unreachable");
	ck_assert_uint_eq(r->findings[1].subject.n[KF_SUBJECT_KDC], 1);
	ck_assert_str_eq(r->findings[1].subject.v[KF_SUBJECT_KDC][0], "10.0.0.98");
	fx_free(r);

	/* failover: another KDC answered afterwards → warning */
	r = fx_new();
	fx_krb(r, 1, KF_KRB_AS_REQ, C, "10.0.0.99:88");
	fx_tevent(r, KF_TEV_UDP_NO_REPLY, 1, C, "10.0.0.99:88");
	fx_krb(r, 2, KF_KRB_AS_REQ, "10.0.0.10:40001", KDC);
	fx_krb(r, 3, KF_KRB_AS_REP, KDC, "10.0.0.10:40001");
	fx_link(r, 2, KF_KRB_AS_REQ, 3, KF_KRB_AS_REP);
	fx_finish(r);
	fx_run(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, "kdc-unreachable", KF_SEV_WARNING), 1);
	ck_assert_uint_eq(fx_count(r, "kdc-unreachable", KF_SEV_ERROR), 0);
	fx_free(r);

	/* near miss: one lost UDP request to a KDC that answers others */
	r = fx_new();
	fx_krb(r, 1, KF_KRB_AS_REQ, C, KDC);
	fx_tevent(r, KF_TEV_UDP_NO_REPLY, 1, C, KDC);
	fx_krb(r, 2, KF_KRB_AS_REQ, "10.0.0.10:40001", KDC);
	fx_krb(r, 3, KF_KRB_AS_REP, KDC, "10.0.0.10:40001");
	fx_link(r, 2, KF_KRB_AS_REQ, 3, KF_KRB_AS_REP);
	fx_finish(r);
	fx_run(r, "kdc-unreachable");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* An HTTP request and its token share a frame, as do the response and the
 * server's token: each finds its own kind of reply. */
START_TEST(t_reply_families)
{
	struct kf_result *r = fx_new();
	fx_http(r, 5, KF_KRB_AP_REQ, 1, C, "10.0.0.20:80");
	fx_http_rec(r, fx_http(r, 5, KF_MSG_HTTP_REQUEST, 1, C, "10.0.0.20:80"));
	fx_http(r, 6, KF_KRB_AP_REP, 1, "10.0.0.20:80", C);
	fx_http_rec(r, fx_http(r, 6, KF_MSG_HTTP_RESPONSE, 1, "10.0.0.20:80", C))->status = 200;
	fx_link(r, 5, KF_KRB_AP_REQ, 6, KF_KRB_AP_REP);
	fx_link(r, 5, KF_MSG_HTTP_REQUEST, 6, KF_MSG_HTTP_RESPONSE);
	fx_finish(r);
	ck_assert_int_eq(kf_msg_reply(r, kf_msg_at(r, 5, KF_MSG_HTTP_REQUEST))->type, KF_MSG_HTTP_RESPONSE);
	ck_assert_int_eq(kf_msg_reply(r, kf_msg_at(r, 5, KF_KRB_AP_REQ))->type, KF_KRB_AP_REP);
	ck_assert_int_eq(kf_msg_request(r, kf_msg_at(r, 6, KF_MSG_HTTP_RESPONSE))->type, KF_MSG_HTTP_REQUEST);
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_engine");
	TCase *tc = tcase_create("engine");
	tcase_add_test(tc, t_precedence_and_order);
	tcase_add_test(tc, t_cap_counts_the_rest);
	tcase_add_test(tc, t_severity_names);
	tcase_add_test(tc, t_error_recovered);
	tcase_add_test(tc, t_rule_windows);
	tcase_add_loop_test(tc, t_recovery_window, 0, 2);
	tcase_add_test(tc, t_kdc_unreachable);
	tcase_add_test(tc, t_reply_families);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
