"""Convolutions, pooling, padding, pixel shuffle, interpolation and fold/unfold against torch."""

import numpy as np
import pytest
import torch
from helpers import check, check_error, check_module, rand_default, rand_some_equal

import torchlike


def F(t):
    return t.nn.functional


# -- functional convolutions --------------------------------------------------------------------

CONVS = [
    ("conv1d", (2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    ("conv1d", (4, 9), (6, 4, 3), dict(padding="same", dilation=2)),
    ("conv2d", (2, 3, 7, 6), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    ("conv2d", (2, 4, 6, 6), (6, 2, 3, 1), dict(padding="same", groups=2)),
    ("conv2d", (2, 4, 6, 6), (6, 4, 3, 3), dict(padding="valid")),
    ("conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=1)),
]


@pytest.mark.parametrize("name, xs, ws, kw", CONVS)
def test_conv(name, xs, ws, kw):
    check(lambda t, x, w, b: getattr(F(t), name)(x, w, b, **kw),
          [rand_default(*xs), rand_default(*ws), rand_default(ws[0])])


CONV_TS = [
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (2, 4, 4, 3), (4, 3, 3, 2),
     dict(stride=(2, 1), padding=(1, 0), groups=2, output_padding=(1, 0))),
    ("conv_transpose2d", (3, 4, 3), (3, 2, 2, 2), dict(dilation=2, padding=2)),
    ("conv_transpose3d", (1, 2, 3, 2, 3), (2, 3, 2, 2, 2), dict(stride=2)),
]


@pytest.mark.parametrize("name, xs, ws, kw", CONV_TS)
def test_conv_transpose(name, xs, ws, kw):
    groups = kw.get("groups", 1)
    check(lambda t, x, w, b: getattr(F(t), name)(x, w, b, **kw),
          [rand_default(*xs), rand_default(*ws), rand_default(ws[1] * groups)])


@pytest.mark.parametrize("fn, ins", [
    (lambda t, x, w: F(t).conv2d(x, w), [rand_default(2, 3, 5, 5), rand_default(4, 2, 3, 3)]),
    (lambda t, x, w: F(t).conv2d(x, w), [rand_default(5, 5), rand_default(4, 2, 3, 3)]),
    (lambda t, x, w: F(t).conv2d(x, w, stride=2, padding="same"),
     [rand_default(1, 2, 5, 5), rand_default(4, 2, 3, 3)]),
])
def test_conv_errors(fn, ins):
    check_error(fn, ins, match_message=True)


# -- conv modules -------------------------------------------------------------------------------

CONV_MODULES = [
    ("Conv1d", lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 8)),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, (3, 2), bias=False, dilation=2), (2, 3, 7, 6)),
    ("Conv2d_groups_same", lambda nn: nn.Conv2d(4, 6, 3, padding="same", groups=2), (2, 4, 5, 5)),
    ("Conv2d_reflect", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
     (1, 2, 5, 4)),
    ("Conv2d_replicate", lambda nn: nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="replicate"),
     (1, 2, 5, 4)),
    ("Conv2d_circular", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"),
     (2, 5, 4)),
    ("Conv3d", lambda nn: nn.Conv3d(2, 2, 2), (1, 2, 3, 4, 3)),
    ("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2, output_padding=1),
     (2, 3, 4)),
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2),
     (2, 4, 3, 3)),
    ("ConvTranspose3d", lambda nn: nn.ConvTranspose3d(2, 2, 2, bias=False), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("make, shape", [(m, s) for _, m, s in CONV_MODULES],
                         ids=[n for n, _, _ in CONV_MODULES])
def test_conv_module(make, shape):
    check_module(make, [rand_default(*shape)], rtol=1e-4, atol=1e-5)


def test_conv_transpose_output_size():
    check_module(lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2), [rand_default(1, 2, 3, 3)],
                 call=lambda m, x: m(x, output_size=[8, 8]))


def test_conv_default_init_bounds():
    torchlike.manual_seed(0)
    m = torchlike.nn.Conv2d(8, 16, 3)
    bound = 1 / np.sqrt(8 * 9)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound
    assert m.weight.shape == (16, 8, 3, 3)
    assert torchlike.nn.ConvTranspose2d(8, 16, 3, groups=2).weight.shape == (8, 8, 3, 3)


