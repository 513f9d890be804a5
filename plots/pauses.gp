# pauses.gp — pause-time distribution: for each collector, the empirical CDF of its pauses
# (x: duration, log scale; y: fraction of pauses no longer than x, on a "nines" scale that
# stretches the tail: 50%, 90%, 99%, 99.9% are evenly spaced). One line per collector.
# Inputs (gnuplot -e): data (block i = collector i: pause_ms fraction), colls, titles (word
# lists), n, ttl, out. Data: tools/plotdata.py, from results/<run>/cells/*.pauses.tsv.
load 'plots/style.gp'
W = 960; H = 640
TOP = 4                            # 4 nines: fractions above 99.99% are drawn at the top
nines(p) = p >= 1 ? TOP : (-log10(1 - p) > TOP ? TOP : -log10(1 - p))
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set title ttl font ",14"
  set logscale x
  @TIMETICS
  set xlabel "pause duration (log scale)"
  set ylabel "fraction of pauses ≤ duration (nines scale)"
  set yrange [0:TOP + 0.05]
  set ytics ("0" 0, "50%%" -log10(0.5), "90%%" 1, "99%%" 2, "99.9%%" 3, "≥99.99%%" 4)
  set mytics 1
  set key outside below center horizontal maxcols 2 reverse Left samplen 3 width -2
  set bmargin 5 + (n + 1) / 2
  set xlabel offset 0, 0.3
  set offsets graph 0.02, graph 0.02, 0, 0
  # the data without titles, then a title-only entry per collector: the key keeps the
  # collector order and names the ones that never paused
  plot for [i=1:n] data index (i-1) using 1:(nines($2)) with steps lw 2.2 lc rgb collcolor(word(colls,i)) \
         dt colldash(word(colls,i)) notitle, \
       for [i=1:n] NaN with lines lw 2.2 lc rgb collcolor(word(colls,i)) dt colldash(word(colls,i)) \
         title word(titles,i)
  unset output
}
