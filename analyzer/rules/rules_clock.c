/* rules_clock.c - do the clocks agree (clock-skew): which of the client's,
 * the KDC's, the service's and the capture's clocks disagree, and by how
 * much when the capture measures it (DIAGNOSES.md; RFC 4120 §5.9.1
 * KRB_AP_ERR_SKEW; docs/rules.md); and is the capture's own clock
 * believable at all (capture-clock-implausible).
 *
 * Facts are gathered into a struct, a pure verdict decides cause, severity
 * and confidence, and the words come from how the offset was measured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "rules_reach.h"

static int64_t krb_time_us(int64_t s, int32_t us) { return s * 1000000 + (us >= 0 && us < 1000000 ? us : 0); }

/* ---- the capture's clock --------------------------------------------------- */

#define Y2000_US (946684800ll * 1000000)
#define DAY_US (86400ll * 1000000)

static bool plausible_time(int64_t us) { return us >= Y2000_US; }

/* Why the capture's clock is no reference (docs/rules.md). */
enum capclock_cause { CAPCLOCK_BEFORE_2000, CAPCLOCK_FAR_FROM_KDC, CAPCLOCK_OK };
const char *const kf_capclock_causes[] = { "before-2000", "far-from-kdc", NULL };

/* The capture's clock in one file (several files: each has its own). */
struct capclock_facts {
	enum capclock_cause cause;
	size_t early; /* messages stamped before 2000 */
	const struct kf_message *first_early;
	bool early_vouched;               /* ... but another clock agrees with them: a genuine old capture */
	size_t refs;                      /* KDC errors whose stime is a time (2000 or later) */
	const struct kf_message *nearest; /* the one whose stime is nearest the capture's time */
	int64_t nearest_us;               /* the capture's time minus that stime */
	bool two_kdcs;                    /* the references come from more than one KDC address */
};

/* A KDC's own time: a KRB-ERROR from a KDC carrying an stime that is a time. */
static bool kdc_stime(const struct kf_message *m)
{
	return m->type == KF_KRB_ERROR && m->carrier == KF_CARRIER_KERBEROS && m->krb.has_stime &&
	       plausible_time(krb_time_us(m->krb.stime, m->krb.susec));
}

/* RFC 1510 (1993): no Kerberos 5 traffic is older. */
#define Y1993_US (725846400ll * 1000000)

/* Does another clock agree with a time before 2000 the capture recorded for
 * m: the client's request end time (now + lifetime, up to a year ahead) or
 * the KDC's stime within a day.  A capture really made in 1999 (the corpus'
 * tcpdump__afs.pcap) is not a clock that was never set. */
static bool early_time_vouched(const struct kf_message *m)
{
	int64_t ts = (int64_t)m->ts_us;
	if (ts < Y1993_US)
		return false;
	if ((m->type == KF_KRB_AS_REQ || m->type == KF_KRB_TGS_REQ) && m->krb.has_till) {
		int64_t ahead = m->krb.till * 1000000 - ts;
		if (ahead > 0 && ahead <= 366 * DAY_US)
			return true;
	}
	if (m->type == KF_KRB_ERROR && m->carrier == KF_CARRIER_KERBEROS && m->krb.has_stime) {
		int64_t d = krb_time_us(m->krb.stime, m->krb.susec) - ts;
		return d <= DAY_US && d >= -DAY_US;
	}
	return false;
}

/* One message into its file's facts. */
static void capclock_add(struct capclock_facts *f, const struct kf_message *m)
{
	if (!plausible_time((int64_t)m->ts_us)) {
		if (!f->early++)
			f->first_early = m;
		f->early_vouched |= early_time_vouched(m);
		return;
	}
	if (!kdc_stime(m))
		return;
	int64_t d = (int64_t)m->ts_us - krb_time_us(m->krb.stime, m->krb.susec);
	if (f->refs && !kf_endpoint_same_addr(&m->src, &f->nearest->src))
		f->two_kdcs = true;
	if (!f->refs++ || (d < 0 ? -d : d) < (f->nearest_us < 0 ? -f->nearest_us : f->nearest_us)) {
		f->nearest = m;
		f->nearest_us = d;
	}
}

