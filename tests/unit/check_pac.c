/* check_pac.c - the Windows PAC decoder (decoders/pac.c, MS-PAC).
 *
 * PACs are built here byte by byte, field by field from MS-PAC §2.3-§2.15
 * and the NDR rules of MS-RPCE §2.2.6 / C706 §14, with a small
 * little-endian writer; one real PAC (Samba's torture PAC, as kept in MIT
 * krb5's src/lib/krb5/krb/t_pac.c) checks the layout against a Windows
 * 2003 KDC's output. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "pac.h"
#include "testutil.h"

/* ------------------------------------------------------ a byte writer */

struct wr {
	uint8_t b[32768];
	size_t n;
};

static void put8(struct wr *w, uint8_t v)
{
	ck_assert_uint_lt(w->n, sizeof w->b);
	w->b[w->n++] = v;
}

static void put16(struct wr *w, uint16_t v)
{
	put8(w, (uint8_t)v);
	put8(w, (uint8_t)(v >> 8));
}

static void put32(struct wr *w, uint32_t v)
{
	put16(w, (uint16_t)v);
	put16(w, (uint16_t)(v >> 16));
}

static void put64(struct wr *w, uint64_t v)
{
	put32(w, (uint32_t)v);
	put32(w, (uint32_t)(v >> 32));
}

static void put_bytes(struct wr *w, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(w, ((const uint8_t *)p)[i]);
}

static void set32(struct wr *w, size_t at, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		w->b[at + i] = (uint8_t)(v >> (8 * i));
}

