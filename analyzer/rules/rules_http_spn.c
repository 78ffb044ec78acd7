/* rules_http_spn.c - which SPN and ticket HTTP Negotiate used, and what came
 * of it: NTLM instead of Kerberos (ntlm-fallback, in rules_http_ntlm.c), the
 * port-less SPN of a site on another port (portless-spn), a ticket the
 * service cannot decrypt (ap-err-modified), a Host name that is a DNS alias
 * (cname-spn) (DIAGNOSES.md; RFC 4559, RFC 4120 §7.5.9).  Each rule gathers
 * its facts, decides a verdict from them alone, and words it by cause. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "stories.h"

#define KRB_AP_ERR_BADKEYVER 44
#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7

/* ---- helpers -------------------------------------------------------------- */

static const char *etype_name(int32_t e)
{
	const char *n = kf_krb5_etype_name(e);
	return n ? n : "unknown etype";
}

/* ---- portless-spn ----------------------------------------------------------- */

enum portless_cause {
	PORTLESS_OTHER_ACCOUNT, /* the site on the port could not decrypt the ticket (a key error) */
	PORTLESS_SAME_ACCOUNT,  /* it could: it shares the key of the SPN's owner */
	PORTLESS_UNDETERMINED,  /* refused by a bare 401: the capture does not say why */
};
static const char *const portless_causes[] = { "other-account", "same-account", "undetermined", NULL };

/* What the capture shows of one client's port-less tickets to one host:port. */
struct portless_facts {
	const struct kf_message *req, *ap; /* the first request with such a ticket, and its AP-REQ */
	unsigned port;
	char host[256];
	const char *sname, *realm;      /* the ticket's */
	bool rejected, worked, key_err; /* answered by a 401 (a key error in it); accepted */
	int32_t code;                   /* the key error */
	uint64_t err_frame, first_ap;
	const struct kf_message *tgs; /* the exchange that got the ticket */
	uint64_t ok_default;          /* the same ticket accepted on port 80/443: that response */
	struct kf_evidence e;
};

/* Every AP-REQ of the client to host:port with the ticket, from f->req on,
 * and the server's answers. */
static void portless_answers(const struct kf_result *r, struct portless_facts *f)
{
	const struct kf_message *req = f->req;
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, req->frame);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
		if (q < req || !kf_rule_is_http_req(q) || !kf_endpoint_same_addr(&q->src, &req->src) ||
		    kf_rule_req_port(q) != f->port)
			continue;
		char qh[256];
		kf_rule_host_name(q->http->host, qh, sizeof qh);
		if (!kf_host_eq(qh, f->host))
			continue;
		const struct kf_message *qa = kf_rule_tok_at(r, q->frame, KF_KRB_AP_REQ, q->connection);
		if (!qa || !qa->krb.ticket || !kf_name_eq_nocase(qa->krb.ticket->sname, f->sname))
			continue;
		if (!f->first_ap)
			f->first_ap = q->frame;
		kf_evidence_add(&f->e, q->frame);
		const struct kf_message *resp = kf_rule_http_resp(r, q);
		if (!resp)
			continue;
		kf_evidence_add(&f->e, resp->frame);
		const struct kf_message *ke = kf_rule_tok_at(r, resp->frame, KF_KRB_ERROR, resp->connection);
		const struct kf_message *rep =
			kf_rule_tok_at(r, resp->frame, KF_KRB_AP_REP, resp->connection);
		/* NOT_US (35), NOKEY (45): the site has no key at all for the port-less SPN */
		if (ke && (kf_rule_is_key_error(ke->krb.error_code) || ke->krb.error_code == 35 ||
			   ke->krb.error_code == 45)) {
			f->rejected = f->key_err = true;
			f->code = ke->krb.error_code;
			f->err_frame = resp->frame;
		} else if (rep || (resp->http->status >= 200 && resp->http->status < 400)) {
			f->worked = true;
		} else if (!ke && resp->http->status == 401) {
			f->rejected = true;
			if (!f->err_frame)
				f->err_frame = resp->frame;
		}
	}
}

/* The response of port 80/443 of the host that accepted the same ticket, 0. */
static uint64_t portless_ok_default(const struct kf_result *r, const struct portless_facts *f)
{
	const struct kf_endpoint *client = &f->req->src;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
		if (!kf_rule_is_http_req(q) || !kf_endpoint_same_addr(&q->src, client))
			continue;
		unsigned qp = kf_rule_req_port(q);
		char qh[256];
		kf_rule_host_name(q->http->host, qh, sizeof qh);
		if ((qp != 80 && qp != 443) || !kf_host_eq(qh, f->host))
			continue;
		const struct kf_message *qa = kf_rule_tok_at(r, q->frame, KF_KRB_AP_REQ, q->connection);
		const struct kf_message *resp = kf_rule_http_resp(r, q);
		if (qa && qa->krb.ticket && kf_name_eq_nocase(qa->krb.ticket->sname, f->sname) && resp &&
		    resp->http->status < 400)
			return resp->frame;
	}
	return 0;
}

/* The facts of req, a request to a port other than 80/443 whose AP-REQ ap
 * carries a port-less HTTP/<host> ticket. */
