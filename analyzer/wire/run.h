/* run.h - the state of one analysis' packet path, shared by the modules of
 * wire/ (dispatch.c: link, IP, tunnels; conn.c: connections; the carriers;
 * gss_token.c: authentication tokens).
 * Internal to wire/; wire.h is its face to the analyzer. */
#ifndef KF_RUN_H
#define KF_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "defrag.h"
#include "flow.h"
#include "messages.h"
#include "net.h"
#include "tcp_reasm.h"

struct kf_run {
	bool debug_decode; /* print decoder rejections to stderr */
	struct kf_result *res;
	struct kf_msgstore store;
	struct kf_defrag *defrag;
	struct kf_flow_table *flows;
	struct kf_stream_table *streams; /* Wireshark's tcp.stream of every TCP pair */
	uint32_t file;                   /* the packet's file (several files: its index) */
	bool numbering_only;             /* a packet the filter dropped: only counted for tcp.stream */
	struct kf_reasm_pool pool;
	struct kf_events ev;
	uint64_t frame, ts_us; /* the packet being processed */
	bool in_reassembled;   /* payload lives in the defrag buffer */
	uint64_t ev_count[KF_EV__COUNT];
	uint64_t ev_first[KF_EV__COUNT];
	int unsupported_dlt;
	struct kf_undecoded undecoded[KF_LIMIT_UNDECODED_KINDS]; /* kinds met, in order */
	size_t n_undecoded;
	bool nomem;
	uint8_t *token_buf;       /* KF_LIMIT_TOKEN bytes for decoded tokens, made on first use */
	struct kf_tls_hello *tls; /* TLS ClientHellos seen */
	size_t n_tls, cap_tls;
};

void kf_run_endpoint(struct kf_endpoint *e, uint8_t ipver, const uint8_t *addr, uint16_t port);
/* Record the allocation failure as an event (the run stops after this packet). */
void kf_run_nomem(struct kf_run *r);
void kf_run_debug(struct kf_run *r, const char *what);
/* Count this packet's decoder events for the warnings (frame 0: the end). */
void kf_run_note_events(struct kf_run *r, uint64_t frame);
/* Keep a transport event (past the cap, say so). */
void kf_run_tevent(struct kf_run *r, const struct kf_tevent *t);

#endif
