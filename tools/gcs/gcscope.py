"""gcscope.py — the gcscope binary as the Python tools see it.

  find_binary()             $GCSCOPE_BIN, else build/gcscope of this checkout
  Gcscope(path).listing()   `gcscope list --json`: collectors (THE collector order), workloads,
                            allocators, pause kinds, figures
  Gcscope(path).knobs(C, W) `gcscope knobs C W --json`, as {name: knob}
  Gcscope(path).start_cell(prefix, timeout_s, run_flags)
                            `gcscope cell --timeout-s T --out PREFIX RUN-FLAGS...` as a child
                            process: the one cell runner (it runs `gcscope run` in a fresh
                            process, its stderr to PREFIX.log, kills it after T seconds and
                            exits 124 then); the result is PREFIX.json
  read_cell(prefix)         a finished cell's JSON, or None
  figure(result, path)      one figure of a cell's JSON by its dotted name ("time.cpu_ns")

Invariants: tools read gcscope's JSON, never its human text; no caller spawns a cell with a
timeout of its own. A knob is {"kind": "int", "lo", "hi", "default"} or
{"kind": "enum", "values": [...], "default": name}.
"""
import json
import math
import os
import signal
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT_STATUS = 124          # `gcscope cell`'s exit status when it killed the run (as timeout(1))


class GcscopeError(Exception):
    """gcscope refused a request (an unknown collector, workload...): its first stderr line."""


def find_binary():
    """The gcscope binary to run: $GCSCOPE_BIN (cli/tune.c sets it to itself), else
    build/gcscope of this checkout; None when neither exists."""
    b = os.environ.get("GCSCOPE_BIN")
    if b:
        return b
    b = os.path.join(REPO, "build", "gcscope")
    return b if os.access(b, os.X_OK) else None


def first_line(text, fallback):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[0] if lines else fallback


class Gcscope:
    def __init__(self, path):
        self.path = path          # the binary
        self.cached = None        # `list --json`, once read

    def json_of(self, args):
        """Runs gcscope ARGS --json and returns the object it prints; GcscopeError with its
        first stderr line when it fails."""
        p = subprocess.run([self.path] + args + ["--json"], capture_output=True, text=True)
        if p.returncode != 0:
            raise GcscopeError(first_line(p.stderr, f"gcscope {' '.join(args)} --json: exit status {p.returncode}")
                               .replace("gcscope: ", ""))
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise GcscopeError(f"gcscope {' '.join(args)} --json: not JSON ({e})")

    def listing(self):
        if self.cached is None:
            self.cached = self.json_of(["list"])
        return self.cached

    def collectors(self):
        """Collector names in the registry's order (the order of every table and plot)."""
        return [c["name"] for c in self.listing()["collectors"]]

    def workloads(self):
        return [w["name"] for w in self.listing()["workloads"]]

    def allocators(self):
        return list(self.listing()["allocators"])

    def figures(self):
        """Every figure of a cell's JSON as gcscope declares it, by its dotted name."""
        return {f["name"]: f for f in self.listing().get("figures", [])}

    def knobs(self, collector, workload):
        """The knobs `gcscope run --collector C --workload W --set` accepts, by name."""
        out = {}
        for k in self.json_of(["knobs", collector, workload])["knobs"]:
            if k.get("choices"):
                out[k["name"]] = {"kind": "enum", "values": list(k["choices"]), "default": k["default"]}
            else:
                out[k["name"]] = {"kind": "int", "lo": int(k["min"]), "hi": int(k["max"]),
                                  "default": int(k["default"])}
        return out

    def cell_command(self, prefix, timeout_s, run_flags):
        """`gcscope cell` takes whole seconds: a fraction rounds up."""
        return [self.path, "cell", "--timeout-s", str(max(1, math.ceil(timeout_s))), "--out", prefix] + list(run_flags)

    def start_cell(self, prefix, timeout_s, run_flags):
        """Starts one cell; the caller polls the Popen. Its own process group, so that stopping
        it (stop_cell) reaches the run it spawned too. Its stderr goes to PREFIX.err (the run's
        own goes to PREFIX.log)."""
        with open(prefix + ".err", "w") as err:
            return subprocess.Popen(self.cell_command(prefix, timeout_s, run_flags),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True)


def signal_cell(proc, signum):
    """Sends signum to a cell started by start_cell and to the run under it."""
    try:
        os.killpg(proc.pid, signum)
    except OSError:
        pass


def stop_cell(proc, grace_s=5.0):
    """Terminates a cell started by start_cell and the run under it; kills them after grace_s."""
    signal_cell(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        signal_cell(proc, signal.SIGKILL)
        proc.wait()


def read_cell(prefix):
    """PREFIX.json of a finished cell, or None when it is missing or not JSON."""
    try:
        with open(prefix + ".json") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def cell_failure(prefix, status, timeout_s):
    """One line saying why a cell gave no result: the timeout, else the run's first stderr line
    (PREFIX.log), else the cell's own (PREFIX.err), else its exit status."""
    if status == TIMEOUT_STATUS:
        return f"timed out after {max(1, math.ceil(timeout_s))} s"
    for ext in (".log", ".err"):
        try:
            with open(prefix + ext) as f:
                line = first_line(f.read(), None)
        except OSError:
            line = None
        if line:
            return line
    return f"exit status {status}, no JSON"


def figure(result, path):
    """The figure at the dotted path ("pauses.p99_ns") of a cell's JSON, or None."""
    v = result
    for p in path.split("."):
        v = v.get(p) if isinstance(v, dict) else None
    return v

