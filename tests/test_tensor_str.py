"""torchlike._tensor_str against real torch 2.13: format_tensor must equal repr(torch_tensor)."""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

try:
    from torchlike._tensor_str import (
        format_scalar,
        format_tensor,
        get_printoptions,
        set_printoptions,
    )
except Exception:  # noqa: BLE001  # the package may not import (yet): load the file on its own
    _path = pathlib.Path(__file__).resolve().parents[1] / "torchlike" / "_tensor_str.py"
    _spec = importlib.util.spec_from_file_location("_torchlike_tensor_str_standalone", _path)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _module  # dataclasses look the module up while it executes
    _spec.loader.exec_module(_module)
    format_scalar = _module.format_scalar
    format_tensor = _module.format_tensor
    get_printoptions = _module.get_printoptions
    set_printoptions = _module.set_printoptions


def ours(t: torch.Tensor, **kwargs: object) -> str:
    """format_tensor fed from a torch tensor, the way torchlike will feed it from JAX."""
    base = t.detach().resolve_conj().resolve_neg()
    values = base.float().numpy() if base.dtype == torch.bfloat16 else base.numpy()
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    kwargs.setdefault("default_dtype_name", str(torch.get_default_dtype())[6:])
    return format_tensor(values, str(t.dtype)[6:], grad_fn_name=grad_fn,
                         requires_grad=t.requires_grad, **kwargs)  # type: ignore[arg-type]


def check(t: torch.Tensor) -> None:
    assert ours(t) == repr(t)


@pytest.fixture
def both_printoptions():
    """Apply the same options to torch and to torchlike; restore both afterwards."""
    saved_torch = dict(torch._tensor_str.get_printoptions())
    saved_ours = get_printoptions()

    def apply(**kwargs: object) -> None:
        torch.set_printoptions(**kwargs)
        set_printoptions(**kwargs)

    yield apply
    torch.set_printoptions(**saved_torch)
    set_printoptions(**saved_ours)


nan, inf = math.nan, math.inf
g = torch.Generator().manual_seed(0)

