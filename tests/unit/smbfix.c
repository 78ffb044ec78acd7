/* smbfix.c - SMB, SPNEGO and NTLMSSP messages built field by field for the
 * SMB tests (smbfix.h). */
#include "smbfix.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ byte builder ---- */

static void sb_room(struct sb *b, size_t more)
{
	if (b->n + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	ck_assert_ptr_nonnull(b->p);
	b->cap = cap;
}

void sb_put(struct sb *b, const void *p, size_t n)
{
	sb_room(b, n);
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

void sb_zero(struct sb *b, size_t n)
{
	sb_room(b, n);
	if (n)
		memset(b->p + b->n, 0, n);
	b->n += n;
}

void sb_u8(struct sb *b, uint8_t v) { sb_put(b, &v, 1); }

void sb_le16(struct sb *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	sb_put(b, x, 2);
}

void sb_le32(struct sb *b, uint32_t v)
{
	sb_le16(b, (uint16_t)v);
	sb_le16(b, (uint16_t)(v >> 16));
}

void sb_le64(struct sb *b, uint64_t v)
{
	sb_le32(b, (uint32_t)v);
	sb_le32(b, (uint32_t)(v >> 32));
}

void sb_be16(struct sb *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	sb_put(b, x, 2);
}

void sb_be32(struct sb *b, uint32_t v)
{
	sb_be16(b, (uint16_t)(v >> 16));
	sb_be16(b, (uint16_t)v);
}

void sb_set16(struct sb *b, size_t at, uint16_t v)
{
	b->p[at] = (uint8_t)v;
	b->p[at + 1] = (uint8_t)(v >> 8);
}

void sb_set32(struct sb *b, size_t at, uint32_t v)
{
	sb_set16(b, at, (uint16_t)v);
	sb_set16(b, at + 2, (uint16_t)(v >> 16));
}

/* ASCII as UTF-16LE, without a terminator. */
void sb_utf16(struct sb *b, const char *s)
{
	for (; *s; s++)
		sb_le16(b, (uint8_t)*s);
}

void sb_free(struct sb *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Wrap everything in b into one DER element of tag (X.690 §8.1). */
void der_wrap(struct sb *b, uint8_t tag)
{
	uint8_t h[4];
	size_t hn = 0, n = b->n;
	h[hn++] = tag;
	if (n < 0x80) {
		h[hn++] = (uint8_t)n;
	} else if (n < 0x100) {
		h[hn++] = 0x81;
		h[hn++] = (uint8_t)n;
	} else {
		ck_assert_uint_lt(n, 0x10000);
		h[hn++] = 0x82;
		h[hn++] = (uint8_t)(n >> 8);
		h[hn++] = (uint8_t)n;
	}
	sb_room(b, hn);
	memmove(b->p + hn, b->p, n);
	memcpy(b->p, h, hn);
	b->n += hn;
}

/* Append src wrapped in tag to b. */
void der_add(struct sb *b, uint8_t tag, const void *src, size_t n)
{
	struct sb t = { 0 };
	sb_put(&t, src, n);
	der_wrap(&t, tag);
	sb_put(b, t.p, t.n);
	sb_free(&t);
}

/* ----------------------------------------------------- SMB2 messages ---- */

/* The 64-byte header (§2.2.1.1 / §2.2.1.2), NextCommand 0; its offset. */
size_t h2_put(struct sb *b, const struct h2 *h)
{
	size_t at = b->n;
	sb_put(b, "\xfeSMB", 4);
	sb_le16(b, 64);
	sb_le16(b, 1); /* CreditCharge */
	sb_le32(b, h->status);
	sb_le16(b, h->cmd);
	sb_le16(b, 1); /* credits */
	sb_le32(b, h->flags);
	sb_le32(b, 0); /* NextCommand */
	sb_le64(b, h->mid);
	if (h->flags & F_ASYNC) {
		sb_le64(b, h->async_id);
	} else {
		sb_le32(b, 0xfeff); /* Reserved (process id) */
		sb_le32(b, h->tree);
	}
	sb_le64(b, h->sid);
	sb_zero(b, 16); /* Signature */
	return at;
}

struct h2 req2(uint16_t cmd, uint64_t mid, uint64_t sid)
{
	struct h2 h = { .cmd = cmd, .mid = mid, .sid = sid };
	return h;
}

struct h2 rsp2(uint16_t cmd, uint32_t status, uint64_t mid, uint64_t sid)
{
	struct h2 h = { .cmd = cmd, .flags = F_RESPONSE, .status = status, .mid = mid, .sid = sid };
	return h;
}

/* NEGOTIATE request (§2.2.3): dialects, security mode, capabilities. */
size_t neg2_req(struct sb *b, const struct h2 *h, const uint16_t *dialects, uint16_t n, uint16_t mode,
		uint32_t caps)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 36);
	sb_le16(b, n);
	sb_le16(b, mode);
	sb_le16(b, 0);
	sb_le32(b, caps);
	sb_zero(b, 16); /* ClientGuid */
	sb_zero(b, 8);  /* NegotiateContextOffset/Count, Reserved2 */
	for (uint16_t i = 0; i < n; i++)
		sb_le16(b, dialects[i]);
	return at;
}

/* NEGOTIATE response (§2.2.4): the security buffer right after the 64-byte
 * body, at offset 128 from the header. */
size_t neg2_rsp(struct sb *b, const struct h2 *h, uint16_t dialect, uint16_t mode, uint32_t caps,
		const uint8_t *blob, size_t n)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 65);
	sb_le16(b, mode);
	sb_le16(b, dialect);
	sb_le16(b, 0);       /* NegotiateContextCount */
	sb_zero(b, 16);      /* ServerGuid */
	sb_le32(b, caps);    /* Capabilities */
	sb_le32(b, 1 << 23); /* MaxTransactSize */
	sb_le32(b, 1 << 23); /* MaxReadSize */
	sb_le32(b, 1 << 23); /* MaxWriteSize */
	sb_le64(b, 133000000000000000ull);
	sb_le64(b, 0);
	sb_le16(b, n ? 128 : 0);
	sb_le16(b, (uint16_t)n);
	sb_le32(b, 0); /* NegotiateContextOffset */
	sb_put(b, blob, n);
	return at;
}

