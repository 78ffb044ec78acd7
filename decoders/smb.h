/* smb.h - SMB1 (MS-CIFS, MS-SMB) and SMB2/3 (MS-SMB2) messages, as far as
 * authentication needs them: NEGOTIATE (dialect, signing, encryption, the
 * server's SPNEGO hint), SESSION_SETUP (the security buffer, the status, the
 * guest/null flags), TREE_CONNECT (the share path, whether it is IPC$) and
 * LOGOFF; and what DCE/RPC over a named pipe needs: SMB2 CREATE, WRITE,
 * READ and IOCTL (FSCTL_PIPE_TRANSCEIVE), SMB1 NT_CREATE_ANDX, WRITE_ANDX,
 * READ_ANDX and TRANSACTION (TransactNmPipe): the pipe's name, its FileId /
 * FID and the data written or read.
 *
 * Input: one PDU without its 4-byte NetBIOS session header (RFC 1002 §4.3.1
 * on port 139, the same 4 bytes with a 24-bit length on port 445; the carrier
 * frames and strips it).  A PDU holds one SMB1 message and its AndX chain,
 * one SMB2 message or a compound of several (NextCommand), or an SMB3
 * transform header (encrypted: nothing inside is read) or compression
 * transform.
 *
 * Chains are walked forward only: every next command must start after the
 * one before it, and at most KF_LIMIT_SMB_CHAIN are read (more: event
 * SMB_CHAIN_LIMIT, the rest is not read).  Every span points into the input;
 * nothing is allocated.
 */
#ifndef KF_SMB_H
#define KF_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

enum kf_smb_kind {
	KF_SMB_NONE = 0,
	KF_SMB_1,          /* 0xFF 'SMB' */
	KF_SMB_2,          /* 0xFE 'SMB' */
	KF_SMB_ENCRYPTED,  /* 0xFD 'SMB': SMB3 transform header */
	KF_SMB_COMPRESSED, /* 0xFC 'SMB': SMB 3.1.1 compression transform */
};

/* SMB2 commands (MS-SMB2 §2.2.1.2). */
enum kf_smb2_command {
	KF_SMB2_NEGOTIATE = 0,
	KF_SMB2_SESSION_SETUP = 1,
	KF_SMB2_LOGOFF = 2,
	KF_SMB2_TREE_CONNECT = 3,
	KF_SMB2_TREE_DISCONNECT = 4,
	KF_SMB2_CREATE = 5,
	KF_SMB2_READ = 8,
	KF_SMB2_WRITE = 9,
	KF_SMB2_IOCTL = 11,
};

/* FSCTL_PIPE_TRANSCEIVE (MS-FSCC §2.3.49): a named pipe write and read in one IOCTL. */
#define KF_SMB2_FSCTL_PIPE_TRANSCEIVE 0x0011c017u
/* A pipe read or transceive whose message did not fit: more data follows. */
#define KF_NT_STATUS_BUFFER_OVERFLOW 0x80000005u

/* SMB1 commands (MS-CIFS §2.2.2.1) that take part in authentication. */
enum kf_smb1_command {
	KF_SMB1_NEGOTIATE = 0x72,
	KF_SMB1_SESSION_SETUP_ANDX = 0x73,
	KF_SMB1_LOGOFF_ANDX = 0x74,
	KF_SMB1_TREE_CONNECT_ANDX = 0x75,
	KF_SMB1_TRANSACTION = 0x25,
	KF_SMB1_READ_ANDX = 0x2e,
	KF_SMB1_WRITE_ANDX = 0x2f,
	KF_SMB1_NT_CREATE_ANDX = 0xa2,
	KF_SMB1_NO_ANDX = 0xff,
};

/* What a command does to a named pipe, in either dialect: SMB2 CREATE /
 * SMB1 NT_CREATE_ANDX open one; WRITE / WRITE_ANDX write to it; READ /
 * READ_ANDX read; IOCTL FSCTL_PIPE_TRANSCEIVE / TRANSACTION TransactNmPipe
 * write and read in one. */
enum kf_smb_pipe_op {
	KF_SMB_PIPE_NONE = 0,
	KF_SMB_PIPE_OPEN,
	KF_SMB_PIPE_WRITE,
	KF_SMB_PIPE_READ,
	KF_SMB_PIPE_TRANSCEIVE,
};
/* The operation a command of kind may be (from its header alone: an SMB2
 * IOCTL or SMB1 TRANSACTION only may be a transceive). */
int kf_smb_pipe_op_of(int kind, uint16_t command);

/* Session flags of an SMB2 SESSION_SETUP response (§2.2.6); SMB1's Action
 * bit 0 (guest) is reported as KF_SMB_SESSION_GUEST too. */
#define KF_SMB_SESSION_GUEST 0x0001u
#define KF_SMB_SESSION_NULL 0x0002u
#define KF_SMB_SESSION_ENCRYPT 0x0004u

/* NEGOTIATE security mode bits (SMB2 §2.2.3/§2.2.4; SMB1's are mapped). */
#define KF_SMB_SIGNING_ENABLED 0x0001u
#define KF_SMB_SIGNING_REQUIRED 0x0002u

