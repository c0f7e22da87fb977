"""Tensor creation: tensor/as_tensor/from_numpy, zeros/ones/full/empty/arange/linspace/logspace/eye
and the ``*_like`` variants. Creation functions take no tensor inputs, so they build the array
directly (placed on the requested device) instead of going through the op registry."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype
from ._ops._install import FUNCTIONS
from ._ops.registry import op
from ._size import Size
from ._tensor import Tensor, _is_tracer

__all__ = [
    "arange",
    "as_tensor",
    "asarray",
    "empty",
    "empty_like",
    "empty_strided",
    "eye",
    "from_numpy",
    "frombuffer",
    "full",
    "full_like",
    "get_default_device",
    "linspace",
    "logspace",
    "ones",
    "ones_like",
    "range",
    "scalar_tensor",
    "set_default_device",
    "tensor",
    "zeros",
    "zeros_like",
]

_builtin_range = range
_default_device = [None]


def set_default_device(device) -> None:
    """torchlike implementation of :func:`torch.set_default_device`."""
    _default_device[0] = None if device is None else _device.device(device)
    _device.set_jax_default(_default_device[0] or _device.device("cpu"))


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
        if not jnp.issubdtype(arr.dtype, jnp.inexact):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._rg = True
    return t


_PY_SCALAR_TYPES = frozenset((bool, int, float, complex))


def _elem_dtype(x):
    """The dtype one scalar element contributes to torch's inference (None: not a scalar)."""
    t = type(x)
    if t is bool:
        return _dtype.bool
    if t is int:
        return _dtype.int64
    if t is float:
        return _dtype.get_default_dtype()
    if t is complex:
        return _dtype.get_default_dtype().to_complex()
    if isinstance(x, np.generic):
        return _dtype.from_np(x.dtype)
    return None


def _data_shape(data) -> list:
    """torch's shape of nested data: the lengths along the first elements."""
    shape = []
    x = data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        if not x:
            return shape
        x = x[0]
    if isinstance(x, np.ndarray):
        shape.extend(x.shape)
    return shape


def _flatten_data(x, dim, shape, flat, dts) -> None:
    """Append ``x``'s scalars to ``flat`` and their dtypes to ``dts``, raising torch's errors for
    ragged or mistyped data."""
    if dim == len(shape):
        if isinstance(x, Tensor):
            # NOTE: torch reads a Tensor inside a sequence as a scalar (its one element).
            if x.numel() != 1:
                raise TypeError("only integer tensors of a single element can be converted to an "
                                "index")
            dts.add(x.dtype)
            flat.append(x.item())
            return
        d = _elem_dtype(x)
        if d is None:
            if isinstance(x, (list, tuple)):
                if any(e.is_floating_point or e.is_complex for e in dts):
                    raise TypeError(f"must be real number, not {type(x).__name__}")
                raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            if isinstance(x, str):
                raise TypeError("new(): invalid data type 'str'")
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        dts.add(d)
        flat.append(x.item() if isinstance(x, np.generic) else x)
        return
    n = shape[dim]
    if isinstance(x, np.ndarray):
        if list(x.shape) != shape[dim:]:
            got = x.shape[0] if x.ndim else 0
            raise ValueError(f"expected sequence of length {n} at dim {dim} (got {got})")
        dts.add(_dtype.from_np(x.dtype))
        flat.extend(x.ravel().tolist())
        return
    if not isinstance(x, (list, tuple)):
        raise TypeError("not a sequence")
    if len(x) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(x)})")
    if dim == len(shape) - 1:
        types = set(map(type, x))
        if types <= _PY_SCALAR_TYPES:  # fast path: a flat run of Python numbers
            dts.update(_elem_dtype(t()) for t in types)
            flat.extend(x)
            return
    for v in x:
        _flatten_data(v, dim + 1, shape, flat, dts)


