"""Deferred eager execution (torchlike/_lazy.py): results, autograd semantics and errors are those
of op-by-op execution, and a repeated training step really runs as one deferred program.

Each test runs its code a few times so that the ops are recorded rather than run (an op is
deferred once its function and input shapes have run before; a sequence is compiled the third
time it is seen)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import torchlike as tl
from torchlike import _lazy

pytestmark = pytest.mark.skipif(not _lazy.enabled(), reason="deferred execution is off")


@pytest.fixture
def lazy_mode():
    yield
    _lazy.set_enabled(True)


def _params(lib, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(20, 16), (16,), (16, 4), (4,)]
    return [lib.tensor(rng.standard_normal(s).astype(np.float32) * 0.3, requires_grad=True)
            for s in shapes]


def _sgd_step(lib, ps, x, y):
    w1, b1, w2, b2 = ps
    z = (x @ w1 + b1).relu() @ w2 + b2
    loss = -(z.log_softmax(dim=1) * y).sum() / x.shape[0]
    loss.backward()
    with lib.no_grad():
        for p in ps:
            p -= 0.1 * p.grad
            p.grad = None
    return loss


def _data(lib):
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((8, 20)).astype(np.float32))
    y = lib.tensor(np.eye(4, dtype=np.float32)[rng.integers(0, 4, 8)])
    return x, y


@pytest.mark.parametrize("sync", ["item", "none"], ids=["item_each_step", "never_synced"])
def test_training_loop_matches_torch_and_op_by_op(lazy_mode, sync):
    results = {}
    for name, lib, lazy in (("torch", torch, None), ("deferred", tl, True), ("eager", tl, False)):
        if lazy is not None:
            _lazy.set_enabled(lazy)
        ps, (x, y) = _params(lib), _data(lib)
        losses = []
        for _ in range(12):
            loss = _sgd_step(lib, ps, x, y)
            losses.append(loss.item() if sync == "item" else loss.detach())
        results[name] = ([float(v) for v in losses], [p.detach().numpy() for p in ps])
    for name in ("deferred", "eager"):
        np.testing.assert_allclose(results[name][0], results["torch"][0], rtol=1e-5, atol=1e-6)
        for a, b in zip(results[name][1], results["torch"][1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_steps_are_deferred_and_compiled(lazy_mode):
    _lazy.set_enabled(True)
    ps, (x, y) = _params(tl, seed=3), _data(tl)
    before = len(_lazy._PROGRAMS)
    for _ in range(6):
        loss = _sgd_step(tl, ps, x, y)
    # the last step's forward, backward and update are still pending: nothing has run them
    assert isinstance(loss._a, _lazy.Pending)
    assert all(isinstance(p._a, _lazy.Pending) for p in ps)
    assert len(_lazy._PROGRAMS) > before  # a repeated step became one compiled program
    assert np.isfinite(loss.item()) and not isinstance(loss._a, _lazy.Pending)


def test_pending_tensor_metadata_and_printing(lazy_mode):
    a = tl.arange(6.0).reshape(2, 3)
    for _ in range(3):
        b = a * 2 + 1
    assert isinstance(b._a, _lazy.Pending)
    assert b.shape == tl.Size([2, 3]) and b.dtype == tl.float32 and b.ndim == 2
    assert b.device == tl.device("cpu") and b.numel() == 6 and len(b) == 2
    assert isinstance(b._a, _lazy.Pending)  # metadata did not run anything
    assert repr(b) == repr(tl.tensor([[1.0, 3.0, 5.0], [7.0, 9.0, 11.0]]))


def test_errors_still_raise_at_the_op(lazy_mode):
    a, b = tl.ones(2, 3), tl.ones(3, 4)
    for _ in range(3):
        a @ b
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        a @ a  # new input shapes: runs (and fails) at once, not later
    with pytest.raises(IndexError, match="Dimension out of range"):
        (a * 2).sum(dim=5)


def test_version_counter_error_with_deferred_ops(lazy_mode):
    for i in range(4):
        x = tl.ones(3, requires_grad=True)
        y = x.exp()
        if i == 3:
            y.add_(1)
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                y.sum().backward()
        else:
            y.sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), np.full(3, np.e), rtol=1e-6)


def test_deferred_backward_frees_or_retains_the_graph(lazy_mode):
    for _ in range(5):  # until the backward itself is deferred
        w = tl.tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum() * 3
        loss.backward()
    assert isinstance(w.grad._a, _lazy.Pending)
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 12.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    for _ in range(5):
        w = tl.tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum() * 3
        loss.backward(retain_graph=True)
        loss.backward()
        np.testing.assert_allclose(w.grad.numpy(), [12.0, 24.0])


def test_gradient_accumulation_over_two_deferred_backwards(lazy_mode):
    w_t = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    for _ in range(2):
        (w_t.sin() * 2).sum().backward()
    for _ in range(4):
        w = tl.tensor([0.5, -1.0, 2.0], requires_grad=True)
        for _ in range(2):
            (w.sin() * 2).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), w_t.grad.numpy(), rtol=1e-6)


def test_in_place_writes_through_views_of_pending_tensors(lazy_mode):
    for _ in range(4):
        base = tl.zeros(3, 4) + 1
        row = base[1]
        row.mul_(5)
        base.t()[0].add_(1)
    expect = np.ones((3, 4), np.float32)
    expect[1] *= 5
    expect[:, 0] += 1
    np.testing.assert_array_equal(base.numpy(), expect)


def test_other_threads_run_ops_at_once(lazy_mode):
    a = tl.ones(4)
    for _ in range(3):
        a + 1
    out = {}

    def work():
        out["t"] = a + 1
    th = threading.Thread(target=work)
    th.start()
    th.join()
    assert not isinstance(out["t"]._a, _lazy.Pending)
    np.testing.assert_array_equal(out["t"].numpy(), np.full(4, 2.0, np.float32))


def test_turning_it_off_runs_pending_work(lazy_mode):
    a = tl.ones(2)
    for _ in range(3):
        b = a + 1
    assert isinstance(b._a, _lazy.Pending)
    _lazy.set_enabled(False)
    assert not _lazy.enabled() and b._a.value is not None
    c = a + 1
    assert not isinstance(c._a, _lazy.Pending)


def test_backward_plans_are_reused_only_for_graphs_of_the_same_shape(lazy_mode):
    # The fused backward reuses the plan of the last graph from roots of the same kind (see
    # autograd.graph._plan_for). These graphs share their root (SumBackward0) and their ops: the
    # plan of ``a * b`` must not be taken for ``a * a`` (one leaf reached twice) nor for ``b * a``
    # (the leaves swapped), and each must still get its own deferred backward.
    rng = np.random.default_rng(0)
    a0, b0 = (rng.standard_normal(3).astype(np.float32) for _ in range(2))
    cases = {"ab": (lambda a, b: a * b, (b0, a0)), "aa": (lambda a, b: a * a, (2 * a0, 0 * b0)),
             "ba": (lambda a, b: b * a, (b0, a0))}
    for _ in range(5):
        deferred = []
        for f, (ga, gb) in cases.values():
            a, b = tl.tensor(a0, requires_grad=True), tl.tensor(b0, requires_grad=True)
            f(a, b).sum().backward()
            deferred.append(isinstance(a.grad._a, _lazy.Pending))
            np.testing.assert_allclose(a.grad.numpy(), ga, rtol=1e-6)
            if gb.any():
                np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-6)
            else:
                assert b.grad is None
    assert all(deferred)


# -- speculation: a repeated step's program starts before its segment is complete ----------------

@pytest.fixture
def spec_log(monkeypatch):
    """Counts the speculative dispatches, and how many of them ``run`` used / threw away."""
    log = {"dispatched": 0, "hit": 0, "miss": 0}
    speculate, hit, miss = _lazy.Segment._speculate, _lazy._Speculation.hit, _lazy._Speculation.miss

    def counted_speculate(self):
        speculate(self)
        log["dispatched"] += self.spec is not None

    def counted(name, f):
        def g(self):
            log[name] += 1
            f(self)
        return g
    monkeypatch.setattr(_lazy.Segment, "_speculate", counted_speculate)
    monkeypatch.setattr(_lazy._Speculation, "hit", counted("hit", hit))
    monkeypatch.setattr(_lazy._Speculation, "miss", counted("miss", miss))
    yield log
    _lazy.set_enabled(True)


def _sgd_run(lib, steps, seed=5, lr_at=None, read_from=None, const_swap=None):
    """``steps`` SGD steps of a small MLP (values read at the end of each step), optionally with
    the learning rate changed from step ``lr_at[0]`` on, a value read mid-step from ``read_from``,
    or a constant late input replaced (and its old buffer deleted) at step ``const_swap``."""
    ps, (x, y) = _params(lib, seed=seed), _data(lib)
    scale = lib.ones(4)
    losses = []
    for i in range(steps):
        lr = lr_at[1] if lr_at is not None and i >= lr_at[0] else 0.1
        if const_swap is not None and i == const_swap:
            old, scale = scale, lib.ones(4)
            if lib is tl:
                old._arr.delete()  # (as a compiled step's donation would)
        w1, b1, w2, b2 = ps
        z = (x @ w1 + b1).relu() @ w2 + b2
        if read_from is not None and i >= read_from:
            z.detach().sum().item()  # a read before the backward
        loss = -((z * scale).log_softmax(dim=1) * y).sum() / x.shape[0]
        loss.backward()
        with lib.no_grad():
            for p in ps:
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
    return np.array(losses), [p.detach().numpy() for p in ps]


def _same_as_torch(**kw):
    (lt, pt), (ll, pl) = _sgd_run(torch, 16, **kw), _sgd_run(tl, 16, **kw)
    np.testing.assert_allclose(ll, lt, rtol=1e-5, atol=1e-6)
    for a, b in zip(pl, pt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_speculation_dispatches_a_repeated_step_early(spec_log):
    """Once the step's program has run twice, each step's program is dispatched as soon as the new
    parameters have been read (before the backward and the update are recorded), and the finished
    segment uses that result; the losses stay torch's."""
    _lazy.clear_caches()
    _same_as_torch()
    assert spec_log["dispatched"] >= 4 and spec_log["hit"] == spec_log["dispatched"]
    assert spec_log["miss"] == 0
    info = next(i for i in _lazy._SPECS.values() if i.trigger)
    assert 0 < info.trigger < len(info.key[0])  # dispatched before the segment was complete


