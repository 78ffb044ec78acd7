/* rules_http_unanswered.c - negotiate-unanswered: a server asked for
 * Negotiate (or NTLM) with a 401 and the client never sent credentials: it
 * asked again without an Authorization header at least twice within a
 * minute, or gave up (issue 19; docs/rules.md lists the causes).  The rule
 * gathers facts into a struct, decides with a pure verdict function and
 * words the finding from the cause. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "rules.h"
#include "rules_common.h"

/* How long after the first 401 the client's further requests count. */
#define UNANS_WINDOW_US (60ull * 1000000ull)
/* A single 401 with no further request is the client giving up only when
 * the capture goes on at least this long after it (a capture that ends at
 * once cannot show whether the client would have answered). */
#define UNANS_GIVE_UP_US (5ull * 1000000ull)
/* Further requests without credentials that make the client's refusal plain. */
#define UNANS_MIN_FURTHER 2u

enum unans_cause { UN_NO_KDC_TRAFFIC, UN_NOT_OFFERED };
static const char *const unans_causes[] = { "no-kdc-traffic", "client-did-not-offer", NULL };

/* One client's requests to one host:port after the first 401 challenge. */
struct unans_facts {
	const struct kf_message *first;     /* the first challenged request */
	const struct kf_message *first_401; /* its 401 */
	char host[256];                     /* the Host asked for (lowercase, no port; "" when none) */
	char name[256];                     /* for the words: the host, else the server's address */
	unsigned further;                   /* later requests without credentials, in the window */
	bool answered;                      /* a request with credentials in the window */
	bool gave_up;                       /* none further, and the capture went on long enough */
	uint64_t quiet_s; /* gave up: seconds of capture after the 401 (to the window's end) */
	bool negotiate;   /* the challenge offered Negotiate (else NTLM alone) */
	bool kdc_any;     /* the client sent something to a KDC */
	bool kdc_failed;  /* a KDC error or an unanswered KDC request explains it */
	const struct kf_message *kdc_rep; /* the client's last AS-REP / TGS-REP */
	struct kf_evidence e;
};

/* Does a 401 ask for Negotiate or NTLM (not Basic alone)? */
static bool asks_windows_auth(const struct kf_message *resp)
{
	return resp && resp->http && resp->http->status == 401 && !resp->http->proxy &&
	       (kf_rule_offers(resp->http, "Negotiate") || kf_rule_offers(resp->http, "NTLM"));
}

/* Is q a request of the same client to the same host:port as f->first (no proxy)? */
static bool same_site(const struct kf_result *r, const struct unans_facts *f, const struct kf_message *q)
{
	if (!kf_rule_is_http_req(q) || !kf_endpoint_same_addr(&q->src, &f->first->src) ||
	    q->dst.port != f->first->dst.port || kf_rule_http_is_proxy(r, q))
		return false;
	char qh[256];
	kf_rule_host_name(q->http->host, qh, sizeof qh);
	return kf_host_eq(qh, f->host);
}

/* Is a Kerberos exchange of the client about this site: an AS exchange, a
 * TGS for a krbtgt (referral, cross-realm) or for HTTP/<host>?  Another
 * service's TGS error does not explain this site's silence. */
static bool kdc_about_site(const char *sname, const char *host)
{
	return !sname || strncasecmp(sname, "krbtgt/", 7) == 0 || kf_rule_spn_host_is(sname, host);
}

/* What the client did with the KDC up to the window's end. */
static void unans_kdc(const struct kf_result *r, struct unans_facts *f, uint64_t until_us)
{
	const struct kf_endpoint *client = &f->first->src;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->ts_us > until_us)
			break;
		if (m->carrier != KF_CARRIER_KERBEROS)
			continue;
		bool from_client = kf_endpoint_same_addr(&m->src, client);
		f->kdc_any |= from_client;
		switch (m->type) {
		case KF_KRB_AS_REQ:
		case KF_KRB_TGS_REQ:
			if (from_client && !kf_msg_reply(r, m) && kdc_about_site(m->krb.sname, f->host)) {
				f->kdc_failed = true; /* kdc-unreachable's */
				kf_evidence_add(&f->e, m->frame);
			}
			break;
		case KF_KRB_ERROR:
			if (!from_client && kdc_about_site(m->krb.sname, f->host) &&
			    !kf_rule_error_recovered(r, m)) {
				f->kdc_failed = true; /* the KDC error rules' */
				kf_evidence_add(&f->e, m->frame);
			}
			break;
		case KF_KRB_AS_REP:
		case KF_KRB_TGS_REP:
			if (!from_client)
				f->kdc_rep = m;
			break;
		default: break;
		}
	}
}

/* The facts of the client's requests to first's host:port in the window
 * after the first 401 (its response resp). */
