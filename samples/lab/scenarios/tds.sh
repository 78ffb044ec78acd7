# shellcheck shell=bash disable=SC2153  # REALM, TMP, SMB_* ... come from lab.sh and samba.sh
# Scenario group "tds": SQL Server logins (MS-TDS) in the AD domain of the
# samba group (realm AD.LAB.TEST), with FreeTDS's tsql as the client and
# samples/lab/tds_responder.py as the server (Debian has no SQL Server: the
# responder speaks PRELOGIN, LOGIN7, SSPI, LOGINACK and ERROR 18456 from
# MS-TDS, and accepts Kerberos with python3-gssapi from sqlsvc's keytab).
# Sourced by samples/lab/lab.sh (see its "scenario groups" comment); at
# source time it only declares. The captures frame by frame: tds.md.
#
#   sudo bash samples/lab/lab.sh /tmp/out tds_kerberos_ok tds_sql_auth_failed \
#       tds_anonymous_logon tds_spn_unknown tds_encrypted_login
#
# Needs the samba group's DC (samba_setup runs first for these scenarios)
# and its front-end host kf-adfe. Adds:
#   kf-sql  [kf-sql0 10.88.0.53 fd88::53]  tds_responder.py on 10.88.0.53:1433
#                                          (sql.ad.lab.test), keytab of sqlsvc
#                                          (MSSQLSvc/sql.ad.lab.test:1433)
#   kf-adfe (samba's front-end host) +Apache 2.4 + mod_auth_gssapi on
#                                          10.88.0.51:80 as HTTP/web.ad.lab.test
#                                          (websvc's keytab), a CGI that logs in to
#                                          the SQL host (tds_anonymous_logon only)
# Nothing resolves host names through DNS: tsql runs in a mount namespace of
# its own where $TMP/tds/hosts replaces /etc/hosts (FreeTDS takes the host
# name from freetds.conf, resolves it with getaddrinfo and builds the SPN
# MSSQLSvc/<name>:<port> from it). The responder's PID is in the lab's PIDS;
# netns_teardown kills whatever is left in kf-sql.

TDS_NS=kf-sql
TDS_IF=kf-sql0
TDS_MAC=02:88:00:00:00:53
TDS4=10.88.0.53
TDS6=fd88::53
TDS_HOST=sql.ad.lab.test
TDS_NOSPN_HOST=sqlold.ad.lab.test   # resolves to the responder; no account holds its SPN
TDS_SCENARIOS=(tds_kerberos_ok tds_sql_auth_failed tds_anonymous_logon tds_spn_unknown
               tds_encrypted_login)
ALL_SCENARIOS+=("${TDS_SCENARIOS[@]}")
LAB_PACKAGES+=(tsql:freetds-bin /usr/lib/python3/dist-packages/gssapi/__init__.py:python3-gssapi
               openssl:openssl apache2:apache2 curl:curl setfacl:acl
               /usr/lib/apache2/modules/mod_auth_gssapi.so:libapache2-mod-auth-gssapi)
LAB_GROUP_NAMESPACES+=("$TDS_NS")
# The AD DC must be up for these too: add them to the samba group's setup
# entry (one entry, so that samba_setup runs once whatever is selected).
for _i in "${!LAB_SETUP[@]}"; do
    [[ ${LAB_SETUP[$_i]} == "samba_setup "* ]] && LAB_SETUP[_i]+=" ${TDS_SCENARIOS[*]}"
done
unset _i
LAB_SETUP+=("tds_setup ${TDS_SCENARIOS[*]}")
LAB_SETUP+=("tds_web_setup tds_anonymous_logon")

TDS_WEB_HOST=web.ad.lab.test        # websvc's SPN HTTP/web.ad.lab.test, on kf-adfe
TDS_DIR=          # $TMP/tds: keytab, certificate, freetds.conf, hosts, logs
TDS_PID=          # the responder
TDS_SQL_PW=       # the password of the responder's SQL login "app"

