# mmu.gp — minimum mutator utilization: for each window length (x, log), the smallest share of
# any window of that length left to the program. One line per collector; 1 = never interrupted.
# Inputs (gnuplot -e): data (block i = collector i: window_ms mmu), colls, titles, n, ttl, out.
# Data: tools/plotdata.py, from results/<run>/mmu.tsv.
load 'plots/style.gp'
W = 960; H = 600
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set title ttl font ",14"
  set logscale x
  @TIMETICS
  set xrange [0.08:1250]
  set xlabel "window length (log scale)"
  set ylabel "minimum mutator utilization"
  set yrange [-0.02:1.05]
  set ytics 0.2
  set key outside below center horizontal maxcols 2 reverse Left samplen 3 width 1
  set bmargin 5 + (n + 1) / 2
  set xlabel offset 0, 0.3
  plot for [i=1:n] data index (i-1) using 1:2 with linespoints lw (word(colls,i) eq "none" ? 5 : 2.2) pt 7 ps 0.8 \
         lc rgb collcolor(word(colls,i)) dt colldash(word(colls,i)) title word(titles,i)
  unset output
}
