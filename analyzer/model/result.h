/* result.h - the finished analysis of one capture: what reports render.
 *
 * Everything here is run-lifetime data in the result's arena, frozen once
 * kf_analyze() returns.  Reports read it and compute nothing from packets.
 */
#ifndef KF_RESULT_H
#define KF_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "krb5.h"

struct kf_story;
struct kf_session;

/* Several files analysed as one (analyzer.h: kf_analyze_files). */
enum kf_multi { KF_MULTI_CONTINUOUS = 1, KF_MULTI_MERGE = 2 };
struct kf_finding;

/* An endpoint: IPv4/IPv6 address and port. */
struct kf_endpoint {
	uint8_t ipver;
	uint8_t addr[16];
	uint16_t port;
};

enum kf_transport { KF_TRANSPORT_UDP = 17, KF_TRANSPORT_TCP = 6 };
enum kf_carrier {
	KF_CARRIER_KERBEROS = 1,
	KF_CARRIER_HTTP = 2,
	KF_CARRIER_DNS = 3,
	KF_CARRIER_KPASSWD = 4,
	KF_CARRIER_SMB = 5,    /* SMB1 (MS-CIFS / MS-SMB) on 445 or 139 */
	KF_CARRIER_SMB2 = 6,   /* SMB2 and SMB3 (MS-SMB2) */
	KF_CARRIER_LDAP = 7,   /* LDAP binds (RFC 4511, RFC 4513; AD's SASL GSS-SPNEGO) */
	KF_CARRIER_DCERPC = 8, /* DCE/RPC connection-oriented binds (C706, MS-RPCE) */
	KF_CARRIER_TDS = 9,    /* SQL Server logins (MS-TDS: PRELOGIN, LOGIN7, SSPI, LOGINACK/ERROR) */
};

/* Message types beyond Kerberos' own (enum kf_krb_type: 10..30). */
enum kf_msg_type {
	KF_MSG_NTLM_NEGOTIATE = 101,
	KF_MSG_NTLM_CHALLENGE = 102,
	KF_MSG_NTLM_AUTHENTICATE = 103,
	KF_MSG_HTTP_REQUEST = 110,
	KF_MSG_HTTP_RESPONSE = 111,
	KF_MSG_SMB_REQUEST = 112,
	KF_MSG_SMB_RESPONSE = 113,
	KF_MSG_LDAP_REQUEST = 114,
	KF_MSG_LDAP_RESPONSE = 115,
	KF_MSG_DCERPC_REQUEST = 116,
	KF_MSG_DCERPC_RESPONSE = 117,
	KF_MSG_TDS_REQUEST = 118,
	KF_MSG_TDS_RESPONSE = 119,
	KF_MSG_DNS = 120,
	KF_MSG_GSS_WRAP = 121, /* a per-message Wrap token (or an NTLM-signed buffer): recognised */
	KF_MSG_GSS_MIC = 122,  /* a per-message MIC token (DNS GSS-TSIG's MAC) */
};

/* A ticket in compact, run-lifetime form. */
struct kf_ticket_rec {
	const char *sname, *realm; /* never NULL when the ticket is present */
	int32_t etype;
	bool has_kvno;
	uint32_t kvno;
	uint64_t cipher_hash; /* identifies the ticket: an AP-REQ's and the reply that issued it match */
};

struct kf_etype_info_rec {
	int32_t etype;
	const char *salt; /* NULL when absent */
};

/* Kerberos fields of a message, compact: strings NULL when absent, arrays
 * sized exactly.  Mirrors struct kf_krb_msg (see krb5.h for each field). */
