"""torchlike.save/load in PyTorch's file format, checked against real torch in both directions."""

from __future__ import annotations

import collections
import io
import json
import os
import pickle
import signal
import subprocess
import sys

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
    import datetime
    torch.save({"d": datetime.date(2020, 1, 2)}, tmp_path / "d.pth")
    with pytest.raises(pickle.UnpicklingError) as torch_err:
        torch.load(tmp_path / "d.pth")
    with pytest.raises(pickle.UnpicklingError,
                       match="Unsupported global: GLOBAL datetime.date") as tl_err:
        torchlike.load(tmp_path / "d.pth")
    assert str(tl_err.value) == str(torch_err.value)
    assert torchlike.load(tmp_path / "d.pth", weights_only=False)["d"] == datetime.date(2020, 1, 2)
    torchlike.serialization.add_safe_globals([datetime.date])
    try:
        assert torchlike.load(tmp_path / "d.pth")["d"] == datetime.date(2020, 1, 2)
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


# ---------------------------------------------------------------------------------------------
# Real checkpoints: a model with Linear, Conv2d, BatchNorm2d and a 2-layer LSTM, plus Adam and
# SGD(momentum) state, in both directions. The same source builds the model with either library.
# ---------------------------------------------------------------------------------------------

_MODEL_SRC = """
def build(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = lib.nn.Conv2d(1, 4, 3)
            self.bn = lib.nn.BatchNorm2d(4)
            self.lstm = lib.nn.LSTM(4, 5, num_layers=2, batch_first=True)
            self.fc = lib.nn.Linear(5, 3)

        def forward(self, x):
            h = self.bn(self.conv(x)).relu()
            out, _ = self.lstm(h.flatten(2).transpose(1, 2))
            return self.fc(out[:, -1])

    net = Net()
    adam = lib.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-4)
    sgd = lib.optim.SGD(net.parameters(), lr=1e-2, momentum=0.9, nesterov=True)
    return net, adam, sgd
"""


def _build(lib):
    ns: dict = {}
    exec(_MODEL_SRC, ns)
    return ns["build"](lib)


def _train(lib, net, opts, seed):
    """A few train-mode steps: BatchNorm running stats and optimizer state become non-trivial."""
    x = lib.from_numpy(np.random.default_rng(seed).standard_normal((3, 1, 6, 6), np.float32))
    for opt in opts:
        opt.zero_grad()
        net(x).square().mean().backward()
        opt.step()


# Runs in a process where ``import torch`` raises: loads the checkpoints with torchlike into the
# torchlike model/optimizers (strict) and dumps every tensor with numpy for the parent.
_TORCH_FREE_SCRIPT = """
import importlib.abc
import json
import sys


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"torch is blocked in this process ({name})")
        return None


sys.meta_path.insert(0, _NoTorch())
try:
    import torch  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError("torch is importable")

import numpy as np

import torchlike

ckpt_path, sd_path, out_npz, out_json = sys.argv[1:5]
ckpt = torchlike.load(ckpt_path)
sd_only = torchlike.load(sd_path)
net, adam, sgd = build(torchlike)
res = net.load_state_dict(ckpt["model"])
assert list(res.missing_keys) == [] and list(res.unexpected_keys) == [], res
adam.load_state_dict(ckpt["adam"])
sgd.load_state_dict(ckpt["sgd"])
arrays, meta = {}, {"epoch": ckpt["epoch"]}


def put(name, t):
    assert isinstance(t, torchlike.Tensor), (name, type(t))
    arrays[name] = t.detach().numpy()
    meta[name] = str(t.dtype)


for k, v in net.state_dict().items():
    put("model/" + k, v)
for k, v in sd_only.items():
    put("sd/" + k, v)
for oname, opt in (("adam", adam), ("sgd", sgd)):
    st = opt.state_dict()
    meta[oname + "/param_groups"] = st["param_groups"]
    for pid, state in st["state"].items():
        for k, v in state.items():
            put(f"{oname}/{pid}/{k}", v)
np.savez(out_npz, **arrays)
with open(out_json, "w") as fh:
    json.dump(meta, fh)
leaked = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
assert not leaked, leaked
print("TORCH-FREE OK")
"""


