/* rules_clock.h - the clock-skew rule (rules_clock.c), listed in
 * rules_reach.c's table so the catalogue keeps its order. */
#ifndef KF_RULES_CLOCK_H
#define KF_RULES_CLOCK_H

#include "rules.h"

extern const char *const kf_skew_causes[]; /* NULL-terminated, docs/rules.md */
void kf_rule_clock_skew(struct kf_rule_ctx *ctx);

#endif
