#!/usr/bin/env bash
# deps.sh — the Debian packages gcscope needs, checked and installed.
#   deps.sh check     exit 1 (listing them) when any is missing
#   deps.sh install   apt-get install them (as root, or through sudo); otherwise print the
#                     exact command and exit 1
#   deps.sh ensure    check, and install what is missing (what `make` and `make test` run)
set -euo pipefail

PACKAGES=(
  build-essential pkg-config       # cc, make, ar
  libcriterion-dev                 # the C test framework
  libbenchmark-dev                 # Google Benchmark (the driver)
  libpython3.11-dev python3.11 python3   # pymalloc for the allocator benchmark; the CPython oracle (/usr/bin/python3)
  libjemalloc2 libjemalloc-dev     # the jemalloc cells
  libmimalloc2.0 libmimalloc-dev   # the mimalloc cells (the header: cell.c reads its heap areas)
  libgc-dev                        # Boehm-Demers-Weiser, the tracing peer
  liblua5.4-dev lua5.4             # Lua 5.4, the incremental peer
  gnuplot-nox                      # plots
  python3-scipy                    # tune's Mann-Whitney U test (scipy.stats)
  clang libclang-rt-14-dev         # libFuzzer and its sanitizers (make fuzz, make test's short fuzz run)
)

missing() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

install() {
  local want=("$@") sudo=""
  [ ${#want[@]} -gt 0 ] || want=("${PACKAGES[@]}")
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      echo "deps.sh: these Debian packages are missing: ${want[*]}" >&2
      echo "deps.sh: run as root:  apt-get update && apt-get install -y ${want[*]}" >&2
      exit 1
    fi
  fi
  echo "deps.sh: installing ${want[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
}

case "${1:-check}" in
  check)
    m=$(missing)
    if [ -n "$m" ]; then echo "deps.sh: missing:" $m >&2; exit 1; fi ;;
  install) install ;;
  ensure)
    m=$(missing)
    if [ -n "$m" ]; then install $m; fi ;;
  *) echo "usage: deps.sh check|install|ensure" >&2; exit 2 ;;
esac
