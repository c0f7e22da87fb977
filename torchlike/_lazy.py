"""Deferred eager execution on the CPU: a training step's ops become one XLA program.

An eager op on the CPU costs a jitted call (~6 µs) plus its own unfused memory traffic. When an op's
(jitted function, input shapes/dtypes) has run before, dispatch does not run it: it *records* it
into the open :class:`Segment` and returns :class:`Pending` placeholders that know their shape and
dtype (taken from the earlier run, so every trace-time check already passed and errors still
surface at the line that caused them the first time). A recorded op with autograd gets its node at
once; the node receives its pullback when the segment runs. ``backward()`` over a graph whose
fused backward has run before is recorded too (``autograd.graph._try_defer_backward``): the leaves'
``.grad`` become pending values, so forward, backward and e.g. a hand-written SGD update run as one
program and the forward's residuals never leave XLA. The segment runs when a value is needed:

- a Tensor's ``_arr`` is read (``item()``, printing, numpy, any code that needs the array),
- a non-deferred ``backward()`` / ``autograd.grad``, an optimizer step or a compiled call starts
  (they need pullbacks or donate buffers), or the segment reaches ``MAX_OPS`` ops;
- a second deferred backward runs everything up to the first (:meth:`Segment.split`), so a loop
  that never reads a value still runs one program per step.

A segment whose op sequence (functions, wiring, which outputs are still referenced) was seen
``COMPILE_AFTER`` times runs as ONE jitted program. A newer sequence runs op by op through the same
cached per-op functions, so code whose op sequence never repeats costs what plain eager costs.

Speculation (:class:`_Speculation`): a step's value is usually read only at its end, so its
program would start only after all of the step's Python. Once a program has run twice, the next
segment dispatches it as soon as it has recorded the inputs that changed between those runs (the
new parameters), taking its later inputs to be the same arrays as before; XLA runs it on the other
core while Python records the backward and the update. The result is used only if the finished
segment is that program over exactly those arrays (otherwise it is dropped and the segment runs).

Only on a CPU-only machine (on a GPU, JAX's asynchronous dispatch already hides the per-op cost),
only on the main thread and never for traced arrays (``torchlike.compile`` / ``jax.jit``). Set
``TORCHLIKE_LAZY=0`` (or call :func:`set_enabled`) to turn it off. The per-op functions are the
same either way, but inside one program XLA may fuse a multiply and an add into one FMA, so a
result can differ from the op-by-op one in the last bit (as torch's own fused kernels do).
"""

from __future__ import annotations

import operator
import os
import threading
import types
import weakref

import jax
import jax.numpy as jnp

from ._device import gpu_devices

__all__ = ["Pending", "enabled", "flush", "peek", "set_enabled"]

MAX_OPS = 512  # a longer segment runs at once (bounds program size and compile time)
COMPILE_AFTER = 2  # a segment seen this many times before is compiled (XLA: ~0.1-1 s)
_ARRAY = type(jnp.zeros(()))
_MAIN = threading.main_thread().ident
_get_ident = threading.get_ident
_STATE = {"on": os.environ.get("TORCHLIKE_LAZY", "1") != "0" and not gpu_devices(),
          "seg": None, "next": None}
_AVALS: dict = {}  # (jitted fn, input avals) -> (output is a tuple, output avals)
_SEEN: dict = {}  # program key -> times seen
_PROGRAMS: dict = {}
_SPECS: dict = {}  # compiled program -> its _Speculation
_PLAIN, _GRAD, _BACKWARD = 0, 1, 2  # the kinds of recorded op (see Segment)


def enabled() -> bool:
    return _STATE["on"]


def set_enabled(flag: bool) -> None:
    """Turn deferred execution on or off (pending work runs first)."""
    flush()
    _STATE["on"] = bool(flag) and not gpu_devices()


class Pending:
    """A not-yet-computed array: its aval (shape, dtype) and where its value will come from."""

    __slots__ = ("aval", "shape", "dtype", "seg", "slot", "value", "__weakref__")

    def __init__(self, aval, seg, slot) -> None:
        self.aval, self.shape, self.dtype = aval, aval.shape, aval.dtype
        self.seg, self.slot, self.value = seg, slot, None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def force(self):
        if self.value is None:
            self.seg.run()
        return self.value


