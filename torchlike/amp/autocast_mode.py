"""torchlike implementation of :class:`torch.autocast` (automatic mixed precision).

Autocast is applied in ONE place, the op registry's dispatch: while an autocast region is enabled,
``torchlike._ops.registry._autocast`` holds :func:`_hook` (otherwise ``None``, so an op pays one
global check). The hook looks the op up in torch's per-device op lists (the tables below, by
registry entry name) and swaps in a *derived* entry whose trace-time promotion first casts the
floating tensor inputs, so the cast happens inside the op's ``jax.jit`` and ``jax.vjp`` returns the
gradients in the inputs' own dtypes (a float32 parameter still gets a float32 ``.grad``).

Policies, as torch's ``autocast_mode.cpp``:

- ``lower``: float16/bfloat16/float32 tensor inputs are cast to the autocast dtype (float64 is not
  eligible), e.g. ``mm``, ``linear``, convolutions.
- ``fp32``: float16/bfloat16 tensor inputs are cast to float32, e.g. losses; on CUDA also
  ``softmax``, ``sum``, ``exp``, ``pow``.
- ``promote``: floating inputs are cast to the widest of them (CUDA: ``dot``, ``cat``, ...).

Ops that torch implements by decomposition into a listed op (``inner``, ``matrix_power`` reach
``matmul``; ``cross_entropy`` reaches ``log_softmax``/``nll_loss``) are listed under the policy
their decomposition gives. In-place ops and calls with an explicit ``dtype=`` are not autocast
(as torch); ``out=`` calls are (a difference: torch skips them).
"""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._device import device as _device
from .._device import gpu_devices
from .._ops import registry as _registry

__all__ = ["autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype", "is_autocast_available",
           "is_autocast_cache_enabled", "is_autocast_enabled", "set_autocast_cache_enabled",
           "set_autocast_dtype", "set_autocast_enabled"]

# -- torch's op lists, by torchlike registry entry name (a leading "_" is ignored) -----------------
_LOWER_COMMON = (
    "_convolution conv1d conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d "
    "conv_transpose3d convolution prelu addmm matmul einsum mm linalg_vecdot linear addbmm "
    "baddbmm bmm chain_matmul linalg_multi_dot scaled_dot_product_attention inner matrix_power")
_CPU_LOWER = _LOWER_COMMON + " _native_multi_head_attention mkldnn_rnn_layer"
_CPU_FP32 = (
    "avg_pool3d binary_cross_entropy grid_sampler polar prod quantile_scalar quantile_tensor "
    "nanquantile stft cdist trace view_as_complex cholesky cholesky_inverse cholesky_solve inverse "
    "lu_solve orgqr ormqr pinverse max_pool3d max_unpool2d max_unpool3d adaptive_avg_pool3d "
    "reflection_pad1d reflection_pad2d replication_pad1d replication_pad2d replication_pad3d "
    "mse_loss cosine_embedding_loss nll_loss nll_loss2d hinge_embedding_loss poisson_nll_loss "
    "smooth_l1_loss cross_entropy l1_loss huber_loss margin_ranking_loss soft_margin_loss "
    "triplet_margin_loss multi_margin_loss ctc_loss kl_div multilabel_margin_loss "
    "bce_with_logits binary_cross_entropy_with_logits fft_fft fft_ifft fft_fft2 fft_ifft2 "
    "fft_fftn fft_ifftn fft_rfft fft_irfft fft_rfft2 fft_irfft2 fft_rfftn fft_irfftn fft_hfft "
    "fft_ihfft linalg_cond linalg_matrix_rank linalg_solve linalg_cholesky linalg_svdvals "
    "linalg_eigvals linalg_eigvalsh linalg_inv linalg_inv_ex linalg_householder_product "
    "linalg_tensorinv linalg_tensorsolve fake_quantize_per_tensor_affine geqrf _lu_with_info qr "
    "svd linalg_qr linalg_svd linalg_eig linalg_eigh linalg_lstsq linalg_pinv")
_CUDA_LOWER = _LOWER_COMMON + (
    " addmv addr mv lstm_cell gru_cell rnn_tanh_cell rnn_relu_cell")
_CUDA_FP32 = (
    "acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan pow softplus "
    "layer_norm native_layer_norm group_norm frobenius_norm nuclear_norm cosine_similarity "
    "poisson_nll_loss cosine_embedding_loss nll_loss nll_loss2d hinge_embedding_loss kl_div "
    "l1_loss smooth_l1_loss huber_loss mse_loss margin_ranking_loss multilabel_margin_loss "
    "soft_margin_loss triplet_margin_loss multi_margin_loss bce_with_logits "
    "binary_cross_entropy_with_logits dist pdist cdist renorm logsumexp upsample_nearest1d "
    "upsample_nearest2d upsample_nearest3d upsample_bilinear2d upsample_linear1d "
    "upsample_trilinear3d upsample_bicubic2d interpolate "
    # fp32_set_opt_dtype / fp32_append_dtype (skipped when dtype= is given) and decompositions
    "prod softmax log_softmax softmin cumprod cumsum linalg_vector_norm linalg_matrix_norm "
    "linalg_norm norm normalize pairwise_distance sum cross_entropy")
