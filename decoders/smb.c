/* smb.c - SMB1 and SMB2/3 headers and the commands authentication rides on
 * (see smb.h).  Offsets in SMB bodies count from the start of the message's
 * header, so every command keeps a span of its whole message for slicing. */
#include "smb.h"

#include <string.h>

#include "base/cursor.h"

static const uint8_t MAGIC_SMB1[4] = { 0xff, 'S', 'M', 'B' };
static const uint8_t MAGIC_SMB2[4] = { 0xfe, 'S', 'M', 'B' };
static const uint8_t MAGIC_TRANSFORM[4] = { 0xfd, 'S', 'M', 'B' };
static const uint8_t MAGIC_COMPRESSED[4] = { 0xfc, 'S', 'M', 'B' };

#define SMB2_HEADER 64u
#define SMB1_HEADER 32u
#define SMB2_FLAG_RESPONSE 0x00000001u
#define SMB2_FLAG_ASYNC 0x00000002u
#define SMB1_FLAGS_REPLY 0x80u
#define SMB1_FLAGS2_EXTENDED_SECURITY 0x0800u
#define SMB1_FLAGS2_NT_STATUS 0x4000u
#define SMB1_FLAGS2_UNICODE 0x8000u
#define SMB1_CAP_EXTENDED_SECURITY 0x80000000u
#define STATUS_MORE_PROCESSING_REQUIRED 0xc0000016u

static int kind_of(struct kf_span s)
{
	if (s.n < 4)
		return KF_SMB_NONE;
	if (!memcmp(s.p, MAGIC_SMB2, 4))
		return KF_SMB_2;
	if (!memcmp(s.p, MAGIC_SMB1, 4))
		return KF_SMB_1;
	if (!memcmp(s.p, MAGIC_TRANSFORM, 4))
		return KF_SMB_ENCRYPTED;
	if (!memcmp(s.p, MAGIC_COMPRESSED, 4))
		return KF_SMB_COMPRESSED;
	return KF_SMB_NONE;
}

/* Said once per PDU for each reason: a compound of damaged commands must not
 * fill the caller's event sink with the same event and push out the others
 * (the sink keeps repeats in slots of their own until it is full). */
static void malformed(struct kf_smb_pdu *out, struct kf_events *ev, const char *why)
{
	if (out->why == why)
		return;
	if (!out->why)
		out->why = why;
	kf_events_add(ev, KF_EV_SMB_MALFORMED);
}

/* A buffer given by offset (from the message's header) and length; false
 * when it does not lie inside msg or starts inside the fixed part. */
static bool buffer_at(struct kf_span msg, size_t min_off, uint32_t off, uint32_t len, struct kf_span *out)
{
	*out = kf_span_make(NULL, 0);
	if (len == 0)
		return true;
	if (off < min_off)
		return false;
	return kf_span_slice_at(msg, off, len, out);
}

/* ------------------------------------------------------------- SMB2 ---- */

static void smb2_negotiate(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	uint16_t size = kf_cur_le16(b);
	if (!c->response) {
		if (size != 36)
			return;
		c->n_dialects = kf_cur_le16(b);
		c->security_mode = kf_cur_le16(b) & 3u;
		kf_cur_skip(b, 2);
		c->capabilities = kf_cur_le32(b);
		kf_cur_skip(b, 16 + 8);
		for (uint16_t i = 0; i < c->n_dialects && kf_cur_ok(b); i++) {
			uint16_t d = kf_cur_le16(b);
			if (kf_cur_ok(b) && d > c->max_dialect && d != 0x02ff)
				c->max_dialect = d;
		}
		c->body_ok = kf_cur_ok(b);
		return;
	}
	if (size != 65)
		return;
	c->security_mode = kf_cur_le16(b) & 3u;
	c->dialect = kf_cur_le16(b);
	kf_cur_skip(b, 2 + 16);
	c->capabilities = kf_cur_le32(b);
	kf_cur_skip(b, 4 + 4 + 4 + 8 + 8);
	uint16_t off = kf_cur_le16(b), len = kf_cur_le16(b);
	c->body_ok = kf_cur_ok(b) && buffer_at(msg, SMB2_HEADER + 64, off, len, &c->security);
}

static void smb2_session_setup(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	uint16_t size = kf_cur_le16(b);
	if (!c->response) {
		if (size != 25)
			return;
		kf_cur_skip(b, 1); /* flags */
		c->security_mode = kf_cur_u8(b) & 3u;
		c->capabilities = kf_cur_le32(b);
		kf_cur_skip(b, 4); /* channel */
		uint16_t off = kf_cur_le16(b), len = kf_cur_le16(b);
		c->previous_session = kf_cur_le32(b);
		c->previous_session |= (uint64_t)kf_cur_le32(b) << 32;
		c->body_ok = kf_cur_ok(b) && buffer_at(msg, SMB2_HEADER + 24, off, len, &c->security);
		return;
	}
	if (size != 9)
		return;
	c->session_flags = kf_cur_le16(b) & 7u;
	uint16_t off = kf_cur_le16(b), len = kf_cur_le16(b);
	c->body_ok = kf_cur_ok(b) && buffer_at(msg, SMB2_HEADER + 8, off, len, &c->security);
}

