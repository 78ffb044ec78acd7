/* rules_reach.c - can a client use its KDC at all: does the KDC answer on
 * port 88 (kdc-unreachable), do its messages fit UDP or cross the path in IP
 * fragments (udp-fragmentation), do the clocks agree (clock-skew)
 * (DIAGNOSES.md; RFC 4120 §7.2.1 transport, §5.9.1 KRB_AP_ERR_SKEW). */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"

/* ---- kdc-unreachable ---------------------------------------------------- */

static bool kdc_answered(const struct kf_result *r, const struct kf_endpoint *kdc)
{
	struct kf_at_addr at = kf_result_at_addr(r, kdc, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88 &&
		    kf_endpoint_same_addr(&m->src, kdc))
			return true;
	}
	return false;
}

/* Did the client get a reply from any KDC after frame? (failover worked) */
static bool answered_elsewhere(const struct kf_result *r, const struct kf_endpoint *client, uint64_t frame)
{
	struct kf_at_addr at = kf_result_at_addr(r, client, frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88 &&
		    kf_endpoint_same_addr(&m->dst, client) &&
		    (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP))
			return true;
	}
	return false;
}

static void rule_kdc_unreachable(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	/* which transport events an earlier finding already took */
	bool *done = r->n_tevents ? kf_calloc(r->n_tevents, sizeof(bool)) : NULL;
	if (r->n_tevents && !done) {
		kf_rule_nomem(ctx);
		return;
	}
	struct kf_seen kdcs = { 0 };
	for (size_t i = 0; i < r->n_tevents; i++) {
		const struct kf_tevent *t = &r->tevents[i];
		if (done[i] || t->kind == KF_TEV_FRAG_INCOMPLETE || t->dst.port != 88)
			continue;
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &t->dst);
		if (!kf_seen_add(ctx, &kdcs, key) || kdc_answered(r, &t->dst))
			continue; /* it answered something: not unreachable (other rules look at the rest) */
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0;
		unsigned udp = 0, syns = 0, resets = 0, icmp = 0;
		bool refused = false;
		uint64_t last = 0;
		for (size_t j = i; j < r->n_tevents; j++) {
			const struct kf_tevent *u = &r->tevents[j];
			if (u->kind == KF_TEV_FRAG_INCOMPLETE || !kf_endpoint_same_addr(&u->dst, &t->dst) ||
			    u->dst.port != 88)
				continue;
			done[j] = true;
			if (nf < KF_LIMIT_EVIDENCE_FRAMES)
				frames[nf++] = u->frame;
			last = u->frame > last ? u->frame : last;
			switch (u->kind) {
			case KF_TEV_UDP_NO_REPLY: udp++; break;
			case KF_TEV_TCP_NO_ANSWER: syns += u->count; break;
			case KF_TEV_TCP_RESET:
				resets++;
				refused = true;
				break;
			case KF_TEV_ICMP_UNREACHABLE:
				icmp++;
				refused = true;
				break;
			case KF_TEV_TCP_NO_REPLY: udp++; break;
			default: break;
			}
		}
		char kdc[64], what[256];
		kf_endpoint_addr(&t->dst, kdc, sizeof kdc);
		snprintf(what, sizeof what, "%s%s%s%s",
			 udp ? kf_rule_fmt(ctx, "%u request%s without a reply; ", udp, udp == 1 ? "" : "s")
			     : "",
			 syns ? kf_rule_fmt(ctx, "%u TCP SYN%s never answered; ", syns, syns == 1 ? "" : "s")
			      : "",
			 resets ? kf_rule_fmt(ctx, "%u TCP connection%s refused (RST); ", resets,
					      resets == 1 ? "" : "s")
				: "",
			 icmp ? kf_rule_fmt(ctx, "%u ICMP unreachable; ", icmp) : "");
		size_t wl = strlen(what);
		if (wl >= 2)
			what[wl - 2] = 0;
		bool failover = answered_elsewhere(r, &t->src, last);
		const char *summary =
			kf_rule_fmt(ctx, "KDC %s does not answer Kerberos (port 88): %s", kdc, what);
		const char *expl = kf_rule_fmt(
			ctx,
			"The client sent Kerberos requests to %s and never got a Kerberos reply from it. %s%s",
			kdc,
			refused ? "The host refused them (ICMP unreachable or TCP reset): nothing listens on port 88 "
				  "there, or a firewall rejects it. "
				: "No answer at all came back: the KDC is down, the address is wrong, or a firewall drops "
				  "port 88 silently. ",
			failover
				? "The client then got its tickets from another KDC, so logons still work but each one "
				  "waits for this KDC's timeout first."
				: "The client got no ticket from any KDC in the capture, so Kerberos authentication "
				  "failed (and Negotiate falls back to NTLM where it can).");
		kf_finding_add(
			ctx, failover ? KF_SEV_WARNING : KF_SEV_ERROR,
			refused ? KF_CONF_CERTAIN : KF_CONF_LIKELY, frames, nf, summary, expl,
			kf_rule_fmt(
				ctx,
				"Check that the KDC service runs on %s and listens on UDP and TCP port 88, that "
				"firewalls between client and KDC allow both, and that the client's KDC list "
				"(DNS SRV records _kerberos._udp / _kerberos._tcp, or krb5.conf 'kdc =') names only "
				"live KDCs.%s",
				kdc,
				refused ? ""
					: " (Likely, not certain: a capture that runs until the client gives "
					  "up would show that no reply ever came.)"));
	}
	kf_seen_free(&kdcs);
	kf_free(done);
}

