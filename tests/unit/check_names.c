/* check_names.c - the name comparisons of the model (analyzer/model/names.c),
 * one table row per case the policy decides. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "testutil.h"

enum which { EXACT, NOCASE, SAME_NOCASE, NOREALM, HOST, KRBTGT, KRBTGT_EXACT };

struct row {
	enum which fn;
	const char *a, *b; /* b unused for the krbtgt tests */
	bool want;
};

static const struct row rows[] = {
	{ EXACT, "HTTP/web.lab.test", "HTTP/web.lab.test", true },
	{ EXACT, "HTTP/web.lab.test", "http/web.lab.test", false },
	{ EXACT, NULL, NULL, false },
	{ EXACT, "", "", true },
	{ NOCASE, "HTTP/Web.Lab.Test", "http/web.lab.test", true },
	{ NOCASE, "alice", "alice@LAB.TEST", false },
	{ NOCASE, "web.lab.test.", "web.lab.test", false },
	{ NOCASE, NULL, "x", false },
	{ NOCASE, NULL, NULL, false },
	{ SAME_NOCASE, NULL, NULL, true },
	{ SAME_NOCASE, "Alice", "alice", true },
	{ SAME_NOCASE, NULL, "alice", false },
	{ NOREALM, "host$@LAB.TEST", "HOST$", true },
	{ NOREALM, "alice@LAB.TEST", "alice@OTHER.TEST", true },
	{ NOREALM, "alice", "alicex", false },
	{ NOREALM, "HTTP/web", "http/WEB@LAB.TEST", true },
	{ NOREALM, NULL, NULL, false },
	{ HOST, "Web.Lab.Test.", "web.lab.test", true },
	{ HOST, "web.lab.test..", "WEB.LAB.TEST.", true },
	{ HOST, "web.lab.test", "web.lab.tes", false },
	{ HOST, "", ".", true },
	{ HOST, NULL, "web", false },
	{ KRBTGT, "krbtgt/LAB.TEST", NULL, true },
	{ KRBTGT, "KRBTGT/LAB.TEST", NULL, true },
	{ KRBTGT, "krbtgt", NULL, false },
	{ KRBTGT, "HTTP/krbtgt/x", NULL, false },
	{ KRBTGT, NULL, NULL, false },
	{ KRBTGT_EXACT, "krbtgt/LAB.TEST", NULL, true },
	{ KRBTGT_EXACT, "KRBTGT/LAB.TEST", NULL, false },
	{ KRBTGT_EXACT, NULL, NULL, false },
};
#define N_ROWS (sizeof rows / sizeof rows[0])

START_TEST(t_policy)
{
	const struct row *w = &rows[_i];
	bool got = false;
	switch (w->fn) {
	case EXACT: got = kf_name_eq_exact(w->a, w->b); break;
	case NOCASE: got = kf_name_eq_nocase(w->a, w->b); break;
	case SAME_NOCASE: got = kf_name_same_nocase(w->a, w->b); break;
	case NOREALM: got = kf_princ_eq_norealm_nocase(w->a, w->b); break;
	case HOST: got = kf_host_eq(w->a, w->b); break;
	case KRBTGT: got = kf_sname_is_krbtgt(w->a); break;
	case KRBTGT_EXACT: got = kf_sname_is_krbtgt_exact(w->a); break;
	}
	ck_assert_msg(got == w->want, "row %d: (%s, %s) gave %d", _i, w->a ? w->a : "NULL",
		      w->b ? w->b : "NULL", (int)got);
	/* every comparison is symmetric */
	if (w->fn != KRBTGT && w->fn != KRBTGT_EXACT) {
		bool rev = w->fn == EXACT         ? kf_name_eq_exact(w->b, w->a)
			   : w->fn == NOCASE      ? kf_name_eq_nocase(w->b, w->a)
			   : w->fn == SAME_NOCASE ? kf_name_same_nocase(w->b, w->a)
			   : w->fn == NOREALM     ? kf_princ_eq_norealm_nocase(w->b, w->a)
						  : kf_host_eq(w->b, w->a);
		ck_assert_msg(rev == got, "row %d is not symmetric", _i);
	}
}
END_TEST

START_TEST(t_krbtgt_realm)
{
	ck_assert_str_eq(kf_sname_krbtgt_realm("krbtgt/OTHER.TEST"), "OTHER.TEST");
	ck_assert_str_eq(kf_sname_krbtgt_realm("KrbTgt/X"), "X");
	ck_assert_ptr_null(kf_sname_krbtgt_realm("HTTP/web"));
	ck_assert_uint_eq(kf_princ_len_norealm("host$@LAB.TEST"), 5);
	ck_assert_uint_eq(kf_princ_len_norealm("alice"), 5);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");
	tcase_add_loop_test(tc, t_policy, 0, (int)N_ROWS);
	tcase_add_test(tc, t_krbtgt_realm);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
