"""More of :mod:`torch.linalg`: the LU family, triangular and Cholesky solvers, ``cond``,
``vander``, ``tensorinv``/``tensorsolve``, ``matrix_exp`` and Householder products.

Pivots follow LAPACK/torch (1-based int32 row swaps); JAX's LU gives 0-based ones. ``*_ex``
variants report ``info`` from the result (0 when it is finite), never raising.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import jax.scipy.linalg as jsl
from jax import lax

from .._size import wrap_dim as _wrap
from . import _install
from ._install import FUNCTIONS, NAMESPACES
from .linalg_core import _square_checks, _tn
from .registry import op

_LINALG = NAMESPACES.setdefault("linalg", {})


def _mT(a):
    return jnp.swapaxes(a, -1, -2)


def _mH(a):
    return jnp.conj(_mT(a))


def _min2(name, A):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")


def _info(*arrs):
    ok = True
    for a in arrs:
        ok = ok & jnp.all(jnp.isfinite(a), axis=(-2, -1))
    return jnp.where(ok, 0, 1).astype(jnp.int32)


# -- LU --------------------------------------------------------------------------------------------

def _lu(A):
    lu, piv, perm = lax.linalg.lu(A)
    return lu, piv + 1, perm


def _unpack(LU, perm, m, n):
    k = min(m, n)
    L = jnp.tril(LU[..., :, :k], -1) + jnp.eye(m, k, dtype=LU.dtype)
    U = jnp.triu(LU[..., :k, :])
    P = _mT(jnp.eye(m, dtype=LU.dtype)[perm])
    return P, L, U


@op("A", name="linalg_lu_factor", returns="LU pivots", method=False, function=False)
def _lu_factor(A, *, pivot=True):
    _min2("torch.linalg.lu_factor", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, piv, _ = _lu(A)
    return LU, piv


@op("A", name="linalg_lu_factor_ex", returns="LU pivots info", method=False, function=False)
def _lu_factor_ex(A, *, pivot=True, check_errors=False):
    LU, piv = _lu_factor.entry.fn(A, pivot=pivot)
    n = min(A.shape[-2:])
    diag = jnp.diagonal(LU, axis1=-2, axis2=-1)
    first_zero = jnp.argmax(diag == 0, axis=-1)
    info = jnp.where(jnp.any(diag == 0, axis=-1), first_zero + 1, 0) if n else jnp.zeros(
        A.shape[:-2], jnp.int32)
    return LU, piv, info.astype(jnp.int32)


@op("A", name="linalg_lu", returns="P L U", method=False, function=False)
def _linalg_lu(A, *, pivot=True):
    _min2("linalg.lu", A)
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    LU, _, perm = _lu(A)
    return _unpack(LU, perm, *A.shape[-2:])


def _perm_from_pivots(piv, m):
    return lax.linalg.lu_pivots_to_permutation(piv - 1, m)


def _lu_solve_raw(LU, pivots, B, left, adjoint):
    batch = jnp.broadcast_shapes(LU.shape[:-2], B.shape[:-2])
    LU = jnp.broadcast_to(LU, batch + LU.shape[-2:])
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return _mH(_lu_solve_raw(LU, pivots, _mH(B), True, not adjoint))
    B = jnp.broadcast_to(B, batch + B.shape[-2:])
    piv = jnp.broadcast_to(pivots - 1, batch + pivots.shape[-1:])
    return jsl.lu_solve((LU, piv), B, trans=2 if adjoint else 0)


@op("LU pivots B", name="linalg_lu_solve", method=False, function=False)
def _linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    if LU.dtype != B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                           f"LU of type {_tn(LU)} and B of type {_tn(B)} instead")
    return _lu_solve_raw(LU, pivots, B, left, adjoint)


@op("A", name="lu", method=False, function=False)
def _torch_lu(A, pivot, get_infos):
    LU, piv, info = _lu_factor_ex.entry.fn(A, pivot=pivot)
    return (LU, piv, info) if get_infos else (LU, piv)


def lu(A, pivot=True, get_infos=False, out=None):
    """torchlike implementation of :func:`torch.lu`."""
    return _torch_lu(A, pivot, get_infos, out=out)


@op("b LU_data LU_pivots", name="lu_solve", method=False)
def lu_solve(b, LU_data, LU_pivots):
    """torchlike implementation of :func:`torch.lu_solve`."""
    return _lu_solve_raw(LU_data, LU_pivots, b, True, False)


@op("LU_data LU_pivots", returns="P L U", method=False)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """torchlike implementation of :func:`torch.lu_unpack`."""
    m, n = LU_data.shape[-2:]
    perm = _perm_from_pivots(LU_pivots, m)
    P, L, U = _unpack(LU_data, perm, m, n)
    empty = jnp.zeros((0,), LU_data.dtype)
    if not unpack_data:
        L = U = empty
    if not unpack_pivots:
        P = empty
    return P, L, U


FUNCTIONS["lu"] = lu
_LINALG.update(lu_factor=_lu_factor, lu_factor_ex=_lu_factor_ex, lu=_linalg_lu,
               lu_solve=_linalg_lu_solve)


def _lu_method(self, pivot=True, get_infos=False):
    return lu(self, pivot, get_infos)


_install._tensor_cls().lu = _lu_method


# -- triangular and Cholesky solvers --------------------------------------------------------------

def _tri_solve(A, B, upper, left, unitriangular):
    batch = jnp.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = jnp.broadcast_to(A, batch + A.shape[-2:])
    B = jnp.broadcast_to(B, batch + B.shape[-2:])
    return lax.linalg.triangular_solve(A, B, left_side=left, lower=not upper,
                                       unit_diagonal=unitriangular)


@op("A B", name="linalg_solve_triangular", method=False, function=False)
def _solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, "
                           f"but found A of type {_tn(A)} and B of type {_tn(B)} instead")
    # NOTE: only the chosen triangle is read (as LAPACK): mask A so the gradient is triangular.
    A = jnp.triu(A) if upper else jnp.tril(A)
    return _tri_solve(A, B, upper, left, unitriangular)


@op("input A", returns="solution cloned_coefficient", method=True)
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """torchlike implementation of :func:`torch.triangular_solve`."""
    T = jnp.triu(A) if upper else jnp.tril(A)
    M = _mT(T) if transpose else T
    return _tri_solve(M, input, upper != transpose, True, unitriangular), A + 0


@op("A", name="linalg_cholesky_ex", returns="L info", method=False, function=False)
def _cholesky_ex(A, *, upper=False, check_errors=False):
    _square_checks("linalg.cholesky", A)
    L = jnp.linalg.cholesky(A)
    info = _info(L)
    return (_mH(L) if upper else L), info


def _triangle(a, upper):
    # NOTE: the values read one triangle (as LAPACK), but torch's gradient w.r.t. the factor is
    # that of the formula over the whole matrix: values from the triangle, gradient from ``a``
    # (so the products below use general, not triangular, solvers).
    return a + lax.stop_gradient((jnp.triu(a) if upper else jnp.tril(a)) - a)


@op("input", method=True)
def cholesky_inverse(input, upper=False):
    """torchlike implementation of :func:`torch.cholesky_inverse`."""
    if input.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor input must have at least 2 "
                           "dimensions.")
    L = _mH(_triangle(input, upper)) if upper else _triangle(input, upper)
    return jnp.linalg.inv(L @ _mH(L))


@op("input input2", method=True)
def cholesky_solve(input, input2, upper=False):
    """torchlike implementation of :func:`torch.cholesky_solve` (``input2`` is the factor)."""
    L = _mH(_triangle(input2, upper)) if upper else _triangle(input2, upper)
    A = L @ _mH(L)
    batch = jnp.broadcast_shapes(A.shape[:-2], input.shape[:-2])
    return jnp.linalg.solve(jnp.broadcast_to(A, batch + A.shape[-2:]),
                            jnp.broadcast_to(input, batch + input.shape[-2:]))


@op("A B", name="linalg_solve_ex", returns="result info", method=False, function=False)
def _solve_ex(A, B, *, left=True, check_errors=False):
    X = _LINALG["solve"].entry.fn(A, B, left=left)
    return X, _info(A)


_LINALG.update(solve_triangular=_solve_triangular, cholesky_ex=_cholesky_ex, solve_ex=_solve_ex)


# -- condition number, Vandermonde, tensor inverses, exponentials, Householder -------------------

@op("A", name="linalg_cond", method=False, function=False)
def _cond(A, p=None):
    _min2("linalg.cond", A)
    if p is None or p in (2, -2):
        S = jnp.linalg.svd(A, compute_uv=False)
        big, small = S[..., 0], S[..., -1]
        return (small / big) if p == -2 else (big / small)
    _square_checks("linalg.cond", A)
    norm = _LINALG["matrix_norm"].entry.fn
    return norm(A, p) * norm(jnp.linalg.inv(A), p)


@op("x", name="linalg_vander", method=False, function=False)
def _vander(x, *, N=None):
    x = jnp.atleast_1d(x)
    n = x.shape[-1] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    powers = [jnp.ones_like(x)]
    for _ in range(1, n):
        powers.append(powers[-1] * x)
    return jnp.stack(powers[:n], axis=-1) if n else jnp.zeros(x.shape + (0,), x.dtype)


@op("A", name="linalg_tensorinv", method=False, function=False)
def _tensorinv(A, ind=2):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape, in_shape = A.shape[ind:], A.shape[:ind]
    rows, cols = math.prod(in_shape), math.prod(out_shape)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    inv = jnp.linalg.inv(jnp.reshape(A, (rows, cols)))
    return jnp.reshape(inv, out_shape + in_shape)


@op("A B", name="linalg_tensorsolve", method=False, function=False)
def _tensorsolve(A, B, dims=None):
    if dims is not None:
        dims = tuple(_wrap(d, A.ndim) for d in dims)
        rest = tuple(d for d in range(A.ndim) if d not in dims)
        A = jnp.transpose(A, rest + dims)
    out_shape = A.shape[B.ndim:]
    rows, cols = math.prod(B.shape), math.prod(out_shape)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:])"
                           f" == prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    X = jnp.linalg.solve(jnp.reshape(A, (rows, cols)), jnp.reshape(B, (rows,)))
    return jnp.reshape(X, out_shape)


_LINALG.update(cond=_cond, vander=_vander, tensorinv=_tensorinv, tensorsolve=_tensorsolve)


@op("input", method=True)
def matrix_exp(input):
    """torchlike implementation of :func:`torch.matrix_exp`."""
    _square_checks("linalg.matrix_exp", input, float_only=False)
    if input.shape[-1] == 0:
        return input
    # NOTE: computed in double precision: float32 scaling-and-squaring drifts from torch's result
    # for matrices of large norm.
    wide = jnp.complex128 if jnp.iscomplexobj(input) else jnp.float64
    return jsl.expm(input.astype(wide)).astype(input.dtype)


_LINALG["matrix_exp"] = FUNCTIONS["matrix_exp"]


def _householder(A, tau, ncols):
    """The first ``ncols`` columns of H_1 ... H_k for LAPACK's packed reflectors."""
    m = A.shape[-2]
    k = tau.shape[-1]
    Q = jnp.broadcast_to(jnp.eye(m, ncols, dtype=A.dtype), A.shape[:-2] + (m, ncols))
    rows = jnp.arange(m)
    for i in range(k - 1, -1, -1):
        v = jnp.where(rows > i, A[..., :, i], jnp.where(rows == i, 1, 0).astype(A.dtype))
        t = tau[..., i, None, None]
        Q = Q - t * v[..., :, None] * (jnp.conj(v)[..., None, :] @ Q)
    return Q


