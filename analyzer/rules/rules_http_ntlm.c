/* rules_http_ntlm.c - ntlm-fallback: HTTP Negotiate (or plain HTTP
 * authentication) that ended up as NTLM, and why Kerberos was not used
 * (DIAGNOSES.md; RFC 4559).  A row of rules_http_spn.c's table; SMB's half
 * is rules_smb_ntlm.c. */
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "stories.h"

#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7

/* Why Kerberos was not used, in the order they are judged (docs/rules.md). */
enum ntlm_cause {
	NTLM_SPN_UNKNOWN,       /* the TGS-REQ for HTTP/<host> got KDC_ERR_S_PRINCIPAL_UNKNOWN */
	NTLM_KDC_ERROR,         /* ... another KDC error */
	NTLM_ONLY_OFFERED,      /* the server offered NTLM and not Negotiate */
	NTLM_TICKET_NOT_USED,   /* the client got the ticket and still sent NTLM */
	NTLM_APP_CHOSE,         /* Kerberos worked with this server earlier */
	NTLM_IP_ADDRESS,        /* the URL names the server by its address */
	NTLM_NO_KDC_TRAFFIC,    /* nothing from the client to a KDC */
	NTLM_NO_TICKET_REQUEST, /* KDC traffic, but no request for HTTP/<host> */
};
const char *const kf_ntlm_fallback_causes[] = { KF_NTLM_HTTP_CAUSES, KF_NTLM_SMB_CAUSES, KF_NTLM_BIND_CAUSES,
						NULL };

/* What the capture shows of one client's NTLM to one host and port. */
struct ntlm_facts {
	const struct kf_story *st;
	const struct kf_story_http *c;        /* the first connection that used NTLM */
	char host[256];                       /* its Host (kf_rule_host_name); a proxy's name */
	bool proxy;                           /* the connection went to a forward proxy: its SPN is
					       * HTTP/<proxy>, host is the proxy's name (never the Host) */
	bool offered_negotiate, offered_ntlm; /* by a 401/407 (not NTLM's own CHALLENGE) */
	bool spnego_ntlm, ntlm_scheme;        /* NTLM inside SPNEGO; under "Authorization: NTLM" */
	bool succeeded, failed;               /* what the AUTHENTICATEs got */
	int last_status;
	uint64_t first_ntlm, last_ntlm;
	const char *ntlm_user;                  /* DOMAIN\user of the first AUTHENTICATE */
	bool kerberos_conn;                     /* a connection to the same host and port used Kerberos */
	uint64_t kerberos_frame;                /* ... from this frame */
	const char *kerberos_ticket;            /* ... with this ticket (sname@realm) */
	bool any_kdc;                           /* the client sent something to a KDC */
	const struct kf_message *tgs, *tgs_rep; /* the TGS exchange for HTTP/<host> that tells most */
	struct kf_evidence e;
};

/* An NTLM-NEGOTIATE or -AUTHENTICATE the client sent. */
static void ntlm_leg(struct kf_rule_ctx *ctx, const struct kf_message *m, struct ntlm_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	const struct kf_message *req = kf_rule_http_at(r, m->frame, KF_MSG_HTTP_REQUEST, m->connection);
	if (!f->first_ntlm)
		f->first_ntlm = m->frame;
	f->last_ntlm = m->frame;
	kf_evidence_add(&f->e, m->frame);
	if (m->spnego)
		f->spnego_ntlm = true;
	else if (!req || !req->http->auth_scheme || strcasecmp(req->http->auth_scheme, "Negotiate") != 0)
		f->ntlm_scheme = true;
	if (m->type != KF_MSG_NTLM_AUTHENTICATE)
		return;
	if (m->ntlm && m->ntlm->user && !f->ntlm_user)
		f->ntlm_user = m->ntlm->domain && *m->ntlm->domain
				       ? kf_rule_fmt(ctx, "%s\\%s", m->ntlm->domain, m->ntlm->user)
				       : m->ntlm->user;
	const struct kf_message *resp = req ? kf_rule_http_resp(r, req) : NULL;
	if (!resp)
		return;
	kf_evidence_add(&f->e, resp->frame);
	f->last_status = resp->http->status;
	if (resp->http->status == 401 || resp->http->status == 407)
		f->failed = true;
	else
		f->succeeded = true;
}