/* SESSION_SETUP request (§2.2.5): the buffer at offset 88. */
size_t ss2_req(struct sb *b, const struct h2 *h, uint8_t mode, const uint8_t *blob, size_t n,
	       uint64_t previous)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 25);
	sb_u8(b, 0); /* Flags */
	sb_u8(b, mode);
	sb_le32(b, 1); /* Capabilities: DFS */
	sb_le32(b, 0); /* Channel */
	sb_le16(b, 88);
	sb_le16(b, (uint16_t)n);
	sb_le64(b, previous);
	sb_put(b, blob, n);
	return at;
}

/* SESSION_SETUP response (§2.2.6): the buffer at offset 72. */
size_t ss2_rsp(struct sb *b, const struct h2 *h, uint16_t flags, const uint8_t *blob, size_t n)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 9);
	sb_le16(b, flags);
	sb_le16(b, 72);
	sb_le16(b, (uint16_t)n);
	sb_put(b, blob, n);
	return at;
}

/* ERROR response (§2.2.2): ByteCount 0 and the one byte of ErrorData. */
size_t err2_rsp(struct sb *b, const struct h2 *h)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 9);
	sb_u8(b, 0); /* ErrorContextCount */
	sb_u8(b, 0);
	sb_le32(b, 0); /* ByteCount */
	sb_u8(b, 0);
	return at;
}

/* TREE_CONNECT request (§2.2.9): the path as UTF-16LE at offset 72. */
size_t tc2_req(struct sb *b, const struct h2 *h, const char *path)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 9);
	sb_le16(b, 0);
	sb_le16(b, 72);
	sb_le16(b, (uint16_t)(2 * strlen(path)));
	sb_utf16(b, path);
	return at;
}

/* TREE_CONNECT response (§2.2.10). */
size_t tc2_rsp(struct sb *b, const struct h2 *h, uint8_t share_type)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 16);
	sb_u8(b, share_type);
	sb_u8(b, 0);
	sb_le32(b, 0);        /* ShareFlags */
	sb_le32(b, 0);        /* Capabilities */
	sb_le32(b, 0x1f01ff); /* MaximalAccess */
	return at;
}

/* LOGOFF request or response (§2.2.7, §2.2.8). */
size_t logoff2(struct sb *b, const struct h2 *h)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 4);
	sb_le16(b, 0);
	return at;
}

