# shellcheck shell=bash disable=SC2153  # REALM, TMP, ... come from lab.sh
# Scenario group "twohop": the double hop where the front end goes to the
# back end without Kerberos at all (missing-forwarded-tgt, issue 18 item 1):
# it never answers the back end's 401 Negotiate, answers a web back end with
# NTLM as its own account, or logs on to a file server anonymously or with
# NTLM as its own account; and the near-miss of a back end that asks for
# nothing. Sourced by samples/lab/lab.sh; at source time it
# only declares. Notes and the list of captures: twohop.md next to this file.
#
# No hosts of its own: the HTTP shapes use the deleg group's front and back
# ends (kf-front, kf-back), the SMB shapes the smb group's front end
# (kf-smbweb) and file server (kf-files). Their setups are asked to run for
# these scenarios too (the group file is named so that it is sourced after
# deleg.sh and smb.sh, whose LAB_SETUP entries it extends), then this
# group's setups add one CGI per shape to the front ends' Apache (a
# ScriptAlias appended to their httpd.conf, then a graceful restart).

HOP_SCENARIOS_HTTP=(hop-http-unanswered hop-http-unanswered-nologon hop-http-open hop-http-ntlm)
HOP_SCENARIOS_SMB=(hop-smb-anonymous hop-smb-ntlm)
ALL_SCENARIOS+=("${HOP_SCENARIOS_HTTP[@]}" "${HOP_SCENARIOS_SMB[@]}")
for _i in "${!LAB_SETUP[@]}"; do
    case ${LAB_SETUP[$_i]} in
        "deleg_setup_hosts "* | "deleg_setup_web "*) LAB_SETUP[_i]+=" ${HOP_SCENARIOS_HTTP[*]}" ;;
        "fs_setup "* | "fw_setup "*) LAB_SETUP[_i]+=" ${HOP_SCENARIOS_SMB[*]}" ;;
    esac
done
unset _i
LAB_SETUP+=("hop_setup_http ${HOP_SCENARIOS_HTTP[*]}")
LAB_SETUP+=("hop_setup_smb ${HOP_SCENARIOS_SMB[*]}")
LAB_SETUP+=("hop_setup_ntlm_back hop-http-ntlm")
LAB_SETUP+=("hop_setup_logon hop-http-unanswered-nologon")
LAB_PACKAGES+=(/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so:gss-ntlmssp
               /usr/lib/python3/dist-packages/gssapi/__init__.py:python3-gssapi)
HOP_NTLM_PORT=8080   # the back end's NTLM site on kf-back

# hop_graceful NS CONF: Apache re-reads CONF (same parent process, same
# environment: the one deleg.sh / smb.sh started it with)
hop_graceful() {
    local ns=$1 conf=$2 _
    ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apache2 -f "$conf" -k graceful \
        || die "apache2 -k graceful ($conf)"
    sleep 1
}

# hop_location DIR URL SCRIPT HOST KRB5CONF: a page of a front end whose
# httpd.conf, keytab (http.keytab) and delegation directory (deleg) are in
# DIR, behind Negotiate as the deleg and smb groups' own pages are
hop_location() {
    local D=$1 url=$2 script=$3 host=$4 kconf=$5
    cat >>"$D/httpd.conf" <<EOF
ScriptAlias $url $script
<Location $url>
    AuthType GSSAPI
    AuthName "$host"
    GssapiAllowedMech krb5
    GssapiCredStore keytab:$D/http.keytab
    GssapiDelegCcacheDir $D/deleg
    SetEnv KRB5_CONFIG $kconf
    SetEnv KRB5RCACHETYPE none
    Require valid-user
</Location>
EOF
}

# hop_cgi FILE BODY: a CGI script that prints its page, then BODY
# shellcheck disable=SC2016  # the script's own $REMOTE_USER, expanded when it runs
hop_cgi() {
    {
        printf '#!/bin/sh\n'
        printf 'printf '\''Content-Type: text/plain\\n\\n'\''\n'
        printf 'printf '\''front: hello %%s\\n'\'' "$REMOTE_USER"\n'
        printf '%s\n' "$2"
    } >"$1"
    chmod 755 "$1"
}

