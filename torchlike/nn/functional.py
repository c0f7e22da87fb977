"""torchlike implementation of :mod:`torch.nn.functional`.

Every function is one registry entry over raw JAX arrays (``namespace="nn.functional"``), so its
forward and its ``jax.vjp`` pullback run as one cached jitted call. Functions with an ``inplace=``
flag, ``dropout`` (which draws from a Generator's key) and ``one_hot`` (whose output size may depend
on the data) are thin Python wrappers around such an entry. Argument checks run at trace time.
Subgradients follow torch's kernels (``relu`` 0 at 0, ``hardtanh`` 0 at the bounds, ...): every
kink is written as a ``jnp.where`` whose branches have the derivative torch picks.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _creation, _dtype, _lazy
from .._ops._install import check_inplace, inplace_call
from .._ops._view import assign
from .._ops.registry import op
from .._random import _resolve
from .._tensor import _LEGACY_TYPE, Tensor, _is_tracer, _wrap_dim
from . import _conv_lowering

__all__ = [
    "affine_grid", "alpha_dropout", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "celu", "celu_", "cosine_embedding_loss",
    "cosine_similarity", "cross_entropy", "ctc_loss", "dropout", "dropout1d", "dropout2d",
    "dropout3d", "elu", "elu_", "embedding", "embedding_bag", "gaussian_nll_loss", "gelu", "glu",
    "grid_sample", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
    "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss", "leaky_relu", "leaky_relu_",
    "linear", "log_softmax", "logsigmoid", "margin_ranking_loss", "mish", "mse_loss",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss",
    "normalize", "one_hot", "pad", "pairwise_distance", "poisson_nll_loss", "prelu", "relu",
    "relu6", "relu_", "selu", "selu_", "sigmoid", "silu", "smooth_l1_loss", "soft_margin_loss",
    "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh", "tanhshrink", "threshold",
    "threshold_", "triplet_margin_loss", "triplet_margin_with_distance_loss",
]

_NS = "nn.functional"


def _fn(tensors: str, **kw):
    """A public nn.functional entry."""
    return op(tensors, namespace=_NS, method=False, **kw)


def _raw(tensors: str, **kw):
    """An entry used by a Python wrapper below (not exported by the registry)."""
    return op(tensors, function=False, method=False, **kw)


def _zero(x):
    return jnp.zeros((), x.dtype)


# -- linear -------------------------------------------------------------------------------------

def _shape_str(s) -> str:
    return "x".join(str(d) for d in s)


@_fn("input weight bias")
def linear(input, weight, bias=None):
    """torchlike implementation of :func:`torch.nn.functional.linear`."""
    if input.dtype != weight.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_tname(input.dtype)} and {_tname(weight.dtype)}")
    k = input.shape[-1] if input.ndim else 1
    if weight.ndim == 2 and k != weight.shape[1]:
        rows = math.prod(input.shape[:-1]) if input.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                           f"{_shape_str(weight.shape[::-1])})")
    out = jnp.matmul(input, weight.T)
    return out if bias is None else out + bias


@_fn("input1 input2 weight bias")
def bilinear(input1, input2, weight, bias=None):
    """torchlike implementation of :func:`torch.nn.functional.bilinear`."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    out = jnp.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def _tname(np_dtype) -> str:
    from .._ops.registry import _type_name
    return _type_name(_dtype.from_np(np_dtype))


# -- activations --------------------------------------------------------------------------------

@_raw("input", grad_name="ReluBackward0")
def _relu(input):
    return jnp.where(input > 0, input, _zero(input))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.relu`."""
    return inplace_call(_relu.entry, (input,), ()) if inplace else _relu(input)


@_raw("input", grad_name="HardtanhBackward0")
def _hardtanh(input, min_val, max_val):
    # NOTE: torch's hardtanh_backward passes the gradient only strictly inside (min, max).
    lo, hi = jnp.asarray(min_val, input.dtype), jnp.asarray(max_val, input.dtype)
    return jnp.where(input <= lo, lo, jnp.where(input >= hi, hi, input))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.hardtanh`."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    s = (float(min_val), float(max_val))
    return inplace_call(_hardtanh.entry, (input,), s) if inplace else _hardtanh(input, *s)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.relu6`."""
    return hardtanh(input, 0.0, 6.0, inplace)


@_raw("input", grad_name="LeakyReluBackward0")
def _leaky_relu(input, negative_slope):
    return jnp.where(input > 0, input, input * negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.leaky_relu`."""
    s = (float(negative_slope),)
    return inplace_call(_leaky_relu.entry, (input,), s) if inplace else _leaky_relu(input, *s)


@_raw("input", grad_name="EluBackward0")
def _elu(input, alpha, scale, input_scale):
    # expm1 of a masked input: the unselected branch must not overflow (0 * inf = nan in the vjp).
    neg = jnp.where(input > 0, _zero(input), input)
    return jnp.where(input > 0, input * scale, alpha * scale * jnp.expm1(neg * input_scale))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.elu`."""
    s = (float(alpha), 1.0, 1.0)
    return inplace_call(_elu.entry, (input,), s) if inplace else _elu(input, *s)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.selu`."""
    s = (_SELU_ALPHA, _SELU_SCALE, 1.0)
    return inplace_call(_elu.entry, (input,), s) if inplace else _elu(input, *s)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.celu`."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    s = (float(alpha), 1.0, 1.0 / alpha)
    return inplace_call(_elu.entry, (input,), s) if inplace else _elu(input, *s)


@_raw("input", grad_name="SiluBackward0")
def _silu(input):
    return input * jax.nn.sigmoid(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.silu`."""
    return inplace_call(_silu.entry, (input,), ()) if inplace else _silu(input)


@_raw("input", grad_name="MishBackward0")
def _mish(input):
    return input * jnp.tanh(jax.nn.softplus(input))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.mish`."""
    return inplace_call(_mish.entry, (input,), ()) if inplace else _mish(input)


@_raw("input", grad_name="HardsigmoidBackward0")
def _hardsigmoid(input):
    # NOTE: torch's backward is 1/6 strictly inside (-3, 3) and 0 elsewhere.
    one = jnp.ones((), input.dtype)
    return jnp.where(input <= -3, _zero(input), jnp.where(input >= 3, one, input / 6 + 0.5))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.hardsigmoid`."""
    return inplace_call(_hardsigmoid.entry, (input,), ()) if inplace else _hardsigmoid(input)


@_raw("input", grad_name="HardswishBackward0")
def _hardswish(input):
    # NOTE: torch's backward: 0 up to -3, x/3 + 1/2 strictly inside (-3, 3), 1 from 3 on.
    return jnp.where(input <= -3, _zero(input),
                     jnp.where(input < 3, input * (input + 3) / 6, input))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.hardswish`."""
    return inplace_call(_hardswish.entry, (input,), ()) if inplace else _hardswish(input)


@_raw("input", grad_name="ThresholdBackward0")
def _threshold(input, threshold, value):
    return jnp.where(input > threshold, input, jnp.asarray(value, input.dtype))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.threshold`."""
    s = (threshold, value)
    return inplace_call(_threshold.entry, (input,), s) if inplace else _threshold(input, *s)


@_fn("input", promote="float")
def gelu(input, approximate="none"):
    """torchlike implementation of :func:`torch.nn.functional.gelu`."""
    if approximate == "none":
        return 0.5 * input * (1 + lax.erf(input * (1 / math.sqrt(2))))
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1 + jnp.tanh(inner))
    raise RuntimeError("approximate argument must be either none or tanh.")


@_fn("input", promote="float")
def sigmoid(input):
    """torchlike implementation of :func:`torch.nn.functional.sigmoid`."""
    return jax.nn.sigmoid(input)


@_fn("input", promote="float")
def tanh(input):
    """torchlike implementation of :func:`torch.nn.functional.tanh`."""
    return jnp.tanh(input)


@_fn("input", promote="float")
def softplus(input, beta=1.0, threshold=20.0):
    """torchlike implementation of :func:`torch.nn.functional.softplus`."""
    z = input * beta
    linear_part = z > threshold
    safe = jnp.where(linear_part, _zero(z), z)
    return jnp.where(linear_part, input, jnp.log1p(jnp.exp(safe)) / beta)


@_fn("input", promote="float")
def softsign(input):
    """torchlike implementation of :func:`torch.nn.functional.softsign`."""
    return input / (1 + jnp.abs(input))


@_fn("input", promote="float")
def logsigmoid(input):
    """torchlike implementation of :func:`torch.nn.functional.logsigmoid`."""
    return -jax.nn.softplus(-input)


@_fn("input", promote="float")
def tanhshrink(input):
    """torchlike implementation of :func:`torch.nn.functional.tanhshrink`."""
    return input - jnp.tanh(input)


@_fn("input")
def softshrink(input, lambd=0.5):
    """torchlike implementation of :func:`torch.nn.functional.softshrink`."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return jnp.where(input > lambd, input - lambd,
                     jnp.where(input < -lambd, input + lambd, _zero(input)))


@_fn("input")
def hardshrink(input, lambd=0.5):
    """torchlike implementation of :func:`torch.nn.functional.hardshrink`."""
    return jnp.where((input >= -lambd) & (input <= lambd), _zero(input), input)


@_fn("input weight", grad_name="PreluKernelBackward0")
def prelu(input, weight):
    """torchlike implementation of :func:`torch.nn.functional.prelu`."""
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input.dtype)} but found "
                           f"{_tname(weight.dtype)}")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.size != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        if weight.size != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.size} and channel size = "
                               f"{channels}.")
        w = weight.reshape((1, -1) + (1,) * (input.ndim - 2)) if input.ndim >= 2 else weight
    else:
        w = weight.reshape(())
    # torch's kernel: x > 0 ? x : w * x (so the input's gradient at 0 is w).
    return jnp.where(input > 0, input, w * input)

