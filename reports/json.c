/* json.c - the JSON document of OUTPUT.md.
 * Top-level keys in the contract's order (--keytab adds "decryption" after
 * "capture"); keys inside objects sorted.
 *
 * Each element is built as a small tree of values in a bump arena, written
 * and dropped before the next, so memory stays that of one element however
 * many messages a capture has.  The tree and its writer are our own: with
 * jansson's (the reference: tests/unit/check_report_json.c reads our output
 * back with jansson and checks that jansson writes the same bytes) the report
 * took most of the run time on a large capture, in hash tables, per-string
 * checks, one callback per token and a heap sort per object. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#include "gss.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "ntlmssp.h"
#include "report.h"
#include "finding.h"
#include "stories.h"

#ifndef KRBFLOW_VERSION
#define KRBFLOW_VERSION "0.0.0"
#endif
#define KRBFLOW_SCHEMA 1

/* ---- values -------------------------------------------------------------- */

enum jv_type { JV_NULL, JV_TRUE, JV_FALSE, JV_INT, JV_STR, JV_OBJECT, JV_ARRAY };

typedef struct jv {
	enum jv_type type;
	struct jv *next;   /* the next member or element of its container */
	const char *key;   /* as an object member: a string literal */
	union {
		int64_t i;
		struct {
			const char *p;
			size_t n;
		} s;
		struct {
			struct jv *head, *tail;
			size_t n;
		} c;
	} u;
} jv;

/* An allocation failed somewhere in the element: it is not written. */
static int oom;

static void *bump_malloc(size_t n);

static jv *jv_new(enum jv_type t)
{
	jv *v = bump_malloc(sizeof(*v));
	if (!v) {
		oom = 1;
		return NULL;
	}
	memset(v, 0, sizeof *v);
	v->type = t;
	return v;
}

static jv *jv_object(void) { return jv_new(JV_OBJECT); }
static jv *jv_array(void) { return jv_new(JV_ARRAY); }
static jv *jv_null(void) { return jv_new(JV_NULL); }
static jv *jv_bool(bool b) { return jv_new(b ? JV_TRUE : JV_FALSE); }

static jv *jv_int(int64_t i)
{
	jv *v = jv_new(JV_INT);
	if (v)
		v->u.i = i;
	return v;
}

/* A copy of s (often a stack buffer); NULL s is a failure, as for jansson. */
static jv *jv_str(const char *s)
{
	if (!s) {
		oom = 1;
		return NULL;
	}
	size_t n = strlen(s);
	jv *v = jv_new(JV_STR);
	char *p = v ? bump_malloc(n + 1) : NULL;
	if (!p) {
		oom = 1;
		return NULL;
	}
	memcpy(p, s, n + 1);
	v->u.s.p = p;
	v->u.s.n = n;
	return v;
}

static void append(jv *c, jv *v)
{
	if (c->u.c.tail)
		c->u.c.tail->next = v;
	else
		c->u.c.head = v;
	c->u.c.tail = v;
	c->u.c.n++;
}

static void set(jv *o, const char *k, jv *v)
{
	if (!o || !v) {
		oom = 1;
		return;
	}
	v->key = k;
	append(o, v);
}

static void push(jv *a, jv *v)
{
	if (!a || !v) {
		oom = 1;
		return;
	}
	append(a, v);
}

static jv *str_or_null(const char *s) { return s ? jv_str(s) : jv_null(); }

static jv *time_us(uint64_t us)
{
	char b[40];
	kf_fmt_time_us(us, b, sizeof b);
	return jv_str(b);
}

static jv *time_s(int64_t s)
{
	char b[40];
	kf_fmt_time_s(s, b, sizeof b);
	return jv_str(b);
}

static jv *time_s_us(int64_t s, int32_t usec)
{
	char b[48];
	if (usec < 0 || usec > 999999)
		usec = 0;
	if (s < 0) {
		kf_fmt_time_s(s, b, sizeof b);
		return jv_str(b);
	}
	kf_fmt_time_us((uint64_t)s * 1000000u + (uint64_t)usec, b, sizeof b);
	return jv_str(b);
}

static jv *endpoint(const struct kf_endpoint *e)
{
	char b[64];
	kf_fmt_endpoint(e, b, sizeof b);
	return jv_str(b);
}

static jv *flag_names(uint32_t flags, const char *(*name)(unsigned bit))
{
	jv *a = jv_array();
	if (!a)
		return NULL;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(flags & (0x80000000u >> bit)))
			continue;
		char tmp[16];
		push(a, jv_str(kf_fmt_flag_name(bit, name, tmp, sizeof tmp)));
	}
	return a;
}

static jv *etype_obj(int32_t e)
{
	char b[24];
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "id", jv_int(e));
	set(o, "name", jv_str(kf_fmt_etype(e, b, sizeof b)));
	return o;
}

static jv *padata_list(const int32_t *types, unsigned n)
{
	jv *a = jv_array();
	for (unsigned i = 0; a && i < n; i++) {
		char b[24];
		push(a, jv_str(kf_fmt_padata(types[i], b, sizeof b)));
	}
	return a;
}

static jv *ticket_obj(const struct kf_ticket_rec *t)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "sname", jv_str(t->sname));
	set(o, "realm", jv_str(t->realm));
	set(o, "etype", etype_obj(t->etype));
	if (t->has_kvno)
		set(o, "kvno", jv_int(t->kvno));
	return o;
}