def _flat_state(net, opts):
    """name -> tensor for the model and every optimizer state entry (as the script above)."""
    out = {"model/" + k: v for k, v in net.state_dict().items()}
    for oname, opt in zip(("adam", "sgd"), opts):
        for pid, state in opt.state_dict()["state"].items():
            out.update({f"{oname}/{pid}/{k}": v for k, v in state.items()})
    return out


def _step_both(t_net, t_opts, l_net, l_opts, seed):
    """One more step per optimizer in both libraries from identical gradients (torch's)."""
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((3, 1, 6, 6), np.float32))
    t_params = dict(t_net.named_parameters())
    l_params = dict(l_net.named_parameters())
    assert list(t_params) == list(l_params)
    for t_opt, l_opt in zip(t_opts, l_opts):
        t_opt.zero_grad()
        t_net(x).square().mean().backward()
        for name, p in t_params.items():
            l_params[name].grad = torchlike.from_numpy(p.grad.numpy().copy())
        t_opt.step()
        l_opt.step()
    for name, p in t_params.items():
        np.testing.assert_allclose(l_params[name].detach().numpy(), p.detach().numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=name)


def test_torch_checkpoint_loads_in_torch_free_process(tmp_path):
    torch.manual_seed(0)
    net, adam, sgd = _build(torch)
    _train(torch, net, (adam, sgd, adam), seed=0)
    ckpt = {"model": net.state_dict(), "adam": adam.state_dict(), "sgd": sgd.state_dict(),
            "epoch": 3}
    torch.save(ckpt, tmp_path / "ckpt.pth")
    torch.save(net.state_dict(), tmp_path / "model.pth")
    script = tmp_path / "load_without_torch.py"
    script.write_text(_MODEL_SRC + _TORCH_FREE_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(torchlike.__file__)), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "ckpt.pth"), str(tmp_path / "model.pth"),
         str(tmp_path / "out.npz"), str(tmp_path / "out.json")],
        capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "TORCH-FREE OK" in proc.stdout, proc.stderr[-3000:]
    got = np.load(tmp_path / "out.npz")
    meta = json.loads((tmp_path / "out.json").read_text())
    assert meta["epoch"] == 3

    want = _flat_state(net, (adam, sgd))
    want.update({"sd/" + k: v for k, v in net.state_dict().items()})
    assert sorted(got.files) == sorted(want)
    assert {k for k in want if k.endswith("/step")} and "model/bn.num_batches_tracked" in want
    for name, t in want.items():
        a = got[name]
        assert meta[name] == str(t.dtype), name  # e.g. int64 num_batches_tracked, float32 step
        assert a.dtype == t.numpy().dtype and a.shape == tuple(t.shape), name
        np.testing.assert_array_equal(a, t.numpy(), err_msg=name)  # bit-for-bit
    assert int(got["model/bn.num_batches_tracked"]) == 3
    for oname, opt in (("adam", adam), ("sgd", sgd)):
        assert meta[oname + "/param_groups"] == json.loads(
            json.dumps(opt.state_dict()["param_groups"])), oname

    # the loaded torchlike model computes what torch's does and its optimizers carry on alike
    l_net, l_adam, l_sgd = _build(torchlike)
    loaded = torchlike.load(tmp_path / "ckpt.pth")
    l_net.load_state_dict(loaded["model"])
    l_adam.load_state_dict(loaded["adam"])
    l_sgd.load_state_dict(loaded["sgd"])
    x = np.random.default_rng(5).standard_normal((2, 1, 6, 6), np.float32)
    net.eval()
    l_net.eval()
    with torch.no_grad():
        np.testing.assert_allclose(l_net(torchlike.from_numpy(x)).detach().numpy(),
                                   net(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6)
    net.train()
    l_net.train()
    _step_both(net, (adam, sgd), l_net, (l_adam, l_sgd), seed=6)


def test_torchlike_checkpoint_loads_in_torch(tmp_path):
    torchlike.manual_seed(0)
    l_net, l_adam, l_sgd = _build(torchlike)
    _train(torchlike, l_net, (l_adam, l_sgd, l_adam), seed=1)
    torchlike.save({"model": l_net.state_dict(), "adam": l_adam.state_dict(),
                    "sgd": l_sgd.state_dict(), "epoch": 3}, tmp_path / "ckpt.pth")
    torchlike.save(l_net.state_dict(), tmp_path / "model.pth")

    ckpt = torch.load(tmp_path / "ckpt.pth", weights_only=True)
    sd_only = torch.load(tmp_path / "model.pth")  # the default is weights_only=True too
    assert ckpt["epoch"] == 3
    net, adam, sgd = _build(torch)
    res = net.load_state_dict(ckpt["model"])
    assert res.missing_keys == [] and res.unexpected_keys == []
    adam.load_state_dict(ckpt["adam"])
    sgd.load_state_dict(ckpt["sgd"])

    want = _flat_state(l_net, (l_adam, l_sgd))
    got = _flat_state(net, (adam, sgd))
    assert sorted(got) == sorted(want) and "model/bn.num_batches_tracked" in got
    for name, t in want.items():
        assert str(got[name].dtype) == str(t.dtype), name
        np.testing.assert_array_equal(got[name].numpy(), t.detach().numpy(), err_msg=name)
    for k, v in sd_only.items():
        np.testing.assert_array_equal(v.numpy(), want["model/" + k].detach().numpy(), err_msg=k)
        assert str(v.dtype) == str(want["model/" + k].dtype), k
    for t_opt, l_opt in ((adam, l_adam), (sgd, l_sgd)):
        assert t_opt.state_dict()["param_groups"] == l_opt.state_dict()["param_groups"]
    _step_both(net, (adam, sgd), l_net, (l_adam, l_sgd), seed=7)


# ---------------------------------------------------------------------------------------------
# weights_only: code-running pickles and out-of-bounds tensor views are refused
# ---------------------------------------------------------------------------------------------

class _Payload:
    """Pickles as a call of ``fn(*args)``: what a malicious checkpoint contains."""

    def __init__(self, fn, *args) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec", "builtins.eval"])
def test_weights_only_refuses_code_execution(tmp_path, kind):
    marker = tmp_path / "pwned"
    payload = {
        "os.system": lambda: _Payload(os.system, f"touch {marker}"),
        "builtins.exec": lambda: _Payload(exec, f"open({str(marker)!r}, 'w').close()"),
        "builtins.eval": lambda: _Payload(eval, f"open({str(marker)!r}, 'w').close()"),
    }[kind]()
    path = tmp_path / "evil.pth"
    torch.save({"weight": torch.ones(2), "evil": payload}, path)

    with pytest.raises(pickle.UnpicklingError) as tl_err:
        torchlike.load(path)  # weights_only=True is the default
    with pytest.raises(pickle.UnpicklingError) as torch_err:
        torch.load(path)
    assert type(tl_err.value) is type(torch_err.value)
    assert str(tl_err.value) == str(torch_err.value)
    assert kind.rsplit(".")[-1] in str(tl_err.value)
    assert not marker.exists()
    if kind == "os.system":  # os/posix/sys are refused even when allowlisted
        torchlike.serialization.add_safe_globals([os.system])
        try:
            with pytest.raises(pickle.UnpicklingError, match="whose module .* is blocked"):
                torchlike.load(path)
        finally:
            torchlike.serialization._SAFE_GLOBALS.clear()
        assert not marker.exists()
    # the payload is live: only weights_only=False (trusted files) runs it
    torchlike.load(path, weights_only=False)
    assert marker.exists()


class _StridedView:
    """A tensor record whose size/stride/offset point outside its storage."""

    def __init__(self, offset, size, stride) -> None:
        self.rv = (offset, size, stride)

    def __reduce__(self):
        offset, size, stride = self.rv
        storage = torch.arange(4, dtype=torch.float32).untyped_storage()
        typed = torch.storage.TypedStorage(wrap_storage=storage, dtype=torch.float32,
                                           _internal=True)
        return (torch._utils._rebuild_tensor_v2,
                (typed, offset, size, stride, False, collections.OrderedDict()))


@pytest.mark.parametrize("offset,size,stride,ok", [
    (0, (100000,), (1,), False),
    (3, (2,), (1,), False),
    (0, (2, 3), (3, 1), False),
    (1, (3,), (1,), True),
    (0, (2, 2), (1, 2), True),
    (3, (2,), (-1,), False),
    (4, (0,), (1,), True),
])
def test_out_of_bounds_views_are_refused(tmp_path, offset, size, stride, ok):
    path = tmp_path / "view.pth"
    torch.save({"x": _StridedView(offset, size, stride)}, path)
    if ok:
        want = torch.load(path)["x"]
        np.testing.assert_array_equal(torchlike.load(path)["x"].numpy(), want.numpy())
        return
    with pytest.raises(RuntimeError) as torch_err:
        torch.load(path)
    with pytest.raises(RuntimeError) as tl_err:
        torchlike.load(path)
    assert str(tl_err.value) == str(torch_err.value)


# ---------------------------------------------------------------------------------------------
# A save killed (SIGKILL) while writing leaves the previous checkpoint intact
# ---------------------------------------------------------------------------------------------

# Runs torchlike.save in a child whose file writes stop half-way (stage "mid-write") or after all
# data but before the rename (stage "fsync"), report READY and block until the parent kills it.
_KILLED_SAVE_SCRIPT = """
import builtins
import io
import os
import sys
import time

import torchlike

path, stage = sys.argv[1:3]


def block():
    print("READY", flush=True)
    time.sleep(600)


class HalfWriter:
    def __init__(self, f):
        self._f = f

    def write(self, data):
        if len(data) > 1 << 20:
            self._f.write(bytes(data[: len(data) // 2]))
            self._f.flush()
            block()
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def wrap(opener):
    def patched(*args, **kwargs):
        f = opener(*args, **kwargs)
        mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
        return HalfWriter(f) if ("w" in mode or "a" in mode or "+" in mode) else f
    return patched


if stage == "mid-write":  # os.fdopen goes through io.open too
    builtins.open = io.open = wrap(io.open)
else:
    os.fsync = lambda fd: block()
torchlike.save({"v": torchlike.zeros(2_000_000), "tag": "new"}, path)
print("FINISHED", flush=True)
"""


@pytest.mark.parametrize("stage", ["mid-write", "fsync"])
def test_killed_save_keeps_previous_file(tmp_path, stage):
    path = tmp_path / "ckpt.pth"
    torchlike.save({"v": torchlike.arange(5), "tag": "old"}, path)
    before = path.read_bytes()
    script = tmp_path / "killed_save.py"
    script.write_text(_KILLED_SAVE_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(torchlike.__file__)), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.Popen([sys.executable, str(script), str(path), stage],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line.strip() == "READY", (line, child.stderr.read() if child.poll() else "")
        partial = [p for p in tmp_path.iterdir() if p.name not in ("ckpt.pth", script.name)]
        # the new bytes went somewhere other than the checkpoint (half of 8 MB at least)
        assert len(partial) == 1 and partial[0].stat().st_size > 4_000_000, partial
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    got = torchlike.load(path)
    assert got["tag"] == "old" and got["v"].tolist() == [0, 1, 2, 3, 4]
    # the leftover is a hidden ".ckpt.pth.<random>.tmp" next to the target, easy to tell apart
    (leftover,) = partial
    assert leftover.name.startswith(".ckpt.pth.") and leftover.name.endswith(".tmp")


@pytest.mark.parametrize("value,allowed", [
    ({1, 2}, True), (1 + 2j, True), (bytearray(b"ab"), True), (b"\x00\xff", True),
    (collections.Counter(a=2), True), (collections.OrderedDict(a=1), True),
    (frozenset({3}), False), (slice(1, 5, 2), False),
])
def test_weights_only_allowlist_matches_torch(tmp_path, value, allowed):
    # protocol 2 spells builtins "__builtin__.set": mapped before the allowlist check, as torch
    for lib in (torch, torchlike):
        lib.save({"v": value}, tmp_path / "p.pth")
        if allowed:
            assert torch.load(tmp_path / "p.pth")["v"] == value
            assert torchlike.load(tmp_path / "p.pth")["v"] == value
            continue
        with pytest.raises(pickle.UnpicklingError) as torch_err:
            torch.load(tmp_path / "p.pth")
        with pytest.raises(pickle.UnpicklingError) as tl_err:
            torchlike.load(tmp_path / "p.pth")
        assert str(tl_err.value) == str(torch_err.value)
        assert torchlike.load(tmp_path / "p.pth", weights_only=False)["v"] == value


def test_tensor_with_python_attributes_from_torch(tmp_path):
    t = torch.arange(3.0)
    t.note = "hello"
    t.scale = 2
    torch.save({"t": t}, tmp_path / "attr.pth")
    got = torchlike.load(tmp_path / "attr.pth")["t"]
    assert got.tolist() == [0.0, 1.0, 2.0] and got.dtype == torchlike.float32
    assert (got.note, got.scale) == ("hello", 2)
