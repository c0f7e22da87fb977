"""torchlike implementation of torchvision.transforms.

The random transforms draw from torchlike's global RNG (``torch.manual_seed`` makes them
reproducible, and they advance it as torchvision's do) through a numpy generator keyed by the global
generator's state, so that they run without JAX in DataLoader workers and cost no device work.
The values differ from torchvision's (the generators differ).
"""

from __future__ import annotations

import math
import numbers
import warnings

import jax as _jax
import jax.numpy as _jnp
import numpy as np

from ..._tensor import Tensor
from ...utils.data._worker import host_tensor
from . import functional as F
from .functional import InterpolationMode

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "Grayscale",
           "InterpolationMode", "Lambda", "Normalize", "PILToTensor", "Pad", "RandomApply",
           "RandomCrop", "RandomGrayscale", "RandomHorizontalFlip", "RandomResizedCrop",
           "RandomRotation",
           "RandomVerticalFlip", "Resize", "ToPILImage", "ToTensor"]


class _HostRNG:
    """A numpy generator that follows torchlike's default generator (see the module docstring):
    reseeded from its key whenever something else (manual_seed, a random op) changed the key,
    and writing a fresh key back after each draw."""

    key = None
    gen = None


_host_rng = _HostRNG()


def _draw(fn):
    from ..._random import default_generator as g
    if g._key is not _host_rng.key:
        seed = np.asarray(g._key, dtype=np.uint32)
        _host_rng.gen = np.random.Generator(np.random.PCG64(seed.tolist()))
    out = fn(_host_rng.gen)
    _host_rng.key = g._key = _host_rng.gen.integers(0, 1 << 32, 2, dtype=np.uint32)
    return out


def _rand() -> float:
    """``torch.rand(1).item()``."""
    return float(_draw(lambda r: r.random(dtype=np.float32)))


def _uniform(lo: float, hi: float) -> float:
    """``torch.empty(1).uniform_(lo, hi).item()``."""
    return float(_draw(lambda r: r.uniform(lo, hi)))


