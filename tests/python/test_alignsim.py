"""The alignsim Python module (docs/python.md) against the command and against Monte Carlo.

Run by `meson test python` (tests/meson.build) with PYTHONPATH=build/python, ALIGNSIM = the
command and ALIGNSIM_SOURCE_ROOT = the repository.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import alignsim

ALIGNSIM = os.environ.get("ALIGNSIM", "build/sim/alignsim")
ROOT = os.environ.get("ALIGNSIM_SOURCE_ROOT", ".")
BLOCKS = ["s", "u1", "u2"]
TARGETS = ["y_shared", "y1", "y2", "y_mix"]


def cli_error(*args):
    """The one-line message of a failing alignsim command, without its 'alignsim: error: ' prefix."""
    p = subprocess.run([ALIGNSIM, *args], capture_output=True, text=True)
    assert p.returncode == 2, (args, p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alignsim: error: "), p.stderr
    return lines[0][len("alignsim: error: "):]


# --- evaluate on the optimum encoders reproduces the closed forms
@pytest.mark.parametrize("settings", [
    {},                                            # infonce: the cca optimum (W_i S_ii W_i^T = I)
    {"objective.alignment": "cca"},                # the penalised cca optimum as trained
    {"objective.alignment": "spectral"},
    {"objective.alignment": "regression"},
    # p <= k_shared: beyond the shared block the canonical correlations tie at 0 and which
    # uncorrelated direction an optimum keeps is arbitrary
    {"objective.alignment": "cca", "model.dim": 3, "data.k_shared": 3, "data.redundancy": 0.2, "data.mixing": "gaussian"},
])
def test_evaluate_reproduces_theory_at_its_optimum(settings):
    cfg = alignsim.Config(settings)
    t = alignsim.theory(cfg)
    enc = t["encoders"]
    e = alignsim.evaluate(cfg, enc["W1"], enc["W2"])
    # the optimum's R^2 (theory's analytic.r2: the same row spaces) for every target and block
    for k, v in t["analytic"]["r2"].items():
        for z in ("z1", "z2"):
            assert abs(e["r2"][k][z] - v[z]) < 1e-9, (k, z, e["r2"][k][z], v[z])
    alignment = cfg["objective.alignment"]
    if alignment == "infonce":
        # the cca optimum: theory's aligned_x1 / aligned_x2 columns, at angle 0 to the cca subspace
        for b in BLOCKS:
            assert abs(e["info_nats"][b]["z1"] - t["info_nats"]["aligned_x1"][b]) < 1e-9
            assert abs(e["info_nats"][b]["z2"] - t["info_nats"]["aligned_x2"][b]) < 1e-9
        assert np.max(e["principal_angles_to_cca"]["z1"]) < 1e-6
        assert enc["value"] is None and "infonce" in enc["note"]
        return
    o = e["objective"][alignment]
    assert abs(o["value"] - enc["value"]) < 1e-9 and abs(o["optimum"] - enc["value"]) < 1e-9
    assert abs(o["gap"]) < 1e-9
    if alignment in ("spectral", "regression"):  # theory --json's optimal losses
        assert abs(o["optimum"] - t["by_objective"][alignment]["optimal_loss"]) < 1e-9
    # every other objective is at or above its optimum
    for name, v in e["objective"].items():
        assert v["value"] >= v["optimum"] - 1e-9, name


def test_theory_of_nonlinear_data_has_no_encoders():
    t = alignsim.theory({"data.kind": "nonlinear"})
    assert t["encoders"]["W1"] is None and "no closed-form optimum" in t["encoders"]["note"]
    assert any("no closed form" in w for w in t["warnings"])


def test_theory_matches_cli_json():
    import json
    p = subprocess.run([ALIGNSIM, "theory", "--json", "--set", "data.redundancy=0.3"], capture_output=True, text=True, check=True)
    j = json.loads(p.stdout)
    t = alignsim.theory({"data.redundancy": 0.3})
    assert np.allclose(t["canonical_correlations"], j["canonical_correlations"], rtol=0, atol=1e-12)
    for k in TARGETS:
        for rep, v in j["r2"][k].items():
            assert t["r2"][k][rep] == pytest.approx(v, abs=1e-12)
    assert t["config"] == j["config"]
    assert set(j) <= set(t)


# --- on random encoders, evaluate agrees with numpy on 10^6 samples
def moments_of(cfg, W1, W2, n, seed, chunks=4):
    """Second moments of [z1, z2, y, s, u1, u2] over n samples of sample(), drawn in chunks."""
    m = None
    for c in range(chunks):
        d = alignsim.sample(cfg, n // chunks, seed=seed + c)
        cols = np.hstack([d["x1"] @ W1.T, d["x2"] @ W2.T, d["y"], d["s"], d["u1"], d["u2"]])
        cols = cols - cols.mean(axis=0)  # the population mean is zero; each chunk centred on its own
        part = cols.T @ cols
        m = part if m is None else m + part
    return m / n


def r2_from(C, zi, yi):
    """R^2 of the best linear prediction of column yi from columns zi, from a covariance C."""
    Czz = C[np.ix_(zi, zi)]
    czy = C[np.ix_(zi, [yi])]
    return float((czy.T @ np.linalg.solve(Czz, czy)) / C[yi, yi])


def test_evaluate_matches_numpy_on_a_million_samples():
    cfg = alignsim.Config({"data.redundancy": 0.4, "model.dim": 3})
    rng = np.random.default_rng(5)
    W1 = rng.standard_normal((3, 16))
    W2 = rng.standard_normal((3, 16))
    n = 10**6
    e = alignsim.evaluate(cfg, W1, W2)
    C = moments_of(cfg, W1, W2, n, seed=11)
    z = {"z1": [0, 1, 2], "z2": [3, 4, 5]}
    col = {t: 6 + i for i, t in enumerate(TARGETS)}
    block_cols = {"s": [10, 11], "u1": [12, 13], "u2": [14, 15]}

    def tol(r2):  # 6 standard errors of a sample R^2 (Gaussian), plus rounding
        return 6 * 2 * np.sqrt(max(r2, 1e-12)) * (1 - r2) / np.sqrt(n) + 1e-4

    for rep, zi in z.items():
        for t in TARGETS:
            est = r2_from(C, zi, col[t])
            assert abs(est - e["r2"][t][rep]) < tol(e["r2"][t][rep]), (t, rep, est, e["r2"][t][rep])
        for b, cols in block_cols.items():
            est = np.mean([r2_from(C, zi, j) for j in cols])
            assert abs(est - e["r2"][b][rep]) < tol(e["r2"][b][rep]), (b, rep, est, e["r2"][b][rep])
            # Gaussian information I(block; z) = 1/2 log(det C_bb det C_zz / det C_[b,z])
            idx = cols + zi
            info = 0.5 * np.log(np.linalg.det(C[np.ix_(cols, cols)]) * np.linalg.det(C[np.ix_(zi, zi)])
                                / np.linalg.det(C[np.ix_(idx, idx)]))
            assert abs(info - e["info_nats"][b][rep]) < 0.01 + 0.01 * info, (b, rep, info, e["info_nats"][b][rep])
    # the regression objective, E|W1 x1 - W2t x2|^2, is a plain expectation: check it too
    assert e["objective"]["regression"]["value"] > 0


def test_evaluate_bias_counts_in_uncentred_objectives_only():
    cfg = alignsim.Config({"objective.alignment": "spectral"})
    rng = np.random.default_rng(1)
    W1, W2 = rng.standard_normal((2, 16)), rng.standard_normal((2, 16))
    b1, b2 = np.array([0.5, -1.0]), np.array([0.0, 2.0])
    e0 = alignsim.evaluate(cfg, W1, W2)
    e1 = alignsim.evaluate(cfg, W1, W2, b1, b2)
    assert e1["r2"] == e0["r2"]
    assert e1["objective"]["cca"]["value"] == pytest.approx(e0["objective"]["cca"]["value"], abs=1e-12)
    # regression: E|W1 x1 + b1 - W2t x2|^2 = the value without bias + |b1|^2
    assert e1["objective"]["regression"]["value"] == pytest.approx(e0["objective"]["regression"]["value"] + b1 @ b1, rel=1e-12)


# --- sample agrees with export
def test_sample_is_export(tmp_path):
    subprocess.run([ALIGNSIM, "export", "--set", "data.sample_seed=7", "--set", "data.n_train=300", "--set",
                    "data.n_test=120", "--set", "data.kind=nonlinear", "--out", str(tmp_path)], check=True,
                   capture_output=True)
    cfg = alignsim.Config({"data.kind": "nonlinear"})
    for split, n in (("train", 300), ("test", 120)):
        d = alignsim.sample(cfg, n, seed=7, split=split)
        for k in ["x1", "x2", "s", "u1", "u2", "y"] + TARGETS:
            assert np.array_equal(d[k], np.load(tmp_path / f"{split}_{k}.npy")), (split, k)
    # no seed: the sample seed training uses (data.sample_seed = -1: derived), as export
    cfg = alignsim.Config({"data.n_train": 50, "data.n_test": 10, "train.batch": 10})
    sub = tmp_path / "derived"
    subprocess.run([ALIGNSIM, "export", "--set", "data.n_train=50", "--set", "data.n_test=10", "--set", "train.batch=10",
                    "--out", str(sub)],
                   check=True, capture_output=True)
    assert np.array_equal(alignsim.sample(cfg, 50)["x1"], np.load(sub / "train_x1.npy"))


def test_sample_arrays_are_views():
    d = alignsim.sample(None, 10, seed=1)
    assert not d["x1"].flags["OWNDATA"] and d["x1"].flags["C_CONTIGUOUS"]
    assert np.shares_memory(d["y_mix"], d["y"]) and np.array_equal(d["y_mix"], d["y"][:, 3])


# --- errors: ValueError with the command's one-line message
@pytest.mark.parametrize("settings, cli", [
    ({"data.d1": "eight"}, ['data.d1="eight"']),
    ({"data.redundancy": 1.5}, ["data.redundancy=1.5"]),
    ({"data.bogus": 1}, ["data.bogus=1"]),
    ({"data.d1": 3}, ["data.d1=3"]),
    ({"data.mixing": "weird"}, ['data.mixing="weird"']),
])
def test_config_errors_are_the_cli_text(settings, cli):
    with pytest.raises(ValueError) as err:
        alignsim.Config(settings)
    args = ["theory"]
    for s in cli:
        args += ["--set", s]
    assert str(err.value) == cli_error(*args)


def test_evaluate_errors_are_the_cli_text(tmp_path):
    W = np.zeros((3, 16))
    np.save(tmp_path / "W.npy", W)
    with pytest.raises(ValueError) as err:
        alignsim.evaluate(None, W)
    assert str(err.value) == cli_error("evaluate", "--weights", str(tmp_path / "W.npy"))
    with pytest.raises(ValueError) as err:
        alignsim.theory({"data.kind": "fashion_mnist"})
    assert str(err.value) == cli_error("theory", "--set", "data.kind=fashion_mnist")


def test_cli_evaluate_is_the_same_code(tmp_path):
    import json
    rng = np.random.default_rng(2)
    W1, W2 = rng.standard_normal((2, 16)), rng.standard_normal((2, 16))
    np.save(tmp_path / "W1.npy", W1)
    np.save(tmp_path / "W2.npy", W2)
    p = subprocess.run([ALIGNSIM, "evaluate", "--json", "--weights", str(tmp_path / "W1.npy"), str(tmp_path / "W2.npy")],
                       capture_output=True, text=True, check=True)
    j = json.loads(p.stdout)
    e = alignsim.evaluate(None, W1, W2)
    assert j["r2"] == e["r2"] and j["objective"] == e["objective"]


# --- Ctrl-C
def test_ctrl_c_interrupts_train():
    cfg = alignsim.Config({"train.steps": 10**8, "data.n_train": 2000, "data.n_test": 500})
    # SIGINT to this process 0.5 s into a run of 10^8 steps (hours on any machine): the run must stop
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        alignsim.train(cfg)
    timer.join()
    assert time.monotonic() - t0 < 600
    # nothing is left stopped: the next call runs
    r = alignsim.train({"train.steps": 20, "data.n_train": 500, "data.n_test": 200})
    assert r["steps"] == 20 and r["weights"]["W1"].shape == (2, 16)


def test_train_returns_the_cli_json_and_weights():
    import json
    s = ["train.steps=50", "data.n_train=600", "data.n_test=300", "objective.alignment=cca"]
    args = [ALIGNSIM, "train", "--json"]
    for x in s:
        args += ["--set", x]
    j = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    r = alignsim.train({"train.steps": 50, "data.n_train": 600, "data.n_test": 300, "objective.alignment": "cca"})
    # the same run (the command may pick another OpenBLAS kernel: equal to rounding)
    for k, v in j["learned"]["r2"].items():
        assert r["learned"]["r2"][k]["z1"] == pytest.approx(v["z1"], abs=1e-6)
    assert r["objective"]["optimum"] == pytest.approx(j["objective"]["optimum"], rel=1e-9)
    # the learned weights are the run's: their population R^2 is train's learned.population_r2
    e = alignsim.evaluate(r["config"], r["weights"]["W1"], r["weights"]["W2"])
    for k, v in j["learned"]["population_r2"].items():
        assert e["r2"][k]["z1"] == pytest.approx(v["z1"], abs=1e-9)


# --- every documented call of docs/python.md runs
def python_blocks(path):
    text = open(path).read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_docs_python_md_runs(tmp_path, monkeypatch):
    blocks = python_blocks(os.path.join(ROOT, "docs", "python.md"))
    assert len(blocks) >= 5, "docs/python.md lost its examples"
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "__docs__"}
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    for i, b in enumerate(blocks):
        if "import torch" in b and not have_torch:
            print(f"docs/python.md block {i + 1} skipped: python3-torch is not installed")
            continue
        try:
            exec(compile(b, f"docs/python.md block {i + 1}", "exec"), ns)
        except Exception as e:  # name the block
            raise AssertionError(f"docs/python.md block {i + 1} failed: {e!r}\n{b}") from e


def test_pytorch_example_runs(tmp_path):
    pytest.importorskip("torch", reason="python3-torch is not installed: examples/pytorch_encoder.py is skipped")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "pytorch_encoder.py"), "--quick",
                        "--out", str(tmp_path / "fig.png")], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    assert "R^2 agree" in p.stdout, p.stdout