class Segment:
    """Recorded ops. ``ops[k]`` is ``(fn, input refs, number of outputs, kind)``, exactly what the
    program key holds: kind _PLAIN is an op without autograd, _GRAD an op that also returns its
    pullback, _BACKWARD a deferred backward (refs are (pullback refs, seed refs); fn maps
    (pullbacks, seeds) to leaf gradients). ``nodes[k]`` is a weakref to the autograd node that
    receives op k's pullback, or None (no autograd, or the pullback is consumed inside the
    segment). An input ref is an int: >= 0 an earlier output slot (for pullback refs: the op
    index), < 0 the external input ``~ref`` (an array, or a pullback from an earlier run); None
    for an omitted argument."""

    __slots__ = ("ops", "nodes", "ext", "ext_ids", "ext_src", "outs", "cand", "spec_at", "spec")

    def __init__(self, cand=None) -> None:
        self.ops, self.nodes, self.ext, self.ext_ids, self.outs = [], [], [], {}, []
        self.ext_src = []  # per external input: the Tensor it was read from, or None
        # speculation (see _Speculation): the program this segment is expected to become, after
        # how many ops it is dispatched, and (program, inputs, its future results) once it is
        self.cand, self.spec = cand, None
        self.spec_at = -1 if cand is None else cand.trigger

    def ref(self, a, src=None):
        if a is None:
            return None
        if type(a) is Pending:
            if a.value is None and a.seg is self:
                return a.slot
            a = a.force()
        i = self.ext_ids.get(id(a))
        if i is None:
            i = self.ext_ids[id(a)] = len(self.ext)
            self.ext.append(a)
            self.ext_src.append(src)
        return ~i

    def _add(self, fn, refs, avals, kind):
        outs, base = self.outs, len(self.outs)
        res = []
        for av in avals:
            p = Pending(av, self, base)
            res.append(p)
            outs.append(weakref.ref(p))
            base += 1
        self.ops.append((fn, refs, len(res), kind))
        self.nodes.append(None)
        if len(self.ops) == self.spec_at:
            self._speculate()
        if len(self.ops) >= MAX_OPS and _STATE["seg"] is self:
            _STATE["seg"] = None  # the next op opens a new segment; this one runs when read
        return res

    def _clear(self) -> None:
        self.ops, self.nodes, self.ext, self.ext_ids, self.outs = [], [], [], {}, []
        self.ext_src = []
        self.spec, self.spec_at = None, -1

    def _speculate(self) -> None:
        """Dispatch the expected program now, while Python records the rest of the segment: the
        ops so far must be its first ops; its remaining inputs are predicted
        (:meth:`_Speculation.predict`). ``run`` uses the result only if the finished segment is
        that program over those very inputs."""
        cand = self.cand
        n = len(self.ops)
        if cand.disabled or tuple(self.ops) != cand.key[0][:n]:
            return
        ext = cand.predict(self.ext)
        if ext is None:
            return
        try:
            self.spec = (cand.prog, ext, cand.prog(*ext))
        except Exception:  # e.g. a remembered input was donated since: no speculation
            cand.disabled = True

    def run(self, keep=()):
        """Run the ops; fill the live Pendings and nodes. Returns the values of the output
        slots in ``keep`` (needed by ops split off from this segment, see :meth:`split`)."""
        if _STATE["seg"] is self:
            _STATE["seg"] = None
        if not self.ops:
            return {}
        if len(self.ops) == 1 and not keep and self.ops[0][3] != _BACKWARD:
            return self._run_one()
        outs = [w() for w in self.outs]
        alive = tuple([i for i, p in enumerate(outs) if p is not None or i in keep])
        nodes = self.pending_nodes()
        key = (tuple(self.ops), alive, tuple(nodes.values()))
        prog = _PROGRAMS.get(key)
        spec, self.spec = self.spec, None
        if prog is None:
            seen = _SEEN.get(key, 0)
            if seen >= COMPILE_AFTER:
                prog = _PROGRAMS[key] = jax.jit(_program(key))
                _bound(_PROGRAMS)
            else:
                _SEEN[key] = seen + 1
                _bound(_SEEN)
                prog = _program(key)  # op by op: each op's own cached function
                _STATE["next"] = None
        elif spec is not None and spec[0] is prog and _same(spec[1], self.ext):
            vals, pbs = spec[2]
            self.cand.hit()
            self._after(key, prog, vals)
            return self._fill(outs, alive, keep, nodes, vals, pbs)
        if spec is not None:  # (dispatched, but this segment is another program or inputs)
            self.cand.miss()
        vals, pbs = prog(*self.ext)
        if type(prog) is not types.FunctionType:  # (a compiled program, not op by op)
            self._after(key, prog, vals)
        return self._fill(outs, alive, keep, nodes, vals, pbs)

    def _after(self, key, prog, vals) -> None:
        """After a compiled program ran: expect it again next (see :class:`_Speculation`)."""
        info = _SPECS.get(prog)
        if info is None:
            info = _SPECS[prog] = _Speculation(key, prog)
            _bound(_SPECS, 64)
        info.ran(self.ext, vals, self.ext_src)
        _STATE["next"] = info if info.trigger > 0 and not info.disabled else None

    def _fill(self, outs, alive, keep, nodes, vals, pbs):
        kept = {}
        for i, v in zip(alive, vals):
            p = outs[i]
            if p is not None:
                p.value, p.seg = v, None
            if i in keep:
                kept[i] = v
        for node, pb in zip(nodes, pbs):
            node.pullback = pb
        self._clear()
        return kept

    def split(self) -> None:
        """Run the ops up to the last deferred backward; the later ones stay, reading what they
        need of the earlier results as external inputs. A training loop that never reads a value
        thus runs one program per step (updates, forward, backward) instead of ever longer,
        never-repeating segments."""
        last = None
        for k, op in enumerate(self.ops):
            if op[3] == _BACKWARD:
                last = k
        if last is None:
            return
        tail = self.ops[last + 1:]
        cut = sum(op[2] for op in self.ops[:last + 1])
        need = {r for op in tail for r in op[1] if r is not None and 0 <= r < cut}
        head = Segment()
        head.ops, head.nodes = self.ops[:last + 1], self.nodes[:last + 1]
        head.ext, head.ext_src, head.outs = list(self.ext), list(self.ext_src), self.outs[:cut]
        kept = head.run(need)
        old_ext, old_src = self.ext, self.ext_src
        self.ext, self.ext_ids, self.ext_src = [], {}, []

        def remap(r):
            if r is None:
                return None
            if r < 0:
                return self.ref(old_ext[~r], old_src[~r])
            return self.ref(kept[r]) if r < cut else r - cut
        self.ops = [(fn, tuple(remap(r) for r in refs), n, kind) for fn, refs, n, kind in tail]
        self.nodes = self.nodes[last + 1:]
        self.outs = self.outs[cut:]
        for w in self.outs:
            p = w()
            if p is not None:
                p.slot -= cut

    def _run_one(self) -> dict:
        """A lone op (a value read right after it was recorded): its own cached function."""
        fn, refs, _, kind = self.ops[0]
        ext = self.ext
        res = fn(*[None if r is None else ext[~r] for r in refs])
        if kind == _GRAD:
            res, pb = res
            w = self.nodes[0]
            node = None if w is None else w()
            if node is not None:
                node.pullback = pb
        for w, v in zip(self.outs, res if type(res) is tuple else (res,)):
            p = w()
            if p is not None:
                p.value, p.seg = v, None
        self._clear()
        return {}

    def pending_nodes(self) -> dict:
        """{autograd node: op index} for the recorded ops whose node waits for its pullback."""
        out = {}
        for k, w in enumerate(self.nodes):
            if w is not None:
                n = w()
                if n is not None:
                    out[n] = k
        return out

    def record_backward(self, fn, order, pending, seeds, avals, consumed):
        """Record a fused backward over ``order``'s pullbacks (pending ones by op index, others
        as external inputs); returns Pendings for its outputs. The pullbacks of the ops in
        ``consumed`` will not leave the program."""
        pb_refs = []
        for node in order:
            k = pending.get(node)
            if k is None:
                k = ~len(self.ext)
                self.ext.append(node.pullback)
                self.ext_src.append(None)
            pb_refs.append(k)
        for k in consumed:
            self.nodes[k] = None
        refs = (tuple(pb_refs), tuple(self.ref(g) for g in seeds))
        return self._add(fn, refs, avals, _BACKWARD)