static void portless_gather(const struct kf_result *r, const struct kf_message *req,
			    const struct kf_message *ap, const char *host, unsigned port,
			    struct portless_facts *f)
{
	memset(f, 0, sizeof *f);
	f->req = req;
	f->ap = ap;
	f->port = port;
	snprintf(f->host, sizeof f->host, "%s", host);
	f->sname = ap->krb.ticket->sname;
	f->realm = ap->krb.ticket->realm;
	portless_answers(r, f);
	f->tgs = kf_rule_tgs_req_for(r, &req->src, f->sname, f->first_ap);
	if (f->tgs) {
		kf_evidence_add(&f->e, f->tgs->frame);
		kf_evidence_add_msg(&f->e, kf_msg_reply(r, f->tgs));
	}
	if (f->rejected)
		f->ok_default = portless_ok_default(r, f);
}

/* cause -1: no finding. */
static struct kf_rule_verdict portless_verdict(const struct portless_facts *f)
{
	if (f->rejected)
		return (struct kf_rule_verdict){ f->key_err ? PORTLESS_OTHER_ACCOUNT : PORTLESS_UNDETERMINED,
						 KF_SEV_ERROR,
						 f->key_err ? KF_CONF_CERTAIN : KF_CONF_LIKELY };
	/* WinRM registers HTTP/<host> on the computer account by design */
	bool winrm = f->port == 5985 || f->port == 5986;
	if (f->worked && !winrm)
		return (struct kf_rule_verdict){ PORTLESS_SAME_ACCOUNT, KF_SEV_INFO,
						 KF_CONF_CERTAIN }; /* it works */
	return (struct kf_rule_verdict){ -1, 0, 0 };
}

static struct kf_rule_words portless_words(struct kf_rule_ctx *ctx, const struct portless_facts *f, int cause)
{
	const char *host = f->host, *sname = f->sname, *realm = f->realm ? f->realm : "?";
	unsigned port = f->port;
	const char *fix = kf_rule_fmt(
		ctx,
		"Either run every site on %s (all ports) under the one account that owns HTTP/%s (the same app pool "
		"identity, or the computer account), or make clients put the port in the SPN and register it on the "
		"site's own account: enable FEATURE_INCLUDE_PORT_IN_SPN_KB908209 for iexplore.exe/the browser (Edge/"
		"Chrome: policy EnableAuthNegotiatePort) and run `setspn -S HTTP/%s:%u <site account>` (MIT: a "
		"keytab entry for HTTP/%s:%u). Check who owns the port-less SPN with `setspn -Q HTTP/%s`.",
		host, host, kf_rule_cmd_arg(ctx, host), port, host, port, kf_rule_cmd_arg(ctx, host));
	if (cause == PORTLESS_SAME_ACCOUNT)
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "%s (port %u) accepted a ticket for the port-less SPN %s@%s",
				    f->req->http->host, port, sname, realm),
			kf_rule_fmt(
				ctx,
				"The site listens on port %u and the client used a ticket for %s, without the port. It "
				"worked because the site on port %u shares the key of the account owning %s. It breaks "
				"as soon as that site runs under a different account (an app pool identity of its own, "
				"a separate keytab): the server then cannot decrypt the ticket (KRB_AP_ERR_MODIFIED).",
				port, sname, port, sname),
			fix,
		};
	bool key_err = cause == PORTLESS_OTHER_ACCOUNT;
	const char *why =
		key_err ? kf_rule_fmt(ctx, "the server %s and answered %s (%d) inside the 401 (frame %llu)",
				      f->code == 35 || f->code == 45 ? "has no key for that SPN at all"
								     : "could not decrypt it",
				      kf_rule_err_name(f->code), f->code, (unsigned long long)f->err_frame)
			: kf_rule_fmt(ctx, "the server answered 401 again (frame %llu)",
				      (unsigned long long)f->err_frame);
	return (struct kf_rule_words){
		kf_rule_fmt(ctx, "%s (port %u) rejected a ticket for the port-less SPN %s@%s: %s",
			    f->req->http->host, port, sname, realm,
			    key_err ? kf_rule_err_name(f->code) : "401"),
		kf_rule_fmt(
			ctx,
			"The site listens on port %u, but the client asked for and presented a ticket for %s, "
			"without the port (browsers and curl leave the port out of the SPN). That ticket is "
			"encrypted with the key of whichever account owns %s; %s: the site on port %u runs under "
			"another account (or has another key) than the owner of the port-less SPN.%s",
			port, sname, sname, why, port,
			f->ok_default ? kf_rule_fmt(ctx,
						    " The same ticket was accepted on the default port of "
						    "%s (frame %llu): the two sites use different keys.",
						    host, (unsigned long long)f->ok_default)
				      : ""),
		kf_rule_fmt(ctx, "%s%s", fix,
			    key_err ? ""
				    : " (Likely, not certain: the 401 carried no Kerberos error; the "
				      "server's log names the reason.)"),
	};
}

