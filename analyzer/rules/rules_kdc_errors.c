/* rules_kdc_errors.c - the KDC and AP errors a user meets, one GENERIC rule
 * per kind (principal-unknown, preauth-failed, ...), reported when the client
 * did not recover at once (DIAGNOSES.md; RFC 4120 §7.5.9 error codes, MS-KILE
 * NTSTATUS in e-data).  The rules are one table, rules_kdc_errors.def: its
 * rows make the catalogue's rows, the code picks the rule, the error's facts
 * pick the cause (kdc_verdict) and the cause its words. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"

/* ---- error details ------------------------------------------------------- */

static const char *ntstatus_text(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	if (!err->krb.has_ntstatus)
		return NULL;
	const char *n = kf_krb5_ntstatus_name(err->krb.ntstatus);
	return n ? kf_rule_fmt(ctx, "%s (0x%08X)", n, err->krb.ntstatus)
		 : kf_rule_fmt(ctx, "0x%08X", err->krb.ntstatus);
}

/* " (NTSTATUS ..., e-text "...")" or "". */
static const char *err_details(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	const char *nt = ntstatus_text(ctx, err);
	const char *et = err->krb.e_text;
	if (nt && et)
		return kf_rule_fmt(ctx, " (NTSTATUS %s, e-text \"%s\")", nt, et);
	if (nt)
		return kf_rule_fmt(ctx, " (NTSTATUS %s)", nt);
	if (et)
		return kf_rule_fmt(ctx, " (e-text \"%s\")", et);
	return "";
}

/* ---- the KDC and AP errors a user meets (GENERIC) ------------------------- */

#define KDC_OPT_FORWARDED (0x80000000u >> 2)
#define KDC_OPT_CNAME_IN_ADDL_TKT (0x80000000u >> 14)

/* BADOPTION that rules_deleg.c explains: S4U2Self, S4U2Proxy, forwarded TGT. */
static bool badoption_is_delegation(const struct kf_message *err, const struct kf_message *req)
{
	if (!req) {
		/* Without the request, stay out of the way of the delegation rules:
		 * a TGT request, Windows' S4U2Proxy probe to its own account (a
		 * name ending in $, an enterprise name, STATUS_NOT_SUPPORTED). */
		const char *sn = err->krb.sname;
		size_t l = sn ? strlen(sn) : 0;
		return !sn || kf_sname_is_krbtgt(sn) || strchr(sn, '@') || (l && sn[l - 1] == '$') ||
		       kf_name_eq_nocase(sn, err->krb.cname) ||
		       (err->krb.has_ntstatus && err->krb.ntstatus == 0xC00000BBu);
	}
	if (req->type != KF_KRB_TGS_REQ)
		return false;
	if (req->krb.s4u_user)
		return true;
	if (req->krb.n_addl && req->krb.has_kdc_options && (req->krb.kdc_options & KDC_OPT_CNAME_IN_ADDL_TKT))
		return true;
	return kf_sname_is_krbtgt(req->krb.sname) && req->krb.has_kdc_options &&
	       (req->krb.kdc_options & KDC_OPT_FORWARDED);
}

/* Two errors are one finding when the same client met the same error for the
 * same principals (and NTSTATUS). */
static bool same_error(const struct kf_result *r, const struct kf_message *a, const struct kf_message *b)
{
	if (a->krb.error_code != b->krb.error_code || !kf_endpoint_same_addr(&a->dst, &b->dst) ||
	    a->carrier != b->carrier)
		return false;
	if (a->krb.has_ntstatus != b->krb.has_ntstatus ||
	    (a->krb.has_ntstatus && a->krb.ntstatus != b->krb.ntstatus))
		return false;
	const struct kf_message *qa = kf_msg_request(r, a), *qb = kf_msg_request(r, b);
	const char *ca = a->krb.cname ? a->krb.cname : qa ? qa->krb.cname : NULL;
	const char *cb = b->krb.cname ? b->krb.cname : qb ? qb->krb.cname : NULL;
	const char *sa = a->krb.sname ? a->krb.sname : qa ? qa->krb.sname : NULL;
	const char *sb = b->krb.sname ? b->krb.sname : qb ? qb->krb.sname : NULL;
	if (!sa && qa && qa->krb.ticket)
		sa = qa->krb.ticket->sname;
	if (!sb && qb && qb->krb.ticket)
		sb = qb->krb.ticket->sname;
	return kf_name_same_nocase(ca, cb) && kf_name_same_nocase(sa, sb);
}