class _Speculation:
    """What speculation knows of one compiled program. A training loop records the same segment
    every step, but only runs it when a value is read -- usually at the end of the step -- so the
    step's Python (forward, backward, optimizer update) and the program's XLA run would not
    overlap. From its runs, each input of the program is learned to be either the same array as in
    the run before (a cached learning-rate scalar, a constant batch), an output of the run before
    (the parameters a hand-written update produced), the current array of the same Tensor as in
    the run before (a parameter that an optimizer step replaced), or none of these (a new batch):
    ``trigger`` is the number of recorded ops after which a new segment has seen every input of the
    last kind, and the program is dispatched then (:meth:`Segment._speculate`), the other inputs
    predicted; XLA runs it on the other core while Python records the rest. The result is used only
    if the finished segment is this program over exactly the predicted input arrays; two misses in
    a row turn speculation off for it. Only weak references are kept, except for the inputs
    predicted to be the same array (those are alive anyway)."""

    __slots__ = ("key", "prog", "first", "trigger", "strikes", "disabled", "ids", "src_ids",
                 "outs", "same", "fed", "tens")

    def __init__(self, key, prog) -> None:
        self.key, self.prog = key, prog
        self.first = _first_refs(key[0])
        self.trigger, self.strikes, self.disabled = 0, 0, False
        # the last run: weak references to its inputs, to the Tensors they were read from, to
        # its outputs
        self.ids = self.src_ids = None
        self.outs = ()
        # input -> the array / the output slot / (a weak reference to) the Tensor it is predicted
        # to come from
        self.same, self.fed, self.tens = {}, {}, {}

    def ran(self, ext, vals, srcs) -> None:
        prev, src_ids, outs = self.ids, self.src_ids, self.outs
        # (weak references, not ids: a freed array's id is soon another array's)
        self.ids = [_weak(a) for a in ext]
        self.src_ids = [None if t is None else _weak(t) for t in srcs]
        self.trigger, self.same, self.fed, self.tens = 0, {}, {}, {}
        if prev is not None and len(prev) == len(ext):
            out_ids = {}
            for j, w in enumerate(outs):
                v = None if w is None else w()
                if v is not None:
                    out_ids[id(v)] = j
            last = -1  # the last input predicted by none of the three
            for i, a in enumerate(ext):
                t, w = srcs[i], prev[i]
                if w is not None and w() is a:
                    self.same[i] = a
                elif id(a) in out_ids:
                    self.fed[i] = out_ids[id(a)]
                elif (t is not None and src_ids[i] is not None and src_ids[i]() is t
                      and getattr(t, "_base", 0) is None):
                    self.tens[i] = weakref.ref(t)  # (a parameter an optimizer step replaced)
                else:
                    last = i
            n = self.first[last] if last >= 0 else 1
            if n < len(self.key[0]):  # (dispatching after the last op gains nothing)
                self.trigger = n
        self.outs = [_weak(v) for v in vals]

    def predict(self, ext):
        """The program's inputs: ``ext`` (those recorded so far), then the predicted ones; None if
        one cannot be predicted (an output of the last run is gone, a Tensor holds no array)."""
        out = list(ext)
        for i in range(len(ext), len(self.ids)):
            a = self.same.get(i)
            if a is None:
                if i in self.fed:
                    w = self.outs[self.fed[i]]
                    a = None if w is None else w()
                elif i in self.tens:
                    t = self.tens[i]()
                    a = None if t is None else t._a
                    if type(a) is Pending:
                        a = a.value
                if type(a) is not _ARRAY:
                    return None
            out.append(a)
        return out

    def hit(self) -> None:
        self.strikes = 0

    def miss(self) -> None:
        self.strikes += 1
        if self.strikes >= 2:
            self.disabled = True


