/* rules_s4u.c - findings about constrained delegation (S4U, MS-SFU): an
 * S4U2Self or S4U2Proxy the KDC refused (s4u-denied), and constrained
 * delegation across realms (cross-realm-s4u) (DIAGNOSES.md).  Their rows are
 * in rules_deleg.c's table. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "names.h"
#include "rules_deleg.h"

#define STATUS_CROSSREALM_DELEGATION_FAILURE 0xC000040Bu
#define KDC_ERR_BADOPTION 13
#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7
#define KRB_AP_ERR_NOT_US 35

/* Key part matching kf_princ_eq_norealm_nocase(): the name up to any "@REALM", case aside. */
static void key_base_name(struct kf_key *k, const char *s)
{
	size_t n = kf_princ_len_norealm(s);
	for (size_t i = 0; i < n; i++)
		kf_key_int(k, tolower((unsigned char)s[i]));
	kf_key_int(k, -1);
}

/* A cross-realm TGT: krbtgt/X issued by realm Y != X (a referral). */
static bool is_referral_ticket(const struct kf_ticket_rec *t)
{
	const char *to = t ? kf_sname_krbtgt_realm(t->sname) : NULL;
	return to && t->realm && !kf_name_eq_nocase(to, t->realm);
}

static bool cross_ntstatus(const struct kf_message *rep)
{
	return rep && rep->type == KF_KRB_ERROR && rep->krb.has_ntstatus &&
	       rep->krb.ntstatus == STATUS_CROSSREALM_DELEGATION_FAILURE;
}

/* An S4U2Proxy that crosses a realm boundary: the target's realm differs from
 * the evidence ticket's, the request rides on (or carries) a cross-realm TGT,
 * the KDC answered with a referral, or a Windows KDC said so in its e-data. */
static bool s4u_cross_realm(const struct kf_result *r, const struct kf_message *req)
{
	if (!kf_deleg_is_s4u2proxy(req))
		return false;
	const struct kf_ticket_rec *ev = &req->krb.addl[0];
	if (req->krb.realm && ev->realm && !kf_name_eq_nocase(req->krb.realm, ev->realm))
		return true;
	if (kf_sname_is_krbtgt(ev->sname) || is_referral_ticket(req->krb.ticket))
		return true;
	const struct kf_message *rep = kf_msg_reply(r, req);
	if (rep && rep->type == KF_KRB_TGS_REP && is_referral_ticket(rep->krb.ticket))
		return true;
	return cross_ntstatus(rep);
}

/* Windows services (WinRM, WMI, ...) on a machine not trusted for delegation
 * ask for S4U2Proxy to their own account to learn whether they may delegate:
 * the target is the evidence ticket's own service. */
static bool s4u_self_probe(const struct kf_message *req)
{
	return kf_deleg_is_s4u2proxy(req) &&
	       kf_princ_eq_norealm_nocase(req->krb.sname, req->krb.addl[0].sname);
}

/* The user an S4U2Proxy acts for: the S4U2Self that produced its evidence
 * ticket, or a TGS-REP issuing that ticket to the requester. */
static const char *s4u_user_of(const struct kf_result *r, const struct kf_message *req, uint64_t *self_req,
			       uint64_t *self_rep)
{
	const struct kf_ticket_rec *ev = &req->krb.addl[0];
	const char *user = NULL;
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, 0);
	for (size_t i = 0; i < at.n && KF_AT_ADDR_MSG(r, at.v[i])->frame < req->frame; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (!kf_deleg_is_s4u2self(m) || !kf_endpoint_same_addr(&m->src, &req->src) ||
		    !kf_princ_eq_norealm_nocase(m->krb.sname, ev->sname))
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (!rep || rep->type != KF_KRB_TGS_REP)
			continue;
		user = m->krb.s4u_user;
		*self_req = m->frame;
		*self_rep = rep->frame;
	}
	return user;
}

/* The account that asked, as the capture names it: the KDC's error names it
 * (MIT's cname), else the evidence ticket's service is the front end's own
 * (S4U2Proxy), else the service an S4U2Self asks a ticket to is its own. */
static const char *requester_name(const struct kf_message *req, const struct kf_message *rep,
				  const char **realm)
{
	if (rep && rep->type == KF_KRB_ERROR && rep->krb.cname) {
		*realm = rep->krb.crealm;
		return rep->krb.cname;
	}
	if (kf_deleg_is_s4u2proxy(req)) {
		*realm = req->krb.addl[0].realm;
		return req->krb.addl[0].sname;
	}
	*realm = req->krb.realm;
	return req->krb.sname;
}

static const char FRONT_UNNAMED[] = "<front end's account>";

/* The requester's account in words: "name@REALM" as the KDC sent it
 * (kf_deleg_cname_at), or the service's name; a placeholder, written as
 * such, when the capture names no account. */
static const char *front_account(struct kf_rule_ctx *ctx, const struct kf_message *req,
				 const struct kf_message *rep)
{
	const char *realm = NULL, *name = requester_name(req, rep, &realm);
	if (rep && rep->type == KF_KRB_ERROR && rep->krb.cname)
		return kf_deleg_cname_at(ctx, name, realm);
	return name ? name : FRONT_UNNAMED;
}

/* ---- s4u-denied ------------------------------------------------------------ */

