/* carrier_dns.c - DNS on port 53, over UDP and over TCP (RFC 1035 §4.2.2:
 * a 2-byte length before each message): responses (A/AAAA/CNAME answers),
 * and GSS-TSIG (RFC 3645): the GSS tokens a TKEY query and its response
 * carry, through the token path like any application protocol's. */
#include <string.h>

#include "carriers.h"
#include "dns.h"
#include "emit.h"
#include "gss.h"
#include "gss_token.h"

struct dns_state {
	struct kf_gather buf[2]; /* bytes of each direction not yet a whole message */
	bool dead[2];            /* a gap: no resynchronising DNS framing */
	uint32_t tkey_token;     /* the last TKEY query's token, for its response's */
};

/* A TKEY's key data is a GSS token when the mode says GSS-API. */
static void tkey_token(struct kf_run *r, const struct kf_conn *c, int dir, const struct kf_dns_msg *d)
{
	if (!d->has_tkey || d->tkey_mode != KF_DNS_TKEY_MODE_GSSAPI || !d->tkey_key.n)
		return;
	struct kf_token_origin o = { c, dir, KF_CARRIER_DNS, 0, KF_SENDER_UNKNOWN };
	struct kf_token_summary sum;
	int64_t id = kf_gss_token(r, &o, d->tkey_key, &sum);
	struct dns_state *s = c->tcp ? c->cs : NULL;
	if (id <= 0 || !s)
		return;
	if (!d->response) {
		s->tkey_token = (uint32_t)id;
	} else if (s->tkey_token) {
		kf_msgstore_link(&r->store, s->tkey_token, (uint32_t)id);
		s->tkey_token = 0;
	}
}

/* GSS-TSIG signs a message with a GSS MIC token as its TSIG's MAC (RFC
 * 3645 §2.2): one GSS-MIC record per signed message (they are few). */
static void tsig_mic(struct kf_run *r, const struct kf_conn *c, int dir, const struct kf_dns_msg *d)
{
	if (!d->has_tsig || (strcmp(d->tsig_algorithm, "gss-tsig") != 0 &&
			     strcmp(d->tsig_algorithm, "gss.microsoft.com") != 0))
		return;
	struct kf_gss_perm p;
	if (!kf_gss_perm_decode(d->tsig_mac, &p))
		return;
	struct kf_token_origin o = { c, dir, KF_CARRIER_DNS, 0,
				     d->response ? KF_SENDER_SERVER : KF_SENDER_CLIENT };
	p.wrap = false; /* a TSIG MAC is a MIC, whatever an NTLM signature may say */
	(void)kf_gss_perm_record(r, &o, &p, (uint32_t)d->tsig_mac.n, !d->response);
}

/* One DNS message from either transport: responses with a question are
 * recorded (A/AAAA/CNAME answers become messages, so a story can show that a
 * URL's host was an alias). */
static void dns_message(struct kf_run *r, const struct kf_conn *c, int dir, struct kf_span payload)
{
	struct kf_dns_msg d;
	if (!kf_dns_decode(payload, &d, &r->ev))
		return;
	tkey_token(r, c, dir, &d);
	tsig_mic(r, c, dir, &d);
	if (!d.response || !d.has_question)
		return;
	struct kf_arena *a = &r->res->arena;
	struct kf_dns_rec *rec = kf_arena_zalloc(a, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	rec->query = kf_arena_strndup(a, d.qname, strlen(d.qname));
	rec->qtype = d.qtype;
	rec->rcode = d.rcode;
	if (d.n_answers) {
		rec->answers = kf_arena_zalloc(a, d.n_answers * sizeof(*rec->answers));
		for (unsigned i = 0; rec->answers && i < d.n_answers; i++) {
			rec->answers[i].type = d.answers[i].type;
			rec->answers[i].name =
				kf_arena_strndup(a, d.answers[i].name, strlen(d.answers[i].name));
			rec->answers[i].data =
				kf_arena_strndup(a, d.answers[i].data, strlen(d.answers[i].data));
		}
		rec->n_answers = rec->answers ? d.n_answers : 0;
	}
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = KF_MSG_DNS;
	msg.dns = rec;
	uint32_t id;
	(void)kf_emit(r, c, dir, KF_CARRIER_DNS, &msg, NULL, &id);
}

static bool dns_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	c->cs = c->tcp ? kf_calloc(1, sizeof(struct dns_state)) : NULL;
	return !c->tcp || c->cs;
}

static void dns_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	struct dns_state *s = c->cs;
	if (s->dead[dir])
		return;
	if (gap_len || !kf_gather_add(r, &s->buf[dir], data, KF_LIMIT_DNS_TCP_BUFFER)) {
		s->dead[dir] = true;
		return;
	}
	struct kf_gather *g = &s->buf[dir];
	size_t off = 0;
	while (g->len - off >= 2) {
		size_t need = (size_t)g->buf[off] << 8 | g->buf[off + 1];
		if (g->len - off - 2 < need)
			break;
		dns_message(r, c, dir, kf_span_make(g->buf + off + 2, need));
		off += 2 + need;
	}
	memmove(g->buf, g->buf + off, g->len - off);
	g->len -= off;
}

/* UDP needs no state across datagrams. */
static void dns_datagram(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span payload,
			 uint32_t nfrags)
{
	(void)nfrags;
	dns_message(r, c, dir, payload);
}

static void dns_release(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct dns_state *s = c->cs;
	if (s) {
		kf_gather_free(&s->buf[0]);
		kf_gather_free(&s->buf[1]);
	}
	kf_free(s);
	c->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_dns = {
	.name = "dns",
	.port = 53,
	.tcp = true,
	.udp = true,
	.open = dns_open,
	.stream = dns_stream,
	.datagram = dns_datagram,
	.release = dns_release,
};
