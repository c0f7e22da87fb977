"""Views and in-place writes on immutable JAX arrays.

A view (``x[0]``, ``x.view(...)``, ``x.t()``, ``x.detach()``) remembers its *base* (the tensor that
owns the data) and the *chain* of view ops that maps the base to it, and shares the base's version
counter. Reading a view whose base changed since (versions differ) recomputes it from the base.
Writing a view in place scatters the new values back into the base: the chain applied to
``arange(base.size)`` gives, for every element of the view, its flat index in the base, so one
``.at[].set`` works for every dtype and every index-preserving view op. With autograd on, that
write is recorded as a differentiable ``CopySlices`` op on the base, as in torch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..autograd.grad_mode import STATE as GRAD_MODE

_chain_fns: dict = {}
_scatter_fns: dict = {}


def clear_caches() -> None:
    _chain_fns.clear()
    _scatter_fns.clear()


def _apply_chain(arr, chain):
    for entry, statics in chain:
        arr = entry.fn(arr, **dict(zip(entry.static_names, statics)))
    return arr


def scatter_into(base, new, chain):
    """``base`` with the elements that ``chain`` selects replaced by ``new`` (traceable)."""
    if not chain:
        return jnp.broadcast_to(new, base.shape).astype(base.dtype)
    idx = _apply_chain(jnp.arange(base.size).reshape(base.shape), chain)
    new = jnp.broadcast_to(new, idx.shape).astype(base.dtype)
    return base.ravel().at[idx.ravel()].set(new.ravel()).reshape(base.shape)


def mark_view(t, src, entry, statics) -> None:
    """Make ``t`` (just produced by view op ``entry`` from ``src``) a view of ``src``'s base."""
    if src._base is not None:
        t._base, chain, t._detached = src._base, src._view, src._detached
    else:
        t._base, chain = src, ()
    t._view = chain if entry is None else chain + ((entry, statics),)
    t._vc = src._vc
    t._seen = src._vc[0]
    if src._multi is not None and entry is not None:
        # A view of a split/unbind output is still refused in-place writes; torch names its op.
        t._multi = (0, entry.grad_name.removesuffix("Backward0"))


def mark_multi(outs, name) -> tuple:
    """Mark the outputs of a multi-output view function (torch's ``Split``, ``Unbind``, ...):
    with autograd they may not be modified in place (see ``_install.check_inplace``)."""
    for i, o in enumerate(outs):
        o._multi = (i, name)
    return outs


def refresh(t):
    """Recompute a stale view from its base; regenerate its grad_fn if the base needs grad."""
    base = t._base
    chain = t._view
    if base._rg and GRAD_MODE.enabled and not t._detached:
        v = replay(base, chain)
        t._arr, t.grad_fn, t._out_nr, t._rg = v._arr, v.grad_fn, v._out_nr, v._rg
    else:
        f = _chain_fns.get(chain)
        if f is None:
            f = _chain_fns[chain] = jax.jit(lambda b: _apply_chain(b, chain))
        t._arr = f(base._arr)
    t._seen = t._vc[0]
    return t._arr


def replay(base, chain):
    """Re-apply a view chain to ``base`` through the registry (records autograd nodes)."""
    from .registry import dispatch
    t = base
    for entry, statics in chain:
        t = dispatch(entry, (t,), statics)
    return t


def assign(self, res) -> None:
    """Give ``self`` the value (and autograd history) of ``res``, in place: the core of every
    in-place op. Bumps the version counter; writes through to the base if ``self`` is a view."""
    base = self._base
    arr = res._a if base is None else res._arr  # a deferred result stays deferred (see _lazy)
    self._a = arr
    if res.grad_fn is not None:
        self.grad_fn, self._out_nr, self._rg = res.grad_fn, res._out_nr, True
    if base is not None:
        chain = self._view
        if not self._detached and GRAD_MODE.enabled and (res._rg or base._rg):
            from .registry import dispatch, get
            nb = dispatch(get("_copy_slices"), (base, res), (chain,))
            base._arr, base.grad_fn, base._out_nr, base._rg = nb._arr, nb.grad_fn, 0, True
            v = replay(base, chain)
            self.grad_fn, self._out_nr = v.grad_fn, v._out_nr
        else:
            f = _scatter_fns.get(chain)
            if f is None:
                f = _scatter_fns[chain] = jax.jit(lambda b, n: scatter_into(b, n, chain))
            base._arr = f(base._arr, arr)
    self._vc[0] += 1
    if base is not None:
        self._seen = self._vc[0]
