"""torchlike.compile: a whole training step (the seed MNIST MLP) traced into one jax.jit must give
the same losses and parameters as eager torchlike, keep schedulers working without recompiling,
recompile on new shapes (with a log), refuse untraceable calls under fullgraph=True, fall back to
eager otherwise; a compiled Module's forward gives eager gradients through one autograd node."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import torchlike
import torchlike.nn as nn
import torchlike.optim as optim

STEPS = 20
BATCH = 32


class Net(nn.Module):
    """The seed document's MNIST model (784-256-128-10 with Dropout)."""

    def __init__(self, p=0.2):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(nn.Linear(28 * 28, 256), nn.ReLU(), nn.Dropout(p),
                                    nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.layers(self.flatten(x))


def _batches(n, batch=BATCH, seed=0):
    rng = np.random.default_rng(seed)
    return [(torchlike.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)),
             torchlike.tensor(rng.integers(0, 10, batch))) for _ in range(n)]


def _make_step(model, opt, criterion):
    def step(x, y):
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def _params(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


OPTIMIZERS = {
    "adam_wd": lambda ps: optim.Adam(ps, lr=1e-3, weight_decay=1e-4),
    "sgd_momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
}


def _twin_runs(make_opt, train, batches, scheduler=None, p=0.2):
    """Run the same training eagerly and compiled from the same weights and seed."""
    torchlike.manual_seed(0)
    model = Net(p)
    model.train(train)
    results = []
    for compiled in (False, True):
        m = copy.deepcopy(model)
        opt = make_opt(m.parameters())
        sched = scheduler(opt) if scheduler else None
        step = _make_step(m, opt, nn.CrossEntropyLoss())
        if compiled:
            step = torchlike.compile(step)
        torchlike.manual_seed(1)
        losses = []
        for x, y in batches:
            losses.append(step(x, y).item())
            if sched is not None:
                sched.step()
        results.append((np.array(losses), _params(m), step, opt,
                        torchlike.default_generator._key))
    return results


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_training_step_matches_eager(name):
    """Dropout off (eval mode): the compiled step equals eager for 20 steps."""
    (le, pe, _, _, _), (lc, pc, step, opt, _) = _twin_runs(OPTIMIZERS[name], False,
                                                           _batches(STEPS))
    np.testing.assert_allclose(lc, le, rtol=1e-6, atol=1e-6)
    for a, b in zip(pc, pe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert step.compile_count == 2  # no grads/state yet, then the steady state
    assert len(opt.state) == 6 and all(isinstance(v, torchlike.Tensor)
                                       for s in opt.state.values() for v in s.values())


def test_dropout_trains_and_advances_rng():
    """Dropout on: the compiled step draws the same masks as eager (same seed, same key
    sequence) and advances the default generator."""
    batches = _batches(4)
    (le, pe, _, _, ke), (lc, pc, _, _, kc) = _twin_runs(OPTIMIZERS["adam_wd"], True, batches)
    np.testing.assert_allclose(lc, le, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(kc), np.asarray(ke))
    torchlike.manual_seed(1)
    assert not np.array_equal(np.asarray(torchlike.default_generator._key), np.asarray(kc))
    # Dropout really drops: train-mode outputs differ between calls, eval-mode ones do not.
    model = Net(0.5)
    fwd = torchlike.compile(lambda x: model(x))
    x = batches[0][0]
    assert not np.array_equal(fwd(x).numpy(), fwd(x).numpy())
    model.eval()
    np.testing.assert_array_equal(fwd(x).numpy(), fwd(x).numpy())


def test_scheduler_changes_lr_without_recompiling():
    batches = _batches(12)
    sched = lambda o: optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.1)  # noqa: E731
    (le, pe, _, _, _), (lc, pc, step, opt, _) = _twin_runs(
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), False, batches, sched)
    np.testing.assert_allclose(lc, le, rtol=1e-6, atol=1e-6)
    for a, b in zip(pc, pe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert step.compile_count == 2


def test_tensor_lr_changed_in_place_by_a_scheduler():
    """A Tensor lr is updated in place (``fill_``) by schedulers: the same object with a new
    value. The compiled step must see each new value (the cached hyperparameter arrays are
    reused only for unchanged immutable floats), without recompiling."""
    batches = _batches(8)
    sched = lambda o: optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.1)  # noqa: E731
    (le, pe, _, _, _), (lc, pc, step, opt, _) = _twin_runs(
        lambda ps: optim.Adam(ps, lr=torchlike.tensor(0.01)), False, batches, sched)
    assert isinstance(opt.param_groups[0]["lr"], torchlike.Tensor)
    assert float(opt.param_groups[0]["lr"]) == pytest.approx(1e-6)
    np.testing.assert_allclose(lc, le, rtol=1e-6, atol=1e-6)
    for a, b in zip(pc, pe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert step.compile_count == 2


def test_hand_edited_lr_takes_effect():
    torchlike.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)

    @torchlike.compile
    def step(x):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()

    x = torchlike.ones(2, 4)
    step(x)
    step(x)
    before = model.bias.item()
    opt.param_groups[0]["lr"] = 0.0
    step(x)
    assert model.bias.item() == before  # lr 0: no change, and no retrace
    opt.param_groups[0]["lr"] = 1.0
    step(x)
    assert model.bias.item() == pytest.approx(before - 2.0)  # d(sum)/d(bias) = batch size 2
    assert step.compile_count == 2


