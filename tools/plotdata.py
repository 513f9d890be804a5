#!/usr/bin/env python3
"""plotdata.py — the data behind a results folder's figures, and its report (standard library only).

  plotdata.py data DIR      write DIR/plots/data/*.tsv (gnuplot's input, reshaped from DIR's
                            cells/, cells.tsv, mmu.tsv and scaling/) and print one job a line:
                              SCRIPT<TAB>IMAGE<TAB>gnuplot -e assignments
                            tools/plots.sh runs each as `gnuplot -e "...; out='...'" plots/SCRIPT`.
  plotdata.py scaling DIR   write DIR/scaling.tsv: pause p99 and max against the live heap, from
                            DIR/scaling/ (driver/scaling.sh) and the matrix's live-heap cells.
  plotdata.py report DIR    write DIR/report.md: what ran, where, with which options, the
                            summary tables and every image in DIR/plots/ with what it shows.

Reads only what `make bench` wrote; never runs a cell. Every file is written whole (temporary
name, then rename). Data files are whitespace TSV with a '#' header; a figure with one line per
collector gets one data block per collector (blocks separated by two blank lines, gnuplot's
`index`), in the collector order of the tables, so block i is collector i.
"""
import glob, json, math, os, re, statistics, sys

ORDER = ["none", "rc", "cpython", "cpython-inc", "marksweep", "incremental",
         "py", "lua-inc", "lua-gen", "boehm", "boehm-inc"]
ALLOC_ORDER = ["arena", "system", "jemalloc"]
MAJOR = {"full", "atomic"}         # pause kinds that are whole-heap collections
MINOR = {"collect", "step"}        # young-generation collections and incremental steps
CDF_POINTS = 2500                  # CDF points per collector kept below the top 1%


WRITTEN = set()   # the files this run of plotdata wrote


def write(path, text):
    WRITTEN.add(os.path.abspath(path))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def corder(names):
    return sorted(names, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c))


def aorder(names):
    return sorted(names, key=lambda a: (ALLOC_ORDER.index(a) if a in ALLOC_ORDER else 9, a))


def gq(s):
    """A gnuplot string literal (single quotes: no escapes inside)."""
    return "'" + str(s).replace("'", "’") + "'"


def words(items):
    """A gnuplot word list: word(list, i) gives items[i-1], spaces inside an item kept."""
    return gq(" ".join('"%s"' % str(i).replace('"', "”") for i in items))


def fmt_ms(ms):
    if ms is None:
        return "–"
    if ms >= 1000:
        return "%.2f s" % (ms / 1000)
    if ms >= 1:
        return "%.3g ms" % ms
    if ms >= 0.001:
        return "%.3g µs" % (ms * 1000)
    return "%.0f ns" % (ms * 1e6)


# --- reading a results folder -------------------------------------------------------------------

class Run:
    def __init__(self, d):
        self.d = d
        self.info = self.load_json("run.json") or {}
        self.cells = {}    # (wl, size, alloc, coll) -> [(rep, prefix, json)]
        for p in sorted(glob.glob(os.path.join(d, "cells", "*.json"))):
            parts = os.path.basename(p)[:-5].rsplit(".", 4)
            if len(parts) != 5:
                continue
            coll, wl, size, alloc, rep = parts
            try:
                j = json.load(open(p))
            except (OSError, ValueError) as e:
                print("plotdata: skipping %s: %s" % (p, e), file=sys.stderr)
                continue
            self.cells.setdefault((wl, size, alloc, coll), []).append((rep, p[:-5], j))
        self.table = {}    # (wl, size, alloc, coll) -> {figure: str}
        self.figures = []
        path = os.path.join(d, "cells.tsv")
        if os.path.exists(path):
            lines = [l.rstrip("\n") for l in open(path) if l.strip()]
            head = lines[0].lstrip("# ").split("\t")
            self.figures = head[5:]
            for l in lines[1:]:
                f = l.split("\t")
                row = dict(zip(head, f))
                self.table[tuple(f[:4])] = row
        self.collectors = corder({k[3] for k in self.cells} | {k[3] for k in self.table})
        self.workloads = sorted({k[0] for k in self.cells} | {k[0] for k in self.table})
        self.failures = []
        gb = self.load_json("gbench.json") or {}
        self.gbench_context = gb.get("context", {})
        for b in gb.get("benchmarks", []):
            if b.get("error_occurred"):
                self.failures.append((b["name"].split("/iterations")[0], b.get("error_message", "")))

    def load_json(self, name):
        try:
            return json.load(open(os.path.join(self.d, name)))
        except (OSError, ValueError):
            return None

    def jfig(self, key, get):
        """A figure read from the cells' JSON (full precision), the median over repetitions."""
        vals = []
        for _rep, _p, j in self.cells.get(key, []):
            try:
                v = get(j)
            except (KeyError, TypeError):
                continue
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                vals.append(v)
        return statistics.median(vals) if vals else None

    def fig(self, key, name):
        row = self.table.get(key)
        return num(row.get(name)) if row else None

    def rows(self):
        """(workload, size, allocator) rows present, sorted."""
        return sorted({k[:3] for k in self.cells} | {k[:3] for k in self.table},
                      key=lambda r: (r[0], r[1] != "default", r[1], ALLOC_ORDER.index(r[2]) if r[2] in ALLOC_ORDER else 9, r[2]))

    def main_alloc(self, wl, size):
        allocs = aorder({k[2] for k in list(self.cells) + list(self.table) if k[0] == wl and k[1] == size})
        return allocs[0] if allocs else None

    def sizes(self, wl):
        s = {k[1] for k in list(self.cells) + list(self.table) if k[0] == wl}
        return sorted(s, key=lambda x: (x != "default", x))


