"""F.affine_grid and F.grid_sample against torch: values and gradients (input, grid, theta) for
every mode, padding mode and align_corners setting, plus torch's errors and warning."""

import warnings

import numpy as np
import pytest
import torch
from helpers import RNG, check, check_error, rand_default

import torchlike


def F(t):
    return t.nn.functional


def _grid(n, h, w, spread=1.3, dtype=np.float32):
    """Sample points over and beyond [-1, 1] (reaching every padding case), off the pixel grid."""
    return (RNG.uniform(-spread, spread, (n, h, w, 2))).astype(dtype)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 3, 2, 4)])
def test_affine_grid(size, align_corners):
    d = len(size) - 2
    theta = rand_default(size[0], d, d + 1)
    caught = {}

    def fn(t, th):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            out = F(t).affine_grid(th, size, align_corners=align_corners)
        caught[t.__name__] = [str(w.message) for w in rec]
        return out
    check(fn, [theta])
    assert caught["torchlike"] == caught["torch"]
    assert bool(caught["torch"]) == (align_corners and 1 in size[2:])


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample(mode, padding_mode, align_corners):
    spread = 3.5 if padding_mode == "reflection" else 1.3  # several reflections
    check(lambda t, x, g: F(t).grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                           align_corners=align_corners),
          [rand_default(2, 3, 5, 6), _grid(2, 4, 7, spread)])


def test_grid_sample_float64_and_spatial_transformer():
    theta = rand_default(2, 2, 3, dtype=np.float64) * 0.5

    def fn(t, x, th):
        g = F(t).affine_grid(th, (2, 3, 6, 5), align_corners=False)
        return F(t).grid_sample(x, g, align_corners=False, padding_mode="border")
    check(fn, [rand_default(2, 3, 4, 4, dtype=np.float64), theta])


def test_align_corners_none_warns():
    x, g = rand_default(1, 1, 3, 3), _grid(1, 2, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        out = F(torchlike).grid_sample(torchlike.from_numpy(x), torchlike.from_numpy(g))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = F(torch).grid_sample(torch.from_numpy(x), torch.from_numpy(g))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


ERRORS = [
    (lambda t, x, g: F(t).grid_sample(x, g, mode="foo", align_corners=False),
     [rand_default(1, 1, 3, 3), _grid(1, 2, 2)]),
    (lambda t, x, g: F(t).grid_sample(x, g, padding_mode="foo", align_corners=False),
     [rand_default(1, 1, 3, 3), _grid(1, 2, 2)]),
    (lambda t, x, g: F(t).grid_sample(x, g, align_corners=False),
     [rand_default(2, 1, 3, 3), rand_default(2, 2, 2, 3)]),
    (lambda t, x, g: F(t).grid_sample(x, g, align_corners=False),
     [rand_default(2, 1, 3, 3), _grid(3, 2, 2)]),
    (lambda t, x, g: F(t).grid_sample(x, g, align_corners=False),
     [rand_default(1, 1, 3, 3), _grid(1, 2, 2, dtype=np.float64)]),
    (lambda t, th: F(t).affine_grid(th, (2, 3, 4, 5), align_corners=False),
     [rand_default(2, 3, 3)]),
    (lambda t, th: F(t).affine_grid(th, (2, 3, 4, 5, 6), align_corners=False),
     [rand_default(2, 2, 3)]),
    (lambda t, th: F(t).affine_grid(th, (2, 3, 4), align_corners=False),
     [rand_default(2, 2, 3)]),
]


@pytest.mark.parametrize(("fn", "ins"), ERRORS)
def test_errors(fn, ins):
    check_error(fn, ins, match_message=True)


@pytest.mark.parametrize(("fn", "ins"), [
    pytest.param(lambda t, x, g: F(t).grid_sample(x, g, mode="bicubic", align_corners=False),
                 [rand_default(1, 2, 4, 4), _grid(1, 3, 3)], id="bicubic",
                 marks=pytest.mark.xfail(strict=True, raises=NotImplementedError,
                                         reason="grid_sample mode='bicubic' not implemented")),
    pytest.param(lambda t, x, g: F(t).grid_sample(x, g, align_corners=False),
                 [rand_default(1, 2, 3, 4, 4), RNG.uniform(-1, 1, (1, 2, 3, 3, 3))
                  .astype(np.float32)], id="volumetric_5d",
                 marks=pytest.mark.xfail(strict=True, raises=NotImplementedError,
                                         reason="5-D grid_sample not implemented")),
])
def test_grid_sample_known_gaps(fn, ins):
    check(fn, ins)
