/* emit.c - messages onto the store, and the requests awaiting replies. */
#include "emit.h"

#include <string.h>

bool kf_emit(struct kf_run *r, const struct kf_conn *c, int dir, uint8_t carrier, struct kf_message *msg,
	     const struct kf_krb_msg *m, uint32_t *id)
{
	if (!msg->frame) {
		msg->frame = r->frame;
		msg->ts_us = r->ts_us;
	}
	if (!msg->first_frame)
		msg->first_frame = msg->frame;
	kf_conn_ends(c, dir, &msg->src, &msg->dst);
	msg->transport = c->tcp ? KF_TRANSPORT_TCP : KF_TRANSPORT_UDP;
	msg->connection = c->tcp ? c->flow->id : 0;
	msg->tcp_stream = c->tcp ? c->tcp_stream : 0;
	msg->carrier = carrier;
	enum kf_status st = kf_msgstore_add(&r->store, msg, m, id);
	if (st == KF_OK)
		return true;
	if (st == KF_LIMIT)
		kf_events_add(&r->ev, KF_EV_MESSAGE_LIMIT);
	else
		kf_run_nomem(r);
	return false;
}

void kf_pending_push(struct kf_pending *p, uint32_t id)
{
	if (p->n == KF_LIMIT_KRB_PENDING) { /* oldest request forgotten */
		p->head = (uint8_t)((p->head + 1) % KF_LIMIT_KRB_PENDING);
		p->n--;
	}
	p->id[(p->head + p->n) % KF_LIMIT_KRB_PENDING] = id;
	p->n++;
}

bool kf_pending_pop(struct kf_pending *p, uint32_t *id)
{
	if (!p->n)
		return false;
	*id = p->id[p->head];
	p->head = (uint8_t)((p->head + 1) % KF_LIMIT_KRB_PENDING);
	p->n--;
	return true;
}

bool kf_krb_is_request(int type)
{
	return type == KF_KRB_AS_REQ || type == KF_KRB_TGS_REQ || type == KF_KRB_TGT_REQ ||
	       type == KF_KRB_AP_REQ;
}

bool kf_krb_is_reply(int type)
{
	return type == KF_KRB_AS_REP || type == KF_KRB_TGS_REP || type == KF_KRB_ERROR ||
	       type == KF_KRB_TGT_REP || type == KF_KRB_AP_REP;
}

bool kf_gather_add(struct kf_run *r, struct kf_gather *g, struct kf_span s, size_t limit)
{
	size_t room = limit - g->len;
	size_t take = s.n < room ? s.n : room;
	if (g->len + take > g->cap) {
		size_t cap = g->cap ? g->cap : 4096;
		while (cap < g->len + take)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		uint8_t *nb = kf_realloc(g->buf, cap);
		if (!nb) {
			kf_run_nomem(r);
			return false;
		}
		g->buf = nb;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, s.p, take);
	g->len += take;
	return take == s.n;
}

void kf_gather_free(struct kf_gather *g)
{
	kf_free(g->buf);
	memset(g, 0, sizeof *g);
}

void kf_records_init(struct kf_records *rs)
{
	kf_krb_stream_init(&rs->ks[0]);
	kf_krb_stream_init(&rs->ks[1]);
	rs->oversize = NULL;
}

struct record_ctx {
	struct kf_run *r;
	struct kf_conn *c;
	int dir;
	kf_record_fn fn;
	kf_record_oversize_fn oversize;
};

static void on_record(void *ctx, struct kf_span rec, uint64_t first_frame)
{
	struct record_ctx *x = ctx;
	x->fn(x->r, x->c, x->dir, rec, first_frame);
}

static void on_oversize(void *ctx, uint32_t length, uint8_t tag, uint64_t first_frame)
{
	struct record_ctx *x = ctx;
	if (x->oversize)
		x->oversize(x->r, x->c, x->dir, length, tag, first_frame);
}

void kf_records_feed(struct kf_run *r, struct kf_records *rs, struct kf_conn *c, int dir, struct kf_span data,
		     uint32_t gap_len, kf_record_fn fn)
{
	if (gap_len) {
		kf_events_add(&r->ev, KF_EV_TCP_GAP);
		kf_krb_stream_gap(&rs->ks[dir], gap_len);
		return;
	}
	struct record_ctx x = { r, c, dir, fn, rs->oversize };
	rs->ks[dir].oversize = on_oversize;
	kf_krb_stream_data(&rs->ks[dir], data, r->frame, on_record, &x, &r->ev);
}

void kf_records_free(struct kf_records *rs)
{
	kf_krb_stream_free(&rs->ks[0]);
	kf_krb_stream_free(&rs->ks[1]);
}
