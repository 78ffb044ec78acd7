/* rules_http_client.c - what the HTTP client itself did wrong: it sent an
 * authentication scheme the server had not offered (scheme-mismatch), or it
 * authenticated to its own host and NTLM was used or refused there
 * (loopback-auth) (issue 19; RFC 7235 for the challenge/response framework).
 * Each rule gathers facts, decides with a pure verdict function and words
 * the finding from the cause (docs/rules.md lists each cause). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/limits.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "stories.h"

static bool is_refusal(const struct kf_message *resp)
{
	return resp && resp->http && (resp->http->status == 401 || resp->http->status == 407);
}

/* A 401/407 that names at least one scheme: a challenge. */
static bool is_challenge(const struct kf_message *m)
{
	return m->type == KF_MSG_HTTP_RESPONSE && is_refusal(m) && m->http->n_challenges > 0;
}

/* "Negotiate, NTLM": the schemes a challenge offered, for the words. */
static const char *offer_list(struct kf_rule_ctx *ctx, const struct kf_http_rec *h)
{
	char buf[256];
	size_t k = 0;
	buf[0] = 0;
	for (size_t i = 0; i < h->n_challenges && k + 1 < sizeof buf; i++) {
		if (!h->www_authenticate[i])
			continue;
		int n = snprintf(buf + k, sizeof buf - k, "%s%s", k ? ", " : "", h->www_authenticate[i]);
		if (n < 0)
			break;
		k += (size_t)n < sizeof buf - k ? (size_t)n : sizeof buf - k - 1;
	}
	return kf_rule_fmt(ctx, "%s", buf);
}

/* The NTLM user a request's AUTHENTICATE names (DOMAIN\user), NULL. */
static const char *ntlm_user_at(struct kf_rule_ctx *ctx, const struct kf_message *req)
{
	const struct kf_message *au =
		kf_rule_tok_at(kf_rule_result(ctx), req->frame, KF_MSG_NTLM_AUTHENTICATE, req->connection);
	if (!au || !au->ntlm || !au->ntlm->user || !*au->ntlm->user)
		return NULL;
	return au->ntlm->domain && *au->ntlm->domain
		       ? kf_rule_fmt(ctx, "%s\\%s", au->ntlm->domain, au->ntlm->user)
		       : au->ntlm->user;
}

/* ---- scheme-mismatch ------------------------------------------------------- */

enum mismatch_cause { MISMATCH_NTLM, MISMATCH_BASIC, MISMATCH_NEGOTIATE, MISMATCH_OTHER };
static const char *const mismatch_causes[] = { "ntlm-not-offered", "basic-not-offered",
					       "negotiate-not-offered", "scheme-not-offered", NULL };

/* One client's requests with one scheme the server had not offered, to one
 * host:port (a proxy: its address and port). */
struct mismatch {
	struct kf_key key;
	const struct kf_message *req, *chal; /* the first such request, the challenge it ignored */
	const char *scheme, *user;
	unsigned count;
	bool chal_before; /* the challenge came before the request (else: its own answer) */
	struct kf_evidence e;
};

static struct kf_rule_verdict mismatch_verdict(const char *scheme)
{
	struct kf_rule_verdict v = { .sev = KF_SEV_ERROR, .conf = KF_CONF_CERTAIN };
	if (strcasecmp(scheme, "NTLM") == 0)
		v.cause = MISMATCH_NTLM;
	else if (strcasecmp(scheme, "Basic") == 0)
		v.cause = MISMATCH_BASIC;
	else if (strcasecmp(scheme, "Negotiate") == 0 || strcasecmp(scheme, "Kerberos") == 0)
		v.cause = MISMATCH_NEGOTIATE;
	else
		v.cause = MISMATCH_OTHER;
	return v;
}

/* The client's half and the server's half of each fix; <host> is the
 * capture's name where it is a name (kf_rule_fix_fill). */
