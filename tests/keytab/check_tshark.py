#!/usr/bin/env python3
"""Compare krbflow's decryption with tshark's (the oracle) on one capture.

Usage: check_tshark.py KRBFLOW CAPTURE KEYTAB
For every frame, with the same keytab:
  - the frames where tshark shows a GSS checksum (it opened an AP-REQ
    authenticator) are exactly those where krbflow's authenticator has GSS
    flags, with the same delegation flag;
  - a KRB-CRED inside the authenticator (tshark: message type 22 in the frame)
    exactly where krbflow opened forwarded credentials;
  - every client name krbflow decrypted (ticket, authenticator, forwarded
    ticket) is among the CNameStrings tshark shows in that frame;
  - the ok-as-delegate flag of every ticket krbflow opened is among tshark's
    values of that flag in the frame.
Prints one line per disagreement and a count; exit 1 on any disagreement.
"""
import json
import subprocess
import sys


def tshark_frames(capture, keytab):
    out = subprocess.run(
        ["tshark", "-r", capture, "-o", "kerberos.decrypt:TRUE", "-o", "kerberos.file:" + keytab,
         "-Y", "kerberos", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
         "-e", "frame.number", "-e", "kerberos.msg_type", "-e", "kerberos.CNameString",
         "-e", "kerberos.gssapi.checksum.flags.deleg", "-e", "kerberos.TicketFlags.ok.as.delegate"],
        check=True, capture_output=True, text=True).stdout
    frames = {}
    for line in out.splitlines():
        cols = (line.split("\t") + [""] * 5)[:5]
        split = lambda s: [x for x in s.split(",") if x != ""]
        frames[int(cols[0])] = {
            "types": split(cols[1]), "cnames": split(cols[2]),
            "deleg": split(cols[3]), "ok_as_delegate": split(cols[4]),
        }
    return frames


def flagval(v):
    return "1" if v in ("1", "True", "true") else "0"


def main():
    krbflow, capture, keytab = sys.argv[1:4]
    doc = json.loads(subprocess.run([krbflow, "--json", "--keytab", keytab, capture], check=True,
                                    capture_output=True, text=True).stdout)
    ts = tshark_frames(capture, keytab)
    bad = []
    checked = 0
    kf_gss = {}
    for m in doc["messages"]:
        d = m.get("decrypted")
        if not d:
            continue
        f = m["frame"]
        t = ts.get(f, {"types": [], "cnames": [], "deleg": [], "ok_as_delegate": []})
        names = []
        tickets = [d.get("ticket")] + d.get("additional_tickets", [])
        for tk in tickets:
            if tk and tk.get("status") == "decrypted":
                names.append(tk["client"].split("@")[0])
                ok = "1" if "ok-as-delegate" in tk.get("flags", []) else "0"
                checked += 1
                if ok not in [flagval(x) for x in t["ok_as_delegate"]]:
                    bad.append(f"frame {f}: ticket ok-as-delegate {ok}, tshark {t['ok_as_delegate']}")
        a = d.get("authenticator")
        if a and a.get("status") == "decrypted":
            names.append(a["client"].split("@")[0])
            if "gss_flags" in a:
                kf_gss[f] = (a, m["type"])
            cred = a.get("krb_cred")
            for fw in (cred or {}).get("forwarded", []):
                names.append(fw["client"].split("@")[0])
        for n in names:
            checked += 1
            # tshark lists a principal's components one by one
            if not all(c in t["cnames"] for c in n.split("/")):
                bad.append(f"frame {f}: krbflow decrypted client {n}, tshark shows {t['cnames']}")
    ts_gss = {f: v for f, v in ts.items() if v["deleg"]}
    for f in sorted(set(ts_gss) | set(kf_gss)):
        checked += 1
        if f not in kf_gss:
            bad.append(f"frame {f}: tshark opened a GSS checksum (deleg {ts_gss[f]['deleg']}), krbflow did not")
            continue
        if f not in ts_gss:
            bad.append(f"frame {f}: krbflow opened a GSS checksum, tshark did not")
            continue
        a, _ = kf_gss[f]
        kd = "1" if "deleg" in a["gss_flags"] else "0"
        if [kd] != [flagval(x) for x in ts_gss[f]["deleg"]][:1]:
            bad.append(f"frame {f}: delegation flag krbflow {kd}, tshark {ts_gss[f]['deleg']}")
        kcred = bool(a.get("krb_cred")) and a["krb_cred"].get("status") == "decrypted"
        tcred = "22" in ts[f]["types"]
        if kcred != tcred:
            bad.append(f"frame {f}: forwarded KRB-CRED krbflow {kcred}, tshark {tcred}")
    for b in bad:
        print(f"{capture}: {b}")
    print(f"{capture}: {checked} facts compared with tshark, {len(bad)} disagreements, "
          f"{len(kf_gss)} authenticators with GSS flags")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
