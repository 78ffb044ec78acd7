/* check_ladder.c - a story's ladder (reports/ladder.c): its lanes in order
 * of appearance with the story's client first, each row's sender and
 * receiver, runs of plain exchanges folded into one row, and answers linked
 * to the row of their request, on a double-hop sample and on a fact list;
 * and what happens when memory runs out. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "base/arena.h"
#include "ladder.h"
#include "report.h"
#include "rulefix.h"
#include "testutil.h"

static struct kf_result sample;

static void sample_setup(void)
{
	struct kf_config cfg = { 0 };
	char err[256];
	ck_assert_int_eq(kf_analyze(KF_SAMPLES_DIR "/deleg-works.pcap", &cfg, &sample, err, sizeof err),
			 KF_OK);
	ck_assert_uint_eq(sample.n_stories, 2);
}

static void sample_teardown(void) { kf_result_free(&sample); }

static void lane_is(const struct kf_ladder *l, size_t k, const char *addr, unsigned roles)
{
	char b[64];
	ck_assert_uint_lt(k, l->n_lanes);
	kf_fmt_addr(&l->lanes[k].addr, b, sizeof b);
	ck_assert_str_eq(b, addr);
	ck_assert_uint_eq(l->lanes[k].addr.port, 0);
	ck_assert_uint_eq(l->lanes[k].roles, roles);
}

/* The row of message type in frame (there is exactly one). */
static size_t row_at(const struct kf_ladder *l, uint64_t frame, int type)
{
	size_t found = SIZE_MAX;
	for (size_t i = 0; i < l->n_rows; i++)
		if (l->rows[i].msg->frame == frame && l->rows[i].msg->type == type) {
			ck_assert_uint_eq(found, SIZE_MAX);
			found = i;
		}
	ck_assert_msg(found != SIZE_MAX, "no row for type %d in frame %llu", type, (unsigned long long)frame);
	return found;
}

/* alice's story: her client, the KDC, and the front end that is both her
 * HTTP server and, later, a client asking the KDC for her. */
START_TEST(t_double_hop_lanes)
{
	struct kf_ladder l;
	kf_ladder_init(&l);
	ck_assert_int_eq(kf_ladder_build(&l, &sample, &sample.stories[0]), KF_OK);
	ck_assert_uint_eq(l.n_lanes, 3);
	lane_is(&l, 0, "10.88.0.10", KF_LANE_CLIENT);
	lane_is(&l, 1, "10.88.0.2", KF_LANE_KDC);
	lane_is(&l, 2, "10.88.0.30", KF_LANE_SERVER | KF_LANE_FOR_USER);
	ck_assert_uint_eq(l.n_rows, 14);
	for (size_t i = 0; i < l.n_rows; i++) {
		ck_assert_int_eq(l.rows[i].kind, KF_ROW_MESSAGE);
		ck_assert(i == 0 || l.rows[i - 1].msg->frame <= l.rows[i].msg->frame);
	}

	/* the AS-REQ goes from the client to the KDC, its error comes back */
	const struct kf_ladder_row *as = &l.rows[row_at(&l, 1, KF_KRB_AS_REQ)];
	ck_assert(as->by_client);
	ck_assert_uint_eq(as->from, 0);
	ck_assert_uint_eq(as->to, 1);
	ck_assert_uint_eq(as->peer_role, KF_LANE_KDC);
	ck_assert_uint_eq(as->peer->port, 88);
	ck_assert_uint_eq(as->request, 0);
	const struct kf_ladder_row *err = &l.rows[row_at(&l, 2, KF_KRB_ERROR)];
	ck_assert(!err->by_client);
	ck_assert_uint_eq(err->from, 1);
	ck_assert_uint_eq(err->to, 0);
	ck_assert_uint_eq(err->request, row_at(&l, 1, KF_KRB_AS_REQ) + 1);

	/* in frame 36 (where the response body ends) the AP-REP answers the AP-REQ and the HTTP response the
	 * HTTP request, though both requests share frame 13 */
	const struct kf_ladder_row *aprep = &l.rows[row_at(&l, 36, KF_KRB_AP_REP)];
	ck_assert_uint_eq(aprep->request, row_at(&l, 13, KF_KRB_AP_REQ) + 1);
	ck_assert_uint_eq(aprep->from, 2);
	ck_assert_uint_eq(aprep->peer_role, KF_LANE_SERVER);
	ck_assert_uint_eq(aprep->peer->port, 80);
	ck_assert_uint_eq(l.rows[row_at(&l, 36, KF_MSG_HTTP_RESPONSE)].request,
			  row_at(&l, 13, KF_MSG_HTTP_REQUEST) + 1);

	/* the front end asks the KDC for alice: its own lane, not hers */
	const struct kf_ladder_row *tgs = &l.rows[row_at(&l, 21, KF_KRB_TGS_REQ)];
	ck_assert(tgs->by_client);
	ck_assert_uint_eq(tgs->from, 2);
	ck_assert_uint_eq(tgs->to, 1);
	ck_assert_uint_eq(kf_ladder_client_lane(tgs), 2);
	const struct kf_ladder_row *rep = &l.rows[row_at(&l, 22, KF_KRB_TGS_REP)];
	ck_assert_uint_eq(kf_ladder_client_lane(rep), 2);
	ck_assert_uint_eq(rep->to, 2);
	ck_assert_uint_eq(rep->request, row_at(&l, 21, KF_KRB_TGS_REQ) + 1);
	kf_ladder_free(&l);
}
END_TEST

