/* ldap.c - one LDAPMessage: see ldap.h.  Read with the DER reader, which
 * takes BER's definite lengths as they come (not necessarily minimal) and
 * refuses indefinite ones. */
#include "ldap.h"

#include <string.h>

#include "base/der.h"

static bool malformed(struct kf_ldap_msg *m, struct kf_events *ev, const char *why)
{
	m->why = why;
	kf_events_add(ev, KF_EV_LDAP_MALFORMED);
	return true; /* the id and the op are still good */
}

static bool read_octets(struct kf_cur *c, struct kf_span *out)
{
	struct kf_cur in;
	if (!kf_der_read_if(c, KF_DER_UNIVERSAL, KF_DER_OCTET_STRING, &in))
		return false;
	*out = kf_span_make(in.p, in.n);
	return true;
}

static bool small_uint(struct kf_span v, uint32_t *out)
{
	int64_t x;
	if (!kf_der_int(v, &x) || x < 0 || x > (int64_t)UINT32_MAX)
		return false;
	*out = (uint32_t)x;
	return true;
}

static bool is_starttls(struct kf_span oid)
{
	size_t n = sizeof KF_LDAP_STARTTLS_OID - 1;
	return oid.n == n && memcmp(oid.p, KF_LDAP_STARTTLS_OID, n) == 0;
}

static bool bind_request(struct kf_cur *b, struct kf_ldap_msg *m, struct kf_events *ev)
{
	struct kf_der_tlv t;
	uint32_t version;
	if (!kf_der_read(b, &t) || t.cls != KF_DER_UNIVERSAL || t.tag != KF_DER_INTEGER ||
	    !small_uint(t.value, &version) || version > 255)
		return malformed(m, ev, "LDAP bindRequest: no version");
	m->version = (uint8_t)version;
	if (!read_octets(b, &m->name))
		return malformed(m, ev, "LDAP bindRequest: no name");
	if (!kf_der_read(b, &t) || t.cls != KF_DER_CONTEXT)
		return malformed(m, ev, "LDAP bindRequest: no authentication choice");
	switch (t.tag) {
	case 0:
		m->auth = KF_LDAP_AUTH_SIMPLE;
		m->simple_password = t.value.n > 0; /* the bytes themselves are left behind */
		break;
	case 3: {
		m->auth = KF_LDAP_AUTH_SASL;
		struct kf_cur s = kf_cur_make(t.value);
		if (!read_octets(&s, &m->mechanism))
			return malformed(m, ev, "LDAP bindRequest: SASL without a mechanism");
		if (kf_cur_left(&s) && !read_octets(&s, &m->credentials))
			return malformed(m, ev, "LDAP bindRequest: SASL credentials not an OCTET STRING");
		break;
	}
	case 9:
	case 10:
	case 11:
		m->auth = KF_LDAP_AUTH_SICILY;
		if (t.tag != 9)
			m->credentials = t.value;
		break;
	default: m->auth = KF_LDAP_AUTH_OTHER; break;
	}
	m->body_ok = true;
	return true;
}

/* LDAPResult's three fields, then what the op adds. */
static bool result(struct kf_cur *b, struct kf_ldap_msg *m, struct kf_events *ev)
{
	struct kf_der_tlv t;
	if (!kf_der_read(b, &t) || t.cls != KF_DER_UNIVERSAL || t.tag != KF_DER_ENUMERATED ||
	    !small_uint(t.value, &m->result_code))
		return malformed(m, ev, "LDAP result: no resultCode");
	if (!read_octets(b, &m->matched_dn) || !read_octets(b, &m->diagnostic))
		return malformed(m, ev, "LDAP result: no matchedDN or diagnosticMessage");
	while (m->diagnostic.n && m->diagnostic.p[m->diagnostic.n - 1] == 0)
		m->diagnostic.n--; /* AD ends its diagnostic with a NUL */
	m->has_result = true;
	m->has_ad_data = kf_ldap_ad_data(m->diagnostic, &m->ad_data_code);
	while (kf_cur_left(b)) {
		if (!kf_der_read(b, &t))
			return malformed(m, ev, "LDAP result: a damaged optional field");
		if (t.cls != KF_DER_CONTEXT)
			continue;
		if (m->op == KF_LDAP_BIND_RESPONSE && t.tag == 7)
			m->server_creds = t.value;
		else if (m->op == KF_LDAP_EXTENDED_RESPONSE && t.tag == 10)
			m->oid = t.value;
	}
	/* AD's sicily NTLM bind answers with the CHALLENGE in matchedDN (MS-ADTS 5.1.1.1.3) */
	static const char ntlmssp[8] = "NTLMSSP";
	if (m->op == KF_LDAP_BIND_RESPONSE && !m->server_creds.n && m->matched_dn.n >= sizeof ntlmssp &&
	    memcmp(m->matched_dn.p, ntlmssp, sizeof ntlmssp) == 0) {
		m->server_creds = m->matched_dn;
		m->matched_dn = kf_span_make(NULL, 0);
	}
	m->starttls = is_starttls(m->oid);
	m->body_ok = true;
	return true;
}

