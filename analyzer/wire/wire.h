/* wire.h - the packet path of one analysis: packets in, messages, transport
 * events and TLS server names out (into the result's store).  What the
 * analyzer entry sees of wire/. */
#ifndef KF_WIRE_H
#define KF_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/status.h"
#include "net.h"
#include "packet.h"
#include "result.h"

struct kf_wire_opts {
	bool debug_decode; /* print decoder rejections to stderr */
	bool keep_raw;     /* keep each Kerberos message's bytes (for decryption) */
};

struct kf_run;

/* A packet path writing into res (its arena); NULL when out of memory. */
struct kf_run *kf_wire_new(struct kf_result *res, const struct kf_wire_opts *opts);
/* One packet, in stream order; file: the index of its file (0 for one). */
void kf_wire_packet(struct kf_run *r, const struct kf_pkt *p, uint32_t file);
/* A packet the filter dropped: only its TCP pair is counted, so tcp.stream
 * numbers stay Wireshark's. */
void kf_wire_packet_filtered(struct kf_run *r, const struct kf_pkt *p, uint32_t file);
/* True once an allocation failed (the caller stops reading). */
bool kf_wire_out_of_memory(const struct kf_run *r);
/* End of the stream (last_frame: the stream's last frame): finish every
 * connection and fragment train, and hand the messages, transport events and
 * TLS hellos to the result (sorted by frame). */
enum kf_status kf_wire_finish(struct kf_run *r, uint64_t last_frame) KF_WUR;
/* Decoder events counted so far, per event code (with the first frame of
 * each), and the first link type that could not be decoded (-1: none). */
void kf_wire_events(const struct kf_run *r, uint64_t count[KF_EV__COUNT], uint64_t first[KF_EV__COUNT],
		    int *unsupported_dlt);
/* Packets of an ethertype, PPP protocol or MPLS payload that may carry IP
 * and that krbflow does not decode (struct kf_undecoded, net.h), by kind. */
size_t kf_wire_undecoded(const struct kf_run *r, const struct kf_undecoded **out);
void kf_wire_free(struct kf_run *r);

#endif
