"""torchlike.nn.functional, layers, losses and init against real torch."""

import math

import numpy as np
import pytest
import torch
from helpers import check, check_error, rand_default, rand_int, rand_positive

import torchlike
import torchlike.nn as tnn


def F(t):
    return t.nn.functional


# -- functional: activations --------------------------------------------------------------------

def _kinky(*shape):
    """Random values plus the kinks torch's subgradients are defined at."""
    x = rand_default(*shape) * 4
    x.flat[:10] = [0.0, -3.0, 3.0, 6.0, 1.0, -1.0, 0.5, -0.5, 20.0, -20.0]
    return x


ACTIVATIONS = [
    ("relu", lambda t, x: F(t).relu(x)),
    ("relu6", lambda t, x: F(t).relu6(x)),
    ("leaky_relu", lambda t, x: F(t).leaky_relu(x, 0.2)),
    ("elu", lambda t, x: F(t).elu(x, alpha=0.7)),
    ("selu", lambda t, x: F(t).selu(x)),
    ("celu", lambda t, x: F(t).celu(x, alpha=1.5)),
    ("gelu", lambda t, x: F(t).gelu(x)),
    ("gelu_tanh", lambda t, x: F(t).gelu(x, approximate="tanh")),
    ("silu", lambda t, x: F(t).silu(x)),
    ("mish", lambda t, x: F(t).mish(x)),
    ("sigmoid", lambda t, x: F(t).sigmoid(x)),
    ("tanh", lambda t, x: F(t).tanh(x)),
    ("hardtanh", lambda t, x: F(t).hardtanh(x, -0.5, 1.0)),
    ("hardsigmoid", lambda t, x: F(t).hardsigmoid(x)),
    ("hardswish", lambda t, x: F(t).hardswish(x)),
    ("softplus", lambda t, x: F(t).softplus(x)),
    ("softplus_beta", lambda t, x: F(t).softplus(x, beta=2.0, threshold=5.0)),
    ("softsign", lambda t, x: F(t).softsign(x)),
    ("logsigmoid", lambda t, x: F(t).logsigmoid(x)),
    ("threshold", lambda t, x: F(t).threshold(x, 0.5, -2.0)),
    ("tanhshrink", lambda t, x: F(t).tanhshrink(x)),
    ("softshrink", lambda t, x: F(t).softshrink(x, 0.5)),
    ("hardshrink", lambda t, x: F(t).hardshrink(x, 0.5)),
    ("glu", lambda t, x: F(t).glu(x, dim=0)),
    ("softmax", lambda t, x: F(t).softmax(x, dim=1)),
    ("softmax_neg", lambda t, x: F(t).softmax(x, dim=-2)),
    ("softmax_dtype", lambda t, x: F(t).softmax(x, dim=0, dtype=t.float64)),
    ("log_softmax", lambda t, x: F(t).log_softmax(x, dim=1)),
    ("softmin", lambda t, x: F(t).softmin(x, dim=1)),
]


@pytest.mark.parametrize("fn", [f for _, f in ACTIVATIONS], ids=[n for n, _ in ACTIVATIONS])
def test_activation(fn):
    check(fn, [_kinky(6, 5)])


@pytest.mark.parametrize("dtype", [np.float64])
def test_activation_float64(dtype):
    check(lambda t, x: F(t).gelu(F(t).elu(x)), [rand_default(4, 3, dtype=dtype)])


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "hardswish"])
def test_activation_inplace(name):
    def fn(t, x):
        y = x * 1
        out = getattr(F(t), name)(y, inplace=True)
        assert out is y
        return y
    check(fn, [_kinky(4, 5)])


def test_threshold_inplace_and_leaf_error():
    check(lambda t, x: F(t).threshold(x * 1, 0.1, 20.0, inplace=True), [_kinky(3, 4)])
    check_error(lambda t, x: F(t).relu(x.requires_grad_(), inplace=True),
                [rand_default(3)], match_message=True)


def test_softmax_implicit_dim_warns():
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = rand_default(*shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            got = torchlike.nn.functional.softmax(torchlike.from_numpy(x))
        with pytest.warns(UserWarning):
            want = torch.nn.functional.softmax(torch.from_numpy(x))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn, x", [
    (lambda t, x: F(t).softmax(x, dim=3), rand_default(2, 3)),
    (lambda t, x: F(t).glu(x, dim=1), rand_default(2, 3)),
    (lambda t, x: F(t).gelu(x, approximate="bad"), rand_default(2, 3)),
])
def test_activation_errors(fn, x):
    check_error(fn, [x], match_message=True)


