"""report.py — DIR/report.md of a results folder: what ran, where, with which options, the
summary tables (median [min–max] over the repetitions), which differences exceed the spread,
and every figure in DIR/plots/ with what it shows (`tools/plotdata.py report DIR`).

Reads the folder through results.py (the catalog's orders and figures, the cells' JSON) and the
images tools/plots.sh drew; never runs a cell, never recomputes a figure the C side computed.
A difference is called larger than the spread when the two cells' min–max ranges over their
repetitions do not overlap (with three repetitions no rank test can reach 5%).
"""
import glob, json, math, os, statistics

from gcs import results as R

from gcs import figures as P   # the figure tags, labels and the scaling points the figures drew


def md_table(head, rows, align=None):
    align = align or ["---"] + ["--:"] * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def load_json(d, name):
    try:
        return json.load(open(os.path.join(d, name)))
    except (OSError, ValueError):
        return None


def mem_h(s):
    try:
        kb = int(str(s).split()[0])
        return "%.1f GiB" % (kb / 2**20)
    except (ValueError, IndexError):
        return str(s)


def show(res, key, col, fm, scale=1.0):
    s = res.get(key, col)
    return s.show(fm, scale) if s else "–"


def show_ms(res, key, col):
    """A pause figure in ms as readable time, median [min–max]."""
    s = res.get(key, col)
    if not s or s.med is None:
        return "–"
    out, lo, hi = P.fmt_ms(s.med), P.fmt_ms(s.lo), P.fmt_ms(s.hi)
    return out if lo == hi else "%s [%s–%s]" % (out, lo, hi)