@op("A tau", name="linalg_householder_product", method=False, function=False)
def _householder_product(A, tau):
    _min2("torch.linalg.householder_product", A)
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if tau.shape[-1] > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    return _householder(A, tau, n)


_LINALG["householder_product"] = _householder_product
FUNCTIONS["orgqr"] = _householder_product


@op("input", returns="a tau", differentiable=False)
def geqrf(input):
    """torchlike implementation of :func:`torch.geqrf`."""
    _min2("torch.geqrf", input)
    m, n = input.shape[-2:]
    a = input
    taus = []
    rows = jnp.arange(m)
    for j in range(min(m, n)):
        alpha = a[..., j, j]
        below = jnp.where(rows > j, a[..., :, j], 0)
        xnorm = jnp.sqrt(jnp.sum(jnp.abs(below) ** 2, axis=-1))
        trivial = (xnorm == 0) & (jnp.imag(alpha) == 0)
        beta = -jnp.where(jnp.real(alpha) >= 0, 1, -1) * jnp.sqrt(jnp.abs(alpha) ** 2 + xnorm ** 2)
        beta = jnp.where(trivial, jnp.real(alpha), beta)
        safe = jnp.where(trivial, 1, beta)
        tau = jnp.where(trivial, 0, (beta - alpha) / safe).astype(a.dtype)
        scale = jnp.where(trivial, 1, alpha - beta)
        v = jnp.where(rows > j, a[..., :, j] / scale[..., None], (rows == j).astype(a.dtype))
        # apply H = I - tau v v^H to the trailing columns
        w = jnp.conj(v)[..., None, :] @ a
        upd = a - tau[..., None, None] * v[..., :, None] * w
        cols = jnp.arange(n)
        a = jnp.where(cols > j, upd, a)
        top = jnp.where(rows == j, beta.astype(a.dtype)[..., None], a[..., :, j])
        col = jnp.where(rows > j, v, top)
        a = a.at[..., :, j].set(col)
        taus.append(tau)
    tau = jnp.stack(taus, -1) if taus else jnp.zeros(input.shape[:-2] + (0,), input.dtype)
    return a, tau


@op("input input2 input3", method=True)
def ormqr(input, input2, input3, left=True, transpose=False):
    """torchlike implementation of :func:`torch.ormqr` (``Q`` from ``geqrf``'s reflectors)."""
    Q = _householder(input, input2, input.shape[-2])
    if transpose:
        Q = _mH(Q)
    return Q @ input3 if left else input3 @ Q
