/* rules_bind_ntlm.c - ntlm-fallback's half for binds: an LDAP bind, a
 * DCE/RPC bind or a SQL Server login that used NTLM for a user although
 * Kerberos was there to use, and why it was not.  These protocols carry no
 * offer of mechanisms from the server (SMB's NEGOTIATE does), so Kerberos
 * counts as offered when the capture shows the server can take it: it is a
 * KDC, it accepted a Kerberos logon, or the client's own SPNEGO listed
 * Kerberos.  The name the client used comes from the AUTHENTICATE's
 * MsvAvTargetName (MS-NLMP §2.2.2.1), when its NTLMv2 response carries one.
 * Anonymous NTLM is not a fallback.  Called by rules_http_ntlm.c's
 * kf_rule_ntlm_fallback; the causes are KF_NTLM_BIND_CAUSES (rules_common.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"

#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7
#define DCERPC_AUTH_NTLMSSP 10
#define TGS_LOOKBACK_US (60ull * 1000000) /* how long before the NTLM logon a ticket request counts */
#define SCAN_BACK 64                      /* messages of the connection looked at before the logon */

/* Why Kerberos was not used, in the order they are judged (docs/rules.md). */
enum bind_ntlm_cause {
	BN_SPN_UNKNOWN,       /* the TGS-REQ for the SPN got KDC_ERR_S_PRINCIPAL_UNKNOWN */
	BN_KDC_ERROR,         /* ... another KDC error */
	BN_TICKET_NOT_USED,   /* the client got that ticket and still sent NTLM */
	BN_LOCAL_ACCOUNT,     /* the user is a local account (of the server, or of the client) */
	BN_IP_ADDRESS,        /* the SPN the client named the server by is an address */
	BN_APP_CHOSE,         /* the application asked for NTLM itself, not through SPNEGO */
	BN_NO_KDC_TRAFFIC,    /* nothing from the client to a KDC */
	BN_NO_TICKET_REQUEST, /* KDC traffic, no request for the service */
};
static const char *const bind_ntlm_causes[] = { KF_NTLM_BIND_CAUSES, NULL };

/* What the capture shows of one client's NTLM logons to one server over one carrier. */
struct bind_ntlm_facts {
	const struct kf_message *auth;      /* the first NTLM-AUTHENTICATE with a user */
	const struct kf_message *record;    /* the carrier's record in its frame (bind, LOGIN7/SSPI) */
	const struct kf_message *nego;      /* the client's NTLM-NEGOTIATE before it, NULL */
	const struct kf_message *chal;      /* the server's NTLM-CHALLENGE before it, NULL */
	const char *local;                  /* the user is a local account: whose */
	bool server_is_kdc;                 /* the server answers on port 88: a domain controller */
	const char *user, *spn;             /* DOMAIN\user; the SPN it names (MsvAvTargetName), NULL */
	const struct kf_message *offer;     /* what shows Kerberos was there to use */
	const char *offer_words;            /* ... in words */
	bool direct;                        /* NTLM asked for itself, not through SPNEGO */
	bool any_kdc;                       /* the client sent something to a KDC */
	const struct kf_message *tgs, *rep; /* the ticket request for the service, its answer */
	struct kf_evidence e;
};

static bool bind_carrier(const struct kf_message *m)
{
	return m->carrier == KF_CARRIER_LDAP || m->carrier == KF_CARRIER_DCERPC ||
	       m->carrier == KF_CARRIER_TDS;
}

static const char *carrier_words(const struct kf_message *m)
{
	return m->carrier == KF_CARRIER_LDAP     ? "LDAP bind"
	       : m->carrier == KF_CARRIER_DCERPC ? "DCE/RPC bind"
						 : "SQL Server login";
}

/* A user's NTLM logon in a bind: not anonymous, with a user name. */
static bool user_logon(const struct kf_message *m)
{
	return m->type == KF_MSG_NTLM_AUTHENTICATE && bind_carrier(m) && m->ntlm && !m->ntlm->anonymous &&
	       m->ntlm->user && *m->ntlm->user;
}