def read_tsv(path):
    rows = []
    try:
        for line in open(path):
            if line.startswith("#") or not line.strip():
                continue
            rows.append(line.rstrip("\n").split("\t"))
    except OSError:
        pass
    return rows


def tag(wl, size, alloc, main_alloc="arena"):
    t = wl
    if size != "default":
        t += "." + size
    if alloc != main_alloc:
        t += "." + alloc
    return t


def label(wl, size, alloc=None):
    s = wl + ("" if size == "default" else " (%s)" % size)
    return s + ("" if alloc is None else ", %s allocator" % alloc)


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


def pause_durations(prefix, wall_ns):
    """The run's pauses in ns, as the cell's JSON counts them: those starting before the run's
    end (not the release phase's collection), nested intervals fused into the outer one."""
    iv = []
    for r in read_tsv(prefix + ".pauses.tsv"):
        if len(r) >= 3 and float(r[0]) * 1e6 < wall_ns:
            s = float(r[0]) * 1e6
            iv.append((s, s + float(r[2])))
    iv.sort()
    out, cur = [], None
    for s, e in iv:
        if cur and s < cur[1]:
            cur[1] = max(cur[1], e)
            continue
        if cur:
            out.append(cur[1] - cur[0])
        cur = [s, e]
    if cur:
        out.append(cur[1] - cur[0])
    return out


def job(jobs, script, image, **v):
    jobs.append("%s\t%s\t%s" % (script, image, "; ".join("%s=%s" % kv for kv in v.items())))


