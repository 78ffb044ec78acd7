/* defrag.h - IPv4/IPv6 fragment reassembly (RFC 791, RFC 8200 §4.5).
 *
 * Opaque engine keyed by (version, src, dst, id, protocol).  Time is capture
 * time in microseconds.  Policy: the first copy of any byte wins; overlaps
 * raise FRAG_OVERLAP (FRAG_OVERLAP_DIFFERS when the bytes differ).  Caps from
 * limits.h bound datagrams in flight, fragments per datagram and total bytes;
 * when a cap is hit the oldest datagram is dropped (FRAG_LIMIT).  Datagrams
 * whose fragments never all arrive are reported through on_incomplete when
 * they time out or at kf_defrag_flush().
 */
#ifndef KF_DEFRAG_H
#define KF_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/span.h"
#include "base/status.h"

struct kf_frag_key {
	uint8_t version; /* 4 or 6 */
	uint8_t proto;   /* IPv4 protocol / IPv6 next header after the fragment header */
	uint8_t src[16]; /* IPv4 uses the first 4 bytes; the rest are zero */
	uint8_t dst[16];
	uint32_t id;
};

/* Facts about a datagram that did not complete. first_frag is the data of
 * the fragment at offset 0 if it was seen (else empty): it holds the
 * transport header, so callers can name the ports. */
struct kf_frag_incomplete {
	const struct kf_frag_key *key;
	uint64_t first_frame; /* frame of the first fragment seen */
	uint64_t last_frame;
	uint32_t nfrags;
	struct kf_span first_frag;
};

typedef void (*kf_defrag_incomplete_fn)(void *ctx, const struct kf_frag_incomplete *inc);

struct kf_defrag;

struct kf_defrag *kf_defrag_new(kf_defrag_incomplete_fn on_incomplete, void *ctx);
void kf_defrag_free(struct kf_defrag *d);

enum kf_defrag_result {
	KF_DEFRAG_PENDING, /* kept; the datagram is not complete yet */
	KF_DEFRAG_DONE,    /* *out holds the whole payload (valid until the next call) */
	KF_DEFRAG_DROPPED, /* not kept (a cap, or invalid); an event says why */
	KF_DEFRAG_NOMEM,   /* allocation failed */
};

/* Add one fragment: offset in bytes from the start of the payload, `more`
 * = the MF flag, data = this fragment's payload.  frame is the 1-based frame
 * number.  On DONE, *out is the reassembled payload and *nfrags how many
 * fragments made it. Expires timed-out datagrams as a side effect. */
enum kf_defrag_result kf_defrag_add(struct kf_defrag *d, const struct kf_frag_key *key, uint64_t ts_us,
				    uint64_t frame, uint32_t offset, bool more, struct kf_span data,
				    struct kf_span *out, uint32_t *nfrags, struct kf_events *ev);

/* Report every pending datagram as incomplete and forget it (end of capture). */
void kf_defrag_flush(struct kf_defrag *d, struct kf_events *ev);

/* Datagrams currently pending (for tests and bounds checks). */
size_t kf_defrag_pending(const struct kf_defrag *d);

#endif
