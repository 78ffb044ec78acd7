/* json.c - the JSON document of OUTPUT.md: which members krbflow writes,
 * from a finished kf_result (json_writer.c writes them).  Top-level keys in
 * the contract's order (--keytab adds "decryption" after "capture"); keys
 * inside objects sorted by the writer.  Each message, flow and finding is
 * built and written on its own, so memory stays that of one element however
 * many messages a capture has. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gss.h"
#include "json_writer.h"
#include "krb5.h"
#include "kpasswd.h"
#include "ldap.h"
#include "tds.h"
#include "smb.h"
#include "dcerpc.h"
#include "krb5_decrypt.h"
#include "ntlmssp.h"
#include "report.h"
#include "finding.h"
#include "stories.h"

#ifndef KRBFLOW_VERSION
#define KRBFLOW_VERSION "0.0.0"
#endif
#define KRBFLOW_SCHEMA 1

typedef struct kf_json_value jv;

static jv *str_or_null(struct kf_json_writer *w, const char *s)
{
	return s ? kf_json_str(w, s) : kf_json_null(w);
}

static jv *time_us(struct kf_json_writer *w, uint64_t us)
{
	char b[40];
	kf_fmt_time_us(us, b, sizeof b);
	return kf_json_str(w, b);
}

static jv *time_s(struct kf_json_writer *w, int64_t s)
{
	char b[40];
	kf_fmt_time_s(s, b, sizeof b);
	return kf_json_str(w, b);
}

static jv *time_s_us(struct kf_json_writer *w, int64_t s, int32_t usec)
{
	char b[48];
	if (usec < 0 || usec > 999999)
		usec = 0;
	if (s < 0) {
		kf_fmt_time_s(s, b, sizeof b);
		return kf_json_str(w, b);
	}
	kf_fmt_time_us((uint64_t)s * 1000000u + (uint64_t)usec, b, sizeof b);
	return kf_json_str(w, b);
}

static jv *endpoint(struct kf_json_writer *w, const struct kf_endpoint *e)
{
	char b[64];
	kf_fmt_endpoint(e, b, sizeof b);
	return kf_json_str(w, b);
}

static jv *flag_names(struct kf_json_writer *w, uint32_t flags, const char *(*name)(unsigned bit))
{
	jv *a = kf_json_array(w);
	if (!a)
		return NULL;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(flags & (0x80000000u >> bit)))
			continue;
		char tmp[16];
		kf_json_push(w, a, kf_json_str(w, kf_fmt_flag_name(bit, name, tmp, sizeof tmp)));
	}
	return a;
}

static jv *etype_obj(struct kf_json_writer *w, int32_t e)
{
	char b[24];
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "id", kf_json_int(w, e));
	kf_json_set(w, o, "name", kf_json_str(w, kf_fmt_etype(e, b, sizeof b)));
	return o;
}

static jv *padata_list(struct kf_json_writer *w, const int32_t *types, unsigned n)
{
	jv *a = kf_json_array(w);
	for (unsigned i = 0; a && i < n; i++) {
		char b[24];
		kf_json_push(w, a, kf_json_str(w, kf_fmt_padata(types[i], b, sizeof b)));
	}
	return a;
}

static jv *ticket_obj(struct kf_json_writer *w, const struct kf_ticket_rec *t)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "sname", kf_json_str(w, t->sname));
	kf_json_set(w, o, "realm", kf_json_str(w, t->realm));
	kf_json_set(w, o, "etype", etype_obj(w, t->etype));
	if (t->has_kvno)
		kf_json_set(w, o, "kvno", kf_json_int(w, t->kvno));
	return o;
}

/* A Kerberos error code and its name. */
static void set_error(struct kf_json_writer *w, jv *o, int32_t code)
{
	char b[64];
	kf_json_set(w, o, "error_code", kf_json_int(w, code));
	kf_json_set(w, o, "error", kf_json_str(w, kf_fmt_error(code, b, sizeof b)));
}

static void krb_fields(struct kf_json_writer *w, jv *o, const struct kf_message *m)
{
	const struct kf_krb_rec *k = &m->krb;
	char b[64];
	if (!k->complete)
		kf_json_set(w, o, "complete", kf_json_bool(w, false));
	if (k->cname)
		kf_json_set(w, o, "cname", kf_json_str(w, k->cname));
	if (k->crealm)
		kf_json_set(w, o, "crealm", kf_json_str(w, k->crealm));
	if (k->sname)
		kf_json_set(w, o, "sname", kf_json_str(w, k->sname));
	if (k->realm)
		kf_json_set(w, o, "realm", kf_json_str(w, k->realm));
	if (k->has_kdc_options)
		kf_json_set(w, o, "kdc_options", flag_names(w, k->kdc_options, kf_krb5_kdc_option_name));
	if (k->has_ap_options)
		kf_json_set(w, o, "ap_options", flag_names(w, k->ap_options, kf_krb5_ap_option_name));
	if (k->n_etypes) {
		jv *a = kf_json_array(w);
		for (unsigned i = 0; a && i < k->n_etypes; i++)
			kf_json_push(w, a, etype_obj(w, k->etypes[i]));
		kf_json_set(w, o, "etypes", a);
	}
	if (k->has_nonce)
		kf_json_set(w, o, "nonce", kf_json_int(w, k->nonce));
	if (k->has_from)
		kf_json_set(w, o, "from", time_s(w, k->from));
	if (k->has_till)
		kf_json_set(w, o, "till", time_s(w, k->till));
	if (k->has_rtime)
		kf_json_set(w, o, "rtime", time_s(w, k->rtime));
	if (k->n_addresses) {
		jv *a = kf_json_array(w);
		for (unsigned i = 0; a && i < k->n_addresses; i++)
			kf_json_push(w, a, kf_json_str(w, k->addresses[i]));
		kf_json_set(w, o, "addresses", a);
	}
	if (k->n_padata)
		kf_json_set(w, o, "padata", padata_list(w, k->padata, k->n_padata));
	if (k->s4u_user)
		kf_json_set(w, o, "s4u_user", kf_json_str(w, k->s4u_user));
	if (k->has_pac_options)
		kf_json_set(w, o, "pac_options", flag_names(w, k->pac_options, kf_krb5_pac_option_name));
	if (k->has_pac_request)
		kf_json_set(w, o, "pac_request", kf_json_bool(w, k->pac_request));
	if (k->ticket)
		kf_json_set(w, o, "ticket", ticket_obj(w, k->ticket));
	if (k->n_addl) {
		jv *a = kf_json_array(w);
		for (unsigned i = 0; a && i < k->n_addl; i++)
			kf_json_push(w, a, ticket_obj(w, &k->addl[i]));
		kf_json_set(w, o, "additional_tickets", a);
	}
	if (k->has_enc_etype)
		kf_json_set(w, o, "enc_etype", etype_obj(w, k->enc_etype));
	if (m->type == KF_KRB_ERROR) {
		set_error(w, o, k->error_code);
		if (k->has_stime)
			kf_json_set(w, o, "stime", time_s_us(w, k->stime, k->susec));
		if (k->has_ctime)
			kf_json_set(w, o, "ctime", time_s_us(w, k->ctime, k->cusec));
		if (k->e_text)
			kf_json_set(w, o, "e_text", kf_json_str(w, k->e_text));
		if (k->has_e_data)
			kf_json_set(w, o, "e_data", kf_json_bool(w, true));
		if (k->n_etype_info) {
			jv *a = kf_json_array(w);
			for (unsigned i = 0; a && i < k->n_etype_info; i++) {
				jv *e = kf_json_object(w);
				if (e) {
					kf_json_set(w, e, "etype", etype_obj(w, k->etype_info[i].etype));
					kf_json_set(w, e, "salt", str_or_null(w, k->etype_info[i].salt));
				}
				kf_json_push(w, a, e);
			}
			kf_json_set(w, o, "etype_info2", a);
		}
		if (k->n_edata_padata)
			kf_json_set(w, o, "e_data_padata",
				    padata_list(w, k->edata_padata, k->n_edata_padata));
		if (k->has_ntstatus) {
			snprintf(b, sizeof b, "0x%08X", k->ntstatus);
			kf_json_set(w, o, "ntstatus", kf_json_str(w, b));
			const char *nn = kf_krb5_ntstatus_name(k->ntstatus);
			if (nn)
				kf_json_set(w, o, "ntstatus_name", kf_json_str(w, nn));
		}
	}
}

