/* rules_deleg.c - findings about delegation: unconstrained delegation that
 * did not happen (missing-forwarded-tgt), what the delegation rules share
 * (rules_deleg.h), and the table of the delegation rules, whose constrained
 * ones (S4U) are in rules_s4u.c (DIAGNOSES.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "rules_deleg.h"
#include "stories.h"

#define KDC_OPT_FORWARDED (0x80000000u >> 2)

/* How long after a user's accepted AP-REQ the front end's back-end request
 * still counts as done for that user. */
#define DELEG_WINDOW_US (60ull * 1000000ull)

/* ---- helpers ------------------------------------------------------------------ */

/* True the first time frame is given to s (and when memory ran out). */
static bool frame_new(struct kf_rule_ctx *ctx, struct kf_seen *s, uint64_t frame)
{
	struct kf_key k = kf_key_new();
	kf_key_int(&k, (int64_t)frame);
	return kf_seen_add(ctx, s, k);
}

/* "krbtgt/OTHER" issued in realm, OTHER not realm: a cross-realm TGT. */
static bool is_xrealm_tgt(const char *sname, const char *realm)
{
	const char *to = kf_sname_krbtgt_realm(sname);
	return to && realm && !kf_name_eq_nocase(to, realm);
}

static bool is_forwarded_tgt_req(const struct kf_message *m)
{
	return m->type == KF_KRB_TGS_REQ && m->carrier == KF_CARRIER_KERBEROS && m->krb.has_kdc_options &&
	       (m->krb.kdc_options & KDC_OPT_FORWARDED) && kf_sname_is_krbtgt(m->krb.sname);
}

/* ---- what the delegation rules share (rules_deleg.h) ----------------------------- */

/* "sname@realm", unless the name already carries a realm (enterprise form). */
const char *kf_deleg_spn_at(struct kf_rule_ctx *ctx, const char *sname, const char *realm)
{
	if (!sname)
		return "?";
	if (!realm || strchr(sname, '@'))
		return sname;
	return kf_rule_fmt(ctx, "%s@%s", sname, realm);
}

/* "cname@crealm", cname alone without a realm (as the KDC sent them) or
 * when it already carries one (an enterprise name: printed once, issue 18). */
const char *kf_deleg_cname_at(struct kf_rule_ctx *ctx, const char *cname, const char *crealm)
{
	return crealm && !strchr(cname, '@') ? kf_rule_fmt(ctx, "%s@%s", cname, crealm) : cname;
}

const char *kf_deleg_err_text(struct kf_rule_ctx *ctx, const struct kf_message *rep)
{
	const char *en = kf_krb5_error_name(rep->krb.error_code);
	const char *nt = rep->krb.has_ntstatus ? kf_krb5_ntstatus_name(rep->krb.ntstatus) : NULL;
	return kf_rule_fmt(ctx, "%s (%d)%s%s%s%s%s", en ? en : "error", rep->krb.error_code,
			   rep->krb.e_text ? " \"" : "", rep->krb.e_text ? rep->krb.e_text : "",
			   rep->krb.e_text ? "\"" : "",
			   rep->krb.has_ntstatus ? kf_rule_fmt(ctx, " NTSTATUS 0x%08X", rep->krb.ntstatus)
						 : "",
			   nt ? kf_rule_fmt(ctx, " %s", nt) : "");
}

/* A principal as a subject member: "name@REALM" (name alone when it carries
 * a realm already, or the realm is unknown). */
void kf_deleg_subject_name(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k,
			   const char *name, const char *realm)
{
	kf_subject_add(ctx, b, k, kf_rule_princ(ctx, name, realm));
}

/* The KDCs that answered in the evidence: the source of every Kerberos
 * reply (AS-REP, TGS-REP, KRB-ERROR) carried to or from a KDC. */
void kf_deleg_subject_kdcs(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_evidence *fs)
{
	const struct kf_result *r = kf_rule_result(ctx);
	for (size_t i = 0; i < fs->n; i++)
		for (size_t j = kf_result_first_in_frame(r, fs->f[i]);
		     j < r->n_messages && r->messages[j].frame == fs->f[i]; j++) {
			const struct kf_message *m = &r->messages[j];
			if (m->carrier == KF_CARRIER_KERBEROS &&
			    (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP ||
			     m->type == KF_KRB_ERROR))
				kf_subject_addr(ctx, b, KF_SUBJECT_KDC, &m->src, false);
		}
}

/* Emit the finding of a verdict. */
void kf_deleg_emit(struct kf_rule_ctx *ctx, const char *const *causes, struct kf_deleg_verdict v,
		   const struct kf_evidence *fs, const struct kf_subject_b *who, const char *summary,
		   const char *why, const char *fix)
{
	kf_finding_emit(ctx, &(struct kf_finding_in){ .severity = v.severity,
						      .confidence = v.confidence,
						      .cause = causes[v.cause],
						      .frames = fs->f,
						      .n_frames = fs->n,
						      .subject = who,
						      .summary = summary,
						      .explanation = why,
						      .remediation = fix });
}

/* ---- missing-forwarded-tgt -------------------------------------------------- */

static const char FWD_FIX[] =
	"Let the front end receive the user's TGT: on its service account (Delegation tab) choose \"Trust this "
	"user for delegation to any service (Kerberos only)\" - or, better, constrained delegation to the "
	"back-end SPN (\"Trust this user for delegation to specified services only\"). Keep the site in the "
	"browser's Local intranet or Trusted sites zone (browsers only delegate there; Chrome/Edge also need "
	"AuthNegotiateDelegateAllowlist; curl needs --delegation always or policy). The user must not be "
	"\"Account is sensitive and cannot be delegated\" nor in Protected Users, and the TGT must be "
	"forwardable (klist shows the F flag; krb5.conf [libdefaults] forwardable = true, kinit -f). MIT KDC: "
	"kadmin modprinc +ok_as_delegate HTTP/front.host, and no -allow_forwardable on the user.";