tds_setup() {
    TDS_DIR=$TMP/tds
    local D=$TDS_DIR
    mkdir -p "$D"
    ns_add_host $TDS_NS $TDS_IF $TDS_MAC $TDS4/24 $TDS6/64
    local ns a4 a6 amac h
    for h in "$NS_CLIENT $CLIENT4 $CLIENT6 $MAC_CLIENT" "$SFE_NS $SFE4 $SFE6 $SFE_MAC"; do
        read -r ns a4 a6 amac <<<"$h"
        ns_static_neighbour $TDS_NS "$a4" "$amac"
        ns_static_neighbour $TDS_NS "$a6" "$amac"
        ns_static_neighbour "$ns" $TDS4 $TDS_MAC
        ns_static_neighbour "$ns" $TDS6 $TDS_MAC
    done
    set_mtu 1500

    # The SQL service account's keys, as the SQL Server's host would hold them.
    samba_tool domain exportkeytab "$D/sqlsvc.keytab" --principal=sqlsvc
    keys_service "$D/sqlsvc.keytab" "kf-sql, the SQL Server service account sqlsvc (MSSQLSvc/$TDS_HOST:1433)"
    LAB_KEYS_HOOKS+=(tds_keys)
    # A self-signed certificate for the encrypted login (TLS inside PRELOGIN)
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$TDS_HOST" \
        -keyout "$D/tls.key" -out "$D/tls.crt" >"$D/openssl.log" 2>&1 || die "openssl (see $D/openssl.log)"
    cat "$D/tls.key" "$D/tls.crt" >"$D/tls.pem"
    TDS_SQL_PW="$(gen_pw)Aa1-"
    printf 'SQL login app %s (tds responder)\n' "$TDS_SQL_PW" >>"$TMP/passwords"

    printf '127.0.0.1 localhost\n%s %s %s\n%s %s\n' "$TDS4" "$TDS_HOST" "$TDS_NOSPN_HOST" \
        "$SFE4" "$TDS_WEB_HOST" >"$D/hosts"
    # encryption = off: FreeTDS says ENCRYPT_NOT_SUP in PRELOGIN (the whole
    # login in clear); request: ENCRYPT_OFF (the LOGIN7 inside TLS).
    cat >"$D/freetds.conf" <<EOF
[global]
    tds version = 7.4
    client charset = UTF-8
    port = 1433
    encryption = off
[sql]
    host = $TDS_HOST
[sqlold]
    host = $TDS_NOSPN_HOST
[sqltls]
    host = $TDS_HOST
    encryption = request
EOF
    chmod 644 "$D/hosts" "$D/freetds.conf"
    chmod 755 "$D"
    tds_responder_start
}

# After the last scenario: the AD.LAB.TEST keys the tds captures' Kerberos
# uses (krbtgt, alice, sqlsvc, websvc), as keys/lab-tds.keytab, for tds captures made
# by a run of this group alone (see tds.md). samba-tool names each key by its
# account (sqlsvc@AD.LAB.TEST, not the SPN).
tds_keys() {
    local kt=$TMP/keys/lab-tds.keytab p
    rm -f "$kt"
    for p in krbtgt alice sqlsvc websvc; do
        samba_tool domain exportkeytab "$kt" --principal=$p
    done
    keys_extra "$kt" lab-tds.keytab \
        "the tds-*.pcap captures written with it (AD.LAB.TEST): krbtgt, alice, sqlsvc (MSSQLSvc/$TDS_HOST:1433), websvc (HTTP/$TDS_WEB_HOST)"
}

# The responder in kf-sql: encryption setting "off" as SQL Server's default
# (the login in TLS when the client can do TLS, in clear when it says
# NOT_SUP); SQL login app; a Windows login for alice only.
tds_responder_start() {
    local D=$TDS_DIR
    ip netns exec $TDS_NS env -i PATH=/usr/bin:/bin LANG=C.UTF-8 KRB5_CONFIG="$SMB_KCONF" \
        KRB5_KTNAME="FILE:$D/sqlsvc.keytab" KRB5RCACHETYPE=none \
        /usr/bin/python3 "$SCRIPT_DIR/tds_responder.py" --listen $TDS4 --port 1433 \
        --encryption off --tls-cert "$D/tls.pem" --sql-login "app:$TDS_SQL_PW" \
        --windows-login "alice@$SMB_REALM" --realm $SMB_REALM --netbios-domain $SMB_DOMAIN \
        --anonymous-state 5 >>"$D/responder.log" 2>&1 &
    TDS_PID=$!
    PIDS+=("$TDS_PID")
    local _
    for _ in $(seq 100); do
        in_ns $TDS_NS ss -lnt 2>/dev/null | grep -qF " $TDS4:1433 " && {
            log "  tds responder listening on $TDS4:1433 (pid $TDS_PID)"; return 0; }
        kill -0 "$TDS_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$D/responder.log" >&2
    die "tds responder did not start"
}

