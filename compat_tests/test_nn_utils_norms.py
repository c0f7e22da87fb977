"""nn.utils.weight_norm / spectral_norm (torch's hook-based API) against torch: torch's module
state (including spectral_norm's random ``weight_u``/``weight_v``) is copied in, then outputs,
input and parameter gradients, state_dict keys and buffers (the power-iteration vectors) are
compared over several forwards, in train and eval mode, and after ``remove_*``."""

import numpy as np
import pytest
import torch

import torchlike
from compat_tests.helpers import _np, assert_close, check_error, check_module, rand_default

pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm` is deprecated:FutureWarning")


def _wn(make, **kw):
    return lambda nn: nn.utils.weight_norm(make(nn), **kw)


def _sn(make, eval_mode=False, **kw):
    def build(nn):
        m = nn.utils.spectral_norm(make(nn), **kw)
        if eval_mode:
            # Converge u/v first (training-mode hook calls): the random ones drawn at
            # registration can give sigma near 0 and ill-conditioned outputs.
            (hook,) = m._forward_pre_hooks.values()
            for _ in range(20):
                hook(m, ())
            m.eval()
        return m
    return build


def _lin(nn):
    return nn.Linear(5, 4)


def _conv(nn):
    return nn.Conv2d(3, 4, 3)


def _convt(nn):
    return nn.ConvTranspose2d(3, 4, 3)


X_LIN = rand_default(2, 5)
X_CONV = rand_default(2, 3, 6, 6)

WEIGHT_NORM = {
    "linear_dim0": (_wn(_lin), X_LIN),
    "linear_dim1": (_wn(_lin, dim=1), X_LIN),
    "linear_dim_none": (_wn(_lin, dim=None), X_LIN),
    "linear_dim_minus1_is_whole": (_wn(_lin, dim=-1), X_LIN),
    "linear_bias": (_wn(_lin, name="bias"), X_LIN),
    "conv2d_dim0": (_wn(_conv), X_CONV),
    "conv2d_dim2": (_wn(_conv, dim=2), X_CONV),
    "conv2d_dim_minus2": (_wn(_conv, dim=-2), X_CONV),
    "convtranspose2d_dim1": (_wn(_convt, dim=1), X_CONV),
    "conv1d": (_wn(lambda nn: nn.Conv1d(3, 2, 2)), rand_default(2, 3, 5)),
}

SPECTRAL_NORM = {
    "linear": (_sn(_lin), X_LIN),
    "linear_3_iters": (_sn(_lin, n_power_iterations=3), X_LIN),
    "linear_eps": (_sn(_lin, eps=1e-3), X_LIN),
    "linear_dim1": (_sn(_lin, dim=1), X_LIN),
    "linear_eval": (_sn(_lin, eval_mode=True), X_LIN),
    "conv2d": (_sn(_conv), X_CONV),
    "conv2d_eval": (_sn(_conv, eval_mode=True), X_CONV),
    "convtranspose2d_default_dim1": (_sn(_convt), X_CONV),
    "conv1d_dim2": (_sn(lambda nn: nn.Conv1d(3, 2, 2), dim=2), rand_default(2, 3, 5)),
    "embedding": (_sn(lambda nn: nn.Embedding(6, 3)), np.array([[0, 5, 2]], np.int64)),
}


@pytest.mark.parametrize("name", list(WEIGHT_NORM))
def test_weight_norm_module(name):
    make, x = WEIGHT_NORM[name]
    tm, lm = check_module(make, [x], steps=2)
    assert [n for n, _ in lm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for n, p in tm.named_parameters():
        assert tuple(dict(lm.named_parameters())[n].shape) == tuple(p.shape), n


@pytest.mark.parametrize("name", list(SPECTRAL_NORM))
def test_spectral_norm_module(name):
    make, x = SPECTRAL_NORM[name]
    # Gradients through 1/sigma reach ~40 in magnitude: float32 cancellation needs atol 1e-4.
    tm, lm = check_module(make, [x], steps=3, atol=1e-4)
    assert [n for n, _ in lm.named_buffers()] == [n for n, _ in tm.named_buffers()]


def _pair(make):
    """Both modules, torch's state (parameters and u/v buffers) copied into torchlike's."""
    tm, lm = make(torch.nn), make(torchlike.nn)
    lm.load_state_dict({k: torchlike.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    return tm, lm


def _forward_both(tm, lm, x):
    out_t = tm(torch.from_numpy(x))
    out_l = lm(torchlike.from_numpy(x))
    assert_close(out_l, out_t, rtol=1e-5, atol=1e-5)


def _compare_state(tm, lm):
    t_sd, l_sd = tm.state_dict(), lm.state_dict()
    assert list(l_sd.keys()) == list(t_sd.keys())
    for k in t_sd:
        assert_close(l_sd[k], t_sd[k], rtol=1e-5, atol=1e-6, what=k)


@pytest.mark.parametrize("make", [_wn(_lin), _wn(_conv, dim=None)], ids=["linear", "conv_none"])
def test_remove_weight_norm(make):
    tm, lm = _pair(make)
    x = X_LIN if tm.weight_v.ndim == 2 else X_CONV
    _forward_both(tm, lm, x)
    with torch.no_grad():
        tm.weight_g.mul_(1.5)
    with torchlike.no_grad():
        lm.weight_g.mul_(1.5)
    torch.nn.utils.remove_weight_norm(tm)
    torchlike.nn.utils.remove_weight_norm(lm)
    assert isinstance(lm.weight, torchlike.nn.Parameter)
    assert not hasattr(lm, "weight_g") and not hasattr(lm, "weight_v")
    assert not lm._forward_pre_hooks
    _compare_state(tm, lm)
    _forward_both(tm, lm, x)


@pytest.mark.parametrize("train_steps", [0, 2])
def test_remove_spectral_norm(train_steps):
    tm, lm = _pair(_sn(_conv))
    for _ in range(train_steps):
        _forward_both(tm, lm, X_CONV)
    torch.nn.utils.remove_spectral_norm(tm)
    torchlike.nn.utils.remove_spectral_norm(lm)
    assert isinstance(lm.weight, torchlike.nn.Parameter)
    assert not hasattr(lm, "weight_orig") and not hasattr(lm, "weight_u")
    assert not lm._forward_pre_hooks
    _compare_state(tm, lm)
    _forward_both(tm, lm, X_CONV)


def test_spectral_norm_train_then_eval():
    tm, lm = _pair(_sn(_lin, n_power_iterations=2))
    for mode in ("train", "train", "eval", "eval", "train"):
        getattr(tm, mode)()
        getattr(lm, mode)()
        _forward_both(tm, lm, X_LIN)
        _compare_state(tm, lm)


def test_spectral_norm_registration_draws_unit_vectors():
    lm = torchlike.nn.utils.spectral_norm(torchlike.nn.Conv2d(3, 4, 3))
    assert tuple(lm.weight_u.shape) == (4,) and tuple(lm.weight_v.shape) == (27,)
    for b in (lm.weight_u, lm.weight_v):
        assert abs(np.linalg.norm(_np(b)) - 1) < 1e-5
        assert not b.requires_grad
    assert lm.weight_orig.requires_grad and not lm.weight.requires_grad


def test_spectral_norm_sigma_approaches_largest_singular_value():
    lm = torchlike.nn.utils.spectral_norm(torchlike.nn.Linear(6, 5), n_power_iterations=50)
    lm(torchlike.zeros(1, 6))
    w = _np(lm.weight.detach())
    assert abs(np.linalg.svd(w, compute_uv=False)[0] - 1) < 1e-4


def test_weight_norm_recomputes_after_g_changes():
    tm, lm = _pair(_wn(_lin))
    for m, lib in ((tm, torch), (lm, torchlike)):
        with lib.no_grad():
            m.weight_g.fill_(2.0)
    _forward_both(tm, lm, X_LIN)
    assert_close(lm.weight, tm.weight, rtol=1e-5, atol=1e-6)


def test_weight_norm_warns_deprecation():
    with pytest.warns(FutureWarning, match="torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`"):
        torchlike.nn.utils.weight_norm(torchlike.nn.Linear(2, 2))


