#!/usr/bin/env python3
"""Compare fresh lab captures with the committed samples of the same name.

For each capture the lab wrote, krbflow --json is run on it and on the
committed sample, and two things must match:
  - the story: the sequence of messages as (carrier, type, error code, NTLM
    or HTTP status where present), consecutive repeats folded (so a different
    number of retransmissions is not a difference);
  - the findings: the set of (rule, severity).
Frames, times, addresses, nonces and bytes are not compared. A capture the
lab wrote without a committed counterpart, or a committed sample the lab did
not write (unless it is a copy cut or re-timed from one, listed in
samples/lab/derived.txt with how it was made), fails; a capture listed in
samples/lab/unstable.txt with a reason may differ.

A capture no golden case names yet (no tests/golden/*/args mentions it) is one
whose carrier krbflow may not read yet (the SMB captures, before the SMB
carrier): krbflow's story of it can be partial or empty, and two empty
stories prove nothing. For those, tshark's story is compared as well: in
frame order, the Kerberos messages (top-level type, KRB-ERROR code), NTLMSSP
messages, SMB2 NEGOTIATE / SESSION_SETUP / TREE_CONNECT and their SMB1
counterparts (responses with their NTSTATUS) and HTTP responses (status),
consecutive repeats folded. Without tshark that second comparison is skipped
and the line says so. Once a golden names the capture, krbflow's comparison
alone decides.
Prints one line per capture and closes with "lab: N passed, M failed".
"""
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys


def krbflow_doc(krbflow, path):
    r = subprocess.run([krbflow, "--json", path], capture_output=True, timeout=300)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"krbflow exited {r.returncode} on {path}: {r.stderr.decode(errors='replace')[:300]}")
    return json.loads(r.stdout)


def story(doc):
    seq = []
    for m in doc.get("messages", []):
        item = (m.get("carrier"), m.get("type"), m.get("error_code"), m.get("status"))
        if not seq or seq[-1] != item:
            seq.append(item)
    return seq


def findings(doc):
    return sorted({(f.get("rule"), f.get("severity")) for f in doc.get("findings", [])})


def fmt(item):
    carrier, typ, err, status = item
    s = f"{carrier}:{typ}"
    if err is not None:
        s += f"({err})"
    if status is not None:
        s += f"[{status}]"
    return s


# tshark fields, in this order, for wire_story
WIRE_FIELDS = ["smb2.cmd", "smb2.flags.response", "smb2.nt_status",
               "smb.cmd", "smb.flags.response", "smb.nt_status",
               "ntlmssp.messagetype", "kerberos.msg_type", "kerberos.error_code",
               "http.response.code"]
SMB2_AUTH = {0: "NEGOTIATE", 1: "SESSION_SETUP", 3: "TREE_CONNECT"}
SMB1_AUTH = {0x72: "NEGOTIATE", 0x73: "SESSION_SETUP_ANDX", 0x75: "TREE_CONNECT_ANDX"}
NTLM_TYPES = {1: "NEGOTIATE", 2: "CHALLENGE", 3: "AUTHENTICATE"}


def _ints(text):
    return [int(v, 0) for v in text.split(",") if v != ""] if text else []


def wire_story(path):
    """tshark's authentication story of a capture (see the module comment).
    Kerberos: the first msg_type of a frame is its top-level message (the
    AP-REQ inside a TGS-REQ's PA-TGS-REQ, or FAST armour, comes later in the
    same list); these captures never carry two Kerberos records in a frame."""
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "separator=\t"]
    for f in WIRE_FIELDS:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"tshark failed on {path}: {r.stderr[:300]}")
    seq = []
    for line in r.stdout.splitlines():
        cols = (line.split("\t") + [""] * len(WIRE_FIELDS))[:len(WIRE_FIELDS)]
        v = dict(zip(WIRE_FIELDS, cols))
        items = []
        resp = _ints(v["smb2.flags.response"])
        status = v["smb2.nt_status"].split(",") if v["smb2.nt_status"] else []
        for i, c in enumerate(_ints(v["smb2.cmd"])):
            if c in SMB2_AUTH:
                is_resp = i < len(resp) and resp[i]
                st = status[i] if is_resp and i < len(status) else None
                items.append(f"smb2:{SMB2_AUTH[c]}" + (f"[{st}]" if is_resp else ""))
        resp1 = _ints(v["smb.flags.response"])
        status1 = v["smb.nt_status"].split(",") if v["smb.nt_status"] else []
        for c in _ints(v["smb.cmd"]):
            if c in SMB1_AUTH:
                is_resp = bool(resp1 and resp1[0])
                items.append(f"smb1:{SMB1_AUTH[c]}" + (f"[{status1[0] if status1 else '?'}]" if is_resp else ""))
        for t in _ints(v["ntlmssp.messagetype"]):
            items.append(f"ntlm:{NTLM_TYPES.get(t, t)}")
        krb = _ints(v["kerberos.msg_type"])
        if krb:
            err = _ints(v["kerberos.error_code"])
            items.append(f"krb:{krb[0]}" + (f"({err[0]})" if krb[0] == 30 and err else ""))
        for code in _ints(v["http.response.code"]):
            items.append(f"http[{code}]")
        for item in items:
            if not seq or seq[-1] != item:
                seq.append(item)
    return seq