@_fn("input")
def glu(input, dim=-1):
    """torchlike implementation of :func:`torch.nn.functional.glu`."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    a, b = jnp.split(input, 2, axis=d)
    return a * jax.nn.sigmoid(b)


# -- softmax family -----------------------------------------------------------------------------

def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_like(f, input, dim, dtype):
    if dtype is not None:
        input = input.astype(_dtype.to_dtype(dtype).np)
    elif not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError(f'"softmax_lastdim_kernel_impl" not implemented for '
                           f"'{_tname(input.dtype)}'")
    d = _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return f(input.reshape(1), axis=0).reshape(())
    return f(input, axis=d)


@_raw("input", grad_name="SoftmaxBackward0")
def _softmax(input, dim, dtype):
    return _softmax_like(jax.nn.softmax, input, dim, dtype)


@_raw("input", grad_name="LogSoftmaxBackward0")
def _log_softmax(input, dim, dtype):
    return _softmax_like(jax.nn.log_softmax, input, dim, dtype)


@_raw("input", grad_name="SoftmaxBackward0")
def _softmin(input, dim, dtype):
    return _softmax_like(lambda x, axis: jax.nn.softmax(-x, axis=axis), input, dim, dtype)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.softmax`."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return _softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.log_softmax`."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return _log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.softmin`."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return _softmin(input, dim, dtype)


# -- dropout ------------------------------------------------------------------------------------

_ALPHA = 1.7580993408473766  # torch's alpha dropout constant (-SELU's negative saturation)


@_raw("key input", grad_name="MulBackward0")
def _dropout(key, input, p, mask_shape, alpha):
    """``(new_key, output)``: a Bernoulli(1 - p) keep-mask of ``mask_shape`` (broadcast over the
    input), scaled as torch scales it; ``alpha`` selects alpha dropout."""
    keys = jax.random.split(key)
    # NOTE: the keep probability in float32 (float64 only for float64 inputs): with x64 on, a Python
    # float would make JAX draw 64-bit uniforms, twice the random bits and compute.
    q = jnp.asarray(1.0 - p, jnp.float64 if input.dtype == jnp.float64 else jnp.float32)
    keep = jax.random.bernoulli(keys[1], q, mask_shape).astype(input.dtype)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        return keys[0], input * (keep * a) + ((keep - 1) * (_ALPHA * a) + _ALPHA * a * p)
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return keys[0], input * (keep * scale)


def _check_p(p) -> float:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _run_dropout(input, p, training, inplace, mask_shape, alpha, generator=None):
    p = _check_p(p)
    if not training or p == 0:
        return input
    if inplace:
        check_inplace(input)
    gen = _resolve(generator)
    new_key, out = _dropout(Tensor._wrap(gen._k), input, p, mask_shape, alpha)
    gen._k = new_key._a  # may stay deferred (see _lazy)
    if inplace:
        assign(input, out)
        return input
    return out


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.dropout`; the mask is drawn from
    torchlike's default Generator (seeded by ``torchlike.manual_seed``), so values differ from
    torch's."""
    return _run_dropout(input, p, training, inplace, tuple(input.shape), False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.alpha_dropout`."""
    return _run_dropout(input, p, training, inplace, tuple(input.shape), True)


def _feature_dropout(name, input, p, training, inplace, spatial):
    nd = input.ndim
    if nd not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but "
                           f"received a {nd}D input. Note that {name} exists to provide "
                           f"channel-wise dropout on inputs with {spatial} spatial dimensions, a "
                           "channel dimension, and an optional batch dimension (i.e. "
                           f"{spatial + 1}D or {spatial + 2}D inputs).")
    lead = 1 if nd == spatial + 1 else 2
    mask = tuple(input.shape[:lead]) + (1,) * (nd - lead)
    return _run_dropout(input, p, training, inplace, mask, False)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.dropout1d`."""
    _check_p(p)
    return _feature_dropout("dropout1d", input, p, training, inplace, 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.dropout2d` (a 3D input is
    treated, as in torch, as a batched 1D input (N, C, L))."""
    _check_p(p)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
        return _feature_dropout("dropout1d", input, p, training, inplace, 1)
    return _feature_dropout("dropout2d", input, p, training, inplace, 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.dropout3d`."""
    _check_p(p)
    return _feature_dropout("dropout3d", input, p, training, inplace, 3)


# -- losses -------------------------------------------------------------------------------------

def _reduction(size_average, reduce, reduction) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=4)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _warn_size(input, target) -> None:
    if input.shape != target.shape:
        warnings.warn(f"Using a target size (torch.Size({list(target.shape)})) that is different "
                      f"to the input size (torch.Size({list(input.shape)})). This will likely "
                      "lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=4)


# NOTE: the registry passes tensor arguments positionally, so entries whose torch signature puts a
# tensor after static arguments (``weight=``, ``pos_weight=`` last) are raw entries with the
# tensors first, behind a wrapper with torch's signature.

@_raw("input target weight", promote="float", grad_name="MseLossBackward0")
def _mse_loss(input, target, weight, reduction):
    _warn_size(input, target)
    loss = (input - target) ** 2
    return _reduce(loss if weight is None else loss * weight, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.mse_loss`."""
    return _mse_loss(input, target, weight, _reduction(size_average, reduce, reduction))


@_raw("input target weight", promote="float", grad_name="L1LossBackward0")
def _l1_loss(input, target, weight, reduction):
    _warn_size(input, target)
    loss = jnp.abs(input - target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.l1_loss`."""
    return _l1_loss(input, target, weight, _reduction(size_average, reduce, reduction))


@_fn("input target", promote="float", grad_name="SmoothL1LossBackward0")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """torchlike implementation of :func:`torch.nn.functional.smooth_l1_loss`."""
    r = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_size(input, target)
    d = jnp.abs(input - target)
    if beta == 0:
        return _reduce(d, r)
    return _reduce(jnp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), r)


@_raw("input target weight", promote="float", grad_name="HuberLossBackward0")
def _huber_loss(input, target, weight, reduction, delta):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_size(input, target)
    d = jnp.abs(input - target)
    loss = jnp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(loss if weight is None else loss * weight, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.huber_loss`."""
    return _huber_loss(input, target, weight, _reduction(None, None, reduction), float(delta))


@_fn("input target weight", promote="float", grad_name="BinaryCrossEntropyBackward0")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.binary_cross_entropy` (inputs
    outside [0, 1] are not checked: that check would need the values on the host)."""
    r = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size (torch.Size({list(target.shape)})) that is "
                         f"different to the input size (torch.Size({list(input.shape)})) is "
                         "deprecated. Please ensure they have the same size.")
    # torch clamps the logs at -100 so that 0 * log(0) stays finite.
    log_x = jnp.maximum(jnp.log(input), -100.0)
    log_1mx = jnp.maximum(jnp.log1p(-input), -100.0)
    loss = -(target * log_x + (1 - target) * log_1mx)
    return _reduce(loss if weight is None else loss * weight, r)


@_raw("input target weight pos_weight", promote="float",
      grad_name="BinaryCrossEntropyWithLogitsBackward0")
def _bce_with_logits(input, target, weight, pos_weight, reduction):
    if target.shape != input.shape:
        raise ValueError(f"Target size (torch.Size({list(target.shape)})) must be the same as "
                         f"input size (torch.Size({list(input.shape)}))")
    sp = jax.nn.softplus(-input)  # log(1 + exp(-x)), stable and smooth (no max/abs kinks)
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.binary_cross_entropy_with_logits`."""
    return _bce_with_logits(input, target, weight, pos_weight,
                            _reduction(size_average, reduce, reduction))


@_fn("input target", promote="float", grad_name="KlDivBackward0")
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """torchlike implementation of :func:`torch.nn.functional.kl_div`."""
    if reduction == "batchmean":
        r = "batchmean" if size_average is None and reduce is None else _reduction(
            size_average, reduce, "mean")
    else:
        r = _reduction(size_average, reduce, reduction)
        if r == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=4)
    if log_target:
        loss = jnp.exp(target) * (target - input)
    else:
        loss = jax.scipy.special.xlogy(target, target) - target * input
    if r == "batchmean":
        return jnp.sum(loss) / input.shape[0] if input.ndim else jnp.sum(loss)
    return _reduce(loss, r)


def _check_nll_shapes(input, target) -> int:
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim >= 2 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    cdim = 1 if input.ndim >= 2 else 0
    want = input.shape[:cdim] + input.shape[cdim + 1:]
    if target.shape != want:
        raise RuntimeError(f"Expected target size {list(want)}, got {list(target.shape)}")
    if jnp.issubdtype(target.dtype, jnp.floating):
        raise RuntimeError(f"expected scalar type Long but found {_tname(target.dtype)}")
    return cdim


def _nll(logp, target, weight, ignore_index, reduction, cdim):
    """torch's nll_loss over log-probabilities; also returns the per-element weights."""
    n_classes = logp.shape[cdim]
    valid = target != ignore_index
    t = jnp.where(valid, target, 0)
    picked = jnp.squeeze(jnp.take_along_axis(logp, jnp.expand_dims(t, cdim), axis=cdim,
                                             mode="clip"), cdim)
    if weight is not None:
        if weight.shape != (n_classes,):
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        w = jnp.where(valid, weight[t], jnp.zeros((), logp.dtype))
    else:
        w = valid.astype(logp.dtype)
    loss = -picked * w
    if reduction == "none":
        return loss, w
    if reduction == "sum":
        return jnp.sum(loss), w
    return _safe_div(jnp.sum(loss), jnp.sum(w)), w


def _safe_div(num, den):
    """``num / den``, nan when ``den == 0`` (as torch), but with a zero (not nan) gradient there."""
    zero = den == 0
    return jnp.where(zero, jnp.nan, num / jnp.where(zero, jnp.ones((), den.dtype), den))


def _check_target(input, target, ignore_index) -> None:
    """Raise torch's IndexError for an out-of-range class index.

    NOTE: torch checks the target values in its kernel, i.e. on the host. Here the target alone is
    read back (``np.asarray``: a view on CPU, a small copy from an accelerator) and its min/max
    checked with numpy. The target usually comes ready from the data, so the read does not wait for
    the model's forward; measured on CPU: ~7 µs per call for a batch of 64, against ~35 µs for a
    jitted check and ~100 µs per step for a check fused into the loss (its read waits for the
    forward). Under tracing (``torchlike.compile``) the check is skipped: there are no values.
    """
    arr = target._a
    if _is_tracer(arr) or not jnp.issubdtype(arr.dtype, jnp.integer) or input.dim() < 1:
        return
    if target._base is not None and target._vc[0] != target._seen:
        arr = target._data  # (a view whose base changed since)
    h = np.asarray(_lazy.peek(arr))  # (a deferred target: its own ops only, see _lazy.peek)
    n = input.shape[1 if input.dim() >= 2 else 0]
    if h.size and (h.min() < 0 or h.max() >= n):
        bad = ((h < 0) | (h >= n)) & (h != ignore_index)
        if bad.any():
            raise IndexError(f"Target {int(h.ravel()[bad.ravel().argmax()])} is out of bounds.")


@_raw("input target weight", name="nll_loss", grad_name="NllLossBackward0")
def _nll_loss(input, target, weight, ignore_index, reduction):
    cdim = _check_nll_shapes(input, target)
    return _nll(input, target, weight, ignore_index, reduction, cdim)[0]


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.nll_loss`."""
    r = _reduction(size_average, reduce, reduction)
    loss = _nll_loss(input, target, weight, int(ignore_index), r)
    _check_target(input, target, ignore_index)
    return loss


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.cross_entropy` (class indices or
    class probabilities)."""
    r = _reduction(size_average, reduce, reduction)
    loss = _cross_entropy(input, target, weight, int(ignore_index), r, float(label_smoothing))
    _check_target(input, target, ignore_index)
    return loss


@_raw("input target weight", name="cross_entropy", grad_name="NllLossBackward0")
def _cross_entropy(input, target, weight, ignore_index, r, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    cdim = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[cdim]
    logp = jax.nn.log_softmax(input, axis=cdim)
    wshape = [1] * input.ndim
    wshape[cdim] = n_classes
    if jnp.issubdtype(target.dtype, jnp.floating):
        # Class probabilities.
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if target.shape != input.shape:
            raise RuntimeError(f"Expected target size {list(input.shape)}, got "
                               f"{list(target.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape(wshape)
        loss = -jnp.sum(prod, axis=cdim)
        if r == "mean":
            return jnp.sum(loss) / (input.size // n_classes) if input.size else jnp.sum(loss) / 0
        return _reduce(loss, r)
    cdim = _check_nll_shapes(input, target)
    nll, w = _nll(logp, target, weight, ignore_index, r, cdim)
    if label_smoothing == 0:
        return nll
    valid = target != ignore_index
    per = logp * weight.reshape(wshape) if weight is not None else logp
    smooth = jnp.where(valid, -jnp.sum(per, axis=cdim), jnp.zeros((), logp.dtype))
    if r == "mean":
        smooth = _safe_div(jnp.sum(smooth), jnp.sum(w) if weight is not None
                           else jnp.sum(valid).astype(logp.dtype))
    elif r == "sum":
        smooth = jnp.sum(smooth)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


# -- margin, embedding, Poisson/Gaussian and CTC losses -----------------------------------------

def _clamp0(x):
    """``max(x, 0)`` with torch's ``clamp_min`` subgradient (1 at 0)."""
    return jnp.where(x >= 0, x, jnp.zeros((), x.dtype))


def _relu0(x):
    """``max(x, 0)`` with the subgradient of torch's margin kernels (0 at 0: ``if (z > 0)``)."""
    return jnp.where(x > 0, x, jnp.zeros((), x.dtype))


@_fn("input1 input2 target", promote="float", grad_name="ClampMinBackward0")
def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.margin_ranking_loss`."""
    r = _reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: torch.Size({list(input1.shape)}), input2: "
                           f"torch.Size({list(input2.shape)}), target: "
                           f"torch.Size({list(target.shape)}) ")
    return _reduce(_clamp0(-target * (input1 - input2) + margin), r)


@_fn("input target", promote="float", grad_name="AddBackward0")
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.hinge_embedding_loss`."""
    r = _reduction(size_average, reduce, reduction)
    zero = jnp.zeros((), input.dtype)
    loss = (jnp.where(target != 1, _clamp0(margin - input), zero)
            + jnp.where(target != -1, input, zero))
    return _reduce(loss, r)


@_fn("input target", promote="float", grad_name="SoftMarginLossBackward0")
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.soft_margin_loss`."""
    r = _reduction(size_average, reduce, reduction)
    return _reduce(jnp.log1p(jnp.exp(-input * target)), r)


@_fn("input target weight", promote="float", grad_name="DivBackward0")
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.multilabel_soft_margin_loss`."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, "mean")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    loss = -(target * jax.nn.log_sigmoid(input) + (1 - target) * jax.nn.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    cdim = input.ndim - 1
    return _reduce(jnp.sum(loss, axis=cdim) / input.shape[cdim], reduction)


@_fn("input1 input2 target", promote="float", grad_name="AddBackward0")
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.cosine_embedding_loss`."""
    r = _reduction(size_average, reduce, reduction)
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"{target.ndim}D target tensor expects {want}D input tensors, but "
                           f"found inputs with sizes {_shape_paren(input1.shape)} and "
                           f"{_shape_paren(input2.shape)}.")
    for i, (a, b) in enumerate(zip(input1.shape, input2.shape)):
        if a != b and 1 not in (a, b):
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {i}")
    eps = 1e-12  # torch adds it to both squared magnitudes
    d = input1.ndim - 1
    prod = jnp.sum(input1 * input2, axis=d)
    mag = jnp.sqrt((jnp.sum(input1 * input1, axis=d) + eps)
                   * (jnp.sum(input2 * input2, axis=d) + eps))
    cos = prod / mag
    zero = jnp.zeros((), cos.dtype)
    loss = (jnp.where(target == 1, 1 - cos, zero)
            + jnp.where(target == -1, _clamp0(cos - margin), zero))
    return _reduce(loss, r)


def _shape_paren(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_margin_target(name, input, target):
    if input.ndim > 2:
        raise RuntimeError(f"{name}: Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {_shape_paren(input.shape)}")
    if jnp.issubdtype(target.dtype, jnp.inexact) or target.dtype == jnp.bool_:
        raise RuntimeError(f"expected scalar type Long but found {_tname(target.dtype)}")


@_raw("input target weight", grad_name="MultiMarginLossBackward0")
def _multi_margin_loss(input, target, weight, p, margin, reduction):
    _check_margin_target("multi_margin_loss", input, target)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n, c = x.shape
    t = target.reshape(-1)
    if t.shape != (n,):
        raise RuntimeError(f"inconsistent target size, expected {n} but got "
                           f"{_shape_paren(target.shape)}")
    t = jnp.clip(t, 0, c - 1)
    picked = jnp.take_along_axis(x, t[:, None], axis=1)
    z = _relu0(margin - picked + x)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t][:, None]
    z = jnp.where(jnp.arange(c)[None] == t[:, None], jnp.zeros((), z.dtype), z)
    loss = jnp.sum(z, axis=1) / c
    if reduction == "none":
        return loss.reshape(target.shape) if input.ndim == 2 else loss.reshape(())
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.multi_margin_loss` (out-of-range
    targets are not checked: that check would need the values on the host)."""
    r = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _multi_margin_loss(input, target, weight, int(p), float(margin), r)


@_fn("input target", grad_name="MultilabelMarginLossBackward0")
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.multilabel_margin_loss`."""
    r = _reduction(size_average, reduce, reduction)
    _check_margin_target("multilabel_margin_loss", input, target)
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {_shape_paren(target.shape)} for input "
                           f"of size: {_shape_paren(input.shape)}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(x.shape)
    c = x.shape[1]
    # The targets of a row are its entries up to the first -1.
    valid = jnp.cumprod(t >= 0, axis=1).astype(bool)
    tc = jnp.clip(t, 0, c - 1)
    is_target = jnp.any(valid[:, :, None] & (tc[:, :, None] == jnp.arange(c)), axis=1)
    picked = jnp.take_along_axis(x, tc, axis=1)  # x[y_j]
    z = _relu0(1 - picked[:, :, None] + x[:, None, :])  # [n, j, i]
    mask = valid[:, :, None] & ~is_target[:, None, :]
    loss = jnp.sum(jnp.where(mask, z, jnp.zeros((), z.dtype)), axis=(1, 2)) / c
    if r == "none":
        return loss if input.ndim == 2 else loss.reshape(())
    return _reduce(loss, r)


@_fn("input target", promote="float", grad_name="PoissonNllLossBackward0")
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.poisson_nll_loss`."""
    r = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = jnp.exp(input) - target * input
    else:
        loss = input - target * jnp.log(input + eps)
    if full:
        # Where the mask zeroes the term, its (nan at target 0) derivative reaches the target as in
        # torch's masked_fill.
        stirling = target * jnp.log(target) - target + 0.5 * jnp.log(2 * math.pi * target)
        loss = loss + jnp.where(target > 1, stirling, jnp.zeros((), stirling.dtype))
    return _reduce(loss, r)


@_raw("input target var", promote="float", grad_name="MulBackward0")
def _gaussian_nll_loss(input, target, var, full, eps, reduction):
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var[..., None]
        elif not (input.ndim == var.ndim and sum(
                v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    # torch clamps a clone of var in place under no_grad: the forward sees max(var, eps) and the
    # gradient flows to var as if the clamp were not there.
    var = var + lax.stop_gradient(jnp.maximum(var, eps) - var)
    loss = 0.5 * (jnp.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.gaussian_nll_loss` (like torch, it
    reads ``var < 0`` on the host to raise its ValueError)."""
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _creation.full(tuple(input.shape), float(var), dtype=input.dtype)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    return _gaussian_nll_loss(input, target, var, bool(full), float(eps), reduction)


def _check_triplet(anchor, positive, negative, margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, and "
                           f"negative {n}D inputs")


@_fn("anchor positive negative", promote="float", grad_name="ClampMinBackward0")
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.triplet_margin_loss`."""
    r = _reduction(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative, margin)
    dist = pairwise_distance.entry.fn
    d_pos = dist(anchor, positive, p, eps)
    d_neg = dist(anchor, negative, p, eps)
    if swap:
        d_neg = jnp.minimum(d_neg, dist(positive, negative, p, eps))
    return _reduce(_clamp0(margin + d_pos - d_neg), r)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.triplet_margin_with_distance_loss`
    (composed of torchlike ops, so any ``distance_function`` written with them works)."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_triplet(anchor, positive, negative, margin)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    loss = (margin + d_pos - d_neg).clamp_min(0)
    return loss.sum() if reduction == "sum" else loss.mean() if reduction == "mean" else loss


_CTC_NEG = -1e30  # "log 0": finite, so that log-sum-exp over impossible paths has finite gradients


def _lse(*xs):
    m = lax.stop_gradient(functools.reduce(jnp.maximum, xs))
    return m + jnp.log(sum(jnp.exp(x - m) for x in xs))


@_raw("log_probs targets input_lengths target_lengths", grad_name="CtcLossBackward0")
def _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
              zero_infinity):
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs, targets = log_probs[:, None], targets[None]
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2-D or 3-D, got "
                           f"{log_probs.ndim}-D")
    T, N, C = log_probs.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    il = input_lengths.reshape(-1).astype(jnp.int32)
    tl = target_lengths.reshape(-1).astype(jnp.int32)
    if il.shape != (N,):
        raise RuntimeError(f"input_lengths must be of size batch_size {N}")
    if tl.shape != (N,):
        raise RuntimeError(f"target_lengths must be of size batch_size {N}")
    if targets.ndim == 1:  # concatenated targets: row n starts at sum(target_lengths[:n])
        S = targets.shape[0]
        idx = (jnp.cumsum(tl) - tl)[:, None] + jnp.arange(S)
        targets = targets[jnp.clip(idx, 0, max(S - 1, 0))] if S else targets.reshape(N, 0)
    S = targets.shape[1]
    ext = jnp.full((N, 2 * S + 1), blank, targets.dtype).at[:, 1::2].set(targets)
    s = jnp.arange(2 * S + 1)
    ext_m2 = jnp.pad(ext, ((0, 0), (2, 0)), constant_values=blank)[:, :-2]
    skip = (s % 2 == 1) & (s >= 2) & (ext != ext_m2)
    neg = jnp.asarray(_CTC_NEG, log_probs.dtype)
    lp = jnp.take_along_axis(log_probs, jnp.broadcast_to(ext, (T,) + ext.shape), axis=2)
    alpha0 = jnp.where(s < 2, lp[0], neg)

    def step(alpha, xs):
        t, lpt = xs
        a1 = jnp.pad(alpha, ((0, 0), (1, 0)), constant_values=neg)[:, :-1]
        a2 = jnp.where(skip, jnp.pad(alpha, ((0, 0), (2, 0)), constant_values=neg)[:, :-2], neg)
        return jnp.where((t < il)[:, None], _lse(alpha, a1, a2) + lpt, alpha), None

    alpha, _ = lax.scan(step, alpha0, (jnp.arange(1, T), lp[1:]))
    end1 = jnp.take_along_axis(alpha, 2 * tl[:, None], axis=1)[:, 0]
    end2 = jnp.take_along_axis(alpha, jnp.maximum(2 * tl - 1, 0)[:, None], axis=1)[:, 0]
    nll = -_lse(end1, jnp.where(tl > 0, end2, neg))
    impossible = nll > -_CTC_NEG / 2
    # NOTE: torch's ctc_loss backward returns exp(log_probs) - (posterior occupancy), i.e. the
    # gradient w.r.t. the logits of a fused log_softmax, not w.r.t. log_probs. Adding
    # sum(exp(lp) - stop_gradient(exp(lp))) over the valid frames (zero in value) reproduces it.
    e = jnp.exp(log_probs)
    frames = (jnp.arange(T)[:, None] < il)[:, :, None]
    nll = nll + jnp.sum(jnp.where(frames, e - lax.stop_gradient(e), 0), axis=(0, 2))
    nll = jnp.where(impossible, jnp.zeros((), nll.dtype) if zero_infinity else jnp.inf, nll)
    if reduction == "mean":
        return jnp.mean(nll / jnp.maximum(tl, 1).astype(nll.dtype))
    if reduction == "sum":
        return jnp.sum(nll)
    return nll[0] if unbatched else nll


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.ctc_loss` (lengths larger than the
    tensors are not checked: that check would need the values on the host)."""
    r = _reduction(None, None, reduction)
    if not isinstance(input_lengths, Tensor):
        input_lengths = _creation.tensor(input_lengths)
    if not isinstance(target_lengths, Tensor):
        target_lengths = _creation.tensor(target_lengths)
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, int(blank), r,
                     bool(zero_infinity))


# -- embeddings and encodings -------------------------------------------------------------------

def _check_indices(input, name, legacy=False):
    if jnp.issubdtype(input.dtype, jnp.inexact) or input.dtype == jnp.bool_:
        dt = _dtype.from_np(input.dtype).name
        got = _LEGACY_TYPE[dt] if legacy else f"torch.{dt}"
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {got} instead (while "
                           f"checking arguments for {name})")


@_raw("weight input", name="embedding_renorm", differentiable=False)
def _embedding_renorm(weight, input, max_norm, norm_type):
    """The weight with every row that ``input`` uses and whose norm exceeds ``max_norm`` scaled
    to ``max_norm`` (torch's ``embedding_renorm_``, factor ``max_norm / (norm + 1e-7)``)."""
    _check_indices(input, "embedding_renorm_")
    used = jnp.zeros(weight.shape[0], bool).at[input.ravel()].set(True)
    norms = _vnorm(weight, norm_type, 1, True)
    scale = jnp.where(used[:, None] & (norms > max_norm), max_norm / (norms + 1e-7),
                      jnp.ones((), weight.dtype))
    return (weight * scale).astype(weight.dtype)


def _renorm_(weight, input, max_norm, norm_type) -> None:
    """Renormalise the used rows of ``weight`` in place, outside autograd (as torch does)."""
    from ..autograd.grad_mode import no_grad
    with no_grad():
        weight.copy_(_embedding_renorm(weight.detach(), input, float(max_norm),
                                       float(norm_type)))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.embedding` (``sparse=True`` is not
    supported; out-of-range indices are not checked)."""
    if padding_idx is not None:
        n = weight.shape[0]
        if padding_idx > 0 and padding_idx >= n or padding_idx < 0 and padding_idx < -n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return _embedding(input, weight, padding_idx, bool(scale_grad_by_freq), bool(sparse))


@_raw("input weight", name="embedding", grad_name="EmbeddingBackward0")
def _embedding(input, weight, padding_idx, scale_grad_by_freq, sparse):
    if sparse:
        raise NotImplementedError("torchlike: embedding(sparse=True) is not supported (gradients "
                                  "are dense)")
    _check_indices(input, "embedding")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    out = jnp.take(weight, input, axis=0, mode="clip")
    if padding_idx is not None or scale_grad_by_freq:
        # Forward value unchanged; the gradient reaching the weight is masked / rescaled.
        scale = jnp.ones(input.shape, weight.dtype)
        if padding_idx is not None:
            pad = padding_idx + n if padding_idx < 0 else padding_idx
            scale = jnp.where(input == pad, jnp.zeros((), weight.dtype), scale)
        if scale_grad_by_freq:
            counts = jnp.bincount(input.ravel(), length=n).astype(weight.dtype)
            scale = scale / counts[input]
        s = scale[..., None]
        out = out * s + lax.stop_gradient(out * (1 - s))
    return out



@_raw("input weight offsets per_sample_weights", name="embedding_bag",
      grad_name="EmbeddingBagBackward0")
def _embedding_bag(input, weight, offsets, per_sample_weights, mode, include_last_offset,
                   padding_idx):
    _check_indices(input, "embedding_bag", legacy=True)
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input.ndim == 2:
        bags = input.shape[0]
        seg = jnp.repeat(jnp.arange(bags), input.shape[1])
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.ravel()
        input = input.ravel()
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        bags = offsets.shape[0] - (1 if include_last_offset else 0)
        seg = jnp.searchsorted(offsets[:bags], jnp.arange(input.shape[0]), side="right") - 1
        if include_last_offset:
            seg = jnp.where(jnp.arange(input.shape[0]) < offsets[bags], seg, bags)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if per_sample_weights is not None and per_sample_weights.shape != input.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    keep = jnp.ones(input.shape, bool) if padding_idx is None else input != padding_idx
    rows = jnp.take(weight, input, axis=0, mode="clip")
    zero = jnp.zeros((), weight.dtype)
    if mode == "max":
        rows = jnp.where(keep[:, None], rows, -jnp.inf)
        out = jax.ops.segment_max(rows, seg, num_segments=bags)
        return jnp.where(jnp.isfinite(out), out, zero)  # empty bags give zeros
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:, None]
    rows = jnp.where(keep[:, None], rows, zero)
    out = jax.ops.segment_sum(rows, seg, num_segments=bags)
    if mode == "mean":
        count = jax.ops.segment_sum(keep.astype(weight.dtype), seg, num_segments=bags)
        out = out / jnp.maximum(count, 1)[:, None]
    return out


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq=False,
                  mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.embedding_bag` (``sparse=True`` and
    ``scale_grad_by_freq=True`` are not supported; offsets and indices are not range-checked)."""
    if sparse:
        raise NotImplementedError("torchlike: embedding_bag(sparse=True) is not supported "
                                  "(gradients are dense)")
    if scale_grad_by_freq:
        raise NotImplementedError("torchlike: embedding_bag(scale_grad_by_freq=True) is not "
                                  "supported")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if padding_idx is not None:
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-n} "
                               f"through {n - 1}, but got {padding_idx}")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    if input.dim() == 2 and offsets is not None:
        kind = "<class 'torch.Tensor'>" if isinstance(offsets, Tensor) else type(offsets)
        raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a "
                         f"mini-batch of fixed length sequences. However, found offsets of type "
                         f"{kind}")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return _embedding_bag(input, weight, offsets, per_sample_weights, mode,
                          bool(include_last_offset), padding_idx)