/* ---- clock-skew ---------------------------------------------------------- */

static void fmt_duration(char *buf, size_t len, uint64_t us)
{
	uint64_t s = (us + 500000) / 1000000;
	if (s < 60)
		snprintf(buf, len, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, s % 60 ? "%llu min %llu s" : "%llu min", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, (s / 60) % 60 ? "%llu h %llu min" : "%llu h",
			 (unsigned long long)(s / 3600), (unsigned long long)((s / 60) % 60));
	else
		snprintf(buf, len, "%llu d %llu h", (unsigned long long)(s / 86400),
			 (unsigned long long)((s / 3600) % 24));
}

static int64_t krb_time_us(int64_t s, int32_t us) { return s * 1000000 + (us >= 0 && us < 1000000 ? us : 0); }

/* How far a KDC's clock is from the capture's, from any KDC error carrying
 * stime (other than from `not_from`); false when no KDC error says. */
static bool kdc_reference(const struct kf_result *r, const struct kf_endpoint *not_from, int64_t *off,
			  struct kf_endpoint *kdc)
{
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (m->type != KF_KRB_ERROR || m->carrier != KF_CARRIER_KERBEROS || !m->krb.has_stime ||
		    m->krb.error_code == 37)
			continue;
		if (not_from && kf_endpoint_same_addr(&m->src, not_from))
			continue;
		*off = krb_time_us(m->krb.stime, m->krb.susec) - (int64_t)m->ts_us;
		*kdc = m->src;
		return true;
	}
	return false;
}

#define AGREE_US (60ll * 1000000ll)

