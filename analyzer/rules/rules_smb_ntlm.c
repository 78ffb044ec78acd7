/* rules_smb_ntlm.c - ntlm-fallback's SMB half: a client that logged on to a
 * file server with NTLM although the server offered Kerberos (the SPNEGO
 * mechanism list of its NEGOTIATE response), and why Kerberos was not used
 * (MS-SMB2 §3.3.5.4, MS-SPNG).  Anonymous NTLM and null sessions are not a
 * fallback: no user's credentials were at stake.  Called by rules_http_ntlm.c's
 * kf_rule_ntlm_fallback; the causes are KF_NTLM_SMB_CAUSES (rules_common.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "smb.h"

#define KDC_ERR_S_PRINCIPAL_UNKNOWN 7
#define SMB_NAMES 8 /* server names a finding tells apart */

/* Why Kerberos was not used, in the order they are judged (docs/rules.md). */
enum smb_ntlm_cause {
	SN_SPN_UNKNOWN,       /* the TGS-REQ for cifs/<name> got KDC_ERR_S_PRINCIPAL_UNKNOWN */
	SN_KDC_ERROR,         /* ... another KDC error */
	SN_LOCAL_ACCOUNT,     /* the user is a local account (of the server, or of the client) */
	SN_TICKET_NOT_USED,   /* the client got that ticket and still sent NTLM */
	SN_IP_ADDRESS,        /* the share paths name the server by its address */
	SN_APP_CHOSE,         /* Kerberos worked with this server earlier */
	SN_NO_SERVER_NAME,    /* no name for the server in the capture */
	SN_NO_KDC_TRAFFIC,    /* a name, and nothing from the client to a KDC */
	SN_NO_TICKET_REQUEST, /* a name, KDC traffic, no request for cifs/<name> */
};
static const char *const smb_ntlm_causes[] = { KF_NTLM_SMB_CAUSES, NULL };

/* What the capture shows of one client's NTLM logons to one server address. */
struct smb_ntlm_facts {
	struct kf_endpoint client, server;  /* client: address; server: of the first NTLM logon */
	const struct kf_message *offer;     /* a NEGOTIATE response offering Kerberos */
	bool negotiated;                    /* a NEGOTIATE response to the client is in the capture */
	const struct kf_message *first;     /* the first NTLM-AUTHENTICATE with a user */
	uint64_t last_ntlm;                 /* the last one's frame */
	const char *user;                   /* DOMAIN\user of the first */
	const struct kf_message *outcome;   /* the SESSION_SETUP response to the last one */
	const char *names[SMB_NAMES];       /* server names of the share paths (not addresses) */
	size_t n_names;                     /* ... */
	const char *address;                /* a share path's server that is an address */
	const char *address_share;          /* ... that path */
	const char *shares[SMB_NAMES];      /* the share paths */
	size_t n_shares;                    /* ... */
	const char *own_names[2];           /* the server's own names (its NTLM CHALLENGE) */
	const char *local;                  /* the user is a local account: whose (local_account) */
	uint32_t ntlm_conns[SMB_NAMES];     /* the connections that carried a user's NTLM logon */
	size_t n_ntlm_conns;                /* ... */
	const struct kf_message *kerberos;  /* an AP-REQ of the client this server accepted */
	bool any_kdc;                       /* the client sent something to a KDC */
	const struct kf_message *tgs, *rep; /* the TGS exchange for cifs/<a name> that tells most */
	struct kf_evidence e;
};

static void add_name(const char **v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (kf_host_eq(v[i], s))
			return;
	if (*n < SMB_NAMES)
		v[(*n)++] = s;
}

/* The first label of a host name ("fs1" of "fs1.lab.test"), its length. */
static size_t first_label(const char *h)
{
	const char *dot = strchr(h, '.');
	return dot ? (size_t)(dot - h) : strlen(h);
}

/* Is sname cifs/<h> for a name h the client used, or a name the server
 * gives itself?  A short name matches the first label of a full one. */