/* UTF-8 (up to 3-byte sequences, enough here) to UTF-16 units. */
static size_t utf16_units(const char *s, uint16_t *u, size_t cap)
{
	size_t n = 0;
	const uint8_t *p = (const uint8_t *)s;
	while (*p) {
		uint16_t c;
		if (p[0] < 0x80) {
			c = p[0];
			p += 1;
		} else if ((p[0] & 0xe0) == 0xc0) {
			c = (uint16_t)(((p[0] & 0x1f) << 6) | (p[1] & 0x3f));
			p += 2;
		} else {
			c = (uint16_t)(((p[0] & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f));
			p += 3;
		}
		ck_assert_uint_lt(n, cap);
		u[n++] = c;
	}
	return n;
}

static uint16_t utf16_bytes(const char *s)
{
	uint16_t u[1024];
	return (uint16_t)(2 * utf16_units(s, u, 1024));
}

static void put_utf16(struct wr *w, const char *s)
{
	uint16_t u[1024];
	size_t n = utf16_units(s, u, 1024);
	for (size_t i = 0; i < n; i++)
		put16(w, u[i]);
}

static void pad_to(struct wr *w, size_t from, size_t align)
{
	while ((w->n - from) % align)
		put8(w, 0);
}

/* ------------------------------------------------------------ SIDs */

struct tsid {
	uint64_t auth;
	uint8_t n;
	uint32_t sub[15];
};

static const struct tsid dom_sid = { 5, 4, { 21, 1111, 2222, 3333 } };
static const struct tsid res_dom_sid = { 5, 4, { 21, 4444, 5555, 6666 } };
static const struct tsid claims_sid = { 18, 1, { 1 } }; /* S-1-18-1 */
static const struct tsid other_user_sid = { 5, 5, { 21, 7, 8, 9, 1000 } };
static const struct tsid user_sid_bin = { 5, 5, { 21, 1111, 2222, 3333, 1104 } };

static void put_sid_body(struct wr *w, const struct tsid *s)
{
	put8(w, 1);
	put8(w, s->n);
	for (int i = 5; i >= 0; i--)
		put8(w, (uint8_t)(s->auth >> (8 * i)));
	for (unsigned i = 0; i < s->n; i++)
		put32(w, s->sub[i]);
}

/* ------------------------------------------------------------- NDR */

struct ndrw {
	struct wr *w;
	size_t start;  /* of the serialized object: alignment counts from here */
	size_t len_at; /* private header's object length, patched at the end */
	uint32_t next_ref;
};

static void ndr_begin(struct ndrw *d, struct wr *w)
{
	d->w = w;
	put8(w, 1);    /* version */
	put8(w, 0x10); /* little-endian */
	put16(w, 8);   /* common header length */
	put32(w, 0xcccccccc);
	d->len_at = w->n;
	put32(w, 0); /* object length */
	put32(w, 0); /* filler */
	d->start = w->n;
	d->next_ref = 0x00020000;
	put32(w, d->next_ref); /* top-level pointer */
	d->next_ref += 4;
}

static void ndr_end(struct ndrw *d)
{
	pad_to(d->w, d->start, 8);
	set32(d->w, d->len_at, (uint32_t)(d->w->n - d->start));
}

static uint32_t ndr_ref(struct ndrw *d)
{
	uint32_t r = d->next_ref;
	d->next_ref += 4;
	return r;
}

static void ndr_align4(struct ndrw *d) { pad_to(d->w, d->start, 4); }

/* RPC_UNICODE_STRING header; NULL: empty with a null pointer. */
static void ndr_ustr(struct ndrw *d, const char *s)
{
	uint16_t len = s ? utf16_bytes(s) : 0;
	put16(d->w, len);
	put16(d->w, len);
	put32(d->w, s ? ndr_ref(d) : 0);
}

static void ndr_chars(struct ndrw *d, const char *s)
{
	if (!s)
		return;
	uint32_t units = utf16_bytes(s) / 2u;
	ndr_align4(d);
	put32(d->w, units);
	put32(d->w, 0);
	put32(d->w, units);
	put_utf16(d->w, s);
}

static void ndr_sid(struct ndrw *d, const struct tsid *s)
{
	ndr_align4(d);
	put32(d->w, s->n);
	put_sid_body(d->w, s);
}

/* ------------------------------------------------- buffer builders */

struct logon_spec {
	const char *user, *full, *script, *server, *domain;
	uint64_t logon_ft;
	uint32_t rid, pgid, user_flags, uac;
	const struct tsid *dom; /* NULL: no LogonDomainId */
	const uint32_t *groups;
	uint32_t n_groups;
	const struct tsid *const *extra; /* a NULL entry is a null Sid pointer */
	uint32_t n_extra;
	const struct tsid *res_dom;
	const uint32_t *res;
	uint32_t n_res;
};

/* Where some deferred items landed, from the start of the buffer. */
struct logon_marks {
	size_t groups, dom_sid, extra, res_groups;
};

#define LT_LOGON_FT 0x01d9f0a1b2c3d4e0ull /* some FILETIME in 2023 */

static void build_logon(struct wr *w, const struct logon_spec *s, struct logon_marks *m)
{
	struct logon_marks dummy;
	if (!m)
		m = &dummy;
	size_t base = w->n;
	struct ndrw d;
	ndr_begin(&d, w);
	put64(w, s->logon_ft);
	put64(w, 0x7fffffffffffffffull); /* LogoffTime: never */
	put64(w, 0x7fffffffffffffffull); /* KickOffTime */
	put64(w, LT_LOGON_FT - 1000);    /* PasswordLastSet */
	put64(w, 0);                     /* PasswordCanChange */
	put64(w, 0x7fffffffffffffffull); /* PasswordMustChange */
	ndr_ustr(&d, s->user);
	ndr_ustr(&d, s->full);
	ndr_ustr(&d, s->script);
	ndr_ustr(&d, "");   /* ProfilePath: empty, non-null pointer */
	ndr_ustr(&d, NULL); /* HomeDirectory */
	ndr_ustr(&d, NULL); /* HomeDirectoryDrive */
	put16(w, 7);        /* LogonCount */
	put16(w, 0);        /* BadPasswordCount */
	put32(w, s->rid);
	put32(w, s->pgid);
	put32(w, s->n_groups);
	put32(w, s->groups ? ndr_ref(&d) : 0);
	put32(w, s->user_flags);
	for (unsigned i = 0; i < 16; i++)
		put8(w, 0xee); /* UserSessionKey */
	ndr_ustr(&d, s->server);
	ndr_ustr(&d, s->domain);
	put32(w, s->dom ? ndr_ref(&d) : 0);
	put64(w, 0); /* Reserved1 */
	put32(w, s->uac);
	put32(w, 0); /* SubAuthStatus */
	put64(w, 0); /* LastSuccessfulILogon */
	put64(w, 0); /* LastFailedILogon */
	put32(w, 0); /* FailedILogonCount */
	put32(w, 0); /* Reserved3 */
	put32(w, s->n_extra);
	put32(w, s->extra ? ndr_ref(&d) : 0);
	put32(w, s->res_dom ? ndr_ref(&d) : 0);
	put32(w, s->n_res);
	put32(w, s->res ? ndr_ref(&d) : 0);
	ck_assert_uint_eq(w->n - d.start, 4 + 216);

	ndr_chars(&d, s->user);
	ndr_chars(&d, s->full);
	ndr_chars(&d, s->script);
	ndr_chars(&d, "");
	if (s->groups) {
		ndr_align4(&d);
		m->groups = w->n - base;
		put32(w, s->n_groups);
		for (unsigned i = 0; i < s->n_groups; i++) {
			put32(w, s->groups[i]);
			put32(w, 7); /* SE_GROUP_MANDATORY | ENABLED_BY_DEFAULT | ENABLED */
		}
	}
	ndr_chars(&d, s->server);
	ndr_chars(&d, s->domain);
	if (s->dom) {
		ndr_align4(&d);
		m->dom_sid = w->n - base;
		ndr_sid(&d, s->dom);
	}
	if (s->extra) {
		ndr_align4(&d);
		m->extra = w->n - base;
		put32(w, s->n_extra);
		for (unsigned i = 0; i < s->n_extra; i++) {
			put32(w, s->extra[i] ? ndr_ref(&d) : 0);
			put32(w, 7);
		}
		for (unsigned i = 0; i < s->n_extra; i++)
			if (s->extra[i])
				ndr_sid(&d, s->extra[i]);
	}
	if (s->res_dom)
		ndr_sid(&d, s->res_dom);
	if (s->res) {
		ndr_align4(&d);
		m->res_groups = w->n - base;
		put32(w, s->n_res);
		for (unsigned i = 0; i < s->n_res; i++) {
			put32(w, s->res[i]);
			put32(w, 0x20000007); /* SE_GROUP_RESOURCE | ... */
		}
	}
	ndr_end(&d);
}

static void build_client_info(struct wr *w, uint64_t ft, const char *name)
{
	put64(w, ft);
	put16(w, utf16_bytes(name));
	put_utf16(w, name);
}

/* UPN_DNS_INFO: the header (16 bytes, 24 with SamName/SID), then the
 * strings and the SID, each at an 8-byte boundary as Windows lays them out. */
static void build_upn(struct wr *w, const char *upn, const char *dns, uint32_t flags, const char *sam,
		      const struct tsid *sid)
{
	size_t base = w->n;
	bool ext = flags & 2;
	size_t at = base + (ext ? 24 : 16);
	at = base + ((at - base + 7) & ~(size_t)7);
	uint16_t upn_len = utf16_bytes(upn), dns_len = utf16_bytes(dns);
	uint16_t upn_off = (uint16_t)(at - base);
	uint16_t dns_off = (uint16_t)((upn_off + upn_len + 7) & ~7);
	uint16_t sam_len = ext ? utf16_bytes(sam) : 0;
	uint16_t sam_off = (uint16_t)((dns_off + dns_len + 7) & ~7);
	uint16_t sid_len = ext ? (uint16_t)(8 + 4 * sid->n) : 0;
	uint16_t sid_off = (uint16_t)((sam_off + sam_len + 7) & ~7);
	put16(w, upn_len);
	put16(w, upn_off);
	put16(w, dns_len);
	put16(w, dns_off);
	put32(w, flags);
	if (ext) {
		put16(w, sam_len);
		put16(w, sam_off);
		put16(w, sid_len);
		put16(w, sid_off);
	}
	pad_to(w, base, 8);
	put_utf16(w, upn);
	pad_to(w, base, 8);
	put_utf16(w, dns);
	if (ext) {
		pad_to(w, base, 8);
		put_utf16(w, sam);
		pad_to(w, base, 8);
		ck_assert_uint_eq(w->n - base, sid_off);
		put_sid_body(w, sid);
	}
}

/* S4U_DELEGATION_INFO; *list_mark gets where the transited array's max
 * count is, from the start of the buffer. */
static void build_s4u(struct wr *w, const char *target, const char *const *transited, uint32_t n,
		      size_t *list_mark)
{
	size_t base = w->n;
	struct ndrw d;
	ndr_begin(&d, w);
	ndr_ustr(&d, target);
	put32(w, n);
	put32(w, ndr_ref(&d));
	ndr_chars(&d, target);
	ndr_align4(&d);
	if (list_mark)
		*list_mark = w->n - base;
	put32(w, n);
	for (unsigned i = 0; i < n; i++)
		ndr_ustr(&d, transited[i]);
	for (unsigned i = 0; i < n; i++)
		ndr_chars(&d, transited[i]);
	ndr_end(&d);
}

static void build_signature(struct wr *w, int32_t type, size_t sig_len)
{
	put32(w, (uint32_t)type);
	for (size_t i = 0; i < sig_len; i++)
		put8(w, (uint8_t)(0xa0 + i));
}

/* ------------------------------------------------------ PAC assembly */

struct pbuf {
	uint32_t type;
	struct wr *data;
};

/* PACTYPE + PAC_INFO_BUFFERs, each buffer at an 8-byte boundary (the
 * last one unpadded, so the PAC ends where it does); off[i] gets where
 * buffer i starts. */
static void assemble(struct wr *pac, const struct pbuf *bufs, unsigned n, size_t *off)
{
	pac->n = 0;
	put32(pac, n);
	put32(pac, 0);
	size_t at = 8 + 16 * (size_t)n;
	for (unsigned i = 0; i < n; i++) {
		at = (at + 7) & ~(size_t)7;
		if (off)
			off[i] = at;
		put32(pac, bufs[i].type);
		put32(pac, (uint32_t)bufs[i].data->n);
		put64(pac, at);
		at += bufs[i].data->n;
	}
	for (unsigned i = 0; i < n; i++) {
		pad_to(pac, 0, 8);
		put_bytes(pac, bufs[i].data->b, bufs[i].data->n);
	}
}

/* ------------------------------------------------------ the full PAC */

enum {
	B_LOGON,
	B_CLIENT,
	B_UPN,
	B_S4U,
	B_ATTR,
	B_REQ,
	B_CRED,
	B_UNKNOWN,
	B_CLAIMS,
	B_SRV,
	B_KDC,
	B_TKT,
	B_FULL,
	N_FULL
};

static const uint32_t full_types[N_FULL] = { 1, 10, 12, 11, 17, 18, 2, 99, 13, 6, 7, 16, 19 };

static const uint32_t full_groups[] = { 513, 512, 1105 };
static const struct tsid *const full_extra[] = { &claims_sid, NULL, &other_user_sid };
static const uint32_t full_res[] = { 600 };
static const char *const full_transited[] = { "http/web1.lab.test@LAB.TEST", "host/web2$@LAB.TEST" };

#define CLIENT_FT 0x01da1b2c3d4e5f60ull

static const struct logon_spec full_logon = {
	.user = "alice",
	.full = "Alice Liddell",
	.script = "logon.cmd",
	.server = "DC1",
	.domain = "LAB",
	.logon_ft = LT_LOGON_FT,
	.rid = 1104,
	.pgid = 513,
	.user_flags = 0x220,
	.uac = 0x210,
	.dom = &dom_sid,
	.groups = full_groups,
	.n_groups = 3,
	.extra = full_extra,
	.n_extra = 3,
	.res_dom = &res_dom_sid,
	.res = full_res,
	.n_res = 1,
};

struct full {
	struct wr pac;
	size_t off[N_FULL];
	struct logon_marks lm;
	size_t s4u_list;
	size_t upn_sid;
};

static struct full *make_full(void)
{
	struct full *f = calloc(1, sizeof *f);
	static struct wr b[N_FULL];
	for (unsigned i = 0; i < N_FULL; i++)
		b[i].n = 0;
	build_logon(&b[B_LOGON], &full_logon, &f->lm);
	build_client_info(&b[B_CLIENT], CLIENT_FT, "alice");
	build_upn(&b[B_UPN], "alice@lab.test", "LAB.TEST", 2, "alice", &user_sid_bin);
	f->upn_sid = b[B_UPN].n - (8 + 4 * 5);
	build_s4u(&b[B_S4U], "cifs/fs.lab.test", full_transited, 2, &f->s4u_list);
	put32(&b[B_ATTR], 2); /* FlagsLength: 2 bits */
	put32(&b[B_ATTR], 1); /* PAC_WAS_REQUESTED */
	put_sid_body(&b[B_REQ], &user_sid_bin);
	put32(&b[B_CRED], 0);  /* Version */
	put32(&b[B_CRED], 18); /* EncryptionType */
	put64(&b[B_CRED], 0x1122334455667788ull);
	put32(&b[B_UNKNOWN], 0xdeadbeef);
	/* B_CLAIMS: empty, as Windows sends when there are no claims */
	build_signature(&b[B_SRV], 16, 12);   /* HMAC-SHA1-96-AES256 */
	build_signature(&b[B_KDC], -138, 16); /* HMAC-MD5 */
	build_signature(&b[B_TKT], 16, 12);
	build_signature(&b[B_FULL], 15, 12); /* HMAC-SHA1-96-AES128 */
	struct pbuf bufs[N_FULL];
	for (unsigned i = 0; i < N_FULL; i++) {
		bufs[i].type = full_types[i];
		bufs[i].data = &b[i];
	}
	assemble(&f->pac, bufs, N_FULL, f->off);
	return f;
}

/* ----------------------------------------------------------- helpers */

/* How many times e was raised (the sink gives repeats their own slots
 * until it is full, then counts them on the first). */
static unsigned count_event(const struct kf_events *ev, enum kf_event e)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ev->n; i++)
		if (ev->ev[i] == (uint16_t)e)
			n += 1 + ev->more[i];
	return n;
}

