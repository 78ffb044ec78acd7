/* expect.c - expected-findings files (--expect / --write-expect) for
 * regression suites of sample captures.
 *
 * Format, version 1: plain text, one finding a line, made to be edited by
 * hand and read in diffs.
 *
 *	# krbflow expected findings v1
 *	# capture samples/kerberos-errors.pcap: 3 findings
 *	# rule severity frames
 *	principal-unknown error 5,6,7,8
 *	preauth-failed error 11,12
 *
 * - The first line is the version header, exactly as above (trailing blanks
 *   and a CR aside); another version or anything else is refused.
 * - Then lines of three fields separated by blanks: the rule id (as
 *   `krbflow rules` lists it), the severity (info, warning, error) and the
 *   evidence frames, ascending, without repeats, comma-separated without
 *   blanks, at most KF_LIMIT_EVIDENCE_FRAMES of them, or `-` for none; and
 *   optionally a fourth, the cause (one of the rule's causes `krbflow rules`
 *   lists).  A line without a cause matches a finding whatever its cause;
 *   --write-expect writes the cause of every finding that has one.
 * - Lines whose first non-blank character is `#`, and blank lines, are
 *   ignored.  A line is at most KF_LIMIT_EXPECT_LINE bytes.
 * - --write-expect writes the findings in the report's order (by first
 *   evidence frame); the comparison does not depend on the order: findings
 *   match as a multiset of (rule, severity, frames).
 *
 * The comparison prints one line per difference, then a total:
 *	- expected RULE SEV FRAMES not found (FILE:LINE)
 *	+ found RULE SEV FRAMES not expected
 *	~ RULE FRAMES: severity SEV expected, SEV found (FILE:LINE)
 *	~ RULE FRAMES: cause CAUSE expected, CAUSE found (FILE:LINE)
 * A malformed file is refused whole ("FILE:LINE: what is wrong"), so that a
 * typo cannot pass for a difference, nor a difference for a typo.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "expect.h"
#include "analyzer.h"

#define EXPECT_HEADER "# krbflow expected findings v"
#define EXPECT_VERSION "1"

/* One expected finding: rule points into the catalogue, frames into the pool. */
struct exp_entry {
	const char *rule;
	const char *cause; /* NULL: any; else points into the catalogue */
	enum kf_severity sev;
	size_t first, n; /* frames pool[first .. first + n) */
	unsigned long line;
	bool matched;
};

struct exp_file {
	struct exp_entry *e;
	size_t n, cap;
	uint64_t *pool;
	size_t n_pool, cap_pool;
};

static void exp_free(struct exp_file *x)
{
	kf_free(x->e);
	kf_free(x->pool);
	memset(x, 0, sizeof *x);
}

/* A token for a message: printable, cut short (the file is user input). */
static void shown(char *buf, size_t len, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 4 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		if (i == 40 && n > 44) {
			memcpy(buf + k, "...", 3);
			k += 3;
			break;
		}
	}
	buf[k] = '\0';
}

static const struct kf_rule_info *rule_info(const char *s, size_t n)
{
	size_t count;
	const struct kf_rule_info *const *all = kf_analyzer_rules(&count);
	for (size_t i = 0; i < count; i++)
		if (strlen(all[i]->id) == n && memcmp(all[i]->id, s, n) == 0)
			return all[i];
	return NULL;
}

/* The rule's cause spelled s[0..n), as the catalogue holds it; NULL when it
 * has no such cause. */
static const char *cause_id(const struct kf_rule_info *rule, const char *s, size_t n)
{
	for (const char *const *c = rule->causes; c && *c; c++)
		if (strlen(*c) == n && memcmp(*c, s, n) == 0)
			return *c;
	return NULL;
}

