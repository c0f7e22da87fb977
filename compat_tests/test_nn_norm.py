"""Normalisation layers, attention and transformers against torch."""

import numpy as np
import pytest
import torch
from helpers import check, check_error, check_module, rand_default, rand_positive

import torchlike


def F(t):
    return t.nn.functional


# -- functional ---------------------------------------------------------------------------------

def test_batch_norm_functional_updates_stats():
    x, w, b = rand_default(4, 3, 5), rand_default(3), rand_default(3)
    m, v = rand_default(3), rand_positive(3)
    stats = {}

    def fn(t, x, w, b):
        rm, rv = t.from_numpy(m.copy()), t.from_numpy(v.copy())
        out = F(t).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
        stats[t.__name__] = (rm.numpy(), rv.numpy())
        return out
    check(fn, [x, w, b])
    np.testing.assert_allclose(stats["torchlike"][0], stats["torch"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats["torchlike"][1], stats["torch"][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn, shapes", [
    (lambda t, x, m, v: F(t).batch_norm(x, m.detach(), v.detach().abs(), training=False),
     [(4, 3, 2), (3,), (3,)]),
    (lambda t, x, w, b: F(t).batch_norm(x, None, None, w, b, training=True), [(4, 3), (3,), (3,)]),
    (lambda t, x, w, b: F(t).layer_norm(x, [4, 5], w, b), [(3, 4, 5), (4, 5), (4, 5)]),
    (lambda t, x: F(t).layer_norm(x, (5,), eps=1e-3), [(3, 4, 5)]),
    (lambda t, x, w: F(t).rms_norm(x, [5], w), [(3, 4, 5), (5,)]),
    (lambda t, x: F(t).rms_norm(x, (4, 5), eps=1e-4), [(3, 4, 5)]),
    (lambda t, x, w, b: F(t).group_norm(x, 2, w, b), [(3, 4, 5), (4,), (4,)]),
    (lambda t, x: F(t).group_norm(x, 3, eps=1e-3), [(2, 6, 2, 2)]),
    (lambda t, x, w, b: F(t).instance_norm(x, weight=w, bias=b), [(3, 4, 5), (4,), (4,)]),
    (lambda t, x: F(t).local_response_norm(x, 3), [(3, 6, 5)]),
])
def test_norm_functional(fn, shapes):
    check(fn, [rand_default(*s) for s in shapes])


@pytest.mark.parametrize("fn, shapes", [
    (lambda t, x: F(t).layer_norm(x, [4]), [(3, 5)]),
    (lambda t, x: F(t).group_norm(x, 4), [(2, 6, 3)]),
    (lambda t, x: F(t).batch_norm(x, None, None, training=True), [(1, 3)]),
])
def test_norm_errors(fn, shapes):
    check_error(fn, [rand_default(*s) for s in shapes], match_message=True)


# -- norm modules -------------------------------------------------------------------------------

NORMS = [
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(3), (4, 3)),
    ("BatchNorm1d_3d", lambda nn: nn.BatchNorm1d(3, momentum=0.5), (4, 3, 5)),
    ("BatchNorm1d_cumulative", lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3)),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), (2, 3, 4, 3)),
    ("BatchNorm2d_noaffine", lambda nn: nn.BatchNorm2d(3, affine=False), (2, 3, 4, 3)),
    ("BatchNorm2d_nostats", lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
     (2, 3, 4, 3)),
    ("BatchNorm3d", lambda nn: nn.BatchNorm3d(2, eps=1e-3), (2, 2, 3, 2, 3)),
    ("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3), (2, 3, 5)),
    ("InstanceNorm1d_unbatched", lambda nn: nn.InstanceNorm1d(3, affine=True), (3, 5)),
    ("InstanceNorm2d_stats", lambda nn: nn.InstanceNorm2d(3, affine=True,
                                                          track_running_stats=True), (2, 3, 4, 3)),
    ("InstanceNorm3d", lambda nn: nn.InstanceNorm3d(2), (2, 2, 3, 2, 3)),
    ("LayerNorm", lambda nn: nn.LayerNorm(5), (3, 4, 5)),
    ("LayerNorm_2d_nobias", lambda nn: nn.LayerNorm([4, 5], bias=False), (3, 4, 5)),
    ("LayerNorm_noaffine", lambda nn: nn.LayerNorm(5, elementwise_affine=False), (3, 5)),
    ("GroupNorm", lambda nn: nn.GroupNorm(2, 4), (2, 4, 3)),
    ("GroupNorm_nobias", lambda nn: nn.GroupNorm(2, 4, bias=False), (2, 4, 3)),
    ("BatchNorm1d_nobias", lambda nn: nn.BatchNorm1d(3, bias=False), (4, 3)),
    ("GroupNorm_noaffine", lambda nn: nn.GroupNorm(4, 4, affine=False), (2, 4, 3, 2)),
    ("RMSNorm", lambda nn: nn.RMSNorm(5), (3, 4, 5)),
    ("RMSNorm_eps", lambda nn: nn.RMSNorm([4, 5], eps=1e-3, elementwise_affine=False), (3, 4, 5)),
    ("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(2), (2, 5, 3)),
]


@pytest.mark.parametrize("make, shape", [(m, s) for _, m, s in NORMS],
                         ids=[n for n, _, _ in NORMS])
def test_norm_module_train_steps_then_eval(make, shape):
    """Three training steps (outputs, grads, running stats, num_batches_tracked), then eval."""
    tm, lm = check_module(make, [rand_default(*shape)], steps=3)
    tm.eval()
    lm.eval()
    check_module(lambda nn: tm if nn is torch.nn else lm, [rand_default(*shape)])


def test_batchnorm_buffers():
    lm = torchlike.nn.BatchNorm2d(3)
    assert lm.num_batches_tracked.dtype == torchlike.int64
    lm(torchlike.randn(2, 3, 2, 2))
    assert lm.num_batches_tracked.item() == 1
    assert list(torchlike.nn.BatchNorm1d(2, track_running_stats=False).state_dict()) == [
        "weight", "bias"]
    check_error(lambda t: t.nn.BatchNorm1d(3)(t.zeros(2, 3, 4, 5)), match_message=True)
    check_error(lambda t: t.nn.GroupNorm(3, 4), match_message=True)


# -- attention ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [
    {}, {"scale": 0.3}, {"is_causal": True},
])
def test_sdpa(kw):
    check(lambda t, q, k, v: F(t).scaled_dot_product_attention(q, k, v, **kw),
          [rand_default(2, 3, 4, 8), rand_default(2, 3, 4, 8), rand_default(2, 3, 4, 6)])


