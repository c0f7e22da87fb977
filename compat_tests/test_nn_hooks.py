"""Module full backward hooks and backward pre-hooks against torch: what the hooks see, gradient
replacement, ordering, removal, no-grad inputs, and errors."""

import warnings

import numpy as np
import pytest
import torch
from helpers import check_error, rand_default

import torchlike


def _np(v):
    return None if v is None else v.detach().numpy().copy()


def _run(t, scenario):
    """Build, hook and backprop one scenario with library ``t``; return everything observed."""
    t.manual_seed(0)
    rng = np.random.default_rng(0)

    def rand_default(*shape):
        return rng.standard_normal(shape).astype(np.float32)
    log = []
    x = t.from_numpy(rand_default(4, 3)).requires_grad_()
    if scenario == "bilinear_one_input_grad":
        m = t.nn.Bilinear(3, 2, 5)
        m.weight.data = t.from_numpy(rand_default(5, 3, 2))
        x2 = t.from_numpy(rand_default(4, 2))
        hooked = m
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append(("full", [_np(g) for g in gi], [_np(g) for g in go])))
        out = m(x, x2)
    else:
        m = t.nn.Sequential(t.nn.Linear(3, 6), t.nn.Tanh(), t.nn.Linear(6, 2))
        with t.no_grad():
            for p in m.parameters():
                p.copy_(t.from_numpy(rand_default(*p.shape)))
        hooked = m[0] if scenario.startswith("inner") else m
        handles = [
            hooked.register_full_backward_pre_hook(
                lambda mod, go: log.append(("pre", [_np(g) for g in go]))),
            hooked.register_full_backward_hook(
                lambda mod, gi, go: log.append(("full", [_np(g) for g in gi],
                                                [_np(g) for g in go]))),
        ]
        if scenario.endswith("scale_grad_input"):
            hooked.register_full_backward_hook(lambda mod, gi, go: tuple(g * 2 for g in gi))
        if scenario.endswith("replace_grad_output"):
            hooked.register_full_backward_pre_hook(lambda mod, go: (go[0] * -3,),
                                                   prepend=True)
        if scenario == "removed":
            for h in handles:
                h.remove()
        if scenario == "prepend_order":
            hooked.register_full_backward_hook(lambda mod, gi, go: log.append(("first",)),
                                               prepend=True)
        if scenario == "no_input_grad":
            x = x.detach()
        out = m(x)
    if scenario == "no_grad_forward":
        with t.no_grad():
            out = m(x)
        return [log, out.requires_grad]
    if hooked is m and scenario != "removed":
        assert type(out.grad_fn).__name__ == "BackwardHookFunctionBackward"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (out * t.from_numpy(rand_default(*out.shape))).sum().backward()
    params = [_np(p.grad) for p in hooked.parameters()]
    return [log, _np(x.grad) if x.requires_grad else None, params,
            [str(w.message) for w in caught]]


def _same(a, b, path="result"):
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (u, v) in enumerate(zip(a, b)):
            _same(u, v, f"{path}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert a is not None and b is not None, f"{path}: {a!r} vs torch's {b!r}"
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=path)
    else:
        assert a == b, f"{path}: {a!r} vs torch's {b!r}"


@pytest.mark.parametrize("scenario", [
    "observe", "inner_observe", "scale_grad_input", "inner_scale_grad_input",
    "replace_grad_output", "removed", "prepend_order", "no_input_grad",
    "bilinear_one_input_grad", "no_grad_forward",
])
def test_full_backward_hooks(scenario):
    _same(_run(torchlike, scenario), _run(torch, scenario))


def _bad_hook(t, x, kind):
    m = t.nn.Linear(3, 2)
    if kind == "grad_input":
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    elif kind == "grad_output":
        m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    else:
        x = x.detach()
        m.register_full_backward_hook(lambda mod, gi, go: (go[0],))
        m.weight.requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m(x).sum().backward()


@pytest.mark.parametrize("kind", ["grad_input", "grad_output", "no_input_grad_returns"])
def test_backward_hook_errors(kind):
    def fn(t, x):
        return _bad_hook(t, x.requires_grad_(), kind)
    check_error(fn, [rand_default(2, 3)], match_message=True)
