"""Pointwise ops: arithmetic, comparisons, logical/bitwise ops, unary math and ``torch.special``.

Each op is one registry entry over raw JAX arrays. ``promote="all"`` applies torch's result type
over the operands; ``promote="float"`` additionally sends integer/bool inputs to the default float
dtype (torch's "int to float" ops such as ``sin`` and true division). Ops whose dtype rules are
neither (``where``, ``lerp``, ``sub``'s bool checks, ``float_power``) pass a promotion callable.

Torch's subgradient conventions (abs/sign at 0, clamp at its bounds, fmax at ties, pow at 0**0)
are built into the raw functions with ``jnp.where`` formulations, so that ``jax.vjp`` yields
torch's gradients; each such place has a ``# NOTE:``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jss
from jax import lax

from .._dtype import complex128, float64, from_np, get_default_dtype, result_type
from . import _install
from ._install import FUNCTIONS, NAMESPACES, inplace_call
from .registry import _promote, _type_name, op

_i = jnp.issubdtype
_BOOL = jnp.dtype(jnp.bool_)


def _is_int(a) -> bool:
    """Integer or bool (not floating/complex)."""
    return not _i(a.dtype, jnp.inexact)


def _is_float(a) -> bool:
    return _i(a.dtype, jnp.floating)


def _tn(a) -> str:
    return _type_name(from_np(a.dtype))


def _not_impl(kernel: str, a):
    """torch's error for a dtype a kernel has no implementation for."""
    raise NotImplementedError(f'"{kernel}" not implemented for \'{_tn(a)}\'')


def _no_bool(kernel: str, *arrs) -> None:
    for a in arrs:
        if a.dtype == _BOOL:
            _not_impl(kernel, a)


def _no_int(kernel: str, *arrs) -> None:
    for a in arrs:
        if _is_int(a):
            _not_impl(kernel, a)


def _operand_is_bool(a, k) -> bool:
    return k is bool or (k == 0 and a.dtype == _BOOL)


def _alias(alias: str, target: str, fn_inplace: bool = True) -> None:
    """Expose ``target`` also as ``alias`` (function, method, in-place method, torch.alias_)."""
    Tensor = _install._tensor_cls()
    if target in FUNCTIONS:
        FUNCTIONS[alias] = FUNCTIONS[target]
    if fn_inplace and target + "_" in FUNCTIONS:
        FUNCTIONS[alias + "_"] = FUNCTIONS[target + "_"]
    for suffix in ("", "_"):
        if hasattr(Tensor, target + suffix):
            setattr(Tensor, alias + suffix, getattr(Tensor, target + suffix))


def _special(name: str, fn) -> None:
    NAMESPACES.setdefault("special", {})[name] = fn


def _check_broadcast(arrs) -> None:
    """torch's error for operands whose shapes do not broadcast (trace time only)."""
    shape = None
    for a in arrs:
        if a is None:
            continue
        if shape is None:
            shape = a.shape
            continue
        b, n = a.shape, max(len(shape), len(a.shape))
        sa, sb = (1,) * (n - len(shape)) + shape, (1,) * (n - len(b)) + b
        for i, (x, y) in enumerate(zip(sa, sb)):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension {i}")
        shape = tuple(y if x == 1 else x for x, y in zip(sa, sb))


def _promoter(mode):
    def promote(arrs, kinds):
        _check_broadcast(arrs)
        return _promote(arrs, kinds, mode) if mode else arrs
    return promote


_ALL, _FLOAT, _SHAPES = _promoter("all"), _promoter("float"), _promoter(None)


# -- arithmetic ---------------------------------------------------------------------------------

@op("input other", promote=_ALL, inplace=True, dunder="add", saves=False)
def add(input, other, *, alpha=1):
    """torchlike implementation of :func:`torch.add`."""
    if input.dtype == _BOOL:
        return input | other if alpha else input
    return input + other * alpha if alpha != 1 else input + other


def _sub_promote(arrs, kinds):
    _check_broadcast(arrs)
    bools = [_operand_is_bool(a, k) for a, k in zip(arrs, kinds)]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return _promote(arrs, kinds, "all")


@op("input other", promote=_sub_promote, inplace=True, dunder="sub", saves=False)
def sub(input, other, *, alpha=1):
    """torchlike implementation of :func:`torch.sub`."""
    return input - other * alpha if alpha != 1 else input - other


def _check_alpha(input, other, alpha) -> None:
    # NOTE: checked outside the compiled function: statics 1, 1.0 and True share a cache key.
    rt = result_type(input, other)
    if isinstance(alpha, float) and not (rt.is_floating_point or rt.is_complex):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if isinstance(alpha, bool) and rt.name != "bool":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")


def _alpha_checked(public):
    """``public`` (add/sub) and its in-place method, with torch's checks of a non-int alpha."""
    entry, Tensor = public.entry, _install._tensor_cls()

    def fn(input, other, *, alpha=1, out=None):
        if alpha.__class__ is not int:
            _check_alpha(input, other, alpha)
        return public(input, other, alpha=alpha, out=out)

    def fn_(self, other, *, alpha=1):
        if alpha.__class__ is not int:
            _check_alpha(self, other, alpha)
        return inplace_call(entry, (self, other), (alpha,))

    fn.__name__, fn.__doc__, fn.entry = public.__name__, public.__doc__, entry
    FUNCTIONS[entry.name] = fn
    setattr(Tensor, entry.name, fn)
    setattr(Tensor, entry.name + "_", fn_)
    return fn


