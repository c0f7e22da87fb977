"""torchlike implementation of torchvision.datasets.VisionDataset."""

from __future__ import annotations

import os

from ...utils.data import Dataset

try:
    from PIL import Image as _PIL_IMAGE
except ImportError:  # Pillow is optional (the "vision" extra): samples are then numpy arrays
    _PIL_IMAGE = None


def to_image(arr):
    """An HxW(xC) uint8 array as torchvision's datasets return it: a PIL image when Pillow is
    installed (the ``vision`` extra), otherwise the array itself."""
    return arr if _PIL_IMAGE is None else _PIL_IMAGE.fromarray(arr)


class VisionDataset(Dataset):
    def __init__(self, root=None, transforms=None, transform=None,
                 target_transform=None) -> None:
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform, self.target_transform = transform, target_transform
        self.transforms = transforms

    def _apply(self, img, target):
        if self.transforms is not None:
            return self.transforms(img, target)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transform is not None:
            body += [f"StandardTransform\nTransform: {self.transform!r}".replace("\n", "\n    ")]
        return "\n".join([head] + ["    " + line for line in body])

    def extra_repr(self) -> str:
        return ""
