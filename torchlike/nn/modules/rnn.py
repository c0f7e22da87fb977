"""torchlike implementation of :mod:`torch.nn.modules.rnn`: RNN, LSTM, GRU and their cells.

Each layer and direction is ONE registry op whose body is a ``lax.scan`` over time, so a whole
sequence runs as one jitted call (and its backward as one more). PackedSequence inputs are unpacked
to a padded batch plus a (time, batch) mask; masked steps keep the carry and emit zeros, which is
exactly torch's packed semantics (the reverse direction starts at each sequence's own end).
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ... import _creation
from ..._ops.registry import op
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _np_int, _pack_positions, _tensor, _unpack_sorted
from .module import Module

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _step(mode, x_proj, h, c, w_hh, b_hh, w_hr):
    """One time step given the input projection ``x W_ih^T + b_ih``: returns ``(h', c')``."""
    hh = jnp.matmul(h, w_hh.T)
    if b_hh is not None:
        hh = hh + b_hh
    if mode == "GRU":
        xr, xz, xn = jnp.split(x_proj, 3, axis=-1)
        hr, hz, hn = jnp.split(hh, 3, axis=-1)
        r = jax.nn.sigmoid(xr + hr)
        z = jax.nn.sigmoid(xz + hz)
        n = jnp.tanh(xn + r * hn)
        return (1 - z) * n + z * h, c
    g = x_proj + hh
    if mode == "RNN_TANH":
        return jnp.tanh(g), c
    if mode == "RNN_RELU":
        return jnp.where(g > 0, g, jnp.zeros((), g.dtype)), c
    i, f, gg, o = jnp.split(g, 4, axis=-1)
    c2 = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(gg)
    h2 = jax.nn.sigmoid(o) * jnp.tanh(c2)
    if w_hr is not None:
        h2 = jnp.matmul(h2, w_hr.T)
    return h2, c2


def _check_dtypes(input, *ws):
    for w in ws:
        if w is not None and w.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {F._tname(w.dtype)} but found "
                               f"{F._tname(input.dtype)}")


@op("input h0 c0 w_ih w_hh b_ih b_hh w_hr mask", function=False, method=False,
    grad_name="CudnnRnnBackward0")
def _rnn_layer(input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, mode, reverse):
    """One layer, one direction over a (T, B, I) sequence: ``(output, h_n[, c_n])``."""
    _check_dtypes(input, w_ih)
    xp = jnp.matmul(input, w_ih.T)
    if b_ih is not None:
        xp = xp + b_ih
    lstm = mode == "LSTM"
    carry0 = (h0, c0 if lstm else jnp.zeros((), h0.dtype))

    def body(carry, xs):
        h, c = carry
        x_t, m_t = xs if mask is not None else (xs, None)
        h2, c2 = _step(mode, x_t, h, c, w_hh, b_hh, w_hr)
        if m_t is None:
            return (h2, c2), h2
        m = m_t[:, None]
        h2 = jnp.where(m, h2, h)
        if lstm:
            c2 = jnp.where(m, c2, c)
        return (h2, c2), jnp.where(m, h2, jnp.zeros((), h2.dtype))
    xs = xp if mask is None else (xp, mask)
    (h_n, c_n), out = lax.scan(body, carry0, xs, reverse=reverse)
    return (out, h_n, c_n) if lstm else (out, h_n)


class RNNBase(Module):
    """torchlike implementation of :class:`torch.nn.RNNBase`."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if (not isinstance(dropout, (int, float)) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_in = input_size if layer == 0 else real_hidden * num_directions
                params = [(f"weight_ih_l{layer}", (gate_size, layer_in)),
                          (f"weight_hh_l{layer}", (gate_size, real_hidden))]
                if bias:
                    params += [(f"bias_ih_l{layer}", (gate_size,)),
                               (f"bias_hh_l{layer}", (gate_size,))]
                if proj_size > 0:
                    params.append((f"weight_hr_l{layer}", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for name, shape in params:
                    setattr(self, name + suffix, Parameter(_creation.empty(shape, **kw)))
                    names.append(name + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op (there is no cuDNN weight buffer to compact)."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward ---------------------------------------------------------------------------
    def _layer_weights(self, layer: int, direction: int):
        suffix = "_reverse" if direction == 1 else ""

        def get(name):
            return getattr(self, f"{name}_l{layer}{suffix}", None)
        return (get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"),
                get("weight_hr"))

    def _check_hidden(self, hx, expected, what="hidden") -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(hx.shape)}")

    def _run(self, input, hx):
        """Shared forward: returns ``(output, h_n, c_n or None)`` with torch's layouts."""
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        D = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        mask = None
        if packed:
            bs = _np_int(input.batch_sizes)
            B, T = int(bs[0]), len(bs)
            x = _unpack_sorted(input.data, bs, T, 0.0)
            mask = Tensor._wrap(jnp.asarray(np.arange(B)[None, :] < bs[:, None]))
            batched = True
            if hx is not None and input.sorted_indices is not None:
                if lstm:
                    hx = tuple(h.index_select(1, input.sorted_indices) for h in hx)
                else:
                    hx = hx.index_select(1, input.sorted_indices)
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D instead")
            batched = input.dim() == 3
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
            B = x.shape[1]
            if hx is not None and not batched:
                hx = tuple(h.unsqueeze(1) for h in hx) if lstm else hx.unsqueeze(1)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        if hx is None:
            h0 = _creation.zeros((self.num_layers * D, B, real_hidden), dtype=x.dtype)
            c0 = (_creation.zeros((self.num_layers * D, B, self.hidden_size), dtype=x.dtype)
                  if lstm else None)
        else:
            h0, c0 = hx if lstm else (hx, None)
            self._check_hidden(h0, (self.num_layers * D, B, real_hidden))
            if lstm:
                self._check_hidden(c0, (self.num_layers * D, B, self.hidden_size), "cell")
        from ... import cat, stack
        layer_in, hs, cs = x, [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                idx = layer * D + d
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, d)
                res = _rnn_layer(layer_in, h0[idx], c0[idx] if lstm else None, w_ih, w_hh, b_ih,
                                 b_hh, w_hr, mask, self.mode, d == 1)
                outs.append(res[0])
                hs.append(res[1])
                if lstm:
                    cs.append(res[2])
            layer_in = cat(outs, -1) if D == 2 else outs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        h_n = stack(hs)
        c_n = stack(cs) if lstm else None
        if packed:
            flat = layer_in.reshape((T * B,) + tuple(layer_in.shape[2:]))
            data = flat.index_select(0, _tensor(_pack_positions(bs, B)))
            output = PackedSequence(data, input.batch_sizes, input.sorted_indices,
                                    input.unsorted_indices)
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                if lstm:
                    c_n = c_n.index_select(1, input.unsorted_indices)
            return output, h_n, c_n
        output = layer_in
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n, c_n


class RNN(RNNBase):
    """torchlike implementation of :class:`torch.nn.RNN`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """torchlike implementation of :class:`torch.nn.LSTM`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)

    def forward(self, input, hx=None):
        output, h_n, c_n = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """torchlike implementation of :class:`torch.nn.GRU`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n


# -- cells --------------------------------------------------------------------------------------

@op("input h c w_ih w_hh b_ih b_hh", function=False, method=False, grad_name="RnnCellBackward0")
def _rnn_cell(input, h, c, w_ih, w_hh, b_ih, b_hh, mode):
    _check_dtypes(input, w_ih)
    xp = jnp.matmul(input, w_ih.T)
    if b_ih is not None:
        xp = xp + b_ih
    h2, c2 = _step(mode, xp, h, c, w_hh, b_hh, None)
    return (h2, c2) if mode == "LSTM" else h2


class RNNCellBase(Module):
    """torchlike implementation of :class:`torch.nn.RNNCellBase`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size),
                                                   **kw))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _cell(self, input, hx, mode: str):
        lstm = mode == "LSTM"
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        if hx is not None and (hx[0] if lstm else hx).dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected hidden to be 1D or 2D, got "
                             f"{(hx[0] if lstm else hx).dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            z = _creation.zeros((x.shape[0], self.hidden_size), dtype=x.dtype)
            h, c = z, (z if lstm else None)
        else:
            h, c = hx if lstm else (hx, None)
            if not batched:
                h = h.unsqueeze(0)
                c = c.unsqueeze(0) if lstm else None
        out = _rnn_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                        mode)
        if batched:
            return out
        return tuple(o.squeeze(0) for o in out) if lstm else out.squeeze(0)


class RNNCell(RNNCellBase):
    """torchlike implementation of :class:`torch.nn.RNNCell`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._cell(input, hx, "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU")


class LSTMCell(RNNCellBase):
    """torchlike implementation of :class:`torch.nn.LSTMCell`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._cell(input, hx, "LSTM")


class GRUCell(RNNCellBase):
    """torchlike implementation of :class:`torch.nn.GRUCell`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._cell(input, hx, "GRU")
