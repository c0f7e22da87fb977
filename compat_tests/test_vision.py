"""torchlike.vision: MNIST in torchvision's layout, download logic against a local server,
and the basic transforms."""

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import threading

import numpy as np
import pytest

import torchlike
import torchlike.vision as tv
from torchlike.vision.datasets.mnist import read_idx

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist")
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def _idx_bytes(arr: np.ndarray) -> bytes:
    code = {np.uint8: 8}[arr.dtype.type]
    head = (code * 256 + arr.ndim).to_bytes(4, "big")
    head += b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.tobytes()


@pytest.fixture
def tiny_mnist_raw(tmp_path):
    """A 5-image MNIST in torchvision's raw layout (gzipped), made here."""
    rng = np.random.default_rng(0)
    raw = tmp_path / "src"
    raw.mkdir()
    for split, n in (("train", 5), ("t10k", 3)):
        imgs = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        (raw / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(imgs)))
        (raw / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(labels)))
    return raw


def test_reads_gz_layout_and_transforms(tiny_mnist_raw, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(tiny_mnist_raw, root / "MNIST" / "raw")
    tf = tv.transforms.Compose([tv.transforms.ToTensor(),
                                tv.transforms.Normalize((0.1307,), (0.3081,))])
    ds = tv.datasets.MNIST(str(root), train=True, transform=tf)
    imgs = read_idx(str(root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"))
    labels = read_idx(str(root / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz"))
    assert len(ds) == 5 and ds.data.dtype == torchlike.uint8 and ds.targets.dtype == torchlike.int64
    x, y = ds[2]
    assert y == int(labels[2]) and type(y) is int
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == torchlike.float32
    want = (imgs[2].astype(np.float32) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(x.numpy()[0], want, rtol=1e-5, atol=1e-6)
    batch = next(iter(torchlike.utils.data.DataLoader(ds, batch_size=4)))
    assert tuple(batch[0].shape) == (4, 1, 28, 28) and batch[1].dtype == torchlike.int64


def test_missing_data_names_files(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found.*train-images-idx3-ubyte"):
        tv.datasets.MNIST(str(tmp_path), train=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_from_local_mirror(tiny_mnist_raw, tmp_path, monkeypatch):
    handler = functools.partial(_Quiet, directory=str(tiny_mnist_raw))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in tiny_mnist_raw.iterdir()}
        resources = [(f"{n}.gz", md5[f"{n}.gz"]) for n in NAMES]
        port = server.server_address[1]
        # The first mirror is dead: torchvision's logic falls through to the next one.
        monkeypatch.setattr(tv.datasets.MNIST, "mirrors",
                            ["http://127.0.0.1:9/", f"http://127.0.0.1:{port}/"])
        monkeypatch.setattr(tv.datasets.MNIST, "resources", resources)
        ds = tv.datasets.MNIST(str(tmp_path / "dl"), train=False, download=True)
        assert len(ds) == 3
        assert (tmp_path / "dl" / "MNIST" / "raw" / "t10k-images-idx3-ubyte").is_file()
        # A corrupted file on the mirror fails the md5 check and leaves nothing behind.
        bad = [(r[0], "0" * 32) for r in resources]
        monkeypatch.setattr(tv.datasets.MNIST, "resources", bad)
        with pytest.raises(RuntimeError, match="Error downloading"):
            tv.datasets.MNIST(str(tmp_path / "dl2"), train=False, download=True)
        assert not any(p.name.endswith(".gz") for p in (tmp_path / "dl2" / "MNIST" / "raw").iterdir())
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED, "MNIST", "raw")),
                    reason="real MNIST not present: put torchvision's raw files in "
                           "../shared/data/mnist/MNIST/raw to run this test")
def test_real_mnist_if_present():
    ds = tv.datasets.MNIST(SHARED, train=False, transform=tv.transforms.ToTensor())
    assert len(ds) == 10000
    x, y = ds[0]
    assert y == 7 and tuple(x.shape) == (1, 28, 28) and 0 <= float(x.min()) <= float(x.max()) <= 1
