"""Shape ops against torch: values, dtypes, shapes, gradients, grad_fn names and errors."""

import numpy as np
import pytest
from helpers import check, check_error, rand_default, rand_int

import torchlike

A = rand_default(3, 4)
B = rand_default(2, 3, 4)
V = rand_default(5)
I = rand_int(3, 4)

CASES = [
    ("view", lambda t, x: x.view(4, 3), [A]),
    ("view_tuple", lambda t, x: x.view((2, -1)), [A]),
    ("view_as", lambda t, x, y: x.view_as(y), [A, rand_default(12)]),
    ("reshape", lambda t, x: t.reshape(x, (6, -1)), [A]),
    ("reshape_method", lambda t, x: x.reshape(2, 2, 3), [A]),
    ("reshape_of_transpose", lambda t, x: x.t().reshape(-1), [A]),
    ("permute", lambda t, x: x.permute(2, 0, 1), [B]),
    ("permute_tuple", lambda t, x: t.permute(x, (1, -1, 0)), [B]),
    ("transpose", lambda t, x: x.transpose(0, -1), [B]),
    ("swapaxes", lambda t, x: t.swapaxes(x, 0, 1), [B]),
    ("swapdims", lambda t, x: x.swapdims(1, 2), [B]),
    ("t", lambda t, x: x.t(), [A]),
    ("t_1d", lambda t, x: t.t(x), [V]),
    ("T", lambda t, x: x.T, [A]),
    ("mT", lambda t, x: x.mT, [B]),
    ("mH", lambda t, x: x.mH, [B]),
    ("H", lambda t, x: x.H, [A]),
    ("adjoint", lambda t, x: t.adjoint(x), [B]),
    ("squeeze", lambda t, x: x.squeeze(), [rand_default(1, 3, 1, 2)]),
    ("squeeze_dim", lambda t, x: x.squeeze(2), [rand_default(1, 3, 1, 2)]),
    ("squeeze_dim_noop", lambda t, x: x.squeeze(1), [rand_default(1, 3, 1, 2)]),
    ("squeeze_dims", lambda t, x: t.squeeze(x, (0, -2)), [rand_default(1, 3, 1, 2)]),
    ("unsqueeze", lambda t, x: x.unsqueeze(-1), [A]),
    ("unsqueeze0", lambda t, x: t.unsqueeze(x, 0), [A]),
    ("flatten", lambda t, x: x.flatten(), [B]),
    ("flatten_range", lambda t, x: t.flatten(x, 1), [B]),
    ("flatten_0d", lambda t, x: x.sum().flatten(), [A]),
    ("flatten_mid", lambda t, x: x.flatten(0, 1), [B]),
    ("unflatten", lambda t, x: x.unflatten(1, (2, -1)), [A]),
    ("expand", lambda t, x: x[:, :1].expand(3, 5), [A]),
    ("expand_new_dims", lambda t, x: x.expand(2, -1, 4), [A]),
    ("expand_tuple", lambda t, x: x.expand((2, 3, 4)), [A]),
    ("expand_as", lambda t, x, y: x.expand_as(y), [A, B]),
    ("narrow", lambda t, x: x.narrow(1, 1, 2), [A]),
    ("narrow_neg", lambda t, x: t.narrow(x, -1, -3, 2), [A]),
    ("select", lambda t, x: x.select(1, -1), [A]),
    ("diagonal", lambda t, x: x.diagonal(), [A]),
    ("diagonal_offset", lambda t, x: t.diagonal(x, -1, 1, 2), [B]),
    ("unfold", lambda t, x: x.unfold(1, 2, 1), [A]),
    ("unfold_step", lambda t, x: x.unfold(0, 2, 2), [rand_default(5, 2)]),
    ("movedim", lambda t, x: t.movedim(x, 0, -1), [B]),
    ("moveaxis_tuple", lambda t, x: x.moveaxis((0, 1), (2, 0)), [B]),
    ("unbind", lambda t, x: x.unbind(1), [A]),
    ("unbind_fn", lambda t, x: t.unbind(x), [A]),
    ("split_int", lambda t, x: x.split(3, 1), [rand_default(2, 7)]),
    ("split_list", lambda t, x: t.split(x, [1, 2], 0), [A]),
    ("chunk", lambda t, x: x.chunk(3, 1), [rand_default(2, 7)]),
    ("chunk_fewer", lambda t, x: t.chunk(x, 4), [rand_default(6, 2)]),
    ("tensor_split_int", lambda t, x: x.tensor_split(3, 1), [rand_default(2, 7)]),
    ("tensor_split_list", lambda t, x: t.tensor_split(x, [1, 5, 9], 1), [rand_default(2, 7)]),
    ("hsplit", lambda t, x: t.hsplit(x, 2), [A]),
    ("vsplit", lambda t, x: t.vsplit(x, [1]), [A]),
    ("dsplit", lambda t, x: t.dsplit(x, 2), [B]),
    ("cat", lambda t, x, y: t.cat([x, y], 1), [A, rand_default(3, 2)]),
    ("cat_neg_dim", lambda t, x, y: t.cat((x, y), -2), [A, rand_default(1, 4)]),
    ("cat_promote", lambda t, x, y: t.cat([x, y]), [A, I]),
    ("cat_int", lambda t, x: t.cat([x, x], 1), [I]),
    ("cat_skip_empty", lambda t, x, e: t.cat([x, e, x]), [A, np.zeros(0, np.float32)]),
    ("concat", lambda t, x, y: t.concat([x, y]), [A, A]),
    ("concatenate", lambda t, x, y: t.concatenate([x, y], dim=1), [A, A]),
    ("stack", lambda t, x, y: t.stack([x, y]), [A, A]),
    ("stack_last", lambda t, x, y: t.stack((x, y), -1), [A, A]),
    ("stack_promote", lambda t, x, y: t.stack([x, y], 1), [A, I]),
    ("hstack", lambda t, x, y: t.hstack([x, y]), [A, A]),
    ("hstack_1d", lambda t, x, y: t.hstack([x, y]), [V, V]),
    ("vstack", lambda t, x, y: t.vstack([x, y]), [V, V]),
    ("row_stack", lambda t, x, y: t.row_stack([x, y]), [A, A]),
    ("dstack", lambda t, x, y: t.dstack([x, y]), [A, A]),
    ("column_stack", lambda t, x, y: t.column_stack([x, y]), [V, rand_default(5, 2)]),
    ("flip", lambda t, x: x.flip(0), [A]),
    ("flip_dims", lambda t, x: t.flip(x, (0, 2)), [B]),
    ("flip_varargs", lambda t, x: x.flip(0, 1), [A]),
    ("fliplr", lambda t, x: t.fliplr(x), [A]),
    ("flipud", lambda t, x: t.flipud(x), [A]),
    ("roll", lambda t, x: x.roll(1), [A]),
    ("roll_dims", lambda t, x: t.roll(x, (1, -2), (0, 1)), [A]),
    ("rot90", lambda t, x: t.rot90(x), [A]),
    ("rot90_k", lambda t, x: x.rot90(3, (1, 2)), [B]),
    ("repeat", lambda t, x: x.repeat(2, 1, 3), [A]),
    ("repeat_tuple", lambda t, x: x.repeat((2, 2)), [A]),
    ("tile", lambda t, x: x.tile(2), [A]),
    ("tile_fn", lambda t, x: t.tile(x, (2, 1, 1)), [A]),
    ("broadcast_to", lambda t, x: t.broadcast_to(x, (2, 3, 4)), [A]),
    ("broadcast_tensors", lambda t, x, y: t.broadcast_tensors(x, y), [A, rand_default(2, 1, 1)]),
    ("atleast_1d", lambda t, x: t.atleast_1d(x.sum()), [A]),
    ("atleast_2d", lambda t, x: t.atleast_2d(x), [V]),
    ("atleast_3d_seq", lambda t, x, y: t.atleast_3d([x, y]), [V, A]),
    ("atleast_3d_0d", lambda t, x: t.atleast_3d(x.sum()), [A]),
    ("meshgrid_ij", lambda t, x, y: t.meshgrid(x, y, indexing="ij"), [V, rand_default(3)]),
    ("meshgrid_xy", lambda t, x, y: t.meshgrid([x, y], indexing="xy"), [V, rand_default(3)]),
    ("tril", lambda t, x: x.tril(), [A]),
    ("tril_diag", lambda t, x: t.tril(x, -1), [B]),
    ("triu", lambda t, x: t.triu(x, 1), [A]),
    ("triu_int", lambda t, x: x.triu(), [I]),
    ("diag_1d", lambda t, x: t.diag(x, 1), [V]),
    ("diag_2d", lambda t, x: x.diag(-1), [A]),
    ("diag_embed", lambda t, x: t.diag_embed(x), [A]),
    ("diag_embed_dims", lambda t, x: t.diag_embed(x, 1, 0, 2), [A]),
    ("diagflat", lambda t, x: t.diagflat(x), [rand_default(2, 2)]),
    ("ravel", lambda t, x: x.t().ravel(), [A]),
    ("contiguous", lambda t, x: x.t().contiguous(), [A]),
]


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_shape_op(name, fn, inputs):
    check(fn, inputs)


