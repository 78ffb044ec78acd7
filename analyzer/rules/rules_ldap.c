/* rules_ldap.c - ldap-bind-failed: what an LDAP server answered a bind that
 * failed for a reason no Kerberos rule names: a wrong password, the
 * account's state (AD's "data NNN" in the diagnostic: MS-ADTS §3.1.1.3.1.8,
 * Win32 error codes), the server's demand for signing or TLS, a mechanism it
 * does not take (RFC 4511 §4.2.2, RFC 4513).  It reads the LDAP sessions
 * (sessions.h): one bind, or the steps of one SASL bind, with its user and
 * its last answer.  A bind whose exchange holds a KRB-ERROR is left to the
 * Kerberos rules (clock-skew, ap-err-modified, ...). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/limits.h"
#include "ldap.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "sessions.h"

#define LDAP_SUCCESS 0u
#define LDAP_AUTH_METHOD_NOT_SUPPORTED 7u
#define LDAP_STRONGER_AUTH_REQUIRED 8u
#define LDAP_CONFIDENTIALITY_REQUIRED 13u
#define LDAP_SASL_BIND_IN_PROGRESS 14u
#define LDAP_INAPPROPRIATE_AUTHENTICATION 48u
#define LDAP_INVALID_CREDENTIALS 49u
#define AD_SEC_E_BAD_BINDINGS 0x80090346u /* the data code of a channel-binding failure */

enum bind_cause {
	LB_BAD_PASSWORD,
	LB_NTLMV1_REFUSED,
	LB_NO_SUCH_USER,
	LB_INVALID_CREDENTIALS,
	LB_ACCOUNT_DISABLED,
	LB_ACCOUNT_EXPIRED,
	LB_LOCKED_OUT,
	LB_PASSWORD_EXPIRED,
	LB_RESTRICTION,
	LB_SIGNING_REQUIRED,
	LB_CHANNEL_BINDING,
	LB_MECHANISM,
	LB_ANONYMOUS,
	LB_OTHER,
	LB__COUNT
};

static const char *const bind_causes[] = { "bad-password",
					   "ntlmv1-refused",
					   "no-such-user",
					   "invalid-credentials",
					   "account-disabled",
					   "account-expired",
					   "account-locked-out",
					   "password-expired",
					   "account-restriction",
					   "signing-required",
					   "channel-binding-required",
					   "mechanism-not-supported",
					   "anonymous-refused",
					   "other",
					   NULL };

#define LB_EVENT_4625                                                                                          \
	" On a domain controller with failure auditing on, event 4625 (and 4776 for NTLM, 4771 for Kerberos) " \
	"records the failure with its status."

/* What a cause says: its severity, the summary's end, the explanation
 * after what the server answered, the fix. */
