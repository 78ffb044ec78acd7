#!/usr/bin/env bash
# krbflow lab: produce small, real Kerberos captures from an MIT KDC running in
# network namespaces created by this script.
#
#   sudo bash samples/lab/lab.sh [OUTDIR] [SCENARIO...]
#
# OUTDIR defaults to the repository's samples/ directory. SCENARIO names are the
# scenario_* functions below without the prefix (udp tcp errors ipv6 fragmented
# tcpseg unreachable); by default all run. Each scenario writes one pcap to OUTDIR.
#
# Environment:
#   KF_LAB_KEEP=1     keep the temporary directory (configs, KDC log, keytabs)
#
# Besides the pcaps, OUTDIR/keys/ gets TEST-ONLY keytabs of the run's
# throw-away realms (see "keys" below) so that decryption can be tested.
#   KF_LAB_NO_INSTALL=1  do not call apt-get (packages must already be there)
#
# Safety: everything happens inside namespaces this script creates (kf-kdc,
# kf-client, joined through a bridge in kf-lan) with addresses that exist only
# there (10.88.0.0/24, fd88::/64).
# Neither namespace has a route to the outside. The host's /etc/krb5.conf and
# /etc/krb5kdc are never read or written: KRB5_CONFIG / KRB5_KDC_PROFILE point
# into a private temporary directory, which is also the only place the
# database, passwords and keytabs are written. Only processes this script
# started are stopped (by PID), and the namespaces are deleted on exit.
#
# Extending: add a scenario_NAME function (it runs with capture_start/stop
# around it, see run_scenario) and add NAME to ALL_SCENARIOS. More hosts (a web
# server, a second KDC) are more namespaces on the bridge: see ns_add_host.
set -euo pipefail

REALM=LAB.TEST
NS_KDC=kf-kdc
NS_CLIENT=kf-client
NS_LAN=kf-lan       # holds the bridge the hosts are attached to
IF_KDC=kf-k0        # veth end inside kf-kdc
IF_CLIENT=kf-c0     # veth end inside kf-client
NET4=10.88.0
KDC4=$NET4.2        # the KDC
DEAD4_CLOSED=$NET4.3     # an address of the KDC host where nothing listens on 88
DEAD4_SILENT=10.88.1.1   # routed to the KDC host, which does not forward: dropped silently
CLIENT4=$NET4.10
KDC6=fd88::2
CLIENT6=fd88::10
MAC_KDC=02:88:00:00:00:02
MAC_CLIENT=02:88:00:00:00:10
ALL_SCENARIOS=(udp tcp errors ipv6 fragmented tcpseg unreachable)

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)