add = _alpha_checked(add)
sub = _alpha_checked(sub)


@op("input other", promote=_ALL, inplace=True, dunder="mul")
def mul(input, other):
    """torchlike implementation of :func:`torch.mul`."""
    if input.dtype == _BOOL:
        return input & other
    return input * other


def _to_default_float(*arrs):
    dt = get_default_dtype().np
    return tuple(a.astype(dt) if _is_int(a) else a for a in arrs)


def _floor_div(a, b, kernel="div_floor_cpu"):
    _no_bool(kernel, a)
    return jnp.floor_divide(a, b)


def _trunc_div(a, b):
    _no_bool("div_trunc_cpu", a)
    return lax.div(*jnp.broadcast_arrays(a, b)) if _is_int(a) else jnp.trunc(a / b)


@op("input other", promote=_FLOAT, inplace=True, dunder="truediv", grad_name="DivBackward0")
def true_divide(input, other):
    """torchlike implementation of :func:`torch.true_divide`."""
    return input / other


@op("input other", promote=_ALL, method=False, function=False, grad_name="DivBackward1")
def _div_mode(input, other, rounding_mode):
    if rounding_mode == "trunc":
        return _trunc_div(input, other)
    if rounding_mode == "floor":
        return _floor_div(input, other)
    raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


def div(input, other, *, rounding_mode=None, out=None):
    """torchlike implementation of :func:`torch.div`.

    Integer division by zero with ``rounding_mode`` gives an unspecified value (torch raises
    ``ZeroDivisionError``; a value-dependent check cannot run inside a compiled function)."""
    if rounding_mode is None:
        return true_divide(input, other, out=out)
    return _div_mode(input, other, rounding_mode, out=out)


def _div_(self, other, *, rounding_mode=None):
    if rounding_mode is None:
        return self.true_divide_(other)
    return inplace_call(_div_mode.entry, (self, other), (rounding_mode,))


FUNCTIONS["div"] = div
_install._tensor_cls().div = div
_install._tensor_cls().div_ = _div_


# NOTE: torch's floor_divide has no derivative (backward raises); div(rounding_mode="floor") has
# zero gradients.
@op("input other", promote=_ALL, inplace=True, dunder="floordiv", differentiable=False)
def floor_divide(input, other):
    """torchlike implementation of :func:`torch.floor_divide` (see :func:`div` on zero)."""
    return _floor_div(input, other)


@op("input other", promote=_ALL, inplace=True, dunder="mod")
def remainder(input, other):
    """torchlike implementation of :func:`torch.remainder` (Python's sign convention)."""
    _no_bool("remainder_cpu", input)
    return jnp.remainder(input, other)


@op("input other", promote=_ALL, inplace=True)
def fmod(input, other):
    """torchlike implementation of :func:`torch.fmod` (C's sign convention)."""
    _no_bool("fmod_cpu", input)
    return jnp.fmod(input, other)


@op("input", promote="all", inplace="function", saves=False)
def neg(input):
    """torchlike implementation of :func:`torch.neg`."""
    if input.dtype == _BOOL:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return -input


@op("input", saves=False)
def positive(input):
    """torchlike implementation of :func:`torch.positive`."""
    if input.dtype == _BOOL:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _abs(x):
    # NOTE: torch's abs has gradient sign(x), i.e. 0 at 0; jnp.abs's is 1 there.
    return x * jnp.sign(x) if _is_float(x) else jnp.abs(x)


@op("input", promote="all", inplace="function")
def abs(input):
    """torchlike implementation of :func:`torch.abs` (gradient 0 at 0, as torch)."""
    _no_bool("abs_cpu", input)
    return _abs(input)


@op("input", promote="float", inplace="function")
def reciprocal(input):
    """torchlike implementation of :func:`torch.reciprocal`."""
    return 1 / input


@op("input", promote="all", inplace="function")
def square(input):
    """torchlike implementation of :func:`torch.square` (bool squares to int64, as torch)."""
    if input.dtype == _BOOL:
        input = input.astype(jnp.int64)
    return input * input


def _int_pow(x, y):
    # torch: integer powers with a negative exponent are 0, except for bases 1 and -1.
    pos = jnp.power(x, jnp.maximum(y, 0).astype(y.dtype))
    one = jnp.ones((), x.dtype)
    odd = (y % 2) != 0
    neg = jnp.where(x == 1, one, jnp.where(x == -1, jnp.where(odd, -one, one), 0 * one))
    return jnp.where(y < 0, neg, pos) if _i(y.dtype, jnp.signedinteger) else pos


def _pow_promote(arrs, kinds):
    _check_broadcast(arrs)
    # torch allows a bool tensor to a Python bool power, not a bool tensor exponent
    if kinds[1] == 0 and _operand_is_bool(arrs[0], kinds[0]) and arrs[1].dtype == _BOOL:
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    return _promote(arrs, kinds, "all")


