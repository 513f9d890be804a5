"""python3 -m gcs.tune ARGS (from tools/): the same as tools/tune.py ARGS."""
import sys

from gcs.tune.main import main

sys.exit(main(sys.argv[1:]))
