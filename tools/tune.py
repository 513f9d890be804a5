#!/usr/bin/env python3
"""tune.py — `gcscope tune`: find the knob settings that fit a workload (docs/tune.md).

Invoked by `gcscope tune ...` (cli/tune.c execs it with GCSCOPE_BIN = the gcscope binary);
it can also be run directly, or as `python3 -m gcs.tune` from tools/. The work is done by the
package tools/gcs/tune/ (its __init__ lists the modules); this file only puts tools/ on the
import path.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gcs.tune.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