static jv *str_list(struct kf_json_writer *w, const char *const *v, unsigned n)
{
	jv *a = kf_json_array(w);
	for (unsigned i = 0; a && i < n; i++)
		kf_json_push(w, a, kf_json_str(w, v[i]));
	return a;
}

static jv *frame_list(struct kf_json_writer *w, const uint64_t *f, size_t n)
{
	jv *a = kf_json_array(w);
	for (size_t i = 0; a && i < n; i++)
		kf_json_push(w, a, kf_json_int(w, (int64_t)f[i]));
	return a;
}

static void set_str(struct kf_json_writer *w, jv *o, const char *k, const char *v)
{
	if (v)
		kf_json_set(w, o, k, kf_json_str(w, v));
}

static void http_fields(struct kf_json_writer *w, jv *o, const struct kf_http_rec *h)
{
	set_str(w, o, "method", h->method);
	set_str(w, o, "uri", h->uri);
	if (h->uri_truncated)
		kf_json_set(w, o, "uri_truncated", kf_json_bool(w, true));
	set_str(w, o, "host", h->host);
	if (h->status)
		kf_json_set(w, o, "status", kf_json_int(w, h->status));
	set_str(w, o, "auth_scheme", h->auth_scheme);
	if (h->n_challenges)
		kf_json_set(w, o, "www_authenticate", str_list(w, h->www_authenticate, h->n_challenges));
	kf_json_set(w, o, "header_bytes", kf_json_int(w, h->header_bytes));
	if (h->token_bytes)
		kf_json_set(w, o, "token_bytes", kf_json_int(w, h->token_bytes));
	if (h->token_invalid)
		kf_json_set(w, o, "token_invalid", kf_json_bool(w, true));
	if (h->proxy)
		kf_json_set(w, o, "proxy", kf_json_bool(w, true));
	set_str(w, o, "persistent_auth", h->persistent_auth);
}

static jv *hex_json(struct kf_json_writer *w, uint64_t v, int digits)
{
	char b[24];
	snprintf(b, sizeof b, "0x%0*llx", digits, (unsigned long long)v);
	return kf_json_str(w, b);
}

static void smb_fields(struct kf_json_writer *w, jv *o, const struct kf_smb_rec *s)
{
	if (s->encrypted) { /* a transform header: nothing inside is read */
		kf_json_set(w, o, "encrypted", kf_json_bool(w, true));
		kf_json_set(w, o, "session_id", hex_json(w, s->session_id, 16));
		return;
	}
	if (s->command_name)
		set_str(w, o, "command", s->command_name);
	else
		kf_json_set(w, o, "command", kf_json_int(w, s->command));
	if (s->has_status) {
		kf_json_set(w, o, "status", hex_json(w, s->status, 8));
		set_str(w, o, "ntstatus_name", kf_ntstatus_name(s->status));
	} else if (s->dos_error) {
		kf_json_set(w, o, "dos_error", hex_json(w, s->status, 8));
	}
	kf_json_set(w, o, "session_id", hex_json(w, s->session_id, 16));
	kf_json_set(w, o, "message_id", kf_json_int(w, (int64_t)s->message_id));
	if (s->tree_id)
		kf_json_set(w, o, "tree_id", kf_json_int(w, s->tree_id));
	set_str(w, o, "tree", s->tree);
	if (s->dialect) {
		kf_json_set(w, o, "dialect", hex_json(w, s->dialect, 4));
		set_str(w, o, "dialect_name", kf_smb2_dialect_name(s->dialect));
	}
	if (s->max_dialect)
		kf_json_set(w, o, "max_dialect", hex_json(w, s->max_dialect, 4));
	if (s->signing_enabled || s->signing_required)
		set_str(w, o, "signing", s->signing_required ? "required" : "enabled");
	if (s->encryption_capable)
		kf_json_set(w, o, "encryption_capable", kf_json_bool(w, true));
	if (s->session_flags & KF_SMB_SESSION_GUEST)
		kf_json_set(w, o, "guest", kf_json_bool(w, true));
	if (s->session_flags & KF_SMB_SESSION_NULL)
		kf_json_set(w, o, "null_session", kf_json_bool(w, true));
	if (s->session_flags & KF_SMB_SESSION_ENCRYPT)
		kf_json_set(w, o, "encrypt_data", kf_json_bool(w, true));
	set_str(w, o, "account", s->account);
	set_str(w, o, "domain", s->domain);
	if (s->token_bytes)
		kf_json_set(w, o, "token_bytes", kf_json_int(w, s->token_bytes));
	if (s->token_invalid)
		kf_json_set(w, o, "token_invalid", kf_json_bool(w, true));
	if (s->compound)
		kf_json_set(w, o, "compound", kf_json_bool(w, true));
}

/* An LDAP result code with its name, and AD's data code ("0x52e") with its meaning. */
static void ldap_result_fields(struct kf_json_writer *w, jv *o, uint32_t code, uint32_t ad_data)
{
	kf_json_set(w, o, "result_code", kf_json_int(w, code));
	set_str(w, o, "result_name", kf_ldap_result_name(code));
	if (ad_data) {
		char hex[16];
		snprintf(hex, sizeof hex, "0x%x", ad_data);
		set_str(w, o, "ad_data_code", hex);
		set_str(w, o, "ad_data_name", kf_ldap_ad_data_name(ad_data));
	}
}

/* GSS-WRAP / GSS-MIC: a per-message token recognised, never decrypted. */
static void gsswrap_fields(struct kf_json_writer *w, jv *o, const struct kf_gsswrap_rec *g)
{
	set_str(w, o, "mechanism", g->mechanism);
	if (g->sealed_known)
		kf_json_set(w, o, "sealed", kf_json_bool(w, g->sealed));
	if (g->sent_by_acceptor)
		kf_json_set(w, o, "sent_by_acceptor", kf_json_bool(w, true));
	if (g->acceptor_subkey)
		kf_json_set(w, o, "acceptor_subkey", kf_json_bool(w, true));
	if (g->has_seq)
		kf_json_set(w, o, "seq_number", kf_json_int(w, (int64_t)g->seq));
	if (g->token_bytes)
		kf_json_set(w, o, "token_bytes", kf_json_int(w, g->token_bytes));
}

