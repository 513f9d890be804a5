#!/usr/bin/env bash
# seeds.sh — writes the seed corpus of every fuzz target into fuzz/corpus/TARGET/ (committed;
# rerun after a format change). Deterministic: the bundled traces, traces from
# peers/cpython/gentrace.py (fixed seeds, ~300 ops: a few KB each), and hand-written argument
# and knob lists. Each replay seed starts with its 2-byte header (fuzz/fuzz_replay.c): the
# collector by its index in the registry, the last index + 1 meaning all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
rm -rf "$out"; mkdir -p "$out"/{trace,replay,options,cli}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ncoll=$(build/gcscope list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["collectors"]))')

cp traces/*.trace "$out/trace/"
i=0
for style in graph cycles growth chain mixed; do
  for seed in 1 2; do
    python3 peers/cpython/gentrace.py --style "$style" --seed "$seed" --ops 300 -o "$out/trace/$style-$seed.trace"
    # replay: one collector each (round robin, the differential mode included), no knobs
    printf "\\x$(printf %02x $((i % (ncoll + 1))))\\x00" | cat - "$out/trace/$style-$seed.trace" > "$out/replay/$style-$seed"
    i=$((i + 1))
  done
done
for t in traces/*.trace; do
  for c in $(seq 0 "$ncoll"); do
    # the bundled trace under every collector, and the differential mode; knob pair: knob 0 at min+1
    printf "\\x$(printf %02x "$c")\\x01\\x00\\x05" | cat - "$t" > "$out/replay/$(basename "$t" .trace)-$c"
  done
done

w() { printf -- "$2" > "$out/$1"; }
w options/cpython   '\x02\x00threshold0=700\nthreshold1=10\nthreshold2=10\nwalks=fused\nenabled=off'
w options/core      '\x00\x00allocator=system\nrelease=pool\npurge_delay_ms=0\npause_log=off\nroots_max=16'
w options/workload  '\x03\x01requests=1\ninflight=100000\nretain_permille=1000'
w options/bad       '\x04\x00pause_pct=99\nstep_mul=x\nnope=1\n=3\nstep_bytes='

small=$(cat traces/small.trace)
w cli/list          'list\n--json'
w cli/knobs         'knobs\ncpython\nchurn\n--json'
w cli/help          '--help'
w cli/bad           'run\n--collector\nnope\n--seed\n-1'
printf 'replay\n--collector\ncpython\n--json\n--set\nthreshold0=5\n@\n\n%s\n' "$small" > "$out/cli/replay"
printf 'replay\n--collector\npy\n--allocator\nsystem\n@\n\n%s\n' "$small" > "$out/cli/replay-py"
printf 'run\n--collector\nincremental\n--workload\ntrace\n--trace\n@\n--json\n--seed\n5\n--sample-ms\n0\n\n%s\n' "$small" > "$out/cli/run"
du -sh "$out"
