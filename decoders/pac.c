/* pac.c - the Windows PAC (MS-PAC) from a decrypted ticket's AD-WIN2K-PAC.
 *
 * Normative references: MS-PAC §2.3 (PACTYPE), §2.4 (PAC_INFO_BUFFER and
 * the ulType values), §2.5 (KERB_VALIDATION_INFO), §2.7 (PAC_CLIENT_INFO),
 * §2.8 (PAC_SIGNATURE_DATA), §2.9 (S4U_DELEGATION_INFO), §2.10
 * (UPN_DNS_INFO), §2.14 (PAC_ATTRIBUTES_INFO), §2.15 (PAC_REQUESTOR);
 * MS-DTYP §2.4.2.2 (SID), §2.3.10 (RPC_UNICODE_STRING), §2.3.3 (FILETIME);
 * MS-RPCE §2.2.6 (type serialization version 1) and C706 chapter 14 (NDR).
 *
 * Accepted subset.  PACTYPE Version 0 with 1 to KF_LIMIT_PAC_BUFFERS
 * buffers walked; every buffer is taken through kf_span_slice_at against
 * the whole PAC and must lie after the PAC_INFO_BUFFER array (8-byte
 * alignment of offsets is not required).  The first buffer of each type is
 * decoded, repeats are listed only (§2.4: further logon information MUST be
 * ignored).  The NDR buffers (LOGON_INFO, S4U_DELEGATION_INFO) must be
 * little-endian type serialization version 1 with a non-null top-level
 * pointer; their embedded pointers are unique pointers whose referents
 * follow the structure in pointer order, and a referent that itself holds
 * pointers (ExtraSids, the transited list) is followed at once by theirs.
 * Conformant sizes must equal the counts in the structure and string
 * actual counts must equal Length/2, or the buffer is malformed.  SIDs
 * have revision 1 and at most 15 sub-authorities.  Trailing bytes inside
 * a buffer (padding) are ignored.  Signature bytes are skipped, never kept.
 *
 * Nothing here recurses and every loop consumes bytes of a cursor that
 * cannot grow, so hostile counts end at the end of the buffer.
 */
#include "pac.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/cursor.h"
#include "base/text.h"

#define PACTYPE_HEADER 8u   /* cBuffers, Version */
#define PAC_INFO_BUFFER 16u /* ulType, cbBufferSize, Offset */

#define SID_MAX_SUBAUTH 15u /* MS-DTYP §2.4.2.2 */

#define UPN_HAS_SAM_AND_SID 0x2u

/* PAC_SIGNATURE_DATA Signature sizes of the checksum types MS-PAC §2.8 names. */
#define CKSUM_HMAC_MD5 (-138)
#define CKSUM_HMAC_SHA1_96_128 15
#define CKSUM_HMAC_SHA1_96_256 16

/* FILETIME: 100 ns ticks since 1601-01-01; this many seconds before 1970. */
#define FILETIME_TICKS_PER_SEC 10000000u
#define FILETIME_UNIX_OFFSET 11644473600ll
#define FILETIME_NEVER 0x7fffffffffffffffull

struct pac_ctx {
	struct kf_pac *out;
	struct kf_events *ev;
	bool raised_malformed;
	bool raised_cut;
};

static void malformed(struct pac_ctx *x)
{
	x->out->complete = false;
	if (!x->raised_malformed)
		kf_events_add(x->ev, KF_EV_PAC_MALFORMED);
	x->raised_malformed = true;
}

static void note_cut(struct pac_ctx *x)
{
	if (!x->raised_cut)
		kf_events_add(x->ev, KF_EV_KRB_FIELD_TRUNCATED);
	x->raised_cut = true;
}

static uint64_t le64(struct kf_cur *c)
{
	uint64_t lo = kf_cur_le32(c);
	uint64_t hi = kf_cur_le32(c);
	return lo | (hi << 32);
}

static int64_t filetime_to_unix(uint64_t ft)
{
	if (ft == 0 || ft >= FILETIME_NEVER)
		return 0;
	return (int64_t)(ft / FILETIME_TICKS_PER_SEC) - FILETIME_UNIX_OFFSET;
}

static void put_utf16(struct pac_ctx *x, struct kf_span units, char *dst, size_t cap)
{
	bool cut = false;
	(void)kf_text_utf16le(units, dst, cap, &cut);
	if (cut)
		note_cut(x);
}

