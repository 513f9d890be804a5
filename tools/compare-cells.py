#!/usr/bin/env python3
"""compare-cells.py BEFORE AFTER — did a change keep every cell's output? (standard library only)

BEFORE and AFTER are either two folders of cell JSON files (e.g. C.W.json from
`gcscope run ... --json`, or a results folder's cells/), compared file by file with the same
names, or two results folders of `make bench` (they have a cells/ folder), of which the cells'
JSON keys, the TSVs' header lines and the Google Benchmark counter names are compared.

For cell JSON: every key BEFORE has must be in AFTER (AFTER may add keys), and every value
that does not depend on timing or on the machine's memory must be equal. Timing- and
RSS-dependent values (times, pause durations, MMU, RSS, rates, the fractions made of them)
are compared by presence and type only. Exit status 0 when nothing differs, 1 otherwise;
each difference is one line "FILE: PATH: before -> after".

  tools/compare-cells.py /tmp/before-small /tmp/after-small
  tools/compare-cells.py results/A results/B
"""
import glob, json, os, re, sys

# Paths (dotted, list indexes as []) whose values depend on time or on RSS: compared by
# presence and type only.
VOLATILE = re.compile(r"""
    ^time\. | _ns$ | ^mmu\[\]\.mmu$ | rss | ^figures\.\w*(_ns|ns_per)\w*$
  | ^memory\.(vm_hwm_bytes|returned_bytes|returned_fraction)$ | anonymous_bytes$ | lazyfree_bytes$
  | _per_s$ | ^figures\.(returned_bytes|returned_fraction|arena_returned_bytes|freed_bytes)$
  | ^phases\[\]\.
""", re.X)
# Exceptions to VOLATILE: compared exactly.
KEEP = {"mmu[].window_ns"}


def flatten(value, path="", out=None):
    """{path: leaf value}; list elements share their list's path + '[]' and are numbered."""
    if out is None:
        out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, path + "." + k if path else k, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(v, "%s[%d]" % (path, i), out)
    else:
        out[path] = value
    return out


def generic(path):
    return re.sub(r"\[\d+\]", "[]", path)


def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def compare_cell(name, before, after, problems):
    b, a = flatten(before), flatten(after)
    for path, bv in b.items():
        if path not in a:
            problems.append("%s: %s: missing after (was %r)" % (name, path, bv))
            continue
        av = a[path]
        g = generic(path)
        if g not in KEEP and VOLATILE.search(g):
            if kind(av) != kind(bv) and "null" not in (kind(av), kind(bv)):
                problems.append("%s: %s: type %s -> %s" % (name, path, kind(bv), kind(av)))
            continue
        if av != bv and not (isinstance(av, float) and isinstance(bv, float) and abs(av - bv) <= 1e-12 * max(abs(av), abs(bv))):
            problems.append("%s: %s: %r -> %r" % (name, path, bv, av))


def header(path):
    with open(path) as f:
        return f.readline().rstrip("\n")


def compare_results(before, after, problems):
    """Two `make bench` folders: the columns, not the values (timings differ run to run)."""
    for p in sorted(glob.glob(os.path.join(before, "*.tsv"))):
        q = os.path.join(after, os.path.basename(p))
        if not os.path.exists(q):
            problems.append("%s: missing after" % os.path.basename(p))
        elif header(p) != header(q):
            problems.append("%s: header %r -> %r" % (os.path.basename(p), header(p), header(q)))
    def pairs(pattern):
        """(before file, after file) for each before file matching pattern; a missing one noted."""
        for p in sorted(glob.glob(os.path.join(before, "cells", pattern))):
            q = os.path.join(after, "cells", os.path.basename(p))
            if os.path.exists(q):
                yield p, q
            else:
                problems.append("cells/%s: missing after" % os.path.basename(p))

    names = lambda f: [l.split("\t")[0] for l in open(f) if not l.startswith("#")]
    for p, q in pairs("*.counters.tsv"):
        if names(p) != names(q):
            problems.append("cells/%s: counters %s -> %s" % (os.path.basename(p), names(p), names(q)))
    for p, q in pairs("*.json"):
        b = {generic(k) for k in flatten(json.load(open(p)))}
        a = {generic(k) for k in flatten(json.load(open(q)))}
        for k in sorted(b - a):
            problems.append("cells/%s: %s missing after" % (os.path.basename(p), k))
    gb = lambda d: {b["name"]: b for b in json.load(open(os.path.join(d, "gbench.json")))["benchmarks"]}
    if os.path.exists(os.path.join(before, "gbench.json")) and os.path.exists(os.path.join(after, "gbench.json")):
        gbb, gba = gb(before), gb(after)
        for n, bench in gbb.items():
            if n not in gba:
                problems.append("gbench.json: %s missing after" % n)
            elif set(bench) - set(gba[n]):
                problems.append("gbench.json: %s: counters missing after: %s" % (n, sorted(set(bench) - set(gba[n]))))


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[0] + "\nusage: compare-cells.py BEFORE AFTER")
    before, after = argv[1], argv[2]
    problems = []
    if os.path.isdir(os.path.join(before, "cells")):
        compare_results(before, after, problems)
        what = "cells of the results folders"
        n = len(glob.glob(os.path.join(before, "cells", "*.json")))
    else:
        files = sorted(glob.glob(os.path.join(before, "*.json")))
        for p in files:
            q = os.path.join(after, os.path.basename(p))
            if not os.path.exists(q):
                problems.append("%s: missing after" % os.path.basename(p))
                continue
            try:
                compare_cell(os.path.basename(p), json.load(open(p)), json.load(open(q)), problems)
            except ValueError as e:
                problems.append("%s: %s" % (os.path.basename(p), e))
        what = "cells"
        n = len(files)
    for line in problems:
        print(line)
    print("compare-cells: %d %s compared, %d difference(s)" % (n, what, len(problems)), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
