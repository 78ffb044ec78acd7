/* dns_msg.c - DNS responses (UDP and TCP port 53) as messages. */
#include "run.h"

#include <string.h>

#include "dns.h"

/* DNS responses with A/AAAA/CNAME answers become messages (the question is
 * inside them), so a story can show that a URL's host was an alias. */
void kf_dns_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_udp *u)
{
	struct kf_endpoint src, dst;
	kf_run_endpoint(&src, ip->version, ip->src, u->sport);
	kf_run_endpoint(&dst, ip->version, ip->dst, u->dport);
	kf_dns_record(r, &src, &dst, KF_TRANSPORT_UDP, 0, u->payload);
}

void kf_dns_record(struct kf_run *r, const struct kf_endpoint *src, const struct kf_endpoint *dst,
		   uint8_t transport, uint32_t connection, struct kf_span payload)
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
			rec->answers[i].name = kf_arena_strndup(a, d.answers[i].name, strlen(d.answers[i].name));
			rec->answers[i].data = kf_arena_strndup(a, d.answers[i].data, strlen(d.answers[i].data));
		}
		rec->n_answers = rec->answers ? d.n_answers : 0;
	}
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.frame = r->frame;
	msg.ts_us = r->ts_us;
	msg.first_frame = r->frame;
	msg.src = *src;
	msg.dst = *dst;
	msg.transport = transport;
	msg.connection = connection;
	msg.carrier = KF_CARRIER_DNS;
	msg.type = KF_MSG_DNS;
	msg.dns = rec;
	uint32_t idx;
	enum kf_status st = kf_msgstore_add(&r->store, &msg, NULL, &idx);
	if (st == KF_LIMIT)
		kf_events_add(&r->ev, KF_EV_MESSAGE_LIMIT);
	else if (st != KF_OK)
		kf_run_nomem(r);
}

