"""torchlike implementation of ``default_collate``/``default_convert``.

Tensor samples are stacked on the host (numpy) and moved to the device once per batch."""

from __future__ import annotations

import collections.abc
import re

import jax.numpy as jnp
import numpy as np

__all__ = ["default_collate", "default_convert"]

_np_str = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _stack(tensors):
    from ... import stack
    from ..._tensor import Tensor
    if any(t.requires_grad for t in tensors):
        return stack(tensors, 0)
    first = tensors[0]
    if any(t.shape != first.shape for t in tensors):
        raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                           f"{list(first.shape)} at entry 0 and "
                           f"{list(next(t.shape for t in tensors if t.shape != first.shape))} "
                           f"at entry 1")
    return Tensor._wrap(jnp.asarray(np.stack([np.asarray(t._data) for t in tensors])))


def default_collate(batch):
    """torchlike implementation of :func:`torch.utils.data.default_collate`."""
    from ... import tensor
    from ..._tensor import Tensor
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray) and elem.dtype.kind not in "SaUO":
        return Tensor._wrap(jnp.asarray(np.stack(batch)))
    if isinstance(elem, np.generic) and elem.dtype.kind not in "SaUO":
        return tensor(np.array(batch))
    if isinstance(elem, (np.ndarray, np.generic)):
        raise TypeError(_ERR.format(elem.dtype))
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, int):
        return tensor(batch)
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
    from ..._tensor import Tensor
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SaUO":
        return Tensor._wrap(jnp.asarray(data))
    if isinstance(data, np.generic) and data.dtype.kind not in "SaUO":
        return Tensor._wrap(jnp.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})
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
