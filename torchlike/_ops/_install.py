"""Installs registered ops as ``torchlike.X`` functions, ``Tensor.X`` methods, in-place ``X_`` methods
and Python operators."""

from __future__ import annotations

import inspect

from ..autograd.grad_mode import STATE as GRAD_MODE
from ._view import assign
from .registry import dispatch

FUNCTIONS: dict = {}  # name -> public function, re-exported by torchlike/__init__.py
NAMESPACES: dict = {}  # namespace (e.g. "linalg", "special", "nn.functional") -> {name: fn}


def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_LEAF_MSG = ("a view of a leaf Variable that requires grad is being used in an in-place "
                  "operation.")


_MULTI_MSG = ("Output {} of {} is a view and is being modified inplace. This view is the output "
              "of a function that returns multiple views. Such functions do not allow the output "
              "views to be modified inplace. You should replace the inplace operation by an "
              "out-of-place one.")
_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to a "
                "single memory location. Please clone() the tensor before performing the "
                "operation.")
# In-place ops that only write (torch lets these target an expanded, self-overlapping tensor).
_WRITE_ONLY = frozenset(("copy", "fill", "zero", "masked_fill", "index_put", "_setitem_basic",
                         "_setitem_advanced"))


def check_inplace(self) -> None:
    """torch's errors for in-place writes to leaves that require grad and to the outputs of
    multi-output view functions (split, unbind) whose base requires grad (outside no_grad)."""
    if GRAD_MODE.enabled:
        if self._rg and self.grad_fn is None and self._base is None:
            raise RuntimeError(_LEAF_MSG)
        b = self._base
        if b is not None and not self._detached and b._rg:
            if self._multi is not None:
                raise RuntimeError(_MULTI_MSG.format(*self._multi))
            if b.grad_fn is None:
                raise RuntimeError(_VIEW_LEAF_MSG)


def _overlaps(self) -> bool:
    """Whether ``self`` is a view in which several elements share one base element (a view through
    ``expand`` that broadcasts): torch refuses in-place ops that read and write such a tensor."""
    chain = self._view
    if not any(e.grad_name == "ExpandBackward0" for e, _ in chain):
        return False
    import numpy as np

    from ._view import _apply_chain
    idx = np.asarray(_apply_chain(np.arange(self._base._arr.size).reshape(self._base._arr.shape),
                                  chain))
    return np.unique(idx).size != idx.size


def inplace_call(entry, targs, statics, layout=None):
    self = targs[0]
    check_inplace(self)
    if self._base is not None and entry.name not in _WRITE_ONLY and _overlaps(self):
        raise RuntimeError(_OVERLAP_MSG)
    res = dispatch(entry, targs, statics, layout, True)
    assign(self, res)
    return self


def _make_inplace(entry, public):
    sig = inspect.signature(entry.fn)
    params = list(sig.parameters.values())
    parts, star = [], False
    ns = {"_call": inplace_call, "_E": entry}
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        s = p.name
        if p.kind is p.VAR_POSITIONAL:
            s, star = "*" + s, True
        elif p.default is not p.empty:
            ns[f"_d_{p.name}"] = p.default
            s += f"=_d_{p.name}"
        parts.append(s)
    t_expr = "(" + "".join(f"{n}, " for n in entry.tensor_names) + ")"
    s_expr = "(" + "".join(f"{n}, " for n in entry.static_names) + ")"
    name = entry.name + "_"
    src = f"def {name}({', '.join(parts)}):\n    return _call(_E, {t_expr}, {s_expr})\n"
    exec(src, ns)  # noqa: S102
    fn = ns[name]
    fn.__doc__ = f"In-place version of :meth:`Tensor.{entry.name}`."
    return fn


def register(entry, public, *, method, inplace, function, dunder, rdunder, namespace):
    Tensor = _tensor_cls()
    if function:
        if namespace is None:
            FUNCTIONS[entry.name] = public
        else:
            NAMESPACES.setdefault(namespace, {})[entry.name] = public
    if method:
        mname = method if isinstance(method, str) else entry.name
        setattr(Tensor, mname, public)
    if inplace:
        fn = _make_inplace(entry, public)
        setattr(Tensor, entry.name + "_", fn)
        if function and namespace is None and inplace == "function":
            FUNCTIONS[entry.name + "_"] = fn
    if dunder:
        d = dunder
        setattr(Tensor, f"__{d}__", lambda self, other: public(self, other))
        if rdunder:
            if d in ("add", "mul"):  # torch computes 2 * x as x.mul(2): self stays input 0
                setattr(Tensor, f"__r{d}__", lambda self, other: public(self, other))
            else:
                setattr(Tensor, f"__r{d}__", lambda self, other: public(other, self))
        if inplace:
            ip = getattr(Tensor, entry.name + "_")
            setattr(Tensor, f"__i{d}__", lambda self, other: ip(self, other))
