"""plots.py — a tune's figures: the data (DIR/frontier.dat, DIR/heatmap.dat) and the gnuplot
variables for plots/frontier.gp and plots/heatmap.gp, drawn as every gcscope figure is drawn
(from the repository root: gnuplot -e "VARS" plots/X.gp, writing X.png and X.svg).

DIR/frontier.gp and DIR/heatmap.gp keep the variables and load the script, so that
`gnuplot DIR/frontier.gp` redraws the figure from anywhere.

Invariants: data files are written whole (a temporary, then renamed); a missing gnuplot or a
failed drawing is one line on stderr, never an error of the tune.
"""
import os
import shutil
import statistics
import subprocess
import sys

from gcs.gcscope import REPO
from gcs.tune.args import METRICS, PROG
from gcs.tune.report import atomic_write, rel, setting_text

KINDS = ["screened", "infeasible", "full", "frontier", "recommended", "defaults", "all"]   # frontier.dat's blocks


def gp_string(s):
    """s as a gnuplot double-quoted string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def gp_vars(values):
    """name = value; ... for gnuplot -e: strings quoted, numbers as they are."""
    return "; ".join(f"{k} = {gp_string(v) if isinstance(v, str) else v}" for k, v in values.items())


def draw(directory, name, values):
    """Draws plots/NAME.gp into DIRECTORY/NAME.png (and .svg) with the variables in values, and
    writes DIRECTORY/NAME.gp, which redraws it."""
    values = dict(values, out=os.path.abspath(os.path.join(directory, name)))
    script = os.path.join(REPO, "plots", name + ".gp")
    atomic_write(os.path.join(directory, name + ".gp"),
                 f"# {name}.gp — redraws {name}.png and {name}.svg: gnuplot {name}.gp (written by gcscope tune)\n"
                 f"cd {gp_string(REPO)}\n{gp_vars(values)}\nload {gp_string('plots/' + name + '.gp')}\n")
    if not shutil.which("gnuplot"):
        sys.stderr.write(f"{PROG}: gnuplot not found: {rel(os.path.join(directory, name + '.gp'))} written, no {name}.png\n")
        return
    p = subprocess.run(["gnuplot", "-e", gp_vars(values), script], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(f"{PROG}: gnuplot {rel(script)} failed: {p.stderr.strip()[:500]}\n")


def unit_scale(dim):
    return (1e6, "ms") if dim == "time" else (1024 ** 2, "MiB")


def kind_of(search, s):
    return ("defaults" if s == search.defaults else "recommended" if s == search.best else
            "frontier" if s in search.frontier else
            "full" if search.complete(s) and search.infeasibility(s) == 0 else
            "infeasible" if search.complete(s) else "screened")


def frontier(directory, space, search):
    """Frontier scatter: the first two objectives (one workload: absolute figures with min-max
    bars; several: ratios to the defaults). One objective: it against the first knob."""
    objectives = search.objectives
    one = len(space.workloads) == 1
    w0 = space.workloads[0]
    title = f"{space.collector} x {', '.join(space.workloads)}: " + ", ".join(n for n, _, _ in space.axes)
    data = []
    if len(objectives) >= 2:
        ox, oy = objectives[0], objectives[1]
        (sx, ux), (sy, uy) = unit_scale(METRICS[ox][1]), unit_scale(METRICS[oy][1])
        for s in search.measured_settings:
            label = ",".join(str(v) for v in s.values())
            if one:
                vx, vy = search.values(s, w0, ox), search.values(s, w0, oy)
                row = [statistics.median(vx) / sx, statistics.median(vy) / sy, min(vx) / sx, max(vx) / sx,
                       min(vy) / sy, max(vy) / sy]
            else:
                x, y = search.score(s)[0], search.score(s)[1]
                row = [x, y, x, x, y, y]
            data.append((kind_of(search, s), row, label))
        xl = f"{METRICS[ox][2]} ({ux})" if one else f"{METRICS[ox][2]} / defaults' (geometric mean over workloads)"
        yl = f"{METRICS[oy][2]} ({uy})" if one else f"{METRICS[oy][2]} / defaults'"
    else:
        ox = objectives[0]
        name0, vals0, _ = space.axes[0]
        sy, uy = unit_scale(METRICS[ox][1])
        for s in search.measured_settings:
            label = ",".join(str(v) for v in s.values())
            x = s[name0] if space.knobinfo[w0][name0]["kind"] == "int" else vals0.index(s[name0])
            if one:
                vy = search.values(s, w0, ox)
                row = [x, statistics.median(vy) / sy, x, x, min(vy) / sy, max(vy) / sy]
            else:
                y = search.score(s)[0]
                row = [x, y, x, x, y, y]
            data.append((kind_of(search, s), row, label))
        xl = name0
        yl = f"{METRICS[ox][2]} ({uy})" if one else f"{METRICS[ox][2]} / defaults'"
    text = []
    for k in KINDS:
        text.append(f"# {k}: x y xlow xhigh ylow yhigh label\n")
        rows = [d for d in data if d[0] == k]
        if k == "all":     # every fully measured setting, by x: the response curve
            rows = sorted([d for d in data if d[0] not in ("screened", "infeasible")], key=lambda d: d[1][0])
        if k == "frontier":
            rows += [d for d in data if d[0] == "recommended" or (d[0] == "defaults" and search.defaults in search.frontier)]
            rows.sort(key=lambda d: d[1][0])
        if not rows:
            text.append("NaN NaN NaN NaN NaN NaN \"\"\n")
        for _, r, label in rows:
            text.append(" ".join("%.6g" % v for v in r) + f' "{label}"\n')
        text.append("\n\n")
    atomic_write(os.path.join(directory, "frontier.dat"), "".join(text))
    xs = [d[1][0] for d in data if d[1][0] > 0]
    ys = [d[1][1] for d in data if d[1][1] > 0]
    logx = bool(xs) and max(xs) / max(min(xs), 1e-300) > 20
    logy = bool(ys) and max(ys) / max(min(ys), 1e-300) > 20
    two = len(objectives) >= 2
    if not two:
        logx = space.axes[0][2].find(":log:") >= 0 or logx
    step = "frontier: the staircase of settings no other setting beats on both" if two else ""
    present = {d[0] for d in data} | ({"frontier"} if search.frontier else set())
    draw(directory, "frontier", {
        "data": os.path.abspath(os.path.join(directory, "frontier.dat")),
        "ttl": f"{title}\n{step}", "xl": xl, "yl": yl, "logx": int(logx), "logy": int(logy),
        "two": int(two and "frontier" in present), "curve": int(not two and len(space.axes) == 1),
        "screened": int("screened" in present), "infeasible": int("infeasible" in present),
        "full": int("full" in present),
        "deftitle": f"defaults ({setting_text(search.defaults)})",
        "rectitle": f"recommended ({setting_text(search.best)})" if search.best else ""})


def heatmap(directory, space, search):
    """Two knobs: each objective's median (one workload) or ratio to the defaults (several)
    over the grid, one panel per objective; unmeasured cells stay blank."""
    (n1, v1, _), (n2, v2, _) = space.axes
    objectives = search.objectives
    one = len(space.workloads) == 1
    w0 = space.workloads[0]
    spans = {}             # objective -> (min, max) of its plotted values
    text = []
    for o in objectives:
        sc = 1e6 if METRICS[o][1] == "time" else 1024 ** 2
        text.append(f"# {o}: i j value label\n")
        for s in search.measured_settings:
            if s == search.defaults and (s.get(n1) not in v1 or s.get(n2) not in v2):
                continue
            if one:
                val = statistics.median(search.values(s, w0, o)) / sc
            else:
                val = search.score(s)[objectives.index(o)]
            mark = "*" if search.complete(s) else ""
            lo, hi = spans.get(o, (val, val))
            spans[o] = (min(lo, val), max(hi, val))
            text.append(f"{v1.index(s[n1])} {v2.index(s[n2])} {val:.6g} \"{val:.3g}{mark}\"\n")
        text.append("\n\n")
    atomic_write(os.path.join(directory, "heatmap.dat"), "".join(text))
    titles, logcb = [], []
    for o in objectives:
        unit = ("ms" if METRICS[o][1] == "time" else "MiB") if one else "x defaults"
        lo, hi = spans.get(o, (1, 1))
        log = lo > 0 and hi / lo > 20      # a colour per decade, or one colour would take it all
        logcb.append("1" if log else "0")
        titles.append(f"'{METRICS[o][2]} ({unit}{', colour scale logarithmic' if log else ''}); lower is better'")
    cols = min(len(objectives), 2)
    draw(directory, "heatmap", {
        "data": os.path.abspath(os.path.join(directory, "heatmap.dat")),
        "ttl": f"{space.collector} x {', '.join(space.workloads)} (* = all repetitions; blank = not measured)",
        "xl": n1, "yl": n2,
        "xt": ", ".join(f'"{v}" {i}' for i, v in enumerate(v1)),
        "yt": ", ".join(f'"{v}" {i}' for i, v in enumerate(v2)),
        "nx": len(v1), "ny": len(v2), "n": len(objectives), "cols": cols,
        "rows": (len(objectives) + cols - 1) // cols, "titles": " ".join(titles), "logcb": " ".join(logcb)})
