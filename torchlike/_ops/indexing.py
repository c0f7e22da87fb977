"""Indexing: ``Tensor.__getitem__``/``__setitem__`` and the gather/scatter family.

An index expression is planned in Python (:func:`_plan`): ints, slices, None, Ellipsis, bools,
index tensors and masks become a static *key* (the structure), a list of *positions* (int indices
and slice starts, passed as dynamic scalars so ``x[i]`` in a loop does not recompile per ``i``) and
a list of index *arrays*. Ints and slices are applied first (torch's order: an int never counts as
an advanced index), then the index arrays with numpy's rule for where the advanced dims go. Basic
indexing returns a view: the result is marked as a view of ``self`` through an entry whose statics
hold the positions, so in-place writes to it reach ``self``. Bool masks and out-of-range checks
need concrete values and run eagerly (a mask under tracing raises a clear error).
"""

from __future__ import annotations

import operator
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._tensor import Tensor, _is_tracer
from . import _view, shape
from ._install import FUNCTIONS, inplace_call
from .registry import dispatch, op, write_out

_INT_KINDS = "iu"
_SKIP = object()
_EMPTY_IDX = Tensor._wrap(jnp.zeros(0, jnp.int64))

# -- planning -----------------------------------------------------------------------------------


def _as_index_array(obj):
    """A list/tuple/ndarray used as an index, as a numpy array (torch's dtype checks)."""
    a = np.asarray(obj)
    if a.dtype == object:
        a = np.asarray([int(v) if not isinstance(v, bool) else v for v in np.ravel(a)]).reshape(
            a.shape)
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(np.int64)
    if a.dtype.kind not in "iub":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a.astype(np.int64) if a.dtype.kind in "iu" and a.dtype != np.int32 else a


def _concrete(arr, what):
    if _is_tracer(arr):
        raise RuntimeError(f"{what} has a data-dependent output shape, so it needs concrete "
                           "values, but it is being traced by torchlike.compile / jax.jit. Move "
                           "it out of the compiled function, or use torch.where(mask, x, y) with a "
                           "static shape instead.")
    return np.asarray(arr)