static bool cifs_for(const struct smb_ntlm_facts *f, const char *sname)
{
	if (!sname || strncasecmp(sname, "cifs/", 5) != 0)
		return false;
	const char *h = sname + 5;
	const char *cand[SMB_NAMES + 3];
	size_t n = 0;
	for (size_t i = 0; i < f->n_names; i++)
		cand[n++] = f->names[i];
	if (f->address)
		cand[n++] = f->address;
	if (!n) { /* the client's names unknown: the server's own */
		cand[n++] = f->own_names[0];
		cand[n++] = f->own_names[1];
	}
	for (size_t i = 0; i < n; i++) {
		const char *c = cand[i];
		if (!c)
			continue;
		if (kf_host_eq(h, c))
			return true;
		size_t lh = first_label(h), lc = first_label(c);
		bool short_one = !strchr(h, '.') || !strchr(c, '.');
		if (short_one && lh == lc && strncasecmp(h, c, lh) == 0 && !kf_rule_name_is_address(c))
			return true;
	}
	return false;
}

/* The SESSION_SETUP request a token rode in, and that request's response. */
static const struct kf_message *setup_response(const struct kf_result *r, const struct kf_message *tok)
{
	const struct kf_message *q = kf_rule_smb_at(r, tok->frame, KF_MSG_SMB_REQUEST, tok->connection);
	const struct kf_message *p = q ? kf_msg_reply(r, q) : NULL;
	return p && p->type == KF_MSG_SMB_RESPONSE ? p : NULL;
}

/* An NTLM-AUTHENTICATE that speaks for a user: not anonymous, with a user
 * name, and not answered by a null session. */
static bool user_logon(const struct kf_result *r, const struct kf_message *m)
{
	if (m->type != KF_MSG_NTLM_AUTHENTICATE || !kf_rule_is_smb(m) || !m->ntlm || m->ntlm->anonymous ||
	    !m->ntlm->user || !*m->ntlm->user)
		return false;
	const struct kf_message *p = setup_response(r, m);
	return !(p && p->smb->has_status && p->smb->status == 0 &&
		 (p->smb->session_flags & KF_SMB_SESSION_NULL));
}

/* Did connection conn carry a user's NTLM logon? */
static bool ntlm_conn(const struct smb_ntlm_facts *f, uint32_t conn)
{
	for (size_t i = 0; i < f->n_ntlm_conns; i++)
		if (f->ntlm_conns[i] == conn)
			return true;
	return false;
}

/* One SMB message between the client and the server: what it adds. */
static void smb_ntlm_msg(struct kf_rule_ctx *ctx, const struct kf_message *m, struct smb_ntlm_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	bool from_server = kf_endpoint_same_addr(&m->src, &f->server);
	if (from_server && kf_rule_smb_cmd(m, KF_MSG_SMB_RESPONSE, KF_SMB2_NEGOTIATE)) {
		f->negotiated = true;
		/* the offer on the first logon's connection, else the first one */
		if (kf_rule_offers_kerberos(m->spnego) &&
		    (!f->offer ||
		     (f->offer->connection != f->first->connection && m->connection == f->first->connection)))
			f->offer = m;
	}
	if (from_server && m->type == KF_MSG_NTLM_CHALLENGE && m->ntlm) {
		f->own_names[0] = kf_rule_first_of(f->own_names[0], m->ntlm->dns_computer);
		f->own_names[1] = kf_rule_first_of(f->own_names[1], m->ntlm->nb_computer);
	}
	if (!from_server && kf_rule_smb_cmd(m, KF_MSG_SMB_REQUEST, KF_SMB2_TREE_CONNECT) && m->smb->tree &&
	    ntlm_conn(f, m->connection)) {
		char srv[KF_LIMIT_SMB_PATH];
		if (kf_rule_unc_server(m->smb->tree, srv, sizeof srv)) {
			const char *name = kf_rule_fmt(ctx, "%s", srv);
			if (name && kf_rule_name_is_address(name) && !f->address) {
				f->address = name;
				f->address_share = m->smb->tree;
			} else if (name && !kf_rule_name_is_address(name))
				add_name(f->names, &f->n_names, name);
			add_name(f->shares, &f->n_shares, m->smb->tree);
			if (f->e.n < KF_LIMIT_EVIDENCE_FRAMES / 2)
				kf_evidence_add(&f->e, m->frame);
		}
	}
	if (!from_server && m->type == KF_KRB_AP_REQ && kf_rule_is_smb(m) && !f->kerberos) {
		const struct kf_message *rep = kf_msg_reply(r, m), *p = setup_response(r, m);
		if ((rep && rep->type == KF_KRB_AP_REP) || (p && kf_rule_smb_session_ok(p)))
			f->kerberos = m;
	}
	if (!from_server && user_logon(r, m)) {
		f->last_ntlm = m->frame;
		f->outcome = setup_response(r, m);
		kf_evidence_add(&f->e, m->frame);
		kf_evidence_add_msg(&f->e, f->outcome);
	}
}

