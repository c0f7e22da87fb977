"""torchlike implementation of :mod:`torch.backends`: torch's backend flags, for scripts that set
them (``torch.backends.cudnn.benchmark = True``).

Two flags act, on a GPU (on the CPU, XLA computes float32 matmuls and convolutions in full
float32 whatever they say): ``cuda.matmul.allow_tf32`` (with :func:`torchlike.set_float32_matmul_precision`)
sets JAX's default matmul precision, torch's default being full float32; ``cudnn.allow_tf32``
(torch's default True) lets convolutions use TensorFloat-32. The others are plain settable
attributes with **no effect**: XLA chooses convolution algorithms and determinism itself.
``cudnn``, ``cuda`` and ``mps`` are registered as submodules, so
``import torchlike.backends.cudnn as cudnn`` works.
"""

from __future__ import annotations

import sys
import types

from .._device import gpu_devices

__all__ = ["cuda", "cudnn", "mps", "get_float32_matmul_precision",
           "set_float32_matmul_precision"]


def _submodule(name: str, doc: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(f"{__name__}.{name}", doc)
    mod.__dict__.update(attrs)
    sys.modules[mod.__name__] = mod
    return mod


def _cuda_available() -> bool:
    return bool(gpu_devices())


def _cudnn_version():
    """torchlike does not expose cuDNN's version (XLA links it): always None."""


def _false() -> bool:
    return False


# torch's float32 matmul precision names -> JAX's jax_default_matmul_precision values
_PRECISION = {"highest": "float32", "high": "tensorfloat32", "medium": "bfloat16"}
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """torchlike implementation of :func:`torch.set_float32_matmul_precision`: sets JAX's default
    matmul precision for float32 (it takes effect on a GPU; XLA's CPU backend always computes in
    full float32). Compiled ops are forgotten, so the next calls retrace with the new setting."""
    if precision not in _PRECISION:
        import warnings
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _matmul_precision[0] = precision
    _apply_matmul_precision()


def get_float32_matmul_precision() -> str:
    """torchlike implementation of :func:`torch.get_float32_matmul_precision`."""
    return _matmul_precision[0]


def _apply_matmul_precision() -> None:
    import jax
    jax.config.update("jax_default_matmul_precision", _PRECISION[_matmul_precision[0]])
    from .._ops import registry
    registry.clear_caches()


class _CuBLASModule:
    """torch.backends.cuda.matmul: ``allow_tf32`` is ``get_float32_matmul_precision() != 'highest'``
    (as in torch); the reduced-precision-reduction flags have no effect."""

    def __init__(self) -> None:
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return _matmul_precision[0] != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        set_float32_matmul_precision("high" if value else "highest")


class _CudnnFlags(types.ModuleType):
    """torch.backends.cudnn: ``allow_tf32`` (read when a convolution is traced, so setting it
    forgets compiled ops) and flags with no effect (XLA picks convolution algorithms)."""

    _tf32 = True

    @property
    def allow_tf32(self) -> bool:
        return self._tf32

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        type(self)._tf32 = bool(value)
        from .._ops import registry
        registry.clear_caches()


cudnn = _submodule(
    "cudnn", "torch.backends.cudnn flags (allow_tf32 acts on a GPU; XLA picks algorithms).",
    enabled=True, benchmark=False, benchmark_limit=10, deterministic=False,
    is_available=_cuda_available, version=_cudnn_version)
cudnn.__class__ = _CudnnFlags
cuda = _submodule(
    "cuda", "torch.backends.cuda flags (matmul.allow_tf32 sets JAX's matmul precision).",
    matmul=_CuBLASModule(), is_built=_cuda_available)
mps = _submodule("mps", "torch.backends.mps: torchlike has no MPS backend.",
                 is_available=_false, is_built=_false)