def _plan(self, idx):
    """(key, positions, arrays, basic) for ``self[idx]``; raises torch's IndexErrors eagerly."""
    if type(idx) is not tuple:
        idx = (idx,)
    shp = self._arr.shape
    ndim = len(shp)
    items, consumed, ellipsis = [], 0, False
    for it in idx:
        if it is None or isinstance(it, (bool, slice, int, np.integer)):
            consumed += isinstance(it, (slice, int, np.integer)) and not isinstance(it, bool)
            items.append(it)
        elif it is Ellipsis:
            # NOTE: torch accepts several ellipses; the first one absorbs the free dims.
            items.append(it if not ellipsis else _SKIP)
            ellipsis = True
        elif isinstance(it, Tensor):
            dt = it._arr.dtype
            if dt.kind == "b" or dt == np.uint8:
                consumed += it._arr.ndim
                items.append(("mask", it))
            elif dt.kind in _INT_KINDS:
                consumed += 1
                items.append(("index", it))
            else:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
        elif isinstance(it, (list, tuple, np.ndarray, jax.Array)):
            a = _as_index_array(it)
            if a.dtype.kind == "b":
                consumed += a.ndim
                items.append(("mask", a))
            else:
                consumed += 1
                items.append(("index", a))
        elif isinstance(it, str):
            raise TypeError("new(): invalid data type 'str'")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(it).__name__})")
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    key, pos, arrays, basic = [], [], [], True
    d = 0  # the input dim the next item indexes
    n_adv = 0
    for it in items:
        if it is _SKIP:
            continue
        if it is Ellipsis:
            key.extend((("f",),) * (ndim - consumed))
            d += ndim - consumed
        elif it is None or it is True:
            key.append(("n",))
            basic = basic and it is None
        elif it is False:
            key.append(("F",))
            arrays.append(_EMPTY_IDX)
            basic = False
        elif isinstance(it, slice):
            n = shp[d]
            step = 1 if it.step is None else operator.index(it.step)
            if step <= 0:
                raise ValueError("step must be greater than zero" if step else
                                 "slice step cannot be zero")
            start, stop, step = slice(it.start, it.stop, step).indices(n)
            length = len(range(start, stop, step))
            if start == 0 and length == n and step == 1:
                key.append(("f",))
            else:
                key.append(("s", length, step))
                pos.append(start if length else 0)
            d += 1
        elif isinstance(it, tuple):
            kind, a = it
            arr = a._data if isinstance(a, Tensor) else a
            if kind == "mask":
                k = arr.ndim
                if k == 0:
                    key.append(("n",))
                    if not bool(_concrete(arr, "Indexing with a bool mask")):
                        key[-1] = ("F",)
                        arrays.append(_EMPTY_IDX)
                else:
                    m = _concrete(arr, "Indexing with a bool mask")
                    for j in range(k):
                        if m.shape[j] != shp[d + j]:
                            raise IndexError(f"The shape of the mask {list(m.shape)} at index {j} "
                                             f"does not match the shape of the indexed tensor "
                                             f"{list(shp[d:])} at index {d + j}")
                    key.append(("t", k))
                    arrays.extend(Tensor._wrap(jnp.asarray(i)) for i in np.nonzero(m))
                    d += k
            else:
                if not _is_tracer(arr) and arr.size:
                    c = np.asarray(arr)
                    n = shp[d]
                    lo, hi = c.min(), c.max()
                    bad = hi if hi >= n else (lo if lo < -n else None)
                    if bad is not None:
                        raise IndexError(f"index {bad} is out of bounds for dimension {n_adv} "
                                         f"with size {n}")
                key.append(("t", 1))
                arrays.append(a if isinstance(a, Tensor) else Tensor._wrap(jnp.asarray(a)))
                d += 1
            n_adv += 1
            basic = False
        else:
            i = operator.index(it)
            n = shp[d]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")
            key.append(("i",))
            pos.append(i % n)
            d += 1
    while key and key[-1] == ("f",):
        key.pop()
    return tuple(key), pos, arrays, basic


def _apply(x, pos, arrays, key):
    """Apply a planned index to array ``x`` (traceable; ``pos`` may be arrays or ints)."""
    d = 0
    pi = iter(pos)
    adv = []  # (dim, [arrays]) in the result after the basic pass
    ai = iter(arrays)
    for item in key:
        k = item[0]
        if k == "f":
            d += 1
        elif k == "i":
            x = lax.dynamic_index_in_dim(x, next(pi), d, keepdims=False)
        elif k == "s":
            _, length, step = item
            start = next(pi)
            span = (length - 1) * step + 1 if length else 0
            x = lax.dynamic_slice_in_dim(x, start, span, axis=d)
            if step > 1:
                x = lax.slice_in_dim(x, 0, span, step, axis=d)
            d += 1
        elif k == "n":
            x = jnp.expand_dims(x, d)
            d += 1
        elif k == "F":
            x = jnp.expand_dims(x, d)
            adv.append((d, next(ai)))
            d += 1
        else:
            for _ in range(item[1]):
                adv.append((d, next(ai)))
                d += 1
    if adv:
        sel = [slice(None)] * x.ndim
        for dim, a in adv:
            sel[dim] = a
        x = x[tuple(sel)]
    return x


def _static_apply(input, key, pos):
    return _apply(input, pos, (), key)


# The view entry that in-place writes replay (positions static); reading uses dynamic positions.
_INDEX_VIEW = op("input", name="_index_view", view=True, method=False, function=False,
                 saves=False, grad_name="SliceBackward0")(_static_apply).entry


def _index_raw(input, pos, arrays, key):
    return _apply(input, pos, arrays, key)


def _entry(name, grad_name, saves=False):
    return op("input pos* arrays*", name=name, method=False, function=False, saves=saves,
              grad_name=grad_name)(_index_raw).entry


