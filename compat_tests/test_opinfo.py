"""torch's OpInfo database as a regression gate (see opinfo_sweep.py for the method)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import opinfo_sweep
import pytest

import torchlike

# Measured with the whole sweep (float32, 8 samples per entry) minus a small margin: raise them as
# coverage grows, so that a regression fails this test.
MIN_FORWARD_RATE = 0.87
MIN_BACKWARD_RATE = 0.86

# OpInfo entries (name or name.variant) that must pass forward and backward (first 4 samples).
CORE = ["add", "mul", "div.no_rounding_mode", "neg", "exp", "tanh", "sum", "mean", "matmul",
        "__radd__", "contiguous", "unbind"]  # unbind: autograd.grad over several outputs of a node


def _one(full_name: str) -> opinfo_sweep.Result:
    results = opinfo_sweep.sweep([full_name], max_samples=4)
    (res,) = [r for r in results if r.full_name == full_name]
    return res


@pytest.mark.parametrize("name", CORE)
def test_core_entries_pass(name):
    res = _one(name)
    assert res.samples > 0, f"{name}: no sample ran ({res.message})"
    assert res.forward, f"{name}: forward [{res.fwd_reason}] {res.message}"
    assert res.backward in (True, None), f"{name}: backward [{res.bwd_reason}] {res.message}"


def test_sweep_reports_a_missing_op(monkeypatch):
    monkeypatch.delattr(torchlike, "exp")
    monkeypatch.delattr(torchlike.Tensor, "exp")  # the sweep falls back to the method
    res = _one("exp")
    assert not res.forward and res.fwd_reason == opinfo_sweep.MISSING


def test_sweep_reports_wrong_values(monkeypatch):
    exp = torchlike.exp
    monkeypatch.setattr(torchlike, "exp", lambda input: exp(input) * 1.01)
    res = _one("exp")
    assert not res.forward and res.fwd_reason == opinfo_sweep.VALUE
    assert not res.backward and res.bwd_reason == opinfo_sweep.VALUE


def test_sweep_reports_wrong_dtype(monkeypatch):
    exp = torchlike.exp
    monkeypatch.setattr(torchlike, "exp", lambda input: exp(input).to(torchlike.float64))
    res = _one("exp")
    assert not res.forward and res.fwd_reason == opinfo_sweep.DTYPE


@pytest.mark.slow
def test_whole_op_db(tmp_path):
    """The whole sweep, in its own process: it compiles ~10,000 XLA programs, and a fresh process
    keeps that memory (and any crash) out of the test worker, which runs other files too."""
    out = tmp_path / "sweep.json"
    script = Path(opinfo_sweep.__file__)
    proc = subprocess.run([sys.executable, str(script), "--verbose", "--json", str(out)],
                          capture_output=True, text=True, timeout=3000,
                          env={**os.environ, "PYTHONFAULTHANDLER": "1",
                               "PYTHONPATH": os.pathsep.join(
                                   [str(script.parent.parent), os.environ.get("PYTHONPATH", "")])},
                          cwd=script.parent.parent, check=False)
    assert proc.returncode == 0, f"the sweep failed ({proc.returncode}):\n{proc.stdout[-4000:]}" \
                                 f"\n{proc.stderr[-4000:]}"
    s = json.loads(out.read_text())["summary"]
    report = opinfo_sweep.format_summary(s, details=True)
    assert s["forward_rate"] >= MIN_FORWARD_RATE, report
    assert s["backward_rate"] >= MIN_BACKWARD_RATE, report
