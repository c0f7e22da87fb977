"""View semantics against torch: in-place writes through views reach the base (and views of the
base see writes to it), detach/.data share data, autograd through in-place ops on views."""

import numpy as np
import pytest
import torch
from helpers import assert_close, check, check_error, rand_default

import torchlike

A = rand_default(3, 4)


def _run(lib, program):
    x = lib.from_numpy(A.copy())
    out = program(lib, x)
    return x, out


# Each program mutates through views of x; the final x (and whatever it returns) must match torch.
PROGRAMS = [
    ("select_add", lambda t, x: x[0].add_(1)),
    ("view_setitem", lambda t, x: x.view(12).__setitem__(3, 5.0)),
    ("t_row_mul", lambda t, x: x.t()[0].mul_(3)),
    ("t_setitem", lambda t, x: x.t().__setitem__(1, -1.0)),
    ("reader_sees_write", lambda t, x: (x[:, 1], x.mul_(2))[0]),
    ("view_of_view", lambda t, x: x[1:].view(-1)[2:].view(2, 3).add_(10)),
    ("reshape_of_slice_copies", lambda t, x: x[1:][:, 2:].reshape(-1).add_(10)),
    ("reshape_fresh", lambda t, x: x.reshape(2, 6)[1].sub_(4)),
    ("reshape_of_t_copies", lambda t, x: x.t().reshape(12).add_(100)),
    ("flatten_view", lambda t, x: x.flatten()[::3].mul_(0)),
    ("permute", lambda t, x: x.permute(1, 0)[2].add_(7)),
    ("transpose", lambda t, x: x.transpose(0, 1).select(1, 2).mul_(-1)),
    ("squeeze_unsqueeze", lambda t, x: x.unsqueeze(0).squeeze(0)[2].add_(1)),
    ("narrow", lambda t, x: x.narrow(1, 1, 2).mul_(5)),
    ("diagonal", lambda t, x: x.diagonal().add_(100)),
    ("diagonal_offset", lambda t, x: x.diagonal(1).mul_(0)),
    ("unfold", lambda t, x: x.unfold(1, 2, 2).mul_(2)),
    ("movedim", lambda t, x: x.movedim(0, 1)[0].add_(3)),
    ("unbind", lambda t, x: x.unbind(1)[2].add_(9)),
    ("split", lambda t, x: x.split(2, 1)[1].mul_(-2)),
    ("chunk", lambda t, x: x.chunk(3)[2].add_(1)),
    ("tensor_split", lambda t, x: x.tensor_split([1, 3], 1)[1].mul_(0)),
    ("slice_step", lambda t, x: x[::2, 1::2].add_(50)),
    ("none_ellipsis", lambda t, x: x[None, ..., 1].add_(2)),
    ("setitem_chain", lambda t, x: (x[1].__setitem__(slice(1, 3), 0.5),
                                    x[:, 0].__setitem__(0, 8.0))),
    ("advanced_is_copy", lambda t, x: x[[0, 1]].add_(100)),
    ("mask_is_copy", lambda t, x: x[x > 0].mul_(0)),
    ("setitem_adv_on_view", lambda t, x: x[1:].__setitem__(([0, 1], [2, 3]), 4.0)),
    ("setitem_mask_on_view", lambda t, x: x.t().__setitem__(x.t() > 0, 0.0)),
    ("detach_shares", lambda t, x: x.detach()[1].add_(1)),
    ("data_shares", lambda t, x: x.data.mul_(2)),
    ("detach_view_reads", lambda t, x: (x.detach(), x.add_(1))[0]),
    ("stale_view_reread", lambda t, x: (x[0], x[0].add_(1), x.t().mul_(2))[0]),
    ("index_fill_on_view", lambda t, x: x[1:].index_fill_(1, t.tensor([0]), -3.0)),
    ("masked_fill_on_t", lambda t, x: x.t().masked_fill_(x.t() < 0, 0.0)),
    ("scatter_on_view", lambda t, x: x[0:2].scatter_(1, t.tensor([[1], [2]]), 9.0)),
    ("expand_then_read", lambda t, x: (x[:, :1].expand(3, 4), x.add_(1))[0]),
    ("view_as_then_write", lambda t, x: x.view_as(t.zeros(4, 3))[3].fill_(1)
     if hasattr(x, "fill_") else x.view_as(t.zeros(4, 3))[3].mul_(0)),
]