/* The frames field: "-" or "N,N,...".  0, or -1 with the reason in err. */
static int parse_frames(const char *s, size_t n, uint64_t *out, size_t *n_out, char *err, size_t errlen)
{
	*n_out = 0;
	if (n == 1 && s[0] == '-')
		return 0;
	size_t i = 0;
	for (;;) {
		size_t start = i;
		uint64_t v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			unsigned d = (unsigned)(s[i] - '0');
			if (v > (UINT64_MAX - d) / 10) {
				snprintf(err, errlen, "frame number too large");
				return -1;
			}
			v = v * 10 + d;
			i++;
		}
		if (i == start || (i < n && s[i] != ',')) {
			char tok[64];
			size_t end = start;
			while (end < n && s[end] != ',')
				end++;
			shown(tok, sizeof tok, s + start, end - start);
			if (end == start)
				snprintf(err, errlen,
					 "an empty frame number (frames are N,N,... or - for none)");
			else
				snprintf(err, errlen,
					 "frame '%s' is not a number (frames are N,N,... or - for none)",
					 tok);
			return -1;
		}
		if (v == 0) {
			snprintf(err, errlen, "frame 0: frames count from 1");
			return -1;
		}
		if (*n_out == KF_LIMIT_EVIDENCE_FRAMES) {
			snprintf(err, errlen, "more than %u frames (a finding lists at most %u)",
				 KF_LIMIT_EVIDENCE_FRAMES, KF_LIMIT_EVIDENCE_FRAMES);
			return -1;
		}
		if (*n_out && v <= out[*n_out - 1]) {
			snprintf(err, errlen, "frame %llu after %llu: frames are ascending, without repeats",
				 (unsigned long long)v, (unsigned long long)out[*n_out - 1]);
			return -1;
		}
		out[(*n_out)++] = v;
		if (i == n)
			return 0;
		i++; /* the comma */
		if (i == n) {
			snprintf(err, errlen, "a comma ends the frames");
			return -1;
		}
	}
}

/* One non-comment line (without its newline).  0, or -1 with the reason
 * (errno ENOMEM when memory ran out). */
static int parse_entry(struct exp_file *x, const char *line, size_t len, unsigned long lineno,
		       size_t max_entries, char *err, size_t errlen)
{
	const char *field[5];
	size_t flen[5];
	size_t nf = 0, i = 0;
	while (nf < 5) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		field[nf] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		flen[nf] = (size_t)(line + i - field[nf]);
		nf++;
	}
	char tok[64];
	if (nf != 3 && nf != 4) {
		if (nf == 5) {
			shown(tok, sizeof tok, field[4], flen[4]);
			snprintf(err, errlen,
				 "'%s' after the cause: a line is RULE SEVERITY FRAMES [CAUSE], the frames "
				 "comma-separated without blanks",
				 tok);
		} else {
			snprintf(err, errlen,
				 "%zu field%s: a line is RULE SEVERITY FRAMES (frames - for none)", nf,
				 nf == 1 ? "" : "s");
		}
		return -1;
	}
	const struct kf_rule_info *info = rule_info(field[0], flen[0]);
	if (!info) {
		shown(tok, sizeof tok, field[0], flen[0]);
		snprintf(err, errlen, "unknown rule '%s' (`krbflow rules` lists them)", tok);
		return -1;
	}
	const char *rule = info->id, *cause = NULL;
	if (nf == 4 && !(cause = cause_id(info, field[3], flen[3]))) {
		shown(tok, sizeof tok, field[3], flen[3]);
		snprintf(err, errlen,
			 "'%s' is not a cause of %s (`krbflow rules` lists each rule's causes; a line is "
			 "RULE SEVERITY FRAMES [CAUSE], the frames comma-separated without blanks)",
			 tok, rule);
		return -1;
	}
	char sevname[16];
	enum kf_severity sev = (enum kf_severity)0;
	if (flen[1] < sizeof sevname) {
		memcpy(sevname, field[1], flen[1]);
		sevname[flen[1]] = '\0';
		sev = kf_severity_from_name(sevname);
	}
	if (!sev) {
		shown(tok, sizeof tok, field[1], flen[1]);
		snprintf(err, errlen, "unknown severity '%s' (info, warning or error)", tok);
		return -1;
	}
	uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
	size_t n;
	if (parse_frames(field[2], flen[2], frames, &n, err, errlen) != 0)
		return -1;

	if (x->n == max_entries) {
		snprintf(err, errlen, "more than %zu findings, more than a report holds", max_entries);
		return -1;
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		struct exp_entry *e = kf_realloc(x->e, cap * sizeof *e);
		if (!e)
			goto nomem;
		x->e = e;
		x->cap = cap;
	}
	if (x->cap_pool - x->n_pool < n) {
		size_t cap = x->cap_pool ? x->cap_pool * 2 : 256;
		while (cap - x->n_pool < n)
			cap *= 2;
		uint64_t *p = kf_realloc(x->pool, cap * sizeof *p);
		if (!p)
			goto nomem;
		x->pool = p;
		x->cap_pool = cap;
	}
	if (n)
		memcpy(x->pool + x->n_pool, frames, n * sizeof *frames);
	x->e[x->n++] = (struct exp_entry){
		.rule = rule, .cause = cause, .sev = sev, .first = x->n_pool, .n = n, .line = lineno
	};
	x->n_pool += n;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	errno = ENOMEM;
	return -1;
}

/* Read the whole file.  0, or -1 with "PATH:LINE: reason" in err and errno
 * ENOMEM when it was memory that failed (the caller may make that exit 3). */
