"""torchlike implementation of torchvision's FakeData."""

from __future__ import annotations

import numpy as np

from .vision import VisionDataset, to_image

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """torchlike implementation of :class:`torchvision.datasets.FakeData`.

    Sample ``i`` is drawn from a numpy generator seeded with ``i + random_offset`` (torchvision
    seeds torch's; the global RNG is left alone in both), so the values differ from torchvision's.
    As there, the standard-normal CxHxW image goes through ToPILImage's float → uint8 conversion;
    the sample is a PIL image with Pillow installed, otherwise an HxWxC uint8 numpy array.
    """

    def __init__(self, size: int = 1000, image_size=(3, 224, 224), num_classes: int = 10,
                 transform=None, target_transform=None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.num_classes = size, num_classes
        self.image_size, self.random_offset = tuple(image_size), random_offset

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng = np.random.default_rng(int(index) + self.random_offset)
        img = rng.standard_normal(self.image_size, dtype=np.float32)
        target = int(rng.integers(0, self.num_classes))
        # ToPILImage: mul(255) then a wrapping cast to uint8
        hwc = (img * 255).astype(np.int64).astype(np.uint8).transpose(1, 2, 0)
        return self._apply(to_image(np.ascontiguousarray(hwc)), target)
