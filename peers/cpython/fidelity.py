#!/usr/bin/python3
"""fidelity.py -- the `cpython` collector and the `py` peer against CPython itself, field for field.

    peers/cpython/fidelity.py [--quick | --full] [--walks 3.11,fused] [--jobs N] [--gcscope BIN]
                              [--keep DIR] [--only STYLE] [--collector cpython|py]
                              [--versions 3.11,3.12,3.13] [--python VERSION=PATH]...

Versions: 3.11 is the system python3 (always). `cpython --set version=3.12` and `version=3.13`
are checked against CPython 3.12 and 3.13 interpreters when the machine has them (--python
3.12=PATH, else python3.12 / python3.13 on PATH, else pyenv's $PYENV_ROOT/versions/3.1x.*);
a version with no interpreter is reported and skipped, never failed. `py` is 3.11 only.

First a few small traces whose results were worked out by hand (checking the oracle
itself as much as the collector). Then for each case (style, seed, ops, thresholds) it generates a trace (peers/cpython/gentrace.py),
replays it with `BIN replay --collector cpython --json` (and `--collector py`: the real
CPython 3.11 embedded, where any difference is a bug in the peer) and with
peers/cpython/cpython_oracle.py on the system python3, and compares collects, stats, count,
live_after_full and live_at_end.
On a difference it names the case, the first differing field and element, the trace line of
the `collect` op concerned (collects, live_after_full), and -- for the fields read at the end
(stats, count, live_at_end) -- bisects over trace prefixes for the first op after which the
two disagree. The trace of a failing case is kept (--keep, default /tmp). The last line is
`fidelity: N passed, M failed`; the exit status is 0 only when nothing failed.

Every `cpython` case runs gcscope once per value of the collector's `walks` knob (--walks, default
both: `3.11` and `fused`, which must give the same decisions), and once more per other value of
its `layout` knob (--layouts, default `inline,py`: CPython's object size and dispatch, again the
same decisions) under the first walks value; the oracle runs once.

  --quick  (the default; `make test`)  every style x 3 seeds x 50k ops under the release
           build, every style x 20k ops under the debug build (ASan, UBSan, heap verify
           around every collection), every style at thresholds (50,5,5), freeze_after_allocs
           and enabled=off cases, and one 1M-op trace; `py` on a subset (every style at
           50k ops, at thresholds (50,5,5) and under the debug build, a freeze and an
           enabled=off case). Under a minute.
  --full   (`make fidelity`)  60 seeds x 5 styles, every tenth seed at 1.2M ops (the
           others 100k), plus 10 seeds x 5 styles at thresholds (50,5,5) and (2000,3,20),
           10 x 5 with freeze_after_allocs, 5 with enabled=off, 5 under the debug build;
           every case for `cpython` and again for `py`.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"
STYLES = ("graph", "cycles", "growth", "chain", "mixed")
FIELDS = ("collects", "stats", "count", "live_after_full", "live_at_end")
KNOB_NAMES = ("threshold0", "threshold1", "threshold2")

COLLECTORS = ("cpython", "py")
LAYOUTS = ["inline", "py"]   # the cpython collector's layout values checked (--layouts)
# The debug build embeds libpython, which is never finalized: its allocations are no leak.
os.environ.setdefault("LSAN_OPTIONS", "suppressions=%s:print_suppressions=0"
                      % os.path.join(ROOT, "tools", "lsan-libpython.supp"))
STYLES = ("graph", "cycles", "growth", "chain", "mixed")
FIELDS = ("collects", "stats", "count", "live_after_full", "live_at_end")
KNOB_NAMES = ("threshold0", "threshold1", "threshold2")

# The oracle's interpreter for each version of the cpython collector (find_pythons fills in
# the others; 3.11 is the system python3, which the Debian packages install).
PYTHONS = {"3.11": PYTHON}
OTHER_VERSIONS = ("3.12", "3.13")


def python_version(path):
    """"3.12" for a CPython 3.12 interpreter at path, else None."""
    try:
        p = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def find_pythons(given):
    """Adds to PYTHONS an interpreter for each of OTHER_VERSIONS: --python VERSION=PATH first,
    then pythonX.Y on PATH, then pyenv's builds. Returns the notes to print."""
    notes = []
    for v, path in given.items():
        got = python_version(path)
        if got != v:
            raise SystemExit("fidelity: --python %s=%s: that is %s" % (v, path, got or "not a python"))
        PYTHONS[v] = path
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for v in OTHER_VERSIONS:
        if v in PYTHONS:
            continue
        candidates = [shutil.which("python" + v)] + sorted(
            glob.glob(os.path.join(root, "versions", v + ".*", "bin", "python" + v)), reverse=True)
        for c in candidates:
            if c and python_version(c) == v:
                PYTHONS[v] = c
                break
        else:
            notes.append("fidelity: no CPython %s interpreter here: version=%s not checked "
                         "(--python %s=PATH)" % (v, v, v))
    return notes