def test_recompiles_on_new_batch_shape(monkeypatch, capsys):
    monkeypatch.setenv("TORCHLIKE_LOGS", "recompiles")
    torchlike.manual_seed(0)
    model = Net()
    model.eval()
    opt = optim.SGD(model.parameters(), lr=0.01)
    step = torchlike.compile(_make_step(model, opt, nn.CrossEntropyLoss()))
    for x, y in _batches(2, batch=8) + _batches(2, batch=5):
        step(x, y)
    assert step.compile_count == 3  # first call, steady state at 8, then batch 5
    err = capsys.readouterr().err
    assert "Recompiling" in err and "arguments changed" in err and "(5, 1, 28, 28)" in err


def test_no_recompile_log_without_env(monkeypatch, capsys):
    monkeypatch.delenv("TORCHLIKE_LOGS", raising=False)
    f = torchlike.compile(lambda x: x * 2)
    f(torchlike.ones(2))
    f(torchlike.ones(3))
    assert f.compile_count == 2
    assert "Recompiling" not in capsys.readouterr().err


@pytest.mark.parametrize("what, body", [
    ("Tensor.item()", lambda x: x * x.sum().item()),
    ("Tensor.tolist()", lambda x: x * len(x.tolist())),
    ("Tensor.numpy()", lambda x: x * float(x.numpy().sum())),
    ("bool(Tensor)", lambda x: x * 2 if x.sum() > 0 else x),
    ("print(Tensor)", lambda x: print(x.sum()) or x),
])
def test_fullgraph_untraceable_raises(what, body):
    f = torchlike.compile(body, fullgraph=True)
    with pytest.raises(RuntimeError, match="fullgraph=True") as info:
        f(torchlike.ones(3))
    assert what in str(info.value) and "Fix:" in str(info.value)
    line = body.__code__.co_firstlineno  # the message names the user's line, with its source
    assert f'test_compile.py:{line} (in <lambda>): `("{what}", lambda x:' in str(info.value)