/* What the client asked the KDC for a name of this server, up to its last
 * NTLM logon (a refused request tells more than a granted one), and whether
 * it talked to a KDC at all. */
static void smb_ntlm_kdc(const struct kf_result *r, struct smb_ntlm_facts *f)
{
	struct kf_at_addr at = kf_result_at_addr(r, &f->client, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier != KF_CARRIER_KERBEROS || !kf_endpoint_same_addr(&m->src, &f->client))
			continue;
		f->any_kdc = true;
		if (m->frame > f->last_ntlm || m->type != KF_KRB_TGS_REQ || !cifs_for(f, m->krb.sname))
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (!f->tgs || !f->rep || f->rep->type != KF_KRB_ERROR ||
		    (rep && rep->type == KF_KRB_ERROR)) {
			f->tgs = m;
			f->rep = rep;
		}
		kf_evidence_add(&f->e, m->frame);
		kf_evidence_add_msg(&f->e, rep);
	}
}

/* Whose local account the NTLM user is, in words; NULL for a domain
 * account.  Its domain is "." (the machine connected to), the server's own
 * computer name (its CHALLENGE's NetBIOS name, or the first label of its
 * DNS name), or the client's (the AUTHENTICATE's workstation). */
static const char *local_account(struct kf_rule_ctx *ctx, const struct smb_ntlm_facts *f)
{
	const char *d = f->first->ntlm->domain, *dns = f->own_names[0];
	if (!d || !*d)
		return NULL;
	if (strcmp(d, ".") == 0)
		return "\".\", the machine it connects to: an account of the server";
	if (kf_name_eq_nocase(d, f->own_names[1]) ||
	    (dns && first_label(dns) == strlen(d) && strncasecmp(dns, d, strlen(d)) == 0))
		return kf_rule_fmt(ctx, "the server's own computer name: an account of the server");
	if (kf_name_eq_nocase(d, f->first->ntlm->workstation))
		return kf_rule_fmt(ctx, "the client's own computer name: an account of the client machine, "
					"which gets no Kerberos ticket");
	return NULL;
}

/* The facts of the client's NTLM logons to first's server; false when the
 * server did not offer Kerberos (then NTLM was all there was). */
static bool smb_ntlm_gather(struct kf_rule_ctx *ctx, const struct kf_message *first, struct smb_ntlm_facts *f)
{
	const struct kf_result *r = kf_rule_result(ctx);
	memset(f, 0, sizeof *f);
	f->first = first;
	f->client = first->src;
	f->client.port = 0;
	f->server = first->dst;
	/* the connections of the NTLM logons first: their share paths say how
	 * the client named the server */
	struct kf_at_addr at = kf_result_at_addr(r, &f->client, 0);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < at.n; i++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
			if (!kf_rule_is_smb(m) ||
			    !kf_endpoint_same_addr(KF_AT_ADDR_IS_DST(at.v[i]) ? &m->src : &m->dst,
						   &f->server))
				continue;
			if (pass == 1)
				smb_ntlm_msg(ctx, m, f);
			else if (user_logon(r, m) && !ntlm_conn(f, m->connection) &&
				 f->n_ntlm_conns < SMB_NAMES)
				f->ntlm_conns[f->n_ntlm_conns++] = m->connection;
		}
	if (!f->negotiated) { /* none to this client in the capture: the server's to another */
		struct kf_at_addr sv = kf_result_at_addr(r, &f->server, 0);
		for (size_t i = 0; i < sv.n && !f->offer; i++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, sv.v[i]);
			if (kf_endpoint_same_addr(&m->src, &f->server) &&
			    kf_rule_smb_cmd(m, KF_MSG_SMB_RESPONSE, KF_SMB2_NEGOTIATE) &&
			    kf_rule_offers_kerberos(m->spnego))
				f->offer = m;
		}
	}
	if (!f->offer)
		return false;
	kf_evidence_add(&f->e, f->offer->frame);
	if (first->ntlm->domain && *first->ntlm->domain)
		f->user = kf_rule_fmt(ctx, "%s\\%s", first->ntlm->domain, first->ntlm->user);
	else
		f->user = first->ntlm->user;
	f->local = local_account(ctx, f);
	smb_ntlm_kdc(r, f);
	if (f->kerberos)
		kf_evidence_add(&f->e, f->kerberos->frame);
	return true;
}

