"""gcs.tune — `gcscope tune`: find the knob settings that fit a workload (docs/tune.md).

  args      the command line, the help text, the metrics
  space     what is searched: knobs checked against `gcscope knobs --json`, the grid, defaults
  store     the run directory and its resumable store of finished runs
  schedule  the cells as `gcscope cell` processes, --jobs at a time; progress and time left
  search    full grid or successive halving; ranking, the frontier, the recommendation
  report    the text beside the defaults, cells.json/cells.tsv/frontier.tsv
  plots     frontier and heatmap data, drawn by plots/frontier.gp and plots/heatmap.gp
  main      the order of it all; tools/tune.py and `python3 -m gcs.tune` call main.main
"""