static void unans_gather(const struct kf_result *r, const struct kf_message *first,
			 const struct kf_message *resp, struct unans_facts *f)
{
	memset(f, 0, sizeof *f);
	f->first = first;
	f->first_401 = resp;
	f->negotiate = kf_rule_offers(resp->http, "Negotiate");
	kf_rule_host_name(first->http->host, f->host, sizeof f->host);
	if (f->host[0])
		memcpy(f->name, f->host, sizeof f->name);
	else
		kf_endpoint_addr(&first->dst, f->name, sizeof f->name); /* HTTP/1.0 without Host */
	kf_evidence_add(&f->e, first->frame);
	kf_evidence_add(&f->e, resp->frame);
	uint64_t until = resp->ts_us + UNANS_WINDOW_US;
	struct kf_at_addr at = kf_result_at_addr(r, &first->src, first->frame);
	for (size_t j = 0; j < at.n && !f->answered; j++) {
		const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
		if (q->ts_us > until)
			break;
		if (q->frame <= first->frame || !same_site(r, f, q))
			continue;
		if (q->http->auth_scheme) {
			f->answered = true;
			break;
		}
		f->further++;
		kf_evidence_add(&f->e, q->frame);
		kf_evidence_add_msg(&f->e, kf_rule_http_resp(r, q));
	}
	f->gave_up = !f->further && r->last_ts_us >= resp->ts_us + UNANS_GIVE_UP_US;
	if (f->gave_up) {
		uint64_t quiet = r->last_ts_us - resp->ts_us;
		f->quiet_s = (quiet < UNANS_WINDOW_US ? quiet : UNANS_WINDOW_US) / 1000000ull;
	}
	unans_kdc(r, f, until);
	if (!f->kdc_failed && f->kdc_rep)
		kf_evidence_add(&f->e, f->kdc_rep->frame); /* the client holds Kerberos tickets */
}

/* The verdict: -1 (silent) when the client answered, asked too few times, or
 * a KDC failure explains it (that rule's finding says so); else the cause. */
static struct kf_rule_verdict unans_verdict(const struct unans_facts *f)
{
	struct kf_rule_verdict v = { .cause = -1, .sev = KF_SEV_WARNING, .conf = KF_CONF_LIKELY };
	if (f->answered || f->kdc_failed || (f->further < UNANS_MIN_FURTHER && !f->gave_up))
		return v;
	/* An NTLM-only challenge needs no KDC; a client with Kerberos traffic has a realm and a TGT. */
	v.cause = f->negotiate && !f->kdc_any ? UN_NO_KDC_TRAFFIC : UN_NOT_OFFERED;
	return v;
}

/* The schemes the 401 offered, "Negotiate, NTLM". */
static const char *offered(struct kf_rule_ctx *ctx, const struct kf_http_rec *h)
{
	const char *s = "";
	for (size_t i = 0; i < h->n_challenges; i++)
		if (h->www_authenticate[i])
			s = kf_rule_fmt(ctx, "%s%s%s", s ? s : "", s && *s ? ", " : "",
					h->www_authenticate[i]);
	return s ? s : "Negotiate";
}

/* The client's settings that decide whether it answers a challenge, in the
 * capture's names (<host>; %s: ":<port>" unless 80). */
static const char CLIENT_FIX[] =
	"Make the client authenticate to <host>: Windows (Internet Explorer, Edge, .NET, WinHTTP): put "
	"http://<host> in the Local intranet zone (Internet Options > Security > Local intranet > Sites, or "
	"the GPO \"Site to Zone Assignment List\"), where the default logon setting \"Automatic logon only in "
	"Intranet zone\" (Custom level > User Authentication > Logon) sends credentials; a site kept in "
	"another zone needs that zone at \"Automatic logon with current user name and password\" (the "
	"Trusted sites default); Chrome and Edge: the policy AuthServerAllowlist (formerly "
	"AuthServerWhitelist) listing <host>; Firefox: network.negotiate-auth.trusted-uris (NTLM: "
	"network.automatic-ntlm-auth.trusted-uris) listing <host>; curl: `curl --negotiate -u : "
	"http://<host>%s/` (NTLM: `--ntlm -u DOMAIN\\user`). ";

