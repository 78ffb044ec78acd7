#!/usr/bin/env python3
"""The module map, checked over the source tree (docs/ARCHITECTURE.md).

1. Every quoted #include resolves to exactly one file, and a file of module
   A includes a header of module B only when A -> B is an edge of ALLOWED.
2. No include cycle between units (a unit is x.c with x.h).
3. No call cycle between units: x calls a kf_ function that y defines, and
   y (through any chain) calls back into x.
4. No file under analyzer/ is over 1,000 lines.
Prints every violation and exits 1 when there is one.
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))

# module -> the modules its files may include (besides its own)
ALLOWED = {
    "base": set(),
    "decoders": {"base"},
    "input": {"base", "decoders"},
    "model": {"base", "decoders"},
    "wire": {"base", "decoders", "input", "model"},
    "decrypt": {"base", "decoders", "model"},
    "rules": {"base", "decoders", "model"},
    "analyzer": {"base", "decoders", "input", "wire", "model", "decrypt", "rules"},
    "reports": {"base", "decoders", "model"},
    "cli": {"base", "decoders", "model", "reports", "analyzer"},
}
MAX_LINES = 1000


def module_of(rel):
    parts = rel.split("/")
    if parts[0] == "decoders":
        return "base" if len(parts) > 2 and parts[1] == "base" else "decoders"
    if parts[0] == "analyzer":
        return parts[1] if len(parts) > 2 else "analyzer"
    if parts[0] == "reports":
        return "reports"
    if parts[0] == "cli" or rel == "krbflow.c":
        return "cli"
    return None


def sources():
    out = []
    for top in ("decoders", "analyzer", "reports", "cli"):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith((".c", ".h", ".def")):
                    out.append(os.path.relpath(os.path.join(d, f), ROOT))
    out.append("krbflow.c")
    return sorted(out)


INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
DEF = re.compile(r"^[a-z][\w \*]*?\b(kf_\w+)\s*\([^;]*?\)\s*\{", re.M | re.S)
CALL = re.compile(r"\b(kf_\w+)\s*\(")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def strip(text):
    return STRING.sub('""', COMMENT.sub(" ", text))


def find_cycle(graph):
    """One cycle of the graph as a list of nodes, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if not state.get(n):
            c = visit(n)
            if c:
                return c
    return None


def main():
    files = sources()
    by_base = {}
    for f in files:
        by_base.setdefault(os.path.basename(f), []).append(f)
    errors = []
    unit_inc, texts = {}, {}

    def unit(rel):
        return os.path.splitext(rel)[0]

    for f in files:
        text = open(os.path.join(ROOT, f), encoding="utf-8").read()
        texts[f] = text
        mod = module_of(f)
        if f.startswith("analyzer/") and text.count("\n") > MAX_LINES:
            errors.append(f"{f}: {text.count(chr(10))} lines (at most {MAX_LINES} under analyzer/)")
        for name in INC.findall(text):
            cands = [c for c in by_base.get(os.path.basename(name), []) if c.endswith(name)]
            own = os.path.normpath(os.path.join(os.path.dirname(f), name))
            if own in files:
                cands = [own]
            if len(cands) != 1:
                errors.append(f'{f}: #include "{name}" resolves to {len(cands)} files {cands}')
                continue
            target = cands[0]
            tmod = module_of(target)
            if tmod != mod and tmod not in ALLOWED[mod]:
                errors.append(f'{f}: #include "{name}": {mod} may not include {tmod} ({target})')
            if unit(target) != unit(f):
                unit_inc.setdefault(unit(f), set()).add(unit(target))

    c = find_cycle(unit_inc)
    if c:
        errors.append("include cycle: " + " -> ".join(c))

    defined = {}
    for f in files:
        if f.endswith(".c"):
            for name in DEF.findall(strip(texts[f])):
                defined.setdefault(name, unit(f))
    calls = {}
    for f in files:
        if not f.endswith(".c"):
            continue
        u = unit(f)
        for name in set(CALL.findall(strip(texts[f]))):
            v = defined.get(name)
            if v and v != u:
                calls.setdefault(u, set()).add(v)
    c = find_cycle(calls)
    if c:
        errors.append("call cycle: " + " -> ".join(c))

    for e in errors:
        print(e)
    print(f"{len(files)} files, {sum(len(v) for v in unit_inc.values())} include edges, "
          f"{sum(len(v) for v in calls.values())} call edges, {len(defined)} kf_ functions defined: "
          f"{'ok' if not errors else str(len(errors)) + ' problems'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
