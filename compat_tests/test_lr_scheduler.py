"""torchlike.optim.lr_scheduler against torch: the lr (and momentum) sequence for 200 steps with
two param groups, the warnings emitted, and a state_dict round trip from torch into torchlike."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchlike


def _sched(lib, name):
    return getattr(lib.optim.lr_scheduler, name)


SCHEDULERS = {  # name -> (optimizer class, scheduler factory(lib, opt))
    "LambdaLR": ("SGD", lambda t, o: _sched(t, "LambdaLR")(
        o, [lambda e: 0.95 ** e, lambda e: 1 / (1 + e)])),
    "MultiplicativeLR": ("SGD", lambda t, o: _sched(t, "MultiplicativeLR")(o, lambda e: 0.97)),
    "StepLR": ("SGD", lambda t, o: _sched(t, "StepLR")(o, step_size=30, gamma=0.5)),
    "MultiStepLR": ("SGD", lambda t, o: _sched(t, "MultiStepLR")(o, [20, 50, 50, 120], 0.3)),
    "ConstantLR": ("SGD", lambda t, o: _sched(t, "ConstantLR")(o, factor=0.25, total_iters=40)),
    "LinearLR": ("SGD", lambda t, o: _sched(t, "LinearLR")(o, 0.1, 0.9, total_iters=70)),
    "ExponentialLR": ("SGD", lambda t, o: _sched(t, "ExponentialLR")(o, gamma=0.98)),
    "PolynomialLR": ("SGD", lambda t, o: _sched(t, "PolynomialLR")(o, total_iters=150, power=2.0)),
    "CosineAnnealingLR": ("SGD", lambda t, o: _sched(t, "CosineAnnealingLR")(o, 45, 0.001)),
    "CosineAnnealingWarmRestarts": ("SGD", lambda t, o: _sched(
        t, "CosineAnnealingWarmRestarts")(o, T_0=10, T_mult=2, eta_min=0.01)),
    "OneCycleLR": ("SGD", lambda t, o: _sched(t, "OneCycleLR")(o, [1.0, 0.5], total_steps=201)),
    "OneCycleLR-3phase-linear-adam": ("Adam", lambda t, o: _sched(t, "OneCycleLR")(
        o, 0.1, epochs=10, steps_per_epoch=21, three_phase=True, anneal_strategy="linear")),
    "CyclicLR": ("SGD", lambda t, o: _sched(t, "CyclicLR")(o, 0.01, [0.1, 0.2], step_size_up=15)),
    "CyclicLR-triangular2": ("SGD", lambda t, o: _sched(t, "CyclicLR")(
        o, 0.01, 0.1, step_size_up=10, step_size_down=25, mode="triangular2")),
    "CyclicLR-exp_range-adam": ("Adam", lambda t, o: _sched(t, "CyclicLR")(
        o, 0.01, 0.1, step_size_up=12, mode="exp_range", gamma=0.99)),
    "SequentialLR": ("SGD", lambda t, o: _sched(t, "SequentialLR")(
        o, [_sched(t, "LinearLR")(o, 0.2, total_iters=10),
            _sched(t, "CosineAnnealingLR")(o, 60), _sched(t, "ExponentialLR")(o, 0.99)],
        milestones=[10, 90])),
    "ChainedScheduler": ("SGD", lambda t, o: _sched(t, "ChainedScheduler")(
        [_sched(t, "ConstantLR")(o, 0.5, total_iters=25),
         _sched(t, "ExponentialLR")(o, 0.99), _sched(t, "StepLR")(o, 40, 0.5)])),
}


def _optimizer(lib, kind):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    extra = {"momentum": 0.9} if kind == "SGD" else {}
    return getattr(lib.optim, kind)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1,
                                    **extra)


def _trace(opt, sched, steps, metric=None):
    out = []
    for i in range(steps):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric(i))
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
                    [g.get("momentum", g.get("betas")) for g in opt.param_groups]))
    return out


def _run(lib, kind, factory, steps=200):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = _optimizer(lib, kind)
        sched = factory(lib, opt)
        trace = _trace(opt, sched, steps)
    return opt, sched, trace, [str(w.message) for w in caught]


def _assert_traces(got, want):
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        for a, b in zip(g, w):
            np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float),
                                       rtol=1e-12, atol=0, err_msg=f"step {i}")


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence(name):
    kind, factory = SCHEDULERS[name]
    *_, t_trace, t_warn = _run(torch, kind, factory)
    *_, l_trace, l_warn = _run(torchlike, kind, factory)
    _assert_traces(l_trace, t_trace)
    assert l_warn == t_warn


def test_reduce_lr_on_plateau():
    def metric(i):
        return 1.0 / (1 + i) if i < 30 else 0.5 + 0.01 * np.sin(i)
    traces = []
    for lib in (torch, torchlike):
        opt = _optimizer(lib, "SGD")
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=3, cooldown=2,
                                                         min_lr=[0.001, 0.002], threshold=1e-3)
        traces.append(_trace(opt, sched, 200, metric))
    _assert_traces(traces[1], traces[0])


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR",
                                  "SequentialLR", "ChainedScheduler", "LambdaLR"])
def test_state_dict_round_trip_from_torch(name):
    """Stop torch after 60 steps; load its optimizer and scheduler state into a fresh torchlike
    pair; both continue for 60 steps with the same learning rates."""
    kind, factory = SCHEDULERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_opt = _optimizer(torch, kind)
        t_sched = factory(torch, t_opt)
        _trace(t_opt, t_sched, 60)
        l_opt = _optimizer(torchlike, kind)
        l_sched = factory(torchlike, l_opt)
        l_sched.load_state_dict(t_sched.state_dict())
        l_opt.load_state_dict(t_opt.state_dict())
        _assert_traces(_trace(l_opt, l_sched, 60), _trace(t_opt, t_sched, 60))


def test_scheduler_before_optimizer_warns_like_torch():
    msgs = []
    for lib in (torch, torchlike):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = _optimizer(lib, "SGD")
            sched = lib.optim.lr_scheduler.StepLR(opt, 5)
            sched.step()
            sched.get_lr()
        msgs.append([str(w.message) for w in caught])
    assert msgs[1] == msgs[0] and len(msgs[0]) == 2


@pytest.mark.parametrize("fn", [
    lambda t, o: t.optim.lr_scheduler.StepLR(o, 3, last_epoch=5),
    lambda t, o: t.optim.lr_scheduler.ConstantLR(o, factor=2.0),
    lambda t, o: t.optim.lr_scheduler.LinearLR(o, start_factor=0),
    lambda t, o: t.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
    lambda t, o: t.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda t, o: t.optim.lr_scheduler.OneCycleLR(o, 0.1),
    lambda t, o: t.optim.lr_scheduler.CyclicLR(o, 0.1, 0.2, mode="bad"),
    lambda t, o: t.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.5),
    lambda t, o: t.optim.lr_scheduler.SequentialLR(o, [], milestones=[]),
    lambda t, o: t.optim.lr_scheduler.StepLR(object(), 3),
])
def test_errors(fn):
    got = []
    for lib in (torch, torchlike):
        with pytest.raises(Exception) as info:
            fn(lib, _optimizer(lib, "SGD"))
        got.append((type(info.value), str(info.value)))
    assert got[1] == got[0]
