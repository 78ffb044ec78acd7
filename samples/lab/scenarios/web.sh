# shellcheck shell=bash
# krbflow lab, scenario group "web": HTTP Negotiate (SPNEGO) against Apache 2.4
# with mod_auth_gssapi, clients are curl in kf-client with the lab's ccache.
# Sourced by lab.sh (see its "scenario groups" comment); defines only.
#
# Host kf-web (one interface kf-w0, MAC 02:88:00:00:00:20):
#   10.88.0.20 fd88::20  Apache: name-based sites on :80 (web, stale, badkey,
#                        rc4, rc4only, web2) and web.lab.test on :8080
#   10.88.0.21           dnsmasq (www.lab.test CNAME web.lab.test)
#   10.88.0.22           a second Apache whose clock is 10 minutes ahead (skew.lab.test)
#   10.88.0.23           small.lab.test: LimitRequestFieldSize too small for a token
# curl gets the addresses with --resolve (no hosts file), except in the CNAME
# scenarios, where kf-client resolves through dnsmasq
# (/etc/netns/kf-client/resolv.conf, present only during those scenarios).
#
# Apache runs from $TMP/web/httpd.conf (never /etc/apache2), as www-data, so
# $TMP is made traversable (711; everything in it stays 600/700 except
# $TMP/web, group www-data). Its GSSAPI sees only the mechanisms in
# $TMP/web/gss-mech*.conf (GSS_MECH_CONFIG), the client's likewise: gss-ntlmssp
# being installed does not change the other captures.

NS_WEB=kf-web
IF_WEB=kf-w0
MAC_WEB=02:88:00:00:00:20
WEB4=10.88.0.20
WEB6=fd88::20
WEB_DNS4=10.88.0.21
WEB_SKEW4=10.88.0.22
WEB_SMALL4=10.88.0.23

WEB_SCENARIOS=(web-healthy-401first web-healthy-preemptive web-healthy-ipv6 web-healthy-tcp
    web-portless-spn web-portless-spn-works web-wrong-key-kvno web-wrong-key-integrity
    web-cname-canon web-cname-nocanon web-auth-loop web-request-based
    web-weak-etype web-weak-etype-nosupp web-weak-etype-client-rc4
    web-clock-skew-kdc web-clock-skew-server web-ntlm-fallback web-ntlm-plain
    web-token-too-large web-clock-skew-tgs web-portless-spn-nokey)
ALL_SCENARIOS+=("${WEB_SCENARIOS[@]}")
LAB_PACKAGES+=(apache2:apache2 curl:curl dnsmasq:dnsmasq-base faketime:faketime ktutil:krb5-user
    /usr/lib/apache2/modules/mod_auth_gssapi.so:libapache2-mod-auth-gssapi
    /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so:gss-ntlmssp
    /usr/lib/python3/dist-packages/gssapi/__init__.py:python3-gssapi)
LAB_GROUP_NAMESPACES+=("$NS_WEB")
LAB_SETUP+=("web_setup ${WEB_SCENARIOS[*]}")
LAB_SETUP+=("web_setup_skew web-clock-skew-server")
LAB_SETUP+=("web_dns_start web-cname-canon web-cname-nocanon")
LAB_CLEANUP+=(web_cleanup)

WEB_MODULES=/usr/lib/apache2/modules
WEB_FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
WEB_NTLM_LIB=/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so
WEB_RESOLV_DIR=/etc/netns/kf-client
WEB_MADE_NETNS_DIR=0  # 1: this run created /etc/netns
WEB_CLIENT_HOST=()    # set by web_setup

# ------------------------------------------------------------------ setup ---
# web_kadm QUERY: kadmin.local with the lab KDC's configuration
web_kadm() {
    env KRB5_CONFIG="$TMP/kdc/krb5.conf" KRB5_KDC_PROFILE="$TMP/kdc/kdc.conf" \
        kadmin.local -r "$REALM" -q "$1" >>"$TMP/kdc/kadmin.local.log" 2>&1 \
        || die "kadmin.local: $1 (see $TMP/kdc/kadmin.local.log)"
}

