"""Per-op eager latency (µs per call): torch vs torchlike vs raw JAX.

Columns: torch eager at 1 thread and at its default thread count; torchlike eager on inputs without
grad; torchlike eager on inputs that require grad (the forward records the autograd graph); raw
``jax.numpy`` eager; a cached ``jax.jit`` of the same expression. Every JAX/torchlike call is
synchronised. All columns but "torch 1 thr" are timed in interleaved repetitions; torch's thread
count is process-global, so the 1-thread column is timed on its own. The ratio is torchlike (no
grad) over the faster torch column. The last row per size
is a forward+backward step ``y = (x * w).sum(); y.backward()``.

    python benchmarks/bench_ops.py [--json] [--reps 15]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
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

# op name -> (torch/torchlike expression over the module ``t`` and inputs, raw JAX expression)
OPS = {
    "add": (lambda t, x, y: t.add(x, y), lambda x, y: jnp.add(x, y)),
    "mul": (lambda t, x, y: t.mul(x, y), lambda x, y: jnp.multiply(x, y)),
    "matmul": (lambda t, x, y: t.matmul(x, y), lambda x, y: jnp.matmul(x, y)),
    "relu": (lambda t, x, y: t.relu(x), lambda x, y: jnp.maximum(x, 0)),
    "sum": (lambda t, x, y: t.sum(x), lambda x, y: jnp.sum(x)),
    "exp": (lambda t, x, y: t.exp(x), lambda x, y: jnp.exp(x)),
    "tanh": (lambda t, x, y: t.tanh(x), lambda x, y: jnp.tanh(x)),
    "x[0]": (lambda t, x, y: x[0], lambda x, y: x[0]),
    "transpose": (lambda t, x, y: t.transpose(x, 0, 1), lambda x, y: jnp.transpose(x)),
    "cat": (lambda t, x, y: t.cat([x, y]), lambda x, y: jnp.concatenate([x, y])),
}
SIZES = {"4x4": (4, 4), "256x256": (256, 256)}


def _fwd_bwd(x, w):
    y = (x * w).sum()
    y.backward()
    x.grad = None
    w.grad = None


def _op_rows(size: tuple, reps: int) -> list:
    rng = np.random.default_rng(0)
    xa, ya = (rng.standard_normal(size).astype(np.float32) for _ in range(2))
    tx, ty = torch.from_numpy(xa), torch.from_numpy(ya)
    lx, ly = torchlike.from_numpy(xa), torchlike.from_numpy(ya)
    gx = torchlike.from_numpy(xa).requires_grad_()
    gy = torchlike.from_numpy(ya).requires_grad_()
    jx, jy = jnp.asarray(xa), jnp.asarray(ya)
    rows = []
    for name, (f, jf) in OPS.items():
        jitted = jax.jit(jf)
        contenders = {
            "torch": lambda f=f: f(torch, tx, ty),
            "torchlike": lambda f=f: block(f(torchlike, lx, ly)),
            "torchlike rg": lambda f=f: block(f(torchlike, gx, gy)),
            "jnp": lambda jf=jf: block(jf(jx, jy)),
            "jit": lambda j=jitted: block(j(jx, jy)),
        }
        rows.append((name, _torch_one_thread(lambda f=f: f(torch, tx, ty), reps),
                     bench(contenders, reps=reps)))
    # forward + backward
    ptx, pty = (torch.from_numpy(a).requires_grad_() for a in (xa, ya))
    grad = jax.grad(lambda x, w: (x * w).sum(), argnums=(0, 1))
    grad_jit = jax.jit(grad)
    contenders = {
        "torch": lambda: _fwd_bwd(ptx, pty),
        "torchlike": lambda: _fwd_bwd(gx, gy),
        "jnp": lambda: block(grad(jx, jy)),
        "jit": lambda: block(grad_jit(jx, jy)),
    }
    rows.append(("(x*w).sum().backward()", _torch_one_thread(lambda: _fwd_bwd(ptx, pty), reps),
                 bench(contenders, reps=reps)))
    return rows


def _torch_one_thread(fn, reps: int) -> float:
    """torch at 1 thread (a global setting, so it cannot interleave with the other contenders)."""
    with torch_threads(1):
        return bench({"t": fn}, reps=reps)["t"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=15, help="interleaved repetitions (median)")
    p.add_argument("--json", action="store_true", help="write benchmarks/results/bench_ops.json")
    a = p.parse_args(argv)
    env = environment()
    print(format_environment(env))
    headers = ["op", "torch 1 thr", f"torch {DEFAULT_TORCH_THREADS} thr", "torchlike",
               "torchlike rg", "jnp", "jax.jit", "torchlike / torch"]
    out = {}
    for label, size in SIZES.items():
        rows = []
        for name, t1, r in _op_rows(size, a.reps):
            td = r["torch"]
            best = min(t1, td)
            rows.append([name, fmt_time(t1), fmt_time(td), fmt_time(r.get("torchlike")),
                         fmt_time(r.get("torchlike rg")), fmt_time(r.get("jnp")),
                         fmt_time(r.get("jit")), fmt_ratio(r.get("torchlike"), best)])
            out.setdefault(label, {})[name] = {
                "torch_1thread": t1,
                **{k: (v if isinstance(v, float) else repr(v)) for k, v in r.items()}}
        print(f"\n### float32 {label}, µs per call (median)\n")
        print(table(headers, rows))
    if a.json:
        print(f"\nwrote {save_json('bench_ops', {'seconds_per_call': out})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
