#!/usr/bin/env python3
"""tune.py — `gcscope tune`: find the knob settings that fit a workload (docs/tune.md).

Invoked by `gcscope tune ...` (cli/tune.c execs it with GCSCOPE_BIN = the gcscope binary);
it can also be run directly. Python 3 standard library only.

What it does, in order:
  1. reads the knobs of the collector and workloads (`gcscope knobs C W`) and checks every
     --knob, --set, --objective and --constraint against them: a bad argument is one line on
     stderr and exit 2, before anything runs;
  2. expands each --knob SPEC (a list, or a lin/log range) and takes their cross product;
  3. measures the defaults, then either the full grid (when it fits --budget) or a successive
     halving search over it (see HELP below and docs/tune.md for why);
  4. every repetition of every cell is one `gcscope run --json` child process, --jobs at a
     time; each finished one is stored atomically in DIR/cells/<key>.json, key = a hash of
     collector + workload + knobs + seed + repetition, so an interrupted tune resumes;
  5. writes DIR/cells.tsv, cells.json, frontier.tsv, frontier.png (+ heatmap.png when two
     knobs vary), recommendation.txt, and prints the recommendation beside the defaults.

Invariants: a cell file exists only for a run that exited 0 with valid JSON (written to a
temporary name, then renamed); the run directory's name is a hash of every argument that can
change a result, so "the same arguments" find the same directory.
"""
import datetime
import fcntl
import glob
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

PROG = "gcscope: tune"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HELP = """\
usage: gcscope tune --collector C --workload W [--workload W2 ...] --knob NAME=SPEC [--knob ...]
                    [--objective time|p99|max-pause|peak-rss|... ...] [--constraint 'METRIC<=VALUE' ...]
                    [--set KNOB=VALUE ...] [--allocator A] [--trace FILE] [--seed N]
                    [--reps N] [--budget N] [--tolerance PCT] [--jobs N] [--timeout S] [--out DIR]
                    [--fresh] [--quiet]

Searches knob settings of one collector on one or more workloads, measures each setting
against the collector's defaults, and recommends one.

  --collector C        the collector to tune (gcscope list)
  --workload W         a workload; repeat for several (objectives are then compared as the
                       geometric mean, over workloads, of each figure divided by the defaults')
  --knob NAME=SPEC     a knob to vary (gcscope knobs C W); repeat for several (cross product).
                       SPEC is a list  700,2000,10000  (enum knobs: arena,pool,none),
                       a range  LO:HI:lin:N  or  LO:HI:log:N  (N values, ends included; integer
                       knobs are rounded, log values to the fewest significant digits that keep
                       them distinct: 100:100000:log:8 -> 100,270,720,1900,5200,14000,37000,100000)
  --objective O        minimise O; repeat (or comma-separate) for several: the answer is then a
                       Pareto frontier. Default: time,p99. Metrics:
                         time       workload thread-CPU time (robust to other load on the machine)
                         wall       workload wall-clock time
                         gc-time    time inside pauses (union of the pause intervals)
                         p50 p90 p99 p999 max-pause   pause-length percentiles
                         peak-rss   peak resident set size     final-rss  RSS after release
  --constraint C       METRIC<=VALUE (or <, >=, >): a setting must meet it on every workload
                       (by its median) to be on the frontier or recommended. VALUE takes a unit:
                       ns us ms s for times, B KiB MiB GiB for sizes (e.g. 'max-pause<=2ms',
                       'peak-rss<=64MiB')
  --set KNOB=VALUE     fix a knob for every cell, defaults included (e.g. a workload size)
  --allocator A, --trace FILE, --seed N    passed to every `gcscope run` (seed default 1)
  --reps N             repetitions per cell (default 5, see below)
  --budget N           cells (settings x workloads, at full repetitions) the search may spend,
                       the defaults not counted (default 64)
  --tolerance PCT      how much worse than the defaults, on an objective's median, a setting may
                       be and still be recommended (default 5%; beyond it, or when the Mann-
                       Whitney test says worse at p <= 0.05, the setting is a trade-off: listed
                       on the frontier, not recommended)
  --jobs N             cells run at a time, each its own process (default 1; more than the idle
                       cores disturbs the timings)
  --timeout S          a run taking longer is killed and counted as failed (default 600)
  --out DIR            the run directory (default results/tune-<date>-<hash of the arguments>/;
                       a rerun with the same arguments finds and resumes it)
  --fresh              ignore cells stored by an earlier run of the same arguments
  --quiet              no progress on stderr

Search. When settings x workloads <= --budget, every setting is measured --reps times (the
full grid). Otherwise successive halving (Jamieson & Talwalkar 2016; the inner loop of
Hyperband), with repetitions as the resource: rung 0 screens as many settings as the budget
allows (spread evenly over the grid) with 1 repetition each; each rung keeps the best third —
ranked by Pareto front (non-dominated sorting) with constraint violators last and crowding
distance between equals, so the survivors spread along the frontier — and raises their
repetitions 1 -> 3 -> --reps. Why: a cell's noise (a few % on CPU time, 10-20% on tail pauses)
is far smaller than the gap between a poor threshold and a good one, so one run is enough to
drop the clearly dominated settings, and the repetitions go where the frontier is. It needs no
model of the response (Bayesian optimisation would, and is shaky with this noise), and each
rung runs in parallel.

Repetitions. Every cell runs --reps times with the same seed (identical work), so the spread is
measurement noise; it is reported as median [min-max] and the quartiles. Five: the median of 5
survives 2 outliers (a preempted run), and 5 against 5 is the smallest sample where non-
overlapping ranges mean a difference at p = 0.008 (exact Mann-Whitney U test, which the
recommendation prints beside each change). Runs go repetition-major (every cell's first run,
then every cell's second), so a drift in the machine's load falls on all cells alike.

Output, in the run directory: cells/ (one JSON per run: the resume store), cells.tsv and
cells.json (every cell: knobs, median/min/max/q1/q3 of every metric), frontier.tsv,
frontier.png (+ .gp), heatmap.png when exactly two knobs vary, recommendation.txt. On stdout:
the frontier and the recommendation beside the defaults' figures; for cpython the line to
paste into Python (gc.set_threshold). Progress goes to stderr. Ctrl-C or a kill stops it; run
the same command again to resume (finished runs are reused, not re-run).

Exit status: 0 done, 1 a run or the defaults failed, 2 a bad command line, 130 interrupted.
"""

# name -> (where in the run's JSON, dimension, label)
METRICS = {
    "time":      (("time", "cpu_ns"), "time", "CPU time"),
    "wall":      (("time", "wall_ns"), "time", "wall time"),
    "gc-time":   (("time", "gc_ns"), "time", "time in pauses"),
    "p50":       (("pauses", "p50_ns"), "time", "p50 pause"),
    "p90":       (("pauses", "p90_ns"), "time", "p90 pause"),
    "p99":       (("pauses", "p99_ns"), "time", "p99 pause"),
    "p999":      (("pauses", "p999_ns"), "time", "p99.9 pause"),
    "max-pause": (("pauses", "max_ns"), "time", "max pause"),
    "peak-rss":  (("memory", "peak_rss_bytes"), "bytes", "peak RSS"),
    "final-rss": (("memory", "rss_after_release_bytes"), "bytes", "RSS after release"),
}
SHOWN = ["time", "wall", "p99", "max-pause", "peak-rss"]   # always in the recommendation table
UNITS = {"time": {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9},
         "bytes": {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}}
ETA = 3                     # successive halving keeps 1/ETA of a rung
DEFAULT_OBJECTIVES = ["time", "p99"]


class UsageError(Exception):
    pass


class Interrupted(Exception):
    pass


def die_usage(msg):
    sys.stderr.write(f"{PROG}: {msg}\n")
    sys.exit(2)


def die(msg, status=1):
    sys.stderr.write(f"{PROG}: {msg}\n")
    sys.exit(status)


# ---------------------------------------------------------------------------------------
# Arguments