/* LDAP-REQUEST / LDAP-RESPONSE (issue 17). */
static void ldap_fields(struct kf_json_writer *w, jv *o, const struct kf_ldap_rec *l)
{
	set_str(w, o, "operation", kf_ldap_op_name(l->operation));
	kf_json_set(w, o, "message_id", kf_json_int(w, l->message_id));
	set_str(w, o, "mechanism", l->mechanism);
	set_str(w, o, "bind_dn", l->bind_dn);
	if (l->simple_password)
		kf_json_set(w, o, "simple_password", kf_json_bool(w, true));
	if (l->has_result)
		ldap_result_fields(w, o, l->result_code, l->ad_data_code);
	set_str(w, o, "diagnostic", l->diagnostic);
	if (l->token_bytes)
		kf_json_set(w, o, "token_bytes", kf_json_int(w, l->token_bytes));
	if (l->token_invalid)
		kf_json_set(w, o, "token_invalid", kf_json_bool(w, true));
	if (l->starttls)
		kf_json_set(w, o, "starttls", kf_json_bool(w, true));
	if (l->wrapped_from)
		kf_json_set(w, o, "wrapped_from_frame", kf_json_int(w, (int64_t)l->wrapped_from));
}

/* DCERPC-REQUEST / DCERPC-RESPONSE (issue 17). */
static void dcerpc_fields(struct kf_json_writer *w, jv *o, const struct kf_dcerpc_rec *d)
{
	const char *pt = kf_dcerpc_ptype_name(d->ptype);
	if (pt)
		set_str(w, o, "ptype", pt);
	else
		kf_json_set(w, o, "ptype", kf_json_int(w, d->ptype));
	kf_json_set(w, o, "call_id", kf_json_int(w, d->call_id));
	set_str(w, o, "pipe", d->pipe);
	set_str(w, o, "interface", d->interface);
	if (d->auth_type) {
		const char *at = kf_dcerpc_auth_type_name(d->auth_type);
		if (at)
			set_str(w, o, "auth_type", at);
		else
			kf_json_set(w, o, "auth_type", kf_json_int(w, d->auth_type));
		const char *al = kf_dcerpc_auth_level_name(d->auth_level);
		if (al)
			set_str(w, o, "auth_level", al);
		else
			kf_json_set(w, o, "auth_level", kf_json_int(w, d->auth_level));
	}
	if (d->has_status) {
		kf_json_set(w, o, "status", hex_json(w, d->status, 8));
		const char *n = NULL;
		if (d->ptype == KF_DCERPC_FAULT)
			n = kf_dcerpc_status_name(d->status);
		else if (d->ptype == KF_DCERPC_BIND_NAK)
			n = kf_dcerpc_reject_name(d->status);
		else if (d->status == 1)
			n = "user_rejection";
		else if (d->status == 2)
			n = "provider_rejection";
		set_str(w, o, "status_name", n);
		if (d->ptype == KF_DCERPC_FAULT) /* the name for it: the fault, named when known */
			kf_json_set(w, o, "fault", n ? kf_json_str(w, n) : hex_json(w, d->status, 8));
	}
	if (d->token_bytes)
		kf_json_set(w, o, "token_bytes", kf_json_int(w, d->token_bytes));
	if (d->token_invalid)
		kf_json_set(w, o, "token_invalid", kf_json_bool(w, true));
}

/* TDS-REQUEST / TDS-RESPONSE (issue 17). */
static void tds_fields(struct kf_json_writer *w, jv *o, const struct kf_tds_rec *t)
{
	const char *pt = kf_tds_type_name(t->packet_type);
	if (pt)
		set_str(w, o, "packet_type", pt);
	else if (!t->strict_tls)
		kf_json_set(w, o, "packet_type", kf_json_int(w, t->packet_type));
	if (t->has_encryption) {
		const char *e = kf_tds_encryption_name(t->encryption);
		if (e)
			set_str(w, o, "encryption", e);
		else
			kf_json_set(w, o, "encryption", kf_json_int(w, t->encryption));
	}
	if (t->login_encrypted)
		kf_json_set(w, o, "login_encrypted", kf_json_bool(w, true));
	if (t->tls_wrapped)
		kf_json_set(w, o, "tls_wrapped", kf_json_bool(w, true));
	if (t->strict_tls)
		kf_json_set(w, o, "strict_tls", kf_json_bool(w, true));
	set_str(w, o, "user", t->user);
	set_str(w, o, "server", t->server);
	if (t->integrated)
		kf_json_set(w, o, "integrated", kf_json_bool(w, true));
	if (t->login_ack)
		kf_json_set(w, o, "login_ack", kf_json_bool(w, true));
	if (t->has_error) {
		kf_json_set(w, o, "error_number", kf_json_int(w, t->error_number));
		kf_json_set(w, o, "error_state", kf_json_int(w, t->error_state));
		kf_json_set(w, o, "error_class", kf_json_int(w, t->error_class));
	}
	set_str(w, o, "message", t->message);
	if (t->token_bytes)
		kf_json_set(w, o, "token_bytes", kf_json_int(w, t->token_bytes));
	if (t->token_invalid)
		kf_json_set(w, o, "token_invalid", kf_json_bool(w, true));
}

static jv *spnego_obj(struct kf_json_writer *w, const struct kf_spnego_rec *sp)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	if (sp->n_mech_types)
		kf_json_set(w, o, "mech_types", str_list(w, sp->mech_types, sp->n_mech_types));
	if (sp->has_neg_state) {
		const char *n = kf_neg_state_name(sp->neg_state);
		kf_json_set(w, o, "neg_state", n ? kf_json_str(w, n) : kf_json_int(w, sp->neg_state));
	}
	set_str(w, o, "supported_mech", sp->supported_mech);
	if (sp->mech_list_mic)
		kf_json_set(w, o, "mech_list_mic", kf_json_bool(w, true));
	return o;
}

/* Flags counted from the least significant bit (NTLM NegotiateFlags, MS-NLMP
 * §2.2.2.5; GSS checksum flags, RFC 4121 §4.1.1.1); unnamed bits as "bit-N". */
static jv *lsb_flag_names(struct kf_json_writer *w, uint32_t flags, const char *(*name)(unsigned bit))
{
	jv *a = kf_json_array(w);
	for (unsigned bit = 0; a && bit < 32; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		char tmp[16];
		const char *n = name(bit);
		if (!n) {
			snprintf(tmp, sizeof tmp, "bit-%u", bit);
			n = tmp;
		}
		kf_json_push(w, a, kf_json_str(w, n));
	}
	return a;
}

static jv *ntlm_flag_names(struct kf_json_writer *w, uint32_t flags)
{
	return lsb_flag_names(w, flags, kf_ntlm_flag_name);
}

static void ntlm_fields(struct kf_json_writer *w, jv *o, const struct kf_message *m)
{
	const struct kf_ntlm_rec *n = m->ntlm;
	kf_json_set(w, o, "ntlm_flags", ntlm_flag_names(w, n->flags));
	set_str(w, o, "domain", n->domain);
	set_str(w, o, "user", n->user);
	set_str(w, o, "workstation", n->workstation);
	set_str(w, o, "target_name", n->target_name);
	set_str(w, o, "target_spn", n->spn);
	if (m->type == KF_MSG_NTLM_CHALLENGE &&
	    (n->dns_domain || n->dns_computer || n->nb_domain || n->nb_computer)) {
		jv *ti = kf_json_object(w);
		if (ti) {
			set_str(w, ti, "dns_domain", n->dns_domain);
			set_str(w, ti, "dns_computer", n->dns_computer);
			set_str(w, ti, "nb_domain", n->nb_domain);
			set_str(w, ti, "nb_computer", n->nb_computer);
		}
		kf_json_set(w, o, "target_info", ti);
	}
	if (n->damaged)
		kf_json_set(w, o, "malformed", kf_json_bool(w, true));
	if (m->type == KF_MSG_NTLM_AUTHENTICATE) {
		/* an anonymous AUTHENTICATE has no NT response, a damaged one no
		 * readable one: neither version */
		if (!n->damaged && !n->anonymous)
			kf_json_set(w, o, "ntlm_version", kf_json_str(w, n->ntlmv2 ? "NTLMv2" : "NTLMv1"));
		kf_json_set(w, o, "mic", kf_json_bool(w, n->mic));
		if (n->anonymous)
			kf_json_set(w, o, "anonymous", kf_json_bool(w, true));
	}
	if (n->has_version) {
		char v[32];
		snprintf(v, sizeof v, "%u.%u.%u", n->version_major, n->version_minor, n->version_build);
		kf_json_set(w, o, "os_version", kf_json_str(w, v));
	}
}

