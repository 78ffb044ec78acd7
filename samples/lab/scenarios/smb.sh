# shellcheck shell=bash disable=SC2153  # REALM, TMP, ... come from lab.sh
# Scenario group "smb": SMB2/3 authentication against a Samba file server
# (smbd) of the lab's MIT realm LAB.TEST, with smbclient as the client.
# Sourced by samples/lab/lab.sh (see its "scenario groups" comment); at source
# time it only declares. Hosts, configuration and the captures frame by frame:
# smb.md next to this file.
#
#   sudo bash samples/lab/lab.sh /tmp/out $(bash -c 'source samples/lab/scenarios/smb.sh; echo "${FS_SCENARIOS[@]}"')
#
# Host kf-files (interface kf-fs0, MAC 02:88:00:00:00:60), 10.88.0.60 fd88::60:
# smbd 4.17 as a standalone server ("security = user") that also accepts
# Kerberos: "kerberos method = dedicated keytab" holding cifs/files.lab.test
# from the lab's KDC. Its tickets carry no PAC (+no_auth_data_required), and
# smbd looks the principal alice@LAB.TEST up as the local account alice
# ("Unable to find PAC ..., resorting to local user lookup"). NTLM checks the
# same users' passwords in smbd's own tdbsam. No join, no winbind, no DC.
# Both smbd and smbclient do Kerberos with Samba's embedded Heimdal (Debian
# 12's build), not MIT's library: KRB5_TRACE shows nothing of them.
#
# The file server's users (alice, bob, dora) exist only for smbd: smbd and
# the Samba tools run in a mount namespace of their own in which $FS_DIR/etc's
# passwd, group and hosts are bind-mounted over /etc's, and Samba's built-in
# directories over the lab's (the machine's files are never written).
# Everything smbd writes (tdbsam, locks, state, caches, logs, the share) is
# under $TMP/smb; /etc/samba is never read (-s). smbd runs in the foreground
# under setsid (its own session, like Apache in web.sh); its PID is in the
# lab's PIDS, and netns_teardown kills whatever is left in kf-files (the
# per-connection smbd children, samba-dcerpcd).

FS_NS=kf-files
FS_IF=kf-fs0
FS_MAC=02:88:00:00:00:60
FS4=10.88.0.60
FS6=fd88::60
FS_HOST=files.lab.test
FS_NETBIOS=FILES

# Host kf-smbweb (interface kf-fw0, MAC 02:88:00:00:00:61), 10.88.0.61
# fd88::61: the double hop's front end, Apache + mod_auth_gssapi as
# HTTP/smbweb.lab.test (ok-as-delegate) with a CGI that reads the share with
# smbclient, with the user's delegated credentials when it has them.
FW_NS=kf-smbweb
FW_IF=kf-fw0
FW_MAC=02:88:00:00:00:61
FW4=10.88.0.61
FW6=fd88::61
FW_HOST=smbweb.lab.test

FS_SCENARIOS_HOP=(smb-double-hop smb-double-hop-no-delegation)
FS_SCENARIOS=(smb-kerberos-ok smb-ntlm-by-ip smb-clock-skew smb-wrong-password smb-anonymous
              smb-access-denied smb-no-such-share smb-unexpected-pac smb-account-disabled
              smb-smb1-kerberos smb-port139 "${FS_SCENARIOS_HOP[@]}")
ALL_SCENARIOS+=("${FS_SCENARIOS[@]}")
LAB_PACKAGES+=(smbd:samba smbclient:smbclient pdbedit:samba-common-bin faketime:faketime setfacl:acl
               apache2:apache2 curl:curl
               /usr/lib/apache2/modules/mod_auth_gssapi.so:libapache2-mod-auth-gssapi)
LAB_GROUP_NAMESPACES+=("$FS_NS" "$FW_NS")
LAB_SETUP+=("fs_setup ${FS_SCENARIOS[*]}")
LAB_SETUP+=("fw_setup ${FS_SCENARIOS_HOP[*]}")

FS_DIR=           # $TMP/smb
FS_SMBD=          # pid of the running smbd
FS_FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
FS_UID0=61000     # uids/gids of the file server's own users (only in its passwd)
FS_CLIENT_CONF=   # smb.conf of smbclient in kf-client
FS_KCONF=         # krb5.conf of the client and the server
FS_DORA_PW=       # password of the file server's disabled account

