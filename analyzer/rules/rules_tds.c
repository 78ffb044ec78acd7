/* rules_tds.c - sql-login-failed: a SQL Server login answered by a login
 * error in clear (MS-TDS ERROR token: 18456 "Login failed for user" with
 * its state, 18452 untrusted domain, 18470 disabled, 18486-18488 lockout and
 * password).  The state SQL Server sends is the reason only where the server
 * sends it (it usually sends 1 to the client and writes the real one to its
 * error log).  "NT AUTHORITY\ANONYMOUS LOGON" is the double hop: a front
 * end logged on without the user's credentials.  It reads the TDS sessions
 * (sessions.h) and, for the double hop, the story whose back end the login
 * is. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/limits.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "sessions.h"
#include "stories.h"

#define SQL_LOGIN_FAILED 18456u
#define SQL_UNTRUSTED_DOMAIN 18452u
#define SQL_LOGIN_DISABLED 18470u
#define SQL_LOCKED_OUT 18486u
#define SQL_PASSWORD_EXPIRED 18487u
#define SQL_MUST_CHANGE 18488u

enum sql_cause {
	SQ_ANONYMOUS,
	SQ_UNTRUSTED,
	SQ_BAD_PASSWORD,
	SQ_UNKNOWN_LOGIN,
	SQ_WINDOWS_NAME,
	SQ_DISABLED,
	SQ_LOCKED_OUT,
	SQ_PASSWORD_EXPIRED,
	SQ_NO_ACCESS,
	SQ_DATABASE,
	SQ_SQL_AUTH_OFF,
	SQ_REASON_HIDDEN,
	SQ_OTHER,
	SQ__COUNT
};

static const char *const sql_causes[] = { "anonymous-logon",
					  "untrusted-domain",
					  "bad-password",
					  "unknown-login",
					  "windows-name-with-sql-auth",
					  "login-disabled",
					  "locked-out",
					  "password-expired",
					  "no-server-access",
					  "database-unavailable",
					  "sql-auth-disabled",
					  "reason-hidden",
					  "other",
					  NULL };

#define SQ_ERRORLOG                                                                                           \
	" SQL Server's error log (and the Windows Application log, event 18456) holds the same failure with " \
	"the real state."

static const struct {
	const char *phrase, *explanation, *fix;
} sql_words[SQ__COUNT] = {
	[SQ_ANONYMOUS] = {
		"the login arrived as NT AUTHORITY\\ANONYMOUS LOGON",
		"SQL Server saw no user: the client logged on with Windows authentication but without anyone's "
		"credentials (an anonymous NTLM logon). This is the double hop: a front end (a web site, a report "
		"server, a linked server) that authenticated the user cannot pass the user's identity on unless "
		"Kerberos delegation is set up, and NTLM cannot be delegated at all.",
		"Set up Kerberos delegation from the front end to SQL Server: register MSSQLSvc/<host>:1433 (and "
		"MSSQLSvc/<host>) on the SQL Server service account (setspn -S; no duplicates: setspn -X), allow the "
		"front end's account to delegate to it (constrained delegation, \"Use any authentication protocol\" "
		"if users do not arrive with Kerberos; or resource-based: Set-ADComputer <sql> "
		"-PrincipalsAllowedToDelegateToAccount <front end>), make sure users reach the front end with "
		"Kerberos (its own SPN), and that the front end impersonates the user (IIS: Windows authentication "
		"with ASP.NET impersonation; otherwise connect with a SQL login or a service account on purpose).",
	},
	[SQ_UNTRUSTED] = {
		"login from an untrusted domain",
		"Error 18452: the Windows logon came from a domain SQL Server does not trust, or from a local account "
		"of another machine: in practice Kerberos did not happen (no SPN for the server's name, a name or "
		"address the ticket does not fit, or a client outside the domain) and NTLM with credentials SQL "
		"Server cannot check was used instead.",
		"Connect with the server's DNS name, check MSSQLSvc/<host>:<port> is registered on the SQL Server "
		"service account (setspn -L <account>; Kerberos Configuration Manager for SQL Server finds missing "
		"ones), join the client to the domain or a trusting one, or use a SQL login.",
	},
	[SQ_BAD_PASSWORD] = {
		"wrong password",
		"State 8 (or 9): the SQL login exists and the password does not match.",
		"Correct the password in the connection string, the ODBC DSN or the application's configuration; "
		"after a password change, every stored copy." SQ_ERRORLOG,
	},
	[SQ_UNKNOWN_LOGIN] = {
		"no such login",
		"State 2 or 5: no login by that name exists on the server (a typo, a login dropped, or the "
		"application pointed at another instance).",
		"Create the login (CREATE LOGIN) or correct the name and the server/instance the application "
		"connects to.",
	},
	[SQ_WINDOWS_NAME] = {
		"a Windows name with SQL authentication",
		"State 6: the client sent a DOMAIN\\user name as a SQL login with a password; Windows logins must "
		"use integrated authentication.",
		"Use integrated security (Trusted_Connection=yes / Integrated Security=SSPI) for Windows accounts, "
		"or a SQL login's name with its password.",
	},
	[SQ_DISABLED] = {
		"the login is disabled",
		"The login exists but is disabled on the server (error 18470, or state 7: disabled and a wrong "
		"password).",
		"ALTER LOGIN <name> ENABLE, if the login should be used.",
	},
	[SQ_LOCKED_OUT] = {
		"the login is locked out",
		"Error 18486: the SQL login is locked out after bad passwords (the Windows password policy applies "
		"to SQL logins with CHECK_POLICY).",
		"Find the client sending the bad passwords, then ALTER LOGIN <name> WITH PASSWORD = '...' UNLOCK.",
	},
	[SQ_PASSWORD_EXPIRED] = {
		"the password has expired or must be changed",
		"The login's password has expired or must be changed at first use (error 18487/18488, state 18): "
		"an application cannot do that for the user.",
		"Change the password (ALTER LOGIN <name> WITH PASSWORD = '...'), or for an application's login "
		"turn CHECK_EXPIRATION off and manage its rotation deliberately.",
	},
	[SQ_NO_ACCESS] = {
		"the login has no access to the server",
		"State 11 or 12: the credentials are valid but the login may not connect: a Windows user whose "
		"access comes only through a group without a login, a login denied CONNECT SQL, or a local "
		"administrator whose token was filtered by UAC.",
		"Grant the access: CREATE LOGIN [DOMAIN\\user] FROM WINDOWS (or for its group), GRANT CONNECT SQL, "
		"and check DENY entries.",
	},
	[SQ_DATABASE] = {
		"the database cannot be opened",
		"State 38 or 46: the login succeeded but the database named in the connection (or the login's "
		"default database) does not exist, is offline, or the login has no user in it.",
		"Correct the Initial Catalog / Database of the connection, bring the database online, or create "
		"a user for the login in it (and check the login's default database).",
	},
	[SQ_SQL_AUTH_OFF] = {
		"SQL authentication is off on the server",
		"State 58: the server accepts Windows authentication only, and this was a SQL login.",
		"Use integrated security, or switch the server to SQL Server and Windows Authentication mode "
		"(and restart the service).",
	},
	[SQ_REASON_HIDDEN] = {
		"reason not sent to the client",
		"SQL Server sends state 1 to clients: the reason is only in its error log.",
		"Read the server's error log (or the Application event log, event 18456) for the same time: its "
		"state names the reason (2/5 no such login, 8 wrong password, 11/12 no access, 38 database).",
	},
	[SQ_OTHER] = {
		"login failed",
		"The error number and message name the reason; krbflow has no explanation of its own for it.",
		"Look the error up in SQL Server's documentation and read the server's error log for the same "
		"time." SQ_ERRORLOG,
	},
};

/* One failed login: its session and the answer with the ERROR. */
struct sql_facts {
	const struct kf_session *s;
	const struct kf_message *resp;
	const struct kf_story *story; /* the user's story whose back end this login is, NULL */
};

