"""torchlike.amp / torchlike.cuda.amp / torchlike.backends against torch 2.13 (CPU)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch
from helpers import check, check_error, rand_default, rand_int

import torchlike

BF16_TOL = {"rtol": 3e-2, "atol": 3e-2}


def _in_autocast(fn, **kw):
    def run(t, *xs):
        with t.autocast("cpu", **kw):
            return fn(t, *xs)
    return run


def _F(t):
    return t.nn.functional


X, W, B = rand_default(4, 5), rand_default(3, 5), rand_default(3)
SQ = rand_default(4, 4)
LOGITS, TARGET = rand_default(6, 5), rand_int(6, low=0, high=5)

# (id, fn(t, *inputs), inputs): every output dtype, value and input gradient must match torch.
AUTOCAST_CASES = [
    ("linear", lambda t, x, w, b: _F(t).linear(x, w, b), [X, W, B]),
    ("matmul", lambda t, a, b: a @ b, [SQ, SQ]),
    ("mm", lambda t, a, b: t.mm(a, b), [SQ, SQ]),
    ("bmm", lambda t, a: t.bmm(a[None], a[None]), [SQ]),
    ("addmm", lambda t, a: t.addmm(a, a, a), [SQ]),
    ("baddbmm", lambda t, a: t.baddbmm(a[None], a[None], a[None]), [SQ]),
    ("einsum", lambda t, a: t.einsum("ij,jk->ik", a, a), [SQ]),
    ("mv_not_listed_on_cpu", lambda t, a: t.mv(a, a[0]), [SQ]),
    ("relu", lambda t, x: _F(t).relu(x), [X]),
    ("relu_of_linear", lambda t, x, w: _F(t).relu(_F(t).linear(x, w)), [X, W]),
    ("add_mixed", lambda t, x, w: _F(t).linear(x, w) + x[:, :3], [X, W]),
    ("softmax", lambda t, x: _F(t).softmax(x, dim=-1), [X]),
    ("softmax_of_bf16", lambda t, x, w: _F(t).softmax(_F(t).linear(x, w), dim=-1), [X, W]),
    ("log_softmax", lambda t, x: _F(t).log_softmax(x, dim=1), [X]),
    ("sum", lambda t, x: x.sum(), [X]),
    ("sum_of_bf16", lambda t, x, w: _F(t).linear(x, w).sum(), [X, W]),
    ("exp", lambda t, x: t.exp(x), [X]),
    ("cross_entropy", lambda t, x, y: _F(t).cross_entropy(x, y), [LOGITS, TARGET]),
    ("cross_entropy_of_bf16", lambda t, x, w, y: _F(t).cross_entropy(_F(t).linear(x, w), y[:4]),
     [X, W, rand_int(4, low=0, high=3)]),
    ("nll_loss_of_bf16", lambda t, x, w, y: _F(t).nll_loss(_F(t).linear(x, w), y[:4]),
     [X, W, rand_int(4, low=0, high=3)]),
    ("mse_loss_of_bf16", lambda t, x, w: _F(t).mse_loss(_F(t).linear(x, w), x[:, :3]), [X, W]),
    ("prod_of_bf16", lambda t, x, w: _F(t).linear(x, w).prod(), [X * 0.5, W]),
    ("float64_not_eligible", lambda t, a, b: t.mm(a, b),
     [SQ.astype(np.float64), SQ.astype(np.float64)]),
    ("int_inputs_untouched", lambda t, a: t.mm(a, a), [rand_int(3, 3)]),
]


@pytest.mark.parametrize("fn, inputs", [pytest.param(f, i, id=n) for n, f, i in AUTOCAST_CASES])
def test_autocast_ops_match_torch(fn, inputs):
    check(_in_autocast(fn), inputs, **BF16_TOL)


def test_autocast_float16_on_cpu():
    def fn(t, x, w):
        with t.autocast("cpu", dtype=t.float16):
            return _F(t).linear(x, w), _F(t).mse_loss(_F(t).linear(x, w), x[:, :3])
    check(fn, [X, W], **BF16_TOL)


def test_gradients_keep_parameter_dtype():
    """The cast happens inside the op: fp32 leaves get fp32 gradients (torch: ToCopyBackward)."""
    res = {}
    for lib in (torch, torchlike):
        x = lib.tensor(X)
        lin = lib.nn.Linear(5, 3)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(W))
            lin.bias.copy_(lib.tensor(B))
        with lib.autocast("cpu"):
            out = lin(x)
            loss = lib.nn.functional.cross_entropy(out, lib.tensor([0, 1, 2, 0]))
        assert str(out.dtype) == "torch.bfloat16" and str(loss.dtype) == "torch.float32"
        loss.backward()
        assert str(lin.weight.grad.dtype) == "torch.float32"
        assert str(lin.bias.grad.dtype) == "torch.float32"
        res[lib] = (loss.item(), lin.weight.grad.numpy(), lin.bias.grad.numpy())
    np.testing.assert_allclose(res[torchlike][0], res[torch][0], **BF16_TOL)
    np.testing.assert_allclose(res[torchlike][1], res[torch][1], **BF16_TOL)
    np.testing.assert_allclose(res[torchlike][2], res[torch][2], **BF16_TOL)


def _out_dtypes(lib, body):
    return [str(d) for d in body(lib)]


@pytest.mark.parametrize("body", [
    pytest.param(lambda t: [t.mm(t.ones(2, 2), t.ones(2, 2)).dtype], id="outside"),
    pytest.param(lambda t: _nested(t), id="nested_disable"),
    pytest.param(lambda t: _decorated(t), id="decorator"),
    pytest.param(lambda t: _inplace(t), id="inplace_not_autocast"),
    pytest.param(lambda t: _explicit_dtype(t), id="explicit_dtype_not_autocast"),
    pytest.param(lambda t: _cuda_region_on_cpu_tensors(t), id="cuda_region_disabled_on_cpu"),
])
def test_autocast_regions(body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _out_dtypes(torchlike, body) == _out_dtypes(torch, body)


def _nested(t):
    a = t.ones(2, 2)
    with t.autocast("cpu"):
        r1 = t.mm(a, a).dtype
        with t.autocast("cpu", enabled=False):
            r2 = t.mm(a, a).dtype
        r3 = t.mm(a, a).dtype
    return [r1, r2, r3, t.mm(a, a).dtype]


def _decorated(t):
    @t.autocast("cpu")
    def f(a):
        return t.mm(a, a), t.is_autocast_enabled("cpu")
    out, on = f(t.ones(2, 2))
    return [out.dtype, on, t.is_autocast_enabled("cpu")]


def _inplace(t):
    a = t.ones(2, 2)
    with t.autocast("cpu"):
        return [a.clone().addmm_(a, a).dtype]


def _explicit_dtype(t):
    with t.autocast("cpu"):
        b = t.mm(t.ones(2, 2), t.ones(2, 2))
        return [b.sum(dtype=t.float64).dtype, t.nn.functional.softmax(b, -1, dtype=t.float32).dtype]


def _cuda_region_on_cpu_tensors(t):
    with t.autocast("cuda"):
        return [t.mm(t.ones(2, 2), t.ones(2, 2)).dtype, t.is_autocast_enabled()]


@pytest.mark.parametrize("fn", [
    pytest.param(lambda t: [t.is_autocast_enabled(), t.is_autocast_enabled("cpu"),
                            t.get_autocast_dtype("cpu"), t.get_autocast_dtype("cuda")],
                 id="defaults"),
    pytest.param(lambda t: _state_inside(t, "cpu", None), id="state_inside_cpu"),
    pytest.param(lambda t: _state_inside(t, "cpu", t.float16), id="state_inside_cpu_fp16"),
    pytest.param(lambda t: t.amp.is_autocast_available("cpu"), id="available"),
])
def test_autocast_state(fn):
    assert repr(fn(torchlike)) == repr(fn(torch))


def _state_inside(t, dev, dtype):
    with t.autocast(dev, dtype=dtype):
        inside = [t.is_autocast_enabled(dev), t.get_autocast_dtype(dev)]
    return inside + [t.is_autocast_enabled(dev), t.get_autocast_dtype(dev)]


@pytest.mark.parametrize("fn", [
    pytest.param(lambda t: t.autocast(1), id="device_not_str"),
    pytest.param(lambda t: t.autocast("foo"), id="bad_device"),
])
def test_autocast_errors(fn):
    check_error(fn, match_message=True)


def _warnings(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category.__name__, str(x.message)) for x in w]


@pytest.mark.parametrize("fn", [
    pytest.param(lambda t: t.autocast("cpu", dtype=t.float32), id="cpu_unsupported_dtype"),
    pytest.param(lambda t: t.autocast("cuda"), id="cuda_without_gpu"),
    pytest.param(lambda t: t.cuda.amp.autocast(), id="cuda_amp_autocast_deprecated"),
    pytest.param(lambda t: t.cuda.amp.GradScaler(), id="cuda_amp_gradscaler_deprecated"),
    pytest.param(lambda t: t.amp.GradScaler(), id="gradscaler_cuda_without_gpu"),
])
def test_warnings_match_torch(fn):
    if torchlike.cuda.is_available():
        pytest.skip("the no-CUDA warnings need a machine without a GPU")
    assert _warnings(lambda: fn(torchlike)) == _warnings(lambda: fn(torch))


def test_cuda_amp_autocast_is_disabled_without_gpu():
    if torchlike.cuda.is_available():
        pytest.skip("needs a machine without a GPU")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in (torch, torchlike):
            with lib.cuda.amp.autocast():
                assert not lib.is_autocast_enabled()
                assert str(lib.mm(lib.ones(2, 2), lib.ones(2, 2)).dtype) == "torch.float32"


# -- GradScaler ------------------------------------------------------------------------------------

def _train(lib, *, device="cpu", steps=8, inf_steps=(2, 5), unscale_and_clip=False, **kw):
    """A linear model trained with SGD under a GradScaler; every step records scale, tracker,
    whether the optimizer stepped, and the parameters."""
    gen = np.random.default_rng(1)
    xs = [gen.standard_normal((4, 3)).astype(np.float32) for _ in range(steps)]
    model = lib.nn.Linear(3, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(gen.standard_normal((2, 3)).astype(np.float32)))
        model.bias.copy_(lib.tensor(gen.standard_normal(2).astype(np.float32)))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler(device, **kw)
    log = []
    for i, x in enumerate(xs):
        opt.zero_grad()
        loss = model(lib.tensor(x)).pow(2).mean()
        scaler.scale(loss).backward()
        if i in inf_steps:
            with lib.no_grad():
                model.weight.grad[0, 0] = float("inf") if i % 2 else float("nan")
        if unscale_and_clip:
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        scaler.step(opt)
        scaler.update()
        log.append((scaler.get_scale(), scaler._get_growth_tracker(),
                    model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy()))
    return log, scaler


@pytest.mark.parametrize("kw", [
    pytest.param({"growth_interval": 2}, id="growth"),
    pytest.param({"growth_interval": 3, "init_scale": 1024.0, "growth_factor": 4.0,
                  "backoff_factor": 0.25}, id="custom_factors"),
    pytest.param({"growth_interval": 2, "unscale_and_clip": True}, id="unscale_clip"),
    pytest.param({"growth_interval": 2, "enabled": False}, id="disabled"),
])
def test_gradscaler_training_matches_torch(kw):
    got, _ = _train(torchlike, **kw)
    want, _ = _train(torch, **kw)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g[:2] == w[:2], f"step {i}: (scale, tracker) {g[:2]} != torch's {w[:2]}"
        np.testing.assert_allclose(g[2], w[2], rtol=1e-5, atol=1e-6, err_msg=f"step {i} weight")
        np.testing.assert_allclose(g[3], w[3], rtol=1e-5, atol=1e-6, err_msg=f"step {i} bias")


def test_gradscaler_state_dict_roundtrip():
    _, s_l = _train(torchlike, growth_interval=3)
    _, s_t = _train(torch, growth_interval=3)
    sd = s_l.state_dict()
    assert sd == s_t.state_dict()
    assert list(sd) == ["scale", "growth_factor", "backoff_factor", "growth_interval",
                        "_growth_tracker"]
    fresh = torchlike.amp.GradScaler("cpu")
    fresh.load_state_dict(sd)
    assert fresh.state_dict() == sd
    clone = pickle.loads(pickle.dumps(s_l))
    assert clone.state_dict() == sd
    for lib in (torch, torchlike):
        with pytest.raises(RuntimeError, match="The source state dict is empty"):
            lib.amp.GradScaler("cpu").load_state_dict({})


def _scaled(t):
    s = t.amp.GradScaler("cpu", init_scale=8.0)
    a = t.ones(2)
    out = s.scale([a, (a * 2, [a])])
    return [type(out).__name__, type(out[1]).__name__, out[0], out[1][0], out[1][1][0], s.scale(a)]


def _update_new_scale(t):
    s = t.amp.GradScaler("cpu", init_scale=8.0)
    s.scale(t.ones(()))
    s.update(new_scale=2.0)
    a = s.get_scale()
    s.update(new_scale=t.tensor(32.0))
    return [a, s.get_scale(), s._get_growth_tracker(), s.is_enabled()]


def _disabled(t):
    s = t.amp.GradScaler("cpu", enabled=False)
    a = t.ones(2)
    return [s.scale(a) is a, s.get_scale(), s.state_dict(), s.is_enabled(), s.unscale_(None)]


@pytest.mark.parametrize("fn", [
    pytest.param(_scaled, id="scale_nested"),
    pytest.param(_update_new_scale, id="update_new_scale"),
    pytest.param(_disabled, id="disabled"),
])
def test_gradscaler_api(fn):
    got, want = fn(torchlike), fn(torch)
    assert repr([type(v).__name__ for v in got]) == repr([type(v).__name__ for v in want])
    for g, w in zip(got, want):
        if isinstance(w, torch.Tensor):
            assert str(g.dtype) == str(w.dtype)
            np.testing.assert_array_equal(g.numpy(), w.numpy())
        else:
            assert g == w


def _one_step(t, *, twice_unscale=False, twice_step=False, unscale_after_step=False,
              no_scale=False, fp16=False, bad_output=False):
    model = t.nn.Linear(2, 1)
    if fp16:
        model = model.half()
    opt = t.optim.SGD(model.parameters(), lr=0.1)
    s = t.amp.GradScaler("cpu")
    if bad_output:
        s.scale(3)
    if no_scale:
        s.step(opt)
    s.scale(model(t.ones(1, 2, dtype=model.weight.dtype)).sum()).backward()
    s.unscale_(opt)
    if twice_unscale:
        s.unscale_(opt)
    s.step(opt)
    if unscale_after_step:
        s.unscale_(opt)
    if twice_step:
        s.step(opt)


@pytest.mark.parametrize("kw", [
    pytest.param({"twice_unscale": True}, id="unscale_twice"),
    pytest.param({"twice_step": True}, id="step_twice"),
    pytest.param({"unscale_after_step": True}, id="unscale_after_step"),
    pytest.param({"no_scale": True}, id="step_before_scale"),
    pytest.param({"fp16": True}, id="fp16_grads"),
    pytest.param({"bad_output": True}, id="scale_non_tensor"),
])
def test_gradscaler_errors(kw):
    check_error(lambda t: _one_step(t, **kw), match_message=True)


def test_gradscaler_factor_checks():
    for kw in ({"growth_factor": 1.0}, {"backoff_factor": 1.0}):
        check_error(lambda t, kw=kw: t.amp.GradScaler("cpu", **kw), match_message=True)


# -- backends --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    pytest.param(lambda t: [t.backends.cudnn.enabled, t.backends.cudnn.benchmark,
                            t.backends.cudnn.deterministic, t.backends.cudnn.allow_tf32],
                 id="cudnn_defaults"),
    pytest.param(lambda t: [t.backends.cuda.matmul.allow_tf32,
                            t.backends.cuda.matmul.allow_fp16_reduced_precision_reduction],
                 id="cuda_matmul_defaults"),
    pytest.param(lambda t: [t.backends.mps.is_available(), t.backends.mps.is_built()], id="mps"),
])
def test_backends_flags(fn):
    assert fn(torchlike) == fn(torch)


def test_backends_flags_are_settable_and_importable():
    import torchlike.backends.cudnn as cudnn  # noqa: PLR0402 - the form scripts use
    assert cudnn is torchlike.backends.cudnn
    try:
        cudnn.benchmark = True
        torchlike.backends.cudnn.deterministic = True
        torchlike.backends.cuda.matmul.allow_tf32 = True
        assert torchlike.backends.cudnn.benchmark and cudnn.deterministic
        assert torchlike.backends.cuda.matmul.allow_tf32
    finally:
        cudnn.benchmark = cudnn.deterministic = False
        torchlike.backends.cuda.matmul.allow_tf32 = False


# -- custom autograd Functions -------------------------------------------------------------------

def _custom_fn_dtypes(t, cast_inputs):
    class MyMM(t.autograd.Function):
        @staticmethod
        @t.amp.custom_fwd(device_type="cpu", cast_inputs=cast_inputs)
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a.mm(b)

        @staticmethod
        @t.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ctx.seen = (g.mm(b.t()).dtype, t.is_autocast_enabled("cpu"))
            return g.mm(b.t()), a.t().mm(g)

    a = t.ones(2, 2, requires_grad=True)
    with t.autocast("cpu"):
        out = MyMM.apply(a, t.ones(2, 2))
    out.float().sum().backward()
    return [out.dtype, out.grad_fn.seen, a.grad.dtype]


@pytest.mark.parametrize("cast_inputs", [None, "float32"])
def test_custom_fwd_bwd(cast_inputs):
    def run(t):
        return repr(_custom_fn_dtypes(t, cast_inputs and getattr(t, cast_inputs)))
    assert run(torchlike) == run(torch)
