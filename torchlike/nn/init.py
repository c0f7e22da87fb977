"""torchlike implementation of :mod:`torch.nn.init`.

Every initializer writes into its tensor in place (under ``no_grad``), keeping the tensor's
identity, shape and dtype. Random ones draw a fresh JAX key from the given Generator (default:
torchlike's global one, seeded by ``torchlike.manual_seed``): distributions match torch's, values
do not.
"""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .._random import _resolve
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["calculate_gain", "constant", "constant_", "dirac", "dirac_", "eye", "eye_",
           "kaiming_normal", "kaiming_normal_", "kaiming_uniform", "kaiming_uniform_", "normal",
           "normal_", "ones_", "orthogonal", "orthogonal_", "sparse", "sparse_", "trunc_normal_",
           "uniform", "uniform_", "xavier_normal", "xavier_normal_", "xavier_uniform",
           "xavier_uniform_", "zeros_"]


def calculate_gain(nonlinearity: str, param=None) -> float:
    """torchlike implementation of :func:`torch.nn.init.calculate_gain`."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


# -- sampling and writing -----------------------------------------------------------------------

def _sample_dtype(dt):
    return dt if dt in (jnp.float32, jnp.float64) else jnp.float32


@functools.lru_cache(maxsize=256)
def _sampler(kind: str, shape: tuple, dtype):
    """One jitted ``key -> (new_key, sample)`` per distribution, shape and dtype."""
    sdt = _sample_dtype(np.dtype(dtype))

    def f(key, a, b):
        k0, k1 = jax.random.split(key)
        if kind == "uniform":
            x = jax.random.uniform(k1, shape, sdt, a, b)
        elif kind == "normal":
            x = a + b * jax.random.normal(k1, shape, sdt)
        else:  # truncated standard normal on [a, b]
            x = jax.random.truncated_normal(k1, a, b, shape, sdt)
        return k0, x.astype(dtype)
    return jax.jit(f)


def _draw(tensor: Tensor, kind: str, a: float, b: float, generator):
    gen = _resolve(generator)
    new_key, arr = _sampler(kind, tuple(tensor.shape), tensor._arr.dtype)(gen._key, a, b)
    gen._key = new_key
    return arr


def _write(tensor: Tensor, arr) -> Tensor:
    with no_grad():
        tensor._set_arr(jnp.asarray(arr, tensor._arr.dtype))
    return tensor


def _no_op_if_empty(tensor: Tensor) -> bool:
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.uniform_`."""
    return _write(tensor, _draw(tensor, "uniform", float(a), float(b), generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.normal_`."""
    return _write(tensor, _draw(tensor, "normal", float(mean), float(std), generator))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.trunc_normal_`."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    z = _draw(tensor, "trunc", (a - mean) / std, (b - mean) / std, generator)
    return _write(tensor, jnp.clip(z * std + mean, a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.constant_`."""
    return _write(tensor, jnp.full(tuple(tensor.shape), val, tensor._arr.dtype))


def ones_(tensor: Tensor) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.ones_`."""
    return constant_(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.zeros_`."""
    return constant_(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.eye_`."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, jnp.eye(*tensor.shape, dtype=tensor._arr.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.dirac_`."""
    nd = tensor.ndim
    if nd not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tuple(tensor.shape)
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = shape[0] // groups
    out = np.zeros(shape, np.float64)
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            out[(g * per_group + d, d) + tuple(s // 2 for s in shape[2:])] = 1
    return _write(tensor, out)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    shape = tuple(tensor.shape)
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.xavier_uniform_`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.xavier_normal_`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.kaiming_uniform_`."""
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.kaiming_normal_`."""
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.orthogonal_`."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = Tensor._wrap(jnp.zeros((rows, cols), jnp.float64))
    m = np.asarray(_draw(flat, "normal", 0.0, 1.0, generator))
    if rows < cols:
        m = m.T
    q, r = np.linalg.qr(m)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.init.sparse_`.

    The zeroed rows of each column are an independent random choice drawn from the same
    Generator as the normal values (torch draws them from the global one).
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tuple(tensor.shape)
    num_zeros = math.ceil(sparsity * rows)
    values = _draw(tensor, "normal", 0.0, float(std), generator)
    gen = _resolve(generator)
    gen._key, key = jax.random.split(gen._key)
    # Rank of a uniform draw per (row, column): the rows ranked below num_zeros are zeroed.
    ranks = jnp.argsort(jnp.argsort(jax.random.uniform(key, (rows, cols)), axis=0), axis=0)
    return _write(tensor, jnp.where(ranks < num_zeros, 0, values))


def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated alias of :func:`{new_name}` (warns as torch does)."
    deprecated_init.__name__ = old_name
    return deprecated_init


constant = _make_deprecate(constant_)
dirac = _make_deprecate(dirac_)
eye = _make_deprecate(eye_)
kaiming_normal = _make_deprecate(kaiming_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
normal = _make_deprecate(normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
uniform = _make_deprecate(uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
xavier_uniform = _make_deprecate(xavier_uniform_)
