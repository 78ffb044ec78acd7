/* text.c - the human report: one line per Kerberos message in time order,
 * saying who asked what of whom and how it ended, then what went missing on
 * the way (unanswered requests, resets, ICMP) and the capture's warnings.
 * With --keytab: what the keys opened, under each message and as an account. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/events.h"
#include "gss.h"
#include "krb5.h"
#include "kpasswd.h"
#include "ldap.h"
#include "smb.h"
#include "dcerpc.h"
#include "tds.h"
#include "krb5_decrypt.h"
#include "ladder.h"
#include "report.h"
#include "finding.h"
#include "stories.h"

/* A line buffer: appends never overflow, a long line is cut. */
struct line {
	char b[2048];
	size_t n;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (l->n < sizeof l->b) {
		int w = vsnprintf(l->b + l->n, sizeof l->b - l->n, fmt, ap);
		if (w > 0)
			l->n += (size_t)w < sizeof l->b - l->n ? (size_t)w : sizeof l->b - l->n - 1;
	}
	va_end(ap);
}

static void principal(struct line *l, const char *name, const char *realm)
{
	const char *at = name ? strchr(name, '@') : NULL;
	if (at && realm && strcasecmp(at + 1, realm) != 0)
		add(l, "%s (realm %s)", name, realm); /* an enterprise name: its realm is asked elsewhere */
	else if (at)
		add(l, "%s", name); /* an enterprise name carries its realm: said once */
	else if (name && realm)
		add(l, "%s@%s", name, realm);
	else if (name)
		add(l, "%s", name);
	else if (realm)
		add(l, "@%s", realm);
	else
		add(l, "?");
}

/* The first few offered etypes (what a reader scans for: AES, RC4, DES);
 * the JSON has them all. */
static void etype_list(struct line *l, const int32_t *e, unsigned n)
{
	char b[24];
	unsigned shown = n > 3 ? 3 : n;
	for (unsigned i = 0; i < shown; i++)
		add(l, "%s%s", i ? "," : "", kf_fmt_etype(e[i], b, sizeof b));
	if (n > shown)
		add(l, " +%u", n - shown);
}

static void ticket(struct line *l, const char *label, const struct kf_ticket_rec *t)
{
	char b[24];
	add(l, "  %s %s@%s (%s", label, t->sname, t->realm, kf_fmt_etype(t->etype, b, sizeof b));
	if (t->has_kvno)
		add(l, ", kvno %u", t->kvno);
	add(l, ")");
}

/* An LDAP result code's name, or "result N". */
static const char *ldap_code(uint32_t code, char *buf, size_t n)
{
	const char *name = kf_ldap_result_name(code);
	if (name)
		return name;
	snprintf(buf, n, "result %u", code);
	return buf;
}

/* A per-message token: whether what follows is sealed or only signed. */
static void gsswrap_facts(struct line *l, const struct kf_gsswrap_rec *g)
{
	add(l, "  %s", g->mechanism ? g->mechanism : "?");
	if (g->sealed_known)
		add(l, "  %s", g->sealed ? "sealed (confidentiality)" : "signed only (integrity)");
	if (g->has_seq)
		add(l, "  seq %llu", (unsigned long long)g->seq);
}

/* An LDAP bind or StartTLS (issue 17). */
static void ldap_facts(struct line *l, const struct kf_message *m)
{
	const struct kf_ldap_rec *d = m->ldap;
	const char *op = kf_ldap_op_name(d->operation);
	add(l, "%s #%u", op ? op : "op", d->message_id);
	if (d->starttls)
		add(l, "  StartTLS");
	if (d->mechanism && m->type == KF_MSG_LDAP_REQUEST)
		add(l, "  %s", d->mechanism);
	if (d->bind_dn && m->type == KF_MSG_LDAP_REQUEST)
		add(l, "  as \"%s\"", d->bind_dn);
	if (d->simple_password)
		add(l, "  with a password (not shown)");
	char code[32];
	if (d->has_result)
		add(l, "  %s", ldap_code(d->result_code, code, sizeof code));
	if (d->ad_data_code) {
		const char *n = kf_ldap_ad_data_name(d->ad_data_code);
		add(l, "  data %x%s%s%s", d->ad_data_code, n ? " (" : "", n ? n : "", n ? ")" : "");
	}
	if (d->wrapped_from)
		add(l, "  signed/sealed from frame %llu", (unsigned long long)d->wrapped_from);
}

/* A DCE/RPC bind, its answer, or a fault (issue 17). */
static void dcerpc_facts(struct line *l, const struct kf_message *m)
{
	const struct kf_dcerpc_rec *d = m->dcerpc;
	const char *pt = kf_dcerpc_ptype_name(d->ptype);
	if (pt)
		add(l, "%s", pt);
	else
		add(l, "PTYPE %u", d->ptype);
	if (d->interface)
		add(l, "  %s", d->interface);
	if (d->pipe)
		add(l, "  pipe %s", d->pipe);
	if (d->has_status) {
		const char *n = d->ptype == KF_DCERPC_FAULT      ? kf_dcerpc_status_name(d->status)
				: d->ptype == KF_DCERPC_BIND_NAK ? kf_dcerpc_reject_name(d->status)
				: d->status == 1                 ? "user_rejection"
				: d->status == 2                 ? "provider_rejection"
								 : NULL;
		if (n)
			add(l, "  %s", n);
		else
			add(l, "  status 0x%08x", d->status);
	}
	if (d->auth_type) {
		const char *at = kf_dcerpc_auth_type_name(d->auth_type);
		const char *al = kf_dcerpc_auth_level_name(d->auth_level);
		if (at)
			add(l, "  auth %s", at);
		else
			add(l, "  auth type %u", d->auth_type);
		if (al)
			add(l, " level %s", al);
	}
	add(l, "  call %u", d->call_id);
}

/* A name or message from the capture (already printable: base/text.h)
 * in double quotes, its quotes and backslashes escaped. */
static void quoted(struct line *l, const char *s)
{
	add(l, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			add(l, "\\");
		add(l, "%c", *s);
	}
	add(l, "\"");
}

/* A SQL Server login's message (issue 17): PRELOGIN, LOGIN7, SSPI or the
 * server's answer. */
