#!/usr/bin/env python3
"""summarize.py DIR — the tables of a results folder, from its cells' JSON (standard library only).

Writes, each whole (temporary file, then rename), with a '#' header line for gnuplot:
  cells.tsv             one row per cell (medians over its repetitions), every figure
  <figure>.tsv          one per figure: rows workload/size/allocator, a column per collector
  mmu.tsv               collector workload size allocator window_ms mmu
and prints the summary table. Overhead is wall time over the `none` floor's on the same
workload, size and allocator: a lower bound on what the collector costs.
"""
import glob, json, math, os, statistics, sys

FIGURES = [  # (file/column name, how to read it from a cell's JSON, format)
    ("wall_s", lambda d: d["time"]["wall_ns"] / 1e9, "%.3f"),
    ("gc_fraction", lambda d: d["time"]["gc_fraction"], "%.3f"),
    ("pauses", lambda d: d["pauses"]["count"], "%d"),
    ("pause_p50_ms", lambda d: d["pauses"]["p50_ns"] / 1e6, "%.6g"),
    ("pause_p99_ms", lambda d: d["pauses"]["p99_ns"] / 1e6, "%.6g"),
    ("pause_max_ms", lambda d: d["pauses"]["max_ns"] / 1e6, "%.6g"),
    ("mmu_1ms", lambda d: mmu_at(d, 1e6), "%.3f"),
    ("mmu_10ms", lambda d: mmu_at(d, 1e7), "%.3f"),
    ("peak_rss_mib", lambda d: d["memory"]["peak_rss_bytes"] / 2**20, "%.1f"),
    ("rss_after_release_mib", lambda d: d["memory"]["rss_after_release_bytes"] / 2**20, "%.1f"),
    ("returned_fraction", lambda d: d["memory"]["returned_fraction"], "%.3f"),
    ("allocated_per_s", lambda d: d["objects"]["allocated_per_s"], "%.0f"),
    ("leaked", lambda d: d["objects"]["leaked"], "%d"),
]

def mmu_at(d, window_ns):
    for m in d["mmu"]:
        if m["window_ns"] == window_ns: return m["mmu"]
    return None

def med(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else None

def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f: f.write(text)
    os.replace(tmp, path)

def fmt(fm, v):
    return "nan" if v is None else fm % v

def main(d):
    cells = {}
    for p in sorted(glob.glob(os.path.join(d, "cells", "*.json"))):
        coll, wl, size, alloc, _rep = os.path.basename(p)[:-5].rsplit(".", 4)
        try:
            cells.setdefault((wl, size, alloc, coll), []).append(json.load(open(p)))
        except (OSError, ValueError) as e:
            sys.exit("summarize: %s: %s" % (p, e))
    if not cells:
        sys.exit("summarize: no cells in %s/cells" % d)
    collectors = []
    for (_, _, _, c) in cells:
        if c not in collectors: collectors.append(c)
    order = ["none", "rc", "cpython", "cpython-inc", "marksweep", "incremental"]
    collectors.sort(key=lambda c: (order.index(c) if c in order else len(order), c))
    rows = sorted({k[:3] for k in cells})
    fig = {}
    for key, runs in cells.items():
        fig[key] = {name: med([get(r) for r in runs]) for name, get, _ in FIGURES}
        fig[key]["repetitions"] = len(runs)
    for key in fig:
        floor = fig.get(key[:3] + ("none",))
        w, f = fig[key]["wall_s"], floor and floor["wall_s"]
        fig[key]["overhead"] = (w / f) if (w is not None and f) else None
    figures = FIGURES + [("overhead", None, "%.2f")]

    lines = ["# workload\tsize\tallocator\tcollector\trepetitions\t" + "\t".join(n for n, _, _ in figures)]
    for key in sorted(fig):
        lines.append("\t".join(key[:3] + (key[3], str(fig[key]["repetitions"]))) + "\t" +
                     "\t".join(fmt(fm, fig[key][n]) for n, _, fm in figures))
    write(os.path.join(d, "cells.tsv"), "\n".join(lines) + "\n")
    for name, _, fm in figures:
        out = ["# workload\tsize\tallocator\t" + "\t".join(collectors)]
        for r in rows:
            out.append("\t".join(r) + "\t" + "\t".join(fmt(fm, fig.get(r + (c,), {}).get(name)) for c in collectors))
        write(os.path.join(d, name + ".tsv"), "\n".join(out) + "\n")
    mmu = ["# collector\tworkload\tsize\tallocator\twindow_ms\tmmu"]
    for (wl, size, alloc, coll), runs in sorted(cells.items()):
        for m in runs[0]["mmu"]:
            mmu.append("%s\t%s\t%s\t%s\t%g\t%s" % (coll, wl, size, alloc, m["window_ns"] / 1e6,
                       fmt("%.4f", med([mm["mmu"] for r in runs for mm in r["mmu"] if mm["window_ns"] == m["window_ns"]]))))
    write(os.path.join(d, "mmu.tsv"), "\n".join(mmu) + "\n")

    head = "%-16s %-9s %-12s %9s %8s %6s %9s %9s %8s %9s %8s %8s" % (
        "workload", "allocator", "collector", "wall_s", "overhead", "gc%", "p99_ms", "max_ms", "mmu10ms",
        "peakMiB", "return%", "leaked")
    print(head)
    print("-" * len(head))
    for r in rows:
        for c in collectors:
            f = fig.get(r + (c,))
            if not f: continue
            g = lambda n, fm: fmt(fm, f[n])
            print("%-16s %-9s %-12s %9s %8s %6s %9s %9s %8s %9s %8s %8s" % (
                r[0] if r[1] == "default" else r[0] + "/" + r[1], r[2], c, g("wall_s", "%.3f"),
                g("overhead", "%.2f"), fmt("%.1f", f["gc_fraction"] * 100 if f["gc_fraction"] is not None else None),
                g("pause_p99_ms", "%.3f"), g("pause_max_ms", "%.3f"), g("mmu_10ms", "%.3f"),
                g("peak_rss_mib", "%.1f"), fmt("%.0f", f["returned_fraction"] * 100 if f["returned_fraction"] is not None else None),
                g("leaked", "%d")))
        print()

def failures(d):
    """The cells Google Benchmark reported as failed (from gbench.json), as (name, message)."""
    try:
        gb = json.load(open(os.path.join(d, "gbench.json")))
    except (OSError, ValueError):
        return []
    return [(b["name"], b.get("error_message", "")) for b in gb.get("benchmarks", []) if b.get("error_occurred")]

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summarize.py RESULTS_DIR")
    main(sys.argv[1])
    failed = failures(sys.argv[1])
    for name, msg in failed:
        print("FAILED %s: %s" % (name, msg), file=sys.stderr)
    if failed:
        sys.exit("summarize: %d cell(s) failed" % len(failed))
