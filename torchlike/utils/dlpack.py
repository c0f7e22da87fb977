"""torchlike implementation of :mod:`torch.utils.dlpack`: exchanging tensors with torch, numpy,
JAX, CuPy and other DLPack libraries without copying.

``from_dlpack(x)`` takes any object with ``__dlpack__`` (a torch tensor, a numpy or JAX array) or a
DLPack capsule (what ``torch.utils.dlpack.to_dlpack`` returns); Tensors have ``__dlpack__`` and
``__dlpack_device__``, so ``torch.from_dlpack(t)`` and ``numpy.from_dlpack(t)`` accept them.

NOTE: the memory is shared, as in torch, but a torchlike Tensor never writes its array: an in-place
op gives it a new array, so torchlike's writes do not reach the other library (torch's writes to a
tensor shared this way do reach the torchlike Tensor's array).
"""

from __future__ import annotations

import ctypes
import enum

import jax.dlpack

from .._tensor import Tensor

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class DLDeviceType(enum.IntEnum):
    """DLPack's device types (the values of ``__dlpack_device__()[0]``)."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


def from_dlpack(ext_tensor) -> Tensor:
    """torchlike implementation of :func:`torch.from_dlpack`."""
    if isinstance(ext_tensor, Tensor):
        return Tensor._wrap(ext_tensor._arr)
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    elif not hasattr(ext_tensor, "__dlpack__"):
        raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules "
                           "can be consumed only once, so you might have already constructed a "
                           "tensor from it once.")
    return Tensor._wrap(jax.dlpack.from_dlpack(ext_tensor))


def to_dlpack(tensor: Tensor):
    """torchlike implementation of :func:`torch.utils.dlpack.to_dlpack`: a DLPack capsule (it can
    be consumed once)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack(): argument 'tensor' must be Tensor, not "
                        f"{type(tensor).__name__}")
    return tensor._arr.__dlpack__()


def _tensor_dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """torchlike implementation of :meth:`torch.Tensor.__dlpack__`."""
    if self._rg:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    return self._arr.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device,
                                copy=copy)


def _tensor_dlpack_device(self):
    """torchlike implementation of :meth:`torch.Tensor.__dlpack_device__`."""
    kind, index = self._arr.__dlpack_device__()
    return DLDeviceType(int(kind)), index


Tensor.__dlpack__ = _tensor_dlpack
Tensor.__dlpack_device__ = _tensor_dlpack_device


# -- legacy capsules ------------------------------------------------------------------------------

class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLTensorHead(ctypes.Structure):
    """The start of DLPack's ``DLTensor`` (the first member of ``DLManagedTensor``)."""

    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice)]


_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype = ctypes.c_char_p
_get_name.argtypes = [ctypes.py_object]


class _Capsule:
    """A DLPack capsule dressed as an object with ``__dlpack__`` (what JAX accepts): the device is
    read from the capsule's ``DLTensor``."""

    def __init__(self, capsule) -> None:
        if _get_name(capsule) != b"dltensor":  # a used one is renamed "used_dltensor"
            raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor "
                               "capsules can be consumed only once, so you might have already "
                               "constructed a tensor from it once.")
        head = _DLTensorHead.from_address(_get_pointer(capsule, b"dltensor"))
        self.capsule, self.device = capsule, (head.device.device_type, head.device.device_id)

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return self.device
