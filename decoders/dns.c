/* dns.c - DNS messages (RFC 1035 §4.1): header, the first question, and the
 * A / AAAA (RFC 3596) / CNAME answers.
 *
 * Subset accepted:
 * - Names (RFC 1035 §3.1, §4.1.4): labels of at most 63 octets and
 *   compression pointers, which may point anywhere inside the message; at
 *   most KF_LIMIT_DNS_POINTERS are followed per name (more, which includes
 *   every loop, is DNS_NAME_LOOP).  The label types 01/10 (RFC 6891 §5,
 *   obsolete) and names longer than 255 octets are DNS_MALFORMED.
 * - Names are printed zone-file style (RFC 1035 §5.1): labels joined by '.',
 *   no trailing dot, the root as "."; '.' and '\' inside a label are
 *   backslash-escaped and bytes outside 0x21..0x7e written as \DDD.  A
 *   printed name that does not fit KF_LIMIT_DNS_NAME is DNS_MALFORMED.
 * - Answers: class IN only (the mDNS cache-flush bit is ignored); A must
 *   have 4 octets of RDATA, AAAA 16, and a CNAME's name must fill its RDATA
 *   exactly.  Other types and classes are skipped by RDLENGTH.  Authority and
 *   additional sections are not read, nor any section after the question of
 *   a message whose opcode is not QUERY (0): in an UPDATE (RFC 2136) they
 *   hold prerequisites and updates, not answers.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/cursor.h"

#define DNS_WIRE_NAME_MAX 255u /* RFC 1035 §2.3.4 */

enum dns_name_st { NAME_OK, NAME_MALFORMED, NAME_LOOP };

/* Append a label's printed form to out[*len], keeping room for the NUL. */
static bool put_label(char *out, size_t *len, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char tmp[5];
		int k;
		if (p[i] == '.' || p[i] == '\\')
			k = snprintf(tmp, sizeof tmp, "\\%c", p[i]);
		else if (p[i] > 0x20 && p[i] < 0x7f)
			k = snprintf(tmp, sizeof tmp, "%c", p[i]);
		else
			k = snprintf(tmp, sizeof tmp, "\\%03u", p[i]);
		if (k < 0 || (size_t)k >= KF_LIMIT_DNS_NAME - *len)
			return false;
		memcpy(out + *len, tmp, (size_t)k);
		*len += (size_t)k;
	}
	return true;
}

/* Read the name at the cursor (which sits inside msg) into out.  The cursor
 * moves past the name's in-place part: up to its first pointer or its root
 * label.  Pointer targets are read from the whole message. */
static enum dns_name_st read_name(struct kf_span msg, struct kf_cur *c, char *out)
{
	size_t len = 0, wire = 0, ptrs = 0;
	size_t in_place = 0; /* bytes of the name at the cursor */
	bool jumped = false;
	struct kf_span here = { c->p, kf_cur_left(c) };
	struct kf_span area = here; /* where the current labels are read from */
	size_t off = 0;

	out[0] = '\0';
	for (;;) {
		if (off >= area.n)
			return NAME_MALFORMED;
		uint8_t b = area.p[off];
		if (b == 0) {
			off++;
			break;
		}
		if ((b & 0xc0) == 0xc0) {
			if (area.n - off < 2)
				return NAME_MALFORMED;
			size_t target = (size_t)(b & 0x3f) << 8 | area.p[off + 1];
			if (!jumped)
				in_place = off + 2;
			jumped = true;
			if (++ptrs > KF_LIMIT_DNS_POINTERS)
				return NAME_LOOP;
			if (target >= msg.n)
				return NAME_MALFORMED;
			area = msg;
			off = target;
			continue;
		}
		if (b & 0xc0)
			return NAME_MALFORMED; /* extended label types */
		struct kf_span label;
		if (!kf_span_slice_at(area, off + 1, b, &label))
			return NAME_MALFORMED;
		wire += 1u + b;
		if (wire + 1 > DNS_WIRE_NAME_MAX)
			return NAME_MALFORMED;
		if (len) {
			if (len + 1 >= KF_LIMIT_DNS_NAME)
				return NAME_MALFORMED;
			out[len++] = '.';
		}
		if (!put_label(out, &len, label.p, label.n))
			return NAME_MALFORMED;
		off += 1u + b;
	}
	if (!jumped)
		in_place = off;
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	kf_cur_skip(c, in_place);
	return kf_cur_ok(c) ? NAME_OK : NAME_MALFORMED;
}

