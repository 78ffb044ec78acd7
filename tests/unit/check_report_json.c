/* check_report_json.c - the JSON report's own serializer writes exactly
 * what jansson would: the document read back by jansson and dumped again
 * with the same flags gives the same bytes, for the bundled samples and for
 * strings that need every kind of escape. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "report.h"
#include "rulefix.h"
#include "testutil.h"

/* The report of r, indented or compact, as a NUL-terminated string. */
static char *report(const struct kf_result *r, bool compact)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(kf_report_json(r, f, compact), 0);
	fclose(f);
	return buf;
}

/* jansson's own rendering of the same document.  Keys keep the order they
 * were read in (insertion order), which is the report's: sorted inside
 * objects, the contract's order at the top. */
static char *jansson_again(const char *doc, bool compact)
{
	json_error_t err;
	json_t *v = json_loads(doc, 0, &err);
	ck_assert_msg(v != NULL, "report is not JSON: %s (line %d)", err.text, err.line);
	char *s = json_dumps(v, JSON_ENSURE_ASCII | (compact ? JSON_COMPACT : JSON_INDENT(2)));
	json_decref(v);
	ck_assert_ptr_nonnull(s);
	size_t n = strlen(s);
	char *out = malloc(n + 2);
	memcpy(out, s, n);
	memcpy(out + n, "\n", 2);
	free(s);
	return out;
}

static void same_as_jansson(const struct kf_result *r)
{
	for (int compact = 0; compact < 2; compact++) {
		char *ours = report(r, compact);
		char *theirs = jansson_again(ours, compact);
		ck_assert_str_eq(ours, theirs);
		free(ours);
		free(theirs);
	}
}

static const char *const samples[] = {
	"web-healthy-401first.pcap", "web-ntlm-fallback.pcap", "deleg-works.pcap", "kerberos-errors.pcap",
	"kerberos-ipv6.pcap", "kerberos-kdc-unreachable.pcap", "samba-account-errors.pcap", "web-cname-canon.pcap",
};

START_TEST(t_samples)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", KF_SAMPLES_DIR, samples[_i]);
	struct kf_config cfg = { 0 };
	struct kf_result r;
	char err[256];
	ck_assert_int_eq(kf_analyze(path, &cfg, &r, err, sizeof err), KF_OK);
	ck_assert_uint_gt(r.n_messages, 0);
	same_as_jansson(&r);
	kf_result_free(&r);
}
END_TEST

/* Quotes, backslashes, control characters, DEL, 2-, 3- and 4-byte UTF-8
 * (a surrogate pair under JSON_ENSURE_ASCII), an empty string. */
START_TEST(t_escapes)
{
	struct kf_result *r = fx_new();
	r->file = "dir/\"odd\" name\\x.pcap";
	r->format = "pcap";
	struct kf_message *m = fx_krb(r, 1, KF_KRB_ERROR, "10.0.0.2:88", "10.0.0.10:40000");
	m->krb.error_code = 6;
	m->krb.e_text = "tab\there\nnl\r\x01\x1f\x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 / end";
	m->krb.cname = "";
	m->krb.sname = "HTTP/web.lab.test";
	m->krb.realm = "LAB.TEST";
	fx_finish(r);
	same_as_jansson(r);
	char *ours = report(r, true);
	ck_assert_ptr_nonnull(strstr(ours, "\\t"));
	ck_assert_ptr_nonnull(strstr(ours, "\\u0001"));
	ck_assert_ptr_nonnull(strstr(ours, "\\u00E9"));
	ck_assert_ptr_nonnull(strstr(ours, "\\uD83D\\uDE00"));
	free(ours);
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report_json");
	TCase *tc = tcase_create("serializer");
	tcase_add_loop_test(tc, t_samples, 0, (int)(sizeof samples / sizeof samples[0]));
	tcase_add_test(tc, t_escapes);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
