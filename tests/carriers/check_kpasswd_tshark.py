#!/usr/bin/env python3
"""krbflow's kpasswd messages against tshark's kpasswd dissector.

For every frame tshark shows as kpasswd, krbflow has exactly one message with
carrier "kpasswd" in that frame, and they agree on: the Kerberos message
carried (AP-REQ 14 / AP-REP 15 / KRB-ERROR 30; a reply whose AP-REP length is
0 carries a KRB-ERROR), the transport, the version of a request, the ticket's
server name, and the KRB-PRIV's encryption type.  krbflow has no kpasswd
message tshark lacks.  Usage: check_kpasswd_tshark.py KRBFLOW CAPTURE
"""
import json
import subprocess
import sys

TYPES = {"AP-REQ": 14, "AP-REP": 15, "KRB-ERROR": 30}


def tshark(capture):
    fields = ["frame.number", "tcp.stream", "kpasswd.version", "kpasswd.ap_req_len", "kerberos.msg_type",
              "kerberos.SNameString", "kerberos.etype"]
    cmd = ["tshark", "-r", capture, "-Y", "kpasswd", "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(fields) - len(v))
        rows[int(v[0])] = dict(zip(fields, v))
    return rows


def main():
    kf, capture = sys.argv[1], sys.argv[2]
    doc = json.loads(subprocess.run([kf, "--json", capture], capture_output=True, text=True).stdout)
    ours = {}
    for m in doc["messages"]:
        if m["carrier"] == "kpasswd":
            ours.setdefault(m["frame"], []).append(m)
    theirs = tshark(capture)
    bad = []
    for frame in sorted(set(ours) | set(theirs)):
        t, ms = theirs.get(frame), ours.get(frame, [])
        if t is None or len(ms) != 1:
            bad.append(f"frame {frame}: tshark {'has' if t else 'lacks'} kpasswd, krbflow has {len(ms)} messages")
            continue
        m = ms[0]
        types = [int(x) for x in t["kerberos.msg_type"].split(",") if x]
        # tshark lists the carried message first (then KRB-PRIV 21); a reply
        # with no AP-REP carries a KRB-ERROR, which tshark 4.0 may not dissect
        want = types[0] if types else (30 if t["kpasswd.ap_req_len"] == "0" else None)
        if TYPES.get(m["type"]) != want:
            bad.append(f"frame {frame}: type {m['type']}, tshark {want}")
        if (m["transport"] == "tcp") != (t["tcp.stream"] != ""):
            bad.append(f"frame {frame}: transport {m['transport']}")
        kp = m.get("kpasswd", {})
        if m["type"] == "AP-REQ":
            if kp.get("version") != int(t["kpasswd.version"], 16):
                bad.append(f"frame {frame}: version {kp.get('version')}, tshark {t['kpasswd.version']}")
            sname = "/".join(t["kerberos.SNameString"].split(","))
            if m.get("ticket", {}).get("sname") != sname:
                bad.append(f"frame {frame}: ticket {m.get('ticket', {}).get('sname')}, tshark {sname}")
        etypes = [int(x) for x in t["kerberos.etype"].split(",") if x]
        if "krb_priv" in kp:  # tshark lists the KRB-PRIV's EncryptedData etype last
            ours_etype = kp["krb_priv"].get("etype", {}).get("id")
            if not etypes or ours_etype != etypes[-1]:
                bad.append(f"frame {frame}: KRB-PRIV etype {ours_etype}, tshark {etypes}")
    for b in bad:
        print("MISMATCH", b)
    print(f"kpasswd: {len(theirs)} frames tshark decodes, {sum(len(v) for v in ours.values())} krbflow messages, "
          f"{len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