static void tds_facts(struct line *l, const struct kf_message *m)
{
	const struct kf_tds_rec *t = m->tds;
	const char *pt = kf_tds_type_name(t->packet_type);
	if (t->strict_tls)
		add(l, "TLS from the first byte (TDS 8 strict encryption): the login is encrypted");
	else if (t->packet_type == KF_TDS_TABULAR && m->type == KF_MSG_TDS_RESPONSE)
		add(l, "%s", t->has_encryption ? "PRELOGIN answer" : "login answer");
	else if (pt)
		add(l, "%s", pt);
	else
		add(l, "packet type %u", t->packet_type);
	if (t->has_encryption) {
		const char *e = kf_tds_encryption_name(t->encryption);
		if (e)
			add(l, "  encryption %s", e);
		else
			add(l, "  encryption %u", t->encryption);
	}
	if (t->login_encrypted && !t->strict_tls)
		add(l, "  TLS handshake: the login is encrypted");
	else if (t->tls_wrapped)
		add(l, "  TLS handshake");
	if (t->packet_type == KF_TDS_LOGIN7)
		add(l, "  %s", t->integrated ? "integrated (SSPI)" : "SQL authentication");
	if (t->user) {
		add(l, "  user ");
		quoted(l, t->user);
	}
	if (t->server) {
		add(l, "  server ");
		quoted(l, t->server);
	}
	if (t->login_ack)
		add(l, "  LOGINACK");
	if (t->has_error) {
		add(l, "  ERROR %u state %u class %u", t->error_number, t->error_state, t->error_class);
		if (t->message) {
			add(l, " ");
			quoted(l, t->message);
		}
	}
}

/* An SMB command: what it asked or answered, in one line. */
static void smb_facts(struct line *l, const struct kf_message *m)
{
	const struct kf_smb_rec *s = m->smb;
	bool smb1 = m->carrier == KF_CARRIER_SMB;
	if (s->encrypted) {
		add(l, "encrypted from here on (SMB3 transform header, session 0x%llx): not readable",
		    (unsigned long long)s->session_id);
		return;
	}
	if (s->command_name)
		add(l, "%s%s", smb1 ? "SMB1 " : "", s->command_name);
	else
		add(l, "%scommand 0x%x", smb1 ? "SMB1 " : "", s->command);
	if (s->has_status) {
		const char *n = kf_ntstatus_name(s->status);
		if (n)
			add(l, "  %s", n);
		else
			add(l, "  status 0x%08x", s->status);
	} else if (s->dos_error) {
		add(l, "  DOS error class %u code %u", s->status & 0xffu, s->status >> 16);
	}
	if (s->max_dialect) {
		const char *d = kf_smb2_dialect_name(s->max_dialect);
		add(l, "  dialects up to %s", d ? d : "?");
	}
	if (s->dialect && !smb1) {
		const char *d = kf_smb2_dialect_name(s->dialect);
		if (d)
			add(l, "  %s", d);
		else
			add(l, "  dialect 0x%04x", s->dialect);
	}
	if (s->signing_required)
		add(l, "  signing required");
	if (s->encryption_capable && m->type == KF_MSG_SMB_RESPONSE)
		add(l, "  encryption available");
	if (s->session_id)
		add(l, "  session 0x%llx", (unsigned long long)s->session_id);
	if (s->tree)
		add(l, "  %s", s->tree);
	if (s->session_flags & KF_SMB_SESSION_GUEST)
		add(l, "  as guest");
	if (s->session_flags & KF_SMB_SESSION_NULL)
		add(l, "  null session");
	if (s->session_flags & KF_SMB_SESSION_ENCRYPT)
		add(l, "  encrypted session");
	if (s->account)
		add(l, "  account %s%s%s (no security blob)", s->domain ? s->domain : "",
		    s->domain ? "\\" : "", s->account);
	if (s->token_bytes)
		add(l, " (%u-byte token)", s->token_bytes);
	if (s->token_invalid)
		add(l, " [token not decodable]");
}

/* What the kpasswd framing says: what a request asks, the encrypted
 * KRB-PRIV, and the result when the server sent it in the clear. */
static void kpasswd_facts(struct line *l, const struct kf_message *m)
{
	const struct kf_kpasswd_rec *kp = m->kpasswd;
	char b[64];
	const char *sep = " ";
	add(l, "  [kpasswd");
	if (!kp->framed) {
		add(l, " reply without the kpasswd header");
		sep = ", ";
	} else if (m->type == KF_KRB_AP_REQ) { /* replies are version 1 whatever was asked */
		const char *v = kf_kpasswd_version_name(kp->version);
		if (v)
			add(l, " %s", v);
		else
			add(l, " version 0x%04x", kp->version);
		sep = ", ";
	}
	if (kp->has_priv) {
		add(l, "%sKRB-PRIV", sep);
		if (kp->priv_etype)
			add(l, " %s", kf_fmt_etype(kp->priv_etype, b, sizeof b));
		if (kp->priv_bytes)
			add(l, " %u bytes", kp->priv_bytes);
		add(l, " encrypted");
		sep = ", ";
	}
	if (kp->has_result) {
		const char *rn = kf_kpasswd_result_name(kp->result_code);
		add(l, "%sresult %u %s", sep, kp->result_code, rn ? rn : "(unknown)");
		if (kp->result_text)
			add(l, " \"%s\"", kp->result_text);
		if (kp->ad_policy)
			add(l, " (policy: at least %u characters, %u remembered, properties 0x%x)",
			    kp->policy_min_length, kp->policy_history, kp->policy_properties);
	}
	add(l, "]");
}