_BASIC = {g: _entry(f"_index_{g[:-9].lower()}", g) for g in
          ("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0", "AliasBackward0")}
_ADVANCED = _entry("_index", "IndexBackward0", saves=True)
_KIND_GRAD = {"i": "SelectBackward0", "s": "SliceBackward0", "n": "UnsqueezeBackward0"}


def _basic_grad_name(key):
    for item in reversed(key):
        g = _KIND_GRAD.get(item[0])
        if g is not None:
            return g
    return "AliasBackward0"


def _getitem(self, idx):
    key, pos, arrays, basic = _plan(self, idx)
    if basic:
        out = dispatch(_BASIC[_basic_grad_name(key)], (self, *pos), (key,), (-1, len(pos), 0))
        _view.mark_view(out, self, _INDEX_VIEW, (key, tuple(pos)))
        return out
    return dispatch(_ADVANCED, (self, *pos, *arrays), (key,), (-1, len(pos), len(arrays)))


# -- __setitem__ ----------------------------------------------------------------------------


def _fit_value(value, target_shape, advanced):
    """``value`` broadcast to ``target_shape`` with torch's rules (leading size-1 dims dropped)."""
    vs = value.shape
    while len(vs) > len(target_shape) and vs[0] == 1:
        vs = vs[1:]
    value = jnp.reshape(value, vs)
    if advanced:
        try:
            np.broadcast_shapes(vs, target_shape)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                               f"be broadcast to indexing result of shape "
                               f"{list(target_shape)}") from None
        return jnp.broadcast_to(value, target_shape)
    return shape._expand.entry.fn(value, tuple(target_shape))


def _scatter_index(input, value, pos, arrays, key, advanced, accumulate=False):
    idx = _apply(jnp.arange(input.size).reshape(input.shape), pos, arrays, key)
    value = _fit_value(value.astype(input.dtype), idx.shape, advanced)
    flat = input.ravel()
    flat = flat.at[idx.ravel()].add(value.ravel()) if accumulate else \
        flat.at[idx.ravel()].set(value.ravel())
    return flat.reshape(input.shape)


def _setitem_basic_raw(input, value, pos, key):
    return _scatter_index(input, value, pos, (), key, False)


def _setitem_adv_raw(input, value, pos, arrays, key, accumulate):
    return _scatter_index(input, value, pos, arrays, key, True, accumulate)


_SET_BASIC = op("input value pos*", name="_setitem_basic", method=False, function=False,
                saves=False, grad_name="CopySlices")(_setitem_basic_raw).entry
_SET_ADV = op("input value pos* arrays*", name="_setitem_advanced", method=False,
              function=False, saves=False, grad_name="IndexPutBackward0")(_setitem_adv_raw).entry

_VIEW_LEAF_MSG = ("a view of a leaf Variable that requires grad is being used in an in-place "
                  "operation.")


def _setitem(self, idx, value):
    key, pos, arrays, basic = _plan(self, idx)
    if not isinstance(value, (Tensor, bool, int, float, complex)):
        from .._creation import tensor
        value = tensor(value, dtype=self.dtype)
    if basic:
        if self._rg and self.grad_fn is None and self._base is None:
            from ..autograd.grad_mode import STATE
            if STATE.enabled:
                raise RuntimeError(_VIEW_LEAF_MSG)
        inplace_call(_SET_BASIC, (self, value, *pos), (key,), (-1, -1, len(pos)))
    else:
        inplace_call(_SET_ADV, (self, value, *pos, *arrays), (key, False),
                     (-1, -1, len(pos), len(arrays)))


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem


# -- index_put ------------------------------------------------------------------------------

def _put_plan(self, indices):
    if len(indices) > self._arr.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self._arr.ndim} (got "
                         f"{len(indices)})")
    return tuple(slice(None) if i is None else i for i in indices)


def index_put(input, indices, values, accumulate=False):
    """torchlike implementation of :func:`torch.index_put`."""
    key, pos, arrays, _ = _plan(input, _put_plan(input, indices))
    return dispatch(_SET_ADV, (input, values, *pos, *arrays), (key, bool(accumulate)),
                    (-1, -1, len(pos), len(arrays)))