/* The service classes whose tickets would have served this carrier. */
static bool service_for(const struct kf_message *m, const char *sname)
{
	static const char *const ldap[] = { "ldap/", "GC/", NULL };
	static const char *const rpc[] = { "host/", "RestrictedKrbHost/", "ldap/",
					   "E3514235-4B06-11D1-AB04-00C04FC2DCD2/", NULL };
	static const char *const tds[] = { "MSSQLSvc/", NULL };
	const char *const *v = m->carrier == KF_CARRIER_LDAP     ? ldap
			       : m->carrier == KF_CARRIER_DCERPC ? rpc
								 : tds;
	for (; sname && *v; v++)
		if (!strncasecmp(sname, *v, strlen(*v)))
			return true;
	return false;
}

/* The server end can take Kerberos: a KDC (preferred: a domain controller
 * has no local accounts), or a Kerberos logon it accepted. */
static void server_offer(const struct kf_result *r, struct bind_ntlm_facts *f)
{
	const struct kf_endpoint *srv = &f->auth->dst;
	struct kf_at_addr at = kf_result_at_addr(r, srv, 0);
	for (size_t i = 0; i < at.n && !f->server_is_kdc; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (KF_AT_ADDR_IS_DST(at.v[i]) || !kf_endpoint_same_addr(&m->src, srv))
			continue;
		if (m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88) {
			f->offer = m;
			f->offer_words = "the server is a KDC in this capture";
			f->server_is_kdc = true;
		} else if (!f->offer && m->type == KF_KRB_AP_REP && m->carrier != KF_CARRIER_KERBEROS) {
			f->offer = m;
			f->offer_words = "the server accepted a Kerberos logon in this capture";
		}
	}
}

/* The ticket request for the service before the NTLM logon: for the SPN the
 * AUTHENTICATE names, else the latest for one of the carrier's classes. */
static void ticket_request(const struct kf_result *r, struct bind_ntlm_facts *f)
{
	const struct kf_message *a = f->auth;
	struct kf_at_addr at = kf_result_at_addr(r, &a->src, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->frame >= a->frame)
			break;
		if (m->carrier != KF_CARRIER_KERBEROS || KF_AT_ADDR_IS_DST(at.v[i]))
			continue;
		f->any_kdc = true;
		if (m->type != KF_KRB_TGS_REQ || m->ts_us + TGS_LOOKBACK_US < a->ts_us)
			continue;
		if (f->spn ? kf_name_eq_nocase(m->krb.sname, f->spn) : service_for(a, m->krb.sname))
			f->tgs = m;
	}
	f->rep = f->tgs ? kf_msg_reply(r, f->tgs) : NULL;
}

/* The client's messages of the connection just before the AUTHENTICATE: its
 * NEGOTIATE, and the record the AUTHENTICATE rode in. */
static void exchange(const struct kf_result *r, struct bind_ntlm_facts *f)
{
	const struct kf_message *a = f->auth;
	size_t ix = (size_t)(a - r->messages), lo = ix > SCAN_BACK ? ix - SCAN_BACK : 0;
	for (size_t i = ix + 1; i-- > lo;) {
		const struct kf_message *m = &r->messages[i];
		if (m->connection != a->connection)
			continue;
		if (!f->chal && m->type == KF_MSG_NTLM_CHALLENGE && m->ntlm &&
		    kf_endpoint_same_addr(&m->src, &a->dst))
			f->chal = m;
		if (!kf_endpoint_same_addr(&m->src, &a->src))
			continue;
		if (!f->record && m->frame == a->frame && (m->ldap || m->dcerpc || m->tds))
			f->record = m;
		if (!f->nego && m->type == KF_MSG_NTLM_NEGOTIATE)
			f->nego = m;
	}
	for (size_t i = ix; i < r->n_messages && !f->record && r->messages[i].frame == a->frame; i++)
		if (r->messages[i].connection == a->connection &&
		    (r->messages[i].ldap || r->messages[i].dcerpc))
			f->record = &r->messages[i];
	const struct kf_message *first = f->nego ? f->nego : a;
	if (!f->offer && first->spnego && kf_rule_offers_kerberos(first->spnego)) {
		f->offer = first;
		f->offer_words = "the client's own SPNEGO offered Kerberos";
	}
	/* NTLM asked for by name: DCE/RPC auth type NTLMSSP, LDAP SASL NTLM or
	 * sicily, a raw NTLM token where SPNEGO would wrap it */
	const struct kf_message *rec = f->record;
	if (rec && rec->dcerpc)
		f->direct = rec->dcerpc->auth_type == DCERPC_AUTH_NTLMSSP;
	else if (rec && rec->ldap && rec->ldap->mechanism)
		f->direct = !strcasecmp(rec->ldap->mechanism, "NTLM") ||
			    !strcasecmp(rec->ldap->mechanism, "sicily");
	else
		f->direct = !first->spnego;
}