class Case:
    def __init__(self, style, seed, ops, thresholds=None, gcscope=None, freeze=0, disabled=False,
                 collector="cpython", version="3.11"):
        self.style, self.seed, self.ops = style, seed, ops
        self.collector = collector
        self.version = version        # the cpython collector's version knob, and the oracle's
        self.walks = "3.11"           # the cpython collector's walks knob (run_case sets it)
        self.layout = "inline"        # and its layout knob
        self.thresholds = thresholds
        self.gcscope = gcscope
        self.freeze = freeze          # freeze_after_allocs
        self.disabled = disabled      # enabled=off

    def name(self):
        s = "collector=%s style=%s seed=%d ops=%d" % (self.collector, self.style, self.seed, self.ops)
        if self.thresholds:
            s += " thresholds=%s" % ",".join(map(str, self.thresholds))
        if self.freeze:
            s += " freeze_after_allocs=%d (atom-free trace)" % self.freeze
        if self.disabled:
            s += " enabled=off"
        if os.path.basename(os.path.dirname(self.gcscope)) == "debug":
            s += " build=debug"
        if self.version != "3.11":
            s += " version=%s" % self.version
        if self.collector != "cpython":
            return s
        return s + " walks=%s" % self.walks + (" layout=%s" % self.layout if self.layout != "inline" else "")


def run(cmd, what):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s\n  command: %s" % (
            what, p.returncode, p.stderr.strip()[-2000:], " ".join(cmd)))
    return p.stdout


def replay_ours(case, trace):
    cmd = [case.gcscope, "replay", "--collector", case.collector, "--json"]
    if case.collector == "cpython":
        cmd += ["--set", "walks=" + case.walks, "--set", "layout=" + case.layout]
        if case.version != "3.11":
            cmd += ["--set", "version=" + case.version]
    if case.thresholds:
        for k, v in zip(KNOB_NAMES, case.thresholds):
            cmd += ["--set", "%s=%d" % (k, v)]
    if case.freeze:
        cmd += ["--set", "freeze_after_allocs=%d" % case.freeze]
    if case.disabled:
        cmd += ["--set", "enabled=off"]
    return json.loads(run(cmd + [trace], "gcscope replay"))


def replay_oracle(case, trace):
    ocmd = [PYTHONS[case.version], os.path.join(HERE, "cpython_oracle.py")]
    if case.thresholds:
        ocmd += ["--threshold", ",".join(map(str, case.thresholds))]
    if case.freeze:
        ocmd += ["--freeze-after-allocs", str(case.freeze)]
    if case.disabled:
        ocmd += ["--disabled"]
    return json.loads(run(ocmd + [trace], "cpython_oracle.py"))


def replay_both(case, trace):
    return replay_ours(case, trace), replay_oracle(case, trace)


