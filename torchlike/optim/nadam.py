"""torchlike implementation of :class:`torch.optim.NAdam`."""

from __future__ import annotations

import jax.numpy as jnp

from .adam import weight_decay_parts
from .optimizer import (
    Optimizer,
    _scalar_dtype,
    add,
    addcmul,
    cast,
    check_betas,
    check_impl_flags,
    check_lr,
    check_nonnegative,
    lerp,
    per_param,
    step_count,
    zeros,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """torchlike implementation of :class:`torch.optim.NAdam`.

    ``foreach``/``capturable`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "betas", "eps", "weight_decay", "momentum_decay")
    _state_keys = ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False) -> None:
        check_lr(lr)
        check_nonnegative("epsilon", eps)
        check_betas(betas)
        check_nonnegative("weight_decay", weight_decay)
        check_nonnegative("momentum_decay", momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "differentiable": differentiable}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, differentiable)

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0,
                bool(group["decoupled_weight_decay"]))

    @staticmethod
    def _transform(hp, static):
        maximize, decay, decoupled = static
        lr, (beta1, beta2), eps, psi = hp["lr"], hp["betas"], hp["eps"], hp["momentum_decay"]

        def rule(g, p, s):
            step, t = step_count(s, p)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            # NOTE: torch keeps mu_product as a float32 tensor (rounded every step).
            mu_product = s.get("mu_product", jnp.ones((), _scalar_dtype()))
            mu_product = mu_product * cast(mu, mu_product)
            m = lerp(zeros(s, "exp_avg", p), g, 1 - beta1)
            v = addcmul(zeros(s, "exp_avg_sq", p) * cast(beta2, g), g, g, 1 - beta2)
            denom = jnp.sqrt(v / cast(1 - beta2 ** t, g)) + cast(eps, g)
            mp = mu_product.astype(jnp.float64)
            # NOTE: torch applies the two terms as two addcdiv_ calls, each rounded into param
            # (after the decoupled decay's param.mul_), so the rule returns the new parameter.
            if decay and decoupled:
                p = p * cast(1 - lr * hp["weight_decay"], p)
            p = add(p, cast(-lr * (1.0 - mu) / (1.0 - mp), g) * g / denom)
            p = add(p, cast(-lr * mu_next / (1.0 - mp * mu_next), g) * m / denom)
            return p, {"step": step, "mu_product": mu_product, "exp_avg": m, "exp_avg_sq": v}

        before, _ = weight_decay_parts(hp, decay and not decoupled, False, maximize)
        return [*before, per_param(rule, sets_params=True)]
