"""The margin, embedding, Poisson/Gaussian and CTC losses (functional and modules) against torch:
values and input gradients for every reduction, plus torch's argument errors."""

import numpy as np
import pytest
import torch
from helpers import RNG, check, check_error, rand_default, rand_int, rand_positive

import torchlike


def F(t):
    return t.nn.functional


def _sign(*shape):
    return np.where(RNG.random(shape) > 0.5, 1.0, -1.0).astype(np.float32)


def _multilabel_target(n, c):
    t = np.full((n, c), -1, np.int64)
    for i in range(n):
        k = RNG.integers(0, c + 1)
        t[i, :k] = RNG.permutation(c)[:k]
    t[0, 2] = -1  # entries after the first -1 are ignored
    t[0, 3] = 1
    return t


def _log_probs(T, N, C, dtype=np.float32):
    x = rand_default(T, N, C, dtype=dtype)
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dtype)


REDUCTIONS = ["none", "mean", "sum"]

# (id, fn(t, reduction, *inputs), inputs)
CASES = [
    ("margin_ranking", lambda t, r, a, b, y: F(t).margin_ranking_loss(a, b, y, reduction=r),
     lambda: [rand_default(7), rand_default(7), _sign(7)]),
    ("margin_ranking_margin", lambda t, r, a, b, y: F(t).margin_ranking_loss(
        a, b, y, margin=0.5, reduction=r), lambda: [rand_default(7), rand_default(7), _sign(7)]),
    ("hinge_embedding", lambda t, r, x, y: F(t).hinge_embedding_loss(x, y, reduction=r),
     lambda: [rand_default(4, 5), _sign(4, 5)]),
    ("hinge_embedding_margin", lambda t, r, x, y: F(t).hinge_embedding_loss(
        x, y, margin=0.3, reduction=r), lambda: [rand_default(6), _sign(6)]),
    ("soft_margin", lambda t, r, x, y: F(t).soft_margin_loss(x, y.detach(), reduction=r),
     lambda: [rand_default(4, 5), _sign(4, 5)]),
    ("multilabel_soft_margin", lambda t, r, x, y: F(t).multilabel_soft_margin_loss(
        x, y, reduction=r), lambda: [rand_default(4, 5), (RNG.random((4, 5)) > 0.5)
                                     .astype(np.float32)]),
    ("multilabel_soft_margin_w", lambda t, r, x, y, w: F(t).multilabel_soft_margin_loss(
        x, y, weight=w, reduction=r), lambda: [rand_default(4, 5), (RNG.random((4, 5)) > 0.5)
                                               .astype(np.float32), rand_positive(5)]),
    ("cosine_embedding", lambda t, r, a, b, y: F(t).cosine_embedding_loss(a, b, y, reduction=r),
     lambda: [rand_default(6, 4), rand_default(6, 4), _sign(6)]),
    ("cosine_embedding_margin", lambda t, r, a, b, y: F(t).cosine_embedding_loss(
        a, b, y, margin=0.2, reduction=r), lambda: [rand_default(6, 4), rand_default(6, 4),
                                                   _sign(6)]),
    ("cosine_embedding_1d", lambda t, r, a, b, y: F(t).cosine_embedding_loss(
        a, b, y, reduction=r), lambda: [rand_default(4), rand_default(4), np.float32(-1.0)]),
    ("multi_margin", lambda t, r, x, y: F(t).multi_margin_loss(x, y, reduction=r),
     lambda: [rand_default(5, 4), rand_int(5, low=0, high=4)]),
    ("multi_margin_p2_w", lambda t, r, x, y, w: F(t).multi_margin_loss(
        x, y, p=2, margin=0.7, weight=w.detach(), reduction=r),
     lambda: [rand_default(5, 4), rand_int(5, low=0, high=4), rand_positive(4)]),
    ("multi_margin_1d", lambda t, r, x, y: F(t).multi_margin_loss(x, y, reduction=r),
     lambda: [rand_default(4), np.array(2, np.int64)]),
    ("multilabel_margin", lambda t, r, x, y: F(t).multilabel_margin_loss(x, y, reduction=r),
     lambda: [rand_default(5, 6), _multilabel_target(5, 6)]),
    ("multilabel_margin_1d", lambda t, r, x, y: F(t).multilabel_margin_loss(x, y, reduction=r),
     lambda: [rand_default(4), np.array([3, 0, -1, 1], np.int64)]),
    ("poisson_nll", lambda t, r, x, y: F(t).poisson_nll_loss(x, y, reduction=r),
     lambda: [rand_default(4, 5), rand_int(4, 5, low=0, high=5).astype(np.float32)]),
    ("poisson_nll_full_lin", lambda t, r, x, y: F(t).poisson_nll_loss(
        x, y, log_input=False, full=True, reduction=r),
     lambda: [rand_positive(4, 5), rand_int(4, 5, low=0, high=5).astype(np.float32)]),
    ("gaussian_nll", lambda t, r, x, y, v: F(t).gaussian_nll_loss(x, y, v, reduction=r),
     lambda: [rand_default(4, 3), rand_default(4, 3), rand_positive(4, 3)]),
    ("gaussian_nll_homo_full", lambda t, r, x, y, v: F(t).gaussian_nll_loss(
        x, y, v, full=True, eps=0.3, reduction=r),
     lambda: [rand_default(4, 3), rand_default(4, 3), rand_positive(4)]),
    ("gaussian_nll_float_var", lambda t, r, x, y: F(t).gaussian_nll_loss(x, y, 0.5, reduction=r),
     lambda: [rand_default(4, 3), rand_default(4, 3)]),
    ("triplet_margin", lambda t, r, a, p, n: F(t).triplet_margin_loss(a, p, n, reduction=r),
     lambda: [rand_default(5, 4), rand_default(5, 4), rand_default(5, 4)]),
    ("triplet_margin_p1_swap", lambda t, r, a, p, n: F(t).triplet_margin_loss(
        a, p, n, margin=2.0, p=1, swap=True, reduction=r),
     lambda: [rand_default(5, 4), rand_default(5, 4), rand_default(5, 4)]),
    ("triplet_distance", lambda t, r, a, p, n: F(t).triplet_margin_with_distance_loss(
        a, p, n, reduction=r), lambda: [rand_default(5, 4), rand_default(5, 4),
                                        rand_default(5, 4)]),
    ("triplet_distance_cos_swap", lambda t, r, a, p, n: F(t).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - F(t).cosine_similarity(x, y), swap=True,
        margin=0.5, reduction=r),
     lambda: [rand_default(5, 4), rand_default(5, 4), rand_default(5, 4)]),
    ("ctc_padded", lambda t, r, lp, tg, il, tl: F(t).ctc_loss(lp, tg, il, tl, reduction=r),
     lambda: [_log_probs(12, 3, 5), rand_int(3, 4, low=1, high=5),
              np.array([12, 10, 7]), np.array([4, 2, 3])]),
    ("ctc_repeats_blank2", lambda t, r, lp, tg, il, tl: F(t).ctc_loss(
        lp, tg, il, tl, blank=2, reduction=r),
     lambda: [_log_probs(10, 2, 4), np.array([[1, 1, 3], [0, 0, 0]]),
              np.array([10, 9]), np.array([3, 0])]),
    ("ctc_concat_tuple_lengths", lambda t, r, lp, tg: F(t).ctc_loss(
        lp, tg, (9, 8), (3, 2), reduction=r),
     lambda: [_log_probs(9, 2, 6), np.array([1, 2, 2, 5, 3])]),
    ("ctc_unbatched", lambda t, r, lp, tg: F(t).ctc_loss(lp, tg, (8,), (3,), reduction=r),
     lambda: [_log_probs(8, 1, 5)[:, 0], np.array([1, 4, 2])]),
    ("ctc_zero_infinity", lambda t, r, lp, tg, il, tl: F(t).ctc_loss(
        lp, tg, il, tl, reduction=r, zero_infinity=True),
     lambda: [_log_probs(4, 2, 5), np.array([[1, 1, 1], [2, 3, 0]]),
              np.array([4, 4]), np.array([3, 2])]),
    ("ctc_float64", lambda t, r, lp, tg, il, tl: F(t).ctc_loss(lp, tg, il, tl, reduction=r),
     lambda: [_log_probs(6, 2, 3, np.float64), np.array([[1, 2], [2, 2]]),
              np.array([6, 5]), np.array([2, 2])]),
]


