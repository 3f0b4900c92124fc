#!/usr/bin/env bash
# Malformed input of every kind, one case per line of the table below: each must give exactly one
# line on stderr, "alignsim: error: ..." containing the case's needle, exit status 2, nothing on
# stdout, and no crash, stack trace, `terminate called` or sanitizer report (the table also runs
# in the sanitizer build of .ci/run). Adding a case is adding a line.
# Usage: malformed_test.sh path/to/alignsim
set -uo pipefail
A=$(realpath "${1:?usage: malformed_test.sh ALIGNSIM}")
T=$(mktemp -d /tmp/alignsim-malformed.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# --- fixtures: config files, and results directories made from a real (tiny) sweep
f() { printf "$2" >"$T/$1"; }  # f NAME TEXT: a fixture file (printf format)
f good.toml '[data]\nd1 = 6\nd2 = 6\nn_train = 200\nn_test = 100\n[train]\nsteps = 20\nbatch = 32\n[objective]\nalignment = "cca"\n[grid]\n"data.redundancy" = [0.0, 1.0]\n'
f unterminated.toml '[data]\nd1 = [1\n'
f unknown_key.toml '[data]\nbogus = 1\n'
f wrong_type.toml '[data]\nd1 = "eight"\n'
f fractional.toml '[data]\nd1 = 8.5\n'
f bad_choice.toml '[data]\nmixing = "weird"\n'
f top_level.toml 'd1 = 3\n'
f nan.toml '[data]\nnoise1 = nan\n'
f inf.toml '[train]\nlr = inf\n'
f range.toml '[data]\nredundancy = 1.5\n'
f orthogonal.toml '[data]\nd1 = 3\n'
f batch.toml '[train]\nbatch = 100000\n'
f hidden.toml '[model]\nencoder = "mlp"\nhidden = []\n'
f hidden_type.toml '[model]\nhidden = [64, "a"]\n'
f nested.toml '[data.sub]\nx = 1\n'
f datetime.toml '[data]\nd1 = 1979-05-27T07:32:00Z\n'
f dup_table.toml '[data]\nd1 = 8\n[data]\nd2 = 8\n'
f dup_key.toml '[data]\nd1 = 8\nd1 = 9\n'
f lambda.toml '[theory]\nlambda_min = 10\nlambda_max = 1\n'
f negative_seed.toml '[data]\nseed = -1\n'
f huge_int.toml '[data]\nd1 = 99999999999999999999\n'
f binary.toml '\x00\x01\x02\xff\xfe'
f bad_utf8.toml '[data]\nkind = "\xff"\n'
f g_unknown.toml '[grid]\n"data.nope" = [1, 2]\n'
f g_empty.toml '[grid]\n"data.redundancy" = []\n'
f g_scalar.toml '[grid]\n"data.redundancy" = 0.5\n'
f g_mixed.toml '[grid]\n"data.redundancy" = [0.5, "high"]\n'
f g_twice.toml '[grid]\n"data.redundancy" = [0.5, 0.5]\n'
f g_seeds_twice.toml '[grid]\nseeds = [1, 1]\n'
f g_seeds_neg.toml '[grid]\nseeds = [-1]\n'
f g_seeds_float.toml '[grid]\nseeds = [1.5]\n'
f g_seed_both.toml '[grid]\n"train.seed" = [1, 2]\nseeds = [0]\n'
f g_cell.toml '[grid]\n"data.redundancy" = [0.5, 1.5]\n'
f g_dim.toml '[grid]\n"model.dim" = [2, 17]\n'
f g_huge.toml '[grid]\n"data.n_train" = [11,12,13,14,15,16,17,18,19,20]\n"data.n_test" = [11,12,13,14,15,16,17,18,19,20]\n"train.steps" = [1,2,3,4,5,6,7,8,9,10]\n"train.lr" = [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0]\n"data.seed" = [1,2,3,4,5,6,7,8,9,10]\n"train.batch" = [2,3,4,5,6,7,8,9,10,11]\nseeds = [1,2]\n'
f x_noname.toml '[[experiment]]\n[experiment.grid]\nseeds = [1]\n'
f x_badname.toml '[[experiment]]\nname = "a b"\n'
f x_same.toml '[[experiment]]\nname = "a"\n[[experiment]]\nname = "a"\n'
f x_section.toml '[[experiment]]\nname = "a"\nsteps = 3\n'
f x_scalar.toml 'experiment = 3\n'
f x_empty.toml 'experiment = []\n'
f x_axis.toml '[[experiment]]\nname = "a"\n[experiment.grid]\n"data.bogus" = [1]\n'
"$A" sweep "$T/good.toml" --out "$T/res" --quiet || { echo "FAIL: fixture sweep"; exit 1; }
mkres() {  # mkres NAME: a copy of the good results directory to corrupt
  rm -rf "$T/$1"; cp -r "$T/res" "$T/$1"; rm -f "$T/$1/.sweep.lock"
}
edit() { /usr/bin/python3 -c "$2" "$T/$1"; }  # edit DIR PYTHON: the code gets the directory as sys.argv[1]
mkdir -p "$T/empty_dir"
mkres no_results; rm "$T/no_results/results.csv"
mkres not_json; echo '{"cells": 2, ' >"$T/not_json/manifest.json"
mkres json_array; echo '[1, 2]' >"$T/json_array/manifest.json"
mkres no_experiments; edit no_experiments 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); del m["experiments"]; json.dump(m, open(p,"w"))'
mkres bad_key; edit bad_key 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["experiments"][0]["config"]["data.bogus"]=1; json.dump(m, open(p,"w"))'
mkres bad_value; edit bad_value 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["experiments"][0]["config"]["data.d1"]="six"; json.dump(m, open(p,"w"))'
mkres bad_axis; edit bad_axis 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["experiments"][0]["config"]["grid"]["data.redundancy"]="all"; json.dump(m, open(p,"w"))'
mkres missing_col; edit missing_col 'import sys; p=sys.argv[1]+"/results.csv"; t=open(p).read(); open(p,"w").write(t.replace("learned_r2,","learnt_r2,",1))'
mkres short_row; edit short_row 'import sys; p=sys.argv[1]+"/results.csv"; l=open(p).read().splitlines(True); l[3]=",".join(l[3].split(",")[:5])+"\n"; open(p,"w").write("".join(l))'
mkres cell_outside; edit cell_outside 'import sys; p=sys.argv[1]+"/results.csv"; l=open(p).read().splitlines(True); l[2]="77"+l[2][1:]; open(p,"w").write("".join(l))'
mkres cell_text; edit cell_text 'import sys; p=sys.argv[1]+"/results.csv"; l=open(p).read().splitlines(True); l[2]="x"+l[2][1:]; open(p,"w").write("".join(l))'
mkres bad_name; edit bad_name 'import sys; p=sys.argv[1]+"/results.csv"; t=open(p).read(); open(p,"w").write(t.replace(",y_shared,",",y_nope,",1))'
mkres bad_number; edit bad_number 'import sys,csv; p=sys.argv[1]+"/results.csv"; r=list(csv.reader(open(p))); r[1][r[0].index("learned_r2")]="zero"; csv.writer(open(p,"w"),lineterminator="\n").writerows(r)'
mkres open_quote; edit open_quote 'import sys; p=sys.argv[1]+"/results.csv"; l=open(p).read().splitlines(True); l[2]="\""+l[2]; open(p,"w").write("".join(l))'
mkres empty_csv; : >"$T/empty_csv/results.csv"
mkres orphan_csv; rm "$T/orphan_csv/manifest.json"
setcol() {  # setcol DIR FILE LINE COLUMN VALUE: one field of a copy's results.csv or history.csv
  mkres "$1"; /usr/bin/python3 - "$T/$1/$2" "$3" "$4" "$5" <<'PY'
import csv, sys
p, line, col, val = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
r = list(csv.reader(open(p, newline="")))
r[line - 1][r[0].index(col)] = val
csv.writer(open(p, "w", newline=""), lineterminator="\n").writerows(r)
PY
}
setcol partial_number results.csv 3 cka 1x2
setcol int_type results.csv 4 steps 60.5
setcol neg_seed results.csv 2 seed -1
setcol space_number results.csv 5 learned_r2 " 0.5"
setcol hist_partial history.csv 3 loss 0.5e
setcol hist_type history.csv 2 step ten
mkres dup_col; edit dup_col 'import sys; p=sys.argv[1]+"/results.csv"; t=open(p).read(); open(p,"w").write(t.replace(",reason\n",",cka\n",1))'
mkres hist_cols; edit hist_cols 'import sys; p=sys.argv[1]+"/history.csv"; t=open(p).read(); open(p,"w").write(t.replace(",gap\n",",gapp\n",1))'
mkres other_cols; edit other_cols 'import sys; p=sys.argv[1]+"/results.csv"; t=open(p).read(); open(p,"w").write(t.replace("cka,","ckb,",1))'
echo "not a directory" >"$T/a_file"
"$A" export --set data.n_train=40 --set data.n_test=10 --set train.batch=10 --out "$T/exp" >/dev/null || { echo "FAIL: fixture export"; exit 1; }
"$A" export --set data.n_train=10 --set data.n_test=10 --set train.batch=10 --out "$T/exp2" >/dev/null || { echo "FAIL: fixture export"; exit 1; }
# directories of one kind of writer, and manifests damaged field by field
"$A" export --set data.n_train=50 --set data.n_test=20 --set train.batch=16 --out "$T/an_export" >/dev/null || { echo "FAIL: fixture export"; exit 1; }
mkdir -p "$T/user_files"; : >"$T/user_files/train_x1.npy"; : >"$T/user_files/results.csv"
mkdir -p "$T/user_figs"; : >"$T/user_figs/redundancy.svg"
mkfifo "$T/fifo.toml"
jset() {  # jset DIR KEY JSON: sets manifest.json's KEY to the JSON value
  mkres "$1"; edit "$1" "import json,sys; p=sys.argv[1]+'/manifest.json'; m=json.load(open(p)); m['$2']=json.loads('$3'); json.dump(m, open(p,'w'))"
}
jset m_sessions sessions '"x"'
jset m_session_item sessions '[3]'
jset m_end end '5'
jset m_complete complete '"yes"'
jset m_cells cells '"two"'
jset m_cells_neg cells '-1'
jset m_cells_wrong cells '7'
jset m_columns columns '"cell"'
jset m_column_item columns '["cell", 3]'
jset m_kind kind '"export"'
jset m_kind_bad kind '"nonsense"'
jset m_kind_type kind '4'
jset m_fp fingerprint '12'
jset m_start start 'null'
jset m_threads threads '1.5'
jset m_rows rows_per_experiment '[1]'
mkres m_bom; edit m_bom 'import sys; p=sys.argv[1]+"/manifest.json"; t=open(p,"rb").read(); open(p,"wb").write(b"\xef\xbb\xbf"+t)'
mkres m_fifo; rm "$T/m_fifo/manifest.json"; mkfifo "$T/m_fifo/manifest.json"
printf '[grid]\n"data.redundancy" = [0.0, 1.0]\n' >"$T/grid_only.toml"
printf '[[experiment]]\nname = "a"\n' >"$T/exp_only.toml"

