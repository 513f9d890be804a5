#!/usr/bin/python3
"""calibrate.py -- the `cpython` model's costs beside real CPython's (`make calibrate`).

    peers/cpython/calibrate.py [--reps N] [--size default|small] [--only W,W..] [--gcscope BIN]
                               [--no-pyperformance] [--no-ladder] [--json FILE]

Three parts, printed as Markdown.

1. Every workload (`gcscope list --json`) under `cpython` with walks=3.11 and with walks=fused, and
   under `py` (real CPython 3.11 embedded) when `gcscope list` has it, each in N fresh
   processes (`gcscope run --out PREFIX`, default N = 3, the sides interleaved rep by rep):
   collections per generation and objects collected (from the pause log: one line per
   collection, with its generation, objects examined and found unreachable) and whether they
   equal the reference side's; pause p50/p99/max (the "steady" phase's when the run reports
   phases, else the whole run's), how many of its pauses were descheduled (wall time above
   CPU time by more than max(50 us, 10%): a max pause that was is the machine's, not the
   collector's) and ns per examined object (collection time / objects
   examined, summed over the run's collections), medians over the processes, as ratios to
   the reference; peak RSS and memory returned. The reference is `py`; without it, it is
   `cpython walks=3.11` and the table says py is absent. The `trace` workload replays
   traces/small.trace.
2. What the gap between `cpython walks=3.11` and `py` is made of (with py; --no-ladder skips
   it): two more sides, `cpython walks=3.11 layout=py-size` and `layout=py` (the collector's
   knob: CPython's object size, then also its dispatch), run with the others; two traces every
   side replays, measuring apart the fixed cost of a collection (empty heap) and the cost of
   freeing an object (a chain freed by one cascade); and per workload the factors by which
   each step multiplies the run's collection time -- walks, size, dispatch, fixed, free and
   the rest, whose product is py / 3.11 (ladder_row says how each is computed).
3. pyperformance's gc_collect, gc_traversal and btree bodies, reproduced here (the shapes,
   not the code: see the functions below), run on the system python3 (CPython 3.11) in N
   fresh processes each -- once as they are (the interpreter's own objects examined by every
   full collection) and once with them frozen (gc.freeze() first) -- beside gcscope's rings,
   traversal and btree (their collect_ns_median figure) under each side above; and, frozen,
   on build/pyshared (peers/cpython/pyshared.c): python3 on libpython3.11.so, the build of
   CPython the py peer embeds, which is not the one Debian's python3 runs.

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
            "collected": collected, "coll_ns": coll_ns, "examined": examined,
            "p50": pauses["p50_ns"], "p99": pauses["p99_ns"], "descheduled": pauses.get("descheduled"),
            "max": pauses["max_ns"], "ns_per_examined": coll_ns / examined if examined else None,
            "peak_rss": m["peak_rss_bytes"], "returned": m["returned_bytes"],
            "grown_rss": m["peak_rss_bytes"] - m["start_rss_bytes"],
            "collect_ns_median": d.get("figures", {}).get("collect_ns_median")}


def summarize(runs):
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"]}
    s = {"n": len(ok), "failed": len(runs) - len(ok), "gens": ok[0]["gens"], "collected": ok[0]["collected"],
         "deterministic": all(r["gens"] == ok[0]["gens"] and r["collected"] == ok[0]["collected"] for r in ok)}
    for k in ("p50", "p99", "max", "ns_per_examined", "peak_rss", "returned", "collect_ns_median",
              "coll_ns", "examined", "grown_rss", "descheduled"):
        v = [r[k] for r in ok if r[k] is not None]
        s[k] = statistics.median(v) if v else None
        s[k + "_range"] = (min(v), max(v)) if v else None
    s["coll_ns_runs"] = [r["coll_ns"] for r in runs if "error" not in r]   # rep by rep
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


EMPTY_TRACE = ("# calibrate.py: collections of an empty heap, each examining nothing: what a\n"
               "# collection costs before it examines its first object\n"
               + "collect 0\n" * 2000 + "collect 2\n" * 500)
FREE_LINKS = 100000


def free_trace():
    """A chain of FREE_LINKS 2-slot containers, each holding an 8-byte atom in slot 1, then
    dropped: one reference-count cascade frees it all (2 * FREE_LINKS - 1 objects), outside
    any collection -- what freeing a garbage object costs, as delete_garbage's tp_clear
    sets it off."""
    out = ["# calibrate.py: a chain freed by one reference-count cascade\n", "new head 2\n",
           "let cur head\n"]
    link = "new n 2\natom a 8\nset n 1 a\nset cur 0 n\nlet cur n\n"
    out.append(link * (FREE_LINKS - 1))
    out.append("drop a\ndrop n\ndrop cur\ndrop head\n")
    return "".join(out)


def pick_empty(rows):
    """Per generation (0, 2): the median pause of the collections that examined nothing."""
    by_gen = {0: [], 2: []}
    for r in rows:
        g = int(r["generation"])
        if r["kind"] in COLLECTION_KINDS and int(r["visited"]) == 0 and g in by_gen:
            by_gen[g].append(int(r["duration_ns"]))
    return {g: statistics.median(v) for g, v in by_gen.items() if v}


def pick_free(rows):
    """ns per object of the longest cascade (timed from its GCS_CASCADE_CUTOFF-th free, 64)."""
    c = [r for r in rows if r["kind"] == "cascade" and int(r["freed"]) > 1000]
    if not c:
        return {}
    r = max(c, key=lambda r: int(r["freed"]))
    return {"free": int(r["duration_ns"]) / (int(r["freed"]) - 63)}


def trace_costs(gcscope, sides, reps, tmp, text, pick):
    """Each side replays the trace `text` (`gcscope run --workload trace`) in `reps` fresh
    processes, interleaved; pick(pause rows) gives each process's figures; returns, per side
    and figure, the median and the range of the processes' values."""
    trace = os.path.join(tmp, "costs.trace")
    with open(trace, "w") as f:
        f.write(text)
    vals = {name: {} for name, _, _ in sides}
    prefix = os.path.join(tmp, "costs")
    for _ in range(reps):
        for name, coll, sets in sides:
            cmd = [gcscope, "run", "--collector", coll, "--workload", "trace", "--trace", trace,
                   "--out", prefix]
            for x in sets:
                cmd += ["--set", x]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=TIMEOUT_S)
            if p.returncode != 0:
                raise SystemExit("calibrate: a cost trace failed under %s: %s" % (
                    name, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]))
            got = pick(read_pauses(prefix + ".pauses.tsv"))
            if not got:
                raise SystemExit("calibrate: the cost trace logged no pause to measure under %s" % name)
            for k, v in got.items():
                vals[name].setdefault(k, []).append(v)
    return {name: {k: {"median": statistics.median(v), "range": (min(v), max(v))} for k, v in d.items()}
            for name, d in vals.items()}


