"""figures.py — what the figures and the report share: how a cell and a pause time are named
in words, the pauses a figure draws from the raw log of a run's headline phase, and the points
of the scaling figure (tools/plotdata.py draws them, tools/gcs/report.py writes them out).
Standard library only.
"""
import glob, json, os, statistics

from gcs import results as R


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


def tag(wl, size, alloc, main_alloc="arena"):
    t = wl
    if size not in R.MAIN_SIZES:
        t += "." + size
    if alloc != main_alloc:
        t += "." + alloc
    return t


def label(wl, size, alloc=None):
    s = wl + ("" if size in R.MAIN_SIZES else " (%s)" % size)
    return s + ("" if alloc is None else ", %s allocator" % alloc)


PHASE_LABEL = {"steady": "steady phase (from `built` on)", "run": "whole run"}


def phase_label(res, keys):
    """What the headline pause figures of these cells cover, in words."""
    ph = {res.cells[k].phase for k in keys if k in res.cells}
    if len(ph) == 1:
        return PHASE_LABEL[ph.pop()]
    return "steady phase where the cell has one, else whole run"


def logged_pauses(prefix, j, phase):
    """The logged pauses (start_ns, duration_ns, kind) of one run in its headline phase: the
    pause log's rows whose start lies in the phase ([0, wall_ns) for the whole run: the release
    collection after the run is not the run's), or whose `phase` column names it when the log
    has one. No fusion: a nested pause is its own row."""
    head = R.tsv_header(prefix + ".pauses.tsv")
    pcol = head.index("phase") if "phase" in head else None
    ph = R.steady(j) if phase == "steady" else None
    t0, t1 = (ph["start_ns"], ph["end_ns"]) if ph else (0, j["time"]["wall_ns"])
    out = []
    for r in R.read_tsv(prefix + ".pauses.tsv"):
        if len(r) < 4:
            continue
        s = float(r[0]) * 1e6
        inside = (r[pcol] == phase) if (pcol is not None and ph) else (t0 <= s < t1)
        if inside:
            out.append((s, float(r[2]), r[3]))
    return out


def workload_figure(res, key, name):
    """The workload's own figure `name` (the JSON's "figures"), median over repetitions."""
    c = res.cells.get(key)
    return R.Stat(R.num((j.get("figures") or {}).get(name)) for j in c.jsons()).med if c else None


def scaling_runs(res):
    """[(prefix, json)] of the live-heap runs the scaling figure draws: DIR/scaling/ (the
    scaling step), else the matrix's own live-heap cells (the same measure only: never both)."""
    out = []
    prefixes = sorted(p[:-5] for p in glob.glob(os.path.join(res.d, "scaling", "*.json")))
    if prefixes:
        for prefix in prefixes:
            try:
                out.append((prefix, json.load(open(prefix + ".json"))))
            except (OSError, ValueError):
                continue
    else:
        out = [(p, j) for k, c in res.cells.items() if k[0] == "live-heap" for _r, p, j in c.reps]
    return [(p, j) for p, j in out if j.get("workload") == "live-heap"]


def scaling_points(res):
    """(collector, live_objects, live_mib, p99_ms, max_ms, pauses, kind of the longest pause,
    phase) per collector and heap size, medians over repetitions. The pause figures are the
    cell's own (its steady phase, from the heap's `built` mark on, else the whole run); the kind
    of the longest is the kind of the logged pause of that duration. Collectors that never pause
    there (none) have nothing to draw and are left out; fewer than two heap sizes are no curve,
    and give []."""
    found = []
    for prefix, j in scaling_runs(res):
        ph, phase = R.headline(j)
        p = ph.get("pauses") or {}
        count, p99, mx = R.num(p.get("count")), R.num(p.get("p99_ns")), R.num(p.get("max_ns"))
        built = [m for m in j["memory"].get("checkpoints", []) if m["label"] == "built"]
        n = j.get("params", {}).get("objects") or (built[0]["live_objects"] if built else None)
        if not count or not n or p99 is None or mx is None:
            continue
        mib = built[0]["live_bytes"] / 2**20 if built else float("nan")
        kind = next((k for _s, dur, k in logged_pauses(prefix, j, phase) if dur == mx), "?")
        found.append((j["collector"], int(n), mib, p99 / 1e6, mx / 1e6, int(count), kind, phase))
    by = {}
    for f in found:
        by.setdefault(f[:2], []).append(f)
    out = [(c, n, statistics.median(f[2] for f in fs), statistics.median(f[3] for f in fs),
            statistics.median(f[4] for f in fs), int(statistics.median(f[5] for f in fs)),
            max(fs, key=lambda f: f[4])[6], fs[0][7])
           for (c, n), fs in by.items()]
    if len({p[1] for p in out}) < 2:
        return []
    order = res.cat.order({p[0] for p in out})
    return sorted(out, key=lambda p: (order.index(p[0]), p[1]))


def scaling_quiet(res, pts):
    """Collectors with scaling runs but no pause once the heap was built (so no point to draw):
    `none`, and reference counting when the churn beside the heap is acyclic (each object is freed
    as it dies; for `cpython` count0 = allocations - deallocations then never reaches threshold0)."""
    seen = {j["collector"] for _p, j in scaling_runs(res)}
    return res.cat.order(seen - {p[0] for p in pts})
