"""torchlike Generator and the global RNG (``torch.manual_seed``, ``torch.random``).

A :class:`Generator` holds a raw JAX PRNG key (``uint32[2]``, threefry) in ``_key``. Every random op
takes that key as an *input array* of one jitted function ``(key, ...) -> (new_key, sample)`` and
stores the new key back, so ``torchlike.compile`` can lift ``_key`` in and out of ``jax.jit`` like
any other state. Values cannot match torch's Mersenne Twister; distributions, seeding and
reproducibility do.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from . import _device
from ._lazy import Pending as _Pending
from ._tensor import Tensor

__all__ = [
    "Generator",
    "default_generator",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]

_DEFAULT_SEED = 67280421310721  # torch's default seed for a fresh generator
_U64 = (1 << 64) - 1


def _key_from_seed(seed: int) -> np.ndarray:
    """``jax.random.PRNGKey(seed)`` for the default threefry implementation, built without a device
    round trip: the seed's 64 bits as (high, low) uint32 words."""
    return np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], dtype=np.uint32)


def _check_seed(seed) -> int:
    seed = int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


class Generator:
    """torchlike implementation of :class:`torch.Generator`.

    The state (:meth:`get_state`) is the 8 bytes of the JAX key, not torch's 5056-byte Mersenne
    Twister state."""

    def __init__(self, device="cpu") -> None:
        self.device = _device.device(device)
        if self.device.type not in ("cpu", "cuda"):
            raise RuntimeError(f"{self.device.type.upper()} device type not an accelerator.")
        self._seed = _DEFAULT_SEED
        self._key = _key_from_seed(_DEFAULT_SEED)

    @property
    def _key(self):
        """The key array (``_k`` may be a deferred value, see ``_lazy``: reading it runs it)."""
        k = self._k
        if type(k) is _Pending:
            k = self._k = k.force()
        return k

    @_key.setter
    def _key(self, key) -> None:
        self._k = key

    def manual_seed(self, seed) -> Generator:
        """torchlike implementation of :meth:`torch.Generator.manual_seed`."""
        self._seed = _check_seed(seed)
        self._key = _key_from_seed(self._seed)
        return self

    def seed(self) -> int:
        """torchlike implementation of :meth:`torch.Generator.seed` (a non-deterministic seed)."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """torchlike implementation of :meth:`torch.Generator.initial_seed`."""
        return self._seed

    def get_state(self) -> Tensor:
        """torchlike implementation of :meth:`torch.Generator.get_state` (the key's bytes)."""
        from ._creation import tensor
        return tensor(np.asarray(self._key, dtype=np.uint32).view(np.uint8))

    def set_state(self, new_state) -> Generator:
        """torchlike implementation of :meth:`torch.Generator.set_state`."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype.name != "uint8":
            raise TypeError("RNG state must be a torch.ByteTensor")
        if new_state.numel() != 8:
            raise RuntimeError(f"Expected a JAX PRNG key state of size 8 but found the input RNG "
                               f"state size to be {new_state.numel()}")
        self._key = np.asarray(new_state.numpy()).reshape(-1).view(np.uint32).copy()
        return self

    def __repr__(self) -> str:
        return f"<torchlike.Generator object at {id(self):#x}>"


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """torchlike implementation of :func:`torch.manual_seed`."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """torchlike implementation of :func:`torch.seed`."""
    return default_generator.seed()


def initial_seed() -> int:
    """torchlike implementation of :func:`torch.initial_seed`."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """torchlike implementation of :func:`torch.get_rng_state`."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """torchlike implementation of :func:`torch.set_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """torchlike implementation of :func:`torch.random.fork_rng`: the default generator's state is
    restored on exit (one generator serves every device)."""
    if not enabled:
        yield
        return
    key, s = default_generator._key, default_generator._seed
    try:
        yield
    finally:
        default_generator._key, default_generator._seed = key, s


def _resolve(generator) -> Generator:
    """The generator an op draws from (``generator=None``: the default one)."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, but got {type(generator).__name__}")
    return generator
