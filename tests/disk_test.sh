#!/usr/bin/env bash
# Full disks (docs/usage.md, "When things go wrong"): when results.csv, the manifest, an export or
# a figure cannot be written (ENOSPC, EDQUOT, EIO), alignsim stops with one line saying what could
# not be written and how many cells are safe; what is recorded stays readable, results.csv holds
# whole cells only, and a resume once space is back gives the results of an uninterrupted run.
# Failures are injected with ALIGNSIM_TEST_FAIL_WRITE_AFTER=N (sim/io/files.hpp: the process may
# write N bytes, then every write fails); the last part fills a real 16 KiB tmpfs, in a private
# mount namespace (skipped when mounting is not permitted).
# Usage: disk_test.sh path/to/alignsim
set -uo pipefail
A=$(realpath "${1:?usage: disk_test.sh ALIGNSIM}")
PY=/usr/bin/python3
T=$(mktemp -d /tmp/alignsim-disk.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

cat >"$T/grid.toml" <<'TOML'
[data]
d1 = 8
d2 = 8
n_train = 400
n_test = 200
[train]
steps = 100
batch = 64
[objective]
alignment = "cca"
[grid]
"data.redundancy" = [0.0, 0.5, 1.0]
seeds = [1, 2]
TOML
CELLS=6
strip() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } { $c = ""; print }' OFS=, "$1"; }
"$A" sweep "$T/grid.toml" --out "$T/ref" --jobs 1 --quiet || { echo "FAIL: reference sweep"; exit 1; }
strip "$T/ref/results.csv" >"$T/ref.csv"
M=$(stat -c %s "$T/ref/manifest.json")
R=$(stat -c %s "$T/ref/results.csv")
HS=$(stat -c %s "$T/ref/history.csv")
H=$(( $(head -1 "$T/ref/results.csv" | wc -c) + $(head -1 "$T/ref/history.csv" | wc -c) ))  # the two headers
R=$(( R + HS ))
C=$(( (R - H) / CELLS ))  # bytes of one cell's rows (history.csv and results.csv)

# check_dir DIR SAFE: results.csv (if any) holds SAFE whole cells and nothing else, the manifest
# (if any) is JSON, and no temporary file is left
check_dir() {
  local dir=$1 safe=$2
  $PY - "$dir" "$safe" <<'PY'
import csv, json, os, sys, collections
d, safe = sys.argv[1], int(sys.argv[2])
r = os.path.join(d, "results.csv")
if os.path.exists(r):
    text = open(r, newline="").read()
    assert text == "" or text.endswith("\n"), "results.csv ends in a partial line"
    rows = list(csv.reader(text.splitlines()))
    assert all(len(x) == len(rows[0]) for x in rows), "ragged rows"
    per = collections.Counter(x[0] for x in rows[1:])
    assert all(v == 14 for v in per.values()), per
    assert len(per) == safe, ("cells in results.csv", len(per), "said safe", safe)
else:
    assert safe == 0
m = os.path.join(d, "manifest.json")
if os.path.exists(m):
    json.load(open(m))
left = [f for f in os.listdir(d) if f.endswith(".tmp")]
assert not left, left
PY
}

