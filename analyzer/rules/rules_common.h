/* rules_common.h - what the rule files (rules_*.c) share: evidence lists,
 * who and what a message is about, recovery from an error, and the HTTP
 * lookups of the Negotiate rules.  Internal to the rules module. */
#ifndef KF_RULES_COMMON_H
#define KF_RULES_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "rules.h"

/* ---- evidence ------------------------------------------------------------ */

/* A finding's evidence frames: each once, 0 ignored, at most
 * KF_LIMIT_EVIDENCE_FRAMES (the earliest added). */
struct kf_evidence {
	uint64_t f[KF_LIMIT_EVIDENCE_FRAMES];
	size_t n;
};
void kf_evidence_add(struct kf_evidence *e, uint64_t frame);
/* m's frame; nothing for NULL (a reply not in the capture). */
void kf_evidence_add_msg(struct kf_evidence *e, const struct kf_message *m);

/* The KDC rules' frame lists: frames[*nf] appended while below
 * KF_LIMIT_EVIDENCE_FRAMES, 0 ignored, repeats kept (kf_finding_add drops
 * them; they count against the cap). */
void kf_rule_frame_add(uint64_t *frames, size_t *nf, uint64_t f);
/* m's first frame (when it spans several) and its frame; nothing for NULL. */
void kf_rule_msg_frames_add(uint64_t *frames, size_t *nf, const struct kf_message *m);

/* ---- who and what -------------------------------------------------------- */

static inline bool kf_rule_is_krb_error(const struct kf_message *m) { return m->type == KF_KRB_ERROR; }
static inline const char *kf_rule_first_of(const char *a, const char *b) { return a ? a : b; }

/* The client end of a message: its story's client (kf_message_client), else
 * the destination of a reply (an SMB response too) and the source of anything else. */
struct kf_endpoint kf_rule_client_of(const struct kf_message *m);
/* The name of a KRB-ERROR code, "KRB-ERROR" when unknown. */
const char *kf_rule_err_name(int32_t code);
/* "alice@LAB.TEST" (name@realm unless the name has a realm), "alice", or NULL. */
const char *kf_rule_princ(struct kf_rule_ctx *ctx, const char *name, const char *realm);
/* The user of an error: its cname, the request's, or the story's user; NULL. */
const char *kf_rule_user_of(struct kf_rule_ctx *ctx, const struct kf_message *err,
			    const struct kf_message *req);
/* The principal asked for: the error's sname, the request's or its ticket's; NULL. */
const char *kf_rule_service_of(struct kf_rule_ctx *ctx, const struct kf_message *err,
			       const struct kf_message *req);
/* The user a Kerberos AP-REQ speaks for: whom the KDC issued its ticket to
 * (the cname of the last AS-REP or TGS-REP to the client with that ticket;
 * a front end's S4U2Proxy ticket names the user it acts for); NULL when the
 * capture does not hold that exchange. */
const char *kf_rule_ticket_holder(struct kf_rule_ctx *ctx, const struct kf_message *ap);
/* What carried a service's answer inside its application protocol, for the
 * words: "the 401" (HTTP), "the SMB SESSION_SETUP response", "the kpasswd
 * reply", else "the service's reply". */
const char *kf_rule_carried_in(const struct kf_message *m);

/* Did the client get past this error at once, within KF_RULE_RECOVERY_US?
 * KDC errors: the same client got an AS-REP for the same user (case
 * ignored) and the same kind of service (krbtgt, not kadmin/changepw), or a
 * TGS-REP for the same service; without the request in the capture, a
 * krbtgt sname with a cname stands for an AS request.  Service errors: the
 * same server answered the same client with an AP-REP or an HTTP status
 * below 400, or (an error inside SMB) a SESSION_SETUP succeeded on the same
 * connection (kf_rule_smb_session_ok).  (Wider than kf_error_recovered,
 * which needs the request and compares names exactly; the KDC error, clock
 * and etype rules use this.) */
