# style.gp — what every gcscope figure shares: fonts, the collector colours (one per collector,
# the same in every figure; Okabe–Ito, readable by the colour-blind), the time axis ticks, and
# the output loop. Loaded by each plots/*.gp after tools/plots.sh has set, with gnuplot -e:
#   out        the image path without extension (the script writes out.png and out.svg)
#   allcolls   every collector of the catalog, in its order (a word list); allallocs the same
#              for the allocators
# and each script's own inputs (its header says which). Scripts read only results/ files.

set encoding utf8
set termoption noenhanced        # names like live_heap stay as written
set datafile separator whitespace
set datafile missing "nan"

# Colours and dash patterns by place in the catalog's order (`gcscope list --json`), which
# tools/plotdata.py passes to every script as allcolls and allallocs: the same collector gets
# the same colour in every figure, and no script names a collector.
PALETTE = "#7f7f7f #E69F00 #0072B2 #D55E00 #009E73 #56B4E9 #CC79A7 #000000 #8C564B #9467BD #BCBD22"
DASHES = "3 1 1 1 4 2 1 1 1 1 5"     # the first (the floor, none) dotted; a few dashed apart
place(list, c, i) = i > words(list) ? 0 : (word(list, i) eq c ? i : place(list, c, i + 1))
collcolor(c) = place(allcolls, c, 1) == 0 ? "#444444" : word(PALETTE, (place(allcolls, c, 1) - 1) % words(PALETTE) + 1)
colldash(c) = place(allcolls, c, 1) == 0 ? 1 : int(word(DASHES, (place(allcolls, c, 1) - 1) % words(DASHES) + 1))
ALLOCPALETTE = "#3B6FB6 #D9822B #4E9A4E #A23B72"   # arena, system, jemalloc, mimalloc
allocolor(a) = place(allallocs, a, 1) == 0 ? "#666666" : word(ALLOCPALETTE, (place(allallocs, a, 1) - 1) % words(ALLOCPALETTE) + 1)

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