def test_print_is_a_graph_break(capsys):
    """print(tensor) in a compiled function prints the value (the call runs eagerly), as in
    torch.compile; printing inside other traces (torchlike.func) shows a placeholder."""
    f = torchlike.compile(lambda x: print(x.sum()) or x * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f(torchlike.arange(3.0))
    assert capsys.readouterr().out == "tensor(3.)\n"
    np.testing.assert_array_equal(out.numpy(), [0.0, 2.0, 4.0])
    torchlike.func.vmap(lambda x: print(x) or x)(torchlike.ones(2, 3))
    assert capsys.readouterr().out.startswith("tensor(<traced>, shape=[3]")


def test_graph_break_falls_back_to_eager_and_warns_once():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    seen = []

    @torchlike.compile
    def step(x):
        opt.zero_grad()
        loss = model(x).square().sum()
        loss.backward()
        opt.step()
        seen.append(loss.item())  # a graph break
        return loss

    ref = copy.deepcopy(model)
    ref_opt = optim.SGD(ref.parameters(), lr=0.1)
    x = torchlike.ones(4, 3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(3):
            out = step(x)
            ref_opt.zero_grad()
            ref_loss = ref(x).square().sum()
            ref_loss.backward()
            ref_opt.step()
            assert out.item() == ref_loss.item()
    msgs = [str(m.message) for m in w if "cannot be traced" in str(m.message)]
    assert len(msgs) == 1 and "`seen.append(loss.item())  # a graph break`" in msgs[0]
    assert len(seen) == 3
    np.testing.assert_array_equal(model.weight.detach().numpy(), ref.weight.detach().numpy())


def test_compiled_module_forward_eager_backward():
    torchlike.manual_seed(0)
    model = Net()
    cmodel = torchlike.compile(model)
    x, y = _batches(1)[0]
    criterion = nn.CrossEntropyLoss()
    for train in (False, True):
        model.train(train)
        grads = []
        for m in (model, cmodel):
            model.zero_grad()
            torchlike.manual_seed(3)
            loss = criterion(m(x), y)
            loss.backward()
            grads.append([p.grad.numpy().copy() for p in model.parameters()] + [loss.item()])
        for a, b in zip(*grads):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert list(cmodel.state_dict())[0] == "_orig_mod.layers.0.weight"
    assert cmodel.layers is model.layers and cmodel.training
    out = cmodel(x)
    assert out.grad_fn.name() == "CompiledFunctionBackward"
    assert all(e[0].name() == "AccumulateGrad" for e in out.grad_fn.next_functions)
    with torchlike.no_grad():
        assert cmodel(x).grad_fn is None


def test_compiled_module_input_grad_and_training_step():
    """Grads reach inputs that require grad; a compiled module inside a compiled step inlines."""
    torchlike.manual_seed(0)
    lin = nn.Linear(3, 2)
    clin = torchlike.compile(lin)
    x = torchlike.randn(4, 3, requires_grad=True)
    clin(x).tanh().sum().backward()
    gx = x.grad.numpy().copy()
    x.grad = None
    lin(x).tanh().sum().backward()
    np.testing.assert_allclose(gx, x.grad.numpy(), rtol=1e-6)

    opt = optim.Adam(clin.parameters(), lr=0.01)
    ref = copy.deepcopy(lin)
    ref_opt = optim.Adam(ref.parameters(), lr=0.01)
    step = torchlike.compile(_make_step(clin, opt, nn.MSELoss()))
    ref_step = _make_step(ref, ref_opt, nn.MSELoss())
    target = torchlike.zeros(4, 2)
    for _ in range(3):
        np.testing.assert_allclose(step(x.detach(), target).item(),
                                   ref_step(x.detach(), target).item(), rtol=1e-6)


def test_donation_keeps_shared_arrays_alive():
    torchlike.manual_seed(0)
    model = nn.Linear(3, 2)
    snapshot = copy.deepcopy(model)  # shares the parameters' arrays
    before = snapshot.weight.detach().numpy().copy()
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = torchlike.compile(_make_step(model, opt, nn.MSELoss()))
    for _ in range(3):
        step(torchlike.ones(2, 3), torchlike.zeros(2, 2))
    np.testing.assert_array_equal(snapshot.weight.detach().numpy(), before)
    assert not np.array_equal(model.weight.detach().numpy(), before)


@pytest.mark.parametrize("donate", [True, False])
def test_donate_flag(monkeypatch, donate):
    """donate=True hands the state's buffers to XLA (the call deletes them); donate=False keeps
    them; the results are the same."""
    from torchlike import _compile
    passed = []
    real = _compile._donatable

    def spy(arrs):
        out = real(arrs)
        passed.extend(out)
        return out
    monkeypatch.setattr(_compile, "_donatable", spy)
    torchlike.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    step = torchlike.compile(_make_step(model, opt, nn.MSELoss()), donate=donate)
    losses = [step(torchlike.ones(2, 3), torchlike.zeros(2, 2)).item() for _ in range(3)]
    if donate:
        assert passed and all(a.is_deleted() for a in passed)
    else:
        assert not passed
        old = model.weight._arr
        before = np.asarray(old).copy()
        step(torchlike.ones(2, 3), torchlike.zeros(2, 2))
        assert not old.is_deleted()
        np.testing.assert_array_equal(np.asarray(old), before)
    torchlike.manual_seed(0)
    ref = nn.Linear(3, 2)
    ref_step = _make_step(ref, optim.SGD(ref.parameters(), lr=0.1, momentum=0.9), nn.MSELoss())
    expect = [ref_step(torchlike.ones(2, 3), torchlike.zeros(2, 2)).item() for _ in range(3)]
    np.testing.assert_allclose(losses, expect, rtol=1e-6)


def test_returns_and_arguments():
    w = torchlike.ones(3, requires_grad=True)

    @torchlike.compile()
    def f(x, scale, *, name="n"):
        y = (w * x * scale).sum()
        y.backward()
        return {"y": y, "n": name, "both": (x + 1, 2)}

    out = f(torchlike.arange(3.0), 2.0, name="k")
    assert out["n"] == "k" and out["both"][1] == 2 and out["y"].item() == 6.0
    np.testing.assert_array_equal(out["both"][0].numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 2.0, 4.0])  # .grad written back
    f(torchlike.arange(3.0), 2.0, name="k")
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 4.0, 8.0])  # and accumulates
    f(torchlike.arange(3.0), 3.0, name="k")  # a new Python scalar is a new signature
    assert f.compile_count == 3