GRAD_FN = [
    ("view", lambda t, x: x.view(12)), ("reshape_view", lambda t, x: x.reshape(12)),
    ("reshape_copy", lambda t, x: x.t().reshape(12)), ("permute", lambda t, x: x.permute(1, 0)),
    ("transpose", lambda t, x: x.transpose(0, 1)), ("t", lambda t, x: x.t()),
    ("T", lambda t, x: x.T), ("squeeze", lambda t, x: x.squeeze()),
    ("squeeze1", lambda t, x: x.squeeze(0)), ("squeeze2", lambda t, x: x.squeeze((0, 1))),
    ("unsqueeze", lambda t, x: x.unsqueeze(0)), ("expand", lambda t, x: x.expand(2, 3, 4)),
    ("narrow", lambda t, x: x.narrow(0, 1, 1)), ("select", lambda t, x: x.select(0, 1)),
    ("diagonal", lambda t, x: x.diagonal()), ("unfold", lambda t, x: x.unfold(0, 2, 1)),
    ("movedim", lambda t, x: x.movedim(0, 1)), ("unbind", lambda t, x: x.unbind()[0]),
    ("split", lambda t, x: x.split(2)[0]), ("split_sizes", lambda t, x: x.split([1, 3], 1)[0]),
    ("chunk", lambda t, x: x.chunk(2)[1]), ("cat", lambda t, x: t.cat([x, x])),
    ("stack", lambda t, x: t.stack([x, x])), ("repeat", lambda t, x: x.repeat(2, 1)),
    ("flip", lambda t, x: x.flip(0)), ("roll", lambda t, x: x.roll(1)),
    ("rot90", lambda t, x: x.rot90()), ("tril", lambda t, x: x.tril()),
    ("diag_embed", lambda t, x: t.diag_embed(x)), ("mT", lambda t, x: x.mT),
]


