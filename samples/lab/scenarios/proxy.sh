# shellcheck shell=bash
# krbflow lab, scenario group "proxy": Negotiate to a forward proxy (407,
# Proxy-Authenticate / Proxy-Authorization), Apache 2.4 mod_proxy with
# mod_auth_gssapi, client curl --proxy-negotiate. Reuses the web group's host
# kf-web and its setup (web_setup in web.sh, which must be sourced too: lab.sh
# sources every group). Sourced by lab.sh; defines only.
#
# Addresses added to kf-web (interface kf-w0):
#   10.88.0.24  proxy.lab.test: forward proxy on :3128 (keytab with its key)
#               and on :8080 (HTTP/proxy.lab.test at the right kvno with
#               ANOTHER account's key)
#   10.88.0.25  app.lab.test: the site behind the proxies, no authentication
#   10.88.0.26  proxy2.lab.test: forward proxy on :3128, no principal in the KDC;
#               on :8080 the same name also accepting NTLM (gss-ntlmssp, as
#               the web group's web2.lab.test)
# The proxies hand every request to app.lab.test (ProxyRemote: no DNS needed).

PROXY4=10.88.0.24
PROXY_APP4=10.88.0.25
PROXY2_4=10.88.0.26

PROXY_SCENARIOS=(proxy-healthy proxy-wrong-key proxy-spn-unknown proxy-ntlm-fallback)
ALL_SCENARIOS+=("${PROXY_SCENARIOS[@]}")
LAB_SETUP+=("proxy_setup ${PROXY_SCENARIOS[*]}")

proxy_site() {    # proxy_site NAME KEYTAB: a forward proxy asking for Negotiate
    cat <<EOF
    ServerName $1
    ProxyRequests On
    ProxyVia Off
    ProxyRemote http://app.lab.test http://$PROXY_APP4:80
    <Proxy "*">
        AuthType GSSAPI
        AuthName "krbflow lab proxy"
        GssapiCredStore keytab:$2
        GssapiAllowedMech krb5
        Require valid-user
    </Proxy>
EOF
}

proxy_setup() {
    local W=$TMP/web a
    if [[ ! -f $W/httpd.conf ]]; then    # the web group's host, principals and curl wrapper
        web_setup
        web_setup() { log "web_setup: done already (proxy group)"; }    # its own hook may follow
    fi
    for a in $PROXY4 $PROXY_APP4 $PROXY2_4; do
        in_ns $NS_WEB ip addr add "$a/24" dev $IF_WEB
        ns_static_neighbour $NS_CLIENT "$a" $MAC_WEB
    done
    web_kadm "addprinc -randkey HTTP/proxy.lab.test"
    web_kadm "ktadd -norandkey -k $W/proxy.keytab HTTP/proxy.lab.test"
    local kvno
    kvno=$(env KRB5_CONFIG="$TMP/kdc/krb5.conf" klist -k "$W/proxy.keytab" | awk '$1 ~ /^[0-9]+$/ {print $1; exit}')
    web_ktutil_key "$W/proxy-other.keytab" "HTTP/proxy.lab.test@$REALM" "$kvno" "$(gen_pw)"
    # proxy2.lab.test deliberately has no principal.
    keys_service "$W/proxy.keytab" "kf-web Apache forward proxy, proxy.lab.test on :3128"
    keys_service "$W/proxy-other.keytab" "kf-web Apache forward proxy, proxy.lab.test on :8080: HTTP/proxy.lab.test at the right kvno with ANOTHER account's key (wrong on purpose: proxy-wrong-key)"
    mkdir -p "$W/app" "$W/run/proxy"
    printf 'hello from app.lab.test\n' >"$W/app/index.html"
    web_conf_head proxy
    cat >>"$W/proxy.conf" <<EOF
LoadModule proxy_module $WEB_MODULES/mod_proxy.so
LoadModule proxy_http_module $WEB_MODULES/mod_proxy_http.so
Listen $PROXY4:3128
Listen $PROXY4:8080
Listen $PROXY2_4:3128
Listen $PROXY2_4:8080
Listen $PROXY_APP4:80
<VirtualHost $PROXY4:3128>
$(proxy_site proxy.lab.test "$W/proxy.keytab")
</VirtualHost>
<VirtualHost $PROXY4:8080>
$(proxy_site proxy.lab.test "$W/proxy-other.keytab")
</VirtualHost>
<VirtualHost $PROXY2_4:3128>
$(proxy_site proxy2.lab.test "$W/proxy.keytab")
</VirtualHost>
<VirtualHost $PROXY2_4:8080>
    ServerName proxy2.lab.test
    ProxyRequests On
    ProxyVia Off
    ProxyRemote http://app.lab.test http://$PROXY_APP4:80
    <Proxy "*">
        AuthType GSSAPI
        AuthName "krbflow lab proxy"
        # as web2.lab.test (web.sh): no credential store, KRB5_KTNAME instead
        GssapiAllowedMech krb5
        GssapiAllowedMech ntlmssp
        GssapiConnectionBound On
        Require valid-user
    </Proxy>
</VirtualHost>
<VirtualHost $PROXY_APP4:80>
    ServerName app.lab.test
    DocumentRoot $W/app
</VirtualHost>
EOF
    chgrp -R www-data "$W"
    chmod -R g+rX "$W"
    chmod 770 "$W/run/proxy"
    web_apache_start proxy "$W/proxy.conf" "$PROXY4:3128"
}

# curl to app.lab.test through PROXY:PORT (a name, resolved with --resolve)
# --proxy-anyauth: the first request goes without credentials, as a browser's
# does; curl answers the 407's offer (Negotiate).
proxy_curl() {    # proxy_curl CONF EXPECTED-STATUS PROXYNAME ADDR PORT
    web_curl "$1" "$2" --proxy-anyauth -U : --resolve "$3:$5:$4" -x "http://$3:$5" http://app.lab.test/
}

# 1. A healthy proxied logon: 407 Negotiate, then Proxy-Authorization, 200.
scenario_file_proxy-healthy() { echo proxy-healthy.pcap; }
scenario_proxy-healthy() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    proxy_curl "$conf" 200 proxy.lab.test $PROXY4 3128
}

# 2. The proxy on :8080 holds another account's key for HTTP/proxy.lab.test:
#    the ticket (for the port-less name, as clients ask) is refused, 407 again.
scenario_file_proxy-wrong-key() { echo proxy-wrong-key.pcap; }
scenario_proxy-wrong-key() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    proxy_curl "$conf" 407 proxy.lab.test $PROXY4 8080
}

# 3. proxy2.lab.test has no principal: the KDC does not know HTTP/proxy2.lab.test.
scenario_file_proxy-spn-unknown() { echo proxy-spn-unknown.pcap; }
scenario_proxy-spn-unknown() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    proxy_curl "$conf" 407 proxy2.lab.test $PROXY2_4 3128
}

# 4. proxy2.lab.test on :8080 also takes NTLM: the ticket cannot be had
#    (no principal), SPNEGO falls back to NTLMSSP through Proxy-Authorization.
scenario_file_proxy-ntlm-fallback() { echo proxy-ntlm-fallback.pcap; }
scenario_proxy-ntlm-fallback() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    WEB_CURL_ENV="GSS_MECH_CONFIG=$TMP/web/gss-mech-ntlm.conf NTLM_USER_FILE=$TMP/client/ntlm-user NETBIOS_COMPUTER_NAME=CLIENT" \
        proxy_curl "$conf" 200 proxy2.lab.test $PROXY2_4 8080
}
