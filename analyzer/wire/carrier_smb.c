/* carrier_smb.c - SMB on TCP 445 (direct) and 139 (NetBIOS session service):
 * the session framing (RFC 1002 §4.3; a 24-bit length on 445), then per PDU
 * a look at its first header.  PDUs that carry authentication (NEGOTIATE,
 * SESSION_SETUP, TREE_CONNECT, LOGOFF, compounds) are gathered whole, up to
 * KF_LIMIT_SMB_PDU, and decoded (decoders/smb.c): their security buffers go
 * through the token path (gss_token.c) and each command becomes an
 * SMB-REQUEST / SMB-RESPONSE record.  Every other PDU (READ and WRITE data,
 * most of an SMB connection) is counted off without a copy, and in order it
 * skips reassembly too.  A message sits in the frame where its PDU ends.
 *
 * Named pipes: a tree whose TREE_CONNECT response says IPC$ (SMB2 share
 * type pipe, SMB1 service "IPC") is remembered; a CREATE / NT_CREATE_ANDX
 * on it opens a pipe, whose WRITE(_ANDX) data, READ(_ANDX) response data
 * and FSCTL_PIPE_TRANSCEIVE / TransactNmPipe data both ways are a DCE/RPC
 * stream (carrier_dcerpc.h) until its bind phase is over.  Only PDUs on an
 * IPC$ tree with a pipe still binding, and the answers to its CREATEs,
 * READs and IOCTLs, are read whole: every other READ and WRITE is still
 * counted off unread. */
#include <string.h>
#include <strings.h>

#include "base/text.h"
#include "carrier_dcerpc.h"
#include "carriers.h"
#include "emit.h"
#include "gss_token.h"
#include "smb.h"

#define NBSS_SESSION_MESSAGE 0x00
#define NBSS_KEEPALIVE 0x85
#define SMB_PEEK 64u     /* bytes of a PDU looked at before deciding to read it */
#define SMB_PENDING 16u  /* requests awaiting their response on one connection */
#define SMB_IPC_TREES 4u /* IPC$ trees remembered on one connection */
#define SMB_PIPES 4u     /* named pipes followed at a time on one connection */
#define SMB_PIPE_OPS 8u  /* pipe READs and IOCTLs awaiting their response */
#define STATUS_PENDING 0x00000103u

enum smb_dir_state {
	SD_HEADER, /* reading the 4-byte session header */
	SD_PEEK,   /* gathering the PDU's first bytes */
	SD_GATHER, /* gathering the whole PDU */
	SD_SKIP,   /* counting off the rest of a PDU */
	SD_LOST,   /* framing lost: looking for the next SMB header */
};

struct smb_dir {
	enum smb_dir_state st;
	uint8_t hdr[4];
	uint8_t hdr_have;
	uint32_t left; /* bytes of the current PDU still to come */
	uint32_t len;  /* the current PDU's length */
	uint64_t first_frame;
	struct kf_gather g; /* the PDU's bytes (its buffer is kept for the next) */
};

/* A request whose response has not come yet, known by its message id; in
 * SMB1 by its command too, as the commands of an AndX chain share their
 * header's MID.  (In SMB2 the id alone: the SMB2 NEGOTIATE response to an
 * SMB1 NEGOTIATE answers it.) */
struct smb_pending {
	bool used;
	uint64_t msg_id;
	int command;    /* SMB1: the command; SMB2: -1 */
	uint32_t rec;   /* its SMB-REQUEST record */
	uint32_t token; /* the token it carried, 0 none */
	const char *tree;
};

/* A named pipe opened on an IPC$ tree, followed while it binds. */
struct smb_pipe {
	bool used;
	bool open;          /* its CREATE response gave the FileId */
	uint64_t create_id; /* the CREATE request's MessageId */
	uint32_t tree_id;
	uint32_t gen; /* tells a slot's pipes apart, for the operations awaiting answers */
	uint8_t file_id[16];
	struct kf_rpc_conv rpc; /* rpc.pipe: its name */
};

/* A READ or IOCTL on a pipe whose response has not come yet. */
struct smb_pipe_op {
	bool used;
	uint64_t msg_id;
	uint8_t pipe;
	uint32_t gen;
};

