#!/usr/bin/env bash
# plots.sh DIR — the figures and the report of a results folder (`make plots`, and the end of
# `make bench`). Reads only what the run wrote; never runs a cell.
#   DIR/plots/data/*.tsv   what each figure draws, reshaped by tools/plotdata.py
#   DIR/plots/*.png, *.svg one figure each, drawn by plots/*.gp (gnuplot, pngcairo and svg)
#   DIR/report.md          what ran, where, with which options, the tables, every figure
# Every file is written whole: images to a temporary folder, then renamed into place.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: tools/plots.sh RESULTS_DIR}
dir=${dir%/}
if [ ! -d "$dir/cells" ] || [ ! -f "$dir/cells.tsv" ]; then
  echo "plots: $dir is not a results folder (no cells/ or cells.tsv: run make bench)" >&2
  exit 2
fi
if ! command -v gnuplot > /dev/null; then
  echo "plots: gnuplot not found (make deps installs Debian's gnuplot-nox)" >&2
  exit 2
fi
out="$dir/plots"
mkdir -p "$out"
tmp=$(mktemp -d "$out/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 tools/plotdata.py data "$dir" > "$tmp/jobs"
failed=0 drawn=0
while IFS=$'\t' read -r script image vars; do
  [ -n "$script" ] || continue
  # gnuplot warns for each collector that has nothing to draw (none's pauses): expected
  if gnuplot -e "$vars; out='$tmp/$image'" "plots/$script" 2> "$tmp/err"; then
    mv -f "$tmp/$image.png" "$out/$image.png"
    mv -f "$tmp/$image.svg" "$out/$image.svg"
    drawn=$((drawn + 1))
  else
    failed=$((failed + 1))
    echo "plots: $image ($script) failed:" >&2
  fi
  grep -v -e 'no valid points' -e 'difficulty making room' -e '^$' "$tmp/err" >&2 || true
done < "$tmp/jobs"
# images of an earlier drawing that this one did not redraw are stale
for f in "$out"/*.png "$out"/*.svg; do
  [ -e "$f" ] || continue
  b=$(basename "${f%.*}")
  cut -f2 "$tmp/jobs" | grep -qxF "$b" || rm -f "$f"
done
/usr/bin/python3 tools/plotdata.py report "$dir"
echo "gcscope: $drawn figures in $out/, report in $dir/report.md" >&2
[ "$failed" -eq 0 ] || { echo "plots: $failed figure(s) failed" >&2; exit 1; }
