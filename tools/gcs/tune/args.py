"""args.py — `gcscope tune`'s command line: the help text, the metrics an objective or a
constraint may name, and the parsing of every flag.

Invariants: a bad argument raises UsageError with one line naming the flag (main prints it and
exits 2) before anything runs; parse_args returns a plain dict, every default filled in.
"""
import re
import sys

PROG = "gcscope: tune"

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
  --timeout S          a run taking longer is killed and counted as failed (default 600; whole
                       seconds, a fraction rounds up: `gcscope cell --timeout-s`)
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
# name -> (the figure in a cell's JSON, dimension, label)
METRICS = {
    "time":      ("time.cpu_ns", "time", "CPU time"),
    "wall":      ("time.wall_ns", "time", "wall time"),
    "gc-time":   ("time.gc_ns", "time", "time in pauses"),
    "p50":       ("pauses.p50_ns", "time", "p50 pause"),
    "p90":       ("pauses.p90_ns", "time", "p90 pause"),
    "p99":       ("pauses.p99_ns", "time", "p99 pause"),
    "p999":      ("pauses.p999_ns", "time", "p99.9 pause"),
    "max-pause": ("pauses.max_ns", "time", "max pause"),
    "peak-rss":  ("memory.peak_rss_bytes", "bytes", "peak RSS"),
    "final-rss": ("memory.rss_after_release_bytes", "bytes", "RSS after release"),
}
SHOWN = ["time", "wall", "p99", "max-pause", "peak-rss"]   # always in the recommendation table
UNITS = {"time": {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9},
         "bytes": {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}}
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
                    if not 0 < a["timeout"] <= 86400:
                        raise ValueError
                except ValueError:
                    raise UsageError(f"--timeout {v}: expected a number of seconds in (0, 86400]")
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

