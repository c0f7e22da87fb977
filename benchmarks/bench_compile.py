"""Training steps compiled whole: torch eager (1 thread and default threads), torchlike eager,
``torchlike.compile`` of the whole step and a hand-written pure JAX/optax ``jax.jit`` step, in the
same run. Two models:

- ``mlp``: the seed MNIST step (784-256-128-10 MLP, Dropout(0.2), CrossEntropyLoss, Adam with
  weight_decay=1e-4);
- ``cnn``: Conv(1,32,3)-ReLU-Conv(32,64,3)-ReLU-MaxPool(2)-Linear(9216,10), CrossEntropyLoss,
  default Adam. The JAX step is written as a JAX user would (``lax.conv_general_dilated``,
  ``lax.reduce_window`` max pooling).

All contenders start from the same weights and train on the same batch; the table gives the median
milliseconds per step (interleaved repetitions, see ``_common.bench``) and each one's ratio to the
pure JAX step. The losses after the first step are printed as a sanity check (dropout masks differ
between torch and the JAX-based ones, so those agree only approximately).

    python benchmarks/bench_compile.py [--model mlp cnn] [--batch 64 512] [--json]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
from _common import (
    DEFAULT_TORCH_THREADS,
    bench,
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
LR, WD, P = 1e-3, 1e-4, 0.2


def weights(seed=0):
    """(out, in) weights and biases as numpy arrays (torch's Linear layout)."""
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in zip(SIZES, SIZES[1:]):
        b = 1 / np.sqrt(fan_in)
        out += [rng.uniform(-b, b, (fan_out, fan_in)).astype(np.float32),
                rng.uniform(-b, b, (fan_out,)).astype(np.float32)]
    return out


def data(batch, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((batch, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, batch).astype(np.int64))


def lib_step(t, compiled=False):
    """The seed example's model and loop body, written against library ``t``."""
    nn = t.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.layers = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(P),
                                        nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

        def forward(self, x):
            return self.layers(self.flatten(x))

    model = Net()
    with t.no_grad():
        for p, w in zip(model.parameters(), weights()):
            p.copy_(t.tensor(w))
    criterion = nn.CrossEntropyLoss()
    optimizer = t.optim.Adam(model.parameters(), lr=LR, weight_decay=WD)

    def step(images, labels):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss
    return t.compile(step) if compiled else step


def lib_cnn_step(t, compiled=False):
    """The CNN and a default-Adam loop body, written against library ``t``."""
    nn = t.nn
    t.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(9216, 10))
    with t.no_grad():
        for p, w in zip(model.parameters(), cnn_weights()):
            p.copy_(t.tensor(w))
    criterion = nn.CrossEntropyLoss()
    optimizer = t.optim.Adam(model.parameters())

    def step(images, labels):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss
    return t.compile(step) if compiled else step


def cnn_weights(seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for shape, fan_in in (((32, 1, 3, 3), 9), ((64, 32, 3, 3), 288), ((10, 9216), 9216)):
        b = 1 / np.sqrt(fan_in)
        out += [rng.uniform(-b, b, shape).astype(np.float32),
                rng.uniform(-b, b, shape[:1]).astype(np.float32)]
    return out


def jax_cnn_step():
    """The CNN step by hand: ``lax.conv_general_dilated`` and ``lax.reduce_window``, optax Adam."""
    params = [jnp.asarray(w) for w in cnn_weights()]
    tx = optax.adam(1e-3)
    state = [tx.init(params)]
    dn = ("NCHW", "OIHW", "NCHW")

    def loss_fn(ps, x, y):
        w1, b1, w2, b2, w3, b3 = ps
        h = jax.nn.relu(jax.lax.conv_general_dilated(x, w1, (1, 1), "VALID", dimension_numbers=dn)
                        + b1[:, None, None])
        h = jax.nn.relu(jax.lax.conv_general_dilated(h, w2, (1, 1), "VALID", dimension_numbers=dn)
                        + b2[:, None, None])
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        z = h.reshape(h.shape[0], -1) @ w3.T + b3
        return optax.softmax_cross_entropy_with_integer_labels(z, y).mean()

    @jax.jit
    def update(ps, opt_state, x, y):
        loss, g = jax.value_and_grad(loss_fn)(ps, x, y)
        upd, opt_state = tx.update(g, opt_state, ps)
        return optax.apply_updates(ps, upd), opt_state, loss

    def step(x, y):
        nonlocal params
        params, state[0], loss = update(params, state[0], x, y)
        return loss
    return step


def jax_step():
    """The same step by hand: pure functions, ``jax.jit`` over (params, opt state, key, batch)."""
    ws = weights()
    params = [jnp.asarray(w) for w in ws]
    tx = optax.chain(optax.add_decayed_weights(WD), optax.adam(LR))  # torch's Adam L2 decay
    state = [tx.init(params), jax.random.PRNGKey(0)]

    def loss_fn(ps, key, x, y):
        w1, b1, w2, b2, w3, b3 = ps
        h = jax.nn.relu(x.reshape(x.shape[0], -1) @ w1.T + b1)
        keep = jax.random.bernoulli(key, 1 - P, h.shape)
        h = jnp.where(keep, h / (1 - P), 0)
        h = jax.nn.relu(h @ w2.T + b2)
        z = h @ w3.T + b3
        return optax.softmax_cross_entropy_with_integer_labels(z, y).mean()

    @jax.jit
    def update(ps, opt_state, key, x, y):
        key, sub = jax.random.split(key)
        loss, g = jax.value_and_grad(loss_fn)(ps, sub, x, y)
        upd, opt_state = tx.update(g, opt_state, ps)
        return optax.apply_updates(ps, upd), opt_state, key, loss

    def step(x, y):
        nonlocal params
        params, state[0], state[1], loss = update(params, state[0], state[1], x, y)
        return loss
    return step


MODELS = {"mlp": (lib_step, jax_step, "Seed MNIST MLP training step (Adam, dropout)"),
          "cnn": (lib_cnn_step, jax_cnn_step, "MNIST CNN training step (Conv-Conv-Pool-Linear, Adam)")}


def run(model, batch):
    lib, jax_fn = MODELS[model][:2]
    x, y = data(batch)
    tx_, ty = torch.from_numpy(x), torch.from_numpy(y)
    lx, ly = torchlike.tensor(x), torchlike.tensor(y)
    jx, jy = jnp.asarray(x), jnp.asarray(y)
    torch.manual_seed(0)
    torchlike.manual_seed(0)
    t_step, l_step, c_step, j_step = (lib(torch), lib(torchlike), lib(torchlike, True), jax_fn())
    first = [t_step(tx_, ty).item(), l_step(lx, ly).item(), c_step(lx, ly).item(),
             float(j_step(jx, jy))]

    def torch_1():
        with torch_threads(1):
            t_step(tx_, ty)

    contenders = {
        "torch eager (1 thread)": torch_1,
        f"torch eager ({DEFAULT_TORCH_THREADS} threads)": lambda: t_step(tx_, ty),
        "torchlike eager": lambda: block(l_step(lx, ly)),
        "torchlike.compile": lambda: block(c_step(lx, ly)),
        "pure JAX/optax jit": lambda: block(j_step(jx, jy)),
    }
    times = bench(contenders, warmup=3, reps=11, rep_seconds=0.2)
    return times, first, c_step.compile_count


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", nargs="+", choices=sorted(MODELS), default=["mlp", "cnn"])
    p.add_argument("--batch", type=int, nargs="+", default=[64, 512], help="MLP batch sizes")
    p.add_argument("--cnn-batch", type=int, nargs="+", default=[64], help="CNN batch sizes")
    p.add_argument("--json", action="store_true",
                   help="write benchmarks/results/bench_compile.json")
    a = p.parse_args(argv)
    print(format_environment(environment()))
    everything = {}
    for model in a.model:
        batches = a.batch if model == "mlp" else a.cnn_batch
        results = {}
        for batch in batches:
            times, first, compiles = run(model, batch)
            results[batch] = {"seconds_per_step": times, "first_loss": first,
                              "compiles": compiles}
        everything[model] = results
        names = list(next(iter(results.values()))["seconds_per_step"])
        headers = ["contender"] + [f"batch {b}: ms" for b in batches] + [
            f"batch {b}: / JAX" for b in batches]
        rows = []
        for name in names:
            ts = [results[b]["seconds_per_step"][name] for b in batches]
            js = [results[b]["seconds_per_step"]["pure JAX/optax jit"] for b in batches]
            rows.append([name] + [f"{t * 1e3:.3f}" if isinstance(t, float) else f"n/a ({t!r})"
                                  for t in ts] + [fmt_ratio(t, j) for t, j in zip(ts, js)])
        print(f"\n### {MODELS[model][2]}, median ms per step\n")
        print(table(headers, rows))
        for b in batches:
            r = results[b]
            print(f"\nbatch {b}: first-step loss torch / torchlike eager / compiled / JAX = "
                  + " / ".join(f"{v:.4f}" for v in r["first_loss"])
                  + f"; torchlike.compile traced {r['compiles']} signature(s)")
    if a.json:
        print(f"\nwrote {save_json('bench_compile', {'results': everything})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