/* ------------------------------------------------------------------ SIDs */

struct sid {
	uint8_t n_sub;
	uint64_t authority; /* 48 bits, big-endian on the wire */
	uint32_t sub[SID_MAX_SUBAUTH];
};

/* Revision, SubAuthorityCount, IdentifierAuthority, SubAuthority[]: the
 * SID body, the same in NDR (after its conformant count) and in binary. */
static bool read_sid_body(struct kf_cur *c, struct sid *s)
{
	uint8_t revision = kf_cur_u8(c);
	s->n_sub = kf_cur_u8(c);
	s->authority = 0;
	for (unsigned i = 0; i < 6; i++)
		s->authority = (s->authority << 8) | kf_cur_u8(c);
	if (!kf_cur_ok(c) || revision != 1 || s->n_sub > SID_MAX_SUBAUTH)
		return false;
	for (unsigned i = 0; i < s->n_sub; i++)
		s->sub[i] = kf_cur_le32(c);
	return kf_cur_ok(c);
}

/* "S-1-<authority>-<sub>...[-<rid>]" into dst, cut at cap with an event.
 * An authority of 2^32 or more is printed in hex, as Windows does. */
static void sid_text(struct pac_ctx *x, const struct sid *s, bool with_rid, uint32_t rid, char *dst,
		     size_t cap)
{
	/* the longest: "S-1-0x" + 12 hex digits + 16 x "-4294967295" */
	char tmp[256];
	int o;
	if (s->authority < (1ull << 32))
		o = snprintf(tmp, sizeof tmp, "S-1-%" PRIu64, s->authority);
	else
		o = snprintf(tmp, sizeof tmp, "S-1-0x%012" PRIX64, s->authority);
	for (unsigned i = 0; i < s->n_sub && o > 0 && (size_t)o < sizeof tmp; i++)
		o += snprintf(tmp + o, sizeof tmp - (size_t)o, "-%" PRIu32, s->sub[i]);
	if (with_rid && o > 0 && (size_t)o < sizeof tmp)
		o += snprintf(tmp + o, sizeof tmp - (size_t)o, "-%" PRIu32, rid);
	size_t n = strlen(tmp);
	if (n >= cap) {
		note_cut(x);
		n = cap - 1;
	}
	memcpy(dst, tmp, n);
	dst[n] = '\0';
}

static void keep_sid(struct pac_ctx *x, const struct sid *s, bool with_rid, uint32_t rid)
{
	struct kf_pac *out = x->out;
	if (out->n_sids >= KF_LIMIT_PAC_SIDS) {
		note_cut(x);
		return;
	}
	sid_text(x, s, with_rid, rid, out->sids[out->n_sids], sizeof out->sids[0]);
	out->n_sids++;
}

/* ------------------------------------------------------------------- NDR */

/* A cursor over one serialized object; alignment counts from its start. */
struct ndr {
	struct kf_cur c;
	const uint8_t *start;
};

static void ndr_align4(struct ndr *r)
{
	size_t off = (size_t)(r->c.p - r->start);
	kf_cur_skip(&r->c, (4 - off % 4) % 4);
}

static uint32_t ndr_u32(struct ndr *r)
{
	ndr_align4(r);
	return kf_cur_le32(&r->c);
}

/* MS-RPCE §2.2.6: common header (version 1, 0x10 little-endian, length 8,
 * filler), private header (object length, filler), then the object, which
 * starts with the top-level pointer's referent id. */
static bool ndr_open(struct kf_span b, struct ndr *r)
{
	struct kf_cur c = kf_cur_make(b);
	uint8_t version = kf_cur_u8(&c);
	uint8_t endianness = kf_cur_u8(&c);
	uint16_t common_len = kf_cur_le16(&c);
	kf_cur_skip(&c, 4); /* filler */
	uint32_t object_len = kf_cur_le32(&c);
	kf_cur_skip(&c, 4); /* filler */
	if (!kf_cur_ok(&c) || version != 1 || endianness != 0x10 || common_len != 8 ||
	    object_len > kf_cur_left(&c))
		return false;
	r->c = kf_cur_sub(&c, object_len);
	r->start = r->c.p;
	uint32_t top = kf_cur_le32(&r->c);
	return kf_cur_ok(&r->c) && top != 0;
}

/* RPC_UNICODE_STRING as it sits in a structure: Length, MaximumLength
 * (bytes) and the pointer to its characters. */
