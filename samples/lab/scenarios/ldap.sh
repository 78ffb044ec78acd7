# shellcheck shell=bash disable=SC2153  # TMP, SMB_*, fs_samba_dirs ... come from lab.sh, samba.sh, smb.sh
# Scenario group "ldap": LDAP binds and DCE/RPC binds against the samba
# group's AD domain controller (samba.sh: realm AD.LAB.TEST, host kf-dc,
# 10.88.0.50). This group's setup turns on the DC's LDAP, RPC and SMB services
# and then provisions it with samba.sh's samba_setup (once per run:
# with samba scenarios selected too, the same DC serves both groups; their
# captures are KDC traffic only and look the same). Captures and what each
# shows: ldap.md next to this file.
#
#   sudo bash samples/lab/lab.sh /tmp/out $(bash -c 'source samples/lab/scenarios/ldap.sh; echo "${LDAP_SCENARIOS[@]}"')
#
# Clients, all in the lab's kf-client: ldapsearch (OpenLDAP, Cyrus SASL with
# its GSSAPI plug-in on MIT Kerberos) and rpcclient (Samba 4.17, its
# embedded Heimdal). Host names resolve only through a hosts file
# bind-mounted over /etc/hosts in a mount namespace of the client's own
# (ldap_client): dc.ad.lab.test (the DC, whose SPNs the provision made) and
# dir.ad.lab.test (the same address, a name no account has an SPN for).

LDAP_DIR=        # $TMP/ldap: hosts file, client smb.conf, auth files
LDAP_SCENARIOS=(ldap_gssapi_ok ldap_gss_spnego_ok ldap_simple_bad_password
                ldap_simple_account_errors ldap_sasl_spn_unknown ldap_ntlmv1_refused
                ldap_clock_skew rpc_over_smb_pipe ldap_spnego_ntlm_fallback rpc_tcp_lsa_denied
                rpc_kerberos_ok rpc_ntlm_bad_password rpc_ntlm_ok)
ALL_SCENARIOS+=("${LDAP_SCENARIOS[@]}")
LAB_PACKAGES+=(ldapsearch:ldap-utils
               /usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so:libsasl2-modules-gssapi-mit
               /usr/lib/x86_64-linux-gnu/sasl2/libntlm.so:libsasl2-modules
               /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so:gss-ntlmssp
               rpcclient:samba-common-bin)
LAB_SETUP+=("ldap_setup ${LDAP_SCENARIOS[*]}")

# LDAP_IN_CLIENT_SH: the rest of the command line in a mount namespace where
# $1 replaces /etc/hosts (execs, so the command keeps the PID)
# shellcheck disable=SC2016  # expanded by that sh, not here
LDAP_IN_CLIENT_SH='mount --bind "$1" /etc/hosts || exit 1; shift; exec "$@"'

