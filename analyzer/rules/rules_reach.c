/* rules_reach.c - can a client use its KDC at all: does the KDC answer on
 * port 88 (kdc-unreachable), do its messages fit UDP or cross the path in IP
 * fragments (udp-fragmentation), do the clocks agree (clock-skew)
 * (DIAGNOSES.md; RFC 4120 §7.2.1 transport, §5.9.1 KRB_AP_ERR_SKEW).
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

static bool agrees(int64_t d) { return d <= AGREE_US && d >= -AGREE_US; }

/* Kerberos' usual tolerance (5 min: MIT's clockskew, AD's policy default).  A
 * sender whose stime is within it of the capture's time cannot by its own
 * offset have refused a client that agreed with the capture. */
#define TOLERANCE_US (300ll * 1000000ll)

/* Which clock is off (docs/rules.md). */
enum skew_cause { SKEW_CLIENT, SKEW_KDC, SKEW_SERVICE, SKEW_UNDETERMINED };
static const char *const skew_causes[] = { "client-clock", "kdc-clock", "service-clock", "undetermined",
					   NULL };

/* How the offset was measured: a finer split than the cause, for the words. */
enum skew_measure {
	SKEW_BY_CTIME,          /* stime - ctime: the client's claimed time against the sender's */
	SKEW_SENDER_VS_KDC,     /* a service's stime off, while a KDC's stime agrees with the capture */
	SKEW_SENDER_VS_CAPTURE, /* the sender's stime off from the capture's time */
	SKEW_CLIENT_ESTIMATED,  /* the sender agrees with the capture; the client's offset from its till */
	SKEW_CLIENT_UNMEASURED, /* the sender agrees with the capture; the client's offset unknown */
	SKEW_NO_TIME,           /* the error carries no stime */
	SKEW_NO_OFFSET,         /* the times give no usable offset (over 30 days, or before 2000) */
};

/* The KRB_AP_ERR_SKEW errors between one client and one sender. */
struct skew_facts {
	bool kdc;          /* the sender is a KDC (port 88), else a service */
	bool has_stime;    /* an error carries the sender's time */
	bool sender_off;   /* that time is more than TOLERANCE_US from the capture's */
	int64_t sender_us; /* that time minus the capture's */
	enum skew_measure how;
	int64_t offset_us;       /* what was measured, signed as the measure says */
	struct kf_endpoint ref;  /* SKEW_SENDER_VS_KDC: the KDC whose clock agrees */
	size_t count, recovered; /* errors, and those the client got past at once */
	int32_t code;            /* 37, or 32 with STATUS_TIME_DIFFERENCE_AT_DC (the first error's) */
	const char *clocks[2];   /* the two clocks that disagree (the finding's `clocks`) */
	bool has_pair;           /* pair_us measures clocks[0] minus clocks[1] */
	int64_t pair_us;
};

static struct kf_finding_in skew_verdict(const struct skew_facts *f)
{
	enum skew_cause c = !f->has_stime   ? SKEW_UNDETERMINED
			    : f->sender_off ? (f->kdc ? SKEW_KDC : SKEW_SERVICE)
					    : SKEW_CLIENT;
	return (struct kf_finding_in){ .cause = skew_causes[c],
				       /* every error recovered at once: nothing failed (issue 18) */
				       .severity = f->recovered == f->count ? KF_SEV_INFO : KF_SEV_ERROR,
				       .confidence =
					       c == SKEW_UNDETERMINED ? KF_CONF_LIKELY : KF_CONF_CERTAIN };
}

/* The client's clock from an MIT/Heimdal-style request end time (now +
 * whole hours by the client's clock); false when it gives no estimate. */
static bool till_estimate(const struct kf_message *req, int64_t *est)
{
	if (!req || !req->krb.has_till)
		return false;
	int64_t life = req->krb.till * 1000000 - (int64_t)req->ts_us;
	if (life <= 3600ll * 1000000 - 1800ll * 1000000 || life >= 8ll * 86400 * 1000000)
		return false;
	int64_t hours = (life + 1800ll * 1000000) / (3600ll * 1000000);
	*est = life - hours * 3600ll * 1000000;
	return !agrees(*est);
}