# -- functional: linear, embeddings, distances, padding ----------------------------------------

@pytest.mark.parametrize("shapes", [((4, 3), (5, 3), (5,)), ((2, 4, 3), (5, 3), (5,)),
                                    ((3,), (5, 3), (5,)), ((4, 3), (5, 3), None)])
def test_linear(shapes):
    xs, ws, bs = shapes
    ins = [rand_default(*xs), rand_default(*ws)] + ([rand_default(*bs)] if bs else [])
    check(lambda t, x, w, *b: F(t).linear(x, w, *b), ins)


def test_linear_shape_error():
    check_error(lambda t, x, w: F(t).linear(x, w), [rand_default(4, 3), rand_default(5, 2)],
                match_message=True)


def test_bilinear():
    check(lambda t, a, b, w, c: F(t).bilinear(a, b, w, c),
          [rand_default(4, 3), rand_default(4, 2), rand_default(5, 3, 2), rand_default(5)])


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True}])
def test_embedding(kw):
    idx = np.array([[0, 1, 2, 1], [4, 4, 1, 0]])
    check(lambda t, i, w: F(t).embedding(i, w, **kw), [idx, rand_default(5, 3)])


@pytest.mark.parametrize("num_classes", [-1, 7])
def test_one_hot(num_classes):
    check(lambda t, i: F(t).one_hot(i, num_classes), [np.array([[0, 3], [2, 1]])])


@pytest.mark.parametrize("fn, x", [
    (lambda t, i: F(t).one_hot(i, 2), np.array([0, 3])),
    (lambda t, i: F(t).one_hot(i), np.array([0, -1])),
    (lambda t, i: F(t).one_hot(i), np.array([0, 1], np.int32)),
])
def test_one_hot_errors(fn, x):
    check_error(fn, [x], match_message=True)


@pytest.mark.parametrize("kw", [{}, {"p": 1.0}, {"p": 3.0, "dim": 0}, {"p": math.inf},
                                {"dim": -1}])
def test_normalize(kw):
    x = rand_default(4, 5)
    x[1] = 0  # a zero row: torch's gradient there is finite
    check(lambda t, x: F(t).normalize(x, **kw), [x])


@pytest.mark.parametrize("shapes, dim", [(((4, 5), (4, 5)), 1), (((4, 5), (1, 5)), 1),
                                         (((3, 4, 5), (3, 4, 5)), 0)])
def test_cosine_similarity(shapes, dim):
    check(lambda t, a, b: F(t).cosine_similarity(a, b, dim=dim),
          [rand_default(*shapes[0]), rand_default(*shapes[1])])


@pytest.mark.parametrize("kw", [{}, {"p": 1.0}, {"p": 3.0, "keepdim": True}, {"eps": 0.0}])
def test_pairwise_distance(kw):
    check(lambda t, a, b: F(t).pairwise_distance(a, b, **kw),
          [rand_default(4, 5), rand_default(4, 5)])


@pytest.mark.parametrize("pad, mode, value, shape", [
    ((1, 2), "constant", None, (2, 3, 4)),
    ((1, 2, 0, 1), "constant", 3.5, (2, 3, 4)),
    ((-1, 2, 1, -1), "constant", 0.0, (2, 3, 4)),
    ((1, 2, 3, 1, 1, 1), "constant", None, (2, 3, 4)),
    ((2, 1), "reflect", None, (2, 3, 4)),
    ((2, 1, 1, 2), "reflect", None, (1, 2, 3, 4)),
    ((2, 3), "replicate", None, (2, 3, 4)),
    ((1, 2, 2, 0), "circular", None, (1, 2, 3, 4)),
])
def test_pad(pad, mode, value, shape):
    kw = {} if value is None else {"value": value}
    check(lambda t, x: F(t).pad(x, pad, mode=mode, **kw), [rand_default(*shape)])


@pytest.mark.parametrize("pad, mode", [((1,), "constant"), ((1, 1, 1, 1, 1, 1), "constant"),
                                       ((4, 4), "reflect")])
def test_pad_errors(pad, mode):
    check_error(lambda t, x: F(t).pad(x, pad, mode=mode), [rand_default(2, 3)])


