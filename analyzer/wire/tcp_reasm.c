/* tcp_reasm.c - one direction of a TCP byte stream, in order, with gaps
 * (RFC 9293 §3.4 sequence numbers, §3.10.7.4 segment acceptance).
 *
 * Contract (see tcp_reasm.h for the interface):
 *
 * - Sequence numbers are mapped to a 64-bit offset relative to the first
 *   byte of the stream (ISN+1 after a SYN, else the first segment's seq).  A
 *   32-bit seq is unwrapped to the offset nearest the next expected one
 *   (within ±2^31), so wraparound at 0xFFFFFFFF is invisible to callers.
 *   Offsets that would fall before the stream start are treated as old
 *   (already delivered), so only the part of a segment at or after the next
 *   expected byte is ever used.
 * - The stream advances only by delivering: data (zero-copy from the packet
 *   when a segment is in order, else from the out-of-order buffer) or a gap.
 *   kf_reasm_delivered() is the offset of the next byte to deliver, i.e. the
 *   bytes plus gap lengths handed out so far.
 * - Bytes before that offset are dropped silently (retransmissions); a
 *   segment that is partly new delivers only its new part.  After the trim
 *   every segment starts at or after the next expected byte.
 * - Out-of-order bytes are copied into disjoint pieces sorted by offset.  A
 *   later copy only fills holes: the first copy wins, in the buffer and when
 *   an in-order segment covers buffered bytes.  Overlapping bytes that differ
 *   record TCP_OVERLAP_DIFFERS.  (Bytes already delivered are not kept, so a
 *   retransmission of them cannot be compared.)
 * - Holes become gaps, never waited for forever, when (a) the peer
 *   acknowledges past them (kf_reasm_ack), (b) buffering a segment would
 *   exceed KF_LIMIT_REASM_BYTES or KF_LIMIT_REASM_SEGMENTS for this
 *   direction or pool->cap overall (REASM_LIMIT; an allocation failure is
 *   handled the same way with OUT_OF_MEMORY): the stream skips to the
 *   earliest data it has, buffered or the new segment, and drains from there,
 *   repeating until the segment fits or is in order; or (c) at flush.
 * - Gaps are reported through the callback only (gap_len > 0, empty data);
 *   the engine does not record TCP_GAP itself, the caller does.
 * - Sane window: a segment starting more than KF_LIMIT_REASM_WINDOW bytes
 *   past the next expected byte is neither buffered nor delivered
 *   (REASM_LIMIT); only its end is remembered.  If a later segment starts
 *   exactly there, the far stream is coherent (we lost a huge stretch, or
 *   the flow was re-used without a handshake we saw) and the stream jumps:
 *   everything buffered is delivered with its holes as gaps, then one gap up
 *   to the new segment, which is delivered in order.  One stray segment with
 *   a wild sequence number therefore costs nothing, while a stream that
 *   really moved on is followed after one segment.  Acks further ahead than
 *   the window are ignored.
 * - FINs are not fed to the engine, yet a FIN takes one sequence number:
 *   an ack exactly one past the end of everything seen is taken as the ack
 *   of a FIN and does not declare a 1-byte gap.
 * - Zero-length segments are ignored (they neither anchor nor advance the
 *   stream).  A segment fed before kf_reasm_start() starts the stream
 *   mid-stream at that segment.
 *
 * The engine is not re-entrant: a deliver callback must not call into the
 * same direction.  Delivered data spans are valid only during the callback.
 */
#include "tcp_reasm.h"

#include <string.h>

#include "base/arena.h"
#include "base/limits.h"

/* KF_LIMIT_REASM_WINDOW (limits.h): how far past the next expected byte a
 * segment may start and still be believed (TCP windows top out near 2^30
 * with window scaling, RFC 7323 §2.3). */

struct reasm_piece {
	struct reasm_piece *next; /* sorted by off, disjoint, all >= d->next */
	uint64_t off;
	size_t len;
	uint8_t data[];
};

struct kf_reasm_dir {
	struct kf_reasm_pool *pool; /* may be NULL: no global accounting */
	bool started;
	bool anchored;     /* base is known (after SYN, or after the first segment) */
	uint32_t base;     /* sequence number of stream offset 0 */
	uint64_t next;     /* offset of the next byte to deliver */
	uint64_t seen_end; /* end of the highest byte accepted (buffered or delivered) */
	struct reasm_piece *pieces;
	uint32_t npieces;
	uint64_t bytes;   /* bytes held in pieces */
	bool far_valid;   /* a segment beyond the window was seen ... */
	uint64_t far_end; /* ... and ended here */
};

