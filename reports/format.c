/* format.c - formatting shared by the text and JSON reports. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "krb5.h"
#include "report.h"

void kf_fmt_addr(const struct kf_endpoint *e, char *buf, size_t len)
{
	if (!inet_ntop(e->ipver == 6 ? AF_INET6 : AF_INET, e->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void kf_fmt_endpoint(const struct kf_endpoint *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	kf_fmt_addr(e, a, sizeof a);
	if (e->ipver == 6)
		snprintf(buf, len, "[%s]:%u", a, e->port);
	else
		snprintf(buf, len, "%s:%u", a, e->port);
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
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000u));
}

void kf_fmt_time_s(int64_t s, char *buf, size_t len)
{
	struct tm tm;
	if (!fmt_tm(s, &tm)) {
		snprintf(buf, len, "%lld", (long long)s);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *kf_fmt_flag_name(unsigned bit, const char *(*name)(unsigned bit), char *tmp, size_t len)
{
	const char *n = name(bit);
	if (n)
		return n;
	snprintf(tmp, len, "bit-%u", bit);
	return tmp;
}

void kf_fmt_flags(uint32_t flags, const char *(*name)(unsigned bit), const char *sep, char *buf,
		  size_t len)
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
	case KF_MSG_DNS: return "DNS";
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
	default: return "unknown";
	}
}

const char *kf_fmt_dns_type(uint16_t t, char *buf, size_t len)
{
	switch (t) {
	case 1: return "A";
	case 5: return "CNAME";
	case 28: return "AAAA";
	default: snprintf(buf, len, "TYPE%u", t); return buf;
	}
}