/* READ response (§2.2.20) with n bytes of data. */
size_t read2_rsp(struct sb *b, const struct h2 *h, size_t n)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 17);
	sb_u8(b, 80); /* DataOffset */
	sb_u8(b, 0);
	sb_le32(b, (uint32_t)n);
	sb_le32(b, 0);
	sb_le32(b, 0);
	sb_room(b, n);
	for (size_t i = 0; i < n; i++)
		b->p[b->n + i] = (uint8_t)(i * 7);
	b->n += n;
	return at;
}

static void file_id2(struct sb *b, uint64_t fid)
{
	sb_le64(b, fid);
	sb_le64(b, ~fid);
}

/* CREATE request (§2.2.13) for name, no create contexts. */
size_t create2_req(struct sb *b, const struct h2 *h, const char *name)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 57);
	sb_u8(b, 0);
	sb_u8(b, 0);
	sb_le32(b, 2);        /* impersonation */
	sb_zero(b, 16);       /* SmbCreateFlags, Reserved */
	sb_le32(b, 0x12019f); /* DesiredAccess */
	sb_le32(b, 0);
	sb_le32(b, 3);    /* ShareAccess */
	sb_le32(b, 1);    /* FILE_OPEN */
	sb_le32(b, 0x40); /* FILE_NON_DIRECTORY_FILE */
	sb_le16(b, 120);
	sb_le16(b, (uint16_t)(2 * strlen(name)));
	sb_le32(b, 0);
	sb_le32(b, 0);
	sb_utf16(b, name);
	return at;
}

/* CREATE response (§2.2.14) giving the FileId. */
size_t create2_rsp(struct sb *b, const struct h2 *h, uint64_t fid)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 89);
	sb_u8(b, 0);
	sb_u8(b, 0);
	sb_le32(b, 1);  /* FILE_OPENED */
	sb_zero(b, 48); /* times and sizes */
	sb_le32(b, 0x80);
	sb_le32(b, 0);
	file_id2(b, fid);
	sb_le32(b, 0);
	sb_le32(b, 0);
	return at;
}

/* WRITE request (§2.2.21). */
size_t write2_req(struct sb *b, const struct h2 *h, uint64_t fid, const uint8_t *data, size_t n)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 49);
	sb_le16(b, 112);
	sb_le32(b, (uint32_t)n);
	sb_le64(b, 0);
	file_id2(b, fid);
	sb_zero(b, 16); /* Channel, RemainingBytes, WriteChannelInfo, Flags */
	sb_put(b, data, n);
	return at;
}

/* READ request (§2.2.19). */
size_t read2_req(struct sb *b, const struct h2 *h, uint64_t fid, uint32_t len)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 49);
	sb_u8(b, 0);
	sb_u8(b, 0);
	sb_le32(b, len);
	sb_le64(b, 0);
	file_id2(b, fid);
	sb_zero(b, 16); /* MinimumCount, Channel, RemainingBytes, ReadChannelInfo */
	sb_u8(b, 0);
	return at;
}

/* READ response (§2.2.20) carrying data. */
size_t read2_rsp_data(struct sb *b, const struct h2 *h, const uint8_t *data, size_t n)
{
	size_t at = h2_put(b, h);
	sb_le16(b, 17);
	sb_u8(b, 80);
	sb_u8(b, 0);
	sb_le32(b, (uint32_t)n);
	sb_le32(b, 0);
	sb_le32(b, 0);
	sb_put(b, data, n);
	return at;
}

/* IOCTL request (§2.2.31: the input at 120) or response (§2.2.32: the
 * output at 112), as h's flags say. */
size_t ioctl2(struct sb *b, const struct h2 *h, uint32_t ctl, uint64_t fid, const uint8_t *p, size_t n)
{
	bool rsp = (h->flags & F_RESPONSE) != 0;
	size_t at = h2_put(b, h);
	sb_le16(b, rsp ? 49 : 57);
	sb_le16(b, 0);
	sb_le32(b, ctl);
	file_id2(b, fid);
	sb_le32(b, rsp ? 112 : 120); /* InputOffset, InputCount */
	sb_le32(b, rsp ? 0 : (uint32_t)n);
	if (!rsp)
		sb_le32(b, 0);     /* MaxInputResponse */
	sb_le32(b, rsp ? 112 : 0); /* OutputOffset, OutputCount */
	sb_le32(b, rsp ? (uint32_t)n : 0);
	if (!rsp)
		sb_le32(b, 4280); /* MaxOutputResponse */
	sb_le32(b, rsp ? 0 : 1);  /* SMB2_0_IOCTL_IS_FSCTL */
	sb_le32(b, 0);
	sb_put(b, p, n);
	return at;
}

