/* ldapfix.h - LDAPMessages (RFC 4511 §4.1.1) for the LDAP tests, built
 * element by element on smbfix.h's buffer and DER helpers: binds (simple,
 * SASL, AD's sicily NTLM), their responses, StartTLS and the operations the
 * carrier must count off unread. */
#ifndef KF_LDAPFIX_H
#define KF_LDAPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "smbfix.h"

/* An INTEGER / ENUMERATED (tag) of v, minimally encoded, appended to b. */
void ber_uint(struct sb *b, uint8_t tag, uint32_t v);
/* The LDAPMessage { id, op } in out, op being the op's contents (wrapped in op_tag here). */
void ldap_wrap(struct sb *out, uint32_t id, uint8_t op_tag, const struct sb *op);
void ldap_bind_simple(struct sb *out, uint32_t id, const char *dn, const char *password);
/* creds NULL: SaslCredentials without credentials. */
void ldap_bind_sasl(struct sb *out, uint32_t id, const char *dn, const char *mech, const uint8_t *creds,
		    size_t n);
/* creds NULL: no serverSaslCreds. */
void ldap_bind_rsp(struct sb *out, uint32_t id, uint32_t code, const char *diag, const uint8_t *creds,
		   size_t n);
void ldap_starttls_req(struct sb *out, uint32_t id);
/* named: the responseName is there (servers may leave it out). */
void ldap_starttls_rsp(struct sb *out, uint32_t id, uint32_t code, int named);
/* A searchResEntry whose one attribute value is n bytes long (a 4-octet
 * length whatever n is), for the counting-off tests. */
void ldap_search_entry(struct sb *out, uint32_t id, size_t n);

#define AD_BAD_PASSWORD_DIAG                                                                                 \
	"80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839"

#endif