def test_grads_dropped_by_zero_grad_are_kept_and_not_outputs(monkeypatch):
    """The .grads are inputs but not donated: a step whose zero_grad() drops them leaves the old
    Tensors as they were (a reference taken before the step still reads the old gradient, as in
    torch) and sends nothing for them out of the program; a step that accumulates into them (no
    zero_grad) writes the sums back. Both follow eager."""
    def run(compiled, zero):
        torchlike.manual_seed(0)
        m = nn.Linear(4, 3)
        opt = optim.SGD(m.parameters(), lr=0.1)

        def step(x, y):
            if zero:
                opt.zero_grad()
            loss = nn.functional.mse_loss(m(x), y)
            loss.backward()
            opt.step()
            return loss
        if compiled:
            step = torchlike.compile(step)
        held, out = [], []
        for i in range(5):
            x = torchlike.full((2, 4), float(i + 1))
            held.append(m.weight.grad)
            out.append((step(x, torchlike.zeros(2, 3)).item(), m.weight.grad.numpy().copy()))
        return held, out, step
    from torchlike import _compile
    sent = []  # per compiled call: what the program sent out for the state's .grads
    real = _compile._write_back

    def spy(state, meta, out):
        sent.append([a is not None for a in out[0][state.n_static:state.n_grads]])
        return real(state, meta, out)
    monkeypatch.setattr(_compile, "_write_back", spy)
    for zero in (True, False):
        held_e, out_e, _ = run(False, zero)
        sent.clear()
        held_c, out_c, step = run(True, zero)
        # (no .grads at the first call; then two, both dropped, or both accumulated into)
        assert sent == [[]] + [[not zero] * 2] * 4
        for (le, ge), (lc, gc) in zip(out_e, out_c):
            np.testing.assert_allclose(lc, le, rtol=1e-6)
            np.testing.assert_allclose(gc, ge, rtol=1e-6)
        # a .grad held from before a step keeps that step's input values
        for he, hc in zip(held_e[1:], held_c[1:]):
            assert (he is None) == (hc is None)
            np.testing.assert_allclose(hc.numpy(), he.numpy(), rtol=1e-6)
        assert (held_c[3] is held_c[4]) == (not zero)  # torch: zero_grad makes new .grads
        assert step.compile_count == 2 and step._guard is not None


def test_compiled_module_sees_attribute_and_hook_changes():
    """A compiled Module's trace reads its submodules' plain attributes and hooks as constants:
    changing one (``dropout.p``, a new forward hook) recompiles, as eager would see it; going
    back finds the first program again; a value that changes every call stops at the recompile
    limit and runs eagerly (one warning)."""
    from torchlike import _compile
    torchlike.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.0), nn.ReLU())
    cm = torchlike.compile(m)
    x = torchlike.ones(2, 4)
    first = cm(x)
    np.testing.assert_array_equal(first.detach().numpy(), m(x).detach().numpy())
    m[1].p = 1.0  # drops everything
    assert cm(x).abs().sum().item() == 0 and m(x).abs().sum().item() == 0
    m[1].p = 0.0
    h = m[0].register_forward_hook(lambda mod, i, o: o + 1.0)
    np.testing.assert_allclose(cm(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    assert not np.array_equal(cm(x).detach().numpy(), first.detach().numpy())
    h.remove()
    np.testing.assert_array_equal(cm(x).detach().numpy(), first.detach().numpy())
    assert cm.compile_count == 3
    with pytest.warns(UserWarning, match="recompile limit"):
        for i in range(_compile.RECOMPILE_LIMIT + 2):
            m[2].inplace = bool(i % 2)  # (plain attribute churn, results unchanged)
            m[0].eps_note = float(i)
            np.testing.assert_allclose(cm(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    assert cm.compile_count <= _compile.RECOMPILE_LIMIT + 1


def test_in_place_argument_update_and_version():
    @torchlike.compile
    def f(x):
        x.mul_(2)

    x = torchlike.ones(3)
    v = x._version
    f(x)
    f(x)
    np.testing.assert_array_equal(x.numpy(), [4.0, 4.0, 4.0])
    assert x._version == v + 2


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"mode": "max-autotune", "options": {}}, RuntimeError, "Either mode or options"),
    ({"mode": "fastest"}, RuntimeError, "Unrecognized mode=fastest"),
    ({"backend": lambda gm, inputs: gm}, NotImplementedError, "callable backend"),
    ({"dynamic": "yes"}, TypeError, "dynamic must be"),
    ({"donate": "no"}, TypeError, "donate must be"),
])
def test_argument_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        torchlike.compile(lambda x: x, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"backend": "eager"}, {"mode": "reduce-overhead"},
                                    {"options": {"trace.enabled": True}}, {"dynamic": True}])
