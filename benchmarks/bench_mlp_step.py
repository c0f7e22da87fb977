"""One hand-written MLP training step (784-256-128-10, manual SGD), torch vs torchlike.

The step is written once as a function of the module ``t`` (``torch`` or ``torchlike``), from tensor
ops only (no nn/optim modules): ``relu(x @ W + b)`` layers, cross-entropy through ``log_softmax``
(or ``logsumexp``, or max/exp/log/sum when those are missing in torchlike), ``loss.backward()``, and
``p -= lr * p.grad; p.grad = None`` under ``no_grad``. Both libraries start from the same weights;
their losses are compared over the first steps, then the median time per step is reported for torch
at 1 thread and at its default thread count and for torchlike eager.

    python benchmarks/bench_mlp_step.py [--batch 64] [--steps 100] [--rounds 3] [--json]
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


def _contender(t, step, batch: int):
    """A zero-argument callable running one synced step of library ``t`` on its own weights."""
    params, x, onehot = init(batch)
    ps = to_lib(t, params)
    tx, to = t.from_numpy(x), t.from_numpy(onehot)

    def one():
        step(t, ps, tx, to)
        block(ps)
    return one


def time_steps(contenders: dict, steps: int, rounds: int, warmup: int = 8) -> dict:
    """Median seconds per step of each contender ``name: (callable, torch threads)``, over
    ``rounds`` blocks of ``steps`` synced steps each, timed one by one; the blocks of the
    contenders take turns (rotating which goes first), each after setting torch's thread count.
    The median of single steps ignores the first steps of a block, which may still share the CPU
    with the previous contender's threads (torch's workers spin for a while after a parallel
    region; XLA's finish their work). (torchlike's deferred eager mode compiles a repeated step's
    program at its third sighting: the warm-up covers it.)"""
    for fn, threads in contenders.values():
        torch.set_num_threads(threads)
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            fn, threads = contenders[name]
            torch.set_num_threads(threads)
            times = samples[name]
            for _ in range(steps):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
    torch.set_num_threads(DEFAULT_TORCH_THREADS)
    return {name: statistics.median(v) for name, v in samples.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, nargs="+", default=[64], help="batch size(s), e.g. 64 512")
    p.add_argument("--steps", type=int, default=100, help="timed steps per block")
    p.add_argument("--rounds", type=int, default=3,
                   help="blocks per contender, taking turns (median over all timed steps)")
    p.add_argument("--json", action="store_true",
                   help="write benchmarks/results/bench_mlp_step.json")
    a = p.parse_args(argv)
    env = environment()
    print(format_environment(env))
    form = cross_entropy_form()
    print(f"- cross-entropy written with: {form}")
    step = make_step(form)
    rows, out = [], {}
    for batch in a.batch:
        losses = check_agreement(step, batch)
        default = DEFAULT_TORCH_THREADS
        times = time_steps({"torch_1": (_contender(torch, step, batch), 1),
                            "torch_default": (_contender(torch, step, batch), default),
                            "torchlike": (_contender(torchlike, step, batch), default)},
                           a.steps, a.rounds)
        t1, td, tl = times["torch_1"], times["torch_default"], times["torchlike"]
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