static void smb2_tree_connect(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	uint16_t size = kf_cur_le16(b);
	if (!c->response) {
		if (size != 9)
			return;
		kf_cur_skip(b, 2);
		uint16_t off = kf_cur_le16(b), len = kf_cur_le16(b);
		c->path_unicode = true;
		c->body_ok = kf_cur_ok(b) && buffer_at(msg, SMB2_HEADER + 8, off, len, &c->path);
		return;
	}
	if (size != 16)
		return;
	c->share_type = kf_cur_u8(b);
	c->ipc = c->share_type == 2;
	c->body_ok = kf_cur_ok(b);
}

static void file_id(struct kf_smb_cmd *c, struct kf_cur *b)
{
	struct kf_span id = kf_cur_bytes(b, 16);
	if (!kf_cur_ok(b))
		return;
	memcpy(c->file_id, id.p, 16);
	c->has_file_id = true;
}

/* CREATE (§2.2.13, §2.2.14): the request's name, the response's FileId. */
static void smb2_create(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	uint16_t size = kf_cur_le16(b);
	if (!c->response) {
		if (size != 57)
			return;
		kf_cur_skip(b, 42);
		uint16_t off = kf_cur_le16(b), len = kf_cur_le16(b);
		c->path_unicode = true;
		c->body_ok = kf_cur_ok(b) && buffer_at(msg, SMB2_HEADER + 56, off, len, &c->path);
		return;
	}
	if (size != 89)
		return;
	kf_cur_skip(b, 62);
	file_id(c, b);
	c->body_ok = c->has_file_id;
}

/* READ (§2.2.19, §2.2.20): the request's FileId, the response's data. */
static void smb2_read(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	uint16_t size = kf_cur_le16(b);
	if (!c->response) {
		if (size != 49)
			return;
		kf_cur_skip(b, 14);
		file_id(c, b);
		c->body_ok = c->has_file_id;
		return;
	}
	if (size != 17)
		return;
	uint8_t off = kf_cur_u8(b);
	kf_cur_skip(b, 1);
	uint32_t len = kf_cur_le32(b);
	c->body_ok = kf_cur_ok(b) && buffer_at(msg, SMB2_HEADER + 16, off, len, &c->data);
}

/* WRITE request (§2.2.21): FileId and data. */
static void smb2_write(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	uint16_t size = kf_cur_le16(b);
	if (c->response || size != 49)
		return;
	uint16_t off = kf_cur_le16(b);
	uint32_t len = kf_cur_le32(b);
	kf_cur_skip(b, 8);
	file_id(c, b);
	c->body_ok = c->has_file_id && buffer_at(msg, SMB2_HEADER + 48, off, len, &c->data);
}

/* IOCTL (§2.2.31, §2.2.32): CtlCode, FileId, the request's input or the
 * response's output. */
static void smb2_ioctl(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	uint16_t size = kf_cur_le16(b);
	if (size != (c->response ? 49 : 57))
		return;
	kf_cur_skip(b, 2);
	c->ctl_code = kf_cur_le32(b);
	file_id(c, b);
	uint32_t in_off = kf_cur_le32(b), in_len = kf_cur_le32(b);
	if (!c->response)
		kf_cur_skip(b, 4); /* MaxInputResponse */
	uint32_t out_off = kf_cur_le32(b), out_len = kf_cur_le32(b);
	if (!kf_cur_ok(b) || !c->has_file_id)
		return;
	size_t fixed = SMB2_HEADER + (c->response ? 48u : 56u);
	if (c->response)
		c->body_ok = buffer_at(msg, fixed, out_off, out_len, &c->data);
	else
		c->body_ok = buffer_at(msg, fixed, in_off, in_len, &c->data);
}

/* An ERROR response (§2.2.2): StructureSize 9 like a SESSION_SETUP
 * response, told apart by the status. */
static bool smb2_is_error(const struct kf_smb_cmd *c)
{
	if (!c->response || (c->status >> 30) != 3u)
		return false;
	/* SESSION_SETUP's MORE_PROCESSING_REQUIRED carries the next token */
	if (c->status == STATUS_MORE_PROCESSING_REQUIRED)
		return false;
	return true;
}