static void describe(struct line *l, const struct kf_message *m)
{
	const struct kf_krb_rec *k = &m->krb;
	char b[512];
	switch (m->type) {
	case KF_KRB_AS_REQ:
	case KF_KRB_TGS_REQ:
		if (m->type == KF_KRB_AS_REQ) {
			principal(l, k->cname, k->crealm ? k->crealm : k->realm);
			add(l, " asks for ");
		} else {
			add(l, "asks for ");
		}
		principal(l, k->sname, k->realm);
		if (k->s4u_user)
			add(l, "  on behalf of %s (S4U2Self)", k->s4u_user);
		if (k->n_addl && k->has_kdc_options && (k->kdc_options & (0x80000000u >> 14)))
			add(l, "  S4U2Proxy");
		if (k->has_kdc_options && k->kdc_options) {
			kf_fmt_flags(k->kdc_options, kf_krb5_kdc_option_name, ",", b, sizeof b);
			add(l, "  options %s", b);
		}
		if (k->n_etypes) {
			add(l, "  etypes ");
			etype_list(l, k->etypes, k->n_etypes);
		}
		if (k->n_padata) {
			add(l, "  pa ");
			for (unsigned i = 0; i < k->n_padata; i++)
				add(l, "%s%s", i ? "," : "", kf_fmt_padata(k->padata[i], b, sizeof b));
		}
		if (k->ticket)
			ticket(l, "with ticket", k->ticket);
		for (unsigned i = 0; i < k->n_addl; i++)
			ticket(l, "additional ticket", &k->addl[i]);
		break;
	case KF_KRB_AS_REP:
	case KF_KRB_TGS_REP:
		add(l, "issues ");
		if (k->ticket)
			add(l, "%s@%s", k->ticket->sname, k->ticket->realm);
		else
			add(l, "a ticket");
		add(l, " to ");
		principal(l, k->cname, k->crealm);
		if (k->ticket) {
			add(l, "  (ticket %s", kf_fmt_etype(k->ticket->etype, b, sizeof b));
			if (k->ticket->has_kvno)
				add(l, ", kvno %u", k->ticket->kvno);
			add(l, ")");
		}
		if (k->has_enc_etype)
			add(l, "  reply key %s", kf_fmt_etype(k->enc_etype, b, sizeof b));
		break;
	case KF_KRB_ERROR:
		add(l, "%s (%d)", kf_fmt_error(k->error_code, b, sizeof b), k->error_code);
		if (k->cname || k->sname) {
			add(l, " for ");
			if (k->cname) {
				principal(l, k->cname, k->crealm);
				if (k->sname)
					add(l, " → ");
			}
			if (k->sname)
				principal(l, k->sname, k->realm);
		}
		if (k->e_text)
			add(l, "  \"%s\"", k->e_text);
		if (k->has_ntstatus) {
			const char *nn = kf_krb5_ntstatus_name(k->ntstatus);
			add(l, "  NTSTATUS 0x%08X%s%s", k->ntstatus, nn ? " " : "", nn ? nn : "");
		}
		if (k->n_etype_info) {
			add(l, "  etype-info2 ");
			for (unsigned i = 0; i < k->n_etype_info; i++) {
				add(l, "%s%s", i ? "," : "",
				    kf_fmt_etype(k->etype_info[i].etype, b, sizeof b));
				if (k->etype_info[i].salt)
					add(l, " salt \"%s\"", k->etype_info[i].salt);
			}
		}
		break;
	case KF_KRB_AP_REQ:
		if (k->ticket)
			ticket(l, "presents", k->ticket);
		if (k->has_ap_options && k->ap_options) {
			kf_fmt_flags(k->ap_options, kf_krb5_ap_option_name, ",", b, sizeof b);
			add(l, "  options %s", b);
		}
		break;
	case KF_KRB_CRED:
		if (k->ticket)
			ticket(l, "carries", k->ticket);
		break;
	case KF_KRB_AP_REP: /* DCE style (RPC AUTH3): the client answers the server's AP-REP */
		add(l, m->sender == KF_SENDER_CLIENT ? "from the client, the DCE-style third leg"
						     : "mutual authentication");
		break;
	case KF_MSG_HTTP_REQUEST:
		if (m->http) {
			const struct kf_http_rec *h = m->http;
			add(l, "%s %s%s", h->method ? h->method : "?", h->uri ? h->uri : "?",
			    h->uri_truncated ? "…" : "");
			if (h->host)
				add(l, "  Host: %s", h->host);
			if (h->auth_scheme)
				add(l, "  %s: %s", h->proxy ? "Proxy-Authorization" : "Authorization",
				    h->auth_scheme);
			else
				add(l, "  (no credentials)");
			if (h->token_bytes)
				add(l, " (%u-byte token)", h->token_bytes);
			if (h->token_invalid)
				add(l, " [token not decodable]");
			add(l, "  header %u bytes", h->header_bytes);
		}
		break;
	case KF_MSG_HTTP_RESPONSE:
		if (m->http) {
			const struct kf_http_rec *h = m->http;
			add(l, "%d", h->status);
			if (h->n_challenges) {
				add(l, "  %s: ", h->proxy ? "Proxy-Authenticate" : "WWW-Authenticate");
				for (unsigned i = 0; i < h->n_challenges; i++)
					add(l, "%s%s", i ? ", " : "", h->www_authenticate[i]);
			}
			if (h->token_bytes)
				add(l, " (%u-byte token)", h->token_bytes);
			if (h->persistent_auth)
				add(l, "  Persistent-Auth: %s", h->persistent_auth);
		}
		break;
	case KF_MSG_SMB_REQUEST:
	case KF_MSG_SMB_RESPONSE:
		if (m->smb)
			smb_facts(l, m);
		break;
	case KF_MSG_LDAP_REQUEST:
	case KF_MSG_LDAP_RESPONSE:
		if (m->ldap)
			ldap_facts(l, m);
		break;
	case KF_MSG_GSS_WRAP:
	case KF_MSG_GSS_MIC:
		if (m->gsswrap)
			gsswrap_facts(l, m->gsswrap);
		break;
	case KF_MSG_DCERPC_REQUEST:
	case KF_MSG_DCERPC_RESPONSE:
		if (m->dcerpc)
			dcerpc_facts(l, m);
		break;
	case KF_MSG_TDS_REQUEST:
	case KF_MSG_TDS_RESPONSE:
		if (m->tds)
			tds_facts(l, m);
		break;
	case KF_MSG_NTLM_NEGOTIATE:
	case KF_MSG_NTLM_CHALLENGE:
	case KF_MSG_NTLM_AUTHENTICATE:
		if (m->ntlm) {
			const struct kf_ntlm_rec *n = m->ntlm;
			if (m->type == KF_MSG_NTLM_AUTHENTICATE) {
				add(l, "%s%s%s", n->domain ? n->domain : "", n->domain ? "\\" : "",
				    n->anonymous ? "(anonymous)"
				    : n->user    ? n->user
						 : "?");
				if (n->workstation)
					add(l, " from %s", n->workstation);
				if (n->spn)
					add(l, " for %s", n->spn);
				if (n->damaged)
					add(l, ", malformed: a field points outside the message");
				else if (!n->anonymous)
					add(l, ", %s%s", n->ntlmv2 ? "NTLMv2" : "NTLMv1",
					    n->mic ? ", MIC" : "");
			} else if (m->type == KF_MSG_NTLM_CHALLENGE) {
				add(l, "target %s", n->target_name ? n->target_name : "?");
				if (n->dns_computer)
					add(l, " (server %s)", n->dns_computer);
			} else {
				if (n->domain || n->workstation)
					add(l, "%s %s", n->domain ? n->domain : "",
					    n->workstation ? n->workstation : "");
			}
		}
		break;
	case KF_MSG_DNS:
		if (m->dns) {
			const struct kf_dns_rec *d = m->dns;
			char tb[16];
			add(l, "%s %s?", d->query ? d->query : "?", kf_fmt_dns_type(d->qtype, tb, sizeof tb));
			for (unsigned i = 0; i < d->n_answers; i++)
				add(l, "%s %s %s", i ? "," : " →",
				    kf_fmt_dns_type(d->answers[i].type, tb, sizeof tb), d->answers[i].data);
			if (d->rcode)
				add(l, "  rcode %u", d->rcode);
		}
		break;
	default: break;
	}
	if (m->spnego) {
		const struct kf_spnego_rec *sp = m->spnego;
		add(l, "  [SPNEGO");
		for (unsigned i = 0; i < sp->n_mech_types; i++)
			add(l, "%s%s", i ? "," : " offers ", sp->mech_types[i]);
		if (sp->has_neg_state) {
			const char *ns = kf_neg_state_name(sp->neg_state);
			add(l, " %s", ns ? ns : "?");
		}
		if (sp->supported_mech)
			add(l, " (%s)", sp->supported_mech);
		add(l, "]");
	}
	if (m->kpasswd)
		kpasswd_facts(l, m);
	if (m->carrier == KF_CARRIER_KERBEROS || m->type <= KF_KRB_ERROR) {
		if (!k->complete && m->carrier != KF_CARRIER_DNS && !m->http && !m->ntlm)
			add(l, "  [partly decoded]");
	}
}

