# scaling.gp — pause time against the size of the live heap: for each collector, the longest
# (solid) and the 99th-percentile (dashed) pause of `live-heap` runs at several heap sizes,
# log–log. A collector whose collections traverse the whole live heap rises with it.
# Inputs (gnuplot -e): data (block i = collector i: live_objects live_mib p99_ms max_ms pauses),
# colls, titles (word lists), n, quiet, quiettitles, nq (collectors that never paused once the
# heap was built: named in the key, nothing to draw), ttl, out. Data: tools/plotdata.py, from results/<run>/scaling/
# (the scaling step of driver/bench.sh) and any live-heap cells of the matrix.
load 'plots/style.gp'
W = 960; H = 600
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set title ttl font ",14"
  set logscale xy
  set xtics ("1k" 1e3, "3k" 3e3, "10k" 1e4, "30k" 3e4, "100k" 1e5, "300k" 3e5, "1M" 1e6, "3M" 3e6, "10M" 1e7, "30M" 3e7, "100M" 1e8)
  set xlabel "live heap (objects, log scale)"
  set ylabel "pause (log scale)"
  set ytics ("10 ns" 1e-5, "100 ns" 1e-4, "1 µs" 1e-3, "10 µs" 0.01, "100 µs" 0.1, "1 ms" 1, "10 ms" 10, "100 ms" 100, "1 s" 1000, "10 s" 1e4)
  set autoscale xfix
  set offsets graph 0.04, graph 0.04, 0, 0
  set bmargin 5 + (n + nq + 3) / 2
  set key at screen 0.5, screen 0.015 center bottom horizontal maxcols 3 reverse Left samplen 3 width 1
  plot for [i=1:n] data index (i-1) using 1:4 with linespoints lw 2.4 pt 7 ps 1 \
         lc rgb collcolor(word(colls, i)) dt 1 title word(titles, i), \
       for [i=1:n] data index (i-1) using 1:3 with linespoints lw 1.6 pt 6 ps 0.9 \
         lc rgb collcolor(word(colls, i)) dt 2 notitle, \
       for [i=1:nq] NaN with points pt 7 ps 1 lc rgb collcolor(word(quiet, i)) title word(quiettitles, i), \
       NaN with linespoints lw 2.4 pt 7 lc rgb "#333333" dt 1 title "longest pause", \
       NaN with linespoints lw 1.6 pt 6 lc rgb "#333333" dt 2 title "99th percentile"
  unset output
}
