#!/bin/bash
# A 2-rank MPI sweep on loopback gives the same results.csv (and history.csv) as a single process, and resumes
# after an interruption; rank 0 alone holds the directory's lock, and SIGTERM (to mpirun, or to
# rank 0 alone) stops the job within seconds, keeping what is done. Skipped (exit 77) without
# mpirun or without MPI in the build.
# Usage: mpi_test.sh path/to/alignsim
set -u
A=${1:?usage: mpi_test.sh ALIGNSIM}
. "$(dirname "${BASH_SOURCE[0]}")/scale.sh"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "mpi: mpirun not found, skipped"
  exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Under the sanitizers (.ci/sanitizers.sh) no leak check for this test: Open MPI's dlopen'ed
# components leave allocations LeakSanitizer reports (frames in libmpi and unloaded modules);
# every code path of alignsim here is leak-checked in the other tests.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
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

# --- one writer, signals (docs/usage.md, "When things go wrong"), on a grid with longer cells
LONG_STEPS=$(scaled 60000) || exit 1
LONG=(--set "train.steps=$LONG_STEPS")  # cells of about 0.1-0.5 s here: the signals find cells still to run
"$A" sweep "$T/grid.toml" --out "$T/long_ref" --jobs 2 --quiet "${LONG[@]}" || bad "single-process long sweep"
# wait_cells DIR: until the first cell of DIR is on disk (at most 60 s)
wait_cells() { for _ in $(seq 1 1200); do [ "$(cat "$1/results.csv" 2>/dev/null | wc -l)" -gt 14 ] && return; sleep 0.05; done; }
# rank 0 holds the lock for the whole sweep: another sweep is refused, naming it
"${MPIRUN[@]}" "$A" sweep "$T/grid.toml" --out "$T/busy" --jobs 1 --quiet "${LONG[@]}" 2>"$T/busy.err" &
pm=$!
wait_cells "$T/busy"
"$A" sweep "$T/grid.toml" --out "$T/busy" --quiet "${LONG[@]}" 2>"$T/refused.err" && bad "a sweep into a directory an MPI sweep writes was not refused"
grep -q "in use by another alignsim sweep (pid [0-9]* on .*, rank 0 of 2 MPI ranks)" "$T/refused.err" \
  || bad "the refusal does not name MPI rank 0: $(cat "$T/refused.err")"
# SIGTERM to mpirun, as a scheduler does: the job ends within seconds, what is done is kept
t0=$(date +%s)
kill -TERM "$pm"
wait "$pm"; rc=$?
[ "$rc" -ne 0 ] || bad "mpirun signalled with SIGTERM exited 0: did the sweep end before the signal? make the cells longer"
[ $(( $(date +%s) - t0 )) -le 20 ] || bad "mpirun took $(( $(date +%s) - t0 )) s to stop after SIGTERM"
"${MPIRUN[@]}" "$A" sweep "$T/grid.toml" --out "$T/busy" --jobs 1 --quiet "${LONG[@]}" || bad "resume after SIGTERM to mpirun failed"
cmp -s <(strip "$T/long_ref/results.csv") <(strip "$T/busy/results.csv") || bad "resumed after SIGTERM to mpirun: results differ"
# SIGTERM to rank 0 alone (its pid is in the lock file): it stops the other rank, nothing hangs
"${MPIRUN[@]}" "$A" sweep "$T/grid.toml" --out "$T/rank0" --jobs 1 "${LONG[@]}" 2>"$T/rank0.err" &
pm=$!
wait_cells "$T/rank0"
p0=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' "$T/rank0/.sweep.lock")
t0=$(date +%s)
if [ -n "$p0" ]; then kill -TERM "$p0"; else bad "no pid in the lock file of the MPI sweep"; kill -TERM "$pm"; fi
wait "$pm"; rc=$?
[ "$rc" -ne 0 ] || bad "an MPI sweep whose rank 0 got SIGTERM exited 0: did it end before the signal? make the cells longer"
[ $(( $(date +%s) - t0 )) -le 20 ] || bad "the MPI sweep took $(( $(date +%s) - t0 )) s to stop after SIGTERM to rank 0"
grep -q "^alignsim: interrupted by SIGTERM: [0-9]* of 10 cells are saved in '$T/rank0' ([0-9]* in flight abandoned); to resume, run: mpirun -n 2 " "$T/rank0.err" \
  || bad "rank 0 did not say how to resume: $(tail -3 "$T/rank0.err")"
"${MPIRUN[@]}" "$A" sweep "$T/grid.toml" --out "$T/rank0" --jobs 1 --quiet "${LONG[@]}" || bad "resume after SIGTERM to rank 0 failed"
cmp -s <(strip "$T/long_ref/results.csv") <(strip "$T/rank0/results.csv") || bad "resumed after SIGTERM to rank 0: results differ"

echo "mpi: $fail failure(s)"
[ "$fail" -eq 0 ]