static jv *kpasswd_obj(struct kf_json_writer *w, const struct kf_message *m)
{
	const struct kf_kpasswd_rec *kp = m->kpasswd;
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "framed", kf_json_bool(w, kp->framed));
	if (kp->framed) {
		kf_json_set(w, o, "version", kf_json_int(w, kp->version));
		if (m->type == KF_KRB_AP_REQ) /* replies are version 1 whatever was asked */
			set_str(w, o, "version_name", kf_kpasswd_version_name(kp->version));
	}
	if (kp->has_priv) {
		jv *p = kf_json_object(w);
		if (p && kp->priv_etype)
			kf_json_set(w, p, "etype", etype_obj(w, kp->priv_etype));
		if (p && kp->priv_bytes)
			kf_json_set(w, p, "bytes", kf_json_int(w, kp->priv_bytes));
		kf_json_set(w, o, "krb_priv", p);
	}
	if (kp->has_result) {
		jv *r = kf_json_object(w);
		if (r) {
			kf_json_set(w, r, "code", kf_json_int(w, kp->result_code));
			set_str(w, r, "name", kf_kpasswd_result_name(kp->result_code));
			set_str(w, r, "text", kp->result_text);
			if (kp->ad_policy) {
				kf_json_set(w, r, "policy_min_length", kf_json_int(w, kp->policy_min_length));
				kf_json_set(w, r, "policy_history", kf_json_int(w, kp->policy_history));
				kf_json_set(w, r, "policy_properties", kf_json_int(w, kp->policy_properties));
			}
		}
		kf_json_set(w, o, "result", r);
	}
	return o;
}

static void dns_fields(struct kf_json_writer *w, jv *o, const struct kf_dns_rec *d)
{
	char b[16];
	set_str(w, o, "query", d->query);
	kf_json_set(w, o, "qtype", kf_json_str(w, kf_fmt_dns_type(d->qtype, b, sizeof b)));
	if (d->rcode)
		kf_json_set(w, o, "rcode", kf_json_int(w, d->rcode));
	jv *a = kf_json_array(w);
	for (unsigned i = 0; a && i < d->n_answers; i++) {
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "type",
				    kf_json_str(w, kf_fmt_dns_type(d->answers[i].type, b, sizeof b)));
			set_str(w, e, "name", d->answers[i].name);
			set_str(w, e, "data", d->answers[i].data);
		}
		kf_json_push(w, a, e);
	}
	kf_json_set(w, o, "answers", a);
}

/* ---- --keytab: what the encrypted parts said ---------------------------------
 * Names and numbers only: the records carry no key bytes, and nothing here
 * would print them. */

/* "name@realm" (either part may be absent); NULL when both are. */
static jv *princ_json(struct kf_json_writer *w, const char *name, const char *realm)
{
	if (!name && !realm)
		return NULL;
	size_t n = name ? strlen(name) : 0, m = realm ? strlen(realm) : 0, len = n + (realm ? 1 + m : 0);
	char *p;
	jv *v = kf_json_str_space(w, len, &p);
	if (!v)
		return NULL;
	if (n)
		memcpy(p, name, n);
	if (realm) {
		p[n] = '@';
		memcpy(p + n + 1, realm, m);
	}
	return v;
}

static void set_princ(struct kf_json_writer *w, jv *o, const char *k, const char *name, const char *realm)
{
	if (name || realm)
		kf_json_set(w, o, k, princ_json(w, name, realm));
}

static void set_time_s(struct kf_json_writer *w, jv *o, const char *k, int64_t s)
{
	if (s)
		kf_json_set(w, o, k, time_s(w, s));
}

static jv *status_json(struct kf_json_writer *w, uint8_t s)
{
	return kf_json_str(w, kf_open_status_name((enum kf_open_status)s));
}

/* The key that opened a part: where it came from, never its bytes. */
static jv *dec_key_obj(struct kf_json_writer *w, const struct kf_dec_key *k)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "origin", kf_json_str(w, kf_key_origin_name((enum kf_key_origin)k->origin)));
	kf_json_set(w, o, "etype", etype_obj(w, k->etype));
	if (k->origin == KF_KEY_KEYTAB) {
		set_str(w, o, "principal", k->principal);
		kf_json_set(w, o, "kvno", kf_json_int(w, k->kvno));
		set_str(w, o, "keytab", k->keytab);
	} else if (k->frame) {
		kf_json_set(w, o, "learnt_in", kf_json_int(w, (int64_t)k->frame));
	}
	return o;
}

static void set_key(struct kf_json_writer *w, jv *o, const struct kf_dec_key *k)
{
	if (k->origin)
		kf_json_set(w, o, "key", dec_key_obj(w, k));
}

static jv *gss_flag_names(struct kf_json_writer *w, uint32_t flags)
{
	return lsb_flag_names(w, flags, kf_fmt_gss_flag_name);
}

static jv *pac_obj(struct kf_json_writer *w, const struct kf_dec_pac *p)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	jv *bufs = kf_json_array(w);
	for (unsigned i = 0; bufs && p->types && i < p->n_types; i++) {
		const char *n = kf_pac_buffer_name(p->types[i]);
		char tmp[24];
		if (!n) {
			snprintf(tmp, sizeof tmp, "type-%u", (unsigned)p->types[i]);
			n = tmp;
		}
		kf_json_push(w, bufs, kf_json_str(w, n));
	}
	kf_json_set(w, o, "buffers", bufs);
	if (p->logon_user || p->user_sid) {
		jv *l = kf_json_object(w);
		if (l) {
			set_str(w, l, "user", p->logon_user);
			set_str(w, l, "domain", p->logon_domain);
			set_str(w, l, "full_name", p->logon_full_name);
			set_str(w, l, "user_sid", p->user_sid);
			kf_json_set(w, l, "primary_group_rid", kf_json_int(w, p->primary_group_rid));
			kf_json_set(w, l, "user_account_control", kf_json_int(w, p->user_account_control));
			kf_json_set(w, l, "user_flags", kf_json_int(w, p->user_flags));
			kf_json_set(w, l, "groups", kf_json_int(w, p->n_groups));
			kf_json_set(w, l, "extra_sids", kf_json_int(w, p->n_extra_sids));
			jv *s = kf_json_array(w);
			for (unsigned i = 0; s && p->sids && i < p->n_sids; i++)
				if (p->sids[i])
					kf_json_push(w, s, kf_json_str(w, p->sids[i]));
			kf_json_set(w, l, "sids", s);
		}
		kf_json_set(w, o, "logon", l);
	}
	if (p->client_name) {
		jv *c = kf_json_object(w);
		if (c) {
			kf_json_set(w, c, "name", kf_json_str(w, p->client_name));
			set_time_s(w, c, "time", p->client_time);
		}
		kf_json_set(w, o, "client_info", c);
	}
	if (p->upn || p->dns_domain) {
		jv *u = kf_json_object(w);
		if (u) {
			set_str(w, u, "upn", p->upn);
			set_str(w, u, "dns_domain", p->dns_domain);
			kf_json_set(w, u, "flags", kf_json_int(w, p->upn_flags));
			set_str(w, u, "sam_name", p->upn_sam_name);
			set_str(w, u, "sid", p->upn_sid);
		}
		kf_json_set(w, o, "upn_dns", u);
	}
	if (p->s4u_proxy_target) {
		jv *d = kf_json_object(w);
		if (d) {
			kf_json_set(w, d, "proxy_target", kf_json_str(w, p->s4u_proxy_target));
			jv *t = kf_json_array(w);
			for (unsigned i = 0; t && p->transited && i < p->n_transited_kept; i++)
				if (p->transited[i])
					kf_json_push(w, t, kf_json_str(w, p->transited[i]));
			kf_json_set(w, d, "transited", t);
			kf_json_set(w, d, "transited_count", kf_json_int(w, p->n_transited));
		}
		kf_json_set(w, o, "s4u_delegation", d);
	}
	if (p->has_attributes)
		kf_json_set(w, o, "attributes", kf_json_int(w, p->attributes));
	set_str(w, o, "requestor_sid", p->requestor_sid);
	kf_json_set(w, o, "complete", kf_json_bool(w, p->complete));
	return o;
}

