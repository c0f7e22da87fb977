"""torchlike implementation of :class:`torch.autograd.Function`: user-written forward/backward.

``MyFn.apply(*args)`` runs ``forward`` under no_grad and records one graph node, an instance of
``MyFnBackward`` (a :class:`BackwardCFunction`, which is also the ``ctx`` that forward and backward
receive, as in torch). When the engine reaches that node it calls the user's ``backward`` with
Tensors; with ``create_graph=True`` the engine runs it with grad enabled, so the ops it uses are
recorded and double backward works. Unlike registry ops, the backward here is the user's code, not
``jax.vjp``.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp

from . import grad_mode
from .graph import _FREED_MSG, Node, _version_msg

__all__ = ["BackwardCFunction", "Function", "FunctionCtx", "once_differentiable"]


def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


class FunctionCtx:
    """The ``ctx`` API: saving tensors for backward and marking outputs."""

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward (read back, version-checked, as ``ctx.saved_tensors``)."""
        Tensor = _tensor_cls()
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        raise NotImplementedError("torchlike.autograd.Function does not support forward-mode AD "
                                  "(save_for_forward / jvp)")

    def mark_dirty(self, *args) -> None:
        """Declare inputs that forward modified in place (and returns)."""
        self._dirty = tuple(args)

    def mark_non_differentiable(self, *args) -> None:
        """Declare outputs that get no gradient (they do not require grad)."""
        self._non_diff = tuple(args)

    def set_materialize_grads(self, value: bool) -> None:
        """With ``False``, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, Node):
    """The graph node of one ``Function.apply`` call; subclassed per Function as
    ``<Name>Backward``. It is also the ``ctx`` object."""

    _forward_cls = None  # set on each generated subclass
    _raw_cts = True  # apply() materializes zeros itself, unless set_materialize_grads(False)
    materialize_grads = True

    def __init__(self) -> None:
        Node.__init__(self, type(self).__name__, (), ())
        self._to_save = None
        self._dirty = ()
        self._non_diff = ()
        self._saved = None  # see _save
        self._freed = False
        self._n_args = 0
        self._tensor_pos = ()  # positions of Tensor arguments among forward's arguments
        self._in_meta = ()  # (shape, np dtype) per Tensor argument
        self._out_pos = ()  # position in forward's outputs of each tensor output
        self._n_out = 0
        self.needs_input_grad = ()

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward`` (checked against in-place modification)."""
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        if self._saved is None:
            return ()
        Tensor = _tensor_cls()
        out = []
        for t, vc, version, nr, arr in self._saved:
            if vc is not None and vc[0] != version:
                raise RuntimeError(_version_msg(t if t is not None else Tensor._wrap(arr), version))
            if nr is not None:  # one of this node's own outputs, kept without a reference cycle
                t = Tensor._wrap(arr)
                t.grad_fn, t._out_nr, t._rg = self, nr, True
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def release(self) -> None:
        self._saved = None
        self._freed = True

    def apply(self, cts, create_graph):
        Tensor = _tensor_cls()
        cls = self._forward_cls
        backward = cls.backward if cls.backward is not Function.backward else cls.vjp
        grads_out = [None] * self._n_out
        for pos, (c, meta) in zip(self._out_pos, zip(cts, self.out_meta)):
            if c is None:
                if self.materialize_grads:
                    c = jnp.zeros(*meta)
                    grads_out[pos] = Tensor._wrap(c) if create_graph else c
                continue
            grads_out[pos] = c
        if not create_graph:
            grads_out = [None if g is None else Tensor._wrap(g) for g in grads_out]
        res = backward(self, *grads_out)
        if not isinstance(res, tuple):
            res = (res,)
        name = self.name()
        if len(res) != self._n_args:
            if len(res) > self._n_args and all(g is None for g in res[self._n_args:]):
                res = res[:self._n_args]
            else:
                raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                                   f"(expected {self._n_args}, got {len(res)})")
        tpos = set(self._tensor_pos)
        for i, g in enumerate(res):
            if i not in tpos and g is not None:
                raise RuntimeError(f"function {name} returned a gradient different than None at "
                                   f"position {i + 1}, but the corresponding forward input was not "
                                   f"a Variable")
        return tuple(_check_grad(name, k, res[pos], meta, create_graph)
                     for k, (pos, meta) in enumerate(zip(self._tensor_pos, self._in_meta)))


def _check_grad(name, k, g, meta, create_graph):
    """torch's validation of a returned gradient: reduce broadcast shapes, cast the dtype."""
    Tensor = _tensor_cls()
    if g is None:
        return None
    if not isinstance(g, Tensor):
        raise RuntimeError(  # noqa: TRY004 - torch's exception class
            f"expected Variable or None (got {type(g).__name__})")
    shape, dtype = meta
    if g.shape != shape:
        lead = g.ndim - len(shape)
        if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, g.shape[lead:])):
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {k} - got "
                               f"{list(g.shape)} but expected shape compatible with "
                               f"{list(shape)}")
        if lead:
            g = g.sum(tuple(range(lead)))
        ones = tuple(i for i, (s, gs) in enumerate(zip(shape, g.shape)) if s == 1 and gs != 1)
        if ones:
            g = g.sum(ones, keepdim=True)
    if create_graph:
        return g if g._arr.dtype == dtype else g.to(_dt(dtype))
    arr = g._data
    return arr if arr.dtype == dtype else arr.astype(dtype)


