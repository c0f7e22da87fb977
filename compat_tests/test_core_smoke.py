"""The seed's snippets and the basic contract of the funnel."""

import numpy as np
import pytest
from helpers import check, check_error, rand_default

import torchlike


def test_seed_autograd_snippet():
    x = torchlike.tensor(2.0, requires_grad=True)
    y = x**2
    y.backward()
    assert repr(x.grad) == "tensor(4.)"


def test_seed_matmul_snippet():
    a = torchlike.tensor([[1, 2], [3, 4]])
    b = torchlike.tensor([[5, 6], [7, 8]])
    assert repr(torchlike.matmul(a, b)) == "tensor([[19, 22],\n        [43, 50]])"


@pytest.mark.parametrize("fn", [
    lambda t, x, y: x + y, lambda t, x, y: x * y, lambda t, x, y: x - 2 * y,
    lambda t, x, y: x / y, lambda t, x, y: (x @ y.T).relu().sum(),
    lambda t, x, y: t.add(x, y, alpha=3),
])
def test_binary(fn):
    check(fn, [rand_default(3, 4), rand_default(3, 4)])


def test_matmul_shape_error_message():
    check_error(lambda t, a, b: a @ b, [rand_default(64, 784), rand_default(128, 10)],
                match_message=True)


def test_backward_twice_error():
    def twice(t, x):
        x.requires_grad_(True)
        y = (x * x).sum()
        y.backward()
        y.backward()
    check_error(twice, [np.ones(3, np.float32)], match_message=True)