struct kf_reasm_dir *kf_reasm_new(struct kf_reasm_pool *pool)
{
	struct kf_reasm_dir *d = kf_calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->pool = pool;
	return d;
}

static void piece_release(struct kf_reasm_dir *d, struct reasm_piece *p)
{
	d->npieces--;
	d->bytes -= p->len;
	if (d->pool)
		d->pool->buffered -= d->pool->buffered >= p->len ? p->len : d->pool->buffered;
	kf_free(p);
}

static void drop_all(struct kf_reasm_dir *d)
{
	while (d->pieces) {
		struct reasm_piece *p = d->pieces;
		d->pieces = p->next;
		piece_release(d, p);
	}
}

void kf_reasm_free(struct kf_reasm_dir *d)
{
	if (!d)
		return;
	drop_all(d);
	kf_free(d);
}

void kf_reasm_start(struct kf_reasm_dir *d, uint32_t isn, bool syn)
{
	if (!d)
		return;
	drop_all(d);
	d->started = true;
	d->anchored = syn;
	d->base = syn ? isn + 1u : 0;
	d->next = 0;
	d->seen_end = 0;
	d->far_valid = false;
}

bool kf_reasm_started(const struct kf_reasm_dir *d) { return d && d->started; }

uint64_t kf_reasm_delivered(const struct kf_reasm_dir *d) { return d ? d->next : 0; }

/* Map seq to the stream offset nearest d->next (within ±2^31).  Negative
 * results lie before the stream start. */
static int64_t unwrap(const struct kf_reasm_dir *d, uint32_t seq)
{
	uint32_t next_seq = d->base + (uint32_t)d->next;
	uint32_t diff = seq - next_seq;
	if (diff < 0x80000000u)
		return (int64_t)d->next + (int64_t)diff;
	return (int64_t)d->next - (int64_t)(0x100000000ull - diff);
}

static void deliver_data(struct kf_reasm_dir *d, const uint8_t *p, size_t n, kf_reasm_deliver_fn cb,
			 void *ctx)
{
	if (n == 0)
		return;
	d->next += n;
	if (cb)
		cb(ctx, kf_span_make(p, n), 0);
}

static void deliver_gap(struct kf_reasm_dir *d, uint64_t n, kf_reasm_deliver_fn cb, void *ctx)
{
	while (n) {
		uint32_t chunk = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		d->next += chunk;
		n -= chunk;
		if (cb)
			cb(ctx, kf_span_make(NULL, 0), chunk);
	}
}

/* Deliver the part past d->next of the first piece, which starts at or
 * before d->next, and release it. */
static void deliver_first_piece(struct kf_reasm_dir *d, kf_reasm_deliver_fn cb, void *ctx)
{
	struct reasm_piece *p = d->pieces;
	d->pieces = p->next;
	if (p->off + p->len > d->next) {
		size_t skip = (size_t)(d->next - p->off);
		deliver_data(d, p->data + skip, p->len - skip, cb, ctx);
	}
	piece_release(d, p);
}

/* Deliver buffered pieces while they are contiguous with d->next. */
static void drain(struct kf_reasm_dir *d, kf_reasm_deliver_fn cb, void *ctx)
{
	while (d->pieces && d->pieces->off <= d->next)
		deliver_first_piece(d, cb, ctx);
}

/* Deliver everything buffered, holes as gaps. */
static void drain_all(struct kf_reasm_dir *d, kf_reasm_deliver_fn cb, void *ctx)
{
	while (d->pieces) {
		if (d->pieces->off > d->next)
			deliver_gap(d, d->pieces->off - d->next, cb, ctx);
		drain(d, cb, ctx);
	}
}

/* Deliver [d->next, off+n) of a segment that starts at or before d->next.
 * Buffered pieces inside that range arrived first, so they win. */
