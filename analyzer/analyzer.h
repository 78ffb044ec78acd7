/* analyzer.h - run one capture through the whole pipeline into a kf_result:
 * the analyzer's only entry (the command line and tests start here). */
#ifndef KF_ANALYZER_H
#define KF_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"
#include "finding.h"
#include "result.h"

struct kf_keyring;

struct kf_config {
	const char *filter;      /* BPF expression applied per packet after reading, or NULL */
	bool debug_decode;       /* print decoder rejections to stderr */
	struct kf_keyring *keys; /* --keytab: open encrypted parts with these keys (decrypt.h); NULL: don't */
};

/* Check a BPF expression once before any capture is read: false with a
 * reason in err when it does not compile. */
bool kf_filter_valid(const char *expr, char *err, size_t errlen);

/* Analyze the capture at path ("-" = stdin).
 * KF_OK: *res is filled (a truncated or corrupt capture is still KF_OK, with
 *        res->read_error and a warning).
 * KF_IO: the capture could not be read at all; err says why, *res is empty.
 * KF_NOMEM: out of memory; *res holds what was gathered so far.
 * The caller frees *res with kf_result_free() in every case. */
enum kf_status kf_analyze(const char *path, const struct kf_config *cfg, struct kf_result *res, char *err,
			  size_t errlen) KF_WUR;

/* Several captures analyzed as one (res->files lists them):
 * KF_MULTI_CONTINUOUS: consecutive pieces of one capture (tcpdump -C/-G), in
 *   the order given; frame numbers continue from file to file.
 * KF_MULTI_MERGE: captured at the same time at different points; packets are
 *   merged by timestamp, each message names its file and that file's frame,
 *   and a packet seen at two points is analyzed once.
 * Returns as kf_analyze; KF_IO when none of the files can be read. */
enum kf_status kf_analyze_files(const char *const *paths, size_t n, enum kf_multi mode,
				const struct kf_config *cfg, struct kf_result *res, char *err,
				size_t errlen) KF_WUR;

/* The rule catalogue (`krbflow rules`, --expect): *n entries, in order. */
const struct kf_rule_info *const *kf_analyzer_rules(size_t *n);

#endif
