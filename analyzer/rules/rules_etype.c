/* rules_etype.c - weak Kerberos encryption types in use: RC4 or DES tickets,
 * reply keys and offers, ETYPE_NOSUPP although AES was offered (DIAGNOSES.md;
 * RFC 3961/8429 encryption types, MS-KILE §2.2.7). */
#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"

/* ---- weak-etype ---------------------------------------------------------- *
 * Facts (one client's weak tickets, reply keys, offers, NOSUPP) → a pure
 * verdict (cause, confidence) → words from the causes present. */

static bool etype_aes(int32_t e) { return e >= 17 && e <= 20; }

static const char *etype_text(struct kf_rule_ctx *ctx, int32_t e)
{
	const char *n = kf_krb5_etype_name(e);
	bool des = (e >= 1 && e <= 3) || e == -132;
	return kf_rule_fmt(ctx, "%s (%s, etype %d)", des ? "DES" : "RC4", n ? n : "?", e);
}

enum weak_kind { WEAK_NONE = 0, WEAK_TICKET, WEAK_REPLY_KEY, WEAK_ONLY_OFFER, WEAK_NOSUPP };

/* What makes m evidence of weak encryption (WEAK_NONE: nothing). */
static enum weak_kind weak_evidence(const struct kf_result *r, const struct kf_message *m, int32_t *etype)
{
	const struct kf_krb_rec *k = &m->krb;
	switch (m->type) {
	case KF_KRB_AS_REP:
	case KF_KRB_TGS_REP:
	case KF_KRB_AP_REQ:
	case KF_KRB_TGS_REQ:
		if (k->ticket && kf_rule_etype_weak(k->ticket->etype)) {
			*etype = k->ticket->etype;
			return WEAK_TICKET;
		}
		if (m->type == KF_KRB_AS_REP && k->has_enc_etype && kf_rule_etype_weak(k->enc_etype)) {
			*etype = k->enc_etype;
			return WEAK_REPLY_KEY;
		}
		break;
	default: break;
	}
	if ((m->type == KF_KRB_AS_REQ || m->type == KF_KRB_TGS_REQ) && k->n_etypes) {
		bool all = true;
		for (uint8_t i = 0; i < k->n_etypes && all; i++)
			all = kf_rule_etype_weak(k->etypes[i]);
		if (all) {
			*etype = k->etypes[0];
			return WEAK_ONLY_OFFER;
		}
	}
	if (m->type == KF_KRB_ERROR && k->error_code == 14 && m->carrier == KF_CARRIER_KERBEROS &&
	    !kf_rule_error_recovered(r, m)) {
		/* ETYPE_NOSUPP although the client offered AES: the account (or its
		 * session-key policy) has only weaker types. */
		const struct kf_message *req = kf_msg_request(r, m);
		if (!req || req->type != KF_KRB_TGS_REQ)
			return WEAK_NONE; /* AS: the user may simply have no key at all */
		bool aes = false;
		for (uint8_t i = 0; req && i < req->krb.n_etypes && !aes; i++)
			aes = etype_aes(req->krb.etypes[i]);
		if (aes) {
			*etype = 0;
			return WEAK_NOSUPP;
		}
	}
	return WEAK_NONE;
}

/* The causes, in the order the words list them; the verdict prefers
 * WC_ONLY_OFFER (the client's choice explains weak tickets and reply keys),
 * then WC_TICKET, WC_USER_KEY, WC_NO_COMMON (docs/rules.md). */
enum weak_cause { WC_TICKET, WC_USER_KEY, WC_ONLY_OFFER, WC_NO_COMMON, WC__COUNT };
static const char *const weak_causes[] = { "weak-ticket", "weak-user-key", "client-offers-only-weak",
					   "no-common-etype", NULL };

/* One client's weak encryption. */
struct weak_facts {
	const char *tickets[6]; /* the services of weak tickets (sname@realm), first ones */
	size_t nt, more_tickets;
	int32_t ticket_etype;
	const char *reply_user; /* the user whose AS reply key was weak (first) */
	int32_t reply_etype;
	bool only_offer;       /* a request offered only weak types */
	const char *offer_for; /* ... for this user (AS) or service (TGS) */
	int32_t offer_etype;
	bool nosupp; /* ETYPE_NOSUPP although AES was offered */
	const char *nosupp_svc;
};

static bool weak_has(const struct weak_facts *f, enum weak_cause c)
{
	switch (c) {
	case WC_TICKET: return f->nt > 0;
	case WC_USER_KEY: return f->reply_user != NULL;
	case WC_ONLY_OFFER: return f->only_offer;
	case WC_NO_COMMON: return f->nosupp;
	default: return false;
	}
}

