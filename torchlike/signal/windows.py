"""torchlike implementation of :mod:`torch.signal.windows`.

The windows are computed with numpy in double precision on the host (they depend only on Python
arguments) and created in the requested dtype (the default float dtype unless given).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .._creation import _check_layout, _finish
from .._dtype import get_default_dtype, to_dtype

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _window(name, M, sym, dtype, layout, device, requires_grad, values):
    """``values(n, N)`` over ``n = 0..N-1`` (N = M, or M + 1 truncated when not ``sym``)."""
    if not isinstance(M, int) or isinstance(M, bool):
        raise TypeError(f"{name}(): argument 'M' must be int, not {type(M).__name__}")
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    _check_layout(layout)
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dt}")
    if M == 0:
        out = np.zeros((0,))
    elif M == 1:
        out = np.ones((1,))
    else:
        n = M if sym else M + 1
        out = values(np.arange(n, dtype=np.float64), n)[:M]
    return _finish(jnp.asarray(out, dt.np), device, requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.general_cosine`."""
    if not isinstance(a, (list, tuple)) or not a:
        raise TypeError(f"Coefficients must be a list/tuple, got {type(a).__name__}")

    def values(n, N):
        k = 2 * math.pi * n / (N - 1)
        return sum((-1) ** i * c * np.cos(i * k) for i, c in enumerate(a))
    return _window("general_cosine", M, sym, dtype, layout, device, requires_grad, values)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.general_hamming`."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.hamming`."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.hann`."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.blackman`."""
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.nuttall`."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.bartlett`."""
    return _window("bartlett", M, sym, dtype, layout, device, requires_grad,
                   lambda n, N: 1 - np.abs(2 * n / (N - 1) - 1))


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.cosine`."""
    return _window("cosine", M, sym, dtype, layout, device, requires_grad,
                   lambda n, N: np.sin(math.pi * (n + 0.5) / N))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.exponential`."""
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def values(n, N):
        c = (N - 1) / 2 if center is None else center
        return np.exp(-np.abs(n - c) / tau)
    return _window("exponential", M, sym, dtype, layout, device, requires_grad, values)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None,
             requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.gaussian`."""
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window("gaussian", M, sym, dtype, layout, device, requires_grad,
                   lambda n, N: np.exp(-(((n - (N - 1) / 2) / std) ** 2) / 2))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None,
           requires_grad=False):
    """torchlike implementation of :func:`torch.signal.windows.kaiser`."""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def values(n, N):
        half = (N - 1) / 2
        return np.i0(beta * np.sqrt(np.clip(1 - ((n - half) / half) ** 2, 0, None))) / np.i0(beta)
    return _window("kaiser", M, sym, dtype, layout, device, requires_grad, values)
