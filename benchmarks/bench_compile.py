"""Whole training steps, side by side in one process: torch eager (1 thread and default threads),
``torch.compile`` of the step, torchlike eager, ``torchlike.compile`` of the step, and a
hand-written pure JAX/optax ``jax.jit`` step (the limit). Four models:

- ``mlp``: the seed MNIST step (784-256-128-10 MLP, Dropout(0.2), CrossEntropyLoss, Adam with
  weight_decay=1e-4), batch 64, 512 and 4096;
- ``cnn``: Conv(1,32,3)-ReLU-Conv(32,64,3)-ReLU-MaxPool(2)-Linear(9216,10), CrossEntropyLoss,
  default Adam, batch 64 and 256. The JAX step uses ``lax.conv_general_dilated`` and
  ``lax.reduce_window`` as a JAX user would;
- ``lstm``: a language model, Embedding(1000,128)-LSTM(128,256)-Linear(256,1000), sequence 32,
  CrossEntropyLoss over every token, default Adam, batch 32. The JAX step runs the recurrence as
  one ``lax.scan`` (input projections hoisted out of the loop);
- ``transformer``: an encoder classifier, Embedding(1000,128), 2 x TransformerEncoderLayer(d_model
  128, 4 heads, feed-forward 256, dropout 0.1, batch_first, post-norm, ReLU), mean over the
  sequence, Linear(128,10); sequence 64, default AdamW, batch 32. No positional encoding (it does
  not change the cost). The JAX step writes attention with plain ``jnp`` (einsum + softmax) and
  drops out at the same four places per layer as torch.

Every contender starts from the same weights (torch's default initialisation under seed 0, copied as
a state dict) and trains on the same batch. Per model and batch the tables give:

- median milliseconds per step over 7 interleaved repetitions of at least 0.15 s each (3 of 0.05 s
  with ``--quick``; see ``_common.bench``), after three warm-up steps; its ratio to the pure JAX
  step and to the faster torch eager contender;
- the first call's latency (tracing and compilation included: torch.compile and torchlike.compile
  compile twice, as the first step creates the gradients and the optimizer state; the two torch
  eager contenders share one model, so the second one's first call is already warm). torch.compile
  runs with a fresh dynamo cache per configuration, but inductor's on-disk caches persist between
  runs of this command, so its first-call figure is lower on a second run; likewise importing
  torchlike turns on JAX's persistent compilation cache (``torchlike._cache``, for the pure JAX
  step too), so torchlike's and JAX's first calls load rather than compile on a second run: the
  environment lines say how many entries the cache held at the start, and
  ``TORCHLIKE_CACHE_DIR=off`` measures cold compilation. Inductor's CPU
  compilation takes 10-80 s per configuration on the 2-core machine, so by default torch.compile
  runs at each model's first batch size only (``--torch-compile all`` for every one);
- peak memory of the contender's first three steps (model and batch already built), as growth
  over what was in use before them: what the training steps need beyond the weights and the
  batch (gradients, optimizer state, activations, compiler working memory). On CPU: the process's
  peak resident set (VmHWM, reset before each contender through /proc/self/clear_refs) minus the
  resident set before; memory that an earlier contender freed but the allocator kept is reused
  without counting, so this is a lower bound. On CUDA: ``torch.cuda.max_memory_allocated`` (reset
  per contender) minus ``memory_allocated`` before, for torch; for the JAX-based contenders the
  device's ``peak_bytes_in_use`` minus ``bytes_in_use`` before. JAX's peak cannot be reset, so
  when it did not rise above an earlier contender's the table prints an upper bound ("<=").

The first-step losses are printed as a sanity check: dropout masks differ between torch and the
JAX-based contenders, so with dropout they agree only approximately (tests/test_bench_compile.py
checks the JAX reference steps against torch with dropout off). Import times are measured in fresh
subprocesses (``python -c 'import X'``, median of 3, Python's own start-up subtracted).

With ``--device cuda`` torch runs on ``.cuda()`` and synchronises with ``torch.cuda.synchronize()``;
torchlike runs on ``'cuda'`` (JAX's GPU); the pure JAX step runs on ``jax.devices('gpu')[0]``; the
1-thread torch contender is skipped. ``--json`` writes benchmarks/results/bench_compile[_cuda].json;
an SVG bar chart of steps per second always goes to benchmarks/results/bench_compile[_cuda].svg.

    python benchmarks/bench_compile.py [--model mlp cnn lstm transformer] [--batch 64 512 4096]
        [--cnn-batch 64 256] [--lstm-batch 32] [--transformer-batch 32] [--device cpu|cuda]
        [--quick] [--torch-compile first|all|none] [--json]
"""

