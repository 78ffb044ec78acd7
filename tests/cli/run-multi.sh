#!/usr/bin/env bash
# Several captures as one analysis (OUTPUT.md --continuous, --merge; docs/json.md):
# - --continuous over pieces of a sample cut in the middle of its TCP connections
#   (and of a message spread over two segments) equals the whole file: messages,
#   flows, findings, transport events, counts; frames continue; capture.files
#   gives each piece's first frame.  A missing or truncated piece is a warning
#   and the rest is analysed; no readable piece is exit 2.
# - --merge of samples/merge-client-side.pcap + merge-front-side.pcap (deleg-works
#   seen at two points, Ethernet + Linux cooked) equals deleg-works.pcap: same
#   messages in the same order (times aside: the front end's clock is 5 us ahead),
#   flows and findings, merged_duplicates = the packets in both files, and each
#   message's file/file_frame is a packet of that file with the message's
#   addresses.  --merge of one file equals the plain analysis.
# - the BPF filter applies per packet in both modes.
# Usage: run-multi.sh KRBFLOW
set -u
kf=${1:?usage: run-multi.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TZ=UTC
exec python3 - "$kf" "$tmp" <<'PY'
import json, os, struct, subprocess, sys

kf, tmp = sys.argv[1:3]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def run(*args, want=(0,)):
    r = subprocess.run([kf, *args], capture_output=True, text=True)
    if r.returncode not in want:
        raise SystemExit(f"krbflow {' '.join(args)}: exit {r.returncode}: {r.stderr[:300]}")
    return r


def doc(*args, want=(0,)):
    return json.loads(run("--json", *args, want=want).stdout)


def read_pcap(path):
    data = open(path, "rb").read()
    hdr, off, recs = data[:24], 24, []
    while off < len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        recs.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return hdr, recs


def split(sample, cuts, prefix):
    """Pieces of sample ending after the given frames (1-based): paths."""
    hdr, recs = read_pcap(sample)
    bounds = [0] + cuts + [len(recs)]
    paths = []
    for i in range(len(bounds) - 1):
        p = os.path.join(tmp, f"{prefix}{i + 1}.pcap")
        with open(p, "wb") as f:
            f.write(hdr + b"".join(recs[bounds[i]:bounds[i + 1]]))
        paths.append(p)
    return paths


def same(name, a, b):
    check(name, a == b, f"\n  got      {json.dumps(a)[:600]}\n  expected {json.dumps(b)[:600]}")


# ---- --continuous ----------------------------------------------------------
def no_stream(v):
    """v without its tcp_stream keys (at any depth)."""
    if isinstance(v, dict):
        return {k: no_stream(x) for k, x in v.items() if k != "tcp_stream"}
    if isinstance(v, list):
        return [no_stream(x) for x in v]
    return v

for sample, cuts in (("samples/web-healthy-401first.pcap", [9, 14]),      # mid HTTP connection
                     ("samples/kerberos-tcp-segmented.pcap", [16, 26]),   # AS-REP 16+18, TGS-REQ 26+27
                     ("samples/deleg-works.pcap", [12, 24, 30])):
    name = os.path.basename(sample)
    whole = doc(sample)
    pieces = split(sample, cuts, name + ".part")
    got = doc("--continuous", *pieces)
    # tcp.stream counts per file (each piece from 0, as Wireshark opening it
    # would): compared with tshark by tests/corpus/run-tcp-stream.sh
    for key in ("messages", "flows", "findings"):
        same(f"continuous {name}: {key}", no_stream(got[key]), no_stream(whole[key]))
    for key in ("packets", "bytes", "first", "last", "transport_events", "warnings", "format", "linktype"):
        same(f"continuous {name}: capture.{key}", no_stream(got["capture"][key]), no_stream(whole["capture"][key]))
    firsts = [1] + [c + 1 for c in cuts]
    counts = [b - a for a, b in zip([0] + cuts, cuts + [whole["capture"]["packets"]])]
    same(f"continuous {name}: files", [(f["file"], f["first_frame"], f["packets"]) for f in got["capture"]["files"]],
         list(zip(pieces, firsts, counts)))
    check(f"continuous {name}: no file/file_frame on messages",
          not any("file" in m or "file_frame" in m for m in got["messages"]))
    check(f"continuous {name}: no merged_duplicates", "merged_duplicates" not in got["capture"])
    # the filter applies per packet, frames still count every packet
    f_whole = doc("-f", "tcp", sample)
    f_got = doc("--continuous", "-f", "tcp", *pieces)
    same(f"continuous {name} -f tcp: messages", no_stream(f_got["messages"]), no_stream(f_whole["messages"]))
    same(f"continuous {name} -f tcp: filtered_out", f_got["capture"].get("filtered_out"),
         f_whole["capture"].get("filtered_out"))
    # text report: one header for all, each piece with its frames
    txt = run("--continuous", *pieces).stdout
    check(f"continuous {name}: text header", txt.startswith(f"{len(pieces)} captures one after another"), txt[:200])
    check(f"continuous {name}: text lists frames", f"frames {firsts[1]}-" in txt, txt[:400])

# a missing piece in the middle: a warning, the rest analysed, frames go on
p1, p2, p3 = split("samples/kerberos-tcp-segmented.pcap", [16, 26], "gap")
os.remove(p2)
r = run("--json", "--continuous", p1, p2, p3)
got = json.loads(r.stdout)
files = got["capture"]["files"]
check("missing piece: exit 0", r.returncode == 0)
check("missing piece: files[1] error", "error" in files[1] and "format" not in files[1], json.dumps(files[1]))
check("missing piece: files[2] first frame", files[2].get("first_frame") == 17, json.dumps(files))
check("missing piece: packets", got["capture"]["packets"] == 26, got["capture"]["packets"])
w = [x for x in got["capture"]["warnings"] if x["code"] == "read-error"]
check("missing piece: read-error warning", len(w) == 1 and p2 in w[0]["message"] and "frame" not in w[0], json.dumps(w))
check("missing piece: stderr says so", p2 in r.stderr and "warning" in r.stderr, r.stderr)
types = [(m["frame"], m["type"]) for m in got["messages"]]
check("missing piece: messages of the other pieces", (4, "AS-REQ") in types and (6, "KRB-ERROR") in types
      and any(f > 16 for f, _ in types), types)
# no readable piece at all: an unreadable capture
r = subprocess.run([kf, "--continuous", p2, os.path.join(tmp, "nonexistent.pcap")], capture_output=True, text=True)
check("no readable piece: exit 2", r.returncode == 2, r.returncode)
check("no readable piece: message", "none of the 2 captures could be read" in r.stderr, r.stderr)

# a truncated piece: warning with its path and the next frame, then the next piece
p1, p2, p3 = split("samples/kerberos-tcp-segmented.pcap", [16, 26], "cut")
data = open(p2, "rb").read()
open(p2, "wb").write(data[:-20])  # its last record loses 20 bytes
got = doc("--continuous", p1, p2, p3)
files = got["capture"]["files"]
check("truncated piece: files", files[1].get("truncated") is True and files[1]["packets"] == 9
      and files[2].get("first_frame") == 26, json.dumps(files))
w = [x for x in got["capture"]["warnings"] if x["code"] == "truncated"]
check("truncated piece: warning", len(w) == 1 and w[0]["message"].startswith(p2 + ": capture is truncated after 9")
      and w[0].get("frame") == 26, json.dumps(w))
check("truncated piece: last piece analysed", got["capture"]["packets"] == 35, got["capture"]["packets"])

# ---- --merge ---------------------------------------------------------------
client, front = "samples/merge-client-side.pcap", "samples/merge-front-side.pcap"
ref = doc("samples/deleg-works.pcap")
got = doc("--merge", client, front)


def addrs(frame):
    """(src, dst) IPv4 addresses of a deleg-works packet."""
    ip = frame[16 + 14:]
    return ip[12:16], ip[16:20]


_, recs = read_pcap("samples/deleg-works.pcap")
a, b = bytes([10, 88, 0, 10]), bytes([10, 88, 0, 30])
shared = sum(1 for r_ in recs if set(addrs(r_)) == {a, b})
check("merge: merged_duplicates = packets in both files", got["capture"]["merged_duplicates"] == shared,
      f'{got["capture"]["merged_duplicates"]} != {shared}')
check("merge: packets", got["capture"]["packets"] == len(recs), got["capture"]["packets"])
same("merge: message count", len(got["messages"]), len(ref["messages"]))
same("merge: message frames and types", [(m["frame"], m["type"]) for m in got["messages"]],
     [(m["frame"], m["type"]) for m in ref["messages"]])
strip = lambda ms: [{k: v for k, v in m.items() if k not in ("file", "file_frame", "time")} for m in ms]
same("merge: messages (times aside)", strip(got["messages"]), strip(ref["messages"]))
same("merge: flows", got["flows"], ref["flows"])
same("merge: findings", got["findings"], ref["findings"])
check("merge: one story for the client with the delegation",
      sum(1 for f in got["flows"] if f["client"] == "10.88.0.10" and
          any(d["kind"] == "forwarded-tgt" and d["outcome"] == "ok" for d in f["delegation"]) and
          any(d["kind"] == "on-behalf" and d["by"] == "10.88.0.30" for d in f["delegation"])) == 1)
files = got["capture"]["files"]
same("merge: files", [(f["file"], f["linktype"], f["packets"], f["duplicates"]) for f in files],
     [(client, "EN10MB", 27, 0), (front, "LINUX_SLL", 33, shared)])


def sll_or_eth_addrs(path, n):
    hdr, recs_ = read_pcap(path)
    dlt = struct.unpack("<I", hdr[20:24])[0]
    ip = recs_[n - 1][16 + (14 if dlt == 1 else 16):]
    return "%d.%d.%d.%d" % tuple(ip[12:16]), "%d.%d.%d.%d" % tuple(ip[16:20])


bad = []
for m in got["messages"]:
    if m.get("file") not in (client, front) or not m.get("file_frame"):
        bad.append(m["frame"])
        continue
    src, dst = sll_or_eth_addrs(m["file"], m["file_frame"])
    if (src, dst) != (m["src"].rsplit(":", 1)[0], m["dst"].rsplit(":", 1)[0]):
        bad.append(m["frame"])
check("merge: each message's file/file_frame is a packet of that file with its addresses", not bad, bad)
check("merge: both files contribute messages", {m["file"] for m in got["messages"]} == {client, front})
# the front end's copies come 5 us later: ties and order kept, times of the front-only messages shifted
dt = [(m["frame"], int(m["time"][-7:-1]) - int(r_["time"][-7:-1])) for m, r_ in zip(got["messages"], ref["messages"])]
check("merge: times from the file that carried them", all(d == (5 if m["file"] == front else 0)
                                                           for (f, d), m in zip(dt, got["messages"])), dt)
# order of the files given does not change the analysis (only which copy is kept on ties)
rev = doc("--merge", front, client)
same("merge reversed: messages (times aside)", strip(rev["messages"]), strip(ref["messages"]))
same("merge reversed: duplicates", rev["capture"]["merged_duplicates"], shared)
# per-packet filter over two link types (EN10MB + LINUX_SLL)
f_ref = doc("-f", "host 10.88.0.31 or udp", "samples/deleg-works.pcap")
f_got = doc("--merge", "-f", "host 10.88.0.31 or udp", client, front)
same("merge -f: message frames and types", [(m["frame"], m["type"]) for m in f_got["messages"]],
     [(m["frame"], m["type"]) for m in f_ref["messages"]])
same("merge -f: filtered_out", f_got["capture"].get("filtered_out"), f_ref["capture"].get("filtered_out"))
# text report: file:frame on message lines, the files at the top
txt = run("--merge", client, front).stdout
check("merge: text header", txt.startswith("2 captures merged by time (--merge)") and "LINUX_SLL, 33 packets" in txt,
      txt[:300])
check("merge: text file:frame", "merge-front-side.pcap:13 " in txt and "merge-client-side.pcap:13 " in txt)

# --merge of one file: the plain analysis plus the added fields
for sample in ("samples/deleg-works.pcap", "samples/kerberos-udp-fragmented.pcap", "samples/web-ntlm-fallback.pcap"):
    plain, one = doc(sample), doc("--merge", sample)
    added = one["capture"].pop("files"), one["capture"].pop("merged_duplicates")
    for m in one["messages"]:
        ok = m.pop("file") == sample and m.pop("file_frame") == m["frame"]
        if not ok:
            break
    check(f"merge one {sample}: file fields", ok and added[1] == 0 and added[0][0]["packets"] == plain["capture"]["packets"])
    same(f"merge one {sample}: document", one, plain)
    # a file merged with itself: every packet of the second copy is a duplicate
    two = doc("--merge", sample, sample)
    check(f"merge self {sample}: all copies dropped",
          two["capture"]["merged_duplicates"] == plain["capture"]["packets"]
          and two["capture"]["packets"] == plain["capture"]["packets"]
          and strip(two["messages"]) == strip(plain["messages"]))

# --merge: an unreadable file is a warning, the other is analysed
r = run("--json", "--merge", client, os.path.join(tmp, "nonexistent.pcap"))
got = json.loads(r.stdout)
check("merge with a missing file: analysed", got["capture"]["packets"] == 27 and
      any(w["code"] == "read-error" for w in got["capture"]["warnings"]), json.dumps(got["capture"])[:400])

# allocation-failure injection over both modes (as tests/hostile/run-oom.sh): the
# N-th allocation failing gives exit 3 with "out of memory", or the same output
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1", UBSAN_OPTIONS="halt_on_error=1")
p1, p2, p3 = split("samples/kerberos-tcp-segmented.pcap", [16, 26], "oom")
for args in (["--merge", client, front], ["--continuous", p1, os.path.join(tmp, "nonexistent.pcap"), p2, p3]):
    base = subprocess.run([kf, "--json", *args], capture_output=True, env=dict(env, KRBFLOW_COUNT_ALLOC="1"))
    count = int(base.stderr.decode().rsplit("allocations: ", 1)[1].split()[0])
    bad = []
    for n in range(1, count + 2):
        r = subprocess.run([kf, "--json", *args], capture_output=True, env=dict(env, KRBFLOW_FAIL_ALLOC=str(n)))
        err = r.stderr.decode(errors="replace")
        if "Sanitizer" in err or "runtime error" in err:
            bad.append((n, "sanitizer"))
        elif r.returncode == 3:
            if "out of memory" not in err:
                bad.append((n, "exit 3 without out of memory"))
        elif r.returncode != base.returncode or r.stdout != base.stdout:
            bad.append((n, f"exit {r.returncode}, output {'same' if r.stdout == base.stdout else 'differs'}"))
    check(f"allocation failures {args[0]} ({count} allocations)", not bad, bad[:5])

print(f"multi: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