static int exp_read(struct exp_file *x, const char *path, char *err, size_t errlen)
{
	memset(x, 0, sizeof *x);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	char *line = kf_malloc(KF_LIMIT_EXPECT_LINE + 1);
	if (!line) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return -1;
	}
	size_t n_rules;
	(void)kf_analyzer_rules(&n_rules);
	size_t max_entries = n_rules * KF_LIMIT_FINDINGS_PER_RULE;

	char why[400];
	unsigned long lineno = 0;
	int rc = 0;
	bool eof = false, nomem = false;
	while (!eof) {
		size_t len = 0;
		int c;
		lineno++;
		while ((c = getc(f)) != EOF && c != '\n') {
			if (c == '\0') {
				snprintf(why, sizeof why, "a NUL byte: not a text file");
				goto bad;
			}
			if (len == KF_LIMIT_EXPECT_LINE) {
				snprintf(why, sizeof why, "line longer than %u bytes", KF_LIMIT_EXPECT_LINE);
				goto bad;
			}
			line[len++] = (char)c;
		}
		if (c == EOF) {
			if (ferror(f)) { /* a directory, an I/O error */
				snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
				rc = -1;
				break;
			}
			eof = true;
			if (len == 0 && lineno == 1) {
				snprintf(why, sizeof why,
					 "empty file: not an expected-findings file (the first "
					 "line must be '%s')",
					 EXPECT_HEADER EXPECT_VERSION);
				goto bad;
			}
			if (len == 0)
				break; /* after the newline ending the last line */
		}
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
			len--; /* trailing blanks, and CRLF from editors that add it */
		line[len] = '\0';
		if (lineno == 1) {
			size_t hl = strlen(EXPECT_HEADER);
			if (len == hl + strlen(EXPECT_VERSION) &&
			    memcmp(line, EXPECT_HEADER EXPECT_VERSION, len) == 0)
				continue;
			if (len > hl && memcmp(line, EXPECT_HEADER, hl) == 0) {
				char v[64];
				shown(v, sizeof v, line + hl, len - hl);
				snprintf(why, sizeof why, "version %s: this krbflow reads version %s", v,
					 EXPECT_VERSION);
			} else {
				snprintf(why, sizeof why,
					 "%s: not an expected-findings file (the first line must be '%s')",
					 len ? "no version header" : "empty first line",
					 EXPECT_HEADER EXPECT_VERSION);
			}
			goto bad;
		}
		size_t i = 0;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len || line[i] == '#')
			continue;
		errno = 0;
		if (parse_entry(x, line, len, lineno, max_entries, why, sizeof why) != 0) {
			nomem = errno == ENOMEM;
			goto bad;
		}
	}
	goto done;
bad:
	snprintf(err, errlen, "%s:%lu: %s", path, lineno, why);
	rc = -1;
done:
	kf_free(line);
	fclose(f);
	if (rc != 0)
		exp_free(x);
	if (nomem)
		errno = ENOMEM;
	return rc;
}

static bool same_cause(const struct exp_entry *e, const struct kf_finding *f)
{
	return !e->cause || (f->cause && strcmp(e->cause, f->cause) == 0);
}

static bool same_frames(const struct exp_file *x, const struct exp_entry *e, const struct kf_finding *f)
{
	return e->n == f->n_frames &&
	       (e->n == 0 || memcmp(x->pool + e->first, f->frames, e->n * sizeof(uint64_t)) == 0);
}

