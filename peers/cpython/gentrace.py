#!/usr/bin/python3
"""gentrace.py -- seeded, deterministic trace generators (the format: docs/trace-format.md).

    gentrace.py --style S --seed N --ops M [--no-atoms] [-o FILE]

writes a trace of about M ops (it stops at the first op boundary at or after M, then drops
nothing: the names still bound at the end are part of what is compared). The same
(style, seed, ops) gives the same bytes on any machine (random.Random with an int seed).

Styles (peers/cpython/fidelity.py runs them under `gcscope replay --collector cpython` and under
peers/cpython/cpython_oracle.py, which must agree field for field):

  graph    random graphs over a small pool of names: containers of 0..4 slots, atoms, random
           stores (cycles of every shape), loads that walk the graph, drops, rare explicit
           collections of random generations. Garbage is mostly acyclic and freed by RC;
           what is cyclic is left to the collector.
  cycles   cyclic clusters -- rings, doubly linked lists, trees with parent pointers, 2..60
           nodes, some atoms -- built and then mostly dropped young; about one in eight is
           kept for a while in a long-lived table (replacing, and so killing, an older one,
           which then dies in an older generation).
  growth   long-lived growth: a doubly linked structure that keeps growing (so generation 2
           grows and long_lived_total with it), with young cyclic garbage between the pushes
           (driving generation-0 and -1 collections, whose survivors feed
           long_lived_pending) and, now and then, a cut that turns a long tail into cyclic
           garbage only a generation-2 collection reclaims: the automatic generation-2
           collections come from the `long_lived_pending > long_lived_total / 4` rule.
  chain    deep chains, 1e3..2e5 nodes, linked forward, often closed into a ring, then
           dropped and collected (explicitly or not); deep RC cascades and long unreachable
           lists.
  mixed    all of the above, switching every few thousand ops.

The generator keeps a model of the heap (Python lists for containers) only to emit valid
traces: every name used is bound, every `set`/`load` goes through a container, every slot is
in range.
"""
import argparse
import random
import sys


class Atom:
    __slots__ = ()


class Gen:
    """Emits ops and keeps the model: names -> container (a list of slots), Atom, or None
    (bound to nothing). An unbound name is absent."""

    def __init__(self, seed, ops, atoms=True):
        self.atoms = atoms       # False: an empty container wherever an atom would be
        self.r = random.Random(seed)
        self.target = ops
        self.out = []
        self.names = {}

    def done(self):
        return len(self.out) >= self.target

    # --- ops -----------------------------------------------------------------------
    def new(self, n, k):
        self.out.append("new %s %d" % (n, k))
        self.names[n] = [None] * k

    def atom(self, n, b):
        if not self.atoms:
            self.new(n, 0)
            return
        self.out.append("atom %s %d" % (n, b))
        self.names[n] = Atom()

    def set(self, n, slot, v):
        o = self.names[n]
        assert type(o) is list and slot < len(o)
        if v is None:
            self.out.append("set %s %d -" % (n, slot))
            o[slot] = None
        else:
            self.out.append("set %s %d %s" % (n, slot, v))
            o[slot] = self.names[v]

    def load(self, n, src, slot):
        o = self.names[src]
        assert type(o) is list and slot < len(o)
        self.out.append("load %s %s %d" % (n, src, slot))
        self.names[n] = o[slot]

    def drop(self, n):
        if n in self.names:
            self.out.append("drop %s" % n)
            del self.names[n]

    def collect(self, gen=None):
        self.out.append("collect" if gen is None else "collect %d" % gen)

    # --- helpers -------------------------------------------------------------------
    def is_cont(self, n):
        return type(self.names.get(n, 0)) is list

    def maybe_collect(self, p):
        r = self.r
        if r.random() < p:
            g = r.choice((0, 0, 1, 1, 2, None))
            self.collect(g)

    def nslots(self):
        return self.r.choice((0, 1, 1, 2, 2, 2, 3, 3, 4))


# ------------------------------------------------------------------------------------
# Styles: each `step` emits a few ops.
# ------------------------------------------------------------------------------------

