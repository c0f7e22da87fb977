"""torchlike implementation of :class:`torch.optim.SGD`."""

from __future__ import annotations

import optax

from .optimizer import (Optimizer, cast, check_impl_flags, check_lr, fma, per_param,
                        scale_by_learning_rate)

__all__ = ["SGD"]


class SGD(Optimizer):
    """torchlike implementation of :class:`torch.optim.SGD`.

    ``foreach``/``fused`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "momentum", "dampening", "weight_decay")
    _state_keys = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None) -> None:
        check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_impl_flags(foreach, fused, differentiable)

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0, group["momentum"] != 0,
                bool(group["nesterov"]))

    @staticmethod
    def _transform(hp, static):
        maximize, decay, has_momentum, nesterov = static
        momentum, dampening = hp["momentum"], hp["dampening"]

        def rule(g, p, s):
            if not has_momentum:
                return g, {}
            # NOTE: torch's first buffer is the gradient itself (no dampening), later ones
            # m * buf + (1 - dampening) * g; optax.trace starts from zeros and has no dampening.
            if "momentum_buffer" in s:
                buf = fma(cast(1 - dampening, g), g, s["momentum_buffer"] * cast(momentum, g))
            else:
                buf = g
            return (fma(cast(momentum, g), buf, g) if nesterov else buf), {"momentum_buffer": buf}

        return [*([optax.scale(-1.0)] if maximize else []),
                *([optax.add_decayed_weights(hp["weight_decay"])] if decay else []),
                per_param(rule), scale_by_learning_rate(hp["lr"])]
