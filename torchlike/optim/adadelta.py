"""torchlike implementation of :class:`torch.optim.Adadelta`."""

from __future__ import annotations

import jax.numpy as jnp

from .adam import weight_decay_parts
from .optimizer import (Optimizer, addcmul, cast, check_impl_flags, check_lr, check_nonnegative,
                        div, per_param, scale_by_learning_rate, step_count, zeros)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """torchlike implementation of :class:`torch.optim.Adadelta`.

    ``foreach``/``capturable`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "rho", "eps", "weight_decay")
    _state_keys = ("step", "square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative("epsilon", eps)
        check_nonnegative("weight_decay", weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, differentiable)

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0)

    @staticmethod
    def _transform(hp, static):
        maximize, decay = static
        rho, eps = hp["rho"], hp["eps"]

        # NOTE: optax.scale_by_adadelta has this math, but one state for the whole tree; torch's
        # state is per parameter (with a step counter) and created at its first step.
        def rule(g, p, s):
            step, _ = step_count(s, p)
            sq = addcmul(zeros(s, "square_avg", p) * cast(rho, g), g, g, 1 - rho)
            acc = zeros(s, "acc_delta", p)
            delta = div(jnp.sqrt(acc + cast(eps, g)), jnp.sqrt(sq + cast(eps, g))) * g
            acc = addcmul(acc * cast(rho, g), delta, delta, 1 - rho)
            return delta, {"step": step, "square_avg": sq, "acc_delta": acc}

        before, _ = weight_decay_parts(hp, decay, False, maximize)
        return [*before, per_param(rule), scale_by_learning_rate(hp["lr"])]
