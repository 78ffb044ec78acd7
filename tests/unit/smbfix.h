/* smbfix.h - SMB PDUs for the SMB tests, built field by field: SMB2/3
 * messages (MS-SMB2 §2.2), SMB1 messages and AndX chains (MS-CIFS §2.2.4,
 * MS-SMB §2.2.4), and the SPNEGO (RFC 4178) and NTLMSSP (MS-NLMP §2.2.1)
 * tokens they carry.  Every builder appends to a growing buffer; those of
 * a message return the offset of its header (or of its AndX block), which
 * the chaining helpers patch.  Offsets inside bodies count from the
 * message's header, as the protocols say. */
#ifndef KF_SMBFIX_H
#define KF_SMBFIX_H

#include "capfix.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A growing byte buffer; { 0 } is empty.  Aborts the test when out of memory. */
struct sb {
	uint8_t *p;
	size_t n, cap;
};
void sb_put(struct sb *b, const void *p, size_t n);
void sb_zero(struct sb *b, size_t n);
void sb_u8(struct sb *b, uint8_t v);
void sb_le16(struct sb *b, uint16_t v);
void sb_le32(struct sb *b, uint32_t v);
void sb_le64(struct sb *b, uint64_t v);
void sb_be16(struct sb *b, uint16_t v);
void sb_be32(struct sb *b, uint32_t v);
void sb_set16(struct sb *b, size_t at, uint16_t v); /* little-endian, at offset at */
void sb_set32(struct sb *b, size_t at, uint32_t v);
void sb_utf16(struct sb *b, const char *ascii); /* as UTF-16LE, no terminator */
void sb_free(struct sb *b);
/* DER (X.690 §8.1): everything in b wrapped in one element of tag; src
 * wrapped in tag appended to b. */
void der_wrap(struct sb *b, uint8_t tag);
void der_add(struct sb *b, uint8_t tag, const void *src, size_t n);

/* ---- SMB2 ---- */
#define F_RESPONSE 0x00000001u
#define F_ASYNC 0x00000002u
#define ST_MORE 0xc0000016u
#define ST_LOGON_FAILURE 0xc000006du

struct h2 {
	uint16_t cmd;
	uint32_t flags;
	uint32_t status;
	uint64_t mid;
	uint32_t tree;     /* sync header */
	uint64_t async_id; /* F_ASYNC */
	uint64_t sid;
};
struct h2 req2(uint16_t cmd, uint64_t mid, uint64_t sid);
struct h2 rsp2(uint16_t cmd, uint32_t status, uint64_t mid, uint64_t sid);
size_t h2_put(struct sb *b, const struct h2 *h); /* the 64-byte header, NextCommand 0 */
size_t neg2_req(struct sb *b, const struct h2 *h, const uint16_t *dialects, uint16_t n, uint16_t mode,
		uint32_t caps);
size_t neg2_rsp(struct sb *b, const struct h2 *h, uint16_t dialect, uint16_t mode, uint32_t caps,
		const uint8_t *blob, size_t n); /* the blob at 128 */
size_t ss2_req(struct sb *b, const struct h2 *h, uint8_t mode, const uint8_t *blob, size_t n,
	       uint64_t previous); /* the blob at 88 */
size_t ss2_rsp(struct sb *b, const struct h2 *h, uint16_t flags, const uint8_t *blob, size_t n); /* at 72 */
size_t err2_rsp(struct sb *b, const struct h2 *h);
size_t tc2_req(struct sb *b, const struct h2 *h, const char *path); /* the path at 72 */
size_t tc2_rsp(struct sb *b, const struct h2 *h, uint8_t share_type);
size_t logoff2(struct sb *b, const struct h2 *h);
size_t read2_rsp(struct sb *b, const struct h2 *h, size_t n); /* n bytes of data */
/* Named pipes: a FileId made of fid (persistent) and ~fid (volatile). */
size_t create2_req(struct sb *b, const struct h2 *h, const char *name); /* the name at 120 */
size_t create2_rsp(struct sb *b, const struct h2 *h, uint64_t fid);
size_t write2_req(struct sb *b, const struct h2 *h, uint64_t fid, const uint8_t *data, size_t n); /* at 112 */
size_t read2_req(struct sb *b, const struct h2 *h, uint64_t fid, uint32_t len);
size_t read2_rsp_data(struct sb *b, const struct h2 *h, const uint8_t *data, size_t n); /* at 80 */
/* IOCTL request with its input at 120, or response with its output at 112. */
size_t ioctl2(struct sb *b, const struct h2 *h, uint32_t ctl, uint64_t fid, const uint8_t *p, size_t n);
/* NextCommand of the message at `at`: the next one starts where b ends now. */
void h2_chain(struct sb *b, size_t at);
/* An SMB3 TRANSFORM_HEADER for session sid and n bytes of ciphertext. */
void smb3_transform(struct sb *b, uint64_t sid, size_t n);

