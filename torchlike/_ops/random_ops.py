"""Random sampling: rand/randn/randint/randperm/normal/bernoulli/multinomial/poisson and the in-place
samplers (``Tensor.normal_``, ``uniform_``, ...).

Each raw op takes the generator's key as its first tensor input and returns ``(new_key, sample)``
(one jitted function per op and static arguments; the key is never closed over), see
``torchlike/_random.py``. In-place samplers draw a sample, then ``copy_`` it into the tensor, so
versions, views and autograd go through the shared in-place mechanism. Ops with tensor inputs that
torch differentiates (normal, bernoulli, poisson) give zero gradients, as torch does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype
from .._random import _resolve
from .._tensor import Tensor, _is_tracer
from ._install import FUNCTIONS
from .registry import _type_name, dispatch, op


def _tname(np_dtype) -> str:
    return _type_name(_dtype.from_np(np_dtype))


def _not_impl(kernel, np_dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_tname(np_dtype)}\'')


def _is_float(np_dtype) -> bool:
    return jnp.issubdtype(np_dtype, jnp.inexact)


def _split(key):
    keys = jax.random.split(key)
    return keys[0], keys[1]


def _broadcast_shape(a, b) -> tuple:
    """torch's broadcast of two shapes, with its error message."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _uniform(k, shape, dtype, low=0.0, high=1.0):
    """Uniform [low, high) samples of any float or complex dtype."""
    if jnp.issubdtype(dtype, jnp.complexfloating):
        real = jnp.finfo(dtype).dtype
        kr, ki = jax.random.split(k)
        return lax.complex(_uniform(kr, shape, real, low, high),
                           _uniform(ki, shape, real, low, high)).astype(dtype)
    return jax.random.uniform(k, shape, dtype, low, high)


# -- raw ops: (key, ...) -> (new_key, sample) ---------------------------------------------------
# Distribution parameters are tensor inputs (Python numbers become cached 0-dim arrays), so e.g.
# ``uniform_(-b, b)`` with a new ``b`` reuses the compiled function.

@op("key a b", method=False, function=False, differentiable=False, saves=False)
def _sample(key, a, b, shape, dtype, kind):
    """A fresh sample of ``shape``/``dtype`` from distribution ``kind`` with parameters a, b."""
    key, k = _split(key)
    if kind == "uniform":
        out = _uniform(k, shape, dtype, a.astype(dtype), b.astype(dtype))
    elif kind == "normal":
        out = jax.random.normal(k, shape, dtype) * b.astype(dtype) + a.astype(dtype)
    elif kind == "ints":  # [a, b)
        out = jax.random.randint(k, shape, a, b, jnp.int64).astype(dtype)
    elif kind == "bernoulli":
        out = (jax.random.uniform(k, shape, a.dtype) < a).astype(dtype)
    elif kind == "exponential":
        out = (jax.random.exponential(k, shape, dtype) / a).astype(dtype)
    elif kind == "geometric":
        out = jax.random.geometric(k, a, shape, jnp.int64).astype(dtype)
    elif kind == "log_normal":
        out = jnp.exp(jax.random.normal(k, shape, dtype) * b.astype(dtype) + a.astype(dtype))
    elif kind == "cauchy":
        out = (jax.random.cauchy(k, shape, dtype) * b + a).astype(dtype)
    elif kind == "randperm":
        out = jax.random.permutation(k, shape[0]).astype(dtype)
    else:
        raise ValueError(f"unknown distribution {kind!r}")
    return key, out


@op("key mean std", method=False, function=False, saves=False, grad_name="NormalBackward3")
def _normal(key, mean, std, dtype):
    """normal(mean, std), either a tensor or a number; ``dtype`` is the result's (torch's rule)."""
    if not _is_float(dtype):
        raise _not_impl("normal_kernel_cpu", dtype)
    shape = _broadcast_shape(mean.shape, std.shape)
    key, k = _split(key)
    out = mean.astype(dtype) + std.astype(dtype) * jax.random.normal(k, shape, dtype)
    return key, lax.stop_gradient(out)


@op("key input p", method=False, function=False, saves=False, grad_name="BernoulliBackward0")
def _bernoulli(key, input, p):
    """bernoulli(input) (``p`` None: ``input`` holds the probabilities) or bernoulli(input, p)."""
    if p is None and not _is_float(input.dtype):
        raise _not_impl("bernoulli_tensor_cpu_p_", input.dtype)
    key, k = _split(key)
    prob = input if p is None else p
    if p is not None and input.dtype != jnp.float64:  # a scalar p: 32-bit uniforms suffice
        prob = prob.astype(jnp.float32)
    u = jax.random.uniform(k, input.shape, prob.dtype)
    return key, lax.stop_gradient((u < prob).astype(input.dtype))


