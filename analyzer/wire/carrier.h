/* carrier.h - what the connection layer (conn.c) asks of a protocol that
 * carries authentication: a small table of functions per protocol, listed
 * once in carriers.c.
 *
 * The connection layer owns flows, TCP state and reassembly; a carrier sees
 * only in-order bytes (or gaps) of one direction, or one datagram, of a
 * connection it claimed, and keeps its own state in conn->cs.  Carriers are
 * claimed by server port (Kerberos 88, kpasswd 464, DNS 53) or, on any other
 * TCP port, by the first bytes of the stream (HTTP, TLS).  Internal to wire/.
 */
#ifndef KF_CARRIER_H
#define KF_CARRIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/span.h"
#include "flow.h"
#include "run.h"

struct kf_carrier_ops;

/* One followed connection (TCP) or client/server pair (UDP): the flow's
 * user data.  Directions: 0 client → server, 1 server → client. */
struct kf_conn {
	const struct kf_carrier_ops *carrier; /* NULL while a TCP stream is being probed */
	void *cs;                             /* the carrier's state */
	struct kf_flow *flow;                 /* key (client first) and id */
	bool tcp;
	bool done;        /* nothing more to follow: reassembly dropped, later segments cost a lookup */
	bool syn_seen[2]; /* SYN from the client, SYN-ACK from the server */
	uint32_t isn[2];
	uint32_t syn_count; /* SYNs from the client (retransmissions included) */
	uint64_t syn_frame, syn_ts;
	bool rst_from_server;
	uint64_t rst_frame, rst_ts;
	bool data_seen[2];                /* payload bytes from each side */
	bool fin[2];                      /* FIN or RST from each side */
	uint64_t fin_frame[2], fin_ts[2]; /* ... and where the first one was */
	bool midstream;                   /* some direction started without its SYN */
	uint8_t probes;                   /* payload segments probed without a verdict */
	uint64_t last_frame, last_ts;
	uint32_t tcp_stream; /* Wireshark's tcp.stream of its last segment */
	struct kf_reasm_dir *dir[2];
};

/* Endpoints of a connection's direction: src sends, dst receives. */
void kf_conn_ends(const struct kf_conn *c, int dir, struct kf_endpoint *src, struct kf_endpoint *dst);

enum kf_probe {
	KF_PROBE_NO = 0,     /* not this protocol */
	KF_PROBE_CLIENT = 1, /* this protocol, and the bytes were sent by the client */
	KF_PROBE_SERVER = 2, /* this protocol, sent by the server (picked up mid-way) */
};

struct kf_carrier_ops {
	const char *name;
	uint16_t port; /* server port that claims a flow (0: claimed by content) */
	bool tcp, udp; /* transports it is followed over (port carriers) */
	/* Content carriers: do bytes at the start of a direction (dir known
	 * from a SYN, or -1 when the flow is picked up mid-way) open this
	 * protocol?  Cheap: runs on the first segments of unknown streams. */
	enum kf_probe (*probe)(struct kf_span first, int dir);
	/* Set up conn->cs; false when out of memory. */
	bool (*open)(struct kf_run *r, struct kf_conn *c);
	/* TCP: in-order bytes (gap_len 0) or a gap of gap_len bytes. */
	void (*stream)(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len);
	/* UDP: one datagram (nfrags > 1: it arrived in IP fragments). */
	void (*datagram)(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span payload,
			 uint32_t nfrags);
	/* TCP fast path (may be NULL): the next n in-order bytes of dir are of
	 * no interest (the middle of a body): true when the carrier counted them
	 * off, so they skip reassembly. */
	bool (*skippable)(struct kf_conn *c, int dir, size_t n);
	void (*skipped)(struct kf_run *r, struct kf_conn *c, int dir, size_t n);
	/* The flow leaves the table (closed, idle, evicted, end of capture):
	 * after its last bytes were delivered; free conn->cs. */
	void (*release)(struct kf_run *r, struct kf_conn *c);
};

/* The carriers, in the order they are tried (carriers.c). */
extern const struct kf_carrier_ops *const kf_carriers[];
extern const size_t kf_n_carriers;

#endif
