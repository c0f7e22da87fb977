"""The convolution that ``F.conv1d/2d/3d`` lower to: XLA's convolution, with a faster weight gradient.

Measured on the 2-core CPU machine (``benchmarks/bench_conv.py`` and the CNN step of
``benchmarks/bench_compile.py``): XLA's CPU convolution computes the forward and the input gradient
acceptably, but its *weight* gradient (a convolution whose contraction runs over the batch and all
output positions) takes ~2x the forward's time. The same weight gradient written as one matmul per
kernel offset, ``dW[:, :, k] = sum_{n, positions} dY * X_shifted_by_k``, is much faster (XLA's CPU
dot is fast), while building an im2col patch matrix for the forward is not (XLA's CPU concatenate of
the shifted windows costs more than the convolution).

So the convolution is a ``jax.custom_jvp`` whose tangent is the sum of the two linear maps, each in
its faster form: ``conv(dX, W)`` through XLA and ``sum_k dW[:, :, k] . X_shifted_by_k`` as per-offset
einsums. Reverse mode transposes that tangent, so the input gradient is XLA's and the weight gradient
comes from the einsums; no gradient formula is written by hand, and forward mode (``jacfwd``) and
higher orders still work.
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

_DN = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _xla(x, w, stride, pads, dilation, groups):
    return lax.conv_general_dilated(x, w, stride, pads, rhs_dilation=dilation,
                                    dimension_numbers=_DN[x.ndim - 2], feature_group_count=groups)


def _by_offsets(x, w, stride, pads, dilation, groups):
    """The same convolution as a sum over kernel offsets of (grouped) channel contractions of
    strided windows of the padded input: linear in ``w`` with a matmul-shaped transpose."""
    n = x.ndim - 2
    xp = jnp.pad(x, ((0, 0), (0, 0), *pads))
    ks = w.shape[2:]
    out = [(xp.shape[2 + i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(n)]
    b, c = x.shape[:2]
    o = w.shape[0]
    wg = w.reshape((groups, o // groups, c // groups) + ks)
    y = None
    for k in itertools.product(*(range(kk) for kk in ks)):
        sl = tuple(slice(k[i] * dilation[i], k[i] * dilation[i] + stride[i] * (out[i] - 1) + 1,
                         stride[i]) for i in range(n))
        win = xp[(slice(None), slice(None)) + sl].reshape((b, groups, c // groups) + tuple(out))
        term = jnp.einsum("ngc...,goc->ngo...", win, wg[(Ellipsis,) + k])
        y = term if y is None else y + term
    return y.reshape((b, o) + tuple(out))


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3, 4, 5))
def conv(x, w, stride, pads, dilation, groups):
    """``lax.conv_general_dilated`` in torch's layout (N, C, *spatial) x (O, C/groups, *kernel);
    ``stride``/``dilation`` tuples, ``pads`` a tuple of (low, high) pairs."""
    return _xla(x, w, stride, pads, dilation, groups)


def _conv_jvp(stride, pads, dilation, groups, primals, tangents):
    x, w = primals
    dx, dw = tangents
    y = _xla(x, w, stride, pads, dilation, groups)
    parts = []
    if type(dx) is not SymbolicZero:
        parts.append(_xla(dx, w, stride, pads, dilation, groups))
    if type(dw) is not SymbolicZero:
        parts.append(_by_offsets(x, dw, stride, pads, dilation, groups))
    if not parts:
        return y, jnp.zeros_like(y)
    return y, parts[0] if len(parts) == 1 else parts[0] + parts[1]


conv.defjvp(_conv_jvp, symbolic_zeros=True)
