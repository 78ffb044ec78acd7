/* ladder.h - a story as a ladder diagram, worked out once for every
 * renderer (the text report, a drawn diagram): who takes part (lanes) and,
 * in time order, what passes between them (rows).  A run of plain exchanges
 * on an authenticated connection (requests without credentials, answered
 * without a challenge) is one folded row with a count instead of dozens, and
 * an answer names the row of its request.  Computed from a finished
 * kf_result, which it only reads; it formats nothing. */
#ifndef KF_LADDER_H
#define KF_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "result.h"
#include "stories.h"

/* What an address is in a story; bits, as one host can be several (a front
 * end is the client's HTTP server and asks the KDC for the user). */
enum kf_lane_role {
	KF_LANE_CLIENT = 1,   /* the story's client: always lane 0 */
	KF_LANE_FOR_USER = 2, /* another client, acting for the story's user */
	KF_LANE_KDC = 4,
	KF_LANE_SERVER = 8, /* an HTTP server */
	KF_LANE_DNS = 16,
};

struct kf_ladder_lane {
	struct kf_endpoint addr; /* port 0 */
	unsigned roles;          /* enum kf_lane_role bits */
};

enum kf_ladder_row_kind {
	KF_ROW_MESSAGE, /* one message */
	KF_ROW_FOLDED,  /* a run of plain exchanges on one connection */
};

struct kf_ladder_row {
	enum kf_ladder_row_kind kind;
	const struct kf_message *msg;   /* the message; folded: the run's first request */
	uint32_t from, to;              /* lanes of the sender and the receiver (folded: of the requests) */
	bool by_client;                 /* sent by its client (from is the client's lane), else by the peer */
	const struct kf_endpoint *peer; /* the end that is not the client, with its port: msg's dst or src */
	unsigned peer_role;             /* what the peer is to this message: KF_LANE_KDC, _SERVER or _DNS */
	size_t request; /* an answer: 1 + the row of its request; 0 when that is not in the ladder */
	/* folded rows */
	uint32_t connection;
	size_t count;         /* requests in the run */
	uint64_t first, last; /* frames of the first request and of the last request or answer */
	int status;           /* the answers' HTTP status: -1 when they differ, 0 when none was seen */
};

/* The lane of a row's client (the story's own is lane 0). */
static inline uint32_t kf_ladder_client_lane(const struct kf_ladder_row *row)
{
	return row->by_client ? row->from : row->to;
}

struct kf_ladder_ref;
struct kf_ladder_group;

struct kf_ladder {
	struct kf_ladder_lane *lanes; /* lane 0 the story's client, the others in order of appearance */
	size_t n_lanes;
	struct kf_ladder_row *rows; /* in frame order */
	size_t n_rows;
	/* private: room kept from one story to the next */
	size_t cap_lanes, cap_rows, cap_refs, cap_groups;
	struct kf_ladder_ref *refs;
	struct kf_ladder_group *groups;
};

void kf_ladder_init(struct kf_ladder *l);
/* The ladder of story st of r into l, replacing what l held (its memory is
 * reused).  Rows point into r, which must outlive their use.  KF_NOMEM when
 * memory ran out (l then holds no rows). */
enum kf_status kf_ladder_build(struct kf_ladder *l, const struct kf_result *r,
			       const struct kf_story *st) KF_WUR;
void kf_ladder_free(struct kf_ladder *l);

#endif
