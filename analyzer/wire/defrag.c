/* defrag.c - IPv4/IPv6 fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5).
 *
 * Contract (see defrag.h for the interface):
 *
 * - A datagram is identified by (version, proto, src, dst, id).  For IPv4 the
 *   address bytes past the fourth are ignored (treated as zero) whatever the
 *   caller left there.
 * - Each datagram keeps a list of disjoint pieces sorted by offset.  A new
 *   fragment only contributes the byte ranges no earlier fragment covered:
 *   the first copy of every byte wins (the policy RFC 5722 asks receivers to
 *   make irrelevant by dropping, and the one that gives an analyst the bytes
 *   the first receiver most likely used).  Any overlap records FRAG_OVERLAP;
 *   an overlap whose bytes differ records FRAG_OVERLAP_DIFFERS instead.
 * - The end of the payload is fixed by the first fragment with MF=0.  A
 *   fragment that contradicts a known end (a second, different end, data
 *   past the end, or an end below bytes already held) is dropped with
 *   IP_MALFORMED; the datagram stays pending.
 * - A fragment reaching past byte 65535 of the payload is dropped with
 *   FRAG_TOO_BIG (the datagram stays pending and will time out).
 * - Timeouts use capture time: a datagram is abandoned once a packet arrives
 *   KF_LIMIT_FRAG_TIMEOUT_US or more after its first fragment (RFC 8200's
 *   "within 60 seconds of the reception of the first-arriving fragment").
 *   Datagrams are expired in creation order, so with timestamps that go
 *   backwards a datagram may outlive its timeout until older ones expire.
 * - Caps (limits.h): at most KF_LIMIT_FRAG_DATAGRAMS pending datagrams (the
 *   oldest is evicted to make room), KF_LIMIT_FRAGS_PER_DGRAM stored pieces
 *   per datagram (the datagram that exceeds it is dropped) and
 *   KF_LIMIT_FRAG_BYTES_TOTAL payload bytes held overall (oldest other
 *   datagrams are evicted first).  Each drop records FRAG_LIMIT.  Memory is
 *   therefore bounded by the byte cap plus a fixed per-piece/per-datagram
 *   overhead times the count caps, plus one 64 KiB assembly buffer.
 * - A fragment that repeats one of a datagram reassembled within the timeout
 *   (same key, offset, length and bytes: a capture point that sees a packet
 *   twice, a retransmitted fragment) is dropped with FRAG_DUPLICATE instead of
 *   starting a datagram that could never complete.  The last
 *   KF_LIMIT_FRAG_RECENT reassembled datagrams are remembered, each by the
 *   digests of up to KF_LIMIT_FRAG_RECENT_PIECES of its pieces.
 * - Every datagram that leaves without completing (timeout, eviction, cap,
 *   flush) is reported through on_incomplete.  Timeouts and flush record
 *   FRAG_TIMEOUT ("frag-incomplete"); evictions record FRAG_LIMIT.
 *
 * The engine is not re-entrant: on_incomplete must not call back into the
 * same kf_defrag.  Spans handed out (DONE output, first_frag) point into the
 * engine's assembly buffer or the caller's fragment and are valid until the
 * next call into the engine.
 */
#include "defrag.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"

#define DEFRAG_MAX_PAYLOAD 65535u

/* Power of two, at least twice the datagram cap, so chains stay short. */
#define DEFRAG_BUCKETS 2048u
_Static_assert((DEFRAG_BUCKETS & (DEFRAG_BUCKETS - 1)) == 0, "bucket count is a power of two");
_Static_assert(DEFRAG_BUCKETS >= 2 * KF_LIMIT_FRAG_DATAGRAMS, "hash table sized for the cap");
_Static_assert(KF_LIMIT_FRAG_BYTES_TOTAL >= DEFRAG_MAX_PAYLOAD,
	       "a single datagram must fit under the byte cap");

struct frag_piece {
	struct frag_piece *next; /* sorted by off, disjoint */
	uint32_t off, len;
	uint8_t data[];
};

