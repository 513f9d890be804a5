"""search.py — which settings a tune measures, and what it concludes from them.

  plan      the full grid when settings x workloads fit --budget, else successive halving
            (Jamieson & Talwalkar 2016) with repetitions as the resource: rung 0 screens a
            spread sample of the grid at 1 repetition, each rung keeps the best 1/ETA and
            raises their repetitions (1 -> 3 -> --reps)
  rank      feasible before infeasible; among the feasible, Pareto fronts (non-dominated
            sorting) then crowding distance (NSGA-II), so survivors spread along the frontier
  analyse   the frontier of the fully measured feasible settings, and the recommendation:
            the frontier setting no worse than the defaults on any objective beyond noise with
            the lowest geometric mean of its objective ratios

Figures: a setting's figure on a workload is the median over its repetitions; its score on an
objective is the geometric mean over workloads of that median / the defaults' median.

Invariants: the defaults are measured first, in full, always; a rung ranks on the repetitions
of the rung just run (rep_limit), never on later ones an earlier invocation may have stored,
so a resumed search takes the same path.
"""
import json
import math
import random
import statistics
import sys

from gcs import gcscope as gcs
from gcs.stats import geomean, mann_whitney_p
from gcs.tune.args import METRICS, die, violation
from gcs.tune.report import plural, rel

ETA = 3                     # successive halving keeps 1/ETA of a rung


class Search:
    def __init__(self, args, space, store, scheduler):
        self.a = args
        self.space = space
        self.store = store
        self.sched = scheduler
        self.workloads = space.workloads
        self.objectives = args["objectives"]
        self.reps = args["reps"]
        self.defaults = space.defaults
        self.rep_limit = None    # figures read only repetitions below this (None: all)
        self.method = None       # "grid" or "halving"
        self.rungs = []          # [(settings, repetitions)] per rung
        self.screen = []         # the settings rung 0 measures
        self.planned_settings = []   # the defaults + screen
        self.cells_planned = 0
        self.dropped = set()     # skeys of the settings the search stopped measuring
        self.rung_of = {}        # skey -> the last rung that measured it
        self.measured_settings = []  # settings with figures on every workload
        self.frontier = []       # the feasible, fully measured, non-dominated settings
        self.feasible = []
        self.defaults_feasible = False
        self.worse = {}          # skey of a frontier setting -> objectives worse than the defaults'
        self.best = None         # the recommendation (None: nothing meets the constraints)
        scheduler.progress_of = lambda: (self.cells_finished(), self.cells_planned)

    @staticmethod
    def skey(setting):
        """A setting as a hashable key."""
        return json.dumps(setting, sort_keys=True)

    def tasks(self, settings, reps_from, reps_to):
        """Repetition-major: every cell's run r before any cell's run r+1."""
        return [(s, w, r) for r in range(reps_from, reps_to) for s in settings for w in self.workloads]

    def reps_done(self, setting, workload):
        return sum(1 for r in range(self.reps) if self.store.load(self.store.key(setting, workload, r)) is not None)

    def cells_finished(self):
        n = 0
        for setting in self.planned_settings:
            if self.skey(setting) in self.dropped:
                n += len(self.workloads)
                continue
            n += sum(1 for w in self.workloads if self.reps_done(setting, w) >= self.reps)
        return n

    # -- figures ---------------------------------------------------------------------
    def values(self, setting, workload, metric):
        """The metric's value in each stored repetition of the cell."""
        path = METRICS[metric][0]
        out = []
        for r in range(self.rep_limit or self.reps):
            res = self.store.load(self.store.key(setting, workload, r))
            if res is None:
                continue
            v = gcs.figure(res, path)
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
        for c in self.space.constraints:
            for w in self.workloads:
                m = self.med(setting, w, c["metric"])
                if m is None:
                    return math.inf
                total += violation(c, m)
        return total

    def complete(self, setting):
        return all(len(self.values(setting, w, "time")) >= self.reps for w in self.workloads)

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
        G, W, R = len(self.space.grid), len(self.workloads), self.reps
        if G * W <= budget:
            self.method = "grid"
            self.rungs = [(list(self.space.grid), R)]
            self.screen = list(self.space.grid)
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
        self.screen = spread_sample(self.space.grid, [len(ax[1]) for ax in self.space.axes], n0, self.a["seed"])
        self.rungs = []
        n = n0
        for r in reps:
            self.rungs.append((n, r))
            n = max(1, math.ceil(n / ETA))

    def search(self):
        self.plan()
        dkey = self.skey(self.defaults)
        self.planned_settings = [self.defaults] + [s for s in self.screen if self.skey(s) != dkey]
        self.dropped = set()
        self.cells_planned = len(self.planned_settings) * len(self.workloads)
        if not self.a["quiet"]:
            if self.method == "grid":
                sys.stderr.write(f"tune: {len(self.space.grid)} settings x {len(self.workloads)} workload(s) fit the budget "
                                 f"of {self.a['budget']}: full grid, {plural(self.reps, 'repetition')} each, plus the defaults; "
                                 f"--jobs {self.a['jobs']}; in {rel(self.store.dir)}\n")
            else:
                plan = ", ".join(f"{n} x {plural(r, 'rep')}" for n, r in self.rungs)
                sys.stderr.write(f"tune: {len(self.space.grid)} settings x {len(self.workloads)} workload(s) exceed the budget "
                                 f"of {self.a['budget']}: successive halving, rungs {plan} "
                                 f"(settings x repetitions), plus the defaults at {self.reps}; --jobs {self.a['jobs']}; "
                                 f"in {rel(self.store.dir)}\n")
        # the defaults first: every figure is read against them
        if self.method == "grid":
            self.sched.run_tasks(self.tasks(self.planned_settings, 0, self.reps), "grid")
            self.rung_of = {self.skey(s): 0 for s in self.screen}
        else:
            self.sched.run_tasks(self.tasks([self.defaults], 0, self.reps), "defaults",
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
                self.sched.run_tasks(self.tasks(alive, prev, r), f"rung {i + 1}/{len(self.rungs)} ({len(alive)} settings x {plural(r, 'rep')})",
                                 future_runs=future)
                prev = r
        if any(self.values(self.defaults, w, "time") == [] for w in self.workloads):
            die("the defaults could not be measured (see the failed run above)")

    # -- the answer ------------------------------------------------------------------
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

