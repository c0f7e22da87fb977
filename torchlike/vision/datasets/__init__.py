"""torchlike.vision.datasets."""

from .mnist import MNIST, KMNIST, FashionMNIST  # noqa: F401
from .vision import VisionDataset  # noqa: F401