# fs_in_server CMD...: CMD in kf-files, in a mount namespace where the file
# server's passwd, group and hosts replace /etc's and Samba's built-in
# directories (/var/log/samba, /var/lib/samba, /var/cache/samba, /run/samba)
# are the lab's: samba-dcerpcd, which smbd starts on demand for the RPC
# pipes, logs to /var/log/samba whatever smb.conf says. Host name
# files.lab.test (NTLM's target info and Samba's own name come from it).
# Each step execs the next, so `"${FS_IN_SERVER[@]}" CMD &` leaves CMD's PID
# in $! (the function would leave a subshell's).
FS_IN_SERVER_SH='
    d=$1; shift
    for f in passwd group hosts; do mount --bind "$d/etc/$f" "/etc/$f" || exit 1; done
    for s in log/samba lib/samba cache/samba; do
        [ ! -d "/var/$s" ] || mount --bind "$d/sys/${s%/*}" "/var/$s" || exit 1
    done
    [ ! -d /run/samba ] || mount --bind "$d/sys/run" /run/samba || exit 1
    hostname files.lab.test && exec "$@"'
FS_IN_SERVER=()   # set by fs_setup
fs_in_server() { "${FS_IN_SERVER[@]}" "$@"; }

fs_samba_dirs() {
    local d=$1
    cat <<EOF
    lock directory = $d/lock
    state directory = $d/state
    cache directory = $d/cache
    private dir = $d/private
    pid directory = $d/run
    ncalrpc dir = $d/run/ncalrpc
    binddns dir = $d/bind-dns
    winbindd socket directory = $d/run/winbindd
    ntp signd socket directory = $d/run/ntp_signd
    usershare path =
    log file = $d/log/log.%m
    max log size = 0
EOF
}

