/* check_rules_clock.c - capture-clock-implausible (rules_clock.c) on fact
 * lists, and how clock-skew treats a capture whose clock it flags. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "krb5.h"
#include "rulefix.h"
#include "testutil.h"

#define CL "10.0.0.10:40000"
#define KDC "10.0.0.2:88"
#define KDC2 "10.0.0.3:88"

#define T0 1700000000ll /* fixture time of frame 0, seconds */
#define DAY 86400ll
#define RULE "capture-clock-implausible"

static struct kf_message *as_req(struct kf_result *r, uint64_t f, const char *kdc)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_AS_REQ, CL, kdc);
	m->krb.cname = "alice";
	m->krb.crealm = "LAB.TEST";
	m->krb.realm = "LAB.TEST";
	m->krb.sname = "krbtgt/LAB.TEST";
	return m;
}

/* A KRB-ERROR from kdc answering the AS-REQ in frame req, its stime `off`
 * seconds from the fixture's packet time. */
static struct kf_message *kdc_err(struct kf_result *r, uint64_t f, uint64_t req, const char *kdc,
				  int32_t code, int64_t off)
{
	struct kf_message *m = fx_krb(r, f, KF_KRB_ERROR, kdc, CL);
	m->krb.error_code = code;
	m->krb.cname = "alice";
	m->krb.crealm = "LAB.TEST";
	m->krb.realm = "LAB.TEST";
	m->krb.sname = "krbtgt/LAB.TEST";
	m->krb.has_stime = true;
	m->krb.stime = T0 + off;
	fx_link(r, req, KF_KRB_AS_REQ, f, KF_KRB_ERROR);
	return m;
}

/* Move every message's capture time by `by` seconds (editcap -t). */
static void retime(struct kf_result *r, int64_t by)
{
	for (size_t i = 0; i < r->n_messages; i++)
		r->messages[i].ts_us = (uint64_t)((int64_t)r->messages[i].ts_us + by * 1000000);
}

/* A capture stamped in 1970 (editcap'd to an unset clock): before-2000, and
 * nothing else is claimed. */
START_TEST(t_before_2000)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, KDC);
	kdc_err(r, 2, 1, KDC, 25, 0);
	retime(r, -T0 + 3600);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = RULE,
								     .cause = "before-2000",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "1",
								     .client = "10.0.0.10",
								     .kdc = "10.0.0.2" });
	ck_assert(contains(f->summary, "2 messages stamped before 2000"));
	ck_assert(contains(f->remediation, "capture host's clock"));
	ck_assert_ptr_null(f->clocks[0]);
	fx_free(r);
}
END_TEST

/* Near-miss: a capture really made in 1999, the client's request end time
 * a month after the packet times (the corpus' tcpdump__afs.pcap). */
START_TEST(t_before_2000_vouched_by_till)
{
	for (int till_ok = 0; till_ok <= 1; till_ok++) {
		struct kf_result *r = fx_new();
		struct kf_message *q = as_req(r, 1, KDC);
		int64_t y1999 = 942356883; /* 1999-11-11 */
		q->krb.has_till = true;
		q->krb.till = till_ok ? y1999 + 30 * DAY : T0 + DAY; /* else: the client's clock says 2023 */
		retime(r, y1999 - T0);
		fx_finish(r);
		fx_run(r, RULE);
		ck_assert_uint_eq(fx_count(r, RULE, 0), till_ok ? 0 : 1);
		fx_free(r);
	}
}
END_TEST

/* The capture 3 days ahead of the only KDC's stime: far-from-kdc, likely
 * (one KDC could be the one off), with the offset. */
START_TEST(t_far_from_kdc)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, KDC);
	kdc_err(r, 2, 1, KDC, 25, -3 * DAY);
	as_req(r, 3, KDC);
	kdc_err(r, 4, 3, KDC, 24, -3 * DAY - 1);
	fx_finish(r);
	fx_run(r, RULE);
	ck_assert_uint_eq(fx_count(r, RULE, 0), 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = RULE,
								     .cause = "far-from-kdc",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .frames = "2",
								     .kdc = "10.0.0.2" });
	ck_assert(contains(f->summary, "3 d 0 h ahead of the KDC 10.0.0.2"));
	ck_assert(f->clocks[0] && !strcmp(f->clocks[0], "capture") && !strcmp(f->clocks[1], "kdc"));
	ck_assert(f->has_offset && f->offset_s == 3 * DAY); /* the nearest stime */
	fx_free(r);
}
END_TEST