def _weak(a):
    """A weak reference to ``a``, or None where ``a`` takes none."""
    try:
        return weakref.ref(a)
    except TypeError:
        return None


def _first_refs(ops) -> list:
    """``out[i]``: how many ops a segment has recorded when it first references input ``i`` (inputs
    are numbered in order of first reference)."""
    first: list = []
    for k, (_, refs, _, kind) in enumerate(ops):
        for r in (*refs[0], *refs[1]) if kind == _BACKWARD else refs:
            if r is not None and r < 0:
                while len(first) <= ~r:
                    first.append(k + 1)
    return first


def _same(xs, ys) -> bool:
    return len(xs) == len(ys) and all(map(operator.is_, xs, ys))


def _bound(cache: dict, limit: int = 1024) -> None:
    if len(cache) > limit:
        cache.clear()


def _program(key):
    """The segment as a function of its external inputs: (referenced outputs, live pullbacks).
    Called directly it runs op by op; under ``jax.jit`` it is one program."""
    ops, alive, node_ks = key

    def run(*ext):
        vals, pbs = [], {}
        for k, (fn, refs, _, kind) in enumerate(ops):
            if kind == _BACKWARD:
                pb_refs, seed_refs = refs
                res = fn([pbs[r] if r >= 0 else ext[~r] for r in pb_refs],
                         [ext[~r] if r < 0 else vals[r] for r in seed_refs])
                vals.extend(res)
                continue
            res = fn(*[None if r is None else (ext[~r] if r < 0 else vals[r]) for r in refs])
            if kind == _GRAD:
                res, pbs[k] = res
            if type(res) is tuple:
                vals.extend(res)
            else:
                vals.append(res)
        return [vals[i] for i in alive], [pbs[k] for k in node_ks]
    return run


