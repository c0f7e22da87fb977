"""Assorted torch functions: block_diag, combinations, cov/corrcoef, gradient, dist, renorm, the
trapezoid rules, tril/triu_indices, unravel_index, index_reduce, repeat_interleave, histogram,
nonzero_static and empty_permuted.

Ops whose output shape depends on values (``repeat_interleave`` with tensor repeats) read those
values on the host first and pass them as static arguments, as torch's ``output_size`` does.
"""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np

from .. import _creation
from .._dtype import get_default_dtype, int64, to_dtype
from .._size import wrap_dim as _wrap
from .._tensor import Tensor
from ._install import FUNCTIONS
from .indexing import _scatter_reduce
from .linalg_core import _vector_norm_raw
from .registry import op


def _export(fn, method=False):
    FUNCTIONS[fn.__name__] = fn
    if method:
        setattr(Tensor, fn.__name__, fn)
    return fn


# -- block_diag, combinations ---------------------------------------------------------------------

@op("tensors*", promote="all", method=False, function=False, grad_name="BlockDiagBackward0")
def _block_diag(tensors):
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        mats.append(jnp.reshape(t, (1, -1)) if t.ndim < 2 else t)
    dt = mats[0].dtype if mats else get_default_dtype().np
    rows, cols = sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)
    out = jnp.zeros((rows, cols), dt)
    r = c = 0
    for m in mats:
        out = out.at[r:r + m.shape[0], c:c + m.shape[1]].set(m)
        r, c = r + m.shape[0], c + m.shape[1]
    return out


@_export
def block_diag(*tensors):
    """torchlike implementation of :func:`torch.block_diag`."""
    return _block_diag(list(tensors))