@pytest.mark.parametrize("name,fn", GRAD_FN, ids=[c[0] for c in GRAD_FN])
def test_grad_fn_name(name, fn):
    import torch
    x_t = torch.from_numpy(A.copy()).requires_grad_(True) * 1
    x_l = torchlike.from_numpy(A.copy()).requires_grad_(True) * 1
    assert fn(torchlike, x_l).grad_fn.name() == fn(torch, x_t).grad_fn.name()


ERRORS = [
    ("view_size", lambda t, x: x.view(3, 5), [A]),
    ("view_two_infer", lambda t, x: x.view(-1, -1), [A]),
    ("view_infer_bad", lambda t, x: x.view(-1, 5), [A]),
    ("view_noncontig", lambda t, x: x.t().view(12), [A]),
    ("reshape_size", lambda t, x: x.reshape(5, 2), [A]),
    ("permute_len", lambda t, x: x.permute(0, 1, 2), [A]),
    ("permute_dim", lambda t, x: x.permute(0, 5), [A]),
    ("permute_dup", lambda t, x: x.permute(0, 0), [A]),
    ("transpose_dim", lambda t, x: x.transpose(0, 2), [A]),
    ("t_3d", lambda t, x: x.t(), [B]),
    ("mT_1d", lambda t, x: x.mT, [V]),
    ("squeeze_dim", lambda t, x: x.squeeze(3), [A]),
    ("unsqueeze_dim", lambda t, x: x.unsqueeze(3), [A]),
    ("flatten_order", lambda t, x: x.flatten(1, 0), [A]),
    ("expand_mismatch", lambda t, x: x.expand(2, 5), [A]),
    ("expand_too_few", lambda t, x: x.expand(4), [A]),
    ("narrow_past", lambda t, x: x.narrow(1, 3, 2), [A]),
    ("select_range", lambda t, x: x.select(0, 3), [A]),
    ("unfold_size", lambda t, x: x.unfold(0, 5, 1), [A]),
    ("cat_sizes", lambda t, x, y: t.cat([x, y], 1), [rand_default(2, 3), rand_default(3, 3)]),
    ("cat_ndim", lambda t, x, y: t.cat([x, y]), [A, V]),
    ("cat_empty_list", lambda t: t.cat([]), []),
    ("cat_zero_dim", lambda t, x: t.cat([x.sum(), x.sum()]), [A]),
    ("cat_dim", lambda t, x: t.cat([x, x], 2), [A]),
    ("stack_sizes", lambda t, x, y: t.stack([x, y]), [A, rand_default(4, 3)]),
    ("stack_empty", lambda t: t.stack([]), []),
    ("repeat_few", lambda t, x: x.repeat(2), [A]),
    ("flip_dup", lambda t, x: x.flip(0, 0), [A]),
    ("fliplr_1d", lambda t, x: t.fliplr(x), [V]),
    ("rot90_dims", lambda t, x: t.rot90(x, 1, (0,)), [A]),
    ("roll_align", lambda t, x: t.roll(x, (1, 2), 0), [A]),
    ("tril_1d", lambda t, x: t.tril(x), [V]),
    ("diag_3d", lambda t, x: t.diag(x), [B]),
    ("split_sizes", lambda t, x: x.split([1, 1], 0), [A]),
    ("chunk_zero", lambda t, x: x.chunk(0), [A]),
    ("hsplit_div", lambda t, x: t.hsplit(x, 3), [A]),
    ("broadcast_tensors", lambda t, x, y: t.broadcast_tensors(x, y), [A, rand_default(3)]),
    ("meshgrid_dtype", lambda t, x, y: t.meshgrid(x, y, indexing="ij"), [V, I[0]]),
    ("unflatten_sizes", lambda t, x: x.unflatten(1, (3, 2)), [A]),
]


