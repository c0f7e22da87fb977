"""Reductions, scans and sorting: sum/mean/prod, max/min (all three forms), var/std, norms,
logsumexp, all/any, cumulative ops, median/mode/quantile, sort/topk/kthvalue, unique, bincount,
histc, softmax and diff.

Subgradient conventions follow torch: full ``max``/``min``/``median`` (:func:`_even`) and
``amax``/``amin`` spread the gradient evenly among ties; the ``dim`` forms that return indices send the whole
gradient to the returned index (the value is gathered at that index); norms have gradient 0 where
torch masks the kink. ``unique``, ``unique_consecutive`` and ``bincount`` have data-dependent output
shapes, so they run eagerly on concrete arrays and cannot be traced.
"""

from __future__ import annotations

import builtins
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._dtype import from_np, to_dtype
from .._tensor import Tensor
from ._install import FUNCTIONS
from .registry import _type_name, op, write_out

_i64 = jnp.int64


# -- helpers (trace time) -----------------------------------------------------------------------

def _tname(dt) -> str:
    return _type_name(from_np(dt))


def _is_float(a) -> bool:
    return jnp.issubdtype(a.dtype, jnp.inexact)


def _npdt(dtype):
    return to_dtype(dtype).np


def _range_error(d, n):
    return IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but "
                      f"got {d})")


def _dims(dim, ndim, empty_is_all=True):
    """torch's dim argument (None, an int or a sequence) as a tuple of non-negative axes.

    ``None`` (and, for most reductions, an empty list) means every axis; 0-dim tensors accept
    dims 0 and -1, which reduce nothing."""
    if dim is None or (empty_is_all and dim == ()):
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    n = builtins.max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise _range_error(d, n)
        out.append(d % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(d for d in out if d < ndim)


def _dim1(dim, ndim) -> int:
    """One dim, wrapped (0-dim tensors accept 0 and -1)."""
    if not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise _range_error(dim, n)
    return dim % n


def _squeeze(x, axes, keepdim):
    return x if keepdim else jnp.squeeze(x, axes)


def _nonempty(x, axes, name):
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


def _even(x, v, axes, keepdim):
    """``v`` (the reduced value, keepdims) with the gradient spread evenly over the entries of ``x``
    equal to it, NaN matching NaN: torch's backward of full max/min/median.
    NOTE: JAX's own reduce_max derivative splits ties too, but gives NaN gradients for NaN."""
    v = lax.stop_gradient(v)
    mask = (x == v) | (jnp.isnan(x) & jnp.isnan(v))
    cnt = jnp.sum(mask, axis=axes, keepdims=True).astype(x.dtype)
    out = v + jnp.sum(jnp.where(mask, x - v, 0), axis=axes, keepdims=True) / cnt
    return _squeeze(out, axes, keepdim)


def _sort_idx(x, axis, descending=False):
    """Stable argsort with NaN greatest (torch's order); descending keeps ties in input order."""
    if not descending:
        return jnp.argsort(x, axis=axis, stable=True).astype(_i64)
    n = x.shape[axis]
    idx = jnp.argsort(jnp.flip(x, axis), axis=axis, stable=True)
    return (n - 1 - jnp.flip(idx, axis)).astype(_i64)


def _take(x, idx, axis):
    return jnp.take_along_axis(x, idx, axis=axis)


def _sgn_abs(x):
    """``|x|`` whose derivative is ``sign(x)`` (0 at 0, as torch; ``jnp.abs`` gives 1 at 0)."""
    return x * lax.stop_gradient(jnp.sign(x))


# -- sum / mean / prod ----------------------------------------------------------------------------

@op("input", saves=False)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """torchlike implementation of :func:`torch.sum` (integers and bool sum to int64)."""
    input = _sum_input(input, dtype)
    return jnp.sum(input, axis=_dims(dim, input.ndim), keepdims=keepdim, dtype=input.dtype)


def _sum_input(input, dtype):
    """torch's accumulation dtype for sums: ``dtype`` if given, int64 for integers and bool."""
    if dtype is not None:
        return input.astype(_npdt(dtype))
    return input if _is_float(input) else input.astype(_i64)


@op("input", saves=True)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """torchlike implementation of :func:`torch.nansum`."""
    input = _sum_input(input, dtype)
    if _is_float(input):
        input = jnp.where(jnp.isnan(input), 0, input)
    return jnp.sum(input, axis=_dims(dim, input.ndim), keepdims=keepdim, dtype=input.dtype)


@op("input", saves=False)
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """torchlike implementation of :func:`torch.mean`."""
    if dtype is not None:
        input = input.astype(_npdt(dtype))
    elif not _is_float(input):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_tname(input.dtype)}")
    return jnp.mean(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@op("input")
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """torchlike implementation of :func:`torch.nanmean`."""
    if not _is_float(input):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_tname(input.dtype)}")
    if dtype is not None:
        input = input.astype(_npdt(dtype))
    axes = _dims(dim, input.ndim)
    ok = ~jnp.isnan(input)
    s = jnp.sum(jnp.where(ok, input, 0), axis=axes, keepdims=keepdim)
    return s / jnp.sum(ok, axis=axes, keepdims=keepdim).astype(s.dtype)


