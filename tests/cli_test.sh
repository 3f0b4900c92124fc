#!/usr/bin/env bash
# End-to-end checks of the alignsim command: help, exit codes, one-line errors, and the JSON
# contracts of the issues. Usage: tests/cli_test.sh path/to/alignsim
set -uo pipefail
A=${1:?usage: cli_test.sh path/to/alignsim}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/alignsim-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_error CODE PATTERN -- command...: exit code CODE, exactly one stderr line matching PATTERN
expect_error() {
  local code=$1 pat=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  local lines; lines=$(wc -l <"$T/err")
  if [ "$rc" -ne "$code" ]; then bad "$* -> exit $rc, expected $code ($(head -c 300 "$T/err"))"; return; fi
  if [ "$lines" -ne 1 ]; then bad "$* -> $lines stderr lines, expected 1"; return; fi
  if ! grep -q -- "$pat" "$T/err"; then bad "$* -> '$(cat "$T/err")' lacks '$pat'"; return; fi
  ok
}
# json_check FILE PYTHON-EXPR...: each expression, with j the parsed JSON, must be true
json_check() {
  local f=$1; shift
  for e in "$@"; do
    if $PY -c "import json,sys,math; j=json.load(open('$f')); sys.exit(0 if ($e) else 1)" 2>/dev/null; then ok
    else bad "JSON check failed: $e on $(head -c 400 "$f")"; fi
  done
}

# --- help and usage errors
"$A" --help >"$T/h" && grep -q sweep "$T/h" && ok || bad "alignsim --help"
for c in theory train export sweep plot bench; do
  "$A" "$c" --help >/dev/null && ok || bad "alignsim $c --help"
done
expect_error 2 "error" -- "$A"
expect_error 2 "error" -- "$A" frobnicate
expect_error 2 "data.bogus" -- "$A" theory --set data.bogus=1
expect_error 2 "key=value" -- "$A" theory --set data.d1
expect_error 2 "data.d1" -- "$A" theory --set data.d1=abc
expect_error 2 "orthogonal" -- "$A" theory --set data.d1=3
expect_error 2 "error" -- "$A" theory /nonexistent/config.toml
printf '[data]\nd1 = [1\n' >"$T/broken.toml"
expect_error 2 "broken.toml:" -- "$A" theory "$T/broken.toml"
printf '[data]\nmixing = "weird"\n' >"$T/weird.toml"
expect_error 2 "data.mixing" -- "$A" train "$T/weird.toml"
expect_error 2 "error" -- "$A" export
expect_error 2 "error" -- "$A" bench --shape huge

# --- theory: the public JSON contract and the orthogonal table
if "$A" theory --json >"$T/theory.json" 2>"$T/err"; then
  ok
  json_check "$T/theory.json" \
    "len(j['canonical_correlations']) == 2" \
    "j['mutual_information_x1_x2'] > 0" \
    "all(set(j['r2'][t]) >= {'oracle_x1','aligned_x1','oracle_x2','aligned_x2'} for t in ['y_shared','y1','y2','y_mix'])" \
    "all(set(j['info_nats'][r]) >= {'s','u1','u2'} for r in ['oracle_x1','aligned_x1','oracle_x2','aligned_x2'])" \
    "abs(j['r2']['y1']['aligned_x1']) < 1e-9 and abs(j['r2']['y_shared']['aligned_x1'] - 0.8) < 1e-9" \
    "len(j['tradeoff']) >= 2 and set(j['tradeoff'][0]) >= {'lambda','r2_y_mix','alignment_loss'}"
  "$A" theory >"$T/theory.txt" && grep -q y_mix "$T/theory.txt" && ok || bad "theory table"
  # analytic: what a run with this config reaches (infonce at p = k_shared: the cca optimum)
  json_check "$T/theory.json" \
    "j['analytic']['kind'] == 'aligned'" \
    "all(abs(j['analytic']['r2'][t]['z1'] - j['r2'][t]['aligned_x1']) < 1e-12 for t in ['y_shared','y1','y2','y_mix'])"
