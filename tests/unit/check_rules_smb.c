/* check_rules_smb.c - the rules on Kerberos and NTLM carried by SMB, on fact
 * lists: the Kerberos error rules worded for a file server, recovery by a
 * SESSION_SETUP that succeeds.  Each: the positive case, the near misses that
 * must stay quiet. */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "base/arena.h"
#include "rulefix.h"
#include "smb.h"
#include "testutil.h"

#define C "10.0.0.10:50000"
#define C2 "10.0.0.10:50001"
#define FS "10.0.0.30:445"
#define KDC "10.0.0.2:88"
#define T0 1700000000 /* fx_msg's time of frame 0, in seconds */

#define STATUS_MORE 0xC0000016u

static bool contains(const char *s, const char *needle) { return s && strstr(s, needle) != NULL; }

/* ---- builders ------------------------------------------------------------ */

/* A SESSION_SETUP request in frame f on conn (its token, if any, added
 * first, as the carrier records them). */
static struct kf_message *setup_req(struct kf_result *r, uint64_t f, uint32_t conn, const char *client)
{
	struct kf_message *q = fx_smb(r, f, KF_MSG_SMB_REQUEST, conn, client, FS);
	fx_smb_rec(r, q, KF_SMB2_SESSION_SETUP, 0)->message_id = f;
	return q;
}

/* Its response in frame f with status (and session flags). */
static struct kf_message *setup_resp(struct kf_result *r, uint64_t f, uint32_t conn, const char *client,
				     uint64_t req, uint32_t status, uint16_t flags)
{
	struct kf_message *p = fx_smb(r, f, KF_MSG_SMB_RESPONSE, conn, FS, client);
	struct kf_smb_rec *s = fx_smb_rec(r, p, KF_SMB2_SESSION_SETUP, status);
	s->message_id = req;
	s->session_flags = flags;
	fx_link(r, req, KF_MSG_SMB_REQUEST, f, KF_MSG_SMB_RESPONSE);
	return p;
}

/* An AP-REQ for sname in a SESSION_SETUP request, frame f. */
static struct kf_message *ap_setup(struct kf_result *r, uint64_t f, uint32_t conn, const char *client,
				   const char *sname)
{
	struct kf_message *ap = fx_smb(r, f, KF_KRB_AP_REQ, conn, client, FS);
	ap->krb.ticket = fx_ticket(r, sname, "LAB.TEST", 18, 3);
	setup_req(r, f, conn, client);
	return ap;
}

/* The server's KRB-ERROR code to the AP-REQ of frame ap, in the SESSION_SETUP
 * response of frame f with status. */
static struct kf_message *err_setup(struct kf_result *r, uint64_t f, uint32_t conn, const char *client,
				    uint64_t ap, int32_t code, uint32_t status)
{
	struct kf_message *e = fx_smb(r, f, KF_KRB_ERROR, conn, FS, client);
	e->krb.error_code = code;
	e->krb.sname = "FS1$";
	e->krb.realm = "LAB.TEST";
	e->krb.has_stime = true;
	e->krb.stime = T0 + (int64_t)f / 1000;
	fx_link(r, ap, KF_KRB_AP_REQ, f, KF_KRB_ERROR);
	setup_resp(r, f, conn, client, ap, status, 0);
	return e;
}

/* The server's AP-REP in a successful SESSION_SETUP response (frame f). */
static void rep_setup(struct kf_result *r, uint64_t f, uint32_t conn, const char *client, uint64_t ap,
		      uint16_t flags)
{
	fx_smb(r, f, KF_KRB_AP_REP, conn, FS, client);
	fx_link(r, ap, KF_KRB_AP_REQ, f, KF_KRB_AP_REP);
	setup_resp(r, f, conn, client, ap, 0, flags);
}

/* ---- the Kerberos error rules inside SMB ------------------------------------- */

/* KRB_AP_ERR_SKEW from the file server, its clock 10 min ahead: worded for
 * SMB (not a 401), the server named with its port. */
START_TEST(t_smb_skew_words)
{
	struct kf_result *r = fx_new();
	ap_setup(r, 3, 1, C, "cifs/fs1.lab.test");
	err_setup(r, 4, 1, C, 3, 37, STATUS_MORE)->krb.stime = T0 + 600;
	fx_finish(r);
	fx_run(r, "clock-skew");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "clock-skew",
								     .cause = "service-clock",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4",
								     .client = "10.0.0.10",
								     .server = "10.0.0.30:445",
								     .kdc = "" });
	/* wording: what carried the error is SMB's, not HTTP's */
	ck_assert(contains(f->explanation, "The SMB server at 10.0.0.30"));
	ck_assert(contains(f->explanation, "the SMB SESSION_SETUP response carries the error"));
	ck_assert(!contains(f->explanation, "401"));
	fx_free(r);
}
END_TEST

/* The file server's stime 67 s behind the capture's (the corpus's SMB1
 * session setup): less than the tolerance, so its clock alone cannot have
 * refused a client that agreed with the capture: the client's is off. */