def index_put_(input, indices, values, accumulate=False):
    """torchlike implementation of :meth:`torch.Tensor.index_put_`."""
    key, pos, arrays, _ = _plan(input, _put_plan(input, indices))
    return inplace_call(_SET_ADV, (input, values, *pos, *arrays), (key, bool(accumulate)),
                        (-1, -1, len(pos), len(arrays)))


# -- gather / scatter -----------------------------------------------------------------------

def _check_index(name, index):
    if index.dtype not in (jnp.int64, jnp.int32) and not (index.size == 0 and name == "gather"):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _grid(index, dim, idx):
    """Full coordinate arrays for ``index``'s shape, with ``idx`` along ``dim``."""
    coords = list(jnp.indices(index.shape, sparse=True))
    coords[dim] = idx
    return tuple(coords)


@op("input index", method=False, function=False, grad_name="GatherBackward0")
def _gather(input, index, dim):
    _check_index("gather", index)
    d = shape._wrap(dim, input.ndim)
    if index.size == 0:  # torch accepts any empty index
        return jnp.zeros(index.shape, input.dtype)
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(index.ndim):
        if k != d and index.shape[k] > input.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}")
    if input.ndim == 0:
        return jnp.reshape(input, (1,) * index.ndim)[_grid(index, 0, index)] if index.ndim else \
            input
    return input[_grid(index, d, index)]


def _scatter_checks(name, input, index, src, d):
    _check_index(name, index)
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and src.ndim and src.ndim != index.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")


def _src_block(src, index, dtype):
    if src.ndim == 0:
        return jnp.broadcast_to(src.astype(dtype), index.shape)
    return src[tuple(slice(0, n) for n in index.shape)].astype(dtype)


def _scatter_core(input, d, index, src, mode):
    if input.ndim == 0:
        flat = jnp.reshape(input, (1,))
        out = _scatter_core(flat, 0, jnp.reshape(index, (-1,)), jnp.reshape(src, (-1,)), mode)
        return jnp.reshape(out, ())
    at = input.at[_grid(index, d, index)]
    if mode == "set":
        return at.set(src)
    if mode == "add":
        return at.add(src)
    if mode == "multiply":
        return at.multiply(src)
    if mode == "amax":
        return at.max(src)
    return at.min(src)


_DENSE_PROD_MAX = 1 << 24


def _scatter_prod(base, d, index, src):
    # NOTE: JAX has no gradient for a scatter-multiply with repeated indices; a dense (source x
    # target) product has torch's gradient (zeros included). Used for small float problems only.
    if not jnp.issubdtype(base.dtype, jnp.inexact) or index.size * base.size > _DENSE_PROD_MAX:
        return _scatter_core(base, d, index, src, "multiply")
    if base.ndim == 0:
        target = jnp.zeros((index.size,), jnp.int64)
    else:
        coords = jnp.broadcast_arrays(*_grid(index, d, index))
        target = jnp.ravel_multi_index(coords, base.shape, mode="wrap").ravel()
    hit = target[:, None] == jnp.arange(base.size)
    factors = jnp.prod(jnp.where(hit, jnp.reshape(src, (-1, 1)), 1), axis=0)
    return base * jnp.reshape(factors, base.shape)


@op("input index src", method=False, function=False, grad_name="ScatterBackward0")
def _scatter(input, index, src, dim, reduce):
    d = shape._wrap(dim, input.ndim)
    _scatter_checks("scatter", input, index, src, d)
    if src.ndim and src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    return _scatter_core(input, d, index, _src_block(src, index, input.dtype), reduce or "set")


@op("input index src", method=False, function=False, saves=False,
    grad_name="ScatterAddBackward0")
def _scatter_add(input, index, src, dim):
    d = shape._wrap(dim, input.ndim)
    _scatter_checks("scatter_add", input, index, src, d)
    if src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return _scatter_core(input, d, index, _src_block(src, index, input.dtype), "add")


