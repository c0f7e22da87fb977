"""torchlike implementation of :class:`torch.optim.RMSprop`."""

from __future__ import annotations

import jax.numpy as jnp

from .adam import weight_decay_parts
from .optimizer import (Optimizer, add, addcmul, cast, check_impl_flags, check_lr,
                        check_nonnegative, div, lerp, per_param, scale_by_learning_rate,
                        step_count, zeros)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torchlike implementation of :class:`torch.optim.RMSprop`.

    ``foreach``/``capturable`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "alpha", "eps", "weight_decay", "momentum")
    _state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False) -> None:
        check_lr(lr)
        check_nonnegative("epsilon", eps)
        check_nonnegative("momentum", momentum)
        check_nonnegative("weight_decay", weight_decay)
        check_nonnegative("alpha", alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, differentiable)

    def _static(self, group):
        return (bool(group["centered"]), group["momentum"] > 0, bool(group["maximize"]),
                group["weight_decay"] != 0)

    @staticmethod
    def _transform(hp, static):
        centered, has_momentum, maximize, decay = static
        lr, alpha, eps, momentum = hp["lr"], hp["alpha"], hp["eps"], hp["momentum"]

        # NOTE: torch adds eps outside the sqrt and decays with alpha=0.99; optax.rmsprop's
        # defaults are decay=0.9, eps_in_sqrt=True, and it has no state step counter.
        def rule(g, p, s):
            step, _ = step_count(s, p)
            sq = addcmul(zeros(s, "square_avg", p) * cast(alpha, g), g, g, 1 - alpha)
            new = {"step": step, "square_avg": sq}
            if centered:
                ga = new["grad_avg"] = lerp(zeros(s, "grad_avg", p), g, 1 - alpha)
                avg = jnp.sqrt(addcmul(sq, ga, ga, -1))
            else:
                avg = jnp.sqrt(sq)
            avg = avg + cast(eps, g)
            if has_momentum:
                buf = new["momentum_buffer"] = (
                    add(zeros(s, "momentum_buffer", p) * cast(momentum, g), div(g, avg)))
                return buf, new
            return div(cast(-lr, g) * g, avg), new

        before, _ = weight_decay_parts(hp, decay, False, maximize)
        apply_lr = [scale_by_learning_rate(lr)] if has_momentum else []
        return [*before, per_param(rule), *apply_lr]
