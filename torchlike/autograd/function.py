"""torchlike.autograd.Function (being written)."""

from __future__ import annotations