@op("input exponent", promote=_pow_promote, inplace=True, dunder="pow")
def pow(input, exponent):
    """torchlike implementation of :func:`torch.pow`."""
    if input.dtype == _BOOL:  # a bool tensor to a Python bool power
        return input | ~exponent
    if _is_int(input):
        return _int_pow(input, exponent)
    # NOTE: torch's d/dinput of x**0 is 0 even at x=0 (JAX's is 0*inf = nan); the base is
    # stop_gradient-ed where the exponent is 0 (the value, and d/dexponent, are unchanged).
    base = jnp.where(exponent == 0, lax.stop_gradient(input), input)
    return jnp.power(base, exponent)


def _float_power_promote(arrs, kinds):
    _check_broadcast(arrs)
    cplx = any(a is not None and _i(a.dtype, jnp.complexfloating) for a in arrs)
    dt = jnp.complex128 if cplx else jnp.float64
    return tuple(a.astype(dt) for a in arrs)


@op("input exponent", promote=_float_power_promote)
def float_power(input, exponent):
    """torchlike implementation of :func:`torch.float_power` (computes in float64/complex128)."""
    base = jnp.where(exponent == 0, lax.stop_gradient(input), input)
    return jnp.power(base, exponent)


def _float_power_(self, exponent):
    cplx = self.is_complex() or isinstance(exponent, complex) or (
        isinstance(exponent, _install._tensor_cls()) and exponent.is_complex())
    want = complex128 if cplx else float64
    if self.dtype is not want:
        raise RuntimeError(f"the base given to float_power_ has dtype {_type_name(self.dtype)} but "
                           f"the operation's result requires dtype {_type_name(want)}")
    return inplace_call(float_power.entry, (self, exponent), ())


_install._tensor_cls().float_power_ = _float_power_
_POW_NEG_INT = "Integers to negative integer powers are not allowed."


def _pow_checked(public):
    entry = public.entry
    Tensor = _install._tensor_cls()

    def pow(input, exponent, *, out=None):
        if (type(exponent) is int and exponent < 0 and isinstance(input, Tensor)
                and not (input.dtype.is_floating_point or input.dtype.is_complex)):
            raise RuntimeError(_POW_NEG_INT)
        return public(input, exponent, out=out)

    def pow_(self, exponent):
        if (type(exponent) is int and exponent < 0
                and not (self.dtype.is_floating_point or self.dtype.is_complex)):
            raise RuntimeError(_POW_NEG_INT)
        return inplace_call(entry, (self, exponent), ())

    pow.__doc__ = public.__doc__
    pow.entry = entry
    FUNCTIONS["pow"] = pow
    Tensor.pow = pow
    Tensor.pow_ = pow_
    Tensor.__pow__ = lambda self, other: pow(self, other)
    Tensor.__ipow__ = pow_
    return pow


