#!/bin/bash
# A 2-rank MPI sweep on loopback gives the same results.csv (and history.csv) as a single process, and resumes
# after an interruption. Skipped (exit 77) without mpirun or without MPI in the build.
# Usage: mpi_test.sh path/to/alignsim
set -u
A=${1:?usage: mpi_test.sh ALIGNSIM}
if ! command -v mpirun >/dev/null 2>&1; then
  echo "mpi: mpirun not found, skipped"
  exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
MPIRUN=(mpirun --allow-run-as-root --oversubscribe -n 2)
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

cat >"$T/grid.toml" <<'TOML'
[data]
d1 = 8
d2 = 8
n_train = 400
n_test = 200
[train]
steps = 60
batch = 64
[grid]
seeds = [1, 2]

[[experiment]]
name = "redundancy"
[experiment.objective]
alignment = "cca"
[experiment.grid]
"data.redundancy" = [0.0, 0.5, 1.0]

[[experiment]]
name = "tradeoff"
[experiment.objective]
alignment = "regression"
task = "y_mix"
[experiment.grid]
"objective.lambda" = [0.1, 10]
TOML

# results.csv without the wall-clock column
strip() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } { $c = ""; print }' OFS=, "$1"; }

"$A" sweep "$T/grid.toml" --out "$T/single" --jobs 2 --quiet || { echo "FAIL: single-process sweep"; exit 1; }
if ! "${MPIRUN[@]}" "$A" sweep "$T/grid.toml" --out "$T/mpi" --jobs 1 --quiet 2>"$T/err"; then
  if grep -q "built without MPI" "$T/err"; then echo "mpi: alignsim built without MPI, skipped"; exit 77; fi
  echo "FAIL: 2-rank sweep: $(head -3 "$T/err")"
  exit 1
fi
[ "$(wc -l <"$T/mpi/results.csv")" -eq $((10 * 14 + 1)) ] || bad "2-rank results.csv has $(wc -l <"$T/mpi/results.csv") lines"
cmp -s <(strip "$T/single/results.csv") <(strip "$T/mpi/results.csv") || bad "2-rank results differ from the single process"
cmp -s "$T/single/history.csv" "$T/mpi/history.csv" || bad "2-rank history.csv differs from the single process"
grep -q '"processes": 2' "$T/mpi/manifest.json" || bad "manifest does not say 2 processes"

# interrupted: the last line cut in half and two cells gone; a 2-rank rerun completes it
head -c -40 "$T/mpi/results.csv" | grep -v '^3,\|^6,' >"$T/cut.csv"
cp "$T/cut.csv" "$T/mpi/results.csv"
"${MPIRUN[@]}" "$A" sweep "$T/grid.toml" --out "$T/mpi" --jobs 1 --quiet || bad "2-rank resume failed"
cmp -s <(strip "$T/single/results.csv") <(strip "$T/mpi/results.csv") || bad "resumed 2-rank results differ"
cmp -s "$T/single/history.csv" "$T/mpi/history.csv" || bad "resumed 2-rank history.csv differs"

# a bad grid is one error line, once, and a non-zero exit
printf '[grid]\n"data.nope" = [1]\n' >"$T/bad.toml"
"${MPIRUN[@]}" "$A" sweep "$T/bad.toml" --out "$T/bad" --quiet 2>"$T/err" && bad "bad grid accepted under mpirun"
[ "$(grep -c 'data.nope' "$T/err")" -eq 1 ] || bad "bad grid under mpirun: expected one error line, got: $(cat "$T/err")"

echo "mpi: $fail failure(s)"
[ "$fail" -eq 0 ]
