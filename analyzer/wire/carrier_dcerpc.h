/* carrier_dcerpc.h - one DCE/RPC conversation's bind phase, shared by the
 * TCP carrier (carrier_dcerpc.c) and SMB named pipes (carrier_smb.c): the
 * bytes of each direction framed by frag_length, the PDUs of a security
 * context gathered (up to KF_LIMIT_DCERPC_PDU) and decoded into
 * DCERPC-REQUEST / DCERPC-RESPONSE records and their tokens (carrier
 * dcerpc), request and response PDUs counted off.  Internal to wire/. */
#ifndef KF_CARRIER_DCERPC_H
#define KF_CARRIER_DCERPC_H

#include <stdbool.h>
#include <stdint.h>

#include "carrier.h"
#include "emit.h"

#define KF_DCERPC_PENDING 8u /* binds awaiting their answer in one conversation */

enum kf_rpc_dir_state {
	KF_RD_HEADER, /* gathering a PDU's 16-byte header */
	KF_RD_GATHER, /* gathering the whole PDU */
	KF_RD_SKIP,   /* counting off the rest of a PDU */
	KF_RD_LOST,   /* framing lost: the direction is no longer followed */
};

struct kf_rpc_dir {
	enum kf_rpc_dir_state st;
	uint32_t left; /* bytes of the current PDU still to come */
	uint64_t first_frame;
	struct kf_gather g; /* the header, then the PDU (its buffer is kept for the next) */
	uint32_t fragments; /* continuation fragments of a bind-type PDU in a row */
};

/* A bind, alter_context or auth3 whose answer has not come yet. */
struct kf_rpc_pending {
	bool used;
	uint32_t call_id;
	uint32_t rec;   /* its DCERPC-REQUEST record */
	uint32_t token; /* the token it carried, 0 none */
	const char *interface;
};

struct kf_rpc_conv {
	struct kf_rpc_dir d[2];
	struct kf_rpc_pending pend[KF_DCERPC_PENDING];
	uint8_t next_pend;
	const char *interface; /* the last bound interface (an auth3 names none) */
	const char *pipe;      /* the SMB named pipe it rides ("lsarpc"), NULL on TCP */
	bool calls_seen;       /* a request or response PDU: the bind phase is over (a pipe is let go
				* once the first call is answered too) */
	/* the first request after a bind, alter_context or auth3, whose answer
	 * (a fault: the server refused the third leg) ends the bind phase */
	bool next_call_first; /* the next request is that first one */
	bool first_call_open; /* it was sent and not answered yet */
	uint32_t first_call_id;
};

/* In-order bytes of direction dir (0 client) of a conversation on c. */
void kf_rpc_conv_feed(struct kf_run *r, struct kf_conn *c, struct kf_rpc_conv *v, int dir,
		      struct kf_span data);
/* Both directions lost their framing: nothing more will be read. */
bool kf_rpc_conv_lost(const struct kf_rpc_conv *v);
/* Mark direction dir lost (a gap); DCERPC_FRAMING_LOST counted once. */
void kf_rpc_conv_lose(struct kf_run *r, struct kf_rpc_conv *v, int dir);
/* Free the gathering buffers (the conversation may still be fed: they regrow). */
void kf_rpc_conv_free(struct kf_rpc_conv *v);

#endif
