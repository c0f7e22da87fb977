"""torch.fft against torch: values, dtypes, shapes and gradients of every transform, the
normalisation modes, sizes/dims, the shifts and frequency helpers, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check, check_error, check_same, rand_default, rand_int

R34 = rand_default(3, 4)
R245 = rand_default(2, 4, 5)
C34 = (rand_default(3, 4) + 1j * rand_default(3, 4)).astype(np.complex64)

# NOTE: outputs go through ``resolve_conj()``: torch's C2C transforms of real inputs can return a
# tensor with the conjugate bit set, which ``helpers`` cannot convert to numpy.

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fft2", "ifft2", "fftn", "ifftn", "rfft2", "rfftn", "irfft2", "irfftn", "hfft2", "hfftn",
       "ihfft2", "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "rfftn", "ihfft2", "ihfftn"}

CASES = [
    ("f64", R34.astype(np.float64), {"norm": "backward"}),
    ("n_pad", R34, {"n": 6}),
    ("n_trim", R34, {"n": 3}),
    ("dim0", R34, {"dim": 0, "norm": None}),
]


@pytest.mark.parametrize("norm", ["forward", "ortho"])
@pytest.mark.parametrize("name", ONE_D)
def test_one_d_norms(name, norm):
    check(lambda t, x: getattr(t.fft, name)(x, norm=norm).resolve_conj(), [R245])


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("name", ONE_D)
def test_one_d_sizes(name, case):
    _, x, kw = case
    check(lambda t, a: getattr(t.fft, name)(a, **kw).resolve_conj(), [x])


@pytest.mark.parametrize("name", [n for n in ONE_D if n not in REAL_ONLY])
def test_one_d_complex_input(name):
    check(lambda t, x: getattr(t.fft, name)(x * 1).resolve_conj(), [C34])


def test_int_input_computes_in_default_float():
    check(lambda t, x: t.fft.fft(x).resolve_conj(), [rand_int(6)], grad=False)
    check(lambda t, x: t.fft.rfft(x), [rand_int(6)], grad=False)


ND_KW = [{}, {"s": (3, 6), "norm": "ortho"}, {"s": (2, 4), "dim": (0, 1), "norm": "forward"}]


@pytest.mark.parametrize("kw", ND_KW, ids=[str(k) for k in ND_KW])
@pytest.mark.parametrize("name", N_D)
def test_n_d(name, kw):
    check(lambda t, x: getattr(t.fft, name)(x, **kw).resolve_conj(), [R245])


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("dim", [None, 0, (1, 2), -1])
def test_shifts(name, dim):
    check(lambda t, x: getattr(t.fft, name)(x, dim=dim), [R245])


@pytest.mark.parametrize("n,d", [(1, 1.0), (5, 1.0), (8, 0.1), (0, 1.0)])
def test_frequencies(n, d):
    check_same(lambda t: t.fft.fftfreq(n, d))
    check_same(lambda t: t.fft.rfftfreq(n, d))
    check_same(lambda t: t.fft.fftfreq(n, d, dtype=t.float64))


def test_grad_fn_name():
    import torchlike
    x = torchlike.ones(4, requires_grad=True)
    assert torchlike.fft.rfft(x).grad_fn.name() == "FftR2CBackward0"
    assert torchlike.fft.fft(x).grad_fn.name() == "FftC2CBackward0"


def test_errors():
    check_error(lambda t, x: t.fft.rfft(x), [C34])
    check_error(lambda t, x: t.fft.fft(x, norm="bogus"), [R34])
    check_error(lambda t, x: t.fft.fft(x, dim=3), [R34])
    check_error(lambda t, x: t.fft.fft(x, n=0), [R34])
    check_error(lambda t, x: t.fft.fftn(x, s=(2,), dim=(0, 1)), [R34])