struct kf_krb_rec {
	bool complete;
	const char *cname, *crealm, *sname, *realm;
	bool has_kdc_options, has_nonce, has_from, has_till, has_rtime, has_ap_options;
	bool has_pac_options, has_enc_etype, has_stime, has_ctime, has_ntstatus, has_e_data;
	bool has_pac_request, pac_request;
	uint32_t kdc_options, nonce, ap_options, pac_options, ntstatus;
	int64_t from, till, rtime, stime, ctime;
	int32_t susec, cusec, enc_etype, error_code;
	uint8_t n_etypes, n_addresses, n_padata, n_edata_padata, n_etype_info, n_addl;
	int32_t *etypes;
	const char **addresses;
	int32_t *padata;
	int32_t *edata_padata;
	struct kf_etype_info_rec *etype_info;
	const char *s4u_user;
	const char *e_text;
	struct kf_ticket_rec *ticket; /* NULL when none */
	struct kf_ticket_rec *addl;
};

/* SPNEGO wrapping of an HTTP-carried token (RFC 4178). */
struct kf_spnego_rec {
	uint8_t n_mech_types;
	const char **mech_types; /* "kerberos", "ms-kerberos", "ntlmssp", "negoex" or the OID */
	bool has_neg_state;
	int neg_state; /* enum kf_neg_state */
	const char *supported_mech;
	bool mech_list_mic;
};

/* NTLMSSP fields (MS-NLMP); never responses or keys. */
struct kf_ntlm_rec {
	uint32_t flags;
	const char *domain, *user, *workstation, *target_name;
	const char *dns_domain, *dns_computer, *nb_domain, *nb_computer; /* CHALLENGE target info */
	const char *spn; /* AUTHENTICATE: MsvAvTargetName, the SPN the client named the server by
			  * (NTLMv2 clients that send it: Windows, gss-ntlmssp) */
	bool ntlmv2, mic, anonymous;
	bool damaged; /* AUTHENTICATE: a buffer points outside the message (only names in range read) */
	bool has_version;
	uint8_t version_major, version_minor;
	uint16_t version_build;
};

/* An HTTP request or response that takes part in authentication. */
struct kf_http_rec {
	const char *method, *uri, *host; /* requests (host as sent, with port) */
	int status;                      /* responses */
	const char *auth_scheme;         /* Authorization / Proxy-Authorization scheme */
	uint8_t n_challenges;
	const char **www_authenticate; /* schemes offered (WWW-/Proxy-Authenticate) */
	uint32_t header_bytes;
	uint32_t token_bytes;        /* decoded size of the token carried, 0 if none */
	bool proxy;                  /* Proxy-Authorization / Proxy-Authenticate / 407 */
	bool token_invalid;          /* a token that is not base64 or not decodable */
	const char *persistent_auth; /* Persistent-Auth header value */
	bool uri_truncated;
};

/* An SMB command that takes part in authentication: NEGOTIATE,
 * SESSION_SETUP, TREE_CONNECT, LOGOFF (carrier smb or smb2), or the first
 * encrypted PDU of a connection. */
struct kf_smb_rec {
	uint16_t command;         /* SMB2 command, or the SMB1 command byte */
	const char *command_name; /* "SESSION_SETUP", "SESSION_SETUP_ANDX", ...; NULL when unknown */
	bool has_status;          /* responses */
	uint32_t status;          /* NTSTATUS */
	bool dos_error;           /* SMB1: a DOS error class/code (status holds class << 16 | code) */
	uint64_t session_id;      /* SMB2 SessionId, SMB1 UID */
	uint64_t message_id;      /* SMB2 MessageId, SMB1 MID: pairs a response with its request */
	uint32_t tree_id;
	const char *tree;     /* TREE_CONNECT: the share path as sent (responses: their request's) */
	uint16_t dialect;     /* NEGOTIATE response: SMB2 dialect revision (SMB1: the index) */
	uint16_t max_dialect; /* NEGOTIATE request: highest SMB2 dialect offered */
	bool signing_enabled, signing_required; /* NEGOTIATE */
	bool encryption_capable;                /* NEGOTIATE: SMB2_GLOBAL_CAP_ENCRYPTION */
	uint16_t session_flags;       /* SESSION_SETUP response: KF_SMB_SESSION_* (guest, null, encrypt) */
	const char *account, *domain; /* SMB1 session setup without extended security: the names sent */
	uint32_t token_bytes;         /* the security buffer's size, 0 when none */
	bool token_invalid;           /* a security buffer that is not a token krbflow knows */
	bool encrypted;               /* an SMB3 transform header: from here on the connection is encrypted */
	bool compound;                /* one of several commands in one PDU (AndX / NextCommand) */
};

