/* json.c - the JSON document of OUTPUT.md, through jansson.
 * Top-level keys in the contract's order; keys inside objects sorted. */
#include <jansson.h>
#include <string.h>

#include "krb5.h"
#include "report.h"

#ifndef KRBFLOW_VERSION
#define KRBFLOW_VERSION "0.0.0"
#endif
#define KRBFLOW_SCHEMA 1

/* jansson's setters steal the reference and tolerate NULL values by failing;
 * a NULL anywhere is caught once at the end by checking the document. */
static int oom;

static void set(json_t *o, const char *k, json_t *v)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		oom = 1;
}

static void push(json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) != 0)
		oom = 1;
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *time_us(uint64_t us)
{
	char b[40];
	kf_fmt_time_us(us, b, sizeof b);
	return json_string(b);
}

static json_t *time_s(int64_t s)
{
	char b[40];
	kf_fmt_time_s(s, b, sizeof b);
	return json_string(b);
}

static json_t *time_s_us(int64_t s, int32_t usec)
{
	char b[48];
	if (usec < 0 || usec > 999999)
		usec = 0;
	if (s < 0) {
		kf_fmt_time_s(s, b, sizeof b);
		return json_string(b);
	}
	kf_fmt_time_us((uint64_t)s * 1000000u + (uint64_t)usec, b, sizeof b);
	return json_string(b);
}

static json_t *endpoint(const struct kf_endpoint *e)
{
	char b[64];
	kf_fmt_endpoint(e, b, sizeof b);
	return json_string(b);
}

static json_t *flag_names(uint32_t flags, const char *(*name)(unsigned bit))
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(flags & (0x80000000u >> bit)))
			continue;
		char tmp[16];
		push(a, json_string(kf_fmt_flag_name(bit, name, tmp, sizeof tmp)));
	}
	return a;
}

static json_t *etype_obj(int32_t e)
{
	char b[24];
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "id", json_integer(e));
	set(o, "name", json_string(kf_fmt_etype(e, b, sizeof b)));
	return o;
}

static json_t *padata_list(const int32_t *types, unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < n; i++) {
		char b[24];
		push(a, json_string(kf_fmt_padata(types[i], b, sizeof b)));
	}
	return a;
}

static json_t *ticket_obj(const struct kf_ticket_rec *t)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "sname", json_string(t->sname));
	set(o, "realm", json_string(t->realm));
	set(o, "etype", etype_obj(t->etype));
	if (t->has_kvno)
		set(o, "kvno", json_integer(t->kvno));
	return o;
}

static void krb_fields(json_t *o, const struct kf_message *m)
{
	const struct kf_krb_rec *k = &m->krb;
	char b[64];
	if (!k->complete)
		set(o, "complete", json_false());
	if (k->cname)
		set(o, "cname", json_string(k->cname));
	if (k->crealm)
		set(o, "crealm", json_string(k->crealm));
	if (k->sname)
		set(o, "sname", json_string(k->sname));
	if (k->realm)
		set(o, "realm", json_string(k->realm));
	if (k->has_kdc_options)
		set(o, "kdc_options", flag_names(k->kdc_options, kf_krb5_kdc_option_name));
	if (k->has_ap_options)
		set(o, "ap_options", flag_names(k->ap_options, kf_krb5_ap_option_name));
	if (k->n_etypes) {
		json_t *a = json_array();
		for (unsigned i = 0; a && i < k->n_etypes; i++)
			push(a, etype_obj(k->etypes[i]));
		set(o, "etypes", a);
	}
	if (k->has_nonce)
		set(o, "nonce", json_integer(k->nonce));
	if (k->has_from)
		set(o, "from", time_s(k->from));
	if (k->has_till)
		set(o, "till", time_s(k->till));
	if (k->has_rtime)
		set(o, "rtime", time_s(k->rtime));
	if (k->n_addresses) {
		json_t *a = json_array();
		for (unsigned i = 0; a && i < k->n_addresses; i++)
			push(a, json_string(k->addresses[i]));
		set(o, "addresses", a);
	}
	if (k->n_padata)
		set(o, "padata", padata_list(k->padata, k->n_padata));
	if (k->s4u_user)
		set(o, "s4u_user", json_string(k->s4u_user));
	if (k->has_pac_options)
		set(o, "pac_options", flag_names(k->pac_options, kf_krb5_pac_option_name));
	if (k->has_pac_request)
		set(o, "pac_request", json_boolean(k->pac_request));
	if (k->ticket)
		set(o, "ticket", ticket_obj(k->ticket));
	if (k->n_addl) {
		json_t *a = json_array();
		for (unsigned i = 0; a && i < k->n_addl; i++)
			push(a, ticket_obj(&k->addl[i]));
		set(o, "additional_tickets", a);
	}
	if (k->has_enc_etype)
		set(o, "enc_etype", etype_obj(k->enc_etype));
	if (m->type == KF_KRB_ERROR) {
		set(o, "error_code", json_integer(k->error_code));
		set(o, "error", json_string(kf_fmt_error(k->error_code, b, sizeof b)));
		if (k->has_stime)
			set(o, "stime", time_s_us(k->stime, k->susec));
		if (k->has_ctime)
			set(o, "ctime", time_s_us(k->ctime, k->cusec));
		if (k->e_text)
			set(o, "e_text", json_string(k->e_text));
		if (k->has_e_data)
			set(o, "e_data", json_true());
		if (k->n_etype_info) {
			json_t *a = json_array();
			for (unsigned i = 0; a && i < k->n_etype_info; i++) {
				json_t *e = json_object();
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
			set(o, "ntstatus", json_string(b));
			const char *nn = kf_krb5_ntstatus_name(k->ntstatus);
			if (nn)
				set(o, "ntstatus_name", json_string(nn));
		}
	}
}

static json_t *message_obj(const struct kf_message *m)
{
	char b[32];
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "frame", json_integer((json_int_t)m->frame));
	set(o, "time", time_us(m->ts_us));
	set(o, "src", endpoint(&m->src));
	set(o, "dst", endpoint(&m->dst));
	set(o, "transport", json_string(m->transport == KF_TRANSPORT_TCP ? "tcp" : "udp"));
	set(o, "carrier", json_string("kerberos"));
	set(o, "type", json_string(kf_fmt_type(m->type, b, sizeof b)));
	if (m->connection)
		set(o, "connection", json_integer(m->connection));
	if (m->first_frame && m->first_frame != m->frame)
		set(o, "first_frame", json_integer((json_int_t)m->first_frame));
	if (m->ip_fragments > 1)
		set(o, "ip_fragments", json_integer(m->ip_fragments));
	if (m->reply_in)
		set(o, "reply_in", json_integer((json_int_t)m->reply_in));
	if (m->reply_to)
		set(o, "reply_to", json_integer((json_int_t)m->reply_to));
	krb_fields(o, m);
	return o;
}

