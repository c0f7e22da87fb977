"""LPPool1d/2d/3d, MaxUnpool1d/2d/3d (and their functionals) and FeatureAlphaDropout against
torch: values, gradients, reprs and error messages. Dropout masks come from torchlike's RNG, so
FeatureAlphaDropout is checked by its structure (one mask value per channel) and statistics."""

import math

import numpy as np
import pytest
import torch

import torchlike
from compat_tests.helpers import _np, check, check_error, check_module, rand_default, rand_positive

LPPOOL = {  # name -> (module factory, input)
    "1d_p2": (lambda nn: nn.LPPool1d(2, 3), rand_default(2, 3, 10)),
    "1d_p1_stride_ceil": (lambda nn: nn.LPPool1d(1, 3, 2, ceil_mode=True), rand_default(2, 3, 10)),
    "1d_p1.5_unbatched": (lambda nn: nn.LPPool1d(1.5, 2), rand_positive(3, 8)),
    "2d_p2": (lambda nn: nn.LPPool2d(2, 2), rand_default(2, 3, 6, 6)),
    "2d_p3_rect": (lambda nn: nn.LPPool2d(3, (2, 3), (1, 2)), rand_positive(1, 2, 5, 7)),
    "2d_ceil": (lambda nn: nn.LPPool2d(2, 3, 2, ceil_mode=True), rand_default(1, 2, 6, 6)),
    "2d_inf": (lambda nn: nn.LPPool2d(float("inf"), 2), rand_default(1, 2, 4, 4)),
    "2d_minus_inf": (lambda nn: nn.LPPool2d(-float("inf"), 2), rand_default(1, 2, 4, 4)),
    "3d_p2": (lambda nn: nn.LPPool3d(2, 2), rand_default(1, 2, 4, 4, 4)),
    "3d_p1.5_stride": (lambda nn: nn.LPPool3d(1.5, (2, 2, 1), 1), rand_positive(1, 2, 3, 4, 4)),
}


@pytest.mark.parametrize("name", list(LPPOOL))
def test_lppool_module(name):
    make, x = LPPOOL[name]
    check_module(make, [x], rtol=1e-4, atol=1e-5)


def test_lp_pool_functional_int_norm():
    check(lambda t, x: t.nn.functional.lp_pool2d(x, 2, 2, stride=1), [rand_default(1, 2, 4, 5)])


def _pooled(n, shape, kernel, stride=None, padding=0, seed=0):
    """torch's max_pool output (as numpy) and its indices, to feed both libraries' unpool."""
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
    fn = getattr(torch.nn.functional, f"max_pool{n}d")
    out, idx = fn(x, kernel, stride, padding, return_indices=True)
    return out.numpy(), idx.numpy()


UNPOOL = {  # name -> (n, pooled shape args, unpool kwargs)
    "1d": (1, ((2, 3, 8), 2), {}),
    "1d_stride_pad": (1, ((2, 3, 9), 3, 2, 1), {"stride": 2, "padding": 1}),
    "1d_unbatched": (1, ((3, 8), 2), {}),
    "2d": (2, ((2, 3, 6, 6), 2), {}),
    "2d_overlap": (2, ((1, 2, 7, 7), 3, 2), {"stride": 2}),
    "2d_pad": (2, ((1, 2, 6, 6), 3, 2, 1), {"stride": 2, "padding": 1, "output_size": (6, 6)}),
    "2d_unbatched": (2, ((3, 6, 4), 2), {}),
    "2d_output_size": (2, ((1, 2, 7, 7), 2), {"output_size": (7, 7)}),
    "2d_output_size_4": (2, ((1, 2, 7, 7), 2), {"output_size": (1, 2, 7, 7)}),
    "3d": (3, ((1, 2, 4, 4, 4), 2), {}),
    "3d_unbatched": (3, ((2, 4, 6, 4), 2), {}),
    "3d_rect_output_size": (3, ((1, 1, 5, 4, 6), (2, 2, 3)), {"output_size": (5, 4, 6)}),
}


@pytest.mark.parametrize("name", list(UNPOOL))
def test_max_unpool_functional(name):
    n, pool_args, kw = UNPOOL[name]
    shape, kernel, *rest = pool_args
    vals, idx = _pooled(n, shape, kernel, *rest)
    check(lambda t, v, i: getattr(t.nn.functional, f"max_unpool{n}d")(v, i, kernel, **kw),
          [vals, idx])


@pytest.mark.parametrize("name", ["1d", "2d_overlap", "3d", "2d_output_size"])
def test_max_unpool_module(name):
    n, pool_args, kw = UNPOOL[name]
    shape, kernel, *rest = pool_args
    vals, idx = _pooled(n, shape, kernel, *rest)
    kw = dict(kw)
    output_size = kw.pop("output_size", None)
    t_mod = getattr(torch.nn, f"MaxUnpool{n}d")(kernel, **kw)
    l_mod = getattr(torchlike.nn, f"MaxUnpool{n}d")(kernel, **kw)
    assert repr(l_mod) == repr(t_mod)
    check(lambda t, v, i: getattr(t.nn, f"MaxUnpool{n}d")(kernel, **kw)(v, i, output_size),
          [vals, idx])


def test_max_unpool_roundtrip_in_sequence():
    check(lambda t, x: t.nn.functional.max_unpool2d(
        *t.nn.functional.max_pool2d(x, 2, return_indices=True), 2), [rand_default(2, 3, 4, 6)])


