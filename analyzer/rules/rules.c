/* rules.c - the rule engine: runs the rule tables over a finished result,
 * collects findings, folds symptoms into root causes (DIAGNOSES.md
 * "Precedence") and orders findings by their first evidence frame. */
#include "rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "krb5.h"
#include "names.h"
#include "stories.h"

struct work_finding {
	struct kf_finding f;
	const struct kf_rule *rule;
	bool dropped;
};

struct kf_rule_ctx {
	struct kf_result *r;
	const struct kf_rule *rule;
	size_t rule_count; /* findings of the running rule */
	struct work_finding *w;
	size_t n, cap;
	bool nomem;
	const char *unsafe_name; /* a capture name kf_rule_cmd_arg kept out of the next finding's commands */
};

/* Every rule, in catalogue order. */
static const struct kf_rule *const *rules_all(size_t *n)
{
	static const struct kf_rule *all[128];
	static size_t count;
	if (!count) {
		const struct kf_rule *tables[] = {
			kf_rules_deleg, kf_rules_http_spn, kf_rules_http_token, kf_rules_http_unanswered,
			kf_rules_smb,   kf_rules_ldap,     kf_rules_tds,        kf_rules_rpc,
			kf_rules_reach, kf_rules_etype,    kf_rules_kdc_errors
		};
		size_t counts[] = { kf_rules_deleg_count,      kf_rules_http_spn_count,
				    kf_rules_http_token_count, kf_rules_http_unanswered_count,
				    kf_rules_smb_count,        kf_rules_ldap_count,
				    kf_rules_tds_count,        kf_rules_rpc_count,
				    kf_rules_reach_count,      kf_rules_etype_count,
				    kf_rules_kdc_errors_count };
		for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
			for (size_t i = 0; i < counts[t] && count < 128; i++)
				all[count++] = &tables[t][i];
		for (size_t i = 0; i < kf_rules_http_client_count && count < 128; i++)
			all[count++] = &kf_rules_http_client[i];
	}
	*n = count;
	return all;
}

const struct kf_rule_info *const *kf_rule_catalogue(size_t *n)
{
	static const struct kf_rule_info *info[128];
	size_t count;
	const struct kf_rule *const *all = rules_all(&count);
	for (size_t i = 0; i < count; i++)
		info[i] = &all[i]->info;
	*n = count;
	return info;
}

const struct kf_rule *kf_rule_find(const char *id)
{
	size_t n;
	const struct kf_rule *const *all = rules_all(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i]->info.id, id) == 0)
			return all[i];
	return NULL;
}

const struct kf_result *kf_rule_result(const struct kf_rule_ctx *ctx) { return ctx->r; }

void kf_rule_nomem(struct kf_rule_ctx *ctx) { ctx->nomem = true; }

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted, unique copy in the arena. */
static uint64_t *frame_set(struct kf_arena *a, const uint64_t *in, size_t n, size_t *out_n)
{
	*out_n = 0;
	if (!n)
		return NULL;
	uint64_t *f = kf_arena_alloc(a, n * sizeof(uint64_t));
	if (!f)
		return NULL;
	memcpy(f, in, n * sizeof(uint64_t));
	qsort(f, n, sizeof(uint64_t), cmp_u64);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (f[i] && (k == 0 || f[i] != f[k - 1]))
			f[k++] = f[i];
	*out_n = k;
	return f;
}

static const char *dup(struct kf_arena *a, const char *s)
{
	return s ? kf_arena_strndup(a, s, strlen(s)) : NULL;
}

/* ---- subjects --------------------------------------------------------------- */

void kf_subject_add(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k, const char *s)
{
	if (!s || !*s || (unsigned)k >= KF_SUBJECT__COUNT)
		return;
	for (unsigned i = 0; i < b->n[k]; i++)
		if (strcmp(b->v[k][i], s) == 0)
			return;
	if (b->n[k] == KF_LIMIT_SUBJECT_ITEMS)
		return;
	const char *d = dup(&ctx->r->arena, s);
	if (!d) {
		ctx->nomem = true;
		return;
	}
	b->v[k][b->n[k]++] = d;
}

void kf_subject_addr(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k,
		     const struct kf_endpoint *e, bool with_port)
{
	char a[64], ap[80];
	kf_endpoint_addr(e, a, sizeof a);
	if (!with_port) {
		kf_subject_add(ctx, b, k, a);
		return;
	}
	snprintf(ap, sizeof ap, e->ipver == 6 ? "[%s]:%u" : "%s:%u", a, e->port);
	kf_subject_add(ctx, b, k, ap);
}

