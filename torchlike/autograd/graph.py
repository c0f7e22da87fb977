"""The autograd engine: graph nodes over ``jax.vjp`` pullbacks, and a reverse topological sweep.

Design (micrograd's shape, torch's vocabulary):
- Every differentiable op call records one :class:`Node`. It holds the op's pullback (a ``jax.vjp``
  function that was returned out of a cached ``jax.jit``), and ``next_functions``: one edge
  ``(node, output_nr)`` per differentiable input. A leaf that requires grad is reached through its
  :class:`AccumulateGrad` node, so in-place ops can rebind a Tensor's ``grad_fn`` without touching
  the graph that earlier ops recorded.
- ``run_backward`` counts, for each node reachable from the roots, how many edges point at it, then
  walks the nodes in reverse topological order (Kahn): a node runs once all its consumers have
  contributed their cotangents. Leaves accumulate into ``.grad``; ``autograd.grad`` captures
  instead.
- Pullbacks are freed after use unless ``retain_graph``; running a freed node raises torch's error.
- With ``create_graph=True`` cotangents are Tensors and each node re-derives its pullback through
  the op registry (a differentiable ``vjp`` op), so the backward pass is itself recorded.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _lazy
from .._device import gpu_devices, place_like
from . import grad_mode

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)

def _conj(a):
    return jnp.conj(a) if jnp.iscomplexobj(a) else a


def torch_pullback(pullback, cts):
    """Apply a ``jax.vjp`` pullback with torch's complex convention.

    NOTE: for complex values torch propagates ``grad * conj(f'(z))`` (the conjugate Wirtinger
    derivative) while JAX's vjp gives ``ct * f'(z)``; conjugating the cotangents in and the
    results out turns one into the other. Real arrays are untouched (decided at trace time)."""
    return tuple(_conj(g) for g in pullback(tuple(_conj(c) for c in cts)))


# One jitted caller for every pullback: JAX caches it per pullback tree structure (op + shapes).
_apply_pullback = jax.jit(torch_pullback)
_add = jax.jit(lambda a, b: a + b)


class Node:
    """A recorded op. ``name()`` gives torch's class name, e.g. ``MulBackward0``."""

    __slots__ = ("_name", "_edges", "out_meta", "_pre_hooks", "_hooks", "_node_pre_hooks",
                 "_retain", "__weakref__")

    def __init__(self, name: str, edges: tuple, out_meta: tuple) -> None:
        self._name = name
        self._edges = edges  # ((Node | None, output_nr), ...) per differentiable input
        self.out_meta = out_meta  # ((shape, np dtype), ...) per differentiable output
        self._pre_hooks = None  # {output_nr: [hook(grad) -> grad | None]} for Tensor.register_hook
        self._hooks = None  # [hook(grad_inputs, grad_outputs) -> grad_inputs | None]
        self._node_pre_hooks = None  # [hook(grad_outputs) -> grad_outputs | None]
        self._retain = None  # {output_nr: weakref(Tensor)} for Tensor.retain_grad

    _raw_cts = False  # True: apply() gets None (not zeros) for outputs that got no cotangent

    def name(self) -> str:
        return self._name

    @property
    def next_functions(self) -> tuple:
        """torch's ``next_functions``: one ``(node, output_nr)`` per input."""
        return self._edges

    def __repr__(self) -> str:
        return f"<{self._name} object at {id(self):#x}>"

    def register_hook(self, fn):
        self._hooks = (self._hooks or []) + [fn]
        return _RemovableHook(lambda: self._hooks.remove(fn))

    def register_prehook(self, fn):
        self._node_pre_hooks = (self._node_pre_hooks or []) + [fn]
        return _RemovableHook(lambda: self._node_pre_hooks.remove(fn))

    def apply(self, cts: list, create_graph: bool) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:
        pass


