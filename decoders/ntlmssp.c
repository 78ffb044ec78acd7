/* ntlmssp.c - NTLMSSP NEGOTIATE / CHALLENGE / AUTHENTICATE messages.
 *
 * Normative reference: MS-NLMP §2.2.1.1 (NEGOTIATE_MESSAGE), §2.2.1.2
 * (CHALLENGE_MESSAGE), §2.2.1.3 (AUTHENTICATE_MESSAGE), §2.2.2.1 (AV_PAIR),
 * §2.2.2.5 (NegotiateFlags), §2.2.2.7 (NTLM v2: NTLMv2_CLIENT_CHALLENGE),
 * §2.2.2.8 (NTLMv2_RESPONSE), §2.2.2.10 (VERSION), §3.2.5.1.2 (anonymous).
 *
 * Accepted subset: the fixed header of each message must be complete
 * (NEGOTIATE 32 bytes, CHALLENGE 48, AUTHENTICATE 64); the 8-byte VERSION
 * is read when NTLMSSP_NEGOTIATE_VERSION is set and no payload starts
 * before it.  Every security buffer {len, maxlen, offset} is taken through
 * kf_span_slice_at against the whole message; maxlen is ignored.  AV pair
 * lists end at MsvAvEOL (bytes after it are padding); a list that runs off
 * its buffer without MsvAvEOL is malformed.  Responses, keys and the MIC are
 * looked at only for their length and presence, never copied out.
 */
#include "ntlmssp.h"

#include <string.h>

#include "base/cursor.h"
#include "base/text.h"

#define NTLM_FLAG_UNICODE 0x00000001u
#define NTLM_FLAG_VERSION 0x02000000u

#define MSV_AV_EOL 0
#define MSV_AV_FLAGS 6
#define MSV_AV_FLAG_MIC 0x00000002u

/* The fixed part of each message up to (not including) VERSION. */
#define NEGOTIATE_FIXED 32u
#define CHALLENGE_FIXED 48u
#define AUTHENTICATE_FIXED 64u
#define VERSION_LEN 8u

/* NTLMv2_RESPONSE: NTProofStr (16) + NTLMv2_CLIENT_CHALLENGE header (28). */
#define NTLMV2_AV_OFFSET 44u

struct secbuf {
	uint16_t len;
	uint32_t off;
};

static struct secbuf read_secbuf(struct kf_cur *c)
{
	struct secbuf b;
	b.len = kf_cur_le16(c);
	(void)kf_cur_le16(c); /* MaxLen: not trusted, not used */
	b.off = kf_cur_le32(c);
	return b;
}

/* Track where the payload begins, to tell whether VERSION is there. */
static void note_payload(uint32_t *min_off, struct secbuf b)
{
	if (b.len > 0 && b.off < *min_off)
		*min_off = b.off;
}

/* The bytes of a security buffer; false when they fall outside msg. */
static bool take(struct kf_span msg, struct secbuf b, struct kf_span *out)
{
	struct kf_span tmp;
	if (!kf_span_slice_at(msg, b.off, b.len, &tmp))
		return false;
	*out = tmp;
	return true;
}

static void read_version(struct kf_cur *c, struct kf_ntlm_msg *m)
{
	m->version_major = kf_cur_u8(c);
	m->version_minor = kf_cur_u8(c);
	m->version_build = kf_cur_le16(c);
	kf_cur_skip(c, 4); /* Reserved (3) + NTLMRevisionCurrent (1) */
	m->has_version = kf_cur_ok(c);
}

/* Walk an AV_PAIR list into m->av (capped).  *flags gets MsvAvFlags when
 * present (looked for even past the cap).  False when the list is damaged. */
static bool read_av_pairs(struct kf_span list, struct kf_ntlm_msg *m, uint32_t *flags, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(list);
	for (;;) {
		uint16_t id = kf_cur_le16(&c);
		uint16_t len = kf_cur_le16(&c);
		struct kf_span v = kf_cur_bytes(&c, len);
		if (!kf_cur_ok(&c))
			return false; /* ran off the buffer before MsvAvEOL */
		if (id == MSV_AV_EOL)
			return true;
		if (id == MSV_AV_FLAGS && len >= 4)
			*flags = (uint32_t)v.p[0] | ((uint32_t)v.p[1] << 8) | ((uint32_t)v.p[2] << 16) |
				 ((uint32_t)v.p[3] << 24);
		if (m->n_av >= KF_LIMIT_NTLM_AV_PAIRS) {
			if (!m->av_truncated)
				kf_events_add(ev, KF_EV_TOKEN_LIST_TRUNCATED);
			m->av_truncated = true;
			continue;
		}
		m->av[m->n_av].id = id;
		m->av[m->n_av].value = v;
		m->n_av++;
	}
}

