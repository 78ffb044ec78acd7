#!/usr/bin/env python3
"""The TDS carrier against tshark's TDS dissector, frame by frame.

For each capture: every TDS packet tshark shows in the login phase is a
TDS-REQUEST / TDS-RESPONSE of krbflow at the same frame, from the same side,
of the same packet type (PRELOGIN 18, LOGIN7 16, SSPI 17, TABULAR 4); and
where tshark read an ERROR or a LOGINACK token, krbflow's record says the
same (number, state, class; login_ack). tshark 4.0 reads the server's SSPI
token (0xED) length as characters, not bytes, and marks such answers
malformed: their tokens after it are not compared (the frame and type are).
Packets tshark shows that krbflow does not read by design (a LOGIN7 inside
TLS: tshark does not show it either) need no exception.

Usage: check_tds_tshark.py KRBFLOW CAPTURE...   (exit 1 on any difference)
"""
import json
import subprocess
import sys

TYPES = {"PRELOGIN": 18, "LOGIN7": 16, "SSPI": 17, "TABULAR": 4}


def tshark_view(path):
    out = subprocess.run(
        ["tshark", "-n", "-r", path, "-Y", "tds", "-T", "fields", "-E", "separator=|",
         "-e", "frame.number", "-e", "tds.type", "-e", "tcp.srcport", "-e", "tds.error.number",
         "-e", "tds.error.state", "-e", "tds.error.class", "-e", "tds.loginack", "-e", "_ws.malformed"],
        check=True, stdout=subprocess.PIPE, text=True).stdout
    view = {}
    for line in out.splitlines():
        f = line.split("|")
        frame, typ, sport = int(f[0]), int(f[1].split(",")[0]), int(f[2])
        view[frame] = {"type": typ, "from_server": sport == 1433 or None,
                       "error": tuple(int(x.split(",")[0]) for x in f[3:6]) if f[3] else None,
                       "login_ack": bool(f[6]), "malformed": bool(f[7])}
    return view


def krbflow_view(kf, path):
    doc = json.loads(subprocess.run([kf, "--json", path], check=True, stdout=subprocess.PIPE).stdout)
    view = {}
    for m in doc.get("messages", []):
        if m.get("carrier") != "tds" or m["type"] not in ("TDS-REQUEST", "TDS-RESPONSE"):
            continue
        view[m["frame"]] = {
            "type": TYPES.get(m.get("packet_type"), m.get("packet_type")),
            "response": m["type"] == "TDS-RESPONSE",
            "error": (m["error_number"], m["error_state"], m["error_class"]) if "error_number" in m else None,
            "login_ack": bool(m.get("login_ack")),
        }
    return view


def main():
    kf, caps = sys.argv[1], sys.argv[2:]
    bad = compared = 0
    for path in caps:
        ts, kv = tshark_view(path), krbflow_view(kf, path)
        problems = []
        for frame, t in sorted(ts.items()):
            k = kv.get(frame)
            compared += 1
            if k is None:
                problems.append("frame %d: tshark has TDS type %d, krbflow nothing" % (frame, t["type"]))
                continue
            if k["type"] != t["type"]:
                problems.append("frame %d: type tshark %d, krbflow %s" % (frame, t["type"], k["type"]))
            if t["from_server"] is not None and t["from_server"] != k["response"]:
                problems.append("frame %d: direction differs" % frame)
            if not t["malformed"]:
                if t["error"] != k["error"]:
                    problems.append("frame %d: error tshark %s, krbflow %s" % (frame, t["error"], k["error"]))
                if t["login_ack"] != k["login_ack"]:
                    problems.append("frame %d: LOGINACK tshark %s, krbflow %s"
                                    % (frame, t["login_ack"], k["login_ack"]))
        for frame in sorted(set(kv) - set(ts)):
            problems.append("frame %d: krbflow has a TDS record, tshark no TDS" % frame)
        bad += len(problems)
        print("%s %s: tshark %d TDS packets, krbflow %d records"
              % ("FAIL" if problems else "PASS", path.rsplit("/", 1)[-1], len(ts), len(kv)))
        for p in problems:
            print("    " + p)
    print("tds: %d packets compared, %d differences" % (compared, bad))
    return 1 if bad or not compared else 0


if __name__ == "__main__":
    sys.exit(main())
