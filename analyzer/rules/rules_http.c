/* rules_http.c - findings about HTTP Negotiate (RFC 4559): NTLM fallback,
 * port-less SPNs, service-side Kerberos errors, aliases, 401 loops,
 * per-request re-authentication, token bloat (DIAGNOSES.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gss.h"
#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "rules.h"
#include "stories.h"

#define MAX_EVIDENCE KF_LIMIT_EVIDENCE_FRAMES

/* KRB-ERROR codes a service returns when it cannot decrypt a ticket. */
#define KRB_AP_ERR_BAD_INTEGRITY 31
#define KRB_AP_ERR_MODIFIED 41
#define KRB_AP_ERR_BADKEYVER 44
#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7

/* ---- helpers -------------------------------------------------------------- */

static bool is_key_error(int32_t code)
{
	return code == KRB_AP_ERR_MODIFIED || code == KRB_AP_ERR_BAD_INTEGRITY || code == KRB_AP_ERR_BADKEYVER;
}

/* Evidence frames, bounded. */
struct ev {
	uint64_t f[MAX_EVIDENCE];
	size_t n;
};

static void ev_add(struct ev *e, uint64_t frame)
{
	if (!frame)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->f[i] == frame)
			return;
	if (e->n < MAX_EVIDENCE)
		e->f[e->n++] = frame;
}

/* A message of type on the same HTTP connection in frame (NULL if none). */
static const struct kf_message *tok_at(const struct kf_result *r, uint64_t frame, int type, uint32_t conn)
{
	if (!frame)
		return NULL;
	for (const struct kf_message *m = kf_msg_at(r, frame, -1);
	     m && m < r->messages + r->n_messages && m->frame == frame; m++)
		if (m->type == type && m->carrier == KF_CARRIER_HTTP && (!conn || m->connection == conn))
			return m;
	return NULL;
}

/* The HTTP response to an HTTP request (the engine matches replies of the
 * same family: a record answers a record). */
static const struct kf_message *http_resp_of(const struct kf_result *r, const struct kf_message *req)
{
	const struct kf_message *m = kf_msg_reply(r, req);
	return m && m->type == KF_MSG_HTTP_RESPONSE && m->http ? m : NULL;
}

static bool is_http_req(const struct kf_message *m)
{
	return m->carrier == KF_CARRIER_HTTP && m->type == KF_MSG_HTTP_REQUEST && m->http;
}

/* The host name of a Host header, without port or IPv6 brackets, lowercase. */
static void host_name(const char *host, char *buf, size_t len)
{
	buf[0] = 0;
	if (!host || !len)
		return;
	size_t k = 0;
	if (host[0] == '[') {
		for (const char *p = host + 1; *p && *p != ']' && k + 1 < len; p++)
			buf[k++] = (char)tolower((unsigned char)*p);
	} else {
		const char *colon = strchr(host, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		for (const char *p = host; *p && p != colon && k + 1 < len; p++)
			buf[k++] = (char)tolower((unsigned char)*p);
	}
	while (k && buf[k - 1] == '.')
		k--;
	buf[k] = 0;
}

/* The port a request went to: Host header's ":port", else the server's. */
static unsigned req_port(const struct kf_message *req)
{
	const char *h = req->http ? req->http->host : NULL;
	if (h) {
		const char *p = h[0] == '[' ? strstr(h, "]:") : strchr(h, ':');
		if (p && h[0] == '[')
			p++;
		if (p && !strchr(p + 1, ':')) {
			long v = strtol(p + 1, NULL, 10);
			if (v > 0 && v < 65536)
				return (unsigned)v;
		}
	}
	return req->dst.port;
}

/* The host part of an HTTP/<host>[:port] SPN (NULL if another service class). */
static const char *http_spn_host(const char *sname)
{
	if (!sname || strncasecmp(sname, "HTTP/", 5) != 0)
		return NULL;
	return sname + 5;
}

/* Does the SPN's host (without its port) equal name? */
static bool spn_host_is(const char *sname, const char *name)
{
	const char *h = http_spn_host(sname);
	if (!h)
		return false;
	char buf[256];
	host_name(h, buf, sizeof buf);
	return kf_host_eq(buf, name);
}

static bool is_ip_literal(const char *name)
{
	if (!*name)
		return false;
	if (strchr(name, ':'))
		return true;
	for (const char *p = name; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return false;
	return true;
}

static const char *err_name(int32_t code)
{
	const char *n = kf_krb5_error_name(code);
	return n ? n : "KRB-ERROR";
}

static const char *etype_name(int32_t e)
{
	const char *n = kf_krb5_etype_name(e);
	return n ? n : "unknown etype";
}

static bool offers(const struct kf_http_rec *h, const char *scheme)
{
	for (size_t i = 0; h && i < h->n_challenges; i++)
		if (h->www_authenticate[i] && strcasecmp(h->www_authenticate[i], scheme) == 0)
			return true;
	return false;
}

/* Group key of a rule that reports (client, host[:port]) once. */
static struct kf_key host_key(const struct kf_endpoint *client, const char *host, int64_t port)
{
	struct kf_key k = kf_key_new();
	kf_key_addr(&k, client);
	kf_key_name(&k, host);
	kf_key_int(&k, port);
	return k;
}

/* The latest TGS exchange before frame in which client asked for sname. */
static const struct kf_message *tgs_req_for(const struct kf_result *r, const struct kf_endpoint *client,
					    const char *sname, uint64_t before)
{
	const struct kf_message *best = NULL;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->frame >= before)
			break;
		if (m->carrier == KF_CARRIER_KERBEROS && m->type == KF_KRB_TGS_REQ && m->krb.sname &&
		    kf_endpoint_same_addr(&m->src, client) && kf_name_eq_nocase(m->krb.sname, sname))
			best = m;
	}
	return best;
}

/* HTTP-carried messages by connection, then frame: one connection's messages
 * without scanning the capture for each connection. */
struct conn_msg {
	uint32_t conn, ix;
};

struct conn_ix {
	struct conn_msg *v;
	size_t n;
};

static int cmp_conn_msg(const void *a, const void *b)
{
	const struct conn_msg *x = a, *y = b;
	if (x->conn != y->conn)
		return x->conn < y->conn ? -1 : 1;
	return x->ix < y->ix ? -1 : x->ix > y->ix;
}

static bool conn_ix_build(const struct kf_result *r, struct conn_ix *ci)
{
	ci->n = 0;
	ci->v = kf_malloc((r->n_messages ? r->n_messages : 1) * sizeof *ci->v);
	if (!ci->v)
		return false;
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].carrier == KF_CARRIER_HTTP)
			ci->v[ci->n++] = (struct conn_msg){ r->messages[i].connection, (uint32_t)i };
	qsort(ci->v, ci->n, sizeof *ci->v, cmp_conn_msg);
	return true;
}

