"""torchlike implementation of torchvision.transforms.functional.

Every function takes a Tensor image (..., C, H, W), a PIL image (with Pillow installed) or an HxW /
HxWxC numpy array (what torchlike's datasets return in place of a PIL image when Pillow is
missing), and returns the same kind. The work is done on the host with numpy, so it runs in
DataLoader workers (no JAX) and costs no per-sample device transfer; a result tensor is a device
array outside a DataLoader fetch. Tensors that require grad are refused (the transforms are not
differentiable here).
"""

from __future__ import annotations

import enum
import math
import numbers

import numpy as np

from ...utils.data._worker import host_tensor

__all__ = ["InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_hue",
           "adjust_saturation", "center_crop", "convert_image_dtype", "crop", "get_dimensions",
           "hflip", "normalize", "pad", "resize", "resized_crop", "rgb_to_grayscale", "rotate",
           "to_pil_image", "to_tensor", "vflip"]


class InterpolationMode(enum.Enum):
    """torchlike implementation of :class:`torchvision.transforms.InterpolationMode`."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _pil():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _need_pil(what: str):
    Image = _pil()
    if Image is None:
        raise ModuleNotFoundError(f"{what} needs Pillow: install it (pip install pillow, or the "
                                  f"'vision' extra of torchlike)", name="PIL")
    return Image


class _Img:
    """An image as a (..., C, H, W) numpy array, and how to give it back in its own kind."""

    def __init__(self, img, what: str = "transform") -> None:
        from ... import Tensor
        self.kind = None
        if isinstance(img, Tensor):
            if img.requires_grad:
                raise RuntimeError(f"torchlike.vision.transforms: {what} works on data, not on "
                                   f"tensors that require grad")
            self.kind, self.arr = "tensor", np.asarray(img._data)
            if self.arr.ndim < 2:
                raise TypeError(f"Tensor is not a torch image: expected at least 2 dimensions, "
                                f"got {self.arr.ndim}")
            if self.arr.ndim == 2:
                self.arr, self.kind = self.arr[None], "tensor2d"
            return
        if isinstance(img, np.ndarray):
            self.kind = "ndarray"
        else:
            Image = _pil()
            if Image is None or not isinstance(img, Image.Image):
                raise TypeError(f"img should be PIL Image or Tensor (or a numpy HxW(xC) array). "
                                f"Got {type(img)}")
            self.kind = "pil"
            img = np.asarray(img)
        if img.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {img.ndim} dimensions.")
        self.hw = img.ndim == 2
        self.arr = (img[:, :, None] if self.hw else img).transpose(2, 0, 1)

    def back(self, arr: np.ndarray):
        if self.kind == "tensor":
            return host_tensor(np.ascontiguousarray(arr))
        if self.kind == "tensor2d":
            return host_tensor(np.ascontiguousarray(arr[0]))
        hwc = np.ascontiguousarray(arr.transpose(1, 2, 0))
        if self.kind == "pil":  # one channel → mode "L", three → "RGB"
            return _pil().fromarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc)
        return hwc[:, :, 0] if self.hw else hwc


def get_dimensions(img) -> list:
    """[channels, height, width] of ``img``."""
    c, h, w = _Img(img).arr.shape[-3:]
    return [c, h, w]


def _max_value(dtype) -> float:
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def _cast_like(out: np.ndarray, dtype) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.round(out), info.min, info.max).astype(dtype)
    return out.astype(dtype)


def hflip(img):
    """torchlike implementation of :func:`torchvision.transforms.functional.hflip`."""
    im = _Img(img)
    return im.back(im.arr[..., ::-1])


def vflip(img):
    """torchlike implementation of :func:`torchvision.transforms.functional.vflip`."""
    im = _Img(img)
    return im.back(im.arr[..., ::-1, :])


def _padding_ltrb(padding) -> list:
    if isinstance(padding, numbers.Number):
        if not isinstance(padding, int):
            raise TypeError("Got inappropriate padding arg")
        return [padding] * 4
    padding = list(padding)
    if len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return padding


def _pad(arr: np.ndarray, ltrb, fill=0, padding_mode: str = "constant") -> np.ndarray:
    modes = {"constant": "constant", "edge": "edge", "reflect": "reflect",
             "symmetric": "symmetric"}
    if padding_mode not in modes:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = ltrb
    width = [(0, 0)] * (arr.ndim - 2) + [(max(top, 0), max(bottom, 0)),
                                         (max(left, 0), max(right, 0))]
    kw = {}
    if padding_mode == "constant":
        if not isinstance(fill, numbers.Number):
            raise TypeError("torchlike.vision.transforms: pad's fill must be a number")
        kw["constant_values"] = fill
    out = np.pad(arr, width, mode=modes[padding_mode], **kw)
    h, w = out.shape[-2:]  # negative padding crops
    return out[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """torchlike implementation of :func:`torchvision.transforms.functional.pad` (numeric
    ``fill`` only)."""
    im = _Img(img)
    return im.back(_pad(im.arr, _padding_ltrb(padding), fill, padding_mode))


def _crop(arr: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    h, w = arr.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:  # zero padding outside, as torchvision
        arr = _pad(arr, [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)])
        top, left = max(top, 0), max(left, 0)
    return arr[..., top:top + height, left:left + width]


def crop(img, top: int, left: int, height: int, width: int):
    """torchlike implementation of :func:`torchvision.transforms.functional.crop`."""
    im = _Img(img)
    return im.back(_crop(im.arr, top, left, height, width))


def _pair(size, name: str = "size") -> tuple:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    size = tuple(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {name}.")
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    """torchlike implementation of :func:`torchvision.transforms.functional.center_crop`."""
    im = _Img(img)
    th, tw = _pair(output_size, "size")
    h, w = im.arr.shape[-2:]
    top, left = round((h - th) / 2.0), round((w - tw) / 2.0)
    if th > h or tw > w:
        top, left = -((th - h) // 2) if th > h else top, -((tw - w) // 2) if tw > w else left
    return im.back(_crop(im.arr, top, left, th, tw))


def _resized_hw(h: int, w: int, size, max_size) -> tuple:
    if isinstance(size, numbers.Number) or len(size) == 1:
        requested = int(size) if isinstance(size, numbers.Number) else int(size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 in "
                         "torchscript mode.")
    return int(size[0]), int(size[1])


def _weights(n_in: int, n_out: int, mode: InterpolationMode, antialias: bool) -> np.ndarray:
    """The (n_out, n_in) resampling matrix of one axis (half-pixel centres, as torch)."""
    scale = n_in / n_out
    out = np.arange(n_out, dtype=np.float64)
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        src = np.floor((out + (0.5 if mode is InterpolationMode.NEAREST_EXACT else 0.0)) * scale)
        m = np.zeros((n_out, n_in))
        m[np.arange(n_out), np.minimum(src.astype(np.int64), n_in - 1)] = 1.0
        return m
    # Bilinear as a triangle filter, widened by the scale when downsampling with antialias
    # (PIL's and torch's antialiased kernel); weights over valid pixels are renormalised, which
    # at the borders equals torch's index clamping.
    support = scale if antialias and scale > 1 else 1.0
    centre = (out + 0.5) * scale
    x = (np.arange(n_in)[None, :] + 0.5 - centre[:, None]) / support
    m = np.maximum(0.0, 1.0 - np.abs(x))
    return m / m.sum(1, keepdims=True)


def _resize(arr: np.ndarray, h: int, w: int, interpolation, antialias) -> np.ndarray:
    if isinstance(interpolation, int):
        raise TypeError("torchlike.vision.transforms: pass interpolation as an InterpolationMode")
    interpolation = InterpolationMode(interpolation)
    ok = (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT, InterpolationMode.BILINEAR)
    if interpolation not in ok:
        raise NotImplementedError(f"torchlike.vision.transforms: interpolation={interpolation} is "
                                  f"not supported (NEAREST, NEAREST_EXACT and BILINEAR are)")
    ih, iw = arr.shape[-2:]
    if (ih, iw) == (h, w):
        return arr
    aa = True if antialias is None else bool(antialias)
    wh = _weights(ih, h, interpolation, aa).astype(np.float32)
    ww = _weights(iw, w, interpolation, aa).astype(np.float32)
    out = np.matmul(np.matmul(wh, arr.astype(np.float32)), ww.T)
    return _cast_like(out, arr.dtype)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
           antialias: bool | None = True):
    """torchlike implementation of :func:`torchvision.transforms.functional.resize` (NEAREST,
    NEAREST_EXACT, BILINEAR; PIL images are resampled by the same kernel, not by PIL)."""
    im = _Img(img)
    h, w = _resized_hw(*im.arr.shape[-2:], size, max_size)
    return im.back(_resize(im.arr, h, w, interpolation, antialias))


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    """torchlike implementation of :func:`torchvision.transforms.functional.resized_crop`."""
    im = _Img(img)
    h, w = _pair(size)
    return im.back(_resize(_crop(im.arr, top, left, height, width), h, w, interpolation,
                           antialias))


def _inverse_rotation(center, angle: float) -> list:
    """The output → input pixel map of a rotation by ``angle`` degrees (counter-clockwise)
    about ``center`` (relative to the image centre), as a 2x3 matrix."""
    rot = math.radians(-angle)
    cx, cy = center
    a, b, c, d = math.cos(rot), -math.sin(rot), math.sin(rot), math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    return m


def _sample(arr: np.ndarray, xs: np.ndarray, ys: np.ndarray, mode: InterpolationMode, fill):
    """``arr`` (..., C, H, W) read at pixel coordinates (xs, ys) (each (H', W')); outside the
    image the value is ``fill`` (zero padding, as grid_sample then torchvision's fill mask)."""
    h, w = arr.shape[-2:]
    src = arr.astype(np.float32)
    if mode is InterpolationMode.NEAREST:
        xi, yi = np.rint(xs).astype(np.int64), np.rint(ys).astype(np.int64)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out = src[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * inside
        mask = inside.astype(np.float32)
    else:
        x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
        out, mask = 0.0, 0.0
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - np.abs(xs - xi)) * (1 - np.abs(ys - yi))
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            wgt = (wgt * inside).astype(np.float32)
            out = out + src[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * wgt
            mask = mask + wgt
    if fill is not None:  # torchvision's fill mask (also for fill=0)
        fill_arr = np.asarray(fill, np.float32).reshape(-1, 1, 1)
        if mode is InterpolationMode.NEAREST:
            out = np.where(mask < 0.5, fill_arr, out)
        else:
            out = out * mask + (1.0 - mask) * fill_arr
    return _cast_like(out, arr.dtype)


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """torchlike implementation of :func:`torchvision.transforms.functional.rotate` (NEAREST and
    BILINEAR; ``expand=True`` is not supported)."""
    if expand:
        raise NotImplementedError("torchlike.vision.transforms: rotate(expand=True) is not "
                                  "supported")
    mode = InterpolationMode(interpolation)
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise NotImplementedError(f"torchlike.vision.transforms: rotate with interpolation="
                                  f"{mode} is not supported (NEAREST and BILINEAR are)")
    im = _Img(img)
    h, w = im.arr.shape[-2:]
    c = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    m = np.array(_inverse_rotation(c, angle), np.float32).reshape(2, 3)
    # NOTE: float32 and torchvision's order of operations (output pixel centres → normalised
    # grid → grid_sample's pixel coordinates), so that NEAREST breaks the same ties.
    m = m / np.array([[0.5 * w], [0.5 * h]], np.float32)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32) - np.float32(w * 0.5 - 0.5),
                         np.arange(h, dtype=np.float32) - np.float32(h * 0.5 - 0.5))
    one = np.float32(1)
    xs = ((m[0, 0] * gx + m[0, 1] * gy + m[0, 2] + one) * w - one) / np.float32(2)
    ys = ((m[1, 0] * gx + m[1, 1] * gy + m[1, 2] + one) * h - one) / np.float32(2)
    return im.back(_sample(im.arr, xs, ys, mode, fill))