from __future__ import annotations

import argparse
import functools
import gc
import math
import os
import statistics
import subprocess
import sys
import time
import traceback
from html import escape
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
from _common import (
    DEFAULT_TORCH_THREADS,
    RESULTS_DIR,
    bench,
    block,
    environment,
    format_environment,
    save_json,
    table,
    torch_threads,
)

import torchlike

LR, WD, P = 1e-3, 1e-4, 0.2  # seed MLP: Adam(lr, weight_decay), Dropout(P)
VOCAB, EMB, HID, LSTM_SEQ = 1000, 128, 256, 32
D_MODEL, NHEAD, D_FF, TF_SEQ, TF_CLASSES, TF_DROPOUT = 128, 4, 256, 64, 10, 0.1
JAX_NAME = "pure JAX/optax jit"
TORCH_COMPILE_NAME = "torch.compile"


class Skipped(Exception):
    """A contender left out of this configuration (reported as "skipped")."""


# ----------------------------------------------------------------------------------------------
# The models, written once against library ``t`` (torch or torchlike)
# ----------------------------------------------------------------------------------------------

def mlp_module(t, dropout=P):
    """The seed example's model."""
    nn = t.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.layers = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(dropout),
                                        nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

        def forward(self, x):
            return self.layers(self.flatten(x))
    return Net()


def cnn_module(t, dropout=None):
    nn = t.nn
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(9216, 10))


def lstm_module(t, dropout=None):
    nn = t.nn

    class LanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMB)
            self.lstm = nn.LSTM(EMB, HID, batch_first=True)
            self.head = nn.Linear(HID, VOCAB)

        def forward(self, tokens):
            h, _ = self.lstm(self.embed(tokens))
            return self.head(h)
    return LanguageModel()


def transformer_module(t, dropout=TF_DROPOUT):
    nn = t.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, D_MODEL)
            self.layers = nn.Sequential(*[
                nn.TransformerEncoderLayer(D_MODEL, NHEAD, D_FF, dropout, batch_first=True)
                for _ in range(2)])
            self.head = nn.Linear(D_MODEL, TF_CLASSES)

        def forward(self, tokens):
            return self.head(self.layers(self.embed(tokens)).mean(1))
    return Classifier()


def image_data(batch, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((batch, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, batch).astype(np.int64))


def lstm_data(batch, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, VOCAB, (batch, LSTM_SEQ)).astype(np.int64),
            rng.integers(0, VOCAB, (batch, LSTM_SEQ)).astype(np.int64))


def transformer_data(batch, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, VOCAB, (batch, TF_SEQ)).astype(np.int64),
            rng.integers(0, TF_CLASSES, batch).astype(np.int64))


OPTIMIZERS = {
    "mlp": lambda t, ps: t.optim.Adam(ps, lr=LR, weight_decay=WD),
    "cnn": lambda t, ps: t.optim.Adam(ps),
    "lstm": lambda t, ps: t.optim.Adam(ps),
    "transformer": lambda t, ps: t.optim.AdamW(ps),
}


@functools.cache
def state_dict(model: str) -> dict:
    """The starting weights: torch's default initialisation under seed 0, as numpy arrays keyed
    like the module's state dict (torch's layout: Linear weights are (out, in))."""
    torch.manual_seed(0)
    m = MODELS[model].module(torch)
    return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}