/* Decode a copy of exactly n bytes (ASan sees any overread). */
static bool decode_copy(const uint8_t *p, size_t n, struct kf_pac *out, struct kf_events *ev)
{
	uint8_t *c = malloc(n ? n : 1);
	memcpy(c, p, n);
	bool ok = kf_pac_decode(kf_span_make(c, n), out, ev);
	free(c);
	return ok;
}

static bool has_buffer(const struct kf_pac *p, unsigned idx)
{
	switch (idx) {
	case B_LOGON: return p->has_logon_info;
	case B_CLIENT: return p->has_client_info;
	case B_UPN: return p->has_upn_dns;
	case B_S4U: return p->has_s4u_delegation;
	case B_ATTR: return p->has_attributes;
	case B_REQ: return p->has_requestor;
	case B_SRV: return p->has_server_checksum;
	case B_KDC: return p->has_kdc_checksum;
	case B_TKT: return p->has_ticket_checksum;
	case B_FULL: return p->has_full_checksum;
	default: return true; /* listed only */
	}
}

static bool only_listed(unsigned idx) { return idx == B_CRED || idx == B_UNKNOWN || idx == B_CLAIMS; }

/* ------------------------------------------------------ valid PACs */

START_TEST(t_full)
{
	struct full *f = make_full();
	struct kf_pac p;
	struct kf_events ev = { 0 };
	ck_assert(decode_copy(f->pac.b, f->pac.n, &p, &ev));
	ck_assert_msg(ev.n == 0, "unexpected event %s", kf_event_code(ev.ev[0]));
	ck_assert(p.complete);
	ck_assert_uint_eq(p.n_buffers, N_FULL);
	ck_assert_uint_eq(p.n_types, N_FULL);
	for (unsigned i = 0; i < N_FULL; i++)
		ck_assert_uint_eq(p.types[i], full_types[i]);

	ck_assert(p.has_logon_info);
	ck_assert_str_eq(p.logon_user, "alice");
	ck_assert_str_eq(p.logon_full_name, "Alice Liddell");
	ck_assert_str_eq(p.logon_domain, "LAB");
	ck_assert_str_eq(p.logon_server, "DC1");
	ck_assert_str_eq(p.domain_sid, "S-1-5-21-1111-2222-3333");
	ck_assert_str_eq(p.user_sid, "S-1-5-21-1111-2222-3333-1104");
	ck_assert_uint_eq(p.user_rid, 1104);
	ck_assert_uint_eq(p.primary_group_rid, 513);
	ck_assert_uint_eq(p.user_flags, 0x220);
	ck_assert_uint_eq(p.user_account_control, 0x210);
	ck_assert_int_eq(p.logon_time, (int64_t)(LT_LOGON_FT / 10000000u) - 11644473600ll);
	ck_assert_uint_eq(p.n_groups, 3);
	ck_assert_uint_eq(p.n_extra_sids, 3);
	ck_assert(p.has_resource_groups);
	ck_assert_str_eq(p.resource_domain_sid, "S-1-5-21-4444-5555-6666");
	ck_assert_uint_eq(p.n_resource_groups, 1);
	static const char *const sids[] = {
		"S-1-5-21-1111-2222-3333-513",  "S-1-5-21-1111-2222-3333-512",
		"S-1-5-21-1111-2222-3333-1105", "S-1-18-1",
		"S-1-5-21-7-8-9-1000",          "S-1-5-21-4444-5555-6666-600",
	};
	ck_assert_uint_eq(p.n_sids, 6);
	for (unsigned i = 0; i < 6; i++)
		ck_assert_str_eq(p.sids[i], sids[i]);

	ck_assert(p.has_client_info);
	ck_assert_int_eq(p.client_time, (int64_t)(CLIENT_FT / 10000000u) - 11644473600ll);
	ck_assert_str_eq(p.client_name, "alice");

	ck_assert(p.has_upn_dns);
	ck_assert_str_eq(p.upn, "alice@lab.test");
	ck_assert_str_eq(p.dns_domain, "LAB.TEST");
	ck_assert_uint_eq(p.upn_flags, 2);
	ck_assert_str_eq(p.upn_sam_name, "alice");
	ck_assert_str_eq(p.upn_sid, "S-1-5-21-1111-2222-3333-1104");

	ck_assert(p.has_s4u_delegation);
	ck_assert_str_eq(p.s4u_proxy_target, "cifs/fs.lab.test");
	ck_assert_uint_eq(p.n_transited, 2);
	ck_assert_uint_eq(p.n_transited_kept, 2);
	ck_assert_str_eq(p.transited[0], "http/web1.lab.test@LAB.TEST");
	ck_assert_str_eq(p.transited[1], "host/web2$@LAB.TEST");

	ck_assert(p.has_attributes);
	ck_assert_uint_eq(p.attributes, 1);
	ck_assert(p.has_requestor);
	ck_assert_str_eq(p.requestor_sid, "S-1-5-21-1111-2222-3333-1104");

	ck_assert(p.has_server_checksum && p.has_kdc_checksum);
	ck_assert(p.has_ticket_checksum && p.has_full_checksum);
	ck_assert_int_eq(p.server_checksum_type, 16);
	ck_assert_int_eq(p.kdc_checksum_type, -138);
	ck_assert_int_eq(p.ticket_checksum_type, 16);
	ck_assert_int_eq(p.full_checksum_type, 15);

	ck_assert(kf_pac_decode(kf_span_make(f->pac.b, f->pac.n), &p, NULL)); /* NULL sink */
	ck_assert(p.complete);
	free(f);
}
END_TEST

