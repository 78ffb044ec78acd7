# shellcheck shell=bash
# krbflow lab, scenario group "schemes": a client sending an HTTP
# authentication scheme the server did not offer (scheme-mismatch), and a
# host authenticating to its own web server (loopback-auth). Reuses the web
# group's host kf-web, its Apache and its setup (web_setup in web.sh, which
# lab.sh sources too). Sourced by lab.sh; defines only.
#
# scheme-*:   curl in kf-client forced to NTLM or Basic against web.lab.test,
#             which offers only Negotiate: Apache answers 401 (IIS would say
#             401.2) with the same offer.
# loopback-*: curl run inside kf-web (ip netns exec) to the host's own
#             address; the capture is kf-web's loopback interface (traffic to
#             an address of the host itself never leaves it), so it holds the
#             HTTP exchange only, not the host's KDC traffic.

# Address added to kf-web (interface kf-w0):
#   10.88.0.27  a third Apache whose only site (named web.lab.test, so that the
#               client's ticket exists) asks for Basic: scheme-negotiate-to-basic
SCHEME_BASIC4=10.88.0.27

SCHEME_SCENARIOS=(scheme-ntlm-to-negotiate scheme-basic-to-negotiate scheme-ntlm-ipv6 scheme-negotiate-to-basic
    loopback-kerberos loopback-ntlm-fallback loopback-ntlm-ipv6 loopback-ntlm-by-name)
ALL_SCENARIOS+=("${SCHEME_SCENARIOS[@]}")
LAB_SETUP+=("schemes_setup ${SCHEME_SCENARIOS[*]}")

schemes_setup() {
    if [[ ! -f $TMP/web/httpd.conf ]]; then    # the web group's host, Apache and curl wrapper
        web_setup
        web_setup() { log "web_setup: done already (schemes group)"; }
    fi
    # kf-web's own host name for curl run there (NTLM messages carry it)
    printf '#!/bin/sh\nhostname web.lab.test && exec "$@"\n' >"$TMP/web/as-web"
    chmod 700 "$TMP/web/as-web"
    schemes_basic_start
}

# A third Apache in kf-web on $SCHEME_BASIC4 whose site asks only for Basic
# (an empty password file: nobody gets in, nobody needs to).
schemes_basic_start() {
    local W=$TMP/web
    in_ns $NS_WEB ip addr add "$SCHEME_BASIC4/24" dev $IF_WEB
    ns_static_neighbour $NS_CLIENT "$SCHEME_BASIC4" $MAC_WEB
    : >"$W/basic.htpasswd"
    mkdir -p "$W/run/basic"
    web_conf_head basic
    cat >>"$W/basic.conf" <<EOF
LoadModule auth_basic_module $WEB_MODULES/mod_auth_basic.so
LoadModule authn_file_module $WEB_MODULES/mod_authn_file.so
Listen $SCHEME_BASIC4:80
<VirtualHost $SCHEME_BASIC4:80>
    ServerName web.lab.test
    <Location />
        AuthType Basic
        AuthName "krbflow lab basic"
        AuthBasicProvider file
        AuthUserFile $W/basic.htpasswd
        Require valid-user
    </Location>
</VirtualHost>
EOF
    chgrp www-data "$W/basic.conf" "$W/basic.htpasswd" "$W/run/basic"
    chmod 640 "$W/basic.conf" "$W/basic.htpasswd"
    chmod 770 "$W/run/basic"
    web_apache_start basic "$W/basic.conf" "$SCHEME_BASIC4:80"
}

# 1. curl --ntlm (curl's own NTLM) to a site that offers only Negotiate.
scenario_file_scheme-ntlm-to-negotiate() { echo scheme-ntlm-to-negotiate.pcap; }
scenario_scheme-ntlm-to-negotiate() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_curl "$conf" 401 --ntlm -u alice:wrong "${WEB_R80[@]}" http://web.lab.test/
}

# 2. curl --basic: a password where only Negotiate was offered.
scenario_file_scheme-basic-to-negotiate() { echo scheme-basic-to-negotiate.pcap; }
scenario_scheme-basic-to-negotiate() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_curl "$conf" 401 --basic -u alice:wrong "${WEB_R80[@]}" http://web.lab.test/
}

# 3. As 1, over IPv6, after a first request without credentials: the
#    client has seen the Negotiate-only challenge and still sends NTLM.
scenario_file_scheme-ntlm-ipv6() { echo scheme-ntlm-ipv6.pcap; }
scenario_scheme-ntlm-ipv6() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_curl "$conf" 401 --resolve "web.lab.test:80:[$WEB6]" http://web.lab.test/ \
        --next -o /dev/null -w '%{http_code} ' --ntlm -u alice:wrong --resolve "web.lab.test:80:[$WEB6]" \
        http://web.lab.test/
}