static const char S4U_FIX[] =
	"On the front-end service account (Active Directory Users and Computers, Delegation tab): \"Trust this "
	"user for delegation to specified services only\", add the back-end SPN (attribute "
	"msDS-AllowedToDelegateTo), and choose \"Use any authentication protocol\" when users do not reach the "
	"front end with Kerberos (protocol transition, S4U2Self). Or use resource-based constrained delegation "
	"on the back end: Set-ADComputer BACKEND -PrincipalsAllowedToDelegateToAccount FRONTEND$ (Set-ADUser "
	"for a service account). The user must not be \"Account is sensitive and cannot be delegated\" nor in "
	"Protected Users. Samba: samba-tool delegation add-service FRONTEND$ SPN and samba-tool delegation "
	"for-any-protocol FRONTEND$ on. MIT KDC (LDAP back end): krbAllowedToDelegateTo on the front end's "
	"principal, and kadmin modprinc +ok_to_auth_as_delegate for protocol transition.";

static const char PROBE_FIX[] =
	"Nothing to do unless the service must act for the user on another server. Then trust its account for "
	"delegation (Delegation tab: constrained delegation to the back-end SPNs, or resource-based delegation "
	"on the back end with -PrincipalsAllowedToDelegateToAccount), or use CredSSP / a different design for "
	"remote sessions.";

/* The causes, their ids (the row's cause list) and, for each, why the KDC
 * refused (after what the front end asked for). */
enum s4u_cause {
	S4U_TARGET_NOT_ALLOWED,
	S4U_NO_DELEGATION_RULE,
	S4U_EVIDENCE_NOT_FORWARDABLE,
	S4U_TARGET_PREAUTH,
	S4U_TARGET_OR_TRANSITION,
	S4U_TARGET_OR_EVIDENCE,
	S4U_SELF_REFUSED,
	S4U_PROXY_REFUSED,
	S4U_NOT_TRUSTED,
	S4U__N,
};
const char *const kf_s4u_denied_causes[S4U__N + 1] = {
	[S4U_TARGET_NOT_ALLOWED] = "target-not-allowed",
	[S4U_NO_DELEGATION_RULE] = "no-delegation-rule",
	[S4U_EVIDENCE_NOT_FORWARDABLE] = "evidence-not-forwardable",
	[S4U_TARGET_PREAUTH] = "target-requires-preauth",
	[S4U_TARGET_OR_TRANSITION] = "target-not-allowed-or-no-protocol-transition",
	[S4U_TARGET_OR_EVIDENCE] = "target-not-allowed-or-evidence-not-forwardable",
	[S4U_SELF_REFUSED] = "s4u2self-refused",
	[S4U_PROXY_REFUSED] = "s4u2proxy-refused",
	[S4U_NOT_TRUSTED] = "not-trusted-for-delegation",
};
static const char *const S4U_WHY[S4U__N] = {
	[S4U_TARGET_NOT_ALLOWED] =
		"The KDC keeps constrained-delegation rules and none allows this target: the back-end SPN "
		"is not in the front end's allowed list (krbAllowedToDelegateTo on an MIT LDAP KDB, "
		"msDS-AllowedToDelegateTo in Active Directory) and no resource-based rule on the back end "
		"names the front end.",
	[S4U_NO_DELEGATION_RULE] =
		"MIT's e-text UNSUPPORTED_S4U2PROXY_REQUEST: no delegation rule of the KDC allowed the "
		"request. Two set-ups answer so and the wire does not tell them apart: a KDC on the DB2 "
		"database (MIT's default), which stores no constrained-delegation rules at all, so it "
		"refuses every S4U2Proxy; or a KDC on the LDAP database whose krbAllowedToDelegateTo on "
		"the front end does not list the target (MIT 1.20 answers a refusal by that list with "
		"this e-text too; only a refusal by a resource-based rule says NOT_ALLOWED_TO_DELEGATE).",
	[S4U_EVIDENCE_NOT_FORWARDABLE] =
		"The KDC says the evidence ticket (the user's ticket to the front end) is not "
		"forwardable. After S4U2Self that means the front end may not do protocol transition "
		"(\"Use any authentication protocol\" / ok_to_auth_as_delegate is not set), so the KDC "
		"issued it a non-forwardable ticket; it also happens when the user is \"sensitive and "
		"cannot be delegated\" or in Protected Users.",
	[S4U_TARGET_PREAUTH] =
		"MIT's e-text NO PREAUTH: the account of the service asked for requires pre-authentication "
		"(requires_preauth) and the ticket the request rides on, the front end's own TGT, was "
		"issued without it. A service account that logs in from its keytab is not "
		"pre-authenticated unless its own principal requires it. The KDC checks this before any "
		"delegation rule, so nothing is known yet of whether delegation would be allowed.",
	[S4U_TARGET_OR_TRANSITION] =
		"The KDC refused with a bare KDC_ERR_BADOPTION (no e-text, as Windows and Samba DCs send "
		"it). After protocol transition (the S4U2Self in the evidence) two causes look the same "
		"on the wire: the back-end SPN is not in the front end's msDS-AllowedToDelegateTo (and "
		"no resource-based rule allows it), or the front end may use Kerberos-only delegation "
		"and not \"any authentication protocol\", so its S4U2Self ticket was not forwardable. "
		"Check both settings.",
	[S4U_TARGET_OR_EVIDENCE] =
		"The KDC refused with KDC_ERR_BADOPTION: the back-end SPN is not in the front end's "
		"allowed list (msDS-AllowedToDelegateTo) and no resource-based rule allows it, or the "
		"user's ticket to the front end is not forwardable (user sensitive, in Protected Users, "
		"or front end not trusted for delegation).",
	[S4U_SELF_REFUSED] =
		"The service asked the KDC for a ticket to itself on behalf of a user (S4U2Self, "
		"protocol transition) and was refused: the user is unknown or disabled, the user may not "
		"be delegated, or the KDC does not allow the account to act for users.",
	[S4U_PROXY_REFUSED] =
		"The KDC refused the constrained-delegation request: the front end is not allowed to "
		"delegate to that service, or the user may not be delegated.",
	[S4U_NOT_TRUSTED] =
		"The service asked the KDC for a constrained-delegation ticket (S4U2Proxy) to its own "
		"account, with a ticket to itself as evidence. Windows services such as WinRM and WMI do "
		"this to learn whether the logon they just accepted can be delegated further; the "
		"refusal means the account is not trusted for delegation. The user's own logon is not "
		"affected: this is only a problem if the service has to reach another server as the user "
		"(a double hop).",
};

