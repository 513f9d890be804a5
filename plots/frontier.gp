# frontier.gp — `gcscope tune`'s frontier: each measured setting at (first objective, second
# objective) with min-max bars, the frontier's staircase, the defaults and the recommendation;
# with one objective, the objective against the first knob (and the median's curve).
# Inputs (gnuplot -e, written by tools/gcs/tune/plots.py, which also saves them beside the
# image as DIR/frontier.gp to redraw it):
#   data      frontier.dat: blocks 0 screened, 1 infeasible, 2 full, 3 frontier,
#             4 recommended, 5 defaults, 6 all (by x); columns x y xlow xhigh ylow yhigh label
#   out       the image path without extension (out.png and out.svg)
#   ttl xl yl the title (and a second line) and the axis labels
#   logx logy 1 for a logarithmic axis
#   two       1 when there are two objectives (draw the staircase), curve 1 to draw block 6
#   screened infeasible full   1 when that block has points (else it takes no key entry)
#   deftitle rectitle          the key entries of the defaults and the recommendation ("": none)
load 'plots/style.gp'
W = 1000; H = 700
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set title ttl
  set xlabel xl
  set ylabel yl
  set key below maxrows 2
  unset logscale
  if (logx) { set logscale x }
  if (logy) { set logscale y }
  set autoscale fix
  set offsets graph 0.06, graph 0.06, graph 0.06, graph 0.06
  plot data index 0 using 1:(screened ? $2 : NaN) with points pt 6 ps 1 lc rgb "#bbbbbb" \
         title (screened ? "screened (fewer repetitions)" : ""), \
       "" index 1 using 1:(infeasible ? $2 : NaN):3:4:5:6 with xyerrorbars pt 2 ps 1.2 lc rgb "#d08080" \
         title (infeasible ? "fails a constraint" : ""), \
       "" index 1 using 1:(infeasible ? $2 : NaN):7 with labels offset char 1,char -0.8 left font ",8" tc rgb "#d08080" notitle, \
       "" index 2 using 1:(full ? $2 : NaN):3:4:5:6 with xyerrorbars pt 7 ps 1 lc rgb "#888888" \
         title (full ? "measured (median, min-max)" : ""), \
       "" index 2 using 1:(full ? $2 : NaN):7 with labels offset char 1,char -0.8 left font ",8" tc rgb "#777777" notitle, \
       "" index 3 using 1:(two ? $2 : NaN) with steps lw 2 lc rgb "#1f77b4" title (two ? "frontier" : ""), \
       "" index 3 using 1:(two ? $2 : NaN):3:4:5:6 with xyerrorbars pt 7 ps 1.3 lc rgb "#1f77b4" notitle, \
       "" index 3 using 1:(two ? $2 : NaN):7 with labels offset char 1,char 0.8 left font ",9" tc rgb "#1f77b4" notitle, \
       "" index 6 using 1:(curve ? $2 : NaN) with lines lw 1 lc rgb "#1f77b4" title (curve ? "median" : ""), \
       "" index 5 using 1:2:3:4:5:6 with xyerrorbars pt 9 ps 2.2 lc rgb "black" title deftitle, \
       "" index 4 using 1:(rectitle ne "" ? $2 : NaN) with points pt 3 ps 3.5 lw 2 lc rgb "#d62728" title rectitle
  unset output
}