@op("input")
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """torchlike implementation of :func:`torch.prod` (``dim`` is one int, as in torch)."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = input.astype(_npdt(dtype))
    elif not _is_float(input):
        input = input.astype(_i64)
    return jnp.prod(input, axis=_dims(dim, input.ndim), keepdims=keepdim, dtype=input.dtype)


# -- max / min ------------------------------------------------------------------------------------

def _extreme(x, axes, keepdim, is_max, nan_even=False):
    """max/min over ``axes``. JAX's derivative already splits the gradient among ties, as torch's
    amax/amin; ``nan_even`` also spreads it over NaNs, as torch's full max/min."""
    f = jnp.max if is_max else jnp.min
    if not (nan_even and _is_float(x)):
        return f(x, axis=axes, keepdims=keepdim)
    return _even(x, f(x, axis=axes, keepdims=True), axes, keepdim)


def _full_check(x, name):
    if x.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == "
                           f"0. Specify the reduction dim with the 'dim' argument.")


@op("input", name="_max_full", method=False, function=False, grad_name="MaxBackward1")
def _max_full(input):
    _full_check(input, "max")
    return _extreme(input, tuple(range(input.ndim)), False, True, True)


@op("input", name="_min_full", method=False, function=False, grad_name="MinBackward1")
def _min_full(input):
    _full_check(input, "min")
    return _extreme(input, tuple(range(input.ndim)), False, False, True)


def _arg_extreme(x, dim, keepdim, name, is_max):
    """(values, int64 indices) of max/min along ``dim``; NaN wins, ties take the first index."""
    d = _dim1(dim, x.ndim)
    if x.ndim == 0:
        return x, jnp.zeros((), _i64)
    _nonempty(x, (d,), name)
    idx = (jnp.argmax if is_max else jnp.argmin)(x, axis=d, keepdims=True).astype(_i64)
    return _squeeze(_take(x, idx, d), d, keepdim), _squeeze(idx, d, keepdim)


@op("input", name="max", returns="values indices", method=False, function=False,
    grad_name="MaxBackward0")
def _max_dim(input, dim, keepdim=False):
    return _arg_extreme(input, dim, keepdim, "max", True)


@op("input", name="min", returns="values indices", method=False, function=False,
    grad_name="MinBackward0")
def _min_dim(input, dim, keepdim=False):
    return _arg_extreme(input, dim, keepdim, "min", False)


@op("input other", name="_max_binary", promote="all", method=False, function=False,
    grad_name="MaximumBackward0")
def _max_binary(input, other):
    return jnp.maximum(input, other)


@op("input other", name="_min_binary", promote="all", method=False, function=False,
    grad_name="MinimumBackward0")
def _min_binary(input, other):
    return jnp.minimum(input, other)


def _max_min(full, by_dim, binary, name):
    def fn(input, dim=None, keepdim=False, *, other=None, out=None):
        if other is not None or isinstance(dim, Tensor):
            return binary(input, dim if other is None else other, out=out)
        if dim is None:
            if keepdim:
                raise TypeError(f"{name}(): keepdim=True needs a dim")
            r = full(input)
            return r if out is None else write_out(out, r)
        return by_dim(input, dim, keepdim, out=out)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "torchlike"
    fn.__doc__ = (f"torchlike implementation of :func:`torch.{name}`: ``{name}(input)``, "
                  f"``{name}(input, dim, keepdim=False)`` (values, indices) and "
                  f"``{name}(input, other)``.")
    return fn


max = _max_min(_max_full, _max_dim, _max_binary, "max")
min = _max_min(_min_full, _min_dim, _min_binary, "min")


def _amax_like(x, dim, keepdim, name, is_max):
    axes = _dims(dim, x.ndim)
    if len(axes) == x.ndim:
        _full_check(x, name)
    _nonempty(x, axes, name)
    return _extreme(x, axes, keepdim, is_max)