static void deliver_in_order(struct kf_reasm_dir *d, uint64_t off, const uint8_t *data, size_t n,
			     kf_reasm_deliver_fn cb, void *ctx, struct kf_events *ev)
{
	uint64_t end = off + n;
	bool differs = false;
	while (d->next < end) {
		struct reasm_piece *p = d->pieces;
		if (p && p->off <= d->next) {
			uint64_t pend = p->off + p->len;
			uint64_t hi = pend < end ? pend : end;
			uint64_t lo = d->next;
			if (hi > lo &&
			    memcmp(p->data + (lo - p->off), data + (lo - off), (size_t)(hi - lo)) != 0)
				differs = true;
			deliver_first_piece(d, cb, ctx);
			continue;
		}
		uint64_t stop = (p && p->off < end) ? p->off : end;
		deliver_data(d, data + (d->next - off), (size_t)(stop - d->next), cb, ctx);
	}
	drain(d, cb, ctx);
	if (differs)
		kf_events_add(ev, KF_EV_TCP_OVERLAP_DIFFERS);
}

/* The holes of the buffer that [off, off+n) would fill. */
struct reasm_plan {
	uint32_t nholes;
	uint64_t nbytes;
	bool differs;
};

static void plan_insert(const struct kf_reasm_dir *d, uint64_t off, const uint8_t *data, size_t n,
			struct reasm_plan *plan)
{
	uint64_t end = off + n, cur = off;
	plan->nholes = 0;
	plan->nbytes = 0;
	plan->differs = false;
	for (const struct reasm_piece *p = d->pieces; p && cur < end; p = p->next) {
		uint64_t pend = p->off + p->len;
		if (pend <= cur)
			continue;
		if (p->off >= end)
			break;
		if (p->off > cur) {
			plan->nholes++;
			plan->nbytes += p->off - cur;
		}
		uint64_t lo = p->off > off ? p->off : off;
		uint64_t hi = pend < end ? pend : end;
		if (memcmp(p->data + (lo - p->off), data + (lo - off), (size_t)(hi - lo)) != 0)
			plan->differs = true;
		cur = pend;
	}
	if (cur < end) {
		plan->nholes++;
		plan->nbytes += end - cur;
	}
}

static bool plan_fits(const struct kf_reasm_dir *d, const struct reasm_plan *plan)
{
	if (plan->nholes > KF_LIMIT_REASM_SEGMENTS - d->npieces)
		return false;
	if (plan->nbytes > KF_LIMIT_REASM_BYTES - d->bytes)
		return false;
	if (d->pool) {
		uint64_t cap = d->pool->cap;
		if (d->pool->buffered > cap || plan->nbytes > cap - d->pool->buffered)
			return false;
	}
	return true;
}

/* Copy the new parts of [off, off+n) into the buffer's holes.  All nodes are
 * allocated before any is linked, so failure leaves the buffer unchanged. */
static bool buffer_insert(struct kf_reasm_dir *d, uint64_t off, const uint8_t *data, size_t n)
{
	uint64_t end = off + n;
	struct reasm_piece *nodes = NULL; /* allocated, not yet linked (via next) */
	struct reasm_piece **tail = &nodes;
	uint64_t cur = off;
	for (const struct reasm_piece *p = d->pieces;; p = p->next) {
		if (p && p->off + p->len <= cur)
			continue;
		uint64_t hole_end = (p && p->off < end) ? p->off : end;
		if (hole_end > cur) {
			struct reasm_piece *nn = kf_malloc(sizeof(*nn) + (size_t)(hole_end - cur));
			if (!nn)
				goto out_free_nodes;
			nn->off = cur;
			nn->len = (size_t)(hole_end - cur);
			memcpy(nn->data, data + (cur - off), nn->len);
			nn->next = NULL;
			*tail = nn;
			tail = &nn->next;
		}
		if (!p || p->off >= end)
			break;
		cur = p->off + p->len;
		if (cur >= end)
			break;
	}

	/* Merge the sorted new nodes into the sorted list. */
	struct reasm_piece **pp = &d->pieces;
	while (nodes) {
		struct reasm_piece *nn = nodes;
		nodes = nn->next;
		while (*pp && (*pp)->off < nn->off)
			pp = &(*pp)->next;
		nn->next = *pp;
		*pp = nn;
		pp = &nn->next;
		d->npieces++;
		d->bytes += nn->len;
		if (d->pool)
			d->pool->buffered += nn->len;
	}
	return true;

out_free_nodes:
	while (nodes) {
		struct reasm_piece *nn = nodes;
		nodes = nn->next;
		kf_free(nn);
	}
	return false;
}

