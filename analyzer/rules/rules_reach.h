/* rules_reach.h - what rules_reach.c (udp-fragmentation and the table of
 * the reach rules), rules_unreach.c (kdc-unreachable) and rules_clock.c
 * (clock-skew, capture-clock-implausible) share.
 * Internal to the rules module. */
#ifndef KF_RULES_REACH_H
#define KF_RULES_REACH_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/* What fixes Kerberos replies lost in IP fragments (udp-fragmentation, and
 * kdc-unreachable's fragments-lost). */
extern const char kf_reach_frag_fix[];
/* "42 s", "3 min 5 s", "2 h 10 min", "4 d 3 h". */
void kf_reach_duration(char *buf, size_t len, uint64_t us);

/* clock-skew (rules_clock.c) and its causes. */
extern const char *const kf_skew_causes[];
void kf_rule_clock_skew(struct kf_rule_ctx *ctx);
/* capture-clock-implausible (rules_clock.c) and its causes. */
extern const char *const kf_capclock_causes[];
void kf_rule_capture_clock(struct kf_rule_ctx *ctx);

/* kdc-unreachable (rules_unreach.c) and its causes. */
extern const char *const kf_unreach_causes[];
void kf_rule_kdc_unreachable(struct kf_rule_ctx *ctx);

#endif