/* The entries of connection conn: *n of them from the one returned. */
static const struct conn_msg *conn_ix_find(const struct conn_ix *ci, uint32_t conn, size_t *n)
{
	size_t lo = 0, hi = ci->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ci->v[mid].conn < conn)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < ci->n && ci->v[end].conn == conn)
		end++;
	*n = end - lo;
	return ci->v + lo;
}

/* ---- ntlm-fallback -------------------------------------------------------- */

static void rule_ntlm_fallback(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct conn_ix ci;
	if (!conn_ix_build(r, &ci)) {
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
			char host[256];
			host_name(c->host, host, sizeof host);
			unsigned port = c->server.port;
			struct ev e = { .n = 0 };
			bool offered_negotiate = false, offered_ntlm = false, kerberos_conn = false;
			bool spnego_ntlm = false, ntlm_scheme = false;
			bool succeeded = false, failed = false;
			uint64_t first_ntlm = 0, last_ntlm = 0, kerberos_frame = 0;
			const char *ntlm_user = NULL;
			int last_status = 0;
			/* Every connection of this client to the same host and port. */
			for (size_t k = 0; k < st->n_http; k++) {
				const struct kf_story_http *o = &st->http[k];
				char oh[256];
				host_name(o->host, oh, sizeof oh);
				if (o->server.port != port || !kf_host_eq(oh, host))
					continue;
				bool ntlm = o->mech && strcmp(o->mech, "ntlm") == 0;
				if (ntlm)
					done[k] = true;
				if (o->mech && strcmp(o->mech, "kerberos") == 0 && !kerberos_conn) {
					kerberos_conn = true;
					kerberos_frame = o->n_frames ? o->frames[0] : 0;
				}
				size_t n_conn;
				const struct conn_msg *cm = conn_ix_find(&ci, o->connection, &n_conn);
				for (size_t i = 0; i < n_conn; i++) {
					const struct kf_message *m = &r->messages[cm[i].ix];
					if (m->carrier != KF_CARRIER_HTTP || m->connection != o->connection)
						continue;
					if (m->type == KF_MSG_HTTP_RESPONSE && m->http && (m->http->status == 401 ||
											      m->http->status == 407)) {
						/* A 401 carrying an NTLM CHALLENGE under "NTLM" is the handshake, not an offer. */
						bool chal = tok_at(r, m->frame, KF_MSG_NTLM_CHALLENGE, m->connection) != NULL;
						bool neg = offers(m->http, "Negotiate"), nt = offers(m->http, "NTLM") && !chal;
						offered_negotiate |= neg;
						offered_ntlm |= nt;
						if ((neg || nt) && e.n < 4)
							ev_add(&e, m->frame);
					}
					if (!ntlm)
						continue;
					if (m->type == KF_MSG_NTLM_NEGOTIATE || m->type == KF_MSG_NTLM_AUTHENTICATE) {
						const struct kf_message *req = tok_at(r, m->frame, KF_MSG_HTTP_REQUEST,
										      m->connection);
						if (!first_ntlm)
							first_ntlm = m->frame;
						last_ntlm = m->frame;
						ev_add(&e, m->frame);
						if (m->spnego)
							spnego_ntlm = true;
						else if (!req || !req->http->auth_scheme ||
							 strcasecmp(req->http->auth_scheme, "Negotiate") != 0)
							ntlm_scheme = true;
						if (m->type == KF_MSG_NTLM_AUTHENTICATE && m->ntlm && m->ntlm->user && !ntlm_user)
							ntlm_user = m->ntlm->domain && *m->ntlm->domain ?
									    kf_rule_fmt(ctx, "%s\\%s", m->ntlm->domain,
											m->ntlm->user) :
									    m->ntlm->user;
						if (m->type == KF_MSG_NTLM_AUTHENTICATE && req) {
							const struct kf_message *resp = http_resp_of(r, req);
							if (resp) {
								ev_add(&e, resp->frame);
								last_status = resp->http->status;
								if (resp->http->status == 401 || resp->http->status == 407)
									failed = true;
								else
									succeeded = true;
							}
						}
					}
				}
			}
			if (!first_ntlm)
				continue;
			if (!succeeded && !failed && c->final_status == 401)
				failed = true;

			/* What did the client ask the KDC for this host?  (Only its own
			 * messages count: both loops test the source address.) */
			const struct kf_message *tgs = NULL, *tgs_rep = NULL;
			bool any_kdc = false;
			struct kf_at_addr at = kf_result_at_addr(r, &st->client, 0);
			for (size_t i = 0; i < at.n; i++) {
				const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
				if (m->carrier != KF_CARRIER_KERBEROS)
					continue;
				if (kf_endpoint_same_addr(&m->src, &st->client))
					any_kdc = true;
				if (m->frame > last_ntlm || m->type != KF_KRB_TGS_REQ || !kf_endpoint_same_addr(&m->src, &st->client) ||
				    !spn_host_is(m->krb.sname, host))
					continue;
				const struct kf_message *rep = kf_msg_reply(r, m);
				if (!tgs || !tgs_rep || tgs_rep->type != KF_KRB_ERROR || (rep && rep->type == KF_KRB_ERROR)) {
					tgs = m;
					tgs_rep = rep;
				}
			}
			/* Every TGS exchange for that SPN is evidence (it takes the generic KDC findings). */
			for (size_t i = 0; tgs && i < at.n; i++) {
				const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
				if (m->carrier == KF_CARRIER_KERBEROS && m->type == KF_KRB_TGS_REQ && m->frame <= last_ntlm &&
				    kf_endpoint_same_addr(&m->src, &st->client) && spn_host_is(m->krb.sname, host)) {
					ev_add(&e, m->frame);
					ev_add(&e, m->reply_in);
				}
			}

			char srv[64];
			kf_endpoint_addr(&c->server, srv, sizeof srv);
			const char *how = ntlm_scheme ? "Authorization: NTLM" :
					  spnego_ntlm ? "Authorization: Negotiate with a SPNEGO token whose mechanism is NTLMSSP" :
							"Authorization: Negotiate carrying a raw NTLMSSP token";
			const char *offer = offered_negotiate && offered_ntlm ? "Negotiate and NTLM" :
					    offered_negotiate ? "Negotiate" : offered_ntlm ? "only NTLM" : "nothing visible";
			const char *cause, *fix;
			enum kf_confidence conf = KF_CONF_CERTAIN;
			const char *spn = kf_rule_fmt(ctx, "HTTP/%s", host);
			if (tgs && tgs_rep && tgs_rep->type == KF_KRB_ERROR &&
			    tgs_rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN) {
				cause = kf_rule_fmt(ctx,
					"The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) and the KDC "
					"answered KDC_ERR_S_PRINCIPAL_UNKNOWN (frame %llu): no account has that SPN registered, "
					"so SPNEGO dropped Kerberos and negotiated NTLM.",
					tgs->krb.sname, (unsigned long long)tgs->frame, (unsigned long long)tgs_rep->frame);
				fix = kf_rule_fmt(ctx,
					"Register the SPN on the account the site runs as: `setspn -S HTTP/%s <account>` (the "
					"computer account for an app pool running as NetworkService/ApplicationPoolIdentity, "
					"otherwise the service account; MIT: `addprinc -randkey HTTP/%s` and add it to the "
					"server's keytab). Check that it is on exactly one account with `setspn -Q HTTP/%s` and "
					"`setspn -X`. Then `klist purge` on the client and retry.",
					host, host, host);
			} else if (tgs && tgs_rep && tgs_rep->type == KF_KRB_ERROR) {
				cause = kf_rule_fmt(ctx,
					"The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) and the KDC "
					"refused with %s (%d, frame %llu), so SPNEGO fell back to NTLM.",
					tgs->krb.sname, (unsigned long long)tgs->frame, err_name(tgs_rep->krb.error_code),
					tgs_rep->krb.error_code, (unsigned long long)tgs_rep->frame);
				fix = kf_rule_fmt(ctx, "Fix the KDC error %s for %s (see that error's finding); once the client "
						       "gets a ticket, Negotiate uses Kerberos.",
						  err_name(tgs_rep->krb.error_code), tgs->krb.sname);
			} else if (!offered_negotiate && offered_ntlm) {
				cause = "The server offered only NTLM (WWW-Authenticate: NTLM, no Negotiate), so the client "
					"could not use Kerberos at all.";
				fix = "Offer Negotiate: in IIS, Windows Authentication > Providers, put Negotiate first (above "
				      "NTLM) or `appcmd set config /section:windowsAuthentication /+providers.[value='Negotiate']`; "
				      "with Apache mod_auth_gssapi allow the krb5 mechanism (GssapiAllowedMech krb5). Register the "
				      "HTTP/<host> SPN for the site's account.";
			} else if (tgs && tgs_rep) {
				conf = KF_CONF_LIKELY;
				cause = kf_rule_fmt(ctx,
					"The client got a ticket for %s (frame %llu) but still sent NTLM: the application chose "
					"NTLM, or the Kerberos exchange with the server failed before this.",
					tgs->krb.sname, (unsigned long long)tgs_rep->frame);
				fix = "Check the client's authentication settings (an application that asks for NTLM, explicit "
				      "credentials of a local account) and the server's answer to the Kerberos token.";
			} else if (kerberos_conn) {
				conf = KF_CONF_LIKELY;
				cause = kf_rule_fmt(ctx,
					"The same client authenticated to this server with Kerberos earlier in the capture (from "
					"frame %llu), so the SPN and the KDC work: this time the application itself chose NTLM "
					"(explicit credentials, a local account, an authentication option such as WinRM's "
					"-Authentication Negotiate with an address, or a tool that only speaks NTLM).",
					(unsigned long long)kerberos_frame);
				fix = "Have the client use the server's name and the domain account (for WinRM/PowerShell "
				      "remoting: -Authentication Kerberos with the FQDN); if NTLM is not wanted at all, restrict it "
				      "(\"Network security: Restrict NTLM\" policies) and watch the NTLM audit log.";
			} else if (is_ip_literal(host)) {
				conf = KF_CONF_LIKELY;
				cause = kf_rule_fmt(ctx,
					"The URL names the server by its IP address (%s): clients build the SPN from the host name, "
					"no account has an HTTP/<address> SPN, and Windows does not even try Kerberos for an "
					"address unless told to, so no TGS-REQ was sent and NTLM was used.",
					host);
				fix = "Use the server's DNS name (FQDN) in the URL. If an address is unavoidable, register "
				      "HTTP/<address> on the site's account and enable TryIPSPN on the clients (Windows 10 1507 "
				      "and later). (Likely, not certain: a capture started after `klist purge` shows whether the "
				      "client asks the KDC at all.)";
			} else if (!any_kdc) {
				conf = KF_CONF_LIKELY;
				cause = "The capture holds no Kerberos traffic from this client at all: either it did not try "
					"Kerberos (no TGT: a local or non-domain account; the name is not in the Local Intranet "
					"zone, so the browser does not offer Kerberos; a name the client cannot map to a realm), "
					"or it already had the ticket in its cache before the capture started.";
				fix = kf_rule_fmt(ctx,
					"Take a capture that starts after `klist purge` on the client (and includes port 88): "
					"if a TGS-REQ for HTTP/%s appears, its answer names the cause; if none appears, check "
					"`klist` for a TGT, the browser's zone for %s (add it to Local Intranet), and that the "
					"SPN exists (`setspn -Q HTTP/%s`).",
					host, host, host);
			} else {
				conf = KF_CONF_LIKELY;
				cause = kf_rule_fmt(ctx,
					"The client talked to the KDC but never asked for a ticket to %s in this capture: it did "
					"not try Kerberos for this name (zone settings, an application that asks for NTLM), or "
					"the ticket was already cached.",
					spn);
				fix = kf_rule_fmt(ctx,
					"Capture again after `klist purge` on the client: a TGS-REQ for HTTP/%s and its answer "
					"will name the cause. Check the SPN with `setspn -Q HTTP/%s` and put the site in the "
					"Local Intranet zone.",
					host, host);
			}
			enum kf_severity sev = failed && !succeeded ? KF_SEV_ERROR : KF_SEV_WARNING;
			const char *outcome = succeeded ? kf_rule_fmt(ctx, "NTLM authentication succeeded (HTTP %d)", last_status) :
					      failed ? "NTLM authentication failed too (401)" :
						       "the capture does not show whether NTLM succeeded";
			const char *expl = kf_rule_fmt(ctx,
				"The server at %s (Host %s) offered %s; the client answered with NTLM (%s, from frame %llu)%s%s. "
				"%s %s. NTLM works without the KDC but is weaker, cannot be delegated to a back end, and "
				"hides SPN problems.",
				srv, c->host ? c->host : host, offer, how, (unsigned long long)first_ntlm,
				ntlm_user ? " as " : "", ntlm_user ? ntlm_user : "", cause, outcome);
			kf_finding_add(ctx, sev, conf, e.f, e.n,
				kf_rule_fmt(ctx, "%s %s (%s) %s NTLM%s%s: %s",
					    offered_negotiate ? "Negotiate to" : "HTTP authentication to",
					    c->host ? c->host : host, srv, offered_negotiate ? "fell back to" : "used", ntlm_user ? " for " : "", ntlm_user ? ntlm_user : "",
					    tgs_rep && tgs_rep->type == KF_KRB_ERROR ?
						    kf_rule_fmt(ctx, "%s for %s", err_name(tgs_rep->krb.error_code),
								tgs->krb.sname) :
					    !offered_negotiate && offered_ntlm ? "server offers only NTLM" :
					    kerberos_conn ? "Kerberos worked with this server earlier" :
					    is_ip_literal(host) ? "URL uses an IP address" :
					    !any_kdc ? "no Kerberos traffic from the client" :
						       kf_rule_fmt(ctx, "no ticket request for %s", spn)),
				expl, fix);
		}
		kf_free(done);
	}
	kf_free(ci.v);
}