/* The causes, their ids (the row's cause list) and, for each, the end of the
 * summary when the decrypted AP-REQ decided, and the end of the explanation
 * when the messages alone did. */
enum fwd_cause {
	FWD_CLIENT_DID_NOT,
	FWD_TGT_NOT_FORWARDABLE,
	FWD_NOT_TRUSTED,
	FWD_UNUSED,
	FWD_REFUSED,
	FWD_XFOREST,
	FWD_UNDETERMINED,
	FWD__N,
};
static const char *const FWD_CAUSES[FWD__N + 1] = {
	[FWD_CLIENT_DID_NOT] = "client-did-not-delegate",
	[FWD_TGT_NOT_FORWARDABLE] = "tgt-not-forwardable",
	[FWD_NOT_TRUSTED] = "frontend-not-trusted-for-delegation",
	[FWD_UNUSED] = "frontend-did-not-use-delegation",
	[FWD_REFUSED] = "forwarding-refused",
	[FWD_XFOREST] = "cross-forest-delegation-blocked",
	[FWD_UNDETERMINED] = "undetermined",
};
static const char *const FWD_DECRYPTED[FWD__N] = {
	[FWD_CLIENT_DID_NOT] = "the client did not delegate (no delegation flag in the decrypted AP-REQ)",
	[FWD_TGT_NOT_FORWARDABLE] = "the client could not delegate: its TGT is not forwardable",
	[FWD_NOT_TRUSTED] = "the client did not delegate: the front end's ticket is not ok-as-delegate",
	[FWD_UNUSED] = "the forwarded TGT reached the front end, which did not use it",
	[FWD_XFOREST] = "the client did not delegate: its cross-realm TGT to the front end's realm is not "
			"ok-as-delegate (the trust does not allow TGT delegation)",
};
static const char *const FWD_SEEN[FWD__N] = {
	[FWD_CLIENT_DID_NOT] =
		"The client never asked for a forwarded TGT (a TGS-REQ for krbtgt with the 'forwarded' "
		"option) although its own logon is in the capture: it did not delegate. Browsers "
		"delegate only to sites in the Intranet or Trusted zone and only when the front end is "
		"trusted for delegation (ok-as-delegate); curl only with --delegation.",
	[FWD_UNUSED] = "The client did obtain a forwarded TGT, so the front end did not use it: it is not "
		       "trusted for delegation, or the application does not impersonate the caller. (Likely: "
		       "whether the forwarded TGT travelled inside the encrypted AP-REQ cannot be seen; a "
		       "keytab of the front end would make it certain.)",
	[FWD_UNDETERMINED] =
		"No forwarded-TGT request by the client is in the capture, so it most likely did not "
		"delegate. (Likely: it may have got one before the capture began; a capture started "
		"after 'klist purge' on the client makes this certain.) Browsers delegate only to "
		"Intranet/Trusted-zone sites whose account is trusted for delegation; curl only with "
		"--delegation.",
};

/* The user of an AP-REQ: the TGS-REP that issued its ticket to the client,
 * else the client's story user when Kerberos named it. */
static const char *ap_user(struct kf_rule_ctx *ctx, const struct kf_result *r, const struct kf_message *ap)
{
	struct kf_at_addr at = kf_result_at_addr(r, &ap->src, 0);
	for (size_t i = 0; i < at.n && KF_AT_ADDR_MSG(r, at.v[i])->frame <= ap->frame; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		const char *cname, *crealm;
		if (m->type == KF_KRB_TGS_REP && m->carrier == KF_CARRIER_KERBEROS &&
		    kf_endpoint_same_addr(&m->dst, &ap->src) && m->krb.ticket && ap->krb.ticket &&
		    kf_princ_eq_norealm_nocase(m->krb.ticket->sname, ap->krb.ticket->sname) &&
		    kf_reply_client(r, m, &cname, &crealm) && !kf_name_is_anonymous(cname, crealm))
			return kf_deleg_cname_at(ctx, cname, crealm);
	}
	const struct kf_story *st = kf_story_of(r, ap);
	if (st && st->user && strchr(st->user, '@') && !strchr(st->user, '\\'))
		return st->user;
	return NULL;
}

static bool user_eq(const char *cname, const char *crealm, const char *user)
{
	if (!cname || !user)
		return false;
	size_t lc = strlen(cname);
	if (strncasecmp(cname, user, lc) != 0)
		return false;
	if (user[lc] == 0)
		return true;
	return user[lc] == '@' && (!crealm || kf_name_eq_nocase(crealm, user + lc + 1));
}

/* A forwarded-TGT request refused and never retried with success. */
static bool fwd_refused(const struct kf_result *r, const struct kf_message *req,
			const struct kf_message **err)
{
	const struct kf_message *rep = kf_msg_reply(r, req);
	if (!rep || rep->type != KF_KRB_ERROR)
		return false;
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, rep->frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->frame <= rep->frame || !is_forwarded_tgt_req(m) ||
		    !kf_endpoint_same_addr(&m->src, &req->src))
			continue;
		if (m->ts_us > rep->ts_us + KF_RULE_RECOVERY_US)
			break;
		const struct kf_message *p = kf_msg_reply(r, m);
		if (p && p->type == KF_KRB_TGS_REP)
			return false;
	}
	*err = rep;
	return true;
}

/* With --keytab: the flags of the client's TGT before frame, from a TGS-REQ
 * whose TGT was opened or an AS-REP whose enc-part was; false when unseen. */