/* One connection: the schemes its 401s offered and, when it used NTLM, its NTLM legs. */
static void ntlm_conn(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, uint32_t conn, bool ntlm,
		      struct ntlm_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	size_t n;
	const struct kf_conn_msg *cm = kf_conn_ix_find(ci, conn, &n);
	for (size_t i = 0; i < n; i++) {
		const struct kf_message *m = &r->messages[cm[i].ix];
		if (m->carrier != KF_CARRIER_HTTP || m->connection != conn)
			continue;
		if (m->type == KF_MSG_HTTP_RESPONSE && m->http &&
		    (m->http->status == 401 || m->http->status == 407)) {
			/* A 401 carrying an NTLM CHALLENGE under "NTLM" is the handshake, not an offer. */
			bool chal = kf_rule_tok_at(r, m->frame, KF_MSG_NTLM_CHALLENGE, m->connection) != NULL;
			bool neg = kf_rule_offers(m->http, "Negotiate"),
			     nt = kf_rule_offers(m->http, "NTLM") && !chal;
			f->offered_negotiate |= neg;
			f->offered_ntlm |= nt;
			if ((neg || nt) && f->e.n < 4)
				kf_evidence_add(&f->e, m->frame);
		}
		if (ntlm && (m->type == KF_MSG_NTLM_NEGOTIATE || m->type == KF_MSG_NTLM_AUTHENTICATE))
			ntlm_leg(ctx, m, f);
	}
}

/* What the client asked the KDC for this host, up to its last NTLM message.
 * (Only its own messages count: both loops test the source address.) */
static void ntlm_kdc(const struct kf_result *r, struct ntlm_facts *f)
{
	const struct kf_endpoint *client = &f->st->client;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier != KF_CARRIER_KERBEROS)
			continue;
		if (kf_endpoint_same_addr(&m->src, client))
			f->any_kdc = true;
		if (m->frame > f->last_ntlm || m->type != KF_KRB_TGS_REQ ||
		    !kf_endpoint_same_addr(&m->src, client) || !kf_rule_spn_host_is(m->krb.sname, f->host))
			continue;
		/* a refused request tells more than a granted one */
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (!f->tgs || !f->tgs_rep || f->tgs_rep->type != KF_KRB_ERROR ||
		    (rep && rep->type == KF_KRB_ERROR)) {
			f->tgs = m;
			f->tgs_rep = rep;
		}
	}
	/* Every TGS exchange for that SPN is evidence (it takes the generic KDC findings). */
	for (size_t i = 0; f->tgs && i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier == KF_CARRIER_KERBEROS && m->type == KF_KRB_TGS_REQ &&
		    m->frame <= f->last_ntlm && kf_endpoint_same_addr(&m->src, client) &&
		    kf_rule_spn_host_is(m->krb.sname, f->host)) {
			kf_evidence_add(&f->e, m->frame);
			kf_evidence_add_msg(&f->e, kf_msg_reply(r, m));
		}
	}
}

/* The first HTTP request of connection conn, NULL when none. */
static const struct kf_message *first_request(const struct kf_result *r, const struct kf_conn_ix *ci,
					      uint32_t conn)
{
	size_t n;
	const struct kf_conn_msg *cm = kf_conn_ix_find(ci, conn, &n);
	for (size_t i = 0; i < n; i++)
		if (kf_rule_is_http_req(&r->messages[cm[i].ix]))
			return &r->messages[cm[i].ix];
	return NULL;
}

/* A proxy's name when no ticket names it: the HTTP/ service the client asked
 * the KDC for after the proxy's first answer and before its first NTLM
 * message (the 407's Negotiate made it ask); else the name stays. */
