/* carrier_dns.c - DNS responses on port 53, over UDP and over TCP (RFC 1035
 * §4.2.2: a 2-byte length before each message; only the server's side is
 * read). */
#include <string.h>

#include "carriers.h"
#include "dns.h"
#include "emit.h"

struct dns_state {
	struct kf_gather buf; /* server → client bytes not yet a whole message */
	bool dead;            /* a gap: no resynchronising DNS framing */
};

/* One DNS message from either transport: responses with a question are
 * recorded (A/AAAA/CNAME answers become messages, so a story can show that a
 * URL's host was an alias). */
static void dns_message(struct kf_run *r, const struct kf_conn *c, int dir, struct kf_span payload)
{
	struct kf_dns_msg d;
	if (!kf_dns_decode(payload, &d, &r->ev) || !d.response || !d.has_question)
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
	if (dir != 1 || s->dead)
		return;
	if (gap_len || !kf_gather_add(r, &s->buf, data, KF_LIMIT_DNS_TCP_BUFFER)) {
		s->dead = true;
		return;
	}
	struct kf_gather *g = &s->buf;
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
	if (s)
		kf_gather_free(&s->buf);
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
