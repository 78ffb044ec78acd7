/* fuzz_decrypt.c - opening encrypted parts (decoders/krb5_decrypt.c) with
 * the lab's TEST-ONLY keytab: the input's first byte picks the message type,
 * the rest is the message.  The keyring lives across inputs, so learnt keys
 * pile up as in a long capture; reply keys come from the previous input, so
 * chains (request -> reply) are reached too. */
#include "fuzz.h"

#include "krb5.h"
#include "krb5_decrypt.h"

#ifndef KF_SAMPLES_DIR
#define KF_SAMPLES_DIR "samples"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kf_keyring *kr;
	static struct kf_plain pl;
	static uint32_t prev[2];
	if (!kr) {
		char err[256];
		kr = kf_keyring_new();
		if (!kr ||
		    kf_keyring_add_keytab(kr, KF_SAMPLES_DIR "/keys/lab-kdc.keytab", err, sizeof err) <= 0)
			abort();
	}
	if (size < 1)
		return 0;
	static const int types[] = { KF_KRB_AS_REQ, KF_KRB_AS_REP, KF_KRB_TGS_REQ, KF_KRB_TGS_REP,
				     KF_KRB_AP_REQ, KF_KRB_AP_REP, KF_KRB_ERROR,   KF_KRB_CRED };
	int type = types[data[0] % (sizeof types / sizeof types[0])];
	struct kf_events ev = { 0 };
	uint32_t keys[2] = { prev[0], prev[1] };
	if (kf_krb5_open(kr, kf_span_make(data + 1, size - 1), type, keys, 1, &pl, &ev)) {
		FUZZ_CSTR(pl.ticket.cname);
		FUZZ_CSTR(pl.ticket.server);
		FUZZ_CSTR(pl.auth.cname);
		FUZZ_CHECK(pl.n_addl <= KF_LIMIT_ADDL_TICKETS);
		FUZZ_CHECK(pl.auth.cred.n_info <= KF_LIMIT_CRED_TICKETS);
		prev[0] = pl.reply_keys[0];
		prev[1] = pl.reply_keys[1];
	}
	return 0;
}
