"""Embedding(max_norm) and EmbeddingBag / F.embedding_bag against torch: outputs, weight and
per-sample-weight gradients, the in-place renormalisation of the weight, errors and repr."""

import numpy as np
import pytest
import torch
from helpers import check, check_error, rand_default, rand_int, rand_positive

import torchlike


def F(t):
    return t.nn.functional


def _idx(*shape, n=10):
    return rand_int(*shape, low=0, high=n)


@pytest.mark.parametrize(("max_norm", "norm_type"), [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0)])
def test_embedding_max_norm_renormalises_used_rows(max_norm, norm_type):
    w = rand_default(10, 4) * 2
    idx = np.array([[1, 3, 3], [0, 9, 1]])

    def fn(t, w, idx):
        out = F(t).embedding(idx, w, max_norm=max_norm, norm_type=norm_type)
        return out, w.detach().clone()
    check(fn, [w, idx])


def test_embedding_module_max_norm_and_version():
    w = rand_default(8, 3) * 3
    res = []
    for t in (torch, torchlike):
        emb = t.nn.Embedding(8, 3, max_norm=1.5, padding_idx=0)
        with t.no_grad():
            emb.weight.copy_(t.from_numpy(w.copy()))
        v0 = emb.weight._version
        out = emb(t.tensor([[2, 5], [5, 7]]))
        out.sum().backward()
        res.append((out.detach().numpy(), emb.weight.detach().numpy(), emb.weight.grad.numpy(),
                    emb.weight._version > v0))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1.3e-5, atol=1e-6)


BAGS = [
    ("2d_mean", lambda t, w, i: F(t).embedding_bag(i, w), lambda: [rand_default(10, 4),
                                                                   _idx(3, 4)]),
    ("2d_sum", lambda t, w, i: F(t).embedding_bag(i, w, mode="sum"),
     lambda: [rand_default(10, 4), _idx(3, 4)]),
    ("2d_max", lambda t, w, i: F(t).embedding_bag(i, w, mode="max"),
     lambda: [rand_default(10, 4), _idx(3, 4)]),
    ("offsets_mean_empty_bag", lambda t, w, i, o: F(t).embedding_bag(i, w, o),
     lambda: [rand_default(10, 4), _idx(7), np.array([0, 2, 2, 5])]),
    ("offsets_sum", lambda t, w, i, o: F(t).embedding_bag(i, w, o, mode="sum"),
     lambda: [rand_default(10, 4), _idx(7), np.array([0, 3, 4])]),
    ("offsets_max_empty_bag", lambda t, w, i, o: F(t).embedding_bag(i, w, o, mode="max"),
     lambda: [rand_default(10, 4), _idx(7), np.array([0, 0, 4])]),
    ("include_last_offset", lambda t, w, i, o: F(t).embedding_bag(
        i, w, o, mode="sum", include_last_offset=True),
     lambda: [rand_default(10, 4), _idx(7), np.array([0, 2, 5, 7])]),
    ("per_sample_weights", lambda t, w, i, o, p: F(t).embedding_bag(
        i, w, o, mode="sum", per_sample_weights=p),
     lambda: [rand_default(10, 4), _idx(7), np.array([0, 3, 4]), rand_positive(7)]),
    ("per_sample_weights_2d", lambda t, w, i, p: F(t).embedding_bag(
        i, w, mode="sum", per_sample_weights=p),
     lambda: [rand_default(10, 4), _idx(2, 3), rand_default(2, 3)]),
    ("padding_idx_mean", lambda t, w, i, o: F(t).embedding_bag(i, w, o, padding_idx=2),
     lambda: [rand_default(10, 4), np.array([2, 1, 2, 2, 5, 2]), np.array([0, 3, 4])]),
    ("padding_idx_max", lambda t, w, i: F(t).embedding_bag(i, w, mode="max", padding_idx=-1),
     lambda: [rand_default(10, 4), np.array([[9, 1, 9], [9, 9, 9]])]),
    ("padding_idx_sum_psw", lambda t, w, i, o, p: F(t).embedding_bag(
        i, w, o, mode="sum", per_sample_weights=p, padding_idx=0),
     lambda: [rand_default(10, 4), np.array([0, 1, 0, 4]), np.array([0, 2]),
              rand_positive(4)]),
    ("max_norm", lambda t, w, i, o: (F(t).embedding_bag(i, w, o, max_norm=1.0),
                                     w.detach().clone()),
     lambda: [rand_default(10, 4) * 2, _idx(6), np.array([0, 2])]),
    ("float64", lambda t, w, i: F(t).embedding_bag(i, w, mode="sum"),
     lambda: [rand_default(10, 4, dtype=np.float64), _idx(2, 5)]),
]