# fail_then_resume N [ERRNO]: a sweep that may write N bytes fails in one line naming the file and
# the safe cells, leaves a clean directory, and a resume completes it as if nothing had happened
fail_then_resume() {
  local n=$1 errno=${2:-ENOSPC} dir=$T/fail_$1_${2:-ENOSPC}
  local want="No space left on device"
  [ "$errno" = EDQUOT ] && want="Disk quota exceeded"
  [ "$errno" = EIO ] && want="Input/output error"
  ALIGNSIM_TEST_FAIL_WRITE_AFTER=$n ALIGNSIM_TEST_FAIL_WRITE_ERRNO=$errno \
    "$A" sweep "$T/grid.toml" --out "$dir" --jobs 1 --quiet >/dev/null 2>"$T/err"; local rc=$?
  local line; line=$(cat "$T/err")
  [ "$rc" -eq 1 ] && ok || bad "N=$n $errno: exit $rc, expected 1 ($line)"
  [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "N=$n $errno: $(wc -l <"$T/err") stderr lines: $line"
  # the remedy follows the errno that happened: an I/O error is not a full disk
  local fix="free some space"
  [ "$errno" = EDQUOT ] && fix="free some space within your disk quota"
  [ "$errno" = EIO ] && fix="check the disk \\(an I/O error: see dmesg\\)"
  local re="^alignsim: error: cannot write '$dir/(results.csv|history.csv|manifest.json)': $want; ([0-9]+) of $CELLS cells are safe in '$dir/results.csv' \\($fix and run the same command again to resume\\)$"
  if [[ "$line" =~ $re ]]; then
    ok
    local safe=${BASH_REMATCH[2]}
    check_dir "$dir" "$safe" && ok || bad "N=$n $errno: the directory after the failure is not clean"
    echo "$safe"  >"$T/safe"
  else
    bad "N=$n $errno: unexpected message: $line"
  fi
  if "$A" sweep "$T/grid.toml" --out "$dir" --jobs 1 --quiet 2>"$T/err"; then
    cmp -s "$T/ref.csv" <(strip "$dir/results.csv") && ok || bad "N=$n $errno: resumed results differ from the uninterrupted sweep"
  else
    bad "N=$n $errno: resume failed: $(cat "$T/err")"
  fi
}

# the disk fills: at the first write, in the manifest, in the middle of cells 3 and 6, at the end
mid=0
for n in 0 $((H + 100)) $((H + M + 2 * C + C / 2)) $((H + M + 5 * C + 7)) $((H + M + R + 50)); do
  fail_then_resume "$n"
  s=$(cat "$T/safe" 2>/dev/null || echo -1); rm -f "$T/safe"
  [ "$s" -gt 0 ] && [ "$s" -lt "$CELLS" ] && mid=$((mid + 1))
done
[ "$mid" -ge 2 ] && ok || bad "expected at least two failures in the middle of the cells, got $mid"
fail_then_resume $((H + M + 3 * C + 11)) EDQUOT
fail_then_resume $((H + M + C + 5)) EIO

# the disk fills twice: two failing sessions, then a resume, still the uninterrupted results
dir=$T/twice
ALIGNSIM_TEST_FAIL_WRITE_AFTER=$((H + M + C + C / 3)) "$A" sweep "$T/grid.toml" --out "$dir" --jobs 1 --quiet 2>/dev/null
ALIGNSIM_TEST_FAIL_WRITE_AFTER=$((2 * C + M)) "$A" sweep "$T/grid.toml" --out "$dir" --jobs 1 --quiet 2>"$T/err" \
  && bad "the second session should fail too" || ok
check_dir "$dir" "$(grep -oE '[0-9]+ of 6 cells' "$T/err" | cut -d' ' -f1)" && ok || bad "the directory after two failures is not clean"
"$A" sweep "$T/grid.toml" --out "$dir" --jobs 1 --quiet && cmp -s "$T/ref.csv" <(strip "$dir/results.csv") \
  && ok || bad "after two failures, the resumed results differ"

# --- export, of each data kind: the files before the failure are complete, no manifest.json says otherwise
export_fails_cleanly() {  # export_fails_cleanly NAME BYTES [--set ...]: a disk full after BYTES bytes
  local name=$1 bytes=$2; shift 2
  local exp=$T/export_$name
  "$A" export "$@" --out "$exp" >/dev/null || bad "export $name"
  ALIGNSIM_TEST_FAIL_WRITE_AFTER=$bytes "$A" export "$@" --out "$exp" >/dev/null 2>"$T/err"; local rc=$?
  local line; line=$(cat "$T/err")
  [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "export $name: exit $rc, $line"
  [[ "$line" =~ ^alignsim:\ error:\ cannot\ write\ \'$exp/[a-z_0-9]+\.npy\':\ No\ space\ left\ on\ device\;\ the\ [1-9][0-9]*\ file\(s\)\ before\ it\ are\ complete,\ the\ export\ is\ not\ \(no\ manifest.json\)$ ]] \
    && ok || bad "export $name: unexpected message: $line"
  [ ! -e "$exp/manifest.json" ] && ok || bad "export $name: a manifest.json survived a failed export"
  $PY - "$exp" <<'PY' && ok || bad "export $name: a file left by the failed export does not load"
import os, sys, numpy as np
d = sys.argv[1]
assert not [f for f in os.listdir(d) if f.endswith(".tmp")]
for f in os.listdir(d):
    if f != ".sweep.lock":  # the directory's lock (sim/io/lock.hpp), not an array
        np.load(os.path.join(d, f))
PY
}
export_fails_cleanly linear 60000 --set data.n_train=300 --set data.n_test=100
export_fails_cleanly fashion_mnist 2000000 --set data.kind=fashion_mnist --set data.n_train=300 --set data.n_test=100

# --- figures: one line, results.csv only read
cp "$T/ref/results.csv" "$T/before.csv"
ALIGNSIM_TEST_FAIL_WRITE_AFTER=100 "$A" plot "$T/ref" --out "$T/figs" >/dev/null 2>"$T/err"; rc=$?
line=$(cat "$T/err")
[ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "plot: exit $rc, $line"
[[ "$line" == "alignsim: error: cannot write '$T/figs/"*"': No space left on device; 0 figure(s) written before it, the results in '$T/ref' are untouched" ]] \
  && ok || bad "plot: unexpected message: $line"
cmp -s "$T/before.csv" "$T/ref/results.csv" && ok || bad "plot changed results.csv"

# --- standard output on a full device: an error, not a quiet success
for cmd in "theory --json" "config --markdown"; do
  "$A" $cmd >/dev/full 2>"$T/err"; rc=$?
  [ "$rc" -eq 1 ] && [ "$(cat "$T/err")" = "alignsim: error: cannot write the output: write error" ] \
    && ok || bad "$cmd >/dev/full: exit $rc, $(cat "$T/err")"
done

# --- a real full disk: a 16 KiB tmpfs in a private mount namespace, then more space, then resume
cat >"$T/inner.sh" <<'SH'
A=$1 T=$2
mkdir -p "$T/tmpfs"
mount -t tmpfs -o size=16k tmpfs "$T/tmpfs" 2>/dev/null || exit 77
"$A" sweep "$T/grid.toml" --out "$T/tmpfs/r" --jobs 1 --quiet >/dev/null 2>"$T/tmpfs.err"
echo $? >"$T/tmpfs.rc"
cp -r "$T/tmpfs/r" "$T/tmpfs_full"
mount -o remount,size=4m "$T/tmpfs" || exit 1
"$A" sweep "$T/grid.toml" --out "$T/tmpfs/r" --jobs 1 --quiet 2>"$T/tmpfs.resume.err"
echo $? >"$T/tmpfs.resume.rc"
cp "$T/tmpfs/r/results.csv" "$T/tmpfs_final.csv"
# figures on a full disk: gnuplot itself leaves cut images and exits 0, alignsim must notice
mkdir -p "$T/figfs"
mount -t tmpfs -o size=12k tmpfs "$T/figfs" || exit 1
"$A" plot "$T/ref" --out "$T/figfs/figs" >/dev/null 2>"$T/figfs.err"
echo $? >"$T/figfs.rc"
SH
if [ "$(id -u)" -eq 0 ]; then ns=(unshare -m); else ns=(unshare -rm); fi
"${ns[@]}" bash "$T/inner.sh" "$A" "$T" 2>/dev/null; rc=$?
if [ "$rc" -eq 0 ]; then
  line=$(cat "$T/tmpfs.err")
  [ "$(cat "$T/tmpfs.rc")" -eq 1 ] && [ "$(wc -l <"$T/tmpfs.err")" -eq 1 ] && ok || bad "tmpfs: exit $(cat "$T/tmpfs.rc"), $line"
  re="^alignsim: error: cannot write '$T/tmpfs/r/(results.csv|history.csv|manifest.json)': No space left on device; ([0-9]+) of $CELLS cells are safe"
  if [[ "$line" =~ $re ]]; then
    ok
    check_dir "$T/tmpfs_full" "${BASH_REMATCH[2]}" && ok || bad "tmpfs: the full directory is not clean"
  else
    bad "tmpfs: unexpected message: $line"
  fi
  [ "$(cat "$T/tmpfs.resume.rc")" -eq 0 ] && cmp -s "$T/ref.csv" <(strip "$T/tmpfs_final.csv") \
    && ok || bad "tmpfs: the resume with space back differs or failed: $(cat "$T/tmpfs.resume.err")"
  line=$(cat "$T/figfs.err")
  [ "$(cat "$T/figfs.rc")" -eq 1 ] && [ "$(wc -l <"$T/figfs.err")" -eq 1 ] && \
    [[ "$line" == "alignsim: error: cannot write '$T/figfs/figs/"*"the results in '$T/ref' are untouched" ]] \
    && ok || bad "tmpfs: plot onto a full disk: exit $(cat "$T/figfs.rc"), $line"
else
  echo "disk: tmpfs part skipped (cannot mount a tmpfs here)"
fi

echo "disk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