struct frag_dgram {
	struct frag_dgram *hnext;         /* hash chain */
	struct frag_dgram *older, *newer; /* creation order, for expiry/eviction */
	struct kf_frag_key key;
	uint32_t hash;
	uint64_t first_ts;
	uint64_t first_frame, last_frame;
	struct frag_piece *pieces;
	uint32_t npieces;
	uint32_t nfrags;    /* fragments accepted, duplicates included */
	uint32_t have;      /* bytes held in pieces */
	uint32_t end;       /* payload length, valid when end_known */
	uint32_t first_len; /* length of the first offset-0 fragment accepted */
	bool end_known;
	bool first_seen;
};

/* A datagram reassembled lately: what its fragments were. */
struct frag_recent {
	struct kf_frag_key key;
	uint64_t done_ts;
	uint8_t npieces;
	bool used;
	struct {
		uint32_t off, len;
		uint64_t digest;
	} piece[KF_LIMIT_FRAG_RECENT_PIECES];
};

struct kf_defrag {
	kf_defrag_incomplete_fn on_incomplete;
	struct frag_recent recent[KF_LIMIT_FRAG_RECENT];
	uint32_t recent_next; /* the ring's next slot */
	void *ctx;
	struct frag_dgram **buckets;
	struct frag_dgram *oldest, *newest;
	size_t ndgrams;
	size_t bytes;     /* payload bytes held by all pieces */
	uint8_t *asm_buf; /* DEFRAG_MAX_PAYLOAD bytes: DONE output and first_frag */
};

struct kf_defrag *kf_defrag_new(kf_defrag_incomplete_fn on_incomplete, void *ctx)
{
	struct kf_defrag *d = kf_calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->on_incomplete = on_incomplete;
	d->ctx = ctx;
	d->buckets = kf_calloc(DEFRAG_BUCKETS, sizeof(*d->buckets));
	if (!d->buckets)
		goto out_free_engine;
	d->asm_buf = kf_malloc(DEFRAG_MAX_PAYLOAD);
	if (!d->asm_buf)
		goto out_free_buckets;
	return d;

out_free_buckets:
	kf_free(d->buckets);
out_free_engine:
	kf_free(d);
	return NULL;
}

static void normalize_key(struct kf_frag_key *dst, const struct kf_frag_key *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->version = src->version;
	dst->proto = src->proto;
	dst->id = src->id;
	size_t alen = src->version == 4 ? 4 : 16;
	memcpy(dst->src, src->src, alen);
	memcpy(dst->dst, src->dst, alen);
}

