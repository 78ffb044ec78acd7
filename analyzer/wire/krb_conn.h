/* krb_conn.h - Kerberos on port 88 (krb_conn.c).  Internal to wire/. */
#ifndef KF_KRB_CONN_H
#define KF_KRB_CONN_H

#include <stdint.h>

#include "run.h"

#define KF_KRB_PORT 88

/* A TCP segment or UDP datagram to or from port 88 (nfrags > 1: it came in
 * IP fragments). */
void kf_krb_tcp_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_tcp *t);
void kf_krb_udp_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_udp *u, uint32_t nfrags);
/* A Kerberos flow leaves the table: finish it, report what got no answer. */
void kf_krb_release(struct kf_run *r, struct kf_flow *f);
/* The flow key of a packet, client first; *dir = 0 when it runs client → KDC. */
void kf_krb_key(struct kf_flow_key *k, const struct kf_ip *ip, uint8_t proto, uint16_t sport, uint16_t dport,
		int *dir);

#endif