static struct kf_finding_in weak_verdict(const struct weak_facts *f)
{
	static const enum weak_cause pref[] = { WC_ONLY_OFFER, WC_TICKET, WC_USER_KEY, WC_NO_COMMON };
	enum weak_cause c = WC_NO_COMMON;
	for (size_t i = 0; i < sizeof pref / sizeof pref[0]; i++)
		if (weak_has(f, pref[i])) {
			c = pref[i];
			break;
		}
	/* NOSUPP alone rests on keys the wire does not show */
	return (struct kf_finding_in){ .cause = weak_causes[c],
				       .severity = KF_SEV_WARNING,
				       .confidence = c == WC_NO_COMMON ? KF_CONF_LIKELY : KF_CONF_CERTAIN };
}

/* What each cause adds to the explanation, in the order of the causes. */
static const char *const weak_why[WC__COUNT] = {
	[WC_TICKET] = "Tickets were issued or presented encrypted with RC4-HMAC or DES: the service account "
		      "(or krbtgt for TGTs) has no AES key or is limited to these types "
		      "(msDS-SupportedEncryptionTypes), or the KDC is old. RC4 keys are the NT hash of the "
		      "password, so such tickets can be cracked offline (Kerberoasting), and Windows is "
		      "removing RC4 by default. ",
	[WC_USER_KEY] = "The AS reply was encrypted with the user's RC4/DES key: the account's "
			"password predates AES keys (reset before the domain had 2008+ DCs) or the "
			"client asked for RC4 first. ",
	[WC_ONLY_OFFER] = "The client offered only RC4/DES types: its configuration (GPO \"Configure "
			  "encryption types allowed for Kerberos\", krb5.conf default_tkt_enctypes/"
			  "default_tgs_enctypes) excludes AES, or it is a tool using the NT hash "
			  "(pass-the-hash/over-pass-the-hash). ",
	[WC_NO_COMMON] = "The KDC found no common encryption type although the client offered AES: the "
			 "service or user account most likely has only RC4/DES keys, or its allowed session "
			 "types exclude AES (likely, not certain: the account's keys are not on the wire; "
			 "its msDS-SupportedEncryptionTypes or kadmin getprinc would make it certain). ",
};

/* What each cause adds to the summary. */
static const char *weak_part(struct kf_rule_ctx *ctx, const struct weak_facts *f, enum weak_cause c)
{
	switch (c) {
	case WC_TICKET: {
		char list[512] = "";
		size_t ll = 0;
		for (size_t x = 0; x < f->nt; x++) {
			int n = snprintf(list + ll, sizeof list - ll, "%s%s", x ? ", " : "", f->tickets[x]);
			if (n > 0 && (size_t)n < sizeof list - ll)
				ll += (size_t)n;
		}
		return kf_rule_fmt(ctx, "%s ticket%s for %s%s", etype_text(ctx, f->ticket_etype),
				   f->nt + f->more_tickets > 1 ? "s" : "", list,
				   f->more_tickets ? kf_rule_fmt(ctx, " and %zu more", f->more_tickets) : "");
	}
	case WC_USER_KEY:
		return kf_rule_fmt(ctx, "AS reply encrypted with %s's %s key", f->reply_user,
				   etype_text(ctx, f->reply_etype));
	case WC_ONLY_OFFER:
		return kf_rule_fmt(ctx, "request for %s offered only %s", f->offer_for,
				   etype_text(ctx, f->offer_etype));
	case WC_NO_COMMON:
		return kf_rule_fmt(ctx, "KDC_ERR_ETYPE_NOSUPP for %s although AES was offered",
				   f->nosupp_svc ? f->nosupp_svc : "a service");
	default: return "";
	}
}

static void weak_emit(struct kf_rule_ctx *ctx, const struct kf_endpoint *c, const struct weak_facts *f,
		      const uint64_t *frames, size_t nf, const struct kf_subject_b *subject)
{
	struct kf_finding_in in = weak_verdict(f);
	char cl[64], parts[2048] = "", expl[2048] = "";
	kf_endpoint_addr(c, cl, sizeof cl);
	for (enum weak_cause k = 0; k < WC__COUNT; k++) {
		if (!weak_has(f, k))
			continue;
		const char *p = weak_part(ctx, f, k);
		size_t pl = strlen(parts);
		snprintf(parts + pl, sizeof parts - pl, "%s%s", pl ? "; " : "", p ? p : "");
		size_t el = strlen(expl);
		snprintf(expl + el, sizeof expl - el, "%s", weak_why[k]);
	}
	in.frames = frames;
	in.n_frames = nf;
	in.subject = subject;
	in.summary = kf_rule_fmt(ctx, "weak Kerberos encryption for client %s: %s", cl, parts);
	in.explanation = expl;
	in.remediation =
		"Give the accounts AES keys and use them: reset the service account's password once (or "
		"krbtgt's, twice, for TGTs) after AES is supported, set msDS-SupportedEncryptionTypes to 0x18 "
		"(AES128+AES256) on the account (Set-ADUser/Set-ADComputer -KerberosEncryptionType "
		"AES128,AES256) and regenerate keytabs with AES (ktpass /crypto AES256-SHA1; MIT kadmin "
		"ktadd -e aes256-cts:normal). On clients, allow AES in the GPO or krb5.conf and drop "
		"rc4-hmac/des from the permitted list once every account has AES keys.";
	kf_finding_emit(ctx, &in);
}

