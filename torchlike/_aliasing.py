"""Run PyTorch code unchanged: make ``import torch`` / ``import torchvision`` import torchlike.

:func:`install_torch_alias` puts a meta-path finder first on ``sys.meta_path`` that maps
``torch`` -> ``torchlike``, ``torch.X.Y`` -> ``torchlike.X.Y``, ``torchvision`` ->
``torchlike.vision`` and ``torchvision.X`` -> ``torchlike.vision.X``. The aliases are the same
module objects (``torch.nn is torchlike.nn``); a torch module with no torchlike counterpart raises
``ModuleNotFoundError`` naming it. ``python -m torchlike SCRIPT.py`` installs it before running
the script.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install_torch_alias"]

_ROOTS = {"torch": "torchlike", "torchvision": "torchlike.vision"}


def _target(fullname: str) -> str | None:
    root, dot, rest = fullname.partition(".")
    base = _ROOTS.get(root)
    if base is None:
        return None
    return base + dot + rest


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already imported torchlike module under its torch name."""

    def __init__(self, module) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        # The import system set ``__spec__`` to the alias's spec: give torchlike its own back.
        module.__spec__ = self.spec


class _TorchAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        name = _target(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is not None and (name == e.name or name.startswith(e.name + ".")):
                raise ModuleNotFoundError(
                    f"torchlike has no module {fullname} (aliasing {fullname.partition('.')[0]} "
                    f"→ torchlike)", name=fullname) from None
            raise
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module))


def install_torch_alias() -> None:
    """Make ``import torch`` (and ``torchvision``, and their submodules) import torchlike.

    Raises RuntimeError if the real torch or torchvision is already imported.
    """
    if any(isinstance(f, _TorchAliasFinder) for f in sys.meta_path):
        return
    for root in _ROOTS:
        if root in sys.modules:
            raise RuntimeError(f"install_torch_alias(): the real {root} is already imported; call "
                               f"it before any `import {root}`")
    sys.meta_path.insert(0, _TorchAliasFinder())