/* ---- --keytab ---------------------------------------------------------------
 * What the encrypted parts said, in a line or two under a message, and the
 * capture's account of keytabs and failures.  Names only: no key bytes. */

#define DEC_FAILURES_SHOWN 20

/* Start a new "; "-separated segment of l. */
static void seg(struct line *l)
{
	if (l->n)
		add(l, "; ");
}

static void gss_flags_text(struct line *l, uint32_t flags)
{
	bool any = false;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		const char *n = kf_fmt_gss_flag_name(bit);
		if (n)
			add(l, " %s", n);
		else
			add(l, " bit-%u", bit);
		any = true;
	}
	if (!any)
		add(l, " (no flags)");
}

static void ticket_flags_text(struct line *l, uint32_t flags)
{
	char b[512];
	kf_fmt_flags(flags, kf_krb5_ticket_flag_name, ", ", b, sizeof b);
	add(l, "%s", flags ? b : "no flags");
}

/* What an opened ticket says: client, flags, PAC user. */
static void dec_ticket_text(struct line *ok, const struct kf_dec_ticket *t, const char *label, bool client)
{
	if (client && (t->cname || t->crealm)) {
		seg(ok);
		add(ok, "client ");
		principal(ok, t->cname, t->crealm);
	}
	seg(ok);
	add(ok, "%s ", label);
	ticket_flags_text(ok, t->flags);
	if (t->other_principal)
		add(ok, " (opened with %s's key)", t->key.principal ? t->key.principal : "another principal");
	if (t->pac && (t->pac->logon_user || t->pac->logon_domain)) {
		seg(ok);
		add(ok, "PAC %s%s%s", t->pac->logon_domain ? t->pac->logon_domain : "",
		    t->pac->logon_domain ? "\\" : "", t->pac->logon_user ? t->pac->logon_user : "?");
	}
}

static void dec_bad(struct line *bad, const char *part, uint8_t status)
{
	add(bad, "%s%s %s", bad->n ? ", " : "", part, kf_open_status_name((enum kf_open_status)status));
}

/* One or two lines under message m: "decrypted: …" and "not decrypted: …". */
static void dec_facts(FILE *out, const struct kf_message *m)
{
	const struct kf_decrypted *d = m->dec;
	if (!d)
		return;
	struct line ok = { .n = 0 }, bad = { .n = 0 };
	char b[64];
	bool reply = m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP;
	const struct kf_dec_ticket *t = d->ticket;
	bool ticket_ok = t && t->status == KF_OPEN_OK;
	if (t && ticket_ok)
		dec_ticket_text(&ok, t, reply ? "issued ticket" : "ticket", !reply);
	else if (t)
		dec_bad(&bad, reply ? "issued ticket" : "ticket", t->status);
	const struct kf_dec_auth *a = d->auth;
	if (a && a->status == KF_OPEN_OK) {
		if (!(ticket_ok && (t->cname || t->crealm)) && (a->cname || a->crealm)) {
			seg(&ok);
			add(&ok, "client ");
			principal(&ok, a->cname, a->crealm);
		}
		if (a->gss) {
			seg(&ok);
			add(&ok, "GSS");
			gss_flags_text(&ok, a->gss_flags);
		}
		const struct kf_dec_cred *c = a->has_deleg ? a->cred : NULL;
		if (c && c->status == KF_OPEN_OK) {
			for (unsigned i = 0; c->info && i < c->n_info; i++) {
				const struct kf_dec_cred_info *x = &c->info[i];
				seg(&ok);
				add(&ok, "forwarded %s ",
				    x->sname && strncmp(x->sname, "krbtgt/", 7) == 0 ? "TGT" : "ticket");
				principal(&ok, x->sname, x->srealm);
				if (x->has_flags) {
					add(&ok, " (");
					ticket_flags_text(&ok, x->flags);
					add(&ok, ")");
				}
			}
			if (!c->n_info) {
				seg(&ok);
				add(&ok, "forwarded credentials (%u ticket%s, none described)", c->n_tickets,
				    c->n_tickets == 1 ? "" : "s");
			}
		} else if (c) {
			dec_bad(&bad, "forwarded credentials", c->status);
		}
	} else if (a && !(t && !ticket_ok && a->status == KF_OPEN_NO_KEY)) {
		/* a closed ticket already explains an authenticator without a key */
		dec_bad(&bad, "authenticator", a->status);
	}
	const struct kf_dec_rep *rp = d->rep;
	if (rp && rp->status == KF_OPEN_OK) {
		seg(&ok);
		add(&ok, "reply for ");
		principal(&ok, rp->sname, rp->srealm);
		add(&ok, ": ");
		ticket_flags_text(&ok, rp->flags);
		if (rp->endtime) {
			kf_fmt_time_s(rp->endtime, b, sizeof b);
			add(&ok, ", ends %s", b);
		}
		add(&ok, ", session key %s", kf_fmt_etype(rp->session_etype, b, sizeof b));
	} else if (rp) {
		dec_bad(&bad, "reply", rp->status);
	}
	const struct kf_dec_ap_rep *ar = d->ap_rep;
	if (ar && ar->status == KF_OPEN_OK) {
		seg(&ok);
		add(&ok, "AP-REP");
		if (ar->has_subkey)
			add(&ok, " subkey %s", kf_fmt_etype(ar->subkey_etype, b, sizeof b));
		if (ar->has_seq)
			add(&ok, " seq %u", ar->seq);
		if (!ar->has_subkey && !ar->has_seq)
			add(&ok, " opened");
	} else if (ar) {
		dec_bad(&bad, "AP-REP", ar->status);
	}
	for (unsigned i = 0; d->addl && i < d->n_addl; i++) {
		const struct kf_dec_ticket *x = &d->addl[i];
		if (x->status == KF_OPEN_OK) {
			seg(&ok);
			add(&ok, "additional ticket for ");
			principal(&ok, x->cname, x->crealm);
		} else {
			dec_bad(&bad, "additional ticket", x->status);
		}
	}
	if (d->fast && ok.n) {
		seg(&ok);
		add(&ok, "FAST-armoured");
	}
	if (ok.n)
		fprintf(out, "%10sdecrypted: %s\n", "", ok.b);
	if (bad.n)
		fprintf(out, "%10snot decrypted: %s (%ssee Decryption)\n", "", bad.b,
			d->fast && !ok.n ? "FAST-armoured; " : "");
}