static bool tgt_flags(const struct kf_result *r, const struct kf_endpoint *client, uint64_t before,
		      uint32_t *flags, uint64_t *frame)
{
	bool found = false;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t i = 0; i < at.n && KF_AT_ADDR_MSG(r, at.v[i])->frame < before; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		const struct kf_decrypted *d = m->dec;
		if (!d)
			continue;
		if (m->type == KF_KRB_TGS_REQ && kf_endpoint_same_addr(&m->src, client) && d->ticket &&
		    d->ticket->status == KF_OPEN_OK && d->ticket->server &&
		    kf_sname_is_krbtgt(d->ticket->server) &&
		    !(d->ticket->flags & KF_TKT_FLAG(KF_TKT_FORWARDED))) {
			*flags = d->ticket->flags;
			*frame = m->frame;
			found = true;
		} else if (m->type == KF_KRB_AS_REP && kf_endpoint_same_addr(&m->dst, client) && d->rep &&
			   d->rep->status == KF_OPEN_OK) {
			*flags = d->rep->flags;
			*frame = m->frame;
			found = true;
		}
	}
	return found;
}

/* With --keytab: the client's cross-realm TGT for realm `to` before frame,
 * opened (the TGS-REP's enc-part, or the ticket where the client presents
 * it): the frame where it shows without ok-as-delegate; 0 when unseen or
 * flagged. */
static uint64_t xrealm_tgt_not_ok(const struct kf_result *r, const struct kf_endpoint *client,
				  uint64_t before, const char *to)
{
	uint64_t frame = 0;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t i = 0; i < at.n && KF_AT_ADDR_MSG(r, at.v[i])->frame < before; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		const struct kf_decrypted *d = m->dec;
		const struct kf_ticket_rec *t = m->krb.ticket;
		if (!d || !t || !to || !is_xrealm_tgt(t->sname, t->realm) ||
		    !kf_name_eq_nocase(kf_sname_krbtgt_realm(t->sname), to))
			continue;
		uint32_t flags;
		if (m->type == KF_KRB_TGS_REQ && kf_endpoint_same_addr(&m->src, client) && d->ticket &&
		    d->ticket->status == KF_OPEN_OK)
			flags = d->ticket->flags;
		else if (m->type == KF_KRB_TGS_REP && kf_endpoint_same_addr(&m->dst, client) && d->rep &&
			 d->rep->status == KF_OPEN_OK)
			flags = d->rep->flags;
		else
			continue;
		if (flags & KF_TKT_FLAG(KF_TKT_OK_AS_DELEGATE))
			return 0;
		if (!frame)
			frame = m->frame;
	}
	return frame;
}

/* What the AP-REQ's authenticator, opened with --keytab, says of delegation. */
enum fwd_auth {
	AUTH_UNSEEN,   /* not opened, not a GSS one, or a delegation that could not be opened */
	AUTH_NO_DELEG, /* no delegation flag, no KRB-CRED */
	AUTH_DELEG,    /* carries the forwarded TGT (opened) */
};

/* What the capture shows of one (client, front end) pair. */
struct fwd_facts {
	const struct kf_message *hq, *hr, *ap;      /* the accepted request, its answer, its AP-REQ */
	const char *user;                           /* name@REALM; NULL when unknown */
	const char *presented;                      /* the front end's SPN (the AP-REQ's ticket) */
	bool named_user;                            /* a back-end ticket in the window names the user */
	const struct kf_message *own_req, *own_rep; /* the front end's back-end exchange as itself */
	const char *own_cname, *own_crealm;         /* ... and whom own_rep issued the ticket to */
	const struct kf_message *refusal;           /* the client's refused forwarded-TGT request's error */
	const struct kf_message *refusal_req;       /* ... and that request */
	const struct kf_message *fwd_ok;            /* a forwarded TGT issued to the client */
	bool tgt_in_capture;                        /* the client's own logon precedes the AP-REQ */
	enum fwd_auth auth;
	bool not_ok_as_delegate; /* AUTH_NO_DELEG: the front end's opened ticket lacks ok-as-delegate */
	uint64_t xrealm_not_ok;  /* AUTH_NO_DELEG: frame of the client's opened cross-realm TGT to the
				  * front end's realm, without ok-as-delegate (0: none) */
	uint64_t tgt_not_fwd; /* AUTH_NO_DELEG: frame of the client's opened TGT, not forwardable (0: none) */
	struct kf_deleg_hop hop; /* without a back-end ticket: how the front end went without Kerberos */
	struct kf_evidence fs;
};

/* What the front end did next, as a Kerberos client: a back-end ticket for
 * the user, or for itself. */
static void fwd_front_end(const struct kf_result *r, struct fwd_facts *f)
{
	const struct kf_message *hq = f->hq;
	struct kf_at_addr at = kf_result_at_addr(r, &hq->dst, hq->frame);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (m <= hq)
			continue;
		if (m->ts_us > hq->ts_us + DELEG_WINDOW_US)
			break;
		if (m->type != KF_KRB_TGS_REQ || m->carrier != KF_CARRIER_KERBEROS ||
		    !kf_endpoint_same_addr(&m->src, &hq->dst))
			continue;
		if (kf_deleg_is_s4u2proxy(m) || kf_deleg_is_s4u2self(m) || kf_sname_is_krbtgt(m->krb.sname) ||
		    kf_princ_eq_norealm_nocase(m->krb.sname, f->presented))
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		const char *cname, *crealm; /* a name the KDC hid: the owner of the TGT presented */
		if (!rep || rep->type != KF_KRB_TGS_REP || !kf_reply_client(r, rep, &cname, &crealm) ||
		    kf_name_is_anonymous(cname, crealm))
			continue;
		if (user_eq(cname, crealm, f->user)) {
			f->named_user = true;
			continue;
		}
		if (kf_princ_eq_norealm_nocase(m->krb.sname, cname))
			continue; /* a ticket to itself */
		bool own = f->user != NULL || kf_princ_eq_norealm_nocase(cname, f->presented) ||
			   cname[strlen(cname) - 1] == '$';
		if (own && !f->own_req) {
			f->own_req = m;
			f->own_rep = rep;
			f->own_cname = cname;
			f->own_crealm = crealm;
		}
	}
}

/* Where the front end presented the ticket issued to itself: the back end's
 * AP-REQ and what answered it (a token, or an SMB response), as evidence. */
