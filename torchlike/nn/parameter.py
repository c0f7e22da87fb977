"""torchlike implementation of :mod:`torch.nn.parameter`: Parameter and Buffer."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype, _tensor_str
from .._tensor import Tensor, _is_tracer

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """torchlike implementation of :class:`torch.nn.Parameter`.

    # NOTE: JAX arrays are immutable, so "sharing the data tensor's storage" means holding the same
    # array object: ``Parameter(t)`` starts with ``t``'s values, but later in-place writes to one do
    # not reach the other (in torch they would).
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            data = Tensor._wrap(jnp.zeros((0,), _dtype.get_default_dtype().np))
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): expected a Tensor as data, got {type(data).__name__}")
        self = object.__new__(cls)
        self._init_fields(data.detach()._data)
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        arr = self._data
        if _is_tracer(arr):
            return "Parameter containing:\n" + Tensor.__repr__(self)
        vals = np.asarray(arr.astype(jnp.float32) if arr.dtype == _dtype.bfloat16.np else arr)
        dev = self.device
        return _tensor_str.format_tensor(
            vals, self.dtype.name, default_dtype_name=_dtype.get_default_dtype().name,
            device=None if dev.type == "cpu" else str(dev), requires_grad=self._rg,
            prefix="Parameter containing:\ntensor(")

    __str__ = __repr__


class Buffer(Tensor):
    """torchlike implementation of :class:`torch.nn.Buffer`: marks a tensor assigned to a Module
    attribute as a buffer (``persistent`` says whether it goes into ``state_dict``). Like torch,
    registering it stores the plain tensor, not the Buffer."""

    __slots__ = ()

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor._wrap(jnp.zeros((0,), _dtype.get_default_dtype().np))
        self = object.__new__(cls)
        self._init_fields(data.detach()._data)
        self._rg = data._rg
        self.__dict__["persistent"] = persistent
        return self

    def __init__(self, data=None, *, persistent: bool = True) -> None:
        pass


def _flatten_param(p: Parameter):
    return (p._data,), p._rg


def _unflatten_param(requires_grad, children):
    p = object.__new__(Parameter)
    p._init_fields(children[0])
    p._rg = requires_grad
    return p


jax.tree_util.register_pytree_node(Parameter, _flatten_param, _unflatten_param)
