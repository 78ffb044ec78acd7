# shellcheck shell=bash disable=SC2153  # REALM, TMP, ... come from lab.sh
# Scenario group "s4u2": more shapes of refused constrained delegation (S4U)
# on the deleg group's hosts and KDCs: two service accounts refused on one
# host, a DB2 KDB (no delegation rules at all), a target that requires
# pre-authentication, and a TGT sent to the wrong realm's KDC; two of them on
# samba.sh's AD DC. Sourced by samples/lab/lab.sh after deleg.sh and before
# samba.sh (groups are sourced in name order); it reuses deleg.sh's hosts, KDCs
# and helpers, and samba.sh's DC (samba_setup runs once, whoever lists it).
# Notes: s4u2.md next to this file.

S4U2_SCENARIOS=(s4u2-two-accounts-denied s4u2-one-of-two-denied s4u2-denied-then-allowed
                s4u2-db2-denied s4u2-target-preauth s4u2-target-preauth-ldap
                s4u2-target-preauth-ok s4u2-self-preauth s4u2-xrealm-wrong-kdc
                s4u2-xrealm-wrong-kdc-lab s4u2-samba-two-accounts-denied s4u2-samba-wrong-kdc)
# the scenarios that also need samba.sh's AD DC (samba_setup runs once per run)
S4U2_SAMBA_SCENARIOS=(s4u2-samba-two-accounts-denied s4u2-samba-wrong-kdc)
ALL_SCENARIOS+=("${S4U2_SCENARIOS[@]}")
LAB_PACKAGES+=(editcap:wireshark-common)
# The deleg group's hosts and KDCs (OTHER.TEST, S4U.TEST) serve these
# scenarios too: add them to the scenario lists of deleg.sh's setup hooks
# (which run once, whichever group's scenarios are selected).
for s4u2_i in "${!LAB_SETUP[@]}"; do
    case ${LAB_SETUP[$s4u2_i]} in
        "deleg_setup_hosts "*|"deleg_setup_kdc2 "*|"deleg_setup_kdc3 "*)
            LAB_SETUP[s4u2_i]+=" ${S4U2_SCENARIOS[*]}" ;;
    esac
done
unset s4u2_i
LAB_SETUP+=("s4u2_setup ${S4U2_SCENARIOS[*]}")
LAB_SETUP+=("samba_setup ${S4U2_SAMBA_SCENARIOS[*]}")
LAB_SETUP+=("s4u2_samba_setup ${S4U2_SAMBA_SCENARIOS[*]}")

s4u2_dir() { echo "$TMP/s4u2"; }