# -- functional: dropout ------------------------------------------------------------------------

def test_dropout_statistics_and_grad():
    torchlike.manual_seed(0)
    x = torchlike.ones(200, 100, requires_grad=True)
    y = torchlike.nn.functional.dropout(x, 0.3)
    v = y.detach().numpy()
    kept = v != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(v[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), v)
    # eval / training=False / p=0 return the input itself, as torch does
    assert torchlike.nn.functional.dropout(x, 0.3, training=False) is x
    assert torch.nn.functional.dropout(torch.ones(2), 0.3, training=False) is not None


def test_dropout_p1_and_inplace_and_seed():
    x = torchlike.ones(10, 10)
    assert not torchlike.nn.functional.dropout(x, 1.0).numpy().any()
    torchlike.manual_seed(3)
    a = torchlike.nn.functional.dropout(x, 0.5).numpy()
    torchlike.manual_seed(3)
    y = torchlike.ones(10, 10)
    assert torchlike.nn.functional.dropout(y, 0.5, inplace=True) is y
    np.testing.assert_array_equal(a, y.numpy())
    check_error(lambda t, x: F(t).dropout(x, 1.5), [rand_default(3)], match_message=True)


@pytest.mark.parametrize("name, shape", [("dropout1d", (8, 50, 6)), ("dropout2d", (8, 50, 3, 3)),
                                         ("dropout3d", (50, 2, 2, 2)), ("dropout1d", (50, 4))])
def test_feature_dropout_masks_whole_channels(name, shape):
    y = getattr(torchlike.nn.functional, name)(torchlike.ones(*shape), 0.5).numpy()
    lead = 2 if len(shape) in (3, 4) and name != "dropout3d" or len(shape) == 5 else 1
    flat = y.reshape(math.prod(shape[:lead]), -1)
    assert ((flat == 0).all(1) | (flat == 2).all(1)).all()
    assert 0.3 < (flat[:, 0] == 0).mean() < 0.7


def test_alpha_dropout_keeps_mean_and_std():
    torchlike.manual_seed(1)
    x = torchlike.randn(400, 500)
    y = torchlike.nn.functional.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


# -- functional: losses -------------------------------------------------------------------------

@pytest.mark.parametrize("name, kw, reduction", [
    ("mse_loss", {}, "mean"), ("mse_loss", {}, "sum"), ("mse_loss", {}, "none"),
    ("l1_loss", {}, "mean"), ("l1_loss", {}, "none"), ("smooth_l1_loss", {}, "mean"),
    ("smooth_l1_loss", {"beta": 0.5}, "sum"), ("smooth_l1_loss", {"beta": 0.0}, "none"),
    ("huber_loss", {}, "mean"), ("huber_loss", {"delta": 2.0}, "none"),
])
def test_regression_losses(name, kw, reduction):
    check(lambda t, a, b: getattr(F(t), name)(a, b, reduction=reduction, **kw),
          [rand_default(4, 5) * 2, rand_default(4, 5)])


def test_regression_loss_broadcast_warns():
    with pytest.warns(UserWarning, match="Using a target size"):
        check(lambda t, a, b: F(t).mse_loss(a, b), [rand_default(3, 1), rand_default(3)])


def test_legacy_reduction_args():
    with pytest.warns(UserWarning):
        check(lambda t, a, b: F(t).mse_loss(a, b, size_average=False),
              [rand_default(3, 4), rand_default(3, 4)])
    check_error(lambda t, a, b: F(t).l1_loss(a, b, reduction="avg"),
                [rand_default(3), rand_default(3)], match_message=True)


@pytest.mark.parametrize("weighted, reduction", [(False, "mean"), (True, "sum"), (True, "none")])
def test_bce(reduction, weighted):
    ins = [rand_positive(4, 3) / 1.3, np.random.default_rng(1).random((4, 3)).astype(np.float32)]
    ins[0] = np.clip(ins[0], 0.01, 0.99)
    w = rand_positive(3) if weighted else None
    check(lambda t, x, y: F(t).binary_cross_entropy(x, y, _const(t, w), reduction=reduction),
          ins)


def test_bce_saturates_like_torch():
    check(lambda t, x, y: F(t).binary_cross_entropy(x, y),
          [np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)],
          grad=False)


@pytest.mark.parametrize("opts, reduction", [((), "mean"), (("weight",), "sum"),
                                             (("pos_weight",), "none"),
                                             (("weight", "pos_weight"), "mean")])
