/* names.c - name comparisons with an explicit case policy (names.h). */
#include "names.h"

#include <string.h>
#include <strings.h>

bool kf_name_eq_exact(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

bool kf_name_eq_nocase(const char *a, const char *b) { return a && b && strcasecmp(a, b) == 0; }

bool kf_name_same_nocase(const char *a, const char *b) { return (!a && !b) || kf_name_eq_nocase(a, b); }

size_t kf_princ_len_norealm(const char *s)
{
	const char *at = strchr(s, '@');
	return at ? (size_t)(at - s) : strlen(s);
}

bool kf_princ_eq_norealm_nocase(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t la = kf_princ_len_norealm(a), lb = kf_princ_len_norealm(b);
	return la == lb && strncasecmp(a, b, la) == 0;
}

bool kf_host_eq(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t la = strlen(a), lb = strlen(b);
	while (la && a[la - 1] == '.')
		la--;
	while (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

const char *kf_sname_krbtgt_realm(const char *sname)
{
	return sname && strncasecmp(sname, "krbtgt/", 7) == 0 ? sname + 7 : NULL;
}

bool kf_sname_is_krbtgt(const char *sname) { return kf_sname_krbtgt_realm(sname) != NULL; }

bool kf_sname_is_krbtgt_exact(const char *sname) { return sname && strncmp(sname, "krbtgt/", 7) == 0; }