static void proxy_name_from_tgs(const struct kf_result *r, const struct kf_message *req, struct ntlm_facts *f)
{
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, req->frame);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->frame > f->first_ntlm)
			break;
		const char *sh = m->type == KF_KRB_TGS_REQ && kf_endpoint_same_addr(&m->src, &req->src)
					 ? kf_rule_http_spn_host(m->krb.sname)
					 : NULL;
		if (sh)
			kf_rule_host_name(sh, f->host, sizeof f->host); /* the last one before NTLM */
	}
}

/* The facts of the NTLM connection st->http[h] with every other connection
 * of the client to the same host and port (those that used NTLM are marked
 * done: one finding for them all); a proxy's: to the same proxy address and
 * port.  False when none sent an NTLM message. */
static bool ntlm_gather(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, const struct kf_story *st,
			size_t h, bool *done, struct ntlm_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	memset(f, 0, sizeof *f);
	f->st = st;
	f->c = &st->http[h];
	const struct kf_message *req = first_request(r, ci, f->c->connection);
	f->proxy = req && kf_rule_http_is_proxy(r, req);
	if (f->proxy)
		kf_rule_http_proxy_name(r, req, f->host, sizeof f->host);
	else
		kf_rule_host_name(f->c->host, f->host, sizeof f->host);
	for (size_t k = 0; k < st->n_http; k++) {
		const struct kf_story_http *o = &st->http[k];
		if (o->server.port != f->c->server.port)
			continue;
		const struct kf_message *oreq = first_request(r, ci, o->connection);
		bool oproxy = oreq && kf_rule_http_is_proxy(r, oreq);
		if (oproxy != f->proxy)
			continue;
		if (f->proxy) {
			if (!kf_endpoint_same_addr(&o->server, &f->c->server))
				continue;
		} else {
			char oh[256];
			kf_rule_host_name(o->host, oh, sizeof oh);
			if (!kf_host_eq(oh, f->host))
				continue;
		}
		bool ntlm = o->mech && strcmp(o->mech, "ntlm") == 0;
		if (ntlm)
			done[k] = true;
		if (o->mech && strcmp(o->mech, "kerberos") == 0 && !f->kerberos_conn) {
			f->kerberos_conn = true;
			f->kerberos_frame = o->n_frames ? o->frames[0] : 0;
			f->kerberos_ticket = o->ticket;
		}
		ntlm_conn(ctx, ci, o->connection, ntlm, f);
	}
	if (!f->first_ntlm)
		return false;
	if (!f->succeeded && !f->failed && (f->c->final_status == 401 || f->c->final_status == 407))
		f->failed = true;
	if (f->proxy && kf_rule_is_ip_literal(f->host))
		proxy_name_from_tgs(r, req, f);
	ntlm_kdc(r, f);
	return true;
}

static struct kf_rule_verdict ntlm_verdict(const struct ntlm_facts *f)
{
	struct kf_rule_verdict v = { .sev = f->failed && !f->succeeded ? KF_SEV_ERROR : KF_SEV_WARNING };
	if (f->tgs_rep && f->tgs_rep->type == KF_KRB_ERROR)
		v.cause = f->tgs_rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN ? NTLM_SPN_UNKNOWN
										    : NTLM_KDC_ERROR;
	else if (!f->offered_negotiate && f->offered_ntlm)
		v.cause = NTLM_ONLY_OFFERED;
	else if (f->tgs_rep)
		v.cause = NTLM_TICKET_NOT_USED;
	else if (f->kerberos_conn)
		v.cause = NTLM_APP_CHOSE;
	else if (kf_rule_is_ip_literal(f->host))
		v.cause = NTLM_IP_ADDRESS;
	else if (!f->any_kdc)
		v.cause = NTLM_NO_KDC_TRAFFIC;
	else
		v.cause = NTLM_NO_TICKET_REQUEST;
	/* the first three are in the capture; the others rest on what is not */
	v.conf = v.cause <= NTLM_ONLY_OFFERED ? KF_CONF_CERTAIN : KF_CONF_LIKELY;
	return v;
}

