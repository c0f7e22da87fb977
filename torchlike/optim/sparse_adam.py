"""torchlike implementation of :class:`torch.optim.SparseAdam`."""

from __future__ import annotations

from .optimizer import Optimizer, check_betas, check_tensor_lr

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """torchlike implementation of :class:`torch.optim.SparseAdam`.

    torchlike has no sparse tensors, so no gradient is ever sparse: ``step`` raises torch's error
    for dense gradients (use Adam, which gives the same result on dense gradients)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False) -> None:
        check_tensor_lr(lr)
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    def _step_group(self, group) -> None:
        if any(p.grad is not None for p in group["params"]):
            raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam "
                               "instead")