/* ---- portless-spn ----------------------------------------------------------- */

static void rule_portless_spn(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		if (!is_http_req(req))
			continue;
		unsigned port = req_port(req);
		if (port == 80 || port == 443)
			continue;
		const struct kf_message *ap = tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection);
		if (!ap || !ap->krb.ticket)
			continue;
		const char *sh = http_spn_host(ap->krb.ticket->sname);
		if (!sh || strchr(sh, ':'))
			continue; /* another service class, or the SPN has its port */
		char host[256];
		host_name(req->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, host_key(&req->src, host, port)))
			continue;
		/* Every AP-REQ of this client to host:port and the server's answers,
		 * from this request on. */
		struct ev e = { .n = 0 };
		bool rejected = false, worked = false, key_err = false;
		int32_t code = 0;
		uint64_t err_frame = 0, first_ap = 0;
		const char *sname = ap->krb.ticket->sname, *realm = ap->krb.ticket->realm;
		struct kf_at_addr at = kf_result_at_addr(r, &req->src, req->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (q < req || !is_http_req(q) || !kf_endpoint_same_addr(&q->src, &req->src) || req_port(q) != port)
				continue;
			char qh[256];
			host_name(q->http->host, qh, sizeof qh);
			if (!kf_host_eq(qh, host))
				continue;
			const struct kf_message *qa = tok_at(r, q->frame, KF_KRB_AP_REQ, q->connection);
			if (!qa || !qa->krb.ticket || !kf_name_eq_nocase(qa->krb.ticket->sname, sname))
				continue;
			if (!first_ap)
				first_ap = q->frame;
			ev_add(&e, q->frame);
			const struct kf_message *resp = http_resp_of(r, q);
			if (!resp)
				continue;
			ev_add(&e, resp->frame);
			const struct kf_message *ke = tok_at(r, resp->frame, KF_KRB_ERROR, resp->connection);
			const struct kf_message *rep = tok_at(r, resp->frame, KF_KRB_AP_REP, resp->connection);
			if (ke && is_key_error(ke->krb.error_code)) {
				rejected = key_err = true;
				code = ke->krb.error_code;
				err_frame = resp->frame;
			} else if (rep || (resp->http->status >= 200 && resp->http->status < 400)) {
				worked = true;
			} else if (!ke && resp->http->status == 401) {
				rejected = true;
				if (!err_frame)
					err_frame = resp->frame;
			}
		}
		if (!rejected && !worked)
			continue;
		bool winrm = port == 5985 || port == 5986;
		if (!rejected && winrm)
			continue; /* WinRM registers HTTP/<host> on the computer account by design */
		const struct kf_message *tgs = tgs_req_for(r, &req->src, sname, first_ap);
		if (tgs) {
			ev_add(&e, tgs->frame);
			ev_add(&e, tgs->reply_in);
		}
		/* Did the same ticket work on the default port of that host? */
		uint64_t ok_default = 0;
		at = kf_result_at_addr(r, &req->src, 0);
		for (size_t j = 0; rejected && j < at.n && !ok_default; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!is_http_req(q) || !kf_endpoint_same_addr(&q->src, &req->src))
				continue;
			unsigned qp = req_port(q);
			char qh[256];
			host_name(q->http->host, qh, sizeof qh);
			if ((qp != 80 && qp != 443) || !kf_host_eq(qh, host))
				continue;
			const struct kf_message *qa = tok_at(r, q->frame, KF_KRB_AP_REQ, q->connection);
			const struct kf_message *resp = http_resp_of(r, q);
			if (qa && qa->krb.ticket && kf_name_eq_nocase(qa->krb.ticket->sname, sname) && resp &&
			    resp->http->status < 400)
				ok_default = resp->frame;
		}
		char srv[64];
		kf_endpoint_addr(&req->dst, srv, sizeof srv);
		const char *fix = kf_rule_fmt(ctx,
			"Either run every site on %s (all ports) under the one account that owns HTTP/%s (the same app pool "
			"identity, or the computer account), or make clients put the port in the SPN and register it on the "
			"site's own account: enable FEATURE_INCLUDE_PORT_IN_SPN_KB908209 for iexplore.exe/the browser (Edge/"
			"Chrome: policy EnableAuthNegotiatePort) and run `setspn -S HTTP/%s:%u <site account>` (MIT: a "
			"keytab entry for HTTP/%s:%u). Check who owns the port-less SPN with `setspn -Q HTTP/%s`.",
			host, host, host, port, host, port, host);
		if (rejected) {
			const char *why = key_err ?
				kf_rule_fmt(ctx, "the server could not decrypt it and answered %s (%d) inside the 401 (frame %llu)",
					    err_name(code), code, (unsigned long long)err_frame) :
				kf_rule_fmt(ctx, "the server answered 401 again (frame %llu)", (unsigned long long)err_frame);
			kf_finding_add(ctx, KF_SEV_ERROR, key_err ? KF_CONF_CERTAIN : KF_CONF_LIKELY, e.f, e.n,
				kf_rule_fmt(ctx, "%s (port %u) rejected a ticket for the port-less SPN %s@%s: %s", req->http->host,
					    port, sname, realm ? realm : "?", key_err ? err_name(code) : "401"),
				kf_rule_fmt(ctx,
					"The site listens on port %u, but the client asked for and presented a ticket for %s, "
					"without the port (browsers and curl leave the port out of the SPN). That ticket is "
					"encrypted with the key of whichever account owns %s; %s: the site on port %u runs under "
					"another account (or has another key) than the owner of the port-less SPN.%s",
					port, sname, sname, why, port,
					ok_default ? kf_rule_fmt(ctx, " The same ticket was accepted on the default port of "
								      "%s (frame %llu): the two sites use different keys.",
								 host, (unsigned long long)ok_default) :
						     ""),
				kf_rule_fmt(ctx, "%s%s", fix,
					    key_err ? "" : " (Likely, not certain: the 401 carried no Kerberos error; the "
							   "server's log names the reason.)"));
		} else {
			kf_finding_add(ctx, KF_SEV_WARNING, KF_CONF_CERTAIN, e.f, e.n,
				kf_rule_fmt(ctx, "%s (port %u) accepted a ticket for the port-less SPN %s@%s", req->http->host,
					    port, sname, realm ? realm : "?"),
				kf_rule_fmt(ctx,
					"The site listens on port %u and the client used a ticket for %s, without the port. It "
					"worked because the site on port %u shares the key of the account owning %s. It breaks "
					"as soon as that site runs under a different account (an app pool identity of its own, "
					"a separate keytab): the server then cannot decrypt the ticket (KRB_AP_ERR_MODIFIED).",
					port, sname, port, sname),
				fix);
		}
	}
	kf_seen_free(&seen);
}

