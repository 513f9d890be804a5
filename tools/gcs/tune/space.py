"""space.py — what a tune searches: the collector, the workloads, the knobs that vary (each
--knob SPEC expanded to its values), the knobs fixed by --set, the constraints, the defaults
and the grid (the cross product of the varied knobs' values).

Everything is checked against gcscope's own declarations, read as JSON (`gcscope list --json`,
`gcscope knobs C W --json`): a collector, workload, allocator, knob or value gcscope does not
accept is a UsageError before any cell runs.

Invariants: grid[i] is a dict knob -> value, in the order of the --knob flags, the last knob
varying fastest; defaults holds each varied knob at its default, the same on every workload.
"""
import math
import os
import re
import sys

from gcs.gcscope import GcscopeError
from gcs.tune.args import METRICS, PROG, UsageError, parse_constraint


def either(names):
    """'a, b or c'"""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def split_flag(flag, kv, expected):
    """NAME=VALUE of a flag's argument, as (NAME, VALUE)."""
    if "=" not in kv:
        raise UsageError(f"{flag} {kv}: expected {expected}")
    return kv.split("=", 1)


class Space:
    def __init__(self, args, gcscope):
        self.collector = args["collector"]       # the collector tuned
        self.workloads = args["workloads"]       # the workloads, in --workload order
        self.knobinfo = {}                       # workload -> {knob name: knob (gcs.gcscope)}
        self.axes = []                           # [(name, [values], spec)]: the varied knobs
        self.fixed = {}                          # workload -> {knob: value}: the --set knobs it has
        self.constraints = []                    # parsed --constraint
        self.defaults = {}                       # varied knob -> its default
        self.grid = []                           # every setting: {knob: value}
        self.check(args, gcscope)

    def check(self, a, gcscope):
        try:
            collectors, workloads = gcscope.collectors(), gcscope.workloads()
        except GcscopeError as e:
            raise UsageError(str(e))
        if collectors and self.collector not in collectors:
            raise UsageError(f"unknown collector '{self.collector}' (expected one of: {' '.join(collectors)})")
        for w in self.workloads:
            if workloads and w not in workloads:
                raise UsageError(f"unknown workload '{w}' (expected one of: {' '.join(workloads)})")
        for w in self.workloads:
            try:
                self.knobinfo[w] = gcscope.knobs(self.collector, w)
            except GcscopeError as e:
                raise UsageError(f"{e} (gcscope list names them)")
            if not self.knobinfo[w]:
                raise UsageError(f"gcscope knobs {self.collector} {w}: no knobs declared")
        if a["trace"] is None and "trace" in self.workloads:
            raise UsageError("--workload trace needs --trace FILE")
        if a["trace"] is not None and not os.path.isfile(a["trace"]):
            raise UsageError(f"--trace {a['trace']}: no such file")
        declared = gcscope.figures()
        for m, (path, dim, _) in METRICS.items():
            unit = declared.get(path, {}).get("unit")
            if {"ns": "time", "bytes": "bytes"}.get(unit) != dim:
                raise UsageError(f"metric {m}: gcscope declares no {dim} figure {path} "
                                 f"(gcscope list --json; tools/gcs/tune/args.py and the binary disagree)")
        allocators = gcscope.allocators()
        if a["allocator"] is not None and a["allocator"] not in allocators:
            raise UsageError(f"--allocator {a['allocator']}: expected {either(allocators)}")

        def knob(name, flag):
            info = None
            for w in self.workloads:
                k = self.knobinfo[w].get(name)
                if k is None:
                    have = ", ".join(self.knobinfo[w])
                    raise UsageError(f"{flag}: no knob '{name}' for {self.collector} x {w} (knobs: {have})")
                info = k
            return info

        for kv in a["knobs"]:
            name, spec = split_flag("--knob", kv, "NAME=SPEC, e.g. threshold0=100:100000:log:8")
            if name in self.varied():
                raise UsageError(f"--knob {name}: given twice")
            self.axes.append((name, expand_spec(name, spec, knob(name, f"--knob {kv}")), spec))
        # --set: a knob fixed in every cell whose workload has it (sizes differ between
        # workloads), an error when none has it
        self.fixed = {w: {} for w in self.workloads}
        for kv in a["sets"]:
            name, value = split_flag("--set", kv, "KNOB=VALUE")
            if name in self.varied():
                raise UsageError(f"--set {name}: also given as a --knob")
            have = [w for w in self.workloads if name in self.knobinfo[w]]
            if not have:
                knob(name, f"--set {kv}")
            for w in have:
                self.fixed[w][name] = check_set(name, value, self.knobinfo[w][name])
        self.constraints = [parse_constraint(c) for c in a["constraints"]]
        # the defaults: each tuned knob at its default (the same for every workload, or unusable)
        for name, _, _ in self.axes:
            ds = {self.knobinfo[w][name]["default"] for w in self.workloads}
            if len(ds) != 1:
                raise UsageError(f"--knob {name}: its default differs between the workloads")
            self.defaults[name] = ds.pop()
        grid = [{}]
        for name, vals, _ in self.axes:
            grid = [dict(g, **{name: v}) for g in grid for v in vals]
        self.grid = grid

    def varied(self):
        """The names of the knobs that vary."""
        return [ax[0] for ax in self.axes]

    def knobs_of(self, setting, workload):
        """Every knob a cell of setting on workload sets: the --set ones and the setting's,
        sorted by name (the order of the run's --set flags and of the store's key)."""
        k = dict(self.fixed[workload])
        k.update(setting)
        return {n: k[n] for n in sorted(k)}


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

