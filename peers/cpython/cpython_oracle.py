#!/usr/bin/python3
"""cpython_oracle.py -- replay a gcscope trace on CPython itself (the system python3, 3.11; or
a CPython 3.12 or 3.13 interpreter running this script, for the cpython collector's `version`).

    /usr/bin/python3 peers/cpython/cpython_oracle.py [--threshold T0,T1,T2] [--disabled]
                                             [--freeze-after-allocs N] TRACE

prints one JSON object with the fields of `gcscope replay --json` that CPython can report:
`collects` (what gc.collect(GEN) returned for each `collect` op), `stats` (gc.get_stats() per
generation, counting only the trace's collections), `count` (gc.get_count() at the end, the
names still bound), `live_after_full` (objects alive after each full collection, atoms
included) and `live_at_end`. The trace format is docs/trace-format.md.

How the trace maps onto Python objects, and why:

  container  an instance of `L`, a list subclass with __slots__ = (), created as `L()` then
             extended in place with a prebuilt list of n None (`tmp += NONES[i]`).
             Not a plain list: exact lists come from a freelist of 80 (listobject.c) that
             neither counts toward generation 0 (count0++ happens in _PyObject_GC_Link, which
             a freelist reuse skips) nor un-counts (list_dealloc pushes to the freelist
             instead of PyObject_GC_Del), so `[None]*n` would measure listobject.c's freelist,
             not gcmodule.c. A subclass is allocated by PyType_GenericAlloc (gc_alloc, so
             count0++ and a possible collection *before* the object is tracked) and freed by
             subtype_dealloc -> PyObject_GC_Del (count0-- while > 0): exactly the model.
             `L()` passes no arguments, so no argument tuple is built (tuples are tracked).
  atom       a bytearray, made by `ATOMS[i].copy()` from a prebuilt template of BYTES bytes.
             bytearray is not a GC type (never tracked, as an int or str) and copy() always
             allocates a fresh object, also for 0 and 1 bytes -- bytes would not do: b'' and
             the 256 one-byte strings are shared singletons, so two atoms could be one
             object and live counts would be off.
  name       an index into `names`, a list preallocated before the trace (and frozen); the
             name '-' of `set X S -` is an extra index that is always None. A Python local
             holding None is a bound name holding nothing, and so is an unbound one here;
             the C replay tells the two apart only to report errors.
  ops        parsed whole before the replay into four parallel lists of ints (no tuples per
             op); NSLOTS and BYTES are replaced by indexes into the template lists.

The replay loop allocates no GC-tracked object of its own: ints (non-GC) for loop indexes and
results, a range iterator (non-GC), `L()` for `new`, bytearray copies for `atom`. Everything
else -- the op lists, templates, `names`, the result lists, the set used to count atoms, the
functions themselves, and one spare empty list per full collection -- exists before
gc.freeze(), which moves it all to the permanent generation. Then one gc.collect() empties
generations 0..2 and zeroes their counts, long_lived_total and long_lived_pending, so the
trace starts from the state gcscope starts from. gc.get_stats() is read before the freeze and
subtracted (with that one setup collection of generation 2).

Options mirror the collector's knobs: --threshold (gc.set_threshold), --disabled
(gc.disable(): counts go on, no automatic collection), --freeze-after-allocs N (gc.freeze()
right after the N-th `new` has made its container, before it is bound -- where the collector's
freeze_after_allocs knob freezes).

Binding order is CPython's: `names[a] = tmp` stores the new object (allocated, maybe after a
collection, while the old binding still held) and then drops the old reference.

Counting live objects after a full collection (gc.collect() or gc.collect(2)):
  containers  len(gc.get_objects()): after a full collection every tracked object in
              generations 0..2 is one of the trace's containers (anything else is reported as
              an oracle error). gc.get_objects() builds its result list with PyList_New(0),
              which would count toward generation 0 when the list freelist is empty -- and a
              full collection empties every freelist (clear_freelists). So just before the
              call one of the spare empty lists, allocated before the freeze, is released:
              it goes to the freelist, get_objects() takes it back, and its release goes to
              the freelist again. count0 is left exactly as the collection left it.
  atoms       the distinct bytearrays (by id) held by a bound name or by a slot of a live
              container: an atom nothing holds was freed by reference counting, so this is
              every live atom.
  frozen      with --freeze-after-allocs, the trace's frozen containers still alive are
              gc.get_freeze_count() less what was frozen before the trace (and less the
              spares released). gc.get_objects() does not list them, so the atoms that only
              frozen garbage holds could not be found: that option needs an atom-free trace.

Exit status: 0, or 1 with a message "TRACE:LINE: ..." on a malformed trace or a replay error.
"""
import gc
import json
import sys

NEW, ATOM, SET, LOAD, DROP, COLLECT, NEW_FREEZE = range(7)
OPNAMES = {"new": NEW, "atom": ATOM, "set": SET, "load": LOAD, "drop": DROP, "collect": COLLECT}
USAGE = {NEW: "new ID NSLOTS", ATOM: "atom ID BYTES", SET: "set ID SLOT ID2",
         LOAD: "load ID SRC SLOT", DROP: "drop ID", COLLECT: "collect [GEN]"}