static const char *mismatch_fix(struct kf_rule_ctx *ctx, int cause, const char *host)
{
	const char *fix;
	switch (cause) {
	case MISMATCH_NTLM:
		fix = "Make the client answer the offered scheme: curl `--negotiate -u :` instead of `--ntlm`; a "
		      "browser sends Negotiate only to sites in the Local Intranet zone (Chrome/Edge "
		      "AuthServerAllowlist, Firefox network.negotiate-auth.trusted-uris = <host>); an application "
		      "with NTLM chosen in its settings must be switched to Negotiate/Windows authentication. If "
		      "NTLM is meant to be accepted, offer it: IIS > Windows Authentication > Providers (the "
		      "NTAuthenticationProviders list, \"Negotiate,NTLM\") or `appcmd set config /section:"
		      "windowsAuthentication /+providers.[value='NTLM']`; Apache mod_auth_gssapi: GssapiAllowedMech "
		      "ntlmssp (gss-ntlmssp).";
		break;
	case MISMATCH_BASIC:
		fix = "Make the client use the offered scheme: curl `--negotiate -u :` (with a ticket from `kinit`) "
		      "instead of `--basic`/`-u user:password`; an application configured for Basic (a user name and "
		      "password in its settings) must be switched to Windows/Negotiate authentication. If Basic is "
		      "meant to be accepted, enable it on the server only over HTTPS: IIS Basic Authentication, "
		      "Apache mod_auth_gssapi `GssapiBasicAuth On`.";
		break;
	case MISMATCH_NEGOTIATE:
		fix = "The server does not offer Negotiate: in IIS, Windows Authentication > Providers (the "
		      "NTAuthenticationProviders list) should hold Negotiate above NTLM (`appcmd set config "
		      "/section:windowsAuthentication /+providers.[value='Negotiate']`), with the HTTP/<host> SPN "
		      "registered on the site's account; Apache: AuthType GSSAPI. Or, if the site is meant to take "
		      "only the offered scheme, configure the client for it (curl `--ntlm`, `--basic`).";
		break;
	default:
		fix = "Configure the client for one of the schemes the server offered, or enable the scheme the "
		      "client sends on the server (IIS: the site's Authentication settings and the Windows "
		      "Authentication providers order, NTAuthenticationProviders).";
		break;
	}
	return kf_rule_fix_fill(ctx, fix, &(struct kf_fix_names){ .host = host });
}

static void mismatch_emit(struct kf_rule_ctx *ctx, const struct mismatch *g)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_rule_verdict v = mismatch_verdict(g->scheme);
	const struct kf_message *req = g->req;
	bool proxy = kf_rule_http_is_proxy(r, req);
	char srv[64], host[256];
	kf_endpoint_addr(&req->dst, srv, sizeof srv);
	if (proxy)
		kf_rule_http_proxy_name(r, req, host, sizeof host);
	else
		kf_rule_host_name(req->http->host ? req->http->host : srv, host, sizeof host);
	const char *offered = offer_list(ctx, g->chal->http);
	const char *peer = proxy ? kf_rule_fmt(ctx, "the proxy %s:%u (%s)", srv, req->dst.port, host)
				 : kf_rule_fmt(ctx, "%s (%s)", host, srv);
	const char *hdr = proxy ? "Proxy-Authorization" : "Authorization";
	const char *resp_status = kf_rule_fmt(
		ctx, "%d", kf_rule_http_resp(r, req) ? kf_rule_http_resp(r, req)->http->status : 401);
	struct kf_rule_words w = {
		kf_rule_fmt(ctx, "the client sent %s: %s to %s, which offered %s: HTTP %s", hdr, g->scheme,
			    peer, offered, resp_status),
		kf_rule_fmt(
			ctx,
			"%s %s %s (frame %llu); the client sent %s: %s (frame %llu)%s, a scheme that was not offered, "
			"and it was refused (HTTP %s%s). The client is configured for the wrong scheme, or the %s does "
			"not offer the one it is meant to take.%s",
			proxy ? kf_rule_fmt(ctx, "The forward proxy at %s:%u (%s)", srv, req->dst.port, host)
			      : kf_rule_fmt(ctx, "The server %s", peer),
			g->chal_before ? "offered" : "answered it offering", offered,
			(unsigned long long)g->chal->frame, hdr, g->scheme, (unsigned long long)req->frame,
			g->count > 1 ? kf_rule_fmt(ctx, " and did so %u times", g->count) : "", resp_status,
			proxy ? "" : "; IIS answers 401.2 here, \"denied due to server configuration\"",
			proxy ? "proxy" : "server",
			v.cause == MISMATCH_NTLM
				? " No Kerberos was attempted: the NTLM here is the client's "
				  "choice, not a fallback."
				: ""),
		mismatch_fix(ctx, v.cause, host),
	};
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &req->src, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &req->dst, true);
	kf_subject_add(ctx, &b, KF_SUBJECT_USER, g->user);
	kf_rule_emit(ctx, mismatch_causes, v, w, &g->e, &b);
}

