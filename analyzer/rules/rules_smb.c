/* rules_smb.c - what an SMB server answered a logon and a share request:
 * a SESSION_SETUP that failed with a status no Kerberos rule explains
 * (smb-session-failed), and a TREE_CONNECT refused after the logon succeeded
 * (smb-tree-connect-failed) (MS-SMB2 §3.3.5.5, §3.3.5.7; MS-CIFS; NTSTATUS
 * values: MS-ERREF §2.3.1).  Each rule gathers the facts of one exchange,
 * decides the cause from its status, and words the finding from the cause's
 * row (docs/rules.md lists each). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "smb.h"

#define STATUS_MORE_PROCESSING_REQUIRED 0xC0000016u
#define STATUS_PENDING 0x00000103u
#define STATUS_LOGON_FAILURE 0xC000006Du
#define STATUS_ACCESS_DENIED 0xC0000022u
#define STATUS_BAD_NETWORK_NAME 0xC00000CCu
#define DOS_ERRSRV_ERRBADPW 0x00020002u /* SMB1 DOS error class ERRSRV, code ERRbadpw */

/* ---- one logon exchange ---------------------------------------------------- */

/* A SESSION_SETUP exchange: the requests and responses of one connection
 * from the first request after the previous final response (not
 * MORE_PROCESSING_REQUIRED) to the final response resp, and its tokens. */
struct smb_exchange {
	const struct kf_message *resp, *req;   /* the final response, its request */
	const struct kf_message *ap, *krb_err; /* a Kerberos AP-REQ, a KRB-ERROR */
	const struct kf_message *auth, *chal;  /* NTLM AUTHENTICATE, CHALLENGE */
	const struct kf_message *first;        /* its first request */
	const char *user;                      /* DOMAIN\user, the ticket's holder, the SMB1 account */
	const char *share;                     /* a TREE_CONNECT chained to a request (SMB1 AndX) */
	bool anonymous;                        /* no user's credentials were sent */
	struct kf_evidence e;                  /* its requests, tokens and final response */
};

/* A response from the server: answering a request, or from its port. */
static bool from_server(const struct kf_message *m)
{
	return m->request_id || m->src.port == 445 || m->src.port == 139;
}

static bool is_final(const struct kf_message *m)
{
	return kf_rule_smb_cmd(m, KF_MSG_SMB_RESPONSE, KF_SMB2_SESSION_SETUP) && m->smb->has_status &&
	       m->smb->status != STATUS_MORE_PROCESSING_REQUIRED && from_server(m);
}

/* The user the exchange speaks for, and whether it is anonymous. */
static void exchange_user(struct kf_rule_ctx *ctx, struct smb_exchange *x)
{
	const struct kf_ntlm_rec *n = x->auth ? x->auth->ntlm : NULL;
	const struct kf_smb_rec *q = x->req ? x->req->smb : NULL;
	if (n && !n->anonymous && n->user && *n->user)
		x->user = n->domain && *n->domain ? kf_rule_fmt(ctx, "%s\\%s", n->domain, n->user) : n->user;
	else if (x->ap) {
		const struct kf_dec_ticket *d = x->ap->dec ? x->ap->dec->ticket : NULL;
		x->user = kf_rule_ticket_holder(ctx, x->ap);
		if (!x->user && d && d->status == KF_OPEN_OK)
			x->user = kf_rule_princ(ctx, d->cname, d->crealm);
	} else if (q && q->account && *q->account)
		x->user = q->domain && *q->domain ? kf_rule_fmt(ctx, "%s\\%s", q->domain, q->account)
						  : q->account;
	/* anonymous: NTLM's anonymous AUTHENTICATE, or a request with no user,
	 * no ticket and no token at all (an SMB1 null session) */
	x->anonymous = (n && (n->anonymous || !n->user || !*n->user) && !x->ap) ||
		       (!n && !x->ap && !x->user && q && !q->token_bytes);
}

