"""LSTM/GRU forward+backward over a sequence, torchlike eager vs torch eager.

First verifies that a recurrent layer is one ``lax.scan`` compiled once per shape: the jaxpr of the
layer op has the same size for sequence lengths 10 and 100 and holds one ``scan`` of the sequence's
length, and repeated calls at one shape add no entry to the op's jit caches. Then times
``out, _ = rnn(x); out.sum().backward()`` (same weights and input in both libraries, outputs and
input gradients compared first) with interleaved repetitions (see _common.py): torch at 1 thread
and at its default thread count, torchlike eager.

    python benchmarks/bench_rnn.py [--seq 100] [--batch 32] [--json]
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
from torchlike.nn.modules.rnn import _rnn_layer

CONFIGS = [  # (name, kind, kwargs)
    ("LSTM 32->128", "LSTM", {}),
    ("GRU 32->128", "GRU", {}),
    ("LSTM 32->128, 2 layers, bidirectional", "LSTM", {"num_layers": 2, "bidirectional": True}),
]
INPUT, HIDDEN = 32, 128


def _jaxpr_size(T: int, mode: str = "LSTM"):
    g = 4 if mode == "LSTM" else 3
    x = jnp.zeros((T, 2, INPUT))
    h = jnp.zeros((2, HIDDEN))
    wi, wh, b = jnp.zeros((g * HIDDEN, INPUT)), jnp.zeros((g * HIDDEN, HIDDEN)), jnp.zeros(
        g * HIDDEN)

    def f(x, h, wi, wh, b):
        return _rnn_layer.entry.fn(x, h, h, wi, wh, b, b, None, None, mode, False)
    jaxpr = jax.make_jaxpr(f)(x, h, wi, wh, b).jaxpr
    scans = [e for e in jaxpr.eqns if e.primitive.name == "scan"]
    return len(jaxpr.eqns), [e.params["length"] for e in scans]


def verify_scan(seq: int, batch: int) -> dict:
    n10, s10 = _jaxpr_size(10)
    n_seq, s_seq = _jaxpr_size(seq)
    if n10 != n_seq or s10 != [10] or s_seq != [seq]:
        raise AssertionError(f"not one scan per layer: {n10} eqns/scans {s10} at T=10, {n_seq} "
                             f"eqns/scans {s_seq} at T={seq}")
    rnn = torchlike.nn.LSTM(INPUT, HIDDEN)
    x = torchlike.randn(seq, batch, INPUT, requires_grad=True)
    entry = _rnn_layer.entry
    sizes = []
    for _ in range(3):
        out, _ = rnn(x)
        out.sum().backward()
        sizes.append((len(entry.cache), len(entry.vjp_cache)))
    if sizes[1] != sizes[2] or sizes[0] != sizes[1]:
        raise AssertionError(f"jit caches grow on repeated calls at one shape: {sizes}")
    return {"jaxpr_eqns_T10": n10, f"jaxpr_eqns_T{seq}": n_seq, "scan_lengths": s_seq,
            "jit_cache_sizes_after_calls": sizes}


def build(kind: str, kw: dict, seq: int, batch: int):
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(INPUT, HIDDEN, **kw)
    lm = getattr(torchlike.nn, kind)(INPUT, HIDDEN, **kw)
    lm.load_state_dict({k: torchlike.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((seq, batch, INPUT)).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    lx = torchlike.from_numpy(x).requires_grad_()
    return tm, lm, tx, lx


def step(rnn, x):
    out, _ = rnn(x)
    out.sum().backward()
    return out


def check_agreement(tm, lm, tx, lx) -> float:
    to, lo = step(tm, tx), step(lm, lx)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-3, atol=1e-4)
    return float(np.abs(lx.grad.numpy() - tx.grad.numpy()).max())


def _contenders(tm, lm, tx, lx):
    def run_torch():
        tx.grad = None
        tm.zero_grad()
        step(tm, tx)

    def run_torch1():
        with torch_threads(1):
            run_torch()

    def run_lib():
        lx.grad = None
        lm.zero_grad()
        step(lm, lx)
        block(lx.grad)
    return run_torch, run_torch1, run_lib


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--reps", type=int, default=9)
    p.add_argument("--json", action="store_true", help="write benchmarks/results/bench_rnn.json")
    a = p.parse_args(argv)
    env = environment()
    print(format_environment(env))
    scan = verify_scan(a.seq, a.batch)
    print(f"- scan check: {scan}")
    rows, out = [], {}
    for name, kind, kw in CONFIGS:
        tm, lm, tx, lx = build(kind, kw, a.seq, a.batch)
        err = check_agreement(tm, lm, tx, lx)

        run_torch, run_torch1, run_lib = _contenders(tm, lm, tx, lx)
        res = bench({"torch_1": run_torch1, "torch_default": run_torch, "torchlike": run_lib},
                    warmup=8, reps=a.reps, rep_seconds=0.2)
        best = min(res["torch_1"], res["torch_default"])
        rows.append([name, fmt_time(res["torch_1"], 1e3, 2), fmt_time(res["torch_default"], 1e3, 2),
                     fmt_time(res["torchlike"], 1e3, 2), fmt_ratio(res["torchlike"], best),
                     f"{err:.1e}"])
        out[name] = {**res, "max_abs_input_grad_diff": err}
    headers = [f"model (seq {a.seq}, batch {a.batch})", "torch 1 thr",
               f"torch {DEFAULT_TORCH_THREADS} thr", "torchlike eager", "torchlike / torch",
               "max |dx| diff"]
    print("\n### RNN forward+backward, ms per step (median)\n")
    print(table(headers, rows))
    if a.json:
        path = save_json("bench_rnn", {"seconds_per_step": out, "scan_check": scan,
                                       "seq": a.seq, "batch": a.batch, "input": INPUT,
                                       "hidden": HIDDEN})
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
