/* rules_reach.c - can a client use its KDC at all: does the KDC answer on
 * port 88 (kdc-unreachable, in rules_unreach.c), do its messages fit UDP or
 * cross the path in IP fragments (udp-fragmentation); do the clocks agree
 * (clock-skew) and is the capture's own clock believable
 * (capture-clock-implausible), both in rules_clock.c; the table of the four
 * is here, in
 * catalogue order (DIAGNOSES.md; RFC 4120 §7.2.1 transport).
 *
 * Each rule gathers facts into a struct, decides with a pure verdict
 * function (cause, severity, confidence) and words the finding from the
 * cause (docs/rules.md lists each cause). */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "rules_reach.h"

/* What fixes Kerberos replies lost in IP fragments (udp-fragmentation, and
 * a KDC whose answers never arrive whole). */
const char kf_reach_frag_fix[] =
	"Prefer Kerberos over TCP for large messages: MIT krb5.conf [libdefaults] udp_preference_limit = 1 "
	"(always TCP); Windows clients use TCP above MaxPacketSize (HKLM\\SYSTEM\\CurrentControlSet\\"
	"Control\\Lsa\\Kerberos\\Parameters, DWORD MaxPacketSize=1 forces TCP). Make sure TCP port 88 "
	"is open between clients and KDCs, and that firewalls/VPNs pass IP fragments (or fix the MTU "
	"on the path).";

/* The duration words of the findings (kdc-unreachable's and clock-skew's too). */
void kf_reach_duration(char *buf, size_t len, uint64_t us)
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

/* The causes, in the order the verdict prefers them (docs/rules.md). */
enum frag_cause {
	FRAG_REPLY_LOST,
	FRAG_REQUEST_LOST,
	FRAG_TOO_BIG_NO_RETRY,
	FRAG_UNDETERMINED,
	FRAG_TOO_BIG_RETRY,
	FRAG_REASSEMBLED,
};
static const char *const frag_causes[] = { "reply-fragments-lost",
					   "request-fragments-lost",
					   "response-too-big-no-retry",
					   "undetermined",
					   "response-too-big-tcp-retry",
					   "fragments-reassembled",
					   NULL };

/* One client's Kerberos over UDP that was too big or fragmented. */
struct frag_facts {
	unsigned too_big;                  /* KRB_ERR_RESPONSE_TOO_BIG errors */
	unsigned too_big_ok;               /* ... followed by a TCP retry that got its ticket */
	unsigned too_big_failed;           /* ... followed by a TCP retry without a ticket */
	unsigned too_big_none;             /* ... followed by no TCP retry */
	bool ends_early;                   /* the capture ends within RETRY_UNSEEN_US of one without retry */
	unsigned frag_ok;                  /* fragmented messages that arrived whole */
	unsigned lost;                     /* fragmented datagrams that never completed */
	unsigned lost_replies;             /* ... of them from the KDC */
	unsigned lost_retry_ok;            /* ... after which a TCP retry got its ticket */
	uint64_t retry_frame, retry_reply; /* the first successful TCP retry */
};

static enum frag_cause frag_cause_of(const struct frag_facts *f)
{
	if (f->lost)
		return f->lost_replies ? FRAG_REPLY_LOST : FRAG_REQUEST_LOST;
	if (f->too_big_none)
		return f->ends_early ? FRAG_UNDETERMINED : FRAG_TOO_BIG_NO_RETRY;
	return f->too_big ? FRAG_TOO_BIG_RETRY : FRAG_REASSEMBLED;
}

static struct kf_finding_in frag_verdict(const struct frag_facts *f)
{
	enum frag_cause c = frag_cause_of(f);
	switch (c) {
	case FRAG_REPLY_LOST:
	case FRAG_REQUEST_LOST:
		return (struct kf_finding_in){ .cause = frag_causes[c],
					       .severity = KF_SEV_ERROR,
					       .confidence =
						       f->lost_retry_ok ? KF_CONF_CERTAIN : KF_CONF_LIKELY };
	case FRAG_TOO_BIG_NO_RETRY:
		return (struct kf_finding_in){ .cause = frag_causes[c],
					       .severity = KF_SEV_ERROR,
					       .confidence = KF_CONF_LIKELY };
	case FRAG_UNDETERMINED:
		return (struct kf_finding_in){ .cause = frag_causes[c],
					       .severity = KF_SEV_WARNING,
					       .confidence = KF_CONF_LIKELY };
	default:
		return (struct kf_finding_in){ .cause = frag_causes[c],
					       .severity = KF_SEV_INFO,
					       .confidence = KF_CONF_CERTAIN };
	}
}