/* The front end's story starts with alice's client asking for the front
 * end's ticket: the story's client is lane 0 all the same. */
START_TEST(t_story_client_first)
{
	struct kf_ladder l;
	kf_ladder_init(&l);
	ck_assert_int_eq(kf_ladder_build(&l, &sample, &sample.stories[0]), KF_OK); /* reused below */
	ck_assert_int_eq(kf_ladder_build(&l, &sample, &sample.stories[1]), KF_OK);
	ck_assert_uint_eq(l.n_lanes, 4);
	lane_is(&l, 0, "10.88.0.30", KF_LANE_CLIENT);
	lane_is(&l, 1, "10.88.0.10", KF_LANE_FOR_USER);
	lane_is(&l, 2, "10.88.0.2", KF_LANE_KDC);
	lane_is(&l, 3, "10.88.0.31", KF_LANE_SERVER);
	ck_assert_uint_eq(l.n_rows, 8);
	ck_assert_uint_eq(l.rows[0].msg->frame, 8);
	ck_assert_uint_eq(kf_ladder_client_lane(&l.rows[0]), 1);
	ck_assert_uint_eq(l.rows[0].to, 2);
	ck_assert_uint_eq(l.rows[1].request, 1);
	const struct kf_ladder_row *ap = &l.rows[row_at(&l, 23, KF_KRB_AP_REQ)];
	ck_assert_uint_eq(ap->from, 0);
	ck_assert_uint_eq(ap->to, 3);
	kf_ladder_free(&l);
}
END_TEST

/* Connection 1 authenticates once, then serves three plain requests;
 * connection 2 serves plain requests with two statuses, and its last answer
 * comes after a Kerberos request that ends the run. */
