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
};

/* Every rule, in catalogue order. */
static const struct kf_rule *const *rules_all(size_t *n)
{
	static const struct kf_rule *all[128];
	static size_t count;
	if (!count) {
		const struct kf_rule *tables[] = { kf_rules_deleg, kf_rules_http_spn, kf_rules_http_token,
						   kf_rules_reach, kf_rules_etype,    kf_rules_kdc_errors };
		size_t counts[] = {
			kf_rules_deleg_count, kf_rules_http_spn_count, kf_rules_http_token_count,
			kf_rules_reach_count, kf_rules_etype_count,    kf_rules_kdc_errors_count
		};
		for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
			for (size_t i = 0; i < counts[t] && count < 128; i++)
				all[count++] = &tables[t][i];
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

void kf_finding_add(struct kf_rule_ctx *ctx, enum kf_severity sev, enum kf_confidence conf,
		    const uint64_t *frames, size_t n_frames, const char *summary, const char *explanation,
		    const char *remediation)
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
	w->f.severity = sev;
	w->f.confidence = conf;
	w->f.frames = frame_set(a, frames, n_frames, &w->f.n_frames);
	w->f.summary = dup(a, summary ? summary : ctx->rule->info.title);
	w->f.explanation = dup(a, explanation ? explanation : "");
	w->f.remediation = dup(a, remediation);
	if ((n_frames && !w->f.frames) || !w->f.summary || !w->f.explanation) {
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

/* Root causes take the generic findings that share their frames. */
static void apply_precedence(struct kf_rule_ctx *ctx)
{
	struct kf_arena *a = &ctx->r->arena;
	for (size_t g = 0; g < ctx->n; g++) {
		struct work_finding *gw = &ctx->w[g];
		if (gw->rule->info.cls != KF_RULE_GENERIC)
			continue;
		for (size_t k = 0; k < ctx->n; k++) {
			struct work_finding *rw = &ctx->w[k];
			if (rw->dropped || rw->rule->info.cls != KF_RULE_ROOT_CAUSE ||
			    !frames_meet(&gw->f, &rw->f))
				continue;
			size_t n = rw->f.n_frames + gw->f.n_frames;
			uint64_t *tmp = kf_malloc(n * sizeof(uint64_t));
			if (!tmp) {
				ctx->nomem = true;
				return;
			}
			memcpy(tmp, rw->f.frames, rw->f.n_frames * sizeof(uint64_t));
			memcpy(tmp + rw->f.n_frames, gw->f.frames, gw->f.n_frames * sizeof(uint64_t));
			size_t nn;
			uint64_t *merged = frame_set(a, tmp, n, &nn);
			kf_free(tmp);
			if (!merged) {
				ctx->nomem = true;
				return;
			}
			rw->f.frames = merged;
			/* evidence stays within the cap every finding keeps (the earliest) */
			rw->f.n_frames = nn < KF_LIMIT_EVIDENCE_FRAMES ? nn : KF_LIMIT_EVIDENCE_FRAMES;
			gw->dropped = true;
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