def _rows():
    """Every reduction for each row; the CTC variants (a scan each, slow to compile) run all three
    for the first one and one reduction each for the others."""
    for i, f, m in CASES:
        reds = REDUCTIONS if not i.startswith("ctc_") or i == "ctc_padded" else (
            ["none"] if i in ("ctc_unbatched", "ctc_zero_infinity") else ["mean"])
        for r in reds:
            yield pytest.param(f, m, r, id=f"{i}-{r}")


@pytest.mark.parametrize(("fn", "make", "reduction"), list(_rows()))
def test_loss_values_and_grads(fn, make, reduction):
    check(lambda t, *a: fn(t, reduction, *a), make())


@pytest.mark.parametrize("ignore_index", [-100, 7, -1])
def test_cross_entropy_ignored_out_of_range_target_is_fine(ignore_index):
    y = np.array([0, ignore_index, 2, ignore_index])
    check(lambda t, x, y: F(t).cross_entropy(x, y, ignore_index=ignore_index),
          [rand_default(4, 5), y])
    check(lambda t, x, y: F(t).nll_loss(x, y, ignore_index=ignore_index, reduction="none"),
          [rand_default(4, 5), y])


def test_ctc_impossible_alignment_is_inf():
    # Three repeated labels need 5 frames; 4 frames cannot emit them.
    ins = [_log_probs(4, 1, 3), np.array([[1, 1, 1]]), np.array([4]), np.array([3])]
    check(lambda t, lp, tg, il, tl: F(t).ctc_loss(lp, tg, il, tl, reduction="none"), ins,
          grad=False)


