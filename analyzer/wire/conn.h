/* conn.h - the connection layer (conn.c): TCP and UDP traffic to the
 * carriers of carrier.h.  Internal to wire/. */
#ifndef KF_CONN_H
#define KF_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "carrier.h"
#include "net.h"
#include "run.h"

/* A TCP segment, whatever its ports. */
void kf_conn_tcp(struct kf_run *r, const struct kf_ip *ip, const struct kf_tcp *t);
/* A UDP datagram: false when no carrier follows its ports. */
bool kf_conn_udp(struct kf_run *r, const struct kf_ip *ip, const struct kf_udp *u, uint32_t nfrags);
/* A carrier's datagram deserves state kept across datagrams (requests
 * waiting for replies): the flow's connection, made on first use; NULL when
 * out of memory.  probe: the connection the datagram arrived with. */
struct kf_conn *kf_conn_udp_keep(struct kf_run *r, const struct kf_conn *probe);
/* The flow table's release callback (ctx: the run). */
void kf_conn_release(void *ctx, struct kf_flow *f, enum kf_flow_release_reason why);

#endif
