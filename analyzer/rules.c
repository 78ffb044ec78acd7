/* rules.c - the rule engine: runs the rule tables over a finished result,
 * collects findings, folds symptoms into root causes (DIAGNOSES.md
 * "Precedence") and orders findings by their first evidence frame. */
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "krb5.h"
#include "stories.h"

struct work_finding {
	struct kf_finding f;
	const struct kf_rule *rule;
	bool dropped;
};

struct kf_rule_ctx {
	struct kf_result *r;
	const struct kf_rule *rule;
	size_t rule_count;           /* findings of the running rule */
	struct work_finding *w;
	size_t n, cap;
	bool nomem;
};

const char *kf_severity_name(enum kf_severity s)
{
	switch (s) {
	case KF_SEV_INFO: return "info";
	case KF_SEV_WARNING: return "warning";
	case KF_SEV_ERROR: return "error";
	}
	return "unknown";
}

enum kf_severity kf_severity_from_name(const char *name)
{
	if (strcmp(name, "info") == 0)
		return KF_SEV_INFO;
	if (strcmp(name, "warning") == 0)
		return KF_SEV_WARNING;
	if (strcmp(name, "error") == 0)
		return KF_SEV_ERROR;
	return (enum kf_severity)0;
}

const struct kf_rule *const *kf_rule_catalogue(size_t *n)
{
	static const struct kf_rule *all[128];
	static size_t count;
	if (!count) {
		const struct kf_rule *tables[] = { kf_rules_deleg, kf_rules_http, kf_rules_krb5 };
		size_t counts[] = { kf_rules_deleg_count, kf_rules_http_count, kf_rules_krb5_count };
		for (size_t t = 0; t < 3; t++)
			for (size_t i = 0; i < counts[t] && count < 128; i++)
				all[count++] = &tables[t][i];
	}
	*n = count;
	return all;
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
	w->f.rule = ctx->rule->id;
	w->f.severity = sev;
	w->f.confidence = conf;
	w->f.frames = frame_set(a, frames, n_frames, &w->f.n_frames);
	w->f.summary = dup(a, summary ? summary : ctx->rule->title);
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

const struct kf_message *kf_msg_at(const struct kf_result *r, uint64_t frame, int type)
{
	return kf_result_message_at(r, frame, type);
}

static const struct kf_message *linked(const struct kf_result *r, const struct kf_message *m, uint64_t frame,
				       bool want_reply)
{
	if (!frame)
		return NULL;
	size_t lo = 0, hi = r->n_messages;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->messages[mid].frame < frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < r->n_messages && r->messages[i].frame == frame; i++) {
		const struct kf_message *o = &r->messages[i];
		if (o->carrier != m->carrier || (m->connection && o->connection != m->connection))
			continue;
		/* an HTTP record answers an HTTP record; a token message a token message */
		bool m_rec = m->type == KF_MSG_HTTP_REQUEST || m->type == KF_MSG_HTTP_RESPONSE;
		bool o_rec = o->type == KF_MSG_HTTP_REQUEST || o->type == KF_MSG_HTTP_RESPONSE;
		if (m_rec != o_rec)
			continue;
		if (want_reply ? o->reply_to == m->frame : o->reply_in == m->frame)
			return o;
	}
	return NULL;
}

const struct kf_message *kf_msg_reply(const struct kf_result *r, const struct kf_message *req)
{
	return linked(r, req, req->reply_in, true);
}

const struct kf_message *kf_msg_request(const struct kf_result *r, const struct kf_message *rep)
{
	return linked(r, rep, rep->reply_to, false);
}

static bool str_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

bool kf_error_recovered(const struct kf_result *r, const struct kf_message *err)
{
	if (err->type != KF_KRB_ERROR || err->carrier != KF_CARRIER_KERBEROS)
		return false;
	const struct kf_message *req = kf_msg_request(r, err);
	if (!req || (req->type != KF_KRB_AS_REQ && req->type != KF_KRB_TGS_REQ))
		return false;
	int want = req->type == KF_KRB_AS_REQ ? KF_KRB_AS_REP : KF_KRB_TGS_REP;
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (m->frame <= err->frame || m->type != want || m->carrier != KF_CARRIER_KERBEROS)
			continue;
		if (m->ts_us > err->ts_us + KF_RULE_RECOVERY_US)
			break;
		if (!kf_endpoint_same_addr(&m->dst, &err->dst))
			continue;
		const struct kf_message *q = kf_msg_request(r, m);
		if (!q)
			continue;
		/* the same request made good: same client name and, for AS, the
		 * same service (a kadmin/changepw ticket after KEY_EXPIRED is no
		 * recovery of the login) */
		if (req->type == KF_KRB_AS_REQ ? str_eq(q->krb.cname, req->krb.cname) &&
						 (!req->krb.sname || str_eq(q->krb.sname, req->krb.sname))
					      : str_eq(q->krb.sname, req->krb.sname))
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
		if (gw->rule->cls != KF_RULE_GENERIC)
			continue;
		for (size_t k = 0; k < ctx->n; k++) {
			struct work_finding *rw = &ctx->w[k];
			if (rw->dropped || rw->rule->cls != KF_RULE_ROOT_CAUSE || !frames_meet(&gw->f, &rw->f))
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
			rw->f.n_frames = nn;
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
	const struct kf_rule *const *all = kf_rule_catalogue(&n);
	return kf_rules_run_only(r, all, n);
}