class OpNode(Node):
    """A node recorded by the op registry: pullback from ``jax.vjp``, plus what it needs to
    re-derive that pullback differentiably for higher-order gradients."""

    __slots__ = ("pullback", "entry", "key", "primals", "diff_idx", "keep", "_saved")

    def __init__(self, name, edges, out_meta, pullback, entry, key, primals, diff_idx):
        # (Node.__init__'s fields set here: one node per recorded op, so it is a hot path)
        self._name, self._edges, self.out_meta = name, edges, out_meta
        self._pre_hooks = self._hooks = self._node_pre_hooks = self._retain = None
        self.pullback = pullback
        self.entry, self.key, self.primals, self.diff_idx = entry, key, primals, diff_idx
        self.keep = not entry.saves  # ops that save nothing (add, view) may be replayed (torch)
        self._saved = ()  # ((Tensor, version at record time), ...) for the inputs backward reads

    def apply(self, cts, create_graph):
        if self.pullback is None:
            raise RuntimeError(_FREED_MSG)
        for t, version in self._saved:
            if t._vc[0] != version:
                raise RuntimeError(_version_msg(t, version))
        if create_graph:
            from .._ops.registry import vjp_op
            return vjp_op(self, cts)
        return _apply_pullback(self.pullback, tuple(cts))

    def release(self):
        if not self.keep:
            self.pullback = None
            self.primals = None

    @property
    def next_functions(self) -> tuple:
        """torch's ``next_functions``: ``(None, 0)`` for inputs that need no grad (numbers too;
        omitted None arguments are skipped)."""
        edges = dict(zip(self.diff_idx, self._edges))
        return tuple(edges.get(i, (None, 0)) for i, k in enumerate(self.key[1]) if k is not None)


_NODE_CLASSES: dict = {}
_CPP_NAMES = {"CopySlices": "torch::autograd::CopySlices"}


def op_node_class(name: str) -> type:
    """The OpNode subclass named after torch's node, so ``type(t.grad_fn).__name__`` is e.g.
    ``MulBackward0`` (the registry keeps it on the op's entry)."""
    sub = _NODE_CLASSES.get(name)
    if sub is None:
        ns = {"__slots__": ()}
        if name in _CPP_NAMES:  # torch's C++ nodes: name() differs from the class name
            ns["name"] = lambda self, _n=_CPP_NAMES[name]: _n
        sub = _NODE_CLASSES[name] = type(name, (OpNode,), ns)
    return sub


def _version_msg(t, version) -> str:
    """torch's message; like torch, it names the saved input's *current* grad_fn."""
    from .._ops.registry import _type_name
    kind = f"torch.{_type_name(t.dtype)}Tensor"
    node, nr = t.grad_fn, t._out_nr
    src = ""
    if node is not None:
        name = node.name()
        stripped = name.rstrip("0123456789")
        if stripped.endswith("Backward") and stripped != name:
            name = stripped[:-8]
        src = f", which is output {nr} of {name},"
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{kind} {list(t.shape)}]{src} is at version {t._vc[0]}; "
            f"expected version {version} instead. Hint: enable anomaly detection to find the "
            f"operation that failed to compute its gradient, with "
            f"torch.autograd.set_detect_anomaly(True, check_nan=False).")


class AccumulateGrad(Node):
    """The sink of a leaf tensor that requires grad: hooks run, then ``.grad`` accumulates."""

    __slots__ = ("variable",)

    def __init__(self, variable) -> None:
        super().__init__("AccumulateGrad", (), ((variable.shape, variable._a.dtype),))
        self.variable = variable

    def apply(self, cts, create_graph):
        return ()


def add_tensor_hook(node: Node, output_nr, fn):
    hooks = node._pre_hooks if node._pre_hooks is not None else {}
    node._pre_hooks = hooks
    lst = hooks.setdefault(output_nr, [])
    lst.append(fn)
    return _RemovableHook(lambda: lst.remove(fn) if fn in lst else None)


class _RemovableHook:
    __slots__ = ("_remove",)

    def __init__(self, remove) -> None:
        self._remove = remove

    def remove(self) -> None:
        self._remove()


def _zeros(meta):
    shape, dtype = meta
    return jnp.zeros(shape, dtype)


def _accumulate(buf, i, g):
    cur = buf[i]
    if cur is None:
        buf[i] = g
    else:
        buf[i] = _add(cur, g) if isinstance(g, jax.Array) else cur + g  # Tensors if create_graph