/* ---- SMB1 ---- */
#define F1_REPLY 0x80u
#define F2_EXT 0x0800u
#define F2_NT 0x4000u
#define F2_UNICODE 0x8000u

struct h1 {
	uint8_t cmd;
	uint32_t status;
	uint8_t flags;
	uint16_t flags2;
	uint16_t tid, uid, mid;
};
size_t h1_put(struct sb *b, const struct h1 *h); /* the 32-byte header */
size_t andx_put(struct sb *b);                   /* an AndX block: no next command */
/* Point the AndX block at andx (header at hdr) to a cmd starting where b ends now. */
void h1_chain(struct sb *b, size_t hdr, size_t andx, uint8_t cmd);
void neg1_req(struct sb *b, const struct h1 *h);
void neg1_rsp(struct sb *b, const struct h1 *h, uint8_t mode, uint32_t caps, const uint8_t *blob, size_t n);
/* The commands after a header (or after the previous command of a chain);
 * each returns the offset of its AndX block.  Strings in Unicode are
 * aligned to an even offset from the header at hdr. */
size_t ss1_req_ext(struct sb *b, const uint8_t *blob, size_t n);
size_t ss1_req_plain(struct sb *b, size_t hdr, uint16_t ci, uint16_t cs, const char *account,
		     const char *domain, bool unicode);
size_t ss1_rsp(struct sb *b, uint16_t action, bool ext, const uint8_t *blob, size_t n);
size_t tc1_req(struct sb *b, size_t hdr, const char *path, bool unicode);
size_t tc1_rsp(struct sb *b, const char *service); /* "IPC" for IPC$ */
/* Named pipes: NT_CREATE_ANDX, WRITE_ANDX, READ_ANDX, TRANSACTION TransactNmPipe. */
size_t ntcreate1_req(struct sb *b, size_t hdr, const char *name);
size_t ntcreate1_rsp(struct sb *b, uint16_t fid);
size_t write1_req(struct sb *b, size_t hdr, uint16_t fid, const uint8_t *data, size_t n);
size_t read1_req(struct sb *b, uint16_t fid);
size_t read1_rsp(struct sb *b, size_t hdr, const uint8_t *data, size_t n);
void trans1_pipe(struct sb *b, size_t hdr, bool response, uint16_t fid, const uint8_t *data, size_t n);

/* The 4-byte NetBIOS session header (RFC 1002 §4.3.1): type, then the
 * length in 24 bits (445; 17 on 139, where the top 7 must be 0). */
void nbss(struct sb *b, uint8_t type, size_t len);

/* ---- tokens ---- */
/* SPNEGO NegTokenInit offering NTLM, with a mechToken when n > 0. */
void spnego_init(struct sb *out, const uint8_t *mech_token, size_t n);
/* NegTokenResp: negState, and a responseToken when n > 0. */
void spnego_resp(struct sb *out, uint8_t state, const uint8_t *token, size_t n);
void ntlm_negotiate(struct sb *b);
void ntlm_challenge(struct sb *b);
/* AUTHENTICATE for domain\user (NTLMv1-sized responses); anonymous: no
 * user, no responses (MS-NLMP §3.2.5.1.2). */
void ntlm_authenticate(struct sb *b, const char *domain, const char *user, bool anonymous);

/* The capture writer (cap_open, segment, tconn_open, ...) is capfix.h's. */

#endif