def _float_op(name: str, f, *, inplace="function", doc: str = ""):
    """An "int to float" unary op: integer/bool inputs compute in the default float dtype."""
    def fn(input):
        return f(input)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`.{doc}"
    return op("input", promote="float", inplace=inplace)(fn)


sqrt = _float_op("sqrt", jnp.sqrt)
rsqrt = _float_op("rsqrt", lax.rsqrt)
exp = _float_op("exp", jnp.exp)
exp2 = _float_op("exp2", jnp.exp2)
expm1 = _float_op("expm1", jnp.expm1)
log = _float_op("log", jnp.log)
log2 = _float_op("log2", jnp.log2)
log10 = _float_op("log10", jnp.log10)
log1p = _float_op("log1p", jnp.log1p)
sigmoid = _float_op("sigmoid", jax.nn.sigmoid)
sin = _float_op("sin", jnp.sin)
cos = _float_op("cos", jnp.cos)
tan = _float_op("tan", jnp.tan)
asin = _float_op("asin", jnp.arcsin)
acos = _float_op("acos", jnp.arccos)
atan = _float_op("atan", jnp.arctan)
sinh = _float_op("sinh", jnp.sinh)
cosh = _float_op("cosh", jnp.cosh)
tanh = _float_op("tanh", jnp.tanh)
asinh = _float_op("asinh", jnp.arcsinh)
acosh = _float_op("acosh", jnp.arccosh)
atanh = _float_op("atanh", jnp.arctanh)
erf = _float_op("erf", lax.erf)
erfc = _float_op("erfc", lax.erfc)
erfinv = _float_op("erfinv", lax.erf_inv, inplace=True)
lgamma = _float_op("lgamma", lax.lgamma, inplace=True)
def _cot_derivative(x, n):
    """The n-th derivative of ``pi * cot(pi * x)`` (nested JVPs of an elementwise function)."""
    def f(y):
        return math.pi / jnp.tan(math.pi * y)
    for _ in range(n):
        f = (lambda g: lambda y: jax.jvp(g, (y,), (jnp.ones_like(y),))[1])(f)
    return f(x)


def _polygamma_raw(n, x):
    # NOTE: jax.scipy's polygamma (and digamma's derivative) are wrong for x < 0; the reflection
    # formula psi_n(x) = (-1)^n psi_n(1 - x) - d^n/dx^n pi cot(pi x) moves x to the right half
    # (in double precision: cot's derivatives near the poles need it).
    dt, x = x.dtype, x.astype(jnp.float64)
    left = x < 0.5
    xr = jnp.where(left, 1 - x, x)
    base = lax.digamma(xr) if n == 0 else jss.polygamma(n, xr)
    refl = (-1) ** n * base - _cot_derivative(jnp.where(left, x, 0.25), n)
    out = jnp.where(left, refl, base)
    if n == 0:  # torch: digamma(+-0) is -+inf; the poles at negative integers are NaN
        out = jnp.where(x == 0, jnp.copysign(jnp.inf, -x).astype(x.dtype), out)
    return jnp.where(left & (x == jnp.floor(x)) & (x != 0), jnp.nan, out).astype(dt)


def _digamma(x):
    return _polygamma_raw(0, x)


digamma = _float_op("digamma", _digamma, inplace=True)
i0 = _float_op("i0", lambda x: jss.i0e(x) * jnp.exp(_abs(x)),
               doc=" (gradient 0 at 0, as torch)")
sinc = _float_op("sinc", jnp.sinc)
deg2rad = _float_op("deg2rad", jnp.deg2rad)
rad2deg = _float_op("rad2deg", jnp.rad2deg)

for _a, _t in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"),
               ("arccosh", "acosh"), ("arctanh", "atanh"), ("negative", "neg"),
               ("multiply", "mul"), ("subtract", "sub"), ("divide", "div")):
    _alias(_a, _t)
_alias("absolute", "abs", fn_inplace=False)
del _a, _t


@op("input", promote="float", inplace="function")
def logit(input, eps=None):
    """torchlike implementation of :func:`torch.logit`."""
    if eps is not None:
        # NOTE: torch's gradient is 0 outside [eps, 1 - eps] and 1/(x(1-x)) at the bounds.
        lo, hi = eps, 1 - eps
        input = jnp.where((input >= lo) & (input <= hi), input, jnp.clip(input, lo, hi))
    return jnp.log(input / (1 - input))


@op("input", promote="float", method=False, function=False, grad_name="PolygammaBackward0")
def _polygamma(input, n):
    return _polygamma_raw(n, input)


def polygamma(n, input, *, out=None):
    """torchlike implementation of :func:`torch.polygamma`."""
    return _polygamma(input, n, out=out)


def _polygamma_method(self, n):
    return _polygamma(self, n)


def _polygamma_(self, n):
    return inplace_call(_polygamma.entry, (self,), (n,))


FUNCTIONS["polygamma"] = polygamma
_special("polygamma", polygamma)
_install._tensor_cls().polygamma = _polygamma_method
_install._tensor_cls().polygamma_ = _polygamma_


@op("input other", promote=_FLOAT, inplace=True)
def atan2(input, other):
    """torchlike implementation of :func:`torch.atan2`."""
    return jnp.arctan2(input, other)


_alias("arctan2", "atan2")


@op("input other", promote=_ALL, inplace=True)
def hypot(input, other):
    """torchlike implementation of :func:`torch.hypot`."""
    _no_int("hypot_cpu", input)
    return jnp.hypot(input, other)


# -- rounding and sign --------------------------------------------------------------------------

def _round_op(name: str, f):
    def fn(input):
        _no_bool(f"{name}_vml_cpu", input)
        return input if _is_int(input) else f(input)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return op("input", promote="all", inplace="function", saves=False)(fn)


floor = _round_op("floor", jnp.floor)
ceil = _round_op("ceil", jnp.ceil)
trunc = _round_op("trunc", jnp.trunc)
_alias("fix", "trunc")


@op("input", promote="all", inplace="function", saves=False)
def round(input, *, decimals=0):
    """torchlike implementation of :func:`torch.round` (half to even)."""
    if decimals != 0:
        _no_int("round_cpu", input)
        if decimals > 0:
            ten = float(10 ** decimals)
            return jnp.round(input * ten) / ten
        ten = float(10 ** -decimals)
        return jnp.round(input / ten) * ten
    _no_bool("round_vml_cpu", input)
    return input if _is_int(input) else jnp.round(input)


@op("input", inplace="function", saves=False)
def frac(input):
    """torchlike implementation of :func:`torch.frac`."""
    _no_int("frac_cpu", input)
    return input - jnp.trunc(input)


@op("input", inplace=True, saves=False)
def sign(input):
    """torchlike implementation of :func:`torch.sign`."""
    return input if input.dtype == _BOOL else jnp.sign(input)


@op("input", inplace=True)
def sgn(input):
    """torchlike implementation of :func:`torch.sgn` (``x / |x|`` for complex inputs)."""
    if _i(input.dtype, jnp.complexfloating):
        mag = jnp.abs(input)
        safe = jnp.where(mag == 0, jnp.ones_like(mag), mag)
        return jnp.where(mag == 0, jnp.zeros_like(input), input / safe)
    return input if input.dtype == _BOOL else jnp.sign(input)


@op("input", differentiable=False)
def signbit(input):
    """torchlike implementation of :func:`torch.signbit`."""
    if input.dtype == _BOOL:
        return jnp.zeros(input.shape, _BOOL)
    return jnp.signbit(input)


@op("input other", promote=_FLOAT, inplace=True)
def copysign(input, other):
    """torchlike implementation of :func:`torch.copysign` (gradient 0 at input 0, as torch)."""
    mag = _abs(input)
    return jnp.where(jnp.signbit(other), -mag, mag)


# -- clamping, interpolation, selection ---------------------------------------------------------

def _clamp(input, min, max):
    # NOTE: torch passes the gradient to ``input`` wherever min <= input <= max (bounds included)
    # and gives NaN when a bound is NaN; jnp.clip's max/min split ties 50/50.
    out = input
    if min is not None:
        below = input < min
        if _is_float(min):
            below = below | jnp.isnan(min)
        out = jnp.where(below, min, out)
    if max is not None:
        above = out > max
        if _is_float(max):
            above = above | jnp.isnan(max)
        out = jnp.where(above, max, out)
    return out


@op("input min max", promote=_ALL, inplace="function")
def clamp(input, min=None, max=None):
    """torchlike implementation of :func:`torch.clamp` (gradient passes at the bounds)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input.dtype == _BOOL:
        _not_impl("clamp_scalar_cpu", input)
    return _clamp(input, min, max)


_alias("clip", "clamp")


@op("input min", promote=_ALL, inplace="function")
def clamp_min(input, min):
    """torchlike implementation of :func:`torch.clamp_min`."""
    _no_bool("clamp_min_scalar_cpu", input)
    return _clamp(input, min, None)


@op("input max", promote=_ALL, inplace="function")
def clamp_max(input, max):
    """torchlike implementation of :func:`torch.clamp_max`."""
    _no_bool("clamp_max_scalar_cpu", input)
    return _clamp(input, None, max)


def _lerp_promote(arrs, kinds):
    _check_broadcast(arrs)
    start = arrs[0]
    for name, a, k in (("end", arrs[1], kinds[1]), ("weight", arrs[2], kinds[2])):
        if k == 0 and a.dtype != start.dtype and (name == "end" or a.ndim):
            raise RuntimeError(f"expected dtype {_tn(start).lower()} for `{name}` but got dtype "
                               f"{from_np(a.dtype).name.replace('float64', 'double')}")
    return arrs[0], arrs[1], arrs[2].astype(start.dtype)


@op("input end weight", promote=_lerp_promote, inplace=True)
def lerp(input, end, weight):
    """torchlike implementation of :func:`torch.lerp`."""
    if _is_int(input):
        _not_impl("lerp_kernel_scalar", input)
    diff = end - input
    return jnp.where(jnp.abs(weight) < 0.5, input + weight * diff, end - diff * (1 - weight))


def _value(x, value):
    return jnp.asarray(value, x.dtype)


@op("input tensor1 tensor2", promote=_ALL, inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1):
    """torchlike implementation of :func:`torch.addcmul`."""
    prod = tensor1 * tensor2
    return input + prod if value == 1 else input + _value(input, value) * prod


_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes.")


@op("input tensor1 tensor2", promote=_ALL, inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1):
    """torchlike implementation of :func:`torch.addcdiv`."""
    if _is_int(tensor1):
        raise RuntimeError(_ADDCDIV_INT)
    q = tensor1 / tensor2
    return input + q if value == 1 else input + _value(input, value) * q


def _no_complex(name, a) -> None:
    if _i(a.dtype, jnp.complexfloating):
        raise RuntimeError(f"{name} not implemented for complex tensors.")


@op("input other", promote=_ALL)
def maximum(input, other):
    """torchlike implementation of :func:`torch.maximum` (ties split the gradient, as torch)."""
    _no_complex("maximum", input)
    return jnp.maximum(input, other)


@op("input other", promote=_ALL)
def minimum(input, other):
    """torchlike implementation of :func:`torch.minimum` (ties split the gradient, as torch)."""
    _no_complex("minimum", input)
    return jnp.minimum(input, other)


@op("input other", promote=_ALL)
def fmax(input, other):
    """torchlike implementation of :func:`torch.fmax`."""
    if _is_int(input):
        return jnp.maximum(input, other)
    # NOTE: torch sends the whole gradient to ``input`` at ties (no 50/50 split as in maximum).
    return jnp.where((input >= other) | jnp.isnan(other), input, other)


@op("input other", promote=_ALL)
def fmin(input, other):
    """torchlike implementation of :func:`torch.fmin`."""
    if _is_int(input):
        return jnp.minimum(input, other)
    # NOTE: as fmax: ties send the gradient to ``input``.
    return jnp.where((input <= other) | jnp.isnan(other), input, other)


def _where_promote(arrs, kinds):
    _check_broadcast(arrs)
    return (arrs[0],) + _promote(arrs[1:], kinds[1:], "all")


@op("condition input other", promote=_where_promote, method=False, function=False, saves=False)
def _where(condition, input, other):
    if condition.dtype != _BOOL:
        if condition.dtype != jnp.uint8:
            raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                               f"with dtype {_tn(condition)}")
        condition = condition != 0
    return jnp.where(condition, input, other)


def where(condition, input=None, other=None, *, out=None):
    """torchlike implementation of :func:`torch.where`; ``where(condition)`` is
    ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return FUNCTIONS["nonzero"](condition, as_tuple=True)
    return _where(condition, input, other, out=out)


def _where_method(self, condition, other):
    return _where(condition, self, other)


FUNCTIONS["where"] = where
_install._tensor_cls().where = _where_method


# -- special functions ----------------------------------------------------------------------------

@op("input other", promote=_FLOAT, inplace="function")
def xlogy(input, other):
    """torchlike implementation of :func:`torch.xlogy` (0 where ``input`` is 0, unless NaN)."""
    # NOTE: only 0 * log(y <= 0) needs masking; elsewhere the product gives torch's value and its
    # gradient log(y) w.r.t. input (also at input == 0).
    return jnp.where((input == 0) & (other <= 0), jnp.zeros_like(input), input * jnp.log(other))


@op("input", promote="all", inplace="function")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """torchlike implementation of :func:`torch.nan_to_num`."""
    if _is_int(input):
        return input
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


def _same_dtype_promote(arrs, kinds):
    _check_broadcast(arrs)
    a, b = arrs
    if a.dtype != b.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return arrs


@op("input values", promote=_same_dtype_promote, inplace=True, differentiable=False)
def heaviside(input, values):
    """torchlike implementation of :func:`torch.heaviside`."""
    zero = jnp.zeros((), input.dtype)
    return jnp.where(input == 0, values, (input > zero).astype(input.dtype))


@op("input other", promote=_FLOAT, inplace="function")
def ldexp(input, other):
    """torchlike implementation of :func:`torch.ldexp`."""
    return input * jnp.exp2(other)


@op("input other", promote=_ALL)
def logaddexp(input, other):
    """torchlike implementation of :func:`torch.logaddexp`."""
    _no_int("logaddexp_cpu", input)
    return jnp.logaddexp(input, other)


@op("input other", promote=_ALL)
def logaddexp2(input, other):
    """torchlike implementation of :func:`torch.logaddexp2`."""
    _no_int("logaddexp2_cpu", input)
    return jnp.logaddexp2(input, other)


@op("input", promote="float", method=False, namespace="special", grad_name="SpecialEntrBackward0")
def entr(input):
    """torchlike implementation of :func:`torch.special.entr`."""
    # NOTE: no "safe where": torch's gradient -(1 + log x) is NaN for x < 0, and so is this one.
    inner = jnp.where(input == 0, jnp.zeros_like(input), jnp.full_like(input, -jnp.inf))
    return jnp.where(input > 0, -input * jnp.log(input),
                     jnp.where(jnp.isnan(input), input, inner))


def _special_op(name: str, f):
    def fn(input):
        return f(input)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.special.{name}`."
    camel = "".join(p.capitalize() for p in name.split("_"))
    return op("input", promote="float", method=False, namespace="special",
              grad_name=f"Special{camel}Backward0")(fn)


