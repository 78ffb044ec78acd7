/* messages.c - message store: promotion into the run arena, reply links,
 * final ordering. */
#include "messages.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

void kf_msgstore_init(struct kf_msgstore *s, struct kf_arena *arena)
{
	memset(s, 0, sizeof *s);
	s->arena = arena;
}

static const char *dup_str(struct kf_arena *a, bool present, const char *s, bool *fail)
{
	if (!present)
		return NULL;
	char *d = kf_arena_strndup(a, s, strlen(s));
	if (!d)
		*fail = true;
	return d;
}

static void *dup_mem(struct kf_arena *a, const void *p, size_t n, bool *fail)
{
	if (n == 0)
		return NULL;
	void *d = kf_arena_alloc(a, n);
	if (!d) {
		*fail = true;
		return NULL;
	}
	memcpy(d, p, n);
	return d;
}

static struct kf_ticket_rec *dup_tickets(struct kf_arena *a, const struct kf_krb_ticket *t, size_t n,
					 bool *fail)
{
	if (n == 0)
		return NULL;
	struct kf_ticket_rec *out = kf_arena_zalloc(a, n * sizeof(*out));
	if (!out) {
		*fail = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		out[i].sname = dup_str(a, true, t[i].sname, fail);
		out[i].realm = dup_str(a, true, t[i].realm, fail);
		out[i].etype = t[i].etype;
		out[i].has_kvno = t[i].has_kvno;
		out[i].kvno = t[i].kvno;
		out[i].cipher_hash = t[i].cipher_hash;
	}
	return out;
}

enum kf_status kf_krb_rec_from_msg(struct kf_arena *a, const struct kf_krb_msg *m, struct kf_krb_rec *o)
{
	bool fail = false;
	memset(o, 0, sizeof *o);
	o->complete = m->complete;
	o->cname = dup_str(a, m->has_cname, m->cname, &fail);
	o->crealm = dup_str(a, m->has_crealm, m->crealm, &fail);
	o->sname = dup_str(a, m->has_sname, m->sname, &fail);
	o->realm = dup_str(a, m->has_realm, m->realm, &fail);
	o->has_kdc_options = m->has_kdc_options;
	o->kdc_options = m->kdc_options;
	o->has_nonce = m->has_nonce;
	o->nonce = m->nonce;
	o->has_from = m->has_from;
	o->from = m->from;
	o->has_till = m->has_till;
	o->till = m->till;
	o->has_rtime = m->has_rtime;
	o->rtime = m->rtime;
	o->has_ap_options = m->has_ap_options;
	o->ap_options = m->ap_options;
	o->has_pac_options = m->has_pac_options;
	o->pac_options = m->pac_options;
	o->has_pac_request = m->has_pac_request;
	o->pac_request = m->pac_request;
	o->has_enc_etype = m->has_enc_etype;
	o->enc_etype = m->enc_etype;
	o->error_code = m->error_code;
	o->has_stime = m->has_stime;
	o->stime = m->stime;
	o->susec = m->susec;
	o->has_ctime = m->has_ctime;
	o->ctime = m->ctime;
	o->cusec = m->cusec;
	o->has_ntstatus = m->has_ntstatus;
	o->ntstatus = m->ntstatus;
	o->has_e_data = m->has_e_data;
	o->e_text = dup_str(a, m->has_e_text, m->e_text, &fail);
	o->s4u_user = dup_str(a, m->has_s4u_user, m->s4u_user, &fail);

	o->n_etypes = m->n_etypes;
	o->etypes = dup_mem(a, m->etypes, m->n_etypes * sizeof(int32_t), &fail);
	o->n_padata = m->n_padata;
	o->padata = dup_mem(a, m->padata, m->n_padata * sizeof(int32_t), &fail);
	o->n_edata_padata = m->n_edata_padata;
	o->edata_padata = dup_mem(a, m->edata_padata, m->n_edata_padata * sizeof(int32_t), &fail);
	o->n_addresses = m->n_addresses;
	if (m->n_addresses) {
		o->addresses = kf_arena_alloc(a, m->n_addresses * sizeof(char *));
		if (!o->addresses)
			fail = true;
		for (unsigned i = 0; o->addresses && i < m->n_addresses; i++)
			o->addresses[i] = dup_str(a, true, m->addresses[i], &fail);
	}
	o->n_etype_info = m->n_etype_info;
	if (m->n_etype_info) {
		o->etype_info = kf_arena_zalloc(a, m->n_etype_info * sizeof(*o->etype_info));
		if (!o->etype_info)
			fail = true;
		for (unsigned i = 0; o->etype_info && i < m->n_etype_info; i++) {
			o->etype_info[i].etype = m->etype_info[i].etype;
			o->etype_info[i].salt =
				dup_str(a, m->etype_info[i].has_salt, m->etype_info[i].salt, &fail);
		}
	}
	if (m->ticket.present)
		o->ticket = dup_tickets(a, &m->ticket, 1, &fail);
	o->n_addl = m->n_additional_tickets;
	o->addl = dup_tickets(a, m->additional_tickets, m->n_additional_tickets, &fail);
	return fail ? KF_NOMEM : KF_OK;
}