/* The capture's account: keytabs, parts opened and not, the first failures. */
static void decryption(FILE *out, const struct kf_result *r)
{
	const struct kf_decryption *d = r->decryption;
	if (!d)
		return;
	fprintf(out, "\nDecryption: %llu encrypted part%s opened, %llu not", (unsigned long long)d->opened,
		d->opened == 1 ? "" : "s", (unsigned long long)d->failed);
	const char *sep = " (";
	for (int s = KF_OPEN_NO_KEY; s <= KF_OPEN_UNDECODABLE; s++) {
		if (!d->by_status[s])
			continue;
		fprintf(out, "%s%llu %s", sep, (unsigned long long)d->by_status[s],
			kf_open_status_name((enum kf_open_status)s));
		sep = ", ";
	}
	fprintf(out, "%s\n", *sep == ',' ? ")" : "");
	for (size_t i = 0; d->keytabs && i < d->n_keytabs; i++)
		fprintf(out, "  keytab %s: %u key%s%s\n", d->keytabs[i].file ? d->keytabs[i].file : "?",
			d->keytabs[i].keys, d->keytabs[i].keys == 1 ? "" : "s",
			d->keytabs[i].others_can_read ? " (readable by others!)" : "");
	size_t shown = d->n_failures < DEC_FAILURES_SHOWN ? d->n_failures : DEC_FAILURES_SHOWN;
	for (size_t i = 0; d->failures && i < shown; i++) {
		const struct kf_dec_failure *f = &d->failures[i];
		fprintf(out, "  frame %llu  %s: %s — %s\n", (unsigned long long)f->frame,
			f->part ? f->part : "?", kf_open_status_name((enum kf_open_status)f->status),
			f->reason ? f->reason : "");
	}
	unsigned long long more = (unsigned long long)(d->n_failures - shown) + d->failures_dropped;
	if (more)
		fprintf(out, "  … and %llu more\n", more);
}

static void when(char *buf, size_t len, uint64_t us, bool with_date)
{
	char full[40];
	kf_fmt_time_us(us, full, sizeof full);
	/* full is YYYY-MM-DDTHH:MM:SS.ffffffZ */
	if (with_date || strlen(full) < 27)
		snprintf(buf, len, "%s", full);
	else
		snprintf(buf, len, "%.15s", full + 11);
}

/* Who the client talks to in a row: "KDC 10.88.0.2:88/udp", "DNS 10.88.0.53",
 * "10.88.0.20:80 tcp.stream 3" (TCP: Wireshark's stream, to find it there). */
static void peer(struct line *l, const struct kf_ladder_row *row)
{
	char ep[64];
	kf_fmt_endpoint(row->peer, ep, sizeof ep);
	bool tcp = row->msg->transport == KF_TRANSPORT_TCP;
	switch (row->peer_role) {
	case KF_LANE_KDC: add(l, "KDC %s/%s", ep, tcp ? "tcp" : "udp"); break;
	case KF_LANE_DNS: add(l, "DNS %s", ep); break;
	default: add(l, "%s%s", ep, tcp ? "" : "/udp");
	}
	if (tcp)
		add(l, " tcp.stream %u", row->msg->tcp_stream);
}

/* A folded run of plain exchanges: one line, not dozens. */
static void folded_run(FILE *out, const struct kf_ladder_row *row)
{
	fprintf(out,
		"%8llu  … %llu  %zu request%s on connection %u (tcp.stream %u) without credentials, answered ",
		(unsigned long long)row->first, (unsigned long long)row->last, row->count,
		row->count == 1 ? "" : "s", row->connection, row->msg->tcp_stream);
	if (row->status > 0)
		fprintf(out, "%d", row->status);
	else
		fprintf(out, "with several statuses");
	fprintf(out, " (the connection stays authenticated)\n");
}

/* How a merge's message lines name a file: its base name, or the name as
 * given when two files share a base name. */
static const char *file_label(const struct kf_result *r, size_t i)
{
	const char *name = r->files[i].name, *base = strrchr(name, '/');
	base = base && base[1] ? base + 1 : name;
	for (size_t j = 0; j < r->n_files; j++) {
		const char *o = strrchr(r->files[j].name, '/');
		o = o && o[1] ? o + 1 : r->files[j].name;
		if (j != i && strcmp(o, base) == 0)
			return name;
	}
	return base;
}

/* Several files: the header line, then a line per file. */
static void files_header(FILE *out, const struct kf_result *r)
{
	bool merge = r->multi == KF_MULTI_MERGE;
	fprintf(out, "%zu captures %s: %s, %s, %llu packets", r->n_files,
		merge ? "merged by time (--merge)" : "one after another (--continuous)",
		r->format ? r->format : "pcap", r->linktype ? r->linktype : "?",
		(unsigned long long)r->packets);
	if (merge)
		fprintf(out, " (%llu seen at two points counted once)",
			(unsigned long long)r->merged_duplicates);
	if (r->have_ts) {
		char first[40], last[40];
		kf_fmt_time_us(r->first_ts_us, first, sizeof first);
		kf_fmt_time_us(r->last_ts_us, last, sizeof last);
		fprintf(out, ", %s to %s", first, last);
	}
	fputc('\n', out);
	for (size_t i = 0; i < r->n_files; i++) {
		const struct kf_capture_file *f = &r->files[i];
		const char *label = merge ? file_label(r, i) : f->name;
		if (strcmp(label, f->name) != 0)
			fprintf(out, "  %s = %s", label, f->name);
		else
			fprintf(out, "  %s", f->name);
		if (!f->format) {
			fprintf(out, ": cannot be read: %s\n", f->error ? f->error : "?");
			continue;
		}
		fprintf(out, ": %s, %s, %llu packet%s", f->format, f->linktype ? f->linktype : "?",
			(unsigned long long)f->packets, f->packets == 1 ? "" : "s");
		if (merge && f->duplicates)
			fprintf(out, ", %llu of them cop%s of another file's",
				(unsigned long long)f->duplicates, f->duplicates == 1 ? "y" : "ies");
		if (!merge && f->first_frame)
			fprintf(out, ", frames %llu-%llu", (unsigned long long)f->first_frame,
				(unsigned long long)(f->first_frame + f->packets - 1));
		if (f->error)
			fprintf(out, "; ends early: %s", f->error);
		fputc('\n', out);
	}
}

