/* rules_http.c - findings about HTTP Negotiate (RFC 4559): NTLM fallback,
 * port-less SPNs, service-side Kerberos errors, aliases, 401 loops,
 * per-request re-authentication, token bloat (DIAGNOSES.md). */
#include <stdio.h>
#include <string.h>

#include "krb5.h"
#include "rules.h"
#include "stories.h"

/* ---- request-based-kerberos ---------------------------------------------- */

/* A keep-alive connection on which the client sent a new AP-REQ with every
 * request, each accepted: the server does not keep the connection
 * authenticated, so every request costs a ticket check (and the client a
 * larger header). */
static void rule_request_based(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	for (size_t s = 0; s < r->n_stories; s++) {
		const struct kf_story *st = &r->stories[s];
		for (size_t h = 0; h < st->n_http; h++) {
			const struct kf_story_http *c = &st->http[h];
			uint64_t frames[64];
			size_t nf = 0, accepted = 0;
			for (size_t i = 0; i < r->n_messages; i++) {
				const struct kf_message *m = &r->messages[i];
				if (m->connection != c->connection || m->carrier != KF_CARRIER_HTTP ||
				    m->type != KF_MSG_HTTP_REQUEST || !m->http || !m->http->auth_scheme)
					continue;
				const struct kf_message *ap = kf_msg_at(r, m->frame, KF_KRB_AP_REQ);
				const struct kf_message *resp = kf_msg_reply(r, m);
				if (!ap || !resp || !resp->http || resp->http->status >= 400)
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
}

const struct kf_rule kf_rules_http[] = {
	{ "request-based-kerberos", KF_SEV_INFO, KF_RULE_PLAIN,
	  "a keep-alive connection re-sends an AP-REQ on every request", rule_request_based },
};
const size_t kf_rules_http_count = sizeof kf_rules_http / sizeof kf_rules_http[0];
