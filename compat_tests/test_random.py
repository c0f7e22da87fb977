"""RNG: Generator/seeding semantics and the samplers' distributions (values cannot match torch's
Mersenne Twister, so distributions are tested statistically), dtypes, shapes and errors vs torch."""

import math

import jax
import numpy as np
import pytest
import torch
from helpers import check_error

import torchlike

N = 100_000


def _np(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


# -- generators and seeding -----------------------------------------------------------------------

def test_manual_seed_reproducible_and_distinct():
    torchlike.manual_seed(123)
    a = torchlike.rand(5)
    torchlike.manual_seed(123)
    b = torchlike.rand(5)
    torchlike.manual_seed(124)
    c = torchlike.rand(5)
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()


def test_consecutive_draws_differ():
    torchlike.manual_seed(0)
    assert torchlike.randn(4).tolist() != torchlike.randn(4).tolist()


def test_generator_isolation():
    g1 = torchlike.Generator().manual_seed(7)
    g2 = torchlike.Generator().manual_seed(7)
    torchlike.manual_seed(0)
    x = torchlike.randn(6, generator=g1)
    torchlike.randn(100)  # the default generator advancing must not affect g2
    y = torchlike.randn(6, generator=g2)
    assert x.tolist() == y.tolist()
    s = torchlike.get_rng_state()
    torchlike.randn(3, generator=g1)
    assert torchlike.get_rng_state().tolist() == s.tolist()


def test_generator_api():
    g = torchlike.Generator(device="cpu")
    assert g.device == torchlike.device("cpu")
    assert g.initial_seed() == torch.Generator().initial_seed()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert g.manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    assert isinstance(torchlike.default_generator, torchlike.Generator)
    assert torchlike.manual_seed(3) is torchlike.default_generator
    assert torchlike.initial_seed() == 3
    assert isinstance(torchlike.seed(), int)


def test_key_matches_jax_prngkey():
    for s in (0, 5, 2**40 + 7, -1, 2**63 - 1, 2**64 - 1):
        g = torchlike.Generator().manual_seed(s)
        want = np.asarray(jax.random.PRNGKey(s - 2**64 if s >= 2**63 else s), np.uint32)
        assert np.array_equal(np.asarray(g._key, np.uint32), want)


def test_get_set_state_roundtrip():
    g = torchlike.Generator().manual_seed(11)
    torchlike.rand(3, generator=g)
    st = g.get_state()
    assert st.dtype == torchlike.uint8 and st.ndim == 1
    a = torchlike.rand(4, generator=g)
    g.set_state(st)
    assert torchlike.rand(4, generator=g).tolist() == a.tolist()
    torchlike.set_rng_state(st)
    assert torchlike.rand(4).tolist() == a.tolist()


def test_fork_rng():
    torchlike.manual_seed(1)
    with torchlike.random.fork_rng():
        torchlike.rand(10)
    after = torchlike.rand(3)
    torchlike.manual_seed(1)
    assert torchlike.rand(3).tolist() == after.tolist()


def test_random_ops_take_and_return_the_key():
    # The key is an input of the jitted op, so jit can thread it through (torchlike.compile).
    g = torchlike.Generator().manual_seed(0)
    k0 = np.asarray(g._key)
    torchlike.randn(3, generator=g)
    assert not np.array_equal(np.asarray(g._key), k0)


@pytest.mark.parametrize("fn", [
    lambda t, g: t.Generator().manual_seed(2**64),
    lambda t, g: t.Generator().manual_seed(-2**63 - 1),
    lambda t, g: g.set_state(t.zeros(3)),
    lambda t, g: g.set_state([1]),
    lambda t, g: g.set_state(t.zeros(3, dtype=t.uint8)),
])
def test_generator_errors(fn):
    check_error(lambda t: fn(t, t.Generator()))


# -- distributions --------------------------------------------------------------------------------

def _moments(x):
    x = _np(x).ravel()
    return x.mean(), x.std()


def test_rand():
    x = torchlike.rand(N)
    v = _np(x)
    assert x.dtype == torchlike.float32 and v.min() >= 0 and v.max() < 1
    m, s = _moments(x)
    assert abs(m - 0.5) < 0.01 and abs(s - math.sqrt(1 / 12)) < 0.01


def test_randn_and_dtypes():
    x = torchlike.randn(N, dtype=torchlike.float64)
    assert x.dtype == torchlike.float64
    m, s = _moments(x)
    assert abs(m) < 0.02 and abs(s - 1) < 0.02
    assert torchlike.randn(2, 3).shape == (2, 3) and torchlike.rand((2, 3)).shape == (2, 3)
    assert torchlike.randn(2, dtype=torchlike.float16).dtype == torchlike.float16
    assert torchlike.randn(2, requires_grad=True).requires_grad


def test_like_variants():
    base = torchlike.zeros(20, 30, dtype=torchlike.float64)
    for f in (torchlike.rand_like, torchlike.randn_like):
        y = f(base)
        assert y.shape == base.shape and y.dtype == torchlike.float64
    r = torchlike.randint_like(torchlike.zeros(1000, dtype=torchlike.int32), 3, 5)
    assert r.dtype == torchlike.int32 and set(r.tolist()) == {3, 4}
    r = torchlike.randint_like(torchlike.zeros(1000), 5)
    assert r.dtype == torchlike.float32 and set(r.tolist()) == {0, 1, 2, 3, 4}


def test_randint():
    x = torchlike.randint(3, 9, (N,))
    v = _np(x)
    assert x.dtype == torchlike.int64 and v.min() == 3 and v.max() == 8
    assert abs(v.mean() - 5.5) < 0.03
    assert torchlike.randint(10, (2, 3)).shape == (2, 3)
    assert torchlike.randint(low=1, high=5, size=(4,)).dtype == torchlike.int64
    assert torchlike.randint(high=5, size=(4,)).shape == (4,)
    assert torchlike.randint(3, (2,), dtype=torchlike.float32).dtype == torchlike.float32
    big = _np(torchlike.randint(-2**63, 2**63 - 1, (1000,)))
    assert (big < 0).any() and (big > 0).any()


def test_randperm():
    p = torchlike.randperm(1000)
    assert p.dtype == torchlike.int64 and sorted(p.tolist()) == list(range(1000))
    assert p.tolist() != list(range(1000))
    assert torchlike.randperm(5, dtype=torchlike.float32).dtype == torchlike.float32
    assert torchlike.randperm(0).shape == (0,)


def test_normal_overloads():
    m = torchlike.full((N,), 3.0)
    s = torchlike.full((N,), 2.0)
    for x in (torchlike.normal(m, s), torchlike.normal(3.0, s), torchlike.normal(m, 2.0),
              torchlike.normal(3.0, 2.0, (N,))):
        mu, sd = _moments(x)
        assert x.shape == (N,) and x.dtype == torchlike.float32
        assert abs(mu - 3) < 0.03 and abs(sd - 2) < 0.03
    assert torchlike.normal(torchlike.zeros(2, 1), torchlike.ones(3)).shape == (2, 3)
    assert torchlike.normal(2, torchlike.ones(2, dtype=torchlike.float64)).dtype == \
        torchlike.float64
    assert torchlike.normal(0, 1, size=(2,), dtype=torchlike.float64).dtype == torchlike.float64
    assert torchlike.normal(mean=torchlike.zeros(2)).shape == (2,)


def test_normal_gradient_is_zero_as_torch():
    m = torchlike.zeros(3, requires_grad=True)
    s = torchlike.ones(3, requires_grad=True)
    out = torchlike.normal(m, s)
    assert out.requires_grad
    out.sum().backward()
    assert m.grad.tolist() == [0.0] * 3 and s.grad.tolist() == [0.0] * 3


def test_bernoulli():
    p = torchlike.full((N,), 0.3)
    x = torchlike.bernoulli(p)
    v = _np(x)
    assert x.dtype == torchlike.float32 and set(np.unique(v)) <= {0.0, 1.0}
    assert abs(v.mean() - 0.3) < 0.01
    y = _np(torchlike.bernoulli(p, 0.8))
    assert abs(y.mean() - 0.8) < 0.01
    assert abs(_np(p.bernoulli()).mean() - 0.3) < 0.01


def test_multinomial():
    w = torchlike.tensor([1.0, 2.0, 0.0, 7.0])
    x = torchlike.multinomial(w, N, replacement=True)
    freq = np.bincount(_np(x).astype(int), minlength=4) / N
    assert x.dtype == torchlike.int64 and freq[2] == 0
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.0, 0.7], atol=0.01)
    draws = torchlike.multinomial(torchlike.rand(50, 10) + 0.01, 10).tolist()
    assert all(sorted(d) == list(range(10)) for d in draws)
    b = torchlike.multinomial(torchlike.ones(3, 5), 4)
    assert b.shape == (3, 4) and all(len(set(r)) == 4 for r in b.tolist())
    assert torchlike.multinomial(torchlike.ones(2, 3), 6, True).shape == (2, 6)
    assert torchlike.ones(3).multinomial(2).dtype == torchlike.int64
    # Without replacement, the first draw follows the weights.
    first = _np(torchlike.multinomial(torchlike.tensor([[1.0, 9.0]] * 2000), 2))[:, 0]
    assert abs(first.mean() - 0.9) < 0.03


