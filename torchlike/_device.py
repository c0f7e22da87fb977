"""torchlike devices: ``torch.device`` over JAX devices ('cpu' -> JAX CPU, 'cuda:N' -> the Nth GPU)."""

from __future__ import annotations

import functools

import jax

__all__ = ["device"]


_DEVICE_TYPES = ("cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, "
                 "lazy, vulkan, mps, meta, hpu, mtia, privateuseone")


class device:
    """torchlike implementation of :class:`torch.device`."""

    __slots__ = ("type", "index", "_prev")

    def __init__(self, type, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta", "mps"):
            raise RuntimeError(f"Expected one of {_DEVICE_TYPES} device type at start of device "
                               f"string: {type}")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:  # torch: device("cpu") == "cpu" is False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        from . import _creation
        self._prev = _creation._default_device[0]
        _creation.set_default_device(self)
        return self

    def __exit__(self, *exc):
        from . import _creation
        _creation.set_default_device(self._prev)


@functools.lru_cache(maxsize=None)
def gpu_devices() -> tuple:
    try:
        return tuple(jax.devices("gpu"))
    except RuntimeError:
        return ()


@functools.lru_cache(maxsize=None)
def cpu_device():
    return jax.devices("cpu")[0]


def to_jax(dev) -> jax.Device:
    """The JAX device behind a torchlike device, a string or an int."""
    dev = dev if isinstance(dev, device) else device(dev)
    if dev.type == "cpu":
        return cpu_device()
    if dev.type == "cuda":
        gpus = gpu_devices()
        if not gpus:
            raise RuntimeError("No CUDA GPUs are available (JAX sees no GPU; install jax[cuda12] "
                               "on a machine with an NVIDIA GPU, or use device 'cpu')")
        idx = dev.index or 0
        if idx >= len(gpus):
            raise RuntimeError(f"CUDA error: invalid device ordinal (asked for cuda:{idx}, "
                               f"{len(gpus)} visible)")
        return gpus[idx]
    raise RuntimeError(f"torchlike does not support device type '{dev.type}'")


_CPU = device("cpu")


def place_like(arr, like):
    """``arr`` on the device of ``like`` (both JAX arrays). Only a machine with a GPU has two
    devices to choose from; on a CPU-only one this returns ``arr`` at once."""
    if not gpu_devices() or isinstance(arr, jax.core.Tracer) or isinstance(like, jax.core.Tracer):
        return arr
    if arr.sharding == like.sharding:
        return arr
    return jax.device_put(arr, like.sharding)


def set_jax_default(dev) -> None:
    """Make ``dev`` (a torchlike device) JAX's default device, where arrays made without a device
    land (``jnp`` calls inside torchlike, scalars, RNG keys).

    NOTE: torch's default device is the CPU even on a machine with a GPU, while JAX's default is the
    GPU. On such a machine ``import torchlike`` makes JAX's default the CPU, so that tensors made
    without ``device=`` live on the CPU as in torch; ``torchlike.set_default_device('cuda')``
    moves it back. On a CPU-only machine nothing is changed."""
    if not gpu_devices():
        return
    jax.config.update("jax_default_device", to_jax(dev))
    from ._ops import registry
    registry._scalar_cache.clear()


def from_jax(jdev) -> device:
    if jdev.platform == "cpu":
        return _CPU
    return device("cuda", gpu_devices().index(jdev))