/* The exchange that resp ends (ci: the messages by connection). */
static void exchange_of(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, const struct kf_message *resp,
			struct smb_exchange *x)
{
	const struct kf_result *r = kf_rule_result(ctx);
	memset(x, 0, sizeof *x);
	x->resp = resp;
	x->req = kf_msg_request(r, resp);
	size_t n, at = (size_t)(resp - r->messages);
	const struct kf_conn_msg *cm = kf_conn_ix_find(ci, resp->connection, &n);
	size_t k = 0, hi = n; /* k: the entries up to resp (binary search: a connection may be long) */
	while (k < hi) {
		size_t mid = (k + hi) / 2;
		if (cm[mid].ix <= at)
			k = mid + 1;
		else
			hi = mid;
	}
	/* back from resp to the previous final response */
	for (; k; k--) {
		const struct kf_message *m = &r->messages[cm[k - 1].ix];
		if (m != resp && is_final(m))
			break;
		if (kf_rule_smb_cmd(m, KF_MSG_SMB_REQUEST, KF_SMB2_SESSION_SETUP)) {
			x->first = m;
			kf_evidence_add(&x->e, m->frame);
		}
		if (kf_rule_smb_cmd(m, KF_MSG_SMB_REQUEST, KF_SMB2_TREE_CONNECT) && m->smb->tree && x->req &&
		    m->frame == x->req->frame)
			x->share = m->smb->tree;
		if (!kf_msg_in_app_protocol(m))
			continue;
		const struct kf_message **slot = m->type == KF_KRB_AP_REQ              ? &x->ap
						 : m->type == KF_KRB_ERROR             ? &x->krb_err
						 : m->type == KF_MSG_NTLM_AUTHENTICATE ? &x->auth
						 : m->type == KF_MSG_NTLM_CHALLENGE    ? &x->chal
										       : NULL;
		if (slot && !*slot)
			*slot = m;
		if (slot)
			kf_evidence_add(&x->e, m->frame);
	}
	kf_evidence_add(&x->e, resp->frame);
	exchange_user(ctx, x);
}

/* The server's name for the words: the host of the ticket's SPN, the DNS
 * name its NTLM CHALLENGE gives, else its address. */
static const char *server_name(struct kf_rule_ctx *ctx, const struct smb_exchange *x)
{
	const struct kf_ticket_rec *t = x->ap ? x->ap->krb.ticket : NULL;
	const char *slash = t ? strchr(t->sname, '/') : NULL;
	char a[64];
	kf_endpoint_addr(&x->resp->src, a, sizeof a);
	if (slash)
		return kf_rule_fmt(ctx, "%s (%s)", slash + 1, a);
	if (x->chal && x->chal->ntlm && x->chal->ntlm->dns_computer)
		return kf_rule_fmt(ctx, "%s (%s)", x->chal->ntlm->dns_computer, a);
	return kf_rule_fmt(ctx, "%s", a);
}

/* The capture's names for the fix's placeholders: the user (not for an
 * anonymous logon), the server's host name (the ticket's SPN, NTLM's DNS
 * name, else its address), the share of \\server\share. */
static const char *fix_in_names(struct kf_rule_ctx *ctx, const char *fix, const struct smb_exchange *x,
				const struct kf_message *resp, const char *path)
{
	const struct kf_ticket_rec *t = x->ap ? x->ap->krb.ticket : NULL;
	const char *slash = t ? strchr(t->sname, '/') : NULL;
	char a[64];
	kf_endpoint_addr(&resp->src, a, sizeof a);
	const char *server = slash ? slash + 1
			     : x->chal && x->chal->ntlm && x->chal->ntlm->dns_computer
				     ? x->chal->ntlm->dns_computer
				     : kf_rule_fmt(ctx, "%s", a);
	const char *share = path ? strrchr(path, '\\') : NULL;
	struct kf_fix_names n = { .user = x->anonymous ? NULL : x->user,
				  .server = server,
				  .share = share && share[1] ? share + 1 : NULL };
	return kf_rule_fix_fill(ctx, fix, &n);
}

/* Whose logon it was, for a summary: the user, else what the capture shows. */
static const char *who_words(struct kf_rule_ctx *ctx, const struct smb_exchange *x)
{
	if (x->user)
		return x->user;
	if (x->anonymous)
		return "an anonymous logon";
	if (x->ap && x->ap->krb.ticket)
		return kf_rule_fmt(ctx, "a Kerberos logon (a ticket for %s)", x->ap->krb.ticket->sname);
	return x->req ? "a logon" : "a logon whose request is not in the capture";
}

/* "STATUS_LOGON_FAILURE (0xC000006D)", or the DOS error of SMB1. */
static const char *status_text(struct kf_rule_ctx *ctx, const struct kf_smb_rec *s, const char *name)
{
	if (s->dos_error)
		return kf_rule_fmt(ctx, "DOS error class 0x%02X code 0x%04X%s", s->status >> 16,
				   s->status & 0xffffu,
				   s->status == DOS_ERRSRV_ERRBADPW ? " (ERRSRV/ERRbadpw)" : "");
	const char *n = name ? name : kf_ntstatus_name(s->status);
	n = n ? n : kf_krb5_ntstatus_name(s->status);
	return n ? kf_rule_fmt(ctx, "%s (0x%08X)", n, s->status)
		 : kf_rule_fmt(ctx, "NTSTATUS 0x%08X", s->status);
}

/* ---- smb-session-failed ------------------------------------------------------ */

