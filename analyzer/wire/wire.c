/* wire.c - the packet path's life: set up, one packet at a time, finish
 * into the result. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "conn.h"
#include "dispatch.h"
#include "run.h"

struct kf_run *kf_wire_new(struct kf_result *res, const struct kf_wire_opts *opts)
{
	struct kf_run *r = kf_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->debug_decode = opts->debug_decode;
	r->res = res;
	r->unsupported_dlt = -1;
	r->pool.cap = KF_LIMIT_REASM_TOTAL;
	kf_msgstore_init(&r->store, &res->arena);
	r->store.keep_raw = opts->keep_raw;
	r->defrag = kf_defrag_new(kf_wire_frag_incomplete, r);
	r->flows = kf_flow_table_new(KF_LIMIT_FLOWS, kf_conn_release, r);
	r->streams = kf_stream_table_new(KF_LIMIT_TCP_STREAMS);
	if (!r->defrag || !r->flows || !r->streams) {
		kf_wire_free(r);
		return NULL;
	}
	return r;
}

void kf_wire_packet(struct kf_run *r, const struct kf_pkt *p, uint32_t file)
{
	r->file = file;
	kf_wire_dispatch(r, p);
	kf_run_note_events(r, p->frame);
}

void kf_wire_packet_filtered(struct kf_run *r, const struct kf_pkt *p, uint32_t file)
{
	r->file = file;
	r->numbering_only = true;
	kf_wire_dispatch(r, p);
	r->numbering_only = false;
	kf_events_clear(&r->ev); /* the packet is not analysed: it raises nothing */
}

bool kf_wire_out_of_memory(const struct kf_run *r) { return r->nomem; }

static int cmp_tls(const void *a, const void *b)
{
	const struct kf_tls_hello *x = a, *y = b;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* Hand the TLS hellos to the result (copied into its arena, sorted). */
static enum kf_status finish_tls(struct kf_run *r)
{
	if (!r->n_tls)
		return KF_OK;
	struct kf_tls_hello *t = kf_arena_alloc(&r->res->arena, r->n_tls * sizeof(*t));
	if (!t)
		return KF_NOMEM;
	memcpy(t, r->tls, r->n_tls * sizeof(*t));
	qsort(t, r->n_tls, sizeof(*t), cmp_tls);
	r->res->tls = t;
	r->res->n_tls = r->n_tls;
	return KF_OK;
}

enum kf_status kf_wire_finish(struct kf_run *r, uint64_t last_frame)
{
	r->frame = last_frame;
	kf_flow_table_drain(r->flows);
	kf_defrag_flush(r->defrag, &r->ev);
	kf_run_note_events(r, 0);
	enum kf_status st = r->nomem ? KF_NOMEM : KF_OK; /* an allocation failed while finishing flows */
	if (kf_msgstore_finish(&r->store, r->res) != KF_OK || finish_tls(r) != KF_OK)
		st = KF_NOMEM;
	return st;
}

void kf_wire_events(const struct kf_run *r, uint64_t count[KF_EV__COUNT], uint64_t first[KF_EV__COUNT],
		    int *unsupported_dlt)
{
	memcpy(count, r->ev_count, sizeof r->ev_count);
	memcpy(first, r->ev_first, sizeof r->ev_first);
	*unsupported_dlt = r->unsupported_dlt;
}

size_t kf_wire_undecoded(const struct kf_run *r, const struct kf_undecoded **out)
{
	*out = r->undecoded;
	return r->n_undecoded;
}

void kf_wire_free(struct kf_run *r)
{
	if (!r)
		return;
	kf_flow_table_free(r->flows);
	kf_stream_table_free(r->streams);
	kf_defrag_free(r->defrag);
	kf_msgstore_free(&r->store);
	kf_free(r->tls);
	kf_free(r->token_buf);
	kf_free(r);
}