/* Two KDCs agreeing with each other and not with the capture: certain. */
START_TEST(t_far_from_two_kdcs)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, KDC);
	kdc_err(r, 2, 1, KDC, 25, 2 * DAY);
	as_req(r, 3, KDC2);
	kdc_err(r, 4, 3, KDC2, 25, 2 * DAY);
	fx_finish(r);
	fx_run(r, RULE);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = RULE,
								     .cause = "far-from-kdc",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_CERTAIN });
	ck_assert(contains(f->summary, "behind the KDCs"));
	ck_assert(f->offset_s < 0);
	fx_free(r);
}
END_TEST

/* Near-misses: 10 minutes off (clock-skew's job), just under a day, one KDC
 * within a day of the capture among others that are not, no KDC stime. */
START_TEST(t_near_misses_silent)
{
	const int64_t offs[][2] = { { 600, 600 }, { DAY - 5, DAY - 5 }, { 3 * DAY, 30 } };
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		struct kf_result *r = fx_new();
		as_req(r, 1, KDC);
		kdc_err(r, 2, 1, KDC, 25, offs[i][0]);
		as_req(r, 3, KDC2);
		kdc_err(r, 4, 3, KDC2, 25, offs[i][1]);
		fx_finish(r);
		fx_run(r, RULE);
		ck_assert_msg(fx_count(r, RULE, 0) == 0, "case %zu", i);
		fx_free(r);
	}
	/* no KDC error: nothing to compare the capture's clock with */
	struct kf_result *r = fx_new();
	as_req(r, 1, KDC);
	fx_finish(r);
	fx_run(r, RULE);
	ck_assert_uint_eq(fx_count(r, RULE, 0), 0);
	fx_free(r);
}
END_TEST

/* Several files (--merge/--continuous): each file's clock on its own, the
 * finding names the file. */
START_TEST(t_per_file)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, KDC);
	kdc_err(r, 2, 1, KDC, 25, 0);
	struct kf_message *q = as_req(r, 3, KDC);
	struct kf_message *e = kdc_err(r, 4, 3, KDC, 25, -3 * DAY);
	q->file = e->file = 1;
	r->n_files = 2;
	r->files = kf_arena_zalloc(&r->arena, 2 * sizeof *r->files);
	r->files[0].name = "front.pcap";
	r->files[1].name = "back.pcap";
	fx_finish(r);
	fx_run(r, RULE);
	ck_assert_uint_eq(fx_count(r, RULE, 0), 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = RULE,
								     .cause = "far-from-kdc",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .frames = "4" });
	ck_assert(contains(f->summary, "in back.pcap"));
	fx_free(r);
}
END_TEST

/* clock-skew against a capture whose clock is implausible: no kdc-clock
 * claim (the KDC's stime is 3 days from the capture's time, the same shape
 * as a KDC 3 days off against a good capture, which stays kdc-clock). */
START_TEST(t_skew_with_implausible_capture)
{
	for (int shifted = 0; shifted <= 1; shifted++) {
		struct kf_result *r = fx_new();
		as_req(r, 1, KDC);
		kdc_err(r, 2, 1, KDC, 25, -3 * DAY);
		as_req(r, 3, KDC);
		kdc_err(r, 4, 3, KDC, 37, -3 * DAY);
		if (!shifted) {
			/* another KDC agrees with the capture: the capture is fine */
			as_req(r, 5, KDC2);
			kdc_err(r, 6, 5, KDC2, 25, 0);
		}
		fx_finish(r);
		fx_run(r, "clock-skew");
		const struct kf_finding *f = fx_find(r, "clock-skew");
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f->cause, shifted ? "undetermined" : "kdc-clock");
		ck_assert(shifted ? !f->has_offset : f->has_offset);
		if (shifted) {
			ck_assert(contains(f->explanation, "capture-clock-implausible"));
			ck_assert(!strcmp(f->clocks[0], "client") && !strcmp(f->clocks[1], "kdc"));
			ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
		}
		fx_free(r);
	}
}
END_TEST

/* The same with the capture in 1970: the offset was already withheld, now
 * the kdc-clock cause is too. */
START_TEST(t_skew_in_1970)
{
	struct kf_result *r = fx_new();
	as_req(r, 1, KDC);
	kdc_err(r, 2, 1, KDC, 37, 0);
	retime(r, -T0 + 3600);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_str_eq(fx_find(r, "clock-skew")->cause, "undetermined");
	ck_assert_ptr_nonnull(fx_find(r, RULE));
	fx_free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rules_clock");
	TCase *t = tcase_create("capture-clock-implausible");
	tcase_add_test(t, t_before_2000);
	tcase_add_test(t, t_before_2000_vouched_by_till);
	tcase_add_test(t, t_far_from_kdc);
	tcase_add_test(t, t_far_from_two_kdcs);
	tcase_add_test(t, t_near_misses_silent);
	tcase_add_test(t, t_per_file);
	tcase_add_test(t, t_skew_with_implausible_capture);
	tcase_add_test(t, t_skew_in_1970);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
