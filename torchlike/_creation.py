"""Tensor creation: tensor/as_tensor/from_numpy, zeros/ones/full/empty/arange/linspace/logspace/eye
and the ``*_like`` variants. Creation functions take no tensor inputs, so they build the array
directly (placed on the requested device) instead of going through the op registry."""

from __future__ import annotations

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype
from ._tensor import Tensor, _is_tracer

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "arange", "range", "linspace",
           "logspace", "eye", "scalar_tensor", "empty_strided", "frombuffer", "set_default_device",
           "get_default_device"]

_builtin_range = range
_default_device = [None]


def set_default_device(device) -> None:
    """torchlike implementation of :func:`torch.set_default_device`."""
    _default_device[0] = None if device is None else _device.device(device)


def get_default_device() -> _device.device:
    return _default_device[0] or _device.device("cpu")


def _place(arr, device):
    dev = device if device is not None else _default_device[0]
    if dev is None or _is_tracer(arr):
        return arr
    return jax.device_put(arr, _device.to_jax(dev))


def _finish(arr, device, requires_grad) -> Tensor:
    t = Tensor._wrap(_place(arr, device))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data) -> _dtype.dtype:
    """torch's dtype inference for nested Python data: bool < int64 < default float < complex."""
    kind = 0  # 0 bool, 1 int, 2 float, 3 complex
    tensor_dt = None
    stack = [data]
    empty = True
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            tensor_dt = x.dtype if tensor_dt is None else _dtype.promote_types(tensor_dt, x.dtype)
            empty = False
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            empty = False
        elif isinstance(x, numbers.Integral):
            kind, empty = max(kind, 1), False
        elif isinstance(x, numbers.Real):
            kind, empty = max(kind, 2), False
        elif isinstance(x, numbers.Complex):
            kind, empty = 3, False
        elif isinstance(x, (np.ndarray, np.generic, jax.Array)):
            d = _dtype.from_np(x.dtype)
            tensor_dt = d if tensor_dt is None else _dtype.promote_types(tensor_dt, d)
            empty = False
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    if empty:
        return _dtype.get_default_dtype()
    py = [_dtype.bool, _dtype.int64, _dtype.get_default_dtype(),
          _dtype.get_default_dtype().to_complex()][kind]
    if tensor_dt is None:
        return py
    return _dtype.promote_types(tensor_dt, py) if kind > 0 else tensor_dt


def _to_numpy_nested(data):
    if isinstance(data, Tensor):
        return np.asarray(data.detach()._data)
    if isinstance(data, (list, tuple)):
        items = [_to_numpy_nested(x) for x in data]
        if items and isinstance(items[0], np.ndarray):
            shapes = {i.shape for i in items}
            if len(shapes) > 1:
                raise ValueError(f"expected sequence of length {len(data[0])} at dim 1 (got "
                                 f"{len(data[1])})")
            return np.stack(items) if items else np.array([])
        return items
    return data


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """torchlike implementation of :func:`torch.tensor` (always copies ``data``)."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        arr = data.detach()._data
        arr = arr if dt is None else arr.astype(dt.np)
        return _finish(arr, device, requires_grad)
    if isinstance(data, jax.Array):
        arr = data if dt is None else data.astype(dt.np)
        return _finish(arr, device, requires_grad)
    if isinstance(data, (np.ndarray, np.generic)):
        inferred = _dtype.from_np(data.dtype)
    else:
        if isinstance(data, str):
            raise TypeError("new(): invalid data type 'str'")
        inferred = _infer_dtype(data)
    target = dt or inferred
    try:
        np_data = np.asarray(_to_numpy_nested(data))
    except ValueError as e:
        raise ValueError(str(e)) from None
    if np_data.dtype == object:
        raise ValueError("expected sequence of equal lengths (ragged nested sequence)")
    if (np_data.size and np_data.dtype.kind in "iu" and target.is_floating_point is False
            and not target.is_complex and target is not _dtype.bool):
        info = np.iinfo(target.np)
        if np_data.max() > info.max or np_data.min() < info.min:
            raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
    return _finish(jnp.asarray(np_data, dtype=target.np), device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """torchlike implementation of :func:`torch.as_tensor` (no copy when nothing changes)."""
    if isinstance(data, Tensor):
        dt = _dtype.to_dtype(dtype) if dtype is not None else None
        return data.to(device=device, dtype=dt)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    t = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """torchlike implementation of :func:`torch.from_numpy`. NOTE: copies (JAX arrays are
    immutable), so later writes to ``ndarray`` are not seen by the tensor."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_np(ndarray.dtype)
    return Tensor._wrap(jnp.asarray(ndarray))


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad=False) -> Tensor:
    arr = np.frombuffer(buffer, dtype=_dtype.to_dtype(dtype).np, count=count, offset=offset)
    return _finish(jnp.asarray(arr), None, requires_grad)


