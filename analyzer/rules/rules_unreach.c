/* rules_unreach.c - kdc-unreachable: requests to a KDC address on port 88
 * that get no answer (UDP without reply, SYN unanswered, RST, ICMP
 * unreachable, lost IP fragments): a KDC that never answered in the
 * capture, and outages of one that did (issue 18, item 2: at least 2
 * attempts over at least 10 s with no Kerberos answer from it in between).
 * The rule's table entry is in rules_reach.c; docs/rules.md lists the
 * causes. */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "rules.h"
#include "rules_common.h"
#include "rules_reach.h"

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
const char *const kf_unreach_causes[] = {
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
	return (struct kf_finding_in){ .cause = kf_unreach_causes[f->failover ? UNR_FAILOVER : how],
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
			? kf_reach_frag_fix
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

/* ---- kdc-unreachable: outages of a KDC that answered -------------------- */

/* An outage is at least 2 requests to one KDC address over at least this much
 * capture time with no Kerberos answer from it in between (issue 18): shorter
 * silences are a retransmission and its reply. */
#define OUTAGE_MIN_US (10ull * 1000000ull)
/* A reply later than this left the client waiting: MIT retries a UDP request
 * after 1 s (and moves to the next KDC), so it no longer counts as an answer
 * in time. */
#define OUTAGE_LATE_US (1ull * 1000000ull)
/* Clients an outage tells apart (more are counted in the evidence only). */
#define OUTAGE_CLIENTS 8u

/* One silence of a KDC address: the failed attempts between two of its
 * Kerberos messages (or the capture's end). */
struct outage {
	struct unreach_facts f;
	unsigned late;     /* requests answered only after OUTAGE_LATE_US */
	unsigned attempts; /* requests, SYNs and refused connections */
	uint64_t first_frame, first_ts, last_frame, last_ts;
	uint64_t end_frame, end_ts; /* the address's next Kerberos message; 0: none in the capture */
	struct kf_endpoint clients[OUTAGE_CLIENTS];
	size_t n_clients;
	uint64_t visible_frame; /* the HTTP 401 that ended the user's step; 0: none seen */
	struct kf_endpoint visible_server;
	uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
	size_t nf;
	struct kf_subject_b subject;
};

static void outage_attempt(struct kf_rule_ctx *ctx, struct outage *o, uint64_t frame, uint64_t ts,
			   const struct kf_endpoint *client)
{
	if (!o->first_frame) {
		o->first_frame = frame;
		o->first_ts = ts;
	}
	o->last_frame = frame;
	o->last_ts = ts;
	kf_rule_frame_add(o->frames, &o->nf, frame);
	bool known = false;
	for (size_t i = 0; i < o->n_clients && !known; i++)
		known = kf_endpoint_same_addr(&o->clients[i], client);
	if (!known && o->n_clients < OUTAGE_CLIENTS)
		o->clients[o->n_clients++] = *client;
	kf_subject_addr(ctx, &o->subject, KF_SUBJECT_CLIENT, client, false);
}

/* Did another KDC give client a ticket between the frames (to: 0, the end)? */
static bool outage_answered_elsewhere(const struct kf_result *r, const struct kf_endpoint *client,
				      const struct kf_endpoint *kdc, uint64_t from, uint64_t to)
{
	struct kf_at_addr at = kf_result_at_addr(r, client, from + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (to && m->frame >= to)
			break;
		if (m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88 &&
		    !kf_endpoint_same_addr(&m->src, kdc) && kf_endpoint_same_addr(&m->dst, client) &&
		    (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP))
			return true;
	}
	return false;
}

/* The step the user saw, failed inside the capture: an HTTP 401 to the
 * client around the outage that is the last word of that server to it, with
 * no Kerberos AP-REQ from the client to anyone after the outage began (so
 * Negotiate never sent a ticket).  Other carriers: not judged (likely). */
static bool outage_visible(const struct kf_result *r, struct outage *o, const struct kf_endpoint *client,
			   uint64_t until_ts)
{
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	const struct kf_message *last401 = NULL;
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->type == KF_KRB_AP_REQ && kf_endpoint_same_addr(&m->src, client) &&
		    m->frame > o->first_frame)
			return false; /* a ticket was presented after all */
		if (m->type != KF_MSG_HTTP_RESPONSE || !m->http || !kf_endpoint_same_addr(&m->dst, client))
			continue;
		if (last401 && kf_endpoint_same_addr(&m->src, &last401->src))
			last401 = NULL; /* that server said something after its 401 */
		if (m->http->status == 401 && !m->http->proxy && m->ts_us + OUTAGE_MIN_US >= o->first_ts &&
		    m->ts_us <= until_ts)
			last401 = m;
	}
	if (!last401)
		return false;
	o->visible_frame = last401->frame;
	o->visible_server = last401->src;
	return true;
}

