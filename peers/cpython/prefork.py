#!/usr/bin/python3
"""prefork.py -- `make prefork`: gc.freeze()'s reason in numbers (the `prefork` workload).

    peers/cpython/prefork.py [--gcscope BIN] [--reps N] [--collectors a,b] [-- RUN FLAGS...]

For every collector (every one `gcscope list --json` names, or --collectors), runs the
`prefork` workload with freeze=off and freeze=on, each --reps times in a fresh process, and
prints a Markdown table: each worker's Private_Dirty (what it copied of the parent's pages,
plus its own churn) and the bytes it still shares with the parent, median [min-max], and the
parent's heap when it forked. A collector without gc.freeze() runs freeze=on as off (the
`frozen` figure says which happened).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(gcscope, collector, freeze, extra):
    cmd = [gcscope, "run", "--collector", collector, "--workload", "prefork", "--set",
           "freeze=" + freeze, "--json"] + extra
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("prefork: %s failed: %s" % (" ".join(cmd), p.stderr.strip()[-800:]))
    return json.loads(p.stdout)["figures"]


def stat(vals):
    m = statistics.median(vals) / 1048576
    return "%.1f [%.1f-%.1f]" % (m, min(vals) / 1048576, max(vals) / 1048576)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gcscope", default=os.path.join(ROOT, "build", "gcscope"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--collectors")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args(argv)
    listing = json.loads(subprocess.run([a.gcscope, "list", "--json"], stdout=subprocess.PIPE,
                                        check=True, text=True).stdout)
    names = a.collectors.split(",") if a.collectors else [c["name"] for c in listing["collectors"]]
    print("| collector | freeze | frozen | worker Private_Dirty MiB | still shared MiB | parent heap MiB |")
    print("|---|---|---|---|---|---|")
    for c in names:
        for fr in ("off", "on"):
            figs = [run(a.gcscope, c, fr, a.extra) for _ in range(a.reps)]
            print("| %s | %s | %s | %s | %s | %.1f |" % (
                c, fr, "yes" if figs[0]["frozen"] else "no",
                stat([f["child_private_dirty_bytes"] for f in figs]),
                stat([f["child_shared_bytes"] for f in figs]),
                figs[0]["state_bytes"] / 1048576), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
