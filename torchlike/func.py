"""torchlike implementation of :mod:`torch.func`: composable transforms, run by JAX's.

Every transform turns its torchlike function into a function of raw arrays (the Tensors in the
arguments become arrays, the function sees fresh Tensors around JAX's tracers and runs its torchlike
code; the Tensors it returns become arrays), applies the JAX transform (``jax.grad``, ``jax.vmap``,
``jax.jacrev``, ...) and wraps the arrays in the result as Tensors again. Transforms therefore
compose (``vmap(grad(f))``, ``jacfwd(jacrev(f))``) and nest inside ``torchlike.compile``.

Also here: :func:`functional_call`, :func:`stack_module_state`, and JAX interop (:func:`from_jax`,
:func:`to_jax`).
"""

from __future__ import annotations

import contextlib
import functools

import jax
import jax.numpy as jnp

from ._random import Generator, default_generator
from ._tensor import Tensor

__all__ = ["from_jax", "functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev",
           "jvp", "stack_module_state", "to_jax", "vjp", "vmap"]


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def _unwrap(tree):
    """Tensors in ``tree`` replaced by their arrays."""
    return jax.tree_util.tree_map(lambda x: x._data if isinstance(x, Tensor) else x, tree,
                                  is_leaf=_is_tensor)


def _wrap(tree):
    """Arrays (and tracers) in ``tree`` replaced by Tensors."""
    return jax.tree_util.tree_map(
        lambda x: Tensor._wrap(x) if isinstance(x, (jax.Array, jax.core.Tracer)) else x, tree,
        is_leaf=_is_tensor)