/* ---- ap-err-modified ----------------------------------------------------- */

/* With --keytab: what opening the rejected ticket showed, as a short cause
 * for the summary and a sentence for the explanation.  NULL without keys. */
static const char *keytab_verdict(struct kf_rule_ctx *ctx, const struct kf_message *req, const char **cause)
{
	const struct kf_dec_ticket *d = req && req->dec ? req->dec->ticket : NULL;
	if (!d)
		return NULL;
	if (d->status == KF_OPEN_OK && d->other_principal) {
		*cause = kf_rule_fmt(ctx, "the ticket is encrypted for another account (%s)", d->key.principal);
		return kf_rule_fmt(ctx,
			"Decrypted with the keytab given to krbflow, the ticket opens only with the key of %s (kvno %u), "
			"not with a key of %s: the KDC encrypted it for that account, so the SPN belongs to it (a duplicate "
			"SPN, or the SPN on the wrong account).",
			d->key.principal, d->key.kvno, d->server);
	}
	if (d->status == KF_OPEN_OK) {
		*cause = "the keytab given to krbflow opens it: the service reads another keytab";
		return kf_rule_fmt(ctx,
			"The keytab given to krbflow (%s) opens the ticket with %s kvno %u, so that keytab is right and "
			"the service is not using it: check which keytab the service reads (KRB5_KTNAME, "
			"GssapiCredStore, KrbServiceName/Krb5Keytab, /etc/krb5.keytab) and the account it runs as.",
			d->key.keytab ? d->key.keytab : "?", d->key.principal, d->key.kvno);
	}
	if (d->status == KF_OPEN_WRONG_KEY) {
		*cause = "the keytab's key is not the KDC's (same kvno, other key)";
		return kf_rule_fmt(ctx, "Decrypting with the keytab given to krbflow: %s.", d->why ? d->why : "wrong key");
	}
	bool kvno_known = false;
	for (unsigned i = 0; i < d->n_keytab; i++)
		kvno_known |= d->keytab_kvnos[i] == d->kvno;
	if (d->n_keytab && d->kvno && !kvno_known)
		*cause = kf_rule_fmt(ctx, "stale keytab: it has kvno %u, the ticket kvno %u", d->keytab_kvnos[0], d->kvno);
	else
		*cause = NULL;
	return kf_rule_fmt(ctx, "Decrypting with the keytab given to krbflow: %s.", d->why ? d->why : "no key");
}