def report(d):
    res = R.Results(d)
    info = load_json(d, "run.json") or {}
    m = info.get("machine", {})
    gb = load_json(d, "gbench.json") or {}
    failed = R.failures(d)
    name = os.path.basename(os.path.normpath(d))
    L = ["# gcscope run `%s`" % name, ""]
    allocs = res.allocators()
    sizes = res.sizes()
    reps = sorted({len(c.reps) for c in res.cells.values()})
    extra = []
    for a in allocs[1:]:
        wls = res.cat.order({k[0] for k in res.cells if k[2] == a}, "workloads")
        extra.append("`%s` for %s" % (a, ", ".join("`%s`" % w for w in wls)))
    L += ["What ran: every collector below on every workload below (each cell a fresh `gcscope run` "
          "process, so RSS and the allocator start clean), at size%s %s, on the `%s` allocator%s; "
          "%s repetition%s per cell, interleaved (repetition 1 of every cell, then repetition 2, …); "
          "tables show the median [min–max] over them." % (
              "s" if len(sizes) > 1 else "", ", ".join("`%s`" % s for s in sizes), allocs[0] if allocs else "?",
              " (and %s)" % "; ".join(extra) if extra else "",
              "/".join(map(str, reps)) or "1", "" if reps == [1] else "s"), ""]
    rows = [
        ["date (UTC)", info.get("date_utc", "?")],
        ["commit", "`%s`" % info.get("commit", "?")],
        ["command", "`%s`" % info.get("command", "?")],
        ["machine", "%s, %s cores, %s RAM, Linux %s" % (m.get("cpu", "?"), m.get("cores", "?"),
                                                        mem_h(m.get("memory")), m.get("kernel", "?"))],
        ["load average at start", " ".join(m.get("loadavg_at_start", []) or ["?"])],
        ["compiler", info.get("compiler", "?")],
        ["collectors", ", ".join("`%s`" % c for c in res.collectors)],
        ["workloads", ", ".join("`%s`" % w for w in res.workloads)],
        ["cells", "%d measured (%d runs), %d failed runs%s" % (
            len(res.cells), sum(len(c.reps) for c in res.cells.values()), len(failed),
            ", %d missing" % len(res.missing) if res.missing else "")],
    ]
    if info.get("resumed"):   # each later sitting of an interrupted run (driver/bench.sh --resume)
        rows.append(["resumed (UTC, load)", "; ".join(
            "%s (%s)" % (r.get("date_utc", "?"), " ".join(r.get("loadavg_at_start") or [])) for r in info["resumed"])])
    L += [md_table(["", ""], rows, ["---", "---"]), ""]
    if res.state == "interrupted":
        L += ["**Unfinished**: the run was interrupted; these tables hold the cells finished so far "
              "(`make bench RESUME=%s` runs the rest)." % res.d, ""]
    if res.missing:
        L += ["**Missing runs** (planned in `plan.txt`, no JSON in `cells/`): %s." %
              ", ".join("`%s`" % n for n in res.missing), ""]
    sc = sorted(glob.glob(os.path.join(d, "scaling", "*.json")))
    if sc:
        ns = sorted({int(os.path.basename(x).rsplit(".", 2)[-2]) for x in sc if os.path.basename(x).rsplit(".", 2)[-2].isdigit()})
        L += ["Scaling step (`driver/scaling.sh`): `live-heap` with `objects=N`, `churn=3N`, `collections=0`, "
              "`shape=shuffled-tree` for N = %s, one run per collector and N (%d runs), in `scaling/`; "
              "the points are in `scaling.tsv`." % (", ".join(format(n, ",") for n in ns), len(sc)), ""]
    L += ["Sections: [Options](#options) · [Summary](#summary) · [Figures](#figures).", ""]
    if gb.get("context", {}).get("library_build_type") == "debug":
        L += ["Google Benchmark reports its own library as a debug build; that affects only its "
              "bookkeeping: each cell is timed inside the `gcscope run` process (release build).", ""]
    if failed:
        L += ["**Failed runs** (no figures; see each cell's `.log` in `cells/`):", ""]
        L += ["- `%s`: %s" % (n, msg) for n, msg in failed] + [""]

    L += ["## Options", ""] + options_section(res) + [""]

    phases = {c.phase for c in res.cells.values()}
    L += ["## Summary", "",
          "Median [min–max] over the repetitions. *LBO* is the lower-bound overhead (Cai, Blackburn, Bond, "
          "Maas, ISPASS 2022): a run's total over the least *distilled* cost (total minus the time in pauses) "
          "of any run of any collector on the same workload, size and allocator, minus 1 — `none` included, "
          "so a collector that beats `none`'s first-touch page faults is not shown as faster than free; "
          "0 = no cost measured beyond that bound. *wall* uses wall time and pause wall time, *cpu* the "
          "process's CPU time minus the pauses' CPU time%s. *GC %%* is the share of wall time spent in pauses "
          "(whole run). *pauses of*: the phase the pause and MMU columns cover — `steady`, from the "
          "workload's mark `built` to its next mark or the end of the run (building the heap and tearing it "
          "down left out), or `run`, the whole run, for a cell that has no steady phase%s. *MMU* is the minimum "
          "mutator utilization in any window of that length; *returned* the share of the bytes the workload "
          "freed that left RSS after its release and a full collection (can exceed 100%% when the allocator "
          "also returns its own overhead); *leaked* the objects still live at teardown (for `none` "
          "everything, for `rc` the cyclic garbage)." % (
              "" if res.lbo_exact else " — approximate: these cells carry no pause CPU time, so the pauses' "
              "wall time times the run's CPU share (cpu / wall) stands in for it",
              "" if phases != {"run"} else " (no cell of this run has one: every pause figure is whole-run)"), ""]
    head = ["collector", "wall s", "LBO wall", "LBO cpu", "GC %", "pauses of", "pauses", "p50", "p99", "max",
            "MMU 1 ms", "MMU 10 ms", "peak RSS MiB", "after release MiB", "returned", "leaked"]
    for r in res.rows():
        present = [c for c in res.collectors if r + (c,) in res.cells]
        if not present:
            continue
        L += ["### %s" % P.label(*r), ""]
        rows = []
        for c in present:
            k = r + (c,)
            paused = res.med(k, "phase_pauses")
            pz = (lambda col: show_ms(res, k, col)) if paused else (lambda col: "–")
            rows.append(["`%s`" % c, show(res, k, "wall_s", "%.3f"), show(res, k, "lbo_wall", "%.2f"),
                         show(res, k, "lbo_cpu", "%.2f"), show(res, k, "gc_fraction", "%.1f", 100),
                         res.cells[k].phase, show(res, k, "phase_pauses", "%d"), pz("phase_pause_p50_ms"),
                         pz("phase_pause_p99_ms"), pz("phase_pause_max_ms"), show(res, k, "phase_mmu_1ms", "%.3f"),
                         show(res, k, "phase_mmu_10ms", "%.3f"), show(res, k, "peak_rss_mib", "%.1f"),
                         show(res, k, "rss_after_release_mib", "%.1f"), show(res, k, "returned_fraction", "%.0f%%", 100),
                         show(res, k, "leaked", "%d")])
        L += [md_table(head, rows), ""]
        L += spread(res, r, present)
        extra = workload_figures(res, r, present)
        if extra:
            L += extra + [""]

    L += ["## Figures", "",
          "Each figure is in `plots/` as PNG and SVG; the numbers behind it are in `plots/data/`.", ""]
    L += figures_section(res)
    R.write(os.path.join(d, "report.md"), "\n".join(L).rstrip() + "\n")


