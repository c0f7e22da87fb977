"""The op registry: the one funnel between Tensors and raw JAX functions.

An op is declared once, as a pure function over ``jax.Array``s with torch's signature::

    @op("input other", promote="all", method=True, inplace=True, dunder="add")
    def add(input, other, *, alpha=1):
        return input + other * alpha if alpha != 1 else input + other

The first argument names the parameters that take tensors (Tensors, Python numbers, None); every
other parameter is *static* (hashable: dims, shapes, flags) and becomes part of a cache key. From
the entry the registry generates ``torchlike.add``, ``Tensor.add``, ``Tensor.add_`` and the
dunders.

Per call, :func:`dispatch` unwraps the Tensors, and looks up one cached ``jax.jit`` per
(op, static arguments, argument kinds[, which inputs need grad]); JAX's own cache adds shapes and
dtypes. Torch's type promotion, shape checks and error messages run inside that function, i.e. only
at trace time, so the eager hot path is a few dict lookups and one jitted call. When an input
requires grad, the cached function returns ``(outputs, pullback)`` from ``jax.vjp`` (the pullback is
a pytree that leaves the jit) and dispatch records an autograd node. Because dispatch only calls
jitted functions on arrays, the same code runs when the arrays are tracers: ``torchlike.compile``
traces a whole training step through it.
"""

from __future__ import annotations

import collections
import inspect
import keyword

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._dtype import from_np, get_default_dtype, result_type_of, scalar_dtype
from ..autograd.grad_mode import STATE as GRAD_MODE
from .. import _lazy
from ..autograd.graph import AccumulateGrad, OpNode, op_node_class, torch_pullback

_PY_SCALARS = (bool, int, float, complex)
_PY_SCALAR_SET = frozenset(_PY_SCALARS)
_ENTRIES: dict[str, OpEntry] = {}
_Tensor = None  # set by torchlike._tensor
_autocast = None  # torchlike.amp sets a hook here while an autocast region is enabled
_LAZY = _lazy._STATE  # {"on": deferred execution enabled, ...}


_INEXACT = frozenset(np.dtype(d) for d in (np.float16, np.float32, np.float64, np.complex64,
                                            np.complex128, jnp.bfloat16))


def _inexact(dt) -> bool:
    return dt in _INEXACT


class OpEntry:
    """One registered op: the raw function, its parameter layout, and its jit caches."""

    __slots__ = ("name", "fn", "tensor_names", "static_names", "seq_names", "promote",
                 "differentiable", "saves", "view", "grad_name", "returns", "cache", "vjp_cache",
                 "node_cls", "__weakref__")

    def __init__(self, name, fn, tensor_names, static_names, seq_names, promote, differentiable,
                 saves, view, grad_name, returns):
        self.name, self.fn = name, fn
        self.tensor_names, self.static_names, self.seq_names = tensor_names, static_names, seq_names
        self.promote, self.differentiable, self.saves, self.view = (
            promote, differentiable, saves, view)
        self.grad_name, self.returns = grad_name, returns
        self.cache: dict = {}
        self.vjp_cache: dict = {}
        self.node_cls = None  # graph.op_node_class(grad_name), looked up at the first record

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    # -- building the traced function -------------------------------------------------------
    def impl(self, statics, kinds, layout, inplace):
        """The function that runs under ``jax.jit``: promotion, the raw op, the in-place cast."""
        fn, promote, names = self.fn, self.promote, self.static_names
        kw = dict(zip(names, statics))

        def run(*arrs):
            self_arr = arrs[0] if arrs else None  # before promotion: in-place keeps its dtype
            if promote is not None:
                arrs = (promote(arrs, kinds) if callable(promote)
                        else _promote(arrs, kinds, promote))
            if layout is not None:
                arrs = _unflatten(arrs, layout)
            out = fn(*arrs, **kw)
            if inplace:
                out = _inplace_result(self.name, self_arr, out)
            return out
        return run

    def build(self, key):
        statics, kinds, layout, inplace = key
        f = jax.jit(self.impl(statics, kinds, layout, inplace))
        self.cache[key] = f
        return f

    def build_vjp(self, key):
        statics, kinds, layout, inplace, diff_idx = key
        run = self.impl(statics, kinds, layout, inplace)

        def fwd(*arrs):
            def f(*d):
                full = list(arrs)
                for i, x in zip(diff_idx, d):
                    full[i] = x
                out = run(*full)
                outs = out if isinstance(out, tuple) else (out,)
                return tuple(o for o in outs if _inexact(o.dtype)), out
            _, pullback, out = jax.vjp(f, *[arrs[i] for i in diff_idx], has_aux=True)
            return out, pullback
        f = jax.jit(fwd)
        self.vjp_cache[key] = f
        return f