def test_bce_with_logits(reduction, opts):
    ins = [rand_default(4, 3) * 3, np.random.default_rng(2).random((4, 3)).astype(np.float32)]
    extra = {k: rand_positive(3) for k in opts}

    def fn(t, x, y):
        kw = {k: _const(t, v) for k, v in extra.items()}
        return F(t).binary_cross_entropy_with_logits(x, y, reduction=reduction, **kw)
    check(fn, ins)


@pytest.mark.parametrize("reduction, log_target", [("mean", False), ("sum", True), ("none", False),
                                                  ("batchmean", False), ("batchmean", True)])
def test_kl_div(reduction, log_target):
    x = np.log(rand_positive(4, 5))
    y = np.log(rand_positive(4, 5)) if log_target else rand_positive(4, 5)
    with pytest.warns(UserWarning) if reduction == "mean" else _nullctx():
        check(lambda t, a, b: F(t).kl_div(a, b, reduction=reduction, log_target=log_target),
              [x, y])


def _const(t, w):
    """A weight tensor that does not require grad (torch refuses one that does), or None."""
    return None if w is None else t.from_numpy(w)


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _targets(shape, n_classes, ignore=False):
    t = rand_int(*shape, low=0, high=n_classes)
    if ignore:
        t.flat[::3] = -100
    return t


CE_CASES = {"2d": ((6, 4), (6,)), "1d": ((4,), ()), "4d": ((3, 4, 2, 2), (3, 2, 2))}


@pytest.mark.parametrize("case, ignore, weighted, reduction", [
    ("2d", False, False, "mean"), ("2d", True, True, "mean"), ("2d", True, False, "sum"),
    ("2d", False, True, "none"), ("1d", False, False, "mean"),
    ("1d", True, True, "mean"),  # every target ignored: nan, with a zero gradient
    ("4d", True, True, "mean"), ("4d", False, False, "none"),
])
def test_nll_loss(case, ignore, weighted, reduction):
    xs, ts = CE_CASES[case]
    c = xs[1 if len(xs) > 1 else 0]
    ins = [rand_default(*xs), _targets(ts, c, ignore)]
    w = rand_positive(c) if weighted else None
    check(lambda t, x, y: F(t).nll_loss(x, y, _const(t, w), reduction=reduction), ins)


@pytest.mark.parametrize("case, smoothing, ignore, weighted, reduction", [
    ("2d", 0.0, False, False, "mean"), ("2d", 0.2, True, True, "mean"),
    ("2d", 0.2, False, True, "sum"), ("2d", 0.2, True, False, "none"),
    ("2d", 0.0, True, True, "none"), ("1d", 0.2, False, False, "mean"),
    ("1d", 0.2, True, True, "mean"), ("4d", 0.2, True, True, "mean"),
    ("4d", 0.0, False, False, "sum"), ("4d", 0.2, False, True, "none"),
])
def test_cross_entropy_indices(case, smoothing, ignore, weighted, reduction):
    xs, ts = CE_CASES[case]
    c = xs[1 if len(xs) > 1 else 0]
    ins = [rand_default(*xs), _targets(ts, c, ignore)]
    w = rand_positive(c) if weighted else None
    check(lambda t, x, y: F(t).cross_entropy(x, y, _const(t, w), reduction=reduction,
                                             label_smoothing=smoothing), ins)


def test_cross_entropy_ignore_index_value():
    t = np.array([0, 2, 1, 2])
    check(lambda t_, x, y: F(t_).cross_entropy(x, y, ignore_index=2), [rand_default(4, 3), t])


@pytest.mark.parametrize("smoothing, weighted, reduction", [
    (0.0, False, "mean"), (0.3, True, "mean"), (0.3, False, "sum"), (0.0, True, "none")])
def test_cross_entropy_probabilities(smoothing, weighted, reduction):
    p = rand_positive(5, 4)
    p = p / p.sum(1, keepdims=True)
    w = rand_positive(4) if weighted else None
    check(lambda t, x, y: F(t).cross_entropy(x, y, _const(t, w), reduction=reduction,
                                             label_smoothing=smoothing), [rand_default(5, 4), p])


