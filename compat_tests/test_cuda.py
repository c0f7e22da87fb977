"""torchlike on a GPU ('cuda' = JAX's GPU): placement, values against the CPU, training steps eager
and compiled, mixed-device errors, precision flags, serialization of GPU tensors.

Skipped where JAX sees no GPU (CI). ``TORCHLIKE_TEST_DEVICE=cpu`` runs the same checks with 'cpu'
as the target device, which tests the file's own logic on a machine without a GPU.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

import torchlike as tl
import torchlike.nn as nn
import torchlike.nn.functional as F

DEV = os.environ.get("TORCHLIKE_TEST_DEVICE") or ("cuda" if tl.cuda.is_available() else None)
pytestmark = pytest.mark.skipif(DEV is None, reason="no GPU visible to JAX")
ON_GPU = DEV == "cuda"


def _np(t):
    return t.detach().cpu().numpy()


def test_default_device_is_cpu_and_moves_are_explicit():
    x = tl.randn(3, 4)
    assert x.device == tl.device("cpu") and tl.get_default_device() == tl.device("cpu")
    y = x.to(DEV)
    assert y.device.type == DEV
    if ON_GPU:
        assert y.device == tl.device("cuda", 0) and x.cuda().device == y.device
        assert "device='cuda:0'" in repr(y)
        assert y.is_cuda and not x.is_cuda
    np.testing.assert_array_equal(_np(y), _np(x))
    assert y.cpu().device == tl.device("cpu")
    # results of ops stay on the inputs' device, factory functions honour device=
    assert (y * 2 + 1).device == y.device
    assert tl.zeros(2, device=DEV).device.type == DEV
    assert tl.zeros_like(y).device == y.device


def test_set_default_device_and_context_manager():
    with tl.device(DEV):
        z = tl.ones(2)
    assert z.device.type == DEV
    assert tl.ones(2).device == tl.device("cpu")
    tl.set_default_device(DEV)
    try:
        assert tl.arange(3).device.type == DEV
    finally:
        tl.set_default_device("cpu")
    assert tl.arange(3).device == tl.device("cpu")


OPS = [
    ("add", lambda t, a, b: a + b * 2),
    ("matmul", lambda t, a, b: a @ b.T),
    ("softmax", lambda t, a, b: a.softmax(dim=1)),
    ("log_softmax", lambda t, a, b: F.log_softmax(a, dim=0)),
    ("sum_mean", lambda t, a, b: a.sum(dim=1) + b.mean()),
    ("var", lambda t, a, b: a.var(dim=0)),
    ("cumsum", lambda t, a, b: a.cumsum(dim=1)),
    ("sort", lambda t, a, b: a.sort(dim=1).values),
    ("topk", lambda t, a, b: a.topk(2, dim=1).indices.float()),
    ("index", lambda t, a, b: a[1:, ::2] * b[0, :2]),
    ("gather", lambda t, a, b: a.gather(1, t.tensor([[0, 2], [1, 1], [3, 0]]).to(a.device))),
    ("where", lambda t, a, b: t.where(a > 0, a, b)),
    ("layer_norm", lambda t, a, b: F.layer_norm(a, (4,))),
    ("conv2d", lambda t, a, b: F.conv2d(a.reshape(1, 1, 3, 4), b.reshape(1, 1, 3, 4)[..., :2, :2])),
    ("cross_entropy", lambda t, a, b: F.cross_entropy(a, t.tensor([0, 3, 1]).to(a.device))),
]


@pytest.mark.parametrize("name,fn", OPS, ids=[o[0] for o in OPS])
def test_ops_match_cpu(name, fn):
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(
        np.float32)
    a_c = tl.tensor(a0, requires_grad=True)
    b_c = tl.tensor(b0, requires_grad=True)
    a_d = tl.tensor(a0, device=DEV, requires_grad=True)
    b_d = tl.tensor(b0, device=DEV, requires_grad=True)
    out_c, out_d = fn(tl, a_c, b_c), fn(tl, a_d, b_d)
    assert out_d.device.type == DEV and out_d.dtype == out_c.dtype and out_d.shape == out_c.shape
    np.testing.assert_allclose(_np(out_d), _np(out_c), rtol=1e-5, atol=1e-5)
    if out_c.requires_grad:
        out_c.sum().backward()
        out_d.sum().backward()
        for c, d in ((a_c, a_d), (b_c, b_d)):
            assert (c.grad is None) == (d.grad is None)
            if c.grad is not None:
                assert d.grad.device == d.device
                np.testing.assert_allclose(_np(d.grad), _np(c.grad), rtol=1e-5, atol=1e-5)


def test_mixed_devices_raise_torchs_error():
    if not ON_GPU:
        pytest.skip("needs two device types")
    a = tl.ones(3).cuda()
    b = tl.ones(3)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but "
                                           "found at least two devices, cuda:0 and cpu!"):
        a + b
    # a Python number and a 0-dim tensor made without a device combine with a GPU tensor
    assert (a + 1).device == a.device
    assert (a * tl.tensor(2.0)).device == a.device


def _mlp():
    tl.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def _cnn():
    tl.manual_seed(0)
    # no conv bias before BatchNorm: its gradient is rounding noise that Adam would amplify
    return nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 13 * 13, 10))


def _train(make, device, steps=5, compiled=False):
    model = make().to(device)
    opt = tl.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    x = tl.tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32)).to(device)
    y = tl.tensor(rng.integers(0, 10, 16)).to(device)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    fn = tl.compile(step) if compiled else step
    losses = [fn(x, y).item() for _ in range(steps)]
    for p in model.parameters():
        assert p.device.type == tl.device(device).type and p.grad.device == p.device
    return losses, model


@pytest.mark.parametrize("make", [_mlp, _cnn], ids=["mlp", "cnn_bn"])
@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_training_steps_match_cpu(make, compiled):
    ref, ref_model = _train(make, "cpu")
    got, model = _train(make, DEV, compiled=compiled)
    # TensorFloat-32 convolutions (torch's cudnn default) on a GPU: looser for the CNN
    tol = 2e-3 if (ON_GPU and make is _cnn) else 2e-5
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    for (name, a), b in zip(ref_model.state_dict().items(), model.state_dict().values()):
        assert b.device.type == tl.device(DEV).type, name
        np.testing.assert_allclose(_np(b), _np(a), rtol=10 * tol, atol=10 * tol, err_msg=name)


def test_matmul_precision_flags():
    assert tl.get_float32_matmul_precision() == "highest"
    assert tl.backends.cuda.matmul.allow_tf32 is False and tl.backends.cudnn.allow_tf32 is True
    rng = np.random.default_rng(2)
    a = tl.tensor(rng.standard_normal((256, 256)).astype(np.float32), device=DEV)
    ref = a.double() @ a.double()
    full = (a @ a).double()
    err_full = float((full - ref).abs().max())
    tl.set_float32_matmul_precision("high")
    try:
        assert tl.backends.cuda.matmul.allow_tf32 is True
        err_tf32 = float(((a @ a).double() - ref).abs().max())
    finally:
        tl.set_float32_matmul_precision("highest")
    assert err_full < 1e-3, err_full  # full float32 by default, as in torch
    if ON_GPU:  # TensorFloat-32 keeps 10 mantissa bits: visibly less exact
        assert err_tf32 > 10 * err_full, (err_tf32, err_full)
    else:  # the CPU computes float32 in full whatever the flag
        assert err_tf32 == err_full


def test_amp_autocast_and_gradscaler():
    model = _mlp().to(DEV)
    opt = tl.optim.SGD(model.parameters(), lr=0.1)
    scaler = tl.amp.GradScaler(DEV)
    x = tl.randn(8, 1, 28, 28).to(DEV)
    y = tl.randint(0, 10, (8,)).to(DEV)
    dtype = tl.float16 if ON_GPU else tl.bfloat16
    for _ in range(3):
        opt.zero_grad()
        with tl.autocast(DEV, dtype=dtype):
            out = model(x)
            assert out.dtype == dtype
            loss = F.cross_entropy(out, y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    assert np.isfinite(loss.item())


def test_save_load_gpu_tensors():
    t = tl.arange(6.0).reshape(2, 3).to(DEV)
    buf = io.BytesIO()
    tl.save({"t": t}, buf)
    buf.seek(0)
    back = tl.load(buf)["t"]
    assert back.device == t.device
    buf.seek(0)
    cpu = tl.load(buf, map_location="cpu")["t"]
    assert cpu.device == tl.device("cpu")
    np.testing.assert_array_equal(_np(cpu), _np(t))


def test_cuda_module_queries():
    if not ON_GPU:
        pytest.skip("torchlike.cuda queries need a GPU")
    assert tl.cuda.is_available() and tl.cuda.device_count() >= 1
    assert isinstance(tl.cuda.get_device_name(), str) and tl.cuda.get_device_name()
    x = tl.randn(1024, 1024, device="cuda")
    tl.cuda.synchronize()
    assert tl.cuda.memory_allocated() >= x.numel() * 4
    assert tl.cuda.max_memory_allocated() >= tl.cuda.memory_allocated()
