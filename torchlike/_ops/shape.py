"""Shape ops: views (view/reshape/permute/transpose/squeeze/expand/narrow/select/split/...) and
copies (cat/stack/repeat/flip/roll/tril/diag/...).

View ops are registry entries with ``view=True``: their raw functions are pure data movement
(reshape, transpose, slicing, broadcasting, gathers with static indices), so an in-place write to
the output can be scattered back into the base (see ``_view.py``). Ops that return several views
(``unbind``, ``split``, ``chunk``) run as one tuple-valued entry (torch's grad_fn name) and then
mark each output as a ``select``/``narrow`` view of the input.

``reshape``/``flatten``/``ravel``/``view`` of a tensor that is itself a view consult the view's
strides, derived from the index map of its view chain (the same map in-place writes use): as in
torch, reshape returns a view when the strides allow it and a copy otherwise, and ``view`` raises
torch's error when they do not.
"""

from __future__ import annotations

import math
import operator
import warnings

import jax.numpy as jnp
import numpy as np

from .._dtype import from_np
from .._size import Size
from .._tensor import Tensor
from . import _view
from ._install import FUNCTIONS
from .._size import wrap_dim as _wrap
from .registry import dispatch, op

# -- helpers ------------------------------------------------------------------------------------


def _wrap_dims(dims, ndim):
    out = tuple(_wrap(d, ndim) for d in dims)
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def _ints(args):
    """torch's ``*sizes`` convention: ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(operator.index(a) for a in args)


def _export(*fns, method=True, function=True):
    for fn in fns:
        if function:
            FUNCTIONS[fn.__name__] = fn
        if method:
            setattr(Tensor, fn.__name__, fn)


def _infer_shape(shape, numel):
    """Resolve one ``-1`` in ``shape`` against ``numel`` (torch's messages)."""
    shape = tuple(shape)
    infer = [i for i, s in enumerate(shape) if s == -1]
    if len(infer) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = math.prod(s for s in shape if s != -1)
    if infer:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        i = infer[0]
        return shape[:i] + (numel // known,) + shape[i + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# -- strides of views (for reshape's view-or-copy decision) -------------------------------------

_geometry_cache: dict = {}


def _strides(t):
    """Element strides of view ``t`` inside its base (contiguous strides if ``t`` is not a view)."""
    shape = t._arr.shape
    chain = t._view
    if t._base is None or not chain:
        return _contiguous_strides(shape)
    base_shape = t._base._arr.shape
    key = (chain, base_shape)
    st = _geometry_cache.get(key)
    if st is None:
        idx = np.asarray(_view._apply_chain(
            jnp.arange(math.prod(base_shape), dtype=jnp.int64).reshape(base_shape), chain))
        st = []
        for d, n in enumerate(shape):
            if n > 1 and idx.size:
                e = [0] * len(shape)
                e[d] = 1
                st.append(int(idx[tuple(e)]) - int(idx.reshape(-1)[0]))
            else:
                st.append(1)
        st = _geometry_cache[key] = tuple(st)
    return st


def _contiguous_strides(shape):
    st, acc = [], 1
    for n in reversed(shape):
        st.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(st))


def _viewable(old_shape, old_strides, new_shape) -> bool:
    """Whether ``new_shape`` can view memory laid out as (old_shape, old_strides): each group of
    old dims merged or split by the reshape must be contiguous within itself."""
    if math.prod(old_shape) == 0:
        return True
    if not old_shape:
        old_shape, old_strides = (1,), (1,)
    view_d = len(new_shape) - 1
    chunk_stride = old_strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1
                      and old_strides[d - 1] != tensor_numel * chunk_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                chunk_stride = old_strides[d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


def _can_view(t, shape) -> bool:
    if t._base is None or not t._view:
        return True
    shape = _infer_shape(shape, t._arr.size)
    return _viewable(t._arr.shape, _strides(t), shape)


# -- view / reshape -----------------------------------------------------------------------------

@op("input", view=True, method=False, saves=False, grad_name="ViewBackward0", function=False)
def _view_op(input, shape):
    return jnp.reshape(input, _infer_shape(shape, input.size))


@op("input", method=False, function=False, saves=False, grad_name="UnsafeViewBackward0")
def _reshape_copy(input, shape):
    return jnp.reshape(input, _infer_shape(shape, input.size))


_VIEW = _view_op.entry
_RESHAPE_COPY = _reshape_copy.entry


def view(self, *shape):
    """torchlike implementation of :meth:`torch.Tensor.view` (``view(dtype)`` is not supported)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer, Tensor)):
        raise TypeError("torchlike: Tensor.view(dtype) is not supported; use .to(dtype) (a copy)")
    shape = _ints(shape)
    if not _can_view(self, shape):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return dispatch(_VIEW, (self,), (shape,))


def view_as(self, other):
    """torchlike implementation of :meth:`torch.Tensor.view_as`."""
    return view(self, tuple(other.shape))


def _reshape(t, shape):
    return dispatch(_VIEW if _can_view(t, shape) else _RESHAPE_COPY, (t,), (shape,))


def reshape(input, *shape):
    """torchlike implementation of :func:`torch.reshape` (a view when the strides allow it)."""
    return _reshape(input, _ints(shape))


def flatten(input, start_dim=0, end_dim=-1):
    """torchlike implementation of :func:`torch.flatten`."""
    shape = input._arr.shape
    if not shape:
        return _reshape(input, (1,))
    s, e = _wrap(start_dim, len(shape)), _wrap(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return _reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def ravel(input):
    """torchlike implementation of :func:`torch.ravel`."""
    return _reshape(input, (-1,))


def unflatten(input, dim, sizes):
    """torchlike implementation of :func:`torch.unflatten`."""
    shape = input._arr.shape
    d = _wrap(dim, len(shape))
    sizes = _ints((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, shape[d])
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor") from None
    return dispatch(_VIEW, (input,), (shape[:d] + sizes + shape[d + 1:],))


_export(reshape, flatten, ravel, unflatten)
_export(view, view_as, function=False)


# -- permutations -------------------------------------------------------------------------------

@op("input", view=True, method=False, function=False, saves=False, grad_name="PermuteBackward0")
def _permute(input, dims):
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.ndim} is not equal to len(dims) = {len(dims)}")
    wrapped = tuple(_wrap(d, input.ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return jnp.transpose(input, wrapped)


_PERMUTE = _permute.entry


def permute(input, *dims):
    """torchlike implementation of :func:`torch.permute`."""
    return dispatch(_PERMUTE, (input,), (_ints(dims),))


def movedim(input, source, destination):
    """torchlike implementation of :func:`torch.movedim`."""
    n = input._arr.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src, dst = _wrap_dims(src, n), _wrap_dims(dst, n)
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src)
    order = tuple(o if o is not None else next(rest) for o in order)
    return dispatch(_PERMUTE, (input,), (order,))


moveaxis = movedim


@op("input", view=True, saves=False)
def transpose(input, dim0, dim1):
    """torchlike implementation of :func:`torch.transpose`."""
    d0, d1 = _wrap(dim0, input.ndim), _wrap(dim1, input.ndim)
    return input if input.ndim == 0 else jnp.swapaxes(input, d0, d1)


_TRANSPOSE = transpose.entry


def swapaxes(input, axis0, axis1):
    """torchlike implementation of :func:`torch.swapaxes`."""
    return dispatch(_TRANSPOSE, (input,), (axis0, axis1))


def swapdims(input, dim0, dim1):
    """torchlike implementation of :func:`torch.swapdims`."""
    return dispatch(_TRANSPOSE, (input,), (dim0, dim1))


@op("input", view=True, saves=False, grad_name="TBackward0")
def t(input):
    """torchlike implementation of :func:`torch.t`."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return input.T


@op("input", method=False, function=False, grad_name="TransposeBackward0")
def _conj_transpose(input):
    return jnp.conj(jnp.swapaxes(input, -1, -2))


def adjoint(input):
    """torchlike implementation of :func:`torch.adjoint` (for complex inputs: a copy, not a view)."""
    if input._arr.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input._arr.ndim}-D tensor.")
    if jnp.issubdtype(input._arr.dtype, jnp.complexfloating):
        return dispatch(_conj_transpose.entry, (input,), ())
    return dispatch(_TRANSPOSE, (input,), (-2, -1))


def _prop_T(self):
    n = self._arr.ndim
    if n != 2 and n != 0:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=2)
    return dispatch(_PERMUTE, (self,), (tuple(range(n - 1, -1, -1)),))


