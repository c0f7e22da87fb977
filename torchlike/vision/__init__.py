"""torchlike.vision: torchvision's datasets, transforms and utils (``import torchlike.vision as
torchvision``)."""

from . import datasets, transforms, utils  # noqa: F401