fs_setup() {
    FS_DIR=$TMP/smb
    FS_IN_SERVER=(ip netns exec "$FS_NS" unshare --mount --uts sh -c "$FS_IN_SERVER_SH" sh "$FS_DIR")
    local F=$FS_DIR u i=0
    mkdir -p "$F"/{etc,lock,state,cache,private,run,bind-dns,log,share} "$F"/sys/{log,lib,cache,run}
    chmod 755 "$F" "$F/share"
    ns_add_host $FS_NS $FS_IF $FS_MAC $FS4/24 $FS6/64
    ns_static_neighbour $NS_CLIENT $FS4 $FS_MAC
    ns_static_neighbour $NS_CLIENT $FS6 $FS_MAC
    ns_static_neighbour $FS_NS $CLIENT4 $MAC_CLIENT
    ns_static_neighbour $FS_NS $CLIENT6 $MAC_CLIENT
    ns_static_neighbour $FS_NS $KDC4 $MAC_KDC
    ns_static_neighbour $FS_NS $KDC6 $MAC_KDC
    ns_static_neighbour $NS_KDC $FS4 $FS_MAC
    ns_static_neighbour $NS_KDC $FS6 $FS_MAC
    set_mtu 1500

    # The file server's accounts: the machine's passwd/group plus alice and
    # bob (any of the machine's own of those names left out), in copies.
    grep -vE '^(alice|bob|dora):' /etc/passwd >"$F/etc/passwd"
    grep -vE '^(alice|bob|dora):' /etc/group >"$F/etc/group"
    for u in alice bob dora; do
        printf '%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n' $u $((FS_UID0 + i)) $((FS_UID0 + i)) >>"$F/etc/passwd"
        printf '%s:x:%d:\n' $u $((FS_UID0 + i)) >>"$F/etc/group"
        i=$((i + 1))
    done
    printf '127.0.0.1 localhost\n%s %s %s\n' "$FS4" "$FS_HOST" "${FS_HOST%%.*}" >"$F/etc/hosts"
    chmod 644 "$F/etc/"*
    # smbd opens the share's files as the user: those two uids (only) may
    # traverse the lab's private directory.
    setfacl -m "u:$FS_UID0:x,u:$((FS_UID0 + 1)):x" "$TMP" || die "setfacl on $TMP"

    # Service key: cifs/files.lab.test in the lab's KDC, its keytab for smbd.
    # +no_auth_data_required: no PAC in its tickets. MIT 1.20 puts a PAC into
    # every ticket, and a standalone smbd refuses tickets with one
    # (BAD_TOKEN_TYPE, "Unexpected PAC ... in standalone mode").
    kadm "addprinc -randkey +no_auth_data_required cifs/$FS_HOST"
    kadm "ktadd -k $F/files.keytab cifs/$FS_HOST"
    keys_service "$F/files.keytab" "kf-files smbd, cifs/$FS_HOST (dedicated keytab)"
    LAB_KEYS_HOOKS+=(fs_keys)
    FS_KCONF=$F/krb5.conf
    write_client_conf "$FS_KCONF" "kdc = $KDC4"
    chmod 644 "$FS_KCONF"

    cat >"$F/smb.conf" <<EOF
# krbflow lab: the file server of samples/lab/scenarios/smb.sh
[global]
    netbios name = $FS_NETBIOS
    workgroup = LAB
    realm = $REALM
    server role = standalone server
    security = user
    kerberos method = dedicated keytab
    dedicated keytab file = FILE:$F/files.keytab
    map to guest = Never
    passdb backend = tdbsam:$F/private/passdb.tdb
    interfaces = $FS4 $FS6
    bind interfaces only = yes
    # 139 (NetBIOS session service) for smb-port139; SMB1 allowed for
    # smb-smb1-kerberos (only that scenario's client offers SMB1 dialects)
    smb ports = 445 139
    server min protocol = NT1
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
    log level = ${KF_LAB_SMB_LOG_LEVEL:-1}
$(fs_samba_dirs "$F")

[share]
    path = $F/share
    read only = yes

# alice may not use this one
[private]
    path = $F/share
    read only = yes
    valid users = bob
EOF
    printf 'hello from %s\n' "$FS_HOST" >"$F/share/hello.txt"
    chmod 644 "$F/share/hello.txt"
    # tdbsam: the NTLM passwords of the same users (the KDC's passwords)
    printf '%s\n%s\n' "$ALICE_PW" "$ALICE_PW" | fs_in_server pdbedit -s "$F/smb.conf" -t -a -u alice \
        >>"$F/pdbedit.log" 2>&1 || die "pdbedit alice (see $F/pdbedit.log)"
    printf '%s\n%s\n' "$BOB_PW" "$BOB_PW" | fs_in_server pdbedit -s "$F/smb.conf" -t -a -u bob \
        >>"$F/pdbedit.log" 2>&1 || die "pdbedit bob (see $F/pdbedit.log)"
    # dora: an account of the file server only (no principal), disabled
    FS_DORA_PW=$(gen_pw)
    printf 'dora %s (file server only)\n' "$FS_DORA_PW" >>"$TMP/passwords"
    printf '%s\n%s\n' "$FS_DORA_PW" "$FS_DORA_PW" | fs_in_server pdbedit -s "$F/smb.conf" -t -a -u dora \
        >>"$F/pdbedit.log" 2>&1 || die "pdbedit dora (see $F/pdbedit.log)"
    fs_in_server pdbedit -s "$F/smb.conf" -r -u dora -c '[D]' >>"$F/pdbedit.log" 2>&1 \
        || die "pdbedit: disabling dora (see $F/pdbedit.log)"
    fs_smbd_start

    # The client: smbclient with its own smb.conf and state under $TMP/client.
    local C=$TMP/client/samba
    mkdir -p "$C"/{lock,state,cache,private,run,bind-dns,log}
    FS_CLIENT_CONF=$C/smb.conf
    cat >"$FS_CLIENT_CONF" <<EOF
[global]
    netbios name = CLIENT
    workgroup = LAB
    realm = $REALM
    disable netbios = yes
$(fs_samba_dirs "$C")
EOF
    printf 'username = alice\npassword = %s\ndomain = LAB\n' "$ALICE_PW" >"$C/alice.auth"
    printf 'username = alice\npassword = wrong-%s\ndomain = LAB\n' "$ALICE_PW" >"$C/alice-wrong.auth"
    printf 'username = dora\npassword = %s\ndomain = LAB\n' "$FS_DORA_PW" >"$C/dora.auth"
    chmod 600 "$C/"*.auth
    printf '#!/bin/sh\nhostname client.lab.test && exec "$@"\n' >"$TMP/client/as-client"
    chmod 700 "$TMP/client/as-client"
}