static void krb_fields(jv *o, const struct kf_message *m)
{
	const struct kf_krb_rec *k = &m->krb;
	char b[64];
	if (!k->complete)
		set(o, "complete", jv_bool(false));
	if (k->cname)
		set(o, "cname", jv_str(k->cname));
	if (k->crealm)
		set(o, "crealm", jv_str(k->crealm));
	if (k->sname)
		set(o, "sname", jv_str(k->sname));
	if (k->realm)
		set(o, "realm", jv_str(k->realm));
	if (k->has_kdc_options)
		set(o, "kdc_options", flag_names(k->kdc_options, kf_krb5_kdc_option_name));
	if (k->has_ap_options)
		set(o, "ap_options", flag_names(k->ap_options, kf_krb5_ap_option_name));
	if (k->n_etypes) {
		jv *a = jv_array();
		for (unsigned i = 0; a && i < k->n_etypes; i++)
			push(a, etype_obj(k->etypes[i]));
		set(o, "etypes", a);
	}
	if (k->has_nonce)
		set(o, "nonce", jv_int(k->nonce));
	if (k->has_from)
		set(o, "from", time_s(k->from));
	if (k->has_till)
		set(o, "till", time_s(k->till));
	if (k->has_rtime)
		set(o, "rtime", time_s(k->rtime));
	if (k->n_addresses) {
		jv *a = jv_array();
		for (unsigned i = 0; a && i < k->n_addresses; i++)
			push(a, jv_str(k->addresses[i]));
		set(o, "addresses", a);
	}
	if (k->n_padata)
		set(o, "padata", padata_list(k->padata, k->n_padata));
	if (k->s4u_user)
		set(o, "s4u_user", jv_str(k->s4u_user));
	if (k->has_pac_options)
		set(o, "pac_options", flag_names(k->pac_options, kf_krb5_pac_option_name));
	if (k->has_pac_request)
		set(o, "pac_request", jv_bool(k->pac_request));
	if (k->ticket)
		set(o, "ticket", ticket_obj(k->ticket));
	if (k->n_addl) {
		jv *a = jv_array();
		for (unsigned i = 0; a && i < k->n_addl; i++)
			push(a, ticket_obj(&k->addl[i]));
		set(o, "additional_tickets", a);
	}
	if (k->has_enc_etype)
		set(o, "enc_etype", etype_obj(k->enc_etype));
	if (m->type == KF_KRB_ERROR) {
		set(o, "error_code", jv_int(k->error_code));
		set(o, "error", jv_str(kf_fmt_error(k->error_code, b, sizeof b)));
		if (k->has_stime)
			set(o, "stime", time_s_us(k->stime, k->susec));
		if (k->has_ctime)
			set(o, "ctime", time_s_us(k->ctime, k->cusec));
		if (k->e_text)
			set(o, "e_text", jv_str(k->e_text));
		if (k->has_e_data)
			set(o, "e_data", jv_bool(true));
		if (k->n_etype_info) {
			jv *a = jv_array();
			for (unsigned i = 0; a && i < k->n_etype_info; i++) {
				jv *e = jv_object();
				if (e) {
					set(e, "etype", etype_obj(k->etype_info[i].etype));
					set(e, "salt", str_or_null(k->etype_info[i].salt));
				}
				push(a, e);
			}
			set(o, "etype_info2", a);
		}
		if (k->n_edata_padata)
			set(o, "e_data_padata", padata_list(k->edata_padata, k->n_edata_padata));
		if (k->has_ntstatus) {
			snprintf(b, sizeof b, "0x%08X", k->ntstatus);
			set(o, "ntstatus", jv_str(b));
			const char *nn = kf_krb5_ntstatus_name(k->ntstatus);
			if (nn)
				set(o, "ntstatus_name", jv_str(nn));
		}
	}
}

static jv *str_list(const char *const *v, unsigned n)
{
	jv *a = jv_array();
	for (unsigned i = 0; a && i < n; i++)
		push(a, jv_str(v[i]));
	return a;
}

static jv *frame_list(const uint64_t *f, size_t n)
{
	jv *a = jv_array();
	for (size_t i = 0; a && i < n; i++)
		push(a, jv_int((int64_t)f[i]));
	return a;
}

static void set_str(jv *o, const char *k, const char *v)
{
	if (v)
		set(o, k, jv_str(v));
}

static void http_fields(jv *o, const struct kf_http_rec *h)
{
	set_str(o, "method", h->method);
	set_str(o, "uri", h->uri);
	if (h->uri_truncated)
		set(o, "uri_truncated", jv_bool(true));
	set_str(o, "host", h->host);
	if (h->status)
		set(o, "status", jv_int(h->status));
	set_str(o, "auth_scheme", h->auth_scheme);
	if (h->n_challenges)
		set(o, "www_authenticate", str_list(h->www_authenticate, h->n_challenges));
	set(o, "header_bytes", jv_int(h->header_bytes));
	if (h->token_bytes)
		set(o, "token_bytes", jv_int(h->token_bytes));
	if (h->token_invalid)
		set(o, "token_invalid", jv_bool(true));
	if (h->proxy)
		set(o, "proxy", jv_bool(true));
	set_str(o, "persistent_auth", h->persistent_auth);
}

static jv *spnego_obj(const struct kf_spnego_rec *sp)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	if (sp->n_mech_types)
		set(o, "mech_types", str_list(sp->mech_types, sp->n_mech_types));
	if (sp->has_neg_state) {
		const char *n = kf_neg_state_name(sp->neg_state);
		set(o, "neg_state", n ? jv_str(n) : jv_int(sp->neg_state));
	}
	set_str(o, "supported_mech", sp->supported_mech);
	if (sp->mech_list_mic)
		set(o, "mech_list_mic", jv_bool(true));
	return o;
}

/* Flags counted from the least significant bit (NTLM NegotiateFlags, MS-NLMP
 * §2.2.2.5; GSS checksum flags, RFC 4121 §4.1.1.1); unnamed bits as "bit-N". */
