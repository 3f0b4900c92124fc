#!/usr/bin/env bash
# sim/'s rooms may include only themselves and the rooms below them (docs/architecture.md):
#   cli > plot > sweep > run > data > config > io
# and nothing outside sim/ may include sim/ (autodiff, models, theory stand below it), except the
# Python module python/, which stands beside the command: it may include every room but sim/cli.
# Usage: layering_test.sh SOURCE_ROOT
set -uo pipefail
root=${1:-.}
cd "$root" || exit 2
rank() { case "$1" in io) echo 1;; config) echo 2;; data) echo 3;; run) echo 4;; sweep) echo 5;; plot) echo 6;; cli) echo 7;; *) echo 99;; esac; }
bad=0
while IFS= read -r line; do
  file=${line%%:*}
  inc=$(sed -E 's/.*#include "sim\/([a-z_]+)\/.*/\1/' <<<"$line")
  case "$file" in
    sim/*/*) from=$(cut -d/ -f2 <<<"$file") ;;
    sim/*) continue ;;
    tests/*) continue ;;
    python/*) [ "$inc" = cli ] && { echo "layering: $file includes sim/cli/ (the Python module stands beside the command, not on it)"; bad=1; }; continue ;;
    *) echo "layering: $file includes sim/$inc (only sim/ and tests/ may)"; bad=1; continue ;;
  esac
  if [ "$(rank "$inc")" -gt "$(rank "$from")" ]; then
    echo "layering: $file (room $from) includes sim/$inc/, a room above it"; bad=1
  fi
done < <(grep -rnE '#include "sim/[a-z_]+/' --include='*.cpp' --include='*.hpp' autodiff models theory sim python tests | sed -E 's/^([^:]+):[0-9]+:/\1:/')
for d in sim/*/; do
  r=$(basename "$d")
  [ "$(rank "$r")" = 99 ] && { echo "layering: sim/$r/ is not a known room (add it to the ranks here and in docs/architecture.md)"; bad=1; }
done
[ $bad -eq 0 ] && echo "layering: every include points down"
exit $bad