# web_ktutil_key KEYTAB PRINCIPAL KVNO PASSWORD: append keys derived from a
# password (another account's) to KEYTAB under PRINCIPAL and KVNO
web_ktutil_key() {
    local kt=$1 princ=$2 kvno=$3 pw=$4 e
    {
        for e in aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96; do
            printf 'addent -password -p %s -k %s -e %s\n%s\n' "$princ" "$kvno" "$e" "$pw"
        done
        printf 'wkt %s\nquit\n' "$kt"
    } | env KRB5_CONFIG="$TMP/kdc/krb5.conf" ktutil >>"$TMP/kdc/ktutil.log" 2>&1
    [[ -s $kt ]] || die "ktutil could not write $kt"
}

web_principals() {
    local W=$TMP/web kvno
    # The site's own key, extracted without changing it (HTTP/web.lab.test
    # and $TMP/kdc/http.keytab belong to lab.sh; other groups may use them).
    web_kadm "ktadd -norandkey -k $W/http.keytab HTTP/web.lab.test"
    kvno=$(env KRB5_CONFIG="$TMP/kdc/krb5.conf" klist -k "$W/http.keytab" | awk '$1 ~ /^[0-9]+$/ {print $1; exit}')
    # :8080 "runs as another account": same name and kvno, key from another password.
    web_ktutil_key "$W/port8080-other.keytab" "HTTP/web.lab.test@$REALM" "$kvno" "$(gen_pw)"
    cp "$W/port8080-other.keytab" "$W/port8080.keytab"
    # :8080 keyed only for the port's own SPN (HTTP/web.lab.test:8080): no
    # key at all for the port-less name clients ask for (web-portless-spn-nokey).
    web_ktutil_key "$W/port8080-portonly.keytab" "HTTP/web.lab.test:8080@$REALM" 1 "$(gen_pw)"
    # stale: keytab written, then the key rotated in the KDC (kvno 1 -> 2).
    web_kadm "addprinc -randkey HTTP/stale.lab.test"
    web_kadm "ktadd -norandkey -k $W/stale.keytab HTTP/stale.lab.test"
    web_kadm "cpw -randkey HTTP/stale.lab.test"
    # badkey: keytab written, then the account deleted and created again:
    # same kvno (1), different key.
    web_kadm "addprinc -randkey HTTP/badkey.lab.test"
    web_kadm "ktadd -norandkey -k $W/badkey.keytab HTTP/badkey.lab.test"
    web_kadm "delprinc -force HTTP/badkey.lab.test"
    web_kadm "addprinc -randkey HTTP/badkey.lab.test"
    # RC4: rc4.lab.test has only an RC4 key (ticket encrypted with RC4);
    # rc4only.lab.test also says it takes only RC4 session keys.
    web_kadm "addprinc -randkey -e rc4-hmac:normal HTTP/rc4.lab.test"
    web_kadm "ktadd -norandkey -k $W/rc4.keytab HTTP/rc4.lab.test"
    web_kadm "addprinc -randkey -e rc4-hmac:normal HTTP/rc4only.lab.test"
    web_kadm "setstr HTTP/rc4only.lab.test session_enctypes rc4-hmac"
    web_kadm "ktadd -norandkey -k $W/rc4.keytab HTTP/rc4only.lab.test"
    web_kadm "addprinc -randkey HTTP/skew.lab.test"
    web_kadm "ktadd -norandkey -k $W/skew.keytab HTTP/skew.lab.test"
    web_kadm "addprinc -randkey HTTP/small.lab.test"
    web_kadm "ktadd -norandkey -k $W/small.keytab HTTP/small.lab.test"
    # www.lab.test and web2.lab.test deliberately have no principal.
    keys_service "$W/http.keytab" "kf-web Apache, web.lab.test on :80 (also web2.lab.test's KRB5_KTNAME, and :8080 during web-portless-spn-works)"
    keys_service "$W/port8080-portonly.keytab" "kf-web Apache, web.lab.test on :8080 during web-portless-spn-nokey: only HTTP/web.lab.test:8080 (a principal the KDC does not have)"
    keys_service "$W/port8080-other.keytab" "kf-web Apache, web.lab.test on :8080: HTTP/web.lab.test at the right kvno with ANOTHER account's key (wrong on purpose: web-portless-spn)"
    keys_service "$W/stale.keytab" "kf-web Apache, stale.lab.test: kvno 1, while the KDC has kvno 2 (stale on purpose: web-wrong-key-kvno)"
    keys_service "$W/badkey.keytab" "kf-web Apache, badkey.lab.test: kvno 1 of the deleted account (wrong key on purpose: web-wrong-key-integrity)"
    keys_service "$W/rc4.keytab" "kf-web Apache, rc4.lab.test and rc4only.lab.test (RC4 only)"
    keys_service "$W/skew.keytab" "kf-web second Apache (clock 10 minutes ahead), skew.lab.test"
    keys_service "$W/small.keytab" "kf-web Apache, small.lab.test (small header limit)"
}