/* The refusal that puts req in s4u-denied (NULL when it does not belong). */
static const struct kf_message *s4u_refusal(const struct kf_result *r, const struct kf_message *req)
{
	bool proxy = kf_deleg_is_s4u2proxy(req);
	if (!kf_deleg_is_s4u2self(req) && !proxy)
		return NULL;
	if (proxy && s4u_cross_realm(r, req))
		return NULL; /* cross-realm-s4u explains it */
	const struct kf_message *rep = kf_msg_reply(r, req);
	if (!rep || rep->type != KF_KRB_ERROR || kf_error_recovered(r, rep))
		return NULL;
	return rep;
}

#define S4U_HOSTS 4 /* requester addresses named in a finding; more are counted */

/* One group of refusals: the same account asked, for the same target, and
 * got the same error (code and e-text), of the same kind (self-check or
 * not), from whichever host. */
struct s4u_group {
	const struct kf_message *req, *rep; /* the first request and its refusal */
	size_t count;                       /* refused requests */
	struct kf_endpoint hosts[S4U_HOSTS];
	size_t n_hosts, more_hosts;
	struct kf_evidence fs;
};

/* What the capture shows of one group, for the verdict and the words. */
struct s4u_facts {
	const struct s4u_group *g;
	bool self;                   /* S4U2Self (else S4U2Proxy) */
	bool probe;                  /* an S4U2Proxy to the evidence ticket's own service */
	bool kdc_grants;             /* the refusing KDC granted another S4U2Proxy in the capture */
	const char *user;            /* whom the front end acted for; NULL when unknown */
	uint64_t self_req, self_rep; /* the S4U2Self that made the evidence ticket (0: not seen) */
	struct kf_evidence fs;
};

/* An S4U2Proxy a KDC granted: a service ticket, not a referral.  A KDC that
 * grants one holds constrained-delegation rules (MIT: not DB2). */
static bool is_s4u2proxy_grant(const struct kf_result *r, const struct kf_message *m)
{
	if (m->type != KF_KRB_TGS_REP || !m->krb.ticket || kf_sname_is_krbtgt(m->krb.ticket->sname))
		return false;
	const struct kf_message *req = kf_msg_request(r, m);
	return req && kf_deleg_is_s4u2proxy(req);
}

/* Sorted keys (kf_key_addr) of the KDC addresses that granted an S4U2Proxy
 * anywhere in the capture. */
struct s4u_granting {
	void *v; /* struct kf_key[n] */
	size_t n, cap;
};

static int cmp_key(const void *pa, const void *pb)
{
	const struct kf_key *a = pa, *b = pb;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static bool kdc_granted_s4u2proxy(const struct s4u_granting *gr, const struct kf_endpoint *kdc)
{
	struct kf_key k = kf_key_new();
	kf_key_addr(&k, kdc);
	return gr->n && bsearch(&k, gr->v, gr->n, sizeof(struct kf_key), cmp_key);
}

static void s4u_gather(const struct kf_result *r, const struct s4u_granting *gr, const struct s4u_group *g,
		       struct s4u_facts *f)
{
	const struct kf_message *req = g->req;
	f->g = g;
	f->fs = g->fs;
	f->self = kf_deleg_is_s4u2self(req);
	f->probe = s4u_self_probe(req);
	f->kdc_grants = kdc_granted_s4u2proxy(gr, &g->rep->src);
	f->user = f->self ? req->krb.s4u_user : s4u_user_of(r, req, &f->self_req, &f->self_rep);
	kf_evidence_add(&f->fs, f->self_req);
	kf_evidence_add(&f->fs, f->self_rep);
}

static bool etext_has(const struct kf_message *rep, const char *what)
{
	return rep->krb.e_text && strstr(rep->krb.e_text, what);
}

/* The KDC's refusal is in the capture: always certain.  The cause is what
 * the KDC said (MIT's e-text), else what the request and the bare error
 * leave possible. */
static struct kf_deleg_verdict s4u_verdict(const struct s4u_facts *f)
{
	const struct kf_message *rep = f->g->rep;
	struct kf_deleg_verdict v = { S4U_PROXY_REFUSED, KF_SEV_ERROR, KF_CONF_CERTAIN };
	if (f->probe) {
		v.cause = S4U_NOT_TRUSTED;
		v.severity = KF_SEV_INFO;
	} else if (etext_has(rep, "NOT_ALLOWED_TO_DELEGATE")) {
		v.cause = S4U_TARGET_NOT_ALLOWED;
	} else if (etext_has(rep, "UNSUPPORTED_S4U2PROXY_REQUEST")) {
		/* a KDC that granted S4U2Proxy keeps rules: not DB2 */
		v.cause = f->kdc_grants ? S4U_TARGET_NOT_ALLOWED : S4U_NO_DELEGATION_RULE;
	} else if (etext_has(rep, "EVIDENCE_TKT_NOT_FORWARDABLE")) {
		v.cause = S4U_EVIDENCE_NOT_FORWARDABLE;
	} else if (etext_has(rep, "NO PREAUTH")) {
		v.cause = S4U_TARGET_PREAUTH;
	} else if (f->self) {
		v.cause = S4U_SELF_REFUSED;
	} else if (rep->krb.error_code == KDC_ERR_BADOPTION) {
		v.cause = f->self_req ? S4U_TARGET_OR_TRANSITION : S4U_TARGET_OR_EVIDENCE;
	}
	return v;
}

/* The requester's addresses, the user, the front end's service and the target. */
static void s4u_subject(struct kf_rule_ctx *ctx, const struct s4u_facts *f, struct kf_subject_b *who)
{
	const struct kf_message *req = f->g->req;
	for (size_t i = 0; i < f->g->n_hosts; i++)
		kf_subject_addr(ctx, who, KF_SUBJECT_CLIENT, &f->g->hosts[i], false);
	kf_subject_add(ctx, who, KF_SUBJECT_USER, f->user);
	if (kf_deleg_is_s4u2proxy(req))
		kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, req->krb.addl[0].sname,
				      req->krb.addl[0].realm);
	kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, req->krb.sname, req->krb.realm);
	kf_deleg_subject_kdcs(ctx, who, &f->fs);
}

