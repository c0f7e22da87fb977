"""Sweep torch's own OpInfo database against torchlike.

For every entry of ``torch.testing._internal.common_methods_invocations.op_db`` the sweep finds the
torchlike counterpart by the entry's name, runs the first ``--samples`` sample inputs (CPU, float32;
int64 or bool for entries without float32 support) through torch and through torchlike, and compares
the outputs (structure, shapes, dtypes, values) and then the input gradients of
``sum(output * cotangent)`` (``autograd.grad`` with one fixed random cotangent per float output as
``grad_outputs``).

An entry passes *forward* when every sample it ran passes forward, and *backward* (only entries that
torch marks ``supports_autograd``) when every sample's gradients match. A sample on which torch
itself raises is skipped; any torchlike exception is a failure. Run as a script::

    python compat_tests/opinfo_sweep.py [--ops add,mul] [--verbose] [--json results.json]

or call :func:`sweep` in-process (compat_tests/test_opinfo.py does).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import signal
import sys
import threading
import time
import types
import warnings
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

try:
    import torchlike
except ModuleNotFoundError:  # run as a script from a checkout that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import torchlike

MISSING = "missing op"
SHAPE, DTYPE, VALUE = "shape mismatch", "dtype mismatch", "value mismatch"
STRUCTURE = "output structure mismatch"
NO_GRAD = "output does not require grad"
TIMEOUT = "timeout"

FWD_TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5), "float64": (1e-7, 1e-7)}
BWD_TOL = {"float32": (1e-4, 1e-4), "complex64": (1e-4, 1e-4), "float64": (1e-7, 1e-7)}

# Ops whose values are random or uninitialised: only structure, shapes and dtypes are compared.
_UNINITIALISED = frozenset({"empty", "empty_like", "empty_permuted", "empty_strided", "new_empty",
                            "new_empty_strided"})
# OpInfo wraps these in ``wrapper_set_seed`` although they are deterministic.
_SEEDED_BUT_DETERMINISTIC = frozenset({"item"})


class _Failure(Exception):
    """A comparison failure: ``reason`` is one of the categories above."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


class _Timeout(Exception):
    pass


@dataclass
class Result:
    """The verdict for one OpInfo entry."""

    name: str
    variant: str
    dtype: str
    autograd: bool
    forward: bool = False
    backward: bool | None = None  # None: torch does not support autograd for this entry
    fwd_reason: str = ""
    bwd_reason: str = ""
    message: str = ""
    samples: int = 0
    skipped: int = 0
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.name}.{self.variant}" if self.variant else self.name


# -- finding torchlike's counterpart ---------------------------------------------------------

def _qualified(mod, name: str):
    obj = mod
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


_REBOUND_GLOBALS: dict = {}


def _rebind(fn):
    """``fn`` (a Python function from torch's test suite) with its global ``torch`` bound to
    torchlike, so the lambdas OpInfo wraps around methods (``lambda x: x.contiguous()``) or
    seeded calls (``wrapper_set_seed(torch.normal, ...)``) run torchlike's ops."""
    g = _REBOUND_GLOBALS.get(id(fn.__globals__))
    if g is None:
        g = dict(fn.__globals__)
        g["torch"] = torchlike
        _REBOUND_GLOBALS[id(fn.__globals__)] = g
    closure = fn.__closure__
    if closure is not None:
        closure = tuple(types.CellType(_rebind(c.cell_contents)
                                       if isinstance(c.cell_contents, types.FunctionType)
                                       else c.cell_contents) for c in closure)
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def counterpart(opinfo):
    """(torchlike callable or None, how it was found) for one OpInfo entry."""
    name, top = opinfo.name, opinfo.op
    if name.startswith("__") and name.endswith("__"):
        return getattr(torchlike.Tensor, name, None), "dunder"
    if top is _qualified(torch, name):
        fn = _qualified(torchlike, name)
        if fn is not None:
            return fn, "function"
        if opinfo.method_variant is not None and "." not in name:
            meth = getattr(torchlike.Tensor, name, None)
            if meth is not None:
                return meth, "method"
        return None, f"no torchlike.{name}"
    if isinstance(top, types.FunctionType):
        return _rebind(top), "wrapper"
    mname = getattr(top, "__name__", None)
    if isinstance(top, (types.MethodDescriptorType, types.WrapperDescriptorType)) and mname:
        return getattr(torchlike.Tensor, mname, None), "method"
    return None, f"unsupported callable {type(top).__name__}"  # aten OpOverloads, jiterator