/* Offsets beyond this, or times before 2000, are no measure: an unset clock
 * (1970), a capture whose timestamps were never set, a field that is not a
 * time.  The finding then names the clocks without a number. */
#define PLAUSIBLE_OFFSET_US (30ll * 86400 * 1000000)
#define Y2000_US (946684800ll * 1000000)

static bool plausible_time(int64_t us) { return us >= Y2000_US; }

static void skew_pair(struct skew_facts *f, const char *a, const char *b, bool measured, int64_t a_minus_b)
{
	f->clocks[0] = a;
	f->clocks[1] = b;
	f->has_pair = measured && a_minus_b <= PLAUSIBLE_OFFSET_US && a_minus_b >= -PLAUSIBLE_OFFSET_US;
	f->pair_us = f->has_pair ? a_minus_b : 0;
}

/* Does the error's ctime say the client's clock?  Only when it answers an
 * authenticator (a TGS-REQ's, or an AP-REQ's inside an application
 * protocol): an AS-REQ has none.  MIT's KDC writes the request's nonce into
 * ctime (seconds since 1970: decades off), so a ctime equal to the answered
 * request's nonce is not a time at all. */
static bool ctime_usable(const struct kf_result *r, const struct kf_message *err)
{
	if (!err->krb.has_ctime)
		return false;
	const struct kf_message *req = kf_msg_request(r, err);
	if (req && req->type == KF_KRB_AS_REQ)
		return false;
	int64_t d = (err->krb.stime - err->krb.ctime) * 1000000;
	if (!plausible_time(err->krb.ctime * 1000000) || d > PLAUSIBLE_OFFSET_US || d < -PLAUSIBLE_OFFSET_US)
		return false; /* not a time the client claimed: measure otherwise */
	if (!req && err->carrier == KF_CARRIER_KERBEROS && kf_sname_is_krbtgt(err->krb.sname) &&
	    err->krb.cname)
		return false; /* an AS error whose request is not in the capture */
	return !(req && req->krb.has_nonce && err->krb.ctime == (int64_t)req->krb.nonce);
}

/* How to measure the offset, from the first error carrying stime (t, NULL
 * if none) and the request of the group's first error. */
static void skew_measure(const struct kf_result *r, const struct kf_message *err, const struct kf_message *t,
			 const struct kf_message *req, struct skew_facts *f)
{
	const char *sender = f->kdc ? "kdc" : "service";
	f->has_stime = t != NULL;
	if (!t) {
		f->how = SKEW_NO_TIME;
		skew_pair(f, "client", sender, false, 0);
		return;
	}
	int64_t stime = krb_time_us(t->krb.stime, t->krb.susec);
	int64_t e = stime - (int64_t)t->ts_us;
	bool times_ok = plausible_time(stime) && plausible_time((int64_t)t->ts_us);
	f->sender_us = e;
	f->sender_off = e > TOLERANCE_US || e < -TOLERANCE_US;
	int64_t koff = 0;
	if (ctime_usable(r, t)) {
		f->how = SKEW_BY_CTIME;
		f->offset_us = stime - krb_time_us(t->krb.ctime, t->krb.cusec);
		skew_pair(f, "client", sender, true, -f->offset_us);
	} else if (f->sender_off) {
		f->offset_us = e;
		bool vs_kdc = !f->kdc && kdc_reference(r, &err->src, &koff, &f->ref) && agrees(koff);
		f->how = vs_kdc ? SKEW_SENDER_VS_KDC : SKEW_SENDER_VS_CAPTURE;
		if (vs_kdc) {
			f->offset_us = e - koff;
			skew_pair(f, "service", "kdc", times_ok, f->offset_us);
		} else {
			skew_pair(f, sender, "capture", times_ok, e);
		}
	} else {
		/* The sender is within the tolerance of the capture: the client is
		 * off.  Its timestamp is encrypted; the request's end time tells how
		 * far. */
		f->how = till_estimate(req, &f->offset_us) ? SKEW_CLIENT_ESTIMATED : SKEW_CLIENT_UNMEASURED;
		/* the estimate is against the capture's clock; the sender's own
		 * distance from it is known, so the pair is client vs sender (a
		 * sender that agrees with the capture within its stime's one-second
		 * grain and a minute of drift adds nothing to an estimate) */
		skew_pair(f, "client", sender, times_ok && f->how == SKEW_CLIENT_ESTIMATED,
			  agrees(e) ? f->offset_us : f->offset_us - e);
	}
	if (!f->has_pair && f->how != SKEW_CLIENT_UNMEASURED)
		f->how = SKEW_NO_OFFSET;
}