_REDUCE_INIT = {"sum": 0, "prod": 1, "mean": 0}


@op("input index src", method=False, function=False, grad_name="ScatterReduceBackward0")
def _scatter_reduce(input, index, src, dim, reduce, include_self):
    d = shape._wrap(dim, input.ndim)
    _scatter_checks("scatter_reduce", input, index, src, d)
    if src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    src = _src_block(src, index, input.dtype)
    base = input
    if not include_self:
        if reduce in _REDUCE_INIT:
            init = jnp.asarray(_REDUCE_INIT[reduce], input.dtype)
        elif jnp.issubdtype(input.dtype, jnp.inexact):
            init = jnp.asarray(-jnp.inf if reduce == "amax" else jnp.inf, input.dtype)
        else:
            info = jnp.iinfo(input.dtype)
            init = jnp.asarray(info.min if reduce == "amax" else info.max, input.dtype)
        base = _scatter_core(input, d, index, jnp.broadcast_to(init, index.shape), "set")
    mode = {"sum": "add", "mean": "add", "prod": "multiply"}.get(reduce, reduce)
    out = (_scatter_prod(base, d, index, src) if reduce == "prod" else
           _scatter_core(base, d, index, src, mode))
    if reduce == "mean":
        ones = jnp.ones(index.shape, jnp.int64)
        count = _scatter_core(jnp.full(input.shape, int(include_self), jnp.int64), d, index, ones,
                              "add")
        count = jnp.maximum(count, 1)
        out = out / count.astype(out.dtype) if jnp.issubdtype(out.dtype, jnp.inexact) else \
            out // count.astype(out.dtype)
    return out


# -- index_* along one dim -----------------------------------------------------------------

def _dim_index(name, input, dim, index):
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index.dtype.kind not in _INT_KINDS:
        raise IndexError(f"{name}(): Expected dtype int32/int64 for index")
    d = shape._wrap(dim, input.ndim)
    return d, (slice(None),) * d + (jnp.reshape(index, (-1,)),)


@op("input index", method=False, function=False, grad_name="IndexSelectBackward0")
def _index_select(input, index, dim):
    d, _ = _dim_index("index_select", input, dim, index)
    if input.ndim == 0:  # torch: a 0-d input gives a 0-d result
        return jnp.reshape(input, (1,))[jnp.reshape(index, (-1,))].reshape(
            () if index.size == 1 else index.shape)
    return jnp.take(input, jnp.reshape(index, (-1,)), axis=d)


def _source_check(name, input, d, index, source):
    want = input.shape[:d] + (index.size,) + input.shape[d + 1:] if input.ndim else (index.size,)
    src = jnp.reshape(source, want) if source.size == index.size and source.ndim <= 1 \
        and input.ndim <= 1 else source
    if src.shape != want and input.ndim:
        raise RuntimeError(f"{name}(): Source/destination tensor must have same slice shapes. "
                           f"Destination slice shape: {list(input.shape[:d] + input.shape[d + 1:])}"
                           f" at dimension {d} and source slice shape: "
                           f"{list(src.shape[:d] + src.shape[d + 1:])} at dimension {d}.")
    return src


@op("input index source", method=False, function=False, saves=False,
    grad_name="IndexAddBackward0")
def _index_add(input, index, source, dim, alpha):
    d, sel = _dim_index("index_add", input, dim, index)
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_add_(): self ({shape._type_str(input)[6:-6]}) and source "
                           f"({shape._type_str(source)[6:-6]}) must have the same scalar type")
    src = _source_check("index_add", input, d, index, source)
    if input.ndim == 0:
        return input + jnp.sum(src * alpha)
    return input.at[sel].add(src * alpha if alpha != 1 else src)


@op("input index source", method=False, function=False, saves=False,
    grad_name="IndexCopyBackward0")