static void rule_ap_err_modified(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *err = &r->messages[i];
		if (err->type != KF_KRB_ERROR || !is_key_error(err->krb.error_code))
			continue;
		if (err->carrier == KF_CARRIER_KERBEROS && kf_error_recovered(r, err))
			continue;
		/* The request it answers, and the ticket that request carried. */
		const struct kf_message *req = NULL, *http_req = NULL;
		if (err->carrier == KF_CARRIER_HTTP) {
			req = tok_at(r, err->reply_to, KF_KRB_AP_REQ, err->connection);
			http_req = tok_at(r, err->reply_to, KF_MSG_HTTP_REQUEST, err->connection);
		} else {
			/* From a KDC: only a TGS-REQ whose TGT it cannot decrypt.  An
			 * AS-REQ answered 31 is MIT's wrong password (PREAUTH_FAILED),
			 * the krb5 rules' business. */
			req = kf_msg_request(r, err);
			if (!req || req->type != KF_KRB_TGS_REQ)
				continue;
		}
		const struct kf_ticket_rec *t = req ? req->krb.ticket : NULL;
		uint64_t frames[4];
		size_t nf = 0;
		frames[nf++] = err->frame;
		if (req)
			frames[nf++] = req->frame;
		/* The TGS-REP that issued the ticket (named in the text, not evidence:
		 * the issuing exchange is healthy). */
		const struct kf_message *issued = NULL;
		if (t && req) {
			struct kf_at_addr at = kf_result_at_addr(r, &req->src, 0);
			for (size_t j = 0; j < at.n && KF_AT_ADDR_MSG(r, at.v[j])->frame < req->frame; j++) {
				const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
				if (m->type == KF_KRB_TGS_REP && m->krb.ticket &&
				    kf_endpoint_same_addr(&m->dst, &req->src) &&
				    kf_name_eq_nocase(m->krb.ticket->sname, t->sname))
					issued = m;
			}
		}
		char srv[64];
		kf_endpoint_addr(&err->src, srv, sizeof srv);
		const char *sname = t ? t->sname : err->krb.sname ? err->krb.sname : "?";
		const char *realm = t ? t->realm : err->krb.realm ? err->krb.realm : "?";
		const char *tinfo = t ? kf_rule_fmt(ctx, "ticket for %s@%s, %s%s", t->sname, t->realm, etype_name(t->etype),
						    t->has_kvno ? kf_rule_fmt(ctx, ", kvno %u", t->kvno) : "") :
					"ticket not visible in the capture";
		const char *where = http_req && http_req->http->host ?
					    kf_rule_fmt(ctx, "%s (Host %s)", srv, http_req->http->host) :
					    kf_rule_fmt(ctx, "%s", srv);
		const char *reason, *fix;
		switch (err->carrier == KF_CARRIER_KERBEROS ? -1 : err->krb.error_code) {
		case -1:
			reason = kf_rule_fmt(ctx,
				"The KDC could not decrypt the ticket presented in the TGS-REQ (%s): a TGT issued by another "
				"KDC whose krbtgt key differs (a read-only DC's own krbtgt_NNNNN account, a krbtgt password "
				"reset that has not replicated), or a referral ticket encrypted with an inter-realm trust key "
				"the two realms no longer share.",
				t ? t->sname : "?");
			fix = "Check replication of the krbtgt account between the domain controllers (`repadmin /showrepl`), "
			      "reset the trust password on both sides if the ticket is a referral (`netdom trust /resetOneSide` "
			      "or the trust's properties), then `klist purge` on the client to get a new TGT.";
			break;
		case KRB_AP_ERR_BADKEYVER:
			reason = kf_rule_fmt(ctx,
				"The service's keytab has no key with the ticket's key version%s: the account's password or "
				"keys were changed in the KDC (kvno bumped) after the keytab was exported, so the keytab is "
				"stale.",
				t && t->has_kvno ? kf_rule_fmt(ctx, " (kvno %u)", t->kvno) : "");
			fix = kf_rule_fmt(ctx,
				"Re-export the keytab for %s with the current key and install it on the server (MIT: "
				"`kadmin -q \"ktadd -k /etc/krb5.keytab %s\"` (changes the key again unless -norandkey); AD: "
				"`ktpass -princ %s@%s -mapuser <account> -pass <password> -crypto AES256-SHA1 -ptype "
				"KRB5_NT_PRINCIPAL -out http.keytab`). Compare `kvno %s` on a client with `klist -kte <keytab>` on "
				"the server: the kvno must match.",
				sname, sname, sname, realm, sname);
			break;
		default:
			reason = kf_rule_fmt(ctx,
				"The service could not decrypt the ticket with the key it has for %s: the ticket was "
				"encrypted with the key of the account that owns the SPN in the KDC, and the service runs "
				"with another key. Usual causes: the SPN is registered on two accounts (duplicate SPN) or on "
				"an account other than the one the service runs as (IIS app pool identity not the SPN owner; "
				"kernel-mode authentication, which decrypts with the computer account, while the SPN is on a "
				"user account), or a keytab with the same kvno but another key (password reset and the keytab "
				"not re-exported).",
				sname);
			fix = kf_rule_fmt(ctx,
				"Find the owner of the SPN: `setspn -Q %s` (and `setspn -X` for duplicates; remove the wrong "
				"one with `setspn -D %s <account>`). Run the service as that account, or move the SPN to the "
				"account it runs as (`setspn -S %s <account>`). On IIS with a domain account as app pool "
				"identity and kernel-mode authentication, set useAppPoolCredentials=\"true\" on "
				"windowsAuthentication. For a keytab (Apache, Linux): re-export it with the current key and "
				"check it with `klist -kte`. Then `klist purge` on the client.",
				sname, sname, sname);
			break;
		}
		const char *cause = NULL;
		const char *verdict = keytab_verdict(ctx, req, &cause);
		kf_finding_add(ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, frames, nf,
			kf_rule_fmt(ctx, "%s rejected the ticket for %s@%s: %s (%d)%s%s%s", where, sname, realm,
				    err_name(err->krb.error_code), err->krb.error_code,
				    t && t->has_kvno ? kf_rule_fmt(ctx, ", ticket kvno %u %s", t->kvno, etype_name(t->etype)) :
						       "",
				    cause ? ": " : "", cause ? cause : ""),
			kf_rule_fmt(ctx, "%s%s answered %s (%d) to the AP-REQ in frame %llu (%s%s). %s%s%s",
				    err->carrier == KF_CARRIER_HTTP ? "The web server " : "The service ", where,
				    err_name(err->krb.error_code), err->krb.error_code,
				    (unsigned long long)(req ? req->frame : err->reply_to), tinfo,
				    issued ? kf_rule_fmt(ctx, ", issued by the KDC in frame %llu", (unsigned long long)issued->frame) :
					     "",
				    reason, verdict ? " " : "", verdict ? verdict : ""),
			fix);
	}
}