def graph_init(g):
    g.pool = ["v%d" % i for i in range(g.r.choice((8, 16, 32, 64)))]


def graph_step(g):
    r = g.r
    pool = g.pool
    conts = [n for n in pool if g.is_cont(n)]
    x = r.random()
    if x < 0.22 or not conts:
        g.new(r.choice(pool), g.nslots())
    elif x < 0.30:
        g.atom(r.choice(pool), r.choice((0, 1, 8, 24, 100)))
    elif x < 0.58:
        n = r.choice(conts)
        k = len(g.names[n])
        if k:
            bound = [m for m in pool if m in g.names]
            v = None if r.random() < 0.1 else r.choice(bound)
            g.set(n, r.randrange(k), v)
    elif x < 0.86:
        src = r.choice(conts)
        k = len(g.names[src])
        if k:
            # walk: often rebind the source itself to its child
            dst = src if r.random() < 0.5 else r.choice(pool)
            g.load(dst, src, r.randrange(k))
    else:
        g.drop(r.choice(pool))
    g.maybe_collect(0.0008)


def cycles_init(g):
    g.new("T", 64)      # the long-lived table
    g.tcount = 0


def build_ring(g, n, close):
    """A doubly linked list of n >= 2 nodes (slot 0 next, slot 1 prev, slot 2 an atom or
    nothing); closed into a ring when `close`. Leaves its head bound to 'h'."""
    r = g.r
    g.new("p", 3)
    g.new("c", 3)
    g.set("c", 1, "p")
    g.set("p", 0, "c")
    g.load("h", "c", 1)          # h = the head (aliasing by a load)
    g.load("p", "p", 0)          # p = c
    for _ in range(n - 2):
        g.new("c", 3)
        g.set("c", 1, "p")
        g.set("p", 0, "c")
        if r.random() < 0.2:
            g.atom("a", r.choice((0, 1, 16)))
            g.set("c", 2, "a")
        g.load("p", "p", 0)
    if close:
        g.set("p", 0, "h")
        g.set("h", 1, "p")
    g.drop("p")
    g.drop("c")
    g.drop("a")


def build_tree(g, n):
    """A tree with parent pointers (slots: left, right, parent), built by a random walk.
    Leaves the root bound to 'h'."""
    r = g.r
    g.new("h", 3)
    g.load("t", "h", 2)          # t = nothing ...
    g.new("t", 3)                # ... then a child
    g.set("t", 2, "h")
    g.set("h", 0, "t")
    depth = 1
    for _ in range(n - 2):
        y = r.random()
        if y < 0.25 and depth > 0:
            g.load("t", "t", 2)  # up
            depth -= 1
            continue
        side = r.randrange(2)
        child = g.names["t"][side]
        if child is not None and y < 0.6:
            g.load("t", "t", side)   # down
            depth += 1
            continue
        g.new("x", 3)
        g.set("x", 2, "t")
        g.set("t", side, "x")
        if r.random() < 0.5:
            g.load("t", "t", side)
            depth += 1
    g.drop("t")
    g.drop("x")


def cycles_step(g):
    r = g.r
    kind = r.randrange(4)
    n = r.randint(2, 60)
    if kind == 0:
        build_ring(g, n, True)
    elif kind == 1:
        build_ring(g, n, False)
    elif kind == 2:
        build_tree(g, n)
    else:
        # a small knot: a self-loop and a 2-cycle sharing a node
        g.new("h", 2)
        g.set("h", 0, "h")
        g.new("k", 2)
        g.set("k", 0, "h")
        g.set("h", 1, "k")
        g.drop("k")
    if r.random() < 0.125:
        g.set("T", r.randrange(64), "h")     # kept: it replaces an older survivor
    g.drop("h")
    g.maybe_collect(0.01)


def growth_init(g):
    g.new("R", 1)        # R.0 = the head of the structure (the newest node)
    g.new("n", 2)
    g.set("R", 0, "n")
    g.drop("n")
    g.new("M", 64)       # marks: nodes of the structure, where it can be cut
    g.marks = []         # slots of M in use, oldest first
    g.pushes = 0