static jv *dec_ticket_obj(struct kf_json_writer *w, const struct kf_dec_ticket *t)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "status", status_json(w, t->status));
	set_str(w, o, "server", t->server);
	kf_json_set(w, o, "etype", etype_obj(w, t->etype));
	if (t->kvno)
		kf_json_set(w, o, "kvno", kf_json_int(w, t->kvno));
	if (t->status != KF_OPEN_OK) {
		kf_json_set(w, o, "session_key_known", kf_json_bool(w, t->session_key_known));
		jv *a = kf_json_array(w);
		for (unsigned i = 0; a && t->keytab_kvnos && t->keytab_etypes && i < t->n_keytab; i++) {
			jv *e = kf_json_object(w);
			if (e) {
				kf_json_set(w, e, "kvno", kf_json_int(w, t->keytab_kvnos[i]));
				kf_json_set(w, e, "etype", etype_obj(w, t->keytab_etypes[i]));
			}
			kf_json_push(w, a, e);
		}
		kf_json_set(w, o, "keytab_has", a);
		return o;
	}
	set_key(w, o, &t->key);
	if (t->other_principal)
		kf_json_set(w, o, "other_principal", kf_json_bool(w, true));
	kf_json_set(w, o, "flags", flag_names(w, t->flags, kf_krb5_ticket_flag_name));
	set_princ(w, o, "client", t->cname, t->crealm);
	set_time_s(w, o, "authtime", t->authtime);
	set_time_s(w, o, "starttime", t->starttime);
	set_time_s(w, o, "endtime", t->endtime);
	set_time_s(w, o, "renew_till", t->renew_till);
	set_str(w, o, "transited", t->transited);
	kf_json_set(w, o, "session_etype", etype_obj(w, t->session_etype));
	if (t->pac)
		kf_json_set(w, o, "pac", pac_obj(w, t->pac));
	return o;
}

static jv *dec_cred_obj(struct kf_json_writer *w, const struct kf_dec_cred *c)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "status", status_json(w, c->status));
	if (c->etype) /* 0: the credentials were sent unencrypted */
		kf_json_set(w, o, "etype", etype_obj(w, c->etype));
	kf_json_set(w, o, "tickets", kf_json_int(w, c->n_tickets));
	if (c->status != KF_OPEN_OK)
		return o;
	set_key(w, o, &c->key);
	jv *a = kf_json_array(w);
	for (unsigned i = 0; a && c->info && i < c->n_info; i++) {
		const struct kf_dec_cred_info *x = &c->info[i];
		jv *e = kf_json_object(w);
		if (e) {
			set_princ(w, e, "server", x->sname, x->srealm);
			set_princ(w, e, "client", x->pname, x->prealm);
			if (x->has_flags)
				kf_json_set(w, e, "flags", flag_names(w, x->flags, kf_krb5_ticket_flag_name));
			set_time_s(w, e, "endtime", x->endtime);
			kf_json_set(w, e, "key_etype", etype_obj(w, x->key_etype));
		}
		kf_json_push(w, a, e);
	}
	kf_json_set(w, o, "forwarded", a);
	return o;
}

/* A decrypted part's object: its status and, when opened, the key that did. */
static jv *dec_part_obj(struct kf_json_writer *w, uint8_t status, const struct kf_dec_key *key)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "status", status_json(w, status));
	if (status == KF_OPEN_OK)
		set_key(w, o, key);
	return o;
}

static jv *dec_auth_obj(struct kf_json_writer *w, const struct kf_dec_auth *x)
{
	jv *o = dec_part_obj(w, x->status, &x->key);
	if (!o || x->status != KF_OPEN_OK)
		return o;
	set_princ(w, o, "client", x->cname, x->crealm);
	kf_json_set(w, o, "ctime", time_s_us(w, x->ctime, x->cusec));
	if (x->has_subkey)
		kf_json_set(w, o, "subkey_etype", etype_obj(w, x->subkey_etype));
	if (x->has_seq)
		kf_json_set(w, o, "seq", kf_json_int(w, x->seq));
	if (x->has_cksum)
		kf_json_set(w, o, "checksum_type", kf_json_int(w, x->cksum_type));
	if (x->gss) {
		kf_json_set(w, o, "gss_flags", gss_flag_names(w, x->gss_flags));
		kf_json_set(w, o, "delegation", kf_json_bool(w, x->has_deleg));
	}
	if (x->has_deleg && x->cred)
		kf_json_set(w, o, "krb_cred", dec_cred_obj(w, x->cred));
	return o;
}

static jv *dec_rep_obj(struct kf_json_writer *w, const struct kf_dec_rep *x)
{
	jv *o = dec_part_obj(w, x->status, &x->key);
	if (!o || x->status != KF_OPEN_OK)
		return o;
	kf_json_set(w, o, "flags", flag_names(w, x->flags, kf_krb5_ticket_flag_name));
	set_princ(w, o, "server", x->sname, x->srealm);
	set_time_s(w, o, "authtime", x->authtime);
	set_time_s(w, o, "starttime", x->starttime);
	set_time_s(w, o, "endtime", x->endtime);
	set_time_s(w, o, "renew_till", x->renew_till);
	set_time_s(w, o, "key_expiration", x->key_expiration);
	kf_json_set(w, o, "nonce", kf_json_int(w, x->nonce));
	kf_json_set(w, o, "session_etype", etype_obj(w, x->session_etype));
	return o;
}

static jv *dec_ap_rep_obj(struct kf_json_writer *w, const struct kf_dec_ap_rep *x)
{
	jv *o = dec_part_obj(w, x->status, &x->key);
	if (!o || x->status != KF_OPEN_OK)
		return o;
	kf_json_set(w, o, "ctime", time_s_us(w, x->ctime, x->cusec));
	if (x->has_subkey)
		kf_json_set(w, o, "subkey_etype", etype_obj(w, x->subkey_etype));
	if (x->has_seq)
		kf_json_set(w, o, "seq", kf_json_int(w, x->seq));
	return o;
}