def _size_args(size, fname):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{fname}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _dt(dtype):
    return (_dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np


def _check_layout(layout):
    if layout is not None and str(layout) != "torch.strided":
        raise RuntimeError(f"torchlike supports only the strided layout, got {layout}")


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.zeros`."""
    _check_layout(layout)
    return _out(_finish(jnp.zeros(_size_args(size, "zeros"), _dt(dtype)), device, requires_grad),
                out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.ones`."""
    _check_layout(layout)
    return _out(_finish(jnp.ones(_size_args(size, "ones"), _dt(dtype)), device, requires_grad),
                out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    """torchlike implementation of :func:`torch.empty`. NOTE: JAX has no uninitialised memory;
    the tensor holds zeros."""
    _check_layout(layout)
    return _out(_finish(jnp.zeros(_size_args(size, "empty"), _dt(dtype)), device, requires_grad),
                out)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def _scalar_dtype(v):
    if isinstance(v, Tensor):
        return v.dtype
    return _dtype.scalar_dtype(v)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.full` (dtype inferred from ``fill_value``)."""
    _check_layout(layout)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _scalar_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    arr = jnp.full(_size_args((size,), "full"), fill_value, dt.np)
    return _out(_finish(arr, device, requires_grad), out)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    return full((), s, dtype=dtype or _dtype.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def _like(input, dtype, device):
    if not isinstance(input, Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got "
                        f"{type(input).__name__}")
    dt = _dtype.to_dtype(dtype).np if dtype is not None else input._arr.dtype
    dev = device if device is not None else (None if _is_tracer(input._arr) else input.device)
    return input._arr.shape, dt, dev


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return _finish(jnp.zeros(shape, dt), dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return _finish(jnp.ones(shape, dt), dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(jnp.full(shape, fill_value, dt), dev, requires_grad)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.arange` (int64 for integer arguments)."""
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is not None:
        dt = _dtype.to_dtype(dtype)
    elif all(isinstance(v, (int, np.integer)) for v in (start, end, step)):
        dt = _dtype.int64
    else:
        dt = _dtype.get_default_dtype()
    n = max(int(math.ceil((end - start) / step)), 0)
    # torch computes start + i*step in double precision, then casts.
    vals = start + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * step
    return _out(_finish(jnp.asarray(vals, dt.np), device, requires_grad), out)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False) -> Tensor:
    """torchlike implementation of the deprecated :func:`torch.range` (end inclusive, float)."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    vals = start + np.arange(n, dtype=np.float64) * step
    return _out(_finish(jnp.asarray(vals, dt.np), device, requires_grad), out)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """torchlike implementation of :func:`torch.linspace`."""
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    # torch fills the first half from start and the second half from end (symmetric rounding).
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    vals = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    return _out(_finish(jnp.asarray(vals, dt.np), device, requires_grad), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """torchlike implementation of :func:`torch.logspace`."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    exps = np.asarray(linspace(start, end, steps, dtype=_dtype.float64)._arr)
    return _out(_finish(jnp.asarray(np.power(base, exps), dt.np), device, requires_grad), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.eye`."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    return _out(_finish(jnp.eye(n, m if m is not None else n, dtype=_dt(dtype)), device,
                        requires_grad), out)


def _out(t: Tensor, out):
    if out is None:
        return t
    from ._ops.registry import write_out
    return write_out(out, t)