def parse_args(argv):
    """Hand-rolled so that every error is one line naming the flag (argparse prints usage)."""
    a = {"collector": None, "workloads": [], "knobs": [], "objectives": [], "constraints": [],
         "sets": [], "allocator": None, "trace": None, "seed": 1, "reps": 5, "budget": 64, "tolerance": 5.0,
         "jobs": 1, "timeout": 600.0, "out": None, "fresh": False, "quiet": False}
    valued = {"--collector", "--workload", "--knob", "--objective", "--constraint", "--set",
              "--allocator", "--trace", "--seed", "--reps", "--budget", "--jobs", "--timeout", "--out",
              "--tolerance"}
    i = 0
    while i < len(argv):
        f = argv[i]
        v = None
        if "=" in f and f.split("=", 1)[0] in valued:
            f, v = f.split("=", 1)
        if f in ("--help", "-h"):
            sys.stdout.write(HELP)
            sys.exit(0)
        elif f in ("--fresh", "--quiet"):
            a[f[2:]] = True
        elif f in valued:
            if v is None:
                if i + 1 == len(argv):
                    raise UsageError(f"{f} expects a value")
                i += 1
                v = argv[i]
            name = f[2:]
            if name == "collector":
                if a["collector"]:
                    raise UsageError(f"--collector given twice ('{a['collector']}', '{v}'): tune one collector at a time")
                a["collector"] = v
            elif name == "workload":
                a["workloads"] += [w for w in v.split(",") if w]
            elif name == "knob":
                a["knobs"].append(v)
            elif name == "objective":
                a["objectives"] += [o.strip() for o in v.split(",") if o.strip()]
            elif name == "constraint":
                a["constraints"].append(v)
            elif name == "set":
                a["sets"].append(v)
            elif name in ("seed", "reps", "budget", "jobs"):
                lo = {"seed": 0, "reps": 1, "budget": 1, "jobs": 1}[name]
                if not re.fullmatch(r"\d+", v) or int(v) < lo:
                    raise UsageError(f"--{name} {v}: expected an integer >= {lo}")
                a[name] = int(v)
            elif name == "tolerance":
                m = re.fullmatch(r"(\d+(?:\.\d*)?)%?", v)
                if not m or float(m.group(1)) > 1000:
                    raise UsageError(f"--tolerance {v}: expected a percentage, e.g. 5%")
                a["tolerance"] = float(m.group(1))
            elif name == "timeout":
                try:
                    a["timeout"] = float(v)
                    if not a["timeout"] > 0:
                        raise ValueError
                except ValueError:
                    raise UsageError(f"--timeout {v}: expected a number of seconds > 0")
            else:
                a[name] = v
        else:
            raise UsageError(f"unknown argument '{f}' (see gcscope tune --help)")
        i += 1
    if not a["collector"]:
        raise UsageError("--collector C is required (see gcscope list)")
    if not a["workloads"]:
        raise UsageError("--workload W is required (see gcscope list)")
    if not a["knobs"]:
        raise UsageError("at least one --knob NAME=SPEC is required (see gcscope knobs COLLECTOR WORKLOAD)")
    if len(set(a["workloads"])) != len(a["workloads"]):
        raise UsageError("a --workload is given twice")
    if not a["objectives"]:
        a["objectives"] = list(DEFAULT_OBJECTIVES)
    for o in a["objectives"]:
        if o not in METRICS:
            raise UsageError(f"--objective {o}: expected one of {', '.join(METRICS)}")
    if len(set(a["objectives"])) != len(a["objectives"]):
        raise UsageError("an --objective is given twice")
    if a["jobs"] > 64:
        raise UsageError(f"--jobs {a['jobs']}: at most 64")
    return a


def parse_quantity(text, dim, where):
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?\d+)?)\s*([A-Za-zµ]*)\s*", text)
    if not m:
        raise UsageError(f"{where}: '{text}' is not a number with a unit")
    num, unit = float(m.group(1)), m.group(2)
    units = UNITS[dim]
    if unit == "":
        unit = "ns" if dim == "time" else "B"
    if unit not in units:
        raise UsageError(f"{where}: unit '{unit}' is not a {dim} unit (expected one of {' '.join(u for u in units if u != 'µs')})")
    return num * units[unit]


def parse_constraint(text):
    m = re.fullmatch(r"\s*([a-z0-9-]+)\s*(<=|>=|<|>)\s*(.+)", text)
    if not m:
        raise UsageError(f"--constraint '{text}': expected METRIC<=VALUE, e.g. 'max-pause<=2ms'")
    metric, op, val = m.groups()
    if metric not in METRICS:
        raise UsageError(f"--constraint '{text}': unknown metric '{metric}' (expected one of {', '.join(METRICS)})")
    return {"text": text.strip(), "metric": metric, "op": op,
            "value": parse_quantity(val, METRICS[metric][1], f"--constraint '{text}'")}


def holds(c, x):
    v = c["value"]
    return {"<=": x <= v, "<": x < v, ">=": x >= v, ">": x > v}[c["op"]]


def violation(c, x):
    """How far x is from meeting c, relative (0 when it holds)."""
    if holds(c, x):
        return 0.0
    return abs(x - c["value"]) / max(abs(c["value"]), 1e-12)


# ---------------------------------------------------------------------------------------
# Knobs: what `gcscope knobs C W` says

KNOB_LINE = re.compile(r"^  (\S+)\s+(?:an integer in (\d+)\.\.(\d+)|(\S+)) \(default (\S+)\)\s*$")


def read_knobs(gcscope, collector, workload):
    p = subprocess.run([gcscope, "knobs", collector, workload], capture_output=True, text=True)
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["failed"])[0]
        msg = msg.replace("gcscope: ", "")
        raise UsageError(f"{msg} (gcscope list names them)")
    knobs = {}
    for line in p.stdout.splitlines():
        m = KNOB_LINE.match(line)
        if not m:
            continue
        name, lo, hi, enum, default = m.groups()
        if enum is not None:
            knobs[name] = {"kind": "enum", "values": enum.split("|"), "default": default}
        else:
            knobs[name] = {"kind": "int", "lo": int(lo), "hi": int(hi), "default": int(default)}
    if not knobs:
        raise UsageError(f"gcscope knobs {collector} {workload}: no knobs understood in its output")
    return knobs


def sig_round(x, digits):
    if x == 0:
        return 0
    return int(round(x, -int(math.floor(math.log10(abs(x)))) + digits - 1))


def expand_spec(name, spec, k):
    where = f"--knob {name}={spec}"
    if k["kind"] == "enum":
        if ":" in spec:
            raise UsageError(f"{where}: {name} takes one of {'|'.join(k['values'])}: give a list, not a range")
        vals = [v.strip() for v in spec.split(",") if v.strip()]
        for v in vals:
            if v not in k["values"]:
                raise UsageError(f"{where}: '{v}' is not one of {'|'.join(k['values'])}")
    elif ":" in spec:
        parts = spec.split(":")
        if len(parts) != 4 or parts[2] not in ("lin", "log"):
            raise UsageError(f"{where}: a range is LO:HI:lin:N or LO:HI:log:N")
        try:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[3])
        except ValueError:
            raise UsageError(f"{where}: a range is LO:HI:lin:N or LO:HI:log:N with numbers")
        if n < 2:
            raise UsageError(f"{where}: N must be at least 2")
        if not lo < hi:
            raise UsageError(f"{where}: LO must be below HI")
        if parts[2] == "log":
            if lo <= 0:
                raise UsageError(f"{where}: a log range needs LO > 0")
            raw = [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]
            vals = None
            for d in range(2, 20):
                cand = [sig_round(x, d) for x in raw]
                cand[0], cand[-1] = int(round(lo)), int(round(hi))
                if len(set(cand)) == n:
                    vals = cand
                    break
            if vals is None:
                vals = sorted(set(int(round(x)) for x in raw))
        else:
            vals = [int(round(lo + (hi - lo) * i / (n - 1))) for i in range(n)]
        vals = sorted(set(vals), key=vals.index)
        if len(vals) < n:
            sys.stderr.write(f"{PROG}: note: {where}: {n - len(vals)} values coincide after rounding to integers\n")
    else:
        vals = []
        for v in spec.split(","):
            v = v.strip()
            if not v:
                continue
            if not re.fullmatch(r"\d+", v):
                raise UsageError(f"{where}: '{v}' is not a non-negative integer")
            vals.append(int(v))
    if not vals:
        raise UsageError(f"{where}: no values")
    if len(set(vals)) != len(vals):
        raise UsageError(f"{where}: a value is listed twice")
    if k["kind"] == "int":
        for v in vals:
            if not k["lo"] <= v <= k["hi"]:
                raise UsageError(f"{where}: {v} is outside {name}'s range {k['lo']}..{k['hi']}")
    return vals