/* An LDAP operation that takes part in authentication: a bindRequest or
 * bindResponse, an extendedRequest/Response for StartTLS (carrier ldap). */
struct kf_ldap_rec {
	uint32_t message_id;
	uint8_t operation;      /* the protocolOp's APPLICATION tag: 0 bindRequest, 1 bindResponse,
				  * 23 extendedReq, 24 extendedResp */
	const char *mechanism;  /* "simple", or the SASL mechanism ("GSS-SPNEGO", "GSSAPI", ...) */
	const char *bind_dn;    /* the request's name (a DN, or a user name AD accepts); NULL empty */
	bool simple_password;   /* a simple bind that carried a password (never kept, never printed) */
	bool has_result;        /* responses */
	uint32_t result_code;   /* LDAPResult resultCode (49 invalidCredentials, 14 saslBindInProgress) */
	const char *diagnostic; /* diagnosticMessage, printable, cut at KF_LIMIT_LDAP_TEXT */
	uint32_t ad_data_code;  /* AD's "data NNN" in the diagnostic (0x52e...), 0 when none */
	uint32_t token_bytes;   /* SASL credentials / serverSaslCreds size, 0 when none */
	bool token_invalid;     /* credentials that are not a token krbflow knows */
	bool starttls;          /* the StartTLS extended operation: the rest is TLS */
	uint64_t wrapped_from;  /* a successful SASL bindResponse: the frame from which the
				  * connection carried SASL-wrapped (signed/sealed) traffic, 0 none */
};

/* A DCE/RPC PDU that takes part in authentication: bind, bind_ack,
 * bind_nak, alter_context(_resp), auth3, fault (carrier dcerpc). */
struct kf_dcerpc_rec {
	uint8_t ptype; /* C706 12.6.4.1: 11 bind, 12 bind_ack, 13 bind_nak, 14 alter_context,
				  * 15 alter_context_resp, 16 auth3, 3 fault */
	uint32_t call_id;
	const char *pipe;      /* the SMB named pipe it rode ("lsarpc", "samr"), NULL over TCP */
	const char *interface; /* the first presentation context's abstract syntax, named when known
				  * ("DRSUAPI", "SAMR", ...) else its UUID */
	uint8_t auth_type;     /* auth_verifier: 9 SPNEGO, 10 NTLMSSP, 16 Kerberos, 0 none */
	uint8_t auth_level;    /* 2 connect ... 6 packet privacy */
	uint32_t status;       /* fault status, bind_nak reject reason, or a bind_ack's first result */
	bool has_status;
	uint32_t token_bytes;
	bool token_invalid;
	bool first_call; /* a fault answering the first request after the bind phase (after an
			  * auth3 it is the server's verdict on the third leg) */
};

/* A TDS packet that takes part in a SQL Server login: PRELOGIN, LOGIN7,
 * SSPI, and the server's answer (LOGINACK / ERROR tokens) (carrier tds). */
struct kf_tds_rec {
	uint8_t packet_type;   /* MS-TDS 2.2.3.1.1: 18 PRELOGIN, 16 LOGIN7, 17 SSPI, 4 tabular result */
	bool has_encryption;   /* a PRELOGIN that carried the ENCRYPTION option */
	uint8_t encryption;    /* 0 ENCRYPT_OFF, 1 ENCRYPT_ON, 2 ENCRYPT_NOT_SUP, 3 ENCRYPT_REQ */
	bool login_encrypted;  /* the login went inside TLS: not readable in the capture */
	bool strict_tls;       /* TDS 8 (strict encryption): TLS from the connection's first byte,
				* no PRELOGIN in clear; the record stands for the whole connection */
	bool tls_wrapped;      /* a PRELOGIN packet that carries TLS handshake records */
	const char *user;      /* LOGIN7 UserName (SQL authentication), printable; never the password */
	const char *server;    /* LOGIN7 ServerName as the client wrote it, printable */
	bool integrated;       /* LOGIN7 with fIntSecurity (SSPI: Kerberos or NTLM) */
	bool login_ack;        /* a LOGINACK token: the login succeeded */
	bool has_error;        /* an ERROR token */
	uint32_t error_number; /* e.g. 18456 login failed */
	uint8_t error_state;   /* 18456: the reason (5, 8, 11, 12 ...) */
	uint8_t error_class;
	const char *message;  /* the ERROR token's text, printable, cut at KF_LIMIT_TDS_TEXT */
	uint32_t token_bytes; /* the SSPI token's size, 0 none */
	bool token_invalid;   /* SSPI bytes that are not a token krbflow knows */
};

