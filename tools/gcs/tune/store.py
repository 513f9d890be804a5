"""store.py — the run directory and its store of finished runs, which makes a tune resumable.

  DIR/cells/<key>.json   one finished run: {key, collector, workload, knobs, seed, rep,
                         seconds, result}; key = a hash of collector + workload + every knob +
                         allocator + trace + seed + repetition
  DIR/tmp/               the runs under way (PREFIX.json, .log, ... of `gcscope cell`)
  DIR/args.json          the command line and its identity; DIR/.lock while a tune runs

Invariants: a cell file exists only for a run that exited 0 with valid JSON, and is written to
a temporary name, then renamed; the directory's name is a hash of every argument that can change
a result (not --tolerance, --jobs, --timeout), so "the same arguments" find the same directory;
one tune at a time holds a directory (flock on DIR/.lock).
"""
import datetime
import fcntl
import glob
import hashlib
import json
import os
import shutil
import sys

from gcs.gcscope import REPO
from gcs.tune.args import die


def identity(a):
    """A hash of the arguments that change what is measured or the path the search takes."""
    ident = {k: a[k] for k in ("collector", "workloads", "knobs", "objectives", "constraints",
                               "sets", "allocator", "trace", "seed", "reps", "budget")}
    # not --tolerance: it changes the pick, not what is measured
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:8]


class Store:
    def __init__(self, args, space):
        self.a = args
        self.space = space
        self.results = {}        # key -> a run's JSON (stored or measured now)
        self.seconds = {}        # workload -> [seconds each known run took]
        self.reused = 0          # runs found in the store, stored by an earlier invocation
        self.dir = self.cells_dir = self.tmp_dir = None
        self.lock = None         # DIR/.lock, held (flock) while the tune runs

    def open(self):
        ident = identity(self.a)
        if self.a["out"]:
            d = self.a["out"]
        else:
            found = sorted(glob.glob(os.path.join(REPO, "results", f"tune-*-{ident}")))
            d = found[-1] if found else os.path.join(
                REPO, "results", f"tune-{datetime.date.today().isoformat()}-{ident}")
        self.dir = d
        self.cells_dir = os.path.join(d, "cells")
        self.tmp_dir = os.path.join(d, "tmp")
        os.makedirs(self.cells_dir, exist_ok=True)
        self.lock = open(os.path.join(d, ".lock"), "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            die(f"another tune is running in {d} (it holds {d}/.lock)")
        shutil.rmtree(self.tmp_dir, ignore_errors=True)   # half-written runs of a killed tune
        os.makedirs(self.tmp_dir)
        if self.a["fresh"]:
            for f in glob.glob(os.path.join(self.cells_dir, "*.json")):
                os.unlink(f)
        with open(os.path.join(d, "args.json.tmp"), "w") as f:
            json.dump({"argv": sys.argv[1:], "identity": ident}, f, indent=1)
        os.replace(os.path.join(d, "args.json.tmp"), os.path.join(d, "args.json"))

    def stored(self):
        """How many finished runs the store holds."""
        return len(glob.glob(os.path.join(self.cells_dir, "*.json")))

    def key(self, setting, workload, rep):
        ident = {"collector": self.space.collector, "workload": workload,
                 "knobs": {n: str(v) for n, v in self.space.knobs_of(setting, workload).items()},
                 "allocator": self.a["allocator"], "trace": self.a["trace"],
                 "seed": self.a["seed"], "rep": rep}
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]

    def load(self, key):
        """The run's JSON, or None when it has not run (or its file is unreadable)."""
        if key in self.results:
            return self.results[key]
        path = os.path.join(self.cells_dir, key + ".json")
        try:
            with open(path) as f:
                rec = json.load(f)
            self.results[key] = rec["result"]
            self.reused += 1        # only a run stored by an earlier invocation gets here
            if isinstance(rec.get("seconds"), (int, float)):
                self.seconds.setdefault(rec.get("workload"), []).append(rec["seconds"])
            return rec["result"]
        except (OSError, ValueError, KeyError):
            return None

    def save(self, key, setting, workload, rep, seconds, result):
        rec = {"key": key, "collector": self.space.collector, "workload": workload,
               "knobs": self.space.knobs_of(setting, workload), "seed": self.a["seed"], "rep": rep,
               "seconds": seconds, "result": result}
        tmp = os.path.join(self.tmp_dir, key + ".record")
        with open(tmp, "w") as f:
            json.dump(rec, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.cells_dir, key + ".json"))
        self.results[key] = result
        self.seconds.setdefault(workload, []).append(seconds)

    def close(self):
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