bool kf_rule_error_recovered(const struct kf_result *r, const struct kf_message *err);

/* ---- groups of alike failures ------------------------------------------------
 * A growable array of a rule's groups, each a struct whose first member is
 * its struct kf_key: one finding per group. */
struct kf_groups {
	void *v; /* kf_free() it */
	size_t n, cap, size;
};
/* The group of key k, added zeroed (with k) when new (*fresh); NULL when out of
 * memory (kf_rule_nomem said so). */
void *kf_groups_slot(struct kf_rule_ctx *ctx, struct kf_groups *g, struct kf_key k, bool *fresh);

/* ---- sessions (sessions.h): the outcome rules of LDAP binds and SQL logins --- */

struct kf_session;
/* The last message among session s's frames, on its connection, that `is`
 * accepts; NULL. */
const struct kf_message *kf_rule_session_msg(const struct kf_result *r, const struct kf_session *s,
					     bool (*is)(const struct kf_message *));
/* Did the client of failed session s open a session of the same carrier to
 * the same server, as the same user (either unknown: anyone but
 * "anonymous"), with outcome ok, within KF_RULE_RECOVERY_US after fail_us?
 * At most KF_LIMIT_RECOVERY_SCAN later sessions are looked at. */
bool kf_rule_session_recovered(const struct kf_result *r, const struct kf_session *s, uint64_t fail_us);
/* A group of alike failed sessions; a rule's group struct starts with it. */
struct kf_session_group {
	struct kf_key key;
	size_t count;
	struct kf_evidence e;
};
/* The group of key k in gs (gs->size: the rule's struct), counting one more
 * failure: a new group's evidence is s's frames, a repeat adds req and
 * resp. *fresh: the group is new (its facts to be set). NULL: out of memory. */
void *kf_rule_session_group(struct kf_rule_ctx *ctx, struct kf_groups *gs, struct kf_key k,
			    const struct kf_session *s, const struct kf_message *req,
			    const struct kf_message *resp, bool *fresh);

/* ---- facts, verdict, words ---------------------------------------------------
 * A rule gathers its facts into a struct, decides from them alone (a pure
 * verdict function), then words the finding by the cause decided. */

/* A verdict: the cause (an index in the rule's causes; -1: no finding),
 * severity and confidence. */
struct kf_rule_verdict {
	int cause;
	enum kf_severity sev;
	enum kf_confidence conf;
};
/* What a finding says for its cause. */
struct kf_rule_words {
	const char *summary, *explanation, *fix;
};
/* The finding of verdict v (cause causes[v.cause]) with its words, evidence and subject. */
void kf_rule_emit(struct kf_rule_ctx *ctx, const char *const *causes, struct kf_rule_verdict v,
		  struct kf_rule_words w, const struct kf_evidence *e, const struct kf_subject_b *b);

/* The capture's names for a fix's placeholders: a fix written with <user>,
 * <server>, <share>, <domain>, <host>, <port> gets them where the capture names them and
 * they keep to a name's grammar (kf_rule_name_cmd_safe); a placeholder stays
 * otherwise (issue 18: fixes in the capture's names).  user may be
 * DOMAIN\user or user@REALM: commands take the account name alone. */
/* tpl with every slots[i] (its literal text, "{user}" or "<user>")
 * replaced by vals[i], where vals[i] is not NULL (NULL when out of memory). */
const char *kf_rule_subst(struct kf_rule_ctx *ctx, const char *tpl, const char *const *slots,
			  const char *const *vals, size_t n);

struct kf_fix_names {
	const char *user, *server, *share, *domain;
	const char *host, *port; /* <host>, <port>: a service's host name and port (MSSQLSvc/<host>:<port>) */
};
const char *kf_rule_fix_fill(struct kf_rule_ctx *ctx, const char *fix, const struct kf_fix_names *n);