/* ---- cname-spn ------------------------------------------------------------ */

/* The CNAME chain of a DNS answer starting at name (names after it). */
static size_t cname_chain(const struct kf_dns_rec *d, const char *name, const char **out, size_t max)
{
	size_t n = 0;
	const char *cur = name;
	for (size_t hop = 0; hop < 8 && n < max; hop++) {
		const char *next = NULL;
		for (size_t a = 0; a < d->n_answers; a++)
			if (d->answers[a].type == 5 && d->answers[a].data &&
			    kf_host_eq(d->answers[a].name, cur))
				next = d->answers[a].data;
		if (!next)
			break;
		out[n++] = next;
		cur = next;
	}
	return n;
}

static void rule_cname_spn(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		if (!is_http_req(req) || !req->http->host)
			continue;
		char host[256];
		host_name(req->http->host, host, sizeof host);
		if (!host[0] || is_ip_literal(host))
			continue;
		/* What follows depends only on (client, host): judge each pair once,
		 * at its first request. */
		if (!kf_seen_add(ctx, &seen, host_key(&req->src, host, 0)))
			continue;
		/* A DNS answer to this client turning the Host's name into an alias. */
		const char *chain[8];
		size_t nchain = 0;
		struct ev e = { .n = 0 };
		struct kf_at_addr at = kf_result_at_addr(r, &req->src, 0);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *d = KF_AT_ADDR_MSG(r, at.v[j]);
			if (d->type != KF_MSG_DNS || !d->dns || !kf_endpoint_same_addr(&d->dst, &req->src) ||
			    !kf_host_eq(d->dns->query, host))
				continue;
			const char *c[8];
			size_t n = cname_chain(d->dns, host, c, 8);
			if (!n)
				continue;
			ev_add(&e, d->frame);
			if (n > nchain) {
				memcpy(chain, c, n * sizeof *c);
				nchain = n;
			}
		}
		if (!nchain)
			continue;
		ev_add(&e, req->frame);
		/* Tickets asked for: the canonical name, or the alias refused? */
		const struct kf_message *canon = NULL, *alias_err = NULL;
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
			if (m->carrier != KF_CARRIER_KERBEROS || m->type != KF_KRB_TGS_REQ || !kf_endpoint_same_addr(&m->src, &req->src))
				continue;
			for (size_t k = 0; k < nchain && !canon; k++)
				if (spn_host_is(m->krb.sname, chain[k]))
					canon = m;
			if (spn_host_is(m->krb.sname, host)) {
				const struct kf_message *rep = kf_msg_reply(r, m);
				if (rep && rep->type == KF_KRB_ERROR && rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN) {
					alias_err = alias_err ? alias_err : rep;
					ev_add(&e, m->frame);
					ev_add(&e, rep->frame);
				}
			}
		}
		/* Also a ticket for the canonical name presented without a TGS in the capture. */
		const struct kf_message *canon_ap = NULL;
		for (size_t j = 0; j < at.n && !canon && !canon_ap; j++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
			if (m->type != KF_KRB_AP_REQ || m->carrier != KF_CARRIER_HTTP || !m->krb.ticket ||
			    !kf_endpoint_same_addr(&m->src, &req->src))
				continue;
			for (size_t k = 0; k < nchain; k++)
				if (spn_host_is(m->krb.ticket->sname, chain[k]))
					canon_ap = m;
		}
		const char *target = chain[nchain - 1];
		if (canon || canon_ap) {
			const char *spn = canon ? canon->krb.sname : canon_ap->krb.ticket->sname;
			if (canon) {
				ev_add(&e, canon->frame);
				ev_add(&e, canon->reply_in);
			}
			kf_finding_add(ctx, KF_SEV_INFO, KF_CONF_CERTAIN, e.f, e.n,
				kf_rule_fmt(ctx, "Host %s is a DNS alias (CNAME) of %s: the client used the SPN %s", host, target,
					    spn),
				kf_rule_fmt(ctx,
					"The request names %s, which DNS resolves through a CNAME to %s. The client "
					"canonicalised the name and asked for a ticket to %s, so the SPN must be registered for "
					"the canonical name, not the alias. This works, but depends on DNS: a client that does "
					"not canonicalise (MIT with dns_canonicalize_hostname = false, curl by default, browsers "
					"with FEATURE_USE_CNAME_FOR_SPN_KB911149 off, Chrome/Edge with "
					"DisableAuthNegotiateCnameLookup) asks for HTTP/%s instead, and changing the alias into "
					"an A record changes the SPN clients ask for.",
					host, target, spn, host),
				kf_rule_fmt(ctx,
					"Nothing is broken. To make it independent of DNS and of client settings, register the "
					"alias too on the same account: `setspn -S HTTP/%s <account that owns %s>`.",
					host, spn));
		} else if (alias_err) {
			kf_finding_add(ctx, KF_SEV_WARNING, KF_CONF_CERTAIN, e.f, e.n,
				kf_rule_fmt(ctx, "Host %s is a DNS alias (CNAME) of %s, but the client asked for HTTP/%s: "
						 "KDC_ERR_S_PRINCIPAL_UNKNOWN",
					    host, target, host),
				kf_rule_fmt(ctx,
					"The request names %s, which DNS resolves through a CNAME to %s (frame %llu). The client "
					"did not canonicalise the name and asked the KDC for a ticket to HTTP/%s, which no account "
					"has (KDC_ERR_S_PRINCIPAL_UNKNOWN, frame %llu); the SPN is presumably registered for the "
					"canonical name HTTP/%s. Kerberos authentication to the alias fails (the client gets a "
					"401, or falls back to NTLM where it can).",
					host, target, (unsigned long long)e.f[0], host, (unsigned long long)alias_err->frame,
					target),
				kf_rule_fmt(ctx,
					"Register the alias on the account that runs the site: `setspn -S HTTP/%s <account>` "
					"(MIT: add HTTP/%s to the server's keytab), or use the canonical name %s in URLs, or make "
					"clients canonicalise (MIT krb5.conf dns_canonicalize_hostname = true; IE "
					"FEATURE_USE_CNAME_FOR_SPN_KB911149). Prefer an A record over a CNAME for web sites that "
					"use Kerberos.",
					host, host, target));
		}
	}
	kf_seen_free(&seen);
}