static void frag_emit(struct kf_rule_ctx *ctx, const struct kf_endpoint *c, const char *kdc,
		      const struct frag_facts *f, const uint64_t *frames, size_t nf,
		      const struct kf_subject_b *subject)
{
	struct kf_finding_in in = frag_verdict(f);
	enum frag_cause cause = frag_cause_of(f);
	char cl[64];
	kf_endpoint_addr(c, cl, sizeof cl);
	const char *summary, *expl;
	const char *retry_txt =
		f->retry_frame
			? kf_rule_fmt(
				  ctx,
				  " The client then retried over TCP (frame %llu) and got its reply (frame %llu), "
				  "so Kerberos works, only slower.",
				  (unsigned long long)f->retry_frame, (unsigned long long)f->retry_reply)
			: "";
	switch (cause) {
	case FRAG_REPLY_LOST:
	case FRAG_REQUEST_LOST: {
		bool reply = cause == FRAG_REPLY_LOST;
		summary = kf_rule_fmt(
			ctx, "%s between client %s and KDC %s never completed (IP fragments lost)%s",
			reply ? "Fragmented Kerberos reply" : "Fragmented Kerberos request", cl, kdc,
			f->lost_retry_ok ? "; the TCP retry worked" : "; no TCP retry succeeded");
		expl = kf_rule_fmt(
			ctx,
			"A Kerberos %s over UDP was larger than the path MTU and travelled as IP fragments, and "
			"not all of them arrived: a firewall, NAT or VPN device on the path drops IP fragments "
			"(typically the non-first ones, which carry no UDP port). The %s waits for a reply that "
			"never comes and times out (about 1 s for MIT, longer for Windows) before trying again.%s%s",
			reply ? "reply from the KDC" : "request to the KDC", "client", retry_txt,
			f->lost_retry_ok
				? ""
				: " No successful TCP retry was seen, so authentication failed (likely: a "
				  "longer capture would show whether the client tried TCP later).");
		break;
	}
	case FRAG_TOO_BIG_NO_RETRY:
	case FRAG_UNDETERMINED:
		summary = kf_rule_fmt(
			ctx, "KDC %s answered KRB_ERR_RESPONSE_TOO_BIG to client %s and no TCP retry %s", kdc,
			cl, f->too_big_failed ? "succeeded" : "followed");
		expl = kf_rule_fmt(
			ctx,
			"The KDC's reply did not fit the UDP size limit, so it asked the client to repeat the "
			"request over TCP (KRB_ERR_RESPONSE_TOO_BIG), but the capture shows no successful retry "
			"over TCP port 88: TCP 88 may be blocked between client and KDC, or the client does not "
			"fall back.%s",
			cause == FRAG_UNDETERMINED
				? " The capture ends within 2 s of the error, so the retry may simply "
				  "not have been captured (a longer capture would tell)."
				: " Likely rather than certain: it rests on the retry's absence.");
		break;
	case FRAG_TOO_BIG_RETRY:
		summary = kf_rule_fmt(
			ctx, "KDC %s answered KRB_ERR_RESPONSE_TOO_BIG to client %s; the retry over TCP %s",
			kdc, cl, f->too_big_failed && !f->too_big_ok ? "reached the KDC" : "succeeded");
		expl = kf_rule_fmt(
			ctx,
			"The KDC's reply did not fit in a UDP datagram (MIT: kdc_max_dgram_reply_size; Windows "
			"clients switch to TCP above MaxPacketSize), so it answered KRB_ERR_RESPONSE_TOO_BIG and "
			"the client repeated the request over TCP.%s This is normal for large tickets (many group "
			"memberships, long names) and costs one round trip.%s",
			retry_txt,
			f->frag_ok ? " Other Kerberos messages of this client travelled as IP fragments and "
				     "arrived whole."
				   : "");
		break;
	case FRAG_REASSEMBLED:
	default:
		summary = kf_rule_fmt(
			ctx,
			"%u Kerberos message%s over UDP between client %s and KDC %s arrived in IP fragments",
			f->frag_ok, f->frag_ok == 1 ? "" : "s", cl, kdc);
		expl = "Kerberos messages larger than the path MTU were sent over UDP as IP fragments and were "
		       "reassembled: authentication works here, but any firewall, NAT or VPN on the path that "
		       "drops fragments will make these logons time out. Large tickets (PACs with many groups, "
		       "long names) make it worse.";
		break;
	}
	in.frames = frames;
	in.n_frames = nf;
	in.subject = subject;
	in.summary = summary;
	in.explanation = expl;
	in.remediation = kf_reach_frag_fix;
	kf_finding_emit(ctx, &in);
}