def _index_copy(input, index, source, dim):
    d, sel = _dim_index("index_copy", input, dim, index)
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {shape._type_str(input)[6:-6]} and (source) "
                           f"{shape._type_str(source)[6:-6]}")
    src = _source_check("index_copy", input, d, index, source)
    if input.ndim == 0:
        return jnp.reshape(src, ())
    return input.at[sel].set(src)


@op("input index value", method=False, function=False, saves=False,
    grad_name="IndexFillBackward0")
def _index_fill(input, index, value, dim):
    _, sel = _dim_index("index_fill", input, dim, index)
    if value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    if input.ndim == 0:
        return value.astype(input.dtype)
    return input.at[sel].set(value.astype(input.dtype))


# -- public signatures (torch puts ``dim`` before the index tensor) ---------------------------

_E = {n: globals()[f"_{n}"].entry for n in ("gather", "scatter", "scatter_add", "scatter_reduce",
                                            "index_select", "index_add", "index_copy",
                                            "index_fill")}


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """torchlike implementation of :func:`torch.gather` (out-of-range indices are not checked)."""
    return _out(dispatch(_E["gather"], (input, index), (dim,)), out)


def scatter(input, dim, index, src=None, reduce=None, *, value=None, out=None):
    """torchlike implementation of :func:`torch.scatter` (``src`` may be a tensor or a number)."""
    _warn_reduce(src, reduce)
    return _out(dispatch(_E["scatter"], (input, index, _src(src, value)), (dim, reduce)), out)


def scatter_(self, dim, index, src=None, reduce=None, *, value=None):
    """torchlike implementation of :meth:`torch.Tensor.scatter_`."""
    _warn_reduce(src, reduce)
    return inplace_call(_E["scatter"], (self, index, _src(src, value)), (dim, reduce))


def _warn_reduce(src, reduce):
    if reduce is not None and isinstance(src, Tensor):
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                      "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                      "instead for more reduction options.", UserWarning, stacklevel=3)


def _src(src, value):
    if (src is None) == (value is None):
        raise TypeError("scatter() expects exactly one of src (a tensor or number) or value")
    return value if src is None else src


def scatter_add(input, dim, index, src, *, out=None):
    """torchlike implementation of :func:`torch.scatter_add`."""
    return _out(dispatch(_E["scatter_add"], (input, index, src), (dim,)), out)


def scatter_add_(self, dim, index, src):
    """torchlike implementation of :meth:`torch.Tensor.scatter_add_`."""
    return inplace_call(_E["scatter_add"], (self, index, src), (dim,))


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """torchlike implementation of :func:`torch.scatter_reduce`."""
    return _out(dispatch(_E["scatter_reduce"], (input, index, src), (dim, reduce, include_self)),
                out)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """torchlike implementation of :meth:`torch.Tensor.scatter_reduce_`."""
    return inplace_call(_E["scatter_reduce"], (self, index, src), (dim, reduce, include_self))


def index_select(input, dim, index, *, out=None):
    """torchlike implementation of :func:`torch.index_select`."""
    return _out(dispatch(_E["index_select"], (input, index), (dim,)), out)


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """torchlike implementation of :func:`torch.index_add`."""
    return _out(dispatch(_E["index_add"], (input, index, source), (dim, alpha)), out)


def index_add_(self, dim, index, source, *, alpha=1):
    """torchlike implementation of :meth:`torch.Tensor.index_add_`."""
    return inplace_call(_E["index_add"], (self, index, source), (dim, alpha))


def index_copy(input, dim, index, source, *, out=None):
    """torchlike implementation of :func:`torch.index_copy`."""
    return _out(dispatch(_E["index_copy"], (input, index, source), (dim,)), out)


def index_copy_(self, dim, index, source):
    """torchlike implementation of :meth:`torch.Tensor.index_copy_`."""
    return inplace_call(_E["index_copy"], (self, index, source), (dim,))


def index_fill(input, dim, index, value):
    """torchlike implementation of :func:`torch.index_fill` (``value``: a number or 0-d tensor)."""
    return dispatch(_E["index_fill"], (input, index, value), (dim,))


