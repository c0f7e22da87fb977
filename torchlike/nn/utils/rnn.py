"""torchlike implementation of :mod:`torch.nn.utils.rnn`: PackedSequence and (un)padding.

Lengths must be concrete (as in torch, where they live on the CPU); the packing itself is one
gather, so gradients flow through ``data``.
"""

from __future__ import annotations

import collections

import numpy as np

from ... import _creation, _dtype
from ..._tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]


def _np_int(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return np.asarray(x.numpy(), np.int64)
    return np.asarray(x, np.int64)


def _tensor(a: np.ndarray) -> Tensor:
    return _creation.tensor(a.tolist(), dtype=_dtype.int64)


class PackedSequence(collections.namedtuple(
        "PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """torchlike implementation of :class:`torch.nn.utils.rnn.PackedSequence`."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _tensor(np.argsort(_np_int(sorted_indices)))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, *self[1:])

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _pack_positions(batch_sizes: np.ndarray, B: int) -> np.ndarray:
    """Flat (time-major) positions of the packed rows: step by step, batch entries in order."""
    return np.concatenate([t * B + np.arange(b) for t, b in enumerate(batch_sizes)])


def _time_major(input: Tensor, batch_first: bool) -> Tensor:
    return input.transpose(0, 1) if batch_first else input


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """torchlike implementation of :func:`torch.nn.utils.rnn.pack_padded_sequence`."""
    lens = _np_int(lengths).reshape(-1)
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _tensor(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    x = _time_major(input, batch_first)
    T, B = x.shape[0], x.shape[1]
    if lens.max() > T:
        raise RuntimeError(f"Expected sequence length to be smaller than or equal to {T}, but "
                           f"got {lens.max()}")
    batch_sizes = np.array([(lens > t).sum() for t in range(int(lens.max()))], np.int64)
    flat = x.reshape((T * B,) + tuple(x.shape[2:]))
    data = flat.index_select(0, _tensor(_pack_positions(batch_sizes, B)))
    return PackedSequence(data, _tensor(batch_sizes), sorted_indices, None)


def _unpack_sorted(data: Tensor, batch_sizes: np.ndarray, total_length: int,
                   padding_value: float) -> Tensor:
    """Packed data -> (T, B, *) padded, in the packed (sorted) batch order."""
    B = int(batch_sizes[0])
    where = np.full(total_length * B, data.shape[0], np.int64)
    where[_pack_positions(batch_sizes, B)] = np.arange(data.shape[0])
    pad_row = _creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    from ... import cat
    rows = cat([data, pad_row]).index_select(0, _tensor(where))
    return rows.reshape((total_length, B) + tuple(data.shape[1:]))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """torchlike implementation of :func:`torch.nn.utils.rnn.pad_packed_sequence`."""
    bs = _np_int(sequence.batch_sizes)
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    padded = _unpack_sorted(sequence.data, bs, T, padding_value)
    lengths = np.array([(bs > b).sum() for b in range(int(bs[0]))], np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[_np_int(sequence.unsorted_indices)]
    return _time_major(padded, batch_first), _tensor(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """torchlike implementation of :func:`torch.nn.utils.rnn.pad_sequence`."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    from ... import stack
    from .. import functional as F
    sequences = list(sequences)
    longest = max(s.shape[0] for s in sequences)
    out = []
    for s in sequences:
        extra = longest - s.shape[0]
        pad = [0, 0] * (s.dim() - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        out.append(F.pad(s, pad, value=padding_value) if extra else s)
    return stack(out, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """torchlike implementation of :func:`torch.nn.utils.rnn.unpad_sequence`."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_np_int(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """torchlike implementation of :func:`torch.nn.utils.rnn.pack_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """torchlike implementation of :func:`torch.nn.utils.rnn.unpack_sequence`."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