def test_accepted_arguments(kwargs):
    f = torchlike.compile(lambda x: x.exp(), **kwargs)
    np.testing.assert_allclose(f(torchlike.zeros(2)).numpy(), [1.0, 1.0])


def test_disable_returns_the_function():
    def f(x):
        return x

    assert torchlike.compile(f, disable=True) is f
    model = nn.Linear(2, 2)
    assert torchlike.compile(disable=True)(model) is model


def _cnn_run(compiled, batches, init_scale):
    """A CNN step with BatchNorm, Dropout, GradScaler, gradient clipping and a cosine schedule."""
    torchlike.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                      nn.Dropout(0.3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 10))
    opt = optim.Adam(m.parameters(), lr=1e-2)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=len(batches))
    scaler = torchlike.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=2,
                                      backoff_factor=2.0**-8)
    crit = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = crit(m(x), y) * 1e4  # gradients large enough to overflow under a huge scale
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(m.parameters(), 0.5)
        scaler.step(opt)
        scaler.update()
        return loss
    if compiled:
        step = torchlike.compile(step)
    torchlike.manual_seed(1)
    losses, scales = [], []
    for x, y in batches:
        losses.append(step(x, y).item())
        scales.append(scaler.get_scale())
        sched.step()
    bn = m[1]
    return {"losses": np.array(losses), "scales": scales, "params": _params(m),
            "stats": [bn.running_mean.numpy(), bn.running_var.numpy()],
            "tracked": bn.num_batches_tracked.item(), "lr": opt.param_groups[0]["lr"],
            "compiles": getattr(step, "compile_count", None),
            "steps": [int(s["step"].item()) for s in opt.state.values()]}


