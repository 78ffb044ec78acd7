/* filter.h - a BPF expression (tcpdump syntax) applied to packets after
 * reading, whatever their link type. */
#ifndef KF_FILTER_H
#define KF_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "packet.h"

/* Compile expr once for Ethernet: false with libpcap's reason in err. */
bool kf_filter_check(const char *expr, char *err, size_t errlen);

struct kf_filter;
struct kf_filter *kf_filter_new(const char *expr); /* NULL: out of memory */
/* True when the packet passes (false when the expression means nothing for
 * its link type). */
bool kf_filter_pass(struct kf_filter *f, const struct kf_pkt *p);
void kf_filter_free(struct kf_filter *f);

#endif
