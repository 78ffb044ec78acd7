/* testutil.c - helpers shared by the Check suites. */
#include "testutil.h"

#include "base/events.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint8_t *kf_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		abort();
	}
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t kf_test_hex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *hex; hex++) {
		int v = hexval((unsigned char)*hex);
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

bool kf_test_has_event(const struct kf_events *ev, int e)
{
	for (unsigned i = 0; i < ev->n; i++)
		if (ev->ev[i] == (uint16_t)e)
			return true;
	return false;
}

uint8_t *kf_test_bad_input(const struct kf_test_bad *b, size_t *n)
{
	size_t cap = strlen(b->base) / 2 + 1;
	uint8_t *full = malloc(cap);
	size_t fn = kf_test_hex(b->base, full, cap);
	uint8_t patch[64];
	size_t pn = kf_test_hex(b->patch, patch, sizeof patch);
	ck_assert_uint_le(pn, sizeof patch);
	ck_assert_uint_le(b->off + pn, fn);
	memcpy(full + b->off, patch, pn);
	*n = b->len == KF_TEST_KEEP ? fn : b->len;
	ck_assert_uint_le(*n, fn);
	uint8_t *p = malloc(*n ? *n : 1);
	memcpy(p, full, *n);
	free(full);
	return p;
}

int kf_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* Files of a test directory, then the directory (no subdirectories). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[512];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int kf_test_run_in_dir(Suite *(*suite)(void), const char *name, char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/kf-check-%s-XXXXXX", name);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	int failed = kf_test_run(suite());
	remove_dir(dir);
	return failed;
}