void kf_subject_principal(struct kf_rule_ctx *ctx, struct kf_subject_b *b, enum kf_subject_kind k,
			  const char *name, const char *realm)
{
	if (!name || !*name)
		return;
	char buf[2 * KF_LIMIT_NAME + 2];
	if (strchr(name, '@')) /* an enterprise name carries its realm: once */
		realm = NULL;
	snprintf(buf, sizeof buf, realm && *realm ? "%s@%s" : "%s", name, realm ? realm : "");
	kf_subject_add(ctx, b, k, buf);
}

void kf_subject_message(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *m)
{
	struct kf_endpoint client;
	bool has_client = kf_message_client(m, &client);
	if (has_client)
		kf_subject_addr(ctx, b, KF_SUBJECT_CLIENT, &client, false);
	const struct kf_krb_rec *k = &m->krb;
	if (m->carrier == KF_CARRIER_KERBEROS) {
		const struct kf_endpoint *kdc = m->src.port == 88   ? &m->src
						: m->dst.port == 88 ? &m->dst
								    : NULL;
		if (kdc)
			kf_subject_addr(ctx, b, KF_SUBJECT_KDC, kdc, false);
	} else if (has_client && (kf_msg_in_app_protocol(m) || m->http)) {
		const struct kf_endpoint *srv = kf_endpoint_same_addr(&m->src, &client) ? &m->dst : &m->src;
		kf_subject_addr(ctx, b, KF_SUBJECT_SERVER, srv, true);
	}
	if (m->type <= KF_KRB_ERROR) {
		kf_subject_principal(ctx, b, KF_SUBJECT_USER, k->cname, k->crealm ? k->crealm : k->realm);
		if (m->type == KF_KRB_AP_REQ && k->ticket)
			kf_subject_principal(ctx, b, KF_SUBJECT_SERVICE, k->ticket->sname, k->ticket->realm);
		else
			kf_subject_principal(ctx, b, KF_SUBJECT_SERVICE, k->sname, k->realm);
	}
	if (m->ntlm && m->ntlm->user && *m->ntlm->user) {
		char u[2 * KF_LIMIT_NAME + 2];
		const char *d = m->ntlm->domain;
		snprintf(u, sizeof u, d && *d ? "%s\\%s" : "%s%s", d && *d ? d : "", m->ntlm->user);
		kf_subject_add(ctx, b, KF_SUBJECT_USER, u);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A finding's subject from a builder: sorted lists in run memory. */
static bool subject_set(struct kf_arena *a, struct kf_subject *out, const struct kf_subject_b *b)
{
	for (unsigned k = 0; k < KF_SUBJECT__COUNT; k++) {
		out->n[k] = b->n[k];
		out->v[k] = NULL;
		if (!b->n[k])
			continue;
		out->v[k] = kf_arena_alloc(a, b->n[k] * sizeof(char *));
		if (!out->v[k])
			return false;
		memcpy(out->v[k], b->v[k], b->n[k] * sizeof(char *));
		qsort(out->v[k], b->n[k], sizeof(char *), cmp_str);
	}
	return true;
}

/* dst := dst ∪ src, each member sorted and distinct, capped like a builder's. */
static bool subject_union(struct kf_arena *a, struct kf_subject *dst, const struct kf_subject *src)
{
	for (unsigned k = 0; k < KF_SUBJECT__COUNT; k++) {
		if (!src->n[k])
			continue;
		size_t cap = (size_t)dst->n[k] + src->n[k];
		const char **v = kf_arena_alloc(a, cap * sizeof(char *));
		if (!v)
			return false;
		size_t i = 0, j = 0, n = 0;
		while ((i < dst->n[k] || j < src->n[k]) && n < KF_LIMIT_SUBJECT_ITEMS) {
			int c = i == dst->n[k] ? 1 : j == src->n[k] ? -1 : strcmp(dst->v[k][i], src->v[k][j]);
			v[n++] = c <= 0 ? dst->v[k][i] : src->v[k][j];
			i += c <= 0;
			j += c >= 0;
		}
		dst->v[k] = v;
		dst->n[k] = (uint16_t)n;
	}
	return true;
}

bool kf_rule_cause_listed(const struct kf_rule_info *rule, const char *cause)
{
	for (const char *const *c = rule->causes; cause && c && *c; c++)
		if (strcmp(*c, cause) == 0)
			return true;
	return false;
}

void kf_finding_emit(struct kf_rule_ctx *ctx, const struct kf_finding_in *in)
{
	if (ctx->rule_count >= KF_LIMIT_FINDINGS_PER_RULE) {
		ctx->r->findings_dropped++;
		return;
	}
	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 16;
		struct work_finding *nw = kf_realloc(ctx->w, cap * sizeof(*nw));
		if (!nw) {
			ctx->nomem = true;
			return;
		}
		ctx->w = nw;
		ctx->cap = cap;
	}
	struct kf_arena *a = &ctx->r->arena;
	struct work_finding *w = &ctx->w[ctx->n];
	memset(w, 0, sizeof *w);
	w->rule = ctx->rule;
	w->f.rule = ctx->rule->info.id;
	w->f.severity = in->severity;
	w->f.confidence = in->confidence;
	w->f.cause = in->cause;
	w->f.clocks[0] = in->clocks[0];
	w->f.clocks[1] = in->clocks[1];
	w->f.has_offset = in->clocks[0] && in->has_offset;
	w->f.offset_s = w->f.has_offset ? in->offset_s : 0;
	w->f.frames = frame_set(a, in->frames, in->n_frames, &w->f.n_frames);
	w->f.summary = dup(a, in->summary ? in->summary : ctx->rule->info.title);
	w->f.explanation = dup(a, in->explanation ? in->explanation : "");
	const char *fix = in->remediation;
	if (fix && ctx->unsafe_name)
		fix = kf_rule_fmt(
			ctx,
			"%s Note: the name \"%s\" from the capture has characters no host, SPN or user name has (a "
			"typing mistake, or an attempt to smuggle a command into this advice), so the commands "
			"above say <name> instead: check it before typing anything.",
			fix, ctx->unsafe_name);
	ctx->unsafe_name = NULL;
	w->f.remediation = dup(a, fix);
	bool ok = !(in->n_frames && !w->f.frames) && w->f.summary && w->f.explanation;
	if (in->subject) {
		ok = ok && subject_set(a, &w->f.subject, in->subject);
	} else {
		/* the evidence's messages tell whom it concerns */
		struct kf_subject_b *b = kf_calloc(1, sizeof(*b));
		ok = ok && b;
		for (size_t i = 0; ok && i < w->f.n_frames; i++)
			for (size_t j = kf_result_first_in_frame(ctx->r, w->f.frames[i]);
			     j < ctx->r->n_messages && ctx->r->messages[j].frame == w->f.frames[i]; j++)
				kf_subject_message(ctx, b, &ctx->r->messages[j]);
		ok = ok && subject_set(a, &w->f.subject, b);
		kf_free(b);
	}
	if (!ok) {
		ctx->nomem = true;
		return;
	}
	ctx->n++;
	ctx->rule_count++;
}

const char *kf_rule_fmt(struct kf_rule_ctx *ctx, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	return kf_arena_strndup(&ctx->r->arena, buf, strlen(buf));
}

/* ---- helpers ------------------------------------------------------------ */

/* A host, SPN, principal or user name's grammar: letters, digits and
 * . - _ / : @ \ (DOMAIN\user), and $ only last (machine accounts). Nothing a
 * shell (sh, cmd, PowerShell) reads as syntax. */
static bool cmd_safe(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  strchr(".-_/:@\\", c) || (c == '$' && i == n - 1);
		if (!ok || (i == 0 && c == '-')) /* a leading dash would be an option */
			return false;
	}
	return true;
}