def first_difference(ours, theirs):
    """(field, index or None, ours, theirs) of the first difference, or None."""
    for f in FIELDS:
        a, b = ours.get(f), theirs.get(f)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list):
            for i in range(min(len(a), len(b))):
                if a[i] != b[i]:
                    return f, i, a[i], b[i]
            return f, min(len(a), len(b)), "length %d" % len(a), "length %d" % len(b)
        return f, None, a, b
    return None


def op_lines(trace):
    """Line numbers of every op, of every collect op, and of every full collect op."""
    ops, collects, fulls = [], [], []
    with open(trace) as f:
        for n, line in enumerate(f, 1):
            t = line.split("#", 1)[0].split()
            if not t:
                continue
            ops.append(n)
            if t[0] == "collect":
                collects.append(n)
                if len(t) == 1 or t[1] == "2":
                    fulls.append(n)
    return ops, collects, fulls


def write_prefix(trace, nops, out):
    k = 0
    with open(trace) as f, open(out, "w") as g:
        for line in f:
            t = line.split("#", 1)[0].split()
            if not t:
                continue
            if k == nops:
                break
            g.write(line)
            k += 1


def bisect(case, trace, nops, tmpdir):
    """The smallest prefix length whose replays differ (the op that makes them part)."""
    lo, hi = 0, nops          # prefix lo agrees (empty trace), prefix hi differs
    pre = os.path.join(tmpdir, "prefix.trace")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        write_prefix(trace, mid, pre)
        a, b = replay_both(case, pre)
        if first_difference(a, b) is None:
            lo = mid
        else:
            hi = mid
    return hi


def walks_of(case, walks):
    """The (walks, layout) pairs a case runs under: for `cpython`, each walks value with the
    inline layout, then each other layout (LAYOUTS) with the first walks value; py has
    neither knob."""
    if case.collector != "cpython":
        return [(case.walks, case.layout)]
    return [(w, "inline") for w in walks] + [(walks[0], l) for l in LAYOUTS if l != "inline"]


def run_case(case, keep, do_bisect, walks):
    """Returns (ok, message): gcscope under each value of `walks` against one oracle run."""
    tmpdir = tempfile.mkdtemp(prefix="fidelity-")
    trace = os.path.join(tmpdir, "%s-%s-%d-%d.trace" % (case.collector, case.style, case.seed, case.ops))
    try:
        run([PYTHON, os.path.join(HERE, "gentrace.py"), "--style", case.style, "--seed",
             str(case.seed), "--ops", str(case.ops), "-o", trace]
            + (["--no-atoms"] if case.freeze else []), "gentrace.py")
        theirs = replay_oracle(case, trace)
        for case.walks, case.layout in walks_of(case, walks):
            d = first_difference(replay_ours(case, trace), theirs)
            if d is not None:
                break
        if d is None:
            return True, ""
        field, idx, a, b = d
        ops, collects, fulls = op_lines(trace)
        where = ""
        if field == "collects" and idx is not None and idx < len(collects):
            where = " (the collect op at line %d)" % collects[idx]
        elif field == "live_after_full" and idx is not None and idx < len(fulls):
            where = " (after the full collect at line %d)" % fulls[idx]
        msg = "FAIL %s: %s%s%s: gcscope %s, cpython %s" % (
            case.name(), field, "" if idx is None else "[%d]" % idx, where, a, b)
        if do_bisect:
            k = bisect(case, trace, len(ops), tmpdir)
            msg += "\n  the replays first disagree after op %d (counting from 0; line %d of the trace)" % (
                k - 1, ops[k - 1])
        os.makedirs(keep, exist_ok=True)
        kept = os.path.join(keep, os.path.basename(trace))
        os.replace(trace, kept)
        msg += "\n  trace kept: %s" % kept
        return False, msg
    except (RuntimeError, ValueError) as e:
        return False, "FAIL %s: %s" % (case.name(), e)
    finally:
        for f in os.listdir(tmpdir):
            os.unlink(os.path.join(tmpdir, f))
        os.rmdir(tmpdir)