def _array_fn(func, kwargs, name, has_aux=False, check=None):
    """``func`` as a function of arrays: arguments wrapped as Tensors, Tensor outputs unwrapped."""
    def f(*arrs):
        out = func(*_wrap(arrs), **kwargs)
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(f"{name}: output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            out, aux = out
            if check is not None:
                check(out)
            return _unwrap(out), _unwrap(aux)
        if check is not None:
            check(out)
        return _unwrap(out)
    return f


def _check_argnums(argnums, n, name):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise RuntimeError(f"{name}: argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"{name}: argnums must be int or Tuple[int, ...], got: "
                               f"{type(argnums)}")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnums={a}, but only {n} positional inputs")


def _check_float_inputs(args, argnums, name):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    for a in nums:
        for leaf in jax.tree_util.tree_leaves(args[a], is_leaf=_is_tensor):
            if not isinstance(leaf, Tensor):
                raise RuntimeError(f"{name}(f)(*args): Expected argnums to point to Tensors, got "
                                   f"{type(leaf)}")
            if not (leaf.is_floating_point() or leaf.is_complex()):
                raise RuntimeError("only Tensors of floating point dtype can require gradients")


def _scalar_check(name):
    def check(out):
        if not isinstance(out, Tensor):
            raise RuntimeError(f"{name}(f)(*args): Expected f(*args) to return a Tensor, got "
                               f"{type(out)}")
        if out.ndim != 0:
            raise RuntimeError(f"{name}(f)(*args): Expected f(*args) to return a scalar Tensor, "
                               f"got tensor with {out.ndim} dims. Maybe you wanted to use the "
                               "vjp or jacrev APIs instead?")
    return check


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """torchlike implementation of :func:`torch.func.grad_and_value`."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _check_argnums(argnums, len(args), "grad_and_value")
        _check_float_inputs(args, argnums, "grad_and_value")
        f = _array_fn(func, kwargs, "grad_and_value(f)(*args)", has_aux,
                      _scalar_check("grad_and_value"))

        def with_value(*arrs):
            out = f(*arrs)
            return (out[0], out) if has_aux else (out, out)
        g, value = jax.grad(with_value, argnums=argnums, has_aux=True)(*_unwrap(args))
        return _wrap(g), _wrap(value)
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """torchlike implementation of :func:`torch.func.grad`."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """torchlike implementation of :func:`torch.func.vjp`: ``(output, vjp_fn[, aux])``, where
    ``vjp_fn(cotangents)`` returns one gradient per primal (a tuple)."""
    f = _array_fn(func, {}, "vjp(f, *primals)", has_aux)
    res = jax.vjp(f, *_unwrap(primals), has_aux=has_aux)
    out, pullback = res[0], res[1]

    def vjp_fn(cotangents):
        return _wrap(tuple(pullback(_unwrap(cotangents))))
    if has_aux:
        return _wrap(out), vjp_fn, _wrap(res[2])
    return _wrap(out), vjp_fn


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """torchlike implementation of :func:`torch.func.jvp`: ``(output, jvp_out[, aux])``."""
    if strict:
        raise RuntimeError("torch.func.jvp(f, primals, tangents, strict=True): strict=True is not "
                           "implemented")
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the "
                           "same python structure. For example, if primals is a tuple of 3 "
                           "tensors, tangents also must be. Got primals with structure "
                           f"{jax.tree_util.tree_structure(primals, is_leaf=_is_tensor)} and "
                           "tangents with structure "
                           f"{jax.tree_util.tree_structure(tangents, is_leaf=_is_tensor)}")
    f = _array_fn(func, {}, "jvp(f, primals, tangents)", has_aux)
    res = jax.jvp(f, _unwrap(primals), _unwrap(tangents), has_aux=has_aux)
    return tuple(_wrap(r) for r in res)


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False):
    """torchlike implementation of :func:`torch.func.jacrev` (``chunk_size`` must be None: the
    whole Jacobian is computed by one vmapped pullback)."""
    return _jac(jax.jacrev, "jacrev", func, argnums, has_aux, chunk_size)


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """torchlike implementation of :func:`torch.func.jacfwd`."""
    _check_randomness(randomness)
    return _jac(jax.jacfwd, "jacfwd", func, argnums, has_aux, None)


def _jac(transform, name, func, argnums, has_aux, chunk_size):
    if chunk_size is not None:
        raise NotImplementedError(f"torchlike.func.{name}: chunk_size is not supported (the "
                                  "Jacobian is computed in one batch); pass chunk_size=None")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _check_argnums(argnums, len(args), name)
        f = _array_fn(func, kwargs, f"{name}(f)(*args)", has_aux)
        return _wrap(transform(f, argnums=argnums, has_aux=has_aux)(*_unwrap(args)))
    return wrapper


def hessian(func, argnums=0):
    """torchlike implementation of :func:`torch.func.hessian` (``jacfwd(jacrev(func))``)."""
    return jacfwd(jacrev(func, argnums), argnums)


# -- vmap ------------------------------------------------------------------------------------------

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either use "
                 "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                 "operation out of vmap")


class _NoRandomGenerator(Generator):
    """The default generator's class inside ``vmap(randomness='error')``: drawing raises."""

    @property
    def _k(self):  # (Generator._key reads _k too)
        raise RuntimeError(_RANDOM_ERROR)

    @_k.setter
    def _k(self, value):
        raise RuntimeError(_RANDOM_ERROR)


def _check_randomness(randomness):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


@contextlib.contextmanager
def _rng_mode(randomness, key):
    """Inside a vmapped function: forbid randomness, or draw from ``key`` (batched for
    'different', shared for 'same')."""
    gen = default_generator
    if randomness == "error":
        cls = gen.__class__
        gen.__class__ = _NoRandomGenerator
        try:
            yield
        finally:
            gen.__class__ = cls
        return
    saved = gen.__dict__["_k"]
    gen.__dict__["_k"] = key
    try:
        yield
    finally:
        gen.__dict__["_k"] = saved


def _broadcast_dims(dims, tree, what):
    """``dims`` (an int/None, or a pytree prefix of ``tree``) as one entry per Tensor-leaf."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(jax.tree_util.tree_leaves(tree, is_leaf=_is_tensor))
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)):
        if len(dims) != len(tree):
            raise ValueError(f"vmap({what}): expected {what} to be an int or a pytree prefix of "
                             f"the inputs with matching length, got {len(dims)} entries for "
                             f"{len(tree)} inputs")
        return [d for sub_d, sub_t in zip(dims, tree) for d in _broadcast_dims(sub_d, sub_t, what)]
    if isinstance(dims, dict) and isinstance(tree, dict):
        return [d for k in tree for d in _broadcast_dims(dims[k], tree[k], what)]
    raise ValueError(f"vmap: {what}={dims!r} is not compatible with the structure of the inputs")


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """torchlike implementation of :func:`torch.func.vmap` (``chunk_size`` must be None).

    Random operations inside draw from the default Generator: ``'same'`` gives every batch element
    the same sample, ``'different'`` one independent key per element."""
    _check_randomness(randomness)
    if chunk_size is not None:
        raise NotImplementedError("torchlike.func.vmap: chunk_size is not supported (the whole "
                                  "batch is vectorized at once); pass chunk_size=None")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not isinstance(in_dims, (int, tuple, list, dict)):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected "
                             "`in_dims` to be int or a (potentially nested) tuple matching the "
                             f"structure of inputs, got: {type(in_dims)}.")
        dims = _broadcast_dims(tuple(in_dims) if isinstance(in_dims, list) else in_dims, args,
                               "in_dims")
        leaves, treedef = jax.tree_util.tree_flatten(args, is_leaf=_is_tensor)
        idx, axes, sizes = [], [], set()
        for i, (v, d) in enumerate(zip(leaves, dims)):
            if not isinstance(v, Tensor):
                if d is not None:
                    raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                                     f"in_dim={d} for an input but the input is of type "
                                     f"{type(v)}. We cannot vmap over non-Tensor arguments, "
                                     "please use None as the respective in_dim")
                continue
            if d is not None:
                if not -max(v.ndim, 1) <= d < max(v.ndim, 1) or v.ndim == 0:
                    raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                                     f"in_dim={d} for some input, but that input is a Tensor of "
                                     f"dimensionality {v.ndim} so expected in_dim to satisfy "
                                     f"-{v.ndim} <= in_dim < {v.ndim}.")
                sizes.add(v.shape[d])
            idx.append(i)
            axes.append(d)
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        batch = sizes.pop()
        key, key_axis = None, None
        if randomness == "different":
            keys = jax.random.split(default_generator._key, batch + 1)
            default_generator._key, key, key_axis = keys[0], keys[1:], 0
        elif randomness == "same":
            key = jnp.asarray(default_generator._key)

        def f(arrs, k):
            full = list(leaves)
            for i, a in zip(idx, arrs):
                full[i] = Tensor._wrap(a)
            with _rng_mode(randomness, k):
                out = func(*jax.tree_util.tree_unflatten(treedef, full), **kwargs)
                new_key = None if randomness != "same" else jnp.asarray(default_generator._key)
            for leaf in jax.tree_util.tree_leaves(out, is_leaf=_is_tensor):
                if not isinstance(leaf, Tensor):
                    raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                                     f"Tensors, got type {type(leaf)}. Did you mean to set "
                                     "out_dims= to None for output?")
            return _unwrap(out), new_key
        out, new_key = jax.vmap(f, in_axes=(axes, key_axis), out_axes=(out_dims, None),
                                axis_size=batch)([leaves[i]._data for i in idx], key)
        if new_key is not None:
            default_generator._key = new_key
        return _wrap(out)
    return wrapper


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


# -- modules as functions --------------------------------------------------------------------------

def _owner(module, name):
    *path, leaf = name.split(".")
    m = module
    for p in path:
        m = m._modules.get(p) if p in m._modules else None
        if m is None:
            return None, leaf
    return m, leaf


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """torchlike implementation of :func:`torch.func.functional_call`: runs ``module`` with the
    given tensors in place of its parameters and buffers (restored afterwards)."""
    if isinstance(parameter_and_buffer_dicts, dict):
        values = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        values = {}
        for d in parameter_and_buffer_dicts:
            dup = set(values) & set(d)
            if dup:
                raise ValueError(f"{sorted(dup)} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            values.update(d)
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    names = {}  # name -> original tensor (every name, tied ones included)
    for n, t in module.named_parameters(remove_duplicate=False):
        names[n] = t
    for n, t in module.named_buffers(remove_duplicate=False):
        names[n] = t
    if tie_weights:
        by_obj: dict = {}
        for n, t in names.items():
            by_obj.setdefault(id(t), []).append(n)
        for group in by_obj.values():
            given = [n for n in group if n in values]
            if len(group) > 1 and given:
                if any(values[n] is not values[given[0]] for n in given[1:]):
                    raise ValueError(f"functional_call got multiple values for keys {given}, "
                                     "which are tied. Consider using tie_weights=False")
                for n in group:
                    values.setdefault(n, values[given[0]])
    if strict:
        missing = sorted(set(names) - set(values))
        unexpected = sorted(set(values) - set(names))
        if missing or unexpected:
            msg = "Error(s) in reparametrizing for {}:\n".format(type(module).__name__)
            if unexpected:
                msg += "\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".\n"
            if missing:
                msg += "\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".\n"
            raise RuntimeError(msg)
    swapped = []
    try:
        for name, value in values.items():
            owner, leaf = _owner(module, name)
            if owner is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
            for reg in (owner._parameters, owner._buffers):
                if leaf in reg:
                    swapped.append((reg, leaf, reg[leaf]))
                    reg[leaf] = value
                    break
            else:
                swapped.append((owner.__dict__, leaf, owner.__dict__.get(leaf, _MISSING)))
                owner.__dict__[leaf] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for reg, leaf, old in reversed(swapped):
            if old is _MISSING:
                del reg[leaf]
            else:
                reg[leaf] = old


_MISSING = object()


def stack_module_state(models):
    """torchlike implementation of :func:`torch.func.stack_module_state`: ``(params, buffers)``
    with each entry stacked along a new leading dimension (stacked parameters are new leaves that
    require grad as the originals do)."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval "
                           "mode.")
    kinds = {type(m) for m in models}
    if len(kinds) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class, got: "
                           f"{kinds}")

    def stack(named):
        out = {}
        for name, first in named(models[0]):
            t = Tensor._wrap(jnp.stack([dict(named(m))[name]._data for m in models]))
            t._rg = first._rg
            out[name] = t
        return out
    return (stack(lambda m: m.named_parameters()), stack(lambda m: m.named_buffers()))


# -- JAX interop -----------------------------------------------------------------------------------

def from_jax(array) -> Tensor:
    """A Tensor holding a JAX array (no copy; also accepts numpy arrays). The reverse is
    ``jnp.asarray(tensor)`` (``Tensor.__jax_array__``)."""
    return Tensor._wrap(jnp.asarray(array))


def to_jax(module):
    """``(params, apply_fn)`` for JAX/optax users: ``params`` maps each parameter and buffer name to
    its JAX array, and ``apply_fn(params, *args, **kwargs)`` runs the module with those arrays
    (JAX arrays in, JAX arrays out; it is pure, so ``jax.jit``/``jax.grad`` apply). Random ops in
    the module draw from the default Generator's key as it is when ``apply_fn`` is traced."""
    params = {n: t._data for n, t in module.named_parameters()}
    params.update({n: t._data for n, t in module.named_buffers()})

    def apply_fn(params, *args, **kwargs):
        gen = default_generator
        key = gen._key
        try:
            out = functional_call(module, _wrap(params), _wrap(args), _wrap(kwargs))
        finally:
            gen._key = key
        return _unwrap(out)
    return params, apply_fn