/* ---- SMB ----------------------------------------------------------------- */

static inline bool kf_rule_is_smb(const struct kf_message *m)
{
	return m->carrier == KF_CARRIER_SMB || m->carrier == KF_CARRIER_SMB2;
}
/* An SMB record (SMB-REQUEST / SMB-RESPONSE) of this command, SMB2's number
 * (KF_SMB2_NEGOTIATE, _SESSION_SETUP, _TREE_CONNECT: SMB1's commands match
 * too). */
bool kf_rule_smb_cmd(const struct kf_message *m, int type, unsigned smb2_command);
/* A SESSION_SETUP response with STATUS_SUCCESS that is not a guest or null
 * session: the client is logged on. */
bool kf_rule_smb_session_ok(const struct kf_message *m);
/* The SMB record (SMB-REQUEST, SMB-RESPONSE) of type in frame, on
 * connection conn (0: any); NULL if none. */
const struct kf_message *kf_rule_smb_at(const struct kf_result *r, uint64_t frame, int type, uint32_t conn);
/* The server of a share path "\\server\share" (as written) into buf; false
 * when the path names none (an SMB1 "IPC$"). */
bool kf_rule_unc_server(const char *path, char *buf, size_t len);
/* A server name that is an address: an IPv4 or IPv6 literal, or Windows'
 * "fd00-1.ipv6-literal.net" form of one. */
bool kf_rule_name_is_address(const char *name);
/* Does a SPNEGO mechanism list offer Kerberos ("kerberos", "ms-kerberos")? */
bool kf_rule_offers_kerberos(const struct kf_spnego_rec *sp);

/* ---- HTTP ---------------------------------------------------------------- */

static inline bool kf_rule_is_http_req(const struct kf_message *m)
{
	return m->carrier == KF_CARRIER_HTTP && m->type == KF_MSG_HTTP_REQUEST && m->http;
}
/* The token (AP-REQ, KRB-ERROR, NTLM-*: kf_msg_in_app_protocol) of type that
 * an application protocol carried in frame, on connection conn (0: any);
 * NULL if none. */
const struct kf_message *kf_rule_tok_at(const struct kf_result *r, uint64_t frame, int type, uint32_t conn);
/* The HTTP record (HTTP-REQUEST, HTTP-RESPONSE) of type in frame, on
 * connection conn (0: any); NULL if none. */
const struct kf_message *kf_rule_http_at(const struct kf_result *r, uint64_t frame, int type, uint32_t conn);
/* The HTTP response to an HTTP request (a record answers a record), NULL. */
const struct kf_message *kf_rule_http_resp(const struct kf_result *r, const struct kf_message *req);
/* The host name of a Host header, without port or IPv6 brackets, lowercase,
 * final dots removed. */
void kf_rule_host_name(const char *host, char *buf, size_t len);
/* Group key of a rule that reports (client, host[:port]) once. */
struct kf_key kf_rule_host_key(const struct kf_endpoint *client, const char *host, int64_t port);

/* KRB_AP_ERR_BAD_INTEGRITY (31), _MODIFIED (41), _BADKEYVER (44): what a
 * service answers when it cannot decrypt a ticket. */
bool kf_rule_is_key_error(int32_t code);
/* RC4 (23, 24 and Microsoft's negative RC4 variants) and single DES (1-3, and
 * Microsoft's DES_PLAIN -132): the types weak-etype and etype-nosupp call weak. */