def check_set(name, value, k):
    if k["kind"] == "enum":
        if value not in k["values"]:
            raise UsageError(f"--set {name}={value}: expected one of {'|'.join(k['values'])}")
        return value
    if not re.fullmatch(r"\d+", value) or not k["lo"] <= int(value) <= k["hi"]:
        raise UsageError(f"--set {name}={value}: expected an integer in {k['lo']}..{k['hi']}")
    return int(value)


# ---------------------------------------------------------------------------------------
# Statistics

def quantile(xs, q):
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(xs):
    return {"n": len(xs), "median": statistics.median(xs), "min": min(xs), "max": max(xs),
            "q1": quantile(xs, 0.25), "q3": quantile(xs, 0.75)}


def mann_whitney_p(a, b):
    """Two-sided p-value of the Mann-Whitney U test, exact (ties get half a count; with ties
    the exact null distribution is an approximation, a conservative one here)."""
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return 1.0
    u = sum((x > y) + 0.5 * (x == y) for x in a for y in b)
    # counts[k] = number of arrangements with U = k, by the recurrence f(n,m,u) =
    # f(n-1,m,u-m) + f(n,m-1,u) (Mann & Whitney 1947)
    from functools import lru_cache

    @lru_cache(maxsize=None)
    def f(i, j, k):
        if k < 0:
            return 0
        if i == 0 or j == 0:
            return 1 if k == 0 else 0
        return f(i - 1, j, k - j) + f(i, j - 1, k)

    total = math.comb(n + m, n)
    lo = min(u, n * m - u)
    tail = sum(f(n, m, k) for k in range(0, int(math.floor(lo)) + 1))
    return min(1.0, 2 * tail / total)


def geomean(xs):
    xs = [max(x, 1e-300) for x in xs]
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


# ---------------------------------------------------------------------------------------
# Formatting

def fmt(v, dim):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if dim == "time":
        for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
            if abs(v) >= div:
                return f"{v / div:.3g} {unit}"
        return f"{v:.0f} ns"
    if dim == "bytes":
        for unit, div in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
            if abs(v) >= div:
                return f"{v / div:.3g} {unit}"
        return f"{v:.0f} B"
    return f"{v:.3g}"


def fmt_duration(s):
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def setting_text(setting):
    return " ".join(f"{k}={v}" for k, v in setting.items())


# ---------------------------------------------------------------------------------------
# The tune