def current():
    """The open segment, or None."""
    return _STATE["seg"]


def flush() -> None:
    """Run the pending ops, if any."""
    seg = _STATE["seg"]
    if seg is not None:
        seg.run()


def record(fn, arrs, grad: bool, srcs=None):
    """Record ``fn(*arrs)`` if its output avals are known and the call qualifies; returns the
    output (a Pending or a tuple of them) or None (then the caller runs it now, see ``learn``).
    ``srcs[k]``: the Tensor ``arrs[k]`` was read from (speculation predicts it from there)."""
    sig = [fn]
    for a in arrs:
        t = type(a)
        if t is _ARRAY or t is Pending:
            sig.append(a.aval)
        elif a is None:
            sig.append(None)
        else:
            return None
    meta = _AVALS.get(tuple(sig))
    if meta is None or _get_ident() != _MAIN:
        return None
    seg = _STATE["seg"]
    if seg is None:
        seg = _STATE["seg"] = Segment(_STATE["next"])
    refs = []
    for k, a in enumerate(arrs):
        if type(a) is Pending and a.seg is seg and a.value is None:
            refs.append(a.slot)  # (Segment.ref's common case, inline: this is the hot path)
        else:
            refs.append(seg.ref(a, None if srcs is None else srcs[k]))
    is_tuple, avals = meta
    outs = seg._add(fn, tuple(refs), avals, _GRAD if grad else _PLAIN)
    return tuple(outs) if is_tuple else outs[0]


def peek(p, limit: int = 8):
    """The value of Pending ``p``, computed from just the ops it depends on (each op's own cached
    function), leaving its segment unrun: a check that must read a small input -- a loss's class
    targets, reshaped in the step -- then does not run the whole step so far in the middle of it
    (which would split the step's program in two). Runs the segment instead when more than
    ``limit`` ops (or a deferred backward) are involved."""
    if type(p) is not Pending:
        return p
    if p.value is not None:
        return p.value
    seg = p.seg
    producer, first = [], []  # output slot -> op index; op index -> its first output slot
    for k, op in enumerate(seg.ops):
        first.append(len(producer))
        producer.extend([k] * op[2])
    need, stack = set(), [producer[p.slot]]
    while stack:
        k = stack.pop()
        if k in need:
            continue
        _, refs, _, kind = seg.ops[k]
        need.add(k)
        if kind == _BACKWARD or len(need) > limit:
            return p.force()
        stack.extend(producer[r] for r in refs if r is not None and r >= 0)
    vals = {}
    for k in sorted(need):
        fn, refs, _, kind = seg.ops[k]
        res = fn(*[None if r is None else (seg.ext[~r] if r < 0 else vals[r]) for r in refs])
        if kind == _GRAD:
            res = res[0]
        for j, v in enumerate(res if type(res) is tuple else (res,)):
            vals[first[k] + j] = v
    return vals[p.slot]


def attach_node(out, node) -> None:
    """Tell the segment which autograd node receives the pullback of the op that made ``out``."""
    out.seg.nodes[-1] = weakref.ref(node)


def concrete(arrs):
    """``arrs`` with every Pending replaced by its value (runs the segment if needed)."""
    return [a.force() if type(a) is Pending else a for a in arrs]


def learn(fn, arrs, out) -> None:
    """Remember ``fn``'s output avals for these input avals (after running it for real)."""
    if not _STATE["on"]:
        return
    sig = [fn]
    for a in arrs:
        t = type(a)
        if t is _ARRAY:
            sig.append(a.aval)
        elif a is None:
            sig.append(None)
        else:
            return
    outs = out if type(out) is tuple else (out,)
    if not all(type(o) is _ARRAY for o in outs):
        return
    if len(_AVALS) > 65536:
        _AVALS.clear()
    _AVALS[tuple(sig)] = (type(out) is tuple, tuple(o.aval for o in outs))


def clear_caches() -> None:
    flush()
    _AVALS.clear()
    _SEEN.clear()
    _PROGRAMS.clear()
    _SPECS.clear()
    _STATE["next"] = None