def test_speculation_miss_falls_back_and_stays_correct(spec_log):
    """A late input taken to be unchanged changes (a new learning rate: a new scalar array): the
    speculated result is dropped and the real inputs run; speculation then learns the new input."""
    _lazy.clear_caches()
    _same_as_torch(lr_at=(13, 0.05))
    assert spec_log["miss"] == 1 and spec_log["hit"] >= 2


def test_speculation_after_a_mid_step_read(spec_log):
    """A value read in the middle of the step runs the segment early: the programs then alternate
    and a speculated whole-step program is never used -- at most two misses, then it is off."""
    _lazy.clear_caches()
    _same_as_torch(read_from=11)
    assert spec_log["miss"] <= 2


def test_speculation_with_a_deleted_input(spec_log):
    """A remembered input whose buffer was deleted since (as donation does) cannot be dispatched:
    speculation is off for that program, and the step runs on its real inputs."""
    _lazy.clear_caches()
    _same_as_torch(const_swap=13)
    assert spec_log["hit"] >= 2 and spec_log["miss"] == 0
    assert any(i.disabled for i in _lazy._SPECS.values())


def test_speculation_for_a_module_and_an_optimizer(spec_log):
    """nn.Module + torch.optim: the optimizer's update is deferred too, so forward, backward and
    update are one program whose next run is dispatched at the step's first op (every input
    predicted); losses and parameters stay torch's."""
    _lazy.clear_caches()

    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(20, 16), lib.nn.ReLU(), lib.nn.Linear(16, 4))
        rng = np.random.default_rng(9)
        with lib.no_grad():
            for p in m.parameters():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
        opt = lib.optim.Adam(m.parameters(), lr=0.01, weight_decay=1e-4)
        x, y = _data(lib)
        losses = []
        for _ in range(16):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(m(x), y.argmax(dim=1))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return np.array(losses), [p.detach().numpy() for p in m.parameters()]
    (lt, pt), (ll, pl) = run(torch), run(tl)
    np.testing.assert_allclose(ll, lt, rtol=1e-5, atol=1e-6)
    for a, b in zip(pl, pt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert spec_log["hit"] >= 4 and spec_log["miss"] == 0
    assert any(i.trigger == 1 for i in _lazy._SPECS.values())


def test_speculation_predicts_inputs_from_their_tensors(spec_log):
    """Parameters given new arrays from outside the program each step (here ``.data =`` from
    numpy) are predicted as the current arrays of the same Tensors."""
    _lazy.clear_caches()
    rng = np.random.default_rng(4)
    noise = [[rng.standard_normal(s).astype(np.float32) * 0.01 for s in ((20, 16), (16,))]
             for _ in range(16)]

    def run(lib):
        ps, (x, y) = _params(lib, seed=10), _data(lib)
        losses = []
        for i in range(16):
            with lib.no_grad():
                for p, n in zip(ps[:2], noise[i]):
                    p.data = lib.tensor(p.detach().numpy() + n)  # (a concrete new array)
            w1, b1, w2, b2 = ps
            z = (x @ w1 + b1).relu() @ w2 + b2
            loss = -(z.log_softmax(dim=1) * y).sum() / 8
            loss.backward()
            with lib.no_grad():
                for p in ps:
                    p -= 0.1 * p.grad
                    p.grad = None
            losses.append(loss.item())
        return np.array(losses), [p.detach().numpy() for p in ps]
    (lt, pt), (ll, pl) = run(torch), run(tl)
    np.testing.assert_allclose(ll, lt, rtol=1e-5, atol=1e-6)
    for a, b in zip(pl, pt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert spec_log["hit"] >= 4 and spec_log["miss"] == 0
    assert any(i.tens for i in _lazy._SPECS.values())


def test_class_target_check_reads_only_the_target(lazy_mode, monkeypatch):
    """CrossEntropy's class-index check reads a deferred target through ``_lazy.peek``: its own
    ops only, so the step's segment is not run in the middle of the forward; a bad index still
    raises torch's IndexError at the loss."""
    logits_w = tl.randn(6, 4, requires_grad=True)
    labels = tl.tensor([[0, 1, 2], [3, 0, 1]])
    runs = []
    real_run = _lazy.Segment.run

    def counted(self, keep=()):
        runs.append(len(self.ops))
        return real_run(self, keep)
    for i in range(5):
        if i == 4:
            monkeypatch.setattr(_lazy.Segment, "run", counted)
        z = (tl.ones(6, 6) @ logits_w).relu()
        target = labels.reshape(-1)  # a deferred view of the labels
        loss = tl.nn.functional.cross_entropy(z, target)
        assert not runs  # the check did not run the segment
        loss.backward()
        loss.item()
    for _ in range(3):
        bad = ((labels + 4) % 8).reshape(-1)  # [4, 5, 6, 7, 4, 5]: 4 classes only
    assert isinstance(bad._a, _lazy.Pending)
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        tl.nn.functional.cross_entropy(z.detach(), bad)
