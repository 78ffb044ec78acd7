/* krb5_private.h - what the two libkrb5 users (krb5_codec.c, krb5_decrypt.c)
 * share: the decode_krb5_* functions MIT exports from libkrb5.so.3 but
 * declares only in its private k5-int.h, and the conversions of libkrb5
 * values into krbflow's bounded strings.  Include nowhere else (STYLE.md
 * point 16: libkrb5 stays in these two files).
 */
#ifndef KF_KRB5_PRIVATE_H
#define KF_KRB5_PRIVATE_H

#include <krb5/krb5.h>
#include <stdint.h>

#include "base/events.h"
#include "base/span.h"
#include "krb5_padata.h"

/* Exported by libkrb5.so.3 (libkrb5.exports), declared in k5-int.h;
 * CMakeLists.txt checks that each exists. */
krb5_error_code decode_krb5_as_req(const krb5_data *, krb5_kdc_req **);
krb5_error_code decode_krb5_tgs_req(const krb5_data *, krb5_kdc_req **);
krb5_error_code decode_krb5_as_rep(const krb5_data *, krb5_kdc_rep **);
krb5_error_code decode_krb5_tgs_rep(const krb5_data *, krb5_kdc_rep **);
krb5_error_code decode_krb5_ap_req(const krb5_data *, krb5_ap_req **);
krb5_error_code decode_krb5_ap_rep(const krb5_data *, krb5_ap_rep **);
krb5_error_code decode_krb5_error(const krb5_data *, krb5_error **);
krb5_error_code decode_krb5_cred(const krb5_data *, krb5_cred **);
krb5_error_code decode_krb5_authenticator(const krb5_data *, krb5_authenticator **);
krb5_error_code decode_krb5_enc_kdc_rep_part(const krb5_data *, krb5_enc_kdc_rep_part **);
krb5_error_code decode_krb5_ap_rep_enc_part(const krb5_data *, krb5_ap_rep_enc_part **);
krb5_error_code decode_krb5_enc_cred_part(const krb5_data *, krb5_cred_enc_part **);
krb5_error_code KRB5_CALLCONV krb5_decrypt_tkt_part(krb5_context, const krb5_keyblock *, krb5_ticket *);
void KRB5_CALLCONV krb5_free_kdc_req(krb5_context, krb5_kdc_req *);
void KRB5_CALLCONV krb5_free_kdc_rep(krb5_context, krb5_kdc_rep *);
void KRB5_CALLCONV krb5_free_ap_req(krb5_context, krb5_ap_req *);
void KRB5_CALLCONV krb5_free_ap_rep(krb5_context, krb5_ap_rep *);
void KRB5_CALLCONV krb5_free_cred(krb5_context, krb5_cred *);
void KRB5_CALLCONV krb5_free_enc_kdc_rep_part(krb5_context, krb5_enc_kdc_rep_part *);
void KRB5_CALLCONV krb5_free_ap_rep_enc_part(krb5_context, krb5_ap_rep_enc_part *);
void KRB5_CALLCONV krb5_free_cred_enc_part(krb5_context, krb5_cred_enc_part *);

/* A read-only krb5_data over a span: libkrb5's decoders never write to
 * their input, krb5_data just has no const member. */
static inline krb5_data kf_krb5_as_data(struct kf_span s)
{
	krb5_data d;
	d.magic = KV5M_DATA;
	d.length = (unsigned int)s.n;
	d.data = (char *)(uintptr_t)s.p;
	return d;
}

static inline struct kf_span kf_krb5_data_span(const krb5_data *d)
{
	return kf_span_make(d->data, d->data ? d->length : 0);
}

/* Principal components joined by '/' (no realm), cut at cap. */
static inline void kf_krb5_name_of(krb5_const_principal p, char *out, size_t cap, struct kf_events *ev)
{
	out[0] = '\0';
	bool ok = true;
	for (krb5_int32 i = 0; ok && i < p->length; i++) {
		if ((unsigned)i == KF_LIMIT_PRINC_COMPONENTS) {
			ok = false;
			break;
		}
		if (i > 0)
			ok = kf_krb5_text_append(out, cap, kf_span_make("/", 1));
		if (ok)
			ok = kf_krb5_text_append(out, cap, kf_krb5_data_span(&p->data[i]));
	}
	if (!ok)
		kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
}

static inline void kf_krb5_text_of(const krb5_data *d, char *out, size_t cap, struct kf_events *ev)
{
	out[0] = '\0';
	if (!kf_krb5_text_append(out, cap, kf_krb5_data_span(d)))
		kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
}

/* KerberosTime as libkrb5 keeps it: 32 bits read as unsigned, so times past
 * 2038 stay correct (MIT's ts2tt()). */
static inline int64_t kf_krb5_time_of(krb5_timestamp ts) { return (int64_t)(uint32_t)ts; }

#endif