static jv *decrypted_obj(struct kf_json_writer *w, const struct kf_decrypted *d)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	if (d->ticket)
		kf_json_set(w, o, "ticket", dec_ticket_obj(w, d->ticket));
	if (d->auth)
		kf_json_set(w, o, "authenticator", dec_auth_obj(w, d->auth));
	if (d->rep)
		kf_json_set(w, o, "enc_part", dec_rep_obj(w, d->rep));
	if (d->ap_rep)
		kf_json_set(w, o, "ap_rep", dec_ap_rep_obj(w, d->ap_rep));
	if (d->n_addl && d->addl) {
		jv *a = kf_json_array(w);
		for (unsigned i = 0; a && i < d->n_addl; i++)
			kf_json_push(w, a, dec_ticket_obj(w, &d->addl[i]));
		kf_json_set(w, o, "additional_tickets", a);
	}
	if (d->fast)
		kf_json_set(w, o, "fast", kf_json_bool(w, true));
	return o;
}

/* The capture's account: keytabs read, parts opened, why the others stayed closed. */
static jv *decryption_obj(struct kf_json_writer *w, const struct kf_decryption *dc)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	jv *k = kf_json_array(w);
	for (size_t i = 0; k && dc->keytabs && i < dc->n_keytabs; i++) {
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "file", str_or_null(w, dc->keytabs[i].file));
			kf_json_set(w, e, "keys", kf_json_int(w, dc->keytabs[i].keys));
			kf_json_set(w, e, "others_can_read", kf_json_bool(w, dc->keytabs[i].others_can_read));
		}
		kf_json_push(w, k, e);
	}
	kf_json_set(w, o, "keytabs", k);
	kf_json_set(w, o, "opened", kf_json_int(w, (int64_t)dc->opened));
	kf_json_set(w, o, "failed", kf_json_int(w, (int64_t)dc->failed));
	jv *bs = kf_json_object(w);
	if (bs) {
		kf_json_set(w, bs, "decrypted", kf_json_int(w, (int64_t)dc->by_status[KF_OPEN_OK]));
		kf_json_set(w, bs, "no-key", kf_json_int(w, (int64_t)dc->by_status[KF_OPEN_NO_KEY]));
		kf_json_set(w, bs, "wrong-key", kf_json_int(w, (int64_t)dc->by_status[KF_OPEN_WRONG_KEY]));
		kf_json_set(w, bs, "undecodable",
			    kf_json_int(w, (int64_t)dc->by_status[KF_OPEN_UNDECODABLE]));
	}
	kf_json_set(w, o, "by_status", bs);
	jv *f = kf_json_array(w);
	for (size_t i = 0; f && dc->failures && i < dc->n_failures; i++) {
		const struct kf_dec_failure *x = &dc->failures[i];
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "frame", kf_json_int(w, (int64_t)x->frame));
			kf_json_set(w, e, "part", str_or_null(w, x->part));
			kf_json_set(w, e, "status", status_json(w, x->status));
			kf_json_set(w, e, "reason", str_or_null(w, x->reason));
		}
		kf_json_push(w, f, e);
	}
	kf_json_set(w, o, "failures", f);
	if (dc->failures_dropped)
		kf_json_set(w, o, "failures_dropped", kf_json_int(w, (int64_t)dc->failures_dropped));
	return o;
}

static jv *message_obj(struct kf_json_writer *w, const struct kf_result *r, const struct kf_message *m)
{
	char b[32];
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "frame", kf_json_int(w, (int64_t)m->frame));
	if (r->multi == KF_MULTI_MERGE && m->file_frame && m->file < r->n_files) {
		kf_json_set(w, o, "file", kf_json_str(w, r->files[m->file].name));
		kf_json_set(w, o, "file_frame", kf_json_int(w, (int64_t)m->file_frame));
	}
	kf_json_set(w, o, "time", time_us(w, m->ts_us));
	kf_json_set(w, o, "src", endpoint(w, &m->src));
	kf_json_set(w, o, "dst", endpoint(w, &m->dst));
	kf_json_set(w, o, "transport", kf_json_str(w, m->transport == KF_TRANSPORT_TCP ? "tcp" : "udp"));
	kf_json_set(w, o, "carrier", kf_json_str(w, kf_fmt_carrier(m->carrier)));
	kf_json_set(w, o, "type", kf_json_str(w, kf_fmt_type(m->type, b, sizeof b)));
	if (m->connection)
		kf_json_set(w, o, "connection", kf_json_int(w, m->connection));
	if (m->transport == KF_TRANSPORT_TCP)
		kf_json_set(w, o, "tcp_stream", kf_json_int(w, m->tcp_stream));
	if (m->krb_record_over_cap) {
		jv *big = kf_json_object(w);
		if (big) {
			kf_json_set(w, big, "length", kf_json_int(w, m->krb_record_over_cap));
			kf_json_set(w, big, "cap", kf_json_int(w, KF_LIMIT_KRB_RECORD));
		}
		kf_json_set(w, o, "record_too_big", big);
	}
	if (m->first_frame && m->first_frame != m->frame)
		kf_json_set(w, o, "first_frame", kf_json_int(w, (int64_t)m->first_frame));
	if (m->ip_fragments > 1)
		kf_json_set(w, o, "ip_fragments", kf_json_int(w, m->ip_fragments));
	const struct kf_message *reply = kf_msg_reply(r, m), *asked = kf_msg_request(r, m);
	if (reply) /* frames, as OUTPUT.md has them */
		kf_json_set(w, o, "reply_in", kf_json_int(w, (int64_t)reply->frame));
	if (asked)
		kf_json_set(w, o, "reply_to", kf_json_int(w, (int64_t)asked->frame));
	if (m->http)
		http_fields(w, o, m->http);
	else if (m->smb)
		smb_fields(w, o, m->smb);
	else if (m->ldap)
		ldap_fields(w, o, m->ldap);
	else if (m->dcerpc)
		dcerpc_fields(w, o, m->dcerpc);
	else if (m->tds)
		tds_fields(w, o, m->tds);
	else if (m->ntlm)
		ntlm_fields(w, o, m);
	else if (m->dns)
		dns_fields(w, o, m->dns);
	else if (m->gsswrap)
		gsswrap_fields(w, o, m->gsswrap);
	else if (m->krb_record_over_cap)
		kf_json_set(w, o, "complete", kf_json_bool(w, false)); /* only its type is known */
	else
		krb_fields(w, o, m);
	if (m->spnego)
		kf_json_set(w, o, "spnego", spnego_obj(w, m->spnego));
	if (m->kpasswd)
		kf_json_set(w, o, "kpasswd", kpasswd_obj(w, m));
	if (m->dec)
		kf_json_set(w, o, "decrypted", decrypted_obj(w, m->dec));
	return o;
}

static jv *addr_json(struct kf_json_writer *w, const struct kf_endpoint *e)
{
	char b[64];
	kf_fmt_addr(e, b, sizeof b);
	return kf_json_str(w, b);
}

/* A refused DCE/RPC binding phase: rpc_status, its name and what it came from. */
static void rpc_status_fields(struct kf_json_writer *w, jv *e, const struct kf_session *x)
{
	const char *kind = x->rpc_status_kind ? x->rpc_status_kind : "fault";
	kf_json_set(w, e, "rpc_status", hex_json(w, x->rpc_status, 8));
	const char *n = NULL;
	if (!strcmp(kind, "bind_nak"))
		n = kf_dcerpc_reject_name(x->rpc_status);
	else if (!strcmp(kind, "context"))
		n = x->rpc_status == 1 ? "user_rejection" : x->rpc_status == 2 ? "provider_rejection" : NULL;
	else
		n = kf_dcerpc_status_name(x->rpc_status);
	set_str(w, e, "rpc_status_name", n);
	set_str(w, e, "rpc_status_kind", kind);
}