# After the last scenario (lab.sh's keys_export): the LAB.TEST keys the smb
# captures' Kerberos uses, as keys/lab-smb.keytab: krbtgt (the TGTs), alice
# (her AS-REPs), cifs/files.lab.test (the tickets in SESSION_SETUP) and, when
# the double hop ran, HTTP/smbweb.lab.test. They are also in lab-kdc.keytab of
# the same run; the file of their own is for smb captures made by a run of
# this group alone (see smb.md).
fs_keys() {
    local kt=$TMP/keys/lab-smb.keytab princs="krbtgt/$REALM alice cifs/$FS_HOST"
    [[ -e $TMP/smbweb/http.keytab ]] && princs+=" HTTP/$FW_HOST"
    rm -f "$kt"
    kadm "ktadd -norandkey -k $kt $princs"
    keys_extra "$kt" lab-smb.keytab \
        "the smb-*.pcap captures written with it (LAB.TEST): $princs"
}

# fs_smbd_start [VAR=VALUE...]: smbd in kf-files with that extra environment
fs_smbd_start() {
    local F=$FS_DIR
    # not through fs_in_server: $! must be smbd itself
    "${FS_IN_SERVER[@]}" setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C KRB5_CONFIG="$FS_KCONF" \
        KRB5RCACHETYPE=none "$@" \
        smbd --foreground --no-process-group --debug-stdout -s "$F/smb.conf" >>"$F/smbd.out" 2>&1 &
    FS_SMBD=$!
    PIDS+=("$FS_SMBD")
    local _
    for _ in $(seq 100); do
        in_ns $FS_NS ss -lnt 2>/dev/null | grep -qF " $FS4:445 " && {
            log "  smbd listening on $FS4:445 (pid $FS_SMBD${1:+, $*})"; return 0; }
        kill -0 "$FS_SMBD" 2>/dev/null || break
        sleep 0.05
    done
    tail -n 30 "$F/smbd.out" >&2
    die "smbd did not start"
}