def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.one_hot`."""
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    arr = tensor._data
    if not _is_tracer(arr) and arr.size:
        lo, hi = int(jnp.min(arr)), int(jnp.max(arr))
        if lo < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes == -1:
        if _is_tracer(arr):
            raise RuntimeError("torchlike: one_hot(num_classes=-1) needs concrete values; pass "
                               "num_classes when tracing")
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    return _one_hot(tensor, int(num_classes))


@_raw("tensor", differentiable=False)
def _one_hot(tensor, num_classes):
    return (tensor[..., None] == jnp.arange(num_classes)).astype(jnp.int64)


# -- distances and normalisation ----------------------------------------------------------------

def _vnorm(x, p, axis, keepdims):
    """Vector p-norm with torch's gradient at 0 (zero instead of nan)."""
    if p == math.inf:
        return jnp.max(jnp.abs(x), axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return jnp.min(jnp.abs(x), axis=axis, keepdims=keepdims)
    if p == 0:
        return jnp.sum((x != 0).astype(x.dtype), axis=axis, keepdims=keepdims)
    if p == 1:
        return jnp.sum(jnp.abs(x), axis=axis, keepdims=keepdims)
    s = jnp.sum(x * x if p == 2 else jnp.abs(x) ** p, axis=axis, keepdims=keepdims)
    zero = s == 0
    safe = jnp.where(zero, jnp.ones((), s.dtype), s)
    root = jnp.sqrt(safe) if p == 2 else safe ** (1.0 / p)
    return jnp.where(zero, jnp.zeros((), s.dtype), root)


@_fn("input", promote="float", grad_name="DivBackward0")
def normalize(input, p=2.0, dim=1, eps=1e-12):
    """torchlike implementation of :func:`torch.nn.functional.normalize`."""
    d = _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return input / jnp.maximum(_vnorm(input, p, None, False), eps)
    return input / jnp.maximum(_vnorm(input, p, d, True), eps)


@_fn("x1 x2", promote="float", grad_name="SumBackward1")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """torchlike implementation of :func:`torch.nn.functional.cosine_similarity`."""
    x1, x2 = jnp.broadcast_arrays(x1, x2)
    d = _wrap_dim(dim, x1.ndim)
    n1 = jnp.maximum(_vnorm(x1, 2, d, True), eps)
    n2 = jnp.maximum(_vnorm(x2, 2, d, True), eps)
    return jnp.sum((x1 / n1) * (x2 / n2), axis=d)


@_fn("x1 x2", promote="float", grad_name="NormBackward1")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """torchlike implementation of :func:`torch.nn.functional.pairwise_distance`."""
    nd = max(x1.ndim, x2.ndim)
    diff = x1 - x2 + eps
    if nd == 0:
        return jnp.abs(diff)
    return _vnorm(diff, p, nd - 1, keepdim)


# -- padding ------------------------------------------------------------------------------------

_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@_fn("input", grad_name="ConstantPadNdBackward0")
def pad(input, pad, mode="constant", value=None):
    """torchlike implementation of :func:`torch.nn.functional.pad` (modes 'constant', 'reflect',
    'replicate', 'circular'; negative padding in 'constant' mode only)."""
    pad = tuple(int(v) for v in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    npairs = len(pad) // 2
    if npairs > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    widths = [(0, 0)] * input.ndim
    for i in range(npairs):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        v = jnp.asarray(0 if value is None else value, input.dtype)
        return lax.pad(input, v, [(lo, hi, 0) for lo, hi in widths])
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}"" doesn\'t take in value argument')
    if npairs > 3 or input.ndim not in (npairs + 1, npairs + 2):
        raise NotImplementedError(f"Only 2D, 3D, 4D, 5D padding with non-constant padding are "
                                  f"supported for now (got a {input.ndim}D input and {npairs} "
                                  "padded dims)")
    if min(pad) < 0:
        raise NotImplementedError(f"torchlike: negative padding in mode '{mode}' is not "
                                  "supported yet")
    for d, (lo, hi) in enumerate(widths):
        if mode == "reflect" and (lo >= input.shape[d] or hi >= input.shape[d]):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {d} "
                               f"of input {list(input.shape)}")
        if mode == "circular" and (lo > input.shape[d] or hi > input.shape[d]):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    return jnp.pad(input, widths, mode=_PAD_MODES[mode])


# -- convolution --------------------------------------------------------------------------------

_CONV_DN = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _tup(v, n: int) -> tuple:
    """torch's ``_single/_pair/_triple`` (a one-element sequence is repeated)."""
    if isinstance(v, (tuple, list)):
        v = tuple(int(x) for x in v)
        return v * n if len(v) == 1 else v
    return (int(v),) * n


def _batched(name, x, n):
    """``(x with a batch dim, whether it had one)``; torch's unbatched-input rule."""
    if x.ndim == n + 2:
        return x, True
    if x.ndim == n + 1:
        return x[None], False
    raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but "
                       f"got input of size: {list(x.shape)}")


def _conv_pads(padding, stride, dilation, k, n):
    if not isinstance(padding, str):
        return [(p, p) for p in _tup(padding, n)]
    if padding == "valid":
        return [(0, 0)] * n
    if padding != "same":
        raise ValueError(f"Invalid padding string '{padding}', should be one of "
                         "{'valid', 'same'}")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    return [(d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2) for d, kk in zip(dilation, k)]


def _conv(name, input, weight, bias, stride, padding, dilation, groups, n):
    x, batched = _batched(name, input, n)
    stride, dilation = _tup(stride, n), _tup(dilation, n)
    if weight.ndim != n + 2:
        raise RuntimeError(f"Expected {n + 2}-dimensional weight for {n + 2}-dimensional input "
                           f"{list(x.shape)}, but got {weight.ndim}-dimensional weight of size "
                           f"{list(weight.shape)} instead")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {weight.shape[1] * groups} channels, but "
                           f"got {x.shape[1]} channels instead")
    pads = _conv_pads(padding, stride, dilation, weight.shape[2:], n)
    out = _conv_lowering.conv(x, weight, tuple(stride), tuple(map(tuple, pads)), tuple(dilation),
                              groups)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * n)
    return out if batched else out[0]


@_fn("input weight bias", grad_name="ConvolutionBackward0")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torchlike implementation of :func:`torch.nn.functional.conv1d`."""
    return _conv("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


@_fn("input weight bias", grad_name="ConvolutionBackward0")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torchlike implementation of :func:`torch.nn.functional.conv2d`."""
    return _conv("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


@_fn("input weight bias", grad_name="ConvolutionBackward0")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torchlike implementation of :func:`torch.nn.functional.conv3d`."""
    return _conv("conv3d", input, weight, bias, stride, padding, dilation, groups, 3)


def _conv_t(name, input, weight, bias, stride, padding, output_padding, groups, dilation, n):
    x, batched = _batched(name, input, n)
    stride, padding = _tup(stride, n), _tup(padding, n)
    output_padding, dilation = _tup(output_padding, n), _tup(dilation, n)
    cin, k = weight.shape[0], weight.shape[2:]
    if x.shape[1] != cin:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {cin} channels, but got {x.shape[1]} "
                           "channels instead")
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding_height: {o} output_padding_width: {o} "
                               f"stride_height: {s} stride_width: {s} dilation_height: {d} "
                               f"dilation_width: {d}")
    # The transposed convolution is the input-gradient of a convolution: dilate the input by the
    # stride and correlate with the flipped kernel, whose (in, out) axes swap within each group.
    g = groups
    w = weight.reshape((g, cin // g) + weight.shape[1:])
    w = jnp.swapaxes(w, 1, 2).reshape((g * weight.shape[1], cin // g) + k)
    w = jnp.flip(w, axis=tuple(range(2, 2 + n)))
    pads = [(d * (kk - 1) - p, d * (kk - 1) - p + o)
            for d, kk, p, o in zip(dilation, k, padding, output_padding)]
    out = lax.conv_general_dilated(x, w, (1,) * n, pads, lhs_dilation=stride,
                                   rhs_dilation=dilation, dimension_numbers=_CONV_DN[n],
                                   feature_group_count=g)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * n)
    return out if batched else out[0]


@_fn("input weight bias", grad_name="ConvolutionBackward0")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """torchlike implementation of :func:`torch.nn.functional.conv_transpose1d`."""
    return _conv_t("conv_transpose1d", input, weight, bias, stride, padding, output_padding,
                   groups, dilation, 1)


@_fn("input weight bias", grad_name="ConvolutionBackward0")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """torchlike implementation of :func:`torch.nn.functional.conv_transpose2d`."""
    return _conv_t("conv_transpose2d", input, weight, bias, stride, padding, output_padding,
                   groups, dilation, 2)


@_fn("input weight bias", grad_name="ConvolutionBackward0")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """torchlike implementation of :func:`torch.nn.functional.conv_transpose3d`."""
    return _conv_t("conv_transpose3d", input, weight, bias, stride, padding, output_padding,
                   groups, dilation, 3)


# -- pooling ------------------------------------------------------------------------------------

def _pool_out(L, k, s, p, d, ceil_mode, name, shape):
    """torch's pooling output size for one spatial dim."""
    if p * 2 > k:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k} and dilation={d}")
    num = L + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= L + p:
        o -= 1
    if o <= 0:
        raise RuntimeError(f"{name}: Given input size: ({'x'.join(map(str, shape))}). Calculated "
                           f"output size: ({'x'.join(map(str, shape[:-1] + (o,)))}). Output size "
                           "is too small")
    return o


def _windows(x, k, s, p, d, outs, fill):
    """The strided slices of ``x`` (N, C, *spatial) padded by ``p`` (and, for ceil_mode, on the
    right), one per kernel offset in torch's scan order: a list of (N, C, *outs) arrays."""
    hi = [max(0, (o - 1) * ss + dd * (kk - 1) + 1 - L - pp)
          for o, ss, dd, kk, L, pp in zip(outs, s, d, k, x.shape[2:], p)]
    xp = lax.pad(x, jnp.asarray(fill, x.dtype), [(0, 0, 0)] * 2
                 + [(pp, h, 0) for pp, h in zip(p, hi)])
    res = []
    for off in itertools.product(*[range(kk) for kk in k]):
        start = (0, 0) + tuple(j * dd for j, dd in zip(off, d))
        limit = x.shape[:2] + tuple(st + (o - 1) * ss + 1
                                    for st, o, ss in zip(start[2:], outs, s))
        res.append(lax.slice(xp, start, limit, (1, 1) + s))
    return res


def _pool_args(name, input, kernel_size, stride, padding, dilation, ceil_mode, n):
    x, batched = _batched(name, input, n)
    k = _tup(kernel_size, n)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _tup(stride,
                                                                                          n)
    p, d = _tup(padding, n), _tup(dilation, n)
    outs = tuple(_pool_out(L, kk, ss, pp, dd, ceil_mode, name, x.shape[1:])
                 for L, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
    return x, batched, k, s, p, d, outs


def _lowest(dtype):
    return -jnp.inf if jnp.issubdtype(dtype, jnp.floating) else jnp.iinfo(dtype).min


@_raw("input", grad_name="MaxPoolWithIndicesBackward0")
def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, n, name, with_indices):
    x, batched, k, s, p, d, outs = _pool_args(name, input, kernel_size, stride, padding, dilation,
                                              ceil_mode, n)
    # NOTE: max over strided slices rather than lax.reduce_window (whose CPU backward is ~6x
    # slower); the gradient goes to the first maximum in torch's scan order, as in torch.
    wins = _windows(x, k, s, p, d, outs, _lowest(x.dtype))
    st = jnp.stack(wins)
    idx = jnp.argmax(st, axis=0)
    out = wins[0]
    for i in range(1, len(wins)):
        out = jnp.where(idx == i, wins[i], out)
    if not batched:
        out = out[0]
    if not with_indices:
        return out
    spatial = x.shape[2:]
    pos = []
    for off in itertools.product(*[range(kk) for kk in k]):
        flat = np.zeros(outs, np.int64)
        for dim in range(n):
            coord = np.arange(outs[dim]) * s[dim] - p[dim] + off[dim] * d[dim]
            shape = [1] * n
            shape[dim] = outs[dim]
            flat = flat + coord.reshape(shape) * int(np.prod(spatial[dim + 1:]))
        pos.append(flat)
    pos = jnp.asarray(np.stack(pos))
    ind = jnp.take_along_axis(jnp.broadcast_to(pos[:, None, None], st.shape), idx[None], 0)[0]
    return out, (ind if batched else ind[0])


def _max_pool_nd(n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    return _max_pool(input, kernel_size, stride, padding, dilation, bool(ceil_mode), n,
                     f"max_pool{n}d", bool(return_indices))


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """torchlike implementation of :func:`torch.nn.functional.max_pool1d`."""
    return _max_pool_nd(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """torchlike implementation of :func:`torch.nn.functional.max_pool2d`."""
    return _max_pool_nd(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """torchlike implementation of :func:`torch.nn.functional.max_pool3d`."""
    return _max_pool_nd(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


@_raw("input", grad_name="AvgPoolBackward0")
def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n, name):
    x, batched, k, s, p, d, outs = _pool_args(name, input, kernel_size, stride, padding, 1,
                                              ceil_mode, n)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    total = sum(_windows(x, k, s, p, d, outs, 0))
    if divisor_override is not None:
        out = total / divisor_override
    else:
        div = np.ones((), np.int64)
        for dim in range(n):
            L, pp = x.shape[2 + dim], p[dim]
            padded = np.arange(L + 2 * pp + k[dim] + outs[dim] * s[dim])
            valid = padded < L + 2 * pp if count_include_pad else (padded >= pp) & (padded < L + pp)
            cnt = np.array([valid[o * s[dim]:o * s[dim] + k[dim]].sum() for o in range(outs[dim])])
            div = np.multiply.outer(div, cnt)
        out = total / jnp.asarray(div, total.dtype)
    return out if batched else out[0]


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.avg_pool1d`."""
    return _avg_pool(input, kernel_size, stride, padding, bool(ceil_mode),
                     bool(count_include_pad), None, 1, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.avg_pool2d`."""
    return _avg_pool(input, kernel_size, stride, padding, bool(ceil_mode),
                     bool(count_include_pad), divisor_override, 2, "avg_pool2d")


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.avg_pool3d`."""
    return _avg_pool(input, kernel_size, stride, padding, bool(ceil_mode),
                     bool(count_include_pad), divisor_override, 3, "avg_pool3d")


def _adaptive_bounds(L, o):
    start = [(i * L) // o for i in range(o)]
    end = [-(-((i + 1) * L) // o) for i in range(o)]
    return start, end


def _adaptive_sizes(name, x, output_size, n):
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got "
                           f"{list(x.shape)}")
    osz = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * n
    if len(osz) != n:
        raise ValueError(f"{name}: output_size must be {n}")
    return tuple(x.shape[x.ndim - n + i] if o is None else int(o) for i, o in enumerate(osz))


@_raw("input", grad_name="AdaptiveAvgPoolBackward0")
def _adaptive_avg_pool(input, output_size, n, name):
    outs = _adaptive_sizes(name, input, output_size, n)
    x = input
    for dim, o in enumerate(outs):
        ax = x.ndim - n + dim
        L = x.shape[ax]
        start, end = _adaptive_bounds(L, o)
        m = np.zeros((L, o), np.float64)
        for i in range(o):
            m[start[i]:end[i], i] = 1.0 / (end[i] - start[i])
        x = jnp.moveaxis(jnp.tensordot(x, jnp.asarray(m, x.dtype), axes=([ax], [0]),
                                       precision=lax.Precision.HIGHEST), -1, ax)
    return x


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.adaptive_avg_pool1d`."""
    return _adaptive_avg_pool(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.adaptive_avg_pool2d`."""
    return _adaptive_avg_pool(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.adaptive_avg_pool3d`."""
    return _adaptive_avg_pool(input, output_size, 3, "adaptive_avg_pool3d")


@_raw("input", grad_name="AdaptiveMaxPoolBackward0")
def _adaptive_max_pool(input, output_size, n, name, with_indices):
    outs = _adaptive_sizes(name, input, output_size, n)
    lead = input.ndim - n
    spatial = input.shape[lead:]
    x = jnp.asarray(input)
    valid = np.ones((), bool)
    pos = np.zeros((), np.int64)
    ks = []
    for dim, o in enumerate(outs):
        L = spatial[dim]
        start, end = _adaptive_bounds(L, o)
        kmax = max(e - b for b, e in zip(start, end))
        ks.append(kmax)
        idx = np.array(start)[:, None] + np.arange(kmax)[None]
        ok = idx < np.array(end)[:, None]
        idx = np.minimum(idx, L - 1)
        ax = lead + 2 * dim
        x = jnp.take(x, jnp.asarray(idx.ravel()), axis=ax).reshape(
            x.shape[:ax] + (o, kmax) + x.shape[ax + 1:])
        valid = np.multiply.outer(valid, ok)
        pos = np.add.outer(pos, idx * int(np.prod(spatial[dim + 1:])))
    # (..., o1, k1, o2, k2, ...) -> (..., o1, o2, ..., k1 * k2 * ...)
    perm = (tuple(range(lead)) + tuple(lead + 2 * i for i in range(n))
            + tuple(lead + 2 * i + 1 for i in range(n)))
    win = (*outs, int(np.prod(ks)))
    x = jnp.transpose(x, perm).reshape(x.shape[:lead] + win)
    sperm = [q - lead for q in perm[lead:]]
    valid = np.transpose(valid, sperm).reshape(win)
    pos = np.transpose(pos, sperm).reshape(win)
    x = jnp.where(jnp.asarray(valid), x, jnp.asarray(_lowest(x.dtype), x.dtype))
    idx = jnp.argmax(x, axis=-1)[..., None]
    out = jnp.take_along_axis(x, idx, -1)[..., 0]
    if not with_indices:
        return out
    ind = jnp.take_along_axis(jnp.broadcast_to(jnp.asarray(pos), x.shape), idx, -1)[..., 0]
    return out, ind


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """torchlike implementation of :func:`torch.nn.functional.adaptive_max_pool1d`."""
    return _adaptive_max_pool(input, output_size, 1, "adaptive_max_pool1d", bool(return_indices))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """torchlike implementation of :func:`torch.nn.functional.adaptive_max_pool2d`."""
    return _adaptive_max_pool(input, output_size, 2, "adaptive_max_pool2d", bool(return_indices))


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """torchlike implementation of :func:`torch.nn.functional.adaptive_max_pool3d`."""
    return _adaptive_max_pool(input, output_size, 3, "adaptive_max_pool3d", bool(return_indices))


# -- normalisation ------------------------------------------------------------------------------

def _chan_shape(ndim):
    return (1, -1) + (1,) * (ndim - 2)


@_raw("input running_mean running_var weight bias", grad_name="NativeBatchNormBackward0")
def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """Returns ``(output, new_running_mean, new_running_var)`` when the stats are updated."""
    if input.ndim < 2:
        raise ValueError(f"Expected 2D or more input (got {input.ndim}D input)")
    c = input.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise RuntimeError(f"{what} should contain {c} elements not {t.size}")
    shape = _chan_shape(input.ndim)
    if training:
        axes = (0,) + tuple(range(2, input.ndim))
        mean = jnp.mean(input, axes)
        var = jnp.mean(jnp.square(input - mean.reshape(shape)), axes)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean.astype(input.dtype), running_var.astype(input.dtype)
    out = (input - mean.reshape(shape)) * lax.rsqrt(var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    if not (training and running_mean is not None):
        return out
    n = input.size // c
    mean, var = lax.stop_gradient(mean), lax.stop_gradient(var)
    new_mean = (1 - momentum) * running_mean + momentum * mean.astype(running_mean.dtype)
    unbiased = var * (n / (n - 1)) if n > 1 else jnp.full_like(var, jnp.nan)
    new_var = (1 - momentum) * running_var + momentum * unbiased.astype(running_var.dtype)
    return out, new_mean, new_var


def _update_stats(res, running_mean, running_var):
    from ..autograd.grad_mode import no_grad
    out, new_mean, new_var = res
    with no_grad():
        running_mean.copy_(new_mean)
        running_var.copy_(new_var)
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.batch_norm` (running statistics are
    updated in place, as in torch)."""
    if training:
        size = input.shape
        if math.prod(size) // size[1] <= 1 if len(size) > 1 else True:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {size}")
    res = _batch_norm(input, running_mean, running_var, weight, bias, bool(training),
                      float(momentum), float(eps))
    if training and running_mean is not None:
        return _update_stats(res, running_mean, running_var)
    return res


@_raw("input running_mean running_var weight bias", grad_name="NativeBatchNormBackward0")
def _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum,
                   eps):
    shape = _chan_shape(input.ndim)
    if use_input_stats:
        axes = tuple(range(2, input.ndim))
        mean = jnp.mean(input, axes, keepdims=True)
        var = jnp.mean(jnp.square(input - mean), axes, keepdims=True)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        mean = running_mean.astype(input.dtype).reshape(shape)
        var = running_var.astype(input.dtype).reshape(shape)
    out = (input - mean) * lax.rsqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    if not (use_input_stats and running_mean is not None):
        return out
    n = math.prod(input.shape[2:])
    mean, var = lax.stop_gradient(mean), lax.stop_gradient(var)
    bm = jnp.mean(mean.reshape(input.shape[:2]), 0).astype(running_mean.dtype)
    bv = jnp.mean(var.reshape(input.shape[:2]) * (n / max(n - 1, 1)), 0)
    new_mean = (1 - momentum) * running_mean + momentum * bm
    new_var = (1 - momentum) * running_var + momentum * bv.astype(running_var.dtype)
    return out, new_mean, new_var


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.instance_norm`."""
    if use_input_stats and math.prod(input.shape[2:]) <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    res = _instance_norm(input, running_mean, running_var, weight, bias, bool(use_input_stats),
                         float(momentum), float(eps))
    if use_input_stats and running_mean is not None:
        return _update_stats(res, running_mean, running_var)
    return res


def _norm_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, (tuple, list, Tensor)):
        return tuple(int(v) for v in normalized_shape)
    return (int(normalized_shape),)


