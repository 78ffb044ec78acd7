/* stories.c - join messages into per-client authentication stories
 * (DIAGNOSES.md): by client address first, then by principal, because a
 * double hop's later requests come from the front end and name the user
 * only in the KDC's reply (a TGS-REQ carries no client name in the clear). */
#include "stories.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "krb5.h"
#include "names.h"

/* ---- growable scratch arrays (heap while building, arena at the end) ---- */

struct vec {
	void *p;
	size_t n, cap, elem;
};

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		void *np = kf_realloc(v->p, cap * v->elem);
		if (!np)
			return NULL;
		v->p = np;
		v->cap = cap;
	}
	void *e = (char *)v->p + v->n * v->elem;
	memset(e, 0, v->elem);
	v->n++;
	return e;
}

static bool frames_add(struct vec *v, uint64_t frame)
{
	if (!frame)
		return true;
	uint64_t *f = vec_push(v);
	if (!f)
		return false;
	*f = frame;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted, deduplicated copy of a frame vector into the arena. */
static uint64_t *frames_final(struct kf_arena *a, struct vec *v, size_t *n, bool *fail)
{
	*n = 0;
	if (!v->n)
		return NULL;
	qsort(v->p, v->n, sizeof(uint64_t), cmp_u64);
	uint64_t *src = v->p;
	size_t k = 0;
	for (size_t i = 0; i < v->n; i++)
		if (i == 0 || src[i] != src[i - 1])
			src[k++] = src[i];
	uint64_t *out = kf_arena_alloc(a, k * sizeof(uint64_t));
	if (!out) {
		*fail = true;
		return NULL;
	}
	memcpy(out, src, k * sizeof(uint64_t));
	*n = k;
	return out;
}

/* ---- a multimap from 64-bit hashes to values (open addressing) ----------
 * Lookups of the passes below (client address -> story, connection -> its
 * HTTP record, user and server -> stories) would otherwise scan every story
 * for every message.  Equal hashes are candidates the caller confirms. */

struct hmap {
	struct hent {
		uint64_t h;
		uint64_t v; /* value + 1; 0 marks a free slot */
	} * e;
	size_t cap, n;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull; /* FNV-1a */
	return h;
}

#define HASH_SEED 0xcbf29ce484222325ull

static uint64_t hash_addr(uint64_t h, const struct kf_endpoint *e)
{
	h = hash_bytes(h, &e->ipver, 1);
	return hash_bytes(h, e->addr, e->ipver == 6 ? 16 : 4);
}

static bool hmap_put(struct hmap *m, uint64_t h, uint64_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct hent *e = kf_calloc(cap, sizeof(*e));
		if (!e)
			return false;
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->e[i].v)
				continue;
			size_t j = m->e[i].h & (cap - 1);
			while (e[j].v)
				j = (j + 1) & (cap - 1);
			e[j] = m->e[i];
		}
		kf_free(m->e);
		m->e = e;
		m->cap = cap;
	}
	size_t j = h & (m->cap - 1);
	while (m->e[j].v)
		j = (j + 1) & (m->cap - 1);
	m->e[j].h = h;
	m->e[j].v = v + 1;
	m->n++;
	return true;
}

/* Candidates for hash h: start with *pos = SIZE_MAX; returns false when done. */
static bool hmap_next(const struct hmap *m, uint64_t h, size_t *pos, uint64_t *v)
{
	if (!m->cap)
		return false;
	size_t j = *pos == SIZE_MAX ? h & (m->cap - 1) : (*pos + 1) & (m->cap - 1);
	for (; m->e[j].v; j = (j + 1) & (m->cap - 1)) {
		if (m->e[j].h == h) {
			*pos = j;
			*v = m->e[j].v - 1;
			return true;
		}
	}
	return false;
}

/* ---- working structures ------------------------------------------------- */

struct svc_w {
	const char *sname, *realm, *outcome;
	int32_t error_code;
	struct vec frames;
};

struct http_w {
	uint32_t connection, tcp_stream;
	struct kf_endpoint server;
	const char *host, *mech, *ticket;
	int final_status;
	bool creds_sent, rejected_after_creds, ok_after_creds, server_error;
	uint64_t ntlm_challenge_frame; /* the last NTLM CHALLENGE's, 0 if none */
	uint32_t requests, ap_reqs;
	struct vec frames;
};

struct del_w {
	const char *kind, *sname, *realm, *outcome;
	struct kf_endpoint by;
	int32_t error_code;
	struct vec frames;
};

