/* rules_krb5.c - findings about KDC traffic on port 88: unreachable KDCs,
 * the KDC and AP errors a user meets, clock skew, weak encryption types, UDP
 * size limits (DIAGNOSES.md; RFC 4120 §7.5.9 error codes, MS-KILE). */
#include <stdio.h>
#include <string.h>

#include "krb5.h"
#include "rules.h"

static bool same_addr(const struct kf_endpoint *a, const struct kf_endpoint *b)
{
	return a->ipver == b->ipver && memcmp(a->addr, b->addr, a->ipver == 6 ? 16 : 4) == 0;
}

/* ---- kdc-unreachable ---------------------------------------------------- */

static bool kdc_answered(const struct kf_result *r, const struct kf_endpoint *kdc)
{
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88 && same_addr(&m->src, kdc))
			return true;
	}
	return false;
}

/* Did the client get a reply from any KDC after frame? (failover worked) */
static bool answered_elsewhere(const struct kf_result *r, const struct kf_endpoint *client, uint64_t frame)
{
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (m->frame > frame && m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88 &&
		    same_addr(&m->dst, client) && (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP))
			return true;
	}
	return false;
}

static void rule_kdc_unreachable(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	bool done[4096] = { false };
	for (size_t i = 0; i < r->n_tevents && i < 4096; i++) {
		const struct kf_tevent *t = &r->tevents[i];
		if (done[i] || t->kind == KF_TEV_FRAG_INCOMPLETE || t->dst.port != 88)
			continue;
		if (kdc_answered(r, &t->dst))
			continue; /* it answered something: not unreachable (other rules look at the rest) */
		uint64_t frames[64];
		size_t nf = 0;
		unsigned udp = 0, syns = 0, resets = 0, icmp = 0;
		bool refused = false;
		uint64_t last = 0;
		for (size_t j = i; j < r->n_tevents && j < 4096; j++) {
			const struct kf_tevent *u = &r->tevents[j];
			if (u->kind == KF_TEV_FRAG_INCOMPLETE || !same_addr(&u->dst, &t->dst) || u->dst.port != 88)
				continue;
			done[j] = true;
			if (nf < 64)
				frames[nf++] = u->frame;
			last = u->frame > last ? u->frame : last;
			switch (u->kind) {
			case KF_TEV_UDP_NO_REPLY: udp++; break;
			case KF_TEV_TCP_NO_ANSWER: syns += u->count; break;
			case KF_TEV_TCP_RESET: resets++; refused = true; break;
			case KF_TEV_ICMP_UNREACHABLE: icmp++; refused = true; break;
			case KF_TEV_TCP_NO_REPLY: udp++; break;
			default: break;
			}
		}
		char kdc[64], what[256];
		kf_endpoint_addr(&t->dst, kdc, sizeof kdc);
		snprintf(what, sizeof what, "%s%s%s%s",
			 udp ? kf_rule_fmt(ctx, "%u request%s without a reply; ", udp, udp == 1 ? "" : "s") : "",
			 syns ? kf_rule_fmt(ctx, "%u TCP SYN%s never answered; ", syns, syns == 1 ? "" : "s") : "",
			 resets ? kf_rule_fmt(ctx, "%u TCP connection%s refused (RST); ", resets, resets == 1 ? "" : "s") : "",
			 icmp ? kf_rule_fmt(ctx, "%u ICMP unreachable; ", icmp) : "");
		size_t wl = strlen(what);
		if (wl >= 2)
			what[wl - 2] = 0;
		bool failover = answered_elsewhere(r, &t->src, last);
		const char *summary = kf_rule_fmt(ctx, "KDC %s does not answer Kerberos (port 88): %s", kdc, what);
		const char *expl = kf_rule_fmt(ctx,
			"The client sent Kerberos requests to %s and never got a Kerberos reply from it. %s%s",
			kdc,
			refused ? "The host refused them (ICMP unreachable or TCP reset): nothing listens on port 88 "
				  "there, or a firewall rejects it. " :
				  "No answer at all came back: the KDC is down, the address is wrong, or a firewall drops "
				  "port 88 silently. ",
			failover ? "The client then got its tickets from another KDC, so logons still work but each one "
				   "waits for this KDC's timeout first." :
				   "The client got no ticket from any KDC in the capture, so Kerberos authentication "
				   "failed (and Negotiate falls back to NTLM where it can).");
		kf_finding_add(ctx, failover ? KF_SEV_WARNING : KF_SEV_ERROR,
			       refused ? KF_CONF_CERTAIN : KF_CONF_LIKELY, frames, nf, summary, expl,
			       kf_rule_fmt(ctx,
				   "Check that the KDC service runs on %s and listens on UDP and TCP port 88, that "
				   "firewalls between client and KDC allow both, and that the client's KDC list "
				   "(DNS SRV records _kerberos._udp / _kerberos._tcp, or krb5.conf 'kdc =') names only "
				   "live KDCs.%s",
				   kdc, refused ? "" : " (Likely, not certain: a capture that runs until the client gives "
						       "up would show that no reply ever came.)"));
	}
}

const struct kf_rule kf_rules_krb5[] = {
	{ "kdc-unreachable", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE,
	  "requests to a KDC on port 88 never get an answer", rule_kdc_unreachable },
};
const size_t kf_rules_krb5_count = sizeof kf_rules_krb5 / sizeof kf_rules_krb5[0];