ndtr = _special_op("ndtr", jss.ndtr)
ndtri = _special_op("ndtri", jss.ndtri)
log_ndtr = _special_op("log_ndtr", jss.log_ndtr)
i0e = _special_op("i0e", jss.i0e)
i1 = _special_op("i1", jss.i1)
i1e = _special_op("i1e", jss.i1e)


@op("input other", promote=_FLOAT, method=False, namespace="special",
    grad_name="SpecialXlog1PyBackward0")
def xlog1py(input, other):
    """torchlike implementation of :func:`torch.special.xlog1py`."""
    return jnp.where((input == 0) & (other <= -1), jnp.zeros_like(input),
                     input * jnp.log1p(other))


for _a, _t in (("expit", "sigmoid"), ("erf", "erf"), ("erfc", "erfc"), ("erfinv", "erfinv"),
               ("logit", "logit"), ("xlogy", "xlogy"), ("log1p", "log1p"), ("expm1", "expm1"),
               ("exp2", "exp2"), ("gammaln", "lgamma"), ("digamma", "digamma"),
               ("psi", "digamma"), ("i0", "i0"), ("sinc", "sinc"), ("round", "round")):
    _special(_a, FUNCTIONS[_t])
del _a, _t


# -- predicates and complex parts -----------------------------------------------------------------

