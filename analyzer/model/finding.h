/* finding.h - what a rule concluded, as reports and scripts read it: the
 * vocabulary shared by the rule engine, the reports and the command line. */
#ifndef KF_FINDING_H
#define KF_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kf_severity { KF_SEV_INFO = 1, KF_SEV_WARNING = 2, KF_SEV_ERROR = 3 };
enum kf_confidence { KF_CONF_CERTAIN = 0, KF_CONF_LIKELY = 1 };

const char *kf_severity_name(enum kf_severity s); /* "info" | "warning" | "error" */
/* 0 when the name is not a severity. */
enum kf_severity kf_severity_from_name(const char *name);

/* Whom a finding concerns: each member a sorted list of distinct strings,
 * empty when unknown (a grouped finding concerns several). */
enum kf_subject_kind {
	KF_SUBJECT_CLIENT = 0, /* client addresses */
	KF_SUBJECT_USER,       /* name@REALM or DOMAIN\name */
	KF_SUBJECT_SERVICE,    /* sname@REALM */
	KF_SUBJECT_SERVER,     /* an application server: address, or host:port */
	KF_SUBJECT_KDC,        /* KDC addresses */
	KF_SUBJECT__COUNT
};
struct kf_subject {
	const char **v[KF_SUBJECT__COUNT];
	uint16_t n[KF_SUBJECT__COUNT];
};
/* "client", "user", "service", "server", "kdc" (the JSON member names). */
const char *kf_subject_kind_name(enum kf_subject_kind k);

struct kf_finding {
	const char *rule; /* the rule's id */
	enum kf_severity severity;
	enum kf_confidence confidence;
	uint64_t *frames; /* evidence, ascending, no repeats */
	size_t n_frames;
	const char *summary;     /* one line naming principals and hosts */
	const char *explanation; /* what went wrong, for a support engineer */
	const char *remediation; /* the command or setting that fixes it */
	const char *cause;       /* the root cause decided: one of the rule's causes (docs/rules.md) */
	struct kf_subject subject;
	/* Clock findings only: the two clocks that disagree ("client", "kdc",
	 * "service", "capture"; NULL otherwise) and, when the capture measures
	 * it, clocks[0] minus clocks[1] in seconds (positive: the first ahead). */
	const char *clocks[2];
	bool has_offset;
	int64_t offset_s;
};

enum kf_rule_class {
	KF_RULE_PLAIN = 0,  /* stands on its own */
	KF_RULE_ROOT_CAUSE, /* explains errors: takes generic findings on the same frames */
	KF_RULE_GENERIC,    /* names one error; dropped when a root cause explains its frames */
	KF_RULE_OUTCOME,    /* reports a refusal (a failed SMB logon); dropped when a root cause at
			     * least as severe explains its frames (a warning never hides it) */
};

/* A rule's window: the span of capture time around a message that the rule
 * draws on to decide a finding about it, in microseconds.  A rule that waits
 * for what completes or cancels a message (a recovery within 30 s) has that
 * bound; one that compares with messages anywhere in the capture (other
 * connections, earlier or later exchanges, without a time bound) declares
 * KF_RULE_WINDOW_WHOLE.  Gathering the repeats of one finding across the
 * capture, and naming things in its text, do not widen it.  Never 0. */
#define KF_RULE_WINDOW_WHOLE UINT64_MAX

/* What a rule is, for the catalogue (`krbflow rules`, --expect, docs/rules.md). */
struct kf_rule_info {
	const char *id;            /* stable: DIAGNOSES.md ids */
	enum kf_severity severity; /* the usual severity (a finding may say otherwise) */
	enum kf_rule_class cls;
	uint64_t window_us;        /* its window (above) */
	const char *title;         /* one line for `krbflow rules` */
	const char *const *causes; /* the causes it can decide, NULL-terminated ("undetermined" where the
				    * capture may not tell); docs/rules.md describes each */
};

#endif