else
  bad "alignsim theory --json failed: $(cat "$T/err")"
fi

# --- theory --curve: the keys of theory --json along one key, each point equal to theory --json there
if "$A" theory --curve data.noise1=0.2:2:4 --set objective.alignment=regression >"$T/curve.jsonl" 2>"$T/err" &&
   "$A" theory --curve data.noise1=0.2:2:4 --set objective.alignment=regression --format csv >"$T/curve.csv" 2>>"$T/err" &&
   "$A" theory --json --set data.noise1=0.8 --set objective.alignment=regression >"$T/at08.json" 2>>"$T/err"; then
  ok
  $PY - "$T" <<'PY' && ok || bad "theory --curve: JSON lines or CSV disagree with theory --json"
import json, csv, sys, os
T = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(T, "curve.jsonl"))]
full = json.load(open(os.path.join(T, "theory.json")))
at = json.load(open(os.path.join(T, "at08.json")))
assert len(lines) == 4, len(lines)
assert [l["value"] for l in lines] == [0.2, 0.8, 1.4, 2.0], [l["value"] for l in lines]
for l in lines:
    assert l["key"] == "data.noise1"
    assert set(l) == (set(full) - {"config", "meta"}) | {"key", "value"}, set(l) ^ set(full)
p = lines[1]
for t in ["y_shared", "y1", "y2", "y_mix"]:
    assert p["r2"][t] == at["r2"][t], t
for k in ["analytic", "r2_blocks", "info_nats", "canonical_correlations", "by_objective", "tradeoff"]:
    assert p[k] == at[k], k
assert p["analytic"]["kind"] == "aligned"
# sigma1 grows, x1 holds less: the oracle falls
o = [l["r2"]["y_shared"]["oracle_x1"] for l in lines]
assert all(a > b for a, b in zip(o, o[1:])), o
rows = list(csv.DictReader(open(os.path.join(T, "curve.csv"))))
assert len(rows) == 4 and list(rows[0])[0] == "data.noise1"
for r, l in zip(rows, lines):
    assert float(r["data.noise1"]) == l["value"]
    assert float(r["analytic.r2.y_mix.z1"]) == l["analytic"]["r2"]["y_mix"]["z1"]
    assert float(r["r2_blocks.oracle_x1.s"]) == l["r2_blocks"]["oracle_x1"]["s"]
    assert float(r["canonical_correlations.1"]) == l["canonical_correlations"][1]
    assert "tradeoff.0.lambda" not in r
PY
else
  bad "alignsim theory --curve failed: $(cat "$T/err")"
fi
# log spacing (decades exact), integer keys (rounded, repeats dropped)
"$A" theory --curve objective.lambda=0.01:100:5 --log --format csv 2>/dev/null | cut -d, -f1 | tr '\n' ' ' \
  | grep -qx "objective.lambda 0.01 0.1 1 10 100 " && ok || bad "theory --curve --log: not the log grid"
"$A" theory --curve model.dim=1:4:7 2>/dev/null | $PY -c "import json,sys; v=[json.loads(l)['value'] for l in sys.stdin]; sys.exit(0 if v == [1,2,3,4] else 1)" \
  && ok || bad "theory --curve model.dim: integer points"
expect_error 2 "train.lr" -- "$A" theory --curve train.lr=0.1:1:3
expect_error 2 "unknown config key 'data.bogus'" -- "$A" theory --curve data.bogus=1:2:3
expect_error 2 "data.redundancy = 1.5" -- "$A" theory --curve data.redundancy=0:1.5:4
expect_error 2 "START must be below STOP" -- "$A" theory --curve data.noise1=2:1:3
expect_error 2 "START > 0" -- "$A" theory --curve objective.lambda=0:1:3 --log
expect_error 2 "N must be" -- "$A" theory --curve data.noise1=0.1:1:x
expect_error 2 "KEY=START:STOP:N" -- "$A" theory --curve data.noise1
expect_error 2 "applies to --curve" -- "$A" theory --log
expect_error 2 "xml" -- "$A" theory --curve data.noise1=0.1:1:3 --format xml

