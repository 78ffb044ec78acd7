/* summary.c - the audit summary, from each capture's JSON document
 * (OUTPUT.md: capture, messages, flows, findings), read with jansson. */
#include "summary.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#define TOP_RULES_PER_CAPTURE 3

/* ---- counters by name -------------------------------------------------- */

struct counter {
	char *key;
	uint64_t n;        /* findings (rules) or stories (users, SPNs, hosts) */
	uint64_t failed;   /* stories with a failed exchange */
	uint64_t captures; /* captures it appeared in */
	size_t last;       /* the capture that last counted it, + 1 */
};

struct counters {
	struct counter *e; /* open addressing; key NULL = free */
	size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static struct counter *count(struct counters *c, const char *key)
{
	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct counter *e = kf_calloc(cap, sizeof(*e));
		if (!e)
			return NULL;
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->e[i].key)
				continue;
			size_t j = str_hash(c->e[i].key) & (cap - 1);
			while (e[j].key)
				j = (j + 1) & (cap - 1);
			e[j] = c->e[i];
		}
		kf_free(c->e);
		c->e = e;
		c->cap = cap;
	}
	size_t j = str_hash(key) & (c->cap - 1);
	for (; c->e[j].key; j = (j + 1) & (c->cap - 1))
		if (!strcmp(c->e[j].key, key))
			return &c->e[j];
	size_t len = strlen(key);
	char *k = kf_malloc(len + 1);
	if (!k)
		return NULL;
	memcpy(k, key, len + 1);
	c->e[j].key = k;
	c->n++;
	return &c->e[j];
}

static void counters_free(struct counters *c)
{
	for (size_t i = 0; i < c->cap; i++)
		kf_free(c->e[i].key);
	kf_free(c->e);
}

/* ---- the summary ------------------------------------------------------- */

struct row {
	char *file;
	char *error; /* unreadable: why */
	uint64_t packets, messages;
	uint64_t sev[4]; /* findings by severity: 1 info, 2 warning, 3 error */
	char *top_rules; /* "rule x2, rule" */
};

struct kf_summary {
	struct row *rows;
	size_t n, cap;
	struct counters rules, users, spns, hosts;
};

struct kf_summary *kf_summary_new(void) { return kf_calloc(1, sizeof(struct kf_summary)); }

void kf_summary_free(struct kf_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		kf_free(s->rows[i].file);
		kf_free(s->rows[i].error);
		kf_free(s->rows[i].top_rules);
	}
	kf_free(s->rows);
	counters_free(&s->rules);
	counters_free(&s->users);
	counters_free(&s->spns);
	counters_free(&s->hosts);
	kf_free(s);
}

static char *dup(const char *t)
{
	size_t n = strlen(t ? t : "");
	char *p = kf_malloc(n + 1);
	if (p)
		memcpy(p, t ? t : "", n + 1);
	return p;
}

static struct row *new_row(struct kf_summary *s, const char *file)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct row *r = kf_realloc(s->rows, cap * sizeof(*r));
		if (!r)
			return NULL;
		s->rows = r;
		s->cap = cap;
	}
	struct row *r = &s->rows[s->n];
	memset(r, 0, sizeof *r);
	r->file = dup(file);
	if (!r->file)
		return NULL;
	s->n++;
	return r;
}

int kf_summary_add_error(struct kf_summary *s, const char *file, const char *error)
{
	struct row *r = new_row(s, file);
	if (!r)
		return -1;
	r->error = dup(error && *error ? error : "unreadable");
	return r->error ? 0 : -1;
}

static int severity_of(const char *name)
{
	if (!name)
		return 0;
	return !strcmp(name, "error") ? 3 : !strcmp(name, "warning") ? 2 : !strcmp(name, "info") ? 1 : 0;
}

/* Count key once per story, and once per capture. */
static int tally(struct counters *c, const char *key, bool failed, size_t capture, uint64_t weight)
{
	if (!key || !*key)
		return 0;
	struct counter *e = count(c, key);
	if (!e)
		return -1;
	e->n += weight;
	e->failed += failed;
	if (e->last != capture) {
		e->last = capture;
		e->captures++;
	}
	return 0;
}

static bool outcome_failed(json_t *o)
{
	const char *v = json_string_value(json_object_get(o, "outcome"));
	return v && (!strcmp(v, "error") || !strcmp(v, "rejected"));
}

