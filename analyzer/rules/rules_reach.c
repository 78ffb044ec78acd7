/* rules_reach.c - can a client use its KDC at all: does the KDC answer on
 * port 88 (kdc-unreachable, in rules_unreach.c; the table is here), do its
 * messages fit UDP or cross the path in IP fragments (udp-fragmentation), do
 * the clocks agree (clock-skew)
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
#include "rules_reach.h"

/* What fixes Kerberos replies lost in IP fragments (udp-fragmentation, and
 * a KDC whose answers never arrive whole). */
const char kf_reach_frag_fix[] =
	"Prefer Kerberos over TCP for large messages: MIT krb5.conf [libdefaults] udp_preference_limit = 1 "
	"(always TCP); Windows clients use TCP above MaxPacketSize (HKLM\\SYSTEM\\CurrentControlSet\\"
	"Control\\Lsa\\Kerberos\\Parameters, DWORD MaxPacketSize=1 forces TCP). Make sure TCP port 88 "
	"is open between clients and KDCs, and that firewalls/VPNs pass IP fragments (or fix the MTU "
	"on the path).";

/* The duration words of the findings (kdc-unreachable's too). */
static void fmt_duration(char *buf, size_t len, uint64_t us);
void kf_reach_duration(char *buf, size_t len, uint64_t us) { fmt_duration(buf, len, us); }

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
	f->has_stime = t != NULL;
	if (!t) {
		f->how = SKEW_NO_TIME;
		return;
	}
	int64_t e = krb_time_us(t->krb.stime, t->krb.susec) - (int64_t)t->ts_us;
	f->sender_us = e;
	f->sender_off = e > TOLERANCE_US || e < -TOLERANCE_US;
	int64_t koff = 0;
	if (ctime_usable(r, t)) {
		f->how = SKEW_BY_CTIME;
		f->offset_us =
			krb_time_us(t->krb.stime, t->krb.susec) - krb_time_us(t->krb.ctime, t->krb.cusec);
	} else if (f->sender_off) {
		f->offset_us = e;
		f->how = !f->kdc && kdc_reference(r, &err->src, &koff, &f->ref) && koff < AGREE_US &&
					 koff > -AGREE_US
				 ? SKEW_SENDER_VS_KDC
				 : SKEW_SENDER_VS_CAPTURE;
	} else {
		/* The sender is within the tolerance of the capture: the client is
		 * off.  Its timestamp is encrypted; the request's end time tells how
		 * far. */
		f->how = till_estimate(req, &f->offset_us) ? SKEW_CLIENT_ESTIMATED : SKEW_CLIENT_UNMEASURED;
	}
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
	case SKEW_CLIENT_ESTIMATED:
		*who = kf_rule_fmt(ctx, "client clock about %s %s %s", dur, d < 0 ? "behind" : "ahead of",
				   the);
		*how = kf_rule_fmt(ctx,
				   "%s's stime %s%s. The client's own timestamp is encrypted, but its "
				   "request asks for a ticket ending %s %s a whole number of hours after "
				   "the capture's time: the client computed \"now + lifetime\" from a "
				   "clock %s %s (an estimate, assuming a whole-hour ticket lifetime).",
				   f->kdc ? "The KDC" : "The service", sender_within(ctx, f),
				   agrees(f->sender_us) ? ", so its clock is right" : "", dur,
				   d < 0 ? "short of" : "beyond", dur, d < 0 ? "behind" : "ahead");
		break;
	case SKEW_CLIENT_UNMEASURED:
		*who = kf_rule_fmt(ctx, "client clock off from %s by more than the tolerance", the);
		*how = kf_rule_fmt(ctx,
				   "%s's stime %s, so the client's clock is the one that is off; the "
				   "client's timestamp is encrypted, so the amount is not visible (more than "
				   "the 5-minute default).",
				   f->kdc ? "The KDC" : "The service", sender_within(ctx, f));
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
	    "KRB_AP_ERR_SKEW: client, KDC or service clocks differ by more than the tolerance", skew_causes },
	  rule_clock_skew },
	{ { "udp-fragmentation", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "Kerberos over UDP in IP fragments, lost fragments, or RESPONSE_TOO_BIG and the TCP retry",
	    frag_causes },
	  rule_udp_fragmentation },
};
const size_t kf_rules_reach_count = sizeof kf_rules_reach / sizeof kf_rules_reach[0];
