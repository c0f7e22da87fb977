"""Registry entries used by the core itself: dtype/device copies and view write-back."""

from __future__ import annotations

from ._view import scatter_into
from .registry import op


@op("input", method=False, function=False, saves=False, grad_name="ToCopyBackward0")
def _to_copy(input, dtype=None):
    if dtype is not None and dtype.kind == "u" and input.dtype.kind == "f":
        # NOTE: float -> uint8 of a negative value wraps in torch (via int64); XLA saturates to 0
        input = input.astype("int64")
    return input if dtype is None else input.astype(dtype)


@op("base src", method=False, function=False, saves=False, grad_name="CopySlices")
def _copy_slices(base, src, chain):
    return scatter_into(base, src, chain)


@op("input", saves=False, grad_name="CloneBackward0")
def clone(input, *, memory_format=None):
    """torchlike implementation of :func:`torch.clone`."""
    return input + 0 if input.dtype.kind != "b" else input.copy()
