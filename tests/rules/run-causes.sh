#!/usr/bin/env bash
# Causes and subjects of findings (issue 15):
# - every rule lists its causes (`krbflow rules`), each documented in
#   docs/rules.md and named by a unit test (tests/unit/check_*.c: the rule
#   tests assert a finding's cause against it, directly or from a table);
# - every finding of every sample (and of every golden's command line) names a
#   cause its rule lists and has a non-empty subject; `undetermined` only where
#   docs/rules.md names that capture as one that cannot tell.
# Usage: run-causes.sh KRBFLOW
set -u
krbflow=${1:?usage: run-causes.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
exec python3 - "$krbflow" "$root" <<'PY'
import glob, json, os, re, subprocess, sys
kf, root = sys.argv[1:3]
os.chdir(root)
bad = []
causes, rule = {}, None
for line in subprocess.run([kf, "rules"], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"^(\S+)\s+(error|warning|info)\s", line)
    if m:
        rule = m.group(1)
        causes[rule] = []
    elif rule and line.strip().startswith("causes: "):
        causes[rule] = [c.strip() for c in line.strip()[len("causes: "):].split(",")]
docs = open("docs/rules.md").read()
tests = "".join(open(f).read() for f in glob.glob("tests/unit/check_*.c"))
for r, cs in causes.items():
    if not cs:
        bad.append(f"{r}: lists no cause")
    for c in cs:
        if f"`{c}`" not in docs:
            bad.append(f"{r}: cause {c} not documented in docs/rules.md")
        if f'"{c}"' not in tests:
            bad.append(f"{r}: cause {c} named by no unit test (tests/unit/check_*.c assert each cause a rule lists)")
runs = [[p] for p in sorted(glob.glob("samples/*.pcap"))]
runs += [open(a).read().split() for a in sorted(glob.glob("tests/golden/*/args"))]
seen = set()
findings = 0
for args in runs:
    key = tuple(args)
    if key in seen:
        continue
    seen.add(key)
    out = subprocess.run([kf, "--json"] + args, capture_output=True, text=True).stdout
    try:
        doc = json.loads(out)
    except ValueError:
        continue  # JSON Lines (several captures): each is also run alone
    cap = os.path.basename(args[-1])[:-len(".pcap")]
    for f in doc.get("findings", []):
        findings += 1
        where = f"{' '.join(args)}: {f['rule']} {f['frames'][:4]}"
        c = f.get("cause")
        if c not in causes.get(f["rule"], []):
            bad.append(f"{where}: cause {c!r} is not one of {causes.get(f['rule'])}")
        if not any(f.get("subject", {}).values()):
            bad.append(f"{where}: empty subject")
        if c == "undetermined" and cap not in docs:
            bad.append(f"{where}: undetermined, and docs/rules.md does not say why {cap} cannot tell")
for b in bad:
    print("FAIL", b)
n_causes = sum(len(v) for v in causes.values())
print(f"causes: {len(causes)} rules, {n_causes} causes, {findings} findings over {len(seen)} runs, {len(bad)} problems")
sys.exit(1 if bad else 0)
PY
