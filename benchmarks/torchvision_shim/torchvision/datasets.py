"""``torchvision.datasets.MNIST`` for the benchmark shim: reads torchvision's raw IDX files."""

from __future__ import annotations

import gzip
import os

import numpy as np
import torch

__all__ = ["MNIST"]


def _read_idx(path: str) -> torch.Tensor:
    """An unsigned-byte IDX file (MNIST's images and labels), gzipped or not, as a uint8 tensor."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    if data[0:2] != b"\0\0" or data[2] != 8:
        raise RuntimeError(f"{path}: not an unsigned-byte IDX file (magic {data[0:4].hex()})")
    nd = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    arr = np.frombuffer(data, np.uint8, offset=4 + 4 * nd)
    if arr.size != int(np.prod(shape)):
        raise RuntimeError(f"{path}: expected {int(np.prod(shape))} values, found {arr.size}")
    return torch.from_numpy(arr.reshape(shape).copy())


class MNIST(torch.utils.data.Dataset):
    """torchvision's ``MNIST(root, train, transform, target_transform, download)`` on the raw files
    in ``ROOT/MNIST/raw`` (``.gz`` or not). ``download=True`` downloads nothing: missing files
    raise ``RuntimeError``. A sample is ``(transform(uint8 HxW numpy array), int label)``."""

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        self.root, self.train = os.path.expanduser(str(root)), train
        self.transform, self.target_transform = transform, target_transform
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        paths = [self._find(name) for name in names]
        missing = [name for name, p in zip(names, paths) if p is None]
        if missing:
            how = ("the benchmark's torchvision shim never downloads" if download
                   else "pass the raw files")
            raise RuntimeError(f"MNIST raw files not found ({how}): expected {', '.join(missing)} "
                               f"(or .gz) in {self.raw_folder}")
        self.data = _read_idx(paths[0])
        self.targets = _read_idx(paths[1]).long()

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, "MNIST", "raw")

    def _find(self, name: str) -> str | None:
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        return None

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        # As torchvision does, less ``Image.fromarray(..., mode="L")`` around the numpy view.
        img, target = self.data[index].numpy(), int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