# The differences the report draws: (what, column, lower is better, format, scale).
COMPARED = [("wall LBO", "lbo_wall", "%.2f", 1), ("CPU LBO", "lbo_cpu", "%.2f", 1),
            ("max pause", "phase_pause_max_ms", None, 1), ("peak RSS", "peak_rss_mib", "%.1f MiB", 1)]


def spread(res, r, present):
    """For each compared figure, the best collector of the row and, for every other one, whether
    the difference is larger than the spread (ranges over the repetitions apart) or not."""
    out = []
    for what, col, fm, sc in COMPARED:
        have = [(res.get(r + (c,), col), c) for c in present]
        have = [(s, c) for s, c in have if s and s.med is not None]
        if col.startswith("phase_pause"):
            have = [(s, c) for s, c in have if res.med(r + (c,), "phase_pauses")]
        if len(have) < 2:
            continue
        best, bc = min(have, key=lambda sc_: sc_[0].med)
        shown = (lambda s: P.fmt_ms(s.med)) if fm is None else (lambda s: fm % (s.med * sc))
        apart = [c for s, c in have if c != bc and best.apart(s)]
        close = [c for s, c in have if c != bc and not best.apart(s)]
        if best.n < 2:
            out.append("- %s: lowest `%s` %s (one repetition: no spread to compare against)." % (what, bc, shown(best)))
            continue
        s = "- %s: lowest `%s` %s" % (what, bc, shown(best))
        if apart:
            s += "; lower than %s by more than the spread" % ", ".join("`%s`" % c for c in apart)
        if close:
            s += "; %s within the spread (ranges overlap: not a difference this run can show)" % (
                ", ".join("`%s`" % c for c in close))
        out.append(s + ".")
    return (["Differences against the lowest, larger than the spread or not (min–max ranges over the "
             "repetitions apart or overlapping):", ""] + out + [""]) if out else []


def options_section(res):
    """The effective options, from the cells' params: those every cell shares, each collector's
    own knobs (what its cells carry beyond the workload's), each workload's own knobs (what every
    collector's cell of it carries, beyond what every cell carries)."""
    params = {k: c.reps[0][2].get("params", {}) for k, c in res.cells.items() if c.reps}
    if not params:
        return ["(no cell recorded its options)"]
    every = set.intersection(*(set(p) for p in params.values()))
    show_ = lambda v: "/".join(sorted(v))
    val = lambda x: x if isinstance(x, str) else json.dumps(x)
    shared = []
    for k in sorted(every):
        vs = {val(p[k]) for p in params.values()}
        shared.append("`%s=%s`" % (k, show_(vs)) + ("" if len(vs) == 1 else " (per cell)"))
    out = ["Every cell: " + (", ".join(shared) or "–") + "."]
    preloaded = [a for a in ("jemalloc", "mimalloc") if any(k[2] == a for k in params)]
    if preloaded:
        out[-1] += (" A %s cell runs the system allocator with Debian's %s preloaded, so its options say "
                    "`allocator=system`." % (" or ".join("`%s`" % a for a in preloaded),
                                             " or ".join("lib%s" % a for a in preloaded)))
    out.append("")
    wknobs = {}
    for (wl, size, alloc, c), p in params.items():
        wknobs.setdefault((wl, size), []).append(set(p))
    wknobs = {k: set.intersection(*v) - every for k, v in wknobs.items()}
    rows = []
    for c in res.collectors:
        vals = {}
        for (wl, size, alloc, cc), p in params.items():
            if cc == c:
                for k in set(p) - every - wknobs[(wl, size)]:
                    vals.setdefault(k, set()).add(val(p[k]))
        rows.append(["`%s`" % c, ", ".join("`%s=%s`" % (k, show_(vals[k])) for k in sorted(vals)) or "–"])
    out += [md_table(["collector", "knobs"], rows, ["---", "---"]), ""]
    rows = []
    for wl in res.workloads:
        for size in res.sizes(wl):
            if (wl, size) not in wknobs:
                continue
            p = next(pp for (w, sz, a, c), pp in params.items() if w == wl and sz == size)
            rows.append(["`%s`" % wl + ("" if size in R.MAIN_SIZES else " (%s)" % size),
                         ", ".join("`%s=%s`" % (k, val(p[k])) for k in sorted(wknobs[(wl, size)])) or "–"])
    out += [md_table(["workload", "knobs"], rows, ["---", "---"])]
    return out


