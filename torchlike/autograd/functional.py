"""torchlike implementation of :mod:`torch.autograd.functional`: jacobian, hessian, vjp, jvp, hvp,
vhp.

Built on :func:`torchlike.autograd.grad` (reverse mode through the recorded graph), so
``create_graph=True`` works everywhere and the results are differentiable again:

- ``jacobian`` runs one backward per output element (torch's ``vectorize=False`` reverse mode);
  ``vectorize=True`` and ``strategy="forward-mode"`` are not supported.
- ``jvp`` uses the double-backward trick (a vjp is linear in its cotangent; differentiating it with
  respect to that cotangent gives the jvp), as torch does.
- ``hvp`` and ``vhp`` compute the same product: the Hessian of a scalar function is symmetric, so
  ``H @ v == v @ H``; torchlike computes both as a vjp of the gradient (one backward fewer than
  torch's ``hvp``; values agree up to float rounding).
"""

from __future__ import annotations

import jax.numpy as jnp

from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


def _as_tuple(x, what, fn_name):
    """``(was_tuple, tuple_of_tensors)``; raises torch's TypeError for non-Tensor entries."""
    Tensor = _tensor_cls()
    if isinstance(x, Tensor):
        return False, (x,)
    if not isinstance(x, tuple):
        x = tuple(x) if isinstance(x, list) else x
    if not isinstance(x, tuple):
        raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of "
                        f"Tensors but the given {what} has type {type(x)}.")
    for i, el in enumerate(x):
        if not isinstance(el, Tensor):
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple "
                            f"of Tensors but the value at index {i} has type {type(el)}.")
    return True, x


def _unpack(res, was_tuple):
    return res if was_tuple else res[0]


def _prep_inputs(inputs, create_graph):
    """Fresh tensors that require grad (with ``create_graph``, still connected to the caller's)."""
    return tuple(inp.view_as(inp) if create_graph and inp.requires_grad
                 else inp.detach().requires_grad_(True) for inp in inputs)


def _post(ts, create_graph):
    return tuple(t if t is None or create_graph else t.detach() for t in ts)


def _validate_v(v, other, was_tuple):
    if len(v) != len(other):
        if was_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            pre = f"Entry {i} in " if was_tuple else ""
            raise RuntimeError(f"{pre}v has invalid size: should be {b.shape} but got {a.shape}.")