static struct kf_rule_verdict smb_ntlm_verdict(const struct smb_ntlm_facts *f)
{
	struct kf_rule_verdict v = { .sev = KF_SEV_WARNING };
	if (f->rep && f->rep->type == KF_KRB_ERROR)
		v.cause =
			f->rep->krb.error_code == KDC_ERR_S_PRINCIPAL_UNKNOWN ? SN_SPN_UNKNOWN : SN_KDC_ERROR;
	else if (f->local)
		v.cause = SN_LOCAL_ACCOUNT;
	else if (f->rep)
		v.cause = SN_TICKET_NOT_USED;
	else if (f->address && !f->n_names)
		v.cause = SN_IP_ADDRESS;
	else if (f->kerberos)
		v.cause = SN_APP_CHOSE;
	else if (!f->n_names)
		v.cause = SN_NO_SERVER_NAME;
	else if (!f->any_kdc)
		v.cause = SN_NO_KDC_TRAFFIC;
	else
		v.cause = SN_NO_TICKET_REQUEST;
	/* the first three are in the capture; the others rest on what is not */
	v.conf = v.cause <= SN_LOCAL_ACCOUNT ? KF_CONF_CERTAIN : KF_CONF_LIKELY;
	return v;
}

/* The SPN fix for a name the KDC does not know: an address needs TryIPSPN. */
static const char *spn_fix(struct kf_rule_ctx *ctx, const char *host)
{
	if (kf_rule_name_is_address(host))
		return kf_rule_fmt(
			ctx,
			"Use the server's DNS name instead of the address. To keep the address, register "
			"it on the server's computer account (`setspn -S HOST/%s <server>$`, and again "
			"when the address changes) and set TryIPSPN on the clients (Windows 10 1507, "
			"Windows Server 2016 and later: HKLM\\SOFTWARE\\Microsoft\\Windows\\"
			"CurrentVersion\\Policies\\System\\Kerberos\\Parameters, DWORD TryIPSPN = 1). "
			"Then `klist purge` on the client and connect again.",
			kf_rule_cmd_arg(ctx, host));
	return kf_rule_fmt(
		ctx,
		"Active Directory finds cifs/%s through the HOST/ SPNs of the server's computer "
		"account: `setspn -Q HOST/%s` says who has it. For another name of the server (a "
		"DNS alias), add it: `netdom computername <server> /add:%s` (or `setspn -S HOST/%s "
		"<server>$`); MIT/Samba: put cifs/%s in the server's keytab. Then `klist purge` on the "
		"client and connect again.",
		host, kf_rule_cmd_arg(ctx, host), kf_rule_cmd_arg(ctx, host), kf_rule_cmd_arg(ctx, host),
		host);
}

/* ntlm-fallback's SMB words for a cause: the end of the summary, the
 * sentence saying why Kerberos was not used, and the fix. */