/* How the sender's stime compares with the capture's time when the client
 * is the one off: it agrees, or it is off by less than the tolerance. */
static const char *sender_within(struct kf_rule_ctx *ctx, const struct skew_facts *f)
{
	if (agrees(f->sender_us))
		return "agrees with the capture's time";
	char dur[48];
	fmt_duration(dur, sizeof dur, (uint64_t)(f->sender_us < 0 ? -f->sender_us : f->sender_us));
	return kf_rule_fmt(ctx,
			   "is %s %s the capture's time, less than the 5-minute tolerance: its clock alone "
			   "cannot explain the refusal",
			   dur, f->sender_us > 0 ? "ahead of" : "behind");
}

/* A `clocks` name in words ("the KDC's"). */
static const char *clock_word(const char *name)
{
	return !strcmp(name, "client")    ? "the client's"
	       : !strcmp(name, "kdc")     ? "the KDC's"
	       : !strcmp(name, "service") ? "the service's"
					  : "the capture's";
}

/* "client clock 10 min behind the KDC" (who) and how it was measured. */
static void skew_words(struct kf_rule_ctx *ctx, const struct skew_facts *f, const char *client,
		       const char *sender, const char **who, const char **how)
{
	char dur[48];
	int64_t d = f->offset_us;
	fmt_duration(dur, sizeof dur, (uint64_t)(d < 0 ? -d : d));
	const char *the = f->kdc ? "the KDC" : "the service";
	switch (f->how) {
	case SKEW_BY_CTIME:
		*who = kf_rule_fmt(ctx, "%s clock %s %s %s", client, dur, d > 0 ? "behind" : "ahead of", the);
		*how = kf_rule_fmt(ctx,
				   "The error's stime (%s's clock) and ctime (the time the client claimed "
				   "in its request) differ by %s.",
				   the, dur);
		break;
	case SKEW_SENDER_VS_KDC: {
		char ka[64];
		kf_endpoint_addr(&f->ref, ka, sizeof ka);
		*who = kf_rule_fmt(ctx, "service clock %s %s the KDC", dur, d > 0 ? "ahead of" : "behind");
		*how = kf_rule_fmt(ctx,
				   "The error's stime (the service's clock) is %s %s the capture's "
				   "time, while the KDC %s's own stime agrees with the capture: the "
				   "service's clock is wrong, not the client's.",
				   dur, d > 0 ? "after" : "before", ka);
		break;
	}
	case SKEW_SENDER_VS_CAPTURE:
		*who = kf_rule_fmt(ctx, "%s clock %s %s the capture's clock", f->kdc ? "KDC" : "service", dur,
				   d > 0 ? "ahead of" : "behind");
		*how = kf_rule_fmt(ctx,
				   "The error's stime (%s's clock) is %s %s the time the capture "
				   "recorded for the packet; whichever of the two is right, %s and "
				   "the client disagree by about that much.",
				   the, dur, d > 0 ? "after" : "before", the);
		break;
	case SKEW_CLIENT_ESTIMATED: {
		/* the estimate is against the capture; the words, like `offset_s`,
		 * against the sender */
		char pair[48];
		fmt_duration(pair, sizeof pair, (uint64_t)(f->pair_us < 0 ? -f->pair_us : f->pair_us));
		*who = kf_rule_fmt(ctx, "client clock about %s %s %s", pair,
				   f->pair_us < 0 ? "behind" : "ahead of", the);
		*how = kf_rule_fmt(ctx,
				   "%s's stime %s%s. The client's own timestamp is encrypted, but its "
				   "request asks for a ticket ending %s %s a whole number of hours after "
				   "the capture's time: the client computed \"now + lifetime\" from a "
				   "clock %s %s (an estimate, assuming a whole-hour ticket lifetime).",
				   f->kdc ? "The KDC" : "The service", sender_within(ctx, f),
				   agrees(f->sender_us) ? ", so its clock is right" : "", dur,
				   d < 0 ? "short of" : "beyond", dur, d < 0 ? "behind" : "ahead");
		break;
	}
	case SKEW_CLIENT_UNMEASURED:
		*who = kf_rule_fmt(ctx, "client clock off from %s by more than the tolerance", the);
		*how = kf_rule_fmt(ctx,
				   "%s's stime %s, so the client's clock is the one that is off; the "
				   "client's timestamp is encrypted, so the amount is not visible (more than "
				   "the 5-minute default).",
				   f->kdc ? "The KDC" : "The service", sender_within(ctx, f));
		break;
	case SKEW_NO_OFFSET:
		*who = kf_rule_fmt(ctx, "%s clock and %s disagree by more than the tolerance",
				   clock_word(f->clocks[0]), clock_word(f->clocks[1]));
		*how = "The times in the error and the packet are more than 30 days apart or before 2000 (a clock "
		       "or a capture timestamp that was never set, or a field that is not a time): no offset is "
		       "given.";
		break;
	case SKEW_NO_TIME:
	default:
		*who = kf_rule_fmt(ctx, "clocks of %s and %s differ by more than the tolerance", client,
				   sender);
		*how = "The error carries no time to measure the offset with.";
		break;
	}
}