def _predicate(name: str, f_float, f_int):
    def fn(input):
        return (f_float if _i(input.dtype, jnp.inexact) else f_int)(input)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return op("input", differentiable=False)(fn)


def _false(x):
    return jnp.zeros(x.shape, _BOOL)


def _true(x):
    return jnp.ones(x.shape, _BOOL)


isnan = _predicate("isnan", jnp.isnan, _false)
isinf = _predicate("isinf", jnp.isinf, _false)
isposinf = _predicate("isposinf", jnp.isposinf, _false)
isneginf = _predicate("isneginf", jnp.isneginf, _false)
isfinite = _predicate("isfinite", jnp.isfinite, _true)
isreal = _predicate("isreal", lambda x: jnp.imag(x) == 0 if jnp.iscomplexobj(x) else _true(x),
                    _true)


@op("input other", promote=_SHAPES, differentiable=False)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """torchlike implementation of :func:`torch.isclose`."""
    if input.dtype != other.dtype:
        raise RuntimeError(f"{_tn(input)} did not match {_tn(other)}")
    close = input == other
    if equal_nan and not _is_int(input):
        close = close | (jnp.isnan(input) & jnp.isnan(other))
    if rtol == 0 and atol == 0:
        return close
    a, b = _to_default_float(input, other) if _is_int(input) else (input, other)
    err = jnp.abs(a - b)
    return close | (jnp.isfinite(err) & (err <= atol + jnp.abs(rtol * b)))