static struct kf_rule_words smb_ntlm_words(struct kf_rule_ctx *ctx, const struct smb_ntlm_facts *f, int cause)
{
	const char *sname = f->tgs ? f->tgs->krb.sname : NULL;
	const char *host = sname ? sname + 5 : f->n_names ? f->names[0] : f->address;
	unsigned long long tgs_frame = f->tgs ? f->tgs->frame : 0, rep_frame = f->rep ? f->rep->frame : 0;
	int32_t code = f->rep ? f->rep->krb.error_code : 0;
	const char *retry = "Then `klist purge` on the client and connect again.";
	switch (cause) {
	case SN_SPN_UNKNOWN:
	case SN_KDC_ERROR:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "%s for %s", kf_rule_err_name(code), sname),
			cause == SN_SPN_UNKNOWN
				? kf_rule_fmt(
					  ctx,
					  "The client did try Kerberos: it asked the KDC for a ticket to %s (frame "
					  "%llu) and the KDC answered KDC_ERR_S_PRINCIPAL_UNKNOWN (frame %llu): no "
					  "account has that SPN, so SPNEGO used NTLM.",
					  sname, tgs_frame, rep_frame)
				: kf_rule_fmt(
					  ctx,
					  "The client did try Kerberos: it asked the KDC for a ticket to %s (frame "
					  "%llu) and the KDC refused with %s (%d, frame %llu), so SPNEGO used NTLM.",
					  sname, tgs_frame, kf_rule_err_name(code), code, rep_frame),
			cause == SN_SPN_UNKNOWN
				? spn_fix(ctx, host)
				: kf_rule_fmt(ctx,
					      "Fix the KDC error %s for %s (see that error's finding); "
					      "once the client gets a ticket, SMB uses Kerberos.",
					      kf_rule_err_name(code), sname),
		};
	case SN_LOCAL_ACCOUNT:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "%s is a local account, not a domain account", f->user),
			kf_rule_fmt(
				ctx,
				"The user logged on as %s, whose domain is %s, not the Active Directory "
				"domain's. Local accounts have no Kerberos principal, so NTLM is the only way "
				"they can log on.",
				f->user, f->local),
			"Log on with a domain account (`net use \\\\<server>\\<share> /user:DOMAIN\\user`) "
			"and give it the rights on the share; if the local account is meant, NTLM is expected "
			"(restrict it by policy where that is not wanted).",
		};
	case SN_TICKET_NOT_USED:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "the client got a ticket for %s and did not use it", sname),
			kf_rule_fmt(
				ctx,
				"The client got a ticket for %s (frame %llu) but still logged on with NTLM: the "
				"application chose NTLM (explicit credentials such as `net use \\\\server\\share "
				"/user:...`, a tool that only speaks NTLM), or its Kerberos logon to the server "
				"failed before this.",
				sname, rep_frame),
			"Check how the client connects (the credentials given to `net use` or the mount, the tool's "
			"authentication options) and whether the server refused a Kerberos logon earlier.",
		};
	case SN_IP_ADDRESS:
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "the client connected by address (%s)", f->address_share),
			kf_rule_fmt(
				ctx,
				"The client named the server by its address (%s): Kerberos needs a host name "
				"to build the SPN (cifs/<name>), and Windows clients ask for a ticket to an "
				"address only when TryIPSPN is set and an SPN for the address exists, so no "
				"ticket was asked for and SPNEGO used NTLM.",
				f->address_share),
			spn_fix(ctx, f->address),
		};
	case SN_APP_CHOSE:
		return (struct kf_rule_words){
			"Kerberos worked with this server earlier",
			kf_rule_fmt(
				ctx,
				"The same client logged on to this server with Kerberos in the capture (frame "
				"%llu, a ticket for %s), so the SPN and the KDC work: this logon chose NTLM "
				"(explicit credentials, a local account such as `/user:.\\admin`, a tool that "
				"only speaks NTLM).",
				(unsigned long long)f->kerberos->frame,
				f->kerberos->krb.ticket ? f->kerberos->krb.ticket->sname : "?"),
			"Connect with the server's DNS name and a domain account, without explicit local "
			"credentials; if NTLM is not wanted at all, restrict it (\"Network security: Restrict "
			"NTLM\" policies) after watching the NTLM audit log.",
		};
	case SN_NO_SERVER_NAME:
		return (struct kf_rule_words){
			"the capture shows no name the client used for the server",
			kf_rule_fmt(
				ctx,
				"The capture holds no share path that names the server (no TREE_CONNECT in the "
				"clear: the session is encrypted, or the capture ends first) and %s. A "
				"connection by IP address is the usual reason (Kerberos needs a host name for "
				"the SPN); a local account or a client without a TGT are the others.",
				f->any_kdc ? "no ticket request krbflow can tie to this server"
					   : "no Kerberos traffic from the client"),
			"Check the path the client uses (`net use` lists them): connect with the server's DNS "
			"name. A capture started after `klist purge` on the client, with port 88, shows whether "
			"it asks the KDC for a cifs/ ticket and what the KDC answers.",
		};
	case SN_NO_KDC_TRAFFIC:
		return (struct kf_rule_words){
			"no Kerberos traffic from the client",
			kf_rule_fmt(
				ctx,
				"The client named the server %s, but the capture holds no Kerberos traffic from "
				"it at all: it did not try Kerberos (a local or non-domain account, no TGT, a "
				"name it cannot map to a realm), or it had the ticket for cifs/%s before the "
				"capture started.",
				host, host),
			kf_rule_fmt(
				ctx,
				"Capture again after `klist purge` on the client (with port 88): a TGS-REQ for "
				"cifs/%s and its answer name the cause; if none appears, check `klist` for a TGT "
				"and `setspn -Q HOST/%s`. %s",
				host, kf_rule_cmd_arg(ctx, host), retry),
		};
	default: /* SN_NO_TICKET_REQUEST */
		return (struct kf_rule_words){
			kf_rule_fmt(ctx, "no ticket request for cifs/%s", host),
			kf_rule_fmt(
				ctx,
				"The client talked to the KDC but asked for no ticket to cifs/%s in this "
				"capture: it did not try Kerberos for this name (explicit credentials, a local "
				"account), or the ticket was already cached.",
				host),
			kf_rule_fmt(
				ctx,
				"Capture again after `klist purge` on the client: a TGS-REQ for cifs/%s and its "
				"answer will name the cause. Check the SPN with `setspn -Q HOST/%s`.",
				host, kf_rule_cmd_arg(ctx, host)),
		};
	}
}

