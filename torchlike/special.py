"""torchlike implementation of :mod:`torch.special`: the ops registered with ``namespace="special"``
(and the aliases of top-level ops that torch also exposes here)."""

from __future__ import annotations

from ._ops._install import NAMESPACES


def __getattr__(name: str):
    try:
        fn = NAMESPACES["special"][name]
    except KeyError:
        raise AttributeError(f"module 'torchlike.special' has no attribute '{name}'") from None
    globals()[name] = fn
    return fn


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(NAMESPACES.get("special", {})))