MODULES = [
    ("MarginRankingLoss", {"margin": 0.1}, lambda: [rand_default(5), rand_default(5), _sign(5)]),
    ("HingeEmbeddingLoss", {"margin": 0.5}, lambda: [rand_default(5), _sign(5)]),
    ("SoftMarginLoss", {"reduction": "sum"}, lambda: [rand_default(5), _sign(5).astype(int)]),
    ("MultiLabelSoftMarginLoss", {}, lambda: [rand_default(3, 4),
                                              (RNG.random((3, 4)) > 0.5).astype(np.float32)]),
    ("CosineEmbeddingLoss", {"margin": 0.1}, lambda: [rand_default(3, 4), rand_default(3, 4),
                                                      _sign(3)]),
    ("MultiMarginLoss", {"p": 2}, lambda: [rand_default(3, 4), rand_int(3, low=0, high=4)]),
    ("MultiLabelMarginLoss", {}, lambda: [rand_default(3, 4), _multilabel_target(3, 4)]),
    ("PoissonNLLLoss", {"full": True}, lambda: [rand_default(3, 4), rand_positive(3, 4) * 3]),
    ("GaussianNLLLoss", {"reduction": "none"}, lambda: [rand_default(3, 4), rand_default(3, 4),
                                                        rand_positive(3, 4)]),
    ("TripletMarginLoss", {"swap": True}, lambda: [rand_default(3, 4), rand_default(3, 4),
                                                   rand_default(3, 4)]),
    ("TripletMarginWithDistanceLoss", {"margin": 0.3},
     lambda: [rand_default(3, 4), rand_default(3, 4), rand_default(3, 4)]),
    ("CTCLoss", {"blank": 1}, lambda: [_log_probs(7, 2, 4), np.array([[2, 3], [0, 0]]),
                                       np.array([7, 6]), np.array([2, 1])]),
]