def data(d):
    run = Run(d)
    if not run.cells:
        sys.exit("plotdata: no cells in %s/cells" % d)
    dd = os.path.join(d, "plots", "data")
    os.makedirs(dd, exist_ok=True)
    rel = lambda name: gq(os.path.join(dd, name))
    jobs = []
    colls = run.collectors

    for wl in run.workloads:
        for size in run.sizes(wl):
            alloc = run.main_alloc(wl, size)
            t = tag(wl, size, alloc, alloc)
            present = [c for c in colls if (wl, size, alloc, c) in run.cells]
            if not present:
                continue
            # pause-time CDF: one block per collector, pauses of every repetition pooled
            blocks, titles = [], []
            for c in present:
                durs = []
                for _rep, prefix, j in run.cells[(wl, size, alloc, c)]:
                    durs += pause_durations(prefix, j["time"]["wall_ns"])
                pts = cdf_points(durs)
                rows = ["# %s: pause_ms fraction_of_pauses_at_most" % c]
                rows += ["%.6g\t%.6g" % p for p in pts] or ["nan\tnan"]
                blocks.append("\n".join(rows))
                titles.append("%s: %s pause%s, max %s" % (c, format(len(durs), ","), "" if len(durs) == 1 else "s",
                                                          fmt_ms(max(durs) / 1e6))
                              if durs else "%s: no pauses" % c)
            write(os.path.join(dd, "pauses.%s.tsv" % t), "\n\n\n".join(blocks) + "\n")
            if any(not ti.endswith(": no pauses") for ti in titles):   # else nothing to draw
                job(jobs, "pauses.gp", "pauses-%s" % t, data=rel("pauses.%s.tsv" % t),
                    ttl=gq("Pause times, %s" % label(wl, size)), colls=words(present), titles=words(titles),
                    n=len(present))

            # MMU: one block per collector (median over repetitions, from mmu.tsv)
            mmu = {}
            for r in read_tsv(os.path.join(d, "mmu.tsv")):
                if len(r) == 6 and tuple(r[1:4]) == (wl, size, alloc):
                    mmu.setdefault(r[0], []).append((float(r[4]), num(r[5])))
            if mmu:
                blocks = []
                for c in present:
                    rows = ["# %s: window_ms mmu" % c]
                    rows += ["%g\t%s" % (w, "nan" if m is None else "%.4f" % m) for w, m in mmu.get(c, [])] or ["nan\tnan"]
                    blocks.append("\n".join(rows))
                write(os.path.join(dd, "mmu.%s.tsv" % t), "\n\n\n".join(blocks) + "\n")
                mtitles = [c if run.fig((wl, size, alloc, c), "pauses") else "%s (never paused)" % c for c in present]
                job(jobs, "mmu.gp", "mmu-%s" % t, data=rel("mmu.%s.tsv" % t),
                    ttl=gq("Minimum mutator utilization, %s" % label(wl, size)), colls=words(present),
                    titles=words(mtitles), n=len(present))

            # RSS over time (first repetition) with the collections marked
            rblocks, mblocks, titles, notes, notes2, ymaxs, ends, tmax = [], [], [], [], [], [], [], 0.0
            for c in present:
                _rep, prefix, j = sorted(run.cells[(wl, size, alloc, c)])[0]
                rss = [(float(r[0]) / 1e3, int(r[1]) / 2**20) for r in read_tsv(prefix + ".rss.tsv") if len(r) >= 2]
                # the checkpoints are exact readings too (after_release comes after the sampler stops)
                rss = sorted(rss + [(m["t_ns"] / 1e9, m["rss_bytes"] / 2**20) for m in j["memory"].get("checkpoints", [])
                                    if m.get("rss_bytes")])
                if rss:
                    tmax = max(tmax, rss[-1][0])
                rows = ["# %s: t_s rss_mib" % c] + ["%.4f\t%.3f" % p for p in rss]
                rblocks.append("\n".join(rows if rss else rows + ["nan\tnan"]))
                nmaj = nmin = 0
                marks = ["# %s: t_s major(1)/minor(0) duration_ms (one mark per kind per %s of the run)" % (c, "1/2000")]
                bin_s = max(rss[-1][0] if rss else 0, j["time"]["wall_ns"] / 1e9) / 2000 or 1e-9
                seen = set()   # (bin, major): marks closer than a pixel are drawn once
                for r in read_tsv(prefix + ".pauses.tsv"):
                    if len(r) < 5:
                        continue
                    kind, gen = r[3], int(r[4])
                    major = kind in MAJOR or (kind == "collect" and gen >= 2)
                    if not major and kind not in MINOR:
                        continue   # RC cascades are not collections
                    nmaj += major
                    nmin += not major
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
                if nmin:
                    parts.append("%s %s" % (format(nmin, ","), "steps" if c in ("incremental", "cpython-inc", "lua-inc", "boehm-inc") else "young"))
                titles.append(c)
                notes.append(parts[0])
                notes2.append(", ".join(parts[1:]) or "no collections")
            write(os.path.join(dd, "rss.%s.tsv" % t), "\n\n\n".join(rblocks) + "\n")
            write(os.path.join(dd, "marks.%s.tsv" % t), "\n\n\n".join(mblocks) + "\n")
            job(jobs, "rss.gp", "rss-%s" % t, data=rel("rss.%s.tsv" % t), marks=rel("marks.%s.tsv" % t),
                ttl=gq("RSS over time, %s" % label(wl, size, alloc)), colls=words(present), titles=words(titles),
                notes=words(notes), notes2=words(notes2), ymaxs=words(ymaxs), ends=words(ends), n=len(present), tmax="%.4f" % max(tmax, 1e-3))

    # throughput and overhead: rows workload (main allocator, each size), a column per collector
    rows, ovs, rates = [], [], []
    for wl in run.workloads:
        for size in run.sizes(wl):
            alloc = run.main_alloc(wl, size)
            key = lambda c: (wl, size, alloc, c)
            if not any(key(c) in run.table for c in colls):
                continue
            vals = []
            for c in colls:
                o, a = run.fig(key(c), "overhead"), run.fig(key(c), "allocated_per_s")
                vals += ["nan" if not o else "%.4f" % o, "nan" if not a else "%.6g" % (a / 1e6)]
                ovs += [o] if o else []
                rates += [a / 1e6] if a else []
            rows.append("%s\t%s" % (wl if size == "default" else "%s/%s" % (wl, size), "\t".join(vals)))
    if rows:
        head = "# workload\t" + "\t".join("%s_overhead\t%s_Mobj_per_s" % (c, c) for c in colls)
        write(os.path.join(dd, "throughput.tsv"), head + "\n" + "\n".join(rows) + "\n")
        job(jobs, "throughput.gp", "throughput", data=rel("throughput.tsv"), colls=words(colls),
            titles=words(colls), n=len(colls), nrows=len(rows), **log_range("o", ovs + [1.0]),
            **log_range("r", rates or [1.0]))

    # memory, all workloads on the main allocator: peak RSS and RSS after release per collector
    rows, mems = [], []
    for wl in run.workloads:
        for size in run.sizes(wl):
            alloc = run.main_alloc(wl, size)
            vals = []
            for c in colls:
                p, a = run.fig((wl, size, alloc, c), "peak_rss_mib"), run.fig((wl, size, alloc, c), "rss_after_release_mib")
                vals += ["nan" if not p else "%.2f" % p, "nan" if not a else "%.2f" % a]
                mems += [v for v in (p, a) if v]
            rows.append("%s\t%s" % (wl if size == "default" else "%s/%s" % (wl, size), "\t".join(vals)))
    if rows:
        head = "# workload\t" + "\t".join("%s_peak_mib\t%s_after_release_mib" % (c, c) for c in colls)
        write(os.path.join(dd, "memory.tsv"), head + "\n" + "\n".join(rows) + "\n")
        job(jobs, "memory.gp", "memory", data=rel("memory.tsv"), colls=words(colls), titles=words(colls),
            n=len(colls), nrows=len(rows), **log_range("m", mems or [1.0]))

    # memory returned, per collector × allocator, for the workloads run under several allocators:
    # peak RSS and RSS after release, the share of the freed bytes returned after release, and
    # (fragment) the workload's own figure: the share returned once part of the heap died
    for wl in run.workloads:
        for size in run.sizes(wl):
            allocs = aorder({k[2] for k in run.table if k[0] == wl and k[1] == size})
            if len(allocs) < 2:
                continue
            present = [c for c in colls if any((wl, size, a, c) in run.table for a in allocs)]
            t = tag(wl, size, "", "")
            rows = ["# collector\t" + "\t".join("%s_peak_mib\t%s_after_release_mib\t%s_returned_pct\t%s_workload_returned_pct"
                                                  % (a, a, a, a) for a in allocs)]
            mems, pcts, figs = [], [100.0], []
            for c in present:
                vals = []
                for a in allocs:
                    k = (wl, size, a, c)
                    p, r, f = run.fig(k, "peak_rss_mib"), run.fig(k, "rss_after_release_mib"), run.fig(k, "returned_fraction")
                    w = run.jfig(k, lambda j: j["figures"]["returned_fraction"])
                    vals += ["nan" if not p else "%.2f" % p, "nan" if not r else "%.2f" % r,
                             "nan" if f is None else "%.2f" % (100 * f), "nan" if w is None else "%.2f" % (100 * w)]
                    mems += [v for v in (p, r) if v]
                    pcts += [100 * v for v in (f, w) if v is not None]
                    figs += [w] if w is not None else []
                rows.append(c + "\t" + "\t".join(vals))
            write(os.path.join(dd, "returned.%s.tsv" % t), "\n".join(rows) + "\n")
            params = next((v[0][2].get("params", {}) for kk, v in run.cells.items() if kk[:2] == (wl, size) and v), {})
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
    pts = scaling_points(run)
    if pts:
        present = corder({p[0] for p in pts})
        blocks, titles = [], []
        for c in present:
            mine = sorted(p[1:] for p in pts if p[0] == c)
            rows = ["# %s: live_objects live_mib pause_p99_ms pause_max_ms pauses max_kind" % c]
            rows += ["%d\t%.3f\t%.6g\t%.6g\t%d\t%s" % q for q in mine]
            blocks.append("\n".join(rows))
            kinds = {q[5] for q in mine[-2:]}   # what the longest pauses are at the largest heaps
            titles.append(c + (" (RC free cascade)" if kinds == {"cascade"} else ""))
        write(os.path.join(dd, "scaling.tsv"), "\n\n\n".join(blocks) + "\n")
        quiet = scaling_quiet(run, pts)
        job(jobs, "scaling.gp", "scaling", data=rel("scaling.tsv"), colls=words(present), titles=words(titles),
            n=len(present), quiet=words(quiet), quiettitles=words([c + " (never paused once built)" for c in quiet]),
            nq=len(quiet), ttl=gq("Pauses against the live heap (live-heap, churn beside it)"))
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


