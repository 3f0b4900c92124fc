#!/usr/bin/env bash
# Installs alignsim's Debian 12 dependencies (idempotent) and builds it in ./build.
# Usage: scripts/setup.sh            install + configure + build
#        scripts/setup.sh --ci       also the CI tools: clang for the fuzzers, llvm-symbolizer (.ci/run)
#        ALIGNSIM_NO_APT=1 scripts/setup.sh   skip the package step
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  g++ meson ninja-build pkg-config cmake            # toolchain (cmake: Meson finds xtensor-blas through it)
  libxtensor-dev libxtensor-blas-dev libxsimd-dev xtl-dev
  libopenblas-dev                                   # BLAS + LAPACK
  libtbb-dev libboost-test-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev  # Meson: tomlplusplus, CLI11, nlohmann_json
  zlib1g-dev                                        # gzipped IDX files (data.kind = "fashion_mnist")
  dataset-fashion-mnist                             # the real images: /usr/share/datasets/fashion-mnist
  gnuplot-nox                                       # figures
  openmpi-bin libopenmpi-dev                        # optional: multi-process sweeps
  python3 python3-numpy                             # tests: JSON checks, numpy reads the exports
  pybind11-dev python3-dev python3-pytest           # the alignsim Python module (python/) and its tests
)
CI_PKGS=(
  clang-14 libclang-rt-14-dev llvm-14               # .ci/fuzz.sh: libFuzzer; llvm-symbolizer for sanitizer reports
)
[ "${1:-}" = "--ci" ] && PKGS+=("${CI_PKGS[@]}")

if [ -z "${ALIGNSIM_NO_APT:-}" ]; then
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build