/* What same_error compares, as a group key. */
static struct kf_key error_key(const struct kf_result *r, const struct kf_message *e)
{
	const struct kf_message *q = kf_msg_request(r, e);
	const char *c = e->krb.cname ? e->krb.cname : q ? q->krb.cname : NULL;
	const char *sn = e->krb.sname ? e->krb.sname : q ? q->krb.sname : NULL;
	if (!sn && q && q->krb.ticket)
		sn = q->krb.ticket->sname;
	struct kf_key k = kf_key_new();
	kf_key_int(&k, e->krb.error_code);
	kf_key_int(&k, e->carrier);
	kf_key_addr(&k, &e->dst);
	kf_key_int(&k, e->krb.has_ntstatus ? (int64_t)e->krb.ntstatus : -1);
	kf_key_name(&k, c);
	kf_key_name(&k, sn);
	return k;
}

/* S_PRINCIPAL_UNKNOWN for a bare account name (no '/'): Windows asks for a
 * ticket to a service running as a user that way, then switches to
 * user-to-user (KRB_TGT_REQ, or a TGS-REQ with enc-tkt-in-skey). */
#define KDC_OPT_ENC_TKT_IN_SKEY (0x80000000u >> 28)
static bool went_user_to_user(const struct kf_result *r, const struct kf_message *err)
{
	if (err->krb.error_code != 7 || !err->krb.sname || strchr(err->krb.sname, '/'))
		return false;
	struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->ts_us > err->ts_us + KF_RULE_RECOVERY_US)
			break;
		if (m->type == KF_KRB_TGT_REQ || m->type == KF_KRB_TGT_REP ||
		    (m->type == KF_KRB_TGS_REQ && m->krb.has_kdc_options &&
		     (m->krb.kdc_options & KDC_OPT_ENC_TKT_IN_SKEY)))
			return true;
	}
	return false;
}

/* ---- facts → verdict ------------------------------------------------------ */

#define KDC_OPT_VALIDATE (0x80000000u >> 31)
#define KDC_OPT_RENEW (0x80000000u >> 30)

/* What the table's causes (claims, when) ask of an error. */
enum {
	KDC_F_FROM_KDC = 1u << 0,       /* a KDC's error (port 88), not a service's */
	KDC_F_REQ_AS = 1u << 1,         /* it answers an AS-REQ */
	KDC_F_REQ_OTHER = 1u << 2,      /* it answers a request in the capture other than an AS-REQ */
	KDC_F_DNS_SPN = 1u << 3,        /* its sname is DNS/... */
	KDC_F_ACCOUNT_NAME = 1u << 4,   /* its sname is an account's name (no '/') */
	KDC_F_ONLY_WEAK = 1u << 5,      /* the request offered only RC4/DES */
	KDC_F_RENEW = 1u << 6,          /* the request asked to renew a ticket */
	KDC_F_VALIDATE = 1u << 7,       /* ... to validate a post-dated ticket */
	KDC_F_USER_TO_USER = 1u << 8,   /* ... for user-to-user (enc-tkt-in-skey) */
	KDC_F_NOT_DELEGATION = 1u << 9, /* not a BADOPTION that rules_deleg.c explains */
};
/* The NTSTATUS a cause asks for, besides a value. */
#define KDC_NT_ANY 0u
#define KDC_NT_NONE 1u
#define KDC_NT_SOME 2u

struct kdc_facts {
	int32_t code;
	bool has_nt;
	uint32_t nt;
	unsigned flags; /* KDC_F_* */
};