def index_fill_(self, dim, index, value):
    """torchlike implementation of :meth:`torch.Tensor.index_fill_`."""
    return inplace_call(_E["index_fill"], (self, index, value), (dim,))


def _out(res, out):
    return res if out is None else write_out(out, res)


for _f in (gather, scatter, scatter_add, scatter_reduce, index_select, index_add, index_copy,
           index_fill):
    FUNCTIONS[_f.__name__] = _f
    setattr(Tensor, _f.__name__, _f)
for _f in (scatter_, scatter_add_, scatter_reduce_, index_add_, index_copy_, index_fill_):
    setattr(Tensor, _f.__name__, _f)


# -- masks ----------------------------------------------------------------------------------

def _check_mask(name, mask):
    if mask.dtype != jnp.bool_:
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{shape._type_str(mask)[6:-6].replace('Long', 'long int').lower()}")


@op("input mask value", inplace=True, saves=False, grad_name="MaskedFillBackward0")
def masked_fill(input, mask, value):
    """torchlike implementation of :func:`torch.masked_fill` (``value``: a number or 0-d tensor)."""
    _check_mask("masked_fill_", mask)
    if value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    return jnp.where(mask, value.astype(input.dtype), input)


@op("input mask source", inplace=True, grad_name="MaskedScatterBackward0")
def masked_scatter(input, mask, source):
    """torchlike implementation of :func:`torch.masked_scatter` (a too-short ``source`` is not
    detected)."""
    _check_mask("masked_scatter_", mask)
    if source.dtype != input.dtype:
        raise RuntimeError("masked_scatter_: expected self and source to have same dtypes but got "
                           f"{shape._type_str(input)[6:-6]} and {shape._type_str(source)[6:-6]}")
    out_shape = jnp.broadcast_shapes(input.shape, mask.shape)
    m = jnp.broadcast_to(mask, out_shape)
    pos = jnp.cumsum(m.ravel()) - 1
    flat = jnp.ravel(source)
    vals = flat[jnp.clip(pos, 0, max(flat.size - 1, 0))] if flat.size else jnp.zeros_like(pos,
                                                                                         input.dtype)
    return jnp.where(m, vals.reshape(out_shape), jnp.broadcast_to(input, out_shape))


@op("input flat_idx", method=False, function=False, grad_name="MaskedSelectBackward0")
def _masked_select(input, flat_idx, out_shape):
    return jnp.broadcast_to(input, out_shape).ravel()[flat_idx]


def masked_select(input, mask):
    """torchlike implementation of :func:`torch.masked_select` (needs concrete mask values)."""
    if mask.dtype.name != "bool":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    out_shape = tuple(np.broadcast_shapes(input.shape, mask.shape))
    m = np.broadcast_to(_concrete(mask._data, "masked_select"), out_shape)
    idx = Tensor._wrap(jnp.asarray(np.flatnonzero(m)))
    return dispatch(_masked_select.entry, (input, idx), (out_shape,))


@op("input index", grad_name="TakeBackward0")
def take(input, index):
    """torchlike implementation of :func:`torch.take` (out-of-range indices are not checked)."""
    if index.dtype != jnp.int64:
        raise RuntimeError("take(): Expected a long tensor for index, but got "
                           f"{shape._type_str(index)[6:-6]}")
    return jnp.ravel(input)[index]


@op("input index source", inplace=True, saves=False, grad_name="PutBackward0")
def put(input, index, source, accumulate=False):
    """torchlike implementation of :func:`torch.put`."""
    if index.size != source.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.size}, index.numel() = "
                           f"{index.size}")
    flat = jnp.ravel(input)
    src = jnp.ravel(source).astype(input.dtype)
    at = flat.at[jnp.ravel(index)]
    return (at.add(src) if accumulate else at.set(src)).reshape(input.shape)


