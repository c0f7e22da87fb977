"""torchlike implementation of :class:`torch.optim.Optimizer`: torch's API, one jitted optax update.

The Python side is torch's: ``param_groups`` (dicts with every hyperparameter filled from
``defaults``), ``state`` (a dict keyed by parameter Tensor holding torch's per-parameter Tensors,
e.g. Adam's ``step``/``exp_avg``/``exp_avg_sq``), ``state_dict``/``load_state_dict`` in torch's
layout, ``zero_grad``, step hooks and torch's validation messages.

The update is an optax ``GradientTransformation`` that each optimizer builds in ``_transform``:
optax's own transforms where their math equals torch's (``scale(-1)`` for ``maximize``,
``add_decayed_weights`` for L2 decay, ``scale_by_learning_rate``) and one :func:`per_param` rule
written in torch's operation order, whose state *is* torch's per-parameter dict (empty until the
first step, as torch creates state lazily). :meth:`Optimizer.step` runs ONE ``jax.jit`` program per
parameter group over the pytree ``(hyperparameters, params, grads, state)``. Hyperparameters are
read from ``param_groups`` at every step and enter as traced scalars (like
``optax.inject_hyperparams``), so a scheduler or a hand edit of ``group['lr']`` takes effect at the
next step without recompiling; only flags that change the program (``amsgrad``, ``nesterov``,
``weight_decay != 0``, ...) are part of the cache key. The new arrays are then written into the
parameters and state Tensors in place (version counters bump, views see the change).
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import _dtype, _lazy
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..nn.modules.module import STRUCTURE

__all__ = ["Optimizer", "register_optimizer_step_post_hook", "register_optimizer_step_pre_hook"]


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()
_PROGRAMS: dict = {}
# {id(group): hyperparameters} set by torchlike.compile while it traces a step: the values are jit
# inputs (tracers), so a scheduler's new lr needs no recompilation.
TRACED_HYPER: dict = {}
# NOTE: EXACT=True reproduces torch's eager CPU rounding (float64 emulation of ATen's FMA kernels,
# see fma/_wide); torchlike.compile sets it False while it traces a step, as torch.compile's
# generated kernels also round differently from eager: plain float32 arithmetic, ~2x faster.
EXACT = True


class _RemovableHandle:
    """A handle that removes a registered hook (as ``torch.utils.hooks.RemovableHandle``)."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict: OrderedDict) -> None:
        self.hooks_dict = hooks_dict
        self.id = next(self._next_id)

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)
        STRUCTURE[0] += 1  # (a compiled step that traced the hooks must look again)

    def __enter__(self) -> _RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _register(hooks_dict: OrderedDict, hook: Callable) -> _RemovableHandle:
    handle = _RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = hook
    STRUCTURE[0] += 1
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> _RemovableHandle:
    """torchlike implementation of
    :func:`torch.optim.optimizer.register_optimizer_step_pre_hook`."""
    return _register(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> _RemovableHandle:
    """torchlike implementation of
    :func:`torch.optim.optimizer.register_optimizer_step_post_hook`."""
    return _register(_global_post_hooks, hook)


def _typename(obj) -> str:
    """``torch.typename``: ``torch.FloatTensor`` for Tensors, the qualified type name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module, qualname = type(obj).__module__ or "", type(obj).__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _scalar_dtype():
    """torch's ``_get_scalar_dtype()``: the dtype of ``state['step']`` (float32, or float64 when
    that is the default dtype)."""
    return np.dtype(np.float64) if _dtype.get_default_dtype() is _dtype.float64 else np.dtype(
        np.float32)


def check_impl_flags(foreach, fused, differentiable) -> None:
    """torch's checks on the implementation flags, and the one flag that changes the math here.

    ``foreach``/``fused``/``capturable`` are accepted and ignored: the update is always one fused
    XLA program. ``differentiable=True`` (autograd through ``step``) is not supported."""
    if differentiable:
        raise NotImplementedError(
            "torchlike.optim: differentiable=True is not supported: the update runs as one "
            "compiled XLA program outside autograd. Use differentiable=False (the default).")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def check_tensor_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def check_lr(lr) -> None:
    check_tensor_lr(lr)
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_betas(betas) -> None:
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def check_nonnegative(what: str, value) -> None:
    """torch's ``Invalid <what> value: <value>`` (``what``: e.g. ``epsilon``, ``weight_decay``)."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what} value: {value}")


