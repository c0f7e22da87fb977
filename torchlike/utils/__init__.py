"""torchlike.utils: data loading (``torchlike.utils.data``) and DLPack exchange
(``torchlike.utils.dlpack``)."""

from . import data, dlpack  # noqa: F401