s4u2_setup() {
    local d k3=(deleg_kadm "$TMP/kdc3" S4U.TEST)
    d=$(s4u2_dir)
    mkdir -p "$d"
    # S4U.TEST (LDAP KDB): two service accounts of one host with protocol
    # transition, both allowed to delegate to HTTP/back.s4u.test only; a
    # target that requires pre-authentication, in svc-a's list; and a third
    # account that itself requires pre-authentication (its keytab login is
    # pre-authenticated), allowed to delegate to that target.
    "${k3[@]}" "addprinc -randkey +ok_to_auth_as_delegate HTTP/svc-a.s4u.test"
    "${k3[@]}" "addprinc -randkey +ok_to_auth_as_delegate HTTP/svc-b.s4u.test"
    "${k3[@]}" "addprinc -randkey +ok_to_auth_as_delegate +requires_preauth HTTP/svc-pa.s4u.test"
    "${k3[@]}" "addprinc -randkey +requires_preauth HTTP/pa.s4u.test"
    "${k3[@]}" "ktadd -k $d/s4u.keytab HTTP/svc-a.s4u.test HTTP/svc-b.s4u.test HTTP/svc-pa.s4u.test"
    deleg_ldap ldapmodify <<EOF
dn: krbPrincipalName=HTTP/svc-a.s4u.test@S4U.TEST,$DELEG_LDAP_REALM_DN
changetype: modify
add: krbAllowedToDelegateTo
krbAllowedToDelegateTo: HTTP/back.s4u.test@S4U.TEST
krbAllowedToDelegateTo: HTTP/pa.s4u.test@S4U.TEST

dn: krbPrincipalName=HTTP/svc-b.s4u.test@S4U.TEST,$DELEG_LDAP_REALM_DN
changetype: modify
add: krbAllowedToDelegateTo
krbAllowedToDelegateTo: HTTP/back.s4u.test@S4U.TEST

dn: krbPrincipalName=HTTP/svc-pa.s4u.test@S4U.TEST,$DELEG_LDAP_REALM_DN
changetype: modify
add: krbAllowedToDelegateTo
krbAllowedToDelegateTo: HTTP/pa.s4u.test@S4U.TEST
EOF
    # LAB.TEST (DB2 KDB, which stores no delegation rules): a front end with
    # protocol transition and no pre-authentication (as a keytab service
    # account usually is), a target without and one with requires_preauth
    # (the lab's default flags set it).
    deleg_kadm_lab "addprinc -randkey +ok_to_auth_as_delegate -requires_preauth HTTP/s4ufront.lab.test"
    deleg_kadm_lab "addprinc -randkey -requires_preauth HTTP/s4uback.lab.test"
    deleg_kadm_lab "addprinc -randkey HTTP/s4upa.lab.test"
    # a front end whose requires_preauth is set after its login (s4u2-self-preauth)
    deleg_kadm_lab "addprinc -randkey +ok_to_auth_as_delegate -requires_preauth HTTP/s4uself.lab.test"
    deleg_kadm_lab "ktadd -k $d/lab.keytab HTTP/s4ufront.lab.test HTTP/s4uself.lab.test"
    keys_service "$d/s4u.keytab" "kf-front, the S4U service accounts HTTP/svc-a, svc-b and svc-pa.s4u.test"
    keys_service "$d/lab.keytab" "kf-front, the S4U front end HTTP/s4ufront.lab.test (LAB.TEST, DB2)"
    deleg_conf "$d/s4u.conf" S4U.TEST
    deleg_conf "$d/lab.conf" "$REALM"
    # after the last scenario (the keys hooks run then): the -cut variants
    LAB_KEYS_HOOKS+=(s4u2_cut_captures)
}

# Two captures cut to the S4U2Proxy's TCP connection (frames 7-18: SYN to
# the last ACK), as a capture started after the front end's login and its
# S4U2Self would be: samples/README.md counts such a cut of a real lab
# capture as a variant.
s4u2_cut_captures() {
    local c
    for c in target-preauth xrealm-wrong-kdc; do
        [[ -f $OUTDIR/s4u2-$c.pcap ]] || continue
        editcap -F pcap -r "$OUTDIR/s4u2-$c.pcap" "$OUTDIR/s4u2-$c-cut.pcap" 7-18 \
            || die "editcap s4u2-$c"
        chmod 644 "$OUTDIR/s4u2-$c-cut.pcap"
        log "  s4u2-$c-cut.pcap: frames 7-18 of s4u2-$c.pcap"
    done
}

# s4u2_front CONF KEYTAB PRINCIPAL KVNO-ARGS...: on kf-front, the service
# account logs in with its keytab (forwardable TGT) and runs kvno.
s4u2_front() {
    local conf=$1 kt=$2 princ=$3 d; shift 3
    d=$(s4u2_dir)
    rm -f "$d/ccache"
    local fenv=(env KRB5_CONFIG="$d/$conf" KRB5CCNAME="FILE:$d/ccache" KRB5_TRACE="$d/trace.log")
    in_ns kf-front "${fenv[@]}" kinit -f -k -t "$d/$kt" "$princ" || die "kinit -k $princ"
    in_ns kf-front "${fenv[@]}" kvno "$@"
}

# 1. Two service accounts of one host (kf-front) both refused S4U2Proxy to
# a target in neither allowed list: two refusals, two accounts.
scenario_file_s4u2-two-accounts-denied() { echo s4u2-two-accounts-denied.pcap; }
scenario_capture_s4u2-two-accounts-denied() { deleg_on_bridge; }
scenario_s4u2-two-accounts-denied() {
    expect_fail s4u2_front s4u.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P HTTP/db.s4u.test
    expect_fail s4u2_front s4u.conf s4u.keytab HTTP/svc-b.s4u.test -U alice -P HTTP/db.s4u.test
}

