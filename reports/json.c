/* json.c - the JSON document of OUTPUT.md, through jansson.
 * Top-level keys in the contract's order; keys inside objects sorted. */
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#include "gss.h"
#include "krb5.h"
#include "ntlmssp.h"
#include "report.h"
#include "rules.h"
#include "stories.h"

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

static json_t *str_list(const char *const *v, unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < n; i++)
		push(a, json_string(v[i]));
	return a;
}

static json_t *frame_list(const uint64_t *f, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		push(a, json_integer((json_int_t)f[i]));
	return a;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		set(o, k, json_string(v));
}

static void http_fields(json_t *o, const struct kf_http_rec *h)
{
	set_str(o, "method", h->method);
	set_str(o, "uri", h->uri);
	if (h->uri_truncated)
		set(o, "uri_truncated", json_true());
	set_str(o, "host", h->host);
	if (h->status)
		set(o, "status", json_integer(h->status));
	set_str(o, "auth_scheme", h->auth_scheme);
	if (h->n_challenges)
		set(o, "www_authenticate", str_list(h->www_authenticate, h->n_challenges));
	set(o, "header_bytes", json_integer(h->header_bytes));
	if (h->token_bytes)
		set(o, "token_bytes", json_integer(h->token_bytes));
	if (h->token_invalid)
		set(o, "token_invalid", json_true());
	if (h->proxy)
		set(o, "proxy", json_true());
	set_str(o, "persistent_auth", h->persistent_auth);
}

static json_t *spnego_obj(const struct kf_spnego_rec *sp)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (sp->n_mech_types)
		set(o, "mech_types", str_list(sp->mech_types, sp->n_mech_types));
	if (sp->has_neg_state) {
		const char *n = kf_neg_state_name(sp->neg_state);
		set(o, "neg_state", n ? json_string(n) : json_integer(sp->neg_state));
	}
	set_str(o, "supported_mech", sp->supported_mech);
	if (sp->mech_list_mic)
		set(o, "mech_list_mic", json_true());
	return o;
}

/* NegotiateFlags count from the least significant bit (MS-NLMP §2.2.2.5). */
static json_t *ntlm_flag_names(uint32_t flags)
{
	json_t *a = json_array();
	for (unsigned bit = 0; a && bit < 32; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		char tmp[16];
		const char *n = kf_ntlm_flag_name(bit);
		if (!n) {
			snprintf(tmp, sizeof tmp, "bit-%u", bit);
			n = tmp;
		}
		push(a, json_string(n));
	}
	return a;
}

static void ntlm_fields(json_t *o, const struct kf_message *m)
{
	const struct kf_ntlm_rec *n = m->ntlm;
	set(o, "ntlm_flags", ntlm_flag_names(n->flags));
	set_str(o, "domain", n->domain);
	set_str(o, "user", n->user);
	set_str(o, "workstation", n->workstation);
	set_str(o, "target_name", n->target_name);
	if (m->type == KF_MSG_NTLM_CHALLENGE && (n->dns_domain || n->dns_computer || n->nb_domain || n->nb_computer)) {
		json_t *ti = json_object();
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
			set(o, "ntlm_version", json_string(n->ntlmv2 ? "NTLMv2" : "NTLMv1"));
		set(o, "mic", json_boolean(n->mic));
		if (n->anonymous)
			set(o, "anonymous", json_true());
	}
	if (n->has_version) {
		char v[32];
		snprintf(v, sizeof v, "%u.%u.%u", n->version_major, n->version_minor, n->version_build);
		set(o, "os_version", json_string(v));
	}
}

static void dns_fields(json_t *o, const struct kf_dns_rec *d)
{
	char b[16];
	set_str(o, "query", d->query);
	set(o, "qtype", json_string(kf_fmt_dns_type(d->qtype, b, sizeof b)));
	if (d->rcode)
		set(o, "rcode", json_integer(d->rcode));
	json_t *a = json_array();
	for (unsigned i = 0; a && i < d->n_answers; i++) {
		json_t *e = json_object();
		if (e) {
			set(e, "type", json_string(kf_fmt_dns_type(d->answers[i].type, b, sizeof b)));
			set_str(e, "name", d->answers[i].name);
			set_str(e, "data", d->answers[i].data);
		}
		push(a, e);
	}
	set(o, "answers", a);
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
	set(o, "carrier", json_string(kf_fmt_carrier(m->carrier)));
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
	return o;
}

