"""torchlike implementation of torchvision.transforms (the tensor/PIL basics; more to come)."""

from __future__ import annotations


import jax as _jax
import jax.numpy as _jnp
import numpy as np

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Lambda"]


def _pil():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _to_numpy_image(pic) -> np.ndarray:
    """A PIL image or an HxW(xC) numpy array as an HxWxC numpy array."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        return pic[:, :, None] if pic.ndim == 2 else pic
    Image = _pil()
    if Image is None or not isinstance(pic, Image.Image):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    mode_dtype = {"I": np.int32, "I;16": np.int16, "F": np.float32}
    arr = np.array(pic, mode_dtype.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        arr = 255 * arr
    return arr[:, :, None] if arr.ndim == 2 else arr


class Compose:
    """torchlike implementation of :class:`torchvision.transforms.Compose`."""

    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({body}\n)"


class ToTensor:
    """torchlike implementation of :class:`torchvision.transforms.ToTensor`: HxWxC uint8 in
    [0, 255] → CxHxW float32 in [0, 1]."""

    def __call__(self, pic):
        from ... import from_numpy
        arr = _to_numpy_image(pic)
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return from_numpy(chw.astype(np.float32) / np.float32(255))
        return from_numpy(chw)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """torchlike implementation of :class:`torchvision.transforms.PILToTensor` (no scaling)."""

    def __call__(self, pic):
        from ... import from_numpy
        return from_numpy(np.ascontiguousarray(_to_numpy_image(pic).transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Normalize:
    """torchlike implementation of :class:`torchvision.transforms.Normalize`."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace
        self._cache: dict = {}

    def __call__(self, tensor):
        from ... import Tensor, as_tensor
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tensor.size()}")
        key = tensor.dtype
        ms = self._cache.get(key)
        if ms is None:
            mean = as_tensor(self.mean, dtype=tensor.dtype)
            std = as_tensor(self.std, dtype=tensor.dtype)
            if (std == 0).any():
                raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                                 f"leading to division by zero.")
            if mean.ndim == 1:
                mean = mean.view(-1, 1, 1)
            if std.ndim == 1:
                std = std.view(-1, 1, 1)
            ms = self._cache[key] = (mean, std)
        mean, std = ms
        arr = tensor._data
        if not tensor.requires_grad and isinstance(arr, np.ndarray | _jax.Array) and not isinstance(
                arr, _jax.core.Tracer) and arr.dtype in (np.float32, np.float64):
            # Per-sample fast path on the host (one device transfer instead of two jitted ops):
            # the data pipeline runs this once per image.
            out = (np.asarray(arr) - np.asarray(mean._data)) / np.asarray(std._data)
            if self.inplace:
                tensor._set_arr(_jnp.asarray(out))
                return tensor
            return Tensor._wrap(_jnp.asarray(out))
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """torchlike implementation of :class:`torchvision.transforms.Lambda`."""

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


