/* carriers.h - the carriers krbflow follows (one file each) and what they
 * share.  Internal to wire/. */
#ifndef KF_CARRIERS_H
#define KF_CARRIERS_H

#include "carrier.h"
#include "conn.h"

#define KF_KRB_PORT 88

extern const struct kf_carrier_ops kf_carrier_kerberos;      /* carrier_krb.c: port 88 */
extern const struct kf_carrier_ops kf_carrier_kpasswd;       /* carrier_kpasswd.c: port 464 */
extern const struct kf_carrier_ops kf_carrier_dns;           /* carrier_dns.c: port 53 */
extern const struct kf_carrier_ops kf_carrier_smb;           /* carrier_smb.c: SMB on port 445 */
extern const struct kf_carrier_ops kf_carrier_nbss;          /* carrier_smb.c: SMB over NetBIOS, port 139 */
extern const struct kf_carrier_ops kf_carrier_dcerpc;        /* carrier_dcerpc.c: DCE/RPC on port 135 */
extern const struct kf_carrier_ops kf_carrier_dcerpc_probed; /* carrier_dcerpc.c: a bind on any port */
extern const struct kf_carrier_ops kf_carrier_ldap;          /* carrier_ldap.c: LDAP binds, port 389 */
extern const struct kf_carrier_ops kf_carrier_ldap_gc;       /* carrier_ldap.c: the global catalog, 3268 */
extern const struct kf_carrier_ops kf_carrier_tds;           /* carrier_tds.c: SQL Server logins, port 1433 */
extern const struct kf_carrier_ops kf_carrier_tds_probed;    /* carrier_tds.c: a PRELOGIN on any port */
extern const struct kf_carrier_ops kf_carrier_http;          /* carrier_http.c: HTTP/1.x on any port */
extern const struct kf_carrier_ops kf_carrier_tls;           /* carrier_tls.c: TLS ClientHello on any port */
extern const struct kf_carrier_ops kf_carrier_ldap_any;      /* carrier_ldap.c: an LDAP bind on any port */

#endif
