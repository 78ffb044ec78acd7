/* pcapng.h - a small pcapng reader (draft-ietf-opsawg-pcapng) used when
 * libpcap refuses a file whose interfaces differ in link type or snapshot
 * length.  Reads SHB, IDB (link type, if_tsresol, if_tsoffset), EPB, SPB and
 * the obsolete Packet Block; skips every other block.  Internal to capture.c.
 */
#ifndef KF_PCAPNG_H
#define KF_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "packet.h"

struct kf_pcapng;

struct kf_pcapng *kf_pcapng_open(FILE *f); /* takes ownership of f */
/* Returns like kf_capture_next (frame is left to the caller). */
int kf_pcapng_next(struct kf_pcapng *r, struct kf_pkt *pkt);
const char *kf_pcapng_error(const struct kf_pcapng *r);
bool kf_pcapng_truncated(const struct kf_pcapng *r);
int kf_pcapng_first_linktype(const struct kf_pcapng *r); /* -1 before the first IDB */
void kf_pcapng_close(struct kf_pcapng *r);

/* LINKTYPE_ value as stored in files → DLT_ value libpcap reports. */
int kf_linktype_to_dlt(uint32_t linktype);

#endif