@op("input", saves=False, method=False)
def combinations(input, r=2, with_replacement=False):
    """torchlike implementation of :func:`torch.combinations`."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return jnp.zeros((0,), input.dtype)
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    return input[jnp.asarray(idx)]


# -- statistics -----------------------------------------------------------------------------------

@op("input fweights aweights", method=False, function=False, grad_name="CovBackward0")
def _cov(input, fweights, aweights, correction):
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = jnp.reshape(input, (1, -1)) if input.ndim < 2 else input
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(get_default_dtype().np)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights.astype(x.dtype)
    if aweights is not None:
        w = aweights.astype(x.dtype) if w is None else w * aweights
    if w is None:
        wsum = jnp.asarray(n, x.dtype)
        avg = jnp.mean(x, axis=1)
    else:
        wsum = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / wsum
    if w is None:
        norm = wsum - correction
    elif correction == 0 or aweights is None:
        norm = wsum - correction
    else:
        norm = wsum - correction * jnp.sum(w * aweights) / wsum
    norm = jnp.maximum(norm, 0)
    xm = x - avg[:, None]
    xw = xm if w is None else xm * w
    c = xw @ jnp.conj(xm).T / norm
    return jnp.squeeze(c) if x.shape[0] == 1 else c


def cov(input, *, correction=1, fweights=None, aweights=None):
    """torchlike implementation of :func:`torch.cov`."""
    return _cov(input, fweights, aweights, correction)


_export(cov, method=True)


@op("input", method=True)
def corrcoef(input):
    """torchlike implementation of :func:`torch.corrcoef`."""
    c = _cov.entry.fn(input, None, None, 1)
    if c.ndim == 0:
        return c / c
    d = jnp.sqrt(jnp.real(jnp.diagonal(c)))
    c = c / d[:, None] / d[None, :]
    if jnp.iscomplexobj(c):
        return c
    return jnp.clip(c, -1, 1)


# -- finite differences and quadrature ------------------------------------------------------------

def _grad_along(y, h, axis, edge_order):
    """numpy's second-order gradient along ``axis`` with uniform step ``h`` (a number) or the
    coordinates ``h`` (a 1-D array)."""
    n = y.shape[axis]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least "
                           "edge_order+1")

    def sl(a, b):
        idx = [slice(None)] * y.ndim
        idx[axis] = slice(a, b)
        return y[tuple(idx)]

    def shape_(v):
        s = [1] * y.ndim
        s[axis] = -1
        return jnp.reshape(v, s)
    if np.ndim(h) == 0:
        inner = (sl(2, None) - sl(None, -2)) / (2 * h)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(-1, None) - sl(-2, -1)) / h
        else:
            first = (-1.5 * sl(0, 1) + 2 * sl(1, 2) - 0.5 * sl(2, 3)) / h
            last = (0.5 * sl(-3, -2) - 2 * sl(-2, -1) + 1.5 * sl(-1, None)) / h
        return jnp.concatenate([first, inner, last], axis=axis)
    dx = jnp.diff(h)
    d1, d2 = dx[:-1], dx[1:]
    a = shape_(-d2 / (d1 * (d1 + d2)))
    b = shape_((d2 - d1) / (d1 * d2))
    c = shape_(d1 / (d2 * (d1 + d2)))
    inner = a * sl(None, -2) + b * sl(1, -1) + c * sl(2, None)
    if edge_order == 1:
        first = (sl(1, 2) - sl(0, 1)) / dx[0]
        last = (sl(-1, None) - sl(-2, -1)) / dx[-1]
    else:
        e1, e2 = dx[0], dx[1]
        first = (-(2 * e1 + e2) / (e1 * (e1 + e2)) * sl(0, 1) + (e1 + e2) / (e1 * e2) * sl(1, 2)
                 - e1 / (e2 * (e1 + e2)) * sl(2, 3))
        e1, e2 = dx[-2], dx[-1]
        last = (e2 / (e1 * (e1 + e2)) * sl(-3, -2) - (e2 + e1) / (e1 * e2) * sl(-2, -1)
                + (2 * e2 + e1) / (e2 * (e1 + e2)) * sl(-1, None))
    return jnp.concatenate([first, inner, last], axis=axis)


@op("input coords*", method=False, function=False, grad_name="GradientBackward0")
def _gradient(input, coords, spacing, dims, edge_order):
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    x = input if jnp.issubdtype(input.dtype, jnp.inexact) else input.astype(
        get_default_dtype().np)
    outs = []
    for k, d in enumerate(dims):
        h = coords[k] if coords else spacing[k]
        outs.append(_grad_along(x, h, d, edge_order))
    return tuple(outs)


@_export
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """torchlike implementation of :func:`torch.gradient`."""
    ndim = input.ndim
    if dim is None:
        dims = tuple(range(ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(_wrap(d, ndim) for d in dims)
    if spacing is None:
        spacing = 1
    coords = []
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {len(spacing)} and a dim argument "
                               f"of length {len(dims)}.")
        if spacing and isinstance(spacing[0], Tensor):
            coords, steps = list(spacing), ()
        else:
            steps = tuple(float(s) for s in spacing)
    else:
        steps = (float(spacing),) * len(dims)
    return _gradient(input, coords, steps, dims, edge_order)


@op("input other", promote="all")
def dist(input, other, p=2):
    """torchlike implementation of :func:`torch.dist`."""
    diff = input - other
    return _vector_norm_raw(diff, p, tuple(range(diff.ndim)), False)


@op("input", inplace=True)
def renorm(input, p, dim, maxnorm):
    """torchlike implementation of :func:`torch.renorm`."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap(dim, input.ndim)
    axes = tuple(i for i in range(input.ndim) if i != d)
    norm = _vector_norm_raw(input, p, axes, True)
    # NOTE: torch's factor has no gradient through the norm's mask, only through its value.
    factor = jnp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(input.dtype)
    return input * factor