/* The first label of a host name ("dc1" of "dc1.lab.test") equals name? */
static bool first_label_is(const char *host, const char *name)
{
	size_t n = host ? strcspn(host, ".") : 0;
	return n && name && strlen(name) == n && !strncasecmp(host, name, n);
}

/* Whose local account the NTLM user is: the domain "." or an address, the
 * server's own computer name (its CHALLENGE), or the client's (its
 * workstation); NULL for a domain account. */
static const char *local_account(struct kf_rule_ctx *ctx, const struct bind_ntlm_facts *f)
{
	const struct kf_ntlm_rec *n = f->auth->ntlm;
	const struct kf_ntlm_rec *c = f->chal ? f->chal->ntlm : NULL;
	const char *d = n->domain;
	if (!d || !*d || f->server_is_kdc) /* a domain controller takes any domain name as its own */
		return NULL;
	if (!strcmp(d, "."))
		return "the machine connected to (domain \".\")";
	if (kf_rule_name_is_address(d))
		return kf_rule_fmt(ctx, "the machine at %s", d);
	if (c && ((c->nb_computer && !strcasecmp(d, c->nb_computer)) || first_label_is(c->dns_computer, d)) &&
	    !(c->nb_domain && !strcasecmp(d, c->nb_domain)))
		return kf_rule_fmt(ctx, "the server %s", d);
	if (n->workstation && !strcasecmp(d, n->workstation))
		return kf_rule_fmt(ctx, "the client %s", d);
	return NULL;
}

static bool bind_ntlm_gather(struct kf_rule_ctx *ctx, const struct kf_message *a, struct bind_ntlm_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	memset(f, 0, sizeof *f);
	f->auth = a;
	f->spn = a->ntlm->spn && *a->ntlm->spn ? a->ntlm->spn : NULL;
	f->user = a->ntlm->domain && *a->ntlm->domain
			  ? kf_rule_fmt(ctx, "%s\\%s", a->ntlm->domain, a->ntlm->user)
			  : a->ntlm->user;
	server_offer(r, f);
	exchange(r, f);
	if (!f->offer)
		return false; /* nothing shows Kerberos was there to use */
	ticket_request(r, f);
	f->local = local_account(ctx, f);
	kf_evidence_add_msg(&f->e, f->tgs);
	kf_evidence_add_msg(&f->e, f->rep);
	kf_evidence_add_msg(&f->e, f->nego);
	kf_evidence_add_msg(&f->e, f->chal);
	kf_evidence_add(&f->e, a->frame);
	return true;
}

/* The host part of an SPN ("ldap/dc.lab.test" -> "dc.lab.test", no port). */
static const char *spn_host(struct kf_rule_ctx *ctx, const char *spn)
{
	const char *h = spn ? strchr(spn, '/') : NULL;
	if (!h)
		return NULL;
	h++;
	size_t n = strcspn(h, ":/");
	return kf_rule_fmt(ctx, "%.*s", (int)n, h);
}

