/* expect.h - a capture's expected findings, for regression suites of sample
 * captures (--expect / --write-expect, OUTPUT.md): rule id, severity and
 * evidence frames of each finding, in the report's order. */
#ifndef KF_EXPECT_H
#define KF_EXPECT_H

#include <stddef.h>
#include <stdio.h>

#include "result.h"

/* Write r's findings to path.  0, or -1 with the reason in err. */
int kf_expect_write(const struct kf_result *r, const char *path, char *err, size_t errlen);

/* Compare r's findings with the file at path.  0 when they are the same;
 * 1 when they differ, each difference printed to out; -1 when the file
 * cannot be read or is not an expectation file (the reason in err). */
int kf_expect_compare(const struct kf_result *r, const char *path, FILE *out, char *err, size_t errlen);

#endif
