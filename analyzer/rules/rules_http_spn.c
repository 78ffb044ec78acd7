/* rules_http_spn.c - which SPN and ticket HTTP Negotiate used, and what came
 * of it: NTLM instead of Kerberos (ntlm-fallback), the port-less SPN of a site
 * on another port (portless-spn), a ticket the service cannot decrypt
 * (ap-err-modified), a Host name that is a DNS alias (cname-spn)
 * (DIAGNOSES.md; RFC 4559, RFC 4120 §7.5.9). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "stories.h"

/* KRB-ERROR codes a service returns when it cannot decrypt a ticket. */
#define KRB_AP_ERR_BAD_INTEGRITY 31
#define KRB_AP_ERR_MODIFIED 41
#define KRB_AP_ERR_BADKEYVER 44
#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7

/* ---- helpers -------------------------------------------------------------- */

static bool is_key_error(int32_t code)
{
	return code == KRB_AP_ERR_MODIFIED || code == KRB_AP_ERR_BAD_INTEGRITY ||
	       code == KRB_AP_ERR_BADKEYVER;
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
	kf_rule_host_name(h, buf, sizeof buf);
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

/* ---- ntlm-fallback -------------------------------------------------------- */

static void rule_ntlm_fallback(struct kf_rule_ctx *ctx)
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
			char host[256];
			kf_rule_host_name(c->host, host, sizeof host);
			unsigned port = c->server.port;
			struct kf_evidence e = { .n = 0 };
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
				kf_rule_host_name(o->host, oh, sizeof oh);
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
				const struct kf_conn_msg *cm = kf_conn_ix_find(&ci, o->connection, &n_conn);
				for (size_t i = 0; i < n_conn; i++) {
					const struct kf_message *m = &r->messages[cm[i].ix];
					if (m->carrier != KF_CARRIER_HTTP || m->connection != o->connection)
						continue;
					if (m->type == KF_MSG_HTTP_RESPONSE && m->http &&
					    (m->http->status == 401 || m->http->status == 407)) {
						/* A 401 carrying an NTLM CHALLENGE under "NTLM" is the handshake, not an offer. */
						bool chal = kf_rule_tok_at(r, m->frame, KF_MSG_NTLM_CHALLENGE,
									   m->connection) != NULL;
						bool neg = offers(m->http, "Negotiate"),
						     nt = offers(m->http, "NTLM") && !chal;
						offered_negotiate |= neg;
						offered_ntlm |= nt;
						if ((neg || nt) && e.n < 4)
							kf_evidence_add(&e, m->frame);
					}
					if (!ntlm)
						continue;
					if (m->type == KF_MSG_NTLM_NEGOTIATE ||
					    m->type == KF_MSG_NTLM_AUTHENTICATE) {
						const struct kf_message *req = kf_rule_http_at(
							r, m->frame, KF_MSG_HTTP_REQUEST, m->connection);
						if (!first_ntlm)
							first_ntlm = m->frame;
						last_ntlm = m->frame;
						kf_evidence_add(&e, m->frame);
						if (m->spnego)
							spnego_ntlm = true;
						else if (!req || !req->http->auth_scheme ||
							 strcasecmp(req->http->auth_scheme, "Negotiate") != 0)
							ntlm_scheme = true;
						if (m->type == KF_MSG_NTLM_AUTHENTICATE && m->ntlm &&
						    m->ntlm->user && !ntlm_user)
							ntlm_user = m->ntlm->domain && *m->ntlm->domain
									    ? kf_rule_fmt(ctx, "%s\\%s",
											  m->ntlm->domain,
											  m->ntlm->user)
									    : m->ntlm->user;
						if (m->type == KF_MSG_NTLM_AUTHENTICATE && req) {
							const struct kf_message *resp =
								kf_rule_http_resp(r, req);
							if (resp) {
								kf_evidence_add(&e, resp->frame);
								last_status = resp->http->status;
								if (resp->http->status == 401 ||
								    resp->http->status == 407)
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
				if (m->frame > last_ntlm || m->type != KF_KRB_TGS_REQ ||
				    !kf_endpoint_same_addr(&m->src, &st->client) ||
				    !spn_host_is(m->krb.sname, host))
					continue;
				const struct kf_message *rep = kf_msg_reply(r, m);
				if (!tgs || !tgs_rep || tgs_rep->type != KF_KRB_ERROR ||
				    (rep && rep->type == KF_KRB_ERROR)) {
					tgs = m;
					tgs_rep = rep;
				}
			}
			/* Every TGS exchange for that SPN is evidence (it takes the generic KDC findings). */
			for (size_t i = 0; tgs && i < at.n; i++) {
				const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
				if (m->carrier == KF_CARRIER_KERBEROS && m->type == KF_KRB_TGS_REQ &&
				    m->frame <= last_ntlm && kf_endpoint_same_addr(&m->src, &st->client) &&
				    spn_host_is(m->krb.sname, host)) {
					kf_evidence_add(&e, m->frame);
					kf_evidence_add_msg(&e, kf_msg_reply(r, m));
				}
			}

			char srv[64];
			kf_endpoint_addr(&c->server, srv, sizeof srv);
			const char *how =
				ntlm_scheme ? "Authorization: NTLM"
				: spnego_ntlm
					? "Authorization: Negotiate with a SPNEGO token whose mechanism is NTLMSSP"
					: "Authorization: Negotiate carrying a raw NTLMSSP token";
			const char *offer = offered_negotiate && offered_ntlm ? "Negotiate and NTLM"
					    : offered_negotiate               ? "Negotiate"
					    : offered_ntlm                    ? "only NTLM"
									      : "nothing visible";
			const char *cause, *fix;
			enum kf_confidence conf = KF_CONF_CERTAIN;
			const char *spn = kf_rule_fmt(ctx, "HTTP/%s", host);
			if (tgs && tgs_rep && tgs_rep->type == KF_KRB_ERROR &&
			    tgs_rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN) {
				cause = kf_rule_fmt(
					ctx,
					"The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) and the KDC "
					"answered KDC_ERR_S_PRINCIPAL_UNKNOWN (frame %llu): no account has that SPN registered, "
					"so SPNEGO dropped Kerberos and negotiated NTLM.",
					tgs->krb.sname, (unsigned long long)tgs->frame,
					(unsigned long long)tgs_rep->frame);
				fix = kf_rule_fmt(
					ctx,
					"Register the SPN on the account the site runs as: `setspn -S HTTP/%s <account>` (the "
					"computer account for an app pool running as NetworkService/ApplicationPoolIdentity, "
					"otherwise the service account; MIT: `addprinc -randkey HTTP/%s` and add it to the "
					"server's keytab). Check that it is on exactly one account with `setspn -Q HTTP/%s` and "
					"`setspn -X`. Then `klist purge` on the client and retry.",
					host, host, host);
			} else if (tgs && tgs_rep && tgs_rep->type == KF_KRB_ERROR) {
				cause = kf_rule_fmt(
					ctx,
					"The client did try Kerberos: it asked the KDC for a ticket to %s (frame %llu) and the KDC "
					"refused with %s (%d, frame %llu), so SPNEGO fell back to NTLM.",
					tgs->krb.sname, (unsigned long long)tgs->frame,
					kf_rule_err_name(tgs_rep->krb.error_code), tgs_rep->krb.error_code,
					(unsigned long long)tgs_rep->frame);
				fix = kf_rule_fmt(
					ctx,
					"Fix the KDC error %s for %s (see that error's finding); once the client "
					"gets a ticket, Negotiate uses Kerberos.",
					kf_rule_err_name(tgs_rep->krb.error_code), tgs->krb.sname);
			} else if (!offered_negotiate && offered_ntlm) {
				cause = "The server offered only NTLM (WWW-Authenticate: NTLM, no Negotiate), so the client "
					"could not use Kerberos at all.";
				fix = "Offer Negotiate: in IIS, Windows Authentication > Providers, put Negotiate first (above "
				      "NTLM) or `appcmd set config /section:windowsAuthentication /+providers.[value='Negotiate']`; "
				      "with Apache mod_auth_gssapi allow the krb5 mechanism (GssapiAllowedMech krb5). Register the "
				      "HTTP/<host> SPN for the site's account.";
			} else if (tgs && tgs_rep) {
				conf = KF_CONF_LIKELY;
				cause = kf_rule_fmt(
					ctx,
					"The client got a ticket for %s (frame %llu) but still sent NTLM: the application chose "
					"NTLM, or the Kerberos exchange with the server failed before this.",
					tgs->krb.sname, (unsigned long long)tgs_rep->frame);
				fix = "Check the client's authentication settings (an application that asks for NTLM, explicit "
				      "credentials of a local account) and the server's answer to the Kerberos token.";
			} else if (kerberos_conn) {
				conf = KF_CONF_LIKELY;
				cause = kf_rule_fmt(
					ctx,
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
				cause = kf_rule_fmt(
					ctx,
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
				fix = kf_rule_fmt(
					ctx,
					"Take a capture that starts after `klist purge` on the client (and includes port 88): "
					"if a TGS-REQ for HTTP/%s appears, its answer names the cause; if none appears, check "
					"`klist` for a TGT, the browser's zone for %s (add it to Local Intranet), and that the "
					"SPN exists (`setspn -Q HTTP/%s`).",
					host, host, host);
			} else {
				conf = KF_CONF_LIKELY;
				cause = kf_rule_fmt(
					ctx,
					"The client talked to the KDC but never asked for a ticket to %s in this capture: it did "
					"not try Kerberos for this name (zone settings, an application that asks for NTLM), or "
					"the ticket was already cached.",
					spn);
				fix = kf_rule_fmt(
					ctx,
					"Capture again after `klist purge` on the client: a TGS-REQ for HTTP/%s and its answer "
					"will name the cause. Check the SPN with `setspn -Q HTTP/%s` and put the site in the "
					"Local Intranet zone.",
					host, host);
			}
			enum kf_severity sev = failed && !succeeded ? KF_SEV_ERROR : KF_SEV_WARNING;
			const char *outcome =
				succeeded ? kf_rule_fmt(ctx, "NTLM authentication succeeded (HTTP %d)",
							last_status)
				: failed  ? "NTLM authentication failed too (401)"
					  : "the capture does not show whether NTLM succeeded";
			const char *expl = kf_rule_fmt(
				ctx,
				"The server at %s (Host %s) offered %s; the client answered with NTLM (%s, from frame %llu)%s%s. "
				"%s %s. NTLM works without the KDC but is weaker, cannot be delegated to a back end, and "
				"hides SPN problems.",
				srv, c->host ? c->host : host, offer, how, (unsigned long long)first_ntlm,
				ntlm_user ? " as " : "", ntlm_user ? ntlm_user : "", cause, outcome);
			kf_finding_add(
				ctx, sev, conf, e.f, e.n,
				kf_rule_fmt(ctx, "%s %s (%s) %s NTLM%s%s: %s",
					    offered_negotiate ? "Negotiate to" : "HTTP authentication to",
					    c->host ? c->host : host, srv,
					    offered_negotiate ? "fell back to" : "used",
					    ntlm_user ? " for " : "", ntlm_user ? ntlm_user : "",
					    tgs_rep && tgs_rep->type == KF_KRB_ERROR
						    ? kf_rule_fmt(ctx, "%s for %s",
								  kf_rule_err_name(tgs_rep->krb.error_code),
								  tgs->krb.sname)
					    : !offered_negotiate && offered_ntlm ? "server offers only NTLM"
					    : kerberos_conn       ? "Kerberos worked with this server earlier"
					    : is_ip_literal(host) ? "URL uses an IP address"
					    : !any_kdc            ? "no Kerberos traffic from the client"
						       : kf_rule_fmt(ctx, "no ticket request for %s", spn)),
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
		if (!kf_rule_is_http_req(req))
			continue;
		unsigned port = req_port(req);
		if (port == 80 || port == 443)
			continue;
		const struct kf_message *ap = kf_rule_tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection);
		if (!ap || !ap->krb.ticket)
			continue;
		const char *sh = http_spn_host(ap->krb.ticket->sname);
		if (!sh || strchr(sh, ':'))
			continue; /* another service class, or the SPN has its port */
		char host[256];
		kf_rule_host_name(req->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&req->src, host, port)))
			continue;
		/* Every AP-REQ of this client to host:port and the server's answers,
		 * from this request on. */
		struct kf_evidence e = { .n = 0 };
		bool rejected = false, worked = false, key_err = false;
		int32_t code = 0;
		uint64_t err_frame = 0, first_ap = 0;
		const char *sname = ap->krb.ticket->sname, *realm = ap->krb.ticket->realm;
		struct kf_at_addr at = kf_result_at_addr(r, &req->src, req->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (q < req || !kf_rule_is_http_req(q) ||
			    !kf_endpoint_same_addr(&q->src, &req->src) || req_port(q) != port)
				continue;
			char qh[256];
			kf_rule_host_name(q->http->host, qh, sizeof qh);
			if (!kf_host_eq(qh, host))
				continue;
			const struct kf_message *qa =
				kf_rule_tok_at(r, q->frame, KF_KRB_AP_REQ, q->connection);
			if (!qa || !qa->krb.ticket || !kf_name_eq_nocase(qa->krb.ticket->sname, sname))
				continue;
			if (!first_ap)
				first_ap = q->frame;
			kf_evidence_add(&e, q->frame);
			const struct kf_message *resp = kf_rule_http_resp(r, q);
			if (!resp)
				continue;
			kf_evidence_add(&e, resp->frame);
			const struct kf_message *ke =
				kf_rule_tok_at(r, resp->frame, KF_KRB_ERROR, resp->connection);
			const struct kf_message *rep =
				kf_rule_tok_at(r, resp->frame, KF_KRB_AP_REP, resp->connection);
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
			kf_evidence_add(&e, tgs->frame);
			kf_evidence_add_msg(&e, kf_msg_reply(r, tgs));
		}
		/* Did the same ticket work on the default port of that host? */
		uint64_t ok_default = 0;
		at = kf_result_at_addr(r, &req->src, 0);
		for (size_t j = 0; rejected && j < at.n && !ok_default; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!kf_rule_is_http_req(q) || !kf_endpoint_same_addr(&q->src, &req->src))
				continue;
			unsigned qp = req_port(q);
			char qh[256];
			kf_rule_host_name(q->http->host, qh, sizeof qh);
			if ((qp != 80 && qp != 443) || !kf_host_eq(qh, host))
				continue;
			const struct kf_message *qa =
				kf_rule_tok_at(r, q->frame, KF_KRB_AP_REQ, q->connection);
			const struct kf_message *resp = kf_rule_http_resp(r, q);
			if (qa && qa->krb.ticket && kf_name_eq_nocase(qa->krb.ticket->sname, sname) && resp &&
			    resp->http->status < 400)
				ok_default = resp->frame;
		}
		char srv[64];
		kf_endpoint_addr(&req->dst, srv, sizeof srv);
		const char *fix = kf_rule_fmt(
			ctx,
			"Either run every site on %s (all ports) under the one account that owns HTTP/%s (the same app pool "
			"identity, or the computer account), or make clients put the port in the SPN and register it on the "
			"site's own account: enable FEATURE_INCLUDE_PORT_IN_SPN_KB908209 for iexplore.exe/the browser (Edge/"
			"Chrome: policy EnableAuthNegotiatePort) and run `setspn -S HTTP/%s:%u <site account>` (MIT: a "
			"keytab entry for HTTP/%s:%u). Check who owns the port-less SPN with `setspn -Q HTTP/%s`.",
			host, host, host, port, host, port, host);
		if (rejected) {
			const char *why =
				key_err ? kf_rule_fmt(
						  ctx,
						  "the server could not decrypt it and answered %s (%d) inside the 401 (frame %llu)",
						  kf_rule_err_name(code), code, (unsigned long long)err_frame)
					: kf_rule_fmt(ctx, "the server answered 401 again (frame %llu)",
						      (unsigned long long)err_frame);
			kf_finding_add(
				ctx, KF_SEV_ERROR, key_err ? KF_CONF_CERTAIN : KF_CONF_LIKELY, e.f, e.n,
				kf_rule_fmt(ctx,
					    "%s (port %u) rejected a ticket for the port-less SPN %s@%s: %s",
					    req->http->host, port, sname, realm ? realm : "?",
					    key_err ? kf_rule_err_name(code) : "401"),
				kf_rule_fmt(
					ctx,
					"The site listens on port %u, but the client asked for and presented a ticket for %s, "
					"without the port (browsers and curl leave the port out of the SPN). That ticket is "
					"encrypted with the key of whichever account owns %s; %s: the site on port %u runs under "
					"another account (or has another key) than the owner of the port-less SPN.%s",
					port, sname, sname, why, port,
					ok_default
						? kf_rule_fmt(
							  ctx,
							  " The same ticket was accepted on the default port of "
							  "%s (frame %llu): the two sites use different keys.",
							  host, (unsigned long long)ok_default)
						: ""),
				kf_rule_fmt(
					ctx, "%s%s", fix,
					key_err ? ""
						: " (Likely, not certain: the 401 carried no Kerberos error; the "
						  "server's log names the reason.)"));
		} else {
			kf_finding_add(
				ctx, KF_SEV_WARNING, KF_CONF_CERTAIN, e.f, e.n,
				kf_rule_fmt(ctx, "%s (port %u) accepted a ticket for the port-less SPN %s@%s",
					    req->http->host, port, sname, realm ? realm : "?"),
				kf_rule_fmt(
					ctx,
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
		*cause = kf_rule_fmt(ctx, "the ticket is encrypted for another account (%s)",
				     d->key.principal);
		return kf_rule_fmt(
			ctx,
			"Decrypted with the keytab given to krbflow, the ticket opens only with the key of %s (kvno %u), "
			"not with a key of %s: the KDC encrypted it for that account, so the SPN belongs to it (a duplicate "
			"SPN, or the SPN on the wrong account).",
			d->key.principal, d->key.kvno, d->server);
	}
	if (d->status == KF_OPEN_OK) {
		*cause = "the keytab given to krbflow opens it: the service reads another keytab";
		return kf_rule_fmt(
			ctx,
			"The keytab given to krbflow (%s) opens the ticket with %s kvno %u, so that keytab is right and "
			"the service is not using it: check which keytab the service reads (KRB5_KTNAME, "
			"GssapiCredStore, KrbServiceName/Krb5Keytab, /etc/krb5.keytab) and the account it runs as.",
			d->key.keytab ? d->key.keytab : "?", d->key.principal, d->key.kvno);
	}
	if (d->status == KF_OPEN_WRONG_KEY) {
		*cause = "the keytab's key is not the KDC's (same kvno, other key)";
		return kf_rule_fmt(ctx, "Decrypting with the keytab given to krbflow: %s.",
				   d->why ? d->why : "wrong key");
	}
	bool kvno_known = false;
	for (unsigned i = 0; i < d->n_keytab; i++)
		kvno_known |= d->keytab_kvnos[i] == d->kvno;
	if (d->n_keytab && d->kvno && !kvno_known)
		*cause = kf_rule_fmt(ctx, "stale keytab: it has kvno %u, the ticket kvno %u",
				     d->keytab_kvnos[0], d->kvno);
	else
		*cause = NULL;
	return kf_rule_fmt(ctx, "Decrypting with the keytab given to krbflow: %s.",
			   d->why ? d->why : "no key");
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
		const struct kf_message *req = NULL, *http_req = NULL, *asked = kf_msg_request(r, err);
		if (kf_msg_in_app_protocol(err)) {
			/* from a service: the token it answers, when an AP-REQ, and that token's HTTP request */
			req = asked && asked->type == KF_KRB_AP_REQ ? asked : NULL;
			http_req =
				asked ? kf_rule_http_at(r, asked->frame, KF_MSG_HTTP_REQUEST, err->connection)
				      : NULL;
		} else {
			/* From a KDC: only a TGS-REQ whose TGT it cannot decrypt.  An
			 * AS-REQ answered 31 is MIT's wrong password (PREAUTH_FAILED),
			 * the krb5 rules' business. */
			req = asked;
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
		const char *tinfo = t ? kf_rule_fmt(ctx, "ticket for %s@%s, %s%s", t->sname, t->realm,
						    etype_name(t->etype),
						    t->has_kvno ? kf_rule_fmt(ctx, ", kvno %u", t->kvno) : "")
				      : "ticket not visible in the capture";
		const char *where = http_req && http_req->http->host
					    ? kf_rule_fmt(ctx, "%s (Host %s)", srv, http_req->http->host)
					    : kf_rule_fmt(ctx, "%s", srv);
		const char *reason, *fix;
		switch (err->carrier == KF_CARRIER_KERBEROS ? -1 : err->krb.error_code) {
		case -1:
			reason = kf_rule_fmt(
				ctx,
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
			reason = kf_rule_fmt(
				ctx,
				"The service's keytab has no key with the ticket's key version%s: the account's password or "
				"keys were changed in the KDC (kvno bumped) after the keytab was exported, so the keytab is "
				"stale.",
				t && t->has_kvno ? kf_rule_fmt(ctx, " (kvno %u)", t->kvno) : "");
			fix = kf_rule_fmt(
				ctx,
				"Re-export the keytab for %s with the current key and install it on the server (MIT: "
				"`kadmin -q \"ktadd -k /etc/krb5.keytab %s\"` (changes the key again unless -norandkey); AD: "
				"`ktpass -princ %s@%s -mapuser <account> -pass <password> -crypto AES256-SHA1 -ptype "
				"KRB5_NT_PRINCIPAL -out http.keytab`). Compare `kvno %s` on a client with `klist -kte <keytab>` on "
				"the server: the kvno must match.",
				sname, sname, sname, realm, sname);
			break;
		default:
			reason = kf_rule_fmt(
				ctx,
				"The service could not decrypt the ticket with the key it has for %s: the ticket was "
				"encrypted with the key of the account that owns the SPN in the KDC, and the service runs "
				"with another key. Usual causes: the SPN is registered on two accounts (duplicate SPN) or on "
				"an account other than the one the service runs as (IIS app pool identity not the SPN owner; "
				"kernel-mode authentication, which decrypts with the computer account, while the SPN is on a "
				"user account), or a keytab with the same kvno but another key (password reset and the keytab "
				"not re-exported).",
				sname);
			fix = kf_rule_fmt(
				ctx,
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
		kf_finding_add(
			ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, frames, nf,
			kf_rule_fmt(ctx, "%s rejected the ticket for %s@%s: %s (%d)%s%s%s", where, sname,
				    realm, kf_rule_err_name(err->krb.error_code), err->krb.error_code,
				    t && t->has_kvno ? kf_rule_fmt(ctx, ", ticket kvno %u %s", t->kvno,
								   etype_name(t->etype))
						     : "",
				    cause ? ": " : "", cause ? cause : ""),
			kf_rule_fmt(ctx, "%s%s answered %s (%d) to the AP-REQ in frame %llu (%s%s). %s%s%s",
				    err->carrier == KF_CARRIER_HTTP ? "The web server " : "The service ",
				    where, kf_rule_err_name(err->krb.error_code), err->krb.error_code,
				    (unsigned long long)(asked ? asked->frame : 0), tinfo,
				    issued ? kf_rule_fmt(ctx, ", issued by the KDC in frame %llu",
							 (unsigned long long)issued->frame)
					   : "",
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
	for (size_t hop = 0; hop < KF_LIMIT_CNAME_HOPS && n < max; hop++) {
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
		if (!kf_rule_is_http_req(req) || !req->http->host)
			continue;
		char host[256];
		kf_rule_host_name(req->http->host, host, sizeof host);
		if (!host[0] || is_ip_literal(host))
			continue;
		/* What follows depends only on (client, host): judge each pair once,
		 * at its first request. */
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&req->src, host, 0)))
			continue;
		/* A DNS answer to this client turning the Host's name into an alias. */
		const char *chain[KF_LIMIT_CNAME_HOPS];
		size_t nchain = 0;
		struct kf_evidence e = { .n = 0 };
		struct kf_at_addr at = kf_result_at_addr(r, &req->src, 0);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *d = KF_AT_ADDR_MSG(r, at.v[j]);
			if (d->type != KF_MSG_DNS || !d->dns || !kf_endpoint_same_addr(&d->dst, &req->src) ||
			    !kf_host_eq(d->dns->query, host))
				continue;
			const char *c[KF_LIMIT_CNAME_HOPS];
			size_t n = cname_chain(d->dns, host, c, KF_LIMIT_CNAME_HOPS);
			if (!n)
				continue;
			kf_evidence_add(&e, d->frame);
			if (n > nchain) {
				memcpy(chain, c, n * sizeof *c);
				nchain = n;
			}
		}
		if (!nchain)
			continue;
		kf_evidence_add(&e, req->frame);
		/* Tickets asked for: the canonical name, or the alias refused? */
		const struct kf_message *canon = NULL, *alias_err = NULL;
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
			if (m->carrier != KF_CARRIER_KERBEROS || m->type != KF_KRB_TGS_REQ ||
			    !kf_endpoint_same_addr(&m->src, &req->src))
				continue;
			for (size_t k = 0; k < nchain && !canon; k++)
				if (spn_host_is(m->krb.sname, chain[k]))
					canon = m;
			if (spn_host_is(m->krb.sname, host)) {
				const struct kf_message *rep = kf_msg_reply(r, m);
				if (rep && rep->type == KF_KRB_ERROR &&
				    rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN) {
					alias_err = alias_err ? alias_err : rep;
					kf_evidence_add(&e, m->frame);
					kf_evidence_add(&e, rep->frame);
				}
			}
		}
		/* Also a ticket for the canonical name presented without a TGS in the capture. */
		const struct kf_message *canon_ap = NULL;
		for (size_t j = 0; j < at.n && !canon && !canon_ap; j++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
			if (m->type != KF_KRB_AP_REQ || !kf_msg_in_app_protocol(m) || !m->krb.ticket ||
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
				kf_evidence_add(&e, canon->frame);
				kf_evidence_add_msg(&e, kf_msg_reply(r, canon));
			}
			kf_finding_add(
				ctx, KF_SEV_INFO, KF_CONF_CERTAIN, e.f, e.n,
				kf_rule_fmt(
					ctx,
					"Host %s is a DNS alias (CNAME) of %s: the client used the SPN %s",
					host, target, spn),
				kf_rule_fmt(
					ctx,
					"The request names %s, which DNS resolves through a CNAME to %s. The client "
					"canonicalised the name and asked for a ticket to %s, so the SPN must be registered for "
					"the canonical name, not the alias. This works, but depends on DNS: a client that does "
					"not canonicalise (MIT with dns_canonicalize_hostname = false, curl by default, browsers "
					"with FEATURE_USE_CNAME_FOR_SPN_KB911149 off, Chrome/Edge with "
					"DisableAuthNegotiateCnameLookup) asks for HTTP/%s instead, and changing the alias into "
					"an A record changes the SPN clients ask for.",
					host, target, spn, host),
				kf_rule_fmt(
					ctx,
					"Nothing is broken. To make it independent of DNS and of client settings, register the "
					"alias too on the same account: `setspn -S HTTP/%s <account that owns %s>`.",
					host, spn));
		} else if (alias_err) {
			kf_finding_add(
				ctx, KF_SEV_WARNING, KF_CONF_CERTAIN, e.f, e.n,
				kf_rule_fmt(
					ctx,
					"Host %s is a DNS alias (CNAME) of %s, but the client asked for HTTP/%s: "
					"KDC_ERR_S_PRINCIPAL_UNKNOWN",
					host, target, host),
				kf_rule_fmt(
					ctx,
					"The request names %s, which DNS resolves through a CNAME to %s (frame %llu). The client "
					"did not canonicalise the name and asked the KDC for a ticket to HTTP/%s, which no account "
					"has (KDC_ERR_S_PRINCIPAL_UNKNOWN, frame %llu); the SPN is presumably registered for the "
					"canonical name HTTP/%s. Kerberos authentication to the alias fails (the client gets a "
					"401, or falls back to NTLM where it can).",
					host, target, (unsigned long long)e.f[0], host,
					(unsigned long long)alias_err->frame, target),
				kf_rule_fmt(
					ctx,
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

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_http_spn[] = {
	{ { "ntlm-fallback", KF_SEV_WARNING, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "HTTP Negotiate ended up as NTLM (and why Kerberos was not used)", NULL },
	  rule_ntlm_fallback },
	{ { "portless-spn", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "a site on a non-default port used the port-less HTTP/host SPN", NULL },
	  rule_portless_spn },
	{ { "ap-err-modified", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "a service could not decrypt the ticket (KRB_AP_ERR_MODIFIED / BAD_INTEGRITY / BADKEYVER)", NULL },
	  rule_ap_err_modified },
	{ { "cname-spn", KF_SEV_INFO, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "the Host name is a DNS alias: the SPN was built from the canonical name, or the alias has none", NULL },
	  rule_cname_spn },
};
const size_t kf_rules_http_spn_count = sizeof kf_rules_http_spn / sizeof kf_rules_http_spn[0];
