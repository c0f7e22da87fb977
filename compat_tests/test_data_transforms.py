"""torchlike.vision.transforms on tensors and numpy images: geometric transforms against torch's
own kernels (torchvision's tensor Resize is ``torch.nn.functional.interpolate``), colour transforms
against torchvision's formulas, the random transforms' seeding, and their use in DataLoader
workers."""

import colorsys

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import torchlike
import torchlike.vision as tv
import torchlike.vision.transforms as T
import torchlike.vision.transforms.functional as F

pytestmark = pytest.mark.filterwarnings(r"ignore:os\.fork\(\) was called:RuntimeWarning")

RNG = np.random.default_rng(0)
IMG = RNG.random((3, 13, 17)).astype(np.float32)
BATCH = RNG.random((2, 3, 9, 7)).astype(np.float32)


def _t(a):
    return torchlike.tensor(a)


@pytest.mark.parametrize("img", [IMG, BATCH], ids=["chw", "bchw"])
@pytest.mark.parametrize("size,mode,aa", [
    ((6, 8), "bilinear", True), ((6, 8), "bilinear", False), ((20, 31), "bilinear", True),
    ((13, 5), "bilinear", True), ((6, 8), "nearest", True), ((20, 31), "nearest", True),
    ((6, 8), "nearest-exact", True), ((30, 9), "nearest-exact", True)])
def test_resize_matches_interpolate(img, size, mode, aa):
    got = F.resize(_t(img), size, F.InterpolationMode(mode), antialias=aa)
    x = torch.tensor(img)
    x4 = x if x.ndim == 4 else x[None]
    kw = {"antialias": aa, "align_corners": False} if mode == "bilinear" else {}
    want = TF.interpolate(x4, size=size, mode=mode, **kw)
    want = want if x.ndim == 4 else want[0]
    assert got.dtype == torchlike.float32 and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=2e-6)


def test_resize_sizes_and_uint8():
    x = _t(IMG)
    assert tuple(T.Resize(8)(x).shape) == (3, 8, 10)  # the smaller edge becomes 8
    assert tuple(T.Resize([8])(_t(IMG.transpose(0, 2, 1))).shape) == (3, 10, 8)
    assert tuple(T.Resize(8, max_size=9)(x).shape) == (3, 7, 9)
    with pytest.raises(ValueError, match="max_size = 8 must be strictly greater"):
        T.Resize(8, max_size=8)(x)
    with pytest.raises(NotImplementedError, match="BICUBIC is not supported"):
        T.Resize(8, interpolation=T.InterpolationMode.BICUBIC)(x)
    u8 = (IMG * 255).astype(np.uint8)
    got = T.Resize((6, 8))(_t(u8))
    want = TF.interpolate(torch.tensor(u8)[None], size=(6, 8), mode="bilinear", antialias=True)[0]
    assert got.dtype == torchlike.uint8
    assert np.abs(got.numpy().astype(int) - want.numpy().astype(int)).max() <= 1
    hwc = np.ascontiguousarray(u8.transpose(1, 2, 0))  # numpy images stay numpy HxWxC
    out = T.Resize((6, 8))(hwc)
    assert isinstance(out, np.ndarray) and out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out, got.numpy().transpose(1, 2, 0))
    assert F.resize(hwc[:, :, 0], [4, 4]).shape == (4, 4)