struct ustr {
	uint16_t len;
	uint32_t ptr;
};

static struct ustr read_ustr(struct kf_cur *c)
{
	struct ustr u;
	u.len = kf_cur_le16(c);
	(void)kf_cur_le16(c); /* MaximumLength: only the referent's counts matter */
	u.ptr = kf_cur_le32(c);
	return u;
}

/* The deferred characters of an RPC_UNICODE_STRING: a conformant varying
 * array (max count, offset, actual count, units).  Empty for a null pointer. */
static bool ndr_ustr_chars(struct ndr *r, struct ustr u, struct kf_span *units)
{
	units->p = NULL;
	units->n = 0;
	if (u.ptr == 0)
		return true;
	uint32_t max = ndr_u32(r);
	uint32_t offset = kf_cur_le32(&r->c);
	uint32_t actual = kf_cur_le32(&r->c);
	if (!kf_cur_ok(&r->c) || actual > max || offset > max - actual || (size_t)actual * 2 != u.len ||
	    actual > kf_cur_left(&r->c) / 2)
		return false;
	*units = kf_cur_bytes(&r->c, (size_t)actual * 2);
	return kf_cur_ok(&r->c);
}

/* A deferred RPC_SID: conformant count, then the body. */
static bool ndr_sid(struct ndr *r, struct sid *s)
{
	uint32_t conformance = ndr_u32(r);
	return read_sid_body(&r->c, s) && conformance == s->n_sub;
}

/* A deferred conformant array of count elements of size bytes each, as a
 * cursor over the elements.  False when its size is not count or it runs
 * past the object. */
static bool ndr_array(struct ndr *r, uint32_t count, size_t size, struct kf_cur *elems)
{
	uint32_t max = ndr_u32(r);
	if (!kf_cur_ok(&r->c) || max != count || max > kf_cur_left(&r->c) / size)
		return false;
	*elems = kf_cur_sub(&r->c, (size_t)max * size);
	return kf_cur_ok(&r->c);
}

/* GROUP_MEMBERSHIP elements (RelativeId, Attributes) as SIDs under dom. */
static void keep_group_sids(struct pac_ctx *x, struct kf_cur groups, const struct sid *dom)
{
	while (kf_cur_left(&groups) >= 8) {
		uint32_t rid = kf_cur_le32(&groups);
		kf_cur_skip(&groups, 4); /* Attributes */
		keep_sid(x, dom, true, rid);
	}
}

/* ------------------------------------------------------------ LOGON_INFO */

#define VALIDATION_NAMES 6 /* EffectiveName ... HomeDirectoryDrive */