/* UPN_DNS_INFO without the SamName/SID extension (flags: constructed). */
START_TEST(t_upn_plain)
{
	static struct wr upn, pac;
	upn.n = 0;
	build_upn(&upn, "bob@lab.test", "lab.test", 1, NULL, NULL);
	ck_assert_uint_eq(upn.n, 16 + 24 + 16);
	struct pbuf b = { 12, &upn };
	assemble(&pac, &b, 1, NULL);
	struct kf_pac p;
	struct kf_events ev = { 0 };
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert_uint_eq(ev.n, 0);
	ck_assert(p.complete && p.has_upn_dns && !p.has_logon_info);
	ck_assert_str_eq(p.upn, "bob@lab.test");
	ck_assert_str_eq(p.dns_domain, "lab.test");
	ck_assert_uint_eq(p.upn_flags, 1);
	ck_assert_str_eq(p.upn_sam_name, "");
	ck_assert_str_eq(p.upn_sid, "");

	/* the same buffer claiming the extension: its header is cut short */
	upn.b[8] = 3;
	assemble(&pac, &b, 1, NULL);
	memset(&ev, 0, sizeof ev);
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert(!p.has_upn_dns && !p.complete);
	ck_assert_uint_eq(count_event(&ev, KF_EV_PAC_MALFORMED), 1);
}
END_TEST

/* A PAC issued by a Windows 2003 KDC for the machine account
 * w2003final$@WIN2K3.THINKER.LOCAL: Samba's torture PAC, also in MIT krb5
 * src/lib/krb5/krb/t_pac.c (whose authtime, 1120440609, is its ClientId). */
static const char real_pac[] = "040000000000000001000000d801000048000000000000000a00000020000000"
			       "2002000000000000060000001400000040020000000000000700000014000000"
			       "580200000000000001100800ccccccccc8010000000000000000020030dfa6cb"
			       "4f7dc501ffffffffffffff7fffffffffffffff7fc03c4e596273c501c03c4e59"
			       "6273c501ffffffffffffff7f1600160004000200000000000800020000000000"
			       "0c00020000000000100002000000000014000200000000001800020065000000"
			       "ed03000004020000010000001c00020020000000000000000000000000000000"
			       "0000000014001600200002001600180024000200280002000000000000000000"
			       "0021000000000000000000000000000000000000000000000000000000000000"
			       "010000002c0002000000000000000000000000000b000000000000000b000000"
			       "57003200300030003300460049004e0041004c00240000000000000000000000"
			       "0000000000000000000000000000000000000000000000000000000000000000"
			       "0000000000000000000000000000000000000000010000000402000007000000"
			       "0b000000000000000a00000057003200300030003300460049004e0041004c00"
			       "0c000000000000000b000000570049004e0032004b0033005400480049004e00"
			       "4b00000004000000010400000000000515000000112fafb590041bec503becdc"
			       "0100000030000200070000000100000001010000000000050900000000000000"
			       "806628ea3780c501160077003200300030003300660069006e0061006c002400"
			       "76ffffff37d5b0f724f0d6d4ec09865aa0e8c3a90000000076ffffffb4d8b8fe"
			       "83b3133ffc5c41ade26483e000000000";

static uint8_t *hex_load(const char *hex, size_t *n)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *p = malloc(cap);
	*n = kf_test_hex(hex, p, cap);
	return p;
}

