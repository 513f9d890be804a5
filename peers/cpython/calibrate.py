#!/usr/bin/python3
"""calibrate.py -- the `cpython` model's costs beside real CPython's (`make calibrate`).

    peers/cpython/calibrate.py [--reps N] [--size default|small] [--only W,W..] [--gcscope BIN]
                               [--no-pyperformance] [--json FILE]

Two tables, printed as Markdown.

1. Every workload (`gcscope list --json`) under `cpython` with walks=3.11 and with walks=fused, and
   under `py` (real CPython 3.11 embedded) when `gcscope list` has it, each in N fresh
   processes (`gcscope run --out PREFIX`, default N = 3, the sides interleaved rep by rep):
   collections per generation and objects collected (from the pause log: one line per
   collection, with its generation, objects examined and found unreachable) and whether they
   equal the reference side's; pause p50/p99/max (the "steady" phase's when the run reports
   phases, else the whole run's) and ns per examined object (collection time / objects
   examined, summed over the run's collections), medians over the processes, as ratios to
   the reference; peak RSS and memory returned. The reference is `py`; without it, it is
   `cpython walks=3.11` and the table says py is absent. The `trace` workload replays
   traces/small.trace.
2. pyperformance's gc_collect, gc_traversal and btree bodies, reproduced here (the shapes,
   not the code: see the functions below), run on the system python3 (CPython 3.11) in N
   fresh processes each -- once as they are (the interpreter's own objects examined by every
   full collection) and once with them frozen (gc.freeze() first) -- beside gcscope's rings,
   traversal and btree (their collect_ns_median figure) under each side above.

A side's run that fails is reported in the table (FAIL and the log's last line), not fatal.
Standard library only. Figures are wall clock: on a shared machine, read the spread.
"""
import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from gcs import gcscope as G  # noqa: E402  (gcscope's JSON, as every tool reads it)
PYTHON = "/usr/bin/python3"
COLLECTION_KINDS = ("collect", "full", "atomic")   # a whole collection, not a step or cascade
TIMEOUT_S = 1200

# ------------------------------------------------------------------------------------------
# pyperformance's bodies, on the system python3 (--child NAME). Each returns (median ns of the
# timed gc.collect(), tracked objects it examined, objects it found).
# ------------------------------------------------------------------------------------------


class Node:
    """bm_gc_collect's node: two references, linked both ways."""
    def __init__(self):
        self.next = None
        self.prev = None


def body_gc_collect(loops):
    """100 rings of 21 Nodes (a head and 20 linked after it, the last back to the head, each
    link set both ways), the list of heads dropped, then one timed gc.collect()."""
    times, examined, found = [], 0, 0
    for _ in range(loops):
        gc.collect()
        heads = []
        for _ in range(100):
            head = cur = Node()
            heads.append(head)
            for _ in range(20):
                n = Node()
                cur.next, n.prev = n, cur
                cur = n
            cur.next, head.prev = head, cur
        del heads, head, cur, n
        examined = len(gc.get_objects())
        t = time.perf_counter_ns()
        found = gc.collect()
        times.append(time.perf_counter_ns() - t)
        assert found >= 100 * 21, found
    return statistics.median(times), examined, found


def body_gc_traversal(loops):
    """1,000 lists, list k holding k references to list k-1, kept live; timed gc.collect()s
    that find nothing."""
    cur = []
    for k in range(1000):
        new = [None] * k
        for i in range(k):
            new[i] = cur
        cur = new
    times, found = [], 0
    for _ in range(loops):
        gc.collect()
        examined = len(gc.get_objects())
        t = time.perf_counter_ns()
        found = gc.collect()
        times.append(time.perf_counter_ns() - t)
        assert found == 0, found
    return statistics.median(times), examined, found


class BNode:
    __slots__ = ("items", "nodes")

    def __init__(self):
        self.items = []
        self.nodes = None


class Record:
    def __init__(self, a, b, c, d, e, f):
        self.a, self.b, self.c, self.d, self.e, self.f = a, b, c, d, e, f


T = 16   # the B-tree's minimum degree


def _pos(node, key):
    for p, it in enumerate(node.items):
        if it[0] >= key:
            return p
    return len(node.items)


def _split(parent, p, child):
    """Splits the full child parent.nodes[p] around its middle item (new lists, as slices)."""
    big = BNode()
    mid = child.items[T - 1]
    big.items = child.items[T:]
    child.items = child.items[:T - 1]
    if child.nodes is not None:
        big.nodes = child.nodes[T:]
        child.nodes = child.nodes[:T]
    parent.items.insert(p, mid)
    parent.nodes.insert(p + 1, big)