static struct kf_result *folding_facts(void)
{
	const char *c = "10.0.0.10:40000", *web = "10.0.0.20:80", *c2 = "10.0.0.10:40001";
	struct kf_result *r = fx_new();
	struct kf_message *m = fx_http(r, 1, KF_MSG_HTTP_REQUEST, 1, c, web);
	struct kf_http_rec *h = fx_http_rec(r, m);
	h->method = "GET";
	h->uri = "/";
	h->auth_scheme = "Negotiate";
	fx_http_rec(r, fx_http(r, 2, KF_MSG_HTTP_RESPONSE, 1, web, c))->status = 200;
	fx_link(r, 1, KF_MSG_HTTP_REQUEST, 2, KF_MSG_HTTP_RESPONSE);
	for (uint64_t f = 3; f <= 7; f += 2) {
		h = fx_http_rec(r, fx_http(r, f, KF_MSG_HTTP_REQUEST, 1, c, web));
		h->method = "GET";
		h->uri = "/more";
		fx_http_rec(r, fx_http(r, f + 1, KF_MSG_HTTP_RESPONSE, 1, web, c))->status = 200;
		fx_link(r, f, KF_MSG_HTTP_REQUEST, f + 1, KF_MSG_HTTP_RESPONSE);
	}
	/* connection 2: 10 → 11 (404), 12 → 13 (200), 14 → 16 with frame 15 between */
	static const uint64_t req[] = { 10, 12, 14 }, resp[] = { 11, 13, 16 };
	static const int status[] = { 404, 200, 200 };
	for (size_t i = 0; i < 3; i++) {
		h = fx_http_rec(r, fx_http(r, req[i], KF_MSG_HTTP_REQUEST, 2, c2, web));
		h->method = "GET";
		h->uri = "/x";
		if (i == 2)
			fx_krb(r, 15, KF_KRB_TGS_REQ, "10.0.0.10:50000", "10.0.0.2:88")->krb.sname =
				"HTTP/web";
		fx_http_rec(r, fx_http(r, resp[i], KF_MSG_HTTP_RESPONSE, 2, web, c2))->status = status[i];
		fx_link(r, req[i], KF_MSG_HTTP_REQUEST, resp[i], KF_MSG_HTTP_RESPONSE);
	}
	fx_finish(r);
	ck_assert_uint_eq(r->n_stories, 1);
	return r;
}

/* An enterprise name (NT-ENTERPRISE: the name carries its own realm) is said
 * once in message lines and the story's user; a request to another realm says
 * which. */
