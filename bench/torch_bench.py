#!/usr/bin/python3
"""The `alignsim bench` step in PyTorch, for the side-by-side table (bench/run.sh).

One full training step of two encoders trained with symmetric InfoNCE (cosine similarity,
temperature 0.1): forward both encoders, loss, backward, Adam. Single thread (or --threads N for
both intra-op and BLAS threads), same shapes and dtypes as `alignsim bench`; prints the same JSON
lines (ms_per_step is the median step time: process CPU time on one thread, wall time on several).

The shape `cnn` is the `real` step with convolutional encoders (alignsim's default
model.encoder = "cnn" stack, see SHAPES); the minibatch rows are reshaped to 1 x 20 x 40 images.

The shape `real` is the step of the real-data model (configs/real.toml): ReLU MLPs 800 -> 128 ->
32, InfoNCE, plus a classification head on z1 (Linear 32 -> 10, cross-entropy to class labels,
loss = CE + 1.0 x InfoNCE), float32, batch 512, each step's minibatch gathered from 4 batches of
rows as alignsim's trainer does.

Run with Debian's interpreter: /usr/bin/python3 bench/torch_bench.py [--json] [--seconds S]
[--shape NAME]... [--dtype float64|float32]... [--threads N]

PyTorch here uses the system OpenBLAS for its matrix products. If that OpenBLAS fell back to a
generic kernel on a CPU that has a fast one, the script re-executes itself with the kernel
alignsim would choose (autodiff/blas.cpp does the same), unless the environment already names one.
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import statistics
import sys
import time

SHAPES = {
    "linear": dict(batch=1024, dims=[32, 8], mlp=False),
    "mlp": dict(batch=512, dims=[64, 256, 256, 16], mlp=True),
    "mlp-big": dict(batch=1024, dims=[256, 1024, 1024, 64], mlp=True),
    "real": dict(batch=512, dims=[800, 128, 32], mlp=True, classes=10, dtypes=["float32"]),
    # the real step with alignsim's default CNN encoders (model.encoder = "cnn"): a 20 x 40 image,
    # Conv2d 1 -> 16 (5 x 5, padding 2) + ReLU + MaxPool 2, Conv2d 16 -> 32 (3 x 3, padding 1)
    # + ReLU + MaxPool 2, flatten, Linear 1600 -> 32
    "cnn": dict(batch=512, dims=[800, 32], mlp=True, classes=10, dtypes=["float32"],
                cnn=dict(image=(20, 40), channels=[16, 32], kernels=[5, 3], strides=[1, 1])),
}
FALLBACK = {"Prescott", "Core2", "Katmai", "Nehalem", "Unknown", "unknown", "Generic", ""}


def openblas():
    for name in ("libopenblas.so.0", "libblas.so.3", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


def core_name(lib):
    return lib.openblas_get_corename().decode() if lib else "unknown"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def ensure_fast_kernel():
    if os.environ.get("ALIGNSIM_BLAS_REEXEC") or os.environ.get("OPENBLAS_CORETYPE"):
        return
    lib = openblas()
    if lib is None or core_name(lib) not in FALLBACK:
        return
    f = cpu_flags()
    want = None
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= f:
        want = "SkylakeX"
    elif {"avx2", "fma"} <= f:
        want = "Haswell"
    if want:
        env = dict(os.environ, OPENBLAS_CORETYPE=want, ALIGNSIM_BLAS_REEXEC="1")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--shape", action="append", choices=list(SHAPES))
    ap.add_argument("--dtype", action="append", choices=["float64", "float32"])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.seconds <= 0:
        ap.error("--seconds must be positive")
    if a.threads < 1:
        ap.error("--threads must be at least 1")
    ensure_fast_kernel()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    if a.threads > 1:
        # OpenMP's default is to spin between parallel regions; on a machine that other processes
        # share, PyTorch's spinning threads and OpenBLAS's then fight for the cores and a step
        # takes tens of milliseconds. Sleeping threads give PyTorch its best time here (the
        # environment may still choose).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(a.threads)
    lib = openblas()
    if lib is not None:
        lib.openblas_set_num_threads(a.threads)  # as alignsim bench --threads: BLAS threads
    core = core_name(lib)
    wall = a.threads > 1  # CPU time would add the threads up

    def encoder(dims, mlp, dtype, gen, cnn=None):
        if cnn is not None:
            h, w = cnn["image"]
            layers, c = [torch.nn.Unflatten(1, (1, h, w))], 1
            for f, k, st in zip(cnn["channels"], cnn["kernels"], cnn["strides"]):
                layers += [torch.nn.Conv2d(c, f, k, stride=st, padding=k // 2, dtype=dtype), torch.nn.ReLU()]
                h, w = (h + 2 * (k // 2) - k) // st + 1, (w + 2 * (k // 2) - k) // st + 1
                if h >= 2 and w >= 2:
                    layers.append(torch.nn.MaxPool2d(2))
                    h, w = h // 2, w // 2
                c = f
            layers += [torch.nn.Flatten(), torch.nn.Linear(c * h * w, dims[-1], dtype=dtype)]
            return torch.nn.Sequential(*layers)
        layers = []
        for k, n in zip(dims[:-1], dims[1:]):
            lin = torch.nn.Linear(k, n, bias=mlp, dtype=dtype)
            layers.append(lin)
            if mlp:
                layers.append(torch.nn.ReLU())
        if mlp:
            layers.pop()  # no activation after the last layer
        return torch.nn.Sequential(*layers)

    torch.manual_seed(0)
    for shape in a.shape or list(SHAPES):
        s = SHAPES[shape]
        for dname in a.dtype or s.get("dtypes", ["float64", "float32"]):
            dtype = torch.float64 if dname == "float64" else torch.float32
            e1 = encoder(s["dims"], s["mlp"], dtype, None, s.get("cnn"))
            e2 = encoder(s["dims"], s["mlp"], dtype, None, s.get("cnn"))
            params = list(e1.parameters()) + list(e2.parameters())
            K = s.get("classes", 0)
            head = torch.nn.Linear(s["dims"][-1], K, dtype=dtype) if K else None
            if head is not None:
                params += list(head.parameters())
            opt = torch.optim.Adam(params, lr=1e-3)
            B = s["batch"]
            labels = torch.arange(B)
            tau = 0.1
            if K:
                # the real-data step: a minibatch gathered from 4 batches of rows, as alignsim's
                # trainer draws it, and class labels for the head
                X1 = torch.randn(4 * B, s["dims"][0], dtype=dtype)
                X2 = torch.randn(4 * B, s["dims"][0], dtype=dtype)
                Y = torch.randint(0, K, (4 * B,))
                perm = torch.randperm(4 * B)
                count = [0]
            else:
                x1 = torch.randn(B, s["dims"][0], dtype=dtype)
                x2 = torch.randn(B, s["dims"][0], dtype=dtype)

            def step():
                opt.zero_grad(set_to_none=True)
                if K:
                    k = count[0] % 4
                    count[0] += 1
                    idx = perm[k * B:(k + 1) * B]
                    b1, b2, y = X1.index_select(0, idx), X2.index_select(0, idx), Y.index_select(0, idx)
                else:
                    b1, b2 = x1, x2
                h1 = e1(b1)
                z1 = torch.nn.functional.normalize(h1, dim=1)
                z2 = torch.nn.functional.normalize(e2(b2), dim=1)
                logits = z1 @ z2.T / tau
                loss = (torch.nn.functional.cross_entropy(logits, labels)
                        + torch.nn.functional.cross_entropy(logits.T, labels)) / 2
                if K:
                    loss = torch.nn.functional.cross_entropy(head(h1), y) + 1.0 * loss
                loss.backward()
                opt.step()
                return loss.item()

            for _ in range(3):
                step()
            # Process CPU time (all threads), as alignsim bench measures it (wall time alongside).
            times, walls = [], []
            start = time.perf_counter()
            while len(times) < 3 or time.perf_counter() - start < a.seconds:
                w0, t0 = time.perf_counter(), time.process_time()
                step()
                times.append(time.process_time() - t0)
                walls.append(time.perf_counter() - w0)
            used = walls if wall else times
            ms = 1e3 * statistics.median(used)
            row = {"shape": shape, "dtype": dname, "ms_per_step": ms, "blas_core": core,
                   "wall_ms_per_step": 1e3 * statistics.median(walls),
                   "timer": "wall" if wall else "process_cpu", "min_ms_per_step": 1e3 * min(used),
                   "batch": B, "steps": len(times), "threads": torch.get_num_threads(),
                   "impl": "pytorch", "torch_version": torch.__version__,
                   "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default")}
            if a.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"{shape:8s} {dname:8s} {B:6d} {ms:12.3f}  (PyTorch {torch.__version__}, {core})", flush=True)


if __name__ == "__main__":
    main()