@op("input")
def amax(input, dim=(), keepdim=False):
    """torchlike implementation of :func:`torch.amax` (the gradient is split among ties)."""
    return _amax_like(input, dim, keepdim, "amax", True)


@op("input")
def amin(input, dim=(), keepdim=False):
    """torchlike implementation of :func:`torch.amin` (the gradient is split among ties)."""
    return _amax_like(input, dim, keepdim, "amin", False)


@op("input", returns="min max")
def aminmax(input, *, dim=None, keepdim=False):
    """torchlike implementation of :func:`torch.aminmax`."""
    axes = _dims(dim, input.ndim)
    if dim is None and input.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    for a in axes:
        if input.shape[a] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {a} to have non-zero size.")
    return _extreme(input, axes, keepdim, False), _extreme(input, axes, keepdim, True)


def _argmaxmin(x, dim, keepdim, name, is_max):
    f = jnp.argmax if is_max else jnp.argmin
    if x.dtype == jnp.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                             f"== 0.")
        r = f(x.ravel()).astype(_i64)
        return r.reshape((1,) * x.ndim) if keepdim else r
    d = _dim1(dim, x.ndim)
    if x.ndim == 0:
        return jnp.zeros((), _i64)
    _nonempty(x, (d,), name)
    return f(x, axis=d, keepdims=keepdim).astype(_i64)


@op("input", differentiable=False)
def argmax(input, dim=None, keepdim=False):
    """torchlike implementation of :func:`torch.argmax` (NaN counts as the maximum)."""
    return _argmaxmin(input, dim, keepdim, "argmax", True)


@op("input", differentiable=False)
def argmin(input, dim=None, keepdim=False):
    """torchlike implementation of :func:`torch.argmin` (NaN counts as the minimum)."""
    return _argmaxmin(input, dim, keepdim, "argmin", False)


# -- var / std ------------------------------------------------------------------------------------

def _var_parts(x, dim, correction, keepdim, name):
    if not _is_float(x):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _dims(dim, x.ndim)
    n = math.prod(x.shape[a] for a in axes)
    c = 1 if correction is None else correction
    if n - c <= 0:
        # NOTE: raised at trace time, i.e. once per compiled shape (torch warns on every call).
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      f"than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=2)
    m = jnp.mean(x, axis=axes, keepdims=True)
    d = x - m
    sq = (d * jnp.conj(d)).real if jnp.iscomplexobj(d) else d * d
    v = jnp.sum(sq, axis=axes, keepdims=keepdim) / builtins.max(n - c, 0)
    return v, _squeeze(m, axes, keepdim)


def _sqrt0(v):
    """sqrt with gradient 0 at 0 (torch's std backward masks the zero-variance case)."""
    pos = v > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, v, 1)), lax.stop_gradient(jnp.sqrt(v)))


@op("input", name="var", method=False, function=False)
def _var(input, dim=None, *, correction=None, keepdim=False):
    return _var_parts(input, dim, correction, keepdim, "var")[0]


@op("input", name="std", method=False, function=False)
def _std(input, dim=None, *, correction=None, keepdim=False):
    return _sqrt0(_var_parts(input, dim, correction, keepdim, "std")[0])


@op("input", name="var_mean", method=False, function=False)
def _var_mean(input, dim=None, *, correction=None, keepdim=False):
    return _var_parts(input, dim, correction, keepdim, "var_mean")


@op("input", name="std_mean", method=False, function=False)
def _std_mean(input, dim=None, *, correction=None, keepdim=False):
    v, m = _var_parts(input, dim, correction, keepdim, "std_mean")
    return _sqrt0(v), m