static bool decode_negotiate(struct kf_span s, struct kf_cur *c, struct kf_ntlm_msg *m, struct kf_events *ev)
{
	m->flags = kf_cur_le32(c);
	struct secbuf dom = read_secbuf(c);
	struct secbuf ws = read_secbuf(c);
	if (!kf_cur_ok(c)) {
		kf_events_add(ev, KF_EV_NTLM_MALFORMED);
		return false;
	}
	/* DomainName and Workstation are OEM whatever the flags say (§2.2.1.1). */
	m->unicode = false;
	uint32_t payload = UINT32_MAX;
	note_payload(&payload, dom);
	note_payload(&payload, ws);
	/* A VERSION is read when the flag says so and there is room for it
	 * before any payload; a 32-byte NEGOTIATE that sets the flag but stops
	 * short of the 8 bytes (some clients send that) keeps its other fields
	 * and simply has no version. */
	if ((m->flags & NTLM_FLAG_VERSION) && payload >= NEGOTIATE_FIXED + VERSION_LEN && kf_cur_left(c)) {
		read_version(c, m);
		if (!m->has_version) { /* some bytes of it, not all: cut short */
			kf_events_add(ev, KF_EV_NTLM_MALFORMED);
			return false;
		}
	}
	if (!take(s, dom, &m->domain) || !take(s, ws, &m->workstation)) {
		kf_events_add(ev, KF_EV_NTLM_FIELD_OUT_OF_RANGE);
		return false;
	}
	return true;
}

static bool decode_challenge(struct kf_span s, struct kf_cur *c, struct kf_ntlm_msg *m, struct kf_events *ev)
{
	struct secbuf target = read_secbuf(c);
	m->flags = kf_cur_le32(c);
	kf_cur_skip(c, 8); /* ServerChallenge */
	kf_cur_skip(c, 8); /* Reserved */
	struct secbuf info = read_secbuf(c);
	if (!kf_cur_ok(c)) {
		kf_events_add(ev, KF_EV_NTLM_MALFORMED);
		return false;
	}
	m->unicode = (m->flags & NTLM_FLAG_UNICODE) != 0;
	uint32_t payload = UINT32_MAX;
	note_payload(&payload, target);
	note_payload(&payload, info);
	if ((m->flags & NTLM_FLAG_VERSION) && payload >= CHALLENGE_FIXED + VERSION_LEN) {
		read_version(c, m);
		if (!m->has_version) {
			kf_events_add(ev, KF_EV_NTLM_MALFORMED);
			return false;
		}
	}
	struct kf_span ti = kf_span_make(NULL, 0);
	bool target_ok = take(s, target, &m->target_name);
	if (!take(s, info, &ti) || !target_ok) {
		/* a buffer outside the message: still a CHALLENGE, that field unknown */
		kf_events_add(ev, KF_EV_NTLM_FIELD_OUT_OF_RANGE);
		m->damaged = true;
		ti = kf_span_make(NULL, 0);
	}
	uint32_t av_flags = 0;
	if (ti.n > 0 && !read_av_pairs(ti, m, &av_flags, ev)) {
		/* target info without its MsvAvEOL, or cut: still a CHALLENGE,
		 * with the pairs read before the damage */
		kf_events_add(ev, KF_EV_NTLM_MALFORMED);
		m->damaged = true;
	}
	return true;
}

static bool decode_authenticate(struct kf_span s, struct kf_cur *c, struct kf_ntlm_msg *m,
				struct kf_events *ev)
{
	struct secbuf lm = read_secbuf(c);
	struct secbuf nt = read_secbuf(c);
	struct secbuf dom = read_secbuf(c);
	struct secbuf user = read_secbuf(c);
	struct secbuf ws = read_secbuf(c);
	struct secbuf key = read_secbuf(c);
	m->flags = kf_cur_le32(c);
	if (!kf_cur_ok(c)) {
		kf_events_add(ev, KF_EV_NTLM_MALFORMED);
		return false;
	}
	m->unicode = (m->flags & NTLM_FLAG_UNICODE) != 0;
	m->lm_response_len = lm.len;
	m->nt_response_len = nt.len;
	m->ntlmv2 = nt.len > 24;
	uint32_t payload = UINT32_MAX;
	note_payload(&payload, lm);
	note_payload(&payload, nt);
	note_payload(&payload, dom);
	note_payload(&payload, user);
	note_payload(&payload, ws);
	note_payload(&payload, key);
	if ((m->flags & NTLM_FLAG_VERSION) && payload >= AUTHENTICATE_FIXED + VERSION_LEN) {
		read_version(c, m);
		if (!m->has_version) {
			kf_events_add(ev, KF_EV_NTLM_MALFORMED);
			return false;
		}
	}
	struct kf_span lm_resp, nt_resp, session_key;
	/* a buffer outside the message (a fuzzer, an attack on a parser, a
	 * token cut short) leaves that field unknown: the message is still an
	 * AUTHENTICATE, and the names that are in range still say who */
	bool names = take(s, dom, &m->domain);
	names = take(s, user, &m->user) && names; /* each one taken whatever the others did */
	names = take(s, ws, &m->workstation) && names;
	if (!names || !take(s, lm, &lm_resp) || !take(s, nt, &nt_resp) || !take(s, key, &session_key)) {
		kf_events_add(ev, KF_EV_NTLM_FIELD_OUT_OF_RANGE);
		m->damaged = true;
		m->ntlmv2 = false;
		m->lm_response_len = m->nt_response_len = 0;
		return true;
	}
	/* §3.2.5.1.2: empty user name, empty NT response, LM response empty or Z(1). */
	m->anonymous =
		m->user.n == 0 && nt_resp.n == 0 && (lm_resp.n == 0 || (lm_resp.n == 1 && lm_resp.p[0] == 0));
	if (!m->ntlmv2)
		return true;