/* A request whose scheme the server's last challenge (on the same
 * connection; without one: the challenge answering it) did not offer, and
 * which the server refused (a 401 going on in that scheme, as NTLM's
 * CHALLENGE does, is no refusal). */
static void mismatch_request(struct kf_rule_ctx *ctx, struct kf_groups *gs, const struct kf_message *req,
			     const struct kf_message *last_chal)
{
	const struct kf_result *r = kf_rule_result(ctx);
	const struct kf_message *resp = kf_rule_http_resp(r, req);
	if (!is_refusal(resp) || (is_challenge(resp) && kf_rule_offers(resp->http, req->http->auth_scheme)))
		return; /* accepted, or answered in the same scheme (NTLM's CHALLENGE), or no answer: the
			 * offer was not the whole story */
	const struct kf_message *chal = last_chal ? last_chal : is_challenge(resp) ? resp : NULL;
	if (!chal || kf_rule_offers(chal->http, req->http->auth_scheme))
		return;
	char host[256];
	kf_rule_host_name(req->http->host, host, sizeof host);
	bool proxy = kf_rule_http_is_proxy(r, req);
	struct kf_key k = kf_rule_host_key(&req->src, proxy ? NULL : host, (int64_t)kf_rule_req_port(req));
	kf_key_addr(&k, &req->dst);
	kf_key_name(&k, req->http->auth_scheme);
	kf_key_int(&k, proxy);
	bool fresh;
	struct mismatch *g = kf_groups_slot(ctx, gs, k, &fresh);
	if (!g)
		return;
	if (fresh && gs->n > KF_LIMIT_RULE_GROUPS) {
		gs->n--; /* the new group was the last slot: it goes again (a bound on the linear lookup) */
		return;
	}
	if (fresh) {
		g->req = req;
		g->chal = chal;
		g->chal_before = last_chal != NULL;
		g->scheme = req->http->auth_scheme;
	}
	if (!g->user)
		g->user = ntlm_user_at(ctx, req);
	g->count++;
	kf_evidence_add(&g->e, chal->frame);
	kf_evidence_add(&g->e, req->frame);
	kf_evidence_add(&g->e, resp->frame);
}

static void rule_scheme_mismatch(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_conn_ix ci;
	if (!kf_conn_ix_build(r, &ci)) {
		kf_rule_nomem(ctx);
		return;
	}
	struct kf_groups gs = { .size = sizeof(struct mismatch) };
	/* one pass per connection, in frame order: the last challenge of each
	 * kind (origin server, proxy) so far */
	const struct kf_message *last[2] = { NULL, NULL };
	for (size_t i = 0; i < ci.n; i++) {
		if (i == 0 || ci.v[i].conn != ci.v[i - 1].conn)
			last[0] = last[1] = NULL;
		const struct kf_message *m = &r->messages[ci.v[i].ix];
		if (m->carrier != KF_CARRIER_HTTP || !m->http)
			continue;
		if (is_challenge(m)) {
			last[m->http->proxy || m->http->status == 407] = m;
		} else if (kf_rule_is_http_req(m) && m->http->auth_scheme && *m->http->auth_scheme) {
			mismatch_request(ctx, &gs, m, last[m->http->proxy]);
		}
	}
	const struct mismatch *v = gs.v;
	for (size_t i = 0; i < gs.n; i++)
		mismatch_emit(ctx, &v[i]);
	kf_free(gs.v);
	kf_free(ci.v);
}

