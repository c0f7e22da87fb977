"""torchlike implementation of :class:`torch.optim.RAdam`."""

from __future__ import annotations

import jax.numpy as jnp

from .adam import weight_decay_parts
from .optimizer import (Optimizer, addcmul, cast, check_betas, check_impl_flags, check_lr,
                        check_nonnegative, lerp, per_param, step_count, zeros)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """torchlike implementation of :class:`torch.optim.RAdam`.

    ``foreach``/``capturable`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "betas", "eps", "weight_decay")
    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False) -> None:
        check_lr(lr)
        check_nonnegative("epsilon", eps)
        check_betas(betas)
        check_nonnegative("weight_decay", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, differentiable)

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0,
                bool(group["decoupled_weight_decay"]))

    @staticmethod
    def _transform(hp, static):
        maximize, decay, decoupled = static
        lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]

        def rule(g, p, s):
            step, t = step_count(s, p)
            m = lerp(zeros(s, "exp_avg", p), g, 1 - beta1)
            v = addcmul(zeros(s, "exp_avg_sq", p) * cast(beta2, g), g, g, 1 - beta2)
            bc2 = 1 - beta2 ** t
            corrected = m / cast(1 - beta1 ** t, g) * cast(lr, g)
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * t * beta2 ** t / bc2
            # NOTE: torch branches on rho_t in Python; here it is traced, so both sides are
            # computed and selected (the unused rectification may be NaN).
            rect = jnp.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = cast(jnp.sqrt(bc2), g) / (jnp.sqrt(v) + cast(eps, g))
            u = jnp.where(rho_t > 5.0, corrected * adaptive * cast(rect, g), corrected)
            return -u, {"step": step, "exp_avg": m, "exp_avg_sq": v}

        before, after = weight_decay_parts(hp, decay, decoupled, maximize)
        return [*before, per_param(rule), *after]
