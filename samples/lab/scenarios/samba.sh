# shellcheck shell=bash
# Scenario group "samba": a Samba Active Directory domain controller (realm
# AD.LAB.TEST, NetBIOS domain ADLAB) whose KDC behaves like a Windows one:
# tickets carry a PAC, S4U is governed by msDS-AllowedToDelegateTo and
# UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION, and account problems come back as
# KRB-ERRORs whose e-data carries an NTSTATUS (KERB-EXT-ERROR, MS-KILE 2.2.1).
# See samba.md for the captures and for what Samba 4.17 cannot show (RBCD,
# cross-realm delegation).
#
#   sudo bash samples/lab/lab.sh samples samba_login samba_spn_unknown \
#       samba_s4u_allowed samba_s4u_denied samba_s4u_no_transition samba_account_errors
#
# KF_LAB_SAMBA_LOG_LEVEL=3 (with KF_LAB_KEEP=1) makes the KDC log its reasons
# (e.g. "constrained delegation ... not allowed") to $TMP/samba/samba.out.
#
# Hosts (on the lab's bridge, like the MIT KDC):
#   kf-dc    [kf-sdc0 10.88.0.50 fd88::50]  samba -i (KDC service only; with the
#                                           ldap group's scenarios also LDAP, RPC, SMB)
#   kf-adfe  [kf-sfe0 10.88.0.51 fd88::51]  a front-end server: runs S4U with
#                                           its service account's keytab
# Users log in from the lab's client namespace (kf-client).
#
# Everything Samba writes lives in $TMP/samba (provisioned with --targetdir,
# log, pid, socket and cache directories pointed there too); /etc/samba and
# /var/lib/samba are never used. The DC runs in the foreground with
# --maximum-runtime as a safety net; the lab's cleanup kills it and
# netns_teardown kills whatever is left in kf-dc.

SMB_REALM=AD.LAB.TEST
SMB_DOMAIN=ADLAB
SMB_NS=kf-dc
SMB_IF=kf-sdc0
SMB4=10.88.0.50
SMB6=fd88::50
SMB_MAC=02:88:00:00:00:50
SFE_NS=kf-adfe
SFE_IF=kf-sfe0
SFE4=10.88.0.51
SFE6=fd88::51
SFE_MAC=02:88:00:00:00:51
SMB_SCENARIOS=(samba_login samba_spn_unknown samba_s4u_allowed samba_s4u_denied
               samba_s4u_no_transition samba_account_errors)

ALL_SCENARIOS+=("${SMB_SCENARIOS[@]}")
# samba-ad-dc pulls in samba, the DSDB modules and winbind; samba-ad-provision
# (only a recommendation) holds the schema "domain provision" needs.
LAB_PACKAGES+=(samba:samba-ad-dc /usr/share/samba/setup/ad-schema:samba-ad-provision
               samba-tool:samba-common-bin ldbmodify:ldb-tools)
LAB_GROUP_NAMESPACES+=("$SMB_NS" "$SFE_NS")
LAB_SETUP+=("samba_setup ${SMB_SCENARIOS[*]}")

SMB_DIR=      # $TMP/samba: the provision (etc/, private/, state/), keytabs, logs
SMB_CONF=     # its smb.conf
SMB_KCONF=    # krb5.conf of the lab's Kerberos clients for AD.LAB.TEST
SMB_ADMIN_PW=; SMB_ALICE_PW=; SMB_USER_PW=
# The DC's services. Only the KDC by default; the ldap group (ldap.sh) widens
# this before it calls samba_setup, which then also waits for these TCP ports
# and adds these [global] lines.
SMB_SERVICES=kdc
SMB_WAIT_TCP=()
SMB_EXTRA_CONF=()
# 1: the DC runs in a mount namespace where $SMB_DIR/run replaces /run/samba.
# smbd (s3fs) reaches winbindd through libwbclient, whose socket path is built
# in (/run/samba/winbindd): smb.conf cannot move it.
SMB_PRIVATE_RUN=0
SMB_SETUP_DONE=0

# samba_tool ARGS...: samba-tool on the DC's local database (no network)
samba_tool() {
    samba-tool "$@" -s "$SMB_CONF" >>"$SMB_DIR/samba-tool.log" 2>&1 \
        || die "samba-tool $1 $2 failed (see $SMB_DIR/samba-tool.log)"
}

# samba_user NAME [SPN]: a user account (service accounts get an SPN)
samba_user() {
    samba_tool user create "$1" "$SMB_USER_PW"
    [[ -z ${2:-} ]] || samba_tool spn add "$2" "$1"
}