static bool anonymous_text(const char *msg) { return msg && strstr(msg, "ANONYMOUS LOGON") != NULL; }

static enum sql_cause sql_verdict(const struct sql_facts *f)
{
	const struct kf_tds_rec *t = f->resp->tds;
	if (anonymous_text(t->message) || (f->s->as && !strcmp(f->s->as, "anonymous")))
		return SQ_ANONYMOUS;
	switch (t->error_number) {
	case SQL_UNTRUSTED_DOMAIN: return SQ_UNTRUSTED;
	case SQL_LOGIN_DISABLED: return SQ_DISABLED;
	case SQL_LOCKED_OUT: return SQ_LOCKED_OUT;
	case SQL_PASSWORD_EXPIRED:
	case SQL_MUST_CHANGE: return SQ_PASSWORD_EXPIRED;
	case SQL_LOGIN_FAILED: break;
	default: return SQ_OTHER;
	}
	switch (t->error_state) {
	case 1: return SQ_REASON_HIDDEN;
	case 2:
	case 5: return SQ_UNKNOWN_LOGIN;
	case 6: return SQ_WINDOWS_NAME;
	case 7: return SQ_DISABLED;
	case 8:
	case 9: return SQ_BAD_PASSWORD;
	case 11:
	case 12: return SQ_NO_ACCESS;
	case 18: return SQ_PASSWORD_EXPIRED;
	case 38:
	case 46: return SQ_DATABASE;
	case 58: return SQ_SQL_AUTH_OFF;
	default: return SQ_OTHER;
	}
}