# -- pooling ------------------------------------------------------------------------------------

POOLS = [
    ("max1d_ceil", lambda t, x: F(t).max_pool1d(x, 3, 2, 1, ceil_mode=True,
                                                return_indices=True), (2, 3, 9)),
    ("max2d_2x2", lambda t, x: F(t).max_pool2d(x, 2, return_indices=True), (2, 3, 6, 8)),
    ("max2d_2x2_odd", lambda t, x: F(t).max_pool2d(x, 2), (2, 3, 5, 7)),
    ("max2d_overlap", lambda t, x: F(t).max_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                   return_indices=True), (2, 3, 6, 7)),
    ("max2d_dilation", lambda t, x: F(t).max_pool2d(x, (2, 3), (1, 2), (1, 0), dilation=(2, 1),
                                                    return_indices=True), (3, 6, 7)),
    ("max3d", lambda t, x: F(t).max_pool3d(x, 2, return_indices=True), (1, 2, 4, 4, 5)),
    ("avg1d", lambda t, x: F(t).avg_pool1d(x, 3, 2, 1, count_include_pad=False), (2, 3, 9)),
    ("avg2d_ceil", lambda t, x: F(t).avg_pool2d(x, 3, 2, 1, ceil_mode=True), (2, 3, 6, 7)),
    ("avg2d_nopad", lambda t, x: F(t).avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                 count_include_pad=False), (2, 3, 6, 7)),
    ("avg2d_divisor", lambda t, x: F(t).avg_pool2d(x, (2, 3), padding=1, divisor_override=4),
     (2, 3, 6, 7)),
    ("avg3d", lambda t, x: F(t).avg_pool3d(x, 2, 1), (1, 2, 3, 4, 3)),
    ("adaptive_avg1d", lambda t, x: F(t).adaptive_avg_pool1d(x, 4), (2, 3, 9)),
    ("adaptive_avg2d", lambda t, x: F(t).adaptive_avg_pool2d(x, (4, 3)), (2, 3, 6, 7)),
    ("adaptive_avg2d_none", lambda t, x: F(t).adaptive_avg_pool2d(x, (None, 2)), (3, 6, 7)),
    ("adaptive_avg2d_1", lambda t, x: F(t).adaptive_avg_pool2d(x, 1), (2, 3, 6, 7)),
    ("adaptive_max1d", lambda t, x: F(t).adaptive_max_pool1d(x, 4, return_indices=True),
     (2, 3, 9)),
    ("adaptive_max2d", lambda t, x: F(t).adaptive_max_pool2d(x, (4, 3), return_indices=True),
     (2, 3, 6, 7)),
]


@pytest.mark.parametrize("fn, shape", [(f, s) for _, f, s in POOLS], ids=[n for n, _, _ in POOLS])
def test_pool(fn, shape):
    check(fn, [rand_default(*shape)])


@pytest.mark.parametrize("fn, shape", [(f, s) for n, f, s in POOLS if "max" in n],
                         ids=[n for n, _, _ in POOLS if "max" in n])
def test_max_pool_ties(fn, shape):
    """Torch sends the gradient to the first maximum of each window, in its scan order."""
    check(fn, [rand_some_equal(*shape)])


@pytest.mark.parametrize("fn", [
    lambda t, x: F(t).max_pool2d(x, 2, padding=2),
    lambda t, x: F(t).max_pool2d(x, 7),
    lambda t, x: F(t).avg_pool2d(x, 3, padding=2),
])
def test_pool_errors(fn):
    check_error(fn, [rand_default(1, 2, 4, 4)])


POOL_MODULES = [
    lambda nn: nn.MaxPool2d(2), lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True),
    lambda nn: nn.MaxPool1d(2, return_indices=True), lambda nn: nn.MaxPool3d((1, 2, 2)),
    lambda nn: nn.AvgPool1d(3, 2), lambda nn: nn.AvgPool2d(2, padding=1),
    lambda nn: nn.AvgPool3d(2), lambda nn: nn.AdaptiveAvgPool2d((2, 3)),
    lambda nn: nn.AdaptiveAvgPool1d(2), lambda nn: nn.AdaptiveMaxPool2d(2),
    lambda nn: nn.AdaptiveMaxPool1d(3, return_indices=True),
]