static jv *lsb_flag_names(uint32_t flags, const char *(*name)(unsigned bit))
{
	jv *a = jv_array();
	for (unsigned bit = 0; a && bit < 32; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		char tmp[16];
		const char *n = name(bit);
		if (!n) {
			snprintf(tmp, sizeof tmp, "bit-%u", bit);
			n = tmp;
		}
		push(a, jv_str(n));
	}
	return a;
}

static jv *ntlm_flag_names(uint32_t flags) { return lsb_flag_names(flags, kf_ntlm_flag_name); }

static void ntlm_fields(jv *o, const struct kf_message *m)
{
	const struct kf_ntlm_rec *n = m->ntlm;
	set(o, "ntlm_flags", ntlm_flag_names(n->flags));
	set_str(o, "domain", n->domain);
	set_str(o, "user", n->user);
	set_str(o, "workstation", n->workstation);
	set_str(o, "target_name", n->target_name);
	if (m->type == KF_MSG_NTLM_CHALLENGE && (n->dns_domain || n->dns_computer || n->nb_domain || n->nb_computer)) {
		jv *ti = jv_object();
		if (ti) {
			set_str(ti, "dns_domain", n->dns_domain);
			set_str(ti, "dns_computer", n->dns_computer);
			set_str(ti, "nb_domain", n->nb_domain);
			set_str(ti, "nb_computer", n->nb_computer);
		}
		set(o, "target_info", ti);
	}
	if (m->type == KF_MSG_NTLM_AUTHENTICATE) {
		/* an anonymous AUTHENTICATE has no NT response: neither version */
		if (!n->anonymous)
			set(o, "ntlm_version", jv_str(n->ntlmv2 ? "NTLMv2" : "NTLMv1"));
		set(o, "mic", jv_bool(n->mic));
		if (n->anonymous)
			set(o, "anonymous", jv_bool(true));
	}
	if (n->has_version) {
		char v[32];
		snprintf(v, sizeof v, "%u.%u.%u", n->version_major, n->version_minor, n->version_build);
		set(o, "os_version", jv_str(v));
	}
}

static void dns_fields(jv *o, const struct kf_dns_rec *d)
{
	char b[16];
	set_str(o, "query", d->query);
	set(o, "qtype", jv_str(kf_fmt_dns_type(d->qtype, b, sizeof b)));
	if (d->rcode)
		set(o, "rcode", jv_int(d->rcode));
	jv *a = jv_array();
	for (unsigned i = 0; a && i < d->n_answers; i++) {
		jv *e = jv_object();
		if (e) {
			set(e, "type", jv_str(kf_fmt_dns_type(d->answers[i].type, b, sizeof b)));
			set_str(e, "name", d->answers[i].name);
			set_str(e, "data", d->answers[i].data);
		}
		push(a, e);
	}
	set(o, "answers", a);
}

/* ---- --keytab: what the encrypted parts said ---------------------------------
 * Names and numbers only: the records carry no key bytes, and nothing here
 * would print them. */

/* "name@realm" (either part may be absent); NULL when both are. */
static jv *princ_json(const char *name, const char *realm)
{
	if (!name && !realm)
		return NULL;
	size_t n = name ? strlen(name) : 0, m = realm ? strlen(realm) : 0, len = n + (realm ? 1 + m : 0);
	jv *v = jv_new(JV_STR);
	char *p = v ? bump_malloc(len + 1) : NULL;
	if (!p) {
		oom = 1;
		return NULL;
	}
	if (n)
		memcpy(p, name, n);
	if (realm) {
		p[n] = '@';
		memcpy(p + n + 1, realm, m);
	}
	p[len] = 0;
	v->u.s.p = p;
	v->u.s.n = len;
	return v;
}

static void set_princ(jv *o, const char *k, const char *name, const char *realm)
{
	if (name || realm)
		set(o, k, princ_json(name, realm));
}

static void set_time_s(jv *o, const char *k, int64_t s)
{
	if (s)
		set(o, k, time_s(s));
}

static jv *status_json(uint8_t s) { return jv_str(kf_open_status_name((enum kf_open_status)s)); }

/* The key that opened a part: where it came from, never its bytes. */
static jv *dec_key_obj(const struct kf_dec_key *k)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "origin", jv_str(kf_key_origin_name((enum kf_key_origin)k->origin)));
	set(o, "etype", etype_obj(k->etype));
	if (k->origin == KF_KEY_KEYTAB) {
		set_str(o, "principal", k->principal);
		set(o, "kvno", jv_int(k->kvno));
		set_str(o, "keytab", k->keytab);
	} else if (k->frame) {
		set(o, "learnt_in", jv_int((int64_t)k->frame));
	}
	return o;
}

static void set_key(jv *o, const struct kf_dec_key *k)
{
	if (k->origin)
		set(o, "key", dec_key_obj(k));
}

static jv *gss_flag_names(uint32_t flags) { return lsb_flag_names(flags, kf_fmt_gss_flag_name); }

