# shellcheck shell=bash disable=SC2153  # REALM, TMP, WEB4, ... come from lab.sh and web.sh
# krbflow lab, scenario group "unanswered": a client that gets 401 with
# WWW-Authenticate: Negotiate (or NTLM) and never sends an Authorization
# header (negotiate-unanswered, issue 19): curl without --negotiate, with and
# without a TGT, over IPv4 and IPv6, a client that gives up after one 401,
# an NTLM-only challenge; and the near-miss of a client that answers.
# Reuses the web group's host kf-web, its Apache and its setup (web_setup in
# web.sh, sourced too: lab.sh sources every group; this file is sourced
# first, so its own hook runs web_setup the way proxy.sh does). Sourced by
# lab.sh; defines only. Notes and the list of captures: unanswered.md.
#
# Added to kf-web: a tiny HTTP server on 10.88.0.20:8081 that answers every
# request 401 with WWW-Authenticate: NTLM only (Apache's mod_auth_gssapi
# offers only Negotiate).

UNANS_NTLM_PORT=8081
UNANS_SCENARIOS=(unans-no-tgt unans-tgt-not-offered unans-ipv6-tcp unans-gave-up unans-ntlm-only
    unans-healthy-answered unans-no-tgt-keepalive unans-no-tgt-ipv6)
ALL_SCENARIOS+=("${UNANS_SCENARIOS[@]}")
LAB_SETUP+=("unans_setup ${UNANS_SCENARIOS[*]}")

unans_setup() {
    if [[ ! -f $TMP/web/httpd.conf ]]; then    # the web group's host, Apache and curl wrapper
        web_setup
        web_setup() { log "web_setup: done already (unanswered group)"; }    # its own hook may follow
    fi
    ip netns exec "$NS_WEB" setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin python3 "$SCRIPT_DIR/http401_stub.py" "$WEB4" "$UNANS_NTLM_PORT" NTLM \
        >"$TMP/web/logs/ntlm401.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do
        in_ns "$NS_WEB" ss -lnt 2>/dev/null | grep -q " $WEB4:$UNANS_NTLM_PORT " && break
        sleep 0.1
    done
    log "NTLM-only server on $WEB4:$UNANS_NTLM_PORT (pid ${PIDS[-1]})"
}

# 1. no TGT (the lab removes the ccache before each scenario), curl without
#    --negotiate, three times, each on its own connection: 401 each.
scenario_file_unans-no-tgt() { echo unans-no-tgt.pcap; }
scenario_unans-no-tgt() {
    local conf=$TMP/client/web.conf i; web_conf "$conf"
    for i in 1 2 3; do web_curl "$conf" 401 "${WEB_R80[@]}" http://web.lab.test/; done
}

# 1b. the same, the three requests on one keep-alive connection.
scenario_file_unans-no-tgt-keepalive() { echo unans-no-tgt-keepalive.pcap; }
scenario_unans-no-tgt-keepalive() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_curl "$conf" 401 "${WEB_R80[@]}" http://web.lab.test/ http://web.lab.test/ http://web.lab.test/
}

# 1c. the same over IPv6, four requests on one connection.
scenario_file_unans-no-tgt-ipv6() { echo unans-no-tgt-ipv6.pcap; }
scenario_unans-no-tgt-ipv6() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_curl "$conf" 401 --resolve "web.lab.test:80:[$WEB6]" \
        http://web.lab.test/ http://web.lab.test/a http://web.lab.test/b http://web.lab.test/c
}

# 2. a TGT (kinit in the capture), then curl without --negotiate: three
#    requests on one keep-alive connection, 401 each.
scenario_file_unans-tgt-not-offered() { echo unans-tgt-not-offered.pcap; }
scenario_unans-tgt-not-offered() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 "${WEB_R80[@]}" http://web.lab.test/ http://web.lab.test/ http://web.lab.test/
}

# 3. the same over IPv6, the KDC over TCP.
scenario_file_unans-ipv6-tcp() { echo unans-ipv6-tcp.pcap; }
scenario_unans-ipv6-tcp() {
    local conf=$TMP/client/web6tcp.conf i; WEB_KDC="[$KDC6]" web_conf "$conf" "    udp_preference_limit = 1"
    web_kinit "$conf"
    for i in 1 2 3; do web_curl "$conf" 401 --resolve "web.lab.test:80:[$WEB6]" http://web.lab.test/; done
}

# 4. one request, 401, and the client gives up: nothing more to that site
#    for 6 s, then a TCP connection to the web server's :8080, closed at once
#    without a request, shows the capture still running (a capture holds no
#    packet for its quiet end; the lab has no ping).
scenario_file_unans-gave-up() { echo unans-gave-up.pcap; }
scenario_unans-gave-up() {
    local conf=$TMP/client/web.conf; web_conf "$conf"
    web_kinit "$conf"
    web_curl "$conf" 401 "${WEB_R80[@]}" http://web.lab.test/
    sleep 6
    in_ns "$NS_CLIENT" bash -c "exec 3<>/dev/tcp/$WEB4/8080 && exec 3<&-" || die "no TCP to $WEB4:8080"
}

# 5. a server that offers only NTLM, three requests without credentials.
scenario_file_unans-ntlm-only() { echo unans-ntlm-only.pcap; }
scenario_unans-ntlm-only() {
    local conf=$TMP/client/web.conf i; web_conf "$conf"
    for i in 1 2 3; do
        web_curl "$conf" 401 --resolve "web.lab.test:$UNANS_NTLM_PORT:$WEB4" "http://web.lab.test:$UNANS_NTLM_PORT/"
    done
}

# 6. near-miss: the same three fetches with curl --anyauth -u : and a TGT:
#    each first request gets 401, then the client answers with Negotiate.
scenario_file_unans-healthy-answered() { echo unans-healthy-answered.pcap; }
scenario_unans-healthy-answered() {
    local conf=$TMP/client/web.conf i; web_conf "$conf"
    web_kinit "$conf"
    for i in 1 2 3; do web_curl "$conf" 200 --anyauth -u : "${WEB_R80[@]}" http://web.lab.test/; done
}