def lib_step(t, model: str, device: str = "cpu", compiled: bool = False, dropout=None):
    """A torch-style training step for ``model`` against library ``t``; returns (step, module).
    ``compiled`` wraps the step in ``t.compile`` (torch.compile or torchlike.compile)."""
    spec = MODELS[model]
    net = spec.module(t) if dropout is None else spec.module(t, dropout=dropout)
    net.load_state_dict({k: t.tensor(v) for k, v in state_dict(model).items()})
    net.to(device)
    optimizer = OPTIMIZERS[model](t, net.parameters())
    criterion = t.nn.CrossEntropyLoss()

    def step(inputs, targets):
        optimizer.zero_grad()
        out = net(inputs)
        loss = criterion(out.reshape(-1, out.shape[-1]), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss
    return (t.compile(step) if compiled else step), net


# ----------------------------------------------------------------------------------------------
# The same steps by hand in JAX: pure functions of a params dict (torch's keys and layouts)
# ----------------------------------------------------------------------------------------------

def _dropout(key, h, p):
    if p == 0:
        return h
    # NOTE: float32 keep probability: torchlike turns JAX's x64 mode on for the whole process, where
    # a Python float would draw float64 uniforms (a JAX user's process draws float32 ones).
    return jnp.where(jax.random.bernoulli(key, jnp.float32(1 - p), h.shape), h / (1 - p), 0)


def _linear(ps, name, h):
    return h @ ps[f"{name}.weight"].T + ps[f"{name}.bias"]


def _cross_entropy(logits, labels):
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def mlp_loss(ps, key, x, y, dropout=P):
    h = jax.nn.relu(_linear(ps, "layers.0", x.reshape(x.shape[0], -1)))
    h = _dropout(key, h, dropout)
    h = jax.nn.relu(_linear(ps, "layers.3", h))
    return _cross_entropy(_linear(ps, "layers.5", h), y)


def cnn_loss(ps, key, x, y, dropout=None):
    dn = ("NCHW", "OIHW", "NCHW")

    def conv(name, h):
        out = jax.lax.conv_general_dilated(h, ps[f"{name}.weight"], (1, 1), "VALID",
                                           dimension_numbers=dn)
        return jax.nn.relu(out + ps[f"{name}.bias"][:, None, None])
    h = conv("2", conv("0", x))
    h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    return _cross_entropy(_linear(ps, "6", h.reshape(h.shape[0], -1)), y)


def lstm_loss(ps, key, x, y, dropout=None):
    e = ps["embed.weight"][x]                                        # (B, T, EMB)
    gx = e @ ps["lstm.weight_ih_l0"].T + ps["lstm.bias_ih_l0"] + ps["lstm.bias_hh_l0"]
    w_hh = ps["lstm.weight_hh_l0"].T

    def cell(carry, g_t):
        h, c = carry
        i, f, g, o = jnp.split(g_t + h @ w_hh, 4, axis=-1)        # torch's gate order
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h
    h0 = jnp.zeros((x.shape[0], HID), gx.dtype)
    _, hs = jax.lax.scan(cell, (h0, h0), jnp.swapaxes(gx, 0, 1))  # (T, B, HID)
    logits = _linear(ps, "head", jnp.swapaxes(hs, 0, 1))
    return _cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))


def _layer_norm(ps, name, h, eps=1e-5):
    mu = h.mean(-1, keepdims=True)
    var = jnp.square(h - mu).mean(-1, keepdims=True)
    return (h - mu) * jax.lax.rsqrt(var + eps) * ps[f"{name}.weight"] + ps[f"{name}.bias"]


def _encoder_layer(ps, pre, h, key, p):
    """torch's post-norm TransformerEncoderLayer (ReLU), dropout at torch's four places."""
    b, s, d = h.shape
    hd = d // NHEAD
    k_attn, k1, k_ff, k2 = jax.random.split(key, 4)
    qkv = h @ ps[f"{pre}.self_attn.in_proj_weight"].T + ps[f"{pre}.self_attn.in_proj_bias"]
    q, k, v = (a.reshape(b, s, NHEAD, hd) for a in jnp.split(qkv, 3, axis=-1))
    att = jax.nn.softmax(jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(hd), axis=-1)
    att = _dropout(k_attn, att, p)
    o = jnp.einsum("bhqk,bkhd->bqhd", att, v).reshape(b, s, d)
    o = _linear(ps, f"{pre}.self_attn.out_proj", o)
    h = _layer_norm(ps, f"{pre}.norm1", h + _dropout(k1, o, p))
    f = _dropout(k_ff, jax.nn.relu(_linear(ps, f"{pre}.linear1", h)), p)
    f = _linear(ps, f"{pre}.linear2", f)
    return _layer_norm(ps, f"{pre}.norm2", h + _dropout(k2, f, p))