def _prop_mT(self):
    if self._arr.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self._arr.ndim}-D tensor.")
    return dispatch(_TRANSPOSE, (self,), (-2, -1))


def _prop_H(self):
    if self._arr.ndim not in (0, 2):
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._arr.ndim}-D tensor.")
    return adjoint(self) if self._arr.ndim == 2 else self


def _prop_mH(self):
    if self._arr.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. Got "
                           f"{self._arr.ndim}-D tensor.")
    return adjoint(self)


_export(permute, movedim, swapaxes, swapdims, adjoint)
FUNCTIONS["moveaxis"] = Tensor.moveaxis = movedim
Tensor.T = property(_prop_T)
Tensor.mT = property(_prop_mT)
Tensor.H = property(_prop_H)
Tensor.mH = property(_prop_mH)


# -- squeeze / unsqueeze / expand -------------------------------------------------------------

def _squeeze_raw(input, dims):
    if dims is None:
        return jnp.reshape(input, tuple(n for n in input.shape if n != 1))
    dims = tuple(_wrap(d, input.ndim) for d in dims)
    return jnp.reshape(input, tuple(n for i, n in enumerate(input.shape)
                                    if not (n == 1 and i in dims)))


_SQUEEZE = [op("input", name=f"_squeeze{i}", view=True, method=False, function=False,
               saves=False, grad_name=f"SqueezeBackward{i}")(_squeeze_raw).entry
            for i in range(3)]


