#!/usr/bin/env python3
"""test-resume.py — `make bench` interrupted and resumed (driver/bench.sh, driver/matrix.c).

A small matrix (rc and cpython × lru and gcbench-cyclic at --size small, 2 repetitions: 8
runs) is measured once without a stop, and once interrupted twice with SIGINT and resumed:
  - first during a cell (a run's child is alive: its log's temporary exists, two runs whole),
    `kill -INT` to bench.sh;
  - then, resumed, right after two more runs have finished (between cells), SIGINT to bench.sh's
    process group, as Ctrl-C in a terminal sends it;
  - then resumed to the end.
The cells run through a wrapper (--gcscope) that sleeps 0.2 s before it execs build/gcscope,
so a cell lasts long enough for the first moment to find one running. Whatever moment a
signal lands at — even after the run's end — the assertions hold:
  - no JSON file under the test's folders is ever invalid (a thread parses every *.json each
    time it changes, the whole time);
  - an interrupted bench.sh exits 130 with state `interrupted`, leaves no process of its own
    alive, no temporary file, and every run either whole (its four files) or absent;
  - the partial folder is readable: summarize.py tables the runs present and lists the others
    as missing; the report names them;
  - a resumed run keeps the finished runs' files untouched (same inode and mtime);
  - the end is the uninterrupted run's: the same runs, the same deterministic figures (objects,
    collections, pauses, the workload's own figures' names), Google Benchmark's JSON naming
    the same benchmarks with the same counts, the same rows in cells.tsv, the same figures.
gcscope-bench alone is also interrupted with SIGINT (as Ctrl-C): it dies of it, writes no
gbench.json and leaves no temporary.
Prints one line per check, then "resume: N passed, N failed".
"""
import json, os, shutil, signal, subprocess, sys, tempfile, threading, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GCSCOPE = os.path.join(REPO, "build", "gcscope")
BENCH = os.path.join(REPO, "build", "gcscope-bench")
RESULT_EXTS = (".json", ".pauses.tsv", ".rss.tsv", ".counters.tsv")

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   %s" % what)
    else:
        failed += 1
        print("FAIL %s%s" % (what, (": " + str(detail)) if detail else ""))
    return ok