# 3b. curl --negotiate (a token on the first request, as in web-healthy-
#     preemptive) to a site that asks only for Basic: Negotiate refused, 401 Basic.
scenario_file_scheme-negotiate-to-basic() { echo scheme-negotiate-to-basic.pcap; }
scenario_scheme-negotiate-to-basic() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 --negotiate -u : --resolve "web.lab.test:80:$SCHEME_BASIC4" http://web.lab.test/
}

# curl inside kf-web: schemes_web_curl EXPECTED-STATUS CCACHE GSS-MECH-CONF ARGS...
schemes_web_curl() {
    local want=$1 cc=$2 mech=$3 got; shift 3
    got=$(in_ns $NS_WEB env KRB5_CONFIG="$TMP/client/web.conf" KRB5CCNAME="FILE:$cc" \
        GSS_MECH_CONFIG="$mech" NTLM_USER_FILE="$TMP/client/ntlm-user" NETBIOS_COMPUTER_NAME=WEB \
        unshare --uts "$TMP/web/as-web" curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$@" \
        2>>"$TMP/client/curl.log") || true
    log "  curl (in kf-web) $* -> $got"
    [[ $got == "$want" ]] || die "expected HTTP $want, got '$got' (curl $*; see $TMP/client/curl.log)"
}

# 4. Healthy near-miss: Kerberos from the web host to itself (MIT and
#    Apache have no loopback check): 401 Negotiate, AP-REQ, 200.
scenario_capture_loopback-kerberos() { echo "$NS_WEB lo"; }
scenario_file_loopback-kerberos() { echo loopback-kerberos.pcap; }
scenario_loopback-kerberos() {
    local conf=$TMP/client/web.conf cc=$TMP/web/loop-ccache; web_conf "$conf"
    printf '%s\n' "$ALICE_PW" | in_ns $NS_WEB env KRB5_CONFIG="$conf" KRB5CCNAME="FILE:$cc" kinit alice >/dev/null
    schemes_web_curl 200 "$cc" "$TMP/web/gss-mech-none.conf" --anyauth -u : \
        --resolve "web.lab.test:80:$WEB4" http://web.lab.test/
}

# 5. The web host to its own web2.lab.test (no SPN, NTLM accepted) with no
#    ticket: SPNEGO falls back to NTLM on the loopback (Windows' loopback
#    check would refuse this NTLM unless the name is in BackConnectionHostNames).
scenario_capture_loopback-ntlm-fallback() { echo "$NS_WEB lo"; }
scenario_file_loopback-ntlm-fallback() { echo loopback-ntlm-fallback.pcap; }
scenario_loopback-ntlm-fallback() {
    schemes_web_curl 200 "$TMP/web/no-ccache" "$TMP/web/gss-mech-ntlm.conf" --anyauth -u : \
        --resolve "web2.lab.test:80:$WEB4" http://web2.lab.test/
}

# 6. As 5 over IPv6, the host's own fd88::20.
scenario_capture_loopback-ntlm-ipv6() { echo "$NS_WEB lo"; }
scenario_file_loopback-ntlm-ipv6() { echo loopback-ntlm-ipv6.pcap; }
scenario_loopback-ntlm-ipv6() {
    schemes_web_curl 200 "$TMP/web/no-ccache" "$TMP/web/gss-mech-ntlm.conf" --anyauth -u : \
        --resolve "web2.lab.test:80:[$WEB6]" http://web2.lab.test/
}

# 7. As 5 from another address of the same host (curl --interface
#    10.88.0.22, the skew site's address, to 10.88.0.20): the addresses
#    differ; the NTLM workstation WEB is the computer name Apache's own
#    CHALLENGE gives (NETBIOS_COMPUTER_NAME=WEB on both ends).
scenario_capture_loopback-ntlm-by-name() { echo "$NS_WEB lo"; }
scenario_file_loopback-ntlm-by-name() { echo loopback-ntlm-by-name.pcap; }
scenario_loopback-ntlm-by-name() {
    schemes_web_curl 200 "$TMP/web/no-ccache" "$TMP/web/gss-mech-ntlm.conf" --anyauth -u : \
        --interface $WEB_SKEW4 --resolve "web2.lab.test:80:$WEB4" http://web2.lab.test/
}
