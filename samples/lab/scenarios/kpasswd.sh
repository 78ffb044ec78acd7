# shellcheck shell=bash
# Scenario group "kpasswd": the Kerberos password-change protocol (RFC 3244,
# port 464 over TCP and UDP) between MIT's `kpasswd` client in kf-client and
# MIT's kadmind, which serves kpasswd on the KDC host (kf-kdc, same database
# as the lab's krb5kdc). See kpasswd.md for the capture frame by frame.
#
#   sudo bash samples/lab/lab.sh /tmp/out kpasswd
#
# The scenario changes the password of a user of its own, pat (policy kf-pw:
# at least 12 characters, 2 passwords of history), so the keys of the other
# captures stay as they are. pat's earlier keys and kadmin/changepw's go to
# keys/lab-kpasswd.keytab (keys_extra): with them every encrypted part of the
# capture can be opened.
#
# MIT's client (1.20) sends a password change over TCP, and over UDP only when
# TCP fails on every server (UDP retransmissions could be taken for replays).
# For the UDP exchange an nftables table in kf-kdc answers TCP to port 464
# with a reset during that one step; the namespace takes the table with it
# when it is deleted. For the KRB-ERROR, kadmind is restarted under
# libfaketime 10 minutes ahead of the KDC and the client: it refuses the
# client's authenticator (KRB_AP_ERR_SKEW) and says why in the e-data.

KPW_SCENARIOS=(kpasswd)
ALL_SCENARIOS+=("${KPW_SCENARIOS[@]}")
LAB_PACKAGES+=(kadmind:krb5-admin-server kpasswd:krb5-user nft:nftables faketime:faketime)
LAB_SETUP+=("kpasswd_setup ${KPW_SCENARIOS[*]}")

KPW_USER=pat
KPW_POLICY=kf-pw
KPW_DIR=          # $TMP/kpasswd: the client's krb5.conf, kadmind's output, the keytab
KPW_CONF=         # the client's krb5.conf (kpasswd_server = the KDC host)
KPW_PW0=          # pat's first password
KPW_KADMIND=      # pid of the running kadmind
KPW_FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1

kpasswd_setup() {
    KPW_DIR=$TMP/kpasswd
    KPW_CONF=$KPW_DIR/krb5.conf
    mkdir -p "$KPW_DIR"
    KPW_PW0=$(gen_pw)
    printf '%s %s\n' "$KPW_USER" "$KPW_PW0" >>"$TMP/passwords"
    kadm "addpol -minlength 12 -history 2 $KPW_POLICY"
    kadm "addprinc -pw $KPW_PW0 +requires_preauth -policy $KPW_POLICY $KPW_USER"
    # kadmin/changepw: the service of every ticket the capture's AP-REQs carry;
    # pat: its kvno 1, which the first AS-REP is encrypted with (later kvnos
    # are added after each change)
    kpasswd_keep_keys kadmin/changepw $KPW_USER
    keys_extra "$KPW_DIR/kpasswd.keytab" lab-kpasswd.keytab \
        "kpasswd.pcap: kadmin/changepw (its tickets) and every key $KPW_USER had during the capture"
    write_client_conf "$KPW_CONF" "kdc = $KDC4
        kpasswd_server = $KDC4"
    kpasswd_kadmind_start
}

# kpasswd_keep_keys PRINCIPAL...: append their current keys to the keytab
kpasswd_keep_keys() { kadm "ktadd -norandkey -k $KPW_DIR/kpasswd.keytab $*"; }

# kpasswd_kadmind_start [VAR=VALUE...]: kadmind in kf-kdc with that extra
# environment, serving kpasswd on 464 (UDP and TCP) and kadmin on 749
kpasswd_kadmind_start() {
    # Not through in_ns (see kdc_start): $! must be kadmind itself.
    ip netns exec "$NS_KDC" env KRB5_CONFIG="$TMP/kdc/krb5.conf" KRB5_KDC_PROFILE="$TMP/kdc/kdc.conf" \
        "$@" kadmind -nofork -r "$REALM" >>"$KPW_DIR/kadmind.out" 2>&1 &
    KPW_KADMIND=$!
    PIDS+=("$KPW_KADMIND")
    if wait_listening "$NS_KDC" ':464 '; then
        log "  kadmind listening (pid $KPW_KADMIND${1:+, $*})"; return 0
    fi
    cat "$KPW_DIR/kadmind.out" "$TMP/kdc/kadmin.log" >&2 2>/dev/null || true
    die "kadmind did not start"
}

kpasswd_kadmind_stop() {
    kill "$KPW_KADMIND" 2>/dev/null || true
    wait "$KPW_KADMIND" 2>/dev/null || true
    local keep=() pid
    for pid in "${PIDS[@]}"; do [[ $pid == "$KPW_KADMIND" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
    KPW_KADMIND=
}

# kpasswd_change OLD NEW: MIT's kpasswd for pat in kf-client (it prompts for
# the old password, then twice for the new one)
kpasswd_change() {
    printf '%s\n%s\n%s\n' "$1" "$2" "$2" | client "$KPW_CONF" kpasswd $KPW_USER
}

# kpasswd_tcp_reset on|off: kf-kdc answers TCP to port 464 with a reset
kpasswd_tcp_reset() {
    if [[ $1 == on ]]; then
        in_ns "$NS_KDC" nft -f - <<'EOF'
table inet kf_kpasswd {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 464 reject with tcp reset
    }
}
EOF
    else
        in_ns "$NS_KDC" nft delete table inet kf_kpasswd
    fi
}

scenario_file_kpasswd() { echo kpasswd.pcap; }
scenario_kpasswd() {
    local pw1 pw2
    pw1=$(gen_pw)
    pw2=$(gen_pw)
    # (a) a successful change, over TCP: AS exchange for kadmin/changepw on
    # 88, then request (AP-REQ + KRB-PRIV) and reply (AP-REP + KRB-PRIV)
    kpasswd_change "$KPW_PW0" "$pw1" >/dev/null
    kpasswd_keep_keys $KPW_USER
    # (b) a wrong old password: the AS exchange fails at the KDC
    # (KDC_ERR_PREAUTH_FAILED); no kpasswd traffic
    expect_fail kpasswd_change "wrong-$pw1" "$pw2"
    # (c) a new password the policy refuses (shorter than 12): the reply's
    # KRB-PRIV carries the result (soft error), encrypted
    expect_fail kpasswd_change "$pw1" "short-pw"
    # (d) TCP to 464 refused: the client falls back to UDP and succeeds
    kpasswd_tcp_reset on
    kpasswd_change "$pw1" "$pw2" >/dev/null
    kpasswd_tcp_reset off
    kpasswd_keep_keys $KPW_USER
    # (e) kadmind's clock 10 minutes ahead: it cannot accept the AP-REQ
    # (KRB_AP_ERR_SKEW) and answers with an empty AP-REP and a KRB-ERROR
    # whose e-data holds the result (authentication error)
    kpasswd_kadmind_stop
    kpasswd_kadmind_start LD_PRELOAD="$KPW_FAKETIME_LIB" FAKETIME=+10m
    expect_fail kpasswd_change "$pw2" "$(gen_pw)"
    kpasswd_kadmind_stop
}
