#!/usr/bin/env python3
"""plotdata.py — the data behind a results folder's figures, and its report (standard library only).

  plotdata.py data DIR      write DIR/plots/data/*.tsv (gnuplot's input, reshaped from DIR's
                            cells/, cells.tsv, mmu.tsv and scaling/) and print one job a line:
                              SCRIPT<TAB>IMAGE<TAB>gnuplot -e assignments
                            tools/plots.sh runs each as `gnuplot -e "...; out='...'" plots/SCRIPT`.
  plotdata.py scaling DIR   write DIR/scaling.tsv: pause p99 and max against the live heap, from
                            DIR/scaling/ (driver/scaling.sh) and the matrix's live-heap cells.
  plotdata.py report DIR    write DIR/report.md (tools/gcs/report.py).

Reads only what `make bench` wrote; never runs a cell. The collector, workload and allocator
order and every figure's value come through tools/gcs/results.py (the catalog and the cells'
JSON): percentiles, pause fusion and MMU are the C side's, read here, never recomputed. The one
thing drawn from the raw pause log is the pause-time CDF: the logged durations of the headline
phase, sorted (a nested pause would be drawn apart from its outer one; the JSON's counts fuse
them, and the figure's key says when the two differ).
Every file is written whole (temporary name, then rename). Data files are whitespace TSV with a
'#' header; a figure with one line per collector gets one data block per collector (blocks
separated by two blank lines, gnuplot's `index`), in the catalog's collector order, so block i
is collector i.
"""
import glob, math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gcs import results as R   # noqa: E402
from gcs.figures import (PHASE_LABEL, fmt_ms, label, logged_pauses, phase_label,  # noqa: E402
                         scaling_points, scaling_quiet, tag, workload_figure)

MAJOR = {"full", "atomic"}         # pause kinds that are whole-heap collections
MINOR = {"collect": "young", "step": "steps"}   # young-generation collections, incremental steps
CDF_POINTS = 2500                  # CDF points per collector kept below the top 1%

WRITTEN = set()   # the files this run of plotdata wrote


def write(path, text):
    WRITTEN.add(os.path.abspath(path))
    R.write(path, text)


def gq(s):
    """A gnuplot string literal (single quotes: no escapes inside)."""
    return "'" + str(s).replace("'", "’") + "'"


def words(items):
    """A gnuplot word list: word(list, i) gives items[i-1], spaces inside an item kept."""
    return gq(" ".join('"%s"' % str(i).replace('"', "”") for i in items))


# --- figure data ----------------------------------------------------------------------------------

def cdf_points(durs):
    durs = sorted(durs)
    n = len(durs)
    if n <= CDF_POINTS * 1.2:
        idx = range(n)
    else:
        top = max(int(n * 0.01), 1)
        body = n - top
        step = body / CDF_POINTS
        idx = sorted({int(i * step) for i in range(CDF_POINTS)} | set(range(body, n)))
    # from 0 at the shortest pause, so that `steps` draws the first rise (and a lone pause at all)
    return [(durs[0] / 1e6, 0.0)] + [(durs[i] / 1e6, (i + 1) / n) for i in idx] if n else []


ORDER = {}   # allcolls, allallocs: the catalog's orders, given to every script (plots/style.gp)


def job(jobs, script, image, **v):
    v.update(ORDER)
    jobs.append("%s\t%s\t%s" % (script, image, "; ".join("%s=%s" % kv for kv in v.items())))


