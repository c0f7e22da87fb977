"""Matrix products and torchlike.linalg against torch: values, dtypes, shapes, gradients, errors.
Decompositions with sign/phase freedom are compared through invariants (reconstruction,
orthogonality, eigen/singular values)."""

import numpy as np
import pytest
from helpers import check, check_error, rand_default, rand_int

import torchlike

# torch warns on its deprecated aliases (torch.cholesky, chain_matmul); torchlike does not.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")
r = rand_default


def _spd(n, batch=()):
    a = r(*batch, n, n, dtype=np.float64)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(np.float32)


def _full_rank(m, n):
    """A random m x n matrix with singular values >= ~2: pinv's gradient on a nearly rank-deficient
    draw is ill-conditioned (entries ~1e3) and float32 rounding then exceeds any fixed tolerance."""
    return (r(m, n) + 3 * np.eye(m, n)).astype(np.float32)


def _sym(n):
    a = r(n, n)
    return (a + a.T) / 2


PRODUCTS = {
    "matmul_2d": (lambda t, a, b: t.matmul(a, b), [r(3, 4), r(4, 5)]),
    "matmul_1d_1d": (lambda t, a, b: a @ b, [r(4), r(4)]),
    "matmul_2d_1d": (lambda t, a, b: a @ b, [r(3, 4), r(4)]),
    "matmul_1d_2d": (lambda t, a, b: a @ b, [r(4), r(4, 2)]),
    "matmul_batched_broadcast": (lambda t, a, b: a @ b, [r(2, 1, 3, 4), r(5, 4, 2)]),
    "matmul_batched_1d": (lambda t, a, b: a @ b, [r(2, 3, 4), r(4)]),
    "matmul_int": (lambda t, a, b: a @ b, [rand_int(2, 3), rand_int(3, 2)]),
    "matmul_f64": (lambda t, a, b: a @ b, [r(2, 3, dtype=np.float64), r(3, 2, dtype=np.float64)]),
    "mm": (lambda t, a, b: t.mm(a, b), [r(3, 4), r(4, 2)]),
    "bmm": (lambda t, a, b: t.bmm(a, b), [r(2, 3, 4), r(2, 4, 5)]),
    "mv": (lambda t, a, b: t.mv(a, b), [r(3, 4), r(4)]),
    "dot": (lambda t, a, b: t.dot(a, b), [r(5), r(5)]),
    "dot_int": (lambda t, a, b: a.dot(b), [rand_int(5), rand_int(5)]),
    "vdot": (lambda t, a, b: t.vdot(a, b), [r(5), r(5)]),
    "vdot_complex": (lambda t, a, b: t.vdot(a, b),
                     [(r(3) + 1j * r(3)).astype(np.complex64),
                      (r(3) + 1j * r(3)).astype(np.complex64)]),
    "inner": (lambda t, a, b: t.inner(a, b), [r(2, 3), r(4, 3)]),
    "inner_scalar": (lambda t, a, b: t.inner(a, b), [r(), r(2, 3)]),
    "outer": (lambda t, a, b: t.outer(a, b), [r(3), r(4)]),
    "outer_promotes": (lambda t, a, b: t.outer(a, b), [r(3), r(2, dtype=np.float64)]),
    "ger": (lambda t, a, b: t.ger(a, b), [r(3), r(4)]),
    "addmm": (lambda t, c, a, b: t.addmm(c, a, b), [r(3, 2), r(3, 4), r(4, 2)]),
    "addmm_beta_alpha": (lambda t, c, a, b: t.addmm(c, a, b, beta=0.5, alpha=2.0),
                         [r(2), r(3, 4), r(4, 2)]),
    "addmm_beta0_nan": (lambda t, c, a, b: t.addmm(c * float("nan"), a, b, beta=0),
                        [r(3, 2), r(3, 4), r(4, 2)]),
    "addmm_method": (lambda t, c, a, b: c.addmm(a, b, alpha=3), [r(3, 2), r(3, 4), r(4, 2)]),
    "addmm_": (lambda t, c, a, b: (c * 1).addmm_(a, b, beta=2), [r(3, 2), r(3, 4), r(4, 2)]),
    "addmv": (lambda t, c, a, b: t.addmv(c, a, b, beta=2, alpha=0.5), [r(3), r(3, 4), r(4)]),
    "addr": (lambda t, c, a, b: t.addr(c, a, b, alpha=2), [r(3, 4), r(3), r(4)]),
    "addbmm": (lambda t, c, a, b: t.addbmm(c, a, b, beta=0.3), [r(3, 5), r(2, 3, 4), r(2, 4, 5)]),
    "baddbmm": (lambda t, c, a, b: t.baddbmm(c, a, b, alpha=1.5), [r(2, 3, 5), r(2, 3, 4),
                                                                    r(2, 4, 5)]),
    "einsum_mm": (lambda t, a, b: t.einsum("ij,jk->ik", a, b), [r(2, 3), r(3, 4)]),
    "einsum_list": (lambda t, a, b: t.einsum("ij,jk", [a, b]), [r(2, 3), r(3, 4)]),
    "einsum_trace": (lambda t, a: t.einsum("ii", a), [r(3, 3)]),
    "einsum_diag": (lambda t, a: t.einsum("ii->i", a), [r(3, 3)]),
    "einsum_batch_ellipsis": (lambda t, a, b: t.einsum("...ij,...jk->...ik", a, b),
                              [r(2, 3, 4), r(2, 4, 5)]),
    "einsum_outer_spaces": (lambda t, a, b: t.einsum("i, j -> ij", a, b), [r(3), r(2)]),
    "einsum_three": (lambda t, a, b, c: t.einsum("ij,jk,kl->il", a, b, c),
                     [r(2, 3), r(3, 4), r(4, 2)]),
    "einsum_broadcast_one": (lambda t, a, b: t.einsum("bij,bjk->bik", a, b),
                             [r(1, 2, 3), r(4, 3, 2)]),
    "tensordot_int": (lambda t, a, b: t.tensordot(a, b, dims=1), [r(2, 3), r(3, 4)]),
    "tensordot_default": (lambda t, a, b: t.tensordot(a, b), [r(2, 3, 4), r(3, 4, 5)]),
    "tensordot_lists": (lambda t, a, b: t.tensordot(a, b, dims=([0, 2], [1, 0])),
                        [r(2, 3, 4), r(4, 2, 5)]),
    "tensordot_zero": (lambda t, a, b: t.tensordot(a, b, dims=0), [r(2), r(3)]),
    "kron": (lambda t, a, b: t.kron(a, b), [r(2, 3), r(3, 2)]),
    "kron_mixed_rank": (lambda t, a, b: t.kron(a, b), [r(2, 3), r(4)]),
    "cross_dim": (lambda t, a, b: t.cross(a, b, dim=0), [r(3, 4), r(3, 4)]),
    "cross_broadcast": (lambda t, a, b: t.cross(a, b, dim=-1), [r(2, 3), r(1, 3)]),
    "linalg_cross": (lambda t, a, b: t.linalg.cross(a, b), [r(4, 3), r(4, 3)]),
    "matrix_power_3": (lambda t, a: t.matrix_power(a, 3), [r(3, 3)]),
    "matrix_power_0": (lambda t, a: t.linalg.matrix_power(a, 0), [r(2, 3, 3)]),
    "matrix_power_neg": (lambda t, a: t.matrix_power(a, -2), [_spd(3)]),
    "matrix_power_int": (lambda t, a: a.matrix_power(2), [rand_int(3, 3)]),
    "chain_matmul": (lambda t, a, b, c: t.linalg.multi_dot([a, b, c]), [r(2, 3), r(3, 4),
                                                                         r(4, 5)]),
    "multi_dot_vectors": (lambda t, a, b, c: t.linalg.multi_dot([a, b, c]), [r(3), r(3, 4),
                                                                             r(4)]),
    "trace": (lambda t, a: t.trace(a), [r(3, 4)]),
    "trace_int": (lambda t, a: a.trace(), [rand_int(3, 3).astype(np.int32)]),
    "cdist": (lambda t, a, b: t.cdist(a, b), [r(4, 3), r(5, 3)]),
    "cdist_p1_batched": (lambda t, a, b: t.cdist(a, b, p=1.0), [r(2, 4, 3), r(2, 5, 3)]),
    "cdist_inf": (lambda t, a, b: t.cdist(a, b, p=float("inf")), [r(4, 3), r(5, 3)]),
    "vecdot": (lambda t, a, b: t.linalg.vecdot(a, b), [r(2, 3), r(3)]),
    "vecdot_dim": (lambda t, a, b: t.linalg.vecdot(a, b, dim=0), [r(3, 2), r(3, 2)]),
    "linalg_matmul": (lambda t, a, b: t.linalg.matmul(a, b), [r(3, 4), r(4, 2)]),
    "linalg_diagonal": (lambda t, a: t.linalg.diagonal(a, offset=1), [r(2, 3, 4)]),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products(name):
    fn, inputs, *kw = PRODUCTS[name]
    check(fn, inputs, rtol=1e-4, atol=1e-4, **(kw[0] if kw else {}))


def test_chain_matmul_deprecated_alias():
    a, b = r(2, 3), r(3, 2)
    out = torchlike.chain_matmul(torchlike.from_numpy(a), torchlike.from_numpy(b))
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-5)