SCALING_END_MARKS = ("churned", "collected", "drop", "dropping", "release")


def steady_pauses(prefix, j):
    """The pauses of a live-heap cell once its heap is built, as sorted (duration_ns, kind): from
    the `built` checkpoint to the first later checkpoint that ends the steady phase
    (SCALING_END_MARKS), else to the end of the run; nested intervals fused into the outer one.
    Building the heap (with its own collections) is left out."""
    marks = j["memory"].get("checkpoints", [])
    t0 = next((m["t_ns"] for m in marks if m["label"] == "built"), 0)
    t1 = next((m["t_ns"] for m in marks if m["label"] in SCALING_END_MARKS and m["t_ns"] > t0),
              j["time"]["wall_ns"])
    iv = []
    for r in read_tsv(prefix + ".pauses.tsv"):
        if len(r) >= 4:
            s = float(r[0]) * 1e6
            if t0 <= s < t1:
                iv.append((s, s + float(r[2]), r[3]))
    iv.sort()
    out, cur = [], None
    for s, e, k in iv:
        if cur and s < cur[1]:
            cur[1] = max(cur[1], e)
            continue
        if cur:
            out.append((cur[1] - cur[0], cur[2]))
        cur = [s, e, k]
    if cur:
        out.append((cur[1] - cur[0], cur[2]))
    return sorted(out)