@op("key p", method=False, function=False, differentiable=False, saves=False)
def _bernoulli_tensor_p(key, p, shape, dtype):
    if len(p.shape) > len(shape) or any(
            a != b and a != 1 for a, b in zip(reversed(p.shape), reversed(shape))):
        bad = next(i for i, (a, b) in enumerate(zip(reversed(p.shape), reversed(shape)))
                   if a != b and a != 1)
        raise RuntimeError(f"The expanded size of the tensor ({shape[len(shape) - 1 - bad]}) must "
                           f"match the existing size ({p.shape[p.ndim - 1 - bad]}) at "
                           f"non-singleton dimension {len(shape) - 1 - bad}.  Target sizes: "
                           f"{list(shape)}.  Tensor sizes: {list(p.shape)}")
    key, k = _split(key)
    return key, (jax.random.uniform(k, shape, p.dtype) < p).astype(dtype)


@op("key input", method=False, function=False, differentiable=False, saves=False)
def _multinomial(key, input, num_samples, replacement):
    if not _is_float(input.dtype):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_tname(input.dtype)}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    key, k = _split(key)
    logits = jnp.log(input.astype(jnp.promote_types(input.dtype, jnp.float32)))
    if replacement:
        batch = input.shape[:-1]
        idx = jax.random.categorical(k, logits, axis=-1, shape=(num_samples,) + batch)
        idx = jnp.moveaxis(idx, 0, -1)
    else:  # Gumbel top-k: a draw without replacement proportional to the weights
        _, idx = lax.top_k(logits + jax.random.gumbel(k, input.shape, logits.dtype), num_samples)
    return key, idx.astype(jnp.int64)


@op("key input", method=False, function=False, saves=False, grad_name="PoissonBackward0")
def _poisson(key, input):
    if not _is_float(input.dtype):
        raise _not_impl("poisson_cpu", input.dtype)
    key, k = _split(key)
    out = jax.random.poisson(k, input.astype(jnp.float64), input.shape, jnp.int64)
    return key, lax.stop_gradient(out.astype(input.dtype))


# -- eager checks of data-dependent errors (skipped while tracing) -------------------------------

_checks: dict = {}


def _check(name, t: Tensor, msg: str) -> None:
    """Raise ``RuntimeError(msg)`` if predicate ``name`` holds for ``t``'s concrete values."""
    arr = t._data
    if _is_tracer(arr):
        return
    f = _checks.get(name)
    if f is None:
        f = _checks[name] = jax.jit(_PREDICATES[name])
    if bool(f(arr)):
        raise RuntimeError(msg)


_PREDICATES = {
    "outside_01": lambda a: jnp.any(~((a >= 0) & (a <= 1))),
    "negative": lambda a: jnp.any(a < 0),
    "bad_probs": lambda a: jnp.any(~jnp.isfinite(a) | (a < 0)),
    "zero_sum": lambda a: jnp.any(jnp.sum(a, axis=-1) <= 0),
}
_P_IN_MSG = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
             "be improved?  If so, please report an enhancement request to PyTorch.)")


# -- drawing from a generator -------------------------------------------------------------------

def _draw(entry, generator, targs, statics):
    gen = _resolve(generator)
    new_key, sample = dispatch(entry, (Tensor._wrap(gen._k),) + targs, statics)
    gen._k = new_key._a  # may stay deferred (see _lazy)
    return sample


def _fresh(shape, dtype, kind, params, generator):
    a, b = params + (None,) * (2 - len(params))
    return _draw(_sample.entry, generator, (a, b), (shape, dtype, kind))


def _finish(t, device, requires_grad, out=None):
    from .._creation import _finish as finish
    from .._creation import _out
    if device is not None or requires_grad:
        t = finish(t._arr, device, requires_grad)
    return _out(t, out)


def _float_dtype(dtype, kernel):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise _not_impl(kernel, dt.np)
    return dt.np


def _shape(size, fname):
    from .._creation import _size_args
    return _size_args(size, fname)


def _g(v) -> str:
    """A number as torch prints it in messages (``-1``, ``1.5``)."""
    return f"{v:g}" if isinstance(v, float) else str(v)


