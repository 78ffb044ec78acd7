# shellcheck shell=bash disable=SC2153  # REALM, TMP, ... come from lab.sh
# Scenario group "deleg": delegation (the double hop), S4U, cross-realm, and
# the UDP size limits of a KDC. Sourced by samples/lab/lab.sh (see its
# "scenario groups" comment); at source time it only declares. Notes and the
# list of captures: deleg.md next to this file.
#
# Hosts (namespaces on the lab bridge, static neighbours, no routes out):
#   kf-front 10.88.0.30 fd88::30  Apache + mod_auth_gssapi, HTTP/front.lab.test,
#                                 a CGI that calls the back end (double hop);
#                                 also the S4U front end (keytab of S4U.TEST)
#   kf-back  10.88.0.31 fd88::31  Apache + mod_auth_gssapi, HTTP/back.lab.test
#   kf-kdc2  10.88.0.40 fd88::40  MIT KDC of OTHER.TEST (DB2), cross-realm
#                                 trust with LAB.TEST and S4U.TEST
#   kf-kdc3  10.88.0.42 fd88::42  MIT KDC of S4U.TEST on the LDAP back end
#                                 (slapd on a UNIX socket in the same host, so
#                                 no LDAP traffic on the bridge): the only KDC
#                                 here that can hold constrained delegation rules
#   kf-kdc   +10.88.0.43          a second krb5kdc on the lab's LAB.TEST
#                                 database with a small UDP reply limit
# Host names are never resolved: curl gets --resolve, the krb5 profiles have
# IP addresses, no DNS canonicalisation and no reverse lookups.

DELEG_SCENARIOS_WEB=(deleg-works deleg-not-forwarded deleg-not-forwardable)
DELEG_SCENARIOS_S4U=(s4u-allowed s4u-denied s4u-self-no-protocol-transition)
DELEG_SCENARIOS_XREALM=(xrealm-referral xrealm-s4u)
DELEG_SCENARIOS_UDP=(udp-response-too-big udp-fragments-dropped)
ALL_SCENARIOS+=("${DELEG_SCENARIOS_WEB[@]}" "${DELEG_SCENARIOS_S4U[@]}"
                "${DELEG_SCENARIOS_XREALM[@]}" "${DELEG_SCENARIOS_UDP[@]}")
LAB_PACKAGES+=(apache2:apache2 curl:curl slapd:slapd ldapadd:ldap-utils
               kdb5_ldap_util:krb5-kdc-ldap nft:nftables setfacl:acl
               /usr/lib/apache2/modules/mod_auth_gssapi.so:libapache2-mod-auth-gssapi)
LAB_GROUP_NAMESPACES+=(kf-front kf-back kf-kdc2 kf-kdc3)
LAB_SETUP+=("deleg_setup_hosts ${DELEG_SCENARIOS_WEB[*]} ${DELEG_SCENARIOS_S4U[*]} ${DELEG_SCENARIOS_XREALM[*]}")
LAB_SETUP+=("deleg_setup_kdc2 ${DELEG_SCENARIOS_XREALM[*]}")
LAB_SETUP+=("deleg_setup_kdc3 ${DELEG_SCENARIOS_S4U[*]} xrealm-s4u")
LAB_SETUP+=("deleg_setup_web ${DELEG_SCENARIOS_WEB[*]}")
LAB_SETUP+=("deleg_setup_udp udp-response-too-big")

DELEG_NET=10.88.0
DELEG_FRONT4=$DELEG_NET.30; DELEG_FRONT6=fd88::30; DELEG_FRONT_MAC=02:88:00:00:00:30
DELEG_BACK4=$DELEG_NET.31;  DELEG_BACK6=fd88::31;  DELEG_BACK_MAC=02:88:00:00:00:31
DELEG_KDC2_4=$DELEG_NET.40; DELEG_KDC2_6=fd88::40; DELEG_KDC2_MAC=02:88:00:00:00:40
DELEG_KDC3_4=$DELEG_NET.42; DELEG_KDC3_6=fd88::42; DELEG_KDC3_MAC=02:88:00:00:00:42
DELEG_SMALL4=$DELEG_NET.43     # extra address of kf-kdc: the small-UDP-limit KDC
DELEG_SMALL_LIMIT=1400         # its kdc_max_dgram_reply_size
DELEG_APACHE_MODS=/usr/lib/apache2/modules
DELEG_TRUST_PW=                # cross-realm keys (set on first use)
DELEG_S4U_ALICE_PW=
DELEG_LDAP_PW=