# fs_smbd_stop: smbd and everything else running in kf-files (only this
# group's processes run there: smbd's children, samba-dcerpcd)
fs_smbd_stop() {
    local pid keep=() _
    for pid in $(ip netns pids $FS_NS); do kill "$pid" 2>/dev/null; done
    for _ in $(seq 50); do
        [[ -z $(ip netns pids $FS_NS) ]] && break
        sleep 0.05
    done
    for pid in $(ip netns pids $FS_NS); do kill -9 "$pid" 2>/dev/null; done
    wait "$FS_SMBD" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do [[ $pid == "$FS_SMBD" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
    FS_SMBD=
}

# fs_smbclient EXPECT ARGS...: smbclient in kf-client (host name
# client.lab.test) with the lab's ccache; EXPECT ok|fail
fs_smbclient() {
    local want=$1 rc=0; shift
    client "$FS_KCONF" unshare --uts "$TMP/client/as-client" \
        smbclient -s "$FS_CLIENT_CONF" "$@" </dev/null >"$TMP/client/smbclient.out" 2>&1 || rc=$?
    log "  smbclient $* -> rc $rc: $(grep -v '^\s*$' "$TMP/client/smbclient.out" | tail -n 2 | tr '\n' ' ')"
    if [[ $want == ok && $rc != 0 ]] || [[ $want == fail && $rc == 0 ]]; then
        cat "$TMP/client/smbclient.out" >&2
        die "smbclient: expected $want, got exit code $rc"
    fi
}

fs_kinit() { kinit_pw "$FS_KCONF" "$ALICE_PW" alice >/dev/null; }
FS_UNC=//$FS_HOST/share

# -------------------------------------------------------------- scenarios ---
# 1. Kerberos: kinit, then smbclient requires Kerberos: TGS for
# cifs/files.lab.test, SESSION_SETUP with SPNEGO + AP-REQ, AP-REP back,
# TREE_CONNECT to the share, a directory listing.
scenario_file_smb-kerberos-ok() { echo smb-kerberos-ok.pcap; }
scenario_smb-kerberos-ok() {
    fs_kinit
    fs_smbclient ok --use-kerberos=required -N -I $FS4 "$FS_UNC" -c ls
}

# 2. The server named by its address: no SPN for an address, smbclient does
# not try Kerberos and authenticates with NTLMSSP inside SPNEGO, although
# the server's NEGOTIATE offered Kerberos and the user has a TGT.
scenario_file_smb-ntlm-by-ip() { echo smb-ntlm-by-ip.pcap; }
scenario_smb-ntlm-by-ip() {
    fs_kinit
    fs_smbclient ok -A "$TMP/client/samba/alice.auth" "//$FS4/share" -c ls
}

# 3. The file server's clock 10 minutes ahead (libfaketime): it refuses the
# authenticator of the AP-REQ with a KRB-ERROR KRB_AP_ERR_SKEW inside SPNEGO
# (SESSION_SETUP answered STATUS_MORE_PROCESSING_REQUIRED). smbclient's
# GSSAPI (Samba's embedded Heimdal) takes the server's time from that error
# and sends a second AP-REQ, which is accepted: the session is set up after
# all.
scenario_file_smb-clock-skew() { echo smb-clock-skew.pcap; }
scenario_smb-clock-skew() {
    fs_smbd_stop
    fs_smbd_start LD_PRELOAD="$FS_FAKETIME_LIB" FAKETIME=+10m
    fs_kinit
    fs_smbclient ok --use-kerberos=required -N -I $FS4 "$FS_UNC" -c ls
    fs_smbd_stop
    fs_smbd_start
}

# 4. NTLM with a wrong password (by address, no Kerberos): STATUS_LOGON_FAILURE.
scenario_file_smb-wrong-password() { echo smb-wrong-password.pcap; }
scenario_smb-wrong-password() {
    fs_smbclient fail -A "$TMP/client/samba/alice-wrong.auth" "//$FS4/share" -c ls
}

# 5. Anonymous (null session) share listing: NTLMSSP with an empty user,
# IPC$, srvsvc NetShareEnumAll. (-U% : with -N alone smbclient first tries
# the login name of the environment with an empty password.)
scenario_file_smb-anonymous() { echo smb-anonymous.pcap; }
scenario_smb-anonymous() {
    fs_smbclient ok -N -U% -L "//$FS_HOST" -I $FS4
}

# 6. Kerberos works, the share does not admit alice ("valid users = bob"):
# TREE_CONNECT answered STATUS_ACCESS_DENIED.
scenario_file_smb-access-denied() { echo smb-access-denied.pcap; }
scenario_smb-access-denied() {
    fs_kinit
    fs_smbclient fail --use-kerberos=required -N -I $FS4 "//$FS_HOST/private" -c ls
}

# 7. Kerberos works, the share does not exist: STATUS_BAD_NETWORK_NAME.
scenario_file_smb-no-such-share() { echo smb-no-such-share.pcap; }
scenario_smb-no-such-share() {
    fs_kinit
    fs_smbclient fail --use-kerberos=required -N -I $FS4 "//$FS_HOST/nosuch" -c ls
}

# 8. The service principal without +no_auth_data_required: MIT 1.20 puts a
# PAC into the ticket, which the standalone smbd refuses after accepting the
# AP-REQ: SESSION_SETUP answered STATUS_BAD_TOKEN_TYPE, no KRB-ERROR (smbd
# logs "Unexpected PAC for [alice@LAB.TEST] in standalone mode").
scenario_file_smb-unexpected-pac() { echo smb-unexpected-pac.pcap; }
scenario_smb-unexpected-pac() {
    kadm "modprinc -no_auth_data_required cifs/$FS_HOST"
    fs_kinit
    local rc=0
    ( fs_smbclient fail --use-kerberos=required -N -I $FS4 "$FS_UNC" -c ls ) || rc=$?
    kadm "modprinc +no_auth_data_required cifs/$FS_HOST"
    [[ $rc == 0 ]] || die "smb-unexpected-pac failed"
}

# 9. NTLM for an account the file server has disabled: STATUS_ACCOUNT_DISABLED.
scenario_file_smb-account-disabled() { echo smb-account-disabled.pcap; }
scenario_smb-account-disabled() {
    fs_smbclient fail -A "$TMP/client/samba/dora.auth" "//$FS4/share" -c ls
}

# ------------------------------------------------------------- double hop ---
# The front end kf-smbweb: Apache (prefork, modules by absolute path, config,
# logs and pid under $TMP/smbweb) as HTTP/smbweb.lab.test, workers as
# www-data. Its CGI runs smbclient against the file server: with the user's
# delegated credentials (KRB5CCNAME, set by mod_auth_gssapi from
# GssapiDelegCcacheDir) or, without them, as its own account (kinit -k with
# its keytab), as a service account would.
fw_setup() {
    local W=$TMP/smbweb M=/usr/lib/apache2/modules
    mkdir -p "$W"/{run,deleg} "$W"/client/{lock,state,cache,private,run,bind-dns,log}
    setfacl -m u:www-data:x "$TMP" || die "setfacl on $TMP"
    chmod 755 "$W"
    ns_add_host $FW_NS $FW_IF $FW_MAC $FW4/24 $FW6/64
    local h ns a4 a6 amac
    for h in "$NS_CLIENT $CLIENT4 $CLIENT6 $MAC_CLIENT" "$NS_KDC $KDC4 $KDC6 $MAC_KDC" \
             "$FS_NS $FS4 $FS6 $FS_MAC"; do
        read -r ns a4 a6 amac <<<"$h"
        ns_static_neighbour $FW_NS "$a4" "$amac"
        ns_static_neighbour $FW_NS "$a6" "$amac"
        ns_static_neighbour "$ns" $FW4 $FW_MAC
        ns_static_neighbour "$ns" $FW6 $FW_MAC
    done
    set_mtu 1500
    # ok_as_delegate: curl --delegation policy delegates to it.
    # -requires_preauth: the CGI's keytab login is not pre-authenticated (see deleg.sh).
    kadm "addprinc -randkey +ok_as_delegate -requires_preauth HTTP/$FW_HOST"
    kadm "ktadd -k $W/http.keytab HTTP/$FW_HOST"
    keys_service "$W/http.keytab" "kf-smbweb Apache, HTTP/$FW_HOST (the SMB double hop's front end)"
    cp "$FS_KCONF" "$W/krb5.conf"
    chmod 644 "$W/krb5.conf"
    {
        printf '[global]\n    netbios name = SMBWEB\n    workgroup = LAB\n    realm = %s\n' "$REALM"
        printf '    disable netbios = yes\n'
        fs_samba_dirs "$W/client"
    } >"$W/client/smb.conf"
    {
        printf '#!/bin/sh\n'
        printf 'printf '\''Content-Type: text/plain\\n\\n'\''\n'
        printf 'printf '\''smbweb: hello %%s\\n'\'' "$REMOTE_USER"\n'
        printf 'if [ -n "$KRB5CCNAME" ]; then\n'
        printf '    printf '\''smbweb: reading the share with the delegated credentials\\n'\''\n'
        printf 'else\n'
        printf '    printf '\''smbweb: no delegated credentials; reading the share as myself\\n'\''\n'
        printf '    KRB5CCNAME=FILE:%s/deleg/own.ccache\n' "$W"
        printf '    export KRB5CCNAME\n'
        printf '    /usr/bin/kinit -k -t %s/http.keytab HTTP/%s 2>&1\n' "$W" "$FW_HOST"
        printf 'fi\n'
        printf '/usr/bin/smbclient -s %s/client/smb.conf --use-kerberos=required -N -I %s //%s/share \\\n' "$W" "$FS4" "$FS_HOST"
        printf '    -c '\''get hello.txt -'\'' </dev/null 2>&1\n'
        printf 'printf '\''smbweb: smbclient exited %%s\\n'\'' "$?"\n'
    } >"$W/files.cgi"
    chmod 755 "$W/files.cgi"
    fw_httpd_conf "$W" "$M" >"$W/httpd.conf"
    chown -R www-data:www-data "$W/deleg" "$W/client" "$W/http.keytab"
    chmod 700 "$W/deleg"
    # setsid: Apache signals its process group when it stops (see deleg.sh)
    ip netns exec $FW_NS setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C KRB5_CONFIG="$W/krb5.conf" \
        KRB5RCACHETYPE=none apache2 -f "$W/httpd.conf" -DFOREGROUND >"$W/apache.out" 2>&1 &
    PIDS+=($!)
    local _
    for _ in $(seq 100); do
        if in_ns $FW_NS ss -lnt 2>/dev/null | grep -qF " $FW4:80 "; then
            log "  apache2 (smbweb) listening on $FW4:80 (pid ${PIDS[-1]})"; return 0
        fi
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.05
    done
    cat "$W/apache.out" "$W/error.log" >&2 2>/dev/null
    die "apache2 (smbweb) did not start"
}

# fw_httpd_conf DIR MODULES: the front end's httpd.conf
fw_httpd_conf() {
    local W=$1 M=$2
    cgi_httpd_head "$W" "$FW_HOST" "$FW4" "$M"
    cat <<EOF
ScriptAlias /files $W/files.cgi
<Location /files>
    AuthType GSSAPI
    AuthName "$FW_HOST"
    GssapiAllowedMech krb5
    GssapiCredStore keytab:$W/http.keytab
    GssapiDelegCcacheDir $W/deleg
    SetEnv KRB5_CONFIG $W/krb5.conf
    SetEnv KRB5RCACHETYPE none
    Require valid-user
</Location>
EOF
}

# fw_call NAME CURL-ARGS...: alice (forwardable TGT) opens the front end's
# page; the page is logged
fw_call() {
    local name=$1 W=$TMP/smbweb; shift
    rm -f "$W/deleg/"*
    kinit_pw "$FS_KCONF" "$ALICE_PW" -f alice >/dev/null
    client "$FS_KCONF" curl -sS --noproxy '*' --max-time 10 --negotiate -u : "$@" \
        --resolve $FW_HOST:80:$FW4 http://$FW_HOST/files >"$W/$name.page" 2>&1 || true
    sed 's/^/  | /' "$W/$name.page" >&2
}

# 10. The double hop: alice delegates her TGT to the front end (curl
# --delegation policy; HTTP/smbweb is ok-as-delegate), whose CGI gets a
# ticket for cifs/files.lab.test in alice's name and reads the share.
# Captured on the bridge: both hops.
scenario_file_smb-double-hop() { echo smb-double-hop.pcap; }
scenario_capture_smb-double-hop() { echo "$NS_LAN br0"; }
scenario_smb-double-hop() {
    fw_call smb-double-hop --delegation policy
    grep -q "^hello from $FS_HOST" "$TMP/smbweb/smb-double-hop.page" \
        || die "smb-double-hop: the front end could not read the share"
}

# 11. The same without delegation: the front end has no credentials of
# alice's and goes to the file server as itself (HTTP/smbweb.lab.test),
# for which the file server has no account: it refuses the session.
scenario_file_smb-double-hop-no-delegation() { echo smb-double-hop-no-delegation.pcap; }
scenario_capture_smb-double-hop-no-delegation() { echo "$NS_LAN br0"; }
scenario_smb-double-hop-no-delegation() {
    local page=$TMP/smbweb/smb-double-hop-no-delegation.page
    fw_call smb-double-hop-no-delegation
    grep -q "as myself" "$page" || die "smb-double-hop-no-delegation: unexpected page"
    if grep -q "^hello from" "$page"; then
        die "smb-double-hop-no-delegation: the front end read the share as itself"
    fi
}

# 12. SMB1: the same Kerberos login with a client that speaks only NT LM
# 0.12: SMB_COM_NEGOTIATE with extended security (the SPNEGO offer in the
# response), SESSION_SETUP_ANDX carrying the AP-REQ, TREE_CONNECT_ANDX.
scenario_file_smb-smb1-kerberos() { echo smb-smb1-kerberos.pcap; }
scenario_smb-smb1-kerberos() {
    fs_kinit
    fs_smbclient ok --option='client min protocol = NT1' -m NT1 --use-kerberos=required -N \
        -I $FS4 "$FS_UNC" -c ls
}

# 13. SMB2 with Kerberos over port 139: a NetBIOS session request (called
# name FILES) and its positive response before the SMB2 NEGOTIATE.
scenario_file_smb-port139() { echo smb-port139.pcap; }
scenario_smb-port139() {
    fs_kinit
    fs_smbclient ok --option='disable netbios = no' -p 139 --use-kerberos=required -N -I $FS4 "$FS_UNC" -c ls
}
