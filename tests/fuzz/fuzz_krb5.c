/* fuzz_krb5.c - kf_krb5_decode (decoders/krb5_*.c: the libkrb5 wrapper, the
 * PA-DATA and e-data decoders) and the name tables reports use. */
#include "fuzz.h"

#include "krb5.h"

static void check_ticket(const struct kf_krb_ticket *t)
{
	FUZZ_CSTR(t->sname);
	FUZZ_CSTR(t->realm);
	(void)kf_krb5_etype_name(t->etype);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_span s = kf_span_make(data, size);
	static struct kf_krb_msg m; /* large: keep it off the stack, as the analyzer does */
	struct kf_events ev = { 0 };

	(void)kf_krb5_probe(s);
	bool ok = kf_krb5_decode(s, &m, &ev);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	if (!ok)
		return 0;
	FUZZ_CHECK(m.type != KF_KRB_NONE);
	(void)kf_krb5_type_name(m.type);
	FUZZ_CSTR(m.cname);
	FUZZ_CSTR(m.crealm);
	FUZZ_CSTR(m.sname);
	FUZZ_CSTR(m.realm);
	FUZZ_CSTR(m.e_text);
	FUZZ_CSTR(m.s4u_user);
	FUZZ_CHECK(m.n_etypes <= KF_LIMIT_ETYPES);
	FUZZ_CHECK(m.n_addresses <= KF_LIMIT_ADDRESSES);
	FUZZ_CHECK(m.n_padata <= KF_LIMIT_PADATA);
	FUZZ_CHECK(m.n_edata_padata <= KF_LIMIT_PADATA);
	FUZZ_CHECK(m.n_etype_info <= KF_LIMIT_ETYPE_INFO);
	FUZZ_CHECK(m.n_additional_tickets <= KF_LIMIT_ADDL_TICKETS);
	for (unsigned i = 0; i < m.n_etypes; i++)
		(void)kf_krb5_etype_name(m.etypes[i]);
	for (unsigned i = 0; i < m.n_addresses; i++)
		FUZZ_CSTR(m.addresses[i]);
	for (unsigned i = 0; i < m.n_padata; i++)
		(void)kf_krb5_padata_name(m.padata[i]);
	for (unsigned i = 0; i < m.n_edata_padata; i++)
		(void)kf_krb5_padata_name(m.edata_padata[i]);
	for (unsigned i = 0; i < m.n_etype_info; i++) {
		FUZZ_CSTR(m.etype_info[i].salt);
		(void)kf_krb5_etype_name(m.etype_info[i].etype);
	}
	if (m.ticket.present)
		check_ticket(&m.ticket);
	for (unsigned i = 0; i < m.n_additional_tickets; i++)
		check_ticket(&m.additional_tickets[i]);
	(void)kf_krb5_error_name(m.error_code);
	if (m.has_ntstatus)
		(void)kf_krb5_ntstatus_name(m.ntstatus);
	for (unsigned b = 0; b < 32; b++) {
		if (m.has_kdc_options && (m.kdc_options & (0x80000000u >> b)))
			(void)kf_krb5_kdc_option_name(b);
		if (m.has_ap_options && (m.ap_options & (0x80000000u >> b)))
			(void)kf_krb5_ap_option_name(b);
		if (m.has_pac_options && (m.pac_options & (0x80000000u >> b)))
			(void)kf_krb5_pac_option_name(b);
	}
	return 0;
}
