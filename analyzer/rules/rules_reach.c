/* rules_reach.c - can a client use its KDC at all: does the KDC answer on
 * port 88 (kdc-unreachable), do its messages fit UDP or cross the path in IP
 * fragments (udp-fragmentation); do the clocks agree (clock-skew, whose
 * code is rules_clock.c: its table entry stays here, in catalogue order)
 * (DIAGNOSES.md; RFC 4120 §7.2.1 transport).
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
#include "rules_clock.h"
#include "rules.h"
#include "rules_common.h"

/* What fixes Kerberos replies lost in IP fragments (udp-fragmentation, and
 * a KDC whose answers never arrive whole). */
static const char FRAG_FIX[] =
	"Prefer Kerberos over TCP for large messages: MIT krb5.conf [libdefaults] udp_preference_limit = 1 "
	"(always TCP); Windows clients use TCP above MaxPacketSize (HKLM\\SYSTEM\\CurrentControlSet\\"
	"Control\\Lsa\\Kerberos\\Parameters, DWORD MaxPacketSize=1 forces TCP). Make sure TCP port 88 "
	"is open between clients and KDCs, and that firewalls/VPNs pass IP fragments (or fix the MTU "
	"on the path).";

/* The Kerberos requests a transport event is about (its frame, from the
 * client to the KDC): whom the finding concerns. */
static void subject_requests_at(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_tevent *t)
{
	const struct kf_result *r = kf_rule_result(ctx);
	for (size_t j = kf_result_first_in_frame(r, t->frame);
	     j < r->n_messages && r->messages[j].frame == t->frame; j++) {
		const struct kf_message *m = &r->messages[j];
		if (m->carrier == KF_CARRIER_KERBEROS && kf_endpoint_same_addr(&m->src, &t->src) &&
		    kf_endpoint_same_addr(&m->dst, &t->dst))
			kf_subject_message(ctx, b, m);
	}
}

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

/* The causes, in the order the verdict prefers them (docs/rules.md). */
enum unreach_cause { UNR_FAILOVER, UNR_RESET, UNR_ICMP, UNR_FRAGS, UNR_SYN, UNR_NO_REPLY };
static const char *const unreach_causes[] = {
	"failover", "tcp-reset", "icmp-unreachable", "fragments-lost", "syn-unanswered", "no-reply", NULL
};

/* What the requests to one KDC address met. */
struct unreach_facts {
	unsigned no_reply; /* requests (UDP, or on an open TCP connection) without a reply */
	unsigned syns;     /* TCP SYNs never answered */
	unsigned resets;   /* TCP connections reset */
	unsigned icmp;     /* ICMP unreachable */
	unsigned frags;    /* datagrams to or from it whose IP fragments never all arrived */
	bool failover;     /* the client then got a ticket from another KDC */
};

/* How the KDC failed to answer, failover aside. */
static enum unreach_cause unreach_how(const struct unreach_facts *f)
{
	return f->resets  ? UNR_RESET
	       : f->icmp  ? UNR_ICMP
	       : f->frags ? UNR_FRAGS
	       : f->syns  ? UNR_SYN
			  : UNR_NO_REPLY;
}

static struct kf_finding_in unreach_verdict(const struct unreach_facts *f)
{
	enum unreach_cause how = unreach_how(f);
	bool seen = how == UNR_RESET || how == UNR_ICMP || how == UNR_FRAGS; /* the capture shows why */
	return (struct kf_finding_in){ .cause = unreach_causes[f->failover ? UNR_FAILOVER : how],
				       .severity = f->failover ? KF_SEV_WARNING : KF_SEV_ERROR,
				       .confidence = seen ? KF_CONF_CERTAIN : KF_CONF_LIKELY };
}

/* What the KDC did, by how it failed to answer. */
static const char UNREACH_REFUSED[] =
	"The host refused them (ICMP unreachable or TCP reset): nothing listens on "
	"port 88 there, or a firewall rejects it. ";
static const char UNREACH_SILENT[] =
	"No answer at all came back: the KDC is down, the address is wrong, or a "
	"firewall drops port 88 silently. ";
static const char *const unreach_how_words[] = {
	[UNR_RESET] = UNREACH_REFUSED,
	[UNR_ICMP] = UNREACH_REFUSED,
	[UNR_FRAGS] = "Requests or replies travelled as IP fragments that never all arrived: a firewall, NAT "
		      "or VPN device on the path drops IP fragments, so what the KDC sent (or was sent) is "
		      "lost on the way. ",
	[UNR_SYN] = UNREACH_SILENT,
	[UNR_NO_REPLY] = UNREACH_SILENT,
};