static bool name_or_event(struct kf_span msg, struct kf_cur *c, char *out, struct kf_events *ev)
{
	enum dns_name_st st = read_name(msg, c, out);
	if (st == NAME_OK)
		return true;
	kf_events_add(ev, st == NAME_LOOP ? KF_EV_DNS_NAME_LOOP : KF_EV_DNS_MALFORMED);
	kf_cur_fail(c);
	return false;
}

/* TKEY RDATA (RFC 2930 §2): algorithm, inception, expiration, mode, error,
 * key size and data, other size and data.  The first one is kept. */
static bool tkey(struct kf_span msg, struct kf_cur *rd, struct kf_dns_msg *m, struct kf_events *ev)
{
	char alg[KF_LIMIT_DNS_NAME];
	if (!name_or_event(msg, rd, alg, ev))
		return false;
	kf_cur_skip(rd, 4 + 4); /* inception, expiration */
	uint16_t mode = kf_cur_be16(rd), error = kf_cur_be16(rd);
	uint16_t key_size = kf_cur_be16(rd);
	struct kf_span key = kf_cur_bytes(rd, key_size);
	uint16_t other = kf_cur_be16(rd);
	kf_cur_skip(rd, other);
	if (!kf_cur_ok(rd) || kf_cur_left(rd) != 0) {
		kf_events_add(ev, KF_EV_DNS_MALFORMED);
		return false;
	}
	if (m->has_tkey)
		return true;
	m->has_tkey = true;
	m->tkey_mode = mode;
	m->tkey_error = error;
	memcpy(m->tkey_algorithm, alg, sizeof alg);
	m->tkey_key = key;
	return true;
}

/* TSIG RDATA (RFC 8945 §4.2): algorithm, time signed (48 bits), fudge,
 * MAC size and MAC, original ID, error, other len and data. */
static void tsig(struct kf_span msg, struct kf_cur *rd, struct kf_dns_msg *m)
{
	char alg[KF_LIMIT_DNS_NAME];
	if (read_name(msg, rd, alg) != NAME_OK)
		return;
	kf_cur_skip(rd, 6 + 2);
	uint16_t mac_size = kf_cur_be16(rd);
	struct kf_span mac = kf_cur_bytes(rd, mac_size);
	kf_cur_skip(rd, 2 + 2); /* original ID, error */
	uint16_t other = kf_cur_be16(rd);
	kf_cur_skip(rd, other);
	if (!kf_cur_ok(rd) || kf_cur_left(rd) != 0)
		return;
	m->has_tsig = true;
	memcpy(m->tsig_algorithm, alg, sizeof alg);
	m->tsig_mac = mac;
}

/* The n records after those already read, for a TSIG in the last place.  A
 * record that does not decode ends the walk quietly: the message was read. */
static void find_tsig(struct kf_span s, struct kf_cur *c, unsigned n, struct kf_dns_msg *m)
{
	char scratch[KF_LIMIT_DNS_NAME];
	for (unsigned i = 0; i < n; i++) {
		if (read_name(s, c, scratch) != NAME_OK)
			return;
		uint16_t type = kf_cur_be16(c);
		kf_cur_skip(c, 2 + 4); /* class, TTL */
		uint16_t rdlength = kf_cur_be16(c);
		struct kf_cur rd = kf_cur_sub(c, rdlength);
		if (!kf_cur_ok(c))
			return;
		if (type == KF_DNS_TSIG && i + 1 == n)
			tsig(s, &rd, m);
	}
}

