/* format.c - formatting shared by the text and JSON reports. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "krb5.h"
#include "krb5_decrypt.h"
#include "report.h"

/* Decimal digits of v at p; returns the end.  (The reports format an
 * endpoint and a time per message: printf's cost showed in the profile.) */
static char *put_uint(char *p, unsigned long long v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* v in exactly width digits (zero-padded; larger values cut to width). */
static char *put_fixed(char *p, unsigned long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* tmp..end into buf, cut to len like snprintf. */
static void copy_out(char *buf, size_t len, const char *tmp, const char *end)
{
	if (!len)
		return;
	size_t n = (size_t)(end - tmp);
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, tmp, n);
	buf[n] = 0;
}

void kf_fmt_addr(const struct kf_endpoint *e, char *buf, size_t len)
{
	if (e->ipver != 6 && len >= 16) {
		char *p = buf;
		for (int i = 0; i < 4; i++) {
			p = put_uint(p, e->addr[i]);
			*p++ = i < 3 ? '.' : 0;
		}
		return;
	}
	if (!inet_ntop(e->ipver == 6 ? AF_INET6 : AF_INET, e->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void kf_fmt_endpoint(const struct kf_endpoint *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], tmp[INET6_ADDRSTRLEN + 16], *p = tmp;
	kf_fmt_addr(e, a, sizeof a);
	size_t n = strlen(a);
	if (e->ipver == 6)
		*p++ = '[';
	memcpy(p, a, n);
	p += n;
	if (e->ipver == 6)
		*p++ = ']';
	*p++ = ':';
	p = put_uint(p, e->port);
	copy_out(buf, len, tmp, p);
}

static bool fmt_tm(int64_t s, struct tm *tm)
{
	/* GeneralizedTime years 0000-9999 only */
	if (s < -62167219200LL || s > 253402300799LL)
		return false;
	time_t t = (time_t)s;
	return gmtime_r(&t, tm) != NULL;
}

void kf_fmt_time_us(uint64_t us, char *buf, size_t len)
{
	struct tm tm;
	if (!fmt_tm((int64_t)(us / 1000000u), &tm)) {
		snprintf(buf, len, "%llu", (unsigned long long)us);
		return;
	}
	if (tm.tm_year + 1900 < 0) { /* not reached: fmt_tm keeps years 0-9999 */
		snprintf(buf, len, "%llu", (unsigned long long)us);
		return;
	}
	char tmp[32], *p = tmp; /* YYYY-MM-DDThh:mm:ss.uuuuuuZ */
	p = put_fixed(p, (unsigned long)(tm.tm_year + 1900), 4);
	*p++ = '-';
	p = put_fixed(p, (unsigned long)tm.tm_mon + 1, 2);
	*p++ = '-';
	p = put_fixed(p, (unsigned long)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_fixed(p, (unsigned long)tm.tm_hour, 2);
	*p++ = ':';
	p = put_fixed(p, (unsigned long)tm.tm_min, 2);
	*p++ = ':';
	p = put_fixed(p, (unsigned long)tm.tm_sec, 2);
	*p++ = '.';
	p = put_fixed(p, (unsigned long)(us % 1000000u), 6);
	*p++ = 'Z';
	copy_out(buf, len, tmp, p);
}

void kf_fmt_time_s(int64_t s, char *buf, size_t len)
{
	struct tm tm;
	if (!fmt_tm(s, &tm)) {
		snprintf(buf, len, "%lld", (long long)s);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *kf_fmt_flag_name(unsigned bit, const char *(*name)(unsigned bit), char *tmp, size_t len)
{
	const char *n = name(bit);
	if (n)
		return n;
	snprintf(tmp, len, "bit-%u", bit);
	return tmp;
}

void kf_fmt_flags(uint32_t flags, const char *(*name)(unsigned bit), const char *sep, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(flags & (0x80000000u >> bit)))
			continue;
		char tmp[16];
		const char *n = kf_fmt_flag_name(bit, name, tmp, sizeof tmp);
		int w = snprintf(buf + used, len - used, "%s%s", used ? sep : "", n);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

const char *kf_fmt_etype(int32_t e, char *buf, size_t len)
{
	const char *n = kf_krb5_etype_name(e);
	if (n)
		return n;
	snprintf(buf, len, "etype-%d", e);
	return buf;
}

const char *kf_fmt_error(int32_t code, char *buf, size_t len)
{
	const char *n = kf_krb5_error_name(code);
	if (n)
		return n;
	snprintf(buf, len, "error-%d", code);
	return buf;
}

const char *kf_fmt_padata(int32_t t, char *buf, size_t len)
{
	const char *n = kf_krb5_padata_name(t);
	if (n)
		return n;
	snprintf(buf, len, "PA-%d", t);
	return buf;
}

const char *kf_fmt_type(int type, char *buf, size_t len)
{
	switch (type) {
	case KF_MSG_NTLM_NEGOTIATE: return "NTLM-NEGOTIATE";
	case KF_MSG_NTLM_CHALLENGE: return "NTLM-CHALLENGE";
	case KF_MSG_NTLM_AUTHENTICATE: return "NTLM-AUTHENTICATE";
	case KF_MSG_HTTP_REQUEST: return "HTTP-REQUEST";
	case KF_MSG_HTTP_RESPONSE: return "HTTP-RESPONSE";
	case KF_MSG_SMB_REQUEST: return "SMB-REQUEST";
	case KF_MSG_SMB_RESPONSE: return "SMB-RESPONSE";
	case KF_MSG_LDAP_REQUEST: return "LDAP-REQUEST";
	case KF_MSG_LDAP_RESPONSE: return "LDAP-RESPONSE";
	case KF_MSG_DCERPC_REQUEST: return "DCERPC-REQUEST";
	case KF_MSG_DCERPC_RESPONSE: return "DCERPC-RESPONSE";
	case KF_MSG_TDS_REQUEST: return "TDS-REQUEST";
	case KF_MSG_TDS_RESPONSE: return "TDS-RESPONSE";
	case KF_MSG_DNS: return "DNS";
	case KF_MSG_GSS_WRAP: return "GSS-WRAP";
	case KF_MSG_GSS_MIC: return "GSS-MIC";
	default: break;
	}
	const char *n = kf_krb5_type_name(type);
	if (n)
		return n;
	snprintf(buf, len, "KRB-%d", type);
	return buf;
}

const char *kf_tevent_kind_name(int kind)
{
	switch (kind) {
	case KF_TEV_UDP_NO_REPLY: return "udp-no-reply";
	case KF_TEV_TCP_NO_ANSWER: return "tcp-no-answer";
	case KF_TEV_TCP_RESET: return "tcp-reset";
	case KF_TEV_TCP_NO_REPLY: return "tcp-no-reply";
	case KF_TEV_ICMP_UNREACHABLE: return "icmp-unreachable";
	case KF_TEV_FRAG_INCOMPLETE: return "fragments-incomplete";
	default: return "unknown";
	}
}

const char *kf_fmt_carrier(int carrier)
{
	switch (carrier) {
	case KF_CARRIER_KERBEROS: return "kerberos";
	case KF_CARRIER_HTTP: return "http";
	case KF_CARRIER_DNS: return "dns";
	case KF_CARRIER_KPASSWD: return "kpasswd";
	case KF_CARRIER_SMB: return "smb";
	case KF_CARRIER_SMB2: return "smb2";
	case KF_CARRIER_LDAP: return "ldap";
	case KF_CARRIER_DCERPC: return "dcerpc";
	case KF_CARRIER_TDS: return "tds";
	default: return "unknown";
	}
}

const char *kf_fmt_dns_type(uint16_t t, char *buf, size_t len)
{
	switch (t) {
	case 1: return "A";
	case 5: return "CNAME";
	case 249: return "TKEY";
	case 28: return "AAAA";
	default: snprintf(buf, len, "TYPE%u", t); return buf;
	}
}

const char *kf_fmt_gss_flag_name(unsigned bit)
{
	switch (bit < 32 ? 1u << bit : 0u) {
	case KF_GSS_DELEG: return "deleg";
	case KF_GSS_MUTUAL: return "mutual";
	case KF_GSS_REPLAY: return "replay";
	case KF_GSS_SEQUENCE: return "sequence";
	case KF_GSS_CONF: return "conf";
	case KF_GSS_INTEG: return "integ";
	case KF_GSS_ANON: return "anon";
	case KF_GSS_PROT_READY: return "prot-ready";
	case KF_GSS_TRANS: return "trans";
	case KF_GSS_DCE_STYLE: return "dce-style";
	case KF_GSS_IDENTIFY: return "identify";
	case KF_GSS_EXTENDED_ERROR: return "extended-error";
	case KF_GSS_DELEG_POLICY: return "deleg-policy";
	default: return NULL;
	}
}