static const struct {
	enum kf_severity sev;
	const char *phrase, *explanation, *fix;
} bind_words[LB__COUNT] = {
	[LB_BAD_PASSWORD] = {
		KF_SEV_ERROR, "bad password",
		"AD's data code 52e: the account exists and the password is wrong. An application that binds "
		"with a stored password (a service account in a config file, a scanner, an LDAP-backed login "
		"on Linux) keeps failing this way after the password changed, and may lock the account out.",
		"Find the stored password the client uses (its configuration: the bind DN and password of the "
		"application, sssd's ldap_default_authtok, a scheduled task) and update it; check the bind DN "
		"names the intended account." LB_EVENT_4625,
	},
	[LB_NTLMV1_REFUSED] = {
		KF_SEV_ERROR, "NTLMv1 refused (or a bad password)",
		"AD's data code 52e answers this NTLMv1 logon (a 24-byte NT response, no NTLMv2 blob). Domain "
		"controllers that refuse NTLMv1 (\"Network security: LAN Manager authentication level\" at "
		"\"Send NTLMv2 response only. Refuse LM & NTLM\", Windows Server 2025, Samba's default `ntlm auth = "
		"ntlmv2-only`) answer it with the same code as a wrong password, so the capture cannot tell them "
		"apart; with NTLMv1 refused, the right password fails too.",
		"Make the client use NTLMv2 or Kerberos: on Windows raise LmCompatibilityLevel to 3 or more; for "
		"Cyrus SASL's NTLM plug-in (which only speaks NTLMv1) bind with GSS-SPNEGO or GSSAPI instead. If "
		"the domain controller still allows NTLMv1 (its NTLM audit events 4776 and the "
		"Microsoft-Windows-NTLM/Operational log say which version was used), check the password.",
	},
	[LB_NO_SUCH_USER] = {
		KF_SEV_ERROR, "no such user",
		"AD's data code 525: no account matches the name the client bound as: a typo, an account "
		"deleted or renamed, or a user principal name or DN in another domain.",
		"Check the bind name against the directory (Get-ADUser -Filter \"userPrincipalName -eq "
		"'<name>'\", or the DN itself); a simple bind takes a DN, a UPN (user@domain) or DOMAIN\\user.",
	},
	[LB_INVALID_CREDENTIALS] = {
		KF_SEV_ERROR, "invalid credentials",
		"The server refused the name or the password without saying which (no AD data code: an "
		"OpenLDAP or other directory, or a SASL mechanism's failure).",
		"Check the bind DN and the password the client uses; on an OpenLDAP server, its log at "
		"`loglevel stats` names the refused DN; for SASL binds, the server's SASL configuration.",
	},
	[LB_ACCOUNT_DISABLED] = {
		KF_SEV_ERROR, "account disabled",
		"AD's data code 533: the account is disabled; the password may well be right.",
		"Enable the account if it should bind: Enable-ADAccount <user> (Samba: `samba-tool user "
		"enable <user>`), or give the application another account.",
	},
	[LB_ACCOUNT_EXPIRED] = {
		KF_SEV_ERROR, "account expired",
		"AD's data code 701: the account's expiry date has passed.",
		"Extend or clear the expiry: Set-ADAccountExpiration <user> -DateTime <date> or "
		"Clear-ADAccountExpiration <user> (Samba: `samba-tool user setexpiry <user> --noexpiry`).",
	},
	[LB_LOCKED_OUT] = {
		KF_SEV_ERROR, "account locked out",
		"AD's data code 775: too many bad passwords locked the account; it stays locked for the "
		"lockout duration or until unlocked, whatever password is given meanwhile.",
		"Find the source of the bad passwords first (event 4740 on the PDC emulator names the calling "
		"computer; an application binding with an old password is a common one), then "
		"Unlock-ADAccount <user> (Samba: `samba-tool user unlock <user>`).",
	},
	[LB_PASSWORD_EXPIRED] = {
		KF_SEV_ERROR, "password expired or must be changed",
		"AD's data code 532 (password expired) or 773 (must change password at next logon): a bind "
		"cannot change the password, so every bind fails until it is changed or reset.",
		"Change or reset the password (Set-ADAccountPassword <user> -Reset; Samba: `samba-tool user "
		"setpassword <user>`) and update the application's stored copy; for an application's account, "
		"use a group managed service account (gMSA) or a password policy without expiry.",
	},
	[LB_RESTRICTION] = {
		KF_SEV_ERROR, "an account restriction applies",
		"AD's data code 530 (logon hours), 531 (not from this workstation) or 568 (the user's token has "
		"too many security IDs): the password is right, but the account may not log on here or now.",
		"Review the account's logon hours and \"Log On To\" workstations (Active Directory Users and "
		"Computers, Account tab); for 568, the user's group memberships (token size).",
	},
	[LB_SIGNING_REQUIRED] = {
		KF_SEV_ERROR, "the server requires signing or TLS",
		"The server refuses binds that would leave the connection unprotected (strongerAuthRequired): "
		"a simple bind over plain LDAP, or a SASL bind without signing, while it requires LDAP signing "
		"(\"Domain controller: LDAP server signing requirements\" set to Require signing, the default "
		"of newer Windows Server releases; Samba's `ldap server require strong auth`).",
		"Make the client protect the connection: LDAPS (636) or StartTLS, or a SASL bind (GSSAPI, "
		"GSS-SPNEGO) with signing (ldapsearch: -Y GSSAPI; sssd and Windows clients sign by default). "
		"Relaxing the server's requirement brings back the exposure it closes.",
	},
	[LB_CHANNEL_BINDING] = {
		KF_SEV_ERROR, "channel binding required",
		"AD's data code 80090346 (SEC_E_BAD_BINDINGS): over LDAPS the domain controller requires the "
		"client to bind its authentication to the TLS channel (LDAP channel binding), and this client "
		"sent no channel binding token or a wrong one (an old client library, or a TLS-intercepting "
		"proxy between client and server).",
		"Update the client to one that sends channel binding tokens (Windows with current updates; "
		"current OpenLDAP/Cyrus SASL builds) and take TLS interception off the path; the domain "
		"controller's \"LDAP server channel binding token requirements\" policy is what demands it "
		"(events 3039/3074 on the DC name the clients).",
	},
	[LB_MECHANISM] = {
		KF_SEV_ERROR, "authentication method not supported",
		"The server does not take this bind's method (authMethodNotSupported, confidentialityRequired): "
		"a SASL mechanism it does not offer (its rootDSE lists supportedSASLMechanisms), or a method it "
		"accepts only over TLS.",
		"Use a mechanism the server lists (`ldapsearch -x -s base -b '' supportedSASLMechanisms`), or "
		"protect the connection with TLS first.",
	},
	[LB_ANONYMOUS] = {
		KF_SEV_INFO, "anonymous bind refused",
		"The bind carried no credentials (an anonymous or unauthenticated simple bind) and the server "
		"does not allow those. Tools probe servers this way; it is a problem only when the client was "
		"meant to bind as a user and had no credentials to send.",
		"Configure the client's bind DN and password (or a SASL mechanism); allow anonymous access on "
		"the server only if it is really wanted.",
	},
	[LB_OTHER] = {
		KF_SEV_ERROR, "bind refused",
		"The result code and the diagnostic name the reason; krbflow has no explanation of its own "
		"for it.",
		"Look the result code up (RFC 4511 Appendix A) and AD's data code (a Win32 error code); the "
		"server's log (Directory Service log on a domain controller) records the refusal.",
	},
};

