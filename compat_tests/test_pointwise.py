"""Pointwise ops against torch: values, dtypes and gradients over dtypes, type promotion, torch's
subgradients, error classes/messages, in-place variants, ``out=`` and the API surface."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from helpers import RNG, check, check_error

import torchlike

# -- input generation -----------------------------------------------------------------------------

FLOATS = ("float32", "float64", "float16", "bfloat16")
F32 = ("float32",)
ALL = FLOATS + ("int64", "bool")  # for representative rows; the others sample fewer dtypes
FI = ("float32", "int64")  # "int to float" ops
NUM = ("float32", "int64")
INTS = ("int64", "int32", "uint8", "bool")

_DOMAINS = {  # float values; integer dtypes get integers from the int range
    "any": (lambda n: RNG.standard_normal(n) * 2, (-5, 6)),
    "pos": (lambda n: RNG.random(n) * 3 + 0.2, (1, 6)),
    "unit": (lambda n: RNG.random(n) * 1.8 - 0.9, (0, 1)),
    "ge1": (lambda n: RNG.random(n) * 3 + 1.2, (2, 6)),
    "prob": (lambda n: RNG.random(n) * 0.9 + 0.05, (0, 2)),
    "nz": (lambda n: (RNG.random(n) * 2 + 0.3) * RNG.choice([-1, 1], n), (1, 6)),
    "shift": (lambda n: RNG.integers(0, 5, n).astype(np.float64), (0, 5)),
}


def _make(domain, dtype, shape):
    n = int(np.prod(shape))
    fgen, (lo, hi) = _DOMAINS[domain]
    if dtype == "bool":
        v = RNG.random(n) > 0.5
    elif dtype in FLOATS:
        v = fgen(n)
    else:
        v = RNG.integers(lo, hi, n)
        if dtype == "uint8":
            v = np.abs(v)
    # float32 carriers; the row's lambda casts to the tested dtype (bfloat16 has no numpy type)
    return v.reshape(shape).astype(np.float64 if dtype == "float64" else np.float32)


def _cast(t, xs, dtype):
    dt = getattr(t, dtype)
    return [x.to(dt) if x.dtype != dt else x for x in xs]


def check_any(fn, inputs, **kw):
    """``check`` when torch accepts the call, else the same exception class from torchlike."""
    t_in = [torch.from_numpy(np.array(x)) if isinstance(x, np.ndarray) else x for x in inputs]
    try:
        fn(torch, *t_in)
    except Exception:  # noqa: BLE001 - torch rejects this dtype: compare the errors instead
        check_error(fn, inputs)
        return
    check(fn, inputs, **kw)


# -- the op table ---------------------------------------------------------------------------------
# (name, fn(t, *xs), input domains, dtypes); inputs are (3, 4) [, (3, 4) | (4,) ...].

U, B = ((3, 4),), ((3, 4), (4,))

OPS = [
    ("abs", lambda t, x: t.abs(x), "any", ALL + ("int32", "uint8")),
    ("absolute", lambda t, x: x.absolute(), "any", F32),
    ("neg", lambda t, x: t.neg(x), "any", NUM + ("uint8",)),
    ("negative", lambda t, x: t.negative(x), "any", F32),
    ("positive", lambda t, x: t.positive(x), "any", F32 + ("int64",)),
    ("reciprocal", lambda t, x: t.reciprocal(x), "nz", FI),
    ("square", lambda t, x: t.square(x), "any", NUM + ("bool",)),
    ("sqrt", lambda t, x: t.sqrt(x), "pos", ALL),
    ("rsqrt", lambda t, x: t.rsqrt(x), "pos", FI),
    ("exp", lambda t, x: t.exp(x), "any", ALL),
    ("exp2", lambda t, x: t.exp2(x), "any", FI),
    ("expm1", lambda t, x: t.expm1(x), "any", FI),
    ("log", lambda t, x: t.log(x), "pos", ALL),
    ("log2", lambda t, x: t.log2(x), "pos", FI),
    ("log10", lambda t, x: t.log10(x), "pos", FI),
    ("log1p", lambda t, x: t.log1p(x), "pos", FI),
    ("sigmoid", lambda t, x: t.sigmoid(x), "any", ALL),
    ("logit", lambda t, x: t.logit(x), "prob", FI),
    ("logit_eps", lambda t, x: t.logit(x * 1.2 - 0.1, eps=0.1), "prob", F32 + ("float64",)),
    ("sin", lambda t, x: t.sin(x), "any", ALL),
    ("cos", lambda t, x: t.cos(x), "any", FI),
    ("tan", lambda t, x: t.tan(x), "unit", FI),
    ("asin", lambda t, x: t.asin(x), "unit", FI),
    ("acos", lambda t, x: t.acos(x), "unit", FI),
    ("atan", lambda t, x: t.atan(x), "any", ALL),
    ("sinh", lambda t, x: t.sinh(x), "any", FI),
    ("cosh", lambda t, x: t.cosh(x), "any", FI),
    ("tanh", lambda t, x: t.tanh(x), "any", FI),
    ("asinh", lambda t, x: t.asinh(x), "any", FI),
    ("acosh", lambda t, x: t.acosh(x), "ge1", FI),
    ("atanh", lambda t, x: t.atanh(x), "unit", FI),
    ("arcsin", lambda t, x: t.arcsin(x), "unit", F32),
    ("arccos", lambda t, x: x.arccos(), "unit", F32),
    ("arctan", lambda t, x: t.arctan(x), "any", F32),
    ("arcsinh", lambda t, x: t.arcsinh(x), "any", F32),
    ("arccosh", lambda t, x: x.arccosh(), "ge1", F32),
    ("arctanh", lambda t, x: t.arctanh(x), "unit", F32),
    ("floor", lambda t, x: t.floor(x * 3), "any", ALL),
    ("ceil", lambda t, x: t.ceil(x * 3), "any", NUM + ("bool",)),
    ("trunc", lambda t, x: t.trunc(x * 3), "any", NUM + ("bool",)),
    ("fix", lambda t, x: t.fix(x * 3), "any", F32),
    ("round", lambda t, x: t.round(x * 3), "any", ALL),
    ("round_dec", lambda t, x: t.round(x * 30, decimals=1), "any", F32 + ("float64", "int64")),
    ("round_negdec", lambda t, x: t.round(x * 300, decimals=-1), "any", F32),
    ("frac", lambda t, x: t.frac(x * 3), "any", NUM),
    ("sign", lambda t, x: t.sign(x), "any", NUM + ("bool",)),
    # sgn's gradient is a ZeroTensor in torch (no numpy()): add x to compare it
    ("sgn", lambda t, x: t.sgn(x) + x, "any", NUM),
    ("sgn_bool", lambda t, x: t.sgn(x), "any", ("bool",)),
    ("signbit", lambda t, x: t.signbit(x), "any", NUM + ("bool",)),
    ("erf", lambda t, x: t.erf(x), "any", FI),
    ("erfc", lambda t, x: t.erfc(x), "any", FI),
    ("erfinv", lambda t, x: t.erfinv(x), "unit", FI),
    ("lgamma", lambda t, x: t.lgamma(x), "pos", FI),
    ("digamma", lambda t, x: t.digamma(x), "pos", FI),
    ("polygamma1", lambda t, x: t.polygamma(1, x), "pos", F32 + ("float64", "int64")),
    ("polygamma2_method", lambda t, x: x.polygamma(2), "pos", F32),
    ("i0", lambda t, x: t.i0(x), "any", FI),
    ("sinc", lambda t, x: t.sinc(x), "any", FI),
    ("deg2rad", lambda t, x: t.deg2rad(x), "any", FI),
    ("rad2deg", lambda t, x: t.rad2deg(x), "any", FI),
    ("relu", lambda t, x: t.relu(x), "any", NUM),
    ("angle", lambda t, x: t.angle(x), "any", NUM),
    ("conj", lambda t, x: t.conj(x), "any", F32 + ("int64",)),
    ("real", lambda t, x: t.real(x), "any", F32 + ("int64",)),
    ("real_prop", lambda t, x: x.real * 2, "any", F32),
    ("isnan", lambda t, x: t.isnan(t.log(x)), "any", F32),
    ("isinf", lambda t, x: t.isinf(1 / t.round(x)), "any", F32 + ("float64",)),
    ("isposinf", lambda t, x: t.isposinf(1 / t.round(x)), "any", F32),
    ("isneginf", lambda t, x: t.isneginf(1 / t.round(x)), "any", F32),
    ("isfinite", lambda t, x: t.isfinite(t.log(x)), "any", F32),
    ("isfinite_int", lambda t, x: t.isfinite(x), "any", ("int64", "bool")),
    ("isreal", lambda t, x: t.isreal(x), "any", F32 + ("int64",)),
    ("nan_to_num", lambda t, x: t.nan_to_num(t.log(x) / t.round(x)), "any", F32 + ("float64",)),
    ("nan_to_num_args", lambda t, x: t.nan_to_num(t.log(x) / t.round(x), nan=1.5, posinf=9.0,
                                                  neginf=-9.0), "any", F32),
    ("nan_to_num_int", lambda t, x: t.nan_to_num(x), "any", ("int64", "bool")),
    ("logical_not", lambda t, x: t.logical_not(x), "any", NUM + ("bool",)),
    ("bitwise_not", lambda t, x: t.bitwise_not(x), "any", INTS),
    ("invert", lambda t, x: ~x, "any", INTS),
    ("sigmoid_method", lambda t, x: x.sigmoid(), "any", F32),
    ("neg_dunder", lambda t, x: -x, "any", F32 + ("int64",)),
    ("pos_dunder", lambda t, x: +x, "any", F32),
    ("abs_dunder", lambda t, x: abs(x), "any", F32),
    ("special_expit", lambda t, x: t.special.expit(x), "any", F32 + ("int64",)),
    ("special_erf", lambda t, x: t.special.erf(x), "any", F32),
    ("special_erfc", lambda t, x: t.special.erfc(x), "any", F32),
    ("special_erfinv", lambda t, x: t.special.erfinv(x), "unit", F32),
    ("special_logit", lambda t, x: t.special.logit(x, eps=0.2), "prob", F32),
    ("special_log1p", lambda t, x: t.special.log1p(x), "pos", F32),
    ("special_expm1", lambda t, x: t.special.expm1(x), "any", F32),
    ("special_exp2", lambda t, x: t.special.exp2(x), "any", F32),
    ("special_gammaln", lambda t, x: t.special.gammaln(x), "pos", F32 + ("float64",)),
    ("special_digamma", lambda t, x: t.special.digamma(x), "pos", F32),
    ("special_psi", lambda t, x: t.special.psi(x), "pos", F32),
    ("special_polygamma", lambda t, x: t.special.polygamma(1, x), "pos", F32),
    ("special_i0", lambda t, x: t.special.i0(x), "any", F32),
    ("special_i0e", lambda t, x: t.special.i0e(x), "any", F32 + ("float64", "int64")),
    ("special_i1", lambda t, x: t.special.i1(x), "any", F32 + ("float64",)),
    ("special_i1e", lambda t, x: t.special.i1e(x), "any", F32 + ("float64",)),
    ("special_sinc", lambda t, x: t.special.sinc(x), "any", F32),
    ("special_round", lambda t, x: t.special.round(x * 3), "any", F32),
    ("special_entr", lambda t, x: t.special.entr(x), "any", F32 + ("float64", "int64")),
    ("special_ndtr", lambda t, x: t.special.ndtr(x), "any", F32 + ("float64", "int64")),
    ("special_ndtri", lambda t, x: t.special.ndtri(x), "prob", F32 + ("float64",)),
    ("special_log_ndtr", lambda t, x: t.special.log_ndtr(x), "any", F32 + ("float64",)),
    # binary
    ("add", lambda t, x, y: t.add(x, y), ("any", "any"), ALL + ("uint8",)),
    ("add_alpha", lambda t, x, y: t.add(x, y, alpha=2), ("any", "any"), F32 + ("int64",)),
    ("add_alpha_float", lambda t, x, y: t.add(x, y, alpha=0.5), ("any", "any"), F32),
    ("sub", lambda t, x, y: t.sub(x, y), ("any", "any"), NUM + ("uint8",)),
    ("sub_alpha", lambda t, x, y: t.sub(x, y, alpha=3), ("any", "any"), F32 + ("int64",)),
    ("subtract", lambda t, x, y: t.subtract(x, y), ("any", "any"), F32),
    ("mul", lambda t, x, y: t.mul(x, y), ("any", "any"), ALL + ("uint8",)),
    ("multiply", lambda t, x, y: x.multiply(y), ("any", "any"), F32),
    ("div", lambda t, x, y: t.div(x, y), ("any", "nz"), NUM),
    ("div_bool", lambda t, x, y: t.div(x, y | True), ("any", "any"), ("bool",)),
    ("divide", lambda t, x, y: t.divide(x, y), ("any", "nz"), F32),
    ("true_divide", lambda t, x, y: t.true_divide(x, y), ("any", "nz"), F32 + ("int64",)),
    ("div_trunc", lambda t, x, y: t.div(x * 4, y, rounding_mode="trunc"), ("any", "nz"),
     NUM),
    ("div_floor", lambda t, x, y: t.div(x * 4, y, rounding_mode="floor"), ("any", "nz"),
     NUM),
    ("floor_divide", lambda t, x, y: t.floor_divide(x * 4, y), ("any", "nz"), NUM),
    ("floordiv_dunder", lambda t, x, y: (x * 4) // y, ("any", "nz"), F32 + ("int64",)),
    ("remainder", lambda t, x, y: t.remainder(x * 4, y), ("any", "nz"), NUM),
    ("mod_dunder", lambda t, x, y: (x * 4) % y, ("any", "nz"), F32 + ("int64",)),
    ("fmod", lambda t, x, y: t.fmod(x * 4, y), ("any", "nz"), NUM),
    ("pow", lambda t, x, y: t.pow(x, y), ("pos", "any"), FLOATS),
    ("pow_int", lambda t, x, y: t.pow(x, y), ("any", "shift"), ("int64", "int32", "uint8")),
    ("pow_int_negexp", lambda t, x, y: t.pow(x, y - 2), ("any", "shift"), ("int64",)),
    ("float_power", lambda t, x, y: t.float_power(x, y), ("pos", "any"), F32 + ("int64",)),
    ("atan2", lambda t, x, y: t.atan2(x, y), ("any", "nz"), FI),
    ("arctan2", lambda t, x, y: t.arctan2(x, y), ("any", "nz"), F32),
    ("hypot", lambda t, x, y: t.hypot(x, y), ("nz", "nz"), NUM),
    ("copysign", lambda t, x, y: t.copysign(x, y), ("nz", "any"), NUM + ("bool",)),
    ("maximum", lambda t, x, y: t.maximum(x, y), ("any", "any"), ALL),
    ("minimum", lambda t, x, y: t.minimum(x, y), ("any", "any"), NUM + ("bool",)),
    ("fmax", lambda t, x, y: t.fmax(x, y), ("any", "any"), NUM),
    ("fmin", lambda t, x, y: t.fmin(x, y), ("any", "any"), NUM),
    ("xlogy", lambda t, x, y: t.xlogy(x, y), ("any", "pos"), FI),
    ("special_xlogy", lambda t, x, y: t.special.xlogy(x, y), ("any", "pos"), F32),
    ("special_xlog1py", lambda t, x, y: t.special.xlog1py(x, y), ("any", "pos"), F32 + ("int64",)),
    ("heaviside", lambda t, x, y: t.heaviside(t.round(x), y), ("any", "any"), NUM),
    ("ldexp", lambda t, x, y: t.ldexp(x, y), ("any", "shift"), F32 + ("float64", "int64")),
    ("logaddexp", lambda t, x, y: t.logaddexp(x, y), ("any", "any"), NUM),
    ("logaddexp2", lambda t, x, y: t.logaddexp2(x, y), ("any", "any"), NUM),
    ("eq", lambda t, x, y: t.eq(t.round(x), t.round(y)), ("any", "any"), ALL),
    ("ne", lambda t, x, y: x != y, ("any", "any"), NUM + ("bool",)),
    ("lt", lambda t, x, y: x < y, ("any", "any"), NUM + ("bool",)),
    ("le", lambda t, x, y: t.le(x, y), ("any", "any"), NUM),
    ("gt", lambda t, x, y: x > y, ("any", "any"), NUM),
    ("ge", lambda t, x, y: x >= y, ("any", "any"), NUM),
    ("greater", lambda t, x, y: t.greater(x, y), ("any", "any"), F32),
    ("greater_equal", lambda t, x, y: t.greater_equal(x, y), ("any", "any"), F32),
    ("less", lambda t, x, y: t.less(x, y), ("any", "any"), F32),
    ("less_equal", lambda t, x, y: x.less_equal(y), ("any", "any"), F32),
    ("not_equal", lambda t, x, y: t.not_equal(x, y), ("any", "any"), F32),
    ("logical_and", lambda t, x, y: t.logical_and(x, y), ("any", "any"), NUM + ("bool",)),
    ("logical_or", lambda t, x, y: t.logical_or(x, y), ("any", "any"), NUM + ("bool",)),
    ("logical_xor", lambda t, x, y: t.logical_xor(x, y), ("any", "any"), NUM + ("bool",)),
    ("bitwise_and", lambda t, x, y: t.bitwise_and(x, y), ("any", "any"), INTS + ("float32",)),
    ("bitwise_or", lambda t, x, y: t.bitwise_or(x, y), ("any", "any"), INTS),
    ("bitwise_xor", lambda t, x, y: t.bitwise_xor(x, y), ("any", "any"), INTS),
    ("and_dunder", lambda t, x, y: x & y, ("any", "any"), INTS),
    ("or_dunder", lambda t, x, y: x | y, ("any", "any"), INTS),
    ("xor_dunder", lambda t, x, y: x ^ y, ("any", "any"), INTS),
    ("lshift", lambda t, x, y: t.bitwise_left_shift(x, y), ("any", "shift"),
     ("int64", "int32", "float32")),
    ("rshift", lambda t, x, y: t.bitwise_right_shift(x, y), ("any", "shift"), ("int64", "int32")),
    ("lshift_dunder", lambda t, x, y: x << y, ("any", "shift"), ("int64", "uint8")),
    ("rshift_dunder", lambda t, x, y: x >> y, ("any", "shift"), ("int64", "uint8")),
    ("isclose", lambda t, x, y: t.isclose(x, x + y * 1e-6), ("any", "any"), F32 + ("float64",)),
    ("isclose_args", lambda t, x, y: t.isclose(x, x + y * 1e-2, rtol=0, atol=1e-2),
     ("any", "any"), F32),
    ("isclose_int", lambda t, x, y: t.isclose(x, y), ("any", "any"), ("int64", "bool")),
    ("allclose", lambda t, x, y: t.allclose(x, x + y * 1e-9), ("any", "any"), F32),
    ("allclose_false", lambda t, x, y: x.allclose(y), ("any", "any"), F32),
    ("equal", lambda t, x, y: t.equal(x, x.clone()), ("any", "any"), F32 + ("int64",)),
    ("equal_false", lambda t, x, y: t.equal(x, x + 1), ("any", "any"), F32),
    # ternary
    ("clamp", lambda t, x: t.clamp(x, -0.5, 0.5), "any", ALL),
    ("clamp_min_only", lambda t, x: t.clamp(x, min=0), "any", NUM),
    ("clamp_max_only", lambda t, x: x.clamp(max=0.3), "any", F32 + ("int64",)),
    ("clamp_tensors", lambda t, x, lo, hi: t.clamp(x, lo - 1, hi + 1), ("any",) * 3, NUM),
    ("clip", lambda t, x: t.clip(x, -1, 1), "any", F32),
    ("clamp_min", lambda t, x, y: t.clamp_min(x, y), ("any", "any"), NUM),
    ("clamp_max", lambda t, x: t.clamp_max(x, 0.2), "any", F32),
    ("lerp", lambda t, x, y: t.lerp(x, y, 0.3), ("any", "any"), FLOATS + ("int64",)),
    ("lerp_hi", lambda t, x, y: t.lerp(x, y, 0.8), ("any", "any"), F32),
    ("lerp_tensor", lambda t, x, y, w: t.lerp(x, y, w), ("any", "any", "any"), F32 + ("float64",)),
    ("addcmul", lambda t, x, a, b: t.addcmul(x, a, b, value=0.5), ("any",) * 3, F32 + ("float64",)),
    ("addcmul_int", lambda t, x, a, b: t.addcmul(x, a, b, value=2), ("any",) * 3, ("int64",)),
    ("addcdiv", lambda t, x, a, b: t.addcdiv(x, a, b, value=2), ("any", "any", "nz"),
     F32 + ("float64", "int64")),
    ("where", lambda t, c, x, y: t.where(c > 0, x, y), ("any",) * 3, ALL),
    ("where_method", lambda t, c, x, y: x.where(c > 0, y), ("any",) * 3, F32),
    ("where_scalar", lambda t, c, x: t.where(c > 0, x, 0.5), ("any",) * 2, F32 + ("int64",)),
]


def _rows():
    for name, fn, domains, dtypes in OPS:
        domains = (domains,) if isinstance(domains, str) else domains
        shapes = U if len(domains) == 1 else B + ((3, 1),) * (len(domains) - 2)
        for dt in dtypes:
            yield pytest.param(fn, domains, shapes, dt, id=f"{name}-{dt}")


NO_DERIVATIVE = {"floor_divide", "floordiv_dunder", "heaviside"}  # torch's backward raises


@pytest.mark.parametrize("fn,domains,shapes,dtype", list(_rows()))
def test_op(fn, domains, shapes, dtype, request):
    inputs = [_make(d, dtype, s) for d, s in zip(domains, shapes)]
    grad = (dtype == "float32"
            and request.node.callspec.id.rsplit("-", 1)[0] not in NO_DERIVATIVE)
    check_any(lambda t, *xs: fn(t, *_cast(t, xs, dtype)), inputs, grad=grad)


# -- subgradients at kinks and ties ---------------------------------------------------------------

K = np.array([-1.0, 0.0, 0.0, 1.0, 2.0], np.float32)
SUBGRADIENTS = [
    ("relu_at_0", lambda t, x: t.relu(x), [K]),
    ("abs_at_0", lambda t, x: t.abs(x), [K]),
    ("sign", lambda t, x: t.sign(x) * x, [K]),
    ("sgn", lambda t, x: t.sgn(x) + x, [K]),
    ("clamp_bounds", lambda t, x: t.clamp(x, -1.0, 1.0), [K]),
    ("clamp_min_bound", lambda t, x: t.clamp(x, min=0.0), [K]),
    ("clamp_tensor_bounds", lambda t, x, lo, hi: t.clamp(x, lo, hi), [K, K - 1, K + 1]),
    ("clamp_at_tensor_min", lambda t, x, lo: t.clamp(x, min=lo), [K, K]),
    ("maximum_ties", lambda t, x, y: t.maximum(x, y), [K, K[::-1].copy()]),
    ("minimum_ties", lambda t, x, y: t.minimum(x, y), [K, K[::-1].copy()]),
    ("fmax_ties", lambda t, x, y: t.fmax(x, y), [K, K[::-1].copy()]),
    ("fmin_ties", lambda t, x, y: t.fmin(x, y), [K, K[::-1].copy()]),
    ("sqrt_at_0", lambda t, x: t.sqrt(x), [np.array([0.0, 1.0, 4.0], np.float32)]),
    ("pow_at_0", lambda t, x: x ** 2, [K]),
    ("pow_0_0", lambda t, x, e: t.pow(x, e), [K, np.array([0.0, 0.0, 2.0, 0.0, 0.5], np.float32)]),
    ("pow_scalar_0", lambda t, x: t.pow(x, 0.0), [K]),
    ("rpow", lambda t, x: 2.0 ** x, [K]),
    ("where", lambda t, x, y: t.where(x > 0, x, y), [K, K + 1]),
    ("where_same", lambda t, x: t.where(x > 0, x, x * 2), [K]),
    ("copysign_at_0", lambda t, x, y: t.copysign(x, y), [K, -K]),
    ("floor", lambda t, x: t.floor(x) + t.round(x) + t.trunc(x) + t.ceil(x), [K]),
    ("logaddexp_ties", lambda t, x: t.logaddexp(x, x), [K]),
    ("xlogy_at_0", lambda t, x, y: t.xlogy(x, y), [K, K + 2]),
    ("nan_to_num", lambda t, x: t.nan_to_num(t.log(x)), [K]),
    ("logit_eps_bounds", lambda t, x: t.logit(x, eps=0.25),
     [np.array([0.1, 0.25, 0.5, 0.75, 0.9], np.float32)]),
    ("remainder_grad", lambda t, x, y: t.remainder(x, y), [K * 3 + 0.5, K + 3]),
    ("fmod_grad", lambda t, x, y: t.fmod(x, y), [K * 3 + 0.5, K + 3]),
    ("div_floor_grad", lambda t, x, y: t.div(x, y, rounding_mode="floor"), [K + 0.5, K + 3]),
    ("hypot", lambda t, x, y: t.hypot(x, y), [K + 3, K - 3]),
    ("lerp_weight_grad", lambda t, x, y, w: t.lerp(x, y, w), [K, K * 2, K / 4]),
    ("angle_real", lambda t, x: t.angle(x), [K]),
]


@pytest.mark.parametrize("fn,inputs", [pytest.param(f, i, id=n) for n, f, i in SUBGRADIENTS])
def test_subgradient(fn, inputs):
    check(fn, inputs)


# -- type promotion -------------------------------------------------------------------------------

PROMO_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
                "float32", "float64", "complex64")


def _typed(t, v, dtype, ndim):
    x = t.tensor(v if ndim else v[0]).to(getattr(t, dtype))
    return x


_VALS_A, _VALS_B = [1, 2, 3], [2, 1, 3]


@pytest.mark.parametrize("op", ["add", "mul"])
@pytest.mark.parametrize("a,b", list(itertools.product(PROMO_DTYPES, repeat=2)))
def test_promotion_tensor_tensor(op, a, b):
    check_any(lambda t: getattr(t, op)(_typed(t, _VALS_A, a, 1), _typed(t, _VALS_B, b, 1)), [],
              grad=False)


ZERO_DIM_DTYPES = ("bool", "uint8", "int64", "float16", "float32", "float64")


def _zero_dim_rows():
    for a, b in itertools.product(ZERO_DIM_DTYPES, repeat=2):
        for op, dims in (("add", "dim_0d"), ("add", "0d_0d"), ("where", "0d_0d"),
                         ("div", "0d_dim")):
            yield pytest.param(op, a, b, dims, id=f"{op}-{a}-{b}-{dims}")


@pytest.mark.parametrize("op,a,b,dims", list(_zero_dim_rows()))
def test_promotion_zero_dim(op, a, b, dims):
    na, nb = int(dims.split("_")[0] == "dim"), int(dims.split("_")[1] == "dim")

    def fn(t):
        x, y = _typed(t, _VALS_A, a, na), _typed(t, _VALS_B, b, nb)
        if op == "where":
            return t.where(t.tensor([True, False, True]), x, y)
        return getattr(t, op)(x, y)
    check_any(fn, [], grad=False)


SCALARS = [True, -3, 2.5, 1 + 2j]
SCALAR_DTYPES = ("bool", "uint8", "int32", "int64", "float16", "float32", "float64")


_NO_COMPLEX32 = pytest.mark.xfail(strict=True, reason="no complex32: float16 with a complex "
                                  "scalar gives complex64")


def _scalar_rows():
    ops = ("add", "div", "rsub", "pow", "rpow", "lt", "remainder", "where_r", "where_l",
           "clamp")
    for op, dtype, s in itertools.product(ops, SCALAR_DTYPES, SCALARS):
        if isinstance(s, complex) and op in ("lt", "remainder", "clamp", "pow", "rpow"):
            continue  # complex comparisons/rounding: out of scope
        marks = _NO_COMPLEX32 if isinstance(s, complex) and dtype == "float16" else ()
        yield pytest.param(op, dtype, s, id=f"{op}-{dtype}-{s!r}", marks=marks)


@pytest.mark.parametrize("op,dtype,s", list(_scalar_rows()))
def test_promotion_tensor_scalar(op, dtype, s):
    def fn(t):
        x = _typed(t, _VALS_A, dtype, 1)
        if op == "rsub":
            return s - x
        if op == "rpow":
            return s ** x
        if op == "where_r":
            return t.where(x > 1, x, s)
        if op == "where_l":
            return t.where(x > 1, s, x)
        if op == "clamp":
            return t.clamp(x, max=s)
        return getattr(t, op)(x, s)
    check_any(fn, [], grad=False)


def test_where_scalars_both():
    check(lambda t, c: t.where(c > 0, 1.0, 0.0), [np.array([1.0, -1.0], np.float32)], grad=False)
    check(lambda t, c: t.where(c > 0, 1, 0), [np.array([1.0, -1.0], np.float32)], grad=False)
    check(lambda t, c: t.where(c > 0, True, 2.5), [np.array([1.0, -1.0], np.float32)], grad=False)


# -- errors ---------------------------------------------------------------------------------------

_b = np.array([True, False])
_i = np.array([1, 2])
_f = np.array([1.0, 2.0], np.float32)
_d = np.array([1.0, 2.0])

_NO_ZERO_DIV = pytest.mark.xfail(strict=True, reason="torch's value-dependent ZeroDivisionError "
                                 "check for integers cannot run inside a compiled function")
ERRORS = [
    ("bool_sub_bool", lambda t, x: x - x, [_b], True),
    ("bool_sub_int", lambda t, x: x - 1, [_b], True),
    ("int_rsub_bool", lambda t, x: 1 - x, [_b], True),
    ("float_sub_true", lambda t, x: x - True, [_f], True),
    ("bool_neg", lambda t, x: -x, [_b], True),
    ("bool_pos", lambda t, x: +x, [_b], True),
    ("int_pow_neg", lambda t, x: x ** -1, [_i], True),
    ("bool_pow_neg", lambda t, x: t.pow(x, -2), [_b], True),
    ("int_pow_neg_inplace", lambda t, x: x.pow_(-1), [_i], True),
    ("bool_pow_bool", lambda t, x: x ** x, [_b], True),
    ("clamp_none", lambda t, x: t.clamp(x), [_f], True),
    ("clamp_none_method", lambda t, x: x.clamp(None, None), [_f], True),
    ("add_alpha_float_int", lambda t, x: t.add(x, x, alpha=0.5), [_i], True),
    ("add_alpha_bool", lambda t, x: t.add(x, x, alpha=True), [_f], True),
    ("div_bad_mode", lambda t, x: t.div(x, x, rounding_mode="foo"), [_f], True),
    ("floor_divide_bool", lambda t, x: x // x, [_b], True),
    ("remainder_bool", lambda t, x: x % x, [_b], True),
    ("fmod_bool", lambda t, x: t.fmod(x, x), [_b], True),
    ("abs_bool", lambda t, x: t.abs(x), [_b], True),
    ("frac_int", lambda t, x: t.frac(x), [_i], True),
    ("round_decimals_int", lambda t, x: t.round(x, decimals=1), [_i], True),
    ("floor_bool", lambda t, x: t.floor(x), [_b], True),
    ("relu_bool", lambda t, x: t.relu(x), [_b], True),
    ("hypot_int", lambda t, x: t.hypot(x, x), [_i], True),
    ("logaddexp_int", lambda t, x: t.logaddexp(x, x), [_i], True),
    ("lerp_int", lambda t, x: t.lerp(x, x, 0.5), [_i], True),
    ("lerp_dtype_end", lambda t, x, y: t.lerp(x, y, 0.5), [_f, _d], True),
    ("lerp_dtype_weight", lambda t, x, y: t.lerp(x, x, y), [_f, _d], True),
    ("addcdiv_int", lambda t, x: t.addcdiv(x, x, x), [_i], True),
    ("maximum_complex", lambda t, x: t.maximum(x.to(t.complex64), x.to(t.complex64)), [_f], True),
    ("where_float_cond", lambda t, x: t.where(x, x, x), [_f], True),
    ("bitwise_and_float", lambda t, x: x & x, [_f], True),
    ("bitwise_or_float", lambda t, x: t.bitwise_or(x, x), [_f], True),
    ("invert_float", lambda t, x: ~x, [_f], True),
    ("bitwise_not_float", lambda t, x: t.bitwise_not(x), [_f], True),
    ("lshift_float", lambda t, x: x << 1, [_f], True),
    ("rshift_float", lambda t, x: x >> 1, [_f], True),
    ("heaviside_dtypes", lambda t, x, y: t.heaviside(x, y), [_f, _d], True),
    ("isclose_dtypes", lambda t, x, y: t.isclose(x, y), [_f, _d], True),
    ("imag_real", lambda t, x: t.imag(x), [_f], True),
    ("imag_prop_real", lambda t, x: x.imag, [_f], True),
    ("add_shapes", lambda t, x: x + t.ones(3), [_f], False),
    ("inplace_cast", lambda t, x: x.add_(1.5), [_i], True),
    ("inplace_cast_sin", lambda t, x: x.sin_(), [_i], True),
    ("inplace_cast_div", lambda t, x: x.div_(2), [_i], True),
    ("inplace_cast_idiv", lambda t, x: x.__itruediv__(x), [_i], True),
    ("inplace_cast_bool", lambda t, x, y: x.mul_(y), [_b, _i], True),
    ("inplace_broadcast", lambda t, x: x.add_(t.ones(2, 2)), [_f], True),
    ("out_cast", lambda t, x: t.add(x, 1.5, out=t.zeros(2, dtype=t.int64)), [_f], True),
    ("int_floordiv_zero", lambda t, x: x // 0, [_i], True, _NO_ZERO_DIV),
    ("int_remainder_zero", lambda t, x: x % 0, [_i], True, _NO_ZERO_DIV),
    ("float_power_inplace_float", lambda t, x: x.float_power_(2), [_f], True),
]


@pytest.mark.parametrize("fn,inputs,match", [
    pytest.param(*p[1:4], id=p[0], marks=p[4:]) for p in ERRORS])
def test_error(fn, inputs, match):
    check_error(fn, inputs, match_message=match)


@pytest.mark.xfail(strict=True, reason="XLA simplifies convert(bool) / y to select(bool, 1 / y, "
                   "0), so False / False is 0 instead of NaN")
def test_bool_zero_div_zero():
    check(lambda t, x, y: x / y, [np.array([[False, False], [True, False]]),
                                  np.array([False, True])])


# -- in-place variants and out= -------------------------------------------------------------------

INPLACE = [
    ("add_", lambda x, y: x.add_(y, alpha=2)), ("sub_", lambda x, y: x.sub_(y)),
    ("mul_", lambda x, y: x.mul_(y)), ("div_", lambda x, y: x.div_(y)),
    ("div_floor_", lambda x, y: x.div_(y, rounding_mode="floor")),
    ("iadd", lambda x, y: x.__iadd__(y)), ("isub", lambda x, y: x.__isub__(y)),
    ("imul", lambda x, y: x.__imul__(y)), ("itruediv", lambda x, y: x.__itruediv__(y)),
    ("ifloordiv", lambda x, y: x.__ifloordiv__(y)), ("imod", lambda x, y: x.__imod__(y)),
    ("ipow", lambda x, y: x.__ipow__(2)), ("pow_", lambda x, y: x.pow_(y)),
    ("clamp_", lambda x, y: x.clamp_(-0.5, 0.5)), ("clip_", lambda x, y: x.clip_(max=y)),
    ("clamp_min_", lambda x, y: x.clamp_min_(0.1)), ("lerp_", lambda x, y: x.lerp_(y, 0.25)),
    ("addcmul_", lambda x, y: x.addcmul_(y, y, value=3)), ("addcdiv_", lambda x, y: x.addcdiv_(y, y)),
    ("abs_", lambda x, y: x.abs_()), ("neg_", lambda x, y: x.neg_()),
    ("sigmoid_", lambda x, y: x.sigmoid_()), ("tanh_", lambda x, y: x.tanh_()),
    ("exp_", lambda x, y: x.exp_()), ("sin_", lambda x, y: x.sin_()),
    ("arcsin_", lambda x, y: x.clamp_(-0.9, 0.9).arcsin_()), ("square_", lambda x, y: x.square_()),
    ("sign_", lambda x, y: x.sign_()), ("round_", lambda x, y: x.round_(decimals=1)),
    ("floor_", lambda x, y: x.floor_()), ("frac_", lambda x, y: x.frac_()),
    ("relu_", lambda x, y: x.relu_()), ("copysign_", lambda x, y: x.copysign_(y)),
    ("atan2_", lambda x, y: x.atan2_(y)), ("hypot_", lambda x, y: x.hypot_(y)),
    ("xlogy_", lambda x, y: x.xlogy_(y.abs())), ("nan_to_num_", lambda x, y: x.nan_to_num_()),
    ("polygamma_", lambda x, y: x.abs_().polygamma_(1)), ("logit_", lambda x, y: x.logit_(0.2)),
    ("fmod_", lambda x, y: x.fmod_(y)), ("remainder_", lambda x, y: x.remainder_(y)),
    ("eq_", lambda x, y: x.eq_(y)), ("lt_", lambda x, y: x.lt_(y)),
    ("greater_", lambda x, y: x.greater_(y)), ("logical_and_", lambda x, y: x.logical_and_(y)),
    ("logical_not_", lambda x, y: x.logical_not_()), ("heaviside_", lambda x, y: x.heaviside_(y)),
    ("float_power_", lambda x, y: x.double().float_power_(y)),
    ("torch_sin_", lambda x, y: TORCHLIB[0].sin_(x)),
    ("view_write", lambda x, y: x[0].mul_(y[0])),
]
TORCHLIB = [None]


@pytest.mark.parametrize("fn", [pytest.param(f, id=n) for n, f in INPLACE])
def test_inplace(fn):
    def run(t, x, y):
        TORCHLIB[0] = t
        x = x.clone()
        r = fn(x, y)
        return x, r
    check(run, [RNG.standard_normal((3, 4)).astype(np.float32),
                RNG.standard_normal((3, 4)).astype(np.float32) + 3], grad=False)


def test_inplace_grad():
    check(lambda t, x, y: (x * 1).mul_(y).add_(y, alpha=2).clamp_(-1, 1).sin_(),
          [RNG.standard_normal((3, 4)).astype(np.float32)] * 2)


INT_INPLACE = [
    ("ibitand", lambda x: x.__iand__(3)), ("ibitor", lambda x: x.__ior__(3)),
    ("ixor", lambda x: x.__ixor__(3)), ("ilshift", lambda x: x.__ilshift__(1)),
    ("irshift", lambda x: x.__irshift__(1)), ("bitwise_not_", lambda x: x.bitwise_not_()),
    ("floor_divide_", lambda x: x.floor_divide_(2)), ("pow_int", lambda x: x.pow_(2)),
    ("rand", lambda x: 6 & x), ("rlshift", lambda x: 1 << x.abs()), ("rmod", lambda x: 7 % x),
    ("rfloordiv", lambda x: 7 // x), ("rtruediv", lambda x: 7 / x), ("rpow", lambda x: 2 ** x),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=n) for n, f in INT_INPLACE])
def test_int_inplace_and_reflected(fn):
    check(lambda t, x: (fn(x.clone()),), [np.array([1, -2, 3, 5, -7])], grad=False)


OUT = [
    ("add", lambda t, x, y, o: t.add(x, y, out=o)), ("mul", lambda t, x, y, o: t.mul(x, 2, out=o)),
    ("sin", lambda t, x, y, o: t.sin(x, out=o)), ("clamp", lambda t, x, y, o: t.clamp(x, 0, out=o)),
    ("where", lambda t, x, y, o: t.where(x > 0, x, y, out=o)),
    ("pow", lambda t, x, y, o: t.pow(x, 2, out=o)),
    ("eq", OUT_EQ := lambda t, x, y, o: t.eq(x, y, out=o)),
    ("maximum", lambda t, x, y, o: t.maximum(x, y, out=o)),
    ("div_floor", lambda t, x, y, o: t.div(x, y, rounding_mode="floor", out=o)),
    ("special_expit", lambda t, x, y, o: t.special.expit(x, out=o)),
    ("special_entr", lambda t, x, y, o: t.special.entr(x.abs(), out=o)),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=n) for n, f in OUT])
def test_out(fn):
    def run(t, x, y):
        o = t.zeros(3, 4, dtype=t.bool if fn is OUT_EQ else t.float32)
        r = fn(t, x, y, o)
        return o, r, t.tensor(r is o)
    check(run, [RNG.standard_normal((3, 4)).astype(np.float32),
                RNG.standard_normal((3, 4)).astype(np.float32)], grad=False)


# -- API surface ----------------------------------------------------------------------------------

NAMES = sorted({row[0] for row in OPS if row[0].isidentifier() and hasattr(torch, row[0])} | {
    "clamp_max", "clamp_min", "fix", "pow", "float_power", "where", "real", "imag", "conj",
    "angle", "polygamma", "bitwise_left_shift", "bitwise_right_shift"})


@pytest.mark.parametrize("name", NAMES)
def test_api_surface(name):
    """torch.X, Tensor.X, Tensor.X_ and torch.X_ exist in torchlike exactly where torch has them."""
    got = [hasattr(torchlike, name), hasattr(torchlike.Tensor, name),
           hasattr(torchlike.Tensor, name + "_"), hasattr(torchlike, name + "_")]
    want = [hasattr(torch, name), hasattr(torch.Tensor, name), hasattr(torch.Tensor, name + "_"),
            hasattr(torch, name + "_")]
    assert got == want, f"[torch.X, Tensor.X, Tensor.X_, torch.X_]: {got} != torch's {want}"


def test_special_namespace_dir():
    names = {"expit", "erf", "erfc", "erfinv", "logit", "xlogy", "log1p", "expm1", "exp2",
             "gammaln", "digamma", "psi", "i0", "sinc", "round", "entr", "ndtr", "ndtri",
             "log_ndtr"}
    assert names <= set(dir(torchlike.special))
    with pytest.raises(AttributeError):
        torchlike.special.not_a_function  # noqa: B018


# runs last: changing the default dtype recompiles every op afterwards
def test_promotion_default_dtype_float64():
    torchlike.set_default_dtype(torchlike.float64)
    torch.set_default_dtype(torch.float64)
    try:
        torchlike._ops.registry.clear_caches()
        check(lambda t, x: (x + 1.5, t.sin(x), x / 2), [np.array([1, 2], np.int64)], grad=False)
    finally:
        torchlike.set_default_dtype(torchlike.float32)
        torch.set_default_dtype(torch.float32)
        torchlike._ops.registry.clear_caches()