def growth_step(g):
    r = g.r
    # push a node at the head: n.0 = the old head, old head.1 = n (a back pointer: cyclic)
    g.load("o", "R", 0)
    g.new("n", 2)
    g.set("n", 0, "o")
    g.set("o", 1, "n")
    g.set("R", 0, "n")
    g.drop("n")
    g.drop("o")
    g.pushes += 1
    if g.pushes % 2000 == 0:
        if len(g.marks) == 64:
            slot = g.marks.pop(0)
        else:
            slot = min(set(range(64)) - set(g.marks))
        g.load("w", "R", 0)
        g.set("M", slot, "w")
        g.drop("w")
        g.marks.append(slot)
    # young cyclic garbage between pushes
    for _ in range(r.choice((0, 1, 1, 2, 3))):
        g.new("y", r.choice((1, 2)))
        g.set("y", 0, "y")
        if r.random() < 0.3:
            g.atom("a", 8)
            if len(g.names["y"]) > 1:
                g.set("y", 1, "a")
            g.drop("a")
        g.drop("y")
    # now and then cut the structure at an old mark: everything older becomes cyclic
    # garbage in generation 2
    if len(g.marks) >= 2 and r.random() < 1 / 6000:
        j = r.randrange(len(g.marks) // 2 + 1)
        g.load("w", "M", g.marks[j])
        g.set("w", 0, None)
        g.drop("w")
        for slot in g.marks[:j]:
            g.set("M", slot, None)
        del g.marks[:j]
    g.maybe_collect(0.0002)


def chain_init(g):
    pass


def chain_step(g):
    r = g.r
    n = min(int(10 ** r.uniform(3, 5.3)), max(1000, (g.target - len(g.out)) // 3))
    g.new("h", r.choice((1, 2)))
    g.load("p", "h", 0)          # p = nothing
    g.new("p", 1)
    g.set("h", 0, "p")
    for _ in range(n - 2):
        g.new("c", 1)
        g.set("p", 0, "c")
        g.load("p", "p", 0)
        if g.done():
            break
    g.drop("c")
    if r.random() < 0.6:
        g.set("p", 0, "h")       # a ring
    g.drop("p")
    g.drop("h")
    x = r.random()
    if x < 0.3:
        g.collect()
    elif x < 0.5:
        g.collect(r.randrange(3))


STYLES = {
    "graph": (graph_init, graph_step),
    "cycles": (cycles_init, cycles_step),
    "growth": (growth_init, growth_step),
    "chain": (chain_init, chain_step),
}


def mixed_run(g):
    r = g.r
    graph_init(g)
    cycles_init(g)
    growth_init(g)
    while not g.done():
        name = r.choice(("graph", "cycles", "growth", "growth", "chain"))
        step = STYLES[name][1]
        if name == "chain":
            step(g)
            continue
        end = len(g.out) + r.randint(1000, 8000)
        while len(g.out) < end and not g.done():
            step(g)


def generate(style, seed, ops, atoms=True):
    g = Gen(seed, ops, atoms)
    g.out.append("# gentrace.py --style %s --seed %d --ops %d%s" % (style, seed, ops,
                                                                    "" if atoms else " --no-atoms"))
    if style == "mixed":
        mixed_run(g)
    else:
        init, step = STYLES[style]
        init(g)
        while not g.done():
            step(g)
    # a closing full collection, so that every trace has a live_after_full entry
    g.collect()
    return g.out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--style", required=True, choices=sorted(list(STYLES) + ["mixed"]))
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--ops", type=int, required=True)
    ap.add_argument("--no-atoms", action="store_true",
                    help="an empty container wherever an atom would be (for the oracle's freeze mode)")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args(argv)
    if a.ops < 1:
        ap.error("--ops must be positive")
    lines = generate(a.style, a.seed, a.ops, not a.no_atoms)
    text = "\n".join(lines) + "\n"
    if a.output == "-":
        sys.stdout.write(text)
    else:
        with open(a.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