# -- the update as optax transforms ----------------------------------------------------------------

class PerParam(optax.GradientTransformation):
    """An optax transform applying a torch-style rule to each parameter separately.

    ``rule(grad, param, state) -> (update, new_state)`` where ``state`` is the parameter's dict in
    torch's layout (``{}`` before its first step: ``init`` returns empty dicts because torch creates
    optimizer state lazily, so e.g. SGD's first momentum buffer is the gradient itself).
    """


class SetParams(PerParam):
    """A :func:`per_param` rule that returns the new parameter instead of an update: for rules
    whose later state reads the updated parameter (ASGD's average) or that update it in two
    rounded steps as torch does (``param.mul_(1 - lr * wd)`` then ``param.add_(u, alpha=-lr)``)."""


def per_param(rule: Callable, sets_params: bool = False) -> PerParam:
    def init(params):
        return [{} for _ in params]

    def update(updates, state, params=None):
        out = [rule(g, p, s) for g, p, s in zip(updates, params, state)]
        return [u for u, _ in out], [s for _, s in out]
    return (SetParams if sets_params else PerParam)(init, update)


class ScaleByLR(optax.GradientTransformation):
    """``optax.scale_by_learning_rate`` as the last transform of a chain, applied fused with the
    parameter update: torch's ``param.add_(d, alpha=-lr)`` is one FMA (``p + (-lr * d)`` rounds
    twice and the difference grows through adaptive denominators)."""


def scale_by_learning_rate(lr) -> ScaleByLR:
    t = optax.scale_by_learning_rate(lr)
    return ScaleByLR(t.init, t.update)


def cast(x, like):
    """A scalar computed in float64 (torch computes step sizes in Python floats) cast to ``like``'s
    dtype, as torch casts a Python scalar to the tensor's dtype."""
    return jnp.asarray(x).astype(like.dtype)


def fma(a, b, c):
    """``a * b + c`` rounded once, as ATen's vectorized CPU kernels (``lerp``, ``addcmul``,
    ``add(alpha=)``) compute it with FMA instructions (XLA has no fma primitive; the float32
    product is exact in float64)."""
    w, dt = _wide(a, b, c)
    return a * b + c if w is None else (w[0] * w[1] + w[2]).astype(dt)


def _wide(*xs):
    """The operands in float64 when the result is float32 or narrower (else None): one float64
    +, * or / of two float32s rounded back to float32 is the correctly rounded float32 result, and
    XLA cannot rewrite it (it contracts ``a * b + c`` into an FMA and ``a / sqrt(b)`` into
    ``a * rsqrt(b)``, which torch's separate kernels do not)."""
    dt = jnp.result_type(*xs)
    if not EXACT or dt == jnp.float64 or not jnp.issubdtype(dt, jnp.floating):
        return None, dt
    return [_exact64(jnp.asarray(x)) for x in xs], dt


def _exact64(x):
    """``x`` in float64 holding exactly its rounded value: XLA otherwise computes e.g.
    ``convert(f32 a * b)`` as one float64 product, skipping the float32 rounding."""
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return x.astype(jnp.float64)
    fi = jnp.finfo(x.dtype)
    return jax.lax.reduce_precision(x.astype(jnp.float64), exponent_bits=fi.nexp,
                                    mantissa_bits=fi.nmant)


def add(a, b):
    """``a + b`` with both operands rounded first, as two torch kernels compute it."""
    w, dt = _wide(a, b)
    return a + b if w is None else (w[0] + w[1]).astype(dt)