MAX_SLOTS = 1 << 24
MAX_BYTES = 1 << 30


class OracleError(Exception):
    pass


class L(list):
    """A trace container: a list that never comes from the list freelist (see above)."""
    __slots__ = ()


def tokenize(line):
    i = line.find("#")
    if i >= 0:
        line = line[:i]
    return line.split()


def parse(path):
    """Returns (OP, A, B, C, nnames, slot_sizes, atom_sizes, lines, nfull)."""
    OP, A, B, C, LINES = [], [], [], [], []
    names = {}
    slot_idx, slot_sizes = {}, []
    atom_idx, atom_sizes = {}, []
    nfull = 0

    def fail(lineno, msg):
        raise OracleError("%s:%d: %s" % (path, lineno, msg))

    def name(lineno, s):
        if s == "-":
            fail(lineno, "'-' is not a name (it only clears a slot in `set`)")
        i = names.get(s)
        if i is None:
            i = names[s] = len(names)
        return i

    def uint(lineno, s, mx, what):
        if not s.isdigit() or not s.isascii():
            fail(lineno, "expected %s (a non-negative integer), got '%s'" % (what, s))
        v = int(s)
        if v > mx:
            fail(lineno, "%s '%s' is out of range (at most %d)" % (what, s, mx))
        return v

    with open(path, "r") as f:
        for lineno, line in enumerate(f, 1):
            tok = tokenize(line)
            if not tok:
                continue
            code = OPNAMES.get(tok[0])
            if code is None:
                fail(lineno, "unknown op '%s' (expected new, atom, set, load, drop or collect)" % tok[0])
            nargs = {NEW: 2, ATOM: 2, SET: 3, LOAD: 3, DROP: 1, COLLECT: 0}[code]
            args = len(tok) - 1
            if (args > 1) if code == COLLECT else (args != nargs):
                fail(lineno, "expected `%s`" % USAGE[code])
            a = b = c = 0
            if code == NEW:
                a = name(lineno, tok[1])
                n = uint(lineno, tok[2], MAX_SLOTS, "NSLOTS")
                if n not in slot_idx:
                    slot_idx[n] = len(slot_sizes)
                    slot_sizes.append(n)
                b = slot_idx[n]
            elif code == ATOM:
                a = name(lineno, tok[1])
                n = uint(lineno, tok[2], MAX_BYTES, "BYTES")
                if n not in atom_idx:
                    atom_idx[n] = len(atom_sizes)
                    atom_sizes.append(n)
                b = atom_idx[n]
            elif code == SET:
                a = name(lineno, tok[1])
                b = uint(lineno, tok[2], MAX_SLOTS - 1, "SLOT")
                c = -1 if tok[3] == "-" else name(lineno, tok[3])
            elif code == LOAD:
                a = name(lineno, tok[1])
                b = name(lineno, tok[2])
                c = uint(lineno, tok[3], MAX_SLOTS - 1, "SLOT")
            elif code == DROP:
                a = name(lineno, tok[1])
            else:
                b = 2 if args == 0 else uint(lineno, tok[1], 2, "GEN (0, 1 or 2)")
                if b == 2:
                    nfull += 1
            OP.append(code)
            A.append(a)
            B.append(b)
            C.append(c)
            LINES.append(lineno)
    nnames = len(names)
    # '-' in `set X S -` reads the extra name nnames, which stays None.
    for k in range(len(OP)):
        if OP[k] == SET and C[k] == -1:
            C[k] = nnames
    return OP, A, B, C, nnames, slot_sizes, atom_sizes, LINES, nfull


def count_live(names, objs_fn, seen, bad):
    """Objects alive: tracked containers (all of them after a full collection) plus the
    distinct atoms held by a name or a container. Allocates no tracked object: the result
    list of gc.get_objects() comes from the list freelist (see the module comment)."""
    objs = objs_fn()
    n = 0
    for i in range(len(objs)):
        o = objs[i]
        if type(o) is not L:
            bad.append(repr(type(o)))
            continue
        n += 1
        for j in range(len(o)):
            x = o[j]
            if type(x) is bytearray:
                seen.add(id(x))
    objs = None
    for i in range(len(names)):
        x = names[i]
        if type(x) is bytearray:
            seen.add(id(x))
    n += len(seen)
    seen.clear()
    return n