/* How the NTLM logon ended, for the explanation. */
static const char *outcome_words(struct kf_rule_ctx *ctx, const struct kf_message *p)
{
	if (!p || !p->smb->has_status)
		return "The capture does not show whether the NTLM logon succeeded.";
	if (p->smb->status == 0)
		return p->smb->session_flags & KF_SMB_SESSION_GUEST
			       ? "The server made it a guest session: it did not accept the user's credentials."
			       : "The NTLM logon succeeded.";
	const char *n = kf_ntstatus_name(p->smb->status);
	return kf_rule_fmt(ctx,
			   "The NTLM logon failed too (%s%s0x%08X, frame %llu: smb-session-failed says why).",
			   n ? n : "", n ? " " : "", p->smb->status, (unsigned long long)p->frame);
}

static void smb_ntlm_emit(struct kf_rule_ctx *ctx, const struct smb_ntlm_facts *f)
{
	struct kf_rule_verdict v = smb_ntlm_verdict(f);
	struct kf_rule_words w = smb_ntlm_words(ctx, f, v.cause);
	char srv[64];
	kf_endpoint_addr(&f->server, srv, sizeof srv);
	const char *to = f->n_names ? kf_rule_fmt(ctx, "%s (%s)", f->names[0], srv) : srv;
	char mechs[160] = "";
	for (uint8_t i = 0; i < f->offer->spnego->n_mech_types; i++)
		snprintf(mechs + strlen(mechs), sizeof mechs - strlen(mechs), "%s%s", i ? ", " : "",
			 f->offer->spnego->mech_types[i]);
	w.summary = kf_rule_fmt(ctx, "SMB to %s used NTLM for %s although the server offers Kerberos: %s", to,
				f->user, w.summary);
	w.explanation = kf_rule_fmt(
		ctx,
		"The server at %s offered Kerberos in its SMB NEGOTIATE response (frame %llu: %s); the client "
		"logged on with NTLM (SESSION_SETUP, frame %llu) as %s%s%s. %s %s NTLM works without the KDC but "
		"is weaker, cannot be delegated, and hides SPN problems.",
		srv, (unsigned long long)f->offer->frame, mechs, (unsigned long long)f->first->frame, f->user,
		f->n_shares ? " to " : "", f->n_shares ? f->shares[0] : "", w.explanation,
		outcome_words(ctx, f->outcome));
	/* whom: the client, the server and its shares, the NTLM user (and the
	 * ticket's, when it asked the KDC), the service asked for or used */
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &f->client, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &f->server, true);
	for (size_t i = 0; i < f->n_shares; i++)
		kf_subject_add(ctx, &b, KF_SUBJECT_SERVER, f->shares[i]);
	kf_subject_add(ctx, &b, KF_SUBJECT_USER, f->user);
	kf_rule_subject_tgs(ctx, &b, f->tgs, f->rep);
	if (!f->tgs && f->kerberos && f->kerberos->krb.ticket)
		kf_subject_principal(ctx, &b, KF_SUBJECT_SERVICE, f->kerberos->krb.ticket->sname,
				     f->kerberos->krb.ticket->realm);
	kf_rule_emit(ctx, smb_ntlm_causes, v, w, &f->e, &b);
}

void kf_rule_ntlm_fallback_smb(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (!user_logon(r, m))
			continue;
		struct kf_key k = kf_key_new();
		kf_key_addr(&k, &m->src);
		kf_key_addr(&k, &m->dst);
		if (!kf_seen_add(ctx, &seen, k))
			continue;
		struct smb_ntlm_facts f;
		if (smb_ntlm_gather(ctx, m, &f))
			smb_ntlm_emit(ctx, &f);
	}
	kf_seen_free(&seen);
}