def scaling_points(run):
    """(collector, live_objects, live_mib, p99_ms, max_ms, pauses, kind of the longest pause) per
    collector and heap size,
    medians over repetitions, from DIR/scaling/ (driver/scaling.sh) and the matrix's own live-heap
    cells; pauses as steady_pauses counts them, p99 nearest-rank. Collectors that never pause in
    the steady phase (none) have nothing to draw and are left out; fewer than two heap sizes
    are no curve, and give []."""
    found = []
    prefixes = sorted(p[:-5] for p in glob.glob(os.path.join(run.d, "scaling", "*.json")))
    if not prefixes:   # the same measure only: don't mix the matrix's cells into the step's runs
        prefixes = [p for k, v in run.cells.items() if k[0] == "live-heap" for _r, p, _j in v]
    for prefix in prefixes:
        try:
            j = json.load(open(prefix + ".json"))
        except (OSError, ValueError):
            continue
        if j.get("workload") != "live-heap":
            continue
        durs = steady_pauses(prefix, j)
        built = [m for m in j["memory"].get("checkpoints", []) if m["label"] == "built"]
        n = j.get("params", {}).get("objects") or (built[0]["live_objects"] if built else None)
        if not durs or not n:
            continue
        mib = built[0]["live_bytes"] / 2**20 if built else float("nan")
        p99 = durs[max(math.ceil(0.99 * len(durs)) - 1, 0)][0]
        found.append((j["collector"], int(n), mib, p99 / 1e6, durs[-1][0] / 1e6, len(durs), durs[-1][1]))
    by = {}
    for f in found:
        by.setdefault(f[:2], []).append(f)
    out = [(c, n, statistics.median(f[2] for f in fs), statistics.median(f[3] for f in fs),
            statistics.median(f[4] for f in fs), int(statistics.median(f[5] for f in fs)),
            max(fs, key=lambda f: f[4])[6])
           for (c, n), fs in by.items()]
    if len({p[1] for p in out}) < 2:
        return []
    return sorted(out, key=lambda p: (corder([q[0] for q in out]).index(p[0]), p[1]))


def scaling_quiet(run, pts):
    """Collectors with scaling runs but no pause once the heap was built (so no point to draw):
    `none`, and reference counting when the churn beside the heap is acyclic (each object is freed
    as it dies; for `cpython` count0 = allocations - deallocations then never reaches threshold0)."""
    seen = set()
    for prefix in sorted(p[:-5] for p in glob.glob(os.path.join(run.d, "scaling", "*.json"))):
        try:
            j = json.load(open(prefix + ".json"))
        except (OSError, ValueError):
            continue
        if j.get("workload") == "live-heap":
            seen.add(j["collector"])
    return corder(seen - {p[0] for p in pts})


def scaling_table(d):
    """DIR/scaling.tsv: the scaling points as one table (what the scaling figure draws)."""
    pts = scaling_points(Run(d))
    rows = ["# collector\tlive_objects\tlive_mib\tpause_p99_ms\tpause_max_ms\tpauses\tmax_kind"]
    rows += ["%s\t%d\t%.3f\t%.6g\t%.6g\t%d\t%s" % p for p in pts]
    write(os.path.join(d, "scaling.tsv"), "\n".join(rows) + "\n")
    print("plotdata: %d scaling points in %s" % (len(pts), os.path.join(d, "scaling.tsv")), file=sys.stderr)


# --- the report -----------------------------------------------------------------------------------

def md_table(head, rows, align=None):
    align = align or ["---"] + ["--:"] * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def f(v, fm, scale=1.0):
    return "–" if v is None else fm % (v * scale)