@op("input other", promote=_SHAPES, differentiable=False, method=False, function=False)
def _allclose(input, other, rtol, atol, equal_nan):
    return jnp.all(isclose.entry.fn(input, other, rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """torchlike implementation of :func:`torch.allclose`."""
    return bool(_allclose(input, other, rtol, atol, equal_nan))


@op("input other", promote=_ALL, differentiable=False, method=False, function=False)
def _equal(input, other):
    return jnp.all(input == other)


def equal(input, other) -> bool:
    """torchlike implementation of :func:`torch.equal`."""
    if input.shape != other.shape:
        return False
    return bool(_equal(input, other))


FUNCTIONS["allclose"], FUNCTIONS["equal"] = allclose, equal
_install._tensor_cls().allclose = allclose
_install._tensor_cls().equal = equal


@op("input", method=False, saves=False)
def real(input):
    """torchlike implementation of :func:`torch.real` (a copy, not a view)."""
    return jnp.real(input) if jnp.iscomplexobj(input) else input


@op("input", method=False, saves=False)
def imag(input):
    """torchlike implementation of :func:`torch.imag` (a copy, not a view)."""
    if not jnp.iscomplexobj(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return jnp.imag(input)


_install._tensor_cls().real = property(real)
_install._tensor_cls().imag = property(imag)


@op("input", saves=False)
def conj(input):
    """torchlike implementation of :func:`torch.conj` (a copy, not a lazy conjugate view)."""
    return jnp.conj(input) if jnp.iscomplexobj(input) else input


@op("input", promote="float")
def angle(input):
    """torchlike implementation of :func:`torch.angle`."""
    if jnp.iscomplexobj(input):
        return jnp.angle(input)
    pi = jnp.asarray(math.pi, input.dtype)
    return jnp.where(jnp.isnan(input), input, jnp.where(input < 0, pi, 0 * pi))


@op("input", promote="all", inplace="function")
def relu(input):
    """torchlike implementation of :func:`torch.relu` (gradient 0 at 0, as torch)."""
    if input.dtype == _BOOL:
        raise RuntimeError("Boolean inputs not supported for relu")
    return jnp.where(input > 0, input, jnp.zeros((), input.dtype))


# -- comparisons --------------------------------------------------------------------------------

def _cmp(name, f, dunder):
    def fn(input, other):
        return f(input, other)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return op("input other", promote=_ALL, inplace=True, differentiable=False, dunder=dunder,
              rdunder=False)(fn)


eq = _cmp("eq", lambda a, b: a == b, "eq")
ne = _cmp("ne", lambda a, b: a != b, "ne")
lt = _cmp("lt", lambda a, b: a < b, "lt")
le = _cmp("le", lambda a, b: a <= b, "le")
gt = _cmp("gt", lambda a, b: a > b, "gt")
ge = _cmp("ge", lambda a, b: a >= b, "ge")

for _a, _t in (("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"), ("less_equal", "le"),
               ("not_equal", "ne")):
    _alias(_a, _t)
del _a, _t


# -- logical and bitwise ------------------------------------------------------------------------

def _logical(name, f):
    def fn(input, other):
        return f(input != 0, other != 0)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return op("input other", promote=_SHAPES, inplace=True, differentiable=False)(fn)


logical_and = _logical("logical_and", jnp.logical_and)
logical_or = _logical("logical_or", jnp.logical_or)
logical_xor = _logical("logical_xor", jnp.logical_xor)


@op("input", inplace=True, differentiable=False)
def logical_not(input):
    """torchlike implementation of :func:`torch.logical_not`."""
    return input == 0


def _bitwise(name, f, kernel, dunder):
    def fn(input, other):
        if not _is_int(input):
            _not_impl(kernel, input)
        return f(input, other)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.{name}`."
    return op("input other", promote=_ALL, inplace=True, differentiable=False,
              dunder=dunder)(fn)


bitwise_and = _bitwise("bitwise_and", jnp.bitwise_and, "bitwise_and_cpu", "and")
bitwise_or = _bitwise("bitwise_or", jnp.bitwise_or, "bitwise_or_cpu", "or")
bitwise_xor = _bitwise("bitwise_xor", jnp.bitwise_xor, "bitwise_xor_cpu", "xor")
bitwise_left_shift = _bitwise("bitwise_left_shift", jnp.left_shift, "lshift_cpu", "lshift")
bitwise_right_shift = _bitwise("bitwise_right_shift", jnp.right_shift, "rshift_cpu", "rshift")


@op("input", inplace=True, differentiable=False)
def bitwise_not(input):
    """torchlike implementation of :func:`torch.bitwise_not`."""
    if not _is_int(input):
        _not_impl("bitwise_not_cpu", input)
    return jnp.logical_not(input) if input.dtype == _BOOL else jnp.invert(input)


def _invert(self):
    if not _is_int(self._arr):
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


def _install_unary_dunders() -> None:
    Tensor = _install._tensor_cls()
    Tensor.__neg__ = lambda self: neg(self)
    Tensor.__pos__ = lambda self: positive(self)
    Tensor.__abs__ = lambda self: abs(self)
    Tensor.__invert__ = _invert


_install_unary_dunders()
pow = _pow_checked(pow)


# -- reversed, number-theoretic and floating-point decomposition ops ----------------------------

@op("input other", promote=_sub_promote, method=False, saves=False)
def rsub(input, other, *, alpha=1):
    """torchlike implementation of :func:`torch.rsub` (``other - alpha * input``)."""
    return other - input * alpha if alpha != 1 else other - input


_install._tensor_cls().__rdiv__ = _install._tensor_cls().__rtruediv__


def _int_only(kernel, *arrs) -> None:
    for a in arrs:
        if not _is_int(a) or a.dtype == _BOOL:
            _not_impl(kernel, a)


@op("input other", promote=_ALL, inplace=True, differentiable=False)
def gcd(input, other):
    """torchlike implementation of :func:`torch.gcd`."""
    _int_only("gcd_cpu", input)
    return jnp.gcd(input, other)


@op("input other", promote=_ALL, inplace=True, differentiable=False)
def lcm(input, other):
    """torchlike implementation of :func:`torch.lcm`."""
    _int_only("lcm_cpu", input)
    return jnp.lcm(input, other)


@op("input", returns="mantissa exponent")
def frexp(input):
    """torchlike implementation of :func:`torch.frexp` (an int32 exponent, as torch)."""
    if not _is_float(input):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    _, e = jnp.frexp(input)
    # NOTE: the mantissa as x * 2**-e (e constant) gives torch's gradient 2**-e.
    scale = jnp.exp2(-e.astype(input.dtype))
    finite = jnp.isfinite(input)
    return jnp.where(finite, input * scale, input), jnp.where(finite, e, 0).astype(jnp.int32)


@op("input other", promote=_ALL, inplace=True)
def nextafter(input, other):
    """torchlike implementation of :func:`torch.nextafter`."""
    _no_int("nextafter_cpu", input)
    nxt = jnp.nextafter(lax.stop_gradient(input), lax.stop_gradient(other))
    # NOTE: torch's gradient is 1 w.r.t. input and 0 w.r.t. other (a step of one ulp).
    return jnp.where(jnp.isfinite(input), nxt + (input - lax.stop_gradient(input)), nxt)


# -- complex construction -------------------------------------------------------------------------

def _complex_promote(name):
    def promote(arrs, kinds):
        _check_broadcast(arrs)
        a, b = arrs
        for x in arrs:
            if not _is_float(x):
                raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but "
                                   f"got {_tn(a)} and {_tn(b)}")
        if a.dtype != b.dtype:
            raise RuntimeError(f"Expected object of scalar type {_tn(a)} but got scalar type "
                               f"{_tn(b)} for second argument")
        return arrs
    return promote


def _to_complex(re, im):
    dt = jnp.complex128 if re.dtype == jnp.float64 else jnp.complex64
    return lax.complex(*jnp.broadcast_arrays(re, im)).astype(dt)


@op("real imag", name="complex", promote=_complex_promote("complex"), method=False)
def complex_(real, imag):
    """torchlike implementation of :func:`torch.complex`."""
    return _to_complex(real, imag)


@op("abs angle", promote=_complex_promote("polar"), method=False)
def polar(abs, angle):
    """torchlike implementation of :func:`torch.polar`."""
    return _to_complex(abs * jnp.cos(angle), abs * jnp.sin(angle))


@op("input", method=False, saves=False)
def view_as_real(input):
    """torchlike implementation of :func:`torch.view_as_real` (a copy, not a view)."""
    if not jnp.iscomplexobj(input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return jnp.stack([jnp.real(input), jnp.imag(input)], axis=-1)


@op("input", method=False, saves=False)
def view_as_complex(input):
    """torchlike implementation of :func:`torch.view_as_complex` (a copy, not a view)."""
    if input.dtype not in (jnp.float32, jnp.float64, jnp.float16):
        raise RuntimeError("view_as_complex is only supported for floating point tensors, but got "
                           f"a tensor of scalar type: {_tn(input)}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    return _to_complex(input[..., 0], input[..., 1])


@op("input", saves=False, inplace=True, grad_name="ConjPhysicalBackward0")
def conj_physical(input):
    """torchlike implementation of :func:`torch.conj_physical`."""
    return jnp.conj(input) if jnp.iscomplexobj(input) else input


def _identity(name):
    def fn(input):
        return input
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"torchlike implementation of :func:`torch.{name}` (conjugation and negation are "
                  f"never lazy here, so this returns ``input``).")
    FUNCTIONS[name] = fn
    setattr(_install._tensor_cls(), name, fn)


_identity("resolve_conj")
_identity("resolve_neg")


# -- membership -----------------------------------------------------------------------------------

@op("elements test_elements", promote="all", method=False, differentiable=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """torchlike implementation of :func:`torch.isin`."""
    hit = jnp.any(elements[..., None] == jnp.ravel(test_elements), axis=-1)
    return ~hit if invert else hit


# -- more special functions -----------------------------------------------------------------------

@op("input other", promote=_FLOAT, inplace=True, differentiable=False)
def igamma(input, other):
    """torchlike implementation of :func:`torch.igamma` (no gradient, as torch's w.r.t. input)."""
    return jss.gammainc(input, other)


@op("input other", promote=_FLOAT, inplace=True, differentiable=False)
def igammac(input, other):
    """torchlike implementation of :func:`torch.igammac`."""
    return jss.gammaincc(input, other)


_special("gammainc", FUNCTIONS["igamma"])
_special("gammaincc", FUNCTIONS["igammac"])


@op("input", promote="float", inplace=True)
def mvlgamma(input, p):
    """torchlike implementation of :func:`torch.mvlgamma`.

    torch raises when an element is not greater than ``(p - 1) / 2``; that check depends on the
    values, so here such elements give the (NaN or inf) value of the formula instead."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    i = jnp.arange(p, dtype=input.dtype) / 2
    const = p * (p - 1) / 4 * math.log(math.pi)
    return jnp.sum(lax.lgamma(input[..., None] - i), axis=-1) + jnp.asarray(const, input.dtype)


_special("multigammaln", FUNCTIONS["mvlgamma"])