bool kf_rule_name_cmd_safe(const char *name) { return name && cmd_safe(name); }

const char *kf_rule_cmd_arg(struct kf_rule_ctx *ctx, const char *name)
{
	if (!name || cmd_safe(name))
		return name;
	if (!ctx->unsafe_name) {
		/* shown quoted in the note: its own quotes and backslashes escaped */
		char buf[2 * 256 + 1];
		size_t k = 0;
		for (const char *p = name; *p && k + 2 < sizeof buf; p++) {
			if (*p == '"' || *p == '\\')
				buf[k++] = '\\';
			buf[k++] = *p;
		}
		buf[k] = 0;
		ctx->unsafe_name = kf_rule_fmt(ctx, "%s", buf);
	}
	return "<name>";
}

/* ---- group keys ----------------------------------------------------------- */

struct kf_key kf_key_new(void) { return (struct kf_key){ 0xcbf29ce484222325ull, 0x9e3779b97f4a7c15ull }; }

static void key_byte(struct kf_key *k, uint8_t c)
{
	k->a = (k->a ^ c) * 0x100000001b3ull; /* FNV-1a */
	k->b = (k->b ^ c) * 0xff51afd7ed558ccdull;
	k->b ^= k->b >> 29;
}

void kf_key_int(struct kf_key *k, int64_t v)
{
	for (int i = 0; i < 8; i++)
		key_byte(k, (uint8_t)((uint64_t)v >> (8 * i)));
}