static void rule_clock_skew(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *err = &r->messages[i];
		if (!kf_rule_is_krb_error(err) || err->krb.error_code != 37)
			continue;
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &err->src);
		kf_key_addr(&key, &err->dst);
		if (!kf_seen_add(ctx, &seen, key))
			continue;
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0, count = 0, recovered_n = 0;
		const struct kf_message *first_t = NULL; /* first with stime */
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!KF_AT_ADDR_IS_DST(at.v[j]) || o < err || !kf_rule_is_krb_error(o) ||
			    o->krb.error_code != 37 || !kf_endpoint_same_addr(&o->src, &err->src))
				continue;
			count++;
			recovered_n += kf_rule_error_recovered(r, o);
			kf_rule_msg_frames_add(frames, &nf, kf_msg_request(r, o));
			kf_rule_frame_add(frames, &nf, o->frame);
			if (!first_t && o->krb.has_stime)
				first_t = o;
		}
		const struct kf_message *req = kf_msg_request(r, err);
		bool kdc = err->carrier == KF_CARRIER_KERBEROS;
		char cl[64], sv[64], dur[48];
		kf_endpoint_addr(&err->dst, cl, sizeof cl);
		kf_endpoint_addr(&err->src, sv, sizeof sv);
		const char *svc = kf_rule_service_of(ctx, err, req);
		const char *user = kf_rule_user_of(ctx, err, req);
		const char *sender = kdc ? kf_rule_fmt(ctx, "the KDC (%s)", sv)
					 : kf_rule_fmt(ctx, "the service %s%s%s%s", svc ? svc : "",
						       svc ? " (" : "", sv, svc ? ")" : "");
		const char *client = kf_rule_fmt(ctx, "client %s%s%s%s", cl, user ? " (" : "",
						 user ? user : "", user ? ")" : "");
		const char *who = NULL; /* "client clock 10 min behind the KDC" */
		const char *how = NULL; /* how it was measured */
		if (first_t && first_t->krb.has_ctime) {
			int64_t d = krb_time_us(first_t->krb.stime, first_t->krb.susec) -
				    krb_time_us(first_t->krb.ctime, first_t->krb.cusec);
			fmt_duration(dur, sizeof dur, (uint64_t)(d < 0 ? -d : d));
			who = kf_rule_fmt(ctx, "%s clock %s %s %s", client, dur,
					  d > 0 ? "behind" : "ahead of", kdc ? "the KDC" : "the service");
			how = kf_rule_fmt(
				ctx,
				"The error's stime (%s's clock) and ctime (the time the client claimed "
				"in its request) differ by %s.",
				kdc ? "the KDC" : "the service", dur);
		} else if (first_t) {
			int64_t e =
				krb_time_us(first_t->krb.stime, first_t->krb.susec) - (int64_t)first_t->ts_us;
			int64_t koff = 0;
			struct kf_endpoint kref;
			bool have_ref = !kdc && kdc_reference(r, &err->src, &koff, &kref);
			if (e > AGREE_US || e < -AGREE_US) {
				fmt_duration(dur, sizeof dur, (uint64_t)(e < 0 ? -e : e));
				if (!kdc && have_ref && koff < AGREE_US && koff > -AGREE_US) {
					who = kf_rule_fmt(ctx, "%s clock %s %s the KDC",
							  kdc ? "KDC" : "service", dur,
							  e > 0 ? "ahead of" : "behind");
					char ka[64];
					kf_endpoint_addr(&kref, ka, sizeof ka);
					how = kf_rule_fmt(
						ctx,
						"The error's stime (the service's clock) is %s %s the capture's "
						"time, while the KDC %s's own stime agrees with the capture: the "
						"service's clock is wrong, not the client's.",
						dur, e > 0 ? "after" : "before", ka);
				} else {
					who = kf_rule_fmt(ctx, "%s clock %s %s the capture's clock",
							  kdc ? "KDC" : "service", dur,
							  e > 0 ? "ahead of" : "behind");
					how = kf_rule_fmt(
						ctx,
						"The error's stime (%s's clock) is %s %s the time the capture "
						"recorded for the packet; whichever of the two is right, %s and "
						"the client disagree by about that much.",
						kdc ? "the KDC" : "the service", dur,
						e > 0 ? "after" : "before", kdc ? "the KDC" : "the service");
				}
			} else {
				/* The sender agrees with the capture: the client is off.  Its
				 * timestamp is encrypted; an MIT/Heimdal-style request end time
				 * (now + whole hours by the client's clock) tells how far. */
				int64_t est = 0;
				bool have_est = false;
				if (req && req->krb.has_till) {
					int64_t life = req->krb.till * 1000000 - (int64_t)req->ts_us;
					if (life > 3600ll * 1000000 - 1800ll * 1000000 &&
					    life < 8ll * 86400 * 1000000) {
						int64_t hours =
							(life + 1800ll * 1000000) / (3600ll * 1000000);
						est = life - hours * 3600ll * 1000000;
						have_est = est > AGREE_US || est < -AGREE_US;
					}
				}
				if (have_est) {
					fmt_duration(dur, sizeof dur, (uint64_t)(est < 0 ? -est : est));
					who = kf_rule_fmt(ctx, "client clock about %s %s %s", dur,
							  est < 0 ? "behind" : "ahead of",
							  kdc ? "the KDC" : "the service");
					how = kf_rule_fmt(
						ctx,
						"%s's stime agrees with the capture's time, so its clock is "
						"right. The client's own timestamp is encrypted, but its request asks "
						"for a ticket ending %s %s a whole number of hours after the capture's "
						"time: the client computed \"now + lifetime\" from a clock %s %s "
						"(an estimate, assuming a whole-hour ticket lifetime).",
						kdc ? "The KDC" : "The service", dur,
						est < 0 ? "short of" : "beyond", dur,
						est < 0 ? "behind" : "ahead");
				} else {
					who = kf_rule_fmt(
						ctx, "client clock off from %s by more than the tolerance",
						kdc ? "the KDC" : "the service");
					how = kf_rule_fmt(
						ctx,
						"%s's stime agrees with the capture's time, so the client's "
						"clock is the one that is off; the client's timestamp is encrypted, so "
						"the amount is not visible (more than the 5-minute default).",
						kdc ? "The KDC" : "The service");
				}
			}
		} else {
			who = kf_rule_fmt(ctx, "clocks of %s and %s differ by more than the tolerance",
					  client, sender);
			how = "The error carries no time to measure the offset with.";
		}
		bool all_recovered = recovered_n == count;
		const char *summary = kf_rule_fmt(
			ctx, "KRB_AP_ERR_SKEW from %s for %s: %s%s%s", sender, user ? user : client, who,
			count > 1 ? kf_rule_fmt(ctx, " (%zu errors)", count) : "",
			all_recovered ? "; the client retried at once and succeeded" : "");
		const char *expl = kf_rule_fmt(
			ctx,
			"%s refused the %s because the time in it is too far from its own clock (Kerberos accepts 5 "
			"minutes of difference by default; timestamps are UTC, so time zones do not matter). %s %s",
			kdc ? kf_rule_fmt(ctx, "The KDC (%s)", sv)
			    : kf_rule_fmt(ctx, "The service at %s", sv),
			kdc ? "request (its pre-authentication timestamp or authenticator)"
			    : "AP-REQ's authenticator",
			how,
			all_recovered
				? "Each time the client then repeated the request and got its reply at once (Windows "
				  "clients correct their time from the error's stime and retry), so authentication works, "
				  "at the cost of an extra round trip and a fragile setup."
			: kdc ? "Without a TGT the client cannot get service tickets: Negotiate falls back to NTLM or the "
				"user is prompted."
			      : "The service rejects every ticket from this client until the clocks agree (the 401 "
				"carries the error inside SPNEGO).");
		kf_finding_add(
			ctx, all_recovered ? KF_SEV_WARNING : KF_SEV_ERROR, KF_CONF_CERTAIN, frames, nf,
			summary, expl,
			"Synchronise the clocks, don't widen the tolerance. Windows domain members follow the domain "
			"hierarchy: w32tm /resync (w32tm /query /status shows the source), and the PDC emulator should "
			"sync from a reliable source (w32tm /config /manualpeerlist:<ntp> /syncfromflags:manual "
			"/reliable:yes /update). Linux: run chrony or ntpd against the DCs (chronyc tracking; chronyc "
			"makestep to step at once). Virtual machines: stop the hypervisor's time sync fighting NTP. The "
			"tolerance is the GPO \"Maximum tolerance for computer clock synchronization\" (5 min) or "
			"krb5.conf clockskew = 300.");
	}
	kf_seen_free(&seen);
}