def report(d):
    run = Run(d)
    info, m = run.info, run.info.get("machine", {})
    name = os.path.basename(os.path.normpath(d))
    L = ["# gcscope run `%s`" % name, ""]
    allocs = aorder({k[2] for k in run.table})
    sizes = sorted({k[1] for k in run.table}, key=lambda s: (s != "default", s))
    reps = sorted({int(r["repetitions"]) for r in run.table.values() if r.get("repetitions", "").isdigit()})
    extra = []
    for a in allocs[1:]:
        wls = sorted({k[0] for k in run.table if k[2] == a})
        extra.append("`%s` for %s" % (a, ", ".join("`%s`" % w for w in wls)))
    L += ["What ran: every collector below on every workload below (each cell a fresh `gcscope run` "
          "process, so RSS and the allocator start clean), at size%s %s, on the `%s` allocator%s; "
          "%s repetition%s per cell (tables show the median)." % (
              "s" if len(sizes) > 1 else "", ", ".join("`%s`" % s for s in sizes), allocs[0] if allocs else "?",
              " (and %s)" % "; ".join(extra) if extra else "",
              "/".join(map(str, reps)) or "1", "" if reps == [1] else "s"), ""]
    L += [md_table(["", ""], [
        ["date (UTC)", info.get("date_utc", "?")],
        ["commit", "`%s`" % info.get("commit", "?")],
        ["command", "`%s`" % info.get("command", "?")],
        ["machine", "%s, %s cores, %s RAM, Linux %s" % (m.get("cpu", "?"), m.get("cores", "?"),
                                                        mem_h(m.get("memory")), m.get("kernel", "?"))],
        ["load average at start", " ".join(m.get("loadavg_at_start", []) or ["?"])],
        ["compiler", info.get("compiler", "?")],
        ["collectors", ", ".join("`%s`" % c for c in run.collectors)],
        ["workloads", ", ".join("`%s`" % w for w in run.workloads)],
        ["cells", "%d measured, %d failed" % (len(run.table), len(run.failures))],
    ], ["---", "---"]), ""]
    sc = sorted(glob.glob(os.path.join(d, "scaling", "*.json")))
    if sc:
        ns = sorted({int(os.path.basename(x).rsplit(".", 2)[-2]) for x in sc if os.path.basename(x).rsplit(".", 2)[-2].isdigit()})
        L += ["Scaling step (`driver/scaling.sh`): `live-heap` with `objects=N`, `churn=3N`, `collections=0`, "
              "`shape=shuffled-tree` for N = %s, one run per collector and N (%d runs), in `scaling/`; "
              "the points are in `scaling.tsv`." % (", ".join(format(n, ",") for n in ns), len(sc)), ""]
    L += ["Sections: [Options](#options) · [Summary](#summary) · [Figures](#figures).", ""]
    if run.gbench_context.get("library_build_type") == "debug":
        L += ["Google Benchmark reports its own library as a debug build; that affects only its "
              "bookkeeping: each cell is timed inside the `gcscope run` process (release build).", ""]
    if run.failures:
        L += ["**Failed cells** (no figures; see each cell's `.log` in `cells/`):", ""]
        L += ["- `%s`: %s" % (n, msg) for n, msg in run.failures] + [""]

    L += ["## Options", ""] + options_section(run) + [""]

    L += ["## Summary", "",
          "Medians over repetitions. *overhead* is wall time over the `none` floor's on the same "
          "workload, size and allocator (a lower bound on what the collector costs: `none` never "
          "frees); *GC %* the share of wall time spent in pauses; *MMU* the minimum mutator "
          "utilization in any window of that length; *returned* the share of the bytes the workload "
          "freed that left RSS after its release and a full collection (can exceed 100% when the "
          "allocator also returns its own overhead); *leaked* the objects still live at teardown "
          "(for `none` everything, for `rc` the cyclic garbage).", ""]
    head = ["collector", "wall s", "overhead", "GC %", "pauses", "p50", "p99", "max", "MMU 1 ms", "MMU 10 ms",
            "peak RSS MiB", "after release MiB", "returned", "leaked"]
    for r in run.rows():
        present = [c for c in run.collectors if r + (c,) in run.table]
        if not present:
            continue
        L += ["### %s" % label(*r), ""]
        rows = []
        for c in present:
            k = r + (c,)
            g = lambda n: run.fig(k, n)
            pz = lambda q: fmt_ms(run.jfig(k, lambda j: j["pauses"][q] / 1e6)) if g("pauses") else "–"
            rows.append(["`%s`" % c, f(g("wall_s"), "%.3f"), f(g("overhead"), "%.2f×"), f(g("gc_fraction"), "%.1f", 100),
                         f(g("pauses"), "%d"), pz("p50_ns"), pz("p99_ns"), pz("max_ns"),
                         f(g("mmu_1ms"), "%.3f"), f(g("mmu_10ms"), "%.3f"), f(g("peak_rss_mib"), "%.1f"),
                         f(g("rss_after_release_mib"), "%.1f"), f(g("returned_fraction"), "%.0f%%", 100),
                         f(g("leaked"), "%d")])
        L += [md_table(head, rows), ""]
        extra = workload_figures(run, r, present)
        if extra:
            L += extra + [""]

    L += ["## Figures", "",
          "Each figure is in `plots/` as PNG and SVG; the numbers behind it are in `plots/data/`.", ""]
    L += figures_section(run)
    write(os.path.join(d, "report.md"), "\n".join(L).rstrip() + "\n")


def mem_h(s):
    try:
        kb = int(str(s).split()[0])
        return "%.1f GiB" % (kb / 2**20)
    except (ValueError, IndexError):
        return str(s)


