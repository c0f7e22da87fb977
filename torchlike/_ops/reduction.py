"""Reductions: sum/mean/prod, max/min (with indices), var/std, norms, logsumexp, cumulative ops."""

from __future__ import annotations

import jax.numpy as jnp

from .._dtype import from_np
from .registry import op


def _dims(dim, ndim):
    """torch's dim argument (None, an int or a sequence) as a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    n = max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}]"
                             f", but got {d})")
        out.append(d % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(d for d in out if d < ndim)


@op("input", saves=False)
def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    """torchlike implementation of :func:`torch.sum` (integers and bool sum to int64)."""
    if dtype is None and not jnp.issubdtype(input.dtype, jnp.inexact):
        dtype = jnp.int64
    if dtype is not None:
        input = input.astype(dtype)
    return jnp.sum(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@op("input", saves=False)
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """torchlike implementation of :func:`torch.mean`."""
    if dtype is not None:
        input = input.astype(dtype)
    elif not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: "
                           f"{_tname(input.dtype)}")
    return jnp.mean(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


def _tname(dt) -> str:
    from .registry import _type_name
    return _type_name(from_np(dt))