static bool decode_logon_info(struct pac_ctx *x, struct kf_span b)
{
	struct kf_pac *out = x->out;
	struct ndr r;
	if (!ndr_open(b, &r))
		return false;

	/* KERB_VALIDATION_INFO, fixed part (216 bytes, every field 4-aligned) */
	struct kf_cur *c = &r.c;
	out->logon_time = filetime_to_unix(le64(c));
	kf_cur_skip(c, 5 * 8); /* LogoffTime ... PasswordMustChange */
	struct ustr names[VALIDATION_NAMES];
	for (unsigned i = 0; i < VALIDATION_NAMES; i++)
		names[i] = read_ustr(c);
	kf_cur_skip(c, 4); /* LogonCount, BadPasswordCount */
	out->user_rid = kf_cur_le32(c);
	out->primary_group_rid = kf_cur_le32(c);
	out->n_groups = kf_cur_le32(c);
	uint32_t groups_ptr = kf_cur_le32(c);
	out->user_flags = kf_cur_le32(c);
	kf_cur_skip(c, 16); /* UserSessionKey */
	struct ustr server = read_ustr(c);
	struct ustr domain = read_ustr(c);
	uint32_t domain_sid_ptr = kf_cur_le32(c);
	kf_cur_skip(c, 8); /* Reserved1 */
	out->user_account_control = kf_cur_le32(c);
	kf_cur_skip(c, 4 + 8 + 8 + 4 + 4); /* SubAuthStatus ... Reserved3 */
	out->n_extra_sids = kf_cur_le32(c);
	uint32_t extra_ptr = kf_cur_le32(c);
	uint32_t res_domain_ptr = kf_cur_le32(c);
	out->n_resource_groups = kf_cur_le32(c);
	uint32_t res_groups_ptr = kf_cur_le32(c);
	if (!kf_cur_ok(c))
		return false;

	/* The referents, in the order of the pointers above. */
	struct kf_span units;
	char *const name_out[VALIDATION_NAMES] = { out->logon_user, out->logon_full_name };
	for (unsigned i = 0; i < VALIDATION_NAMES; i++) {
		if (!ndr_ustr_chars(&r, names[i], &units))
			return false;
		if (name_out[i])
			put_utf16(x, units, name_out[i], KF_LIMIT_NAME);
	}
	struct kf_cur groups = kf_cur_make(kf_span_make(NULL, 0));
	if (groups_ptr && !ndr_array(&r, out->n_groups, 8, &groups))
		return false;
	if (!ndr_ustr_chars(&r, server, &units))
		return false;
	put_utf16(x, units, out->logon_server, sizeof out->logon_server);
	if (!ndr_ustr_chars(&r, domain, &units))
		return false;
	put_utf16(x, units, out->logon_domain, sizeof out->logon_domain);
	if (domain_sid_ptr) {
		struct sid dom;
		if (!ndr_sid(&r, &dom))
			return false;
		sid_text(x, &dom, false, 0, out->domain_sid, sizeof out->domain_sid);
		sid_text(x, &dom, true, out->user_rid, out->user_sid, sizeof out->user_sid);
		keep_group_sids(x, groups, &dom);
	}
	if (extra_ptr) {
		/* KERB_SID_AND_ATTRIBUTES (Sid pointer, Attributes), then each
		 * non-null Sid's referent, in order */
		struct kf_cur extra;
		if (!ndr_array(&r, out->n_extra_sids, 8, &extra))
			return false;
		while (kf_cur_left(&extra) >= 8) {
			uint32_t sid_ptr = kf_cur_le32(&extra);
			kf_cur_skip(&extra, 4); /* Attributes */
			struct sid s;
			if (sid_ptr == 0)
				continue;
			if (!ndr_sid(&r, &s))
				return false;
			keep_sid(x, &s, false, 0);
		}
	}
	struct sid res_dom = { 0 };
	if (res_domain_ptr) {
		if (!ndr_sid(&r, &res_dom))
			return false;
		out->has_resource_groups = true;
		sid_text(x, &res_dom, false, 0, out->resource_domain_sid, sizeof out->resource_domain_sid);
	}
	if (res_groups_ptr) {
		struct kf_cur res;
		if (!ndr_array(&r, out->n_resource_groups, 8, &res))
			return false;
		if (res_domain_ptr)
			keep_group_sids(x, res, &res_dom);
	}
	return kf_cur_ok(&r.c);
}

/* ----------------------------------------------------- S4U_DELEGATION_INFO */

static bool decode_s4u_delegation(struct pac_ctx *x, struct kf_span b)
{
	struct kf_pac *out = x->out;
	struct ndr r;
	if (!ndr_open(b, &r))
		return false;
	struct ustr target = read_ustr(&r.c);
	out->n_transited = kf_cur_le32(&r.c);
	uint32_t list_ptr = kf_cur_le32(&r.c);
	struct kf_span units;
	if (!kf_cur_ok(&r.c) || !ndr_ustr_chars(&r, target, &units))
		return false;
	put_utf16(x, units, out->s4u_proxy_target, sizeof out->s4u_proxy_target);
	if (!list_ptr)
		return true;
	/* an array of RPC_UNICODE_STRINGs, then their characters in order */
	struct kf_cur list;
	if (!ndr_array(&r, out->n_transited, 8, &list))
		return false;
	while (kf_cur_left(&list) >= 8) {
		struct ustr u = read_ustr(&list);
		if (!ndr_ustr_chars(&r, u, &units))
			return false;
		if (out->n_transited_kept >= KF_LIMIT_PAC_TRANSITED) {
			note_cut(x);
			continue;
		}
		put_utf16(x, units, out->transited[out->n_transited_kept], KF_LIMIT_NAME);
		out->n_transited_kept++;
	}
	return true;
}

/* ------------------------------------------------ the little-endian buffers */

/* A UTF-16 string given by byte length and offset inside its buffer. */
static bool utf16_at(struct kf_span b, uint16_t off, uint16_t len, struct kf_span *units)
{
	return len % 2 == 0 && kf_span_slice_at(b, off, len, units);
}