/* Named pipe state: allocated with the connection's first IPC$ tree. */
struct smb_pipes {
	bool ipc_used[SMB_IPC_TREES];
	uint32_t ipc_tree[SMB_IPC_TREES];
	uint8_t next_ipc;
	struct smb_pipe pipe[SMB_PIPES];
	uint8_t next_pipe;
	uint32_t gen;
	struct smb_pipe_op op[SMB_PIPE_OPS];
	uint8_t next_op;
};

struct smb_state {
	bool netbios; /* port 139: 17-bit lengths, session request first */
	bool encrypted_said;
	struct smb_dir d[2];
	struct smb_pending pend[SMB_PENDING];
	uint8_t next_pend;
	struct smb_pipes *pipes; /* NULL until an IPC$ tree is connected */
};

static bool smb_open_common(struct kf_conn *c, bool netbios)
{
	struct smb_state *s = kf_calloc(1, sizeof(*s));
	if (!s)
		return false;
	s->netbios = netbios;
	c->cs = s;
	return true;
}

static bool smb_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	return smb_open_common(c, false);
}

static bool nbss_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	return smb_open_common(c, true);
}

/* ------------------------------------------------------- the records ---- */

static const char *path_text(struct kf_run *r, const struct kf_smb_cmd *cmd)
{
	if (!cmd->path.n)
		return NULL;
	char buf[KF_LIMIT_SMB_PATH];
	size_t n = cmd->path_unicode ? kf_text_utf16le(cmd->path, buf, sizeof buf, NULL)
				     : kf_text_latin1(cmd->path, buf, sizeof buf, NULL);
	return kf_arena_strndup(&r->res->arena, buf, n);
}

static const char *name_text(struct kf_run *r, struct kf_span s, bool unicode)
{
	if (!s.n)
		return NULL;
	char buf[KF_LIMIT_NAME];
	size_t n = unicode ? kf_text_utf16le(s, buf, sizeof buf, NULL)
			   : kf_text_latin1(s, buf, sizeof buf, NULL);
	return kf_arena_strndup(&r->res->arena, buf, n);
}

/* command: the SMB1 command to match, or -1 for any (SMB2). */
static struct smb_pending *pending_find(struct smb_state *s, uint64_t msg_id, int command)
{
	for (unsigned i = 0; i < SMB_PENDING; i++)
		if (s->pend[i].used && s->pend[i].msg_id == msg_id &&
		    (command < 0 || s->pend[i].command == command))
			return &s->pend[i];
	return NULL;
}

static void pending_add(struct smb_state *s, uint64_t msg_id, int command, uint32_t rec, uint32_t token,
			const char *tree)
{
	struct smb_pending *p = pending_find(s, msg_id, command);
	if (!p) { /* the oldest slot is reused: its response is no longer matched */
		p = &s->pend[s->next_pend];
		s->next_pend = (uint8_t)((s->next_pend + 1) % SMB_PENDING);
	}
	p->used = true;
	p->msg_id = msg_id;
	p->command = command;
	p->rec = rec;
	p->token = token;
	p->tree = tree;
}

static bool worth_a_record(int kind, uint16_t command)
{
	if (kind == KF_SMB_2)
		return command <= KF_SMB2_TREE_CONNECT;
	return command == KF_SMB1_NEGOTIATE || command == KF_SMB1_SESSION_SETUP_ANDX ||
	       command == KF_SMB1_LOGOFF_ANDX || command == KF_SMB1_TREE_CONNECT_ANDX;
}

static uint8_t carrier_of(int kind) { return kind == KF_SMB_1 ? KF_CARRIER_SMB : KF_CARRIER_SMB2; }

