/* krb5_padata.h - krbflow's own DER decoding of Kerberos pieces (RFC 4120
 * §5.2, §5.2.7, §5.9.1; MS-SFU §2.2.1-2.2.2; MS-KILE §2.2.1-2.2.3, §2.2.10),
 * used beside the libkrb5 codec (krb5_codec.c):
 *
 *   - PA-DATA values libkrb5 leaves opaque (PA-FOR-USER, PA-S4U-X509-USER,
 *     PA-PAC-OPTIONS, PA-PAC-REQUEST, PA-ETYPE-INFO2/-INFO, PA-TGS-REQ);
 *   - KRB-ERROR e-data (METHOD-DATA, TYPED-DATA, Windows KERB-ERROR-DATA);
 *   - the fallback skim that recovers what it can of a message libkrb5
 *     refused, and decodes the types libkrb5 has no decoder for here
 *     (TGT-REQ/TGT-REP, KRB-SAFE, KRB-PRIV).
 *
 * Everything reads through kf_cur/kf_der (never trusting a length), writes
 * into a caller's struct kf_krb_msg, and allocates nothing.  None of it
 * recurses: nesting depth is fixed by the grammar (at most 9 levels, from a
 * message to an AP-REQ's ticket's EncryptedData inside PA-TGS-REQ), so
 * KF_LIMIT_DER_DEPTH can never be reached.  Malformed input is never a
 * failure of the program: padata/e-data problems raise KRB_PADATA_MALFORMED,
 * strings or lists cut at a krbflow cap raise KRB_FIELD_TRUNCATED.
 */
#ifndef KF_KRB5_PADATA_H
#define KF_KRB5_PADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krb5.h"
#include "base/cursor.h"
#include "base/der.h"

/* Where a PA-DATA sequence was found; decides how ambiguous values are read
 * (a 12-byte PA-PW-SALT is a Windows KERB-EXT-ERROR only in a KRB-ERROR). */
enum kf_krb5_pa_ctx {
	KF_KRB5_PA_REQUEST,
	KF_KRB5_PA_REPLY,
	KF_KRB5_PA_ERROR,
};

/* Add ev to the sink unless it is already there (one KRB_FIELD_TRUNCATED
 * per message is enough). */
void kf_krb5_event_once(struct kf_events *ev, enum kf_event e);

/* Append v to list[*n] (capacity cap); a full list raises
 * KRB_FIELD_TRUNCATED and drops v. */
void kf_krb5_list_add(int32_t *list, uint8_t *n, unsigned cap, int32_t v, struct kf_events *ev);

/* Append s to the NUL-terminated string dst (capacity cap >= 1), writing
 * bytes outside 0x20-0x7e as '?'.  Returns false when s did not fit; dst is
 * then full and still terminated. */
bool kf_krb5_text_append(char *dst, size_t cap, struct kf_span s);

/* Print a HostAddress (RFC 4120 §7.5.3): IPv4 and IPv6 numerically, NetBIOS
 * as its name without padding, anything else as "addrtype-N:<hex>". */
void kf_krb5_addr_format(int32_t addr_type, struct kf_span addr, char *out, size_t cap);

/* Convert a KerberosTime ("YYYYMMDDHHMMSSZ", RFC 4120 §5.2.3; fractions
 * tolerated) into seconds since the epoch.  False when it is not one. */
bool kf_krb5_time_parse(struct kf_span v, int64_t *out);

/* Decoders of single elements.  Each takes `tlv`, the complete encoding of
 * one element (what sits inside its EXPLICIT [n] wrapper), and returns false
 * when it is malformed; output strings are always terminated.  A string cut
 * at `cap` raises KRB_FIELD_TRUNCATED on ev and still returns true. */
bool kf_krb5_der_string(struct kf_span tlv, char *out, size_t cap, struct kf_events *ev);
bool kf_krb5_der_principal(struct kf_span tlv, char *out, size_t cap, int32_t *name_type,
			   struct kf_events *ev);
bool kf_krb5_der_enc_data(struct kf_span tlv, int32_t *etype, bool *has_kvno, uint32_t *kvno);
bool kf_krb5_der_ticket(struct kf_span tlv, struct kf_krb_ticket *t, struct kf_events *ev);
/* AP-REQ ([APPLICATION 14]): ap-options, ticket, authenticator etype. */
bool kf_krb5_der_ap_req(struct kf_span tlv, uint32_t *ap_options, struct kf_krb_ticket *t,
			int32_t *auth_etype, struct kf_events *ev);

/* Decode one PA-DATA value of a type krbflow understands into m (see the
 * list above; PA-TGS-REQ is decoded here only when the caller has no better
 * decoder).  Unknown types are ignored.  A value that does not parse raises
 * KRB_PADATA_MALFORMED and leaves m as it was for that field. */
void kf_krb5_padata_value(enum kf_krb5_pa_ctx ctx, int32_t type, struct kf_span value, struct kf_krb_msg *m,
			  struct kf_events *ev);

/* Decode a KRB-ERROR e-data (RFC 4120 §5.9.1): METHOD-DATA (its PA-DATA
 * types go to m->edata_padata, ETYPE-INFO2/ETYPE-INFO to m->etype_info, a
 * 12-byte PA-PW-SALT to m->ntstatus), TYPED-DATA (types to edata_padata) or
 * MS-KILE KERB-ERROR-DATA (KERB_ERR_TYPE_EXTENDED: m->ntstatus).  Anything
 * else raises KRB_PADATA_MALFORMED. */
void kf_krb5_edata(struct kf_span e_data, struct kf_krb_msg *m, struct kf_events *ev);

/* Walk the contents of a message's outer [APPLICATION n] element (`body`,
 * possibly cut short) field by field and fill m with what can be read;
 * m->type must be set.  Returns true when the whole structure parsed. */
bool kf_krb5_skim(struct kf_span body, struct kf_krb_msg *m, struct kf_events *ev);

#endif
