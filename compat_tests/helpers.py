"""The one compat helper: run the same lambda with real torch and with torchlike, compare.

    check(lambda t, x, y: t.add(x, y, alpha=2), [randn(3, 4), randn(3, 4)])

``inputs`` are numpy arrays (or Python values); each array becomes a torch tensor and a torchlike
tensor with the same values. ``grad=True`` makes float inputs require grad, backpropagates a fixed
random cotangent through every float output, and compares the input gradients. Shapes, dtypes and
values are compared; tolerances come from a per-dtype table.
"""

from __future__ import annotations

import numpy as np
import torch

import torchlike

TOL = {  # (rtol, atol) per dtype name
    "float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2), "float32": (1.3e-5, 1e-5),
    "float64": (1e-7, 1e-7), "complex64": (1.3e-5, 1e-5), "complex128": (1e-7, 1e-7),
}

RNG = np.random.default_rng(0)


def rand_default(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def rand_positive(*shape, dtype=np.float32):
    return (RNG.random(shape) + 0.1).astype(dtype)


def rand_unit(*shape, dtype=np.float32):
    """Values in (-0.95, 0.95) for asin/atanh-style domains."""
    return (RNG.random(shape) * 1.9 - 0.95).astype(dtype)


def rand_int(*shape, low=-5, high=6, dtype=np.int64):
    return RNG.integers(low, high, shape).astype(dtype)


def rand_bool(*shape):
    return RNG.random(shape) > 0.5


def rand_some_equal(*shape, dtype=np.float32):
    """Few distinct values, so ties are common (max/min/sort/median subgradients)."""
    return RNG.integers(-2, 3, shape).astype(dtype)


def _to(lib, x, requires_grad):
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        if lib is torch:
            t = torch.from_numpy(np.array(x))
        else:
            t = torchlike.from_numpy(np.array(x))
        if requires_grad and x.dtype.kind in "fc":
            t.requires_grad_(True)
        return t
    if isinstance(x, list) and x and all(isinstance(v, np.ndarray) for v in x):
        return [_to(lib, v, requires_grad) for v in x]
    return x


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _np(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    if isinstance(t, torchlike.Tensor):
        t = t.detach()
        if t.dtype == torchlike.bfloat16:
            t = t.float()
        return t.numpy()
    return np.asarray(t)


def assert_close(got, want, dtype_name=None, rtol=None, atol=None, what="value"):
    g, w = _np(got), _np(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != torch's {w.shape}"
    if g.dtype.kind in "biu" or w.dtype.kind in "biu":
        np.testing.assert_array_equal(g, w, err_msg=what)
        return
    r, a = TOL.get(dtype_name or str(w.dtype), (1.3e-5, 1e-5))
    np.testing.assert_allclose(g, w, rtol=rtol or r, atol=atol or a, equal_nan=True, err_msg=what)


def check(fn, inputs, *, grad=True, rtol=None, atol=None, check_dtype=True):
    """Compare ``fn(torch, *inputs)`` with ``fn(torchlike, *inputs)``: shapes, dtypes, values, and
    (if ``grad``) the gradients of every float input."""
    t_in = [_to(torch, x, grad) for x in inputs]
    l_in = [_to(torchlike, x, grad) for x in inputs]
    t_out = _flat(fn(torch, *t_in))
    l_out = _flat(fn(torchlike, *l_in))
    assert len(t_out) == len(l_out), f"{len(l_out)} outputs, torch gives {len(t_out)}"
    for i, (lo, to) in enumerate(zip(l_out, t_out)):
        if isinstance(to, torch.Tensor):
            assert isinstance(lo, torchlike.Tensor), f"output {i}: {type(lo)} is not a Tensor"
            if check_dtype:
                assert str(lo.dtype) == str(to.dtype), f"output {i}: dtype {lo.dtype} != {to.dtype}"
            assert tuple(lo.shape) == tuple(to.shape), f"output {i}: shape {lo.shape} != {to.shape}"
            assert_close(lo, to, str(to.dtype)[6:], rtol, atol, what=f"output {i}")
        else:
            assert lo == to, f"output {i}: {lo!r} != torch's {to!r}"
    if not grad:
        return
    t_leaves = [t for t in _flat(t_in) if isinstance(t, torch.Tensor) and t.requires_grad]
    l_leaves = [t for t in _flat(l_in) if isinstance(t, torchlike.Tensor) and t.requires_grad]
    pairs = [(lo, to) for lo, to in zip(l_out, t_out)
             if isinstance(to, torch.Tensor) and to.requires_grad]
    if not t_leaves or not pairs:
        return
    cts = [rand_default(*to.shape, dtype=np.float64) for _, to in pairs]
    t_loss = sum(_real((to * torch.from_numpy(c).to(to.dtype)).sum()) for (_, to), c in
                 zip(pairs, cts))
    l_loss = sum(_real((lo * torchlike.from_numpy(c).to(lo.dtype)).sum()) for (lo, _), c in
                 zip(pairs, cts))
    t_g = torch.autograd.grad(t_loss, t_leaves, allow_unused=True)
    l_g = torchlike.autograd.grad(l_loss, l_leaves, allow_unused=True)
    for i, (lg, tg) in enumerate(zip(l_g, t_g)):
        if tg is None:
            assert lg is None or not np.any(_np(lg)), f"grad {i}: torch gives None"
            continue
        assert lg is not None, f"grad {i}: torchlike gives None, torch does not"
        assert_close(lg, tg, str(tg.dtype)[6:], rtol, atol, what=f"grad {i}")


def _real(t):
    return t.real if t.is_complex() else t


def check_error(fn, inputs=(), *, match_message=False):
    """Both libraries raise the same exception class (and, optionally, the same message)."""
    t_in = [_to(torch, x, False) for x in inputs]
    l_in = [_to(torchlike, x, False) for x in inputs]
    try:
        fn(torch, *t_in)
    except Exception as e:  # noqa: BLE001 - we compare whatever torch raises
        t_exc = e
    else:
        raise AssertionError("torch raised nothing")
    try:
        fn(torchlike, *l_in)
    except Exception as e:  # noqa: BLE001
        l_exc = e
    else:
        raise AssertionError(f"torchlike raised nothing; torch raised {type(t_exc).__name__}: "
                             f"{t_exc}")
    assert type(l_exc) is type(t_exc) or isinstance(l_exc, type(t_exc)), (
        f"torchlike raised {type(l_exc).__name__}: {l_exc}; torch raised "
        f"{type(t_exc).__name__}: {t_exc}")
    if match_message:
        assert str(l_exc) == str(t_exc), f"message {str(l_exc)!r} != torch's {str(t_exc)!r}"


def check_same(fn, *, rtol=None, atol=None):
    """Run ``fn(torch)`` and ``fn(torchlike)`` and compare the results recursively: Tensors by
    dtype, shape, values and requires_grad; tuples/lists/dicts element-wise; anything else (strings,
    numbers, None, types' names) with ``==``. Returns the torchlike result."""
    want = fn(torch)
    got = fn(torchlike)
    _same(got, want, rtol, atol, "result")
    return got


def _same(got, want, rtol, atol, where):
    if isinstance(want, torch.Tensor):
        assert isinstance(got, torchlike.Tensor), f"{where}: {type(got).__name__} is not a Tensor"
        assert str(got.dtype) == str(want.dtype), f"{where}: dtype {got.dtype} != {want.dtype}"
        assert tuple(got.shape) == tuple(want.shape), f"{where}: shape {got.shape} != {want.shape}"
        assert got.requires_grad == want.requires_grad, (
            f"{where}: requires_grad {got.requires_grad} != {want.requires_grad}")
        assert_close(got, want, str(want.dtype)[6:], rtol, atol, what=where)
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), (
            f"{where}: {got!r} != torch's {want!r}")
        for i, (g, w) in enumerate(zip(got, want)):
            _same(g, w, rtol, atol, f"{where}[{i}]")
    elif isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), f"{where}: {got} != {want}"
        for k in want:
            _same(got[k], want[k], rtol, atol, f"{where}[{k!r}]")
    else:
        assert got == want, f"{where}: {got!r} != torch's {want!r}"


def check_module(make, inputs, *, call=None, steps=1, rtol=1e-5, atol=1e-5, check_repr=True):
    """Build ``make(torch.nn)`` and ``make(torchlike.nn)``, copy torch's state_dict into the
    torchlike module, then compare reprs, state_dict keys, parameter names, and for ``steps``
    forward/backward passes of ``call(module, *tensors)`` (default ``module(*tensors)``): outputs,
    input gradients, parameter gradients and buffers (running statistics). Returns both modules."""
    tm, lm = make(torch.nn), make(torchlike.nn)
    if check_repr:
        assert repr(lm) == repr(tm)
    assert list(lm.state_dict().keys()) == list(tm.state_dict().keys())
    assert [n for n, _ in lm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    sd = {k: torchlike.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    lm.load_state_dict(sd)
    call = call or (lambda m, *xs: m(*xs))
    for _ in range(steps):
        t_in = [_to(torch, x, True) for x in inputs]
        l_in = [_to(torchlike, x, True) for x in inputs]
        t_out = [o for o in _flat(call(tm, *t_in)) if o is not None]
        l_out = [o for o in _flat(call(lm, *l_in)) if o is not None]
        assert len(t_out) == len(l_out), f"{len(l_out)} outputs, torch gives {len(t_out)}"
        for i, (lo, to) in enumerate(zip(l_out, t_out)):
            assert str(lo.dtype) == str(to.dtype), f"output {i}: dtype {lo.dtype} != {to.dtype}"
            assert_close(lo, to, rtol=rtol, atol=atol, what=f"output {i}")
        pairs = [(lo, to) for lo, to in zip(l_out, t_out) if to.requires_grad]
        if pairs:
            cts = [rand_default(*to.shape) for _, to in pairs]
            sum((to * torch.from_numpy(c)).sum() for (_, to), c in zip(pairs, cts)).backward()
            sum((lo * torchlike.from_numpy(c)).sum() for (lo, _), c in zip(pairs, cts)).backward()
        for i, (lx, tx) in enumerate(zip(_flat(l_in), _flat(t_in))):
            if isinstance(tx, torch.Tensor) and tx.grad is not None:
                assert_close(lx.grad, tx.grad, rtol=rtol, atol=atol, what=f"input grad {i}")
        for (n, lp), (_, tp) in zip(lm.named_parameters(), tm.named_parameters()):
            if tp.grad is None:
                assert lp.grad is None or not np.any(_np(lp.grad)), f"grad of {n}"
                continue
            assert_close(lp.grad, tp.grad, rtol=rtol, atol=atol, what=f"grad of {n}")
            tp.grad = None
            lp.grad = None
        for (n, lb), (_, tb) in zip(lm.named_buffers(), tm.named_buffers()):
            assert str(lb.dtype) == str(tb.dtype), f"buffer {n}: dtype {lb.dtype} != {tb.dtype}"
            assert_close(lb, tb, rtol=rtol, atol=atol, what=f"buffer {n}")
    return tm, lm