static json_t *addr_json(const struct kf_endpoint *e)
{
	char b[64];
	kf_fmt_addr(e, b, sizeof b);
	return json_string(b);
}

static json_t *story_obj(const struct kf_story *st)
{
	char b[64];
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "client", addr_json(&st->client));
	set(o, "user", str_or_null(st->user));
	set_str(o, "kdc", st->kdc);
	if (st->tgt_seen)
		set(o, "tgt_frame", json_integer((json_int_t)st->tgt_frame));
	json_t *sv = json_array();
	for (size_t i = 0; sv && i < st->n_services; i++) {
		const struct kf_story_service *s = &st->services[i];
		json_t *e = json_object();
		if (e) {
			set(e, "sname", json_string(s->sname));
			set(e, "realm", str_or_null(s->realm));
			set(e, "outcome", json_string(s->outcome));
			if (s->error_code) {
				set(e, "error_code", json_integer(s->error_code));
				set(e, "error", json_string(kf_fmt_error(s->error_code, b, sizeof b)));
			}
			set(e, "frames", frame_list(s->frames, s->n_frames));
		}
		push(sv, e);
	}
	set(o, "services", sv);
	json_t *hv = json_array();
	for (size_t i = 0; hv && i < st->n_http; i++) {
		const struct kf_story_http *h = &st->http[i];
		json_t *e = json_object();
		if (e) {
			set(e, "connection", json_integer(h->connection));
			set(e, "server", endpoint(&h->server));
			set_str(e, "host", h->host);
			set(e, "mech", json_string(h->mech));
			set_str(e, "ticket", h->ticket);
			set(e, "outcome", json_string(h->outcome));
			if (h->final_status)
				set(e, "status", json_integer(h->final_status));
			set(e, "requests", json_integer(h->requests));
			set(e, "ap_reqs", json_integer(h->ap_reqs));
			set(e, "frames", frame_list(h->frames, h->n_frames));
		}
		push(hv, e);
	}
	set(o, "http", hv);
	json_t *dv = json_array();
	for (size_t i = 0; dv && i < st->n_delegation; i++) {
		const struct kf_story_delegation *d = &st->delegation[i];
		json_t *e = json_object();
		if (e) {
			set(e, "kind", json_string(d->kind));
			set(e, "by", addr_json(&d->by));
			set(e, "sname", json_string(d->sname));
			set(e, "realm", str_or_null(d->realm));
			set(e, "outcome", json_string(d->outcome));
			if (d->error_code) {
				set(e, "error_code", json_integer(d->error_code));
				set(e, "error", json_string(kf_fmt_error(d->error_code, b, sizeof b)));
			}
			set(e, "frames", frame_list(d->frames, d->n_frames));
		}
		push(dv, e);
	}
	set(o, "delegation", dv);
	if (st->n_tls) {
		json_t *tv = json_array();
		for (size_t i = 0; tv && i < st->n_tls; i++) {
			json_t *e = json_object();
			if (e) {
				set(e, "frame", json_integer((json_int_t)st->tls[i].frame));
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
	if (t->kind == KF_TEV_FRAG_INCOMPLETE)
		set(o, "direction", json_string(t->from_kdc ? "kdc-to-client" : "client-to-kdc"));
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

/* ---- streaming ----------------------------------------------------------
 *
 * The document is written piece by piece: each top-level member, and each
 * element of the messages, flows and findings arrays, is built as a small
 * jansson tree, dumped and dropped before the next.  The trees live in a
 * bump arena handed to jansson (json_set_alloc_funcs): building is a pointer
 * bump, dropping is one reset, and memory stays that of the largest element
 * however many there are.
 */

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

static void bump_free(void *p) { (void)p; /* reclaimed by bump_reset */ }

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

/* Output with every line after the first indented by `indent` spaces, so a
 * value dumped on its own reads as part of the whole document.  jansson
 * hands over a few bytes at a time: gather them, one fwrite per value. */
struct writer {
	FILE *out;
	unsigned indent;
	size_t len;
	bool failed;
	char buf[16384];
};

static void put(struct writer *w, const char *p, size_t n)
{
	if (w->len + n > sizeof w->buf) {
		if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
			w->failed = true;
		w->len = 0;
		if (n > sizeof w->buf) {
			if (fwrite(p, 1, n, w->out) != n)
				w->failed = true;
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static int write_indented(const char *buf, size_t n, void *data)
{
	static const char spaces[] = "        ";
	struct writer *w = data;
	while (n) {
		const char *nl = w->indent ? memchr(buf, '\n', n) : NULL;
		size_t k = nl ? (size_t)(nl - buf) + 1 : n;
		put(w, buf, k);
		if (nl)
			put(w, spaces, w->indent);
		buf += k;
		n -= k;
	}
	return w->failed ? -1 : 0;
}

static int dump(FILE *out, json_t *v, bool compact, unsigned indent)
{
	size_t flags = JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY |
		       (compact ? JSON_COMPACT : JSON_INDENT(2));
	static struct writer w;
	w.out = out;
	w.indent = compact ? 0 : indent;
	w.len = 0;
	w.failed = false;
	int rc = v && !oom ? json_dump_callback(v, write_indented, &w, flags) : -1;
	if (w.len && fwrite(w.buf, 1, w.len, out) != w.len)
		rc = -1;
	bump_reset();
	return rc;
}

/* One top-level member. */
static int emit(FILE *out, const char *key, json_t *v, bool compact, bool first)
{
	fprintf(out, "%s%s\"%s\":%s", first ? "" : ",", compact ? "" : "\n  ", key, compact ? "" : " ");
	return dump(out, v, compact, 2);
}

/* A top-level array, element by element: the same bytes as dumping it whole. */
typedef json_t *(*element_fn)(const struct kf_result *r, size_t i);

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

static json_t *message_at(const struct kf_result *r, size_t i) { return message_obj(&r->messages[i]); }

static json_t *story_at(const struct kf_result *r, size_t i) { return story_obj(&r->stories[i]); }

static json_t *finding_at(const struct kf_result *r, size_t i)
{
	const struct kf_finding *f = &r->findings[i];
	json_t *o = json_object();
	if (o) {
		set(o, "rule", json_string(f->rule));
		set(o, "severity", json_string(kf_severity_name(f->severity)));
		set(o, "confidence", json_string(f->confidence == KF_CONF_LIKELY ? "likely" : "certain"));
		set(o, "frames", frame_list(f->frames, f->n_frames));
		set(o, "summary", json_string(f->summary));
		set(o, "explanation", json_string(f->explanation));
		set(o, "remediation", str_or_null(f->remediation));
	}
	return o;
}

int kf_report_json(const struct kf_result *r, FILE *out, bool compact)
{
	oom = 0;
	json_set_alloc_funcs(bump_malloc, bump_free);
	json_t *ver = json_object();
	if (ver) {
		set(ver, "version", json_string(KRBFLOW_VERSION));
		set(ver, "schema", json_integer(KRBFLOW_SCHEMA));
	}
	fputc('{', out);
	int rc = emit(out, "krbflow", ver, compact, true);
	rc = rc ? rc : emit(out, "capture", capture_obj(r), compact, false);
	rc = rc ? rc : emit_array(out, "messages", r, r->n_messages, message_at, compact);
	rc = rc ? rc : emit_array(out, "flows", r, r->n_stories, story_at, compact);
	rc = rc ? rc : emit_array(out, "findings", r, r->n_findings, finding_at, compact);
	fputs(compact ? "}\n" : "\n}\n", out);
	bump_release();
	json_set_alloc_funcs(malloc, free);
	return rc ? -1 : 0;
}
