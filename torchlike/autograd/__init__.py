"""torchlike.autograd: backward, grad, Function, grad modes."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._device import place_like
from . import function  # noqa: F401
from .function import Function
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,  # noqa: F401
                        set_grad_enabled)
from .graph import Node, _tensor_cls, run_backward

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "Function", "Node"]


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, _tensor_cls()):
        return [x]
    return list(x)


def _roots_and_grads(tensors, grad_tensors, create_graph):
    Tensor = _tensor_cls()
    from .._ops.registry import _edge
    roots, grads = [], []
    for i, t in enumerate(tensors):
        g = grad_tensors[i] if grad_tensors is not None and i < len(grad_tensors) else None
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               f"grad_fn")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not (t.dtype.is_floating_point):
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs "
                                   f"but got {t.dtype}")
            g = Tensor._wrap(place_like(_ones(t._a.shape, t._a.dtype), t._a))
        elif not isinstance(g, Tensor):
            from .._creation import tensor
            g = tensor(g, dtype=t.dtype)
        if g.shape != t.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                               f"output[{i}] has a shape of {t.shape}.")
        roots.append(_edge(t))
        if create_graph:
            grads.append(g)
        else:
            ga = g._data
            grads.append(ga if ga.dtype == t._a.dtype else ga.astype(t._a.dtype))
    return roots, grads


_ONES: dict = {}


def _ones(shape, dtype):
    """Cached ``ones`` seeds for implicit scalar gradients (an eager jnp.ones costs ~20 µs)."""
    key = (shape, dtype)
    a = _ONES.get(key)
    if a is None:
        with jax.ensure_compile_time_eval():  # concrete even while tracing: cached for later
            a = _ONES[key] = jnp.ones(shape, dtype)
    return a


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None) -> None:
    """torchlike implementation of :func:`torch.autograd.backward`."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _roots_and_grads(tensors, grad_tensors, create_graph)
    if inputs is not None:
        from .._ops.registry import _edge
        ins = _as_list(inputs)
        if not ins:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        res = run_backward(roots, grads, retain_graph=retain_graph, create_graph=create_graph,
                           inputs=[_edge(t) for t in ins], accumulate=False)
        from .graph import _accumulate_leaf
        for t, g in zip(ins, res):
            if g is not None:
                _accumulate_leaf(t, g if create_graph else g._arr, create_graph)
        return
    run_backward(roots, grads, retain_graph=retain_graph, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torchlike implementation of :func:`torch.autograd.grad`."""
    from .._ops.registry import _edge
    if is_grads_batched:
        raise NotImplementedError("torchlike.autograd.grad: is_grads_batched=True is not supported "
                                  "yet; use torchlike.func.vmap over grad instead")
    outputs = _as_list(outputs)
    ins = _as_list(inputs)
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    roots, grads = _roots_and_grads(outputs, _as_list(grad_outputs), create_graph)
    res = run_backward(roots, grads, retain_graph=retain_graph, create_graph=create_graph,
                       inputs=[_edge(t) for t in ins], allow_unused=allow_unused,
                       accumulate=False)
    if materialize_grads:
        from .._creation import zeros_like
        res = [zeros_like(t) if g is None else g for t, g in zip(ins, res)]
    return tuple(res)


from . import functional  # noqa: E402,F401  (needs grad, defined above)
