#!/usr/bin/python3
"""versions.py -- `make cpython-versions`: CPython's collector across versions on identical work.

    peers/cpython/versions.py [--gcscope BIN] [--out DIR] [--reps N] [--quick]

Runs, each in a fresh process (`gcscope run --json --out PREFIX`), the same workloads under
the five collectors CPython shipped from 3.11 to 3.14.5:

    3.11    cpython version=3.11      generational, collects inside the allocation
    3.13    cpython version=3.13      generational, scheduled (eval breaker), threshold0 2000
    3.14.0  cpython-inc variant=3.14.0  the incremental collector as released
    3.14.1  cpython-inc variant=3.14.1  with PR #140262 (3.14.1-3.14.4)
    3.14.5  cpython version=3.14.5    the generational collector back (the revert)

Workloads: `requests` (per-request cyclic garbage with a retained fraction: gh-142516),
`tuples` (gh-139951's loop), `gcbench-cyclic`, and a data-size sweep of `requests` (its
long-lived session grown 1, 2, 4, ... 32-fold: peak memory against data size, as
faster-cpython/ideas#668 measured it). Every collector runs with untrack_atom_only=on (CPython
untracks tuples of atoms in every version).

The sweep is one run per size and version (`requests`, 50,000 requests). Per cell: a timing
run repeated --reps times (median, and min-max) -- max pause, p99, MMU
(10 ms), objects examined by the largest pause and per pause, peak RSS -- and one backlog run
(backlog_every: the trash backlog, max and time mean; its times are not used). Writes
DIR/versions.json and DIR/versions.md (the report section, with the published findings
beside the measured ones), default results/cpython-versions-<UTC date>/.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

VERSIONS = [
    ("3.11", ["--collector", "cpython", "--set", "version=3.11"]),
    ("3.13", ["--collector", "cpython", "--set", "version=3.13"]),
    ("3.14.0", ["--collector", "cpython-inc", "--set", "variant=3.14.0"]),
    ("3.14.1", ["--collector", "cpython-inc", "--set", "variant=3.14.1"]),
    ("3.14.5", ["--collector", "cpython", "--set", "version=3.14.5"]),
]
COMMON = ["--set", "untrack_atom_only=on"]
SWEEP = (1, 2, 4, 8, 16, 32)
SWEEP_BASE = 10000          # session nodes at data size 1
BACKLOG_EVERY = 10000       # allocations between backlog samples
SWEEP_REQUESTS = 50000      # requests per sweep run (one run per size and version)
REQUESTS = 100000           # requests per `requests` run (half its default: the budget)
ITEMS = 1000000             # pairs per `tuples` run (half its default)


def run_cell(gcscope, args, tmp, tag):
    prefix = os.path.join(tmp, tag)
    cmd = [gcscope, "run"] + args + ["--json", "--out", prefix]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("versions: %s failed (exit %d): %s" % (" ".join(cmd), p.returncode,
                                                                  p.stderr.strip()[-1500:]))
    d = json.loads(p.stdout)
    visited = []
    with open(prefix + ".pauses.tsv") as f:
        cols = None
        for line in f:
            if line.startswith("#"):
                cols = line[1:].split()
                continue
            row = dict(zip(cols, line.split()))
            if row.get("origin", "collector") == "collector":   # the collector's own pauses, not
                visited.append(int(row["visited"]))            # the release phase's collection
    return d, visited


def mmu(d, window_ns):
    for m in d.get("mmu", []):
        if m["window_ns"] == window_ns:
            return m["mmu"]
    return None


def timing_figures(d, visited):
    p = d["pauses"]
    return {
        "max_pause_ms": p["max_ns"] / 1e6,
        "p99_pause_ms": p["p99_ns"] / 1e6,
        "mmu_10ms": mmu(d, 10000000),
        "pauses": p["count"],
        "examined_max": max(visited) if visited else 0,
        "examined_mean": statistics.mean(visited) if visited else 0,
        "peak_rss_mib": d["memory"]["peak_rss_bytes"] / 1048576,
        "wall_s": d["time"]["wall_ns"] / 1e9,
    }


def summarize(runs):
    """{figure: {median, min, max}} over repetitions."""
    out = {}
    for k in runs[0]:
        vals = [r[k] for r in runs if r[k] is not None]
        out[k] = None if not vals else {"median": statistics.median(vals), "min": min(vals),
                                        "max": max(vals)}
    return out


def cell(gcscope, vargs, wargs, reps, tmp, tag):
    runs = []
    for k in range(reps):
        d, visited = run_cell(gcscope, vargs + COMMON + wargs, tmp, "%s.t%d" % (tag, k))
        runs.append(timing_figures(d, visited))
    d, _ = run_cell(gcscope, vargs + COMMON + wargs + ["--set", "backlog_every=%d" % BACKLOG_EVERY],
                    tmp, tag + ".b")
    b = d["backlog"]
    return {"timing": summarize(runs), "reps": reps,
            "backlog": {"max_objects": b["max_objects"], "mean_objects": b["mean_objects"],
                        "max_bytes": b["max_bytes"], "samples": b["samples"],
                        "every": b["every"]}}


def fmt(s, f="%.1f"):
    if s is None:
        return "-"
    return (f + " [" + f + "-" + f + "]") % (s["median"], s["min"], s["max"])


def write_report(res, path):
    L = []
    L.append("## CPython's collector across versions (`make cpython-versions`)\n")
    L.append("Command: `make cpython-versions` (peers/cpython/versions.py), %s, %d repetitions "
             "(median [min-max]); every run a fresh process; `untrack_atom_only=on` for all. "
             "Backlog figures come from separate backlog runs (`backlog_every=%d`), whose "
             "times are not used. Machine load at start: %s.\n"
             % (res["date_utc"], res["reps"], BACKLOG_EVERY, res["loadavg"]))
    for w in res["workloads"]:
        L.append("### %s\n" % w["title"])
        L.append("| version | max pause ms | p99 ms | MMU(10 ms) | examined, largest pause | "
                 "examined per pause | peak RSS MiB | backlog max | backlog mean |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for v, c in w["cells"].items():
            t, b = c["timing"], c["backlog"]
            L.append("| %s | %s | %s | %s | %s | %s | %s | %d | %.0f |" % (
                v, fmt(t["max_pause_ms"]), fmt(t["p99_pause_ms"], "%.2f"), fmt(t["mmu_10ms"], "%.2f"),
                fmt(t["examined_max"], "%.0f"), fmt(t["examined_mean"], "%.0f"),
                fmt(t["peak_rss_mib"]), b["max_objects"], b["mean_objects"]))
        L.append("")
    sw = res["sweep"]
    if not sw["peak_rss_mib"]:
        sw = None
    L.append("" if sw is None else "### Data-size sweep (`requests`, %d requests, session %d x 1..32 nodes): peak RSS MiB, one run each\n" % (SWEEP_REQUESTS, SWEEP_BASE))
    if sw is not None:
        L.append("| data size | " + " | ".join(sw["versions"]) + " |")
        L.append("|---|" + "---|" * len(sw["versions"]))
        for size in SWEEP:
            L.append("| %d | " % size + " | ".join("%.1f" % sw["peak_rss_mib"][v][str(size)]
                                                    for v in sw["versions"]) + " |")
    L.append("")
    L.append(res["findings_md"])
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(L) + "\n")
    os.replace(tmp, path)


def findings(res):
    """The published findings beside what this run measured, direction by direction."""
    req = res["workloads"][0]["cells"]

    def med(v, k):
        return req[v]["timing"][k]["median"]
    sw = res["sweep"]["peak_rss_mib"]
    big = str(SWEEP[-1])
    have_sweep = bool(sw)
    rows = [
        ("PR #108038: objects visited by the longest pause, incremental vs generational "
         "(old generation 80 vs 3-4 per increment, proxy units)",
         "largest pause examined: 3.13 %.0f, 3.14.0 %.0f, 3.14.1 %.0f objects; per pause 3.13 "
         "%.0f, 3.14.0 %.0f" % (med("3.13", "examined_max"), med("3.14.0", "examined_max"),
                                med("3.14.1", "examined_max"), med("3.13", "examined_mean"),
                                med("3.14.0", "examined_mean"))),
        ("ideas#668: peak memory, incremental vs generational, 435 vs 270 MB at data size 32",
         "data size %s: 3.14.0 %.1f MiB, 3.14.1 %.1f MiB, 3.13 %.1f MiB (ratio 3.14.0/3.13 %.2f)"
         % (big, sw["3.14.0"][big], sw["3.14.1"][big], sw["3.13"][big],
            sw["3.14.0"][big] / sw["3.13"][big]) if have_sweep else "(no sweep in this run)"),
        ("PR #142001 / the revert: outstanding trash under 100 on 3.13, ~2,000 on 3.14.0, "
         "~10,000 after #140262",
         "requests, backlog mean (max): 3.13 %.0f (%d), 3.14.0 %.0f (%d), 3.14.1 %.0f (%d), "
         "3.14.5 %.0f (%d)" % tuple(x for v in ("3.13", "3.14.0", "3.14.1", "3.14.5")
                                    for x in (req[v]["backlog"]["mean_objects"],
                                              req[v]["backlog"]["max_objects"]))),
        ("gh-142516 / mypy #21403: memory growth on 3.14.1-3.14.4 (2x, CI out of memory)",
         "requests, peak RSS median: 3.13 %.1f, 3.14.0 %.1f, 3.14.1 %.1f, 3.14.5 %.1f MiB"
         % (med("3.13", "peak_rss_mib"), med("3.14.0", "peak_rss_mib"),
            med("3.14.1", "peak_rss_mib"), med("3.14.5", "peak_rss_mib"))),
    ]
    md = ["### Published findings beside these measurements\n",
          "| published | measured here |", "|---|---|"]
    md += ["| %s | %s |" % r for r in rows]
    return "\n".join(md) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gcscope", default=os.path.join(ROOT, "build", "gcscope"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes (a check, not a measurement)")
    ap.add_argument("--workloads", help="only these (comma-separated: requests,tuples,gcbench-cyclic)")
    ap.add_argument("--no-sweep", action="store_true", help="leave out the data-size sweep")
    a = ap.parse_args(argv)
    out = a.out or os.path.join(ROOT, "results", "cpython-versions-" + time.strftime("%Y%m%d-%H%M%S", time.gmtime()))
    os.makedirs(out, exist_ok=True)
    small = ["--size", "small"] if a.quick else []
    workloads = [
        ("requests: per-request cyclic garbage, 1% retained (gh-142516)",
         ["--workload", "requests"] + (small or ["--set", "requests=%d" % REQUESTS])),
        ("tuples: gh-139951's loop", ["--workload", "tuples"] + (small or ["--set", "items=%d" % ITEMS])),
        ("gcbench-cyclic", ["--workload", "gcbench-cyclic"] + small),
    ]
    if a.workloads:
        workloads = [w for w in workloads if w[1][1] in a.workloads.split(",")]
    res = {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "reps": a.reps,
           "loadavg": " ".join(open("/proc/loadavg").read().split()[:3]), "workloads": [],
           "command": "make cpython-versions" + (" (--quick)" if a.quick else "")}
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="gcscope-versions-") as tmp:
        for title, wargs in workloads:
            w = {"title": title, "args": wargs, "cells": {}}
            for v, vargs in VERSIONS:
                w["cells"][v] = cell(a.gcscope, vargs, wargs, a.reps, tmp, "%s-%s" % (wargs[1], v))
                print("versions: %s %s done (%.0f s)" % (wargs[1], v, time.time() - t0), flush=True)
            res["workloads"].append(w)
        sw = {"versions": [v for v, _ in VERSIONS], "peak_rss_mib": {}}
        for v, vargs in ([] if a.no_sweep else VERSIONS):
            sw["peak_rss_mib"][v] = {}
            for size in SWEEP:
                n = SWEEP_BASE * size // (50 if a.quick else 1)
                nreq = [] if a.quick else ["--set", "requests=%d" % SWEEP_REQUESTS]
                d, visited = run_cell(a.gcscope, vargs + COMMON + ["--workload", "requests", "--set",
                                      "live_objects=%d" % n] + nreq + small, tmp, "sweep-%s-%d" % (v, size))
                sw["peak_rss_mib"][v][str(size)] = timing_figures(d, visited)["peak_rss_mib"]
            print("versions: sweep %s done (%.0f s)" % (v, time.time() - t0), flush=True)
        res["sweep"] = sw
    res["findings_md"] = findings(res)
    tmpj = os.path.join(out, "versions.json.tmp")
    with open(tmpj, "w") as f:
        json.dump(res, f, indent=2)
    os.replace(tmpj, os.path.join(out, "versions.json"))
    write_report(res, os.path.join(out, "versions.md"))
    print("versions: %s/versions.md (%.0f s)" % (out, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