@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
@pytest.mark.parametrize("init_scale", [2.0**16, 2.0**127], ids=["finite", "overflow"])
def test_batchnorm_dropout_clipping_scaler_scheduler_in_compiled_step(init_scale):
    """Dropout, BatchNorm (train), clip_grad_norm_, GradScaler (with skipped steps when the scaled
    loss overflows) and an lr scheduler inside one compiled step: eager and compiled agree, and
    the step compiles twice (no state yet, then the steady state) despite the changing lr."""
    rng = np.random.default_rng(0)
    batches = [(torchlike.tensor(rng.standard_normal((8, 1, 8, 8)).astype(np.float32)),
                torchlike.tensor(rng.integers(0, 10, 8))) for _ in range(6)]
    e, c = _cnn_run(False, batches, init_scale), _cnn_run(True, batches, init_scale)
    np.testing.assert_allclose(c["losses"], e["losses"], rtol=1e-5)
    assert c["scales"] == e["scales"] and c["tracked"] == e["tracked"] == 6
    assert c["lr"] == e["lr"] and c["compiles"] == 2
    for a, b in zip(c["params"] + c["stats"], e["params"] + e["stats"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    if init_scale == 2.0**16:
        assert e["scales"][-1] > init_scale and e["steps"] == c["steps"] == [6] * 5
    else:  # the scaled loss overflows (steps skipped, scale backs off) until the scale is small
        assert e["scales"][0] == init_scale / 2**8
        assert e["steps"] == c["steps"] and 0 < e["steps"][0] < 6


# -- the guard: calls after the first two skip discovery; any change takes the full path ----------

def _rebind(holder, name, value):
    holder[name] = value


def _change_replace_layer(m, opt, ns):
    m.layers[3] = copy.deepcopy(ns["new_layer"])  # a new module (the optimizer keeps the old)


def _change_registry_write(m, opt, ns):
    m.layers._modules["5"] = copy.deepcopy(ns["new_head"])


def _change_freeze(m, opt, ns):
    m.layers[0].weight.requires_grad_(False)


def _change_assign_data(m, opt, ns):
    m.layers[5].weight.data = torchlike.zeros(10, 128)


def _change_in_place(m, opt, ns):
    with torchlike.no_grad():
        m.layers[3].bias.mul_(0.0)


def _change_grads_outside(m, opt, ns):
    for p in m.parameters():
        p.grad = torchlike.ones_like(p)  # then the step's zero_grad() drops them again


def _change_static_option(m, opt, ns):
    opt.param_groups[0]["nesterov"] = True


def _change_load_optimizer_state(m, opt, ns):
    sd = copy.deepcopy(opt.state_dict())
    for s in sd["state"].values():
        s["momentum_buffer"] = s["momentum_buffer"] * 0.5
    opt.load_state_dict(sd)


def _change_eval(m, opt, ns):
    m.eval()


def _change_attribute(m, opt, ns):
    m.layers[2].p = 0.5  # the trace read Dropout's p as a constant


def _change_forward_hook(m, opt, ns):
    m.layers[5].register_forward_hook(lambda mod, args, out: out * 0.5)


def _change_rebind_model(m, opt, ns):
    ns["model"].load_state_dict(m.state_dict())  # the twin: a new model object, same weights
    _rebind(ns["cell"], "model", ns["model"])


GUARD_CHANGES = {f.__name__[len("_change_"):]: f for f in (
    _change_replace_layer, _change_registry_write, _change_freeze, _change_assign_data,
    _change_in_place, _change_grads_outside, _change_static_option, _change_load_optimizer_state,
    _change_eval, _change_attribute, _change_forward_hook, _change_rebind_model)}


@pytest.mark.parametrize("change", sorted(GUARD_CHANGES))
def test_guard_sees_changes_between_calls(change):
    """After a change between calls (module structure, requires_grad, .data, an in-place edit,
    grads, optimizer options or state, training mode, a rebound closure variable) the compiled
    step computes what eager does: the guard fails, the full path rediscovers the state."""
    torchlike.manual_seed(0)
    base = Net(0.2)
    ns0 = {"new_layer": nn.Linear(256, 128), "new_head": nn.Linear(128, 10)}
    batches = _batches(6)
    runs = []
    for compiled in (False, True):
        m = copy.deepcopy(base)
        opt = optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
        ns = dict(ns0, model=copy.deepcopy(base))
        cell = {"model": m}
        ns["cell"] = cell

        def step(x, y):
            model = cell["model"]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        if compiled:
            step = torchlike.compile(step)
        torchlike.manual_seed(1)
        losses = []
        for i, (x, y) in enumerate(batches):
            if i == 3:
                if compiled:
                    assert step._guard is not None  # the fast path was on
                GUARD_CHANGES[change](m, opt, ns)
            losses.append(step(x, y).item())
        runs.append((np.array(losses), _params(cell["model"])))
    (le, pe), (lc, pc) = runs
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    for a, b in zip(pc, pe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_guard_skips_discovery_and_keeps_scheduler_and_shapes(monkeypatch):
    """In the steady state no call rediscovers the state, also while a scheduler changes lr; a new
    batch shape takes the full path (and compiles once)."""
    from torchlike import _compile
    torchlike.manual_seed(0)
    model = Net()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    step = torchlike.compile(_make_step(model, opt, nn.CrossEntropyLoss()))
    batches = _batches(8)
    for x, y in batches[:2]:
        step(x, y)
    made = []
    real = _compile._State
    monkeypatch.setattr(_compile, "_State", lambda *a: made.append(1) or real(*a))
    for x, y in batches[2:]:
        step(x, y)
        sched.step()
    assert not made and step.compile_count == 2
    step(*_batches(1, batch=5)[0])
    assert len(made) >= 1 and step.compile_count == 3


class _Trainer:
    def __init__(self, model, opt):
        self.model, self.opt = model, opt

    @torchlike.compile
    def step(self, x, y):
        self.opt.zero_grad()
        loss = nn.functional.cross_entropy(self.model(x), y)
        loss.backward()
        self.opt.step()
        return loss


def test_guard_for_a_compiled_method(monkeypatch):
    """A compiled method (``self`` is an argument) takes the fast path too, follows eager, and a
    second instance (another ``self``) takes the full path."""
    from torchlike import _compile
    torchlike.manual_seed(0)
    base = Net(0.0)
    batches = _batches(6)
    ref = copy.deepcopy(base)
    ref_step = _make_step(ref, optim.SGD(ref.parameters(), lr=0.1, momentum=0.9),
                          nn.CrossEntropyLoss())
    m = copy.deepcopy(base)
    trainer = _Trainer(m, optim.SGD(m.parameters(), lr=0.1, momentum=0.9))
    made = []
    real = _compile._State
    monkeypatch.setattr(_compile, "_State", lambda *a: made.append(1) or real(*a))
    for i, (x, y) in enumerate(batches):
        if i == 3:
            del made[:]
        np.testing.assert_allclose(trainer.step(x, y).item(), ref_step(x, y).item(), rtol=1e-6)
    assert not made  # the last three calls skipped discovery
    other = _Trainer(copy.deepcopy(base), optim.SGD(m.parameters(), lr=0.1))
    other.step(*batches[0])
    assert made
    for a, b in zip(_params(m), _params(ref)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_jax_array_arguments_are_inputs():
    """A JAX array argument is an input of the program (not a constant baked into it)."""
    import jax.numpy as jnp
    f = torchlike.compile(lambda x, a: x * torchlike.from_jax(a))
    x = torchlike.ones(2)
    np.testing.assert_array_equal(f(x, jnp.array([1.0, 2.0])).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(f(x, jnp.array([5.0, 7.0])).numpy(), [5.0, 7.0])
    assert f.compile_count == 1


def test_outputs_stay_uncommitted_on_the_default_device():
    """A compiled step's outputs (parameters, the generator key) stay uncommitted on JAX's default
    device, like eager results: a committed key would make every eager program that reads it
    compile again (JAX keys its cache on committedness)."""
    torchlike.manual_seed(0)
    model = Net(0.5)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    step = torchlike.compile(_make_step(model, opt, nn.CrossEntropyLoss()))
    for x, y in _batches(3):
        step(x, y)
    arrays = [torchlike.default_generator._key, *(p._arr for p in model.parameters())]
    assert not any(a._committed for a in arrays)  # (a private jax.Array field)


def test_guard_with_two_optimizers(monkeypatch):
    """A step with two optimizers (one per part of the model) takes the fast path and follows
    eager."""
    from torchlike import _compile
    torchlike.manual_seed(0)
    base = Net(0.0)
    batches = _batches(6)
    losses = []
    for compiled in (False, True):
        m = copy.deepcopy(base)
        first = optim.SGD(m.layers[0].parameters(), lr=0.1, momentum=0.9)
        rest = optim.Adam([p for layer in list(m.layers)[1:] for p in layer.parameters()], lr=1e-3)

        def step(x, y):
            first.zero_grad()
            rest.zero_grad()
            loss = nn.functional.cross_entropy(m(x), y)
            loss.backward()
            first.step()
            rest.step()
            return loss
        if compiled:
            step = torchlike.compile(step)
        made = []
        real = _compile._State
        monkeypatch.setattr(_compile, "_State", lambda *a: made.append(1) or real(*a))
        out = []
        for i, (x, y) in enumerate(batches):
            if i == 3:
                del made[:]
            out.append(step(x, y).item())
        if compiled:
            assert not made  # steady calls skipped discovery
        monkeypatch.setattr(_compile, "_State", real)
        losses.append(out)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5, atol=1e-6)


# -- Python values the step reads, and Python state it changes ------------------------------------

LOSS_SCALE = 1.0  # a global the step below reads (changed by a test)
CALLS = 0  # a global the side-effect steps change


class _Config:
    def __init__(self):
        self.scale = 1.0
        self.unread = 0


def _small():
    torchlike.manual_seed(0)
    m = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    rng = np.random.default_rng(3)
    batches = [(torchlike.tensor(rng.standard_normal((4, 6)).astype(np.float32)),
                torchlike.tensor(rng.integers(0, 3, 4))) for _ in range(6)]
    return m, batches


def _value_run(compiled, change):
    """Six steps of a step whose loss is scaled by a global, a closure variable, an attribute of a
    plain object and a dict item; ``change`` rebinds one of them before step 3."""
    global LOSS_SCALE
    LOSS_SCALE = 1.0
    m, batches = _small()
    opt = optim.SGD(m.parameters(), lr=0.1)
    cfg, table = _Config(), {"scale": 1.0}
    factor = 1.0

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(m(x), y) * LOSS_SCALE * factor * cfg.scale
        (loss * table["scale"]).backward()
        opt.step()
        return loss
    if compiled:
        step = torchlike.compile(step)
    losses = []
    for i, (x, y) in enumerate(batches):
        if i == 3:
            if compiled:
                assert step._guard is not None
            if change == "global":
                LOSS_SCALE = 3.0
            elif change == "closure":
                factor = 3.0  # (read by step through its closure)
            elif change == "attribute":
                cfg.scale = 3.0
            elif change == "dict item":
                table["scale"] = 3.0
            elif change == "unread attribute":
                cfg.unread = 7
        losses.append(step(x, y).item())
    LOSS_SCALE = 1.0
    return np.array(losses), _params(m), getattr(step, "compile_count", None)


@pytest.mark.parametrize("change", ["global", "closure", "attribute", "dict item",
                                    "unread attribute"])
def test_python_values_the_step_reads_are_guarded(change):
    """A number the step reads from a global, a closure variable, a plain object's attribute or a
    dict is baked into the trace: changing it between calls recompiles (as torch.compile's guards
    do) and the compiled step computes what eager does. An attribute the code never names does
    not recompile."""
    le, pe, _ = _value_run(False, change)
    lc, pc, count = _value_run(True, change)
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    for a, b in zip(pc, pe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert count == (2 if change == "unread attribute" else 3)


def _side_effect_run(compiled, kind, fullgraph=False):
    global CALLS
    CALLS = 0
    m, batches = _small()
    opt = optim.SGD(m.parameters(), lr=0.1)
    history = []

    class Trainer:
        def __init__(self):
            self.steps = 0

        def step(self, x, y):
            self.steps += 1
            return plain(x, y)

    def plain(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        return loss

    def counting(x, y):
        global CALLS
        CALLS += 1
        return plain(x, y)

    def recording(x, y):
        loss = plain(x, y)
        history.append(loss)
        return loss
    trainer = Trainer()
    fn = {"global counter": counting, "list append": recording, "attribute": None}[kind]
    if compiled:
        if kind == "attribute":
            Trainer.step = torchlike.compile(Trainer.step, fullgraph=fullgraph)
        else:
            fn = torchlike.compile(fn, fullgraph=fullgraph)
    if kind == "attribute":
        fn = trainer.step
    losses = [fn(x, y).item() for x, y in batches]
    return (np.array(losses), _params(m), CALLS, [t.item() for t in history], trainer.steps)


@pytest.mark.parametrize("kind", ["global counter", "list append", "attribute"])
def test_python_side_effects_fall_back_to_eager(kind):
    """A step that changes Python state (a global counter, a list it appends the loss to, an
    attribute of ``self``) cannot be replayed by a compiled call: the trace notices the change,
    undoes it, and the function runs eagerly (one warning naming what changed) -- each call has its
    effect exactly once and no tracer leaks into the list. fullgraph=True raises instead."""
    eager = _side_effect_run(False, kind)
    with pytest.warns(UserWarning, match="changes Python state") as rec:
        comp = _side_effect_run(True, kind)
    assert len([w for w in rec if "changes Python state" in str(w.message)]) == 1
    np.testing.assert_allclose(comp[0], eager[0], rtol=1e-6)
    for a, b in zip(comp[1], eager[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert comp[2:] == eager[2:]
    assert eager[2] == (6 if kind == "global counter" else 0)  # CALLS
    assert len(eager[3]) == (6 if kind == "list append" else 0)  # history
    assert eager[4] == (6 if kind == "attribute" else 0)  # trainer.steps
    name = {"global counter": "global `CALLS`", "list append": "closure variable `history`",
            "attribute": "argument `self`.steps"}[kind]
    with pytest.raises(RuntimeError, match=f"changes Python state \\({name}"):
        _side_effect_run(True, kind, fullgraph=True)


def test_optimizer_hook_added_after_compiling():
    """An optimizer step hook registered (or removed) between calls is part of the signature: the
    compiled step runs it from then on, as eager does."""
    def run(compiled):
        m, batches = _small()
        opt = optim.SGD(m.parameters(), lr=0.1)

        def halve(optimizer, args, kwargs):
            for g in optimizer.param_groups:
                for p in g["params"]:
                    p.grad.mul_(0.5)
        step = _make_step(m, opt, nn.CrossEntropyLoss())
        if compiled:
            step = torchlike.compile(step)
        losses, handle = [], None
        for i, (x, y) in enumerate(batches):
            if i == 2:
                handle = opt.register_step_pre_hook(halve)
            if i == 4:
                handle.remove()
            losses.append(step(x, y).item())
        return np.array(losses), _params(m)
    (le, pe), (lc, pc) = run(False), run(True)
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    for a, b in zip(pc, pe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_recompile_limit_falls_back_to_eager():
    """A value that changes on every call would recompile every call: after RECOMPILE_LIMIT
    signatures (torch's recompile_limit, 8) new ones run eagerly, with one warning."""
    from torchlike import _compile

    def run(compiled):
        global LOSS_SCALE
        m, _ = _small()
        opt = optim.SGD(m.parameters(), lr=0.1)
        x, y = torchlike.ones(4, 6), torchlike.tensor([0, 1, 2, 0])

        def step():
            opt.zero_grad()
            loss = nn.functional.cross_entropy(m(x), y) * LOSS_SCALE
            loss.backward()
            opt.step()
            return loss
        if compiled:
            step = torchlike.compile(step)
        losses = []
        for i in range(_compile.RECOMPILE_LIMIT + 4):
            LOSS_SCALE = 1.0 + 0.1 * i
            losses.append(step().item())
        LOSS_SCALE = 1.0
        return np.array(losses), getattr(step, "compile_count", None)
    le, _ = run(False)
    with pytest.warns(UserWarning, match="recompile limit") as rec:
        lc, count = run(True)
    assert len([w for w in rec if "recompile limit" in str(w.message)]) == 1
    assert count == _compile.RECOMPILE_LIMIT
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