# The deleg group's front end gets /hop-unanswered (curl to the back end's
# Kerberos-only /data without --negotiate: it never answers the 401) and
# /hop-open (curl to /open on the back end, a CGI without any
# authentication); the back end gets /open.
hop_setup_http() {
    local d; d=$(deleg_dir)
    local curl="/usr/bin/curl -sS --noproxy '*' --max-time 5 --resolve back.lab.test:80:$DELEG_BACK4"
    curl+=" -w 'front: back end answered HTTP %{http_code}\\n'"
    hop_cgi "$d/front/hop-unanswered.cgi" "$curl http://back.lab.test/data 2>&1"
    hop_cgi "$d/front/hop-open.cgi" "$curl http://back.lab.test/open 2>&1"
    hop_cgi "$d/back/open.cgi" "printf 'back: open to anyone\\n'"
    local u
    for u in hop-unanswered hop-open; do
        hop_location "$d/front" /$u "$d/front/$u.cgi" front.lab.test "$d/lab.conf"
    done
    cat >>"$d/back/httpd.conf" <<EOF
ScriptAlias /open $d/back/open.cgi
<Location /open>
    Require all granted
</Location>
EOF
    # /hop-ntlm: NTLM (gss-ntlmssp through python3-gssapi, "Authorization:
    # NTLM") as bob, the account the application is configured with.
    web_ntlm_client | sed "s/(addr, 80,/(addr, $HOP_NTLM_PORT,/" >"$d/front/ntlm_http.py"
    grep -q "(addr, $HOP_NTLM_PORT," "$d/front/ntlm_http.py" || die "could not set the NTLM client's port"
    printf 'LAB:bob:%s\n' "$BOB_PW" >"$d/front/bob-ntlm"
    printf 'gssntlmssp_v1 1.3.6.1.4.1.311.2.2.10 %s\n' "$WEB_NTLM_LIB" >"$d/gss-mech-ntlm.conf"
    chmod 644 "$d/gss-mech-ntlm.conf" "$d/front/ntlm_http.py"
    chown www-data:www-data "$d/front/bob-ntlm"
    chmod 600 "$d/front/bob-ntlm"
    hop_cgi "$d/front/hop-ntlm.cgi" "GSS_MECH_CONFIG=$d/gss-mech-ntlm.conf NTLM_USER_FILE=$d/front/bob-ntlm \\
    NETBIOS_COMPUTER_NAME=FRONT /usr/bin/python3 $d/front/ntlm_http.py back.lab.test $DELEG_BACK4 /data 2>&1
printf 'front: NTLM client exited %s\\n' \"\$?\""
    hop_location "$d/front" /hop-ntlm "$d/front/hop-ntlm.cgi" front.lab.test "$d/lab.conf"
    hop_graceful kf-front "$d/front/httpd.conf"
    hop_graceful kf-back "$d/back/httpd.conf"
}

