"""Shared benchmark helpers: timing, thread control, environment report, tables, JSON output.

Timing method: every contender is warmed up (the first calls compile: torchlike and JAX trace and
build one XLA executable per op/shape), then the contenders are run in *interleaved* repetitions
(rep 1: A B C, rep 2: B C A, ...) so that machine noise hits them alike; one repetition times a
calibrated loop of calls and the reported figure is the median over repetitions. Every timed call
synchronises its result (``jax.block_until_ready`` for JAX arrays and torchlike tensors; torch on
CPU is synchronous), so asynchronous dispatch cannot hide compute.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import jax
import torch

try:
    import torchlike
except ModuleNotFoundError:  # run as a script from a checkout that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import torchlike

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_TORCH_THREADS = torch.get_num_threads()


def block(x):
    """Wait for ``x`` (JAX arrays, torchlike tensors, torch tensors, nested tuples/lists)."""
    if isinstance(x, torchlike.Tensor):
        x._arr.block_until_ready()  # NOTE: private field: the one way to sync a torchlike result
    elif isinstance(x, jax.Array):
        x.block_until_ready()
    elif isinstance(x, (tuple, list)):
        for v in x:
            block(v)
    return x


@contextlib.contextmanager
def torch_threads(n: int):
    """Run torch with ``n`` intra-op threads inside the block."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def environment() -> dict:
    """What the numbers depend on: cores, thread settings, library versions."""
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "os.cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "torch": torch.__version__,
        "torch threads (default)": DEFAULT_TORCH_THREADS,
        "jax": jax.__version__,
        "jax backend": jax.default_backend(),
        "jax devices": jax.device_count(),
        # XLA's CPU client sizes its intra-op (Eigen) pool to the machine's cores unless XLA_FLAGS
        # says otherwise; it exposes no query for the size.
        "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
        "xla intra-op threads": f"{os.cpu_count()} (XLA default: one per core)"
        if "xla_cpu_multi_thread_eigen=false" not in os.environ.get("XLA_FLAGS", "")
        else "1 (xla_cpu_multi_thread_eigen=false)",
    }


def format_environment(env: dict) -> str:
    return "\n".join(f"- {k}: {v}" for k, v in env.items())


def _calibrate(fn, target_s: float) -> int:
    """How many calls of ``fn`` fill about ``target_s`` seconds (the fastest of three probes, so
    that one slow call -- a late compilation, a cold cache -- does not set the count)."""
    n = 1
    while True:
        dt = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            dt = min(dt, time.perf_counter() - t0)
        if dt >= target_s / 4 or n >= 1 << 16:
            return max(1, int(n * target_s / max(dt, 1e-9)))
        n *= 4


def bench(contenders: dict, *, warmup: int = 8, reps: int = 15, rep_seconds: float = 0.01,
          per_call: bool = False) -> dict:
    """Median seconds per call of each zero-argument callable in ``contenders`` (each must sync its
    own result, e.g. ``lambda: block(f(x))``). A contender that raises during warm-up is reported
    as the exception instead of a time. Eight warm-up calls: torchlike's deferred eager mode
    compiles a repeated op sequence at its third sighting, which must not land in calibration.

    The contenders take turns in ``reps`` rounds of ~``rep_seconds`` each. By default a round
    gives one sample (its mean per call); ``per_call=True`` times every call and reports the
    median over all calls -- for calls of a millisecond or more, where the first calls of a round
    may still share the CPU with the previous contender's threads (torch's OpenMP workers spin
    after a parallel region, XLA's finish an asynchronous program)."""
    live, out = {}, {}
    for name, fn in contenders.items():
        try:
            for _ in range(warmup):
                fn()
        except Exception as exc:  # noqa: BLE001 - a missing op is a result, not a crash
            out[name] = exc
            continue
        live[name] = (fn, _calibrate(fn, rep_seconds))
    samples: dict = {name: [] for name in live}
    names = list(live)
    for r in range(reps):
        k = r % len(names) if names else 0
        for name in names[k:] + names[:k]:
            fn, n = live[name]
            if per_call:
                out_s = samples[name]
                for _ in range(n):
                    t0 = time.perf_counter()
                    fn()
                    out_s.append(time.perf_counter() - t0)
                continue
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    for name in live:
        out[name] = statistics.median(samples[name])
    return out


def fmt_time(v, unit: float = 1e6, digits: int = 1) -> str:
    """A time in µs (``unit=1e6``) or ms (``1e3``); an exception prints as its class name."""
    if isinstance(v, BaseException):
        return f"n/a ({type(v).__name__})"
    if v is None:
        return "—"
    return f"{v * unit:.{digits}f}"


def fmt_ratio(a, b) -> str:
    if not isinstance(a, float) or not isinstance(b, float) or b == 0:
        return "—"
    return f"{a / b:.1f}x"


def table(headers: list, rows: list) -> str:
    """A GitHub-markdown table (first column left-aligned, the others right-aligned)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if i else (":" + "-" * (w + 1))
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def save_json(name: str, payload: dict, env: dict | None = None) -> Path:
    """Write ``payload`` (plus the environment -- ``env`` if given, else ``environment()`` -- and a
    timestamp) to benchmarks/results/NAME.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    data = {"when": datetime.datetime.now().isoformat(timespec="seconds"),
            "environment": environment() if env is None else env, **payload}
    path.write_text(json.dumps(data, indent=1, default=str))
    return path
