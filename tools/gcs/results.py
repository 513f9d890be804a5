"""results.py — reading a results folder (`make bench`'s output) into figures, one place for all.

What the figures are comes from C, never from here:
  - the catalog: `gcscope list --json` (saved by driver/bench.sh as DIR/list.json; a folder
    without one is read against build/gcscope's): the collector, workload and allocator order
    of every table and plot, and "figures", each figure of a cell's JSON with its column name,
    unit and scale;
  - the values: each cell's JSON (DIR/cells/COLLECTOR.WORKLOAD.SIZE.ALLOCATOR.rN.json, one per
    repetition). Percentiles, the fusion of nested pauses and the MMU are the C side's
    (measure/pausestats.c): they are read, never recomputed.
  - what was to run: DIR/plan.txt (driver/bench.sh), the benchmark names of the matrix,
    cell/COLLECTOR/WORKLOAD/SIZE/ALLOCATOR[/repK] (K from 1; repetition K is file .r(K-1));
    Results.missing names the planned runs without a JSON (an unfinished or failed run), and
    DIR/state says how the run ended (running, interrupted, failed, finished; None: no file).
    A folder read while unfinished gives the tables of the cells present, nothing else changed.

Invariants: a figure value is a float or None (missing, NaN); Stat.med lies within
[Stat.lo, Stat.hi]; every LBO is >= 0 (asserted: a run's total is never below its own distilled
cost, and the baseline is the least distilled cost of the work).

Headline pauses: the phase named "steady" of a cell's "phases" (from the mark `built` to the
next mark or the run's end) when the cell has one, else the whole run; Cell.phase says which.

LBO (Cai, Blackburn, Bond, Maas, "Distilling the Real Cost of Production Garbage Collectors",
ISPASS 2022): for one workload, size and allocator, a run's distilled cost is its total minus
its time in pauses; the baseline is the least distilled cost over every run of every collector
on that work (`none` included); LBO = total / baseline - 1. Wall: wall_ns - gc_ns. CPU: the
process's cpu_ns minus the pauses' CPU time: the JSON's pause CPU total when it has one; else
the sum of the pause log's per-pause cpu_ns over the run (exact when the log has as many pauses
in the run as the JSON counts, i.e. none nested); else the pauses' wall time times the run's
CPU share (cpu_ns / wall_ns). Results.lbo_exact is False when any run needed an approximation.
"""
import glob, json, os, statistics

from gcs import gcscope as G
from gcs.gcscope import lookup, num

# The sizes a table shows unlabelled: make bench's (`bench`) and the knobs' own (`default`);
# any other (`small`) is named beside the workload.
MAIN_SIZES = ("bench", "default")

PAUSE_ROOTS = ("pauses", "mmu")   # the figures a phase has too (its own pauses and MMU)
# the pauses' CPU time (ns) in a cell's JSON
PAUSE_CPU = "pauses.cpu_ns"


class SchemaError(Exception):
    pass


# --- the catalog ------------------------------------------------------------------------------

class Catalog:
    """`gcscope list --json`: the orders and the figures."""

    def __init__(self, j):
        try:
            self.collectors = [c["name"] for c in j["collectors"]]
            self.kinds = {c["name"]: c.get("kind", "collector") for c in j["collectors"]}
            self.summaries = {c["name"]: c.get("summary", "") for c in j["collectors"]}
            self.workloads = [w["name"] for w in j["workloads"]]
            self.allocators = list(j["allocators"])
            self.pause_kinds = list(j.get("pause_kinds", []))
            self.all_figures = [dict(f) for f in j["figures"]]
            for f in self.all_figures:
                f["name"] = str(f["name"])
                f["scale"] = float(f["scale"]) if f.get("scale") is not None else 1.0
        except (KeyError, TypeError, ValueError) as e:
            raise SchemaError("`gcscope list --json` lacks %s" % e)
        self.figures = [f for f in self.all_figures if f.get("column")]   # those with a table column
        self.by_column = {f["column"]: f for f in self.figures}
        self.by_name = {f["name"]: f for f in self.all_figures}

    def order(self, names, of="collectors"):
        """names in the catalog's order; names it does not know after them, sorted."""
        ref = getattr(self, of)
        return sorted(set(names), key=lambda n: (ref.index(n) if n in ref else len(ref), n))

    def pause_figure(self, f):
        """Whether figure f exists per phase as well (its path starts at pauses or mmu)."""
        return f["name"].split(".", 1)[0].split("[", 1)[0] in PAUSE_ROOTS


def catalog(d=None, gcscope="build/gcscope"):
    """The catalog a results folder was measured with (DIR/list.json), else gcscope's own."""
    if d:
        p = os.path.join(d, "list.json")
        if os.path.exists(p):
            try:
                return Catalog(json.load(open(p)))
            except ValueError as e:
                raise SchemaError("%s: %s" % (p, e))
    try:
        return Catalog(G.Gcscope(gcscope).listing())
    except (G.GcscopeError, OSError) as e:
        raise SchemaError("cannot read `%s list --json` (%s): build it with make" % (gcscope, e))