static void portless_emit(struct kf_rule_ctx *ctx, const struct portless_facts *f)
{
	struct kf_rule_verdict v = portless_verdict(f);
	if (v.cause < 0)
		return;
	struct kf_rule_words w = portless_words(ctx, f, v.cause);
	/* whom: the client, the site (address and port), the port-less SPN and
	 * the user the TGS exchange or the decrypted ticket names */
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->req->src, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->req->dst, true);
	kf_subject_principal(ctx, &b, KF_SUBJECT_SERVICE, f->sname, f->realm);
	kf_rule_subject_tgs(ctx, &b, f->tgs, f->tgs ? kf_msg_reply(r, f->tgs) : NULL);
	kf_rule_subject_ticket_user(ctx, &b, f->ap);
	kf_rule_emit(ctx, portless_causes, v, w, &f->e, &b);
}

static void rule_portless_spn(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		if (!kf_rule_is_http_req(req))
			continue;
		unsigned port = kf_rule_req_port(req);
		if (port == 80 || port == 443)
			continue;
		/* a forward proxy's SPN is HTTP/<proxy> whatever its port (3128,
		 * 8080): the port-less name is the convention, not a mistake, and the
		 * Host is the proxied site's */
		if (kf_rule_http_is_proxy(r, req))
			continue;
		const struct kf_message *ap = kf_rule_tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection);
		if (!ap || !ap->krb.ticket)
			continue;
		const char *sh = kf_rule_http_spn_host(ap->krb.ticket->sname);
		if (!sh || strchr(sh, ':'))
			continue; /* another service class, or the SPN has its port */
		char host[256];
		kf_rule_host_name(req->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&req->src, host, port)))
			continue;
		struct portless_facts f;
		portless_gather(r, req, ap, host, port, &f);
		portless_emit(ctx, &f);
	}
	kf_seen_free(&seen);
}

/* ---- ap-err-modified ----------------------------------------------------- */

enum aperr_cause {
	APERR_STALE_KVNO,      /* the service has no key of the ticket's kvno (44, or the keytab's kvnos) */
	APERR_SAME_KVNO_OTHER, /* the keytab's key of that kvno is not the KDC's */
	APERR_OTHER_ACCOUNT,   /* the ticket opens with another account's key: the SPN is on it */
	APERR_OTHER_KEYTAB,    /* the keytab given opens it: the service reads another */
	APERR_TGT_OTHER_KDC,   /* a KDC cannot decrypt a TGT of its own realm */
	APERR_TRUST_KEY,       /* a KDC cannot decrypt a referral TGT (inter-realm key) */
	APERR_UNDETERMINED,    /* the capture does not tell which key is wrong, or why */
};
static const char *const aperr_causes[] = { "stale-kvno",           "same-kvno-other-key",
					    "spn-on-other-account", "service-reads-other-keytab",
					    "tgt-from-other-kdc",   "trust-key-mismatch",
					    "undetermined",         NULL };

/* What the capture shows of one KRB-ERROR 31/41/44. */
struct aperr_facts {
	const struct kf_message *err;
	bool from_kdc;                     /* a KDC's answer to a TGS-REQ, not a service's */
	const struct kf_message *asked;    /* the request it answers */
	const struct kf_message *req;      /* ... when it carried the ticket: the AP-REQ or TGS-REQ */
	const struct kf_message *http_req; /* the HTTP request of a service's AP-REQ */
	const struct kf_ticket_rec *t;     /* the ticket */
	const struct kf_message *issued;   /* the TGS-REP that issued it (named, not evidence) */
	const struct kf_dec_ticket *dec;   /* --keytab: what opening it showed */
};

/* The latest reply to req's client before req that issued a ticket for
 * t's sname: a TGS-REP, or an AS-REP too when as_too. */
static const struct kf_message *issuer_of(const struct kf_result *r, const struct kf_message *req,
					  const struct kf_ticket_rec *t, bool as_too)
{
	const struct kf_message *issued = NULL;
	if (!t || !req)
		return NULL;
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, 0);
	for (size_t j = 0; j < at.n && KF_AT_ADDR_MSG(r, at.v[j])->frame < req->frame; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if ((m->type == KF_KRB_TGS_REP || (as_too && m->type == KF_KRB_AS_REP)) && m->krb.ticket &&
		    kf_endpoint_same_addr(&m->dst, &req->src) &&
		    kf_name_eq_nocase(m->krb.ticket->sname, t->sname))
			issued = m;
	}
	return issued;
}

/* The facts of err, a KRB-ERROR 31/41/44; false when it is not this rule's
 * (a KDC's answer to anything but a TGS-REQ, or one the client recovered from). */