ERRORS = {
    "weight_norm_twice": lambda t: t.nn.utils.weight_norm(
        t.nn.utils.weight_norm(t.nn.Linear(2, 3))),
    "remove_weight_norm_missing": lambda t: t.nn.utils.remove_weight_norm(t.nn.Linear(2, 3)),
    "remove_weight_norm_wrong_name": lambda t: t.nn.utils.remove_weight_norm(
        t.nn.utils.weight_norm(t.nn.Linear(2, 3)), "bias"),
    "spectral_norm_twice": lambda t: t.nn.utils.spectral_norm(
        t.nn.utils.spectral_norm(t.nn.Linear(2, 3))),
    "spectral_norm_zero_iters": lambda t: t.nn.utils.spectral_norm(
        t.nn.Linear(2, 3), n_power_iterations=0),
    "spectral_norm_none_param": lambda t: t.nn.utils.spectral_norm(
        t.nn.Linear(2, 3, bias=False), name="bias"),
    "remove_spectral_norm_missing": lambda t: t.nn.utils.remove_spectral_norm(t.nn.Linear(2, 3)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    check_error(ERRORS[name], match_message=True)


# -- nn.utils.parametrize / parametrizations ----------------------------------------------------

def _pwn(make, **kw):
    return lambda nn: nn.utils.parametrizations.weight_norm(make(nn), **kw)


def _psn(make, eval_mode=False, **kw):
    def build(nn):
        m = nn.utils.parametrizations.spectral_norm(make(nn), **kw)
        return m.eval() if eval_mode else m
    return build


def _symmetric(nn):
    class Symmetric(nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(0, 1)

        def right_inverse(self, a):
            return a.triu()
    return Symmetric()


def _scale(nn):
    class Scale(nn.Module):
        def forward(self, x):
            return 2 * x
    return Scale()


def _custom(*factories, name="weight"):
    def build(nn):
        m = nn.Linear(4, 4)
        for f in factories:
            nn.utils.parametrize.register_parametrization(m, name, f(nn))
        return m
    return build


X_SQ = rand_default(3, 4)

PARAMETRIZED = {
    "weight_norm_linear": (_pwn(_lin), X_LIN),
    "weight_norm_linear_dim1": (_pwn(_lin, dim=1), X_LIN),
    "weight_norm_linear_dim_none": (_pwn(_lin, dim=None), X_LIN),
    "weight_norm_conv2d": (_pwn(_conv), X_CONV),
    "weight_norm_convtranspose2d_dim1": (_pwn(_convt, dim=1), X_CONV),
    "spectral_norm_linear": (_psn(_lin), X_LIN),
    "spectral_norm_linear_3_iters": (_psn(_lin, n_power_iterations=3), X_LIN),
    "spectral_norm_linear_dim1": (_psn(_lin, dim=1), X_LIN),
    "spectral_norm_linear_eval": (_psn(_lin, eval_mode=True), X_LIN),
    "spectral_norm_conv2d": (_psn(_conv), X_CONV),
    "spectral_norm_convtranspose2d": (_psn(_convt), X_CONV),
    "spectral_norm_conv2d_dim_minus1": (_psn(_conv, dim=-1), X_CONV),
    "spectral_norm_bias_1d": (_psn(_lin, name="bias"), X_LIN),
    "custom_symmetric": (_custom(_symmetric), X_SQ),
    "custom_chain": (_custom(_symmetric, _scale), X_SQ),
    "custom_on_bias": (_custom(_scale, name="bias"), X_SQ),
}


@pytest.mark.parametrize("name", list(PARAMETRIZED))
def test_parametrized_module(name):
    make, x = PARAMETRIZED[name]
    tm, lm = check_module(make, [x], steps=3, atol=1e-4)
    assert type(lm).__name__ == type(tm).__name__
    assert [n for n, _ in lm.named_buffers()] == [n for n, _ in tm.named_buffers()]


def _both(make):
    return (make(torch.nn), make(torchlike.nn)), (torch, torchlike)


@pytest.mark.parametrize("leave", [True, False])
@pytest.mark.parametrize(("make", "x"), [(_psn(_conv), X_CONV), (_custom(_symmetric, _scale), X_SQ)],
                         ids=["sn", "chain"])
def test_remove_parametrizations_tensor(make, x, leave):
    tm, lm = _pair(make)
    _forward_both(tm, lm, x)
    for m, lib in ((tm, torch), (lm, torchlike)):
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert type(lm).__name__ == type(tm).__name__ and not hasattr(lm, "parametrizations")
    assert isinstance(lm.weight, torchlike.nn.Parameter)
    assert not torchlike.nn.utils.parametrize.is_parametrized(lm)
    _compare_state(tm, lm)
    _forward_both(tm, lm, x)


def test_remove_parametrizations_sequence():
    tm, lm = _pair(_pwn(_lin))
    for m, lib in ((tm, torch), (lm, torchlike)):
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert isinstance(lm.weight, torchlike.nn.Parameter) and lm.weight.requires_grad
    _compare_state(tm, lm)
    _forward_both(tm, lm, X_LIN)


def test_remove_one_of_two_parametrizations_keeps_class():
    (tm, lm), libs = _both(lambda nn: nn.utils.parametrizations.weight_norm(
        _custom(_scale, name="bias")(nn)))
    for m, lib in zip((tm, lm), libs):
        lib.nn.utils.parametrize.remove_parametrizations(m, "bias")
    assert type(lm).__name__ == type(tm).__name__ == "ParametrizedLinear"
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())


def test_is_parametrized_and_type_before():
    (tm, lm), libs = _both(_pwn(_lin))
    for m, lib in zip((tm, lm), libs):
        p = lib.nn.utils.parametrize
        got = (p.is_parametrized(m), p.is_parametrized(m, "weight"), p.is_parametrized(m, "bias"),
               p.type_before_parametrizations(m).__name__, isinstance(m, lib.nn.Linear),
               p.is_parametrized(lib.nn.Linear(2, 2)))
        assert got == (True, True, False, "Linear", True, False)


def test_cached():
    for lib, m in ((torch, _pwn(_lin)(torch.nn)), (torchlike, _pwn(_lin)(torchlike.nn))):
        assert m.weight is not m.weight
        with lib.nn.utils.parametrize.cached():
            w = m.weight
            assert m.weight is w
            with lib.nn.utils.parametrize.cached():
                assert m.weight is w
            assert m.weight is w
        assert m.weight is not w


def test_assign_through_right_inverse():
    tm, lm = _pair(_custom(_symmetric))
    a = rand_default(4, 4)
    tm.weight = torch.from_numpy(a)
    lm.weight = torchlike.from_numpy(a)
    _compare_state(tm, lm)
    assert_close(lm.weight, tm.weight)


def test_assign_weight_norm_sets_g_and_v():
    tm, lm = _pair(_pwn(_lin))
    a = rand_default(4, 5)
    tm.weight = torch.from_numpy(a)
    lm.weight = torchlike.from_numpy(a)
    _compare_state(tm, lm)
    _forward_both(tm, lm, X_LIN)


def test_parametrized_deepcopy():
    import copy
    _, lm = _pair(_psn(_lin))
    lm2 = copy.deepcopy(lm)
    assert type(lm2).__name__ == "ParametrizedLinear"
    lm.eval()
    lm2.eval()
    np.testing.assert_array_equal(_np(lm(torchlike.from_numpy(X_LIN)).detach()),
                                  _np(lm2(torchlike.from_numpy(X_LIN)).detach()))


PARAM_ERRORS = {
    "register_missing_name": lambda t: t.nn.utils.parametrize.register_parametrization(
        t.nn.Linear(2, 3), "foo", t.nn.Identity()),
    "remove_unparametrized": lambda t: t.nn.utils.parametrize.remove_parametrizations(
        t.nn.Linear(2, 3), "weight"),
    "remove_sequence_not_leave": lambda t: t.nn.utils.parametrize.remove_parametrizations(
        t.nn.utils.parametrizations.weight_norm(t.nn.Linear(2, 3)), "weight",
        leave_parametrized=False),
    "shape_change_unsafe_false": lambda t: t.nn.utils.parametrize.register_parametrization(
        t.nn.Linear(2, 3), "weight", t.nn.Flatten(0)),
    "spectral_dim_out_of_range": lambda t: t.nn.utils.parametrizations.spectral_norm(
        t.nn.Linear(2, 3), dim=2),
    "spectral_zero_iters": lambda t: t.nn.utils.parametrizations.spectral_norm(
        t.nn.Linear(2, 3), n_power_iterations=0),
    "spectral_missing_name": lambda t: t.nn.utils.parametrizations.spectral_norm(
        t.nn.Linear(2, 3), name="foo"),
    "assign_without_right_inverse": lambda t: setattr(
        _custom(_scale)(t.nn), "weight", t.zeros(4, 4)),
}


@pytest.mark.parametrize("name", list(PARAM_ERRORS))
def test_parametrize_errors(name):
    check_error(PARAM_ERRORS[name], match_message=True)


TRAINING = {
    "old_weight_norm": _wn(_lin),
    "old_spectral_norm": _sn(_lin),
    "parametrized_weight_norm": _pwn(_lin),
    "parametrized_spectral_norm": _psn(_lin),
}


@pytest.mark.parametrize("name", list(TRAINING))
def test_sgd_steps_match(name):
    tm, lm = _pair(TRAINING[name])
    t_opt = torch.optim.SGD(tm.parameters(), lr=0.1)
    l_opt = torchlike.optim.SGD(lm.parameters(), lr=0.1)
    for _ in range(3):
        x = rand_default(4, 5)
        for m, opt, lib in ((tm, t_opt, torch), (lm, l_opt, torchlike)):
            opt.zero_grad()
            (m(lib.from_numpy(x)) ** 2).sum().backward()
            opt.step()
        _compare_state(tm, lm)
    _forward_both(tm, lm, X_LIN)