struct rule_n {
	const char *rule;
	unsigned n;
};

static int cmp_rule_n(const void *a, const void *b)
{
	const struct rule_n *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

/* "rule x3, rule" for the capture's most frequent rules. */
static char *top_rules(json_t *findings)
{
	size_t n = json_array_size(findings);
	struct rule_n *v = kf_calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rule = json_string_value(json_object_get(json_array_get(findings, i), "rule"));
		if (!rule)
			continue;
		size_t j = 0;
		while (j < k && strcmp(v[j].rule, rule))
			j++;
		if (j == k)
			v[k++] = (struct rule_n){ rule, 0 };
		v[j].n++;
	}
	qsort(v, k, sizeof(*v), cmp_rule_n);
	char buf[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < k && i < TOP_RULES_PER_CAPTURE; i++) {
		int w = v[i].n > 1
				? snprintf(buf + used, sizeof buf - used, "%s%s x%u", i ? ", " : "",
					   v[i].rule, v[i].n)
				: snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "", v[i].rule);
		if (w < 0 || (size_t)w >= sizeof buf - used)
			break;
		used += (size_t)w;
	}
	if (k > TOP_RULES_PER_CAPTURE && used + 8 < sizeof buf)
		snprintf(buf + used, sizeof buf - used, ", ...");
	kf_free(v);
	return dup(buf[0] ? buf : "-");
}

int kf_summary_add_json(struct kf_summary *s, const char *doc, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *d = json_loadb(doc, len, 0, &je);
	json_t *cap = d ? json_object_get(d, "capture") : NULL;
	json_t *msgs = d ? json_object_get(d, "messages") : NULL;
	json_t *flows = d ? json_object_get(d, "flows") : NULL;
	json_t *finds = d ? json_object_get(d, "findings") : NULL;
	const char *file = cap ? json_string_value(json_object_get(cap, "file")) : NULL;
	if (!d || !json_is_object(json_object_get(d, "krbflow")) || !file || !json_is_array(msgs) ||
	    !json_is_array(flows) || !json_is_array(finds)) {
		snprintf(err, errlen, "%s",
			 d ? "not a krbflow document (no krbflow, capture.file, messages, flows "
			     "or findings)"
			   : je.text);
		json_decref(d);
		return -1;
	}
	int rc = -1;
	struct row *r = new_row(s, file);
	if (!r)
		goto out;
	size_t id = s->n; /* this capture, for the per-capture counts */
	r->packets = (uint64_t)json_integer_value(json_object_get(cap, "packets"));
	r->messages = json_array_size(msgs);
	for (size_t i = 0; i < json_array_size(finds); i++) {
		json_t *f = json_array_get(finds, i);
		r->sev[severity_of(json_string_value(json_object_get(f, "severity")))]++;
		if (tally(&s->rules, json_string_value(json_object_get(f, "rule")), false, id, 1))
			goto out;
	}
	r->top_rules = top_rules(finds);
	if (!r->top_rules)
		goto out;
	for (size_t i = 0; i < json_array_size(flows); i++) {
		json_t *fl = json_array_get(flows, i), *x;
		bool failed = false;
		size_t j;
		json_array_foreach(json_object_get(fl, "services"), j, x) failed |= outcome_failed(x);
		json_array_foreach(json_object_get(fl, "http"), j, x) failed |= outcome_failed(x);
		json_array_foreach(json_object_get(fl, "delegation"), j, x) failed |= outcome_failed(x);
		json_array_foreach(json_object_get(fl, "sessions"), j, x) failed |= outcome_failed(x);
		if (tally(&s->users, json_string_value(json_object_get(fl, "user")), failed, id, 1) ||
		    tally(&s->hosts, json_string_value(json_object_get(fl, "client")), failed, id, 1))
			goto out;
		json_array_foreach(json_object_get(fl, "services"), j, x)
		{
			const char *sn = json_string_value(json_object_get(x, "sname"));
			const char *realm = json_string_value(json_object_get(x, "realm"));
			char spn[600];
			if (!sn)
				continue;
			snprintf(spn, sizeof spn, "%s%s%s", sn, realm ? "@" : "", realm ? realm : "");
			if (tally(&s->spns, spn, outcome_failed(x), id, 1))
				goto out;
		}
	}
	rc = 0;
out:
	if (rc)
		snprintf(err, errlen, "out of memory");
	json_decref(d);
	return rc;
}

