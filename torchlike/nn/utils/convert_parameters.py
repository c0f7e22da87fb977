"""torchlike implementation of :mod:`torch.nn.utils.convert_parameters`."""

from __future__ import annotations

import jax.numpy as jnp

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """torchlike implementation of :func:`torch.nn.utils.parameters_to_vector` (differentiable:
    built from the parameters' ``view(-1)`` and ``cat``)."""
    from ... import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """torchlike implementation of :func:`torch.nn.utils.vector_to_parameters`."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    arr = vec._data
    pointer = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p._set_arr(jnp.reshape(arr[pointer:pointer + n], tuple(p.shape)).astype(p._arr.dtype))
            pointer += n