/* The facts of every file (one: a single capture), in one pass over the
 * messages; *n files.  NULL when out of memory (reported). */
static struct capclock_facts *capclock_gather(struct kf_rule_ctx *ctx, const struct kf_result *r, size_t *n)
{
	*n = r->n_files ? r->n_files : 1;
	struct capclock_facts *fs = calloc(*n, sizeof *fs);
	if (!fs) {
		kf_rule_nomem(ctx);
		return NULL;
	}
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].file < *n)
			capclock_add(&fs[r->messages[i].file], &r->messages[i]);
	for (size_t k = 0; k < *n; k++) {
		struct capclock_facts *f = &fs[k];
		if (f->early && !f->early_vouched)
			f->cause = CAPCLOCK_BEFORE_2000;
		else if (f->refs && (f->nearest_us > DAY_US || f->nearest_us < -DAY_US))
			f->cause = CAPCLOCK_FAR_FROM_KDC;
		else
			f->cause = CAPCLOCK_OK;
	}
	return fs;
}

/* ---- clock-skew ---------------------------------------------------------- */

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
const char *const kf_skew_causes[] = { "client-clock", "kdc-clock", "service-clock", "undetermined", NULL };

/* How the offset was measured: a finer split than the cause, for the words. */
enum skew_measure {
	SKEW_BY_CTIME,          /* stime - ctime: the client's claimed time against the sender's */
	SKEW_BY_AUTHENTICATOR,  /* stime - the ctime of the request's authenticator, opened (--keytab) */
	SKEW_SENDER_VS_KDC,     /* a service's stime off, while a KDC's stime agrees with the capture */
	SKEW_SENDER_VS_CAPTURE, /* the sender's stime off from the capture's time */
	SKEW_CLIENT_ESTIMATED,  /* the sender agrees with the capture; the client's offset from its till */
	SKEW_CLIENT_UNMEASURED, /* the sender agrees with the capture; the client's offset unknown */
	SKEW_NO_TIME,           /* the error carries no stime */
	SKEW_NO_OFFSET,         /* the times give no usable offset (over 30 days, or before 2000) */
	SKEW_CAPTURE_VOID,      /* the capture's clock is implausible: no comparison with it */
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
	bool tgs;              /* the refused request is a TGS-REQ (its authenticator opens with --keytab) */
	const char *clocks[2]; /* the two clocks that disagree (the finding's `clocks`) */
	bool has_pair;         /* pair_us measures clocks[0] minus clocks[1] */
	int64_t pair_us;
	bool capture_void; /* capture-clock-implausible holds for the error's file */
};