def fixed_ns(s, costs):
    """A side's collections' fixed cost: generations 0 and 1 at the young figure, 2 at the
    full one."""
    return sum(s["gens"][:2]) * costs[0]["median"] + sum(s["gens"][2:]) * costs[2]["median"]


def ladder_row(by, costs):
    """From `cpython walks=3.11` to `py`, one change at a time: the factors by which the
    collection time of the workload's run grows (None where a side failed or differs)."""
    names = ("cpython walks=fused", "cpython walks=3.11", "cpython layout=py-size",
             "cpython layout=py", "py")
    ss = [by.get(n) for n in names]
    if any(s is None or "error" in s for s in ss):
        return {"why": "a side failed"}
    fused, base, size, disp, py = ss
    if any(s["gens"] != py["gens"] or s["collected"] != py["collected"] for s in ss) or not base["coll_ns"]:
        return {"why": "no collection" if not sum(py["gens"]) else "a side differs"}
    r = {"walks": base["coll_ns"] / fused["coll_ns"] if fused["coll_ns"] else None,
         "size": size["coll_ns"] / base["coll_ns"],
         "dispatch": disp["coll_ns"] / size["coll_ns"] if size["coll_ns"] else None,
         "total": py["coll_ns"] / base["coll_ns"], "fixed": None, "free": None, "rest": None}
    pairs = [p / b for p, b in zip(py["coll_ns_runs"], base["coll_ns_runs"]) if b]   # run by run
    r["total_range"] = (min(pairs), max(pairs)) if len(pairs) == len(py["coll_ns_runs"]) else None
    # What is left, T_py / T_disp, is fixed x free x rest: take off each side's fixed cost
    # per collection and its cost of freeing what the collections found (measured apart);
    # rest is the ratio of what remains, the examining of objects.
    c_py, c_disp = costs["py"], costs["cpython layout=py"]
    free_py = py["collected"] * c_py["free"]["median"]
    free_disp = disp["collected"] * c_disp["free"]["median"]
    a_py = py["coll_ns"] - fixed_ns(py, c_py) - free_py
    a_disp = disp["coll_ns"] - fixed_ns(disp, c_disp) - free_disp
    if a_py > 0 and a_disp > 0 and disp["coll_ns"]:
        r["rest"] = a_py / a_disp
        r["free"] = (a_py + free_py) / (a_disp + free_disp) / r["rest"]
        r["fixed"] = (py["coll_ns"] / disp["coll_ns"]) / (r["rest"] * r["free"])
    return r