START_TEST(t_real)
{
	size_t n;
	uint8_t *b = hex_load(real_pac, &n);
	ck_assert_uint_eq(n, 624);
	struct kf_pac p;
	struct kf_events ev = { 0 };
	ck_assert(decode_copy(b, n, &p, &ev));
	ck_assert_uint_eq(ev.n, 0);
	ck_assert(p.complete);
	ck_assert_uint_eq(p.n_types, 4);
	ck_assert_uint_eq(p.types[0], 1);
	ck_assert_uint_eq(p.types[1], 10);
	ck_assert_uint_eq(p.types[2], 6);
	ck_assert_uint_eq(p.types[3], 7);
	ck_assert(p.has_logon_info);
	ck_assert_str_eq(p.logon_user, "W2003FINAL$");
	ck_assert_str_eq(p.logon_full_name, "");
	ck_assert_str_eq(p.logon_server, "W2003FINAL");
	ck_assert_str_eq(p.logon_domain, "WIN2K3THINK");
	ck_assert_str_eq(p.domain_sid, "S-1-5-21-3048156945-3961193616-3706469200");
	ck_assert_str_eq(p.user_sid, "S-1-5-21-3048156945-3961193616-3706469200-1005");
	ck_assert_uint_eq(p.user_rid, 1005);
	ck_assert_uint_eq(p.primary_group_rid, 516); /* Domain Controllers */
	ck_assert_uint_eq(p.user_flags, 0x20);       /* LOGON_EXTRA_SIDS */
	ck_assert_uint_eq(p.user_account_control, 0x2100);
	ck_assert_int_eq(p.logon_time, 1120121012); /* 2005-06-30 08:43:32 UTC */
	ck_assert_uint_eq(p.n_groups, 1);
	ck_assert_uint_eq(p.n_extra_sids, 1);
	ck_assert(!p.has_resource_groups);
	ck_assert_uint_eq(p.n_sids, 2);
	ck_assert_str_eq(p.sids[0], "S-1-5-21-3048156945-3961193616-3706469200-516");
	ck_assert_str_eq(p.sids[1], "S-1-5-9"); /* Enterprise Domain Controllers */
	ck_assert(p.has_client_info);
	ck_assert_int_eq(p.client_time, 1120440609);
	ck_assert_str_eq(p.client_name, "w2003final$");
	ck_assert(p.has_server_checksum && p.has_kdc_checksum);
	ck_assert_int_eq(p.server_checksum_type, -138);
	ck_assert_int_eq(p.kdc_checksum_type, -138);
	ck_assert(!p.has_upn_dns && !p.has_s4u_delegation && !p.has_attributes && !p.has_requestor);
	free(b);
}
END_TEST

/* ------------------------------------------------------ truncation */

/* Each buffer's cbBufferSize cut to every shorter length: that buffer,
 * and only it, is lost, with one event. */
START_TEST(t_buffer_truncation)
{
	unsigned idx = (unsigned)_i;
	struct full *f = make_full();
	size_t size_at = 8 + 16 * (size_t)idx + 4;
	uint32_t size = (uint32_t)f->pac.b[size_at] | (uint32_t)f->pac.b[size_at + 1] << 8;
	for (uint32_t k = 0; k < size; k++) {
		set32(&f->pac, size_at, k);
		struct kf_pac p;
		struct kf_events ev = { 0 };
		ck_assert(decode_copy(f->pac.b, f->pac.n, &p, &ev));
		for (unsigned j = 0; j < N_FULL; j++)
			ck_assert_msg(has_buffer(&p, j) == (j != idx || only_listed(j)),
				      "buffer %u cut to %u: buffer %u has=%d", idx, k, j, has_buffer(&p, j));
		if (only_listed(idx)) {
			ck_assert(p.complete);
			ck_assert_uint_eq(ev.n, 0);
		} else {
			ck_assert_msg(!p.complete, "buffer %u cut to %u: complete", idx, k);
			ck_assert_uint_eq(count_event(&ev, KF_EV_PAC_MALFORMED), 1);
		}
	}
	free(f);
}
END_TEST

/* Every prefix of the whole PAC: the header alone decides the result; a
 * buffer running past the end is malformed, never read. */
START_TEST(t_prefix_sweep)
{
	struct full *f = make_full();
	size_t header = 8 + 16 * (size_t)N_FULL;
	for (size_t k = 0; k < f->pac.n; k++) {
		struct kf_pac p;
		struct kf_events ev = { 0 };
		bool ok = decode_copy(f->pac.b, k, &p, &ev);
		ck_assert_msg(ok == (k >= header), "prefix %zu: %d", k, ok);
		ck_assert(!p.complete);
		ck_assert_uint_eq(count_event(&ev, KF_EV_PAC_MALFORMED), 1);
	}
	free(f);
}
END_TEST

/* ----------------------------------------------------- hostile bytes */

enum mark { M_ABS, M_BUF, M_GROUPS, M_DOM_SID, M_EXTRA, M_S4U_LIST, M_UPN_SID };

struct patch {
	enum mark mark;
	int buf; /* buffer index for the marks inside a buffer */
	size_t off;
	const char *hex;
};

struct bad {
	const char *name;
	struct patch patch[2];
	bool ok;    /* kf_pac_decode's result */
	int broken; /* buffer that must be lost (-1: the header) */
};