static struct kdc_facts kdc_facts_of(const struct kf_message *err, const struct kf_message *req)
{
	struct kdc_facts f = { err->krb.error_code, err->krb.has_ntstatus, err->krb.ntstatus, 0 };
	const char *sn = err->krb.sname;
	if (err->carrier == KF_CARRIER_KERBEROS)
		f.flags |= KDC_F_FROM_KDC;
	if (sn && strncasecmp(sn, "DNS/", 4) == 0)
		f.flags |= KDC_F_DNS_SPN;
	if (sn && !strchr(sn, '/'))
		f.flags |= KDC_F_ACCOUNT_NAME;
	if (!badoption_is_delegation(err, req))
		f.flags |= KDC_F_NOT_DELEGATION;
	if (!req)
		return f;
	f.flags |= req->type == KF_KRB_AS_REQ ? KDC_F_REQ_AS : KDC_F_REQ_OTHER;
	bool weak = req->krb.n_etypes > 0;
	for (uint8_t i = 0; i < req->krb.n_etypes && weak; i++)
		weak = kf_rule_etype_weak(req->krb.etypes[i]);
	if (weak)
		f.flags |= KDC_F_ONLY_WEAK;
	uint32_t o = req->krb.has_kdc_options ? req->krb.kdc_options : 0;
	f.flags |= (o & KDC_OPT_RENEW ? KDC_F_RENEW : 0) | (o & KDC_OPT_VALIDATE ? KDC_F_VALIDATE : 0) |
		   (o & KDC_OPT_ENC_TKT_IN_SKEY ? KDC_F_USER_TO_USER : 0);
	return f;
}

/* ---- the table (rules_kdc_errors.def) ------------------------------------- */

#define KDC_LIST(...) __VA_ARGS__

struct kdc_cause {
	const char *id;
	int16_t codes[16]; /* 0-terminated; empty: any code no rule lists */
	uint32_t nt;       /* KDC_NT_* or the NTSTATUS */
	unsigned when;     /* KDC_F_* the error must have */
	enum kf_severity sev;
	enum kf_confidence conf;
	const char *summary, *explanation, *remediation; /* templates (kdc_expand) */
};

struct kdc_rule {
	unsigned claims;                /* KDC_F_* */
	const struct kdc_cause *causes; /* ends with a NULL id */
};

/* clang-format off */
#define KDC_CAUSE(...)
#define KDC_END
#define KDC_RULE(name, ...) KDC_##name,
enum kdc_rule_ix {
#include "rules_kdc_errors.def"
	KDC__COUNT
};
#undef KDC_RULE
#undef KDC_CAUSE
#undef KDC_END

/* each rule's causes, with their words */
#define KDC_RULE(name, ...) static const struct kdc_cause name##_causes[] = {
#define KDC_CAUSE(id, codes, nt, when, sev, conf, summary, explanation, remediation) \
	{ id, { KDC_LIST codes }, nt, when, sev, conf, summary, explanation, remediation },
#define KDC_END { NULL, { 0 }, 0, 0, 0, 0, NULL, NULL, NULL } };
#include "rules_kdc_errors.def"
#undef KDC_RULE
#undef KDC_CAUSE
#undef KDC_END

/* each rule's cause ids, for the catalogue */
#define KDC_RULE(name, ...) static const char *const name##_cause_ids[] = {
#define KDC_CAUSE(id, ...) id,
#define KDC_END NULL };
#include "rules_kdc_errors.def"
#undef KDC_RULE
#undef KDC_CAUSE
#undef KDC_END

#define KDC_CAUSE(...)
#define KDC_END
#define KDC_RULE(name, id, sev, cls, window, title, claims) [KDC_##name] = { claims, name##_causes },
static const struct kdc_rule kdc_rules[KDC__COUNT] = {
#include "rules_kdc_errors.def"
};
#undef KDC_RULE
/* clang-format on */

/* Codes none of these rules reports: 0 KDC_ERR_NONE; 25 PREAUTH_REQUIRED,
 * the normal first round of a login; 91 MORE_PREAUTH_DATA_REQUIRED, a
 * FAST/SPAKE round trip; 52 RESPONSE_TOO_BIG, udp-fragmentation's; 37 SKEW,
 * clock-skew's. */
static const int32_t kdc_not_ours[] = { 0, 25, 91, 52, 37 };