# --- one value out of a cell's JSON -----------------------------------------------------------

def value(j, f):
    """Figure f (a catalog entry) of one cell's JSON, scaled to its column's unit."""
    v = num(lookup(j, f["name"]))
    return None if v is None else v * f["scale"]


# --- statistics over repetitions --------------------------------------------------------------

class Stat:
    """One figure over a cell's repetitions: median, min, max, n (None when no value)."""
    __slots__ = ("med", "lo", "hi", "n")

    def __init__(self, values):
        v = sorted(x for x in values if x is not None)
        self.n = len(v)
        self.med = statistics.median(v) if v else None
        self.lo = v[0] if v else None
        self.hi = v[-1] if v else None

    def apart(self, other):
        """Whether the two ranges do not overlap (a difference larger than the spread)."""
        return (self.n and other.n and (self.hi < other.lo or other.hi < self.lo)) or False

    def show(self, fm, scale=1.0):
        if self.med is None:
            return "–"
        s, lo, hi = fm % (self.med * scale), fm % (self.lo * scale), fm % (self.hi * scale)
        return s if lo == hi else "%s [%s–%s]" % (s, lo, hi)


# --- a results folder ---------------------------------------------------------------------------

class Cell:
    """The repetitions of one collector on one workload, size and allocator."""

    def __init__(self, key):
        self.key = key        # (workload, size, allocator, collector)
        self.reps = []        # [(rep, prefix, json)], by repetition
        self.stats = {}       # column -> Stat (catalog figures; phase_*; lbo_*)
        self.phase = "run"    # "steady" when every repetition has a steady phase

    def jsons(self):
        return [j for _r, _p, j in self.reps]


def steady(j):
    """The cell's phase named "steady", or None."""
    for ph in j.get("phases") or []:
        if ph.get("name") == "steady":
            return ph
    return None


def headline(j):
    """(what the headline pause figures read: the steady phase or the whole run, "steady"|"run")."""
    ph = steady(j)
    return (ph, "steady") if ph is not None else (j, "run")


class Results:
    """A results folder: its catalog, its cells by key, their figures over repetitions."""

    def __init__(self, d, cat=None):
        self.d = d
        self.cat = cat or catalog(d)
        self.cells = {}       # (wl, size, alloc, coll) -> Cell
        self.errors = []      # (path, message) of the cell files that could not be read
        for p in sorted(glob.glob(os.path.join(d, "cells", "*.json"))):
            parts = os.path.basename(p)[:-5].rsplit(".", 4)
            if len(parts) != 5 or not parts[4].startswith("r") or not parts[4][1:].isdigit():
                continue
            coll, wl, size, alloc, rep = parts
            try:
                j = json.load(open(p))
            except (OSError, ValueError) as e:
                self.errors.append((p, str(e)))
                continue
            key = (wl, size, alloc, coll)
            self.cells.setdefault(key, Cell(key)).reps.append((int(rep[1:]), p[:-5], j))
        for c in self.cells.values():
            c.reps.sort(key=lambda r: r[0])
        have = {k + (rep,) for k, c in self.cells.items() for rep, _p, _j in c.reps}
        self.planned = plan(d)   # [(name, key + (rep,))], or None without a plan
        self.missing = [name for name, run in self.planned or [] if run not in have]
        self.state = state(d)
        self.figures = self.cat.figures
        self.pause_figures = [f for f in self.figures if self.cat.pause_figure(f)]
        self.lbo_exact = True
        for c in self.cells.values():
            js = c.jsons()
            for f in self.figures:
                c.stats[f["column"]] = Stat(value(j, f) for j in js)
            c.phase = "steady" if all(steady(j) is not None for j in js) else "run"
            for f in self.pause_figures:   # the headline: the steady phase (all reps), else the run
                c.stats["phase_" + f["column"]] = Stat(
                    value(steady(j) if c.phase == "steady" else j, f) for j in js)
        self.lbo()

    # orders ------------------------------------------------------------------------------------
    @property
    def collectors(self):
        return self.cat.order({k[3] for k in self.cells})

    @property
    def workloads(self):
        return self.cat.order({k[0] for k in self.cells}, "workloads")

    def allocators(self, wl=None, size=None):
        return self.cat.order({k[2] for k in self.cells if (wl is None or k[0] == wl) and
                               (size is None or k[1] == size)}, "allocators")

    def sizes(self, wl=None):
        return sorted({k[1] for k in self.cells if wl is None or k[0] == wl}, key=lambda s: (s not in MAIN_SIZES, s))

    def main_alloc(self, wl, size):
        a = self.allocators(wl, size)
        return a[0] if a else None

    def rows(self):
        """(workload, size, allocator) present, in the catalog's orders."""
        return [(w, s, a) for w in self.workloads for s in self.sizes(w) for a in self.allocators(w, s)
                if any((w, s, a, c) in self.cells for c in self.collectors)]

    def get(self, key, column):
        c = self.cells.get(key)
        return c.stats.get(column) if c else None

    def med(self, key, column):
        s = self.get(key, column)
        return s.med if s else None

    def columns(self):
        """Every column of cells.tsv after the key and the repetition count, in order."""
        return ([f["column"] for f in self.figures] + ["lbo_wall", "lbo_cpu", "phase"] +
                ["phase_" + f["column"] for f in self.pause_figures])

    # LBO ---------------------------------------------------------------------------------------
    def lbo(self):
        work = {}
        for c in self.cells.values():
            work.setdefault(c.key[:3], []).append(c)
        for cells in work.values():
            costs = {"wall": [], "cpu": []}
            per = {}
            for c in cells:
                per[c.key] = []
                for _rep, _prefix, j in c.reps:
                    t = run_costs(j)
                    if t is None:
                        continue
                    if not t["cpu_exact"]:
                        self.lbo_exact = False
                    per[c.key].append(t)
                    for m in costs:
                        costs[m].append(t[m][1])
            for c in cells:
                for m in costs:
                    base = min(costs[m]) if costs[m] else None
                    vals = []
                    for t in per[c.key]:
                        total, distilled = t[m]
                        if not base or base <= 0:
                            vals.append(None)
                            continue
                        lbo = total / base - 1
                        assert lbo >= 0, "LBO %s < 0 for %s: total %s, baseline %s" % (m, c.key, total, base)
                        assert distilled >= base
                        vals.append(lbo)
                    c.stats["lbo_" + m] = Stat(vals)