def test_cartesian_prod():
    check(lambda t, a, b: t.cartesian_prod(a, b), [r(2), r(3)], rtol=1e-5)


PRODUCT_ERRORS = {
    "bmm_shape": (lambda t, a, b: t.bmm(a, b), [r(4, 3, 5), r(4, 6, 2)]),
    "bmm_batch": (lambda t, a, b: t.bmm(a, b), [r(4, 3, 5), r(3, 5, 2)]),
    "bmm_2d": (lambda t, a, b: t.bmm(a, b), [r(3, 5), r(3, 5, 2)]),
    "bmm_2d_second": (lambda t, a, b: t.bmm(a, b), [r(4, 3, 5), r(4, 5)]),
    "bmm_dtype": (lambda t, a, b: t.bmm(a, b), [r(2, 3, 5), r(2, 5, 2, dtype=np.float64)]),
    "mv_size": (lambda t, a, b: t.mv(a, b), [r(3, 4), r(5)]),
    "mv_1d": (lambda t, a, b: t.mv(a, b), [r(3), r(3)]),
    "mv_2d_vec": (lambda t, a, b: t.mv(a, b), [r(3, 4), r(4, 1)]),
    "mv_dtype": (lambda t, a, b: t.mv(a, b), [r(3, 4), r(4, dtype=np.float64)]),
    "dot_size": (lambda t, a, b: t.dot(a, b), [r(3), r(4)]),
    "dot_dtype": (lambda t, a, b: t.dot(a, b), [r(3), r(3, dtype=np.float64)]),
    "dot_2d": (lambda t, a, b: t.dot(a, b), [r(3, 1), r(3)]),
    "dot_2d_second": (lambda t, a, b: t.dot(a, b), [r(3), r(3, 1)]),
    "dot_bool": (lambda t, a, b: t.dot(a, b), [np.ones(3, bool), np.ones(3, bool)]),
    "vdot_size": (lambda t, a, b: t.vdot(a, b), [r(3), r(4)]),
    "inner_size": (lambda t, a, b: t.inner(a, b), [r(2, 3), r(4, 5)]),
    "inner_dtype": (lambda t, a, b: t.inner(a, b), [r(3), r(3, dtype=np.float64)]),
    "outer_2d": (lambda t, a, b: t.outer(a, b), [r(3, 1), r(2)]),
    "mm_dtype": (lambda t, a, b: t.mm(a, b), [r(2, 3), r(3, 2, dtype=np.float64)]),
    "mm_shape": (lambda t, a, b: t.mm(a, b), [r(2, 3), r(2, 3)]),
    "matmul_dtype": (lambda t, a, b: a @ b, [r(2, 3), r(3, 2, dtype=np.float64)]),
    "matmul_int_float": (lambda t, a, b: a @ b, [rand_int(2, 3), r(3, 2)]),
    "matmul_1d_dtype": (lambda t, a, b: a @ b, [r(3), r(3, dtype=np.float64)]),
    "matmul_0d": (lambda t, a, b: t.matmul(a, b), [r(), r(3)]),
    "matmul_batched": (lambda t, a, b: a @ b, [r(2, 3, 4), r(2, 5, 2)]),
    "addmm_shape": (lambda t, c, a, b: t.addmm(c, a, b), [r(2, 2), r(2, 3), r(4, 2)]),
    "addmm_expand": (lambda t, c, a, b: t.addmm(c, a, b), [r(3, 3), r(2, 3), r(3, 2)]),
    "addmm_dtype": (lambda t, c, a, b: t.addmm(c, a, b),
                    [r(2, 2), r(2, 3), r(3, 2, dtype=np.float64)]),
    "addmv_size": (lambda t, c, a, b: t.addmv(c, a, b), [r(3), r(2, 3), r(3)]),
    "addbmm_size": (lambda t, c, a, b: t.addbmm(c, a, b), [r(2, 2), r(3, 2, 4), r(3, 5, 2)]),
    "baddbmm_size": (lambda t, c, a, b: t.baddbmm(c, a, b), [r(3, 2, 2), r(3, 2, 4),
                                                             r(3, 5, 2)]),
    "einsum_sizes": (lambda t, a, b: t.einsum("ij,jk->ik", a, b), [r(2, 3), r(4, 2)]),
    "einsum_few": (lambda t, a: t.einsum("ij,jk", a), [r(2, 3)]),
    "einsum_many": (lambda t, a, b: t.einsum("ij->ji", a, b), [r(2, 3), r(2)]),
    "einsum_repeated": (lambda t, a: t.einsum("ii->i", a), [r(2, 3)]),
    "einsum_dtype": (lambda t, a, b: t.einsum("ij,jk->ik", a, b),
                     [r(2, 3), r(3, 2, dtype=np.float64)]),
    "tensordot_size": (lambda t, a, b: t.tensordot(a, b, dims=1), [r(2, 3), r(4, 5)]),
    "tensordot_lists_size": (lambda t, a, b: t.tensordot(a, b, dims=([0], [0])),
                             [r(2, 3), r(3, 5)]),
    "tensordot_negative": (lambda t, a, b: t.tensordot(a, b, dims=-1), [r(2, 3), r(3, 5)]),
    "tensordot_dtype": (lambda t, a, b: t.tensordot(a, b, dims=1),
                        [r(2, 3), r(3, 5, dtype=np.float64)]),
    "cross_size": (lambda t, a, b: t.cross(a, b, dim=1), [r(2, 3), r(3, 3)]),
    "linalg_cross_len": (lambda t, a, b: t.linalg.cross(a, b), [r(2, 4), r(2, 4)]),
    "linalg_cross_dtype": (lambda t, a, b: t.linalg.cross(a, b), [r(3), r(3, dtype=np.float64)]),
    "matrix_power_rect": (lambda t, a: t.matrix_power(a, 2), [r(2, 3)]),
    "matrix_power_1d": (lambda t, a: t.matrix_power(a, 2), [r(3)]),
    "matrix_power_int_neg": (lambda t, a: t.matrix_power(a, -1), [rand_int(2, 2)]),
    "trace_3d": (lambda t, a: t.trace(a), [r(2, 3, 4)]),
    "trace_bool": (lambda t, a: t.trace(a), [np.ones((2, 2), bool)]),
    "cdist_cols": (lambda t, a, b: t.cdist(a, b), [r(3, 2), r(4, 3)]),
    "cdist_1d": (lambda t, a, b: t.cdist(a, b), [r(3), r(4)]),
    "cdist_p": (lambda t, a, b: t.cdist(a, b, p=-1), [r(3, 2), r(4, 2)]),
    "cdist_int": (lambda t, a, b: t.cdist(a, b), [rand_int(3, 2), rand_int(3, 2)]),
    "multi_dot_shapes": (lambda t, a, b: t.linalg.multi_dot([a, b]), [r(2, 3), r(4, 2)]),
    "multi_dot_one": (lambda t, a: t.linalg.multi_dot([a]), [r(2, 3)]),
    "vecdot_size": (lambda t, a, b: t.linalg.vecdot(a, b), [r(3), r(4)]),
    "vecdot_dtype": (lambda t, a, b: t.linalg.vecdot(a, b), [r(3), r(3, dtype=np.float64)]),
}


