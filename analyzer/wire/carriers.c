/* carriers.c - the table of carriers: claimed by port first, in this order,
 * then by content.  A new carrier is one file and one row here. */
#include "carriers.h"

/* one carrier a row */
/* clang-format off */
const struct kf_carrier_ops *const kf_carriers[] = {
	&kf_carrier_kerberos,
	&kf_carrier_kpasswd,
	&kf_carrier_dns,
	&kf_carrier_smb,
	&kf_carrier_nbss,
	&kf_carrier_dcerpc,
	&kf_carrier_dcerpc_probed,
	&kf_carrier_ldap,
	&kf_carrier_ldap_gc,
	&kf_carrier_tds,
	&kf_carrier_tds_probed,
	&kf_carrier_http,
	&kf_carrier_tls,
	&kf_carrier_ldap_any,
};
/* clang-format on */
const size_t kf_n_carriers = sizeof kf_carriers / sizeof kf_carriers[0];
