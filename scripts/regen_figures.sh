#!/bin/bash
# Regenerates the documentation's figures: runs the paper grid (resumable: an interrupted run
# picks up where it stopped) and draws docs/figures/ from it.
# Usage: scripts/regen_figures.sh [RESULTS_DIR] [-- extra alignsim sweep options, e.g. --jobs 2]
# ALIGNSIM: the alignsim binary (default: build/sim/alignsim, then alignsim on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/paper}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
A=${ALIGNSIM:-}
if [ -z "$A" ]; then
  if [ -x build/sim/alignsim ]; then A=build/sim/alignsim; else A=$(command -v alignsim || true); fi
fi
[ -n "$A" ] && [ -x "$A" ] || { echo "regen_figures: no alignsim binary (build it, or set ALIGNSIM)" >&2; exit 1; }
start=$(date +%s)
"$A" sweep configs/paper.toml --out "$out" "$@"
"$A" plot "$out" --out docs/figures
echo "regen_figures: $out and docs/figures in $(( $(date +%s) - start )) s" >&2
