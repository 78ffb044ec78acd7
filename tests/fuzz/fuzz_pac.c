/* fuzz_pac.c - the Windows PAC decoder (decoders/pac.c): one PACTYPE
 * (decrypted AD-WIN2K-PAC bytes).  Beyond "no crash": every string ends
 * inside its array, every kept list within its cap, a failed header leaves
 * nothing decoded, and decoding is a pure function of the bytes. */
#include "fuzz.h"

#include "pac.h"

static void check_strings(const struct kf_pac *p)
{
	FUZZ_CSTR(p->logon_user);
	FUZZ_CSTR(p->logon_full_name);
	FUZZ_CSTR(p->logon_domain);
	FUZZ_CSTR(p->logon_server);
	FUZZ_CSTR(p->user_sid);
	FUZZ_CSTR(p->domain_sid);
	FUZZ_CSTR(p->resource_domain_sid);
	FUZZ_CSTR(p->client_name);
	FUZZ_CSTR(p->upn);
	FUZZ_CSTR(p->dns_domain);
	FUZZ_CSTR(p->upn_sam_name);
	FUZZ_CSTR(p->upn_sid);
	FUZZ_CSTR(p->s4u_proxy_target);
	FUZZ_CSTR(p->requestor_sid);
	for (unsigned i = 0; i < p->n_sids; i++) {
		FUZZ_CSTR(p->sids[i]);
		FUZZ_CHECK(strncmp(p->sids[i], "S-1-", 4) == 0);
	}
	for (unsigned i = 0; i < p->n_transited_kept; i++)
		FUZZ_CSTR(p->transited[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };
	static struct kf_pac p, again;

	bool ok = kf_pac_decode(s, &p, &ev);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	FUZZ_CHECK(p.n_types <= KF_LIMIT_PAC_BUFFERS);
	FUZZ_CHECK(p.n_types <= p.n_buffers);
	FUZZ_CHECK(p.n_sids <= KF_LIMIT_PAC_SIDS);
	FUZZ_CHECK(p.n_transited_kept <= KF_LIMIT_PAC_TRANSITED);
	FUZZ_CHECK(p.n_transited_kept <= p.n_transited);
	check_strings(&p);
	if (!ok)
		FUZZ_CHECK(p.n_types == 0 && !p.complete && !p.has_logon_info && ev.n >= 1);
	if (p.complete)
		FUZZ_CHECK(ok && p.n_types == p.n_buffers);
	for (unsigned i = 0; i < p.n_types; i++)
		(void)kf_pac_buffer_name(p.types[i]);

	/* the same bytes, no sink: the same result to the byte */
	FUZZ_CHECK(kf_pac_decode(s, &again, NULL) == ok);
	FUZZ_CHECK(memcmp(&p, &again, sizeof p) == 0);
	return 0;
}