/* One message's line and what its encrypted parts said. */
static void message_row(FILE *out, const struct kf_result *r, const struct kf_ladder *lad,
			const struct kf_ladder_row *row, int file_width, bool one_day)
{
	const struct kf_message *m = row->msg;
	char t[40], tb[24];
	when(t, sizeof t, m->ts_us, !one_day);
	struct line l = { .n = 0 };
	add(&l, "%8llu  ", (unsigned long long)m->frame);
	if (r->multi == KF_MULTI_MERGE && m->file_frame && m->file < r->n_files) {
		char ff[320];
		snprintf(ff, sizeof ff, "%s:%llu", file_label(r, m->file), (unsigned long long)m->file_frame);
		add(&l, "%-*s  ", file_width, ff);
	}
	add(&l, "%s  ", t);
	uint32_t client = kf_ladder_client_lane(row);
	if (client != 0) {
		char by[64];
		kf_fmt_addr(&lad->lanes[client].addr, by, sizeof by);
		add(&l, "[%s for this user] ", by);
	}
	add(&l, "%s ", row->by_client ? "→" : "←");
	peer(&l, row);
	add(&l, "  %s ", kf_fmt_type(m->type, tb, sizeof tb));
	if (m->krb_record_over_cap)
		add(&l, "record of %u bytes, over krbflow's cap of %u bytes: not decoded",
		    m->krb_record_over_cap, KF_LIMIT_KRB_RECORD);
	else
		describe(&l, m);
	if (m->ip_fragments > 1)
		add(&l, "  [%u IP fragments]", m->ip_fragments);
	const struct kf_message *asked = kf_msg_request(r, m);
	if (asked)
		add(&l, "  (reply to %llu)", (unsigned long long)asked->frame);
	fprintf(out, "%s\n", l.b);
	dec_facts(out, m);
}

/* One SMB session: to where, by what, as whom, how it ended.  back_end:
 * opened by another host (the front end of a double hop), named too. */
static const char *session_kind(const struct kf_session *s)
{
	if (s->carrier == KF_CARRIER_LDAP)
		return "LDAP bind";
	if (s->carrier == KF_CARRIER_TDS)
		return "SQL login";
	if (s->carrier == KF_CARRIER_DCERPC)
		return "DCE/RPC bind";
	return s->carrier == KF_CARRIER_SMB ? "SMB1 session" : "SMB2 session";
}

/* How a DCE/RPC binding phase was refused. */
static void rpc_refusal(FILE *out, const struct kf_session *s)
{
	const char *kind = s->rpc_status_kind ? s->rpc_status_kind : "";
	const char *n = !strcmp(kind, "bind_nak")  ? kf_dcerpc_reject_name(s->rpc_status)
			: !strcmp(kind, "context") ? (s->rpc_status == 1   ? "user_rejection"
						      : s->rpc_status == 2 ? "provider_rejection"
									   : NULL)
						   : kf_dcerpc_status_name(s->rpc_status);
	const char *what = !strcmp(kind, "bind_nak")      ? "bind_nak"
			   : !strcmp(kind, "context")     ? "context rejected"
			   : !strcmp(kind, "auth3_fault") ? "fault on the first call after AUTH3"
							  : "fault";
	if (n)
		fprintf(out, " (%s: %s)", what, n);
	else
		fprintf(out, " (%s: 0x%08x)", what, s->rpc_status);
}

/* An LDAP bind's last answer, when it was not success; a SQL login's ERROR;
 * a DCE/RPC bind's refusal. */
static void ldap_result(FILE *out, const struct kf_session *s)
{
	if (s->has_rpc_status)
		rpc_refusal(out, s);
	if (s->has_sql_error)
		fprintf(out, " (error %u state %u)", s->sql_error, s->sql_state);
	if (!s->has_result || !s->result_code)
		return;
	char code[32];
	fprintf(out, " (%s", ldap_code(s->result_code, code, sizeof code));
	if (s->ad_data_code) {
		const char *d = kf_ldap_ad_data_name(s->ad_data_code);
		fprintf(out, ", data %x%s%s", s->ad_data_code, d ? ": " : "", d ? d : "");
	}
	fputc(')', out);
}

static void session_line(FILE *out, const char *label, const struct kf_session *s, bool back_end)
{
	char ep[64], from[64];
	kf_fmt_endpoint(&s->server, ep, sizeof ep);
	fprintf(out, "  %s: ", label);
	if (back_end) {
		kf_fmt_addr(&s->client, from, sizeof from);
		fprintf(out, "%s → ", from);
	}
	fprintf(out, "%s", session_kind(s));
	if (s->session_id)
		fprintf(out, " 0x%llx", (unsigned long long)s->session_id);
	fprintf(out, " on connection %u (tcp.stream %u) to %s", s->connection, s->tcp_stream, ep);
	if (s->target || s->pipe)
		fprintf(out, " (%s%s%s%s)", s->target ? s->target : "", s->target && s->pipe ? ", " : "",
			s->pipe ? "pipe " : "", s->pipe ? s->pipe : "");
	fprintf(out, ": %s", s->mech);
	if (s->ticket)
		fprintf(out, " with a ticket for %s", s->ticket);
	if (s->as)
		fprintf(out, " as %s", s->as);
	fprintf(out, ", %s", s->outcome);
	const char *n = s->has_status ? kf_ntstatus_name(s->status) : NULL;
	if (s->has_status && s->status && n)
		fprintf(out, " (%s)", n);
	else if (s->has_status && s->status)
		fprintf(out, " (status 0x%08x)", s->status);
	ldap_result(out, s);
	if (s->krb_error) {
		char b[64];
		fprintf(out, " [%s inside]", kf_fmt_error(s->krb_error, b, sizeof b));
	}
	fputc('\n', out);
}

/* Sessions that differ only in who they tried (a password spray, a scanner,
 * a client retrying) fold into one line. */
static bool session_alike(const struct kf_session *a, const struct kf_session *b)
{
	return a->carrier == b->carrier && kf_endpoint_same_addr(&a->server, &b->server) &&
	       a->server.port == b->server.port && !strcmp(a->mech, b->mech) &&
	       !strcmp(a->outcome, b->outcome) && a->has_status == b->has_status && a->status == b->status &&
	       a->result_code == b->result_code && a->ad_data_code == b->ad_data_code &&
	       a->sql_error == b->sql_error && a->sql_state == b->sql_state && a->krb_error == b->krb_error &&
	       a->has_rpc_status == b->has_rpc_status && a->rpc_status == b->rpc_status;
}