@pytest.mark.parametrize("make", POOL_MODULES)
def test_pool_module(make):
    shapes = {"1d": (2, 3, 8), "2d": (2, 3, 6, 6), "3d": (1, 2, 4, 4, 4)}
    name = type(make(torch.nn)).__name__.lower()
    check_module(make, [rand_default(*shapes[name[-2:]])])


# -- padding, shuffles, interpolation, fold -----------------------------------------------------

PADS = [
    (lambda nn: nn.ZeroPad2d((1, 2, 0, 1)), (2, 3, 4)),
    (lambda nn: nn.ZeroPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ConstantPad1d((2, 1), 3.5), (2, 3, 4)),
    (lambda nn: nn.ConstantPad2d(1, -1.0), (1, 2, 3, 4)),
    (lambda nn: nn.ConstantPad3d((1, 0, 0, 1, 1, 1), 0.5), (1, 2, 2, 3, 2)),
    (lambda nn: nn.ReflectionPad1d((2, 1)), (2, 3, 4)),
    (lambda nn: nn.ReflectionPad2d(2), (1, 2, 3, 4)),
    (lambda nn: nn.ReplicationPad1d(3), (2, 3, 4)),
    (lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), (1, 2, 3, 4)),
    (lambda nn: nn.ReplicationPad3d(1), (1, 2, 2, 3, 2)),
    (lambda nn: nn.CircularPad2d(1), (1, 2, 3, 4)),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 2)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 3, 4)),
    (lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"), (2, 3, 3, 4)),
    (lambda nn: nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True), (1, 2, 3, 4)),
    (lambda nn: nn.UpsamplingNearest2d(size=5), (1, 2, 3, 4)),
    (lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 4)),
    (lambda nn: nn.Unfold((2, 3), padding=1, stride=(2, 1)), (2, 3, 5, 6)),
    (lambda nn: nn.Fold((5, 6), (2, 3), padding=1, stride=(2, 1)), (2, 18, 18)),
]


@pytest.mark.parametrize("make, shape", PADS)
def test_shape_modules(make, shape):
    check_module(make, [rand_default(*shape)])


INTERP = [
    ({"size": (7, 5)}, "nearest", None), ({"scale_factor": 1.7}, "nearest", None),
    ({"size": (7, 5)}, "nearest-exact", None), ({"scale_factor": 2}, "bilinear", False),
    ({"size": (7, 5)}, "bilinear", True), ({"scale_factor": (1.5, 2.5)}, "bilinear", False),
    ({"size": (7, 5)}, "bicubic", False), ({"scale_factor": 1.7}, "bicubic", True),
    ({"size": (3, 4)}, "area", None),
    ({"scale_factor": 0.6, "recompute_scale_factor": True}, "bilinear", False),
]


@pytest.mark.parametrize("kw, mode, ac", INTERP)
def test_interpolate(kw, mode, ac):
    check(lambda t, x: F(t).interpolate(x, mode=mode, align_corners=ac, **kw),
          [rand_default(2, 3, 4, 6)])


def test_interpolate_1d_3d():
    check(lambda t, x: F(t).interpolate(x, scale_factor=2, mode="linear"), [rand_default(2, 3, 5)])
    check(lambda t, x: F(t).interpolate(x, size=3, mode="nearest"), [rand_default(2, 3, 5)])
    check(lambda t, x: F(t).interpolate(x, scale_factor=(2, 1, 3), mode="trilinear"),
          [rand_default(1, 2, 3, 4, 2)])


@pytest.mark.parametrize("fn", [
    lambda t, x: F(t).interpolate(x, size=4, scale_factor=2),
    lambda t, x: F(t).interpolate(x),
    lambda t, x: F(t).interpolate(x, size=4, align_corners=True),
    lambda t, x: F(t).interpolate(x, size=4, mode="bilinear"),
])
def test_interpolate_errors(fn):
    check_error(fn, [rand_default(1, 2, 3)], match_message=True)


def test_unfold_fold_functional():
    check(lambda t, x: F(t).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
          [rand_default(2, 3, 6, 7)])
    check(lambda t, x: F(t).fold(x, (6, 7), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
          [rand_default(2, 18, 20)])
    check(lambda t, x: F(t).pixel_shuffle(x, 3), [rand_default(2, 1, 9, 2, 2)])