# samba_fe CMD...: a Kerberos client command on the front-end host, with its
# own credential cache (run_scenario only resets the client's)
samba_fe() {
    in_ns $SFE_NS env KRB5_CONFIG="$SMB_KCONF" KRB5CCNAME="FILE:$SMB_DIR/fe.ccache" \
        KRB5_TRACE="$TMP/client/trace.log" "$@"
}

samba_setup() {
    # once per run, whichever group's setup calls it first
    [[ $SMB_SETUP_DONE == 1 ]] && return 0
    SMB_SETUP_DONE=1
    SMB_DIR=$TMP/samba
    SMB_CONF=$SMB_DIR/etc/smb.conf
    SMB_KCONF=$SMB_DIR/krb5.conf
    mkdir -p "$SMB_DIR/log" "$SMB_DIR/run"
    # AD's default policy wants three character classes: the suffix makes
    # sure of that whatever gen_pw returns.
    SMB_ADMIN_PW="$(gen_pw)Aa1-"
    SMB_ALICE_PW="$(gen_pw)Aa1-"
    SMB_USER_PW="$(gen_pw)Aa1-"
    printf 'Administrator %s\nalice %s\nothers %s\n' "$SMB_ADMIN_PW" "$SMB_ALICE_PW" \
        "$SMB_USER_PW" >"$SMB_DIR/passwords"

    ns_add_host $SMB_NS $SMB_IF $SMB_MAC $SMB4/24 $SMB6/64
    ns_add_host $SFE_NS $SFE_IF $SFE_MAC $SFE4/24 $SFE6/64
    local ns
    for ns in $NS_CLIENT $SFE_NS; do
        ns_static_neighbour "$ns" $SMB4 $SMB_MAC
        ns_static_neighbour "$ns" $SMB6 $SMB_MAC
    done
    ns_static_neighbour $SMB_NS $CLIENT4 $MAC_CLIENT
    ns_static_neighbour $SMB_NS $CLIENT6 $MAC_CLIENT
    ns_static_neighbour $SMB_NS $SFE4 $SFE_MAC
    ns_static_neighbour $SMB_NS $SFE6 $SFE_MAC
    set_mtu 1500

    # Provision: every path Samba would otherwise take from its built-in
    # defaults (/var/log/samba, /run/samba, /var/lib/samba) goes to $SMB_DIR.
    # Only the KDC service runs: no SMB, LDAP, DNS, NetBIOS or replication
    # (samba-tool works on the local sam.ldb; "dns forwarder" would otherwise
    # be copied from the host's resolv.conf).
    # "kdc enable fast = no": a Windows DC does no FAST unless the armoring
    # policy is enabled. With Samba's default the MIT client armors its
    # TGS-REQs and Samba returns TGS errors inside the encrypted FAST reply
    # (the visible e-data is only PA-FX-FAST). Samba 4.17 still lists
    # PA-FX-FAST in PREAUTH_REQUIRED, so the TGS-REQs still carry armor, but
    # the KDC ignores it and answers in the clear.
    local t0=$SECONDS
    in_ns $SMB_NS samba-tool domain provision --realm=$SMB_REALM --domain=$SMB_DOMAIN \
        --server-role=dc --dns-backend=SAMBA_INTERNAL --use-rfc2307 \
        --adminpass="$SMB_ADMIN_PW" --host-name=dc --host-ip=$SMB4 --host-ip6=$SMB6 \
        --targetdir="$SMB_DIR" \
        --option="interfaces = $SMB4 $SMB6" --option="bind interfaces only = yes" \
        --option="server services = $SMB_SERVICES" \
        --option="log file = $SMB_DIR/log/log.%m" --option="log level = ${KF_LAB_SAMBA_LOG_LEVEL:-1}" \
        --option="pid directory = $SMB_DIR/run" \
        --option="ncalrpc dir = $SMB_DIR/run/ncalrpc" \
        --option="winbindd socket directory = $SMB_DIR/run/winbindd" \
        --option="ntp signd socket directory = $SMB_DIR/run/ntp_signd" \
        --option="dns forwarder = $SMB4" \
        >"$SMB_DIR/provision.log" 2>&1 || die "samba provision failed (see $SMB_DIR/provision.log)"
    # (provision does not carry every --option into smb.conf)
    sed -i '/^\[global\]/a\\tkdc enable fast = no' "$SMB_CONF"
    local line
    for line in "${SMB_EXTRA_CONF[@]}"; do
        sed -i "/^\\[global\\]/a\\\\t$line" "$SMB_CONF"
    done
    log "  provisioned $SMB_REALM in $((SECONDS - t0)) s"

    # Accounts. Service accounts are user accounts with SPNs, as in most AD
    # shops.
    samba_tool domain passwordsettings set --account-lockout-threshold=3
    samba_tool user create alice "$SMB_ALICE_PW"
    # websvc: front end, constrained delegation to SQL, protocol transition on
    samba_user websvc HTTP/web.ad.lab.test
    samba_user sqlsvc MSSQLSvc/sql.ad.lab.test:1433
    samba_tool delegation add-service websvc MSSQLSvc/sql.ad.lab.test:1433
    samba_tool delegation for-any-protocol websvc on
    # filesvc: a back end websvc may not delegate to
    samba_user filesvc cifs/files.ad.lab.test
    # appsvc: may delegate to SQL but only with Kerberos from the user
    # (no protocol transition)
    samba_user appsvc HTTP/app.ad.lab.test
    samba_tool delegation add-service appsvc MSSQLSvc/sql.ad.lab.test:1433
    # Users with account problems
    samba_user lockme                      # locked out below
    samba_user dave;  samba_tool user disable dave
    samba_user frank; samba_tool user setexpiry frank --days=0     # account expired
    samba_tool user create gina "$SMB_USER_PW" --must-change-at-next-login
    samba_user erin                        # password expired, below
    # erin's password was last set 50 days ago (the default maximum age is 42
    # days). pwdLastSet cannot be written through the directory, so this
    # changes it in the domain partition's database file directly, with
    # Samba stopped.
    local nt_old=$(( ($(date +%s) - 50 * 86400 + 11644473600) * 10000000 ))
    local part="$SMB_DIR/private/sam.ldb.d/DC=${SMB_REALM//./,DC=}.ldb"
    printf 'dn: CN=erin,CN=Users,DC=%s\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: %s\n' \
        "${SMB_REALM//./,DC=}" "$nt_old" | ldbmodify -H "tdb://$part" >>"$SMB_DIR/samba-tool.log" 2>&1 \
        || die "could not age erin's password"
    samba_tool domain exportkeytab "$SMB_DIR/websvc.keytab" --principal=websvc
    samba_tool domain exportkeytab "$SMB_DIR/appsvc.keytab" --principal=appsvc
    keys_service "$SMB_DIR/websvc.keytab" "kf-adfe, the AD front end's service account websvc (HTTP/web.ad.lab.test; S4U with protocol transition)"
    keys_service "$SMB_DIR/appsvc.keytab" "kf-adfe, the AD service account appsvc (HTTP/app.ad.lab.test; S4U without protocol transition)"
    LAB_KEYS_HOOKS+=(samba_keys)
    log "  accounts created ($((SECONDS - t0)) s)"

    # The DC, in the foreground, as one process (-M single: no prefork pool).
    # samba -i exits when its stdin reaches EOF: give it a FIFO opened
    # read-write, which never does.
    mkfifo "$SMB_DIR/stdin"
    local in_run=()
    if [[ $SMB_PRIVATE_RUN == 1 ]]; then
        [[ -d /run/samba ]] || die "no /run/samba to bind $SMB_DIR/run over"
        # shellcheck disable=SC2016  # expanded by that sh
        in_run=(unshare --mount sh -c 'mount --bind "$1" /run/samba || exit 1; shift; exec "$@"'
                sh "$SMB_DIR/run")
    fi
    ip netns exec $SMB_NS "${in_run[@]}" samba -i -M single --maximum-runtime=900 -s "$SMB_CONF" \
        <>"$SMB_DIR/stdin" >"$SMB_DIR/samba.out" 2>&1 &
    PIDS+=($!)
    local up=0
    for _ in $(seq 100); do
        if in_ns $SMB_NS ss -lnu 2>/dev/null | grep -q "$SMB4:88" \
           && samba_listening 88 "${SMB_WAIT_TCP[@]}"; then
            up=1; break
        fi
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    [[ $up == 1 ]] || { cat "$SMB_DIR/samba.out" >&2; die "samba's KDC did not start"; }
    log "  samba listening (pid ${PIDS[-1]}, $((SECONDS - t0)) s)"

    cat >"$SMB_KCONF" <<EOF
[libdefaults]
    default_realm = $SMB_REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    kdc_timesync = 0
    # Windows clients get forwardable TGTs; a front end's S4U2Self ticket is
    # forwardable (usable for S4U2Proxy) only if it asks with one.
    forwardable = true
    # Always TCP: Samba answers KRB_ERR_RESPONSE_TOO_BIG to UDP requests
    # whose replies carry a PAC, and the client would retry over TCP anyway.
    udp_preference_limit = 1

[realms]
    $SMB_REALM = {
        kdc = $SMB4
    }

[domain_realm]
    .ad.lab.test = $SMB_REALM
    ad.lab.test = $SMB_REALM
EOF
    # Lock lockme out: three wrong passwords (threshold 3), before any capture.
    for _ in 1 2 3; do
        kinit_pw "$SMB_KCONF" "wrong-$SMB_USER_PW" lockme >/dev/null 2>&1 || true
    done
}