static jv *pac_obj(const struct kf_dec_pac *p)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	jv *bufs = jv_array();
	for (unsigned i = 0; bufs && p->types && i < p->n_types; i++) {
		const char *n = kf_pac_buffer_name(p->types[i]);
		char tmp[24];
		if (!n) {
			snprintf(tmp, sizeof tmp, "type-%u", (unsigned)p->types[i]);
			n = tmp;
		}
		push(bufs, jv_str(n));
	}
	set(o, "buffers", bufs);
	if (p->logon_user || p->user_sid) {
		jv *l = jv_object();
		if (l) {
			set_str(l, "user", p->logon_user);
			set_str(l, "domain", p->logon_domain);
			set_str(l, "full_name", p->logon_full_name);
			set_str(l, "user_sid", p->user_sid);
			set(l, "primary_group_rid", jv_int(p->primary_group_rid));
			set(l, "user_account_control", jv_int(p->user_account_control));
			set(l, "user_flags", jv_int(p->user_flags));
			set(l, "groups", jv_int(p->n_groups));
			set(l, "extra_sids", jv_int(p->n_extra_sids));
			jv *s = jv_array();
			for (unsigned i = 0; s && p->sids && i < p->n_sids; i++)
				if (p->sids[i])
					push(s, jv_str(p->sids[i]));
			set(l, "sids", s);
		}
		set(o, "logon", l);
	}
	if (p->client_name) {
		jv *c = jv_object();
		if (c) {
			set(c, "name", jv_str(p->client_name));
			set_time_s(c, "time", p->client_time);
		}
		set(o, "client_info", c);
	}
	if (p->upn || p->dns_domain) {
		jv *u = jv_object();
		if (u) {
			set_str(u, "upn", p->upn);
			set_str(u, "dns_domain", p->dns_domain);
			set(u, "flags", jv_int(p->upn_flags));
			set_str(u, "sam_name", p->upn_sam_name);
			set_str(u, "sid", p->upn_sid);
		}
		set(o, "upn_dns", u);
	}
	if (p->s4u_proxy_target) {
		jv *d = jv_object();
		if (d) {
			set(d, "proxy_target", jv_str(p->s4u_proxy_target));
			jv *t = jv_array();
			for (unsigned i = 0; t && p->transited && i < p->n_transited_kept; i++)
				if (p->transited[i])
					push(t, jv_str(p->transited[i]));
			set(d, "transited", t);
			set(d, "transited_count", jv_int(p->n_transited));
		}
		set(o, "s4u_delegation", d);
	}
	if (p->has_attributes)
		set(o, "attributes", jv_int(p->attributes));
	set_str(o, "requestor_sid", p->requestor_sid);
	set(o, "complete", jv_bool(p->complete));
	return o;
}

static jv *dec_ticket_obj(const struct kf_dec_ticket *t)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "status", status_json(t->status));
	set_str(o, "server", t->server);
	set(o, "etype", etype_obj(t->etype));
	if (t->kvno)
		set(o, "kvno", jv_int(t->kvno));
	if (t->status != KF_OPEN_OK) {
		set(o, "session_key_known", jv_bool(t->session_key_known));
		jv *a = jv_array();
		for (unsigned i = 0; a && t->keytab_kvnos && t->keytab_etypes && i < t->n_keytab; i++) {
			jv *e = jv_object();
			if (e) {
				set(e, "kvno", jv_int(t->keytab_kvnos[i]));
				set(e, "etype", etype_obj(t->keytab_etypes[i]));
			}
			push(a, e);
		}
		set(o, "keytab_has", a);
		return o;
	}
	set_key(o, &t->key);
	if (t->other_principal)
		set(o, "other_principal", jv_bool(true));
	set(o, "flags", flag_names(t->flags, kf_krb5_ticket_flag_name));
	set_princ(o, "client", t->cname, t->crealm);
	set_time_s(o, "authtime", t->authtime);
	set_time_s(o, "starttime", t->starttime);
	set_time_s(o, "endtime", t->endtime);
	set_time_s(o, "renew_till", t->renew_till);
	set_str(o, "transited", t->transited);
	set(o, "session_etype", etype_obj(t->session_etype));
	if (t->pac)
		set(o, "pac", pac_obj(t->pac));
	return o;
}

static jv *dec_cred_obj(const struct kf_dec_cred *c)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "status", status_json(c->status));
	if (c->etype) /* 0: the credentials were sent unencrypted */
		set(o, "etype", etype_obj(c->etype));
	set(o, "tickets", jv_int(c->n_tickets));
	if (c->status != KF_OPEN_OK)
		return o;
	set_key(o, &c->key);
	jv *a = jv_array();
	for (unsigned i = 0; a && c->info && i < c->n_info; i++) {
		const struct kf_dec_cred_info *x = &c->info[i];
		jv *e = jv_object();
		if (e) {
			set_princ(e, "server", x->sname, x->srealm);
			set_princ(e, "client", x->pname, x->prealm);
			if (x->has_flags)
				set(e, "flags", flag_names(x->flags, kf_krb5_ticket_flag_name));
			set_time_s(e, "endtime", x->endtime);
			set(e, "key_etype", etype_obj(x->key_etype));
		}
		push(a, e);
	}
	set(o, "forwarded", a);
	return o;
}

/* A decrypted part's object: its status and, when opened, the key that did. */
static jv *dec_part_obj(uint8_t status, const struct kf_dec_key *key)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "status", status_json(status));
	if (status == KF_OPEN_OK)
		set_key(o, key);
	return o;
}

static jv *dec_auth_obj(const struct kf_dec_auth *x)
{
	jv *o = dec_part_obj(x->status, &x->key);
	if (!o || x->status != KF_OPEN_OK)
		return o;
	set_princ(o, "client", x->cname, x->crealm);
	set(o, "ctime", time_s_us(x->ctime, x->cusec));
	if (x->has_subkey)
		set(o, "subkey_etype", etype_obj(x->subkey_etype));
	if (x->has_seq)
		set(o, "seq", jv_int(x->seq));
	if (x->has_cksum)
		set(o, "checksum_type", jv_int(x->cksum_type));
	if (x->gss) {
		set(o, "gss_flags", gss_flag_names(x->gss_flags));
		set(o, "delegation", jv_bool(x->has_deleg));
	}
	if (x->has_deleg && x->cred)
		set(o, "krb_cred", dec_cred_obj(x->cred));
	return o;
}