/* What the kpasswd framing (RFC 3244) adds to the Kerberos message it
 * carries (AP-REQ, AP-REP or KRB-ERROR). */
struct kf_kpasswd_rec {
	bool framed;         /* false: a bare KRB-ERROR without the kpasswd header */
	uint16_t version;    /* 1 change password, 0xff80 set password */
	bool has_priv;       /* a KRB-PRIV follows (the new password, or the result: encrypted) */
	int32_t priv_etype;  /* 0: unknown */
	uint32_t priv_bytes; /* its ciphertext's size */
	bool has_result;     /* the result was sent in the clear (a KRB-ERROR's e-data) */
	uint16_t result_code;
	const char *result_text; /* printable ASCII, NULL when empty */
	bool ad_policy;          /* the result carries Active Directory's password policy */
	uint32_t policy_min_length, policy_history, policy_properties;
};

struct kf_dns_answer_rec {
	uint16_t type;
	const char *name, *data;
};

struct kf_dns_rec {
	const char *query;
	uint16_t qtype;
	uint8_t rcode;
	uint8_t n_answers;
	struct kf_dns_answer_rec *answers;
};

/* A GSS per-message token, recognised and never decrypted (decoders/gss.h
 * kf_gss_perm).  On a connection only the first per direction is kept:
 * it says from which frame the traffic is sealed or only signed. */
struct kf_gsswrap_rec {
	const char *mechanism; /* "kerberos-rfc4121", "kerberos-rfc1964", "ntlm" */
	bool sealed_known;
	bool sealed;           /* confidentiality; false: integrity only */
	bool sent_by_acceptor; /* RFC 4121 Flags (the other mechanisms do not say) */
	bool acceptor_subkey;
	bool has_seq; /* RFC 4121: SND_SEQ travels in clear */
	uint64_t seq;
	uint32_t token_bytes; /* the whole token (LDAP: the SASL buffer) */
	bool from_client;     /* sent by the connection's client (for stories) */
};

/* ---- --keytab: what encrypted parts said (decrypt.c) ------------------------
 * status is enum kf_open_status (krb5_decrypt.h); strings NULL when absent. */

/* The key that opened a part: never its bytes. */
struct kf_dec_key {
	uint8_t origin;        /* enum kf_key_origin; 0 = none */
	const char *principal; /* keytab keys */
	const char *keytab;    /* keytab keys: the file */
	uint32_t kvno;         /* keytab keys */
	int32_t etype;
	uint64_t frame; /* learnt keys: the frame that revealed it */
};

/* MS-PAC, as far as reports use it (pac.h has every field). */
struct kf_dec_pac {
	uint8_t n_types;
	uint32_t *types; /* buffer types in order */
	const char *logon_user, *logon_domain, *logon_full_name, *user_sid;
	uint32_t primary_group_rid, user_account_control, user_flags;
	uint32_t n_groups, n_extra_sids;
	uint8_t n_sids;
	const char **sids; /* group SIDs, then extra SIDs, as kept */
	const char *client_name;
	int64_t client_time;
	const char *upn, *dns_domain, *upn_sam_name, *upn_sid;
	uint32_t upn_flags;
	const char *s4u_proxy_target;
	uint32_t n_transited;
	uint8_t n_transited_kept;
	const char **transited;
	bool has_attributes;
	uint32_t attributes;
	const char *requestor_sid;
	bool complete;
};