/* ---- udp-fragmentation --------------------------------------------------- */

/* A later request over TCP by the client answered with a ticket (the retry
 * MIT and Windows clients make after RESPONSE_TOO_BIG or a lost reply). */
static const struct kf_message *tcp_retry(const struct kf_result *r, const struct kf_endpoint *client,
					  uint64_t after, int want_type, const char *cname, const char *sname,
					  const struct kf_message **reply)
{
	const struct kf_message *any = NULL;
	*reply = NULL;
	struct kf_at_addr at = kf_result_at_addr(r, client, after + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier != KF_CARRIER_KERBEROS || m->transport != KF_TRANSPORT_TCP ||
		    !kf_endpoint_same_addr(&m->src, client) ||
		    (m->type != KF_KRB_AS_REQ && m->type != KF_KRB_TGS_REQ))
			continue;
		if (want_type && m->type != want_type)
			continue;
		if (want_type == KF_KRB_AS_REQ && cname && m->krb.cname &&
		    !kf_name_eq_nocase(cname, m->krb.cname))
			continue;
		if (want_type == KF_KRB_TGS_REQ && sname && m->krb.sname &&
		    !kf_name_eq_nocase(sname, m->krb.sname))
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (rep && (rep->type == KF_KRB_AS_REP || rep->type == KF_KRB_TGS_REP)) {
			*reply = rep;
			return m;
		}
		if (!any)
			any = m;
	}
	return any;
}