def _insert(node, item):
    while True:
        p = _pos(node, item[0])
        if node.nodes is None:
            node.items.insert(p, item)
            return
        if len(node.nodes[p].items) == 2 * T - 1:
            _split(node, p, node.nodes[p])
            if item[0] > node.items[p][0]:
                p += 1
        node = node.nodes[p]


def _add(root, key, value):
    if len(root.items) == 2 * T - 1:
        top = BNode()
        top.nodes = [root]
        _split(top, 0, root)
        root = top
    _insert(root, (key, value))
    return root


def _delete(node, key):
    """CLRS's B-tree deletion, as the original's BNode.delete, for the smallest keys it deletes
    (so the key is never in an inner node: the cases that borrow from or merge with a
    sibling on the way down, and deletion from a leaf)."""
    while True:
        p = _pos(node, key)
        if node.nodes is None:
            assert p < len(node.items) and node.items[p][0] == key, key
            del node.items[p]
            return
        assert not (p < len(node.items) and node.items[p][0] == key), "key in an inner node"
        child = node.nodes[p]
        if len(child.items) < T:
            low = node.nodes[p - 1] if p > 0 else None
            up = node.nodes[p + 1] if p + 1 < len(node.nodes) else None
            if low is not None and len(low.items) >= T:
                child.items.insert(0, node.items[p - 1])
                node.items[p - 1] = low.items.pop()
                if child.nodes is not None:
                    child.nodes.insert(0, low.nodes.pop())
            elif up is not None and len(up.items) >= T:
                child.items.append(node.items[p])
                node.items[p] = up.items.pop(0)
                if child.nodes is not None:
                    child.nodes.append(up.nodes.pop(0))
            elif low is not None:
                child.items = low.items + [node.items[p - 1]] + child.items
                if child.nodes is not None:
                    child.nodes = low.nodes + child.nodes
                del node.items[p - 1]
                del node.nodes[p - 1]
            else:
                child.items = child.items + [node.items[p]] + up.items
                if child.nodes is not None:
                    child.nodes = child.nodes + up.nodes
                del node.items[p]
                del node.nodes[p + 1]
        if not node.items:   # the root emptied by a merge: its one child replaces it
            node.items, node.nodes = child.items, child.nodes
            continue
        node = child