/* ---- loopback-auth ---------------------------------------------------------- */

enum loop_cause { LOOPBACK_NTLM_REFUSED, LOOPBACK_NTLM_FALLBACK };
static const char *const loopback_causes[] = { "loopback-ntlm-refused", "loopback-ntlm-fallback", NULL };

/* One client's NTLM to one host:port on its own host. */
struct loopback_facts {
	const struct kf_story *st;
	const struct kf_story_http *c;
	char host[256];
	const char *same_by; /* how the capture shows it is the same host, for the words */
	bool offered_negotiate;
	bool last_refused; /* the answer to the last AUTHENTICATE was 401/407 */
	int last_status;
	const char *user;
	const char *server_name; /* the server's NetBIOS name, from its NTLM CHALLENGE */
	struct kf_evidence e;
};

/* True when name (a NetBIOS workstation, an account "WEB$", a host) names
 * the host of host (a lowercase host name): the same name, or its first label. */
static bool names_host(const char *name, const char *host)
{
	if (!name || !*name || !*host || kf_rule_is_ip_literal(host))
		return false;
	size_t n = strlen(name);
	if (n && name[n - 1] == '$')
		n--;
	if (n == strlen(host) && strncasecmp(name, host, n) == 0)
		return true;
	const char *dot = strchr(host, '.');
	size_t label = dot ? (size_t)(dot - host) : strlen(host);
	return n == label && strncasecmp(name, host, n) == 0;
}

/* The story's own Kerberos name as a host: "host/web.lab.test@R" or "WEB$@R". */
static bool principal_names_host(const char *user, const char *host)
{
	if (!user)
		return false;
	char buf[256];
	const char *p = strncasecmp(user, "host/", 5) == 0 ? user + 5 : user;
	size_t k = 0;
	for (; p[k] && p[k] != '@' && k + 1 < sizeof buf; k++)
		buf[k] = p[k];
	buf[k] = 0;
	if (p == user && !(k && buf[k - 1] == '$'))
		return false; /* a user, not a machine */
	return names_host(buf, host);
}

/* One connection's offers and NTLM legs into f; the workstation names its
 * AUTHENTICATEs carried. */
static void loopback_conn(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, uint32_t conn,
			  struct loopback_facts *f, const char **workstation)
{
	const struct kf_result *r = kf_rule_result(ctx);
	size_t n;
	const struct kf_conn_msg *cm = kf_conn_ix_find(ci, conn, &n);
	for (size_t i = 0; i < n; i++) {
		const struct kf_message *m = &r->messages[cm[i].ix];
		if (m->carrier != KF_CARRIER_HTTP || m->connection != conn)
			continue;
		if (is_challenge(m) && kf_rule_offers(m->http, "Negotiate") &&
		    !kf_rule_tok_at(r, m->frame, KF_MSG_NTLM_CHALLENGE, conn)) {
			f->offered_negotiate = true;
			kf_evidence_add(&f->e, m->frame);
		}
		if (m->type == KF_MSG_NTLM_NEGOTIATE)
			kf_evidence_add(&f->e, m->frame);
		if (m->type == KF_MSG_NTLM_CHALLENGE && m->ntlm && m->ntlm->nb_computer &&
		    *m->ntlm->nb_computer && !f->server_name)
			f->server_name = m->ntlm->nb_computer;
		if (m->type != KF_MSG_NTLM_AUTHENTICATE)
			continue;
		kf_evidence_add(&f->e, m->frame);
		if (m->ntlm && m->ntlm->workstation && *m->ntlm->workstation && !*workstation)
			*workstation = m->ntlm->workstation;
		const struct kf_message *req = kf_rule_http_at(r, m->frame, KF_MSG_HTTP_REQUEST, conn);
		if (!f->user && req)
			f->user = ntlm_user_at(ctx, req);
		const struct kf_message *resp = req ? kf_rule_http_resp(r, req) : NULL;
		if (!resp)
			continue;
		kf_evidence_add(&f->e, resp->frame);
		f->last_status = resp->http->status;
		f->last_refused = is_refusal(resp);
	}
}