# --- train: the public JSON contract on a small run
if "$A" train --json --set data.n_train=2000 --set data.n_test=1000 --set train.steps=200 \
     --set objective.alignment=cca >"$T/train.json" 2>"$T/err"; then
  ok
  json_check "$T/train.json" \
    "j['status'] in ('ok', 'diverged') and j['steps'] == 200" \
    "all(k in j for k in ['seconds','final_loss','learned','analytic','subspace_distance','cka'])" \
    "all(set(j['learned']['r2'][t]) >= {'z1','z2'} for t in ['y_shared','y1','y2','y_mix'])" \
    "set(j['analytic']['r2']) >= {'y_shared','y1','y2','y_mix'}" \
    "set(j['objective']) >= {'learned','optimum','gap','tolerance','polish_evals'}" \
    "j['status'] != 'ok' or j['objective']['gap'] <= j['objective']['tolerance']" \
    "abs(j['objective']['gap'] - (j['objective']['learned'] - j['objective']['optimum']) / max(abs(j['objective']['optimum']), 1e-12)) < 1e-12" \
    "len(j['history']) >= 20 and all(set(c) == {'step','evals','loss','objective','gap'} for c in j['history'])" \
    "j['history'][-1]['gap'] == j['objective']['gap'] and j['history'][-1]['step'] == 200"
else
  bad "alignsim train --json failed: $(cat "$T/err")"
fi
# no closed form (infonce): optimum null with a reason; too few steps without polishing: not_converged with the gap
"$A" train --json --set data.n_train=1000 --set data.n_test=500 --set train.steps=30 >"$T/nce.json" 2>/dev/null \
  && json_check "$T/nce.json" "j['objective']['optimum'] is None and j['objective']['gap'] is None" \
       "'InfoNCE' in j['objective']['optimum_reason'] and len(j['history']) >= 20 and j['history'][0]['gap'] is None" \
  || bad "alignsim train --json (infonce) failed"
"$A" train --json --set data.n_train=1000 --set data.n_test=500 --set train.steps=5 --set train.polish=0 \
  --set objective.alignment=regression >"$T/nc.json" 2>/dev/null \
  && json_check "$T/nc.json" "j['status'] == 'not_converged' and j['objective']['gap'] > 1e-3" \
       "'objective gap' in j['reason'] and 'train.tolerance' in j['reason']" \
  || bad "a run of 5 steps without polishing must end not_converged"
"$A" train --json --set train.lr=1e6 --set train.optimizer=sgd --set objective.alignment=regression \
  --set data.n_train=500 --set data.n_test=100 --set train.steps=100 >"$T/div.json" 2>/dev/null \
  && json_check "$T/div.json" "j['status'] == 'diverged' and len(j.get('reason', '')) > 0" \
  || bad "a diverging run must exit 0 with status diverged"

# --- export: numpy reads every file the manifest lists, with the shape it says
if "$A" export --set data.n_train=300 --set data.n_test=100 --out "$T/exp" 2>"$T/err"; then
  ok
  $PY - "$T/exp" <<'PY' && ok || bad "export: manifest and .npy files disagree"
import json, sys, os, numpy as np
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
files = m["files"]
assert len(files) >= 10 and "config" in m
for f in files:
    a = np.load(os.path.join(d, f["file"]))
    assert list(a.shape) == list(f["shape"]), f
x1 = np.load(os.path.join(d, "train_x1.npy"))
assert x1.shape == (300, m["config"]["data.d1"])
PY
else
  bad "alignsim export failed: $(cat "$T/err")"
fi