struct kf_dec_ticket {
	uint8_t status;
	struct kf_dec_key key;
	bool other_principal; /* opened only by another principal's key */
	const char *server;   /* "sname@realm" */
	int32_t etype;
	uint32_t kvno;  /* 0 = absent */
	uint32_t flags; /* TicketFlags, wire bit order */
	const char *cname, *crealm, *transited;
	int64_t authtime, starttime, endtime, renew_till;
	int32_t session_etype;
	bool session_key_known; /* not opened, but its session key was learnt elsewhere */
	struct kf_dec_pac *pac;
	const char *why;  /* not opened: why, in one sentence */
	uint8_t n_keytab; /* not opened: the keytab's kvno/etype pairs for server */
	uint32_t *keytab_kvnos;
	int32_t *keytab_etypes;
};

struct kf_dec_cred_info {
	const char *sname, *srealm, *pname, *prealm;
	bool has_flags;
	uint32_t flags;
	int64_t endtime;
	int32_t key_etype;
};

struct kf_dec_cred {
	uint8_t status;
	struct kf_dec_key key;
	int32_t etype;
	uint8_t n_tickets, n_info;
	struct kf_dec_cred_info *info;
};

struct kf_dec_auth {
	uint8_t status;
	struct kf_dec_key key;
	const char *cname, *crealm;
	int64_t ctime;
	int32_t cusec;
	bool has_subkey, has_seq, has_cksum, gss, has_deleg;
	int32_t subkey_etype, cksum_type;
	uint32_t seq, gss_flags;
	struct kf_dec_cred *cred; /* has_deleg */
};

struct kf_dec_rep {
	uint8_t status;
	struct kf_dec_key key;
	uint32_t flags, nonce;
	const char *sname, *srealm;
	int64_t authtime, starttime, endtime, renew_till, key_expiration;
	int32_t session_etype;
};

struct kf_dec_ap_rep {
	uint8_t status;
	struct kf_dec_key key;
	int64_t ctime;
	int32_t cusec;
	bool has_subkey, has_seq;
	int32_t subkey_etype;
	uint32_t seq;
};

struct kf_decrypted {
	struct kf_dec_ticket *ticket; /* AP-REQ's, PA-TGS-REQ's, or the one a reply issues */
	struct kf_dec_auth *auth;     /* AP-REQ, TGS-REQ */
	struct kf_dec_rep *rep;       /* AS-REP, TGS-REP */
	struct kf_dec_ap_rep *ap_rep; /* AP-REP */
	uint8_t n_addl;
	struct kf_dec_ticket *addl; /* TGS-REQ additional tickets */
	bool fast;                  /* FAST-armoured exchange */
};

/* A part that could not be opened, for the capture's account. */
struct kf_dec_failure {
	uint64_t frame;
	const char *part; /* "ticket", "authenticator", "enc-part", "krb-cred", ... */
	uint8_t status;
	const char *reason; /* one sentence */
};

struct kf_keytab_rec {
	const char *file;
	uint32_t keys;
	bool others_can_read; /* mode allows group/other reads (warned about) */
};

struct kf_decryption {
	struct kf_keytab_rec *keytabs;
	size_t n_keytabs;
	uint64_t opened, failed; /* encrypted parts, over all messages */
	uint64_t by_status[5];   /* indexed by enum kf_open_status */
	struct kf_dec_failure *failures;
	size_t n_failures;
	uint64_t failures_dropped; /* past KF_LIMIT_DECRYPT_FAILURES */
};

/* Who sent a token, when the record carrying it says (a DCE/RPC bind,
 * alter_context or auth3 is the client's): a DCE-style AP-REP rides from the
 * client in AUTH3.  Unknown: go by the token's type. */
enum kf_sender {
	KF_SENDER_UNKNOWN = 0,
	KF_SENDER_CLIENT = 1,
	KF_SENDER_SERVER = 2,
};