/* "10.88.0.30", "10.88.0.30, 10.88.0.31", "... and 2 more hosts". */
static const char *s4u_hosts_text(struct kf_rule_ctx *ctx, const struct s4u_group *g)
{
	const char *s = "";
	for (size_t i = 0; i < g->n_hosts; i++) {
		char a[64];
		kf_endpoint_addr(&g->hosts[i], a, sizeof a);
		s = kf_rule_fmt(ctx, "%s%s%s", s, i ? ", " : "", a);
	}
	if (g->more_hosts)
		s = kf_rule_fmt(ctx, "%s and %zu more host%s", s, g->more_hosts,
				g->more_hosts > 1 ? "s" : "");
	return s;
}

/* The fix for the causes MIT's e-text names, with the capture's names. */
static const char *s4u_mit_fix(struct kf_rule_ctx *ctx, enum s4u_cause c, bool self, const char *front,
			       const char *target)
{
	/* names from the capture go into commands only when they keep to a name's grammar */
	front = front == FRONT_UNNAMED ? front : kf_rule_cmd_arg(ctx, front);
	target = strcmp(target, "?") == 0 ? "<back-end SPN>" : kf_rule_cmd_arg(ctx, target);
	const char *list =
		kf_rule_fmt(ctx,
			    "add the target to the front end's allowed list: krbAllowedToDelegateTo: %s on "
			    "the LDAP entry of %s (ldapmodify; kadmin cannot set it)",
			    target, front);
	if (c == S4U_TARGET_NOT_ALLOWED)
		return kf_rule_fmt(
			ctx,
			"MIT KDC on the LDAP database: %s. Active Directory / Samba: the front end's "
			"delegation settings (msDS-AllowedToDelegateTo; samba-tool delegation "
			"add-service), or a resource-based rule on the back end.",
			list);
	if (c == S4U_NO_DELEGATION_RULE)
		return kf_rule_fmt(
			ctx,
			"Look at which database the realm's KDC uses (kdc.conf: database_module, "
			"db_library). DB2 (the default): constrained delegation needs the LDAP database "
			"(db_library = kldap), the only MIT back end that stores delegation rules; move "
			"the realm to it, or let the front end use the user's forwarded TGT instead. "
			"LDAP: %s.",
			list);
	if (self) /* the service asked for is the front end itself: it requires it already */
		return kf_rule_fmt(
			ctx,
			"Let the front end log in again (kinit -k as %s): its principal requires "
			"pre-authentication, so a new TGT is pre-authenticated and carries the flag. Or, "
			"when it need not insist on it, clear the flag (kadmin: modprinc "
			"-requires_preauth %s).",
			front, front);
	return kf_rule_fmt(
		ctx,
		"Make the front end's TGT pre-authenticated: require pre-authentication on its own "
		"account (kadmin: modprinc +requires_preauth %s), then let it log in again (kinit "
		"-k) so its new TGT carries the pre-authent flag. Or, when the service %s need not "
		"insist on it, clear the flag there (modprinc -requires_preauth).",
		front, target);
}