/* ---- auth-loop ------------------------------------------------------------ */

static void rule_auth_loop(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *first = &r->messages[i];
		if (!is_http_req(first) || !first->http->auth_scheme)
			continue;
		char host[256];
		host_name(first->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, host_key(&first->src, host, first->dst.port)))
			continue;
		struct ev e = { .n = 0 };
		unsigned refused = 0, with_aprep = 0, with_err = 0;
		int32_t err_code = 0;
		int last_status = 0;
		bool proxy = false;
		const char *scheme = first->http->auth_scheme;
		struct kf_at_addr at = kf_result_at_addr(r, &first->src, first->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (q < first || !is_http_req(q) || !q->http->auth_scheme || !kf_endpoint_same_addr(&q->src, &first->src) ||
			    q->dst.port != first->dst.port)
				continue;
			char qh[256];
			host_name(q->http->host, qh, sizeof qh);
			if (!kf_host_eq(qh, host))
				continue;
			const struct kf_message *resp = http_resp_of(r, q);
			if (!resp)
				continue;
			/* NTLM's first leg and SPNEGO continuations are handshakes, not refusals. */
			if (tok_at(r, q->frame, KF_MSG_NTLM_NEGOTIATE, q->connection) ||
			    tok_at(r, resp->frame, KF_MSG_NTLM_CHALLENGE, resp->connection))
				continue;
			const struct kf_message *ke = tok_at(r, resp->frame, KF_KRB_ERROR, resp->connection);
			const struct kf_message *rep = tok_at(r, resp->frame, KF_KRB_AP_REP, resp->connection);
			last_status = resp->http->status;
			if (resp->http->status != 401 && resp->http->status != 407)
				continue;
			if (!ke && !rep && resp->spnego && resp->spnego->has_neg_state &&
			    resp->spnego->neg_state == KF_NEG_ACCEPT_INCOMPLETE)
				continue;
			refused++;
			proxy |= resp->http->status == 407;
			ev_add(&e, q->frame);
			ev_add(&e, resp->frame);
			if (rep)
				with_aprep++;
			if (ke) {
				with_err++;
				err_code = ke->krb.error_code;
			}
		}
		if (refused < 2 || (last_status != 401 && last_status != 407))
			continue;
		char srv[64];
		kf_endpoint_addr(&first->dst, srv, sizeof srv);
		const char *expl, *fix;
		if (with_aprep) {
			expl = kf_rule_fmt(ctx,
				"The client sent credentials (%s) %u times and got %u each time. %s of those answers carry the "
				"server's Kerberos AP-REP (SPNEGO accept-completed): Kerberos authentication succeeded, the "
				"server knows who the user is, and then refused access. This is an authorization problem, "
				"not an SPN or ticket problem (the browser's \"three prompts, then 401\").",
				scheme, refused, proxy ? 407 : 401, with_aprep == refused ? "All" : "Some");
			fix = "Check the authorization rules of the resource: IIS authorization rules / NTFS permissions "
			      "for the user or its groups, Apache `Require user`/`Require group`/`Require valid-user`, "
			      "the application's role checks; check the user's group membership (`whoami /groups`, log "
			      "off and on after a group change, since groups come with the ticket's PAC) and the server's "
			      "log for the refusal.";
		} else if (with_err) {
			expl = kf_rule_fmt(ctx,
				"The client sent credentials (%s) %u times and got %u each time; the server's token in the 401 "
				"carries a Kerberos error (%s, %d): the server cannot accept the ticket, and retrying with "
				"the same ticket cannot help.",
				scheme, refused, proxy ? 407 : 401, err_name(err_code), err_code);
			fix = kf_rule_fmt(ctx, "Fix the %s reported for this server (see that finding), then `klist purge` "
					       "on the client and retry.",
					  err_name(err_code));
		} else {
			expl = kf_rule_fmt(ctx,
				"The client sent credentials (%s) %u times and got %u each time, with no Kerberos token "
				"explaining why: the credentials are refused (wrong password for Basic, a user the server "
				"does not accept) or the server rejects the token without saying why.",
				scheme, refused, proxy ? 407 : 401);
			fix = "Read the server's log for the reason of the 401 (IIS: the sub-status code in the W3C log, "
			      "401.1 logon failed, 401.2 configuration, 401.3 ACL; Apache: error_log with LogLevel "
			      "auth_gssapi:debug); check the account and the authorization rules.";
		}
		kf_finding_add(ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, e.f, e.n,
			kf_rule_fmt(ctx, "%s (%s) answered %u requests with credentials by %d%s", first->http->host ? first->http->host : srv,
				    srv, refused, proxy ? 407 : 401,
				    with_aprep ? ": Kerberos succeeded (AP-REP in the 401), authorization refused" :
				    with_err ? kf_rule_fmt(ctx, ": %s", err_name(err_code)) : ""),
			expl, fix);
	}
	kf_seen_free(&seen);
}

/* ---- token-too-large ---------------------------------------------------- */

