"""main.py — `gcscope tune` from the command line to the recommendation, in order:

  1. parse the arguments and check them against gcscope's declarations (`gcscope list --json`,
     `gcscope knobs C W --json`): a bad argument is one line on stderr and exit 2, before
     anything runs;
  2. open (or resume) the run directory;
  3. search: the defaults, then the full grid or successive halving, every repetition of every
     cell one `gcscope cell` process, --jobs at a time, each finished one stored at once;
  4. analyse, print the recommendation beside the defaults, write the files and the plots.

Exit status: 0 done, 1 a run or the defaults failed, 2 a bad command line, 130 interrupted
(SIGINT, SIGTERM or SIGHUP: the running cells are stopped, the finished ones kept).
"""
import os
import signal
import sys

from gcs import gcscope as gcs
from gcs.tune import plots
from gcs.tune.args import Interrupted, PROG, UsageError, die, die_usage, parse_args
from gcs.tune.report import Report, rel
from gcs.tune.schedule import Scheduler
from gcs.tune.search import Search
from gcs.tune.space import Space
from gcs.tune.store import Store


def main(argv):
    try:
        args = parse_args(argv)
        path = gcs.find_binary()
        if path is None:
            die(f"no gcscope binary: set GCSCOPE_BIN or build {os.path.join(gcs.REPO, 'build', 'gcscope')} (make)", 2)
        gcscope = gcs.Gcscope(path)
        space = Space(args, gcscope)
    except UsageError as e:
        die_usage(str(e))

    def on_signal(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    store = Store(args, space)
    store.open()
    sched = Scheduler(args, space, store, gcscope)
    search = Search(args, space, store, sched)
    if args["jobs"] > (os.cpu_count() or 1) and not args["quiet"]:
        sys.stderr.write(f"{PROG}: note: --jobs {args['jobs']} is more than the {os.cpu_count()} cores: "
                         "the runs will disturb each other's timings\n")
    try:
        search.search()
    except (KeyboardInterrupt, Interrupted):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sched.stop()
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") +
                         f"{PROG}: interrupted; {store.stored()} finished runs are stored in {rel(store.cells_dir)}/ — "
                         f"run the same command again to resume\n")
        return 130
    store.close()
    search.analyse()
    report = Report(args, space, store, sched, search)
    report.write_text()
    report.write_files()
    plots.frontier(store.dir, space, search)
    if len(space.axes) == 2:
        plots.heatmap(store.dir, space, search)
    sys.stdout.write(report.text)
    return 1 if sched.failed else 0