static bool is_login_error(const struct kf_message *m)
{
	return m->type == KF_MSG_TDS_RESPONSE && m->tds && m->tds->has_error;
}

/* The story whose back end session s is. */
static const struct kf_story *story_of_backend(const struct kf_result *r, const struct kf_session *s)
{
	for (size_t i = 0; i < r->n_stories; i++)
		for (size_t j = 0; j < r->stories[i].n_backend; j++)
			if (r->stories[i].backend[j] == s)
				return &r->stories[i];
	return NULL;
}

/* A login error this rule judges: a TDS session whose answer is an ERROR
 * (no LOGINACK) and whose exchange holds no KRB-ERROR. */
static bool sql_facts_of(const struct kf_result *r, const struct kf_session *s, struct sql_facts *f)
{
	if (s->carrier != KF_CARRIER_TDS || !s->has_sql_error || s->krb_error != 0 || !s->outcome ||
	    strcmp(s->outcome, "error") != 0)
		return false;
	f->s = s;
	f->resp = kf_rule_session_msg(r, s, is_login_error);
	f->story = f->resp ? story_of_backend(r, s) : NULL;
	return f->resp != NULL;
}

/* For the double hop: whom the front end was serving, and how that user
 * reached it. */
static const char *front_words(struct kf_rule_ctx *ctx, const struct sql_facts *f)
{
	const struct kf_story *st = f->story;
	if (!st)
		return "";
	char fe[64];
	kf_endpoint_addr(&f->s->client, fe, sizeof fe);
	const struct kf_story_http *h = st->n_http ? &st->http[0] : NULL;
	bool forwarded = false;
	for (size_t i = 0; i < st->n_delegation; i++)
		if (!strcmp(st->delegation[i].kind, "forwarded-tgt") ||
		    !strcmp(st->delegation[i].kind, "s4u2proxy"))
			forwarded = true;
	const char *user = st->user ? st->user : "a client";
	if (!h)
		return kf_rule_fmt(ctx, " %s was serving %s when it logged on.", fe, user);
	unsigned long long hf = h->n_frames ? (unsigned long long)h->frames[0] : 0;
	const char *mech = h->mech ? h->mech : "";
	if (!strcmp(mech, "kerberos") && !forwarded)
		return kf_rule_fmt(
			ctx,
			" %s was serving %s, who reached it over HTTP with Kerberos (frame %llu) "
			"without delegating: no forwarded TGT, and no S4U2Proxy for the SQL service, in "
			"the capture.",
			fe, user, hf);
	if (!strcmp(mech, "ntlm"))
		return kf_rule_fmt(
			ctx,
			" %s was serving %s, who reached it over HTTP with NTLM (frame %llu): NTLM "
			"cannot be delegated, so the front end's own SPN is the first thing to fix.",
			fe, user, hf);
	return kf_rule_fmt(ctx, " %s was serving %s over HTTP (frame %llu) when it logged on.", fe, user, hf);
}

/* The fix in the capture's names: LOGIN7's server name without an instance
 * (host\\INSTANCE, host,port) and the server's port for MSSQLSvc/<host>:<port>. */
static const char *sql_fix(struct kf_rule_ctx *ctx, const struct sql_facts *f, const char *fix)
{
	char host[KF_LIMIT_NAME] = "";
	if (f->s->target) {
		size_t n = strcspn(f->s->target, "\\,");
		if (n < sizeof host) {
			memcpy(host, f->s->target, n);
			host[n] = 0;
		}
	}
	/* a short name is what the client typed: the SPN takes the DNS name */
	struct kf_fix_names names = { .host = strchr(host, '.') ? host : NULL,
				      .port = kf_rule_fmt(ctx, "%u", (unsigned)f->s->server.port) };
	return kf_rule_fix_fill(ctx, fix, &names);
}

