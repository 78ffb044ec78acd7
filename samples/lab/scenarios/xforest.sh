# shellcheck shell=bash disable=SC2153  # REALM, TMP, ... come from lab.sh
# Scenario group "xforest": delegation to a front end in another realm across
# the trust (missing-forwarded-tgt's cause cross-forest-delegation-blocked,
# issue 19). Sourced by samples/lab/lab.sh; at source time it only declares.
# Notes and the list of captures: xforest.md next to this file.
#
# No hosts of its own: the deleg group's front end (kf-front, Apache with the
# /app page that calls the back end with the delegated credentials, else as
# itself), back end (kf-back) and OTHER.TEST's KDC (kf-kdc2, cross-realm keys
# with LAB.TEST). Its scenarios join those setups (the file is sourced after
# deleg.sh, whose LAB_SETUP entries it extends), then its own setup gives the
# front end a second name in OTHER.TEST, HTTP/front.other.test, ok_as_delegate
# there, its key added to the front end's keytab (mod_auth_gssapi accepts any
# principal of its keytab). What differs between the scenarios is the
# cross-realm principal krbtgt/OTHER.TEST@LAB.TEST in LAB.TEST's database:
# without ok_as_delegate (as the deleg group made it) or with it.

XF_SCENARIOS=(xforest-not-delegated xforest-untrusted-both xforest-delegated)
ALL_SCENARIOS+=("${XF_SCENARIOS[@]}")
for _i in "${!LAB_SETUP[@]}"; do
    case ${LAB_SETUP[$_i]} in
        "deleg_setup_hosts "* | "deleg_setup_kdc2 "* | "deleg_setup_web "*) LAB_SETUP[_i]+=" ${XF_SCENARIOS[*]}" ;;
    esac
done
unset _i
LAB_SETUP+=("xforest_setup ${XF_SCENARIOS[*]}")

xforest_setup() {
    local d kt=$TMP/xforest.keytab
    d=$(deleg_dir)
    deleg_kadm "$TMP/kdc2" OTHER.TEST "addprinc -randkey +ok_as_delegate -requires_preauth HTTP/front.other.test"
    deleg_kadm "$TMP/kdc2" OTHER.TEST "ktadd -k $d/front/http.keytab HTTP/front.other.test"
    chown www-data:www-data "$d/front/http.keytab"
    # the keys that open these captures, from this run: the front end's
    # (its AP-REQs), the cross-realm TGT's (where the client presents it to
    # OTHER.TEST's KDC), LAB.TEST's krbtgt (the client's TGT)
    deleg_kadm "$TMP/kdc2" OTHER.TEST "ktadd -k $kt -norandkey HTTP/front.other.test"
    deleg_kadm_lab "ktadd -k $kt -norandkey krbtgt/OTHER.TEST@$REALM krbtgt/$REALM@$REALM"
    keys_extra "$kt" lab-xforest.keytab \
        "xforest-*.pcap: HTTP/front.other.test, krbtgt/OTHER.TEST@$REALM (the cross-realm TGT) and krbtgt/$REALM"
}

# xforest_call NAME XREALM(+|-) FRONT(+|-): alice@LAB.TEST (forwardable TGT)
# opens http://front.other.test/app with curl --delegation policy after the
# cross-realm principal and the front end's got those ok_as_delegate
# attributes; the page is kept.
xforest_call() {
    local name=$1 d conf=$TMP/client/deleg.conf
    d=$(deleg_dir)
    deleg_kadm_lab "modprinc ${2}ok_as_delegate krbtgt/OTHER.TEST@$REALM"
    deleg_kadm "$TMP/kdc2" OTHER.TEST "modprinc ${3}ok_as_delegate HTTP/front.other.test"
    rm -f "$d/front/deleg/"* "$TMP/client/ccache"
    deleg_conf "$conf" "$REALM"
    kinit_pw "$conf" "$ALICE_PW" -f alice >/dev/null
    client "$conf" curl -sS --noproxy '*' --max-time 10 --negotiate -u : --delegation policy \
        --resolve front.other.test:80:"$DELEG_FRONT4" http://front.other.test/app \
        >"$d/$name.page" 2>&1 || true
    sed 's/^/  | /' "$d/$name.page" >&2
}

# 1. The cross-realm TGT is not ok-as-delegate: the front end's own ticket
# from OTHER.TEST's KDC is (its principal is), yet MIT's client does not
# delegate (no forwarded-TGT request at all); the front end calls the back
# end as itself (HTTP/front.lab.test, its keytab's first principal).
scenario_file_xforest-not-delegated() { echo xforest-not-delegated.pcap; }
scenario_capture_xforest-not-delegated() { deleg_on_bridge; }
scenario_xforest-not-delegated() {
    xforest_call xforest-not-delegated - +
    grep -q "back: hello HTTP/front.lab.test@$REALM" "$(deleg_dir)/xforest-not-delegated.page" \
        || die "xforest-not-delegated: the back end did not see the front end's account"
}

# 2. Neither the cross-realm TGT nor the front end's ticket is ok-as-delegate
# (what Active Directory's KDCs issue across a forest trust that does not
# allow TGT delegation): no delegation either.
scenario_file_xforest-untrusted-both() { echo xforest-untrusted-both.pcap; }
scenario_capture_xforest-untrusted-both() { deleg_on_bridge; }
scenario_xforest-untrusted-both() {
    xforest_call xforest-untrusted-both - -
    grep -q "back: hello HTTP/front.lab.test@$REALM" "$(deleg_dir)/xforest-untrusted-both.page" \
        || die "xforest-untrusted-both: the back end did not see the front end's account"
}

# 3. Near-miss: the same with krbtgt/OTHER.TEST@LAB.TEST ok_as_delegate: the
# client forwards its TGT and the back end sees alice.
scenario_file_xforest-delegated() { echo xforest-delegated.pcap; }
scenario_capture_xforest-delegated() { deleg_on_bridge; }
scenario_xforest-delegated() {
    xforest_call xforest-delegated + +
    grep -q "back: hello alice@$REALM" "$(deleg_dir)/xforest-delegated.page" \
        || die "xforest-delegated: the back end did not see alice"
}
