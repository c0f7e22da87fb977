"""torchlike.vision datasets beyond MNIST (CIFAR10/100 with torchvision's download logic against a
local file server, FakeData, DatasetFolder/ImageFolder) and vision.utils.make_grid/save_image."""

import functools
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

import torchlike
import torchlike.vision as tv

try:
    import PIL  # noqa: F401
    HAVE_PIL = True
except ImportError:
    HAVE_PIL = False


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields (directory, base url)."""
    www = tmp_path / "www"
    www.mkdir()
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield www, f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


def _md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def _fake_cifar(cls, www, url, monkeypatch, n=4):
    """A tiny archive in the real layout (pickled batches of flat CHW uint8 rows); the class is
    pointed at it with matching md5 sums. Returns {file name: (data, labels)}."""
    rng = np.random.default_rng(0)
    label_key = cls._label_key
    files, blobs = {}, {}
    for name, _ in [*cls.train_list, *cls.test_list]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n).tolist()
        files[name] = (data, labels)
        blobs[name] = pickle.dumps({"data": data, label_key: labels, "batch_label": name})
    blobs[cls.meta["filename"]] = pickle.dumps({cls.meta["key"]: [f"c{i}" for i in range(10)]})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, blob in blobs.items():
            info = tarfile.TarInfo(f"{cls.base_folder}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    (www / cls.filename).write_bytes(buf.getvalue())
    monkeypatch.setattr(cls, "url", url + cls.filename)
    monkeypatch.setattr(cls, "tgz_md5", _md5(buf.getvalue()))
    monkeypatch.setattr(cls, "train_list", [[f, _md5(blobs[f])] for f, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[f, _md5(blobs[f])] for f, _ in cls.test_list])
    monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": _md5(blobs[cls.meta["filename"]])})
    return files


@pytest.mark.parametrize("cls", [tv.datasets.CIFAR10, tv.datasets.CIFAR100])
def test_cifar_download_and_read(cls, server, tmp_path, monkeypatch):
    www, url = server
    files = _fake_cifar(cls, www, url, monkeypatch)
    root = tmp_path / "root"
    with pytest.raises(RuntimeError, match=f"Dataset not found or corrupted.*{cls.test_list[0][0]}"):
        cls(str(root), train=False)
    train = cls(str(root), train=True, download=True)
    assert (root / cls.filename).is_file() and (root / cls.base_folder).is_dir()
    data = np.concatenate([files[f][0] for f, _ in cls.train_list])
    labels = [y for f, _ in cls.train_list for y in files[f][1]]
    assert len(train) == len(labels) and train.targets == labels
    assert train.classes == [f"c{i}" for i in range(10)] and train.class_to_idx["c3"] == 3
    img, y = train[1]
    want = data[1].reshape(3, 32, 32).transpose(1, 2, 0)
    assert y == labels[1] and type(y) is int
    np.testing.assert_array_equal(np.asarray(img), want)
    test = cls(str(root), train=False, download=True, transform=tv.transforms.ToTensor())
    x, _ = test[0]
    assert tuple(x.shape) == (3, 32, 32) and x.dtype == torchlike.float32
    np.testing.assert_allclose(x.numpy(), files[cls.test_list[0][0]][0][0].reshape(3, 32, 32)
                               / np.float32(255), rtol=1e-6)


def test_cifar_bad_archive_md5(server, tmp_path, monkeypatch):
    www, url = server
    cls = tv.datasets.CIFAR10
    _fake_cifar(cls, www, url, monkeypatch)
    monkeypatch.setattr(cls, "tgz_md5", "0" * 32)
    with pytest.raises(RuntimeError, match="md5"):
        cls(str(tmp_path / "r"), download=True)
    assert not (tmp_path / "r" / cls.filename).exists()


def test_fake_data():
    ds = tv.datasets.FakeData(size=5, image_size=(3, 6, 4), num_classes=3,
                              transform=tv.transforms.ToTensor())
    torchlike.manual_seed(0)
    a = torchlike.rand(3)
    torchlike.manual_seed(0)
    x, y = ds[2]
    assert torchlike.equal(torchlike.rand(3), a)  # the global RNG is left alone
    x2, y2 = ds[2]
    assert tuple(x.shape) == (3, 6, 4) and torchlike.equal(x, x2) and y == y2 and 0 <= y < 3
    assert not torchlike.equal(ds[3][0], x)
    assert len(ds) == 5 and len(list(torchlike.utils.data.DataLoader(ds, batch_size=2))) == 3
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[5]


@pytest.fixture
def npy_tree(tmp_path):
    root = tmp_path / "tree"
    for cls, n in (("dog", 2), ("cat", 3), ("eel", 1)):
        (root / cls / "sub").mkdir(parents=True)
        for i in range(n):
            where = root / cls / ("sub" if i == 0 else "")
            np.save(where / f"{i}.npy", np.full((2, 2), i + 10 * len(cls), np.float32))
        (root / cls / "notes.txt").write_text("not a sample")
    return root


def test_dataset_folder(npy_tree):
    ds = tv.datasets.DatasetFolder(str(npy_tree), loader=np.load, extensions=".npy")
    assert ds.classes == ["cat", "dog", "eel"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "eel": 2}
    rel = [(os.path.relpath(p, npy_tree), t) for p, t in ds.samples]
    assert rel == [("cat/1.npy", 0), ("cat/2.npy", 0), ("cat/sub/0.npy", 0), ("dog/1.npy", 1),
                   ("dog/sub/0.npy", 1), ("eel/sub/0.npy", 2)]
    assert ds.targets == [t for _, t in rel]
    x, y = ds[3]
    assert y == 1 and x.shape == (2, 2) and x[0, 0] == 31
    batch = next(iter(torchlike.utils.data.DataLoader(ds, batch_size=6)))
    assert tuple(batch[0].shape) == (6, 2, 2) and batch[1].tolist() == ds.targets
    txt = tv.datasets.DatasetFolder(str(npy_tree), loader=open,
                                    is_valid_file=lambda p: p.endswith(".txt"))
    assert len(txt) == 3
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        tv.datasets.DatasetFolder(str(npy_tree), loader=np.load)
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes cat, dog, "
                                                "eel. Supported extensions are: .png"):
        tv.datasets.DatasetFolder(str(npy_tree), loader=np.load, extensions=(".png",))
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        tv.datasets.DatasetFolder(str(npy_tree / "eel" / "sub"), loader=np.load,
                                  extensions=".npy")


@pytest.mark.skipif(HAVE_PIL, reason="checks the error raised without Pillow")
def test_image_folder_needs_pillow_for_its_default_loader(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"\x89PNG")
    ds = tv.datasets.ImageFolder(str(tmp_path))
    assert ds.imgs == ds.samples and len(ds) == 1
    with pytest.raises(ModuleNotFoundError, match="needs Pillow.*pip install pillow"):
        ds[0]
    with pytest.raises(ModuleNotFoundError, match="save_image needs Pillow"):
        tv.utils.save_image(torchlike.zeros(3, 2, 2), str(tmp_path / "g.png"))


@pytest.mark.skipif(not HAVE_PIL, reason="Pillow not installed")
def test_save_image_and_image_folder_with_pillow(tmp_path):
    from PIL import Image
    (tmp_path / "c").mkdir()
    img = torchlike.rand(3, 5, 4)
    tv.utils.save_image(img, str(tmp_path / "c" / "g.png"))
    back = np.asarray(Image.open(tmp_path / "c" / "g.png"))
    want = np.clip(img.numpy() * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(back, want)
    x, y = tv.datasets.ImageFolder(str(tmp_path), transform=tv.transforms.ToTensor())[0]
    assert y == 0 and tuple(x.shape) == (3, 5, 4)


def test_make_grid_hand_checked():
    x = torchlike.arange(8.0).reshape(2, 1, 2, 2)
    g = tv.utils.make_grid(x, padding=1)
    assert tuple(g.shape) == (3, 4, 7)  # 1 channel → 3, two images in a row, 1-pixel borders
    want = [[0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 4, 5, 0], [0, 2, 3, 0, 6, 7, 0],
            [0, 0, 0, 0, 0, 0, 0]]
    assert all(g[c].tolist() == want for c in range(3))
    g = tv.utils.make_grid([x[0, 0:1], x[1, 0:1], x[0, 0:1]], nrow=2, padding=1, pad_value=9)
    assert tuple(g.shape) == (3, 7, 7)
    assert g[0].tolist() == [[9] * 7, [9, 0, 1, 9, 4, 5, 9], [9, 2, 3, 9, 6, 7, 9], [9] * 7,
                             [9, 0, 1, 9, 9, 9, 9], [9, 2, 3, 9, 9, 9, 9], [9] * 7]
    one = tv.utils.make_grid(x[:1], normalize=True)  # one image: no border, scaled to [0, 1]
    np.testing.assert_allclose(one.numpy(), [[[0, 1 / 3], [2 / 3, 1]]] * 3, rtol=1e-6)
    both = tv.utils.make_grid(x, padding=0, normalize=True, scale_each=True)
    np.testing.assert_allclose(both[0].numpy(), [[0, 1 / 3, 0, 1 / 3], [2 / 3, 1, 2 / 3, 1]],
                               rtol=1e-6)
    clipped = tv.utils.make_grid(x, padding=0, normalize=True, value_range=(2.0, 6.0))
    assert clipped[0].tolist() == [[0, 0, 0.5, 0.75], [0, 0.25, 1, 1]]
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        tv.utils.make_grid(x, normalize=True, value_range=[0, 1])
