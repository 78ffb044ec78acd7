/* testutil.h - small helpers shared by the Check suites. */
#ifndef KF_TESTUTIL_H
#define KF_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file (tests only; aborts the test on failure). Caller frees. */
uint8_t *kf_test_read_file(const char *path, size_t *len);

/* Decode a hex string ("0a 1b..." spaces ignored) into buf; returns length. */
size_t kf_test_hex(const char *hex, uint8_t *buf, size_t cap);

struct Suite;
/* Run a Check suite with normal output; the process exit status (0 when
 * every test passed, 1 otherwise). */
int kf_test_run(struct Suite *s);
/* The same with a fresh directory /tmp/kf-check-NAME-XXXXXX written into dir
 * before suite() builds the tests, and removed (with its files) after. */
int kf_test_run_in_dir(struct Suite *(*suite)(void), const char *name, char *dir, size_t len);

#endif