def test_flips_crops_and_pads_match_torch():
    x, tx = _t(IMG), torch.tensor(IMG)

    def same(a, b):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    same(F.hflip(x), tx.flip(-1))
    same(F.vflip(x), tx.flip(-2))
    same(T.RandomHorizontalFlip(p=1.0)(x), tx.flip(-1))
    same(T.RandomVerticalFlip(p=0.0)(x), tx)
    same(F.crop(x, 2, 3, 5, 4), tx[:, 2:7, 3:7])
    # outside the image: zero padding, as torchvision
    same(F.crop(x, -1, 15, 3, 4), TF.pad(tx, (0, 2, 1, 0))[:, 0:3, 15:19])
    h, w = 13, 17
    for th, tw in ((5, 4), (6, 6), (13, 17)):
        top, left = round((h - th) / 2.0), round((w - tw) / 2.0)
        same(T.CenterCrop((th, tw))(x), tx[:, top:top + th, left:left + tw])
    same(T.CenterCrop((16, 10))(x), TF.pad(tx, (0, 0, 1, 2))[:, :, 4:14])
    for mode, tmode in (("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")):
        same(T.Pad([1, 2, 3, 4], padding_mode=mode)(x), TF.pad(tx, (1, 3, 2, 4), mode=tmode))
        same(T.Pad(2, padding_mode=mode)(x), TF.pad(tx, (2, 2, 2, 2), mode=tmode))
    same(T.Pad((1, 2), fill=5)(x), TF.pad(tx, (1, 1, 2, 2), value=5.0))
    same(T.Pad([1, -2, 0, 1])(x), TF.pad(tx, (1, 0, -2, 1)))
    sym = T.Pad(2, padding_mode="symmetric")(x).numpy()
    np.testing.assert_array_equal(sym, np.pad(IMG, ((0, 0), (2, 2), (2, 2)), mode="symmetric"))
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple"):
        T.Pad([1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode should be either constant"):
        T.Pad(1, padding_mode="wrap")


def _gray_ref(x):
    return (0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]


def test_colour_adjustments_follow_torchvision_formulas():
    tx = torch.tensor(IMG)
    got = F.adjust_brightness(_t(IMG), 1.7).numpy()
    np.testing.assert_allclose(got, (1.7 * tx).clamp(0, 1).numpy(), rtol=1e-6)
    mean = _gray_ref(tx).mean()
    got = F.adjust_contrast(_t(IMG), 0.6).numpy()
    np.testing.assert_allclose(got, (0.6 * tx + 0.4 * mean).clamp(0, 1).numpy(), rtol=1e-5)
    got = F.adjust_saturation(_t(IMG), 1.8).numpy()
    np.testing.assert_allclose(got, (1.8 * tx + (1 - 1.8) * _gray_ref(tx)).clamp(0, 1).numpy(),
                               rtol=1e-5, atol=1e-6)
    gray = T.Grayscale(3)(_t(IMG))
    assert tuple(gray.shape) == (3, 13, 17)
    np.testing.assert_allclose(gray.numpy()[1], _gray_ref(tx)[0].numpy(), rtol=1e-6)
    got = F.adjust_hue(_t(IMG), 0.2).numpy()
    px = IMG.reshape(3, -1).T
    want = []
    for r, g, b in px:
        hh, s, v = colorsys.rgb_to_hsv(r, g, b)
        want.append(colorsys.hsv_to_rgb((hh + 0.2) % 1.0, s, v))
    np.testing.assert_allclose(got.reshape(3, -1).T, np.array(want), atol=1e-5)
    u8 = (IMG * 255).astype(np.uint8)  # integer images: computed in float, truncated
    got = F.adjust_brightness(_t(u8), 1.3).numpy()
    np.testing.assert_array_equal(got, (torch.tensor(u8) * 1.3).clamp(0, 255).to(torch.uint8))
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(_t(IMG), 0.7)


def test_convert_image_dtype():
    u8 = torchlike.tensor([[[0, 1, 128, 255]]], dtype=torchlike.uint8)
    f = T.ConvertImageDtype(torchlike.float32)(u8)
    np.testing.assert_allclose(f.numpy(), np.array([[[0, 1, 128, 255]]]) / 255, rtol=1e-6)
    back = T.ConvertImageDtype(torchlike.uint8)(f)
    assert back.dtype == torchlike.uint8 and back.tolist() == u8.tolist()
    i16 = F.convert_image_dtype(u8, torchlike.int16)
    assert i16.tolist() == [[[0, 128, 128 * 128, 255 * 128]]]
    assert F.convert_image_dtype(i16, torchlike.uint8).tolist() == u8.tolist()
    with pytest.raises(RuntimeError, match="The cast from torch.float32 to torch.int32 cannot be "
                                           "performed safely."):
        F.convert_image_dtype(f, torchlike.int32)


def test_random_transforms_seeded_by_manual_seed():
    pipeline = T.Compose([T.RandomCrop(8, padding=2), T.RandomHorizontalFlip(),
                          T.ColorJitter(0.3, 0.3, 0.3, 0.05), T.RandomResizedCrop(6),
                          T.RandomApply([T.Grayscale(3)], p=0.5)])
    x = _t(IMG)
    runs = []
    for _ in range(2):
        torchlike.manual_seed(5)
        runs.append([pipeline(x).numpy() for _ in range(4)] + [torchlike.rand(2).numpy()])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(runs[0][0], runs[0][1])
    torchlike.manual_seed(5)
    plain = torchlike.rand(2).numpy()
    torchlike.manual_seed(5)
    T.RandomHorizontalFlip()(x)
    assert not np.array_equal(torchlike.rand(2).numpy(), plain)  # draws advance the global RNG
    torchlike.manual_seed(0)
    flips = sum(bool((T.RandomHorizontalFlip(0.3)(x) != x).any()) for _ in range(400))
    assert 80 < flips < 160
    padded = np.pad(IMG, ((0, 0), (2, 2), (2, 2)))
    crop = T.RandomCrop((5, 6), padding=2)(x).numpy()
    assert any(np.array_equal(crop, padded[:, i:i + 5, j:j + 6])
               for i in range(13) for j in range(16))
    for _ in range(20):
        i, j, h, w = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i <= 13 - h and 0 <= j <= 17 - w and h * w <= 13 * 17
    with pytest.raises(ValueError, match=r"Required crop size \(20, 20\) is larger than input"):
        T.RandomCrop(20)(x)


def test_random_transforms_in_workers():
    tf = T.Compose([T.RandomCrop(6, padding=1), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize((0.5,) * 3, (0.25,) * 3)])
    ds = tv.datasets.FakeData(size=12, image_size=(3, 8, 8), transform=tf)
    runs = []
    for _ in range(2):
        torchlike.manual_seed(1)
        runs.append([(x.numpy(), y.tolist()) for x, y in
                     torchlike.utils.data.DataLoader(ds, batch_size=4, num_workers=2)])
    assert len(runs[0]) == 3 and runs[0][0][0].shape == (4, 3, 6, 6)
    for (a, ya), (b, yb) in zip(*runs):
        np.testing.assert_array_equal(a, b)
        assert ya == yb


def test_refusals():
    x = torchlike.rand(3, 4, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="works on data, not on tensors that require grad"):
        T.RandomHorizontalFlip(1.0)(x)
    with pytest.raises(TypeError, match="img should be PIL Image or Tensor"):
        F.hflip([1, 2])
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non neg"):
        T.ColorJitter(brightness=-1)


@pytest.mark.skipif(not F._pil(), reason="Pillow not installed")
def test_pil_images_stay_pil():
    from PIL import Image
    u8 = (IMG * 255).astype(np.uint8).transpose(1, 2, 0).copy()
    pil = Image.fromarray(u8)
    for tf in (T.Resize((6, 8)), T.CenterCrop(5), T.Pad(2), T.RandomCrop(7),
               T.RandomHorizontalFlip(1.0), T.ColorJitter(0.3, 0.3, 0.3, 0.1), T.Grayscale(),
               T.RandomResizedCrop(5)):
        torchlike.manual_seed(0)
        out = tf(pil)
        torchlike.manual_seed(0)
        ref = tf(u8)  # the same transform on the numpy image (same draws)
        assert isinstance(out, Image.Image)
        np.testing.assert_array_equal(np.asarray(out), ref[:, :, 0] if ref.shape[2] == 1 else ref)
    ours = np.asarray(T.Resize((6, 8))(pil)).astype(int)
    theirs = np.asarray(pil.resize((8, 6), Image.BILINEAR)).astype(int)
    assert np.abs(ours - theirs).max() <= 1  # PIL's fixed-point arithmetic vs float
    np.testing.assert_allclose(T.ToTensor()(pil).numpy(), u8.transpose(2, 0, 1) / np.float32(255))


def _torchvision_rotate(x, angle, mode, fill=None):
    """What torchvision's tensor rotate computes: the inverse rotation as an affine grid over
    output pixel centres, torch's grid_sample (zeros padding), then the fill mask."""
    c, h, w = x.shape
    r = np.radians(-angle)
    inv = torch.tensor([[np.cos(r), np.sin(r), 0.0], [-np.sin(r), np.cos(r), 0.0]],
                       dtype=torch.float32)[None]
    base = torch.empty(1, h, w, 3)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h).unsqueeze_(-1))
    base[..., 2].fill_(1)
    grid = base.view(1, h * w, 3).bmm(inv.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h]))
    img = torch.cat([torch.tensor(x), torch.ones(1, h, w)])[None]
    out = TF.grid_sample(img, grid.view(1, h, w, 2), mode=mode, padding_mode="zeros",
                         align_corners=False)[0]
    if fill is None:
        return out[:c]
    mask, out = out[c:], out[:c]
    fill = torch.tensor(fill, dtype=torch.float32).view(-1, 1, 1)
    if mode == "nearest":
        return torch.where(mask < 0.5, fill, out)
    return out * mask + (1.0 - mask) * fill