# ------------------------------------------------------- scenario groups ---
# Each samples/lab/scenarios/*.sh adds a group of scenarios. At source time a
# group only declares (functions and these lists); it runs nothing:
#   ALL_SCENARIOS+=(name...)       its scenarios (scenario_NAME, scenario_file_NAME)
#   LAB_PACKAGES+=(cmd:package...) what it needs installed (checked by command, or
#                                  by file when cmd is an absolute path)
#   LAB_GROUP_NAMESPACES+=(ns...)  namespaces it creates with ns_add_host (deleted at
#                                  exit and before a run, leftovers included)
#   LAB_SETUP+=("fn scenario...")  fn runs once after the KDC starts, before the
#                                  first scenario, if any listed scenario is selected
#   LAB_CLEANUP+=(fn...)           fn runs at exit (always, also after a failure or
#                                  when its setup never ran), before the namespaces
#                                  are deleted: remove files the group made outside $TMP
# A scenario may define scenario_capture_NAME printing "NAMESPACE INTERFACE"
# to capture somewhere other than the client (e.g. the bridge, to see a front
# end talk to a back end).
# A group's setup also says which keys it made (see "keys" below):
#   keys_kdc_db REALM DIR          an MIT KDC database (DIR/krb5.conf, DIR/kdc.conf)
#   keys_service KEYTAB LABEL      a keytab given to a service, as it held it
#   LAB_KEYS_HOOKS+=(fn)           fn runs after the last scenario, before the
#                                  keys are written; it may call keys_kdc_keytab
#                                  KEYTAB LABEL (all keys of a non-MIT KDC)
#   keys_extra KEYTAB NAME LABEL   a keytab of its own, not merged: written as
#                                  OUTDIR/keys/NAME, listed in the README as LABEL
#                                  (keys that changed during a capture, whose
#                                  earlier versions the KDC no longer holds)
LAB_PACKAGES=()
LAB_GROUP_NAMESPACES=()
LAB_SETUP=()
LAB_CLEANUP=()
LAB_KDC_DBS=()          # "REALM DIR" (keys_kdc_db)
LAB_KDC_KEYTABS=()      # "KEYTAB|LABEL" (keys_kdc_keytab)
LAB_SERVICE_KEYTABS=()  # "KEYTAB|LABEL" (keys_service)
LAB_EXTRA_KEYTABS=()    # "KEYTAB|NAME|LABEL" (keys_extra)
LAB_KEYS_HOOKS=()
for group in "$SCRIPT_DIR"/scenarios/*.sh; do
    [[ -e $group ]] || continue
    # shellcheck source=/dev/null
    source "$group"
done

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, tcpdump)"

# One lab at a time on a machine: the namespaces have fixed names and a run
# starts by removing leftovers, which would tear down a run in progress.
exec 9>/run/lock/kf-lab.lock
if ! flock -n 9; then
    log "another lab run holds /run/lock/kf-lab.lock; waiting for it"
    flock 9
fi

OUTDIR=${1:-$REPO_DIR/samples}
shift || true
if [[ $# -gt 0 ]]; then SCENARIOS=("$@"); else SCENARIOS=("${ALL_SCENARIOS[@]}"); fi

# ---------------------------------------------------------------- install ---
install_packages() {
    local need=() cmd pkg
    for pair in krb5kdc:krb5-kdc kadmin.local:krb5-admin-server kinit:krb5-user \
                kvno:krb5-user tcpdump:tcpdump ip:iproute2 ethtool:ethtool "${LAB_PACKAGES[@]}"; do
        cmd=${pair%%:*}; pkg=${pair#*:}
        if [[ $cmd == /* ]]; then [[ -e $cmd ]] || need+=("$pkg"); continue; fi   # a file, e.g. a module
        PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
    done
    [[ ${#need[@]} -eq 0 ]] && return 0
    [[ ${KF_LAB_NO_INSTALL:-0} == 1 ]] && die "missing packages: ${need[*]}"
    log "installing: ${need[*]}"
    # The Debian packages try to start their services on install; this lab
    # does not want the system KDC, so deny service starts for this install
    # only (and only if no policy is in place already).
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "${need[@]}" >&2; then
        apt-get update -q >&2
        apt-get install -y -q "${need[@]}" >&2
    fi
    [[ $made_policy == 1 ]] && rm -f "$policy"
    return 0
}
PATH=$PATH:/usr/sbin:/sbin
install_packages

# ---------------------------------------------------------------- cleanup ---
TMP=$(mktemp -d /tmp/kf-lab.XXXXXX)
chmod 700 "$TMP"
PIDS=()            # processes this script started
TCPDUMP_PID=

cleanup() {
    local rc=$?
    set +e
    for pid in ${TCPDUMP_PID:-} "${PIDS[@]}"; do
        [[ -n $pid ]] && kill "$pid" 2>/dev/null
    done
    for pid in ${TCPDUMP_PID:-} "${PIDS[@]}"; do
        [[ -n $pid ]] && wait "$pid" 2>/dev/null
    done
    for fn in "${LAB_CLEANUP[@]}"; do "$fn"; done
    netns_teardown
    if [[ ${KF_LAB_KEEP:-0} == 1 ]]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Removes our namespaces (kf-*: the names are this lab's). Processes still
# inside them can only be ones this lab started, earlier runs included.
# (Add the namespaces of new hosts to the list.)
netns_teardown() {
    local ns pid
    for ns in "${LAB_GROUP_NAMESPACES[@]}" $NS_CLIENT $NS_KDC $NS_LAN; do
        ip netns list 2>/dev/null | grep -q "^$ns\( \|$\)" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
        sleep 0.2
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
}

# ---------------------------------------------------------------- network ---
# Topology: a "LAN" namespace holding a bridge, and one namespace per host,
# each attached to the bridge by a veth pair. Captures are taken on a host's
# own interface (the client's), as a capture on that machine would be.
#
#   kf-client [kf-c0 10.88.0.10 fd88::10] --+
#                                           +-- kf-lan [br0]
#   kf-kdc    [kf-k0 10.88.0.2  fd88::2 ] --+
#              (+10.88.0.3: nothing listens on 88)
#
# A later stage adds e.g. kf-web with: ns_add_host kf-web kf-w0 02:88:00:00:00:03 \
#   10.88.0.3/24 fd88::3/64, then ns_static_neighbours for the new pairs.
LAB_NAMESPACES=()    # host namespaces created by ns_add_host, in order
declare -A HOST_IF=()    # namespace -> its interface

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ns_add_host NAMESPACE IFNAME MAC ADDR/PREFIX...
ns_add_host() {
    local ns=$1 ifname=$2 mac=$3 addr; shift 3
    ip netns add "$ns"
    LAB_NAMESPACES+=("$ns")
    HOST_IF[$ns]=$ifname
    ip link add "$ifname" netns "$ns" address "$mac" type veth peer name "p-$ifname" netns $NS_LAN
    in_ns $NS_LAN ip link set "p-$ifname" master br0
    in_ns "$ns" ip link set lo up
    # No router solicitations / autoconf chatter; addresses are set here. No
    # forwarding: what is routed to a host for another address is dropped.
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
        net.ipv4.ip_forward=0
    for addr in "$@"; do
        if [[ $addr == *:* ]]; then
            in_ns "$ns" ip addr add "$addr" dev "$ifname" nodad
        else
            in_ns "$ns" ip addr add "$addr" dev "$ifname"
        fi
    done
    # No segmentation/receive offloads: the capture must show the packets as
    # they would be on a wire (MSS-sized TCP segments), not 64 KiB super-packets.
    in_ns "$ns" ethtool -K "$ifname" tso off gso off gro off >/dev/null 2>&1 || true
    in_ns $NS_LAN ethtool -K "p-$ifname" tso off gso off gro off >/dev/null 2>&1 || true
    in_ns $NS_LAN ip link set "p-$ifname" up
    in_ns "$ns" ip link set "$ifname" up
}

# ns_static_neighbour NAMESPACE ADDRESS MAC: no ARP / neighbour discovery
# noise in the captures.
ns_static_neighbour() {
    in_ns "$1" ip neigh replace "$2" lladdr "$3" dev "${HOST_IF[$1]}" nud permanent
}

netns_setup() {
    netns_teardown    # leftovers of an interrupted run
    ip netns add $NS_LAN
    in_ns $NS_LAN ip link set lo up
    in_ns $NS_LAN ip link add br0 type bridge stp_state 0 mcast_snooping 0
    in_ns $NS_LAN ip link set br0 up
    ns_add_host $NS_KDC $IF_KDC $MAC_KDC $KDC4/24 $DEAD4_CLOSED/24 $KDC6/64
    ns_add_host $NS_CLIENT $IF_CLIENT $MAC_CLIENT $CLIENT4/24 $CLIENT6/64
    # The "silent" dead KDC: routed via the KDC host, which does not forward
    # and so drops it without an ICMP answer. Nothing else is routed anywhere.
    in_ns $NS_CLIENT ip route add 10.88.1.0/24 via $KDC4
    ns_static_neighbour $NS_CLIENT $KDC4 $MAC_KDC
    ns_static_neighbour $NS_CLIENT $DEAD4_CLOSED $MAC_KDC
    ns_static_neighbour $NS_CLIENT $KDC6 $MAC_KDC
    ns_static_neighbour $NS_KDC $CLIENT4 $MAC_CLIENT
    ns_static_neighbour $NS_KDC $CLIENT6 $MAC_CLIENT
    set_mtu 1500
    sleep 1    # let link-up multicast (MLD) go by before any capture starts
}

# set_mtu N: the MTU of every host interface and bridge port
set_mtu() {
    local ns
    for ns in "${LAB_NAMESPACES[@]}"; do
        in_ns $NS_LAN ip link set "p-${HOST_IF[$ns]}" mtu "$1"
        in_ns "$ns" ip link set "${HOST_IF[$ns]}" mtu "$1"
        in_ns "$ns" ip route flush cache 2>/dev/null || true
    done
}

# -------------------------------------------------------------------- KDC ---
MASTER_PW=; ALICE_PW=; BOB_PW=
BIG_USER=

gen_pw() { head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20; }

kdc_setup() {
    mkdir -p "$TMP/kdc" "$TMP/client"
    MASTER_PW=$(gen_pw)
    ALICE_PW=${KF_LAB_ALICE_PASSWORD:-$(gen_pw)}
    BOB_PW=$(gen_pw)
    umask 077
    printf 'K/M %s\nalice %s\nbob %s\n' "$MASTER_PW" "$ALICE_PW" "$BOB_PW" >"$TMP/passwords"

    cat >"$TMP/kdc/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = $KDC4:88, [$KDC6]:88
    kdc_tcp_listen = $KDC4:88, [$KDC6]:88
    # MIT answers KRB_ERR_RESPONSE_TOO_BIG to UDP replies above this (default
    # 4096). The fragmentation scenario wants a big reply over UDP.
    kdc_max_dgram_reply_size = 16384

[realms]
    $REALM = {
        database_name = $TMP/kdc/principal
        acl_file = $TMP/kdc/kadm5.acl
        key_stash_file = $TMP/kdc/stash
        max_life = 10h 0m 0s
        max_renewable_life = 7d 0h 0m 0s
        default_principal_flags = +preauth
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal camellia256-cts-cmac:normal camellia128-cts-cmac:normal
    }

[logging]
    kdc = FILE:$TMP/kdc/kdc.log
    admin_server = FILE:$TMP/kdc/kadmin.log
    default = FILE:$TMP/kdc/krb5lib.log
EOF
    : >"$TMP/kdc/kadm5.acl"
    # The KDC's own krb5.conf (also used by kadmin.local).
    write_client_conf "$TMP/kdc/krb5.conf" "kdc = $KDC4"

    export KRB5_KDC_PROFILE=$TMP/kdc/kdc.conf
    local kenv=(env KRB5_CONFIG="$TMP/kdc/krb5.conf" KRB5_KDC_PROFILE="$TMP/kdc/kdc.conf")
    "${kenv[@]}" kdb5_util create -s -r $REALM -P "$MASTER_PW" >"$TMP/kdc/kdb5_util.log" 2>&1
    kadm() { "${kenv[@]}" kadmin.local -r $REALM -q "$1" >>"$TMP/kdc/kadmin.local.log" 2>&1 \
        || die "kadmin.local: $1 (see $TMP/kdc/kadmin.local.log)"; }
    kadm "addprinc -pw $ALICE_PW +requires_preauth alice"
    kadm "addprinc -pw $BOB_PW +requires_preauth bob"
    kadm "addprinc -randkey HTTP/web.lab.test"
    kadm "addprinc -randkey host/web.lab.test"
    kadm "addprinc -randkey host/client.lab.test"
    # A user whose tickets are big: a long principal name is repeated in the
    # clear part of the AS-REP, in the ticket's client name and in the PAC
    # (twice, as UTF-16), which together push the replies well past 1280
    # bytes for the fragmentation scenario.
    BIG_USER="carol.$(printf 'x%.0s' {1..20}).with.a.very.long.principal.name.for.fragmentation.tests.$(printf 'y%.0s' {1..60})"
    kadm "addprinc -pw $BOB_PW +requires_preauth $BIG_USER"
    # Keytabs for later lab stages (web server); only in the temp dir.
    kadm "ktadd -k $TMP/kdc/http.keytab HTTP/web.lab.test"
    kadm "ktadd -k $TMP/kdc/host.keytab host/web.lab.test host/client.lab.test"
    keys_kdc_db $REALM "$TMP/kdc"
}

kdc_start() {
    # Not through in_ns: a function would run in a subshell and $! would be
    # that subshell, not the process (ip netns exec execs the command).
    ip netns exec $NS_KDC env KRB5_CONFIG="$TMP/kdc/krb5.conf" KRB5_KDC_PROFILE="$TMP/kdc/kdc.conf" \
        krb5kdc -n -r $REALM >"$TMP/kdc/krb5kdc.out" 2>&1 &
    PIDS+=($!)
    if wait_listening $NS_KDC "$KDC4:88"; then
        log "krb5kdc listening (pid ${PIDS[-1]})"; return 0
    fi
    cat "$TMP/kdc/krb5kdc.out" "$TMP/kdc/kdc.log" >&2 2>/dev/null || true
    die "krb5kdc did not start"
}

# wait_listening NAMESPACE ADDR:PORT: true once a socket in NAMESPACE listens
# on ADDR:PORT (as ss prints it) for both UDP and TCP; false after 5 s
wait_listening() {
    local i
    for i in $(seq 50); do
        if in_ns "$1" ss -lnu 2>/dev/null | grep -q "$2" \
           && in_ns "$1" ss -lnt 2>/dev/null | grep -q "$2"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ----------------------------------------------------------------- client ---
# write_client_conf FILE "kdc lines" [extra libdefaults lines] [extra realms]
write_client_conf() {
    local file=$1 kdcs=$2 extra=${3:-} realms=${4:-}
    cat >"$file" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    kdc_timesync = 0
$extra

[realms]
    $REALM = {
        $kdcs
    }
$realms

[domain_realm]
    .lab.test = $REALM
    lab.test = $REALM
EOF
}

# client CONF CMD... : run a Kerberos client command in the client namespace
client() {
    local conf=$1; shift
    in_ns $NS_CLIENT env KRB5_CONFIG="$conf" KRB5CCNAME="FILE:$TMP/client/ccache" \
        KRB5_TRACE="$TMP/client/trace.log" "$@"
}
# kinit_pw CONF PASSWORD ARGS...
kinit_pw() {
    local conf=$1 pw=$2; shift 2
    printf '%s\n' "$pw" | client "$conf" kinit "$@"
}

# cgi_httpd_head DIR HOST ADDR MODULES: the head of the lab's Apache
# front ends' httpd.conf (paths under DIR, one prefork server on ADDR:80,
# mod_auth_gssapi and CGI loaded, everything denied); each scenario group
# appends its ScriptAlias and <Location>.
cgi_httpd_head() {
    local D=$1 H=$2 A=$3 M=$4
    cat <<EOF
ServerRoot "$D"
ServerName $H
Listen $A:80
PidFile $D/run/httpd.pid
DefaultRuntimeDir $D/run
ErrorLog $D/error.log
LogLevel warn auth_gssapi:info
LogFormat "%h %u \"%r\" %>s" kf
CustomLog $D/access.log kf
User www-data
Group www-data
LoadModule mpm_prefork_module $M/mod_mpm_prefork.so
LoadModule authn_core_module $M/mod_authn_core.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule authz_user_module $M/mod_authz_user.so
LoadModule alias_module $M/mod_alias.so
LoadModule env_module $M/mod_env.so
LoadModule cgi_module $M/mod_cgi.so
LoadModule auth_gssapi_module $M/mod_auth_gssapi.so
StartServers 1
MinSpareServers 1
MaxSpareServers 2
ServerLimit 4
MaxRequestWorkers 4
Timeout 10
KeepAlive Off
<Directory />
    Require all denied
</Directory>
EOF
}

# -------------------------------------------------------------- capturing ---
capture_start() {
    local out=$1
    rm -f "$out"
    # Capture on the client's interface only. -U and --immediate-mode: hand
    # over and write each packet at once (without them the last packets can
    # still sit in the kernel ring when tcpdump is stopped);
    # -s 0: whole packets; -Z root: keep writing in our private dir. The
    # filter drops link-layer multicast (IPv6 MLD and similar chatter), which
    # has nothing to do with Kerberos; ARP/ND do not happen (static neighbours).
    local cap_ns=${2:-$NS_CLIENT} cap_if=${3:-$IF_CLIENT}
    # Empty it here, not only through the redirection below: that happens in
    # the background child, and until it does the file still holds the last
    # scenario's "listening on", which the loop below would take for this
    # tcpdump's (the scenario then started before the capture did, and its
    # first packets were missing).
    : >"$TMP/tcpdump.err"
    ip netns exec "$cap_ns" tcpdump -i "$cap_if" -n -U --immediate-mode -s 0 -Z root -w "$out" \
        'not ether multicast and not ether broadcast' >"$TMP/tcpdump.err" 2>&1 &
    TCPDUMP_PID=$!
    local i
    for i in $(seq 50); do
        grep -q 'listening on' "$TMP/tcpdump.err" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$TMP/tcpdump.err" >&2
    die "tcpdump did not start"
}

capture_stop() {
    sleep 0.5    # let the last replies and FIN/ACKs arrive
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    wait "$TCPDUMP_PID" 2>/dev/null || true
    TCPDUMP_PID=
}

# run_scenario NAME: scenario_NAME writes $CAP_NAME's packets while capturing
run_scenario() {
    local name=$1 file
    file=$(scenario_file_$name)
    log "scenario $name -> $file"
    rm -f "$TMP/client/ccache"
    : >"$TMP/client/trace.log"
    local start=$SECONDS
    local where=()
    if declare -F "scenario_capture_$name" >/dev/null; then
        read -r -a where <<<"$("scenario_capture_$name")"
    fi
    capture_start "$TMP/$file" "${where[@]}"
    "scenario_$name"
    capture_stop
    set_mtu 1500
    cp "$TMP/$file" "$OUTDIR/$file"
    chmod 644 "$OUTDIR/$file"
    cp "$TMP/client/trace.log" "$TMP/trace-$name.log" 2>/dev/null || true
    log "  $(stat -c %s "$OUTDIR/$file") bytes, $((SECONDS - start)) s"
}

# ------------------------------------------------------------------- keys ---
# After the last scenario the lab writes TEST-ONLY keytabs next to the
# captures, into $OUTDIR/keys/, so that a tool that decrypts Kerberos can be
# tested on the samples (the keys are random, made for this run, and belong to
# realms that exist only in these namespaces):
#   lab-kdc.keytab       every key the lab's KDCs hold at the end of the run:
#                        every principal of every realm (krbtgt and cross-realm
#                        krbtgt included; not K/M, kadmin/*, kiprop/*)
#   lab-services.keytab  the keytabs the lab's services were given, merged, as
#                        they held them: the deliberately wrong ones included
#   README.md            what they are; each entry's principal, kvno and
#                        enctype (klist -k -e: never the keys)
# Key material never reaches a log: kadmin.local, ktutil and klist (without
# -K) print names only. What a group registers at setup time is exported, so a
# run of some scenarios exports the keys of what those set up; the keys match
# only the captures of the same run.
keys_kdc_db() { LAB_KDC_DBS+=("$1 $2"); }
keys_kdc_keytab() { LAB_KDC_KEYTABS+=("$1|$2"); }
keys_service() { LAB_SERVICE_KEYTABS+=("$1|$2"); }
keys_extra() { LAB_EXTRA_KEYTABS+=("$1|$2|$3"); }

# keys_klist KEYTAB: "kvno principal (enctype)" lines, no keys
keys_klist() {
    env KRB5_CONFIG="$TMP/kdc/krb5.conf" klist -k -e "$1" | awk '$1 ~ /^[0-9]+$/ {sub(/[[:space:]]+$/, ""); print "    " $0}'
}

# keys_merge OUT KEYTAB...: one keytab with the entries of all, in order
keys_merge() {
    local out=$1 kt; shift
    rm -f "$out"
    {
        for kt in "$@"; do printf 'rkt %s\n' "$kt"; done
        printf 'wkt %s\nquit\n' "$out"
    } | env KRB5_CONFIG="$TMP/kdc/krb5.conf" ktutil >>"$TMP/keys/ktutil.log" 2>&1
    [[ -s $out ]] || die "ktutil could not write $out (see $TMP/keys/ktutil.log)"
}

# keys_mit_realm REALM DIR OUT: the current keys of every principal of an MIT
# KDC database (ktadd -norandkey leaves them as they are). A principal already
# exported from another database (a cross-realm krbtgt is in both realms'
# databases, with the same key) is left out; KEYS_DONE holds the names.
declare -A KEYS_DONE=()
keys_mit_realm() {
    local realm=$1 dir=$2 out=$3 p princs=() listing
    local kenv=(env KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf")
    listing=$("${kenv[@]}" kadmin.local -r "$realm" -q listprincs 2>>"$TMP/keys/kadmin.log") \
        || die "kadmin.local listprincs ($realm)"
    while read -r p; do
        [[ $p =~ ^[^[:space:]]+@[^[:space:]]+$ ]] || continue
        case $p in K/M@*|kadmin/*|kiprop/*) continue ;; esac
        [[ -n ${KEYS_DONE[$p]:-} ]] && continue
        KEYS_DONE[$p]=1
        princs+=("$p")
    done <<<"$listing"
    [[ ${#princs[@]} -gt 0 ]] || die "no principals in $realm"
    rm -f "$out"
    "${kenv[@]}" kadmin.local -r "$realm" -q "ktadd -norandkey -k $out ${princs[*]}" \
        >>"$TMP/keys/kadmin.log" 2>&1 || die "kadmin.local ktadd ($realm)"
    listing=$(keys_klist "$out")
    for p in "${princs[@]}"; do
        grep -qF " $p (" <<<"$listing" || die "$p missing from the $realm keytab (see $TMP/keys/kadmin.log)"
    done
}

keys_export() {
    local K=$TMP/keys entry realm dir f label fn kt name i=0
    rm -rf "$K"; mkdir -p "$K"
    for fn in "${LAB_KEYS_HOOKS[@]}"; do "$fn"; done
    local kdc_parts=() kdc_labels=() svc_parts=() svc_labels=()
    for entry in "${LAB_KDC_DBS[@]}"; do
        read -r realm dir <<<"$entry"
        i=$((i + 1))
        keys_mit_realm "$realm" "$dir" "$K/kdc-$i-$realm.keytab"
        kdc_parts+=("$K/kdc-$i-$realm.keytab"); kdc_labels+=("realm $realm (MIT krb5kdc)")
    done
    for entry in "${LAB_KDC_KEYTABS[@]}"; do
        kdc_parts+=("${entry%%|*}"); kdc_labels+=("${entry#*|}")
    done
    for entry in "${LAB_SERVICE_KEYTABS[@]}"; do
        svc_parts+=("${entry%%|*}"); svc_labels+=("${entry#*|}")
    done
    keys_merge "$K/lab-kdc.keytab" "${kdc_parts[@]}"
    [[ ${#svc_parts[@]} -eq 0 ]] || keys_merge "$K/lab-services.keytab" "${svc_parts[@]}"
    {
        cat <<'EOF'
# TEST-ONLY keys of the krbflow lab

**These are not secrets.** They are random keys of throw-away realms that existed only for one
run of `samples/lab/lab.sh`, inside network namespaces with no route out, and were never used
anywhere else. They are here so that Kerberos decryption (`krbflow --keytab`, Wireshark's
`kerberos.file`) can be tested on the captures of the same run, next to this directory. Every
lab run makes new keys: these match only the captures written by the run that wrote them.

- `lab-kdc.keytab`: every key the lab's KDCs held at the end of the run, i.e. what the KDCs
  know: every principal of every realm (users, services, `krbtgt/...` including the
  cross-realm ones) at its current kvno; not `K/M`, `kadmin/*`, `kiprop/*`. No key changed
  after the first capture of the run (but the kpasswd scenario's user's: see its own keytab
  below), so it holds the key of every ticket and AS-REP of the captures (TGS-REPs are
  encrypted with session keys found inside those).
- `lab-services.keytab`: the keytabs the lab gave to its services, merged, exactly as those
  services held them: what a support engineer is handed as "the server's keytab". It includes
  the deliberately wrong keys of the failure scenarios, so it does not decrypt every ticket, and
  where two entries have the same principal, kvno and enctype only one of them is right.
- Samba's `exportkeytab` names a key by its account (`websvc@AD.LAB.TEST`, `krbtgt@AD.LAB.TEST`),
  not by the SPNs the tickets name (`HTTP/web.ad.lab.test`, `krbtgt/AD.LAB.TEST`), as AD keytabs
  often do: match those keys by enctype and kvno, not by name.

Written by `samples/lab/lab.sh` (its "keys" section). Entries as `klist -k -e` lists them
(kvno, principal, enctype; never the keys).
EOF
        printf '\n## lab-kdc.keytab\n'
        for i in "${!kdc_parts[@]}"; do
            printf '\n%s:\n\n' "${kdc_labels[$i]}"
            keys_klist "${kdc_parts[$i]}"
        done
        if [[ ${#svc_parts[@]} -gt 0 ]]; then
            printf '\n## lab-services.keytab\n\nIn this order in the file:\n'
            for i in "${!svc_parts[@]}"; do
                printf '\n%s:\n\n' "${svc_labels[$i]}"
                keys_klist "${svc_parts[$i]}"
            done
        fi
        for entry in "${LAB_EXTRA_KEYTABS[@]}"; do
            IFS='|' read -r kt name label <<<"$entry"
            printf '\n## %s\n\n%s:\n\n' "$name" "$label"
            keys_klist "$kt"
        done
    } >"$K/README.md"
    mkdir -p "$OUTDIR/keys"
    chmod 755 "$OUTDIR/keys"
    rm -f "$OUTDIR/keys/lab-services.keytab"
    for f in lab-kdc.keytab lab-services.keytab README.md; do
        [[ -e $K/$f ]] || continue
        cp "$K/$f" "$OUTDIR/keys/$f"
        chmod 644 "$OUTDIR/keys/$f"
    done
    for entry in "${LAB_EXTRA_KEYTABS[@]}"; do
        IFS='|' read -r kt name label <<<"$entry"
        cp "$kt" "$OUTDIR/keys/$name"
        chmod 644 "$OUTDIR/keys/$name"
    done
    local nk ns=0
    nk=$(keys_klist "$K/lab-kdc.keytab" | wc -l)
    [[ -e $K/lab-services.keytab ]] && ns=$(keys_klist "$K/lab-services.keytab" | wc -l)
    log "keys: $nk KDC keytab entries, $ns service keytab entries in $OUTDIR/keys"
}

# -------------------------------------------------------------- scenarios ---
# (a) AS exchange with PREAUTH_REQUIRED, then a service ticket, over UDP.
scenario_file_udp() { echo kerberos-udp.pcap; }
scenario_udp() {
    local conf=$TMP/client/udp.conf
    write_client_conf "$conf" "kdc = $KDC4"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    client "$conf" kvno HTTP/web.lab.test >/dev/null
}

# (b) The same over TCP (udp_preference_limit = 1 makes MIT try TCP first),
# with a forwardable TGT and two service tickets. MIT's client opens one TCP
# connection per request and MIT's KDC closes it after its reply, so each
# connection carries exactly one request and one reply record.
scenario_file_tcp() { echo kerberos-tcp.pcap; }
scenario_tcp() {
    local conf=$TMP/client/tcp.conf
    write_client_conf "$conf" "kdc = $KDC4" "    udp_preference_limit = 1"
    kinit_pw "$conf" "$ALICE_PW" -f alice >/dev/null
    client "$conf" kvno HTTP/web.lab.test >/dev/null
    client "$conf" kvno host/web.lab.test >/dev/null
}

# (c) Errors: unknown service, wrong password, unknown user (UDP).
scenario_file_errors() { echo kerberos-errors.pcap; }
scenario_errors() {
    local conf=$TMP/client/errors.conf
    write_client_conf "$conf" "kdc = $KDC4"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    expect_fail client "$conf" kvno HTTP/nosuch.lab.test
    expect_fail kinit_pw "$conf" "wrong-$ALICE_PW" alice
    expect_fail kinit_pw "$conf" "whatever" mallory
}

# (d) kinit + kvno over IPv6.
scenario_file_ipv6() { echo kerberos-ipv6.pcap; }
scenario_ipv6() {
    local conf=$TMP/client/ipv6.conf
    write_client_conf "$conf" "kdc = [$KDC6]"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    client "$conf" kvno HTTP/web.lab.test >/dev/null
}

# (e) Replies larger than a 1280-byte MTU over UDP: the KDC's kernel splits
# them into IP fragments. The big user (long name, repeated in the ticket and
# PAC) makes the AS-REP and TGS-REP exceed the MTU.
scenario_file_fragmented() { echo kerberos-udp-fragmented.pcap; }
scenario_fragmented() {
    local conf=$TMP/client/frag.conf
    # udp_preference_limit: requests stay on UDP whatever their size.
    write_client_conf "$conf" "kdc = $KDC4" "    udp_preference_limit = 65535"
    set_mtu 1280
    kinit_pw "$conf" "$BOB_PW" "$BIG_USER" >/dev/null
    client "$conf" kvno HTTP/web.lab.test >/dev/null
}

# (g) TCP with Kerberos records larger than one segment: the big user's
# AS-REP, TGS-REQ and TGS-REP each span two TCP segments (MTU 1280: MSS 1240,
# 1228 bytes of data a segment with TCP timestamps).
scenario_file_tcpseg() { echo kerberos-tcp-segmented.pcap; }
scenario_tcpseg() {
    local conf=$TMP/client/tcpseg.conf
    write_client_conf "$conf" "kdc = $KDC4" "    udp_preference_limit = 1"
    set_mtu 1280
    kinit_pw "$conf" "$BOB_PW" "$BIG_USER" >/dev/null
    client "$conf" kvno HTTP/web.lab.test >/dev/null
}

# (f) No KDC answers. Realm DEAD.TEST lists two KDCs: 10.88.1.1 is routed to
# the KDC host, which drops it silently (UDP without reply, TCP SYNs without
# SYN-ACK); 10.88.0.3 is the KDC host itself with nothing on port 88 (ICMP
# port unreachable for UDP, RST for TCP).
scenario_file_unreachable() { echo kerberos-kdc-unreachable.pcap; }
scenario_unreachable() {
    local conf=$TMP/client/dead.conf
    write_client_conf "$conf" "kdc = $KDC4" "" "    DEAD.TEST = {
        kdc = $DEAD4_SILENT
        kdc = $DEAD4_CLOSED
    }"
    local t0=$SECONDS
    expect_fail kinit_pw "$conf" "whatever" alice@DEAD.TEST
    log "  kinit gave up after $((SECONDS - t0)) s"
}

expect_fail() {
    if "$@" >/dev/null 2>"$TMP/client/last.err"; then
        die "expected failure but succeeded: $*"
    fi
    log "  (expected) $(tr '\n' ' ' <"$TMP/client/last.err")"
}

# ------------------------------------------------------------------- main ---
for s in "${SCENARIOS[@]}"; do
    declare -F "scenario_$s" >/dev/null || die "unknown scenario '$s' (have: ${ALL_SCENARIOS[*]})"
done
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
T0=$SECONDS
netns_setup
kdc_setup
kdc_start
# group setups whose scenarios were selected
for hook in "${LAB_SETUP[@]}"; do
    read -r -a words <<<"$hook"
    for s in "${SCENARIOS[@]}"; do
        if [[ " ${words[*]:1} " == *" $s "* ]]; then
            log "setup: ${words[0]}"
            "${words[0]}"
            break
        fi
    done
done
for s in "${SCENARIOS[@]}"; do
    run_scenario "$s"
done
keys_export
log "done in $((SECONDS - T0)) s; captures in $OUTDIR"
