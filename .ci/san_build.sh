# Sourced by .ci/sanitizers.sh and .ci/fuzz.sh: the one sanitizer build directory, build-san/:
# clang 14, AddressSanitizer + UndefinedBehaviorSanitizer, -O2 -g, and -Dfuzz=true (coverage
# instrumentation for libFuzzer, and the fuzzer binaries, built by `ninja fuzzers` only).
B=build-san
san_setup() {
  if ! command -v clang++-14 >/dev/null 2>&1; then
    echo "ci: clang++-14 is missing (bash scripts/setup.sh --ci installs the CI tools)"; return 1
  fi
  if [ ! -f "$B/build.ninja" ]; then
    CXX=clang++-14 CC=clang-14 meson setup "$B" --buildtype=debugoptimized -Db_sanitize=address,undefined \
      -Db_lundef=false -Dfuzz=true >/dev/null
  fi
  command -v llvm-symbolizer-14 >/dev/null 2>&1 && export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer-14)
  return 0
}