def div(a, b):
    """``a / b`` correctly rounded (XLA may turn ``a / sqrt(b)`` into ``a * rsqrt(b)``)."""
    w, dt = _wide(a, b)
    return a / b if w is None else (w[0] / w[1]).astype(dt)


def lerp(start, end, weight):
    """torch's ``start.lerp_(end, weight)`` with a scalar weight: ATen's two-sided formula."""
    w = cast(weight, start)
    low = jnp.abs(w) < 0.5  # a scalar: choose the formula's operands, compute one FMA
    return fma(jnp.where(low, w, w - 1), end - start, jnp.where(low, start, end))


def addcmul(x, t1, t2, value):
    """torch's ``x.addcmul(t1, t2, value=v)``: ``fma(v * t1, t2, x)`` as ATen computes it."""
    return fma(cast(value, x) * t1, t2, x)


def step_count(s, p):
    """``state['step'] + 1`` (created as 0 on the first step) and its value as a float64 scalar,
    as torch reads it with ``.item()`` for the Python-float bias corrections."""
    step = s.get("step", jnp.zeros((), _scalar_dtype())) + 1
    return step, step.astype(jnp.float64)


def zeros(s, key, p):
    return s[key] if key in s else jnp.zeros_like(p)


def _program(cls, static):
    """One jitted update per (optimizer class, static flags); shapes/dtypes are JAX's cache key."""
    key = (cls, static, EXACT)
    fn = _PROGRAMS.get(key)
    if fn is None:
        def run(hp, params, grads, states):
            parts = cls._transform(hp, static)
            fused_lr = isinstance(parts[-1], ScaleByLR)
            if fused_lr:
                parts = parts[:-1]
            tx = optax.chain(*parts)
            state0 = tuple(states if isinstance(t, PerParam) else t.init(params) for t in parts)
            updates, new = tx.update(grads, state0, params)
            new_states = next(s for t, s in zip(parts, new) if isinstance(t, PerParam))
            if isinstance(parts[-1], SetParams):
                return updates, new_states
            if fused_lr:
                return [fma(cast(-hp["lr"], p), u, p) for p, u in zip(params, updates)], new_states
            # torch's param.add_/addcdiv_ round the update to the parameter's dtype, then add
            return [add(p, u) for p, u in zip(params, updates)], new_states
        # Parameters and state are donated: XLA updates them in place instead of allocating
        # (3x faster for a 10M-parameter Adam step here); see _owned for shared arrays.
        fn = _PROGRAMS[key] = jax.jit(run, donate_argnums=(1, 3))
    return fn


_FLAT: dict = {}
_HYPER_ARRAYS: dict = {}


def _pending_or_array(x):
    """A Tensor's array without running deferred work (a view's is recomputed); other values as
    they are."""
    if not isinstance(x, Tensor):
        return x
    return x._a if x._base is None else x._data


def _hyper_array(v):
    """A hyperparameter as a cached weakly typed array (a deferred op takes arrays; the same value
    gives the same array, which speculation then predicts; see ``_lazy``)."""
    v = _hyper_value(v)
    if v is None or isinstance(v, tuple):
        return v if v is None else tuple(_hyper_array(x) for x in v)
    key = (v, math.copysign(1.0, v))  # (-0.0 == 0.0 as a dict key)
    a = _HYPER_ARRAYS.get(key)
    if a is None:
        if len(_HYPER_ARRAYS) > 4096:
            _HYPER_ARRAYS.clear()
        with jax.ensure_compile_time_eval():
            a = _HYPER_ARRAYS[key] = jnp.asarray(v)  # (weakly typed, as the Python float is)
    return a