@pytest.mark.parametrize(("fn", "make"), [pytest.param(f, m, id=i) for i, f, m in BAGS])
def test_embedding_bag(fn, make):
    check(fn, make())


@pytest.mark.parametrize(("kw", "args"), [
    ({"mode": "sum"}, lambda t: (t.tensor([1, 2, 4, 5, 4]), t.tensor([0, 2]))),
    ({"mode": "max", "padding_idx": 3}, lambda t: (t.tensor([[1, 3], [3, 3]]),)),
    ({"include_last_offset": True},
     lambda t: (t.tensor([1, 2, 4, 5, 4]), t.tensor([0, 2, 5]))),
])
def test_embedding_bag_module(kw, args):
    torch.manual_seed(0)
    tm = torch.nn.EmbeddingBag(8, 3, **kw)
    lm = torchlike.nn.EmbeddingBag(8, 3, **kw)
    assert repr(lm) == repr(tm)
    if "padding_idx" in kw:
        assert not lm.weight.detach().numpy()[kw["padding_idx"]].any()
    lm.load_state_dict({"weight": torchlike.from_numpy(tm.weight.detach().numpy().copy())})
    to, lo = tm(*args(torch)), lm(*args(torchlike))
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1.3e-5, atol=1e-6)
    to.sum().backward()
    lo.sum().backward()
    np.testing.assert_allclose(lm.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1.3e-5,
                               atol=1e-6)


def test_embedding_bag_from_pretrained():
    w = rand_default(5, 2)
    tm = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(w), mode="max")
    lm = torchlike.nn.EmbeddingBag.from_pretrained(torchlike.from_numpy(w), mode="max")
    assert repr(lm) == repr(tm) and lm.weight.requires_grad == tm.weight.requires_grad
    i = np.array([[0, 4], [2, 3]])
    np.testing.assert_allclose(lm(torchlike.from_numpy(i)).numpy(),
                               tm(torch.from_numpy(i)).numpy())


ERRORS = [
    (lambda t, w, i: F(t).embedding_bag(i, w, mode="avg"), [rand_default(5, 2), _idx(2, 2, n=5)]),
    (lambda t, w, i, p: F(t).embedding_bag(i, w, per_sample_weights=p),
     [rand_default(5, 2), _idx(2, 2, n=5), rand_default(2, 2)]),
    (lambda t, w, i: F(t).embedding_bag(i, w), [rand_default(5, 2), _idx(4, n=5)]),
    (lambda t, w, i, o: F(t).embedding_bag(i, w, o), [rand_default(5, 2), _idx(2, 2, n=5),
                                                      np.array([0, 1])]),
    (lambda t, w, i: F(t).embedding_bag(i, w, padding_idx=7), [rand_default(5, 2),
                                                               _idx(2, 2, n=5)]),
    (lambda t, w, i: F(t).embedding_bag(i, w), [rand_default(5, 2), rand_default(2, 2)]),
]


@pytest.mark.parametrize(("fn", "ins"), ERRORS)
def test_embedding_bag_errors(fn, ins):
    check_error(fn, ins, match_message=True)


@pytest.mark.xfail(strict=True, raises=NotImplementedError,
                   reason="embedding_bag(scale_grad_by_freq=True) not implemented")
def test_embedding_bag_scale_grad_by_freq_gap():
    check(lambda t, w, i: F(t).embedding_bag(i, w, mode="sum", scale_grad_by_freq=True),
          [rand_default(10, 4), _idx(2, 3)])
