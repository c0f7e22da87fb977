"""Default initialisation: for Linear, Conv2d, LSTM and Embedding, every parameter's values over
many fresh modules are compared with torch's by a two-sample Kolmogorov-Smirnov test (statistic
computed with numpy). Sanity rows show the test rejects slightly wrong distributions."""

import math

import numpy as np
import pytest
import torch

import torchlike

# c(alpha) for the two-sample KS critical value c * sqrt((n + m) / (n * m)); alpha = 1e-3.
_C_ALPHA = math.sqrt(-0.5 * math.log(1e-3 / 2))


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """sup |F_a(x) - F_b(x)| over the pooled sample points."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / a.size
    fb = np.searchsorted(b, x, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def ks_rejects(a: np.ndarray, b: np.ndarray) -> tuple[bool, float, float]:
    n, m = a.size, b.size
    crit = _C_ALPHA * math.sqrt((n + m) / (n * m))
    d = ks_statistic(a, b)
    return d > crit, d, crit


MODULES = {  # name -> (constructor taking the library, instances to draw)
    "Linear": (lambda t: t.nn.Linear(64, 32), 60),
    "Conv2d": (lambda t: t.nn.Conv2d(8, 16, 3), 40),
    "LSTM": (lambda t: t.nn.LSTM(16, 32, num_layers=2, bidirectional=True), 6),
    "Embedding": (lambda t: t.nn.Embedding(100, 16, padding_idx=3), 4),
}


def _draw(lib, make, n, seed):
    lib.manual_seed(seed)
    params: dict = {}
    for _ in range(n):
        for k, p in make(lib).named_parameters():
            params.setdefault(k, []).append(np.asarray(p.detach().numpy()).ravel())
    return {k: np.concatenate(v) for k, v in params.items()}


def _cases():
    for name, (make, n) in MODULES.items():
        ref = make(torch)
        for k, _ in ref.named_parameters():
            yield pytest.param(name, k, id=f"{name}.{k}")


_CACHE: dict = {}


def _samples(name):
    if name not in _CACHE:
        make, n = MODULES[name]
        _CACHE[name] = (_draw(torch, make, n, 0), _draw(torchlike, make, n, 0))
    return _CACHE[name]


@pytest.mark.parametrize(("name", "param"), list(_cases()))
def test_default_init_distribution_matches_torch(name, param):
    t, lk = _samples(name)
    assert param in lk, f"torchlike's {name} has no parameter {param}"
    rejects, d, crit = ks_rejects(lk[param], t[param])
    assert not rejects, f"{name}.{param}: KS statistic {d:.4f} > critical {crit:.4f}"


WRONG = [  # a deliberately wrong distribution for torch's Linear(64, 32).weight
    ("bound_10pct_wide", lambda rng, n: rng.uniform(-1.1 / 8, 1.1 / 8, n)),
    ("normal_same_std", lambda rng, n: rng.normal(0, 1 / 8 / math.sqrt(3), n)),
    ("xavier_uniform", lambda rng, n: rng.uniform(-math.sqrt(6 / 96), math.sqrt(6 / 96), n)),
]


@pytest.mark.parametrize("make", [w[1] for w in WRONG], ids=[w[0] for w in WRONG])
def test_ks_sanity_rejects_wrong_distribution(make):
    t, _ = _samples("Linear")
    wrong = make(np.random.default_rng(0), t["weight"].size).astype(np.float32)
    rejects, d, crit = ks_rejects(wrong, t["weight"])
    assert rejects, f"KS statistic {d:.4f} <= critical {crit:.4f}: the test cannot tell"


def test_ks_sanity_accepts_same_distribution():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, 20000), rng.uniform(-1, 1, 20000)
    assert not ks_rejects(a, b)[0]
