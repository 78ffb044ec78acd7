/* decrypt.c - the --keytab pass (see decrypt.h): kf_krb5_open() on every
 * Kerberos message in capture order, the opened parts promoted into arena
 * records, and one sentence for each part that stayed closed. */
#include "decrypt.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "krb5.h"
#include "result.h"

struct pass {
	struct kf_result *res;
	struct kf_arena *a;
	struct kf_keyring *kr;
	struct kf_decryption *acc;
	struct kf_events ev;
	bool fail; /* out of memory */
};

static const char *dup(struct pass *p, const char *s)
{
	if (!s || !*s)
		return NULL;
	const char *d = kf_arena_strndup(p->a, s, strlen(s));
	if (!d)
		p->fail = true;
	return d;
}

static void *zalloc(struct pass *p, size_t n)
{
	void *v = kf_arena_zalloc(p->a, n);
	if (!v)
		p->fail = true;
	return v;
}

static const char *etype_text(int32_t etype, char *buf, size_t len)
{
	const char *n = kf_krb5_etype_name(etype);
	if (n)
		return n;
	snprintf(buf, len, "etype-%d", (int)etype);
	return buf;
}

static void key_rec(struct pass *p, uint32_t id, struct kf_dec_key *out)
{
	struct kf_key_info ki;
	if (!id || !kf_keyring_key_info(p->kr, id, &ki))
		return;
	out->origin = (uint8_t)ki.origin;
	out->principal = dup(p, ki.principal);
	out->keytab = dup(p, ki.keytab);
	out->kvno = ki.kvno;
	out->etype = ki.etype;
	out->frame = ki.frame;
}

static void count(struct pass *p, enum kf_open_status s)
{
	if (s == KF_OPEN_NONE)
		return;
	p->acc->by_status[s]++;
	if (s == KF_OPEN_OK)
		p->acc->opened++;
	else
		p->acc->failed++;
}

static void failure(struct pass *p, uint64_t frame, const char *part, enum kf_open_status s,
		    const char *reason)
{
	if (p->acc->n_failures >= KF_LIMIT_DECRYPT_FAILURES) {
		p->acc->failures_dropped++;
		return;
	}
	struct kf_dec_failure *f = &p->acc->failures[p->acc->n_failures++];
	f->frame = frame;
	f->part = part;
	f->status = (uint8_t)s;
	f->reason = dup(p, reason);
}

static struct kf_dec_pac *pac_rec(struct pass *p, const struct kf_pac *x)
{
	struct kf_dec_pac *o = zalloc(p, sizeof *o);
	if (!o)
		return NULL;
	o->n_types = x->n_types;
	o->types = zalloc(p, (x->n_types ? x->n_types : 1) * sizeof *o->types);
	if (o->types)
		memcpy(o->types, x->types, x->n_types * sizeof *o->types);
	if (x->has_logon_info) {
		o->logon_user = dup(p, x->logon_user);
		o->logon_domain = dup(p, x->logon_domain);
		o->logon_full_name = dup(p, x->logon_full_name);
		o->user_sid = dup(p, x->user_sid);
		o->primary_group_rid = x->primary_group_rid;
		o->user_account_control = x->user_account_control;
		o->user_flags = x->user_flags;
		o->n_groups = x->n_groups;
		o->n_extra_sids = x->n_extra_sids;
		o->n_sids = x->n_sids;
		o->sids = zalloc(p, (x->n_sids ? x->n_sids : 1) * sizeof *o->sids);
		for (unsigned i = 0; o->sids && i < x->n_sids; i++)
			o->sids[i] = dup(p, x->sids[i]);
	}
	if (x->has_client_info) {
		o->client_name = dup(p, x->client_name);
		o->client_time = x->client_time;
	}
	if (x->has_upn_dns) {
		o->upn = dup(p, x->upn);
		o->dns_domain = dup(p, x->dns_domain);
		o->upn_flags = x->upn_flags;
		o->upn_sam_name = dup(p, x->upn_sam_name);
		o->upn_sid = dup(p, x->upn_sid);
	}
	if (x->has_s4u_delegation) {
		o->s4u_proxy_target = dup(p, x->s4u_proxy_target);
		o->n_transited = x->n_transited;
		o->n_transited_kept = x->n_transited_kept;
		o->transited =
			zalloc(p, (x->n_transited_kept ? x->n_transited_kept : 1) * sizeof *o->transited);
		for (unsigned i = 0; o->transited && i < x->n_transited_kept; i++)
			o->transited[i] = dup(p, x->transited[i]);
	}
	o->has_attributes = x->has_attributes;
	o->attributes = x->attributes;
	if (x->has_requestor)
		o->requestor_sid = dup(p, x->requestor_sid);
	o->complete = x->complete;
	return o;
}