# web_site NAME KEYTAB [extra directives]: a name-based site with Negotiate
web_site() {
    cat <<EOF
    ServerName $1
    <Location />
        AuthType GSSAPI
        AuthName "krbflow lab"
        GssapiCredStore keytab:$2
        GssapiAllowedMech krb5
        Require valid-user
    </Location>
${3:-}
EOF
}

web_httpd_conf() {
    local W=$TMP/web
    cat <<EOF
# krbflow lab: Apache for the web scenarios (samples/lab/scenarios/web.sh)
ServerRoot $W
ServerName web.lab.test
PidFile $W/run/httpd.pid
DefaultRuntimeDir $W/run
ErrorLog $W/logs/error.log
LogLevel info auth_gssapi:debug
LoadModule mpm_event_module $WEB_MODULES/mod_mpm_event.so
LoadModule authn_core_module $WEB_MODULES/mod_authn_core.so
LoadModule authz_core_module $WEB_MODULES/mod_authz_core.so
LoadModule authz_user_module $WEB_MODULES/mod_authz_user.so
LoadModule dir_module $WEB_MODULES/mod_dir.so
LoadModule auth_gssapi_module $WEB_MODULES/mod_auth_gssapi.so
User www-data
Group www-data
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
Timeout 5
KeepAlive On
KeepAliveTimeout 5
LogFormat "%h %{Host}i \"%r\" %>s %b user=%u" lab
CustomLog $W/logs/access.log lab
DocumentRoot $W/htdocs
<Directory />
    AllowOverride None
</Directory>
Listen $WEB4:80
Listen [$WEB6]:80
Listen $WEB4:8080
Listen $WEB_SMALL4:80

<VirtualHost $WEB4:80 [$WEB6]:80>
$(web_site web.lab.test "$W/http.keytab" "    <Location /bob/>
        Require user bob@$REALM
    </Location>")
</VirtualHost>
<VirtualHost $WEB4:80 [$WEB6]:80>
$(web_site stale.lab.test "$W/stale.keytab")
</VirtualHost>
<VirtualHost $WEB4:80 [$WEB6]:80>
$(web_site badkey.lab.test "$W/badkey.keytab")
</VirtualHost>
<VirtualHost $WEB4:80 [$WEB6]:80>
$(web_site rc4.lab.test "$W/rc4.keytab" "    ServerAlias rc4only.lab.test")
</VirtualHost>
<VirtualHost $WEB4:80 [$WEB6]:80>
    # No SPN for this name: Kerberos fails, NTLM (gss-ntlmssp) through SPNEGO.
    ServerName web2.lab.test
    <Location />
        AuthType GSSAPI
        AuthName "krbflow lab"
        # No GssapiCredStore here: with a credential store gss-ntlmssp 1.2.0
        # returns no acceptor credential (and the child crashed); the
        # keytab comes from KRB5_KTNAME instead.
        GssapiAllowedMech krb5
        GssapiAllowedMech ntlmssp
        GssapiConnectionBound On
        Require valid-user
    </Location>
</VirtualHost>
<VirtualHost $WEB4:8080>
$(web_site web.lab.test "$W/port8080.keytab")
</VirtualHost>
<VirtualHost $WEB_SMALL4:80>
    LimitRequestFieldSize 400
$(web_site small.lab.test "$W/small.keytab")
</VirtualHost>
EOF
}

# web_apache_start NAME CONF ADDR:PORT [env...]: start apache2 in kf-web,
# wait until it listens on ADDR:PORT
web_apache_start() {
    local name=$1 conf=$2 probe=$3 W=$TMP/web; shift 3
    # setsid: Apache signals its whole process group when it stops, which
    # would otherwise be the lab (mid-cleanup) and whatever started it.
    ip netns exec $NS_WEB setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
        KRB5_CONFIG="$W/krb5.conf" KRB5RCACHEDIR="$W/rcache" KRB5_KTNAME="$W/http.keytab" \
        KRB5_TRACE="$W/logs/krb5-$name.log" GSS_MECH_CONFIG="$W/gss-mech-ntlm.conf" \
        NTLM_USER_FILE="$W/ntlm-users" NETBIOS_COMPUTER_NAME=WEB "$@" \
        unshare --uts sh -c 'hostname web.lab.test && exec "$@"' sh \
        apache2 -f "$conf" -DFOREGROUND >"$W/logs/$name.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do
        in_ns $NS_WEB ss -lnt 2>/dev/null | grep -q " $probe " && break
        kill -0 "${PIDS[-1]}" 2>/dev/null \
            || { cat "$W/logs/$name.out" "$W/logs/"*error.log >&2; die "apache ($name) did not start"; }
        sleep 0.1
    done
    log "apache ($name) running (pid ${PIDS[-1]})"
}

web_setup() {
    local W=$TMP/web
    chmod 711 "$TMP"    # www-data must reach $TMP/web (nothing else is readable)
    mkdir -p "$W"/{run,logs,htdocs/bob,rcache}
    ns_add_host $NS_WEB $IF_WEB $MAC_WEB $WEB4/24 $WEB_DNS4/24 $WEB_SKEW4/24 $WEB_SMALL4/24 $WEB6/64
    local a
    for a in $WEB4 $WEB_DNS4 $WEB_SKEW4 $WEB_SMALL4 $WEB6; do
        ns_static_neighbour $NS_CLIENT "$a" $MAC_WEB
    done
    ns_static_neighbour $NS_WEB $CLIENT4 $MAC_CLIENT
    ns_static_neighbour $NS_WEB $CLIENT6 $MAC_CLIENT
    ns_static_neighbour $NS_WEB $KDC4 $MAC_KDC
    ns_static_neighbour $NS_WEB $KDC6 $MAC_KDC
    ns_static_neighbour $NS_KDC $WEB4 $MAC_WEB
    ns_static_neighbour $NS_KDC $WEB6 $MAC_WEB
    set_mtu 1500

    write_client_conf "$W/krb5.conf" "kdc = $KDC4"
    web_principals
    printf 'hello from %s\n' web.lab.test >"$W/htdocs/index.html"
    printf 'only for bob\n' >"$W/htdocs/bob/index.html"
    : >"$W/gss-mech-none.conf"
    printf 'gssntlmssp_v1 1.3.6.1.4.1.311.2.2.10 %s\n' "$WEB_NTLM_LIB" >"$W/gss-mech-ntlm.conf"
    # gss-ntlmssp user files (Heimdal format DOMAIN:user:password): the
    # server's list of accounts, and the client's own credentials.
    printf 'LAB:alice:%s\n' "$ALICE_PW" >"$W/ntlm-users"
    printf 'LAB:alice:%s\n' "$ALICE_PW" >"$TMP/client/ntlm-user"
    web_httpd_conf >"$W/httpd.conf"
    chgrp -R www-data "$W"
    chmod -R g+rX "$W"
    chmod 770 "$W/rcache" "$W/logs" "$W/run"
    web_apache_start main "$W/httpd.conf" "$WEB4:80"

    : >"$TMP/client/curl.log"
    # The client's host name (NTLM messages carry it) is the lab's, not the
    # machine's: curl and the NTLM client run in a UTS namespace of their own.
    printf '#!/bin/sh\nhostname client.lab.test && exec "$@"\n' >"$TMP/client/as-client"
    chmod 700 "$TMP/client/as-client"
    WEB_CLIENT_HOST=(unshare --uts "$TMP/client/as-client")
}

# web_conf_head NAME: the head of another Apache of the web host, from the
# main httpd.conf (its modules and settings, without its Listen lines and
# sites), with its own pid file, logs and runtime dir, into $TMP/web/NAME.conf;
# the caller appends its Listen lines and sites.
web_conf_head() {
    local W=$TMP/web name=$1
    sed -e "s|^PidFile .*|PidFile $W/run/$name.pid|" \
        -e "s|^ErrorLog .*|ErrorLog $W/logs/$name-error.log|" \
        -e "s|^CustomLog .*|CustomLog $W/logs/$name-access.log lab|" \
        -e "s|^DefaultRuntimeDir .*|DefaultRuntimeDir $W/run/$name|" \
        -e '/^Listen /d' -e '/^<VirtualHost/,$d' "$W/httpd.conf" >"$W/$name.conf"
}

# A second Apache with its clock 10 minutes ahead (libfaketime), for skew.lab.test.
web_setup_skew() {
    local W=$TMP/web
    web_conf_head skew
    cat >>"$W/skew.conf" <<EOF
Listen $WEB_SKEW4:80
<VirtualHost $WEB_SKEW4:80>
$(web_site skew.lab.test "$W/skew.keytab")
</VirtualHost>
EOF
    mkdir -p "$W/run/skew"; chgrp www-data "$W/run/skew" "$W/skew.conf"; chmod 770 "$W/run/skew"; chmod 640 "$W/skew.conf"
    web_apache_start skew "$W/skew.conf" "$WEB_SKEW4:80" LD_PRELOAD="$WEB_FAKETIME_LIB" FAKETIME=+10m
}

web_cleanup() {
    web_resolv_off
}

# kf-client's own resolv.conf (ip netns exec bind-mounts /etc/netns/NS/*)
web_resolv_on() {
    [[ -d /etc/netns ]] || WEB_MADE_NETNS_DIR=1
    mkdir -p "$WEB_RESOLV_DIR"
    printf '# krbflow lab (web.sh), removed at exit\nnameserver %s\noptions timeout:1 attempts:1 single-request\n' \
        "$WEB_DNS4" >"$WEB_RESOLV_DIR/resolv.conf"
}
web_resolv_off() {
    [[ -f $WEB_RESOLV_DIR/resolv.conf ]] && grep -q 'krbflow lab (web.sh)' "$WEB_RESOLV_DIR/resolv.conf" \
        && rm -f "$WEB_RESOLV_DIR/resolv.conf"
    rmdir "$WEB_RESOLV_DIR" 2>/dev/null || true    # the lab's namespace: its directory
    [[ $WEB_MADE_NETNS_DIR == 1 ]] && rmdir /etc/netns 2>/dev/null
    return 0
}

web_dns_start() {
    local W=$TMP/web
    ip netns exec $NS_WEB dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --listen-address=$WEB_DNS4 --except-interface=lo --pid-file= \
        --host-record=web.lab.test,$WEB4 --cname=www.lab.test,web.lab.test \
        --log-queries --log-facility="$W/logs/dnsmasq.log" >"$W/logs/dnsmasq.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do
        in_ns $NS_WEB ss -lnu 2>/dev/null | grep -q "$WEB_DNS4:53" && return 0
        sleep 0.1
    done
    cat "$W/logs/dnsmasq.out" >&2; die "dnsmasq did not start"
}

# --------------------------------------------------------------- helpers ---
# web_conf FILE [libdefaults lines] : client krb5.conf (KDC over UDP, IPv4)
web_conf() { write_client_conf "$1" "kdc = ${WEB_KDC:-$KDC4}" "${2:-}"; }

web_kinit() { kinit_pw "$1" "$ALICE_PW" alice >/dev/null; }
web_kinit_skewed() {    # kinit with the client's clock 10 minutes behind
    printf '%s\n' "$ALICE_PW" | client "$1" env LD_PRELOAD="$WEB_FAKETIME_LIB" FAKETIME=-10m kinit alice
}

# web_curl CONF EXPECTED-STATUS ARGS...: curl in kf-client with the lab ccache;
# Kerberos only (no other GSSAPI mechanism) unless GSS_MECH_CONFIG is given
# in WEB_CURL_ENV.
web_curl() {
    local conf=$1 want=$2 got a outs=(); shift 2
    for a in "$@"; do [[ $a == http://* ]] && outs+=(-o /dev/null); done    # one per URL
    # shellcheck disable=SC2086 # WEB_CURL_ENV is a list of VAR=value words
    got=$(client "$conf" env GSS_MECH_CONFIG="$TMP/web/gss-mech-none.conf" ${WEB_CURL_ENV:-} \
        "${WEB_CLIENT_HOST[@]}" curl -sS "${outs[@]}" -w '%{http_code} ' --max-time 5 "$@" 2>>"$TMP/client/curl.log") || true
    log "  curl $* -> ${got% }"
    [[ " $got" == *" $want "* ]] || die "expected HTTP $want, got '${got% }' (curl $*; see $TMP/client/curl.log)"
}

WEB_R80=(--resolve "web.lab.test:80:$WEB4")

# -------------------------------------------------------------- scenarios ---
# 1. browser-like: the request without credentials, 401 Negotiate, then the
#    token (--anyauth makes curl wait for the server's offer).
scenario_file_web-healthy-401first() { echo web-healthy-401first.pcap; }
scenario_web-healthy-401first() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 200 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/
}

# 2. curl --negotiate alone: token on the first request.
scenario_file_web-healthy-preemptive() { echo web-healthy-preemptive.pcap; }
scenario_web-healthy-preemptive() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 200 --negotiate -u : "${WEB_R80[@]}" http://web.lab.test/
}

# 12a. the same over IPv6 (KDC and web server).
scenario_file_web-healthy-ipv6() { echo web-healthy-ipv6.pcap; }
scenario_web-healthy-ipv6() {
    local conf=$TMP/client/web6.conf; WEB_KDC="[$KDC6]" web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 200 --anyauth -u : --resolve "web.lab.test:80:[$WEB6]" http://web.lab.test/
}

# 12b. Kerberos over TCP.
scenario_file_web-healthy-tcp() { echo web-healthy-tcp.pcap; }
scenario_web-healthy-tcp() {
    local conf=$TMP/client/webtcp.conf; web_conf "$conf" "    udp_preference_limit = 1"
    web_kinit "$conf"
    web_curl "$conf" 200 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/
}

# 3. Port 8080 is "another account": its keytab holds HTTP/web.lab.test with
#    another key. curl asks for HTTP/web.lab.test (no port): rejected on
#    :8080, the same ticket works on :80.
scenario_file_web-portless-spn() { echo web-portless-spn.pcap; }
scenario_web-portless-spn() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 --anyauth -u : --resolve "web.lab.test:8080:$WEB4" http://web.lab.test:8080/
    web_curl "$conf" 200 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/
}