static void fwd_back_end(const struct kf_result *r, struct fwd_facts *f)
{
	const struct kf_ticket_rec *own = f->own_rep ? f->own_rep->krb.ticket : NULL;
	if (!own || !own->cipher_hash)
		return;
	struct kf_at_addr at = kf_result_at_addr(r, &f->hq->dst, f->own_rep->frame);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (m->type != KF_KRB_AP_REQ || KF_AT_ADDR_IS_DST(at.v[j]) || !m->krb.ticket ||
		    m->krb.ticket->cipher_hash != own->cipher_hash)
			continue;
		kf_evidence_add_msg(&f->fs, m);
		kf_evidence_add_msg(&f->fs, kf_msg_reply(r, m));
		/* an SMB logon answered without a token: the SESSION_SETUP response */
		const struct kf_message *rec = kf_msg_at(r, m->frame, KF_MSG_SMB_REQUEST);
		if (rec && rec->connection == m->connection)
			kf_evidence_add_msg(&f->fs, kf_msg_reply(r, rec));
		return;
	}
}

/* The client's forwarded-TGT requests before it presented the ticket: the
 * refused ones are evidence. */
static void fwd_client(const struct kf_result *r, struct fwd_facts *f)
{
	const struct kf_message *hq = f->hq;
	struct kf_at_addr at = kf_result_at_addr(r, &hq->src, 0);
	for (size_t j = 0; j < at.n && KF_AT_ADDR_MSG(r, at.v[j])->frame <= f->ap->frame; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (!is_forwarded_tgt_req(m) || !kf_endpoint_same_addr(&m->src, &hq->src))
			continue;
		const struct kf_message *err = NULL;
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (fwd_refused(r, m, &err)) {
			f->refusal = err;
			f->refusal_req = m;
			kf_evidence_add(&f->fs, m->frame);
			kf_evidence_add(&f->fs, err->frame);
		} else if (rep && rep->type == KF_KRB_TGS_REP) {
			f->fwd_ok = rep;
		}
	}
	const struct kf_story *cs = kf_story_of(r, hq);
	f->tgt_in_capture = cs && cs->tgt_seen && cs->tgt_frame && cs->tgt_frame < f->ap->frame;
}

/* With --keytab: the AP-REQ's opened authenticator, the front end's ticket
 * and the client's TGT. */
static void fwd_decrypted(const struct kf_result *r, struct fwd_facts *f)
{
	const struct kf_message *ap = f->ap;
	const struct kf_dec_auth *au = ap->dec ? ap->dec->auth : NULL;
	if (!au || au->status != KF_OPEN_OK || !au->gss)
		return;
	if (au->has_deleg) {
		if (au->cred && au->cred->status == KF_OPEN_OK && au->cred->n_info)
			f->auth = AUTH_DELEG;
		return; /* a delegation we could not open: nothing certain */
	}
	f->auth = AUTH_NO_DELEG;
	const struct kf_dec_ticket *tk = ap->dec->ticket;
	f->not_ok_as_delegate =
		tk && tk->status == KF_OPEN_OK && !(tk->flags & KF_TKT_FLAG(KF_TKT_OK_AS_DELEGATE));
	uint32_t flags = 0;
	uint64_t tf = 0;
	if (tgt_flags(r, &ap->src, ap->frame, &flags, &tf) && !(flags & KF_TKT_FLAG(KF_TKT_FORWARDABLE)))
		f->tgt_not_fwd = tf;
	f->xrealm_not_ok =
		xrealm_tgt_not_ok(r, &ap->src, ap->frame, ap->krb.ticket ? ap->krb.ticket->realm : NULL);
	kf_evidence_add(&f->fs, f->xrealm_not_ok);
}

/* A refused forwarded-TGT request (req, refused with err): the KDC names a
 * TGT that is not forwardable (MIT's e-text), the request was for a
 * cross-realm TGT (the trust does not let it be delegated), or it just
 * refuses. */
static int fwd_refusal_cause(const struct kf_message *req, const struct kf_message *err)
{
	if (err->krb.e_text && strstr(err->krb.e_text, "TGT NOT FORWARDABLE"))
		return FWD_TGT_NOT_FORWARDABLE;
	return req && is_xrealm_tgt(req->krb.sname, req->krb.realm) ? FWD_XFOREST : FWD_REFUSED;
}

/* A refusal is certain; then the decrypted AP-REQ decides; without it, a
 * forwarded TGT the client got means the front end did not use it, and no
 * forwarded-TGT request after the client's own logon means it did not
 * delegate.  Without its logon in the capture it cannot tell. */
static struct kf_deleg_verdict fwd_verdict_seen(const struct fwd_facts *f)
{
	int cause;
	if (f->refusal)
		cause = fwd_refusal_cause(f->refusal_req, f->refusal);
	else if (f->auth == AUTH_DELEG)
		cause = FWD_UNUSED;
	else if (f->auth == AUTH_NO_DELEG)
		cause = f->tgt_not_fwd          ? FWD_TGT_NOT_FORWARDABLE
			: f->xrealm_not_ok      ? FWD_XFOREST
			: f->not_ok_as_delegate ? FWD_NOT_TRUSTED
						: FWD_CLIENT_DID_NOT;
	else if (f->fwd_ok)
		return (struct kf_deleg_verdict){ FWD_UNUSED, KF_SEV_ERROR, KF_CONF_LIKELY };
	else if (f->tgt_in_capture)
		cause = FWD_CLIENT_DID_NOT;
	else
		return (struct kf_deleg_verdict){ FWD_UNDETERMINED, KF_SEV_ERROR, KF_CONF_LIKELY };
	return (struct kf_deleg_verdict){ cause, KF_SEV_ERROR, KF_CONF_CERTAIN };
}

/* A front end that went on without Kerberos did so for this user only by
 * timing (its call came within the window after the user's logon): likely,
 * unless the decrypted AP-REQ or a refusal decides. */
