# Sourced by the shell tests whose sweeps must last long enough to be interrupted:
# `scaled N` prints N x ALIGNSIM_TEST_SCALE (tests/test_scale.hpp: in (0, 1], default 1; the
# sanitizer build, several times slower, sets 0.25), or fails the test on any other value.
scaled() {
  awk -v n="$1" -v s="${ALIGNSIM_TEST_SCALE:-1}" 'BEGIN {
    if (s !~ /^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ || s + 0 <= 0 || s + 0 > 1) exit 1
    printf "%d\n", n * s }' && return
  echo "FAIL: ALIGNSIM_TEST_SCALE='${ALIGNSIM_TEST_SCALE:-}' is not a number in (0, 1]" >&2
  exit 1
}
