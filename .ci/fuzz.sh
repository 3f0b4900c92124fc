#!/usr/bin/env bash
# Runs every libFuzzer harness of tests/fuzz (tests/fuzz/README.md) for a bounded time under
# AddressSanitizer + UndefinedBehaviorSanitizer, two at a time; any crash, hang (-timeout), leak,
# out-of-memory or sanitizer report fails. Builds them with clang in build-san/ (-Dfuzz=true, the
# sanitizer build of .ci/sanitizers.sh), so the normal build is untouched. The committed corpus
# seeds each run; what a run finds new stays in build-san/fuzz-work/.
# By hand:  bash .ci/fuzz.sh [SECONDS per harness, default 60] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-${ALIGNSIM_FUZZ_SECONDS:-60}}
shift || true
source .ci/san_build.sh
san_setup
ninja -C "$B" fuzzers
names=("$@")
[ ${#names[@]} -eq 0 ] && names=($(ls tests/fuzz/corpus))
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
W=$PWD/$B/fuzz-work
rm -rf "$W" && mkdir -p "$W"

# the results reader also gets a directory made now, so new results columns reach its row checks
if [ -x build/sim/alignsim ]; then
  fresh=$W/fresh-results
  if build/sim/alignsim sweep tests/fuzz/results_sweep.toml --out "$fresh" --quiet 2>/dev/null; then
    mkdir -p "$W/extra-results"
    { cat "$fresh/manifest.json"; printf '\n%%%%\n'; cat "$fresh/results.csv"; } >"$W/extra-results/fresh"
  fi
fi

run_one() {  # run_one NAME: fuzz it for SECS seconds; its log and any crash input in $W/NAME
  local n=$1 d=$W/$1
  mkdir -p "$d/corpus"
  cp tests/fuzz/corpus/"$n"/* "$d/corpus/"
  [ "$n" = results ] && [ -d "$W/extra-results" ] && cp "$W/extra-results"/* "$d/corpus/"
  "$B/tests/fuzz/fuzz_$n" "$d/corpus" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$d/" -print_final_stats=1 >"$d/log" 2>&1
}
failed=()
for ((i = 0; i < ${#names[@]}; i += 2)); do
  pids=()
  for n in "${names[@]:i:2}"; do run_one "$n" & pids+=("$!:$n"); done
  for pn in "${pids[@]}"; do
    if wait "${pn%%:*}"; then
      n=${pn#*:}; echo "fuzz: $n: $(grep -a -m1 -E '^Done [0-9]+ runs' "$W/$n/log") no crash"
    else
      n=${pn#*:}; failed+=("$n")
      echo "fuzz: $n FAILED:"
      grep -a -E "contract broken|ERROR: |SUMMARY|runtime error|Test unit written" "$W/$n/log" | head -20
      echo "fuzz: full log $W/$n/log; once fixed, add the input above to tests/fuzz/corpus/$n/ as regress-NAME"
    fi
  done
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: FAILED: ${failed[*]}"; exit 1; }
echo "fuzz: ${#names[@]} harnesses, $SECS s each, no crash, hang or report"