def _vgrad(outputs, inputs, grad_outputs, create_graph):
    """``autograd.grad`` over the outputs that require grad; None where an input is unused."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs or (None,) * len(outputs))
             if o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs = [o for o, _ in pairs]
    gos = [g for _, g in pairs]
    return _grad(outs, list(inputs), gos if grad_outputs is not None else None,
                 retain_graph=True, create_graph=create_graph, allow_unused=True)


def _fill_zeros(grads, like, strict, what):
    from .._creation import zeros_like
    res = []
    for i, (g, ref) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {what} for the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode.")
            g = zeros_like(ref)
        res.append(g)
    return tuple(res)


def _call(func, inputs, fn_name):
    out = func(*inputs)
    return _as_tuple(out, "outputs of the user-provided function", fn_name)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """torchlike implementation of :func:`torch.autograd.functional.vjp`."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prep_inputs(inputs, create_graph)
        out_tuple, outputs = _call(func, inputs, "vjp")
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            _validate_v(v, outputs, out_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        grads = _vgrad(outputs, inputs, v, create_graph)
        res = _fill_zeros(grads, inputs, strict, "output")
    return (_unpack(_post(outputs, create_graph), out_tuple),
            _unpack(_post(res, create_graph), in_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """torchlike implementation of :func:`torch.autograd.functional.jvp`."""
    from .._creation import zeros_like
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prep_inputs(inputs, create_graph)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            _validate_v(v, inputs, in_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        out_tuple, outputs = _call(func, inputs, "jvp")
        # The double-backward trick: u -> vjp(u) is linear, so d vjp(u) / du applied to v is J v.
        dummies = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        back = _vgrad(outputs, inputs, dummies, True)
        pairs = [(b, w) for b, w in zip(back, v if v is not None else (None,)) if b is not None]
        if pairs:
            res = _grad([b for b, _ in pairs], list(dummies),
                        [w for _, w in pairs] if v is not None else None,
                        retain_graph=True, create_graph=create_graph, allow_unused=True)
        else:
            res = (None,) * len(outputs)
        res = _fill_zeros(res, outputs, strict, "jvp")
    return (_unpack(_post(outputs, create_graph), out_tuple),
            _unpack(_post(res, create_graph), out_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """torchlike implementation of :func:`torch.autograd.functional.jacobian` (reverse mode, one
    backward per output element; ``vectorize=True`` and forward mode are not supported)."""
    if vectorize:
        raise NotImplementedError("torchlike.autograd.functional.jacobian: vectorize=True is not "
                                  "supported; use torchlike.func.jacrev / jax.jacrev instead")
    if strategy != "reverse-mode":
        raise NotImplementedError(f"torchlike.autograd.functional.jacobian: strategy={strategy!r} "
                                  f"is not supported (only 'reverse-mode')")
    from .. import stack, zeros_like
    Tensor = _tensor_cls()
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prep_inputs(inputs, create_graph)
        out_tuple, outputs = _call(func, inputs, "jacobian")
        jac = []
        for i, out in enumerate(outputs):
            n = out.numel()
            rows = [[] for _ in inputs]
            for k in range(n):
                onehot = Tensor._wrap(jnp.zeros(n, out._arr.dtype).at[k].set(1).reshape(
                    out._arr.shape))
                grads = _vgrad((out,), inputs, (onehot,), create_graph)
                for j, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is "
                                               f"independent of input {j}. This is not allowed "
                                               f"in strict mode.")
                        g = zeros_like(inp)
                    rows[j].append(g)
            per_in = []
            for j, inp in enumerate(inputs):
                shape = tuple(out.shape) + tuple(inp.shape)
                block = (stack(rows[j]).reshape(shape) if n else
                         Tensor._wrap(jnp.zeros(shape, inp._arr.dtype)))
                per_in.append(block if create_graph else block.detach())
            jac.append(_unpack(tuple(per_in), in_tuple))
    return _unpack(tuple(jac), out_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """torchlike implementation of :func:`torch.autograd.functional.hessian` (the jacobian of the
    gradient; ``vectorize=True`` and forward mode are not supported)."""
    Tensor = _tensor_cls()
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_out(*inp):
        out = func(*inp)
        if not isinstance(out, Tensor):
            raise RuntimeError(  # noqa: TRY004 - torch's exception class
                "The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.reshape(())

    def grad_fn(*inp):
        return jacobian(scalar_out, inp, create_graph=True, strict=strict)

    res = jacobian(grad_fn, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    if in_tuple:
        return res
    return res[0][0]


def _second_order(func, inputs, v, create_graph, strict, fn_name):
    Tensor = _tensor_cls()
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = _prep_inputs(inputs, create_graph)
        if v is not None:
            _, v = _as_tuple(v, "v", fn_name)
            _validate_v(v, inputs, in_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        out_tuple, outputs = _call(func, inputs, fn_name)
        if out_tuple or not isinstance(outputs[0], Tensor):
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                               f"contain a single element")
        jac = _vgrad(outputs, inputs, None, True)
        pairs = [(g, w) for g, w in zip(jac, v if v is not None else (None,) * len(jac))
                 if g is not None and g.requires_grad]
        if pairs:
            res = _grad([g for g, _ in pairs], list(inputs),
                        [w for _, w in pairs] if v is not None else None,
                        retain_graph=True, create_graph=create_graph, allow_unused=True)
        else:
            res = (None,) * len(inputs)
        res = _fill_zeros(res, inputs, strict, "hessian")
    return (_post(outputs, create_graph)[0], _unpack(_post(res, create_graph), in_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """torchlike implementation of :func:`torch.autograd.functional.vhp`."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """torchlike implementation of :func:`torch.autograd.functional.hvp` (computed as ``v @ H``,
    equal to ``H @ v`` because the Hessian of a scalar function is symmetric)."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")