def data(d):
    res = R.Results(d)
    if not res.cells:
        sys.exit("plotdata: no cells in %s/cells" % d)
    dd = os.path.join(d, "plots", "data")
    os.makedirs(dd, exist_ok=True)
    rel = lambda name: gq(os.path.join(dd, name))
    jobs = []
    colls = res.collectors
    ORDER.update(allcolls=words(res.cat.order(res.cat.collectors + colls)),
                 allallocs=words(res.cat.order(res.cat.allocators + res.allocators(), "allocators")))

    for wl in res.workloads:
        for size in res.sizes(wl):
            alloc = res.main_alloc(wl, size)
            t = tag(wl, size, alloc, alloc)
            present = [c for c in colls if (wl, size, alloc, c) in res.cells]
            if not present:
                continue
            keys = [(wl, size, alloc, c) for c in present]
            what = phase_label(res, keys)
            # pause-time CDF of the headline phase: one block per collector, every repetition pooled
            blocks, titles = [], []
            for k in keys:
                cell, c = res.cells[k], k[3]
                durs = [p[1] for _rep, prefix, j in cell.reps for p in logged_pauses(prefix, j, cell.phase)]
                fused = sum(int(R.num(R.lookup(R.steady(j) if cell.phase == "steady" else j, "pauses.count")) or 0)
                            for j in cell.jsons())
                pts = cdf_points(durs)
                rows = ["# %s: pause_ms fraction_of_pauses_at_most (%s)" % (c, PHASE_LABEL[cell.phase])]
                rows += ["%.6g\t%.6g" % p for p in pts] or ["nan\tnan"]
                blocks.append("\n".join(rows))
                mx = cell.stats.get("phase_pause_max_ms")
                ti = "%s: no pauses" % c
                if durs:
                    ti = "%s: %s pause%s, max %s" % (c, format(len(durs), ","), "" if len(durs) == 1 else "s",
                                                     fmt_ms(mx.hi if mx and mx.n else max(durs) / 1e6))
                    if fused != len(durs):
                        ti += " (%s nested drawn apart)" % format(len(durs) - fused, ",")
                titles.append(ti)
            write(os.path.join(dd, "pauses.%s.tsv" % t), "\n\n\n".join(blocks) + "\n")
            if any(not ti.endswith(": no pauses") for ti in titles):   # else nothing to draw
                reps = max(len(res.cells[k].reps) for k in keys)
                job(jobs, "pauses.gp", "pauses-%s" % t, data=rel("pauses.%s.tsv" % t),
                    ttl=gq("Pause times, %s — %s%s" % (label(wl, size), what,
                                                      "" if reps == 1 else ", %d repetitions pooled" % reps)),
                    colls=words(present), titles=words(titles), n=len(present))

            # MMU of the headline phase: one block per collector (median over repetitions, from mmu.tsv)
            mmu = {}
            for r in R.read_tsv(os.path.join(d, "mmu.tsv")):
                if len(r) >= 10 and tuple(r[1:4]) == (wl, size, alloc):
                    mmu.setdefault(r[0], []).append((float(r[4]), R.num(r[9])))
            if mmu:
                blocks = []
                for c in present:
                    rows = ["# %s: window_ms mmu" % c]
                    rows += ["%g\t%s" % (w, "nan" if m is None else "%.4f" % m) for w, m in mmu.get(c, [])] or ["nan\tnan"]
                    blocks.append("\n".join(rows))
                write(os.path.join(dd, "mmu.%s.tsv" % t), "\n\n\n".join(blocks) + "\n")
                mtitles = [c if res.med(k, "phase_pauses") else "%s (never paused)" % c for k, c in zip(keys, present)]
                job(jobs, "mmu.gp", "mmu-%s" % t, data=rel("mmu.%s.tsv" % t),
                    ttl=gq("Minimum mutator utilization, %s — %s" % (label(wl, size), what)), colls=words(present),
                    titles=words(mtitles), n=len(present))

            # RSS over time (first repetition) with the collections marked
            rblocks, mblocks, titles, notes, notes2, ymaxs, ends, tmax = [], [], [], [], [], [], [], 0.0
            for c in present:
                _rep, prefix, j = res.cells[(wl, size, alloc, c)].reps[0]
                rss = [(float(r[0]) / 1e3, int(r[1]) / 2**20) for r in R.read_tsv(prefix + ".rss.tsv") if len(r) >= 2]
                # the checkpoints are exact readings too (after_release comes after the sampler stops)
                rss = sorted(rss + [(m["t_ns"] / 1e9, m["rss_bytes"] / 2**20) for m in j["memory"].get("checkpoints", [])
                                    if m.get("rss_bytes")])
                if rss:
                    tmax = max(tmax, rss[-1][0])
                rows = ["# %s: t_s rss_mib" % c] + ["%.4f\t%.3f" % p for p in rss]
                rblocks.append("\n".join(rows if rss else rows + ["nan\tnan"]))
                nmaj, nmin = 0, {}
                marks = ["# %s: t_s major(1)/minor(0) duration_ms (one mark per kind per %s of the run)" % (c, "1/2000")]
                bin_s = max(rss[-1][0] if rss else 0, j["time"]["wall_ns"] / 1e9) / 2000 or 1e-9
                seen = set()   # (bin, major): marks closer than a pixel are drawn once
                for r in R.read_tsv(prefix + ".pauses.tsv"):
                    if len(r) < 5:
                        continue
                    kind, gen = r[3], int(r[4])
                    major = kind in MAJOR or (kind == "collect" and gen >= 2)
                    if not major and kind not in MINOR:
                        continue   # RC cascades are not collections
                    nmaj += major
                    if not major:
                        nmin[kind] = nmin.get(kind, 0) + 1
                    t_s = float(r[0]) / 1e3
                    if (int(t_s / bin_s), major) in seen:
                        continue
                    seen.add((int(t_s / bin_s), major))
                    marks.append("%.5f\t%d\t%.4f" % (t_s, major, float(r[2]) / 1e6))
                if len(marks) == 1:
                    marks.append("nan\tnan\tnan")
                mblocks.append("\n".join(marks))
                peak = j["memory"]["peak_rss_bytes"] / 2**20
                ymaxs.append("%.4g" % (max([peak] + [r[1] for r in rss]) * 1.35 or 1))
                ends.append("%.4f" % (j["time"]["wall_ns"] / 1e9))
                parts = ["peak %.1f MiB" % peak]
                if nmaj:
                    parts.append("%s full" % format(nmaj, ","))
                parts += ["%s %s" % (format(nmin[k], ","), MINOR[k]) for k in MINOR if nmin.get(k)]
                titles.append(c)
                notes.append(parts[0])
                notes2.append(", ".join(parts[1:]) or "no collections")
            write(os.path.join(dd, "rss.%s.tsv" % t), "\n\n\n".join(rblocks) + "\n")
            write(os.path.join(dd, "marks.%s.tsv" % t), "\n\n\n".join(mblocks) + "\n")
            job(jobs, "rss.gp", "rss-%s" % t, data=rel("rss.%s.tsv" % t), marks=rel("marks.%s.tsv" % t),
                ttl=gq("RSS over time, %s" % label(wl, size, alloc)), colls=words(present), titles=words(titles),
                notes=words(notes), notes2=words(notes2), ymaxs=words(ymaxs), ends=words(ends), n=len(present), tmax="%.4f" % max(tmax, 1e-3))

    # throughput: rows workload (main allocator, each size), per collector the wall time over
    # the work's lower bound (LBO + 1: median, min, max) and the allocation rate
    rows, ratios, rates = [], [], []
    for wl in res.workloads:
        for size in res.sizes(wl):
            alloc = res.main_alloc(wl, size)
            key = lambda c: (wl, size, alloc, c)
            if not any(key(c) in res.cells for c in colls):
                continue
            vals = []
            for c in colls:
                o, a = res.get(key(c), "lbo_wall"), res.med(key(c), "allocated_per_s")
                if o is None or o.med is None:
                    vals += ["nan"] * 3
                else:
                    vals += ["%.4f" % (1 + x) for x in (o.med, o.lo, o.hi)]
                    ratios += [1 + o.lo, 1 + o.hi]
                vals.append("nan" if not a else "%.6g" % (a / 1e6))
                rates += [a / 1e6] if a else []
            rows.append("%s\t%s" % (wl if size in R.MAIN_SIZES else "%s/%s" % (wl, size), "\t".join(vals)))
    if rows:
        head = "# workload\t" + "\t".join("%s_lbo1\t%s_lbo1_min\t%s_lbo1_max\t%s_Mobj_per_s" % (c, c, c, c) for c in colls)
        write(os.path.join(dd, "throughput.tsv"), head + "\n" + "\n".join(rows) + "\n")
        job(jobs, "throughput.gp", "throughput", data=rel("throughput.tsv"), colls=words(colls),
            titles=words(colls), n=len(colls), nrows=len(rows), **log_range("o", ratios + [1.0]),
            **log_range("r", rates or [1.0]))

    # memory, all workloads on the main allocator: peak RSS and RSS after release per collector
    rows, mems = [], []
    for wl in res.workloads:
        for size in res.sizes(wl):
            alloc = res.main_alloc(wl, size)
            vals = []
            for c in colls:
                p, a = res.med((wl, size, alloc, c), "peak_rss_mib"), res.med((wl, size, alloc, c), "rss_after_release_mib")
                vals += ["nan" if not p else "%.2f" % p, "nan" if not a else "%.2f" % a]
                mems += [v for v in (p, a) if v]
            rows.append("%s\t%s" % (wl if size in R.MAIN_SIZES else "%s/%s" % (wl, size), "\t".join(vals)))
    if rows:
        head = "# workload\t" + "\t".join("%s_peak_mib\t%s_after_release_mib" % (c, c) for c in colls)
        write(os.path.join(dd, "memory.tsv"), head + "\n" + "\n".join(rows) + "\n")
        job(jobs, "memory.gp", "memory", data=rel("memory.tsv"), colls=words(colls), titles=words(colls),
            n=len(colls), nrows=len(rows), **log_range("m", mems or [1.0]))

    # memory returned, per collector × allocator, for the workloads run under several allocators:
    # peak RSS and RSS after release, the share of the freed bytes returned after release, and
    # (fragment) the workload's own figure: the share returned once part of the heap died
    for wl in res.workloads:
        for size in res.sizes(wl):
            allocs = res.allocators(wl, size)
            if len(allocs) < 2:
                continue
            present = [c for c in colls if any((wl, size, a, c) in res.cells for a in allocs)]
            t = tag(wl, size, "", "")
            rows = ["# collector\t" + "\t".join("%s_peak_mib\t%s_after_release_mib\t%s_returned_pct\t%s_workload_returned_pct"
                                                  % (a, a, a, a) for a in allocs)]
            mems, pcts, figs = [], [100.0], []
            for c in present:
                vals = []
                for a in allocs:
                    k = (wl, size, a, c)
                    p, r, f = res.med(k, "peak_rss_mib"), res.med(k, "rss_after_release_mib"), res.med(k, "returned_fraction")
                    w = workload_figure(res, k, "returned_fraction")
                    vals += ["nan" if not p else "%.2f" % p, "nan" if not r else "%.2f" % r,
                             "nan" if f is None else "%.2f" % (100 * f), "nan" if w is None else "%.2f" % (100 * w)]
                    mems += [v for v in (p, r) if v]
                    pcts += [100 * v for v in (f, w) if v is not None]
                    figs += [w] if w is not None else []
                rows.append(c + "\t" + "\t".join(vals))
            write(os.path.join(dd, "returned.%s.tsv" % t), "\n".join(rows) + "\n")
            params = next((c.reps[0][2].get("params", {}) for kk, c in res.cells.items() if kk[:2] == (wl, size)), {})
            if "free_pct" in params:
                figttl = "after freeing %s%% %s" % (params["free_pct"], "one by one" if params.get("batch", 1) == 1
                                                    else "in runs of %s" % params["batch"])
            else:
                figttl = "the workload's own figure"
            job(jobs, "returned.gp", "returned-%s" % t, data=rel("returned.%s.tsv" % t),
                ttl=gq("Memory returned to the OS, %s" % label(wl, size)), allocs=words(allocs),
                na=len(allocs), nrows=len(present), pmax="%g" % (math.ceil(max(pcts) / 25.0) * 25),
                hasfig=1 if figs else 0, figttl=gq(figttl), **log_range("m", mems or [1.0]))

    # scaling: max and p99 pause against the live heap (scaling/ runs, and live-heap cells at several sizes)
    pts = scaling_points(res)
    if pts:
        present = res.cat.order({p[0] for p in pts})
        blocks, titles = [], []
        for c in present:
            mine = sorted(p[1:] for p in pts if p[0] == c)
            rows = ["# %s: live_objects live_mib pause_p99_ms pause_max_ms pauses max_kind" % c]
            rows += ["%d\t%.3f\t%.6g\t%.6g\t%d\t%s" % q[:6] for q in mine]
            blocks.append("\n".join(rows))
            kinds = {q[5] for q in mine[-2:]}   # what the longest pauses are at the largest heaps
            titles.append(c + (" (RC free cascade)" if kinds == {"cascade"} else ""))
        write(os.path.join(dd, "scaling.tsv"), "\n\n\n".join(blocks) + "\n")
        quiet = scaling_quiet(res, pts)
        phases = {p[6] for p in pts}
        job(jobs, "scaling.gp", "scaling", data=rel("scaling.tsv"), colls=words(present), titles=words(titles),
            n=len(present), quiet=words(quiet), quiettitles=words([c + " (never paused once built)" for c in quiet]),
            nq=len(quiet), ttl=gq("Pauses against the live heap (live-heap, churn beside it; %s)" %
                                  (PHASE_LABEL[phases.pop()] if len(phases) == 1 else "steady phase or whole run")))
    write(os.path.join(dd, "jobs.txt"), "\n".join(jobs) + "\n")
    for stale in glob.glob(os.path.join(dd, "*.tsv")):   # an earlier drawing's, not redrawn
        if os.path.abspath(stale) not in WRITTEN:
            os.remove(stale)
    print("\n".join(jobs))