def _is_random(opinfo) -> bool:
    if opinfo.name in _UNINITIALISED:
        return True
    if opinfo.name in _SEEDED_BUT_DETERMINISTIC:
        return False
    code = getattr(opinfo.op, "__code__", None)
    return code is not None and "wrapper_set_seed" in code.co_names


def _sample_is_random(opinfo, sample) -> bool:
    """Dropout-style entries are deterministic on samples with probability 0 or training=False."""
    kw = sample.kwargs
    if opinfo.name == "nn.functional.scaled_dot_product_attention":
        return kw.get("dropout_p", 0.0) != 0
    if "dropout" in opinfo.name:
        return kw.get("p", 0.5) != 0 and kw.get("training", True) is not False
    return True


def _is_missing(exc: BaseException) -> bool:
    """An AttributeError for a torchlike name (module function or Tensor method) = missing op."""
    if not isinstance(exc, AttributeError):
        return False
    msg = str(exc)
    return (msg.startswith("module 'torchlike") or "'Tensor' object has no attribute" in msg
            or "type object 'Tensor' has no attribute" in msg)


# -- converting sample inputs ----------------------------------------------------------------

def _np(t) -> np.ndarray:
    t = t.detach()
    if isinstance(t, torch.Tensor):
        if t._is_zerotensor():  # torch's efficient zero tensors (sgn's samples) have no storage
            t = torch.zeros(t.shape, dtype=t.dtype)
        t = t.resolve_conj().resolve_neg()
    if _dtype_name(t.dtype) == "bfloat16":  # numpy has no bfloat16
        t = t.float()
    return np.array(t.numpy())


def _convert(x, memo: dict):
    """torch values (tensors nested in lists/tuples/dicts, dtypes, devices) -> torchlike values."""
    if isinstance(x, torch.Tensor):
        got = memo.get(id(x))
        if got is None:
            got = torchlike.from_numpy(_np(x))
            if x.dtype == torch.bfloat16:
                got = got.to(torchlike.bfloat16)
            if x.requires_grad:
                got.requires_grad_(True)
            memo[id(x)] = got
        return got
    if isinstance(x, torch.Size):
        return tuple(x)
    if isinstance(x, list):
        return [_convert(v, memo) for v in x]
    if isinstance(x, tuple):
        return tuple(_convert(v, memo) for v in x)
    if isinstance(x, dict):
        return {k: _convert(v, memo) for k, v in x.items()}
    if isinstance(x, torch.dtype):
        return getattr(torchlike, str(x).split(".")[-1], x)
    if isinstance(x, torch.device):
        return torchlike.device(str(x))
    if isinstance(x, (torch.memory_format, torch.layout)):
        return getattr(torchlike, str(x).split(".")[-1], x)
    return x


def _leaves(x, lib_tensor, out: list) -> list:
    if isinstance(x, lib_tensor):
        if x.requires_grad and x.dtype.is_floating_point and all(x is not o for o in out):
            out.append(x)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _leaves(v, lib_tensor, out)
    elif isinstance(x, dict):
        for v in x.values():
            _leaves(v, lib_tensor, out)
    return out


# -- comparing ------------------------------------------------------------------------------

def _dtype_name(dt) -> str:
    return str(dt).split(".")[-1]