/* Authenticated SMB, LDAP, SQL Server and DCE/RPC sessions (flows[].sessions; back_end adds the client,
 * the front end that opened it). */
static jv *session_list(struct kf_json_writer *w, const struct kf_session *const *s, size_t n, bool client)
{
	jv *a = kf_json_array(w);
	for (size_t i = 0; a && i < n; i++) {
		const struct kf_session *x = s[i];
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "carrier", kf_json_str(w, kf_fmt_carrier(x->carrier)));
			kf_json_set(w, e, "connection", kf_json_int(w, x->connection));
			kf_json_set(w, e, "tcp_stream", kf_json_int(w, x->tcp_stream));
			if (client)
				kf_json_set(w, e, "client", addr_json(w, &x->client));
			kf_json_set(w, e, "server", endpoint(w, &x->server));
			if (x->session_id)
				kf_json_set(w, e, "session_id", hex_json(w, x->session_id, 16));
			kf_json_set(w, e, "target", str_or_null(w, x->target));
			if (x->carrier == KF_CARRIER_DCERPC)
				kf_json_set(w, e, "pipe", str_or_null(w, x->pipe));
			kf_json_set(w, e, "mech", kf_json_str(w, x->mech));
			kf_json_set(w, e, "as", str_or_null(w, x->as));
			set_str(w, e, "ticket", x->ticket);
			kf_json_set(w, e, "outcome", kf_json_str(w, x->outcome));
			if (x->has_status) {
				kf_json_set(w, e, "status", hex_json(w, x->status, 8));
				set_str(w, e, "ntstatus_name", kf_ntstatus_name(x->status));
			}
			if (x->has_result)
				ldap_result_fields(w, e, x->result_code, x->ad_data_code);
			if (x->has_sql_error) {
				kf_json_set(w, e, "error_number", kf_json_int(w, x->sql_error));
				kf_json_set(w, e, "error_state", kf_json_int(w, x->sql_state));
			}
			if (x->has_rpc_status)
				rpc_status_fields(w, e, x);
			if (x->krb_error)
				set_error(w, e, x->krb_error);
			kf_json_set(w, e, "frames", frame_list(w, x->frames, x->n_frames));
		}
		kf_json_push(w, a, e);
	}
	return a;
}

static jv *story_obj(struct kf_json_writer *w, const struct kf_story *st)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "client", addr_json(w, &st->client));
	kf_json_set(w, o, "user", str_or_null(w, st->user));
	set_str(w, o, "kdc", st->kdc);
	if (st->tgt_seen)
		kf_json_set(w, o, "tgt_frame", kf_json_int(w, (int64_t)st->tgt_frame));
	jv *sv = kf_json_array(w);
	for (size_t i = 0; sv && i < st->n_services; i++) {
		const struct kf_story_service *s = &st->services[i];
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "sname", kf_json_str(w, s->sname));
			kf_json_set(w, e, "realm", str_or_null(w, s->realm));
			kf_json_set(w, e, "outcome", kf_json_str(w, s->outcome));
			if (s->error_code)
				set_error(w, e, s->error_code);
			kf_json_set(w, e, "frames", frame_list(w, s->frames, s->n_frames));
		}
		kf_json_push(w, sv, e);
	}
	kf_json_set(w, o, "services", sv);
	jv *hv = kf_json_array(w);
	for (size_t i = 0; hv && i < st->n_http; i++) {
		const struct kf_story_http *h = &st->http[i];
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "connection", kf_json_int(w, h->connection));
			kf_json_set(w, e, "tcp_stream", kf_json_int(w, h->tcp_stream));
			kf_json_set(w, e, "server", endpoint(w, &h->server));
			set_str(w, e, "host", h->host);
			kf_json_set(w, e, "mech", kf_json_str(w, h->mech));
			set_str(w, e, "ticket", h->ticket);
			kf_json_set(w, e, "outcome", kf_json_str(w, h->outcome));
			if (h->final_status)
				kf_json_set(w, e, "status", kf_json_int(w, h->final_status));
			kf_json_set(w, e, "requests", kf_json_int(w, h->requests));
			kf_json_set(w, e, "ap_reqs", kf_json_int(w, h->ap_reqs));
			kf_json_set(w, e, "frames", frame_list(w, h->frames, h->n_frames));
		}
		kf_json_push(w, hv, e);
	}
	kf_json_set(w, o, "http", hv);
	jv *dv = kf_json_array(w);
	for (size_t i = 0; dv && i < st->n_delegation; i++) {
		const struct kf_story_delegation *d = &st->delegation[i];
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "kind", kf_json_str(w, d->kind));
			kf_json_set(w, e, "by", addr_json(w, &d->by));
			kf_json_set(w, e, "sname", kf_json_str(w, d->sname));
			kf_json_set(w, e, "realm", str_or_null(w, d->realm));
			kf_json_set(w, e, "outcome", kf_json_str(w, d->outcome));
			if (d->error_code)
				set_error(w, e, d->error_code);
			kf_json_set(w, e, "frames", frame_list(w, d->frames, d->n_frames));
		}
		kf_json_push(w, dv, e);
	}
	kf_json_set(w, o, "delegation", dv);
	if (st->n_tls) {
		jv *tv = kf_json_array(w);
		for (size_t i = 0; tv && i < st->n_tls; i++) {
			jv *e = kf_json_object(w);
			if (e) {
				kf_json_set(w, e, "frame", kf_json_int(w, (int64_t)st->tls[i].frame));
				kf_json_set(w, e, "tcp_stream", kf_json_int(w, st->tls[i].tcp_stream));
				kf_json_set(w, e, "server", endpoint(w, &st->tls[i].server));
				kf_json_set(w, e, "sni", str_or_null(w, st->tls[i].sni));
			}
			kf_json_push(w, tv, e);
		}
		kf_json_set(w, o, "https", tv);
	}
	if (st->n_sessions)
		kf_json_set(w, o, "sessions", session_list(w, st->sessions, st->n_sessions, false));
	if (st->n_backend)
		kf_json_set(w, o, "back_end", session_list(w, st->backend, st->n_backend, true));
	kf_json_set(w, o, "frames", frame_list(w, st->frames, st->n_frames));
	return o;
}

static jv *tevent_obj(struct kf_json_writer *w, const struct kf_tevent *t)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "kind", kf_json_str(w, kf_tevent_kind_name(t->kind)));
	kf_json_set(w, o, "frame", kf_json_int(w, (int64_t)t->frame));
	if (t->ts_us)
		kf_json_set(w, o, "time", time_us(w, t->ts_us));
	kf_json_set(w, o, "src", endpoint(w, &t->src));
	kf_json_set(w, o, "dst", endpoint(w, &t->dst));
	kf_json_set(w, o, "transport", kf_json_str(w, t->transport == KF_TRANSPORT_TCP ? "tcp" : "udp"));
	if (t->count > 1)
		kf_json_set(w, o, "count", kf_json_int(w, t->count));
	if (t->request_frame)
		kf_json_set(w, o, "request_frame", kf_json_int(w, (int64_t)t->request_frame));
	if (t->has_tcp_stream)
		kf_json_set(w, o, "tcp_stream", kf_json_int(w, t->tcp_stream));
	if (t->kind == KF_TEV_FRAG_INCOMPLETE)
		kf_json_set(w, o, "direction",
			    kf_json_str(w, t->from_kdc ? "kdc-to-client" : "client-to-kdc"));
	if (t->kind == KF_TEV_ICMP_UNREACHABLE) {
		kf_json_set(w, o, "icmp_type", kf_json_int(w, t->icmp_type));
		kf_json_set(w, o, "icmp_code", kf_json_int(w, t->icmp_code));
	}
	return o;
}

