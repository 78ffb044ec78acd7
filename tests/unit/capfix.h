/* capfix.h - captures written by the carrier tests: one or more TCP
 * connections over IPv4 in a pcap file, segment by segment, then analysed
 * through kf_analyze; with small look-ups on the result.  Shared by
 * check_smb_carrier.c and check_ldap_carrier.c. */
#ifndef KF_CAPFIX_H
#define KF_CAPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"

struct cap {
	FILE *f;
	char path[64];
	uint64_t frames;
	uint64_t t_us;
};

/* One TCP connection 10.77.0.10:cport -> 10.77.0.20:sport written into a
 * capture; seq[0] the client's next sequence number, seq[1] the server's. */
struct tconn {
	struct cap *cap;
	uint16_t cport, sport;
	uint32_t seq[2];
};

/* A fresh capture file in /tmp, its global header written. */
void cap_open(struct cap *c);
void cap_close(struct cap *c);
/* One segment of dir (0 client, 1 server) with flags; the frame written. */
uint64_t segment(struct tconn *t, int dir, uint8_t flags, const uint8_t *data, size_t n);
/* SYN, SYN-ACK, ACK / FIN both ways and the last ACK. */
void tconn_open(struct tconn *t, struct cap *c, uint16_t cport, uint16_t sport);
void tconn_close(struct tconn *t);
/* Bytes from dir in segments of at most mss; the last frame. */
uint64_t tsend(struct tconn *t, int dir, const uint8_t *p, size_t n, size_t mss);
/* kf_analyze the (closed) capture, which is then removed. */
struct kf_result analyze(struct cap *c);
const struct kf_message *at(const struct kf_result *r, uint64_t frame, int type);
bool warned(const struct kf_result *r, const char *code);
size_t count_type(const struct kf_result *r, int type);
uint64_t reply_frame(const struct kf_result *r, const struct kf_message *m);
/* Everything a report says about the result, text then JSON (free it). */
char *report_all(const struct kf_result *r);

#endif