def _trapz_core(y, x, dx, dim, cumulative):
    d = _wrap(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        shape = list(y.shape)
        if cumulative:
            return jnp.zeros(shape, y.dtype)
        del shape[d]
        return jnp.zeros(shape, y.dtype)
    lo = jnp.take(y, jnp.arange(n - 1), axis=d)
    hi = jnp.take(y, jnp.arange(1, n), axis=d)
    if x is not None:
        if x.ndim == 1:
            sh = [1] * y.ndim
            sh[d] = -1
            step = jnp.reshape(jnp.diff(x), sh)
        else:
            step = jnp.diff(x, axis=_wrap(dim, x.ndim))
        areas = (lo + hi) * step / 2
    else:
        areas = (lo + hi) * (dx / 2)
    return jnp.cumsum(areas, axis=d) if cumulative else jnp.sum(areas, axis=d)


@op("y x", method=False, function=False, grad_name="TrapezoidBackward0")
def _trapezoid(y, x, dx, dim, cumulative):
    return _trapz_core(y, x, dx, dim, cumulative)


def _trap_public(name, cumulative):
    def fn(y, x=None, *, dx=None, dim=-1):
        if isinstance(x, (int, float)) and not isinstance(x, bool):  # trapz(y, dx)
            x, dx = None, x
        if x is not None and dx is not None:
            raise RuntimeError("torch.trapezoid: cannot pass both x and dx")
        return _trapezoid(y, x, 1.0 if dx is None else float(dx), dim, cumulative)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return _export(fn)


trapezoid = _trap_public("trapezoid", False)
trapz = _trap_public("trapz", False)
cumulative_trapezoid = _trap_public("cumulative_trapezoid", True)


# -- index helpers --------------------------------------------------------------------------------

def _tri_indices(name, row, col, offset, dtype, device, lower):
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    r, c = np.indices((row, col)) if row and col else (np.zeros((0,), int),) * 2
    keep = (c - r <= offset) if lower else (c - r >= offset)
    out = np.stack([r[keep], c[keep]]) if row and col else np.zeros((2, 0), np.int64)
    dt = to_dtype(dtype) if dtype is not None else int64
    return _creation._finish(jnp.asarray(out, dt.np), device, False)


@_export
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """torchlike implementation of :func:`torch.tril_indices`."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device, True)


@_export
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """torchlike implementation of :func:`torch.triu_indices`."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, False)


@op("indices", method=False, function=False, differentiable=False)
def _unravel_index(indices, shape):
    if jnp.issubdtype(indices.dtype, jnp.inexact) or indices.dtype == jnp.bool_:
        raise TypeError("expected 'indices' to be integer dtype, but got "
                        f"{indices.dtype}")
    out = []
    rest = indices.astype(jnp.int64)
    for n in reversed(shape):
        out.append(rest % n)
        rest = rest // n
    return tuple(reversed(out))


@_export
def unravel_index(indices, shape):
    """torchlike implementation of :func:`torch.unravel_index` (values out of range wrap instead
    of raising: the check would depend on the values)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got "
                         f"{tuple(shape)}")
    if not isinstance(indices, Tensor):
        indices = _creation.tensor(indices)
    return _unravel_index(indices, shape)


def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    """torchlike implementation of :meth:`torch.Tensor.index_reduce`."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = _wrap(dim, input.ndim)
    shape = list(source.shape) if source.ndim else [1]
    view = [1] * len(shape)
    view[d] = -1
    full = index.reshape(view if index.ndim else [1] * len(shape)).expand(shape)
    src = source if source.ndim else source.reshape(shape)
    res = _scatter_reduce(input, full, src, d, reduce, include_self)
    return res if out is None else out.copy_(res)


_export(index_reduce, method=True)


def _index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    return self.copy_(index_reduce(self, dim, index, source, reduce, include_self=include_self))


Tensor.index_reduce_ = _index_reduce_


# -- repeat_interleave, histogram, nonzero_static, empty_permuted ---------------------------------

@op("input", method=False, function=False, saves=False, grad_name="RepeatInterleaveBackward0")
def _repeat_interleave(input, repeats, dim):
    if dim is None:
        return jnp.repeat(jnp.ravel(input), np.asarray(repeats), total_repeat_length=int(
            np.sum(np.broadcast_to(repeats, (input.size,)))) if input.size else 0)
    d = _wrap(dim, input.ndim)
    reps = np.broadcast_to(np.asarray(repeats), (input.shape[d],))
    return jnp.repeat(input, reps, axis=d, total_repeat_length=int(reps.sum()))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """torchlike implementation of :func:`torch.repeat_interleave`."""
    if repeats is None:  # repeat_interleave(repeats): indices 0..n-1 repeated
        reps = input.tolist()
        if any(r < 0 for r in reps):
            raise RuntimeError("repeats can not be negative")
        return _creation.tensor(np.repeat(np.arange(len(reps)), reps).astype(np.int64))
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        repeats = repeats.tolist()
        repeats = tuple(repeats) if isinstance(repeats, list) else int(repeats)
    if any(r < 0 for r in (repeats if isinstance(repeats, tuple) else (repeats,))):
        raise RuntimeError("repeats can not be negative")
    if isinstance(repeats, tuple) and len(repeats) == 1:
        repeats = repeats[0]
    if isinstance(repeats, tuple):
        n = input.numel() if dim is None else input.shape[_wrap(dim, input.ndim)]
        if len(repeats) != n:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {len(repeats)} and input.size({dim}) = {n}")
    return _repeat_interleave(input, repeats, dim)


_export(repeat_interleave, method=True)


def _hist(x, edges, weight, density):
    nb = edges.shape[0] - 1
    idx = jnp.searchsorted(edges, x, side="right") - 1
    idx = jnp.where(x == edges[-1], nb - 1, idx)
    inside = (x >= edges[0]) & (x <= edges[-1])
    w = jnp.ones_like(x) if weight is None else jnp.ravel(weight).astype(x.dtype)
    hist = jnp.zeros((nb,), x.dtype).at[jnp.where(inside, idx, nb)].add(
        jnp.where(inside, w, 0), mode="drop")
    if density:
        hist = hist / (jnp.sum(hist) * jnp.diff(edges))
    return hist, edges


@op("input bins weight", method=False, function=False, differentiable=False,
    returns="hist bin_edges", name="histogram")
def _histogram_edges(input, bins, weight, density):
    return _hist(jnp.ravel(input), bins.astype(input.dtype), weight, density)


@op("input weight", method=False, function=False, differentiable=False,
    returns="hist bin_edges", name="_histogram_bins")
def _histogram_bins(input, weight, bins, range, density):
    x = jnp.ravel(input)
    if range is not None:
        lo, hi = jnp.asarray(range[0], x.dtype), jnp.asarray(range[1], x.dtype)
    elif x.size:
        lo, hi = jnp.min(x), jnp.max(x)
    else:
        lo, hi = jnp.zeros((), x.dtype), jnp.zeros((), x.dtype)
    same = lo == hi
    lo, hi = jnp.where(same, lo - 0.5, lo), jnp.where(same, hi + 0.5, hi)
    edges = lo + (hi - lo) * (jnp.arange(bins + 1, dtype=x.dtype) / bins)
    return _hist(x, edges, weight, density)


def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    """torchlike implementation of :func:`torch.histogram` (``bins`` an int or a tensor of
    edges)."""
    if isinstance(bins, Tensor):
        res = _histogram_edges(input, bins, weight, density)
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               f"dimension 0")
        rng = None if range is None else (float(range[0]), float(range[1]))
        res = _histogram_bins(input, weight, int(bins), rng, density)
    return res if out is None else tuple(o.copy_(r) for o, r in zip(out, res))


_export(histogram, method=True)


@op("input", differentiable=False)
def nonzero_static(input, *, size, fill_value=-1):
    """torchlike implementation of :func:`torch.nonzero_static`."""
    if input.ndim == 0:
        return jnp.zeros((size, 0), jnp.int64)
    coords = jnp.nonzero(input, size=size, fill_value=fill_value)
    return jnp.stack(coords, axis=1).astype(jnp.int64)


@_export
def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """torchlike implementation of :func:`torch.empty_permuted` (no strides here: a contiguous
    tensor of ``size``)."""
    if sorted(physical_layout) != list(range(len(size))):
        raise RuntimeError("Number of dimensions in size does not match the length of the "
                           "physical_layout")
    return _creation.empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)