void kf_key_addr(struct kf_key *k, const struct kf_endpoint *e)
{
	key_byte(k, e->ipver);
	for (int i = 0; i < (e->ipver == 6 ? 16 : 4); i++)
		key_byte(k, e->addr[i]);
}

void kf_key_name(struct kf_key *k, const char *s)
{
	key_byte(k, s ? 1 : 0);
	for (; s && *s; s++)
		key_byte(k, (uint8_t)tolower((unsigned char)*s));
	key_byte(k, 0);
}

bool kf_seen_add(struct kf_rule_ctx *ctx, struct kf_seen *s, struct kf_key k)
{
	if (!k.a && !k.b)
		k.b = 1; /* (0, 0) marks a free slot */
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct kf_key *e = kf_calloc(cap, sizeof(*e));
		if (!e) {
			kf_rule_nomem(ctx);
			return false;
		}
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->e[i].a && !s->e[i].b)
				continue;
			size_t j = s->e[i].a & (cap - 1);
			while (e[j].a || e[j].b)
				j = (j + 1) & (cap - 1);
			e[j] = s->e[i];
		}
		kf_free(s->e);
		s->e = e;
		s->cap = cap;
	}
	size_t j = k.a & (s->cap - 1);
	for (; s->e[j].a || s->e[j].b; j = (j + 1) & (s->cap - 1))
		if (s->e[j].a == k.a && s->e[j].b == k.b)
			return false;
	s->e[j] = k;
	s->n++;
	return true;
}

void kf_seen_free(struct kf_seen *s)
{
	kf_free(s->e);
	s->e = NULL;
	s->cap = s->n = 0;
}

bool kf_error_recovered(const struct kf_result *r, const struct kf_message *err)
{
	if (err->type != KF_KRB_ERROR || err->carrier != KF_CARRIER_KERBEROS)
		return false;
	const struct kf_message *req = kf_msg_request(r, err);
	if (!req || (req->type != KF_KRB_AS_REQ && req->type != KF_KRB_TGS_REQ))
		return false;
	int want = req->type == KF_KRB_AS_REQ ? KF_KRB_AS_REP : KF_KRB_TGS_REP;
	/* what came back to the client afterwards */
	struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->ts_us > err->ts_us + KF_RULE_RECOVERY_US)
			break;
		if (!KF_AT_ADDR_IS_DST(at.v[i]) || m->type != want || m->carrier != KF_CARRIER_KERBEROS)
			continue;
		const struct kf_message *q = kf_msg_request(r, m);
		if (!q)
			continue;
		/* the same request made good: same client name and, for AS, the
		 * same service (a kadmin/changepw ticket after KEY_EXPIRED is no
		 * recovery of the login) */
		if (req->type == KF_KRB_AS_REQ
			    ? kf_name_eq_exact(q->krb.cname, req->krb.cname) &&
				      (!req->krb.sname || kf_name_eq_exact(q->krb.sname, req->krb.sname))
			    : kf_name_eq_exact(q->krb.sname, req->krb.sname))
			return true;
	}
	return false;
}

const struct kf_story *kf_story_of(const struct kf_result *r, const struct kf_message *m)
{
	struct kf_endpoint c;
	if (!kf_message_client(m, &c))
		return NULL;
	for (size_t i = 0; i < r->n_stories; i++)
		if (kf_endpoint_same_addr(&r->stories[i].client, &c))
			return &r->stories[i];
	return NULL;
}

/* ---- running ------------------------------------------------------------ */

static bool frames_meet(const struct kf_finding *a, const struct kf_finding *b)
{
	size_t i = 0, j = 0;
	while (i < a->n_frames && j < b->n_frames) {
		if (a->frames[i] == b->frames[j])
			return true;
		if (a->frames[i] < b->frames[j])
			i++;
		else
			j++;
	}
	return false;
}

/* Root cause rw takes gw: gw's frames join its evidence, whom gw concerns
 * its subject, and gw is dropped.  False when out of memory. */
static bool take(struct kf_rule_ctx *ctx, struct work_finding *rw, struct work_finding *gw)
{
	struct kf_arena *a = &ctx->r->arena;
	size_t n = rw->f.n_frames + gw->f.n_frames;
	uint64_t *tmp = kf_malloc(n * sizeof(uint64_t));
	if (!tmp)
		return false;
	memcpy(tmp, rw->f.frames, rw->f.n_frames * sizeof(uint64_t));
	memcpy(tmp + rw->f.n_frames, gw->f.frames, gw->f.n_frames * sizeof(uint64_t));
	size_t nn;
	uint64_t *merged = frame_set(a, tmp, n, &nn);
	kf_free(tmp);
	if (!merged)
		return false;
	rw->f.frames = merged;
	/* evidence stays within the cap every finding keeps (the earliest) */
	rw->f.n_frames = nn < KF_LIMIT_EVIDENCE_FRAMES ? nn : KF_LIMIT_EVIDENCE_FRAMES;
	/* ... and whom it concerns joins the root cause's subject */
	if (!subject_union(a, &rw->f.subject, &gw->f.subject))
		return false;
	gw->dropped = true;
	return true;
}

