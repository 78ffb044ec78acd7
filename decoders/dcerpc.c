/* dcerpc.c - DCE/RPC connection-oriented PDUs: see dcerpc.h. */
#include "dcerpc.h"

#include <stdio.h>
#include <string.h>

/* Integers in the PDU's data representation. */
static uint16_t rd16(const uint8_t *p, bool le)
{
	return le ? (uint16_t)(p[0] | (p[1] << 8)) : (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p, bool le)
{
	return le ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24)
		  : ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static bool known_ptype(uint8_t t)
{
	return t == KF_DCERPC_REQUEST || (t >= KF_DCERPC_RESPONSE && t <= KF_DCERPC_FAULT) ||
	       (t >= KF_DCERPC_BIND && t <= KF_DCERPC_ORPHANED);
}

bool kf_dcerpc_header(struct kf_span first, struct kf_dcerpc_header *out)
{
	memset(out, 0, sizeof *out);
	if (first.n < KF_DCERPC_HEADER)
		return false;
	const uint8_t *p = first.p;
	if (p[0] != 5 || p[1] > 1 || !known_ptype(p[2]))
		return false;
	out->vers = p[0];
	out->vers_minor = p[1];
	out->ptype = p[2];
	out->pfc_flags = p[3];
	out->little_endian = (p[4] & 0x10u) != 0;
	out->frag_length = rd16(p + 8, out->little_endian);
	out->auth_length = rd16(p + 10, out->little_endian);
	out->call_id = rd32(p + 12, out->little_endian);
	if (out->frag_length < KF_DCERPC_HEADER)
		return false;
	if (out->auth_length &&
	    (uint32_t)out->auth_length + KF_DCERPC_VERIFIER + KF_DCERPC_HEADER > out->frag_length)
		return false;
	return true;
}

bool kf_dcerpc_probe_bind(struct kf_span first)
{
	struct kf_dcerpc_header h;
	if (!kf_dcerpc_header(first, &h) || h.ptype != KF_DCERPC_BIND)
		return false;
	const uint8_t *p = first.p;
	/* PFC_FIRST_FRAG | PFC_LAST_FRAG; drep: integer 0x00/0x10, character
	 * ASCII/EBCDIC, float 0..3, two reserved zero bytes */
	if ((h.pfc_flags & 0x03u) != 0x03u || (p[4] & 0xefu) > 1u || p[5] > 3u || p[6] || p[7])
		return false;
	/* a bind holds at least its fixed part and one context without transfer syntaxes */
	return h.frag_length >= KF_DCERPC_HEADER + 12u + 24u;
}

/* ------------------------------------------------------------- names ---- */

const char *kf_dcerpc_ptype_name(uint8_t ptype)
{
	switch (ptype) {
	case KF_DCERPC_REQUEST: return "request";
	case KF_DCERPC_RESPONSE: return "response";
	case KF_DCERPC_FAULT: return "fault";
	case KF_DCERPC_BIND: return "bind";
	case KF_DCERPC_BIND_ACK: return "bind_ack";
	case KF_DCERPC_BIND_NAK: return "bind_nak";
	case KF_DCERPC_ALTER_CONTEXT: return "alter_context";
	case KF_DCERPC_ALTER_CONTEXT_RESP: return "alter_context_resp";
	case KF_DCERPC_AUTH3: return "auth3";
	case KF_DCERPC_SHUTDOWN: return "shutdown";
	case KF_DCERPC_CO_CANCEL: return "co_cancel";
	case KF_DCERPC_ORPHANED: return "orphaned";
	default: return NULL;
	}
}

const char *kf_dcerpc_auth_type_name(uint8_t auth_type)
{
	switch (auth_type) {
	case KF_DCERPC_AUTH_NONE: return "none";
	case 1: return "dce-private"; /* C706's DCE private key; tshark "Kerberos 5" */
	case KF_DCERPC_AUTH_SPNEGO: return "spnego";
	case KF_DCERPC_AUTH_NTLMSSP: return "ntlmssp";
	case KF_DCERPC_AUTH_SCHANNEL: return "schannel";
	case KF_DCERPC_AUTH_KERBEROS: return "kerberos";
	case 17: return "dpa";
	case 18: return "msn";
	case 21: return "digest";
	case KF_DCERPC_AUTH_NETLOGON: return "netlogon";
	case 100: return "msmq";
	default: return NULL;
	}
}

const char *kf_dcerpc_auth_level_name(uint8_t auth_level)
{
	static const char *const names[] = { "default", "none",      "connect", "call",
					     "packet",  "integrity", "privacy" };
	return auth_level < sizeof names / sizeof names[0] ? names[auth_level] : NULL;
}

/* Fault statuses (C706 appendix E, MS-RPCE §3.1.1.5.5), as tshark names them. */
static const struct {
	uint32_t v;
	const char *name;
} statuses[] = {
	{ 0x00000001u, "nca_s_fault_other" },
	{ 0x00000005u, "nca_s_fault_access_denied" },
	{ 0x000006d8u, "nca_s_fault_cant_perform" },
	{ 0x000006f7u, "nca_s_fault_ndr" },
	{ 0x00000721u, "nca_s_fault_sec_pkg_error" },
	{ 0x1c000008u, "nca_rpc_version_mismatch" },
	{ 0x1c000009u, "nca_unspec_reject" },
	{ 0x1c00000du, "nca_s_fault_cancel" },
	{ 0x1c00001au, "nca_s_fault_context_mismatch" },
	{ 0x1c00001bu, "nca_s_fault_remote_no_memory" },
	{ 0x1c00001cu, "nca_invalid_pres_context_id" },
	{ 0x1c00001du, "nca_unsupported_authn_level" },
	{ 0x1c00001fu, "nca_invalid_checksum" },
	{ 0x1c000020u, "nca_invalid_crc" },
	{ 0x1c010002u, "nca_op_rng_error" },
	{ 0x1c010003u, "nca_unk_if" },
	{ 0x1c01000bu, "nca_proto_error" },
	{ 0x1c010014u, "nca_server_too_busy" },
	{ 0x80010105u, "RPC_E_SERVERFAULT" },
};

const char *kf_dcerpc_status_name(uint32_t status)
{
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (statuses[i].v == status)
			return statuses[i].name;
	return NULL;
}

const char *kf_dcerpc_reject_name(uint32_t reason)
{
	static const char *const names[] = {
		"reason_not_specified",
		"temporary_congestion",
		"local_limit_exceeded",
		"called_paddr_unknown",
		"protocol_version_not_supported",
		"default_context_not_supported",
		"user_data_not_readable",
		"no_psap_available",
		"authentication_type_not_recognized",
		"invalid_checksum",
	};
	return reason < sizeof names / sizeof names[0] ? names[reason] : NULL;
}

/* The UUIDs as tshark names them in the shared corpus' binds (tshark says
 * EPMv4, RPC_NETLOGON and EFS for three of them; IWbemLevel1Login, TSCH,
 * WINREG, IRemoteActivation and the second EFSRPC UUID are from MS-WMI,
 * MS-TSCH, MS-RRP, MS-DCOM and MS-EFSR, not seen there). */
static const struct {
	const char *uuid;
	const char *name;
} interfaces[] = {
	{ "e3514235-4b06-11d1-ab04-00c04fc2dcd2", "DRSUAPI" },
	{ "12345778-1234-abcd-ef00-0123456789ac", "SAMR" },
	{ "12345778-1234-abcd-ef00-0123456789ab", "LSARPC" },
	{ "12345678-1234-abcd-ef00-01234567cffb", "NETLOGON" },
	{ "e1af8308-5d1f-11c9-91a4-08002b14a0fa", "EPM" },
	{ "367abb81-9844-35f1-ad32-98f038001003", "SVCCTL" },
	{ "4b324fc8-1670-01d3-1278-5a47bf6ee188", "SRVSVC" },
	{ "6bffd098-a112-3610-9833-46c3f87e345a", "WKSSVC" },
	{ "000001a0-0000-0000-c000-000000000046", "ISystemActivator" },
	{ "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IRemoteActivation" },
	{ "99fcfec4-5260-101b-bbcb-00aa0021347a", "IOXIDResolver" },
	{ "00000143-0000-0000-c000-000000000046", "IRemUnknown2" },
	{ "3919286a-b10c-11d0-9ba8-00c04fd92ef5", "DSSETUP" },
	{ "f5cc5a18-4264-101a-8c59-08002b2f8426", "NSPI" },
	{ "f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login" },
	{ "c681d488-d850-11d0-8c52-00c04fd90f7e", "EFSRPC" },
	{ "df1941c5-fe89-4e79-bf10-463657acf44d", "EFSRPC" },
	{ "86d35949-83c9-4044-b424-db363231fd0c", "TSCH" },
	{ "338cd001-2244-31f1-aaaa-900038001003", "WINREG" },
};

void kf_dcerpc_uuid_text(const uint8_t u[16], bool le, char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned)rd32(u, le),
		 (unsigned)rd16(u + 4, le), (unsigned)rd16(u + 6, le), u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

const char *kf_dcerpc_interface_name(const uint8_t uuid[16], bool little_endian)
{
	char t[37];
	kf_dcerpc_uuid_text(uuid, little_endian, t);
	for (size_t i = 0; i < sizeof interfaces / sizeof interfaces[0]; i++)
		if (strcmp(interfaces[i].uuid, t) == 0)
			return interfaces[i].name;
	return NULL;
}

/* ------------------------------------------------------------ bodies ---- */

static void malformed(struct kf_dcerpc_pdu *out, struct kf_events *ev, const char *why)
{
	out->body_ok = false;
	if (!out->why)
		out->why = why;
	kf_events_add(ev, KF_EV_DCERPC_MALFORMED);
}

/* bind / alter_context (C706 12.6.4.3): max_xmit_frag, max_recv_frag,
 * assoc_group_id, then p_cont_list_t.  body: the PDU up to its verifier. */
static bool read_bind(struct kf_span body, struct kf_dcerpc_pdu *out)
{
	bool le = out->h.little_endian;
	if (body.n < KF_DCERPC_HEADER + 12u)
		return false;
	out->assoc_group = rd32(body.p + 20, le);
	out->n_contexts = body.p[24];
	size_t at = KF_DCERPC_HEADER + 12u;
	for (unsigned i = 0; i < out->n_contexts && i < KF_LIMIT_DCERPC_CONTEXTS; i++) {
		/* p_cont_id, n_transfer_syn, reserved, abstract_syntax (20), transfer syntaxes (20 each) */
		if (body.n - at < 24u)
			return false;
		const uint8_t *e = body.p + at;
		if (i == 0) {
			memcpy(out->abstract_uuid, e + 4, 16);
			out->abstract_major = rd16(e + 20, le);
			out->abstract_minor = rd16(e + 22, le);
			out->has_abstract = true;
		}
		size_t len = 24u + 20u * (size_t)e[2];
		if (body.n - at < len)
			return false;
		at += len;
	}
	return true;
}

/* bind_ack / alter_context_resp (12.6.4.4): after the assoc_group_id the
 * secondary address (a counted string), padding to 4, then p_result_list_t. */
static bool read_bind_ack(struct kf_span body, struct kf_dcerpc_pdu *out)
{
	bool le = out->h.little_endian;
	if (body.n < KF_DCERPC_HEADER + 10u)
		return false;
	out->assoc_group = rd32(body.p + 20, le);
	size_t at = KF_DCERPC_HEADER + 10u;
	uint16_t addr = rd16(body.p + 24, le);
	if (body.n - at < addr)
		return false;
	at += addr;
	at = (at + 3u) & ~(size_t)3u;
	if (at > body.n || body.n - at < 4u)
		return false;
	uint8_t n_results = body.p[at];
	at += 4;
	/* p_result_t: result, reason, transfer syntax (24 bytes); the answer is
	 * an acceptance when any context was accepted, else the first result */
	for (unsigned i = 0; i < n_results && i < KF_LIMIT_DCERPC_CONTEXTS; i++, at += 24u) {
		if (body.n - at < 4u)
			return false;
		uint16_t result = rd16(body.p + at, le);
		if (!out->has_result || result == 0) {
			out->result = result;
			out->reason = rd16(body.p + at + 2, le);
		}
		out->has_result = true;
		if (result == 0 || body.n - at < 24u)
			break;
	}
	return true;
}

bool kf_dcerpc_decode(struct kf_span pdu, struct kf_dcerpc_pdu *out, struct kf_events *ev)
{
	memset(out, 0, sizeof *out);
	if (!kf_dcerpc_header(pdu, &out->h)) {
		out->why = "dcerpc: not a connection-oriented header";
		return false;
	}
	if (pdu.n < out->h.frag_length) {
		out->why = "dcerpc: PDU shorter than its frag_length";
		return false;
	}
	pdu.n = out->h.frag_length;
	bool le = out->h.little_endian;
	struct kf_span body = pdu;
	if (out->h.auth_length) {
		size_t v = pdu.n - out->h.auth_length - KF_DCERPC_VERIFIER; /* header() checked it fits */
		const uint8_t *a = pdu.p + v;
		out->has_auth = true;
		out->auth_type = a[0];
		out->auth_level = a[1];
		out->auth_pad_length = a[2];
		out->auth_context_id = rd32(a + 4, le);
		out->credentials = kf_span_make(a + KF_DCERPC_VERIFIER, out->h.auth_length);
		body.n = v;
	}
	bool ok = true;
	switch (out->h.ptype) {
	case KF_DCERPC_BIND:
	case KF_DCERPC_ALTER_CONTEXT: ok = read_bind(body, out); break;
	case KF_DCERPC_BIND_ACK:
	case KF_DCERPC_ALTER_CONTEXT_RESP: ok = read_bind_ack(body, out); break;
	case KF_DCERPC_BIND_NAK:
		ok = body.n >= KF_DCERPC_HEADER + 2u;
		if (ok) {
			out->status = rd16(body.p + 16, le);
			out->has_status = true;
		}
		break;
	case KF_DCERPC_FAULT:
		ok = body.n >= KF_DCERPC_HEADER + 12u;
		if (ok) {
			out->status = rd32(body.p + 24, le);
			out->has_status = true;
		}
		break;
	case KF_DCERPC_AUTH3:
		ok = true; /* 4 bytes of padding, then the verifier */
		break;
	default:
		ok = true; /* request, response...: the header is all that is read */
		break;
	}
	out->body_ok = ok;
	if (!ok)
		malformed(out, ev, "dcerpc: body shorter than its PTYPE needs");
	return true;
}
