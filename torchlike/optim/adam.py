"""torchlike implementation of :class:`torch.optim.Adam`."""

from __future__ import annotations

import jax.numpy as jnp
import optax

from .optimizer import (Optimizer, addcmul, cast, div, check_betas, check_impl_flags, check_lr,
                        check_nonnegative, lerp, per_param, step_count, zeros)

__all__ = ["Adam"]


def weight_decay_parts(hp, decay: bool, decoupled: bool, maximize: bool):
    """The optax transforms around a rule for ``maximize`` and coupled/decoupled weight decay.

    Returns ``(before, after)``: ``before`` acts on the gradient (torch negates it, then adds
    ``weight_decay * param`` for L2), ``after`` on the update.
    """
    before = [optax.scale(-1.0)] if maximize else []
    after = []
    if decay and decoupled:
        # NOTE: torch multiplies the parameter by (1 - lr * wd) before its update; adding
        # -lr * wd * param to the update is the same math (rounding differs by an ulp).
        after.append(optax.add_decayed_weights(-hp["lr"] * hp["weight_decay"]))
    elif decay:
        # NOTE: torch's L2 decay enters the gradient before the moments: add_decayed_weights
        # comes first in the chain (optax.adam has no decay; optax.adamw's is decoupled).
        before.append(optax.add_decayed_weights(hp["weight_decay"]))
    return before, after


class Adam(Optimizer):
    """torchlike implementation of :class:`torch.optim.Adam`.

    ``foreach``/``fused``/``capturable`` are accepted and ignored (the update is one fused XLA
    program); Tensor ``lr``/``betas`` are read as Python floats at every step."""

    _hyper = ("lr", "betas", "eps", "weight_decay")
    _state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False) -> None:
        check_lr(lr)
        check_nonnegative("epsilon", eps)
        check_betas(betas)
        check_nonnegative("weight_decay", weight_decay)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        check_impl_flags(foreach, fused, differentiable)

    def _static(self, group):
        return (bool(group["amsgrad"]), bool(group["maximize"]), group["weight_decay"] != 0,
                bool(group["decoupled_weight_decay"]))

    @staticmethod
    def _transform(hp, static):
        amsgrad, maximize, decay, decoupled = static
        lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]

        def rule(g, p, s):
            step, t = step_count(s, p)
            m = lerp(zeros(s, "exp_avg", p), g, 1 - beta1)
            v = addcmul(zeros(s, "exp_avg_sq", p) * cast(beta2, g), g, g, 1 - beta2)
            new = {"step": step, "exp_avg": m, "exp_avg_sq": v}
            if amsgrad:
                # NOTE: torch keeps the max of the raw second moment and bias-corrects after;
                # optax.scale_by_amsgrad takes the max of the bias-corrected one.
                v = new["max_exp_avg_sq"] = jnp.maximum(zeros(s, "max_exp_avg_sq", p), v)
            step_size = lr / (1 - beta1 ** t)
            denom = div(jnp.sqrt(v), cast(jnp.sqrt(1 - beta2 ** t), g)) + cast(eps, g)
            return cast(-step_size, g) * m / denom, new

        before, after = weight_decay_parts(hp, decay, decoupled, maximize)
        return [*before, per_param(rule), *after]