/* A capture that ends this soon after RESPONSE_TOO_BIG may just not hold the
 * TCP retry (a warning, not an error). */
#define RETRY_UNSEEN_US (2ull * 1000000ull)

static void rule_udp_fragmentation(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_endpoint clients[KF_LIMIT_RULE_GROUPS];
	size_t nc = 0;
	/* Clients with any evidence, in order of appearance. */
	for (size_t i = 0; i < r->n_messages + r->n_tevents; i++) {
		struct kf_endpoint c;
		if (i < r->n_messages) {
			const struct kf_message *m = &r->messages[i];
			if (m->carrier != KF_CARRIER_KERBEROS || m->transport != KF_TRANSPORT_UDP)
				continue;
			if (!(m->ip_fragments > 1 || (m->type == KF_KRB_ERROR && m->krb.error_code == 52)))
				continue;
			c = kf_rule_client_of(m);
		} else {
			const struct kf_tevent *t = &r->tevents[i - r->n_messages];
			if (t->kind != KF_TEV_FRAG_INCOMPLETE || (t->dst.port != 88 && t->src.port != 88))
				continue;
			c = t->dst.port == 88 ? t->src : t->dst;
		}
		bool dup = false;
		for (size_t k = 0; k < nc && !dup; k++)
			dup = kf_endpoint_same_addr(&clients[k], &c);
		if (!dup && nc < KF_LIMIT_RULE_GROUPS)
			clients[nc++] = c;
	}
	for (size_t k = 0; k < nc; k++) {
		const struct kf_endpoint *c = &clients[k];
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0;
		unsigned too_big = 0, too_big_ok = 0, too_big_none = 0, too_big_failed = 0, frag_ok = 0,
			 lost = 0, lost_replies = 0, lost_retry_ok = 0;
		bool ends_early = false;
		char kdc[64] = "";
		uint64_t retry_frame = 0, retry_reply = 0;
		/* RESPONSE_TOO_BIG and completed fragmented messages. */
		struct kf_at_addr at = kf_result_at_addr(r, c, 0);
		for (size_t i = 0; i < at.n; i++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
			if (m->carrier != KF_CARRIER_KERBEROS || m->transport != KF_TRANSPORT_UDP)
				continue;
			struct kf_endpoint mc = kf_rule_client_of(m);
			if (!kf_endpoint_same_addr(&mc, c))
				continue;
			if (m->type == KF_KRB_ERROR && m->krb.error_code == 52) {
				too_big++;
				if (!kdc[0])
					kf_endpoint_addr(&m->src, kdc, sizeof kdc);
				const struct kf_message *req = kf_msg_request(r, m), *rep;
				kf_rule_msg_frames_add(frames, &nf, req);
				kf_rule_frame_add(frames, &nf, m->frame);
				const struct kf_message *retry =
					tcp_retry(r, c, m->frame, req ? req->type : 0,
						  req ? req->krb.cname : m->krb.cname,
						  req ? req->krb.sname : m->krb.sname, &rep);
				if (retry && rep) {
					too_big_ok++;
					kf_rule_frame_add(frames, &nf, retry->frame);
					kf_rule_frame_add(frames, &nf, rep->frame);
					if (!retry_frame) {
						retry_frame = retry->frame;
						retry_reply = rep->frame;
					}
				} else if (retry) {
					too_big_failed++;
					kf_rule_frame_add(frames, &nf, retry->frame);
				} else {
					too_big_none++;
					if (r->last_ts_us && r->last_ts_us < m->ts_us + RETRY_UNSEEN_US)
						ends_early = true;
				}
			} else if (m->ip_fragments > 1) {
				frag_ok++;
				if (!kdc[0])
					kf_endpoint_addr(m->src.port == 88 ? &m->src : &m->dst, kdc,
							 sizeof kdc);
				kf_rule_msg_frames_add(frames, &nf, m);
			}
		}
		/* Fragments that never completed. */
		for (size_t i = 0; i < r->n_tevents; i++) {
			const struct kf_tevent *t = &r->tevents[i];
			if (t->kind != KF_TEV_FRAG_INCOMPLETE || (t->dst.port != 88 && t->src.port != 88))
				continue;
			const struct kf_endpoint *tc = t->dst.port == 88 ? &t->src : &t->dst;
			const struct kf_endpoint *tk = t->dst.port == 88 ? &t->dst : &t->src;
			if (!kf_endpoint_same_addr(tc, c))
				continue;
			lost++;
			lost_replies += t->from_kdc;
			if (!kdc[0])
				kf_endpoint_addr(tk, kdc, sizeof kdc);
			kf_rule_frame_add(frames, &nf, t->frame);
			/* The UDP request it belongs to. */
			const struct kf_message *req =
				t->request_frame ? kf_msg_at(r, t->request_frame, -1) : NULL;
			for (size_t j = 0; !t->request_frame && j < at.n; j++) {
				const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
				if (m->frame > t->frame)
					break;
				if (m->transport == KF_TRANSPORT_UDP && m->carrier == KF_CARRIER_KERBEROS &&
				    kf_endpoint_same_addr(&m->src, c) && kf_endpoint_same_addr(&m->dst, tk) &&
				    !m->reply_id && (m->type == KF_KRB_AS_REQ || m->type == KF_KRB_TGS_REQ))
					req = m; /* the last one before the lost datagram */
			}
			kf_rule_msg_frames_add(frames, &nf, req);
			const struct kf_message *rep;
			const struct kf_message *retry =
				tcp_retry(r, c, t->frame, req ? req->type : 0, req ? req->krb.cname : NULL,
					  req ? req->krb.sname : NULL, &rep);
			if (retry && rep) {
				lost_retry_ok++;
				kf_rule_frame_add(frames, &nf, retry->frame);
				kf_rule_frame_add(frames, &nf, rep->frame);
				if (!retry_frame) {
					retry_frame = retry->frame;
					retry_reply = rep->frame;
				}
			} else if (retry) {
				kf_rule_frame_add(frames, &nf, retry->frame);
			}
		}
		char cl[64];
		kf_endpoint_addr(c, cl, sizeof cl);
		enum kf_severity sev = KF_SEV_INFO;
		enum kf_confidence conf = KF_CONF_CERTAIN;
		const char *summary, *expl;
		const char *retry_txt =
			retry_frame
				? kf_rule_fmt(
					  ctx,
					  " The client then retried over TCP (frame %llu) and got its reply (frame %llu), "
					  "so Kerberos works, only slower.",
					  (unsigned long long)retry_frame, (unsigned long long)retry_reply)
				: "";
		if (lost) {
			sev = KF_SEV_ERROR;
			conf = lost_retry_ok ? KF_CONF_CERTAIN : KF_CONF_LIKELY;
			summary = kf_rule_fmt(
				ctx, "%s between client %s and KDC %s never completed (IP fragments lost)%s",
				lost_replies ? "Fragmented Kerberos reply" : "Fragmented Kerberos request",
				cl, kdc,
				lost_retry_ok ? "; the TCP retry worked" : "; no TCP retry succeeded");
			expl = kf_rule_fmt(
				ctx,
				"A Kerberos %s over UDP was larger than the path MTU and travelled as IP fragments, and "
				"not all of them arrived: a firewall, NAT or VPN device on the path drops IP fragments "
				"(typically the non-first ones, which carry no UDP port). The %s waits for a reply that "
				"never comes and times out (about 1 s for MIT, longer for Windows) before trying again.%s%s",
				lost_replies ? "reply from the KDC" : "request to the KDC", "client",
				retry_txt,
				lost_retry_ok
					? ""
					: " No successful TCP retry was seen, so authentication failed (likely: a "
					  "longer capture would show whether the client tried TCP later).");
		} else if (too_big_none) {
			sev = ends_early ? KF_SEV_WARNING : KF_SEV_ERROR;
			conf = KF_CONF_LIKELY;
			summary = kf_rule_fmt(
				ctx,
				"KDC %s answered KRB_ERR_RESPONSE_TOO_BIG to client %s and no TCP retry %s",
				kdc, cl, too_big_failed ? "succeeded" : "followed");
			expl = kf_rule_fmt(
				ctx,
				"The KDC's reply did not fit the UDP size limit, so it asked the client to repeat the "
				"request over TCP (KRB_ERR_RESPONSE_TOO_BIG), but the capture shows no successful retry "
				"over TCP port 88: TCP 88 may be blocked between client and KDC, or the client does not "
				"fall back.%s",
				ends_early
					? " The capture ends within 2 s of the error, so the retry may simply not have "
					  "been captured (a longer capture would tell)."
					: " Likely rather than certain: it rests on the retry's absence.");
		} else if (too_big) {
			summary = kf_rule_fmt(
				ctx,
				"KDC %s answered KRB_ERR_RESPONSE_TOO_BIG to client %s; the retry over TCP %s",
				kdc, cl, too_big_failed && !too_big_ok ? "reached the KDC" : "succeeded");
			expl = kf_rule_fmt(
				ctx,
				"The KDC's reply did not fit in a UDP datagram (MIT: kdc_max_dgram_reply_size; Windows "
				"clients switch to TCP above MaxPacketSize), so it answered KRB_ERR_RESPONSE_TOO_BIG and "
				"the client repeated the request over TCP.%s This is normal for large tickets (many group "
				"memberships, long names) and costs one round trip.%s",
				retry_txt,
				frag_ok ? " Other Kerberos messages of this client travelled as IP fragments and "
					  "arrived whole."
					: "");
		} else {
			summary = kf_rule_fmt(
				ctx,
				"%u Kerberos message%s over UDP between client %s and KDC %s arrived in IP fragments",
				frag_ok, frag_ok == 1 ? "" : "s", cl, kdc);
			expl = "Kerberos messages larger than the path MTU were sent over UDP as IP fragments and were "
			       "reassembled: authentication works here, but any firewall, NAT or VPN on the path that "
			       "drops fragments will make these logons time out. Large tickets (PACs with many groups, "
			       "long names) make it worse.";
		}
		kf_finding_add(
			ctx, sev, conf, frames, nf, summary, expl,
			"Prefer Kerberos over TCP for large messages: MIT krb5.conf [libdefaults] udp_preference_limit = 1 "
			"(always TCP); Windows clients use TCP above MaxPacketSize (HKLM\\SYSTEM\\CurrentControlSet\\"
			"Control\\Lsa\\Kerberos\\Parameters, DWORD MaxPacketSize=1 forces TCP). Make sure TCP port 88 "
			"is open between clients and KDCs, and that firewalls/VPNs pass IP fragments (or fix the MTU "
			"on the path).");
	}
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_reach[] = {
	{ { "kdc-unreachable", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "requests to a KDC on port 88 never get an answer", NULL },
	  rule_kdc_unreachable },
	{ { "clock-skew", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "KRB_AP_ERR_SKEW: client, KDC or service clocks differ by more than the tolerance", NULL },
	  rule_clock_skew },
	{ { "udp-fragmentation", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "Kerberos over UDP in IP fragments, lost fragments, or RESPONSE_TOO_BIG and the TCP retry", NULL },
	  rule_udp_fragmentation },
};
const size_t kf_rules_reach_count = sizeof kf_rules_reach / sizeof kf_rules_reach[0];