@pytest.mark.parametrize("name,fn,inputs", ERRORS, ids=[c[0] for c in ERRORS])
def test_shape_error(name, fn, inputs):
    check_error(fn, inputs, match_message=True)


def test_adjoint_complex():
    import torch
    a = (A + 1j * A).astype(np.complex64)
    want = torch.from_numpy(a).adjoint().resolve_conj().numpy()
    np.testing.assert_allclose(torchlike.from_numpy(a).adjoint().numpy(), want)


def test_broadcast_shapes():
    import torch
    for shapes in [((2, 1), (3,)), ((1,), (4, 1, 1), (4,)), ((), (2,)), (3, (2, 1))]:
        assert tuple(torchlike.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))
    check_error(lambda t: t.broadcast_shapes((2,), (3,)))


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing"):
        torchlike.meshgrid(torchlike.arange(2), torchlike.arange(3))


@pytest.mark.parametrize("shape,new,viewable", [
    ((3, 4), (2, 6), True), ((4, 6), (24,), True),
])
def test_reshape_view_or_copy_matches_torch(shape, new, viewable):
    import torch
    cases = [lambda m, x: x, lambda m, x: x.t(), lambda m, x: x[:, :2], lambda m, x: x[1:],
             lambda m, x: x[:, ::2], lambda m, x: x.unsqueeze(1)[:, :, 1:]]
    for make in cases:
        xt = make(torch, torch.zeros(*shape))
        xl = make(torchlike, torchlike.zeros(*shape))
        for target in [(-1,), (xt.shape[0], -1), (1, -1, 1), tuple(xt.shape) + (1,)]:
            want = xt.reshape(target)
            got = xl.reshape(target)
            want.add_(1)
            got.add_(1)
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            base_t = xt._base if xt._base is not None else xt
            base_l = xl._base if xl._base is not None else xl
            np.testing.assert_array_equal(base_l.numpy(), base_t.numpy(), err_msg=str(target))
