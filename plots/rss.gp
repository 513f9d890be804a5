# rss.gp — resident memory over a run, one panel per collector on a shared time axis, with the
# collections marked: whole-heap collections as red ticks along the top of the panel, young
# collections and incremental steps as dark ticks along the bottom; the dashed line is the end
# of the workload (after it: release and a full collection).
# Inputs (gnuplot -e): data (block i = collector i: t_s rss_mib), marks (block i: t_s major
# duration_ms), colls, titles, notes, notes2, ymaxs, ends (word lists), n, tmax, ttl, out.
# Data: tools/plotdata.py, from results/<run>/cells/*.rss.tsv and *.pauses.tsv.
load 'plots/style.gp'
W = 960; H = 120 + 100 * n
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  bot = 62.0 / H; top = 1 - 58.0 / H
  set multiplot layout n, 1 title ttl font ",14" margins 0.085, 0.76, bot, top spacing 0, 0.02
  set label 100 "red ticks (top): whole-heap collections · dark ticks (bottom): young collections or incremental steps · dashed: end of workload" \
      at screen 0.5, screen 1 - 42.0 / H center font ",10" tc rgb "#444444"
  set xrange [0:tmax * 1.01]
  set key off
  set ylabel "RSS (MiB)" font ",10" offset 1.5, 0
  do for [i=1:n] {
    c = word(colls, i); ym = real(word(ymaxs, i)); e = real(word(ends, i)); pk = ym / 1.35
    set yrange [0:ym]
    set ytics (0, pk / 2, pk) font ",10"
    set format y "%.3g"
    set label 1 word(titles, i) at screen 0.775, graph 0.75 left front font ",12" tc rgb collcolor(c)
    set label 2 word(notes, i) at screen 0.775, graph 0.47 left front font ",10" tc rgb "#333333"
    set label 3 word(notes2, i) at screen 0.775, graph 0.22 left front font ",10" tc rgb "#333333"
    if (e == e) { set arrow 1 from e, graph 0 to e, graph 1 nohead dt 2 lc rgb "#555555" lw 1 back } else { unset arrow 1 }
    if (i < n) { set format x ""; unset xlabel } else { set format x "%g"; set xlabel "time since the workload started (s)" }
    if (i > 1) { unset label 100 }
    plot marks index (i-1) using 1:($2 == 0 ? 0 : NaN):(0):(ym * 0.09) with vectors nohead lw 1 lc rgb "#60202020", \
         marks index (i-1) using 1:($2 == 1 ? ym * 0.86 : NaN):(0):(ym * 0.14) with vectors nohead lw 1.2 lc rgb "#40D62728", \
         data index (i-1) using 1:2 with lines lw 2.2 lc rgb collcolor(c)
  }
  unset multiplot
  unset output
}