/* One command of a PDU. */
struct kf_smb_cmd {
	uint16_t command; /* enum kf_smb2_command, or the SMB1 command byte */
	bool response;    /* SMB2 SERVER_TO_REDIR / SMB1 FLAGS_REPLY */
	bool has_status;  /* responses: the status below is an NTSTATUS */
	uint32_t status;  /* NTSTATUS (SMB1: only with FLAGS2_NT_STATUS; a DOS error otherwise) */
	bool dos_error;   /* SMB1 response with a DOS error class/code instead */
	uint64_t msg_id;  /* SMB2 MessageId, SMB1 MID */
	uint64_t session; /* SMB2 SessionId, SMB1 UID */
	uint32_t tree_id; /* SMB2 TreeId (0 when async), SMB1 TID */
	bool body_ok;     /* the command's body was read as its kind (else only the header) */
	bool error_body;  /* SMB2: an ERROR response body (§2.2.2) instead of the command's */

	struct kf_span security; /* NEGOTIATE response / SESSION_SETUP security buffer; may be empty */

	/* NEGOTIATE */
	uint16_t dialect;       /* response: SMB2 DialectRevision (0x0202..0x0311, 0x02FF);
				 * SMB1: the index chosen */
	uint16_t max_dialect;   /* request: the highest SMB2 dialect offered */
	uint16_t n_dialects;    /* request: dialects offered */
	uint16_t security_mode; /* KF_SMB_SIGNING_* */
	uint32_t capabilities;  /* SMB2 Capabilities; SMB1 server capabilities */
	bool extended_security; /* SMB1: CAP_EXTENDED_SECURITY / FLAGS2_EXTENDED_SECURITY */

	/* SESSION_SETUP */
	uint16_t session_flags;         /* response: KF_SMB_SESSION_* */
	uint64_t previous_session;      /* SMB2 request: PreviousSessionId (reconnect) */
	struct kf_span account, domain; /* SMB1 without extended security: the names sent */
	bool names_unicode;             /* ... as UTF-16LE */

	/* TREE_CONNECT */
	struct kf_span path; /* request: the share path (`\\server\share`) */
	bool path_unicode;   /* ... as UTF-16LE (SMB2 always) */
	uint8_t share_type;  /* SMB2 response: 1 disk, 2 pipe, 3 print */

	bool ipc; /* TREE_CONNECT response: the share is IPC$ (SMB2 pipe type, SMB1 service "IPC") */

	/* Named pipes (an open request's name is in path) */
	int pipe_op;         /* enum kf_smb_pipe_op, once the body was read as one */
	bool has_file_id;    /* open response, write / read / transceive request, IOCTL response */
	uint8_t file_id[16]; /* SMB2: persistent and volatile parts as on the wire; SMB1: the FID, zeros */
	uint32_t ctl_code;   /* SMB2 IOCTL */
	struct kf_span data; /* write request, read response: the data; transceive: the request's
			      * input, the response's output; may be empty */
};

struct kf_smb_pdu {
	int kind; /* enum kf_smb_kind */
	uint8_t n_cmds;
	struct kf_smb_cmd cmds[KF_LIMIT_SMB_CHAIN];
	bool chain_cut;             /* the chain went on past the cap, backwards or past the end */
	uint64_t transform_session; /* ENCRYPTED: the SessionId of the transform header */
	const char *why;            /* NULL, or why (part of) the PDU was not read: --debug-decode */
};

/* Decode one PDU.  Returns false when it is not SMB (no known magic) or its
 * first header is cut short: then pdu->kind may still say which magic it
 * had.  True when at least the first header was read; a command whose body
 * is damaged keeps body_ok false (event SMB_MALFORMED). */
bool kf_smb_decode(struct kf_span pdu, struct kf_smb_pdu *out, struct kf_events *ev);

/* Just the first header's kind, command and NextCommand/AndX presence, from
 * the first bytes of a PDU: what the carrier needs to decide whether to read
 * the PDU at all (n >= 64 for SMB2; less says "unknown").  Returns false when
 * the bytes are too few to tell or are not SMB. */
struct kf_smb_peek {
	int kind;
	uint16_t command;
	bool response;
	bool chained;     /* SMB2 NextCommand != 0, or an SMB1 AndX command that chains */
	uint64_t msg_id;  /* SMB2 MessageId, SMB1 MID */
	bool async;       /* SMB2: an async header (no TreeId) */
	uint32_t tree_id; /* SMB2 TreeId of a sync header, SMB1 TID */
};
bool kf_smb_peek(struct kf_span first, struct kf_smb_peek *out);

/* Names: "SESSION_SETUP" etc. (SMB2), "SESSION_SETUP_ANDX" etc. (SMB1), and
 * the NTSTATUS values an authentication story meets ("STATUS_LOGON_FAILURE");
 * NULL for others. */
const char *kf_smb2_command_name(uint16_t command);
const char *kf_smb1_command_name(uint8_t command);
const char *kf_ntstatus_name(uint32_t status);
/* "SMB 3.1.1" for 0x0311, "SMB 2.???" for 0x02FF; NULL for others. */
const char *kf_smb2_dialect_name(uint16_t dialect);

#endif