def _promote(arrs, kinds, mode):
    """Torch's type promotion over tensor operands and Python scalars ("wrapped numbers")."""
    dims, zero_dims, scalars = [], [], []
    for a, k in zip(arrs, kinds):
        if k == 0:
            (dims if a.ndim else zero_dims).append(from_np(a.dtype))
        elif k is not None:
            scalars.append(scalar_dtype(k(0)))
    rt = result_type_of(dims, zero_dims, scalars)
    if rt is None:
        return arrs
    if mode == "float" and not (rt.is_floating_point or rt.is_complex):
        rt = get_default_dtype()
    npdt = rt.np
    return tuple(a if k is None or a.dtype == npdt else a.astype(npdt)
                 for a, k in zip(arrs, kinds))


def _unflatten(arrs, layout):
    """Rebuild list-valued tensor parameters (``cat(tensors)``): layout[i] = -1 or a length."""
    out, i = [], 0
    for n in layout:
        if n < 0:
            out.append(arrs[i])
            i += 1
        else:
            out.append(list(arrs[i:i + n]))
            i += n
    return tuple(out)


def _inplace_result(name, self_arr, out):
    """An in-place op's result must keep ``self``'s shape and be castable to its dtype (torch)."""
    if out.shape != self_arr.shape:
        raise RuntimeError(f"output with shape {list(self_arr.shape)} doesn't match the broadcast "
                           f"shape {list(out.shape)}")
    src, dst = from_np(out.dtype), from_np(self_arr.dtype)
    if not _dtype.can_cast(src, dst):
        raise RuntimeError(f"result type {_type_name(src)} can't be cast to the desired output "
                           f"type {_type_name(dst)}")
    return out.astype(self_arr.dtype) if out.dtype != self_arr.dtype else out


def _type_name(d) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(
                d.name, d.name)


# -- Python scalars become cached device arrays (a jitted call with a Python float costs ~6 µs more)
_scalar_cache: dict = {}
_SCALAR_NP = {bool: np.bool_, int: np.int64, float: np.float64, complex: np.complex128}


def _scalar_array(v, t):
    key = (t, v)
    a = _scalar_cache.get(key)
    if a is None:
        if len(_scalar_cache) > 4096:
            _scalar_cache.clear()
        try:
            with jax.ensure_compile_time_eval():  # concrete even while tracing: cached for later
                a = jnp.asarray(_SCALAR_NP[t](v))
        except OverflowError:
            raise RuntimeError(f"value cannot be converted to type int64 without overflow: {v}")
        if v == v:  # NaN keys never match; do not cache them
            _scalar_cache[key] = a
    return a


def clear_caches() -> None:
    """Forget every compiled op (after a change that trace-time code reads, e.g. the default
    dtype)."""
    _lazy.clear_caches()
    for e in _ENTRIES.values():
        e.cache.clear()
        e.vjp_cache.clear()
    from . import _view
    _view.clear_caches()


# -- dispatch -----------------------------------------------------------------------------------