static void smb2_body(struct kf_smb_cmd *c, struct kf_span msg, struct kf_cur *b)
{
	if (smb2_is_error(c)) {
		/* A failed SESSION_SETUP may still hold a token (a SPNEGO reject
		 * with a KRB-ERROR) in the session setup layout: try it first. */
		if (c->command == KF_SMB2_SESSION_SETUP) {
			struct kf_cur t = *b;
			smb2_session_setup(c, msg, &t);
			if (c->body_ok && c->security.n > 0)
				return;
			c->body_ok = false;
			c->session_flags = 0;
			c->security = kf_span_make(NULL, 0);
		}
		c->error_body = true;
		c->body_ok = kf_cur_le16(b) == 9 && kf_cur_ok(b);
		return;
	}
	switch (c->command) {
	case KF_SMB2_NEGOTIATE: smb2_negotiate(c, msg, b); break;
	case KF_SMB2_SESSION_SETUP: smb2_session_setup(c, msg, b); break;
	case KF_SMB2_TREE_CONNECT: smb2_tree_connect(c, msg, b); break;
	case KF_SMB2_CREATE:
	case KF_SMB2_READ:
	case KF_SMB2_WRITE:
	case KF_SMB2_IOCTL: {
		/* an interim STATUS_PENDING answer has the ERROR body */
		struct kf_cur t = *b;
		if (c->response && kf_cur_le16(&t) == 9 && kf_cur_ok(&t)) {
			c->error_body = true;
			c->body_ok = true;
			break;
		}
		if (c->command == KF_SMB2_CREATE)
			smb2_create(c, msg, b);
		else if (c->command == KF_SMB2_READ)
			smb2_read(c, msg, b);
		else if (c->command == KF_SMB2_WRITE)
			smb2_write(c, msg, b);
		else
			smb2_ioctl(c, msg, b);
		bool pipe = c->command != KF_SMB2_IOCTL || c->ctl_code == KF_SMB2_FSCTL_PIPE_TRANSCEIVE;
		if (c->body_ok && pipe)
			c->pipe_op = kf_smb_pipe_op_of(KF_SMB_2, c->command);
		break;
	}
	default: c->body_ok = kf_cur_le16(b) != 0 && kf_cur_ok(b); break;
	}
}

static void smb2_decode(struct kf_span pdu, struct kf_smb_pdu *out, struct kf_events *ev)
{
	size_t at = 0;
	while (at < pdu.n) {
		if (out->n_cmds == KF_LIMIT_SMB_CHAIN) {
			out->chain_cut = true;
			kf_events_add(ev, KF_EV_SMB_CHAIN_LIMIT);
			if (!out->why)
				out->why = "SMB2 compound longer than the cap";
			return;
		}
		struct kf_span rest = kf_span_make(pdu.p + at, pdu.n - at);
		struct kf_cur h = kf_cur_make(rest);
		struct kf_span magic = kf_cur_bytes(&h, 4);
		uint16_t hsize = kf_cur_le16(&h);
		if (!kf_cur_ok(&h) || memcmp(magic.p, MAGIC_SMB2, 4) || hsize != SMB2_HEADER ||
		    rest.n < SMB2_HEADER) {
			if (out->n_cmds == 0)
				out->kind = KF_SMB_NONE;
			malformed(out, ev, "SMB2 header cut short or without its magic");
			return;
		}
		struct kf_smb_cmd *c = &out->cmds[out->n_cmds++];
		memset(c, 0, sizeof *c);
		kf_cur_skip(&h, 2); /* credit charge */
		uint32_t status = kf_cur_le32(&h);
		c->command = kf_cur_le16(&h);
		kf_cur_skip(&h, 2); /* credits */
		uint32_t flags = kf_cur_le32(&h);
		uint32_t next = kf_cur_le32(&h);
		c->msg_id = kf_cur_le32(&h);
		c->msg_id |= (uint64_t)kf_cur_le32(&h) << 32;
		if (flags & SMB2_FLAG_ASYNC) {
			kf_cur_skip(&h, 8);
		} else {
			kf_cur_skip(&h, 4);
			c->tree_id = kf_cur_le32(&h);
		}
		c->session = kf_cur_le32(&h);
		c->session |= (uint64_t)kf_cur_le32(&h) << 32;
		kf_cur_skip(&h, 16); /* signature */
		c->response = (flags & SMB2_FLAG_RESPONSE) != 0;
		if (c->response) { /* in requests the field is ChannelSequence */
			c->has_status = true;
			c->status = status;
		}
		/* the message: up to the next command, or the end of the PDU */
		size_t len = rest.n;
		if (next != 0) {
			if (next < SMB2_HEADER || next > rest.n) {
				out->chain_cut = true;
				kf_events_add(ev, KF_EV_SMB_CHAIN_LIMIT);
				if (!out->why)
					out->why = "SMB2 NextCommand points outside the PDU";
				next = 0;
			} else {
				len = next;
			}
		}
		struct kf_span msg = kf_span_make(rest.p, len);
		struct kf_cur b = kf_cur_make(kf_span_make(rest.p + SMB2_HEADER, len - SMB2_HEADER));
		smb2_body(c, msg, &b);
		if (!c->body_ok)
			malformed(out, ev, "SMB2 command body does not fit its kind");
		if (next == 0)
			return;
		at += next; /* next >= 64: always forward */
	}
}

/* ------------------------------------------------------------- SMB1 ---- */

/* A string in an SMB1 byte area: UTF-16LE aligned to an even offset from
 * the header (flags2 unicode), or 8-bit; NUL-terminated or to the end. */
static struct kf_span smb1_string(struct kf_cur *b, size_t hdr_off, bool unicode)
{
	if (unicode && (hdr_off & 1u))
		kf_cur_skip(b, 1);
	const uint8_t *p = b->p;
	size_t left = kf_cur_left(b), n = 0;
	if (unicode) {
		while (n + 1 < left && (p[n] || p[n + 1]))
			n += 2;
		kf_cur_skip(b, n + 2 <= left ? n + 2 : left);
	} else {
		while (n < left && p[n])
			n++;
		kf_cur_skip(b, n + 1 <= left ? n + 1 : left);
	}
	return kf_span_make(p, n);
}

