#!/usr/bin/env bash
# The whole test suite under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer,
# in its own build directory, build-san/ (clang, -O2 -g; also where .ci/fuzz.sh builds the fuzzers:
# -Dfuzz=true only adds coverage instrumentation and the fuzzer binaries); any report fails. The
# slow learning tests run scaled down (ALIGNSIM_TEST_SCALE, tests/test_scale.hpp): fewer seeds,
# the same properties and tolerances.
# By hand:  bash .ci/sanitizers.sh [meson test arguments, e.g. a test name]
# (clang rather than gcc: gcc's -fsanitize=address at -O2 -g compiles the xtensor and Boost.Test
# sources about five times slower, which alone would take most of CI's 30 minutes on 2 cores.)
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/san_build.sh
san_setup
ninja -C "$B"
logs=$PWD/$B/sanitizer-logs
rm -rf "$logs" && mkdir -p "$logs"
# A report aborts its process (an exit status no test expects) and goes to a file in $logs, so a
# report in a process whose status a test does not look at still fails the run.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export ALIGNSIM_TEST_SCALE=${ALIGNSIM_TEST_SCALE:-0.25}
rc=0
meson test -C "$B" --print-errorlogs --num-processes 2 --timeout-multiplier 4 "$@" || rc=$?
if [ -n "$(ls -A "$logs")" ]; then
  echo "sanitizers: reports:"
  for f in "$logs"/*; do echo "--- $f"; head -60 "$f"; done
  rc=1
fi
[ "$rc" -eq 0 ] && echo "sanitizers: the whole suite passed with no report"
exit "$rc"
