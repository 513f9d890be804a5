# returned.gp — memory returned to the OS on one workload, per collector (groups) × allocator
# (bars): peak RSS (light) and RSS after release (dark), log scale; the share of the bytes the
# workload freed that left RSS after release (can exceed 100% when the allocator also returns
# its own overhead); and, when the workload reports one (fragment), the share returned once
# only part of the heap has died (figure returned_fraction).
# Inputs (gnuplot -e): data (rows: collector, then per allocator peak MiB, after-release MiB,
# returned %, workload's returned %), allocs (word list), na, nrows, mmin, mmax, pmax, hasfig,
# figttl, ttl, out. Data: tools/plotdata.py, from results/<run>/cells.tsv and cells/*.json.
load 'plots/style.gp'
W = 960; H = hasfig ? 860 : 520
bw = 0.8 / na
h = bw / 2 * 0.92
xpos(j) = column(0) + (j - (na + 1) / 2.0) * bw
col(j, k) = column(1 + 4 * (j - 1) + k)     # k: 1 peak, 2 after release, 3 returned %, 4 workload's %
# panel k's place: with the workload's figure, RSS across the top and the two shares below it;
# without, RSS and the share side by side
L1 = 0.085; R1 = 0.985; gap = 0.09; half = (R1 - L1 - gap) / 2
box(l, r, b, t) = sprintf("set lmargin at screen %g; set rmargin at screen %g; set bmargin at screen %g; set tmargin at screen %g", l, r, b, t)
panel(k) = hasfig ? (k == 1 ? box(L1, R1, 0.585, 0.9) : k == 2 ? box(L1, L1 + half, 0.15, 0.45) : box(L1 + half + gap, R1, 0.15, 0.45)) \
                  : (k == 1 ? box(L1, L1 + half, 0.22, 0.86) : box(L1 + half + gap, R1, 0.22, 0.86))
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  np = hasfig ? 3 : 2
  set multiplot title ttl font ",14"
  eval panel(1)
  set style fill solid 1 noborder
  set xrange [-0.6:nrows - 0.4]
  set grid noxtics ytics
  set xtics scale 0 font ",11"
  if (nrows > 3 && !hasfig) { set xtics rotate by 25 right }
  set key off
  set logscale y
  set yrange [mmin:mmax]
  set format y "%g"
  set ylabel "RSS (MiB, log)"
  set title "RSS: peak (light), after release (dark)" font ",11"
  if (hasfig) { set xtics rotate by 0 }
  plot for [j=1:na] data using (xpos(j)):(col(j, 1)):(xpos(j) - h):(xpos(j) + h):(mmin):(col(j, 1)) \
         with boxxyerror lc rgb allocolor(word(allocs, j)) fs transparent solid 0.35 noborder notitle, \
       for [j=1:na] data using (xpos(j)):(col(j, 2)):(xpos(j) - h * 0.55):(xpos(j) + h * 0.55):(mmin):(col(j, 2)) \
         with boxxyerror lc rgb allocolor(word(allocs, j)) notitle, \
       data using 0:(NaN):xtic(1) notitle
  unset logscale y
  set yrange [0:pmax]
  set format y "%g%%"
  set ylabel "freed bytes that left RSS (%)"
  set arrow 1 from graph 0, first 100 to graph 1, first 100 nohead dt 2 lc rgb "#555555" back
  if (hasfig) {
    eval panel(2)
    if (nrows > 3) { set xtics rotate by 25 right }
    set title "returned " . figttl font ",11"
    plot for [j=1:na] data using (xpos(j)):(col(j, 4)):(xpos(j) - h):(xpos(j) + h):(0):(col(j, 4)) \
           with boxxyerror lc rgb allocolor(word(allocs, j)) notitle, \
         for [j=1:na] data using (xpos(j)):(col(j, 4)):(sprintf("%.0f", col(j, 4))) \
           with labels offset 0, 0.6 font ",9" tc rgb "#333333" notitle, \
         data using 0:(NaN):xtic(1) notitle
    unset ylabel
  }
  eval panel(np)
  set title "returned after release and a full collection" font ",11"
  plot for [j=1:na] data using (xpos(j)):(col(j, 3)):(xpos(j) - h):(xpos(j) + h):(0):(col(j, 3)) \
         with boxxyerror lc rgb allocolor(word(allocs, j)) notitle, \
       for [j=1:na] data using (xpos(j)):(col(j, 3)):(sprintf("%.0f", col(j, 3))) \
         with labels offset 0, 0.6 font ",9" tc rgb "#333333" notitle, \
       data using 0:(NaN):xtic(1) notitle
  # the key alone, across the bottom of the figure
  eval box(0.05, 0.95, 0.005, hasfig ? 0.045 : 0.07)
  unset border; unset xtics; unset ytics; unset grid; unset arrow; unset title; unset xlabel; unset ylabel
  set yrange [0:1]
  set key center center horizontal maxrows 1 reverse Left samplen 1.5 width 3
  plot for [j=1:na] NaN with boxes lc rgb allocolor(word(allocs, j)) title word(allocs, j) . " allocator"
  unset multiplot
  unset output
}