@pytest.mark.parametrize("name", sorted(PRODUCT_ERRORS))
def test_product_errors(name):
    fn, inputs = PRODUCT_ERRORS[name]
    check_error(fn, inputs, match_message=True)


# -- torchlike.linalg --------------------------------------------------------------------------------

LINALG = {
    "norm_default": (lambda t, a: t.linalg.norm(a), [r(2, 3, 4)]),
    "norm_vector_ord": (lambda t, a: t.linalg.norm(a, ord=3), [r(5)]),
    "norm_dim": (lambda t, a: t.linalg.norm(a, dim=1, keepdim=True), [r(3, 4)]),
    "norm_fro": (lambda t, a: t.linalg.norm(a, ord="fro"), [r(3, 4)]),
    "norm_nuc": (lambda t, a: t.linalg.norm(a, ord="nuc"), [r(3, 4)]),
    "norm_2d_inf": (lambda t, a: t.linalg.norm(a, ord=float("inf")), [r(3, 4)]),
    "norm_dims": (lambda t, a: t.linalg.norm(a, dim=(0, 2)), [r(2, 3, 4)]),
    "vector_norm": (lambda t, a: t.linalg.vector_norm(a), [r(3, 4)]),
    "vector_norm_1": (lambda t, a: t.linalg.vector_norm(a, ord=1, dim=0), [r(3, 4)]),
    "vector_norm_inf": (lambda t, a: t.linalg.vector_norm(a, ord=float("inf"), dim=-1),
                        [r(3, 4)]),
    "vector_norm_ninf": (lambda t, a: t.linalg.vector_norm(a, ord=-float("inf")), [r(3, 4)]),
    "vector_norm_0": (lambda t, a: t.linalg.vector_norm(a, ord=0), [r(3, 4)]),
    "vector_norm_frac": (lambda t, a: t.linalg.vector_norm(a, ord=0.5), [r(6)]),
    "vector_norm_zero_grad": (lambda t, a: t.linalg.vector_norm(a * 0, dim=1), [r(2, 3)]),
    "vector_norm_dtype": (lambda t, a: t.linalg.vector_norm(a, dtype=t.float64), [r(4)]),
    "vector_norm_complex": (lambda t, a: t.linalg.vector_norm(a),
                            [(r(3) + 1j * r(3)).astype(np.complex64)]),
    "vector_norm_keepdim": (lambda t, a: t.linalg.vector_norm(a, dim=(0, 1), keepdim=True),
                            [r(2, 3)]),
    "matrix_norm_fro": (lambda t, a: t.linalg.matrix_norm(a), [r(2, 3, 4)]),
    "matrix_norm_1": (lambda t, a: t.linalg.matrix_norm(a, ord=1), [r(3, 4)]),
    "matrix_norm_m1": (lambda t, a: t.linalg.matrix_norm(a, ord=-1, keepdim=True), [r(3, 4)]),
    "matrix_norm_inf": (lambda t, a: t.linalg.matrix_norm(a, ord=float("inf")), [r(2, 3, 4)]),
    "matrix_norm_2": (lambda t, a: t.linalg.matrix_norm(a, ord=2), [r(3, 4)]),
    "matrix_norm_m2": (lambda t, a: t.linalg.matrix_norm(a, ord=-2), [r(3, 3)]),
    "matrix_norm_dim": (lambda t, a: t.linalg.matrix_norm(a, dim=(0, 2)), [r(3, 2, 4)]),
    "det": (lambda t, a: t.linalg.det(a), [r(3, 3)]),
    "det_batched": (lambda t, a: t.det(a), [r(2, 3, 3)]),
    "det_method": (lambda t, a: a.det(), [r(4, 4, dtype=np.float64)]),
    "slogdet": (lambda t, a: t.linalg.slogdet(a), [r(3, 3)]),
    "slogdet_top": (lambda t, a: t.slogdet(a), [r(2, 3, 3)]),
    "logdet": (lambda t, a: t.logdet(a), [_spd(3)]),
    "logdet_negative": (lambda t, a: t.logdet(-a), [_spd(3)]),
    "inv": (lambda t, a: t.linalg.inv(a), [_spd(3)]),
    "inverse": (lambda t, a: t.inverse(a), [_spd(3, (2,))]),
    "inverse_method": (lambda t, a: a.inverse(), [_spd(3)]),
    "inv_ex": (lambda t, a: t.linalg.inv_ex(a), [_spd(3)]),
    "solve": (lambda t, a, b: t.linalg.solve(a, b), [_spd(3), r(3, 2)]),
    "solve_vector": (lambda t, a, b: t.linalg.solve(a, b), [_spd(3), r(3)]),
    "solve_batched_vector": (lambda t, a, b: t.linalg.solve(a, b), [_spd(3, (2,)), r(2, 3)]),
    "solve_broadcast": (lambda t, a, b: t.linalg.solve(a, b), [_spd(3), r(2, 3, 4)]),
    "solve_right": (lambda t, a, b: t.linalg.solve(a, b, left=False), [_spd(3), r(2, 3)]),
    "cholesky": (lambda t, a: t.linalg.cholesky(a), [_spd(4)]),
    "cholesky_upper": (lambda t, a: t.linalg.cholesky(a, upper=True), [_spd(3, (2,))]),
    "cholesky_legacy": (lambda t, a: t.cholesky(a), [_spd(3)]),
    "eigvalsh": (lambda t, a: t.linalg.eigvalsh(a), [_sym(4)]),
    "eigvalsh_upper": (lambda t, a: t.linalg.eigvalsh(a, UPLO="U"), [r(4, 4)]),
    "eigvalsh_lower_nonsym": (lambda t, a: t.linalg.eigvalsh(a), [r(4, 4)]),
    "eigh_values": (lambda t, a: t.linalg.eigh(a).eigenvalues, [_sym(4)]),
    "eigh_vectors_abs": (lambda t, a: t.linalg.eigh(a)[1].abs(), [_sym(3)]),
    "svdvals": (lambda t, a: t.linalg.svdvals(a), [r(3, 5)]),
    "svd_S": (lambda t, a: t.linalg.svd(a).S, [r(2, 4, 3)]),
    "svd_U_abs": (lambda t, a: t.linalg.svd(a, full_matrices=False).U.abs(), [r(4, 3)]),
    "pinv": (lambda t, a: t.linalg.pinv(a), [_full_rank(4, 3)]),
    # torch differentiates pinv by its closed-form formula; JAX through the truncated SVD/eigh.
    "pinv_hermitian": (lambda t, a: t.linalg.pinv(a, hermitian=True), [_spd(3)],
                       {"grad": False}),
    "pinv_rtol": (lambda t, a: t.linalg.pinv(a, rtol=0.5), [r(4, 3)], {"grad": False}),
    "pinverse": (lambda t, a: t.pinverse(a), [_full_rank(3, 4)]),
    "matrix_rank": (lambda t, a: t.linalg.matrix_rank(a), [r(4, 3)]),
    "matrix_rank_deficient": (lambda t, a: t.linalg.matrix_rank(a @ a.T[:2]), [r(4, 2)]),
    "matrix_rank_hermitian": (lambda t, a: t.linalg.matrix_rank(a, hermitian=True), [_spd(3)]),
    "matrix_rank_atol": (lambda t, a: t.linalg.matrix_rank(a, atol=1.0, rtol=0.0), [r(4, 4)]),
    "lstsq_solution": (lambda t, a, b: t.linalg.lstsq(a, b).solution, [r(5, 3), r(5, 2)]),
    "lstsq": (lambda t, a, b: t.linalg.lstsq(a, b)[:3], [r(5, 3), r(5, 2)]),
    "lstsq_gelsd": (lambda t, a, b: t.linalg.lstsq(a, b, driver="gelsd"),
                    [r(5, 3, dtype=np.float64), r(5, 2, dtype=np.float64)]),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg(name):
    fn, inputs, *kw = LINALG[name]
    check(fn, inputs, rtol=2e-4, atol=2e-4, **(kw[0] if kw else {}))


def test_complex_grad_convention():
    c = (r(3) + 1j * r(3)).astype(np.complex64)
    check(lambda t, a, b: t.vdot(a, b), [c, c * 2])


def _T(x):
    return torchlike.from_numpy(x)


@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr_invariants(mode):
    a = r(5, 3)
    q, rr = torchlike.linalg.qr(_T(a), mode=mode)
    k = 3 if mode == "reduced" else 5
    assert q.shape == (5, k) and rr.shape == (k, 3)
    np.testing.assert_allclose((q @ rr).numpy(), a, atol=1e-5)
    np.testing.assert_allclose((q.T @ q).numpy(), np.eye(k), atol=1e-5)
    assert np.allclose(np.tril(rr.numpy(), -1), 0)
    assert type(torchlike.linalg.qr(_T(a))).__name__ == "linalg_qr"


def test_qr_grad_via_reconstruction():
    def fn(t, a):
        q, rr = t.linalg.qr(a)
        return q @ rr
    check(fn, [r(4, 3)], rtol=1e-4, atol=1e-4)


def test_legacy_qr():
    q, rr = torchlike.qr(_T(r(4, 3)), some=False)
    assert q.shape == (4, 4) and rr.shape == (4, 3)


def test_eigh_invariants():
    a = _sym(4)
    w, v = torchlike.linalg.eigh(_T(a))
    np.testing.assert_allclose((v @ torchlike.diag_embed(w) @ v.T).numpy() if hasattr(
        torchlike, "diag_embed") else v.numpy() @ np.diag(w.numpy()) @ v.numpy().T, a, atol=1e-5)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a), atol=1e-5)