static size_t session_run(const struct kf_session *const *s, size_t n)
{
	size_t k = 1;
	while (k < n && session_alike(s[0], s[k]))
		k++;
	return k;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *session_label(const struct kf_session *s)
{
	if (s->carrier == KF_CARRIER_TDS)
		return "tds";
	if (s->carrier == KF_CARRIER_DCERPC)
		return "rpc";
	return s->carrier == KF_CARRIER_LDAP ? "ldap" : "smb";
}

static void session_run_line(FILE *out, const struct kf_session *const *s, size_t n)
{
	char ep[64];
	kf_fmt_endpoint(&s[0]->server, ep, sizeof ep);
	const char **who = malloc(n * sizeof(*who));
	size_t n_who = 0, distinct = 0;
	for (size_t i = 0; who && i < n; i++)
		if (s[i]->as)
			who[n_who++] = s[i]->as;
	if (who && n_who) {
		qsort(who, n_who, sizeof(*who), cmp_str_ptr);
		distinct = 1;
		for (size_t i = 1; i < n_who; i++)
			distinct += strcmp(who[i - 1], who[i]) != 0;
	}
	fprintf(out, "  %s: %zu %ss to %s (frames %llu to %llu): %s", session_label(s[0]), n,
		session_kind(s[0]), ep, (unsigned long long)s[0]->first_frame,
		(unsigned long long)s[n - 1]->first_frame, s[0]->mech);
	if (distinct == 1)
		fprintf(out, " as %s", who[0]);
	else if (distinct > 1)
		fprintf(out, " as %zu different names (%s, …)", distinct, s[0]->as ? s[0]->as : who[0]);
	fprintf(out, ", %s", s[0]->outcome);
	const char *name = s[0]->has_status ? kf_ntstatus_name(s[0]->status) : NULL;
	if (s[0]->has_status && s[0]->status && name)
		fprintf(out, " (%s)", name);
	else if (s[0]->has_status && s[0]->status)
		fprintf(out, " (status 0x%08x)", s[0]->status);
	ldap_result(out, s[0]);
	fputc('\n', out);
	free(who);
}

static void story(FILE *out, const struct kf_result *r, const struct kf_story *st,
		  const struct kf_ladder *lad, size_t no, bool one_day)
{
	char addr[64], b[64];
	int file_width = 0; /* a merge: the FILE:FRAME column */
	for (size_t i = 0; r->multi == KF_MULTI_MERGE && i < r->n_files; i++) {
		int w = snprintf(NULL, 0, "%s:%llu", file_label(r, i),
				 (unsigned long long)r->files[i].packets);
		file_width = w > file_width ? w : file_width;
	}
	kf_fmt_addr(&st->client, addr, sizeof addr);
	fprintf(out, "\nStory %zu: client %s", no, addr);
	if (st->user)
		fprintf(out, ", user %s", st->user);
	if (st->kdc)
		fprintf(out, ", KDC %s", st->kdc);
	fputc('\n', out);
	for (size_t i = 0; i < lad->n_rows; i++) {
		if (lad->rows[i].kind == KF_ROW_FOLDED)
			folded_run(out, &lad->rows[i]);
		else
			message_row(out, r, lad, &lad->rows[i], file_width, one_day);
	}
	for (size_t i = 0; i < st->n_tls; i++) {
		char ep[64];
		kf_fmt_endpoint(&st->tls[i].server, ep, sizeof ep);
		fprintf(out, "%8llu  HTTPS to %s%s%s (TLS: the HTTP exchange is encrypted)\n",
			(unsigned long long)st->tls[i].frame, ep, st->tls[i].sni ? ", server name " : "",
			st->tls[i].sni ? st->tls[i].sni : "");
	}
	if (st->n_services) {
		fprintf(out, "  service tickets:");
		for (size_t i = 0; i < st->n_services; i++) {
			const struct kf_story_service *s = &st->services[i];
			fprintf(out, "%s %s%s%s %s", i ? ";" : "", s->sname, s->realm ? "@" : "",
				s->realm ? s->realm : "", s->outcome);
			if (s->error_code)
				fprintf(out, " (%s)", kf_fmt_error(s->error_code, b, sizeof b));
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < st->n_http; i++) {
		const struct kf_story_http *h = &st->http[i];
		char ep[64];
		kf_fmt_endpoint(&h->server, ep, sizeof ep);
		fprintf(out, "  http: connection %u (tcp.stream %u) to %s%s%s%s: %s", h->connection,
			h->tcp_stream, ep, h->host ? " (Host " : "", h->host ? h->host : "",
			h->host ? ")" : "", h->mech);
		if (h->ticket)
			fprintf(out, " with a ticket for %s", h->ticket);
		fprintf(out, ", %s", h->outcome);
		if (h->final_status)
			fprintf(out, " (last status %d)", h->final_status);
		fprintf(out, ", %u request%s, %u AP-REQ%s\n", h->requests, h->requests == 1 ? "" : "s",
			h->ap_reqs, h->ap_reqs == 1 ? "" : "s");
	}
	for (size_t i = 0, run; i < st->n_sessions; i += run) {
		run = session_run(st->sessions + i, st->n_sessions - i);
		if (run >= 3)
			session_run_line(out, st->sessions + i, run);
		else
			session_line(out, session_label(st->sessions[i]), st->sessions[i], false), run = 1;
	}
	for (size_t i = 0; i < st->n_backend; i++)
		session_line(out, "back end", st->backend[i], true);
	for (size_t i = 0; i < st->n_delegation; i++) {
		const struct kf_story_delegation *d = &st->delegation[i];
		char by[64];
		kf_fmt_addr(&d->by, by, sizeof by);
		fprintf(out, "  delegation: %s by %s for %s%s%s: %s", d->kind, by, d->sname,
			d->realm ? "@" : "", d->realm ? d->realm : "", d->outcome);
		if (d->error_code)
			fprintf(out, " (%s)", kf_fmt_error(d->error_code, b, sizeof b));
		fputc('\n', out);
	}
}

/* Print text with a hanging indent, wrapped near 100 columns. */
static void wrapped(FILE *out, const char *label, const char *text)
{
	const int width = 100, indent = 11;
	fprintf(out, "%*s%-6s ", indent - 7, "", label);
	int col = indent;
	const char *p = text;
	while (*p) {
		const char *w = p;
		while (*w && *w != ' ')
			w++;
		int len = (int)(w - p);
		if (col > indent && col + 1 + len > width) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, (size_t)len, out);
		col += len;
		p = *w ? w + 1 : w;
	}
	fputc('\n', out);
}

/* "client 600 s behind kdc (offset_s -600)": which clocks a clock finding
 * compares, and by how much when the capture measures it. */
static const char *clock_line(const struct kf_finding *f)
{
	static char b[160];
	if (!f->has_offset)
		snprintf(b, sizeof b, "%s vs %s, offset not measurable from the capture", f->clocks[0],
			 f->clocks[1]);
	else
		snprintf(b, sizeof b, "%s %lld s %s %s (offset_s %lld)", f->clocks[0],
			 (long long)(f->offset_s < 0 ? -f->offset_s : f->offset_s),
			 f->offset_s < 0 ? "behind" : "ahead of", f->clocks[1], (long long)f->offset_s);
	return b;
}

static void findings(FILE *out, const struct kf_result *r)
{
	size_t by[4] = { 0 };
	for (size_t i = 0; i < r->n_findings; i++)
		by[r->findings[i].severity & 3]++;
	if (!r->n_findings) {
		fprintf(out, "\nFindings: none\n");
		return;
	}
	fprintf(out, "\nFindings: %zu error%s, %zu warning%s, %zu info\n", by[KF_SEV_ERROR],
		by[KF_SEV_ERROR] == 1 ? "" : "s", by[KF_SEV_WARNING], by[KF_SEV_WARNING] == 1 ? "" : "s",
		by[KF_SEV_INFO]);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct kf_finding *f = &r->findings[i];
		char sev[16];
		size_t k = 0;
		for (const char *s = kf_severity_name(f->severity); *s && k < sizeof sev - 1; s++)
			sev[k++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
		sev[k] = 0;
		fprintf(out, "\n  %-7s %s%s: %s\n", sev, f->rule,
			f->confidence == KF_CONF_LIKELY ? " (likely)" : "", f->summary);
		struct line l = { .n = 0 };
		for (size_t j = 0; j < f->n_frames; j++)
			add(&l, "%s%llu", j ? ", " : "", (unsigned long long)f->frames[j]);
		wrapped(out, "frames", l.b);
		if (f->clocks[0])
			wrapped(out, "clocks", clock_line(f));
		wrapped(out, "why", f->explanation);
		if (f->remediation)
			wrapped(out, "fix", f->remediation);
	}
}

/* No message found while packets went undecoded: say so under the count, not
 * only among the warnings at the end (issue 17: never a silent 0). */
static void undecoded_note(FILE *out, const struct kf_result *r)
{
	static const enum kf_event why[] = { KF_EV_UNSUPPORTED_LINKTYPE, KF_EV_ENCAP_UNDECODED,
					     KF_EV_ENCAP_TOO_DEEP, KF_EV_MPLS_TOO_MANY_LABELS };
	if (r->n_messages)
		return;
	for (size_t i = 0; i < r->n_warnings; i++)
		for (size_t k = 0; k < sizeof why / sizeof why[0]; k++)
			if (strcmp(r->warnings[i].code, kf_event_code(why[k])) == 0)
				fprintf(out, "  but: %s\n", r->warnings[i].message);
}

int kf_report_text(const struct kf_result *r, FILE *out)
{
	char first[40], last[40];
	kf_fmt_time_us(r->first_ts_us, first, sizeof first);
	kf_fmt_time_us(r->last_ts_us, last, sizeof last);
	bool one_day = r->have_ts && strncmp(first, last, 10) == 0;

	if (r->files) {
		files_header(out, r);
	} else {
		fprintf(out, "%s: %s, %s, %llu packets", r->file, r->format ? r->format : "pcap",
			r->linktype ? r->linktype : "?", (unsigned long long)r->packets);
		if (r->have_ts)
			fprintf(out, ", %s to %s", first, last);
		fputc('\n', out);
	}
	if (r->filtered_out)
		fprintf(out, "  %llu packets left out by the filter\n", (unsigned long long)r->filtered_out);

	findings(out, r);
	decryption(out, r);

	size_t counts[128] = { 0 };
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].type >= 0 && r->messages[i].type < 128)
			counts[r->messages[i].type]++;
	fprintf(out, "\nAuthentication messages: %zu", r->n_messages);
	if (r->n_messages) {
		char b[24];
		const char *sep = " (";
		for (int t = 0; t < 128; t++) {
			if (!counts[t])
				continue;
			fprintf(out, "%s%zu %s", sep, counts[t], kf_fmt_type(t, b, sizeof b));
			sep = ", ";
		}
		fputc(')', out);
	}
	fprintf(out, "; %zu %s\n", r->n_stories, r->n_stories == 1 ? "story" : "stories");
	undecoded_note(out, r);

	struct kf_ladder lad;
	kf_ladder_init(&lad);
	for (size_t i = 0; i < r->n_stories; i++) {
		if (kf_ladder_build(&lad, r, &r->stories[i]) != KF_OK) {
			kf_ladder_free(&lad);
			errno = ENOMEM;
			return -1;
		}
		story(out, r, &r->stories[i], &lad, i + 1, one_day);
	}
	kf_ladder_free(&lad);
	if (r->n_tevents) {
		fprintf(out, "\nUnanswered or refused:\n");
		for (size_t i = 0; i < r->n_tevents; i++) {
			const struct kf_tevent *e = &r->tevents[i];
			char src[64], dst[64];
			kf_fmt_endpoint(&e->src, src, sizeof src);
			kf_fmt_endpoint(&e->dst, dst, sizeof dst);
			const char *proto = e->transport == KF_TRANSPORT_TCP ? "tcp" : "udp";
			fprintf(out, "%8llu  ", (unsigned long long)e->frame);
			switch (e->kind) {
			case KF_TEV_UDP_NO_REPLY:
			case KF_TEV_TCP_NO_REPLY:
				fprintf(out, "request %s → %s over %s", src, dst, proto);
				if (e->has_tcp_stream)
					fprintf(out, " (tcp.stream %u)", e->tcp_stream);
				fprintf(out, " got no reply in the capture\n");
				break;
			case KF_TEV_TCP_NO_ANSWER:
				fprintf(out, "connection %s → %s (tcp.stream %u) never answered (%u SYN%s)\n",
					src, dst, e->tcp_stream, e->count, e->count == 1 ? "" : "s");
				break;
			case KF_TEV_TCP_RESET:
				fprintf(out,
					"connection %s → %s (tcp.stream %u) reset by the KDC before any reply\n",
					src, dst, e->tcp_stream);
				break;
			case KF_TEV_ICMP_UNREACHABLE:
				fprintf(out,
					"ICMP destination unreachable (type %u code %u) for %s → %s %s\n",
					e->icmp_type, e->icmp_code, src, dst, proto);
				break;
			case KF_TEV_FRAG_INCOMPLETE:
				if (e->from_kdc)
					fprintf(out,
						"IP-fragmented %s reply %s → %s never completed (%u fragment%s seen)\n",
						proto, dst, src, e->count, e->count == 1 ? "" : "s");
				else
					fprintf(out,
						"IP-fragmented %s request %s → %s never completed (%u fragment%s seen)\n",
						proto, src, dst, e->count, e->count == 1 ? "" : "s");
				break;
			default: fprintf(out, "%s %s → %s\n", kf_tevent_kind_name(e->kind), src, dst);
			}
		}
	}

	if (r->n_warnings) {
		fprintf(out, "\nWarnings:\n");
		for (size_t i = 0; i < r->n_warnings; i++) {
			const struct kf_warning *w = &r->warnings[i];
			if (w->frame)
				fprintf(out, "  frame %llu: %s [%s]\n", (unsigned long long)w->frame,
					w->message, w->code);
			else
				fprintf(out, "  %s [%s]\n", w->message, w->code);
		}
	}
	return ferror(out) ? -1 : 0;
}
