"""More of :mod:`torch.special`: orthogonal polynomials, Bessel functions, ``zeta``, ``erfcx``.

The polynomials take the degree ``n`` as a tensor (torch truncates it to an integer), so their
three-term recurrences run in a ``lax.while_loop`` up to the largest degree, keeping each
element's value at its own degree; torch's closed forms (``cos(n acos x)`` and friends for large
degrees inside (-1, 1)) and its special cases at |x| = 1 are reproduced.

The Bessel functions of integer order are computed in float64 and cast back: their power series
for small arguments and their Hankel asymptotic expansions for large ones (J0, J1, Y0, Y1), and
the even integral ``K_v(x) = int_0^inf exp(-x cosh t) cosh(v t) dt`` summed with the trapezoidal
rule, which converges exponentially for such integrands (K0, K1 and their scaled forms).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import jax.scipy.special as jss
import numpy as np
from jax import lax

from ._install import NAMESPACES
from .registry import op

_EULER = 0.5772156649015329


def _special(fn):
    NAMESPACES.setdefault("special", {})[fn.__name__] = fn
    return fn


def _f64(x):
    return x.astype(jnp.float64)


def _grad_name(name):
    return "Special" + "".join(p.capitalize() for p in name.split("_")) + "Backward0"


# -- orthogonal polynomials -----------------------------------------------------------------------

def _recurrence(x, n, p0, p1, step):
    """``p_n(x)`` elementwise from ``p_{k+1} = step(k, p_{k-1}, p_k)`` (n >= 2 where used)."""
    x, n = jnp.broadcast_arrays(x, n)
    top = jnp.max(n, initial=1)

    def cond(c):
        return c[0] < top

    def body(c):
        k, p, q, out = c
        r = step(k, p, q)
        out = jnp.where(n == k + 1, r, out)
        return k + 1, q, r, out

    init = (jnp.ones((), n.dtype), jnp.broadcast_to(p0, x.shape).astype(x.dtype),
            jnp.broadcast_to(p1, x.shape).astype(x.dtype), jnp.zeros_like(x))
    out = lax.while_loop(cond, body, init)[3]
    out = jnp.where(n == 0, jnp.broadcast_to(p0, x.shape).astype(x.dtype), out)
    out = jnp.where(n == 1, jnp.broadcast_to(p1, x.shape).astype(x.dtype), out)
    return jnp.where(n < 0, jnp.zeros_like(x), out)


def _degree(n):
    """torch truncates a floating degree to int64."""
    return n.astype(jnp.int64)


def _poly_op(name):
    """Register ``f(x, n)`` as ``torch.special.<name>(input, n)``; returns ``f`` itself."""
    def deco(f):
        def fn(input, n):
            return f(input, _degree(n))
        fn.__name__ = name
        fn.__doc__ = f"torchlike implementation of :func:`torch.special.{name}`."
        _special(op("input n", promote="float", method=False, function=False,
                    differentiable=False, grad_name=_grad_name(name))(fn))
        return f
    return deco


def _odd(n):
    return n % 2 != 0


@_poly_op("chebyshev_polynomial_t")
def _cheb_t(x, n):
    rec = _recurrence(x, n, 1.0, x, lambda k, p, q: 2 * x * q - p)
    big = (n > 6) & (jnp.abs(x) < 1)
    out = jnp.where(big, jnp.cos(n * jnp.arccos(x)), rec)
    edge = jnp.where((x > 0) | ~_odd(n), 1.0, -1.0).astype(x.dtype)
    return jnp.where((jnp.abs(x) == 1) & (n >= 0), edge, out)


@_poly_op("chebyshev_polynomial_u")
def _cheb_u(x, n):
    rec = _recurrence(x, n, 1.0, 2 * x, lambda k, p, q: 2 * x * q - p)
    t = jnp.arccos(x)
    s = jnp.sin(t)
    closed = jnp.where(s != 0, jnp.sin((n + 1) * t) / jnp.where(s != 0, s, 1),
                       (n + 1) * jnp.cos((n + 1) * t) / x)
    out = jnp.where((n > 8) & (jnp.abs(x) < 1), closed, rec)
    edge = jnp.where((x > 0) | ~_odd(n), n + 1, -(n + 1)).astype(x.dtype)
    return jnp.where((jnp.abs(x) == 1) & (n >= 0), edge, out)


@_poly_op("chebyshev_polynomial_v")
def _cheb_v(x, n):
    rec = _recurrence(x, n, 1.0, 2 * x - 1, lambda k, p, q: 2 * x * q - p)
    t = jnp.arccos(x)
    half = jnp.cos(t / 2)
    odd_val = jnp.where(_odd(n), -(2 * n + 1), 2 * n + 1).astype(x.dtype)
    closed = jnp.where(jnp.sin(t / 2) != 1, jnp.cos((n + 0.5) * t) / jnp.where(half != 0, half, 1),
                       odd_val)
    out = jnp.where((n > 8) & (jnp.abs(x) < 1), closed, rec)
    edge = jnp.where(x > 0, jnp.ones_like(x), odd_val)
    return jnp.where((jnp.abs(x) == 1) & (n >= 0), edge, out)


@_poly_op("chebyshev_polynomial_w")
def _cheb_w(x, n):
    rec = _recurrence(x, n, 1.0, 2 * x + 1, lambda k, p, q: 2 * x * q - p)
    t = jnp.arccos(x)
    half = jnp.sin(t / 2)
    sign_val = jnp.where(_odd(n), -1.0, 1.0).astype(x.dtype)
    pos_val = (2 * n + 1).astype(x.dtype)
    closed = jnp.where(jnp.cos(t / 2) != 1, jnp.sin((n + 0.5) * t) / jnp.where(half != 0, half, 1),
                       jnp.where(x > 0, pos_val, sign_val))
    out = jnp.where((n > 8) & (jnp.abs(x) < 1), closed, rec)
    edge = jnp.where(x > 0, pos_val, sign_val)
    return jnp.where((jnp.abs(x) == 1) & (n >= 0), edge, out)


@_poly_op("shifted_chebyshev_polynomial_t")
def _scheb_t(x, n):
    return _cheb_t(2 * x - 1, n)


@_poly_op("shifted_chebyshev_polynomial_u")
def _scheb_u(x, n):
    return _cheb_u(2 * x - 1, n)


@_poly_op("shifted_chebyshev_polynomial_v")
def _scheb_v(x, n):
    return _cheb_v(2 * x - 1, n)


@_poly_op("shifted_chebyshev_polynomial_w")
def _scheb_w(x, n):
    return _cheb_w(2 * x - 1, n)


@_poly_op("hermite_polynomial_h")
def _hermite_h(x, n):
    return _recurrence(x, n, 1.0, 2 * x, lambda k, p, q: 2 * x * q - 2 * k * p)


@_poly_op("hermite_polynomial_he")
def _hermite_he(x, n):
    return _recurrence(x, n, 1.0, x, lambda k, p, q: x * q - k * p)


@_poly_op("laguerre_polynomial_l")
def _laguerre_l(x, n):
    out = _recurrence(x, n, 1.0, 1 - x, lambda k, p, q: ((2 * k + 1 - x) * q - k * p) / (k + 1))
    return jnp.where((x == 0) & (n >= 0), jnp.ones_like(x), out)


@_poly_op("legendre_polynomial_p")
def _legendre_p(x, n):
    out = _recurrence(x, n, 1.0, x, lambda k, p, q: ((2 * k + 1) * x * q - k * p) / (k + 1))
    edge = jnp.where((x > 0) | ~_odd(n), 1.0, -1.0).astype(x.dtype)
    return jnp.where((jnp.abs(x) == 1) & (n >= 0), edge, out)


# -- Bessel functions of integer order ------------------------------------------------------------

_SERIES_MAX = 12.0  # power series below, Hankel's asymptotic expansion above
_SERIES_TERMS = 40
_HANKEL_TERMS = 20


def _hankel_pq(x, nu):
    """Hankel's P and Q for order ``nu`` (x >= _SERIES_MAX)."""
    mu = 4.0 * nu * nu
    p = jnp.ones_like(x)
    q = jnp.zeros_like(x)
    term = jnp.ones_like(x)
    for k in range(1, 2 * _HANKEL_TERMS):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if k % 2:
            q = q + (term if k % 4 == 1 else -term)
        else:
            p = p + (-term if k % 4 == 2 else term)
    return p, q


