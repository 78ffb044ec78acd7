#!/usr/bin/env bash
# Every lab sample yields exactly its expected findings: the set of
# (rule, severity) pairs krbflow reports for samples/<capture>.pcap must equal
# the one listed in tests/rules/expected-findings.txt (from samples/README.md's
# "finding" column, checked against the real traffic). Healthy captures list
# "none" and must have no finding at all.
# A line whose findings start with "pending" names what the capture must
# yield once the code it waits for exists (e.g. the SMB carrier for the smb-*
# captures): a difference is reported as PENDING and does not fail; a match
# fails, so that the marker is dropped when the capture passes.
# Each sample also needs a mark in samples/README.md's "Healthy and faulty
# captures" table; an error finding on a healthy one fails.
# Usage: run-expected.sh KRBFLOW
set -u
krbflow=${1:?usage: run-expected.sh path/to/krbflow}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
exec python3 - "$krbflow" "$root" "$here/expected-findings.txt" <<'PY'
import json, subprocess, sys, os
krbflow, root, listing = sys.argv[1:4]
expected = {}
pending = set()
for line in open(listing):
    line = line.split('#', 1)[0].strip()
    if not line:
        continue
    cap, *pairs = line.split()
    if pairs[:1] == ['pending']:
        pending.add(cap)
        pairs = pairs[1:]
    expected[cap] = set() if pairs == ['none'] else {tuple(p.split(':')) for p in pairs}
# samples/README.md's "Healthy and faulty captures" table: capture -> (health, reason)
health = {}
in_table = False
for line in open(os.path.join(root, 'samples', 'README.md')):
    if line.startswith('## '):
        in_table = line.startswith('## Healthy and faulty captures')
        continue
    cols = [c.strip() for c in line.strip().strip('|').split('|')]
    if in_table and len(cols) == 3 and cols[1] in ('healthy', 'faulty'):
        health[cols[0]] = (cols[1], cols[2])
samples = sorted(f[:-5] for f in os.listdir(os.path.join(root, 'samples')) if f.endswith('.pcap'))
passed = failed = waiting = 0
for cap in samples:
    if cap not in health:
        print(f"FAIL {cap}: no mark in samples/README.md's \"Healthy and faulty captures\" table")
        failed += 1
for cap in samples:
    if cap not in expected:
        print(f"FAIL {cap}: no line in expected-findings.txt")
        failed += 1
        continue
    r = subprocess.run([krbflow, '--json', os.path.join(root, 'samples', cap + '.pcap')], capture_output=True)
    if r.returncode not in (0, 1):
        print(f"FAIL {cap}: krbflow exited {r.returncode}")
        failed += 1
        continue
    got = {(f['rule'], f['severity']) for f in json.loads(r.stdout)['findings']}
    want = expected[cap]
    errors = sorted(rule for rule, sev in got if sev == 'error')
    if health.get(cap, ('',))[0] == 'healthy' and errors:
        failed += 1
        print(f"FAIL {cap}: healthy ({health[cap][1]}) but krbflow reports errors: {' '.join(errors)}")
        continue
    show = lambda fs: ' '.join(sorted(a + ':' + b for a, b in fs)) or 'none'
    if cap in pending:
        if got == want:
            failed += 1
            print(f"FAIL {cap}: yields {show(want)} as expected now: drop 'pending' from its line")
        else:
            waiting += 1
            print(f"PENDING {cap}: expects {show(want)}, yields {show(got)} for now")
        continue
    if got == want:
        passed += 1
        print(f"PASS {cap}: {' '.join(sorted(a + ':' + b for a, b in got)) or 'none'}")
    else:
        failed += 1
        print(f"FAIL {cap}: missing {sorted(want - got)} unexpected {sorted(got - want)}")
for cap in sorted(set(expected) - set(samples)):
    print(f"FAIL {cap}: listed but no samples/{cap}.pcap")
    failed += 1
print(f"rules: {passed} passed, {waiting} pending, {failed} failed")
sys.exit(1 if failed else 0)
PY
