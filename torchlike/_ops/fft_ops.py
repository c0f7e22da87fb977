"""Discrete Fourier transforms: :mod:`torch.fft` (registered with ``namespace="fft"``).

Each transform is one registry entry over ``jnp.fft``. Torch's dtype rules: real floating inputs
become the matching complex dtype (float32 -> complex64), integer/bool inputs the default float's
complex dtype; the real-output transforms (``irfft``, ``hfft``) return the matching real dtype.
The Hermitian transforms are written with the real ones: ``hfft(x) = irfft(conj(x))`` and
``ihfft(x) = conj(rfft(x))`` under the dual normalisation.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._dtype import get_default_dtype
from .._size import wrap_dim as _wrap
from .registry import op

_NORMS = ("backward", "forward", "ortho")
_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _float_in(x):
    """Integer/bool inputs compute in the default float dtype (torch's "int to float")."""
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return x.astype(get_default_dtype().np)


def _real_in(name, x):
    if jnp.iscomplexobj(x):
        raise RuntimeError(f"{name} expects a real input tensor, but got "
                           f"{'ComplexFloat' if x.dtype == jnp.complex64 else 'ComplexDouble'}")
    return _float_in(x)


def _complex_in(x):
    x = _float_in(x)
    if jnp.iscomplexobj(x):
        return x
    return x.astype(jnp.complex128 if x.dtype == jnp.float64 else jnp.complex64)


def _check_n(name, n):
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _dims_and_shape(x, s, dim):
    """torch's (s, dim) rules for the n-dimensional transforms."""
    if dim is None:
        if s is None:
            axes = tuple(range(x.ndim))
        else:
            axes = tuple(range(x.ndim - len(s), x.ndim))
    else:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(_wrap(d, x.ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(axes):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    if s is not None:
        s = tuple(x.shape[a] if n == -1 else n for a, n in zip(axes, s))
        for n in s:
            _check_n("fftn", n)
    return axes, s


def _last_len(x, axes, s):
    """The output length of the halved (last) dimension of irfftn/hfftn."""
    if s is not None:
        return s[-1]
    return 2 * (x.shape[axes[-1]] - 1)


def _real_dtype(x):
    return jnp.float64 if x.dtype == jnp.complex128 else jnp.float32


# -- one-dimensional ----------------------------------------------------------------------------

@op("input", method=False, namespace="fft", grad_name="FftC2CBackward0")
def fft(input, n=None, dim=-1, norm=None):
    """torchlike implementation of :func:`torch.fft.fft`."""
    _check_n("fft", n)
    return jnp.fft.fft(_complex_in(input), n, _wrap(dim, input.ndim), _norm(norm))


@op("input", method=False, namespace="fft", grad_name="FftC2CBackward0")
def ifft(input, n=None, dim=-1, norm=None):
    """torchlike implementation of :func:`torch.fft.ifft`."""
    _check_n("ifft", n)
    return jnp.fft.ifft(_complex_in(input), n, _wrap(dim, input.ndim), _norm(norm))


@op("input", method=False, namespace="fft", grad_name="FftR2CBackward0")
def rfft(input, n=None, dim=-1, norm=None):
    """torchlike implementation of :func:`torch.fft.rfft`."""
    _check_n("rfft", n)
    return jnp.fft.rfft(_real_in("rfft", input), n, _wrap(dim, input.ndim), _norm(norm))


def _irfft1(x, n, axis, norm):
    x = _complex_in(x)
    if n is None:
        n = 2 * (x.shape[axis] - 1)
    _check_n("irfft", n)
    out = jnp.fft.irfft(x, n, axis, norm)
    return out.astype(_real_dtype(x))


@op("input", method=False, namespace="fft", grad_name="FftC2RBackward0")
def irfft(input, n=None, dim=-1, norm=None):
    """torchlike implementation of :func:`torch.fft.irfft`."""
    return _irfft1(input, n, _wrap(dim, input.ndim), _norm(norm))


@op("input", method=False, namespace="fft", grad_name="FftC2RBackward0")
def hfft(input, n=None, dim=-1, norm=None):
    """torchlike implementation of :func:`torch.fft.hfft`."""
    x = jnp.conj(_complex_in(input))
    return _irfft1(x, n, _wrap(dim, input.ndim), _DUAL[_norm(norm)])


@op("input", method=False, namespace="fft", grad_name="FftR2CBackward0")
def ihfft(input, n=None, dim=-1, norm=None):
    """torchlike implementation of :func:`torch.fft.ihfft`."""
    _check_n("ihfft", n)
    x = _real_in("ihfft", input)
    return jnp.conj(jnp.fft.rfft(x, n, _wrap(dim, input.ndim), _DUAL[_norm(norm)]))


# -- n-dimensional --------------------------------------------------------------------------------

def _fftn(x, s, dim, norm, inverse):
    x = _complex_in(x)
    axes, s = _dims_and_shape(x, s, dim)
    if not axes:
        return x
    f = jnp.fft.ifftn if inverse else jnp.fft.fftn
    return f(x, s, axes, _norm(norm))


def _rfftn(name, x, s, dim, norm):
    x = _real_in(name, x)
    axes, s = _dims_and_shape(x, s, dim)
    if not axes:
        raise RuntimeError(f"{name} must transform at least one axis")
    return jnp.fft.rfftn(x, s, axes, norm)


def _irfftn(x, s, dim, norm):
    x = _complex_in(x)
    axes, s = _dims_and_shape(x, s, dim)
    if not axes:
        raise RuntimeError("irfftn must transform at least one axis")
    last = _last_len(x, axes, s)
    _check_n("irfftn", last)
    full = tuple(x.shape[a] for a in axes[:-1]) + (last,) if s is None else s
    return jnp.fft.irfftn(x, full, axes, norm).astype(_real_dtype(x))


@op("input", method=False, namespace="fft", grad_name="FftC2CBackward0")
def fftn(input, s=None, dim=None, norm=None):
    """torchlike implementation of :func:`torch.fft.fftn`."""
    return _fftn(input, s, dim, norm, False)


@op("input", method=False, namespace="fft", grad_name="FftC2CBackward0")
def ifftn(input, s=None, dim=None, norm=None):
    """torchlike implementation of :func:`torch.fft.ifftn`."""
    return _fftn(input, s, dim, norm, True)


@op("input", method=False, namespace="fft", grad_name="FftC2CBackward0")
def fft2(input, s=None, dim=(-2, -1), norm=None):
    """torchlike implementation of :func:`torch.fft.fft2`."""
    return _fftn(input, s, dim, norm, False)


@op("input", method=False, namespace="fft", grad_name="FftC2CBackward0")
def ifft2(input, s=None, dim=(-2, -1), norm=None):
    """torchlike implementation of :func:`torch.fft.ifft2`."""
    return _fftn(input, s, dim, norm, True)


@op("input", method=False, namespace="fft", grad_name="FftR2CBackward0")
def rfftn(input, s=None, dim=None, norm=None):
    """torchlike implementation of :func:`torch.fft.rfftn`."""
    return _rfftn("rfftn", input, s, dim, _norm(norm))


@op("input", method=False, namespace="fft", grad_name="FftR2CBackward0")
def rfft2(input, s=None, dim=(-2, -1), norm=None):
    """torchlike implementation of :func:`torch.fft.rfft2`."""
    return _rfftn("rfftn", input, s, dim, _norm(norm))


@op("input", method=False, namespace="fft", grad_name="FftC2RBackward0")
def irfftn(input, s=None, dim=None, norm=None):
    """torchlike implementation of :func:`torch.fft.irfftn`."""
    return _irfftn(input, s, dim, _norm(norm))


@op("input", method=False, namespace="fft", grad_name="FftC2RBackward0")
def irfft2(input, s=None, dim=(-2, -1), norm=None):
    """torchlike implementation of :func:`torch.fft.irfft2`."""
    return _irfftn(input, s, dim, _norm(norm))


@op("input", method=False, namespace="fft", grad_name="FftC2RBackward0")
def hfftn(input, s=None, dim=None, norm=None):
    """torchlike implementation of :func:`torch.fft.hfftn`."""
    return _irfftn(jnp.conj(_complex_in(input)), s, dim, _DUAL[_norm(norm)])


@op("input", method=False, namespace="fft", grad_name="FftC2RBackward0")
def hfft2(input, s=None, dim=(-2, -1), norm=None):
    """torchlike implementation of :func:`torch.fft.hfft2`."""
    return _irfftn(jnp.conj(_complex_in(input)), s, dim, _DUAL[_norm(norm)])


@op("input", method=False, namespace="fft", grad_name="FftR2CBackward0")
def ihfftn(input, s=None, dim=None, norm=None):
    """torchlike implementation of :func:`torch.fft.ihfftn`."""
    return jnp.conj(_rfftn("ihfftn", input, s, dim, _DUAL[_norm(norm)]))


@op("input", method=False, namespace="fft", grad_name="FftR2CBackward0")
def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    """torchlike implementation of :func:`torch.fft.ihfft2`."""
    return jnp.conj(_rfftn("ihfftn", input, s, dim, _DUAL[_norm(norm)]))


# -- shifts -------------------------------------------------------------------------------------

def _shift_axes(x, dim):
    if dim is None:
        return tuple(range(x.ndim))
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(_wrap(d, x.ndim) for d in dim)


@op("input", method=False, namespace="fft", saves=False, grad_name="RollBackward0")
def fftshift(input, dim=None):
    """torchlike implementation of :func:`torch.fft.fftshift`."""
    axes = _shift_axes(input, dim)
    return jnp.roll(input, tuple(input.shape[a] // 2 for a in axes), axes) if axes else input


@op("input", method=False, namespace="fft", saves=False, grad_name="RollBackward0")
def ifftshift(input, dim=None):
    """torchlike implementation of :func:`torch.fft.ifftshift`."""
    axes = _shift_axes(input, dim)
    return jnp.roll(input, tuple(-(input.shape[a] // 2) for a in axes), axes) if axes else input