/* One file of several (--continuous, --merge). */
static jv *file_obj(struct kf_json_writer *w, const struct kf_result *r, const struct kf_capture_file *f)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "file", kf_json_str(w, f->name));
	if (f->format)
		kf_json_set(w, o, "format", kf_json_str(w, f->format));
	if (f->linktype)
		kf_json_set(w, o, "linktype", kf_json_str(w, f->linktype));
	kf_json_set(w, o, "packets", kf_json_int(w, (int64_t)f->packets));
	if (f->first_frame)
		kf_json_set(w, o, "first_frame", kf_json_int(w, (int64_t)f->first_frame));
	if (r->multi == KF_MULTI_MERGE)
		kf_json_set(w, o, "duplicates", kf_json_int(w, (int64_t)f->duplicates));
	if (f->error)
		kf_json_set(w, o, "error", kf_json_str(w, f->error));
	if (f->truncated)
		kf_json_set(w, o, "truncated", kf_json_bool(w, true));
	return o;
}

static jv *capture_obj(struct kf_json_writer *w, const struct kf_result *r)
{
	jv *o = kf_json_object(w);
	if (!o)
		return NULL;
	kf_json_set(w, o, "file", kf_json_str(w, r->file));
	kf_json_set(w, o, "format", kf_json_str(w, r->format ? r->format : "pcap"));
	kf_json_set(w, o, "linktype", str_or_null(w, r->linktype));
	kf_json_set(w, o, "packets", kf_json_int(w, (int64_t)r->packets));
	kf_json_set(w, o, "bytes", kf_json_int(w, (int64_t)r->bytes));
	kf_json_set(w, o, "first", r->have_ts ? time_us(w, r->first_ts_us) : kf_json_null(w));
	kf_json_set(w, o, "last", r->have_ts ? time_us(w, r->last_ts_us) : kf_json_null(w));
	if (r->filtered_out)
		kf_json_set(w, o, "filtered_out", kf_json_int(w, (int64_t)r->filtered_out));
	jv *warnings = kf_json_array(w);
	for (size_t i = 0; warnings && i < r->n_warnings; i++) {
		jv *e = kf_json_object(w);
		if (e) {
			kf_json_set(w, e, "code", kf_json_str(w, r->warnings[i].code));
			kf_json_set(w, e, "message", kf_json_str(w, r->warnings[i].message));
			if (r->warnings[i].frame)
				kf_json_set(w, e, "frame", kf_json_int(w, (int64_t)r->warnings[i].frame));
			kf_json_set(w, e, "count", kf_json_int(w, (int64_t)r->warnings[i].count));
		}
		kf_json_push(w, warnings, e);
	}
	kf_json_set(w, o, "warnings", warnings);
	jv *t = kf_json_array(w);
	for (size_t i = 0; t && i < r->n_tevents; i++)
		kf_json_push(w, t, tevent_obj(w, &r->tevents[i]));
	kf_json_set(w, o, "transport_events", t);
	if (r->files) {
		jv *fl = kf_json_array(w);
		for (size_t i = 0; fl && i < r->n_files; i++)
			kf_json_push(w, fl, file_obj(w, r, &r->files[i]));
		kf_json_set(w, o, "files", fl);
	}
	if (r->multi == KF_MULTI_MERGE)
		kf_json_set(w, o, "merged_duplicates", kf_json_int(w, (int64_t)r->merged_duplicates));
	return o;
}

/* A top-level array, element by element. */
typedef jv *(*element_fn)(struct kf_json_writer *w, const struct kf_result *r, size_t i);

static void array_member(struct kf_json_writer *w, const char *key, const struct kf_result *r, size_t n,
			 element_fn element)
{
	kf_json_array_open(w, key);
	for (size_t i = 0; i < n && !kf_json_failed(w); i++)
		kf_json_element(w, element(w, r, i));
	kf_json_array_close(w);
}

static jv *message_at(struct kf_json_writer *w, const struct kf_result *r, size_t i)
{
	return message_obj(w, r, &r->messages[i]);
}

static jv *story_at(struct kf_json_writer *w, const struct kf_result *r, size_t i)
{
	return story_obj(w, &r->stories[i]);
}

/* Whom a finding concerns: a member per kind that is known, each a list. */
static jv *subject_obj(struct kf_json_writer *w, const struct kf_subject *s)
{
	jv *o = kf_json_object(w);
	for (unsigned k = 0; o && k < KF_SUBJECT__COUNT; k++) {
		if (!s->n[k])
			continue;
		jv *a = kf_json_array(w);
		for (unsigned i = 0; a && i < s->n[k]; i++)
			kf_json_push(w, a, kf_json_str(w, s->v[k][i]));
		kf_json_set(w, o, kf_subject_kind_name((enum kf_subject_kind)k), a);
	}
	return o;
}

static jv *finding_at(struct kf_json_writer *w, const struct kf_result *r, size_t i)
{
	const struct kf_finding *f = &r->findings[i];
	jv *o = kf_json_object(w);
	if (o) {
		kf_json_set(w, o, "rule", kf_json_str(w, f->rule));
		kf_json_set(w, o, "severity", kf_json_str(w, kf_severity_name(f->severity)));
		kf_json_set(w, o, "confidence",
			    kf_json_str(w, f->confidence == KF_CONF_LIKELY ? "likely" : "certain"));
		kf_json_set(w, o, "frames", frame_list(w, f->frames, f->n_frames));
		kf_json_set(w, o, "summary", kf_json_str(w, f->summary));
		kf_json_set(w, o, "explanation", kf_json_str(w, f->explanation));
		kf_json_set(w, o, "remediation", str_or_null(w, f->remediation));
		kf_json_set(w, o, "cause", str_or_null(w, f->cause));
		kf_json_set(w, o, "subject", subject_obj(w, &f->subject));
		if (f->clocks[0]) { /* clock findings */
			jv *c = kf_json_array(w);
			kf_json_push(w, c, kf_json_str(w, f->clocks[0]));
			kf_json_push(w, c, kf_json_str(w, f->clocks[1]));
			kf_json_set(w, o, "clocks", c);
			kf_json_set(w, o, "offset_s",
				    f->has_offset ? kf_json_int(w, f->offset_s) : kf_json_null(w));
		}
	}
	return o;
}

int kf_report_json(const struct kf_result *r, FILE *out, bool compact)
{
	struct kf_json_writer writer, *w = &writer;
	kf_json_open(w, out, compact);
	jv *ver = kf_json_object(w);
	if (ver) {
		kf_json_set(w, ver, "version", kf_json_str(w, KRBFLOW_VERSION));
		kf_json_set(w, ver, "schema", kf_json_int(w, KRBFLOW_SCHEMA));
	}
	kf_json_member(w, "krbflow", ver);
	kf_json_member(w, "capture", capture_obj(w, r));
	if (r->decryption) /* --keytab only: the contract's keys keep their order */
		kf_json_member(w, "decryption", decryption_obj(w, r->decryption));
	array_member(w, "messages", r, r->n_messages, message_at);
	array_member(w, "flows", r, r->n_stories, story_at);
	array_member(w, "findings", r, r->n_findings, finding_at);
	return kf_json_close(w);
}
