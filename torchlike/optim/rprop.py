"""torchlike implementation of :class:`torch.optim.Rprop`."""

from __future__ import annotations

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, cast, check_impl_flags, check_lr, per_param, step_count, zeros

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """torchlike implementation of :class:`torch.optim.Rprop`.

    ``foreach``/``capturable`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "etas", "step_sizes")
    _state_keys = ("step", "prev", "step_size")

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False) -> None:
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        check_impl_flags(foreach, None, differentiable)

    def _static(self, group):
        return (bool(group["maximize"]),)

    @staticmethod
    def _transform(hp, static):
        (maximize,) = static
        lr, (etaminus, etaplus), (size_min, size_max) = hp["lr"], hp["etas"], hp["step_sizes"]

        def rule(g, p, s):
            step, _ = step_count(s, p)
            # torch creates step_size filled with the group's lr at the parameter's first step.
            size = s["step_size"] if "step_size" in s else jnp.full_like(p, cast(lr, p))
            sign = jnp.sign(g * zeros(s, "prev", p))
            minus = cast(etaminus, g)
            factor = jnp.where(sign > 0, cast(etaplus, g), jnp.where(sign < 0, minus, 1))
            size = jnp.clip(size * factor, cast(size_min, g), cast(size_max, g))
            # after a sign change the gradient counts as zero: no move, no sign memory
            g = jnp.where(factor == minus, jnp.zeros_like(g), g)
            return -jnp.sign(g) * size, {"step": step, "prev": g, "step_size": size}

        return [*([optax.scale(-1.0)] if maximize else []), per_param(rule)]
