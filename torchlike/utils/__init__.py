"""torchlike.utils: data loading (``torchlike.utils.data``)."""

from . import data  # noqa: F401