static jv *dec_rep_obj(const struct kf_dec_rep *x)
{
	jv *o = dec_part_obj(x->status, &x->key);
	if (!o || x->status != KF_OPEN_OK)
		return o;
	set(o, "flags", flag_names(x->flags, kf_krb5_ticket_flag_name));
	set_princ(o, "server", x->sname, x->srealm);
	set_time_s(o, "authtime", x->authtime);
	set_time_s(o, "starttime", x->starttime);
	set_time_s(o, "endtime", x->endtime);
	set_time_s(o, "renew_till", x->renew_till);
	set_time_s(o, "key_expiration", x->key_expiration);
	set(o, "nonce", jv_int(x->nonce));
	set(o, "session_etype", etype_obj(x->session_etype));
	return o;
}

static jv *dec_ap_rep_obj(const struct kf_dec_ap_rep *x)
{
	jv *o = dec_part_obj(x->status, &x->key);
	if (!o || x->status != KF_OPEN_OK)
		return o;
	set(o, "ctime", time_s_us(x->ctime, x->cusec));
	if (x->has_subkey)
		set(o, "subkey_etype", etype_obj(x->subkey_etype));
	if (x->has_seq)
		set(o, "seq", jv_int(x->seq));
	return o;
}

static jv *decrypted_obj(const struct kf_decrypted *d)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	if (d->ticket)
		set(o, "ticket", dec_ticket_obj(d->ticket));
	if (d->auth)
		set(o, "authenticator", dec_auth_obj(d->auth));
	if (d->rep)
		set(o, "enc_part", dec_rep_obj(d->rep));
	if (d->ap_rep)
		set(o, "ap_rep", dec_ap_rep_obj(d->ap_rep));
	if (d->n_addl && d->addl) {
		jv *a = jv_array();
		for (unsigned i = 0; a && i < d->n_addl; i++)
			push(a, dec_ticket_obj(&d->addl[i]));
		set(o, "additional_tickets", a);
	}
	if (d->fast)
		set(o, "fast", jv_bool(true));
	return o;
}

/* The capture's account: keytabs read, parts opened, why the others stayed closed. */
static jv *decryption_obj(const struct kf_decryption *dc)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	jv *k = jv_array();
	for (size_t i = 0; k && dc->keytabs && i < dc->n_keytabs; i++) {
		jv *e = jv_object();
		if (e) {
			set(e, "file", str_or_null(dc->keytabs[i].file));
			set(e, "keys", jv_int(dc->keytabs[i].keys));
			set(e, "others_can_read", jv_bool(dc->keytabs[i].others_can_read));
		}
		push(k, e);
	}
	set(o, "keytabs", k);
	set(o, "opened", jv_int((int64_t)dc->opened));
	set(o, "failed", jv_int((int64_t)dc->failed));
	jv *bs = jv_object();
	if (bs) {
		set(bs, "decrypted", jv_int((int64_t)dc->by_status[KF_OPEN_OK]));
		set(bs, "no-key", jv_int((int64_t)dc->by_status[KF_OPEN_NO_KEY]));
		set(bs, "wrong-key", jv_int((int64_t)dc->by_status[KF_OPEN_WRONG_KEY]));
		set(bs, "undecodable", jv_int((int64_t)dc->by_status[KF_OPEN_UNDECODABLE]));
	}
	set(o, "by_status", bs);
	jv *f = jv_array();
	for (size_t i = 0; f && dc->failures && i < dc->n_failures; i++) {
		const struct kf_dec_failure *x = &dc->failures[i];
		jv *e = jv_object();
		if (e) {
			set(e, "frame", jv_int((int64_t)x->frame));
			set(e, "part", str_or_null(x->part));
			set(e, "status", status_json(x->status));
			set(e, "reason", str_or_null(x->reason));
		}
		push(f, e);
	}
	set(o, "failures", f);
	if (dc->failures_dropped)
		set(o, "failures_dropped", jv_int((int64_t)dc->failures_dropped));
	return o;
}

static jv *message_obj(const struct kf_result *r, const struct kf_message *m)
{
	char b[32];
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "frame", jv_int((int64_t)m->frame));
	if (r->multi == KF_MULTI_MERGE && m->file_frame && m->file < r->n_files) {
		set(o, "file", jv_str(r->files[m->file].name));
		set(o, "file_frame", jv_int((int64_t)m->file_frame));
	}
	set(o, "time", time_us(m->ts_us));
	set(o, "src", endpoint(&m->src));
	set(o, "dst", endpoint(&m->dst));
	set(o, "transport", jv_str(m->transport == KF_TRANSPORT_TCP ? "tcp" : "udp"));
	set(o, "carrier", jv_str(kf_fmt_carrier(m->carrier)));
	set(o, "type", jv_str(kf_fmt_type(m->type, b, sizeof b)));
	if (m->connection)
		set(o, "connection", jv_int(m->connection));
	if (m->first_frame && m->first_frame != m->frame)
		set(o, "first_frame", jv_int((int64_t)m->first_frame));
	if (m->ip_fragments > 1)
		set(o, "ip_fragments", jv_int(m->ip_fragments));
	const struct kf_message *reply = kf_msg_reply(r, m), *asked = kf_msg_request(r, m);
	if (reply) /* frames, as OUTPUT.md has them */
		set(o, "reply_in", jv_int((int64_t)reply->frame));
	if (asked)
		set(o, "reply_to", jv_int((int64_t)asked->frame));
	if (m->http)
		http_fields(o, m->http);
	else if (m->ntlm)
		ntlm_fields(o, m);
	else if (m->dns)
		dns_fields(o, m->dns);
	else
		krb_fields(o, m);
	if (m->spnego)
		set(o, "spnego", spnego_obj(m->spnego));
	if (m->dec)
		set(o, "decrypted", decrypted_obj(m->dec));
	return o;
}

static jv *addr_json(const struct kf_endpoint *e)
{
	char b[64];
	kf_fmt_addr(e, b, sizeof b);
	return jv_str(b);
}