static bool extended_request(struct kf_cur *b, struct kf_ldap_msg *m, struct kf_events *ev)
{
	struct kf_der_tlv t;
	if (!kf_der_read(b, &t) || t.cls != KF_DER_CONTEXT || t.tag != 0)
		return malformed(m, ev, "LDAP extendedRequest: no requestName");
	m->oid = t.value;
	/* AD's sicily NTLM bind answers with the CHALLENGE in matchedDN (MS-ADTS 5.1.1.1.3) */
	static const char ntlmssp[8] = "NTLMSSP";
	if (m->op == KF_LDAP_BIND_RESPONSE && !m->server_creds.n && m->matched_dn.n >= sizeof ntlmssp &&
	    memcmp(m->matched_dn.p, ntlmssp, sizeof ntlmssp) == 0) {
		m->server_creds = m->matched_dn;
		m->matched_dn = kf_span_make(NULL, 0);
	}
	m->starttls = is_starttls(m->oid);
	m->body_ok = true;
	return true;
}

bool kf_ldap_decode(struct kf_span msg, struct kf_ldap_msg *out, struct kf_events *ev)
{
	memset(out, 0, sizeof *out);
	struct kf_cur c = kf_cur_make(msg);
	struct kf_der_tlv t;
	memset(&t, 0, sizeof t);
	if (!kf_der_read(&c, &t) || t.cls != KF_DER_UNIVERSAL || t.tag != KF_DER_SEQUENCE) {
		if (t.indefinite)
			kf_events_add(ev, KF_EV_LDAP_INDEFINITE_LENGTH);
		out->why = "LDAP: not a SEQUENCE";
		return false;
	}
	struct kf_cur body = kf_cur_make(t.value);
	if (!kf_der_read(&body, &t) || t.cls != KF_DER_UNIVERSAL || t.tag != KF_DER_INTEGER ||
	    !small_uint(t.value, &out->message_id)) {
		out->why = "LDAP: no messageID";
		kf_events_add(ev, t.indefinite ? KF_EV_LDAP_INDEFINITE_LENGTH : KF_EV_LDAP_MALFORMED);
		return false;
	}
	if (!kf_der_read(&body, &t) || t.cls != KF_DER_APPLICATION || t.tag > 30) {
		out->why = "LDAP: no protocolOp";
		kf_events_add(ev, t.indefinite ? KF_EV_LDAP_INDEFINITE_LENGTH : KF_EV_LDAP_MALFORMED);
		return false;
	}
	out->op = (uint8_t)t.tag;
	struct kf_cur op = kf_cur_make(t.value);
	switch (out->op) {
	case KF_LDAP_BIND_REQUEST: return bind_request(&op, out, ev);
	case KF_LDAP_BIND_RESPONSE:
	case KF_LDAP_EXTENDED_RESPONSE: return result(&op, out, ev);
	case KF_LDAP_EXTENDED_REQUEST: return extended_request(&op, out, ev);
	default: return true;
	}
}

/* One BER length at p[0..n): 1 done (*len, *used), 0 more bytes needed, -1 refused. */
static int peek_len(const uint8_t *p, size_t n, uint64_t *len, size_t *used)
{
	if (!n)
		return 0;
	if (p[0] < 0x80) {
		*len = p[0];
		*used = 1;
		return 1;
	}
	size_t k = p[0] & 0x7fu;
	if (k == 0 || k > 4)
		return -1; /* indefinite, or more than 4 GiB */
	if (n < 1 + k)
		return 0;
	uint64_t v = 0;
	for (size_t i = 1; i <= k; i++)
		v = (v << 8) | p[i];
	*len = v;
	*used = 1 + k;
	return 1;
}