/* Link the message at `at` to the one that starts where b ends now. */
void h2_chain(struct sb *b, size_t at) { sb_set32(b, at + 20, (uint32_t)(b->n - at)); }

/* SMB3 TRANSFORM_HEADER (§2.2.41) and n bytes of ciphertext. */
void smb3_transform(struct sb *b, uint64_t sid, size_t n)
{
	sb_put(b, "\xfdSMB", 4);
	sb_zero(b, 16); /* Signature */
	sb_zero(b, 16); /* Nonce */
	sb_le32(b, (uint32_t)n);
	sb_le16(b, 0);
	sb_le16(b, 1); /* Flags: encrypted */
	sb_le64(b, sid);
	for (size_t i = 0; i < n; i++)
		sb_u8(b, (uint8_t)(0xa5 ^ i));
}

/* ----------------------------------------------------- SMB1 messages ---- */

/* The 32-byte header (MS-CIFS §2.2.3.1); its offset. */
size_t h1_put(struct sb *b, const struct h1 *h)
{
	size_t at = b->n;
	sb_put(b, "\xffSMB", 4);
	sb_u8(b, h->cmd);
	sb_le32(b, h->status);
	sb_u8(b, h->flags);
	sb_le16(b, h->flags2);
	sb_le16(b, 0); /* PIDHigh */
	sb_zero(b, 8); /* SecurityFeatures */
	sb_le16(b, 0); /* Reserved */
	sb_le16(b, h->tid);
	sb_le16(b, 0xfeff);
	sb_le16(b, h->uid);
	sb_le16(b, h->mid);
	return at;
}

/* An AndX block (AndXCommand none, offset 0); its offset, for h1_chain. */
size_t andx_put(struct sb *b)
{
	size_t at = b->n;
	sb_u8(b, 0xff);
	sb_u8(b, 0);
	sb_le16(b, 0);
	return at;
}

/* Point the AndX block at `andx` (of a message whose header is at hdr) to
 * command cmd starting where b ends now. */
void h1_chain(struct sb *b, size_t hdr, size_t andx, uint8_t cmd)
{
	b->p[andx] = cmd;
	sb_set16(b, andx + 2, (uint16_t)(b->n - hdr));
}

/* NEGOTIATE request (MS-CIFS §2.2.4.52.1): two dialects. */
void neg1_req(struct sb *b, const struct h1 *h)
{
	static const char d[] = "\x02PC NETWORK PROGRAM 1.0\0\x02NT LM 0.12";
	h1_put(b, h);
	sb_u8(b, 0);
	sb_le16(b, sizeof d);
	sb_put(b, d, sizeof d);
}

/* NEGOTIATE response, NT LM 0.12 (MS-SMB §2.2.4.5.2): WordCount 17, then the
 * 16-byte server GUID and (extended security) the blob. */
void neg1_rsp(struct sb *b, const struct h1 *h, uint8_t mode, uint32_t caps, const uint8_t *blob, size_t n)
{
	h1_put(b, h);
	sb_u8(b, 17);
	sb_le16(b, 1); /* DialectIndex: "NT LM 0.12" */
	sb_u8(b, mode);
	sb_le16(b, 50);
	sb_le16(b, 1);
	sb_le32(b, 16644);
	sb_le32(b, 65536);
	sb_le32(b, 0);
	sb_le32(b, caps);
	sb_le64(b, 0);
	sb_le16(b, 0);
	sb_u8(b, 0); /* ChallengeLength */
	sb_le16(b, (uint16_t)(16 + n));
	for (int i = 0; i < 16; i++)
		sb_u8(b, (uint8_t)(0xe0 + i)); /* ServerGUID */
	sb_put(b, blob, n);
}

/* SESSION_SETUP_ANDX request, extended security (MS-SMB §2.2.4.6.1):
 * WordCount 12; the AndX block's offset. */
size_t ss1_req_ext(struct sb *b, const uint8_t *blob, size_t n)
{
	sb_u8(b, 12);
	size_t andx = andx_put(b);
	sb_le16(b, 16644);
	sb_le16(b, 50);
	sb_le16(b, 0);
	sb_le32(b, 0);
	sb_le16(b, (uint16_t)n);
	sb_le32(b, 0);
	sb_le32(b, 0x8000d05c);
	sb_le16(b, (uint16_t)n);
	sb_put(b, blob, n);
	return andx;
}