def transformer_loss(ps, key, x, y, dropout=TF_DROPOUT):
    h = ps["embed.weight"][x]
    for i, k in enumerate(jax.random.split(key, 2)):
        h = _encoder_layer(ps, f"layers.{i}", h, k, dropout)
    return _cross_entropy(_linear(ps, "head", h.mean(1)), y)


JAX_OPTIMIZERS = {
    # torch's Adam(weight_decay) adds wd * p to the gradient (L2), before the moments
    "mlp": lambda: optax.chain(optax.add_decayed_weights(WD), optax.adam(LR)),
    "cnn": lambda: optax.adam(1e-3),
    "lstm": lambda: optax.adam(1e-3),
    "transformer": lambda: optax.adamw(1e-3, weight_decay=1e-2),  # torch's AdamW defaults
}


def jax_step(model: str, device=None, dropout=None):
    """The hand-written step: ``jax.jit`` over (params, optimizer state, PRNG key, batch)."""
    loss_fn = MODELS[model].jax_loss
    if dropout is not None:
        loss_fn = functools.partial(loss_fn, dropout=dropout)
    tx = JAX_OPTIMIZERS[model]()
    params = jax.device_put({k: jnp.asarray(v) for k, v in state_dict(model).items()}, device)
    state = [params, tx.init(params), jax.device_put(jax.random.PRNGKey(0), device)]

    @jax.jit
    def update(ps, opt_state, key, x, y):
        key, sub = jax.random.split(key)
        loss, g = jax.value_and_grad(loss_fn)(ps, sub, x, y)
        upd, opt_state = tx.update(g, opt_state, ps)
        return optax.apply_updates(ps, upd), opt_state, key, loss

    def step(x, y):
        state[0], state[1], state[2], loss = update(*state, x, y)
        return loss
    step.params = lambda: state[0]
    return step


class Spec:
    def __init__(self, title, module, data, jax_loss, batches):
        self.title, self.module, self.data, self.jax_loss = title, module, data, jax_loss
        self.batches = batches


MODELS = {
    "mlp": Spec("Seed MNIST MLP training step (Adam, dropout)", mlp_module, image_data, mlp_loss,
                (64, 512, 4096)),
    "cnn": Spec("MNIST CNN training step (Conv-Conv-Pool-Linear, Adam)", cnn_module, image_data,
                cnn_loss, (64, 256)),
    "lstm": Spec(f"LSTM language model training step (Embedding-LSTM({EMB},{HID})-Linear, vocab "
                 f"{VOCAB}, seq {LSTM_SEQ}, Adam)", lstm_module, lstm_data, lstm_loss, (32,)),
    "transformer": Spec(f"Transformer encoder classifier training step (2 layers, d_model "
                        f"{D_MODEL}, {NHEAD} heads, ff {D_FF}, dropout {TF_DROPOUT}, seq {TF_SEQ}, "
                        "AdamW)", transformer_module, transformer_data, transformer_loss, (32,)),
}


# ----------------------------------------------------------------------------------------------
# Measurement
# ----------------------------------------------------------------------------------------------

def _rss_kib(field: str):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


class CpuMemory:
    """Growth of the peak resident set over a block (VmHWM reset through /proc/self/clear_refs)."""

    def start(self):
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.before = _rss_kib("VmRSS")
        except OSError:
            self.before = None

    def stop(self):
        if self.before is None:
            return None
        return max(0, _rss_kib("VmHWM") - self.before) * 1024