def squeeze(input, dim=None):
    """torchlike implementation of :func:`torch.squeeze`."""
    if dim is None:
        return dispatch(_SQUEEZE[0], (input,), (None,))
    if isinstance(dim, (tuple, list)):
        return dispatch(_SQUEEZE[2], (input,), (tuple(dim),))
    return dispatch(_SQUEEZE[1], (input,), ((dim,),))


@op("input", view=True, saves=False)
def unsqueeze(input, dim):
    """torchlike implementation of :func:`torch.unsqueeze`."""
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return jnp.expand_dims(input, dim % n)


_UNSQUEEZE = unsqueeze.entry


@op("input", view=True, method=False, function=False, saves=False, grad_name="ExpandBackward0")
def _expand(input, size):
    n = input.ndim
    if len(size) < n:
        raise RuntimeError(f"expand({_type_str(input)}{{{list(input.shape)}}}, size={list(size)}):"
                           f" the number of sizes provided ({len(size)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({n})")
    lead = len(size) - n
    out = list(size)
    for i in range(len(size) - 1, -1, -1):
        want = size[i]
        if i < lead:
            if want < 0:
                raise RuntimeError(f"The expanded size of the tensor ({want}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            continue
        have = input.shape[i - lead]
        if want == -1:
            out[i] = have
        elif have != want and have != 1:
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing "
                               f"size ({have}) at non-singleton dimension {i}.  Target "
                               f"sizes: {list(size)}.  Tensor sizes: {list(input.shape)}")
    return jnp.broadcast_to(input, tuple(out))


_EXPAND = _expand.entry


def _type_str(a) -> str:
    from .registry import _type_name
    return f"torch.{_type_name(from_np(a.dtype))}Tensor"


def expand(self, *sizes):
    """torchlike implementation of :meth:`torch.Tensor.expand`."""
    return dispatch(_EXPAND, (self,), (_ints(sizes),))


def expand_as(self, other):
    """torchlike implementation of :meth:`torch.Tensor.expand_as`."""
    return dispatch(_EXPAND, (self,), (tuple(other.shape),))