# 3c. :8080's keytab holds only HTTP/web.lab.test:8080: the ticket for the
#     port-less SPN finds no key at all there.
scenario_file_web-portless-spn-nokey() { echo web-portless-spn-nokey.pcap; }
scenario_web-portless-spn-nokey() {
    local conf=$TMP/client/web.conf W=$TMP/web; web_conf "$conf"
    cp "$W/port8080-portonly.keytab" "$W/port8080.keytab"
    web_kinit "$conf"
    web_curl "$conf" 401 --anyauth -u : --resolve "web.lab.test:8080:$WEB4" http://web.lab.test:8080/
    cp "$W/port8080-other.keytab" "$W/port8080.keytab"
}

# 3b. :8080 with the SPN owner's key: the portless SPN happens to work.
scenario_file_web-portless-spn-works() { echo web-portless-spn-works.pcap; }
scenario_web-portless-spn-works() {
    local conf=$TMP/client/web.conf W=$TMP/web; web_conf "$conf"
    cp "$W/http.keytab" "$W/port8080.keytab"
    web_kinit "$conf"
    web_curl "$conf" 200 --anyauth -u : --resolve "web.lab.test:8080:$WEB4" http://web.lab.test:8080/
    cp "$W/port8080-other.keytab" "$W/port8080.keytab"
}

