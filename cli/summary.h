/* summary.h - the summary of an audit: one row per capture (messages,
 * findings by severity, the rules that fired most) and, across the archive,
 * the rules that fire most and the users, SPNs and hosts of the most
 * authentication stories.  Built from each capture's JSON document (the one
 * `krbflow --json` writes), so that `krbflow audit` and `krbflow merge` of
 * sharded audits' JSON Lines give the same summary. */
#ifndef KF_SUMMARY_H
#define KF_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kf_summary;

struct kf_summary *kf_summary_new(void);
void kf_summary_free(struct kf_summary *s);

/* Add one capture from its JSON document (text of one JSON Lines line, or a
 * whole document).  0, or -1 when it is not a krbflow document (err says
 * why; nothing is added) or memory ran out. */
int kf_summary_add_json(struct kf_summary *s, const char *doc, size_t len, char *err, size_t errlen);

/* A capture that could not be analyzed. */
int kf_summary_add_error(struct kf_summary *s, const char *file, const char *error);

/* Captures added, and those of them with a finding at or above severity
 * level (1 info, 2 warning, 3 error) / unreadable. */
size_t kf_summary_captures(const struct kf_summary *s);
size_t kf_summary_at_or_above(const struct kf_summary *s, int level);
size_t kf_summary_unreadable(const struct kf_summary *s);

/* The table: captures in file-name order, then the archive-wide lists, top
 * entries each.  Deterministic: no timings. */
void kf_summary_print(struct kf_summary *s, FILE *out, unsigned top);

#endif