def broadcast_shapes(*shapes):
    """torchlike implementation of :func:`torch.broadcast_shapes`."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s):
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                                   f"{list(s)}")
            j = ndim - len(s) + i
            if out[j] == 1:
                out[j] = n
            elif n != 1 and n != out[j]:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single "
                                   f"shape.  Mismatch is between arg {shapes.index(s)} and ...")
    return Size(out)


def _broadcast_shape(tensors):
    ndim = max(t.ndim for t in tensors)
    out = [1] * ndim
    owner = [None] * ndim
    for k, t in enumerate(tensors):
        for i, n in enumerate(t.shape):
            j = ndim - t.ndim + i
            if out[j] == 1:
                out[j], owner[j] = n, k
            elif n != 1 and n != out[j]:
                raise RuntimeError(f"The size of tensor a ({out[j]}) must match the size of "
                                   f"tensor b ({n}) at non-singleton dimension {j}")
    return tuple(out)


def broadcast_tensors(*tensors):
    """torchlike implementation of :func:`torch.broadcast_tensors` (views of the inputs)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = _broadcast_shape(tensors)
    return tuple(dispatch(_EXPAND, (t,), (shape,)) for t in tensors)


def broadcast_to(input, size):
    """torchlike implementation of :func:`torch.broadcast_to` (a view)."""
    return dispatch(_EXPAND, (input,), (_ints((size,)),))


_export(squeeze, expand_as, broadcast_to)
_export(expand, function=False)
_export(broadcast_shapes, broadcast_tensors, method=False)


# -- slicing views ------------------------------------------------------------------------------

@op("input", view=True, method=False, function=False, saves=False, grad_name="SliceBackward0")
def _narrow(input, dim, start, length):
    d = _wrap(dim, input.ndim)
    n = input.shape[d]
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start % n if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return input[idx]


_NARROW = _narrow.entry


def narrow(input, dim, start, length):
    """torchlike implementation of :func:`torch.narrow`."""
    if input._arr.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    return dispatch(_NARROW, (input,), (dim, operator.index(start), length))