@pytest.mark.parametrize("fn, ins", [
    (lambda t, x, y: F(t).cross_entropy(x, y), [rand_default(3, 4), np.array([0, 1])]),
    (lambda t, x, y: F(t).nll_loss(x, y), [rand_default(3, 4), np.array([0, 1, 2, 0])]),
    (lambda t, x, y: F(t).binary_cross_entropy(x, y),
     [rand_positive(3) / 2, rand_positive(3, 1) / 2]),
    (lambda t, x, y: F(t).binary_cross_entropy_with_logits(x, y),
     [rand_default(3), rand_default(3, 1)]),
])
def test_loss_errors(fn, ins):
    check_error(fn, ins, match_message=True)


# -- modules ------------------------------------------------------------------------------------

def _copy_state(tm, lm):
    """Copy torch module ``tm``'s state_dict into torchlike module ``lm`` (via numpy)."""
    sd = {k: torchlike.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    res = lm.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"


LAYERS = [
    ("Linear", lambda nn: nn.Linear(5, 3), (4, 5)),
    ("Linear_nobias", lambda nn: nn.Linear(5, 3, bias=False), (2, 4, 5)),
    ("Identity", lambda nn: nn.Identity(3, k=1), (4, 5)),
    ("Flatten", lambda nn: nn.Flatten(), (2, 3, 4)),
    ("Flatten_0", lambda nn: nn.Flatten(0, 1), (2, 3, 4)),
    ("Unflatten", lambda nn: nn.Unflatten(1, (2, 2)), (3, 4)),
    ("ReLU", lambda nn: nn.ReLU(), (4, 5)),
    ("ReLU_inplace", lambda nn: nn.ReLU(inplace=True), (4, 5)),
    ("ReLU6", lambda nn: nn.ReLU6(), (4, 5)),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(0.1), (4, 5)),
    ("ELU", lambda nn: nn.ELU(alpha=0.5, inplace=True), (4, 5)),
    ("CELU", lambda nn: nn.CELU(), (4, 5)),
    ("SELU", lambda nn: nn.SELU(), (4, 5)),
    ("GELU", lambda nn: nn.GELU(), (4, 5)),
    ("GELU_tanh", lambda nn: nn.GELU("tanh"), (4, 5)),
    ("SiLU", lambda nn: nn.SiLU(), (4, 5)),
    ("Mish", lambda nn: nn.Mish(), (4, 5)),
    ("Sigmoid", lambda nn: nn.Sigmoid(), (4, 5)),
    ("Tanh", lambda nn: nn.Tanh(), (4, 5)),
    ("Hardtanh", lambda nn: nn.Hardtanh(-2.0, 2.0), (4, 5)),
    ("Hardsigmoid", lambda nn: nn.Hardsigmoid(), (4, 5)),
    ("Hardswish", lambda nn: nn.Hardswish(), (4, 5)),
    ("Softplus", lambda nn: nn.Softplus(beta=2), (4, 5)),
    ("Softsign", lambda nn: nn.Softsign(), (4, 5)),
    ("LogSigmoid", lambda nn: nn.LogSigmoid(), (4, 5)),
    ("Threshold", lambda nn: nn.Threshold(0.1, 20), (4, 5)),
    ("Tanhshrink", lambda nn: nn.Tanhshrink(), (4, 5)),
    ("Softshrink", lambda nn: nn.Softshrink(0.3), (4, 5)),
    ("Hardshrink", lambda nn: nn.Hardshrink(), (4, 5)),
    ("GLU", lambda nn: nn.GLU(), (4, 6)),
    ("Softmax", lambda nn: nn.Softmax(dim=1), (4, 5)),
    ("Softmin", lambda nn: nn.Softmin(dim=0), (4, 5)),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), (4, 5)),
    ("Dropout_eval", lambda nn: nn.Dropout(0.3).eval(), (4, 5)),
    ("Dropout2d_eval", lambda nn: nn.Dropout2d(0.3).eval(), (2, 4, 5, 5)),
    ("AlphaDropout_eval", lambda nn: nn.AlphaDropout(0.3).eval(), (4, 5)),
    ("Sequential", lambda nn: nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2)),
     (3, 5)),
]


@pytest.mark.parametrize("make, shape", [(m, s) for _, m, s in LAYERS],
                         ids=[n for n, _, _ in LAYERS])