/* Why a ticket stayed closed, in the terms of the fix. */
static void ticket_reason(struct pass *p, const struct kf_plain_ticket *t, char *buf, size_t len)
{
	char e1[32], e2[32];
	struct kf_keytab_view v;
	kf_keyring_principal_keys(p->kr, t->server, &v);
	if (t->status == KF_OPEN_WRONG_KEY) {
		snprintf(buf, len,
			 "the keytab's %s key of %s (kvno %u) fails the integrity check: it is not the key "
			 "the KDC encrypted the ticket with (the account's password or keys changed, or the "
			 "SPN belongs to another account)",
			 etype_text(t->etype, e1, sizeof e1), t->server, (unsigned)t->kvno);
		return;
	}
	if (v.n == 0) {
		snprintf(buf, len, "no key of %s in the keytabs", t->server);
		return;
	}
	bool has_etype = false, has_kvno = false;
	for (unsigned i = 0; i < v.n; i++) {
		has_etype |= v.etype[i] == t->etype;
		has_kvno |= v.kvno[i] == t->kvno;
	}
	if (t->kvno && !has_kvno) {
		snprintf(buf, len,
			 "the ticket is encrypted under kvno %u of %s; the keytab has kvno %u only (a stale "
			 "keytab: the key changed after it was written)",
			 (unsigned)t->kvno, t->server, (unsigned)v.kvno[0]);
		return;
	}
	if (!has_etype) {
		snprintf(buf, len, "the ticket is %s; the keytab has no %s key of %s (it has %s)",
			 etype_text(t->etype, e1, sizeof e1), etype_text(t->etype, e1, sizeof e1), t->server,
			 etype_text(v.etype[0], e2, sizeof e2));
		return;
	}
	snprintf(buf, len, "no key of %s opened the ticket", t->server);
}

static struct kf_dec_ticket *ticket_rec(struct pass *p, uint64_t frame, const char *part,
					const struct kf_plain_ticket *t)
{
	struct kf_dec_ticket *o = zalloc(p, sizeof *o);
	if (!o)
		return NULL;
	count(p, t->status);
	o->status = (uint8_t)t->status;
	o->server = dup(p, t->server);
	o->etype = t->etype;
	o->kvno = t->kvno;
	if (t->status != KF_OPEN_OK) {
		o->session_key_known = t->session_key_id != 0;
		struct kf_keytab_view v;
		kf_keyring_principal_keys(p->kr, t->server, &v);
		o->n_keytab = v.n;
		o->keytab_kvnos = zalloc(p, (v.n ? v.n : 1) * sizeof *o->keytab_kvnos);
		o->keytab_etypes = zalloc(p, (v.n ? v.n : 1) * sizeof *o->keytab_etypes);
		if (o->keytab_kvnos && o->keytab_etypes) {
			memcpy(o->keytab_kvnos, v.kvno, v.n * sizeof *v.kvno);
			memcpy(o->keytab_etypes, v.etype, v.n * sizeof *v.etype);
		}
		char why[512];
		ticket_reason(p, t, why, sizeof why);
		o->why = dup(p, why);
		failure(p, frame, part, t->status, why);
		return o;
	}
	key_rec(p, t->key_id, &o->key);
	o->other_principal = t->other_principal;
	o->flags = t->flags;
	o->cname = dup(p, t->cname);
	o->crealm = dup(p, t->crealm);
	o->transited = dup(p, t->transited);
	o->authtime = t->authtime;
	o->starttime = t->starttime;
	o->endtime = t->endtime;
	o->renew_till = t->renew_till;
	o->session_etype = t->session_etype;
	o->session_key_known = true;
	if (t->has_pac)
		o->pac = pac_rec(p, &t->pac);
	return o;
}

static struct kf_dec_cred *cred_rec(struct pass *p, uint64_t frame, const struct kf_plain_cred *c)
{
	struct kf_dec_cred *o = zalloc(p, sizeof *o);
	if (!o)
		return NULL;
	count(p, c->status);
	o->status = (uint8_t)c->status;
	o->etype = c->etype;
	o->n_tickets = c->n_tickets;
	key_rec(p, c->key_id, &o->key);
	if (c->status != KF_OPEN_OK) {
		failure(p, frame, "krb-cred", c->status,
			c->status == KF_OPEN_UNDECODABLE
				? "the forwarded credentials in the GSS checksum do not decode"
				: "neither the authenticator's subkey nor the ticket's session key opens the "
				  "forwarded credentials");
		return o;
	}
	o->n_info = c->n_info;
	o->info = zalloc(p, (c->n_info ? c->n_info : 1) * sizeof *o->info);
	for (unsigned i = 0; o->info && i < c->n_info; i++) {
		const struct kf_plain_cred_info *x = &c->info[i];
		struct kf_dec_cred_info *y = &o->info[i];
		y->sname = dup(p, x->sname);
		y->srealm = dup(p, x->srealm);
		y->pname = dup(p, x->pname);
		y->prealm = dup(p, x->prealm);
		y->has_flags = x->has_flags;
		y->flags = x->flags;
		y->endtime = x->endtime;
		y->key_etype = x->key_etype;
	}
	return o;
}

