"""torchlike implementation of torchvision's CIFAR10 and CIFAR100 datasets.

Reads torchvision's on-disk layout (``root/cifar-10-batches-py/data_batch_1`` ... or
``root/cifar-100-python/train``: the pickled batches of the original archive) and follows
torchvision's ``download=True``: the archive is fetched, its md5 checked, and extracted.
"""

from __future__ import annotations

import os
import pickle
from types import MappingProxyType

import numpy as np

from .utils import check_integrity, download_and_extract_archive
from .vision import VisionDataset, to_image

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """torchlike implementation of :class:`torchvision.datasets.CIFAR10`.

    Samples are PIL images (RGB) when Pillow is installed, otherwise uint8 numpy arrays of shape
    (32, 32, 3); ``transforms.ToTensor`` accepts both.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list: tuple = (("data_batch_1", "c99cafc152244af753f735de768cd75f"),
                         ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
                         ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
                         ("data_batch_4", "634d18415352ddfa80567beed471001a"),
                         ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"))
    test_list: tuple = (("test_batch", "40351d587109b95175f43aff81a1287e"),)
    meta = MappingProxyType({"filename": "batches.meta", "key": "label_names",
                             "md5": "5ff9c542aee3614f3951f8cda6e48888"})
    _label_key = "labels"

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            files = ", ".join(f for f, _ in [*self.train_list, *self.test_list])
            raise RuntimeError(
                f"Dataset not found or corrupted. You can use download=True to download it. "
                f"Expected {files} and {self.meta['filename']} (with torchvision's md5 sums) in "
                f"{os.path.join(self.root, self.base_folder)}")
        data, targets = [], []
        for name, _ in (self.train_list if train else self.test_list):
            entry = self._unpickle(name)
            data.append(entry["data"])
            targets.extend(entry[self._label_key])
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.targets = [int(t) for t in targets]
        self._load_meta()

    def _unpickle(self, name: str) -> dict:
        # NOTE: the archive's batches are Python 2 pickles (trusted, md5-checked, as in torchvision)
        with open(os.path.join(self.root, self.base_folder, name), "rb") as f:
            return pickle.load(f, encoding="latin1")

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use "
                               "download=True to download it")
        self.classes = list(self._unpickle(self.meta["filename"])[self.meta["key"]])
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _check_integrity(self) -> bool:
        return all(check_integrity(os.path.join(self.root, self.base_folder, name), md5)
                   for name, md5 in [*self.train_list, *self.test_list])

    def download(self) -> None:
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        return self._apply(to_image(self.data[index]), self.targets[index])

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """torchlike implementation of :class:`torchvision.datasets.CIFAR100` (fine labels)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list: tuple = (("train", "16019d7e3df5f24257cddd939b257f8d"),)
    test_list: tuple = (("test", "f0ef6b0ae62326f3e7ffdfab6717acfc"),)
    meta = MappingProxyType({"filename": "meta", "key": "fine_label_names",
                             "md5": "7973b15100ade9c7d40fb424638fde48"})
    _label_key = "fine_labels"
