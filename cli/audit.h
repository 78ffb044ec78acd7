/* audit.h - `krbflow audit PATH...`: batch analysis of trace archives
 * (directories walked recursively, captures analyzed in parallel worker
 * processes, JSON Lines or a summary), and `krbflow merge`: the summary of
 * JSON Lines written by several shards of one audit. */
#ifndef KF_AUDIT_H
#define KF_AUDIT_H

/* argv[1] is "audit" / "merge"; returns the exit status (OUTPUT.md). */
int kf_audit_main(int argc, char **argv);
int kf_merge_main(int argc, char **argv);

#endif