class CudaMemory:
    """Growth of the peak allocated device memory over a block: torch's max_memory_allocated
    (reset per block), JAX's peak_bytes_in_use (not resettable: see the module docstring)."""

    def __init__(self, is_torch: bool):
        self.is_torch = is_torch
        self.dev = None if is_torch else jax.devices("gpu")[0]

    def start(self):
        if self.is_torch:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.before = torch.cuda.memory_allocated()
        else:
            s = self.dev.memory_stats() or {}
            self.before = (s.get("bytes_in_use"), s.get("peak_bytes_in_use"))

    def stop(self):
        if self.is_torch:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated() - self.before
        in_use, peak0 = self.before
        peak = (self.dev.memory_stats() or {}).get("peak_bytes_in_use")
        if in_use is None or peak is None:
            return None
        return peak - in_use if peak > peak0 else f"<={peak0 - in_use}"


def _sync_torch_cuda(loss):
    torch.cuda.synchronize()
    return loss


def _params_syncer(net):
    """Waits for a torchlike step's loss and parameters: an eager step dispatches the backward
    and optimizer ops asynchronously after the loss, so waiting for the loss alone is not enough."""
    params = list(net.parameters())

    def sync(loss):
        block(loss)
        jax.block_until_ready([p._arr for p in params])  # NOTE: private field (see block)
        return loss
    return sync


def contenders(model: str, batch: int, device: str, torch_compile: bool) -> dict:
    """name -> builder; a builder returns (step call, sync, memory meter), each call runs one
    training step and ``sync(result)`` waits for it. A contender is built only when it runs, so
    one that fails to build is reported like one that fails to run."""
    x, y = MODELS[model].data(batch)
    cuda = device == "cuda"
    tdev = "cuda" if cuda else "cpu"
    jdev = jax.devices("gpu")[0] if cuda else jax.devices("cpu")[0]
    t_sync = _sync_torch_cuda if cuda else (lambda loss: loss)

    def meter(is_torch):
        return CudaMemory(is_torch) if cuda else CpuMemory()

    def torch_data():
        return torch.from_numpy(x).to(tdev), torch.from_numpy(y).to(tdev)

    def torchlike_data():
        return torchlike.tensor(x).to(tdev), torchlike.tensor(y).to(tdev)

    shared = {}  # the torch eager contenders train one model

    def torch_eager(threads):
        if "torch" not in shared:
            torch.manual_seed(0)
            shared["torch"] = lib_step(torch, model, tdev)[0], *torch_data()
        step, tx_, ty = shared["torch"]
        if threads is None:
            return (lambda: step(tx_, ty)), t_sync, meter(True)

        def call():
            with torch_threads(threads):
                return step(tx_, ty)
        return call, t_sync, meter(True)

    def torch_compiled():
        if not torch_compile:
            raise Skipped
        # a fresh dynamo cache per model and batch: the step's code object is shared by all of
        # them, and recompilations past torch's recompile limit would silently run eagerly
        torch._dynamo.reset()
        torch.manual_seed(0)
        step, _ = lib_step(torch, model, tdev, compiled=True)
        tx_, ty = torch_data()
        return (lambda: step(tx_, ty)), t_sync, meter(True)

    def torchlike_step(compiled):
        def build():
            torchlike.manual_seed(0)
            step, net = lib_step(torchlike, model, tdev, compiled=compiled)
            if compiled:
                shared["torchlike.compile"] = step
            lx, ly = torchlike_data()
            return (lambda: step(lx, ly)), _params_syncer(net), meter(False)
        return build

    def pure_jax():
        step = jax_step(model, jdev)
        jx, jy = jax.device_put(jnp.asarray(x), jdev), jax.device_put(jnp.asarray(y), jdev)

        def sync(loss):
            jax.block_until_ready((loss, step.params()))
            return loss
        return (lambda: step(jx, jy)), sync, meter(False)

    out = {}
    if not cuda:
        out["torch eager (1 thread)"] = functools.partial(torch_eager, 1)
    out["torch eager (GPU)" if cuda else f"torch eager ({DEFAULT_TORCH_THREADS} threads)"] = (
        functools.partial(torch_eager, None))
    out[TORCH_COMPILE_NAME] = torch_compiled
    out["torchlike eager"] = torchlike_step(False)
    out["torchlike.compile"] = torchlike_step(True)
    out[JAX_NAME] = pure_jax
    out["_shared"] = shared
    return out


