"""DLPack exchange (torch.utils.dlpack / torch.from_dlpack / Tensor.__dlpack__) between real torch,
numpy and torchlike: values, dtypes, shapes, devices, shared memory, and torch's errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import torchlike

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]


def _torch_tensor(name, shape=(2, 3)):
    x = torch.arange(int(np.prod(shape))).reshape(shape) - 2
    return x.to(getattr(torch, name))


def _same(tl, tt):
    assert tuple(tl.shape) == tuple(tt.shape)
    assert str(tl.dtype) == str(tt.dtype)
    np.testing.assert_array_equal(tl.to(torchlike.float32 if tl.dtype == torchlike.bfloat16
                                        else tl.dtype).numpy(),
                                  tt.to(torch.float32 if tt.dtype == torch.bfloat16
                                        else tt.dtype).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_to_torchlike(dtype):
    src = _torch_tensor(dtype)
    _same(torchlike.from_dlpack(src), src)
    _same(torchlike.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(src)), src)  # capsule


@pytest.mark.parametrize("dtype", DTYPES)
def test_torchlike_to_torch(dtype):
    src = (torchlike.arange(6).reshape(2, 3) - 2).to(getattr(torchlike, dtype))
    _same(src, torch.from_dlpack(src))
    _same(src, torch.utils.dlpack.from_dlpack(torchlike.utils.dlpack.to_dlpack(src)))
    assert src.__dlpack_device__() == torch.ones(1).__dlpack_device__()


def test_numpy_and_views():
    t = torchlike.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(np.from_dlpack(t), t.numpy())
    _same(torchlike.from_dlpack(np.arange(6).reshape(2, 3)), torch.arange(6).reshape(2, 3))
    src = torch.arange(12.0).reshape(3, 4).t()  # a non-contiguous view
    _same(torchlike.from_dlpack(src), src)
    _same(torchlike.from_dlpack(t), torch.arange(6.0).reshape(2, 3))


def test_memory_is_shared_from_torch():
    src = torch.zeros(3)
    t = torchlike.from_dlpack(src)
    src[1] = 5.0  # as in torch: the two share the buffer
    np.testing.assert_array_equal(t.numpy(), [0.0, 5.0, 0.0])


@pytest.mark.parametrize("lib", [torch, torchlike])
def test_errors(lib):
    with pytest.raises(BufferError, match="Can't export tensors that require gradient"):
        lib.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(RuntimeError, match="invalid capsule"):
        lib.from_dlpack([1, 2])
    capsule = lib.utils.dlpack.to_dlpack(lib.ones(2))
    lib.from_dlpack(capsule)
    with pytest.raises(RuntimeError, match="can be consumed only once"):
        lib.from_dlpack(capsule)


def test_utils_data_after_plain_import():
    """torch imports torch.utils.data: ``torch.utils.data.DataLoader`` works after ``import
    torch`` alone; so must torchlike's."""
    code = ("import torchlike as torch; "
            "print(torch.utils.data.DataLoader.__name__, torch.utils.dlpack.from_dlpack.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["DataLoader", "from_dlpack"]
