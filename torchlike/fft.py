"""torchlike implementation of :mod:`torch.fft` (the transforms live in ``_ops/fft_ops.py``)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ._creation import _check_layout, _finish, _out
from ._dtype import get_default_dtype, to_dtype
from ._ops import fft_ops as _fft_ops  # noqa: F401 - registers the transforms
from ._ops._install import NAMESPACES


def _freq(vals, d, out, dtype, layout, device, requires_grad):
    _check_layout(layout)
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0: torch gives NaN too
        vals = vals / d
    return _out(_finish(jnp.asarray(vals, dt.np), device, requires_grad), out)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.fft.fftfreq`."""
    k = np.concatenate([np.arange(0, (n + 1) // 2), np.arange(-(n // 2), 0)]).astype(np.float64)
    return _freq(k, n * d, out, dtype, layout, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.fft.rfftfreq`."""
    k = np.arange(0, n // 2 + 1, dtype=np.float64)
    return _freq(k, n * d, out, dtype, layout, device, requires_grad)


globals().update(NAMESPACES["fft"])
