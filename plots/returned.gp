# returned.gp — memory returned to the OS on one workload, per collector (groups) × allocator
# (bars): left, peak RSS (light) and RSS after release (dark), log scale; right, the share of
# the bytes the workload freed that left RSS (can exceed 100% when the allocator also returns
# its own overhead).
# Inputs (gnuplot -e): data (rows: collector, then per allocator peak MiB, after-release MiB,
# returned %), allocs (word list), na, nrows, mmin, mmax, pmax, ttl, out.
# Data: tools/plotdata.py, from results/<run>/cells.tsv.
load 'plots/style.gp'
W = 1100; H = 520
bw = 0.8 / na
h = bw / 2 * 0.92
xpos(j) = column(0) + (j - (na + 1) / 2.0) * bw
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set multiplot layout 1, 2 title ttl font ",14" margins 0.07, 0.98, 0.2, 0.86 spacing 0.08, 0
  set style fill solid 1 noborder
  set xrange [-0.6:nrows - 0.4]
  set grid noxtics ytics
  set xtics scale 0 font ",11"
  if (nrows > 4) { set xtics rotate by 25 right }
  set key off
  set logscale y
  set yrange [mmin:mmax]
  set format y "%g"
  set ylabel "RSS (MiB, log)"
  set title "light: peak · dark: after release" font ",11"
  plot for [j=1:na] data using (xpos(j)):(column(3 * j - 1)):(xpos(j) - h):(xpos(j) + h):(mmin):(column(3 * j - 1)) \
         with boxxyerror lc rgb allocolor(word(allocs, j)) fs transparent solid 0.35 noborder notitle, \
       for [j=1:na] data using (xpos(j)):(column(3 * j)):(xpos(j) - h * 0.55):(xpos(j) + h * 0.55):(mmin):(column(3 * j)) \
         with boxxyerror lc rgb allocolor(word(allocs, j)) notitle, \
       data using 0:(NaN):xtic(1) notitle
  unset logscale y
  set yrange [0:pmax]
  set format y "%g%%"
  set ylabel "freed bytes that left RSS (%)"
  set title "returned to the OS" font ",11"
  set key at screen 0.5, screen 0.02 center bottom horizontal reverse Left samplen 1.5 width 2
  set arrow 1 from graph 0, first 100 to graph 1, first 100 nohead dt 2 lc rgb "#555555" back
  plot for [j=1:na] data using (xpos(j)):(column(3 * j + 1)):(xpos(j) - h):(xpos(j) + h):(0):(column(3 * j + 1)) \
         with boxxyerror lc rgb allocolor(word(allocs, j)) notitle, \
       data using 0:(NaN):xtic(1) notitle, \
       for [j=1:na] NaN with boxes lc rgb allocolor(word(allocs, j)) title word(allocs, j) . " allocator"
  unset multiplot
  unset output
}
