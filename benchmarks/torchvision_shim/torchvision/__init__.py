"""A minimal torchvision stand-in for ``benchmarks/bench_mnist_epoch.py`` only (torchvision itself
cannot be installed beside this CPU torch). It runs on real torch and provides exactly what the
seed MNIST script uses: ``datasets.MNIST`` and ``transforms.Compose/ToTensor/Normalize``.

Samples are uint8 HxW numpy arrays (no Pillow): torchvision's datasets return PIL images, so the
per-sample work here skips ``Image.fromarray`` and the PIL → numpy copy in ``ToTensor``; the
tensor arithmetic (uint8 → float32 / 255, then ``(x - mean) / std``) is torchvision's.
"""

from __future__ import annotations

from . import datasets, transforms

__all__ = ["datasets", "transforms"]
__version__ = "0.0+benchmark-shim"
