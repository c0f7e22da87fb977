"""torchlike implementation of :mod:`torch.nn.utils.clip_grad`."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@jax.jit
def _scale_all(grads, coef):
    return [(g * coef.astype(g.dtype)) for g in grads]


def _total_norm(arrs, norm_type: float):
    if norm_type == math.inf:
        return jnp.max(jnp.stack([jnp.max(jnp.abs(a)).astype(jnp.float32) for a in arrs]))
    norms = [jnp.sum(jnp.abs(a.astype(jnp.float32) if a.dtype != jnp.float64 else a)
                     ** norm_type) ** (1.0 / norm_type) for a in arrs]
    return jnp.sum(jnp.stack(norms) ** norm_type) ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.utils.clip_grad_norm_` (``foreach`` is
    accepted; all gradients are clipped in one jitted call)."""
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        from ..._creation import tensor
        return tensor(0.0)
    arrs = [g._data for g in grads]
    total = _total_norm(arrs, norm_type)
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    coef = jnp.minimum(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g, new in zip(grads, _scale_all(arrs, coef)):
            g._set_arr(new)
    return Tensor._wrap(total)


def clip_grad_value_(parameters, clip_value: float, foreach: bool | None = None) -> None:
    """torchlike implementation of :func:`torch.nn.utils.clip_grad_value_`."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g._set_arr(jnp.clip(g._data, -clip_value, clip_value))
