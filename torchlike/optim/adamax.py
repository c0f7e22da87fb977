"""torchlike implementation of :class:`torch.optim.Adamax`."""

from __future__ import annotations

import jax.numpy as jnp

from .adam import weight_decay_parts
from .optimizer import (Optimizer, cast, check_betas, check_impl_flags, check_lr,
                        check_nonnegative, lerp, per_param, step_count, zeros)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """torchlike implementation of :class:`torch.optim.Adamax`.

    ``foreach``/``capturable`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "betas", "eps", "weight_decay")
    _state_keys = ("step", "exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False) -> None:
        check_lr(lr)
        check_nonnegative("epsilon", eps)
        check_betas(betas)
        check_nonnegative("weight_decay", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, differentiable)

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0)

    @staticmethod
    def _transform(hp, static):
        maximize, decay = static
        lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]

        # NOTE: torch adds eps to |g| inside the max (optax.adamax adds it to the denominator).
        def rule(g, p, s):
            step, t = step_count(s, p)
            m = lerp(zeros(s, "exp_avg", p), g, 1 - beta1)
            inf = jnp.maximum(zeros(s, "exp_inf", p) * cast(beta2, g), jnp.abs(g) + cast(eps, g))
            clr = lr / (1 - beta1 ** t)
            return cast(-clr, g) * m / inf, {"step": step, "exp_avg": m, "exp_inf": inf}

        before, _ = weight_decay_parts(hp, decay, False, maximize)
        return [*before, per_param(rule)]