def _loss_value(loss) -> float:
    return float(loss.item()) if hasattr(loss, "item") and not isinstance(loss, jax.Array) \
        else float(loss)


def _report_failure(model, batch, name, exc):
    if isinstance(exc, Skipped):
        return
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    print(f"\n  {model} batch {batch}: {name} FAILED (reported as n/a):\n"
          + "".join(tb[-12:]), file=sys.stderr)


def run(model: str, batch: int, device: str, reps: int, rep_seconds: float,
        torch_compile: bool = True) -> dict:
    gc.collect()  # free the previous configuration's models (Modules hold reference cycles)
    cs = contenders(model, batch, device, torch_compile)
    shared = cs.pop("_shared")
    first_call, first_loss, memory, live = {}, {}, {}, {}
    for name, build in cs.items():
        try:
            call, sync, mem = build()
            mem.start()
            t0 = time.perf_counter()
            loss = sync(call())
            first_call[name] = time.perf_counter() - t0
            first_loss[name] = _loss_value(loss)
            # warm-up: the second call compiles again (grads, optimizer state); torchlike's
            # deferred eager mode compiles a repeated step's program at its third sighting
            for _ in range(8):
                sync(call())
        except Exception as exc:  # noqa: BLE001 - a failing contender is a result, not a crash
            first_call[name] = first_loss[name] = memory[name] = exc
            _report_failure(model, batch, name, exc)
            continue
        memory[name] = mem.stop()
        live[name] = (lambda call=call, sync=sync: sync(call()))
    times = bench(live, warmup=0, reps=reps, rep_seconds=rep_seconds, per_call=True)
    for name, v in times.items():
        if isinstance(v, BaseException):
            _report_failure(model, batch, name, v)
    seconds = {name: (times[name] if name in times else first_call[name]) for name in cs}
    compiled = shared.get("torchlike.compile")
    return {"seconds_per_step": seconds, "first_call_seconds": first_call,
            "first_loss": first_loss, "peak_memory_bytes": memory,
            "torchlike_compile_signatures": getattr(compiled, "compile_count", None)}