def _compare(got, want, tol, structure_only: bool, path: str = "output") -> None:
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torchlike.Tensor):
            raise _Failure(STRUCTURE, f"{path}: {type(got).__name__} instead of a Tensor")
        if tuple(got.shape) != tuple(want.shape):
            raise _Failure(SHAPE, f"{path}: shape {tuple(got.shape)} != torch's "
                                  f"{tuple(want.shape)}")
        if _dtype_name(got.dtype) != _dtype_name(want.dtype):
            raise _Failure(DTYPE, f"{path}: dtype {_dtype_name(got.dtype)} != torch's "
                                  f"{_dtype_name(want.dtype)}")
        if structure_only:
            return
        g, w = _np(got), _np(want)
        if w.dtype.kind in "biu":
            ok = np.array_equal(g, w)
        else:
            rtol, atol = tol.get(w.dtype.name, (1e-4, 1e-5))
            ok = np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
        if not ok:
            with np.errstate(invalid="ignore"):
                err = np.nanmax(np.abs(g.astype(np.complex128) - w)) if g.size else 0.0
            raise _Failure(VALUE, f"{path}: max abs error {float(err):.3g}")
        return
    if isinstance(want, (tuple, list)) and not isinstance(want, torch.Size):
        if (not isinstance(got, (tuple, list)) or isinstance(got, tuple) != isinstance(want, tuple)
                or len(got) != len(want)):
            raise _Failure(STRUCTURE, f"{path}: {type(got).__name__} != torch's "
                                      f"{type(want).__name__} of {len(want)}")
        fields = getattr(type(want), "_fields", None)
        if fields is not None and getattr(type(got), "_fields", None) != fields:
            raise _Failure(STRUCTURE, f"{path}: fields {getattr(type(got), '_fields', None)} != "
                                      f"torch's {fields}")
        for i, (g, w) in enumerate(zip(got, want)):
            _compare(g, w, tol, structure_only, f"{path}[{i}]")
        return
    if isinstance(want, torch.Size):
        want = tuple(want)
        got = tuple(got) if isinstance(got, (tuple, list)) else got
    if isinstance(want, torch.dtype):
        want = _dtype_name(want)
        got = _dtype_name(got)
    if isinstance(want, float) and isinstance(got, (int, float)) and not structure_only:
        if not (np.isclose(got, want, rtol=1e-4, atol=1e-5, equal_nan=True)
                and type(got) is type(want)):
            raise _Failure(VALUE, f"{path}: {got!r} != torch's {want!r}")
        return
    if type(got) is not type(want) and not (want is None and got is None):
        raise _Failure(STRUCTURE, f"{path}: {type(got).__name__} != torch's {type(want).__name__}")
    if not structure_only and got != want:
        raise _Failure(VALUE, f"{path}: {got!r} != torch's {want!r}")


def _flat(x) -> list:
    if isinstance(x, (tuple, list)):
        return [y for v in x for y in _flat(v)]
    return [x]


def _float_outputs(outs, lib_tensor) -> list:
    return [(i, o) for i, o in enumerate(outs)
            if isinstance(o, lib_tensor) and o.dtype.is_floating_point]


# -- running one sample ---------------------------------------------------------------------

def _exc_text(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:200]


def _run_sample(opinfo, fn, sample, seed, random: bool, do_backward: bool):
    """Returns (forward failure or None, backward failure or None, skipped: bool)."""
    memo: dict = {}
    try:
        l_in = _convert(sample.input, memo)
        l_args = _convert(sample.args, memo)
        l_kwargs = _convert(sample.kwargs, memo)
    except Exception:  # noqa: BLE001 - an input torchlike cannot represent: skip the sample
        return None, None, True
    try:
        t_out = opinfo(sample.input, *sample.args, **sample.kwargs)
    except Exception:  # noqa: BLE001 - torch rejecting its own sample: skip it
        return None, None, True
    try:
        l_out = fn(l_in, *l_args, **l_kwargs)
    except _Timeout:
        raise
    except Exception as exc:  # noqa: BLE001 - any torchlike exception is a failure
        fail = _Failure(MISSING if _is_missing(exc) else f"exception: {type(exc).__name__}",
                        _exc_text(exc))
        return fail, fail, False
    fwd = None
    try:
        _compare(l_out, t_out, FWD_TOL, random)
    except _Failure as f:
        fwd = f
    except Exception as exc:  # noqa: BLE001 - e.g. .numpy() failing on a torchlike output
        fwd = _Failure(f"exception: {type(exc).__name__}", "comparing: " + _exc_text(exc))
    if fwd is not None and fwd.reason == VALUE:
        fwd = _compare_processed(sample, l_out, t_out, random, fwd)
    bwd = _backward(sample, t_out, l_out, (l_in, l_args, l_kwargs), seed, random) \
        if do_backward else None
    return fwd, bwd, False