START_TEST(t_smb_skew_sender_within_tolerance)
{
	struct kf_result *r = fx_new();
	ap_setup(r, 3, 1, C, "cifs/fs1.lab.test");
	err_setup(r, 4, 1, C, 3, 37, STATUS_MORE)->krb.stime = T0 - 67;
	fx_finish(r);
	fx_run(r, "clock-skew");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "clock-skew",
								     .cause = "client-clock",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4" });
	/* wording: the sender's offset is measured, and said not to be the cause */
	ck_assert(contains(f->explanation, "1 min 7 s behind the capture's time"));
	ck_assert(contains(f->explanation, "cannot explain the refusal"));
	fx_free(r);
}
END_TEST

/* A SESSION_SETUP that succeeds on the same connection after the error is
 * a recovery (warning); one on another connection, or a guest session, is
 * not. */
START_TEST(t_smb_skew_recovered)
{
	struct kf_result *r = fx_new();
	ap_setup(r, 3, 1, C, "cifs/fs1.lab.test");
	err_setup(r, 4, 1, C, 3, 37, STATUS_MORE)->krb.stime = T0 + 600;
	ap_setup(r, 5, 1, C, "cifs/fs1.lab.test");
	rep_setup(r, 6, 1, C, 5, 0);
	fx_finish(r);
	fx_run(r, "clock-skew");
	fx_expect(r, &(struct fx_want){ .rule = "clock-skew",
					.cause = "service-clock",
					.sev = KF_SEV_WARNING,
					.conf = KF_CONF_CERTAIN,
					.frames = "3,4" });
	fx_free(r);

	/* a session set up (without an AP-REP) on another connection, or as guest */
	for (int other = 0; other < 2; other++) {
		r = fx_new();
		ap_setup(r, 3, 1, C, "cifs/fs1.lab.test");
		err_setup(r, 4, 1, C, 3, 37, STATUS_MORE)->krb.stime = T0 + 600;
		setup_req(r, 5, other ? 2 : 1, other ? C2 : C);
		setup_resp(r, 6, other ? 2 : 1, other ? C2 : C, 5, 0, other ? 0 : KF_SMB_SESSION_GUEST);
		fx_finish(r);
		fx_run(r, "clock-skew");
		ck_assert_uint_eq(fx_count(r, "clock-skew", KF_SEV_ERROR), 1);
		fx_free(r);
	}
}
END_TEST

/* KRB_AP_ERR_NOT_US from the file server: the fix names the cifs/ SPN the
 * ticket was for and how AD finds it (HOST/). */
START_TEST(t_smb_not_us_words)
{
	struct kf_result *r = fx_new();
	ap_setup(r, 3, 1, C, "cifs/fs1.lab.test");
	err_setup(r, 4, 1, C, 3, 35, 0xC000006Du);
	fx_finish(r);
	fx_run(r, "not-us");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "not-us",
								     .cause = "undetermined",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4",
								     .client = "10.0.0.10",
								     .server = "10.0.0.30:445" });
	/* wording: the SPN of the ticket, and its HOST/ form, in the commands */
	ck_assert(contains(f->remediation, "setspn -S cifs/fs1.lab.test"));
	ck_assert(contains(f->remediation, "setspn -Q HOST/fs1.lab.test"));
	ck_assert(!contains(f->remediation, "HTTP/"));
	fx_free(r);
}
END_TEST

/* KRB_AP_ERR_MODIFIED from the file server: the SMB causes (the name leads
 * elsewhere, a duplicate SPN, the computer account's password) and checks. */
START_TEST(t_smb_ap_err_modified_words)
{
	struct kf_result *r = fx_new();
	ap_setup(r, 3, 1, C, "cifs/fs1.lab.test");
	err_setup(r, 4, 1, C, 3, 41, 0xC000006Du);
	fx_finish(r);
	fx_run(r, "ap-err-modified");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ap-err-modified",
								     .cause = "undetermined",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4",
								     .service = "cifs/fs1.lab.test@LAB.TEST",
								     .server = "10.0.0.30:445" });
	/* wording: a file server's keys and checks, no web server's */
	ck_assert(contains(f->explanation, "The SMB server "));
	ck_assert(contains(f->explanation, "computer account"));
	ck_assert(contains(f->remediation, "setspn -Q HOST/fs1.lab.test"));
	ck_assert(contains(f->remediation, "nltest /sc_verify"));
	ck_assert(!contains(f->remediation, "IIS"));
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_smb");
	TCase *tc = tcase_create("kerberos-errors-in-smb");
	tcase_add_test(tc, t_smb_skew_words);
	tcase_add_test(tc, t_smb_skew_sender_within_tolerance);
	tcase_add_test(tc, t_smb_skew_recovered);
	tcase_add_test(tc, t_smb_not_us_words);
	tcase_add_test(tc, t_smb_ap_err_modified_words);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