def body_btree(loops):
    """200,000 Records (six attributes: an int, a str, bytes, a float, an interned str, None or
    a bool), inserted in shuffled key order as (key, record) tuples into a B-tree of minimum
    degree 16, the lowest 20% of the keys deleted and re-added, then one timed gc.collect()."""
    n = 200000
    rnd = random.Random(0)
    records = [Record(i, "node %d" % i, rnd.randbytes(i % 100), rnd.random(),
                      sys.intern(str(rnd.randint(0, 30))), rnd.choice([None, True, False]))
               for i in range(n)]
    times, examined, found = [], 0, 0
    for _ in range(loops):
        random.seed(0)
        ids = list(range(n))
        random.shuffle(ids)
        root = BNode()
        for k in ids:
            root = _add(root, k, records[k])
        for k in range(n // 5):
            _delete(root, k)
        for k in range(n // 5):
            root = _add(root, k, records[k])
        examined = len(gc.get_objects())
        t = time.perf_counter_ns()
        found = gc.collect()
        times.append(time.perf_counter_ns() - t)
        del root
    return statistics.median(times), examined, found


BODIES = {"gc_collect": (body_gc_collect, 20, "rings"),
          "gc_traversal": (body_gc_traversal, 20, "traversal"),
          "btree": (body_btree, 3, "btree")}


def child(name, frozen):
    fn, loops, _ = BODIES[name]
    if frozen:
        gc.freeze()
    med, examined, found = fn(loops)
    print(json.dumps({"median_ns": med, "examined": examined, "found": found,
                      "python": sys.version.split()[0]}))


# ------------------------------------------------------------------------------------------
# gcscope's side
# ------------------------------------------------------------------------------------------

def listing(gcscope):
    """(collector names, workload names), from `gcscope list --json` (tools/gcs reads it)."""
    g = G.Gcscope(gcscope)
    return g.collectors(), g.workloads()


def read_pauses(path):
    rows = []
    with open(path) as f:
        head = None
        for line in f:
            t = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                head = [h.strip("# ") for h in t]
                continue
            if head and len(t) == len(head):
                rows.append(dict(zip(head, t)))
    return rows


def one_run(gcscope, collector, sets, workload, size, tmp):
    """One `gcscope run` in a fresh process: a dict of its figures, or {"error": ...}."""
    prefix = os.path.join(tmp, "cell")
    cmd = [gcscope, "run", "--collector", collector, "--workload", workload, "--out", prefix]
    if size:
        cmd += ["--size", size]
    if workload == "trace":
        cmd += ["--trace", os.path.join(ROOT, "traces", "small.trace")]
    for s in sets:
        cmd += ["--set", s]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after %d s" % TIMEOUT_S}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        return {"error": last}
    with open(prefix + ".json") as f:
        d = json.load(f)
    pauses = d["pauses"]
    for ph in d.get("phases") or []:
        if ph.get("name") == "steady":
            pauses = ph["pauses"]
    end_ms = d["time"]["wall_ns"] / 1e6
    gens, collected, coll_ns, examined = {}, 0, 0, 0
    for r in read_pauses(prefix + ".pauses.tsv"):
        if r["kind"] not in COLLECTION_KINDS or float(r["start_ms"]) > end_ms:
            continue   # steps, cascades; the release phase's collection
        g = int(r["generation"])
        gens[g] = gens.get(g, 0) + 1
        collected += int(r["freed"])
        coll_ns += int(r["duration_ns"])
        examined += int(r["visited"])
    m = d["memory"]
    return {"gens": [gens.get(g, 0) for g in range(max([2] + list(gens)) + 1)],
            "collected": collected, "p50": pauses["p50_ns"], "p99": pauses["p99_ns"],
            "max": pauses["max_ns"], "ns_per_examined": coll_ns / examined if examined else None,
            "peak_rss": m["peak_rss_bytes"], "returned": m["returned_bytes"],
            "collect_ns_median": d.get("figures", {}).get("collect_ns_median")}


def summarize(runs):
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"]}
    s = {"n": len(ok), "failed": len(runs) - len(ok), "gens": ok[0]["gens"], "collected": ok[0]["collected"],
         "deterministic": all(r["gens"] == ok[0]["gens"] and r["collected"] == ok[0]["collected"] for r in ok)}
    for k in ("p50", "p99", "max", "ns_per_examined", "peak_rss", "returned", "collect_ns_median"):
        v = [r[k] for r in ok if r[k] is not None]
        s[k] = statistics.median(v) if v else None
        s[k + "_range"] = (min(v), max(v)) if v else None
    return s


def ratio(a, b):
    if a is None or b is None or not b:
        return "-"
    return "%.2f" % (a / b)


def ns(v):
    if v is None:
        return "-"
    return "%.2f ms" % (v / 1e6) if v >= 1e6 else "%.1f us" % (v / 1e3) if v >= 1e3 else "%d ns" % v


def mib(v):
    return "-" if v is None else "%.1f" % (v / 2**20)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="fresh processes per side (at least 3 for a spread)")
    ap.add_argument("--size", choices=("default", "small"), default="default")
    ap.add_argument("--only", help="workloads, comma-separated (default: every one)")
    ap.add_argument("--gcscope", default=os.path.join(ROOT, "build", "gcscope"))
    ap.add_argument("--no-pyperformance", action="store_true", help="skip the second table")
    ap.add_argument("--json", help="also write every figure here")
    ap.add_argument("--child", nargs=2, metavar=("BODY", "FROZEN"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child[0], a.child[1] == "frozen")
        return 0
    if not os.access(a.gcscope, os.X_OK):
        raise SystemExit("calibrate: %s is not built (make build/gcscope)" % a.gcscope)
    collectors, workloads = listing(a.gcscope)
    if a.only:
        want = a.only.split(",")
        bad = [w for w in want if w not in workloads]
        if bad:
            raise SystemExit("calibrate: --only: no workload %s (gcscope list)" % ", ".join(bad))
        workloads = [w for w in workloads if w in want]
    sides = [("cpython walks=3.11", "cpython", ["walks=3.11"]),
             ("cpython walks=fused", "cpython", ["walks=fused"])]
    have_py = "py" in collectors
    if have_py:
        sides.append(("py", "py", []))
    ref = "py" if have_py else "cpython walks=3.11"
    t0 = time.time()
    load0 = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory(prefix="calibrate-") as tmp:
        for w in workloads:
            runs = {s[0]: [] for s in sides}
            for _ in range(a.reps):
                for name, coll, sets in sides:
                    runs[name].append(one_run(a.gcscope, coll, sets, w, None if a.size == "default" else a.size, tmp))
            results[w] = {name: summarize(r) for name, r in runs.items()}
            print("calibrate: %s done (%.0f s)" % (w, time.time() - t0), file=sys.stderr, flush=True)

    print("## Calibration: `cpython` (both walk modes) against %s" % ("`py`" if have_py else "itself"))
    print()
    print("`peers/cpython/calibrate.py --reps %d --size %s`; load average %.1f at the start; medians of "
          "%d fresh processes per side, ratios to %s.%s" % (a.reps, a.size, load0, a.reps, ref,
                               "" if have_py else " **py is absent** (`gcscope list` has no `py` collector): "
                               "the ratios compare the two walk modes only."))
    print()
    print("| workload | side | collections g0/g1/g2 | collected | same as %s | p50 | p99 | max | "
          "ns/examined | p50 / p99 / max / ns-per-examined vs %s | peak RSS MiB | returned MiB |" % (ref, ref))
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w, by in results.items():
        r0 = by[ref]
        for name, _, _ in sides:
            s = by[name]
            if "error" in s:
                print("| %s | %s | FAIL: %s | | | | | | | | | |" % (w, name, s["error"].replace("|", "/")))
                continue
            same = "-" if name == ref or "error" in r0 else (
                "yes" if s["gens"] == r0["gens"] and s["collected"] == r0["collected"] else "**no**")
            if not s["deterministic"]:
                same += " (varies between runs)"
            rr = "-" if "error" in r0 or name == ref else " / ".join(
                ratio(s[k], r0[k]) for k in ("p50", "p99", "max", "ns_per_examined"))
            print("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                w, name, "/".join(map(str, s["gens"])), s["collected"], same, ns(s["p50"]),
                ns(s["p99"]), ns(s["max"]),
                "-" if s["ns_per_examined"] is None else "%.1f" % s["ns_per_examined"], rr,
                mib(s["peak_rss"]), mib(s["returned"])))

    pyper = {}
    if not a.no_pyperformance:
        print()
        print("## pyperformance's GC bodies on the system python3 beside gcscope's workloads")
        print()
        print("Timed gc.collect(), median over each process's loops, then median (min-max) over %d "
              "processes; `frozen`: gc.freeze() first, so the interpreter's own objects are not "
              "examined. gcscope: the workload's collect_ns_median (--size %s), median (min-max) "
              "over the runs above." % (a.reps, a.size))
        print()
        print("| body | system python3 | examined | python3, frozen | examined | gcscope workload |"
              + "".join(" %s |" % s[0] for s in sides))
        print("|---|---|---|---|---|---|" + "---|" * len(sides))
        me = os.path.abspath(__file__)
        for body, (_, _, wl) in BODIES.items():
            row = {}
            for mode in ("as-is", "frozen"):
                vals = []
                for _ in range(a.reps):
                    p = subprocess.run([PYTHON, me, "--child", body, mode], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S)
                    if p.returncode != 0:
                        raise SystemExit("calibrate: %s %s failed: %s" % (body, mode, p.stderr.strip()[-500:]))
                    vals.append(json.loads(p.stdout))
                meds = [v["median_ns"] for v in vals]
                row[mode] = {"median_ns": statistics.median(meds), "range": (min(meds), max(meds)),
                             "examined": vals[0]["examined"], "python": vals[0]["python"]}
            pyper[body] = row
            cells = []
            for name, _, _ in sides:
                s = results.get(wl, {}).get(name)
                if not s or "error" in s or s.get("collect_ns_median") is None:
                    cells.append("-")
                else:
                    lo, hi = s["collect_ns_median_range"]
                    cells.append("%s (%s-%s)" % (ns(s["collect_ns_median"]), ns(lo), ns(hi)))

            def fmt(m):
                return "%s (%s-%s)" % (ns(m["median_ns"]), ns(m["range"][0]), ns(m["range"][1]))
            print("| %s | %s | %d | %s | %d | %s |%s" % (
                body, fmt(row["as-is"]), row["as-is"]["examined"], fmt(row["frozen"]),
                row["frozen"]["examined"], wl if wl in results else wl + " (not run)",
                "".join(" %s |" % c for c in cells)))
    print()
    print("calibrate: %.0f s" % (time.time() - t0))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"reference": ref, "py": have_py, "workloads": results, "pyperformance": pyper}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
