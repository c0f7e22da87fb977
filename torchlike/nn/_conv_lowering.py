"""The convolution that ``F.conv1d/2d/3d`` lower to: XLA's convolution, with a faster weight gradient.

Measured on the 2-core CPU machine (``benchmarks/bench_conv.py`` and the CNN step of
``benchmarks/bench_compile.py``): XLA's CPU convolution computes the forward and the input gradient
acceptably, but its *weight* gradient (a convolution whose contraction runs over the batch and all
output positions) takes ~2x the forward's time. The same weight gradient written as one matmul per
kernel offset, ``dW[:, :, k] = sum_{n, positions} dY * X_shifted_by_k``, is much faster (XLA's CPU
dot is fast), while building an im2col patch matrix for the forward is not (XLA's CPU concatenate of
the shifted windows costs more than the convolution).

For ungrouped 2-D convolutions im2col is used when its patch matrix is not too large: with the
windows in channels-last order the concatenation is cheap, the forward then costs about what XLA's
convolution costs and the backward (matmuls and pad-adds) a half to a quarter of XLA's (table in
the README, ``benchmarks/bench_conv.py``). Otherwise the convolution is a ``jax.custom_jvp`` whose
tangent is the sum of the two linear maps, each in
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


_IM2COL_MAX = 1 << 26  # elements of the patch matrix (256 MiB in float32) before falling back


def conv(x, w, stride, pads, dilation, groups):
    """A convolution in torch's layout (N, C, *spatial) x (O, C/groups, *kernel); ``stride`` and
    ``dilation`` tuples, ``pads`` a tuple of (low, high) pairs. Ungrouped 2-D convolutions whose
    patch matrix fits ``_IM2COL_MAX`` go through im2col (channels-last windows, one matmul: its
    forward costs what XLA's convolution costs, its backward a half to a quarter), the rest
    through :func:`conv_xla`.

    NOTE: that is the CPU's lowering. When JAX's default backend is a GPU, XLA's convolution
    (cuDNN) with its own gradient is used, in TensorFloat-32 while ``backends.cudnn.allow_tf32``
    (torch's default), else in full float32. The choice is made when the op is traced."""
    if jax.default_backend() != "cpu":
        from ..backends import cudnn
        prec = lax.Precision.DEFAULT if cudnn.allow_tf32 else lax.Precision.HIGHEST
        return lax.conv_general_dilated(x, w, stride, pads, rhs_dilation=dilation,
                                        dimension_numbers=_DN[x.ndim - 2],
                                        feature_group_count=groups, precision=prec)
    if x.ndim == 4 and groups == 1:
        n, c = x.shape[:2]
        out = [(x.shape[2 + i] + sum(pads[i]) - dilation[i] * (w.shape[2 + i] - 1) - 1)
               // stride[i] + 1 for i in range(2)]
        if n * out[0] * out[1] * c * w.shape[2] * w.shape[3] <= _IM2COL_MAX:
            return _im2col2d(x, w, stride, pads, dilation, out)
    return conv_xla(x, w, stride, pads, dilation, groups)


def _im2col2d(x, w, stride, pads, dilation, out):
    """The k*k strided windows of the padded channels-last input side by side, times the kernel
    as a (k*k*C, O) matrix; autodiff of it gives matmuls and pad-adds, which XLA's CPU backend
    runs much faster than its convolution's transposes."""
    o, c, kh, kw = w.shape
    ho, wo = out
    xh = jnp.pad(x, ((0, 0), (0, 0), *pads)).transpose(0, 2, 3, 1)
    wins = [xh[:, i * dilation[0]:i * dilation[0] + stride[0] * (ho - 1) + 1:stride[0],
               j * dilation[1]:j * dilation[1] + stride[1] * (wo - 1) + 1:stride[1], :]
            for i in range(kh) for j in range(kw)]
    cols = wins[0] if len(wins) == 1 else jnp.concatenate(wins, axis=-1)
    y = cols.reshape(-1, kh * kw * c) @ w.transpose(2, 3, 1, 0).reshape(kh * kw * c, o)
    return y.reshape(x.shape[0], ho, wo, o).transpose(0, 3, 1, 2)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3, 4, 5))
def conv_xla(x, w, stride, pads, dilation, groups):
    """XLA's convolution, with the weight tangent (and so the weight gradient) by offsets."""
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


conv_xla.defjvp(_conv_jvp, symbolic_zeros=True)