/* An ICMP unreachable the client sent about the KDC's last reply (it came
 * after the client had closed its socket): not a refusal by the KDC.  The
 * tevent is keyed client -> KDC whichever way the ICMP went. */
static bool icmp_about_reply(const struct kf_message *answer, const struct kf_tevent *t)
{
	return answer && answer->transport == KF_TRANSPORT_UDP && answer->dst.port == t->src.port &&
	       kf_endpoint_same_addr(&answer->dst, &t->src) && t->ts_us >= answer->ts_us &&
	       t->ts_us - answer->ts_us < OUTAGE_LATE_US;
}

/* "frame 5, 0.033 s into the capture (23:07:10.379 UTC)" */
static const char *outage_when(struct kf_rule_ctx *ctx, uint64_t frame, uint64_t ts)
{
	const struct kf_result *r = kf_rule_result(ctx);
	uint64_t rel = r->have_ts && ts >= r->first_ts_us ? ts - r->first_ts_us : 0;
	uint64_t day_ms = (ts / 1000) % 86400000ull;
	return kf_rule_fmt(ctx, "frame %llu, %llu.%03llu s into the capture (%02u:%02u:%02u.%03u UTC)",
			   (unsigned long long)frame, (unsigned long long)(rel / 1000000),
			   (unsigned long long)(rel / 1000 % 1000), (unsigned)(day_ms / 3600000),
			   (unsigned)(day_ms / 60000 % 60), (unsigned)(day_ms / 1000 % 60),
			   (unsigned)(day_ms % 1000));
}