def _check_norm_shape(input, ns):
    if tuple(input.shape[input.ndim - len(ns):]) != ns or len(ns) > input.ndim:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(input.shape)}")
    return tuple(range(input.ndim - len(ns), input.ndim))


@_raw("input weight bias", grad_name="NativeLayerNormBackward0")
def _layer_norm(input, weight, bias, normalized_shape, eps):
    axes = _check_norm_shape(input, _norm_shape(normalized_shape))
    mean = jnp.mean(input, axes, keepdims=True)
    var = jnp.mean(jnp.square(input - mean), axes, keepdims=True)
    out = (input - mean) * lax.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.layer_norm`."""
    return _layer_norm(input, weight, bias, _norm_shape(normalized_shape), float(eps))


@_raw("input weight", grad_name="RmsNormBackward0")
def _rms_norm(input, weight, normalized_shape, eps):
    axes = _check_norm_shape(input, _norm_shape(normalized_shape))
    e = jnp.finfo(input.dtype).eps if eps is None else eps
    out = input * lax.rsqrt(jnp.mean(jnp.square(input), axes, keepdims=True) + e)
    return out if weight is None else out * weight


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.rms_norm`."""
    return _rms_norm(input, weight, _norm_shape(normalized_shape),
                     None if eps is None else float(eps))


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.group_norm`."""
    return _group_norm(input, weight, bias, int(num_groups), float(eps))


