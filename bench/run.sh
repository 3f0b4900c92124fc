#!/usr/bin/env bash
# Runs `alignsim bench` and the same steps in PyTorch (bench/torch_bench.py), shape by shape so
# that both see the same machine conditions, and writes docs/bench.md: the two side by side,
# with the date, the CPU and the BLAS kernel. The reference shapes (linear, mlp, mlp-big) run on
# one thread; the real-data step (real) at each thread count of --threads.
#
#   bench/run.sh [--seconds S] [--alignsim PATH] [--out FILE] [--threads "1 2"]
#
# Defaults: 2 s per measurement, build/sim/alignsim (else the first build*/sim/alignsim),
# docs/bench.md, threads "1 2". The OpenBLAS kernel is chosen by the programs themselves, never
# set here.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=2
alignsim=""
out=docs/bench.md
threads="1 2"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --alignsim) alignsim="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -z "$alignsim" ]]; then
  for c in build/sim/alignsim build*/sim/alignsim; do
    if [[ -x "$c" ]]; then alignsim="$c"; break; fi
  done
fi
for n in $threads; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: error: --threads takes positive counts, got '$n'" >&2; exit 2; }
done
if [[ -z "$alignsim" || ! -x "$alignsim" ]]; then
  echo "bench/run.sh: error: no alignsim binary found (build it, or pass --alignsim PATH)" >&2
  exit 1
fi
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "bench/run.sh: error: $py cannot import torch (install Debian's python3-torch)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for shape in linear mlp mlp-big; do
  echo "bench: $shape (alignsim)" >&2
  "$alignsim" bench --json --shape "$shape" --seconds "$seconds" >> "$tmp/alignsim.jsonl"
  echo "bench: $shape (pytorch)" >&2
  "$py" bench/torch_bench.py --json --shape "$shape" --seconds "$seconds" >> "$tmp/torch.jsonl"
done
for shape in real cnn; do
for n in $threads; do
  echo "bench: $shape, $n thread(s) (alignsim)" >&2
  "$alignsim" bench --json --shape $shape --threads "$n" --seconds "$seconds" >> "$tmp/alignsim.jsonl"
  echo "bench: $shape, $n thread(s) (pytorch)" >&2
  "$py" bench/torch_bench.py --json --shape $shape --threads "$n" --seconds "$seconds" >> "$tmp/torch.jsonl"
done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$py" - "$tmp/alignsim.jsonl" "$tmp/torch.jsonl" "$out" "$seconds" "$load_before" "$load_after" <<'PY'
import datetime, json, platform, subprocess, sys
a_path, t_path, out, seconds, load0, load1 = sys.argv[1:7]
A = [json.loads(l) for l in open(a_path) if l.strip()]
T = {(r["shape"], r["dtype"], r.get("threads", 1)): r for r in (json.loads(l) for l in open(t_path) if l.strip())}
cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
try:
    ver = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
except OSError:
    ver = ""
targets = {"linear": (3.0, None), "mlp": (1.5, 1.5), "mlp-big": (1.0, 1.5), "real": (1.3, 1.25), "cnn": (1.0, 1.5)}
lines = []
lines.append("# Benchmark: one training step, alignsim against PyTorch\n")
lines.append("Written by `bench/run.sh` (do not edit by hand). One full training step of two encoders "
             "trained with symmetric InfoNCE (cosine similarity, temperature 0.1): forward both "
             "encoders, loss, backward, Adam; `real` adds the classification head of the real-data "
             "model. The same thread count for both (BLAS and intra-op): one for the reference "
             "shapes, each of 1 and 2 for `real`.\n")
lines.append(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"
             + (f", commit {ver}" if ver else ""))
lines.append(f"- CPU: {cpu} ({platform.machine()})")
blas = sorted({r['blas_core'] for r in A} | {r['blas_core'] for r in T.values()})
lines.append(f"- OpenBLAS kernel: {', '.join(blas)} (alignsim: {A[0]['blas_core'] if A else '?'}; "
             f"PyTorch {next(iter(T.values()))['torch_version'] if T else '?'} uses the same system OpenBLAS)")
lines.append(f"- time per step: median of the process CPU time of the steps run in {seconds} s after a "
             "warm-up (equal to wall time on an idle machine, and robust when it is shared; the JSON "
             "lines also carry the wall-clock medians); with 2 or more threads, the median wall time "
             "(CPU time would add the threads up), which other processes on the machine inflate")
