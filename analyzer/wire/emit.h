/* emit.h - what every carrier does with what it decoded: record a message
 * on the store as seen on a connection, and remember requests until their
 * replies come (emit.c).  Internal to wire/. */
#ifndef KF_EMIT_H
#define KF_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/limits.h"
#include "carrier.h"
#include "krb5.h"
#include "krb_stream.h"

/* Record msg as sent in direction dir of c: endpoints, transport, the
 * connection id (TCP), frame and time (the current packet unless msg->frame
 * is set; first_frame defaults to frame) and carrier are filled in here.
 * m: its Kerberos fields, or NULL.  Past the store's cap or out of memory
 * the event is counted and false returned; else *id is the message's id. */
bool kf_emit(struct kf_run *r, const struct kf_conn *c, int dir, uint8_t carrier, struct kf_message *msg,
	     const struct kf_krb_msg *m, uint32_t *id);

/* Requests awaiting replies on one flow, oldest first (the oldest is
 * forgotten past KF_LIMIT_KRB_PENDING). */
struct kf_pending {
	uint32_t id[KF_LIMIT_KRB_PENDING];
	uint8_t head, n;
};
void kf_pending_push(struct kf_pending *p, uint32_t id);
bool kf_pending_pop(struct kf_pending *p, uint32_t *id);

/* Bytes of a protocol unit split over segments, gathered up to a limit. */
struct kf_gather {
	uint8_t *buf;
	size_t len, cap;
};
/* Append s; false when limit was reached (what fits is kept) or memory ran out. */
bool kf_gather_add(struct kf_run *r, struct kf_gather *g, struct kf_span s, size_t limit);
void kf_gather_free(struct kf_gather *g);

/* Both directions of a TCP stream of records behind 4-byte marks (RFC 4120
 * §7.2.2): Kerberos on 88, kpasswd on 464. */
typedef void (*kf_record_fn)(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span record,
			     uint64_t first_frame);
/* A record over KF_LIMIT_KRB_RECORD, skipped: its length and first byte. */
typedef void (*kf_record_oversize_fn)(struct kf_run *r, struct kf_conn *c, int dir, uint32_t length,
				      uint8_t tag, uint64_t first_frame);
struct kf_records {
	struct kf_krb_stream ks[2];
	kf_record_oversize_fn oversize; /* set after init to hear of them (NULL: only the event) */
};
void kf_records_init(struct kf_records *rs);
/* In-order bytes (or a gap, counted as an event) of direction dir; each
 * complete record goes to fn. */
void kf_records_feed(struct kf_run *r, struct kf_records *rs, struct kf_conn *c, int dir, struct kf_span data,
		     uint32_t gap_len, kf_record_fn fn);
void kf_records_free(struct kf_records *rs);

/* Kerberos message types that ask (AS-REQ, TGS-REQ, AP-REQ...) and answer. */
bool kf_krb_is_request(int type);
bool kf_krb_is_reply(int type);

#endif
