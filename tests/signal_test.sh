#!/usr/bin/env bash
# Signals (docs/usage.md, "When things go wrong"): SIGTERM or SIGINT stops a sweep within a few
# seconds with exit 143 / 130, keeps every finished cell, abandons the ones in flight, and ends
# with a line saying how to resume; that resume completes the grid with the results of an
# uninterrupted run (all columns but wall time). `alignsim train` stops promptly too.
# Usage: signal_test.sh path/to/alignsim
set -uo pipefail
set -m  # background jobs in their own process groups, with SIGINT not ignored
A=$(realpath "${1:?usage: signal_test.sh ALIGNSIM}")
. "$(dirname "${BASH_SOURCE[0]}")/scale.sh"
STEPS=$(scaled 100000) || exit 1  # cells of about 0.2-0.7 s here: the signal must find cells still to run
PY=/usr/bin/python3
T=$(mktemp -d /tmp/alignsim-signal.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
now() { date +%s%N; }  # nanoseconds

cat >"$T/grid.toml" <<TOML
[data]
d1 = 8
d2 = 8
n_train = 2000
n_test = 500
[train]
steps = $STEPS
batch = 64
[grid]
"data.redundancy" = [0.0, 0.5, 1.0]
"objective.alignment" = ["cca", "regression"]
seeds = [1, 2]
TOML
CELLS=12
strip() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } { $c = ""; print }' OFS=, "$1"; }
"$A" sweep "$T/grid.toml" --out "$T/ref" --jobs 2 --quiet || { echo "FAIL: reference sweep"; exit 1; }
strip "$T/ref/results.csv" >"$T/ref.csv"

# interrupt SIG CODE: a sweep signalled once its first cell is on disk
interrupt() {
  local sig=$1 code=$2 dir=$T/$1
  cd "$T" || return
  "$A" sweep grid.toml --out "$dir" --jobs 2 2>"$T/$sig.err" &
  local p=$!; pids+=("$p")
  for _ in $(seq 1 1200); do
    [ "$(cat "$dir/results.csv" 2>/dev/null | wc -l)" -gt 14 ] && break
    sleep 0.05
  done
  local t0; t0=$(now)
  kill "-$sig" "$p"
  wait "$p"; local rc=$?
  local took=$(( ($(now) - t0) / 1000000 ))  # ms
  local ended=; [ "$rc" -eq 0 ] && ended="; the sweep ended before the signal: make the cells longer"
  [ "$rc" -eq "$code" ] && ok || bad "$sig: exit $rc, expected $code$ended ($(tail -2 "$T/$sig.err"))"
  [ "$took" -lt 5000 ] && ok || bad "$sig: took $took ms to stop"
  local last; last=$(tail -1 "$T/$sig.err")
  local re="^alignsim: interrupted by SIG$sig: ([0-9]+) of $CELLS cells are saved in '$dir' \\(([0-9]+) in flight abandoned\\); to resume, run: (.*)$"
  if [[ "$last" =~ $re ]]; then
    ok
    local saved=${BASH_REMATCH[1]} resume=${BASH_REMATCH[3]}
    # results.csv holds exactly the saved cells, whole
    $PY - "$dir/results.csv" "$saved" <<'PY' && ok || bad "$sig: results.csv does not hold exactly the $saved saved cells"
import csv, sys, collections
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert all(len(r) == len(rows[0]) for r in rows), "ragged rows"
per = collections.Counter(r[0] for r in rows[1:])
assert all(v == 14 for v in per.values()), per
assert len(per) == int(sys.argv[2]), (len(per), sys.argv[2])
PY
    [ "$saved" -lt "$CELLS" ] && ok || bad "$sig: the sweep finished before the signal; make the cells longer"
    $PY -c "import json,sys; m=json.load(open('$dir/manifest.json')); sys.exit(0 if m['complete'] is False and m['sessions'][-1].get('stopped_by') == 'SIG$sig' else 1)" \
      && ok || bad "$sig: the manifest does not record the stop"
    # the line says how to resume: run it
    if (cd "$T" && eval "$resume --quiet") 2>"$T/$sig.resume.err"; then
      ok
      cmp -s "$T/ref.csv" <(strip "$dir/results.csv") && ok || bad "$sig: resumed results differ from the uninterrupted sweep"
    else
      bad "$sig: the resume command '$resume' failed: $(cat "$T/$sig.resume.err")"
    fi
  else
    bad "$sig: the last line does not say how to resume: '$last'"
  fi
}
interrupt TERM 143
interrupt INT 130

# --- alignsim train stops at its next step; nothing on stdout, one line on stderr
"$A" train --json --set train.steps=100000000 --set data.n_train=2000 --set data.n_test=500 >"$T/train.out" 2>"$T/train.err" &
p=$!; pids+=("$p")
sleep 2
t0=$(now)
kill -INT "$p"
wait "$p"; rc=$?
took=$(( ($(now) - t0) / 1000000 ))
[ "$rc" -eq 130 ] && ok || bad "train: exit $rc, expected 130 ($(cat "$T/train.err"))"
[ "$took" -lt 3000 ] && ok || bad "train: took $took ms to stop"
[ "$(cat "$T/train.err")" = "alignsim: interrupted by SIGINT; nothing was written" ] && ok || bad "train: stderr '$(cat "$T/train.err")'"
[ ! -s "$T/train.out" ] && ok || bad "train: wrote to stdout after the signal"

echo "signal: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
