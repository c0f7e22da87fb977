"""torchlike implementation of :class:`torch.Tensor`: a thin handle on a ``jax.Array``.

A Tensor holds the array, its autograd state (``requires_grad``, ``grad``, ``grad_fn``), a version
counter shared with its views, and view bookkeeping (see ``_ops/_view.py``). It has no math of its
own: every method that computes is installed by the op registry (``_ops/registry.py``). Tensor is a
JAX pytree, so it flows through ``jax.jit``/``vmap``/``vjp`` as its array.
"""

from __future__ import annotations

import copy as _copy
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype, _tensor_str
from ._lazy import Pending as _Pending
from ._size import Size
from ._size import wrap_dim as _wrap_dim
from .autograd import graph as _graph
from .autograd.grad_mode import STATE as GRAD_MODE

__all__ = ["Tensor"]


def _is_tracer(a) -> bool:
    return isinstance(a, jax.core.Tracer)


_NOT_TRACEABLE = (
    "{what} needs a concrete value, but this Tensor is being traced by torchlike.compile / "
    "jax.jit (its value is not known until the compiled step runs). Fix: move the call out of the "
    "compiled function (e.g. return the tensor and call {what} on the result), or use "
    "torchlike.compile(..., fullgraph=False) so the call runs eagerly."
)