enum sess_cause {
	SF_LOGON_FAILURE,
	SF_KERBEROS_REFUSED,
	SF_ACCOUNT_DISABLED,
	SF_ACCOUNT_EXPIRED,
	SF_LOCKED_OUT,
	SF_PASSWORD_EXPIRED,
	SF_RESTRICTION,
	SF_ACCESS_DENIED,
	SF_ANONYMOUS,
	SF_CLOCK,
	SF_SECURE_CHANNEL,
	SF_NTLM_BLOCKED,
	SF_OTHER,
	SF__COUNT
};

/* What a cause says: the summary's end, the explanation after the
 * status's own sentence, the fix. */
struct sess_words {
	const char *id;
	enum kf_severity sev;
	const char *phrase, *explanation, *fix;
};

#define SF_EVENT_4625                                                                                        \
	" On the server, with failure auditing on, event 4625 in the Security log records the logon with "   \
	"its Status and Sub Status."

static const struct sess_words sess_words[SF__COUNT] = {
	[SF_LOGON_FAILURE] = {
		"logon-failure", KF_SEV_ERROR, "unknown user or bad password",
		"The user name or the password was not accepted (Windows answers both with STATUS_LOGON_FAILURE, "
		"so as not to say which). After a password change the usual source is a stored credential: a "
		"mapped drive's saved password, Credential Manager, a service or scheduled task running as the "
		"user, a Linux mount's credentials file.",
		"Check the user name and domain the client sent and the password; update or remove stored "
		"credentials (`cmdkey /list`, `cmdkey /delete:<server>`, the service's or task's logon, the "
		"mount's credentials file)." SF_EVENT_4625 " Sub Status 0xC000006A is a wrong password, "
		"0xC0000064 an unknown user; for a domain account the domain controller logs event 4776 with the "
		"same code. Repeated failures lock the account where a lockout policy applies.",
	},
	[SF_KERBEROS_REFUSED] = {
		"kerberos-ticket-refused", KF_SEV_ERROR, "the server did not accept the Kerberos ticket",
		"The client's password was not the question: it logged on with a Kerberos ticket, and the server "
		"refused the logon without a Kerberos error to say why. Usually it could not decrypt the ticket "
		"(what KRB_AP_ERR_MODIFIED says when a server sends it): the name leads to another machine than "
		"the one that owns the SPN (a stale DNS record, an alias registered on another computer), the SPN "
		"is on two accounts, or the server's computer account password is out of step with the domain. "
		"A server outside the ticket's domain may also refuse what the ticket carries (a PAC): an MIT "
		"realm's service principal for such a server needs +no_auth_data_required, or the server must "
		"join the domain.",
		"Check that the name resolves to this server (`nslookup`), who owns the SPN (`setspn -Q HOST/<server>`, "
		"duplicates: `setspn -X`), and the server's secure channel (`nltest /sc_verify:<domain>`, "
		"`Test-ComputerSecureChannel -Repair`; Samba: `net ads testjoin`). The server's System log "
		"(Kerberos errors) and Security log (event 4625) name the reason. Then `klist purge` on the client.",
	},
	[SF_ACCOUNT_DISABLED] = {
		"account-disabled", KF_SEV_ERROR, "the account is disabled",
		"The account exists and the password may well be right, but the account is disabled.",
		"Enable the account if it should log on: Enable-ADAccount <user> (Samba: `samba-tool user enable <user>`; "
		"a local account: `net user <user> /active:yes`)." SF_EVENT_4625 " Here: Sub Status 0xC0000072.",
	},
	[SF_ACCOUNT_EXPIRED] = {
		"account-expired", KF_SEV_ERROR, "the account has expired",
		"The account's expiry date has passed.",
		"Extend or clear the expiry: Set-ADAccountExpiration <user> -DateTime <date> or "
		"Clear-ADAccountExpiration <user> (Samba: `samba-tool user setexpiry <user> --noexpiry`)." SF_EVENT_4625
		" Here: Sub Status 0xC0000193.",
	},
	[SF_LOCKED_OUT] = {
		"account-locked-out", KF_SEV_ERROR, "the account is locked out",
		"Too many bad passwords locked the account: it stays locked for the lockout duration or until an "
		"administrator unlocks it, whatever password is given meanwhile.",
		"Find the source of the bad passwords before unlocking (event 4740 on the PDC emulator names the "
		"calling computer; events 4771/4776/4625 the failures), then Unlock-ADAccount <user> (Samba: "
		"`samba-tool user unlock <user>`; a local account: clear \"Account is locked out\" in Local Users and Groups).",
	},
	[SF_PASSWORD_EXPIRED] = {
		"password-expired", KF_SEV_ERROR, "the password has expired or must be changed",
		"A network logon cannot change a password, so SMB fails until the password is changed "
		"interactively (Ctrl+Alt+Del, kpasswd) or reset by an administrator.",
		"Change the password, or reset it (Set-ADAccountPassword <user> -Reset), then update every place "
		"that stores it; for service accounts use a group managed service account (gMSA) or a policy "
		"without expiry." SF_EVENT_4625,
	},
	[SF_RESTRICTION] = {
		"account-restriction", KF_SEV_ERROR, "an account restriction applies",
		"The credentials are right, but a restriction on the account or on the server forbids this logon.",
		"Review the restriction the status names: logon hours and \"Log On To\" workstations (Active "
		"Directory Users and Computers, the account's Account tab); the server's user rights \"Access this "
		"computer from the network\" and \"Deny access to this computer from the network\" (secpol.msc or "
		"the GPO's User Rights Assignment); \"Allowed to authenticate\" on the server's computer object for "
		"a trust with selective authentication; a password for an account with a blank one." SF_EVENT_4625,
	},
	[SF_ACCESS_DENIED] = {
		"access-denied", KF_SEV_ERROR, "refused by the server's policy",
		"STATUS_ACCESS_DENIED at logon is not a wrong password (that is STATUS_LOGON_FAILURE): the server's "
		"own policy refused this session, for example an SMB 3 server that requires encryption the client "
		"does not offer (RejectUnencryptedAccess), or a server refusing guest sessions.",
		"Check the server's SMB settings (Get-SmbServerConfiguration: EncryptData, "
		"RejectUnencryptedAccess) against what the client supports, whether the logon would become a guest "
		"one (an account the server does not know), and the server's Microsoft-Windows-SMBServer/Security "
		"log for the refusal (Samba: its log at a higher log level).",
	},
	[SF_ANONYMOUS] = {
		"anonymous-refused", KF_SEV_INFO, "anonymous session refused",
		"No user's credentials were sent (an NTLM AUTHENTICATE without a user, or an empty account name), "
		"and the server does not allow anonymous (null) sessions. Tools "
		"probe servers this way; it is a problem only when the client was meant to log on as a user and "
		"had no credentials to send (a mount or smbclient without a user name, a service on a computer "
		"outside the domain).",
		"Give the client credentials (`mount -t cifs -o username=...`, `smbclient -U <user>`, `net use "
		"... /user:<user>`). Allow anonymous access on the server only if it is really wanted (Windows: "
		"the \"Network access\" policies on anonymous access; Samba: `restrict anonymous`, `map to guest`).",
	},
	[SF_CLOCK] = {
		"clock-difference", KF_SEV_ERROR, "clocks differ by more than the tolerance",
		"The clocks of the server and a domain controller (or of the client, for Kerberos) differ by more "
		"than Kerberos allows, and the answer carries no Kerberos error to measure it with.",
		"Synchronise the clocks (domain members: `w32tm /resync`, `w32tm /query /status`; the PDC emulator "
		"from a reliable source; Linux: chrony or ntpd against the domain controllers); don't widen the "
		"tolerance.",
	},
	[SF_SECURE_CHANNEL] = {
		"secure-channel", KF_SEV_ERROR, "the server cannot check the logon with a domain controller",
		"The server passes a domain user's logon to a domain controller over its secure channel (Netlogon), "
		"and that failed: the user's password is not the question.",
		"On the server: `nltest /sc_query:<domain>` and `nltest /sc_verify:<domain>` (or "
		"Test-ComputerSecureChannel); repair with `Test-ComputerSecureChannel -Repair` or `netdom resetpwd "
		"/server:<dc> /userd:<admin> /passwordd:*`; check that it finds a domain controller (`nltest "
		"/dsgetdc:<domain>`, DNS) and that the Netlogon service runs; for a trust: `netdom trust <domain> "
		"/domain:<other> /verify`.",
	},
	[SF_NTLM_BLOCKED] = {
		"ntlm-blocked", KF_SEV_ERROR, "NTLM is blocked by policy",
		"The server or a domain controller restricts NTLM (\"Network security: Restrict NTLM\" policies) and "
		"this logon used NTLM; Kerberos would have been allowed (ntlm-fallback says why the client did not "
		"use it, when the server offered it).",
		"Make the client use Kerberos (the server's DNS name and a domain account), or add an exception "
		"(\"Network security: Restrict NTLM: Add server exceptions\"); the Microsoft-Windows-NTLM/Operational "
		"log lists the blocked logons.",
	},
	[SF_OTHER] = {
		"other", KF_SEV_ERROR, "session setup failed",
		"The status names the reason; krbflow has no explanation of its own for it.",
		"Look the status up (MS-ERREF, NTSTATUS values) and check the server's Security log (event 4625) and "
		"its SMB server log for the logon.",
	},
};