def _check_ints(flat, target: _dtype.dtype) -> None:
    """torch's overflow errors: Python ints must fit int64, and values the integer target."""
    ints = [v for v in flat if type(v) is int]
    if ints and (min(ints) < -2**63 or max(ints) >= 2**63):
        raise ValueError("Overflow when unpacking long long")
    if target.is_floating_point or target.is_complex or target is _dtype.bool or not flat:
        return
    if any(isinstance(v, complex) for v in flat):
        raise TypeError("can't convert complex to int")
    info = np.iinfo(target.np)
    low = -int(info.max) if target.np.kind == "u" else int(info.min)
    if min(flat) < low or max(flat) > info.max:
        raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")


def _from_data(data, dt):
    """A numpy array for nested Python/numpy data, with torch's dtype inference and checks."""
    shape = _data_shape(data)
    flat, dts = [], set()
    _flatten_data(data, 0, shape, flat, dts)
    target = dt
    if target is None:
        for d in dts:
            target = d if target is None else _dtype.promote_types(target, d)
        target = target or _dtype.get_default_dtype()
    _check_ints(flat, target)
    if target.np.kind == "u":  # negative values wrap around, as in torch
        flat = [int(v) % (1 << (8 * target.itemsize)) for v in flat]
    return np.array(flat, dtype=target.np).reshape(shape)


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
        _dtype.from_np(data.dtype)
        np_data = data if dt is None else data.astype(dt.np)
    elif isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    else:
        np_data = _from_data(data, dt)
    return _finish(jnp.asarray(np_data), device, requires_grad)


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
    """``*size`` or one sequence, as a tuple of ints, with torch's errors."""
    packed = len(size) == 1 and isinstance(size[0], (tuple, list, Size))
    if packed:
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor) and s.numel() == 1 and not s.is_floating_point():
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            name = type(s).__name__
            if packed:
                raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, "
                                f"but found element of type {name} at pos {i}")
            if len(size) == 1:
                raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, "
                                f"not {name}")
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got {name}\"")
        out.append(int(s))
    if any(s < 0 for s in out):
        if fname == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
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


def _fill_number(v, fname):
    """A fill value as a Python number (torch reads 0-dim Tensors and numpy scalars as Numbers)."""
    if isinstance(v, Tensor):
        if v.ndim:
            raise TypeError(f"{fname}(): argument 'fill_value' (position 2) must be Number, not "
                            f"Tensor")
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    if not isinstance(v, (bool, int, float, complex)):
        raise TypeError(f"{fname}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(v).__name__}")
    return v


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.full` (dtype inferred from ``fill_value``)."""
    _check_layout(layout)
    fill_value = _fill_number(fill_value, "full")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.scalar_dtype(fill_value)
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
    fill_value = _fill_number(fill_value, "full_like")
    return _finish(jnp.full(shape, fill_value, dt), dev, requires_grad)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.arange` (int64 for integer arguments)."""
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if dtype is not None:
        dt = _dtype.to_dtype(dtype)
    elif all(isinstance(v, (int, np.integer)) for v in (start, end, step)):
        dt = _dtype.int64
    else:
        dt = _dtype.get_default_dtype()
    integral = not (dt.is_floating_point or dt.is_complex)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if integral and int(step) == 0:
        raise ValueError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(math.ceil((end - start) / step), 0)
    # torch computes start + i*step in double precision (int64 for integer dtypes), then casts.
    if integral:
        vals = int(start) + np.arange(n, dtype=np.int64) * int(step)
    else:
        vals = start + np.arange(n, dtype=np.float64) * step
    return _out(_finish(jnp.asarray(vals, dt.np), device, requires_grad), out)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False) -> Tensor:
    """torchlike implementation of the deprecated :func:`torch.range` (end inclusive, float)."""
    if end is None:
        start, end = 0, start
    n = math.floor((end - start) / step) + 1
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    vals = start + np.arange(n, dtype=np.float64) * step
    return _out(_finish(jnp.asarray(vals, dt.np), device, requires_grad), out)


def _steps(steps) -> int:
    steps = _num(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def _linspace_np(start, end, steps):
    """torch's linspace in double: the first half counts up from ``start``, the second half down
    from ``end`` (so both ends are exact)."""
    if steps == 1:
        return np.full(1, start, np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    return np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """torchlike implementation of :func:`torch.linspace`."""
    vals = _linspace_np(_num(start), _num(end), _steps(steps))
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return _out(_finish(jnp.asarray(vals, dt.np), device, requires_grad), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """torchlike implementation of :func:`torch.logspace`."""
    exps = _linspace_np(_num(start), _num(end), _steps(steps))
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return _out(_finish(jnp.asarray(np.power(float(base), exps), dt.np), device, requires_grad),
                out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:
    """torchlike implementation of :func:`torch.eye`."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _out(_finish(jnp.eye(n, m if m is not None else n, dtype=_dt(dtype)), device,
                        requires_grad), out)


