/* check_rules_tds.c - sql-login-failed on fact lists: each cause from the
 * error number and state, ANONYMOUS LOGON and the story it is the back end
 * of, grouping of repeats, and the near misses (a LOGINACK, a Kerberos error
 * inside the login, a retry that logs on). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "rulefix.h"
#include "rules.h"
#include "testutil.h"

#define C "10.0.0.10:50000"
#define SQL "10.0.0.53:1433"

static struct kf_message *tds_msg(struct kf_result *r, uint64_t f, int type, uint32_t conn, const char *src,
				  const char *dst)
{
	struct kf_message *m = fx_msg(r, f, KF_CARRIER_TDS, type, src, dst);
	m->transport = KF_TRANSPORT_TCP;
	m->connection = conn;
	m->tds = kf_arena_zalloc(&r->arena, sizeof *m->tds);
	return m;
}

/* A LOGIN7 in frame f (user: a SQL login; NULL: integrated) and its answer
 * in f + 1: LOGINACK when number is 0, else an ERROR. */
static void login(struct kf_result *r, uint64_t f, uint32_t conn, const char *user, uint32_t number,
		  uint8_t state, const char *text)
{
	struct kf_message *q = tds_msg(r, f, KF_MSG_TDS_REQUEST, conn, C, SQL);
	q->tds->packet_type = 16;
	q->tds->server = "sql.lab.test";
	q->tds->user = user;
	q->tds->integrated = !user;
	struct kf_message *p = tds_msg(r, f + 1, KF_MSG_TDS_RESPONSE, conn, SQL, C);
	p->tds->packet_type = 4;
	p->tds->login_ack = number == 0;
	p->tds->has_error = number != 0;
	p->tds->error_number = number;
	p->tds->error_state = state;
	p->tds->error_class = 14;
	p->tds->message = text;
	fx_link(r, f, KF_MSG_TDS_REQUEST, f + 1, KF_MSG_TDS_RESPONSE);
}

static const char *cause_of(uint32_t number, uint8_t state, const char *user, const char *text)
{
	struct kf_result *r = fx_new();
	login(r, 10, 1, user, number, state, text);
	fx_finish(r);
	fx_run(r, "sql-login-failed");
	const struct kf_finding *f = fx_find(r, "sql-login-failed");
	static char cause[64];
	cause[0] = 0;
	if (f) {
		snprintf(cause, sizeof cause, "%s", f->cause);
		ck_assert_int_eq(f->severity, KF_SEV_ERROR);
		ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 11));
	}
	fx_free(r);
	return f ? cause : NULL;
}

START_TEST(t_sql_causes)
{
	static const struct {
		uint32_t number;
		uint8_t state;
		const char *user, *text, *cause;
	} v[] = {
		{ 18456, 5, NULL, "Login failed for user 'NT AUTHORITY\\ANONYMOUS LOGON'.",
		  "anonymous-logon" },
		{ 18452, 1, NULL, "Login failed. The login is from an untrusted domain", "untrusted-domain" },
		{ 18456, 8, "app", "Login failed for user 'app'.", "bad-password" },
		{ 18456, 9, "app", NULL, "bad-password" },
		{ 18456, 5, "nobody", NULL, "unknown-login" },
		{ 18456, 2, "nobody", NULL, "unknown-login" },
		{ 18456, 6, "LAB\\alice", NULL, "windows-name-with-sql-auth" },
		{ 18456, 7, "app", NULL, "login-disabled" },
		{ 18470, 1, "app", NULL, "login-disabled" },
		{ 18486, 1, "app", NULL, "locked-out" },
		{ 18487, 1, "app", NULL, "password-expired" },
		{ 18456, 18, "app", NULL, "password-expired" },
		{ 18456, 11, NULL, NULL, "no-server-access" },
		{ 18456, 38, "app", NULL, "database-unavailable" },
		{ 18456, 58, "app", NULL, "sql-auth-disabled" },
		{ 18456, 1, "app", NULL, "reason-hidden" },
		{ 18456, 200, "app", NULL, "other" },
		{ 4060, 1, "app", NULL, "other" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		const char *c = cause_of(v[i].number, v[i].state, v[i].user, v[i].text);
		ck_assert_msg(c && !strcmp(c, v[i].cause), "row %zu: %s, want %s", i, c ? c : "(none)",
			      v[i].cause);
	}
}
END_TEST

START_TEST(t_sql_words)
{
	struct kf_result *r = fx_new();
	login(r, 10, 1, "app", 18456, 8, "Login failed for user 'app'.");
	fx_finish(r);
	fx_run(r, "sql-login-failed");
	const struct kf_finding *f = fx_find(r, "sql-login-failed");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(contains(f->summary, "sql.lab.test (10.0.0.53)") &&
			      contains(f->summary, "refused app") &&
			      contains(f->summary, "error 18456 state 8"),
		      "%s", f->summary);
	ck_assert_msg(contains(f->explanation, "SQL authentication") &&
			      contains(f->explanation, "\"Login failed for user 'app'.\"") &&
			      contains(f->explanation, "frame 11"),
		      "%s", f->explanation);
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "app"));
	fx_free(r);
}
END_TEST