static const char *const sess_causes[] = { "logon-failure",
					   "kerberos-ticket-refused",
					   "account-disabled",
					   "account-expired",
					   "account-locked-out",
					   "password-expired",
					   "account-restriction",
					   "access-denied",
					   "anonymous-refused",
					   "clock-difference",
					   "secure-channel",
					   "ntlm-blocked",
					   "other",
					   NULL };

/* The statuses krbflow explains: their cause and the sentence they say. */
static const struct {
	uint32_t status;
	enum sess_cause cause;
	const char *name, *says;
} sess_status[] = {
	{ 0xC000006Du, SF_LOGON_FAILURE, NULL, "" },
	{ 0xC000006Au, SF_LOGON_FAILURE, NULL, "The password is wrong for this account. " },
	{ 0xC0000064u, SF_LOGON_FAILURE, NULL, "No account has this name. " },
	{ 0xC0000072u, SF_ACCOUNT_DISABLED, NULL, "" },
	{ 0xC0000193u, SF_ACCOUNT_EXPIRED, NULL, "" },
	{ 0xC0000234u, SF_LOCKED_OUT, NULL, "" },
	{ 0xC0000071u, SF_PASSWORD_EXPIRED, NULL, "The password has expired (maximum password age). " },
	{ 0xC0000224u, SF_PASSWORD_EXPIRED, NULL, "The account must change its password at next logon. " },
	{ 0xC000006Eu, SF_RESTRICTION, NULL,
	  "An account restriction applies, such as a blank password (refused for network logons by default). " },
	{ 0xC000006Fu, SF_RESTRICTION, NULL, "The account may not log on at this time (its logon hours). " },
	{ 0xC0000070u, SF_RESTRICTION, NULL,
	  "The account may not log on from this computer (its \"Log On To\" workstations). " },
	{ 0xC000015Bu, SF_RESTRICTION, NULL,
	  "The user does not have the right to log on to this server over the network (\"Access this computer "
	  "from the network\"), or is denied it (\"Deny access to this computer from the network\"). " },
	{ 0xC0000413u, SF_RESTRICTION, NULL,
	  "The user comes over a trust with selective authentication and is not allowed to authenticate to "
	  "this server (\"Allowed to authenticate\"). " },
	{ 0xC0000022u, SF_ACCESS_DENIED, NULL, "" },
	{ 0xC0000133u, SF_CLOCK, NULL, "" },
	{ 0xC000005Eu, SF_SECURE_CHANNEL, NULL,
	  "The server found no domain controller to pass the logon to. " },
	{ 0xC000018Du, SF_SECURE_CHANNEL, NULL,
	  "The server's trust with its domain is broken: its computer account password no longer matches the "
	  "domain's. " },
	{ 0xC000018Cu, SF_SECURE_CHANNEL, NULL,
	  "The trust between the server's domain and the user's failed. " },
	{ 0xC000018Bu, SF_SECURE_CHANNEL, NULL,
	  "The domain has no computer account for the server (deleted or reset). " },
	{ 0xC0000192u, SF_SECURE_CHANNEL, NULL, "The server's Netlogon service is not running. " },
	{ 0xC0000418u, SF_NTLM_BLOCKED, "STATUS_NTLM_BLOCKED", "" },
	{ 0xC00000A8u, SF_KERBEROS_REFUSED, NULL,
	  "The server could not use the token it was given (STATUS_BAD_TOKEN_TYPE): a Samba server that is "
	  "not a member of the ticket's domain answers this to a ticket carrying a PAC it cannot check. " },
};

