"""torchlike: PyTorch's API on JAX. ``import torchlike as torch``."""

from __future__ import annotations

import jax as _jax

_jax.config.update("jax_enable_x64", True)  # see _dtype.py: the 64-bit policy

from . import _cache  # noqa: E402

_cache.configure()  # JAX's persistent compilation cache, before anything compiles

from . import _dtype  # noqa: E402
from ._dtype import *  # noqa: E402,F401,F403
from ._device import device  # noqa: E402
from ._size import Size  # noqa: E402
from ._tensor import Tensor  # noqa: E402
from . import _ops  # noqa: E402
from ._device import gpu_devices as _gpu_devices  # noqa: E402
from ._device import set_jax_default as _set_jax_default  # noqa: E402

_set_jax_default(device("cpu"))  # torch's default device (only changes JAX's on a GPU machine)
from .backends import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402,F401
from .backends import _apply_matmul_precision  # noqa: E402

if _gpu_devices():  # torch computes float32 matmuls in full float32 unless told otherwise
    _apply_matmul_precision()
from ._ops._install import FUNCTIONS as _FUNCTIONS  # noqa: E402
from ._creation import *  # noqa: E402,F401,F403
from ._random import (Generator, default_generator, get_rng_state, initial_seed,  # noqa: E402,F401
                      manual_seed, seed, set_rng_state)
from . import _random as random  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode  # noqa: E402,F401
from .autograd.grad_mode import is_grad_enabled, is_inference_mode_enabled  # noqa: E402,F401
from . import autograd  # noqa: E402,F401
from . import cuda  # noqa: E402,F401
from .serialization import load, save  # noqa: E402,F401
from . import special  # noqa: E402,F401
from . import fft, signal  # noqa: E402,F401
from ._tensor_str import set_printoptions, get_printoptions  # noqa: E402,F401


class _Layout:
    def __repr__(self) -> str:
        return "torch.strided"


strided = _Layout()


class memory_format:
    """torchlike implementation of :class:`torch.memory_format`. JAX arrays have no user-visible
    strides (XLA chooses layouts), so a memory format never changes a result: ``memory_format=``
    arguments are accepted for compatibility and ``is_contiguous()`` is always True."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

globals().update(_FUNCTIONS)


def is_tensor(obj) -> bool:
    """torchlike implementation of :func:`torch.is_tensor`."""
    return isinstance(obj, Tensor)


def _tensor_query(name: str):
    method = getattr(Tensor, name)

    def fn(input):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return method(input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return fn


is_floating_point, is_complex, is_signed, numel = (
    _tensor_query(n) for n in ("is_floating_point", "is_complex", "is_signed", "numel"))
from . import nn  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from . import amp, backends  # noqa: E402,F401
from .amp import (autocast, get_autocast_dtype, is_autocast_cache_enabled,  # noqa: E402,F401
                  is_autocast_enabled, set_autocast_cache_enabled, set_autocast_dtype,
                  set_autocast_enabled)
from ._aliasing import install_torch_alias  # noqa: E402,F401
from ._compile import compile  # noqa: E402,F401,A001
from . import func  # noqa: E402,F401
from .func import from_jax  # noqa: E402,F401
from . import utils  # noqa: E402,F401  (torch imports torch.utils.data too)
from .utils.dlpack import from_dlpack  # noqa: E402,F401
__version__ = "0.1.0"
