"""schedule.py — running a tune's cells: each repetition of a (setting, workload) is one
`gcscope cell` child process (gcs.gcscope), --jobs at a time; the progress line and the time
left.

A task is (setting, workload, repetition). run_tasks skips the tasks the store already holds
(or that failed in this invocation), starts the rest in order, and stores each finished one.

Invariants: at most --jobs cells run at once; a run is stored only when its cell exited 0 with
its JSON written; every started cell is waited for, or stopped by stop(); the timeout is the
cell runner's (`gcscope cell --timeout-s`), not ours.
"""
import os
import signal
import sys
import time

from gcs import gcscope as gcs
from gcs.tune.args import PROG
from gcs.tune.report import fmt_duration


class Scheduler:
    def __init__(self, args, space, store, gcscope):
        self.a = args
        self.space = space
        self.store = store
        self.gcscope = gcscope
        self.jobs = args["jobs"]
        self.quiet = args["quiet"]
        self.running = {}        # pid -> (Popen, task, start time, prefix)
        self.measured = 0        # runs measured by this invocation
        self.failed = {}         # key -> why it gave no result
        self.last_progress = 0.0
        self.progress_of = lambda: (0, 0)   # () -> (cells finished, cells planned): set by the search

    def run_flags(self, setting, workload):
        """The `gcscope run` flags of a cell (the cell runner adds --out)."""
        flags = ["--collector", self.space.collector, "--workload", workload, "--seed", str(self.a["seed"])]
        for n, v in self.space.knobs_of(setting, workload).items():
            flags += ["--set", f"{n}={v}"]
        if self.a["allocator"]:
            flags += ["--allocator", self.a["allocator"]]
        if self.a["trace"]:
            flags += ["--trace", self.a["trace"]]
        return flags

    # -- progress --------------------------------------------------------------------
    def eta_seconds(self, tasks_left):
        if not tasks_left:
            return 0.0
        allrec = [d for ds in self.store.seconds.values() for d in ds]
        if not allrec:
            return None
        total = 0.0
        for _, w, _ in tasks_left:
            ds = self.store.seconds.get(w) or allrec
            total += sum(ds) / len(ds)
        return total / self.jobs

    def show_progress(self, label, left_tasks, future_runs, force=False):
        """One line on stderr: cells finished (measured in full, or dropped by the search) and
        left, runs left, and the time left from the mean duration of the runs so far."""
        if self.quiet:
            return
        now = time.monotonic()
        tty = sys.stderr.isatty()
        if not force and now - self.last_progress < (0.2 if tty else 5.0):
            return
        self.last_progress = now
        eta = self.eta_seconds(left_tasks)
        allrec = [d for ds in self.store.seconds.values() for d in ds]
        if future_runs:
            eta = None if eta is None or not allrec else eta + future_runs * (sum(allrec) / len(allrec)) / self.jobs
        finished, planned = self.progress_of()
        runs_left = len(left_tasks) + future_runs
        line = (f"tune: {label}: cells done {finished}/{planned}, {planned - finished} left; "
                f"runs left {runs_left}; time left " + (f"~{fmt_duration(eta)}" if eta is not None else "?"))
        if tty:
            sys.stderr.write("\r\033[K" + line)
            if force:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    # -- running ---------------------------------------------------------------------
    def run_tasks(self, tasks, label, future_runs=0):
        """Runs the (setting, workload, rep) tasks not yet stored, --jobs at a time."""
        todo = []
        for t in tasks:
            k = self.store.key(*t)
            if self.store.load(k) is not None or k in self.failed:
                continue
            todo.append(t)
        total = len(todo)
        done = 0
        pending = list(todo)
        self.show_progress(label, pending, future_runs, force=True)
        while pending or self.running:
            while pending and len(self.running) < self.jobs:
                t = pending.pop(0)
                prefix = os.path.join(self.store.tmp_dir, self.store.key(*t))
                p = self.gcscope.start_cell(prefix, self.a["timeout"], self.run_flags(t[0], t[1]))
                self.running[p.pid] = (p, t, time.monotonic(), prefix)
            time.sleep(0.01)
            for pid in list(self.running):
                p, t, t0, prefix = self.running[pid]
                status = p.poll()
                if status is None:
                    continue
                del self.running[pid]
                self.finish(t, status, time.monotonic() - t0, prefix)
                done += 1
                self.show_progress(label, pending + [v[1] for v in self.running.values()],
                                   future_runs, force=(done == total))

    def finish(self, task, status, seconds, prefix):
        """Stores a finished cell's result, or records and prints why it has none."""
        k = self.store.key(*task)
        result = gcs.read_cell(prefix) if status == 0 else None
        if result is None:
            why = gcs.cell_failure(prefix, status, self.a["timeout"])
            self.failed[k] = why
            sys.stderr.write(("\r\033[K" if sys.stderr.isatty() else "") +
                             f"{PROG}: run failed: {self.gcscope.path} run {' '.join(self.run_flags(task[0], task[1]))}: {why}\n")
        else:
            self.store.save(k, task[0], task[1], task[2], seconds, result)
            self.measured += 1
        for f in os.listdir(self.store.tmp_dir):
            if f.startswith(os.path.basename(prefix) + "."):
                try:
                    os.unlink(os.path.join(self.store.tmp_dir, f))
                except OSError:
                    pass

    def stop(self):
        """Stops every running cell (an interrupt); the store keeps what finished."""
        for p, _, _, _ in list(self.running.values()):
            gcs.signal_cell(p, signal.SIGTERM)
        for p, _, _, _ in list(self.running.values()):
            gcs.stop_cell(p)
        self.running.clear()
        self.store.close()