/* What one failed logon is: its exchange, the status's row (-1: none). */
struct sess_facts {
	struct smb_exchange x;
	int row;
};

static enum sess_cause sess_verdict(const struct sess_facts *f)
{
	const struct kf_smb_rec *s = f->x.resp->smb;
	if (f->x.anonymous)
		return SF_ANONYMOUS;
	if (s->dos_error)
		return s->status == DOS_ERRSRV_ERRBADPW ? SF_LOGON_FAILURE : SF_OTHER;
	enum sess_cause c = f->row < 0 ? SF_OTHER : sess_status[f->row].cause;
	return c == SF_LOGON_FAILURE && f->x.ap ? SF_KERBEROS_REFUSED : c;
}

/* A failed SESSION_SETUP this rule judges: a final response with a failure
 * status from the server, whose exchange holds no Kerberos error (the
 * Kerberos rules name those: clock-skew, ap-err-modified, not-us, ...). */
static bool sess_facts_of(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, const struct kf_message *m,
			  struct sess_facts *f)
{
	if (!is_final(m) || m->smb->status == 0 || m->smb->status == STATUS_PENDING)
		return false;
	exchange_of(ctx, ci, m, &f->x);
	if (f->x.krb_err && f->x.krb_err->krb.error_code != 0)
		return false;
	f->row = -1;
	for (size_t i = 0; !m->smb->dos_error && i < sizeof sess_status / sizeof sess_status[0]; i++)
		if (sess_status[i].status == m->smb->status)
			f->row = (int)i;
	return true;
}

/* Did the client log on to the server as the same user within
 * KF_RULE_RECOVERY_US after the failure?  When the failure's user is not
 * known, any logon but an anonymous one counts. */