def _randint(lo: int, hi: int) -> int:
    """``torch.randint(lo, hi, (1,)).item()``."""
    return int(_draw(lambda r: r.integers(lo, hi)))


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
        arr = _to_numpy_image(pic)
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return host_tensor(chw.astype(np.float32) / np.float32(255))
        return host_tensor(chw)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """torchlike implementation of :class:`torchvision.transforms.PILToTensor` (no scaling)."""

    def __call__(self, pic):
        return host_tensor(np.ascontiguousarray(_to_numpy_image(pic).transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Normalize:
    """torchlike implementation of :class:`torchvision.transforms.Normalize`."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace
        self._cache: dict = {}

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tensor.size()}")
        arr = tensor._data
        ms = self._cache.get(arr.dtype)
        if ms is None:  # numpy constants: usable in DataLoader workers, where JAX is off limits
            mean = np.asarray(self.mean, dtype=arr.dtype)
            std = np.asarray(self.std, dtype=arr.dtype)
            if (std == 0).any():
                raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                                 f"leading to division by zero.")
            if mean.ndim == 1:
                mean = mean.reshape(-1, 1, 1)
            if std.ndim == 1:
                std = std.reshape(-1, 1, 1)
            ms = self._cache[arr.dtype] = (mean, std)
        mean, std = ms
        if not tensor.requires_grad and isinstance(arr, np.ndarray | _jax.Array) and not isinstance(
                arr, _jax.core.Tracer) and arr.dtype in (np.float32, np.float64):
            # Per-sample fast path on the host (no jitted op; no device transfer at all for the
            # numpy-backed samples of a DataLoader fetch, see host_tensor).
            out = (np.asarray(arr) - mean) / std
            if self.inplace:
                if isinstance(arr, np.ndarray):
                    tensor._arr = out
                else:
                    tensor._set_arr(_jnp.asarray(out))
                return tensor
            return host_tensor(out)
        mean, std = Tensor._wrap(_jnp.asarray(mean)), Tensor._wrap(_jnp.asarray(std))
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


class _Repr:
    _fields: tuple = ()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)}" for k in self._fields)
        return f"{self.__class__.__name__}({args})"


class Resize(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.Resize` (see
    :func:`functional.resize` for the interpolation modes)."""

    _fields = ("size", "interpolation", "max_size", "antialias")

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias: bool | None = True) -> None:
        if not isinstance(size, (int, list, tuple)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = InterpolationMode(interpolation)

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.CenterCrop`."""

    _fields = ("size",)

    def __init__(self, size) -> None:
        self.size = F._pair(size)

    def __call__(self, img):
        return F.center_crop(img, self.size)


class Pad(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.Pad`."""

    _fields = ("padding", "fill", "padding_mode")

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        F._padding_ltrb(padding)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)


class RandomCrop(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.RandomCrop`."""

    _fields = ("size", "padding")

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant") -> None:
        self.size = F._pair(size)
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = F.get_dimensions(img)
        th, tw = self.size
        if self.pad_if_needed and w < tw:
            img = F.pad(img, [tw - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            img = F.pad(img, [0, th - h], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))


class RandomHorizontalFlip(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.RandomHorizontalFlip`."""

    _fields = ("p",)

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        return F.hflip(img) if _rand() < self.p else img


class RandomVerticalFlip(RandomHorizontalFlip):
    """torchlike implementation of :class:`torchvision.transforms.RandomVerticalFlip`."""

    def __call__(self, img):
        return F.vflip(img) if _rand() < self.p else img


class RandomResizedCrop(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.RandomResizedCrop`."""

    _fields = ("size", "scale", "ratio", "interpolation", "antialias")

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True) -> None:
        self.size = F._pair(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = InterpolationMode(interpolation), antialias

    @staticmethod
    def get_params(img, scale, ratio):
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            w = round(math.sqrt(target_area * aspect))
            h = round(math.sqrt(target_area / aspect))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = width / height  # fallback: the central crop of the closest allowed ratio
        if in_ratio < min(ratio):
            w, h = width, round(width / min(ratio))
        elif in_ratio > max(ratio):
            h, w = height, round(height * max(ratio))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)


class RandomRotation(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.RandomRotation` (NEAREST and
    BILINEAR; no ``expand``)."""

    _fields = ("degrees", "interpolation", "expand", "fill")

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0) -> None:
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = (-degrees, degrees)
        elif len(degrees) != 2:
            raise ValueError("If degrees is a sequence, it must be of len 2.")
        self.degrees = [float(d) for d in degrees]
        self.interpolation, self.expand = InterpolationMode(interpolation), expand
        self.center, self.fill = center, fill

    @staticmethod
    def get_params(degrees) -> float:
        return _uniform(float(degrees[0]), float(degrees[1]))

    def __call__(self, img):
        c = F.get_dimensions(img)[0]
        fill = [float(self.fill)] * c if isinstance(self.fill, numbers.Number) else self.fill
        return F.rotate(img, self.get_params(self.degrees), self.interpolation, self.expand,
                        self.center, fill)


class Grayscale(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.Grayscale`."""

    _fields = ("num_output_channels",)

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)


class RandomGrayscale(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.RandomGrayscale`."""

    _fields = ("p",)

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def __call__(self, img):
        c = F.get_dimensions(img)[0]
        return F.rgb_to_grayscale(img, c) if _rand() < self.p else img


class ColorJitter(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.ColorJitter`."""

    _fields = ("brightness", "contrast", "saturation", "hue")

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        self.brightness = self._range(brightness, "brightness")
        self.contrast = self._range(contrast, "contrast")
        self.saturation = self._range(saturation, "saturation")
        self.hue = self._range(hue, "hue", center=0, bound=(-0.5, 0.5), clip=False)

    @staticmethod
    def _range(value, name, center=1.0, bound=(0, float("inf")), clip=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        return None if value[0] == value[1] == center else tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        order = _draw(lambda r: r.permutation(4)).tolist()
        return (order,) + tuple(None if rng is None else _uniform(rng[0], rng[1])
                                for rng in (brightness, contrast, saturation, hue))

    def __call__(self, img):
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue)
        ops = [(F.adjust_brightness, b), (F.adjust_contrast, c), (F.adjust_saturation, s),
               (F.adjust_hue, h)]
        for k in order:
            fn, factor = ops[k]
            if factor is not None:
                img = fn(img, factor)
        return img


class RandomApply(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.RandomApply`."""

    _fields = ("p",)

    def __init__(self, transforms, p: float = 0.5) -> None:
        self.transforms, self.p = transforms, p

    def __call__(self, img):
        if self.p < _rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img


class ConvertImageDtype(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.ConvertImageDtype`."""

    _fields = ("dtype",)

    def __init__(self, dtype) -> None:
        self.dtype = dtype

    def __call__(self, image):
        return F.convert_image_dtype(image, self.dtype)


class ToPILImage(_Repr):
    """torchlike implementation of :class:`torchvision.transforms.ToPILImage` (needs Pillow)."""

    _fields = ("mode",)

    def __init__(self, mode=None) -> None:
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