static void outage_emit(struct kf_rule_ctx *ctx, const struct kf_endpoint *kdc_ep, struct outage *o)
{
	const struct kf_result *r = kf_rule_result(ctx);
	uint64_t end_ts = o->end_frame ? o->end_ts : r->last_ts_us;
	bool failover = o->n_clients > 0, visible = false;
	for (size_t i = 0; i < o->n_clients; i++) {
		failover = failover &&
			   outage_answered_elsewhere(r, &o->clients[i], kdc_ep, o->first_frame, o->end_frame);
		visible = visible || outage_visible(r, o, &o->clients[i], end_ts);
	}
	o->f.failover = failover;
	struct kf_finding_in in = unreach_verdict(&o->f);
	in.confidence = visible ? KF_CONF_CERTAIN : KF_CONF_LIKELY;
	enum unreach_cause how = unreach_how(&o->f);
	char kdc[64], dur[32], srv[64] = "";
	kf_endpoint_addr(kdc_ep, kdc, sizeof kdc);
	kf_reach_duration(dur, sizeof dur, end_ts - o->first_ts);
	if (visible) {
		char a[48];
		kf_endpoint_addr(&o->visible_server, a, sizeof a);
		snprintf(srv, sizeof srv, "%s port %u", a, (unsigned)o->visible_server.port);
	}
	kf_rule_frame_add(o->frames, &o->nf, o->end_frame);
	kf_rule_frame_add(o->frames, &o->nf, o->visible_frame);
	char what[320];
	snprintf(what, sizeof what, "%s%s%s%s%s",
		 o->f.no_reply ? kf_rule_fmt(ctx, "%u request%s without a reply; ", o->f.no_reply,
					     o->f.no_reply == 1 ? "" : "s")
			       : "",
		 o->late ? kf_rule_fmt(ctx, "%u answered only after more than 1 s; ", o->late) : "",
		 o->f.syns ? kf_rule_fmt(ctx, "%u TCP SYN%s never answered; ", o->f.syns,
					 o->f.syns == 1 ? "" : "s")
			   : "",
		 o->f.resets ? kf_rule_fmt(ctx, "%u TCP connection%s refused (RST); ", o->f.resets,
					   o->f.resets == 1 ? "" : "s")
			     : "",
		 o->f.icmp ? kf_rule_fmt(ctx, "%u ICMP unreachable; ", o->f.icmp) : "");
	size_t wl = strlen(what);
	if (wl >= 2)
		what[wl - 2] = 0;
	const char *ended =
		o->end_frame
			? kf_rule_fmt(ctx, "Its next Kerberos message is in %s.",
				      outage_when(ctx, o->end_frame, o->end_ts))
			: kf_rule_fmt(
				  ctx,
				  "It sent no Kerberos message after that until the capture ends, %s after the first attempt.",
				  dur);
	in.frames = o->frames;
	in.n_frames = o->nf;
	in.subject = &o->subject;
	in.summary = kf_rule_fmt(ctx, "KDC %s stopped answering Kerberos (port 88) for %s%s: %s", kdc,
				 o->end_frame ? "" : "at least ", dur, what);
	in.explanation = kf_rule_fmt(
		ctx,
		"%s answered Kerberos elsewhere in the capture, but from the first attempt in %s to the last in %s "
		"the client%s got no answer from it. %s %s%s%s",
		kdc, outage_when(ctx, o->first_frame, o->first_ts),
		outage_when(ctx, o->last_frame, o->last_ts), o->n_clients == 1 ? "" : "s", ended,
		how == UNR_RESET || how == UNR_ICMP
			? "The host refused the requests meanwhile (ICMP unreachable or TCP reset): the KDC "
			  "service was not running or a firewall rejected port 88. "
			: "Nothing came back meanwhile: the KDC service hung or was down, or a firewall dropped port "
			  "88 silently. ",
		failover
			? "Another KDC gave the client its tickets during that time, so logons still worked but "
			  "each one waited for this KDC's timeout first."
			: "No other KDC gave the client a ticket during that time, so whatever needed one then "
			  "could not get it.",
		visible ? kf_rule_fmt(
				  ctx,
				  " The user's step failed in the capture: %s answered HTTP 401 in frame %llu and the "
				  "client never sent a Kerberos ticket after that.",
				  srv, (unsigned long long)o->visible_frame)
			: " (Likely, not certain: the capture does not show whether the step that needed a ticket "
			  "failed.)");
	in.remediation = kf_rule_fmt(
		ctx,
		"Find out why the KDC on %s stopped answering at that time: its service log and state (a hang, a "
		"restart, an overload), and firewall changes between the client and it (UDP and TCP port 88). %s",
		kdc,
		failover
			? "While it stays down, take it out of the clients' KDC list (DNS SRV records "
			  "_kerberos._udp / _kerberos._tcp, or krb5.conf 'kdc =') so that logons stop waiting for it."
			: "Make sure clients list more than one live KDC (DNS SRV records _kerberos._udp / "
			  "_kerberos._tcp, or krb5.conf 'kdc =') so that they fail over.");
	kf_finding_emit(ctx, &in);
}

/* Close the silence at the address's next message (0: the capture's end):
 * an outage when long enough and with enough attempts. */
static void outage_close(struct kf_rule_ctx *ctx, const struct kf_endpoint *kdc, struct outage *o,
			 const struct kf_message *next, unsigned *emitted)
{
	const struct kf_result *r = kf_rule_result(ctx);
	if (o->first_frame) {
		o->end_frame = next ? next->frame : 0;
		o->end_ts = next ? next->ts_us : 0;
		uint64_t end_ts = next ? next->ts_us : r->last_ts_us;
		if (o->attempts >= 2 && end_ts >= o->first_ts && end_ts - o->first_ts >= OUTAGE_MIN_US) {
			/* past the rule's cap only counted (the words would cost a client scan each) */
			if (*emitted >= KF_LIMIT_FINDINGS_PER_RULE)
				kf_finding_emit(ctx, &(struct kf_finding_in){ .cause = NULL });
			else
				outage_emit(ctx, kdc, o);
			(*emitted)++;
		}
	}
	memset(o, 0, sizeof *o);
}