static void skew_emit(struct kf_rule_ctx *ctx, const struct kf_message *err, const struct skew_facts *f,
		      const uint64_t *frames, size_t nf, const struct kf_subject_b *subject)
{
	struct kf_finding_in in = skew_verdict(f);
	const struct kf_message *req = kf_msg_request(kf_rule_result(ctx), err);
	char cl[64], sv[64];
	kf_endpoint_addr(&err->dst, cl, sizeof cl);
	kf_endpoint_addr(&err->src, sv, sizeof sv);
	const char *svc = kf_rule_service_of(ctx, err, req);
	const char *user = kf_rule_user_of(ctx, err, req);
	const char *sender = f->kdc ? kf_rule_fmt(ctx, "the KDC (%s)", sv)
				    : kf_rule_fmt(ctx, "the service %s%s%s%s", svc ? svc : "",
						  svc ? " (" : "", sv, svc ? ")" : "");
	const char *client =
		kf_rule_fmt(ctx, "client %s%s%s%s", cl, user ? " (" : "", user ? user : "", user ? ")" : "");
	const char *who, *how;
	skew_words(ctx, f, client, sender, &who, &how);
	bool all_recovered = f->recovered == f->count;
	const char *summary =
		kf_rule_fmt(ctx, "%s from %s for %s: %s%s%s",
			    f->code == 37 ? "KRB_AP_ERR_SKEW"
					  : "KRB_AP_ERR_TKT_EXPIRED with STATUS_TIME_DIFFERENCE_AT_DC",
			    sender, user ? user : client, who,
			    f->count > 1 ? kf_rule_fmt(ctx, " (%zu errors)", f->count) : "",
			    all_recovered ? "; the client retried at once and succeeded" : "");
	const char *expl = kf_rule_fmt(
		ctx,
		"%s refused the %s because the time in it is too far from its own clock (Kerberos accepts 5 "
		"minutes of difference by default; timestamps are UTC, so time zones do not matter). %s %s",
		f->kdc ? kf_rule_fmt(ctx, "The KDC (%s)", sv)
		       : kf_rule_fmt(ctx, "The %s at %s", kf_rule_is_smb(err) ? "SMB server" : "service", sv),
		f->kdc ? "request (its pre-authentication timestamp or authenticator)"
		       : "AP-REQ's authenticator",
		how,
		all_recovered
			? "Each time the client then repeated the request and got its reply at once (Windows "
			  "clients correct their time from the error's stime and retry), so authentication works, "
			  "at the cost of an extra round trip and a fragile setup."
		: f->kdc
			? "Without a TGT the client cannot get service tickets: Negotiate falls back to NTLM or the "
			  "user is prompted."
			: kf_rule_fmt(
				  ctx,
				  "The service rejects every ticket from this client until the clocks agree "
				  "(%s carries the error%s).",
				  kf_rule_carried_in(err), err->spnego ? " inside SPNEGO" : ""));
	in.frames = frames;
	in.n_frames = nf;
	in.subject = subject;
	in.summary = summary;
	in.explanation = expl;
	in.clocks[0] = f->clocks[0];
	in.clocks[1] = f->clocks[1];
	in.has_offset = f->has_pair;
	/* whole seconds, rounded half away from zero */
	in.offset_s = (f->pair_us + (f->pair_us < 0 ? -500000 : 500000)) / 1000000;
	in.remediation =
		"Synchronise the clocks, don't widen the tolerance. Windows domain members follow the domain "
		"hierarchy: w32tm /resync (w32tm /query /status shows the source), and the PDC emulator should "
		"sync from a reliable source (w32tm /config /manualpeerlist:<ntp> /syncfromflags:manual "
		"/reliable:yes /update). Linux: run chrony or ntpd against the DCs (chronyc tracking; chronyc "
		"makestep to step at once). Virtual machines: stop the hypervisor's time sync fighting NTP. The "
		"tolerance is the GPO \"Maximum tolerance for computer clock synchronization\" (5 min) or "
		"krb5.conf clockskew = 300.";
	kf_finding_emit(ctx, &in);
}