def golden_captures(root):
    """Names of the sample captures some golden case runs krbflow on."""
    names = set()
    for args in glob.glob(os.path.join(root, "tests", "golden", "*", "args")):
        for word in open(args).read().split():
            if word.endswith(".pcap"):
                names.add(os.path.basename(word))
    return names


def load_unstable(samples):
    path = os.path.join(samples, "lab", "unstable.txt")
    out = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                raise SystemExit(f"{path}: entry '{name}' needs a reason")
            out[name] = reason.strip()
    return out


def load_derived(samples):
    """samples/lab/derived.txt: committed samples cut or re-timed from lab
    captures, which no lab run writes (each with how it was made)."""
    path = os.path.join(samples, "lab", "derived.txt")
    out = set()
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, how = line.partition(" ")
            if not how.strip():
                raise SystemExit(f"{path}: entry '{name}' needs to say how it was made")
            out.add(name)
    return out


def main():
    krbflow, samples, fresh = sys.argv[1:4]
    unstable = load_unstable(samples)
    root = os.path.dirname(os.path.abspath(samples))
    with_golden = golden_captures(root)
    have_tshark = shutil.which("tshark") is not None
    passed = failed = 0
    fresh_caps = sorted(f for f in os.listdir(fresh) if f.endswith(".pcap"))
    # tshark's stories of the captures without a golden, both sides, two at a time
    wire = {}
    if have_tshark:
        paths = [os.path.join(d, n) for n in fresh_caps if n not in with_golden
                 for d in (samples, fresh) if os.path.exists(os.path.join(d, n))]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = {p: pool.submit(wire_story, p) for p in paths}
        for p, fut in futures.items():
            try:
                wire[p] = fut.result()
            except Exception as e:  # reported with the capture below
                wire[p] = e
    derived = load_derived(samples)
    committed = sorted(f for f in os.listdir(samples) if f.endswith(".pcap") and
                       not f.startswith(("synthetic-", "merge-")) and f not in derived)
    for name in committed:
        if name not in fresh_caps:
            print(f"FAIL {name}: committed sample not produced by the lab")
            failed += 1
    for name in fresh_caps:
        ref_path = os.path.join(samples, name)
        if not os.path.exists(ref_path):
            print(f"FAIL {name}: the lab wrote it but no committed sample has that name")
            failed += 1
            continue
        try:
            a = krbflow_doc(krbflow, ref_path)
            b = krbflow_doc(krbflow, os.path.join(fresh, name))
        except Exception as e:  # a crash or bad JSON is a failure, with the reason
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        problems = []
        sa, sb = story(a), story(b)
        if sa != sb:
            problems.append("story differs:\n      committed: " + " ".join(map(fmt, sa)) +
                            "\n      fresh:     " + " ".join(map(fmt, sb)))
        fa, fb = findings(a), findings(b)
        if fa != fb:
            problems.append(f"findings differ: committed {fa}, fresh {fb}")
        note = ""
        if name not in with_golden:
            note = "; no golden yet" + ("" if sa else " (krbflow reads no message in it)")
            if not have_tshark:
                note += ": tshark not installed, its wire story not compared"
            else:
                wa, wb = wire[ref_path], wire[os.path.join(fresh, name)]
                if isinstance(wa, Exception) or isinstance(wb, Exception):
                    problems.append(f"tshark: {wa if isinstance(wa, Exception) else wb}")
                elif wa != wb:
                    problems.append("wire story (tshark) differs:\n      committed: " + " ".join(wa) +
                                    "\n      fresh:     " + " ".join(wb))
                else:
                    note += f": tshark's wire story agrees, {len(wa)} steps"
        if problems and name in unstable:
            print(f"PASS {name} (unstable: {unstable[name]}; {len(problems)} difference(s) tolerated)")
            passed += 1
        elif problems:
            print(f"FAIL {name}: " + "; ".join(problems))
            failed += 1
        else:
            print(f"PASS {name}: {len(sa)} steps, {len(fa)} findings{note}")
            passed += 1
    print(f"lab: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