static bool aperr_gather(const struct kf_result *r, const struct kf_message *err, struct aperr_facts *f)
{
	memset(f, 0, sizeof *f);
	f->err = err;
	if (err->carrier == KF_CARRIER_KERBEROS && kf_error_recovered(r, err))
		return false;
	f->asked = kf_msg_request(r, err);
	if (kf_msg_in_app_protocol(err)) {
		/* from a service: the token it answers, when an AP-REQ, and that token's HTTP request */
		f->req = f->asked && f->asked->type == KF_KRB_AP_REQ ? f->asked : NULL;
		f->http_req =
			f->asked ? kf_rule_http_at(r, f->asked->frame, KF_MSG_HTTP_REQUEST, err->connection)
				 : NULL;
	} else {
		/* From a KDC: only a TGS-REQ whose TGT it cannot decrypt.  An
		 * AS-REQ answered 31 is MIT's wrong password (PREAUTH_FAILED),
		 * the krb5 rules' business. */
		f->req = f->asked;
		if (!f->req || f->req->type != KF_KRB_TGS_REQ)
			return false;
	}
	f->from_kdc = err->carrier == KF_CARRIER_KERBEROS;
	f->t = f->req ? f->req->krb.ticket : NULL;
	f->issued = issuer_of(r, f->req, f->t, false);
	f->dec = f->req && f->req->dec ? f->req->dec->ticket : NULL;
	return true;
}

/* The keytab given to krbflow has keys of the ticket's principal, none of its kvno. */
static bool keytab_lacks_kvno(const struct kf_dec_ticket *d)
{
	bool kvno_known = false;
	for (unsigned i = 0; i < d->n_keytab; i++)
		kvno_known |= d->keytab_kvnos[i] == d->kvno;
	return d->n_keytab && d->kvno && !kvno_known;
}

static struct kf_rule_verdict aperr_verdict(const struct aperr_facts *f)
{
	struct kf_rule_verdict v = { APERR_UNDETERMINED, KF_SEV_ERROR, KF_CONF_CERTAIN };
	const struct kf_dec_ticket *d = f->dec;
	if (f->from_kdc) {
		/* krbtgt/REALM@REALM is the KDC's own; krbtgt/OTHER@REALM a referral */
		const char *tgt_for = f->t ? kf_sname_krbtgt_realm(f->t->sname) : NULL;
		if (tgt_for)
			v.cause = kf_name_eq_nocase(tgt_for, f->t->realm) ? APERR_TGT_OTHER_KDC
									  : APERR_TRUST_KEY;
	} else if (d && d->status == KF_OPEN_OK) {
		v.cause = d->other_principal ? APERR_OTHER_ACCOUNT : APERR_OTHER_KEYTAB;
	} else if (d && d->status == KF_OPEN_WRONG_KEY) {
		v.cause = APERR_SAME_KVNO_OTHER;
	} else if ((d && keytab_lacks_kvno(d)) || f->err->krb.error_code == KRB_AP_ERR_BADKEYVER) {
		v.cause = APERR_STALE_KVNO;
	}
	return v;
}

/* With --keytab: what opening the rejected ticket showed, as a short cause
 * for the summary and a sentence for the explanation.  NULL without keys. */
static const char *keytab_verdict(struct kf_rule_ctx *ctx, const struct kf_dec_ticket *d, const char **cause)
{
	*cause = NULL;
	if (!d)
		return NULL;
	if (d->status == KF_OPEN_OK && d->other_principal) {
		*cause = kf_rule_fmt(ctx, "the ticket is encrypted for another account (%s)",
				     d->key.principal);
		return kf_rule_fmt(
			ctx,
			"Decrypted with the keytab given to krbflow, the ticket opens only with the key of %s (kvno %u), "
			"not with a key of %s: the KDC encrypted it for that account, so the SPN belongs to it (a duplicate "
			"SPN, or the SPN on the wrong account).",
			d->key.principal, d->key.kvno, d->server);
	}
	if (d->status == KF_OPEN_OK) {
		*cause = "the keytab given to krbflow opens it: the service reads another keytab";
		return kf_rule_fmt(
			ctx,
			"The keytab given to krbflow (%s) opens the ticket with %s kvno %u, so that keytab is right and "
			"the service is not using it: check which keytab the service reads (KRB5_KTNAME, "
			"GssapiCredStore, KrbServiceName/Krb5Keytab, /etc/krb5.keytab) and the account it runs as.",
			d->key.keytab ? d->key.keytab : "?", d->key.principal, d->key.kvno);
	}
	if (d->status == KF_OPEN_WRONG_KEY)
		*cause = "the keytab's key is not the KDC's (same kvno, other key)";
	else if (keytab_lacks_kvno(d))
		*cause = kf_rule_fmt(ctx, "stale keytab: it has kvno %u, the ticket kvno %u",
				     d->keytab_kvnos[0], d->kvno);
	return kf_rule_fmt(ctx, "Decrypting with the keytab given to krbflow: %s.",
			   d->why                           ? d->why
			   : d->status == KF_OPEN_WRONG_KEY ? "wrong key"
							    : "no key");
}

/* The words of ap-err-modified: what the KDC or the service answered (its
 * usual causes, when the capture does not tell), and what the keytab showed. */
