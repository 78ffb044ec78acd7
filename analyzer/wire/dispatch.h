/* dispatch.h - a packet through link, IP, tunnels and transport to the
 * protocol that follows it (dispatch.c).  Internal to wire/. */
#ifndef KF_DISPATCH_H
#define KF_DISPATCH_H

#include "packet.h"
#include "run.h"

void kf_wire_dispatch(struct kf_run *r, const struct kf_pkt *p);
/* The defragmenter's callback for a datagram that never completed (ctx: the run). */
void kf_wire_frag_incomplete(void *ctx, const struct kf_frag_incomplete *inc);

#endif
