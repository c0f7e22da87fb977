"""torchlike implementation of :class:`torch.optim.ASGD`."""

from __future__ import annotations

import jax.numpy as jnp

from .adam import weight_decay_parts
from .optimizer import (
    Optimizer,
    _scalar_dtype,
    add,
    cast,
    check_impl_flags,
    check_lr,
    check_nonnegative,
    fma,
    per_param,
    step_count,
    zeros,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """torchlike implementation of :class:`torch.optim.ASGD`.

    ``foreach``/``capturable`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "lambd", "alpha", "t0", "weight_decay")
    _state_keys = ("step", "eta", "mu", "ax")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False) -> None:
        check_lr(lr)
        check_nonnegative("weight_decay", weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, differentiable)

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0)

    @staticmethod
    def _transform(hp, static):
        maximize, decay = static
        lr, lambd, alpha, t0 = hp["lr"], hp["lambd"], hp["alpha"], hp["t0"]

        def rule(g, p, s):
            step, t = step_count(s, p)
            # NOTE: torch keeps eta and mu as float32 scalar tensors and reads them with .item().
            eta = s.get("eta", cast(lr, jnp.zeros((), _scalar_dtype()))).astype(jnp.float64)
            mu = s.get("mu", jnp.ones((), _scalar_dtype()))
            p = fma(cast(-eta, p), g, p * cast(1 - lambd * eta, p))
            ax = zeros(s, "ax", p)
            ax = jnp.where(mu != 1, add(ax, (p - ax) * mu.astype(p.dtype)), p)
            new_eta = lr / ((1 + lambd * lr * t) ** alpha)
            new_mu = 1 / jnp.maximum(1.0, t - t0)
            return p, {"step": step, "eta": new_eta.astype(step.dtype),
                       "mu": new_mu.astype(step.dtype), "ax": ax}

        before, _ = weight_decay_parts(hp, decay, False, maximize)
        return [*before, per_param(rule, sets_params=True)]