# Small traces whose results were worked out by hand (the derivation is in the comments):
# both the oracle and gcscope must give exactly these. They check the oracle itself.
def _rule_trace():
    t = ["new R 100"]
    t += ["new t 0\nset R %d t" % k for k in range(0, 9)]
    t += ["collect 2",                       # long_lived_total = 10 (R + 9), counts 0
          "new t 0\nset R 9 t", "collect 1"]  # long_lived_pending = 1, count2 = 1
    # 21st new: count0 21 > 20; gen 2 passed over (1 < 10 // 4); gen 0 collected instead
    t += ["new t 0\nset R %d t" % k for k in range(10, 31)]
    t += ["collect 1"]                       # pending 1 + 21 = 22, count2 = 2
    # 21st new: gen 2 collected automatically (22 >= 10 // 4): counts zeroed
    t += ["new t 0\nset R %d t" % k for k in range(31, 52)]
    t += ["collect 0"]
    return "\n".join(t) + "\n"


HAND_CASES = [
    ("two-cycle with an atom", """new a 2
new b 1
set a 0 b
set b 0 a
atom x 5
set a 1 x
drop a
drop b
drop x
collect 0
collect
""", None, {  # collect 0 finds a, b (the atom is not tracked); the full one nothing
        "collects": [2, 0], "count": [0, 0, 0], "live_after_full": [0], "live_at_end": 0,
        "stats": [{"collections": 1, "collected": 2, "uncollectable": 0},
                  {"collections": 0, "collected": 0, "uncollectable": 0},
                  {"collections": 1, "collected": 0, "uncollectable": 0}]}),
    ("the 701st allocation", "".join("new n%d 0\n" % i for i in range(1, 703)) + "collect 1\n",
     None, {  # count0 701 > 700 collects gen 0 before n701 is tracked; n702: count0 1;
              # collect 1: count2 1, counts 0 and 1 zeroed
        "collects": [0], "count": [0, 0, 1], "live_after_full": [], "live_at_end": 702,
        "stats": [{"collections": 1, "collected": 0, "uncollectable": 0},
                  {"collections": 1, "collected": 0, "uncollectable": 0},
                  {"collections": 0, "collected": 0, "uncollectable": 0}]}),
    ("loads, rebinding, a self-loop", """new a 1
atom x 0
atom y 0
set a 0 x
load z a 0
drop x
collect
new a 1
collect 2
set a 0 a
drop a
collect
""", None, {  # live: a, x (held by z), y; then a new a (the old one freed by RC); then
              # the self-loop is the only garbage
        "collects": [0, 0, 1], "count": [0, 0, 0], "live_after_full": [3, 3, 2],
        "live_at_end": 2,
        "stats": [{"collections": 0, "collected": 0, "uncollectable": 0},
                  {"collections": 0, "collected": 0, "uncollectable": 0},
                  {"collections": 3, "collected": 1, "uncollectable": 0}]}),
    ("count0 stays at 0", "new a 0\nnew b 0\ncollect 0\ndrop a\ndrop b\nnew c 0\n", None, {
        # frees after a collection do not go below 0; c counts 1
        "collects": [0], "count": [1, 1, 0], "live_after_full": [], "live_at_end": 1,
        "stats": [{"collections": 1, "collected": 0, "uncollectable": 0},
                  {"collections": 0, "collected": 0, "uncollectable": 0},
                  {"collections": 0, "collected": 0, "uncollectable": 0}]}),
    ("the long_lived_pending rule", _rule_trace(), (20, 0, 0), {
        # see _rule_trace; at the end 53 containers: R and the 52 it holds
        "collects": [0, 0, 0, 0], "count": [0, 1, 0], "live_after_full": [10],
        "live_at_end": 53,
        "stats": [{"collections": 2, "collected": 0, "uncollectable": 0},
                  {"collections": 2, "collected": 0, "uncollectable": 0},
                  {"collections": 2, "collected": 0, "uncollectable": 0}]}),
]


def _stats(*gens):
    return [{"collections": c, "collected": f, "uncollectable": 0} for c, f in gens]