@op("input indices", grad_name="GatherBackward0")
def take_along_dim(input, indices, dim=None):
    """torchlike implementation of :func:`torch.take_along_dim`."""
    if indices.dtype.kind not in _INT_KINDS:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be int but got "
                           f"{shape._type_str(indices)[6:-6]} instead")
    if dim is None:
        return jnp.ravel(input)[jnp.ravel(indices)]
    d = shape._wrap(dim, input.ndim)
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    bshape = list(np.broadcast_shapes(
        tuple(1 if k == d else n for k, n in enumerate(input.shape)),
        tuple(1 if k == d else n for k, n in enumerate(indices.shape))))
    ish = tuple(bshape[:d] + [input.shape[d]] + bshape[d + 1:])
    jsh = tuple(bshape[:d] + [indices.shape[d]] + bshape[d + 1:])
    return jnp.take_along_axis(jnp.broadcast_to(input, ish), jnp.broadcast_to(indices, jsh), d)


# -- nonzero / where(cond) / searchsorted -----------------------------------------------------

def nonzero(input, *, as_tuple=False):
    """torchlike implementation of :func:`torch.nonzero` (needs concrete values)."""
    a = _concrete(input._data, "nonzero")
    nz = np.nonzero(a) if a.ndim else np.nonzero(a.reshape(1))
    if as_tuple:
        return tuple(Tensor._wrap(jnp.asarray(i.astype(np.int64))) for i in nz)
    arr = np.stack(nz, axis=1).astype(np.int64) if a.ndim else \
        np.zeros((len(nz[0]), 0), np.int64)
    return Tensor._wrap(jnp.asarray(arr))


def argwhere(input):
    """torchlike implementation of :func:`torch.argwhere`."""
    return nonzero(input)


def _where_one_arg(where3):
    def where(condition, input=None, other=None, *, out=None):
        if input is None and other is None:
            return nonzero(condition, as_tuple=True)
        if out is None:
            return where3(condition, input, other)
        return where3(condition, input, other, out=out)
    where.__doc__ = where3.__doc__
    where.__module__ = "torchlike"
    return where


if "where" in FUNCTIONS:
    FUNCTIONS["where"] = _where_one_arg(FUNCTIONS["where"])


def _searchsorted_raw(sorted_sequence, input, out_int32, side, sorter):
    seq = sorted_sequence
    common = jnp.promote_types(seq.dtype, input.dtype)
    seq, input = seq.astype(common), input.astype(common)
    if sorter is not None:
        seq = jnp.take_along_axis(seq, sorter, -1)
    dt = jnp.int32 if out_int32 else jnp.int64
    if seq.ndim <= 1:
        return jnp.searchsorted(seq, input, side=side).astype(dt)
    lead = seq.shape[:-1]
    if input.shape[:-1] != lead:
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(seq.shape)} and "
                           f"input value tensor {list(input.shape)}")
    s2 = jnp.reshape(seq, (-1, seq.shape[-1]))
    v2 = jnp.reshape(input, (-1, input.shape[-1]))
    out = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side))(s2, v2)
    return jnp.reshape(out, input.shape).astype(dt)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """torchlike implementation of :func:`torch.searchsorted`."""
    return _out(dispatch(_searchsorted.entry, (sorted_sequence, input, sorter),
                         (out_int32, right, side)), out)


FUNCTIONS["searchsorted"] = searchsorted


@op("sorted_sequence input sorter", differentiable=False, method=False, function=False)
def _searchsorted(sorted_sequence, input, sorter, out_int32, right, side):
    if side is not None and side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got "
                           f"{side}")
    if side == "left" and right:
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                           "side of left while right was True")
    return _searchsorted_raw(sorted_sequence, input, out_int32,
                             "right" if right or side == "right" else "left", sorter)


@op("input boundaries", differentiable=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """torchlike implementation of :func:`torch.bucketize`."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return _searchsorted_raw(boundaries, input, out_int32, "right" if right else "left", None)


for _f in (index_put, nonzero, argwhere, masked_select):
    FUNCTIONS[_f.__name__] = _f
    setattr(Tensor, _f.__name__, _f)
Tensor.index_put_ = index_put_