/* The codes a cause lists; false for the catch-all `(0)`. */
static bool cause_lists(const struct kdc_cause *c, int32_t code)
{
	for (size_t i = 0; i < sizeof c->codes / sizeof c->codes[0] && c->codes[i]; i++)
		if (c->codes[i] == code)
			return true;
	return false;
}

static bool rule_lists(const struct kdc_rule *rule, int32_t code)
{
	for (const struct kdc_cause *c = rule->causes; c->id; c++)
		if (cause_lists(c, code))
			return true;
	return false;
}

static bool rule_takes_any(const struct kdc_rule *rule)
{
	for (const struct kdc_cause *c = rule->causes; c->id; c++)
		if (!c->codes[0])
			return true;
	return false;
}

/* Is code the rule's: listed by one of its causes, or listed by no rule when
 * it takes any code? */
static bool rule_owns(size_t ix, int32_t code)
{
	for (size_t i = 0; i < sizeof kdc_not_ours / sizeof kdc_not_ours[0]; i++)
		if (code == kdc_not_ours[i])
			return false;
	if (rule_lists(&kdc_rules[ix], code))
		return true;
	if (!rule_takes_any(&kdc_rules[ix]))
		return false;
	for (size_t j = 0; j < KDC__COUNT; j++)
		if (j != ix && rule_lists(&kdc_rules[j], code))
			return false;
	return true;
}

/* The cause of an error the rule owns: its first cause that matches the
 * facts; NULL when none does or the rule does not claim it (not reported). */
static const struct kdc_cause *kdc_verdict(const struct kdc_rule *rule, const struct kdc_facts *f)
{
	if ((f->flags & rule->claims) != rule->claims)
		return NULL;
	for (const struct kdc_cause *c = rule->causes; c->id; c++) {
		bool nt = c->nt == KDC_NT_ANY    ? true
			  : c->nt == KDC_NT_NONE ? !f->has_nt
			  : c->nt == KDC_NT_SOME ? f->has_nt
						 : f->has_nt && f->nt == c->nt;
		if ((!c->codes[0] || cause_lists(c, f->code)) && nt && (f->flags & c->when) == c->when)
			return c;
	}
	return NULL;
}

/* The cause of m when rule ix reports it; NULL when it does not. */
static const struct kdc_cause *error_counts(const struct kf_result *r, const struct kf_message *m, size_t ix)
{
	if (!kf_rule_is_krb_error(m) || !rule_owns(ix, m->krb.error_code))
		return NULL;
	struct kdc_facts f = kdc_facts_of(m, kf_msg_request(r, m));
	const struct kdc_cause *c = kdc_verdict(&kdc_rules[ix], &f);
	return c && !kf_rule_error_recovered(r, m) && !went_user_to_user(r, m) ? c : NULL;
}

/* ---- words ---------------------------------------------------------------- */

enum kdc_slot {
	W_WHO,
	W_USER,
	W_SERVICE,
	W_TARGET,
	W_BY,
	W_BY_ADDR,
	W_CLIENT,
	W_SNAME,
	W_SPN,
	W_SPN_NOTE,
	W_TIMES,
	W_DETAILS,
	W_CODE_NAME,
	W_CODE,
	W_REQUESTED,
	W_OFFERED,
	W_ACCT,
	W__COUNT
};
static const char
	*const
		kdc_slot_names[W__COUNT] = {
			"who",       "user",  "service",   "target",   "by",    "by_addr",
			"client",    "sname", "spn",       "spn_note", "times", "details",
			"code_name", "code",  "requested", "offered",  "acct", /* the user's account name for a command, else <user> */
		};

static const char *from_whom(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	char a[64];
	kf_endpoint_addr(&err->src, a, sizeof a);
	return err->carrier == KF_CARRIER_KERBEROS ? kf_rule_fmt(ctx, "KDC %s", a)
						   : kf_rule_fmt(ctx, "service %s", a);
}

