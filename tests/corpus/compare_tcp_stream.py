#!/usr/bin/env python3
"""Compare krbflow's tcp_stream with tshark's tcp.stream, frame by frame.

Usage:
  compare_tcp_stream.py KRBFLOW CAPTURE...            # each capture alone
  compare_tcp_stream.py KRBFLOW --filter EXPR CAPTURE...
  compare_tcp_stream.py KRBFLOW --merge CAPTURE...    # one merged analysis
  compare_tcp_stream.py KRBFLOW --continuous CAPTURE...

Every TCP message of krbflow's JSON (and every transport event that names a
tcp_stream) must carry, in its frame of its file, a tcp.stream that tshark
gives that frame (a frame with several TCP headers, a tunnel or an ICMP
error, lists several).  With --merge/--continuous a message's frame in its
file is `file_frame` (the frame itself for the first file of --continuous).
Exit 1 on any difference; prints a count per capture.
"""
import json
import subprocess
import sys


def tshark_streams(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "tcp.stream"],
                         capture_output=True, text=True, check=False).stdout
    m = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[1]:
            m[int(parts[0])] = {int(x) for x in parts[1].split(",") if x}
    return m


def items(doc):
    for m in doc.get("messages", []):
        if m.get("transport") == "tcp":
            yield "message", m
    for fl in doc.get("flows", []):
        for h in fl.get("http", []):
            yield "http", dict(h, frame=h["frames"][0]) if h.get("frames") else h
        for s in fl.get("sessions", []):
            yield "session", dict(s, frame=s["frames"][0]) if s.get("frames") else s
        for t in fl.get("https", []):
            yield "https", t
    for t in doc.get("capture", {}).get("transport_events", []):
        if "tcp_stream" in t:
            yield "event", t


def main(argv):
    binary, args = argv[1], argv[2:]
    opts, files = [], []
    mode = None
    i = 0
    while i < len(args):
        if args[i] == "--filter":
            opts += ["-f", args[i + 1]]
            i += 2
            continue
        if args[i] in ("--merge", "--continuous"):
            mode = args[i]
            i += 1
            continue
        files.append(args[i])
        i += 1
    runs = [[f] for f in files] if mode is None else [files]
    bad = 0
    for run in runs:
        cmd = [binary, "--json"] + opts + ([mode] if mode else []) + run
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        docs, pos, dec = [], 0, json.JSONDecoder()
        while pos < len(out):  # one pretty document, or JSON Lines
            if out[pos].isspace():
                pos += 1
                continue
            doc, pos = dec.raw_decode(out, pos)
            docs.append(doc)
        oracle = {f: tshark_streams(f) for f in run}
        n = 0
        for doc in docs:
            files = doc.get("capture", {}).get("files")
            for kind, x in items(doc):
                if mode == "--merge" and "file_frame" not in x:
                    continue  # a merged analysis' frame: only messages say their file's
                if mode == "--continuous" and files:
                    # frames continue across the files: back to the file's own
                    f0 = max((f for f in files if f.get("first_frame", 0) and f["first_frame"] <= x["frame"]),
                             key=lambda f: f["first_frame"])
                    x = dict(x, file=f0["file"], file_frame=x["frame"] - f0["first_frame"] + 1)
                if "tcp_stream" not in x:
                    print(f"{run}: {kind} at frame {x['frame']} has no tcp_stream")
                    bad += 1
                    continue
                f = x.get("file", run[0])
                frame = x.get("file_frame") or x["frame"]
                want = oracle[f].get(frame, set())
                n += 1
                if x["tcp_stream"] not in want:
                    print(f"{f}: {kind} {x.get('type', x.get('kind'))} frame {frame}: "
                          f"krbflow tcp_stream {x['tcp_stream']}, tshark {sorted(want)}")
                    bad += 1
        print(f"{' + '.join(run)}: {n} compared")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