def options_section(run):
    """The effective options, from the cells' params: those every cell shares, each collector's
    own knobs (what its cells carry beyond the workload's), each workload's own knobs (what every
    collector's cell of it carries, beyond what every cell carries)."""
    params = {k: v[0][2].get("params", {}) for k, v in run.cells.items() if v}
    if not params:
        return ["(no cell recorded its options)"]
    every = set.intersection(*(set(p) for p in params.values()))
    show = lambda v: "/".join(sorted(v))
    val = lambda x: x if isinstance(x, str) else json.dumps(x)
    shared = []
    for k in sorted(every):
        vs = {val(p[k]) for p in params.values()}
        shared.append("`%s=%s`" % (k, show(vs)) + ("" if len(vs) == 1 else " (per cell)"))
    out = ["Every cell: " + (", ".join(shared) or "–") + "."]
    if any(k[2] == "jemalloc" for k in params):
        out[-1] += (" A `jemalloc` cell runs the system allocator with Debian's libjemalloc preloaded, so its "
                    "options say `allocator=system`.")
    out.append("")
    wknobs = {}
    for (wl, size, alloc, c), p in params.items():
        wknobs.setdefault((wl, size), []).append(set(p))
    wknobs = {k: set.intersection(*v) - every for k, v in wknobs.items()}
    rows = []
    for c in run.collectors:
        vals = {}
        for (wl, size, alloc, cc), p in params.items():
            if cc == c:
                for k in set(p) - every - wknobs[(wl, size)]:
                    vals.setdefault(k, set()).add(val(p[k]))
        rows.append(["`%s`" % c, ", ".join("`%s=%s`" % (k, show(vals[k])) for k in sorted(vals)) or "–"])
    out += [md_table(["collector", "knobs"], rows, ["---", "---"]), ""]
    rows = []
    for (wl, size) in sorted(wknobs, key=lambda k: (k[0], k[1] != "default", k[1])):
        p = next(pp for (w, sz, a, c), pp in params.items() if w == wl and sz == size)
        rows.append(["`%s`" % wl + ("" if size == "default" else " (%s)" % size),
                     ", ".join("`%s=%s`" % (k, val(p[k])) for k in sorted(wknobs[(wl, size)])) or "–"])
    out += [md_table(["workload", "knobs"], rows, ["---", "---"])]
    return out


def workload_figures(run, r, present):
    """The workload's own figures (JSON `figures`), if any, as one line."""
    seen = {}
    for c in present:
        v = run.cells.get(r + (c,))
        if v:
            for a, b in v[0][2].get("figures", {}).items():
                seen.setdefault(a, []).append("%s %s" % (c, "%.4g" % b if isinstance(b, float) else b))
    return ["Workload figures: " + "; ".join("`%s`: %s" % (a, ", ".join(v)) for a, v in seen.items()) + "."] if seen else []


def img(L, d, base, caption):
    png = os.path.join(d, "plots", base + ".png")
    if not os.path.exists(png):
        return
    svg = "plots/%s.svg" % base
    L.append("![%s](plots/%s.png)" % (caption.split(".")[0].split(":")[0].split(",")[0].split(" (")[0], base))
    L.append("")
    L.append(caption + " ([SVG](%s))" % svg if os.path.exists(os.path.join(d, svg)) else caption)
    L.append("")


