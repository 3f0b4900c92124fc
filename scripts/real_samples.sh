#!/bin/bash
# Draws sample scenes of the Fashion-MNIST two-modality data (data.kind = "fashion_mnist") into
# docs/figures/real_samples.png: per scene, the three clean garments, what each modality shows,
# and the radar view without its speckle (the sensor's response alone). Usage: scripts/real_samples.sh [OUT.png] [N_SCENES] [SEED]
# TOOL: the real_data_tool binary (default: build/sim/real_data_tool).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/figures/real_samples.png}
n=${2:-6}
seed=${3:-1}
tool=${TOOL:-build/sim/real_data_tool}
[ -x "$tool" ] || { echo "real_samples: no $tool (build it with ninja -C build)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "real_samples: gnuplot not found (apt install gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tool" samples "$tmp/s" --n "$n" --seed "$seed"
gnuplot <<GP
n = $n
set terminal pngcairo size 1400, 150 * n + 60 enhanced font "Helvetica,10" background rgb "white"
set output "$out"
set palette grey
unset colorbox
unset key
unset xtics
unset ytics
set border 0
set size ratio -1
set lmargin 0; set rmargin 0; set tmargin 0; set bmargin 0
# Columns: three square clean garments, then x1, x2 and x2 without speckle (twice as wide), in
# units of a square. Fixed grey scales per modality (the same for both radar columns).
gap = 0.25
units = 3 + 2 + 2 + 2 + 5 * gap + 0.6
uw = 1.0 / units
top = 1.0 - 60.0 / (150 * n + 60)
rowh = top / n
x0(c) = uw * (0.3 + (c < 3 ? c * (1 + gap) : 3 * (1 + gap) + (c - 3) * (2 + gap)))
w(c) = uw * (c < 3 ? 1 : 2)
lo(c) = c < 3 ? 0 : c == 3 ? -0.25 : -0.9
hi(c) = c < 3 ? 1 : c == 3 ? 1.25 : 1.2
name(i, k) = system("sed -n '" . i . "p' $tmp/s.labels | cut -d'|' -f" . k)
set multiplot
set label 1 "shared garment S" at screen x0(0) + w(0) / 2, screen 1 - 18.0 / (150 * n + 60) center font ",11"
set label 2 "G1 (only in x1)" at screen x0(1) + w(1) / 2, screen 1 - 18.0 / (150 * n + 60) center font ",11"
set label 3 "G2 (only in x2)" at screen x0(2) + w(2) / 2, screen 1 - 18.0 / (150 * n + 60) center font ",11"
set label 4 "x1: optical [ S | G1 ]" at screen x0(3) + w(3) / 2, screen 1 - 18.0 / (150 * n + 60) center font ",11"
set label 5 "x2: radar [ S | G2 ]" at screen x0(4) + w(4) / 2, screen 1 - 18.0 / (150 * n + 60) center font ",11"
set label 6 "(clean, 20 x 20)" at screen (x0(0) + x0(2) + w(2)) / 2, screen 1 - 36.0 / (150 * n + 60) center font ",9" tc rgb "#555555"
set label 8 "x2 without speckle" at screen x0(5) + w(5) / 2, screen 1 - 18.0 / (150 * n + 60) center font ",11"
set label 7 "(what the two sensors see, 20 x 40 each)" at screen (x0(3) + x0(4) + w(4)) / 2, screen 1 - 36.0 / (150 * n + 60) center font ",9" tc rgb "#555555"
set label 9 "(the radar response alone)" at screen x0(5) + w(5) / 2, screen 1 - 36.0 / (150 * n + 60) center font ",9" tc rgb "#555555"
do for [i = 0:n-1] {
  do for [c = 0:5] {
    set origin x0(c), top - (i + 1) * rowh + 0.16 * rowh
    set size w(c), 0.8 * rowh
    if (c < 3) { set label 10 name(i + 1, c + 1) at screen x0(c) + w(c) / 2, screen top - (i + 1) * rowh + 0.08 * rowh center font ",9" }
    set cbrange [lo(c):hi(c)]
    plot "$tmp/s.dat" index (6 * i + c) matrix with image
    unset label
  }
}
unset multiplot
GP
echo "real_samples: wrote $out" >&2