static bool decode_client_info(struct pac_ctx *x, struct kf_span b)
{
	struct kf_cur c = kf_cur_make(b);
	uint64_t client_id = le64(&c);
	uint16_t name_len = kf_cur_le16(&c);
	struct kf_span name = kf_cur_bytes(&c, name_len);
	if (!kf_cur_ok(&c) || name_len % 2 != 0)
		return false;
	x->out->client_time = filetime_to_unix(client_id);
	put_utf16(x, name, x->out->client_name, sizeof x->out->client_name);
	return true;
}

static bool decode_upn_dns(struct pac_ctx *x, struct kf_span b)
{
	struct kf_pac *out = x->out;
	struct kf_cur c = kf_cur_make(b);
	uint16_t upn_len = kf_cur_le16(&c);
	uint16_t upn_off = kf_cur_le16(&c);
	uint16_t dns_len = kf_cur_le16(&c);
	uint16_t dns_off = kf_cur_le16(&c);
	uint32_t flags = kf_cur_le32(&c);
	struct kf_span upn, dns;
	if (!kf_cur_ok(&c) || !utf16_at(b, upn_off, upn_len, &upn) || !utf16_at(b, dns_off, dns_len, &dns))
		return false;
	out->upn_flags = flags;
	put_utf16(x, upn, out->upn, sizeof out->upn);
	put_utf16(x, dns, out->dns_domain, sizeof out->dns_domain);
	if (!(flags & UPN_HAS_SAM_AND_SID))
		return true;

	uint16_t sam_len = kf_cur_le16(&c);
	uint16_t sam_off = kf_cur_le16(&c);
	uint16_t sid_len = kf_cur_le16(&c);
	uint16_t sid_off = kf_cur_le16(&c);
	struct kf_span sam, sid_bytes;
	if (!kf_cur_ok(&c) || !utf16_at(b, sam_off, sam_len, &sam) ||
	    !kf_span_slice_at(b, sid_off, sid_len, &sid_bytes))
		return false;
	put_utf16(x, sam, out->upn_sam_name, sizeof out->upn_sam_name);
	struct kf_cur sc = kf_cur_make(sid_bytes);
	struct sid s;
	if (!read_sid_body(&sc, &s) || kf_cur_left(&sc) != 0)
		return false;
	sid_text(x, &s, false, 0, out->upn_sid, sizeof out->upn_sid);
	return true;
}

static bool decode_attributes(struct pac_ctx *x, struct kf_span b)
{
	struct kf_cur c = kf_cur_make(b);
	uint32_t bits = kf_cur_le32(&c);
	size_t words = bits / 32 + (bits % 32 != 0);
	if (!kf_cur_ok(&c) || words > kf_cur_left(&c) / 4)
		return false;
	x->out->attributes = words ? kf_cur_le32(&c) : 0;
	return true;
}

static bool decode_requestor(struct pac_ctx *x, struct kf_span b)
{
	struct kf_cur c = kf_cur_make(b);
	struct sid s;
	if (!read_sid_body(&c, &s))
		return false;
	sid_text(x, &s, false, 0, x->out->requestor_sid, sizeof x->out->requestor_sid);
	return true;
}

/* PAC_SIGNATURE_DATA: the type, and for the types MS-PAC names a
 * signature of the right size after it (its bytes are not looked at). */
static bool decode_signature(struct kf_span b, int32_t *type)
{
	struct kf_cur c = kf_cur_make(b);
	int32_t t = (int32_t)kf_cur_le32(&c);
	size_t sig_len = 0;
	if (t == CKSUM_HMAC_MD5)
		sig_len = 16;
	else if (t == CKSUM_HMAC_SHA1_96_128 || t == CKSUM_HMAC_SHA1_96_256)
		sig_len = 12;
	kf_cur_skip(&c, sig_len);
	if (!kf_cur_ok(&c))
		return false;
	*type = t;
	return true;
}

/* ------------------------------------------------------------------ PAC */

