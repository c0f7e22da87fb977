"""torchlike.cuda: CUDA devices as JAX sees them (``'cuda:N'`` is JAX's Nth GPU)."""

from __future__ import annotations

import jax

from .._device import device as _device_cls
from .._device import gpu_devices

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "manual_seed", "manual_seed_all", "max_memory_allocated",
           "memory_allocated", "empty_cache", "is_bf16_supported", "device"]

_current = [0]


def is_available() -> bool:
    """torchlike implementation of :func:`torch.cuda.is_available`: True when JAX sees a GPU."""
    return bool(gpu_devices())


def device_count() -> int:
    return len(gpu_devices())


def _check():
    if not gpu_devices():
        raise RuntimeError("No CUDA GPUs are available (JAX sees no GPU)")


def current_device() -> int:
    _check()
    return _current[0]


def set_device(device) -> None:
    idx = device if isinstance(device, int) else (_device_cls(device).index or 0)
    if idx >= 0:
        _current[0] = idx


def synchronize(device=None) -> None:
    """Waits for all queued work on the GPU(s) to finish."""
    for d in gpu_devices():
        jax.device_put(0, d).block_until_ready()


def get_device_name(device=None) -> str:
    _check()
    idx = 0 if device is None else (device if isinstance(device, int)
                                    else _device_cls(device).index or 0)
    return gpu_devices()[idx].device_kind


def _stats(device=None) -> dict:
    _check()
    idx = 0 if device is None else (device if isinstance(device, int)
                                    else _device_cls(device).index or 0)
    return gpu_devices()[idx].memory_stats() or {}


def memory_allocated(device=None) -> int:
    return int(_stats(device).get("bytes_in_use", 0))


def max_memory_allocated(device=None) -> int:
    return int(_stats(device).get("peak_bytes_in_use", 0))


def empty_cache() -> None:
    """No-op: XLA owns the GPU allocator (kept for API compatibility)."""


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return is_available()


def manual_seed(seed: int) -> None:
    """Seeds the global generator (torchlike has one generator for every device)."""
    from .. import manual_seed as _ms
    _ms(seed)


manual_seed_all = manual_seed


class device:
    """Context manager that selects the current CUDA device."""

    def __init__(self, device) -> None:
        self.idx = device if isinstance(device, int) else (_device_cls(device).index or 0)

    def __enter__(self):
        self.prev = _current[0]
        _current[0] = self.idx

    def __exit__(self, *exc):
        _current[0] = self.prev


from . import amp  # noqa: F401  (torch.cuda.amp: torch's deprecated aliases of torchlike.amp)