static bool key_eq(const struct kf_frag_key *a, const struct kf_frag_key *b)
{
	return a->version == b->version && a->proto == b->proto && a->id == b->id &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 && memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

/* FNV-1a over the key fields (not the struct, which has padding). */
static uint32_t key_hash(const struct kf_frag_key *k)
{
	uint32_t h = 2166136261u;
#define MIX(byte) (h = (h ^ (uint8_t)(byte)) * 16777619u)
	MIX(k->version);
	MIX(k->proto);
	for (size_t i = 0; i < sizeof(k->src); i++)
		MIX(k->src[i]);
	for (size_t i = 0; i < sizeof(k->dst); i++)
		MIX(k->dst[i]);
	MIX(k->id >> 24);
	MIX(k->id >> 16);
	MIX(k->id >> 8);
	MIX(k->id);
#undef MIX
	return h;
}

static struct frag_dgram *lookup(const struct kf_defrag *d, const struct kf_frag_key *k, uint32_t hash)
{
	for (struct frag_dgram *g = d->buckets[hash & (DEFRAG_BUCKETS - 1)]; g; g = g->hnext)
		if (g->hash == hash && key_eq(&g->key, k))
			return g;
	return NULL;
}

/* Unlink g from the table and the age list and free it with its pieces. */
static void dgram_destroy(struct kf_defrag *d, struct frag_dgram *g)
{
	struct frag_dgram **pp = &d->buckets[g->hash & (DEFRAG_BUCKETS - 1)];
	while (*pp && *pp != g)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = g->hnext;

	if (g->older)
		g->older->newer = g->newer;
	else
		d->oldest = g->newer;
	if (g->newer)
		g->newer->older = g->older;
	else
		d->newest = g->older;

	struct frag_piece *p = g->pieces;
	while (p) {
		struct frag_piece *next = p->next;
		d->bytes -= p->len;
		kf_free(p);
		p = next;
	}
	d->ndgrams--;
	kf_free(g);
}

/* Copy the contiguous run [0, limit) into the assembly buffer; returns how
 * many bytes were contiguous from offset 0 (at most limit). */
static uint32_t assemble_prefix(struct kf_defrag *d, const struct frag_dgram *g, uint32_t limit)
{
	uint32_t have = 0;
	for (const struct frag_piece *p = g->pieces; p && have < limit; p = p->next) {
		if (p->off != have)
			break;
		uint32_t n = p->len < limit - have ? p->len : limit - have;
		memcpy(d->asm_buf + have, p->data, n);
		have += n;
	}
	return have;
}

/* Report g as incomplete (with the reason event) and forget it. */
static void dgram_abandon(struct kf_defrag *d, struct frag_dgram *g, enum kf_event why, struct kf_events *ev)
{
	kf_events_add(ev, why);
	if (d->on_incomplete) {
		struct kf_frag_incomplete inc;
		inc.key = &g->key;
		inc.first_frame = g->first_frame;
		inc.last_frame = g->last_frame;
		inc.nfrags = g->nfrags;
		inc.first_frag = kf_span_make(NULL, 0);
		if (g->first_seen && g->first_len) {
			uint32_t n = assemble_prefix(d, g, g->first_len);
			inc.first_frag = kf_span_make(d->asm_buf, n);
		}
		d->on_incomplete(d->ctx, &inc);
	}
	dgram_destroy(d, g);
}

static void expire(struct kf_defrag *d, uint64_t now, struct kf_events *ev)
{
	while (d->oldest && now >= d->oldest->first_ts &&
	       now - d->oldest->first_ts >= KF_LIMIT_FRAG_TIMEOUT_US)
		dgram_abandon(d, d->oldest, KF_EV_FRAG_TIMEOUT, ev);
}

/* Overlap bookkeeping for one new fragment against the pieces of g: the
 * holes it fills (in offset order) and whether it overlapped held bytes.
 * A fragment can fill at most one hole more than there are pieces. */
struct frag_plan {
	uint32_t nholes;
	uint32_t nbytes;
	uint32_t hole_len[KF_LIMIT_FRAGS_PER_DGRAM + 1];
	bool overlap;
	bool differs;
};

static void plan_add_hole(struct frag_plan *plan, uint32_t n)
{
	if (plan->nholes < KF_LIMIT_FRAGS_PER_DGRAM + 1)
		plan->hole_len[plan->nholes] = n;
	plan->nholes++;
	plan->nbytes += n;
}

static void plan_insert(const struct frag_dgram *g, uint32_t off, struct kf_span data, struct frag_plan *plan)
{
	uint32_t end = off + (uint32_t)data.n;
	uint32_t cur = off;
	plan->nholes = 0;
	plan->nbytes = 0;
	plan->overlap = false;
	plan->differs = false;
	for (const struct frag_piece *p = g->pieces; p && cur < end; p = p->next) {
		uint32_t pend = p->off + p->len;
		if (pend <= cur)
			continue;
		if (p->off >= end)
			break;
		if (p->off > cur)
			plan_add_hole(plan, p->off - cur);
		uint32_t lo = p->off > off ? p->off : off;
		uint32_t hi = pend < end ? pend : end;
		plan->overlap = true;
		if (memcmp(p->data + (lo - p->off), data.p + (lo - off), hi - lo) != 0)
			plan->differs = true;
		cur = pend;
	}
	if (cur < end)
		plan_add_hole(plan, end - cur);
}

/* Link the preallocated nodes into the holes of g that [off, off+n) covers.
 * Walks exactly like plan_insert, so it fills the planned holes in order. */
static void do_insert(struct kf_defrag *d, struct frag_dgram *g, uint32_t off, struct kf_span data,
		      struct frag_piece **nodes)
{
	uint32_t end = off + (uint32_t)data.n;
	uint32_t cur = off;
	size_t used = 0;
	struct frag_piece **pp = &g->pieces;
	while (cur < end) {
		struct frag_piece *p = *pp;
		if (p && p->off + p->len <= cur) {
			pp = &p->next;
			continue;
		}
		if (p && p->off <= cur) {
			cur = p->off + p->len;
			pp = &p->next;
			continue;
		}
		uint32_t hole_end = (p && p->off < end) ? p->off : end;
		struct frag_piece *n = nodes[used++];
		n->off = cur;
		n->len = hole_end - cur;
		memcpy(n->data, data.p + (cur - off), n->len);
		n->next = p;
		*pp = n;
		pp = &n->next;
		g->npieces++;
		g->have += n->len;
		d->bytes += n->len;
		cur = hole_end;
	}
}

static uint32_t pieces_end(const struct frag_dgram *g)
{
	uint32_t e = 0;
	for (const struct frag_piece *p = g->pieces; p; p = p->next)
		e = p->off + p->len; /* sorted: the last one is the highest */
	return e;
}

static struct frag_dgram *dgram_create(struct kf_defrag *d, const struct kf_frag_key *k, uint32_t hash,
				       uint64_t ts_us, uint64_t frame, struct kf_events *ev)
{
	if (d->ndgrams >= KF_LIMIT_FRAG_DATAGRAMS && d->oldest)
		dgram_abandon(d, d->oldest, KF_EV_FRAG_LIMIT, ev);
	struct frag_dgram *g = kf_calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->key = *k;
	g->hash = hash;
	g->first_ts = ts_us;
	g->first_frame = frame;
	g->last_frame = frame;
	struct frag_dgram **bucket = &d->buckets[hash & (DEFRAG_BUCKETS - 1)];
	g->hnext = *bucket;
	*bucket = g;
	g->older = d->newest;
	if (d->newest)
		d->newest->newer = g;
	else
		d->oldest = g;
	d->newest = g;
	d->ndgrams++;
	return g;
}

static uint64_t digest(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Remember a datagram that completed: its pieces are its fragments when
 * they did not overlap. */
static void recent_add(struct kf_defrag *d, const struct frag_dgram *g, uint64_t ts)
{
	struct frag_recent *r = &d->recent[d->recent_next];
	d->recent_next = (d->recent_next + 1) % KF_LIMIT_FRAG_RECENT;
	r->key = g->key;
	r->done_ts = ts;
	r->used = true;
	r->npieces = 0;
	for (const struct frag_piece *p = g->pieces; p && r->npieces < KF_LIMIT_FRAG_RECENT_PIECES;
	     p = p->next) {
		r->piece[r->npieces].off = p->off;
		r->piece[r->npieces].len = p->len;
		r->piece[r->npieces].digest = digest(p->data, p->len);
		r->npieces++;
	}
}

/* Is this fragment one of a datagram reassembled within the timeout? */
static bool recent_repeat(const struct kf_defrag *d, const struct kf_frag_key *k, uint64_t ts, uint32_t off,
			  struct kf_span data)
{
	uint64_t h = 0;
	bool hashed = false;
	for (uint32_t i = 0; i < KF_LIMIT_FRAG_RECENT; i++) {
		const struct frag_recent *r = &d->recent[i];
		if (!r->used || !key_eq(&r->key, k) || ts < r->done_ts ||
		    ts - r->done_ts >= KF_LIMIT_FRAG_TIMEOUT_US)
			continue;
		for (uint8_t j = 0; j < r->npieces; j++) {
			if (r->piece[j].off != off || r->piece[j].len != data.n)
				continue;
			if (!hashed) {
				h = digest(data.p, data.n);
				hashed = true;
			}
			if (r->piece[j].digest == h)
				return true;
		}
	}
	return false;
}

enum kf_defrag_result kf_defrag_add(struct kf_defrag *d, const struct kf_frag_key *key, uint64_t ts_us,
				    uint64_t frame, uint32_t offset, bool more, struct kf_span data,
				    struct kf_span *out, uint32_t *nfrags, struct kf_events *ev)
{
	if (out)
		*out = kf_span_make(NULL, 0);
	if (nfrags)
		*nfrags = 0;
	if (!d || !key || !out || (data.n && !data.p) || (key->version != 4 && key->version != 6)) {
		kf_events_add(ev, KF_EV_IP_MALFORMED);
		return KF_DEFRAG_DROPPED;
	}

	expire(d, ts_us, ev);

	if (data.n > DEFRAG_MAX_PAYLOAD || offset > DEFRAG_MAX_PAYLOAD - data.n) {
		kf_events_add(ev, KF_EV_FRAG_TOO_BIG);
		return KF_DEFRAG_DROPPED;
	}
	uint32_t len = (uint32_t)data.n;
	uint32_t end = offset + len;

	struct kf_frag_key k;
	normalize_key(&k, key);
	uint32_t hash = key_hash(&k);
	struct frag_dgram *g = lookup(d, &k, hash);

	if (!g && offset == 0 && !more) {
		/* not fragmented after all: nothing to keep */
		*out = data;
		if (nfrags)
			*nfrags = 1;
		return KF_DEFRAG_DONE;
	}

	if (!g && recent_repeat(d, &k, ts_us, offset, data)) {
		kf_events_add(ev, KF_EV_FRAG_DUPLICATE);
		return KF_DEFRAG_DROPPED;
	}

	bool created = false;
	if (!g) {
		g = dgram_create(d, &k, hash, ts_us, frame, ev);
		if (!g)
			return KF_DEFRAG_NOMEM;
		created = true;
	}

	/* A fragment that contradicts the end fixed by the first last
	 * fragment (or data already held) is not believed. */
	if ((!more && g->end_known && end != g->end) || (more && g->end_known && end > g->end) ||
	    (!more && !g->end_known && pieces_end(g) > end)) {
		kf_events_add(ev, KF_EV_IP_MALFORMED);
		g->last_frame = frame;
		return KF_DEFRAG_DROPPED;
	}

	struct frag_plan plan;
	plan_insert(g, offset, data, &plan);
	if (plan.differs)
		kf_events_add(ev, KF_EV_FRAG_OVERLAP_DIFFERS);
	else if (plan.overlap)
		kf_events_add(ev, KF_EV_FRAG_OVERLAP);

	g->last_frame = frame;
	g->nfrags++;

	if (plan.nholes > KF_LIMIT_FRAGS_PER_DGRAM - g->npieces) {
		dgram_abandon(d, g, KF_EV_FRAG_LIMIT, ev);
		return KF_DEFRAG_DROPPED;
	}
	while (d->bytes + plan.nbytes > KF_LIMIT_FRAG_BYTES_TOTAL) {
		struct frag_dgram *victim = d->oldest != g ? d->oldest : g->newer;
		if (!victim) {
			dgram_abandon(d, g, KF_EV_FRAG_LIMIT, ev);
			return KF_DEFRAG_DROPPED;
		}
		dgram_abandon(d, victim, KF_EV_FRAG_LIMIT, ev);
	}

	/* Allocate every node first so a failure leaves g unchanged. */
	struct frag_piece *nodes[KF_LIMIT_FRAGS_PER_DGRAM];
	for (uint32_t i = 0; i < plan.nholes; i++) {
		nodes[i] = kf_malloc(sizeof(struct frag_piece) + plan.hole_len[i]);
		if (!nodes[i]) {
			while (i--)
				kf_free(nodes[i]);
			g->nfrags--;
			if (created)
				dgram_destroy(d, g);
			return KF_DEFRAG_NOMEM;
		}
	}
	do_insert(d, g, offset, data, nodes);

	if (!more) {
		g->end_known = true;
		g->end = end;
	}
	if (offset == 0 && len && !g->first_seen) {
		g->first_seen = true;
		g->first_len = len;
	}

	if (!g->end_known || g->have != g->end)
		return KF_DEFRAG_PENDING;

	/* Complete: the pieces are disjoint, inside [0, end) and sum to end,
	 * so they tile the payload exactly. */
	uint32_t n = assemble_prefix(d, g, g->end);
	*out = kf_span_make(d->asm_buf, n);
	if (nfrags)
		*nfrags = g->nfrags;
	recent_add(d, g, ts_us);
	dgram_destroy(d, g);
	return KF_DEFRAG_DONE;
}

void kf_defrag_flush(struct kf_defrag *d, struct kf_events *ev)
{
	if (!d)
		return;
	while (d->oldest)
		dgram_abandon(d, d->oldest, KF_EV_FRAG_TIMEOUT, ev);
}

size_t kf_defrag_pending(const struct kf_defrag *d) { return d ? d->ndgrams : 0; }

void kf_defrag_free(struct kf_defrag *d)
{
	if (!d)
		return;
	/* Not reported: kf_defrag_flush() first when incomplete ones matter. */
	while (d->oldest)
		dgram_destroy(d, d->oldest);
	kf_free(d->asm_buf);
	kf_free(d->buckets);
	kf_free(d);
}
