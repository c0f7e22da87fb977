"""RNN, LSTM, GRU, their cells and nn.utils.rnn against torch."""

import numpy as np
import pytest
import torch
from helpers import check_error, check_module, rand_default

import torchlike

RNNS = [
    ("RNN", lambda nn: nn.RNN(3, 4), (5, 2, 3), False),
    ("RNN_relu_2layer_bf", lambda nn: nn.RNN(3, 4, 2, nonlinearity="relu", batch_first=True),
     (2, 5, 3), False),
    ("RNN_bidir_nobias", lambda nn: nn.RNN(3, 4, bias=False, bidirectional=True), (5, 2, 3), True),
    ("LSTM", lambda nn: nn.LSTM(3, 4), (5, 2, 3), False),
    ("LSTM_2layer_bidir", lambda nn: nn.LSTM(3, 4, 2, bidirectional=True), (5, 2, 3), True),
    ("LSTM_proj_bf", lambda nn: nn.LSTM(3, 5, 2, proj_size=2, batch_first=True), (2, 4, 3), True),
    ("LSTM_unbatched", lambda nn: nn.LSTM(3, 4), (5, 3), False),
    ("GRU", lambda nn: nn.GRU(3, 4), (5, 2, 3), True),
    ("GRU_2layer_bidir_bf", lambda nn: nn.GRU(3, 4, 2, batch_first=True, bidirectional=True),
     (2, 5, 3), False),
    ("GRU_unbatched", lambda nn: nn.GRU(3, 4, bidirectional=True), (5, 3), True),
]


def _hidden(make, shape):
    m = make(torch.nn)
    d = 2 if m.bidirectional else 1
    b = () if len(shape) == 2 else (shape[0] if m.batch_first else shape[1],)
    h = rand_default(m.num_layers * d, *b, m.proj_size or m.hidden_size)
    if m.mode == "LSTM":
        return [h, rand_default(m.num_layers * d, *b, m.hidden_size)]
    return [h]


@pytest.mark.parametrize("make, shape, with_h", [r[1:] for r in RNNS], ids=[r[0] for r in RNNS])
def test_rnn(make, shape, with_h):
    x = rand_default(*shape)
    if not with_h:
        check_module(make, [x], rtol=1e-4, atol=1e-5)
        return
    hs = _hidden(make, shape)
    if len(hs) == 2:
        check_module(make, [x, *hs], call=lambda m, x, h, c: m(x, (h, c)), rtol=1e-4, atol=1e-5)
    else:
        check_module(make, [x, *hs], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_rnn_packed(name, enforce_sorted):
    lengths = [5, 3, 2] if enforce_sorted else [2, 5, 3]

    def call(m, x):
        lib = torch if isinstance(m, torch.nn.Module) else torchlike
        packed = lib.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                       enforce_sorted=enforce_sorted)
        out, h = m(packed)
        padded, lens = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                            total_length=6)
        return padded, lens, packed.data, packed.batch_sizes, h
    check_module(lambda nn: getattr(nn, name)(3, 4, 2, batch_first=True, bidirectional=True),
                 [rand_default(3, 6, 3)], call=call, rtol=1e-4, atol=1e-5)


CELLS = [
    ("RNNCell", lambda nn: nn.RNNCell(3, 4), 1),
    ("RNNCell_relu_nobias", lambda nn: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), 1),
    ("LSTMCell", lambda nn: nn.LSTMCell(3, 4), 2),
    ("GRUCell", lambda nn: nn.GRUCell(3, 4), 1),
]


@pytest.mark.parametrize("make, n_h", [c[1:] for c in CELLS], ids=[c[0] for c in CELLS])
@pytest.mark.parametrize("batched", [True, False])
def test_cell(make, n_h, batched):
    b = (2,) if batched else ()
    check_module(make, [rand_default(*b, 3)], rtol=1e-4, atol=1e-5)
    hs = [rand_default(*b, 4) for _ in range(n_h)]
    call = (lambda m, x, h, c: m(x, (h, c))) if n_h == 2 else None
    check_module(make, [rand_default(*b, 3), *hs], call=call, rtol=1e-4, atol=1e-5)


def test_rnn_init_and_names():
    torchlike.manual_seed(0)
    m = torchlike.nn.LSTM(3, 16, 2, bidirectional=True, proj_size=4)
    t = torch.nn.LSTM(3, 16, 2, bidirectional=True, proj_size=4)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in t.named_parameters()]
    w = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.24


def test_rnn_dropout_between_layers():
    torchlike.manual_seed(0)
    m = torchlike.nn.GRU(3, 8, 2, dropout=0.5)
    x = torchlike.randn(4, 2, 3)
    assert not np.allclose(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        torchlike.nn.LSTM(3, 4, dropout=0.2)


@pytest.mark.parametrize("fn", [
    lambda t: t.nn.LSTM(3, 4)(t.zeros(5, 2, 2)),
    lambda t: t.nn.GRU(3, 4)(t.zeros(5, 2, 3), t.zeros(2, 2, 4)),
    lambda t: t.nn.LSTM(3, 4, proj_size=4),
    lambda t: t.nn.RNN(3, 4, nonlinearity="gelu"),
])
def test_rnn_errors(fn):
    check_error(fn)


# -- nn.utils.rnn -------------------------------------------------------------------------------

def test_pad_sequence_and_pack_sequence():
    seqs = [rand_default(4, 2), rand_default(2, 2), rand_default(3, 2)]

    def run(lib, side):
        ts = [lib.from_numpy(s) for s in seqs]
        a = lib.nn.utils.rnn.pad_sequence(ts, batch_first=True, padding_value=-1.0,
                                          padding_side=side)
        b = lib.nn.utils.rnn.pad_sequence(ts)
        p = lib.nn.utils.rnn.pack_sequence(ts, enforce_sorted=False)
        return a, b, p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices
    for side in ("right", "left"):
        for g, w in zip(run(torchlike, side), run(torch, side)):
            np.testing.assert_array_equal(g.numpy(), w.numpy())
            assert str(g.dtype) == str(w.dtype)
    got = torchlike.nn.utils.rnn.unpack_sequence(
        torchlike.nn.utils.rnn.pack_sequence([torchlike.from_numpy(s) for s in seqs], False))
    for g, s in zip(got, seqs):
        np.testing.assert_array_equal(g.numpy(), s)


def test_pack_errors():
    check_error(lambda t: t.nn.utils.rnn.pack_padded_sequence(t.zeros(4, 3, 2), [2, 3, 1]),
                match_message=True)