static json_t *tevent_obj(const struct kf_tevent *t)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "kind", json_string(kf_tevent_kind_name(t->kind)));
	set(o, "frame", json_integer((json_int_t)t->frame));
	if (t->ts_us)
		set(o, "time", time_us(t->ts_us));
	set(o, "src", endpoint(&t->src));
	set(o, "dst", endpoint(&t->dst));
	set(o, "transport", json_string(t->transport == KF_TRANSPORT_TCP ? "tcp" : "udp"));
	if (t->count > 1)
		set(o, "count", json_integer(t->count));
	if (t->request_frame)
		set(o, "request_frame", json_integer((json_int_t)t->request_frame));
	if (t->kind == KF_TEV_ICMP_UNREACHABLE) {
		set(o, "icmp_type", json_integer(t->icmp_type));
		set(o, "icmp_code", json_integer(t->icmp_code));
	}
	return o;
}

static json_t *capture_obj(const struct kf_result *r)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "file", json_string(r->file));
	set(o, "format", json_string(r->format ? r->format : "pcap"));
	set(o, "linktype", str_or_null(r->linktype));
	set(o, "packets", json_integer((json_int_t)r->packets));
	set(o, "bytes", json_integer((json_int_t)r->bytes));
	set(o, "first", r->have_ts ? time_us(r->first_ts_us) : json_null());
	set(o, "last", r->have_ts ? time_us(r->last_ts_us) : json_null());
	if (r->filtered_out)
		set(o, "filtered_out", json_integer((json_int_t)r->filtered_out));
	json_t *w = json_array();
	for (size_t i = 0; w && i < r->n_warnings; i++) {
		json_t *e = json_object();
		if (e) {
			set(e, "code", json_string(r->warnings[i].code));
			set(e, "message", json_string(r->warnings[i].message));
			if (r->warnings[i].frame)
				set(e, "frame", json_integer((json_int_t)r->warnings[i].frame));
			set(e, "count", json_integer((json_int_t)r->warnings[i].count));
		}
		push(w, e);
	}
	set(o, "warnings", w);
	json_t *t = json_array();
	for (size_t i = 0; t && i < r->n_tevents; i++)
		push(t, tevent_obj(&r->tevents[i]));
	set(o, "transport_events", t);
	return o;
}

/* Write one top-level member; indented output re-indents the value by one
 * level so the document reads as a whole. */
static int emit(FILE *out, const char *key, json_t *v, bool compact, bool first)
{
	if (!v)
		return -1;
	size_t flags = JSON_SORT_KEYS | JSON_ENSURE_ASCII | (compact ? JSON_COMPACT : JSON_INDENT(2));
	char *s = json_dumps(v, flags | JSON_ENCODE_ANY);
	json_decref(v);
	if (!s)
		return -1;
	fprintf(out, "%s%s\"%s\":%s", first ? "" : ",", compact ? "" : "\n  ", key, compact ? "" : " ");
	for (const char *p = s; *p; p++) {
		fputc(*p, out);
		if (*p == '\n' && !compact)
			fputs("  ", out);
	}
	free(s);
	return 0;
}

int kf_report_json(const struct kf_result *r, FILE *out, bool compact)
{
	oom = 0;
	json_t *ver = json_object();
	if (ver) {
		set(ver, "version", json_string(KRBFLOW_VERSION));
		set(ver, "schema", json_integer(KRBFLOW_SCHEMA));
	}
	json_t *msgs = json_array();
	for (size_t i = 0; msgs && i < r->n_messages; i++)
		push(msgs, message_obj(&r->messages[i]));
	json_t *cap = capture_obj(r);
	json_t *flows = json_array();
	json_t *findings = json_array();
	if (oom || !ver || !msgs || !cap || !flows || !findings) {
		json_decref(ver);
		json_decref(msgs);
		json_decref(cap);
		json_decref(flows);
		json_decref(findings);
		return -1;
	}
	fputc('{', out);
	int rc = emit(out, "krbflow", ver, compact, true);
	rc |= emit(out, "capture", cap, compact, false);
	rc |= emit(out, "messages", msgs, compact, false);
	rc |= emit(out, "flows", flows, compact, false);
	rc |= emit(out, "findings", findings, compact, false);
	fputs(compact ? "}\n" : "\n}\n", out);
	return rc ? -1 : 0;
}
