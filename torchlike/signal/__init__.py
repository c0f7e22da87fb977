"""torchlike implementation of :mod:`torch.signal`."""

from __future__ import annotations

from . import windows  # noqa: F401