# Where 3.12+ runs the collection an allocation scheduled: at the eval breaker's first check
# after it, the end of the CALL that allocated -- the new object tracked and held by the
# value stack, the name it is bound to next still holding its old object. Thresholds (2,10,10).
VERSION_HAND_CASES = [
    ("the new object takes part (3.12+)", """new a 0
new b 0
new c 1
set c 0 c
drop c
collect 0
""", (2, 10, 10), {
        # count0 3 > 2 at c's allocation. 3.11 collects a, b before c is tracked: c stays in
        # generation 0 and its self-loop is found by collect 0. 3.12+ collects a, b, c (c held
        # by the stack) and moves all three to generation 1: collect 0 finds nothing.
        "3.11": {"collects": [1], "count": [0, 2, 0], "live_after_full": [], "live_at_end": 2,
                 "stats": _stats((2, 1), (0, 0), (0, 0))},
        "3.12": {"collects": [0], "count": [0, 2, 0], "live_after_full": [], "live_at_end": 3,
                 "stats": _stats((2, 0), (0, 0), (0, 0))}}),
    ("before the binding (3.12+)", """new a 1
set a 0 a
new b 0
new a 0
collect 1
""", (2, 10, 10), {
        # count0 3 > 2 at the second `new a`: the collection runs before `a` is rebound, so the
        # old a (a self-loop) is still reachable and found only by collect 1 -- in every
        # version. (Run after the binding, generation 0 would find it: collected 1 there.)
        "3.11": {"collects": [1], "count": [0, 0, 1], "live_after_full": [], "live_at_end": 2,
                 "stats": _stats((1, 0), (1, 1), (0, 0))},
        "3.12": {"collects": [1], "count": [0, 0, 1], "live_after_full": [], "live_at_end": 2,
                 "stats": _stats((1, 0), (1, 1), (0, 0))}}),
]


def hand_cases(collectors, versions):
    """(index, name, text, thresholds, want, collector, version) for every hand case to run:
    HAND_CASES on 3.11 (every collector), VERSION_HAND_CASES on every version (3.13 as 3.12:
    the thresholds are explicit)."""
    out = []
    for i, (name, text, th, want) in enumerate(HAND_CASES):
        if "3.11" in versions:
            out += [(i, name, text, th, want, coll, "3.11") for coll in collectors]
    for j, (name, text, th, by_version) in enumerate(VERSION_HAND_CASES):
        for v in versions:
            want = by_version["3.11" if v == "3.11" else "3.12"]
            for coll in collectors:
                if coll == "cpython" or v == "3.11":
                    out.append((len(HAND_CASES) + j, name, text, th, want, coll, v))
    return out


def run_hand_cases(gcscope, collectors, walks, versions):
    """Returns (passed, failed) after printing every mismatch."""
    passed = failed = 0
    tmpdir = tempfile.mkdtemp(prefix="fidelity-hand-")
    try:
        for i, name, text, th, want, collector, version in hand_cases(collectors, versions):
            trace = os.path.join(tmpdir, "hand%d.trace" % i)
            with open(trace, "w") as f:
                f.write(text)
            case = Case("hand", i, 0, th, gcscope, collector=collector, version=version)
            name = name if version == "3.11" else "%s, version %s" % (name, version)
            try:
                got_by = [("cpython " + version, replay_oracle(case, trace))]
                for case.walks, case.layout in walks_of(case, walks):
                    who = "gcscope " + collector + (
                        " walks=%s layout=%s" % (case.walks, case.layout) if collector == "cpython" else "")
                    got_by.append((who, replay_ours(case, trace)))
            except RuntimeError as e:
                print("FAIL hand case '%s' (%s): %s" % (name, collector, e))
                failed += 1
                continue
            bad = []
            for who, got in got_by:
                for f in FIELDS:
                    if got.get(f) != want[f]:
                        bad.append("%s %s = %s, worked out by hand: %s" % (who, f, got.get(f), want[f]))
            if bad:
                failed += 1
                print("FAIL hand case '%s' (%s):\n  %s" % (name, collector, "\n  ".join(bad)))
            else:
                passed += 1
    finally:
        for f in os.listdir(tmpdir):
            os.unlink(os.path.join(tmpdir, f))
        os.rmdir(tmpdir)
    return passed, failed


