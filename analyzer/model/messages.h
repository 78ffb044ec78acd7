/* messages.h - the store of decoded messages and transport events of a run.
 *
 * Decoder output (struct kf_krb_msg, fixed buffers) is promoted here into
 * compact run-lifetime records: strings and arrays are copied into the
 * result's arena at their real size, so memory follows the number of
 * authentication messages (a few hundred bytes each), never the traffic.
 */
#ifndef KF_MESSAGES_H
#define KF_MESSAGES_H

#include <stdint.h>

#include "base/status.h"
#include "krb5.h"
#include "result.h"

struct kf_msgstore {
	struct kf_arena *arena;
	struct kf_message *msgs; /* in order of appearance: msgs[i].id == i + 1 */
	size_t n, cap;
	struct kf_tevent *tev;
	size_t n_tev, cap_tev;
	bool keep_raw; /* copy each Kerberos message's bytes (msg->raw) for decryption */
};

void kf_msgstore_init(struct kf_msgstore *s, struct kf_arena *arena);
/* Append msg with the Kerberos fields of m (NULL for a message that has none:
 * HTTP, NTLM, DNS) and give it the next id (1, 2, ... in order of
 * appearance), returned in *id for linking.  msg->raw is copied when the
 * store keeps raw bytes, else dropped.
 * KF_LIMIT past KF_LIMIT_MESSAGES, KF_NOMEM when memory runs out. */
enum kf_status kf_msgstore_add(struct kf_msgstore *s, const struct kf_message *msg,
			       const struct kf_krb_msg *m, uint32_t *id) KF_WUR;
/* The message with this id, NULL when the store does not hold it. */
const struct kf_message *kf_msgstore_get(const struct kf_msgstore *s, uint32_t id);
/* Mark message rep as the reply to message req (their reply_id /
 * request_id); ids the store does not hold are ignored. */
void kf_msgstore_link(struct kf_msgstore *s, uint32_t req, uint32_t rep);
/* The message completed later than it was recorded (an HTTP message whose
 * body ended in a later frame): frame and time move there, first_frame
 * keeps where it began. */
void kf_msgstore_retime(struct kf_msgstore *s, uint32_t id, uint64_t frame, uint64_t ts_us);
enum kf_status kf_msgstore_add_tevent(struct kf_msgstore *s, const struct kf_tevent *t) KF_WUR;
/* Sort by frame and hand the arrays to res (which then owns them). */
enum kf_status kf_msgstore_finish(struct kf_msgstore *s, struct kf_result *res) KF_WUR;
void kf_msgstore_free(struct kf_msgstore *s);

/* Convert decoder output into a compact record in arena a (exposed for tests). */
enum kf_status kf_krb_rec_from_msg(struct kf_arena *a, const struct kf_krb_msg *m,
				   struct kf_krb_rec *out) KF_WUR;

#endif