static struct kf_rule_words aperr_words(struct kf_rule_ctx *ctx, const struct aperr_facts *f)
{
	const struct kf_message *err = f->err;
	const struct kf_ticket_rec *t = f->t;
	char srv[64];
	kf_endpoint_addr(&err->src, srv, sizeof srv);
	const char *sname = t ? t->sname : err->krb.sname ? err->krb.sname : "?";
	const char *realm = t ? t->realm : err->krb.realm ? err->krb.realm : "?";
	const char *tinfo =
		t ? kf_rule_fmt(ctx, "ticket for %s@%s, %s%s", t->sname, t->realm, etype_name(t->etype),
				t->has_kvno ? kf_rule_fmt(ctx, ", kvno %u", t->kvno) : "")
		  : "ticket not visible in the capture";
	const struct kf_result *r = kf_rule_result(ctx);
	bool proxy = f->http_req && kf_rule_http_is_proxy(r, f->http_req);
	char pname[256] = "";
	if (proxy)
		kf_rule_http_proxy_name(r, f->http_req, pname, sizeof pname);
	/* a proxy is named as such, with its port; never by the proxied site's Host */
	const char *where = proxy ? kf_rule_fmt(ctx, "%s:%u (%s)", srv, f->http_req->dst.port, pname)
			    : f->http_req && f->http_req->http->host
				    ? kf_rule_fmt(ctx, "%s (Host %s)", srv, f->http_req->http->host)
				    : kf_rule_fmt(ctx, "%s", srv);
	const char *reason, *fix;
	if (f->from_kdc) {
		reason = kf_rule_fmt(
			ctx,
			"The KDC could not decrypt the ticket presented in the TGS-REQ (%s): a TGT issued by another "
			"KDC whose krbtgt key differs (a read-only DC's own krbtgt_NNNNN account, a krbtgt password "
			"reset that has not replicated), or a referral ticket encrypted with an inter-realm trust key "
			"the two realms no longer share.",
			t ? t->sname : "?");
		fix = "Check replication of the krbtgt account between the domain controllers (`repadmin /showrepl`), "
		      "reset the trust password on both sides if the ticket is a referral (`netdom trust /resetOneSide` "
		      "or the trust's properties), then `klist purge` on the client to get a new TGT.";
	} else if (err->krb.error_code == KRB_AP_ERR_BADKEYVER) {
		reason = kf_rule_fmt(
			ctx,
			"The service's keytab has no key with the ticket's key version%s: the account's password or "
			"keys were changed in the KDC (kvno bumped) after the keytab was exported, so the keytab is "
			"stale.",
			t && t->has_kvno ? kf_rule_fmt(ctx, " (kvno %u)", t->kvno) : "");
		fix = kf_rule_fmt(
			ctx,
			"Re-export the keytab for %s with the current key and install it on the server (MIT: "
			"`kadmin -q \"ktadd -k /etc/krb5.keytab %s\"` (changes the key again unless -norandkey); AD: "
			"`ktpass -princ %s@%s -mapuser <account> -pass <password> -crypto AES256-SHA1 -ptype "
			"KRB5_NT_PRINCIPAL -out http.keytab`, which sets the account's password and so bumps the kvno "
			"again: every other keytab of that account is stale after it). Compare `kvno %s` on a client "
			"with `klist -kte <keytab>` on the server: the kvno must match.",
			sname, kf_rule_cmd_arg(ctx, sname), kf_rule_cmd_arg(ctx, sname),
			kf_rule_cmd_arg(ctx, realm), kf_rule_cmd_arg(ctx, sname));
	} else if (kf_rule_is_smb(err)) {
		const char *slash = strchr(sname, '/');
		const char *host = slash ? slash + 1 : sname;
		reason = kf_rule_fmt(
			ctx,
			"The SMB server could not decrypt the ticket with the key it has for %s. A Windows file server "
			"decrypts cifs/ tickets with its computer account's key, so the KDC encrypted this one for "
			"another account or another key: the name %s leads to another machine than the one that owns "
			"the SPN (a stale DNS record, a hosts-file entry, an alias or cluster name registered on "
			"another computer), the SPN (cifs/ or the HOST/ it maps to) is registered on two accounts, or "
			"the server's computer account password is out of step with the domain (a restored snapshot, "
			"a machine reinstalled under the same name; a Samba server's keytab not re-exported).",
			sname, host);
		fix = kf_rule_fmt(
			ctx,
			"Check that %s resolves to this server (`nslookup %s`), find the account that owns the SPN "
			"(`setspn -Q cifs/%s` and `setspn -Q HOST/%s`: Active Directory finds cifs/ through HOST/; "
			"`setspn -X` lists duplicates, `setspn -D` removes the wrong one), and check the server's "
			"secure channel on the server (`nltest /sc_verify:<domain>`, `Test-ComputerSecureChannel "
			"-Repair`; Samba: `net ads testjoin`, then `net ads keytab create`). Then purge the client's "
			"tickets (`klist purge`; for a computer's own connections `klist -li 0x3e7 purge`) and "
			"connect again.",
			host, kf_rule_cmd_arg(ctx, host), kf_rule_cmd_arg(ctx, host),
			kf_rule_cmd_arg(ctx, host));
	} else {
		reason = kf_rule_fmt(
			ctx,
			"The service could not decrypt the ticket with the key it has for %s: the ticket was "
			"encrypted with the key of the account that owns the SPN in the KDC, and the service runs "
			"with another key. Usual causes: the SPN is registered on two accounts (duplicate SPN) or on "
			"an account other than the one the service runs as (IIS app pool identity not the SPN owner; "
			"kernel-mode authentication, which decrypts with the computer account, while the SPN is on a "
			"user account), or a keytab with the same kvno but another key (password reset and the keytab "
			"not re-exported).",
			sname);
		fix = kf_rule_fmt(
			ctx,
			"Find the owner of the SPN: `setspn -Q %s` (and `setspn -X` for duplicates; remove the wrong "
			"one with `setspn -D %s <account>`). Run the service as that account, or move the SPN to the "
			"account it runs as (`setspn -S %s <account>`). On IIS with a domain account as app pool "
			"identity and kernel-mode authentication, set useAppPoolCredentials=\"true\" on "
			"windowsAuthentication. For a keytab (Apache, Linux): re-export it with the current key and "
			"check it with `klist -kte`. Then `klist purge` on the client.",
			kf_rule_cmd_arg(ctx, sname), kf_rule_cmd_arg(ctx, sname),
			kf_rule_cmd_arg(ctx, sname));
	}
	const char *kt_cause;
	const char *kt = keytab_verdict(ctx, f->dec, &kt_cause);
	int32_t code = err->krb.error_code;
	return (struct kf_rule_words){
		kf_rule_fmt(ctx, "%s%s rejected the ticket for %s@%s: %s (%d)%s%s%s",
			    proxy ? "the proxy " : "", where, sname, realm, kf_rule_err_name(code), code,
			    t && t->has_kvno
				    ? kf_rule_fmt(ctx, ", ticket kvno %u %s", t->kvno, etype_name(t->etype))
				    : "",
			    kt_cause ? ": " : "", kt_cause ? kt_cause : ""),
		kf_rule_fmt(ctx, "%s%s answered %s (%d) to the AP-REQ in frame %llu (%s%s). %s%s%s",
			    proxy                             ? "The forward proxy at "
			    : err->carrier == KF_CARRIER_HTTP ? "The web server "
			    : kf_rule_is_smb(err)             ? "The SMB server "
							      : "The service ",
			    where, kf_rule_err_name(code), code,
			    (unsigned long long)(f->asked ? f->asked->frame : 0), tinfo,
			    f->issued ? kf_rule_fmt(ctx, ", issued by the KDC in frame %llu",
						    (unsigned long long)f->issued->frame)
				      : "",
			    reason, kt ? " " : "", kt ? kt : ""),
		fix,
	};
}