/* Three failures: one finding, "(3 times)"; another login's: another one. */
START_TEST(t_sql_grouped)
{
	struct kf_result *r = fx_new();
	for (uint32_t k = 0; k < 3; k++)
		login(r, 10 + 100000 * k, k + 1, "app", 18456, 8, NULL);
	login(r, 400000, 9, "report", 18456, 8, NULL);
	fx_finish(r);
	fx_run(r, "sql-login-failed");
	ck_assert_uint_eq(fx_count(r, "sql-login-failed", 0), 2);
	const struct kf_finding *f = fx_find(r, "sql-login-failed");
	ck_assert_msg(contains(f->summary, "(3 times)"), "%s", f->summary);
	ck_assert(fx_has_frame(f, 200010) && fx_has_frame(f, 200011));
	fx_free(r);
}
END_TEST

START_TEST(t_sql_near_misses)
{
	/* a LOGINACK */
	struct kf_result *r = fx_new();
	login(r, 10, 1, "app", 0, 0, NULL);
	fx_finish(r);
	fx_run(r, "sql-login-failed");
	ck_assert_uint_eq(fx_count(r, "sql-login-failed", 0), 0);
	fx_free(r);

	/* a Kerberos error inside the login: the Kerberos rules name it */
	r = fx_new();
	struct kf_message *q = tds_msg(r, 10, KF_MSG_TDS_REQUEST, 1, C, SQL);
	q->tds->packet_type = 16;
	q->tds->integrated = true;
	struct kf_message *e = fx_msg(r, 11, KF_CARRIER_TDS, KF_KRB_ERROR, SQL, C);
	e->transport = KF_TRANSPORT_TCP;
	e->connection = 1;
	e->krb.error_code = 37;
	struct kf_message *p = tds_msg(r, 11, KF_MSG_TDS_RESPONSE, 1, SQL, C);
	p->tds->has_error = true;
	p->tds->error_number = 18456;
	p->tds->error_state = 1;
	fx_link(r, 10, KF_MSG_TDS_REQUEST, 11, KF_MSG_TDS_RESPONSE);
	fx_finish(r);
	fx_run(r, "sql-login-failed");
	ck_assert_uint_eq(fx_count(r, "sql-login-failed", 0), 0);
	fx_free(r);

	/* the same login retried: within 5 s it recovers; after 60 s it does not */
	for (int late = 0; late < 2; late++) {
		r = fx_new();
		login(r, 10, 1, "app", 18456, 8, NULL);
		login(r, late ? 60000 : 5000, 2, "APP", 0, 0, NULL);
		fx_finish(r);
		fx_run(r, "sql-login-failed");
		ck_assert_uint_eq(fx_count(r, "sql-login-failed", 0), late ? 1 : 0);
		fx_free(r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_tds");
	TCase *tc = tcase_create("sql-login-failed");
	tcase_add_test(tc, t_sql_causes);
	tcase_add_test(tc, t_sql_words);
	tcase_add_test(tc, t_sql_grouped);
	tcase_add_test(tc, t_sql_near_misses);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