def _flat_program(cls, static, treedef):
    """``_program`` over a flat list of arrays (what a deferred op takes), returning a tuple;
    ``out[0]`` is the treedef of its ``(new_params, new_states)`` once it has been traced."""
    key = (cls, static, EXACT, treedef)
    hit = _FLAT.get(key)
    if hit is None:
        prog = _program(cls, static)
        out_tree = [None]

        def flat(*leaves):
            hp, params, grads, states = jax.tree_util.tree_unflatten(treedef, leaves)
            res = prog(hp, params, grads, states)  # (inlined: nothing is donated in a trace)
            out, out_tree[0] = jax.tree_util.tree_flatten(res)
            return tuple(out)
        hit = _FLAT[key] = (jax.jit(flat), out_tree)
        if len(_FLAT) > 512:
            _FLAT.clear()
    return hit


def _owned(t: Tensor):
    """``t``'s array, to be donated to the update: a copy when anything besides ``t`` holds it (a
    detached alias, a retained graph, the caller), since donation deletes the buffer."""
    a = t._data
    if isinstance(a, jax.core.Tracer):
        return a
    # NOTE: 3 references = t's slot, the local name ``a`` and getrefcount's argument.
    return a if sys.getrefcount(a) <= 3 else jnp.copy(a)


def _hyper_value(v):
    """A group hyperparameter as a Python float (traced as a weakly typed scalar by ``jax.jit``, so
    it takes each parameter's dtype as a Python scalar does in torch); None stays None."""
    if v is None:
        return None
    if isinstance(v, (tuple, list)):
        return tuple(_hyper_value(x) for x in v)
    return float(v)


def _as_state_tensor(value, param, key):
    """torch's load-time policy: ``step`` keeps its dtype, float state takes the param's dtype."""
    if isinstance(value, dict):
        return {k: _as_state_tensor(v, param, k) for k, v in value.items()}
    if isinstance(value, list):  # LBFGS's histories
        return [_as_state_tensor(v, param, key) for v in value]
    if isinstance(value, Tensor):
        arr = value._data
    elif isinstance(value, (np.ndarray, np.generic, jax.Array)):
        arr = jnp.asarray(value)
    elif key == "step" and isinstance(value, (int, float)):
        arr = jnp.asarray(float(value), _scalar_dtype())
    else:
        return value
    if key != "step" and jnp.issubdtype(param._arr.dtype, jnp.floating):
        arr = arr.astype(param._arr.dtype)
    return Tensor._wrap(jnp.array(arr))