START_TEST(t_enterprise_name_once)
{
	struct kf_result *r = fx_new();
	struct kf_message *m = fx_krb(r, 1, KF_KRB_AS_REQ, "10.0.0.10:50000", "10.0.0.2:88");
	m->krb.cname = "bob@corp.example";
	m->krb.realm = "CORP.EXAMPLE";
	m->krb.sname = "krbtgt/CORP.EXAMPLE";
	m = fx_krb(r, 2, KF_KRB_AS_REQ, "10.0.0.10:50001", "10.0.0.2:88");
	m->krb.cname = "bob@corp.example";
	m->krb.realm = "ROOT.EXAMPLE";
	m->krb.sname = "krbtgt/ROOT.EXAMPLE";
	fx_finish(r);
	ck_assert_uint_eq(r->n_stories, 1);
	ck_assert_str_eq(r->stories[0].user, "bob@corp.example");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(kf_report_text(r, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(
		strstr(buf, "AS-REQ bob@corp.example asks for krbtgt/CORP.EXAMPLE@CORP.EXAMPLE"));
	ck_assert_ptr_nonnull(strstr(
		buf,
		"AS-REQ bob@corp.example (realm ROOT.EXAMPLE) asks for krbtgt/ROOT.EXAMPLE@ROOT.EXAMPLE"));
	ck_assert_ptr_null(strstr(buf, "bob@corp.example@"));
	free(buf);
	fx_free(r);
}
END_TEST

START_TEST(t_folding)
{
	struct kf_result *r = folding_facts();
	struct kf_ladder l;
	kf_ladder_init(&l);
	ck_assert_int_eq(kf_ladder_build(&l, r, &r->stories[0]), KF_OK);
	ck_assert_uint_eq(l.n_lanes, 3); /* client, web server, KDC */
	ck_assert_uint_eq(l.lanes[1].roles, KF_LANE_SERVER);
	ck_assert_uint_eq(l.lanes[2].roles, KF_LANE_KDC);
	/* 1, 2, run 3-8, run 10-14, 15, 16 */
	ck_assert_uint_eq(l.n_rows, 6);
	ck_assert_int_eq(l.rows[0].kind, KF_ROW_MESSAGE);
	ck_assert_uint_eq(l.rows[1].request, 1);

	const struct kf_ladder_row *run = &l.rows[2];
	ck_assert_int_eq(run->kind, KF_ROW_FOLDED);
	ck_assert_uint_eq(run->count, 3);
	ck_assert_uint_eq(run->first, 3);
	ck_assert_uint_eq(run->last, 8);
	ck_assert_uint_eq(run->connection, 1);
	ck_assert_int_eq(run->status, 200);
	ck_assert_uint_eq(run->msg->frame, 3);
	ck_assert(run->by_client);
	ck_assert_uint_eq(run->from, 0);
	ck_assert_uint_eq(run->to, 1);

	/* a new connection starts a new run; its statuses differ */
	run = &l.rows[3];
	ck_assert_int_eq(run->kind, KF_ROW_FOLDED);
	ck_assert_uint_eq(run->count, 3);
	ck_assert_uint_eq(run->first, 10);
	ck_assert_uint_eq(run->last, 14);
	ck_assert_uint_eq(run->connection, 2);
	ck_assert_int_eq(run->status, -1);

	/* the TGS-REQ ends the run; the answer after it is a row of its own,
	 * and it answers a request that went into the run */
	ck_assert_uint_eq(l.rows[4].msg->frame, 15);
	ck_assert_uint_eq(l.rows[4].to, 2);
	ck_assert_int_eq(l.rows[5].kind, KF_ROW_MESSAGE);
	ck_assert_uint_eq(l.rows[5].msg->frame, 16);
	ck_assert_uint_eq(l.rows[5].request, 4);
	kf_ladder_free(&l);

	/* and the text report says so in a line a run */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(kf_report_text(r, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(
		buf,
		"\n       3  … 8  3 requests on connection 1 (tcp.stream 101) without credentials, answered "
		"200 (the connection stays authenticated)\n"));
	ck_assert_ptr_nonnull(strstr(
		buf, "\n      10  … 14  3 requests on connection 2 (tcp.stream 102) without credentials, "
		     "answered with several statuses (the connection stays authenticated)\n"));
	ck_assert_ptr_nonnull(strstr(buf, "HTTP-RESPONSE 200  (reply to 14)\n"));
	free(buf);
	fx_free(r);
}
END_TEST

/* Memory running out at each allocation of a build: KF_NOMEM and an empty
 * ladder, then the text report fails with ENOMEM; nothing leaks. */
START_TEST(t_out_of_memory)
{
	struct kf_ladder l;
	kf_ladder_init(&l);
	enum kf_status st = KF_NOMEM;
	unsigned long n;
	for (n = 1; n < 32 && st != KF_OK; n++) {
		kf_alloc_fail_after(n);
		st = kf_ladder_build(&l, &sample, &sample.stories[0]);
		kf_alloc_fail_after(0);
		if (st != KF_OK) {
			ck_assert_int_eq(st, KF_NOMEM);
			ck_assert_uint_eq(l.n_rows, 0);
			ck_assert_uint_eq(l.n_lanes, 0);
		}
		kf_ladder_free(&l);
	}
	ck_assert_int_eq(st, KF_OK);
	ck_assert_uint_gt(n, 2);

	FILE *f = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(f);
	errno = 0;
	kf_alloc_fail_after(1);
	int rc = kf_report_text(&sample, f);
	kf_alloc_fail_after(0);
	fclose(f);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ladder");
	TCase *tc = tcase_create("sample");
	tcase_add_unchecked_fixture(tc, sample_setup, sample_teardown);
	tcase_add_test(tc, t_double_hop_lanes);
	tcase_add_test(tc, t_story_client_first);
	tcase_add_test(tc, t_out_of_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("facts");
	tcase_add_test(tc, t_folding);
	tcase_add_test(tc, t_enterprise_name_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
