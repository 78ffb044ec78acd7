/* audit.c - placeholder until the audit lands (issue 8). */
#include <stdio.h>

#include "audit.h"

int kf_audit_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "krbflow: audit is not available yet\n");
	return 2;
}

int kf_merge_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "krbflow: merge is not available yet\n");
	return 2;
}