struct story_w {
	struct kf_endpoint client;
	const char *user, *kdc;
	bool tgt_seen;
	uint64_t tgt_frame, first_frame;
	uint32_t on_behalf_id; /* the last reply added by on_behalf */
	struct vec services, http, deleg, tls, frames;
	struct vec sessions, backend; /* uint32_t indexes into r->sessions */
};

struct builder {
	struct kf_result *r;
	struct vec stories;    /* struct story_w */
	struct hmap by_client; /* client address -> story */
	struct hmap by_conn;   /* connection id -> story << 32 | its HTTP record */
	struct hmap by_server; /* user and HTTP server address -> story */
	uint32_t *by_user;     /* stories with a user, by user then first frame */
	size_t n_by_user;
	bool fail;
};

static bool smb_port(uint16_t p) { return p == 445 || p == 139; }

bool kf_message_client(const struct kf_message *m, struct kf_endpoint *client)
{
	bool src_is_client;
	switch (m->carrier) {
	case KF_CARRIER_KERBEROS:
		src_is_client = m->dst.port == 88 && m->src.port != 88 ? true
				: m->src.port == 88 && m->dst.port != 88
					? false
					: (m->type == KF_KRB_AS_REQ || m->type == KF_KRB_TGS_REQ);
		break;
	case KF_CARRIER_DNS:
		/* responses are recorded (the client receives); GSS-TSIG tokens
		 * go as any token does */
		src_is_client = m->gsswrap
					? m->gsswrap->from_client
					: kf_msg_in_app_protocol(m) && (m->type == KF_KRB_AP_REQ ||
									m->type == KF_MSG_NTLM_NEGOTIATE ||
									m->type == KF_MSG_NTLM_AUTHENTICATE);
		break;
	default:
		if (kf_msg_in_app_protocol(m) && m->sender) /* its record says (AUTH3's AP-REP) */
			src_is_client = m->sender == KF_SENDER_CLIENT;
		else if (kf_msg_in_app_protocol(
				 m)) /* the client sends AP-REQ, NTLM NEGOTIATE and AUTHENTICATE */
			src_is_client = m->type == KF_KRB_AP_REQ || m->type == KF_MSG_NTLM_NEGOTIATE ||
					m->type == KF_MSG_NTLM_AUTHENTICATE;
		else if (m->carrier == KF_CARRIER_HTTP &&
			 (m->type == KF_MSG_HTTP_REQUEST || m->type == KF_MSG_HTTP_RESPONSE))
			src_is_client = m->type == KF_MSG_HTTP_REQUEST;
		else if (m->type == KF_MSG_LDAP_REQUEST || m->type == KF_MSG_LDAP_RESPONSE ||
			 m->type == KF_MSG_DCERPC_REQUEST || m->type == KF_MSG_DCERPC_RESPONSE ||
			 m->type == KF_MSG_TDS_REQUEST || m->type == KF_MSG_TDS_RESPONSE)
			src_is_client = m->type == KF_MSG_LDAP_REQUEST || m->type == KF_MSG_DCERPC_REQUEST ||
					m->type == KF_MSG_TDS_REQUEST;
		else if (m->gsswrap) /* a per-message token: the carrier knew its direction */
			src_is_client = m->gsswrap->from_client;
		else if (m->type == KF_MSG_SMB_REQUEST || m->type == KF_MSG_SMB_RESPONSE)
			/* by the server's port first: a scanner sends "responses" too */
			src_is_client = smb_port(m->dst.port) != smb_port(m->src.port)
						? smb_port(m->dst.port)
						: m->type == KF_MSG_SMB_REQUEST;
		else
			return false;
	}
	*client = src_is_client ? m->src : m->dst;
	client->port = 0;
	return true;
}

static struct story_w *story_for(struct builder *b, const struct kf_endpoint *client, uint64_t frame)
{
	uint64_t h = hash_addr(HASH_SEED, client), v;
	struct story_w *s = b->stories.p;
	for (size_t pos = SIZE_MAX; hmap_next(&b->by_client, h, &pos, &v);)
		if (kf_endpoint_same_addr(&s[v].client, client))
			return &s[v];
	struct story_w *n = vec_push(&b->stories);
	if (!n || !hmap_put(&b->by_client, h, b->stories.n - 1)) {
		b->fail = true;
		return NULL;
	}
	n->client = *client;
	n->first_frame = frame;
	n->services.elem = sizeof(struct svc_w);
	n->http.elem = sizeof(struct http_w);
	n->deleg.elem = sizeof(struct del_w);
	n->tls.elem = sizeof(struct kf_story_tls);
	n->sessions.elem = n->backend.elem = sizeof(uint32_t);
	n->frames.elem = sizeof(uint64_t);
	return n;
}

