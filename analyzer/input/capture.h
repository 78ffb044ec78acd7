/* capture.h - offline capture reading: pcap and pcapng through libpcap, with
 * a built-in pcapng reader for files libpcap refuses (interfaces of different
 * link types or snapshot lengths in one file).
 *
 * Frames are numbered from 1 over every packet record in the file, as
 * Wireshark numbers them.  A packet is valid until the next kf_capture_next().
 */
#ifndef KF_CAPTURE_H
#define KF_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

struct kf_capture;

/* Open a capture ("-" = standard input).  NULL when it cannot be read at all,
 * with a one-line reason in err ("not a pcap or pcapng capture", "is a
 * directory", "empty file", strerror...). */
struct kf_capture *kf_capture_open(const char *path, char *err, size_t errlen);
int kf_capture_next(struct kf_capture *c, struct kf_pkt *pkt);
const char *kf_capture_error(const struct kf_capture *c);
/* True when the error was a file that ends in the middle of a record. */
bool kf_capture_truncated(const struct kf_capture *c);
/* True when reading ended because memory ran out (in the decompressor). */
bool kf_capture_nomem(const struct kf_capture *c);
const char *kf_capture_format(const struct kf_capture *c); /* "pcap" | "pcapng" */
int kf_capture_first_dlt(const struct kf_capture *c);
/* libpcap's name of a DLT ("EN10MB"), or "DLT-N". buf used for unknown ones. */
const char *kf_capture_dlt_name(int dlt, char *buf, size_t len);
void kf_capture_close(struct kf_capture *c);

#endif