struct kf_message {
	uint64_t frame; /* 1-based frame in which the message is complete */
	uint64_t ts_us; /* capture time of that frame, microseconds since the epoch */
	struct kf_endpoint src, dst;
	uint8_t transport;              /* enum kf_transport */
	uint8_t carrier;                /* enum kf_carrier */
	int type;                       /* enum kf_krb_type */
	uint32_t ip_fragments;          /* > 1 when the datagram was IP-fragmented */
	uint32_t connection;            /* TCP connection id (1-based), 0 for UDP */
	uint32_t tcp_stream;            /* TCP: Wireshark's tcp.stream (0-based, per file) of frame */
	uint32_t krb_record_over_cap;   /* Kerberos over TCP: the record's length when over
					 * KF_LIMIT_KRB_RECORD (skipped: only its type is known) */
	uint8_t sender;                 /* enum kf_sender: tokens whose carrying record says who sent it */
	uint64_t first_frame;           /* first frame that carried part of it */
	uint32_t id;                    /* stable id: 1, 2, ... in order of appearance (kf_msgstore_add);
			      * breaks ties within a frame */
	uint32_t reply_id, request_id;  /* ids of its reply / of the request it answers, 0 = none;
					* resolve with kf_result_message */
	uint32_t file;                  /* several files: index in kf_result.files of frame's file */
	uint64_t file_frame;            /* ... and frame's number in that file; 0 = unknown (one file) */
	struct kf_krb_rec krb;          /* Kerberos messages (port 88 or inside a token) */
	struct kf_spnego_rec *spnego;   /* tokens that were SPNEGO-wrapped (also on an SMB NEGOTIATE
					 * response: the mechanisms the server offers) */
	struct kf_ntlm_rec *ntlm;       /* NTLM-* */
	struct kf_http_rec *http;       /* HTTP-REQUEST / HTTP-RESPONSE */
	struct kf_smb_rec *smb;         /* SMB-REQUEST / SMB-RESPONSE */
	struct kf_ldap_rec *ldap;       /* LDAP-REQUEST / LDAP-RESPONSE */
	struct kf_dcerpc_rec *dcerpc;   /* DCERPC-REQUEST / DCERPC-RESPONSE */
	struct kf_tds_rec *tds;         /* TDS-REQUEST / TDS-RESPONSE */
	struct kf_dns_rec *dns;         /* DNS */
	struct kf_gsswrap_rec *gsswrap; /* GSS-WRAP / GSS-MIC */
	struct kf_kpasswd_rec *kpasswd; /* Kerberos messages carried by kpasswd (port 464) */
	/* --keytab: the message's bytes (Kerberos messages only, for the
	 * decryption pass) and what its encrypted parts said; NULL without keys */
	const uint8_t *raw;
	uint32_t raw_len;
	struct kf_decrypted *dec;
};

/* A TLS connection's server name: HTTPS whose HTTP is hidden, for stories. */
struct kf_tls_hello {
	uint64_t frame;
	uint64_t ts_us;
	struct kf_endpoint src, dst;
	uint32_t connection;
	uint32_t tcp_stream; /* Wireshark's tcp.stream */
	const char *sni;     /* NULL when the ClientHello named no server */
};

/* Things that happened to requests on the way to a KDC, for the rules that
 * diagnose an unreachable KDC. */
enum kf_tevent_kind {
	KF_TEV_UDP_NO_REPLY = 1, /* a request over UDP got no reply in the capture */
	KF_TEV_TCP_NO_ANSWER,    /* SYN to port 88 never answered */
	KF_TEV_TCP_RESET,        /* connection to port 88 reset before a reply */
	KF_TEV_TCP_NO_REPLY,     /* request sent on TCP, no reply before the end */
	KF_TEV_ICMP_UNREACHABLE, /* ICMP destination unreachable quoting a packet to/from port 88 */
	KF_TEV_FRAG_INCOMPLETE,  /* an IP-fragmented datagram to/from port 88 never completed */
};