def run_backward(roots, grads, *, retain_graph: bool, create_graph: bool, inputs=None,
                 allow_unused: bool = True, accumulate: bool = True):
    """Backpropagate ``grads`` (arrays, or Tensors when ``create_graph``) from ``roots`` (edges
    ``(node, output_nr)``). Accumulates into leaves' ``.grad``; if ``inputs`` (edges) is given,
    returns the cotangent reaching each of them instead (``accumulate=False``) or as well."""
    Tensor = _tensor_cls()
    fusable = inputs is None and not create_graph
    if fusable and _try_defer_backward(roots, grads, retain_graph):
        return None
    _lazy.flush()  # deferred ops hand their nodes the pullbacks
    if fusable and _try_fused(roots, grads, retain_graph):
        return None

    # 1. Dependencies: how many edges point at each node reachable from the roots.
    deps: dict[Node, int] = {}
    stack = list(dict.fromkeys(n for n, _ in roots if n is not None))  # roots may share a node
    seen = set(stack)
    prune = inputs is not None and not accumulate
    parents: dict[Node, list] = {}
    while stack:
        node = stack.pop()
        for nxt, _ in node._edges:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if prune:
                parents.setdefault(nxt, []).append(node)
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    # autograd.grad / backward(inputs=...): run only the nodes on a path to an input, as torch
    # does (no hooks or work beyond them). Every parent of such a node is on such a path too, so
    # the dependency counts of the nodes that run stay exact.
    needed = None
    if prune:
        needed = set()
        stack = [n for n, _ in inputs if n in seen]
        while stack:
            node = stack.pop()
            if node not in needed:
                needed.add(node)
                stack.extend(parents.get(node, ()))

    # 2. Seed the cotangent buffers of the root nodes.
    buffers: dict[Node, list] = {}
    for (node, nr), g in zip(roots, grads):
        if node is None:
            continue
        buf = buffers.setdefault(node, [None] * len(node.out_meta))
        _accumulate(buf, nr, g)

    captured = {}
    wanted = {}
    if inputs is not None:
        for i, (node, nr) in enumerate(inputs):
            wanted.setdefault((node, nr), []).append(i)

    wrap = (lambda a: Tensor._wrap(a)) if not create_graph else (lambda a: a)
    ready = [n for n, _ in roots if n is not None and deps.get(n, 0) == 0
             and (needed is None or n in needed)]
    ready = list(dict.fromkeys(ready))
    prev = grad_mode.STATE.enabled
    grad_mode.STATE.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None) or [None] * len(node.out_meta)
            if node._node_pre_hooks:
                for hook in list(node._node_pre_hooks):
                    res = hook(tuple(None if b is None else wrap(b) for b in buf))
                    if res is not None:
                        buf = [_unwrap(r, create_graph) for r in res]
            # Tensor hooks registered on this node's outputs (non-leaf register_hook/retain_grad).
            if node._pre_hooks:
                for nr, hooks in node._pre_hooks.items():
                    if buf[nr] is None:
                        continue
                    for hook in list(hooks):
                        res = hook(wrap(buf[nr]))
                        if res is not None:
                            buf[nr] = _unwrap(res, create_graph)
            if node._retain:
                for nr, ref in node._retain.items():
                    t = ref()
                    if t is not None and buf[nr] is not None:
                        g = buf[nr] if create_graph else Tensor._wrap(buf[nr])
                        t._grad = g if t._grad is None else t._grad + g
            if wanted:
                for nr in range(len(buf)):
                    idxs = wanted.get((node, nr))
                    if idxs is not None and buf[nr] is not None:
                        for i in idxs:
                            captured[i] = buf[nr]
            if type(node) is AccumulateGrad:
                if accumulate and buf[0] is not None:
                    _accumulate_leaf(node.variable, buf[0], create_graph)
                continue
            if all(b is None for b in buf):
                in_cts = (None,) * len(node._edges)
            else:
                cts = buf if node._raw_cts else [
                    b if b is not None else (_zeros(m) if not create_graph
                                             else Tensor._wrap(_zeros(m)))
                    for b, m in zip(buf, node.out_meta)]
                in_cts = node.apply(cts, create_graph)
                if not retain_graph:
                    node.release()
            if node._hooks:
                for h in list(node._hooks):
                    res = h(tuple(wrap(c) if c is not None else None for c in in_cts),
                            tuple(None if c is None else wrap(c) for c in buf))
                    if res is not None:
                        in_cts = tuple(_unwrap(r, create_graph) for r in res)
            for (nxt, nr), ct in zip(node._edges, in_cts):
                if nxt is None or (needed is not None and nxt not in needed):
                    continue
                if ct is not None:
                    nbuf = buffers.get(nxt)
                    if nbuf is None:
                        nbuf = buffers[nxt] = [None] * len(nxt.out_meta)
                    _accumulate(nbuf, nr, ct)
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    ready.append(nxt)
    finally:
        grad_mode.STATE.enabled = prev
    if inputs is not None:
        out = []
        for i in range(len(inputs)):
            g = captured.get(i)
            if g is None and not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   f"been used in the graph. Set allow_unused=True if this is the "
                                   f"desired behavior.")
            out.append(None if g is None else (g if create_graph else Tensor._wrap(g)))
        return out
    return None