static bool hop_by_timing(const struct fwd_facts *f)
{
	return f->hop.kind && !f->own_req && !f->refusal && f->auth == AUTH_UNSEEN;
}

static struct kf_deleg_verdict fwd_verdict(const struct fwd_facts *f)
{
	struct kf_deleg_verdict v = fwd_verdict_seen(f);
	if (hop_by_timing(f))
		v.confidence = KF_CONF_LIKELY;
	return v;
}

/* What the decrypted authenticator showed, in sentences. */
static const char *fwd_decrypted_words(struct kf_rule_ctx *ctx, const struct fwd_facts *f, const char *front)
{
	const struct kf_dec_auth *au = f->ap->dec->auth;
	if (f->auth == AUTH_DELEG) {
		const struct kf_dec_cred_info *ci = &au->cred->info[0];
		return kf_rule_fmt(
			ctx,
			"Decrypted with the front end's key, the AP-REQ in frame %llu carries the user's forwarded TGT "
			"(%s@%s for %s@%s): the client did delegate. The front end then went to the back end as itself, "
			"so it did not use the delegated credentials: the application does not impersonate the caller "
			"(mod_auth_gssapi needs GssapiDelegCcacheDir and the application must use that ccache; IIS/ASP.NET "
			"needs impersonation), or its account is not trusted for delegation.",
			(unsigned long long)f->ap->frame, ci->sname ? ci->sname : "?",
			ci->srealm ? ci->srealm : "?", ci->pname ? ci->pname : "?",
			ci->prealm ? ci->prealm : "?");
	}
	const char *cause = "";
	if (f->not_ok_as_delegate)
		cause = kf_rule_fmt(
			ctx,
			" The service ticket for %s is not OK-AS-DELEGATE: the KDC does not mark the front end's account "
			"as trusted for delegation, and clients that honour the flag (Windows, and MIT/curl with "
			"--delegation policy) then do not delegate.",
			front);
	if (f->xrealm_not_ok && !f->tgt_not_fwd)
		cause = kf_rule_fmt(
			ctx,
			" The client's cross-realm TGT to %s (decrypted in frame %llu) is not OK-AS-DELEGATE: the "
			"KDC of the user's realm does not let TGTs be delegated across that trust (Active Directory "
			"clears the flag unless the forest trust allows TGT delegation; an MIT KDC sets it from "
			"the cross-realm principal's ok_as_delegate attribute), so the client does not delegate "
			"to a front end there%s.%s",
			f->ap->krb.ticket->realm, (unsigned long long)f->xrealm_not_ok,
			f->not_ok_as_delegate
				? ""
				: ", although the front end's own ticket is OK-AS-DELEGATE (a client "
				  "that honours the flag checks the cross-realm TGT too, as MIT's does)",
			cause);
	if (f->tgt_not_fwd)
		cause = kf_rule_fmt(
			ctx,
			"%s The user's TGT (decrypted in frame %llu) is not forwardable, so no forwarded TGT could be "
			"made from it (kinit -f / forwardable = true; the account must not be sensitive or in Protected "
			"Users).",
			cause, (unsigned long long)f->tgt_not_fwd);
	char gf[160] = "";
	size_t n = 0;
	static const char *const names[] = { "deleg", "mutual", "replay", "sequence", "conf", "integ" };
	for (unsigned b = 0; b < 6; b++)
		if (au->gss_flags & (1u << b))
			n += (size_t)snprintf(gf + n, sizeof gf - n, "%s%s", n ? " " : "", names[b]);
	return kf_rule_fmt(
		ctx,
		"Decrypted with the front end's key, the authenticator of the AP-REQ in frame %llu has GSS flags "
		"[%s], without the delegation flag, and carries no forwarded TGT: the client did not delegate.%s",
		(unsigned long long)f->ap->frame, gf, cause);
}

/* The client and its user, the front end (its service and address), the
 * back end's service, the KDCs. */
static void fwd_subject(struct kf_rule_ctx *ctx, const struct fwd_facts *f, struct kf_subject_b *who)
{
	const struct kf_ticket_rec *t = f->ap->krb.ticket;
	kf_subject_addr(ctx, who, KF_SUBJECT_CLIENT, &f->hq->src, false);
	kf_subject_add(ctx, who, KF_SUBJECT_USER, f->user);
	if (t)
		kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, t->sname, t->realm);
	if (f->own_req)
		kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, f->own_req->krb.sname,
				      f->own_req->krb.realm);
	kf_subject_addr(ctx, who, KF_SUBJECT_SERVER, &f->hq->dst, true);
	if (f->hop.kind)
		kf_subject_addr(ctx, who, KF_SUBJECT_SERVER, &f->hop.server, true);
	kf_deleg_subject_kdcs(ctx, who, &f->fs);
}

/* The finding of a front end that went to the back end without Kerberos. */
static void fwd_hop_words(struct kf_rule_ctx *ctx, const struct fwd_facts *f, struct kf_deleg_verdict v,
			  const char *uname, const char *cl, const char *front, const char *fe,
			  const char **summary, const char **why)
{
	const char *how = kf_deleg_hop_how(ctx, &f->hop);
	const char *not_user = f->hop.kind == KF_HOP_UNANSWERED ? "" : kf_rule_fmt(ctx, ", not as %s", uname);
	const char *tail = f->auth != AUTH_UNSEEN ? kf_rule_fmt(ctx, ": %s", FWD_DECRYPTED[v.cause])
			   : f->fwd_ok            ? ""
				       : kf_rule_fmt(ctx, ": %s (%s) sent no forwarded TGT", uname, cl);
	*summary = kf_rule_fmt(ctx, "front end %s (%s) %s%s%s", front, fe, how, not_user, tail);
	*why = kf_rule_fmt(
		ctx,
		"The front end accepted %s's Kerberos ticket (frame %llu), then %s.%s The front end asked the "
		"KDC for no back-end ticket and sent the back end no Kerberos token, so the back end could not "
		"see %s: unconstrained delegation did not happen. %s%s",
		uname, (unsigned long long)f->ap->frame, how, kf_deleg_hop_answer(ctx, &f->hop), uname,
		f->auth != AUTH_UNSEEN ? fwd_decrypted_words(ctx, f, front) : FWD_SEEN[v.cause],
		hop_by_timing(f)
			? " (Likely: that the front end made this call for the user is read from its "
			  "timing, within 60 s of the user's logon; the front end's keytab (--keytab) "
			  "shows whether the client delegated.)"
			: "");
}