/* "aes256-cts-hmac-sha1-96, rc4-hmac": the etypes the request offered. */
static void offered_etypes(const struct kf_message *req, char *buf, size_t len)
{
	size_t ol = 0;
	buf[0] = '\0';
	for (uint8_t i = 0; req && i < req->krb.n_etypes && ol + 32 < len; i++) {
		const char *en = kf_krb5_etype_name(req->krb.etypes[i]);
		int n = snprintf(buf + ol, len - ol, "%s%s", i ? ", " : "", en ? en : "?");
		if (n > 0)
			ol += (size_t)n;
	}
}

/* The SPN an error is about: a KDC's error names what was asked (its sname);
 * a service's names the service's own account, so the ticket the client
 * presented says which SPN it used; else an example by the carrier. */
static const char *spn_of(const struct kf_message *err, const struct kf_message *req, const char *svc)
{
	if (err->carrier == KF_CARRIER_KERBEROS)
		return svc && err->krb.sname ? err->krb.sname : "HTTP/host.fqdn";
	if (req && req->krb.ticket)
		return req->krb.ticket->sname;
	if (err->krb.sname && strchr(err->krb.sname, '/'))
		return err->krb.sname;
	return kf_rule_is_smb(err) ? "cifs/host.fqdn" : "HTTP/host.fqdn";
}

/* For a file server's SPN (cifs/NAME): how Active Directory finds it. */
static const char *spn_note(struct kf_rule_ctx *ctx, const char *spn)
{
	if (strncasecmp(spn, "cifs/", 5) != 0)
		return "";
	const char *host = spn + 5;
	return kf_rule_fmt(
		ctx,
		" A file server's cifs/ SPN is not registered as such: Active Directory maps cifs/ "
		"to the HOST/ SPNs of the server's computer account, so look for HOST/%s (`setspn -Q "
		"HOST/%s`), and give a server another name with `netdom computername <server> "
		"/add:<alias FQDN>` (it registers the HOST/ SPNs).",
		host, kf_rule_cmd_arg(ctx, host));
}

/* The values of the template slots for an error met count times. */
static void kdc_slots(struct kf_rule_ctx *ctx, const struct kf_message *err, const struct kf_message *req,
		      size_t count, const char *v[W__COUNT])
{
	const char *user = kf_rule_user_of(ctx, err, req);
	const char *svc = kf_rule_service_of(ctx, err, req);
	char cl[64], offered[160];
	struct kf_endpoint ce = kf_rule_client_of(err);
	kf_endpoint_addr(&ce, cl, sizeof cl);
	offered_etypes(req, offered, sizeof offered);
	v[W_WHO] = from_whom(ctx, err);
	v[W_CLIENT] = kf_rule_fmt(ctx, "%s", cl);
	v[W_USER] = user ? user : kf_rule_fmt(ctx, "the user of client %s", cl);
	v[W_SERVICE] = svc ? svc : "the requested service";
	v[W_TARGET] = svc ? svc : v[W_USER];
	v[W_BY] = user ? user : "the client";
	v[W_BY_ADDR] = user ? user : v[W_CLIENT];
	v[W_SNAME] = err->krb.sname ? err->krb.sname : "";
	v[W_SPN] = spn_of(err, req, svc);
	v[W_SPN_NOTE] = spn_note(ctx, v[W_SPN]);
	v[W_TIMES] = count > 1 ? kf_rule_fmt(ctx, " (%zu times)", count) : "";
	v[W_DETAILS] = err_details(ctx, err);
	v[W_CODE_NAME] = kf_rule_err_name(err->krb.error_code);
	v[W_CODE] = kf_rule_fmt(ctx, "%d", err->krb.error_code);
	v[W_REQUESTED] = req && req->type == KF_KRB_AS_REQ
				 ? kf_rule_fmt(ctx, "user %s", v[W_USER])
				 : kf_rule_fmt(ctx, "%s asked by %s", v[W_SERVICE], v[W_BY_ADDR]);
	v[W_OFFERED] = offered[0] ? kf_rule_fmt(ctx, "; client offered %s", offered) : "";
	v[W_ACCT] = kf_rule_fix_fill(ctx, "<user>", &(struct kf_fix_names){ .user = user });
}