CASES = {
    # integers and bool
    "int": lambda: torch.tensor([1, 2, 3]),
    "int_neg": lambda: torch.tensor([-1, 20, -300, 4000]),
    "int_2d": lambda: torch.tensor([[19, 22], [43, 50]]),
    "int_big": lambda: torch.tensor([2**62, -(2**62), 0]),
    "uint8": lambda: torch.tensor([0, 7, 255], dtype=torch.uint8),
    "int8": lambda: torch.tensor([-128, 0, 127], dtype=torch.int8),
    "int16": lambda: torch.tensor([[-5, 300], [7, 8]], dtype=torch.int16),
    "int32": lambda: torch.arange(12, dtype=torch.int32).reshape(3, 4),
    "bool": lambda: torch.tensor([True, False, True]),
    "bool_2d": lambda: torch.tensor([[True], [False]]),
    # float notations
    "float_int_mode": lambda: torch.tensor([1.0, 2.0, -3.0]),
    "float_int_mode_wide": lambda: torch.tensor([1.0, -1000.0, 12.0]),
    "float_fixed": lambda: torch.tensor([1.5, -2.25, 0.1]),
    "float_fixed_neg_zero": lambda: torch.tensor([-0.0, 0.5, -1.5]),
    "float_zeros": lambda: torch.zeros(4),
    "float_neg_zeros": lambda: torch.tensor([-0.0, 0.0]),
    "float_sci_tiny": lambda: torch.tensor([1e-5, 2e-6]),
    "float_sci_huge": lambda: torch.tensor([1e9, 2.5e10]),
    "float_sci_range": lambda: torch.tensor([0.001, 10.0]),
    "float_sci_int_mode": lambda: torch.tensor([1.0, 1e10]),
    "float_not_sci_range": lambda: torch.tensor([0.01, 10.0]),
    "float_randn": lambda: torch.randn(5, generator=g),
    "float_nan_inf": lambda: torch.tensor([nan, inf, -inf, 1.5]),
    "float_nan_only": lambda: torch.tensor([nan, nan]),
    "float_inf_int": lambda: torch.tensor([inf, -inf, 2.0]),
    "float_nan_sci": lambda: torch.tensor([nan, 1e-8, 1.0]),
    "float_nan_wide": lambda: torch.tensor([nan, 123456.5]),
    # other float dtypes
    "float64": lambda: torch.tensor([1.0, 2.5, 1 / 3], dtype=torch.float64),
    "float64_extreme": lambda: torch.tensor([1e300, 1e-300], dtype=torch.float64),
    "float64_int": lambda: torch.tensor([3.0, 4.0], dtype=torch.float64),
    "float16": lambda: torch.tensor([0.1, 65504.0, -2.0], dtype=torch.float16),
    "float16_fixed": lambda: torch.tensor([0.1, 0.2, 0.3], dtype=torch.float16),
    "bfloat16": lambda: torch.tensor([0.1, 1000.0, 3.0], dtype=torch.bfloat16),
    "bfloat16_2d": lambda: torch.randn(3, 3, generator=g).bfloat16(),
    # complex
    "complex64": lambda: torch.tensor([1 + 2j, -3.5 - 0.5j, 0j]),
    "complex64_int": lambda: torch.tensor([1 + 2j, -3 - 4j]),
    "complex128": lambda: torch.tensor([1e-6 + 1j, 2 + 1e5j], dtype=torch.complex128),
    "complex_nan": lambda: torch.tensor([complex(nan, 1), complex(1, inf), complex(2, -inf)]),
    "complex_2d": lambda: torch.randn(2, 3, dtype=torch.complex64, generator=g),
    "complex_conj": lambda: torch.tensor([1 + 2j, 3 - 1j]).conj(),
    "complex_wrap": lambda: torch.randn(12, dtype=torch.complex64, generator=g),
    # 0-d
    "scalar_float_int": lambda: torch.tensor(4.0),
    "scalar_float": lambda: torch.tensor(3.14159),
    "scalar_int": lambda: torch.tensor(3),
    "scalar_bool": lambda: torch.tensor(True),
    "scalar_nan": lambda: torch.tensor(nan),
    "scalar_tiny": lambda: torch.tensor(1e-9),
    "scalar_complex": lambda: torch.tensor(1 - 2j),
    "scalar_uint8": lambda: torch.tensor(200, dtype=torch.uint8),
    "scalar_float64": lambda: torch.tensor(2.5, dtype=torch.float64),
    # empty
    "empty": lambda: torch.tensor([]),
    "empty_0x3": lambda: torch.zeros(0, 3),
    "empty_2x0x4": lambda: torch.zeros(2, 0, 4),
    "empty_int64": lambda: torch.zeros(0, dtype=torch.int64),
    "empty_int64_2d": lambda: torch.zeros(3, 0, dtype=torch.int64),
    "empty_bool": lambda: torch.zeros(0, dtype=torch.bool),
    "empty_complex64": lambda: torch.zeros(0, dtype=torch.complex64),
    "empty_float64": lambda: torch.zeros(0, 1, dtype=torch.float64),
    # wrapping and nesting
    "wrap_float": lambda: torch.linspace(0, 1, 50),
    "wrap_int": lambda: torch.arange(100),
    "wrap_float64": lambda: torch.randn(30, dtype=torch.float64, generator=g),
    "wrap_last_dim": lambda: torch.randn(3, 20, generator=g),
    "wrap_int8_dtype": lambda: torch.arange(60, dtype=torch.int8),
    "3d": lambda: torch.arange(24.0).reshape(2, 3, 4),
    "4d": lambda: torch.randn(2, 2, 2, 3, generator=g),
    "5d_int": lambda: torch.arange(32).reshape(2, 2, 2, 2, 2),
    "column": lambda: torch.randn(4, 1, generator=g),
    # summarised
    "summ_arange": lambda: torch.arange(2000.0),
    "summ_int": lambda: torch.arange(1001),
    "summ_100x100": lambda: torch.randn(100, 100, generator=g),
    "summ_3d": lambda: torch.arange(20 * 20 * 20).reshape(20, 20, 20),
    "summ_short_rows": lambda: torch.randn(500, 3, generator=g),
    "summ_complex": lambda: torch.randn(40, 40, dtype=torch.complex64, generator=g),
    "summ_bool": lambda: torch.ones(1500, dtype=torch.bool),
    "summ_sci": lambda: torch.logspace(-10, 10, 1200),
    # autograd suffixes
    "requires_grad": lambda: torch.ones(3, requires_grad=True),
    "requires_grad_f64": lambda: torch.ones(2, 2, dtype=torch.float64, requires_grad=True),
    "grad_fn": lambda: torch.ones(3, requires_grad=True) * 2,
    "grad_fn_long": lambda: torch.randn(9, generator=g, requires_grad=True).sum(),
    "grad_fn_wrap": lambda: (torch.randn(3, 7, generator=g, requires_grad=True) * 2).double(),
    "grad_fn_empty": lambda: torch.zeros(0, 2, requires_grad=True) + 1,
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_repr(name: str) -> None:
    check(CASES[name]())


OPTION_CASES = [
    {"precision": 2},
    {"precision": 8},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "full"},
    {"profile": "short"},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"edgeitems": 0, "threshold": 5},
    {"edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 200},
    {"profile": "full", "precision": 1},
]
OPTION_TENSORS = ["float_fixed", "float_sci_tiny", "float_int_mode", "float_nan_inf", "int",
                  "wrap_float", "3d", "summ_100x100", "complex64", "scalar_float", "empty_0x3",
                  "float_zeros", "bool", "summ_complex", "grad_fn"]


@pytest.mark.parametrize("options", OPTION_CASES, ids=str)
@pytest.mark.parametrize("name", OPTION_TENSORS)
def test_print_options(both_printoptions, options: dict, name: str) -> None:
    both_printoptions(**options)
    t = CASES[name]()
    if options.get("profile") == "full" and t.numel() > 5000:
        t = t[:20]  # keep the unsummarised output small
    check(t)