# -- public functions ---------------------------------------------------------------------------

def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.rand`."""
    dt = _float_dtype(dtype, "check_uniform_bounds")
    t = _fresh(_shape(size, "rand"), dt, "uniform", (0.0, 1.0), generator)
    return _finish(t, device, requires_grad, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.randn`."""
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    t = _fresh(_shape(size, "randn"), dt, "normal", (0.0, 1.0), generator)
    return _finish(t, device, requires_grad, out)


def _like_dtype(input, dtype):
    return _dtype.to_dtype(dtype) if dtype is not None else input.dtype


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:
    """torchlike implementation of :func:`torch.rand_like`."""
    return rand(tuple(input.shape), generator=generator, dtype=_like_dtype(input, dtype),
                device=device, requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None) -> Tensor:
    """torchlike implementation of :func:`torch.randn_like`."""
    return randn(tuple(input.shape), generator=generator, dtype=_like_dtype(input, dtype),
                 device=device, requires_grad=requires_grad)


_C_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short",
            "int32": "int", "int64": "long", "uint16": "unsigned short", "uint32": "unsigned int",
            "uint64": "unsigned long"}


def _int_range(low, high, dt: _dtype.dtype):
    """[low, high) checked as torch's ``random_(from, to)``."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    if dt.name in _C_NAMES:
        lo, hi = (0, 1) if dt is _dtype.bool else (int(np.iinfo(dt.np).min),
                                                   int(np.iinfo(dt.np).max))
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {_C_NAMES[dt.name]}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_NAMES[dt.name]}")
    return (low, high)


def _randint_args(args, low, high, size, fname):
    if len(args) == 3:
        low, high, size = args
    elif len(args) == 2:
        if size is None:
            high, size = args
        else:
            low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif len(args) > 3:
        raise TypeError(f"{fname}() takes at most 3 positional arguments ({len(args)} given)")
    if high is None or size is None:
        raise TypeError(f"{fname}() missing required arguments 'high' and 'size'")
    return int(low), int(high), size