/* One command of a PDU: its token, then its record, linked to its request. */
static void on_command(struct kf_run *r, struct kf_conn *c, int dir, const struct smb_dir *d, int kind,
		       const struct kf_smb_cmd *cmd, bool compound)
{
	struct smb_state *s = c->cs;
	uint8_t carrier = carrier_of(kind);
	struct kf_smb_rec *rec = kf_arena_zalloc(&r->res->arena, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	rec->command = cmd->command;
	rec->command_name = kind == KF_SMB_1 ? kf_smb1_command_name((uint8_t)cmd->command)
					     : kf_smb2_command_name(cmd->command);
	rec->has_status = cmd->has_status;
	rec->status = cmd->status;
	rec->dos_error = cmd->dos_error;
	rec->session_id = cmd->session;
	rec->message_id = cmd->msg_id;
	rec->tree_id = cmd->tree_id;
	rec->compound = compound;
	bool negotiate =
		kind == KF_SMB_1 ? cmd->command == KF_SMB1_NEGOTIATE : cmd->command == KF_SMB2_NEGOTIATE;
	if (negotiate) {
		rec->dialect = cmd->dialect;
		rec->max_dialect = cmd->max_dialect;
		rec->signing_enabled = (cmd->security_mode & KF_SMB_SIGNING_ENABLED) != 0;
		rec->signing_required = (cmd->security_mode & KF_SMB_SIGNING_REQUIRED) != 0;
		rec->encryption_capable = kind == KF_SMB_2 && (cmd->capabilities & 0x40u) != 0;
	}
	rec->session_flags = cmd->session_flags;
	rec->account = name_text(r, cmd->account, cmd->names_unicode);
	rec->domain = name_text(r, cmd->domain, cmd->names_unicode);
	if (!cmd->response)
		rec->tree = path_text(r, cmd);

	int match = kind == KF_SMB_1 ? cmd->command : -1;
	struct smb_pending *req = cmd->response ? pending_find(s, cmd->msg_id, match) : NULL;
	if (req && !rec->tree)
		rec->tree = req->tree;

	/* the token first, as HTTP records it: the record follows in the same frame */
	int64_t token = -1;
	struct kf_token_summary sum;
	memset(&sum, 0, sizeof sum);
	if (cmd->security.n) {
		struct kf_token_origin o = { c, dir, carrier, d->first_frame, KF_SENDER_UNKNOWN };
		token = kf_gss_token(r, &o, cmd->security, &sum);
		rec->token_bytes = sum.token_bytes ? sum.token_bytes : (uint32_t)cmd->security.n;
		rec->token_invalid = sum.invalid;
	}

	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = cmd->response ? KF_MSG_SMB_RESPONSE : KF_MSG_SMB_REQUEST;
	msg.first_frame = d->first_frame;
	msg.smb = rec;
	msg.spnego = sum.bare_spnego; /* a NEGOTIATE response's NegTokenInit2: the mechanisms offered */
	uint32_t id;
	if (!kf_emit(r, c, dir, carrier, &msg, NULL, &id))
		return;
	if (!cmd->response) {
		pending_add(s, cmd->msg_id, match, id, token > 0 ? (uint32_t)token : 0, rec->tree);
		return;
	}
	if (!req)
		return;
	kf_msgstore_link(&r->store, req->rec, id);
	if (req->token && token > 0)
		kf_msgstore_link(&r->store, req->token, (uint32_t)token);
	req->used = false;
}

/* The first encrypted PDU of a connection: said once, never opened. */
static void on_encrypted(struct kf_run *r, struct kf_conn *c, int dir, const struct smb_dir *d,
			 const struct kf_smb_pdu *pdu)
{
	struct smb_state *s = c->cs;
	if (s->encrypted_said)
		return;
	s->encrypted_said = true;
	struct kf_smb_rec *rec = kf_arena_zalloc(&r->res->arena, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	rec->encrypted = true;
	rec->session_id = pdu->transform_session;
	rec->command = UINT16_MAX;
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = dir == 0 ? KF_MSG_SMB_REQUEST : KF_MSG_SMB_RESPONSE;
	msg.first_frame = d->first_frame;
	msg.smb = rec;
	uint32_t id;
	(void)kf_emit(r, c, dir, KF_CARRIER_SMB2, &msg, NULL, &id);
}

/* ------------------------------------------------------ named pipes ---- */

static bool ipc_tree(const struct smb_pipes *p, uint32_t tree_id)
{
	for (unsigned i = 0; i < SMB_IPC_TREES; i++)
		if (p->ipc_used[i] && p->ipc_tree[i] == tree_id)
			return true;
	return false;
}

static void ipc_add(struct kf_run *r, struct smb_state *s, uint32_t tree_id)
{
	if (!s->pipes) {
		s->pipes = kf_calloc(1, sizeof(*s->pipes));
		if (!s->pipes) {
			kf_run_nomem(r);
			return;
		}
	}
	struct smb_pipes *p = s->pipes;
	if (ipc_tree(p, tree_id))
		return;
	p->ipc_used[p->next_ipc] = true; /* the earliest remembered gives way */
	p->ipc_tree[p->next_ipc] = tree_id;
	p->next_ipc = (uint8_t)((p->next_ipc + 1) % SMB_IPC_TREES);
}

static bool binding(const struct smb_pipe *pp) { return pp->used && pp->open; }

/* An open pipe still binding with this FileId, or NULL. */
static struct smb_pipe *pipe_by_file(struct smb_pipes *p, const uint8_t file_id[16])
{
	for (unsigned i = 0; i < SMB_PIPES; i++)
		if (binding(&p->pipe[i]) && !memcmp(p->pipe[i].file_id, file_id, 16))
			return &p->pipe[i];
	return NULL;
}

static bool pipe_on_tree(const struct smb_pipes *p, uint32_t tree_id)
{
	for (unsigned i = 0; i < SMB_PIPES; i++)
		if (binding(&p->pipe[i]) && p->pipe[i].tree_id == tree_id)
			return true;
	return false;
}

static void pipe_drop(struct smb_pipe *pp)
{
	kf_rpc_conv_free(&pp->rpc);
	pp->used = false;
}

/* A slot for a new pipe: a free one, else the slots give way in turn. */
static struct smb_pipe *pipe_new(struct smb_pipes *p)
{
	struct smb_pipe *pp = NULL;
	for (unsigned i = 0; i < SMB_PIPES && !pp; i++)
		if (!p->pipe[i].used)
			pp = &p->pipe[i];
	if (!pp) {
		pp = &p->pipe[p->next_pipe];
		p->next_pipe = (uint8_t)((p->next_pipe + 1) % SMB_PIPES);
		pipe_drop(pp);
	}
	memset(pp, 0, sizeof *pp); /* its buffers were freed when it was let go */
	pp->used = true;
	pp->gen = ++p->gen;
	return pp;
}

static struct smb_pipe_op *op_find(struct smb_pipes *p, uint64_t msg_id)
{
	for (unsigned i = 0; i < SMB_PIPE_OPS; i++)
		if (p->op[i].used && p->op[i].msg_id == msg_id)
			return &p->op[i];
	return NULL;
}

static void op_add(struct smb_pipes *p, uint64_t msg_id, const struct smb_pipe *pp)
{
	struct smb_pipe_op *op = op_find(p, msg_id);
	if (!op) {
		op = &p->op[p->next_op];
		p->next_op = (uint8_t)((p->next_op + 1) % SMB_PIPE_OPS);
	}
	op->used = true;
	op->msg_id = msg_id;
	op->pipe = (uint8_t)(pp - p->pipe);
	op->gen = pp->gen;
}

/* The pipe's name as its open gave it, without `\pipe\`. */
static const char *pipe_name(struct kf_run *r, const struct kf_smb_cmd *cmd)
{
	char buf[KF_LIMIT_NAME];
	size_t n = cmd->path_unicode ? kf_text_utf16le(cmd->path, buf, sizeof buf, NULL)
				     : kf_text_latin1(cmd->path, buf, sizeof buf, NULL);
	const char *t = buf;
	while (n && *t == '\\')
		t++, n--;
	if (n > 5 && !strncasecmp(t, "pipe\\", 5))
		t += 5, n -= 5;
	return kf_arena_strndup(&r->res->arena, t, n);
}

/* DCE/RPC bytes of a pipe: fed on, and the pipe let go once its bind phase
 * is over and the first call answered (a fault there refuses an AUTH3). */
static void pipe_data(struct kf_run *r, struct kf_conn *c, struct smb_pipe *pp, int dir, struct kf_span data)
{
	kf_rpc_conv_feed(r, c, &pp->rpc, dir, data);
	if ((pp->rpc.calls_seen && !pp->rpc.first_call_open) || kf_rpc_conv_lost(&pp->rpc))
		pipe_drop(pp);
}

static bool status_ok(const struct kf_smb_cmd *cmd) { return cmd->status == 0 && !cmd->dos_error; }

/* A request that opens, writes to or reads from a pipe. */
static void pipe_request(struct kf_run *r, struct kf_conn *c, struct smb_pipes *p,
			 const struct kf_smb_cmd *cmd)
{
	if (cmd->pipe_op == KF_SMB_PIPE_OPEN) {
		if (!ipc_tree(p, cmd->tree_id) || !cmd->path.n)
			return;
		struct smb_pipe *pp = pipe_new(p);
		pp->create_id = cmd->msg_id;
		pp->tree_id = cmd->tree_id;
		pp->rpc.pipe = pipe_name(r, cmd);
		return;
	}
	struct smb_pipe *pp = cmd->has_file_id ? pipe_by_file(p, cmd->file_id) : NULL;
	if (!pp || pp->tree_id != cmd->tree_id)
		return;
	if (cmd->pipe_op != KF_SMB_PIPE_READ)
		pipe_data(r, c, pp, 0, cmd->data);
	if (cmd->pipe_op != KF_SMB_PIPE_WRITE && pp->used)
		op_add(p, cmd->msg_id, pp);
}

/* The answer to an open, a read or a transceive. */
static void pipe_answer(struct kf_run *r, struct kf_conn *c, struct smb_pipes *p,
			const struct kf_smb_cmd *cmd)
{
	if (cmd->error_body && cmd->status == STATUS_PENDING)
		return; /* SMB2: the final answer comes later, async */
	for (unsigned i = 0; i < SMB_PIPES; i++) {
		struct smb_pipe *pp = &p->pipe[i];
		if (!pp->used || pp->open || pp->create_id != cmd->msg_id)
			continue;
		if (!status_ok(cmd) || cmd->pipe_op != KF_SMB_PIPE_OPEN) {
			pipe_drop(pp);
			return;
		}
		memcpy(pp->file_id, cmd->file_id, 16);
		pp->open = true;
		return;
	}
	struct smb_pipe_op *op = op_find(p, cmd->msg_id);
	if (!op)
		return;
	op->used = false;
	struct smb_pipe *pp = &p->pipe[op->pipe];
	if (!binding(pp) || pp->gen != op->gen)
		return;
	bool reads = cmd->pipe_op == KF_SMB_PIPE_READ || cmd->pipe_op == KF_SMB_PIPE_TRANSCEIVE;
	/* STATUS_BUFFER_OVERFLOW: the rest of the message comes in the next read */
	if (reads && (status_ok(cmd) || cmd->status == KF_NT_STATUS_BUFFER_OVERFLOW))
		pipe_data(r, c, pp, 1, cmd->data);
}

/* A command that may open, feed or answer a named pipe (SMB2 or SMB1). */
static void pipe_command(struct kf_run *r, struct kf_conn *c, const struct kf_smb_cmd *cmd)
{
	struct smb_state *s = c->cs;
	if (cmd->ipc && status_ok(cmd)) {
		ipc_add(r, s, cmd->tree_id);
		return;
	}
	struct smb_pipes *p = s->pipes;
	if (!p || !cmd->body_ok)
		return;
	if (cmd->response)
		pipe_answer(r, c, p, cmd);
	else if (cmd->pipe_op)
		pipe_request(r, c, p, cmd);
}

/* From a PDU's first header: does it open, feed or answer a pipe still binding? */
static bool pipe_wants(const struct smb_state *s, const struct kf_smb_peek *pk)
{
	struct smb_pipes *p = s->pipes;
	if (!p)
		return false;
	switch (kf_smb_pipe_op_of(pk->kind, pk->command)) {
	case KF_SMB_PIPE_OPEN:
		if (!pk->response)
			return !pk->async && ipc_tree(p, pk->tree_id);
		for (unsigned i = 0; i < SMB_PIPES; i++)
			if (p->pipe[i].used && !p->pipe[i].open && p->pipe[i].create_id == pk->msg_id)
				return true;
		return false;
	case KF_SMB_PIPE_WRITE: return !pk->response && !pk->async && pipe_on_tree(p, pk->tree_id);
	case KF_SMB_PIPE_READ:
	case KF_SMB_PIPE_TRANSCEIVE:
		if (!pk->response)
			return !pk->async && pipe_on_tree(p, pk->tree_id);
		return op_find(p, pk->msg_id) != NULL;
	default: return false;
	}
}

static void on_pdu(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span bytes)
{
	const struct smb_dir *d = &((struct smb_state *)c->cs)->d[dir];
	struct kf_smb_pdu pdu; /* about 2 KiB */
	if (!kf_smb_decode(bytes, &pdu, &r->ev)) {
		if (pdu.why)
			kf_run_debug(r, pdu.why);
		return;
	}
	if (pdu.why)
		kf_run_debug(r, pdu.why);
	if (pdu.kind == KF_SMB_ENCRYPTED) {
		on_encrypted(r, c, dir, d, &pdu);
		return;
	}
	if (pdu.kind != KF_SMB_1 && pdu.kind != KF_SMB_2)
		return;
	for (unsigned i = 0; i < pdu.n_cmds; i++) {
		if (worth_a_record(pdu.kind, pdu.cmds[i].command))
			on_command(r, c, dir, d, pdu.kind, &pdu.cmds[i], pdu.n_cmds > 1);
		pipe_command(r, c, &pdu.cmds[i]);
	}
}

/* -------------------------------------------------------- the framing ---- */

/* Does the PDU whose first bytes are in g need reading whole? */
static bool wants_pdu(const struct smb_state *s, struct kf_span first)
{
	struct kf_smb_peek pk;
	if (!kf_smb_peek(first, &pk))
		return false;
	if (pk.kind == KF_SMB_ENCRYPTED)
		return true; /* only its transform header is read */
	if (pk.chained)
		return true;
	return worth_a_record(pk.kind, pk.command) || pipe_wants(s, &pk);
}

/* The session header is read: what the PDU is and what to do with it. */
static void header_done(struct kf_run *r, struct smb_state *s, struct smb_dir *d)
{
	const uint8_t *h = d->hdr;
	uint32_t len;
	if (s->netbios) {
		if (h[1] & 0xfe) {
			d->st = SD_LOST;
			kf_events_add(&r->ev, KF_EV_SMB_FRAMING_LOST);
			return;
		}
		len = ((uint32_t)(h[1] & 1u) << 16) | ((uint32_t)h[2] << 8) | h[3];
	} else {
		len = ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
	}
	bool known = h[0] == NBSS_SESSION_MESSAGE || (h[0] >= 0x81 && h[0] <= 0x85);
	if (!known || (h[0] == NBSS_KEEPALIVE && len != 0)) {
		d->st = SD_LOST;
		kf_events_add(&r->ev, KF_EV_SMB_FRAMING_LOST);
		return;
	}
	d->len = len;
	d->left = len;
	d->g.len = 0;
	d->first_frame = r->frame;
	if (len == 0)
		d->st = SD_HEADER;
	else
		d->st = h[0] == NBSS_SESSION_MESSAGE ? SD_PEEK : SD_SKIP;
}

/* The PDU is complete in g. */
static void pdu_done(struct kf_run *r, struct kf_conn *c, int dir, struct smb_dir *d)
{
	on_pdu(r, c, dir, kf_span_make(d->g.buf, d->g.len));
	d->g.len = 0;
	d->st = SD_HEADER;
}

/* Framing lost: the next place in data where a session message header
 * is followed by an SMB magic, or data.n. */
static size_t resync(struct kf_span data)
{
	for (size_t i = 0; i + 8 <= data.n; i++) {
		const uint8_t *p = data.p + i;
		if (p[0] == 0 && (p[5] == 'S' && p[6] == 'M' && p[7] == 'B') && p[4] >= 0xfc)
			return i;
	}
	return data.n;
}

static void feed(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data)
{
	struct smb_state *s = c->cs;
	struct smb_dir *d = &s->d[dir];
	while (data.n) {
		switch (d->st) {
		case SD_LOST: {
			size_t at = resync(data);
			data = kf_span_make(data.p + at, data.n - at);
			if (!data.n)
				return;
			d->st = SD_HEADER;
			d->hdr_have = 0;
			break;
		}
		case SD_HEADER:
			d->hdr[d->hdr_have++] = data.p[0];
			data = kf_span_make(data.p + 1, data.n - 1);
			if (d->hdr_have == 4) {
				d->hdr_have = 0;
				header_done(r, s, d);
			}
			break;
		case SD_SKIP: {
			size_t take = data.n < d->left ? data.n : d->left;
			d->left -= (uint32_t)take;
			data = kf_span_make(data.p + take, data.n - take);
			if (!d->left)
				d->st = SD_HEADER;
			break;
		}
		case SD_PEEK:
		case SD_GATHER: {
			size_t want = d->st == SD_PEEK ? (d->len < SMB_PEEK ? d->len : SMB_PEEK) - d->g.len
						       : d->left;
			size_t take = data.n < want ? data.n : want;
			if (!kf_gather_add(r, &d->g, kf_span_make(data.p, take), KF_LIMIT_SMB_PDU)) {
				d->st = SD_LOST;
				return;
			}
			data = kf_span_make(data.p + take, data.n - take);
			d->left -= (uint32_t)take;
			if (!d->left) { /* a PDU shorter than the peek is read only if wanted too */
				if (d->st == SD_GATHER || wants_pdu(s, kf_span_make(d->g.buf, d->g.len)))
					pdu_done(r, c, dir, d);
				d->g.len = 0;
				d->st = SD_HEADER;
				break;
			}
			if (d->st == SD_GATHER || d->g.len < SMB_PEEK)
				break;
			/* the first bytes are in: read the rest, or count it off */
			if (!wants_pdu(s, kf_span_make(d->g.buf, d->g.len))) {
				d->st = SD_SKIP;
			} else if (d->len > KF_LIMIT_SMB_PDU) {
				kf_events_add(&r->ev, KF_EV_SMB_PDU_TOO_BIG);
				d->st = SD_SKIP;
			} else {
				d->st = SD_GATHER;
			}
			break;
		}
		}
	}
}

static void smb_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	struct smb_dir *d = &((struct smb_state *)c->cs)->d[dir];
	if (!gap_len) {
		feed(r, c, dir, data);
		return;
	}
	if (d->st == SD_SKIP && d->left >= gap_len) { /* lost bytes nobody wanted */
		d->left -= gap_len;
		if (!d->left)
			d->st = SD_HEADER;
		return;
	}
	if (d->st != SD_LOST)
		kf_events_add(&r->ev, KF_EV_SMB_FRAMING_LOST);
	d->st = SD_LOST;
	d->g.len = 0;
}

static bool smb_skippable(struct kf_conn *c, int dir, size_t n)
{
	const struct smb_dir *d = &((struct smb_state *)c->cs)->d[dir];
	return d->st == SD_SKIP && d->left >= n;
}

static void smb_skipped(struct kf_run *r, struct kf_conn *c, int dir, size_t n)
{
	(void)r;
	struct smb_dir *d = &((struct smb_state *)c->cs)->d[dir];
	d->left -= (uint32_t)n;
	if (!d->left)
		d->st = SD_HEADER;
}

static void smb_release(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct smb_state *s = c->cs;
	kf_gather_free(&s->d[0].g);
	kf_gather_free(&s->d[1].g);
	if (s->pipes)
		for (unsigned i = 0; i < SMB_PIPES; i++)
			kf_rpc_conv_free(&s->pipes->pipe[i].rpc);
	kf_free(s->pipes);
	kf_free(s);
	c->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_smb = {
	.name = "smb",
	.port = 445,
	.tcp = true,
	.open = smb_open,
	.stream = smb_stream,
	.skippable = smb_skippable,
	.skipped = smb_skipped,
	.release = smb_release,
};

const struct kf_carrier_ops kf_carrier_nbss = {
	.name = "smb-netbios",
	.port = 139,
	.tcp = true,
	.open = nbss_open,
	.stream = smb_stream,
	.skippable = smb_skippable,
	.skipped = smb_skipped,
	.release = smb_release,
};