def run_costs(j):
    """{"wall": (total, distilled), "cpu": (total, distilled), "cpu_exact": bool} of one run, ns;
    None when the JSON lacks the times."""
    t = j.get("time") or {}
    wall, gc, cpu = num(t.get("wall_ns")), num(t.get("gc_ns")), num(t.get("cpu_ns"))
    if wall is None or gc is None or cpu is None:
        return None
    # The pauses' own CPU time (pauses.cpu_ns, summed in C over the top-level pauses); a folder
    # measured before pauses carried it gets the stand-in, named approximate in the report:
    # the pauses' wall time times the run's CPU share.
    gc_cpu, exact = num(lookup(j, PAUSE_CPU)), True
    if gc_cpu is None:
        gc_cpu, exact = (gc * cpu / wall if wall > 0 else gc), False
    return {"wall": (wall, wall - gc), "cpu": (cpu, cpu - min(gc_cpu, cpu)), "cpu_exact": exact}


def read_tsv(path):
    """The rows of a whitespace TSV with '#' header lines, as lists of strings ([] if absent)."""
    rows = []
    try:
        for line in open(path):
            if line.startswith("#") or not line.strip():
                continue
            rows.append(line.rstrip("\n").split("\t"))
    except OSError:
        pass
    return rows


def tsv_header(path):
    """The column names of a TSV's '#' header line ([] if absent)."""
    try:
        with open(path) as f:
            line = f.readline()
    except OSError:
        return []
    return line.lstrip("#").strip().split("\t") if line.startswith("#") else []


def plan(d):
    """The runs DIR/plan.txt names, in order: [(benchmark name, (wl, size, alloc, coll, rep))];
    None when the folder has no plan (older than it, or not made by driver/bench.sh)."""
    try:
        lines = open(os.path.join(d, "plan.txt")).read().split()
    except OSError:
        return None
    out = []
    for name in lines:
        name = name.split("/iterations")[0]   # as Google Benchmark lists them, or without its suffix
        parts = name.split("/")
        if len(parts) not in (5, 6) or parts[0] != "cell":
            continue
        rep = parts[5][3:] if len(parts) == 6 else "1"
        if len(parts) == 6 and not (parts[5].startswith("rep") and rep.isdigit()):
            continue
        _cell, coll, wl, size, alloc = parts[:5]
        out.append((name, (wl, size, alloc, coll, int(rep) - 1)))
    return out


def state(d):
    """How the folder's run ended, the first word of DIR/state (None without one)."""
    try:
        words = open(os.path.join(d, "state")).read().split()
    except OSError:
        return None
    return words[0] if words else None


def failures(d):
    """The cells Google Benchmark reported as failed (from DIR/gbench.json), as (name, message)."""
    try:
        gb = json.load(open(os.path.join(d, "gbench.json")))
    except (OSError, ValueError):
        return []
    return [(b["name"].split("/iterations")[0], b.get("error_message", ""))
            for b in gb.get("benchmarks", []) if b.get("error_occurred")]


def write(path, text):
    """Write a file whole: a temporary name, then a rename."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