static const char *principal(struct kf_arena *a, const char *name, const char *realm)
{
	if (!name)
		return NULL;
	if (strchr(name, '@')) /* an enterprise name carries its realm: once */
		realm = NULL;
	size_t n = strlen(name), m = realm ? strlen(realm) : 0;
	char *p = kf_arena_alloc(a, n + m + 2);
	if (!p)
		return NULL;
	memcpy(p, name, n);
	if (realm) {
		p[n] = '@';
		memcpy(p + n + 1, realm, m);
		p[n + 1 + m] = 0;
	} else {
		p[n] = 0;
	}
	return p;
}

static struct svc_w *service(struct builder *b, struct story_w *s, const char *sname, const char *realm)
{
	struct svc_w *v = s->services.p;
	for (size_t i = 0; i < s->services.n; i++)
		if (kf_name_eq_exact(v[i].sname, sname) &&
		    (v[i].realm == realm || kf_name_eq_exact(v[i].realm, realm)))
			return &v[i];
	struct svc_w *n = vec_push(&s->services);
	if (!n) {
		b->fail = true;
		return NULL;
	}
	n->sname = sname;
	n->realm = realm;
	n->outcome = KF_OUTCOME_UNKNOWN;
	n->frames.elem = sizeof(uint64_t);
	return n;
}

static struct http_w *http_conn(struct builder *b, struct story_w *s, const struct kf_message *m)
{
	uint64_t h = hash_bytes(HASH_SEED, &m->connection, sizeof m->connection), v;
	uint64_t story = (uint64_t)(s - (struct story_w *)b->stories.p);
	struct http_w *hw = s->http.p;
	for (size_t pos = SIZE_MAX; hmap_next(&b->by_conn, h, &pos, &v);)
		if (v >> 32 == story && hw[v & 0xffffffffu].connection == m->connection)
			return &hw[v & 0xffffffffu];
	struct http_w *n = vec_push(&s->http);
	if (!n || !hmap_put(&b->by_conn, h, story << 32 | (s->http.n - 1))) {
		b->fail = true;
		return NULL;
	}
	n->connection = m->connection;
	n->tcp_stream = m->tcp_stream;
	n->mech = "none";
	n->frames.elem = sizeof(uint64_t);
	return n;
}

#define KDC_OPT_FORWARDED (0x80000000u >> 2)
#define KDC_OPT_CNAME_IN_ADDL_TKT (0x80000000u >> 14)

/* ---- the passes ---------------------------------------------------------- */

static void kdc_message(struct builder *b, struct story_w *s, const struct kf_message *m)
{
	struct kf_result *r = b->r;
	struct kf_arena *a = &r->arena;
	const struct kf_krb_rec *k = &m->krb;
	char kdc[64];
	if (!s->kdc) {
		const struct kf_endpoint *e = m->dst.port == 88 ? &m->dst : &m->src;
		kf_endpoint_addr(e, kdc, sizeof kdc);
		s->kdc = kf_arena_strndup(a, kdc, strlen(kdc));
	}
	switch (m->type) {
	case KF_KRB_AS_REQ:
		if (!s->user && k->cname)
			s->user = principal(a, k->cname, k->realm);
		break;
	case KF_KRB_AS_REP:
		s->tgt_seen = true;
		s->tgt_frame = m->frame;
		if (k->cname)
			s->user = principal(a, k->cname, k->crealm);
		break;
	case KF_KRB_TGS_REP: {
		const char *cname, *crealm; /* a name the KDC hid is looked for up the ticket chain */
		if (!s->user && kf_reply_client(r, m, &cname, &crealm) &&
		    !kf_name_is_anonymous(cname, crealm))
			s->user = principal(a, cname, crealm);
		break;
	}
	case KF_KRB_TGS_REQ: {
		if (!k->sname)
			break;
		const struct kf_message *rep = kf_msg_reply(r, m);
		const char *outcome = !rep                          ? KF_OUTCOME_UNKNOWN
				      : rep->type == KF_KRB_TGS_REP ? KF_OUTCOME_OK
								    : KF_OUTCOME_ERROR;
		/* a TGT for another realm instead of the service: the KDC sent the
		 * client on (RFC 6806 referral), the service is not reached yet */
		if (rep && rep->type == KF_KRB_TGS_REP && rep->krb.ticket &&
		    kf_sname_is_krbtgt_exact(rep->krb.ticket->sname) && !kf_sname_is_krbtgt_exact(k->sname))
			outcome = KF_OUTCOME_REFERRAL;
		bool forwarded = k->has_kdc_options && (k->kdc_options & KDC_OPT_FORWARDED) &&
				 kf_sname_is_krbtgt_exact(k->sname);
		bool s4u = k->s4u_user ||
			   (k->n_addl && k->has_kdc_options && (k->kdc_options & KDC_OPT_CNAME_IN_ADDL_TKT));
		if (forwarded || s4u) {
			struct del_w *d = vec_push(&s->deleg);
			if (!d) {
				b->fail = true;
				return;
			}
			d->kind = forwarded ? "forwarded-tgt" : k->s4u_user ? "s4u2self" : "s4u2proxy";
			d->by = s->client;
			d->sname = k->sname;
			d->realm = k->realm;
			d->outcome = outcome;
			d->error_code = rep && rep->type == KF_KRB_ERROR ? rep->krb.error_code : 0;
			d->frames.elem = sizeof(uint64_t);
			b->fail |= !frames_add(&d->frames, m->frame);
			if (rep)
				b->fail |= !frames_add(&d->frames, rep->frame);
			if (forwarded)
				break;
		}
		struct svc_w *v = service(b, s, k->sname, k->realm);
		if (!v)
			return;
		v->outcome = outcome;
		v->error_code = rep && rep->type == KF_KRB_ERROR ? rep->krb.error_code : 0;
		b->fail |= !frames_add(&v->frames, m->frame);
		if (rep)
			b->fail |= !frames_add(&v->frames, rep->frame);
		break;
	}
	default: break;
	}
}