lines.append(f"- load average before / after: {load0} / {load1}")
lines.append("- floor: the step's GEMM work timed alone, GEMM by GEMM with the same shapes and "
             "transpositions as the step makes them, with as many BLAS threads as the step has "
             "threads (`alignsim bench`; with 2 threads the JSON line adds `floor_ideal_ms`, the "
             "one-thread floor halved)")
lines.append("- 2 threads: alignsim runs the two encoders on two threads (`TrainerSpec::threads`, "
             "BLAS on one thread each), PyTorch runs its ops and OpenBLAS on two threads with "
             "`OMP_WAIT_POLICY=PASSIVE` (its default spinning threads fight OpenBLAS's for the "
             "cores of a shared machine and take tens of milliseconds per step); `min_ms_per_step` "
             "in the JSON lines is the least disturbed step\n")
lines.append("| shape | dtype | threads | alignsim ms | PyTorch ms | speed-up | target | floor ms | alignsim / floor |")
lines.append("|---|---|---:|---:|---:|---:|---|---:|---:|")
for r in A:
    t = T.get((r["shape"], r["dtype"], r.get("threads", 1)))
    sp = t["ms_per_step"] / r["ms_per_step"] if t else float("nan")
    tgt_speed, tgt_floor = targets.get(r["shape"], (None, None))
    tgt = []
    if tgt_speed is not None:
        tgt.append(("≥ %gx" % tgt_speed) if tgt_speed > 1 else "no slower")
    if tgt_floor is not None:
        tgt.append("≤ %gx floor" % tgt_floor)
    ok_speed = tgt_speed is None or sp >= tgt_speed
    ok_floor = tgt_floor is None or r["ms_per_step"] / r["floor_ms"] <= tgt_floor
    mark = "met" if ok_speed and ok_floor else "**missed**"
    th = r.get("threads", 1)
    lines.append(f"| {r['shape']} | {r['dtype']} | {th} | {r['ms_per_step']:.2f} | "
                 f"{t['ms_per_step']:.2f} | {sp:.2f}x | {', '.join(tgt)}: {mark} | "
                 f"{r['floor_ms']:.2f} | {r['ms_per_step'] / r['floor_ms']:.2f} |" if t else
                 f"| {r['shape']} | {r['dtype']} | {th} | {r['ms_per_step']:.2f} | n/a | n/a | | {r['floor_ms']:.2f} | "
                 f"{r['ms_per_step'] / r['floor_ms']:.2f} |")
lines.append("\nShapes: `linear` 32 → 8, batch 1024; `mlp` 64 → 256 → 256 → 16 (ReLU), batch 512; "
             "`mlp-big` 256 → 1024 → 1024 → 64 (ReLU), batch 1024; `real` 800 → 128 → 32 (ReLU) on "
             "each modality plus the classification head 32 → 10 (softmax cross-entropy, weight 1 "
             "against λ = 1 for InfoNCE), float32, batch 512: the step of `configs/real.toml`, whose "
             "floor counts the head's three GEMMs too. The `linear` step is dominated by "
             "the loss over the 1024 × 1024 logits, which alignsim makes and differentiates in "
             "cache-sized blocks without storing them (the floor counts those block GEMMs); the "
             "rest is the softmax exponentials, which is why `linear` sits well above its floor.\n")
lines.append("Raw JSON lines:\n\n```")
lines += [json.dumps(r) for r in A] + [json.dumps(r) for r in T.values()]
lines.append("```")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines[:12 + len(A) + 2]))
PY
echo "bench: wrote $out" >&2

# The README shows the same table: refresh it between its bench markers (only for docs/bench.md).
if [[ "$out" == docs/bench.md && -f README.md ]] && grep -q '<!-- bench:start -->' README.md; then
  "$py" - "$out" README.md <<'PY'
import sys
bench, readme = sys.argv[1:3]
b = open(bench).read().splitlines()
keep = [l for l in b if l.startswith(("- date:", "- CPU:", "- OpenBLAS kernel:"))]
table = [l for l in b if l.startswith("|")]
r = open(readme).read()
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
head, rest = r.split(start, 1)
_, tail = rest.split(end, 1)
open(readme, "w").write(head + start + "\n" + "\n".join(keep) + "\n\n" + "\n".join(table) + "\n" + end + tail)
PY
  echo "bench: refreshed the table in README.md" >&2
fi