@op("input", view=True, saves=False)
def select(input, dim, index):
    """torchlike implementation of :func:`torch.select`."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return jnp.take(input, index % n, axis=d)


_SELECT = select.entry


@op("input", view=True, saves=False)
def diagonal(input, offset=0, dim1=0, dim2=1):
    """torchlike implementation of :func:`torch.diagonal`."""
    d1, d2 = _wrap(dim1, input.ndim), _wrap(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return jnp.diagonal(input, offset, d1, d2)


@op("input", view=True, function=False, saves=False)
def unfold(input, dimension, size, step):
    """torchlike implementation of :meth:`torch.Tensor.unfold`."""
    d = _wrap(dimension, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if input.ndim == 0:
        return jnp.reshape(input, (size,))
    windows = np.arange((n - size) // step + 1)[:, None] * step + np.arange(size)
    out = jnp.take(input, jnp.asarray(windows.reshape(-1)), axis=d)
    out = jnp.reshape(out, input.shape[:d] + windows.shape + input.shape[d + 1:])
    return jnp.moveaxis(out, d + 1, -1)


_export(narrow)


# -- multi-view splits ------------------------------------------------------------------------

def _pieces(input, dim, sizes):
    starts = np.cumsum((0,) + tuple(sizes))
    idx = (slice(None),) * dim
    return tuple(input[idx + (slice(int(s), int(s) + n),)] for s, n in zip(starts, sizes))


@op("input", method=False, function=False, saves=False, grad_name="UnbindBackward0")
def _unbind(input, dim):
    d = _wrap(dim, input.ndim)
    return tuple(jnp.take(input, i, axis=d) for i in range(input.shape[d]))


@op("input", method=False, function=False, saves=False, grad_name="SplitBackward0")
def _split(input, dim, sizes):
    return _pieces(input, dim, sizes)


@op("input", method=False, function=False, saves=False, grad_name="SplitWithSizesBackward0")
def _split_sizes(input, dim, sizes):
    return _pieces(input, dim, sizes)


@op("input", method=False, function=False, saves=False, grad_name="SliceBackward0")
def _tensor_split(input, dim, sizes):
    return _pieces(input, dim, sizes)


def _views(outs, input, dim, sizes):
    """Mark the outputs of a split as narrow views of ``input`` (in-place writes reach it)."""
    start = 0
    for o, n in zip(outs, sizes):
        _view.mark_view(o, input, _NARROW, (dim, start, n))
        start += n
    return outs


def unbind(input, dim=0):
    """torchlike implementation of :func:`torch.unbind` (a tuple of views)."""
    if input._arr.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap(dim, input._arr.ndim)
    outs = dispatch(_unbind.entry, (input,), (d,))
    for i, o in enumerate(outs):
        _view.mark_view(o, input, _SELECT, (d, i))
    return _view.mark_multi(outs, "Unbind")


def _split_dim(input, dim):
    if input._arr.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap(dim, input._arr.ndim)
    return d, input._arr.shape[d]


def split(tensor, split_size_or_sections, dim=0):
    """torchlike implementation of :func:`torch.split` (a tuple of views)."""
    d, n = _split_dim(tensor, dim)
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = tuple(operator.index(s) for s in split_size_or_sections)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{list(sizes)}")
        return _view.mark_multi(_views(dispatch(_split_sizes.entry, (tensor,), (d, sizes)),
                                       tensor, d, sizes), "SplitWithSizes")
    k = operator.index(split_size_or_sections)
    if k < 0 or (k == 0 and n != 0):
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}" if k == 0 else
                           f"split expects split_size be non-negative, but got split_size={k}")
    sizes = (k,) * (n // k) + ((n % k,) if n % k else ()) if n else (0,)
    return _view.mark_multi(_views(dispatch(_split.entry, (tensor,), (d, sizes)), tensor, d,
                                   sizes), "Split")


def chunk(input, chunks, dim=0):
    """torchlike implementation of :func:`torch.chunk` (a tuple of views)."""
    if input._arr.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d, n = _split_dim(input, dim)
    return split(input, max(-(-n // chunks), 1) if n else 0, d) if n else split(input, 0, d)


def tensor_split(input, indices_or_sections, dim=0):
    """torchlike implementation of :func:`torch.tensor_split` (a tuple of views)."""
    if input._arr.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _wrap(dim, input._arr.ndim)
    n = input._arr.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        bounds, prev = [], 0
        for i in list(indices_or_sections) + [n]:
            i = min(max(i + n if i < 0 else i, 0), n)
            i = max(i, prev)
            bounds.append(i - prev)
            prev = i
        sizes = tuple(bounds)
    else:
        k = operator.index(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = tuple(n // k + (1 if i < n % k else 0) for i in range(k))
    return _views(dispatch(_tensor_split.entry, (input,), (d, sizes)), input, d, sizes)


def _nsplit(name, input, sections, dim, min_dim):
    if input._arr.ndim < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, "
                           f"but got a tensor with {input._arr.ndim} dimensions!")
    if not isinstance(sections, (list, tuple)):
        n = input._arr.shape[dim]
        if sections == 0 or n % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """torchlike implementation of :func:`torch.hsplit`."""
    return _nsplit("hsplit", input, indices_or_sections, 1 if input._arr.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    """torchlike implementation of :func:`torch.vsplit`."""
    return _nsplit("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """torchlike implementation of :func:`torch.dsplit`."""
    return _nsplit("dsplit", input, indices_or_sections, 2, 3)


_export(unbind, split, chunk, tensor_split, hsplit, vsplit, dsplit)


# -- joining ------------------------------------------------------------------------------------

@op("tensors*", promote="all", saves=False)
def cat(tensors, dim=0):
    """torchlike implementation of :func:`torch.cat` (1-D empty tensors are skipped, as torch)."""
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, a in enumerate(tensors):
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    kept = [(i, a) for i, a in enumerate(tensors) if not (a.ndim == 1 and a.shape[0] == 0)]
    if not kept:
        return tensors[0]
    ref = kept[0][1]
    d = _wrap(dim, ref.ndim)
    for i, a in kept[1:]:
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{a.ndim}")
        for k in range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {a.shape[k]} for "
                                   f"tensor number {i} in the list.")
    return jnp.concatenate([a for _, a in kept], axis=d)


@op("tensors*", promote="all", saves=False)
def stack(tensors, dim=0):
    """torchlike implementation of :func:`torch.stack`."""
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0].shape
    for i, a in enumerate(tensors[1:], 1):
        if a.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} "
                               f"at entry 0 and {list(a.shape)} at entry {i}")
    n = len(ref) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return jnp.stack(tensors, axis=dim % n)


def _seq(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        return tuple(tensors[0])
    return tensors


def atleast_1d(*tensors):
    """torchlike implementation of :func:`torch.atleast_1d`."""
    out = tuple(t if t._arr.ndim >= 1 else dispatch(_VIEW, (t,), ((1,),)) for t in _seq(tensors))
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_2d(*tensors):
    """torchlike implementation of :func:`torch.atleast_2d`."""
    def one(t):
        n = t._arr.ndim
        if n >= 2:
            return t
        return dispatch(_UNSQUEEZE, (t,), (0,)) if n == 1 else dispatch(_VIEW, (t,), ((1, 1),))
    out = tuple(one(t) for t in _seq(tensors))
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_3d(*tensors):
    """torchlike implementation of :func:`torch.atleast_3d`."""
    def one(t):
        n = t._arr.ndim
        if n >= 3:
            return t
        if n == 0:
            return dispatch(_VIEW, (t,), ((1, 1, 1),))
        if n == 1:
            return dispatch(_UNSQUEEZE, (dispatch(_UNSQUEEZE, (t,), (0,)),), (-1,))
        return dispatch(_UNSQUEEZE, (t,), (-1,))
    out = tuple(one(t) for t in _seq(tensors))
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def hstack(tensors):
    """torchlike implementation of :func:`torch.hstack`."""
    ts = atleast_1d(list(tensors))
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def vstack(tensors):
    """torchlike implementation of :func:`torch.vstack`."""
    return cat(atleast_2d(list(tensors)), 0)


def dstack(tensors):
    """torchlike implementation of :func:`torch.dstack`."""
    return cat(atleast_3d(list(tensors)), 2)


def column_stack(tensors):
    """torchlike implementation of :func:`torch.column_stack`."""
    ts = [dispatch(_VIEW, (t,), ((-1, 1),)) if t._arr.ndim <= 1 else t for t in tensors]
    return cat(ts, 1)


def meshgrid(*tensors, indexing=None):
    """torchlike implementation of :func:`torch.meshgrid` (outputs are views of the inputs)."""
    tensors = _seq(tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._arr.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
        if t._arr.dtype != tensors[0]._arr.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    n = len(tensors)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    sizes = [t._arr.size for t in tensors]
    shape = [0] * n
    for p, s in zip(pos, sizes):
        shape[p] = s
    out = []
    for t, p in zip(tensors, pos):
        v = [1] * n
        v[p] = -1
        out.append(dispatch(_EXPAND, (dispatch(_VIEW, (t,), (tuple(v),)),), (tuple(shape),)))
    return tuple(out)


_export(atleast_1d, atleast_2d, atleast_3d, hstack, vstack, dstack, column_stack, meshgrid,
        method=False)
FUNCTIONS.update(concat=cat, concatenate=cat, row_stack=vstack)


# -- copies: repeat / flip / roll / triangles / diagonals ------------------------------------

@op("input", method=False, saves=False, grad_name="RepeatBackward0", function=False)
def _repeat(input, repeats):
    if len(repeats) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    for r in repeats:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {r}: "
                               f"{list(repeats)}")
    x = jnp.reshape(input, (1,) * (len(repeats) - input.ndim) + input.shape)
    return jnp.tile(x, repeats)


def repeat(self, *sizes):
    """torchlike implementation of :meth:`torch.Tensor.repeat`."""
    return dispatch(_repeat.entry, (self,), (_ints(sizes),))


def tile(input, *dims):
    """torchlike implementation of :func:`torch.tile`."""
    dims = _ints(dims)
    dims = (1,) * (input._arr.ndim - len(dims)) + dims
    return dispatch(_repeat.entry, (input,), (dims,))


@op("input", method=False, function=False, saves=False, grad_name="FlipBackward0")
def _flip(input, dims):
    return jnp.flip(input, _wrap_dims(dims, input.ndim)) if dims else input + 0


def flip(input, *args, dims=None):
    """torchlike implementation of :func:`torch.flip` (``flip(x, dims)``, ``x.flip(*dims)``)."""
    if dims is not None and args:
        raise TypeError("flip() received both positional dims and dims=")
    return dispatch(_flip.entry, (input,), (_ints(args if dims is None else (dims,)),))


def fliplr(input):
    """torchlike implementation of :func:`torch.fliplr`."""
    if input._arr.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return dispatch(_flip.entry, (input,), ((1,),))


def flipud(input):
    """torchlike implementation of :func:`torch.flipud`."""
    if input._arr.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return dispatch(_flip.entry, (input,), ((0,),))


_export(repeat, function=False)
_export(tile, flip, fliplr, flipud)


@op("input", saves=False)
def roll(input, shifts, dims=None):
    """torchlike implementation of :func:`torch.roll`."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"`shifts` required to be of size 1 when `dims` is None, but got "
                               f"{len(shifts)}")
        return jnp.reshape(jnp.roll(jnp.ravel(input), shifts[0]), input.shape)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    return jnp.roll(input, shifts, tuple(_wrap(d, input.ndim) for d in dims))