static void rule_token_too_large(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		if (!is_http_req(req) || !req->http->auth_scheme)
			continue;
		const struct kf_message *resp = http_resp_of(r, req);
		if (!resp)
			continue;
		int st = resp->http->status;
		if (st != 400 && st != 413 && st != 431)
			continue;
		bool kerberos = tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection) != NULL;
		if (st == 400) {
			/* A 400 that answered the authentication (Persistent-Auth, a token) is about something else. */
			if (resp->http->persistent_auth || resp->http->token_bytes ||
			    (!kerberos && req->http->header_bytes < 4096))
				continue;
		}
		char host[256];
		host_name(req->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, host_key(&req->src, host, req->dst.port)))
			continue;
		/* A smaller request to the same server answered normally makes the size certain. */
		uint64_t smaller = 0;
		struct kf_at_addr at = kf_result_at_addr(r, &req->dst, 0);
		for (size_t j = 0; j < at.n && !smaller; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!is_http_req(q) || !kf_endpoint_same_addr(&q->dst, &req->dst) || q->dst.port != req->dst.port ||
			    q->http->header_bytes >= req->http->header_bytes)
				continue;
			const struct kf_message *qr = http_resp_of(r, q);
			if (qr && qr->http->status != 400 && qr->http->status != 413 && qr->http->status != 431)
				smaller = q->frame;
		}
		uint64_t frames[3] = { req->frame, resp->frame, smaller };
		unsigned b64 = (req->http->token_bytes + 2) / 3 * 4;
		unsigned line = b64 + (unsigned)strlen(req->http->auth_scheme) + 17; /* "Authorization: X " + CRLF */
		char srv[64];
		kf_endpoint_addr(&req->dst, srv, sizeof srv);
		kf_finding_add(ctx, KF_SEV_ERROR, smaller ? KF_CONF_CERTAIN : KF_CONF_LIKELY, frames, smaller ? 3 : 2,
			kf_rule_fmt(ctx, "%s (%s) answered HTTP %d to a request with a %u-byte %s token (request header %u bytes)",
				    req->http->host ? req->http->host : srv, srv, st, req->http->token_bytes,
				    req->http->auth_scheme, req->http->header_bytes),
			kf_rule_fmt(ctx,
				"The request in frame %llu carried %s%s with a %u-byte token (an Authorization line of about "
				"%u bytes, %u bytes of request header in all), and the server refused it with HTTP %d before "
				"authenticating%s. Kerberos tokens grow with the user's group memberships (the PAC in the "
				"ticket); once the header exceeds the server's limit for one field or for the whole request "
				"header, the server answers 400 (\"Request header too long\", \"Size of a request header "
				"field exceeds server limit\").%s",
				(unsigned long long)req->frame, req->http->proxy ? "Proxy-Authorization: " : "Authorization: ",
				req->http->auth_scheme, req->http->token_bytes, line, req->http->header_bytes, st,
				kerberos ? " (the token is a Kerberos AP-REQ)" : "",
				smaller ? kf_rule_fmt(ctx, " A smaller request to the same server (frame %llu) was answered "
							   "normally, so the size is the cause.",
						      (unsigned long long)smaller) :
					  " (Likely, not certain: no smaller request to this server is in the capture; the "
					  "server's log names the limit that was hit.)"),
			"Raise the server's header limits above the largest token: IIS/http.sys registry values "
			"MaxFieldLength and MaxRequestBytes under HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters "
			"(e.g. 65534 and 16777216, then restart http.sys; KB2020943); Apache LimitRequestFieldSize (and "
			"LimitRequestLine); nginx large_client_header_buffers (e.g. 4 64k). Reduce the token: fewer group "
			"memberships for the user, resource SID compression, and keep the Kerberos MaxTokenSize in line.");
	}
	kf_seen_free(&seen);
}

/* ---- request-based-kerberos ---------------------------------------------- */

/* A keep-alive connection on which the client sent a new AP-REQ with every
 * request, each accepted: the server does not keep the connection
 * authenticated, so every request costs a ticket check (and the client a
 * larger header). */
static void rule_request_based(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct conn_ix ci;
	if (!conn_ix_build(r, &ci)) {
		kf_rule_nomem(ctx);
		return;
	}
	for (size_t s = 0; s < r->n_stories; s++) {
		const struct kf_story *st = &r->stories[s];
		for (size_t h = 0; h < st->n_http; h++) {
			const struct kf_story_http *c = &st->http[h];
			uint64_t frames[64];
			size_t nf = 0, accepted = 0, n_conn;
			const struct conn_msg *cm = conn_ix_find(&ci, c->connection, &n_conn);
			for (size_t i = 0; i < n_conn; i++) {
				const struct kf_message *m = &r->messages[cm[i].ix];
				if (m->connection != c->connection || !is_http_req(m) || !m->http->auth_scheme)
					continue;
				const struct kf_message *ap = tok_at(r, m->frame, KF_KRB_AP_REQ, m->connection);
				const struct kf_message *resp = http_resp_of(r, m);
				if (!ap || !resp || resp->http->status >= 400)
					continue;
				accepted++;
				if (nf < 64)
					frames[nf++] = m->frame;
			}
			if (accepted < 2)
				continue;
			char srv[64];
			kf_endpoint_addr(&c->server, srv, sizeof srv);
			kf_finding_add(ctx, KF_SEV_INFO, KF_CONF_CERTAIN, frames, nf,
				kf_rule_fmt(ctx, "%zu requests on one connection to %s (%s) each carried a new Kerberos AP-REQ",
					    accepted, c->host ? c->host : srv, srv),
				"The connection stayed open (keep-alive) but every request was authenticated again with a "
				"fresh Kerberos ticket in its Authorization header. It works, but each request carries a "
				"large header and the server validates a ticket each time: request-based rather than "
				"connection-based authentication.",
				"On IIS, set authPersistNonNTLM=\"true\" on windowsAuthentication (the default since IIS 7) "
				"so the connection stays authenticated; with Apache mod_auth_gssapi, use "
				"GssapiConnectionBound On or GssapiUseSessions On.");
		}
	}
	kf_free(ci.v);
}

const struct kf_rule kf_rules_http[] = {
	{ { "ntlm-fallback", KF_SEV_WARNING, KF_RULE_ROOT_CAUSE,
	  "HTTP Negotiate ended up as NTLM (and why Kerberos was not used)" }, rule_ntlm_fallback },
	{ { "portless-spn", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE,
	  "a site on a non-default port used the port-less HTTP/host SPN" }, rule_portless_spn },
	{ { "ap-err-modified", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "a service could not decrypt the ticket (KRB_AP_ERR_MODIFIED / BAD_INTEGRITY / BADKEYVER)" },
	  rule_ap_err_modified },
	{ { "cname-spn", KF_SEV_INFO, KF_RULE_ROOT_CAUSE,
	  "the Host name is a DNS alias: the SPN was built from the canonical name, or the alias has none" },
	  rule_cname_spn },
	{ { "auth-loop", KF_SEV_ERROR, KF_RULE_PLAIN,
	  "the client keeps getting 401 after sending credentials" }, rule_auth_loop },
	{ { "token-too-large", KF_SEV_ERROR, KF_RULE_PLAIN,
	  "a large Authorization header answered by HTTP 400 (token bloat)" }, rule_token_too_large },
	{ { "request-based-kerberos", KF_SEV_INFO, KF_RULE_PLAIN,
	  "a keep-alive connection re-sends an AP-REQ on every request" }, rule_request_based },
};
const size_t kf_rules_http_count = sizeof kf_rules_http / sizeof kf_rules_http[0];