_CUDA_PROMOTE = ("addcdiv addcmul atan2 bilinear cross linalg_cross dot vdot grid_sampler "
                 "index_put scatter_add tensordot stack cat index_copy")

_BCE_MSG = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using "
    "torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast.")


def _table(**lists) -> dict:
    return {name: policy for policy, names in lists.items() for name in names.split()}


_POLICIES = {
    "cpu": _table(lower=_CPU_LOWER, fp32=_CPU_FP32),
    "cuda": {**_table(lower=_CUDA_LOWER, fp32=_CUDA_FP32, promote=_CUDA_PROMOTE),
             "binary_cross_entropy": "banned"},
}

# -- autocast state -------------------------------------------------------------------------------
_AVAILABLE = ("cpu", "cuda")
_ENABLED = {"cpu": False, "cuda": False}
_DTYPE = {"cpu": _dtype.bfloat16, "cuda": _dtype.float16}
_CACHE = [True]


def _check_device(device_type: str) -> str:
    if device_type not in _AVAILABLE:
        _device(device_type)  # torch's message for a string that is no device type at all
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
    return device_type


def _sync_hook() -> None:
    _registry._autocast = _hook if (_ENABLED["cpu"] or _ENABLED["cuda"]) else None


def is_autocast_available(device_type: str) -> bool:
    """torchlike implementation of :func:`torch.amp.is_autocast_available` ('cpu' and 'cuda')."""
    return device_type in _AVAILABLE


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """torchlike implementation of :func:`torch.is_autocast_enabled` (no argument: CUDA)."""
    dev = "cuda" if device_type is None else device_type
    if dev not in _AVAILABLE:
        _device(dev)  # a valid device type torchlike has no autocast for (mps): False, as torch
        return False
    return _ENABLED[dev]


