#!/bin/bash
# Runs the paper grid (resumable: an interrupted run picks up where it stopped) and draws its
# figures, then the example grid of a by_<key> figure (configs/noise.toml, into noise/ beside RESULTS_DIR)
# and its figure by_data.noise1, then the real-image grid (configs/real.toml, into real/ beside
# RESULTS_DIR) and its figure real. By default everything goes under results/ (results/paper,
# results/noise, results/real, figures in results/paper/figures) and the tracked docs/figures stay
# as they are; --docs redraws docs/figures, the documentation's copies. Each part's time is printed.
# A results directory left by an older version (another config) is moved aside, not overwritten.
# Usage: scripts/regen_figures.sh [--docs] [RESULTS_DIR] [-- extra alignsim sweep options, e.g. --jobs 2]
# ALIGNSIM: the alignsim binary (default: build/sim/alignsim, then alignsim on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
docs=0
if [ "${1:-}" = "--docs" ]; then docs=1; shift; fi
case "${1:-}" in -h|--help) sed -n '2,10p' "$0"; exit 0 ;; -*) [ "$1" = "--" ] || { echo "regen_figures: unknown option '$1' (see --help)" >&2; exit 2; } ;; esac
out=results/paper
if [ $# -gt 0 ] && [ "$1" != "--" ]; then out=$1; shift; fi
[ "${1:-}" = "--" ] && shift
A=${ALIGNSIM:-}
if [ -z "$A" ]; then
  if [ -x build/sim/alignsim ]; then A=build/sim/alignsim; else A=$(command -v alignsim || true); fi
fi
[ -n "$A" ] && [ -x "$A" ] || { echo "regen_figures: no alignsim binary (build it, or set ALIGNSIM)" >&2; exit 1; }
figs=$out/figures
[ $docs -eq 1 ] && figs=docs/figures
start=$(date +%s)
t=$start
part() { local now; now=$(date +%s); echo "regen_figures: $1 in $(( now - t )) s" >&2; t=$now; }
# sweep CONFIG DIR [options]: resumes DIR; a DIR that holds the sweep of another config (made by an
# older alignsim, or before the config changed) is moved aside to DIR.old-<time>, never deleted
sweep() {
  local cfg=$1 dir=$2; shift 2
  local err rc=0
  err=$(mktemp)
  "$A" sweep "$cfg" --out "$dir" "$@" 2> >(tee "$err" >&2) || rc=$?
  wait
  if [ $rc -eq 2 ] && grep -q "holds a sweep of another config" "$err"; then
    local old; old=$dir.old-$(date +%Y%m%d-%H%M%S)
    mv "$dir" "$old"
    echo "regen_figures: $dir held another config's sweep; moved to $old, running afresh" >&2
    rc=0
    "$A" sweep "$cfg" --out "$dir" "$@" || rc=$?
  fi
  rm -f "$err"
  return $rc
}
sweep configs/paper.toml "$out" "$@"
"$A" plot "$out" --out "$figs"
part "the paper grid ($out) and its figures"
noise=$(dirname "$out")/noise
sweep configs/noise.toml "$noise" "$@"
"$A" plot "$noise" --out "$figs" --only by_data.noise1
part "the by_<key> example ($noise)"
real=$(dirname "$out")/real
sweep configs/real.toml "$real" "$@"
"$A" plot "$real" --out "$figs" --only real
part "the real-image grid ($real) and its figure"
echo "regen_figures: $out, $noise, $real and their figures in $figs, $(( $(date +%s) - start )) s" >&2