bool kf_rule_etype_weak(int32_t e);
/* The port a request went to: the Host header's ":port", else the server's. */
unsigned kf_rule_req_port(const struct kf_message *req);
/* The host part of an HTTP/<host>[:port] SPN (NULL if another service class). */
const char *kf_rule_http_spn_host(const char *sname);
/* Is sname HTTP/<name>[:port]? */
bool kf_rule_spn_host_is(const char *sname, const char *name);
/* A host name that is an IPv4 or IPv6 address. */
bool kf_rule_is_ip_literal(const char *name);
/* Does a 401's WWW-Authenticate offer scheme? */
bool kf_rule_offers(const struct kf_http_rec *h, const char *scheme);
/* The latest TGS-REQ of client for sname (case ignored) before frame before, NULL. */
const struct kf_message *kf_rule_tgs_req_for(const struct kf_result *r, const struct kf_endpoint *client,
					     const char *sname, uint64_t before);
/* Whom a TGS exchange concerns: the service asked for, the KDC, and the user
 * its reply names (nothing for a NULL exchange or reply). */
void kf_rule_subject_tgs(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *tgs,
			 const struct kf_message *rep);
/* The user a ticket decrypted with --keytab names (m an AP-REQ or TGS-REQ;
 * nothing when it stayed closed). */
void kf_rule_subject_ticket_user(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *m);

/* ntlm-fallback (rules_http_ntlm.c for HTTP, rules_smb_ntlm.c for SMB,
 * rules_bind_ntlm.c for LDAP, DCE/RPC and TDS), a row of rules_http_spn.c's
 * table.  Its causes: HTTP's, SMB's, then the binds' (each file words its
 * own, in this order). */
#define KF_NTLM_HTTP_CAUSES                                                                                  \
	"spn-unknown", "kdc-error", "server-offers-only-ntlm", "ticket-not-used", "app-chose-ntlm",          \
		"ip-address", "no-kdc-traffic", "no-ticket-request"
#define KF_NTLM_SMB_CAUSES                                                                                   \
	"smb-spn-unknown", "smb-kdc-error", "smb-local-account", "smb-ticket-not-used", "smb-ip-address",    \
		"smb-app-chose-ntlm", "smb-no-server-name", "smb-no-kdc-traffic", "smb-no-ticket-request"
#define KF_NTLM_BIND_CAUSES                                                                                  \
	"bind-spn-unknown", "bind-kdc-error", "bind-ticket-not-used", "bind-local-account",                  \
		"bind-ip-address", "bind-app-chose-ntlm", "bind-no-kdc-traffic", "bind-no-ticket-request"
extern const char *const kf_ntlm_fallback_causes[];
void kf_rule_ntlm_fallback(struct kf_rule_ctx *ctx);
void kf_rule_ntlm_fallback_smb(struct kf_rule_ctx *ctx);
/* LDAP and DCE/RPC binds, SQL Server logins (rules_bind_ntlm.c) */
void kf_rule_ntlm_fallback_bind(struct kf_rule_ctx *ctx);

/* HTTP to a forward proxy (issue 18, item 4): a request that carried
 * Proxy-Authorization, was answered 407, or asked for an absolute URI (the
 * form clients send only to proxies).  Its SPN is the proxy's, HTTP/<proxy
 * host>, never one built from the proxied request's Host. */
bool kf_rule_http_is_proxy(const struct kf_result *r, const struct kf_message *req);
/* The proxy's name as the client knew it, into buf: the host of the HTTP/
 * ticket req presented; else its address ("10.88.0.24"). */
void kf_rule_http_proxy_name(const struct kf_result *r, const struct kf_message *req, char *buf, size_t len);

/* The messages of application protocols (HTTP, SMB) by connection, then
 * frame: one connection's messages without scanning the capture for each. */
struct kf_conn_msg {
	uint32_t conn, ix; /* ix: index in r->messages */
};
struct kf_conn_ix {
	struct kf_conn_msg *v; /* kf_free() it */
	size_t n;
};
/* False when out of memory. */
bool kf_conn_ix_build(const struct kf_result *r, struct kf_conn_ix *ci);
/* The entries of connection conn: *n of them from the one returned. */
const struct kf_conn_msg *kf_conn_ix_find(const struct kf_conn_ix *ci, uint32_t conn, size_t *n);

#endif