def log_range(prefix, values):
    """{prefix+'min', prefix+'max'}: decade bounds around values, for a log axis whose bars
    start at its bottom."""
    lo, hi = min(values), max(values)
    return {prefix + "min": "%g" % 10 ** math.floor(math.log10(lo) - 0.001),
            prefix + "max": "%g" % 10 ** math.ceil(math.log10(hi) + 0.001)}


def scaling_table(d):
    """DIR/scaling.tsv: the scaling points as one table (what the scaling figure draws)."""
    pts = scaling_points(R.Results(d))
    rows = ["# collector\tlive_objects\tlive_mib\tpause_p99_ms\tpause_max_ms\tpauses\tmax_kind\tphase"]
    rows += ["%s\t%d\t%.3f\t%.6g\t%.6g\t%d\t%s\t%s" % p for p in pts]
    write(os.path.join(d, "scaling.tsv"), "\n".join(rows) + "\n")
    print("plotdata: %d scaling points in %s" % (len(pts), os.path.join(d, "scaling.tsv")), file=sys.stderr)


def report(d):
    from gcs import report as rep
    rep.report(d)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("data", "report", "scaling"):
        sys.exit("usage: plotdata.py data|report|scaling RESULTS_DIR")
    if not os.path.isdir(sys.argv[2]):
        sys.exit("plotdata: %s: not a results folder" % sys.argv[2])
    try:
        {"data": data, "report": report, "scaling": scaling_table}[sys.argv[1]](sys.argv[2])
    except R.SchemaError as e:
        sys.exit("plotdata: %s" % e)