enum kf_status kf_msgstore_add(struct kf_msgstore *s, const struct kf_message *msg,
			       const struct kf_krb_msg *m, uint32_t *id)
{
	if (s->n >= KF_LIMIT_MESSAGES)
		return KF_LIMIT;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct kf_message *nm = kf_realloc(s->msgs, cap * sizeof(*nm));
		if (!nm)
			return KF_NOMEM;
		s->msgs = nm;
		s->cap = cap;
	}
	struct kf_message *out = &s->msgs[s->n];
	*out = *msg;
	out->id = (uint32_t)s->n + 1;
	out->reply_id = out->request_id = 0;
	out->raw = NULL;
	out->raw_len = 0;
	if (s->keep_raw && m && msg->raw && msg->raw_len) {
		uint8_t *raw = kf_arena_alloc(s->arena, msg->raw_len);
		if (!raw)
			return KF_NOMEM;
		memcpy(raw, msg->raw, msg->raw_len);
		out->raw = raw;
		out->raw_len = msg->raw_len;
	}
	if (m && kf_krb_rec_from_msg(s->arena, m, &out->krb) != KF_OK)
		return KF_NOMEM;
	*id = out->id;
	s->n++;
	return KF_OK;
}

static struct kf_message *store_msg(const struct kf_msgstore *s, uint32_t id)
{
	return id && id <= s->n ? &s->msgs[id - 1] : NULL;
}

const struct kf_message *kf_msgstore_get(const struct kf_msgstore *s, uint32_t id)
{
	return store_msg(s, id);
}

void kf_msgstore_retime(struct kf_msgstore *s, uint32_t id, uint64_t frame, uint64_t ts_us)
{
	struct kf_message *m = store_msg(s, id);
	if (!m || frame <= m->frame)
		return;
	if (!m->first_frame)
		m->first_frame = m->frame;
	m->frame = frame;
	m->ts_us = ts_us;
}

void kf_msgstore_link(struct kf_msgstore *s, uint32_t req, uint32_t rep)
{
	struct kf_message *q = store_msg(s, req), *p = store_msg(s, rep);
	if (!q || !p)
		return;
	q->reply_id = rep;
	p->request_id = req;
}

enum kf_status kf_msgstore_add_tevent(struct kf_msgstore *s, const struct kf_tevent *t)
{
	if (s->n_tev >= KF_LIMIT_TRANSPORT_EVENTS)
		return KF_LIMIT; /* the caller reports transport-event-limit */
	if (s->n_tev == s->cap_tev) {
		size_t cap = s->cap_tev ? s->cap_tev * 2 : 16;
		struct kf_tevent *nt = kf_realloc(s->tev, cap * sizeof(*nt));
		if (!nt)
			return KF_NOMEM;
		s->tev = nt;
		s->cap_tev = cap;
	}
	s->tev[s->n_tev++] = *t;
	return KF_OK;
}