#define KDC_OPT_FORWARDABLE (0x80000000u >> 1)

/* Did the client's own AS-REQ for user (in the capture, before frame) ask
 * for a forwardable TGT?  1 yes, 0 no, -1 not in the capture. */
static int as_req_asked_forwardable(const struct kf_result *r, const struct kf_endpoint *client,
				    const char *user, uint64_t before)
{
	int asked = -1;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (m->frame >= before)
			break;
		if (m->type != KF_KRB_AS_REQ || !kf_endpoint_same_addr(&m->src, client) ||
		    !m->krb.has_kdc_options || !m->krb.cname ||
		    (user && !kf_princ_eq_norealm_nocase(m->krb.cname, user)))
			continue;
		asked = (m->krb.kdc_options & KDC_OPT_FORWARDABLE) != 0;
	}
	return asked;
}

/* Why a KDC refuses a forwarded-TGT request (req): for a cross-realm TGT,
 * the trust; else the usual reasons. */
static const char *refusal_causes(struct kf_rule_ctx *ctx, const struct kf_message *req)
{
	if (req && is_xrealm_tgt(req->krb.sname, req->krb.realm))
		return kf_rule_fmt(
			ctx,
			"The request was for a cross-realm TGT (%s issued in %s): the KDC will not forward a TGT "
			"across that trust. Active Directory delegates TGTs across a forest trust only when the "
			"trust allows it (\"enable Kerberos full delegation across this trust\", off by default "
			"since 2019).",
			req->krb.sname, req->krb.realm);
	return "The usual causes: the user's TGT is not forwardable (the account is \"sensitive and cannot be "
	       "delegated\", in Protected Users, or MIT -allow_forwardable), or the client asked for a "
	       "non-forwardable TGT.";
}

/* The first step for cross-forest-delegation-blocked, with the realms
 * (the front end's, to; the user's, from) when known. */
static const char *xforest_fix(struct kf_rule_ctx *ctx, const char *to, const char *from)
{
	to = to ? kf_rule_cmd_arg(ctx, to) : "<front end's realm>";
	from = from ? kf_rule_cmd_arg(ctx, from) : "<user's realm>";
	return kf_rule_fmt(
		ctx,
		"First: the trust between %s (the user's) and %s (the front end's) does not let TGTs be delegated "
		"across it: enable Kerberos full delegation across the forest trust (netdom trust %s /domain:%s "
		"/EnableTGTDelegation:Yes; the trust's properties in Active Directory Domains and Trusts), or, "
		"better, replace unconstrained delegation by resource-based constrained delegation (Set-ADComputer "
		"<back end> -PrincipalsAllowedToDelegateToAccount <front end's account>), which works across the "
		"trust without it. MIT KDC of %s: kadmin modprinc +ok_as_delegate krbtgt/%s@%s (the cross-realm "
		"TGT then carries ok-as-delegate, and MIT clients delegate across).",
		from, to, to, from, from, to, from);
}

/* The realm a forwarded-TGT request for a cross-realm TGT goes to. */
static const char *xrealm_to(const struct kf_message *req)
{
	return req ? kf_sname_krbtgt_realm(req->krb.sname) : NULL;
}

/* The realm of "name@REALM", NULL without one. */
static const char *realm_of(const char *user)
{
	const char *at = user ? strrchr(user, '@') : NULL;
	return at && at[1] ? at + 1 : NULL;
}

/* The fix, starting with the action for the cause the evidence shows, in
 * the capture's names (issue 18, item 10); FWD_FIX follows as the checklist. */
static const char *fwd_fix(struct kf_rule_ctx *ctx, const struct fwd_facts *f, int cause)
{
	const struct kf_result *r = kf_rule_result(ctx);
	const char *front = f->presented ? kf_rule_cmd_arg(ctx, f->presented) : NULL;
	const char *user =
		f->user ? kf_rule_fix_fill(ctx, "<user>", &(struct kf_fix_names){ .user = f->user })
			: "<user>";
	const char *first = NULL;
	switch (cause) {
	case FWD_TGT_NOT_FORWARDABLE: {
		int asked = as_req_asked_forwardable(r, &f->hq->src, f->user, f->ap->frame);
		first = asked == 0
				? kf_rule_fmt(
					  ctx,
					  "First: the client's own AS-REQ did not ask for a forwardable TGT: get "
					  "one with kinit -f (or krb5.conf [libdefaults] forwardable = true), then "
					  "retry.")
				: kf_rule_fmt(
					  ctx,
					  "First: the KDC will not make %s's TGT forwardable: clear \"Account is "
					  "sensitive and cannot be delegated\" and remove the account from Protected "
					  "Users (AD), or kadmin modprinc +allow_forwardable %s (MIT).",
					  f->user ? f->user : "the user's", user);
		break;
	}
	case FWD_NOT_TRUSTED:
		first = kf_rule_fmt(
			ctx,
			"First: the KDC does not mark the front end trusted for delegation: trust the "
			"account that owns %s (Delegation tab, or Set-ADAccountControl "
			"-TrustedForDelegation $true; better constrained delegation to the back end), or "
			"kadmin modprinc +ok_as_delegate %s (MIT).",
			front ? front : "the front end's SPN", front ? front : "<front end's SPN>");
		break;
	case FWD_CLIENT_DID_NOT:
		first = "First: the client did not delegate: the site must be in the browser's Local intranet or "
			"Trusted sites zone (Chrome/Edge: AuthNegotiateDelegateAllowlist; Firefox: "
			"network.negotiate-auth.delegation-uris; curl: --delegation always).";
		break;
	case FWD_UNUSED:
		first = "First: the front end received the user's TGT but did not use it: configure the application "
			"to impersonate with the delegated credentials (Apache mod_auth_gssapi: GssapiDelegCcacheDir and "
			"KRB5CCNAME for the back-end call; IIS: ASP.NET impersonation, the app pool's identity trusted "
			"for delegation).";
		break;
	case FWD_XFOREST:
		first = f->refusal_req
				? xforest_fix(ctx, xrealm_to(f->refusal_req), f->refusal_req->krb.realm)
				: xforest_fix(ctx, f->ap->krb.ticket ? f->ap->krb.ticket->realm : NULL,
					      realm_of(f->user));
		break;
	case FWD_REFUSED:
		first = kf_rule_fmt(
			ctx,
			"First: the KDC refused %s's forwarded-TGT request: check the account's delegation "
			"restrictions (sensitive account, Protected Users) and the KDC's log for the "
			"request.",
			f->user ? f->user : "the user");
		break;
	default: break;
	}
	const char *fix = front ? kf_rule_subst(ctx, FWD_FIX, (const char *const[]){ "HTTP/front.host" },
						(const char *const[]){ front }, 1)
				: FWD_FIX;
	return first ? kf_rule_fmt(ctx, "%s Then, in general: %s", first, fix) : fix;
}