def set_autocast_enabled(device_type, enabled=None) -> None:
    """torchlike implementation of :func:`torch.set_autocast_enabled` (a lone ``enabled``: CUDA)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _ENABLED[_check_device(device_type)] = bool(enabled)
    _sync_hook()


def get_autocast_dtype(device_type: str) -> _dtype.dtype:
    """torchlike implementation of :func:`torch.get_autocast_dtype`."""
    return _DTYPE[_check_device(device_type)]


def set_autocast_dtype(device_type: str, dtype: _dtype.dtype) -> None:
    """torchlike implementation of :func:`torch.set_autocast_dtype`."""
    _DTYPE[_check_device(device_type)] = dtype


def is_autocast_cache_enabled() -> bool:
    """torchlike implementation of :func:`torch.is_autocast_cache_enabled` (a flag only: casts
    run inside each op's compiled function, so there is no cast cache)."""
    return _CACHE[0]


def set_autocast_cache_enabled(enabled: bool) -> None:
    """torchlike implementation of :func:`torch.set_autocast_cache_enabled` (a flag only)."""
    _CACHE[0] = bool(enabled)


class autocast:
    """torchlike implementation of :class:`torch.autocast` (context manager and decorator).

    ``cache_enabled`` is recorded but has no effect: torchlike casts inside each op's compiled
    function, so there is no weight-cast cache to keep.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(  # noqa: TRY004 - torch's class
                f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = _check_device(device_type)
        self._cache_enabled = (is_autocast_cache_enabled() if cache_enabled is None
                               else cache_enabled)
        if enabled:
            if self.device == "cuda":
                if not gpu_devices():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                                  "autocast.", stacklevel=2)
                    enabled = False
            elif self.fast_dtype not in (_dtype.bfloat16, _dtype.float16):
                warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                              "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                              "torch.float16 currently.", stacklevel=2)
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        dev = self.device
        self._prev = (_ENABLED[dev], _DTYPE[dev], _CACHE[0])
        _ENABLED[dev], _DTYPE[dev], _CACHE[0] = self._enabled, self.fast_dtype, self._cache_enabled
        _sync_hook()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        _ENABLED[self.device], _DTYPE[self.device], _CACHE[0] = self._prev
        _sync_hook()

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            # A fresh instance per call keeps the saved state reentrant (recursion, threads).
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)
        return decorate_autocast


# -- the dispatch hook ----------------------------------------------------------------------------
_ELIGIBLE = frozenset(np.dtype(d) for d in (np.float16, np.float32, jnp.bfloat16))
_LOW = frozenset(np.dtype(d) for d in (np.float16, jnp.bfloat16))
_F32 = np.dtype(np.float32)
_PLANS: dict = {}  # (entry, device, dtype, default dtype) -> (entry to run, `dtype` static index)
_DERIVED: set = set()


def _op_device(targs) -> str:
    """The device type an op runs on: that of its first tensor input."""
    if not gpu_devices():
        return "cpu"
    Tensor = _registry._Tensor
    for a in targs:
        if isinstance(a, Tensor):
            try:
                platform = next(iter(a._arr.devices())).platform
            except Exception:  # a tracer (torchlike.compile): JAX's default backend  # noqa: BLE001
                platform = jax.default_backend()
            return "cpu" if platform == "cpu" else "cuda"
    return "cpu" if jax.default_backend() == "cpu" else "cuda"


def _hook(entry, targs, statics):
    """Called by dispatch while autocast is on: the entry to run for this op call."""
    if entry in _DERIVED:  # a retried dispatch of an already derived entry
        return entry
    dev = _op_device(targs)
    if not _ENABLED[dev]:
        return entry
    # The default dtype is in the key: traced promotion reads it (registry.clear_caches).
    key = (entry, dev, _DTYPE[dev], _dtype.get_default_dtype())
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(entry, dev, _DTYPE[dev])
    run, dtype_idx = plan
    if dtype_idx >= 0 and statics[dtype_idx] is not None:  # explicit dtype=: not eligible
        return entry
    return run


def _plan(entry, dev: str, dtype):
    policy = _POLICIES[dev].get(entry.name.lstrip("_"))
    if policy is None:
        return entry, -1
    if policy == "banned":
        return _banned(entry), -1
    cast = _caster(policy, dtype.np)
    orig = entry.promote

    def promote(arrs, kinds):
        arrs = cast(arrs, kinds)
        if orig is None:
            return arrs
        return orig(arrs, kinds) if callable(orig) else _registry._promote(arrs, kinds, orig)
    derived = _registry.OpEntry(entry.name, entry.fn, entry.tensor_names, entry.static_names,
                                entry.seq_names, promote, entry.differentiable, entry.saves,
                                entry.view, entry.grad_name, entry.returns)
    _DERIVED.add(derived)
    names = entry.static_names
    return derived, names.index("dtype") if "dtype" in names else -1


def _caster(policy: str, target):
    if policy == "lower":
        def cast(arrs, kinds):
            return tuple(a.astype(target) if k == 0 and a.dtype in _ELIGIBLE else a
                         for a, k in zip(arrs, kinds))
    elif policy == "fp32":
        def cast(arrs, kinds):
            return tuple(a.astype(_F32) if k == 0 and a.dtype in _LOW else a
                         for a, k in zip(arrs, kinds))
    else:  # promote: to the widest eligible floating input
        def cast(arrs, kinds):
            dts = {a.dtype for a, k in zip(arrs, kinds) if k == 0 and a.dtype in _ELIGIBLE}
            if len(dts) < 2:
                return arrs
            wide = functools.reduce(jnp.promote_types, dts)
            return tuple(a.astype(wide) if k == 0 and a.dtype in _ELIGIBLE else a
                         for a, k in zip(arrs, kinds))
    return cast


def _banned(entry):
    def fn(*args, **kwargs):
        raise RuntimeError(_BCE_MSG)
    derived = _registry.OpEntry(entry.name, fn, entry.tensor_names, entry.static_names,
                                entry.seq_names, None, entry.differentiable, entry.saves,
                                entry.view, entry.grad_name, entry.returns)
    _DERIVED.add(derived)
    return derived


# -- custom autograd Functions -------------------------------------------------------------------
def _cast(value, device_type: str, dtype):
    """Cast floating (not float64) Tensors on ``device_type`` inside nested containers."""
    Tensor = _registry._Tensor
    if isinstance(value, Tensor):
        eligible = (value.is_floating_point() and value.device.type == device_type
                    and value.dtype is not _dtype.float64)
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        out = [_cast(v, device_type, dtype) for v in value]
        return type(value)(out) if isinstance(value, list) else tuple(out)
    return value


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """torchlike implementation of :func:`torch.amp.custom_fwd` (decorates ``Function.forward``)."""
    if not isinstance(device_type, str):
        raise ValueError(  # noqa: TRY004 - torch's class
            f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(ctx, *args, **kwargs):
        ctx._dtype = get_autocast_dtype(device_type)
        enabled = is_autocast_enabled(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = enabled
            return fwd(ctx, *args, **kwargs)
        ctx._fwd_used_autocast = False
        if not enabled:
            return fwd(ctx, *args, **kwargs)
        with autocast(device_type, enabled=False):
            return fwd(ctx, *_cast(args, device_type, cast_inputs),
                       **_cast(kwargs, device_type, cast_inputs))
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """torchlike implementation of :func:`torch.amp.custom_bwd`: ``backward`` runs with the
    autocast state ``forward`` saw."""
    if not isinstance(device_type, str):
        raise ValueError(  # noqa: TRY004 - torch's class
            f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(ctx, *args, **kwargs):
        with autocast(device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(ctx, *args, **kwargs)
    return decorate_bwd
