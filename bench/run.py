#!/usr/bin/env python3
"""Time krbflow against the libpcap floor and tshark on the benchmark captures.

For each size it makes (once, then reuses) a mixed capture, a bulk-only one and
one of mostly SMB2 bulk (READ/WRITE on 445 and 139: --smb-bulk) with
bench/gen_capture.py, warms the page cache, then runs alternately, pinned
to one CPU: (a) the floor, bench/floor.c: pcap_next_ex over every packet,
touching one byte in 64; (b) krbflow --json; (c) tshark with the
authentication display filter (mixed captures only: it is slow).  Each run is
a whole process: wall time from the parent, CPU time and peak RSS from wait4.
It prints medians, MB/s, packets/s, peak RSS and the ratios krbflow/floor and
tshark/krbflow (medians of the run-by-run ratios), checks the targets of the
README, and with --write-readme puts the table into README.md.

With --baseline BINARY it runs another krbflow (say, a build of the main
branch) too, in the same alternation over the same captures, and prints per
capture krbflow/baseline (median of the run-by-run ratios of wall time), the
peak RSS of each and krbflow/floor for both.

  bench/run.py                       # 100 MB, 5 runs
  bench/run.py --sizes 100M,1G --write-readme
  bench/run.py --tshark-runs 0 --baseline /tmp/main/build/krbflow
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TSHARK_FILTER = "kerberos || ntlmssp || spnego || http.authorization || http.www_authenticate"
SMALL_SAMPLE = os.path.join(ROOT, "samples", "web-healthy-401first.pcap")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def parse_size(text):
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    t = text.strip().upper().rstrip("B")
    return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)


SPAWN = None  # set in main(): bench/spawn.c, built next to the floor


def run_once(argv, cpu):
    """One whole-process run: (wall s, cpu s, peak RSS MiB, exit status).  It
    goes through a small launcher so that the peak RSS is the command's own
    (ru_maxrss is inherited across fork and exec from this large Python)."""
    p = subprocess.run([SPAWN, str(-1 if cpu is None else cpu)] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    if not last.startswith("spawn: "):
        sys.exit("bench: launcher failed: %s" % p.stderr.strip())
    f = dict(kv.split("=") for kv in last[len("spawn: "):].split())
    return float(f["wall_s"]), float(f["cpu_s"]), int(f["peak_kib"]) / 1024.0, int(f["exit"])


def capture(kind, size, seed, data_dir):
    """The capture of that kind and size, generated when missing or stale."""
    name = "%s-%s-seed%d.pcap" % (kind, size, seed)
    path = os.path.join(data_dir, name)
    gen = os.path.join(HERE, "gen_capture.py")
    stamp = path + ".manifest.json"
    fresh = os.path.exists(path) and os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(gen)
    if not fresh:
        argv = [sys.executable, gen, "--size", size, "--seed", str(seed), "-o", path]
        if kind == "bulk":
            argv.append("--bulk-only")
        elif kind == "smb":
            argv.append("--smb-bulk")
        print("generating %s ..." % name, file=sys.stderr, flush=True)
        subprocess.run(argv, check=True)
    with open(stamp) as f:
        return path, json.load(f)


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def bench_file(path, tools, runs, cpu):
    """Alternate the tools run by run; returns {tool: [(wall, cpu, rss, rc), ...]}."""
    res = {name: [] for name, _, _ in tools}
    for name, argv, n in tools:  # one warm-up each, not counted (tshark's minutes would teach nothing)
        if name != "tshark":
            warm(path)
            run_once(argv, cpu)
    for i in range(runs):
        for name, argv, n in tools:
            if i < n:
                # the file back in the page cache before every run: on a machine whose cache
                # is small, tshark's gigabytes push it out and the next run would read the disk
                warm(path)
                res[name].append(run_once(argv, cpu))
    return res


def ratio(a, b):
    """Median of the run-by-run ratios a[i] / b[i] (wall times)."""
    return median([x[0] / y[0] for x, y in zip(a, b) if y[0] > 0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100M", help="capture sizes, comma-separated (default 100M)")
    ap.add_argument("--kinds", default="mixed,bulk,smb",
                    help="captures, comma-separated, of mixed, bulk, smb (default all three)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of krbflow and the floor (default 5)")
    ap.add_argument("--tshark-runs", type=int, default=3, help="timed runs of tshark (default 3; 0: skip it)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cpu", type=int, default=0, help="CPU to pin every run to (-1: no pinning; default 0)")
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "bench-data"), help="where captures go")
    ap.add_argument("--krbflow", default=os.path.join(ROOT, "build", "krbflow"))
    ap.add_argument("--floor", default=os.path.join(ROOT, "build", "bench", "krbflow-floor"))
    ap.add_argument("--baseline", metavar="BINARY",
                    help="another krbflow to compare with, run as often as krbflow, alternately with it")
    ap.add_argument("--write-readme", action="store_true", help="put the table into README.md")
    ap.add_argument("--json", help="also write the raw figures to this file")
    a = ap.parse_args()
    if a.baseline and a.write_readme:
        sys.exit("bench: --write-readme is for krbflow alone, not with --baseline")
    cpu = None if a.cpu < 0 else a.cpu
    global SPAWN
    SPAWN = os.path.join(os.path.dirname(a.floor), "krbflow-bench-spawn")
    for exe in (a.krbflow, a.floor, SPAWN):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s not found: build first (tools/build.sh)" % exe)
    if a.baseline and not os.access(a.baseline, os.X_OK):
        sys.exit("bench: baseline %s is not an executable" % a.baseline)
    tshark = shutil.which("tshark") if a.tshark_runs > 0 else None
    kinds = [k.strip() for k in a.kinds.split(",") if k.strip()]
    if not kinds or any(k not in ("mixed", "bulk", "smb") for k in kinds):
        sys.exit("bench: --kinds takes mixed, bulk and smb")
    os.makedirs(a.data, exist_ok=True)

    rows, checks, raw, versus = [], [], {}, []
    sizes = [s.strip() for s in a.sizes.split(",") if s.strip()]
    bulk_rss, smb_rss, smb_msgs = {}, {}, {}
    for size in sizes:
        for kind in kinds:
            path, man = capture(kind, size, a.seed, a.data)
            warm(path)
            nbytes, npkts = os.path.getsize(path), man["packets"]
            # packets of authentication: the replayed samples', and one per NTLM message in SMB
            nauth = man["auth_packets"] + len((man.get("smb") or {}).get("auth_messages", []))
            tools = [("floor", [a.floor, path], a.runs),
                     ("krbflow", [a.krbflow, "--json", path], a.runs)]
            if a.baseline:
                tools.append(("baseline", [a.baseline, "--json", path], a.runs))
            if kind == "mixed" and tshark:
                tools.append(("tshark", [tshark, "-n", "-r", path, "-Y", TSHARK_FILTER, "-T", "fields",
                                         "-e", "frame.number"], a.tshark_runs))
            res = bench_file(path, tools, max(a.runs, a.tshark_runs if tshark else 0), cpu)
            raw["%s-%s" % (kind, size)] = {"bytes": nbytes, "packets": npkts, "auth_packets": nauth,
                                           "runs": res}
            for name, _, _ in tools:
                rs = res[name]
                if any(r[3] not in (0, 1) for r in rs):
                    sys.exit("bench: %s exited %s on %s" % (name, [r[3] for r in rs], path))
                wall = median([r[0] for r in rs])
                rows.append((kind, size, npkts, nauth, name, len(rs), wall, nbytes / wall / 1e6,
                             npkts / wall, max(r[2] for r in rs)))
            kf_floor = ratio(res["krbflow"], res["floor"])
            rows.append((kind, size, None, None, "krbflow/floor", None, kf_floor, None, None, None))
            if "baseline" in res:
                base_floor = ratio(res["baseline"], res["floor"])
                kf_base = ratio(res["krbflow"], res["baseline"])
                versus.append((kind, size, kf_base, max(r[2] for r in res["krbflow"]),
                               max(r[2] for r in res["baseline"]), kf_floor, base_floor))
            if "tshark" in res:
                ts_kf = ratio(res["tshark"], res["krbflow"])
                rows.append((kind, size, None, None, "tshark/krbflow", None, ts_kf, None, None, None))
            krss = max(r[2] for r in res["krbflow"])
            if kind == "bulk":
                bulk_rss[size] = krss
            if kind == "smb":
                # what krbflow keeps grows with the logons in the capture: count them
                out = subprocess.run([a.krbflow, "--json", path], capture_output=True, check=False).stdout
                smb_rss[size] = krss
                smb_msgs[size] = len(json.loads(out).get("messages", [])) if out else 0
                if parse_size(size) >= 10**8:  # below, a run lasts milliseconds and the ratio is noise
                    checks.append(("krbflow <= 1.3x floor on %s smb" % size, kf_floor <= 1.3, "%.2fx" % kf_floor))
            if kind == "mixed" and parse_size(size) >= 10**9:
                checks.append(("krbflow <= 2x floor on %s mixed" % size, kf_floor <= 2.0, "%.2fx" % kf_floor))
                if "tshark" in res:
                    checks.append(("krbflow >= 50x faster than tshark on %s mixed" % size, ts_kf >= 50,
                                   "%.0fx" % ts_kf))
                checks.append(("peak RSS <= 64 MiB on %s mixed" % size, krss <= 64, "%.1f MiB" % krss))

    if len(bulk_rss) >= 2:
        lo, hi = min(bulk_rss.values()), max(bulk_rss.values())
        checks.append(("bulk-only peak RSS flat across sizes (within 10%)", hi <= lo * 1.10,
                       " / ".join("%s %.1f MiB" % (k, v) for k, v in bulk_rss.items())))
    # SMB bulk has a logon per connection: its RSS may grow by what krbflow
    # keeps of those (1 KiB a message, the target above), no more
    if len(smb_rss) >= 2:
        small, big = min(smb_rss, key=smb_rss.get), max(smb_rss, key=smb_rss.get)
        allowance = max(0, smb_msgs[big] - smb_msgs[small]) / 1024.0
        ok = smb_rss[big] <= smb_rss[small] * 1.10 + allowance
        checks.append(("smb peak RSS flat across sizes (within 10%, plus 1 KiB a message kept)", ok,
                       " / ".join("%s %.1f MiB (%d messages)" % (k, smb_rss[k], smb_msgs[k])
                                  for k in smb_rss)))
    small = [run_once([a.krbflow, "--json", SMALL_SAMPLE], cpu) for _ in range(21)]
    small_ms = median([r[0] for r in small]) * 1000
    checks.append(("small sample end to end < 10 ms", small_ms < 10, "%.1f ms" % small_ms))

    machine = "%s, %d CPUs, %s" % (platform.machine(), os.cpu_count(), platform.platform(terse=True))
    out = ["| capture | size | packets (auth) | program | runs | median wall s | MB/s | packets/s | peak RSS MiB |",
           "|---|---|---|---|---|---|---|---|---|"]
    for kind, size, npk, nauth, name, n, wall, mbs, pps, rss in rows:
        if n is None:
            out.append("| %s | %s | | **%s** | | **%.2f** | | | |" % (kind, size, name, wall))
        else:
            out.append("| %s | %s | %d (%d) | %s | %d | %.3f | %.0f | %.0f | %.1f |" % (
                kind, size, npk, nauth, name, n, wall, mbs, pps, rss))
    if versus:
        out.append("")
        out.append("| capture | size | krbflow/baseline | krbflow peak RSS MiB | baseline peak RSS MiB "
                   "| krbflow/floor | baseline/floor |")
        out.append("|---|---|---|---|---|---|---|")
        for kind, size, kf_base, krss, brss, kf_floor, base_floor in versus:
            out.append("| %s | %s | %.3f | %.1f | %.1f | %.2f | %.2f |" % (
                kind, size, kf_base, krss, brss, kf_floor, base_floor))
    out.append("")
    out.append("| target | met | measured |")
    out.append("|---|---|---|")
    for what, ok, val in checks:
        out.append("| %s | %s | %s |" % (what, "yes" if ok else "**no**", val))
    out.append("")
    out.append("Measured by `bench/run.py --sizes %s` on %s; pinned to one CPU, page cache warm, "
               "medians of %d runs (tshark %d)." % (",".join(sizes), machine, a.runs,
                                                     a.tshark_runs if tshark else 0))
    if a.baseline:
        out.append("Baseline: `%s`, alternating with `%s`." % (a.baseline, a.krbflow))
    table = "\n".join(out)
    print(table)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": rows, "checks": checks, "small_ms": small_ms, "raw": raw, "versus": versus}, f,
                      indent=1)
    if a.write_readme:
        readme = os.path.join(ROOT, "README.md")
        text = open(readme).read()
        if BEGIN not in text or END not in text:
            sys.exit("bench: README.md has no %s ... %s section" % (BEGIN, END))
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        with open(readme, "w") as f:
            f.write(head + BEGIN + "\n" + table + "\n" + END + tail)
        print("README.md updated", file=sys.stderr)
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
