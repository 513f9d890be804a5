# style.gp — what every gcscope figure shares: fonts, the collector colours (one per collector,
# the same in every figure; Okabe–Ito, readable by the colour-blind), the time axis ticks, and
# the output loop. Loaded by each plots/*.gp after tools/plots.sh has set, with gnuplot -e:
#   out   the image path without extension (the script writes out.png and out.svg)
# and each script's own inputs (its header says which). Scripts read only results/ files.

set encoding utf8
set termoption noenhanced        # names like live_heap stay as written
set datafile separator whitespace
set datafile missing "nan"

collcolor(c) = c eq "none" ? "#7f7f7f" : c eq "rc" ? "#E69F00" : c eq "cpython" ? "#0072B2" : \
               c eq "cpython-inc" ? "#56B4E9" : c eq "marksweep" ? "#D55E00" : \
               c eq "incremental" ? "#009E73" : c eq "py" ? "#000000" : c eq "lua-inc" ? "#CC79A7" : \
               c eq "lua-gen" ? "#8C564B" : c eq "boehm" ? "#9467BD" : c eq "boehm-inc" ? "#BCBD22" : "#444444"
# a dash pattern per collector, so lines stay apart in greyscale too
colldash(c) = c eq "none" ? 3 : c eq "cpython-inc" ? 2 : c eq "incremental" ? 4 : c eq "boehm-inc" ? 5 : 1
allocolor(a) = a eq "arena" ? "#3B6FB6" : a eq "system" ? "#D9822B" : a eq "jemalloc" ? "#4E9A4E" : "#666666"

# A time axis in milliseconds on a log scale, labelled in readable units.
TIMETICS = 'set xtics ("10 ns" 1e-5, "100 ns" 1e-4, "1 µs" 1e-3, "10 µs" 0.01, "100 µs" 0.1, "1 ms" 1, "10 ms" 10, "100 ms" 100, "1 s" 1000, "10 s" 1e4, "100 s" 1e5)'

FONT = "DejaVu Sans,12"
# term(fmt, w, h): the terminal for one output format
PNGTERM = 'set terminal pngcairo size W,H font FONT linewidth 1.2 background "#ffffff"'
SVGTERM = 'set terminal svg size W,H font FONT linewidth 1.2 background "#ffffff"'

set border 3 lw 1 lc rgb "#333333"
set tics nomirror out scale 0.6
set grid back lc rgb "#d4d4d4" lw 1 dt 1
set key noautotitle
set rmargin 5                    # a fixed right margin: tick labels never squeeze the plot