static void smb1_negotiate(struct kf_smb_cmd *c, struct kf_cur *w, uint8_t wc, struct kf_cur *bytes, bool es)
{
	if (!c->response) {
		/* dialect strings: 0x02 "NT LM 0.12" 0x00 ... */
		uint16_t n = 0;
		while (kf_cur_left(bytes) > 0) {
			if (kf_cur_u8(bytes) != 0x02)
				break;
			(void)smb1_string(bytes, 1, false);
			n++;
		}
		c->n_dialects = n;
		c->body_ok = true;
		return;
	}
	c->dialect = kf_cur_le16(w);
	if (wc != 17) { /* an older dialect (or "none of these"): no more fields */
		c->body_ok = kf_cur_ok(w);
		return;
	}
	uint8_t mode = kf_cur_u8(w);
	c->security_mode =
		(mode & 0x04 ? KF_SMB_SIGNING_ENABLED : 0) | (mode & 0x08 ? KF_SMB_SIGNING_REQUIRED : 0);
	kf_cur_skip(w, 2 + 2 + 4 + 4 + 4);
	c->capabilities = kf_cur_le32(w);
	c->extended_security = es && (c->capabilities & SMB1_CAP_EXTENDED_SECURITY);
	if (c->extended_security) {
		kf_cur_skip(bytes, 16); /* server GUID */
		c->security = kf_cur_rest(bytes);
	}
	c->body_ok = kf_cur_ok(w) && kf_cur_ok(bytes);
}

static void smb1_session_setup(struct kf_smb_cmd *c, struct kf_cur *w, uint8_t wc, struct kf_cur *bytes,
			       size_t bytes_off, bool unicode)
{
	if (!c->response) {
		if (wc == 12) { /* extended security: a security blob */
			kf_cur_skip(w, 2 + 2 + 2 + 4);
			uint16_t blob = kf_cur_le16(w);
			c->extended_security = true;
			c->security = kf_cur_bytes(bytes, blob);
		} else if (wc == 13) { /* NT LM 0.12 without: passwords, then the names */
			kf_cur_skip(w, 2 + 2 + 2 + 4);
			uint16_t ci = kf_cur_le16(w), cs = kf_cur_le16(w);
			kf_cur_skip(bytes, (size_t)ci + cs);
			size_t off = bytes_off + ci + cs;
			const uint8_t *before = bytes->p;
			c->account = smb1_string(bytes, off, unicode);
			off += (size_t)(bytes->p - before);
			c->domain = smb1_string(bytes, off, unicode);
			c->names_unicode = unicode;
		} else if (wc != 10) { /* 10: pre-NT LM 0.12, one password */
			return;
		}
		c->body_ok = kf_cur_ok(w) && kf_cur_ok(bytes);
		return;
	}
	if (wc == 0) { /* an error: no words */
		c->body_ok = true;
		return;
	}
	c->session_flags = (kf_cur_le16(w) & 1u) ? KF_SMB_SESSION_GUEST : 0;
	if (wc == 4) {
		uint16_t blob = kf_cur_le16(w);
		c->extended_security = true;
		c->security = kf_cur_bytes(bytes, blob);
	} else if (wc != 3) {
		return;
	}
	c->body_ok = kf_cur_ok(w) && kf_cur_ok(bytes);
}

static void smb1_tree_connect(struct kf_smb_cmd *c, struct kf_cur *w, uint8_t wc, struct kf_cur *bytes,
			      size_t bytes_off, bool unicode)
{
	if (c->response) { /* the service first in the bytes: "IPC" for IPC$ */
		struct kf_span svc = smb1_string(bytes, 0, false);
		c->ipc = wc >= 3 && svc.n == 3 && !memcmp(svc.p, "IPC", 3);
		c->body_ok = true;
		return;
	}
	if (wc != 4)
		return;
	kf_cur_skip(w, 2);
	uint16_t pw = kf_cur_le16(w);
	kf_cur_skip(bytes, pw);
	c->path = smb1_string(bytes, bytes_off + pw, unicode);
	c->path_unicode = unicode;
	c->body_ok = kf_cur_ok(w) && kf_cur_ok(bytes);
}

static void smb1_fid(struct kf_smb_cmd *c, struct kf_cur *w)
{
	uint16_t fid = kf_cur_le16(w);
	if (!kf_cur_ok(w))
		return;
	c->file_id[0] = (uint8_t)fid;
	c->file_id[1] = (uint8_t)(fid >> 8);
	c->has_file_id = true;
}

/* A buffer of an SMB1 command given by its length and offset (from the
 * header) in the words w; false when it lies outside the PDU or starts
 * before the command's bytes (at bytes_off). */
static bool smb1_buffer(struct kf_smb_cmd *c, struct kf_span pdu, struct kf_cur *w, size_t bytes_off)
{
	uint16_t len = kf_cur_le16(w), off = kf_cur_le16(w);
	return kf_cur_ok(w) && buffer_at(pdu, bytes_off, off, len, &c->data);
}