class Watcher(threading.Thread):
    """Parses every *.json under root whenever its (inode, size, mtime) changes."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.seen, self.bad, self.parsed = root, {}, [], 0
        self.stop = threading.Event()

    def scan(self):
        for d, _dirs, files in os.walk(self.root):
            for f in files:
                if not f.endswith(".json"):
                    continue
                p = os.path.join(d, f)
                try:
                    fd = os.open(p, os.O_RDONLY)
                except OSError:
                    continue   # renamed over or removed since the listing
                try:
                    st = os.fstat(fd)
                    sig = (st.st_ino, st.st_size, st.st_mtime_ns)
                    if self.seen.get(p) == sig:
                        continue
                    with os.fdopen(fd, "rb", closefd=False) as fh:
                        text = fh.read()
                    self.seen[p] = sig
                    self.parsed += 1
                    try:
                        json.loads(text)
                    except ValueError as e:
                        self.bad.append("%s: %s (%d bytes)" % (p, e, len(text)))
                finally:
                    os.close(fd)

    def run(self):
        while not self.stop.is_set():
            self.scan()
            time.sleep(0.01)
        self.scan()


def default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # a shell's background child ignores it else


def runs(d):
    """{run name (COLLECTOR.WORKLOAD.SIZE.ALLOCATOR.rK): set of its files' endings} in d/cells."""
    out = {}
    cells = os.path.join(d, "cells")
    for f in os.listdir(cells) if os.path.isdir(cells) else []:
        parts = f.split(".")
        for i, p in enumerate(parts):
            if i >= 4 and p.startswith("r") and p[1:].isdigit():
                out.setdefault(".".join(parts[:i + 1]), set()).add("." + ".".join(parts[i + 1:]))
                break
    return out


def whole(d):
    return sorted(r for r, exts in runs(d).items() if all(e in exts for e in RESULT_EXTS))


def running_child(d):
    return any(".log.tmp" in exts for exts in runs(d).values())


def processes_of(path):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if path in cmd:
            out.append("%s: %s" % (pid, cmd))
    return out


def temporaries(d):
    return [os.path.join(r, f) for r, dirs, files in os.walk(d) for f in files + dirs
            if f.endswith(".tmp") or ".tmp." in f]


def bench(args, log, kill_when=None, group=False, timeout=120):
    """Runs driver/bench.sh ARGS in a process group of its own; sends SIGINT once kill_when()
    holds, to bench.sh (kill -INT PID) or, with group, to its group (as Ctrl-C in a terminal).
    Returns (status, killed)."""
    with open(log, "ab") as out:
        p = subprocess.Popen([os.path.join(REPO, "driver", "bench.sh")] + args, cwd=REPO, stdout=out,
                             stderr=subprocess.STDOUT, preexec_fn=default_sigint, start_new_session=True)
        killed, t0 = False, time.time()
        try:
            while p.poll() is None and time.time() - t0 < timeout:
                if kill_when and not killed and kill_when():
                    if group:
                        os.killpg(p.pid, signal.SIGINT)
                    else:
                        p.send_signal(signal.SIGINT)
                    killed = True
                time.sleep(0.005)
        finally:   # out of time, or the test itself stopped: bench.sh ends its step and itself
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                timed_out = True
            else:
                timed_out = False
        print("     bench.sh %s: %.1f s%s" % (" ".join(args[:2]), time.time() - t0, " (out of time)" * timed_out))
        return None if timed_out else p.returncode, killed


def state(d):
    try:
        return open(os.path.join(d, "state")).read().split()[0]
    except (OSError, IndexError):
        return None


def stamps(d, names):
    return {n: (os.stat(os.path.join(d, "cells", n + ".json")).st_ino,
                os.stat(os.path.join(d, "cells", n + ".json")).st_mtime_ns) for n in names}


def after_stop(d, status, killed, what):
    """The checks of a folder whose bench.sh has just ended (interrupted or not)."""
    status = 130 if status == -signal.SIGINT else status   # died of it, as the shell says 130
    check(status in (0, 130), "%s: exit status 0 or 130 (got %s)" % (what, status))
    if status == 130:
        check(state(d) == "interrupted", "%s: state interrupted" % what, state(d))
    else:
        check(state(d) == "finished", "%s: finished before the signal, state finished" % what, state(d))
        print("     (the signal landed after the run's end: killed=%s)" % killed)
    check(not processes_of(d), "%s: no process of the run left" % what, processes_of(d))
    check(not temporaries(d), "%s: no temporary left" % what, temporaries(d))
    partial = {r: sorted(e) for r, e in runs(d).items()
               if any(x in e for x in RESULT_EXTS) and not all(x in e for x in RESULT_EXTS)}
    check(not partial, "%s: every run whole or absent" % what, partial)


def readable(d, what):
    """summarize.py and the report on a (possibly partial) folder."""
    have = whole(d)
    p = subprocess.run([sys.executable, os.path.join(REPO, "tools", "summarize.py"), d], capture_output=True, text=True)
    miss = 8 - len(have)
    check(p.returncode == 0 and "Traceback" not in p.stderr, "%s: summarize.py reads the partial folder" % what,
          p.stderr[-400:])
    if miss:
        check("missing: %d of the 8 planned runs" % miss in p.stdout, "%s: summarize lists the %d missing runs" % (what, miss),
              p.stdout[-300:])
    rows = [l.split("\t") for l in open(os.path.join(d, "cells.tsv")) if not l.startswith("#")] if p.returncode == 0 else []
    nreps = sum(int(r[4]) for r in rows)
    check(nreps == len(have), "%s: cells.tsv tables the %d runs present" % (what, len(have)), nreps)
    r = subprocess.run([sys.executable, os.path.join(REPO, "tools", "plotdata.py"), "report", d], capture_output=True,
                       text=True)
    text = open(os.path.join(d, "report.md")).read() if r.returncode == 0 else ""
    check(r.returncode == 0 and (not miss or "**Missing runs**" in text), "%s: the report names the missing runs" % what,
          r.stderr[-400:])


DETERMINISTIC = ("collector", "workload", "allocator", "seed", "params", "objects.allocated", "objects.freed",
                 "objects.leaked", "objects.bytes_allocated", "stats", "pauses.count", "pauses.by_kind")


def pick(j, path):
    for k in path.split("."):
        j = j.get(k) if isinstance(j, dict) else None
    return j


def figures_of(d, name):
    j = json.load(open(os.path.join(d, "cells", name + ".json")))
    out = {k: pick(j, k) for k in DETERMINISTIC}
    out["figure names"] = sorted(j.get("figures") or {})
    return out


def gbench(d):
    j = json.load(open(os.path.join(d, "gbench.json")))
    return [(b["name"], b.get("error_occurred", False), b.get("allocated"), b.get("leaked"), b.get("pauses"))
            for b in j["benchmarks"]]


def compare(full, res):
    try:
        compare_(full, res)
    except (OSError, ValueError, KeyError, IndexError) as e:
        check(False, "resumed: the folders can be compared", e)


def compare_(full, res):
    a, b = whole(full), whole(res)
    check(len(a) == 8 and a == b, "resumed: the same 8 runs as the uninterrupted run", (a, b))
    diff = [n for n in a if n in b and figures_of(full, n) != figures_of(res, n)]
    check(not diff, "resumed: every run's deterministic figures equal the uninterrupted run's", diff[:3])
    check(open(os.path.join(full, "plan.txt")).read() == open(os.path.join(res, "plan.txt")).read(), "resumed: same plan")
    try:
        ga, gb = gbench(full), gbench(res)
    except (OSError, ValueError, KeyError) as e:
        ga, gb = None, e
    check(ga is not None and ga == gb and len(ga) == 8 and not any(x[1] for x in ga),
          "resumed: gbench.json names the same 8 benchmarks, none failed, same counts", (ga, gb))
    rows = lambda d: sorted(tuple(l.split("\t")[:5]) for l in open(os.path.join(d, "cells.tsv")) if not l.startswith("#"))
    check(rows(full) == rows(res), "resumed: cells.tsv has the same rows", (rows(full), rows(res)))
    pngs = lambda d: sorted(f for f in os.listdir(os.path.join(d, "plots")) if f.endswith((".png", ".svg")))
    check(os.path.isdir(os.path.join(res, "plots")) and pngs(full) == pngs(res) and pngs(full),
          "resumed: the same figures", (pngs(full), os.path.isdir(os.path.join(res, "plots")) and pngs(res)))
    text = open(os.path.join(res, "report.md")).read()
    check("**Missing runs**" not in text and "resumed (UTC, load)" in text,
          "resumed: report.md has no missing run and names the resumptions")
    check(state(res) == "finished", "resumed: state finished", state(res))


def matrix_alone(root, wrapper):
    """gcscope-bench by hand, Ctrl-C (SIGINT) during a cell."""
    d = os.path.join(root, "alone")
    p = subprocess.Popen([BENCH, "--out", d, "--collectors", "rc", "--workloads", "rings", "--sizes", "small",
                          "--allocators", "arena", "--repetitions", "3", "--gcscope", wrapper,
                          "--benchmark_out=%s/gbench.json" % d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=default_sigint)
    t0 = time.time()
    while p.poll() is None and not (len(whole(d)) >= 1 and running_child(d)) and time.time() - t0 < 60:
        time.sleep(0.005)
    p.send_signal(signal.SIGINT)
    status = p.wait()
    if status == 0:
        print("     (gcscope-bench ended before the signal)")
        check(os.path.exists(os.path.join(d, "gbench.json")), "gcscope-bench alone: gbench.json written")
    else:
        check(status == -signal.SIGINT, "gcscope-bench alone: dies of SIGINT", status)
        check(not os.path.exists(os.path.join(d, "gbench.json")), "gcscope-bench alone: no gbench.json when interrupted")
    check(not temporaries(d), "gcscope-bench alone: no temporary left", temporaries(d))
    check(not processes_of(d), "gcscope-bench alone: no cell left running", processes_of(d))


def main():
    for b in (GCSCOPE, BENCH):
        if not os.access(b, os.X_OK):
            check(False, "%s built (make build/gcscope build/gcscope-bench)" % b)
            return
    root = tempfile.mkdtemp(prefix="gcscope-resume.")
    try:
        wrapper = os.path.join(root, "slow-gcscope")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n# a cell that lasts long enough to be interrupted\nsleep 0.2\nexec %s \"$@\"\n" % GCSCOPE)
        os.chmod(wrapper, 0o755)
        args = ["--collectors", "rc,cpython", "--workloads", "lru,gcbench-cyclic", "--sizes", "small",
                "--allocators", "arena", "--repetitions", "2", "--gcscope", wrapper]
        full, res, log = os.path.join(root, "full"), os.path.join(root, "res"), os.path.join(root, "log")
        watch = Watcher(root)
        watch.start()

        status, _ = bench(["--results", full] + args, log)
        check(status == 0 and state(full) == "finished", "uninterrupted run: exit 0, state finished", status)

        # 1: during a cell, two runs whole
        status, killed = bench(["--results", res] + args, log, lambda: len(whole(res)) >= 2 and running_child(res))
        after_stop(res, status, killed, "interrupt 1 (during a cell)")
        if state(res) == "interrupted":
            readable(res, "interrupt 1")
        kept1 = whole(res)
        before = stamps(res, kept1)

        # 2: resumed, right after two more runs finished
        n1 = len(kept1)
        status, killed = bench(["--resume", res], log, lambda: len(whole(res)) >= min(n1 + 2, 8), group=True)
        after_stop(res, status, killed, "interrupt 2 (between cells)")
        check(stamps(res, kept1) == before, "interrupt 2: the runs kept from the first sitting untouched")
        if state(res) == "interrupted":
            readable(res, "interrupt 2")
        kept2 = whole(res)
        before = stamps(res, kept2)

        status, _ = bench(["--resume", res], log)
        check(status == 0, "resume to the end: exit 0", status)
        check(stamps(res, kept2) == before, "resume: the runs kept from the earlier sittings untouched")
        compare(full, res)

        status, _ = bench(["--resume", res, "--workloads", "churn"], log)
        check(status == 2, "--resume with other arguments refused (exit 2)", status)
        status, _ = bench(["--resume", os.path.join(root, "nowhere")], log)
        check(status == 2, "--resume of a folder that is not one refused (exit 2)", status)

        matrix_alone(root, wrapper)
        watch.stop.set()
        watch.join()
        check(watch.parsed >= 20 and not watch.bad, "no JSON file was ever invalid (%d versions parsed)" % watch.parsed,
              watch.bad[:3])
        if failed:
            print("bench.sh's output:\n" + open(log).read()[-3000:])
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # ends bench.sh and removes the folders
    t0 = time.time()
    main()
    print("(%.1f s)" % (time.time() - t0))
    print("resume: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