# A second Apache on kf-back, port 8080, that accepts NTLM only
# (gss-ntlmssp checks bob's password in its user file; no credential store,
# see web.sh), serving the back end's /data.
hop_setup_ntlm_back() {
    local d; d=$(deleg_dir)
    local D=$d/back-ntlm
    mkdir -p "$D/run"
    chmod 755 "$D"
    printf 'LAB:bob:%s\n' "$BOB_PW" >"$D/ntlm-users"
    chown www-data:www-data "$D/ntlm-users" "$D/run"
    chmod 600 "$D/ntlm-users"
    {
        cgi_httpd_head "$D" back.lab.test "$DELEG_BACK4" "$DELEG_APACHE_MODS" \
            | sed "s|^Listen .*|Listen $DELEG_BACK4:$HOP_NTLM_PORT|"
        cat <<EOF
# NTLM is connection-bound: its three legs need one connection
KeepAlive On
ScriptAlias /data $d/back/data.cgi
<Location /data>
    AuthType GSSAPI
    AuthName "back.lab.test"
    GssapiAllowedMech ntlmssp
    GssapiConnectionBound On
    Require valid-user
</Location>
EOF
    } >"$D/httpd.conf"
    grep -q "^Listen $DELEG_BACK4:$HOP_NTLM_PORT" "$D/httpd.conf" || die "could not set the NTLM site's port"
    # setsid: Apache signals its process group when it stops (see deleg.sh);
    # its own host name (NTLM's CHALLENGE carries it), not the machine's
    ip netns exec kf-back setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
        KRB5_CONFIG="$d/lab.conf" KRB5RCACHETYPE=none GSS_MECH_CONFIG="$d/gss-mech-ntlm.conf" \
        NTLM_USER_FILE="$D/ntlm-users" NETBIOS_COMPUTER_NAME=BACK \
        unshare --uts sh -c 'hostname back.lab.test && exec "$@"' sh \
        apache2 -f "$D/httpd.conf" -DFOREGROUND >"$D/apache.out" 2>&1 &
    PIDS+=($!)
    deleg_wait_listen kf-back "$DELEG_BACK4:$HOP_NTLM_PORT" tcp "apache2 back-ntlm" "$D/apache.out"
}

# The smb group's front end gets /hop-anonymous (smbclient -N -U%: a null
# session) and /hop-ntlm (smbclient without Kerberos, with the password of
# the account the application is configured with, bob's).
hop_setup_smb() {
    local W=$TMP/smbweb
    local smb="/usr/bin/smbclient -s $W/client/smb.conf -I $FS4 //$FS_HOST/share"
    printf 'username = bob\npassword = %s\ndomain = LAB\n' "$BOB_PW" >"$W/client/bob.auth"
    chown www-data:www-data "$W/client/bob.auth"
    chmod 600 "$W/client/bob.auth"
    hop_cgi "$W/hop-anonymous.cgi" "$smb -N -U% -c 'get hello.txt -' </dev/null 2>&1
printf 'smbweb: smbclient exited %s\\n' \"\$?\""
    hop_cgi "$W/hop-ntlm.cgi" "$smb --use-kerberos=disabled -A $W/client/bob.auth -c 'get hello.txt -' </dev/null 2>&1
printf 'smbweb: smbclient exited %s\\n' \"\$?\""
    local u
    for u in hop-anonymous hop-ntlm; do
        hop_location "$W" /$u "$W/$u.cgi" "$FW_HOST" "$W/krb5.conf"
    done
    hop_graceful "$FW_NS" "$W/httpd.conf"
}

HOP_EARLY_CCACHE=  # hop-http-unanswered-nologon: alice's TGT, got before any capture

# alice logs in during the setup, outside every capture, into a ccache of
# her own (the scenarios' kinit would replace the client's usual one)
hop_setup_logon() {
    local conf=$TMP/client/deleg.conf
    deleg_conf "$conf" "$REALM"
    HOP_EARLY_CCACHE=$TMP/client/hop-early.ccache
    printf '%s\n' "$ALICE_PW" | in_ns "$NS_CLIENT" env KRB5_CONFIG="$conf" \
        KRB5CCNAME="FILE:$HOP_EARLY_CCACHE" kinit -f alice >/dev/null || die "kinit alice (early)"
}

# hop_web NAME PAGE-URL [CCACHE]: alice (forwardable TGT, not delegating)
# opens a page of the deleg group's front end; with CCACHE, with the TGT
# in it (no login in the capture), else after a kinit
hop_web() {
    local name=$1 url=$2 ccache=${3:-} d; d=$(deleg_dir)
    local conf=$TMP/client/deleg.conf
    deleg_conf "$conf" "$REALM"
    local run=(client "$conf")
    if [[ -n $ccache ]]; then
        run=(in_ns "$NS_CLIENT" env KRB5_CONFIG="$conf" KRB5CCNAME="FILE:$ccache")
    else
        kinit_pw "$conf" "$ALICE_PW" -f alice >/dev/null
    fi
    "${run[@]}" curl -sS --noproxy '*' --max-time 10 --negotiate -u : \
        --resolve "front.lab.test:80:$DELEG_FRONT4" "http://front.lab.test$url" >"$d/$name.page" 2>&1 || true
    sed 's/^/  | /' "$d/$name.page" >&2
}

