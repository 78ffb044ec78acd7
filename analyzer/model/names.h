/* names.h - comparing the names messages carry (principals, service names,
 * realms, DNS host names), each function with its case policy in its name.
 *
 * Kerberos itself compares principal names byte for byte (RFC 4120 §6.2; an
 * MIT KDC does), Active Directory ignores case, DNS ignores case and a final
 * dot (RFC 4343).  Which one a caller needs is its choice; these say which it
 * made.  Case means ASCII case (strcasecmp in the C locale krbflow runs in).
 * NULL is an absent name: it equals nothing, not even NULL, except where a
 * function says otherwise.
 */
#ifndef KF_NAMES_H
#define KF_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Byte for byte. */
bool kf_name_eq_exact(const char *a, const char *b);
/* Ignoring case. */
bool kf_name_eq_nocase(const char *a, const char *b);
/* Both absent, or kf_name_eq_nocase. */
bool kf_name_same_nocase(const char *a, const char *b);

/* Principal names ignoring case and any "@REALM" part ("host$@LAB.TEST"
 * equals "HOST$"): enterprise-style names carry the realm in the name. */
bool kf_princ_eq_norealm_nocase(const char *a, const char *b);
/* Length of a name without its "@REALM" part (what the above compares). */
size_t kf_princ_len_norealm(const char *s);

/* DNS host names: ignoring case and final dots ("Web.Lab.Test." equals
 * "web.lab.test"). */
bool kf_host_eq(const char *a, const char *b);

/* A ticket-granting service name "krbtgt/REALM", the prefix in any case (as
 * Active Directory accepts it): the realm it is for, else NULL. */
const char *kf_sname_krbtgt_realm(const char *sname);
/* kf_sname_krbtgt_realm(sname) != NULL: "krbtgt/" in any case. */
bool kf_sname_is_krbtgt(const char *sname);
/* "krbtgt/" exactly, lower case (as RFC 4120 and the KDCs spell it). */
bool kf_sname_is_krbtgt_exact(const char *sname);

#endif