/* One failed bind: its session, its last answer and request. */
struct bind_facts {
	const struct kf_session *s;
	const struct kf_message *resp, *req;
	bool anonymous;
	bool ntlmv1; /* its NTLM AUTHENTICATE carried an NTLMv1 response */
};

static enum bind_cause bind_verdict(const struct bind_facts *f)
{
	uint32_t rc = f->resp->ldap->result_code, ad = f->resp->ldap->ad_data_code;
	switch (ad) {
	case 0x52e: return f->ntlmv1 ? LB_NTLMV1_REFUSED : LB_BAD_PASSWORD;
	case 0x525: return LB_NO_SUCH_USER;
	case 0x533: return LB_ACCOUNT_DISABLED;
	case 0x701: return LB_ACCOUNT_EXPIRED;
	case 0x775: return LB_LOCKED_OUT;
	case 0x532:
	case 0x773: return LB_PASSWORD_EXPIRED;
	case 0x530:
	case 0x531:
	case 0x52f:
	case 0x568: return LB_RESTRICTION;
	case AD_SEC_E_BAD_BINDINGS: return LB_CHANNEL_BINDING;
	default: break;
	}
	if (rc == LDAP_STRONGER_AUTH_REQUIRED)
		return LB_SIGNING_REQUIRED;
	if (rc == LDAP_AUTH_METHOD_NOT_SUPPORTED || rc == LDAP_CONFIDENTIALITY_REQUIRED)
		return LB_MECHANISM;
	if (f->anonymous)
		return LB_ANONYMOUS;
	if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTHENTICATION)
		return LB_INVALID_CREDENTIALS;
	return LB_OTHER;
}

static bool is_bind_response(const struct kf_message *m)
{
	return m->type == KF_MSG_LDAP_RESPONSE && m->ldap && m->ldap->operation == KF_LDAP_BIND_RESPONSE &&
	       m->ldap->has_result;
}