bool kf_reasm_skip_next(struct kf_reasm_dir *d, uint32_t seq, size_t n)
{
	if (!d || !d->started || !d->anchored || d->npieces || d->far_valid || !n)
		return false;
	if (unwrap(d, seq) != (int64_t)d->next)
		return false;
	d->next += n;
	if (d->next > d->seen_end)
		d->seen_end = d->next;
	return true;
}

void kf_reasm_segment(struct kf_reasm_dir *d, uint32_t seq, struct kf_span payload, kf_reasm_deliver_fn cb,
		      void *ctx, struct kf_events *ev)
{
	if (!d || payload.n == 0 || !payload.p)
		return;
	if (!d->started)
		kf_reasm_start(d, seq, false);
	if (!d->anchored) {
		d->base = seq;
		d->next = 0;
		d->anchored = true;
	}

	const uint8_t *data = payload.p;
	size_t n = payload.n;
	int64_t soff = unwrap(d, seq);
	if (soff < (int64_t)d->next) {
		/* a retransmission: keep only what was not delivered yet (this
		 * also trims bytes from before a mid-stream start) */
		uint64_t old = (uint64_t)((int64_t)d->next - soff);
		if (old >= n)
			return;
		data += old;
		n -= (size_t)old;
		soff = (int64_t)d->next;
	}
	uint64_t off = (uint64_t)soff;
	uint64_t end = off + n;
	if (off <= d->next + KF_LIMIT_REASM_WINDOW && end > d->seen_end)
		d->seen_end = end;

	if (off > d->next && off - d->next > KF_LIMIT_REASM_WINDOW) {
		if (!(d->far_valid && off == d->far_end)) {
			d->far_valid = true;
			d->far_end = end;
			kf_events_add(ev, KF_EV_REASM_LIMIT);
			return;
		}
		/* the far stream continues coherently: follow it */
		d->far_valid = false;
		drain_all(d, cb, ctx);
		if (off > d->next)
			deliver_gap(d, off - d->next, cb, ctx);
	}

	bool limited = false, nomem = false;
	while (off > d->next) {
		struct reasm_plan plan;
		plan_insert(d, off, data, n, &plan);
		if (!plan_fits(d, &plan)) {
			if (!limited)
				kf_events_add(ev, KF_EV_REASM_LIMIT);
			limited = true;
		} else if (!buffer_insert(d, off, data, n)) {
			if (!nomem)
				kf_events_add(ev, KF_EV_OUT_OF_MEMORY);
			nomem = true;
		} else {
			if (plan.differs)
				kf_events_add(ev, KF_EV_TCP_OVERLAP_DIFFERS);
			return;
		}
		/* Cannot hold it: give up on the hole before the earliest data we
		 * have and move on from there. */
		uint64_t target = off;
		if (d->pieces && d->pieces->off < target)
			target = d->pieces->off;
		deliver_gap(d, target - d->next, cb, ctx);
		drain(d, cb, ctx);
	}
	if (end > d->next)
		deliver_in_order(d, off, data, n, cb, ctx, ev);
}

void kf_reasm_ack(struct kf_reasm_dir *d, uint32_t ack, kf_reasm_deliver_fn cb, void *ctx,
		  struct kf_events *ev)
{
	(void)ev;
	if (!d || !d->started || !d->anchored)
		return;
	int64_t sack = unwrap(d, ack);
	if (sack <= (int64_t)d->next || (uint64_t)sack - d->next > KF_LIMIT_REASM_WINDOW)
		return;
	uint64_t upto = (uint64_t)sack;
	/* A FIN takes one sequence number but carries no byte, and the caller
	 * does not tell us about FINs: an ack one past everything seen is most
	 * likely acknowledging the FIN, not a lost byte. */
	uint64_t seen_end = d->seen_end > d->next ? d->seen_end : d->next;
	if (upto == seen_end + 1)
		upto--;
	while (d->next < upto) {
		if (d->pieces && d->pieces->off <= d->next) {
			drain(d, cb, ctx);
			continue;
		}
		uint64_t target = upto;
		if (d->pieces && d->pieces->off < target)
			target = d->pieces->off;
		deliver_gap(d, target - d->next, cb, ctx);
	}
	drain(d, cb, ctx);
}

void kf_reasm_flush(struct kf_reasm_dir *d, kf_reasm_deliver_fn cb, void *ctx, struct kf_events *ev)
{
	(void)ev;
	if (!d)
		return;
	drain_all(d, cb, ctx);
}