static void unreach_emit(struct kf_rule_ctx *ctx, const struct kf_endpoint *kdc_ep,
			 const struct unreach_facts *f, const uint64_t *frames, size_t nf,
			 const struct kf_subject_b *subject)
{
	struct kf_finding_in in = unreach_verdict(f);
	enum unreach_cause how = unreach_how(f);
	char kdc[64], what[320];
	kf_endpoint_addr(kdc_ep, kdc, sizeof kdc);
	snprintf(what, sizeof what, "%s%s%s%s%s",
		 f->no_reply ? kf_rule_fmt(ctx, "%u request%s without a reply; ", f->no_reply,
					   f->no_reply == 1 ? "" : "s")
			     : "",
		 f->syns ? kf_rule_fmt(ctx, "%u TCP SYN%s never answered; ", f->syns, f->syns == 1 ? "" : "s")
			 : "",
		 f->resets ? kf_rule_fmt(ctx, "%u TCP connection%s refused (RST); ", f->resets,
					 f->resets == 1 ? "" : "s")
			   : "",
		 f->icmp ? kf_rule_fmt(ctx, "%u ICMP unreachable; ", f->icmp) : "",
		 f->frags ? kf_rule_fmt(ctx, "%u datagram%s lost in IP fragments; ", f->frags,
					f->frags == 1 ? "" : "s")
			  : "");
	size_t wl = strlen(what);
	if (wl >= 2)
		what[wl - 2] = 0;
	const char *fix =
		how == UNR_FRAGS
			? FRAG_FIX
			: kf_rule_fmt(
				  ctx,
				  "Check that the KDC service runs on %s and listens on UDP and TCP port 88, that "
				  "firewalls between client and KDC allow both, and that the client's KDC list "
				  "(DNS SRV records _kerberos._udp / _kerberos._tcp, or krb5.conf 'kdc =') names only "
				  "live KDCs.%s",
				  kdc,
				  in.confidence == KF_CONF_LIKELY
					  ? " (Likely, not certain: a capture that runs until the client gives "
					    "up would show that no reply ever came.)"
					  : "");
	in.frames = frames;
	in.n_frames = nf;
	in.subject = subject;
	in.summary = kf_rule_fmt(ctx, "KDC %s does not answer Kerberos (port 88): %s", kdc, what);
	in.explanation = kf_rule_fmt(
		ctx, "The client sent Kerberos requests to %s and never got a Kerberos reply from it. %s%s",
		kdc, unreach_how_words[how],
		f->failover ? "The client then got its tickets from another KDC, so logons still work "
			      "but each one waits for this KDC's timeout first."
			    : "The client got no ticket from any KDC in the capture, so Kerberos "
			      "authentication failed (and Negotiate falls back to NTLM where it can).");
	in.remediation = fix;
	kf_finding_emit(ctx, &in);
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
		struct unreach_facts f = { 0 };
		struct kf_subject_b subject = { 0 };
		uint64_t last = 0;
		kf_subject_addr(ctx, &subject, KF_SUBJECT_KDC, &t->dst, false);
		/* its events (from 0: lost fragments may come before the first request without a reply) */
		for (size_t j = 0; j < r->n_tevents; j++) {
			const struct kf_tevent *u = &r->tevents[j];
			if (!kf_endpoint_same_addr(&u->dst, &t->dst) || u->dst.port != 88)
				continue;
			done[j] = true;
			if (nf < KF_LIMIT_EVIDENCE_FRAMES)
				frames[nf++] = u->frame;
			last = u->frame > last ? u->frame : last;
			kf_subject_addr(ctx, &subject, KF_SUBJECT_CLIENT, &u->src, false);
			subject_requests_at(ctx, &subject, u);
			switch (u->kind) {
			case KF_TEV_UDP_NO_REPLY:
			case KF_TEV_TCP_NO_REPLY: f.no_reply++; break;
			case KF_TEV_TCP_NO_ANSWER: f.syns += u->count; break;
			case KF_TEV_TCP_RESET: f.resets++; break;
			case KF_TEV_ICMP_UNREACHABLE: f.icmp++; break;
			case KF_TEV_FRAG_INCOMPLETE: f.frags++; break;
			default: break;
			}
		}
		f.failover = answered_elsewhere(r, &t->src, last);
		unreach_emit(ctx, &t->dst, &f, frames, nf, &subject);
	}
	kf_seen_free(&kdcs);
	kf_free(done);
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
	in.remediation = FRAG_FIX;
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
	    "requests to a KDC on port 88 never get an answer", unreach_causes },
	  rule_kdc_unreachable },
	{ { "clock-skew", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "KRB_AP_ERR_SKEW: client, KDC or service clocks differ by more than the tolerance",
	    kf_skew_causes },
	  kf_rule_clock_skew },
	{ { "udp-fragmentation", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "Kerberos over UDP in IP fragments, lost fragments, or RESPONSE_TOO_BIG and the TCP retry",
	    frag_causes },
	  rule_udp_fragmentation },
};
const size_t kf_rules_reach_count = sizeof kf_rules_reach / sizeof kf_rules_reach[0];