/* Decode one buffer of a type this file reads; true for the others. */
static bool decode_buffer(struct pac_ctx *x, uint32_t type, struct kf_span b)
{
	struct kf_pac *out = x->out;
	bool *has;
	bool ok;
	switch (type) {
	case KF_PAC_LOGON_INFO:
		has = &out->has_logon_info;
		ok = decode_logon_info(x, b);
		break;
	case KF_PAC_CLIENT_INFO:
		has = &out->has_client_info;
		ok = decode_client_info(x, b);
		break;
	case KF_PAC_UPN_DNS_INFO:
		has = &out->has_upn_dns;
		ok = decode_upn_dns(x, b);
		break;
	case KF_PAC_S4U_DELEGATION_INFO:
		has = &out->has_s4u_delegation;
		ok = decode_s4u_delegation(x, b);
		break;
	case KF_PAC_ATTRIBUTES_INFO:
		has = &out->has_attributes;
		ok = decode_attributes(x, b);
		break;
	case KF_PAC_REQUESTOR:
		has = &out->has_requestor;
		ok = decode_requestor(x, b);
		break;
	case KF_PAC_SERVER_CHECKSUM:
		has = &out->has_server_checksum;
		ok = decode_signature(b, &out->server_checksum_type);
		break;
	case KF_PAC_KDC_CHECKSUM:
		has = &out->has_kdc_checksum;
		ok = decode_signature(b, &out->kdc_checksum_type);
		break;
	case KF_PAC_TICKET_CHECKSUM:
		has = &out->has_ticket_checksum;
		ok = decode_signature(b, &out->ticket_checksum_type);
		break;
	case KF_PAC_FULL_CHECKSUM:
		has = &out->has_full_checksum;
		ok = decode_signature(b, &out->full_checksum_type);
		break;
	default: return true;
	}
	*has = ok;
	return ok;
}

bool kf_pac_decode(struct kf_span pac, struct kf_pac *out, struct kf_events *ev)
{
	memset(out, 0, sizeof *out);
	struct pac_ctx x = { out, ev, false, false };
	struct kf_cur c = kf_cur_make(pac);
	uint32_t count = kf_cur_le32(&c);
	uint32_t version = kf_cur_le32(&c);
	out->n_buffers = count;
	if (!kf_cur_ok(&c) || version != 0 || count == 0 || count > kf_cur_left(&c) / PAC_INFO_BUFFER) {
		malformed(&x);
		return false;
	}
	out->complete = true;
	size_t array_end = PACTYPE_HEADER + (size_t)count * PAC_INFO_BUFFER;
	uint32_t walk = count;
	if (walk > KF_LIMIT_PAC_BUFFERS) {
		walk = KF_LIMIT_PAC_BUFFERS;
		out->complete = false;
		note_cut(&x);
	}
	uint32_t decoded = 0; /* bit t: the first buffer of type t (< 32) was seen */
	for (uint32_t i = 0; i < walk; i++) {
		uint32_t type = kf_cur_le32(&c);
		uint32_t size = kf_cur_le32(&c);
		uint64_t offset = le64(&c);
		out->types[out->n_types++] = type;
		struct kf_span b;
		if (offset > pac.n || !kf_span_slice_at(pac, (size_t)offset, size, &b) ||
		    (size > 0 && offset < array_end)) {
			malformed(&x);
			continue;
		}
		if (type < 32) {
			if (decoded & (1u << type))
				continue;
			decoded |= 1u << type;
		}
		if (!decode_buffer(&x, type, b))
			malformed(&x);
	}
	return true;
}

const char *kf_pac_buffer_name(uint32_t type)
{
	switch (type) {
	case KF_PAC_LOGON_INFO: return "LOGON_INFO";
	case KF_PAC_CREDENTIALS_INFO: return "CREDENTIALS_INFO";
	case KF_PAC_SERVER_CHECKSUM: return "SERVER_CHECKSUM";
	case KF_PAC_KDC_CHECKSUM: return "KDC_CHECKSUM";
	case KF_PAC_CLIENT_INFO: return "CLIENT_INFO";
	case KF_PAC_S4U_DELEGATION_INFO: return "S4U_DELEGATION_INFO";
	case KF_PAC_UPN_DNS_INFO: return "UPN_DNS_INFO";
	case KF_PAC_CLIENT_CLAIMS_INFO: return "CLIENT_CLAIMS_INFO";
	case KF_PAC_DEVICE_INFO: return "DEVICE_INFO";
	case KF_PAC_DEVICE_CLAIMS_INFO: return "DEVICE_CLAIMS_INFO";
	case KF_PAC_TICKET_CHECKSUM: return "TICKET_CHECKSUM";
	case KF_PAC_ATTRIBUTES_INFO: return "ATTRIBUTES_INFO";
	case KF_PAC_REQUESTOR: return "REQUESTOR";
	case KF_PAC_FULL_CHECKSUM: return "FULL_CHECKSUM";
	default: return NULL;
	}
}
