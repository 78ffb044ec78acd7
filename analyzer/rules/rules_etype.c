/* rules_etype.c - weak Kerberos encryption types in use: RC4 or DES tickets,
 * reply keys and offers, ETYPE_NOSUPP although AES was offered (DIAGNOSES.md;
 * RFC 3961/8429 encryption types, MS-KILE §2.2.7). */
#include <stdio.h>

#include "base/limits.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"

/* ---- weak-etype ---------------------------------------------------------- */

/* RC4 (23, 24 and Microsoft's negative RC4 variants) and single DES (1-3, and
 * Microsoft's DES_PLAIN -132). */
static bool etype_weak(int32_t e)
{
	return (e >= 1 && e <= 3) || e == 23 || e == 24 || (e <= -128 && e >= -141);
}

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
		if (k->ticket && etype_weak(k->ticket->etype)) {
			*etype = k->ticket->etype;
			return WEAK_TICKET;
		}
		if (m->type == KF_KRB_AS_REP && k->has_enc_etype && etype_weak(k->enc_etype)) {
			*etype = k->enc_etype;
			return WEAK_REPLY_KEY;
		}
		break;
	default: break;
	}
	if ((m->type == KF_KRB_AS_REQ || m->type == KF_KRB_TGS_REQ) && k->n_etypes) {
		bool all = true;
		for (uint8_t i = 0; i < k->n_etypes && all; i++)
			all = etype_weak(k->etypes[i]);
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
		const char *tickets[6];
		size_t nt = 0, more_tickets = 0;
		const char *parts[4] = { NULL, NULL, NULL, NULL };
		bool certain = false, nosupp = false, only_offer = false;
		int32_t ticket_etype = 0, offer_etype = 0;
		const char *nosupp_svc = NULL, *reply_user = NULL, *offer_for = NULL;
		int32_t reply_etype = 0;
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
			switch (k) {
			case WEAK_TICKET: {
				certain = true;
				const char *t =
					kf_rule_princ(ctx, o->krb.ticket->sname, o->krb.ticket->realm);
				bool dup = false;
				for (size_t x = 0; x < nt && !dup; x++)
					dup = kf_name_eq_nocase(tickets[x], t);
				if (!dup) {
					if (nt < 6)
						tickets[nt++] = t;
					else
						more_tickets++;
				}
				if (!ticket_etype)
					ticket_etype = et;
				break;
			}
			case WEAK_REPLY_KEY:
				certain = true;
				if (!reply_user) {
					reply_user = o->krb.cname
							     ? kf_rule_princ(ctx, o->krb.cname, o->krb.crealm)
							     : "the user";
					reply_etype = et;
				}
				break;
			case WEAK_ONLY_OFFER:
				certain = true;
				if (!only_offer) {
					only_offer = true;
					offer_etype = et;
					offer_for =
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
				nosupp = true;
				if (!nosupp_svc)
					nosupp_svc = kf_rule_service_of(ctx, o, kf_msg_request(r, o));
				kf_rule_msg_frames_add(frames, &nf, kf_msg_request(r, o));
				break;
			default: break;
			}
		}
		char cl[64];
		kf_endpoint_addr(&c, cl, sizeof cl);
		size_t np = 0;
		if (nt) {
			char list[512] = "";
			size_t ll = 0;
			for (size_t x = 0; x < nt; x++) {
				int n = snprintf(list + ll, sizeof list - ll, "%s%s", x ? ", " : "",
						 tickets[x]);
				if (n > 0 && (size_t)n < sizeof list - ll)
					ll += (size_t)n;
			}
			parts[np++] = kf_rule_fmt(
				ctx, "%s ticket%s for %s%s", etype_text(ctx, ticket_etype),
				nt + more_tickets > 1 ? "s" : "", list,
				more_tickets ? kf_rule_fmt(ctx, " and %zu more", more_tickets) : "");
		}
		if (reply_user)
			parts[np++] = kf_rule_fmt(ctx, "AS reply encrypted with %s's %s key", reply_user,
						  etype_text(ctx, reply_etype));
		if (only_offer)
			parts[np++] = kf_rule_fmt(ctx, "request for %s offered only %s", offer_for,
						  etype_text(ctx, offer_etype));
		if (nosupp)
			parts[np++] = kf_rule_fmt(ctx, "KDC_ERR_ETYPE_NOSUPP for %s although AES was offered",
						  nosupp_svc ? nosupp_svc : "a service");
		const char *summary =
			kf_rule_fmt(ctx, "weak Kerberos encryption for client %s: %s%s%s%s%s%s", cl, parts[0],
				    np > 1 ? "; " : "", np > 1 ? parts[1] : "", np > 2 ? "; " : "",
				    np > 2 ? parts[2] : "", np > 3 ? kf_rule_fmt(ctx, "; %s", parts[3]) : "");
		const char *expl = kf_rule_fmt(
			ctx, "%s%s%s%s",
			nt ? "Tickets were issued or presented encrypted with RC4-HMAC or DES: the service account "
			     "(or krbtgt for TGTs) has no AES key or is limited to these types "
			     "(msDS-SupportedEncryptionTypes), or the KDC is old. RC4 keys are the NT hash of the "
			     "password, so such tickets can be cracked offline (Kerberoasting), and Windows is "
			     "removing RC4 by default. "
			   : "",
			reply_user
				? "The AS reply was encrypted with the user's RC4/DES key: the account's "
				  "password predates AES keys (reset before the domain had 2008+ DCs) or the "
				  "client asked for RC4 first. "
				: "",
			only_offer
				? "The client offered only RC4/DES types: its configuration (GPO \"Configure "
				  "encryption types allowed for Kerberos\", krb5.conf default_tkt_enctypes/"
				  "default_tgs_enctypes) excludes AES, or it is a tool using the NT hash "
				  "(pass-the-hash/over-pass-the-hash). "
				: "",
			nosupp ? "The KDC found no common encryption type although the client offered AES: the "
				 "service or user account most likely has only RC4/DES keys, or its allowed session "
				 "types exclude AES (likely, not certain: the account's keys are not on the wire; "
				 "its msDS-SupportedEncryptionTypes or kadmin getprinc would make it certain). "
			       : "");
		kf_finding_add(
			ctx, KF_SEV_WARNING, certain ? KF_CONF_CERTAIN : KF_CONF_LIKELY, frames, nf, summary,
			expl,
			"Give the accounts AES keys and use them: reset the service account's password once (or "
			"krbtgt's, twice, for TGTs) after AES is supported, set msDS-SupportedEncryptionTypes to 0x18 "
			"(AES128+AES256) on the account (Set-ADUser/Set-ADComputer -KerberosEncryptionType "
			"AES128,AES256) and regenerate keytabs with AES (ktpass /crypto AES256-SHA1; MIT kadmin "
			"ktadd -e aes256-cts:normal). On clients, allow AES in the GPO or krb5.conf and drop "
			"rc4-hmac/des from the permitted list once every account has AES keys.");
	}
	kf_seen_free(&seen);
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_etype[] = {
	{ { "weak-etype", KF_SEV_WARNING, KF_RULE_PLAIN, KF_RULE_RECOVERY_US,
	    "tickets issued or presented with RC4/DES, or requests offering only those", NULL },
	  rule_weak_etype },
};
const size_t kf_rules_etype_count = sizeof kf_rules_etype / sizeof kf_rules_etype[0];