def test_sdpa_masks():
    mask = np.random.default_rng(1).random((4, 5)) > 0.3
    mask[:, 0] = True
    check(lambda t, q, k, v, m: F(t).scaled_dot_product_attention(q, k, v, m),
          [rand_default(2, 4, 8), rand_default(2, 5, 8), rand_default(2, 5, 6), mask])
    check(lambda t, q, k, v, m: F(t).scaled_dot_product_attention(q, k, v, m),
          [rand_default(2, 4, 8), rand_default(2, 5, 8), rand_default(2, 5, 6),
           rand_default(4, 5)])


def _kpm():
    m = np.zeros((2, 5), bool)
    m[1, 3:] = True
    return m


def _causal(n, s):
    return np.triu(np.ones((n, s), bool), 1)


MHA = [
    ("basic", lambda nn: nn.MultiheadAttention(8, 2), (5, 2, 8), (5, 2, 8), {}),
    ("batch_first_kpm", lambda nn: nn.MultiheadAttention(8, 4, batch_first=True), (2, 4, 8),
     (2, 5, 8), {"key_padding_mask": _kpm()}),
    ("bool_mask_unaveraged", lambda nn: nn.MultiheadAttention(8, 2), (5, 2, 8), (5, 2, 8),
     {"attn_mask": _causal(5, 5), "average_attn_weights": False}),
    ("float_mask_noweights", lambda nn: nn.MultiheadAttention(8, 2, bias=False), (4, 2, 8),
     (5, 2, 8), {"attn_mask": rand_default(4, 5), "need_weights": False}),
    ("kdim_vdim_biaskv_zero", lambda nn: nn.MultiheadAttention(
        8, 2, kdim=6, vdim=3, add_bias_kv=True, add_zero_attn=True), (4, 2, 8), (5, 2, None),
     {"key_padding_mask": _kpm()}),
    ("unbatched", lambda nn: nn.MultiheadAttention(8, 2), (4, 8), (5, 8), {}),
]


@pytest.mark.parametrize("make, qs, ks, kw", [m[1:] for m in MHA], ids=[m[0] for m in MHA])
def test_multihead_attention(make, qs, ks, kw):
    q = rand_default(*qs)
    if ks[-1] is None:
        k, v = rand_default(*ks[:-1], 6), rand_default(*ks[:-1], 3)
    else:
        k = rand_default(*ks)
        v = rand_default(*ks)
    masks = {n: kw.pop(n) for n in ("key_padding_mask", "attn_mask") if n in kw}
    names = list(masks)

    def call(m, q, k, v, *ms):
        return m(q, k, v, **dict(zip(names, ms)), **kw)
    check_module(make, [q, k, v, *masks.values()], call=call, rtol=1e-4, atol=1e-5)


# -- transformers -------------------------------------------------------------------------------

TRANSFORMERS = [
    ("encoder_layer", lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 1),
    ("encoder_layer_gelu_normfirst_bf", lambda nn: nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, activation="gelu", norm_first=True, batch_first=True), 1),
    ("encoder", lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2, norm=nn.LayerNorm(8),
        enable_nested_tensor=False), 1),
    ("decoder_layer", lambda nn: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2),
    ("decoder", lambda nn: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True), 2), 2),
    ("transformer", lambda nn: nn.Transformer(8, 2, 1, 1, 16, dropout=0.0), 2),
]


@pytest.mark.parametrize("make, n_in", [t[1:] for t in TRANSFORMERS],
                         ids=[t[0] for t in TRANSFORMERS])
def test_transformer(make, n_in):
    ins = [rand_default(5, 2, 8) for _ in range(n_in)]
    check_module(make, ins, rtol=1e-4, atol=1e-5)


def test_transformer_masks():
    mask = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    kpm = np.zeros((2, 5), bool)
    kpm[0, 4] = True

    def call(m, src, tgt, mask, kpm):
        return m(src, tgt, tgt_mask=mask, src_key_padding_mask=kpm, tgt_is_causal=True)
    check_module(lambda nn: nn.Transformer(8, 2, 1, 2, 16, dropout=0.0),
                 [rand_default(5, 2, 8), rand_default(5, 2, 8), mask, kpm], call=call,
                 rtol=1e-4, atol=1e-5)
    got = torchlike.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    np.testing.assert_array_equal(got, torch.nn.Transformer.generate_square_subsequent_mask(4))


def test_transformer_dropout_trains():
    torchlike.manual_seed(0)
    m = torchlike.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = torchlike.randn(5, 2, 8)
    a, b = m(x), m(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    a.sum().backward()
    assert m.self_attn.in_proj_weight.grad is not None
    m.eval()
    np.testing.assert_array_equal(m(x).detach().numpy(), m(x).detach().numpy())
