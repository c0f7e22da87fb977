"""The torch-style model scripts in examples/models run unchanged on torchlike and train like torch.

Each script is loaded twice: once as written (``import torch`` is real torch) and once with
``torch``, ``torch.nn``, ``torch.nn.functional`` and ``torch.optim`` bound to torchlike's modules.
The torchlike model gets the torch model's state_dict and the same data; the losses of a few
training steps (and the eval-mode loss after them) must agree, and so must the final weights,
buffers, ``repr`` and state_dict keys. Each script's ``main()`` (its own seeding and data) also
runs end to end on torchlike.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import torchlike

MODELS = Path(__file__).resolve().parents[1] / "examples" / "models"
SCRIPTS = ["cnn_bn", "lstm_lm", "transformer_cls"]
_ALIASED = ("torch", "torch.nn", "torch.nn.functional", "torch.optim")


def _load(name: str, lib):
    """Import examples/models/NAME.py with ``import torch`` resolving to ``lib``."""
    spec = importlib.util.spec_from_file_location(f"_models_{name}_{lib.__name__}",
                                                  MODELS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    saved = {k: sys.modules[k] for k in _ALIASED}
    if lib is torchlike:
        sys.modules.update({"torch": torchlike, "torch.nn": torchlike.nn,
                            "torch.nn.functional": torchlike.nn.functional,
                            "torch.optim": torchlike.optim})
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.modules.update(saved)
    assert mod.torch is lib
    return mod


def _to_torchlike(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_to_torchlike(v) for v in x)
    return torchlike.from_numpy(x.detach().numpy().copy())


@pytest.mark.parametrize("name", SCRIPTS)
def test_model_trains_like_torch(name):
    tmod, lmod = _load(name, torch), _load(name, torchlike)
    torch.manual_seed(0)
    tm = tmod.make_model(dropout=0.0)
    data = tmod.make_data()
    lm = lmod.make_model(dropout=0.0)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict().keys()) == list(tm.state_dict().keys())
    lm.load_state_dict({k: _to_torchlike(v) for k, v in tm.state_dict().items()})
    t_losses = tmod.train(tm, data)
    l_losses = lmod.train(lm, _to_torchlike(data))
    np.testing.assert_allclose(l_losses, t_losses, rtol=2e-4, atol=1e-5)
    lsd = lm.state_dict()
    for k, v in tm.state_dict().items():
        got, want = lsd[k].numpy(), v.numpy()
        if k.endswith("self_attn.in_proj_bias"):
            # The key bias shifts every score of a query equally, so softmax makes its gradient
            # zero up to rounding noise, which Adam's normalisation turns into O(lr) steps.
            e = want.shape[0] // 3
            got, want = np.delete(got, slice(e, 2 * e)), np.delete(want, slice(e, 2 * e))
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4, err_msg=k)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_main_runs_unchanged(name, monkeypatch, capsys):
    lmod = _load(name, torchlike)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--steps", "2"])
    lmod.main()
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == f"{type(lmod.make_model()).__name__}("
    losses = [float(v) for v in out[-1].split()[1:]]
    assert len(losses) >= 2 and all(np.isfinite(losses))
