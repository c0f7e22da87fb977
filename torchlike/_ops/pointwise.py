"""Pointwise ops: arithmetic, comparisons, logical/bitwise ops and unary math.

Each op is one registry entry over raw JAX arrays. ``promote="all"`` applies torch's result type
over the operands; ``promote="float"`` additionally sends integer/bool inputs to the default float
dtype (torch's "int to float" ops such as ``sin`` and true division).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .registry import op

_i = jnp.issubdtype


def _is_int(a) -> bool:
    return not _i(a.dtype, jnp.inexact)


# -- arithmetic ---------------------------------------------------------------------------------

@op("input other", promote="all", inplace=True, dunder="add", saves=False)
def add(input, other, *, alpha=1):
    """torchlike implementation of :func:`torch.add`."""
    if input.dtype == jnp.bool_ and other.dtype == jnp.bool_:
        return input | other
    return input + other * alpha if alpha != 1 else input + other


@op("input other", promote="all", inplace=True, dunder="sub", saves=False)
def sub(input, other, *, alpha=1):
    """torchlike implementation of :func:`torch.sub`."""
    if input.dtype == jnp.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    return input - other * alpha if alpha != 1 else input - other


@op("input other", promote="all", inplace=True, dunder="mul")
def mul(input, other):
    """torchlike implementation of :func:`torch.mul`."""
    if input.dtype == jnp.bool_:
        return input & other
    return input * other


@op("input other", promote="float", inplace=True, dunder="truediv")
def div(input, other, *, rounding_mode=None):
    """torchlike implementation of :func:`torch.div`."""
    if rounding_mode is None:
        return input / other
    raise RuntimeError("div with rounding_mode is dispatched to floor_divide/trunc_divide")


@op("input", promote="all", inplace=True, saves=False)
def neg(input):
    """torchlike implementation of :func:`torch.neg`."""
    if input.dtype == jnp.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return -input


@op("input", promote="float", inplace=True)
def exp(input):
    """torchlike implementation of :func:`torch.exp`."""
    return jnp.exp(input)


@op("input", promote="float", inplace=True)
def log(input):
    """torchlike implementation of :func:`torch.log`."""
    return jnp.log(input)


@op("input", promote="float", inplace=True)
def tanh(input):
    """torchlike implementation of :func:`torch.tanh`."""
    return jnp.tanh(input)


@op("input", promote="all", inplace="function")
def relu(input):
    """torchlike implementation of :func:`torch.relu` (gradient 0 at 0, as torch)."""
    if input.dtype == jnp.bool_:
        raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
    return jnp.where(input > 0, input, jnp.zeros((), input.dtype))


@op("input exponent", promote="all", inplace=True, dunder="pow")
def pow(input, exponent):  # noqa: A001
    """torchlike implementation of :func:`torch.pow`."""
    if _is_int(input) and _is_int(exponent) and input.dtype != jnp.bool_:
        return lax.integer_pow(input, 0) if False else jnp.power(input, exponent)
    return jnp.power(input, exponent)


# -- comparisons --------------------------------------------------------------------------------

def _cmp(name, f, dunder):
    def fn(input, other):
        return f(input, other)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return op("input other", promote="all", inplace=True, differentiable=False, dunder=dunder,
              rdunder=False)(fn)


eq = _cmp("eq", lambda a, b: a == b, "eq")
ne = _cmp("ne", lambda a, b: a != b, "ne")
lt = _cmp("lt", lambda a, b: a < b, "lt")
le = _cmp("le", lambda a, b: a <= b, "le")
gt = _cmp("gt", lambda a, b: a > b, "gt")
ge = _cmp("ge", lambda a, b: a >= b, "ge")