static void s4u_report(struct kf_rule_ctx *ctx, const struct s4u_facts *f)
{
	struct kf_deleg_verdict v = s4u_verdict(f);
	const struct kf_message *req = f->g->req, *rep = f->g->rep;
	const char *by = s4u_hosts_text(ctx, f->g);
	const char *front = front_account(ctx, req, rep);
	const char *target = kf_deleg_spn_at(ctx, req->krb.sname, req->krb.realm);
	const char *times = f->g->count > 1 ? " (repeated)" : "";
	const char *summary, *why = S4U_WHY[v.cause], *fix = S4U_FIX;
	if (v.cause == S4U_NOT_TRUSTED) {
		summary =
			kf_rule_fmt(ctx,
				    "%s (%s) may not delegate: its S4U2Proxy check to its own account %s was "
				    "refused: %s%s",
				    front, by, target, kf_deleg_err_text(ctx, rep), times);
		fix = PROBE_FIX;
	} else {
		summary = kf_rule_fmt(ctx, "%s by %s (%s) for %s%s%s refused: %s%s",
				      f->self ? "S4U2Self" : "S4U2Proxy", front, by, target,
				      f->user ? " on behalf of " : "", f->user ? f->user : "",
				      kf_deleg_err_text(ctx, rep), times);
		why = kf_rule_fmt(
			ctx, "%s %s%s",
			f->self ? "The front end asked for a ticket to itself in the user's name (S4U2Self, "
				  "protocol transition)."
				: "The front end asked the KDC for a ticket to the back-end service in the "
				  "user's name (S4U2Proxy, constrained delegation), showing the user's ticket "
				  "to itself as evidence.",
			why,
			v.cause == S4U_TARGET_NOT_ALLOWED && f->kdc_grants &&
					!etext_has(rep, "NOT_ALLOWED_TO_DELEGATE")
				? " This KDC granted another S4U2Proxy in the capture, so it keeps delegation "
				  "rules (not MIT's DB2 database); MIT 1.20 words a refusal by "
				  "krbAllowedToDelegateTo UNSUPPORTED_S4U2PROXY_REQUEST."
				: "");
		if (v.cause == S4U_TARGET_NOT_ALLOWED || v.cause == S4U_NO_DELEGATION_RULE ||
		    v.cause == S4U_TARGET_PREAUTH)
			fix = s4u_mit_fix(ctx, (enum s4u_cause)v.cause, f->self, front, target);
	}
	struct kf_subject_b who = { .n = { 0 } };
	s4u_subject(ctx, f, &who);
	kf_deleg_emit(ctx, kf_s4u_denied_causes, v, &f->fs, &who, summary, why, fix);
}

/* The group key: the account that asked (any host), the target, the error
 * (code and e-text) and the kind.  A request without a target, or whose
 * account the capture does not name, groups with no other (its frame). */
static struct kf_key s4u_key(const struct kf_message *req, const struct kf_message *rep)
{
	const char *realm = NULL, *account = requester_name(req, rep, &realm);
	struct kf_key k = kf_key_new();
	if (!req->krb.sname || !account) {
		kf_key_int(&k, (int64_t)req->frame);
		kf_key_addr(&k, &req->src);
		return k;
	}
	key_base_name(&k, account);
	kf_key_name(&k, req->krb.sname);
	kf_key_int(&k, rep->krb.error_code);
	kf_key_name(&k, rep->krb.e_text);
	kf_key_int(&k, s4u_self_probe(req));
	return k;
}

static void s4u_group_add_host(struct s4u_group *g, const struct kf_endpoint *e)
{
	for (size_t i = 0; i < g->n_hosts; i++)
		if (kf_endpoint_same_addr(&g->hosts[i], e))
			return;
	if (g->n_hosts < S4U_HOSTS)
		g->hosts[g->n_hosts++] = *e;
	else
		g->more_hosts++; /* may count a host twice past the cap: "more" stays true */
}

/* A refused S4U request and its group key, to sort the refusals into
 * groups (runs of one key, in frame order) in O(n log n). */
struct s4u_ref {
	struct kf_key key;
	size_t msg; /* index in the result's messages */
};

static int cmp_s4u_ref(const void *pa, const void *pb)
{
	const struct s4u_ref *a = pa, *b = pb;
	int c = cmp_key(&a->key, &b->key);
	return c ? c : (a->msg < b->msg ? -1 : a->msg > b->msg);
}

/* Append to a growable array of elements of size sz: the new slot, NULL
 * when out of memory (reported). */
static void *s4u_push(struct kf_rule_ctx *ctx, void **v, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *nv = kf_realloc(*v, nc * sz);
		if (!nv) {
			kf_rule_nomem(ctx);
			return NULL;
		}
		*v = nv;
		*cap = nc;
	}
	return (char *)*v + (*n)++ * sz;
}

/* One finding per group, from the run of its refusals. */
static void s4u_report_run(struct kf_rule_ctx *ctx, const struct s4u_granting *gr, const struct s4u_ref *run,
			   size_t n)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct s4u_group g = { .count = 0 };
	for (size_t i = 0; i < n; i++) {
		const struct kf_message *req = &r->messages[run[i].msg];
		const struct kf_message *rep = s4u_refusal(r, req);
		if (!g.req) {
			g.req = req;
			g.rep = rep;
		}
		g.count++;
		s4u_group_add_host(&g, &req->src);
		kf_evidence_add(&g.fs, req->frame);
		kf_evidence_add(&g.fs, rep->frame);
	}
	struct s4u_facts f = { .g = NULL };
	s4u_gather(r, gr, &g, &f);
	s4u_report(ctx, &f);
}