static void aperr_emit(struct kf_rule_ctx *ctx, const struct aperr_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	const struct kf_message *err = f->err;
	struct kf_evidence e = { .n = 0 };
	kf_evidence_add(&e, err->frame);
	kf_evidence_add_msg(&e, f->req);
	/* whom: the client, the service or KDC that refused, the ticket's
	 * service, the user it was issued to */
	struct kf_subject_b b = { .n = { 0 } };
	struct kf_endpoint client = kf_rule_client_of(err);
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &client, false);
	kf_subject_addr(ctx, &b, f->from_kdc ? KF_SUBJECT_KDC : KF_SUBJECT_SERVER, &err->src, !f->from_kdc);
	if (f->t)
		kf_subject_principal(ctx, &b, KF_SUBJECT_SERVICE, f->t->sname, f->t->realm);
	else
		kf_subject_principal(ctx, &b, KF_SUBJECT_SERVICE, err->krb.sname, err->krb.realm);
	const struct kf_message *issuer = issuer_of(r, f->req, f->t, true);
	if (issuer)
		kf_subject_principal(ctx, &b, KF_SUBJECT_USER, issuer->krb.cname,
				     issuer->krb.crealm ? issuer->krb.crealm : issuer->krb.realm);
	kf_rule_subject_ticket_user(ctx, &b, f->req);
	kf_subject_principal(ctx, &b, KF_SUBJECT_USER, err->krb.cname,
			     err->krb.crealm ? err->krb.crealm : err->krb.realm);
	kf_rule_emit(ctx, aperr_causes, aperr_verdict(f), aperr_words(ctx, f), &e, &b);
}

static void rule_ap_err_modified(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *err = &r->messages[i];
		struct aperr_facts f;
		if (err->type == KF_KRB_ERROR && kf_rule_is_key_error(err->krb.error_code) &&
		    aperr_gather(r, err, &f))
			aperr_emit(ctx, &f);
	}
}

/* ---- cname-spn ------------------------------------------------------------ */

enum cname_cause {
	CNAME_CANONICAL_SPN, /* the client used the SPN of the canonical name */
	CNAME_ALIAS_UNKNOWN, /* it asked for the alias's SPN, which the KDC does not know */
};
static const char *const cname_causes[] = { "canonical-spn", "alias-spn-unknown", NULL };

/* What the capture shows of one client's requests to one Host name. */
struct cname_facts {
	const struct kf_message *req; /* the first request */
	char host[256];
	const char *chain[KF_LIMIT_CNAME_HOPS]; /* the names DNS gave for it, in order */
	size_t nchain;
	const struct kf_message *canon;     /* a TGS-REQ for HTTP/<a name of the chain> */
	const struct kf_message *canon_ap;  /* else an AP-REQ with a ticket for one */
	const struct kf_message *alias_tgs; /* the first TGS-REQ for HTTP/<host> ... */
	const struct kf_message *alias_err; /* ... answered KDC_ERR_S_PRINCIPAL_UNKNOWN */
	struct kf_evidence e;
};