def _gray(arr: np.ndarray) -> np.ndarray:
    if arr.shape[-3] == 1:
        return arr
    if arr.shape[-3] != 3:
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found "
                        f"{arr.shape[-3]}")
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    gray = (0.2989 * r.astype(np.float32) + 0.587 * g + 0.114 * b).astype(arr.dtype)
    return gray[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """torchlike implementation of :func:`torchvision.transforms.functional.rgb_to_grayscale`."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    im = _Img(img)
    g = _gray(im.arr)
    if num_output_channels == 3:
        g = np.broadcast_to(g, g.shape[:-3] + (3,) + g.shape[-2:])
    return im.back(g)


def _blend(a: np.ndarray, b, ratio: float) -> np.ndarray:
    bound = _max_value(a.dtype)
    out = np.clip(ratio * a.astype(np.float32) + (1.0 - ratio) * b, 0, bound)
    return out.astype(a.dtype)  # NOTE: truncates for integer images, as torchvision's .to(dtype)


def _check_factor(name: str, factor: float) -> None:
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(img, brightness_factor: float):
    """torchlike implementation of :func:`torchvision.transforms.functional.adjust_brightness`."""
    _check_factor("brightness_factor", brightness_factor)
    im = _Img(img)
    return im.back(_blend(im.arr, 0.0, brightness_factor))


def adjust_contrast(img, contrast_factor: float):
    """torchlike implementation of :func:`torchvision.transforms.functional.adjust_contrast`."""
    _check_factor("contrast_factor", contrast_factor)
    im = _Img(img)
    gray = _gray(im.arr) if im.arr.shape[-3] == 3 else im.arr
    mean = gray.astype(np.float32).mean(axis=(-3, -2, -1), keepdims=True)
    return im.back(_blend(im.arr, mean, contrast_factor))


def adjust_saturation(img, saturation_factor: float):
    """torchlike implementation of :func:`torchvision.transforms.functional.adjust_saturation`."""
    _check_factor("saturation_factor", saturation_factor)
    im = _Img(img)
    if im.arr.shape[-3] == 1:
        return im.back(im.arr)
    return im.back(_blend(im.arr, _gray(im.arr).astype(np.float32), saturation_factor))


def adjust_hue(img, hue_factor: float):
    """torchlike implementation of :func:`torchvision.transforms.functional.adjust_hue`."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    im = _Img(img)
    arr = im.arr
    if arr.shape[-3] == 1:
        return im.back(arr)
    bound = _max_value(arr.dtype)
    x = arr.astype(np.float32) / np.float32(bound)
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(-3), x.min(-3)
    v, delta = maxc, maxc - minc
    s = delta / np.where(maxc == 0, 1, maxc)
    d = np.where(delta == 0, 1, delta)
    rc, gc, bc = (maxc - r) / d, (maxc - g) / d, (maxc - b) / d
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(delta == 0, 0.0, h)
    h = ((h / 6.0) % 1.0 + hue_factor) % 1.0
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.astype(np.int64) % 6
    sel = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.stack([np.choose(i, [c[k] for c in sel]) for k in range(3)], axis=-3)
    return im.back(_cast_like(out * bound, arr.dtype) if bound != 1.0
                   else out.astype(arr.dtype))


def convert_image_dtype(image, dtype):
    """torchlike implementation of :func:`torchvision.transforms.functional.convert_image_dtype`."""
    from ... import Tensor
    from ..._dtype import to_dtype
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    src = np.asarray(image._data)
    dt = to_dtype(dtype)
    out_np = np.dtype(dt.np)
    if src.dtype == out_np:
        return image
    src_float = np.issubdtype(src.dtype, np.floating)
    if src_float and np.issubdtype(out_np, np.floating):
        return host_tensor(src.astype(out_np))
    if src_float:
        if (src.dtype == np.float32 and out_np in (np.int32, np.int64)) or (
                src.dtype == np.float64 and out_np == np.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dt} cannot be performed safely.")
        eps = 1e-3
        return host_tensor((src * (np.iinfo(out_np).max + 1.0 - eps)).astype(out_np))
    in_max = int(np.iinfo(src.dtype).max)
    if np.issubdtype(out_np, np.floating):
        return host_tensor((src.astype(out_np) / out_np.type(in_max)).astype(out_np))
    out_max = int(np.iinfo(out_np).max)
    if in_max > out_max:
        return host_tensor((src // ((in_max + 1) // (out_max + 1))).astype(out_np))
    return host_tensor(src.astype(out_np) * ((out_max + 1) // (in_max + 1)))


def to_tensor(pic):
    """torchlike implementation of :func:`torchvision.transforms.functional.to_tensor`."""
    from .transforms import ToTensor
    return ToTensor()(pic)


def normalize(tensor, mean, std, inplace: bool = False):
    """torchlike implementation of :func:`torchvision.transforms.functional.normalize`."""
    from .transforms import Normalize
    return Normalize(mean, std, inplace)(tensor)


def to_pil_image(pic, mode=None):
    """torchlike implementation of :func:`torchvision.transforms.functional.to_pil_image` (needs
    Pillow)."""
    from ... import Tensor
    Image = _need_pil("to_pil_image")
    if isinstance(pic, Tensor):
        arr = np.asarray(pic.detach()._data)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
        if np.issubdtype(arr.dtype, np.floating) and mode != "F":
            arr = (arr * 255).astype(np.int64).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    else:
        arr = np.asarray(pic)
        if arr.ndim == 2:
            arr = arr[:, :, None]
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    return Image.fromarray(np.ascontiguousarray(arr), mode=mode)