static int cmp_msg(const void *a, const void *b)
{
	const struct kf_message *x = a, *y = b;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_tev(const void *a, const void *b)
{
	const struct kf_tevent *x = a, *y = b;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->request_frame < y->request_frame ? -1 : x->request_frame > y->request_frame;
}

/* ---- the by-address index ----------------------------------------------- */

static const struct kf_message *index_msgs; /* qsort has no context argument */

static const struct kf_endpoint *side_of(const struct kf_message *msgs, uint32_t x)
{
	return x & 1 ? &msgs[x >> 1].dst : &msgs[x >> 1].src;
}

static int addr_cmp(const struct kf_endpoint *a, const struct kf_endpoint *b)
{
	if (a->ipver != b->ipver)
		return a->ipver < b->ipver ? -1 : 1;
	return memcmp(a->addr, b->addr, a->ipver == 6 ? 16 : 4);
}

static int cmp_at_addr(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = addr_cmp(side_of(index_msgs, x), side_of(index_msgs, y));
	return c ? c : x < y ? -1 : x > y; /* then frame order (message index) */
}

/* by_id: for each id up to the largest held, where its message is; and
 * the tickets' issuers. */
static enum kf_status index_ids(struct kf_result *res)
{
	uint32_t max = 0;
	for (size_t i = 0; i < res->n_messages; i++)
		max = res->messages[i].id > max ? res->messages[i].id : max;
	kf_free(res->by_id);
	res->n_by_id = 0;
	res->by_id = kf_calloc((size_t)max + 1, sizeof(uint32_t));
	if (!res->by_id)
		return KF_NOMEM;
	for (size_t i = 0; i < res->n_messages; i++)
		if (res->messages[i].id)
			res->by_id[res->messages[i].id - 1] = (uint32_t)i + 1;
	res->n_by_id = max;
	return kf_result_index_tickets(res);
}

const struct kf_message *kf_result_message(const struct kf_result *r, uint32_t id)
{
	if (!id || id > r->n_by_id || !r->by_id[id - 1])
		return NULL;
	return &r->messages[r->by_id[id - 1] - 1];
}

enum kf_status kf_result_index(struct kf_result *res)
{
	if (index_ids(res) != KF_OK)
		return KF_NOMEM;
	kf_free(res->by_addr);
	res->by_addr = kf_malloc(2 * res->n_messages * sizeof(uint32_t) + 1);
	if (!res->by_addr)
		return KF_NOMEM;
	size_t n = 0;
	for (size_t i = 0; i < res->n_messages; i++) {
		const struct kf_message *m = &res->messages[i];
		res->by_addr[n++] = (uint32_t)(2 * i);
		if (!kf_endpoint_same_addr(&m->src, &m->dst)) /* listed once at an address */
			res->by_addr[n++] = (uint32_t)(2 * i + 1);
	}
	res->n_by_addr = n;
	index_msgs = res->messages;
	qsort(res->by_addr, n, sizeof(uint32_t), cmp_at_addr);
	index_msgs = NULL;
	return KF_OK;
}

struct kf_at_addr kf_result_at_addr(const struct kf_result *r, const struct kf_endpoint *e,
				    uint64_t first_frame)
{
	struct kf_at_addr out = { NULL, 0 };
	size_t n = r->n_by_addr, lo = 0, hi = n;
	if (!r->by_addr)
		return out;
	while (lo < hi) { /* first entry >= (e, first_frame) */
		size_t mid = (lo + hi) / 2;
		uint32_t x = r->by_addr[mid];
		int c = addr_cmp(side_of(r->messages, x), e);
		if (c < 0 || (c == 0 && r->messages[x >> 1].frame < first_frame))
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t first = lo, end = n; /* the end of the address's run by halving too: one
				     * address may hold most of a capture */
	while (lo < end) {
		size_t mid = (lo + end) / 2;
		if (addr_cmp(side_of(r->messages, r->by_addr[mid]), e) <= 0)
			lo = mid + 1;
		else
			end = mid;
	}
	out.v = r->by_addr + first;
	out.n = end - first;
	return out;
}

enum kf_status kf_msgstore_finish(struct kf_msgstore *s, struct kf_result *res)
{
	/* stored in order as a rule (a message is recorded in the frame that
	 * completes it); only data flushed at a connection's end comes late */
	bool sorted = true;
	for (size_t i = 1; i < s->n && sorted; i++)
		sorted = cmp_msg(&s->msgs[i - 1], &s->msgs[i]) <= 0;
	if (!sorted)
		qsort(s->msgs, s->n, sizeof(*s->msgs), cmp_msg);
	if (s->n_tev)
		qsort(s->tev, s->n_tev, sizeof(*s->tev), cmp_tev);
	res->messages = s->msgs;
	res->n_messages = s->n;
	res->tevents = s->tev;
	res->n_tevents = s->n_tev;
	s->msgs = NULL;
	s->tev = NULL;
	s->n = s->cap = s->n_tev = s->cap_tev = 0;
	return index_ids(res);
}

void kf_msgstore_free(struct kf_msgstore *s)
{
	kf_free(s->msgs);
	kf_free(s->tev);
	memset(s, 0, sizeof *s);
}

bool kf_endpoint_same_addr(const struct kf_endpoint *a, const struct kf_endpoint *b)
{
	return a->ipver == b->ipver && memcmp(a->addr, b->addr, a->ipver == 6 ? 16 : 4) == 0;
}

size_t kf_result_first_in_frame(const struct kf_result *r, uint64_t frame)
{
	size_t lo = 0, hi = r->n_messages;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->messages[mid].frame < frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct kf_message *kf_result_message_at(const struct kf_result *r, uint64_t frame, int type)
{
	for (size_t i = kf_result_first_in_frame(r, frame);
	     i < r->n_messages && r->messages[i].frame == frame; i++)
		if (type < 0 || r->messages[i].type == type)
			return &r->messages[i];
	return NULL;
}

void kf_endpoint_addr(const struct kf_endpoint *e, char *buf, size_t len)
{
	if (!inet_ntop(e->ipver == 6 ? AF_INET6 : AF_INET, e->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void kf_result_free(struct kf_result *r)
{
	kf_free(r->messages);
	kf_free(r->by_addr);
	kf_free(r->by_id);
	kf_free(r->issued);
	r->issued = NULL;
	r->n_issued = 0;
	kf_free(r->tevents);
	kf_arena_free(&r->arena);
	r->messages = NULL;
	r->by_addr = NULL;
	r->by_id = NULL;
	r->tevents = NULL;
	r->n_messages = r->n_tevents = r->n_by_id = 0;
}

bool kf_msg_in_app_protocol(const struct kf_message *m)
{
	if (m->carrier == KF_CARRIER_KERBEROS) /* DNS: its own records are not tokens, GSS-TSIG's are */
		return false;
	bool krb = m->type >= KF_KRB_AS_REQ && m->type <= KF_KRB_ERROR;
	bool ntlm = m->type >= KF_MSG_NTLM_NEGOTIATE && m->type <= KF_MSG_NTLM_AUTHENTICATE;
	return krb || ntlm;
}

/* ---- reply links ---------------------------------------------------------- */

const struct kf_message *kf_msg_at(const struct kf_result *r, uint64_t frame, int type)
{
	return kf_result_message_at(r, frame, type);
}

const struct kf_message *kf_msg_reply(const struct kf_result *r, const struct kf_message *req)
{
	return kf_result_message(r, req->reply_id);
}

const struct kf_message *kf_msg_request(const struct kf_result *r, const struct kf_message *rep)
{
	return kf_result_message(r, rep->request_id);
}

/* ---- tickets: who a ticket belongs to ---------------------------------------
 * As far as the capture shows: the reply that issued it (the same
 * ciphertext), and the client that reply names.  A KDC that hides client
 * names (RFC 6113 §5.4.2: a FAST request with hide-client-names, as Heimdal
 * clients ask) names WELLKNOWN/ANONYMOUS instead; then the owner is that of
 * the TGT the request presented, and so on up the chain of tickets. */

#define OWNER_STEPS 4 /* tickets followed up the chain (TGT → referral TGT → ...) */

static bool issues_ticket(const struct kf_message *m)
{
	return (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP) && m->krb.ticket &&
	       m->krb.ticket->cipher_hash;
}

static int cmp_issued(const void *a, const void *b)
{
	uint64_t x = ((const uint64_t *)a)[0], y = ((const uint64_t *)b)[0];
	return x < y ? -1 : x > y;
}

enum kf_status kf_result_index_tickets(struct kf_result *r)
{
	kf_free(r->issued);
	r->issued = NULL;
	r->n_issued = 0;
	size_t n = 0;
	for (size_t i = 0; i < r->n_messages; i++)
		n += issues_ticket(&r->messages[i]);
	if (!n)
		return KF_OK;
	r->issued = kf_malloc(n * sizeof(*r->issued));
	if (!r->issued)
		return KF_NOMEM;
	for (size_t i = 0; i < r->n_messages; i++)
		if (issues_ticket(&r->messages[i])) {
			r->issued[r->n_issued][0] = r->messages[i].krb.ticket->cipher_hash;
			r->issued[r->n_issued][1] = i;
			r->n_issued++;
		}
	qsort(r->issued, r->n_issued, sizeof(*r->issued), cmp_issued);
	return KF_OK;
}

const struct kf_message *kf_result_ticket_issuer(const struct kf_result *r, const struct kf_ticket_rec *t)
{
	if (!t || !t->cipher_hash || !r->n_issued)
		return NULL;
	size_t lo = 0, hi = r->n_issued;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->issued[mid][0] < t->cipher_hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == r->n_issued || r->issued[lo][0] != t->cipher_hash)
		return NULL;
	return &r->messages[r->issued[lo][1]];
}

bool kf_name_is_anonymous(const char *cname, const char *crealm)
{
	return cname && !strcmp(cname, "WELLKNOWN/ANONYMOUS") &&
	       (!crealm || !strcmp(crealm, "WELLKNOWN:ANONYMOUS"));
}

bool kf_reply_client(const struct kf_result *r, const struct kf_message *rep, const char **cname,
		     const char **crealm)
{
	for (int step = 0; rep && step < OWNER_STEPS; step++) {
		if (!rep->krb.cname)
			return false;
		if (!kf_name_is_anonymous(rep->krb.cname, rep->krb.crealm) || rep->type != KF_KRB_TGS_REP) {
			*cname = rep->krb.cname;
			*crealm = rep->krb.crealm;
			return true;
		}
		/* a hidden name: whose TGT did the request present? */
		const struct kf_message *req = kf_msg_request(r, rep);
		rep = req ? kf_result_ticket_issuer(r, req->krb.ticket) : NULL;
	}
	return false;
}

bool kf_ticket_client(const struct kf_result *r, const struct kf_ticket_rec *t, const char **cname,
		      const char **crealm)
{
	return kf_reply_client(r, kf_result_ticket_issuer(r, t), cname, crealm);
}