# tds_tsql NS EXPECT SERVER ARGS...: tsql -S SERVER in namespace NS (with the
# lab's client ccache in kf-client, the front end's in kf-adfe), names from
# $TMP/tds/hosts; EXPECT ok|fail. The responder's decision for it is logged.
TDS_IN_HOSTS_SH='mount --bind "$1" /etc/hosts || exit 1; shift; exec "$@"'
tds_tsql() {
    local ns=$1 want=$2 server=$3 rc=0 lines ccache shown=() a prev=; shift 3
    for a in "$@"; do    # the log shows no password
        if [[ $prev == -P ]]; then shown+=("'***'"); else shown+=("$a"); fi
        prev=$a
    done
    lines=$(wc -l <"$TDS_DIR/responder.log")
    if [[ $ns == "$NS_CLIENT" ]]; then ccache=$TMP/client/ccache; else ccache=$SMB_DIR/fe.ccache; fi
    echo quit | ip netns exec "$ns" env KRB5_CONFIG="$SMB_KCONF" KRB5CCNAME="FILE:$ccache" \
        KRB5_TRACE="$TMP/client/trace.log" FREETDSCONF="$TDS_DIR/freetds.conf" \
        unshare --mount sh -c "$TDS_IN_HOSTS_SH" sh "$TDS_DIR/hosts" \
        tsql -S "$server" "$@" >"$TDS_DIR/tsql.out" 2>&1 || rc=$?
    # the responder logs its decision when it answers, before tsql exits
    log "  tsql -S $server ${shown[*]} -> rc $rc: $(grep -E '^(Msg|Error|There)' "$TDS_DIR/tsql.out" | head -n 2 | tr '\n\t' '  ')"
    tail -n +$((lines + 1)) "$TDS_DIR/responder.log" | grep -E 'decision|PRELOGIN' | sed 's/^/  | /' >&2 || true
    if [[ $want == ok && $rc != 0 ]] || [[ $want == fail && $rc == 0 ]]; then
        cat "$TDS_DIR/tsql.out" >&2
        die "tsql: expected $want, got exit code $rc"
    fi
}

# tds_expect_decision TEXT: the responder's last decision says TEXT
tds_expect_decision() {
    grep 'decision:' "$TDS_DIR/responder.log" | tail -n 1 | grep -qF -- "$1" \
        || die "tds responder: expected a decision with '$1', got: $(grep 'decision:' "$TDS_DIR/responder.log" | tail -n 1)"
}

# The front end on kf-adfe: Apache (prefork, config, logs and pid under
# $TMP/tds/web, workers as www-data) as HTTP/web.ad.lab.test with websvc's
# keytab, in a mount namespace where $TMP/tds/hosts is /etc/hosts (for its
# CGI's tsql). No GssapiDelegCcacheDir: the front end keeps no credential
# of the user's, whatever the client sends.
tds_web_setup() {
    local W=$TDS_DIR/web M=/usr/lib/apache2/modules
    mkdir -p "$W/run"
    chmod 755 "$W"
    setfacl -m u:www-data:x "$TMP" || die "setfacl on $TMP"
    ns_static_neighbour $NS_CLIENT $SFE4 $SFE_MAC
    ns_static_neighbour $NS_CLIENT $SFE6 $SFE_MAC
    ns_static_neighbour $SFE_NS $CLIENT4 $MAC_CLIENT
    ns_static_neighbour $SFE_NS $CLIENT6 $MAC_CLIENT
    cp "$SMB_DIR/websvc.keytab" "$W/http.keytab"
    cp "$SMB_KCONF" "$W/krb5.conf"
    chown www-data:www-data "$W/http.keytab"
    chmod 600 "$W/http.keytab"
    chmod 644 "$W/krb5.conf"
    cat >"$W/app.cgi" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
printf 'web: hello %s\n' "\$REMOTE_USER"
printf 'web: no credentials of the user; logging in to SQL as nobody\n'
echo quit | /usr/bin/tsql -S sql -U '$SMB_DOMAIN\\' -P '' 2>&1
printf 'web: tsql exited %s\n' "\$?"
EOF
    chmod 755 "$W/app.cgi"
    {
    cgi_httpd_head "$W" "$TDS_WEB_HOST" "$SFE4" "$M"
    cat <<EOF
ScriptAlias /app $W/app.cgi
<Location /app>
    AuthType GSSAPI
    AuthName "$TDS_WEB_HOST"
    GssapiAllowedMech krb5
    GssapiCredStore keytab:$W/http.keytab
    SetEnv KRB5_CONFIG $W/krb5.conf
    SetEnv KRB5RCACHETYPE none
    SetEnv FREETDSCONF $TDS_DIR/freetds.conf
    Require valid-user
</Location>
EOF
    } >"$W/httpd.conf"
    # setsid: Apache signals its process group when it stops (see deleg.sh).
    # Each step execs the next, so $! is Apache itself.
    ip netns exec $SFE_NS unshare --mount sh -c "$TDS_IN_HOSTS_SH" sh "$TDS_DIR/hosts" \
        setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C KRB5_CONFIG="$W/krb5.conf" \
        KRB5RCACHETYPE=none apache2 -f "$W/httpd.conf" -DFOREGROUND >"$W/apache.out" 2>&1 &
    PIDS+=($!)
    local _
    for _ in $(seq 100); do
        if in_ns $SFE_NS ss -lnt 2>/dev/null | grep -qF " $SFE4:80 "; then
            log "  apache2 ($TDS_WEB_HOST) listening on $SFE4:80 (pid ${PIDS[-1]})"; return 0
        fi
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.05
    done
    cat "$W/apache.out" "$W/error.log" >&2 2>/dev/null
    die "apache2 ($TDS_WEB_HOST) did not start"
}