# --- sweep: bad grids fail before any work, a tiny grid runs and resumes
printf '[grid]\n"data.nope" = [1, 2]\n' >"$T/badgrid.toml"
expect_error 2 "data.nope" -- "$A" sweep "$T/badgrid.toml" --out "$T/bad"
[ ! -e "$T/bad/results.csv" ] && ok || bad "a bad grid must not start work"
printf '[data]\nn_train = 1000\nn_test = 500\n[train]\nsteps = 100\n[objective]\nalignment = "cca"\n[grid]\n"data.redundancy" = [0.0, 1.0]\nseeds = [1, 2]\n' >"$T/grid.toml"
if "$A" sweep "$T/grid.toml" --out "$T/sw" --jobs 2 --quiet 2>"$T/err"; then
  ok
  [ -s "$T/sw/results.csv" ] && [ -s "$T/sw/manifest.json" ] && ok || bad "sweep outputs missing"
  head -1 "$T/sw/results.csv" | grep -q "data.redundancy" && ok || bad "results.csv lacks the swept column"
  cp "$T/sw/results.csv" "$T/first.csv"
  "$A" sweep "$T/grid.toml" --out "$T/sw" --jobs 1 --quiet 2>/dev/null && cmp -s "$T/first.csv" "$T/sw/results.csv" \
    && ok || bad "re-running a finished sweep must leave results.csv unchanged"
  [ -s "$T/sw/history.csv" ] && head -1 "$T/sw/history.csv" | grep -q "step,evals,loss,objective,gap" \
    && ok || bad "sweep: history.csv missing or without its columns"
  head -1 "$T/sw/results.csv" | grep -q "objective_gap" && ok || bad "results.csv lacks objective_gap"
else
  bad "alignsim sweep failed: $(cat "$T/err")"
fi
# the last line of a sweep counts its cells by status
printf '[data]\nn_train = 500\nn_test = 200\n[train]\nsteps = 20\noptimizer = "sgd"\n[objective]\nalignment = "regression"\n[grid]\n"train.lr" = [0.01, 1e6]\n"train.polish" = [0, 1000]\nseeds = [1]\n' >"$T/st.toml"
if "$A" sweep "$T/st.toml" --out "$T/st" --jobs 2 2>"$T/err"; then
  tail -1 "$T/err" | grep -q ": 1 ok, 1 not_converged, 2 diverged$" && ok || bad "sweep: last line $(tail -1 "$T/err")"
else
  bad "alignsim sweep failed: $(cat "$T/err")"
fi

# --- plot: a grid over a key no named figure shows gets its by_<key> figure, whose analytic curve
# is what `theory --curve` prints (the command is in the .dat) and whose points are results.csv's means
printf '[data]\nn_train = 1000\nn_test = 500\n[train]\nsteps = 100\n[objective]\nalignment = "regression"\n[grid]\n"data.noise1" = [0.25, 0.5, 1.0]\nseeds = [1, 2]\n' >"$T/noise.toml"
if "$A" sweep "$T/noise.toml" --out "$T/nz" --jobs 2 --quiet 2>"$T/err" && "$A" plot "$T/nz" >"$T/plot.out" 2>"$T/err"; then
  ok
  grep -qx "$T/nz/figures/by_data.noise1.svg" "$T/plot.out" && grep -qx "$T/nz/figures/by_data.noise1.png" "$T/plot.out" \
    && ok || bad "plot: no by_data.noise1 figure listed ($(cat "$T/plot.out"))"
  for e in dat gp; do [ -s "$T/nz/figures/by_data.noise1.$e" ] && ok || bad "plot: by_data.noise1.$e missing"; done
  curve=$(sed -n 's/.*alignsim theory --curve \([^ ]*\).*/\1/p' "$T/nz/figures/by_data.noise1.dat" | head -1)
  if [ -n "$curve" ] && "$A" theory "$T/noise.toml" --curve "$curve" --format csv >"$T/nz_curve.csv" 2>"$T/err"; then
    $PY - "$T/nz" "$T/nz_curve.csv" <<'PY' && ok || bad "plot: by_data.noise1.dat disagrees with theory --curve or results.csv"