static bool sess_recovered(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, const struct sess_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	const struct kf_message *fail = f->x.resp;
	struct kf_at_addr at = kf_result_at_addr(r, &fail->dst, fail->frame + 1);
	/* bounded: a client of thousands of logons a second must not make
	 * every failure look at all of them */
	size_t n = at.n < KF_LIMIT_RECOVERY_SCAN ? at.n : KF_LIMIT_RECOVERY_SCAN;
	for (size_t i = 0; i < n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->ts_us > fail->ts_us + KF_RULE_RECOVERY_US)
			break;
		if (!KF_AT_ADDR_IS_DST(at.v[i]) || !kf_endpoint_same_addr(&m->src, &fail->src) ||
		    !kf_rule_smb_session_ok(m))
			continue;
		struct smb_exchange ok;
		exchange_of(ctx, ci, m, &ok);
		if (!ok.anonymous && (!f->x.user || kf_name_eq_nocase(ok.user, f->x.user)))
			return true;
	}
	return false;
}

/* How the client logged on, for the explanation. */
static const char *logon_words(struct kf_rule_ctx *ctx, const struct smb_exchange *x)
{
	const struct kf_ticket_rec *t = x->ap ? x->ap->krb.ticket : NULL;
	if (x->anonymous)
		return "anonymously";
	if (x->ap)
		return kf_rule_fmt(ctx, "with Kerberos (a ticket for %s%s%s)", t ? t->sname : "?",
				   x->user ? " issued to " : "", x->user ? x->user : "");
	if (x->auth)
		return kf_rule_fmt(ctx, "with NTLM as %s", x->user ? x->user : "?");
	return kf_rule_fmt(ctx, "as %s", x->user ? x->user : "an unnamed user");
}

/* One finding per client, server, user and status: its first failure, how
 * many, and their frames. */
struct sess_group {
	struct kf_key key;
	struct sess_facts f;
	size_t count;
	struct kf_evidence e;
};

static void sess_emit(struct kf_rule_ctx *ctx, const struct sess_group *g)
{
	const struct smb_exchange *x = &g->f.x;
	enum sess_cause c = sess_verdict(&g->f);
	const struct sess_words *w = &sess_words[c];
	const char *name = g->f.row >= 0 ? sess_status[g->f.row].name : NULL;
	const char *st = status_text(ctx, x->resp->smb, name);
	const char *server = server_name(ctx, x);
	const char *times = g->count > 1 ? kf_rule_fmt(ctx, " (%zu times)", g->count) : "";
	const char *who = who_words(ctx, x);
	char cl[64];
	kf_endpoint_addr(&x->resp->dst, cl, sizeof cl);
	const char *summary = kf_rule_fmt(ctx, "SMB server %s refused %s from %s: %s, %s%s", server, who, cl,
					  st, w->phrase, times);
	const char *expl = kf_rule_fmt(
		ctx,
		"The client %s logged on to %s %s (SESSION_SETUP, frame %llu%s%s) and the server answered %s (frame "
		"%llu). %s%s",
		cl, server, logon_words(ctx, x),
		(unsigned long long)(x->req ? x->req->frame : x->resp->frame),
		x->share ? ", with a TREE_CONNECT to " : "", x->share ? x->share : "", st,
		(unsigned long long)x->resp->frame, g->f.row >= 0 ? sess_status[g->f.row].says : "",
		w->explanation);
	/* whom: the client, the server, the user, the ticket's service */
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &x->resp->dst, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &x->resp->src, true);
	kf_subject_add(ctx, &b, KF_SUBJECT_SERVER, x->share);
	kf_subject_add(ctx, &b, KF_SUBJECT_USER, x->user);
	if (x->ap && x->ap->krb.ticket) {
		kf_subject_principal(ctx, &b, KF_SUBJECT_SERVICE, x->ap->krb.ticket->sname,
				     x->ap->krb.ticket->realm);
		kf_rule_subject_ticket_user(ctx, &b, x->ap);
	}
	kf_rule_emit(ctx, sess_causes, (struct kf_rule_verdict){ c, w->sev, KF_CONF_CERTAIN },
		     (struct kf_rule_words){ summary, expl, fix_in_names(ctx, w->fix, x, x->resp, x->share) },
		     &g->e, &b);
}

