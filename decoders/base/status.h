/* status.h - program errors (not input errors: malformed input is an event). */
#ifndef KF_STATUS_H
#define KF_STATUS_H

enum kf_status {
	KF_OK = 0,
	KF_NOMEM,  /* an allocation failed or a cap on our own memory was hit */
	KF_IO,     /* the capture could not be read */
	KF_LIMIT,  /* a configured cap refused the request */
	KF_BADARG, /* the caller broke a contract */
};

#if defined(__GNUC__)
#define KF_WUR __attribute__((warn_unused_result))
#else
#define KF_WUR
#endif

const char *kf_status_name(enum kf_status st);

#endif