def replay(OP, A, B, C, names, NONES, ATOMS, collects, live, spares, seen, bad, state, frozen0):
    """The replay loop. Every object it creates is a trace object, an int or a range
    iterator; see the module comment."""
    collect = gc.collect
    get_objects = gc.get_objects
    freeze = gc.freeze
    frozen_count = gc.get_freeze_count
    nsp = 0
    k = 0
    tmp = None
    try:
        for k in range(len(OP)):
            op = OP[k]
            if op == SET:
                names[A[k]][B[k]] = names[C[k]]
            elif op == LOAD:
                names[A[k]] = names[B[k]][C[k]]
            elif op == NEW:
                tmp = L()               # count0++, maybe a collection; then tracked
                tmp += NONES[B[k]]      # in place: list_extend, no tracked object
                names[A[k]] = tmp       # the old binding is dropped after the store
                tmp = None
            elif op == ATOM:
                names[A[k]] = ATOMS[B[k]].copy()
            elif op == DROP:
                names[A[k]] = None
            elif op == NEW_FREEZE:
                tmp = L()
                tmp += NONES[B[k]]
                freeze()                # gc.freeze(): returns None, allocates nothing
                names[A[k]] = tmp
                tmp = None
            else:
                g = B[k]
                collects.append(collect(g))
                if g == 2:
                    spares[nsp] = None  # an empty list to the (just cleared) list freelist
                    nsp += 1
                    live.append(count_live(names, get_objects, seen, bad)
                                + frozen_count() - frozen0 + nsp)
    except (TypeError, IndexError, AttributeError):
        state[0] = k
        raise


def check_replay_error(path, OP, A, B, C, LINES, names_str, k, exc):
    return "%s:%d: replay failed (%s: %s); the trace is invalid (unbound name, " \
           "set/load through an atom or nothing, or slot out of range)" % (
               path, LINES[k], type(exc).__name__, exc)


def main(argv):
    thresholds = None
    disabled = False
    freeze_after = 0
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--threshold":
            thresholds = tuple(int(x) for x in argv[i + 1].split(","))
            i += 2
            continue
        if a == "--freeze-after-allocs":
            freeze_after = int(argv[i + 1])
            i += 2
            continue
        if a == "--disabled":
            disabled = True
            i += 1
            continue
        if a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        args.append(a)
        i += 1
    if len(args) != 1:
        sys.stderr.write("usage: cpython_oracle.py [--threshold T0,T1,T2] [--disabled] "
                         "[--freeze-after-allocs N] TRACE\n")
        return 2
    path = args[0]
    if sys.version_info[:2] not in ((3, 11), (3, 12), (3, 13)):
        sys.stderr.write("cpython_oracle.py: needs CPython 3.11, 3.12 or 3.13 (this is %s)\n"
                         % sys.version.split()[0])
        return 2

    gc.disable()
    try:
        OP, A, B, C, nnames, slot_sizes, atom_sizes, LINES, nfull = parse(path)
    except OracleError as e:
        sys.stderr.write("cpython_oracle: %s\n" % e)
        return 1
    except OSError as e:
        sys.stderr.write("cpython_oracle: %s: cannot open: %s\n" % (path, e.strerror))
        return 1

    if freeze_after > 0:
        if ATOM in OP:
            sys.stderr.write("cpython_oracle: --freeze-after-allocs needs a trace without atoms: "
                             "frozen containers are outside gc.get_objects(), so the atoms only "
                             "frozen garbage holds cannot be counted\n")
            return 2
        seen_new = 0
        for k in range(len(OP)):
            if OP[k] == NEW:
                seen_new += 1
                if seen_new == freeze_after:
                    OP[k] = NEW_FREEZE
                    break

    # Everything the replay touches exists before the freeze.
    names = [None] * (nnames + 1)
    NONES = [[None] * n for n in slot_sizes]
    ATOMS = [bytearray(n) for n in atom_sizes]
    collects = []
    live = []
    spares = [[] for _ in range(nfull)]
    seen = set()
    bad = []
    state = [0]
    if thresholds:
        gc.set_threshold(*thresholds)
    stats0 = gc.get_stats()

    gc.freeze()       # the interpreter's and the oracle's objects: permanent generation
    gc.collect()      # generations 0..2 empty, counts 0, long_lived_total = pending = 0
    frozen0 = gc.get_freeze_count()   # less one for each spare released: none of the trace's
    if not disabled:
        gc.enable()
    try:
        replay(OP, A, B, C, names, NONES, ATOMS, collects, live, spares, seen, bad, state, frozen0)
    except (TypeError, IndexError, AttributeError) as e:
        gc.disable()
        sys.stderr.write("cpython_oracle: %s\n" % check_replay_error(
            path, OP, A, B, C, LINES, None, state[0], e))
        return 1
    count = gc.get_count()          # read before the tuple it returns is allocated
    stats1 = gc.get_stats()         # a snapshot taken before its result is built
    gc.disable()
    if bad:
        sys.stderr.write("cpython_oracle: internal error: tracked objects of the oracle's own "
                         "in the heap: %s\n" % ", ".join(sorted(set(bad))))
        return 3
    live_at_end = (count_live(names, gc.get_objects, seen, [])  # skips count, stats1
                   + gc.get_freeze_count() - frozen0 + nfull)
    stats = []
    for g in range(3):
        s0, s1 = stats0[g], stats1[g]
        stats.append({
            "collections": s1["collections"] - s0["collections"] - (1 if g == 2 else 0),
            "collected": s1["collected"] - s0["collected"],
            "uncollectable": s1["uncollectable"] - s0["uncollectable"],
        })
    out = {
        "collector": "cpython-oracle",
        "python": sys.version.split()[0],
        "trace": path,
        "ops": len(OP),
        "collects": collects,
        "stats": stats,
        "count": list(count),
        "live_after_full": live,
        "live_at_end": live_at_end,
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
