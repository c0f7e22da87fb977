"""Devices and precision flags on any machine, against torch: the ``torch.device`` context manager,
``set_default_device``, float32 matmul precision and the backends' TF32 flags.
(GPU placement itself is in test_cuda.py, which needs a GPU.)"""

from __future__ import annotations

import warnings

import pytest
import torch

import torchlike


@pytest.mark.parametrize("lib", [torch, torchlike], ids=["torch", "torchlike"])
def test_device_context_manager_and_default(lib):
    with lib.device("cpu"):
        assert lib.zeros(2).device == lib.device("cpu")
    lib.set_default_device("cpu")
    try:
        assert lib.get_default_device() == lib.device("cpu")
        assert lib.ones(1).device == lib.device("cpu")
    finally:
        lib.set_default_device(None)
    assert lib.arange(2).device == lib.device("cpu")


@pytest.mark.parametrize("lib", [torch, torchlike], ids=["torch", "torchlike"])
def test_float32_matmul_precision_flags(lib):
    assert lib.get_float32_matmul_precision() == "highest"
    assert lib.backends.cuda.matmul.allow_tf32 is False
    assert lib.backends.cudnn.allow_tf32 is True
    try:
        lib.backends.cuda.matmul.allow_tf32 = True
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("medium")
        assert lib.backends.cuda.matmul.allow_tf32 is True
        lib.set_float32_matmul_precision("highest")
        assert lib.backends.cuda.matmul.allow_tf32 is False
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.set_float32_matmul_precision("low")
        assert any("low is not one of 'highest', 'high', or 'medium'" in str(x.message) for x in w)
        assert lib.get_float32_matmul_precision() == "highest"
        lib.backends.cudnn.allow_tf32 = False
        assert lib.backends.cudnn.allow_tf32 is False
    finally:
        lib.set_float32_matmul_precision("highest")
        lib.backends.cudnn.allow_tf32 = True


def test_float32_matmul_still_exact_on_cpu_after_precision_change():
    a = torchlike.randn(64, 64)
    ref = a.double() @ a.double()
    torchlike.set_float32_matmul_precision("medium")
    try:
        err = float(((a @ a).double() - ref).abs().max())
    finally:
        torchlike.set_float32_matmul_precision("highest")
    assert err < 1e-3  # XLA's CPU backend computes float32 dots in float32 whatever the flag