# --- the table: NEEDLE | ARGUMENTS (shell words, $T is the fixture directory)
while IFS= read -r row; do
  case "$row" in ''|'#'*) continue ;; esac
  needle=${row%% | *}
  args=${row#* | }
  eval "set -- $args"
  "$A" "$@" >"$T/out" 2>"$T/err"; rc=$?
  err=$(cat "$T/err")
  if [ "$rc" -ne 2 ]; then bad "[$args] exit $rc, expected 2: $err"; continue; fi
  if [ "$(wc -l <"$T/err")" -ne 1 ]; then bad "[$args] $(wc -l <"$T/err") stderr lines: $err"; continue; fi
  if [[ "$err" != "alignsim: error: "* ]]; then bad "[$args] not an 'alignsim: error:' line: $err"; continue; fi
  if [[ "$err" != *"$needle"* ]]; then bad "[$args] '$err' lacks '$needle'"; continue; fi
  if grep -qiE "terminate called|Sanitizer|runtime error:|stack|Aborted|core dumped" "$T/err"; then bad "[$args] crash text: $err"; continue; fi
  if [ -s "$T/out" ]; then bad "[$args] wrote to stdout: $(head -c 200 "$T/out")"; continue; fi
  pass=$((pass + 1))
done <<'TABLE'
# command line
error | 
subcommand | frobnicate
--frob | theory --frob
--set | theory --set
--out | export
--out | sweep "$T/good.toml"
--jobs | sweep "$T/good.toml" --out "$T/o1" --jobs -1
--jobs | sweep "$T/good.toml" --out "$T/o1" --jobs many
--shape | bench --shape huge
--dtype | bench --dtype int8
--seconds | bench --seconds 0
dir | plot
/nonexistent/dir | plot /nonexistent/dir
/nonexistent/config.toml | theory /nonexistent/config.toml
not expected | theory "$T/good.toml" "$T/good.toml"
--out | sweep "$T/good.toml" --out ""
# config files
unterminated.toml: | theory "$T/unterminated.toml"
data.bogus | train "$T/unknown_key.toml"
data.d1 | theory "$T/wrong_type.toml"
data.d1 | theory "$T/fractional.toml"
data.mixing | train "$T/bad_choice.toml"
not a section | theory "$T/top_level.toml"
data.noise1 | theory "$T/nan.toml"
train.lr | train "$T/inf.toml"
data.redundancy | theory "$T/range.toml"
orthogonal | theory "$T/orthogonal.toml"
train.batch | train "$T/batch.toml"
model.hidden | train "$T/hidden.toml"
model.hidden | train "$T/hidden_type.toml"
data.sub | theory "$T/nested.toml"
data.d1 | theory "$T/datetime.toml"
dup_table.toml: | theory "$T/dup_table.toml"
dup_key.toml: | theory "$T/dup_key.toml"
theory.lambda_max | theory "$T/lambda.toml"
data.seed | theory "$T/negative_seed.toml"
huge_int.toml: | theory "$T/huge_int.toml"
binary.toml: | theory "$T/binary.toml"
bad_utf8.toml: | config "$T/bad_utf8.toml"
# --set
key=value | theory --set data.d1
key=value | theory --set =3
data.bogus | theory --set data.bogus=1
data.d1 | theory --set data.d1=abc
data.d1 | theory --set data.d1=
train.lr | train --set train.lr=nan
model.hidden | train --set 'model.hidden=[1,'
model.encoder | train --set model.encoder=cnn
model.cnn_kernels | train --set data.kind=fashion_mnist --set model.encoder=cnn --set 'model.cnn_kernels=[5]'
model.cnn_strides | train --set data.kind=fashion_mnist --set model.encoder=cnn --set 'model.cnn_strides=[0,1]'
model.cnn_channels | train --set data.kind=fashion_mnist --set model.encoder=cnn --set 'model.cnn_channels=[]' --set 'model.cnn_kernels=[]' --set 'model.cnn_strides=[]'
model.cnn_pooling | train --set data.kind=fashion_mnist --set model.encoder=cnn --set model.cnn_pooling=min
data.mixing | theory --set data.mixing=weird
data.n_train | train --set data.n_train=-5
data.d1 | theory --set $'data.d1=8\ndata.d2 = 3'
data.d1 | theory --set 'data.d1=8 9'
data.path | config --set $'data.path=99\xb99'
data.path | config --set $'data.path=a\tb'
grid.data.redundancy | sweep "$T/good.toml" --out "$T/o2" --set grid.data.redundancy=0.5
empty | sweep "$T/good.toml" --out "$T/o2" --set 'grid.data.redundancy=[]'
data.nope | sweep "$T/good.toml" --out "$T/o2" --set 'grid.data.nope=[1]'
grid | sweep "$T/good.toml" --out "$T/o2" --set $'grid.data.redundancy=[0]\n[data]\nd1 = 3'
# grids and experiments
data.nope | sweep "$T/g_unknown.toml" --out "$T/o3"
empty | sweep "$T/g_empty.toml" --out "$T/o3"
list | sweep "$T/g_scalar.toml" --out "$T/o3"
data.redundancy | sweep "$T/g_mixed.toml" --out "$T/o3"
twice | sweep "$T/g_twice.toml" --out "$T/o3"
twice | sweep "$T/g_seeds_twice.toml" --out "$T/o3"
non-negative | sweep "$T/g_seeds_neg.toml" --out "$T/o3"
grid.seeds | sweep "$T/g_seeds_float.toml" --out "$T/o3"
train.seed | sweep "$T/g_seed_both.toml" --out "$T/o3"
grid cell 1 | sweep "$T/g_cell.toml" --out "$T/o3"
model.dim | sweep "$T/g_dim.toml" --out "$T/o3"
cells | sweep "$T/g_huge.toml" --out "$T/o3"
no name | sweep "$T/x_noname.toml" --out "$T/o3"
name | sweep "$T/x_badname.toml" --out "$T/o3"
two experiments | sweep "$T/x_same.toml" --out "$T/o3"
not a section | sweep "$T/x_section.toml" --out "$T/o3"
experiment | sweep "$T/x_scalar.toml" --out "$T/o3"
experiment | sweep "$T/x_empty.toml" --out "$T/o3"
data.bogus | sweep "$T/x_axis.toml" --out "$T/o3"
# results directories: alignsim plot
no manifest.json | plot "$T/empty_dir"
no results.csv | plot "$T/no_results"
manifest.json | plot "$T/not_json"
manifest.json | plot "$T/json_array"
manifest.json | plot "$T/no_experiments"
data.bogus | plot "$T/bad_key"
data.d1 | plot "$T/bad_value"
data.redundancy | plot "$T/bad_axis"
results.csv | plot "$T/missing_col"
results.csv:4 | plot "$T/short_row"
outside the grid | plot "$T/cell_outside"
results.csv | plot "$T/cell_text"
y_nope | plot "$T/bad_name"
zero | plot "$T/bad_number"
results.csv | plot "$T/open_quote"
results.csv | plot "$T/empty_csv"
results.csv:3: column 'cka': '1x2' is not a number | plot "$T/partial_number"
results.csv:4: column 'steps' | plot "$T/int_type"
results.csv:2: column 'seed' | plot "$T/neg_seed"
results.csv:5: column 'learned_r2' | plot "$T/space_number"
history.csv:3: column 'loss' | plot "$T/hist_partial"
history.csv:2: column 'step' | plot "$T/hist_type"
column 'cka' appears twice | plot "$T/dup_col"
history.csv:1: other columns | plot "$T/hist_cols"
# alignsim plot's options
--only nope | plot "$T/res" --only nope --out "$T/f1"
--format | plot "$T/res" --format gif --out "$T/f1"
--x data.bogus | plot "$T/res" --x data.bogus --out "$T/f1"
--rep | plot "$T/res" --rep z3 --out "$T/f1"
--targets | plot "$T/res" --targets y9 --out "$T/f1"
it is a file | plot "$T/res" --out "$T/a_file"
--curve | theory --curve bogus
# results directories: resuming a sweep into them
manifest.json | sweep "$T/good.toml" --out "$T/not_json"
manifest.json | sweep "$T/good.toml" --out "$T/json_array"
without a manifest.json | sweep "$T/good.toml" --out "$T/orphan_csv"
other columns | sweep "$T/good.toml" --out "$T/other_cols"
results.csv:3: column 'cka' | sweep "$T/good.toml" --out "$T/partial_number"
history.csv:2: column 'step' | sweep "$T/good.toml" --out "$T/hist_type"
another config | sweep "$T/good.toml" --out "$T/res" --set train.steps=21
not a directory | sweep "$T/good.toml" --out "$T/a_file"
# exports
a_file | export --out "$T/a_file"
data.bogus | export --set data.bogus=1 --out "$T/o4"
orthogonal | export --set data.d1=3 --out "$T/o4"
# evaluate --weights: encoders as .npy
--weights | evaluate
W1 must be p x data.d1 = 2 x 16 | evaluate --weights "$T/exp/train_x1.npy"
W2 must be p x data.d2 = 10 x 16 (p = model.dim), got 40 x 16 | evaluate --weights "$T/exp2/train_x1.npy" "$T/exp/train_x2.npy" --set model.dim=10
2-D array | evaluate --weights "$T/exp/train_y_mix.npy"
not a readable .npy | evaluate --weights "$T/binary.toml"
data.kind = nonlinear has no closed forms | evaluate --weights "$T/exp/A1.npy" --set data.kind=nonlinear
--weights | evaluate --weights "$T/exp/A1.npy" "$T/exp/A2.npy" "$T/exp/B1.npy"
# a directory belongs to one kind of writer; no command replaces a file it did not write
sweep results directory | export --out "$T/res"
sweep results directory | plot "$T/res" --out "$T/res"
export of samples | sweep "$T/good.toml" --out "$T/an_export"
export of samples | plot "$T/an_export"
export of samples | plot "$T/res" --out "$T/an_export"
train_x1.npy | export --out "$T/user_files"
results.csv | sweep "$T/good.toml" --out "$T/user_files"
redundancy.svg | plot "$T/res" --out "$T/user_figs"
# manifest.json damaged field by field: one line naming the file and key
'sessions' | sweep "$T/good.toml" --out "$T/m_sessions"
'sessions' | plot "$T/m_sessions"
sessions[0] | sweep "$T/good.toml" --out "$T/m_session_item"
'end' | sweep "$T/good.toml" --out "$T/m_end"
'complete' | plot "$T/m_complete"
'cells' | sweep "$T/good.toml" --out "$T/m_cells"
'cells' | plot "$T/m_cells_neg"
'cells' | sweep "$T/good.toml" --out "$T/m_cells_wrong"
'cells' | plot "$T/m_cells_wrong"
'columns' | plot "$T/m_columns"
columns[1] | sweep "$T/good.toml" --out "$T/m_column_item"
export of samples | plot "$T/m_kind"
'kind' | plot "$T/m_kind_bad"
'kind' | sweep "$T/good.toml" --out "$T/m_kind_type"
'fingerprint' | plot "$T/m_fp"
'start' | plot "$T/m_start"
'threads' | plot "$T/m_threads"
rows_per_experiment | plot "$T/m_rows"
byte-order mark | plot "$T/m_bom"
FIFO | plot "$T/m_fifo"
FIFO | sweep "$T/good.toml" --out "$T/m_fifo"
# one integer and range policy: bounds, never narrowed; memory before work; no FIFO inputs
theory.lambda_points | theory --set theory.lambda_points=4294967297
data.depth | train --set data.kind=nonlinear --set data.depth=1000000000000
data.n_train | train --set data.n_train=99999999999
model.hidden | train --set 'model.hidden=[4294967297]'
train.steps | train --set train.steps=9223372036854775807
objective.barlow_offdiag | train --set objective.alignment=barlow_twins --set objective.barlow_offdiag=1e300
objective.siglip_temperature | train --set objective.alignment=siglip --set objective.siglip_temperature=1e30
model.cnn_channels | train --set data.kind=fashion_mnist --set model.encoder=cnn --set 'model.cnn_channels=[5000]'
memory | train --set data.n_train=900000000
memory | export --set data.n_train=900000000 --out "$T/o5"
memory | sweep "$T/good.toml" --out "$T/o5" --set data.n_train=900000000
FIFO | theory "$T/fifo.toml"
FIFO | sweep "$T/fifo.toml" --out "$T/o5"
directory | train "$T"
# commands agree
alignsim sweep | train "$T/good.toml"
alignsim sweep | train "$T/grid_only.toml"
alignsim sweep | train "$T/exp_only.toml"
alignsim sweep | theory "$T/exp_only.toml"
grid axis | sweep "$T/good.toml" --out "$T/o6" --set data.redundancy=0.5
# numerical edge cases named
data.a1 | theory --set data.a1=1e308
data.a1 | train --set data.a1=1e308
data.noise1 | theory --set data.a1=1e4 --set data.noise1=1e-4
data.b2 | theory --set data.b2=1e7
objective.temperature | train --set objective.temperature=1e300
# options
--seconds | bench --seconds nan
--seconds | bench --seconds inf
TABLE

# a failed start leaves nothing behind
for o in o5 o6; do [ ! -e "$T/$o" ] && pass=$((pass + 1)) || bad "a refused sweep left $T/$o behind"; done
# an export refused in a sweep directory left its manifest whole
"$A" plot "$T/res" --out "$T/f_after" >/dev/null 2>&1 && pass=$((pass + 1)) || bad "the sweep directory is unusable after a refused export"

echo "malformed: $pass passed, $fail failed"
[ "$pass" -ge 110 ] || { echo "FAIL: the table must hold at least 110 cases that pass, has $pass"; fail=$((fail + 1)); }
[ "$fail" -eq 0 ]