static void rule_smb_session_failed(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_conn_ix ci;
	if (!kf_conn_ix_build(r, &ci)) {
		kf_rule_nomem(ctx);
		return;
	}
	struct kf_groups gs = { .size = sizeof(struct sess_group) };
	for (size_t i = 0; i < r->n_messages; i++) {
		struct sess_facts f;
		if (!sess_facts_of(ctx, &ci, &r->messages[i], &f) || sess_recovered(ctx, &ci, &f))
			continue;
		struct kf_key k = kf_key_new();
		kf_key_addr(&k, &f.x.resp->src);
		kf_key_addr(&k, &f.x.resp->dst);
		kf_key_name(&k, f.x.user);
		kf_key_int(&k, sess_verdict(&f));
		kf_key_int(&k, f.x.resp->smb->status);
		bool fresh;
		struct sess_group *g = kf_groups_slot(ctx, &gs, k, &fresh);
		if (!g)
			break;
		if (fresh) {
			g->f = f;
			g->e = f.x.e;
		} else {
			kf_evidence_add_msg(&g->e, f.x.req);
			kf_evidence_add(&g->e, f.x.resp->frame);
		}
		g->count++;
	}
	for (size_t j = 0; j < gs.n; j++)
		sess_emit(ctx, (struct sess_group *)gs.v + j);
	kf_free(gs.v);
	kf_free(ci.v);
}

/* ---- smb-tree-connect-failed ------------------------------------------------- */

enum tree_cause { TC_ADMIN_SHARE, TC_ACCESS_DENIED, TC_BAD_NETWORK_NAME, TC_OTHER };
static const char *const tree_causes[] = { "admin-share-denied", "access-denied", "bad-network-name", "other",
					   NULL };

/* An administrative share: ADMIN$, or a drive's (C$). */
static bool admin_share(const char *path)
{
	const char *s = path ? strrchr(path, '\\') : NULL;
	s = s ? s + 1 : path;
	if (!s)
		return false;
	return strcasecmp(s, "ADMIN$") == 0 ||
	       (strlen(s) == 2 && s[1] == '$' && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'));
}

static enum tree_cause tree_verdict(const struct kf_message *resp, const char *path)
{
	uint32_t st = resp->smb->dos_error ? 1 : resp->smb->status;
	if (st == STATUS_ACCESS_DENIED)
		return admin_share(path) ? TC_ADMIN_SHARE : TC_ACCESS_DENIED;
	return st == STATUS_BAD_NETWORK_NAME ? TC_BAD_NETWORK_NAME : TC_OTHER;
}

/* The logon the tree connect rides on: the latest final SESSION_SETUP
 * response of its connection and session before it. */
static const struct kf_message *tree_session(const struct kf_result *r, const struct kf_conn_ix *ci,
					     const struct kf_message *resp)
{
	size_t n, at = (size_t)(resp - r->messages);
	const struct kf_conn_msg *cm = kf_conn_ix_find(ci, resp->connection, &n);
	const struct kf_message *best = NULL;
	for (size_t k = 0; k < n && cm[k].ix < at; k++) {
		const struct kf_message *m = &r->messages[cm[k].ix];
		if (is_final(m) && m->smb->session_id == resp->smb->session_id)
			best = m;
	}
	return best;
}

static const char *const tree_fix[] = {
	[TC_ADMIN_SHARE] =
		"Add the account (or a group of it) to the server's local Administrators group. For a local account, "
		"use the built-in Administrator, or set LocalAccountTokenFilterPolicy = 1 (DWORD, "
		"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System), which lifts the remote "
		"restriction for all local administrators: prefer a domain account.",
	[TC_ACCESS_DENIED] =
		"Check the share's permissions (Get-SmbShareAccess -Name <share>) and the folder's NTFS permissions "
		"for the user and its groups (a new group membership needs a new logon); whether the share requires "
		"encryption (Get-SmbShare <share> | Format-List EncryptData) the client lacks; Samba: the share's "
		"section of smb.conf (valid users, read only). The server's Microsoft-Windows-SMBServer/Security "
		"log records the refusal.",
	[TC_BAD_NETWORK_NAME] =
		"List the server's shares (`net view \\\\<server>`, Get-SmbShare on the server; Samba: `smbclient -L "
		"<server>`) and correct the path in the drive mapping, script or application.",
	[TC_OTHER] = "Look the status up (MS-ERREF) and check the server's SMB server log for the request.",
};

static void tree_emit(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, const struct kf_message *resp,
		      const char *path, size_t count, const struct kf_evidence *e)
{
	const struct kf_result *r = kf_rule_result(ctx);
	enum tree_cause c = tree_verdict(resp, path);
	const struct kf_message *sess = tree_session(r, ci, resp);
	struct smb_exchange x = { .resp = NULL };
	if (sess)
		exchange_of(ctx, ci, sess, &x);
	bool guest = sess && (x.anonymous ||
			      (sess->smb->session_flags & (KF_SMB_SESSION_GUEST | KF_SMB_SESSION_NULL)));
	const char *who = sess ? who_words(ctx, &x) : "a session whose logon is not in the capture";
	const char *st = status_text(ctx, resp->smb, NULL);
	char srv[64], cl[64];
	kf_endpoint_addr(&resp->src, srv, sizeof srv);
	kf_endpoint_addr(&resp->dst, cl, sizeof cl);
	const char *logon =
		sess ? kf_rule_fmt(ctx, "The logon succeeded (frame %llu%s); then ",
				   (unsigned long long)sess->frame,
				   guest ? ", as a guest or anonymous session: the server did not log the "
					   "user on as themselves, and shares refuse such sessions unless "
					   "they allow them"
					 : "")
		     : "The logon is not in the capture; ";
	static const char *const why[] = {
		[TC_ADMIN_SHARE] =
			"the server refused the administrative share: ADMIN$ and the drive shares "
			"(C$, ...) are open to the server's administrators only. A domain account must be "
			"in the server's Administrators group; a local account other than the built-in "
			"Administrator is refused over the network by UAC's remote restrictions even when "
			"it is an administrator.",
		[TC_ACCESS_DENIED] =
			"the server refused the share: its permissions (or its folder's) do not "
			"grant this user access, or the share requires encryption the client did not "
			"offer.",
		[TC_BAD_NETWORK_NAME] = "the server has no share by that name: a typo, a share removed or "
					"renamed, or a path meant for another server.",
		[TC_OTHER] = "the server refused the share with this status.",
	};
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &resp->dst, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &resp->src, true);
	kf_subject_add(ctx, &b, KF_SUBJECT_SERVER, path);
	kf_subject_add(ctx, &b, KF_SUBJECT_USER, x.user);
	if (x.ap && x.ap->krb.ticket)
		kf_subject_principal(ctx, &b, KF_SUBJECT_SERVICE, x.ap->krb.ticket->sname,
				     x.ap->krb.ticket->realm);
	struct kf_evidence ev = *e;
	if (sess)
		kf_evidence_add(&ev, sess->frame);
	kf_rule_emit(
		ctx, tree_causes, (struct kf_rule_verdict){ c, KF_SEV_WARNING, KF_CONF_CERTAIN },
		(struct kf_rule_words){
			kf_rule_fmt(ctx, "SMB server %s refused the share %s to %s from %s: %s%s", srv,
				    path ? path : "(path not seen)", who, cl, st,
				    count > 1 ? kf_rule_fmt(ctx, " (%zu times)", count) : ""),
			kf_rule_fmt(
				ctx,
				"%s%s answered the TREE_CONNECT to %s with %s (frame %llu): %s Authentication "
				"is not what failed.",
				logon, srv, path ? path : "a share", st, (unsigned long long)resp->frame,
				why[c]),
			fix_in_names(ctx, tree_fix[c], &x, resp, path) },
		&ev, &b);
}

