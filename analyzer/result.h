/* result.h - the finished analysis of one capture: what reports render.
 *
 * Everything here is run-lifetime data in the result's arena, frozen once
 * kf_analyze() returns.  Reports read it and compute nothing from packets.
 */
#ifndef KF_RESULT_H
#define KF_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "krb5.h"

/* An endpoint: IPv4/IPv6 address and port. */
struct kf_endpoint {
	uint8_t ipver;
	uint8_t addr[16];
	uint16_t port;
};

enum kf_transport { KF_TRANSPORT_UDP = 17, KF_TRANSPORT_TCP = 6 };
enum kf_carrier { KF_CARRIER_KERBEROS = 1 };

/* A ticket in compact, run-lifetime form. */
struct kf_ticket_rec {
	const char *sname, *realm; /* never NULL when the ticket is present */
	int32_t etype;
	bool has_kvno;
	uint32_t kvno;
};

struct kf_etype_info_rec {
	int32_t etype;
	const char *salt; /* NULL when absent */
};

/* Kerberos fields of a message, compact: strings NULL when absent, arrays
 * sized exactly.  Mirrors struct kf_krb_msg (see krb5.h for each field). */
struct kf_krb_rec {
	bool complete;
	const char *cname, *crealm, *sname, *realm;
	bool has_kdc_options, has_nonce, has_from, has_till, has_rtime, has_ap_options;
	bool has_pac_options, has_enc_etype, has_stime, has_ctime, has_ntstatus, has_e_data;
	bool has_pac_request, pac_request;
	uint32_t kdc_options, nonce, ap_options, pac_options, ntstatus;
	int64_t from, till, rtime, stime, ctime;
	int32_t susec, cusec, enc_etype, error_code;
	uint8_t n_etypes, n_addresses, n_padata, n_edata_padata, n_etype_info, n_addl;
	int32_t *etypes;
	const char **addresses;
	int32_t *padata;
	int32_t *edata_padata;
	struct kf_etype_info_rec *etype_info;
	const char *s4u_user;
	const char *e_text;
	struct kf_ticket_rec *ticket; /* NULL when none */
	struct kf_ticket_rec *addl;
};

struct kf_message {
	uint64_t frame;      /* 1-based frame in which the message is complete */
	uint64_t ts_us;      /* capture time of that frame, microseconds since the epoch */
	struct kf_endpoint src, dst;
	uint8_t transport;   /* enum kf_transport */
	uint8_t carrier;     /* enum kf_carrier */
	int type;            /* enum kf_krb_type */
	uint32_t ip_fragments; /* > 1 when the datagram was IP-fragmented */
	uint32_t connection; /* TCP connection id (1-based), 0 for UDP */
	uint64_t first_frame; /* first frame that carried part of it */
	uint64_t reply_in, reply_to; /* 0 = none */
	uint32_t seq;        /* order of appearance, breaks ties within a frame */
	struct kf_krb_rec krb;
};

/* Things that happened to requests on the way to a KDC, for the rules that
 * diagnose an unreachable KDC. */
enum kf_tevent_kind {
	KF_TEV_UDP_NO_REPLY = 1, /* a request over UDP got no reply in the capture */
	KF_TEV_TCP_NO_ANSWER,    /* SYN to port 88 never answered */
	KF_TEV_TCP_RESET,        /* connection to port 88 reset before a reply */
	KF_TEV_TCP_NO_REPLY,     /* request sent on TCP, no reply before the end */
	KF_TEV_ICMP_UNREACHABLE, /* ICMP destination unreachable quoting a packet to/from port 88 */
	KF_TEV_FRAG_INCOMPLETE,  /* an IP-fragmented datagram to/from port 88 never completed */
};

struct kf_tevent {
	enum kf_tevent_kind kind;
	uint64_t frame;          /* the evidence frame (request, SYN, RST, ICMP) */
	uint64_t ts_us;
	struct kf_endpoint src, dst; /* the request's direction (client → KDC) */
	uint8_t transport;
	uint8_t icmp_type, icmp_code; /* for ICMP */
	uint32_t count;          /* e.g. SYN retransmissions, fragments seen */
	uint64_t request_frame;  /* the message this is about, when known */
};

/* A capture-level warning: one per event code, with the first frame and a count. */
struct kf_warning {
	const char *code;
	const char *message;
	uint64_t frame;   /* first frame it happened in (0 = not tied to a frame) */
	uint64_t count;
};

struct kf_result {
	struct kf_arena arena;
	const char *file;        /* as given on the command line */
	const char *format;      /* "pcap" | "pcapng" */
	const char *linktype;    /* name of the first link type ("EN10MB") */
	uint64_t packets, bytes; /* every record read, filtered or not */
	uint64_t first_ts_us, last_ts_us;
	bool have_ts;
	uint64_t filtered_out;   /* records the BPF filter rejected */

	struct kf_message *messages; /* sorted by frame, then seq */
	size_t n_messages;
	struct kf_tevent *tevents;   /* sorted by frame */
	size_t n_tevents;
	struct kf_warning *warnings; /* sorted by frame, then code */
	size_t n_warnings;

	bool read_error;         /* the capture ended early (truncated/corrupt) */
};

void kf_result_free(struct kf_result *r);

#endif
