"""torchlike implementation of :mod:`torch.linalg` (the ops live in ``_ops/linalg_core.py``)."""

from __future__ import annotations

from ._ops._install import NAMESPACES


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """torchlike implementation of :func:`torch.linalg.diagonal` (a view, as torch)."""
    from . import diagonal as _diagonal
    return _diagonal(A, offset, dim1, dim2)


globals().update(NAMESPACES["linalg"])
