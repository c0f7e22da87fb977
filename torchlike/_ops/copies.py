"""Copying variants of view ops (``*_copy``), the ``*_scatter`` ops that write a view's values into
a copy of the base, ``as_strided`` and the "unsafe"/explicit-size split aliases.

The ``*_copy`` functions are the view op followed by a copy, so their gradients are the view's.
The scatters and ``as_strided`` work on flat positions: the view applied to ``arange(numel)``
(numpy, at trace time) gives the base position of each element of the view, so one gather or one
``.at[].set`` implements them for every dtype.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._size import wrap_dim as _wrap
from .._tensor import Tensor
from ._install import FUNCTIONS
from .registry import op, write_out

# -- *_copy ---------------------------------------------------------------------------------------


def _copy_of(name: str, view, *, method: bool = False, tuple_out: bool = False):
    """``torch.<name>``: ``view`` (a function or a Tensor method name) followed by a copy."""
    if isinstance(view, str):
        view_name, view = view, getattr(Tensor, view)
    else:
        view_name = name[:-len("_copy")]

    def fn(input, *args, out=None, **kwargs):
        res = view(input, *args, **kwargs)
        res = tuple(r.clone() for r in res) if tuple_out else res.clone()
        return res if out is None else write_out(out, res)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"torchlike implementation of :func:`torch.{name}` (``{view_name}`` followed by "
                  f"a copy).")
    FUNCTIONS[name] = fn
    if method:
        setattr(Tensor, name, fn)


def _expand(input, size, *, implicit=False):
    return input.expand(size)


def _permute(input, dims):
    return input.permute(dims)


def _view(input, size):
    return input.view(size)


def _alias(input):
    return input.view(tuple(input.shape))


for _name, _v in (("diagonal_copy", "diagonal"), ("narrow_copy", "narrow"),
                  ("squeeze_copy", "squeeze"), ("unsqueeze_copy", "unsqueeze"),
                  ("transpose_copy", "transpose"), ("t_copy", "t"), ("unfold_copy", "unfold"),
                  ("detach_copy", "detach"), ("select_copy", "select"),
                  ("expand_copy", _expand), ("permute_copy", _permute), ("view_copy", _view),
                  ("alias_copy", _alias)):
    _copy_of(_name, _v, method=_name == "narrow_copy")
for _name, _v in (("unbind_copy", "unbind"), ("split_copy", "split"),
                  ("split_with_sizes_copy", "split")):
    _copy_of(_name, _v, tuple_out=True)
del _name, _v


def _unsafe_split(tensor, split_size_or_sections, dim=0):
    """torchlike implementation of :func:`torch.unsafe_split` (= :func:`torch.split`)."""
    return tensor.split(split_size_or_sections, dim)


def _unsafe_chunk(input, chunks, dim=0):
    """torchlike implementation of :func:`torch.unsafe_chunk` (= :func:`torch.chunk`)."""
    return input.chunk(chunks, dim)


def _split_with_sizes(input, split_sizes, dim=0):
    """torchlike implementation of :func:`torch.split_with_sizes`."""
    return input.split(list(split_sizes), dim)


for _name, _fn in (("unsafe_split", _unsafe_split), ("unsafe_chunk", _unsafe_chunk),
                   ("split_with_sizes", _split_with_sizes)):
    _fn.__name__ = _fn.__qualname__ = _name
    FUNCTIONS[_name] = _fn
    setattr(Tensor, _name, _fn)
del _name, _fn


# -- *_scatter ------------------------------------------------------------------------------------

def _positions(shape, view):
    """The flat base positions of the elements of ``view(base)``."""
    return view(np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape))


def _scatter(name, input, src, pos):
    if tuple(src.shape) != pos.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(pos.shape)}")
    flat = input.ravel().at[jnp.asarray(pos.ravel())].set(src.astype(input.dtype).ravel())
    return flat.reshape(input.shape)


@op("input src", saves=False)
def select_scatter(input, src, dim, index):
    """torchlike implementation of :func:`torch.select_scatter`."""
    d = _wrap(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    pos = _positions(input.shape, lambda a: np.take(a, index % n, axis=d))
    return _scatter("select_scatter", input, src, pos)


@op("input src", saves=False)
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """torchlike implementation of :func:`torch.slice_scatter`."""
    d = _wrap(dim, input.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    idx = (slice(None),) * d + (slice(start, end, step),)
    return _scatter("slice_scatter", input, src, _positions(input.shape, lambda a: a[idx]))


@op("input src", saves=False)
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """torchlike implementation of :func:`torch.diagonal_scatter`."""
    d1, d2 = _wrap(dim1, input.ndim), _wrap(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    pos = _positions(input.shape, lambda a: np.diagonal(a, offset, d1, d2))
    return _scatter("diagonal_scatter", input, src, pos)


# -- as_strided -----------------------------------------------------------------------------------

def _strided_positions(size, stride, offset):
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    for s in stride:
        if s < 0:
            raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                               f"strides: {list(stride)}")
    pos = np.full(size, offset, np.int64)
    for i, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[i] = n
        pos = pos + (np.arange(n) * s).reshape(shape)
    return pos


def _check_storage(input, pos):
    if pos.size and pos.max() >= input.size:
        raise RuntimeError(f"setStorage: sizes {list(pos.shape)}, strides ..., storage offset "
                           f"and itemsize requiring a storage size of {int(pos.max()) + 1} are "
                           f"out of bounds for storage of size {input.size}")


@op("input", saves=False, grad_name="AsStridedBackward0")
def as_strided(input, size, stride, storage_offset=None):
    """torchlike implementation of :func:`torch.as_strided` over the input's elements in row-major
    order (a copy, not a view: the input's own strides are those of a contiguous tensor)."""
    pos = _strided_positions(size, stride, storage_offset or 0)
    _check_storage(input, pos)
    return input.ravel()[jnp.asarray(pos)]


@op("input", saves=False, grad_name="AsStridedBackward0")
def as_strided_copy(input, size, stride, storage_offset=None):
    """torchlike implementation of :func:`torch.as_strided_copy` (see :func:`as_strided`)."""
    return as_strided.entry.fn(input, size, stride, storage_offset)


@op("input src", saves=False)
def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """torchlike implementation of :func:`torch.as_strided_scatter` (see :func:`as_strided`)."""
    pos = _strided_positions(size, stride, storage_offset or 0)
    _check_storage(input, pos)
    return _scatter("as_strided_scatter", input, src, pos)


# -- Tensor-only shape helpers ---------------------------------------------------------------------

def _reshape_as(self, other):
    """torchlike implementation of :meth:`torch.Tensor.reshape_as`."""
    return self.reshape(tuple(other.shape))


def _sum_to_size(self, *size):
    """torchlike implementation of :meth:`torch.Tensor.sum_to_size`."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                           f"{{{list(shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, (s, n) in enumerate(zip(size, shape[lead:]))
                                      if s == 1 and n != 1)
    out = self.sum(dims, keepdim=True) if dims else self
    return out.reshape(size) if lead else out


Tensor.reshape_as = _reshape_as
Tensor.sum_to_size = _sum_to_size