@pytest.mark.parametrize("shape", [(3, 9, 11), (1, 8, 8), (2, 13, 6)])
@pytest.mark.parametrize("angle", [30.0, -45.0, 90.0, 10.5, 120.0])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_rotate_matches_grid_sample(shape, angle, mode):
    x = RNG.random(shape).astype(np.float32)
    got = F.rotate(_t(x), angle, F.InterpolationMode(mode))
    np.testing.assert_allclose(got.numpy(), _torchvision_rotate(x, angle, mode).numpy(),
                               atol=2e-6)
    fill = [0.25] * shape[0]
    got = F.rotate(_t(x), angle, F.InterpolationMode(mode), fill=fill)
    np.testing.assert_allclose(got.numpy(), _torchvision_rotate(x, angle, mode, fill).numpy(),
                               atol=2e-6)


def test_random_rotation():
    x = _t(IMG[:, :9, :9])
    for k in (1, 2, 3):  # quarter turns are exact
        np.testing.assert_array_equal(F.rotate(x, 90.0 * k).numpy(),
                                      np.rot90(IMG[:, :9, :9], k, axes=(1, 2)))
    torchlike.manual_seed(2)
    a = T.RandomRotation(20)(x)
    torchlike.manual_seed(2)
    assert torchlike.equal(T.RandomRotation((-20, 20))(x), a)
    assert -20 <= T.RandomRotation.get_params([-20.0, 20.0]) <= 20
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)
    with pytest.raises(NotImplementedError, match="expand=True"):
        T.RandomRotation(3, expand=True)(x)
