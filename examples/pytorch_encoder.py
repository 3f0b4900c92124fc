#!/usr/bin/env python3
"""Certify encoders trained outside alignsim (docs/python.md, "A worked example").

1. draws data with alignsim.sample;
2. trains a pair of linear encoders with a plain PyTorch InfoNCE (your loss, your loop);
3. asks alignsim.evaluate, in closed form, what they keep of each target and latent block and how
   far they are from each alignment objective's optimum;
4. checks those R^2 against a direct numpy computation on a large fresh sample;
5. plots it with matplotlib.

Usage:  PYTHONPATH=build/python python3 examples/pytorch_encoder.py [--quick] [--out FIG.png]
Needs Debian's python3-torch (skipped with a message otherwise) and python3-matplotlib for the
figure (the numbers are printed without it).
"""
import argparse
import sys

import numpy as np

import alignsim

TARGETS = ["y_shared", "y1", "y2", "y_mix"]
BLOCKS = {"s": "s", "u1": "u1", "u2": "u2"}


def infonce(z1, z2, temperature):
    """Symmetric InfoNCE with cosine similarity: the positives are the pairs of the same row."""
    import torch
    import torch.nn.functional as F
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = a @ b.T / temperature
    labels = torch.arange(len(z1))
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


def r2_numpy(z, y):
    """R^2 of the least-squares prediction of each column of y from z (with intercept)."""
    Z = np.hstack([z, np.ones((len(z), 1))])
    coef, *_ = np.linalg.lstsq(Z, y, rcond=None)
    resid = y - Z @ coef
    return 1 - resid.var(axis=0) / y.var(axis=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps and a smaller check sample (tests)")
    ap.add_argument("--out", default="pytorch_encoder.png", help="the figure (PNG)")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("pytorch_encoder: skipped: python3-torch is not installed (apt-get install python3-torch)")
        return 0
    torch.manual_seed(0)
    torch.set_num_threads(1)

    # 1. data: the linear-Gaussian model of alignsim's config keys
    cfg = alignsim.Config({"data.redundancy": 0.5, "model.dim": 2})
    d = alignsim.sample(cfg, 20000, seed=1)
    x1, x2 = torch.from_numpy(d["x1"]), torch.from_numpy(d["x2"])  # no copy: views of alignsim's arrays

    # 2. the user's own encoders and loss
    p = cfg["model.dim"]
    f1 = torch.nn.Linear(x1.shape[1], p, bias=False, dtype=torch.float64)
    f2 = torch.nn.Linear(x2.shape[1], p, bias=False, dtype=torch.float64)
    opt = torch.optim.Adam(list(f1.parameters()) + list(f2.parameters()), lr=0.01)
    steps = 300 if args.quick else 3000
    for step in range(steps):
        idx = torch.randint(0, len(x1), (256,))
        loss = infonce(f1(x1[idx]), f2(x2[idx]), temperature=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    W1, W2 = f1.weight.detach().numpy(), f2.weight.detach().numpy()
    print(f"trained {steps} steps of InfoNCE in PyTorch, last minibatch loss {loss.item():.4f}")

    # 3. the certificate, in closed form
    e = alignsim.evaluate(cfg, W1, W2)
    t = alignsim.theory(cfg)
    best = t["analytic"]["r2"]  # what the optimum keeps (infonce: the cca optimum)
    print("\nR^2 from z1 (closed form) vs the optimum's, and the oracle (all of x1)")
    for k in TARGETS + list(BLOCKS):
        oracle = t["r2"][k]["oracle_x1"] if k in TARGETS else t["r2_blocks"]["oracle_x1"][k]
        print(f"  {k:9s} learned {e['r2'][k]['z1']:.4f}   optimum {best[k]['z1']:.4f}   oracle {oracle:.4f}")
    print("principal angles of z1 to the cca subspace (rad):", np.round(e["principal_angles_to_cca"]["z1"], 4))
    for name, o in e["objective"].items():
        print(f"  {name:10s} value {o['value']:.5g}  optimum {o['optimum']:.5g}  relative gap {o['gap']:.3g}")

    # 4. as a new user would: the same R^2 straight from a large fresh sample, with numpy
    n = 200_000 if args.quick else 1_000_000
    big = alignsim.sample(cfg, n, seed=12345)
    worst = 0.0
    rows = []
    for rep, X, W in (("z1", big["x1"], W1), ("z2", big["x2"], W2)):
        z = X @ W.T
        est = dict(zip(TARGETS, r2_numpy(z, big["y"])))
        for b in BLOCKS:
            est[b] = float(np.mean(r2_numpy(z, big[b])))
        for k, v in est.items():
            closed = e["r2"][k][rep]
            se = 2 * np.sqrt(max(closed, 1e-12)) * (1 - closed) / np.sqrt(n) + 1e-5  # one standard error
            worst = max(worst, abs(v - closed) / se)
            rows.append((rep, k, closed, v))
    print(f"\nclosed form vs numpy on {n} fresh samples")
    for rep, k, closed, v in rows:
        print(f"  {rep} {k:9s} {closed:.5f}  {v:.5f}  diff {v - closed:+.5f}")
    ok = worst < 6
    print(f"R^2 {'agree' if ok else 'DISAGREE'}: largest difference {worst:.2f} standard errors (n = {n})")

    # 5. the figure
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("pytorch_encoder: no figure: python3-matplotlib is not installed")
        return 0 if ok else 1
    keys = TARGETS + list(BLOCKS)
    xs = np.arange(len(keys))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(xs - 0.3, [e["r2"][k]["z1"] for k in keys], 0.2, label="PyTorch InfoNCE, closed form")
    ax.bar(xs - 0.1, [v for rep, k, c, v in rows if rep == "z1"], 0.2, label=f"same, numpy on {n} samples")
    ax.bar(xs + 0.1, [best[k]["z1"] for k in keys], 0.2, label="optimum (cca)")
    ax.bar(xs + 0.3, [t["r2"][k]["oracle_x1"] if k in TARGETS else t["r2_blocks"]["oracle_x1"][k] for k in keys], 0.2,
           label="all of x1")
    ax.set_xticks(xs, keys)
    ax.set_ylabel("R$^2$ from z1")
    gap = e["objective"]["cca"]["gap"]
    ax.set_title(f"What a PyTorch InfoNCE encoder keeps (cca objective gap {gap:.2g})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