@_raw("input weight bias", grad_name="NativeGroupNormBackward0")
def _group_norm(input, weight, bias, num_groups, eps):
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups="
                           f"{num_groups}")
    x = input.reshape(n, num_groups, -1)
    mean = jnp.mean(x, -1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), -1, keepdims=True)
    out = ((x - mean) * lax.rsqrt(var + eps)).reshape(input.shape)
    shape = _chan_shape(input.ndim)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@_fn("input", grad_name="DivBackward0")
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """torchlike implementation of :func:`torch.nn.functional.local_response_norm`."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    sq = jnp.square(input)
    pad = [(0, 0, 0)] * input.ndim
    pad[1] = (size // 2, (size - 1) // 2, 0)
    sqp = lax.pad(sq, jnp.zeros((), sq.dtype), pad)
    c = input.shape[1]
    div = sum(lax.slice_in_dim(sqp, i, i + c, axis=1) for i in range(size)) / size
    return input / (div * alpha + k) ** beta


# -- attention ----------------------------------------------------------------------------------

def _float_mask(mask, dtype, true_is_masked=True):
    """torch's ``_canonical_mask``: a bool mask becomes 0 / -inf, a float mask is kept."""
    if mask is None:
        return None
    if mask.dtype == jnp.bool_:
        blocked = mask if true_is_masked else ~mask
        return jnp.where(blocked, jnp.asarray(-jnp.inf, dtype), jnp.zeros((), dtype))
    return mask.astype(dtype)


