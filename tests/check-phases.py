#!/usr/bin/env python3
"""check-phases.py PREFIX — recompute a cell's steady phase from its raw files, independently of
measure/cell.c and measure/pausestats.c, and check `gcscope run`'s figures (standard library only).

From PREFIX.pauses.tsv (every pause: start, end, duration) and PREFIX.json's checkpoints (the
workload's marks; "end" and "after_release" are the cell's own) it computes, for the phase from
the mark "built" to the next mark of the workload (or the run's end, time.wall_ns):
  - the longest top-level pause that starts in the phase (a pause inside another is part of it;
    one that overlaps another's end extends it);
  - MMU(10 ms) over the phase by brute force: every window that starts or ends at a pause's
    start or end or at the phase's edges, the pauses clipped to the phase (the mutator time in
    a window is piecewise linear in its start, with its breakpoints there);
and compares them with PREFIX.json's phases[name == "steady"] (the MMU of its other windows too). Prints "check-phases: ok ..." and
exits 0, or says what differs and exits 1.
"""
import bisect, json, sys

WINDOW_NS = 10_000_000
CELL_MARKS = ("end", "after_release")


def load(prefix):
    cell = json.load(open(prefix + ".json"))
    pauses = []
    for line in open(prefix + ".pauses.tsv"):
        if line.startswith("#") or not line.strip():
            continue
        f = line.split("\t")
        start = round(float(f[0]) * 1e6)
        pauses.append((start, start + int(f[2])))
    return cell, pauses


def steady_bounds(cell):
    marks = [c for c in cell["memory"]["checkpoints"] if c["label"] not in CELL_MARKS]
    for i, m in enumerate(marks):
        if m["label"] == "built":
            end = marks[i + 1]["t_ns"] if i + 1 < len(marks) else cell["time"]["wall_ns"]
            return m["t_ns"], min(end, cell["time"]["wall_ns"])
    return None


def longest(pauses, a, b):
    """Top-level pause durations of the pauses starting in [a, b)."""
    mine = sorted((p for p in pauses if a <= p[0] < b), key=lambda p: (p[0], -p[1]))
    durs, top_end = [], None
    for s, e in mine:
        if top_end is None or s >= top_end:
            durs.append(e - s)
            top_end = e
        elif e > top_end:
            durs[-1] += e - top_end
            top_end = e
    return max(durs) if durs else 0


def union(pauses):
    out = []
    for s, e in sorted(pauses):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def mmu(pauses, a, b, w):
    if b <= a:
        return 1.0
    w = min(w, b - a)
    iv = [(max(s, a), min(e, b)) for s, e in union(pauses) if e > a and s < b]
    edges = [x for s, e in iv for x in (s, e)]
    starts = {a, b - w} | {x for x in edges} | {x - w for x in edges}
    starts = {x for x in starts if a <= x <= b - w}
    # P(t): pause time before t, from the intervals' starts and the running sums of their lengths
    begins = [s for s, _ in iv]
    before = [0]
    for s, e in iv:
        before.append(before[-1] + e - s)

    def P(t):
        i = bisect.bisect_right(begins, t)  # intervals starting at or before t
        if i == 0:
            return 0
        s, e = iv[i - 1]
        return before[i - 1] + min(e, t) - s

    worst = max(P(x + w) - P(x) for x in starts)
    return 1.0 - worst / w


def main(prefix):
    cell, pauses = load(prefix)
    bounds = steady_bounds(cell)
    phases = {p["name"]: p for p in cell.get("phases", [])}
    if bounds is None:
        if "steady" in phases:
            sys.exit("check-phases: %s has a steady phase but no \"built\" mark" % prefix)
        print("check-phases: ok (no \"built\" mark, no steady phase)")
        return 0
    if "steady" not in phases:
        sys.exit("check-phases: %s.json has no steady phase" % prefix)
    ph = phases["steady"]
    a, b = bounds
    want_max = longest(pauses, a, b)
    want_mmu = mmu(pauses, a, b, WINDOW_NS)
    got_mmu = next(m["mmu"] for m in ph["mmu"] if m["window_ns"] == WINDOW_NS)
    bad = []
    for m in ph["mmu"]:  # the other windows too: MMU(10 ms) may be 0 on a loaded machine
        want = mmu(pauses, a, b, m["window_ns"])
        if abs(m["mmu"] - want) > 1e-9:
            bad.append("MMU(%g ms) %.12f, expected %.12f" % (m["window_ns"] / 1e6, m["mmu"], want))
    if (ph["start_ns"], ph["end_ns"]) != (a, b):
        bad.append("bounds %s..%s, expected %s..%s" % (ph["start_ns"], ph["end_ns"], a, b))
    if ph["pauses"]["max_ns"] != want_max:
        bad.append("max pause %s ns, expected %s" % (ph["pauses"]["max_ns"], want_max))
    if abs(got_mmu - want_mmu) > 1e-9:
        bad.append("MMU(10 ms) %.12f, expected %.12f" % (got_mmu, want_mmu))
    if bad:
        print("check-phases: %s: steady phase: %s" % (prefix, "; ".join(bad)))
        return 1
    print("check-phases: ok: steady %d..%d ns, %d pauses, max %d ns, MMU(10 ms) %.6f" % (
        a, b, ph["pauses"]["count"], want_max, want_mmu))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check-phases.py PREFIX")
    sys.exit(main(sys.argv[1]))