void kf_rule_s4u_denied(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	void *refs_v = NULL; /* struct s4u_ref[n] */
	size_t n = 0, cap = 0;
	struct s4u_granting gr = { .v = NULL };
	bool ok = true;
	for (size_t i = 0; ok && i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (is_s4u2proxy_grant(r, m)) {
			struct kf_key *k = s4u_push(ctx, &gr.v, &gr.n, &gr.cap, sizeof(struct kf_key));
			if ((ok = k != NULL)) {
				*k = kf_key_new();
				kf_key_addr(k, &m->src);
			}
			continue;
		}
		const struct kf_message *rep = s4u_refusal(r, m);
		if (!rep)
			continue;
		struct s4u_ref *ref = s4u_push(ctx, &refs_v, &n, &cap, sizeof(struct s4u_ref));
		if ((ok = ref != NULL))
			*ref = (struct s4u_ref){ .key = s4u_key(m, rep), .msg = i };
	}
	struct s4u_ref *refs = refs_v;
	if (ok && gr.n)
		qsort(gr.v, gr.n, sizeof(struct kf_key), cmp_key);
	if (ok && n)
		qsort(refs, n, sizeof *refs, cmp_s4u_ref);
	for (size_t i = 0, j; ok && i < n; i = j) {
		for (j = i + 1; j < n && cmp_key(&refs[j].key, &refs[i].key) == 0; j++)
			;
		s4u_report_run(ctx, &gr, refs + i, j - i);
	}
	kf_free(refs);
	kf_free(gr.v);
}

/* ---- cross-realm-s4u ------------------------------------------------------- */

/* The causes, their ids (the row's cause list) and, for each, what the
 * capture says of the refusal, and what would make it certain. */
enum xr_cause {
	XR_CLASSIC,
	XR_TGT_WRONG_REALM,
	XR_REFUSED,
	XR_UNDETERMINED,
	XR__N,
};
const char *const kf_cross_realm_s4u_causes[XR__N + 1] = {
	[XR_CLASSIC] = "classic-delegation-across-realms",
	[XR_TGT_WRONG_REALM] = "tgt-wrong-realm",
	[XR_REFUSED] = "cross-realm-refused",
	[XR_UNDETERMINED] = "undetermined",
};
static const char *const XR_SAID[XR__N] = {
	[XR_CLASSIC] = " The domain controller's error data says it outright: NTSTATUS 0xC000040B, "
		       "STATUS_CROSSREALM_DELEGATION_FAILURE.",
	[XR_TGT_WRONG_REALM] = "",
	[XR_REFUSED] = " That realm's KDC refused it.",
	[XR_UNDETERMINED] = "",
};
static const char *const XR_UNSURE[XR__N] = {
	[XR_CLASSIC] = "",
	[XR_TGT_WRONG_REALM] = "",
	[XR_REFUSED] = "",
	[XR_UNDETERMINED] =
		" (Likely: no refusal is in the capture; the chain just ends. A longer capture would show "
		"the KDC's answer.)",
};

/* The facts of one chain: a front end's cross-realm S4U2Proxy requests for
 * one target and what they got back. */
struct xr_chain {
	struct kf_endpoint by;
	const char *sname;
	struct kf_evidence fs;
	const struct kf_message *first, *err;
	const struct kf_message
		*wrong_tgt; /* the request whose TGT went to the wrong realm's KDC (last error) */
	bool wrong_said; /* that KDC said so (MIT's PROCESS_TGS, NOT_US), else it issued another realm's tickets */
	const char *other_realm;
	bool ntstatus, referral, success, last_unanswered;
	const char *user; /* whom the front end acted for; NULL when unknown */
};

/* Did the KDC at kdc issue, in the capture, a ticket of a realm other than
 * realm?  Then it is another realm's KDC (a KDC's tickets, service tickets and
 * referrals alike, carry its own realm). */
static bool kdc_issues_other_realm(const struct kf_result *r, const struct kf_endpoint *kdc,
				   const char *realm)
{
	struct kf_at_addr at = kf_result_at_addr(r, kdc, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (!KF_AT_ADDR_IS_DST(at.v[i]) && (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP) &&
		    m->krb.ticket && m->krb.ticket->realm && !kf_name_eq_nocase(m->krb.ticket->realm, realm))
			return true;
	}
	return false;
}

/* A request that rides on a realm's own TGT (krbtgt/X@X, not a cross-realm
 * one) and asks for a service of another realm, refused by a KDC that is not
 * X's.  *said: the KDC says so, MIT with KDC_ERR_S_PRINCIPAL_UNKNOWN and
 * e-text PROCESS_TGS (no key for the request's ticket), Samba/Heimdal with
 * KRB_AP_ERR_NOT_US (the ticket is not for it); else a KDC seen issuing
 * another realm's tickets.  A KDC of X asked for another realm's service
 * answers a referral or another error. */
static bool tgt_wrong_realm(const struct kf_result *r, const struct kf_message *req,
			    const struct kf_message *rep, bool *said)
{
	const struct kf_ticket_rec *t = req->krb.ticket;
	const char *x = t ? kf_sname_krbtgt_realm(t->sname) : NULL;
	if (!x || !t->realm || !kf_name_eq_nocase(x, t->realm) || !req->krb.realm ||
	    kf_name_eq_nocase(req->krb.realm, x) || rep->type != KF_KRB_ERROR)
		return false;
	*said = (rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN && rep->krb.e_text &&
		 strcmp(rep->krb.e_text, "PROCESS_TGS") == 0) ||
		rep->krb.error_code == KRB_AP_ERR_NOT_US;
	return *said || kdc_issues_other_realm(r, &rep->src, x);
}