def _attn_dropout(rng, attn, p):
    keys = jax.random.split(rng)
    # (32-bit uniforms unless float64: see the NOTE in _dropout)
    q = jnp.asarray(1.0 - p, jnp.float64 if attn.dtype == jnp.float64 else jnp.float32)
    keep = jax.random.bernoulli(keys[1], q, attn.shape).astype(attn.dtype)
    return keys[0], attn * keep * (0.0 if p == 1 else 1.0 / (1.0 - p))


@_raw("query key value attn_mask rng", grad_name="ScaledDotProductAttentionBackward0")
def _sdpa(query, key, value, attn_mask, rng, dropout_p, is_causal, scale, enable_gqa):
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if enable_gqa and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key, value = jnp.repeat(key, rep, axis=-3), jnp.repeat(value, rep, axis=-3)
    L, S = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = jnp.matmul(query * jnp.asarray(s, query.dtype), jnp.swapaxes(key, -1, -2))
    if is_causal:
        scores = jnp.where(jnp.tril(jnp.ones((L, S), bool)), scores,
                           jnp.asarray(-jnp.inf, scores.dtype))
    if attn_mask is not None:
        scores = scores + _float_mask(attn_mask, scores.dtype, true_is_masked=False)
    # NOTE: torch's math kernel uses a "safe" softmax: rows masked out entirely give 0, not nan.
    allmasked = jnp.all(scores == -jnp.inf, axis=-1, keepdims=True)
    attn = jax.nn.softmax(jnp.where(allmasked, jnp.zeros((), scores.dtype), scores), axis=-1)
    attn = jnp.where(allmasked, jnp.zeros((), attn.dtype), attn)
    if rng is not None:
        rng, attn = _attn_dropout(rng, attn, dropout_p)
        return jnp.matmul(attn, value), rng
    return jnp.matmul(attn, value)