def _out(t: Tensor, out):
    if out is None:
        return t
    from ._ops.registry import write_out
    return write_out(out, t)


# -- Tensor.new_* (dtype and device default to the tensor's) ------------------------------------

def _new_kw(self, dtype, device):
    dt = dtype if dtype is not None else self.dtype
    dev = device if device is not None else (None if _is_tracer(self._arr) else self.device)
    return dt, dev


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False, layout=None,
                pin_memory=False) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.new_tensor`."""
    dt, dev = _new_kw(self, dtype, device)
    return tensor(data, dtype=dt, device=dev, requires_grad=requires_grad)


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.new_zeros`."""
    dt, dev = _new_kw(self, dtype, device)
    return zeros(_size_args(size, "new_zeros"), dtype=dt, device=dev,
                 requires_grad=requires_grad, layout=layout)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.new_ones`."""
    dt, dev = _new_kw(self, dtype, device)
    return ones(*size, dtype=dt, device=dev, requires_grad=requires_grad, layout=layout)


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.new_empty` (zeros: see :func:`empty`)."""
    dt, dev = _new_kw(self, dtype, device)
    return empty(*size, dtype=dt, device=dev, requires_grad=requires_grad, layout=layout)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False) -> Tensor:
    """torchlike implementation of :meth:`torch.Tensor.new_full`."""
    dt, dev = _new_kw(self, dtype, device)
    return full(size, fill_value, dtype=dt, device=dev, requires_grad=requires_grad,
                layout=layout)


for _name, _fn in (("new_tensor", _new_tensor), ("new_zeros", _new_zeros),
                   ("new_ones", _new_ones), ("new_empty", _new_empty), ("new_full", _new_full)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)


# -- in-place fillers: registry entries, so versions, views and autograd are shared ---------------

@op("input value", method=False, inplace=True, saves=False)
def fill(input, value):
    """torchlike implementation of :func:`torch.fill`."""
    if value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return jnp.broadcast_to(value.astype(input.dtype), input.shape)


@op("input", method=False, function=False, inplace=True, saves=False)
def zero(input):
    return jnp.zeros_like(input)


@op("input src", method=False, function=False, inplace=True, saves=False,
    grad_name="CopyBackwards")
def copy(input, src, non_blocking=False):
    for i, (x, y) in enumerate(zip(reversed(input.shape), reversed(src.shape))):
        if x != y and y != 1:
            if x == 1:
                break
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {input.ndim - 1 - i}")
    shape = jnp.broadcast_shapes(input.shape, src.shape)
    if shape != input.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    return jnp.broadcast_to(src, input.shape).astype(input.dtype)


Tensor.zero_.__doc__ = "torchlike implementation of :meth:`torch.Tensor.zero_`."
Tensor.copy_.__doc__ = "torchlike implementation of :meth:`torch.Tensor.copy_`."
FUNCTIONS["zero_"] = Tensor.zero_
FUNCTIONS["fill_"] = Tensor.fill_