# -- the fused backward ---------------------------------------------------------------------------
# A training loop backpropagates through the same graph shape at every step. Once a graph's *plan*
# (its op nodes in topological order, their output shapes/dtypes and edges) has been seen
# FUSE_AFTER times, the whole backward runs as ONE jitted program over all the pullbacks instead
# of one jitted call per node. Graphs with hooks, retain_grad, custom Function nodes or
# create_graph take the node-by-node path above.
FUSE_AFTER = 2
_plans_seen: dict = {}


def _fusable_plan(roots, pending=None):
    """The plan of a graph that can run as one program, with its op nodes in postorder (each after
    the nodes its edges point to; the plan runs them in reverse) and its leaves; None if a node
    needs the node-by-node path. Nodes whose pullback is still to come from the deferred segment
    are allowed when ``pending`` (node -> op index) names them. (One depth-first pass; see
    :func:`_plan_for` for the cached way to it.)"""
    order, leaves, desc = [], [], []
    pos = {}  # node -> its index in order, or ~(its index in leaves)
    where = pos.get  # (None for a missing edge)
    stack = [(n, False) for n, _ in reversed(roots)]  # (node, whose inputs are placed already)
    while stack:
        node, placed = stack.pop()
        if placed:
            if (type(node).apply is not OpNode.apply or node._raw_cts
                    or (node.pullback is None and (pending is None or node not in pending))):
                return None
            desc.append((node.out_meta, tuple([(where(nxt), nr) for nxt, nr in node._edges])))
            pos[node] = len(order)
            order.append(node)
            continue
        if node in pos:
            continue
        if node is None or node._pre_hooks or node._hooks or node._node_pre_hooks or node._retain:
            return None
        if type(node) is AccumulateGrad:
            pos[node] = ~len(leaves)
            leaves.append(node)
        elif isinstance(node, OpNode):
            stack.append((node, True))
            stack.extend([(nxt, False) for nxt, _ in node._edges if nxt is not None])
        else:
            return None
    plan = (tuple(desc), tuple([(pos[n], nr) for n, nr in roots]), len(leaves))
    return plan, order, leaves


# A training loop builds a graph of the same shape at every step: checking the new graph against
# the plan its roots had last time costs about two thirds of building the plan again, and the plan
# found is the cached object itself, so the dict lookups keyed by it compare by identity.
_PLANS: dict = {}  # the roots' (node type, output_nr) -> the plans last found from such roots


def _plan_for(roots, pending=None):
    """:func:`_fusable_plan`, reusing a recent plan when the graph has exactly its shape."""
    sig = tuple([(type(n), nr) for n, nr in roots])
    recent = _PLANS.get(sig)
    if recent is not None:
        for plan in recent:
            found = _match_plan(plan, roots, pending)
            if found is not None:
                return found
    found = _fusable_plan(roots, pending)
    if found is not None:
        if recent is None:
            if len(_PLANS) > 256:
                _PLANS.clear()
            recent = _PLANS[sig] = []
        recent.insert(0, found[0])
        del recent[4:]
    return found


