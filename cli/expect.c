/* expect.c - placeholder until --expect lands (issue 8). */
#include "expect.h"

int kf_expect_write(const struct kf_result *r, const char *path, char *err, size_t errlen)
{
	(void)r;
	(void)path;
	snprintf(err, errlen, "--write-expect is not available yet");
	return -1;
}

int kf_expect_compare(const struct kf_result *r, const char *path, FILE *out, char *err, size_t errlen)
{
	(void)r;
	(void)path;
	(void)out;
	snprintf(err, errlen, "--expect is not available yet");
	return -1;
}