def _hankel(x, nu):
    """(J_nu(x), Y_nu(x)) for large x."""
    p, q = _hankel_pq(x, nu)
    chi = x - (nu / 2 + 0.25) * math.pi
    amp = jnp.sqrt(2 / (math.pi * x))
    return amp * (p * jnp.cos(chi) - q * jnp.sin(chi)), amp * (p * jnp.sin(chi) + q * jnp.cos(chi))


def _series(x, nu):
    """(J_nu(x), the series part of Y_nu(x)) for nu in (0, 1), small x > 0."""
    y = -(x * x) / 4
    half = (x / 2) ** nu
    term = half / math.factorial(nu)  # (x/2)^nu (-x²/4)^k / (k! (k+nu)!)
    harm = -_EULER  # psi(k + 1)
    harm_nu = -_EULER + sum(1 / j for j in range(1, nu + 1))  # psi(k + nu + 1)
    j = jnp.zeros_like(x)
    s = jnp.zeros_like(x)
    for k in range(_SERIES_TERMS):
        if k:
            term = term * y / (k * (k + nu))
            harm += 1 / k
            harm_nu += 1 / (k + nu)
        j = j + term
        s = s + (harm + harm_nu) * term
    return j, s


def _bessel_jy(x, nu):
    ax = jnp.abs(x)
    small = ax < _SERIES_MAX
    xs = jnp.where(small, jnp.where(ax == 0, 1.0, ax), 1.0)
    xl = jnp.where(small, _SERIES_MAX, ax)
    j_s, s = _series(xs, nu)
    y_s = 2 / math.pi * jnp.log(xs / 2) * j_s - s / math.pi
    if nu == 1:
        y_s = y_s - 2 / (math.pi * xs)
    j_l, y_l = _hankel(xl, nu)
    j = jnp.where(small, j_s, j_l)
    y = jnp.where(small, y_s, y_l)
    j = jnp.where(ax == 0, 1.0 if nu == 0 else 0.0, j)
    if nu == 1:
        j = jnp.where(x < 0, -j, j)
    y = jnp.where(x == 0, -jnp.inf, jnp.where(x < 0, jnp.nan, y))
    return jnp.where(jnp.isnan(x), x, j), jnp.where(jnp.isnan(x), x, y)


