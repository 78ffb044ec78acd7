/* rulefix.h - fact lists for rule tests: a kf_result built by hand, message
 * by message (no pcap), then one rule run over it. */
#ifndef KF_RULEFIX_H
#define KF_RULEFIX_H

#include <stdbool.h>
#include <string.h>

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "rules.h"

#define FX_MAX_MESSAGES 256

/* A fresh result (free with fx_free). */
struct kf_result *fx_new(void);
void fx_free(struct kf_result *r);

/* Append a message; endpoints as "10.0.0.10:40000" or "[fd00::1]:88".
 * Frames must be added in ascending order.  The time is frame * 1 ms.
 * The returned message stays valid until fx_finish (fields are set
 * directly by the test: m->krb.sname = "HTTP/web.lab.test", ...). */
struct kf_message *fx_msg(struct kf_result *r, uint64_t frame, int carrier, int type, const char *src,
			  const char *dst);
/* Shortcuts: carrier kerberos over UDP / http over TCP on connection conn. */
struct kf_message *fx_krb(struct kf_result *r, uint64_t frame, int type, const char *src, const char *dst);
struct kf_message *fx_http(struct kf_result *r, uint64_t frame, int type, uint32_t conn, const char *src,
			   const char *dst);
/* Carrier smb2 (SMB2/3) over TCP on connection conn: a token (AP-REQ,
 * KRB-ERROR, NTLM-*) or a record (KF_MSG_SMB_REQUEST / _RESPONSE). */
struct kf_message *fx_smb(struct kf_result *r, uint64_t frame, int type, uint32_t conn, const char *src,
			  const char *dst);
/* An SMB record for m: SMB2 command (KF_SMB2_*), and for a response its
 * NTSTATUS (has_status set). */
struct kf_smb_rec *fx_smb_rec(struct kf_result *r, struct kf_message *m, uint16_t command, uint32_t status);
/* An HTTP record for m (request: method/uri/host/auth_scheme; response: status). */
struct kf_http_rec *fx_http_rec(struct kf_result *r, struct kf_message *m);
/* A ticket for m->krb.ticket. */
struct kf_ticket_rec *fx_ticket(struct kf_result *r, const char *sname, const char *realm, int32_t etype,
				uint32_t kvno);
/* A TGS exchange of client with kdc for sname (realm LAB.TEST) in frames f,
 * f+1: a TGS-REP issuing alice@LAB.TEST the ticket, or the KRB-ERROR err. */
void fx_tgs(struct kf_result *r, uint64_t f, const char *client, const char *kdc, const char *sname,
	    int32_t err);
/* WWW-Authenticate schemes for a response record ("Negotiate", "NTLM"). */
void fx_challenges(struct kf_result *r, struct kf_http_rec *h, const char *a, const char *b);
/* An HTTP response from src to dst on conn at frame f with this status,
 * offering challenges a and b (either NULL), answering the request at frame
 * req. */
struct kf_http_rec *fx_http_resp(struct kf_result *r, uint64_t f, uint32_t conn, const char *src,
				 const char *dst, int status, const char *a, const char *b, uint64_t req);

/* s holds needle (a finding's words, in the tests' assertions). */
static inline bool contains(const char *s, const char *needle) { return s && strstr(s, needle) != NULL; }
/* Mark rep as the reply to req (found by frame and type; both already added). */
void fx_link(struct kf_result *r, uint64_t req_frame, int req_type, uint64_t rep_frame, int rep_type);
/* A transport event. */
struct kf_tevent *fx_tevent(struct kf_result *r, int kind, uint64_t frame, const char *src, const char *dst);
/* Build the stories; after this the result is frozen like kf_analyze's. */
void fx_finish(struct kf_result *r);

/* Run the catalogue's rule `id` alone over r (fx_finish first). */
void fx_run(struct kf_result *r, const char *id);
/* Run every rule (with precedence across them). */
void fx_run_all(struct kf_result *r);
/* Findings of rule id (NULL: any) at severity sev (0: any). */
size_t fx_count(const struct kf_result *r, const char *id, int sev);
/* The first finding of rule id, or NULL. */
const struct kf_finding *fx_find(const struct kf_result *r, const char *id);
/* Whether frame is in finding f's evidence. */
int fx_has_frame(const struct kf_finding *f, uint64_t frame);
/* Member k of f's subject lists exactly s (NULL: nothing). */
int fx_subject_is(const struct kf_finding *f, enum kf_subject_kind k, const char *s);
/* Member k of f's subject lists s, among others. */
int fx_subject_has(const struct kf_finding *f, enum kf_subject_kind k, const char *s);

/* f's evidence frames joined by ',' ("4,6,7"), and member k of its subject
 * ("a,b"; "" for none): static buffers, valid until the next call. */
const char *fx_frames(const struct kf_finding *f);
const char *fx_subject_str(const struct kf_finding *f, enum kf_subject_kind k);
/* What a test expects of the first finding of rule: its cause, severity,
 * confidence, evidence frames and subject members (as fx_frames and
 * fx_subject_str write them; NULL: not checked).  Returns that finding. */
struct fx_want {
	const char *rule, *cause;
	enum kf_severity sev;
	enum kf_confidence conf;
	const char *frames, *client, *user, *service, *server, *kdc;
};
const struct kf_finding *fx_expect(const struct kf_result *r, const struct fx_want *w);

#endif