@op("input", saves=False)
def rot90(input, k=1, dims=(0, 1)):
    """torchlike implementation of :func:`torch.rot90`."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap(dims[0], input.ndim), _wrap(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    return jnp.rot90(input, k, (d0, d1))


def _tri(name, input, diagonal, lower):
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    n, m = input.shape[-2:]
    keep = np.arange(m)[None, :] - np.arange(n)[:, None]
    keep = keep <= diagonal if lower else keep >= diagonal
    return jnp.where(jnp.asarray(keep), input, jnp.zeros((), input.dtype))


@op("input", inplace=True, saves=False)
def tril(input, diagonal=0):
    """torchlike implementation of :func:`torch.tril`."""
    return _tri("tril", input, diagonal, True)


@op("input", inplace=True, saves=False)
def triu(input, diagonal=0):
    """torchlike implementation of :func:`torch.triu`."""
    return _tri("triu", input, diagonal, False)


def _embed(v, offset):
    """A ``(..., n, n)`` array with ``v`` (``(..., k)``) on diagonal ``offset``."""
    k = v.shape[-1]
    n = k + abs(offset)
    rows = np.arange(k) + max(-offset, 0)
    cols = np.arange(k) + max(offset, 0)
    out = jnp.zeros(v.shape[:-1] + (n, n), v.dtype)
    return out.at[..., rows, cols].set(v)


@op("input", saves=False)
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """torchlike implementation of :func:`torch.diag_embed`."""
    n = input.ndim + 1
    d1, d2 = _wrap(dim1, n), _wrap(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = _embed(input, offset)
    if d1 > d2:
        d1, d2, out = d2, d1, jnp.swapaxes(out, -1, -2)
    return jnp.moveaxis(out, (-2, -1), (d1, d2))


@op("input", saves=False, grad_name="DiagEmbedBackward0")
def diagflat(input, offset=0):
    """torchlike implementation of :func:`torch.diagflat`."""
    return _embed(jnp.ravel(input), offset)


@op("input", saves=False)
def diag(input, diagonal=0):
    """torchlike implementation of :func:`torch.diag`."""
    if input.ndim == 1:
        return _embed(input, diagonal)
    if input.ndim == 2:
        return jnp.diagonal(input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