bool kf_dns_decode(struct kf_span s, struct kf_dns_msg *m, struct kf_events *ev)
{
	memset(m, 0, sizeof *m);
	struct kf_cur c = kf_cur_make(s);
	m->id = kf_cur_be16(&c);
	uint16_t flags = kf_cur_be16(&c);
	uint16_t qdcount = kf_cur_be16(&c);
	uint16_t ancount = kf_cur_be16(&c);
	uint16_t nscount = kf_cur_be16(&c);
	uint16_t arcount = kf_cur_be16(&c);
	if (!kf_cur_ok(&c))
		goto malformed;
	m->response = flags & 0x8000;
	m->rcode = flags & 0x000f;
	m->opcode = (flags >> 11) & 0x0f;

	char scratch[KF_LIMIT_DNS_NAME];
	for (unsigned i = 0; i < qdcount; i++) {
		if (!name_or_event(s, &c, i == 0 ? m->qname : scratch, ev))
			return false;
		uint16_t qtype = kf_cur_be16(&c);
		kf_cur_skip(&c, 2); /* QCLASS */
		if (!kf_cur_ok(&c))
			goto malformed;
		if (i == 0) {
			m->has_question = true;
			m->qtype = qtype;
		}
	}

	if (m->opcode != 0) { /* not a QUERY: for UPDATE the sections are prerequisites and updates */
		find_tsig(s, &c, (unsigned)ancount + nscount + arcount, m);
		return true;
	}
	for (unsigned i = 0; i < ancount; i++) {
		struct kf_dns_answer a;
		if (!name_or_event(s, &c, a.name, ev))
			return false;
		a.type = kf_cur_be16(&c);
		uint16_t class = kf_cur_be16(&c) & 0x7fff;
		a.ttl = kf_cur_be32(&c);
		uint16_t rdlength = kf_cur_be16(&c);
		struct kf_cur rd = kf_cur_sub(&c, rdlength);
		if (!kf_cur_ok(&c))
			goto malformed;
		if (a.type == KF_DNS_TKEY) {
			if (!tkey(s, &rd, m, ev))
				return false;
			continue;
		}
		if (class != 1 || (a.type != KF_DNS_A && a.type != KF_DNS_AAAA && a.type != KF_DNS_CNAME))
			continue;
		if (a.type == KF_DNS_CNAME) {
			if (!name_or_event(s, &rd, a.data, ev))
				return false;
			if (kf_cur_left(&rd) != 0)
				goto malformed;
		} else {
			size_t want = a.type == KF_DNS_A ? 4 : 16;
			if (rdlength != want)
				goto malformed;
			if (!inet_ntop(a.type == KF_DNS_A ? AF_INET : AF_INET6, rd.p, a.data, sizeof a.data))
				goto malformed;
		}
		if (m->n_answers < KF_LIMIT_DNS_ANSWERS)
			m->answers[m->n_answers++] = a;
		else
			m->answers_truncated = true;
	}
	/* authority and additional records: only a TKEY matters (a GSS-TSIG
	 * query carries its token in the additional section) */
	unsigned rest = (unsigned)nscount + arcount, i = 0;
	for (; i < rest && !m->has_tkey; i++) {
		if (!name_or_event(s, &c, scratch, ev))
			return false;
		uint16_t type = kf_cur_be16(&c);
		kf_cur_skip(&c, 2 + 4); /* class, TTL */
		uint16_t rdlength = kf_cur_be16(&c);
		struct kf_cur rd = kf_cur_sub(&c, rdlength);
		if (!kf_cur_ok(&c))
			goto malformed;
		if (type == KF_DNS_TSIG && i + 1 == rest)
			tsig(s, &rd, m);
		else if (type == KF_DNS_TKEY && !tkey(s, &rd, m, ev))
			return false;
	}
	find_tsig(s, &c, rest - i, m);
	return true;

malformed:
	kf_events_add(ev, KF_EV_DNS_MALFORMED);
	return false;
}