static void fwd_report(struct kf_rule_ctx *ctx, const struct fwd_facts *f)
{
	struct kf_deleg_verdict v = fwd_verdict(f);
	const struct kf_message *hq = f->hq, *own_req = f->own_req, *own_rep = f->own_rep;
	char cl[64], fe[64];
	kf_endpoint_addr(&hq->src, cl, sizeof cl);
	kf_endpoint_addr(&hq->dst, fe, sizeof fe);
	const char *uname = f->user ? f->user : "the user";
	const char *front = f->presented ? f->presented : (hq->http && hq->http->host ? hq->http->host : fe);
	const char *backend = own_req ? kf_deleg_spn_at(ctx, own_req->krb.sname, own_req->krb.realm) : NULL;
	const char *own_name = own_rep ? kf_deleg_cname_at(ctx, f->own_cname, f->own_crealm) : NULL;
	const char *summary, *why;
	if (f->refusal) {
		summary = kf_rule_fmt(
			ctx, "%s (%s) could not delegate to %s (%s): forwarded-TGT request refused: %s%s",
			uname, cl, front, fe, kf_deleg_err_text(ctx, f->refusal),
			backend ? kf_rule_fmt(ctx, "; the front end then asked for %s as %s", backend,
					      own_name)
			: f->hop.kind
				? kf_rule_fmt(ctx, "; the front end then %s", kf_deleg_hop_how(ctx, &f->hop))
				: "");
		why = kf_rule_fmt(
			ctx,
			"To delegate, the client asks its KDC for a forwarded TGT (TGS-REQ for krbtgt with the "
			"'forwarded' option) and sends it to the front end inside the AP-REQ. The KDC refused that "
			"request, so %s reached %s without a TGT the front end could use.%s %s",
			uname, front,
			backend ? kf_rule_fmt(ctx,
					      " The front end then went to the back end %s under its own "
					      "account %s, so the back end sees the front end (or NT "
					      "AUTHORITY\\ANONYMOUS LOGON), not the user.",
					      backend, own_name)
				: "",
			refusal_causes(ctx, f->refusal_req));
	} else if (!own_req) {
		fwd_hop_words(ctx, f, v, uname, cl, front, fe, &summary, &why);
	} else {
		/* the front end went as itself */
		const char *went = kf_rule_fmt(
			ctx,
			"The front end accepted %s's Kerberos ticket, then asked the KDC for a "
			"ticket to the back end %s and the KDC issued it to %s: the front end used "
			"its own account, not the user's identity",
			uname, backend, own_name);
		if (f->auth != AUTH_UNSEEN) {
			summary = kf_rule_fmt(ctx, "front end %s (%s) asked for %s as %s, not as %s: %s",
					      front, fe, backend, own_name, uname, FWD_DECRYPTED[v.cause]);
			why = kf_rule_fmt(
				ctx,
				"%s, so the back end sees the front end's account (or NT AUTHORITY\\ANONYMOUS "
				"LOGON). %s",
				went, fwd_decrypted_words(ctx, f, front));
		} else {
			summary = kf_rule_fmt(
				ctx, "front end %s (%s) asked for %s as %s, not as %s%s", front, fe, backend,
				own_name, uname,
				f->fwd_ok ? ""
					  : kf_rule_fmt(ctx, ": %s (%s) sent no forwarded TGT", uname, cl));
			why = kf_rule_fmt(
				ctx,
				"%s. The back end therefore sees the front end's account (or NT "
				"AUTHORITY\\ANONYMOUS LOGON), not the user: unconstrained delegation did not "
				"happen. %s",
				went, FWD_SEEN[v.cause]);
		}
	}
	struct kf_subject_b who = { .n = { 0 } };
	fwd_subject(ctx, f, &who);
	kf_deleg_emit(ctx, FWD_CAUSES, v, &f->fs, &who, summary, why,
		      f->hop.kind && !own_req ? kf_rule_fmt(ctx, "%s%s", fwd_fix(ctx, f, v.cause),
							    kf_deleg_hop_fix(ctx, &f->hop))
					      : fwd_fix(ctx, f, v.cause));
}

/* A client's refused forwarded-TGT requests with no front end in the
 * capture, from its first such request m (refused with err). */