static void sql_emit(struct kf_rule_ctx *ctx, const struct sql_facts *f, size_t count,
		     const struct kf_evidence *e)
{
	const struct kf_tds_rec *t = f->resp->tds;
	enum sql_cause c = sql_verdict(f);
	char srv[64], cl[64];
	kf_endpoint_addr(&f->s->server, srv, sizeof srv);
	kf_endpoint_addr(&f->s->client, cl, sizeof cl);
	const char *target = f->s->target ? kf_rule_fmt(ctx, "%s (%s)", f->s->target, srv) : srv;
	const char *who = c == SQ_ANONYMOUS ? "an anonymous Windows logon" : f->s->as ? f->s->as : "a login";
	const char *how = f->s->mech && !strcmp(f->s->mech, "sql") ? "SQL authentication"
			  : f->s->mech && !strcmp(f->s->mech, "kerberos")
				  ? "Windows authentication (Kerberos)"
			  : f->s->mech && !strcmp(f->s->mech, "ntlm") ? "Windows authentication (NTLM)"
								      : "a login";
	const char *err = kf_rule_fmt(ctx, "error %u state %u", t->error_number, t->error_state);
	const char *msg = t->message ? kf_rule_fmt(ctx, " \"%s\"", t->message) : "";
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->s->client, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->s->server, true);
	if (c != SQ_ANONYMOUS)
		kf_subject_add(ctx, &b, KF_SUBJECT_USER, f->s->as);
	else if (f->story)
		kf_subject_add(ctx, &b, KF_SUBJECT_USER, f->story->user);
	kf_rule_emit(
		ctx, sql_causes, (struct kf_rule_verdict){ c, KF_SEV_ERROR, KF_CONF_CERTAIN },
		(struct kf_rule_words){
			kf_rule_fmt(ctx, "SQL Server %s refused %s from %s: %s, %s%s", target, who, cl, err,
				    sql_words[c].phrase,
				    count > 1 ? kf_rule_fmt(ctx, " (%zu times)", count) : ""),
			kf_rule_fmt(
				ctx,
				"The client %s logged on to %s with %s (from frame %llu) and the server answered %s%s (frame %llu). %s%s",
				cl, target, how, (unsigned long long)f->s->first_frame, err, msg,
				(unsigned long long)f->resp->frame, sql_words[c].explanation,
				c == SQ_ANONYMOUS ? front_words(ctx, f) : ""),
			sql_fix(ctx, f, sql_words[c].fix) },
		e, &b);
}

struct sql_group {
	struct kf_session_group g; /* first: kf_rule_session_group */
	struct sql_facts f;
};

static void rule_sql_login_failed(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_groups gs = { .size = sizeof(struct sql_group) };
	for (size_t i = 0; i < r->n_sessions; i++) {
		struct sql_facts f;
		if (!sql_facts_of(r, &r->sessions[i], &f) || kf_rule_session_recovered(r, f.s, f.resp->ts_us))
			continue;
		struct kf_key k = kf_key_new();
		kf_key_addr(&k, &f.s->client);
		kf_key_addr(&k, &f.s->server);
		kf_key_name(&k, f.s->as);
		kf_key_int(&k, sql_verdict(&f));
		kf_key_int(&k, f.resp->tds->error_number);
		bool fresh;
		struct sql_group *g =
			kf_rule_session_group(ctx, &gs, k, f.s, kf_msg_request(r, f.resp), f.resp, &fresh);
		if (!g)
			break;
		if (fresh)
			g->f = f;
	}
	for (size_t j = 0; j < gs.n; j++) {
		const struct sql_group *g = (const struct sql_group *)gs.v + j;
		sql_emit(ctx, &g->f, g->g.count, &g->g.e);
	}
	kf_free(gs.v);
}

const struct kf_rule kf_rules_tds[] = {
	{ { "sql-login-failed", KF_SEV_ERROR, KF_RULE_OUTCOME, KF_RULE_RECOVERY_US,
	    "a SQL Server login refused in clear (18456 and its state, 18452 untrusted domain, ANONYMOUS LOGON: "
	    "the double hop)",
	    sql_causes },
	  rule_sql_login_failed },
};
const size_t kf_rules_tds_count = sizeof kf_rules_tds / sizeof kf_rules_tds[0];
