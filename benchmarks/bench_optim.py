"""``optimizer.step()`` for Adam over a ~10M-parameter model: torchlike vs torch's three CPU
implementations (``foreach=False``, ``foreach=True``, ``fused=True``), interleaved in one run.

The model is ``--layers`` Linear(``--width``, ``--width``) layers (weights and biases); every
parameter gets a fixed random gradient once, and only ``step()`` is timed (torchlike's result is
synchronised). torch runs at its default intra-op thread count and at 1 thread; XLA uses its own
pool (see the environment report). Before timing, one step from the same weights and gradients is
compared between the libraries.

    python benchmarks/bench_optim.py [--width 1000] [--layers 10] [--json]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _common import (
    DEFAULT_TORCH_THREADS,
    bench,
    block,
    environment,
    fmt_ratio,
    fmt_time,
    format_environment,
    save_json,
    table,
    torch_threads,
)

import torchlike


def make(lib, weights, grads, **kwargs):
    params = [lib.tensor(w, requires_grad=True) for w in weights]
    for p, g in zip(params, grads):
        p.grad = lib.tensor(g)
    return params, lib.optim.Adam(params, lr=1e-3, weight_decay=1e-2, **kwargs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--json", action="store_true", help="write benchmarks/results/bench_optim.json")
    a = ap.parse_args(argv)
    env = environment()
    print(format_environment(env))
    rng = np.random.default_rng(0)
    shapes = [s for _ in range(a.layers) for s in ((a.width, a.width), (a.width,))]
    weights = [(rng.standard_normal(s) * 0.02).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    n_params = sum(w.size for w in weights)
    print(f"- model: {a.layers} x Linear({a.width}, {a.width}): {len(shapes)} tensors, "
          f"{n_params / 1e6:.2f}M parameters; Adam(lr=1e-3, weight_decay=1e-2)")

    # agreement: one step from the same weights and gradients
    tp, topt = make(torch, weights, grads)
    lp, lopt = make(torchlike, weights, grads)
    topt.step()
    lopt.step()
    diff = max(float(np.abs(t.detach().numpy() - p.detach().numpy()).max())
               for t, p in zip(tp, lp))
    print(f"- max |torchlike - torch| after one step: {diff:.3g}")

    variants = {"torch foreach=False": {"foreach": False}, "torch foreach=True": {"foreach": True},
                "torch fused=True": {"fused": True}}
    lparams, lopt = make(torchlike, weights, grads)

    def torchlike_step():
        lopt.step()
        block(lparams)
    contenders = {"torchlike": torchlike_step}
    for name, kw in variants.items():
        _, opt = make(torch, weights, grads, **kw)
        contenders[name] = opt.step
    results = {f"{DEFAULT_TORCH_THREADS} thr": bench(contenders, reps=a.reps)}
    with torch_threads(1):
        results["1 thr"] = bench({k: v for k, v in contenders.items() if k != "torchlike"},
                                 reps=a.reps)
    best = min(v for r in results.values() for k, v in r.items()
               if k != "torchlike" and isinstance(v, float))
    rows = []
    for threads, res in results.items():
        for name, v in res.items():
            label = name if name == "torchlike" else f"{name} ({threads})"
            rows.append([label, fmt_time(v, 1e3, 2), fmt_ratio(v, best)])
    print(f"\n### Adam.step() over {n_params / 1e6:.2f}M parameters, ms per step (median of "
          f"{a.reps}, interleaved)\n")
    print(table(["contender", "ms / step", "vs fastest torch"], rows))
    if a.json:
        payload = {"n_params": n_params, "tensors": len(shapes), "max_abs_diff_one_step": diff,
                   "seconds_per_step": results}
        print(f"\nwrote {save_json('bench_optim', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
