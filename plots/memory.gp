# memory.gp — memory per workload, a pair of bars per collector: the light bar is the peak RSS
# over the run, the dark bar inside it the RSS after the workload dropped its data and a full
# collection ran; the gap between them went back to the OS. Log scale.
# Inputs (gnuplot -e): data (rows: workload, then per collector peak and after-release MiB),
# colls, titles (word lists), n, nrows, mmin, mmax, out. Data: tools/plotdata.py, from cells.tsv.
load 'plots/style.gp'
W = 960; H = 560
bw = 0.8 / n
h = bw / 2 * 0.92
xpos(i) = column(0) + (i - (n + 1) / 2.0) * bw
do for [fmt in "png svg"] {
  if (fmt eq "png") { @PNGTERM } else { @SVGTERM }
  set output out.".".fmt
  set title "Peak RSS and RSS after release (arena allocator)" font ",14"
  set style fill solid 1 noborder
  set xrange [-0.6:nrows - 0.4]
  set logscale y
  set yrange [mmin:mmax]
  set grid noxtics ytics
  set format y "%g"
  set ylabel "RSS (MiB, log)"
  set xtics scale 0 font ",11"
  if (nrows > 6) { set xtics rotate by 25 right }
  set bmargin 6
  set key at screen 0.54, screen 0.02 center bottom horizontal reverse Left samplen 1.5 width 1
  set label 1 "light: peak over the run · dark: after release and a full collection" at graph 0.5, graph 1.02 center font ",10" tc rgb "#444444"
  plot for [i=1:n] data using (xpos(i)):(column(2 * i)):(xpos(i) - h):(xpos(i) + h):(mmin):(column(2 * i)) \
         with boxxyerror lc rgb collcolor(word(colls, i)) fs transparent solid 0.35 noborder notitle, \
       for [i=1:n] data using (xpos(i)):(column(2 * i + 1)):(xpos(i) - h * 0.55):(xpos(i) + h * 0.55):(mmin):(column(2 * i + 1)) \
         with boxxyerror lc rgb collcolor(word(colls, i)) notitle, \
       data using 0:(NaN):xtic(1) notitle, \
       for [i=1:n] NaN with boxes lc rgb collcolor(word(colls, i)) title word(titles, i)
  unset output
}