static bool is_ntlm_auth(const struct kf_message *m)
{
	return m->type == KF_MSG_NTLM_AUTHENTICATE && m->ntlm;
}

/* A failed bind this rule judges: a session whose last answer is a failure,
 * without a Kerberos error in its exchange. */
static bool bind_facts_of(const struct kf_result *r, const struct kf_session *s, struct bind_facts *f)
{
	if (s->carrier != KF_CARRIER_LDAP || !s->has_result || s->result_code == LDAP_SUCCESS ||
	    s->result_code == LDAP_SASL_BIND_IN_PROGRESS || s->krb_error != 0 || !s->n_frames)
		return false;
	memset(f, 0, sizeof *f);
	f->s = s;
	f->resp = kf_rule_session_msg(r, s, is_bind_response);
	if (!f->resp)
		return false;
	f->req = kf_msg_request(r, f->resp);
	const struct kf_ldap_rec *q = f->req ? f->req->ldap : NULL;
	f->anonymous =
		s->as && !strcmp(s->as, "anonymous") && q && q->mechanism && !strcmp(q->mechanism, "simple");
	const struct kf_message *auth =
		s->mech && !strcmp(s->mech, "ntlm") ? kf_rule_session_msg(r, s, is_ntlm_auth) : NULL;
	f->ntlmv1 = auth && !auth->ntlm->ntlmv2 && !auth->ntlm->anonymous && !auth->ntlm->damaged;
	return true;
}

/* How the client bound, for the explanation. */
static const char *bind_how(struct kf_rule_ctx *ctx, const struct bind_facts *f)
{
	const struct kf_session *s = f->s;
	const struct kf_ldap_rec *q = f->req ? f->req->ldap : NULL;
	const char *mech = q && q->mechanism ? q->mechanism : NULL;
	if (f->anonymous && q->bind_dn) /* RFC 4513 §5.1.2: a name without a password */
		return kf_rule_fmt(ctx, "with an unauthenticated simple bind (the name %s, no password)",
				   q->bind_dn);
	if (f->anonymous)
		return "with an anonymous simple bind";
	if (mech && !strcmp(mech, "simple"))
		return kf_rule_fmt(ctx, "with a simple bind as %s", s->as ? s->as : "?");
	bool says_ntlm = mech && (!strcasecmp(mech, "NTLM") || !strcasecmp(mech, "sicily"));
	const char *inner = s->mech && !strcmp(s->mech, "kerberos")             ? " (Kerberos)"
			    : s->mech && !strcmp(s->mech, "ntlm") && !says_ntlm ? " (NTLM)"
										: "";
	const char *as = s->as ? kf_rule_fmt(ctx, " as %s", s->as) : "";
	mech = mech ? mech : "SASL";
	bool an = mech[0] == 'N' || mech[0] == 'E'; /* "an NTLM", "an EXTERNAL" */
	return kf_rule_fmt(ctx, "with %s %s bind%s%s", an ? "an" : "a", mech, inner, as);
}

/* "invalidCredentials (49), AD data 52e (bad password)". */
static const char *result_words(struct kf_rule_ctx *ctx, const struct kf_ldap_rec *l)
{
	const char *n = kf_ldap_result_name(l->result_code);
	const char *rc = n ? kf_rule_fmt(ctx, "%s (%u)", n, l->result_code)
			   : kf_rule_fmt(ctx, "result %u", l->result_code);
	if (!l->ad_data_code)
		return rc;
	const char *d = kf_ldap_ad_data_name(l->ad_data_code);
	return kf_rule_fmt(ctx, "%s, AD data %x%s%s%s", rc, l->ad_data_code, d ? " (" : "", d ? d : "",
			   d ? ")" : "");
}

/* One finding per client, server, user and cause. */
struct bind_group {
	struct kf_session_group g; /* first: kf_rule_session_group */
	struct bind_facts f;
};