static const struct bad bads[] = {
	/* PACTYPE */
	{ "cbuffers-huge", { { M_ABS, 0, 0, "ffffffff" } }, false, -1 },
	{ "cbuffers-zero", { { M_ABS, 0, 0, "00000000" } }, false, -1 },
	{ "cbuffers-past-end", { { M_ABS, 0, 0, "00100000" } }, false, -1 },
	{ "version-1", { { M_ABS, 0, 4, "01000000" } }, false, -1 },
	/* PAC_INFO_BUFFER */
	{ "offset-huge", { { M_ABS, 0, 8 + 16 * B_LOGON + 8, "ffffffffffffffff" } }, true, B_LOGON },
	{ "offset-high-half", { { M_ABS, 0, 8 + 16 * B_CLIENT + 12, "01000000" } }, true, B_CLIENT },
	{ "offset-wraps", { { M_ABS, 0, 8 + 16 * B_UPN + 8, "f8ffffffffffffff" } }, true, B_UPN },
	{ "offset-in-header", { { M_ABS, 0, 8 + 16 * B_ATTR + 8, "0800000000000000" } }, true, B_ATTR },
	{ "size-huge", { { M_ABS, 0, 8 + 16 * B_ATTR + 4, "ffffffff" } }, true, B_ATTR },
	{ "size-past-end", { { M_ABS, 0, 8 + 16 * B_FULL + 4, "11000000" } }, true, B_FULL },
	/* LOGON_INFO: NDR headers */
	{ "ndr-version-2", { { M_BUF, B_LOGON, 0, "02" } }, true, B_LOGON },
	{ "ndr-big-endian", { { M_BUF, B_LOGON, 1, "00" } }, true, B_LOGON },
	{ "ndr-header-len", { { M_BUF, B_LOGON, 2, "0900" } }, true, B_LOGON },
	{ "ndr-object-len-huge", { { M_BUF, B_LOGON, 8, "ffffff7f" } }, true, B_LOGON },
	{ "ndr-object-len-short", { { M_BUF, B_LOGON, 8, "40000000" } }, true, B_LOGON },
	{ "ndr-top-null", { { M_BUF, B_LOGON, 16, "00000000" } }, true, B_LOGON },
	/* LOGON_INFO: counts and pointers */
	{ "groupcount-huge", { { M_BUF, B_LOGON, 128, "ffffffff" } }, true, B_LOGON },
	{ "groups-max-huge",
	  { { M_BUF, B_LOGON, 128, "ffffffff" }, { M_GROUPS, B_LOGON, 0, "ffffffff" } },
	  true,
	  B_LOGON },
	{ "groups-max-mismatch", { { M_GROUPS, B_LOGON, 0, "02000000" } }, true, B_LOGON },
	{ "groupids-null", { { M_BUF, B_LOGON, 132, "00000000" } }, true, B_LOGON },
	{ "sidcount-huge", { { M_BUF, B_LOGON, 216, "ffffffff" } }, true, B_LOGON },
	{ "extra-max-huge",
	  { { M_BUF, B_LOGON, 216, "ffffffff" }, { M_EXTRA, B_LOGON, 0, "ffffffff" } },
	  true,
	  B_LOGON },
	{ "rescount-huge", { { M_BUF, B_LOGON, 228, "ffffffff" } }, true, B_LOGON },
	/* LOGON_INFO: EffectiveName {Length, Max, ptr} at 68, its chars at 236 */
	{ "name-len-odd", { { M_BUF, B_LOGON, 68, "0b00" } }, true, B_LOGON },
	{ "name-len-mismatch", { { M_BUF, B_LOGON, 68, "0800" } }, true, B_LOGON },
	{ "name-max-below-actual", { { M_BUF, B_LOGON, 236, "01000000" } }, true, B_LOGON },
	{ "name-offset", { { M_BUF, B_LOGON, 240, "01000000" } }, true, B_LOGON },
	{ "name-actual-huge", { { M_BUF, B_LOGON, 244, "ffffffff" } }, true, B_LOGON },
	{ "name-all-huge", { { M_BUF, B_LOGON, 236, "ffffffff00000000ffffffff" } }, true, B_LOGON },
	/* LOGON_INFO: the domain SID (conformance, revision, count, ...) */
	{ "domsid-conformance", { { M_DOM_SID, B_LOGON, 0, "05000000" } }, true, B_LOGON },
	{ "domsid-revision", { { M_DOM_SID, B_LOGON, 4, "02" } }, true, B_LOGON },
	{ "domsid-16-subauth",
	  { { M_DOM_SID, B_LOGON, 0, "10000000" }, { M_DOM_SID, B_LOGON, 5, "10" } },
	  true,
	  B_LOGON },
	/* CLIENT_INFO */
	{ "client-name-odd", { { M_BUF, B_CLIENT, 8, "0900" } }, true, B_CLIENT },
	{ "client-name-huge", { { M_BUF, B_CLIENT, 8, "ffff" } }, true, B_CLIENT },
	/* UPN_DNS_INFO */
	{ "upn-len-odd", { { M_BUF, B_UPN, 0, "1b00" } }, true, B_UPN },
	{ "upn-offset-outside", { { M_BUF, B_UPN, 2, "ffff" } }, true, B_UPN },
	{ "dns-len-huge", { { M_BUF, B_UPN, 4, "ffff" } }, true, B_UPN },
	{ "sam-offset-outside", { { M_BUF, B_UPN, 14, "f0ff" } }, true, B_UPN },
	{ "upn-sid-len-short", { { M_BUF, B_UPN, 16, "1b00" } }, true, B_UPN },
	{ "upn-sid-len-long", { { M_BUF, B_UPN, 16, "1d00" } }, true, B_UPN },
	{ "upn-sid-revision", { { M_UPN_SID, B_UPN, 0, "00" } }, true, B_UPN },
	{ "upn-sid-count", { { M_UPN_SID, B_UPN, 1, "06" } }, true, B_UPN },
	/* S4U_DELEGATION_INFO: target {Length, Max, ptr} at 20, count 28, list ptr 32 */
	{ "s4u-big-endian", { { M_BUF, B_S4U, 1, "00" } }, true, B_S4U },
	{ "s4u-count-huge", { { M_BUF, B_S4U, 28, "ffffffff" } }, true, B_S4U },
	{ "s4u-list-huge",
	  { { M_BUF, B_S4U, 28, "ffffffff" }, { M_S4U_LIST, B_S4U, 0, "ffffffff" } },
	  true,
	  B_S4U },
	{ "s4u-target-actual-huge", { { M_BUF, B_S4U, 44, "ffffffff" } }, true, B_S4U },
	{ "s4u-transited-len", { { M_S4U_LIST, B_S4U, 4, "0200" } }, true, B_S4U }, /* first Length */
	{ "s4u-transited-null", { { M_S4U_LIST, B_S4U, 8, "00000000" } }, true, B_S4U },
	/* the little ones */
	{ "attr-bits-huge", { { M_BUF, B_ATTR, 0, "ffffffff" } }, true, B_ATTR },
	{ "attr-bits-33", { { M_BUF, B_ATTR, 0, "21000000" } }, true, B_ATTR },
	{ "requestor-revision", { { M_BUF, B_REQ, 0, "02" } }, true, B_REQ },
	{ "requestor-count", { { M_BUF, B_REQ, 1, "10" } }, true, B_REQ },
	{ "requestor-count-past", { { M_BUF, B_REQ, 1, "06" } }, true, B_REQ },
	{ "srv-md5-short", { { M_BUF, B_SRV, 0, "76ffffff" } }, true, B_SRV },
};
#define N_BAD (sizeof bads / sizeof bads[0])

static size_t mark_at(const struct full *f, const struct patch *pt)
{
	size_t buf = f->off[pt->buf];
	switch (pt->mark) {
	case M_ABS: return pt->off;
	case M_BUF: return buf + pt->off;
	case M_GROUPS: return buf + f->lm.groups + pt->off;
	case M_DOM_SID: return buf + f->lm.dom_sid + pt->off;
	case M_EXTRA: return buf + f->lm.extra + pt->off;
	case M_S4U_LIST: return buf + f->s4u_list + pt->off;
	case M_UPN_SID: return buf + f->upn_sid + pt->off;
	}
	return 0;
}

START_TEST(t_malformed)
{
	const struct bad *b = &bads[_i];
	struct full *f = make_full();
	for (unsigned i = 0; i < 2 && b->patch[i].hex; i++) {
		uint8_t bytes[16];
		size_t n = kf_test_hex(b->patch[i].hex, bytes, sizeof bytes);
		size_t at = mark_at(f, &b->patch[i]);
		ck_assert(at + n <= f->pac.n);
		memcpy(f->pac.b + at, bytes, n);
	}
	struct kf_pac p;
	struct kf_events ev = { 0 };
	bool ok = decode_copy(f->pac.b, f->pac.n, &p, &ev);
	ck_assert_msg(ok == b->ok, "%s: returned %d", b->name, ok);
	ck_assert_msg(!p.complete, "%s: complete", b->name);
	ck_assert_msg(count_event(&ev, KF_EV_PAC_MALFORMED) == 1, "%s: %u pac-malformed", b->name,
		      count_event(&ev, KF_EV_PAC_MALFORMED));
	if (b->broken >= 0)
		for (unsigned j = 0; j < N_FULL; j++)
			ck_assert_msg(has_buffer(&p, j) == (j != (unsigned)b->broken), "%s: buffer %u has=%d",
				      b->name, j, has_buffer(&p, j));
	ck_assert_uint_eq(decode_copy(f->pac.b, f->pac.n, &p, NULL), b->ok); /* NULL sink */
	free(f);
}
END_TEST