@pytest.mark.parametrize("name,program", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_view_writes_match_torch(name, program):
    xt, ot = _run(torch, program)
    xl, ol = _run(torchlike, program)
    assert_close(xl, xt, what="base")
    for lo, to in zip(_tensors(ol), _tensors(ot)):
        assert tuple(lo.shape) == tuple(to.shape)
        assert_close(lo, to, what="returned view")


def _tensors(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    return [out] if isinstance(out, (torch.Tensor, torchlike.Tensor)) else []


@pytest.mark.parametrize("name,program", [
    ("select", lambda t, x: x[1]), ("t", lambda t, x: x.t()), ("view", lambda t, x: x.view(-1)),
    ("reshape", lambda t, x: x.reshape(4, 3)), ("expand", lambda t, x: x[0].expand(2, 4)),
    ("unbind", lambda t, x: x.unbind()[1]), ("narrow", lambda t, x: x.narrow(0, 1, 2)),
    ("adv", lambda t, x: x[[1]]), ("reshape_of_t", lambda t, x: x.t().reshape(-1)),
    ("clone", lambda t, x: x.clone()),
])
def test_is_view_matches_torch(name, program):
    xt, xl = torch.zeros(3, 4), torchlike.zeros(3, 4)
    assert (program(torchlike, xl)._base is xl) == (program(torch, xt)._base is xt)


def test_version_counter_shared():
    for lib in (torch, torchlike):
        x = lib.zeros(3)
        v = x[1:]
        v.add_(1)
        assert x._version == v._version == 1


def _select_mul_(t, w):
    y = w * 1
    y[0].mul_(2)
    return y.sum()


def _t_add_(t, w):
    y = w * 1
    y.t()[1].add_(y[0, 0])
    return y * y


def _setitem_basic(t, w):
    y = w * 1
    y[1] = w[0] * 3
    return y.exp()


def _setitem_adv(t, w):
    y = w + 1
    y[[0, 2]] = w[1] * w[1]
    return y


def _setitem_mask(t, w):
    y = w * 2
    y[y > 0] = 0.0
    return y * w


def _view_chain(t, w):
    y = w * 1
    y.view(4, 3)[1:].mul_(w[0, 0])
    return y


def _inplace_on_unsqueezed(t, w):
    y = w + 0
    y.unsqueeze(0)[0, 1].mul_(5)
    return y


def _base_sees_view_write(t, w):
    y = w * 1
    y[0].add_(w[1])
    return y.sum(0)


def _view_sees_base_write(t, w):
    y = w * 1
    v = y[1]
    y.mul_(w)
    return v * v


AUTOGRAD = [
    ("select_mul_", _select_mul_), ("t_add_", _t_add_), ("setitem_basic", _setitem_basic),
    ("setitem_adv", _setitem_adv), ("setitem_mask", _setitem_mask), ("view_chain", _view_chain),
    ("inplace_on_unsqueezed", _inplace_on_unsqueezed),
    ("index_put_", lambda t, w: (w * 1).index_put_((t.tensor([0, 1]),), w[2], accumulate=True)),
    ("masked_fill_", lambda t, w: (w * 1).masked_fill_(w > 0, 2.0)),
    ("base_sees_view_write", _base_sees_view_write),
    ("view_sees_base_write", _view_sees_base_write),
]


@pytest.mark.parametrize("name,fn", AUTOGRAD, ids=[a[0] for a in AUTOGRAD])
def test_autograd_through_inplace_views(name, fn):
    check(fn, [A])


def test_copyslices_grad_fn():
    names = []
    for lib in (torch, torchlike):
        y = lib.zeros(3, 4, requires_grad=True) * 1
        y[0].add_(1)
        names.append(y.grad_fn.name())
        assert repr(y.grad_fn).startswith("<CopySlices object")
    assert names[0] == names[1]


LEAF_ERRORS = [
    ("view_of_leaf", lambda t, x: x.requires_grad_()[0].add_(1)),
    ("t_of_leaf", lambda t, x: x.requires_grad_().t().mul_(2)),
    ("leaf", lambda t, x: x.requires_grad_().add_(1)),
    ("setitem_leaf", lambda t, x: x.requires_grad_().__setitem__(0, 1.0)),
    ("view_noncontig", lambda t, x: x.t().view(-1)),
    ("view_noncontig_slice", lambda t, x: x[:, :2].view(-1)),
    # outputs of multi-output view functions may not be written in place when grad is tracked
    ("unbind_out", lambda t, x: (x.requires_grad_() * 1).unbind(0)[1].mul_(2)),
    ("split_out", lambda t, x: (x.requires_grad_() * 1).split(1)[0].add_(1)),
    ("chunk_out", lambda t, x: (x.requires_grad_() * 1).chunk(2, 1)[1].zero_()),
    ("split_sizes_out", lambda t, x: (x.requires_grad_() * 1).split([1, 3], 1)[1].mul_(2)),
    ("split_of_leaf", lambda t, x: x.requires_grad_().split(1)[0].mul_(2)),
    ("view_of_split_out", lambda t, x: (x.requires_grad_() * 1).split(1)[0][:, 1:].mul_(2)),
    # in-place ops that read a self-overlapping (expanded) tensor
    ("expand_add", lambda t, x: x[0].expand(3, 4).add_(1)),
    ("expand_new_dim_mul", lambda t, x: x[0].clone().expand(2, 4).mul_(2)),
    ("expand_clamp", lambda t, x: x[:, :1].expand(3, 4).clamp_(0, 1)),
]


@pytest.mark.parametrize("name,fn", LEAF_ERRORS, ids=[e[0] for e in LEAF_ERRORS])
def test_view_errors(name, fn):
    check_error(fn, [A], match_message=True)


ALLOWED = {  # torch accepts these: no grad tracked, a non-overlapping view, write-only ops
    "split_no_grad": lambda t, x: x.split(1)[0].mul_(2),
    "tensor_split_out": lambda t, x: (x.requires_grad_() * 1).tensor_split(2)[0].mul_(2),
    "unbind_under_no_grad": lambda t, x: _no_grad(t, lambda: x.requires_grad_().unbind(0)[0]
                                                  .mul_(2)),
    "expand_row": lambda t, x: x[:1].clone().expand(3, 4)[0].add_(1),
    "expand_same_size": lambda t, x: x.clone().expand(3, 4).add_(1),
    "expand_fill": lambda t, x: x[0].clone().expand(2, 4).fill_(5),
    "expand_zero": lambda t, x: x[0].clone().expand(2, 4).zero_(),
}


def _no_grad(t, f):
    with t.no_grad():
        return f()


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_inplace_allowed_like_torch(name):
    check(lambda t, x: ALLOWED[name](t, x).detach(), [A], grad=False)


def test_inplace_on_leaf_view_ok_under_no_grad():
    outs = []
    for lib in (torch, torchlike):
        x = lib.from_numpy(A.copy()).requires_grad_()
        with lib.no_grad():
            x[0].mul_(0)
            x.t()[1].add_(1)
        outs.append(x.detach().numpy())
    np.testing.assert_array_equal(outs[1], outs[0])


def test_view_allowed_on_compatible_strides():
    for lib in (torch, torchlike):
        x = lib.zeros(4, 6)[:, :3]
        v = x.view(2, 2, 3)
        v.add_(1)
        assert float(x.sum()) == 12.0
        assert v._base is not None


def test_basic_index_loop_does_not_recompile():
    from torchlike._ops import indexing
    x = torchlike.arange(200.0).reshape(100, 2)
    x[0]
    before = sum(len(e.cache) for e in indexing._BASIC.values())
    for i in range(100):
        assert float(x[i, 1]) == 2 * i + 1
        x[i:i + 1]
    assert sum(len(e.cache) for e in indexing._BASIC.values()) - before <= 2