static struct kf_dec_auth *auth_rec(struct pass *p, uint64_t frame, const struct kf_plain_auth *x,
				    bool ticket_opened)
{
	struct kf_dec_auth *o = zalloc(p, sizeof *o);
	if (!o)
		return NULL;
	count(p, x->status);
	o->status = (uint8_t)x->status;
	if (x->status != KF_OPEN_OK) {
		/* a closed ticket already explains a closed authenticator */
		if (ticket_opened || x->status != KF_OPEN_NO_KEY)
			failure(p, frame, "authenticator", x->status,
				x->status == KF_OPEN_UNDECODABLE
					? "the authenticator decrypts but does not decode"
				: x->status == KF_OPEN_WRONG_KEY
					? "the ticket's session key does not open the authenticator"
					: "the ticket's session key is unknown");
		return o;
	}
	key_rec(p, x->key_id, &o->key);
	o->cname = dup(p, x->cname);
	o->crealm = dup(p, x->crealm);
	o->ctime = x->ctime;
	o->cusec = x->cusec;
	o->has_subkey = x->has_subkey;
	o->subkey_etype = x->subkey_etype;
	o->has_seq = x->has_seq;
	o->seq = x->seq;
	o->has_cksum = x->has_cksum;
	o->cksum_type = x->cksum_type;
	o->gss = x->gss;
	o->gss_flags = x->gss_flags;
	o->has_deleg = x->has_deleg;
	if (x->has_deleg)
		o->cred = cred_rec(p, frame, &x->cred);
	return o;
}

static struct kf_dec_rep *rep_rec(struct pass *p, const struct kf_message *m, const struct kf_plain *pl,
				  bool request_known)
{
	const struct kf_plain_rep *x = &pl->rep;
	struct kf_dec_rep *o = zalloc(p, sizeof *o);
	if (!o)
		return NULL;
	count(p, x->status);
	o->status = (uint8_t)x->status;
	if (x->status != KF_OPEN_OK) {
		char why[512];
		if (m->type == KF_KRB_AS_REP)
			snprintf(why, sizeof why, "%s of the client %s@%s in the keytabs",
				 x->status == KF_OPEN_WRONG_KEY ? "the reply does not open with the keys"
								: "no key",
				 m->krb.cname ? m->krb.cname : "?", m->krb.crealm ? m->krb.crealm : "?");
		else if (!request_known)
			snprintf(why, sizeof why, "its request is not in the capture or was not opened");
		else if (x->status == KF_OPEN_WRONG_KEY && pl->fast)
			snprintf(why, sizeof why,
				 "FAST-armoured exchange: the reply key is strengthened (RFC 6113 §5.4.3), "
				 "which krbflow does not derive");
		else if (x->status == KF_OPEN_WRONG_KEY)
			snprintf(why, sizeof why,
				 "neither the request's subkey nor its ticket's session key opens it");
		else
			snprintf(why, sizeof why,
				 "the request's session key is unknown (its ticket was not opened)");
		failure(p, m->frame, "enc-part", x->status, why);
		return o;
	}
	key_rec(p, x->key_id, &o->key);
	o->flags = x->flags;
	o->nonce = x->nonce;
	o->sname = dup(p, x->sname);
	o->srealm = dup(p, x->srealm);
	o->authtime = x->authtime;
	o->starttime = x->starttime;
	o->endtime = x->endtime;
	o->renew_till = x->renew_till;
	o->key_expiration = x->key_expiration;
	o->session_etype = x->session_etype;
	return o;
}

static struct kf_dec_ap_rep *ap_rep_rec(struct pass *p, uint64_t frame, const struct kf_plain_ap_rep *x)
{
	struct kf_dec_ap_rep *o = zalloc(p, sizeof *o);
	if (!o)
		return NULL;
	count(p, x->status);
	o->status = (uint8_t)x->status;
	if (x->status != KF_OPEN_OK) {
		failure(p, frame, "ap-rep", x->status,
			x->status == KF_OPEN_NO_KEY ? "the AP-REQ's session key is unknown"
						    : "the AP-REQ's keys do not open it");
		return o;
	}
	key_rec(p, x->key_id, &o->key);
	o->ctime = x->ctime;
	o->cusec = x->cusec;
	o->has_subkey = x->has_subkey;
	o->subkey_etype = x->subkey_etype;
	o->has_seq = x->has_seq;
	o->seq = x->seq;
	return o;
}