def cases_quick(rel, dbg):
    c = []
    for st in STYLES:
        for seed in (1, 2, 3):
            c.append(Case(st, seed, 50000, None, rel))
    for st in STYLES:
        c.append(Case(st, 4, 20000, None, dbg))
    for st in STYLES:
        c.append(Case(st, 5, 30000, (50, 5, 5), rel))
    # freeze points with count[1] > 0 (caught gc.freeze() zeroing count[0] only)
    for st, seed, fr in (("growth", 302, 2000), ("mixed", 304, 4000), ("cycles", 7, 3000)):
        c.append(Case(st, seed, 30000, None, rel, freeze=fr))
    c.append(Case("graph", 8, 30000, None, rel, disabled=True))
    c.append(Case("mixed", 6, 1000000, None, rel))
    # py, a subset: the real CPython must agree with its own oracle everywhere
    for st in STYLES:
        c.append(Case(st, 1, 50000, None, rel, collector="py"))
        c.append(Case(st, 5, 30000, (50, 5, 5), rel, collector="py"))
        c.append(Case(st, 4, 20000, None, dbg, collector="py"))
    c.append(Case("mixed", 304, 30000, None, rel, freeze=4000, collector="py"))
    c.append(Case("graph", 8, 30000, None, rel, disabled=True, collector="py"))
    # the other versions, where their interpreters are (main drops the cases of a missing one)
    for v in OTHER_VERSIONS:
        for st in STYLES:
            c.append(Case(st, 1, 30000, None, rel, version=v))
            c.append(Case(st, 5, 20000, (50, 5, 5), rel, version=v))
        c.append(Case("mixed", 4, 10000, None, dbg, version=v))
        c.append(Case("mixed", 304, 30000, None, rel, freeze=4000, version=v))
    return c