def randint(*args, low=0, high=None, size=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.randint` (``randint(high, size)`` or
    ``randint(low, high, size)``)."""
    low, high, size = _randint_args(args, low, high, size, "randint")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    bounds = _int_range(low, high, dt)
    t = _fresh(_shape((size,), "randint"), dt.np, "ints", bounds, generator)
    return _finish(t, device, requires_grad, out)


def randint_like(input, *args, low=0, high=None, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None) -> Tensor:
    """torchlike implementation of :func:`torch.randint_like`."""
    low, high, _ = _randint_args(args, low, high, (), "randint_like")
    dt = _like_dtype(input, dtype)
    t = _fresh(tuple(input.shape), dt.np, "ints", _int_range(low, high, dt), generator)
    return _finish(t, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.randperm`."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    t = _fresh(_shape((n,), "randperm"), dt.np, "randperm", (), generator)
    return _finish(t, device, requires_grad, out)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """torchlike implementation of :func:`torch.normal` (all four overloads)."""
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mt or st):
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected a "
                            f"Tensor mean or std, or a size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
        dt = _float_dtype(dtype, "normal_kernel_cpu")
        t = _fresh(_shape((size,), "normal"), dt, "normal", (float(mean), float(std)), generator)
        return _finish(t, device, requires_grad, out)
    if size is not None:
        raise TypeError("normal(): size is only accepted with float mean and std")
    if st:
        _check("negative", std, "normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
    dts = [x.dtype for x in (mean, std) if isinstance(x, Tensor)]
    dt = dts[0] if len(dts) == 1 else _dtype.promote_types(*dts)
    t = _draw(_normal.entry, generator, (mean if mt else float(mean), std if st else float(std)),
              (dt.np,))
    return _finish(t, None, False, out)


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """torchlike implementation of :func:`torch.bernoulli`."""
    if p is None:
        _check("outside_01", input, _P_IN_MSG)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
    t = _draw(_bernoulli.entry, generator, (input, None if p is None else float(p)), ())
    return _finish(t, None, False, out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """torchlike implementation of :func:`torch.multinomial`."""
    if isinstance(input, Tensor) and input.is_floating_point() and input.ndim in (1, 2):
        _check("bad_probs", input, "probability tensor contains either `inf`, `nan` or element < 0")
        _check("zero_sum", input, "invalid multinomial distribution (sum of probabilities <= 0)")
    t = _draw(_multinomial.entry, generator, (input,), (int(num_samples), bool(replacement)))
    return _finish(t, None, False, out)


def poisson(input, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.poisson`."""
    if input.is_floating_point():
        _check("negative", input, "invalid Poisson rate, expected rate to be non-negative")
    return _draw(_poisson.entry, generator, (input,), ())


# -- in-place samplers ----------------------------------------------------------------------------

def _fill_sample(self, kind, params, generator, kernel=None, msg=None):
    dt = self._arr.dtype
    if msg is not None and not _is_float(dt):
        name = _tname(dt)
        if kind == "cauchy":  # NOTE: torch names the C type here
            name = _C_NAMES.get(self.dtype.name, name).replace("long", "long int")
        raise RuntimeError(msg.format(name))
    if kernel is not None and not _is_float(dt):
        raise _not_impl(kernel, dt)
    return self.copy_(_fresh(tuple(self.shape), dt, kind, params, generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.normal_`."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
    return _fill_sample(self, "normal", (float(mean), float(std)), generator, "normal_kernel_cpu")


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.uniform_` (``from`` may be a keyword)."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(kwargs)}")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_g(from_)} > to={_g(to)}")
    return _fill_sample(self, "uniform", (float(from_), float(to)), generator,
                        "check_uniform_bounds")


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.bernoulli_` (``p`` a number or tensor)."""
    if isinstance(p, Tensor):
        _check("outside_01", p, _P_IN_MSG)
        t = _draw(_bernoulli_tensor_p.entry, generator, (p,), (tuple(self.shape),
                                                              self._arr.dtype))
        return self.copy_(t)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
    return _fill_sample(self, "bernoulli", (float(p),), generator)


def _random_default_high(dt: _dtype.dtype) -> int:
    """The exclusive upper bound of ``random_()``: 2**mantissa digits + 1 for floats, max + 1
    else. NOTE: for int64 the bound is clipped to the int64 max (that one value is never drawn)."""
    if dt.is_floating_point:
        return 2 ** {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}[dt.name] + 1
    if dt is _dtype.bool:
        return 2
    return min(int(np.iinfo(dt.np).max) + 1, 2**63 - 1)


def random_(self, *args, generator=None, **kwargs) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.random_` (``random_()``,
    ``random_(to)``, ``random_(from, to)``)."""
    dt = self.dtype
    low, high = 0, None
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    elif args:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    if kwargs:
        if args or set(kwargs) - {"from", "to"} or "to" not in kwargs:
            raise TypeError(f"random_() received an invalid combination of arguments - got "
                            f"{sorted(kwargs)}")
        low, high = kwargs.get("from", 0), kwargs["to"]
    if high is None:
        bounds = (int(low), _random_default_high(dt))
        if bounds[0] >= bounds[1]:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to' casted to dtype, but got from={low} > to={bounds[1]}")
    else:
        bounds = _int_range(int(low), int(high), dt)
    return _fill_sample(self, "ints", bounds, generator)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.exponential_`."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_g(lambd)}")
    return _fill_sample(self, "exponential", (float(lambd),), generator, msg=(
        "Exponential distribution is a continuous probability distribution. dtype must be a "
        "floating point but you specified {}"))


def geometric_(self, p, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.geometric_`."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_g(p)}")
    if self.dtype is _dtype.bool:
        raise _not_impl("geometric_cpu", self._arr.dtype)
    return _fill_sample(self, "geometric", (float(p),), generator)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.log_normal_`."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_g(std)}")
    return _fill_sample(self, "log_normal", (float(mean), float(std)), generator,
                        "log_normal_cpu")


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.cauchy_`."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_g(sigma)}")
    return _fill_sample(self, "cauchy", (float(median), float(sigma)), generator, msg=(
        "Cauchy distribution is a continuous probability distribution. dtype must be a floating "
        "point but you specified {}"))


def _bernoulli_method(self, p=None, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.bernoulli`."""
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.multinomial`."""
    return multinomial(self, num_samples, replacement, generator=generator)


for _f in (rand, randn, rand_like, randn_like, randint, randint_like, randperm, normal, bernoulli,
           multinomial, poisson):
    _f.__module__ = "torchlike"
    FUNCTIONS[_f.__name__] = _f
for _f in (normal_, uniform_, bernoulli_, random_, exponential_, geometric_, log_normal_,
           cauchy_):
    setattr(Tensor, _f.__name__, _f)
Tensor.bernoulli = _bernoulli_method
Tensor.multinomial = _multinomial_method
