/* ldapfix.c - see ldapfix.h. */
#include "ldapfix.h"

#include <string.h>

void ber_uint(struct sb *b, uint8_t tag, uint32_t v)
{
	uint8_t d[5];
	size_t n = 0;
	int started = 0;
	for (int shift = 24; shift >= 0; shift -= 8) {
		uint8_t x = (uint8_t)(v >> shift);
		if (!started && !x && shift)
			continue;
		if (!started && (x & 0x80))
			d[n++] = 0; /* keep it positive */
		started = 1;
		d[n++] = x;
	}
	der_add(b, tag, d, n);
}

void ldap_wrap(struct sb *out, uint32_t id, uint8_t op_tag, const struct sb *op)
{
	struct sb m = { 0 };
	ber_uint(&m, 0x02, id);
	der_add(&m, op_tag, op->p, op->n);
	der_wrap(&m, 0x30);
	sb_put(out, m.p, m.n);
	sb_free(&m);
}

static void bind_head(struct sb *op, const char *dn)
{
	ber_uint(op, 0x02, 3);
	der_add(op, 0x04, dn, strlen(dn));
}

void ldap_bind_simple(struct sb *out, uint32_t id, const char *dn, const char *password)
{
	struct sb op = { 0 };
	bind_head(&op, dn);
	der_add(&op, 0x80, password, strlen(password));
	ldap_wrap(out, id, 0x60, &op);
	sb_free(&op);
}

void ldap_bind_sasl(struct sb *out, uint32_t id, const char *dn, const char *mech, const uint8_t *creds,
		    size_t n)
{
	struct sb op = { 0 }, sasl = { 0 };
	bind_head(&op, dn);
	der_add(&sasl, 0x04, mech, strlen(mech));
	if (creds)
		der_add(&sasl, 0x04, creds, n);
	der_add(&op, 0xa3, sasl.p, sasl.n);
	ldap_wrap(out, id, 0x60, &op);
	sb_free(&op);
	sb_free(&sasl);
}

static void result_head(struct sb *op, uint32_t code, const char *diag)
{
	ber_uint(op, 0x0a, code);
	der_add(op, 0x04, "", 0);
	der_add(op, 0x04, diag, strlen(diag));
}

void ldap_bind_rsp(struct sb *out, uint32_t id, uint32_t code, const char *diag, const uint8_t *creds,
		   size_t n)
{
	struct sb op = { 0 };
	result_head(&op, code, diag);
	if (creds)
		der_add(&op, 0x87, creds, n);
	ldap_wrap(out, id, 0x61, &op);
	sb_free(&op);
}

#define STARTTLS "1.3.6.1.4.1.1466.20037"

void ldap_starttls_req(struct sb *out, uint32_t id)
{
	struct sb op = { 0 };
	der_add(&op, 0x80, STARTTLS, strlen(STARTTLS));
	ldap_wrap(out, id, 0x77, &op);
	sb_free(&op);
}

void ldap_starttls_rsp(struct sb *out, uint32_t id, uint32_t code, int named)
{
	struct sb op = { 0 };
	result_head(&op, code, "");
	if (named)
		der_add(&op, 0x8a, STARTTLS, strlen(STARTTLS));
	ldap_wrap(out, id, 0x78, &op);
	sb_free(&op);
}

/* A length in 4 octets (0x84), whatever its value. */
static void len4(struct sb *b, size_t n)
{
	sb_u8(b, 0x84);
	sb_be32(b, (uint32_t)n);
}

void ldap_search_entry(struct sb *out, uint32_t id, size_t n)
{
	/* attribute value, its SET, the PartialAttribute, the list, the entry, the message */
	size_t val = 1 + 5 + n;
	size_t set = 1 + 5 + val;
	size_t attr = 1 + 5 + (2 + 2) + set; /* type "cn" */
	size_t list = 1 + 5 + attr;
	size_t entry = 1 + 5 + (2 + 0) + list; /* objectName "" */
	struct sb idb = { 0 };
	ber_uint(&idb, 0x02, id);
	sb_u8(out, 0x30);
	len4(out, idb.n + entry);
	sb_put(out, idb.p, idb.n);
	sb_free(&idb);
	sb_u8(out, 0x64);
	len4(out, entry - 6);
	sb_put(out, "\x04\x00", 2);
	sb_u8(out, 0x30);
	len4(out, list - 6);
	sb_u8(out, 0x30);
	len4(out, attr - 6);
	sb_put(out,
	       "\x04\x02"
	       "cn",
	       4);
	sb_u8(out, 0x31);
	len4(out, set - 6);
	sb_u8(out, 0x04);
	len4(out, n);
	size_t start = out->n;
	sb_zero(out, n);
	memset(out->p + start, 'x', n);
}