import csv, sys, os
d, curve = sys.argv[1], sys.argv[2]
blocks, cur = [], None
for line in open(os.path.join(d, "figures", "by_data.noise1.dat")):
    line = line.rstrip("\n")
    if not line:
        cur = None
        continue
    if cur is None or (line.startswith("#") and cur["rows"]):
        cur = {"cols": [], "rows": []}
        blocks.append(cur)
    if line.startswith("#"):
        cur["cols"] = line[1:].split()
    else:
        cur["rows"].append(dict(zip(cur["cols"], map(float, line.split()))))
learned, an = blocks
grid = sorted({float(r["data.noise1"]) for r in csv.DictReader(open(os.path.join(d, "results.csv")))})
assert len(an["rows"]) > 10 * len(grid), len(an["rows"])
assert an["rows"][0]["data.noise1"] < grid[0] and an["rows"][-1]["data.noise1"] > grid[-1]
th = list(csv.DictReader(open(curve)))
assert len(th) == len(an["rows"])
for r, t in zip(an["rows"], th):
    assert r["data.noise1"] == float(t["data.noise1"])
    for n in ["y_shared", "y1", "y_mix"]:
        assert abs(r[n + ".z1.analytic"] - float(t["analytic.r2.%s.z1" % n])) < 1e-12, n
        assert abs(r[n + ".z1.oracle"] - float(t["r2.%s.oracle_x1" % n])) < 1e-12, n
    for n in ["s", "u1"]:
        assert abs(r[n + ".z1.oracle"] - float(t["r2_blocks.oracle_x1." + n])) < 1e-12, n
res = {}
for r in csv.DictReader(open(os.path.join(d, "results.csv"))):
    if r["rep"] == "z1" and r["probe"] == "linear":
        res.setdefault((r["name"], float(r["data.noise1"])), []).append(float(r["learned_r2"]))
assert [r["data.noise1"] for r in learned["rows"]] == grid
for r in learned["rows"]:
    for n in ["y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"]:
        v = res[(n, r["data.noise1"])]
        assert len(v) == 2 and r[n + ".z1.n"] == 2
        assert abs(r[n + ".z1.mean"] - sum(v) / len(v)) < 1e-12, n
PY
  else
    bad "plot: no theory --curve command in by_data.noise1.dat, or it failed: $(cat "$T/err")"
  fi
  "$A" plot "$T/nz" --out "$T/nzf" --only by_data.noise1 --targets y_mix,s --rep both --format svg,pdf >"$T/plot2.out" 2>/dev/null \
    && [ "$(cat "$T/plot2.out")" = "$(printf '%s\n' "$T/nzf/by_data.noise1.svg" "$T/nzf/by_data.noise1.pdf")" ] \
    && [ -s "$T/nzf/by_data.noise1.pdf" ] && ok || bad "plot --only --targets --rep --format: $(cat "$T/plot2.out")"
  expect_error 2 "data.noise2.*swept keys: data.noise1" -- "$A" plot "$T/nz" --x data.noise2
  expect_error 2 "capacity.*figures available: learned_vs_analytic, convergence, by_data.noise1" -- "$A" plot "$T/nz" --only capacity
  expect_error 2 "y9" -- "$A" plot "$T/nz" --targets y_mix,y9
  expect_error 2 "z3" -- "$A" plot "$T/nz" --rep z3
  expect_error 2 "jpg.*svg, png, pdf" -- "$A" plot "$T/nz" --format svg,jpg
  expect_error 2 "by_<key>" -- "$A" plot "$T/nz" --only learned_vs_analytic --rep z2
else
  bad "sweep or plot of a noise grid failed: $(cat "$T/err")"
fi

# --- real images (data.kind = fashion_mnist): train --json, results.csv rows, the real figure, export
R="--set data.kind=fashion_mnist --set data.n_train=600 --set data.n_test=300 --set train.batch=100 --set train.steps=30 --set model.encoder=mlp --set model.hidden=[16] --set model.dim=4 --set objective.task=y_mix"
if "$A" train --json $R >"$T/real.json" 2>"$T/err"; then
  ok
  json_check "$T/real.json" \
    "j['status'] == 'ok' and j['steps'] == 30 and j['config']['train.dtype'] == 'auto'" \
    "all(0 <= j['learned']['accuracy'][t][z] <= 1 for t in ['y_shared','y1','y2','y_mix'] for z in ['z1','z2'])" \
    "all(0 <= j['baseline']['accuracy'][t][x] <= 1 for t in ['y_shared','y1','y2','y_mix'] for x in ['x1','x2','x1_supervised'])" \
    "len(j['baseline']['supervised_model']) > 0 and j['learned']['r2'] == {}"