/* The named pipe commands (w is past the AndX block, offsets count from the
 * header): NT_CREATE_ANDX (MS-CIFS §2.2.4.64) the request's name, the
 * response's FID; WRITE_ANDX request (§2.2.4.43) FID and data; READ_ANDX
 * (§2.2.4.42) the request's FID, the response's data; TRANSACTION
 * (§2.2.4.33) with TransactNmPipe (setup 0x0026, FID) the request's data,
 * and any response's. */
static void smb1_pipe_body(struct kf_smb_cmd *c, struct kf_span pdu, struct kf_cur *w, uint8_t wc,
			   struct kf_cur *bytes, size_t bytes_off, bool unicode)
{
	switch (c->command) {
	case KF_SMB1_NT_CREATE_ANDX:
		if (c->response && wc >= 34) {
			kf_cur_skip(w, 1); /* OplockLevel */
			smb1_fid(c, w);
			c->body_ok = c->has_file_id;
		} else if (!c->response && wc == 24) {
			c->path = smb1_string(bytes, bytes_off, unicode);
			c->path_unicode = unicode;
			c->body_ok = kf_cur_ok(bytes);
		}
		return;
	case KF_SMB1_WRITE_ANDX:
		if (c->response || (wc != 12 && wc != 14))
			return;
		smb1_fid(c, w);
		kf_cur_skip(w, 4 + 4 + 2 + 2 + 2);
		c->body_ok = c->has_file_id && smb1_buffer(c, pdu, w, bytes_off);
		return;
	case KF_SMB1_READ_ANDX:
		if (!c->response && (wc == 10 || wc == 12)) {
			smb1_fid(c, w);
			c->body_ok = c->has_file_id;
		} else if (c->response && wc == 12) {
			kf_cur_skip(w, 2 + 2 + 2);
			c->body_ok = smb1_buffer(c, pdu, w, bytes_off);
		}
		return;
	default: /* TRANSACTION */
		if (c->response) {
			if (wc < 10)
				return;
			kf_cur_skip(w, 2 + 2 + 2 + 2 + 2 + 2);
			c->body_ok = smb1_buffer(c, pdu, w, bytes_off);
			return;
		}
		if (wc != 16)
			return;
		kf_cur_skip(w, 2 + 2 + 2 + 2 + 1 + 1 + 2 + 4 + 2 + 2 + 2);
		c->body_ok = smb1_buffer(c, pdu, w, bytes_off);
		uint8_t setup_count = kf_cur_u8(w);
		kf_cur_skip(w, 1);
		uint16_t function = kf_cur_le16(w);
		if (kf_cur_ok(w) && setup_count == 2 && function == 0x26)
			smb1_fid(c, w);
		return;
	}
}

static void smb1_pipe(struct kf_smb_cmd *c, struct kf_span pdu, struct kf_cur *w, uint8_t wc,
		      struct kf_cur *bytes, size_t bytes_off, bool unicode)
{
	if (c->response && wc == 0) { /* an error: no words */
		c->body_ok = true;
		return;
	}
	smb1_pipe_body(c, pdu, w, wc, bytes, bytes_off, unicode);
	/* a TRANSACTION request is a pipe's only with TransactNmPipe */
	if (c->body_ok && (c->command != KF_SMB1_TRANSACTION || c->response || c->has_file_id))
		c->pipe_op = kf_smb_pipe_op_of(KF_SMB_1, c->command);
}

static bool smb1_is_andx(uint8_t cmd)
{
	switch (cmd) {
	case 0x24: /* LOCKING_ANDX */
	case 0x2d: /* OPEN_ANDX */
	case 0x2e: /* READ_ANDX */
	case 0x2f: /* WRITE_ANDX */
	case KF_SMB1_SESSION_SETUP_ANDX:
	case KF_SMB1_LOGOFF_ANDX:
	case KF_SMB1_TREE_CONNECT_ANDX:
	case 0xa2: /* NT_CREATE_ANDX */ return true;
	default: return false;
	}
}