static void fwd_report_client(struct kf_rule_ctx *ctx, struct kf_seen *used, const struct kf_message *m,
			      const struct kf_message *err)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_evidence fs = { .n = 0 };
	kf_evidence_add(&fs, m->frame);
	kf_evidence_add(&fs, err->frame);
	struct kf_at_addr at = kf_result_at_addr(r, &m->src, m->frame);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
		const struct kf_message *qerr = NULL;
		if (q <= m || !is_forwarded_tgt_req(q) || !kf_endpoint_same_addr(&q->src, &m->src) ||
		    !fwd_refused(r, q, &qerr) || !frame_new(ctx, used, q->frame))
			continue;
		kf_evidence_add(&fs, q->frame);
		kf_evidence_add(&fs, qerr->frame);
	}
	struct kf_deleg_verdict v = { fwd_refusal_cause(m, err), KF_SEV_ERROR, KF_CONF_CERTAIN };
	char cl[64];
	kf_endpoint_addr(&m->src, cl, sizeof cl);
	const char *user =
		err->krb.cname ? kf_deleg_cname_at(ctx, err->krb.cname, err->krb.crealm) : "the user";
	struct kf_subject_b who = { .n = { 0 } };
	kf_subject_addr(ctx, &who, KF_SUBJECT_CLIENT, &m->src, false);
	kf_deleg_subject_name(ctx, &who, KF_SUBJECT_USER, err->krb.cname, err->krb.crealm);
	kf_deleg_subject_kdcs(ctx, &who, &fs);
	kf_deleg_emit(
		ctx, FWD_CAUSES, v, &fs, &who,
		kf_rule_fmt(ctx, "%s (%s) cannot delegate: forwarded-TGT request refused: %s", user, cl,
			    kf_deleg_err_text(ctx, err)),
		kf_rule_fmt(
			ctx,
			"The client asked its KDC for a forwarded TGT (TGS-REQ for krbtgt with the 'forwarded' "
			"option), which it would hand to a front end so that the front end can act as %s. The KDC "
			"refused, so no service can act for this user (unconstrained delegation fails). %s",
			user, refusal_causes(ctx, m)),
		v.cause == FWD_XFOREST ? kf_rule_fmt(ctx, "%s Then, in general: %s",
						     xforest_fix(ctx, xrealm_to(m), m->krb.realm), FWD_FIX)
				       : FWD_FIX);
}

static void rule_missing_forwarded_tgt(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen done = { 0 }; /* (client, front end) pairs reported */
	struct kf_seen used = { 0 }; /* frames of the refusals those findings took */
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *hq = &r->messages[i];
		if (hq->type != KF_MSG_HTTP_REQUEST || hq->carrier != KF_CARRIER_HTTP)
			continue;
		const struct kf_message *ap = kf_rule_tok_at(r, hq->frame, KF_KRB_AP_REQ, hq->connection);
		const struct kf_message *hr = kf_rule_http_resp(r, hq);
		if (!ap || !hr || !hr->http || hr->http->status < 200 || hr->http->status >= 400)
			continue;
		if (kf_endpoint_same_addr(&hq->src, &hq->dst))
			continue;
		struct kf_key pk = kf_key_new();
		kf_key_addr(&pk, &hq->src);
		kf_key_addr(&pk, &hq->dst);
		if (!kf_seen_add(ctx, &done, pk))
			continue;

		struct fwd_facts f = { .hq = hq, .hr = hr, .ap = ap };
		f.user = ap_user(ctx, r, ap);
		if (!f.user && ap->dec && ap->dec->auth && ap->dec->auth->status == KF_OPEN_OK &&
		    ap->dec->auth->cname)
			f.user = kf_rule_fmt(ctx, "%s@%s", ap->dec->auth->cname,
					     ap->dec->auth->crealm ? ap->dec->auth->crealm : "?");
		f.presented = ap->krb.ticket ? ap->krb.ticket->sname : NULL;
		fwd_front_end(r, &f);
		fwd_client(r, &f);
		if (f.named_user)
			continue;
		if (!f.own_req)
			kf_deleg_hop_find(ctx, hq, DELEG_WINDOW_US, &f.hop, &f.fs);
		if (!f.refusal && !f.own_req && !f.hop.kind)
			continue;
		for (size_t u = 0; u < f.fs.n; u++)
			frame_new(ctx, &used, f.fs.f[u]);
		kf_evidence_add(&f.fs, hq->frame);
		kf_evidence_add(&f.fs, hr->frame);
		kf_evidence_add_msg(&f.fs, f.own_req);
		kf_evidence_add_msg(&f.fs, f.own_rep);
		fwd_back_end(r, &f);
		if (!f.refusal)
			fwd_decrypted(r, &f);
		fwd_report(ctx, &f);
	}
	/* Refused forwarded-TGT requests with no front end in the capture: one
	 * finding per client, built at its first such request. */
	struct kf_seen clients = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		const struct kf_message *err = NULL;
		if (!is_forwarded_tgt_req(m) || !fwd_refused(r, m, &err) || !frame_new(ctx, &used, m->frame))
			continue;
		struct kf_key ck = kf_key_new();
		kf_key_addr(&ck, &m->src);
		if (!kf_seen_add(ctx, &clients, ck))
			continue;
		fwd_report_client(ctx, &used, m, err);
	}
	kf_seen_free(&clients);
	kf_seen_free(&done);
	kf_seen_free(&used);
}

const struct kf_rule kf_rules_deleg[] = {
	{ { "missing-forwarded-tgt", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "unconstrained delegation did not happen: the front end went to the back end without the user's TGT",
	    FWD_CAUSES },
	  rule_missing_forwarded_tgt },
	{ { "s4u-denied", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_RECOVERY_US,
	    "S4U2Self or S4U2Proxy refused by the KDC", kf_s4u_denied_causes },
	  kf_rule_s4u_denied },
	{ { "cross-realm-s4u", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "constrained delegation (S4U2Proxy) across realms refused", kf_cross_realm_s4u_causes },
	  kf_rule_cross_realm_s4u },
};
const size_t kf_rules_deleg_count = sizeof kf_rules_deleg / sizeof kf_rules_deleg[0];