/* A message of the client's exchange with the KDC: evidence, and whom the
 * finding concerns. */
static void frag_evidence(struct kf_rule_ctx *ctx, uint64_t *frames, size_t *nf, struct kf_subject_b *b,
			  const struct kf_message *m)
{
	if (!m)
		return;
	kf_rule_msg_frames_add(frames, nf, m);
	kf_subject_message(ctx, b, m);
}

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
		struct frag_facts f = { 0 };
		struct kf_subject_b subject = { 0 };
		kf_subject_addr(ctx, &subject, KF_SUBJECT_CLIENT, c, false);
		char kdc[64] = "";
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
				f.too_big++;
				if (!kdc[0])
					kf_endpoint_addr(&m->src, kdc, sizeof kdc);
				const struct kf_message *req = kf_msg_request(r, m), *rep;
				frag_evidence(ctx, frames, &nf, &subject, req);
				kf_rule_frame_add(frames, &nf, m->frame);
				kf_subject_message(ctx, &subject, m);
				const struct kf_message *retry =
					tcp_retry(r, c, m->frame, req ? req->type : 0,
						  req ? req->krb.cname : m->krb.cname,
						  req ? req->krb.sname : m->krb.sname, &rep);
				if (retry && rep) {
					f.too_big_ok++;
					kf_rule_frame_add(frames, &nf, retry->frame);
					kf_rule_frame_add(frames, &nf, rep->frame);
					if (!f.retry_frame) {
						f.retry_frame = retry->frame;
						f.retry_reply = rep->frame;
					}
				} else if (retry) {
					f.too_big_failed++;
					kf_rule_frame_add(frames, &nf, retry->frame);
				} else {
					f.too_big_none++;
					if (r->last_ts_us && r->last_ts_us < m->ts_us + RETRY_UNSEEN_US)
						f.ends_early = true;
				}
			} else if (m->ip_fragments > 1) {
				f.frag_ok++;
				if (!kdc[0])
					kf_endpoint_addr(m->src.port == 88 ? &m->src : &m->dst, kdc,
							 sizeof kdc);
				frag_evidence(ctx, frames, &nf, &subject, m);
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
			f.lost++;
			f.lost_replies += t->from_kdc;
			if (!kdc[0])
				kf_endpoint_addr(tk, kdc, sizeof kdc);
			kf_rule_frame_add(frames, &nf, t->frame);
			kf_subject_addr(ctx, &subject, KF_SUBJECT_KDC, tk, false);
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
			frag_evidence(ctx, frames, &nf, &subject, req);
			const struct kf_message *rep;
			const struct kf_message *retry =
				tcp_retry(r, c, t->frame, req ? req->type : 0, req ? req->krb.cname : NULL,
					  req ? req->krb.sname : NULL, &rep);
			if (retry && rep) {
				f.lost_retry_ok++;
				kf_rule_frame_add(frames, &nf, retry->frame);
				kf_rule_frame_add(frames, &nf, rep->frame);
				if (!f.retry_frame) {
					f.retry_frame = retry->frame;
					f.retry_reply = rep->frame;
				}
			} else if (retry) {
				kf_rule_frame_add(frames, &nf, retry->frame);
			}
		}
		frag_emit(ctx, c, kdc, &f, frames, nf, &subject);
	}
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_reach[] = {
	{ { "kdc-unreachable", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "requests to a KDC on port 88 get no answer: never, or for 10 s or more", kf_unreach_causes },
	  kf_rule_kdc_unreachable },
	{ { "clock-skew", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "KRB_AP_ERR_SKEW: client, KDC or service clocks differ by more than the tolerance",
	    kf_skew_causes },
	  kf_rule_clock_skew },
	{ { "capture-clock-implausible", KF_SEV_WARNING, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "the capture's own clock: packet times before 2000, or more than a day from every KDC's stime",
	    kf_capclock_causes },
	  kf_rule_capture_clock },
	{ { "udp-fragmentation", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "Kerberos over UDP in IP fragments, lost fragments, or RESPONSE_TOO_BIG and the TCP retry",
	    frag_causes },
	  rule_udp_fragmentation },
};
const size_t kf_rules_reach_count = sizeof kf_rules_reach / sizeof kf_rules_reach[0];