struct kf_tevent {
	enum kf_tevent_kind kind;
	uint64_t frame; /* the evidence frame (request, SYN, RST, ICMP) */
	uint64_t ts_us;
	struct kf_endpoint src, dst; /* the request's direction (client → KDC) */
	uint8_t transport;
	uint8_t icmp_type, icmp_code; /* for ICMP */
	uint32_t count;               /* e.g. SYN retransmissions, fragments seen */
	bool from_kdc;                /* the datagram ran KDC → client (a lost reply), for fragments */
	uint64_t request_frame;       /* the message this is about, when known */
	bool has_tcp_stream;          /* TCP kinds: tcp_stream is the connection's */
	uint32_t tcp_stream;          /* Wireshark's tcp.stream */
};

/* One file of an analysis of several (analyze.h: kf_analyze_files). */
struct kf_capture_file {
	const char *name;     /* as given */
	const char *format;   /* "pcap" | "pcapng"; NULL when it could not be read */
	const char *linktype; /* name of its first link type; NULL when unknown */
	uint64_t first_frame; /* the analysis' frame of its first packet; 0: none */
	uint64_t packets;     /* records read from it (its own last frame number) */
	uint64_t duplicates;  /* merge: its records dropped as copies of another file's */
	const char *error;    /* why it could not be read or its reading stopped; NULL */
	bool truncated;       /* ... it ends in the middle of a record */
};

/* A capture-level warning: one per event code, with the first frame and a count. */
struct kf_warning {
	const char *code;
	const char *message;
	uint64_t frame; /* first frame it happened in (0 = not tied to a frame) */
	uint64_t count;
};

struct kf_result {
	struct kf_arena arena;
	const char *file;        /* as given on the command line */
	const char *format;      /* "pcap" | "pcapng" */
	const char *linktype;    /* name of the first link type ("EN10MB") */
	uint64_t packets, bytes; /* every record read, filtered or not */
	uint64_t first_ts_us, last_ts_us;
	bool have_ts;
	uint64_t filtered_out; /* records the BPF filter rejected */

	struct kf_message *messages; /* sorted by frame, then id */
	size_t n_messages;
	uint32_t *by_addr; /* both endpoints of every message by address, then frame */
	size_t n_by_addr;
	uint64_t (*issued)[2]; /* (ticket cipher hash, message index) of the replies that issue
				* tickets, sorted (kf_result_ticket_issuer) */
	size_t n_issued;
	uint32_t *by_id; /* by_id[id - 1]: index + 1 of message id in messages, 0 when
				      * it is not held (kf_result_message) */
	size_t n_by_id;
	struct kf_tevent *tevents; /* sorted by frame */
	size_t n_tevents;
	struct kf_warning *warnings; /* sorted by frame, then code */
	size_t n_warnings;
	struct kf_tls_hello *tls; /* sorted by frame */
	size_t n_tls;
	struct kf_session *sessions; /* see sessions.h; ordered by first frame */
	size_t n_sessions;
	struct kf_story *stories; /* see stories.h */
	size_t n_stories;
	struct kf_finding *findings; /* see rules.h; ordered by first frame */
	size_t n_findings;
	uint64_t findings_dropped;       /* past KF_LIMIT_FINDINGS_PER_RULE */
	uint64_t session_frames_dropped; /* past KF_LIMIT_SESSION_FRAMES (sessions.c) */

	bool read_error; /* the capture ended early (truncated/corrupt); several
				  * files: one of them could not be read or ended early */

	/* Several files (kf_analyze_files); one capture: 0, NULL, 0, 0 */
	int multi;                     /* enum kf_multi: KF_MULTI_CONTINUOUS | KF_MULTI_MERGE */
	struct kf_capture_file *files; /* in the order given */
	size_t n_files;
	uint64_t merged_duplicates; /* merge: packets dropped as copies seen at another point */

	struct kf_decryption *decryption; /* --keytab: the account of decryption; NULL without */
};

void kf_result_free(struct kf_result *r);

/* Whether two endpoints have the same address (ports aside). */
bool kf_endpoint_same_addr(const struct kf_endpoint *a, const struct kf_endpoint *b);

