/* flow.h - table of the TCP/UDP flows krbflow follows, keyed by 5-tuple.
 *
 * Opaque engine.  Each flow carries a user pointer the caller owns; when a
 * flow leaves the table (idle for KF_LIMIT_FLOW_IDLE_US of capture time, the
 * table full at KF_LIMIT_FLOWS, or kf_flow_table_drain at the end) the
 * release callback runs once for it, so the caller can finish it (flush
 * reassembly, report unanswered requests) and free its data.
 */
#ifndef KF_FLOW_H
#define KF_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"

/* The key is directional as given: callers put the client first. */
struct kf_flow_key {
	uint8_t ipver;
	uint8_t proto;
	uint16_t cport, sport; /* client port, server port */
	uint8_t caddr[16], saddr[16];
};

/* A link of a table's least-recently-used list (table internals). */
struct kf_lru_node {
	struct kf_lru_node *older, *newer;
};

struct kf_flow {
	struct kf_flow_key key;
	uint32_t id; /* 1-based, in order of creation */
	uint64_t last_ts_us;
	void *user;
	/* table internals: callers do not touch */
	struct kf_flow *hnext;
	struct kf_lru_node lru;
	uint32_t hash;
};

enum kf_flow_release_reason { KF_FLOW_IDLE, KF_FLOW_EVICTED, KF_FLOW_END, KF_FLOW_CLOSED };
typedef void (*kf_flow_release_fn)(void *ctx, struct kf_flow *f, enum kf_flow_release_reason why);

struct kf_flow_table;

struct kf_flow_table *kf_flow_table_new(uint32_t cap, kf_flow_release_fn release, void *ctx);
/* Find the flow for key (either direction); *reversed tells whether the
 * packet runs server→client.  NULL when absent. */
struct kf_flow *kf_flow_find(struct kf_flow_table *t, const struct kf_flow_key *key, bool *reversed);
/* Insert a new flow (key as client→server).  May release the oldest flow
 * first (FLOW_LIMIT event).  NULL on allocation failure. */
struct kf_flow *kf_flow_insert(struct kf_flow_table *t, const struct kf_flow_key *key, uint64_t ts_us,
			       struct kf_events *ev);
/* Mark the flow used at ts (keeps it young) and release flows idle too long. */
void kf_flow_touch(struct kf_flow_table *t, struct kf_flow *f, uint64_t ts_us);
/* Remove one flow now (connection closed); the release callback runs. */
void kf_flow_remove(struct kf_flow_table *t, struct kf_flow *f, enum kf_flow_release_reason why);
/* Release every flow (end of capture), oldest first. */
void kf_flow_table_drain(struct kf_flow_table *t);
uint32_t kf_flow_table_count(const struct kf_flow_table *t);
void kf_flow_table_free(struct kf_flow_table *t);

/* ---- Wireshark's tcp.stream ------------------------------------------------
 *
 * Wireshark numbers every TCP conversation of a file from 0 in order of its
 * first packet, whatever else krbflow follows.  A conversation is the
 * address/port pair, split where a SYN (without ACK) arrives whose sequence
 * number differs from the base sequence number of its direction: the SYN's
 * own number, else the first segment's number minus one, else (learnt from
 * the other side) an ACK's acknowledgement number minus one.  This table
 * keeps those facts per pair and file; it allocates once per KF_STREAM_CHUNK
 * new conversations, never per packet.  Past KF_LIMIT_TCP_STREAMS pairs the
 * least recently seen one is forgotten: should it come back without a SYN it
 * gets a new number where Wireshark would reuse its old one. */

struct kf_stream_table;

struct kf_stream_table *kf_stream_table_new(uint32_t cap);
/* The tcp.stream of a TCP segment of file (index of its file in the list
 * given; each file counts from 0); UINT32_MAX when out of memory. */
uint32_t kf_stream_number(struct kf_stream_table *t, uint32_t file, uint8_t ipver, const uint8_t *src,
			  const uint8_t *dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
			  uint8_t tcp_flags);
void kf_stream_table_free(struct kf_stream_table *t);

#endif
