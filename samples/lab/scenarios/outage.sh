# shellcheck shell=bash
# Scenario group "outage": a KDC that answered stops answering for a while
# (kdc-unreachable, issue 18 item 2), and a pause short enough to be healthy.
# Everything runs against the lab's own MIT krb5kdc (kf-kdc, 10.88.0.2 and
# fd88::2); see outage.md for what each capture shows.
#
#   sudo bash samples/lab/lab.sh /tmp/out outage-udp outage-tcp outage-refused \
#       outage-failover outage-http outage-pause
#
# How the KDC stops answering:
#   - a drop rule (nftables table kf_outage in kf-kdc, port 88): silence;
#   - kill -STOP of krb5kdc: the kernel still takes TCP connections and
#     queues datagrams, the KDC reads nothing until kill -CONT;
#   - krb5kdc stopped (SIGTERM) and started again: ICMP port unreachable for
#     UDP, RST for TCP in between.
# The table goes with the namespace when the lab deletes it; each scenario
# also removes it itself.

OUTAGE_SCENARIOS=(outage-udp outage-tcp outage-refused outage-failover outage-http outage-pause)
ALL_SCENARIOS+=("${OUTAGE_SCENARIOS[@]}")
LAB_PACKAGES+=(nft:nftables curl:curl python3:python3)
LAB_SETUP+=("outage_setup ${OUTAGE_SCENARIOS[*]}")

OUTAGE_DIR=
OUTAGE_HTTPD=   # pid of the stub web server (outage-http)
OUTAGE_KDC2=$NET4.5   # the second KDC of outage-failover
OUTAGE_KDC2_PID=      # ... its krb5kdc

outage_setup() {
    OUTAGE_DIR=$TMP/outage
    mkdir -p "$OUTAGE_DIR"
    # The second KDC of outage-failover: krb5kdc on 10.88.0.5 only, same database.
    in_ns "$NS_KDC" ip addr add "$OUTAGE_KDC2/24" dev "$IF_KDC"
    ns_static_neighbour "$NS_CLIENT" "$OUTAGE_KDC2" "$MAC_KDC"
    sed -e "s|^\( *kdc_listen = \).*|\1$OUTAGE_KDC2:88|" -e "s|^\( *kdc_tcp_listen = \).*|\1$OUTAGE_KDC2:88|" \
        "$TMP/kdc/kdc.conf" >"$OUTAGE_DIR/kdc2.conf"
    ip netns exec "$NS_KDC" env KRB5_CONFIG="$TMP/kdc/krb5.conf" KRB5_KDC_PROFILE="$OUTAGE_DIR/kdc2.conf" \
        krb5kdc -n -r "$REALM" >"$OUTAGE_DIR/krb5kdc2.out" 2>&1 &
    OUTAGE_KDC2_PID=$!
    PIDS+=("$OUTAGE_KDC2_PID")
    wait_listening "$NS_KDC" "$OUTAGE_KDC2:88" || die "the second krb5kdc did not start (see $OUTAGE_DIR/krb5kdc2.out)"
    log "  second krb5kdc listening on $OUTAGE_KDC2 (pid $OUTAGE_KDC2_PID)"
}

# the pid of the lab's krb5kdc on 10.88.0.2 (one of PIDS; not the second KDC)
outage_kdc_pid() {
    local pid
    for pid in "${PIDS[@]}"; do
        [[ $pid != "$OUTAGE_KDC2_PID" && $(cat "/proc/$pid/comm" 2>/dev/null) == krb5kdc ]] \
            && { echo "$pid"; return 0; }
    done
    die "no krb5kdc among the lab's processes"
}

# outage_drop RULES: drop what the rules match on the KDC host (input)
outage_drop() {
    in_ns "$NS_KDC" nft -f - <<EOF
table inet kf_outage {
    chain input {
        type filter hook input priority 0; policy accept;
        $1
    }
}
EOF
    log "  KDC host drops: $1"
}
outage_undrop() { in_ns "$NS_KDC" nft delete table inet kf_outage 2>/dev/null || true; log "  drop rule removed"; }

# outage_fail CONF CMD...: a client command that must fail; logs how long it tried
outage_fail() {
    local t0=$SECONDS
    expect_fail client "$@"
    log "  gave up after $((SECONDS - t0)) s"
}

# (a) UDP: kinit answered; then the KDC host drops port 88 silently and kvno
# tries until it gives up, twice; then the rule goes and kvno is answered.
scenario_file_outage-udp() { echo outage-udp.pcap; }
scenario_outage-udp() {
    local conf=$TMP/client/outage-udp.conf
    write_client_conf "$conf" "kdc = $KDC4"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    outage_drop "ip daddr $KDC4 meta l4proto { udp, tcp } th dport 88 drop"
    outage_fail "$conf" kvno HTTP/web.lab.test
    outage_undrop
    client "$conf" kvno host/web.lab.test >/dev/null
}