class Optimizer:
    """torchlike implementation of :class:`torch.optim.Optimizer`.

    Subclasses declare ``_hyper`` (group keys passed to the update as traced scalars),
    ``_state_keys`` (torch's order of the per-parameter state), ``_static(group)`` (the hashable
    flags that select the program) and ``_transform(hp, static)`` (a list of optax transforms, one
    of them a :func:`per_param` rule). ``foreach``/``fused``/``capturable`` are accepted and
    ignored.
    """

    _hyper: tuple[str, ...] = ()
    _state_keys: tuple[str, ...] = ()

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        self._patch_step_function()

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # -- step hooks -------------------------------------------------------------------------------
    def _patch_step_function(self) -> None:
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_step_hooks(cls.step)

    def register_step_pre_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, before ``step``."""
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None``, after ``step``."""
        return _register(self._optimizer_step_post_hooks, hook)

    # -- parameter groups -------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """torchlike implementation of :meth:`torch.optim.Optimizer.add_param_group`."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please "
                            "use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/issues/"
                          "40967 for more information", stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. cannot "
                                 f"add param group {which} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """torchlike implementation of :meth:`torch.optim.Optimizer.zero_grad`."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g._set_arr(jnp.zeros_like(g._data))

    # -- the update -------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None):
        """torchlike implementation of :meth:`torch.optim.Optimizer.step`: one jitted update per
        parameter group; parameters whose ``.grad`` is None are skipped."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        params = [p for p in group["params"] if p._grad is not None]
        if not params:
            return
        traced = TRACED_HYPER.get(id(group))
        if traced is None and _lazy.enabled():
            return self._step_group_deferred(group, params)
        _lazy.flush()  # deferred ops may read the buffers this update donates
        states = []
        for p in params:
            s = self._state_of(p, group)
            states.append({k: _owned(v) if isinstance(v, Tensor) else v for k, v in s.items()}
                          if s else {})
        hp = traced
        if hp is None:
            hp = {k: _hyper_value(group[k]) for k in self._hyper}
        fn = _program(type(self), self._static(group))
        new_params, new_states = fn(hp, [_owned(p) for p in params],
                                    [p._grad._data for p in params], states)
        self._write_back(params, new_params, new_states)

    def _state_of(self, p: Tensor, group: dict[str, Any]) -> dict:
        s = self.state.get(p)
        if not s:
            s = self._init_state(p, group)
            if s:
                self.state[p] = s
        return s or {}

    def _step_group_deferred(self, group: dict[str, Any], params: list) -> None:
        """The update as one deferred op (see ``_lazy``; CPU only): it joins the step's forward and
        backward in one XLA program, whose next run speculation can start at the step's first op.
        Nothing is donated here (a program's inputs stay valid); the arithmetic is the same."""
        states = [self._state_of(p, group) for p in params]
        hp = {k: _hyper_array(group[k]) for k in self._hyper}
        grads = [p._grad for p in params]
        # the arrays as they are (deferred ones stay deferred), and the Tensor each came from
        tree = (hp, params, grads, states)
        with_tensors = jax.tree_util.tree_leaves(tree, is_leaf=lambda x: isinstance(x, Tensor))
        srcs = [x if isinstance(x, Tensor) else None for x in with_tensors]
        leaves, treedef = jax.tree_util.tree_flatten(jax.tree_util.tree_map(
            _pending_or_array, tree, is_leaf=lambda x: isinstance(x, Tensor)))
        fn, out_tree = _flat_program(type(self), self._static(group), treedef)
        out = _lazy.record(fn, leaves, False, srcs if len(srcs) == len(leaves) else None)
        if out is None:
            arrs = _lazy.concrete(leaves)
            out = fn(*arrs)
            _lazy.learn(fn, arrs, out)
        new_params, new_states = jax.tree_util.tree_unflatten(out_tree[0], list(out))
        self._write_back(params, new_params, new_states)

    def _write_back(self, params, new_params, new_states) -> None:
        order = self._state_keys
        for p, arr, new in zip(params, new_params, new_states):
            p._set_arr(arr)
            if not new:
                continue
            s = self.state[p]
            for k in sorted(new, key=order.index):
                t = s.get(k)
                if isinstance(t, Tensor):
                    t._set_arr(new[k])
                else:
                    s[k] = Tensor._wrap(new[k])

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Tensor] | None:
        """State created eagerly before the first update (most optimizers create it in the rule)."""
        return None

    def _static(self, group: dict[str, Any]) -> tuple:
        raise NotImplementedError

    @staticmethod
    def _transform(hp: dict[str, Any], static: tuple) -> list[optax.GradientTransformation]:
        raise NotImplementedError

    # -- state dicts ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """torchlike implementation of :meth:`torch.optim.Optimizer.state_dict`: parameters are
        replaced by their index, in order of appearance across groups."""
        index: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torchlike implementation of :meth:`torch.optim.Optimizer.load_state_dict`.

        State values may be Tensors or numpy arrays (e.g. a torch ``state_dict`` converted with
        ``.numpy()``); they are copied, and floating ones cast to their parameter's dtype."""
        saved_groups = deepcopy(state_dict["param_groups"])
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        id_map = dict(zip(itertools.chain.from_iterable(g["params"] for g in saved_groups),
                          itertools.chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = _as_state_tensor(v, id_map[k], None)
            else:
                state[k] = v
        for group, new in zip(groups, saved_groups):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})


def _with_step_hooks(step):
    """Wrap a class's ``step`` so that global and per-instance step hooks run around it (torch)."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for hook in itertools.chain(_global_pre_hooks.values(),
                                    self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in itertools.chain(self._optimizer_step_post_hooks.values(),
                                    _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper
