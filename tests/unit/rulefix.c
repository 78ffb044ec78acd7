/* rulefix.c - fact lists for rule tests (see rulefix.h). */
#include "rulefix.h"
#include "sessions.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "stories.h"

static void parse_ep(const char *s, struct kf_endpoint *e)
{
	char buf[80];
	memset(e, 0, sizeof *e);
	snprintf(buf, sizeof buf, "%s", s);
	char *port;
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');
		ck_assert_ptr_nonnull(end);
		*end = 0;
		port = end + 2;
		e->ipver = 6;
		ck_assert_int_eq(inet_pton(AF_INET6, buf + 1, e->addr), 1);
	} else {
		port = strrchr(buf, ':');
		ck_assert_ptr_nonnull(port);
		*port++ = 0;
		e->ipver = 4;
		ck_assert_int_eq(inet_pton(AF_INET, buf, e->addr), 1);
	}
	e->port = (uint16_t)atoi(port);
}

struct kf_result *fx_new(void)
{
	struct kf_result *r = calloc(1, sizeof(*r));
	kf_arena_init(&r->arena, 0);
	r->messages = kf_calloc(FX_MAX_MESSAGES, sizeof(struct kf_message));
	r->tevents = kf_calloc(64, sizeof(struct kf_tevent));
	r->file = "facts";
	r->format = "pcap";
	r->linktype = "EN10MB";
	return r;
}

void fx_free(struct kf_result *r)
{
	kf_result_free(r);
	free(r);
}

struct kf_message *fx_msg(struct kf_result *r, uint64_t frame, int carrier, int type, const char *src,
			  const char *dst)
{
	ck_assert_uint_lt(r->n_messages, FX_MAX_MESSAGES);
	if (r->n_messages)
		ck_assert_uint_ge(frame, r->messages[r->n_messages - 1].frame);
	struct kf_message *m = &r->messages[r->n_messages];
	memset(m, 0, sizeof *m);
	m->id = (uint32_t)++r->n_messages; /* in order of appearance, as kf_msgstore_add */
	m->frame = m->first_frame = frame;
	m->ts_us = 1700000000000000ull + frame * 1000;
	m->carrier = (uint8_t)carrier;
	m->type = type;
	m->transport = carrier == KF_CARRIER_HTTP ? KF_TRANSPORT_TCP : KF_TRANSPORT_UDP;
	m->krb.complete = true;
	parse_ep(src, &m->src);
	parse_ep(dst, &m->dst);
	r->packets = frame;
	return m;
}

struct kf_message *fx_krb(struct kf_result *r, uint64_t frame, int type, const char *src, const char *dst)
{
	return fx_msg(r, frame, KF_CARRIER_KERBEROS, type, src, dst);
}

struct kf_message *fx_http(struct kf_result *r, uint64_t frame, int type, uint32_t conn, const char *src,
			   const char *dst)
{
	struct kf_message *m = fx_msg(r, frame, KF_CARRIER_HTTP, type, src, dst);
	m->connection = conn;
	m->tcp_stream = conn + 100; /* not the connection id: reports must tell them apart */
	return m;
}

struct kf_message *fx_smb(struct kf_result *r, uint64_t frame, int type, uint32_t conn, const char *src,
			  const char *dst)
{
	struct kf_message *m = fx_msg(r, frame, KF_CARRIER_SMB2, type, src, dst);
	m->transport = KF_TRANSPORT_TCP;
	m->connection = conn;
	m->tcp_stream = conn + 100;
	return m;
}

struct kf_smb_rec *fx_smb_rec(struct kf_result *r, struct kf_message *m, uint16_t command, uint32_t status)
{
	m->smb = kf_arena_zalloc(&r->arena, sizeof(*m->smb));
	m->smb->command = command;
	m->smb->has_status = m->type == KF_MSG_SMB_RESPONSE;
	m->smb->status = status;
	return m->smb;
}

struct kf_http_rec *fx_http_rec(struct kf_result *r, struct kf_message *m)
{
	m->http = kf_arena_zalloc(&r->arena, sizeof(*m->http));
	return m->http;
}

struct kf_ticket_rec *fx_ticket(struct kf_result *r, const char *sname, const char *realm, int32_t etype,
				uint32_t kvno)
{
	struct kf_ticket_rec *t = kf_arena_zalloc(&r->arena, sizeof(*t));
	t->sname = sname;
	t->realm = realm;
	t->etype = etype;
	t->has_kvno = kvno != 0;
	t->kvno = kvno;
	return t;
}

void fx_tgs(struct kf_result *r, uint64_t f, const char *client, const char *kdc, const char *sname,
	    int32_t err)
{
	struct kf_message *q = fx_krb(r, f, KF_KRB_TGS_REQ, client, kdc);
	q->krb.sname = sname;
	q->krb.realm = "LAB.TEST";
	q->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
	if (err) {
		struct kf_message *e = fx_krb(r, f + 1, KF_KRB_ERROR, kdc, client);
		e->krb.error_code = err;
		e->krb.sname = sname;
		e->krb.realm = "LAB.TEST";
		fx_link(r, f, KF_KRB_TGS_REQ, f + 1, KF_KRB_ERROR);
	} else {
		struct kf_message *p = fx_krb(r, f + 1, KF_KRB_TGS_REP, kdc, client);
		p->krb.cname = "alice";
		p->krb.crealm = "LAB.TEST";
		p->krb.ticket = fx_ticket(r, sname, "LAB.TEST", 18, 2);
		fx_link(r, f, KF_KRB_TGS_REQ, f + 1, KF_KRB_TGS_REP);
	}
}