START_TEST(t_short_headers)
{
	static const uint8_t zeros[8] = { 0 };
	struct kf_pac p;
	struct kf_events ev = { 0 };
	for (size_t k = 0; k < 8; k++)
		ck_assert(!decode_copy((const uint8_t *)"\x01\x00\x00\x00\x00\x00\x00\x00", k, &p, &ev));
	ck_assert(!decode_copy(zeros, 8, &p, &ev)); /* no buffers */
	ck_assert(!kf_pac_decode(kf_span_make(NULL, 0), &p, &ev));
	ck_assert_uint_eq(count_event(&ev, KF_EV_PAC_MALFORMED), 10);
	/* one buffer's entry but for its last byte */
	ck_assert(!decode_copy((const uint8_t *)"\x01\x00\x00\x00\x00\x00\x00\x00"
						"\x01\x00\x00\x00\x00\x00\x00\x00"
						"\x18\x00\x00\x00\x00\x00\x00",
			       23, &p, &ev));
}
END_TEST

/* ---------------------------------------------------------- caps */

static void one_buffer_pac(struct wr *pac, uint32_t type, struct wr *data)
{
	struct pbuf b = { type, data };
	assemble(pac, &b, 1, NULL);
}

static void decode_logon(const struct logon_spec *s, struct kf_pac *p, struct kf_events *ev)
{
	static struct wr buf, pac;
	buf.n = 0;
	build_logon(&buf, s, NULL);
	one_buffer_pac(&pac, 1, &buf);
	ck_assert(decode_copy(pac.b, pac.n, p, ev));
}

START_TEST(t_name_at_cap)
{
	char name[KF_LIMIT_NAME + 8];
	struct logon_spec s = full_logon;
	s.user = name;
	struct kf_pac p;
	struct kf_events ev = { 0 };

	memset(name, 'a', KF_LIMIT_NAME - 1); /* exactly fits */
	name[KF_LIMIT_NAME - 1] = '\0';
	decode_logon(&s, &p, &ev);
	ck_assert(p.has_logon_info && p.complete);
	ck_assert_uint_eq(strlen(p.logon_user), KF_LIMIT_NAME - 1);
	ck_assert_uint_eq(ev.n, 0);

	memset(name, 'b', KF_LIMIT_NAME); /* one more: cut, flagged */
	name[KF_LIMIT_NAME] = '\0';
	decode_logon(&s, &p, &ev);
	ck_assert(p.has_logon_info && p.complete);
	ck_assert_uint_eq(strlen(p.logon_user), KF_LIMIT_NAME - 1);
	ck_assert_uint_eq(count_event(&ev, KF_EV_KRB_FIELD_TRUNCATED), 1);

	/* a 2-byte character that would straddle the cap is left out whole */
	memset(&ev, 0, sizeof ev);
	memset(name, 'c', KF_LIMIT_NAME - 2);
	strcpy(name + KF_LIMIT_NAME - 2, "\xc3\xb6");
	decode_logon(&s, &p, &ev);
	ck_assert_uint_eq(strlen(p.logon_user), KF_LIMIT_NAME - 2);
	ck_assert_uint_eq(count_event(&ev, KF_EV_KRB_FIELD_TRUNCATED), 1);
}
END_TEST

START_TEST(t_sid_cap)
{
	uint32_t groups[40];
	for (unsigned i = 0; i < 40; i++)
		groups[i] = 2000 + i;
	struct logon_spec s = full_logon;
	s.groups = groups;
	s.n_groups = 40;
	struct kf_pac p;
	struct kf_events ev = { 0 };
	decode_logon(&s, &p, &ev);
	ck_assert(p.has_logon_info && p.complete);
	ck_assert_uint_eq(p.n_groups, 40);
	ck_assert_uint_eq(p.n_sids, KF_LIMIT_PAC_SIDS);
	ck_assert_str_eq(p.sids[31], "S-1-5-21-1111-2222-3333-2031");
	ck_assert_uint_eq(count_event(&ev, KF_EV_KRB_FIELD_TRUNCATED), 1); /* once */
	ck_assert_uint_eq(count_event(&ev, KF_EV_PAC_MALFORMED), 0);
	/* the rest of the buffer was still read */
	ck_assert_str_eq(p.logon_domain, "LAB");
	ck_assert_str_eq(p.resource_domain_sid, "S-1-5-21-4444-5555-6666");
}
END_TEST

START_TEST(t_transited_cap)
{
	const char *t[10] = { "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9" };
	static struct wr buf, pac;
	buf.n = 0;
	build_s4u(&buf, "cifs/x", t, 10, NULL);
	one_buffer_pac(&pac, 11, &buf);
	struct kf_pac p;
	struct kf_events ev = { 0 };
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert(p.has_s4u_delegation && p.complete);
	ck_assert_uint_eq(p.n_transited, 10);
	ck_assert_uint_eq(p.n_transited_kept, KF_LIMIT_PAC_TRANSITED);
	ck_assert_str_eq(p.transited[7], "s7");
	ck_assert_uint_eq(count_event(&ev, KF_EV_KRB_FIELD_TRUNCATED), 1);

	/* no transited services: a null list pointer is fine */
	buf.n = 0;
	build_s4u(&buf, "cifs/x", t, 0, NULL);
	one_buffer_pac(&pac, 11, &buf);
	memset(&ev, 0, sizeof ev);
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert(p.has_s4u_delegation && p.complete);
	ck_assert_uint_eq(p.n_transited_kept, 0);
}
END_TEST

/* More PAC_INFO_BUFFERs than walked: the first KF_LIMIT_PAC_BUFFERS are. */
START_TEST(t_buffer_cap)
{
	enum { N = KF_LIMIT_PAC_BUFFERS + 8 };
	static struct wr attr[N], pac;
	struct pbuf bufs[N];
	for (unsigned i = 0; i < N; i++) {
		attr[i].n = 0;
		put32(&attr[i], 2);
		put32(&attr[i], i + 1);
		bufs[i].type = 17;
		bufs[i].data = &attr[i];
	}
	assemble(&pac, bufs, N, NULL);
	struct kf_pac p;
	struct kf_events ev = { 0 };
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert_uint_eq(p.n_buffers, N);
	ck_assert_uint_eq(p.n_types, KF_LIMIT_PAC_BUFFERS);
	ck_assert(!p.complete);
	ck_assert(p.has_attributes);
	ck_assert_uint_eq(p.attributes, 1); /* the first of the repeats */
	ck_assert_uint_eq(count_event(&ev, KF_EV_KRB_FIELD_TRUNCATED), 1);
	ck_assert_uint_eq(count_event(&ev, KF_EV_PAC_MALFORMED), 0);
}
END_TEST

/* A SID too long to print, and an authority past 32 bits (hex, as
 * Windows prints it). */
