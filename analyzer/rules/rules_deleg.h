/* rules_deleg.h - what the delegation rule files share: rules_deleg.c
 * (unconstrained delegation: missing-forwarded-tgt, and the table of the
 * three rules), rules_deleg_hop.c (a front end going on without Kerberos)
 * and rules_s4u.c (constrained delegation, S4U / MS-SFU: s4u-denied,
 * cross-realm-s4u).  Internal to the rules module.
 *
 * A finding is written as facts -> verdict -> words: each rule gathers what
 * the capture shows into a struct, a pure verdict function decides the
 * cause (an index into the rule's cause list), severity and confidence, and
 * the wording comes from tables keyed by that cause. */
#ifndef KF_RULES_DELEG_H
#define KF_RULES_DELEG_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "rules_common.h"

#define KF_KDC_OPT_CNAME_IN_ADDL_TKT (0x80000000u >> 14)

/* A constrained-delegation request: a TGS-REQ with an additional ticket and
 * cname-in-addl-tkt (S4U2Proxy), or naming a user (S4U2Self). */
static inline bool kf_deleg_is_s4u2proxy(const struct kf_message *m)
{
	return m->type == KF_KRB_TGS_REQ && m->carrier == KF_CARRIER_KERBEROS && m->krb.n_addl &&
	       m->krb.addl && m->krb.has_kdc_options && (m->krb.kdc_options & KF_KDC_OPT_CNAME_IN_ADDL_TKT);
}
static inline bool kf_deleg_is_s4u2self(const struct kf_message *m)
{
	return m->type == KF_KRB_TGS_REQ && m->carrier == KF_CARRIER_KERBEROS && m->krb.s4u_user;
}

/* "sname@realm", unless the name already carries a realm (enterprise form);
 * "?" without a name. */
const char *kf_deleg_spn_at(struct kf_rule_ctx *ctx, const char *sname, const char *realm);
/* "cname@crealm", cname alone without a realm (as the KDC sent them). */
const char *kf_deleg_cname_at(struct kf_rule_ctx *ctx, const char *cname, const char *crealm);
/* A KRB-ERROR in words: name (code), e-text, NTSTATUS and its name. */
const char *kf_deleg_err_text(struct kf_rule_ctx *ctx, const struct kf_message *rep);

/* What a rule decided about one finding: the cause (its index in the rule's
 * cause list), how bad and how sure. */
struct kf_deleg_verdict {
	int cause;
	enum kf_severity severity;
	enum kf_confidence confidence;
};
/* A principal as a subject member: "name@REALM" (name alone when it carries
 * a realm already, or the realm is unknown). */
void kf_deleg_subject_name(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k,
			   const char *name, const char *realm);
/* The KDCs that answered in the evidence: the source of every Kerberos
 * reply (AS-REP, TGS-REP, KRB-ERROR). */
void kf_deleg_subject_kdcs(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_evidence *fs);
/* The finding of a verdict: its cause's id from causes. */
void kf_deleg_emit(struct kf_rule_ctx *ctx, const char *const *causes, struct kf_deleg_verdict v,
		   const struct kf_evidence *fs, const struct kf_subject_b *who, const char *summary,
		   const char *why, const char *fix);

/* rules_deleg_hop.c: after a user's accepted logon, a front end that went
 * on to a back end without Kerberos (missing-forwarded-tgt's evidence when
 * it asked the KDC for no back-end ticket). */
enum kf_hop_kind {
	KF_HOP_NONE,
	KF_HOP_UNANSWERED, /* it never answered the back end's 401 Negotiate */
	KF_HOP_NTLM,       /* NTLM under a name: its own account, not the user's */
	KF_HOP_ANONYMOUS,  /* an anonymous logon (null session, empty NTLM user, anonymous bind) */
};
/* The front end's first onward call without Kerberos in the window. */
struct kf_deleg_hop {
	enum kf_hop_kind kind;
	const struct kf_message *req;    /* HTTP: the onward request */
	const struct kf_message *answer; /* HTTP: the 401; a session: its last answer (NULL: none) */
	const struct kf_session *s;      /* SMB, LDAP, TDS, DCE/RPC: the session */
	const char *as;                  /* KF_HOP_NTLM: DOMAIN\user as sent (NULL: not seen) */
	struct kf_endpoint server;
};
/* After hq (an accepted HTTP request: its server is the front end, its
 * client the user's), the front end's calls to other hosts within window_us:
 * the earliest without Kerberos into *h, every such call's frames into fs.
 * Nothing (h->kind KF_HOP_NONE, fs as it was) when the front end used
 * Kerberos in the window (a TGS-REQ, an AP-REQ of its own). */
void kf_deleg_hop_find(struct kf_rule_ctx *ctx, const struct kf_message *hq, uint64_t window_us,
		       struct kf_deleg_hop *h, struct kf_evidence *fs);
/* How the front end went there, a verb phrase naming the back end ("logged
 * on to the back end SMB \\files\share (10.0.0.60) with NTLM as LAB\bob"). */
const char *kf_deleg_hop_how(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h);
/* What the back end answered: sentences, each after a space ("": nothing to say). */
const char *kf_deleg_hop_answer(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h);
/* The fix's part for the hop, after a space: Kerberos onwards, the back end's SPN. */
const char *kf_deleg_hop_fix(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h);

/* rules_s4u.c: the constrained-delegation rules and their causes. */
void kf_rule_s4u_denied(struct kf_rule_ctx *ctx);
void kf_rule_cross_realm_s4u(struct kf_rule_ctx *ctx);
extern const char *const kf_s4u_denied_causes[];
extern const char *const kf_cross_realm_s4u_causes[];

#endif