static void smb1_decode(struct kf_span pdu, struct kf_smb_pdu *out, struct kf_events *ev)
{
	struct kf_cur h = kf_cur_make(pdu);
	kf_cur_skip(&h, 4);
	uint8_t cmd = kf_cur_u8(&h);
	uint32_t status = kf_cur_le32(&h);
	uint8_t flags = kf_cur_u8(&h);
	uint16_t flags2 = kf_cur_le16(&h);
	kf_cur_skip(&h, 2 + 8 + 2);
	uint16_t tid = kf_cur_le16(&h);
	kf_cur_skip(&h, 2);
	uint16_t uid = kf_cur_le16(&h), mid = kf_cur_le16(&h);
	if (!kf_cur_ok(&h)) {
		out->kind = KF_SMB_NONE;
		malformed(out, ev, "SMB1 header cut short");
		return;
	}
	bool response = (flags & SMB1_FLAGS_REPLY) != 0;
	bool unicode = (flags2 & SMB1_FLAGS2_UNICODE) != 0;
	bool es = (flags2 & SMB1_FLAGS2_EXTENDED_SECURITY) != 0;
	size_t at = SMB1_HEADER; /* the command's WordCount, from the header start */
	for (;;) {
		if (out->n_cmds == KF_LIMIT_SMB_CHAIN) {
			out->chain_cut = true;
			kf_events_add(ev, KF_EV_SMB_CHAIN_LIMIT);
			if (!out->why)
				out->why = "SMB1 AndX chain longer than the cap";
			return;
		}
		struct kf_smb_cmd *c = &out->cmds[out->n_cmds++];
		memset(c, 0, sizeof *c);
		c->command = cmd;
		c->response = response;
		c->msg_id = mid;
		c->session = uid;
		c->tree_id = tid;
		if (response) {
			c->has_status = true;
			if (flags2 & SMB1_FLAGS2_NT_STATUS) {
				c->status = status;
			} else { /* class (1), reserved (1), code (2) */
				c->status = status;
				c->dos_error = status != 0;
				c->has_status = status == 0;
			}
		}
		struct kf_cur rest = kf_cur_make(kf_span_make(pdu.p + at, pdu.n - at));
		uint8_t wc = kf_cur_u8(&rest);
		struct kf_cur w = kf_cur_sub(&rest, (size_t)wc * 2);
		uint16_t bc = kf_cur_le16(&rest);
		struct kf_cur bytes = kf_cur_sub(&rest, bc);
		if (!kf_cur_ok(&rest)) {
			malformed(out, ev, "SMB1 word or byte count runs past the PDU");
			return;
		}
		size_t bytes_off = at + 1 + (size_t)wc * 2 + 2;
		uint8_t next_cmd = KF_SMB1_NO_ANDX;
		uint16_t next_off = 0;
		bool andx = smb1_is_andx(cmd) && wc >= 2;
		if (andx) {
			next_cmd = kf_cur_u8(&w);
			kf_cur_skip(&w, 1);
			next_off = kf_cur_le16(&w);
		}
		switch (cmd) {
		case KF_SMB1_NEGOTIATE: smb1_negotiate(c, &w, wc, &bytes, es); break;
		case KF_SMB1_SESSION_SETUP_ANDX:
			smb1_session_setup(c, &w, wc, &bytes, bytes_off, unicode);
			break;
		case KF_SMB1_TREE_CONNECT_ANDX:
			smb1_tree_connect(c, &w, wc, &bytes, bytes_off, unicode);
			break;
		case KF_SMB1_NT_CREATE_ANDX:
		case KF_SMB1_WRITE_ANDX:
		case KF_SMB1_READ_ANDX:
		case KF_SMB1_TRANSACTION: smb1_pipe(c, pdu, &w, wc, &bytes, bytes_off, unicode); break;
		default: c->body_ok = true; break;
		}
		if (!c->body_ok)
			malformed(out, ev, "SMB1 command body does not fit its kind");
		if (!andx || next_cmd == KF_SMB1_NO_ANDX)
			return;
		/* forward only: the next command starts after this one's words */
		if (next_off <= at + 1 + (size_t)wc * 2 || next_off >= pdu.n) {
			out->chain_cut = true;
			kf_events_add(ev, KF_EV_SMB_CHAIN_LIMIT);
			if (!out->why)
				out->why = "SMB1 AndX offset points backwards or outside the PDU";
			return;
		}
		at = next_off;
		cmd = next_cmd;
	}
}

/* ----------------------------------------------------------- entries ---- */

int kf_smb_pipe_op_of(int kind, uint16_t command)
{
	if (kind == KF_SMB_2) {
		switch (command) {
		case KF_SMB2_CREATE: return KF_SMB_PIPE_OPEN;
		case KF_SMB2_WRITE: return KF_SMB_PIPE_WRITE;
		case KF_SMB2_READ: return KF_SMB_PIPE_READ;
		case KF_SMB2_IOCTL: return KF_SMB_PIPE_TRANSCEIVE;
		default: return KF_SMB_PIPE_NONE;
		}
	}
	if (kind != KF_SMB_1)
		return KF_SMB_PIPE_NONE;
	switch (command) {
	case KF_SMB1_NT_CREATE_ANDX: return KF_SMB_PIPE_OPEN;
	case KF_SMB1_WRITE_ANDX: return KF_SMB_PIPE_WRITE;
	case KF_SMB1_READ_ANDX: return KF_SMB_PIPE_READ;
	case KF_SMB1_TRANSACTION: return KF_SMB_PIPE_TRANSCEIVE;
	default: return KF_SMB_PIPE_NONE;
	}
}

bool kf_smb_decode(struct kf_span pdu, struct kf_smb_pdu *out, struct kf_events *ev)
{
	out->kind = kind_of(pdu);
	out->n_cmds = 0;
	out->chain_cut = false;
	out->transform_session = 0;
	out->why = NULL;
	switch (out->kind) {
	case KF_SMB_2: smb2_decode(pdu, out, ev); break;
	case KF_SMB_1: smb1_decode(pdu, out, ev); break;
	case KF_SMB_ENCRYPTED: {
		/* magic, signature (16), nonce (16), original size (4), reserved
		 * (2), flags (2), session id (8) */
		struct kf_cur c = kf_cur_make(pdu);
		kf_cur_skip(&c, 4 + 16 + 16 + 4 + 2 + 2);
		out->transform_session = kf_cur_le32(&c);
		out->transform_session |= (uint64_t)kf_cur_le32(&c) << 32;
		if (!kf_cur_ok(&c)) {
			malformed(out, ev, "SMB3 transform header cut short");
			return false;
		}
		return true;
	}
	case KF_SMB_COMPRESSED: return pdu.n >= 16;
	default: out->why = "not SMB (no SMB magic)"; return false;
	}
	return out->n_cmds > 0;
}

