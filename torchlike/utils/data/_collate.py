"""torchlike implementation of ``default_collate``/``default_convert``.

Samples are stacked on the host (numpy) and the batch becomes a device array once. In a worker
process the batch stays numpy-backed: it is pickled to the main process as numpy and becomes a
device array there (see ``_worker``).
"""

from __future__ import annotations

import collections.abc

import jax.numpy as jnp
import numpy as np

from ..._tensor import Tensor
from ._worker import _state

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def wrap(arr: np.ndarray):
    """A Tensor around host array ``arr``: numpy-backed in a worker, a device array otherwise."""
    return Tensor._wrap(arr if _state.worker else jnp.asarray(arr))


def _stack(tensors):
    from ... import stack
    if any(t.requires_grad for t in tensors):
        return stack(tensors, 0)
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first.shape)} at entry 0 and {list(t.shape)} at entry {i}")
    return wrap(np.stack([np.asarray(t._data) for t in tensors]))


def default_collate(batch):
    """torchlike implementation of :func:`torch.utils.data.default_collate`."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, (np.ndarray, np.generic)):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_ERR.format(elem.dtype))
        return wrap(np.stack(batch) if isinstance(elem, np.ndarray) else np.array(batch))
    if isinstance(elem, bool):
        return wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem})
        except TypeError:
            return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if not all(len(e) == n for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed  # torch returns a list for tuples (backwards compatibility)
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """torchlike implementation of :func:`torch.utils.data.default_convert` (numpy → Tensor)."""
    if isinstance(data, Tensor):
        if isinstance(data._arr, np.ndarray) and not _state.worker:  # a host-mode sample
            return wrap(data._arr)
        return data
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "SaUO":
        return wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
