"""random_ops ops (being written)."""

from __future__ import annotations