@pytest.mark.parametrize("full", [True, False])
def test_svd_invariants(full):
    a = r(4, 3)
    u, s, vh = torchlike.linalg.svd(_T(a), full_matrices=full)
    k = 4 if full else 3
    assert u.shape == (4, k) and s.shape == (3,) and vh.shape == (3, 3)
    np.testing.assert_allclose(u.numpy()[:, :3] @ np.diag(s.numpy()) @ vh.numpy(), a, atol=1e-5)


def test_legacy_svd():
    a = r(4, 3)
    u, s, v = torchlike.svd(_T(a))
    assert u.shape == (4, 3) and v.shape == (3, 3)
    np.testing.assert_allclose(u.numpy() @ np.diag(s.numpy()) @ v.numpy().T, a, atol=1e-5)
    u0, s0, v0 = torchlike.svd(_T(a), compute_uv=False)
    assert u0.shape == (4, 4) and not u0.numpy().any() and v0.shape == (3, 3)
    np.testing.assert_allclose(s0.numpy(), s.numpy(), atol=1e-6)


def test_svd_reconstruction_grad():
    def fn(t, a):
        u, s, vh = t.linalg.svd(a, full_matrices=False)
        return (u * s) @ vh
    check(fn, [r(4, 3)], rtol=1e-3, atol=1e-3)