def dispatch(entry: OpEntry, targs: tuple, statics: tuple = (), layout=None, inplace=False):
    """Run ``entry`` on ``targs`` (Tensors, Python scalars, None) with hashable ``statics``."""
    if _autocast is not None and not inplace:  # torchlike.amp: may swap in a casting entry
        entry = _autocast(entry, targs, statics)
    Tensor = _Tensor
    arrs, kinds, need_grad, diff = [], [], False, []  # diff: the inputs to differentiate
    for a in targs:
        if isinstance(a, Tensor):
            arr = a._a  # may be a _lazy.Pending
            if a._base is not None and a._vc[0] != a._seen:
                arr = a._refresh()
            if a._rg:
                need_grad = True
                if arr.dtype in _INEXACT:
                    diff.append(len(arrs))
            arrs.append(arr)
            kinds.append(0)
        elif a is None:
            arrs.append(None)
            kinds.append(None)
        elif type(a) in _PY_SCALAR_SET:
            t = type(a)
            arrs.append(_scalar_array(a, t))
            kinds.append(t)
        else:
            t = _as_tensor(a, entry.name)
            arrs.append(t._arr)
            kinds.append(0)
    kinds = tuple(kinds)
    if need_grad and GRAD_MODE.enabled and entry.differentiable:
        diff_idx = tuple(diff)
        key = (statics, kinds, layout, inplace, diff_idx)
        try:
            fwd = entry.vjp_cache.get(key) or entry.build_vjp(key)
        except TypeError:  # an unhashable static (a list): normalise and retry
            return dispatch(entry, targs, _hashable(statics), layout, inplace)
        if _LAZY["on"]:
            res = _lazy.record(fwd, arrs, True, targs)
            if res is not None:
                return _record(entry, key, targs, arrs, diff_idx, res, None, inplace)
            arrs = _lazy.concrete(arrs)
        try:
            out, pullback = fwd(*arrs)
            if _LAZY["on"]:
                _lazy.learn(fwd, arrs, out)
        except Exception as exc:  # a trace-time error: forget it (statics 1, 1.0, True share a key)
            entry.vjp_cache.pop(key, None)
            moved = _device_mismatch(exc, targs)
            if moved is not None:
                return dispatch(entry, moved, statics, layout, inplace)
            raise
        return _record(entry, key, targs, arrs, diff_idx, out, pullback, inplace)
    key = (statics, kinds, layout, inplace)
    try:
        f = entry.cache.get(key) or entry.build(key)
    except TypeError:
        return dispatch(entry, targs, _hashable(statics), layout, inplace)
    if _LAZY["on"]:
        res = _lazy.record(f, arrs, False, targs)
        if res is not None:
            return _wrap_out(entry, res, targs, statics)
        arrs = _lazy.concrete(arrs)
    try:
        out = f(*arrs)
        if _LAZY["on"]:
            _lazy.learn(f, arrs, out)
    except Exception as exc:  # as above
        entry.cache.pop(key, None)
        moved = _device_mismatch(exc, targs)
        if moved is not None:
            return dispatch(entry, moved, statics, layout, inplace)
        raise
    return _wrap_out(entry, out, targs, statics)


def _device_mismatch(exc, targs):
    """After JAX refused a jitted call over arrays on two devices: as in torch, 0-dim CPU tensors
    may join a GPU computation (returns the arguments with those moved, to call again); anything
    else raises torch's RuntimeError. Returns None for other errors."""
    if not (isinstance(exc, ValueError) and "incompatible devices" in str(exc)):
        return None
    flat = [t for a in targs for t in (a if isinstance(a, (list, tuple)) else (a,))
            if isinstance(t, _Tensor)]
    devs = list(dict.fromkeys(str(t.device) for t in flat))
    accel = [d for d in devs if d != "cpu"]
    if len(accel) == 1 and "cpu" in devs and all(t.device.type != "cpu" or t.ndim == 0
                                                  for t in flat):
        def move(a):
            if isinstance(a, (list, tuple)):
                return type(a)(move(v) for v in a)
            if isinstance(a, _Tensor) and a.ndim == 0 and a.device.type == "cpu":
                return a.to(accel[0])
            return a
        return tuple(move(a) for a in targs)
    devs.sort(key=lambda d: d == "cpu")  # torch names the accelerator first
    raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two "
                       f"devices, {' and '.join(devs[:2])}!") from exc