#define STATUS_TIME_DIFFERENCE_AT_DC 0xC0000133u

/* A clock error: KRB_AP_ERR_SKEW, or a Windows KDC's KRB_AP_ERR_TKT_EXPIRED
 * whose NTSTATUS says the clocks differ (the ticket looks expired only
 * because of them). */
static bool is_skew_error(const struct kf_message *m)
{
	return kf_rule_is_krb_error(m) &&
	       (m->krb.error_code == 37 || (m->krb.error_code == 32 && m->krb.has_ntstatus &&
					    m->krb.ntstatus == STATUS_TIME_DIFFERENCE_AT_DC));
}

static void rule_clock_skew(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *err = &r->messages[i];
		if (!is_skew_error(err))
			continue;
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &err->src);
		kf_key_addr(&key, &err->dst);
		if (!kf_seen_add(ctx, &seen, key))
			continue;
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0;
		struct skew_facts f = { .kdc = err->carrier == KF_CARRIER_KERBEROS,
					.code = err->krb.error_code };
		struct kf_subject_b subject = { 0 };
		kf_subject_addr(ctx, &subject, KF_SUBJECT_CLIENT, &err->dst, false);
		kf_subject_addr(ctx, &subject, f.kdc ? KF_SUBJECT_KDC : KF_SUBJECT_SERVER, &err->src, !f.kdc);
		const struct kf_message *first_t = NULL; /* first with stime */
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!KF_AT_ADDR_IS_DST(at.v[j]) || o < err || !is_skew_error(o) ||
			    !kf_endpoint_same_addr(&o->src, &err->src))
				continue;
			f.count++;
			f.recovered += kf_rule_error_recovered(r, o);
			const struct kf_message *q = kf_msg_request(r, o);
			kf_rule_msg_frames_add(frames, &nf, q);
			kf_rule_frame_add(frames, &nf, o->frame);
			kf_subject_add(ctx, &subject, KF_SUBJECT_USER, kf_rule_user_of(ctx, o, q));
			kf_subject_add(ctx, &subject, KF_SUBJECT_SERVICE, kf_rule_service_of(ctx, o, q));
			if (!first_t && o->krb.has_stime)
				first_t = o;
		}
		skew_measure(r, err, first_t, kf_msg_request(r, err), &f);
		skew_emit(ctx, err, &f, frames, nf, &subject);
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
	    "KRB_AP_ERR_SKEW: client, KDC or service clocks differ by more than the tolerance", skew_causes },
	  rule_clock_skew },
	{ { "udp-fragmentation", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "Kerberos over UDP in IP fragments, lost fragments, or RESPONSE_TOO_BIG and the TCP retry",
	    frag_causes },
	  rule_udp_fragmentation },
};
const size_t kf_rules_reach_count = sizeof kf_rules_reach / sizeof kf_rules_reach[0];
