"""torchlike implementation of :mod:`torch.nn.modules.activation`: one thin Module per function in
:mod:`torchlike.nn.functional`, with torch's constructor arguments and ``extra_repr``."""

from __future__ import annotations

import warnings

from ... import _creation
from .. import functional as F
from .. import init as nn_init
from ..parameter import Parameter
from .module import Module

__all__ = ["CELU", "ELU", "GELU", "GLU", "SELU", "Hardshrink", "Hardsigmoid", "Hardswish",
           "Hardtanh", "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "PReLU", "ReLU", "ReLU6",
           "SiLU", "Sigmoid", "Softmax", "Softmax2d", "Softmin", "Softplus", "Softshrink",
           "Softsign", "Tanh", "Tanhshrink", "Threshold"]


def _inplace_str(inplace: bool, first: bool = False) -> str:
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class Threshold(Module):
    """torchlike implementation of :class:`torch.nn.Threshold`."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class _InplaceOnly(Module):
    """Activations whose only option is ``inplace``."""

    _fn = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class ReLU(_InplaceOnly):
    """torchlike implementation of :class:`torch.nn.ReLU`."""

    _fn = staticmethod(F.relu)


class SELU(_InplaceOnly):
    """torchlike implementation of :class:`torch.nn.SELU`."""

    _fn = staticmethod(F.selu)


class SiLU(_InplaceOnly):
    """torchlike implementation of :class:`torch.nn.SiLU`."""

    _fn = staticmethod(F.silu)


class Mish(_InplaceOnly):
    """torchlike implementation of :class:`torch.nn.Mish`."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_InplaceOnly):
    """torchlike implementation of :class:`torch.nn.Hardsigmoid`."""

    _fn = staticmethod(F.hardsigmoid)

    def extra_repr(self) -> str:
        return ""


class Hardswish(_InplaceOnly):
    """torchlike implementation of :class:`torch.nn.Hardswish`."""

    _fn = staticmethod(F.hardswish)

    def extra_repr(self) -> str:
        return ""


class Hardtanh(Module):
    """torchlike implementation of :class:`torch.nn.Hardtanh`."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class ReLU6(Hardtanh):
    """torchlike implementation of :class:`torch.nn.ReLU6`."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class LeakyReLU(Module):
    """torchlike implementation of :class:`torch.nn.LeakyReLU`."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class ELU(Module):
    """torchlike implementation of :class:`torch.nn.ELU`."""

    _fn = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return type(self)._fn(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class CELU(ELU):
    """torchlike implementation of :class:`torch.nn.CELU`."""

    _fn = staticmethod(F.celu)


class GELU(Module):
    """torchlike implementation of :class:`torch.nn.GELU`."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _Stateless(Module):
    _fn = None

    def forward(self, input):
        return type(self)._fn(input)


class Sigmoid(_Stateless):
    """torchlike implementation of :class:`torch.nn.Sigmoid`."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Stateless):
    """torchlike implementation of :class:`torch.nn.Tanh`."""

    _fn = staticmethod(F.tanh)


class Softsign(_Stateless):
    """torchlike implementation of :class:`torch.nn.Softsign`."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_Stateless):
    """torchlike implementation of :class:`torch.nn.Tanhshrink`."""

    _fn = staticmethod(F.tanhshrink)


class LogSigmoid(_Stateless):
    """torchlike implementation of :class:`torch.nn.LogSigmoid`."""

    _fn = staticmethod(F.logsigmoid)


class Softplus(Module):
    """torchlike implementation of :class:`torch.nn.Softplus`."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    """torchlike implementation of :class:`torch.nn.Softshrink`."""

    _fn = staticmethod(F.softshrink)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return type(self)._fn(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """torchlike implementation of :class:`torch.nn.Hardshrink`."""

    _fn = staticmethod(F.hardshrink)


class PReLU(Module):
    """torchlike implementation of :class:`torch.nn.PReLU`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(_creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn_init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmax2d(Module):
    """torchlike implementation of :class:`torch.nn.Softmax2d`."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             f"instead")
        return F.softmax(input, -3)


class GLU(Module):
    """torchlike implementation of :class:`torch.nn.GLU`."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _SoftmaxBase(Module):
    _fn = None

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input):
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """torchlike implementation of :class:`torch.nn.Softmax`."""

    _fn = staticmethod(F.softmax)


class Softmin(_SoftmaxBase):
    """torchlike implementation of :class:`torch.nn.Softmin`."""

    _fn = staticmethod(F.softmin)


class LogSoftmax(_SoftmaxBase):
    """torchlike implementation of :class:`torch.nn.LogSoftmax`."""

    _fn = staticmethod(F.log_softmax)
