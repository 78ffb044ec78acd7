/* testutil.h - small helpers shared by the Check suites. */
#ifndef KF_TESTUTIL_H
#define KF_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Read a whole file (tests only; aborts the test on failure). Caller frees. */
uint8_t *kf_test_read_file(const char *path, size_t *len);

/* Decode a hex string ("0a 1b..." spaces ignored) into buf; returns length. */
size_t kf_test_hex(const char *hex, uint8_t *buf, size_t cap);

/* The sink holds event e (a decoder's test asks whether it said so). */
struct kf_events;
bool kf_test_has_event(const struct kf_events *ev, int e);

/* A row of a malformed-input table (STYLE.md 21a): the hex vector `base`,
 * patched at `off` with the hex bytes `patch`, cut to `len` bytes
 * (KF_TEST_KEEP: uncut); `ev` is the event the decoder must raise. */
#define KF_TEST_KEEP ((size_t)-1)
struct kf_test_bad {
	const char *name;
	const char *base;
	size_t off;
	const char *patch;
	size_t len;
	int ev;
};

/* The row's bytes in a malloc'd buffer of exactly their size (so ASan sees a
 * read past the end), their count in *n; the caller frees. */
uint8_t *kf_test_bad_input(const struct kf_test_bad *b, size_t *n);

struct Suite;
/* Run a Check suite with normal output; the process exit status (0 when
 * every test passed, 1 otherwise). */
int kf_test_run(struct Suite *s);
/* The same with a fresh directory /tmp/kf-check-NAME-XXXXXX written into dir
 * before suite() builds the tests, and removed (with its files) after. */
int kf_test_run_in_dir(struct Suite *(*suite)(void), const char *name, char *dir, size_t len);

#endif
