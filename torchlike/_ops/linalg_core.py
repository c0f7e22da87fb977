"""Matrix products: matmul/mm/bmm/mv/dot/outer/einsum/tensordot (``torchlike.linalg`` is separate)."""

from __future__ import annotations

import jax.numpy as jnp

from .registry import op


def _shape_str(s) -> str:
    return "x".join(str(d) for d in s)


@op("input other", promote="all", dunder="matmul")
def matmul(input, other):
    """torchlike implementation of :func:`torch.matmul`."""
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    if input.ndim <= 2 and other.ndim <= 2:
        k1 = input.shape[-1]
        k2 = other.shape[0]
        if k1 != k2:
            if input.ndim == 2 and other.ndim == 2:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                                   f"({_shape_str(input.shape)} and {_shape_str(other.shape)})")
            if input.ndim == 1 and other.ndim == 1:
                raise RuntimeError(f"inconsistent tensor size, expected tensor [{k1}] and src "
                                   f"[{k2}] to have the same number of elements, but got {k1} and "
                                   f"{k2} elements respectively")
            raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                               f"({_shape_str(input.shape)}), vec ({other.shape[0]})"
                               if input.ndim == 2 else
                               f"size mismatch, got input ({k1}), mat ({_shape_str(other.shape)})"
                               )
    elif input.shape[-1] != other.shape[-2 if other.ndim > 1 else 0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{other.shape[0] if other.ndim > 2 else 1}, {input.shape[-1]}] but "
                           f"got: [{other.shape[0] if other.ndim > 2 else 1}, "
                           f"{other.shape[-2] if other.ndim > 1 else other.shape[0]}].")
    if input.dtype == jnp.bool_:
        raise RuntimeError('"addmm_impl_cpu_" not implemented for \'Bool\'')
    return jnp.matmul(input, other)


@op("input mat2", promote="all")
def mm(input, mat2):
    """torchlike implementation of :func:`torch.mm`."""
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({_shape_str(input.shape)} and {_shape_str(mat2.shape)})")
    return input @ mat2
