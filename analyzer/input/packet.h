/* packet.h - one packet record as the capture readers deliver it. */
#ifndef KF_PACKET_H
#define KF_PACKET_H

#include <stdint.h>

struct kf_pkt {
	uint64_t frame;   /* 1-based */
	uint64_t ts_us;   /* microseconds since the epoch, UTC */
	int dlt;          /* libpcap DLT_ value of this packet's interface */
	uint32_t caplen;  /* bytes in data */
	uint32_t wirelen; /* length on the wire */
	const uint8_t *data;
};

enum kf_capture_rc {
	KF_CAP_PACKET = 1, /* *pkt filled */
	KF_CAP_EOF = 0,    /* clean end of file */
	KF_CAP_ERROR = -1, /* read stopped early: kf_capture_error() says why */
};

#endif