def cases_full(rel, dbg):
    c = []
    for seed in range(1, 61):
        for st in STYLES:
            c.append(Case(st, seed, 1200000 if seed % 10 == 0 else 100000, None, rel))
    for seed in range(101, 111):
        for st in STYLES:
            th = (50, 5, 5) if seed % 2 else (2000, 3, 20)
            c.append(Case(st, seed, 100000, th, rel))
    for seed in range(301, 311):
        for st in STYLES:
            c.append(Case(st, seed, 100000, None, rel, freeze=1000 * (seed - 300)))
    for st in STYLES:
        c.append(Case(st, 401, 100000, None, rel, disabled=True))
    for st in STYLES:
        c.append(Case(st, 201, 30000, None, dbg))
    py = [Case(x.style, x.seed, x.ops, x.thresholds, x.gcscope, x.freeze, x.disabled, "py")
          for x in c]
    for v in OTHER_VERSIONS:
        for seed in range(1, 11):
            for st in STYLES:
                c.append(Case(st, seed, 400000 if seed == 10 else 100000, None, rel, version=v))
        for seed in range(101, 105):
            for st in STYLES:
                c.append(Case(st, seed, 100000, (50, 5, 5) if seed % 2 else (700, 3, 20), rel,
                              version=v))
        for st in STYLES:
            c.append(Case(st, 301, 100000, None, rel, freeze=3000, version=v))
            c.append(Case(st, 201, 30000, None, dbg, version=v))
        c.append(Case("graph", 401, 100000, None, rel, disabled=True, version=v))
    return c + py


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="the make-test set (default)")
    g.add_argument("--full", action="store_true", help="the make-fidelity set")
    ap.add_argument("--jobs", type=int, default=0, help="cases in parallel (default: 1 quick, 2 full)")
    ap.add_argument("--gcscope", default=os.path.join(ROOT, "build", "gcscope"))
    ap.add_argument("--gcscope-debug", default=os.path.join(ROOT, "build", "debug", "gcscope"))
    ap.add_argument("--keep", default=tempfile.gettempdir(), help="where failing traces are kept")
    ap.add_argument("--only", choices=STYLES, help="one style only")
    ap.add_argument("--collector", choices=COLLECTORS, help="one collector only (hand cases included)")
    ap.add_argument("--no-bisect", action="store_true")
    ap.add_argument("--walks", default="3.11,fused",
                    help="values of the cpython collector's walks knob to run, comma-separated")
    ap.add_argument("--layouts", default=",".join(LAYOUTS),
                    help="values of the cpython collector's layout knob to run (besides inline, with the "
                         "first --walks value), comma-separated")
    ap.add_argument("--versions", default="3.11," + ",".join(OTHER_VERSIONS),
                    help="versions of the cpython collector to check, comma-separated")
    ap.add_argument("--python", action="append", default=[], metavar="VERSION=PATH",
                    help="the interpreter for a version (3.12=/path/to/python3.12)")
    a = ap.parse_args(argv)
    given = {}
    for x in a.python:
        v, _, path = x.partition("=")
        if v not in OTHER_VERSIONS or not path:
            ap.error("--python %s: expected VERSION=PATH with VERSION one of %s" % (x, ", ".join(OTHER_VERSIONS)))
        given[v] = path
    for note in find_pythons(given):
        print(note)
    versions = [v for v in a.versions.split(",") if v in PYTHONS]
    for v in a.versions.split(","):
        if v not in ("3.11",) + OTHER_VERSIONS:
            ap.error("--versions: unknown version %s" % v)

    if not os.path.exists(PYTHON):
        print("fidelity: %s not found (the oracle needs CPython 3.11)" % PYTHON)
        print("fidelity: 0 passed, 1 failed")
        return 1
    bins = [a.gcscope]
    dbg = a.gcscope_debug if os.access(a.gcscope_debug, os.X_OK) else None
    for b in bins:
        if not os.access(b, os.X_OK):
            print("fidelity: %s is not built (make build/gcscope)" % b)
            print("fidelity: 0 passed, 1 failed")
            return 1
    cases = (cases_full if a.full else cases_quick)(a.gcscope, dbg or a.gcscope)
    if dbg is None:
        print("fidelity: %s not built; its cases run under %s" % (a.gcscope_debug, a.gcscope))
    if a.only:
        cases = [c for c in cases if c.style == a.only]
    if a.collector:
        cases = [c for c in cases if c.collector == a.collector]
    cases = [c for c in cases if c.version in versions]
    jobs = a.jobs or (2 if a.full else 1)
    t0 = time.time()
    walks = a.walks.split(",")
    LAYOUTS[:] = a.layouts.split(",")
    passed, failed = run_hand_cases(a.gcscope, (a.collector,) if a.collector else COLLECTORS, walks,
                                    versions)
    total_ops = max_ops = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = [(c, ex.submit(run_case, c, a.keep, not a.no_bisect, walks)) for c in cases]
        for c, f in futs:
            ok, msg = f.result()
            if ok:
                passed += 1
                total_ops += c.ops
                max_ops = max(max_ops, c.ops)
            else:
                failed += 1
                print(msg, flush=True)
    print("fidelity: %d hand-checked traces, %d generated cases (%d on py; %s; %d styles, "
          "seeds %d..%d), %d ops replayed, largest trace %d ops, cpython walks=%s layouts=%s, %.0f s"
          % (len(hand_cases((a.collector,) if a.collector else COLLECTORS, versions)), len(cases),
             sum(c.collector == "py" for c in cases),
             ", ".join("%d on %s" % (sum(c.version == v for c in cases), v) for v in versions),
             len({c.style for c in cases}),
             min(c.seed for c in cases), max(c.seed for c in cases), total_ops, max_ops,
             "|".join(walks), "|".join(LAYOUTS), time.time() - t0))
    print("fidelity: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