_X = np.zeros((1, 2, 2, 2), np.float32)
_I = np.zeros((1, 2, 2, 2), np.int64)

UNPOOL_ERRORS = {
    "float_indices": (lambda t, x, i: t.nn.functional.max_unpool2d(x, i.float(), 2), [_X, _I]),
    "shape_mismatch": (lambda t, x, i: t.nn.functional.max_unpool2d(x, i[..., :1], 2), [_X, _I]),
    "invalid_index": (lambda t, x, i: t.nn.functional.max_unpool2d(x, i + 100, 2), [_X, _I]),
    "negative_index": (lambda t, x, i: t.nn.functional.max_unpool2d(x, i - 1, 2), [_X, _I]),
    "bad_output_size": (lambda t, x, i: t.nn.functional.max_unpool2d(x, i, 2, output_size=(9, 9)),
                        [_X, _I]),
    "output_size_len": (lambda t, x, i: t.nn.functional.max_unpool2d(
        x, i, 2, output_size=(1, 2, 3)), [_X, _I]),
    "1d_bad_output_size": (lambda t, x, i: t.nn.functional.max_unpool1d(
        x[0], i[0], 2, output_size=(9,)), [_X, _I]),
    "1d_on_4d": (lambda t, x, i: t.nn.functional.max_unpool1d(x, i, 2), [_X, _I]),
    "2d_on_5d": (lambda t, x, i: t.nn.functional.max_unpool2d(x[None], i[None], 2), [_X, _I]),
    "3d_on_3d": (lambda t, x, i: t.nn.functional.max_unpool3d(x[0], i[0], 2), [_X, _I]),
}


@pytest.mark.parametrize("name", list(UNPOOL_ERRORS))
def test_max_unpool_errors(name):
    fn, inputs = UNPOOL_ERRORS[name]
    check_error(fn, inputs, match_message=True)


# -- FeatureAlphaDropout ------------------------------------------------------------------------

_ALPHA = 1.7580993408473766


@pytest.mark.parametrize(("shape", "p"), [((4, 50, 3, 3), 0.3), ((8, 40, 5), 0.5), ((30, 7), 0.2)])
def test_feature_alpha_dropout_structure(shape, p):
    x = rand_default(*shape)
    m = torchlike.nn.FeatureAlphaDropout(p)
    out = _np(m(torchlike.from_numpy(x)))
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    kept = x * a + _ALPHA * a * p
    dropped = np.full_like(x, -_ALPHA * a * (1 - p))
    planes = out.reshape(shape[0], shape[1], -1)
    is_kept = np.isclose(planes, kept.reshape(planes.shape), rtol=1e-5, atol=1e-6).all(-1)
    is_dropped = np.isclose(planes, dropped.reshape(planes.shape), atol=1e-6).all(-1)
    assert (is_kept | is_dropped).all(), "every (sample, channel) plane is kept or dropped whole"
    n = is_dropped.size
    assert abs(is_dropped.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_feature_alpha_dropout_keeps_mean_and_var():
    x = np.random.default_rng(1).standard_normal((2000, 64, 2)).astype(np.float32)
    out = _np(torchlike.nn.functional.feature_alpha_dropout(torchlike.from_numpy(x), 0.4, True))
    assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03


FAD_SAME = {
    "eval_identity": lambda t, x: t.nn.functional.feature_alpha_dropout(x, 0.5, False),
    "p0": lambda t, x: t.nn.functional.feature_alpha_dropout(x, 0.0, True),
    "p1_zeros": lambda t, x: t.nn.functional.feature_alpha_dropout(x, 1.0, True),
    "module_eval": lambda t, x: t.nn.FeatureAlphaDropout(0.3).eval()(x),
    "1d_eval_ok": lambda t, x: t.nn.functional.feature_alpha_dropout(x[0, 0], 0.5, False),
}


@pytest.mark.parametrize("name", list(FAD_SAME))
def test_feature_alpha_dropout_deterministic(name):
    check(FAD_SAME[name], [rand_default(2, 3, 4)])


def test_feature_alpha_dropout_gradient_is_mask_times_scale():
    x = torchlike.from_numpy(rand_default(6, 20, 3)).requires_grad_()
    out = torchlike.nn.functional.feature_alpha_dropout(x, 0.5, True)
    out.sum().backward()
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * 0.5 + 1) * 0.5)
    g = _np(x.grad)
    assert set(np.unique(np.round(g / a, 5))) <= {0.0, 1.0}
    assert (g == g[:, :, :1]).all()


def test_feature_alpha_dropout_repr_and_inplace():
    assert repr(torchlike.nn.FeatureAlphaDropout(0.2, True)) == repr(
        torch.nn.FeatureAlphaDropout(0.2, True))
    x = torchlike.from_numpy(rand_default(3, 4, 2))
    y = torchlike.nn.functional.feature_alpha_dropout(x, 0.5, True, inplace=True)
    assert y is x


FAD_ERRORS = {
    "1d_training": lambda t: t.nn.functional.feature_alpha_dropout(t.ones(3), 0.5, True),
    "p_negative": lambda t: t.nn.functional.feature_alpha_dropout(t.ones(2, 3), -0.1, True),
    "module_p_big": lambda t: t.nn.FeatureAlphaDropout(1.5),
}


@pytest.mark.parametrize("name", list(FAD_ERRORS))
def test_feature_alpha_dropout_errors(name):
    check_error(FAD_ERRORS[name], match_message=True)
