"""Grad-mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode (contexts and decorators)."""

from __future__ import annotations

import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _State:
    __slots__ = ("enabled", "inference")

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


STATE = _State()  # read by the op registry on every call


def is_grad_enabled() -> bool:
    """torchlike implementation of :func:`torch.is_grad_enabled`."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _Mode:
    """A context manager that also works as a decorator (on functions and generator functions)."""

    _enable = True

    def __new__(cls, *args, **kwargs):
        # ``@torch.no_grad`` without parentheses: the class is called with the function itself.
        if len(args) == 1 and not kwargs and callable(args[0]) and cls is not set_grad_enabled:
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self._enable

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError(f"{type(self).__name__} cannot decorate a class")
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    value = next(gen)
                while True:
                    try:
                        sent = yield value
                    except BaseException as e:
                        with self.clone():
                            value = gen.throw(e)
                    else:
                        with self.clone():
                            try:
                                value = gen.send(sent)
                            except StopIteration as stop:
                                return stop.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_Mode):
    """torchlike implementation of :class:`torch.no_grad`."""

    _enable = False


class enable_grad(_Mode):
    """torchlike implementation of :class:`torch.enable_grad`."""

    _enable = True


class set_grad_enabled(_Mode):
    """torchlike implementation of :class:`torch.set_grad_enabled` (takes effect on construction, as
    in torch, so ``torch.set_grad_enabled(False)`` works as a plain call too)."""

    def __init__(self, mode: bool) -> None:
        self._prev = STATE.enabled
        self._enable = bool(mode)
        STATE.enabled = self._enable

    def __enter__(self) -> None:
        pass

    def __call__(self, func):
        STATE.enabled = self._prev  # as a decorator, the mode applies only inside ``func``
        return super().__call__(func)

    def clone(self):
        return set_grad_enabled(self._enable)


class inference_mode(_Mode):
    """torchlike implementation of :class:`torch.inference_mode` (behaves as no_grad; tensors made
    inside are not marked as inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self._enable = not mode
        self._mode = mode

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        self._prev_inf = STATE.inference
        STATE.enabled = self._enable
        STATE.inference = self._mode

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev
        STATE.inference = self._prev_inf

    def clone(self):
        return inference_mode(self._mode)