/* The CNAME chain of a DNS answer starting at name (names after it). */
static size_t cname_chain(const struct kf_dns_rec *d, const char *name, const char **out, size_t max)
{
	size_t n = 0;
	const char *cur = name;
	for (size_t hop = 0; hop < KF_LIMIT_CNAME_HOPS && n < max; hop++) {
		const char *next = NULL;
		for (size_t a = 0; a < d->n_answers; a++)
			if (d->answers[a].type == 5 && d->answers[a].data &&
			    kf_host_eq(d->answers[a].name, cur))
				next = d->answers[a].data;
		if (!next)
			break;
		out[n++] = next;
		cur = next;
	}
	return n;
}

/* Is sname HTTP/<a name of the chain>? */
static bool cname_for_chain(const struct cname_facts *f, const char *sname)
{
	for (size_t k = 0; k < f->nchain; k++)
		if (kf_rule_spn_host_is(sname, f->chain[k]))
			return true;
	return false;
}

/* The facts of req's client and Host name; false when no DNS answer to the
 * client made the name an alias. */
static bool cname_gather(const struct kf_result *r, const struct kf_message *req, const char *host,
			 struct cname_facts *f)
{
	memset(f, 0, sizeof *f);
	f->req = req;
	snprintf(f->host, sizeof f->host, "%s", host);
	/* A DNS answer to this client turning the Host's name into an alias. */
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, 0);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *d = KF_AT_ADDR_MSG(r, at.v[j]);
		if (d->type != KF_MSG_DNS || !d->dns || !kf_endpoint_same_addr(&d->dst, &req->src) ||
		    !kf_host_eq(d->dns->query, host))
			continue;
		const char *c[KF_LIMIT_CNAME_HOPS];
		size_t n = cname_chain(d->dns, host, c, KF_LIMIT_CNAME_HOPS);
		if (!n)
			continue;
		kf_evidence_add(&f->e, d->frame);
		if (n > f->nchain) {
			memcpy(f->chain, c, n * sizeof *c);
			f->nchain = n;
		}
	}
	if (!f->nchain)
		return false;
	kf_evidence_add(&f->e, req->frame);
	/* Tickets asked for: the canonical name, or the alias refused? */
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (m->carrier != KF_CARRIER_KERBEROS || m->type != KF_KRB_TGS_REQ ||
		    !kf_endpoint_same_addr(&m->src, &req->src))
			continue;
		if (!f->canon && cname_for_chain(f, m->krb.sname))
			f->canon = m;
		if (kf_rule_spn_host_is(m->krb.sname, host)) {
			const struct kf_message *rep = kf_msg_reply(r, m);
			if (rep && rep->type == KF_KRB_ERROR &&
			    rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN) {
				if (!f->alias_err) {
					f->alias_tgs = m;
					f->alias_err = rep;
				}
				kf_evidence_add(&f->e, m->frame);
				kf_evidence_add(&f->e, rep->frame);
			}
		}
	}
	/* Also a ticket for the canonical name presented without a TGS in the capture. */
	for (size_t j = 0; j < at.n && !f->canon && !f->canon_ap; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (m->type == KF_KRB_AP_REQ && kf_msg_in_app_protocol(m) && m->krb.ticket &&
		    kf_endpoint_same_addr(&m->src, &req->src) && cname_for_chain(f, m->krb.ticket->sname))
			f->canon_ap = m;
	}
	if (f->canon) {
		kf_evidence_add(&f->e, f->canon->frame);
		kf_evidence_add_msg(&f->e, kf_msg_reply(r, f->canon));
	}
	return true;
}

/* cause -1: no finding. */
static struct kf_rule_verdict cname_verdict(const struct cname_facts *f)
{
	if (f->canon || f->canon_ap)
		return (struct kf_rule_verdict){ CNAME_CANONICAL_SPN, KF_SEV_INFO, KF_CONF_CERTAIN };
	if (f->alias_err)
		return (struct kf_rule_verdict){ CNAME_ALIAS_UNKNOWN, KF_SEV_WARNING, KF_CONF_CERTAIN };
	return (struct kf_rule_verdict){ -1, 0, 0 };
}