/* A template with its {slot}s filled in (NULL when out of memory). */
static const char *kdc_expand(struct kf_rule_ctx *ctx, const char *tpl, const char *const v[W__COUNT])
{
	if (!strchr(tpl, '{'))
		return tpl;
	static char braced[W__COUNT][24]; /* "{name}", made once */
	static const char *slots[W__COUNT];
	if (!slots[0])
		for (size_t k = 0; k < W__COUNT; k++) {
			snprintf(braced[k], sizeof braced[k], "{%s}", kdc_slot_names[k]);
			slots[k] = braced[k];
		}
	const char *vals[W__COUNT];
	for (size_t k = 0; k < W__COUNT; k++)
		vals[k] = v[k] ? v[k] : "";
	return kf_rule_subst(ctx, tpl, slots, vals, W__COUNT);
}

/* ---- reporting ------------------------------------------------------------ */

/* Whom an error concerns: the client, the KDC or service that answered, the
 * user, and the principal asked for (not the krbtgt of a login: a failed
 * AS exchange for a TGT concerns the user's account). */
static void kdc_subject(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *err,
			const struct kf_message *req)
{
	struct kf_endpoint ce = kf_rule_client_of(err);
	kf_subject_addr(ctx, b, KF_SUBJECT_CLIENT, &ce, false);
	kf_subject_add(ctx, b, KF_SUBJECT_USER, kf_rule_user_of(ctx, err, req));
	if (!(req && req->type == KF_KRB_AS_REQ && kf_sname_is_krbtgt(req->krb.sname)))
		kf_subject_add(ctx, b, KF_SUBJECT_SERVICE, kf_rule_service_of(ctx, err, req));
}

static void report_errors(struct kf_rule_ctx *ctx, size_t ix)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *err = &r->messages[i];
		const struct kdc_cause *cause = error_counts(r, err, ix);
		if (!cause || !kf_seen_add(ctx, &seen, error_key(r, err)))
			continue;
		/* the same error again: among the client's later messages */
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0, count = 0;
		struct kf_subject_b sb = { 0 };
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!KF_AT_ADDR_IS_DST(at.v[j]) || o < err ||
			    (o != err && !(error_counts(r, o, ix) && same_error(r, o, err))))
				continue;
			count++;
			kf_rule_msg_frames_add(frames, &nf, kf_msg_request(r, o));
			kf_rule_frame_add(frames, &nf, o->frame);
			bool kdc = o->carrier == KF_CARRIER_KERBEROS;
			kf_subject_addr(ctx, &sb, kdc ? KF_SUBJECT_KDC : KF_SUBJECT_SERVER, &o->src, !kdc);
		}
		const struct kf_message *req = kf_msg_request(r, err);
		kdc_subject(ctx, &sb, err, req);
		const char *v[W__COUNT];
		kdc_slots(ctx, err, req, count, v);
		kf_finding_emit(ctx, &(struct kf_finding_in){
					     .severity = cause->sev,
					     .confidence = cause->conf,
					     .cause = cause->id,
					     .frames = frames,
					     .n_frames = nf,
					     .subject = &sb,
					     .summary = kdc_expand(ctx, cause->summary, v),
					     .explanation = kdc_expand(ctx, cause->explanation, v),
					     .remediation = kdc_expand(ctx, cause->remediation, v) });
	}
	kf_seen_free(&seen);
}

/* ---- the catalogue's rows, from the table ---------------------------------- */

/* clang-format off */
#define KDC_RULE(name, ...) static void run_##name(struct kf_rule_ctx *ctx) { report_errors(ctx, KDC_##name); }
#include "rules_kdc_errors.def"
#undef KDC_RULE

#define KDC_RULE(name, id, sev, cls, window, title, claims) \
	{ { id, sev, cls, window, title, name##_cause_ids }, run_##name },
const struct kf_rule kf_rules_kdc_errors[] = {
#include "rules_kdc_errors.def"
};
#undef KDC_RULE
#undef KDC_CAUSE
#undef KDC_END
/* clang-format on */
const size_t kf_rules_kdc_errors_count = sizeof kf_rules_kdc_errors / sizeof kf_rules_kdc_errors[0];