static struct kf_rule_verdict bind_ntlm_verdict(struct kf_rule_ctx *ctx, const struct bind_ntlm_facts *f)
{
	const char *host = spn_host(ctx, f->spn);
	if (f->rep && f->rep->type == KF_KRB_ERROR)
		return (struct kf_rule_verdict){ f->rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN
							 ? BN_SPN_UNKNOWN
							 : BN_KDC_ERROR,
						 KF_SEV_WARNING, KF_CONF_CERTAIN };
	if (f->rep && f->rep->type == KF_KRB_TGS_REP)
		return (struct kf_rule_verdict){ BN_TICKET_NOT_USED, KF_SEV_WARNING, KF_CONF_LIKELY };
	if (f->local)
		return (struct kf_rule_verdict){ BN_LOCAL_ACCOUNT, KF_SEV_WARNING, KF_CONF_CERTAIN };
	if (host && kf_rule_name_is_address(host))
		return (struct kf_rule_verdict){ BN_IP_ADDRESS, KF_SEV_WARNING, KF_CONF_CERTAIN };
	if (f->direct)
		return (struct kf_rule_verdict){ BN_APP_CHOSE, KF_SEV_WARNING, KF_CONF_LIKELY };
	return (struct kf_rule_verdict){ f->any_kdc ? BN_NO_TICKET_REQUEST : BN_NO_KDC_TRAFFIC,
					 KF_SEV_WARNING, KF_CONF_LIKELY };
}

static struct kf_rule_words bind_ntlm_words(struct kf_rule_ctx *ctx, const struct bind_ntlm_facts *f,
					    int cause)
{
	const char *host = spn_host(ctx, f->spn);
	const char *sname = f->tgs ? f->tgs->krb.sname : f->spn;
	unsigned long long tf = f->tgs ? (unsigned long long)f->tgs->frame : 0;
	unsigned long long rf = f->rep ? (unsigned long long)f->rep->frame : 0;
	const char *register_spn =
		"Register the SPN on the account that runs the service (`setspn -S <spn> <account>`; for a "
		"domain controller's LDAP and RPC the HOST/ and ldap/ SPNs of its computer account cover its "
		"DNS names: an alias needs `netdom computername <dc> /add:<alias>`), or connect with the "
		"name that has one; then `klist purge` on the client.";
	switch (cause) {
	case BN_SPN_UNKNOWN:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "KDC_ERR_S_PRINCIPAL_UNKNOWN for %s", sname),
			kf_rule_fmt(
				ctx,
				"The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) "
				"and the KDC answered KDC_ERR_S_PRINCIPAL_UNKNOWN (frame %llu): no account has "
				"that SPN, so NTLM was used.",
				sname, tf, rf),
			register_spn,
		};
	case BN_KDC_ERROR:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "%s for %s", kf_rule_err_name(f->rep->krb.error_code), sname),
			kf_rule_fmt(
				ctx,
				"The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) "
				"and the KDC refused with %s (%d, frame %llu), so NTLM was used.",
				sname, tf, kf_rule_err_name(f->rep->krb.error_code), f->rep->krb.error_code,
				rf),
			kf_rule_fmt(ctx, "Fix the KDC error %s for %s (see that error's finding).",
				    kf_rule_err_name(f->rep->krb.error_code), sname),
		};
	case BN_TICKET_NOT_USED:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "the client got a ticket for %s and did not use it", sname),
			kf_rule_fmt(
				ctx,
				"The client got a ticket for %s (frame %llu) but still logged on with NTLM: the "
				"application chose NTLM (explicit credentials, a tool that only speaks NTLM), or "
				"a Kerberos attempt failed before this.",
				sname, rf),
			"Check how the application authenticates (its bind mechanism or connection string) and "
			"whether the server refused a Kerberos logon earlier.",
		};
	case BN_LOCAL_ACCOUNT:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "%s is a local account, not a domain account", f->user),
			kf_rule_fmt(
				ctx,
				"The user logged on as %s, an account of %s, not of the Active Directory "
				"domain. Local accounts have no Kerberos principal, so NTLM is the only way they "
				"can log on.",
				f->user, f->local),
			"Use a domain account with the rights the tool needs; if the local account is meant, "
			"NTLM is expected (restrict local accounts' network logons by policy where that is not "
			"wanted: \"Deny access to this computer from the network\", LAPS for local "
			"administrators).",
		};
	case BN_IP_ADDRESS:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "the client named the server by its address (%s)", f->spn),
			kf_rule_fmt(
				ctx,
				"The client named the server %s (the SPN its NTLM AUTHENTICATE carries, frame "
				"%llu): an address. Kerberos needs a host name to build the SPN, and clients ask "
				"for a ticket to an address only when configured to (Windows: TryIPSPN) and an SPN "
				"for the address exists, so no ticket was asked for.",
				host, (unsigned long long)f->auth->frame),
			"Connect with the server's DNS name (the tool's server argument, the application's "
			"connection string); then the client asks the KDC for a ticket and uses Kerberos.",
		};
	case BN_APP_CHOSE:
		return (struct kf_rule_words){
			"the client asked for NTLM itself",
			kf_rule_fmt(
				ctx,
				"The client asked for NTLM by name (%s), not through SPNEGO, which would have "
				"tried Kerberos first: the application or tool was told to use NTLM, or it "
				"only speaks NTLM.",
				f->record && f->record->dcerpc ? "DCE/RPC authentication type NTLMSSP (10)"
				: f->record && f->record->ldap ? "the SASL mechanism NTLM"
							       : "a raw NTLM token"),
			"Configure the client to negotiate (DCE/RPC: authentication type SPNEGO or Kerberos; "
			"LDAP: SASL GSS-SPNEGO or GSSAPI; SQL Server: integrated security with the server's DNS "
			"name) and give it the server's DNS name.",
		};
	case BN_NO_KDC_TRAFFIC:
		return (struct kf_rule_words){
			"no Kerberos traffic from the client",
			"The capture holds no Kerberos traffic from the client at all: it did not try Kerberos (a "
			"local or non-domain account, no TGT, a name it cannot map to a realm), or it had a ticket "
			"from before the capture and chose NTLM anyway.",
			"Capture again after `klist purge` on the client, with port 88: a ticket request and its "
			"answer name the cause; if none appears, check `klist` for a TGT.",
		};
	default: /* BN_NO_TICKET_REQUEST */
		return (struct kf_rule_words){
			f->spn ? kf_rule_fmt(ctx, "no ticket request for %s", f->spn)
			       : "no ticket request for the service",
			kf_rule_fmt(
				ctx,
				"The client talked to the KDC but asked for no ticket to %s in the minute before "
				"this logon: it did not try Kerberos for this server (explicit credentials, a "
				"local account), or the ticket was cached.",
				f->spn ? f->spn : "the service"),
			"Capture again after `klist purge` on the client: a ticket request and its answer will "
			"name the cause.",
		};
	}
}

