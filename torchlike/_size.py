"""torchlike implementation of :class:`torch.Size`."""

from __future__ import annotations

import math

__all__ = ["Size"]


def wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` in ``[-ndim, ndim)`` (``[-1, 0]`` for a 0-d tensor) as a non-negative axis, or
    torch's IndexError. The one place torchlike checks a dim argument."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


class Size(tuple):
    """A tuple of ints that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))