def _var_family(entry_fn, name):
    def fn(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
        if isinstance(dim, bool):  # var(input, unbiased)
            dim, unbiased = None, dim
        if unbiased is not None:
            if correction is not None:
                raise TypeError(f"{name}() received an invalid combination of arguments: "
                                f"'unbiased' and 'correction' cannot both be given")
            correction = 1 if unbiased else 0
        if out is None:
            return entry_fn(input, dim, correction=correction, keepdim=keepdim)
        return entry_fn(input, dim, correction=correction, keepdim=keepdim, out=out)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "torchlike"
    fn.__doc__ = (f"torchlike implementation of :func:`torch.{name}` (``correction`` and the "
                  f"legacy ``unbiased`` flag).")
    return fn


var = _var_family(_var, "var")
std = _var_family(_std, "std")
var_mean = _var_family(_var_mean, "var_mean")
std_mean = _var_family(_std_mean, "std_mean")


# -- norm / logsumexp -----------------------------------------------------------------------------

def _vector_norm(x, p, axes, keepdim):
    if p == 0:
        return jnp.sum(x != 0, axis=axes, keepdims=keepdim).astype(x.real.dtype)
    a = _sgn_abs(x) if not jnp.iscomplexobj(x) else jnp.abs(x)
    if p == math.inf:
        return _extreme(a, axes, keepdim, True)
    if p == -math.inf:
        return _extreme(a, axes, keepdim, False)
    if p == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    if p == 2:
        return _sqrt0(jnp.sum(a * a, axis=axes, keepdims=keepdim))
    # NOTE: |x|^p and s^(1/p) are written so that the kinks at 0 get torch's gradient 0.
    nz = a != 0
    t = jnp.where(nz, jnp.where(nz, a, 1) ** p, 0 if p > 0 else math.inf)
    s = jnp.sum(t, axis=axes, keepdims=keepdim)
    ok = (s > 0) & jnp.isfinite(s)
    return jnp.where(ok, jnp.where(ok, s, 1) ** (1 / p), lax.stop_gradient(s) ** (1 / p))


@op("input")
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torchlike implementation of :func:`torch.norm` (p: a number, inf, 'fro' or 'nuc')."""
    if not _is_float(input):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_tname(input.dtype)}")
    if dtype is not None:
        input = input.astype(_npdt(dtype))
    if isinstance(dim, int):
        dim = (dim,)
    if p == "fro":
        if dim is not None and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                               f"{' '.join(map(str, dim))}")
        return _vector_norm(input, 2, _dims(dim, input.ndim), keepdim)
    if p == "nuc":
        if input.ndim < 2:
            raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                               "dimensions.")
        dims = tuple(range(input.ndim)) if dim is None else dim
        if len(dims) != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                               f"{' '.join(map(str, dims))}")
        axes = _dims(dims, input.ndim)
        sv = jnp.linalg.svd(jnp.moveaxis(input, axes, (-2, -1)), compute_uv=False)
        r = jnp.sum(sv, axis=-1)
        return jnp.expand_dims(r, axes) if keepdim else r
    if isinstance(p, str):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")  # noqa: TRY004
    return _vector_norm(input, p, _dims(dim, input.ndim), keepdim)


@op("input", promote="float")
def logsumexp(input, dim, keepdim=False):
    """torchlike implementation of :func:`torch.logsumexp`."""
    axes = _dims(dim, input.ndim)
    m = lax.stop_gradient(jnp.max(input, axis=axes, keepdims=True, initial=-jnp.inf))
    m = jnp.where(jnp.isfinite(m), m, 0)
    r = jnp.log(jnp.sum(jnp.exp(input - m), axis=axes, keepdims=True)) + m
    return _squeeze(r, axes, keepdim)


# -- all / any / count_nonzero --------------------------------------------------------------------

def _all_any(x, dim, keepdim, f):
    r = f(x if x.dtype == jnp.bool_ else x != 0, axis=_dims(dim, x.ndim, False), keepdims=keepdim)
    return r.astype(jnp.uint8) if x.dtype == jnp.uint8 else r


@op("input", differentiable=False)
def all(input, dim=None, keepdim=False):
    """torchlike implementation of :func:`torch.all` (bool result; uint8 stays uint8)."""
    return _all_any(input, dim, keepdim, jnp.all)


@op("input", differentiable=False)
def any(input, dim=None, keepdim=False):
    """torchlike implementation of :func:`torch.any` (bool result; uint8 stays uint8)."""
    return _all_any(input, dim, keepdim, jnp.any)


@op("input", differentiable=False)
def count_nonzero(input, dim=None):
    """torchlike implementation of :func:`torch.count_nonzero`."""
    return jnp.sum(input != 0, axis=_dims(dim, input.ndim), dtype=_i64)


# -- cumulative ops -------------------------------------------------------------------------------

def _cum(x, dim, dtype, f):
    d = _dim1(dim, x.ndim)
    if dtype is not None:
        x = x.astype(_npdt(dtype))
    elif not _is_float(x):
        x = x.astype(_i64)
    return x if x.ndim == 0 else f(x, axis=d, dtype=x.dtype)


@op("input", inplace=True, saves=False)
def cumsum(input, dim, *, dtype=None):
    """torchlike implementation of :func:`torch.cumsum` (integers and bool go to int64)."""
    return _cum(input, dim, dtype, jnp.cumsum)


@op("input", inplace=True)
def cumprod(input, dim, *, dtype=None):
    """torchlike implementation of :func:`torch.cumprod` (integers and bool go to int64)."""
    return _cum(input, dim, dtype, jnp.cumprod)


def _cum_select(x, dim, is_max):
    """Running max/min with indices: ties take the later index, NaN sticks (as torch)."""
    d = _dim1(dim, x.ndim)
    if x.ndim == 0:
        return x, jnp.zeros((), _i64)
    idx0 = lax.broadcasted_iota(_i64, x.shape, d)
    if x.shape[d] == 0:
        return x, idx0
    flt = _is_float(x)

    def comb(a, b):
        (va, ia), (vb, ib) = a, b
        take = vb >= va if is_max else vb <= va
        if flt:
            take = jnp.isnan(vb) | (~jnp.isnan(va) & take)
        return jnp.where(take, vb, va), jnp.where(take, ib, ia)
    _, idx = lax.associative_scan(comb, (lax.stop_gradient(x), idx0), axis=d)
    return _take(x, idx, d), idx


@op("input", returns="values indices")
def cummax(input, dim):
    """torchlike implementation of :func:`torch.cummax`."""
    return _cum_select(input, dim, True)


@op("input", returns="values indices")
def cummin(input, dim):
    """torchlike implementation of :func:`torch.cummin`."""
    return _cum_select(input, dim, False)


@op("input")
def logcumsumexp(input, dim):
    """torchlike implementation of :func:`torch.logcumsumexp`."""
    d = _dim1(dim, input.ndim)
    if not _is_float(input):
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                  f"'{_tname(input.dtype)}'")
    return input if input.ndim == 0 else lax.cumlogsumexp(input, axis=d)


# -- median / mode / quantile ---------------------------------------------------------------------

def _no_bool(x, name):
    if x.dtype == jnp.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")


def _median_full(x, ignore_nan, name):
    _no_bool(x, name)
    flat = x.ravel()
    n = flat.size
    if n == 0:
        return jnp.array(jnp.nan, x.dtype)
    s = jnp.sort(flat)
    if not _is_float(x):
        return s[(n - 1) // 2]
    nans = jnp.sum(jnp.isnan(flat))
    if ignore_nan:
        v = s[jnp.maximum((n - nans - 1) // 2, 0)]
    else:
        v = jnp.where(nans > 0, jnp.nan, s[(n - 1) // 2])
    return _even(flat, v.reshape(1), (0,), False)


def _median_dim(x, dim, keepdim, ignore_nan, name):
    _no_bool(x, name)
    d = _dim1(dim, x.ndim)
    if x.ndim == 0:
        return x, jnp.zeros((), _i64)
    _nonempty(x, (d,), name)
    n = x.shape[d]
    idx = _sort_idx(x, d)
    if _is_float(x):
        nans = jnp.sum(jnp.isnan(x), axis=d, keepdims=True)
        if ignore_nan:
            k = jnp.maximum((n - nans - 1) // 2, 0)
        else:  # the first NaN, if any
            k = jnp.where(nans > 0, n - nans, (n - 1) // 2)
    else:
        k = jnp.full(x.shape[:d] + (1,) + x.shape[d + 1:], (n - 1) // 2)
    pos = _take(idx, k.astype(_i64), d)
    return _squeeze(_take(x, pos, d), d, keepdim), _squeeze(pos, d, keepdim)


@op("input", name="_median_full", method=False, function=False, grad_name="MedianBackward0")
def _median_all(input):
    return _median_full(input, False, "median")


@op("input", name="median", returns="values indices", method=False, function=False,
    grad_name="MedianBackward1")
def _median_by_dim(input, dim, keepdim=False):
    return _median_dim(input, dim, keepdim, False, "median")


@op("input", name="_nanmedian_full", method=False, function=False,
    grad_name="NanmedianBackward0")
def _nanmedian_all(input):
    return _median_full(input, True, "nanmedian")


@op("input", name="nanmedian", returns="values indices", method=False, function=False,
    grad_name="NanmedianBackward1")
def _nanmedian_by_dim(input, dim, keepdim=False):
    return _median_dim(input, dim, keepdim, True, "nanmedian")


def _median_family(full, by_dim, name):
    def fn(input, dim=None, keepdim=False, *, out=None):
        if dim is None:
            r = full(input)
            return r if out is None else write_out(out, r)
        return by_dim(input, dim, keepdim, out=out)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "torchlike"
    fn.__doc__ = (f"torchlike implementation of :func:`torch.{name}` (the lower median; among "
                  f"ties the dim form returns the first index in stable sorted order).")
    return fn


median = _median_family(_median_all, _median_by_dim, "median")
nanmedian = _median_family(_nanmedian_all, _nanmedian_by_dim, "nanmedian")


@op("input", returns="values indices")
def mode(input, dim=-1, keepdim=False):
    """torchlike implementation of :func:`torch.mode` (the smallest most frequent value, and the
    last index where it occurs)."""
    d = _dim1(dim, input.ndim)
    if input.ndim == 0:
        return input, jnp.zeros((), _i64)
    _nonempty(input, (d,), "mode")
    x = jnp.moveaxis(input, d, -1)
    idx = _sort_idx(x, -1)
    s = _take(x, idx, -1)
    ar = lax.broadcasted_iota(_i64, s.shape, s.ndim - 1)
    change = s[..., 1:] != s[..., :-1]
    edge = jnp.ones(s.shape[:-1] + (1,), bool)
    start = lax.cummax(jnp.where(jnp.concatenate([edge, change], -1), ar, 0), axis=s.ndim - 1)
    length = jnp.where(jnp.concatenate([change, edge], -1), ar - start + 1, 0)
    last = _take(idx, jnp.argmax(length, axis=-1, keepdims=True).astype(_i64), -1)
    vals = jnp.moveaxis(_take(x, last, -1), -1, d)
    last = jnp.moveaxis(last, -1, d)
    return _squeeze(vals, d, keepdim), _squeeze(last, d, keepdim)


_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan, name):
    if x.dtype not in (jnp.float32, jnp.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERP:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint "
                           f"or nearest, but got {interpolation}")
    if dim is None:
        xs = x.ravel()
        out_keep = (1,) * x.ndim
    else:
        d = _dim1(dim, x.ndim)
        xs = jnp.moveaxis(x, d, -1) if x.ndim else x.reshape(1)
        out_keep = x.shape[:d] + (1,) + x.shape[d + 1:] if x.ndim else ()
    n = xs.shape[-1]
    s = _take(xs, _sort_idx(xs, -1), -1)
    nans = jnp.sum(jnp.isnan(xs), axis=-1, keepdims=True)
    qb = q.astype(x.dtype).reshape(q.shape + (1,) * s.ndim)
    if ignore_nan:
        rank = qb * (n - nans - 1).astype(x.dtype)
        rank = jnp.where(nans == n, n - 1, rank)
    else:
        rank = jnp.where(nans > 0, n - 1, qb * (n - 1))
    if interpolation == "lower":
        rank = jnp.floor(rank)
    elif interpolation == "higher":
        rank = jnp.ceil(rank)
    elif interpolation == "nearest":
        rank = jnp.round(rank)
    lo = jnp.floor(rank).astype(_i64)
    hi = jnp.ceil(rank).astype(_i64)
    sb = jnp.broadcast_to(s, lo.shape[:-1] + (n,))
    below, above = _take(sb, lo, -1), _take(sb, hi, -1)
    w = jnp.full_like(rank, 0.5) if interpolation == "midpoint" else rank - lo
    # torch's lerp: start + w * (end - start) for w < 0.5, else end - (end - start) * (1 - w)
    r = jnp.where(w < 0.5, below + w * (above - below), above - (above - below) * (1 - w))
    r = r[..., 0]
    if keepdim:
        r = r.reshape(q.shape + out_keep)
    return r


def _check_q(x, q, name):
    if q.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if q.dtype != x.dtype and x.dtype in (jnp.float32, jnp.float64):
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")


@op("input", name="_quantile_scalar", method=False, function=False,
    grad_name="QuantileBackward0")
def _quantile_scalar(input, q, dim=None, keepdim=False, interpolation="linear", ignore_nan=False):
    return _quantile(input, jnp.asarray(q), dim, keepdim, interpolation, ignore_nan,
                     "nanquantile" if ignore_nan else "quantile")


@op("input q", name="_quantile_tensor", method=False, function=False,
    grad_name="QuantileBackward0")
def _quantile_tensor(input, q, dim=None, keepdim=False, interpolation="linear", ignore_nan=False):
    name = "nanquantile" if ignore_nan else "quantile"
    _check_q(input, q, name)
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name)


def _quantile_family(ignore_nan, name):
    def fn(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
        if isinstance(q, Tensor):
            arr = q._data
            if not isinstance(arr, jax.core.Tracer) and arr.size and arr.ndim <= 1 and (
                    bool(jnp.any((arr < 0) | (arr > 1)))):
                raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
            r = _quantile_tensor(input, q, dim, keepdim, interpolation, ignore_nan)
        else:
            if not isinstance(q, (float, int)) or isinstance(q, bool):
                raise TypeError(f"{name}(): argument 'q' must be a float or a Tensor, not "
                                f"{type(q).__name__}")
            if not 0 <= q <= 1:
                raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
            r = _quantile_scalar(input, float(q), dim, keepdim, interpolation, ignore_nan)
        return r if out is None else write_out(out, r)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "torchlike"
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return fn


quantile = _quantile_family(False, "quantile")
nanquantile = _quantile_family(True, "nanquantile")


# -- sorting --------------------------------------------------------------------------------------

@op("input", returns="values indices")
def sort(input, dim=-1, descending=False, *, stable=False):
    """torchlike implementation of :func:`torch.sort` (always stable; NaN sorts as the largest)."""
    d = _dim1(dim, input.ndim)
    if input.ndim == 0:
        return input, jnp.zeros((), _i64)
    idx = _sort_idx(input, d, descending)
    return _take(input, idx, d), idx


@op("input", differentiable=False)
def argsort(input, dim=-1, descending=False, *, stable=False):
    """torchlike implementation of :func:`torch.argsort` (always stable)."""
    d = _dim1(dim, input.ndim)
    return jnp.zeros((), _i64) if input.ndim == 0 else _sort_idx(input, d, descending)


@op("input")
def msort(input):
    """torchlike implementation of :func:`torch.msort`."""
    return input if input.ndim == 0 else _take(input, _sort_idx(input, 0), 0)


@op("input", returns="values indices")
def topk(input, k, dim=-1, largest=True, sorted=True):
    """torchlike implementation of :func:`torch.topk` (results are always sorted; among ties the
    earlier index comes first)."""
    d = _dim1(dim, input.ndim)
    if input.dtype == jnp.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return input, jnp.zeros((), _i64)
    idx = lax.slice_in_dim(_sort_idx(input, d, largest), 0, k, axis=d)
    return _take(input, idx, d), idx


@op("input", returns="values indices")
def kthvalue(input, k, dim=-1, keepdim=False):
    """torchlike implementation of :func:`torch.kthvalue` (among ties: the first index in stable
    sorted order)."""
    _no_bool(input, "kthvalue")
    d = _dim1(dim, input.ndim)
    if input.ndim == 0:
        if k != 1:
            raise RuntimeError("kthvalue(): selected number k out of range for dimension 0")
        return input, jnp.zeros((), _i64)
    _nonempty(input, (d,), "kthvalue")
    if not 1 <= k <= input.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    idx = lax.slice_in_dim(_sort_idx(input, d), k - 1, k, axis=d)
    return _squeeze(_take(input, idx, d), d, keepdim), _squeeze(idx, d, keepdim)


# -- eager ops with data-dependent shapes ----------------------------------------------------------

def _eager(t, name):
    """The concrete numpy value of ``t`` (these ops' output shapes depend on the data)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(t).__name__}")
    arr = t._data
    if isinstance(arr, jax.core.Tracer):
        raise RuntimeError(  # noqa: TRY004 - a traced value, not a wrong type
            f"torch.{name}() has a data-dependent output shape and cannot be traced "
            f"(torchlike.compile / jax.jit); call it outside the compiled function")
    return arr, np.asarray(arr)


def _put(a, like):
    return Tensor._wrap(jax.device_put(np.asarray(a), next(iter(like.devices()))))


def _unique_result(like, vals, inv, counts, return_inverse, return_counts):
    out = [_put(vals, like)]
    if return_inverse:
        out.append(_put(inv.astype(np.int64), like))
    if return_counts:
        out.append(_put(counts.astype(np.int64), like))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """torchlike implementation of :func:`torch.unique` (eager: not traceable; the output is always
    sorted, as torch's CPU kernel; NaNs are all distinct; outputs do not require grad)."""
    arr, a = _eager(input, "unique")
    if dim is None:
        vals, inv, counts = np.unique(a.ravel(), return_inverse=True, return_counts=True,
                                      equal_nan=False)
        inv = inv.reshape(a.shape)
    else:
        d = _dim1(dim, a.ndim)
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d,
                                      equal_nan=False)
        inv = inv.reshape(-1)
    return _unique_result(arr, vals, inv, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """torchlike implementation of :func:`torch.unique_consecutive` (eager: not traceable)."""
    arr, a = _eager(input, "unique_consecutive")
    if dim is None:
        rows, d = a.reshape(-1, 1), 0
    else:
        d = _dim1(dim, a.ndim)
        rows = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
    n = rows.shape[0]
    new = np.ones(n, bool)
    new[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, n))
    inv = np.cumsum(new) - 1
    if dim is None:
        vals, inv = a.ravel()[starts], inv.reshape(a.shape)
    else:
        vals = np.take(a, starts, axis=d)
    return _unique_result(arr, vals, inv, counts, return_inverse, return_counts)


@op("input weights", name="_bincount", method=False, function=False, differentiable=False)
def _bincount(input, weights, length):
    if weights is None:
        return jnp.zeros(length, _i64).at[input].add(1)
    dt = weights.dtype if _is_float(weights) else jnp.float64
    return jnp.zeros(length, dt).at[input].add(weights.astype(dt))


def bincount(input, weights=None, minlength=0):
    """torchlike implementation of :func:`torch.bincount` (eager: the length depends on the data;
    not traceable)."""
    _, a = _eager(input, "bincount")
    if a.dtype.kind == "f":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_tname(a.dtype)}'")
    if a.ndim != 1 or a.dtype.kind not in "iu" or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != a.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    length = builtins.max(int(a.max()) + 1 if a.size else 0, minlength)
    return _bincount(input, weights, length)


