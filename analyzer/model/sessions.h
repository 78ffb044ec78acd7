/* sessions.h - authenticated sessions of protocols other than HTTP: SMB's
 * SESSION_SETUP exchanges of one session on one connection, LDAP's
 * bind exchanges (one bind, or the steps of a SASL bind) and SQL Server
 * logins (TDS: one a connection), DCE/RPC binding phases (bind /
 * alter_context / auth3 and their answers, on a TCP connection or an SMB
 * named pipe); what
 * authenticated it (Kerberos, NTLM, a simple bind, anonymous, guest), as
 * whom, its outcome, and the share or the bind DN it was for.  Built from the finished message
 * list; stories list a client's sessions, and the back-end hop of a double
 * hop is a front end's session. */
#ifndef KF_SESSIONS_H
#define KF_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "result.h"

struct kf_session {
	uint8_t carrier; /* enum kf_carrier: KF_CARRIER_SMB, KF_CARRIER_SMB2, KF_CARRIER_LDAP, KF_CARRIER_TDS
			  * or KF_CARRIER_DCERPC */
	uint32_t connection;
	uint32_t tcp_stream; /* Wireshark's tcp.stream of its first message */
	struct kf_endpoint client, server;
	uint64_t session_id; /* as the server assigned it (0: never answered) */
	const char *target;  /* SMB: the share (`\\server\share`); the first one other than IPC$ when there is
			   * one.  LDAP: the bind DN (NULL when empty: then the server is the target).
			   * TDS: LOGIN7's ServerName (NULL: the server).  DCE/RPC: the interface
			   * bound ("SAMR", "LSARPC", else its UUID) */
	const char *pipe;    /* DCE/RPC: the SMB named pipe it rode ("lsarpc"), NULL over TCP */
	const char *mech;    /* kerberos | ntlm | none (no token: SMB1 without extended security, a
			   * DCE/RPC bind without auth_verifier) | netlogon (DCE/RPC auth type
			   * 68: the Netlogon secure channel) | schannel (DCE/RPC auth type 14) |
			   * simple | external (LDAP) | sql (a TDS login with a password) | unknown */
	const char *as;      /* user@REALM, DOMAIN\user, the bind DN of a simple bind, "anonymous",
			   * "guest"; NULL when the capture does not say */
	const char *ticket;  /* Kerberos: sname@realm of the ticket presented */
	const char *outcome; /* ok | error | unknown (no final answer in the capture) */
	bool has_status;
	uint32_t status;             /* the last SESSION_SETUP response's NTSTATUS */
	bool has_result;             /* LDAP: a bindResponse was seen */
	uint32_t result_code;        /* ... the last one's resultCode */
	uint32_t ad_data_code;       /* ... and AD's data code in its diagnostic, 0 none */
	bool has_sql_error;          /* TDS: the login's answer was an ERROR token */
	uint32_t sql_error;          /* ... its number (18456: login failed) */
	uint8_t sql_state;           /* ... and state (the reason) */
	bool has_rpc_status;         /* DCE/RPC: the binding phase was refused; rpc_status_kind says how */
	uint32_t rpc_status;         /* ... the bind_nak reject reason, the fault status, or the first
				* presentation context's result (1 user, 2 provider rejection) */
	const char *rpc_status_kind; /* "bind_nak", "fault" (answering the bind / alter_context),
				      * "auth3_fault" (answering the first request after an AUTH3:
				      * the server's verdict on the third leg), "context" (bind_ack /
				      * alter_context_resp rejecting the first context); NULL none */
	int32_t krb_error;           /* a KRB-ERROR inside the exchange, 0 none */
	uint64_t first_frame;        /* its first SESSION_SETUP request (or token) */
	uint64_t *frames;            /* SESSION_SETUP, its tokens, TREE_CONNECT and LOGOFF; the records
				      * of the other carriers, their tokens (DCE/RPC: and the fault) */
	size_t n_frames;
};

/* Build r->sessions from r->messages (into r's arena), ordered by first
 * frame.  Needs reply links (kf_msgstore_finish). */
enum kf_status kf_sessions_build(struct kf_result *r) KF_WUR;

#endif