static jv *story_obj(const struct kf_story *st)
{
	char b[64];
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "client", addr_json(&st->client));
	set(o, "user", str_or_null(st->user));
	set_str(o, "kdc", st->kdc);
	if (st->tgt_seen)
		set(o, "tgt_frame", jv_int((int64_t)st->tgt_frame));
	jv *sv = jv_array();
	for (size_t i = 0; sv && i < st->n_services; i++) {
		const struct kf_story_service *s = &st->services[i];
		jv *e = jv_object();
		if (e) {
			set(e, "sname", jv_str(s->sname));
			set(e, "realm", str_or_null(s->realm));
			set(e, "outcome", jv_str(s->outcome));
			if (s->error_code) {
				set(e, "error_code", jv_int(s->error_code));
				set(e, "error", jv_str(kf_fmt_error(s->error_code, b, sizeof b)));
			}
			set(e, "frames", frame_list(s->frames, s->n_frames));
		}
		push(sv, e);
	}
	set(o, "services", sv);
	jv *hv = jv_array();
	for (size_t i = 0; hv && i < st->n_http; i++) {
		const struct kf_story_http *h = &st->http[i];
		jv *e = jv_object();
		if (e) {
			set(e, "connection", jv_int(h->connection));
			set(e, "server", endpoint(&h->server));
			set_str(e, "host", h->host);
			set(e, "mech", jv_str(h->mech));
			set_str(e, "ticket", h->ticket);
			set(e, "outcome", jv_str(h->outcome));
			if (h->final_status)
				set(e, "status", jv_int(h->final_status));
			set(e, "requests", jv_int(h->requests));
			set(e, "ap_reqs", jv_int(h->ap_reqs));
			set(e, "frames", frame_list(h->frames, h->n_frames));
		}
		push(hv, e);
	}
	set(o, "http", hv);
	jv *dv = jv_array();
	for (size_t i = 0; dv && i < st->n_delegation; i++) {
		const struct kf_story_delegation *d = &st->delegation[i];
		jv *e = jv_object();
		if (e) {
			set(e, "kind", jv_str(d->kind));
			set(e, "by", addr_json(&d->by));
			set(e, "sname", jv_str(d->sname));
			set(e, "realm", str_or_null(d->realm));
			set(e, "outcome", jv_str(d->outcome));
			if (d->error_code) {
				set(e, "error_code", jv_int(d->error_code));
				set(e, "error", jv_str(kf_fmt_error(d->error_code, b, sizeof b)));
			}
			set(e, "frames", frame_list(d->frames, d->n_frames));
		}
		push(dv, e);
	}
	set(o, "delegation", dv);
	if (st->n_tls) {
		jv *tv = jv_array();
		for (size_t i = 0; tv && i < st->n_tls; i++) {
			jv *e = jv_object();
			if (e) {
				set(e, "frame", jv_int((int64_t)st->tls[i].frame));
				set(e, "server", endpoint(&st->tls[i].server));
				set(e, "sni", str_or_null(st->tls[i].sni));
			}
			push(tv, e);
		}
		set(o, "https", tv);
	}
	set(o, "frames", frame_list(st->frames, st->n_frames));
	return o;
}

static jv *tevent_obj(const struct kf_tevent *t)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "kind", jv_str(kf_tevent_kind_name(t->kind)));
	set(o, "frame", jv_int((int64_t)t->frame));
	if (t->ts_us)
		set(o, "time", time_us(t->ts_us));
	set(o, "src", endpoint(&t->src));
	set(o, "dst", endpoint(&t->dst));
	set(o, "transport", jv_str(t->transport == KF_TRANSPORT_TCP ? "tcp" : "udp"));
	if (t->count > 1)
		set(o, "count", jv_int(t->count));
	if (t->request_frame)
		set(o, "request_frame", jv_int((int64_t)t->request_frame));
	if (t->kind == KF_TEV_FRAG_INCOMPLETE)
		set(o, "direction", jv_str(t->from_kdc ? "kdc-to-client" : "client-to-kdc"));
	if (t->kind == KF_TEV_ICMP_UNREACHABLE) {
		set(o, "icmp_type", jv_int(t->icmp_type));
		set(o, "icmp_code", jv_int(t->icmp_code));
	}
	return o;
}

/* One file of several (--continuous, --merge). */
static jv *file_obj(const struct kf_result *r, const struct kf_capture_file *f)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "file", jv_str(f->name));
	if (f->format)
		set(o, "format", jv_str(f->format));
	if (f->linktype)
		set(o, "linktype", jv_str(f->linktype));
	set(o, "packets", jv_int((int64_t)f->packets));
	if (f->first_frame)
		set(o, "first_frame", jv_int((int64_t)f->first_frame));
	if (r->multi == KF_MULTI_MERGE)
		set(o, "duplicates", jv_int((int64_t)f->duplicates));
	if (f->error)
		set(o, "error", jv_str(f->error));
	if (f->truncated)
		set(o, "truncated", jv_bool(true));
	return o;
}

static jv *capture_obj(const struct kf_result *r)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	set(o, "file", jv_str(r->file));
	set(o, "format", jv_str(r->format ? r->format : "pcap"));
	set(o, "linktype", str_or_null(r->linktype));
	set(o, "packets", jv_int((int64_t)r->packets));
	set(o, "bytes", jv_int((int64_t)r->bytes));
	set(o, "first", r->have_ts ? time_us(r->first_ts_us) : jv_null());
	set(o, "last", r->have_ts ? time_us(r->last_ts_us) : jv_null());
	if (r->filtered_out)
		set(o, "filtered_out", jv_int((int64_t)r->filtered_out));
	jv *w = jv_array();
	for (size_t i = 0; w && i < r->n_warnings; i++) {
		jv *e = jv_object();
		if (e) {
			set(e, "code", jv_str(r->warnings[i].code));
			set(e, "message", jv_str(r->warnings[i].message));
			if (r->warnings[i].frame)
				set(e, "frame", jv_int((int64_t)r->warnings[i].frame));
			set(e, "count", jv_int((int64_t)r->warnings[i].count));
		}
		push(w, e);
	}
	set(o, "warnings", w);
	jv *t = jv_array();
	for (size_t i = 0; t && i < r->n_tevents; i++)
		push(t, tevent_obj(&r->tevents[i]));
	set(o, "transport_events", t);
	if (r->files) {
		jv *fl = jv_array();
		for (size_t i = 0; fl && i < r->n_files; i++)
			push(fl, file_obj(r, &r->files[i]));
		set(o, "files", fl);
	}
	if (r->multi == KF_MULTI_MERGE)
		set(o, "merged_duplicates", jv_int((int64_t)r->merged_duplicates));
	return o;
}

