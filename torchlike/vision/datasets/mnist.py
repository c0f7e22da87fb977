"""torchlike implementation of torchvision's MNIST, FashionMNIST and KMNIST datasets.

Reads torchvision's on-disk layout ``root/<ClassName>/raw/*-ubyte`` and, unlike torchvision, also
the ``.gz`` files directly when the extracted ones are absent (no write access needed).
``download=True`` follows torchvision: every mirror in turn, md5 check, extraction.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from .utils import URL_ERRORS, check_integrity, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["KMNIST", "MNIST", "FashionMNIST"]

try:
    from PIL import Image as _PIL_IMAGE
except ImportError:  # Pillow is optional (the "vision" extra): samples are then numpy arrays
    _PIL_IMAGE = None

_IDX_TYPES = {8: np.uint8, 9: np.int8, 11: np.dtype(">i2"), 12: np.dtype(">i4"),
              13: np.dtype(">f4"), 14: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """Parse an IDX file (MNIST's format), gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    nd, ty = magic % 256, magic // 256
    if ty not in _IDX_TYPES or nd < 1:
        raise RuntimeError(f"{path} is not an IDX file (magic number {magic})")
    shape = [int.from_bytes(data[4 * (i + 1):4 * (i + 2)], "big") for i in range(nd)]
    arr = np.frombuffer(data, dtype=_IDX_TYPES[ty], offset=4 * (nd + 1))
    if arr.size != np.prod(shape):
        raise RuntimeError(f"{path}: expected {np.prod(shape)} values, found {arr.size}")
    return arr.reshape(shape).astype(arr.dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """torchlike implementation of :class:`torchvision.datasets.MNIST`.

    Samples are PIL images (mode "L") when Pillow is installed (the ``vision`` extra), otherwise
    uint8 numpy arrays of shape (28, 28); ``transforms.ToTensor`` accepts both.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    training_file, test_file = "training.pt", "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(
                f"Dataset not found. You can use download=True to download it. Expected "
                f"{', '.join(self._files())} (or their .gz) in {self.raw_folder}")
        from ... import tensor
        self.data = tensor(read_idx(self._path(self._files()[0])))
        self.targets = tensor(read_idx(self._path(self._files()[1])).astype(np.int64))
        self._np_data = np.asarray(self.data._data)
        self._np_targets = np.asarray(self.targets._data).tolist()

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def _files(self) -> list[str]:
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _path(self, name: str) -> str:
        p = os.path.join(self.raw_folder, name)
        return p if os.path.isfile(p) else p + ".gz"

    def _check_exists(self) -> bool:
        return all(os.path.isfile(self._path(os.path.splitext(os.path.basename(u))[0]))
                   for u, _ in self.resources)

    def download(self) -> None:
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if os.path.isfile(os.path.join(self.raw_folder, filename[:-3])):
                continue
            errors = []
            for mirror in self.mirrors:
                url = f"{mirror}{filename}"
                try:
                    download_and_extract_archive(url, download_root=self.raw_folder,
                                                 filename=filename, md5=md5)
                    break
                except URL_ERRORS as e:
                    errors.append(f"{url}: {e}")
            else:
                raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))

    def __len__(self) -> int:
        return len(self._np_targets)

    def __getitem__(self, index: int):
        img, target = self._np_data[int(index)], self._np_targets[int(index)]
        if _PIL_IMAGE is not None:
            img = _PIL_IMAGE.fromarray(img, mode="L")
        return self._apply(img, target)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"

    @staticmethod
    def _verify(path: str, md5: str) -> bool:
        return check_integrity(path, md5)


class FashionMNIST(MNIST):
    """torchlike implementation of :class:`torchvision.datasets.FashionMNIST`."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """torchlike implementation of :class:`torchvision.datasets.KMNIST`."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
