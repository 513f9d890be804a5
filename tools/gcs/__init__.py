"""gcs — gcscope's Python helpers, one module a concern.

  gcs.gcscope   the gcscope binary as tools see it: its JSON (`list --json`, `knobs --json`,
                a cell's PREFIX.json) and the one cell runner (`gcscope cell`)
  gcs.stats     quantiles, summaries, the geometric mean and the Mann-Whitney U test
  gcs.tune      `gcscope tune` (tools/tune.py is its entry point; docs/tune.md)

Python 3 with Debian's python3-* packages only (tools/deps.sh installs them). Tools read
gcscope's JSON, never its human text.
"""