START_TEST(t_sid_text)
{
	static struct wr buf, pac;
	struct tsid big = { 5, 15, { 0 } };
	for (unsigned i = 0; i < 15; i++)
		big.sub[i] = 4294967295u;
	buf.n = 0;
	put_sid_body(&buf, &big);
	one_buffer_pac(&pac, 18, &buf);
	struct kf_pac p;
	struct kf_events ev = { 0 };
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert(p.has_requestor && p.complete);
	ck_assert_uint_eq(strlen(p.requestor_sid), KF_LIMIT_SID_TEXT - 1);
	ck_assert(strncmp(p.requestor_sid, "S-1-5-4294967295-", 17) == 0);
	ck_assert_uint_eq(count_event(&ev, KF_EV_KRB_FIELD_TRUNCATED), 1);

	struct tsid wide = { 0x123456789abcull, 2, { 1, 2 } };
	buf.n = 0;
	put_sid_body(&buf, &wide);
	one_buffer_pac(&pac, 18, &buf);
	memset(&ev, 0, sizeof ev);
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert_str_eq(p.requestor_sid, "S-1-0x123456789ABC-1-2");
	ck_assert_uint_eq(ev.n, 0);

	struct tsid bare = { 1, 0, { 0 } }; /* S-1-1: no sub-authorities */
	buf.n = 0;
	put_sid_body(&buf, &bare);
	one_buffer_pac(&pac, 18, &buf);
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert_str_eq(p.requestor_sid, "S-1-1");
}
END_TEST

/* --------------------------------------------------------- variants */

START_TEST(t_non_ascii)
{
	struct logon_spec s = full_logon;
	s.user = "J\xc3\xb6rg";              /* Jörg */
	s.full = "\xe5\xb1\xb1\xe7\x94\xb0"; /* 山田 */
	s.domain = "\xc3\x89QUIPE";          /* ÉQUIPE */
	struct kf_pac p;
	struct kf_events ev = { 0 };
	decode_logon(&s, &p, &ev);
	ck_assert(p.has_logon_info && p.complete);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_str_eq(p.logon_user, "J\xc3\xb6rg");
	ck_assert_str_eq(p.logon_full_name, "\xe5\xb1\xb1\xe7\x94\xb0");
	ck_assert_str_eq(p.logon_domain, "\xc3\x89QUIPE");

	/* control characters and a lone surrogate in CLIENT_INFO become '?' */
	static struct wr buf, pac;
	buf.n = 0;
	put64(&buf, CLIENT_FT);
	put16(&buf, 8);
	put16(&buf, 'a');
	put16(&buf, 0x0a);
	put16(&buf, 0xd800);
	put16(&buf, 'b');
	one_buffer_pac(&pac, 10, &buf);
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert(p.has_client_info);
	ck_assert_str_eq(p.client_name, "a??b");
}
END_TEST

/* No LogonDomainId: no user or group SIDs, the extra SIDs still listed. */
START_TEST(t_no_domain_sid)
{
	struct logon_spec s = full_logon;
	s.dom = NULL;
	s.res_dom = NULL;
	s.res = NULL;
	s.n_res = 0;
	struct kf_pac p;
	struct kf_events ev = { 0 };
	decode_logon(&s, &p, &ev);
	ck_assert(p.has_logon_info && p.complete);
	ck_assert_str_eq(p.domain_sid, "");
	ck_assert_str_eq(p.user_sid, "");
	ck_assert_uint_eq(p.n_groups, 3);
	ck_assert_uint_eq(p.n_sids, 2);
	ck_assert_str_eq(p.sids[0], "S-1-18-1");
	ck_assert_str_eq(p.sids[1], "S-1-5-21-7-8-9-1000");
	ck_assert(!p.has_resource_groups);
}
END_TEST

/* A second LOGON_INFO is ignored (MS-PAC §2.4), even a broken one. */
START_TEST(t_duplicate)
{
	static struct wr a, b, pac;
	a.n = b.n = 0;
	build_logon(&a, &full_logon, NULL);
	struct logon_spec s = full_logon;
	s.user = "mallory";
	build_logon(&b, &s, NULL);
	b.b[1] = 0; /* big-endian: would not decode */
	struct pbuf bufs[2] = { { 1, &a }, { 1, &b } };
	assemble(&pac, bufs, 2, NULL);
	struct kf_pac p;
	struct kf_events ev = { 0 };
	ck_assert(decode_copy(pac.b, pac.n, &p, &ev));
	ck_assert(p.has_logon_info && p.complete);
	ck_assert_str_eq(p.logon_user, "alice");
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(t_times)
{
	struct logon_spec s = full_logon;
	struct kf_pac p;
	s.logon_ft = 0;
	decode_logon(&s, &p, NULL);
	ck_assert_int_eq(p.logon_time, 0);
	s.logon_ft = 0x7fffffffffffffffull;
	decode_logon(&s, &p, NULL);
	ck_assert_int_eq(p.logon_time, 0);
	s.logon_ft = 116444736000000000ull; /* 1970-01-01 */
	decode_logon(&s, &p, NULL);
	ck_assert_int_eq(p.logon_time, 0);
	s.logon_ft = 116444736000000000ull + 10000000ull * 86400;
	decode_logon(&s, &p, NULL);
	ck_assert_int_eq(p.logon_time, 86400);
}
END_TEST

START_TEST(t_buffer_names)
{
	static const struct {
		uint32_t type;
		const char *name;
	} rows[] = {
		{ 1, "LOGON_INFO" },          { 2, "CREDENTIALS_INFO" },    { 6, "SERVER_CHECKSUM" },
		{ 7, "KDC_CHECKSUM" },        { 10, "CLIENT_INFO" },        { 11, "S4U_DELEGATION_INFO" },
		{ 12, "UPN_DNS_INFO" },       { 13, "CLIENT_CLAIMS_INFO" }, { 14, "DEVICE_INFO" },
		{ 15, "DEVICE_CLAIMS_INFO" }, { 16, "TICKET_CHECKSUM" },    { 17, "ATTRIBUTES_INFO" },
		{ 18, "REQUESTOR" },          { 19, "FULL_CHECKSUM" },
	};
	for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++)
		ck_assert_str_eq(kf_pac_buffer_name(rows[i].type), rows[i].name);
	static const uint32_t unknown[] = { 0, 3, 4, 5, 8, 9, 20, 99, 0xffffffffu };
	for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		ck_assert_ptr_null(kf_pac_buffer_name(unknown[i]));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pac");
	TCase *tc = tcase_create("pac");
	tcase_add_test(tc, t_full);
	tcase_add_test(tc, t_upn_plain);
	tcase_add_test(tc, t_real);
	tcase_add_loop_test(tc, t_buffer_truncation, 0, N_FULL);
	tcase_add_test(tc, t_prefix_sweep);
	tcase_add_loop_test(tc, t_malformed, 0, (int)N_BAD);
	tcase_add_test(tc, t_short_headers);
	tcase_add_test(tc, t_name_at_cap);
	tcase_add_test(tc, t_sid_cap);
	tcase_add_test(tc, t_transited_cap);
	tcase_add_test(tc, t_buffer_cap);
	tcase_add_test(tc, t_sid_text);
	tcase_add_test(tc, t_non_ascii);
	tcase_add_test(tc, t_no_domain_sid);
	tcase_add_test(tc, t_duplicate);
	tcase_add_test(tc, t_times);
	tcase_add_test(tc, t_buffer_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