/* ---- the arena the trees live in -------------------------------------------
 * Building is a pointer bump; dropping an element's tree is one reset. */

#define BUMP_BLOCK 65536

struct bump_block {
	struct bump_block *next;
	size_t used, cap;
	max_align_t data[];
};

static struct bump_block *bump_head; /* current block; older ones chained behind */

static void *bump_malloc(size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	struct bump_block *b = bump_head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > BUMP_BLOCK / 4 ? n : BUMP_BLOCK;
		struct bump_block *nb = kf_malloc(sizeof(*nb) + cap);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		nb->next = b;
		bump_head = b = nb;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

/* Drop every tree built since the last reset; keep one block for the next. */
static void bump_reset(void)
{
	while (bump_head && bump_head->next) {
		struct bump_block *n = bump_head->next;
		kf_free(bump_head);
		bump_head = n;
	}
	if (bump_head)
		bump_head->used = 0;
}

static void bump_release(void)
{
	bump_reset();
	kf_free(bump_head);
	bump_head = NULL;
}

/* ---- writing ----------------------------------------------------------------
 * jansson's layout (JSON_SORT_KEYS | JSON_ENSURE_ASCII with JSON_INDENT(2) or
 * JSON_COMPACT), starting at the element's depth in the whole document,
 * straight into one buffer. */
struct writer {
	FILE *out;
	bool compact, failed;
	size_t len;
	char buf[32768];
};

static void flush_out(struct writer *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->failed = true;
	w->len = 0;
}

static void put_slow(struct writer *w, const char *p, size_t n)
{
	flush_out(w);
	if (n > sizeof w->buf) {
		if (fwrite(p, 1, n, w->out) != n)
			w->failed = true;
		return;
	}
	memcpy(w->buf, p, n);
	w->len = n;
}

static inline void put(struct writer *w, const char *p, size_t n)
{
	if (w->len + n > sizeof w->buf) {
		put_slow(w, p, n);
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void put_c(struct writer *w, char c)
{
	if (w->len == sizeof w->buf)
		flush_out(w);
	w->buf[w->len++] = c;
}

/* A line break and the indentation of depth (nothing when compact). */
static void newline(struct writer *w, unsigned depth)
{
	static const char brk[] = "\n                                ";
	if (w->compact)
		return;
	unsigned n = 1 + 2 * depth;
	if (n <= sizeof brk - 1) {
		put(w, brk, n);
		return;
	}
	put(w, brk, sizeof brk - 1);
	for (n -= sizeof brk - 1; n; n--)
		put_c(w, ' ');
}

/* The next UTF-8 code point of s (jansson made sure the string is valid);
 * -1 on a malformed sequence. */
static long utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	unsigned c = s[0];
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!k || k > n)
		return -1;
	long cp = k == 1 ? (long)c : (long)(c & (0x7f >> k));
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*len = k;
	return cp;
}

/* Bytes a string cannot carry as they are: control characters, '"', '\\'
 * and, under JSON_ENSURE_ASCII, every byte of a non-ASCII character. */
static bool escaped[256]; /* filled by kf_report_json */

static void init_escaped(void)
{
	for (int c = 0; c < 256; c++)
		escaped[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
}

/* Whether none of the eight bytes at p needs an escape (SWAR: a byte below
 * 0x20, equal to '"' or '\\', or with its top bit set). */
static inline bool word_clean(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t x, q, b;
	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	uint64_t hit = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x;
	return !(hit & highs);
}

static void put_string(struct writer *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	put_c(w, '"');
	size_t run = 0; /* bytes that need no escape, not yet written */
	for (size_t i = 0; i < n;) {
		if (n - i >= 8 && word_clean(s + i)) { /* eight plain bytes at a time */
			i += 8;
			run += 8;
			continue;
		}
		unsigned char c = s[i];
		if (!escaped[c]) {
			i++;
			run++;
			continue;
		}
		put(w, str + i - run, run);
		run = 0;
		size_t k = 1;
		long cp = c < 0x80 ? (long)c : utf8_next(s + i, n - i, &k);
		char seq[24];
		const char *esc = seq;
		size_t elen = 2;
		switch (cp) {
		case '\\': esc = "\\\\"; break;
		case '"': esc = "\\\""; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (cp < 0) {
				w->failed = true;
				return;
			}
			if (cp < 0x10000) {
				snprintf(seq, sizeof seq, "\\u%04X", (unsigned)cp);
				elen = 6;
			} else { /* a UTF-16 surrogate pair */
				cp -= 0x10000;
				snprintf(seq, sizeof seq, "\\u%04X\\u%04X", (unsigned)(0xd800 | (cp >> 10)),
					 (unsigned)(0xdc00 | (cp & 0x3ff)));
				elen = 12;
			}
		}
		put(w, esc, elen);
		i += k;
	}
	put(w, str + n - run, run);
	put_c(w, '"');
}

static void put_value(struct writer *w, const jv *v, unsigned depth);

static void put_object(struct writer *w, const jv *o, unsigned depth)
{
	size_t n = o->u.c.n;
	if (!n) {
		put(w, "{}", 2);
		return;
	}
	const jv *small[32], **m = n <= 32 ? small : kf_malloc(n * sizeof(*m));
	if (!m) {
		oom = 1;
		w->failed = true;
		return;
	}
	size_t k = 0;
	for (const jv *x = o->u.c.head; x && k < n; x = x->next) {
		size_t j = k++;
		for (; j > 0 && strcmp(m[j - 1]->key, x->key) > 0; j--) /* insertion sort: few keys */
			m[j] = m[j - 1];
		m[j] = x;
	}
	put_c(w, '{');
	for (size_t i = 0; i < k; i++) {
		newline(w, depth + 1);
		put_c(w, '"'); /* keys are this file's literals: nothing to escape */
		put(w, m[i]->key, strlen(m[i]->key));
		put(w, w->compact ? "\":" : "\": ", w->compact ? 2 : 3);
		put_value(w, m[i], depth + 1);
		if (i + 1 < k)
			put_c(w, ',');
	}
	newline(w, depth);
	put_c(w, '}');
	if (m != small)
		kf_free(m);
}

/* Decimal digits of v, as "%lld" would write them. */
static void put_int(struct writer *w, int64_t v)
{
	char b[24], *p = b + sizeof b;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(b + sizeof b - p));
}

static void put_value(struct writer *w, const jv *v, unsigned depth)
{
	switch (v->type) {
	case JV_OBJECT:
		put_object(w, v, depth);
		break;
	case JV_ARRAY:
		put_c(w, '[');
		for (const jv *x = v->u.c.head; x; x = x->next) {
			newline(w, depth + 1);
			put_value(w, x, depth + 1);
			if (x->next)
				put_c(w, ',');
		}
		if (v->u.c.n)
			newline(w, depth);
		put_c(w, ']');
		break;
	case JV_STR:
		put_string(w, v->u.s.p, v->u.s.n);
		break;
	case JV_INT:
		put_int(w, v->u.i);
		break;
	case JV_TRUE:
		put(w, "true", 4);
		break;
	case JV_FALSE:
		put(w, "false", 5);
		break;
	case JV_NULL:
		put(w, "null", 4);
		break;
	}
}

/* Write v as the value at depth (1: a top-level member, 2: an element of a
 * top-level array) and drop every tree built since. */
static int dump(FILE *out, const jv *v, bool compact, unsigned indent)
{
	static struct writer w;
	w.out = out;
	w.compact = compact;
	w.len = 0;
	w.failed = false;
	if (v && !oom)
		put_value(&w, v, indent / 2);
	flush_out(&w);
	bump_reset();
	return v && !oom && !w.failed ? 0 : -1;
}

/* One top-level member. */
static int emit(FILE *out, const char *key, jv *v, bool compact, bool first)
{
	fprintf(out, "%s%s\"%s\":%s", first ? "" : ",", compact ? "" : "\n  ", key, compact ? "" : " ");
	return dump(out, v, compact, 2);
}

/* A top-level array, element by element: the same bytes as dumping it whole. */
typedef jv *(*element_fn)(const struct kf_result *r, size_t i);

static int emit_array(FILE *out, const char *key, const struct kf_result *r, size_t n, element_fn element,
		      bool compact)
{
	fprintf(out, compact ? ",\"%s\":[" : ",\n  \"%s\": [", key);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		fputs(i ? "," : "", out);
		if (!compact)
			fputs("\n    ", out);
		rc = dump(out, element(r, i), compact, 4);
	}
	fputs(compact || !n ? "]" : "\n  ]", out);
	return rc;
}