/* The outages of one KDC address that answered something: its requests and
 * transport events in frame order, cut at each Kerberos message it sent. */
static void kdc_outages(struct kf_rule_ctx *ctx, const struct kf_endpoint *kdc, struct outage *o,
			unsigned *emitted)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_at_addr at = kf_result_at_addr(r, kdc, 0);
	const struct kf_message *answer = NULL; /* its last Kerberos message so far */
	size_t i = 0, j = 0;
	memset(o, 0, sizeof *o);
	while (i < at.n || j < r->n_tevents) {
		const struct kf_message *m = i < at.n ? KF_AT_ADDR_MSG(r, at.v[i]) : NULL;
		const struct kf_tevent *t = j < r->n_tevents ? &r->tevents[j] : NULL;
		if (t && (!m || t->frame < m->frame)) {
			j++;
			if (t->dst.port != 88 || !kf_endpoint_same_addr(&t->dst, kdc))
				continue;
			if (t->kind == KF_TEV_TCP_NO_ANSWER) {
				o->f.syns += t->count;
				o->attempts += t->count;
			} else if (t->kind == KF_TEV_TCP_RESET) {
				o->f.resets++;
				o->attempts++;
			} else if (t->kind == KF_TEV_ICMP_UNREACHABLE && !icmp_about_reply(answer, t)) {
				o->f.icmp++; /* its request is counted as a request */
			} else {
				continue;
			}
			outage_attempt(ctx, o, t->frame, t->ts_us, &t->src);
			continue;
		}
		i++;
		if (m->carrier != KF_CARRIER_KERBEROS)
			continue;
		if (m->src.port == 88 && kf_endpoint_same_addr(&m->src, kdc)) {
			outage_close(ctx, kdc, o, m, emitted); /* it answered */
			answer = m;
			continue;
		}
		if (m->dst.port != 88 || !kf_endpoint_same_addr(&m->dst, kdc) ||
		    (m->type != KF_KRB_AS_REQ && m->type != KF_KRB_TGS_REQ))
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (rep && (rep->ts_us < m->ts_us || rep->ts_us - m->ts_us < OUTAGE_LATE_US))
			continue; /* answered in time (or time runs backwards: no claim) */
		if (rep)
			o->late++;
		else
			o->f.no_reply++;
		o->attempts++;
		outage_attempt(ctx, o, m->frame, m->ts_us, &m->src);
		kf_subject_message(ctx, &o->subject, m);
	}
	outage_close(ctx, kdc, o, NULL, emitted);
}

static void rule_kdc_outages(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct outage *o = kf_calloc(1, sizeof *o);
	if (!o) {
		kf_rule_nomem(ctx);
		return;
	}
	struct kf_seen kdcs = { 0 };
	unsigned emitted = 0, n_kdcs = 0;
	/* each address walks every transport event: at most KF_LIMIT_RULE_GROUPS of them */
	for (size_t i = 0; i < r->n_messages && n_kdcs < KF_LIMIT_RULE_GROUPS; i++) {
		const struct kf_message *m = &r->messages[i];
		if (m->carrier != KF_CARRIER_KERBEROS || m->src.port != 88 || m->dst.port == 88)
			continue;
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &m->src);
		if (kf_seen_add(ctx, &kdcs, key)) {
			n_kdcs++;
			kdc_outages(ctx, &m->src, o, &emitted);
		}
	}
	kf_seen_free(&kdcs);
	kf_free(o);
}

void kf_rule_kdc_unreachable(struct kf_rule_ctx *ctx)
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
	rule_kdc_outages(ctx); /* and the KDCs that answered: did they stop for a while? */
}