/* Did the client's KDC refuse it a ticket for HTTP/<host> (ntlm-fallback
 * names that cause: the loopback is not why)? */
static bool kdc_refused_spn(struct kf_rule_ctx *ctx, const struct loopback_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	const char *sname = kf_rule_fmt(ctx, "HTTP/%s", f->host);
	uint64_t before = f->e.n ? f->e.f[f->e.n - 1] + 1 : UINT64_MAX;
	const struct kf_message *tgs = sname ? kf_rule_tgs_req_for(r, &f->st->client, sname, before) : NULL;
	const struct kf_message *rep = tgs ? kf_msg_reply(r, tgs) : NULL;
	return rep && rep->type == KF_KRB_ERROR;
}

static struct kf_rule_verdict loopback_verdict(const struct loopback_facts *f)
{
	struct kf_rule_verdict v = { .cause = -1, .sev = KF_SEV_WARNING };
	if (f->last_refused) {
		/* a failed logon: an error, as the ntlm-fallback or auth-loop finding it takes would be */
		v.cause = LOOPBACK_NTLM_REFUSED;
		v.sev = KF_SEV_ERROR;
		v.conf = KF_CONF_LIKELY; /* why it was refused is not on the wire */
	} else if (f->offered_negotiate) {
		v.cause = LOOPBACK_NTLM_FALLBACK;
		v.conf = KF_CONF_CERTAIN;
	}
	return v;
}

static void loopback_emit(struct kf_rule_ctx *ctx, const struct loopback_facts *f, struct kf_rule_verdict v)
{
	char srv[64], cli[64];
	kf_endpoint_addr(&f->c->server, srv, sizeof srv);
	kf_endpoint_addr(&f->st->client, cli, sizeof cli);
	const char *host = f->host;
	const char *user = f->user ? kf_rule_fmt(ctx, " as %s", f->user) : "";
	const char *kerberos =
		"The capture shows no reason why Kerberos was not used (a name without an HTTP/ SPN, "
		"no ticket; a capture on the host's loopback interface does not hold its KDC "
		"traffic).";
	struct kf_rule_words w;
	if (v.cause == LOOPBACK_NTLM_REFUSED) {
		w.summary = kf_rule_fmt(ctx, "NTLM from %s to its own web server %s (%s) refused: HTTP %d",
					cli, host, srv, f->last_status ? f->last_status : 401);
		w.explanation = kf_rule_fmt(
			ctx,
			"Client and server are the same host (%s). The client authenticated to itself with NTLM%s and "
			"the server refused it (HTTP %d). On Windows this is the loopback check: NTLM to the local "
			"machine under a name that is not its own (an alias, a site name) is refused (IIS 401.1), "
			"though the same credentials work from another machine. (Likely: the refusal itself does not "
			"say why.)",
			f->same_by, user, f->last_status ? f->last_status : 401);
	} else {
		w.summary = kf_rule_fmt(ctx,
					"Negotiate from %s to its own web server %s (%s) fell back to NTLM%s",
					cli, host, srv, user);
		w.explanation = kf_rule_fmt(
			ctx,
			"Client and server are the same host (%s). The server offered Negotiate and the client "
			"authenticated to itself with NTLM%s (HTTP %d). %s On Windows, NTLM to the local machine under "
			"a name that is not its own is refused by the loopback check (IIS 401.1) unless the name is "
			"allowed.",
			f->same_by, user, f->last_status, kerberos);
	}
	w.fix = kf_rule_fix_fill(
		ctx,
		"Use the server's real host name (the name its HTTP/<host> SPN is registered for) so Kerberos is used, "
		"or test from another machine. If NTLM to the local host under this name is needed, list the name "
		"in HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0\\BackConnectionHostNames (multi-string: "
		"<host>) and restart the service; DisableLoopbackCheck = 1 (HKLM\\...\\Lsa) turns the check off for "
		"every name and reopens NTLM reflection attacks against this host: prefer BackConnectionHostNames.",
		&(struct kf_fix_names){ .host = host });
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->st->client, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->c->server, true);
	kf_subject_add(ctx, &b, KF_SUBJECT_USER, f->user);
	kf_rule_emit(ctx, loopback_causes, v, w, &f->e, &b);
}