def _compare_processed(sample, l_out, t_out, random, fail):
    """Second chance for outputs that are unique only up to sign/phase (eigenvectors, singular
    vectors): compare them after the sample's ``output_process_fn_grad`` (e.g. ``abs``), which
    torch's own tests use for the same reason. Returns ``fail`` or None."""
    process = sample.output_process_fn_grad
    if not isinstance(process, types.FunctionType):
        return fail
    try:
        want = process(t_out)
        got = _rebind(process)(l_out)
        _compare(got, want, FWD_TOL, random)
    except Exception:  # noqa: BLE001 - the raw failure stands
        return fail
    return None


def _backward(sample, t_out, l_out, l_inputs, seed, random):
    process = sample.output_process_fn_grad
    try:
        t_proc = _flat(process(t_out))
    except Exception:  # noqa: BLE001
        return None
    t_pairs = [(i, o) for i, o in _float_outputs(t_proc, torch.Tensor) if o.requires_grad]
    t_leaves = _leaves((sample.input, sample.args, sample.kwargs), torch.Tensor, [])
    if not t_pairs or not t_leaves:
        return None
    rng = np.random.default_rng(seed)
    cts = {i: rng.standard_normal(tuple(o.shape)) for i, o in t_pairs}
    try:
        t_grads = torch.autograd.grad([o for _, o in t_pairs], t_leaves,
                                      [torch.from_numpy(cts[i]).to(o.dtype) for i, o in t_pairs],
                                      allow_unused=True)
    except Exception:  # noqa: BLE001 - torch cannot differentiate this sample: skip it
        return None
    try:
        if isinstance(process, types.FunctionType):
            process = _rebind(process)
        l_proc = _flat(process(l_out))
        if len(l_proc) != len(t_proc):
            return _Failure(STRUCTURE, f"{len(l_proc)} outputs, torch gives {len(t_proc)}")
        l_pairs = []
        for i, _ in t_pairs:
            lo = l_proc[i]
            if not isinstance(lo, torchlike.Tensor) or not lo.requires_grad:
                return _Failure(NO_GRAD, f"output {i} does not require grad")
            l_pairs.append((i, lo))
        l_leaves = _leaves(l_inputs, torchlike.Tensor, [])
        if len(l_leaves) != len(t_leaves):
            return _Failure(STRUCTURE, "differentiable inputs differ")
        l_grads = torchlike.autograd.grad(
            [lo for _, lo in l_pairs], l_leaves,
            [torchlike.from_numpy(cts[i]).to(lo.dtype) for i, lo in l_pairs],
            allow_unused=True)
    except _Timeout:
        raise
    except Exception as exc:  # noqa: BLE001
        return _Failure(MISSING if _is_missing(exc) else f"exception: {type(exc).__name__}",
                        "backward: " + _exc_text(exc))
    for k, (lg, tg) in enumerate(zip(l_grads, t_grads)):
        if tg is None:
            if lg is not None and np.any(_np(lg)):
                return _Failure(VALUE, f"grad {k}: torch gives None, torchlike nonzero")
            continue
        if lg is None:
            if np.any(_np(tg)):
                return _Failure(VALUE, f"grad {k}: torchlike gives None")
            continue
        try:
            _compare(lg, tg, BWD_TOL, random, f"grad {k}")
        except _Failure as f:
            return f
    return None