def _match_plan(plan, roots, pending):
    """``(plan, order, leaves)`` if the graph from ``roots`` has exactly the shape ``plan``
    describes and passes :func:`_fusable_plan`'s checks (so that function would return this plan
    for it), else None. Walks the plan's nodes consumers first, placing each edge's node at the
    position the plan names; every position must get exactly one node, and no node two."""
    desc, seed_pos, n_leaves = plan
    order, leaves, placed = [None] * len(desc), [None] * n_leaves, set()
    edges, want, i = roots, seed_pos, len(desc)
    while True:
        if len(edges) != len(want):
            return None
        for (nxt, nr), (p, want_nr) in zip(edges, want):
            if nr != want_nr:
                return None
            if p is None:
                if nxt is not None:
                    return None
                continue
            slots, k = (order, p) if p >= 0 else (leaves, ~p)
            cur = slots[k]
            if cur is None:
                if nxt is None or nxt in placed:
                    return None
                slots[k] = nxt
                placed.add(nxt)
            elif cur is not nxt:
                return None
        i -= 1
        if i < 0:
            break
        node = order[i]
        meta, want = desc[i]
        if (node is None or node._pre_hooks or node._hooks or node._node_pre_hooks
                or node._retain or not isinstance(node, OpNode)
                or type(node).apply is not OpNode.apply or node._raw_cts
                or (node.pullback is None and (pending is None or node not in pending))
                or node.out_meta != meta):
            return None
        edges = node._edges
    for leaf in leaves:
        if (type(leaf) is not AccumulateGrad or leaf._pre_hooks or leaf._hooks
                or leaf._node_pre_hooks or leaf._retain):
            return None
    return plan, order, leaves


def _seen_enough(plan) -> bool:
    count = _plans_seen.get(plan, 0)
    if count < FUSE_AFTER:
        if len(_plans_seen) > 1024:
            _plans_seen.clear()
        _plans_seen[plan] = count + 1
        return False
    return True


def _check_versions(order) -> None:
    for node in order:
        for t, version in node._saved:
            if t._vc[0] != version:
                raise RuntimeError(_version_msg(t, version))


def _try_fused(roots, grads, retain_graph) -> bool:
    found = _plan_for(roots)
    if found is None:
        return False
    plan, order, leaves = found
    if not _seen_enough(plan):
        return False
    _check_versions(order)
    leaf_grads = _run_plan(plan, [n.pullback for n in order], tuple(grads))
    _finish_fused(order, leaves, leaf_grads, retain_graph, plan)
    return True


def _finish_fused(order, leaves, leaf_grads, retain_graph, plan=None) -> None:
    if not retain_graph:
        for node in order:
            node.release()
    if plan is not None and _lazy.enabled():  # what a deferred run of this plan will produce
        mask = tuple(g is not None for g in leaf_grads)
        _DEFER_META[_defer_key(plan, leaves)] = (
            mask, tuple(g.aval for g in leaf_grads if g is not None),
            _deferred_backward_fn(plan, mask))
        if len(_DEFER_META) > 1024:
            _DEFER_META.clear()
    for node, g in zip(leaves, leaf_grads):
        if g is not None:
            _accumulate_leaf(node.variable, g, False)


# _defer_key -> (which leaves get a gradient, their avals, the jitted backward that a deferred
# run records). NOTE: the function must stay the same object for a plan (_DEFER_FNS): it is part of
# the segment's program key, so a new one would recompile the step.
_DEFER_META: dict = {}
_DEFER_FNS: dict = {}


def _defer_key(plan, leaves) -> tuple:
    return plan, tuple([(n.variable._a.shape, n.variable._a.dtype) for n in leaves])