bool kf_smb_peek(struct kf_span first, struct kf_smb_peek *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind_of(first);
	struct kf_cur c = kf_cur_make(first);
	switch (out->kind) {
	case KF_SMB_2: {
		kf_cur_skip(&c, 12);
		out->command = kf_cur_le16(&c);
		kf_cur_skip(&c, 2);
		uint32_t flags = kf_cur_le32(&c);
		out->response = (flags & SMB2_FLAG_RESPONSE) != 0;
		out->async = (flags & SMB2_FLAG_ASYNC) != 0;
		out->chained = kf_cur_le32(&c) != 0;
		out->msg_id = kf_cur_le32(&c);
		out->msg_id |= (uint64_t)kf_cur_le32(&c) << 32;
		kf_cur_skip(&c, 4);
		out->tree_id = out->async ? 0 : kf_cur_le32(&c);
		return kf_cur_ok(&c);
	}
	case KF_SMB_1: {
		kf_cur_skip(&c, 4);
		uint8_t cmd = kf_cur_u8(&c);
		out->command = cmd;
		kf_cur_skip(&c, 4);
		out->response = (kf_cur_u8(&c) & SMB1_FLAGS_REPLY) != 0;
		kf_cur_skip(&c, 2 + 2 + 8 + 2);
		out->tree_id = kf_cur_le16(&c);
		kf_cur_skip(&c, 2 + 2);
		out->msg_id = kf_cur_le16(&c);
		uint8_t wc = kf_cur_u8(&c);
		uint8_t next = kf_cur_u8(&c);
		out->chained = smb1_is_andx(cmd) && wc >= 2 && next != KF_SMB1_NO_ANDX;
		return kf_cur_ok(&c);
	}
	case KF_SMB_ENCRYPTED:
	case KF_SMB_COMPRESSED: return true;
	default: return false;
	}
}

const char *kf_smb2_command_name(uint16_t command)
{
	static const char *const names[] = {
		"NEGOTIATE",     "SESSION_SETUP", "LOGOFF",   "TREE_CONNECT", "TREE_DISCONNECT",
		"CREATE",        "CLOSE",         "FLUSH",    "READ",         "WRITE",
		"LOCK",          "IOCTL",         "CANCEL",   "ECHO",         "QUERY_DIRECTORY",
		"CHANGE_NOTIFY", "QUERY_INFO",    "SET_INFO", "OPLOCK_BREAK",
	};
	return command < sizeof names / sizeof names[0] ? names[command] : NULL;
}

const char *kf_smb1_command_name(uint8_t command)
{
	switch (command) {
	case KF_SMB1_NEGOTIATE: return "NEGOTIATE";
	case KF_SMB1_SESSION_SETUP_ANDX: return "SESSION_SETUP_ANDX";
	case KF_SMB1_LOGOFF_ANDX: return "LOGOFF_ANDX";
	case KF_SMB1_TREE_CONNECT_ANDX: return "TREE_CONNECT_ANDX";
	case 0x71: return "TREE_DISCONNECT";
	case 0x24: return "LOCKING_ANDX";
	case 0x25: return "TRANSACTION";
	case 0x2d: return "OPEN_ANDX";
	case 0x2e: return "READ_ANDX";
	case 0x2f: return "WRITE_ANDX";
	case 0x32: return "TRANSACTION2";
	case 0xa0: return "NT_TRANSACT";
	case 0xa2: return "NT_CREATE_ANDX";
	default: return NULL;
	}
}

/* The NTSTATUS values (MS-ERREF §2.3.1) that session setup and tree
 * connect answer with, and that the rules explain. */