static void bind_ntlm_emit(struct kf_rule_ctx *ctx, const struct bind_ntlm_facts *f)
{
	struct kf_rule_verdict v = bind_ntlm_verdict(ctx, f);
	struct kf_rule_words w = bind_ntlm_words(ctx, f, v.cause);
	char srv[64];
	kf_endpoint_addr(&f->auth->dst, srv, sizeof srv);
	const char *what = carrier_words(f->auth);
	w.summary = kf_rule_fmt(ctx, "%s to %s used NTLM for %s although Kerberos was there to use: %s", what,
				srv, f->user, w.summary);
	w.explanation =
		kf_rule_fmt(ctx,
			    "The client logged on to %s with NTLM as %s (%s, frame %llu), while %s (frame "
			    "%llu). %s NTLM works without the KDC but is weaker and cannot be delegated.",
			    srv, f->user, what, (unsigned long long)f->auth->frame, f->offer_words,
			    (unsigned long long)f->offer->frame, w.explanation);
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->auth->src, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->auth->dst, true);
	kf_subject_add(ctx, &b, KF_SUBJECT_USER, f->user);
	kf_rule_subject_tgs(ctx, &b, f->tgs, f->rep && f->rep->type == KF_KRB_TGS_REP ? f->rep : NULL);
	kf_rule_emit(ctx, bind_ntlm_causes, v, w, &f->e, &b);
}

void kf_rule_ntlm_fallback_bind(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (!user_logon(m))
			continue;
		struct kf_key k = kf_key_new();
		kf_key_addr(&k, &m->src);
		kf_key_addr(&k, &m->dst);
		kf_key_int(&k, m->carrier);
		if (!kf_seen_add(ctx, &seen, k))
			continue;
		struct bind_ntlm_facts f;
		if (bind_ntlm_gather(ctx, m, &f))
			bind_ntlm_emit(ctx, &f);
	}
	kf_seen_free(&seen);
}