ldap_setup() {
    # The DC's LDAP server, its DCE/RPC server (the endpoint mapper on 135
    # and the dynamic ports), smbd (s3fs: named pipes) and the winbindd smbd
    # needs, reached through /run/samba (SMB_PRIVATE_RUN: see samba.sh).
    # Samba refuses simple binds without TLS by default (strong auth):
    # allowed here, so that a wrong password is answered with its LDAP error.
    # shellcheck disable=SC2034  # read by samba_setup
    SMB_SERVICES="kdc, ldap, rpc, s3fs, winbindd"
    # shellcheck disable=SC2034
    SMB_WAIT_TCP=(389 135 445)
    # shellcheck disable=SC2034
    SMB_PRIVATE_RUN=1
    # shellcheck disable=SC2034
    SMB_EXTRA_CONF=("ldap server require strong auth = no")
    samba_setup
    # The DC's own SPNs beyond HOST/ (ldap/dc.ad.lab.test, GC/, ...): a DC
    # registers them at start with samba_spnupdate (run by the dnsupdate
    # service, which the lab's DC does not run); run here, on the local
    # database.
    samba_spnupdate -s "$SMB_CONF" >>"$SMB_DIR/samba-tool.log" 2>&1 \
        || die "samba_spnupdate failed (see $SMB_DIR/samba-tool.log)"

    LDAP_DIR=$TMP/ldap
    local D=$LDAP_DIR
    mkdir -p "$D"/{lock,state,cache,private,run,bind-dns,log}
    printf '127.0.0.1 localhost\n%s dc.%s dc\n%s dir.%s\n' \
        "$SMB4" "${SMB_REALM,,}" "$SMB4" "${SMB_REALM,,}" >"$D/hosts"
    chmod 644 "$D/hosts"
    # rpcclient's smb.conf: its own state under $LDAP_DIR (the directory
    # lines smb.sh gives its clients), names from the hosts file only
    cat >"$D/smb.conf" <<EOF
[global]
    netbios name = CLIENT
    workgroup = $SMB_DOMAIN
    realm = $SMB_REALM
    disable netbios = yes
    name resolve order = host
$(fs_samba_dirs "$D")
EOF
    # Passwords never on a command line: rpcclient -A files, ldapsearch -y
    # files (the whole file is the password: no newline)
    printf 'username = alice\npassword = %s\ndomain = %s\n' "$SMB_ALICE_PW" "$SMB_DOMAIN" >"$D/alice.auth"
    printf 'username = alice\npassword = wrong-%s\ndomain = %s\n' "$SMB_ALICE_PW" "$SMB_DOMAIN" >"$D/alice-wrong.auth"
    printf '%s' "$SMB_ALICE_PW" >"$D/alice.pw"
    printf 'wrong-%s' "$SMB_ALICE_PW" >"$D/alice-wrong.pw"
    printf '%s' "$SMB_USER_PW" >"$D/user.pw"
    # gss-ntlmssp's user file (DOMAIN:user:password) and a mechanism list
    # that names it, for MIT's SPNEGO (ldap_spnego_ntlm_fallback)
    printf '%s:alice:%s\n' "$SMB_DOMAIN" "$SMB_ALICE_PW" >"$D/ntlm-user"
    printf 'gssntlmssp_v1 1.3.6.1.4.1.311.2.2.10 %s\n' \
        /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so >"$D/gss-mech-ntlm.conf"
    chmod 600 "$D"/*.auth "$D"/*.pw "$D/ntlm-user"
    # ldap_clock_skew's krb5.conf: the client applies the time offset its
    # ccache holds
    sed 's/kdc_timesync = 0/kdc_timesync = 1/' "$SMB_KCONF" >"$D/krb5-timesync.conf"
    grep -q 'kdc_timesync = 1' "$D/krb5-timesync.conf" || die "no kdc_timesync in $SMB_KCONF"
}

# ldap_ccache_offset CCACHE SECONDS: set the KDC time offset an MIT file
# ccache (version 4) holds in its header (tag 1, DELTATIME), replacing any:
# with kdc_timesync = 1 MIT's library adds it to the clock it puts into
# authenticators, as when the KDC's clock differs from the client's.
ldap_ccache_offset() {
    python3 - "$1" "$2" <<'PY' || die "could not set the time offset of $1"
import struct, sys
path, offset = sys.argv[1], int(sys.argv[2])
data = open(path, 'rb').read()
if data[:2] != b'\x05\x04':
    sys.exit('not a version 4 file ccache')
hlen = struct.unpack('>H', data[2:4])[0]
header, rest = data[4:4 + hlen], data[4 + hlen:]
tags, i = b'', 0
while i + 4 <= len(header):
    tag, tlen = struct.unpack('>HH', header[i:i + 4])
    if tag != 1:
        tags += header[i:i + 4 + tlen]
    i += 4 + tlen
tags += struct.pack('>HHii', 1, 8, offset, 0)
open(path, 'wb').write(data[:2] + struct.pack('>H', len(tags)) + tags + rest)
PY
}

# ldap_client CMD...: CMD in kf-client with the lab's ccache, the AD realm's
# krb5.conf and the hosts file; no ldap.conf/.ldaprc (LDAPNOINIT)
ldap_client() {
    client "${LDAP_KCONF:-$SMB_KCONF}" env LDAPNOINIT=1 \
        unshare --mount sh -c "$LDAP_IN_CLIENT_SH" sh "$LDAP_DIR/hosts" "$@"
}

# ldap_run EXPECT NAME CMD...: ldap_client CMD, its output in
# $LDAP_DIR/NAME.out; EXPECT ok|fail
ldap_run() {
    local want=$1 name=$2 rc=0; shift 2
    ldap_client "$@" </dev/null >"$LDAP_DIR/$name.out" 2>&1 || rc=$?
    log "  $name -> rc $rc: $(grep -v '^\s*$' "$LDAP_DIR/$name.out" | tail -n 2 | tr '\n' ' ')"
    if [[ $want == ok && $rc != 0 ]] || [[ $want == fail && $rc == 0 ]]; then
        cat "$LDAP_DIR/$name.out" >&2
        die "$name: expected $want, got exit code $rc"
    fi
}

ldap_kinit() { kinit_pw "$SMB_KCONF" "$SMB_ALICE_PW" alice >/dev/null; }
LDAP_DC=dc.ad.lab.test
LDAP_BASE=DC=ad,DC=lab,DC=test
# a base search of the domain object: one entry, a few attributes
LDAP_QUERY=(-b "$LDAP_BASE" -s base '(objectClass=*)' name objectSid)

# ldap_simple NAME USER PWFILE: one simple bind (and search) that must fail
ldap_simple() {
    ldap_run fail "$1" ldapsearch -x -H "ldap://$LDAP_DC" -D "$2@${SMB_REALM,,}" \
        -y "$LDAP_DIR/$3" "${LDAP_QUERY[@]}"
}

# ldap_rpcclient EXPECT ARGS...: rpcclient in kf-client
ldap_rpcclient() {
    local want=$1; shift
    ldap_run "$want" rpcclient rpcclient -s "$LDAP_DIR/smb.conf" "$@"
}

# --------------------------------------------------------------- scenarios ---
# LDAP, SASL GSSAPI: TGS for ldap/dc.ad.lab.test, the bind's SASL steps
# (AP-REQ / AP-REP, then the security-layer negotiation wrapped), success,
# and the search sealed.
scenario_file_ldap_gssapi_ok() { echo ldap-gssapi-ok.pcap; }
scenario_ldap_gssapi_ok() {
    ldap_kinit
    ldap_run ok ldapsearch ldapsearch -N -Y GSSAPI -H "ldap://$LDAP_DC" "${LDAP_QUERY[@]}"
}

# LDAP, SASL GSS-SPNEGO (Cyrus' gs2 plug-in offers it over MIT's SPNEGO):
# the bind carries SPNEGO tokens as AD clients send them.
scenario_file_ldap_gss_spnego_ok() { echo ldap-gss-spnego-ok.pcap; }
scenario_ldap_gss_spnego_ok() {
    ldap_kinit
    ldap_run ok ldapsearch ldapsearch -N -Y GSS-SPNEGO -H "ldap://$LDAP_DC" "${LDAP_QUERY[@]}"
}

# A simple bind with a wrong password: invalidCredentials (49), data 52e.
scenario_file_ldap_simple_bad_password() { echo ldap-simple-bad-password.pcap; }
scenario_ldap_simple_bad_password() {
    ldap_simple ldapsearch alice alice-wrong.pw
}

# Simple binds of the samba group's problem accounts, with their right
# passwords, one connection each: locked out (775), disabled (533), account
# expired (701), password expired (532), must change (773).
scenario_file_ldap_simple_account_errors() { echo ldap-simple-account-errors.pcap; }
scenario_ldap_simple_account_errors() {
    local u
    for u in lockme dave frank erin gina; do
        ldap_simple "ldapsearch-$u" $u user.pw
    done
}

# SASL GSSAPI to a host name no account has an SPN for: the TGS-REQ for
# ldap/dir.ad.lab.test gets KDC_ERR_S_PRINCIPAL_UNKNOWN and the client never
# binds (the connection is opened and closed).
scenario_file_ldap_sasl_spn_unknown() { echo ldap-sasl-spn-unknown.pcap; }
scenario_ldap_sasl_spn_unknown() {
    ldap_kinit
    ldap_run fail ldapsearch ldapsearch -N -Y GSSAPI -H "ldap://dir.${SMB_REALM,,}" "${LDAP_QUERY[@]}"
}

# SASL GSSAPI with the client's clock 10 minutes ahead of the DC's: the
# service ticket is fetched first (kvno, no offset), then the ccache's time
# offset is set to +600 s and ldapsearch puts that time into the AP-REQ's
# authenticator. No TGS-REQ in between (the ticket is in the ccache).
scenario_file_ldap_clock_skew() { echo ldap-clock-skew.pcap; }
scenario_ldap_clock_skew() {
    ldap_kinit
    client "$SMB_KCONF" kvno "ldap/$LDAP_DC" >/dev/null
    ldap_ccache_offset "$TMP/client/ccache" 600
    LDAP_KCONF=$LDAP_DIR/krb5-timesync.conf \
        ldap_run fail ldapsearch ldapsearch -N -Y GSSAPI -H "ldap://$LDAP_DC" "${LDAP_QUERY[@]}"
}

# SASL NTLM with the right password: Cyrus' ntlm plug-in answers the
# CHALLENGE with an NTLMv1 response, which the DC refuses (Samba's default
# "ntlm auth = ntlmv2-only"): invalidCredentials, data 52e, as for a wrong
# password.
scenario_file_ldap_ntlmv1_refused() { echo ldap-ntlmv1-refused.pcap; }
scenario_ldap_ntlmv1_refused() {
    ldap_run fail ldapsearch ldapsearch -Y NTLM -U alice -X "" -y "$LDAP_DIR/alice.pw" \
        -H "ldap://$LDAP_DC" "${LDAP_QUERY[@]}"
}

# DCE/RPC over TCP with Kerberos: the endpoint mapper on 135 (epm_Map for
# SAMR), then the bind with the AP-REQ on the dynamic port, signed;
# enumdomains. (Not lsaquery: Samba 4.17 answers lsa_OpenPolicy over
# ncacn_ip_tcp with a fault nca_s_fault_access_denied after a good bind;
# SAMR over TCP works; rpc_tcp_lsa_denied captures the refusal.)
scenario_file_rpc_kerberos_ok() { echo rpc-kerberos-ok.pcap; }
scenario_rpc_kerberos_ok() {
    ldap_kinit
    ldap_rpcclient ok --use-kerberos=required -N "ncacn_ip_tcp:${LDAP_DC}[sign]" -c enumdomains
}

# DCE/RPC over TCP, NTLM with a wrong password.
scenario_file_rpc_ntlm_bad_password() { echo rpc-ntlm-bad-password.pcap; }
scenario_rpc_ntlm_bad_password() {
    ldap_rpcclient fail --use-kerberos=disabled -A "$LDAP_DIR/alice-wrong.auth" \
        "ncacn_ip_tcp:${LDAP_DC}[sign]" -c enumdomains
}

# DCE/RPC over TCP, NTLM with the right password to the DC's address: the
# user has a TGT (the kinit is in the capture), but an address gives no SPN.
scenario_file_rpc_ntlm_ok() { echo rpc-ntlm-ok.pcap; }
scenario_rpc_ntlm_ok() {
    ldap_kinit
    ldap_rpcclient ok -A "$LDAP_DIR/alice.auth" "ncacn_ip_tcp:${SMB4}[sign]" -c enumdomains
}

# rpcclient's default transport: the \\lsarpc named pipe over SMB to the DC's
# IPC$, with Kerberos (the SESSION_SETUP's ticket is for cifs/dc.ad.lab.test,
# which the DC's sPNMappings map to its HOST/ SPN), then the RPC bind inside
# the pipe (SMB2 CREATE, WRITE/READ or IOCTL on the file).
scenario_file_rpc_over_smb_pipe() { echo rpc-over-smb-pipe.pcap; }
scenario_rpc_over_smb_pipe() {
    ldap_kinit
    ldap_rpcclient ok --use-kerberos=required -N "$LDAP_DC" -c lsaquery
}

# SASL GSS-SPNEGO to the name without an SPN, with NTLM available to MIT's
# SPNEGO (gss-ntlmssp and alice's password in its user file): the TGS-REQ for
# ldap/dir.ad.lab.test fails with KDC_ERR_S_PRINCIPAL_UNKNOWN, and SPNEGO
# falls back to NTLMSSP inside the same bind.
scenario_file_ldap_spnego_ntlm_fallback() { echo ldap-spnego-ntlm-fallback.pcap; }
scenario_ldap_spnego_ntlm_fallback() {
    ldap_kinit
    ldap_run any ldapsearch env GSS_MECH_CONFIG="$LDAP_DIR/gss-mech-ntlm.conf" \
        NTLM_USER_FILE="$LDAP_DIR/ntlm-user" NETBIOS_COMPUTER_NAME=CLIENT \
        ldapsearch -N -Y GSS-SPNEGO -H "ldap://dir.${SMB_REALM,,}" "${LDAP_QUERY[@]}"
}

# Kerberos over TCP works, then the DC refuses the call: Samba 4.17 answers
# lsa_OpenPolicy over ncacn_ip_tcp with a fault nca_s_fault_access_denied
# (authorization, after a good authenticated bind).
scenario_file_rpc_tcp_lsa_denied() { echo rpc-tcp-lsa-denied.pcap; }
scenario_rpc_tcp_lsa_denied() {
    ldap_kinit
    ldap_rpcclient fail --use-kerberos=required -N "ncacn_ip_tcp:${LDAP_DC}[sign]" -c lsaquery
}