size_t kf_summary_captures(const struct kf_summary *s) { return s->n; }

size_t kf_summary_at_or_above(const struct kf_summary *s, int level)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		bool hit = false;
		for (int l = level < 1 ? 1 : level; l <= 3; l++)
			hit |= s->rows[i].sev[l] > 0;
		k += hit;
	}
	return k;
}

size_t kf_summary_unreadable(const struct kf_summary *s)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		k += s->rows[i].error != NULL;
	return k;
}

/* ---- printing ------------------------------------------------------------ */

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->file, ((const struct row *)b)->file);
}

static int cmp_counter(const void *a, const void *b)
{
	const struct counter *x = *(const struct counter *const *)a, *y = *(const struct counter *const *)b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void print_top(FILE *out, const struct counters *c, const char *title, const char *what, bool failed,
		      unsigned top)
{
	const struct counter **v = kf_malloc((c->n + 1) * sizeof(*v));
	if (!v)
		return;
	size_t k = 0;
	for (size_t i = 0; i < c->cap; i++)
		if (c->e[i].key)
			v[k++] = &c->e[i];
	qsort(v, k, sizeof(*v), cmp_counter);
	fprintf(out, "\n%-44s %9s %9s%s\n", title, what, "captures", failed ? "    failed" : "");
	if (!k)
		fprintf(out, "  (none)\n");
	for (size_t i = 0; i < k && i < top; i++) {
		if (strlen(v[i]->key) > 42) /* a long name on a line of its own, the columns below it */
			fprintf(out, "  %s\n  %-42s", v[i]->key, "");
		else
			fprintf(out, "  %-42s", v[i]->key);
		fprintf(out, " %9llu %9llu", (unsigned long long)v[i]->n, (unsigned long long)v[i]->captures);
		if (failed)
			fprintf(out, " %9llu", (unsigned long long)v[i]->failed);
		fputc('\n', out);
	}
	if (k > top)
		fprintf(out, "  ... %zu more\n", k - top);
	kf_free(v);
}

void kf_summary_print(struct kf_summary *s, FILE *out, unsigned top)
{
	if (s->n)
		qsort(s->rows, s->n, sizeof(*s->rows), cmp_row);
	uint64_t msgs = 0, sev[4] = { 0 };
	for (size_t i = 0; i < s->n; i++) {
		msgs += s->rows[i].messages;
		for (int l = 1; l <= 3; l++)
			sev[l] += s->rows[i].sev[l];
	}
	size_t bad = kf_summary_unreadable(s);
	fprintf(out, "%zu capture%s", s->n, s->n == 1 ? "" : "s");
	if (bad)
		fprintf(out, " (%zu unreadable)", bad);
	fprintf(out, ", %llu authentication messages; findings: %llu error, %llu warning, %llu info\n\n",
		(unsigned long long)msgs, (unsigned long long)sev[3], (unsigned long long)sev[2],
		(unsigned long long)sev[1]);
	fprintf(out, "%-44s %9s %9s %5s %5s %5s  %s\n", "capture", "packets", "messages", "err", "warn",
		"info", "rules that fired most");
	for (size_t i = 0; i < s->n; i++) {
		const struct row *r = &s->rows[i];
		if (r->error) {
			fprintf(out, "%-44s unreadable: %s\n", r->file, r->error);
			continue;
		}
		if (strlen(r->file) > 44)
			fprintf(out, "%s\n%-44s", r->file, "");
		else
			fprintf(out, "%-44s", r->file);
		fprintf(out, " %9llu %9llu %5llu %5llu %5llu  %s\n", (unsigned long long)r->packets,
			(unsigned long long)r->messages, (unsigned long long)r->sev[3],
			(unsigned long long)r->sev[2], (unsigned long long)r->sev[1], r->top_rules);
	}
	print_top(out, &s->rules, "rules that fire most", "findings", false, top);
	print_top(out, &s->users, "users in most authentication stories", "stories", true, top);
	print_top(out, &s->spns, "SPNs asked for most", "stories", true, top);
	print_top(out, &s->hosts, "client hosts in most stories", "stories", true, top);
}
