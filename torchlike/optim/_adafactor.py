"""torchlike implementation of :class:`torch.optim.Adafactor`."""

from __future__ import annotations

import math

import jax.numpy as jnp
import optax

from .optimizer import (
    Optimizer,
    cast,
    check_impl_flags,
    check_tensor_lr,
    div,
    fma,
    lerp,
    per_param,
    step_count,
)

__all__ = ["Adafactor"]


def _norm64(x):
    """``x.norm(2).item()``: the norm in ``x``'s dtype, read as a Python float."""
    return jnp.sqrt(jnp.sum(x * x)).astype(jnp.float64)


class Adafactor(Optimizer):
    """torchlike implementation of :class:`torch.optim.Adafactor`.

    ``foreach`` is accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "beta2_decay", "eps", "d", "weight_decay")
    _state_keys = ("step", "row_var", "col_var", "variance")

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False) -> None:
        check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, False)

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0)

    @staticmethod
    def _transform(hp, static):
        maximize, decay = static
        lr, decay_rate, (eps1, eps2), d = hp["lr"], hp["beta2_decay"], hp["eps"], hp["d"]

        def rule(g, p, s):
            step, t = step_count(s, p)
            e1 = float(jnp.finfo(p.dtype).eps) if eps1 is None else eps1
            weight = t ** decay_rate
            rho = jnp.minimum(lr, 1 / t ** 0.5)
            alpha = jnp.maximum(eps2, _norm64(p) / math.sqrt(p.size)) * rho
            if decay:
                p = p * cast(1 - lr * hp["weight_decay"], p)
            if g.ndim > 1:
                # torch: norm(dim).square_().div_(n), the row/column mean of g**2, each rounded
                row = div(jnp.square(jnp.sqrt(jnp.sum(g * g, -1, keepdims=True))), g.shape[-1])
                col = div(jnp.square(jnp.sqrt(jnp.sum(g * g, -2, keepdims=True))), g.shape[-2])
                row = lerp(s["row_var"] if "row_var" in s else jnp.zeros_like(row), row, weight)
                col = lerp(s["col_var"] if "col_var" in s else jnp.zeros_like(col), col, weight)
                new = {"step": step, "row_var": row, "col_var": col}
                var = div(row * col, jnp.maximum(jnp.mean(row, -2, keepdims=True), cast(e1, g)))
            else:
                var = lerp(s["variance"] if "variance" in s else jnp.zeros_like(g), g * g, weight)
                new = {"step": step, "variance": var}
            update = div(jnp.ones_like(var), jnp.sqrt(jnp.maximum(var, cast(e1 * e1, g)))) * g
            denom = jnp.maximum(1.0, _norm64(update) / (math.sqrt(update.size) * d))
            return fma(cast(-alpha / denom, p), update, p), new

        return [*([optax.scale(-1.0)] if maximize else []), per_param(rule, sets_params=True)]
