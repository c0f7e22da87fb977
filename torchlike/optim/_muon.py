"""torchlike implementation of :class:`torch.optim.Muon`."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .optimizer import Optimizer, cast, check_tensor_lr, fma, lerp, per_param

__all__ = ["Muon"]

_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _bf16(x):
    """``x`` rounded to bfloat16, kept in float32.

    NOTE: arrays of dtype bfloat16 inside ``jax.jit`` lose their roundings (XLA's CPU backend
    computes chains of bfloat16 ops in float32); ``reduce_precision`` is kept, so torch's bfloat16
    kernels (float32 math, one rounding per op) are emulated exactly."""
    return jax.lax.reduce_precision(x, exponent_bits=8, mantissa_bits=7)


def _addmm(c, a, b, beta, alpha):
    """``torch.addmm(c, a, b, beta=, alpha=)`` on bfloat16: accumulated in float32, rounded once."""
    return _bf16(beta * c + alpha * jnp.matmul(a, b, precision="highest"))


def _orthogonalize(g, coefficients, steps: int, eps):
    """Newton-Schulz iterations towards the nearest semi-orthogonal matrix, in bfloat16."""
    a, b, c = coefficients
    x = _bf16(g.astype(jnp.float32))
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    norm = _bf16(jnp.sqrt(jnp.sum(x * x)))
    x = _bf16(x / jnp.maximum(norm, _bf16(cast(eps, norm))))
    for _ in range(steps):
        gram = _bf16(jnp.matmul(x, x.T, precision="highest"))
        x = _addmm(x, _addmm(gram, gram, gram, b, c), x, a, 1.0)
    x = x.astype(jnp.bfloat16)
    return x.T if tall else x


class Muon(Optimizer):
    """torchlike implementation of :class:`torch.optim.Muon`."""

    _hyper = ("lr", "weight_decay", "momentum", "ns_coefficients", "eps")
    _state_keys = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=_COEFFICIENTS, eps=1e-7, ns_steps=5, adjust_lr_fn=None) -> None:
        check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                    "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
                    "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def _static(self, group):
        if group["ns_steps"] >= 100:
            raise ValueError("Number of steps must be less than 100 for computational efficiency")
        if len(group["ns_coefficients"]) != 3:
            raise ValueError("Coefficients must be a tuple of exactly 3 values")
        return (bool(group["nesterov"]), int(group["ns_steps"]), group["adjust_lr_fn"])

    @staticmethod
    def _transform(hp, static):
        nesterov, ns_steps, adjust_lr_fn = static
        lr, momentum = hp["lr"], hp["momentum"]

        def rule(g, p, s):
            if g.ndim != 2:
                raise ValueError("Param gradient must be a 2D matrix")
            buf = lerp(s["momentum_buffer"] if "momentum_buffer" in s else jnp.zeros_like(g), g,
                       1 - momentum)
            update = lerp(g, buf, momentum) if nesterov else buf
            update = _orthogonalize(update, hp["ns_coefficients"], ns_steps, hp["eps"])
            rows, cols = p.shape
            if adjust_lr_fn == "match_rms_adamw":
                ratio = 0.2 * math.sqrt(max(rows, cols))
            else:
                ratio = math.sqrt(max(1, rows / cols))
            p = p * cast(1 - lr * hp["weight_decay"], p)
            return fma(cast(-lr * ratio, p), update.astype(p.dtype), p), {"momentum_buffer": buf}

        return [per_param(rule, sets_params=True)]
