/* tcp_reasm.h - reassembly of one direction of a TCP connection (RFC 9293).
 *
 * Delivers the byte stream in order to a callback, as either bytes or a gap:
 * bytes are never joined across a hole.  In-order segments are delivered
 * straight from the packet (no copy); only out-of-order segments are copied,
 * within per-direction and global caps (limits.h).  Retransmitted bytes that
 * were already delivered are dropped; overlapping buffered bytes keep the
 * first copy (TCP_OVERLAP_DIFFERS when they differ).
 *
 * A hole is declared a gap (never waited for forever) when: the other side
 * acknowledges data beyond it (kf_reasm_ack), the buffered data hits a cap,
 * or the stream is flushed at FIN/RST/end of capture.
 */
#ifndef KF_TCP_REASM_H
#define KF_TCP_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/span.h"

/* Called for each in-order piece: data (gap_len == 0) or a gap of gap_len
 * bytes (data empty).  data is valid only during the call. */
typedef void (*kf_reasm_deliver_fn)(void *ctx, struct kf_span data, uint32_t gap_len);

/* Global accounting shared by all directions (caps the total buffered). */
struct kf_reasm_pool {
	uint64_t buffered; /* out-of-order bytes held by all directions now */
	uint64_t cap;      /* KF_LIMIT_REASM_TOTAL by default */
};

struct kf_reasm_dir; /* opaque */

struct kf_reasm_dir *kf_reasm_new(struct kf_reasm_pool *pool);
void kf_reasm_free(struct kf_reasm_dir *d);

/* Start the stream.  With syn=true, isn is the SYN's sequence number (data
 * starts at isn+1).  Otherwise the flow was picked up mid-stream and data
 * starts at the first segment fed. */
void kf_reasm_start(struct kf_reasm_dir *d, uint32_t isn, bool syn);
bool kf_reasm_started(const struct kf_reasm_dir *d);

/* Feed one segment's payload at sequence number seq.  Deliveries happen
 * inside this call. */
void kf_reasm_segment(struct kf_reasm_dir *d, uint32_t seq, struct kf_span payload, kf_reasm_deliver_fn cb,
		      void *ctx, struct kf_events *ev);

/* A segment that is exactly the next in-order data while nothing is
 * buffered: count its n bytes as delivered without a callback, because the
 * caller knows they are of no interest (the middle of an HTTP body).  False,
 * with nothing done, for any other segment: feed that to kf_reasm_segment. */
bool kf_reasm_skip_next(struct kf_reasm_dir *d, uint32_t seq, size_t n);

/* The peer acknowledged everything before ack: any hole below it will never
 * be filled by this capture, so deliver it as a gap (and what follows). */
void kf_reasm_ack(struct kf_reasm_dir *d, uint32_t ack, kf_reasm_deliver_fn cb, void *ctx,
		  struct kf_events *ev);

/* Deliver whatever is buffered, holes as gaps (FIN, RST, eviction, end). */
void kf_reasm_flush(struct kf_reasm_dir *d, kf_reasm_deliver_fn cb, void *ctx, struct kf_events *ev);

/* Next expected sequence number (relative stream offset for tests). */
uint64_t kf_reasm_delivered(const struct kf_reasm_dir *d);

#endif
