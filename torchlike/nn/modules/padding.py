"""torchlike implementation of :mod:`torch.nn.modules.padding`."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]


class _PadNd(Module):
    _n = 0
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = F._tup(padding, 2 * self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


def _cls(name, base, n, mode):
    attrs = {"_n": n, "__doc__": f"torchlike implementation of :class:`torch.nn.{name}`.",
             "__module__": __name__, "__qualname__": name, "_mode": mode}
    return type(name, (base,), attrs)


class ConstantPad1d(_ConstantPadNd):
    """torchlike implementation of :class:`torch.nn.ConstantPad1d`."""

    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """torchlike implementation of :class:`torch.nn.ConstantPad2d`."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """torchlike implementation of :class:`torch.nn.ConstantPad3d`."""

    _n = 3


class ZeroPad1d(ConstantPad1d):
    """torchlike implementation of :class:`torch.nn.ZeroPad1d`."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """torchlike implementation of :class:`torch.nn.ZeroPad2d`."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """torchlike implementation of :class:`torch.nn.ZeroPad3d`."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


ReflectionPad1d = _cls("ReflectionPad1d", _PadNd, 1, "reflect")
ReflectionPad2d = _cls("ReflectionPad2d", _PadNd, 2, "reflect")
ReflectionPad3d = _cls("ReflectionPad3d", _PadNd, 3, "reflect")
ReplicationPad1d = _cls("ReplicationPad1d", _PadNd, 1, "replicate")
ReplicationPad2d = _cls("ReplicationPad2d", _PadNd, 2, "replicate")
ReplicationPad3d = _cls("ReplicationPad3d", _PadNd, 3, "replicate")
CircularPad1d = _cls("CircularPad1d", _PadNd, 1, "circular")
CircularPad2d = _cls("CircularPad2d", _PadNd, 2, "circular")
CircularPad3d = _cls("CircularPad3d", _PadNd, 3, "circular")