void fx_challenges(struct kf_result *r, struct kf_http_rec *h, const char *a, const char *b)
{
	h->www_authenticate = kf_arena_zalloc(&r->arena, 2 * sizeof(char *));
	h->www_authenticate[0] = a;
	h->www_authenticate[1] = b;
	h->n_challenges = b ? 2 : a ? 1 : 0;
}

static struct kf_message *find(struct kf_result *r, uint64_t frame, int type)
{
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].frame == frame && r->messages[i].type == type)
			return &r->messages[i];
	ck_abort_msg("no message of type %d in frame %llu", type, (unsigned long long)frame);
	return NULL;
}

void fx_link(struct kf_result *r, uint64_t req_frame, int req_type, uint64_t rep_frame, int rep_type)
{
	struct kf_message *req = find(r, req_frame, req_type), *rep = find(r, rep_frame, rep_type);
	req->reply_id = rep->id;
	rep->request_id = req->id;
}

struct kf_tevent *fx_tevent(struct kf_result *r, int kind, uint64_t frame, const char *src, const char *dst)
{
	ck_assert_uint_lt(r->n_tevents, 64);
	struct kf_tevent *t = &r->tevents[r->n_tevents++];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->frame = frame;
	t->ts_us = 1700000000000000ull + frame * 1000;
	t->transport = KF_TRANSPORT_UDP;
	t->count = 1;
	parse_ep(src, &t->src);
	parse_ep(dst, &t->dst);
	return t;
}

void fx_finish(struct kf_result *r)
{
	ck_assert_int_eq(kf_result_index(r),
			 KF_OK); /* the ids, as kf_msgstore_finish; as kf_rules_run does */
	ck_assert_int_eq(kf_sessions_build(r), KF_OK);
	ck_assert_int_eq(kf_stories_build(r), KF_OK);
}

/* Every finding names a cause its rule lists (whatever the test looks at). */
static void causes_listed(const struct kf_result *r)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct kf_finding *f = &r->findings[i];
		const struct kf_rule *rule = kf_rule_find(f->rule);
		ck_assert_msg(rule && kf_rule_cause_listed(&rule->info, f->cause),
			      "%s: cause %s is not listed", f->rule, f->cause ? f->cause : "(none)");
	}
}

void fx_run(struct kf_result *r, const char *id)
{
	const struct kf_rule *rule = kf_rule_find(id);
	if (!rule)
		ck_abort_msg("no rule %s in the catalogue", id);
	ck_assert_int_eq(kf_rules_run_only(r, &rule, 1), KF_OK);
	causes_listed(r);
}

void fx_run_all(struct kf_result *r)
{
	ck_assert_int_eq(kf_rules_run(r), KF_OK);
	causes_listed(r);
}

size_t fx_count(const struct kf_result *r, const char *id, int sev)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		if ((!id || strcmp(r->findings[i].rule, id) == 0) &&
		    (!sev || (int)r->findings[i].severity == sev))
			n++;
	return n;
}

const struct kf_finding *fx_find(const struct kf_result *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].rule, id) == 0)
			return &r->findings[i];
	return NULL;
}

int fx_has_frame(const struct kf_finding *f, uint64_t frame)
{
	for (size_t i = 0; i < f->n_frames; i++)
		if (f->frames[i] == frame)
			return 1;
	return 0;
}

int fx_subject_is(const struct kf_finding *f, enum kf_subject_kind k, const char *s)
{
	return s ? f->subject.n[k] == 1 && strcmp(f->subject.v[k][0], s) == 0 : f->subject.n[k] == 0;
}

int fx_subject_has(const struct kf_finding *f, enum kf_subject_kind k, const char *s)
{
	for (unsigned i = 0; i < f->subject.n[k]; i++)
		if (strcmp(f->subject.v[k][i], s) == 0)
			return 1;
	return 0;
}

const char *fx_frames(const struct kf_finding *f)
{
	static char buf[1024];
	buf[0] = 0;
	for (size_t i = 0; i < f->n_frames; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%llu", i ? "," : "",
			 (unsigned long long)f->frames[i]);
	return buf;
}

const char *fx_subject_str(const struct kf_finding *f, enum kf_subject_kind k)
{
	static char buf[1024];
	buf[0] = 0;
	for (unsigned i = 0; i < f->subject.n[k]; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "",
			 f->subject.v[k][i]);
	return buf;
}

const struct kf_finding *fx_expect(const struct kf_result *r, const struct fx_want *w)
{
	const struct kf_finding *f = fx_find(r, w->rule);
	ck_assert_msg(f != NULL, "no %s finding", w->rule);
	ck_assert_str_eq(f->cause, w->cause);
	ck_assert_int_eq(f->severity, w->sev);
	ck_assert_int_eq(f->confidence, w->conf);
	if (w->frames)
		ck_assert_str_eq(fx_frames(f), w->frames);
	const char *subject[KF_SUBJECT__COUNT] = { w->client, w->user, w->service, w->server, w->kdc };
	for (int k = 0; k < KF_SUBJECT__COUNT; k++)
		if (subject[k])
			ck_assert_str_eq(fx_subject_str(f, (enum kf_subject_kind)k), subject[k]);
	return f;
}

struct kf_http_rec *fx_http_resp(struct kf_result *r, uint64_t f, uint32_t conn, const char *src,
				 const char *dst, int status, const char *a, const char *b, uint64_t req)
{
	struct kf_http_rec *h = fx_http_rec(r, fx_http(r, f, KF_MSG_HTTP_RESPONSE, conn, src, dst));
	h->status = status;
	h->header_bytes = 200;
	if (a)
		fx_challenges(r, h, a, b);
	fx_link(r, req, KF_MSG_HTTP_REQUEST, f, KF_MSG_HTTP_RESPONSE);
	return h;
}