def test_profile_full_prints_everything(both_printoptions) -> None:
    both_printoptions(profile="full")
    t = torch.arange(1500.0)
    assert "..." not in ours(t)
    check(t)


def test_get_and_set_printoptions(both_printoptions) -> None:
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 80, "sci_mode": None}
    both_printoptions(profile="short", linewidth=60, sci_mode=True)
    assert get_printoptions() == dict(torch._tensor_str.get_printoptions())
    both_printoptions(precision=3)  # sci_mode resets to None when not given, as in torch
    assert get_printoptions()["sci_mode"] is None
    assert get_printoptions() == dict(torch._tensor_str.get_printoptions())


def test_default_dtype_float64() -> None:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for t in [torch.tensor([1.5, 2.0]), torch.tensor([1.5], dtype=torch.float32),
                  torch.tensor([1j]), torch.tensor([1j], dtype=torch.complex64),
                  torch.zeros(0), torch.zeros(0, dtype=torch.float32), torch.tensor(7)]:
            check(t)
    finally:
        torch.set_default_dtype(old)


def test_parameter_prefix() -> None:
    for t in [torch.randn(2, 3, generator=g), torch.arange(40.0), torch.zeros(0, 2),
              torch.randn(3, 30, generator=g)]:
        p = torch.nn.Parameter(t)
        assert ours(p, prefix="Parameter containing:\ntensor(") == repr(p)


def test_device_suffix() -> None:
    assert format_tensor(np.array([1.0, 2.0]), "float32", device="cuda:0") == (
        "tensor([1., 2.], device='cuda:0')")
    assert format_tensor(np.array([1.0, 2.0]), "float32", device="cpu") == "tensor([1., 2.])"
    assert format_tensor(np.array([1.0, 2.0]), "float32", device="cpu:0") == "tensor([1., 2.])"


@pytest.mark.parametrize("name", ["float_fixed", "empty_0x3", "empty_int64", "wrap_float",
                                  "grad_fn", "grad_fn_wrap", "summ_int", "scalar_int",
                                  "requires_grad_f64"])
def test_device_suffix_placement(monkeypatch, name: str) -> None:
    # No accelerator here: make torch believe the default device is cuda, so a cpu tensor gets
    # "device='cpu'"; a three-letter device name of ours must then wrap and order identically.
    t = CASES[name]()
    monkeypatch.setattr(torch._C, "_get_default_device", lambda: "cuda")
    expected = repr(t)
    assert "device='cpu'" in expected
    assert ours(t, device="mps") == expected.replace("device='cpu'", "device='mps'")


def test_bfloat16_values_are_rounded() -> None:
    t = torch.tensor([0.1, 1.7, 3.3e38], dtype=torch.bfloat16)
    assert format_tensor(np.array([0.1, 1.7, 3.3e38]), "bfloat16") == repr(t)


def test_format_scalar() -> None:
    for t, spec in [(torch.tensor(0.1), ".3f"), (torch.tensor(0.1), ""), (torch.tensor(7), "d"),
                    (torch.tensor(0.1, dtype=torch.float64), ""), (torch.tensor(True), ""),
                    (torch.tensor(1 + 2j), "")]:
        assert format_scalar(t.item(), str(t.dtype)[6:], spec) == format(t, spec)


FLOAT_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
SPECIAL = [nan, inf, -inf, 0.0, -0.0]


@st.composite
def float_tensors(draw: st.DrawFn) -> torch.Tensor:
    shape = draw(st.lists(st.integers(0, 4), max_size=3))
    count = math.prod(shape)
    scale = 10.0 ** draw(st.integers(-12, 12))
    integral = draw(st.booleans())
    element = st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: round(x) if integral else x)
    element = element.map(lambda x: x * scale) | st.sampled_from(SPECIAL)
    data = draw(st.lists(element, min_size=count, max_size=count))
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    return torch.tensor(data, dtype=torch.float64).reshape(shape).to(dtype)


@settings(max_examples=300, deadline=None)
@given(float_tensors())
def test_property_random_floats(t: torch.Tensor) -> None:
    check(t)


@settings(max_examples=100, deadline=None)
@given(float_tensors(), st.sampled_from([None, True, False]), st.integers(1, 6),
       st.integers(20, 100))
def test_property_random_options(t: torch.Tensor, sci_mode, precision: int,
                                 linewidth: int) -> None:
    saved_torch = dict(torch._tensor_str.get_printoptions())
    saved_ours = get_printoptions()
    try:
        options = {"sci_mode": sci_mode, "precision": precision, "linewidth": linewidth,
                   "threshold": 20, "edgeitems": 2}
        torch.set_printoptions(**options)
        set_printoptions(**options)
        check(t)
        check(t.to(torch.complex64) * (1 - 2j) if t.dtype == torch.float32 else t)
    finally:
        torch.set_printoptions(**saved_torch)
        set_printoptions(**saved_ours)
