"""One hand-written MLP training step (784-256-128-10, manual SGD), torch vs torchlike.

The step is written once as a function of the module ``t`` (``torch`` or ``torchlike``), from tensor
ops only (no nn/optim modules): ``relu(x @ W + b)`` layers, cross-entropy through ``log_softmax``
(or ``logsumexp``, or max/exp/log/sum when those are missing in torchlike), ``loss.backward()``, and
``p -= lr * p.grad; p.grad = None`` under ``no_grad``. Both libraries start from the same weights;
their losses are compared over the first steps, then the median time per step is reported for torch
at 1 thread and at its default thread count and for torchlike eager.

    python benchmarks/bench_mlp_step.py [--batch 64] [--steps 40] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import numpy as np
import torch
from _common import (
    DEFAULT_TORCH_THREADS,
    block,
    environment,
    fmt_ratio,
    format_environment,
    save_json,
    table,
    torch_threads,
)

import torchlike

SIZES = (784, 256, 128, 10)
LR = 0.05


def _has(path: str) -> bool:
    obj = torchlike
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return True


def cross_entropy_form() -> str:
    """The most direct cross-entropy formulation that torchlike supports today."""
    if _has("Tensor.log_softmax"):
        return "log_softmax"
    if _has("Tensor.logsumexp"):
        return "logsumexp"
    if _has("Tensor.amax"):
        return "amax/exp/sum/log"
    return "exp/sum/log (no max shift)"


def make_step(form: str):
    def log_probs(z):
        if form == "log_softmax":
            return z.log_softmax(dim=1)
        if form == "logsumexp":
            return z - z.logsumexp(dim=1, keepdim=True)
        if form == "amax/exp/sum/log":
            z = z - z.amax(dim=1, keepdim=True).detach()
        return z - z.exp().sum(dim=1, keepdim=True).log()

    def step(t, params, x, onehot):
        w1, b1, w2, b2, w3, b3 = params
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        z = h @ w3 + b3
        loss = -(log_probs(z) * onehot).sum() / x.shape[0]
        loss.backward()
        with t.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss
    return step


def init(batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(SIZES):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    onehot = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], batch)]
    return params, x, onehot


def to_lib(t, arrays):
    return [t.from_numpy(a.copy()).requires_grad_() for a in arrays]


def check_agreement(step, batch: int, steps: int = 3) -> list:
    params, x, onehot = init(batch)
    tp, lp = to_lib(torch, params), to_lib(torchlike, params)
    tx, to = torch.from_numpy(x), torch.from_numpy(onehot)
    lx, lo = torchlike.from_numpy(x), torchlike.from_numpy(onehot)
    losses = []
    for _ in range(steps):
        a = step(torch, tp, tx, to).item()
        b = step(torchlike, lp, lx, lo).item()
        losses.append((a, b))
        if not np.isclose(a, b, rtol=1e-4, atol=1e-5):
            raise AssertionError(f"losses disagree: torch {a} vs torchlike {b}")
    return losses


def time_steps(t, step, batch: int, steps: int, warmup: int = 8) -> float:
    # (torchlike's deferred eager mode compiles a repeated step's program at its third sighting)
    params, x, onehot = init(batch)
    ps = to_lib(t, params)
    tx, to = t.from_numpy(x), t.from_numpy(onehot)
    times = []
    for k in range(warmup + steps):
        t0 = time.perf_counter()
        step(t, ps, tx, to)
        block(ps)
        if k >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, nargs="+", default=[64], help="batch size(s), e.g. 64 512")
    p.add_argument("--steps", type=int, default=40, help="timed steps (median)")
    p.add_argument("--json", action="store_true", help="write benchmarks/results/bench_mlp_step.json")
    a = p.parse_args(argv)
    env = environment()
    print(format_environment(env))
    form = cross_entropy_form()
    print(f"- cross-entropy written with: {form}")
    step = make_step(form)
    rows, out = [], {}
    for batch in a.batch:
        losses = check_agreement(step, batch)
        with torch_threads(1):
            t1 = time_steps(torch, step, batch, a.steps)
        td = time_steps(torch, step, batch, a.steps)
        tl = time_steps(torchlike, step, batch, a.steps)
        best = min(t1, td)
        rows.append([batch, f"{t1 * 1e3:.2f}", f"{td * 1e3:.2f}", f"{tl * 1e3:.2f}",
                     fmt_ratio(tl, best), f"{losses[0][0]:.5f} / {losses[0][1]:.5f}"])
        out[batch] = {"torch_1": t1, "torch_default": td, "torchlike": tl, "losses": losses}
    headers = ["batch", "torch 1 thr", f"torch {DEFAULT_TORCH_THREADS} thr", "torchlike eager",
               "torchlike / torch", "step-1 loss torch / torchlike"]
    print("\n### MLP 784-256-128-10 SGD step, ms per step (median)\n")
    print(table(headers, rows))
    if a.json:
        print(f"\nwrote {save_json('bench_mlp_step', {'seconds_per_step': out, 'form': form})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