/* ntlm-fallback's words for a cause: the end of the summary, the sentence
 * of the explanation saying why Kerberos was not used, and the fix. */
static struct kf_rule_words ntlm_words(struct kf_rule_ctx *ctx, const struct ntlm_facts *f, int cause)
{
	const char *host = f->host, *earlier = "Kerberos worked with this server earlier",
		   *ip = "URL uses an IP address",
		   *no_request = kf_rule_fmt(ctx, "no ticket request for HTTP/%s", host);
	const char *sname = f->tgs ? f->tgs->krb.sname : NULL;
	unsigned long long tgs_frame = f->tgs ? f->tgs->frame : 0,
			   rep_frame = f->tgs_rep ? f->tgs_rep->frame : 0;
	int32_t code = f->tgs_rep ? f->tgs_rep->krb.error_code : 0;
	switch (cause) {
	case NTLM_SPN_UNKNOWN:
	case NTLM_KDC_ERROR:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "%s for %s", kf_rule_err_name(code), sname),
			cause == NTLM_SPN_UNKNOWN
				? kf_rule_fmt(
					  ctx,
					  "The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) and "
					  "the KDC answered KDC_ERR_S_PRINCIPAL_UNKNOWN (frame %llu): no account has that "
					  "SPN registered, so SPNEGO dropped Kerberos and negotiated NTLM.",
					  sname, tgs_frame, rep_frame)
				: kf_rule_fmt(
					  ctx,
					  "The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) and "
					  "the KDC refused with %s (%d, frame %llu), so SPNEGO fell back to NTLM.",
					  sname, tgs_frame, kf_rule_err_name(code), code, rep_frame),
			cause == NTLM_SPN_UNKNOWN
				? kf_rule_fmt(
					  ctx,
					  "Register the SPN on the account the site runs as: `setspn -S HTTP/%s <account>` "
					  "(the computer account for an app pool running as "
					  "NetworkService/ApplicationPoolIdentity, otherwise the service account; MIT: "
					  "`addprinc -randkey HTTP/%s` and add it to the server's keytab). Check that it is on "
					  "exactly one account with `setspn -Q HTTP/%s` and `setspn -X`. Then `klist purge` on "
					  "the client and retry.",
					  kf_rule_cmd_arg(ctx, host), kf_rule_cmd_arg(ctx, host),
					  kf_rule_cmd_arg(ctx, host))
				: kf_rule_fmt(
					  ctx,
					  "Fix the KDC error %s for %s (see that error's finding); once the client gets a "
					  "ticket, Negotiate uses Kerberos.",
					  kf_rule_err_name(code), sname),
		};
	case NTLM_ONLY_OFFERED:
		return (struct kf_rule_words){
			"server offers only NTLM",
			"The server offered only NTLM (WWW-Authenticate: NTLM, no Negotiate), so the client could not use "
			"Kerberos at all.",
			"Offer Negotiate: in IIS, Windows Authentication > Providers, put Negotiate first (above NTLM) or "
			"`appcmd set config /section:windowsAuthentication /+providers.[value='Negotiate']`; with Apache "
			"mod_auth_gssapi allow the krb5 mechanism (GssapiAllowedMech krb5). Register the HTTP/<host> SPN "
			"for the site's account.",
		};
	case NTLM_TICKET_NOT_USED:
		return (struct kf_rule_words){
			/* as before causes had ids: what else the capture shows, down
			 * to "no ticket request" (there was one) */
			f->kerberos_conn              ? earlier
			: kf_rule_is_ip_literal(host) ? ip
						      : no_request,
			kf_rule_fmt(
				ctx,
				"The client got a ticket for %s (frame %llu) but still sent NTLM: the application chose "
				"NTLM, or the Kerberos exchange with the server failed before this.",
				sname, rep_frame),
			"Check the client's authentication settings (an application that asks for NTLM, explicit "
			"credentials of a local account) and the server's answer to the Kerberos token.",
		};
	case NTLM_APP_CHOSE:
		return (struct kf_rule_words){
			earlier,
			kf_rule_fmt(
				ctx,
				"The same client authenticated to this server with Kerberos earlier in the capture (from "
				"frame %llu), so the SPN and the KDC work: this time the application itself chose NTLM "
				"(explicit credentials, a local account, an authentication option such as WinRM's "
				"-Authentication Negotiate with an address, or a tool that only speaks NTLM).",
				(unsigned long long)f->kerberos_frame),
			"Have the client use the server's name and the domain account (for WinRM/PowerShell remoting: "
			"-Authentication Kerberos with the FQDN); if NTLM is not wanted at all, restrict it (\"Network "
			"security: Restrict NTLM\" policies) and watch the NTLM audit log.",
		};
	case NTLM_IP_ADDRESS:
		return (struct kf_rule_words){
			ip,
			kf_rule_fmt(
				ctx,
				"The URL names the server by its IP address (%s): clients build the SPN from the host "
				"name, no account has an HTTP/<address> SPN, and Windows does not even try Kerberos for "
				"an address unless told to, so no TGS-REQ was sent and NTLM was used.",
				host),
			"Use the server's DNS name (FQDN) in the URL. If an address is unavoidable, register HTTP/<address> "
			"on the site's account and enable TryIPSPN on the clients (Windows 10 1507 and later). (Likely, not "
			"certain: a capture started after `klist purge` shows whether the client asks the KDC at all.)",
		};
	case NTLM_NO_KDC_TRAFFIC:
		return (struct kf_rule_words){
			"no Kerberos traffic from the client",
			"The capture holds no Kerberos traffic from this client at all: either it did not try Kerberos (no "
			"TGT: a local or non-domain account; the name is not in the Local Intranet zone, so the browser "
			"does not offer Kerberos; a name the client cannot map to a realm), or it already had the ticket "
			"in its cache before the capture started.",
			kf_rule_fmt(
				ctx,
				"Take a capture that starts after `klist purge` on the client (and includes port 88): if "
				"a TGS-REQ for HTTP/%s appears, its answer names the cause; if none appears, check `klist` "
				"for a TGT, the browser's zone for %s (add it to Local Intranet), and that the SPN exists "
				"(`setspn -Q HTTP/%s`).",
				host, host, kf_rule_cmd_arg(ctx, host)),
		};
	default: /* NTLM_NO_TICKET_REQUEST */
		return (struct kf_rule_words){
			no_request,
			kf_rule_fmt(
				ctx,
				"The client talked to the KDC but never asked for a ticket to HTTP/%s in this capture: it "
				"did not try Kerberos for this name (zone settings, an application that asks for NTLM), "
				"or the ticket was already cached.",
				host),
			kf_rule_fmt(
				ctx,
				"Capture again after `klist purge` on the client: a TGS-REQ for HTTP/%s and its answer "
				"will name the cause. Check the SPN with `setspn -Q HTTP/%s` and put the site in the Local "
				"Intranet zone.",
				host, kf_rule_cmd_arg(ctx, host)),
		};
	}
}