static struct kf_finding_in skew_verdict(const struct skew_facts *f)
{
	enum skew_cause c = !f->has_stime || f->how == SKEW_CAPTURE_VOID ? SKEW_UNDETERMINED
			    : f->sender_off                              ? (f->kdc ? SKEW_KDC : SKEW_SERVICE)
									 : SKEW_CLIENT;
	return (struct kf_finding_in){ .cause = kf_skew_causes[c],
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
	f->tgs = req && req->type == KF_KRB_TGS_REQ;
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
	const struct kf_message *tq = kf_msg_request(r, t);
	const struct kf_dec_auth *auth =
		tq && tq->dec && tq->dec->auth && tq->dec->auth->status == KF_OPEN_OK ? tq->dec->auth : NULL;
	int64_t claimed = auth ? krb_time_us(auth->ctime, auth->cusec) : 0;
	if (auth && plausible_time(claimed) && times_ok) {
		/* the keytab opened the authenticator: the client's own clock */
		f->how = SKEW_BY_AUTHENTICATOR;
		f->offset_us = stime - claimed;
		skew_pair(f, "client", sender, true, -f->offset_us);
	} else if (ctime_usable(r, t)) {
		f->how = SKEW_BY_CTIME;
		f->offset_us = stime - krb_time_us(t->krb.ctime, t->krb.cusec);
		skew_pair(f, "client", sender, true, -f->offset_us);
	} else if (f->capture_void) {
		/* the sender's stime against a capture clock that is itself wrong
		 * says nothing about which of the sender and the client is off */
		f->how = SKEW_CAPTURE_VOID;
		skew_pair(f, "client", sender, false, 0);
		return;
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
	kf_reach_duration(dur, sizeof dur, (uint64_t)(f->sender_us < 0 ? -f->sender_us : f->sender_us));
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
	kf_reach_duration(dur, sizeof dur, (uint64_t)(d < 0 ? -d : d));
	const char *the = f->kdc ? "the KDC" : "the service";
	switch (f->how) {
	case SKEW_BY_CTIME:
		*who = kf_rule_fmt(ctx, "%s clock %s %s %s", client, dur, d > 0 ? "behind" : "ahead of", the);
		*how = kf_rule_fmt(ctx,
				   "The error's stime (%s's clock) and ctime (the time the client claimed "
				   "in its request) differ by %s.",
				   the, dur);
		break;
	case SKEW_BY_AUTHENTICATOR:
		*who = kf_rule_fmt(ctx, "%s clock %s %s %s", client, dur, d > 0 ? "behind" : "ahead of", the);
		*how = kf_rule_fmt(
			ctx,
			"The request's authenticator, opened with the keytab, carries the client's time; "
			"the error's stime (%s's clock) differs from it by %s.",
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
		kf_reach_duration(pair, sizeof pair, (uint64_t)(f->pair_us < 0 ? -f->pair_us : f->pair_us));
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
		*how = kf_rule_fmt(
			ctx,
			"%s's stime %s, so the client's clock is the one that is off; the "
			"client's timestamp is encrypted, so the amount is not visible (more than "
			"the 5-minute default%s).",
			f->kdc ? "The KDC" : "The service", sender_within(ctx, f),
			f->tgs ? "; --keytab with the krbtgt key opens the authenticator and measures it"
			       : "");
		break;
	case SKEW_NO_OFFSET:
		*who = kf_rule_fmt(ctx, "%s clock and %s disagree by more than the tolerance",
				   clock_word(f->clocks[0]), clock_word(f->clocks[1]));
		*how = "The times in the error and the packet are more than 30 days apart or before 2000 (a clock "
		       "or a capture timestamp that was never set, or a field that is not a time): no offset is "
		       "given.";
		break;
	case SKEW_CAPTURE_VOID:
		*who = kf_rule_fmt(ctx, "clocks of %s and %s differ by more than the tolerance", client,
				   sender);
		*how = "The capture's own clock is implausible (see capture-clock-implausible: its times are "
		       "before 2000 or more than a day from every KDC's stime), so the error's stime cannot be "
		       "compared with it to tell which clock is off.";
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
		!f->kdc                             ? "AP-REQ's authenticator"
		: req && req->type == KF_KRB_AS_REQ ? "AS-REQ (its pre-authentication timestamp)"
		: req && req->type == KF_KRB_TGS_REQ
			? "TGS-REQ (the authenticator next to its TGT)"
			: "request (its pre-authentication timestamp or authenticator)",
		how,
		all_recovered
			? "Each time the client then repeated the request and got its reply at once (Windows "
			  "clients correct their time from the error's stime and retry), so authentication works, "
			  "at the cost of an extra round trip and a fragile setup."
		: f->kdc && req && req->type == KF_KRB_TGS_REQ
			? kf_rule_fmt(
				  ctx,
				  "The client has a TGT but gets no service ticket%s%s until the clocks agree: "
				  "Negotiate falls back to NTLM or the user is prompted.",
				  svc ? " for " : "", svc ? svc : "")
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

void kf_rule_clock_skew(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	size_t n_files;
	struct capclock_facts *capclock = capclock_gather(ctx, r, &n_files);
	if (!capclock)
		return;
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
					.code = err->krb.error_code,
					.capture_void = err->file < n_files &&
							capclock[err->file].cause != CAPCLOCK_OK };
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
	free(capclock);
}

/* ---- capture-clock-implausible ---------------------------------------------- */

static void capclock_emit(struct kf_rule_ctx *ctx, const struct kf_result *r, uint32_t file,
			  const struct capclock_facts *f)
{
	const char *in_file = r->n_files ? kf_rule_fmt(ctx, " in %s", r->files[file].name) : "";
	uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
	size_t nf = 0;
	struct kf_subject_b subject = { 0 };
	struct kf_finding_in in = { .severity = KF_SEV_WARNING, .cause = kf_capclock_causes[f->cause] };
	if (f->cause == CAPCLOCK_BEFORE_2000) {
		const struct kf_message *m = f->first_early;
		kf_rule_frame_add(frames, &nf, m->frame);
		/* the hosts of the first message so stamped */
		struct kf_endpoint client = kf_rule_client_of(m);
		const struct kf_endpoint *peer = kf_endpoint_same_addr(&client, &m->src) ? &m->dst : &m->src;
		bool kdc = m->carrier == KF_CARRIER_KERBEROS;
		kf_subject_addr(ctx, &subject, KF_SUBJECT_CLIENT, &client, false);
		kf_subject_addr(ctx, &subject, kdc ? KF_SUBJECT_KDC : KF_SUBJECT_SERVER, peer, !kdc);
		in.confidence = KF_CONF_CERTAIN;
		in.summary = kf_rule_fmt(
			ctx, "the capture's clock%s was not set: %zu message%s stamped before 2000", in_file,
			f->early, f->early == 1 ? "" : "s");
		in.explanation = kf_rule_fmt(
			ctx,
			"The capture host recorded times before 1 January 2000 (frame %llu is the first), the "
			"mark of a clock that was never set or a tool that wrote no times. The times in this "
			"report are then good only relative to each other: durations and order hold, dates and "
			"comparisons with the other hosts' clocks do not (clock-skew does not compare any clock "
			"with this capture's).",
			(unsigned long long)f->first_early->frame);
	} else {
		char dur[48], kdc[64];
		int64_t d = f->nearest_us;
		kf_reach_duration(dur, sizeof dur, (uint64_t)(d < 0 ? -d : d));
		kf_endpoint_addr(&f->nearest->src, kdc, sizeof kdc);
		kf_subject_addr(ctx, &subject, KF_SUBJECT_KDC, &f->nearest->src, false);
		kf_rule_frame_add(frames, &nf, f->nearest->frame);
		/* one KDC could be the one off; several agreeing with each other
		 * and not with the capture leave only the capture */
		in.confidence = f->two_kdcs ? KF_CONF_CERTAIN : KF_CONF_LIKELY;
		in.summary = kf_rule_fmt(ctx, "the capture's clock%s is %s %s the KDC%s", in_file, dur,
					 d > 0 ? "ahead of" : "behind",
					 f->two_kdcs ? "s" : kf_rule_fmt(ctx, " %s", kdc));
		in.explanation = kf_rule_fmt(
			ctx,
			"%zu KDC error%s carr%s the KDC's own time (stime); the nearest (frame %llu, from %s) is "
			"%s %s the time the capture recorded for it, more than the day any real clock "
			"difference among working Kerberos hosts could be. %s The times in this report are then "
			"good only relative to each other, and clock-skew does not compare any clock with this "
			"capture's.",
			f->refs, f->refs == 1 ? "" : "s", f->refs == 1 ? "ies" : "y",
			(unsigned long long)f->nearest->frame, kdc, dur, d > 0 ? "before" : "after",
			f->two_kdcs
				? "Several KDCs agree with each other, so the capture's clock is the one that is off."
				: "Either the capture host's clock is off, or the KDC's is by as much (its "
				  "clients would then fail with clock-skew); one KDC cannot tell which.");
		in.clocks[0] = "capture";
		in.clocks[1] = "kdc";
		in.has_offset = true;
		in.offset_s = (d + (d < 0 ? -500000 : 500000)) / 1000000;
	}
	in.frames = frames;
	in.n_frames = nf;
	in.subject = &subject;
	in.remediation =
		"Fix the capture host's clock (Linux: chronyc tracking, timedatectl; Windows: w32tm /query /status, "
		"w32tm /resync) and capture again; a capture that must be used as it is can be re-timed with "
		"editcap -t <seconds>. Until then read the report's times as relative only.";
	kf_finding_emit(ctx, &in);
}

void kf_rule_capture_clock(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	size_t n;
	struct capclock_facts *fs = capclock_gather(ctx, r, &n);
	if (!fs)
		return;
	for (size_t file = 0; file < n; file++)
		if (fs[file].cause != CAPCLOCK_OK)
			capclock_emit(ctx, r, (uint32_t)file, &fs[file]);
	free(fs);
}