int kf_ldap_peek(struct kf_span first, struct kf_ldap_peek *out)
{
	const uint8_t *p = first.p;
	size_t n = first.n;
	memset(out, 0, sizeof *out);
	if (!n)
		return 0;
	if (p[0] != 0x30)
		return -1;
	uint64_t len;
	size_t used;
	int k = peek_len(p + 1, n - 1, &len, &used);
	if (k <= 0)
		return k;
	size_t at = 1 + used;
	out->total = at + len;
	if (n <= at)
		return 0;
	if (p[at] != 0x02)
		return -1;
	uint64_t idlen;
	k = peek_len(p + at + 1, n - at - 1, &idlen, &used);
	if (k <= 0)
		return k;
	if (idlen == 0 || idlen > 5)
		return -1;
	at += 1 + used;
	if (n < at + idlen + 1)
		return 0;
	uint64_t id = 0;
	for (size_t i = 0; i < idlen; i++)
		id = (id << 8) | p[at + i];
	out->message_id = (uint32_t)id;
	out->op_at = (uint8_t)(at + idlen);
	out->op_tag = p[at + idlen];
	if ((out->op_tag & 0xc0u) != 0x40u)
		return -1; /* a protocolOp is APPLICATION class */
	return 1;
}

int kf_ldap_probe_bind(struct kf_span first)
{
	struct kf_ldap_peek pk;
	if (kf_ldap_peek(first, &pk) != 1 || (pk.op_tag != 0x60 && pk.op_tag != 0x61))
		return 0;
	size_t at = (size_t)pk.op_at + 1;
	uint64_t len;
	size_t used;
	if (at >= first.n || peek_len(first.p + at, first.n - at, &len, &used) != 1)
		return 0;
	at += used;
	if (first.n < at + 3 || first.p[at + 1] != 1)
		return 0;
	const uint8_t *v = first.p + at;
	if (pk.op_tag == 0x60)
		return v[0] == 0x02 && (v[2] == 2 || v[2] == 3) ? 1 : 0;
	return v[0] == 0x0a && kf_ldap_result_name(v[2]) ? 2 : 0;
}

static int hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

bool kf_ldap_ad_data(struct kf_span d, uint32_t *code)
{
	static const char key[] = "data ";
	const size_t kn = sizeof key - 1;
	for (size_t i = 0; i + kn < d.n; i++) {
		if (memcmp(d.p + i, key, kn) != 0 || (i && d.p[i - 1] != ' ' && d.p[i - 1] != ','))
			continue;
		uint32_t v = 0;
		size_t j = i + kn, digits = 0;
		for (; j < d.n && digits < 8; j++, digits++) {
			int h = hexval(d.p[j]);
			if (h < 0)
				break;
			v = (v << 4) | (uint32_t)h;
		}
		if (!digits || (j < d.n && d.p[j] != ',' && d.p[j] != ' ' && d.p[j] != 0))
			continue;
		*code = v;
		return true;
	}
	return false;
}

const char *kf_ldap_result_name(uint32_t code)
{
	switch (code) {
	case 0: return "success";
	case 1: return "operationsError";
	case 2: return "protocolError";
	case 3: return "timeLimitExceeded";
	case 4: return "sizeLimitExceeded";
	case 7: return "authMethodNotSupported";
	case 8: return "strongerAuthRequired";
	case 10: return "referral";
	case 11: return "adminLimitExceeded";
	case 12: return "unavailableCriticalExtension";
	case 13: return "confidentialityRequired";
	case 14: return "saslBindInProgress";
	case 32: return "noSuchObject";
	case 34: return "invalidDNSyntax";
	case 48: return "inappropriateAuthentication";
	case 49: return "invalidCredentials";
	case 50: return "insufficientAccessRights";
	case 51: return "busy";
	case 52: return "unavailable";
	case 53: return "unwillingToPerform";
	case 80: return "other";
	default: return NULL;
	}
}

const char *kf_ldap_ad_data_name(uint32_t code)
{
	switch (code) {
	case 0x525: return "no such user";
	case 0x52e: return "bad password";
	case 0x52f: return "account restriction";
	case 0x530: return "not permitted at this time (logon hours)";
	case 0x531: return "not permitted from this workstation";
	case 0x532: return "password expired";
	case 0x533: return "account disabled";
	case 0x568: return "too many security IDs (token size)";
	case 0x701: return "account expired";
	case 0x773: return "must change password";
	case 0x775: return "account locked out";
	default: return NULL;
	}
}

const char *kf_ldap_op_name(uint8_t op)
{
	switch (op) {
	case KF_LDAP_BIND_REQUEST: return "bindRequest";
	case KF_LDAP_BIND_RESPONSE: return "bindResponse";
	case KF_LDAP_EXTENDED_REQUEST: return "extendedRequest";
	case KF_LDAP_EXTENDED_RESPONSE: return "extendedResponse";
	default: return NULL;
	}
}