static void ntlm_emit(struct kf_rule_ctx *ctx, const struct ntlm_facts *f)
{
	struct kf_rule_verdict v = ntlm_verdict(f);
	struct kf_rule_words w = ntlm_words(ctx, f, v.cause);
	char srv[64];
	kf_endpoint_addr(&f->c->server, srv, sizeof srv);
	const char *host = f->proxy ? f->host : f->c->host ? f->c->host : f->host;
	const char *how = f->ntlm_scheme ? "Authorization: NTLM"
			  : f->spnego_ntlm
				  ? "Authorization: Negotiate with a SPNEGO token whose mechanism is NTLMSSP"
				  : "Authorization: Negotiate carrying a raw NTLMSSP token";
	const char *offer = f->offered_negotiate && f->offered_ntlm ? "Negotiate and NTLM"
			    : f->offered_negotiate                  ? "Negotiate"
			    : f->offered_ntlm                       ? "only NTLM"
								    : "nothing visible";
	const char *outcome =
		f->succeeded
			? (f->last_status < 400
				   ? kf_rule_fmt(ctx, "NTLM authentication succeeded (HTTP %d)",
						 f->last_status)
				   : kf_rule_fmt(ctx,
						 "NTLM authentication was accepted (the server answered HTTP "
						 "%d, not 401: the request failed, not the logon)",
						 f->last_status))
		: f->failed ? kf_rule_fmt(ctx, "NTLM authentication failed too (%d)",
					  f->last_status ? f->last_status : 401)
			    : "the capture does not show whether NTLM succeeded";
	const char *user = f->ntlm_user ? f->ntlm_user : "";
	/* a proxy is named as such, with its port (its name: the SPN the client used) */
	const char *peer = f->proxy ? kf_rule_fmt(ctx, "the proxy %s:%u (%s)", srv, f->c->server.port, host)
				    : kf_rule_fmt(ctx, "%s (%s)", host, srv);
	w.summary = kf_rule_fmt(ctx, "%s %s %s NTLM%s%s: %s",
				f->offered_negotiate ? "Negotiate to" : "HTTP authentication to", peer,
				f->offered_negotiate ? "fell back to" : "used", f->ntlm_user ? " for " : "",
				user, w.summary);
	w.explanation = kf_rule_fmt(
		ctx,
		"%s offered %s; the client answered with NTLM (%s, from frame "
		"%llu)%s%s. %s %s. NTLM works without the KDC but is weaker, cannot be delegated to a "
		"back end, and hides SPN problems.",
		f->proxy ? kf_rule_fmt(ctx, "The forward proxy at %s:%u (%s)", srv, f->c->server.port, host)
			 : kf_rule_fmt(ctx, "The server at %s (Host %s)", srv, host),
		offer, how, (unsigned long long)f->first_ntlm, f->ntlm_user ? " as " : "", user,
		w.explanation, outcome);
	/* whom: the client, the server, the user NTLM names (and Kerberos, when it
	 * asked the KDC), the service it asked for or used Kerberos with */
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->st->client, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->c->server, true);
	if (f->ntlm_user)
		kf_subject_add(ctx, &b, KF_SUBJECT_USER, f->ntlm_user);
	kf_rule_subject_tgs(ctx, &b, f->tgs, f->tgs_rep);
	if (!f->tgs && f->kerberos_ticket)
		kf_subject_add(ctx, &b, KF_SUBJECT_SERVICE, f->kerberos_ticket);
	kf_rule_emit(ctx, kf_ntlm_fallback_causes, v, w, &f->e, &b);
}

void kf_rule_ntlm_fallback(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_conn_ix ci;
	if (!kf_conn_ix_build(r, &ci)) {
		kf_rule_nomem(ctx);
		return;
	}
	for (size_t s = 0; s < r->n_stories; s++) {
		const struct kf_story *st = &r->stories[s];
		bool *done = st->n_http ? kf_calloc(st->n_http, sizeof(bool)) : NULL;
		if (st->n_http && !done) {
			kf_rule_nomem(ctx);
			kf_free(ci.v);
			return;
		}
		for (size_t h = 0; h < st->n_http; h++) {
			const struct kf_story_http *c = &st->http[h];
			if (done[h] || !c->mech || strcmp(c->mech, "ntlm") != 0)
				continue;
			struct ntlm_facts f;
			if (ntlm_gather(ctx, &ci, st, h, done, &f))
				ntlm_emit(ctx, &f);
		}
		kf_free(done);
	}
	kf_free(ci.v);
	kf_rule_ntlm_fallback_smb(ctx);
	kf_rule_ntlm_fallback_bind(ctx);
}