# samba_listening PORT...: the DC listens on each TCP PORT of its IPv4 address
samba_listening() {
    local tcp port
    tcp=$(in_ns $SMB_NS ss -lnt 2>/dev/null) || return 1
    for port in "$@"; do
        grep -qF " $SMB4:$port " <<<"$tcp" || return 1
    done
}

# After the last scenario (lab.sh's keys_export): every key of the domain's
# database, krbtgt included, as the DC holds it then.
samba_keys() {
    rm -f "$TMP/keys/samba-kdc.keytab"
    samba_tool domain exportkeytab "$TMP/keys/samba-kdc.keytab"
    keys_kdc_keytab "$TMP/keys/samba-kdc.keytab" "realm $SMB_REALM (Samba AD DC, samba-tool domain exportkeytab)"
}

# --------------------------------------------------------------- scenarios ---
# A healthy Windows-shaped login: kinit alice (PREAUTH_REQUIRED, then an
# AS-REP whose TGT holds a PAC), then a service ticket for a service
# account's SPN.
scenario_file_samba_login() { echo samba-login.pcap; }
scenario_samba_login() {
    kinit_pw "$SMB_KCONF" "$SMB_ALICE_PW" alice >/dev/null
    client "$SMB_KCONF" kvno HTTP/web.ad.lab.test >/dev/null
}

