"""PReLU / F.prelu, Softmax2d, PairwiseDistance and CosineSimilarity against torch."""

import numpy as np
import pytest
import torch
from helpers import check, check_error, rand_default

import torchlike


def _kinky(*shape):
    x = rand_default(*shape)
    x.flat[:3] = [0.0, -1.0, 1.0]
    return x


@pytest.mark.parametrize(("x", "w"), [
    (_kinky(2, 3, 4), rand_default(3)), (_kinky(2, 3, 4, 2), rand_default(1)),
    (_kinky(5), rand_default(1)), (_kinky(4, 3), rand_default(3)),
    (np.float32(-2.0), rand_default(1)),
])
def test_prelu(x, w):
    check(lambda t, x, w: t.nn.functional.prelu(x, w), [np.asarray(x), w])


@pytest.mark.parametrize(("n", "shape"), [(1, (2, 3, 4)), (3, (2, 3, 4, 5))])
def test_prelu_module(n, shape):
    tm, lm = torch.nn.PReLU(n, init=0.1), torchlike.nn.PReLU(n, init=0.1)
    assert repr(lm) == repr(tm)
    np.testing.assert_array_equal(lm.weight.detach().numpy(), tm.weight.detach().numpy())
    check(lambda t, x: (torch.nn.PReLU(n, init=0.1) if t is torch else
                        torchlike.nn.PReLU(n, init=0.1))(x), [_kinky(*shape)])


def test_prelu_errors():
    check_error(lambda t, x, w: t.nn.functional.prelu(x, w), [rand_default(2, 4), rand_default(3)],
                match_message=True)


MODULES = [
    ("Softmax2d", {}, lambda: [rand_default(2, 3, 4, 5)]),
    ("Softmax2d", {}, lambda: [rand_default(3, 4, 5)]),
    ("PairwiseDistance", {}, lambda: [rand_default(4, 5), rand_default(4, 5)]),
    ("PairwiseDistance", {"p": 1.0, "eps": 0.1, "keepdim": True},
     lambda: [rand_default(4, 5), rand_default(4, 5)]),
    ("CosineSimilarity", {"dim": 0}, lambda: [rand_default(4, 5), rand_default(4, 5)]),
]


@pytest.mark.parametrize(("name", "kw", "make"), MODULES)
def test_modules(name, kw, make):
    assert repr(getattr(torchlike.nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))
    check(lambda t, *a: getattr(t.nn, name)(**kw)(*a), make())


def test_softmax2d_error():
    check_error(lambda t, x: t.nn.Softmax2d()(x), [rand_default(3, 4)], match_message=True)


@pytest.mark.parametrize(("name", "args"), [
    ("relu_", ()), ("elu_", (0.5,)), ("selu_", ()), ("celu_", (1.5,)), ("leaky_relu_", (0.2,)),
    ("hardtanh_", (-0.5, 0.5)), ("threshold_", (0.1, -2.0)),
])
def test_inplace_functional_aliases(name, args):
    def fn(t, x):
        y = x * 1.0
        out = getattr(t.nn.functional, name)(y, *args)
        assert out is y
        return out
    check(fn, [_kinky(3, 4)])