def _draw_key():
    gen = _resolve(None)
    return gen, Tensor._wrap(gen._k)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.scaled_dot_product_attention`
    (dropout draws from torchlike's default Generator)."""
    statics = (float(dropout_p), bool(is_causal), None if scale is None else float(scale),
               bool(enable_gqa))
    if dropout_p > 0:
        gen, k = _draw_key()
        out, new_key = _sdpa(query, key, value, attn_mask, k, *statics)
        gen._k = new_key._a
        return out
    return _sdpa(query, key, value, attn_mask, None, *statics)


@_raw("query key value in_proj_weight in_proj_bias bias_k bias_v out_proj_weight out_proj_bias "
      "key_padding_mask attn_mask q_proj_weight k_proj_weight v_proj_weight rng",
      grad_name="MultiHeadAttentionBackward0")
def _mha(query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v, out_proj_weight,
         out_proj_bias, key_padding_mask, attn_mask, q_proj_weight, k_proj_weight, v_proj_weight,
         rng, num_heads, add_zero_attn, dropout_p, need_weights, average_attn_weights):
    """Sequence-first multi-head attention; returns ``(output, weights?, new_rng?)``."""
    batched = query.ndim == 3
    if not batched:
        query, key, value = query[:, None], key[:, None], value[:, None]
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask[None]
    L, B, E = query.shape
    if E % num_heads:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    H, hd = num_heads, E // num_heads
    if in_proj_weight is not None:
        wq, wk, wv = jnp.split(in_proj_weight, 3)
    else:
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = jnp.split(in_proj_bias, 3)

    def proj(x, w, b):
        y = jnp.matmul(x, w.T)
        return y if b is None else y + b
    q, k, v = proj(query, wq, bq), proj(key, wk, bk), proj(value, wv, bv)
    dt = q.dtype
    kpm = _float_mask(key_padding_mask, dt)
    am = _float_mask(attn_mask, dt)
    if am is not None and am.ndim == 2:
        am = am[None]
    if bias_k is not None:
        k = jnp.concatenate([k, jnp.broadcast_to(bias_k.reshape(1, 1, E), (1, B, E))])
        v = jnp.concatenate([v, jnp.broadcast_to(bias_v.reshape(1, 1, E), (1, B, E))])
        am = None if am is None else jnp.pad(am, [(0, 0), (0, 0), (0, 1)])
        kpm = None if kpm is None else jnp.pad(kpm, [(0, 0), (0, 1)])
    q = q.reshape(L, B * H, hd).transpose(1, 0, 2)
    k = k.reshape(k.shape[0], B * H, hd).transpose(1, 0, 2)
    v = v.reshape(v.shape[0], B * H, hd).transpose(1, 0, 2)
    if add_zero_attn:
        k = jnp.concatenate([k, jnp.zeros((B * H, 1, hd), dt)], axis=1)
        v = jnp.concatenate([v, jnp.zeros((B * H, 1, hd), dt)], axis=1)
        am = None if am is None else jnp.pad(am, [(0, 0), (0, 0), (0, 1)])
        kpm = None if kpm is None else jnp.pad(kpm, [(0, 0), (0, 1)])
    S = k.shape[1]
    scores = jnp.matmul(q * jnp.asarray(1.0 / math.sqrt(hd), dt), jnp.swapaxes(k, 1, 2))
    if am is not None:
        scores = scores + am
    if kpm is not None:
        scores = (scores.reshape(B, H, L, S) + kpm[:, None, None, :]).reshape(B * H, L, S)
    attn = jax.nn.softmax(scores, axis=-1)
    res = []
    if rng is not None:
        rng, attn_d = _attn_dropout(rng, attn, dropout_p)
    else:
        attn_d = attn
    out = jnp.matmul(attn_d, v).transpose(1, 0, 2).reshape(L, B, E)
    out = proj(out, out_proj_weight, out_proj_bias)
    res.append(out if batched else out[:, 0])
    if need_weights:
        w = attn_d.reshape(B, H, L, S)
        if average_attn_weights:
            w = jnp.mean(w, axis=1)
        res.append(w if batched else w[0])
    if rng is not None:
        res.append(rng)
    return tuple(res) if len(res) > 1 else res[0]


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """torchlike implementation of :func:`torch.nn.functional.multi_head_attention_forward`
    (``static_k``/``static_v`` are not supported; with ``is_causal`` the given ``attn_mask`` is
    used, as torch does on its weights path)."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("torchlike: multi_head_attention_forward(static_k/static_v) "
                                  "is not supported")
    if query.shape[-1] != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{query.shape[-1]}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if use_separate_proj_weight:
        in_proj_weight = None
    else:
        q_proj_weight = k_proj_weight = v_proj_weight = None
    drop = training and dropout_p > 0
    gen, rng = _draw_key() if drop else (None, None)
    res = _mha(query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v, out_proj_weight,
               out_proj_bias, key_padding_mask, attn_mask, q_proj_weight, k_proj_weight,
               v_proj_weight, rng, int(num_heads), bool(add_zero_attn), float(dropout_p),
               bool(need_weights), bool(average_attn_weights))
    if drop:
        *res, new_key = res
        gen._k = new_key._a
        res = tuple(res) if len(res) > 1 else res[0]
    if need_weights:
        return tuple(res)
    return res, None


# -- resampling, shuffles, unfold/fold ----------------------------------------------------------

@_fn("input", grad_name="PixelShuffleBackward0")
def pixel_shuffle(input, upscale_factor):
    """torchlike implementation of :func:`torch.nn.functional.pixel_shuffle`."""
    r = upscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    nl = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = jnp.transpose(x, tuple(range(nl)) + tuple(nl + i for i in (0, 3, 1, 4, 2)))
    return x.reshape(*lead, c // (r * r), h * r, w * r)


@_fn("input", grad_name="PixelUnshuffleBackward0")
def pixel_unshuffle(input, downscale_factor):
    """torchlike implementation of :func:`torch.nn.functional.pixel_unshuffle`."""
    r = downscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but got input.size(-2)={h} and input.size(-1)={w}")
    nl = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = jnp.transpose(x, tuple(range(nl)) + tuple(nl + i for i in (0, 2, 4, 1, 3)))
    return x.reshape(*lead, c * r * r, h // r, w // r)


def _interp_taps(L, o, scale, mode, align_corners):
    """Per output index: the source indices and weights (torch's float32 index arithmetic)."""
    f32 = np.float32
    dst = np.arange(o, dtype=f32)
    if mode in ("nearest", "nearest-exact"):
        sc = f32(1.0 / scale) if scale else f32(L / o)
        src = np.floor((dst + f32(0.5)) * sc if mode == "nearest-exact" else dst * sc)
        return [np.minimum(src.astype(np.int64), L - 1)], [np.ones(o, f32)]
    if align_corners:
        sc = f32((L - 1) / (o - 1)) if o > 1 else f32(0)
        src = dst * sc
    else:
        sc = f32(1.0 / scale) if scale else f32(L / o)
        src = sc * (dst + f32(0.5)) - f32(0.5)
        if mode != "cubic":
            src = np.maximum(src, f32(0))
    i0 = np.floor(src).astype(np.int64)
    t = (src - i0).astype(f32)
    if mode == "linear":
        i1 = np.minimum(i0 + 1, L - 1)
        return [i0, i1], [f32(1) - t, t]
    a = f32(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    ws = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    return [np.clip(i0 + j, 0, L - 1) for j in (-1, 0, 1, 2)], ws


@_raw("input", grad_name="UpsampleBackward0")
def _interpolate(input, sizes, scales, mode, align_corners):
    x = input
    n = len(sizes)
    for dim in range(n):
        ax = x.ndim - n + dim
        L = x.shape[ax]
        idxs, ws = _interp_taps(L, sizes[dim], scales[dim], mode, align_corners)
        shape = [1] * x.ndim
        shape[ax] = sizes[dim]
        acc = None
        for i, w in zip(idxs, ws):
            term = jnp.take(x, jnp.asarray(i), axis=ax)
            if mode not in ("nearest", "nearest-exact"):
                term = term * jnp.asarray(w.reshape(shape), x.dtype)
            acc = term if acc is None else acc + term
        x = acc
    return x


_INTERP_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.interpolate` (modes 'nearest',
    'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'; no antialias)."""
    if antialias:
        raise NotImplementedError("torchlike: interpolate(antialias=True) is not supported")
    n = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode in _INTERP_DIMS:
        align_corners = bool(align_corners)
        if _INTERP_DIMS[mode] != n:
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                      f"{_INTERP_DIMS[mode] + 2}D input")
    else:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: nearest | linear | bilinear | "
                                  f"bicubic | trilinear | area | nearest-exact (got {mode})")
    if n < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                         f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | "
                         f"trilinear | area | nearest-exact (got {mode})")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        sizes = _tup(size, n) if isinstance(size, (tuple, list)) else (int(size),) * n
        if len(sizes) != n:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {list(spatial)} and "
                             f"output size of {list(sizes)}. Please provide input tensor in "
                             "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             "format.")
        scales = (None,) * n
    elif scale_factor is not None:
        sf = (tuple(float(v) for v in scale_factor) if isinstance(scale_factor, (tuple, list))
              else (float(scale_factor),) * n)
        sizes = tuple(math.floor(L * f) for L, f in zip(spatial, sf))
        scales = (None,) * n if recompute_scale_factor else sf
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "area":
        return _adaptive_avg_pool(input, sizes, n, f"adaptive_avg_pool{n}d")
    kernel = {"bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}.get(mode, mode)
    return _interpolate(input, sizes, scales, kernel, align_corners)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """torchlike implementation of :func:`torch.nn.functional.upsample` (deprecated alias)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def _unfold_geom(kernel_size, dilation, padding, stride):
    return _tup(kernel_size, 2), _tup(dilation, 2), _tup(padding, 2), _tup(stride, 2)


