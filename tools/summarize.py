#!/usr/bin/env python3
"""summarize.py DIR — the tables of a results folder, from its cells' JSON (standard library only).

The figures, their columns and the collector/workload order are the catalog's (`gcscope list
--json`, kept as DIR/list.json); values, percentiles and MMU are the cells' own (tools/gcs/results.py).
Writes, each whole (temporary file, then rename), with a '#' header line for gnuplot:
  cells.tsv      one row per cell: the repetition count; the median over the repetitions of every
                 figure of the catalog, of lbo_wall and lbo_cpu, and of the headline pause figures
                 (phase_*: the `steady` phase, or the whole run where a cell has none; the column
                 `phase` says which); then COLUMN_min and COLUMN_max of each of them
  <column>.tsv   one per figure: rows workload/size/allocator, a column per collector (medians)
  mmu.tsv        collector workload size allocator window_ms mmu mmu_min mmu_max phase phase_mmu
                 phase_mmu_min phase_mmu_max (whole run, then the headline phase)
and prints the summary table: median [min–max] over the repetitions. A folder whose run is
unfinished (interrupted, DIR/state) is read as it is: the cells present are tabled, the runs
DIR/plan.txt names without a JSON are listed as missing; that alone is no error (exit 0).
LBO (lbo_wall, lbo_cpu) is the collector's cost over the lower bound of the same work (see
tools/gcs/results.py): 0 = no cost measured beyond the cheapest distilled run.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gcs import results as R   # noqa: E402


def fmt(v):
    if v is None:
        return "nan"
    if isinstance(v, str):
        return v
    if float(v).is_integer() and abs(v) < 1e15:
        return "%d" % v
    return "%.6g" % v if abs(v) < 1e6 else "%.0f" % v


def mmu_curve(j):
    """[(window_ns, mmu)] of a cell's JSON or of one of its phases (computed in C)."""
    return [(m["window_ns"], R.num(m["mmu"])) for m in (j or {}).get("mmu") or []]


def tables(res):
    d = res.d
    cols = res.columns()
    numeric = [c for c in cols if c != "phase"]
    head = ["workload", "size", "allocator", "collector", "repetitions"] + cols
    head += ["%s_%s" % (c, e) for c in numeric for e in ("min", "max")]
    lines = ["# " + "\t".join(head)]
    for r in res.rows():
        for coll in res.collectors:
            c = res.cells.get(r + (coll,))
            if not c:
                continue
            vals = [c.phase if col == "phase" else fmt(c.stats[col].med) for col in cols]
            for col in numeric:
                vals += [fmt(c.stats[col].lo), fmt(c.stats[col].hi)]
            lines.append("\t".join(list(r) + [coll, str(len(c.reps))] + vals))
    R.write(os.path.join(d, "cells.tsv"), "\n".join(lines) + "\n")
    for col in numeric:
        out = ["# workload\tsize\tallocator\t" + "\t".join(res.collectors)]
        for r in res.rows():
            out.append("\t".join(r) + "\t" + "\t".join(fmt(res.med(r + (c,), col)) for c in res.collectors))
        R.write(os.path.join(d, col + ".tsv"), "\n".join(out) + "\n")
    mmu = ["# collector\tworkload\tsize\tallocator\twindow_ms\tmmu\tmmu_min\tmmu_max\tphase\tphase_mmu\t"
           "phase_mmu_min\tphase_mmu_max"]
    for r in res.rows():
        for coll in res.collectors:
            c = res.cells.get(r + (coll,))
            if not c:
                continue
            js = c.jsons()
            whole = [dict(mmu_curve(j)) for j in js]
            phase = [dict(mmu_curve(R.steady(j) if c.phase == "steady" else j)) for j in js]
            for w, _ in mmu_curve(js[0]):
                a, b = R.Stat(x.get(w) for x in whole), R.Stat(x.get(w) for x in phase)
                mmu.append("\t".join([coll] + list(r[:3]) + ["%g" % (w / 1e6)] + [fmt(v) for v in (a.med, a.lo, a.hi)] +
                                     [c.phase] + [fmt(v) for v in (b.med, b.lo, b.hi)]))
    R.write(os.path.join(d, "mmu.tsv"), "\n".join(mmu) + "\n")


# The summary's columns: (title, column of cells.tsv, format, scale); a column the catalog
# lacks is left out.
SUMMARY = [("wall s", "wall_s", "%.3f", 1), ("LBO wall", "lbo_wall", "%.2f", 1), ("LBO cpu", "lbo_cpu", "%.2f", 1),
           ("gc%", "gc_fraction", "%.1f", 100), ("p99 ms", "phase_pause_p99_ms", "%.3g", 1),
           ("max ms", "phase_pause_max_ms", "%.3g", 1), ("mmu10ms", "phase_mmu_10ms", "%.2f", 1),
           ("peak MiB", "peak_rss_mib", "%.1f", 1), ("return%", "returned_fraction", "%.0f", 100),
           ("leaked", "leaked", "%d", 1)]


def summary(res):
    have = {c for cell in res.cells.values() for c in cell.stats}
    cols = [s for s in SUMMARY if s[1] in have]
    table = [["workload", "allocator", "collector", "pauses of"] + [s[0] for s in cols]]
    for r in res.rows():
        for coll in res.collectors:
            c = res.cells.get(r + (coll,))
            if not c:
                continue
            table.append([r[0] if r[1] in R.MAIN_SIZES else r[0] + "/" + r[1], r[2], coll, c.phase] +
                         [c.stats[col].show(fm, sc) for _t, col, fm, sc in cols])
        table.append(None)
    width = [max(len(row[i]) for row in table if row) for i in range(len(table[0]))]
    for n, row in enumerate(table):
        if row is None:
            print()
            continue
        print("  ".join(("%-*s" if i < 4 else "%*s") % (width[i], v) for i, v in enumerate(row)))
        if n == 0:
            print("-" * (sum(width) + 2 * (len(width) - 1)))
    reps = sorted({len(c.reps) for c in res.cells.values()})
    print("median [min–max] over %s repetition(s); LBO: total / least distilled cost of the work - 1%s; "
          "p99/max/mmu10ms: the `pauses of` phase (steady: from the mark `built` on)." %
          ("/".join(map(str, reps)), "" if res.lbo_exact else
           " (CPU LBO approximate: no pause CPU time in the cells; the pauses' wall time times the run's CPU share stands in)"))


def missing(res):
    """Names the planned runs that have no JSON, and why that may be."""
    if not res.missing:
        return
    why = ("the run was interrupted: make bench RESUME=%s runs them" % res.d if res.state == "interrupted" else
           "failed, or not run yet")
    print("missing: %d of the %d planned runs (%s): %s" % (len(res.missing), len(res.planned), why,
                                                          " ".join(res.missing)))


def main(d):
    try:
        res = R.Results(d)
    except R.SchemaError as e:
        sys.exit("summarize: %s" % e)
    for p, e in res.errors:
        print("summarize: %s: %s" % (p, e), file=sys.stderr)
    if not res.cells:
        missing(res)
        sys.exit("summarize: no cells in %s/cells" % d)
    tables(res)
    summary(res)
    missing(res)
    return 1 if res.errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summarize.py RESULTS_DIR")
    status = main(sys.argv[1])
    failed = R.failures(sys.argv[1])
    for name, msg in failed:
        print("FAILED %s: %s" % (name, msg), file=sys.stderr)
    if failed:
        sys.exit("summarize: %d cell(s) failed" % len(failed))
    sys.exit(status)
