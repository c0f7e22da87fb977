"""torchlike dtypes: torch's dtype objects mapped onto numpy/JAX dtypes, and torch's type promotion.

64-bit policy: torchlike enables JAX's x64 mode when it is imported (``jax_enable_x64``), so int64 and
float64 exist as in torch. Every op passes explicit dtypes, so the float default stays float32 and
nothing silently becomes 64-bit. JAX code in the same process also sees x64 enabled.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = [
    "dtype", "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128", "half", "float",
    "double", "short", "int", "long", "cfloat", "cdouble", "get_default_dtype", "set_default_dtype",
    "promote_types", "result_type", "can_cast", "finfo", "iinfo",
]

_builtin_bool, _builtin_float, _builtin_int, _builtin_complex = bool, float, int, complex


class dtype:
    """torchlike implementation of :class:`torch.dtype`; ``.np`` is the numpy dtype JAX uses."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        kind = self.np.kind
        self.is_complex = kind == "c"
        self.is_floating_point = kind == "f" or name == "bfloat16"
        self.is_signed = kind in "fic" or name == "bfloat16"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        return {"float64": complex128, "complex128": complex128}.get(self.name, complex64)


bool = dtype("bool", np.bool_)  # noqa: A001
uint8, uint16, uint32, uint64 = (dtype(f"uint{b}", f"uint{b}") for b in (8, 16, 32, 64))
int8, int16, int32, int64 = (dtype(f"int{b}", f"int{b}") for b in (8, 16, 32, 64))
float16 = dtype("float16", np.float16)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

ALL = (bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, bfloat16, float32,
       float64, complex64, complex128)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_np(np_dtype) -> dtype:
    """The torchlike dtype of a numpy/JAX dtype (raises TypeError for unsupported ones)."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _BY_NP:
            return _BY_NP[d]
        raise TypeError(f"can't convert np.ndarray of type {d}. The only supported types are: "
                        "float64, float32, float16, complex64, complex128, int64, int32, int16, "
                        "int8, uint64, uint32, uint16, uint8, and bool.") from None


def to_dtype(obj) -> dtype:
    """Accept a torchlike dtype, a numpy dtype/type, or a Python type (float/int/bool/complex)."""
    if type(obj) is dtype:
        return obj
    if obj is _builtin_float:
        return _default_dtype[0]
    if obj is _builtin_int:
        return int64
    if obj is _builtin_bool:
        return bool
    if obj is _builtin_complex:
        return _default_dtype[0].to_complex()
    if isinstance(obj, str):
        raise TypeError(f"dtype must be a torch.dtype, got the string {obj!r}")
    return from_np(obj)


_default_dtype = [float32]


def get_default_dtype() -> dtype:
    """torchlike implementation of :func:`torch.get_default_dtype`."""
    return _default_dtype[0]


def set_default_dtype(d: dtype) -> None:
    """torchlike implementation of :func:`torch.set_default_dtype` (float32 or float64)."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    if d is not _default_dtype[0]:
        _default_dtype[0] = d
        from ._ops.registry import clear_caches
        clear_caches()  # traced ops read the default dtype (int -> float promotion)


# ---- type promotion (torch's lattice; see c10/core/ScalarType.h and TensorIterator's rules) ----

def _category(d: dtype) -> _builtin_int:
    return 3 if d.is_complex else 2 if d.is_floating_point else 0 if d is bool else 1


def promote_types(a: dtype, b: dtype) -> dtype:
    """torchlike implementation of :func:`torch.promote_types`."""
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if {a.name, b.name} == {"float16", "bfloat16"}:
        return float32
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.is_complex and lo.is_floating_point:  # complex64 + float64 -> complex128
            return complex128 if lo.itemsize >= 8 or hi is complex128 else hi
        return hi
    if ca == 1 and a.is_signed != b.is_signed:  # mixed signedness: smallest signed int holding both
        u, s = (a, b) if not a.is_signed else (b, a)
        if u.name in ("uint16", "uint32", "uint64") or s.name in ():
            raise TypeError(f"Promotion for uint16, uint32, uint64 types is not supported, "
                            f"attempted to promote {a.name.capitalize()} and {b.name.capitalize()}")
        return s if s.itemsize > u.itemsize else int16
    return a if a.itemsize >= b.itemsize else b


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # torch's combine_categories: a higher-priority operand's dtype wins unless the lower-priority
    # operands are of a higher category (int < float < complex).
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> dtype:
    """The dtype torch gives a Python number when it takes part in an op ("wrapped number")."""
    t = type(x)
    if t is _builtin_bool:
        return bool
    if t is _builtin_int:
        return int64
    if t is _builtin_complex:
        return _default_dtype[0].to_complex()
    return _default_dtype[0]


def result_type_of(dims: list, zero_dims: list, scalars: list) -> dtype:
    """Combine operand dtypes by torch's three priority classes: tensors with dims, 0-dim tensors,
    Python scalars. Each list holds dtypes (scalars: already mapped by :func:`scalar_dtype`)."""
    def fold(ds):
        r = None
        for d in ds:
            r = d if r is None else promote_types(r, d)
        return r
    return _combine(fold(dims), _combine(fold(zero_dims), fold(scalars)))


def result_type(tensor1, tensor2) -> dtype:
    """torchlike implementation of :func:`torch.result_type`."""
    from ._tensor import Tensor
    groups: tuple[list, list, list] = ([], [], [])
    for t in (tensor1, tensor2):
        if isinstance(t, Tensor):
            (groups[0] if t.ndim else groups[1]).append(t.dtype)
        else:
            groups[2].append(scalar_dtype(t))
    return result_type_of(*groups)


def can_cast(from_: dtype, to: dtype) -> _builtin_bool:
    """torchlike implementation of :func:`torch.can_cast` (same-kind casting)."""
    return _category(from_) <= _category(to)


class finfo:
    """torchlike implementation of :class:`torch.finfo`."""

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002
        d = to_dtype(type) if type is not None else _default_dtype[0]
        if not (d.is_floating_point or d.is_complex):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        fi = ml_dtypes.finfo(d.to_real().np)
        self.dtype = d.to_real().name
        self.bits = fi.bits
        self.eps, self.max, self.min = _builtin_float(fi.eps), _builtin_float(fi.max), _builtin_float(fi.min)
        self.tiny = self.smallest_normal = _builtin_float(fi.smallest_normal)
        self.resolution = 10.0 ** -fi.precision  # torch: exactly 1e-06, not a float32 value

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """torchlike implementation of :class:`torch.iinfo`."""

    def __init__(self, type: dtype) -> None:  # noqa: A002
        d = to_dtype(type)
        if d.is_floating_point or d.is_complex:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        if d is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        ii = np.iinfo(d.np)
        self.dtype = d.name
        self.bits = 8 * d.itemsize
        self.min, self.max = _builtin_int(ii.min), _builtin_int(ii.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