def _hashable(x):
    if isinstance(x, (list, tuple)):
        return tuple(_hashable(v) for v in x)
    if isinstance(x, _Tensor):
        raise TypeError("a Tensor was passed where torchlike needs a static value (a Python "
                        "number, tuple or flag); call .tolist() or .item() on it first")
    if isinstance(x, np.ndarray):
        return tuple(x.tolist())
    hash(x)
    return x


def _as_tensor(a, opname):
    if isinstance(a, (jax.Array, np.ndarray, np.generic)):
        from .._tensor import Tensor
        return Tensor._wrap(jnp.asarray(a))
    if isinstance(a, (list, tuple)):
        from .._creation import tensor
        return tensor(a)
    raise TypeError(f"{opname}(): argument of type {type(a).__name__} is not a Tensor or a number")


def _wrap_out(entry, out, targs, statics):
    wrap = _Tensor._wrap
    if type(out) is tuple:
        res = tuple(wrap(o) for o in out)
        return entry.returns(*res) if entry.returns is not None else res
    t = wrap(out)
    if entry.view:
        _mark_view(t, targs[0], entry, statics)
    return t


def _mark_view(t, src, entry, statics):
    from . import _view
    _view.mark_view(t, src, entry, statics)


def _edge(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._out_nr)
    acc = t._accum
    if acc is None:
        acc = t._accum = AccumulateGrad(t)
    return (acc, 0)


# NOTE: torch's backward formulas for these read the op's *result* (e.g. exp's grad is
# grad * result), so torch saves the output and an in-place change to it fails backward with the
# version error.
# Our pullbacks hold their own residuals and would stay correct, but we raise as torch does.
SAVES_RESULT = frozenset((
    "ExpBackward0", "Exp2Backward0", "Expm1Backward0", "SigmoidBackward0", "TanhBackward0",
    "SqrtBackward0", "RsqrtBackward0", "ReciprocalBackward0", "ReluBackward0",
    "SoftmaxBackward0", "LogSoftmaxBackward0", "LogsumexpBackward0", "CumprodBackward0"))


class SavedResult:
    """What the version check needs of a saved output, without the output itself (holding it from
    its own grad_fn would make a reference cycle): its version counter, metadata and creator."""

    __slots__ = ("_vc", "_np_dtype", "shape", "_out_nr", "_name")

    def __init__(self, t):
        a = t._a  # (raw shape and numpy dtype: the torch forms are only needed for the message)
        self._vc, self._np_dtype, self.shape = t._vc, a.dtype, a.shape
        self._out_nr, self._name = t._out_nr, t.grad_fn.name()

    @property
    def dtype(self):
        return from_np(self._np_dtype)

    @property
    def grad_fn(self):
        return self

    def name(self) -> str:
        return self._name


def _record(entry, key, targs, arrs, diff_idx, out, pullback, inplace):
    """Wrap outputs and attach one autograd node (torch's ``<Name>Backward0``)."""
    # (a hot path, once per op with autograd: loops, not comprehensions, for the usual 1-2 items)
    wrap = _Tensor._wrap
    outs = out if type(out) is tuple else (out,)
    tensors, meta = [], []
    for o in outs:
        t = wrap(o)
        tensors.append(t)
        if o.dtype in _INEXACT:  # a differentiable output: output number len(meta) of the node
            t._out_nr, t._rg = len(meta), True
            meta.append((o.shape, o.dtype))
    edges = []
    for i in diff_idx:  # (inlines _edge)
        a = targs[i]
        fn = a.grad_fn
        if fn is None:
            acc = a._accum
            if acc is None:
                acc = a._accum = AccumulateGrad(a)
            edges.append((acc, 0))
        else:
            edges.append((fn, a._out_nr))
    cls = entry.node_cls
    if cls is None:
        cls = entry.node_cls = op_node_class(entry.grad_name)
    node = cls(entry.grad_name, tuple(edges), tuple(meta), pullback, entry, key, tuple(arrs),
               diff_idx)
    if pullback is None:  # a deferred op (see _lazy): its segment will hand the node its pullback
        _lazy.attach_node(outs[0], node)
    if entry.saves:
        saved = []
        for i in diff_idx:
            if not (inplace and i == 0):
                saved.append((targs[i], targs[i]._vc[0]))
        node._saved = tuple(saved)
    for t in tensors:
        if t._rg:
            t.grad_fn = node
    if entry.grad_name in SAVES_RESULT and not inplace:
        node._saved += tuple((SavedResult(t), t._vc[0]) for t in tensors if t.grad_fn is node)
    if type(out) is tuple:
        return entry.returns(*tensors) if entry.returns is not None else tuple(tensors)
    t = tensors[0]
    if entry.view:
        _mark_view(t, targs[0], entry, key[0])
    return t