static void bind_emit(struct kf_rule_ctx *ctx, const struct bind_group *g)
{
	const struct bind_facts *f = &g->f;
	const struct kf_ldap_rec *l = f->resp->ldap;
	enum bind_cause c = bind_verdict(f);
	char srv[64], cl[64];
	kf_endpoint_addr(&f->s->server, srv, sizeof srv);
	kf_endpoint_addr(&f->s->client, cl, sizeof cl);
	const char *dn = f->req && f->req->ldap ? f->req->ldap->bind_dn : NULL;
	const char *who = f->anonymous && dn ? kf_rule_fmt(ctx, "an unauthenticated bind as %s", dn)
			  : f->anonymous     ? "an anonymous bind"
			  : f->s->as         ? f->s->as
					     : "a bind";
	const char *res = result_words(ctx, l);
	const char *times = g->g.count > 1 ? kf_rule_fmt(ctx, " (%zu times)", g->g.count) : "";
	/* AD's data code, when named, already says what the cause's phrase would */
	bool named = l->ad_data_code && kf_ldap_ad_data_name(l->ad_data_code) && c != LB_NTLMV1_REFUSED;
	const char *summary = kf_rule_fmt(ctx, "LDAP server %s refused %s from %s: %s%s%s%s", srv, who, cl,
					  res, named ? "" : ", ", named ? "" : bind_words[c].phrase, times);
	const char *diag = l->diagnostic && *l->diagnostic ? kf_rule_fmt(ctx, " \"%s\"", l->diagnostic) : "";
	const char *expl = kf_rule_fmt(
		ctx,
		"The client %s bound to %s %s (bindRequest, frame %llu) and the server answered %s%s (frame %llu). %s",
		cl, srv, bind_how(ctx, f), (unsigned long long)(f->req ? f->req->frame : f->s->first_frame),
		res, diag, (unsigned long long)f->resp->frame, bind_words[c].explanation);
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->s->client, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->s->server, true);
	if (!f->anonymous)
		kf_subject_add(ctx, &b, KF_SUBJECT_USER, f->s->as);
	kf_rule_emit(
		ctx, bind_causes, (struct kf_rule_verdict){ c, bind_words[c].sev, KF_CONF_CERTAIN },
		(struct kf_rule_words){
			summary, expl,
			kf_rule_fix_fill(ctx, bind_words[c].fix,
					 &(struct kf_fix_names){ .user = f->anonymous ? NULL : f->s->as }) },
		&g->g.e, &b);
}

static void rule_ldap_bind_failed(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_groups gs = { .size = sizeof(struct bind_group) };
	for (size_t i = 0; i < r->n_sessions; i++) {
		struct bind_facts f;
		if (!bind_facts_of(r, &r->sessions[i], &f) ||
		    kf_rule_session_recovered(r, f.s, f.resp->ts_us))
			continue;
		struct kf_key k = kf_key_new();
		kf_key_addr(&k, &f.s->client);
		kf_key_addr(&k, &f.s->server);
		kf_key_name(&k, f.s->as);
		kf_key_int(&k, bind_verdict(&f));
		kf_key_int(&k, f.resp->ldap->result_code);
		bool fresh;
		struct bind_group *g = kf_rule_session_group(ctx, &gs, k, f.s, f.req, f.resp, &fresh);
		if (!g)
			break;
		if (fresh)
			g->f = f;
	}
	for (size_t j = 0; j < gs.n; j++)
		bind_emit(ctx, (struct bind_group *)gs.v + j);
	kf_free(gs.v);
}

const struct kf_rule kf_rules_ldap[] = {
	{ { "ldap-bind-failed", KF_SEV_ERROR, KF_RULE_OUTCOME, KF_RULE_RECOVERY_US,
	    "an LDAP bind refused for a reason no Kerberos rule names (AD's data codes: bad password, account "
	    "state; signing or channel binding required; an unsupported mechanism)",
	    bind_causes },
	  rule_ldap_bind_failed },
};
const size_t kf_rules_ldap_count = sizeof kf_rules_ldap / sizeof kf_rules_ldap[0];