def figures_section(run):
    d, L = run.d, []
    colls = run.collectors
    for wl in run.workloads:
        for size in run.sizes(wl):
            alloc = run.main_alloc(wl, size)
            t = tag(wl, size, alloc, alloc)
            k = lambda c: (wl, size, alloc, c)
            present = [c for c in colls if k(c) in run.table]
            if not present:
                continue
            L += ["### %s" % label(wl, size), ""]
            paused = [c for c in present if run.fig(k(c), "pauses")]
            s = ("Pause-time distribution: for each collector, the fraction of its pauses (y, on a scale "
                 "that stretches the tail: 50%, 90%, 99%, 99.9% evenly spaced) no longer than a duration "
                 "(x, log scale). Further left is shorter; where a line meets the top is its longest pause.")
            if paused:
                mx = sorted(((run.jfig(k(c), lambda j: j["pauses"]["max_ns"] / 1e6) or 0, c) for c in paused), reverse=True)
                s += " Longest pauses: " + ", ".join("`%s` %s" % (c, fmt_ms(m)) for m, c in mx) + "."
            quiet = [c for c in present if c not in paused]
            if quiet:
                s += " Never paused: %s." % ", ".join("`%s`" % c for c in quiet)
            img(L, d, "pauses-" + t, s)
            m10 = [(c, run.fig(k(c), "mmu_10ms")) for c in present if run.fig(k(c), "mmu_10ms") is not None]
            s = ("Minimum mutator utilization: for each window length (x, log scale), the smallest share of "
                 "any window of that length the program ran rather than a collector (1 = never interrupted). "
                 "A curve that leaves 0 late means long pauses or pauses in bursts.")
            if m10:
                s += " At 10 ms: " + ", ".join("`%s` %.2f" % cm for cm in m10) + "."
            img(L, d, "mmu-" + t, s)
            peaks = [(c, run.fig(k(c), "peak_rss_mib")) for c in present if run.fig(k(c), "peak_rss_mib") is not None]
            s = ("Resident memory over the run, one panel per collector on a shared time axis (a shorter "
                 "line finished sooner; the dashed line is the end of the workload, after which it releases "
                 "its data and a full collection runs). Red ticks along the top mark whole-heap collections, "
                 "dark ticks along the bottom young-generation collections or incremental steps. Each panel "
                 "has its own y scale.")
            if peaks:
                s += " Peak RSS: " + ", ".join("`%s` %.1f MiB" % cp for cp in peaks) + "."
            img(L, d, "rss-" + t, s)
    L += ["### Across workloads", ""]
    ov = {}
    for key, row in run.table.items():
        o = num(row.get("overhead"))
        if o is not None and key[3] != "none" and key[2] == run.main_alloc(key[0], key[1]):
            ov.setdefault(key[3], []).append(o)
    s = ("Throughput: top, wall time over the `none` floor's (the allocate-only harness: 1× is free, log "
         "scale); bottom, objects allocated per second of wall time, per collector, per workload.")
    if ov:
        s += " Geometric mean overhead: " + ", ".join(
            "`%s` %.2f×" % (c, math.exp(statistics.mean(math.log(x) for x in ov[c] if x > 0))) for c in corder(ov)
            if any(x > 0 for x in ov[c])) + "."
    img(L, d, "throughput", s)
    img(L, d, "memory", "Memory per workload: the light bar is the peak RSS over the run, the dark bar inside it "
        "the RSS after the workload dropped its data and a full collection ran — the gap is what went back to "
        "the OS. Log scale: `none` never frees, so its peak is the whole allocation volume.")
    for wl in run.workloads:
        for size in run.sizes(wl):
            t = tag(wl, size, "", "")
            allocs = aorder({kk[2] for kk in run.table if kk[0] == wl and kk[1] == size})
            if len(allocs) < 2:
                continue
            ret, wret = [], []
            for c in colls:
                for a in allocs:
                    v = run.fig((wl, size, a, c), "returned_fraction")
                    if v is not None:
                        ret.append("`%s`/%s %.0f%%" % (c, a, 100 * v))
                    w = run.jfig((wl, size, a, c), lambda j: j["figures"]["returned_fraction"])
                    if w is not None:
                        wret.append("`%s`/%s %.0f%%" % (c, a, 100 * w))
            s = ("Memory returned to the OS on %s, per collector (groups) and allocator (bars). %s: peak RSS "
                 "(light) and RSS after release (dark), log scale. " % (label(wl, size), "Top" if wret else "Left"))
            if wret:
                s += ("Bottom left: the workload's own measurement, the share of the freed bytes that left RSS once "
                      "part of the heap died and a full collection ran: " + ", ".join(wret) + ". ")
            s += ("Bottom right" if wret else "Right") + ": the share of the freed bytes that left RSS after the workload released everything"
            s += (": " + ", ".join(ret) + "." if ret else ".")
            s += (" Above 100%, memory beyond the objects' own left too: the allocator's or the collector's "
                  "(a tracing collector's tables shrink with the heap).")
            img(L, d, "returned-" + t, s)
    pts = scaling_points(run)
    if pts:
        ns = sorted({p[1] for p in pts})
        big = [p for p in pts if p[1] == ns[-1]]
        s = ("Scaling: the longest (solid) and 99th-percentile (dashed) pause against the live heap "
             "(`live-heap` at %s objects, with 3 short-lived allocations per live object beside it; "
             "log–log). Only the pauses once the heap is built count. A collector whose collections "
             "traverse the whole live heap rises with it; an incremental one stays near its step size. "
             "Pauses after the churn (the cascade that frees the heap when the workload drops it) are left "
             "out. With fewer than 100 pauses the p99 is the maximum and the dashed line hides under the "
             "solid one." % ", ".join(format(n, ",") for n in ns))
        s += " At %s objects, max pause: %s." % (format(ns[-1], ","), ", ".join(
            "`%s` %s" % (p[0], fmt_ms(p[4])) for p in sorted(big, key=lambda p: corder([q[0] for q in big]).index(p[0]))))
        quiet = scaling_quiet(run, pts)
        if quiet:
            s += (" Never paused once the heap was built, so named in the key without a line: %s. The churn "
                  "beside the heap is acyclic, so reference counting frees each object as it dies (no "
                  "cascade reaches the cut-off) and `cpython`'s count0 = allocations − deallocations never "
                  "reaches threshold0; `none` never frees." % ", ".join("`%s`" % c for c in quiet))
        img(L, d, "scaling", s)
    else:
        L += ["(No scaling figure: the run has `live-heap` at fewer than two heap sizes.)", ""]
    return L


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("data", "report", "scaling"):
        sys.exit("usage: plotdata.py data|report|scaling RESULTS_DIR")
    if not os.path.isdir(sys.argv[2]):
        sys.exit("plotdata: %s: not a results folder" % sys.argv[2])
    {"data": data, "report": report, "scaling": scaling_table}[sys.argv[1]](sys.argv[2])