@pytest.mark.parametrize(("name", "kw", "make"), MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules(name, kw, make):
    check(lambda t, *a: getattr(t.nn, name)(**kw)(*a), make())
    assert repr(getattr(torchlike.nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))


ERRORS = [
    (lambda t, a, b, y: F(t).margin_ranking_loss(a, b, y),
     [rand_default(3), rand_default(3), _sign(3, 1)]),
    (lambda t, x, y: F(t).multi_margin_loss(x, y, p=3), [rand_default(3, 4), rand_int(3, low=0,
                                                                                      high=4)]),
    (lambda t, x, y: F(t).multi_margin_loss(x, y), [rand_default(3, 4), rand_default(3)]),
    (lambda t, x, y: F(t).multilabel_margin_loss(x, y), [rand_default(3, 4),
                                                         rand_int(3, 3, low=0, high=4)]),
    (lambda t, x, y: F(t).gaussian_nll_loss(x, y, -1.0), [rand_default(3), rand_default(3)]),
    (lambda t, x, y, v: F(t).gaussian_nll_loss(x, y, v), [rand_default(3), rand_default(3),
                                                          -rand_positive(3)]),
    (lambda t, x, y, v: F(t).gaussian_nll_loss(x, y, v), [rand_default(4, 3), rand_default(4, 3),
                                                          rand_positive(2, 3)]),
    (lambda t, x, y, v: F(t).gaussian_nll_loss(x, y, v, reduction="avg"),
     [rand_default(3), rand_default(3), rand_positive(3)]),
    (lambda t, a, p, n: F(t).triplet_margin_loss(a, p, n, margin=0.0),
     [rand_default(3), rand_default(3), rand_default(3)]),
    (lambda t, a, p, n: F(t).triplet_margin_loss(a, p, n),
     [rand_default(2, 3), rand_default(3), rand_default(2, 3)]),
    (lambda t, a, p, n: F(t).triplet_margin_with_distance_loss(a, p, n),
     [rand_default(2, 3), rand_default(3), rand_default(2, 3)]),
    (lambda t, a, b, y: F(t).cosine_embedding_loss(a, b, y),
     [rand_default(2, 3), rand_default(2, 4), _sign(2)]),
    (lambda t, a, b, y: F(t).cosine_embedding_loss(a, b, y),
     [rand_default(2, 3), rand_default(2, 3), _sign(2, 2)]),
    (lambda t, x, y: F(t).soft_margin_loss(x, y, reduction="avg"),
     [rand_default(3), _sign(3)]),
    (lambda t, x, y: F(t).cross_entropy(x, y), [rand_default(3, 5), np.array([0, 10, 2])]),
    (lambda t, x, y: F(t).cross_entropy(x, y, label_smoothing=0.1, reduction="none"),
     [rand_default(3, 5), np.array([0, -3, 2])]),
    (lambda t, x, y: F(t).cross_entropy(x, y), [rand_default(2, 5, 4),
                                                np.array([[0, 1, 2, 7], [0, -100, 1, 1]])]),
    (lambda t, x, y: F(t).cross_entropy(x, y), [rand_default(5), np.array(5)]),
    (lambda t, x, y: F(t).nll_loss(x, y, ignore_index=1), [rand_default(3, 5),
                                                           np.array([0, 1, 5])]),
    (lambda t, x, y: t.nn.CrossEntropyLoss()(x, y), [rand_default(3, 5), np.array([0, -1, 5])]),
    (lambda t: t.nn.TripletMarginLoss(margin=-1.0), []),
    (lambda t: t.nn.MultiMarginLoss(p=3), []),
]


@pytest.mark.parametrize(("fn", "ins"), ERRORS)
def test_loss_errors(fn, ins):
    check_error(fn, ins, match_message=True)