deleg_dir() { echo "$TMP/deleg"; }

# the bridge: every host's packets, as a tap on the LAN would see them
deleg_on_bridge() { echo "$NS_LAN br0"; }

# sets DELEG_TRUST_PW once (call it directly, not in $(...))
deleg_trust_pw() {
    [[ -n $DELEG_TRUST_PW ]] || DELEG_TRUST_PW=$(gen_pw)
}

# deleg_conf FILE DEFAULT_REALM [extra libdefaults]: a krb5.conf knowing the
# three realms of the lab (KDCs by address) and their DNS domains.
deleg_conf() {
    local file=$1 realm=$2 extra=${3:-}
    cat >"$file" <<EOF
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    kdc_timesync = 0
$extra

[realms]
    $REALM = {
        kdc = $KDC4
    }
    OTHER.TEST = {
        kdc = $DELEG_KDC2_4
    }
    S4U.TEST = {
        kdc = $DELEG_KDC3_4
    }

[domain_realm]
    .lab.test = $REALM
    lab.test = $REALM
    .other.test = OTHER.TEST
    other.test = OTHER.TEST
    .s4u.test = S4U.TEST
    s4u.test = S4U.TEST
EOF
    chmod 644 "$file"
}

# deleg_kadm KDCDIR REALM QUERY: kadmin.local on a KDC's database
deleg_kadm() {
    local dir=$1 realm=$2 out rc=0
    out=$(env KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" \
        kadmin.local -r "$realm" -q "$3" 2>&1) || rc=$?
    printf '%s\n' "$out" >>"$dir/kadmin.local.log"
    # kadmin.local -q reports a failed query only in its output
    if [[ $rc != 0 ]] || grep -qiE ' while |error|failed|cannot' <<<"$out"; then
        printf '%s\n' "$out" >&2
        die "kadmin.local ($realm): $3"
    fi
}
deleg_kadm_lab() { deleg_kadm "$TMP/kdc" "$REALM" "$1"; }

# deleg_wait_listen NS ADDR:PORT [tcp|udp] WHAT LOGFILE
deleg_wait_listen() {
    local ns=$1 addr=$2 proto=${3:-tcp} what=$4 logf=${5:-} _
    for _ in $(seq 100); do
        if in_ns "$ns" ss -ln --"$proto" 2>/dev/null | grep -qF " $addr "; then
            log "  $what listening on $addr/$proto"; return 0
        fi
        sleep 0.05
    done
    [[ -n $logf ]] && tail -n 20 "$logf" >&2
    die "$what did not start"
}

# deleg_start_kdc NS DIR REALM ADDR: krb5kdc in the foreground, PID in PIDS
deleg_start_kdc() {
    local ns=$1 dir=$2 realm=$3 addr=$4
    ip netns exec "$ns" env KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" \
        krb5kdc -n -r "$realm" >"$dir/krb5kdc.out" 2>&1 &
    PIDS+=($!)
    deleg_wait_listen "$ns" "$addr:88" udp "krb5kdc $realm" "$dir/krb5kdc.out"
    deleg_wait_listen "$ns" "$addr:88" tcp "krb5kdc $realm" "$dir/krb5kdc.out"
}

# ------------------------------------------------------------------ hosts ---
deleg_setup_hosts() {
    mkdir -p "$(deleg_dir)"
    chmod 755 "$(deleg_dir)"
    ns_add_host kf-front kf-fe0 $DELEG_FRONT_MAC $DELEG_FRONT4/24 $DELEG_FRONT6/64
    ns_add_host kf-back  kf-be0 $DELEG_BACK_MAC  $DELEG_BACK4/24  $DELEG_BACK6/64
    ns_add_host kf-kdc2  kf-kd2 $DELEG_KDC2_MAC  $DELEG_KDC2_4/24 $DELEG_KDC2_6/64
    ns_add_host kf-kdc3  kf-kd3 $DELEG_KDC3_MAC  $DELEG_KDC3_4/24 $DELEG_KDC3_6/64
    # Static neighbours between every pair of hosts this group talks among.
    local hosts=("$NS_CLIENT $CLIENT4 $CLIENT6 $MAC_CLIENT" "$NS_KDC $KDC4 $KDC6 $MAC_KDC"
                 "kf-front $DELEG_FRONT4 $DELEG_FRONT6 $DELEG_FRONT_MAC"
                 "kf-back $DELEG_BACK4 $DELEG_BACK6 $DELEG_BACK_MAC"
                 "kf-kdc2 $DELEG_KDC2_4 $DELEG_KDC2_6 $DELEG_KDC2_MAC"
                 "kf-kdc3 $DELEG_KDC3_4 $DELEG_KDC3_6 $DELEG_KDC3_MAC")
    local a b an bn b4 b6 bmac
    for a in "${hosts[@]}"; do
        read -r an _ _ _ <<<"$a"
        for b in "${hosts[@]}"; do
            read -r bn b4 b6 bmac <<<"$b"
            [[ $an == "$bn" ]] && continue
            # the client and the KDC already know each other (lab.sh)
            [[ $an == "$NS_CLIENT" && $bn == "$NS_KDC" ]] && continue
            [[ $an == "$NS_KDC" && $bn == "$NS_CLIENT" ]] && continue
            ns_static_neighbour "$an" "$b4" "$bmac"
            ns_static_neighbour "$an" "$b6" "$bmac"
        done
    done
}

# ----------------------------------------------- OTHER.TEST (kf-kdc2, DB2) ---
deleg_setup_kdc2() {
    local dir=$TMP/kdc2 pw
    mkdir -p "$dir"
    deleg_trust_pw; pw=$DELEG_TRUST_PW
    cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = $DELEG_KDC2_4:88
    kdc_tcp_listen = $DELEG_KDC2_4:88

[realms]
    OTHER.TEST = {
        database_name = $dir/principal
        acl_file = $dir/kadm5.acl
        key_stash_file = $dir/stash
        max_life = 10h 0m 0s
        max_renewable_life = 7d 0h 0m 0s
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }

[logging]
    kdc = FILE:$dir/kdc.log
    default = FILE:$dir/krb5lib.log
EOF
    : >"$dir/kadm5.acl"
    deleg_conf "$dir/krb5.conf" OTHER.TEST
    env KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" \
        kdb5_util create -s -r OTHER.TEST -P "$(gen_pw)" >"$dir/kdb5_util.log" 2>&1 \
        || die "kdb5_util create OTHER.TEST (see $dir/kdb5_util.log)"
    deleg_kadm "$dir" OTHER.TEST "addprinc -randkey HTTP/app.other.test"
    # Cross-realm keys: the same principal, password (hence salt and keys),
    # enctypes and kvno (1) in both realms' databases; both directions.
    local p
    for p in krbtgt/OTHER.TEST@$REALM krbtgt/$REALM@OTHER.TEST \
             krbtgt/OTHER.TEST@S4U.TEST krbtgt/S4U.TEST@OTHER.TEST; do
        deleg_kadm "$dir" OTHER.TEST "addprinc -pw $pw -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal $p"
    done
    for p in krbtgt/OTHER.TEST@$REALM krbtgt/$REALM@OTHER.TEST; do
        deleg_kadm_lab "addprinc -pw $pw -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal $p"
    done
    deleg_start_kdc kf-kdc2 "$dir" OTHER.TEST "$DELEG_KDC2_4"
    keys_kdc_db OTHER.TEST "$dir"
}

# ------------------------------------------- S4U.TEST (kf-kdc3, LDAP KDB) ---
# MIT keeps constrained delegation rules (krbAllowedToDelegateTo) only in
# its LDAP back end. slapd runs in kf-kdc3 on a UNIX socket under $TMP.
deleg_ldapi_url() {
    local path=$TMP/kdc3/ldapi
    echo "ldapi://${path//\//%2F}"
}
DELEG_LDAP_BASE=dc=s4u,dc=test
DELEG_LDAP_ADMIN=cn=admin,dc=s4u,dc=test
DELEG_LDAP_REALM_DN=cn=S4U.TEST,cn=krbContainer,dc=s4u,dc=test

deleg_ldap() {    # deleg_ldap ldapadd|ldapmodify < LDIF
    in_ns kf-kdc3 env LDAPNOINIT=1 "$1" -x -H "$(deleg_ldapi_url)" -D "$DELEG_LDAP_ADMIN" \
        -w "$DELEG_LDAP_PW" >>"$TMP/kdc3/ldap-client.log" 2>&1 \
        || { tail -n 5 "$TMP/kdc3/ldap-client.log" >&2; die "$1 failed"; }
}

deleg_setup_kdc3() {
    local dir=$TMP/kdc3 pw
    mkdir -p "$dir/db"
    deleg_trust_pw; pw=$DELEG_TRUST_PW
    DELEG_LDAP_PW=$(gen_pw)
    DELEG_S4U_ALICE_PW=$(gen_pw)
    zcat /usr/share/doc/krb5-kdc-ldap/kerberos.schema.gz >"$dir/kerberos.schema"
    cat >"$dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $dir/kerberos.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 33554432
suffix "$DELEG_LDAP_BASE"
rootdn "$DELEG_LDAP_ADMIN"
rootpw $DELEG_LDAP_PW
directory $dir/db
index objectClass eq
index krbPrincipalName eq,pres,sub
access to * by * none
EOF
    ip netns exec kf-kdc3 slapd -d 0 -f "$dir/slapd.conf" -h "$(deleg_ldapi_url)" \
        >"$dir/slapd.out" 2>&1 &
    PIDS+=($!)
    local _
    for _ in $(seq 100); do [[ -S $dir/ldapi ]] && break; sleep 0.05; done
    [[ -S $dir/ldapi ]] || { cat "$dir/slapd.out" >&2; die "slapd did not start"; }
    log "  slapd on $dir/ldapi (pid ${PIDS[-1]})"
    deleg_ldap ldapadd <<EOF
dn: $DELEG_LDAP_BASE
objectClass: dcObject
objectClass: organization
dc: s4u
o: s4u
EOF
    cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = $DELEG_KDC3_4:88
    kdc_tcp_listen = $DELEG_KDC3_4:88

[realms]
    S4U.TEST = {
        database_module = ldap
        acl_file = $dir/kadm5.acl
        key_stash_file = $dir/stash
        max_life = 10h 0m 0s
        max_renewable_life = 7d 0h 0m 0s
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }

[dbmodules]
    ldap = {
        db_library = kldap
        ldap_kerberos_container_dn = cn=krbContainer,$DELEG_LDAP_BASE
        ldap_kdc_dn = $DELEG_LDAP_ADMIN
        ldap_kadmind_dn = $DELEG_LDAP_ADMIN
        ldap_service_password_file = $dir/ldap.stash
        ldap_servers = $(deleg_ldapi_url)
        ldap_conns_per_server = 2
    }

[logging]
    kdc = FILE:$dir/kdc.log
    default = FILE:$dir/krb5lib.log
EOF
    : >"$dir/kadm5.acl"
    deleg_conf "$dir/krb5.conf" S4U.TEST
    local kenv=(env KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf")
    printf '%s\n%s\n' "$DELEG_LDAP_PW" "$DELEG_LDAP_PW" | in_ns kf-kdc3 "${kenv[@]}" \
        kdb5_ldap_util stashsrvpw -f "$dir/ldap.stash" "$DELEG_LDAP_ADMIN" >"$dir/kdb5_ldap_util.log" 2>&1 \
        || { cat "$dir/kdb5_ldap_util.log" >&2; die "kdb5_ldap_util stashsrvpw"; }
    in_ns kf-kdc3 "${kenv[@]}" kdb5_ldap_util -D "$DELEG_LDAP_ADMIN" -w "$DELEG_LDAP_PW" \
        -H "$(deleg_ldapi_url)" create -subtrees "$DELEG_LDAP_BASE" -r S4U.TEST -s -P "$(gen_pw)" \
        >>"$dir/kdb5_ldap_util.log" 2>&1 \
        || { cat "$dir/kdb5_ldap_util.log" >&2; die "kdb5_ldap_util create"; }
    local k3=(deleg_kadm "$dir" S4U.TEST)
    "${k3[@]}" "addprinc -pw $DELEG_S4U_ALICE_PW +requires_preauth alice"
    # the front end: protocol transition allowed (+ok_to_auth_as_delegate),
    # constrained delegation to back and to a service of OTHER.TEST
    "${k3[@]}" "addprinc -randkey +ok_to_auth_as_delegate HTTP/front.s4u.test"
    # a second front end: allowed to delegate to back, but no protocol transition
    "${k3[@]}" "addprinc -randkey HTTP/front2.s4u.test"
    "${k3[@]}" "addprinc -randkey HTTP/back.s4u.test"
    "${k3[@]}" "addprinc -randkey HTTP/db.s4u.test"      # not in any allowed list
    local p
    for p in krbtgt/OTHER.TEST@S4U.TEST krbtgt/S4U.TEST@OTHER.TEST; do
        "${k3[@]}" "addprinc -pw $pw -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal $p"
    done
    "${k3[@]}" "ktadd -k $(deleg_dir)/s4u-front.keytab HTTP/front.s4u.test HTTP/front2.s4u.test"
    deleg_ldap ldapmodify <<EOF
dn: krbPrincipalName=HTTP/front.s4u.test@S4U.TEST,$DELEG_LDAP_REALM_DN
changetype: modify
add: krbAllowedToDelegateTo
krbAllowedToDelegateTo: HTTP/back.s4u.test@S4U.TEST
krbAllowedToDelegateTo: HTTP/app.other.test@OTHER.TEST

dn: krbPrincipalName=HTTP/front2.s4u.test@S4U.TEST,$DELEG_LDAP_REALM_DN
changetype: modify
add: krbAllowedToDelegateTo
krbAllowedToDelegateTo: HTTP/back.s4u.test@S4U.TEST
EOF
    deleg_start_kdc kf-kdc3 "$dir" S4U.TEST "$DELEG_KDC3_4"
    keys_kdc_db S4U.TEST "$dir"
    keys_service "$(deleg_dir)/s4u-front.keytab" "kf-front, the S4U front ends HTTP/front.s4u.test and HTTP/front2.s4u.test"
    deleg_conf "$(deleg_dir)/s4u.conf" S4U.TEST
    # the same without a realm for other.test: host-based names there get
    # the referral realm, and the client asks its own KDC first
    grep -v 'other\.test' "$(deleg_dir)/s4u.conf" >"$(deleg_dir)/s4u-referral.conf"
}

# --------------------------------------------- web front and back (LAB.TEST) ---
# deleg_apache NAME NS ADDR HOST SCRIPT-URL SCRIPT [extra <Location> lines]
deleg_apache() {
    local name=$1 ns=$2 addr=$3 host=$4 url=$5 script=$6 extra=${7:-}
    local dir; dir=$(deleg_dir)/$name
    {
    cgi_httpd_head "$dir" "$host" "$addr" "$DELEG_APACHE_MODS"
    cat <<EOF
ScriptAlias $url $script
<Location $url>
    AuthType GSSAPI
    AuthName "$host"
    GssapiAllowedMech krb5
    GssapiCredStore keytab:$dir/http.keytab
$extra
    Require valid-user
</Location>
EOF
    } >"$dir/httpd.conf"
    # Apache and its CGI: the krb5 profile of the lab, no replay cache file
    # outside the lab's directory. setsid: when it stops, Apache's MPM sends
    # SIGTERM to its whole process group (killpg), and with -DFOREGROUND that
    # would be the lab's group (lab.sh, mid-cleanup, and whatever started it).
    # (setsid does not fork here: a background job of a script is no group
    # leader, so the PID stays Apache's.)
    ip netns exec "$ns" setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin KRB5_CONFIG="$(deleg_dir)/lab.conf" \
        KRB5RCACHETYPE=none apache2 -f "$dir/httpd.conf" -DFOREGROUND >"$dir/apache.out" 2>&1 &
    PIDS+=($!)
    deleg_wait_listen "$ns" "$addr:80" tcp "apache2 $name" "$dir/apache.out"
}

deleg_setup_web() {
    local d; d=$(deleg_dir)
    # Apache's workers run as www-data: let that user (only) traverse the
    # lab's private directory; what it may read below is set file by file.
    setfacl -m u:www-data:x "$TMP" || die "setfacl on $TMP"
    mkdir -p "$d/front/run" "$d/front/deleg" "$d/back/run"
    chmod 755 "$d/front" "$d/back"
    chown www-data:www-data "$d/front/deleg"
    chmod 700 "$d/front/deleg"
    deleg_conf "$d/lab.conf" "$REALM"
    # HTTP/front may receive delegated tickets: ok_as_delegate is what MIT's
    # GSS_C_DELEG_POLICY_FLAG (curl --delegation policy) looks at, like
    # Windows' "trusted for delegation". Both services without
    # requires_preauth (the lab's default flags set it): on a service MIT
    # reads it as "only for clients whose TGT was pre-authenticated", which
    # the front end's keytab login is not (the back end's ticket would be
    # refused: KRB_ERR_GENERIC, e-text "NO PREAUTH").
    deleg_kadm_lab "addprinc -randkey +ok_as_delegate -requires_preauth HTTP/front.lab.test"
    deleg_kadm_lab "addprinc -randkey -requires_preauth HTTP/back.lab.test"
    deleg_kadm_lab "ktadd -k $d/front/http.keytab HTTP/front.lab.test"
    deleg_kadm_lab "ktadd -k $d/back/http.keytab HTTP/back.lab.test"
    chown www-data:www-data "$d/front/http.keytab" "$d/back/http.keytab"
    keys_service "$d/front/http.keytab" "kf-front Apache, front.lab.test (the double hop's front end)"
    keys_service "$d/back/http.keytab" "kf-back Apache, back.lab.test (the double hop's back end)"

    # The back end: answers with the name it authenticated.
    cat >"$d/back/data.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
printf 'back: hello %s\n' "$REMOTE_USER"
EOF
    # The front end: calls the back end with the user's delegated ticket
    # (KRB5CCNAME set by mod_auth_gssapi) or, without one, with its own
    # keytab, as a service account would.
    cat >"$d/front/app.cgi" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
printf 'front: hello %s\n' "\$REMOTE_USER"
if [ -n "\$KRB5CCNAME" ]; then
    printf 'front: calling the back end with the delegated credentials (%s)\n' "\$KRB5CCNAME"
else
    printf 'front: no delegated credentials; calling the back end as myself\n'
    KRB5CCNAME=FILE:$d/front/deleg/own.ccache
    KRB5_CLIENT_KTNAME=$d/front/http.keytab
    export KRB5CCNAME KRB5_CLIENT_KTNAME
fi
/usr/bin/curl -sS --noproxy '*' --max-time 5 --negotiate -u : \\
    --resolve back.lab.test:80:$DELEG_BACK4 -w 'front: back end answered HTTP %{http_code}\n' \\
    http://back.lab.test/data 2>&1
EOF
    chmod 755 "$d/front/app.cgi" "$d/back/data.cgi"
    deleg_apache front kf-front "$DELEG_FRONT4" front.lab.test /app "$d/front/app.cgi" \
        "    GssapiDelegCcacheDir $d/front/deleg
    SetEnv KRB5_CONFIG $d/lab.conf
    SetEnv KRB5_TRACE $d/front/deleg/cgi-trace.log"
    deleg_apache back kf-back "$DELEG_BACK4" back.lab.test /data "$d/back/data.cgi"
    # The "sensitive" user: its TGT is never forwardable (-allow_forwardable).
    deleg_kadm_lab "addprinc -pw $ALICE_PW +requires_preauth -allow_forwardable dave"
}

# deleg_web_call NAME KINIT-ARGS CURL-ARGS...: a user logs in and opens the
# front end's page; the page is logged and returned.
deleg_web_call() {
    local name=$1 kargs=$2 d; shift 2
    d=$(deleg_dir)
    rm -f "$d/front/deleg/"*
    local conf=$TMP/client/deleg.conf
    deleg_conf "$conf" "$REALM"
    # shellcheck disable=SC2086
    kinit_pw "$conf" "$ALICE_PW" $kargs >/dev/null
    client "$conf" curl -sS --noproxy '*' --max-time 10 --negotiate -u : "$@" \
        --resolve front.lab.test:80:$DELEG_FRONT4 http://front.lab.test/app \
        >"$d/$name.page" 2>&1 || true
    sed 's/^/  | /' "$d/$name.page" >&2
}

# 1. Unconstrained delegation that works: forwardable TGT, the client
# delegates (policy: HTTP/front is ok-as-delegate), the front end uses the
# delegated TGT to get a ticket for the back end in alice's name.
scenario_file_deleg-works() { echo deleg-works.pcap; }
scenario_capture_deleg-works() { deleg_on_bridge; }
scenario_deleg-works() {
    deleg_web_call deleg-works "-f alice" --delegation policy
    grep -q "back: hello alice@$REALM" "$(deleg_dir)/deleg-works.page" \
        || die "deleg-works: the back end did not see alice"
}

# 2. The client does not delegate: the front end has no delegated ticket and
# calls the back end with its own key (the back end sees HTTP/front.lab.test).
scenario_file_deleg-not-forwarded() { echo deleg-not-forwarded.pcap; }
scenario_capture_deleg-not-forwarded() { deleg_on_bridge; }
scenario_deleg-not-forwarded() {
    deleg_web_call deleg-not-forwarded "-f alice"
    grep -q "back: hello HTTP/front.lab.test@$REALM" "$(deleg_dir)/deleg-not-forwarded.page" \
        || die "deleg-not-forwarded: the back end did not see the front end's account"
}

# 3. The user's TGT is not forwardable (the user is "sensitive": principal
# dave has -allow_forwardable, so the KDC drops the forwardable option that
# kinit -f asks for) while the client delegates: MIT's client still sends the
# forwarded-TGT request, which the KDC refuses (BADOPTION, e-text "TGT NOT
# FORWARDABLE"; asked twice, referrals on and off). kinit without -f for
# alice gives the same exchange, only its AS-REQ lacks the forwardable option.
# The front end then calls the back end as itself, as in 2.
scenario_file_deleg-not-forwardable() { echo deleg-not-forwardable.pcap; }
scenario_capture_deleg-not-forwardable() { deleg_on_bridge; }
scenario_deleg-not-forwardable() {
    deleg_web_call deleg-not-forwardable "-f dave" --delegation policy
    grep -q "back: hello HTTP/front.lab.test@$REALM" "$(deleg_dir)/deleg-not-forwardable.page" \
        || die "deleg-not-forwardable: unexpected page"
}

# ------------------------------------------------------------------- S4U ---
# deleg_front_s4u FRONT-PRINCIPAL KVNO-ARGS...: the front end logs in with
# its keytab and runs kvno (S4U2Self, S4U2Proxy) on the KDC of S4U.TEST. Its
# TGT must be forwardable: MIT makes the S4U2Self ticket no more forwardable
# than the TGT it was asked with (else S4U2Proxy fails with BADOPTION,
# EVIDENCE_TKT_NOT_FORWARDABLE in the KDC log).
deleg_front_s4u() {
    local princ=$1 d; shift
    d=$(deleg_dir)
    rm -f "$d/s4u.ccache"
    : >"$d/s4u-trace.log"
    local fenv=(env KRB5_CONFIG="$d/${DELEG_S4U_CONF:-s4u.conf}" KRB5CCNAME="FILE:$d/s4u.ccache"
                KRB5_TRACE="$d/s4u-trace.log")
    in_ns kf-front "${fenv[@]}" kinit -f -k -t "$d/s4u-front.keytab" "$princ" \
        || die "kinit -k $princ"
    in_ns kf-front "${fenv[@]}" kvno "$@"
}

scenario_file_s4u-allowed() { echo s4u-allowed.pcap; }
scenario_capture_s4u-allowed() { deleg_on_bridge; }
scenario_s4u-allowed() {
    deleg_front_s4u HTTP/front.s4u.test -U alice -P HTTP/back.s4u.test >&2 \
        || die "s4u-allowed: kvno failed"
}

scenario_file_s4u-denied() { echo s4u-denied.pcap; }
scenario_capture_s4u-denied() { deleg_on_bridge; }
scenario_s4u-denied() {
    expect_fail deleg_front_s4u HTTP/front.s4u.test -U alice -P HTTP/db.s4u.test
}

scenario_file_s4u-self-no-protocol-transition() { echo s4u-self-no-protocol-transition.pcap; }
scenario_capture_s4u-self-no-protocol-transition() { deleg_on_bridge; }
scenario_s4u-self-no-protocol-transition() {
    expect_fail deleg_front_s4u HTTP/front2.s4u.test -U alice -P HTTP/back.s4u.test
}

# ------------------------------------------------------------- cross-realm ---
# alice@LAB.TEST asks for a service of OTHER.TEST: a cross-realm TGT from
# LAB.TEST's KDC, then the service ticket from OTHER.TEST's KDC.
scenario_file_xrealm-referral() { echo xrealm-referral.pcap; }
scenario_capture_xrealm-referral() { deleg_on_bridge; }
scenario_xrealm-referral() {
    local conf=$TMP/client/xrealm.conf
    deleg_conf "$conf" "$REALM"
    kinit_pw "$conf" "$ALICE_PW" alice >/dev/null
    client "$conf" kvno HTTP/app.other.test@OTHER.TEST >&2 || die "xrealm-referral: kvno failed"
}

# S4U2Proxy to a target in another realm (listed in the front end's
# krbAllowedToDelegateTo): classic constrained delegation does not cross
# realms. The target is named host-based without a realm (kvno -S, no
# domain_realm entry for other.test), as Windows does, so MIT's client takes
# the cross-realm S4U2Proxy path: S4U2Proxy to S4U.TEST's KDC, which answers
# with a referral TGT (krbtgt/OTHER.TEST); the front end's own referral TGT
# and ticket for the target; then S4U2Proxy to OTHER.TEST's KDC with the
# referral TGT as additional ticket, refused with KDC_ERR_BADOPTION
# "UNSUPPORTED_S4U2PROXY_REQUEST" (that KDC would need resource-based
# delegation, which neither MIT back end stores). With the realm spelled out
# (HTTP/app.other.test@OTHER.TEST) MIT 1.20's client instead sends its
# S4U.TEST TGT straight to OTHER.TEST's KDC: KDC_ERR_S_PRINCIPAL_UNKNOWN,
# e-text PROCESS_TGS (see deleg.md).
scenario_file_xrealm-s4u() { echo xrealm-s4u.pcap; }
scenario_capture_xrealm-s4u() { deleg_on_bridge; }
scenario_xrealm-s4u() {
    DELEG_S4U_CONF=s4u-referral.conf expect_fail deleg_front_s4u HTTP/front.s4u.test \
        -U alice -P -S HTTP app.other.test
}

# -------------------------------------------------------------------- UDP ---
# A second krb5kdc on the lab's database, on another address of the KDC
# host, with a small UDP reply limit: a big reply over UDP is answered with
# KRB_ERR_RESPONSE_TOO_BIG and the client repeats the request over TCP.
deleg_setup_udp() {
    local dir=$TMP/kdc-small
    mkdir -p "$dir"
    in_ns "$NS_KDC" ip addr add "$DELEG_SMALL4/24" dev "$IF_KDC"
    ns_static_neighbour "$NS_CLIENT" "$DELEG_SMALL4" "$MAC_KDC"
    sed -e "s|^\( *kdc_listen = \).*|\1$DELEG_SMALL4:88|" \
        -e "s|^\( *kdc_tcp_listen = \).*|\1$DELEG_SMALL4:88|" \
        -e "s|^\( *kdc_max_dgram_reply_size = \).*|\1$DELEG_SMALL_LIMIT|" \
        -e "s|^\( *kdc = \)FILE:.*|\1FILE:$dir/kdc.log|" \
        "$TMP/kdc/kdc.conf" >"$dir/kdc.conf"
    if ! grep -q "kdc_max_dgram_reply_size = $DELEG_SMALL_LIMIT" "$dir/kdc.conf" \
       || ! grep -q "kdc_listen = $DELEG_SMALL4:88" "$dir/kdc.conf"; then
        die "could not derive the small-limit kdc.conf from $TMP/kdc/kdc.conf"
    fi
    cp "$TMP/kdc/krb5.conf" "$dir/krb5.conf"
    deleg_start_kdc "$NS_KDC" "$dir" "$REALM" "$DELEG_SMALL4"
}

scenario_file_udp-response-too-big() { echo udp-response-too-big.pcap; }
scenario_udp-response-too-big() {
    local conf=$TMP/client/small.conf
    # default udp_preference_limit (1465): the AS-REQ goes over UDP (its reply
    # is too big: error 52, then TCP); the TGS-REQ, bigger than the limit with
    # the big user's TGT in it, goes straight to TCP
    write_client_conf "$conf" "kdc = $DELEG_SMALL4"
    kinit_pw "$conf" "$BOB_PW" "$BIG_USER" >/dev/null
    client "$conf" kvno HTTP/web.lab.test >/dev/null
}

# IP fragments that never complete: a filter on the LAN (the bridge) drops
# every non-first fragment. The big user's reply over UDP reaches the client
# as a first fragment only; MIT's client gives up on UDP and asks over TCP.
# Captured at the client, behind that filter.
scenario_file_udp-fragments-dropped() { echo udp-fragments-dropped.pcap; }
scenario_udp-fragments-dropped() {
    local conf=$TMP/client/fragdrop.conf
    write_client_conf "$conf" "kdc = $KDC4"
    set_mtu 1280
    in_ns "$NS_LAN" nft -f - <<'EOF'
table bridge kf_deleg_fragdrop {
    chain forward {
        type filter hook forward priority 0; policy accept;
        ether type ip ip frag-off & 0x1fff != 0 drop
    }
}
EOF
    local rc=0
    kinit_pw "$conf" "$BOB_PW" "$BIG_USER" >/dev/null || rc=1
    [[ $rc == 0 ]] && { client "$conf" kvno HTTP/web.lab.test >/dev/null || rc=1; }
    in_ns "$NS_LAN" nft delete table bridge kf_deleg_fragdrop
    [[ $rc == 0 ]] || die "udp-fragments-dropped: the TCP retry did not succeed"
}