def test_layer_forward_backward_and_repr(make, shape):
    tm, lm = make(torch.nn), make(tnn)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict().keys()) == list(tm.state_dict().keys())
    assert [n for n, _ in lm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    _copy_state(tm, lm)
    x = rand_default(*shape)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    lx = torchlike.from_numpy(x.copy()).requires_grad_()
    tout, lout = tm(tx * 1), lm(lx * 1)
    np.testing.assert_allclose(lout.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    ct = rand_default(*tout.shape)
    (tout * torch.from_numpy(ct)).sum().backward()
    (lout * torchlike.from_numpy(ct)).sum().backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (n, lp), (_, tp) in zip(lm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(lp.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=n)


def test_bilinear_module():
    tm, lm = torch.nn.Bilinear(3, 2, 4), tnn.Bilinear(3, 2, 4)
    assert repr(lm) == repr(tm)
    _copy_state(tm, lm)
    a, b = rand_default(5, 3), rand_default(5, 2)
    got = lm(torchlike.from_numpy(a), torchlike.from_numpy(b)).detach().numpy()
    want = tm(torch.from_numpy(a), torch.from_numpy(b)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"padding_idx": -2},
                                {"scale_grad_by_freq": True}, {"norm_type": 1.0}])
def test_embedding_module(kw):
    tm, lm = torch.nn.Embedding(6, 3, **kw), tnn.Embedding(6, 3, **kw)
    assert repr(lm) == repr(tm)
    if "padding_idx" in kw:
        assert not lm.weight.detach().numpy()[kw["padding_idx"]].any()
    _copy_state(tm, lm)
    idx = np.array([[0, 4, 4], [5, 1, 0]])
    tout, lout = tm(torch.from_numpy(idx)), lm(torchlike.from_numpy(idx))
    np.testing.assert_allclose(lout.detach().numpy(), tout.detach().numpy())
    tout.sum().backward()
    lout.sum().backward()
    np.testing.assert_allclose(lm.weight.grad.numpy(), tm.weight.grad.numpy())


def test_embedding_from_pretrained():
    w = rand_default(4, 2)
    tm = torch.nn.Embedding.from_pretrained(torch.from_numpy(w))
    lm = tnn.Embedding.from_pretrained(torchlike.from_numpy(w))
    assert repr(lm) == repr(tm) and lm.weight.requires_grad is False


LOSSES = [
    ("CrossEntropyLoss", {}, "cls"), ("CrossEntropyLoss", {"label_smoothing": 0.1}, "cls"),
    ("CrossEntropyLoss", {"reduction": "sum", "ignore_index": 1}, "cls"),
    ("NLLLoss", {"reduction": "none"}, "cls"), ("MSELoss", {}, "reg"),
    ("L1Loss", {"reduction": "sum"}, "reg"), ("SmoothL1Loss", {"beta": 0.5}, "reg"),
    ("HuberLoss", {"delta": 0.5}, "reg"), ("BCELoss", {}, "prob"),
    ("BCEWithLogitsLoss", {}, "bin"), ("KLDivLoss", {"reduction": "batchmean"}, "reg"),
]


@pytest.mark.parametrize("name, kw, kind", LOSSES)
def test_loss_modules(name, kw, kind):
    x = rand_default(6, 4)
    if kind == "cls":
        y = rand_int(6, low=0, high=4)
    elif kind == "prob":
        x = np.clip(rand_positive(6, 4) / 1.2, 0.05, 0.95)
        y = np.random.default_rng(3).random((6, 4)).astype(np.float32)
    elif kind == "bin":
        y = np.random.default_rng(3).random((6, 4)).astype(np.float32)
    else:
        y = rand_default(6, 4)
    assert repr(getattr(tnn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))
    check(lambda t, a, b: getattr(t.nn, name)(**kw)(a, b), [x, y])


def test_weighted_loss_buffers():
    w = rand_positive(4)
    tm = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(w))
    lm = tnn.CrossEntropyLoss(weight=torchlike.from_numpy(w))
    assert list(lm.state_dict()) == list(tm.state_dict()) == ["weight"]
    tb = torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3))
    lb = tnn.BCEWithLogitsLoss(pos_weight=torchlike.ones(3))
    assert list(lb.state_dict()) == list(tb.state_dict())


