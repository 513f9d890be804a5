# heatmap.gp — `gcscope tune` over two knobs: one panel per objective, each grid cell coloured
# by the objective's median (one workload) or its ratio to the defaults' (several) and labelled
# with it; unmeasured cells stay blank.
# Inputs (gnuplot -e, written by tools/gcs/tune/plots.py, which also saves them beside the
# image as DIR/heatmap.gp to redraw it):
#   data      heatmap.dat: block i = objective i; columns i j value label (i, j: value indices)
#   out       the image path without extension (out.png and out.svg)
#   ttl       the title over all panels; xl yl the two knobs' names
#   xt yt     the tic labels, as in set xtics ("100" 0, "250" 1, ...)
#   nx ny     how many values each knob has
#   n cols rows   panels, and their layout
#   titles    one quoted title per panel; logcb one 0|1 per panel (a logarithmic colour scale)
load 'plots/style.gp'
W = 600 * cols; H = 500 * rows
FONT = "DejaVu Sans,10"
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set multiplot layout rows, cols title ttl
  set xlabel xl
  set ylabel yl
  eval("set xtics (".xt.") rotate by 45 right")
  eval("set ytics (".yt.")")
  set xrange [-0.5:nx - 0.5]
  set yrange [-0.5:ny - 0.5]
  unset grid
  set palette defined (0 "#2c7bb6", 0.5 "#ffffbf", 1 "#d7191c")
  set cbtics
  do for [i=1:n] {
    if (word(logcb, i) eq "1") { set logscale cb } else { unset logscale cb }
    set title word(titles, i)
    plot data index (i-1) using 1:2:(0.5):(0.5):3 with boxxy fs solid 1.0 noborder lc palette notitle, \
         "" index (i-1) using 1:2:4 with labels font ",8" notitle
  }
  unset multiplot
  unset output
}