_K_STEP, _K_POINTS, _K_MAX = 0.2, 126, 15.0


def _bessel_k(x, nu, scaled):
    """K_nu(x) (times e^x when ``scaled``) for nu in (0, 1)."""
    small = x < _K_MAX
    xs = jnp.where(small & (x > 0), x, 1.0)
    t = np.arange(_K_POINTS) * _K_STEP
    w = np.full(_K_POINTS, _K_STEP)
    w[0] /= 2
    f = jnp.exp(-xs[..., None] * (np.cosh(t) - 1)) * (np.cosh(nu * t) * w)
    k_s = jnp.sum(f, axis=-1)
    xl = jnp.where(small, _K_MAX, x)
    mu = 4.0 * nu * nu
    term = jnp.ones_like(xl)
    k_l = jnp.ones_like(xl)
    for k in range(1, 2 * _HANKEL_TERMS):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * xl)
        k_l = k_l + term
    k_l = k_l * jnp.sqrt(math.pi / (2 * xl))
    out = jnp.where(small, k_s, k_l)
    if not scaled:
        out = out * jnp.exp(-jnp.where(small, xs, xl))
    out = jnp.where(x == 0, jnp.inf, jnp.where(x < 0, jnp.nan, out))
    return jnp.where(jnp.isnan(x), x, out)


def _bessel_op(name, f):
    def fn(input):
        return f(_f64(input)).astype(input.dtype)
    fn.__name__ = name
    fn.__doc__ = f"torchlike implementation of :func:`torch.special.{name}`."
    return _special(op("input", promote="float", method=False, function=False,
                       differentiable=False, grad_name=_grad_name(name))(fn))


_bessel_op("bessel_j0", lambda x: _bessel_jy(x, 0)[0])
_bessel_op("bessel_j1", lambda x: _bessel_jy(x, 1)[0])
_bessel_op("bessel_y0", lambda x: _bessel_jy(x, 0)[1])
_bessel_op("bessel_y1", lambda x: _bessel_jy(x, 1)[1])
_bessel_op("modified_bessel_i0", jss.i0)
_bessel_op("modified_bessel_i1", jss.i1)
_bessel_op("modified_bessel_k0", lambda x: _bessel_k(x, 0, False))
_bessel_op("modified_bessel_k1", lambda x: _bessel_k(x, 1, False))
_bessel_op("scaled_modified_bessel_k0", lambda x: _bessel_k(x, 0, True))
_bessel_op("scaled_modified_bessel_k1", lambda x: _bessel_k(x, 1, True))


def _spherical_j0(x):
    safe = jnp.where(x == 0, 1.0, x)
    return jnp.where(x == 0, 1.0, jnp.where(jnp.isinf(x), 0.0, jnp.sin(safe) / safe))


_bessel_op("spherical_bessel_j0", _spherical_j0)


# -- zeta, erfcx ----------------------------------------------------------------------------------

@op("input other", promote="float", method=False, function=False, differentiable=False,
    grad_name="SpecialZetaBackward0")
def zeta(input, other):
    """torchlike implementation of :func:`torch.special.zeta` (Hurwitz's zeta function)."""
    return jss.zeta(*jnp.broadcast_arrays(input, other))


_special(zeta)
_ERFCX_ASYMPTOTIC = 25.0


@op("input", promote="float", method=False, function=False,
    grad_name="SpecialErfcxBackward0")
def erfcx(input):
    """torchlike implementation of :func:`torch.special.erfcx` (``exp(x**2) * erfc(x)``)."""
    x = _f64(input)
    big = x > _ERFCX_ASYMPTOTIC
    # NOTE: each branch sees only arguments in its own range, so the unused one gives no NaN
    # gradient.
    xs = jnp.where(big, 0.0, x)
    xl = jnp.where(big, x, _ERFCX_ASYMPTOTIC)
    direct = jnp.exp(xs * xs) * lax.erfc(xs)
    inv2 = 1 / (2 * xl * xl)
    asym = (1 - inv2 * (1 - 3 * inv2 * (1 - 5 * inv2))) / (xl * math.sqrt(math.pi))
    return jnp.where(big, asym, direct).astype(input.dtype)


_special(erfcx)