def factor(v):
    return "-" if v is None else "%.2f" % v


def print_ladder(results, costs):
    def cell(d):
        return "%s (%s-%s)" % (ns(d["median"]), ns(d["range"][0]), ns(d["range"][1]))
    print()
    print("## What the gap is made of: from the model to CPython, one change at a time")
    print()
    print("Costs measured apart, on traces every side replays: a collection of an empty heap "
          "(`collect 0` x 2000, `collect 2` x 500; the fixed cost of a collection), and a chain of "
          "%d two-slot containers, each holding an atom, freed by one reference-count cascade "
          "(what freeing one garbage object costs, per object freed); median (range) of the "
          "processes' figures:" % FREE_LINKS)
    print()
    print("| side | empty young collection | empty full collection | freeing, per object |")
    print("|---|---|---|---|")
    for name, d in costs.items():
        print("| %s | %s | %s | %s |" % (name, cell(d[0]), cell(d[2]), cell(d["free"])))
    print()
    print("Collection time per examined object (all the run's collections), and the factor each "
          "step multiplies the run's collection time by. **walks**: 3.11's six walks against the "
          "fused three (the model's own reorganisation). From `cpython walks=3.11` (CPython's "
          "walks) to `py`, one change at a time: **size** `layout=py-size` (CPython's 16 more "
          "header bytes an object); **dispatch** `layout=py` (tp_traverse, a visit call per "
          "reference, _PyObject_IS_GC through the type, tp_clear); then what is left between "
          "`layout=py` and `py`, split with the costs above: **fixed** the fixed cost per "
          "collection (py's includes its gc.callbacks window: two calls, two info dicts), "
          "**free** freeing the objects found (py's: tp_dealloc, the trashcan, "
          "PyObject_GC_Del into pymalloc), **rest** what remains, per object examined. "
          "size x dispatch x fixed x free x rest = py / 3.11 (median, and the range of the "
          "ratio run by run: each py process against the 3.11 one run beside it).")
    print()
    print("| workload | examined | collected | fused | 3.11 | py-size | py layout | py | walks | size "
          "| dispatch | fixed | free | rest | py / 3.11 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    names = ("cpython walks=fused", "cpython walks=3.11", "cpython layout=py-size",
             "cpython layout=py", "py")
    for w, by in results.items():
        r = ladder_row(by, costs)
        if "why" in r:
            print("| %s | (%s) |%s" % (w, r["why"], "  |" * 13))
            continue
        per = ["-" if by[n]["ns_per_examined"] is None else "%.1f" % by[n]["ns_per_examined"] for n in names]
        print("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            w, by["py"]["examined"], by["py"]["collected"], *per, factor(r["walks"]),
            factor(r["size"]), factor(r["dispatch"]), factor(r["fixed"]), factor(r["free"]),
            factor(r["rest"]),
            factor(r["total"]) + ("" if r["total_range"] is None else " (%.2f-%.2f)" % r["total_range"])))

    print()
    print("The median pause (p50 of the steady phase), and py's fixed cost per collection added to "
          "the `layout=py` model's (py's empty young collection less the model's: the "
          "gc.callbacks window); the growth of the process's RSS from its start to its peak "
          "(py's start holds the interpreter, ~10 MiB: the growth is the workload's), with "
          "CPython's object size and without:")
    print()
    print("| workload | p50 3.11 | p50 py-size | p50 py layout | + py's fixed | p50 py | "
          "(py layout + fixed) / py | RSS growth MiB 3.11 | py-size | py | py / py-size |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for w, by in results.items():
        ss = [by.get(n) for n in names[1:]]
        if any(x is None or "error" in x for x in ss):
            continue
        base, size, disp, py = ss
        extra = costs["py"][0]["median"] - costs["cpython layout=py"][0]["median"]
        both = disp["p50"] + extra if disp["p50"] else None
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            w, ns(base["p50"]), ns(size["p50"]), ns(disp["p50"]), ns(both), ns(py["p50"]),
            ratio(both, py["p50"]), mib(base["grown_rss"]), mib(size["grown_rss"]),
            mib(py["grown_rss"]), ratio(py["grown_rss"], size["grown_rss"])))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="fresh processes per side (at least 3 for a spread)")
    ap.add_argument("--size", choices=("default", "small"), default="default")
    ap.add_argument("--only", help="workloads, comma-separated (default: every one)")
    ap.add_argument("--gcscope", default=os.path.join(ROOT, "build", "gcscope"))
    ap.add_argument("--no-pyperformance", action="store_true", help="skip the pyperformance table")
    ap.add_argument("--no-ladder", action="store_true",
                    help="skip the layout sides and the table of what the gap is made of")
    ap.add_argument("--json", help="also write every figure here")
    ap.add_argument("--pyshared", default=os.path.join(ROOT, "build", "pyshared"),
                    help="python3 on libpython3.11.so (make build/pyshared)")
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
    table_sides = list(sides)
    ladder = have_py and not a.no_ladder
    if ladder:   # the model with CPython's object size, then also its dispatch (docs/cpython.md)
        sides += [("cpython layout=py-size", "cpython", ["walks=3.11", "layout=py-size"]),
                  ("cpython layout=py", "cpython", ["walks=3.11", "layout=py"])]
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
        costs = {}
        if ladder:
            costs = trace_costs(a.gcscope, sides, a.reps, tmp, EMPTY_TRACE, pick_empty)
            for name, d in trace_costs(a.gcscope, sides, a.reps, tmp, free_trace(), pick_free).items():
                costs[name].update(d)
    load1 = os.getloadavg()[0]

    print("## Calibration: `cpython` (both walk modes) against %s" % ("`py`" if have_py else "itself"))
    print()
    print("`peers/cpython/calibrate.py --reps %d --size %s`; load average %.1f at the start, %.1f after "
          "the workloads; medians of "
          "%d fresh processes per side, ratios to %s.%s" % (a.reps, a.size, load0, load1, a.reps, ref,
                               "" if have_py else " **py is absent** (`gcscope list` has no `py` collector): "
                               "the ratios compare the two walk modes only."))
    print()
    print("| workload | side | collections g0/g1/g2 | collected | same as %s | p50 | p99 | max | "
          "descheduled | ns/examined | p50 / p99 / max / ns-per-examined vs %s | peak RSS MiB | "
          "returned MiB |" % (ref, ref))
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w, by in results.items():
        r0 = by[ref]
        for name, _, _ in table_sides:
            s = by[name]
            if "error" in s:
                print("| %s | %s | FAIL: %s | | | | | | | | | | |" % (w, name, s["error"].replace("|", "/")))
                continue
            same = "-" if name == ref or "error" in r0 else (
                "yes" if s["gens"] == r0["gens"] and s["collected"] == r0["collected"] else "**no**")
            if not s["deterministic"]:
                same += " (varies between runs)"
            rr = "-" if "error" in r0 or name == ref else " / ".join(
                ratio(s[k], r0[k]) for k in ("p50", "p99", "max", "ns_per_examined"))
            print("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                w, name, "/".join(map(str, s["gens"])), s["collected"], same, ns(s["p50"]),
                ns(s["p99"]), ns(s["max"]),
                "-" if s["descheduled"] is None else "%g" % s["descheduled"],
                "-" if s["ns_per_examined"] is None else "%.1f" % s["ns_per_examined"], rr,
                mib(s["peak_rss"]), mib(s["returned"])))

    if ladder:
        print_ladder(results, costs)

    pyper = {}
    have_shared = os.access(a.pyshared, os.X_OK)
    if not a.no_pyperformance:
        print()
        print("## pyperformance's GC bodies on the system python3 beside gcscope's workloads")
        print()
        print("Timed gc.collect(), median over each process's loops, then median (min-max) over %d "
              "processes; `frozen`: gc.freeze() first, so the interpreter's own objects are not "
              "examined. `libpython3.11.so, frozen`: the same on %s, python3 linked with the "
              "shared library the `py` peer embeds (Debian's python3 carries its own, statically "
              "linked build of the interpreter)%s. gcscope: the workload's collect_ns_median "
              "(--size %s), median (min-max) over the runs above." % (
                  a.reps, a.pyshared, "" if have_shared else " -- **not built** (make build/pyshared)",
                  a.size))
        print()
        print("| body | system python3 | examined | python3, frozen | examined | libpython3.11.so, frozen "
              "| libpython / python3 | gcscope workload |" + "".join(" %s |" % s[0] for s in table_sides))
        print("|---|---|---|---|---|---|---|---|" + "---|" * len(table_sides))
        me = os.path.abspath(__file__)
        modes = [("as-is", PYTHON, "as-is"), ("frozen", PYTHON, "frozen")]
        if have_shared:
            modes.append(("shared", a.pyshared, "frozen"))
        for body, (_, _, wl) in BODIES.items():
            row = {}
            for mode, interpreter, how in modes:
                vals = []
                for _ in range(a.reps):
                    p = subprocess.run([interpreter, me, "--child", body, how], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S)
                    if p.returncode != 0:
                        raise SystemExit("calibrate: %s %s failed: %s" % (body, mode, p.stderr.strip()[-500:]))
                    vals.append(json.loads(p.stdout))
                meds = [v["median_ns"] for v in vals]
                row[mode] = {"median_ns": statistics.median(meds), "range": (min(meds), max(meds)),
                             "examined": vals[0]["examined"], "python": vals[0]["python"]}
            pyper[body] = row
            cells = []
            for name, _, _ in table_sides:
                s = results.get(wl, {}).get(name)
                if not s or "error" in s or s.get("collect_ns_median") is None:
                    cells.append("-")
                else:
                    lo, hi = s["collect_ns_median_range"]
                    cells.append("%s (%s-%s)" % (ns(s["collect_ns_median"]), ns(lo), ns(hi)))

            def fmt(m):
                return "%s (%s-%s)" % (ns(m["median_ns"]), ns(m["range"][0]), ns(m["range"][1]))
            sh = row.get("shared")
            print("| %s | %s | %d | %s | %d | %s | %s | %s |%s" % (
                body, fmt(row["as-is"]), row["as-is"]["examined"], fmt(row["frozen"]),
                row["frozen"]["examined"], fmt(sh) if sh else "-",
                ratio(sh["median_ns"], row["frozen"]["median_ns"]) if sh else "-",
                wl if wl in results else wl + " (not run)", "".join(" %s |" % c for c in cells)))
    print()
    print("calibrate: %.0f s" % (time.time() - t0))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"reference": ref, "py": have_py, "workloads": results, "pyperformance": pyper,
                       "costs": costs, "ladder": {w: ladder_row(by, costs) for w, by in results.items()}
                       if ladder else {}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
