"""nn.init.sparse_ and torch's deprecated non-underscore init aliases. sparse_ draws from
torchlike's RNG, so its values are checked by their properties: the exact number of zeros per
column (as torch's) and the spread of the non-zero values."""

import math

import numpy as np
import pytest
import torch

import torchlike
from compat_tests.helpers import _np, check_error

SPARSE_CASES = [  # (rows, cols, sparsity, std)
    (10, 7, 0.25, 0.01),
    (10, 7, 0.1, 1.0),
    (9, 4, 0.5, 0.3),
    (5, 3, 0.0, 2.0),
    (6, 3, 1.0, 1.0),
    (1, 8, 0.3, 1.0),
]


@pytest.mark.parametrize(("rows", "cols", "sparsity", "std"), SPARSE_CASES)
def test_sparse_zeros_per_column(rows, cols, sparsity, std):
    tw = torch.nn.init.sparse_(torch.empty(rows, cols), sparsity, std)
    lt = torchlike.empty(rows, cols)
    lw = torchlike.nn.init.sparse_(lt, sparsity, std)
    assert lw is lt
    assert lw.dtype == torchlike.float32 and tuple(lw.shape) == (rows, cols)
    got = (_np(lw) == 0).sum(0)
    want = (tw.numpy() == 0).sum(0)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, np.full(cols, math.ceil(sparsity * rows)))


def test_sparse_zero_rows_differ_between_columns():
    w = _np(torchlike.nn.init.sparse_(torchlike.empty(50, 20), 0.5))
    masks = {tuple(np.flatnonzero(w[:, j] == 0)) for j in range(20)}
    assert len(masks) > 1


@pytest.mark.parametrize("std", [0.01, 0.5, 3.0])
def test_sparse_nonzero_std(std):
    w = _np(torchlike.nn.init.sparse_(torchlike.empty(200, 100), 0.2, std=std))
    nz = w[w != 0]
    assert nz.size == 160 * 100
    # 16000 normal draws: the sample std is within 3% and the mean within 5 sigma / sqrt(n).
    assert abs(nz.std() / std - 1) < 0.03
    assert abs(nz.mean()) < 5 * std / math.sqrt(nz.size)


def test_sparse_generator_reproducible():
    a = torchlike.nn.init.sparse_(torchlike.empty(8, 5), 0.4,
                                  generator=torchlike.Generator().manual_seed(3))
    b = torchlike.nn.init.sparse_(torchlike.empty(8, 5), 0.4,
                                  generator=torchlike.Generator().manual_seed(3))
    np.testing.assert_array_equal(_np(a), _np(b))


def test_sparse_float64_and_no_grad():
    p = torchlike.nn.Parameter(torchlike.empty(6, 4, dtype=torchlike.float64))
    torchlike.nn.init.sparse_(p, 0.5)
    assert p.dtype == torchlike.float64 and p.requires_grad and p.grad_fn is None
    assert ((_np(p.detach()) == 0).sum(0) == 3).all()


SPARSE_ERRORS = {
    "1d": lambda t: t.nn.init.sparse_(t.empty(5), 0.1),
    "3d": lambda t: t.nn.init.sparse_(t.empty(2, 3, 4), 0.1),
    "0d": lambda t: t.nn.init.sparse_(t.empty(()), 0.1),
}


@pytest.mark.parametrize("name", list(SPARSE_ERRORS))
def test_sparse_errors(name):
    check_error(SPARSE_ERRORS[name], match_message=True)


DEPRECATED = {  # alias -> (args after the tensor, tensor shape)
    "uniform": ((), (3, 4)),
    "normal": ((), (3, 4)),
    "constant": ((0.5,), (3, 4)),
    "eye": ((), (3, 4)),
    "dirac": ((), (4, 2, 3)),
    "xavier_uniform": ((), (3, 4)),
    "xavier_normal": ((), (3, 4)),
    "kaiming_uniform": ((), (3, 4)),
    "kaiming_normal": ((), (3, 4)),
    "orthogonal": ((), (3, 4)),
    "sparse": ((0.5,), (3, 4)),
}


@pytest.mark.parametrize("name", list(DEPRECATED))
def test_deprecated_alias(name):
    args, shape = DEPRECATED[name]
    msg = f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."
    with pytest.warns(FutureWarning) as t_rec:
        getattr(torch.nn.init, name)(torch.empty(shape), *args)
    with pytest.warns(FutureWarning) as l_rec:
        out = getattr(torchlike.nn.init, name)(torchlike.empty(shape), *args)
    assert [str(w.message) for w in l_rec] == [str(w.message) for w in t_rec] == [msg]
    assert getattr(torchlike.nn.init, name).__name__ == name
    assert tuple(out.shape) == shape
    if name in ("constant", "eye", "dirac"):
        want = getattr(torch.nn.init, name + "_")(torch.empty(shape), *args)
        np.testing.assert_array_equal(_np(out), want.numpy())