def workload_figures(res, r, present):
    """The workload's own figures (JSON `figures`), if any, as one line: median [min–max]."""
    seen = {}
    for c in present:
        cell = res.cells.get(r + (c,))
        names = []
        for j in cell.jsons():
            names += [n for n in (j.get("figures") or {}) if n not in names]
        for a in names:
            s = R.Stat(R.num((j.get("figures") or {}).get(a)) for j in cell.jsons())
            seen.setdefault(a, []).append("%s %s" % (c, s.show("%.4g")))
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


def figures_section(res):
    d, L = res.d, []
    colls = res.collectors
    for wl in res.workloads:
        for size in res.sizes(wl):
            alloc = res.main_alloc(wl, size)
            t = P.tag(wl, size, alloc, alloc)
            k = lambda c: (wl, size, alloc, c)
            present = [c for c in colls if k(c) in res.cells]
            if not present:
                continue
            what = P.phase_label(res, [k(c) for c in present])
            L += ["### %s" % P.label(wl, size), ""]
            paused = [c for c in present if res.med(k(c), "phase_pauses")]
            s = ("Pause-time distribution over the %s, every repetition pooled: for each collector, the fraction "
                 "of its pauses (y, on a scale that stretches the tail: 50%%, 90%%, 99%%, 99.9%% evenly spaced) no "
                 "longer than a duration (x, log scale). Further left is shorter; where a line meets the top is "
                 "its longest pause." % what)
            if paused:
                mx = sorted(((res.med(k(c), "phase_pause_max_ms") or 0, c) for c in paused), reverse=True)
                s += " Longest pauses (median over the repetitions): " + ", ".join(
                    "`%s` %s" % (c, show_ms(res, k(c), "phase_pause_max_ms")) for _m, c in mx) + "."
            quiet = [c for c in present if c not in paused]
            if quiet:
                s += " Never paused: %s." % ", ".join("`%s`" % c for c in quiet)
            img(L, d, "pauses-" + t, s)
            m10 = [(c, res.get(k(c), "phase_mmu_10ms")) for c in present if res.med(k(c), "phase_mmu_10ms") is not None]
            s = ("Minimum mutator utilization over the %s: for each window length (x, log scale), the smallest "
                 "share of any window of that length the program ran rather than a collector (1 = never "
                 "interrupted; median over the repetitions). A curve that leaves 0 late means long pauses or "
                 "pauses in bursts." % what)
            if m10:
                s += " At 10 ms: " + ", ".join("`%s` %s" % (c, st.show("%.2f")) for c, st in m10) + "."
            img(L, d, "mmu-" + t, s)
            s = ("Resident memory over the run (first repetition), one panel per collector on a shared time "
                 "axis (a shorter line finished sooner; the dashed line is the end of the workload, after which "
                 "it releases its data and a full collection runs). Red ticks along the top mark whole-heap "
                 "collections, dark ticks along the bottom young-generation collections or incremental steps. "
                 "Each panel has its own y scale.")
            peaks = [(c, res.get(k(c), "peak_rss_mib")) for c in present if res.med(k(c), "peak_rss_mib") is not None]
            if peaks:
                s += " Peak RSS: " + ", ".join("`%s` %s MiB" % (c, st.show("%.1f")) for c, st in peaks) + "."
            img(L, d, "rss-" + t, s)
    L += ["### Across workloads", ""]
    ov = {}
    for key, cell in res.cells.items():
        o = cell.stats.get("lbo_wall")
        if o is not None and o.med is not None and key[2] == res.main_alloc(key[0], key[1]):
            ov.setdefault(key[3], []).append(1 + o.med)
    s = ("Throughput: top, wall time over the lower bound of the same work (LBO + 1, the least distilled "
         "cost of any collector's run on it: 1× = no cost measured; log scale; the whisker is the min–max "
         "over the repetitions); bottom, objects allocated per second of wall time, per collector, per workload.")
    if ov:
        s += " Geometric mean of LBO + 1 over the workloads: " + ", ".join(
            "`%s` %.2f×" % (c, math.exp(statistics.mean(math.log(x) for x in ov[c]))) for c in res.cat.order(ov)) + "."
    img(L, d, "throughput", s)
    img(L, d, "memory", "Memory per workload (medians over the repetitions): the light bar is the peak RSS over "
        "the run, the dark bar inside it the RSS after the workload dropped its data and a full collection ran — "
        "the gap is what went back to the OS. Log scale: `none` never frees, so its peak is the whole allocation "
        "volume.")
    for wl in res.workloads:
        for size in res.sizes(wl):
            t = P.tag(wl, size, "", "")
            allocs = res.allocators(wl, size)
            if len(allocs) < 2:
                continue
            ret, wret = [], []
            for c in colls:
                for a in allocs:
                    st = res.get((wl, size, a, c), "returned_fraction")
                    if st is not None and st.med is not None:
                        ret.append("`%s`/%s %s" % (c, a, st.show("%.0f%%", 100)))
                    w = P.workload_figure(res, (wl, size, a, c), "returned_fraction")
                    if w is not None:
                        wret.append("`%s`/%s %.0f%%" % (c, a, 100 * w))
            s = ("Memory returned to the OS on %s, per collector (groups) and allocator (bars), medians over the "
                 "repetitions. %s: peak RSS (light) and RSS after release (dark), log scale. " % (
                     P.label(wl, size), "Top" if wret else "Left"))
            if wret:
                s += ("Bottom left: the workload's own measurement, the share of the freed bytes that left RSS once "
                      "part of the heap died and a full collection ran: " + ", ".join(wret) + ". ")
            s += ("Bottom right" if wret else "Right") + ": the share of the freed bytes that left RSS after the workload released everything"
            s += (": " + ", ".join(ret) + "." if ret else ".")
            s += (" Above 100%, memory beyond the objects' own left too: the allocator's or the collector's "
                  "(a tracing collector's tables shrink with the heap).")
            img(L, d, "returned-" + t, s)
    pts = P.scaling_points(res)
    if pts:
        ns = sorted({p[1] for p in pts})
        big = [p for p in pts if p[1] == ns[-1]]
        phases = {p[7] for p in pts}
        s = ("Scaling: the longest (solid) and 99th-percentile (dashed) pause against the live heap "
             "(`live-heap` at %s objects, with 3 short-lived allocations per live object beside it; "
             "log–log), as each run's JSON gives them for %s. A collector whose collections traverse the "
             "whole live heap rises with it; an incremental one stays near its step size. With fewer than "
             "100 pauses the p99 is the maximum and the dashed line hides under the solid one." % (
                 ", ".join(format(n, ",") for n in ns),
                 "its steady phase (from the mark `built` to the next mark, `churned`: building the heap and "
                 "the cascade that frees it left out)" if phases == {"steady"} else
                 "the whole run (these runs have no steady phase: building the heap counts too)"
                 if phases == {"run"} else "its steady phase where it has one, else the whole run"))
        order = res.cat.order({q[0] for q in big})
        s += " At %s objects, max pause: %s." % (format(ns[-1], ","), ", ".join(
            "`%s` %s" % (p[0], P.fmt_ms(p[4])) for p in sorted(big, key=lambda p: order.index(p[0]))))
        quiet = P.scaling_quiet(res, pts)
        if quiet:
            s += (" Never paused once the heap was built, so named in the key without a line: %s. The churn "
                  "beside the heap is acyclic, so reference counting frees each object as it dies (no "
                  "cascade reaches the cut-off) and `cpython`'s count0 = allocations − deallocations never "
                  "reaches threshold0; `none` never frees." % ", ".join("`%s`" % c for c in quiet))
        img(L, d, "scaling", s)
    else:
        L += ["(No scaling figure: the run has `live-heap` at fewer than two heap sizes.)", ""]
    return L