/* SESSION_SETUP_ANDX request without extended security (MS-CIFS
 * §2.2.4.53.1): WordCount 13, passwords of ci and cs bytes, then account,
 * domain, native OS and LAN manager, UTF-16 strings aligned to an even
 * offset from the header at hdr. */
size_t ss1_req_plain(struct sb *b, size_t hdr, uint16_t ci, uint16_t cs, const char *account,
		     const char *domain, bool unicode)
{
	sb_u8(b, 13);
	size_t andx = andx_put(b);
	sb_le16(b, 16644);
	sb_le16(b, 50);
	sb_le16(b, 0);
	sb_le32(b, 0);
	sb_le16(b, ci);
	sb_le16(b, cs);
	sb_le32(b, 0);
	sb_le32(b, 0x000000d4);
	size_t bc = b->n;
	sb_le16(b, 0);
	for (unsigned i = 0; i < (unsigned)ci + cs; i++)
		sb_u8(b, (uint8_t)(0x30 + i));
	const char *s[4] = { account, domain, "Unix", "Samba" };
	for (int i = 0; i < 4; i++) {
		if (unicode) {
			if ((b->n - hdr) & 1)
				sb_u8(b, 0);
			sb_utf16(b, s[i]);
			sb_le16(b, 0);
		} else {
			sb_put(b, s[i], strlen(s[i]) + 1);
		}
	}
	sb_set16(b, bc, (uint16_t)(b->n - bc - 2));
	return andx;
}

/* SESSION_SETUP_ANDX response: extended security (WordCount 4, a blob) or
 * not (WordCount 3). */
size_t ss1_rsp(struct sb *b, uint16_t action, bool ext, const uint8_t *blob, size_t n)
{
	sb_u8(b, ext ? 4 : 3);
	size_t andx = andx_put(b);
	sb_le16(b, action);
	if (ext)
		sb_le16(b, (uint16_t)n);
	sb_le16(b, (uint16_t)n);
	sb_put(b, blob, n);
	return andx;
}

/* TREE_CONNECT_ANDX request (MS-CIFS §2.2.4.55.1): a one-byte password,
 * the path (aligned like the names above) and the service. */
size_t tc1_req(struct sb *b, size_t hdr, const char *path, bool unicode)
{
	sb_u8(b, 4);
	size_t andx = andx_put(b);
	sb_le16(b, 0);
	sb_le16(b, 1);
	size_t bc = b->n;
	sb_le16(b, 0);
	sb_u8(b, 0); /* password */
	if (unicode) {
		if ((b->n - hdr) & 1)
			sb_u8(b, 0);
		sb_utf16(b, path);
		sb_le16(b, 0);
	} else {
		sb_put(b, path, strlen(path) + 1);
	}
	sb_put(b, "?????", 6);
	sb_set16(b, bc, (uint16_t)(b->n - bc - 2));
	return andx;
}

/* TREE_CONNECT_ANDX response (MS-CIFS §2.2.4.55.2): WordCount 3, the
 * service ("IPC", "A:") and the file system. */
size_t tc1_rsp(struct sb *b, const char *service)
{
	sb_u8(b, 3);
	size_t andx = andx_put(b);
	sb_le16(b, 1); /* OptionalSupport */
	sb_le16(b, (uint16_t)(strlen(service) + 2));
	sb_put(b, service, strlen(service) + 1);
	sb_u8(b, 0); /* NativeFileSystem: empty */
	return andx;
}

/* NT_CREATE_ANDX request (§2.2.4.64.1) for name, in Unicode. */
size_t ntcreate1_req(struct sb *b, size_t hdr, const char *name)
{
	sb_u8(b, 24);
	size_t andx = andx_put(b);
	sb_u8(b, 0);
	sb_le16(b, (uint16_t)(2 * strlen(name)));
	sb_zero(b, 4 + 4); /* Flags, RootDirectoryFID */
	sb_le32(b, 0x2019f);
	sb_zero(b, 8 + 4); /* AllocationSize, ExtFileAttributes */
	sb_le32(b, 3);
	sb_le32(b, 1);
	sb_le32(b, 0);
	sb_le32(b, 2);
	sb_u8(b, 0);
	size_t bc = b->n;
	sb_le16(b, 0);
	if ((b->n - hdr) & 1)
		sb_u8(b, 0);
	sb_utf16(b, name);
	sb_le16(b, 0);
	sb_set16(b, bc, (uint16_t)(b->n - bc - 2));
	return andx;
}