static jv *message_at(const struct kf_result *r, size_t i) { return message_obj(r, &r->messages[i]); }

static jv *story_at(const struct kf_result *r, size_t i) { return story_obj(&r->stories[i]); }

static jv *finding_at(const struct kf_result *r, size_t i)
{
	const struct kf_finding *f = &r->findings[i];
	jv *o = jv_object();
	if (o) {
		set(o, "rule", jv_str(f->rule));
		set(o, "severity", jv_str(kf_severity_name(f->severity)));
		set(o, "confidence", jv_str(f->confidence == KF_CONF_LIKELY ? "likely" : "certain"));
		set(o, "frames", frame_list(f->frames, f->n_frames));
		set(o, "summary", jv_str(f->summary));
		set(o, "explanation", jv_str(f->explanation));
		set(o, "remediation", str_or_null(f->remediation));
	}
	return o;
}

int kf_report_json(const struct kf_result *r, FILE *out, bool compact)
{
	oom = 0;
	if (!escaped[0])
		init_escaped();
	jv *ver = jv_object();
	if (ver) {
		set(ver, "version", jv_str(KRBFLOW_VERSION));
		set(ver, "schema", jv_int(KRBFLOW_SCHEMA));
	}
	fputc('{', out);
	int rc = emit(out, "krbflow", ver, compact, true);
	rc = rc ? rc : emit(out, "capture", capture_obj(r), compact, false);
	if (r->decryption) /* --keytab only: the contract's keys keep their order */
		rc = rc ? rc : emit(out, "decryption", decryption_obj(r->decryption), compact, false);
	rc = rc ? rc : emit_array(out, "messages", r, r->n_messages, message_at, compact);
	rc = rc ? rc : emit_array(out, "flows", r, r->n_stories, story_at, compact);
	rc = rc ? rc : emit_array(out, "findings", r, r->n_findings, finding_at, compact);
	fputs(compact ? "}\n" : "\n}\n", out);
	bump_release();
	if (rc && oom)
		errno = ENOMEM; /* for the caller's message; a failed write leaves fwrite's errno */
	return rc ? -1 : 0;
}
