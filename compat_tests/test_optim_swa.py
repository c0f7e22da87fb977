"""torchlike.optim.swa_utils against torch.optim.swa_utils: averaged weights and buffers, SWALR's
lr sequence, update_bn's statistics and the argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_error

import torchlike

RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 4)).astype(np.float32)
Y = RNG.standard_normal((32, 1)).astype(np.float32)


def _models():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.Tanh(),
                            torch.nn.Linear(6, 1))
    lt = torchlike.nn.Sequential(torchlike.nn.Linear(4, 6), torchlike.nn.BatchNorm1d(6),
                                 torchlike.nn.Tanh(), torchlike.nn.Linear(6, 1))
    lt.load_state_dict({k: torchlike.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return t, lt


def _same_state_dict(got, want, what):
    assert list(got) == list(want), what
    for k in want:
        assert str(got[k].dtype) == str(want[k].dtype), f"{what}: dtype of {k}"
        np.testing.assert_allclose(got[k].numpy(), want[k].numpy(), rtol=2e-5, atol=2e-6,
                                   err_msg=f"{what}: {k}")


AVERAGING = {
    "swa": lambda lib: {},
    "swa_buffers": lambda lib: {"use_buffers": True},
    "ema_multi": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)},
    "ema_avg_fn_buffers": lambda lib: {"avg_fn": lib.optim.swa_utils.get_ema_avg_fn(0.8),
                                       "use_buffers": True},
    "swa_multi": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_swa_multi_avg_fn()},
}


@pytest.mark.parametrize("kind", list(AVERAGING))
def test_averaged_model(kind):
    """Train beside torch for 15 SGD steps, folding the weights into an AveragedModel each step;
    the averaged parameters, buffers and n_averaged must match after every update."""
    t_model, l_model = _models()
    pairs = []
    for lib, model in ((torch, t_model), (torchlike, l_model)):
        avg = lib.optim.swa_utils.AveragedModel(model, **AVERAGING[kind](lib))
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        pairs.append((lib, model, avg, opt))
    for i in range(15):
        for lib, model, avg, opt in pairs:
            opt.zero_grad()
            ((model(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean().backward()
            opt.step()
            avg.update_parameters(model)
        _same_state_dict(pairs[1][2].state_dict(), pairs[0][2].state_dict(), f"{kind} step {i}")
    out = [avg(lib.tensor(X)).detach().numpy() for lib, _, avg, _ in pairs]
    np.testing.assert_allclose(out[1], out[0], rtol=2e-5, atol=2e-5)


def test_update_bn():
    t_model, l_model = _models()
    batches = [X[i:i + 8] for i in range(0, 32, 8)]
    for lib, model in ((torch, t_model), (torchlike, l_model)):
        model.eval()
        loader = [(lib.tensor(b), lib.tensor(b[:, :1])) for b in batches]
        lib.optim.swa_utils.update_bn(loader, model)
        assert not model.training and model[1].momentum == 0.1
    _same_state_dict(l_model.state_dict(), t_model.state_dict(), "update_bn")


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 5])
def test_swalr_lr_sequence(strategy, anneal_epochs):
    lrs = {}
    for lib in (torch, torchlike):
        p1, p2 = (lib.zeros(2, requires_grad=True) for _ in range(2))
        opt = lib.optim.SGD([{"params": [p1]}, {"params": [p2], "lr": 0.3}], lr=0.1)
        sched = lib.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs,
                                          anneal_strategy=strategy)
        seq = [sched.get_last_lr()]
        for _ in range(12):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        lrs[lib] = seq
        sd = sched.state_dict()
        assert "optimizer" not in sd and "anneal_func" not in sd
    np.testing.assert_allclose(lrs[torchlike], lrs[torch], rtol=1e-12)


def test_swalr_state_dict_round_trip():
    p = torchlike.zeros(2, requires_grad=True)
    opt = torchlike.optim.SGD([p], lr=0.1)
    sched = torchlike.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_strategy="linear")
    sd = sched.state_dict()
    other = torchlike.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_strategy="cos")
    other.load_state_dict(sd)
    assert other.anneal_func(0.25) == 0.25


def _avg_both_fns(t):
    su = t.optim.swa_utils
    return su.AveragedModel(t.nn.Linear(2, 2), avg_fn=su.get_swa_avg_fn(),
                            multi_avg_fn=su.get_swa_multi_avg_fn())


def _swalr(t, **kwargs):
    opt = t.optim.SGD([t.zeros(2, requires_grad=True)], lr=0.1)
    return t.optim.swa_utils.SWALR(opt, **kwargs)


ERRORS = [
    _avg_both_fns,
    lambda t: t.optim.swa_utils.get_ema_multi_avg_fn(1.5),
    lambda t: t.optim.swa_utils.get_ema_avg_fn(-0.1),
    lambda t: _swalr(t, swa_lr=0.05, anneal_strategy="step"),
    lambda t: _swalr(t, swa_lr=0.05, anneal_epochs=-1),
    lambda t: _swalr(t, swa_lr=0.05, anneal_epochs=2.5),
    lambda t: _swalr(t, swa_lr=[0.05, 0.01]),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors(fn):
    check_error(fn, match_message=True)
