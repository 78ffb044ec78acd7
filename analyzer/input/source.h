/* source.h - 1..n capture files as one numbered packet stream.
 *
 * One file; consecutive pieces of one capture (KF_SOURCE_CONTINUOUS: read in
 * the order given, frame numbers continue); or captures taken at the same
 * time at several points (KF_SOURCE_MERGE: merged by timestamp, ties in the
 * order given, and a packet whose copy another file already delivered within
 * KF_SOURCE_COPY_WINDOW_US is dropped).  Each packet carries its position in
 * the stream (pkt.frame), its file and its frame in that file.
 *
 * A file that cannot be read, or ends early, is recorded in its
 * kf_source_file and the stream goes on with the others.  Internal to
 * analyzer/.
 */
#ifndef KF_SOURCE_H
#define KF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "capture.h"

/* Two copies of a packet more than this apart are two packets (the capture
 * points' clocks are assumed synchronized to well within it). */
#define KF_SOURCE_COPY_WINDOW_US 1000000u

struct kf_source_pkt {
	struct kf_pkt p;     /* p.frame: the position in the stream (1-based) */
	uint32_t file;       /* index of its file in the list given */
	uint64_t file_frame; /* its frame in that file, as Wireshark numbers it there */
	bool copy;           /* kf_source_report_copies: a merge's copy of a packet delivered from
			      * another file (p.frame 0: not part of the stream) */
};

struct kf_source_file {
	const char *path;     /* as given */
	const char *format;   /* "pcap" | "pcapng" once opened, else NULL */
	int first_dlt;        /* its first packet's link type; -1 when unknown */
	uint64_t first_frame; /* stream frame of its first packet delivered; 0: none */
	uint64_t packets;     /* records read from it (copies dropped included) */
	uint64_t duplicates;  /* merge: its records dropped as copies of another file's */
	uint64_t end_frame;   /* stream frames delivered when its reading failed */
	bool opened;          /* its header could be read */
	bool failed;          /* it could not be opened, or reading stopped early */
	bool truncated;       /* ... in the middle of a record */
	char error[384];      /* why, when failed */
};

/* How several files make one stream (the analyzer's enum kf_multi has the
 * same values). */
enum kf_source_mode { KF_SOURCE_ONE = 0, KF_SOURCE_CONTINUOUS = 1, KF_SOURCE_MERGE = 2 };

struct kf_source;

/* Open the source over paths[0..n) (mode 0: one file; n must be 1).  The
 * files are opened now in a merge, one after another otherwise.
 * KF_OK: *out is ready, at least one file could be opened.
 * KF_IO: no file could be read (or too many were given); err says why.
 * KF_NOMEM: out of memory. */
enum kf_status kf_source_open(const char *const *paths, size_t n, enum kf_source_mode mode,
			      struct kf_source **out, char *err, size_t errlen) KF_WUR;
/* The next packet: KF_CAP_PACKET (*sp valid until the next call) or
 * KF_CAP_EOF.  KF_CAP_ERROR only when memory ran out (files' read errors
 * never end the stream: see kf_source_files). */
int kf_source_next(struct kf_source *s, struct kf_source_pkt *sp);
/* Where stream frame `frame` came from.  Ask in ascending frame order (a
 * cursor walks the merge's record log once; going back restarts it).  False
 * for a frame never delivered or past KF_LIMIT_MERGE_MAP. */
bool kf_source_locate(struct kf_source *s, uint64_t frame, uint32_t *file, uint64_t *file_frame);
const struct kf_source_file *kf_source_files(struct kf_source *s, size_t *n);
uint64_t kf_source_frames(const struct kf_source *s); /* packets delivered */
/* Merge: hand each copy dropped out too, with sp->copy set (for what counts
 * every packet of a file, such as tcp.stream numbers); off by default. */
void kf_source_report_copies(struct kf_source *s, bool on);
uint64_t kf_source_duplicates(const struct kf_source *s); /* copies dropped (merge) */
/* Merge: copies forgotten before their window ended because the table of
 * recent packets was full (a later copy of them may have been delivered). */
uint64_t kf_source_forgotten(const struct kf_source *s);
/* Merge: true when the record log hit KF_LIMIT_MERGE_MAP (later frames
 * cannot be located). */
bool kf_source_map_full(const struct kf_source *s);
void kf_source_close(struct kf_source *s);

#endif
