"""torchlike implementation of :class:`torch.amp.GradScaler` (dynamic loss scaling).

The scale (a float32 0-dim Tensor) and the growth tracker (int32) live on the device of the first
scaled output, as in torch. Unscaling is one jitted program over all of an optimizer's gradients
that multiplies them by ``1/scale`` (computed in float32, cast back to each gradient's dtype) and
reports whether any was inf/nan; the scale update is torch's ``_amp_update_scale_`` arithmetic.
"""

from __future__ import annotations

import warnings
from collections import abc, defaultdict
from enum import Enum

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._device import gpu_devices
from .._tensor import Tensor, _is_tracer

__all__ = ["GradScaler", "OptState"]


def _traced_step(optimizer, skip, args, kwargs):
    """``optimizer.step()`` skipped when ``skip`` (a traced bool) holds, without reading it: the
    step runs and each parameter and state tensor then selects its old or its new array.

    NOTE: state that the step creates (its first step) cannot be un-created in a trace: a skipped
    first step leaves it at its initial value (zeros, ``step`` 0) where eager leaves none; for the
    optimizers whose update treats absent and zero state alike (Adam, AdamW, Adagrad, RMSprop, ...)
    the trajectory is the same; SGD with momentum and dampening differs."""
    params = [p for g in optimizer.param_groups for p in g["params"]]
    old = {id(p): p._arr for p in params}
    old_state = {(id(p), k): v._arr for p in params
                 for k, v in (optimizer.state.get(p) or {}).items() if isinstance(v, Tensor)}
    retval = optimizer.step(*args, **kwargs)
    for p in params:
        if p._arr is not old[id(p)]:
            p._set_arr(jnp.where(skip, old[id(p)], p._arr))
        for k, v in (optimizer.state.get(p) or {}).items():
            if isinstance(v, Tensor):
                before = old_state.get((id(p), k))
                keep = jnp.zeros_like(v._arr) if before is None else before
                v._set_arr(jnp.where(skip, keep, v._arr))
    return retval


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


@jax.jit
def _unscale(grads, inv_scale):
    """torch's ``_amp_foreach_non_finite_check_and_unscale_``: (unscaled grads, any non-finite)."""
    found = jnp.zeros((), jnp.bool_)
    out = []
    for g in grads:
        found = found | ~jnp.all(jnp.isfinite(g))
        out.append((g.astype(jnp.float32) * inv_scale).astype(g.dtype)
                   if g.dtype != jnp.float64 else g * inv_scale.astype(jnp.float64))
    return out, found.astype(jnp.float32)


@jax.jit
def _update_scale(scale, tracker, found_inf, growth_factor, backoff_factor, growth_interval):
    """torch's ``_amp_update_scale_``: back off on inf/nan, grow after ``growth_interval`` steps."""
    grown = tracker + 1
    grow = grown == growth_interval
    new_scale = jnp.where(
        found_inf > 0, scale * backoff_factor,
        jnp.where(grow & jnp.isfinite(scale * growth_factor), scale * growth_factor, scale))
    new_tracker = jnp.where((found_inf > 0) | grow, jnp.zeros_like(tracker), grown)
    return new_scale, new_tracker


class GradScaler:
    """torchlike implementation of :class:`torch.amp.GradScaler`.

    As torch, ``device='cuda'`` on a machine without a GPU warns and disables the scaler
    (``scale`` returns its input, ``step`` just calls ``optimizer.step()``); ``device='cpu'``
    scales.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not gpu_devices():
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # created lazily by the first scale()
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: Tensor | None = None
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _check_scale_growth_tracker(self, funcname: str):
        fix = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier "
               "in the iteration.")
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, dev) -> None:
        from .._creation import full
        self._scale = full((), self._init_scale, dtype=_dtype.float32, device=dev)
        self._growth_tracker = full((), self._init_growth_tracker, dtype=_dtype.int32, device=dev)

    def scale(self, outputs):
        """Multiplies a Tensor (or a nested list/tuple/iterable of Tensors) by the scale."""
        if not self._enabled:
            return outputs

        def apply_scale(val):
            if isinstance(val, Tensor):
                if self._scale is None:
                    self._lazy_init_scale_growth_tracker(val.device)
                return val * self._scale.to(device=val.device)
            if isinstance(val, abc.Iterable):
                it = map(apply_scale, val)
                return type(val)(it) if isinstance(val, (list, tuple)) else it
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")
        return apply_scale(outputs)

    def _unscale_grads_(self, optimizer, inv_scale: Tensor, allow_fp16: bool) -> dict:
        per_device: dict = defaultdict(list)
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if not allow_fp16 and param.grad.dtype == _dtype.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                per_device[param.grad.device].append(param.grad)
        found: dict = {}
        for dev, grads in per_device.items():
            new, found_inf = _unscale([g._arr for g in grads], inv_scale.to(dev)._arr)
            for g, arr in zip(grads, new):
                g._replace_data(arr)
            found[dev] = Tensor._wrap(found_inf)
        return found

    def unscale_(self, optimizer) -> None:
        """Divides the optimizer's gradients by the scale (once per step)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # torch: inv_scale = scale.double().reciprocal().float()
        inv_scale = Tensor._wrap((1.0 / self._scale._arr.astype(jnp.float64)).astype(jnp.float32))
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscales (if not done yet) and runs ``optimizer.step`` unless a gradient is inf/nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        found = list(state["found_inf_per_device"].values())
        if any(_is_tracer(f._arr) for f in found):  # inside torchlike.compile: no host sync
            retval = _traced_step(optimizer, sum(f._arr.astype(jnp.float32) for f in found) > 0,
                                  args, kwargs)
        else:
            retval = None
            if not sum(v.item() for v in found):
                retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Updates the scale: ``new_scale`` if given, else torch's growth/backoff rule."""
        if not self._enabled:
            return
        scale, tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale.fill_(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if not isinstance(new_scale, Tensor):
                    raise AssertionError(reason)  # noqa: TRY004 - torch's class
                if new_scale.device.type != scale.device.type:
                    raise AssertionError(reason)
                if new_scale.numel() != 1:
                    raise AssertionError(reason)
                if new_scale.requires_grad:
                    raise AssertionError(reason)
                scale.copy_(new_scale.reshape(()))
        else:
            found = [f for s in self._per_optimizer_states.values()
                     for f in s["found_inf_per_device"].values()]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            found_inf = sum(f._arr.astype(jnp.float32) for f in found)
            new, new_tracker = _update_scale(
                scale._arr, tracker._arr, found_inf, np.float32(self._growth_factor),
                np.float32(self._backoff_factor), np.int32(self._growth_interval))
            scale._replace_data(new)
            tracker._replace_data(new_tracker)
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if self._enabled:
            return self._init_scale if self._scale is None else float(self._scale.item())
        return 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._enabled:
            return (self._init_growth_tracker if self._growth_tracker is None
                    else int(self._growth_tracker.item()))
        return 0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """torch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker."""
        if self._enabled:
            return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                    "backoff_factor": self._backoff_factor,
                    "growth_interval": self._growth_interval,
                    "_growth_tracker": self._get_growth_tracker()}
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