@pytest.mark.parametrize("make", [
    lambda nn: nn.Dropout(0.5, inplace=True), lambda nn: nn.Dropout1d(), lambda nn: nn.Dropout3d(),
    lambda nn: nn.AlphaDropout(0.2), lambda nn: nn.Embedding(3, 2, max_norm=1.0, sparse=True),
    lambda nn: nn.Hardtanh(inplace=True), lambda nn: nn.Unflatten(-1, [2, 3]),
    lambda nn: nn.Softmax(), lambda nn: nn.GLU(dim=0), lambda nn: nn.Threshold(1, 2, True),
])
def test_module_repr(make):
    assert repr(make(tnn)) == repr(make(torch.nn))


def test_dropout_module_train_eval():
    m = tnn.Dropout(0.5)
    x = torchlike.ones(50, 50)
    assert (m(x).numpy() == 0).any()
    m.eval()
    assert m(x) is x
    check_error(lambda t: t.nn.Dropout(-0.1), match_message=True)


# -- init ---------------------------------------------------------------------------------------

def test_linear_default_init_bounds():
    torchlike.manual_seed(0)
    m = tnn.Linear(400, 300)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    bound = 1 / math.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert m.weight.dtype == torchlike.float32 and m.weight.requires_grad


@pytest.mark.parametrize("name, kw, std", [
    ("kaiming_uniform_", {}, math.sqrt(2 / 1.0001) / math.sqrt(200)),
    ("kaiming_normal_", {"nonlinearity": "relu"}, math.sqrt(2) / math.sqrt(200)),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2) / math.sqrt(300)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, 1 / math.sqrt(3 * 200)),
    ("xavier_uniform_", {}, math.sqrt(2 / 500)),
    ("xavier_normal_", {"gain": 2.0}, 2 * math.sqrt(2 / 500)),
    ("normal_", {"mean": 1.0, "std": 0.5}, 0.5),
    ("uniform_", {"a": -2.0, "b": 2.0}, 4 / math.sqrt(12)),
    ("trunc_normal_", {"std": 1.0}, 0.8796),
])
def test_init_std(name, kw, std):
    torchlike.manual_seed(0)
    t = torchlike.empty(300, 200)
    out = getattr(tnn.init, name)(t, **kw)
    assert out is t
    v = t.numpy()
    assert abs(v.std() - std) < 0.02 * std
    if name == "trunc_normal_":
        assert v.min() >= -2 and v.max() <= 2


def test_init_deterministic_and_generator():
    g = torchlike.Generator().manual_seed(5)
    a = tnn.init.normal_(torchlike.empty(3, 3), generator=g).numpy()
    g.manual_seed(5)
    b = tnn.init.normal_(torchlike.empty(3, 3), generator=g).numpy()
    np.testing.assert_array_equal(a, b)


def test_init_deterministic_values():
    for nn_, lib in ((torch.nn, torch), (tnn, torchlike)):
        t = lib.empty(3, 4)
        nn_.init.constant_(t, 0.5)
        assert t.numpy().tolist() == [[0.5] * 4] * 3
        nn_.init.eye_(t)
        np.testing.assert_array_equal(t.numpy(), np.eye(3, 4))
        nn_.init.zeros_(t)
        assert not t.numpy().any()
        nn_.init.ones_(t)
        assert t.numpy().all()
    tw, lw = torch.empty(4, 2, 3, 3), torchlike.empty(4, 2, 3, 3)
    torch.nn.init.dirac_(tw, groups=2)
    tnn.init.dirac_(lw, groups=2)
    np.testing.assert_array_equal(lw.numpy(), tw.numpy())


def test_orthogonal():
    t = torchlike.empty(6, 10)
    tnn.init.orthogonal_(t, gain=2.0)
    v = t.numpy()
    np.testing.assert_allclose(v @ v.T, 4 * np.eye(6), atol=1e-5)
    p = tnn.Parameter(torchlike.empty(10, 6))
    tnn.init.orthogonal_(p)
    assert p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("selu",)])
def test_calculate_gain(args):
    assert tnn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("fn", [
    lambda t: t.nn.init.calculate_gain("foo"),
    lambda t: t.nn.init.xavier_uniform_(t.empty(3)),
    lambda t: t.nn.init.kaiming_uniform_(t.empty(3, 3), mode="fan"),
    lambda t: t.nn.init.eye_(t.empty(3, 3, 3)),
    lambda t: t.nn.init.orthogonal_(t.empty(3)),
])
def test_init_errors(fn):
    check_error(fn, match_message=True)


def test_init_zero_element_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        tnn.init.kaiming_uniform_(torchlike.empty(0, 3))