static void unans_emit(struct kf_rule_ctx *ctx, const struct unans_facts *f, struct kf_rule_verdict v)
{
	char port[8];
	snprintf(port, sizeof port, "%u", (unsigned)f->first->dst.port);
	struct kf_fix_names names = { .host = f->name, .port = port };
	const char *url_port = f->first->dst.port == 80 ? "" : ":<port>";
	char srv[64];
	kf_endpoint_addr(&f->first->dst, srv, sizeof srv);
	const char *schemes = offered(ctx, f->first_401->http);
	const char *what =
		f->gave_up ? "and the client gave up without sending credentials"
			   : kf_rule_fmt(ctx, "and the client asked %u more times without credentials",
					 f->further);
	const char *seen =
		f->gave_up
			? kf_rule_fmt(
				  ctx,
				  "The request in frame %llu got 401 with WWW-Authenticate: %s; the client sent no "
				  "further request to %s:%u in the next %llu s of the capture.",
				  (unsigned long long)f->first->frame, schemes, f->name,
				  (unsigned)f->first->dst.port, (unsigned long long)f->quiet_s)
			: kf_rule_fmt(
				  ctx,
				  "The request in frame %llu got 401 with WWW-Authenticate: %s; the client asked "
				  "%s:%u %u more times within %llu s, each time without an Authorization header.",
				  (unsigned long long)f->first->frame, schemes, f->name,
				  (unsigned)f->first->dst.port, f->further,
				  (unsigned long long)(UNANS_WINDOW_US / 1000000ull));
	struct kf_rule_words w;
	if (v.cause == UN_NO_KDC_TRAFFIC) {
		w.explanation = kf_rule_fmt(
			ctx,
			"%s The client sent nothing to a KDC in the capture: it most likely has no Kerberos "
			"ticket-granting ticket (not logged on to the domain, no kinit, the ticket expired) or does "
			"not know the realm of %s, so it had nothing to answer Negotiate with. (Likely, not certain: "
			"a client whose tickets were cached before the capture started does not ask the KDC again; "
			"then it chose not to offer them, as in client-did-not-offer.)",
			seen, f->name);
		w.fix = kf_rule_fix_fill(
			ctx,
			kf_rule_fmt(
				ctx,
				"Check the client's tickets with `klist` (none: log on to the domain, or `kinit`); "
				"check that <host> maps to the realm (krb5.conf [domain_realm], or the domain's "
				"DNS suffix on Windows). %s",
				kf_rule_fmt(ctx, CLIENT_FIX, url_port)),
			&names);
	} else {
		w.explanation = kf_rule_fmt(
			ctx,
			"%s %s It did not offer credentials to this site: a browser keeps them from sites outside "
			"the Local intranet zone (\"Automatic logon only in Intranet zone\"), from hosts not in "
			"Chrome/Edge's AuthServerAllowlist or Firefox's network.negotiate-auth.trusted-uris; curl "
			"sends none without --negotiate (or --ntlm); a client may have Negotiate disabled.",
			seen,
			!f->negotiate
				? "The server offered only NTLM, which needs no KDC, and the client sent no NTLM "
				  "message."
			: f->kdc_rep
				? kf_rule_fmt(
					  ctx,
					  "The client has Kerberos tickets (the KDC's reply in frame %llu) yet asked "
					  "no ticket for HTTP/%s.",
					  (unsigned long long)f->kdc_rep->frame, f->name)
				: kf_rule_fmt(ctx,
					      "The client talked to a KDC but asked no ticket for HTTP/%s.",
					      f->name));
		w.fix = kf_rule_fix_fill(ctx,
					 kf_rule_fmt(ctx, "%sCheck the client's tickets with `klist`.",
						     kf_rule_fmt(ctx, CLIENT_FIX, url_port)),
					 &names);
	}
	w.summary = kf_rule_fmt(ctx, "%s:%u (%s) answered 401 WWW-Authenticate: %s %s", f->name,
				(unsigned)f->first->dst.port, srv, schemes, what);
	struct kf_subject_b subject = { 0 };
	kf_subject_addr(ctx, &subject, KF_SUBJECT_CLIENT, &f->first->src, false);
	kf_subject_addr(ctx, &subject, KF_SUBJECT_SERVER, &f->first->dst, true);
	const char *cname = NULL, *crealm = NULL;
	if (f->kdc_rep && kf_reply_client(kf_rule_result(ctx), f->kdc_rep, &cname, &crealm))
		kf_subject_principal(ctx, &subject, KF_SUBJECT_USER, cname, crealm);
	kf_rule_emit(ctx, unans_causes, v, w, &f->e, &subject);
}

static void rule_negotiate_unanswered(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *first = &r->messages[i];
		if (!kf_rule_is_http_req(first) || first->http->auth_scheme ||
		    kf_rule_http_is_proxy(r, first))
			continue;
		const struct kf_message *resp = kf_rule_http_resp(r, first);
		if (!asks_windows_auth(resp))
			continue;
		char host[256];
		kf_rule_host_name(first->http->host, host, sizeof host);
		/* one finding per client and site: its first challenge decides */
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&first->src, host, first->dst.port)))
			continue;
		struct unans_facts f;
		unans_gather(r, first, resp, &f);
		struct kf_rule_verdict v = unans_verdict(&f);
		if (v.cause >= 0)
			unans_emit(ctx, &f, v);
	}
	kf_seen_free(&seen);
}

const struct kf_rule kf_rules_http_unanswered[] = {
	{ { "negotiate-unanswered", KF_SEV_WARNING, KF_RULE_OUTCOME, UNANS_WINDOW_US,
	    "a 401 asking for Negotiate or NTLM that the client never answered with credentials",
	    unans_causes },
	  rule_negotiate_unanswered },
};
const size_t kf_rules_http_unanswered_count =
	sizeof kf_rules_http_unanswered / sizeof kf_rules_http_unanswered[0];