static void put_frames(FILE *out, const uint64_t *v, size_t n)
{
	if (n == 0)
		fputc('-', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
}

/* -1 leaves errno ENOMEM when memory ran out (see exp_read). */
int kf_expect_compare(const struct kf_result *r, const char *path, FILE *out, char *err, size_t errlen)
{
	struct exp_file x;
	if (exp_read(&x, path, err, errlen) != 0)
		return -1;
	/* For each finding: 0 unmatched, 1 matched, 2 paired with an expected
	 * line that differs only in severity (its index in pair[]). */
	unsigned char *state = NULL;
	size_t *pair = NULL;
	if (r->n_findings) {
		state = kf_calloc(r->n_findings, 1);
		pair = kf_calloc(r->n_findings, sizeof *pair);
		if (!state || !pair) {
			kf_free(state);
			kf_free(pair);
			exp_free(&x);
			snprintf(err, errlen, "%s: out of memory", path);
			errno = ENOMEM;
			return -1;
		}
	}
	/* Exact matches first, so that a severity change is only what is left. */
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct kf_finding *f = &r->findings[i];
		for (size_t k = 0; k < x.n; k++) {
			struct exp_entry *e = &x.e[k];
			if (!e->matched && e->sev == f->severity && strcmp(e->rule, f->rule) == 0 &&
			    same_cause(e, f) && same_frames(&x, e, f)) {
				e->matched = true;
				state[i] = 1;
				break;
			}
		}
	}
	size_t changed = 0, changed_cause = 0, missing = 0, unexpected = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct kf_finding *f = &r->findings[i];
		for (size_t k = 0; !state[i] && k < x.n; k++) {
			struct exp_entry *e = &x.e[k];
			if (!e->matched && strcmp(e->rule, f->rule) == 0 && same_frames(&x, e, f)) {
				e->matched = true;
				state[i] = 2;
				pair[i] = k;
				if (e->sev != f->severity)
					changed++;
				else
					changed_cause++;
			}
		}
	}
	for (size_t k = 0; k < x.n; k++) {
		const struct exp_entry *e = &x.e[k];
		if (e->matched)
			continue;
		missing++;
		fprintf(out, "- expected %s %s ", e->rule, kf_severity_name(e->sev));
		put_frames(out, x.pool + e->first, e->n);
		fprintf(out, " not found (%s:%lu)\n", path, e->line);
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct kf_finding *f = &r->findings[i];
		if (state[i] == 1)
			continue;
		if (state[i] == 2) {
			const struct exp_entry *e = &x.e[pair[i]];
			if (e->sev != f->severity) {
				fprintf(out, "~ %s ", f->rule);
				put_frames(out, f->frames, f->n_frames);
				fprintf(out, ": severity %s expected, %s found (%s:%lu)\n",
					kf_severity_name(e->sev), kf_severity_name(f->severity), path,
					e->line);
			}
			if (!same_cause(e, f)) {
				fprintf(out, "~ %s ", f->rule);
				put_frames(out, f->frames, f->n_frames);
				fprintf(out, ": cause %s expected, %s found (%s:%lu)\n", e->cause,
					f->cause ? f->cause : "none", path, e->line);
			}
			continue;
		}
		unexpected++;
		fprintf(out, "+ found %s %s ", f->rule, kf_severity_name(f->severity));
		put_frames(out, f->frames, f->n_frames);
		fputs(" not expected\n", out);
	}
	size_t total = changed + changed_cause + missing + unexpected;
	char causes[48] = "";
	if (changed_cause)
		snprintf(causes, sizeof causes, ", %zu changed cause", changed_cause);
	if (total)
		fprintf(out,
			"krbflow: %s: %zu difference%s from the expected findings: %zu missing, %zu unexpected, "
			"%zu changed severity%s (%zu expected, %zu found)\n",
			path, total, total == 1 ? "" : "s", missing, unexpected, changed, causes, x.n,
			r->n_findings);
	kf_free(state);
	kf_free(pair);
	exp_free(&x);
	return total ? 1 : 0;
}

int kf_expect_write(const struct kf_result *r, const char *path, char *err, size_t errlen)
{
	/* Refuse what --expect could not read back, before touching the file. */
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].n_frames > KF_LIMIT_EVIDENCE_FRAMES) {
			snprintf(err, errlen,
				 "finding %s lists %zu frames, more than the %u an expected-findings "
				 "file holds",
				 r->findings[i].rule, r->findings[i].n_frames, KF_LIMIT_EVIDENCE_FRAMES);
			return -1;
		}
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot create: %s", strerror(errno));
		return -1;
	}
	errno = 0;
	fputs(EXPECT_HEADER EXPECT_VERSION "\n", f);
	if (r->file) {
		/* The capture's name, for whoever reads the file; a name with a
		 * newline must not start a line of its own. */
		fputs("# capture ", f);
		for (const char *s = r->file; *s; s++)
			fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
		fprintf(f, ": %zu finding%s\n", r->n_findings, r->n_findings == 1 ? "" : "s");
	}
	fputs("# rule severity frames cause\n", f);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct kf_finding *fi = &r->findings[i];
		fprintf(f, "%s %s ", fi->rule, kf_severity_name(fi->severity));
		put_frames(f, fi->frames, fi->n_frames);
		const struct kf_rule_info *info = rule_info(fi->rule, strlen(fi->rule));
		if (fi->cause && info && cause_id(info, fi->cause, strlen(fi->cause)))
			fprintf(f, " %s", fi->cause);
		fputc('\n', f);
	}
	bool bad = ferror(f) != 0;
	int e = errno;
	if (fclose(f) != 0 && !bad) {
		bad = true;
		e = errno;
	}
	if (bad) {
		snprintf(err, errlen, "cannot write: %s", e ? strerror(e) : "write error");
		return -1;
	}
	return 0;
}