def import_times(n: int) -> dict:
    """Median seconds of ``python -c 'import X'`` in fresh processes, minus ``python -c pass``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).resolve().parents[1])] + [os.environ.get("PYTHONPATH", "")]))

    def once(src):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", src], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0
    base = statistics.median(once("pass") for _ in range(n))
    out = {"python -c pass": base}
    for mod in ("torch", "jax", "torchlike"):
        out[f"import {mod}"] = statistics.median(once(f"import {mod}") for _ in range(n)) - base
    return out


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------

def _best_torch_eager(seconds: dict):
    ts = [v for k, v in seconds.items() if k.startswith("torch eager") and isinstance(v, float)]
    return min(ts) if ts else None


def _ratio(a, b) -> str:
    """``a / b`` as "1.3x"; ratios under 1 keep two significant digits ("0.042x")."""
    if not isinstance(a, float) or not isinstance(b, float) or b == 0:
        return "—"
    r = a / b
    return f"{r:.1f}x" if r >= 1 else f"{r:.2g}x"


def _na(exc: BaseException) -> str:
    return "skipped" if isinstance(exc, Skipped) else f"n/a ({type(exc).__name__})"


def _ms(v) -> str:
    return f"{v * 1e3:.2f}" if isinstance(v, float) else _na(v)


def _mib(v) -> str:
    if isinstance(v, BaseException):
        return _na(v)
    if v is None:
        return "—"
    if isinstance(v, str):  # "<=bytes": an upper bound
        return f"<={int(v[2:]) / 2**20:.0f}"
    return f"{v / 2**20:.0f}"


def tables(model: str, results: dict) -> str:
    batches = list(results)
    names = list(results[batches[0]]["seconds_per_step"])
    speed, costs = [], []
    for name in names:
        row, crow = [name], [name]
        for b in batches:
            r = results[b]
            t = r["seconds_per_step"][name]
            row += [_ms(t), _ratio(t, r["seconds_per_step"][JAX_NAME]),
                    _ratio(t, _best_torch_eager(r["seconds_per_step"]))]
            fc = r["first_call_seconds"][name]
            crow += [f"{fc:.2f}" if isinstance(fc, float) else _na(fc),
                     _mib(r["peak_memory_bytes"][name])]
        speed.append(row)
        costs.append(crow)
    h1 = ["contender"] + [c for b in batches
                          for c in (f"b{b} ms", f"b{b} / JAX", f"b{b} / torch eager")]
    h2 = ["contender"] + [c for b in batches for c in (f"b{b} first call s", f"b{b} peak MiB")]
    out = [f"### {MODELS[model].title}: median ms per step\n", table(h1, speed),
           "\nfirst call (tracing/compilation included) and peak memory (see the docstring)\n",
           table(h2, costs)]
    for b in batches:
        r = results[b]
        out.append(f"\nbatch {b}: first-step losses " + ", ".join(
            f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {_na(v)}"
            for k, v in r["first_loss"].items())
            + (f"; torchlike.compile traced {r['torchlike_compile_signatures']} signature(s)"
               if r["torchlike_compile_signatures"] is not None else ""))
    return "\n".join(out)


_COLORS = ["#9e9e9e", "#616161", "#ff9800", "#64b5f6", "#1565c0", "#2e7d32", "#8e24aa"]


def svg_chart(everything: dict, title: str) -> str:
    """Small multiples: one panel of horizontal bars (steps per second, own scale) per model and
    batch, one colour per contender. Failed contenders get no bar and an "n/a" label."""
    panels = [(m, b, r) for m, res in everything.items() for b, r in res.items()]
    names = []
    for _, _, r in panels:
        names += [n for n in r["seconds_per_step"] if n not in names]
    color = {n: _COLORS[i % len(_COLORS)] for i, n in enumerate(names)}
    label_w, bar_w, bar_h, gap, cols = 170, 230, 14, 3, 2
    panel_h = 26 + len(names) * (bar_h + gap) + 10
    panel_w = label_w + bar_w + 70
    rows_n = (len(panels) + cols - 1) // cols
    legend_h = 18 * ((len(names) + 2) // 3) + 10
    width, height = cols * panel_w + 20, 40 + rows_n * panel_h + legend_h
    el = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">'),
          f'<rect width="{width}" height="{height}" fill="white"/>',
          f'<text x="10" y="22" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (model, batch, r) in enumerate(panels):
        x0, y0 = 10 + (i % cols) * panel_w, 40 + (i // cols) * panel_h
        sps = {n: 1 / t for n, t in r["seconds_per_step"].items() if isinstance(t, float)}
        top = max(sps.values(), default=1.0)
        el.append(f'<text x="{x0}" y="{y0 + 14}" font-weight="bold">{escape(model)}, batch '
                  f'{batch} (steps/s)</text>')
        for j, name in enumerate(r["seconds_per_step"]):
            y = y0 + 24 + j * (bar_h + gap)
            el.append(f'<text x="{x0 + label_w - 4}" y="{y + bar_h - 3}" text-anchor="end">'
                      f'{escape(name)}</text>')
            if name in sps:
                w = bar_w * sps[name] / top
                el.append(f'<rect x="{x0 + label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                          f'fill="{color[name]}"/>')
                v = f"{sps[name]:.0f}" if sps[name] >= 100 else f"{sps[name]:.3g}"
                el.append(f'<text x="{x0 + label_w + w + 3:.1f}" y="{y + bar_h - 3}">{v}</text>')
            else:
                el.append(f'<text x="{x0 + label_w + 3}" y="{y + bar_h - 3}" fill="#b71c1c">'
                          f'{escape(_na(r["seconds_per_step"][name]))}</text>')
    ly = 40 + rows_n * panel_h
    for i, name in enumerate(names):
        x, y = 10 + (i % 3) * 230, ly + (i // 3) * 18
        el.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{color[name]}"/>')
        el.append(f'<text x="{x + 16}" y="{y + 10}">{escape(name)}</text>')
    el.append("</svg>")
    return "\n".join(el) + "\n"


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, Skipped):
        return "skipped"
    if isinstance(v, BaseException):
        return f"n/a ({type(v).__name__}: {str(v).strip()[:200]})"
    return v


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", nargs="+", choices=list(MODELS), default=list(MODELS))
    p.add_argument("--batch", type=int, nargs="+", default=list(MODELS["mlp"].batches),
                   help="MLP batch sizes")
    p.add_argument("--cnn-batch", type=int, nargs="+", default=list(MODELS["cnn"].batches))
    p.add_argument("--lstm-batch", type=int, nargs="+", default=list(MODELS["lstm"].batches))
    p.add_argument("--transformer-batch", type=int, nargs="+",
                   default=list(MODELS["transformer"].batches))
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--quick", action="store_true", help="fewer and shorter repetitions")
    p.add_argument("--torch-compile", choices=("first", "all", "none"), default="first",
                   help="where to run torch.compile: at each model's first batch size only "
                        "(default: inductor's CPU compilation takes 10-80 s per configuration "
                        "here), at all of them, or nowhere")
    p.add_argument("--json", action="store_true",
                   help="write benchmarks/results/bench_compile[_cuda].json")
    a = p.parse_args(argv)
    t_start = time.perf_counter()
    env = environment()
    if a.device == "cuda":
        env["device"] = f"cuda: {torch.cuda.get_device_name(0)}"
        env["jax gpu devices"] = [str(d) for d in jax.devices("gpu")]
        env["torch allow_tf32 (matmul / cudnn)"] = (torch.backends.cuda.matmul.allow_tf32,
                                                    torch.backends.cudnn.allow_tf32)
    else:
        env["device"] = "cpu"
    # torchlike sets it to "highest" on GPU machines (torch's float32 matmuls); it is global, so
    # the pure JAX step computes at the same precision
    env["jax_default_matmul_precision"] = jax.config.jax_default_matmul_precision
    # importing torchlike turns JAX's persistent compilation cache on (for the pure JAX step too):
    # the first-call figures then depend on what earlier runs left there
    cache = torchlike._cache.cache_dir()
    entries = len(os.listdir(cache)) if cache and os.path.isdir(cache) else 0
    env["XLA compilation cache"] = (f"{cache} ({entries} entries at the start)" if cache
                                    else "off")
    print(format_environment(env))
    imports = import_times(1 if a.quick else 3)
    print("- import seconds (fresh process, minus python start-up "
          f"{imports['python -c pass']:.2f} s): " + ", ".join(
              f"{k[7:]} {v:.2f}" for k, v in imports.items() if k.startswith("import ")))
    batches = {"mlp": a.batch, "cnn": a.cnn_batch, "lstm": a.lstm_batch,
               "transformer": a.transformer_batch}
    everything = {}
    for model in a.model:
        results = {}
        for i, batch in enumerate(batches[model]):
            tc = a.torch_compile == "all" or (a.torch_compile == "first" and i == 0)
            results[batch] = run(model, batch, a.device, 3 if a.quick else 7,
                                 0.05 if a.quick else 0.15, torch_compile=tc)
        everything[model] = results
        print("\n" + tables(model, results))
    suffix = "_cuda" if a.device == "cuda" else ""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    svg = RESULTS_DIR / f"bench_compile{suffix}.svg"
    svg.write_text(svg_chart(everything, f"Training steps per second ({env['device']}; "
                                         f"torch {torch.__version__}, jax {jax.__version__})"))
    print(f"\nwrote {svg}")
    wall = time.perf_counter() - t_start
    print(f"total wall time {wall:.0f} s")
    if a.json:
        path = save_json(f"bench_compile{suffix}", {
            "import_seconds": imports, "wall_seconds": wall, "results": _jsonable(everything)},
            env=env)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