# 4a. stale keytab: the key was rotated in the KDC after the keytab was made.
scenario_file_web-wrong-key-kvno() { echo web-wrong-key-kvno.pcap; }
scenario_web-wrong-key-kvno() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 --anyauth -u : --resolve "stale.lab.test:80:$WEB4" http://stale.lab.test/
}

# 4b. same kvno, other key: the account was deleted and created again.
scenario_file_web-wrong-key-integrity() { echo web-wrong-key-integrity.pcap; }
scenario_web-wrong-key-integrity() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 --anyauth -u : --resolve "badkey.lab.test:80:$WEB4" http://badkey.lab.test/
}

# 5. www.lab.test is a CNAME for web.lab.test (DNS in the capture).
scenario_file_web-cname-canon() { echo web-cname-canon.pcap; }
scenario_web-cname-canon() {
    local conf=$TMP/client/webdns.conf; web_conf "$conf"
    sed -i 's/dns_canonicalize_hostname = false/dns_canonicalize_hostname = true/' "$conf"
    web_kinit "$conf"
    web_resolv_on
    web_curl "$conf" 200 -4 --anyauth -u : http://www.lab.test/
    web_resolv_off
}
scenario_file_web-cname-nocanon() { echo web-cname-nocanon.pcap; }
scenario_web-cname-nocanon() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_resolv_on
    web_curl "$conf" 401 -4 --anyauth -u : http://www.lab.test/
    web_resolv_off
}

