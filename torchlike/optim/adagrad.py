"""torchlike implementation of :class:`torch.optim.Adagrad`."""

from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor
from .adam import weight_decay_parts
from .optimizer import (Optimizer, _scalar_dtype, addcmul, cast, check_impl_flags, check_lr,
                        check_nonnegative, per_param, step_count)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """torchlike implementation of :class:`torch.optim.Adagrad`.

    ``foreach``/``fused`` are accepted and ignored (the update is one fused XLA program)."""

    _hyper = ("lr", "lr_decay", "eps", "weight_decay")
    _state_keys = ("step", "sum")

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False,
                 fused=None) -> None:
        check_lr(lr)
        check_nonnegative("lr_decay", lr_decay)
        check_nonnegative("weight_decay", weight_decay)
        check_nonnegative("initial_accumulator_value", initial_accumulator_value)
        check_nonnegative("epsilon", eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        check_impl_flags(foreach, fused, differentiable)
        # NOTE: unlike the other optimizers, torch's Adagrad creates its state in __init__.
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def _init_state(self, p, group):
        value = self.defaults["initial_accumulator_value"]
        if p.dtype.is_complex:
            value = complex(value, value)
        return {"step": Tensor._wrap(jnp.zeros((), _scalar_dtype())),
                "sum": Tensor._wrap(jnp.full_like(p._data, value))}

    def _static(self, group):
        return (bool(group["maximize"]), group["weight_decay"] != 0)

    @staticmethod
    def _transform(hp, static):
        maximize, decay = static
        lr, lr_decay, eps = hp["lr"], hp["lr_decay"], hp["eps"]

        def rule(g, p, s):
            step, t = step_count(s, p)
            clr = lr / (1 + (t - 1) * lr_decay)
            acc = addcmul(s["sum"], g, g, 1)
            return cast(-clr, g) * g / (jnp.sqrt(acc) + cast(eps, g)), {"step": step, "sum": acc}

        before, _ = weight_decay_parts(hp, decay, False, maximize)
        return [*before, per_param(rule)]