# An SPN nobody registered: KDC_ERR_S_PRINCIPAL_UNKNOWN from an AD KDC.
scenario_file_samba_spn_unknown() { echo samba-spn-unknown.pcap; }
scenario_samba_spn_unknown() {
    kinit_pw "$SMB_KCONF" "$SMB_ALICE_PW" alice >/dev/null
    expect_fail client "$SMB_KCONF" kvno HTTP/nosuch.ad.lab.test
}

# The front end (websvc's keytab) gets a ticket for alice to itself
# (S4U2Self, protocol transition) and uses it to get one to the SQL service
# (S4U2Proxy), which msDS-AllowedToDelegateTo allows.
scenario_file_samba_s4u_allowed() { echo samba-s4u-allowed.pcap; }
scenario_capture_samba_s4u_allowed() { echo "$NS_LAN br0"; }
scenario_samba_s4u_allowed() {
    rm -f "$SMB_DIR/fe.ccache"
    samba_fe kinit -k -t "$SMB_DIR/websvc.keytab" websvc >/dev/null
    samba_fe kvno -U alice -P MSSQLSvc/sql.ad.lab.test:1433 >/dev/null
}

# The same front end asks for a back end that is not in its
# msDS-AllowedToDelegateTo (and that has no RBCD entry for it).
scenario_file_samba_s4u_denied() { echo samba-s4u-denied.pcap; }
scenario_capture_samba_s4u_denied() { echo "$NS_LAN br0"; }
scenario_samba_s4u_denied() {
    rm -f "$SMB_DIR/fe.ccache"
    samba_fe kinit -k -t "$SMB_DIR/websvc.keytab" websvc >/dev/null
    expect_fail samba_fe kvno -U alice -P cifs/files.ad.lab.test
}

# appsvc may delegate to SQL, but is not trusted for protocol transition: its
# S4U2Self ticket is not forwardable, and S4U2Proxy with it is refused.
scenario_file_samba_s4u_no_transition() { echo samba-s4u-no-transition.pcap; }
scenario_capture_samba_s4u_no_transition() { echo "$NS_LAN br0"; }
scenario_samba_s4u_no_transition() {
    rm -f "$SMB_DIR/fe.ccache"
    samba_fe kinit -k -t "$SMB_DIR/appsvc.keytab" appsvc >/dev/null
    expect_fail samba_fe kvno -U alice -P MSSQLSvc/sql.ad.lab.test:1433
}

# Account problems, each a kinit from the client: a wrong password, a locked
# out account (right password), a disabled account, an expired account, an
# expired password, a password that must be changed at next logon.
scenario_file_samba_account_errors() { echo samba-account-errors.pcap; }
scenario_samba_account_errors() {
    expect_fail kinit_pw "$SMB_KCONF" "wrong-$SMB_ALICE_PW" alice
    local u
    for u in lockme dave frank erin gina; do
        expect_fail kinit_pw "$SMB_KCONF" "$SMB_USER_PW" $u
    done
}
