"""report.py — what a tune tells: the frontier and the recommendation beside the defaults'
figures (stdout and DIR/recommendation.txt), the line to paste into the real runtime, and the
data files DIR/cells.json, cells.tsv and frontier.tsv; plus the formatting every part shares.

Invariants: every figure shown is a median with its [min-max] over the repetitions (one
workload) or a geometric mean of ratios to the defaults' (several); every change beside the
defaults carries its Mann-Whitney p (gcs.stats); files are written whole (a temporary, then
renamed).
"""
import json
import math
import os
import statistics

from gcs.stats import mann_whitney_p, summary
from gcs.tune.args import METRICS, SHOWN, holds

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


def table(rows, indent=""):
    if not rows:
        return []
    w = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(max(len(r) for r in rows))]
    return [indent + "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows]


def rel(path):
    """path relative to the current directory when it lies below it, else absolute."""
    r = os.path.relpath(path)
    return os.path.abspath(path) if r.startswith("..") else r


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class Report:
    def __init__(self, args, space, store, scheduler, search):
        self.a = args
        self.space = space
        self.store = store
        self.sched = scheduler
        self.s = search
        self.text = ""           # the report, once written by write_text

    def paste_line(self, setting):
        full = dict(self.space.fixed[self.s.workloads[0]])
        full.update(setting)
        lines = []
        if self.space.collector in ("cpython", "cpython-inc"):
            info = self.space.knobinfo[self.s.workloads[0]]
            t = [full.get(f"threshold{i}", info.get(f"threshold{i}", {}).get("default")) for i in range(3)]
            if all(x is not None for x in t):
                lines.append(f"paste into Python:  import gc; gc.set_threshold({t[0]}, {t[1]}, {t[2]})")
            if full.get("enabled") == "off":
                lines.append("                    gc.disable()")
            if full.get("freeze_after_allocs"):
                lines.append(f"                    gc.freeze()   # after start-up: here after {full['freeze_after_allocs']} containers")
            if "long_lived_ratio" in setting and setting["long_lived_ratio"] != self.s.defaults.get("long_lived_ratio"):
                lines.append(f"  note: long_lived_ratio={setting['long_lived_ratio']} has no Python API: CPython 3.11 fixes it at 25%")
        elif self.space.collector == "incremental":
            info = self.space.knobinfo[self.s.workloads[0]]
            g = lambda n: full.get(n, info.get(n, {}).get("default"))
            sb = g("step_bytes")
            lines.append(f"the nearest Lua 5.4 setting:  collectgarbage(\"incremental\", {g('pause_pct')}, 100, "
                         f"{round(math.log2(sb)) if sb else 13})   -- the same heap bound (Lua's pause); Lua's pace "
                         f"is fixed (stepmul), not computed from the goal; stepsize is log2(step_bytes)")
        elif self.space.collector == "marksweep":
            info = self.space.knobinfo[self.s.workloads[0]]
            lines.append(f"the Lua equivalent:  collectgarbage(\"setpause\", {full.get('pause_pct', info['pause_pct']['default'])})")
        for w in self.s.workloads:
            sets = " ".join(f"--set {n}={v}" for n, v in self.space.knobs_of(setting, w).items())
            lines.append(f"reproduce: gcscope run --collector {self.space.collector} --workload {w} {sets}".rstrip())
        return lines


    def write_text(self):
        out = []
        obj = ", ".join(self.s.objectives)
        runs_total = self.sched.measured + self.store.reused
        out.append(f"gcscope tune: {self.space.collector} x {', '.join(self.s.workloads)}; "
                   + "; ".join(f"{n} over {len(v)} values" for n, v, _ in self.space.axes))
        meth = ("full grid" if self.s.method == "grid" else
                f"successive halving over {len(self.s.screen)} of {len(self.space.grid)} settings, rungs "
                + " -> ".join(f"{n}x{r}" for n, r in self.s.rungs))
        out.append(f"search: {meth}; {plural(self.s.reps, 'repetition')} per finished cell; "
                   f"{runs_total} runs ({self.sched.measured} measured now, {self.store.reused} reused from an earlier run)")
        if self.sched.failed:
            out.append(f"failed runs: {len(self.sched.failed)} (their cells are left out)")
        out.append(f"results: {rel(self.store.dir)}/")
        out.append("")
        one = len(self.s.workloads) == 1
        w0 = self.s.workloads[0]
        hdr = f"frontier over ({obj})" + (" — each figure the median [min-max] of the repetitions"
                                          if one else " — geometric mean over workloads of figure / defaults' figure")
        if self.space.constraints:
            hdr += "; subject to " + ", ".join(c["text"] for c in self.space.constraints)
        out.append(hdr + ":")
        if not self.s.frontier:
            out.append("  (no measured setting meets the constraints)")
        rows = []
        for s in self.s.frontier:
            w = self.s.worse.get(self.s.skey(s))
            r = [setting_text(s) + ("  (defaults)" if s == self.s.defaults else "") + ("  <- recommended" if s == self.s.best else "")
                 + (f"  (trade-off: worse {', '.join(METRICS[o][2] for o in w)})" if w and self.s.defaults_feasible else "")]
            for o in self.s.objectives:
                if one:
                    v = self.s.values(s, w0, o)
                    dim = METRICS[o][1]
                    r.append(f"{METRICS[o][2]} {fmt(statistics.median(v), dim)} [{fmt(min(v), dim)}-{fmt(max(v), dim)}]")
                else:
                    r.append(f"{METRICS[o][2]} x{self.s.score(s)[self.s.objectives.index(o)]:.3f}")
            rows.append(r)
        out += table(rows, indent="  ")
        out.append("")
        if self.s.best is None:
            out.append("recommendation: none — no setting measured in full meets " +
                       " and ".join(c["text"] for c in self.space.constraints))
            if self.space.constraints:
                close = sorted([s for s in self.s.measured_settings if self.s.complete(s)], key=self.s.infeasibility)
                if close:
                    s = close[0]
                    out.append(f"  closest: {setting_text(s)}: " + ", ".join(
                        f"{c['metric']} {fmt(self.s.med(s, w, c['metric']), METRICS[c['metric']][1])} on {w}"
                        for c in self.space.constraints for w in self.s.workloads))
            self.text = "\n".join(out) + "\n"
            return
        b, d = self.s.best, self.s.defaults
        same = b == d
        out.append(f"recommendation: {setting_text(b)}" + ("  (the defaults: no measured setting does better on balance without a trade-off)" if same else "")
                   + ("" if self.s.defaults_feasible else "  (the defaults fail " + ", ".join(
                       c["text"] for c in self.space.constraints
                       if any(not holds(c, self.s.med(d, w, c["metric"]) or 0) for w in self.s.workloads)) + ")"))
        metrics = list(self.s.objectives) + [m for m in SHOWN if m not in self.s.objectives] + \
            [c["metric"] for c in self.space.constraints if c["metric"] not in self.s.objectives and c["metric"] not in SHOWN]
        for w in self.s.workloads:
            if not one:
                out.append(f"  on {w}:")
            if same:
                rows = [["", "defaults (" + setting_text(d) + ")"]]
            else:
                rows = [["", "recommended", "defaults (" + setting_text(d) + ")", "change", "noise test"]]
            for m in metrics:
                dim = METRICS[m][1]
                vb, vd = self.s.values(b, w, m), self.s.values(d, w, m)
                if not vb or not vd:
                    continue
                mb, md = statistics.median(vb), statistics.median(vd)
                label = ("* " if m in self.s.objectives else "  ") + METRICS[m][2]
                if same:
                    rows.append([label, f"{fmt(md, dim)} [{fmt(min(vd), dim)}-{fmt(max(vd), dim)}]"])
                    continue
                ch = (mb - md) / md * 100 if md else 0.0
                p = mann_whitney_p(vb, vd)
                rows.append([label, f"{fmt(mb, dim)} [{fmt(min(vb), dim)}-{fmt(max(vb), dim)}]",
                             f"{fmt(md, dim)} [{fmt(min(vd), dim)}-{fmt(max(vd), dim)}]",
                             f"{ch:+.1f}%", "p=%.3f%s" % (p, "" if p <= 0.05 else " (within noise)")])
            out += table(rows, indent="  " if one else "    ")
        out.append(f"  (* objective; median [min-max] of {plural(self.s.reps, 'repetition')}"
                   + ("" if same else "; noise test: two-sided exact Mann-Whitney U, recommended vs defaults") + ")")
        if self.s.reps < 4:
            out.append(f"  (with {plural(self.s.reps, 'repetition')} no difference can reach p <= 0.05: the smallest p is "
                       f"{mann_whitney_p(list(range(self.s.reps)), list(range(self.s.reps, 2 * self.s.reps))):.3f}; use --reps 5)")
        if not same and self.s.defaults_feasible:
            better = [o for o in self.s.objectives if any(
                self.s.med(b, w, o) < self.s.med(d, w, o) and
                mann_whitney_p(self.s.values(b, w, o), self.s.values(d, w, o)) <= 0.05 for w in self.s.workloads)]
            if not better:
                out.append("  note: no objective is better than the defaults' beyond noise (p <= 0.05): keep the defaults, "
                           "or rerun with more --reps to tell")
        for c in self.space.constraints:
            out.append(f"  constraint {c['text']}: met on " + ", ".join(
                f"{w} ({fmt(self.s.med(b, w, c['metric']), METRICS[c['metric']][1])})" for w in self.s.workloads))
        out += ["  " + l for l in self.paste_line(b)]
        out.append("")
        out.append(f"plots: {rel(os.path.join(self.store.dir, 'frontier.png'))}"
                   + (f", {rel(os.path.join(self.store.dir, 'heatmap.png'))}" if len(self.space.axes) == 2 else ""))
        self.text = "\n".join(out) + "\n"

    # -- files -----------------------------------------------------------------------
    def write_files(self):
        names = [ax[0] for ax in self.space.axes]
        mets = list(METRICS)
        frontier_keys = {self.s.skey(s) for s in self.s.frontier}
        best = self.s.skey(self.s.best) if self.s.best else None
        cells = []
        for s in self.s.measured_settings:
            for w in self.s.workloads:
                row = {"workload": w, "knobs": s, "reps": len(self.s.values(s, w, "time")),
                       "rung": self.s.rung_of.get(self.s.skey(s), 0) if s != self.s.defaults else -1,
                       "default": s == self.s.defaults, "frontier": self.s.skey(s) in frontier_keys,
                       "recommended": self.s.skey(s) == best, "feasible": self.s.infeasibility(s) == 0,
                       "metrics": {}}
                for m in mets:
                    v = self.s.values(s, w, m)
                    if v:
                        row["metrics"][m] = summary(v)
                cells.append(row)
        meta = {"collector": self.space.collector, "workloads": self.s.workloads, "objectives": self.s.objectives,
                "constraints": [c["text"] for c in self.space.constraints], "fixed": self.space.fixed,
                "knobs": {n: {"spec": sp, "values": v} for n, v, sp in self.space.axes},
                "defaults": self.s.defaults, "method": self.s.method, "reps": self.s.reps,
                "rungs": self.s.rungs if self.s.method == "halving" else None,
                "seed": self.a["seed"], "recommended": self.s.best, "cells": cells}
        atomic_write(os.path.join(self.store.dir, "cells.json"), json.dumps(meta, indent=1) + "\n")

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

        atomic_write(os.path.join(self.store.dir, "cells.tsv"),
                     tsv_header([]) + "".join(tsv_row(c, []) for c in cells))
        fr = [c for c in cells if c["frontier"]]
        fr.sort(key=lambda c: self.s.score(c["knobs"]))
        ratio_names = [f"{o}_ratio" for o in self.s.objectives]
        atomic_write(os.path.join(self.store.dir, "frontier.tsv"),
                     tsv_header(ratio_names) + "".join(
                         tsv_row(c, ["%.6g" % x for x in self.s.score(c["knobs"])]) for c in fr))
        atomic_write(os.path.join(self.store.dir, "recommendation.txt"), self.text)