# 2. Near miss of 1: one account's S4U2Proxy works, the other's is refused.
scenario_file_s4u2-one-of-two-denied() { echo s4u2-one-of-two-denied.pcap; }
scenario_capture_s4u2-one-of-two-denied() { deleg_on_bridge; }
scenario_s4u2-one-of-two-denied() {
    s4u2_front s4u.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P HTTP/back.s4u.test >&2 \
        || die "s4u2-one-of-two-denied: svc-a was refused"
    expect_fail s4u2_front s4u.conf s4u.keytab HTTP/svc-b.s4u.test -U alice -P HTTP/db.s4u.test
}

# 3. One account refused for one target, then granted another: the grant
# comes after the refusal in the capture.
scenario_file_s4u2-denied-then-allowed() { echo s4u2-denied-then-allowed.pcap; }
scenario_capture_s4u2-denied-then-allowed() { deleg_on_bridge; }
scenario_s4u2-denied-then-allowed() {
    expect_fail s4u2_front s4u.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P HTTP/db.s4u.test
    s4u2_front s4u.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P HTTP/back.s4u.test >&2 \
        || die "s4u2-denied-then-allowed: svc-a was refused HTTP/back.s4u.test"
}

# 4. A DB2 KDB holds no delegation rules: every S4U2Proxy is refused
# (BADOPTION, UNSUPPORTED_S4U2PROXY_REQUEST), whatever the target.
scenario_file_s4u2-db2-denied() { echo s4u2-db2-denied.pcap; }
scenario_capture_s4u2-db2-denied() { deleg_on_bridge; }
scenario_s4u2-db2-denied() {
    expect_fail s4u2_front lab.conf lab.keytab HTTP/s4ufront.lab.test -U alice -P HTTP/s4uback.lab.test
}

# 5. The target requires pre-authentication and the front end's TGT was not
# pre-authenticated (its account does not require it): KRB_ERR_GENERIC,
# e-text "NO PREAUTH", before any delegation rule is consulted. DB2 KDB.
scenario_file_s4u2-target-preauth() { echo s4u2-target-preauth.pcap; }
scenario_capture_s4u2-target-preauth() { deleg_on_bridge; }
scenario_s4u2-target-preauth() {
    expect_fail s4u2_front lab.conf lab.keytab HTTP/s4ufront.lab.test -U alice -P HTTP/s4upa.lab.test
}

# 6. The same on the LDAP KDB, the target in the front end's allowed list.
scenario_file_s4u2-target-preauth-ldap() { echo s4u2-target-preauth-ldap.pcap; }
scenario_capture_s4u2-target-preauth-ldap() { deleg_on_bridge; }
scenario_s4u2-target-preauth-ldap() {
    expect_fail s4u2_front s4u.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P HTTP/pa.s4u.test
}

# 7. Near miss of 6: a front end whose own account requires
# pre-authentication logs in with it, and the same target is granted.
scenario_file_s4u2-target-preauth-ok() { echo s4u2-target-preauth-ok.pcap; }
scenario_capture_s4u2-target-preauth-ok() { deleg_on_bridge; }
scenario_s4u2-target-preauth-ok() {
    s4u2_front s4u.conf s4u.keytab HTTP/svc-pa.s4u.test -U alice -P HTTP/pa.s4u.test >&2 \
        || die "s4u2-target-preauth-ok: refused"
}

# 7b. NO PREAUTH on the S4U2Self: the front end logs in without
# pre-authentication, then its principal gets requires_preauth (kadmin.local,
# no traffic), and its S4U2Self (whose service is itself) is refused.
scenario_file_s4u2-self-preauth() { echo s4u2-self-preauth.pcap; }
scenario_capture_s4u2-self-preauth() { deleg_on_bridge; }
scenario_s4u2-self-preauth() {
    local d; d=$(s4u2_dir)
    rm -f "$d/ccache"
    local fenv=(env KRB5_CONFIG="$d/lab.conf" KRB5CCNAME="FILE:$d/ccache" KRB5_TRACE="$d/trace.log")
    in_ns kf-front "${fenv[@]}" kinit -f -k -t "$d/lab.keytab" HTTP/s4uself.lab.test || die "kinit -k s4uself"
    deleg_kadm_lab "modprinc +requires_preauth HTTP/s4uself.lab.test"
    local rc=0
    in_ns kf-front "${fenv[@]}" kvno -U alice -P HTTP/s4uback.lab.test >/dev/null 2>"$TMP/client/last.err" || rc=1
    deleg_kadm_lab "modprinc -requires_preauth HTTP/s4uself.lab.test"
    [[ $rc == 1 ]] || die "s4u2-self-preauth: the S4U2Self was not refused"
    log "  (expected) $(tr '\n' ' ' <"$TMP/client/last.err")"
}