# 6. Kerberos works, authorization does not (Require user bob): three tries.
scenario_file_web-auth-loop() { echo web-auth-loop.pcap; }
scenario_web-auth-loop() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    for _ in 1 2 3; do
        web_curl "$conf" 401 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/bob/
    done
}

# 7. One keep-alive connection, three requests, no session cookie.
scenario_file_web-request-based() { echo web-request-based.pcap; }
scenario_web-request-based() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" "200 200 200" --negotiate -u : "${WEB_R80[@]}" \
        http://web.lab.test/ http://web.lab.test/index.html http://web.lab.test/
}

# 8a. The service has only an RC4 key: an RC4-encrypted ticket.
scenario_file_web-weak-etype() { echo web-weak-etype.pcap; }
scenario_web-weak-etype() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 200 --anyauth -u : --resolve "rc4.lab.test:80:$WEB4" http://rc4.lab.test/
}
# 8b. ... and accepts only RC4 session keys.
scenario_file_web-weak-etype-nosupp() { echo web-weak-etype-nosupp.pcap; }
scenario_web-weak-etype-nosupp() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 --anyauth -u : --resolve "rc4only.lab.test:80:$WEB4" http://rc4only.lab.test/
}
# 8c. A client that offers only RC4 for service tickets.
scenario_file_web-weak-etype-client-rc4() { echo web-weak-etype-client-rc4.pcap; }
scenario_web-weak-etype-client-rc4() {
    local conf=$TMP/client/webrc4.conf
    web_conf "$conf" "    default_tkt_enctypes = rc4-hmac
    default_tgs_enctypes = rc4-hmac"
    expect_fail web_kinit "$conf"
    web_curl "$conf" 401 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/
}