/* Add a cross-realm S4U2Proxy request of the chain and what it got back. */
static void chain_add(const struct kf_result *r, struct xr_chain *x, const struct kf_message *req)
{
	const struct kf_message *rep = kf_msg_reply(r, req);
	kf_evidence_add(&x->fs, req->frame);
	x->last_unanswered = !rep;
	if (!rep)
		return;
	kf_evidence_add(&x->fs, rep->frame);
	const struct kf_ticket_rec *ev = &req->krb.addl[0];
	if (req->krb.realm && ev->realm && !kf_name_eq_nocase(req->krb.realm, ev->realm))
		x->other_realm = req->krb.realm;
	if (rep->type == KF_KRB_TGS_REP && is_referral_ticket(rep->krb.ticket)) {
		x->referral = true;
		x->other_realm = kf_sname_krbtgt_realm(rep->krb.ticket->sname);
	} else if (rep->type == KF_KRB_TGS_REP) {
		x->success = true;
	} else if (rep->type == KF_KRB_ERROR) {
		x->err = rep;
		x->ntstatus |= cross_ntstatus(rep);
		x->wrong_tgt = tgt_wrong_realm(r, req, rep, &x->wrong_said) ? req : NULL;
	}
}

/* The rest of a failed chain's facts: the front end's own tickets for the
 * target on the way (referrals), and the S4U2Self that names the user. */
static void chain_context(const struct kf_result *r, struct xr_chain *x)
{
	struct kf_at_addr at = kf_result_at_addr(r, &x->by, x->first->frame);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->type != KF_KRB_TGS_REQ || kf_deleg_is_s4u2proxy(m) ||
		    !kf_endpoint_same_addr(&m->src, &x->by) ||
		    !kf_princ_eq_norealm_nocase(m->krb.sname, x->sname) || m->frame < x->first->frame)
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		kf_evidence_add(&x->fs, m->frame);
		if (rep)
			kf_evidence_add(&x->fs, rep->frame);
	}
	uint64_t sr = 0, sp = 0;
	x->user = s4u_user_of(r, x->first, &sr, &sp);
	kf_evidence_add(&x->fs, sr);
	kf_evidence_add(&x->fs, sp);
}

/* A KDC's refusal is certain (and the DC's NTSTATUS names the cause); a
 * chain that just stops cannot tell. */
static struct kf_deleg_verdict xr_verdict(const struct xr_chain *x)
{
	if (x->ntstatus)
		return (struct kf_deleg_verdict){ XR_CLASSIC, KF_SEV_ERROR, KF_CONF_CERTAIN };
	if (x->wrong_tgt)
		return (struct kf_deleg_verdict){ XR_TGT_WRONG_REALM, KF_SEV_ERROR, KF_CONF_CERTAIN };
	if (x->err)
		return (struct kf_deleg_verdict){ XR_REFUSED, KF_SEV_ERROR, KF_CONF_CERTAIN };
	return (struct kf_deleg_verdict){ XR_UNDETERMINED, KF_SEV_ERROR, KF_CONF_LIKELY };
}

/* The front end's address, the user, the front end's service and the target
 * in its realm. */
static void xr_subject(struct kf_rule_ctx *ctx, const struct xr_chain *x, struct kf_subject_b *who)
{
	const struct kf_ticket_rec *ev = &x->first->krb.addl[0];
	kf_subject_addr(ctx, who, KF_SUBJECT_CLIENT, &x->by, false);
	kf_subject_add(ctx, who, KF_SUBJECT_USER, x->user);
	kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, ev->sname, ev->realm);
	kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, x->sname,
			      kf_rule_first_of(x->other_realm, x->first->krb.realm));
	kf_deleg_subject_kdcs(ctx, who, &x->fs);
}

static const char XR_FIX[] =
	"Put the front-end and back-end accounts in one domain, or switch to resource-based constrained "
	"delegation, which works across domains and forests with a trust: on the back end's account, "
	"Set-ADComputer BACKEND -PrincipalsAllowedToDelegateToAccount (Get-ADComputer FRONTEND -Server "
	"front.domain) (Set-ADUser for a service account), run in the back end's domain. The trust must allow "
	"it (forest trust with TGT delegation / selective authentication granting the front end). MIT KDCs "
	"cannot store resource-based rules: keep both services in one MIT realm.";

/* The words of a chain whose last refusal came from a KDC of another realm
 * than its TGT's: the KDC could not read the ticket, delegation was never
 * looked at. */