# -- the sweep ------------------------------------------------------------------------------

def _pick_dtype(opinfo):
    supported = opinfo.supported_dtypes("cpu")
    for dt in (torch.float32, torch.int64, torch.bool, torch.complex64):
        if dt in supported:
            return dt
    return None


class _Alarm:
    """Hard per-sample time limit via SIGALRM (main thread on POSIX only; a no-op elsewhere)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = (seconds > 0 and hasattr(signal, "setitimer")
                       and threading.current_thread() is threading.main_thread())

    def __enter__(self):
        if self.active:
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    @staticmethod
    def _fire(signum, frame):
        raise _Timeout()

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def run_entry(opinfo, *, max_samples: int = 8, op_time_cap: float = 3.0,
              sample_timeout: float = 30.0) -> Result:
    """Run the (capped) samples of one OpInfo entry; see the module docstring."""
    start = time.perf_counter()
    dt = _pick_dtype(opinfo)
    res = Result(opinfo.name, opinfo.variant_test_name, _dtype_name(dt) if dt else "none",
                 bool(opinfo.supports_autograd))
    do_backward = res.autograd and dt is not None and dt.is_floating_point
    res.backward = False if do_backward else None
    fn, how = counterpart(opinfo)
    if fn is None:
        res.fwd_reason = MISSING
        res.bwd_reason = MISSING if do_backward else ""
        res.message = how
        res.seconds = time.perf_counter() - start
        return res
    if dt is None:
        res.fwd_reason = "no cpu dtype"
        res.seconds = time.perf_counter() - start
        return res
    random = _is_random(opinfo)
    if random:
        res.notes.append("random: values of random samples not compared")
    fwd_fail = bwd_fail = None
    try:
        samples = opinfo.sample_inputs("cpu", dt, requires_grad=do_backward)
        for k, sample in enumerate(itertools.islice(samples, max_samples)):
            if k and time.perf_counter() - start > op_time_cap:
                res.notes.append(f"time cap after {k} samples")
                break
            seed = zlib.crc32(f"{res.full_name}/{k}".encode())
            rnd = random and _sample_is_random(opinfo, sample)
            try:
                with _Alarm(sample_timeout):
                    f, b, skipped = _run_sample(opinfo, fn, sample, seed, rnd, do_backward)
            except _Timeout:
                f = b = _Failure(TIMEOUT, f"sample {k} over {sample_timeout:.0f} s")
                skipped = False
            if skipped:
                res.skipped += 1
                continue
            res.samples += 1
            fwd_fail = fwd_fail or f
            bwd_fail = bwd_fail or b
    except Exception as exc:  # noqa: BLE001 - torch's sample generator failed
        if res.samples == 0:
            res.fwd_reason = "no samples"
            res.bwd_reason = "no samples" if do_backward else ""
            res.message = "sample_inputs: " + _exc_text(exc)
            res.seconds = time.perf_counter() - start
            return res
    if res.samples == 0:
        res.fwd_reason = "no samples"
        res.bwd_reason = "no samples" if do_backward else ""
        res.message = f"torch raised on all {res.skipped} samples" if res.skipped else ""
    else:
        res.forward = fwd_fail is None
        if fwd_fail is not None:
            res.fwd_reason, res.message = fwd_fail.reason, fwd_fail.detail
        if do_backward:
            res.backward = bwd_fail is None
            if bwd_fail is not None:
                res.bwd_reason = bwd_fail.reason
                if not res.message:
                    res.message = "backward: " + bwd_fail.detail
    res.seconds = time.perf_counter() - start
    return res


def load_op_db():
    from torch.testing._internal.common_methods_invocations import op_db
    return op_db


def sweep(ops=None, *, max_samples: int = 8, op_time_cap: float = 3.0, verbose: bool = False,
          stream=None) -> list[Result]:
    """Run every OpInfo entry (or those whose name or full name is in ``ops``)."""
    results = []
    wanted = set(ops) if ops else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for opinfo in load_op_db():
            full = (f"{opinfo.name}.{opinfo.variant_test_name}" if opinfo.variant_test_name
                    else opinfo.name)
            if wanted is not None and opinfo.name not in wanted and full not in wanted:
                continue
            res = run_entry(opinfo, max_samples=max_samples, op_time_cap=op_time_cap)
            results.append(res)
            if verbose and stream is not None:
                print(_line(res), file=stream, flush=True)
    return results


def _line(r: Result) -> str:
    bwd = {True: "pass", False: "FAIL", None: "n/a"}[r.backward]
    fwd = "pass" if r.forward else "FAIL"
    why = r.fwd_reason or r.bwd_reason
    tail = f"  [{why}] {r.message}" if why else ""
    notes = f"  ({'; '.join(r.notes)})" if r.notes else ""
    return (f"{r.full_name:45s} {r.dtype:8s} fwd {fwd}  bwd {bwd:4s}  {r.samples}/{r.skipped}"
            f"  {r.seconds:5.2f}s{tail}{notes}")


def summarize(results: list[Result]) -> dict:
    total = len(results)
    fwd = sum(r.forward for r in results)
    ad = [r for r in results if r.backward is not None]
    bwd = sum(bool(r.backward) for r in ad)
    return {
        "entries": total,
        "forward_pass": fwd,
        "forward_rate": fwd / total if total else 0.0,
        "autograd_entries": len(ad),
        "backward_pass": bwd,
        "backward_rate": bwd / len(ad) if ad else 0.0,
        "forward_failures": dict(collections.Counter(
            r.fwd_reason for r in results if not r.forward).most_common()),
        "backward_failures": dict(collections.Counter(
            r.bwd_reason for r in ad if not r.backward).most_common()),
        "failing_entries": {r.full_name: f"[{r.fwd_reason or r.bwd_reason}] {r.message}"
                            for r in results if (not r.forward or r.backward is False)
                            and MISSING not in (r.fwd_reason, r.bwd_reason)},
    }


def format_summary(s: dict, seconds: float | None = None, details: bool = False) -> str:
    """The summary as text; ``details`` adds every failing entry other than missing ops."""
    lines = [f"OpInfo entries:   {s['entries']}",
             f"forward passed:   {s['forward_pass']} ({100 * s['forward_rate']:.1f}%)",
             (f"backward passed:  {s['backward_pass']} of {s['autograd_entries']} autograd "
              f"entries ({100 * s['backward_rate']:.1f}%)")]
    if seconds is not None:
        lines.append(f"wall time:        {seconds:.0f} s")
    for key, title in (("forward_failures", "forward failures"),
                       ("backward_failures", "backward failures")):
        lines.append(f"{title} by reason:")
        lines += [f"  {n:5d}  {reason}" for reason, n in s[key].items()]
    if details:
        lines.append("failing entries (other than missing ops):")
        lines += [f"  {name}: {why}" for name, why in s["failing_entries"].items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", help="comma-separated OpInfo names (or name.variant) to run")
    p.add_argument("--samples", type=int, default=8, help="samples per entry (default 8)")
    p.add_argument("--time-cap", type=float, default=3.0,
                   help="seconds per entry after which no further samples start (default 3)")
    p.add_argument("--verbose", action="store_true", help="one line per entry")
    p.add_argument("--json", metavar="PATH", help="write per-entry results and the summary")
    a = p.parse_args(argv)
    start = time.perf_counter()
    ops = [s.strip() for s in a.ops.split(",") if s.strip()] if a.ops else None
    results = sweep(ops, max_samples=a.samples, op_time_cap=a.time_cap, verbose=a.verbose,
                    stream=sys.stdout)
    seconds = time.perf_counter() - start
    s = summarize(results)
    print(format_summary(s, seconds, details=a.verbose))
    if a.json:
        payload = {"summary": s, "seconds": seconds,
                   "results": [dict(asdict(r), full_name=r.full_name) for r in results]}
        Path(a.json).write_text(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