# 1. The back end asks for Negotiate; the front end's curl has no
# --negotiate and never answers: 401, no Authorization.
scenario_file_hop-http-unanswered() { echo hop-http-unanswered.pcap; }
scenario_capture_hop-http-unanswered() { deleg_on_bridge; }
scenario_hop-http-unanswered() {
    hop_web hop-http-unanswered /hop-unanswered
    grep -q "back end answered HTTP 401" "$(deleg_dir)/hop-http-unanswered.page" \
        || die "hop-http-unanswered: the back end did not answer 401"
}

# 1b. The same with alice's logon outside the capture (her TGT from the
# setup): only her TGS-REQ for the front end and the two hops are in it.
scenario_file_hop-http-unanswered-nologon() { echo hop-http-unanswered-nologon.pcap; }
scenario_capture_hop-http-unanswered-nologon() { deleg_on_bridge; }
scenario_hop-http-unanswered-nologon() {
    hop_web hop-http-unanswered-nologon /hop-unanswered "$HOP_EARLY_CCACHE"
    grep -q "back end answered HTTP 401" "$(deleg_dir)/hop-http-unanswered-nologon.page" \
        || die "hop-http-unanswered-nologon: the back end did not answer 401"
}

# 2. Near-miss: the back end asks for nothing (200 without a challenge).
scenario_file_hop-http-open() { echo hop-http-open.pcap; }
scenario_capture_hop-http-open() { deleg_on_bridge; }
scenario_hop-http-open() {
    hop_web hop-http-open /hop-open
    grep -q "back: open to anyone" "$(deleg_dir)/hop-http-open.page" \
        || die "hop-http-open: the back end did not answer"
}

# 3. The front end answers the back end with NTLM as its own account (bob).
scenario_file_hop-http-ntlm() { echo hop-http-ntlm.pcap; }
scenario_capture_hop-http-ntlm() { deleg_on_bridge; }
scenario_hop-http-ntlm() {
    hop_web hop-http-ntlm /hop-ntlm
    grep -q "NTLM client exited 0" "$(deleg_dir)/hop-http-ntlm.page" \
        || die "hop-http-ntlm: the back end did not accept bob's NTLM logon"
}

# hop_smb NAME PAGE-URL: alice (forwardable TGT, not delegating) opens a
# page of the smb group's front end
hop_smb() {
    local name=$1 url=$2 W=$TMP/smbweb
    kinit_pw "$FS_KCONF" "$ALICE_PW" -f alice >/dev/null
    client "$FS_KCONF" curl -sS --noproxy '*' --max-time 10 --negotiate -u : \
        --resolve "$FW_HOST:80:$FW4" "http://$FW_HOST$url" >"$W/$name.page" 2>&1 || true
    sed 's/^/  | /' "$W/$name.page" >&2
}

# 4. The front end logs on to the file server anonymously (a null session).
scenario_file_hop-smb-anonymous() { echo hop-smb-anonymous.pcap; }
scenario_capture_hop-smb-anonymous() { echo "$NS_LAN br0"; }
scenario_hop-smb-anonymous() {
    hop_smb hop-smb-anonymous /hop-anonymous
    grep -q "smbclient exited" "$TMP/smbweb/hop-smb-anonymous.page" \
        || die "hop-smb-anonymous: unexpected page"
}

# 5. The front end logs on to the file server with NTLM as the account it
# is configured with (bob), not as alice.
scenario_file_hop-smb-ntlm() { echo hop-smb-ntlm.pcap; }
scenario_capture_hop-smb-ntlm() { echo "$NS_LAN br0"; }
scenario_hop-smb-ntlm() {
    hop_smb hop-smb-ntlm /hop-ntlm
    grep -q "^hello from $FS_HOST" "$TMP/smbweb/hop-smb-ntlm.page" \
        || die "hop-smb-ntlm: the front end could not read the share as bob"
}