/* NT_CREATE_ANDX response (§2.2.4.64.2): WordCount 34, the FID. */
size_t ntcreate1_rsp(struct sb *b, uint16_t fid)
{
	sb_u8(b, 34);
	size_t andx = andx_put(b);
	sb_u8(b, 0);
	sb_le16(b, fid);
	sb_le32(b, 1);
	sb_zero(b, 32 + 4 + 8 + 8); /* times, attributes, sizes */
	sb_le16(b, 2);              /* FileType: message mode pipe */
	sb_le16(b, 0x5ff);
	sb_u8(b, 0);
	sb_le16(b, 0);
	return andx;
}

/* The byte count then data, its offset from the header at hdr patched
 * into the 16-bit field at off_at. */
static void data1(struct sb *b, size_t hdr, size_t off_at, const uint8_t *data, size_t n)
{
	sb_le16(b, (uint16_t)n);
	sb_set16(b, off_at, (uint16_t)(b->n - hdr));
	sb_put(b, data, n);
}

/* WRITE_ANDX request (§2.2.4.43.1): WordCount 12, data after the bytes count. */
size_t write1_req(struct sb *b, size_t hdr, uint16_t fid, const uint8_t *data, size_t n)
{
	sb_u8(b, 12);
	size_t andx = andx_put(b);
	sb_le16(b, fid);
	sb_zero(b, 4 + 4);
	sb_le16(b, 0x0008); /* WriteMode: message start */
	sb_le16(b, (uint16_t)n);
	sb_le16(b, 0);
	sb_le16(b, (uint16_t)n);
	size_t off = b->n;
	sb_le16(b, 0);
	data1(b, hdr, off, data, n);
	return andx;
}

/* READ_ANDX request (§2.2.4.42.1): WordCount 10. */
size_t read1_req(struct sb *b, uint16_t fid)
{
	sb_u8(b, 10);
	size_t andx = andx_put(b);
	sb_le16(b, fid);
	sb_le32(b, 0);
	sb_le16(b, 4280);
	sb_le16(b, 4280);
	sb_le32(b, 0);
	sb_le16(b, 0);
	sb_le16(b, 0);
	return andx;
}

/* READ_ANDX response (§2.2.4.42.2): WordCount 12 and the data. */
size_t read1_rsp(struct sb *b, size_t hdr, const uint8_t *data, size_t n)
{
	sb_u8(b, 12);
	size_t andx = andx_put(b);
	sb_le16(b, 0xffff); /* Available */
	sb_zero(b, 4);
	sb_le16(b, (uint16_t)n);
	size_t off = b->n;
	sb_le16(b, 0);
	sb_zero(b, 10);
	data1(b, hdr, off, data, n);
	return andx;
}

/* TRANSACTION request (§2.2.4.33.1) carrying TransactNmPipe for fid, or
 * its response (§2.2.4.33.2), with the data; no parameters. */
void trans1_pipe(struct sb *b, size_t hdr, bool response, uint16_t fid, const uint8_t *data, size_t n)
{
	size_t off;
	if (response) {
		sb_u8(b, 10);
		sb_le16(b, 0);
		sb_le16(b, (uint16_t)n);
		sb_zero(b, 2 + 2 + 2 + 2);
		sb_le16(b, (uint16_t)n);
		off = b->n;
		sb_le16(b, 0);
		sb_zero(b, 2 + 1 + 1);
		data1(b, hdr, off, data, n);
		return;
	}
	sb_u8(b, 16);
	sb_le16(b, 0);
	sb_le16(b, (uint16_t)n);
	sb_le16(b, 0);
	sb_le16(b, 4280);
	sb_zero(b, 1 + 1 + 2 + 4 + 2 + 2 + 2);
	sb_le16(b, (uint16_t)n);
	off = b->n;
	sb_le16(b, 0);
	sb_u8(b, 2);
	sb_u8(b, 0);
	sb_le16(b, 0x26);
	sb_le16(b, fid);
	size_t bc = b->n;
	sb_le16(b, 0);
	if ((b->n - hdr) & 1) /* Name: Unicode, aligned */
		sb_u8(b, 0);
	sb_utf16(b, "\\PIPE\\");
	sb_le16(b, 0);
	sb_set16(b, off, (uint16_t)(b->n - hdr));
	sb_put(b, data, n);
	sb_set16(b, bc, (uint16_t)(b->n - bc - 2));
}