else
  bad "alignsim train --json on fashion_mnist failed: $(cat "$T/err")"
fi
expect_error 2 "data.noise1.*fashion_mnist" -- "$A" train $R --set data.noise1=0.3
expect_error 2 "no such directory" -- "$A" train $R --set data.path=$T/nowhere
expect_error 2 "no closed forms" -- "$A" theory --set data.kind=fashion_mnist
printf '[data]\nkind = "fashion_mnist"\nn_train = 600\nn_test = 300\nsample_seed = 1\n[model]\nencoder = "mlp"\nhidden = [16]\ndim = 4\n[objective]\ntask = "y_mix"\n[train]\nbatch = 100\nsteps = 30\n[grid]\n"objective.lambda" = [0.0, 1.0]\n"data.redundancy" = [0.5, 1.0]\nseeds = [1, 2]\n' >"$T/real.toml"
if "$A" sweep "$T/real.toml" --out "$T/rs" --jobs 2 --quiet 2>"$T/err" && "$A" plot "$T/rs" >"$T/rplot.out" 2>"$T/err"; then
  ok
  grep -qx "$T/rs/figures/real.png" "$T/rplot.out" && ok || bad "plot: no real figure listed ($(cat "$T/rplot.out"))"
  $PY - "$T/rs" <<'PY' && ok || bad "results.csv of a fashion_mnist sweep: wrong rows"
import csv, sys, os, json
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "results.csv"))))
m = json.load(open(os.path.join(d, "manifest.json")))
assert m["rows_per_cell"] == 20, m["rows_per_cell"]
assert len(rows) == 8 * 20
keys = {(r["kind"], r["name"], r["rep"], r["probe"], r["metric"]) for r in rows}
assert keys == {("target", t, rep, "linear", "accuracy") for t in ["y_shared", "y1", "y2", "y_mix"]
                for rep in ["z1", "z2", "x1", "x2", "x1_supervised"]}, keys
for r in rows:
    assert r["status"] == "ok" and 0 <= float(r["learned_r2"]) <= 1 and r["analytic_r2"] == "", r
# the raw-pixel baseline is one number per sample and target (data.sample_seed is fixed): every
# cell agrees; at rho = 1 y_mix is y_shared
raw = {}
for r in rows:
    if r["rep"] == "x1":
        raw.setdefault((r["name"], r["data.redundancy"]), set()).add(r["learned_r2"])
assert all(len(v) == 1 for v in raw.values()), raw
assert raw[("y_mix", "1")] == raw[("y_shared", "1")], raw
PY
else
  bad "sweep or plot of a fashion_mnist grid failed: $(cat "$T/err")"
fi
if "$A" export --set data.kind=fashion_mnist --set data.n_train=300 --set data.n_test=100 --set train.batch=100 --out "$T/rexp" 2>"$T/err"; then
  ok
  $PY - "$T/rexp" <<'PY' && ok || bad "export of fashion_mnist: numpy disagrees with the manifest"
import json, sys, os, numpy as np
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
for f in m["files"]:
    a = np.load(os.path.join(d, f["file"]))
    assert list(a.shape) == list(f["shape"]) and a.dtype == np.dtype(f["dtype"]), f
x1, x2 = np.load(os.path.join(d, "train_x1.npy")), np.load(os.path.join(d, "test_x2.npy"))
y = np.load(os.path.join(d, "train_y.npy"))
assert x1.shape == (300, 800) and x1.dtype == np.float32 and x2.shape == (100, 800)
assert y.shape == (300, 4) and y.dtype == np.int64 and 0 <= y.min() and y.max() <= 9
assert np.array_equal(np.load(os.path.join(d, "train_y1.npy")), y[:, 1])
assert len(m["classes"]) == 10
PY
else
  bad "alignsim export --set data.kind=fashion_mnist failed: $(cat "$T/err")"