class Tune:
    def __init__(self, args, gcscope):
        self.a = args
        self.gcscope = gcscope
        self.collector = args["collector"]
        self.workloads = args["workloads"]
        self.objectives = args["objectives"]
        self.reps = args["reps"]
        self.jobs = args["jobs"]
        self.quiet = args["quiet"]
        self.procs = {}          # running: pid -> (Popen, task, start time, out path)
        self.durations = {}      # workload -> [seconds of finished runs]
        self.measured = 0        # runs measured by this invocation
        self.reused = 0          # runs found in the store
        self.failed = {}         # key -> message
        self.results = {}        # key -> run JSON
        self.rep_limit = None    # figures read only repetitions below this (None: all)
        self.last_progress = 0.0
        self.validate()

    # -- checking the arguments against the knobs ------------------------------------
    def validate(self):
        a = self.a
        p = subprocess.run([self.gcscope, "list"], capture_output=True, text=True)
        listed = {"collectors": [], "workloads": []}
        part = None
        for line in p.stdout.splitlines():
            if line.rstrip(":") in listed:
                part = line.rstrip(":")
            elif part and line.startswith("  ") and line.split():
                listed[part].append(line.split()[0])
        if listed["collectors"] and self.collector not in listed["collectors"]:
            raise UsageError(f"unknown collector '{self.collector}' (expected one of: {' '.join(listed['collectors'])})")
        for w in self.workloads:
            if listed["workloads"] and w not in listed["workloads"]:
                raise UsageError(f"unknown workload '{w}' (expected one of: {' '.join(listed['workloads'])})")
        self.knobinfo = {}
        for w in self.workloads:
            self.knobinfo[w] = read_knobs(self.gcscope, self.collector, w)
        if a["trace"] is None and "trace" in self.workloads:
            raise UsageError("--workload trace needs --trace FILE")
        if a["trace"] is not None and not os.path.isfile(a["trace"]):
            raise UsageError(f"--trace {a['trace']}: no such file")
        if a["allocator"] is not None and a["allocator"] not in ("arena", "system", "jemalloc"):
            raise UsageError(f"--allocator {a['allocator']}: expected arena, system or jemalloc")

        def knob(name, flag):
            info = None
            for w in self.workloads:
                k = self.knobinfo[w].get(name)
                if k is None:
                    have = ", ".join(self.knobinfo[w])
                    raise UsageError(f"{flag}: no knob '{name}' for {self.collector} x {w} (knobs: {have})")
                info = k
            return info

        self.axes = []           # [(name, [values], spec)]
        for kv in a["knobs"]:
            if "=" not in kv:
                raise UsageError(f"--knob {kv}: expected NAME=SPEC, e.g. threshold0=100:100000:log:8")
            name, spec = kv.split("=", 1)
            if any(name == ax[0] for ax in self.axes):
                raise UsageError(f"--knob {name}: given twice")
            self.axes.append((name, expand_spec(name, spec, knob(name, f"--knob {kv}")), spec))
        # --set: a knob fixed in every cell whose workload has it (sizes differ between
        # workloads), an error when none has it
        self.fixed = {w: {} for w in self.workloads}
        for kv in a["sets"]:
            if "=" not in kv:
                raise UsageError(f"--set {kv}: expected KNOB=VALUE")
            name, value = kv.split("=", 1)
            if any(name == ax[0] for ax in self.axes):
                raise UsageError(f"--set {name}: also given as a --knob")
            have = [w for w in self.workloads if name in self.knobinfo[w]]
            if not have:
                knob(name, f"--set {kv}")
            for w in have:
                self.fixed[w][name] = check_set(name, value, self.knobinfo[w][name])
        self.constraints = [parse_constraint(c) for c in a["constraints"]]
        # the defaults: each tuned knob at its default (the same for every workload, or unusable)
        self.defaults = {}
        for name, _, _ in self.axes:
            ds = {self.knobinfo[w][name]["default"] for w in self.workloads}
            if len(ds) != 1:
                raise UsageError(f"--knob {name}: its default differs between the workloads")
            self.defaults[name] = ds.pop()
        grid = [{}]
        for name, vals, _ in self.axes:
            grid = [dict(g, **{name: v}) for g in grid for v in vals]
        self.grid = grid
        self.ncells = len(grid) * len(self.workloads)

    # -- the run directory and the store ---------------------------------------------
    def identity(self):
        a = self.a
        ident = {k: a[k] for k in ("collector", "workloads", "knobs", "objectives", "constraints",
                                   "sets", "allocator", "trace", "seed", "reps", "budget")}
        # not --tolerance: it changes the pick, not what is measured
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:8]

    def open_dir(self):
        ident = self.identity()
        if self.a["out"]:
            d = self.a["out"]
        else:
            found = sorted(glob.glob(os.path.join(REPO, "results", f"tune-*-{ident}")))
            d = found[-1] if found else os.path.join(
                REPO, "results", f"tune-{datetime.date.today().isoformat()}-{ident}")
        self.dir = d
        self.cells_dir = os.path.join(d, "cells")
        self.tmp_dir = os.path.join(d, "tmp")
        os.makedirs(self.cells_dir, exist_ok=True)
        self.lock = open(os.path.join(d, ".lock"), "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            die(f"another tune is running in {d} (it holds {d}/.lock)")
        shutil.rmtree(self.tmp_dir, ignore_errors=True)   # half-written runs of a killed tune
        os.makedirs(self.tmp_dir)
        if self.a["fresh"]:
            for f in glob.glob(os.path.join(self.cells_dir, "*.json")):
                os.unlink(f)
        with open(os.path.join(d, "args.json.tmp"), "w") as f:
            json.dump({"argv": sys.argv[1:], "identity": ident}, f, indent=1)
        os.replace(os.path.join(d, "args.json.tmp"), os.path.join(d, "args.json"))

    def knobs_of(self, setting, workload):
        k = dict(self.fixed[workload])
        k.update(setting)
        return {n: k[n] for n in sorted(k)}

    def key(self, setting, workload, rep):
        ident = {"collector": self.collector, "workload": workload,
                 "knobs": {n: str(v) for n, v in self.knobs_of(setting, workload).items()},
                 "allocator": self.a["allocator"], "trace": self.a["trace"],
                 "seed": self.a["seed"], "rep": rep}
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]

    def load(self, key):
        if key in self.results:
            return self.results[key]
        path = os.path.join(self.cells_dir, key + ".json")
        try:
            with open(path) as f:
                rec = json.load(f)
            self.results[key] = rec["result"]
            self.reused += 1        # only a run stored by an earlier invocation gets here
            if isinstance(rec.get("seconds"), (int, float)):
                self.durations.setdefault(rec.get("workload"), []).append(rec["seconds"])
            return rec["result"]
        except (OSError, ValueError, KeyError):
            return None

    def store(self, key, setting, workload, rep, seconds, result):
        rec = {"key": key, "collector": self.collector, "workload": workload,
               "knobs": self.knobs_of(setting, workload), "seed": self.a["seed"], "rep": rep,
               "seconds": seconds, "result": result}
        tmp = os.path.join(self.tmp_dir, key + ".json")
        with open(tmp, "w") as f:
            json.dump(rec, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.cells_dir, key + ".json"))
        self.results[key] = result

    # -- running ---------------------------------------------------------------------
    def command(self, setting, workload):
        cmd = [self.gcscope, "run", "--collector", self.collector, "--workload", workload,
               "--seed", str(self.a["seed"]), "--json"]
        for n, v in self.knobs_of(setting, workload).items():
            cmd += ["--set", f"{n}={v}"]
        if self.a["allocator"]:
            cmd += ["--allocator", self.a["allocator"]]
        if self.a["trace"]:
            cmd += ["--trace", self.a["trace"]]
        return cmd

    def eta_seconds(self, tasks_left):
        if not tasks_left:
            return 0.0
        allrec = [d for ds in self.durations.values() for d in ds]
        if not allrec:
            return None
        total = 0.0
        for _, w, _ in tasks_left:
            ds = self.durations.get(w) or allrec
            total += sum(ds) / len(ds)
        return total / self.jobs

    def show_progress(self, label, left_tasks, future_runs, force=False):
        """One line on stderr: cells finished (measured in full, or dropped by the search) and
        left, runs left, and the time left from the mean duration of the runs so far."""
        if self.quiet:
            return
        now = time.monotonic()
        tty = sys.stderr.isatty()
        if not force and now - self.last_progress < (0.2 if tty else 5.0):
            return
        self.last_progress = now
        eta = self.eta_seconds(left_tasks)
        allrec = [d for ds in self.durations.values() for d in ds]
        if future_runs:
            eta = None if eta is None or not allrec else eta + future_runs * (sum(allrec) / len(allrec)) / self.jobs
        finished = self.cells_finished()
        runs_left = len(left_tasks) + future_runs
        line = (f"tune: {label}: cells done {finished}/{self.cells_planned}, {self.cells_planned - finished} left; "
                f"runs left {runs_left}; time left " + (f"~{fmt_duration(eta)}" if eta is not None else "?"))
        if tty:
            sys.stderr.write("\r\033[K" + line)
            if force:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def cells_finished(self):
        n = 0
        for setting in self.planned_settings:
            if self.skey(setting) in self.dropped:
                n += len(self.workloads)
                continue
            n += sum(1 for w in self.workloads if self.reps_done(setting, w) >= self.reps)
        return n

    def skey(self, setting):
        return json.dumps(setting, sort_keys=True)

    def reps_done(self, setting, workload):
        return sum(1 for r in range(self.reps) if self.load(self.key(setting, workload, r)) is not None)

    def run_tasks(self, tasks, label, future_runs=0):
        """Runs (setting, workload, rep) tasks not yet stored, --jobs at a time."""
        todo = []
        for t in tasks:
            k = self.key(*t)
            if self.load(k) is not None:
                continue
            if k in self.failed:
                continue
            todo.append(t)
        total = len(todo)
        done = 0
        pending = list(todo)
        self.show_progress(label, pending, future_runs, force=True)
        while pending or self.procs:
            while pending and len(self.procs) < self.jobs:
                t = pending.pop(0)
                k = self.key(*t)
                out = os.path.join(self.tmp_dir, k + ".out")
                err = os.path.join(self.tmp_dir, k + ".err")
                with open(out, "w") as fo, open(err, "w") as fe:
                    p = subprocess.Popen(self.command(t[0], t[1]), stdout=fo, stderr=fe,
                                         stdin=subprocess.DEVNULL)
                self.procs[p.pid] = (p, t, time.monotonic(), out, err)
            time.sleep(0.01)
            for pid in list(self.procs):
                p, t, t0, out, err = self.procs[pid]
                rc = p.poll()
                if rc is None:
                    if time.monotonic() - t0 > self.a["timeout"]:
                        p.kill()
                        p.wait()
                        rc = "timeout"
                    else:
                        continue
                del self.procs[pid]
                secs = time.monotonic() - t0
                k = self.key(*t)
                result = None
                if rc == 0:
                    try:
                        with open(out) as f:
                            result = json.load(f)
                    except ValueError:
                        result = None
                if result is None:
                    try:
                        with open(err) as f:
                            lines = [l for l in f.read().splitlines() if l.strip()]
                    except OSError:
                        lines = []
                    why = f"timed out after {self.a['timeout']:g} s" if rc == "timeout" else \
                        (lines[0] if lines else f"exit status {rc}, no JSON")
                    self.failed[k] = why
                    sys.stderr.write(("\r\033[K" if sys.stderr.isatty() else "") +
                                     f"{PROG}: run failed: {' '.join(self.command(t[0], t[1]))}: {why}\n")
                else:
                    self.store(k, t[0], t[1], t[2], secs, result)
                    self.measured += 1
                    self.durations.setdefault(t[1], []).append(secs)
                for f in (out, err):
                    try:
                        os.unlink(f)
                    except OSError:
                        pass
                done += 1
                self.show_progress(label, pending + [v[1] for v in self.procs.values()],
                                   future_runs, force=(done == total))

    def stop_children(self):
        for p, _, _, _, _ in list(self.procs.values()):
            try:
                p.terminate()
            except OSError:
                pass
        for p, _, _, _, _ in list(self.procs.values()):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def tasks(self, settings, reps_from, reps_to):
        """Repetition-major: every cell's run r before any cell's run r+1."""
        return [(s, w, r) for r in range(reps_from, reps_to) for s in settings for w in self.workloads]

    # -- figures ---------------------------------------------------------------------
    def values(self, setting, workload, metric):
        path = METRICS[metric][0]
        out = []
        for r in range(self.rep_limit or self.reps):
            res = self.load(self.key(setting, workload, r))
            if res is None:
                continue
            v = res
            for p in path:
                v = v.get(p) if isinstance(v, dict) else None
            if v is not None:
                out.append(float(v))
        return out

    def med(self, setting, workload, metric):
        v = self.values(setting, workload, metric)
        return statistics.median(v) if v else None

    def score(self, setting):
        """Objective vector: geomean over workloads of median / defaults' median."""
        vec = []
        for o in self.objectives:
            ratios = []
            for w in self.workloads:
                m, d = self.med(setting, w, o), self.med(self.defaults, w, o)
                if m is None or d is None:
                    return None
                ratios.append(m / d if d > 0 else (1.0 if m == 0 else m / 1e-9))
            vec.append(geomean(ratios) if all(r > 0 for r in ratios) else statistics.mean(ratios))
        return vec

    def infeasibility(self, setting):
        total = 0.0
        for c in self.constraints:
            for w in self.workloads:
                m = self.med(setting, w, c["metric"])
                if m is None:
                    return math.inf
                total += violation(c, m)
        return total

    def rank(self, settings):
        """Settings best first: feasible before infeasible (less violation first); among the
        feasible, by Pareto front (non-dominated sorting), then by crowding distance (NSGA-II)."""
        scored = [(s, self.score(s), self.infeasibility(s)) for s in settings]
        scored = [x for x in scored if x[1] is not None]
        feas = [x for x in scored if x[2] == 0]
        infeas = sorted([x for x in scored if x[2] > 0], key=lambda x: x[2])
        fronts = pareto_fronts([x[1] for x in feas])
        order = []
        for front in fronts:
            cd = crowding([feas[i][1] for i in front])
            order += [feas[i][0] for _, i in sorted(zip([-c for c in cd], front), key=lambda z: (z[0], z[1]))]
        return order + [x[0] for x in infeas]

    # -- the search ------------------------------------------------------------------
    def plan(self):
        budget = self.a["budget"]
        G, W, R = len(self.grid), len(self.workloads), self.reps
        if G * W <= budget:
            self.method = "grid"
            self.rungs = [(list(self.grid), R)]
            self.screen = list(self.grid)
            return
        self.method = "halving"
        reps = [1]
        while reps[-1] < R:
            reps.append(min(R, reps[-1] * ETA))
        def cost(n0):
            n, prev, c = n0, 0, 0
            for r in reps:
                c += n * (r - prev)
                prev = r
                n = max(1, math.ceil(n / ETA))
            return c
        n0 = 1
        while n0 < G and cost(n0 + 1) <= budget * R:
            n0 += 1
        self.screen = spread_sample(self.grid, [len(ax[1]) for ax in self.axes], n0, self.a["seed"])
        self.rungs = []
        n = n0
        for r in reps:
            self.rungs.append((n, r))
            n = max(1, math.ceil(n / ETA))

    def search(self):
        self.plan()
        dkey = self.skey(self.defaults)
        self.planned_settings = [self.defaults] + [s for s in self.screen if self.skey(s) != dkey]
        self.dropped = set()     # settings the search stopped measuring
        self.cells_planned = len(self.planned_settings) * len(self.workloads)
        if not self.quiet:
            if self.method == "grid":
                sys.stderr.write(f"tune: {len(self.grid)} settings x {len(self.workloads)} workload(s) fit the budget "
                                 f"of {self.a['budget']}: full grid, {plural(self.reps, 'repetition')} each, plus the defaults; "
                                 f"--jobs {self.jobs}; in {rel(self.dir)}\n")
            else:
                plan = ", ".join(f"{n} x {plural(r, 'rep')}" for n, r in self.rungs)
                sys.stderr.write(f"tune: {len(self.grid)} settings x {len(self.workloads)} workload(s) exceed the budget "
                                 f"of {self.a['budget']}: successive halving, rungs {plan} "
                                 f"(settings x repetitions), plus the defaults at {self.reps}; --jobs {self.jobs}; "
                                 f"in {rel(self.dir)}\n")
        # the defaults first: every figure is read against them
        if self.method == "grid":
            self.run_tasks(self.tasks([self.defaults] + [s for s in self.screen if self.skey(s) != dkey], 0, self.reps),
                           "grid")
            self.rung_of = {self.skey(s): 0 for s in self.screen}
        else:
            self.run_tasks(self.tasks([self.defaults], 0, self.reps), "defaults",
                           future_runs=sum(n * (r - (self.rungs[i - 1][1] if i else 0)) for i, (n, r) in enumerate(self.rungs)) * len(self.workloads))
            alive = [s for s in self.screen]
            prev = 0
            self.rung_of = {}
            for i, (n, r) in enumerate(self.rungs):
                if i > 0:
                    # rank on the repetitions of the rung just run, not on later ones an
                    # earlier invocation may have stored: a resumed search takes the same path
                    self.rep_limit = self.rungs[i - 1][1]
                    kept = self.rank(alive)[:n]
                    self.rep_limit = None
                    self.dropped |= {self.skey(s) for s in alive if s not in kept}
                    alive = kept
                for s in alive:
                    self.rung_of[self.skey(s)] = i
                future = sum(nn * (rr - self.rungs[j - 1][1]) for j, (nn, rr) in enumerate(self.rungs) if j > i) * len(self.workloads)
                self.run_tasks(self.tasks(alive, prev, r), f"rung {i + 1}/{len(self.rungs)} ({len(alive)} settings x {plural(r, 'rep')})",
                               future_runs=future)
                prev = r
        if any(self.values(self.defaults, w, "time") == [] for w in self.workloads):
            die("the defaults could not be measured (see the failed run above)")

    # -- the answer ------------------------------------------------------------------
    def complete(self, setting):
        return all(len(self.values(setting, w, "time")) >= self.reps for w in self.workloads)

    def analyse(self):
        dkey = self.skey(self.defaults)
        measured = [self.defaults] + [s for s in self.screen if self.skey(s) != dkey]
        self.measured_settings = [s for s in measured if self.score(s) is not None]
        full = [s for s in self.measured_settings if self.complete(s)]
        feas = [s for s in full if self.infeasibility(s) == 0]
        vecs = [self.score(s) for s in feas]
        fronts = pareto_fronts(vecs)
        self.frontier = sorted([feas[i] for i in fronts[0]], key=lambda s: self.score(s)) if fronts else []
        self.feasible = feas
        # the recommendation: among the frontier's settings that are no worse than the defaults
        # on any objective beyond noise (unless the defaults fail a constraint: then any), the
        # best balanced improvement — the lowest geometric mean of the objectives' ratios to the
        # defaults'. A frontier setting that buys one objective with another is a trade-off:
        # shown, not recommended.
        self.defaults_feasible = self.complete(self.defaults) and self.infeasibility(self.defaults) == 0
        self.worse = {self.skey(s): self.worse_than_defaults(s) for s in self.frontier}
        cands = [s for s in self.frontier if not self.defaults_feasible or not self.worse[self.skey(s)]]
        if cands:
            self.best = min(cands, key=lambda s: (geomean(self.score(s)), self.score(s)))
        elif self.defaults_feasible:
            # every frontier setting trades one objective (or workload) for another: the
            # defaults, always measured, stand
            self.best = self.defaults
        else:
            self.best = None   # the defaults fail a constraint and nothing measured meets them

    def worse_than_defaults(self, setting):
        """The objectives on which setting is worse than the defaults: on some workload, a
        median higher by more than --tolerance, or higher with the exact Mann-Whitney p <= 0.05.
        (Not significantly worse is not the same as as good: with 5 repetitions and one outlier
        the test misses a 10% loss, the tolerance does not.)"""
        worse = []
        tol = self.a["tolerance"] / 100.0
        for o in self.objectives:
            for w in self.workloads:
                vs, vd = self.values(setting, w, o), self.values(self.defaults, w, o)
                if not vs or not vd:
                    continue
                ms, md = statistics.median(vs), statistics.median(vd)
                if ms > md * (1 + tol) or (ms > md and mann_whitney_p(vs, vd) <= 0.05):
                    worse.append(o)
                    break
        return worse

    def significance(self, setting, metric):
        ps = [mann_whitney_p(self.values(setting, w, metric), self.values(self.defaults, w, metric))
              for w in self.workloads]
        return max(ps) if ps else 1.0

    def paste_line(self, setting):
        full = dict(self.fixed[self.workloads[0]])
        full.update(setting)
        lines = []
        if self.collector in ("cpython", "cpython-inc"):
            info = self.knobinfo[self.workloads[0]]
            t = [full.get(f"threshold{i}", info.get(f"threshold{i}", {}).get("default")) for i in range(3)]
            if all(x is not None for x in t):
                lines.append(f"paste into Python:  import gc; gc.set_threshold({t[0]}, {t[1]}, {t[2]})")
            if full.get("enabled") == "off":
                lines.append("                    gc.disable()")
            if full.get("freeze_after_allocs"):
                lines.append(f"                    gc.freeze()   # after start-up: here after {full['freeze_after_allocs']} containers")
            if "long_lived_ratio" in setting and setting["long_lived_ratio"] != self.defaults.get("long_lived_ratio"):
                lines.append(f"  note: long_lived_ratio={setting['long_lived_ratio']} has no Python API: CPython 3.11 fixes it at 25%")
        elif self.collector == "incremental":
            info = self.knobinfo[self.workloads[0]]
            g = lambda n: full.get(n, info.get(n, {}).get("default"))
            sb = g("step_bytes")
            lines.append(f"the Lua 5.4 equivalent:  collectgarbage(\"incremental\", {g('pause_pct')}, {g('step_mul')}, "
                         f"{round(math.log2(sb)) if sb else 13})   -- stepsize is log2(step_bytes)")
        elif self.collector == "marksweep":
            info = self.knobinfo[self.workloads[0]]
            lines.append(f"the Lua equivalent:  collectgarbage(\"setpause\", {full.get('pause_pct', info['pause_pct']['default'])})")
        for w in self.workloads:
            sets = " ".join(f"--set {n}={v}" for n, v in self.knobs_of(setting, w).items())
            lines.append(f"reproduce: gcscope run --collector {self.collector} --workload {w} {sets}".rstrip())
        return lines

    def report(self):
        out = []
        obj = ", ".join(self.objectives)
        runs_total = self.measured + self.reused
        out.append(f"gcscope tune: {self.collector} x {', '.join(self.workloads)}; "
                   + "; ".join(f"{n} over {len(v)} values" for n, v, _ in self.axes))
        meth = ("full grid" if self.method == "grid" else
                f"successive halving over {len(self.screen)} of {len(self.grid)} settings, rungs "
                + " -> ".join(f"{n}x{r}" for n, r in self.rungs))
        out.append(f"search: {meth}; {plural(self.reps, 'repetition')} per finished cell; "
                   f"{runs_total} runs ({self.measured} measured now, {self.reused} reused from an earlier run)")
        if self.failed:
            out.append(f"failed runs: {len(self.failed)} (their cells are left out)")
        out.append(f"results: {rel(self.dir)}/")
        out.append("")
        one = len(self.workloads) == 1
        w0 = self.workloads[0]
        hdr = f"frontier over ({obj})" + (" — each figure the median [min-max] of the repetitions"
                                          if one else " — geometric mean over workloads of figure / defaults' figure")
        if self.constraints:
            hdr += "; subject to " + ", ".join(c["text"] for c in self.constraints)
        out.append(hdr + ":")
        if not self.frontier:
            out.append("  (no measured setting meets the constraints)")
        rows = []
        for s in self.frontier:
            w = self.worse.get(self.skey(s))
            r = [setting_text(s) + ("  (defaults)" if s == self.defaults else "") + ("  <- recommended" if s == self.best else "")
                 + (f"  (trade-off: worse {', '.join(METRICS[o][2] for o in w)})" if w and self.defaults_feasible else "")]
            for o in self.objectives:
                if one:
                    v = self.values(s, w0, o)
                    dim = METRICS[o][1]
                    r.append(f"{METRICS[o][2]} {fmt(statistics.median(v), dim)} [{fmt(min(v), dim)}-{fmt(max(v), dim)}]")
                else:
                    r.append(f"{METRICS[o][2]} x{self.score(s)[self.objectives.index(o)]:.3f}")
            rows.append(r)
        out += table(rows, indent="  ")
        out.append("")
        if self.best is None:
            out.append("recommendation: none — no setting measured in full meets " +
                       " and ".join(c["text"] for c in self.constraints))
            if self.constraints:
                close = sorted([s for s in self.measured_settings if self.complete(s)], key=self.infeasibility)
                if close:
                    s = close[0]
                    out.append(f"  closest: {setting_text(s)}: " + ", ".join(
                        f"{c['metric']} {fmt(self.med(s, w, c['metric']), METRICS[c['metric']][1])} on {w}"
                        for c in self.constraints for w in self.workloads))
            self.text = "\n".join(out) + "\n"
            return
        b, d = self.best, self.defaults
        same = b == d
        out.append(f"recommendation: {setting_text(b)}" + ("  (the defaults: no measured setting does better on balance without a trade-off)" if same else "")
                   + ("" if self.defaults_feasible else "  (the defaults fail " + ", ".join(
                       c["text"] for c in self.constraints
                       if any(not holds(c, self.med(d, w, c["metric"]) or 0) for w in self.workloads)) + ")"))
        metrics = list(self.objectives) + [m for m in SHOWN if m not in self.objectives] + \
            [c["metric"] for c in self.constraints if c["metric"] not in self.objectives and c["metric"] not in SHOWN]
        for w in self.workloads:
            if not one:
                out.append(f"  on {w}:")
            if same:
                rows = [["", "defaults (" + setting_text(d) + ")"]]
            else:
                rows = [["", "recommended", "defaults (" + setting_text(d) + ")", "change", "noise test"]]
            for m in metrics:
                dim = METRICS[m][1]
                vb, vd = self.values(b, w, m), self.values(d, w, m)
                if not vb or not vd:
                    continue
                mb, md = statistics.median(vb), statistics.median(vd)
                label = ("* " if m in self.objectives else "  ") + METRICS[m][2]
                if same:
                    rows.append([label, f"{fmt(md, dim)} [{fmt(min(vd), dim)}-{fmt(max(vd), dim)}]"])
                    continue
                ch = (mb - md) / md * 100 if md else 0.0
                p = mann_whitney_p(vb, vd)
                rows.append([label, f"{fmt(mb, dim)} [{fmt(min(vb), dim)}-{fmt(max(vb), dim)}]",
                             f"{fmt(md, dim)} [{fmt(min(vd), dim)}-{fmt(max(vd), dim)}]",
                             f"{ch:+.1f}%", "p=%.3f%s" % (p, "" if p <= 0.05 else " (within noise)")])
            out += table(rows, indent="  " if one else "    ")
        out.append(f"  (* objective; median [min-max] of {plural(self.reps, 'repetition')}"
                   + ("" if same else "; noise test: two-sided exact Mann-Whitney U, recommended vs defaults") + ")")
        if self.reps < 4:
            out.append(f"  (with {plural(self.reps, 'repetition')} no difference can reach p <= 0.05: the smallest p is "
                       f"{mann_whitney_p(list(range(self.reps)), list(range(self.reps, 2 * self.reps))):.3f}; use --reps 5)")
        if not same and self.defaults_feasible:
            better = [o for o in self.objectives if any(
                self.med(b, w, o) < self.med(d, w, o) and
                mann_whitney_p(self.values(b, w, o), self.values(d, w, o)) <= 0.05 for w in self.workloads)]
            if not better:
                out.append("  note: no objective is better than the defaults' beyond noise (p <= 0.05): keep the defaults, "
                           "or rerun with more --reps to tell")
        for c in self.constraints:
            out.append(f"  constraint {c['text']}: met on " + ", ".join(
                f"{w} ({fmt(self.med(b, w, c['metric']), METRICS[c['metric']][1])})" for w in self.workloads))
        out += ["  " + l for l in self.paste_line(b)]
        out.append("")
        out.append(f"plots: {rel(os.path.join(self.dir, 'frontier.png'))}"
                   + (f", {rel(os.path.join(self.dir, 'heatmap.png'))}" if len(self.axes) == 2 else ""))
        self.text = "\n".join(out) + "\n"

    # -- files -----------------------------------------------------------------------
    def write_files(self):
        names = [ax[0] for ax in self.axes]
        mets = list(METRICS)
        frontier_keys = {self.skey(s) for s in self.frontier}
        best = self.skey(self.best) if self.best else None
        cells = []
        for s in self.measured_settings:
            for w in self.workloads:
                row = {"workload": w, "knobs": s, "reps": len(self.values(s, w, "time")),
                       "rung": self.rung_of.get(self.skey(s), 0) if s != self.defaults else -1,
                       "default": s == self.defaults, "frontier": self.skey(s) in frontier_keys,
                       "recommended": self.skey(s) == best, "feasible": self.infeasibility(s) == 0,
                       "metrics": {}}
                for m in mets:
                    v = self.values(s, w, m)
                    if v:
                        row["metrics"][m] = summary(v)
                cells.append(row)
        meta = {"collector": self.collector, "workloads": self.workloads, "objectives": self.objectives,
                "constraints": [c["text"] for c in self.constraints], "fixed": self.fixed,
                "knobs": {n: {"spec": sp, "values": v} for n, v, sp in self.axes},
                "defaults": self.defaults, "method": self.method, "reps": self.reps,
                "rungs": self.rungs if self.method == "halving" else None,
                "seed": self.a["seed"], "recommended": self.best, "cells": cells}
        atomic_write(os.path.join(self.dir, "cells.json"), json.dumps(meta, indent=1) + "\n")

        def tsv_header(extra):
            h = ["workload"] + names + ["reps", "rung", "default", "frontier", "recommended"] + extra
            for m in mets:
                h += [f"{m}_{q}" for q in ("median", "min", "max", "q1", "q3")]
            return "# " + "\t".join(h) + "\n"

        def tsv_row(c, extra):
            r = [c["workload"]] + [str(c["knobs"][n]) for n in names] + \
                [str(c["reps"]), str(c["rung"]), str(int(c["default"])), str(int(c["frontier"])), str(int(c["recommended"]))] + extra
            for m in mets:
                s = c["metrics"].get(m)
                r += [("%.6g" % s[q]) if s else "NaN" for q in ("median", "min", "max", "q1", "q3")]
            return "\t".join(r) + "\n"

        atomic_write(os.path.join(self.dir, "cells.tsv"),
                     tsv_header([]) + "".join(tsv_row(c, []) for c in cells))
        fr = [c for c in cells if c["frontier"]]
        fr.sort(key=lambda c: self.score(c["knobs"]))
        ratio_names = [f"{o}_ratio" for o in self.objectives]
        atomic_write(os.path.join(self.dir, "frontier.tsv"),
                     tsv_header(ratio_names) + "".join(
                         tsv_row(c, ["%.6g" % x for x in self.score(c["knobs"])]) for c in fr))
        atomic_write(os.path.join(self.dir, "recommendation.txt"), self.text)
        self.plot_frontier(cells)
        if len(self.axes) == 2:
            self.plot_heatmap(cells)

    def gnuplot(self, name, script):
        gp = os.path.join(self.dir, name + ".gp")
        atomic_write(gp, script)
        if not shutil.which("gnuplot"):
            sys.stderr.write(f"{PROG}: gnuplot not found: {rel(gp)} written, no {name}.png\n")
            return
        p = subprocess.run(["gnuplot", gp], cwd=self.dir, capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(f"{PROG}: gnuplot {rel(gp)} failed: {p.stderr.strip()[:500]}\n")

    def plot_frontier(self, cells):
        """Frontier scatter: the first two objectives (one workload: absolute figures with
        min-max bars; several: ratios to the defaults). One objective: it against the first
        knob."""
        one = len(self.workloads) == 1
        w0 = self.workloads[0]
        title = f"{self.collector} x {', '.join(self.workloads)}: " + ", ".join(n for n, _, _ in self.axes)

        def scale(dim):
            return (1e6, "ms") if dim == "time" else (1024 ** 2, "MiB")

        data = []
        if len(self.objectives) >= 2:
            ox, oy = self.objectives[0], self.objectives[1]
            (sx, ux), (sy, uy) = scale(METRICS[ox][1]), scale(METRICS[oy][1])
            for s in self.measured_settings:
                label = ",".join(str(v) for v in s.values())
                if one:
                    vx, vy = self.values(s, w0, ox), self.values(s, w0, oy)
                    row = [statistics.median(vx) / sx, statistics.median(vy) / sy, min(vx) / sx, max(vx) / sx,
                           min(vy) / sy, max(vy) / sy]
                else:
                    x, y = self.score(s)[0], self.score(s)[1]
                    row = [x, y, x, x, y, y]
                kind = ("defaults" if s == self.defaults else "recommended" if s == self.best else
                        "frontier" if s in self.frontier else
                        "full" if self.complete(s) and self.infeasibility(s) == 0 else
                        "infeasible" if self.complete(s) else "screened")
                data.append((kind, row, label))
            xl = f"{METRICS[ox][2]} ({ux})" if one else f"{METRICS[ox][2]} / defaults' (geometric mean over workloads)"
            yl = f"{METRICS[oy][2]} ({uy})" if one else f"{METRICS[oy][2]} / defaults'"
        else:
            ox = self.objectives[0]
            name0, vals0, _ = self.axes[0]
            sy, uy = scale(METRICS[ox][1])
            for s in self.measured_settings:
                label = ",".join(str(v) for v in s.values())
                x = s[name0] if self.knobinfo[w0][name0]["kind"] == "int" else vals0.index(s[name0])
                if one:
                    vy = self.values(s, w0, ox)
                    row = [x, statistics.median(vy) / sy, x, x, min(vy) / sy, max(vy) / sy]
                else:
                    y = self.score(s)[0]
                    row = [x, y, x, x, y, y]
                kind = ("defaults" if s == self.defaults else "recommended" if s == self.best else
                        "frontier" if s in self.frontier else
                        "full" if self.complete(s) and self.infeasibility(s) == 0 else
                        "infeasible" if self.complete(s) else "screened")
                data.append((kind, row, label))
            xl = name0
            yl = f"{METRICS[ox][2]} ({uy})" if one else f"{METRICS[ox][2]} / defaults'"
        kinds = ["screened", "infeasible", "full", "frontier", "recommended", "defaults", "all"]
        with open(os.path.join(self.dir, "frontier.dat.tmp"), "w") as f:
            for k in kinds:
                f.write(f"# {k}: x y xlow xhigh ylow yhigh label\n")
                rows = [d for d in data if d[0] == k]
                if k == "all":     # every fully measured setting, by x: the response curve
                    rows = sorted([d for d in data if d[0] not in ("screened", "infeasible")], key=lambda d: d[1][0])
                if k == "frontier":
                    rows += [d for d in data if d[0] == "recommended" or (d[0] == "defaults" and self.defaults in self.frontier)]
                    rows.sort(key=lambda d: d[1][0])
                if not rows:
                    f.write("NaN NaN NaN NaN NaN NaN \"\"\n")
                for _, r, label in rows:
                    f.write(" ".join("%.6g" % v for v in r) + f' "{label}"\n')
                f.write("\n\n")
        os.replace(os.path.join(self.dir, "frontier.dat.tmp"), os.path.join(self.dir, "frontier.dat"))
        xs = [d[1][0] for d in data if d[1][0] > 0]
        ys = [d[1][1] for d in data if d[1][1] > 0]
        logx = bool(xs) and max(xs) / max(min(xs), 1e-300) > 20
        logy = bool(ys) and max(ys) / max(min(ys), 1e-300) > 20
        if len(self.objectives) < 2:
            logx = bool(self.axes[0][2].find(":log:") >= 0) or logx
        idx = {k: i for i, k in enumerate(kinds)}
        step = "frontier: the staircase of settings no other setting beats on both" if len(self.objectives) >= 2 else ""
        present = {d[0] for d in data} | ({"frontier"} if self.frontier else set())
        two = len(self.objectives) >= 2
        c = []
        if "screened" in present:
            c.append(f'index {idx["screened"]} using 1:2 with points pt 6 ps 1 lc rgb "#bbbbbb" title "screened (fewer repetitions)"')
        if "infeasible" in present:
            c.append(f'index {idx["infeasible"]} using 1:2:3:4:5:6 with xyerrorbars pt 2 ps 1.2 lc rgb "#d08080" title "fails a constraint"')
            c.append(f'index {idx["infeasible"]} using 1:2:7 with labels offset char 1,char -0.8 left font ",8" tc rgb "#d08080" notitle')
        if "full" in present:
            c.append(f'index {idx["full"]} using 1:2:3:4:5:6 with xyerrorbars pt 7 ps 1 lc rgb "#888888" title "measured (median, min-max)"')
            c.append(f'index {idx["full"]} using 1:2:7 with labels offset char 1,char -0.8 left font ",8" tc rgb "#777777" notitle')
        if two and "frontier" in present:
            c.append(f'index {idx["frontier"]} using 1:2 with steps lw 2 lc rgb "#1f77b4" title "frontier"')
            c.append(f'index {idx["frontier"]} using 1:2:3:4:5:6 with xyerrorbars pt 7 ps 1.3 lc rgb "#1f77b4" notitle')
            c.append(f'index {idx["frontier"]} using 1:2:7 with labels offset char 1,char 0.8 left font ",9" tc rgb "#1f77b4" notitle')
        if not two and len(self.axes) == 1:
            c.append(f'index {idx["all"]} using 1:2 with lines lw 1 lc rgb "#1f77b4" title "median"')
        c.append(f'index {idx["defaults"]} using 1:2:3:4:5:6 with xyerrorbars pt 9 ps 2.2 lc rgb "black" '
                 f'title "defaults ({gp_escape(setting_text(self.defaults))})"')
        if self.best:
            c.append(f'index {idx["recommended"]} using 1:2 with points pt 3 ps 3.5 lw 2 lc rgb "#d62728" '
                     f'title "recommended ({gp_escape(setting_text(self.best))})"')
        plot = "plot " + ", \\\n     ".join(('"frontier.dat" ' if n == 0 else '"" ') + x for n, x in enumerate(c))
        script = f"""# frontier.gp — written by tools/tune.py; gnuplot frontier.gp -> frontier.png
set terminal pngcairo size 1000,700 font ",11"
set output "frontier.png"
set title "{gp_escape(title)}\\n{gp_escape(step)}" noenhanced
set xlabel "{gp_escape(xl)}" noenhanced
set ylabel "{gp_escape(yl)}" noenhanced
set grid
set key below maxrows 2 noenhanced
{"set logscale x" if logx else ""}
{"set logscale y" if logy else ""}
set autoscale fix
set offsets graph 0.06, graph 0.06, graph 0.06, graph 0.06
{plot}
"""
        self.gnuplot("frontier", script)

    def plot_heatmap(self, cells):
        """Two knobs: each objective's median (one workload) or ratio to the defaults (several)
        over the grid, one panel per objective; unmeasured cells stay blank."""
        (n1, v1, _), (n2, v2, _) = self.axes
        one = len(self.workloads) == 1
        w0 = self.workloads[0]
        spans = {}             # objective -> (min, max) of its plotted values
        with open(os.path.join(self.dir, "heatmap.dat.tmp"), "w") as f:
            for o in self.objectives:
                dim = METRICS[o][1]
                sc = 1e6 if dim == "time" else 1024 ** 2
                f.write(f"# {o}: i j value label\n")
                for s in self.measured_settings:
                    if s == self.defaults and (s.get(n1) not in v1 or s.get(n2) not in v2):
                        continue
                    if one:
                        val = statistics.median(self.values(s, w0, o)) / sc
                    else:
                        val = self.score(s)[self.objectives.index(o)]
                    mark = "*" if self.complete(s) else ""
                    lo, hi = spans.get(o, (val, val))
                    spans[o] = (min(lo, val), max(hi, val))
                    f.write(f"{v1.index(s[n1])} {v2.index(s[n2])} {val:.6g} \"{val:.3g}{mark}\"\n")
                f.write("\n\n")
        os.replace(os.path.join(self.dir, "heatmap.dat.tmp"), os.path.join(self.dir, "heatmap.dat"))
        xt = ", ".join(f'"{v}" {i}' for i, v in enumerate(v1))
        yt = ", ".join(f'"{v}" {i}' for i, v in enumerate(v2))
        k = len(self.objectives)
        cols = min(k, 2)
        rows = (k + cols - 1) // cols
        panels = []
        for i, o in enumerate(self.objectives):
            unit = ("ms" if METRICS[o][1] == "time" else "MiB") if one else "x defaults"
            lo, hi = spans.get(o, (1, 1))
            logcb = lo > 0 and hi / lo > 20      # a colour per decade, or one colour would take it all
            panels.append(f"""{"set logscale cb" if logcb else "unset logscale cb"}
set title "{gp_escape(METRICS[o][2])} ({unit}{', colour scale logarithmic' if logcb else ''}); lower is better" noenhanced
plot "heatmap.dat" index {i} using 1:2:(0.5):(0.5):3 with boxxy fs solid 1.0 noborder lc palette notitle, \\
     "" index {i} using 1:2:4 with labels font ",8" notitle
""")
        script = f"""# heatmap.gp — written by tools/tune.py; gnuplot heatmap.gp -> heatmap.png
set terminal pngcairo size {600 * cols},{500 * rows} font ",10"
set output "heatmap.png"
set multiplot layout {rows},{cols} title "{gp_escape(self.collector + ' x ' + ', '.join(self.workloads))} (* = all repetitions; blank = not measured)" noenhanced
set xlabel "{n1}" noenhanced
set ylabel "{n2}" noenhanced
set xtics ({xt}) rotate by 45 right
set ytics ({yt})
set xrange [-0.5:{len(v1) - 0.5}]
set yrange [-0.5:{len(v2) - 0.5}]
set palette defined (0 "#2c7bb6", 0.5 "#ffffbf", 1 "#d7191c")
set cbtics
{"".join(panels)}unset multiplot
"""
        self.gnuplot("heatmap", script)


def table(rows, indent=""):
    if not rows:
        return []
    w = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(max(len(r) for r in rows))]
    return [indent + "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows]


def gp_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def rel(path):
    """path relative to the current directory when it lies below it, else absolute."""
    r = os.path.relpath(path)
    return os.path.abspath(path) if r.startswith("..") else r


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def dominates(a, b):
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def pareto_fronts(vecs):
    """Non-dominated sorting: a list of fronts, each a list of indices into vecs."""
    left = list(range(len(vecs)))
    fronts = []
    while left:
        front = [i for i in left if not any(dominates(vecs[j], vecs[i]) for j in left if j != i)]
        fronts.append(front)
        left = [i for i in left if i not in front]
    return fronts


def crowding(vecs):
    """NSGA-II crowding distance: larger = more isolated on the front (extremes infinite)."""
    n = len(vecs)
    if n == 0:
        return []
    d = [0.0] * n
    for k in range(len(vecs[0])):
        order = sorted(range(n), key=lambda i: vecs[i][k])
        lo, hi = vecs[order[0]][k], vecs[order[-1]][k]
        d[order[0]] = d[order[-1]] = math.inf
        if hi == lo:
            continue
        for a, i in enumerate(order[1:-1], 1):
            d[i] += (vecs[order[a + 1]][k] - vecs[order[a - 1]][k]) / (hi - lo)
    return d


def spread_sample(grid, dims, n, seed):
    """n settings spread over the grid: with one knob, evenly spaced (ends included); with
    several, a Latin hypercube over the knobs' index ranges (each knob's values covered as
    evenly as n allows), deduplicated and topped up at random. Deterministic in seed."""
    if n >= len(grid):
        return list(grid)
    if len(dims) == 1:
        idx = sorted({round(i * (len(grid) - 1) / (n - 1)) for i in range(n)}) if n > 1 else [0]
        return [grid[i] for i in idx]
    rng = random.Random(seed)
    strides = []
    s = 1
    for d in reversed(dims):
        strides.insert(0, s)
        s *= d
    cols = []
    for d in dims:
        col = [min(d - 1, int((i + 0.5) * d / n)) for i in range(n)]
        rng.shuffle(col)
        cols.append(col)
    chosen = []
    seen = set()
    for i in range(n):
        flat = sum(cols[k][i] * strides[k] for k in range(len(dims)))
        if flat not in seen:
            seen.add(flat)
            chosen.append(flat)
    rest = [i for i in range(len(grid)) if i not in seen]
    rng.shuffle(rest)
    chosen += rest[: n - len(chosen)]
    return [grid[i] for i in sorted(chosen)]


def find_gcscope():
    b = os.environ.get("GCSCOPE_BIN")
    if b:
        return b
    b = os.path.join(REPO, "build", "gcscope")
    if os.access(b, os.X_OK):
        return b
    die(f"no gcscope binary: set GCSCOPE_BIN or build {b} (make)", 2)


def main(argv):
    try:
        args = parse_args(argv)
        gcscope = find_gcscope()
        tune = Tune(args, gcscope)
    except UsageError as e:
        die_usage(str(e))

    def on_signal(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    tune.open_dir()
    if args["jobs"] > (os.cpu_count() or 1) and not args["quiet"]:
        sys.stderr.write(f"{PROG}: note: --jobs {args['jobs']} is more than the {os.cpu_count()} cores: "
                         "the runs will disturb each other's timings\n")
    try:
        tune.search()
    except (KeyboardInterrupt, Interrupted):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        tune.stop_children()
        stored = len(glob.glob(os.path.join(tune.cells_dir, "*.json")))
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") +
                         f"{PROG}: interrupted; {stored} finished runs are stored in {rel(tune.cells_dir)}/ — "
                         f"run the same command again to resume\n")
        return 130
    shutil.rmtree(tune.tmp_dir, ignore_errors=True)
    tune.analyse()
    tune.report()
    tune.write_files()
    sys.stdout.write(tune.text)
    if tune.failed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