	/* NTLMv2_RESPONSE: NTProofStr, then NTLMv2_CLIENT_CHALLENGE with
	 * RespType = HiRespType = 1 and the client's AV pairs (§2.2.2.7). */
	struct kf_span av;
	if (!kf_span_slice_at(nt_resp, NTLMV2_AV_OFFSET, nt_resp.n - NTLMV2_AV_OFFSET, &av) ||
	    nt_resp.p[16] != 1 || nt_resp.p[17] != 1) {
		kf_events_add(ev, KF_EV_NTLM_MALFORMED);
		return false;
	}
	uint32_t av_flags = 0;
	if (!read_av_pairs(av, m, &av_flags, ev)) {
		kf_events_add(ev, KF_EV_NTLM_MALFORMED);
		return false;
	}
	m->has_mic = (av_flags & MSV_AV_FLAG_MIC) != 0;
	return true;
}

bool kf_ntlmssp_decode(struct kf_span s, struct kf_ntlm_msg *m, struct kf_events *ev)
{
	memset(m, 0, sizeof *m);
	struct kf_cur c = kf_cur_make(s);
	struct kf_span sig = kf_cur_bytes(&c, 8);
	m->type = kf_cur_le32(&c);
	if (!kf_cur_ok(&c) || memcmp(sig.p, "NTLMSSP\0", 8) != 0) {
		m->type = 0;
		kf_events_add(ev, KF_EV_NTLM_MALFORMED);
		return false;
	}
	switch (m->type) {
	case 1: return decode_negotiate(s, &c, m, ev);
	case 2: return decode_challenge(s, &c, m, ev);
	case 3: return decode_authenticate(s, &c, m, ev);
	default: kf_events_add(ev, KF_EV_NTLM_MALFORMED); return false;
	}
}

/* ------------------------------------------------------------- strings */

size_t kf_ntlm_string(struct kf_span s, bool unicode, char *buf, size_t cap)
{
	/* The OEM code page is unknown: OEM strings are read as Latin-1. */
	return unicode ? kf_text_utf16le(s, buf, cap, NULL) : kf_text_latin1(s, buf, cap, NULL);
}

/* ---------------------------------------------------------- flag names */

/* MS-NLMP §2.2.2.5, bit 0 = 0x00000001.  NULL for the unused r1..r10 bits. */
static const char *const flag_names[32] = {
	[0] = "unicode",                     /* NTLMSSP_NEGOTIATE_UNICODE */
	[1] = "oem",                         /* NTLM_NEGOTIATE_OEM */
	[2] = "request-target",              /* NTLMSSP_REQUEST_TARGET */
	[4] = "sign",                        /* NTLMSSP_NEGOTIATE_SIGN */
	[5] = "seal",                        /* NTLMSSP_NEGOTIATE_SEAL */
	[6] = "datagram",                    /* NTLMSSP_NEGOTIATE_DATAGRAM */
	[7] = "lm-key",                      /* NTLMSSP_NEGOTIATE_LM_KEY */
	[9] = "ntlm",                        /* NTLMSSP_NEGOTIATE_NTLM */
	[11] = "anonymous",                  /* J: anonymous connection */
	[12] = "oem-domain-supplied",        /* NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED */
	[13] = "oem-workstation-supplied",   /* NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED */
	[15] = "always-sign",                /* NTLMSSP_NEGOTIATE_ALWAYS_SIGN */
	[16] = "target-type-domain",         /* NTLMSSP_TARGET_TYPE_DOMAIN */
	[17] = "target-type-server",         /* NTLMSSP_TARGET_TYPE_SERVER */
	[19] = "extended-session-security",  /* NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY */
	[20] = "identify",                   /* NTLMSSP_NEGOTIATE_IDENTIFY */
	[22] = "request-non-nt-session-key", /* NTLMSSP_REQUEST_NON_NT_SESSION_KEY */
	[23] = "target-info",                /* NTLMSSP_NEGOTIATE_TARGET_INFO */
	[25] = "version",                    /* NTLMSSP_NEGOTIATE_VERSION */
	[29] = "128",                        /* NTLMSSP_NEGOTIATE_128 */
	[30] = "key-exch",                   /* NTLMSSP_NEGOTIATE_KEY_EXCH */
	[31] = "56",                         /* NTLMSSP_NEGOTIATE_56 */
};

const char *kf_ntlm_flag_name(unsigned bit) { return bit < 32 ? flag_names[bit] : NULL; }