def _deferred_backward_fn(plan, mask):
    fn = _DEFER_FNS.get((plan, mask))
    if fn is None:
        def run(pullbacks, seeds):
            leaf = _plan_impl(plan, pullbacks, seeds)
            return tuple(g for g, m in zip(leaf, mask) if m)
        fn = _DEFER_FNS[(plan, mask)] = jax.jit(run)
        if len(_DEFER_FNS) > 256:
            _DEFER_FNS.clear()
    return fn


def _try_defer_backward(roots, grads, retain_graph) -> bool:
    """Defer the backward too: when the graph's recent ops are still deferred (``_lazy``) and this
    graph's fused backward ran before, record that backward into the segment; the leaves' ``.grad``
    become deferred values. Forward, backward (and whatever follows, e.g. a hand-written SGD
    update) then run as one program, and the forward's residuals never leave XLA."""
    seg = _lazy.current()
    if seg is None:
        return False
    seg.split()  # one deferred backward per segment
    pending = seg.pending_nodes()
    if not pending:
        return False
    found = _plan_for(roots, pending)
    if found is None:
        return False
    plan, order, leaves = found
    meta = _DEFER_META.get(_defer_key(plan, leaves))
    if meta is None:
        return False
    _check_versions(order)
    mask, avals, fn = meta
    consumed = [pending[n] for n in order if n in pending and not (retain_graph or n.keep)]
    outs = seg.record_backward(fn, order, pending, grads, avals, consumed)
    if not retain_graph:
        for node in order:
            node.release()
    it = iter(outs)
    for node, m in zip(leaves, mask):
        if m:
            _accumulate_leaf(node.variable, next(it), False)
    return True


def _plan_impl(plan, pullbacks, seeds):
    desc, seed_pos, n_leaves = plan
    bufs = [[None] * len(meta) for meta, _ in desc]
    leaf = [None] * n_leaves

    def add(pos, nr, g):
        if pos < 0:
            leaf[~pos] = g if leaf[~pos] is None else leaf[~pos] + g
        else:
            b = bufs[pos]
            b[nr] = g if b[nr] is None else b[nr] + g
    for (pos, nr), g in zip(seed_pos, seeds):
        add(pos, nr, g)
    for i in reversed(range(len(desc))):  # (desc is in postorder: consumers last)
        meta, edges = desc[i]
        buf = bufs[i]
        if all(b is None for b in buf):
            continue
        cts = tuple(b if b is not None else jnp.zeros(m[0], m[1]) for b, m in zip(buf, meta))
        for (pos, nr), ct in zip(edges, torch_pullback(pullbacks[i], cts)):
            if pos is not None and ct is not None:
                add(pos, nr, ct)
    return tuple(leaf)


_run_plan = jax.jit(_plan_impl, static_argnums=0)


def _unwrap(g, create_graph):
    """A hook's returned gradient as the engine holds it (an array; a Tensor if create_graph)."""
    if g is None or create_graph:
        return g
    return g._data


_TENSOR = []


def _tensor_cls():
    if not _TENSOR:
        from .._tensor import Tensor
        _TENSOR.append(Tensor)
    return _TENSOR[0]


def _accumulate_leaf(var, g, create_graph):
    """Leaf sink: add into ``.grad`` (in place, keeping its identity, as torch does)."""
    Tensor = _tensor_cls()
    if create_graph:
        gt = g
    else:
        garr = g
        if gpu_devices():  # a GPU leaf gets a GPU gradient (seeds, constant pullbacks)
            garr = place_like(garr, var._arr)
        va = var._a  # (a deferred value stays deferred: see _lazy)
        if garr.dtype != va.dtype or garr.shape != va.shape:
            garr = _lazy.concrete([garr])[0]
            if garr.dtype != va.dtype:
                garr = garr.astype(va.dtype)
            if garr.shape != va.shape:
                garr = jnp.broadcast_to(garr, va.shape)
        gt = None
    cur = var._grad
    if cur is None:
        var._grad = gt if create_graph else Tensor._wrap(garr)
    elif create_graph or cur._rg:
        var._grad = cur + gt if create_graph else cur + Tensor._wrap(garr)
    else:
        cur._set_arr(_add(cur._arr, _lazy.concrete([garr])[0]))
