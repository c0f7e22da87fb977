"""torchlike implementation of torchvision.utils: ``make_grid`` and ``save_image``."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["make_grid", "save_image"]


def _host(tensor) -> np.ndarray:
    from .. import Tensor
    if isinstance(tensor, (list, tuple)):
        return np.stack([_host(t) for t in tensor])
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    return np.asarray(tensor.detach()._data)


def _normalize(img: np.ndarray, low: float, high: float) -> np.ndarray:
    img = np.clip(img, low, high)
    return ((img - low) / max(high - low, 1e-5)).astype(img.dtype)


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple | None = None, scale_each: bool = False,
              pad_value: float = 0.0):
    """torchlike implementation of :func:`torchvision.utils.make_grid`: a (B, C, H, W) tensor
    (or a list of (C, H, W) tensors) laid out as one (C, H', W') image, ``nrow`` images a row;
    one-channel images become three-channel, as in torchvision. Not differentiable."""
    import jax.numpy as jnp

    from .. import Tensor
    arr = _host(tensor)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate([arr] * 3, 0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")

        def norm(t):
            if value_range is not None:
                return _normalize(t, *value_range)
            return _normalize(t, float(t.min()), float(t.max()))
        arr = np.stack([norm(t) for t in arr]) if scale_each else norm(arr)
    if arr.shape[0] == 1:
        return Tensor._wrap(jnp.asarray(arr[0]))
    n, c, h, w = arr.shape
    xmaps = min(nrow, n)
    ymaps = math.ceil(n / xmaps)
    height, width = h + padding, w + padding
    grid = np.full((c, height * ymaps + padding, width * xmaps + padding), pad_value, arr.dtype)
    for k in range(n):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = arr[k]
    return Tensor._wrap(jnp.asarray(grid))


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:
    """torchlike implementation of :func:`torchvision.utils.save_image` (needs Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        raise ModuleNotFoundError(
            "torchlike.vision.utils.save_image needs Pillow to write image files: install it "
            "(pip install pillow, or the 'vision' extra of torchlike)", name="PIL") from None
    grid = np.asarray(make_grid(tensor, **kwargs)._data)
    img = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(img).save(fp, format=format)