/* Host of a Host header or SNI, without the port. */
static void host_part(const char *host, char *out, size_t cap)
{
	size_t n = 0;
	if (host[0] == '[') { /* [v6]:port */
		const char *end = strchr(host, ']');
		n = end ? (size_t)(end - host + 1) : strlen(host);
	} else {
		const char *colon = strchr(host, ':');
		n = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, host, n);
	out[n] = 0;
}

static void http_message(struct builder *b, struct story_w *s, const struct kf_message *m)
{
	struct kf_arena *a = &b->r->arena;
	struct http_w *h = http_conn(b, s, m);
	if (!h)
		return;
	b->fail |= !frames_add(&h->frames, m->frame);
	bool from_client = m->type == KF_MSG_HTTP_REQUEST || m->type == KF_KRB_AP_REQ ||
			   m->type == KF_MSG_NTLM_NEGOTIATE || m->type == KF_MSG_NTLM_AUTHENTICATE;
	h->server = from_client ? m->dst : m->src;
	switch (m->type) {
	case KF_MSG_HTTP_REQUEST:
		h->requests++;
		if (!h->host && m->http && m->http->host)
			h->host = m->http->host;
		if (m->http && m->http->auth_scheme) {
			h->creds_sent = true;
			if (!strcmp(h->mech, "none"))
				h->mech = kf_arena_strndup(a, m->http->auth_scheme,
							   strlen(m->http->auth_scheme));
		}
		break;
	case KF_MSG_HTTP_RESPONSE:
		if (m->http) {
			h->final_status = m->http->status;
			/* a 401 carrying NTLM's CHALLENGE (decoded just before it,
			 * in the same frame) goes on with the handshake: not a
			 * rejection */
			bool challenge = h->ntlm_challenge_frame == m->frame;
			if (h->creds_sent && (m->http->status == 401 || m->http->status == 407) && !challenge)
				h->rejected_after_creds = true;
			else if (h->creds_sent && m->http->status < 400)
				h->ok_after_creds = true;
		}
		break;
	case KF_KRB_AP_REQ:
		h->mech = "kerberos";
		h->ap_reqs++;
		if (m->krb.ticket)
			h->ticket = principal(a, m->krb.ticket->sname, m->krb.ticket->realm);
		break;
	case KF_KRB_ERROR: h->server_error = true; break;
	case KF_MSG_NTLM_NEGOTIATE:
	case KF_MSG_NTLM_CHALLENGE:
	case KF_MSG_NTLM_AUTHENTICATE:
		h->mech = "ntlm";
		if (m->type == KF_MSG_NTLM_CHALLENGE)
			h->ntlm_challenge_frame = m->frame;
		if (m->type == KF_MSG_NTLM_AUTHENTICATE && m->ntlm && m->ntlm->user && !s->user) {
			char u[2 * KF_LIMIT_NAME + 2];
			snprintf(u, sizeof u, "%s%s%s", m->ntlm->domain ? m->ntlm->domain : "",
				 m->ntlm->domain ? "\\" : "", m->ntlm->user);
			s->user = kf_arena_strndup(a, u, strlen(u));
		}
		break;
	default: break;
	}
}

