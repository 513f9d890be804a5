#!/usr/bin/python3
"""cpython_bench.py -- full and generation-0 collection times, our `cpython` collector beside
CPython 3.11's own gc, on the same heap shapes (`make bench-cpython`).

    peers/cpython/cpython_bench.py [--objects N] [--reps R] [--procs P] [--walks 3.11,fused]
                                   [--json FILE]

For each shape (chain, tree, shuffled: see peers/cpython/cpython_bench.c) and each side --
ours under each value of the collector's `walks` knob, and CPython -- P fresh processes each
build the heap (N containers), run one untimed full collection (everything to the oldest
generation), then R timed ones; the figure is the median of all P*R, in ns per object
examined, with the range of the P processes' own medians beside it. Then the generation-0
case: 700 young 2-slot containers over an N-node old tree, collected with gc.collect(0), R
times per process.

The CPython side runs this same file as a child (`--child`): lists as containers ([None] or
[None, None], the tree linked by index as in the C program, the shuffled one through the same
kind of random permutation), gc.disable() while building, gc.freeze() first so that the
interpreter's own objects are not examined, timing with time.perf_counter_ns() around
gc.collect(). The number examined is counted with gc.get_objects() after the warm-up
collection. Only one process runs at a time (the machine is shared; this is a benchmark).
"""
import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHAPES = ("chain", "tree", "shuffled")


def child(what, shape, n, reps):
    gc.disable()
    gc.freeze()
    if what == "young":
        shape = "tree"
    t0 = time.perf_counter_ns()
    if shape == "chain":
        root = None
        for _ in range(n):
            root = [root]
    else:
        nodes = [[None, None] for _ in range(n)]
        if shape == "shuffled":
            perm = list(range(n))
            random.Random(12345).shuffle(perm)
            pos = [None] * n
            for k in range(n):
                pos[perm[k]] = nodes[k]
            nodes = pos
            perm = pos = None
        for i in range(1, n):
            nodes[(i - 1) // 2][(i - 1) % 2] = nodes[i]
        root = nodes[0]
        nodes = None
    build_ms = (time.perf_counter_ns() - t0) / 1e6
    gc.collect()
    examined = len(gc.get_objects())
    ns, cpu = [], []
    tt = time.thread_time_ns
    for _ in range(reps):
        if what == "young":
            y = None
            for _ in range(700):
                y = [y, None]
            examined = len(gc.get_objects(0))
            c, t = tt(), time.perf_counter_ns()
            found = gc.collect(0)
            ns.append(time.perf_counter_ns() - t)
            cpu.append(tt() - c)
            y = None
        else:
            c, t = tt(), time.perf_counter_ns()
            found = gc.collect()
            ns.append(time.perf_counter_ns() - t)
            cpu.append(tt() - c)
        if found:
            raise SystemExit("a collection of a live heap found %d unreachable" % found)
    med = sorted(ns)[len(ns) // 2]
    out = {"impl": "CPython %s" % sys.version.split()[0], "what": what, "shape": shape,
           "objects": n, "examined": examined, "build_ms": round(build_ms, 1), "ns": ns, "cpu_ns": cpu,
           "median_ns": med, "ns_per_object": round(med / examined, 2)}
    print(json.dumps(out))
    del root


def run_json(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), p.stderr.strip()))
    return json.loads(p.stdout)


def measure(cmd, procs):
    ns, cpu, examined, runs = [], [], None, []
    for _ in range(procs):
        r = run_json(cmd)
        runs.append(r)
        ns += r["ns"]
        cpu += r["cpu_ns"]
        examined = r["examined"]
    med, cmed = statistics.median(ns), statistics.median(cpu)
    return {"median_ns": med, "median_cpu_ns": cmed, "examined": examined,
            "ns_per_object": med / examined, "cpu_ns_per_object": cmed / examined,
            "process_medians_ns": [r["median_ns"] for r in runs], "runs": runs}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=1000000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--procs", type=int, default=3)
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "cpython_bench"))
    ap.add_argument("--json", help="also write every figure here")
    ap.add_argument("--walks", default="3.11,fused", help="values of the walks knob, comma-separated")
    ap.add_argument("--child", nargs=2, metavar=("WHAT", "SHAPE"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child[0], a.child[1], a.objects, a.reps)
        return 0
    if not os.access(a.bench, os.X_OK):
        raise SystemExit("%s is not built (make build/cpython_bench)" % a.bench)
    py = "/usr/bin/python3"
    me = os.path.abspath(__file__)
    walks = a.walks.split(",")
    rows, results = [], {}
    cases = [("full", s) for s in SHAPES] + [("young", "tree")]
    for what, shape in cases:
        n, reps = a.objects, (a.reps if what == "full" else max(a.reps, 51))
        key = "young-700" if what == "young" else "full-" + shape
        theirs = measure([py, me, "--objects", str(n), "--reps", str(reps), "--child", what, shape], a.procs)
        results[key] = {"cpython": theirs}
        for w in walks:
            ours = measure([a.bench, what] + ([shape] if what == "full" else [])
                           + [str(n), str(reps), "walks=" + w], a.procs)
            results[key]["gcscope walks=" + w] = ours
            rows.append((key, "gcscope walks=" + w, ours, theirs))
        rows.append((key, "CPython 3.11", theirs, theirs))
    pyver = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    print("# %d containers; median of %d fresh processes x %d collections (gen-0: x %d), and the "
          "range of the processes' medians; CPython %s; wall clock, and (in brackets) thread CPU time"
          % (a.objects, a.procs, a.reps, max(a.reps, 51), pyver))
    print("%-14s %-20s %9s  %-13s %-17s %-21s %s" % (
        "collection", "side", "examined", "ns/object", "min-max", "median", "/CPython"))

    def fmt(ns):
        return "%.2f ms" % (ns / 1e6) if ns >= 1e6 else "%.2f us" % (ns / 1e3)
    for key, side, o, t in rows:
        pm = [m / o["examined"] for m in o["process_medians_ns"]]
        print("%-14s %-20s %9d  %-13s %-17s %-21s %.2f (%.2f)" % (
            key, side, o["examined"],
            "%.1f (%.1f)" % (o["ns_per_object"], o["cpu_ns_per_object"]),
            "%.1f-%.1f" % (min(pm), max(pm)),
            "%s (%s)" % (fmt(o["median_ns"]), fmt(o["median_cpu_ns"])),
            o["median_ns"] / t["median_ns"], o["median_cpu_ns"] / t["median_cpu_ns"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
