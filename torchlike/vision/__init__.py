"""torchlike.vision: torchvision's datasets and transforms (``import torchlike.vision as torchvision``)."""

from . import datasets, transforms  # noqa: F401