/* Root causes that explain another rule's findings on the same frames,
 * whatever that rule's class.  A front end's NTLM logon to its back end
 * (ntlm-fallback), or the share its anonymous logon was refused
 * (smb-tree-connect-failed), is the front end going on without the user's
 * Kerberos credentials: evidence of missing-forwarded-tgt, not a finding
 * of its own. */
static const struct {
	const char *root, *taken;
} TAKES[] = {
	{ "missing-forwarded-tgt", "ntlm-fallback" },
	{ "missing-forwarded-tgt", "smb-tree-connect-failed" },
	/* NTLM the client chose, or NTLM to its own host: the NTLM is not a fallback of its own */
	{ "scheme-mismatch", "ntlm-fallback" },
	{ "scheme-mismatch", "auth-loop" },
	{ "loopback-auth", "ntlm-fallback" },
	{ "loopback-auth", "auth-loop" },
};

static bool takes_rule(const struct work_finding *rw, const struct work_finding *gw)
{
	for (size_t i = 0; i < sizeof TAKES / sizeof TAKES[0]; i++)
		if (!strcmp(TAKES[i].root, rw->rule->info.id) && !strcmp(TAKES[i].taken, gw->rule->info.id))
			return true;
	return false;
}

/* Root causes take the generic findings that share their frames, and the
 * findings of the root causes TAKES says they explain. */
static void apply_precedence(struct kf_rule_ctx *ctx)
{
	for (size_t g = 0; g < ctx->n; g++) {
		struct work_finding *gw = &ctx->w[g];
		enum kf_rule_class gc = gw->rule->info.cls;
		bool by_class = gc == KF_RULE_GENERIC || gc == KF_RULE_OUTCOME;
		for (size_t k = 0; k < ctx->n; k++) {
			struct work_finding *rw = &ctx->w[k];
			if (rw == gw || rw->dropped || rw->rule->info.cls != KF_RULE_ROOT_CAUSE ||
			    (!by_class && !takes_rule(rw, gw)) ||
			    (gc == KF_RULE_OUTCOME && rw->f.severity < gw->f.severity) ||
			    !frames_meet(&gw->f, &rw->f))
				continue;
			if (!take(ctx, rw, gw)) {
				ctx->nomem = true;
				return;
			}
			break;
		}
	}
}

static int cmp_finding(const void *a, const void *b)
{
	const struct kf_finding *x = a, *y = b;
	uint64_t fx = x->n_frames ? x->frames[0] : 0, fy = y->n_frames ? y->frames[0] : 0;
	if (fx != fy)
		return fx < fy ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

enum kf_status kf_rules_run_only(struct kf_result *r, const struct kf_rule *const *rules, size_t n)
{
	struct kf_rule_ctx ctx = { .r = r };
	if (kf_result_index(r) != KF_OK)
		return KF_NOMEM;
	r->findings = NULL; /* a run replaces the findings of any earlier one */
	r->n_findings = 0;
	r->findings_dropped = 0;
	for (size_t i = 0; i < n && !ctx.nomem; i++) {
		ctx.rule = rules[i];
		ctx.rule_count = 0;
		rules[i]->run(&ctx);
	}
	if (!ctx.nomem)
		apply_precedence(&ctx);
	size_t kept = 0;
	for (size_t i = 0; i < ctx.n; i++)
		kept += !ctx.w[i].dropped;
	if (!ctx.nomem && kept) {
		r->findings = kf_arena_alloc(&r->arena, kept * sizeof(*r->findings));
		if (!r->findings) {
			ctx.nomem = true;
		} else {
			size_t k = 0;
			for (size_t i = 0; i < ctx.n; i++)
				if (!ctx.w[i].dropped)
					r->findings[k++] = ctx.w[i].f;
			qsort(r->findings, kept, sizeof(*r->findings), cmp_finding);
			r->n_findings = kept;
		}
	}
	kf_free(ctx.w);
	return ctx.nomem ? KF_NOMEM : KF_OK;
}

enum kf_status kf_rules_run(struct kf_result *r)
{
	size_t n;
	const struct kf_rule *const *all = rules_all(&n);
	return kf_rules_run_only(r, all, n);
}