def test_poisson():
    x = torchlike.poisson(torchlike.full((N,), 4.0))
    v = _np(x)
    assert x.dtype == torchlike.float32 and (v == np.round(v)).all() and v.min() >= 0
    assert abs(v.mean() - 4) < 0.05 and abs(v.var() - 4) < 0.1


# -- in-place samplers ----------------------------------------------------------------------------

INPLACE = {  # name: (call, mean, std, check on values)
    "normal_": (lambda x: x.normal_(2.0, 3.0), 2.0, 3.0, None),
    "uniform_": (lambda x: x.uniform_(-2, 4), 1.0, 6 / math.sqrt(12),
                 lambda v: v.min() >= -2 and v.max() < 4),
    "bernoulli_": (lambda x: x.bernoulli_(0.25), 0.25, math.sqrt(0.25 * 0.75),
                   lambda v: set(np.unique(v)) == {0.0, 1.0}),
    "bernoulli_tensor": (lambda x: x.bernoulli_(torchlike.tensor([0.25])), 0.25,
                         math.sqrt(0.25 * 0.75), None),
    "random_range": (lambda x: x.random_(0, 10), 4.5, math.sqrt(99 / 12),
                     lambda v: v.min() == 0 and v.max() == 9 and (v == np.round(v)).all()),
    "random_to": (lambda x: x.random_(4), 1.5, math.sqrt(15 / 12),
                  lambda v: set(np.unique(v)) == {0, 1, 2, 3}),
    "random_": (lambda x: x.random_(), 2**23, 2**24 / math.sqrt(12),
                lambda v: v.min() >= 0 and v.max() <= 2**24),
    "exponential_": (lambda x: x.exponential_(2.0), 0.5, 0.5, lambda v: v.min() >= 0),
    "geometric_": (lambda x: x.geometric_(0.25), 4.0, math.sqrt(0.75) / 0.25,
                   lambda v: v.min() == 1 and (v == np.round(v)).all()),
    "log_normal_": (lambda x: x.log_normal_(0.0, 0.5), math.exp(0.125),
                    math.sqrt((math.exp(0.25) - 1) * math.exp(0.25)), lambda v: v.min() > 0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_samplers(name):
    call, mean, std, extra = INPLACE[name]
    x = torchlike.zeros(N)
    out = call(x)
    assert out is x and x.dtype == torchlike.float32 and x._version > 0
    v = _np(x)
    assert abs(v.mean() - mean) < 0.03 * max(std, 1)
    assert abs(v.std() - std) < 0.03 * max(std, 1)
    assert extra is None or extra(v)


def test_cauchy_median():
    v = _np(torchlike.zeros(N).cauchy_(1.0, 2.0))
    assert abs(np.median(v) - 1) < 0.05
    assert abs(np.percentile(v, 75) - np.percentile(v, 25) - 4) < 0.15


def test_inplace_int_dtypes():
    r = torchlike.zeros(1000, dtype=torchlike.int64).random_(-3, 3)
    assert r.dtype == torchlike.int64 and set(r.tolist()) == {-3, -2, -1, 0, 1, 2}
    b = torchlike.zeros(1000, dtype=torchlike.bool).random_()
    assert set(b.tolist()) == {False, True}
    assert torchlike.zeros(8, dtype=torchlike.int64).random_().min().item() >= 0
    g = torchlike.zeros(100, dtype=torchlike.int64).geometric_(0.5)
    assert g.dtype == torchlike.int64 and g.min().item() >= 1


def test_inplace_generator_reproducible():
    a = torchlike.zeros(5).normal_(generator=torchlike.Generator().manual_seed(3))
    b = torchlike.zeros(5).normal_(generator=torchlike.Generator().manual_seed(3))
    assert a.tolist() == b.tolist()


def test_inplace_on_view_writes_base():
    base = torchlike.zeros(4, 5)
    base[1].uniform_(1, 2)
    v = _np(base)
    assert (v[1] >= 1).all() and (v[0] == 0).all() and (v[2:] == 0).all()


def test_inplace_sampler_on_nonleaf_grad_is_zero():
    x = torchlike.ones(3, requires_grad=True)
    y = x * 2
    y.normal_()
    (y * 1).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_inplace_sampler_on_leaf_raises():
    check_error(lambda t: t.ones(3, requires_grad=True).normal_(), match_message=True)


def test_seeded_functions_accept_generator():
    for f in (lambda g: torchlike.rand(3, generator=g), lambda g: torchlike.randn(3, generator=g),
              lambda g: torchlike.randint(0, 5, (3,), generator=g),
              lambda g: torchlike.randperm(5, generator=g),
              lambda g: torchlike.normal(0.0, 1.0, (3,), generator=g),
              lambda g: torchlike.bernoulli(torchlike.full((3,), 0.5), generator=g),
              lambda g: torchlike.multinomial(torchlike.ones(4), 2, generator=g),
              lambda g: torchlike.poisson(torchlike.ones(3), generator=g),
              lambda g: torchlike.rand_like(torchlike.ones(3), generator=g)):
        a = f(torchlike.Generator().manual_seed(9))
        b = f(torchlike.Generator().manual_seed(9))
        assert a.tolist() == b.tolist()


# -- errors -----------------------------------------------------------------------------------------

ERRORS = {
    "rand_int": lambda t: t.rand(2, dtype=t.int64),
    "randn_int": lambda t: t.randn(2, dtype=t.int64),
    "rand_negative": lambda t: t.rand(-1),
    "randint_equal": lambda t: t.randint(5, 5, (2,)),
    "randint_reversed": lambda t: t.randint(5, 3, (2,)),
    "randint_zero_high": lambda t: t.randint(0, (2,)),
    "randint_bool": lambda t: t.randint(3, (2,), dtype=t.bool),
    "randperm_negative": lambda t: t.randperm(-1),
    "multinomial_too_many": lambda t: t.multinomial(t.ones(3), 4),
    "multinomial_zero": lambda t: t.multinomial(t.ones(3), 0),
    "multinomial_3d": lambda t: t.multinomial(t.ones(2, 2, 2), 1),
    "multinomial_negative": lambda t: t.multinomial(t.tensor([1.0, -1]), 1),
    "multinomial_zero_sum": lambda t: t.multinomial(t.zeros(2), 1),
    "multinomial_int": lambda t: t.multinomial(t.ones(3, dtype=t.int64), 1),
    "bernoulli_p": lambda t: t.bernoulli(t.ones(2), p=1.5),
    "bernoulli_tensor_p": lambda t: t.bernoulli(t.tensor([1.5])),
    "bernoulli_int": lambda t: t.bernoulli(t.tensor([1, 0])),
    "bernoulli__p": lambda t: t.zeros(2).bernoulli_(1.5),
    "bernoulli__tensor_p": lambda t: t.zeros(2).bernoulli_(t.tensor([0.5, 2.0])),
    "bernoulli__shape": lambda t: t.zeros(2).bernoulli_(t.zeros(3)),
    "normal_std": lambda t: t.normal(0.0, -1.0, (2,)),
    "normal_tensor_float_std": lambda t: t.normal(t.zeros(2), -1.0),
    "normal_tensor_std": lambda t: t.normal(t.zeros(2), t.tensor([-1.0, 1])),
    "normal_shapes": lambda t: t.normal(t.zeros(2), t.ones(3)),
    "normal_int": lambda t: t.normal(t.zeros(2, dtype=t.int64), 1.0),
    "normal_floats": lambda t: t.normal(0.0, 1.0),
    "normal__std": lambda t: t.zeros(2).normal_(0, -1),
    "normal__int": lambda t: t.zeros(2, dtype=t.int64).normal_(),
    "uniform__range": lambda t: t.zeros(2).uniform_(1, 0),
    "uniform__int": lambda t: t.zeros(2, dtype=t.int64).uniform_(),
    "exponential__neg": lambda t: t.zeros(2).exponential_(-1),
    "exponential__zero": lambda t: t.zeros(2).exponential_(0),
    "exponential__int": lambda t: t.zeros(2, dtype=t.int64).exponential_(),
    "geometric__zero": lambda t: t.zeros(2).geometric_(0),
    "geometric__big": lambda t: t.zeros(2).geometric_(1.5),
    "geometric__bool": lambda t: t.zeros(2, dtype=t.bool).geometric_(0.5),
    "log_normal__std": lambda t: t.zeros(2).log_normal_(1, 0),
    "log_normal__int": lambda t: t.zeros(2, dtype=t.int64).log_normal_(),
    "cauchy__sigma": lambda t: t.zeros(2).cauchy_(0, -1),
    "cauchy__int": lambda t: t.zeros(2, dtype=t.int64).cauchy_(),
    "random__reversed": lambda t: t.zeros(2).random_(5, 3),
    "random__negative_to": lambda t: t.zeros(2, dtype=t.int64).random_(-3),
    "random__int8_bounds": lambda t: t.zeros(2, dtype=t.int8).random_(0, 1000),
    "random__uint8_from": lambda t: t.zeros(2, dtype=t.uint8).random_(-1, 3),
    "random__bool_bounds": lambda t: t.zeros(2, dtype=t.bool).random_(0, 3),
    "poisson_negative": lambda t: t.poisson(t.tensor([-1.0])),
    "poisson_int": lambda t: t.poisson(t.tensor([1])),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    check_error(ERRORS[name], match_message=name not in ("normal_floats",))