@op("input", differentiable=False)
def histc(input, bins=100, min=0, max=0):
    """torchlike implementation of :func:`torch.histc` (a NaN in the data range is not an
    error here: the check would need the data)."""
    if not _is_float(input):
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_tname(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dim 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    x = input.ravel()
    lo, hi = jnp.asarray(min, x.dtype), jnp.asarray(max, x.dtype)
    if min == max and x.size:
        lo, hi = jnp.min(x), jnp.max(x)
    same = lo == hi
    lo, hi = jnp.where(same, lo - 1, lo), jnp.where(same, hi + 1, hi)
    pos = jnp.clip(((x - lo) * bins / (hi - lo)).astype(_i64), 0, bins - 1)
    inside = (x >= lo) & (x <= hi)
    return jnp.zeros(bins, x.dtype).at[jnp.where(inside, pos, 0)].add(inside.astype(x.dtype))


# -- softmax / diff -------------------------------------------------------------------------------

def _softmax_prep(x, dim, dtype, name):
    d = _dim1(dim, x.ndim)
    if dtype is not None:
        x = x.astype(_npdt(dtype))
    elif not _is_float(x):
        kind = "lastdim_kernel_impl" if d == builtins.max(x.ndim - 1, 0) else "kernel_impl"
        raise NotImplementedError(f"\"{name}_{kind}\" not implemented for '{_tname(x.dtype)}'")
    return x, d


@op("input")
def softmax(input, dim, dtype=None):
    """torchlike implementation of :func:`torch.softmax`."""
    x, d = _softmax_prep(input, dim, dtype, "softmax")
    return jax.nn.softmax(x, axis=d) if x.ndim else jnp.ones_like(x)


@op("input")
def log_softmax(input, dim, dtype=None):
    """torchlike implementation of :func:`torch.log_softmax`."""
    x, d = _softmax_prep(input, dim, dtype, "log_softmax")
    return jax.nn.log_softmax(x, axis=d) if x.ndim else x - x


@op("input prepend append", name="diff", promote="all", method=False, function=False,
    saves=False)
def _diff(input, prepend, append, n=1, dim=-1):
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _dim1(dim, input.ndim)
    x = jnp.concatenate([a for a in (prepend, input, append) if a is not None], axis=d)
    for _ in range(n):
        if x.shape[d] == 0:
            break
        a, b = lax.slice_in_dim(x, 1, None, axis=d), lax.slice_in_dim(x, 0, -1, axis=d)
        x = a != b if x.dtype == jnp.bool_ else a - b
    return x


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """torchlike implementation of :func:`torch.diff`."""
    # NOTE: a thin wrapper because registry ops take their tensor parameters first.
    return _diff(input, prepend, append, n, dim, out=out)


# -- public wrappers: functions and Tensor methods ------------------------------------------------

for _f in (max, min, var, std, var_mean, std_mean, median, nanmedian, quantile, nanquantile,
           unique, unique_consecutive, bincount, diff):
    FUNCTIONS[_f.__name__] = _f
for _f in (max, min, var, std, median, nanmedian, quantile, nanquantile, unique,
           unique_consecutive, bincount, diff):
    setattr(Tensor, _f.__name__, _f)
del _f