static struct kf_decrypted *message_rec(struct pass *p, const struct kf_message *m, const struct kf_plain *pl,
					bool request_known)
{
	struct kf_decrypted *d = zalloc(p, sizeof *d);
	if (!d)
		return NULL;
	d->fast = pl->fast;
	const char *tpart = m->type == KF_KRB_TGS_REQ                                 ? "tgs-req ticket"
			    : (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP) ? "issued ticket"
										      : "ticket";
	if (pl->ticket.status != KF_OPEN_NONE)
		d->ticket = ticket_rec(p, m->frame, tpart, &pl->ticket);
	if (pl->auth.status != KF_OPEN_NONE)
		d->auth = auth_rec(p, m->frame, &pl->auth, pl->ticket.status == KF_OPEN_OK);
	if (pl->rep.status != KF_OPEN_NONE)
		d->rep = rep_rec(p, m, pl, request_known);
	if (pl->ap_rep.status != KF_OPEN_NONE)
		d->ap_rep = ap_rep_rec(p, m->frame, &pl->ap_rep);
	if (pl->n_addl) {
		d->addl = zalloc(p, pl->n_addl * sizeof *d->addl);
		for (unsigned i = 0; d->addl && i < pl->n_addl; i++) {
			struct kf_dec_ticket *t = ticket_rec(p, m->frame, "additional ticket", &pl->addl[i]);
			if (t)
				d->addl[i] = *t;
		}
		d->n_addl = d->addl ? pl->n_addl : 0;
	}
	return d;
}

static bool is_encrypted_kind(int type)
{
	return type == KF_KRB_TGS_REQ || type == KF_KRB_AS_REP || type == KF_KRB_TGS_REP ||
	       type == KF_KRB_AP_REQ || type == KF_KRB_AP_REP;
}

static enum kf_status account(struct pass *p)
{
	struct kf_decryption *acc = zalloc(p, sizeof *acc);
	if (!acc)
		return KF_NOMEM;
	p->acc = acc;
	acc->failures = zalloc(p, KF_LIMIT_DECRYPT_FAILURES * sizeof *acc->failures);
	unsigned n = kf_keyring_keytab_count(p->kr);
	acc->keytabs = zalloc(p, (n ? n : 1) * sizeof *acc->keytabs);
	if (!acc->failures || !acc->keytabs)
		return KF_NOMEM;
	for (unsigned i = 0; i < n; i++) {
		uint32_t keys = 0;
		const char *f = kf_keyring_keytab(p->kr, i, &keys);
		acc->keytabs[i].file = dup(p, f);
		acc->keytabs[i].keys = keys;
		acc->keytabs[i].others_can_read = kf_keytab_others_can_read(f);
	}
	acc->n_keytabs = n;
	p->res->decryption = acc;
	return KF_OK;
}

enum kf_status kf_decrypt_messages(struct kf_result *res, struct kf_keyring *kr)
{
	struct pass p = { .res = res, .a = &res->arena, .kr = kr };
	if (account(&p) != KF_OK)
		return KF_NOMEM;
	/* the keys each request's reply is under, by message index */
	uint32_t(*reply_keys)[2] = kf_calloc(res->n_messages ? res->n_messages : 1, sizeof *reply_keys);
	struct kf_plain *pl = kf_malloc(sizeof *pl);
	if (!reply_keys || !pl) {
		kf_free(reply_keys);
		kf_free(pl);
		return KF_NOMEM;
	}
	for (size_t i = 0; i < res->n_messages && !p.fail; i++) {
		struct kf_message *m = &res->messages[i];
		if (!m->raw || !is_encrypted_kind(m->type))
			continue;
		const uint32_t *req_keys = NULL;
		bool request_known = false;
		if (m->type == KF_KRB_TGS_REP || m->type == KF_KRB_AP_REP) {
			const struct kf_message *q = kf_msg_request(res, m);
			if (q) {
				req_keys = reply_keys[q - res->messages];
				request_known = req_keys[0] || req_keys[1];
			}
		}
		if (!kf_krb5_open(kr, kf_span_make(m->raw, m->raw_len), m->type, req_keys, m->frame, pl,
				  &p.ev))
			continue;
		reply_keys[i][0] = pl->reply_keys[0];
		reply_keys[i][1] = pl->reply_keys[1];
		m->dec = message_rec(&p, m, pl, request_known);
	}
	kf_free(reply_keys);
	kf_free(pl);
	return p.fail ? KF_NOMEM : KF_OK;
}
