"""torchlike.vision.transforms."""

from .transforms import Compose, Lambda, Normalize, PILToTensor, ToTensor  # noqa: F401