class Tensor:
    """torchlike implementation of :class:`torch.Tensor`.

    ``torch.Tensor(data)`` / ``torch.Tensor(*sizes)`` build a float tensor as in torch; tensors are
    usually made by factory functions (``torchlike.tensor``, ``zeros``, ...).
    """

    __slots__ = ("_a", "_rg", "_grad", "grad_fn", "_out_nr", "_vc", "_base", "_view", "_seen",
                 "_detached", "_accum", "__dict__", "__weakref__")
    # (output index, torch's op name) on outputs of split/unbind and views of them: such views may
    # not be written in place while grad is tracked (see _ops/_install.check_inplace).
    _multi = None

    # -- construction ---------------------------------------------------------------------------
    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._init_fields(None)
        return self

    def __init__(self, *args, device=None, dtype=None) -> None:
        from ._creation import empty, tensor
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray, Tensor, jax.Array)):
            src = tensor(args[0], dtype=dtype or _dtype.get_default_dtype(), device=device)
        elif all(isinstance(a, int) for a in args):
            src = empty(*(args or (0,)), dtype=dtype, device=device)
        else:
            raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")
        self._arr = src._arr

    def _init_fields(self, arr) -> None:
        self._a = arr
        self._rg = False
        self._grad = None
        self.grad_fn = None
        self._out_nr = 0
        self._vc = [0]
        self._base = None
        self._view = None
        self._seen = 0
        self._detached = False
        self._accum = None

    @classmethod
    def _wrap(cls, arr) -> Tensor:
        """A new plain Tensor around ``arr`` (the registry's output path)."""
        t = object.__new__(Tensor)
        t._init_fields(arr)
        return t

    @property
    def _arr(self):
        """The array (``_a`` may be a :class:`torchlike._lazy.Pending`: reading runs it)."""
        a = self._a
        if type(a) is _Pending:
            a = self._a = a.force()
        return a

    @_arr.setter
    def _arr(self, arr) -> None:
        self._a = arr

    @property
    def _data(self):
        """The current array (recomputed first if this is a view whose base changed)."""
        if self._base is not None and self._vc[0] != self._seen:
            return self._refresh()
        return self._arr

    def _refresh(self):
        from ._ops._view import refresh
        return refresh(self)

    def _replace_data(self, arr) -> None:
        """Rebind to a new array of any shape (``.data = x``, ``out=``, ``set_``): bumps the version."""
        self._arr = arr
        self._vc[0] += 1
        if self._base is not None:
            if arr.shape == self._arr.shape:
                from ._ops._view import assign
                self._vc[0] -= 1
                assign(self, Tensor._wrap(arr))
            else:
                self._base = None
                self._view = None
                self._vc = [self._vc[0]]

    def _set_arr(self, arr) -> None:
        """In-place update with the same shape and dtype (e.g. ``.grad`` accumulation)."""
        from ._ops._view import assign
        assign(self, Tensor._wrap(arr))

    # -- metadata ---------------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._a.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._a.shape)
        return self._a.shape[_wrap_dim(dim, self._a.ndim)]

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_np(self._a.dtype)

    @property
    def device(self) -> _device.device:
        arr = self._a
        if type(arr) is _Pending:  # deferred work runs only on a CPU-only machine
            return _device.device("cpu")
        if _is_tracer(arr):
            return _device.device("cpu") if not _device.gpu_devices() else _device.device("cuda", 0)
        if isinstance(arr, np.ndarray):  # a host-mode DataLoader sample (utils.data._worker)
            return _device.device("cpu")
        return _device.from_jax(next(iter(arr.devices())))

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def ndim(self) -> int:
        return self._a.ndim

    def dim(self) -> int:
        return self._a.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._a.size)

    nelement = numel

    def element_size(self) -> int:
        return self._arr.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._arr.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._arr.size) * self._arr.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    @property
    def layout(self):
        from . import strided
        return strided

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return False

    def stride(self, dim: int | None = None):
        """Strides of a contiguous tensor of this shape (JAX arrays have no user-visible strides)."""
        st, acc = [], 1
        for n in reversed(self._arr.shape):
            st.append(acc)
            acc *= max(n, 1)
        st = tuple(reversed(st))
        return st if dim is None else st[_wrap_dim(dim, self._arr.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        return True

    def contiguous(self, memory_format=None) -> Tensor:
        return self

    def storage_offset(self) -> int:
        return 0

    def data_ptr(self) -> int:
        return id(self._data)

    def get_device(self) -> int:
        d = self.device
        return -1 if d.type == "cpu" else d.index or 0

    @property
    def _version(self) -> int:
        return self._vc[0]

    # -- autograd state ------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")  # (requires_grad_() words it differently, as torch)
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                                   "you want to use a computed variable in a subgraph that doesn't "
                                   "require differentiation use var_no_grad = var.detach().")
            return self
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and self._grad is None and not self.__dict__.get("_retains"):
            import warnings
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being "
                          "accessed. Its .grad attribute won't be populated during "
                          "autograd.backward(). If you indeed want the .grad field to be populated "
                          "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If "
                          "you access the non-leaf Tensor by mistake, make sure you access the "
                          "leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more "
                          "information.",
                          UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.dtype != self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return bool(self.__dict__.get("_retains"))

    def retain_grad(self) -> None:
        """torchlike implementation of :meth:`torch.Tensor.retain_grad`."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        node = self.grad_fn
        if node._retain is None:
            node._retain = {}
        node._retain[self._out_nr] = weakref.ref(self)
        self.__dict__["_retains"] = True

    def register_hook(self, hook):
        """torchlike implementation of :meth:`torch.Tensor.register_hook`."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return _graph.add_tensor_hook(self.grad_fn, self._out_nr, hook)
        from ._ops.registry import _edge
        node, _ = _edge(self)
        return _graph.add_tensor_hook(node, 0, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """torchlike implementation of :meth:`torch.Tensor.backward`."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph (in-place writes reach both)."""
        from ._ops._view import mark_view
        t = Tensor._wrap(self._data)
        mark_view(t, self, None, None)
        t._detached = True
        return t

    def detach_(self) -> Tensor:
        if self._base is not None and not self._detached:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._replace_data(value._data)

    @property
    def output_nr(self) -> int:
        return self._out_nr

    # -- conversion to Python / numpy ---------------------------------------------------------
    def _concrete(self, what: str):
        arr = self._data
        if _is_tracer(arr):
            raise RuntimeError(_NOT_TRACEABLE.format(what=what))
        return arr

    def item(self):
        arr = self._concrete("Tensor.item()")
        if arr.size != 1:
            raise RuntimeError(f"a Tensor with {arr.size} elements cannot be converted to Scalar")
        return np.asarray(arr).reshape(()).item()

    def tolist(self):
        return np.asarray(self._concrete("Tensor.tolist()")).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        arr = self._concrete("Tensor.numpy()")
        if arr.dtype == _dtype.bfloat16.np:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return np.array(arr)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __jax_array__(self):
        return self._data

    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._a.shape[0]

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        arr = self._concrete("bool(Tensor) (data-dependent Python control flow)")
        if arr.size != 1:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if not arr.size
                               else "Boolean value of Tensor with more than one value is ambiguous")
        return bool(np.asarray(arr).reshape(()))

    def _scalar(self):
        if self._arr.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __int__(self) -> int:
        return int(self._scalar())

    def __float__(self) -> float:
        return float(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.dtype.is_complex or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        if self._arr.ndim == 0 and not _is_tracer(self._arr):
            return format(self.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        arr = self._data
        if _is_tracer(arr):
            from ._compile import TRACING
            if TRACING[0]:  # a graph break, as print(tensor) is in torch.compile
                raise RuntimeError(_NOT_TRACEABLE.format(what="print(Tensor)"))
            return f"tensor(<traced>, shape={list(arr.shape)}, dtype={self.dtype})"
        vals = np.asarray(arr.astype(jnp.float32) if arr.dtype == _dtype.bfloat16.np else arr)
        dev = self.device
        gfn = type(self.grad_fn).__name__ if self.grad_fn is not None else None
        prefix = "tensor("
        return _tensor_str.format_tensor(
            vals, self.dtype.name, default_dtype_name=_dtype.get_default_dtype().name,
            device=None if dev.type == "cpu" else str(dev), grad_fn_name=gfn,
            requires_grad=self._rg and gfn is None, prefix=prefix)

    __str__ = __repr__

    # -- device/dtype moves ---------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """torchlike implementation of :meth:`torch.Tensor.to` (device, dtype, or other tensor)."""
        device, dtype, copy = _parse_to(args, kwargs)
        return _to(self, device, dtype, copy)

    def cpu(self, memory_format=None) -> Tensor:
        return _to(self, "cpu", None, False)

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = _device.device("cuda", device)
        return _to(self, device, None, False)

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        if dtype is None:
            return _LEGACY_TYPE.get(self.dtype.name, "torch.Tensor")
        if isinstance(dtype, str):
            inv = {v: k for k, v in _LEGACY_TYPE.items()}
            if dtype not in inv:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = getattr(_dtype, inv[dtype])
        return _to(self, None, dtype, False)

    def type_as(self, other: Tensor) -> Tensor:
        return _to(self, None, other.dtype, False)

    def float(self, memory_format=None):
        return _to(self, None, _dtype.float32, False)

    def double(self, memory_format=None):
        return _to(self, None, _dtype.float64, False)

    def half(self, memory_format=None):
        return _to(self, None, _dtype.float16, False)

    def bfloat16(self, memory_format=None):
        return _to(self, None, _dtype.bfloat16, False)

    def int(self, memory_format=None):
        return _to(self, None, _dtype.int32, False)

    def long(self, memory_format=None):
        return _to(self, None, _dtype.int64, False)

    def short(self, memory_format=None):
        return _to(self, None, _dtype.int16, False)

    def char(self, memory_format=None):
        return _to(self, None, _dtype.int8, False)

    def byte(self, memory_format=None):
        return _to(self, None, _dtype.uint8, False)

    def bool(self, memory_format=None):
        return _to(self, None, _dtype.bool, False)

    def cfloat(self, memory_format=None):
        return _to(self, None, _dtype.complex64, False)

    def cdouble(self, memory_format=None):
        return _to(self, None, _dtype.complex128, False)

    # -- copying / pickling -------------------------------------------------------------------
    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.  If you were attempting to "
                               "deepcopy a module, this may be because of a torch.nn.utils."
                               "weight_norm usage, see https://github.com/pytorch/pytorch/pull/"
                               "103001")
        new = object.__new__(type(self))
        new._init_fields(self._data)
        new._rg = self._rg
        if self._grad is not None:
            new._grad = _copy.deepcopy(self._grad, memo)
        for k, v in self.__dict__.items():
            new.__dict__[k] = _copy.deepcopy(v, memo)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto):
        return (_rebuild, (type(self), np.asarray(self.detach()._data.astype(jnp.float32))
                           if self.dtype is _dtype.bfloat16 else np.asarray(self._data),
                           self.dtype.name, self._rg))


def _rebuild(cls, values, dtype_name, requires_grad):
    t = object.__new__(cls)
    t._init_fields(jnp.asarray(values, dtype=_dtype._dtype_by_name(dtype_name).np))
    t._rg = requires_grad
    return t


_LEGACY_TYPE = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
                "float16": "torch.HalfTensor", "bfloat16": "torch.BFloat16Tensor",
                "int64": "torch.LongTensor", "int32": "torch.IntTensor",
                "int16": "torch.ShortTensor", "int8": "torch.CharTensor",
                "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
                "complex64": "torch.ComplexFloatTensor", "complex128": "torch.ComplexDoubleTensor"}


def _parse_to(args, kwargs):
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, (str, _device.device, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            copy = a if dtype is not None or device is not None else copy
        elif a is None:
            continue
        else:
            dtype = _dtype.to_dtype(a)
    return device, dtype, copy


def _to(t: Tensor, device, dtype, copy: bool) -> Tensor:
    from ._ops.registry import dispatch, get
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    jdev = None
    if device is not None:
        dev = _device.device(device)
        if dev != t.device or dev.type == "cuda":
            jdev = _device.to_jax(dev)
            if not _is_tracer(t._arr) and jdev in t._arr.devices():
                jdev = None
    if (dt is None or dt.np == t._arr.dtype) and jdev is None:
        return t.clone() if copy else t
    out = dispatch(get("_to_copy"), (t,), ((dt.np if dt is not None else None),))
    if jdev is not None:
        out._arr = jax.device_put(out._arr, jdev)
    return out


def _flatten(t: Tensor):
    return (t._data,), None


jax.tree_util.register_pytree_node(Tensor, _flatten, lambda aux, ch: Tensor._wrap(ch[0]))

from ._ops import registry as _registry  # noqa: E402

_registry._Tensor = Tensor
