"""torchlike.save/load in PyTorch's file format, checked against real torch in both directions."""

import collections
import io
import os
import pickle

import numpy as np
import pytest
import torch

import torchlike

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
          "bool", "complex64", "complex128"]


def _values(name, shape=(2, 3)):
    rng = np.random.default_rng(1)
    if name == "bool":
        return rng.random(shape) > 0.5
    if name.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    if name == "bfloat16":
        return rng.standard_normal(shape).astype(np.float32)
    if name.startswith(("int", "uint")):
        return rng.integers(0, 100, shape).astype(name)
    return rng.standard_normal(shape).astype(name)


def _torch_np(t):
    return (t.float() if t.dtype == torch.bfloat16 else t).detach().numpy()


def _tl_np(t):
    return (t.float() if t.dtype == torchlike.bfloat16 else t).detach().numpy()


@pytest.mark.parametrize("name", DTYPES)
def test_torch_file_loads_in_torchlike(tmp_path, name):
    v = _values(name)
    t = torch.from_numpy(v).to(getattr(torch, name))
    obj = {"t": t, "view": t[:, 1], "scalar": t[0, 0], "meta": [1, 2.5, "x", (3, None)]}
    torch.save(obj, tmp_path / "a.pth")
    got = torchlike.load(tmp_path / "a.pth")
    assert got["meta"] == [1, 2.5, "x", (3, None)]
    for k in ("t", "view", "scalar"):
        assert str(got[k].dtype) == str(obj[k].dtype)
        assert tuple(got[k].shape) == tuple(obj[k].shape)
        np.testing.assert_array_equal(_tl_np(got[k]), _torch_np(obj[k]))


@pytest.mark.parametrize("name", DTYPES)
def test_torchlike_file_loads_in_torch(tmp_path, name):
    v = _values(name)
    t = torchlike.from_numpy(v).to(getattr(torchlike, name))
    obj = collections.OrderedDict(t=t, scalar=torchlike.tensor(1.5), nested={"l": [t, 3]})
    torchlike.save(obj, tmp_path / "b.pth")
    got = torch.load(tmp_path / "b.pth")  # torch's default weights_only=True accepts it
    assert isinstance(got, collections.OrderedDict)
    assert str(got["t"].dtype) == str(t.dtype)
    np.testing.assert_array_equal(_torch_np(got["t"]), _tl_np(t))
    np.testing.assert_array_equal(_torch_np(got["nested"]["l"][0]), _tl_np(t))
    assert got["nested"]["l"][1] == 3
    assert got["scalar"].shape == () and got["scalar"].item() == 1.5


def test_round_trip_metadata_objects(tmp_path):
    obj = {"dtype": torchlike.float16, "device": torchlike.device("cpu"),
           "size": torchlike.Size([2, 3]), "rg": torchlike.ones(2, requires_grad=True)}
    torchlike.save(obj, tmp_path / "c.pth")
    t = torch.load(tmp_path / "c.pth")
    assert t["dtype"] is torch.float16 and t["device"] == torch.device("cpu")
    assert t["size"] == torch.Size([2, 3]) and t["rg"].requires_grad
    back = torchlike.load(tmp_path / "c.pth")
    assert back["dtype"] is torchlike.float16 and back["size"] == torchlike.Size([2, 3])
    assert back["rg"].requires_grad and repr(back["device"]) == "device(type='cpu')"


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    torchlike.save({"x": torchlike.arange(5)}, buf)
    buf.seek(0)
    assert torch.load(buf)["x"].tolist() == [0, 1, 2, 3, 4]
    buf2 = io.BytesIO()
    torch.save({"x": torch.arange(3)}, buf2)
    buf2.seek(0)
    assert torchlike.load(buf2)["x"].tolist() == [0, 1, 2]


def test_weights_only_refuses_arbitrary_globals(tmp_path):
    torch.save({"c": collections.Counter(a=1)}, tmp_path / "d.pth")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL collections.Counter"):
        torchlike.load(tmp_path / "d.pth")
    assert torchlike.load(tmp_path / "d.pth", weights_only=False)["c"] == collections.Counter(a=1)
    torchlike.serialization.add_safe_globals([collections.Counter])
    try:
        assert torchlike.load(tmp_path / "d.pth")["c"]["a"] == 1
    finally:
        torchlike.serialization._SAFE_GLOBALS.clear()


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "e.pth"
    torchlike.save({"v": torchlike.ones(2)}, path)
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        torchlike.save({"v": torchlike.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.pth"]


def test_map_location_and_cuda_error(tmp_path):
    torch.save({"x": torch.ones(2)}, tmp_path / "f.pth")
    assert torchlike.load(tmp_path / "f.pth", map_location="cpu")["x"].device.type == "cpu"
    assert torchlike.load(tmp_path / "f.pth", map_location={"cpu": "cpu"})["x"].tolist() == [1, 1]
    if not torchlike.cuda.is_available():
        with pytest.raises(RuntimeError, match="torch.cuda.is_available\\(\\) is False"):
            torchlike.load(tmp_path / "f.pth", map_location="cuda")


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "g.pth").write_bytes(b"not a zip")
    with pytest.raises(RuntimeError, match="not a PyTorch zip checkpoint"):
        torchlike.load(tmp_path / "g.pth")