static struct kf_rule_words cname_words(struct kf_rule_ctx *ctx, const struct cname_facts *f, int cause)
{
	const char *host = f->host, *target = f->chain[f->nchain - 1];
	if (cause == CNAME_CANONICAL_SPN) {
		const char *spn = f->canon ? f->canon->krb.sname : f->canon_ap->krb.ticket->sname;
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "Host %s is a DNS alias (CNAME) of %s: the client used the SPN %s",
				    host, target, spn),
			kf_rule_fmt(
				ctx,
				"The request names %s, which DNS resolves through a CNAME to %s. The client "
				"canonicalised the name and asked for a ticket to %s, so the SPN must be registered for "
				"the canonical name, not the alias. This works, but depends on DNS: a client that does "
				"not canonicalise (MIT with dns_canonicalize_hostname = false, curl by default, browsers "
				"with FEATURE_USE_CNAME_FOR_SPN_KB911149 off, Chrome/Edge with "
				"DisableAuthNegotiateCnameLookup) asks for HTTP/%s instead, and changing the alias into "
				"an A record changes the SPN clients ask for.",
				host, target, spn, host),
			kf_rule_fmt(
				ctx,
				"Nothing is broken. To make it independent of DNS and of client settings, register the "
				"alias too on the same account: `setspn -S HTTP/%s <account that owns %s>`.",
				kf_rule_cmd_arg(ctx, host), spn),
		};
	}
	return (struct kf_rule_words){
		kf_rule_fmt(ctx,
			    "Host %s is a DNS alias (CNAME) of %s, but the client asked for HTTP/%s: "
			    "KDC_ERR_S_PRINCIPAL_UNKNOWN",
			    host, target, host),
		kf_rule_fmt(
			ctx,
			"The request names %s, which DNS resolves through a CNAME to %s (frame %llu). The client "
			"did not canonicalise the name and asked the KDC for a ticket to HTTP/%s, which no account "
			"has (KDC_ERR_S_PRINCIPAL_UNKNOWN, frame %llu); the SPN is presumably registered for the "
			"canonical name HTTP/%s. Kerberos authentication to the alias fails (the client gets a "
			"401, or falls back to NTLM where it can).",
			host, target, (unsigned long long)f->e.f[0], host,
			(unsigned long long)f->alias_err->frame, target),
		kf_rule_fmt(
			ctx,
			"Register the alias on the account that runs the site: `setspn -S HTTP/%s <account>` "
			"(MIT: add HTTP/%s to the server's keytab), or use the canonical name %s in URLs, or make "
			"clients canonicalise (MIT krb5.conf dns_canonicalize_hostname = true; IE "
			"FEATURE_USE_CNAME_FOR_SPN_KB911149). Prefer an A record over a CNAME for web sites that "
			"use Kerberos.",
			kf_rule_cmd_arg(ctx, host), host, target),
	};
}

static void cname_emit(struct kf_rule_ctx *ctx, const struct cname_facts *f)
{
	struct kf_rule_verdict v = cname_verdict(f);
	if (v.cause < 0)
		return;
	/* whom: the client, the web server, the SPN it used (or the alias's it
	 * asked for), the KDC and the user of that exchange */
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->req->src, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->req->dst, true);
	if (v.cause == CNAME_CANONICAL_SPN && f->canon) {
		kf_rule_subject_tgs(ctx, &b, f->canon, kf_msg_reply(r, f->canon));
	} else if (v.cause == CNAME_CANONICAL_SPN) {
		kf_subject_principal(ctx, &b, KF_SUBJECT_SERVICE, f->canon_ap->krb.ticket->sname,
				     f->canon_ap->krb.ticket->realm);
		kf_rule_subject_ticket_user(ctx, &b, f->canon_ap);
	} else {
		kf_rule_subject_tgs(ctx, &b, f->alias_tgs, f->alias_err);
	}
	kf_rule_emit(ctx, cname_causes, v, cname_words(ctx, f, v.cause), &f->e, &b);
}

static void rule_cname_spn(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		if (!kf_rule_is_http_req(req) || !req->http->host)
			continue;
		if (kf_rule_http_is_proxy(r, req))
			continue; /* the Host is the proxied site's, not the name the SPN came from */
		char host[256];
		kf_rule_host_name(req->http->host, host, sizeof host);
		if (!host[0] || kf_rule_is_ip_literal(host))
			continue;
		/* What follows depends only on (client, host): judge each pair once,
		 * at its first request. */
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&req->src, host, 0)))
			continue;
		struct cname_facts f;
		if (cname_gather(r, req, host, &f))
			cname_emit(ctx, &f);
	}
	kf_seen_free(&seen);
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_http_spn[] = {
	{ { "ntlm-fallback", KF_SEV_WARNING, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "HTTP Negotiate, SMB to a server offering Kerberos, or an LDAP/DCE-RPC bind or SQL login where "
	    "Kerberos was there to use, ended up as NTLM (and why Kerberos was not used)",
	    kf_ntlm_fallback_causes },
	  kf_rule_ntlm_fallback },
	{ { "portless-spn", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "a site on a non-default port used the port-less HTTP/host SPN", portless_causes },
	  rule_portless_spn },
	{ { "ap-err-modified", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "a service could not decrypt the ticket (KRB_AP_ERR_MODIFIED / BAD_INTEGRITY / BADKEYVER)",
	    aperr_causes },
	  rule_ap_err_modified },
	{ { "cname-spn", KF_SEV_INFO, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "the Host name is a DNS alias: the SPN was built from the canonical name, or the alias has none",
	    cname_causes },
	  rule_cname_spn },
};
const size_t kf_rules_http_spn_count = sizeof kf_rules_http_spn / sizeof kf_rules_http_spn[0];
