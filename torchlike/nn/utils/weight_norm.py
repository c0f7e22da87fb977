"""torchlike implementation of :mod:`torch.nn.utils.weight_norm` (the hook-based API)."""

from __future__ import annotations

import warnings

from ... import linalg
from ..parameter import Parameter

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]


def _norm_except_dim(v, dim: int):
    """2-norm of ``v`` over every dimension but ``dim``, kept as size-1 dimensions.

    ``dim == -1`` means the norm of the whole tensor (a 0-dim result), as in torch.
    """
    if dim == -1:
        return linalg.vector_norm(v)
    d = dim % v.ndim
    n = v.shape[d]
    rows = v.transpose(0, d).reshape(n, -1)
    out_shape = [1] * v.ndim
    out_shape[d] = n
    return linalg.vector_norm(rows, dim=1).reshape(out_shape)


def _weight_norm(v, g, dim: int):
    return v * (g / _norm_except_dim(v, dim))


class WeightNorm:
    """torchlike implementation of :class:`torch.nn.utils.weight_norm.WeightNorm`."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    @staticmethod
    def apply(module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(_norm_except_dim(weight, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """torchlike implementation of :func:`torch.nn.utils.weight_norm`."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """torchlike implementation of :func:`torch.nn.utils.remove_weight_norm`."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