/* ---- tokens: SPNEGO (RFC 4178 §4.2) around NTLMSSP (MS-NLMP §2.2.1) ---- */

static const uint8_t OID_SPNEGO[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static const uint8_t OID_NTLM[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };

/* NegTokenInit offering NTLM, with mech_token when n > 0 (else the
 * server's hint in a NEGOTIATE response). */
void spnego_init(struct sb *out, const uint8_t *mech_token, size_t n)
{
	struct sb seq = { 0 }, types = { 0 };
	der_add(&types, 0x06, OID_NTLM, sizeof OID_NTLM);
	der_wrap(&types, 0x30);
	der_add(&seq, 0xa0, types.p, types.n);
	if (n) {
		struct sb tok = { 0 };
		der_add(&tok, 0x04, mech_token, n);
		der_add(&seq, 0xa2, tok.p, tok.n);
		sb_free(&tok);
	}
	der_wrap(&seq, 0x30);
	der_wrap(&seq, 0xa0);
	der_add(out, 0x06, OID_SPNEGO, sizeof OID_SPNEGO);
	sb_put(out, seq.p, seq.n);
	der_wrap(out, 0x60);
	sb_free(&seq);
	sb_free(&types);
}

/* NegTokenResp with negState state and a responseToken when n > 0. */
void spnego_resp(struct sb *out, uint8_t state, const uint8_t *token, size_t n)
{
	const uint8_t st[] = { 0x0a, 0x01, state };
	der_add(out, 0xa0, st, sizeof st);
	if (n) {
		struct sb tok = { 0 };
		der_add(&tok, 0x04, token, n);
		der_add(out, 0xa2, tok.p, tok.n);
		sb_free(&tok);
	}
	der_wrap(out, 0x30);
	der_wrap(out, 0xa1);
}

void ntlm_negotiate(struct sb *b)
{
	sb_put(b, "NTLMSSP", 8);
	sb_le32(b, 1);
	sb_le32(b, 0xe0088297u);
	sb_zero(b, 16);
}

void ntlm_challenge(struct sb *b)
{
	sb_put(b, "NTLMSSP", 8);
	sb_le32(b, 2);
	sb_le16(b, 6); /* TargetName "LAB" */
	sb_le16(b, 6);
	sb_le32(b, 48);
	sb_le32(b, 0xe0898215u);
	sb_put(b, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	sb_zero(b, 8);
	sb_le16(b, 0); /* TargetInfo: none */
	sb_le16(b, 0);
	sb_le32(b, 54);
	sb_utf16(b, "LAB");
}

/* AUTHENTICATE (NTLMv1-sized responses) for domain\user; anonymous: no
 * user, no responses (MS-NLMP §3.2.5.1.2). */
void ntlm_authenticate(struct sb *b, const char *domain, const char *user, bool anonymous)
{
	size_t lm = anonymous ? 0 : 24, nt = anonymous ? 0 : 24;
	size_t dl = anonymous ? 0 : 2 * strlen(domain), ul = anonymous ? 0 : 2 * strlen(user);
	size_t wl = 2 * strlen("WS1");
	size_t off = 64;
	sb_put(b, "NTLMSSP", 8);
	sb_le32(b, 3);
	const size_t lens[6] = { lm, nt, dl, ul, wl, 0 };
	for (int i = 0; i < 6; i++) {
		sb_le16(b, (uint16_t)lens[i]);
		sb_le16(b, (uint16_t)lens[i]);
		sb_le32(b, (uint32_t)off);
		off += lens[i];
	}
	sb_le32(b, anonymous ? 0xe0888a15u : 0xe0888215u);
	for (size_t i = 0; i < lm + nt; i++)
		sb_u8(b, (uint8_t)(0x40 + i));
	if (!anonymous) {
		sb_utf16(b, domain);
		sb_utf16(b, user);
	}
	sb_utf16(b, "WS1");
}

void nbss(struct sb *b, uint8_t type, size_t len)
{
	sb_u8(b, type);
	sb_u8(b, (uint8_t)(len >> 16));
	sb_be16(b, (uint16_t)len);
}