def vjp_op(node: OpNode, cts: list):
    """Re-derive ``node``'s pullback as a recorded, differentiable op (``create_graph=True``)."""
    entry, key = node.entry, node.key
    statics, kinds, layout, inplace, diff_idx = key
    Tensor = _Tensor
    # The primal inputs, reconnected to the graph edges they came from.
    prim = node.primals
    ins = [None if p is None else Tensor._wrap(p) for p in prim]
    for j, i in enumerate(diff_idx):
        fn, nr = node._edges[j]
        t = Tensor._wrap(prim[i])
        if fn is not None:
            if isinstance(fn, AccumulateGrad):
                t = fn.variable
            else:
                t.grad_fn, t._out_nr, t._rg = fn, nr, True
        ins[i] = t
    n_in = len(ins)
    targs = tuple(ins) + tuple(cts)
    return dispatch(_vjp_entry(entry), targs, (key, n_in))


_VJP_ENTRIES: dict = {}


def _vjp_entry(entry: OpEntry) -> OpEntry:
    """An op whose output is ``entry``'s input cotangents, as a function of (primals,
    cotangents)."""
    ve = _VJP_ENTRIES.get(entry)
    if ve is not None:
        return ve

    def grad_fn(*args, key, n_in):
        statics, kinds, layout, inplace, diff_idx = key
        arrs, cts = list(args[:n_in]), args[n_in:]
        fwd = entry.build_vjp(key) if key not in entry.vjp_cache else entry.vjp_cache[key]
        _, pullback = fwd(*arrs)
        return torch_pullback(pullback, cts)
    ve = OpEntry(f"{entry.name}_backward", grad_fn, (), ("key", "n_in"), (), None, True, True,
                 False, f"{_camel(entry.name)}BackwardBackward0", None)
    _VJP_ENTRIES[entry] = ve
    return ve


# -- declaring ops ------------------------------------------------------------------------------

def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.strip("_").split("_"))


def op(tensors: str, *, name: str | None = None, promote: str | None = None, method=True,
       inplace=False, function=True, differentiable=True, saves=True, view=False,
       grad_name: str | None = None, returns: str | None = None, dunder: str | None = None,
       rdunder: bool = True, namespace=None):
    """Declare a raw JAX function as a torchlike op (see the module docstring).

    tensors: space-separated names of tensor parameters; a trailing ``*`` marks a sequence
        parameter (``"tensors*"`` for ``cat``). promote: None, "all" (torch's result type over all
        tensor operands), "float" (same, then integers/bool go to the default float dtype) or a
        callable ``(arrays, kinds) -> arrays`` run at trace time (custom rules and dtype checks).
    saves: whether the backward needs the inputs' values (torch's saved tensors); ops that save
        nothing can be backpropagated twice and do not check version counters.
    view: the output is a view of the first input (in-place writes to it reach the base).
    returns: space-separated field names for a torch.return_types namedtuple.
    """
    def deco(fn):
        opname = name or fn.__name__.rstrip("_")
        sig = inspect.signature(fn)
        tnames = tensors.split()
        seq = tuple(n[:-1] for n in tnames if n.endswith("*"))
        tnames = tuple(n.rstrip("*") for n in tnames)
        statics = tuple(p for p in sig.parameters if p not in tnames)
        rt = None
        if returns:
            rt = collections.namedtuple(opname, returns.split())
            rt.__module__ = "torch.return_types"
            rt.__qualname__ = opname
        entry = OpEntry(opname, fn, tnames, statics, seq, promote, differentiable, saves, view,
                        grad_name or f"{_camel(opname)}Backward0", rt)
        _ENTRIES[opname] = entry
        public = _make_public(entry, sig, opname)
        from . import _install
        _install.register(entry, public, method=method, inplace=inplace, function=function,
                          dunder=dunder, rdunder=rdunder, namespace=namespace)
        public.entry = entry
        return public
    return deco


