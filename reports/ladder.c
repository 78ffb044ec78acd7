/* ladder.c - a story's lanes and rows (ladder.h): the story's messages in
 * frame order, runs of plain exchanges folded, lanes by address in order of
 * appearance, each answer linked to its request's row. */
#include "ladder.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "krb5.h"

/* One end of a row, for grouping the rows' addresses into lanes. */
struct kf_ladder_ref {
	struct kf_endpoint addr; /* port 0 */
	uint32_t pos;            /* 2 * row, + 1 for the row's peer (else its client) */
};

/* The refs of one address, after sorting. */
struct kf_ladder_group {
	uint64_t order; /* where the address first appears; 0 for the story's client */
	uint32_t start, n;
};

void kf_ladder_init(struct kf_ladder *l) { memset(l, 0, sizeof *l); }

void kf_ladder_free(struct kf_ladder *l)
{
	kf_free(l->lanes);
	kf_free(l->rows);
	kf_free(l->refs);
	kf_free(l->groups);
	kf_ladder_init(l);
}

/* p (capacity *cap, elements of size elem), grown to hold need: the array
 * to use from now on, or NULL when memory ran out (p is still valid). */
static void *reserve(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *np = kf_realloc(p, n * elem);
	if (np)
		*cap = n;
	return np;
}

/* ---- rows and folding ----------------------------------------------------- */

static bool plain_request(const struct kf_message *m)
{
	return m->type == KF_MSG_HTTP_REQUEST && m->http && !m->http->auth_scheme && !m->spnego;
}

static bool plain_response(const struct kf_message *m)
{
	return m->type == KF_MSG_HTTP_RESPONSE && m->http && !m->http->n_challenges &&
	       !m->http->token_bytes && !m->spnego;
}

/* The HTTP-RESPONSE answering request m (its reply, on the same connection). */
static const struct kf_message *response_to(const struct kf_result *r, const struct kf_message *m)
{
	const struct kf_message *o = kf_msg_reply(r, m);
	return o && o->type == KF_MSG_HTTP_RESPONSE && o->connection == m->connection ? o : NULL;
}

static unsigned peer_role(const struct kf_message *m)
{
	switch (m->carrier) {
	case KF_CARRIER_KERBEROS: return KF_LANE_KDC;
	case KF_CARRIER_DNS: return KF_LANE_DNS;
	default: return KF_LANE_SERVER;
	}
}

/* A row for m, whose client is at client; NULL when memory ran out. */
static struct kf_ladder_row *row_add(struct kf_ladder *l, const struct kf_message *m,
				     const struct kf_endpoint *client, enum kf_ladder_row_kind kind)
{
	struct kf_ladder_row *rows = reserve(l->rows, &l->cap_rows, l->n_rows + 1, sizeof(*rows));
	if (!rows)
		return NULL;
	l->rows = rows;
	struct kf_ladder_ref *refs = reserve(l->refs, &l->cap_refs, 2 * (l->n_rows + 1), sizeof(*refs));
	if (!refs)
		return NULL;
	l->refs = refs;
	struct kf_ladder_row *row = &l->rows[l->n_rows];
	memset(row, 0, sizeof *row);
	row->kind = kind;
	row->msg = m;
	row->by_client = kf_endpoint_same_addr(&m->src, client);
	row->peer = row->by_client ? &m->dst : &m->src;
	row->peer_role = peer_role(m);
	struct kf_ladder_ref *ref = &l->refs[2 * l->n_rows];
	ref[0].addr = *client;
	ref[0].pos = (uint32_t)(2 * l->n_rows);
	ref[1].addr = *row->peer;
	ref[1].addr.port = 0;
	ref[1].pos = ref[0].pos + 1;
	l->n_rows++;
	return row;
}

/* The story's messages in frame order (its frames are sorted and unique). */
static enum kf_status add_rows(struct kf_ladder *l, const struct kf_result *r, const struct kf_story *st)
{
	bool folding = false; /* the last row is a run still open */
	for (size_t f = 0; f < st->n_frames; f++) {
		uint64_t frame = st->frames[f];
		for (size_t i = kf_result_first_in_frame(r, frame);
		     i < r->n_messages && r->messages[i].frame == frame; i++) {
			const struct kf_message *m = &r->messages[i];
			struct kf_endpoint client;
			if (!kf_message_client(m, &client))
				continue;
			struct kf_ladder_row *run = folding ? &l->rows[l->n_rows - 1] : NULL;
			const struct kf_message *resp = plain_request(m) ? response_to(r, m) : NULL;
			if (resp && plain_response(resp)) {
				if (!run || run->connection != m->connection) {
					run = row_add(l, m, &client, KF_ROW_FOLDED);
					if (!run)
						return KF_NOMEM;
					run->connection = m->connection;
					run->first = m->frame;
					folding = true;
				}
				run->count++;
				run->last = m->frame;
				continue;
			}
			if (run && plain_response(m) && m->connection == run->connection) {
				run->last = m->frame;
				if (run->status == 0)
					run->status = m->http->status;
				else if (run->status != m->http->status)
					run->status = -1;
				continue;
			}
			folding = false;
			if (!row_add(l, m, &client, KF_ROW_MESSAGE))
				return KF_NOMEM;
		}
	}
	return KF_OK;
}

/* ---- lanes ------------------------------------------------------------------
 * The rows' ends sorted by address group them; the groups sorted by first
 * appearance are the lanes.  n log n however many hosts a story reaches. */

static int cmp_addr(const struct kf_endpoint *a, const struct kf_endpoint *b)
{
	if (a->ipver != b->ipver)
		return a->ipver < b->ipver ? -1 : 1;
	return memcmp(a->addr, b->addr, a->ipver == 6 ? 16 : 4);
}

static int cmp_ref(const void *pa, const void *pb)
{
	const struct kf_ladder_ref *a = pa, *b = pb;
	int c = cmp_addr(&a->addr, &b->addr);
	return c ? c : a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int cmp_group(const void *pa, const void *pb)
{
	const struct kf_ladder_group *a = pa, *b = pb;
	return a->order < b->order ? -1 : a->order > b->order;
}

static enum kf_status group_lanes(struct kf_ladder *l, const struct kf_story *st)
{
	size_t n_refs = 2 * l->n_rows, n_groups = 0;
	if (n_refs) /* a story with no row (TLS only) has no refs: qsort(NULL, 0) is undefined */
		qsort(l->refs, n_refs, sizeof(*l->refs), cmp_ref);
	/* one group an address, plus the story's client when no row names it */
	struct kf_ladder_group *groups = reserve(l->groups, &l->cap_groups, n_refs + 1, sizeof(*groups));
	if (!groups)
		return KF_NOMEM;
	l->groups = groups;
	bool client_seen = false;
	for (size_t i = 0; i < n_refs; i++) {
		if (i && cmp_addr(&l->refs[i].addr, &l->refs[i - 1].addr) == 0) {
			groups[n_groups - 1].n++;
			continue;
		}
		struct kf_ladder_group *g = &groups[n_groups++];
		bool own = kf_endpoint_same_addr(&l->refs[i].addr, &st->client);
		client_seen |= own;
		g->order = own ? 0 : 1 + (uint64_t)l->refs[i].pos;
		g->start = (uint32_t)i;
		g->n = 1;
	}
	if (!client_seen)
		groups[n_groups++] = (struct kf_ladder_group){ .order = 0, .start = 0, .n = 0 };
	qsort(groups, n_groups, sizeof(*groups), cmp_group);
	struct kf_ladder_lane *lanes = reserve(l->lanes, &l->cap_lanes, n_groups, sizeof(*lanes));
	if (!lanes)
		return KF_NOMEM;
	l->lanes = lanes;
	for (size_t k = 0; k < n_groups; k++) {
		const struct kf_ladder_group *g = &groups[k];
		struct kf_ladder_lane *lane = &lanes[k];
		lane->addr = g->n ? l->refs[g->start].addr : st->client;
		lane->addr.port = 0;
		lane->roles = k == 0 ? KF_LANE_CLIENT : 0;
		for (uint32_t j = g->start; j < g->start + g->n; j++) {
			struct kf_ladder_row *row = &l->rows[l->refs[j].pos / 2];
			bool peer_end = l->refs[j].pos & 1;
			if (peer_end)
				lane->roles |= row->peer_role;
			else if (k)
				lane->roles |= KF_LANE_FOR_USER;
			if (peer_end != row->by_client)
				row->from = (uint32_t)k;
			else
				row->to = (uint32_t)k;
		}
	}
	l->n_lanes = n_groups;
	return KF_OK;
}

/* ---- answers ----------------------------------------------------------------- */

/* 1 + the row holding req: its own row, or the folded run it went into
 * (runs never interleave with other rows); 0 when it has none. */
static size_t row_of(const struct kf_ladder *l, const struct kf_message *req)
{
	size_t lo = 0, hi = l->n_rows;
	while (lo < hi) { /* the first row after req's frame */
		size_t mid = (lo + hi) / 2;
		if (l->rows[mid].msg->frame <= req->frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t j = lo; j-- > 0;) {
		const struct kf_ladder_row *row = &l->rows[j];
		if (row->kind == KF_ROW_FOLDED) {
			bool in_run = plain_request(req) && row->connection == req->connection &&
				      req->frame <= row->last;
			return in_run ? j + 1 : 0;
		}
		if (row->msg == req)
			return j + 1;
		if (row->msg->frame < req->frame)
			break;
	}
	return 0;
}

static void answers(struct kf_ladder *l, const struct kf_result *r)
{
	for (size_t i = 0; i < l->n_rows; i++) {
		struct kf_ladder_row *row = &l->rows[i];
		const struct kf_message *req =
			row->kind == KF_ROW_MESSAGE ? kf_msg_request(r, row->msg) : NULL;
		row->request = req ? row_of(l, req) : 0;
	}
}

enum kf_status kf_ladder_build(struct kf_ladder *l, const struct kf_result *r, const struct kf_story *st)
{
	l->n_rows = l->n_lanes = 0;
	enum kf_status s = add_rows(l, r, st);
	if (s == KF_OK)
		s = group_lanes(l, st);
	if (s != KF_OK) {
		l->n_rows = l->n_lanes = 0;
		return s;
	}
	answers(l, r);
	return KF_OK;
}