def test_eig():
    a = r(3, 3)
    w, v = torchlike.linalg.eig(_T(a))
    assert w.dtype == torchlike.complex64 and v.dtype == torchlike.complex64
    np.testing.assert_allclose(a.astype(np.complex64) @ v.numpy(), v.numpy() * w.numpy(),
                               atol=1e-4)
    np.testing.assert_allclose(np.sort_complex(torchlike.linalg.eigvals(_T(a)).numpy()),
                               np.sort_complex(np.linalg.eigvals(a)), atol=1e-4)


LINALG_ERRORS = {
    "inv_rect": (lambda t, a: t.linalg.inv(a), [r(2, 3)]),
    "inv_1d": (lambda t, a: t.linalg.inv(a), [r(3)]),
    "inv_int": (lambda t, a: t.linalg.inv(a), [rand_int(2, 2)]),
    "det_rect": (lambda t, a: t.linalg.det(a), [r(2, 3)]),
    "det_1d": (lambda t, a: t.det(a), [r(3)]),
    "solve_shape": (lambda t, a, b: t.linalg.solve(a, b), [_spd(2), r(3)]),
    "solve_shape_2d": (lambda t, a, b: t.linalg.solve(a, b), [_spd(2), r(3, 1)]),
    "solve_dtype": (lambda t, a, b: t.linalg.solve(a, b), [_spd(2), r(2, dtype=np.float64)]),
    "cholesky_rect": (lambda t, a: t.linalg.cholesky(a), [r(2, 3)]),
    "qr_1d": (lambda t, a: t.linalg.qr(a), [r(3)]),
    "qr_mode": (lambda t, a: t.linalg.qr(a, mode="x"), [r(3, 3)]),
    "eigh_rect": (lambda t, a: t.linalg.eigh(a), [r(2, 3)]),
    "svd_1d": (lambda t, a: t.linalg.svd(a), [r(3)]),
    "norm_3d_ord": (lambda t, a: t.linalg.norm(a, ord=2), [r(2, 2, 2)]),
    "norm_fro_1d": (lambda t, a: t.linalg.norm(a, ord="fro"), [r(3)]),
    "vector_norm_int": (lambda t, a: t.linalg.vector_norm(a), [rand_int(3)]),
    "vector_norm_str": (lambda t, a: t.linalg.vector_norm(a, ord="fro"), [r(3)]),
    "matrix_norm_1d": (lambda t, a: t.linalg.matrix_norm(a), [r(3)]),
    "matrix_norm_ord": (lambda t, a: t.linalg.matrix_norm(a, ord=3), [r(3, 3)]),
    "matrix_norm_same_dims": (lambda t, a: t.linalg.matrix_norm(a, dim=(0, 0)), [r(3, 3)]),
    "lstsq_shape": (lambda t, a, b: t.linalg.lstsq(a, b), [r(3, 3), r(2)]),
    "matrix_rank_1d": (lambda t, a: t.linalg.matrix_rank(a), [r(3)]),
    "pinv_1d": (lambda t, a: t.linalg.pinv(a), [r(3)]),
}


@pytest.mark.parametrize("name", sorted(LINALG_ERRORS))
def test_linalg_errors(name):
    fn, inputs = LINALG_ERRORS[name]
    check_error(fn, inputs, match_message=True)


@pytest.mark.parametrize("name", [
    pytest.param("singular_inv", marks=pytest.mark.xfail(
        strict=True, reason="data-dependent LinAlgError for singular input is not raised (JAX "
                            "returns inf/nan without a host sync)")),
    pytest.param("not_pd_cholesky", marks=pytest.mark.xfail(
        strict=True, reason="data-dependent LinAlgError for non-positive-definite input is not "
                            "raised (JAX returns nan)")),
])
def test_data_dependent_linalg_errors(name):
    fn = {"singular_inv": lambda t, a: t.linalg.inv(a * 0),
          "not_pd_cholesky": lambda t, a: t.linalg.cholesky(-a)}[name]
    check_error(fn, [_spd(2)])