/* Whom a piece of evidence concerns: the client's KDC, the server a ticket
 * was presented to, the account whose key is weak and the user. */
static void weak_subject(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *o,
			 enum weak_kind k)
{
	const struct kf_krb_rec *kr = &o->krb;
	if (o->carrier == KF_CARRIER_KERBEROS)
		kf_subject_addr(ctx, b, KF_SUBJECT_KDC, o->src.port == 88 ? &o->src : &o->dst, false);
	else if (kf_msg_in_app_protocol(o))
		kf_subject_addr(ctx, b, KF_SUBJECT_SERVER, &o->dst, true);
	if (o->type != KF_KRB_ERROR)
		kf_subject_add(ctx, b, KF_SUBJECT_USER,
			       kf_rule_princ(ctx, kr->cname, kf_rule_first_of(kr->crealm, kr->realm)));
	switch (k) {
	case WEAK_TICKET:
		kf_subject_add(ctx, b, KF_SUBJECT_SERVICE,
			       kf_rule_princ(ctx, kr->ticket->sname, kr->ticket->realm));
		break;
	case WEAK_ONLY_OFFER:
		kf_subject_add(ctx, b, KF_SUBJECT_SERVICE, kf_rule_princ(ctx, kr->sname, kr->realm));
		break;
	case WEAK_NOSUPP: {
		const struct kf_message *req = kf_msg_request(kf_rule_result(ctx), o);
		kf_subject_add(ctx, b, KF_SUBJECT_USER, kf_rule_user_of(ctx, o, req));
		kf_subject_add(ctx, b, KF_SUBJECT_SERVICE, kf_rule_service_of(ctx, o, req));
		break;
	}
	default: break;
	}
}

static void rule_weak_etype(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		int32_t et;
		const struct kf_message *m = &r->messages[i];
		if (!weak_evidence(r, m, &et))
			continue;
		struct kf_endpoint c = kf_rule_client_of(m);
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &c);
		if (!kf_seen_add(ctx, &seen, key))
			continue;
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0;
		struct weak_facts f = { .nt = 0 };
		struct kf_subject_b subject = { 0 };
		kf_subject_addr(ctx, &subject, KF_SUBJECT_CLIENT, &c, false);
		struct kf_at_addr at = kf_result_at_addr(r, &c, m->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (o < m)
				continue;
			enum weak_kind k = weak_evidence(r, o, &et);
			if (!k)
				continue;
			struct kf_endpoint c2 = kf_rule_client_of(o);
			if (!kf_endpoint_same_addr(&c, &c2))
				continue;
			kf_rule_msg_frames_add(frames, &nf, o);
			weak_subject(ctx, &subject, o, k);
			switch (k) {
			case WEAK_TICKET: {
				const char *t =
					kf_rule_princ(ctx, o->krb.ticket->sname, o->krb.ticket->realm);
				bool dup = false;
				for (size_t x = 0; x < f.nt && !dup; x++)
					dup = kf_name_eq_nocase(f.tickets[x], t);
				if (!dup) {
					if (f.nt < 6)
						f.tickets[f.nt++] = t;
					else
						f.more_tickets++;
				}
				if (!f.ticket_etype)
					f.ticket_etype = et;
				break;
			}
			case WEAK_REPLY_KEY:
				if (!f.reply_user) {
					f.reply_user =
						o->krb.cname ? kf_rule_princ(ctx, o->krb.cname, o->krb.crealm)
							     : "the user";
					f.reply_etype = et;
				}
				break;
			case WEAK_ONLY_OFFER:
				if (!f.only_offer) {
					f.only_offer = true;
					f.offer_etype = et;
					f.offer_for =
						o->type == KF_KRB_AS_REQ
							? (o->krb.cname ? kf_rule_princ(ctx, o->krb.cname,
											kf_rule_first_of(
												o->krb.crealm,
												o->krb.realm))
									: "its TGT")
							: (o->krb.sname ? kf_rule_princ(ctx, o->krb.sname,
											o->krb.realm)
									: "a service");
				}
				kf_rule_msg_frames_add(frames, &nf, kf_msg_reply(r, o));
				break;
			case WEAK_NOSUPP:
				f.nosupp = true;
				if (!f.nosupp_svc)
					f.nosupp_svc = kf_rule_service_of(ctx, o, kf_msg_request(r, o));
				kf_rule_msg_frames_add(frames, &nf, kf_msg_request(r, o));
				break;
			default: break;
			}
		}
		weak_emit(ctx, &c, &f, frames, nf, &subject);
	}
	kf_seen_free(&seen);
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_etype[] = {
	{ { "weak-etype", KF_SEV_WARNING, KF_RULE_PLAIN, KF_RULE_RECOVERY_US,
	    "tickets issued or presented with RC4/DES, or requests offering only those", weak_causes },
	  rule_weak_etype },
};
const size_t kf_rules_etype_count = sizeof kf_rules_etype / sizeof kf_rules_etype[0];
