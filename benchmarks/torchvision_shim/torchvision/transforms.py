"""``torchvision.transforms.Compose/ToTensor/Normalize`` for the benchmark shim (numpy input)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["Compose", "Normalize", "ToTensor"]


class Compose:
    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class ToTensor:
    """HxW or HxWxC numpy array → CxHxW tensor; uint8 is scaled to float32 in [0, 1]."""

    def __call__(self, pic):
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"the benchmark shim's ToTensor takes numpy arrays, got {type(pic)}")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = torch.from_numpy(pic.transpose(2, 0, 1)).contiguous()
        if img.dtype == torch.uint8:
            return img.to(torch.get_default_dtype()).div(255)
        return img


class Normalize:
    """``(tensor - mean) / std`` per channel, on a copy unless ``inplace``."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        if not self.inplace:
            tensor = tensor.clone()
        mean = torch.as_tensor(self.mean, dtype=tensor.dtype)
        std = torch.as_tensor(self.std, dtype=tensor.dtype)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                             f"to division by zero.")
        return tensor.sub_(mean.view(-1, 1, 1)).div_(std.view(-1, 1, 1))