@_fn("input", grad_name="Im2ColBackward0")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """torchlike implementation of :func:`torch.nn.functional.unfold`."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got: [{', '.join(map(str, input.shape))}]")
    x = input if input.ndim == 4 else input[None]
    k, d, p, s = _unfold_geom(kernel_size, dilation, padding, stride)
    outs = tuple((L + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                 for L, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
    if min(outs) <= 0:
        raise RuntimeError(f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), "
                           f"kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
                           f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding "
                           f"blocks as ({outs[0]}, {outs[1]}), but its components must be at "
                           "least one.")
    wins = jnp.stack(_windows(x, k, s, p, d, outs, 0), axis=2)
    out = wins.reshape(x.shape[0], x.shape[1] * k[0] * k[1], outs[0] * outs[1])
    return out if input.ndim == 4 else out[0]


@_fn("input", grad_name="Col2ImBackward0")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """torchlike implementation of :func:`torch.nn.functional.fold`."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got: [{', '.join(map(str, input.shape))}]")
    x = input if input.ndim == 3 else input[None]
    k, d, p, s = _unfold_geom(kernel_size, dilation, padding, stride)
    osz = _tup(output_size, 2)
    outs = tuple((L + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                 for L, kk, ss, pp, dd in zip(osz, k, s, p, d))
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size=({k[0]}, {k[1]})")
    if x.shape[2] != outs[0] * outs[1]:
        raise RuntimeError(f"Given output_size=({osz[0]}, {osz[1]}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {outs[0]} * {outs[1]} "
                           f"= {outs[0] * outs[1]}, but got input.size(2)={x.shape[2]}.")
    n, c = x.shape[0], x.shape[1] // kk
    cols = x.reshape(n, c, kk, *outs)
    full = jnp.zeros((n, c, osz[0] + 2 * p[0], osz[1] + 2 * p[1]), x.dtype)
    for i, (a, b) in enumerate(itertools.product(range(k[0]), range(k[1]))):
        full = full.at[:, :, a * d[0]:a * d[0] + s[0] * (outs[0] - 1) + 1:s[0],
                       b * d[1]:b * d[1] + s[1] * (outs[1] - 1) + 1:s[1]].add(cols[:, :, i])
    out = full[:, :, p[0]:p[0] + osz[0], p[1]:p[1] + osz[1]]
    return out if input.ndim == 3 else out[0]


__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "batch_norm", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "fold", "group_norm", "instance_norm", "interpolate", "layer_norm",
    "local_response_norm", "max_pool1d", "max_pool2d", "max_pool3d",
    "multi_head_attention_forward", "pixel_shuffle", "pixel_unshuffle", "rms_norm",
    "scaled_dot_product_attention", "unfold", "upsample",
]


# -- spatial transformers -----------------------------------------------------------------------

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
                  "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
                  "See the documentation of grid_sample for details.")


def _align(align_corners) -> bool:
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=3)
        return False
    return bool(align_corners)


def _base_coords(n, dtype, align_corners):
    if n <= 1:
        return jnp.zeros((1,), dtype)
    c = jnp.linspace(-1.0, 1.0, n, dtype=dtype)
    return c if align_corners else c * ((n - 1) / n)


@_raw("theta", name="affine_grid", grad_name="AffineGridGeneratorBackward0")
def _affine_grid(theta, size, align_corners):
    if not jnp.issubdtype(theta.dtype, jnp.floating):
        raise ValueError(f"Expected theta to have floating point type, but got "
                         f"{_tname(theta.dtype)}")
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[1:] != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got torch.Size({list(theta.shape)}).")
        spatial = size[2:]
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[1:] != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got torch.Size({list(theta.shape)}).")
        spatial = size[2:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    # Coordinates in (x, y[, z]) order: x runs along the last spatial dimension.
    axes = [_base_coords(n, theta.dtype, align_corners) for n in reversed(spatial)]
    mesh = jnp.meshgrid(*axes[::-1], indexing="ij")[::-1]
    base = jnp.stack([*mesh, jnp.ones_like(mesh[0])], axis=-1)  # spatial + (d + 1,)
    grid = jnp.einsum("...k,nik->n...i", base, theta)
    return grid


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.affine_grid`."""
    size = tuple(int(s) for s in size)
    align_corners = _align(align_corners)
    if align_corners and min(size[2:], default=2) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    return _affine_grid(theta, size, align_corners)


def _unnormalize(g, n, align_corners):
    return (g + 1) / 2 * (n - 1) if align_corners else ((g + 1) * n - 1) / 2


def _clip_coords(x, n):
    """Clamp into [0, n - 1] with torch's gradient (0 at and beyond the bounds)."""
    zero = jnp.zeros((), x.dtype)
    return jnp.where(x <= 0, zero, jnp.where(x >= n - 1, jnp.asarray(n - 1, x.dtype), x))


def _reflect_coords(x, twice_low, twice_high):
    if twice_low == twice_high:
        return jnp.zeros_like(x)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    x = x - lo
    x = jnp.where(x < 0, -x, x)
    extra = jnp.fmod(x, span)
    flips = jnp.floor(x / span)
    return jnp.where(flips % 2 == 0, extra + lo, span - extra + lo)


def _source_coords(g, n, padding_mode, align_corners):
    x = _unnormalize(g, n, align_corners)
    if padding_mode == "border":
        x = _clip_coords(x, n)
    elif padding_mode == "reflection":
        x = (_reflect_coords(x, 0, 2 * (n - 1)) if align_corners
             else _reflect_coords(x, -1, 2 * n - 1))
        x = _clip_coords(x, n)
    return x


@_raw("input grid", name="grid_sampler", grad_name="GridSampler2DBackward0")
def _grid_sample(input, grid, mode, padding_mode, align_corners):
    if input.ndim != 4 or grid.ndim != 4:
        if input.ndim == 5:
            raise NotImplementedError("torchlike: grid_sample supports 4-D (N, C, H, W) input "
                                      "only; 5-D volumetric sampling is not implemented")
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input.dtype)} but found "
                           f"{_tname(grid.dtype)}")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1:3]
    x = _source_coords(grid[..., 0], w, padding_mode, align_corners)
    y = _source_coords(grid[..., 1], h, padding_mode, align_corners)
    flat = input.reshape(n, c, h * w)

    def tap(iy, ix):
        ok = (ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)
        idx = (jnp.clip(iy, 0, h - 1) * w + jnp.clip(ix, 0, w - 1)).astype(jnp.int32)
        v = jnp.take_along_axis(flat, idx.reshape(n, 1, ho * wo), axis=2)
        return jnp.where(ok.reshape(n, 1, ho * wo), v, jnp.zeros((), v.dtype))

    if mode == "nearest":
        out = tap(jnp.round(y), jnp.round(x))
    else:
        x0, y0 = jnp.floor(x), jnp.floor(y)
        x1, y1 = x0 + 1, y0 + 1
        out = 0
        for yy, xx, wgt in ((y0, x0, (x1 - x) * (y1 - y)), (y0, x1, (x - x0) * (y1 - y)),
                            (y1, x0, (x1 - x) * (y - y0)), (y1, x1, (x - x0) * (y - y0))):
            out = out + tap(yy, xx) * wgt.reshape(n, 1, ho * wo)
    return out.reshape(n, c, ho, wo)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.grid_sample` (4-D input; modes
    'bilinear' and 'nearest'; 'bicubic' and 5-D input raise NotImplementedError)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError("torchlike: grid_sample(mode='bicubic') is not implemented")
    return _grid_sample(input, grid, mode, padding_mode, _align(align_corners))


# -- in-place activation aliases ----------------------------------------------------------------

def relu_(input: Tensor) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.relu_`."""
    return relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.elu_`."""
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.selu_`."""
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.celu_`."""
    return celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.leaky_relu_`."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.hardtanh_`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.threshold_`."""
    return inplace_call(_threshold.entry, (input,), (threshold, value))


# -- feature alpha dropout, power-average pooling, max unpooling --------------------------------

def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.feature_alpha_dropout`; the mask is
    drawn from torchlike's default Generator."""
    p = _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1:
        zero = input * 0
        if inplace:
            check_inplace(input)
            assign(input, zero)
            return input
        return zero
    mask = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _run_dropout(input, p, training, inplace, mask, True)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, n, avg, maxp):
    if norm_type == float("inf"):
        return maxp(input.abs(), kernel_size, stride, 0, 1, ceil_mode=ceil_mode)
    if norm_type == -float("inf"):
        return -maxp(-input.abs(), kernel_size, stride, 0, 1, ceil_mode=ceil_mode)
    if stride is not None:
        out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    k = math.prod(_tup(kernel_size, n))
    return (out.sign() * relu(out.abs())).mul(k).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.lp_pool1d`."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, avg_pool1d, max_pool1d)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.lp_pool2d`."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, avg_pool2d, max_pool2d)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.lp_pool3d`."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, avg_pool3d, max_pool3d)


def _unpool_output_size(input, kernel_size, stride, padding, output_size) -> tuple:
    n = len(kernel_size)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(n)]
    if output_size is None:
        return tuple(default)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, "
                         f"but it has a length of '{len(output_size)}'")
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} '
                             f"and {hi})")
    return tuple(int(s) for s in output_size)


@_raw("input indices", grad_name="MaxUnpoolBackward0")
def _max_unpool(input, indices, out_spatial):
    n, c = input.shape[:2]
    vals = input.reshape(n, c, -1)
    idx = indices.reshape(n, c, -1)
    at = jnp.zeros((n, c, math.prod(out_spatial)), input.dtype).at[
        jnp.arange(n)[:, None, None], jnp.arange(c)[None, :, None], idx]
    # NOTE: torch's backward gathers the output gradient at every index, repeated ones included
    # (overlapping pooling windows); JAX's scatter-set would send it to one duplicate only. The
    # zero-valued term ``added - stop_gradient(added)`` carries the scatter-add (gather) gradient.
    added = at.add(vals)
    out = at.set(lax.stop_gradient(vals)) + (added - lax.stop_gradient(added))
    return out.reshape((n, c) + out_spatial)


def _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, n, dims):
    kernel_size = _tup(kernel_size, n)
    stride = _tup(stride, n) if stride is not None else kernel_size
    out_spatial = _unpool_output_size(input, kernel_size, stride, _tup(padding, n), output_size)
    if indices.dtype != _dtype.int64:
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{_tname(indices._data.dtype)}")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if input.ndim not in dims:
        raise RuntimeError(f"Input to max_unpooling{n}d should be a {dims[0]}d or {dims[1]}d "
                           f"Tensor, but got a tensor with {input.ndim} dimensions.")
    # NOTE: torch validates the index values; that needs them on the host (one transfer).
    size = math.prod(out_spatial)
    flat = np.asarray(indices._data).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= size))
    if bad.size:
        raise RuntimeError(f"Found an invalid max index: {flat[bad[0]]} (output volumes are of "
                           f"size {'x'.join(str(s) for s in out_spatial)})")
    if input.ndim == dims[1]:
        return _max_unpool(input, indices, out_spatial)
    return _max_unpool(input[None], indices[None], out_spatial)[0]


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.max_unpool1d`."""
    kernel_size = _tup(kernel_size, 1)
    stride = _tup(stride, 1) if stride is not None else kernel_size
    out = _unpool_output_size(input, kernel_size, stride, _tup(padding, 1), output_size)
    return _max_unpool_nd(input.unsqueeze(-1), indices.unsqueeze(-1), kernel_size + (1,),
                          stride + (1,), (int(_tup(padding, 1)[0]), 0), out + (1,), 2,
                          (3, 4)).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.max_unpool2d`."""
    return _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, 2, (3, 4))


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """torchlike implementation of :func:`torch.nn.functional.max_unpool3d`."""
    return _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, 3, (4, 5))
