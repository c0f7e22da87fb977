"""torchlike.func against torch.func: grad/grad_and_value/vjp/jvp/jacrev/jacfwd/hessian/vmap (and
their compositions), functional_call, stack_module_state; the error cases; JAX interop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import torchlike

RNG = np.random.default_rng(0)
A = RNG.standard_normal(5).astype(np.float32)
B = RNG.standard_normal(5).astype(np.float32)
M = RNG.standard_normal((3, 5)).astype(np.float32)
BATCH = RNG.standard_normal((4, 5)).astype(np.float32)


def _f(t, x):
    return (x.sin() * x).sum()


def _g(t, x, y):
    return (x * y.exp()).sum() + (x * x).sum()


def _vec(t, x):
    return x.sin() * x.cos().sum()


CASES = {  # name -> fn(lib, *tensors) -> result (Tensor or nested tuples), inputs
    "grad": (lambda t, x: t.func.grad(lambda v: _f(t, v))(x), (A,)),
    "grad_argnums_1": (lambda t, x, y: t.func.grad(lambda a, b: _g(t, a, b), argnums=1)(x, y),
                       (A, B)),
    "grad_argnums_tuple": (lambda t, x, y: t.func.grad(lambda a, b: _g(t, a, b),
                                                       argnums=(0, 1))(x, y), (A, B)),
    "grad_has_aux": (lambda t, x: t.func.grad(lambda v: (_f(t, v), v.cos()), has_aux=True)(x),
                     (A,)),
    "grad_and_value": (lambda t, x: t.func.grad_and_value(lambda v: _f(t, v))(x), (A,)),
    "grad_of_grad_sum": (lambda t, x: t.func.grad(
        lambda v: t.func.grad(lambda w: _f(t, w))(v).sum())(x), (A,)),
    "vjp": (lambda t, x, y: (lambda r: (r[0], r[1](y)))(t.func.vjp(lambda v: _vec(t, v), x)),
            (A, B)),
    "jvp": (lambda t, x, y: t.func.jvp(lambda v: _vec(t, v), (x,), (y,)), (A, B)),
    "jacrev": (lambda t, x: t.func.jacrev(lambda v: _vec(t, v))(x), (A,)),
    "jacrev_argnums_tuple": (lambda t, x, y: t.func.jacrev(
        lambda a, b: a * b.tanh(), argnums=(0, 1))(x, y), (A, B)),
    "jacfwd": (lambda t, x: t.func.jacfwd(lambda v: _vec(t, v))(x), (A,)),
    "jacfwd_matrix_out": (lambda t, m, x: t.func.jacfwd(lambda v: m @ v.sin())(x), (M, A)),
    "hessian": (lambda t, x: t.func.hessian(lambda v: _f(t, v))(x), (A,)),
    "hessian_two_args": (lambda t, x, y: t.func.hessian(lambda a, b: _g(t, a, b),
                                                        argnums=1)(x, y), (A, B)),
    "vmap": (lambda t, xs: t.func.vmap(lambda v: _vec(t, v))(xs), (BATCH,)),
    "vmap_in_dims_none": (lambda t, xs, y: t.func.vmap(lambda a, b: a * b, in_dims=(0, None))(
        xs, y), (BATCH, A)),
    "vmap_in_dims_1": (lambda t, xs: t.func.vmap(lambda v: v.sum(), in_dims=1)(xs), (BATCH,)),
    "vmap_out_dims_1": (lambda t, xs: t.func.vmap(lambda v: v * 2, out_dims=1)(xs), (BATCH,)),
    "vmap_scalar_arg": (lambda t, xs: t.func.vmap(lambda v, s: v * s, in_dims=(0, None))(xs, 3.0),
                        (BATCH,)),
    "vmap_tuple_out": (lambda t, xs: t.func.vmap(lambda v: (v.sum(), v.max()))(xs), (BATCH,)),
    "vmap_nested": (lambda t, xs: t.func.vmap(t.func.vmap(lambda v: v * v))(xs), (BATCH,)),
    "vmap_grad": (lambda t, xs: t.func.vmap(t.func.grad(lambda v: _f(t, v)))(xs), (BATCH,)),
    "vmap_jacrev": (lambda t, xs: t.func.vmap(t.func.jacrev(lambda v: v.sin() * 2))(xs),
                    (BATCH,)),
    "vmap_matmul": (lambda t, m, xs: t.func.vmap(lambda v: m @ v)(xs), (M, BATCH)),
}


def _run(lib, name):
    fn, inputs = CASES[name]
    return fn(lib, *(lib.tensor(x) for x in inputs))


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [leaf for o in out for leaf in _leaves(o)]
    return [out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_transforms_match_torch(name):
    want = _leaves(_run(torch, name))
    got = _leaves(_run(torchlike, name))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, torchlike.Tensor)
        assert tuple(g.shape) == tuple(w.shape) and g.dtype.name == str(w.dtype).split(".")[-1]
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=2e-5, atol=1e-6)


def _linear_pair():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    lm = torchlike.nn.Sequential(torchlike.nn.Linear(5, 4), torchlike.nn.Tanh(),
                                 torchlike.nn.Linear(4, 2))
    lm.load_state_dict({k: torchlike.tensor(v.detach().numpy())
                        for k, v in tm.state_dict().items()})
    return tm, lm


def _np(d):
    return {k: v.detach().numpy() for k, v in d.items()}


def test_functional_call_and_grad_of_params():
    tm, lm = _linear_pair()
    new = {k: RNG.standard_normal(tuple(v.shape)).astype(np.float32)
           for k, v in tm.named_parameters()}
    x = BATCH
    outs = []
    for lib, m in ((torch, tm), (torchlike, lm)):
        params = {k: lib.tensor(v) for k, v in new.items()}

        def loss(p, xb, lib=lib, m=m):
            return lib.func.functional_call(m, p, (xb,)).square().mean()

        out = lib.func.functional_call(m, params, lib.tensor(x))
        g = lib.func.grad(loss)(params, lib.tensor(x))
        outs.append((out.detach().numpy(), _np(g)))
        # the module keeps its own parameters afterwards
        np.testing.assert_array_equal(m[0].weight.detach().numpy(),
                                      tm[0].weight.detach().numpy())
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-5, atol=1e-6)
    for k in outs[0][1]:
        np.testing.assert_allclose(outs[1][1][k], outs[0][1][k], rtol=1e-5, atol=1e-6)


def test_functional_call_eager_autograd_and_strict():
    _, lm = _linear_pair()
    p = {k: v.detach().clone().requires_grad_() for k, v in lm.named_parameters()}
    torchlike.func.functional_call(lm, p, torchlike.tensor(BATCH)).sum().backward()
    assert all(v.grad is not None for v in p.values())
    assert lm[0].weight.grad is None
    with pytest.raises(RuntimeError, match="Missing key"):
        torchlike.func.functional_call(lm, {"0.weight": p["0.weight"]},
                                       torchlike.tensor(BATCH), strict=True)


def test_stack_module_state_ensemble_vmap():
    """The torch.func model-ensembling recipe: stack_module_state + vmap(functional_call)."""
    results = []
    torch.manual_seed(0)
    tmodels = [torch.nn.Linear(5, 3) for _ in range(3)]
    for lib in (torch, torchlike):
        models = []
        for tmod in tmodels:
            m = lib.nn.Linear(5, 3)
            m.load_state_dict({k: lib.tensor(v.detach().numpy())
                               for k, v in tmod.state_dict().items()})
            models.append(m)
        params, buffers = lib.func.stack_module_state(models)
        assert params["weight"].shape == (3, 3, 5) and params["weight"].requires_grad
        base = models[0]

        def call(p, b, x, base=base, lib=lib):
            return lib.func.functional_call(base, (p, b), (x,))
        out = lib.func.vmap(call, in_dims=(0, 0, None))(params, buffers, lib.tensor(BATCH))
        results.append(out.detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, call, exc", [
    ("grad_non_scalar", lambda t: t.func.grad(lambda v: v * 2)(t.ones(3)), RuntimeError),
    ("grad_non_tensor_out", lambda t: t.func.grad(lambda v: 2.0)(t.ones(3)), RuntimeError),
    ("vmap_random", lambda t: t.func.vmap(lambda v: v + t.rand(()))(t.ones(3)), RuntimeError),
    ("vmap_bad_randomness", lambda t: t.func.vmap(lambda v: v, randomness="x")(t.ones(3)),
     RuntimeError),
    ("vmap_nontensor_in_dim", lambda t: t.func.vmap(lambda v, s: v * s)(t.ones(3), 2.0),
     ValueError),
    ("vmap_size_mismatch", lambda t: t.func.vmap(lambda a, b: a + b)(t.ones(3), t.ones(4)),
     ValueError),
    ("vmap_in_dims_none", lambda t: t.func.vmap(lambda a: a, in_dims=None)(t.ones(3)),
     ValueError),
    ("vmap_all_none", lambda t: t.func.vmap(lambda a: a, in_dims=(None,))(t.ones(3)),
     ValueError),
    ("vjp_has_aux_not_tuple", lambda t: t.func.vjp(lambda v: v, t.ones(3), has_aux=True),
     RuntimeError),
])
def test_errors_match_torch(name, call, exc):
    with pytest.raises(exc) as want:
        call(torch)
    with pytest.raises(exc) as got:
        call(torchlike)
    assert str(got.value).split(":")[0] == str(want.value).split(":")[0]


def test_vmap_randomness_different_and_same():
    torchlike.manual_seed(0)
    xs = torchlike.zeros(6, 2)
    diff = torchlike.func.vmap(lambda v: v + torchlike.rand(2), randomness="different")(xs)
    same = torchlike.func.vmap(lambda v: v + torchlike.rand(2), randomness="same")(xs)
    assert len({tuple(r) for r in diff.tolist()}) == 6
    assert len({tuple(r) for r in same.tolist()}) == 1
    k = np.asarray(torchlike.default_generator._key).copy()
    torchlike.func.vmap(lambda v: v + torchlike.rand(2), randomness="different")(xs)
    assert not np.array_equal(np.asarray(torchlike.default_generator._key), k)  # RNG advances


def test_transforms_inside_compile():
    @torchlike.compile
    def f(x):
        return torchlike.func.vmap(torchlike.func.grad(lambda v: (v * v.sin()).sum()))(x)

    x = torchlike.tensor(BATCH)
    np.testing.assert_allclose(f(x).numpy(),
                               torchlike.func.vmap(torchlike.func.grad(
                                   lambda v: (v * v.sin()).sum()))(x).numpy(), rtol=1e-6)


def test_jax_interop():
    a = jnp.arange(6.0, dtype=jnp.float32).reshape(2, 3)
    t = torchlike.from_jax(a)
    assert isinstance(t, torchlike.Tensor) and t.shape == (2, 3) and t.dtype == torchlike.float32
    np.testing.assert_array_equal(np.asarray(jnp.asarray(t)), np.asarray(a))
    _, lm = _linear_pair()
    params, apply_fn = torchlike.func.to_jax(lm)
    assert set(params) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    x = jnp.asarray(BATCH)
    out = jax.jit(apply_fn)(params, x)
    assert isinstance(out, jax.Array)
    np.testing.assert_allclose(np.asarray(out), lm(torchlike.tensor(BATCH)).detach().numpy(),
                               rtol=1e-6)
    g = jax.grad(lambda p: apply_fn(p, x).sum())(params)
    lm(torchlike.tensor(BATCH)).sum().backward()
    np.testing.assert_allclose(np.asarray(g["0.weight"]), lm[0].weight.grad.numpy(), rtol=1e-5,
                               atol=1e-6)