static const struct {
	uint32_t code;
	const char *name;
} NTSTATUS[] = {
	{ 0x00000000u, "STATUS_SUCCESS" },
	{ 0x00000103u, "STATUS_PENDING" },
	{ 0xc0000016u, "STATUS_MORE_PROCESSING_REQUIRED" },
	{ 0xc0000022u, "STATUS_ACCESS_DENIED" },
	{ 0xc000003au, "STATUS_OBJECT_PATH_NOT_FOUND" },
	{ 0xc0000064u, "STATUS_NO_SUCH_USER" },
	{ 0xc000006au, "STATUS_WRONG_PASSWORD" },
	{ 0xc000006du, "STATUS_LOGON_FAILURE" },
	{ 0xc000006eu, "STATUS_ACCOUNT_RESTRICTION" },
	{ 0xc000006fu, "STATUS_INVALID_LOGON_HOURS" },
	{ 0xc0000070u, "STATUS_INVALID_WORKSTATION" },
	{ 0xc0000071u, "STATUS_PASSWORD_EXPIRED" },
	{ 0xc0000072u, "STATUS_ACCOUNT_DISABLED" },
	{ 0xc00000ccu, "STATUS_BAD_NETWORK_NAME" },
	{ 0xc00000a8u, "STATUS_BAD_TOKEN_TYPE" },
	{ 0xc000000du, "STATUS_INVALID_PARAMETER" },
	{ 0xc00000bbu, "STATUS_NOT_SUPPORTED" },
	{ 0xc000005eu, "STATUS_NO_LOGON_SERVERS" },
	{ 0xc0000192u, "STATUS_NETLOGON_NOT_STARTED" },
	{ 0xc0000193u, "STATUS_ACCOUNT_EXPIRED" },
	{ 0xc0000199u, "STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT" },
	{ 0xc000015bu, "STATUS_LOGON_TYPE_NOT_GRANTED" },
	{ 0xc0000203u, "STATUS_USER_SESSION_DELETED" },
	{ 0xc0000224u, "STATUS_PASSWORD_MUST_CHANGE" },
	{ 0xc0000234u, "STATUS_ACCOUNT_LOCKED_OUT" },
	{ 0xc0000133u, "STATUS_TIME_DIFFERENCE_AT_DC" },
	{ 0xc000018bu, "STATUS_NO_TRUST_SAM_ACCOUNT" },
	{ 0xc000018du, "STATUS_TRUSTED_RELATIONSHIP_FAILURE" },
	{ 0xc000035cu, "STATUS_NETWORK_SESSION_EXPIRED" },
	{ 0xc0000413u, "STATUS_AUTHENTICATION_FIREWALL_FAILED" },
	{ 0xc0000388u, "STATUS_DOWNGRADE_DETECTED" },
	{ 0xc0000017u, "STATUS_NO_MEMORY" },
	{ 0xc0000001u, "STATUS_UNSUCCESSFUL" },
	{ 0xc0000002u, "STATUS_NOT_IMPLEMENTED" },
	{ 0xc0000034u, "STATUS_OBJECT_NAME_NOT_FOUND" },
	{ 0xc0000035u, "STATUS_OBJECT_NAME_COLLISION" },
	{ 0xc0000043u, "STATUS_SHARING_VIOLATION" },
	{ 0xc000009au, "STATUS_INSUFFICIENT_RESOURCES" },
	{ 0xc00000c9u, "STATUS_NETWORK_NAME_DELETED" },
	{ 0xc0000205u, "STATUS_INSUFF_SERVER_RESOURCES" },
	{ 0xc0000225u, "STATUS_NOT_FOUND" },
	{ 0xc000019cu, "STATUS_FS_DRIVER_REQUIRED" },
	{ 0xc0000257u, "STATUS_PATH_NOT_COVERED" },
	{ 0x80000005u, "STATUS_BUFFER_OVERFLOW" },
	{ 0xc0000023u, "STATUS_BUFFER_TOO_SMALL" },
	{ 0xc0000120u, "STATUS_CANCELLED" },
	{ 0xc0000011u, "STATUS_END_OF_FILE" },
	{ 0xc000000fu, "STATUS_NO_SUCH_FILE" },
	{ 0x00000104u, "STATUS_REPARSE" },
	{ 0xc0000033u, "STATUS_OBJECT_NAME_INVALID" },
	{ 0xc0000010u, "STATUS_INVALID_DEVICE_REQUEST" },
	{ 0xc0000008u, "STATUS_INVALID_HANDLE" },
	{ 0xc000020cu, "STATUS_CONNECTION_DISCONNECTED" },
	{ 0xc00000b5u, "STATUS_IO_TIMEOUT" },
	{ 0xc0000190u, "STATUS_TRUST_FAILURE" },
	{ 0xc000005fu, "STATUS_NO_SUCH_LOGON_SESSION" },
	{ 0xc0000062u, "STATUS_INVALID_ACCOUNT_NAME" },
	{ 0xc0000063u, "STATUS_USER_EXISTS" },
	{ 0xc00000dfu, "STATUS_NO_SUCH_DOMAIN" },
	{ 0xc0000148u, "STATUS_INVALID_LEVEL" },
	{ 0xc0000156u, "STATUS_TOO_MANY_SECRETS" },
	{ 0xc000018cu, "STATUS_TRUSTED_DOMAIN_FAILURE" },
	{ 0xc0000300u, "STATUS_NOT_SUPPORTED_ON_SBS" },
};

const char *kf_ntstatus_name(uint32_t status)
{
	for (size_t i = 0; i < sizeof NTSTATUS / sizeof NTSTATUS[0]; i++)
		if (NTSTATUS[i].code == status)
			return NTSTATUS[i].name;
	return NULL;
}

const char *kf_smb2_dialect_name(uint16_t dialect)
{
	switch (dialect) {
	case 0x0202: return "SMB 2.0.2";
	case 0x0210: return "SMB 2.1";
	case 0x0300: return "SMB 3.0";
	case 0x0302: return "SMB 3.0.2";
	case 0x0311: return "SMB 3.1.1";
	case 0x02ff: return "SMB 2.???";
	default: return NULL;
	}
}