# 8. The target named with its realm (HTTP/app.other.test@OTHER.TEST):
# MIT 1.20's client sends the S4U2Proxy with its S4U.TEST TGT straight to
# OTHER.TEST's KDC, which has no key for krbtgt/S4U.TEST@S4U.TEST.
scenario_file_s4u2-xrealm-wrong-kdc() { echo s4u2-xrealm-wrong-kdc.pcap; }
scenario_capture_s4u2-xrealm-wrong-kdc() { deleg_on_bridge; }
scenario_s4u2-xrealm-wrong-kdc() {
    expect_fail s4u2_front s4u.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P HTTP/app.other.test@OTHER.TEST
}

# 9. The same towards LAB.TEST, a realm with no trust with S4U.TEST at all.
scenario_file_s4u2-xrealm-wrong-kdc-lab() { echo s4u2-xrealm-wrong-kdc-lab.pcap; }
scenario_capture_s4u2-xrealm-wrong-kdc-lab() { deleg_on_bridge; }
scenario_s4u2-xrealm-wrong-kdc-lab() {
    expect_fail s4u2_front s4u.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P "HTTP/s4uback.lab.test@$REALM"
}

# ------------------------------------------------------------ Samba AD DC ---
# kf-front (the S4U.TEST front end) and the DC see each other; a krb5.conf
# that knows AD.LAB.TEST besides the deleg group's realms.
s4u2_samba_setup() {
    ns_static_neighbour kf-front "$SMB4" "$SMB_MAC"
    ns_static_neighbour "$SMB_NS" "$DELEG_FRONT4" "$DELEG_FRONT_MAC"
    awk -v realm="$SMB_REALM" -v kdc="$SMB4" '
        { print }
        /^\[realms\]/ { print "    " realm " = {\n        kdc = " kdc "\n    }" }
    ' "$(s4u2_dir)/s4u.conf" >"$(s4u2_dir)/s4u-ad.conf"
    grep -q "kdc = $SMB4" "$(s4u2_dir)/s4u-ad.conf" || die "s4u-ad.conf"
}

# 10. On the Samba AD DC (bare KDC_ERR_BADOPTION, no cname in its errors):
# two service accounts of kf-adfe, websvc (protocol transition) and appsvc
# (none), both refused S4U2Proxy to cifs/files.ad.lab.test, in neither's
# msDS-AllowedToDelegateTo.
scenario_file_s4u2-samba-two-accounts-denied() { echo s4u2-samba-two-accounts-denied.pcap; }
scenario_capture_s4u2-samba-two-accounts-denied() { deleg_on_bridge; }
scenario_s4u2-samba-two-accounts-denied() {
    local acct
    for acct in websvc appsvc; do
        rm -f "$SMB_DIR/fe.ccache"
        samba_fe kinit -k -t "$SMB_DIR/$acct.keytab" "$acct" >/dev/null
        expect_fail samba_fe kvno -U alice -P cifs/files.ad.lab.test
    done
}

# 11. The S4U.TEST front end names a back end of AD.LAB.TEST with its realm:
# its S4U.TEST TGT goes straight to the Samba DC.
scenario_file_s4u2-samba-wrong-kdc() { echo s4u2-samba-wrong-kdc.pcap; }
scenario_capture_s4u2-samba-wrong-kdc() { deleg_on_bridge; }
scenario_s4u2-samba-wrong-kdc() {
    expect_fail s4u2_front s4u-ad.conf s4u.keytab HTTP/svc-a.s4u.test -U alice -P "HTTP/web.ad.lab.test@$SMB_REALM"
}