# -------------------------------------------------------------- scenarios ---
# a) Integrated login with Kerberos: kinit alice, tsql with no user name
# (FreeTDS then uses GSSAPI): TGS for MSSQLSvc/sql.ad.lab.test:1433, LOGIN7
# with the AP-REQ in its SSPI block, the AP-REP back in an SSPI token
# together with LOGINACK.
scenario_file_tds_kerberos_ok() { echo tds-kerberos-ok.pcap; }
scenario_tds_kerberos_ok() {
    kinit_pw "$SMB_KCONF" "$SMB_ALICE_PW" alice >/dev/null
    tds_tsql $NS_CLIENT ok sql
    tds_expect_decision "alice@$SMB_REALM"
    tds_expect_decision "LOGINACK"
}

# b) SQL authentication with a wrong password: 18456 state 8.
scenario_file_tds_sql_auth_failed() { echo tds-sql-auth-failed.pcap; }
scenario_tds_sql_auth_failed() {
    tds_tsql $NS_CLIENT fail sql -U app -P "wrong-$TDS_SQL_PW"
    tds_expect_decision "wrong password -> 18456 state 8"
}

# c) The double hop's ANONYMOUS LOGON: alice logs in to the web front end
# on kf-adfe with Kerberos and does not delegate; the front end's CGI holds no
# credential of hers and logs in to SQL as nobody. FreeTDS's integrated login
# cannot go without a Kerberos ticket (it closes the connection after
# PRELOGIN), so the CGI uses FreeTDS's NTLM with a domain and an empty user
# name and password: the responder answers the NTLM NEGOTIATE with a
# CHALLENGE and the AUTHENTICATE, whose user name is empty, with 18456 for
# 'NT AUTHORITY\ANONYMOUS LOGON'. Captured on the bridge: both hops.
scenario_file_tds_anonymous_logon() { echo tds-anonymous-logon.pcap; }
scenario_capture_tds_anonymous_logon() { echo "$NS_LAN br0"; }
scenario_tds_anonymous_logon() {
    local page=$TDS_DIR/web/anonymous.page
    kinit_pw "$SMB_KCONF" "$SMB_ALICE_PW" alice >/dev/null
    client "$SMB_KCONF" curl -sS --noproxy '*' --max-time 10 --negotiate -u : \
        --resolve $TDS_WEB_HOST:80:$SFE4 http://$TDS_WEB_HOST/app >"$page" 2>&1 || true
    sed 's/^/  | /' "$page" >&2
    grep -q "Login failed for user 'NT AUTHORITY.ANONYMOUS LOGON'" "$page" \
        || die "tds_anonymous_logon: the front end's page does not show the anonymous login failure"
    tds_expect_decision "anonymous logon -> 18456 state 5"
}

# d) A server name whose SPN no account holds: KDC_ERR_S_PRINCIPAL_UNKNOWN
# for MSSQLSvc/sqlold.ad.lab.test:1433; FreeTDS gives up after PRELOGIN.
scenario_file_tds_spn_unknown() { echo tds-spn-unknown.pcap; }
scenario_tds_spn_unknown() {
    kinit_pw "$SMB_KCONF" "$SMB_ALICE_PW" alice >/dev/null
    tds_tsql $NS_CLIENT fail sqlold
}

# e) The integrated login of a) with FreeTDS's "encryption = request":
# PRELOGIN ENCRYPT_OFF both ways, a TLS handshake inside PRELOGIN packets,
# the LOGIN7 (and its AP-REQ) inside TLS, the SSPI token and LOGINACK in
# clear after it.
scenario_file_tds_encrypted_login() { echo tds-encrypted-login.pcap; }
scenario_tds_encrypted_login() {
    kinit_pw "$SMB_KCONF" "$SMB_ALICE_PW" alice >/dev/null
    tds_tsql $NS_CLIENT ok sqltls
    tds_expect_decision "alice@$SMB_REALM"
}