# 9a. The client's clock is 10 minutes behind: the KDC refuses the timestamp.
scenario_file_web-clock-skew-kdc() { echo web-clock-skew-kdc.pcap; }
scenario_web-clock-skew-kdc() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    expect_fail web_kinit_skewed "$conf"
    web_curl "$conf" 401 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/
}
# 9b. The web server's clock is 10 minutes ahead: it refuses the authenticator.
scenario_file_web-clock-skew-server() { echo web-clock-skew-server.pcap; }
scenario_web-clock-skew-server() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 --anyauth -u : --resolve "skew.lab.test:80:$WEB_SKEW4" http://skew.lab.test/
}

# 9c. The logon works with the right clock; then the client's clock is 10
# minutes ahead: the KDC refuses the TGS-REQ's authenticator. MIT's KDC
# writes the request's nonce into the error's ctime, which is not a time.
scenario_file_web-clock-skew-tgs() { echo web-clock-skew-tgs.pcap; }
scenario_web-clock-skew-tgs() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    WEB_CURL_ENV="LD_PRELOAD=$WEB_FAKETIME_LIB FAKETIME=+10m" \
        web_curl "$conf" 401 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/
}
# 10. No SPN for web2.lab.test: PRINCIPAL_UNKNOWN, SPNEGO falls back to NTLMSSP.
scenario_file_web-ntlm-fallback() { echo web-ntlm-fallback.pcap; }
scenario_web-ntlm-fallback() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    WEB_CURL_ENV="GSS_MECH_CONFIG=$TMP/web/gss-mech-ntlm.conf NTLM_USER_FILE=$TMP/client/ntlm-user NETBIOS_COMPUTER_NAME=CLIENT" \
        web_curl "$conf" 200 --anyauth -u : --resolve "web2.lab.test:80:$WEB4" http://web2.lab.test/
}
# 10b. Plain NTLM over HTTP ("Authorization: NTLM"), same site. curl --ntlm
# cannot be used: gss-ntlmssp 1.2.0 fails to decode curl's 32-byte NEGOTIATE
# message ("Failed to decode data"), so a small Python client takes the NTLM
# messages from gss-ntlmssp itself (python3-gssapi) and sends them on one
# keep-alive connection.
scenario_file_web-ntlm-plain() { echo web-ntlm-plain.pcap; }
scenario_web-ntlm-plain() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_ntlm_client >"$TMP/client/ntlm_http.py"
    : >"$TMP/client/ntlm.out"
    client "$conf" env GSS_MECH_CONFIG="$TMP/web/gss-mech-ntlm.conf" NTLM_USER_FILE="$TMP/client/ntlm-user" \
        NETBIOS_COMPUTER_NAME=CLIENT "${WEB_CLIENT_HOST[@]}" /usr/bin/python3 "$TMP/client/ntlm_http.py" web2.lab.test "$WEB4" / >"$TMP/client/ntlm.out" 2>&1 \
        || { cat "$TMP/client/ntlm.out" >&2; die "NTLM client failed"; }
    log "  NTLM client: HTTP $(tr '\n' ' ' <"$TMP/client/ntlm.out")"
}
web_ntlm_client() {
    cat <<'EOF'
# NTLM over HTTP with gss-ntlmssp's tokens (krbflow lab, web.sh)
import base64, http.client, sys
import gssapi
host, addr, path = sys.argv[1:4]
ntlmssp = gssapi.OID.from_int_seq('1.3.6.1.4.1.311.2.2.10')
target = gssapi.Name('HTTP@' + host, gssapi.NameType.hostbased_service)
ctx = gssapi.SecurityContext(name=target, mech=ntlmssp, usage='initiate')
conn = http.client.HTTPConnection(addr, 80, timeout=5)
token = ctx.step()
while True:
    auth = 'NTLM ' + base64.b64encode(token).decode()
    conn.request('GET', path, headers={'Host': host, 'Authorization': auth})
    resp = conn.getresponse()
    resp.read()
    print(resp.status)
    offers = [v for k, v in resp.getheaders()
              if k.lower() == 'www-authenticate' and v.startswith('NTLM ')]
    if resp.status != 401 or not offers or ctx.complete:
        break
    token = ctx.step(base64.b64decode(offers[0].split(' ', 1)[1]))
conn.close()
sys.exit(0 if resp.status == 200 else 1)
EOF
}

# 11. The site's header limit is smaller than the Negotiate token: 400.
scenario_file_web-token-too-large() { echo web-token-too-large.pcap; }
scenario_web-token-too-large() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 400 --anyauth -u : --resolve "small.lab.test:80:$WEB_SMALL4" http://small.lab.test/
}