def _make_public(entry: OpEntry, sig: inspect.Signature, opname: str):
    """Generate a Python function with torch's signature that calls :func:`dispatch` directly
    (codegen keeps the per-call cost to one frame; ``inspect.Signature.bind`` costs ~5 µs)."""
    params = list(sig.parameters.values())
    has_out = opname not in _NO_OUT and not entry.view and not entry.seq_names
    src_params = []
    for p in params:
        s = p.name
        if p.kind is p.VAR_POSITIONAL:
            s = "*" + s
        elif p.default is not p.empty:
            s += f"=_d_{p.name}"
        src_params.append((p.kind, s))
    parts, star_done = [], False
    for kind, s in src_params:
        if kind is inspect.Parameter.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        if kind is inspect.Parameter.VAR_POSITIONAL:
            star_done = True
        parts.append(s)
    if has_out:
        if not star_done:
            parts.append("*")
        parts.append("out=None")
    seqs = entry.seq_names
    if seqs:
        t_expr = " + ".join(f"tuple({n})" if n in seqs else f"({n},)" for n in entry.tensor_names)
        layout = "(" + ", ".join(f"len({n})" if n in seqs else "-1"
                                 for n in entry.tensor_names) + ",)"
    else:
        t_expr = "(" + "".join(f"{n}, " for n in entry.tensor_names) + ")"
        layout = "None"
    s_expr = "(" + "".join(f"{n}, " for n in entry.static_names) + ")"
    body = f"_r = _dispatch(_E, {t_expr}, {s_expr}, {layout})"
    if has_out:
        body += "\n    if out is not None:\n        return _write_out(out, _r)"
    src = f"def {opname}({', '.join(parts)}):\n    {body}\n    return _r\n"
    ns = {"_dispatch": dispatch, "_E": entry, "_write_out": write_out}
    for p in params:
        if p.default is not p.empty:
            ns[f"_d_{p.name}"] = p.default
    assert not keyword.iskeyword(opname)
    exec(src, ns)  # noqa: S102 - generated from the op's own signature
    public = ns[opname]
    public.__doc__ = entry.fn.__doc__ or f"torchlike implementation of :func:`torch.{opname}`."
    public.__module__ = "torchlike"
    public.__qualname__ = opname
    return public


_NO_OUT = frozenset()


def write_out(out, result):
    """torch's ``out=``: the result is written into ``out`` (resized if needed) and returned."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"out= expected a tuple of {len(result)} Tensors")
        for o, r in zip(out, result):
            write_out(o, r)
        return out
    if GRAD_MODE.enabled and (out._rg or result._rg):
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of "
                           "the arguments requires grad.")
    src, dst = from_np(result._arr.dtype), from_np(out._arr.dtype)
    if not _dtype.can_cast(src, dst):
        raise RuntimeError(f"result type {_type_name(src)} can't be cast to the desired output "
                           f"type {_type_name(dst)}")
    out._replace_data(result._arr.astype(dst.np))
    return out


def get(name: str) -> OpEntry:
    return _ENTRIES[name]
