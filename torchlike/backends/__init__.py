"""torchlike implementation of :mod:`torch.backends`: torch's backend flags, for scripts that set
them (``torch.backends.cudnn.benchmark = True``).

The flags are plain settable attributes with **no effect**: XLA chooses convolution algorithms,
determinism and matmul precision itself. ``cudnn``, ``cuda`` and ``mps`` are registered as
submodules, so ``import torchlike.backends.cudnn as cudnn`` works.
"""

from __future__ import annotations

import sys
import types

from .._device import gpu_devices

__all__ = ["cuda", "cudnn", "mps"]


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


class _CuBLASModule:
    """torch.backends.cuda.matmul: precision flags (no effect in torchlike)."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


cudnn = _submodule(
    "cudnn", "torch.backends.cudnn flags (no effect: XLA picks convolution algorithms).",
    enabled=True, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
    is_available=_cuda_available, version=_cudnn_version)
cuda = _submodule(
    "cuda", "torch.backends.cuda flags (no effect: XLA picks matmul precision).",
    matmul=_CuBLASModule(), is_built=_cuda_available)
mps = _submodule("mps", "torch.backends.mps: torchlike has no MPS backend.",
                 is_available=_false, is_built=_false)
