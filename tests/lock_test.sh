#!/usr/bin/env bash
# One writer per results directory (docs/usage.md, "When things go wrong"):
#  - two sweeps started at the same moment into one directory: exactly one runs, the other exits 1
#    with one error line naming the holder (pid and host);
#  - a lock left by a process killed with kill -9 never blocks, whatever its file still says;
#  - a lock held by a process that wrote no holder line is still a refusal;
#  - the resumed and the uninterrupted sweeps agree on every column but wall time.
# Usage: lock_test.sh path/to/alignsim
set -uo pipefail
A=${1:?usage: lock_test.sh ALIGNSIM}
. "$(dirname "${BASH_SOURCE[0]}")/scale.sh"
STEPS=$(scaled 30000) || exit 1  # cells of about 0.2 s here
T=$(mktemp -d /tmp/alignsim-lock.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
host=$(hostname)

# Long enough cells (about 0.2 s each here, 1.2 s in all) that the first sweep still runs when
# the second starts, and that kill -9 finds cells still to run; more under the sanitizers.
cat >"$T/grid.toml" <<TOML
[data]
d1 = 8
d2 = 8
n_train = 2000
n_test = 500
[train]
steps = $STEPS
batch = 64
[objective]
alignment = "cca"
[grid]
"data.redundancy" = [0.0, 0.5, 1.0]
seeds = [1, 2]
TOML
# results.csv without the wall-clock column
strip() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } { $c = ""; print }' OFS=, "$1"; }

# --- two sweeps at the same moment: both wait for the same file, then exec alignsim
start_at_go() {  # start_at_go NAME: a sweep into $T/same that starts when $T/go appears
  ( while [ ! -e "$T/go" ]; do :; done
    exec "$A" sweep "$T/grid.toml" --out "$T/same" --jobs 1 --quiet ) >"$T/$1.out" 2>"$T/$1.err" &
}
start_at_go first; p1=$!; pids+=("$p1")
start_at_go second; p2=$!; pids+=("$p2")
sleep 0.2
touch "$T/go"
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
if [ "$rc1" -eq 0 ] && [ "$rc2" -eq 1 ]; then winner=$p1; loser=second
elif [ "$rc1" -eq 1 ] && [ "$rc2" -eq 0 ]; then winner=$p2; loser=first
else winner=; loser=; bad "two sweeps at once: exit codes $rc1 and $rc2, expected one 0 and one 1 ($(cat "$T/first.err" "$T/second.err"))"
fi
if [ -n "$loser" ]; then
  ok
  err=$(cat "$T/$loser.err")
  [ "$(wc -l <"$T/$loser.err")" -eq 1 ] && ok || bad "the refused sweep printed $(wc -l <"$T/$loser.err") lines: $err"
  grep -q "^alignsim: error: .*in use by another alignsim sweep (pid $winner on $host since " "$T/$loser.err" \
    && ok || bad "the refusal does not name pid $winner on $host: $err"
fi
strip "$T/same/results.csv" >"$T/reference.csv"
[ "$(wc -l <"$T/reference.csv")" -eq $((6 * 14 + 1)) ] && ok || bad "the sweep that ran wrote $(wc -l <"$T/reference.csv") lines"
[ -s "$T/same/.sweep.lock" ] && bad "a sweep that ended left its holder line: $(cat "$T/same/.sweep.lock")" || ok

# --- kill -9 in the middle: the lock file still names the dead process, and blocks nothing
"$A" sweep "$T/grid.toml" --out "$T/killed" --jobs 1 --quiet 2>"$T/killed.err" &
pk=$!; pids+=("$pk")
for _ in $(seq 1 1200); do  # until the first cell is on disk (at most 60 s)
  [ "$(cat "$T/killed/results.csv" 2>/dev/null | wc -l)" -gt 14 ] && break
  sleep 0.05
done
grep -q "^pid $pk on $host since " "$T/killed/.sweep.lock" && ok || bad "the lock file does not name the running sweep: $(cat "$T/killed/.sweep.lock" 2>&1)"
[ "$(wc -l <"$T/killed/results.csv")" -lt $((6 * 14 + 1)) ] && ok || bad "the sweep ended before kill -9: make the cells longer"
kill -9 "$pk"; wait "$pk" 2>/dev/null
grep -q "^pid $pk " "$T/killed/.sweep.lock" && ok || bad "expected the dead holder's line to stay in the lock file"
if "$A" sweep "$T/grid.toml" --out "$T/killed" --jobs 1 --quiet 2>"$T/resume.err"; then
  ok
  cmp -s "$T/reference.csv" <(strip "$T/killed/results.csv") && ok || bad "resumed after kill -9: results differ from the uninterrupted sweep"
else
  bad "a lock left by kill -9 blocked the next sweep: $(cat "$T/resume.err")"
fi

# --- stale or foreign content without a holder never blocks
mkdir -p "$T/stale"
printf 'pid 999999999 on %s since 2020-01-01T00:00:00Z\n' "$host" >"$T/stale/.sweep.lock"
"$A" sweep "$T/grid.toml" --out "$T/stale" --jobs 2 --quiet --set train.steps=50 2>"$T/stale.err" \
  && ok || bad "a stale holder line blocked a sweep: $(cat "$T/stale.err")"
mkdir -p "$T/junk"
head -c 300 /dev/urandom >"$T/junk/.sweep.lock"
"$A" sweep "$T/grid.toml" --out "$T/junk" --jobs 2 --quiet --set train.steps=50 2>"$T/junk.err" \
  && ok || bad "a lock file of junk blocked a sweep: $(cat "$T/junk.err")"

# --- a holder that wrote no line (here this script, with flock(1) on fd 9) is still a refusal
if command -v flock >/dev/null 2>&1; then
  mkdir -p "$T/held"
  exec 9>"$T/held/.sweep.lock"
  flock -n 9 || bad "flock(1) could not take the lock"
  "$A" sweep "$T/grid.toml" --out "$T/held" --quiet --set train.steps=50 >/dev/null 2>"$T/held.err"; rc=$?
  [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/held.err")" -eq 1 ] && grep -q "in use by another alignsim sweep (a process that has not said which yet)" "$T/held.err" \
    && ok || bad "a lock held by flock(1): exit $rc, $(cat "$T/held.err")"
  [ ! -e "$T/held/results.csv" ] && ok || bad "a refused sweep wrote results.csv"
  exec 9>&-
  "$A" sweep "$T/grid.toml" --out "$T/held" --quiet --set train.steps=50 2>"$T/held.err" \
    && ok || bad "the lock released by flock(1) still blocks: $(cat "$T/held.err")"
fi

echo "lock: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
