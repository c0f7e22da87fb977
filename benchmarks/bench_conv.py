"""How to lower a 2-D convolution on XLA's CPU backend: the investigation behind torchlike's choice.

For the convolutions of the small MNIST CNN (Conv(1,32,3) on 28x28 and Conv(32,64,3) on 26x26,
batch 64, float32) it times, in one run, forward and forward+backward (input and weight gradients)
of

- ``xla NCHW``: ``lax.conv_general_dilated`` in torch's layout (what a JAX user writes);
- ``xla NHWC``: the same with channels-last operands (transposes inside the program);
- ``im2col NHWC``: the k*k shifted windows concatenated along channels, then ONE matmul
  ``(N*Ho*Wo, k*k*C) @ (k*k*C, O)``; XLA's CPU dot is fast, its convolution is not;
- ``shifted dots``: k*k matmuls of shifted windows, summed (no patch matrix);
- ``torchlike F.conv2d``: whatever torchlike uses (jitted, through the registry's raw function);
- torch eager ``F.conv2d`` at 1 thread and at its default threads.

    python benchmarks/bench_conv.py [--batch 64] [--json]
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
    fmt_time,
    format_environment,
    save_json,
    table,
    torch_threads,
)
from jax import lax

import torchlike
import torchlike.nn.functional as TF

SHAPES = ((1, 32, 28), (32, 64, 26))  # (in channels, out channels, input side), 3x3 kernels


def xla_nchw(x, w):
    return lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                    dimension_numbers=("NCHW", "OIHW", "NCHW"))


def xla_nhwc(x, w):
    y = lax.conv_general_dilated(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), (1, 1),
                                 "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y.transpose(0, 3, 1, 2)


def im2col_nhwc(x, w):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    xh = x.transpose(0, 2, 3, 1)
    cols = jnp.concatenate([xh[:, i:i + ho, j:j + wo, :] for i in range(kh) for j in range(kw)],
                           axis=-1)
    y = cols.reshape(-1, kh * kw * c) @ w.transpose(2, 3, 1, 0).reshape(kh * kw * c, o)
    return y.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)


def shifted_dots(x, w):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    xh, wt = x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0)
    y = sum(xh[:, i:i + ho, j:j + wo, :].reshape(-1, c) @ wt[i, j]
            for i in range(kh) for j in range(kw))
    return y.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)


def torchlike_conv(x, w):
    return TF.conv2d(torchlike.Tensor._wrap(x), torchlike.Tensor._wrap(w))._arr


VARIANTS = {"xla NCHW": xla_nchw, "xla NHWC": xla_nhwc, "im2col NHWC": im2col_nhwc,
            "shifted dots": shifted_dots, "torchlike F.conv2d": torchlike_conv}


def run(batch, cin, cout, side):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, cin, side, side)).astype(np.float32)
    w = (rng.standard_normal((cout, cin, 3, 3)) * 0.1).astype(np.float32)
    jx, jw = jnp.asarray(x), jnp.asarray(w)
    ref = np.asarray(xla_nchw(jx, jw))
    fwd, both = {}, {}
    for name, f in VARIANTS.items():
        fj = jax.jit(f)
        np.testing.assert_allclose(np.asarray(fj(jx, jw)), ref, rtol=1e-3, atol=1e-3)
        gj = jax.jit(jax.grad(lambda a, b, f=f: (f(a, b) ** 2).sum(), argnums=(0, 1)))
        fwd[name] = lambda fj=fj: block(fj(jx, jw))
        both[name] = lambda gj=gj: block(gj(jx, jw))
    tx, tw = torch.from_numpy(x), torch.from_numpy(w).requires_grad_()
    txg = tx.clone().requires_grad_()

    def torch_both():
        tw.grad = txg.grad = None
        (torch.nn.functional.conv2d(txg, tw) ** 2).sum().backward()

    def at1(f):
        def g():
            with torch_threads(1):
                f()
        return g
    def tfwd():
        with torch.no_grad():
            torch.nn.functional.conv2d(tx, tw)
    tname1, tname = "torch eager (1 thread)", f"torch eager ({DEFAULT_TORCH_THREADS} threads)"
    fwd.update({tname1: at1(tfwd), tname: tfwd})
    both.update({tname1: at1(torch_both), tname: torch_both})
    return (bench(fwd, warmup=2, reps=7, rep_seconds=0.3),
            bench(both, warmup=2, reps=7, rep_seconds=0.3))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--json", action="store_true", help="write benchmarks/results/bench_conv.json")
    a = p.parse_args(argv)
    print(format_environment(environment()))
    results, headers, cols = {}, ["lowering"], []
    for cin, cout, side in SHAPES:
        f, b = run(a.batch, cin, cout, side)
        label = f"Conv({cin},{cout},3) {side}x{side}"
        results[label] = {"forward_s": f, "forward_backward_s": b}
        headers += [f"{label} fwd ms", f"{label} fwd+bwd ms"]
        cols += [f, b]
    rows = [[name] + [fmt_time(c.get(name), 1e3, 2) for c in cols] for name in cols[0]]
    print(f"\n### 3x3 convolution lowerings on CPU, batch {a.batch}, median ms\n")
    print(table(headers, rows))
    if a.json:
        print(f"\nwrote {save_json('bench_conv', {'batch': a.batch, 'results': results})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