static void rule_smb_tree_connect_failed(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_conn_ix ci;
	if (!kf_conn_ix_build(r, &ci)) {
		kf_rule_nomem(ctx);
		return;
	}
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (!kf_rule_smb_cmd(m, KF_MSG_SMB_RESPONSE, KF_SMB2_TREE_CONNECT) || !m->smb->has_status ||
		    m->smb->status == 0 || m->smb->status == STATUS_PENDING || !from_server(m))
			continue;
		const char *path = m->smb->tree;
		struct kf_key k = kf_key_new();
		kf_key_addr(&k, &m->src);
		kf_key_addr(&k, &m->dst);
		kf_key_name(&k, path);
		kf_key_int(&k, m->smb->status);
		if (!kf_seen_add(ctx, &seen, k))
			continue;
		/* the same refusal again: the client's later ones */
		struct kf_evidence e = { .n = 0 };
		size_t count = 0;
		struct kf_at_addr at = kf_result_at_addr(r, &m->dst, m->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (o < m || !KF_AT_ADDR_IS_DST(at.v[j]) ||
			    !kf_endpoint_same_addr(&o->src, &m->src) ||
			    !kf_rule_smb_cmd(o, KF_MSG_SMB_RESPONSE, KF_SMB2_TREE_CONNECT) ||
			    o->smb->status != m->smb->status || !kf_name_same_nocase(o->smb->tree, path))
				continue;
			count++;
			kf_evidence_add_msg(&e, kf_msg_request(r, o));
			kf_evidence_add(&e, o->frame);
		}
		tree_emit(ctx, &ci, m, path, count, &e);
	}
	kf_seen_free(&seen);
	kf_free(ci.v);
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_smb[] = {
	{ { "smb-session-failed", KF_SEV_ERROR, KF_RULE_OUTCOME, KF_RULE_RECOVERY_US,
	    "an SMB SESSION_SETUP failed with a status no Kerberos rule explains (wrong password, account "
	    "state, restrictions, the server's secure channel)",
	    sess_causes },
	  rule_smb_session_failed },
	{ { "smb-tree-connect-failed", KF_SEV_WARNING, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "a TREE_CONNECT refused after the logon (share permissions, an administrative share, no such share)",
	    tree_causes },
	  rule_smb_tree_connect_failed },
};
const size_t kf_rules_smb_count = sizeof kf_rules_smb / sizeof kf_rules_smb[0];