def _dt(np_dtype):
    from .._dtype import from_np
    return from_np(np_dtype)


class FunctionMeta(type):
    """Gives every Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs) -> None:
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": cls.__module__})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """torchlike implementation of :class:`torch.autograd.Function`.

    Subclass it with static ``forward`` and ``backward`` (and optionally ``setup_context``) and call
    ``.apply``. Forward-mode AD (``jvp``), ``vmap`` and ``generate_vmap_rule`` are not supported.
    """

    def __init__(self, *args, **kwargs) -> None:
        import warnings
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
                      f"are all static, so you should invoke them on the class itself. "
                      f"Instantiating an autograd function will raise an error in a future "
                      f"version of PyTorch.", DeprecationWarning, stacklevel=2)

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("torchlike.autograd.Function does not support forward-mode AD "
                                  "(jvp)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` under no_grad and record a ``<Name>Backward`` node for its outputs."""
        return _apply(cls, args, kwargs)


def _apply(cls, args, kwargs):
    from .._ops.registry import _edge
    Tensor = _tensor_cls()
    ctx = cls._backward_cls()
    tensor_pos = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    record = grad_mode.STATE.enabled and any(args[i]._rg for i in tensor_pos)
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg and grad_mode.STATE.enabled
                                 for a in args)
    # Edges are taken before forward runs: an input it modifies in place (mark_dirty) gets a new
    # grad_fn, but its gradient flows to where the input came from.
    edges = (tuple(_edge(args[i]) if args[i]._rg else (None, 0) for i in tensor_pos)
             if record else ())
    new_style = cls.setup_context is not Function.setup_context
    prev = grad_mode.STATE.enabled
    grad_mode.STATE.enabled = False
    try:
        if new_style:
            output = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
        else:
            output = cls.forward(ctx, *args, **kwargs)
    finally:
        grad_mode.STATE.enabled = prev
    if not record:
        return output
    outs = output if isinstance(output, tuple) else (output,)
    dirty = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_diff}
    inputs = {id(args[i]) for i in tensor_pos}
    results, out_pos, meta, nr = [], [], [], 0
    for pos, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            continue
        if id(o) in dirty:
            _check_dirty(o)
            o._vc[0] += 1
        elif id(o) in inputs:  # an input returned as is: the output is a new alias of it
            alias = Tensor._wrap(o._data)
            if id(o) in non_diff:
                non_diff.add(id(alias))
            o = alias
        out_pos.append(pos)
        meta.append((tuple(o._arr.shape), o._arr.dtype))
        if id(o) not in non_diff and (o.dtype.is_floating_point or o.dtype.is_complex):
            o.grad_fn, o._out_nr, o._rg = ctx, nr, True
        nr += 1
        results.append(o)
    ctx._edges = edges
    ctx.out_meta = tuple(meta)
    ctx._n_args = len(args)
    ctx._tensor_pos = tensor_pos
    ctx._in_meta = tuple((tuple(args[i]._arr.shape), args[i]._arr.dtype) for i in tensor_pos)
    ctx._out_pos = tuple(out_pos)
    ctx._n_out = len(outs)
    _save(ctx, results)
    return tuple(results) if isinstance(output, tuple) else results[0]


def _check_dirty(t) -> None:
    if t.grad_fn is None and t._rg:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")
    if t._base is not None and not t._detached:
        raise NotImplementedError("torchlike.autograd.Function: mark_dirty on a view is not "
                                  "supported; pass the base tensor instead")


def _save(ctx, results) -> None:
    """Record ``save_for_backward``'s tensors; outputs are kept as arrays (no ctx/output cycle)."""
    to_save = ctx._to_save
    ctx._to_save = None
    if to_save is None:
        return
    Tensor = _tensor_cls()
    own = {id(o) for o in results if isinstance(o, Tensor) and o.grad_fn is ctx}
    saved = []  # (Tensor | None, version counter, version, output_nr | None, array | None)
    for t in to_save:
        if t is None:
            saved.append((None, None, None, None, None))
        elif id(t) in own:
            saved.append((None, t._vc, t._vc[0], t._out_nr, t._arr))
        else:
            saved.append((t, t._vc, t._vc[0], None, None))
    ctx._saved = tuple(saved)


def once_differentiable(fn):
    """torchlike implementation of :func:`torch.autograd.function.once_differentiable`: the wrapped
    backward runs under no_grad, so its results cannot be differentiated again."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            return fn(ctx, *args)
    return wrapper