/* The NTLM connections of story st to c's host and port, if the client is
 * that host: facts into f; false when not the same host. */
static bool loopback_gather(struct kf_rule_ctx *ctx, const struct kf_conn_ix *ci, const struct kf_story *st,
			    const struct kf_story_http *c, struct loopback_facts *f)
{
	memset(f, 0, sizeof *f);
	f->st = st;
	f->c = c;
	char ch[256];
	kf_rule_host_name(c->host, ch, sizeof ch);
	if (ch[0])
		memcpy(f->host, ch, sizeof f->host);
	else
		kf_endpoint_addr(&c->server, f->host, sizeof f->host);
	const char *workstation = NULL;
	for (size_t k = 0; k < st->n_http; k++) {
		const struct kf_story_http *o = &st->http[k];
		char oh[256];
		kf_rule_host_name(o->host, oh, sizeof oh);
		/* the same server, port and Host (both lowercase, "" for none) */
		if (o->server.port != c->server.port || !kf_endpoint_same_addr(&o->server, &c->server) ||
		    strcmp(oh, ch) != 0 || !o->mech || strcmp(o->mech, "ntlm") != 0)
			continue;
		loopback_conn(ctx, ci, o->connection, f, &workstation);
	}
	char srv[64];
	kf_endpoint_addr(&c->server, srv, sizeof srv);
	if (kf_endpoint_same_addr(&st->client, &c->server))
		f->same_by = kf_rule_fmt(ctx, "both are %s", srv);
	else if (workstation && f->server_name && strcasecmp(workstation, f->server_name) == 0)
		f->same_by =
			kf_rule_fmt(ctx,
				    "the NTLM workstation name %s is the server's own computer name, in its "
				    "CHALLENGE",
				    workstation);
	else if (names_host(workstation, f->host))
		f->same_by = kf_rule_fmt(ctx, "the NTLM workstation name %s is the host of %s", workstation,
					 f->host);
	else if (principal_names_host(st->user, f->host))
		f->same_by = kf_rule_fmt(ctx, "the client's Kerberos name %s is the host of %s", st->user,
					 f->host);
	return f->same_by != NULL;
}

static void rule_loopback_auth(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_conn_ix ci;
	if (!kf_conn_ix_build(r, &ci)) {
		kf_rule_nomem(ctx);
		return;
	}
	struct kf_seen seen = { 0 };
	/* each group walks its story's connections: at most KF_LIMIT_RULE_GROUPS groups */
	for (size_t s = 0; s < r->n_stories && seen.n < KF_LIMIT_RULE_GROUPS; s++) {
		const struct kf_story *st = &r->stories[s];
		for (size_t h = 0; h < st->n_http && seen.n < KF_LIMIT_RULE_GROUPS; h++) {
			const struct kf_story_http *c = &st->http[h];
			if (!c->mech || strcmp(c->mech, "ntlm") != 0)
				continue;
			struct kf_key k = kf_rule_host_key(&st->client, c->host, c->server.port);
			kf_key_addr(&k, &c->server);
			if (!kf_seen_add(ctx, &seen, k))
				continue;
			struct loopback_facts f;
			if (!loopback_gather(ctx, &ci, st, c, &f))
				continue;
			struct kf_rule_verdict v = loopback_verdict(&f);
			if (v.cause < 0 || (v.cause == LOOPBACK_NTLM_FALLBACK && kdc_refused_spn(ctx, &f)))
				continue;
			loopback_emit(ctx, &f, v);
		}
	}
	kf_seen_free(&seen);
	kf_free(ci.v);
}

const struct kf_rule kf_rules_http_client[] = {
	{ { "scheme-mismatch", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "the client sent an HTTP authentication scheme the server did not offer", mismatch_causes },
	  rule_scheme_mismatch },
	{ { "loopback-auth", KF_SEV_WARNING, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "a host authenticated to its own web server with NTLM (fallback or refusal)", loopback_causes },
	  rule_loopback_auth },
};
const size_t kf_rules_http_client_count = sizeof kf_rules_http_client / sizeof kf_rules_http_client[0];
