"""torchlike implementation of :mod:`torch.nn.functional`.

Every function is one registry entry over raw JAX arrays (``namespace="nn.functional"``), so its
forward and its ``jax.vjp`` pullback run as one cached jitted call. Functions with an ``inplace=``
flag, ``dropout`` (which draws from a Generator's key) and ``one_hot`` (whose output size may depend
on the data) are thin Python wrappers around such an entry. Argument checks run at trace time.
Subgradients follow torch's kernels (``relu`` 0 at 0, ``hardtanh`` 0 at the bounds, ...): every
kink is written as a ``jnp.where`` whose branches have the derivative torch picks.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype
from .._random import _resolve
from .._tensor import Tensor, _is_tracer, _wrap_dim
from .._ops._install import check_inplace, inplace_call
from .._ops._view import assign
from .._ops.registry import op

__all__ = [
    "alpha_dropout", "bilinear", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "celu", "cosine_similarity", "cross_entropy", "dropout", "dropout1d", "dropout2d",
    "dropout3d", "elu", "embedding", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "huber_loss", "kl_div", "l1_loss", "leaky_relu", "linear", "log_softmax",
    "logsigmoid", "mish", "mse_loss", "nll_loss", "normalize", "one_hot", "pad",
    "pairwise_distance", "relu", "relu6", "selu", "sigmoid", "silu", "smooth_l1_loss", "softmax",
    "softmin", "softplus", "softshrink", "softsign", "tanh", "tanhshrink", "threshold",
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
    keep = jax.random.bernoulli(keys[1], 1.0 - p, mask_shape).astype(input.dtype)
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
    new_key, out = _dropout(Tensor._wrap(gen._key), input, p, mask_shape, alpha)
    gen._key = new_key._arr
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


@_fn("input target weight", grad_name="NllLossBackward0")
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """torchlike implementation of :func:`torch.nn.functional.nll_loss` (out-of-range targets are
    not checked: that check would need the values on the host)."""
    r = _reduction(size_average, reduce, reduction)
    cdim = _check_nll_shapes(input, target)
    return _nll(input, target, weight, ignore_index, r, cdim)[0]


@_fn("input target weight", grad_name="NllLossBackward0")
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """torchlike implementation of :func:`torch.nn.functional.cross_entropy` (class indices or
    class probabilities; out-of-range indices are not checked)."""
    r = _reduction(size_average, reduce, reduction)
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


# -- embeddings and encodings -------------------------------------------------------------------

@_fn("input weight", grad_name="EmbeddingBackward0")
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """torchlike implementation of :func:`torch.nn.functional.embedding` (``max_norm`` and
    ``sparse=True`` are not supported; out-of-range indices are not checked)."""
    if max_norm is not None:
        raise NotImplementedError("torchlike: embedding(max_norm=...) is not supported yet")
    if sparse:
        raise NotImplementedError("torchlike: embedding(sparse=True) is not supported (gradients "
                                  "are dense)")
    if jnp.issubdtype(input.dtype, jnp.inexact) or input.dtype == jnp.bool_:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got torch."
                           f"{_dtype.from_np(input.dtype).name} instead (while checking arguments "
                           "for embedding)")
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