fi

# --- bench: one JSON object per line with the contract keys
if "$A" bench --json --shape linear --dtype float64 --seconds 0.2 >"$T/bench.jsonl" 2>"$T/err"; then
  head -1 "$T/bench.jsonl" >"$T/bench1.json"
  json_check "$T/bench1.json" "j['shape'] == 'linear' and j['dtype'] == 'float64' and j['ms_per_step'] > 0 and j['floor_ms'] > 0 and len(j['blas_core']) > 0"
else
  bad "alignsim bench failed: $(cat "$T/err")"
fi
# the real-data step: float32 by default, 2 threads timed by the wall clock
if "$A" bench --json --shape real --seconds 0.2 --threads 2 >"$T/benchr.jsonl" 2>"$T/err"; then
  [ "$(wc -l <"$T/benchr.jsonl")" -eq 1 ] && ok || bad "bench --shape real: one line (float32) expected"
  json_check "$T/benchr.jsonl" "j['shape'] == 'real' and j['dtype'] == 'float32' and j['batch'] == 512 and j['threads'] == 2 and j['timer'] == 'wall' and j['floor_ms'] > 0"
else
  bad "alignsim bench --shape real failed: $(cat "$T/err")"
fi

# --- the README's key table is the schema's (scripts/update_readme_keys.sh refreshes it)
README="$(dirname "$0")/../README.md"
if [ -f "$README" ]; then
  sed -n '/<!-- keys:start -->/,/<!-- keys:end -->/p' "$README" | sed '1d;$d' >"$T/readme_keys.md"
  "$A" config --markdown >"$T/schema_keys.md"
  cmp -s "$T/readme_keys.md" "$T/schema_keys.md" && ok || bad "README key table is stale: run scripts/update_readme_keys.sh"
fi

# --- every figure the docs show exists and a script redraws it: a named figure (regen_figures.sh
# plots the paper grid), or one a script in scripts/ names (the by_<key> example, the architecture)
ROOT="$(dirname "$0")/.."
named=$("$A" plot --help | sed -n 's/^Named figures: \([^.]*\), each drawn.*/\1/p' | tr -d ',')
[ -n "$named" ] && ok || bad "plot --help lists no named figures"
for f in $(grep -oh 'figures/[A-Za-z0-9_.]*\.\(svg\|png\)' "$ROOT/README.md" "$ROOT"/docs/*.md | sort -u); do
  name=$(basename "$f"); name=${name%.*}
  [ -f "$ROOT/docs/$f" ] && ok || bad "docs show $f, which docs/figures lacks"
  if echo " $named " | grep -q " $name " || grep -q -- "$name" "$ROOT"/scripts/*.sh; then ok
  else bad "docs show $f, which no script in scripts/ redraws"; fi
done

# --- the BLAS kernel: a generic fallback is replaced by re-executing with the best kernel
if grep -q -w avx2 /proc/cpuinfo && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if ALIGNSIM_BLAS_ASSUME_FALLBACK=1 "$A" theory --json >"$T/fb.json" 2>"$T/err"; then
    json_check "$T/fb.json" "j['meta']['blas_core'] in ('SkylakeX', 'Haswell')" \
      "j['meta']['blas_coretype_source'].startswith('alignsim')"
  else
    bad "theory under an assumed BLAS fallback failed: $(cat "$T/err")"
  fi
  # whatever OpenBLAS detects on this machine, the kernel in use is never a generic fallback
  "$A" theory --json >"$T/nofb.json" && json_check "$T/nofb.json" \
    "j['meta']['blas_core'] not in ('Prescott', 'Core2', 'Katmai', 'Nehalem', 'Unknown', 'unknown', 'Generic')"
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
