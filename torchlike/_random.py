"""torchlike Generator and the global RNG (being written)."""

from __future__ import annotations
