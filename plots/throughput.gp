# throughput.gp — throughput against the work's lower bound, bars per workload, a bar per
# collector: top, wall time over the least distilled cost of the same work (LBO + 1: 1× = no
# cost measured; log scale), the bar the median, the whisker the min–max over the repetitions;
# bottom, objects allocated per second of wall time (log scale).
# Inputs (gnuplot -e): data (rows: workload, then per collector LBO+1 median, min, max and
# Mobj/s), colls, titles (word lists), n, nrows, omin, omax, rmin, rmax (axis ranges), out.
# Data: tools/plotdata.py, from results/<run>/cells/*.json through tools/gcs/results.py.
load 'plots/style.gp'
W = 960; H = 720
bw = 0.8 / n                                 # bar width; a group spans 0.8
h = bw / 2 * 0.9
xpos(i) = column(0) + (i - (n + 1) / 2.0) * bw
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set multiplot layout 2, 1 title "Wall time over the lower bound (LBO + 1) and throughput (arena allocator)" font ",14" \
      margins 0.11, 0.97, 0.16, 0.9 spacing 0, 0.06
  set style fill solid 0.9 noborder
  set xrange [-0.6:nrows - 0.4]
  set logscale y
  set grid noxtics ytics nomytics
  set format y "%g"
  set xtics scale 0 format "" ()
  set yrange [omin:omax]
  set ylabel "wall / lower bound (×, log)"
  set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#333333" dt 2 front
  set key off
  plot for [i=1:n] data using (xpos(i)):(column(4 * i - 2)):(xpos(i) - h):(xpos(i) + h):(omin):(column(4 * i - 2)) \
         with boxxyerror lc rgb collcolor(word(colls, i)) notitle, \
       for [i=1:n] data using (xpos(i)):(column(4 * i - 2)):(column(4 * i - 1)):(column(4 * i)) \
         with yerrorbars pt -1 lw 1 lc rgb "#222222" notitle
  unset arrow 1
  set yrange [rmin:rmax]
  set ylabel "allocations / s (millions, log)"
  set xtics font ",11"
  if (nrows > 6) { set xtics rotate by 25 right }
  set key at screen 0.54, screen 0.02 center bottom horizontal reverse Left samplen 1.5 width 1
  plot for [i=1:n] data using (xpos(i)):(column(4 * i + 1)):(xpos(i) - h):(xpos(i) + h):(rmin):(column(4 * i + 1)) \
         with boxxyerror lc rgb collcolor(word(colls, i)) notitle, \
       data using 0:(NaN):xtic(1) notitle, \
       for [i=1:n] NaN with boxes lc rgb collcolor(word(colls, i)) title word(titles, i)
  unset multiplot
  unset output
}