static void xr_wrong_realm_words(struct kf_rule_ctx *ctx, const struct xr_chain *x, const char *front,
				 const char *by, const char **summary, const char **why, const char **fix)
{
	const struct kf_message *req = x->wrong_tgt;
	const struct kf_ticket_rec *t = req->krb.ticket;
	const char *tgt = kf_deleg_spn_at(ctx, t->sname, t->realm);
	char kdc[64];
	kf_endpoint_addr(&req->dst, kdc, sizeof kdc);
	const char *target = kf_deleg_spn_at(ctx, req->krb.sname, req->krb.realm);
	*summary = kf_rule_fmt(
		ctx,
		"constrained delegation by %s (%s) to %s%s%s: its %s TGT went to the KDC at %s, asked "
		"as %s's KDC, which cannot read it: %s",
		front, by, target, x->user ? " on behalf of " : "", x->user ? x->user : "", t->realm, kdc,
		req->krb.realm, kf_deleg_err_text(ctx, x->err));
	*why = kf_rule_fmt(
		ctx,
		"The S4U2Proxy request (frame %llu) rides on the front end's own TGT, %s, and went to %s's KDC "
		"(%s). A KDC reads a TGS request's ticket with its own realm's krbtgt key, and only %s's KDCs hold "
		"the key of that TGT: %s So the error is about the front end's TGT, not about the back-end SPN, "
		"and the KDC never got as far as delegation. MIT 1.20's client sends it so when the back end is "
		"named with its realm (%s): it skips its own KDC, which refers such a request on when a trust "
		"exists. Even the referral way, classic constrained delegation stops at the realm boundary: the back end's "
		"realm has to allow the front end itself (resource-based delegation).",
		(unsigned long long)req->frame, tgt, req->krb.realm, kdc, t->realm,
		!x->wrong_said
			? kf_rule_fmt(ctx, "this KDC issues tickets of another realm than %s in the capture.",
				      t->realm)
		: x->err->krb.error_code == KRB_AP_ERR_NOT_US
			? "the KDC says the request's ticket is not for it (KRB_AP_ERR_NOT_US)."
			: "the KDC says it found no key for the request's ticket (KDC_ERR_S_PRINCIPAL_UNKNOWN, "
			  "e-text PROCESS_TGS).",
		target);
	*fix = kf_rule_fmt(
		ctx,
		"Let the front end ask its own realm's KDC first: name the back end without a realm (a "
		"host-based name, no domain_realm entry for its domain on the front end), so that %s's "
		"KDC refers the request on through the trust with %s. Then %s must allow the front end "
		"by resource-based constrained delegation (Active Directory: Set-ADComputer BACKEND "
		"-PrincipalsAllowedToDelegateToAccount, run in the back end's domain), which MIT "
		"databases cannot store: with MIT KDCs keep both services in one realm.",
		t->realm, req->krb.realm, req->krb.realm);
}

/* The finding of a chain that did not end in a ticket. */
static void chain_report(struct kf_rule_ctx *ctx, const struct kf_result *r, struct xr_chain *x)
{
	if (x->success)
		return; /* cross-realm delegation worked (resource-based) */
	if (!x->err && !x->last_unanswered && !x->referral)
		return;
	chain_context(r, x);
	struct kf_deleg_verdict v = xr_verdict(x);
	char by[64];
	kf_endpoint_addr(&x->by, by, sizeof by);
	const char *front = front_account(ctx, x->first, x->err);
	const char *from_realm = x->first->krb.addl[0].realm;
	const char *summary, *why, *fix = XR_FIX;
	struct kf_subject_b who = { .n = { 0 } };
	xr_subject(ctx, x, &who);
	if (v.cause == XR_TGT_WRONG_REALM) {
		xr_wrong_realm_words(ctx, x, front, by, &summary, &why, &fix);
		kf_deleg_emit(ctx, kf_cross_realm_s4u_causes, v, &x->fs, &who, summary, why, fix);
		return;
	}
	const char *what = x->err ? kf_rule_fmt(ctx, "refused: %s", kf_deleg_err_text(ctx, x->err))
				  : "the chain stops after the referral, with no ticket";
	summary = kf_rule_fmt(ctx, "cross-realm constrained delegation by %s (%s) to %s%s%s%s%s: %s", front,
			      by, x->sname ? x->sname : "?", x->other_realm ? " in " : "",
			      x->other_realm ? x->other_realm : "", x->user ? " on behalf of " : "",
			      x->user ? x->user : "", what);
	why = kf_rule_fmt(
		ctx,
		"The front end (realm %s) asked for a constrained-delegation ticket (S4U2Proxy) to a service in "
		"another realm%s%s%s.%s%s Classic constrained delegation (the allowed-SPN list on the front end's "
		"account, msDS-AllowedToDelegateTo) only works when the front end and the back end are in the same "
		"domain; across a trust the back end's realm has to allow the front end itself, which only "
		"resource-based constrained delegation does.%s",
		from_realm ? from_realm : "?", x->other_realm ? " (" : "",
		x->other_realm ? x->other_realm : "", x->other_realm ? ")" : "",
		x->referral
			? " The front end's KDC answered with a referral (a cross-realm TGT), so the request went "
			  "on to the other realm's KDC."
			: "",
		XR_SAID[v.cause], XR_UNSURE[v.cause]);
	kf_deleg_emit(ctx, kf_cross_realm_s4u_causes, v, &x->fs, &who, summary, why, fix);
}

void kf_rule_cross_realm_s4u(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *first = &r->messages[i];
		if (!s4u_cross_realm(r, first))
			continue;
		/* One chain per (front end, target), built at its first request from
		 * the front end's later messages.  A request without a target matches
		 * no other (kf_princ_eq_norealm_nocase). */
		if (first->krb.sname) {
			struct kf_key k = kf_key_new();
			kf_key_addr(&k, &first->src);
			key_base_name(&k, first->krb.sname);
			if (!kf_seen_add(ctx, &seen, k))
				continue;
		}
		struct xr_chain chain = { .by = first->src, .sname = first->krb.sname, .first = first };
		struct xr_chain *x = &chain;
		struct kf_at_addr at = kf_result_at_addr(r, &first->src, first->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *req = KF_AT_ADDR_MSG(r, at.v[j]);
			if (req < first || !kf_endpoint_same_addr(&req->src, &x->by) ||
			    (req != first && !kf_princ_eq_norealm_nocase(x->sname, req->krb.sname)) ||
			    !s4u_cross_realm(r, req))
				continue;
			chain_add(r, x, req);
		}
		chain_report(ctx, r, x);
	}
	kf_seen_free(&seen);
}
