/* krb_stream.h - Kerberos over TCP: 4-byte record marks (RFC 4120 §7.2.2)
 * cut out of one direction's reassembled byte stream.
 *
 * Whole records inside one delivery are handed on without copying; a record
 * spread over deliveries is gathered in a buffer capped at
 * KF_LIMIT_KRB_RECORD (larger records are skipped, event KRB_RECORD_TOO_BIG,
 * and framing stays in step).  After a gap that lands inside a record the
 * framer resynchronises on the next plausible mark followed by a Kerberos
 * APPLICATION tag.
 */
#ifndef KF_KRB_STREAM_H
#define KF_KRB_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/span.h"
#include "base/status.h"

/* A complete record (without its mark); first_frame is where it began. */
typedef void (*kf_krb_record_fn)(void *ctx, struct kf_span record, uint64_t first_frame);
/* A record over KF_LIMIT_KRB_RECORD that is skipped: its announced length and
 * its first byte (the message's APPLICATION tag), once that byte arrived. */
typedef void (*kf_krb_oversize_fn)(void *ctx, uint32_t length, uint8_t tag, uint64_t first_frame);

struct kf_krb_stream {
	uint8_t *buf; /* partial record (mark included) */
	size_t len, cap;
	uint64_t skip; /* bytes of an oversized record still to skip */
	uint64_t first_frame;
	kf_krb_oversize_fn oversize; /* told of each oversized record (NULL: not) with data()'s ctx */
	uint32_t oversize_len;       /* the oversized record being skipped, before its tag arrived */
	uint64_t oversize_frame;
	bool resync; /* looking for a record boundary after a gap */
	bool nomem;  /* an allocation failed: framing abandoned */
};

void kf_krb_stream_init(struct kf_krb_stream *s);
void kf_krb_stream_free(struct kf_krb_stream *s);
/* Feed in-order bytes that arrived in frame `frame`. */
void kf_krb_stream_data(struct kf_krb_stream *s, struct kf_span data, uint64_t frame, kf_krb_record_fn cb,
			void *ctx, struct kf_events *ev);
/* The stream lost gap_len bytes here. */
void kf_krb_stream_gap(struct kf_krb_stream *s, uint32_t gap_len);
/* True while a record is partly gathered (for "incomplete" reporting). */
bool kf_krb_stream_pending(const struct kf_krb_stream *s);

#endif