# (b) TCP only (udp_preference_limit = 1): kinit answered; then krb5kdc is
# stopped with SIGSTOP: the kernel completes each TCP handshake and takes the
# request, nothing answers; kvno gives up. After SIGCONT kvno is answered.
scenario_file_outage-tcp() { echo outage-tcp.pcap; }
scenario_outage-tcp() {
    local conf=$TMP/client/outage-tcp.conf pid
    write_client_conf "$conf" "kdc = $KDC4" "    udp_preference_limit = 1"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    pid=$(outage_kdc_pid)
    kill -STOP "$pid"
    log "  krb5kdc (pid $pid) stopped with SIGSTOP"
    outage_fail "$conf" kvno HTTP/web.lab.test
    kill -CONT "$pid"
    log "  krb5kdc continued"
    sleep 1
    client "$conf" kvno host/web.lab.test >/dev/null
}

# (c) Refused: kinit answered; then krb5kdc exits: the KDC host answers UDP
# with ICMP port unreachable and TCP with RST, and MIT's kvno gives up at
# once. The client tries again every 6 s (three times), then krb5kdc is
# started again and kvno is answered.
scenario_file_outage-refused() { echo outage-refused.pcap; }
scenario_outage-refused() {
    local conf=$TMP/client/outage-refused.conf pid i
    write_client_conf "$conf" "kdc = $KDC4"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    pid=$(outage_kdc_pid)
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    log "  krb5kdc (pid $pid) stopped"
    for i in 1 2 3; do
        [[ $i == 1 ]] || sleep 6
        outage_fail "$conf" kvno HTTP/web.lab.test
    done
    kdc_start
    client "$conf" kvno HTTP/web.lab.test >/dev/null
}

# (d) Failover: a second krb5kdc on the KDC host, at 10.88.0.5 (its own
# kdc.conf listening there, the same database: a second KDC of the realm).
# The realm lists 10.88.0.2 first. kinit is answered at 10.88.0.2; then
# 10.88.0.2 port 88 is dropped and every request waits for it before
# 10.88.0.5 answers (three kvno and a kinit, about 5 s apart).
scenario_file_outage-failover() { echo outage-failover.pcap; }
scenario_outage-failover() {
    local conf=$TMP/client/outage-failover.conf s t0
    write_client_conf "$conf" "kdc = $KDC4
        kdc = $OUTAGE_KDC2"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    outage_drop "ip daddr $KDC4 meta l4proto { udp, tcp } th dport 88 drop"
    for s in HTTP/web.lab.test host/web.lab.test host/client.lab.test; do
        t0=$SECONDS
        client "$conf" kvno "$s" >/dev/null
        log "  kvno $s answered after $((SECONDS - t0)) s"
        sleep 4
    done
    t0=$SECONDS
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    log "  kinit answered after $((SECONDS - t0)) s"
    outage_undrop
}

# (e) The user-visible step: curl --negotiate gets 401 Negotiate from a web
# server, cannot get the service ticket (KDC dropping port 88) and ends with
# the 401, without ever sending an Authorization header.
scenario_file_outage-http() { echo outage-http.pcap; }
scenario_outage-http() {
    local conf=$TMP/client/outage-http.conf got t0
    write_client_conf "$conf" "kdc = $KDC4"
    # a stub web server on the KDC host (10.88.0.2:80): every request gets 401
    # Negotiate; it never sees a token (the client cannot get a ticket)
    ip netns exec "$NS_KDC" python3 "$SCRIPT_DIR/http401_stub.py" "$KDC4" 80 Negotiate >"$OUTAGE_DIR/httpd.out" 2>&1 &
    OUTAGE_HTTPD=$!
    PIDS+=("$OUTAGE_HTTPD")
    local i
    for i in $(seq 50); do
        in_ns "$NS_KDC" ss -lnt 2>/dev/null | grep -q "$KDC4:80 " && break
        sleep 0.1
    done
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    outage_drop "ip daddr $KDC4 meta l4proto { udp, tcp } th dport 88 drop"
    t0=$SECONDS
    got=$(client "$conf" curl -sS -o /dev/null -w '%{http_code}' --max-time 90 --negotiate -u : \
        --resolve "web.lab.test:80:$KDC4" http://web.lab.test/ 2>>"$OUTAGE_DIR/curl.err") || true
    log "  curl --negotiate -> $got after $((SECONDS - t0)) s"
    [[ $got == 401 ]] || die "expected HTTP 401, got '$got' (see $OUTAGE_DIR/curl.err)"
    outage_undrop
    kill "$OUTAGE_HTTPD" 2>/dev/null || true
    wait "$OUTAGE_HTTPD" 2>/dev/null || true
}

# (f) Healthy near-miss: krb5kdc pauses (SIGSTOP) for 3 s while kvno asks;
# after SIGCONT it reads the queued requests and kvno gets its ticket.
scenario_file_outage-pause() { echo outage-pause.pcap; }
scenario_outage-pause() {
    local conf=$TMP/client/outage-pause.conf pid kv t0
    write_client_conf "$conf" "kdc = $KDC4"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    pid=$(outage_kdc_pid)
    kill -STOP "$pid"
    t0=$SECONDS
    client "$conf" kvno HTTP/web.lab.test >/dev/null &
    kv=$!
    sleep 3
    kill -CONT "$pid"
    wait "$kv" || die "kvno failed after the pause"
    log "  kvno answered after $((SECONDS - t0)) s (KDC paused 3 s)"
}
