/* finding.c - names of the finding vocabulary. */
#include "finding.h"

#include <string.h>

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

const char *kf_subject_kind_name(enum kf_subject_kind k)
{
	static const char *const names[KF_SUBJECT__COUNT] = { "client", "user", "service", "server", "kdc" };
	return (unsigned)k < KF_SUBJECT__COUNT ? names[k] : "unknown";
}