/* ---- delegation seen from the user's side -------------------------------- */

static const struct story_w *by_user_stories; /* qsort has no context argument */

static int cmp_by_user(const void *a, const void *b)
{
	const struct story_w *x = &by_user_stories[*(const uint32_t *)a];
	const struct story_w *y = &by_user_stories[*(const uint32_t *)b];
	int c = strcmp(x->user, y->user);
	if (c)
		return c;
	return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

/* Indexes for on_behalf: by user and the HTTP servers the user's client
 * talked to; by user and first frame. */
static void index_users(struct builder *b)
{
	struct story_w *st = b->stories.p;
	b->by_user = kf_malloc(b->stories.n * sizeof(uint32_t) + 1);
	if (!b->by_user) {
		b->fail = true;
		return;
	}
	for (size_t i = 0; i < b->stories.n; i++) {
		if (!st[i].user)
			continue;
		b->by_user[b->n_by_user++] = (uint32_t)i;
		uint64_t hu = hash_bytes(HASH_SEED, st[i].user, strlen(st[i].user));
		struct http_w *h = st[i].http.p;
		for (size_t j = 0; j < st[i].http.n; j++)
			if (!hmap_put(&b->by_server, hash_addr(hu, &h[j].server), i))
				b->fail = true;
	}
	by_user_stories = st;
	qsort(b->by_user, b->n_by_user, sizeof(uint32_t), cmp_by_user);
}

static bool served(const struct story_w *s, const struct kf_endpoint *server)
{
	const struct http_w *h = s->http.p;
	for (size_t j = 0; j < s->http.n; j++)
		if (kf_endpoint_same_addr(&h[j].server, server))
			return true;
	return false;
}

/* The story of user U, other than skip, whose client came last before
 * frame; else the first to come after it. */
static struct story_w *nearest_of_user(struct builder *b, const char *who, uint64_t frame,
				       const struct story_w *skip)
{
	struct story_w *st = b->stories.p;
	size_t lo = 0, hi = b->n_by_user;
	while (lo < hi) { /* first entry after (who, frame) */
		size_t mid = (lo + hi) / 2;
		const struct story_w *s = &st[b->by_user[mid]];
		int c = strcmp(s->user, who);
		if (c < 0 || (c == 0 && s->first_frame <= frame))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && !strcmp(st[b->by_user[i]].user, who);)
		if (&st[b->by_user[i]] != skip)
			return &st[b->by_user[i]];
	for (size_t i = lo; i < b->n_by_user && !strcmp(st[b->by_user[i]].user, who); i++)
		if (&st[b->by_user[i]] != skip)
			return &st[b->by_user[i]];
	return NULL;
}

static bool add_on_behalf(struct story_w *s, const struct story_w *requester, const struct kf_message *req,
			  const struct kf_message *m)
{
	struct del_w *d = vec_push(&s->deleg);
	if (!d)
		return false;
	d->kind = "on-behalf";
	d->by = requester->client;
	d->sname = req->krb.sname;
	d->realm = req->krb.realm;
	d->outcome = m->type == KF_KRB_TGS_REP ? KF_OUTCOME_OK : KF_OUTCOME_ERROR;
	d->error_code = m->type == KF_KRB_ERROR ? m->krb.error_code : 0;
	d->frames.elem = sizeof(uint64_t);
	return frames_add(&d->frames, req->frame) && frames_add(&d->frames, m->frame) &&
	       frames_add(&s->frames, req->frame) && frames_add(&s->frames, m->frame);
}

/* A KDC reply naming user U, asked for by another client: U's delegation.
 * It goes to the stories of U's clients that spoke HTTP to the requester
 * (the front end acting for them); failing that, to the one of U's
 * stories nearest before it (else after it), so that one user on many machines does not repeat every
 * delegation in every story. */
static void on_behalf(struct builder *b, const struct kf_message *m, struct story_w *requester)
{
	struct kf_result *r = b->r;
	const struct kf_krb_rec *k = &m->krb;
	const char *cname = k->cname, *crealm = k->crealm;
	if (m->type == KF_KRB_TGS_REP && !kf_reply_client(r, m, &cname, &crealm))
		return;
	if ((m->type != KF_KRB_TGS_REP && m->type != KF_KRB_ERROR) || !cname ||
	    kf_name_is_anonymous(cname, crealm))
		return;
	const struct kf_message *req = kf_msg_request(r, m);
	if (!req || req->type != KF_KRB_TGS_REQ || !req->krb.sname ||
	    kf_sname_is_krbtgt_exact(req->krb.sname))
		return;
	const char *who = principal(&r->arena, cname, crealm);
	if (!who) {
		b->fail = true;
		return;
	}
	struct story_w *st = b->stories.p;
	uint64_t h = hash_addr(hash_bytes(HASH_SEED, who, strlen(who)), &requester->client), v;
	bool any = false;
	for (size_t pos = SIZE_MAX; hmap_next(&b->by_server, h, &pos, &v);) {
		struct story_w *s = &st[v];
		if (s == requester || !kf_name_eq_exact(s->user, who) || !served(s, &requester->client))
			continue;
		if (s->on_behalf_id == m->id)
			continue; /* listed in by_server once per connection to the requester */
		s->on_behalf_id = m->id;
		any = true;
		if (!add_on_behalf(s, requester, req, m)) {
			b->fail = true;
			return;
		}
	}
	if (any)
		return;
	struct story_w *s = nearest_of_user(b, who, m->frame, requester);
	if (s && !add_on_behalf(s, requester, req, m))
		b->fail = true;
}

/* Services reached over NTLM: the Host of a connection that used NTLM. */
static void ntlm_services(struct builder *b, struct story_w *s)
{
	struct http_w *h = s->http.p;
	for (size_t i = 0; i < s->http.n; i++) {
		if (strcmp(h[i].mech, "ntlm") != 0 || !h[i].host)
			continue;
		char host[KF_LIMIT_NAME], spn[KF_LIMIT_NAME + 8];
		host_part(h[i].host, host, sizeof host);
		snprintf(spn, sizeof spn, "HTTP/%s", host);
		struct svc_w *v = NULL, *all = s->services.p;
		for (size_t j = 0; j < s->services.n; j++)
			if (kf_name_eq_nocase(all[j].sname, spn))
				v = &all[j];
		if (!v) {
			const char *name = kf_arena_strndup(&b->r->arena, spn, strlen(spn));
			v = service(b, s, name, NULL);
			if (!v)
				return;
		}
		if (strcmp(v->outcome, KF_OUTCOME_OK) != 0)
			v->outcome = KF_OUTCOME_NTLM;
	}
}

/* ---- freezing into the result ------------------------------------------- */

static void free_work(struct builder *b)
{
	struct story_w *st = b->stories.p;
	for (size_t i = 0; i < b->stories.n; i++) {
		struct story_w *s = &st[i];
		struct svc_w *v = s->services.p;
		for (size_t j = 0; j < s->services.n; j++)
			kf_free(v[j].frames.p);
		struct http_w *h = s->http.p;
		for (size_t j = 0; j < s->http.n; j++)
			kf_free(h[j].frames.p);
		struct del_w *d = s->deleg.p;
		for (size_t j = 0; j < s->deleg.n; j++)
			kf_free(d[j].frames.p);
		kf_free(s->services.p);
		kf_free(s->http.p);
		kf_free(s->sessions.p);
		kf_free(s->backend.p);
		kf_free(s->deleg.p);
		kf_free(s->tls.p);
		kf_free(s->frames.p);
	}
	kf_free(b->stories.p);
	kf_free(b->by_client.e);
	kf_free(b->by_conn.e);
	kf_free(b->by_server.e);
	kf_free(b->by_user);
}

static int cmp_story(const void *a, const void *b)
{
	const struct story_w *x = a, *y = b;
	return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

static const struct kf_session **session_list(struct kf_arena *a, const struct kf_result *r,
					      const struct vec *v, size_t *n, bool *fail)
{
	*n = v->n;
	const struct kf_session **out = kf_arena_alloc(a, v->n * sizeof(*out) + 1);
	if (!out) {
		*fail = true;
		return NULL;
	}
	const uint32_t *ix = v->p;
	for (size_t i = 0; i < v->n; i++)
		out[i] = &r->sessions[ix[i]];
	return out;
}

/* ---- sessions and the back-end hop --------------------------------------- */

/* An HTTP connection some story's client made: (server address hash, story,
 * its first frame), sorted, to find the front end a session came from. */
struct served_by {
	uint64_t addr_hash, first_frame;
	uint32_t story;
};

static int cmp_served(const void *a, const void *b)
{
	const struct served_by *x = a, *y = b;
	if (x->addr_hash != y->addr_hash)
		return x->addr_hash < y->addr_hash ? -1 : 1;
	return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

/* The story whose client last opened an HTTP connection to front (before
 * frame) and is not skip: the user the front end was serving. */
static struct story_w *served_client(struct builder *b, const struct served_by *sv, size_t n,
				     const struct kf_endpoint *front, uint64_t frame,
				     const struct story_w *skip)
{
	uint64_t h = hash_addr(HASH_SEED, front);
	size_t lo = 0, hi = n;
	while (lo < hi) { /* first entry of h after frame */
		size_t mid = (lo + hi) / 2;
		if (sv[mid].addr_hash < h || (sv[mid].addr_hash == h && sv[mid].first_frame <= frame))
			lo = mid + 1;
		else
			hi = mid;
	}
	struct story_w *st = b->stories.p;
	for (size_t i = lo; i-- > 0 && sv[i].addr_hash == h;) {
		struct story_w *s = &st[sv[i].story];
		if (s != skip && served(s, front))
			return s;
	}
	return NULL;
}

/* Each session into its client's story; a session opened as another
 * story's user (or anonymously by a host that user's client talked HTTP
 * to) is that story's back-end hop too. */
static void attach_sessions(struct builder *b)
{
	const struct kf_result *r = b->r;
	if (!r->n_sessions)
		return;
	size_t n_sv = 0;
	struct story_w *st = b->stories.p;
	for (size_t i = 0; i < b->stories.n; i++)
		n_sv += st[i].http.n;
	struct served_by *sv = kf_malloc(n_sv * sizeof(*sv) + 1);
	if (!sv) {
		b->fail = true;
		return;
	}
	n_sv = 0;
	for (size_t i = 0; i < b->stories.n; i++) {
		const struct http_w *h = st[i].http.p;
		for (size_t j = 0; j < st[i].http.n; j++) {
			const uint64_t *f = h[j].frames.p;
			sv[n_sv++] = (struct served_by){ hash_addr(HASH_SEED, &h[j].server),
							 h[j].frames.n ? f[0] : 0, (uint32_t)i };
		}
	}
	qsort(sv, n_sv, sizeof(*sv), cmp_served);
	for (size_t i = 0; i < r->n_sessions && !b->fail; i++) {
		const struct kf_session *se = &r->sessions[i];
		struct kf_endpoint client = se->client;
		client.port = 0;
		struct story_w *own = story_for(b, &client, se->first_frame);
		st = b->stories.p; /* story_for may have moved them */
		uint32_t *x = own ? vec_push(&own->sessions) : NULL;
		if (!x) {
			b->fail = true;
			break;
		}
		*x = (uint32_t)i;
		bool named = se->as && strcmp(se->as, "anonymous") && strcmp(se->as, "guest");
		struct story_w *user = NULL;
		if (named && b->n_by_user)
			user = nearest_of_user(b, se->as, se->first_frame, own);
		if (!user && !named)
			user = served_client(b, sv, n_sv, &client, se->first_frame, own);
		if (user && user != own) {
			x = vec_push(&user->backend);
			if (!x) {
				b->fail = true;
				break;
			}
			*x = (uint32_t)i;
			for (size_t k = 0; k < se->n_frames; k++)
				b->fail |= !frames_add(&user->frames, se->frames[k]);
		}
	}
	kf_free(sv);
}

static void freeze(struct builder *b)
{
	struct kf_result *r = b->r;
	struct kf_arena *a = &r->arena;
	if (!b->stories.n)
		return;
	qsort(b->stories.p, b->stories.n, sizeof(struct story_w), cmp_story);
	struct kf_story *out = kf_arena_zalloc(a, b->stories.n * sizeof(*out));
	if (!out) {
		b->fail = true;
		return;
	}
	struct story_w *st = b->stories.p;
	for (size_t i = 0; i < b->stories.n; i++) {
		struct story_w *s = &st[i];
		struct kf_story *o = &out[i];
		o->client = s->client;
		o->user = s->user;
		o->kdc = s->kdc;
		o->tgt_seen = s->tgt_seen;
		o->tgt_frame = s->tgt_frame;
		o->n_services = s->services.n;
		o->services = kf_arena_zalloc(a, s->services.n * sizeof(*o->services) + 1);
		struct svc_w *v = s->services.p;
		for (size_t j = 0; o->services && j < s->services.n; j++) {
			struct kf_story_service *d = &o->services[j];
			d->sname = v[j].sname;
			d->realm = v[j].realm;
			d->outcome = v[j].outcome;
			d->error_code = v[j].error_code;
			d->frames = frames_final(a, &v[j].frames, &d->n_frames, &b->fail);
		}
		o->n_http = s->http.n;
		o->http = kf_arena_zalloc(a, s->http.n * sizeof(*o->http) + 1);
		struct http_w *h = s->http.p;
		for (size_t j = 0; o->http && j < s->http.n; j++) {
			struct kf_story_http *d = &o->http[j];
			d->connection = h[j].connection;
			d->tcp_stream = h[j].tcp_stream;
			d->server = h[j].server;
			d->host = h[j].host;
			d->mech = h[j].mech;
			d->ticket = h[j].ticket;
			d->final_status = h[j].final_status;
			d->requests = h[j].requests;
			d->ap_reqs = h[j].ap_reqs;
			d->outcome = h[j].server_error                                   ? "error"
				     : h[j].rejected_after_creds && !h[j].ok_after_creds ? "rejected"
				     : h[j].ok_after_creds                               ? "ok"
				     : !h[j].creds_sent && h[j].final_status == 401      ? "challenged"
											 : "unknown";
			d->frames = frames_final(a, &h[j].frames, &d->n_frames, &b->fail);
		}
		o->n_delegation = s->deleg.n;
		o->delegation = kf_arena_zalloc(a, s->deleg.n * sizeof(*o->delegation) + 1);
		struct del_w *dw = s->deleg.p;
		for (size_t j = 0; o->delegation && j < s->deleg.n; j++) {
			struct kf_story_delegation *d = &o->delegation[j];
			d->kind = dw[j].kind;
			d->by = dw[j].by;
			d->sname = dw[j].sname;
			d->realm = dw[j].realm;
			d->outcome = dw[j].outcome;
			d->error_code = dw[j].error_code;
			d->frames = frames_final(a, &dw[j].frames, &d->n_frames, &b->fail);
		}
		o->n_tls = s->tls.n;
		o->tls = kf_arena_alloc(a, s->tls.n * sizeof(*o->tls) + 1);
		if (o->tls && s->tls.n)
			memcpy(o->tls, s->tls.p, s->tls.n * sizeof(*o->tls));
		o->frames = frames_final(a, &s->frames, &o->n_frames, &b->fail);
		o->sessions = session_list(a, r, &s->sessions, &o->n_sessions, &b->fail);
		o->backend = session_list(a, r, &s->backend, &o->n_backend, &b->fail);
		if (!o->services || !o->http || !o->delegation || !o->tls)
			b->fail = true;
	}
	r->stories = out;
	r->n_stories = b->stories.n;
}

enum kf_status kf_stories_build(struct kf_result *r)
{
	struct builder b = { .r = r, .stories = { .elem = sizeof(struct story_w) } };
	/* pass 1: each message into its client's story */
	for (size_t i = 0; i < r->n_messages && !b.fail; i++) {
		const struct kf_message *m = &r->messages[i];
		struct kf_endpoint client;
		if (!kf_message_client(m, &client))
			continue;
		struct story_w *s = story_for(&b, &client, m->frame);
		if (!s)
			break;
		b.fail |= !frames_add(&s->frames, m->frame);
		if (m->carrier == KF_CARRIER_KERBEROS)
			kdc_message(&b, s, m);
		else if (m->carrier == KF_CARRIER_HTTP)
			http_message(&b, s, m);
	}
	/* TLS: HTTPS whose HTTP is hidden still belongs to its client's story */
	for (size_t i = 0; i < r->n_tls && !b.fail; i++) {
		struct kf_endpoint client = r->tls[i].src;
		client.port = 0;
		struct story_w *s = story_for(&b, &client, r->tls[i].frame);
		struct kf_story_tls *t = s ? vec_push(&s->tls) : NULL;
		if (!t) {
			b.fail = true;
			break;
		}
		t->frame = r->tls[i].frame;
		t->tcp_stream = r->tls[i].tcp_stream;
		t->server = r->tls[i].dst;
		t->sni = r->tls[i].sni;
		b.fail |= !frames_add(&s->frames, t->frame);
	}
	/* pass 2: what other clients did on a user's behalf, and NTLM services */
	if (!b.fail)
		index_users(&b);
	for (size_t i = 0; i < r->n_messages && !b.fail; i++) {
		const struct kf_message *m = &r->messages[i];
		struct kf_endpoint client;
		if (m->carrier != KF_CARRIER_KERBEROS || !kf_message_client(m, &client))
			continue;
		struct story_w *s = story_for(&b, &client, m->frame);
		if (s)
			on_behalf(&b, m, s);
	}
	if (!b.fail)
		attach_sessions(&b);
	struct story_w *st = b.stories.p;
	for (size_t i = 0; i < b.stories.n && !b.fail; i++)
		ntlm_services(&b, &st[i]);
	if (!b.fail)
		freeze(&b);
	free_work(&b);
	return b.fail ? KF_NOMEM : KF_OK;
}