/* The first message of type in frame (type < 0: any), by binary search of
 * the frame-ordered message list; NULL when there is none. */
const struct kf_message *kf_result_message_at(const struct kf_result *r, uint64_t frame, int type);
/* Index of the first message in frame, or n_messages (binary search). */
size_t kf_result_first_in_frame(const struct kf_result *r, uint64_t frame);

/* The messages with an endpoint at e's address (ports aside), as source or
 * destination, in frame order: n entries, each KF_AT_ADDR_MSG-decoded.  From
 * first_frame on (0: all).  Lets rules look at one client's messages instead
 * of scanning the whole capture for each message they judge. */
struct kf_at_addr {
	const uint32_t *v;
	size_t n;
};
/* Build (or rebuild) that index and the one of ids (by_id): after the
 * messages are final, before the rules (kf_msgstore_finish builds the ids'). */
enum kf_status kf_result_index(struct kf_result *r);
struct kf_at_addr kf_result_at_addr(const struct kf_result *r, const struct kf_endpoint *e,
				    uint64_t first_frame);
#define KF_AT_ADDR_MSG(r, x) (&(r)->messages[(x) >> 1]) /* the message */
#define KF_AT_ADDR_IS_DST(x) ((x)&1)                    /* the address is its destination */

/* A Kerberos or NTLM message carried inside an application protocol's
 * authentication token (HTTP Negotiate, kpasswd, SMB, DNS GSS-TSIG, ...): any
 * carrier but Kerberos' own (port 88).  The application's own records
 * (HTTP-REQUEST, SMB-RESPONSE, DNS, ...) are not tokens. */
bool kf_msg_in_app_protocol(const struct kf_message *m);

/* The message with this id, or NULL when the result does not hold it (id 0,
 * or a message it never kept or has released: nothing may assume every id
 * is held).  The one way from an id to its message. */
const struct kf_message *kf_result_message(const struct kf_result *r, uint32_t id);
/* The reply to a request (its reply_id) and the request of a reply (its
 * request_id), through kf_result_message: NULL when there is none or it is
 * not held.  Replies are linked as the wire saw them: a Kerberos reply to its
 * request, an HTTP record to an HTTP record, a token to a token. */
const struct kf_message *kf_msg_reply(const struct kf_result *r, const struct kf_message *req);
const struct kf_message *kf_msg_request(const struct kf_result *r, const struct kf_message *rep);
/* First message of type in frame (type < 0: any). */
const struct kf_message *kf_msg_at(const struct kf_result *r, uint64_t frame, int type);

/* Tickets (messages.c).  The reply (AS-REP, TGS-REP) that issued ticket t,
 * recognised by its ciphertext; NULL when it is not in the capture. */
const struct kf_message *kf_result_ticket_issuer(const struct kf_result *r, const struct kf_ticket_rec *t);
/* The client a reply issued its ticket to: its cname, or when the KDC hid
 * the name (WELLKNOWN/ANONYMOUS in a TGS-REP, RFC 6113 §5.4.2) the owner of
 * the TGT its request presented, up the chain.  False when the capture does
 * not show it.  A genuinely anonymous ticket (an AS-REP to the anonymous
 * principal, RFC 8062) is reported as anonymous. */
bool kf_reply_client(const struct kf_result *r, const struct kf_message *rep, const char **cname,
		     const char **crealm);
/* The same for a ticket seen presented (an AP-REQ's, a TGS-REQ's TGT). */
bool kf_ticket_client(const struct kf_result *r, const struct kf_ticket_rec *t, const char **cname,
		      const char **crealm);
/* WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS (RFC 8062), crealm may be NULL. */
bool kf_name_is_anonymous(const char *cname, const char *crealm);
/* Build the tickets' index (kf_result_index calls it). */
enum kf_status kf_result_index_tickets(struct kf_result *r);

/* The address of an endpoint as text ("10.88.0.2", "fd88::2"). */
void kf_endpoint_addr(const struct kf_endpoint *e, char *buf, size_t len);

#endif
